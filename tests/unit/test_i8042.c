/* SPDX-License-Identifier: MIT */
/* The 8042 keyboard controller: each controller command table-driven (what lands in the output
 * buffer, the command byte and status afterwards, resets), the status bits, IRQ 1 and IRQ 12,
 * and the bytes for the absent keyboard and mouse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/i8042.h"

static struct {
	unsigned resets;
	bool irq1, irq12;
	unsigned irq_changes;
} fake;

static void fake_irq(void *ctx, unsigned isa_irq, bool level)
{
	(void)ctx;
	fake.irq_changes++;
	if (isa_irq == 1)
		fake.irq1 = level;
	else if (isa_irq == 12)
		fake.irq12 = level;
	else
		fail_msg("IRQ %u", isa_irq);
}

static void fake_reset(void *ctx, const char *cause)
{
	(void)ctx;
	(void)cause;
	fake.resets++;
}

static const struct i8042_ops ops = { fake_irq, fake_reset, NULL };

#define NONE (-1)

static void test_commands(void **state)
{
	static const struct {
		uint8_t command;
		int data;                  /* a byte written to 60H after it, or NONE */
		int output;                /* the output buffer afterwards, or NONE (empty) */
		uint8_t command_byte;      /* afterwards */
		unsigned resets;
	} cases[] = {
		{ 0x20, NONE, 0x61, 0x61, 0 },   /* read the command byte: SeaBIOS's */
		{ 0x60, 0x47, NONE, 0x47, 0 },   /* write it */
		{ 0x60, 0x00, NONE, 0x00, 0 },
		{ 0xA7, NONE, NONE, 0x61, 0 },   /* aux already disabled */
		{ 0xA8, NONE, NONE, 0x41, 0 },
		{ 0xA9, NONE, 0x00, 0x61, 0 },
		{ 0xAA, NONE, 0x55, 0x61, 0 },
		{ 0xAB, NONE, 0x00, 0x61, 0 },
		{ 0xAD, NONE, NONE, 0x71, 0 },
		{ 0xAE, NONE, NONE, 0x61, 0 },
		{ 0xC0, NONE, 0x80, 0x61, 0 },
		{ 0xD0, NONE, 0xCF, 0x61, 0 },   /* output port: reset high, A20 on */
		{ 0xD1, 0xCF, NONE, 0x61, 0 },   /* write it, reset line kept high */
		{ 0xD1, 0xCE, NONE, 0x61, 1 },   /* reset line low */
		{ 0xD2, 0x1C, 0x1C, 0x61, 0 },   /* as if from the keyboard */
		{ 0xD3, 0xFA, 0xFA, 0x61, 0 },   /* as if from the mouse */
		{ 0xFE, NONE, NONE, 0x61, 1 },   /* pulse bit 0: reset */
		{ 0xF0, NONE, NONE, 0x61, 1 },   /* pulses bits 0-3 */
		{ 0xFF, NONE, NONE, 0x61, 0 },   /* pulses nothing */
		{ 0xFD, NONE, NONE, 0x61, 0 },   /* bit 1 only */
		{ 0xC8, NONE, NONE, 0x61, 0 },   /* not a command it has: ignored */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct i8042 k;
		uint8_t status;

		memset(&fake, 0, sizeof(fake));
		i8042_init(&k, &ops);
		i8042_write(&k, I8042_PORT_STATUS, cases[i].command);
		if (cases[i].data != NONE)
			i8042_write(&k, I8042_PORT_DATA, (uint8_t)cases[i].data);
		status = i8042_read(&k, I8042_PORT_STATUS);
		if (cases[i].output == NONE) {
			if (status & I8042_STATUS_OBF)
				fail_msg("command %02x: output buffer full", cases[i].command);
		} else {
			if (!(status & I8042_STATUS_OBF))
				fail_msg("command %02x: output buffer empty", cases[i].command);
			if (i8042_read(&k, I8042_PORT_DATA) != cases[i].output)
				fail_msg("command %02x: output %02x, want %02x", cases[i].command,
					 k.output, cases[i].output);
			if (i8042_read(&k, I8042_PORT_STATUS) & I8042_STATUS_OBF)
				fail_msg("command %02x: still full after the read", cases[i].command);
		}
		if (k.command_byte != cases[i].command_byte)
			fail_msg("command %02x: command byte %02x, want %02x", cases[i].command,
				 k.command_byte, cases[i].command_byte);
		if (fake.resets != cases[i].resets)
			fail_msg("command %02x: %u resets, want %u", cases[i].command, fake.resets,
				 cases[i].resets);
	}
}

/* Status: SYS from the self-test (the command byte's bit 2 does not move it, as in QEMU), CMD
 * the last port written, UNLOCKED always, the input buffer never full: 1CH after a command, as
 * a kernel finds it under QEMU and SeaBIOS. */
static void test_status(void **state)
{
	struct i8042 k;

	(void)state;
	i8042_init(&k, &ops);
	assert_int_equal(i8042_read(&k, I8042_PORT_STATUS), I8042_STATUS_SYS | I8042_STATUS_UNLOCKED);
	i8042_write(&k, I8042_PORT_STATUS, 0x60);
	assert_int_equal(i8042_read(&k, I8042_PORT_STATUS), 0x1C);
	i8042_write(&k, I8042_PORT_DATA, 0x00);
	assert_int_equal(i8042_read(&k, I8042_PORT_STATUS), I8042_STATUS_SYS | I8042_STATUS_UNLOCKED);
	i8042_write(&k, I8042_PORT_STATUS, 0xAA);
	assert_int_equal(i8042_read(&k, I8042_PORT_STATUS),
			 I8042_STATUS_SYS | I8042_STATUS_UNLOCKED | I8042_STATUS_CMD |
				 I8042_STATUS_OBF);
	assert_int_equal(k.unknown_commands, 0);
	i8042_write(&k, I8042_PORT_STATUS, 0xC8);
	assert_int_equal(k.unknown_commands, 1);
}

/* IRQ 1 for a keyboard byte with command-byte bit 0, IRQ 12 for an aux byte with bit 1; the
 * data port's read lowers it. */
static void test_irqs(void **state)
{
	struct i8042 k;

	(void)state;
	memset(&fake, 0, sizeof(fake));
	i8042_init(&k, &ops);
	i8042_write(&k, I8042_PORT_STATUS, 0xD2);
	i8042_write(&k, I8042_PORT_DATA, 0x1E);
	assert_true(fake.irq1);
	assert_false(fake.irq12);
	(void)i8042_read(&k, I8042_PORT_DATA);
	assert_false(fake.irq1);
	/* Aux byte: IRQ 12 only once bit 1 is set. */
	i8042_write(&k, I8042_PORT_STATUS, 0xD3);
	i8042_write(&k, I8042_PORT_DATA, 0xFA);
	assert_false(fake.irq12);
	assert_int_equal(i8042_read(&k, I8042_PORT_STATUS) & I8042_STATUS_AUX, I8042_STATUS_AUX);
	i8042_write(&k, I8042_PORT_STATUS, 0x60);
	i8042_write(&k, I8042_PORT_DATA, 0x47);
	assert_true(fake.irq12);
	assert_false(fake.irq1);
	(void)i8042_read(&k, I8042_PORT_DATA);
	assert_false(fake.irq12);
	/* Keyboard interrupts off: a command's answer raises nothing. */
	i8042_write(&k, I8042_PORT_STATUS, 0x60);
	i8042_write(&k, I8042_PORT_DATA, 0x44);
	fake.irq_changes = 0;
	i8042_write(&k, I8042_PORT_STATUS, 0xAA);
	assert_int_equal(fake.irq_changes, 0);
}

/* Nothing behind the controller: a byte for the keyboard or (D4H) the mouse times out. */
static void test_absent_devices(void **state)
{
	struct i8042 k;

	(void)state;
	i8042_init(&k, &ops);
	i8042_write(&k, I8042_PORT_DATA, 0xFF);       /* keyboard reset */
	assert_true(i8042_read(&k, I8042_PORT_STATUS) & I8042_STATUS_TIMEOUT);
	assert_false(i8042_read(&k, I8042_PORT_STATUS) & I8042_STATUS_OBF);
	i8042_write(&k, I8042_PORT_STATUS, 0xD4);
	i8042_write(&k, I8042_PORT_DATA, 0xF4);       /* mouse: enable reporting */
	assert_true(i8042_read(&k, I8042_PORT_STATUS) & I8042_STATUS_TIMEOUT);
	assert_int_equal(k.device_bytes, 2);
	assert_int_equal(fake.resets, 0);
	/* Byte accesses at 60H and 64H only. */
	assert_true(i8042_handles(0x60, 1));
	assert_true(i8042_handles(0x64, 1));
	assert_false(i8042_handles(0x60, 2));
	assert_false(i8042_handles(0x61, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_irqs),
		cmocka_unit_test(test_absent_devices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
