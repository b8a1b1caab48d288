/* SPDX-License-Identifier: MIT */
#include "madt.h"

#include "../lib/fmt.h"
#include "../lib/le.h"

#define SDT_HEADER_SIZE 36
#define RSDP_V1_SIZE 20
#define RSDP_REVISION 15
#define RSDP_RSDT_ADDRESS 16
#define RSDP_LENGTH 20
#define RSDP_XSDT_ADDRESS 24
#define MADT_ENTRIES 44
#define MADT_TYPE_LOCAL_APIC 0      /* §5.2.12.2: UID (1), APIC ID (1), flags (4) */
#define MADT_TYPE_LOCAL_X2APIC 9    /* §5.2.12.12: reserved (2), x2APIC ID (4), flags, UID */
#define MADT_ENABLED (1u << 0)
#define MADT_ONLINE_CAPABLE (1u << 1)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le_get(p, 4);
}

static bool checksum_ok(const uint8_t *p, size_t length)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < length; i++)
		sum += p[i];
	return sum == 0;
}

/* A system description table's header at `address`: its signature and a sane, checksummed
 * length. */
static bool table_ok(const uint8_t *memory, uint64_t address, const char *signature,
		     uint32_t *length, char *err, size_t err_size)
{
	const uint8_t *t = memory + address;

	if (memcmp(t, signature, 4) != 0) {
		fmt_error(err, err_size, "no %.4s table at %#llx", signature,
		       (unsigned long long)address);
		return false;
	}
	*length = le32(t + 4);
	if (*length < SDT_HEADER_SIZE || *length > (1u << 20)) {
		fmt_error(err, err_size, "%.4s at %#llx: length %u", signature,
		       (unsigned long long)address, *length);
		return false;
	}
	if (!checksum_ok(t, *length)) {
		fmt_error(err, err_size, "%.4s at %#llx: bad checksum", signature,
		       (unsigned long long)address);
		return false;
	}
	return true;
}

uint64_t acpi_find_table(const uint8_t *memory, uint64_t rsdp_address, const char signature[4],
			 uint32_t *length, char *err, size_t err_size)
{
	const uint8_t *rsdp = memory + rsdp_address;
	bool xsdt = false;
	uint64_t root;
	uint32_t root_length;

	if (memcmp(rsdp, "RSD PTR ", 8) != 0 || !checksum_ok(rsdp, RSDP_V1_SIZE)) {
		fmt_error(err, err_size, "no valid RSDP at %#llx", (unsigned long long)rsdp_address);
		return 0;
	}
	root = le32(rsdp + RSDP_RSDT_ADDRESS);
	if (rsdp[RSDP_REVISION] >= 2 && le32(rsdp + RSDP_LENGTH) >= RSDP_XSDT_ADDRESS + 8 &&
	    checksum_ok(rsdp, le32(rsdp + RSDP_LENGTH)) && le_get(rsdp + RSDP_XSDT_ADDRESS, 8)) {
		root = le_get(rsdp + RSDP_XSDT_ADDRESS, 8);
		xsdt = true;
	}
	if (!table_ok(memory, root, xsdt ? "XSDT" : "RSDT", &root_length, err, err_size))
		return 0;
	unsigned entry_size = xsdt ? 8 : 4;

	for (uint32_t at = SDT_HEADER_SIZE; at + entry_size <= root_length; at += entry_size) {
		const uint8_t *e = memory + root + at;
		uint64_t address = xsdt ? le_get(e, 8) : le32(e);

		if (address && memcmp(memory + address, signature, 4) == 0)
			return table_ok(memory, address, signature, length, err, err_size) ? address
											   : 0;
	}
	fmt_error(err, err_size, "no %.4s table in the %s", signature, xsdt ? "XSDT" : "RSDT");
	return 0;
}

static void add_cpu(struct madt_cpus *out, uint32_t apic_id, uint32_t uid, uint32_t flags)
{
	if (!(flags & MADT_ENABLED)) {
		if (flags & MADT_ONLINE_CAPABLE)
			out->skipped_online_capable++;
		else
			out->skipped_disabled++;
		return;
	}
	if (out->count == MADT_MAX_HOST_CPUS) {
		out->overflow++;
		return;
	}
	out->cpus[out->count++] = (struct madt_cpu){ apic_id, uid };
}

int madt_parse_cpus(const uint8_t *memory, uint64_t madt_address, uint32_t length,
		    struct madt_cpus *out, char *err, size_t err_size)
{
	const uint8_t *madt = memory + madt_address;

	memset(out, 0, sizeof(*out));
	for (uint32_t at = MADT_ENTRIES; at < length;) {
		const uint8_t *e = madt + at;
		uint8_t type, size;

		if (at + 2 > length || (size = e[1]) < 2 || at + size > length) {
			fmt_error(err, err_size, "MADT entry at offset %u runs past the table", at);
			return -1;
		}
		type = e[0];
		/* An xAPIC entry with ID 0xFF is a placeholder: processors with IDs of 255 and up
		 * are listed as x2APIC entries (§5.2.12.12). */
		if (type == MADT_TYPE_LOCAL_APIC && size >= 8 && e[3] != 0xFF)
			add_cpu(out, e[3], e[2], le32(e + 4));
		else if (type == MADT_TYPE_LOCAL_APIC && size >= 8)
			out->skipped_disabled++;
		else if (type == MADT_TYPE_LOCAL_X2APIC && size >= 16)
			add_cpu(out, le32(e + 4), le32(e + 12), le32(e + 8));
		else if (type == MADT_TYPE_LOCAL_APIC || type == MADT_TYPE_LOCAL_X2APIC) {
			fmt_error(err, err_size, "MADT entry type %u at offset %u is %u bytes", type, at,
			       size);
			return -1;
		}
		at += size;
	}
	return 0;
}
