/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/pm_timer.c: the ACPI PM timer read through its port, driven by a fake
 * clock whose value the test sets. Expected values are computed independently with 128-bit
 * arithmetic: floor(elapsed * 3579545 / tsc_hz) mod 2^bits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/pm_timer.h"

#define PORT PM_TIMER_DEFAULT_PORT

struct fake_clock {
	uint64_t tsc;
	unsigned calls;
};

static uint64_t fake_now(void *ctx)
{
	struct fake_clock *clock = ctx;

	clock->calls++;
	return clock->tsc;
}

static void start_timer(struct pm_timer *t, struct fake_clock *clock, unsigned bits,
			uint64_t tsc_hz, uint64_t start_tsc)
{
	const struct pm_timer_ops ops = { fake_now, clock };
	char err[128] = "";

	clock->tsc = start_tsc;
	clock->calls = 0;
	memset(t, 0xa5, sizeof(*t));
	if (pm_timer_init(t, PORT, bits, tsc_hz, &ops, err, sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_int_equal(clock->calls, 1);      /* the start is taken at init */
}

static uint32_t expected_value(uint64_t elapsed, uint64_t tsc_hz, unsigned bits)
{
	unsigned __int128 ticks = (unsigned __int128)elapsed * 3579545u / tsc_hz;

	return (uint32_t)(ticks & (((unsigned __int128)1 << bits) - 1));
}

/* ---------------------------------------------------------------------------------------- */

static void test_counts_at_3579545_hz(void **state)
{
	static const uint64_t frequencies[] = {
		3579545,              /* one TSC tick per timer tick */
		1000000000,
		2100000000,
		2494334000,
		3000000000,
		4000000007,           /* prime-ish: no common factor with 3579545 */
		PM_TIMER_MAX_TSC_HZ,
	};
	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(frequencies); f++) {
		uint64_t hz = frequencies[f];
		const uint64_t elapsed[] = {
			0, 1, hz / 3579545, hz / 3579545 + 1, hz / 2, hz - 1, hz, hz + 1,
			10 * hz + hz / 7, 1000 * hz - 1, 1199 * hz, 1200 * hz, 3600 * hz + 12345,
			86400 * hz, 1000000 * hz + 999,
		};
		for (unsigned bits = 24; bits <= 32; bits += 8) {
			for (size_t i = 0; i < ARRAY_SIZE(elapsed); i++) {
				const uint64_t start_tsc = 0x123456789abcull;
				struct fake_clock clock;
				struct pm_timer t;
				uint32_t want, got;

				start_timer(&t, &clock, bits, hz, start_tsc);
				clock.tsc = start_tsc + elapsed[i];
				want = expected_value(elapsed[i], hz, bits);
				got = pm_timer_value(&t);
				if (got != want)
					fail_msg("%llu Hz, %u bits, %llu cycles: 0x%x, want 0x%x",
						 (unsigned long long)hz, bits,
						 (unsigned long long)elapsed[i], got, want);
				got = pm_timer_read(&t, PORT, 4);
				if (got != want)
					fail_msg("%llu Hz, %u bits, %llu cycles: IN reads 0x%x, want 0x%x",
						 (unsigned long long)hz, bits,
						 (unsigned long long)elapsed[i], got, want);
			}
		}
	}
}

static void test_one_second_is_3579545_ticks(void **state)
{
	struct fake_clock clock;
	struct pm_timer t;

	(void)state;
	start_timer(&t, &clock, 32, 3000000000u, 5000);
	assert_int_equal(pm_timer_value(&t), 0);
	clock.tsc += 3000000000u;
	assert_int_equal(pm_timer_value(&t), 3579545);
	clock.tsc += 1500000000u;
	assert_int_equal(pm_timer_value(&t), 3579545 + 1789772);   /* 1.5 s: 5369317.5 */
	/* One TSC cycle less than a timer tick after the start of a tick: still that tick. */
	clock.tsc = 5000 + 3000000000ull * 2 - 1;
	assert_int_equal(pm_timer_value(&t), 2 * 3579545 - 1);
}

static void test_wrap(void **state)
{
	static const struct {
		unsigned bits;
		uint64_t ticks;       /* elapsed timer ticks (1:1 clock) */
		uint32_t want;
	} cases[] = {
		{ 32, 0xffffffffull, 0xffffffffu },
		{ 32, 0x100000000ull, 0 },
		{ 32, 0x100000005ull, 5 },
		{ 32, 0x3fffffffeull, 0xfffffffeu },
		{ 24, 0xffffffull, 0xffffffu },
		{ 24, 0x1000000ull, 0 },
		{ 24, 0x1000007ull, 7 },
		{ 24, 0x100000000ull, 0 },
		{ 24, 0x12345678ull, 0x345678 },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fake_clock clock;
		struct pm_timer t;
		uint32_t got;

		start_timer(&t, &clock, cases[i].bits, PM_TIMER_HZ, 77);
		clock.tsc = 77 + cases[i].ticks;
		got = pm_timer_value(&t);
		if (got != cases[i].want)
			fail_msg("case %zu: %u bits after 0x%llx ticks: 0x%x, want 0x%x", i,
				 cases[i].bits, (unsigned long long)cases[i].ticks, got,
				 cases[i].want);
	}

	/* At 3 GHz a 32-bit counter wraps after 2^32 / 3579545 = 1199.86 s. */
	struct fake_clock clock;
	struct pm_timer t;
	uint32_t before, after;

	start_timer(&t, &clock, 32, 3000000000u, 0);
	clock.tsc = 3599999999000ull;         /* 1199.99... s: wrapped already */
	assert_int_equal(pm_timer_value(&t), expected_value(clock.tsc, 3000000000u, 32));
	assert_true(pm_timer_value(&t) < 1000000);
	clock.tsc = 3599000000000ull;         /* 1199.67 s: not yet */
	before = pm_timer_value(&t);
	assert_true(before > 0xfff00000u);
	clock.tsc = 3600000000000ull;
	after = pm_timer_value(&t);
	/* Across the wrap, the difference modulo 2^32 is still the elapsed ticks: a third of a
	 * second, 4295454000 - floor(4294260818.3). */
	assert_true(after < before);
	assert_int_equal((uint32_t)(after - before), 1193182u);
}

static void test_tracks_elapsed_ticks(void **state)
{
	struct fake_clock clock;
	struct pm_timer t;
	uint64_t step = 1;
	uint32_t previous;

	(void)state;
	start_timer(&t, &clock, 32, 2494334000u, 1ull << 40);
	previous = pm_timer_value(&t);
	/* Steps from 1 cycle to hours: each read moves by exactly the ticks elapsed. */
	for (int i = 0; i < 64; i++) {
		uint64_t before = clock.tsc - (1ull << 40);
		uint32_t now, want;

		clock.tsc += step;
		now = pm_timer_value(&t);
		want = (uint32_t)(expected_value(before + step, 2494334000u, 32) -
				  expected_value(before, 2494334000u, 32));
		if ((uint32_t)(now - previous) != want)
			fail_msg("step %d of %llu cycles: moved %u, want %u", i,
				 (unsigned long long)step, now - previous, want);
		previous = now;
		step = step * 3 + 1;
		if (step > 50000000000000ull)
			step = 7;
	}
}

static void test_clock_before_start_reads_zero(void **state)
{
	struct fake_clock clock;
	struct pm_timer t;

	(void)state;
	start_timer(&t, &clock, 32, 3000000000u, 1000000);
	clock.tsc = 10;
	assert_int_equal(pm_timer_value(&t), 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Port accesses                                                                            */

static void test_ports(void **state)
{
	struct fake_clock clock;
	struct pm_timer t;

	(void)state;
	start_timer(&t, &clock, 32, PM_TIMER_HZ, 0);
	assert_false(pm_timer_handles_port(&t, PORT - 1));
	for (unsigned i = 0; i < PM_TIMER_PORT_COUNT; i++)
		assert_true(pm_timer_handles_port(&t, (uint16_t)(PORT + i)));
	assert_false(pm_timer_handles_port(&t, PORT + 4));
	assert_false(pm_timer_handles_port(&t, 0));
	assert_false(pm_timer_handles_port(&t, 0xffff));
}

static void test_access_widths(void **state)
{
	static const struct {
		unsigned bits;
		uint16_t port;
		unsigned size;
		uint32_t want;
	} cases[] = {
		/* The counter reads 0x12345678 (32-bit) or 0x345678 (24-bit). */
		{ 32, PORT, 4, 0x12345678 },
		{ 32, PORT, 2, 0x5678 },
		{ 32, PORT, 1, 0x78 },
		{ 32, PORT + 1, 1, 0x56 },
		{ 32, PORT + 1, 2, 0x3456 },
		{ 32, PORT + 2, 2, 0x1234 },
		{ 32, PORT + 3, 1, 0x12 },
		{ 32, PORT + 2, 4, 0x1234 },        /* bytes beyond the register read 0 */
		{ 32, PORT + 4, 1, 0 },             /* not the timer's port */
		{ 32, PORT - 1, 4, 0 },
		{ 32, PORT, 8, 0 },                 /* no such I/O width */
		{ 32, PORT, 0, 0 },
		{ 24, PORT, 4, 0x345678 },
		{ 24, PORT, 2, 0x5678 },
		{ 24, PORT + 2, 1, 0x34 },
		{ 24, PORT + 3, 1, 0x00 },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fake_clock clock;
		struct pm_timer t;
		uint32_t got;

		start_timer(&t, &clock, cases[i].bits, PM_TIMER_HZ, 1000);
		clock.tsc = 1000 + 0x12345678;
		got = pm_timer_read(&t, cases[i].port, cases[i].size);
		if (got != cases[i].want)
			fail_msg("case %zu: %u-bit timer, IN size %u at 0x%x: 0x%x, want 0x%x", i,
				 cases[i].bits, cases[i].size, cases[i].port, got, cases[i].want);
	}
}

static void test_writes_ignored(void **state)
{
	struct fake_clock clock;
	struct pm_timer t;

	(void)state;
	start_timer(&t, &clock, 32, PM_TIMER_HZ, 0);
	clock.tsc = 1234;
	assert_int_equal(t.ignored_writes, 0);
	pm_timer_write(&t, PORT, 4, 0);
	pm_timer_write(&t, PORT + 1, 1, 0xff);
	pm_timer_write(&t, PORT, 2, 0xffff);
	assert_int_equal(t.ignored_writes, 3);
	assert_int_equal(pm_timer_read(&t, PORT, 4), 1234);   /* the count goes on unchanged */
	clock.tsc = 2000;
	assert_int_equal(pm_timer_read(&t, PORT, 4), 2000);
}

static void test_init_errors(void **state)
{
	static const struct pm_timer_ops no_clock = { NULL, NULL };
	struct fake_clock clock = { 0, 0 };
	const struct pm_timer_ops ops = { fake_now, &clock };
	static const struct {
		uint16_t port;
		unsigned bits;
		uint64_t hz;
		bool no_ops;
		const char *want;
	} cases[] = {
		{ PORT, 16, 3000000000u, false, "PM timer: width of 16 bits is neither 24 nor 32" },
		{ PORT, 0, 3000000000u, false, "neither 24 nor 32" },
		{ PORT, 32, 0, false, "PM timer: clock frequency 0 Hz is out of range" },
		{ PORT, 32, PM_TIMER_MAX_TSC_HZ + 1, false, "clock frequency 1000000000001 Hz" },
		{ 0xfffd, 32, 3000000000u, false,
		  "PM timer: ports 0xfffd..0x10000 pass the end of the I/O space" },
		{ PORT, 32, 3000000000u, true, "PM timer: no clock" },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pm_timer t;
		char err[128] = "";

		if (pm_timer_init(&t, cases[i].port, cases[i].bits, cases[i].hz,
				  cases[i].no_ops ? &no_clock : &ops, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted", i);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err, cases[i].want);
	}
	/* The last port that fits, and no error buffer at all. */
	struct pm_timer t;

	assert_int_equal(pm_timer_init(&t, 0xfffc, 32, 1, &ops, NULL, 0), 0);
	assert_true(pm_timer_handles_port(&t, 0xffff));
	assert_int_equal(pm_timer_init(&t, PORT, 12, 1, &ops, NULL, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_at_3579545_hz),
		cmocka_unit_test(test_one_second_is_3579545_ticks),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_tracks_elapsed_ticks),
		cmocka_unit_test(test_clock_before_start_reads_zero),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_access_widths),
		cmocka_unit_test(test_writes_ignored),
		cmocka_unit_test(test_init_errors),
	};

	return cmocka_run_group_tests_name("pm_timer", tests, NULL, NULL);
}
