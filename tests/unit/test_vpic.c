/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/vpic.c: the 8259A pair and ELCR as a guest programs them through ports
 * 0x20/0x21, 0xA0/0xA1, 0x4D0/0x4D1, with a fake CPU that records every change of the master's
 * INT output. Section titles in comments are the Intel 8259A datasheet's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/vpic.h"

enum {
	MASTER_COMMAND = 0x20,
	MASTER_DATA = 0x21,
	SLAVE_COMMAND = 0xA0,
	SLAVE_DATA = 0xA1,
	ELCR1 = 0x4D0,
	ELCR2 = 0x4D1,
};

enum { MASTER = 0, SLAVE = 1 };

#define MASTER_BASE 0x20
#define SLAVE_BASE 0x70

/* OCW2 and OCW3 commands (bits 7:5 of OCW2; OCW3 with D3 = 1). */
#define NONSPECIFIC_EOI 0x20
#define SPECIFIC_EOI(level) (0x60 | (level))
#define ROTATE_NONSPECIFIC_EOI 0xA0
#define ROTATE_SPECIFIC_EOI(level) (0xE0 | (level))
#define SET_PRIORITY(lowest) (0xC0 | (lowest))
#define ROTATE_AEOI_SET 0x80
#define ROTATE_AEOI_CLEAR 0x00
#define OCW2_NOP 0x40
#define READ_IRR 0x0A
#define READ_ISR 0x0B
#define OCW3_NO_READ_CHANGE 0x08
#define POLL 0x0C
#define SMM_SET 0x68
#define SMM_CLEAR 0x48

/* What the fake CPU saw on its INTR/LINT0 line. */
struct fake_cpu {
	bool changes[256];
	size_t count;
};

static void fake_int_changed(void *ctx, bool asserted)
{
	struct fake_cpu *cpu = ctx;

	assert_true(cpu->count < ARRAY_SIZE(cpu->changes));
	if (cpu->count > 0 && cpu->changes[cpu->count - 1] == asserted)
		fail_msg("INT reported %d twice in a row", asserted);
	cpu->changes[cpu->count++] = asserted;
}

static const struct vpic_ops fake_ops = { .int_changed = fake_int_changed };

struct fixture {
	struct vpic *pic;
	struct fake_cpu cpu;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	f.pic = vpic_create(&fake_ops, &f.cpu);
	if (!f.pic)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vpic_destroy(f->pic);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------------------------- */

static uint16_t command_port(int chip)
{
	return chip == MASTER ? MASTER_COMMAND : SLAVE_COMMAND;
}

static uint16_t data_port(int chip)
{
	return chip == MASTER ? MASTER_DATA : SLAVE_DATA;
}

/* The PC's initialization (ICW1 0x11, ICW2 base, ICW3 0x04/0x02, ICW4), all unmasked. */
static void init_pair(struct vpic *pic, uint8_t icw4_master, uint8_t icw4_slave)
{
	vpic_write(pic, MASTER_COMMAND, 0x11);
	vpic_write(pic, MASTER_DATA, MASTER_BASE);
	vpic_write(pic, MASTER_DATA, 0x04);
	vpic_write(pic, MASTER_DATA, icw4_master);
	vpic_write(pic, SLAVE_COMMAND, 0x11);
	vpic_write(pic, SLAVE_DATA, SLAVE_BASE);
	vpic_write(pic, SLAVE_DATA, 0x02);
	vpic_write(pic, SLAVE_DATA, icw4_slave);
	vpic_write(pic, MASTER_DATA, 0x00);
	vpic_write(pic, SLAVE_DATA, 0x00);
}

static uint8_t read_irr(struct vpic *pic, int chip)
{
	vpic_write(pic, command_port(chip), READ_IRR);
	return vpic_read(pic, command_port(chip));
}

static uint8_t read_isr(struct vpic *pic, int chip)
{
	vpic_write(pic, command_port(chip), READ_ISR);
	return vpic_read(pic, command_port(chip));
}

static void pulse(struct vpic *pic, unsigned irq)
{
	vpic_set_irq(pic, irq, true);
	vpic_set_irq(pic, irq, false);
}

static void command(struct vpic *pic, int chip, uint8_t value)
{
	vpic_write(pic, command_port(chip), value);
}

/* An INTA cycle that must deliver `vector`. */
static void expect_ack(struct vpic *pic, int vector)
{
	int got = vpic_acknowledge(pic);

	if (got != vector)
		fail_msg("acknowledge gave vector %#x, want %#x", got, vector);
}

/* ---- ports, reset, pool ------------------------------------------------------------------------ */

static void test_handles_port(void **state)
{
	(void)state;
	for (unsigned port = 0; port <= 0xFFFF; port++) {
		bool want = port == 0x20 || port == 0x21 || port == 0xA0 || port == 0xA1 ||
			    port == 0x4D0 || port == 0x4D1;

		if (vpic_handles_port((uint16_t)port) != want)
			fail_msg("port %#x: handles %d, want %d", port, !want, want);
	}
}

static void test_reset_state(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(vpic_read(f->pic, MASTER_DATA), 0xFF);
	assert_int_equal(vpic_read(f->pic, SLAVE_DATA), 0xFF);
	assert_int_equal(vpic_read(f->pic, MASTER_COMMAND), 0x00); /* IRR */
	assert_int_equal(vpic_read(f->pic, SLAVE_COMMAND), 0x00);
	assert_int_equal(vpic_read(f->pic, ELCR1), 0x00);
	assert_int_equal(vpic_read(f->pic, ELCR2), 0x00);
	assert_false(vpic_output(f->pic));
	assert_int_equal(f->cpu.count, 0);

	/* Everything masked: a request is latched but not presented. */
	pulse(f->pic, 1);
	assert_int_equal(vpic_read(f->pic, MASTER_COMMAND), 0x02);
	assert_false(vpic_output(f->pic));
	expect_ack(f->pic, 0x07); /* vector base 0: spurious IRQ7 */
	assert_int_equal(vpic_stats(f->pic)->spurious_master, 1);

	/* Unmasked without any ICW: the reset state works, base 0. */
	vpic_write(f->pic, MASTER_DATA, 0xFD);
	assert_true(vpic_output(f->pic));
	expect_ack(f->pic, 0x01);
	assert_int_equal(read_isr(f->pic, MASTER), 0x02);

	/* vpic_reset returns to the reset state and reports INT. */
	vpic_write(f->pic, MASTER_DATA, 0xFC);
	pulse(f->pic, 0);
	assert_true(vpic_output(f->pic)); /* IRQ0 outranks IRQ1 in service */
	vpic_reset(f->pic);
	assert_false(vpic_output(f->pic));
	assert_int_equal(f->cpu.count, 4);
	assert_int_equal(vpic_read(f->pic, MASTER_DATA), 0xFF);
	assert_int_equal(vpic_read(f->pic, MASTER_COMMAND), 0x00);
	vpic_write(f->pic, MASTER_DATA, 0x00);
	assert_false(vpic_output(f->pic));
	assert_int_equal(read_isr(f->pic, MASTER), 0x00);
}

static void test_pool(void **state)
{
	struct fixture *f = *state;
	struct vpic *others[VPIC_MAX_INSTANCES];
	unsigned made = 0;

	while (made < VPIC_MAX_INSTANCES && (others[made] = vpic_create(NULL, NULL)))
		made++;
	assert_int_equal(made, VPIC_MAX_INSTANCES - 1); /* the fixture holds one */
	assert_null(vpic_create(NULL, NULL));
	/* A vPIC without ops works. */
	vpic_write(others[0], MASTER_DATA, 0x00);
	pulse(others[0], 5);
	assert_true(vpic_output(others[0]));
	assert_false(vpic_output(f->pic));
	vpic_destroy(others[0]);
	others[0] = vpic_create(NULL, NULL);
	assert_non_null(others[0]);
	assert_false(vpic_output(others[0])); /* a fresh one */
	for (unsigned i = 0; i < made; i++)
		vpic_destroy(others[i]);
}

/* ---- initialization --------------------------------------------------------------------------- */

struct init_case {
	const char *name;
	uint8_t icw1;
	uint8_t icws[4];            /* bytes written to the master's data port after ICW1 */
	unsigned icw_count;
	uint8_t vector_base;
	bool aeoi;
	bool cascade;               /* IR2 takes its vector from the slave */
	uint64_t unsupported;
};

static const struct init_case init_cases[] = {
	{ "cascade, ICW4 8086", 0x11, { 0x20, 0x04, 0x01 }, 3, 0x20, false, true, 0 },
	{ "cascade, ICW4 AEOI", 0x11, { 0x30, 0x04, 0x03 }, 3, 0x30, true, true, 0 },
	{ "cascade, ICW4 SFNM", 0x11, { 0x38, 0x04, 0x11 }, 3, 0x38, false, true, 0 },
	{ "cascade, ICW4 buffered master", 0x11, { 0x40, 0x04, 0x0D }, 3, 0x40, false, true, 0 },
	{ "cascade, ICW4 MCS-80 mode", 0x11, { 0x48, 0x04, 0x00 }, 3, 0x48, false, true, 1 },
	{ "cascade, no ICW4", 0x10, { 0x50, 0x04 }, 2, 0x50, false, true, 1 },
	{ "single, ICW4 8086", 0x13, { 0x58, 0x01 }, 2, 0x58, false, false, 0 },
	{ "single, ICW4 AEOI", 0x13, { 0x60, 0x03 }, 2, 0x60, true, false, 0 },
	{ "single, no ICW4", 0x12, { 0x68 }, 1, 0x68, false, false, 1 },
	{ "ICW2 bits 2:0 ignored", 0x11, { 0x7F, 0x04, 0x01 }, 3, 0x78, false, true, 0 },
	{ "8080 bits in ICW1 ignored", 0xF5, { 0x80, 0x04, 0x01 }, 3, 0x80, false, true, 0 },
	{ "ICW3 without IR2", 0x11, { 0x88, 0x00, 0x01 }, 3, 0x88, false, false, 0 },
	{ "restarted by a second ICW1", 0x11, { 0x90, 0x11, 0x98, 0x04 }, 4, 0x98, false, true, 0 },
};

static void test_init_sequences(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(init_cases); i++) {
		const struct init_case *c = &init_cases[i];
		struct vpic *pic = vpic_create(NULL, NULL);
		uint8_t icws[5];
		unsigned count = c->icw_count;

		(void)state;
		assert_non_null(pic);
		/* The slave as a PC sets it up. */
		vpic_write(pic, SLAVE_COMMAND, 0x11);
		vpic_write(pic, SLAVE_DATA, SLAVE_BASE);
		vpic_write(pic, SLAVE_DATA, 0x02);
		vpic_write(pic, SLAVE_DATA, 0x01);
		vpic_write(pic, SLAVE_DATA, 0x00);

		memcpy(icws, c->icws, sizeof(c->icws));
		if (i == ARRAY_SIZE(init_cases) - 1)
			icws[count++] = 0x01; /* the restarted sequence's ICW4 */
		vpic_write(pic, MASTER_COMMAND, c->icw1);
		for (unsigned j = 0; j < count; j++) {
			if (j == 1 && i == ARRAY_SIZE(init_cases) - 1)
				vpic_write(pic, MASTER_COMMAND, icws[j]); /* ICW1 again */
			else
				vpic_write(pic, MASTER_DATA, icws[j]);
		}
		/* The sequence is over: the next data byte is OCW1. */
		assert_int_equal(vpic_read(pic, MASTER_DATA), 0x00); /* ICW1 cleared IMR */
		vpic_write(pic, MASTER_DATA, 0xF9);                    /* IRQ1, IR2 unmasked */
		if (vpic_read(pic, MASTER_DATA) != 0xF9)
			fail_msg("%s: IMR reads %#x", c->name, vpic_read(pic, MASTER_DATA));

		pulse(pic, 1);
		assert_true(vpic_output(pic));
		expect_ack(pic, c->vector_base + 1);
		if (read_isr(pic, MASTER) != (c->aeoi ? 0x00 : 0x02))
			fail_msg("%s: ISR %#x after the INTA cycle", c->name, read_isr(pic, MASTER));
		vpic_write(pic, MASTER_COMMAND, SPECIFIC_EOI(1));

		pulse(pic, 9);
		assert_true(vpic_output(pic));
		if (c->cascade) {
			expect_ack(pic, SLAVE_BASE + 1);
		} else {
			expect_ack(pic, c->vector_base + 2);
			assert_int_equal(read_isr(pic, SLAVE), 0x00); /* the slave was not asked */
		}
		if (vpic_stats(pic)->unsupported != c->unsupported)
			fail_msg("%s: %lu unsupported", c->name,
				 (unsigned long)vpic_stats(pic)->unsupported);
		vpic_destroy(pic);
	}
}

/* ICW1's effects ("Initialization Command Words" a–f), plus ISR cleared (vpic.c). */
static void test_icw1_resets_state(void **state)
{
	struct fixture *f = *state;
	struct vpic *pic = f->pic;

	init_pair(pic, 0x01, 0x01);
	vpic_write(pic, ELCR1, 0x20);                /* IRQ5 level */
	vpic_set_irq(pic, 5, true);                  /* a level request, line stays high */
	vpic_set_irq(pic, 6, true);                  /* an edge request, line stays high */
	vpic_set_irq(pic, 4, true);
	expect_ack(pic, MASTER_BASE + 4);            /* IRQ4 in service */
	vpic_write(pic, MASTER_COMMAND, SET_PRIORITY(5)); /* IR6 highest: 7 before 5 */
	vpic_write(pic, MASTER_COMMAND, SMM_SET);
	vpic_write(pic, MASTER_COMMAND, ROTATE_AEOI_SET);
	vpic_write(pic, MASTER_DATA, 0xAA);
	vpic_write(pic, MASTER_COMMAND, READ_ISR);
	assert_int_equal(vpic_read(pic, MASTER_COMMAND), 0x10);

	vpic_write(pic, MASTER_COMMAND, 0x11);
	assert_int_equal(vpic_read(pic, MASTER_DATA), 0x00); /* b. IMR cleared */
	assert_int_equal(vpic_read(pic, MASTER_COMMAND), 0x20); /* e. reads IRR: IRQ5 (level)
								 * only, the edge latch is gone */
	vpic_write(pic, MASTER_DATA, MASTER_BASE);
	vpic_write(pic, MASTER_DATA, 0x04);
	vpic_write(pic, MASTER_DATA, 0x01);
	assert_int_equal(read_isr(pic, MASTER), 0x00);
	/* c. IR0 highest again (the set priority is undone): IRQ5 before IRQ7. */
	vpic_set_irq(pic, 7, true);
	expect_ack(pic, MASTER_BASE + 5);
	assert_int_equal(read_isr(pic, MASTER), 0x20); /* ICW4 without AEOI */
	vpic_set_irq(pic, 5, false);
	vpic_write(pic, MASTER_COMMAND, SPECIFIC_EOI(5));
	expect_ack(pic, MASTER_BASE + 7);
	assert_int_equal(read_isr(pic, MASTER), 0x80);
	vpic_write(pic, MASTER_COMMAND, SPECIFIC_EOI(7));
	/* IRQ6's line, high through ICW1, must fall and rise to request again. */
	assert_int_equal(read_irr(pic, MASTER) & 0x40, 0x00);
	vpic_set_irq(pic, 6, true);
	assert_int_equal(read_irr(pic, MASTER) & 0x40, 0x00);
	vpic_set_irq(pic, 6, false);
	vpic_set_irq(pic, 6, true);
	assert_int_equal(read_irr(pic, MASTER) & 0x40, 0x40);
	/* e. Special mask mode is off: a masked in-service level still blocks lower ones. */
	expect_ack(pic, MASTER_BASE + 6);
	vpic_set_irq(pic, 7, false);
	vpic_set_irq(pic, 7, true);
	vpic_write(pic, MASTER_DATA, 0x40);          /* mask IRQ6, in service */
	assert_false(vpic_output(pic));              /* IRQ7 stays behind it */
	vpic_write(pic, MASTER_COMMAND, SMM_SET);
	assert_true(vpic_output(pic));
}

/* ---- OCW1 ------------------------------------------------------------------------------------- */

static void test_imr_all_values(void **state)
{
	struct fixture *f = *state;

	init_pair(f->pic, 0x01, 0x01);
	for (unsigned v = 0; v < 256; v++) {
		vpic_write(f->pic, MASTER_DATA, (uint8_t)v);
		vpic_write(f->pic, SLAVE_DATA, (uint8_t)~v);
		assert_int_equal(vpic_read(f->pic, MASTER_DATA), v);
		assert_int_equal(vpic_read(f->pic, SLAVE_DATA), (uint8_t)~v);
	}
	/* Each IRQ: masked, a request is held in IRR without INT; unmasking presents it. */
	for (unsigned irq = 0; irq < 16; irq++) {
		int chip = irq < 8 ? MASTER : SLAVE;
		uint8_t bit = (uint8_t)(1u << (irq % 8));

		if (irq == 2)
			continue;
		vpic_write(f->pic, MASTER_DATA, 0x00);
		vpic_write(f->pic, data_port(chip), bit);
		pulse(f->pic, irq);
		if (vpic_output(f->pic))
			fail_msg("IRQ%u masked, INT asserted", irq);
		assert_int_equal(read_irr(f->pic, chip), bit);
		vpic_write(f->pic, data_port(chip), 0x00);
		if (!vpic_output(f->pic))
			fail_msg("IRQ%u unmasked, INT not asserted", irq);
		expect_ack(f->pic, irq < 8 ? MASTER_BASE + (int)irq : SLAVE_BASE + (int)irq - 8);
		if (chip == SLAVE)
			command(f->pic, SLAVE, NONSPECIFIC_EOI);
		command(f->pic, MASTER, NONSPECIFIC_EOI);
		assert_false(vpic_output(f->pic));
	}
	/* Masking the master's IR2 hides every slave IRQ. */
	vpic_write(f->pic, MASTER_DATA, 0x04);
	pulse(f->pic, 12);
	assert_false(vpic_output(f->pic));
	vpic_write(f->pic, MASTER_DATA, 0x00);
	expect_ack(f->pic, SLAVE_BASE + 4);
}

/* ---- OCW2 ------------------------------------------------------------------------------------- */

/*
 * Each OCW2 command from ISR = {1, 3, 5}: the ISR afterwards, and the priority order afterwards
 * (the order in which IRQs 0, 1, 3–7 all pending are delivered, each EOIed with a specific EOI,
 * which does not rotate).
 */
struct ocw2_case {
	const char *name;
	uint8_t commands[2];
	unsigned command_count;
	uint8_t isr_after;
	uint8_t order[7];
	uint64_t eois, empty_eois;
};

static const struct ocw2_case ocw2_cases[] = {
	{ "non-specific EOI", { NONSPECIFIC_EOI }, 1, 0x28, { 0, 1, 3, 4, 5, 6, 7 }, 1, 0 },
	{ "specific EOI 5", { SPECIFIC_EOI(5) }, 1, 0x0A, { 0, 1, 3, 4, 5, 6, 7 }, 1, 0 },
	{ "specific EOI 1", { SPECIFIC_EOI(1) }, 1, 0x28, { 0, 1, 3, 4, 5, 6, 7 }, 1, 0 },
	{ "specific EOI, not in service", { SPECIFIC_EOI(4) }, 1, 0x2A,
	  { 0, 1, 3, 4, 5, 6, 7 }, 0, 1 },
	{ "rotate on non-specific EOI", { ROTATE_NONSPECIFIC_EOI }, 1, 0x28,
	  { 3, 4, 5, 6, 7, 0, 1 }, 1, 0 },
	{ "rotate on specific EOI 3", { ROTATE_SPECIFIC_EOI(3) }, 1, 0x22,
	  { 4, 5, 6, 7, 0, 1, 3 }, 1, 0 },
	{ "rotate on specific EOI, not in service", { ROTATE_SPECIFIC_EOI(6) }, 1, 0x2A,
	  { 7, 0, 1, 3, 4, 5, 6 }, 0, 1 },
	{ "set priority 5", { SET_PRIORITY(5) }, 1, 0x2A, { 6, 7, 0, 1, 3, 4, 5 }, 0, 0 },
	{ "set priority 7", { SET_PRIORITY(7) }, 1, 0x2A, { 0, 1, 3, 4, 5, 6, 7 }, 0, 0 },
	{ "set priority 2, then non-specific EOI", { SET_PRIORITY(2), NONSPECIFIC_EOI }, 2, 0x22,
	  { 3, 4, 5, 6, 7, 0, 1 }, 1, 0 },
	{ "set priority 4, rotate on non-specific EOI", { SET_PRIORITY(4), ROTATE_NONSPECIFIC_EOI },
	  2, 0x0A, { 6, 7, 0, 1, 3, 4, 5 }, 1, 0 },
	{ "no operation", { OCW2_NOP }, 1, 0x2A, { 0, 1, 3, 4, 5, 6, 7 }, 0, 0 },
	{ "rotate in AEOI mode, set", { ROTATE_AEOI_SET }, 1, 0x2A, { 0, 1, 3, 4, 5, 6, 7 }, 0, 0 },
	{ "rotate in AEOI mode, clear", { ROTATE_AEOI_CLEAR }, 1, 0x2A,
	  { 0, 1, 3, 4, 5, 6, 7 }, 0, 0 },
};

static void test_ocw2_commands(void **state)
{
	static const unsigned requests[] = { 0, 1, 3, 4, 5, 6, 7 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ocw2_cases); i++) {
		const struct ocw2_case *c = &ocw2_cases[i];
		struct vpic *pic = vpic_create(NULL, NULL);
		struct vpic_stats before;

		assert_non_null(pic);
		init_pair(pic, 0x01, 0x01);
		/* ISR = {1, 3, 5}: the lowest first, each nests above the previous one. */
		pulse(pic, 5);
		expect_ack(pic, MASTER_BASE + 5);
		pulse(pic, 3);
		expect_ack(pic, MASTER_BASE + 3);
		pulse(pic, 1);
		expect_ack(pic, MASTER_BASE + 1);
		assert_int_equal(read_isr(pic, MASTER), 0x2A);
		before = *vpic_stats(pic);

		for (unsigned j = 0; j < c->command_count; j++)
			vpic_write(pic, MASTER_COMMAND, c->commands[j]);
		if (read_isr(pic, MASTER) != c->isr_after)
			fail_msg("%s: ISR %#x, want %#x", c->name, read_isr(pic, MASTER),
				 c->isr_after);
		if (vpic_stats(pic)->eois - before.eois != c->eois ||
		    vpic_stats(pic)->empty_eois - before.empty_eois != c->empty_eois)
			fail_msg("%s: %lu EOIs, %lu empty", c->name,
				 (unsigned long)(vpic_stats(pic)->eois - before.eois),
				 (unsigned long)(vpic_stats(pic)->empty_eois - before.empty_eois));

		for (unsigned level = 0; level < 8; level++)
			vpic_write(pic, MASTER_COMMAND, SPECIFIC_EOI(level));
		for (size_t j = 0; j < ARRAY_SIZE(requests); j++)
			pulse(pic, requests[j]);
		for (size_t j = 0; j < ARRAY_SIZE(c->order); j++) {
			int vector = vpic_acknowledge(pic);

			if (vector != MASTER_BASE + c->order[j])
				fail_msg("%s: delivery %zu is vector %#x, want IRQ%u", c->name, j,
					 vector, c->order[j]);
			vpic_write(pic, MASTER_COMMAND, SPECIFIC_EOI(c->order[j]));
		}
		assert_false(vpic_output(pic));
		vpic_destroy(pic);
	}
}

static void test_nonspecific_eoi_with_nothing_in_service(void **state)
{
	struct fixture *f = *state;

	init_pair(f->pic, 0x01, 0x01);
	vpic_write(f->pic, MASTER_COMMAND, NONSPECIFIC_EOI);
	vpic_write(f->pic, MASTER_COMMAND, ROTATE_NONSPECIFIC_EOI);
	assert_int_equal(vpic_stats(f->pic)->empty_eois, 2);
	assert_int_equal(vpic_stats(f->pic)->eois, 0);
	/* The rotate command found nothing to rotate: IR0 still first. */
	pulse(f->pic, 7);
	pulse(f->pic, 0);
	expect_ack(f->pic, MASTER_BASE + 0);
}

/* Every rotation of the priority on each chip, all eight levels pending. */
static void test_priority_all_levels_all_rotations(void **state)
{
	(void)state;
	for (int chip = MASTER; chip <= SLAVE; chip++) {
		for (unsigned lowest = 0; lowest < 8; lowest++) {
			struct vpic *pic = vpic_create(NULL, NULL);

			assert_non_null(pic);
			init_pair(pic, 0x01, 0x01);
			command(pic, chip, SET_PRIORITY(lowest));
			if (chip == MASTER) {
				for (unsigned level = 0; level < 8; level++)
					pulse(pic, level == 2 ? 8 : level);
			} else {
				for (unsigned irq = 8; irq < 16; irq++)
					pulse(pic, irq);
			}
			for (unsigned k = 1; k <= 8; k++) {
				unsigned level = (lowest + k) & 7;
				int want;

				if (chip == SLAVE)
					want = SLAVE_BASE + (int)level;
				else if (level == 2)
					want = SLAVE_BASE + 0;
				else
					want = MASTER_BASE + (int)level;
				if (vpic_acknowledge(pic) != want)
					fail_msg("chip %d, lowest %u: delivery %u is not %#x", chip,
						 lowest, k, want);
				if (chip == SLAVE) {
					command(pic, SLAVE, SPECIFIC_EOI(level));
					command(pic, MASTER, SPECIFIC_EOI(2));
				} else {
					if (level == 2)
						command(pic, SLAVE, SPECIFIC_EOI(0));
					command(pic, MASTER, SPECIFIC_EOI(level));
				}
			}
			assert_false(vpic_output(pic));
			assert_int_equal(vpic_acknowledge(pic), MASTER_BASE + 7); /* spurious */
			vpic_destroy(pic);
		}
	}
}

/* ---- OCW3 ------------------------------------------------------------------------------------- */

static void test_ocw3_read_register_and_poll(void **state)
{
	struct fixture *f = *state;
	struct vpic *pic = f->pic;

	init_pair(pic, 0x01, 0x01);
	pulse(pic, 3);
	pulse(pic, 5);
	vpic_write(pic, MASTER_COMMAND, READ_IRR);
	assert_int_equal(vpic_read(pic, MASTER_COMMAND), 0x28);
	assert_int_equal(vpic_read(pic, MASTER_COMMAND), 0x28); /* the selection stays */
	vpic_write(pic, MASTER_COMMAND, READ_ISR);
	assert_int_equal(vpic_read(pic, MASTER_COMMAND), 0x00);
	vpic_write(pic, MASTER_COMMAND, OCW3_NO_READ_CHANGE);   /* RR = 0: still ISR */
	assert_int_equal(vpic_read(pic, MASTER_COMMAND), 0x00);
	assert_int_equal(vpic_read(pic, MASTER_DATA), 0x00);    /* the data port reads IMR */

	/* Poll: the next read acknowledges the highest request and says which. */
	vpic_write(pic, MASTER_COMMAND, POLL);
	assert_int_equal(vpic_read(pic, MASTER_COMMAND), 0x83);
	assert_int_equal(vpic_read(pic, MASTER_COMMAND), 0x08); /* back to ISR reads */
	assert_int_equal(read_irr(pic, MASTER), 0x20);
	assert_false(vpic_output(pic));                         /* IRQ5 behind IRQ3 */
	vpic_write(pic, MASTER_COMMAND, POLL);
	assert_int_equal(vpic_read(pic, MASTER_COMMAND), 0x00); /* nothing eligible */
	vpic_write(pic, MASTER_COMMAND, NONSPECIFIC_EOI);
	assert_true(vpic_output(pic));
	vpic_write(pic, MASTER_COMMAND, POLL);
	assert_int_equal(vpic_read(pic, MASTER_DATA), 0x85);    /* either port */
	assert_false(vpic_output(pic));
	assert_int_equal(vpic_read(pic, MASTER_DATA), 0x00);    /* IMR again */
	assert_int_equal(read_isr(pic, MASTER), 0x20);
	vpic_write(pic, MASTER_COMMAND, NONSPECIFIC_EOI);

	/* Poll with RR in the same OCW3: the poll first, then the selected register. */
	pulse(pic, 6);
	vpic_write(pic, MASTER_COMMAND, POLL | READ_ISR);
	assert_int_equal(vpic_read(pic, MASTER_COMMAND), 0x86);
	assert_int_equal(vpic_read(pic, MASTER_COMMAND), 0x40);
	vpic_write(pic, MASTER_COMMAND, NONSPECIFIC_EOI);

	/* The slave polls on its own; a master poll reporting IR2 leaves the slave alone. */
	pulse(pic, 13);
	vpic_write(pic, MASTER_COMMAND, POLL);
	assert_int_equal(vpic_read(pic, MASTER_COMMAND), 0x82);
	assert_int_equal(read_isr(pic, SLAVE), 0x00);
	vpic_write(pic, SLAVE_COMMAND, POLL);
	assert_int_equal(vpic_read(pic, SLAVE_COMMAND), 0x85);
	assert_int_equal(read_isr(pic, SLAVE), 0x20);
	assert_int_equal(vpic_stats(pic)->polls, 6);
	assert_int_equal(vpic_stats(pic)->acknowledged[13], 0); /* polls are not INTA cycles */
}

/* "Special Mask Mode": masked in-service levels neither block nor take non-specific EOIs. */
static void test_ocw3_special_mask_mode(void **state)
{
	struct fixture *f = *state;
	struct vpic *pic = f->pic;

	init_pair(pic, 0x01, 0x01);
	pulse(pic, 3);
	expect_ack(pic, MASTER_BASE + 3);
	pulse(pic, 5);
	assert_false(vpic_output(pic));
	vpic_write(pic, MASTER_COMMAND, SMM_SET);
	assert_false(vpic_output(pic));         /* IRQ3 in service and unmasked still blocks */
	vpic_write(pic, MASTER_DATA, 0x08);     /* mask IRQ3 */
	assert_true(vpic_output(pic));
	expect_ack(pic, MASTER_BASE + 5);
	assert_int_equal(read_isr(pic, MASTER), 0x28);
	pulse(pic, 6);                          /* below 5 in service */
	assert_false(vpic_output(pic));
	vpic_write(pic, MASTER_COMMAND, NONSPECIFIC_EOI);
	assert_int_equal(read_isr(pic, MASTER), 0x08); /* 5 cleared, masked 3 skipped */
	assert_true(vpic_output(pic));
	expect_ack(pic, MASTER_BASE + 6);
	vpic_write(pic, MASTER_COMMAND, SPECIFIC_EOI(6));
	vpic_write(pic, MASTER_COMMAND, SMM_CLEAR);
	vpic_write(pic, MASTER_COMMAND, NONSPECIFIC_EOI);
	assert_int_equal(read_isr(pic, MASTER), 0x00); /* without SMM, 3 is the highest */
	/* ESMM = 0 leaves the mode alone. */
	vpic_write(pic, MASTER_COMMAND, SMM_SET);
	vpic_write(pic, MASTER_COMMAND, 0x08);  /* SMM = 0 without ESMM */
	pulse(pic, 6);
	expect_ack(pic, MASTER_BASE + 6);
	pulse(pic, 7);
	vpic_write(pic, MASTER_DATA, 0x40);     /* mask IRQ6 in service: SMM lets 7 through */
	assert_true(vpic_output(pic));
}

/* ---- cascade ----------------------------------------------------------------------------------- */

static void test_cascade_each_slave_irq(void **state)
{
	(void)state;
	for (unsigned irq = 8; irq < 16; irq++) {
		struct vpic *pic = vpic_create(NULL, NULL);
		uint8_t bit = (uint8_t)(1u << (irq - 8));

		assert_non_null(pic);
		init_pair(pic, 0x01, 0x01);
		pulse(pic, irq);
		assert_true(vpic_output(pic));
		assert_int_equal(read_irr(pic, MASTER), 0x04);
		expect_ack(pic, SLAVE_BASE + (int)irq - 8);
		assert_int_equal(read_isr(pic, MASTER), 0x04);
		assert_int_equal(read_isr(pic, SLAVE), bit);
		assert_int_equal(read_irr(pic, MASTER), 0x00);
		assert_int_equal(read_irr(pic, SLAVE), 0x00);
		assert_int_equal(vpic_stats(pic)->acknowledged[irq], 1);
		assert_int_equal(vpic_stats(pic)->acknowledged[2], 0);

		/* Master IR3 is below IR2 in service: both EOIs are needed. */
		pulse(pic, 3);
		assert_false(vpic_output(pic));
		command(pic, SLAVE, NONSPECIFIC_EOI);
		assert_int_equal(read_isr(pic, SLAVE), 0x00);
		assert_false(vpic_output(pic));
		command(pic, MASTER, NONSPECIFIC_EOI);
		assert_true(vpic_output(pic));
		expect_ack(pic, MASTER_BASE + 3);
		vpic_destroy(pic);
	}
}

static void test_cascade_nested_slave_request(void **state)
{
	struct fixture *f = *state;
	struct vpic *pic = f->pic;

	init_pair(pic, 0x01, 0x01);
	pulse(pic, 12);
	expect_ack(pic, SLAVE_BASE + 4);
	pulse(pic, 9);                          /* higher on the slave */
	assert_int_equal(read_irr(pic, MASTER), 0x04); /* the slave asks the master ... */
	assert_false(vpic_output(pic));         /* ... which has IR2 in service */
	command(pic, SLAVE, NONSPECIFIC_EOI);   /* the slave's EOI alone is not enough */
	assert_false(vpic_output(pic));
	command(pic, MASTER, NONSPECIFIC_EOI);
	assert_true(vpic_output(pic));
	expect_ack(pic, SLAVE_BASE + 1);
	pulse(pic, 0);                          /* master IRQ0 outranks IR2 in service */
	assert_true(vpic_output(pic));
	expect_ack(pic, MASTER_BASE + 0);
	assert_int_equal(read_isr(pic, MASTER), 0x05);
}

/* "The Special Fully Nested Mode": a slave's higher request passes the master's IR2 in service. */
static void test_special_fully_nested_mode(void **state)
{
	for (int sfnm = 0; sfnm <= 1; sfnm++) {
		struct vpic *pic = vpic_create(NULL, NULL);

		(void)state;
		assert_non_null(pic);
		init_pair(pic, sfnm ? 0x11 : 0x01, 0x01);
		pulse(pic, 12);
		expect_ack(pic, SLAVE_BASE + 4);
		pulse(pic, 9);
		assert_int_equal(vpic_output(pic), sfnm);
		if (sfnm) {
			expect_ack(pic, SLAVE_BASE + 1);
			assert_int_equal(read_isr(pic, SLAVE), 0x12);
			assert_int_equal(read_isr(pic, MASTER), 0x04);
			pulse(pic, 14);         /* lower than both slave levels in service */
			assert_false(vpic_output(pic));
		}
		pulse(pic, 3);                  /* master IR3 stays behind IR2 in service */
		assert_false(vpic_output(pic));
		pulse(pic, 1);
		assert_true(vpic_output(pic));
		expect_ack(pic, MASTER_BASE + 1);
		vpic_destroy(pic);
	}
}

static void test_unanswered_cascade(void **state)
{
	struct fixture *f = *state;
	struct vpic *pic = f->pic;

	init_pair(pic, 0x01, 0x01);
	/* Slave ID 3: it does not answer when the master calls slave 2. */
	vpic_write(pic, SLAVE_COMMAND, 0x11);
	vpic_write(pic, SLAVE_DATA, SLAVE_BASE);
	vpic_write(pic, SLAVE_DATA, 0x03);
	vpic_write(pic, SLAVE_DATA, 0x01);
	pulse(pic, 10);
	assert_true(vpic_output(pic));
	expect_ack(pic, 0xFF);
	assert_int_equal(read_isr(pic, SLAVE), 0x00);
	assert_int_equal(read_isr(pic, MASTER), 0x04);
	command(pic, MASTER, NONSPECIFIC_EOI);
	vpic_write(pic, SLAVE_DATA, 0x04);      /* IRQ10 masked: the slave is quiet */
	/* Master ICW3 naming IR3 as a slave input: nobody is there. */
	vpic_write(pic, MASTER_COMMAND, 0x11);
	vpic_write(pic, MASTER_DATA, MASTER_BASE);
	vpic_write(pic, MASTER_DATA, 0x0C);
	vpic_write(pic, MASTER_DATA, 0x01);
	pulse(pic, 3);
	expect_ack(pic, 0xFF);
	assert_int_equal(vpic_stats(pic)->unanswered_cascade, 2);
}

/* ---- edge and level ---------------------------------------------------------------------------- */

static void test_elcr_all_values(void **state)
{
	struct fixture *f = *state;

	for (unsigned v = 0; v < 256; v++) {
		vpic_write(f->pic, ELCR1, (uint8_t)v);
		vpic_write(f->pic, ELCR2, (uint8_t)v);
		assert_int_equal(vpic_read(f->pic, ELCR1), v & 0xF8); /* IRQ 0, 1, 2 reserved */
		assert_int_equal(vpic_read(f->pic, ELCR2), v & 0xDE); /* IRQ 8, 13 reserved */
	}
}

/* Each IRQ with ELCR asking for level: level where the bit exists, edge where it is reserved. */
static void test_edge_and_level_per_irq(void **state)
{
	(void)state;
	for (unsigned irq = 0; irq < 16; irq++) {
		struct vpic *pic;
		bool level = irq < 8 ? (0xF8 >> irq) & 1 : (0xDE >> (irq - 8)) & 1;
		int vector = irq < 8 ? MASTER_BASE + (int)irq : SLAVE_BASE + (int)irq - 8;

		if (irq == 2)
			continue;
		pic = vpic_create(NULL, NULL);
		assert_non_null(pic);
		init_pair(pic, 0x01, 0x01);
		vpic_write(pic, irq < 8 ? ELCR1 : ELCR2, 0xFF);

		vpic_set_irq(pic, irq, true);
		assert_true(vpic_output(pic));
		expect_ack(pic, vector);
		if (irq >= 8)
			command(pic, SLAVE, NONSPECIFIC_EOI);
		command(pic, MASTER, NONSPECIFIC_EOI);
		/* The line is still high: a level input requests again, an edge input does not. */
		if (vpic_output(pic) != level)
			fail_msg("IRQ%u (%s): INT %d after EOI with the line high", irq,
				 level ? "level" : "edge", !level);
		if (level)
			expect_ack(pic, vector);
		/* Lowering the line withdraws a level request; an edge needs low then high. */
		vpic_set_irq(pic, irq, false);
		if (level) {
			if (irq >= 8)
				command(pic, SLAVE, NONSPECIFIC_EOI);
			command(pic, MASTER, NONSPECIFIC_EOI);
		}
		assert_false(vpic_output(pic));
		vpic_set_irq(pic, irq, true);
		assert_true(vpic_output(pic));
		/*
		 * A pulse: the edge request stays latched; the level request goes, but a slave's
		 * request has already been latched by the master's (edge-triggered) IR2, which
		 * then gets the slave's spurious IRQ7 vector (vpic.c, as KVM).
		 */
		vpic_set_irq(pic, irq, false);
		if (vpic_output(pic) != (!level || irq >= 8))
			fail_msg("IRQ%u (%s): INT %d after a pulse", irq, level ? "level" : "edge",
				 !(!level || irq >= 8));
		if (level && irq >= 8)
			expect_ack(pic, SLAVE_BASE + 7);
		else if (!level)
			expect_ack(pic, vector);
		vpic_destroy(pic);
	}
}

/* A level request that goes away before the INTA cycle gives the default IR7 ("Edge and Level
 * Triggered Modes"); switching ELCR samples the lines. */
static void test_level_withdrawn_and_elcr_switch(void **state)
{
	struct fixture *f = *state;
	struct vpic *pic = f->pic;

	init_pair(pic, 0x01, 0x01);
	vpic_write(pic, ELCR1, 0x20);
	vpic_set_irq(pic, 5, true);
	assert_true(vpic_output(pic));
	vpic_set_irq(pic, 5, false);
	assert_false(vpic_output(pic));
	expect_ack(pic, MASTER_BASE + 7);
	assert_int_equal(read_isr(pic, MASTER), 0x00);
	/* Edge → level with the line high: requests; level → edge: the request stays latched. */
	vpic_set_irq(pic, 6, true);
	expect_ack(pic, MASTER_BASE + 6);
	command(pic, MASTER, NONSPECIFIC_EOI);
	assert_false(vpic_output(pic));
	vpic_write(pic, ELCR1, 0x40);
	assert_true(vpic_output(pic));
	vpic_write(pic, ELCR1, 0x00);
	assert_true(vpic_output(pic));
	expect_ack(pic, MASTER_BASE + 6);
	command(pic, MASTER, NONSPECIFIC_EOI);
	assert_false(vpic_output(pic));
}

/* ICW1 LTIM: every input of that chip level-triggered, the ELCR-reserved ones included. */
static void test_ltim(void **state)
{
	struct fixture *f = *state;
	struct vpic *pic = f->pic;

	init_pair(pic, 0x01, 0x01);
	vpic_write(pic, MASTER_COMMAND, 0x19);
	vpic_write(pic, MASTER_DATA, MASTER_BASE);
	vpic_write(pic, MASTER_DATA, 0x04);
	vpic_write(pic, MASTER_DATA, 0x01);
	vpic_set_irq(pic, 0, true);
	expect_ack(pic, MASTER_BASE);
	command(pic, MASTER, NONSPECIFIC_EOI);
	assert_true(vpic_output(pic));
	expect_ack(pic, MASTER_BASE);
	command(pic, MASTER, NONSPECIFIC_EOI);
	vpic_set_irq(pic, 0, false);
	assert_false(vpic_output(pic));
	assert_int_equal(read_irr(pic, MASTER), 0x00);
	/* The slave (LTIM = 0) stays edge-triggered; the master's IR2 follows the slave's INT. */
	vpic_set_irq(pic, 8, true);
	expect_ack(pic, SLAVE_BASE);
	assert_int_equal(read_irr(pic, MASTER), 0x00);
	command(pic, SLAVE, NONSPECIFIC_EOI);
	command(pic, MASTER, NONSPECIFIC_EOI);
	assert_false(vpic_output(pic));
	/* ICW1 without LTIM: back to edge; a line high through ICW1 is no new edge. */
	vpic_set_irq(pic, 1, true);
	assert_true(vpic_output(pic));
	vpic_write(pic, MASTER_COMMAND, 0x11);
	vpic_write(pic, MASTER_DATA, MASTER_BASE);
	vpic_write(pic, MASTER_DATA, 0x04);
	vpic_write(pic, MASTER_DATA, 0x01);
	assert_false(vpic_output(pic));
	vpic_set_irq(pic, 1, true);
	assert_false(vpic_output(pic));
}

/* ---- AEOI -------------------------------------------------------------------------------------- */

static void test_automatic_eoi(void **state)
{
	struct fixture *f = *state;
	struct vpic *pic = f->pic;

	init_pair(pic, 0x03, 0x03);
	pulse(pic, 4);
	expect_ack(pic, MASTER_BASE + 4);
	assert_int_equal(read_isr(pic, MASTER), 0x00);
	pulse(pic, 6);                          /* lower, yet delivered without any EOI */
	expect_ack(pic, MASTER_BASE + 6);
	pulse(pic, 11);
	expect_ack(pic, SLAVE_BASE + 3);
	assert_int_equal(read_isr(pic, MASTER), 0x00);
	assert_int_equal(read_isr(pic, SLAVE), 0x00);
	/* A slave with two requests and AEOI: the second reaches the master after the first. */
	pulse(pic, 9);
	pulse(pic, 10);
	expect_ack(pic, SLAVE_BASE + 1);
	assert_true(vpic_output(pic));
	expect_ack(pic, SLAVE_BASE + 2);
	assert_false(vpic_output(pic));
	assert_int_equal(vpic_stats(pic)->eois, 0);
}

/* "Automatic Rotation": rotate in AEOI mode makes each acknowledged level the lowest. */
static void test_rotate_in_aeoi_mode(void **state)
{
	for (int rotate = 0; rotate <= 1; rotate++) {
		static const unsigned with_rotation[] = { 0, 1, 3, 0 };
		static const unsigned without_rotation[] = { 0, 0, 1, 3 };
		const unsigned *want = rotate ? with_rotation : without_rotation;
		struct vpic *pic = vpic_create(NULL, NULL);

		(void)state;
		assert_non_null(pic);
		init_pair(pic, 0x03, 0x03);
		command(pic, MASTER, ROTATE_AEOI_SET);
		if (!rotate)
			command(pic, MASTER, ROTATE_AEOI_CLEAR);
		pulse(pic, 0);
		pulse(pic, 1);
		pulse(pic, 3);
		for (unsigned k = 0; k < 4; k++) {
			int vector = vpic_acknowledge(pic);

			if (vector != MASTER_BASE + (int)want[k])
				fail_msg("rotate %d: delivery %u vector %#x, want IRQ%u", rotate, k,
					 vector, want[k]);
			if (k == 0)
				pulse(pic, 0);  /* IRQ0 again, behind the others when rotating */
		}
		vpic_destroy(pic);
	}
}

/* ---- spurious ---------------------------------------------------------------------------------- */

static void test_spurious_irq7(void **state)
{
	struct fixture *f = *state;
	struct vpic *pic = f->pic;

	init_pair(pic, 0x01, 0x01);
	pulse(pic, 4);
	expect_ack(pic, MASTER_BASE + 4);
	/* Nothing eligible: IRQ7's vector, ISR untouched (IR7 not set, IR4 kept). */
	expect_ack(pic, MASTER_BASE + 7);
	assert_int_equal(read_isr(pic, MASTER), 0x10);
	/* A request masked after INT went up. */
	pulse(pic, 1);
	assert_true(vpic_output(pic));
	vpic_write(pic, MASTER_DATA, 0x02);
	expect_ack(pic, MASTER_BASE + 7);
	assert_int_equal(read_isr(pic, MASTER), 0x10);
	assert_int_equal(read_irr(pic, MASTER), 0x02); /* still latched */
	assert_int_equal(vpic_stats(pic)->spurious_master, 2);
	assert_int_equal(vpic_stats(pic)->acknowledged[7], 0);
	/* A real IRQ7 sets its ISR bit, which tells it from a spurious one. */
	vpic_write(pic, MASTER_DATA, 0x00);
	command(pic, MASTER, NONSPECIFIC_EOI);
	expect_ack(pic, MASTER_BASE + 1);
	command(pic, MASTER, NONSPECIFIC_EOI);
	pulse(pic, 7);
	expect_ack(pic, MASTER_BASE + 7);
	assert_int_equal(read_isr(pic, MASTER), 0x80);
	assert_int_equal(vpic_stats(pic)->acknowledged[7], 1);
	assert_int_equal(vpic_stats(pic)->spurious_master, 2);
}

static void test_spurious_irq15(void **state)
{
	struct fixture *f = *state;
	struct vpic *pic = f->pic;

	init_pair(pic, 0x01, 0x01);
	pulse(pic, 11);
	assert_true(vpic_output(pic));
	vpic_write(pic, SLAVE_DATA, 0x08);      /* the slave's request masked meanwhile */
	assert_true(vpic_output(pic));          /* the master latched IR2 */
	expect_ack(pic, SLAVE_BASE + 7);
	assert_int_equal(read_isr(pic, MASTER), 0x04); /* the guest EOIs the master only */
	assert_int_equal(read_isr(pic, SLAVE), 0x00);
	assert_int_equal(read_irr(pic, SLAVE), 0x08);
	assert_int_equal(vpic_stats(pic)->spurious_slave, 1);
	assert_int_equal(vpic_stats(pic)->spurious_master, 0);
	assert_int_equal(vpic_stats(pic)->acknowledged[15], 0);
	assert_int_equal(vpic_stats(pic)->acknowledged[11], 0);
	command(pic, MASTER, NONSPECIFIC_EOI);
	assert_false(vpic_output(pic));
	/* A level slave request that goes away: the same. */
	vpic_write(pic, ELCR2, 0x10);           /* IRQ12 level */
	vpic_set_irq(pic, 12, true);
	vpic_set_irq(pic, 12, false);
	assert_true(vpic_output(pic));
	expect_ack(pic, SLAVE_BASE + 7);
	assert_int_equal(vpic_stats(pic)->spurious_slave, 2);
}

/* ---- INT output -------------------------------------------------------------------------------- */

enum step_op { RAISE, LOWER, ACK, WRITE_MASTER, WRITE_MASTER_DATA, WRITE_SLAVE, WRITE_ELCR2 };

struct int_step {
	enum step_op op;
	unsigned arg;
	bool output;            /* INT after the step */
	size_t changes;         /* INT changes reported so far */
};

static const struct int_step int_script[] = {
	{ RAISE, 3, true, 1 },
	{ RAISE, 5, true, 1 },              /* already asserted: no second report */
	{ ACK, 0, false, 2 },               /* IRQ3 in service blocks IRQ5 */
	{ LOWER, 3, false, 2 },
	{ RAISE, 1, true, 3 },              /* outranks IRQ3 in service */
	{ WRITE_MASTER_DATA, 0x02, false, 4 }, /* masked */
	{ WRITE_MASTER_DATA, 0x00, true, 5 },
	{ ACK, 0, false, 6 },
	{ WRITE_MASTER, NONSPECIFIC_EOI, false, 6 }, /* IRQ1 done, IRQ3 still blocks 5 */
	{ WRITE_MASTER, NONSPECIFIC_EOI, true, 7 },  /* IRQ3 done: IRQ5 */
	{ WRITE_MASTER, SET_PRIORITY(4), true, 7 },
	{ ACK, 0, false, 8 },
	{ WRITE_MASTER, NONSPECIFIC_EOI, false, 8 },
	{ RAISE, 14, true, 9 },             /* through the slave */
	{ WRITE_SLAVE, 0x0B, true, 9 },     /* OCW3 changes nothing */
	{ ACK, 0, false, 10 },
	{ WRITE_SLAVE, NONSPECIFIC_EOI, false, 10 },
	{ WRITE_MASTER, NONSPECIFIC_EOI, false, 10 },
	{ WRITE_ELCR2, 0x40, true, 11 },    /* IRQ14 level, and its line is still high */
	{ ACK, 0, false, 12 },
	{ LOWER, 14, false, 12 },
	{ WRITE_SLAVE, NONSPECIFIC_EOI, false, 12 },
	{ WRITE_MASTER, NONSPECIFIC_EOI, false, 12 },
	{ RAISE, 14, true, 13 },
	{ LOWER, 14, true, 13 },            /* the master latched IR2 */
	{ WRITE_MASTER, 0x11, false, 14 },  /* ICW1: edge latches dropped */
};

static void test_int_output_changes(void **state)
{
	struct fixture *f = *state;
	struct vpic *pic = f->pic;

	init_pair(pic, 0x01, 0x01);
	assert_int_equal(f->cpu.count, 0);
	for (size_t i = 0; i < ARRAY_SIZE(int_script); i++) {
		const struct int_step *s = &int_script[i];

		switch (s->op) {
		case RAISE:
			vpic_set_irq(pic, s->arg, true);
			break;
		case LOWER:
			vpic_set_irq(pic, s->arg, false);
			break;
		case ACK:
			vpic_acknowledge(pic);
			break;
		case WRITE_MASTER:
			vpic_write(pic, MASTER_COMMAND, (uint8_t)s->arg);
			break;
		case WRITE_MASTER_DATA:
			vpic_write(pic, MASTER_DATA, (uint8_t)s->arg);
			break;
		case WRITE_SLAVE:
			vpic_write(pic, SLAVE_COMMAND, (uint8_t)s->arg);
			break;
		case WRITE_ELCR2:
			vpic_write(pic, ELCR2, (uint8_t)s->arg);
			break;
		}
		if (vpic_output(pic) != s->output || f->cpu.count != s->changes)
			fail_msg("step %zu: INT %d after %zu changes, want %d after %zu", i,
				 vpic_output(pic), f->cpu.count, s->output, s->changes);
		if (f->cpu.count && f->cpu.changes[f->cpu.count - 1] != s->output)
			fail_msg("step %zu: last report %d", i, f->cpu.changes[f->cpu.count - 1]);
	}
	assert_int_equal(vpic_stats(pic)->int_changes, f->cpu.count);
}

/* ---- misuse ------------------------------------------------------------------------------------ */

static void test_bad_ports_and_ignored_irqs(void **state)
{
	struct fixture *f = *state;
	struct vpic *pic = f->pic;

	init_pair(pic, 0x01, 0x01);
	assert_int_equal(vpic_read(pic, 0x22), 0xFF);
	vpic_write(pic, 0x22, 0x11);
	vpic_write(pic, 0x4D2, 0xFF);
	assert_int_equal(vpic_stats(pic)->bad_ports, 3);
	assert_int_equal(vpic_read(pic, MASTER_DATA), 0x00);
	vpic_set_irq(pic, 2, true);             /* the cascade is not an input */
	vpic_set_irq(pic, 16, true);
	vpic_set_irq(pic, 1000, true);
	assert_false(vpic_output(pic));
	assert_int_equal(read_irr(pic, MASTER), 0x00);
	assert_int_equal(read_irr(pic, SLAVE), 0x00);
	assert_int_equal(vpic_stats(pic)->ignored_irqs, 3);
	/* Repeating a level is not an edge. */
	vpic_set_irq(pic, 4, true);
	expect_ack(pic, MASTER_BASE + 4);
	command(pic, MASTER, NONSPECIFIC_EOI);
	vpic_set_irq(pic, 4, true);
	assert_false(vpic_output(pic));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_handles_port),
		T(test_reset_state),
		T(test_pool),
		T(test_init_sequences),
		T(test_icw1_resets_state),
		T(test_imr_all_values),
		T(test_ocw2_commands),
		T(test_nonspecific_eoi_with_nothing_in_service),
		T(test_priority_all_levels_all_rotations),
		T(test_ocw3_read_register_and_poll),
		T(test_ocw3_special_mask_mode),
		T(test_cascade_each_slave_irq),
		T(test_cascade_nested_slave_request),
		T(test_special_fully_nested_mode),
		T(test_unanswered_cascade),
		T(test_elcr_all_values),
		T(test_edge_and_level_per_irq),
		T(test_level_withdrawn_and_elcr_switch),
		T(test_ltim),
		T(test_automatic_eoi),
		T(test_rotate_in_aeoi_mode),
		T(test_spurious_irq7),
		T(test_spurious_irq15),
		T(test_int_output_changes),
		T(test_bad_ports_and_ignored_irqs),
	};
#undef T

	return cmocka_run_group_tests_name("vpic", tests, NULL, NULL);
}
