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
