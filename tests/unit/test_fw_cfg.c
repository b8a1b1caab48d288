/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/fw_cfg.c: the legacy I/O interface driven with the port sequences a
 * guest uses. SeaBIOS (src/fw/paravirt.c) selects with a 16-bit OUT to 0x510 and streams with
 * 8-bit INs (insb) from 0x511, reading the file directory's count and then its entries in one
 * go; Linux's qemu_fw_cfg driver re-selects the item for each read and skips `pos` bytes by
 * reading them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/fw_cfg.h"

#define MIB (1024ull * 1024ull)

/* ---------------------------------------------------------------------------------------- */
/* The guest side                                                                           */

static void guest_select(struct fw_cfg *fw, uint16_t key)
{
	fw_cfg_write(fw, 0x510, 2, key);
}

static void guest_insb(struct fw_cfg *fw, void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		uint32_t value = fw_cfg_read(fw, 0x511, 1);

		assert_true(value <= 0xff);
		p[i] = (uint8_t)value;
	}
}

/* SeaBIOS qemu_cfg_read_entry(): select, then read len bytes. */
static void seabios_read_entry(struct fw_cfg *fw, void *buf, uint16_t key, size_t len)
{
	guest_select(fw, key);
	guest_insb(fw, buf, len);
}

/* Linux fw_cfg_read_blob(): select, skip pos bytes by reading them, read count bytes. */
static void linux_read_blob(struct fw_cfg *fw, uint16_t key, void *buf, size_t pos, size_t count)
{
	guest_select(fw, key);
	while (pos-- > 0)
		(void)fw_cfg_read(fw, 0x511, 1);
	guest_insb(fw, buf, count);
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint64_t get_be(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

static void assert_reads_zero(struct fw_cfg *fw, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		uint32_t value = fw_cfg_read(fw, 0x511, 1);

		if (value != 0)
			fail_msg("byte %zu past the end reads 0x%x, want 0", i, value);
	}
}

static void new_device(struct fw_cfg *fw)
{
	memset(fw, 0xa5, sizeof(*fw));
	fw_cfg_init(fw, 128 * MIB, 2, 4);
}

/* ---------------------------------------------------------------------------------------- */

static void test_ports(void **state)
{
	(void)state;
	for (unsigned port = 0; port <= 0xffff; port++) {
		bool want = port == 0x510 || port == 0x511;

		if (fw_cfg_handles_port((uint16_t)port) != want)
			fail_msg("port 0x%x: handles %d, want %d", port, !want, want);
	}
}

static void test_signature(void **state)
{
	static struct fw_cfg fw;
	char sig[8];

	(void)state;
	new_device(&fw);
	/* After reset the selector is the signature (QEMU's fw_cfg_reset selects key 0). */
	guest_insb(&fw, sig, 4);
	assert_memory_equal(sig, "QEMU", 4);
	assert_reads_zero(&fw, 4);

	/* SeaBIOS qemu_cfg_preinit: select 0, read 4 bytes, compare with "QEMU". */
	memset(sig, 0, sizeof(sig));
	seabios_read_entry(&fw, sig, FW_CFG_SIGNATURE, 4);
	assert_memory_equal(sig, "QEMU", 4);

	/* Reading past the end: four more bytes of zeroes, then still zeroes. */
	memset(sig, 0xff, sizeof(sig));
	seabios_read_entry(&fw, sig, FW_CFG_SIGNATURE, 8);
	assert_memory_equal(sig, "QEMU\0\0\0\0", 8);

	/* An 8-bit read at the selector port streams data too (one 2-port region in QEMU). */
	guest_select(&fw, FW_CFG_SIGNATURE);
	assert_int_equal(fw_cfg_read(&fw, 0x510, 1), 'Q');
	assert_int_equal(fw_cfg_read(&fw, 0x511, 1), 'E');
	assert_int_equal(fw_cfg_read(&fw, 0x510, 1), 'M');
	assert_int_equal(fw_cfg_read(&fw, 0x511, 1), 'U');
	assert_int_equal(fw_cfg_read(&fw, 0x510, 1), 0);
}

static void test_id_has_no_dma(void **state)
{
	static struct fw_cfg fw;
	uint8_t id[4];

	(void)state;
	new_device(&fw);
	/* Linux fw_cfg_do_platform_probe: FW_CFG_ID, 4 bytes little-endian; bit 1 is DMA. */
	linux_read_blob(&fw, FW_CFG_ID, id, 0, sizeof(id));
	assert_int_equal(get_le(id, 4), 1);
	assert_false(get_le(id, 4) & 2);
	assert_reads_zero(&fw, 3);
}

static void test_numbers(void **state)
{
	static const struct {
		uint64_t ram_bytes;
		uint16_t cpus, max_cpus;
	} cases[] = {
		{ 2 * MIB, 1, 1 },
		{ 128 * MIB, 2, 4 },
		{ 3072 * MIB, 255, 288 },
		{ 0x123456789abcull, 0x1234, 0xfedc },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		static struct fw_cfg fw;
		uint8_t buf[8];

		fw_cfg_init(&fw, cases[i].ram_bytes, cases[i].cpus, cases[i].max_cpus);
		seabios_read_entry(&fw, buf, FW_CFG_RAM_SIZE, 8);
		if (get_le(buf, 8) != cases[i].ram_bytes)
			fail_msg("case %zu: RAM size 0x%llx", i,
				 (unsigned long long)get_le(buf, 8));
		assert_reads_zero(&fw, 2);
		seabios_read_entry(&fw, buf, FW_CFG_NB_CPUS, 2);
		assert_int_equal(get_le(buf, 2), cases[i].cpus);
		assert_reads_zero(&fw, 2);
		seabios_read_entry(&fw, buf, FW_CFG_MAX_CPUS, 2);
		assert_int_equal(get_le(buf, 2), cases[i].max_cpus);
		assert_reads_zero(&fw, 2);
		/* The low byte alone, as a 16-bit value read by two INs, and at an offset. */
		linux_read_blob(&fw, FW_CFG_RAM_SIZE, buf, 3, 2);
		assert_int_equal(get_le(buf, 2), (cases[i].ram_bytes >> 24) & 0xffff);
	}
}

static void test_empty_directory(void **state)
{
	static struct fw_cfg fw;
	uint8_t buf[4];

	(void)state;
	new_device(&fw);
	seabios_read_entry(&fw, buf, FW_CFG_FILE_DIR, 4);
	assert_int_equal(get_be(buf, 4), 0);
	assert_reads_zero(&fw, FW_CFG_DIR_ENTRY_SIZE);
	/* No file item exists: the first file selector reads zeroes. */
	guest_select(&fw, FW_CFG_FILE_FIRST);
	assert_reads_zero(&fw, 16);
}

/* The files the tests add, in the order they are added (not sorted). */
static const char version_text[] = "apicvisor 0.1-test";
static const uint8_t boot_fail_wait[4] = { 0xff, 0xff, 0xff, 0xff };
static const char opt_text[] = "x";

static const struct {
	const char *name;
	const void *data;
	uint32_t size;
} test_files[] = {
	{ "etc/apicvisor/version", version_text, sizeof(version_text) - 1 },
	{ "opt/org.apicvisor/x", opt_text, 1 },
	{ "etc/boot-fail-wait", boot_fail_wait, sizeof(boot_fail_wait) },
	{ "etc/empty", NULL, 0 },
};

/* Directory order: strcmp order of the names. */
static const char *const sorted_names[] = {
	"etc/apicvisor/version",
	"etc/boot-fail-wait",
	"etc/empty",
	"opt/org.apicvisor/x",
};

static void add_test_files(struct fw_cfg *fw)
{
	for (size_t i = 0; i < ARRAY_SIZE(test_files); i++) {
		char err[128] = "";

		if (fw_cfg_add_file(fw, test_files[i].name, test_files[i].data, test_files[i].size,
				    err, sizeof(err)) != 0)
			fail_msg("adding %s: \"%s\"", test_files[i].name, err);
	}
}

static size_t test_file_index(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(test_files); i++) {
		if (strcmp(test_files[i].name, name) == 0)
			return i;
	}
	fail_msg("no test file %s", name);
	return 0;
}

/* Checks one 64-byte directory entry: the sorted_names[index] file, at 0x20 + index. */
static void check_entry(const uint8_t *entry, size_t index)
{
	const char *name = sorted_names[index];
	size_t file = test_file_index(name);
	char stored[FW_CFG_FILE_NAME_SIZE];

	assert_int_equal(get_be(entry, 4), test_files[file].size);
	assert_int_equal(get_be(entry + 4, 2), FW_CFG_FILE_FIRST + index);
	assert_int_equal(get_be(entry + 6, 2), 0);                    /* reserved */
	memcpy(stored, entry + 8, sizeof(stored));
	assert_string_equal(stored, name);
	/* The name is NUL-padded to 56 bytes. */
	for (size_t i = strlen(name); i < sizeof(stored); i++)
		assert_int_equal(stored[i], 0);
}

static void test_directory_seabios(void **state)
{
	static struct fw_cfg fw;
	uint8_t count[4], entry[FW_CFG_DIR_ENTRY_SIZE];

	(void)state;
	new_device(&fw);
	add_test_files(&fw);
	/* qemu_romfile_init: read the count, then every entry without selecting again. */
	seabios_read_entry(&fw, count, FW_CFG_FILE_DIR, sizeof(count));
	assert_int_equal(get_be(count, 4), ARRAY_SIZE(sorted_names));
	for (size_t i = 0; i < ARRAY_SIZE(sorted_names); i++) {
		guest_insb(&fw, entry, sizeof(entry));
		check_entry(entry, i);
	}
	assert_reads_zero(&fw, FW_CFG_DIR_ENTRY_SIZE);
}

static void test_directory_linux_and_file_contents(void **state)
{
	static struct fw_cfg fw;
	uint8_t count[4];
	uint8_t *dir;
	size_t n;

	(void)state;
	new_device(&fw);
	add_test_files(&fw);
	/* fw_cfg_register_dir_entries: the count, then the entries from offset 4 in one read. */
	linux_read_blob(&fw, FW_CFG_FILE_DIR, count, 0, sizeof(count));
	n = get_be(count, 4);
	assert_int_equal(n, ARRAY_SIZE(sorted_names));
	dir = malloc(n * FW_CFG_DIR_ENTRY_SIZE);
	assert_non_null(dir);
	linux_read_blob(&fw, FW_CFG_FILE_DIR, dir, sizeof(count), n * FW_CFG_DIR_ENTRY_SIZE);

	for (size_t i = 0; i < n; i++) {
		const uint8_t *entry = dir + i * FW_CFG_DIR_ENTRY_SIZE;
		uint16_t select = (uint16_t)get_be(entry + 4, 2);
		uint32_t size = (uint32_t)get_be(entry, 4);
		size_t file = test_file_index(sorted_names[i]);
		uint8_t content[64];

		check_entry(entry, i);
		assert_int_equal(fw_cfg_file_selector(&fw, sorted_names[i]), select);
		/* The item's bytes at its selector, then zeroes past its end. */
		assert_true(size <= sizeof(content));
		linux_read_blob(&fw, select, content, 0, size);
		if (size > 0)
			assert_memory_equal(content, test_files[file].data, size);
		assert_reads_zero(&fw, 8);
		/* A read from an offset, as sysfs raw reads at pos do. */
		if (size > 2) {
			linux_read_blob(&fw, select, content, 2, size - 2);
			assert_memory_equal(content, (const uint8_t *)test_files[file].data + 2,
					    size - 2);
		}
	}
	free(dir);
	assert_int_equal(fw_cfg_file_selector(&fw, "etc/none"), 0);
}

static void test_sorted_insert_moves_selectors(void **state)
{
	static struct fw_cfg fw;
	static const uint8_t b_data[] = { 'b' }, a_data[] = { 'a', 'a' }, c_data[] = { 'c' };
	uint8_t buf[2];

	(void)state;
	new_device(&fw);
	assert_int_equal(fw_cfg_add_file(&fw, "b", b_data, 1, NULL, 0), 0);
	assert_int_equal(fw_cfg_file_selector(&fw, "b"), 0x20);
	assert_int_equal(fw_cfg_add_file(&fw, "c", c_data, 1, NULL, 0), 0);
	assert_int_equal(fw_cfg_add_file(&fw, "a", a_data, 2, NULL, 0), 0);
	assert_int_equal(fw_cfg_file_selector(&fw, "a"), 0x20);
	assert_int_equal(fw_cfg_file_selector(&fw, "b"), 0x21);
	assert_int_equal(fw_cfg_file_selector(&fw, "c"), 0x22);
	seabios_read_entry(&fw, buf, 0x20, 2);
	assert_memory_equal(buf, "aa", 2);
	seabios_read_entry(&fw, buf, 0x21, 1);
	assert_int_equal(buf[0], 'b');
	seabios_read_entry(&fw, buf, 0x22, 1);
	assert_int_equal(buf[0], 'c');
	guest_select(&fw, 0x23);
	assert_reads_zero(&fw, 4);
}

static void test_large_file(void **state)
{
	static struct fw_cfg fw;
	const size_t size = 100000;
	uint8_t *data = malloc(size), *back = malloc(size);

	(void)state;
	assert_non_null(data);
	assert_non_null(back);
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 31 + (i >> 9));
	new_device(&fw);
	assert_int_equal(fw_cfg_add_file(&fw, "opt/big", data, (uint32_t)size, NULL, 0), 0);
	seabios_read_entry(&fw, back, 0x20, size);
	assert_memory_equal(back, data, size);
	assert_reads_zero(&fw, 16);
	free(data);
	free(back);
}

static void test_selector_resets_offset(void **state)
{
	static struct fw_cfg fw;
	uint8_t buf[8];

	(void)state;
	new_device(&fw);
	/* Half the signature, then select it again: the offset starts over. */
	seabios_read_entry(&fw, buf, FW_CFG_SIGNATURE, 2);
	assert_memory_equal(buf, "QE", 2);
	seabios_read_entry(&fw, buf, FW_CFG_SIGNATURE, 4);
	assert_memory_equal(buf, "QEMU", 4);
	/* Past the end, a new selection reads from its start again. */
	assert_reads_zero(&fw, 3);
	seabios_read_entry(&fw, buf, FW_CFG_SIGNATURE, 1);
	assert_int_equal(buf[0], 'Q');
	/* Switching items midway. */
	seabios_read_entry(&fw, buf, FW_CFG_NB_CPUS, 1);
	assert_int_equal(buf[0], 2);
	seabios_read_entry(&fw, buf, FW_CFG_MAX_CPUS, 2);
	assert_int_equal(get_le(buf, 2), 4);
	assert_int_equal(fw.selects, 5);
}

static void test_unknown_keys(void **state)
{
	static const uint16_t keys[] = {
		0x0002,                /* UUID: not provided */
		0x0004, 0x0006, 0x000e, 0x0010, 0x0018, 0x001a, 0x001f,
		0x0021,                /* one file: 0x20 exists, 0x21 does not */
		0x0100, 0x3fff,
		0x8000,                /* FW_CFG_ACPI_TABLES: no architecture-specific items */
		0x8001, 0x8002, 0x8003, 0x8004, 0x8005, 0xbfff, 0xc000, 0xffff,
	};
	static struct fw_cfg fw;

	(void)state;
	new_device(&fw);
	assert_int_equal(fw_cfg_add_file(&fw, "opt/one", "1234", 4, NULL, 0), 0);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		guest_select(&fw, keys[i]);
		for (int b = 0; b < 16; b++) {
			uint32_t value = fw_cfg_read(&fw, 0x511, 1);

			if (value != 0)
				fail_msg("key 0x%04x byte %d reads 0x%x, want 0", keys[i], b, value);
		}
	}
}

static void test_write_channel_bit_ignored_for_reads(void **state)
{
	static struct fw_cfg fw;
	uint8_t buf[8];

	(void)state;
	new_device(&fw);
	seabios_read_entry(&fw, buf, FW_CFG_WRITE_CHANNEL | FW_CFG_SIGNATURE, 4);
	assert_memory_equal(buf, "QEMU", 4);
	seabios_read_entry(&fw, buf, FW_CFG_WRITE_CHANNEL | FW_CFG_RAM_SIZE, 8);
	assert_int_equal(get_le(buf, 8), 128 * MIB);
	/* A data write under the write channel changes nothing. */
	guest_select(&fw, FW_CFG_WRITE_CHANNEL | FW_CFG_RAM_SIZE);
	fw_cfg_write(&fw, 0x511, 1, 0x42);
	linux_read_blob(&fw, FW_CFG_RAM_SIZE, buf, 0, 8);
	assert_int_equal(get_le(buf, 8), 128 * MIB);
}

/* One step of an access script: OUT (write) or IN, then the byte an 8-bit IN returns next. */
struct access_step {
	bool write;
	uint16_t port;
	unsigned size;
	uint32_t value;           /* written, or the IN result expected */
	uint64_t ignored;         /* ignored_accesses after the step */
};

static void test_odd_accesses(void **state)
{
	static const struct access_step script[] = {
		{ true, 0x510, 2, FW_CFG_SIGNATURE, 0 },
		{ false, 0x510, 2, 0, 1 },              /* 16-bit IN: invalid in QEMU, reads 0 */
		{ false, 0x511, 4, 0, 2 },              /* 32-bit IN: likewise, no advance */
		{ false, 0x511, 1, 'Q', 2 },
		{ true, 0x511, 1, 0x55, 3 },            /* data write: ignored, no advance */
		{ true, 0x510, 1, 0x03, 4 },            /* 8-bit OUT at 0x510 is a data write */
		{ false, 0x511, 1, 'E', 4 },
		{ true, 0x510, 4, FW_CFG_RAM_SIZE, 5 }, /* 32-bit OUT: ignored, selection kept */
		{ false, 0x511, 1, 'M', 5 },
		{ true, 0x511, 2, FW_CFG_NB_CPUS, 5 },  /* 16-bit OUT at 0x511 selects (QEMU) */
		{ false, 0x511, 1, 2, 5 },
		{ false, 0x510, 1, 0, 5 },
		{ false, 0x512, 1, 0, 6 },              /* not a fw_cfg port */
		{ true, 0x514, 4, 0, 7 },               /* the DMA port is not there */
		{ true, 0x510, 2, FW_CFG_SIGNATURE, 7 },
		{ false, 0x511, 1, 'Q', 7 },
	};
	static struct fw_cfg fw;

	(void)state;
	new_device(&fw);
	for (size_t i = 0; i < ARRAY_SIZE(script); i++) {
		const struct access_step *s = &script[i];

		if (s->write) {
			fw_cfg_write(&fw, s->port, s->size, s->value);
		} else {
			uint32_t value = fw_cfg_read(&fw, s->port, s->size);

			if (value != s->value)
				fail_msg("step %zu: IN size %u at 0x%x reads 0x%x, want 0x%x", i,
					 s->size, s->port, value, s->value);
		}
		if (fw.ignored_accesses != s->ignored)
			fail_msg("step %zu: %llu ignored accesses, want %llu", i,
				 (unsigned long long)fw.ignored_accesses,
				 (unsigned long long)s->ignored);
	}
}

static void test_add_file_errors(void **state)
{
	static struct fw_cfg fw;
	char name[80], err[128];

	(void)state;
	new_device(&fw);
	assert_int_equal(fw_cfg_add_file(&fw, "", "x", 1, err, sizeof(err)), -1);
	assert_string_equal(err, "fw_cfg: empty file name");

	memset(name, 'n', sizeof(name));
	name[55] = '\0';                                  /* 55 characters: the longest */
	assert_int_equal(fw_cfg_add_file(&fw, name, "x", 1, err, sizeof(err)), 0);
	name[55] = 'n';
	name[56] = '\0';
	assert_int_equal(fw_cfg_add_file(&fw, name, "x", 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is longer than 55 characters"));

	assert_int_equal(fw_cfg_add_file(&fw, "etc/a\tb", "x", 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "character 0x09 at position 6 is not printable ASCII"));
	assert_int_equal(fw_cfg_add_file(&fw, "etc/nodata", NULL, 3, err, sizeof(err)), -1);
	assert_string_equal(err, "fw_cfg: file 'etc/nodata' has 3 bytes but no data");

	assert_int_equal(fw_cfg_add_file(&fw, "etc/x", "x", 1, err, sizeof(err)), 0);
	assert_int_equal(fw_cfg_add_file(&fw, "etc/x", "y", 1, err, sizeof(err)), -1);
	assert_string_equal(err, "fw_cfg: file 'etc/x' already exists");

	/* Fill the directory (two files so far), then one more is refused. */
	for (int i = 2; i < FW_CFG_MAX_FILES; i++) {
		char file[24];

		snprintf(file, sizeof(file), "opt/f%02d", i);
		assert_int_equal(fw_cfg_add_file(&fw, file, "z", 1, err, sizeof(err)), 0);
	}
	assert_int_equal(fw.file_count, FW_CFG_MAX_FILES);
	assert_int_equal(fw_cfg_add_file(&fw, "opt/late", "z", 1, err, sizeof(err)), -1);
	assert_string_equal(err, "fw_cfg: no room for file 'opt/late' (at most 16 files)");

	/* The failed adds left the directory as it was: 16 entries, still sorted. */
	uint8_t count[4], entry[FW_CFG_DIR_ENTRY_SIZE], previous[FW_CFG_FILE_NAME_SIZE] = "";

	seabios_read_entry(&fw, count, FW_CFG_FILE_DIR, 4);
	assert_int_equal(get_be(count, 4), FW_CFG_MAX_FILES);
	for (int i = 0; i < FW_CFG_MAX_FILES; i++) {
		guest_insb(&fw, entry, sizeof(entry));
		assert_true(strcmp((const char *)previous, (const char *)entry + 8) < 0);
		memcpy(previous, entry + 8, sizeof(previous));
		assert_int_equal(get_be(entry + 4, 2), 0x20 + i);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_id_has_no_dma),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_empty_directory),
		cmocka_unit_test(test_directory_seabios),
		cmocka_unit_test(test_directory_linux_and_file_contents),
		cmocka_unit_test(test_sorted_insert_moves_selectors),
		cmocka_unit_test(test_large_file),
		cmocka_unit_test(test_selector_resets_offset),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_write_channel_bit_ignored_for_reads),
		cmocka_unit_test(test_odd_accesses),
		cmocka_unit_test(test_add_file_errors),
	};

	return cmocka_run_group_tests_name("fw_cfg", tests, NULL, NULL);
}
