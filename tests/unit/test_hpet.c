/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/hpet.c, the IA-PC HPET, on a fake TSC of 2.5 GHz (one counter tick =
 * 25 TSC cycles): the capability registers, the main counter's rate (exact against 128-bit
 * arithmetic at an odd TSC frequency), halting and writing it, one-shot timers (table-driven
 * over timers 0-2), periodic timer 0 with coalescing and Tn_VAL_SET_CNF, 32-bit mode and its
 * wrap, level-triggered status and shared lines, LegacyReplacement routing, refused routes, 32-bit
 * halves and unusual accesses, reset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/hpet.h"

#define TICK 25ull                          /* TSC cycles per counter tick */
#define TSC_HZ (HPET_COUNTER_HZ * TICK)
#define START_TSC 1000000ull
#define MAX_LOG 64

/* Route field values (Tn_INT_ROUTE_CNF) for the pins in the capability. */
#define ROUTE(pin) ((uint64_t)(pin) << HPET_TN_ROUTE_SHIFT)

static struct {
	uint64_t tsc;
	unsigned timer_changes;
	unsigned log_len;
	struct {
		unsigned gsi;
		bool level;
	} log[MAX_LOG];
	bool line[32];
} fake;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return fake.tsc;
}

static void fake_irq(void *ctx, unsigned gsi, bool level)
{
	(void)ctx;
	assert_true(gsi < 32);
	assert_true(fake.log_len < MAX_LOG);
	fake.log[fake.log_len].gsi = gsi;
	fake.log[fake.log_len].level = level;
	fake.log_len++;
	fake.line[gsi] = level;
}

static void fake_timer_changed(void *ctx)
{
	(void)ctx;
	fake.timer_changes++;
}

static const struct hpet_ops ops = { fake_now, fake_irq, fake_timer_changed };

static int setup(void **state)
{
	memset(&fake, 0, sizeof(fake));
	fake.tsc = START_TSC;
	*state = hpet_create(TSC_HZ, &ops, NULL);
	assert_non_null(*state);
	return 0;
}

static int teardown(void **state)
{
	hpet_destroy(*state);
	return 0;
}

static void fresh(void **state)
{
	teardown(state);
	setup(state);
}

static uint64_t rd64(struct hpet *h, uint64_t offset)
{
	return hpet_read(h, offset, 8);
}

static uint64_t rd32(struct hpet *h, uint64_t offset)
{
	return hpet_read(h, offset, 4);
}

static void wr64(struct hpet *h, uint64_t offset, uint64_t value)
{
	hpet_write(h, offset, 8, value);
}

static void wr32(struct hpet *h, uint64_t offset, uint64_t value)
{
	hpet_write(h, offset, 4, value);
}

/* The TSC at which the counter, enabled at START_TSC from 0, shows `ticks`. */
static uint64_t at_tick(uint64_t ticks)
{
	return START_TSC + ticks * TICK;
}

/* Sets the TSC and lets the caller's timer fire. */
static void advance_to(struct hpet *h, uint64_t tsc)
{
	fake.tsc = tsc;
	hpet_advance(h);
}

/* The log holds exactly one pulse on `gsi` since entry `from`. */
static void assert_pulse(unsigned from, unsigned gsi)
{
	assert_int_equal(fake.log_len, from + 2);
	assert_int_equal(fake.log[from].gsi, gsi);
	assert_true(fake.log[from].level);
	assert_int_equal(fake.log[from + 1].gsi, gsi);
	assert_false(fake.log[from + 1].level);
}

/* ---- the capability registers ---------------------------------------------------------------- */

static void test_capabilities(void **state)
{
	struct hpet *h = *state;

	assert_int_equal(rd64(h, HPET_CAPABILITIES), 0x009896808086A201ull);
	assert_int_equal(HPET_CAPABILITIES_VALUE, 0x009896808086A201ull);
	assert_int_equal(rd32(h, HPET_CAPABILITIES), 0x8086A201u);
	assert_int_equal(rd32(h, HPET_CAPABILITIES + 4), 10000000u); /* fs per tick: 100 MHz */
	wr64(h, HPET_CAPABILITIES, 0);
	wr32(h, HPET_CAPABILITIES + 4, 0);
	assert_int_equal(rd64(h, HPET_CAPABILITIES), 0x009896808086A201ull);
	assert_int_equal(hpet_stats(h)->read_only_writes, 2);
	/* Reset state: halted, no status; timer 0 periodic-capable, all 64-bit, pins 20-23. */
	assert_int_equal(rd64(h, HPET_CONFIG), 0);
	assert_int_equal(rd64(h, HPET_STATUS), 0);
	assert_int_equal(rd64(h, HPET_COUNTER), 0);
	assert_int_equal(rd64(h, HPET_TIMER_CONFIG(0)), 0x00F0000000000030ull);
	assert_int_equal(rd64(h, HPET_TIMER_CONFIG(1)), 0x00F0000000000020ull);
	assert_int_equal(rd64(h, HPET_TIMER_CONFIG(2)), 0x00F0000000000020ull);
	for (unsigned n = 0; n < HPET_TIMER_COUNT; n++)
		assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(n)), UINT64_MAX);
	/* Read-only and reserved configuration bits stay as they are: FSB, the caps. */
	wr64(h, HPET_TIMER_CONFIG(1), ~0ull & ~HPET_TN_ROUTE_MASK);
	assert_int_equal(rd64(h, HPET_TIMER_CONFIG(1)),
			 0x00F0000000000020ull | HPET_TN_INT_TYPE_LEVEL | HPET_TN_INT_ENB |
				 HPET_TN_VAL_SET | HPET_TN_32MODE);
	wr64(h, HPET_CONFIG, ~0ull & ~HPET_CFG_ENABLE);
	assert_int_equal(rd64(h, HPET_CONFIG), HPET_CFG_LEG_RT);
	assert_null(hpet_create(HPET_MIN_TSC_HZ - 1, &ops, NULL));
	assert_null(hpet_create(HPET_MAX_TSC_HZ + 1, &ops, NULL));
}

/* ---- the main counter ------------------------------------------------------------------------ */

static void test_counter_rate(void **state)
{
	static const struct {
		uint64_t cycles, ticks;
	} cases[] = {
		{ 0, 0 },
		{ 24, 0 },
		{ 25, 1 },
		{ 49, 1 },
		{ 50, 2 },
		{ TSC_HZ, HPET_COUNTER_HZ },                          /* one second */
		{ TSC_HZ * 86400 * 365 + 13, HPET_COUNTER_HZ * 86400 * 365 },
	};
	static const uint64_t odd_cycles[] = { 1, 28, 29, 2893000001ull, 2893000002ull,
					       123456789012345ull, 1ull << 60 };
	const uint64_t odd_hz = 2893000001ull;
	struct hpet *h = *state, *odd;

	/* Halted: the TSC moves, the counter does not. */
	fake.tsc += 1000 * TICK;
	assert_int_equal(rd64(h, HPET_COUNTER), 0);
	fake.tsc = START_TSC;
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fake.tsc = START_TSC + cases[i].cycles;
		assert_int_equal(rd64(h, HPET_COUNTER), cases[i].ticks);
	}
	/* Halting freezes it; enabling goes on from the frozen value. */
	wr64(h, HPET_CONFIG, 0);
	wr64(h, HPET_COUNTER, 0);
	fake.tsc = START_TSC;
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	fake.tsc = at_tick(1000) + 7;
	wr64(h, HPET_CONFIG, 0);
	fake.tsc += 1000000;
	assert_int_equal(rd64(h, HPET_COUNTER), 1000);
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	fake.tsc += 10 * TICK;
	assert_int_equal(rd64(h, HPET_COUNTER), 1010);
	/* A TSC read earlier than the last one: the counter does not go back. */
	fake.tsc -= 5 * TICK;
	assert_int_equal(rd64(h, HPET_COUNTER), 1010);
	/* A TSC that is not a multiple of 100 MHz: floor(cycles * 10^8 / tsc_hz), exactly. */
	fake.tsc = 0;
	odd = hpet_create(odd_hz, &ops, NULL);
	assert_non_null(odd);
	wr64(odd, HPET_CONFIG, HPET_CFG_ENABLE);
	for (size_t i = 0; i < ARRAY_SIZE(odd_cycles); i++) {
		fake.tsc = odd_cycles[i];
		assert_int_equal(rd64(odd, HPET_COUNTER),
				 (uint64_t)((unsigned __int128)odd_cycles[i] * HPET_COUNTER_HZ /
					    odd_hz));
	}
	/* The event for a match falls on the first TSC where the counter shows it. */
	fake.tsc = 0;
	wr64(odd, HPET_CONFIG, 0);
	wr64(odd, HPET_COUNTER, 0);
	wr64(odd, HPET_TIMER_CONFIG(0), HPET_TN_INT_ENB | ROUTE(20));
	/* The reset comparator (all ones) is 5,800 years away: past the TSC's range, none. */
	wr64(odd, HPET_CONFIG, HPET_CFG_ENABLE);
	assert_int_equal(hpet_next_event(odd), 0);
	wr64(odd, HPET_CONFIG, 0);
	wr64(odd, HPET_TIMER_COMPARATOR(0), 777777777);
	wr64(odd, HPET_CONFIG, HPET_CFG_ENABLE);
	assert_int_equal(hpet_next_event(odd),
			 (uint64_t)(((unsigned __int128)777777777 * odd_hz + HPET_COUNTER_HZ - 1) /
				    HPET_COUNTER_HZ));
	fake.tsc = hpet_next_event(odd) - 1;
	assert_int_equal(rd64(odd, HPET_COUNTER), 777777776);
	fake.tsc++;
	assert_int_equal(fake.log_len, 0);
	assert_int_equal(rd64(odd, HPET_COUNTER), 777777777);
	assert_pulse(0, 20);
	/* A TSC slower than the counter (Bochs' 4 MHz): 25 ticks per cycle, events rounded up. */
	{
		struct hpet *slow;

		hpet_destroy(odd);
		fake.tsc = 0;
		slow = hpet_create(4000000, &ops, NULL);
		assert_non_null(slow);
		wr64(slow, HPET_TIMER_CONFIG(0), HPET_TN_INT_ENB | ROUTE(20));
		wr64(slow, HPET_TIMER_COMPARATOR(0), 101);
		wr64(slow, HPET_CONFIG, HPET_CFG_ENABLE);
		fake.tsc = 1;
		assert_int_equal(rd64(slow, HPET_COUNTER), 25);
		assert_int_equal(hpet_next_event(slow), 5);      /* 125 >= 101 first at cycle 5 */
		odd = slow;
	}
	hpet_destroy(odd);
}

static void test_counter_write(void **state)
{
	struct hpet *h = *state;

	wr64(h, HPET_COUNTER, 0x123456789ABCDEF0ull);
	assert_int_equal(rd64(h, HPET_COUNTER), 0x123456789ABCDEF0ull);
	wr32(h, HPET_COUNTER, 0x11111111);
	assert_int_equal(rd64(h, HPET_COUNTER), 0x1234567811111111ull);
	wr32(h, HPET_COUNTER + 4, 0x22222222);
	assert_int_equal(rd64(h, HPET_COUNTER), 0x2222222211111111ull);
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	fake.tsc += 5 * TICK;
	assert_int_equal(rd64(h, HPET_COUNTER), 0x2222222211111116ull);
	/* Running: writes are ignored and counted. */
	wr64(h, HPET_COUNTER, 0);
	wr32(h, HPET_COUNTER + 4, 0);
	assert_int_equal(rd64(h, HPET_COUNTER), 0x2222222211111116ull);
	assert_int_equal(hpet_stats(h)->running_counter_writes, 2);
}

/* ---- one-shot timers, table-driven over the timers ------------------------------------------- */

static void test_one_shot(void **state)
{
	static const struct {
		unsigned timer;
		uint64_t comparator;
		unsigned pin;
	} cases[] = {
		{ 0, 1000, 20 },
		{ 1, 1, 21 },
		{ 2, 123456789, 23 },
		{ 0, HPET_COUNTER_HZ, 22 },
		{ 1, 1ull << 40, 20 },
	};
	struct hpet *h = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned n = cases[i].timer;
		uint64_t due = at_tick(cases[i].comparator);

		fresh(state);
		h = *state;
		wr64(h, HPET_TIMER_CONFIG(n), HPET_TN_INT_ENB | ROUTE(cases[i].pin));
		wr64(h, HPET_TIMER_COMPARATOR(n), cases[i].comparator);
		assert_int_equal(hpet_next_event(h), 0); /* halted */
		assert_int_equal(fake.timer_changes, 0);
		wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
		assert_int_equal(hpet_next_event(h), due);
		assert_int_equal(fake.timer_changes, 1);
		advance_to(h, due - 1);
		assert_int_equal(fake.log_len, 0);
		advance_to(h, due);
		assert_pulse(0, cases[i].pin);
		/* Once: a 64-bit one-shot comparator matches again only after 2^64 ticks. */
		assert_int_equal(hpet_next_event(h), 0);
		assert_int_equal(fake.timer_changes, 2);
		assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(n)), cases[i].comparator);
		advance_to(h, due + 1000 * TSC_HZ);
		assert_int_equal(fake.log_len, 2);
		assert_int_equal(hpet_stats(h)->irqs, 1);
	}
	/* A register access after the match, before the caller's timer fired, takes it: the
	 * pulse first, then the counter the guest reads; the timer is disarmed. */
	fresh(state);
	h = *state;
	wr64(h, HPET_TIMER_CONFIG(2), HPET_TN_INT_ENB | ROUTE(22));
	wr64(h, HPET_TIMER_COMPARATOR(2), 50);
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	fake.tsc = at_tick(60);
	assert_int_equal(rd64(h, HPET_COUNTER), 60);
	assert_pulse(0, 22);
	assert_int_equal(hpet_next_event(h), 0);
	assert_int_equal(fake.timer_changes, 2);
	/* A comparator written at or behind the counter waits for it to come round. */
	wr64(h, HPET_TIMER_COMPARATOR(2), 60);
	assert_int_equal(hpet_next_event(h), 0);
	wr64(h, HPET_TIMER_COMPARATOR(2), 61);
	assert_int_equal(hpet_next_event(h), at_tick(61));
}

/* ---- periodic timer 0 ------------------------------------------------------------------------ */

static void test_periodic(void **state)
{
	const uint64_t c = 1000, p = 250;
	struct hpet *h = *state;

	/* Linux's sequence: Tn_VAL_SET_CNF, the first match, then the period. */
	wr64(h, HPET_TIMER_CONFIG(0),
	     HPET_TN_INT_ENB | HPET_TN_PERIODIC | HPET_TN_VAL_SET | ROUTE(20));
	wr64(h, HPET_TIMER_COMPARATOR(0), c);
	wr64(h, HPET_TIMER_COMPARATOR(0), p);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), c);
	assert_int_equal(rd64(h, HPET_TIMER_CONFIG(0)) & HPET_TN_VAL_SET, 0);
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(hpet_next_event(h), at_tick(c + k * p));
		advance_to(h, at_tick(c + k * p) - 1);
		assert_int_equal(fake.log_len, 2 * k);
		advance_to(h, at_tick(c + k * p));
		assert_pulse(2 * k, 20);
		assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), c + (k + 1) * p);
	}
	/* Late by three periods and a bit: one pulse, two coalesced, the comparator past now. */
	advance_to(h, at_tick(c + 5 * p + 10));
	assert_pulse(6, 20);
	assert_int_equal(hpet_stats(h)->coalesced, 2);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), c + 6 * p);
	assert_int_equal(hpet_next_event(h), at_tick(c + 6 * p));
	assert_int_equal(hpet_stats(h)->irqs, 4);
	/* Interrupt disabled: the comparator still moves (read), nothing is sent or coalesced. */
	wr64(h, HPET_TIMER_CONFIG(0), HPET_TN_PERIODIC | ROUTE(20));
	assert_int_equal(hpet_next_event(h), 0);
	fake.tsc = at_tick(c + 20 * p);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), c + 21 * p);
	assert_int_equal(fake.log_len, 8);
	assert_int_equal(hpet_stats(h)->coalesced, 2);
}

static void test_val_set(void **state)
{
	struct hpet *h = *state;

	/* Periodic without Tn_VAL_SET_CNF: a write sets the period only. */
	wr64(h, HPET_TIMER_CONFIG(0), HPET_TN_INT_ENB | HPET_TN_PERIODIC | ROUTE(20));
	wr64(h, HPET_TIMER_COMPARATOR(0), 500);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), UINT64_MAX);
	/* With it: comparator and period; the bit reads back until that write, then clears. */
	wr64(h, HPET_TIMER_CONFIG(0),
	     HPET_TN_INT_ENB | HPET_TN_PERIODIC | HPET_TN_VAL_SET | ROUTE(20));
	assert_int_equal(rd64(h, HPET_TIMER_CONFIG(0)) & HPET_TN_VAL_SET, HPET_TN_VAL_SET);
	wr64(h, HPET_TIMER_COMPARATOR(0), 100);
	assert_int_equal(rd64(h, HPET_TIMER_CONFIG(0)) & HPET_TN_VAL_SET, 0);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), 100);
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	advance_to(h, at_tick(100));
	assert_pulse(0, 20);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), 200); /* period 100 from that write */
	wr64(h, HPET_TIMER_COMPARATOR(0), 300);                   /* the period alone */
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), 200);
	advance_to(h, at_tick(200));
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), 500);

	/* A 64-bit accumulator in 32-bit halves: Tn_VAL_SET_CNF again before the high half. */
	fresh(state);
	h = *state;
	wr64(h, HPET_TIMER_CONFIG(0), HPET_TN_PERIODIC | HPET_TN_VAL_SET);
	wr32(h, HPET_TIMER_COMPARATOR(0), 0x10);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), 0xFFFFFFFF00000010ull);
	wr32(h, HPET_TIMER_COMPARATOR(0) + 4, 0); /* VAL_SET consumed: the period's high half */
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), 0xFFFFFFFF00000010ull);
	wr32(h, HPET_TIMER_CONFIG(0), HPET_TN_PERIODIC | HPET_TN_VAL_SET);
	wr32(h, HPET_TIMER_COMPARATOR(0) + 4, 0);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), 0x10);

	/* One-shot: a write sets the comparator and the period; periodic later repeats it. */
	fresh(state);
	h = *state;
	wr64(h, HPET_TIMER_CONFIG(0), HPET_TN_INT_ENB | ROUTE(21));
	wr64(h, HPET_TIMER_COMPARATOR(0), 200);
	wr64(h, HPET_TIMER_CONFIG(0), HPET_TN_INT_ENB | HPET_TN_PERIODIC | ROUTE(21));
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	advance_to(h, at_tick(200));
	assert_pulse(0, 21);
	assert_int_equal(hpet_next_event(h), at_tick(400));

	/* Timers 1 and 2 cannot be periodic: Tn_TYPE_CNF stays 0. */
	for (unsigned n = 1; n < HPET_TIMER_COUNT; n++) {
		wr64(h, HPET_TIMER_CONFIG(n), HPET_TN_PERIODIC | HPET_TN_VAL_SET);
		assert_int_equal(rd64(h, HPET_TIMER_CONFIG(n)) & HPET_TN_PERIODIC, 0);
		wr64(h, HPET_TIMER_COMPARATOR(n), 1234);
		assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(n)), 1234);
	}
}

/* ---- 32-bit mode ----------------------------------------------------------------------------- */

static void test_32bit_mode(void **state)
{
	struct hpet *h = *state;

	/* Truncated when set; the high half reads 0 and ignores writes. */
	wr64(h, HPET_TIMER_CONFIG(1), HPET_TN_32MODE);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(1)), 0xFFFFFFFFull);
	wr64(h, HPET_TIMER_COMPARATOR(1), 0x100000020ull);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(1)), 0x20);
	wr32(h, HPET_TIMER_COMPARATOR(1) + 4, 5);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(1)), 0x20);

	/* One-shot: a match at the low half's wrap to 0, one at the comparator, then the next
	 * wrap 2^32 ticks later. */
	wr64(h, HPET_TIMER_CONFIG(1), HPET_TN_32MODE | HPET_TN_INT_ENB | ROUTE(21));
	wr64(h, HPET_COUNTER, 0x7FFFFFF00ull);
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	assert_int_equal(hpet_next_event(h), at_tick(0x100));
	advance_to(h, at_tick(0x100));
	assert_pulse(0, 21);
	assert_int_equal(hpet_next_event(h), at_tick(0x120));
	advance_to(h, at_tick(0x120));
	assert_pulse(2, 21);
	assert_int_equal(hpet_next_event(h), at_tick(0x100 + (1ull << 32)));
	fake.tsc = at_tick(0x100 + (1ull << 32));
	assert_int_equal(rd64(h, HPET_COUNTER), 0x900000000ull);
	assert_pulse(4, 21);

	/* Periodic: the comparator wraps at 2^32 with the low half of the counter. */
	fresh(state);
	h = *state;
	wr64(h, HPET_COUNTER, 0xFFFFFF00ull);
	wr64(h, HPET_TIMER_CONFIG(0), HPET_TN_32MODE | HPET_TN_PERIODIC | HPET_TN_VAL_SET |
					      HPET_TN_INT_ENB | ROUTE(20));
	wr64(h, HPET_TIMER_COMPARATOR(0), 0xFFFFFFF0ull);
	wr64(h, HPET_TIMER_COMPARATOR(0), 0x20);
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	assert_int_equal(hpet_next_event(h), at_tick(0xF0));
	advance_to(h, at_tick(0xF0));
	assert_pulse(0, 20);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), 0x10);
	assert_int_equal(hpet_next_event(h), at_tick(0x110));
	advance_to(h, at_tick(0x110));
	assert_pulse(2, 20);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), 0x30);
}

/* ---- level-triggered interrupts -------------------------------------------------------------- */

static void test_level(void **state)
{
	struct hpet *h = *state;

	wr64(h, HPET_TIMER_CONFIG(2), HPET_TN_INT_TYPE_LEVEL | HPET_TN_INT_ENB | ROUTE(22));
	wr64(h, HPET_TIMER_COMPARATOR(2), 100);
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	advance_to(h, at_tick(100));
	assert_int_equal(fake.log_len, 1);
	assert_true(fake.line[22]);
	assert_int_equal(rd64(h, HPET_STATUS), 1u << 2);
	assert_int_equal(rd32(h, HPET_STATUS), 1u << 2);
	advance_to(h, at_tick(1000));
	assert_int_equal(fake.log_len, 1);
	/* Writing 0 leaves it; writing 1 clears it and lowers the line. */
	wr64(h, HPET_STATUS, 0);
	wr64(h, HPET_STATUS, 1u << 1);
	assert_true(fake.line[22]);
	wr32(h, HPET_STATUS, 1u << 2);
	assert_false(fake.line[22]);
	assert_int_equal(rd64(h, HPET_STATUS), 0);
	assert_int_equal(fake.log_len, 2);

	/* Interrupt disabled: the status bit is set all the same, no line; enabling the
	 * interrupt with the bit set raises it. */
	wr64(h, HPET_TIMER_CONFIG(1), HPET_TN_INT_TYPE_LEVEL | ROUTE(21));
	wr64(h, HPET_TIMER_COMPARATOR(1), 2000);
	assert_int_equal(hpet_next_event(h), 0);
	fake.tsc = at_tick(2000);
	assert_int_equal(rd64(h, HPET_STATUS), 1u << 1);
	assert_int_equal(fake.log_len, 2);
	wr64(h, HPET_TIMER_CONFIG(1), HPET_TN_INT_TYPE_LEVEL | HPET_TN_INT_ENB | ROUTE(21));
	assert_true(fake.line[21]);
	/* Halting the counter lowers it, enabling raises it again (the bit is still set). */
	wr64(h, HPET_CONFIG, 0);
	assert_false(fake.line[21]);
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	assert_true(fake.line[21]);
	/* Switching the timer to edge clears its bit and lowers its line. */
	wr64(h, HPET_TIMER_CONFIG(1), HPET_TN_INT_ENB | ROUTE(21));
	assert_false(fake.line[21]);
	assert_int_equal(rd64(h, HPET_STATUS), 0);

	/* Two level timers on one pin: the line stays high until both bits are cleared. */
	fresh(state);
	h = *state;
	for (unsigned n = 1; n <= 2; n++) {
		wr64(h, HPET_TIMER_CONFIG(n), HPET_TN_INT_TYPE_LEVEL | HPET_TN_INT_ENB | ROUTE(23));
		wr64(h, HPET_TIMER_COMPARATOR(n), 10 * n);
	}
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	advance_to(h, at_tick(10));
	assert_true(fake.line[23]);
	assert_int_equal(hpet_next_event(h), at_tick(20));
	advance_to(h, at_tick(20));
	assert_int_equal(rd64(h, HPET_STATUS), 6);
	assert_int_equal(fake.log_len, 1);
	wr64(h, HPET_STATUS, 2);
	assert_true(fake.line[23]);
	wr64(h, HPET_STATUS, 4);
	assert_false(fake.line[23]);
	assert_int_equal(fake.log_len, 2);
}

/* ---- routing --------------------------------------------------------------------------------- */

static void test_legacy_replacement(void **state)
{
	static const struct {
		unsigned timer;
		uint64_t comparator;
		unsigned gsi;
	} cases[] = {
		{ 0, 10, HPET_LEGACY_GSI_TIMER0 },
		{ 1, 20, HPET_LEGACY_GSI_TIMER1 },
		{ 2, 30, 22 },                 /* timer 2 keeps its Tn_INT_ROUTE_CNF */
	};
	struct hpet *h = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		wr64(h, HPET_TIMER_CONFIG(cases[i].timer), HPET_TN_INT_ENB | ROUTE(20 + i));
		wr64(h, HPET_TIMER_COMPARATOR(cases[i].timer), cases[i].comparator);
	}
	wr64(h, HPET_CONFIG, HPET_CFG_LEG_RT);
	assert_true(hpet_legacy_replacement(h));  /* mutes the PIT and RTC already */
	assert_int_equal(hpet_next_event(h), 0);  /* the counter is halted */
	wr64(h, HPET_CONFIG, HPET_CFG_LEG_RT | HPET_CFG_ENABLE);
	assert_true(hpet_legacy_replacement(h));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(hpet_next_event(h), at_tick(cases[i].comparator));
		advance_to(h, at_tick(cases[i].comparator));
		assert_pulse(2 * (unsigned)i, cases[i].gsi);
	}
	/* A level line follows the route: leaving LegacyReplacement moves it from GSI 8 to the
	 * timer's pin. */
	wr64(h, HPET_TIMER_CONFIG(1), HPET_TN_INT_TYPE_LEVEL | HPET_TN_INT_ENB | ROUTE(21));
	wr64(h, HPET_TIMER_COMPARATOR(1), 100);
	advance_to(h, at_tick(100));
	assert_true(fake.line[HPET_LEGACY_GSI_TIMER1]);
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	assert_false(hpet_legacy_replacement(h));
	assert_false(fake.line[HPET_LEGACY_GSI_TIMER1]);
	assert_true(fake.line[21]);
}

static void test_routes(void **state)
{
	static const struct {
		unsigned pin;
		unsigned expect;               /* the route read back after writing pin */
	} cases[] = {
		{ 20, 20 }, { 5, 20 }, { 23, 23 }, { 19, 23 }, { 24, 23 }, { 31, 23 }, { 21, 21 },
		{ 0, 21 },
	};
	struct hpet *h = *state;
	uint64_t refused = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		wr64(h, HPET_TIMER_CONFIG(0), HPET_TN_INT_ENB | ROUTE(cases[i].pin));
		if (cases[i].pin != cases[i].expect)
			refused++;
		assert_int_equal(rd64(h, HPET_TIMER_CONFIG(0)) & HPET_TN_ROUTE_MASK,
				 ROUTE(cases[i].expect));
		assert_int_equal(hpet_stats(h)->refused_routes, refused);
	}
	/* The reset route 0 is not in the capability: the timer sends nothing (counted). Other
	 * bits written with it unchanged are no refused route. */
	wr64(h, HPET_TIMER_CONFIG(2), HPET_TN_INT_ENB);
	assert_int_equal(hpet_stats(h)->refused_routes, refused);
	wr64(h, HPET_TIMER_COMPARATOR(2), 10);
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	advance_to(h, at_tick(10));
	assert_int_equal(fake.log_len, 0);
	assert_int_equal(hpet_stats(h)->unrouted, 1);
}

/* ---- halting the counter stops events -------------------------------------------------------- */

static void test_disable(void **state)
{
	struct hpet *h = *state;

	wr64(h, HPET_TIMER_CONFIG(0), HPET_TN_INT_ENB | ROUTE(20));
	wr64(h, HPET_TIMER_COMPARATOR(0), 1000);
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	assert_int_equal(hpet_next_event(h), at_tick(1000));
	assert_int_equal(fake.timer_changes, 1);
	fake.tsc = at_tick(400);
	wr64(h, HPET_CONFIG, 0);
	assert_int_equal(hpet_next_event(h), 0);
	assert_int_equal(fake.timer_changes, 2);
	advance_to(h, at_tick(5000));
	assert_int_equal(fake.log_len, 0);
	assert_int_equal(rd64(h, HPET_COUNTER), 400);
	/* Enabled again, 600 ticks are left. */
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE);
	assert_int_equal(hpet_next_event(h), at_tick(5000) + 600 * TICK);
	/* Disabling the timer's interrupt disarms too. */
	wr64(h, HPET_TIMER_CONFIG(0), ROUTE(20));
	assert_int_equal(hpet_next_event(h), 0);
	assert_int_equal(fake.timer_changes, 4);
}

/* ---- 32-bit halves and unusual accesses ------------------------------------------------------ */

static void test_half_accesses(void **state)
{
	static const struct {
		uint64_t offset;
		unsigned size;
		bool bad;                      /* a bad access, else an offset with no register */
	} odd[] = {
		{ 0x000, 2, true }, { 0x000, 1, true }, { 0x002, 4, true }, { 0x0F4, 8, true },
		{ 0x400, 4, true }, { 0x3FC, 8, true }, { 0x008, 8, false }, { 0x030, 4, false },
		{ 0x110, 8, false },           /* timer 0's FSB route: no FSB */
		{ 0x160, 8, false },           /* a timer 3 */
		{ 0x3F8, 8, false },
	};
	struct hpet *h = *state;
	uint64_t bad = 0, unknown = 0;

	wr64(h, HPET_COUNTER, 0x1FFFFFFF0ull);
	wr32(h, HPET_CONFIG, HPET_CFG_ENABLE);
	assert_int_equal(rd32(h, HPET_CONFIG + 4), 0);
	fake.tsc += 0x20 * TICK;
	assert_int_equal(rd32(h, HPET_COUNTER), 0x10);
	assert_int_equal(rd32(h, HPET_COUNTER + 4), 2);
	assert_int_equal(rd32(h, HPET_TIMER_CONFIG(1) + 4), HPET_ROUTE_CAP);
	wr32(h, HPET_TIMER_CONFIG(1), HPET_TN_INT_ENB | ROUTE(22));
	assert_int_equal(rd32(h, HPET_TIMER_CONFIG(1)), HPET_TN_INT_ENB | ROUTE(22) | 0x20);
	wr32(h, HPET_TIMER_CONFIG(1) + 4, 0);        /* the capability half: read-only */
	assert_int_equal(rd32(h, HPET_TIMER_CONFIG(1) + 4), HPET_ROUTE_CAP);
	wr32(h, HPET_TIMER_COMPARATOR(1) + 4, 2);
	wr32(h, HPET_TIMER_COMPARATOR(1), 0x30);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(1)), 0x200000030ull);
	assert_int_equal(rd32(h, HPET_TIMER_COMPARATOR(1) + 4), 2);
	assert_int_equal(hpet_next_event(h), fake.tsc + 0x20 * TICK);
	for (size_t i = 0; i < ARRAY_SIZE(odd); i++) {
		assert_int_equal(hpet_read(h, odd[i].offset, odd[i].size), 0);
		hpet_write(h, odd[i].offset, odd[i].size, ~0ull);
		if (odd[i].bad)
			bad += 2;
		else
			unknown += 2;
		assert_int_equal(hpet_stats(h)->bad_accesses, bad);
		assert_int_equal(hpet_stats(h)->unknown_offsets, unknown);
	}
	/* None of those writes changed a register. */
	assert_int_equal(rd64(h, HPET_CONFIG), HPET_CFG_ENABLE);
	assert_int_equal(rd64(h, HPET_COUNTER), 0x200000010ull);
}

/* ---- reset ----------------------------------------------------------------------------------- */

static void test_reset(void **state)
{
	struct hpet *h = *state;

	wr64(h, HPET_TIMER_CONFIG(2), HPET_TN_INT_TYPE_LEVEL | HPET_TN_INT_ENB | ROUTE(22));
	wr64(h, HPET_TIMER_COMPARATOR(2), 5);
	wr64(h, HPET_TIMER_CONFIG(0), HPET_TN_INT_ENB | ROUTE(20));
	wr64(h, HPET_TIMER_COMPARATOR(0), 50);
	wr64(h, HPET_CONFIG, HPET_CFG_ENABLE | HPET_CFG_LEG_RT);
	advance_to(h, at_tick(5));
	assert_true(fake.line[22]);
	assert_int_equal(hpet_next_event(h), at_tick(50));
	hpet_reset(h);
	assert_false(fake.line[22]);
	assert_int_equal(hpet_next_event(h), 0);
	assert_false(hpet_legacy_replacement(h));
	assert_int_equal(rd64(h, HPET_CONFIG), 0);
	assert_int_equal(rd64(h, HPET_STATUS), 0);
	assert_int_equal(rd64(h, HPET_COUNTER), 0);
	assert_int_equal(rd64(h, HPET_TIMER_CONFIG(2)), 0x00F0000000000020ull);
	assert_int_equal(rd64(h, HPET_TIMER_COMPARATOR(0)), UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_capabilities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_shot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_periodic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_val_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_32bit_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_replacement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_accesses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
