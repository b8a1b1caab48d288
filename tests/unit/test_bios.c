/* SPDX-License-Identifier: MIT */
/* The memory the BIOS leaves (boot/bios.c) with the real handler image (boot/bios_rom.asm):
 * table-driven over the 256 vectors and the BIOS data area's fields; malformed images refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot/bios.h"

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
		{ 0x09, 0x0F, BIOS_HANDLER_MASTER_IRQ },  /* IRQ 1-7 */
		{ 0x10, 0x1A, BIOS_HANDLER_NO_SERVICE },  /* BIOS services */
		{ 0x1B, 0x5F, BIOS_HANDLER_IRET },        /* 1CH: the user tick hook */
		{ 0x60, 0x66, -1 },                        /* user vectors */
		{ 0x67, 0x6F, BIOS_HANDLER_IRET },
		{ 0x70, 0x70, BIOS_HANDLER_RTC_IRQ },     /* IRQ 8 */
		{ 0x71, 0x77, BIOS_HANDLER_SLAVE_IRQ },   /* IRQ 9-15 */
		{ 0x78, 0xFF, BIOS_HANDLER_IRET },
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

/* Each handler's first instruction, as boot/bios_rom.asm has it: a real check that the table
 * points at code and not at data or the middle of an instruction. */
static void test_handlers_start_where_the_table_says(void **state)
{
	static const struct {
		enum bios_handler handler;
		uint8_t first_byte;
	} cases[] = {
		{ BIOS_HANDLER_IRQ0, 0x50 },        /* push ax */
		{ BIOS_HANDLER_MASTER_IRQ, 0x50 },  /* push ax */
		{ BIOS_HANDLER_RTC_IRQ, 0x50 },     /* push ax */
		{ BIOS_HANDLER_SLAVE_IRQ, 0x50 },   /* push ax */
		{ BIOS_HANDLER_IRET, 0xCF },        /* iret */
		{ BIOS_HANDLER_NO_SERVICE, 0x55 },  /* push bp */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t offset = handler(cases[i].handler);

		assert_true(offset >= BIOS_ROM_OFFSET && offset < BIOS_ROM_OFFSET + rom_len());
		assert_int_equal(bios_rom_start[offset - BIOS_ROM_OFFSET], cases[i].first_byte);
	}
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
		cmocka_unit_test(test_handlers_start_where_the_table_says),
		cmocka_unit_test(test_data_areas),
		cmocka_unit_test(test_ticks),
		cmocka_unit_test(test_malformed_images),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
