/* SPDX-License-Identifier: MIT */
/*
 * boot/madt.c: the host's processors from ACPI tables. Real tables come from
 * devices/acpi_tables.c (what the guest gets, an OS-shaped MADT), parsed as the hypervisor
 * parses the firmware's; hand-made entries cover what those tables never contain.
 */
#include <stdlib.h>

#include "test_util.h"

#include "boot/madt.h"
#include "devices/acpi_tables.h"

#define RAM (1u << 20)

static uint8_t *ram;
static uint64_t madt;
static uint32_t madt_length;

static void build(unsigned cpus)
{
	struct acpi_platform p;
	char err[160];

	memset(ram, 0, RAM);
	acpi_platform_defaults(&p, cpus);
	assert_int_equal(acpi_build_tables(ram, RAM, &p, err, sizeof(err)), 0);
	madt = acpi_find_table(ram, p.rsdp_gpa, "APIC", &madt_length, err, sizeof(err));
	assert_true(madt != 0);
}

static void fix_checksum(uint64_t table, uint32_t length)
{
	uint8_t sum = 0;

	ram[table + 9] = 0;
	for (uint32_t i = 0; i < length; i++)
		sum += ram[table + i];
	ram[table + 9] = (uint8_t)-sum;
}

static int setup(void **state)
{
	(void)state;
	ram = calloc(1, RAM);
	return ram ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

/* Every CPU count the guest tables can describe, up to 64, comes back in order. */
static void test_counts_from_built_tables(void **state)
{
	static const unsigned counts[] = { 1, 2, 3, 4, 8, 16, 64 };
	struct madt_cpus out;
	char err[160];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		build(counts[i]);
		assert_int_equal(madt_parse_cpus(ram, madt, madt_length, &out, err, sizeof(err)), 0);
		assert_int_equal(out.count, counts[i]);
		assert_int_equal(out.overflow, 0);
		for (unsigned c = 0; c < counts[i]; c++)
			assert_int_equal(out.cpus[c].apic_id, c);
	}
}

/* More usable entries than MADT_MAX_HOST_CPUS are counted, not stored. */
static void test_overflow_counted(void **state)
{
	struct madt_cpus out;
	char err[160];

	(void)state;
	build(100);
	assert_int_equal(madt_parse_cpus(ram, madt, madt_length, &out, err, sizeof(err)), 0);
	assert_int_equal(out.count, MADT_MAX_HOST_CPUS);
	assert_int_equal(out.overflow, 100 - MADT_MAX_HOST_CPUS);
}

/* The first local APIC entry's offset in a table built for `cpus` CPUs. */
static uint32_t local_apic_entry(unsigned index)
{
	uint32_t at = 44;
	unsigned seen = 0;

	while (at < madt_length) {
		if (ram[madt + at] == 0 && seen++ == index)
			return at;
		at += ram[madt + at + 1];
	}
	fail_msg("no local APIC entry %u", index);
	return 0;
}

/* Flags: enabled is usable; online-capable only and neither are skipped and counted; APIC ID
 * 0xFF is a placeholder. */
static void test_flags(void **state)
{
	static const struct {
		uint32_t flags;
		uint8_t id;
		unsigned count, disabled, online_capable;
	} rows[] = {
		{ 1, 1, 4, 0, 0 }, { 3, 1, 4, 0, 0 },    { 0, 1, 3, 1, 0 },
		{ 2, 1, 3, 0, 1 }, { 1, 0xFF, 3, 1, 0 },
	};
	struct madt_cpus out;
	char err[160];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		uint32_t at;

		build(4);
		at = local_apic_entry(2);
		ram[madt + at + 3] = rows[i].id;
		memcpy(&ram[madt + at + 4], &rows[i].flags, 4);
		fix_checksum(madt, madt_length);
		assert_int_equal(madt_parse_cpus(ram, madt, madt_length, &out, err, sizeof(err)), 0);
		assert_int_equal(out.count, rows[i].count);
		assert_int_equal(out.skipped_disabled, rows[i].disabled);
		assert_int_equal(out.skipped_online_capable, rows[i].online_capable);
	}
}

/* An x2APIC entry (type 9, 16 bytes) appended: its 32-bit ID and UID are read. */
static void test_x2apic_entry(void **state)
{
	static const uint8_t entry[16] = { 9, 16, 0, 0, 0x00, 0x01, 0x00, 0x00, /* ID 256 */
					   1, 0, 0, 0, 7, 0, 0, 0 };         /* enabled, UID 7 */
	struct madt_cpus out;
	char err[160];

	(void)state;
	build(2);
	memmove(&ram[madt + madt_length], entry, sizeof(entry));
	madt_length += sizeof(entry);
	memcpy(&ram[madt + 4], &madt_length, 4);
	fix_checksum(madt, madt_length);
	assert_int_equal(madt_parse_cpus(ram, madt, madt_length, &out, err, sizeof(err)), 0);
	assert_int_equal(out.count, 3);
	assert_int_equal(out.cpus[2].apic_id, 256);
	assert_int_equal(out.cpus[2].uid, 7);
}

/* Malformed: an entry running past the table, a zero-length entry, a short local APIC entry. */
static void test_malformed_entries(void **state)
{
	static const struct {
		uint8_t length;
		const char *message;
	} rows[] = {
		{ 0, "runs past the table" },
		{ 1, "runs past the table" },
		{ 200, "runs past the table" },
		{ 6, "is 6 bytes" },
	};
	struct madt_cpus out;
	char err[160];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		build(2);
		ram[madt + local_apic_entry(1) + 1] = rows[i].length;
		assert_int_equal(madt_parse_cpus(ram, madt, madt_length, &out, err, sizeof(err)), -1);
		assert_non_null(strstr(err, rows[i].message));
	}
}

/* The walk: a broken RSDP, root table or MADT checksum is reported, and the RSDT is used when
 * the RSDP has no XSDT. */
static void test_table_walk(void **state)
{
	struct acpi_platform p;
	uint32_t length;
	char err[160];

	(void)state;
	acpi_platform_defaults(&p, 2);
	build(2);
	ram[madt + 20] ^= 1;
	assert_int_equal(acpi_find_table(ram, p.rsdp_gpa, "APIC", &length, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "bad checksum"));

	build(2);
	assert_int_equal(acpi_find_table(ram, p.rsdp_gpa, "SRAT", &length, err, sizeof(err)), 0);
	assert_string_equal(err, "no SRAT table in the XSDT");

	build(2);
	ram[p.rsdp_gpa] = 'X';
	assert_int_equal(acpi_find_table(ram, p.rsdp_gpa, "APIC", &length, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "no valid RSDP"));

	/* Revision 0 (ACPI 1.0): only the RSDT. */
	build(2);
	ram[p.rsdp_gpa + 15] = 0;
	ram[p.rsdp_gpa + 8] = 0;
	{
		uint8_t sum = 0;

		for (unsigned i = 0; i < 20; i++)
			sum += ram[p.rsdp_gpa + i];
		ram[p.rsdp_gpa + 8] = (uint8_t)-sum;
	}
	assert_int_equal(acpi_find_table(ram, p.rsdp_gpa, "APIC", &length, err, sizeof(err)), madt);
	assert_int_equal(length, madt_length);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_from_built_tables),
		cmocka_unit_test(test_overflow_counted),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_x2apic_entry),
		cmocka_unit_test(test_malformed_entries),
		cmocka_unit_test(test_table_walk),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
