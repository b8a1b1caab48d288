/* SPDX-License-Identifier: MIT */
/* The reset registers: port 92H (System Control Port A) and CF9H (Reset Control), table-driven
 * over write sequences: which ones reset the machine, and what the registers read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/sysctl.h"

static unsigned resets;
static const char *last_cause;

static void fake_reset(void *ctx, const char *cause)
{
	(void)ctx;
	resets++;
	last_cause = cause;
}

static const struct sysctl_ops ops = { fake_reset, NULL };

static void test_writes(void **state)
{
	static const struct {
		const char *name;
		uint16_t port;
		uint8_t writes[3];
		unsigned count;
		unsigned resets;           /* after the whole sequence */
		uint8_t reads;             /* the register afterwards */
		const char *cause;
	} cases[] = {
		{ "92H power-on state", SYSCTL_PORT_A, { 0 }, 0, 0, 0x02, NULL },
		{ "92H bit 0 set: fast reset", SYSCTL_PORT_A, { 0x03 }, 1, 1, 0x03,
		  "port 92H fast reset" },
		{ "92H bit 0 kept set: one reset, at the rise", SYSCTL_PORT_A, { 0x03, 0x03 }, 2, 1,
		  0x03, "port 92H fast reset" },
		{ "92H cleared, set again: two", SYSCTL_PORT_A, { 0x01, 0x00, 0x01 }, 3, 2, 0x01,
		  "port 92H fast reset" },
		{ "92H A20 off and on: no reset", SYSCTL_PORT_A, { 0x00, 0x02 }, 2, 0, 0x02, NULL },
		{ "92H other bits read back", SYSCTL_PORT_A, { 0xF2 }, 1, 0, 0xF2, NULL },
		{ "CF9H power-on state", SYSCTL_RESET_CONTROL, { 0 }, 0, 0, 0x00, NULL },
		{ "CF9H SYS_RST alone: no reset, reads back", SYSCTL_RESET_CONTROL, { 0x02 }, 1, 0,
		  0x02, NULL },
		{ "CF9H 02H then 06H: full reset", SYSCTL_RESET_CONTROL, { 0x02, 0x06 }, 2, 1, 0x02,
		  "CF9H full reset (SYS_RST, RST_CPU)" },
		{ "CF9H 04H: CPU reset, RST_CPU does not read back", SYSCTL_RESET_CONTROL, { 0x04 }, 1,
		  1, 0x00, "CF9H CPU reset (RST_CPU)" },
		{ "CF9H 0EH twice: each write with RST_CPU resets", SYSCTL_RESET_CONTROL,
		  { 0x0E, 0x0E }, 2, 2, 0x02, "CF9H full reset (SYS_RST, RST_CPU)" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sysctl s;

		resets = 0;
		last_cause = NULL;
		sysctl_init(&s, &ops);
		for (unsigned w = 0; w < cases[i].count; w++)
			sysctl_write(&s, cases[i].port, cases[i].writes[w]);
		if (resets != cases[i].resets || s.resets != cases[i].resets)
			fail_msg("%s: %u resets, want %u", cases[i].name, resets, cases[i].resets);
		if (sysctl_read(&s, cases[i].port) != cases[i].reads)
			fail_msg("%s: reads %02x, want %02x", cases[i].name,
				 sysctl_read(&s, cases[i].port), cases[i].reads);
		if ((last_cause == NULL) != (cases[i].cause == NULL) ||
		    (last_cause && strcmp(last_cause, cases[i].cause) != 0))
			fail_msg("%s: cause '%s', want '%s'", cases[i].name,
				 last_cause ? last_cause : "(none)",
				 cases[i].cause ? cases[i].cause : "(none)");
	}
}

/* Byte accesses at 92H and CF9H only: CF8H-CFFH wider is PCI configuration mechanism #1. */
static void test_ports(void **state)
{
	(void)state;
	assert_true(sysctl_handles(0x92, 1));
	assert_true(sysctl_handles(0xCF9, 1));
	assert_false(sysctl_handles(0x92, 2));
	assert_false(sysctl_handles(0xCF8, 4));
	assert_false(sysctl_handles(0xCF9, 2));
	assert_false(sysctl_handles(0xCF8, 1));
	assert_false(sysctl_handles(0x93, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writes),
		cmocka_unit_test(test_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
