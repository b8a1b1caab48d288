/* SPDX-License-Identifier: MIT */
/* The bzImage loader (boot/linux.c) on images built in memory: a valid one loaded and its
 * boot_params checked field by field; malformed headers refused, table-driven, each with its
 * message and nothing written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot/bios.h"
#include "boot/linux.h"
#include "lib/le.h"

#define RAM_BYTES (64u << 20)
#define SETUP_SECTS 3u                       /* setup code: 4 * 512 bytes */
#define KERNEL_BYTES 0x3000u
#define IMAGE_BYTES ((SETUP_SECTS + 1) * 512 + KERNEL_BYTES)
#define INIT_SIZE 0x800000u                  /* 8 MiB */
#define PREF_ADDRESS 0x1000000u              /* 16 MiB, LOAD_PHYSICAL_ADDR */

/* A bzImage as the kernel's build makes one, protocol 2.15, with a recognisable kernel body. */
static uint8_t *make_image(void)
{
	uint8_t *p = calloc(1, IMAGE_BYTES);

	assert_non_null(p);
	p[0x1F1] = SETUP_SECTS;
	le_put(p + 0x1F4, KERNEL_BYTES / 16, 4);        /* syssize */
	le_put(p + 0x1FE, 0xAA55, 2);
	p[0x200] = 0xEB;                               /* jmp short: header ends at 202H + 0x6A */
	p[0x201] = 0x6A;
	le_put(p + 0x202, 0x53726448, 4);                 /* "HdrS" */
	le_put(p + 0x206, 0x020F, 2);                     /* 2.15 */
	p[0x211] = 0x01 | 0x80;                        /* LOADED_HIGH, CAN_USE_HEAP */
	le_put(p + 0x214, 0x100000, 4);
	le_put(p + 0x22C, 0x7FFFFFFF, 4);                 /* initrd_addr_max */
	le_put(p + 0x230, 0x200000, 4);                   /* kernel_alignment */
	p[0x234] = 1;                                  /* relocatable */
	le_put(p + 0x236, 0x0003, 2);                     /* XLF_KERNEL_64, above 4 GiB */
	le_put(p + 0x238, 2047, 4);                       /* cmdline_size */
	le_put(p + 0x258, PREF_ADDRESS, 8);
	le_put(p + 0x260, INIT_SIZE, 4);
	for (unsigned i = 0; i < KERNEL_BYTES; i++)
		p[(SETUP_SECTS + 1) * 512 + i] = (uint8_t)(i * 7 + 1);
	return p;
}

static void test_load(void **state)
{
	uint8_t *image = make_image(), *ram = malloc(RAM_BYTES);
	static const uint8_t initrd[5000] = { [0] = 0x30, [4999] = 0x71 };
	struct bios_memory_range map[BIOS_MEMORY_MAP_ENTRIES];
	struct linux_image plan;
	struct linux_boot boot;
	char err[200];
	const uint8_t *bp;

	(void)state;
	assert_non_null(ram);
	memset(ram, 0xCC, RAM_BYTES);
	assert_true(linux_is_bzimage(image, IMAGE_BYTES));
	assert_int_equal(linux_parse(image, IMAGE_BYTES, RAM_BYTES, &plan, err, sizeof(err)), 0);
	assert_int_equal(plan.protocol, 0x020F);
	assert_int_equal(plan.setup_bytes, 2048);
	assert_int_equal(plan.header_end, 0x26C);
	assert_int_equal(plan.kernel_bytes, KERNEL_BYTES);
	assert_int_equal(plan.footprint_end, PREF_ADDRESS + INIT_SIZE);
	assert_int_equal(linux_load(image, &plan, ram, RAM_BYTES, "console=ttyS0 quiet", initrd,
				    sizeof(initrd), 0xF0000, &boot, err, sizeof(err)), 0);

	assert_int_equal(boot.entry, 0x100000);
	assert_int_equal(boot.boot_params_gpa, LINUX_BOOT_PARAMS_GPA);
	assert_memory_equal(ram + 0x100000, image + 2048, KERNEL_BYTES);
	assert_string_equal((const char *)ram + LINUX_CMDLINE_GPA, "console=ttyS0 quiet");
	/* The initrd: page-aligned at the top of RAM. */
	assert_int_equal(boot.initrd_gpa, (RAM_BYTES - sizeof(initrd)) & ~0xFFFu);
	assert_int_equal(boot.initrd_size, sizeof(initrd));
	assert_memory_equal(ram + boot.initrd_gpa, initrd, sizeof(initrd));

	bp = ram + LINUX_BOOT_PARAMS_GPA;
	for (unsigned i = 0; i < 0x1F1; i++)               /* before the header: zeroed */
		if ((i < 0x070 || i >= 0x078) && i != 0x1E8 && bp[i] != 0)
			fail_msg("boot_params[%03X] = %02X, expected 0", i, bp[i]);
	assert_memory_equal(bp + 0x1F1, image + 0x1F1, 0x210 - 0x1F1);  /* the header as is */
	assert_int_equal(bp[0x210], 0xFF);                 /* type_of_loader: undefined */
	assert_int_equal(bp[0x211], 0x01);                 /* CAN_USE_HEAP cleared */
	assert_int_equal(le_get(bp + 0x214, 4), 0x100000);    /* code32_start */
	assert_int_equal(le_get(bp + 0x218, 4), boot.initrd_gpa);
	assert_int_equal(le_get(bp + 0x21C, 4), sizeof(initrd));
	assert_int_equal(le_get(bp + 0x228, 4), LINUX_CMDLINE_GPA);
	assert_int_equal(le_get(bp + 0x070, 8), 0xF0000);     /* acpi_rsdp_addr (2.14+) */
	for (unsigned i = 0x26C; i < 0x1000; i++)          /* past the header: zeroed but e820 */
		if ((i < 0x2D0 || i >= 0x2D0 + 4 * 20) && bp[i] != 0)
			fail_msg("boot_params[%03X] = %02X, expected 0", i, bp[i]);
	bios_memory_map(RAM_BYTES, map);
	assert_int_equal(bp[0x1E8], 4);
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *e = bp + 0x2D0 + 20 * i;

		assert_int_equal(le_get(e, 8), map[i].address);
		assert_int_equal(le_get(e + 8, 8), map[i].length);
		assert_int_equal(le_get(e + 16, 4), map[i].type);
	}
	assert_int_equal(le_get(bp + 0x2D0 + 3 * 20 + 8, 8), RAM_BYTES - 0x100000);
	free(image);
	free(ram);
}

/* One header defect per row, the message it must give. */
static void test_refused(void **state)
{
	static const struct {
		const char *name;
		unsigned offset, bytes;
		uint64_t value;
		size_t size;                 /* 0: the whole image */
		uint64_t ram;                /* 0: RAM_BYTES */
		const char *message;
	} cases[] = {
		{ "short file", 0, 0, 0, 0x200, 0, "shorter than a setup header" },
		{ "no boot flag", 0x1FE, 2, 0, 0, 0, "not a bzImage" },
		{ "no HdrS", 0x202, 4, 0x12345678, 0, 0, "not a bzImage" },
		{ "protocol 2.11", 0x206, 2, 0x020B, 0, 0, "boot protocol 2.11" },
		{ "header too short", 0x201, 1, 0x10, 0, 0, "setup header ends at" },
		{ "setup sectors past the file", 0x1F1, 1, 60, 0, 0, "reaches past the end" },
		{ "zImage", 0x211, 1, 0x00, 0, 0, "LOADED_HIGH clear" },
		{ "32-bit kernel", 0x236, 2, 0x0000, 0, 0, "XLF_KERNEL_64 clear" },
		{ "syssize too big", 0x1F4, 4, KERNEL_BYTES / 16 + 1, 0, 0, "syssize says" },
		{ "syssize 0", 0x1F4, 4, 0, 0, 0, "syssize says 0 bytes" },
		{ "RAM too small", 0, 0, 0, 0, PREF_ADDRESS + INIT_SIZE - 1, "raise mem=" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *image = make_image();
		struct linux_image plan = { .protocol = 0x1234 };
		char err[200] = "";

		if (cases[i].bytes)
			le_put(image + cases[i].offset, cases[i].value, cases[i].bytes);
		if (linux_parse(image, cases[i].size ? cases[i].size : IMAGE_BYTES,
				cases[i].ram ? cases[i].ram : RAM_BYTES, &plan, err, sizeof(err)) != -1)
			fail_msg("%s: accepted", cases[i].name);
		if (!strstr(err, cases[i].message))
			fail_msg("%s: message '%s' lacks '%s'", cases[i].name, err, cases[i].message);
		assert_int_equal(plan.protocol, 0x1234);        /* *out untouched */
		free(image);
	}
}

/* A signed image: bytes after syssize's (the signature) are not loaded. */
static void test_signature_not_loaded(void **state)
{
	uint8_t *image = make_image(), *ram = malloc(RAM_BYTES);
	struct linux_image plan;
	struct linux_boot boot;
	char err[200];

	(void)state;
	assert_non_null(ram);
	memset(ram, 0xCC, RAM_BYTES);
	le_put(image + 0x1F4, KERNEL_BYTES / 16 - 4, 4);  /* the last 64 bytes: a "signature" */
	assert_int_equal(linux_parse(image, IMAGE_BYTES, RAM_BYTES, &plan, err, sizeof(err)), 0);
	assert_int_equal(plan.kernel_bytes, KERNEL_BYTES - 64);
	assert_int_equal(linux_load(image, &plan, ram, RAM_BYTES, NULL, NULL, 0, 0, &boot, err,
				    sizeof(err)), 0);
	assert_memory_equal(ram + 0x100000, image + 2048, KERNEL_BYTES - 64);
	assert_int_equal(ram[0x100000 + KERNEL_BYTES - 64], 0xCC);
	assert_int_equal(boot.initrd_size, 0);
	assert_int_equal(ram[LINUX_CMDLINE_GPA], 0);
	free(image);
	free(ram);
}

static void test_load_refused(void **state)
{
	static const struct {
		const char *name;
		size_t cmdline_len, initrd_size;
		const char *message;
	} cases[] = {
		{ "command line too long", 2048, 0, "the kernel takes 2047 at most" },
		{ "initrd into the kernel's footprint", 10, RAM_BYTES - PREF_ADDRESS - INIT_SIZE + 1,
		  "does not fit" },
		{ "initrd larger than RAM", 10, (size_t)RAM_BYTES + 1, "does not fit" },
	};
	uint8_t *image = make_image(), *ram = malloc(RAM_BYTES);
	uint8_t *initrd = calloc(1, (size_t)RAM_BYTES + 1);
	char *cmdline = malloc(4096);
	struct linux_image plan;
	struct linux_boot boot;
	char err[200];

	(void)state;
	assert_non_null(ram);
	assert_non_null(initrd);
	assert_non_null(cmdline);
	assert_int_equal(linux_parse(image, IMAGE_BYTES, RAM_BYTES, &plan, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(cmdline, 'x', cases[i].cmdline_len);
		cmdline[cases[i].cmdline_len] = '\0';
		memset(ram, 0xCC, RAM_BYTES);
		if (linux_load(image, &plan, ram, RAM_BYTES, cmdline, initrd, cases[i].initrd_size,
			       0, &boot, err, sizeof(err)) != -1)
			fail_msg("%s: accepted", cases[i].name);
		if (!strstr(err, cases[i].message))
			fail_msg("%s: message '%s' lacks '%s'", cases[i].name, err, cases[i].message);
		for (size_t b = 0; b < RAM_BYTES; b += 4096)  /* nothing written */
			if (ram[b] != 0xCC)
				fail_msg("%s: RAM at %zx written", cases[i].name, b);
	}
	free(image);
	free(ram);
	free(initrd);
	free(cmdline);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_signature_not_loaded),
		cmocka_unit_test(test_load_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
