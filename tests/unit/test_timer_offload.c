/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for apicv/timer_offload.c, the vLAPIC timer a housekeeping CPU keeps
 * (housekeeping=cpu0), driven by a real vLAPIC (apicv/vlapic.c) on a fake clock: the guest's
 * register writes program the model, the vCPU side publishes what vlapic_timer_program reports,
 * and the housekeeping side fires. Table-driven over the timer modes: which ticks come when,
 * with which vector, what a late housekeeping CPU coalesces, what a mask or an LVT-only change
 * does, and that the model itself neither delivers nor counts an offloaded expiry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "apicv/apic_regs.h"
#include "apicv/timer_offload.h"
#include "apicv/vlapic.h"

#define TSC_HZ 1000000000ull /* 1 GHz: 1 cycle = 1 ns; the shortest periodic period is 200 us */
#define START 1000000ull
#define VECTOR 0x55u

static uint64_t clock_now;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return clock_now;
}

static const struct vlapic_ops ops = { .now = fake_now };

struct fixture {
	uint8_t page[4096] __attribute__((aligned(4096)));
	struct vlapic *vl;
	struct timer_offload t;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f.t, 0, sizeof(f.t));
	clock_now = START;
	f.vl = vlapic_create(0, true, f.page, TSC_HZ, &ops, NULL);
	assert_non_null(f.vl);
	vlapic_timer_offload(f.vl, true);
	assert_int_equal(vlapic_mmio_write(f.vl, APIC_SVR, 4, APIC_SVR_ENABLE | 0xFF), VLAPIC_OK);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vlapic_destroy(f->vl);
	return 0;
}

/* The vCPU side before VM entry (apicv/delivery.c publish_timer, TSC offset 0). */
static bool publish(struct fixture *f)
{
	struct vlapic_timer_programming p;

	vlapic_timer_program(f->vl, &p);
	if (!timer_offload_stale(&f->t, p.programmed, p.lvt, 0))
		return false;
	timer_offload_publish(&f->t, p.programmed, p.deadline, p.period, p.lvt, 0);
	return true;
}

static void write_reg(struct fixture *f, uint32_t offset, uint32_t value)
{
	assert_int_equal(vlapic_mmio_write(f->vl, offset, 4, value), VLAPIC_OK);
}

static uint32_t lvt(unsigned mode, bool masked)
{
	return VECTOR | mode << APIC_LVT_TIMER_MODE_SHIFT | (masked ? APIC_LVT_MASKED : 0);
}

/* Divide by 1, the LVT unmasked with VECTOR in `mode`, `count`; published. */
static void start_timer(struct fixture *f, unsigned mode, uint32_t count)
{
	write_reg(f, APIC_TIMER_DIVIDE, 0xB);
	write_reg(f, APIC_LVT_TIMER, lvt(mode, false));
	write_reg(f, APIC_TIMER_INITIAL_COUNT, count);
	assert_true(publish(f));
}

/* ---- the modes, table-driven ------------------------------------------------------------------ */

struct step {
	uint64_t at;               /* housekeeping CPU looks at START + at */
	int vector;                /* what it delivers: VECTOR or -1 */
	uint64_t next;             /* the deadline left afterwards (START-relative; 0: none) */
};

struct mode_case {
	const char *name;
	unsigned mode;
	bool masked;
	uint32_t divide;           /* divide configuration register value */
	uint32_t count;            /* initial count; TSC-deadline: the deadline, START-relative */
	struct step steps[5];
	unsigned step_count;
	uint64_t ticks, missed, delivered;
};

static const struct mode_case mode_cases[] = {
	{ "one-shot, divide by 1", APIC_TIMER_ONE_SHOT, false, 0xB, 500000,
	  { { 499999, -1, 500000 }, { 500000, VECTOR, 0 }, { 900000, -1, 0 } }, 3, 1, 0, 1 },
	{ "one-shot, divide by 2", APIC_TIMER_ONE_SHOT, false, 0x0, 300000,
	  { { 599999, -1, 600000 }, { 600001, VECTOR, 0 } }, 2, 1, 0, 1 },
	{ "periodic, on time", APIC_TIMER_PERIODIC, false, 0xB, 300000,
	  { { 300000, VECTOR, 600000 }, { 600000, VECTOR, 900000 }, { 899999, -1, 900000 },
	    { 900000, VECTOR, 1200000 } }, 4, 3, 0, 3 },
	{ "periodic, housekeeping CPU 2.5 periods late", APIC_TIMER_PERIODIC, false, 0xB, 300000,
	  { { 1050000, VECTOR, 1200000 }, { 1200000, VECTOR, 1500000 } }, 2, 2, 2, 2 },
	{ "periodic below 200 us: clamped", APIC_TIMER_PERIODIC, false, 0xB, 1000,
	  { { 199999, -1, 200000 }, { 200000, VECTOR, 400000 } }, 2, 1, 0, 1 },
	{ "periodic, masked: counts, no interrupt", APIC_TIMER_PERIODIC, true, 0xB, 300000,
	  { { 300000, -1, 600000 }, { 600000, -1, 900000 } }, 2, 2, 0, 0 },
	{ "TSC-deadline", APIC_TIMER_TSC_DEADLINE, false, 0xB, 700000,
	  { { 699999, -1, 700000 }, { 700000, VECTOR, 0 }, { 800000, -1, 0 } }, 3, 1, 0, 1 },
};

static void arm(struct fixture *f, const struct mode_case *c)
{
	write_reg(f, APIC_TIMER_DIVIDE, c->divide);
	write_reg(f, APIC_LVT_TIMER, lvt(c->mode, c->masked));
	if (c->mode == APIC_TIMER_TSC_DEADLINE)
		assert_int_equal(vlapic_msr_write(f->vl, APIC_MSR_TSC_DEADLINE, START + c->count),
				 VLAPIC_OK);
	else
		write_reg(f, APIC_TIMER_INITIAL_COUNT, c->count);
}

static void test_modes(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(mode_cases) / sizeof(mode_cases[0]); i++) {
		const struct mode_case *c = &mode_cases[i];
		uint64_t next;

		print_message("case: %s\n", c->name);
		teardown(state);
		setup(state);
		f = *state;
		arm(f, c);
		assert_true(publish(f));
		assert_false(publish(f)); /* nothing changed: nothing to publish */
		for (unsigned s = 0; s < c->step_count; s++) {
			clock_now = START + c->steps[s].at;
			assert_int_equal(timer_offload_fire(&f->t, clock_now, &next),
					 c->steps[s].vector);
			assert_int_equal(next, c->steps[s].next ? START + c->steps[s].next : 0);
		}
		assert_int_equal(f->t.ticks, c->ticks);
		assert_int_equal(f->t.missed, c->missed);
		assert_int_equal(f->t.delivered, c->delivered);
		/* The model delivered nothing itself and counted nothing: the expiry is the
		 * housekeeping CPU's. */
		vlapic_timer_expired(f->vl);
		assert_int_equal(vlapic_pending_interrupt(f->vl), -1);
		assert_int_equal(vlapic_stats(f->vl)->timer_ticks, 0);
	}
}

/* ---- what the guest reads while the timer is kept elsewhere ----------------------------------- */

static void test_guest_view(void **state)
{
	struct fixture *f = *state;
	uint64_t value, next;
	uint32_t count;

	/* One-shot: the current count reaches 0 at the deadline, with or without the model's own
	 * expiry. */
	write_reg(f, APIC_TIMER_DIVIDE, 0xB);
	write_reg(f, APIC_LVT_TIMER, lvt(APIC_TIMER_ONE_SHOT, false));
	write_reg(f, APIC_TIMER_INITIAL_COUNT, 1000);
	publish(f);
	clock_now = START + 400;
	assert_int_equal(vlapic_mmio_read(f->vl, APIC_TIMER_CURRENT_COUNT, 4, &count), VLAPIC_OK);
	assert_int_equal(count, 600);
	clock_now = START + 1000;
	assert_int_equal(timer_offload_fire(&f->t, clock_now, &next), VECTOR);
	assert_int_equal(vlapic_mmio_read(f->vl, APIC_TIMER_CURRENT_COUNT, 4, &count), VLAPIC_OK);
	assert_int_equal(count, 0);

	/* TSC-deadline: IA32_TSC_DEADLINE reads 0 once the deadline has passed (§11.5.4.1): the
	 * model's timer moves on (the vCPU does it at every exit) without an interrupt of its own,
	 * and without republishing — the housekeeping CPU's record still fires. */
	write_reg(f, APIC_LVT_TIMER, lvt(APIC_TIMER_TSC_DEADLINE, false));
	assert_int_equal(vlapic_msr_write(f->vl, APIC_MSR_TSC_DEADLINE, clock_now + 50), VLAPIC_OK);
	assert_true(publish(f));
	assert_int_equal(vlapic_msr_read(f->vl, APIC_MSR_TSC_DEADLINE, &value), VLAPIC_OK);
	assert_int_equal(value, clock_now + 50);
	clock_now += 50;
	vlapic_timer_expired(f->vl);
	assert_int_equal(vlapic_msr_read(f->vl, APIC_MSR_TSC_DEADLINE, &value), VLAPIC_OK);
	assert_int_equal(value, 0);
	assert_int_equal(vlapic_pending_interrupt(f->vl), -1);
	assert_false(publish(f));
	assert_int_equal(timer_offload_fire(&f->t, clock_now, &next), VECTOR);
}

/* ---- what a publication changes ------------------------------------------------------------------ */

static void test_publication(void **state)
{
	struct fixture *f = *state;
	uint64_t next;

	start_timer(f, APIC_TIMER_PERIODIC, 300000);
	clock_now = START + 300000;
	assert_int_equal(timer_offload_fire(&f->t, clock_now, &next), VECTOR);
	assert_int_equal(next, START + 600000);

	/* Masking changes the LVT only: the timer runs on where it is (§11.5.1), its expiries
	 * counted without an interrupt; unmasking brings the interrupts back on the same beat. */
	write_reg(f, APIC_LVT_TIMER, lvt(APIC_TIMER_PERIODIC, true));
	assert_true(publish(f));
	assert_int_equal(f->t.deadline, START + 600000);
	clock_now = START + 600000;
	assert_int_equal(timer_offload_fire(&f->t, clock_now, &next), -1);
	write_reg(f, APIC_LVT_TIMER, lvt(APIC_TIMER_PERIODIC, false) + 1);
	assert_true(publish(f));
	clock_now = START + 900000;
	assert_int_equal(timer_offload_fire(&f->t, clock_now, &next), VECTOR + 1);
	assert_int_equal(f->t.ticks, 3);
	assert_int_equal(f->t.delivered, 2);

	/* A new initial count restarts the timer from now. */
	clock_now = START + 1000000;
	write_reg(f, APIC_TIMER_INITIAL_COUNT, 400000);
	assert_true(publish(f));
	assert_int_equal(f->t.deadline, START + 1400000);
	assert_int_equal(f->t.period, 400000);

	/* A count of 0 stops it. A change to one-shot lets the period under way end it: published
	 * with its deadline and no period. A change to TSC-deadline mode stops it. */
	write_reg(f, APIC_TIMER_INITIAL_COUNT, 0);
	assert_true(publish(f));
	assert_int_equal(f->t.deadline, 0);
	write_reg(f, APIC_TIMER_INITIAL_COUNT, 400000);
	assert_true(publish(f));
	assert_int_equal(f->t.deadline, START + 1400000);
	write_reg(f, APIC_LVT_TIMER, lvt(APIC_TIMER_ONE_SHOT, false));
	assert_true(publish(f));
	assert_int_equal(f->t.deadline, START + 1400000);
	assert_int_equal(f->t.period, 0);
	clock_now = START + 5000000;
	assert_int_not_equal(timer_offload_fire(&f->t, clock_now, &next), -1);
	assert_int_equal(next, 0);
	assert_int_equal(timer_offload_fire(&f->t, clock_now, &next), -1);
	write_reg(f, APIC_LVT_TIMER, lvt(APIC_TIMER_PERIODIC, false));
	write_reg(f, APIC_TIMER_INITIAL_COUNT, 400000);
	assert_true(publish(f));
	assert_int_not_equal(f->t.deadline, 0);
	write_reg(f, APIC_LVT_TIMER, lvt(APIC_TIMER_TSC_DEADLINE, false));
	assert_true(publish(f));
	assert_int_equal(f->t.deadline, 0);
	assert_int_equal(timer_offload_fire(&f->t, clock_now, &next), -1);
	assert_int_equal(next, 0);

	/* INIT resets the timer (§11.4.7.3): the reset is a programming too. */
	write_reg(f, APIC_LVT_TIMER, lvt(APIC_TIMER_ONE_SHOT, false));
	write_reg(f, APIC_TIMER_INITIAL_COUNT, 400000);
	assert_true(publish(f));
	vlapic_init_signal(f->vl);
	assert_true(publish(f));
	assert_int_equal(f->t.deadline, 0);
}

/* The vCPU's exit path (vmx/run.c): the model's timer moves on first, then a handler may
 * reprogram it. A divide change after a periodic timer's first expiries keeps the current
 * count and counts the rest at the new rate (as write_divide does for a timer that has not
 * expired yet), and is published. Found by review: the stale model used to skip it. */
static void test_divide_after_expiry(void **state)
{
	struct fixture *f = *state;
	uint64_t next;

	start_timer(f, APIC_TIMER_PERIODIC, 300000);
	clock_now = START + 300000;
	assert_int_equal(timer_offload_fire(&f->t, clock_now, &next), VECTOR);
	clock_now = START + 310000;
	vlapic_timer_expired(f->vl); /* the exit's catch-up */
	assert_int_equal(vlapic_timer_deadline(f->vl), START + 600000);
	write_reg(f, APIC_TIMER_DIVIDE, 0x0); /* divide by 2 */
	assert_true(publish(f));
	assert_int_equal(f->t.deadline, START + 310000 + 290000 * 2);
	assert_int_equal(f->t.period, 600000);
}

/* A one-shot that fired, then a guest write to IA32_TSC (a new offset): the republished timer
 * stays disarmed — the catch-up at the exit ended the model's timer first. Found by review: it
 * used to fire a second time. */
static void test_tsc_write_after_one_shot(void **state)
{
	struct fixture *f = *state;
	struct vlapic_timer_programming p;
	uint64_t next;

	start_timer(f, APIC_TIMER_ONE_SHOT, 1000);
	clock_now = START + 1000;
	assert_int_equal(timer_offload_fire(&f->t, clock_now, &next), VECTOR);
	clock_now = START + 2000;
	vlapic_timer_expired(f->vl);
	vlapic_timer_program(f->vl, &p);
	assert_int_equal(p.deadline, 0);
	assert_true(timer_offload_stale(&f->t, p.programmed, p.lvt, 5000));
	timer_offload_publish(&f->t, p.programmed, 0, p.period, p.lvt, 5000);
	clock_now = START + 1000000;
	assert_int_equal(timer_offload_fire(&f->t, clock_now, &next), -1);
	assert_int_equal(f->t.ticks, 1);
}

/* A TSC offset change republishes: the housekeeping CPU's deadline is host TSC. */
static void test_tsc_offset(void **state)
{
	struct fixture *f = *state;
	struct vlapic_timer_programming p;

	write_reg(f, APIC_LVT_TIMER, lvt(APIC_TIMER_ONE_SHOT, false));
	write_reg(f, APIC_TIMER_INITIAL_COUNT, 1000);
	assert_true(publish(f));
	vlapic_timer_program(f->vl, &p);
	assert_true(timer_offload_stale(&f->t, p.programmed, p.lvt, 12345));
	timer_offload_publish(&f->t, p.programmed, p.deadline - 12345, p.period, p.lvt, 12345);
	assert_int_equal(f->t.deadline, p.deadline - 12345);
	assert_false(timer_offload_stale(&f->t, p.programmed, p.lvt, 12345));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publication, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsc_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_divide_after_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsc_write_after_one_shot, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
