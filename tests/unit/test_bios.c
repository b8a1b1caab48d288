/* SPDX-License-Identifier: MIT */
/* The memory the BIOS leaves (boot/bios.c) with the real handler image (boot/bios_rom.asm):
 * table-driven over the 256 vectors and the BIOS data area's fields; malformed images refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot/bios.h"
#include "devices/acpi_tables.h"

extern const uint8_t bios_rom_start[], bios_rom_end[];

#define RAM_BYTES (1u << 20)

static uint16_t word_at(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static size_t rom_len(void)
{
	return (size_t)(bios_rom_end - bios_rom_start);
}

/* The handler's offset in segment F000H, from the image's table. */
static uint16_t handler(enum bios_handler h)
{
	return word_at(bios_rom_start + 2 * h);
}

static void test_vector_table(void **state)
{
	static const struct {
		unsigned first, last;
		int handler;       /* enum bios_handler, or -1: the entry is 0 */
	} ranges[] = {
		{ 0x00, 0x07, BIOS_HANDLER_IRET },        /* exceptions */
		{ 0x08, 0x08, BIOS_HANDLER_IRQ0 },        /* the tick */
		{ 0x09, 0x09, BIOS_HANDLER_KEYBOARD_IRQ },/* IRQ 1 */
		{ 0x0A, 0x0F, BIOS_HANDLER_MASTER_IRQ },  /* IRQ 2-7 */
		{ 0x10, 0x1A, BIOS_HANDLER_NO_SERVICE },  /* BIOS services */
		{ 0x1B, 0x5F, BIOS_HANDLER_IRET },        /* 1CH: the user tick hook */
		{ 0x60, 0x66, -1 },                        /* user vectors */
		{ 0x67, 0x6F, BIOS_HANDLER_IRET },
		{ 0x70, 0x70, BIOS_HANDLER_RTC_IRQ },     /* IRQ 8 */
		{ 0x71, 0x77, BIOS_HANDLER_SLAVE_IRQ },   /* IRQ 9-15 */
		{ 0x78, 0x78, BIOS_HANDLER_IRET },
		{ 0x79, 0x79, -1 },                        /* as SeaBIOS */
		{ 0x7A, 0xFF, BIOS_HANDLER_IRET },
	};
	uint8_t *ram = calloc(1, RAM_BYTES);
	char err[128];

	(void)state;
	assert_non_null(ram);
	assert_int_equal(bios_write_vector_table(ram, bios_rom_start, rom_len(), err,
						 sizeof(err)), 0);
	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		for (unsigned v = ranges[r].first; v <= ranges[r].last; v++) {
			const uint8_t *entry = ram + 4 * v;
			uint16_t offset = ranges[r].handler < 0 ? 0 : handler(ranges[r].handler);
			uint16_t segment = ranges[r].handler < 0 ? 0 : BIOS_ROM_SEGMENT;

			if (word_at(entry) != offset || word_at(entry + 2) != segment)
				fail_msg("vector %02XH: %04X:%04X, expected %04X:%04X", v,
					 word_at(entry + 2), word_at(entry), segment, offset);
		}
	}
	free(ram);
}

/*
 * Each handler's path from its entry to its IRET, decoded with the few 16-bit encodings
 * boot/bios_rom.asm uses (an unknown byte fails the test), unconditional jumps followed,
 * conditional ones not taken. The path must contain the instructions that make the handler what
 * its vector needs, and none that belong to another's: a table entry pointing at the wrong
 * handler, or a handler that forgets an EOI, fails.
 */
#define PATH_MAX_BYTES 128

/* Length of the instruction at p, or 0 when it is not one of the encodings used. */
static unsigned insn_length(const uint8_t *p)
{
	switch (p[0]) {
	case 0x50: case 0x58: case 0x1E: case 0x1F: case 0x55: case 0x5D: case 0xCF:
		return 1;
	case 0x31: case 0x8E: case 0x89: case 0x72: case 0x77: case 0xEB: case 0xCD: case 0xB0:
	case 0xB4: case 0xE6: case 0xE4:
		return 2;
	case 0xE9:
		return 3;
	case 0x80:
		return 4;                       /* or byte [bp+disp8], imm8 */
	case 0x83: case 0xC6:
		return 5;                       /* op word/byte [disp16], imm8 */
	case 0x81: case 0xC7:
		return 6;                       /* op word [disp16], imm16 */
	default:
		return 0;
	}
}

/* The bytes of the instructions on the path, concatenated, into path[]; returns their count. */
static size_t handler_path(enum bios_handler h, uint8_t *path)
{
	size_t at = handler(h) - BIOS_ROM_OFFSET, n = 0;

	for (;;) {
		assert_true(at < rom_len());
		const uint8_t *insn = bios_rom_start + at;
		unsigned len = insn_length(insn);

		if (len == 0)
			fail_msg("handler %d: unexpected byte %02X at F000:%04zX", h, insn[0],
				 at + BIOS_ROM_OFFSET);
		assert_true(n + len <= PATH_MAX_BYTES);
		memcpy(path + n, insn, len);
		n += len;
		if (insn[0] == 0xCF)
			return n;
		if (insn[0] == 0xEB)
			at += len + (size_t)(int8_t)insn[1];
		else if (insn[0] == 0xE9)
			at += len + (size_t)(int16_t)(insn[1] | insn[2] << 8);
		else
			at += len;
	}
}

static bool contains(const uint8_t *path, size_t n, const uint8_t *seq, size_t len)
{
	for (size_t i = 0; i + len <= n; i++)
		if (memcmp(path + i, seq, len) == 0)
			return true;
	return false;
}

#define SEQ(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

static void test_handlers_do_their_job(void **state)
{
	static const uint8_t EOI_MASTER[] = { 0xB0, 0x20, 0xE6, 0x20 };  /* mov al,20h; out 20h,al */
	static const uint8_t OUT_SLAVE[] = { 0xE6, 0xA0 };               /* out 0A0h,al */
	static const uint8_t IN_KBC[] = { 0xE4, 0x60 };                  /* in al,60h */
	static const uint8_t CMOS_C[] = { 0xB0, 0x0C, 0xE6, 0x70, 0xE4, 0x71 };
	uint8_t path[PATH_MAX_BYTES];
	size_t n;

	(void)state;
	n = handler_path(BIOS_HANDLER_IRQ0, path);
	assert_true(contains(path, n, SEQ(0x83, 0x06, 0x6C, 0x04, 0x01)));  /* add [46Ch],1 */
	assert_true(contains(path, n, SEQ(0x83, 0x16, 0x6E, 0x04, 0x00)));  /* adc [46Eh],0 */
	assert_true(contains(path, n, SEQ(0xCD, 0x1C)));                    /* int 1Ch */
	assert_true(contains(path, n, EOI_MASTER, sizeof(EOI_MASTER)));
	assert_false(contains(path, n, OUT_SLAVE, sizeof(OUT_SLAVE)));

	n = handler_path(BIOS_HANDLER_KEYBOARD_IRQ, path);
	assert_true(contains(path, n, IN_KBC, sizeof(IN_KBC)));
	assert_true(contains(path, n, EOI_MASTER, sizeof(EOI_MASTER)));
	assert_false(contains(path, n, OUT_SLAVE, sizeof(OUT_SLAVE)));

	n = handler_path(BIOS_HANDLER_MASTER_IRQ, path);
	assert_true(contains(path, n, EOI_MASTER, sizeof(EOI_MASTER)));
	assert_false(contains(path, n, OUT_SLAVE, sizeof(OUT_SLAVE)));
	assert_false(contains(path, n, IN_KBC, sizeof(IN_KBC)));

	n = handler_path(BIOS_HANDLER_RTC_IRQ, path);
	assert_true(contains(path, n, CMOS_C, sizeof(CMOS_C)));
	assert_true(contains(path, n, SEQ(0xB0, 0x20, 0xE6, 0xA0, 0xE6, 0x20)));  /* both EOIs */

	n = handler_path(BIOS_HANDLER_SLAVE_IRQ, path);
	assert_true(contains(path, n, SEQ(0xB0, 0x20, 0xE6, 0xA0, 0xE6, 0x20)));
	assert_false(contains(path, n, CMOS_C, sizeof(CMOS_C)));

	n = handler_path(BIOS_HANDLER_IRET, path);
	assert_int_equal(n, 1);

	n = handler_path(BIOS_HANDLER_NO_SERVICE, path);
	assert_true(contains(path, n, SEQ(0x80, 0x4E, 0x06, 0x01)));  /* or byte [bp+6],1: CF */
	assert_true(contains(path, n, SEQ(0xB4, 0x86)));              /* mov ah,86h */
	assert_false(contains(path, n, SEQ(0xE6)));                   /* no port write */
}

/* The midnight test in IRQ 0's handler is a 32-bit count >= 1800B0H: the high word compared
 * with 18H, JB to the end, JA to the wrap (a count such as 190000H wraps too), then the low word
 * with B0H and JB to the end; the wrap zeroes both words and sets the flag at 40:70. */
static void test_midnight(void **state)
{
	static const uint8_t CMP_HIGH[] = { 0x83, 0x3E, 0x6E, 0x04, 0x18 };  /* cmp [46Eh],18h */
	static const uint8_t CMP_LOW[] = { 0x81, 0x3E, 0x6C, 0x04, 0xB0, 0x00 };
	static const uint8_t WRAP[] = { 0xC7, 0x06, 0x6C, 0x04, 0x00, 0x00,    /* mov [46Ch],0 */
					0xC7, 0x06, 0x6E, 0x04, 0x00, 0x00,    /* mov [46Eh],0 */
					0xC6, 0x06, 0x70, 0x04, 0x01 };        /* mov [470h],1 */
	const uint8_t *rom = bios_rom_start;
	size_t at = handler(BIOS_HANDLER_IRQ0) - BIOS_ROM_OFFSET, cmp = 0, end;

	(void)state;
	while (at + sizeof(CMP_HIGH) < rom_len() && memcmp(rom + at, CMP_HIGH, sizeof(CMP_HIGH)))
		at += insn_length(rom + at) ? insn_length(rom + at) : 1;
	cmp = at;
	assert_memory_equal(rom + cmp, CMP_HIGH, sizeof(CMP_HIGH));
	assert_int_equal(rom[cmp + 5], 0x72);                    /* jb .counted */
	end = cmp + 7 + (size_t)(int8_t)rom[cmp + 6];
	assert_int_equal(rom[cmp + 7], 0x77);                    /* ja .midnight */
	assert_memory_equal(rom + cmp + 9 + (int8_t)rom[cmp + 8], WRAP, sizeof(WRAP));
	assert_memory_equal(rom + cmp + 9, CMP_LOW, sizeof(CMP_LOW));
	assert_int_equal(rom[cmp + 15], 0x72);                   /* jb .counted */
	assert_int_equal(cmp + 17 + (size_t)(int8_t)rom[cmp + 16], end);
	assert_memory_equal(rom + cmp + 17, WRAP, sizeof(WRAP)); /* else: the wrap */
	assert_memory_equal(rom + end, ((const uint8_t[]){ 0xCD, 0x1C }), 2); /* .counted: int 1Ch */
}

static void test_data_areas(void **state)
{
	static const struct {
		const char *name;
		uint32_t address;
		uint16_t value;
	} words[] = {
		{ "COM1", 0x400, 0x3F8 }, { "COM2", 0x402, 0 }, { "COM3", 0x404, 0 },
		{ "COM4", 0x406, 0 }, { "LPT1", 0x408, 0 }, { "EBDA segment", 0x40E, 0x9FC0 },
		{ "equipment", 0x410, 0x0202 }, { "base memory KiB", 0x413, 639 },
		{ "keyboard head", 0x41A, 0x1E }, { "keyboard tail", 0x41C, 0x1E },
		{ "ticks low", 0x46C, 0x5678 }, { "ticks high", 0x46E, 0x0012 },
		{ "video mode and columns: no video", 0x449, 0 },
		{ "keyboard buffer start", 0x480, 0x1E }, { "keyboard buffer end", 0x482, 0x3E },
	};
	uint8_t *ram = malloc(RAM_BYTES);

	(void)state;
	assert_non_null(ram);
	memset(ram, 0xA5, RAM_BYTES); /* whatever was there is overwritten */
	bios_write_data_areas(ram, bios_rom_start, rom_len());
	bios_write_ticks(ram, 0x125678);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (word_at(ram + words[i].address) != words[i].value)
			fail_msg("%s at %05X: %04X, expected %04X", words[i].name, words[i].address,
				 word_at(ram + words[i].address), words[i].value);
	assert_int_equal(ram[BIOS_EBDA_ADDRESS], 1);
	for (unsigned i = 1; i < 1024; i++)
		assert_int_equal(ram[BIOS_EBDA_ADDRESS + i], 0);
	assert_memory_equal(ram + BIOS_ROM_ADDRESS, bios_rom_start, rom_len());
	assert_int_equal(ram[0x3FF], 0xA5); /* the vector table is not the data areas' */
	free(ram);
}

static void test_ticks(void **state)
{
	static const struct {
		uint32_t seconds, ticks;
	} cases[] = {
		{ 0, 0 }, { 1, 18 }, { 10, 182 }, { 3600, 65543 }, { 86399, 1573024 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(bios_ticks_since_midnight(cases[i].seconds), cases[i].ticks);
	/* A day is 1800B0H ticks, the midnight wrap of boot/bios_rom.asm. */
	assert_true(bios_ticks_since_midnight(86399) < 0x1800B0);
}

/* The ACPI tables (from ACPI_DEFAULT_TABLES_GPA, for the most vCPUs they describe) end below the
 * handlers, which share the BIOS area with them. */
static void test_acpi_tables_below_handlers(void **state)
{
	(void)state;
	assert_true(acpi_tables_size(ACPI_MAX_CPUS) > 0);
	assert_true(ACPI_DEFAULT_TABLES_GPA + acpi_tables_size(ACPI_MAX_CPUS) <= BIOS_ROM_ADDRESS);
}

static void test_malformed_images(void **state)
{
	uint8_t image[64];
	uint8_t *ram = calloc(1, RAM_BYTES);
	char err[128];

	(void)state;
	assert_non_null(ram);
	assert_int_equal(bios_write_vector_table(ram, NULL, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "0 bytes"));
	memcpy(image, bios_rom_start, sizeof(image));
	image[2 * BIOS_HANDLER_COUNT] = 0; /* no end mark */
	assert_int_equal(bios_write_vector_table(ram, image, sizeof(image), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no end mark"));
	memcpy(image, bios_rom_start, sizeof(image));
	image[0] = 0xFF; /* handler 0 past the image */
	image[1] = 0xEF;
	assert_int_equal(bios_write_vector_table(ram, image, sizeof(image), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "outside the image"));
	for (unsigned i = 0; i < 0x400; i++)
		assert_int_equal(ram[i], 0); /* nothing written on a refusal */
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_table),
		cmocka_unit_test(test_handlers_do_their_job),
		cmocka_unit_test(test_midnight),
		cmocka_unit_test(test_data_areas),
		cmocka_unit_test(test_ticks),
		cmocka_unit_test(test_acpi_tables_below_handlers),
		cmocka_unit_test(test_malformed_images),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
