/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/rtc.c, the MC146818A RTC/CMOS, on a fake TSC of 32.768 MHz (one
 * time-base tick = 1000 TSC cycles): civil time, the time registers in every format, the
 * update-in-progress window, the periodic rates (table-driven over RS), update-ended and alarm
 * interrupts with register C's read-to-clear, SET and divider reset, the NMI mask, CMOS RAM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/rtc.h"

#define TICK 1000ull                        /* TSC cycles per time-base tick */
#define TSC_HZ (RTC_TIME_BASE_HZ * TICK)
#define SECOND (RTC_TIME_BASE_HZ * TICK)
#define START_TSC 5000000ull
/* 2026-12-03 14:30:15 UTC, a Thursday */
#define START_UNIX 1796308215ull

static struct {
	uint64_t tsc;
	bool level;
	unsigned raises, lowers, timer_changes;
} fake;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return fake.tsc;
}

static void fake_irq(void *ctx, bool level)
{
	(void)ctx;
	fake.level = level;
	if (level)
		fake.raises++;
	else
		fake.lowers++;
}

static void fake_timer_changed(void *ctx)
{
	(void)ctx;
	fake.timer_changes++;
}

static const struct rtc_ops ops = { fake_now, fake_irq, fake_timer_changed };

static int setup(void **state)
{
	memset(&fake, 0, sizeof(fake));
	fake.tsc = START_TSC;
	*state = rtc_create(TSC_HZ, START_UNIX, &ops, NULL);
	assert_non_null(*state);
	return 0;
}

static int teardown(void **state)
{
	rtc_destroy(*state);
	return 0;
}

static uint8_t reg(struct rtc *rtc, uint8_t index)
{
	rtc_write(rtc, RTC_PORT_INDEX, index);
	return rtc_read(rtc, RTC_PORT_DATA);
}

static void set_reg(struct rtc *rtc, uint8_t index, uint8_t value)
{
	rtc_write(rtc, RTC_PORT_INDEX, index);
	rtc_write(rtc, RTC_PORT_DATA, value);
}

/* ---- civil time ---------------------------------------------------------------------------- */

static void test_civil(void **state)
{
	static const struct {
		uint64_t unix_seconds;
		struct rtc_civil civil;
	} cases[] = {
		{ 0, { 1970, 1, 1, 0, 0, 0, 4 } },
		{ 951782400, { 2000, 2, 29, 0, 0, 0, 2 } },          /* leap day of a 400-year */
		{ 1796308215, { 2026, 12, 3, 14, 30, 15, 4 } },
		{ 4107542399ull, { 2100, 2, 28, 23, 59, 59, 0 } },   /* 2100: no leap day */
		{ 4107542400ull, { 2100, 3, 1, 0, 0, 0, 1 } },
		{ 253402300799ull, { 9999, 12, 31, 23, 59, 59, 5 } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rtc_civil c;

		rtc_civil_from_unix(cases[i].unix_seconds, &c);
		assert_memory_equal(&c, &cases[i].civil, sizeof(c));
		assert_int_equal(rtc_unix_from_civil(&c), cases[i].unix_seconds);
	}
	/* Every day of 1970-2100 round-trips. */
	for (uint64_t t = 0; t < 4133980800ull; t += 86400 + 3661) {
		struct rtc_civil c;

		rtc_civil_from_unix(t, &c);
		assert_int_equal(rtc_unix_from_civil(&c), t);
	}
}

/* ---- the time registers in each format ------------------------------------------------------- */

static void test_time_formats(void **state)
{
	static const struct {
		uint8_t b;
		uint8_t sec, min, hour, dow, dom, month, year;
	} cases[] = {
		{ RTC_B_24H, 0x15, 0x30, 0x14, 0x05, 0x03, 0x12, 0x26 },                 /* BCD */
		{ RTC_B_24H | RTC_B_DM_BINARY, 15, 30, 14, 5, 3, 12, 26 },               /* binary */
		{ 0, 0x15, 0x30, 0x82, 0x05, 0x03, 0x12, 0x26 },                         /* 12 h PM */
		{ RTC_B_DM_BINARY, 15, 30, 0x82, 5, 3, 12, 26 },
	};
	struct rtc *rtc = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_reg(rtc, RTC_REG_B, cases[i].b);
		assert_int_equal(reg(rtc, RTC_SECONDS), cases[i].sec);
		assert_int_equal(reg(rtc, RTC_MINUTES), cases[i].min);
		assert_int_equal(reg(rtc, RTC_HOURS), cases[i].hour);
		assert_int_equal(reg(rtc, RTC_DAY_OF_WEEK), cases[i].dow);
		assert_int_equal(reg(rtc, RTC_DAY_OF_MONTH), cases[i].dom);
		assert_int_equal(reg(rtc, RTC_MONTH), cases[i].month);
		assert_int_equal(reg(rtc, RTC_YEAR), cases[i].year);
		assert_int_equal(reg(rtc, RTC_CENTURY), 0x20);
	}
	/* The clock runs on the TSC: 45 s later the minute has turned. */
	set_reg(rtc, RTC_REG_B, RTC_B_24H);
	fake.tsc += 45 * SECOND;
	assert_int_equal(reg(rtc, RTC_SECONDS), 0x00);
	assert_int_equal(reg(rtc, RTC_MINUTES), 0x31);
	/* Midnight and noon in 12-hour mode: 12 AM, 12 PM. */
	set_reg(rtc, RTC_HOURS, 0x00);
	set_reg(rtc, RTC_REG_B, 0);
	assert_int_equal(reg(rtc, RTC_HOURS), 0x12);
	set_reg(rtc, RTC_HOURS, 0x92); /* 12 PM */
	set_reg(rtc, RTC_REG_B, RTC_B_24H);
	assert_int_equal(reg(rtc, RTC_HOURS), 0x12);
}

/* ---- update in progress: 244 µs before each update to the end of its 1984 µs ------------------- */

static void test_uip(void **state)
{
	struct rtc *rtc = *state;

	fake.tsc = START_TSC + SECOND - 9 * TICK;
	assert_int_equal(reg(rtc, RTC_REG_A) & RTC_A_UIP, 0);
	fake.tsc = START_TSC + SECOND - 8 * TICK;
	assert_int_equal(reg(rtc, RTC_REG_A), RTC_A_UIP | RTC_A_DV_NORMAL | 6);
	assert_int_equal(reg(rtc, RTC_SECONDS), 0x15);
	/* Through the update cycle (1984 µs = 65 ticks), with the new second already shown. */
	fake.tsc = START_TSC + SECOND;
	assert_int_equal(reg(rtc, RTC_REG_A) & RTC_A_UIP, RTC_A_UIP);
	assert_int_equal(reg(rtc, RTC_SECONDS), 0x16);
	fake.tsc = START_TSC + SECOND + 64 * TICK;
	assert_int_equal(reg(rtc, RTC_REG_A) & RTC_A_UIP, RTC_A_UIP);
	fake.tsc = START_TSC + SECOND + 65 * TICK;
	assert_int_equal(reg(rtc, RTC_REG_A) & RTC_A_UIP, 0);
	/* No updates while SET: no UIP either. */
	set_reg(rtc, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	fake.tsc = START_TSC + 2 * SECOND - 4 * TICK;
	assert_int_equal(reg(rtc, RTC_REG_A) & RTC_A_UIP, 0);
}

/* ---- periodic interrupts, table-driven over RS ------------------------------------------------- */

static void test_periodic_rates(void **state)
{
	/* "Periodic Interrupt Rate" for the 32.768 kHz time base, in ticks of it. */
	static const uint64_t period[16] = { 0, 128, 256, 4, 8, 16, 32, 64, 128, 256, 512, 1024,
					     2048, 4096, 8192, 16384 };
	struct rtc *rtc = *state;

	for (unsigned rs = 0; rs < 16; rs++) {
		teardown(state);
		setup(state);
		rtc = *state;
		set_reg(rtc, RTC_REG_A, RTC_A_DV_NORMAL | rs);
		set_reg(rtc, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
		if (!period[rs]) {
			assert_int_equal(rtc_next_event(rtc), 0);
			continue;
		}
		assert_int_equal(rtc_next_event(rtc), START_TSC + period[rs] * TICK);
		fake.tsc = START_TSC + period[rs] * TICK - 1;
		rtc_advance(rtc);
		assert_false(fake.level);
		fake.tsc++;
		rtc_advance(rtc);
		assert_true(fake.level);
		assert_int_equal(rtc_next_event(rtc), START_TSC + 2 * period[rs] * TICK);
		/* Register C: IRQF and PF, cleared by the read, which lowers IRQ 8. */
		assert_int_equal(reg(rtc, RTC_REG_C), RTC_C_IRQF | RTC_C_PF);
		assert_false(fake.level);
		assert_int_equal(reg(rtc, RTC_REG_C), 0);
		assert_int_equal(rtc_stats(rtc)->irqs, 1);
	}
}

/* A port access after an enabled event fell due, before the caller's timer fired for it (the
 * timer fires late by the exit it waits behind): the access takes the event, raises IRQ 8 with
 * it, and announces the next one, for register C (whose IRQF then shows) and any other. */
static void test_access_takes_a_due_event(void **state)
{
	static const uint8_t index[] = { RTC_REG_C, RTC_REG_A, RTC_SECONDS, 0x40 };
	struct rtc *rtc = *state;
	uint64_t period = 256 * TICK; /* RS = 1001b: 128 Hz */

	for (unsigned i = 0; i < ARRAY_SIZE(index); i++) {
		teardown(state);
		setup(state);
		rtc = *state;
		set_reg(rtc, RTC_REG_A, RTC_A_DV_NORMAL | 9);
		set_reg(rtc, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
		assert_int_equal(rtc_next_event(rtc), START_TSC + period);
		fake.timer_changes = 0;
		fake.tsc = START_TSC + period + 10;
		rtc_write(rtc, RTC_PORT_INDEX, index[i]);
		if (index[i] == RTC_REG_C) {
			assert_int_equal(rtc_read(rtc, RTC_PORT_DATA), RTC_C_IRQF | RTC_C_PF);
			assert_false(fake.level);
		} else {
			(void)rtc_read(rtc, RTC_PORT_DATA);
			assert_true(fake.level);
		}
		assert_int_equal(fake.raises, 1);
		assert_int_equal(rtc_next_event(rtc), START_TSC + 2 * period);
		assert_int_equal(fake.timer_changes, 1);
		/* A write catches up the same way. */
		fake.tsc = START_TSC + 2 * period;
		set_reg(rtc, 0x41, 0x5A);
		assert_int_equal(rtc_next_event(rtc), START_TSC + 3 * period);
		assert_int_equal(fake.timer_changes, 2);
	}
}

/* Flags latch whether or not their interrupts are enabled; enabling one later raises IRQ 8. */
static void test_flags_without_enable(void **state)
{
	struct rtc *rtc = *state;

	fake.tsc = START_TSC + SECOND;
	assert_int_equal(reg(rtc, RTC_REG_C), RTC_C_PF | RTC_C_UF);
	assert_int_equal(fake.raises, 0);
	fake.tsc += SECOND;
	rtc_advance(rtc);
	assert_false(fake.level);
	set_reg(rtc, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	assert_true(fake.level);
	assert_int_equal(reg(rtc, RTC_REG_C), RTC_C_IRQF | RTC_C_PF | RTC_C_UF);
	assert_false(fake.level);
}

/* ---- update-ended and alarm ------------------------------------------------------------------------ */

static void test_update_and_alarm(void **state)
{
	struct rtc *rtc = *state;

	set_reg(rtc, RTC_REG_A, RTC_A_DV_NORMAL); /* no periodic */
	set_reg(rtc, RTC_SECONDS_ALARM, 0x17);
	set_reg(rtc, RTC_MINUTES_ALARM, 0x30);
	set_reg(rtc, RTC_HOURS_ALARM, RTC_ALARM_DONT_CARE);
	set_reg(rtc, RTC_REG_B, RTC_B_24H | RTC_B_AIE);
	assert_int_equal(rtc_next_event(rtc), START_TSC + SECOND);
	fake.tsc = START_TSC + SECOND;
	rtc_advance(rtc);
	assert_false(fake.level); /* 14:30:16: no match */
	fake.tsc += SECOND;
	rtc_advance(rtc);
	assert_true(fake.level); /* 14:30:17 */
	assert_int_equal(reg(rtc, RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	/* Every second with all three don't-care. */
	set_reg(rtc, RTC_SECONDS_ALARM, 0xFF);
	set_reg(rtc, RTC_MINUTES_ALARM, 0xFF);
	fake.tsc += SECOND;
	rtc_advance(rtc);
	assert_int_equal(reg(rtc, RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	/* Update-ended alone. */
	set_reg(rtc, RTC_SECONDS_ALARM, 0x00);
	set_reg(rtc, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	fake.tsc += SECOND;
	rtc_advance(rtc);
	assert_int_equal(reg(rtc, RTC_REG_C), RTC_C_IRQF | RTC_C_UF);
	/* An alarm that fell due long ago, looked at now: its flag once. */
	set_reg(rtc, RTC_REG_B, RTC_B_24H);
	set_reg(rtc, RTC_SECONDS_ALARM, 0x00);
	set_reg(rtc, RTC_MINUTES_ALARM, 0x00);
	set_reg(rtc, RTC_HOURS_ALARM, 0x03);
	fake.tsc += 3 * 86400 * SECOND;
	assert_int_equal(reg(rtc, RTC_REG_C), RTC_C_AF | RTC_C_UF);
}

/* ---- setting the clock ---------------------------------------------------------------------------- */

static void test_set(void **state)
{
	struct rtc *rtc = *state;

	/* SET stops the updates (and clears UIE); the writes show at once and the clock runs on
	 * from them when SET is cleared. */
	set_reg(rtc, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	set_reg(rtc, RTC_REG_B, RTC_B_24H | RTC_B_SET | RTC_B_UIE);
	assert_int_equal(reg(rtc, RTC_REG_B), RTC_B_24H | RTC_B_SET);
	set_reg(rtc, RTC_YEAR, 0x99);
	set_reg(rtc, RTC_CENTURY, 0x19);
	set_reg(rtc, RTC_MONTH, 0x12);
	set_reg(rtc, RTC_DAY_OF_MONTH, 0x31);
	set_reg(rtc, RTC_HOURS, 0x23);
	set_reg(rtc, RTC_MINUTES, 0x59);
	set_reg(rtc, RTC_SECONDS, 0x58);
	fake.tsc += 5 * SECOND;
	assert_int_equal(reg(rtc, RTC_SECONDS), 0x58);
	set_reg(rtc, RTC_REG_B, RTC_B_24H);
	fake.tsc += 2 * SECOND;
	assert_int_equal(reg(rtc, RTC_SECONDS), 0x00);
	assert_int_equal(reg(rtc, RTC_YEAR), 0x00);
	assert_int_equal(reg(rtc, RTC_CENTURY), 0x20);
	assert_int_equal(reg(rtc, RTC_MONTH), 0x01);
	assert_int_equal(reg(rtc, RTC_DAY_OF_WEEK), 0x07); /* 2000-01-01: a Saturday */
	/* A write while the clock runs: at once, on the same beat. */
	set_reg(rtc, RTC_MINUTES, 0x10);
	assert_int_equal(reg(rtc, RTC_MINUTES), 0x10);
	assert_true(rtc_stats(rtc)->time_sets >= 8);
}

/* Divider reset (DV 110) holds the clock; back to 010, the first update comes half a second
 * later. */
static void test_divider_reset(void **state)
{
	struct rtc *rtc = *state;
	uint64_t reset_at;

	fake.tsc = START_TSC + SECOND / 4;
	set_reg(rtc, RTC_REG_A, 0x60 | 6);
	fake.tsc += 10 * SECOND;
	assert_int_equal(reg(rtc, RTC_SECONDS), 0x15);
	assert_int_equal(reg(rtc, RTC_REG_C) & RTC_C_PF, RTC_C_PF); /* before the reset */
	fake.tsc += SECOND;
	assert_int_equal(reg(rtc, RTC_REG_C), 0); /* no time base: nothing */
	reset_at = fake.tsc;
	set_reg(rtc, RTC_REG_A, RTC_A_DV_NORMAL | 6);
	fake.tsc = reset_at + SECOND / 2 - 1;
	assert_int_equal(reg(rtc, RTC_SECONDS), 0x15);
	fake.tsc = reset_at + SECOND / 2;
	assert_int_equal(reg(rtc, RTC_SECONDS), 0x16);
}

/* ---- the ports ----------------------------------------------------------------------------------- */

static void test_ports_and_ram(void **state)
{
	struct rtc *rtc = *state;

	rtc_write(rtc, RTC_PORT_INDEX, RTC_NMI_DISABLE | RTC_REG_D);
	assert_true(rtc_nmi_disabled(rtc));
	assert_int_equal(rtc_read(rtc, RTC_PORT_DATA), RTC_D_VRT);
	assert_int_equal(rtc_read(rtc, RTC_PORT_INDEX), 0xFF);
	rtc_write(rtc, RTC_PORT_INDEX, 0x40);
	assert_false(rtc_nmi_disabled(rtc));
	rtc_write(rtc, RTC_PORT_DATA, 0xA5);
	assert_int_equal(rtc_read(rtc, RTC_PORT_DATA), 0xA5);
	rtc_cmos_set(rtc, 0x34, 0x12);
	assert_int_equal(reg(rtc, 0x34), 0x12);
	/* C and D are read-only; the ports beyond are not the RTC's. */
	set_reg(rtc, RTC_REG_D, 0);
	assert_int_equal(reg(rtc, RTC_REG_D), RTC_D_VRT);
	set_reg(rtc, RTC_REG_C, 0xF0);
	assert_int_equal(reg(rtc, RTC_REG_C), 0);
	assert_int_equal(rtc_read(rtc, 0x72), 0xFF);
	rtc_write(rtc, 0x73, 1);
	assert_int_equal(rtc_stats(rtc)->bad_ports, 2);
	assert_null(rtc_create(RTC_MIN_TSC_HZ - 1, 0, &ops, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_civil),
		cmocka_unit_test_setup_teardown(test_time_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_periodic_rates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_takes_a_due_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags_without_enable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_and_alarm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_divider_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ports_and_ram, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
