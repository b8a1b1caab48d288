/* SPDX-License-Identifier: MIT */
/*
 * The local APIC timer scenarios (one-shot, periodic, TSC-deadline) and HLT's wake-ups; what
 * each does and touches is listed in scenarios.h.
 *
 * The timer counts the APIC's bus clock divided by the divide configuration (1 here), a rate
 * the architecture leaves to the platform: QEMU's is 1 GHz, a hypervisor's virtual APIC picks
 * its own. The counts below are short on either: SCENARIO_TIMER_COUNT is 5 us under QEMU and a
 * few thousand TSC cycles where a virtual APIC counts at the TSC's rate.
 */
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "interrupts.h"
#include "lapic.h"
#include "scenario_kit.h"
#include "scenario_apic_kit.h"

#define SCENARIO_TIMER_VECTOR 0x70u
#define SCENARIO_TIMER_COUNT 5000u            /* initial count of the one-shot timers */
/* The periodic timer's initial count: ten times the one-shot's, so that a tick's handling (an
 * EOI exit when the APIC is emulated) ends well before the next tick, and timer-periodic's
 * interrupt count stays the same from run to run. QEMU's 5 us period at count 5000 left the
 * next tick pending in about one run in three. */
#define SCENARIO_TIMER_PERIOD_COUNT 50000u
#define SCENARIO_TIMER_MAX_TICKS 20u          /* timer-periodic runs min(n, this) ticks */
#define SCENARIO_TSC_DEADLINE_DELTA 5000u     /* TSC cycles from arming to the deadline */

/* ------------------------------------------------------------------------------------------ */
/* timer-periodic: the timer reloads its initial count each time it reaches 0 (SDM Vol. 3A
 * §11.5.4 "APIC Timer"). The handler of the last wanted tick stops it; a tick the timer sent
 * before that, while the handler ran, is still pending in IRR then and arrives after the EOI,
 * so the handler reads IRR to know whether one more is due. */

static unsigned scenario_periodic_ticks;       /* set by the run before the timer starts */
static bool scenario_periodic_pending_at_stop; /* set by the hook */

static void scenario_periodic_hook(const struct interrupts_arrival *arrival)
{
	if (arrival->vector != SCENARIO_TIMER_VECTOR ||
	    interrupts_count() != scenario_periodic_ticks)
		return;
	lapic_timer_stop();
	scenario_periodic_pending_at_stop = lapic_irr_has(SCENARIO_TIMER_VECTOR);
}

static enum scenario_failure scenario_timer_periodic(struct scenario_state *state)
{
	uint64_t iterations = state->context->iterations;
	uint8_t expected[SCENARIO_TIMER_MAX_TICKS + 1];

	scenario_periodic_ticks = iterations < SCENARIO_TIMER_MAX_TICKS ? (unsigned)iterations :
									  SCENARIO_TIMER_MAX_TICKS;
	scenario_periodic_pending_at_stop = false;
	interrupts_set_hook(scenario_periodic_hook);
	lapic_timer_start(LAPIC_TIMER_PERIODIC, SCENARIO_TIMER_VECTOR, SCENARIO_TIMER_PERIOD_COUNT);
	cpu_interrupts_enable();

	enum scenario_failure failure = scenario_apic_await(state, scenario_periodic_ticks,
							    "the ticks");

	if (failure != SCENARIO_PASSED)
		lapic_timer_stop();
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	cpu_interrupts_disable();

	unsigned due = scenario_periodic_ticks + (scenario_periodic_pending_at_stop ? 1 : 0);

	for (unsigned i = 0; i < due; i++)
		expected[i] = SCENARIO_TIMER_VECTOR;
	if (failure == SCENARIO_PASSED)
		failure = scenario_apic_expect_log(state, expected, due);
	scenario_report(state, "ticks", scenario_periodic_ticks);
	if (scenario_periodic_pending_at_stop)
		scenario_note(state, "a tick was pending in IRR when the timer stopped: %u due",
			      due);
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* For the timers armed for one interrupt (timer-oneshot, timer-tsc-deadline): with IF = 1,
 * waits for the interrupt (`what` names it in a note) and then watches for a quiet spell, so
 * that a spurious second one would be logged too; returns with IF = 0 and the wait's result. */
static enum scenario_failure scenario_timer_await_one(struct scenario_state *state,
						      const char *what)
{
	cpu_interrupts_enable();

	enum scenario_failure failure = scenario_apic_await(state, 1, what);

	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	cpu_interrupts_disable();
	return failure;
}

/* ------------------------------------------------------------------------------------------ */
/* timer-oneshot: one interrupt when the count reaches 0, which it then keeps. */

static enum scenario_failure scenario_timer_oneshot(struct scenario_state *state)
{
	static const uint8_t expected[] = { SCENARIO_TIMER_VECTOR };

	lapic_timer_start(LAPIC_TIMER_ONE_SHOT, SCENARIO_TIMER_VECTOR, SCENARIO_TIMER_COUNT);

	enum scenario_failure failure = scenario_timer_await_one(state, "the timer interrupt");
	uint32_t current = lapic_read(LAPIC_REG_TIMER_CURRENT_COUNT);

	if (failure == SCENARIO_PASSED)
		failure = scenario_apic_expect_log(state, expected, 1);
	if (!scenario_expect(state, "the current count after the interrupt", current, 0) &&
	    failure == SCENARIO_PASSED)
		failure = SCENARIO_FAILURE_APIC_REGISTER;
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* timer-tsc-deadline: "An interrupt is generated when the logical processor's time-stamp
 * counter equals or exceeds the target value in the IA32_TSC_DEADLINE MSR", and "When the
 * timer generates an interrupt, it disarms itself and clears the IA32_TSC_DEADLINE MSR" (SDM
 * Vol. 3A §11.5.4.1 "TSC-Deadline Mode"). */

static enum scenario_failure scenario_prepare_tsc_deadline(struct scenario_state *state)
{
	enum scenario_failure prepared = scenario_apic_prepare(state, LAPIC_MODE_XAPIC);

	if (prepared == SCENARIO_PASSED && !lapic_has_tsc_deadline())
		return scenario_skip(state, "no TSC-deadline timer: CPUID.1:ECX[24] = 0");
	return prepared;
}

static enum scenario_failure scenario_timer_tsc_deadline(struct scenario_state *state)
{
	static const uint8_t expected[] = { SCENARIO_TIMER_VECTOR };
	uint64_t deadline = cpu_rdtsc_fenced() + SCENARIO_TSC_DEADLINE_DELTA;

	lapic_timer_start_tsc_deadline(SCENARIO_TIMER_VECTOR, deadline);

	enum scenario_failure failure = scenario_timer_await_one(state, "the deadline interrupt");
	uint64_t msr_after = cpu_rdmsr(MSR_IA32_TSC_DEADLINE);

	if (failure == SCENARIO_PASSED)
		failure = scenario_apic_expect_log(state, expected, 1);

	const struct interrupts_arrival *arrival = interrupts_arrival(0);

	if (arrival != NULL && arrival->tsc < deadline) {
		scenario_note(state, "the handler ran at TSC 0x%lx, before the deadline 0x%lx",
			      arrival->tsc, deadline);
		if (failure == SCENARIO_PASSED)
			failure = SCENARIO_FAILURE_INTERRUPT_EARLY;
	}
	if (arrival != NULL && arrival->tsc >= deadline)
		scenario_report(state, "cycles_late", arrival->tsc - deadline);
	if (!scenario_expect(state, "IA32_TSC_DEADLINE after the interrupt", msr_after, 0) &&
	    failure == SCENARIO_PASSED)
		failure = SCENARIO_FAILURE_APIC_REGISTER;
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* hlt-wakeup: HLT ends when an interrupt is to be delivered. STI; HLT puts the HLT in the STI
 * shadow, so an interrupt already pending is taken right after the HLT (the idiom an OS idles
 * with) and the HLT must return at once; with none pending, the HLT waits for the timer. Both
 * interrupts must interrupt the instruction after the HLT. */

#define SCENARIO_HLT_IPI_VECTOR 0x61u
#define SCENARIO_HLT_TIMER_VECTOR 0x62u       /* above the IPI: taken first if both pend */
/* Part 1's safety net: should the HLT miss the pending IPI, this one-shot ends it (and the
 * scenario fails) instead of the guest hanging: 67 ms under QEMU. */
#define SCENARIO_HLT_BACKUP_COUNT 0x4000000u

static enum scenario_failure scenario_hlt_wakeup(struct scenario_state *state)
{
	static const uint8_t expected[] = { SCENARIO_HLT_IPI_VECTOR, SCENARIO_HLT_TIMER_VECTOR };
	/* Part 1: an IPI pending (sent with IF = 0) when the HLT executes. */
	lapic_send_self_ipi(SCENARIO_HLT_IPI_VECTOR);
	lapic_timer_start(LAPIC_TIMER_ONE_SHOT, SCENARIO_HLT_TIMER_VECTOR,
			  SCENARIO_HLT_BACKUP_COUNT);

	uint64_t after_pending_hlt = scenario_apic_sti_hlt();

	lapic_timer_stop();

	/* Part 2: nothing pending; the timer wakes the HLT. Without a timer interrupt nothing
	 * would, and only the hypervisor's watchdog could end the run. */
	lapic_timer_start(LAPIC_TIMER_ONE_SHOT, SCENARIO_HLT_TIMER_VECTOR, SCENARIO_TIMER_COUNT);

	uint64_t start = cpu_rdtsc_fenced();
	uint64_t after_timer_hlt = scenario_apic_sti_hlt();

	cpu_interrupts_enable();
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	cpu_interrupts_disable();
	enum scenario_failure failure = scenario_apic_expect_log(state, expected, 2);
	if (!scenario_apic_expect_boundary(state, 0, after_pending_hlt, "STI; HLT, IPI pending") ||
	    !scenario_apic_expect_boundary(state, 1, after_timer_hlt, "STI; HLT, timer"))
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_BOUNDARY);

	const struct interrupts_arrival *timer = interrupts_arrival(1);

	if (timer != NULL && timer->tsc >= start)
		scenario_report(state, "cycles_to_timer_wakeup", timer->tsc - start);
	return scenario_apic_finish(state, failure);
}

static const struct scenario scenario_timer_table[] = {
	{ "timer-periodic", false, scenario_apic_prepare_xapic, scenario_timer_periodic },
	{ "timer-oneshot", false, scenario_apic_prepare_xapic, scenario_timer_oneshot },
	{ "timer-tsc-deadline", false, scenario_prepare_tsc_deadline,
	  scenario_timer_tsc_deadline },
	{ "hlt-wakeup", false, scenario_apic_prepare_xapic, scenario_hlt_wakeup },
};

const struct scenario_list scenario_timer_list = {
	scenario_timer_table, sizeof(scenario_timer_table) / sizeof(scenario_timer_table[0])
};
