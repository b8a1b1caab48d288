/* SPDX-License-Identifier: MIT */
/* The ACPI PM1a registers (devices/acpi_pm1.c), table-driven over write sequences: what each
 * register reads back and when the machine powers off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/acpi_pm1.h"

static unsigned power_offs;

static void fake_power_off(void *ctx, const char *cause)
{
	(void)ctx;
	(void)cause;
	power_offs++;
}

static const struct acpi_pm1_ops ops = { fake_power_off, NULL };

static void test_sequences(void **state)
{
	static const struct {
		const char *name;
		struct { uint16_t port; uint8_t value; } writes[4];
		unsigned count;
		uint16_t status, enable, control;    /* read back afterwards, byte by byte */
		unsigned power_offs;
		uint64_t other_sleeps;
	} cases[] = {
		{ "power-on", { { 0, 0 } }, 0, 0x0000, 0x0000, 0x0001, 0, 0 },
		{ "GBL_EN and PWRBTN_EN stay set", { { 0x602, 0x20 }, { 0x603, 0x01 } }, 2,
		  0x0000, 0x0120, 0x0001, 0, 0 },
		{ "reserved enable bits read 0", { { 0x602, 0xFF }, { 0x603, 0xFF } }, 2,
		  0x0000, 0x4721, 0x0001, 0, 0 },
		{ "status: 1s to clear change nothing", { { 0x600, 0xFF }, { 0x601, 0xFF } }, 2,
		  0x0000, 0x0000, 0x0001, 0, 0 },
		{ "SLP_TYP 5 without SLP_EN reads back", { { 0x605, 0x14 } }, 1,
		  0x0000, 0x0000, 0x1401, 0, 0 },
		{ "S5: SLP_TYP 0 with SLP_EN powers off", { { 0x605, 0x20 } }, 1,
		  0x0000, 0x0000, 0x0001, 1, 0 },
		{ "S5 after another type was set", { { 0x605, 0x14 }, { 0x605, 0x20 } }, 2,
		  0x0000, 0x0000, 0x0001, 1, 0 },
		{ "SLP_TYP 5 with SLP_EN: ignored", { { 0x605, 0x34 } }, 1,
		  0x0000, 0x0000, 0x1401, 0, 1 },
		{ "SCI_EN, GBL_RLS not kept; BM_RLS kept", { { 0x604, 0x07 } }, 1,
		  0x0000, 0x0000, 0x0003, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct acpi_pm1 pm;

		power_offs = 0;
		acpi_pm1_init(&pm, &ops);
		for (unsigned w = 0; w < cases[i].count; w++)
			acpi_pm1_write(&pm, cases[i].writes[w].port, cases[i].writes[w].value);
		uint16_t got_status = (uint16_t)(acpi_pm1_read(&pm, 0x600) |
						 acpi_pm1_read(&pm, 0x601) << 8);
		uint16_t got_enable = (uint16_t)(acpi_pm1_read(&pm, 0x602) |
						 acpi_pm1_read(&pm, 0x603) << 8);
		uint16_t got_control = (uint16_t)(acpi_pm1_read(&pm, 0x604) |
						  acpi_pm1_read(&pm, 0x605) << 8);

		if (got_status != cases[i].status || got_enable != cases[i].enable ||
		    got_control != cases[i].control || power_offs != cases[i].power_offs ||
		    pm.other_sleeps != cases[i].other_sleeps)
			fail_msg("%s: STS %04x EN %04x CNT %04x, %u power-offs, %llu other sleeps",
				 cases[i].name, got_status, got_enable, got_control, power_offs,
				 (unsigned long long)pm.other_sleeps);
	}
}

static void test_ports(void **state)
{
	struct acpi_pm1 pm;

	(void)state;
	acpi_pm1_init(&pm, &ops);
	assert_false(acpi_pm1_handles(0x5FF));
	for (uint16_t port = 0x600; port < 0x606; port++)
		assert_true(acpi_pm1_handles(port));
	assert_false(acpi_pm1_handles(0x606));
	assert_int_equal(acpi_pm1_read(&pm, 0x606), 0xFF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
