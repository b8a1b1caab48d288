/* SPDX-License-Identifier: MIT */
#include "acpi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "lib/string.h"

/* §5.2.5.1: "The first 1 KB of the Extended BIOS Data Area (EBDA)" and "The BIOS read-only
 * memory space between 0E0000h and 0FFFFFh", each searched "on 16-byte boundaries". */
#define ACPI_BDA_EBDA_SEGMENT 0x40Eu
#define ACPI_EBDA_SCAN_BYTES 1024u
#define ACPI_BIOS_AREA_START 0xE0000u
#define ACPI_BIOS_AREA_END 0x100000u
#define ACPI_RSDP_ALIGNMENT 16u
/* The BIOS data area ends and conventional memory ends: an EBDA segment pointing below the
 * first or letting the first KiB pass the second is no EBDA. */
#define ACPI_BDA_END 0x500u
#define ACPI_CONVENTIONAL_END 0xA0000u

uint16_t acpi_read16(const uint8_t *bytes, size_t offset)
{
	return (uint16_t)(bytes[offset] | (uint16_t)bytes[offset + 1] << 8);
}

uint32_t acpi_read32(const uint8_t *bytes, size_t offset)
{
	return acpi_read16(bytes, offset) | (uint32_t)acpi_read16(bytes, offset + 2) << 16;
}

uint64_t acpi_read64(const uint8_t *bytes, size_t offset)
{
	return acpi_read32(bytes, offset) | (uint64_t)acpi_read32(bytes, offset + 4) << 32;
}

uint8_t acpi_byte_sum(const uint8_t *bytes, size_t length)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < length; i++)
		sum = (uint8_t)(sum + bytes[i]);
	return sum;
}

/* A physical address below 4 GiB as a pointer (entry.asm maps the first 4 GiB 1:1). The
 * empty asm hides the constant from GCC, which otherwise takes addresses in the first page
 * for a null pointer plus an offset and warns that they point at no object. */
static const uint8_t *acpi_physical(uint32_t address)
{
	uintptr_t pointer = address;

	__asm__("" : "+r"(pointer));
	return (const uint8_t *)pointer;
}

/* Whether the RSDP candidate at `p` (its signature already matched) has right checksums. */
static bool acpi_rsdp_valid(const uint8_t *p)
{
	if (acpi_byte_sum(p, ACPI_RSDP_V1_SIZE) != 0)
		return false;
	if (p[ACPI_RSDP_REVISION] < ACPI_RSDP_REVISION_2)
		return true;

	uint32_t length = acpi_read32(p, ACPI_RSDP_LENGTH);

	return length >= ACPI_RSDP_V2_SIZE && length <= ACPI_RSDP_MAX_LENGTH &&
	       acpi_byte_sum(p, length) == 0;
}

/* Scans [start, end) on 16-byte boundaries; true when it found a good RSDP. */
static bool acpi_scan_rsdp(uint32_t start, uint32_t end, struct acpi_rsdp_search *search)
{
	for (uint32_t address = start; address + ACPI_RSDP_V1_SIZE <= end;
	     address += ACPI_RSDP_ALIGNMENT) {
		const uint8_t *p = acpi_physical(address);

		if (memcmp(p, ACPI_RSDP_SIGNATURE, ACPI_RSDP_SIGNATURE_SIZE) != 0)
			continue;
		if (acpi_rsdp_valid(p)) {
			search->rsdp = address;
			return true;
		}
		if (search->rejected++ == 0)
			search->first_rejected = address;
	}
	return false;
}

/*
 * The EBDA is scanned only where its segment places it between the end of the BIOS data area
 * and 0xA0000 (ACPICA's acpi_find_root_pointer makes the same check): a BIOS data area of
 * zeroes, as apicvisor leaves it (it has no EBDA), would otherwise send the scan to the real-mode
 * interrupt vectors at 0.
 */
void acpi_find_rsdp(struct acpi_rsdp_search *search)
{
	uint16_t segment = acpi_read16(acpi_physical(ACPI_BDA_EBDA_SEGMENT), 0);
	uint32_t ebda = (uint32_t)segment << 4;

	*search = (struct acpi_rsdp_search){ 0 };
	if (ebda >= ACPI_BDA_END && ebda + ACPI_EBDA_SCAN_BYTES <= ACPI_CONVENTIONAL_END) {
		search->ebda = ebda;
		if (acpi_scan_rsdp(ebda, ebda + ACPI_EBDA_SCAN_BYTES, search))
			return;
	}
	acpi_scan_rsdp(ACPI_BIOS_AREA_START, ACPI_BIOS_AREA_END, search);
}

uint32_t acpi_pm_timer_read(uint16_t port)
{
	return cpu_inl(port);
}

/* Longer is taken for a wild length field rather than read (SeaBIOS's largest table, the
 * DSDT, is a few KiB). */
#define ACPI_MAX_TABLE_BYTES 0x100000u
#define ACPI_4_GIB 0x100000000ull

/* The System Description Table at `address`, or NULL where it is not one acpi_find_table
 * takes (its comment says which); `signature` NULL: any. */
static const uint8_t *acpi_table_at(const struct multiboot_info *info, uint64_t address,
				    const char *signature)
{
	uint32_t type;

	if (address == 0 || address > ACPI_4_GIB - ACPI_SDT_HEADER_SIZE)
		return NULL;
	type = multiboot_mmap_type_at(info, address, ACPI_SDT_HEADER_SIZE);
	if (type == MULTIBOOT_MMAP_NONE || type == MULTIBOOT_MMAP_AVAILABLE)
		return NULL;

	const uint8_t *table = acpi_physical((uint32_t)address);
	uint32_t length = acpi_read32(table, ACPI_SDT_LENGTH);

	if (signature != NULL &&
	    memcmp(table + ACPI_SDT_SIGNATURE, signature, ACPI_SDT_SIGNATURE_SIZE) != 0)
		return NULL;
	if (length < ACPI_SDT_HEADER_SIZE || length > ACPI_MAX_TABLE_BYTES ||
	    address + length > ACPI_4_GIB ||
	    multiboot_mmap_type_at(info, address, length) != type ||
	    acpi_byte_sum(table, length) != 0)
		return NULL;
	return table;
}

const uint8_t *acpi_find_table(const struct multiboot_info *info, const char *signature)
{
	struct acpi_rsdp_search search;

	if (!(info->flags & MULTIBOOT_INFO_MEM_MAP))
		return NULL;
	acpi_find_rsdp(&search);
	if (search.rsdp == 0)
		return NULL;

	const uint8_t *rsdp = acpi_physical(search.rsdp);
	uint64_t xsdt = rsdp[ACPI_RSDP_REVISION] >= ACPI_RSDP_REVISION_2 ?
				acpi_read64(rsdp, ACPI_RSDP_XSDT_ADDRESS) : 0;
	bool extended = xsdt != 0;
	size_t entry_size = extended ? ACPI_XSDT_ENTRY_SIZE : ACPI_RSDT_ENTRY_SIZE;
	const uint8_t *root = acpi_table_at(info, extended ? xsdt :
					    acpi_read32(rsdp, ACPI_RSDP_RSDT_ADDRESS),
					    extended ? "XSDT" : "RSDT");

	if (root == NULL)
		return NULL;

	uint32_t length = acpi_read32(root, ACPI_SDT_LENGTH);

	for (size_t at = ACPI_SDT_HEADER_SIZE; at + entry_size <= length; at += entry_size) {
		uint64_t address = extended ? acpi_read64(root, at) : acpi_read32(root, at);
		const uint8_t *table = acpi_table_at(info, address, signature);

		if (table != NULL)
			return table;
	}
	return NULL;
}
