/* SPDX-License-Identifier: MIT */
/*
 * The local APIC timer scenarios (one-shot, periodic, TSC-deadline) and HLT's wake-ups; what
 * each does and touches is listed in scenarios.h.
 *
 * The timer counts the core crystal clock where CPUID.15H enumerates the TSC/crystal ratio,
 * else the bus clock, divided by the divide configuration (1 here) (SDM Vol. 3A §11.5.4 "APIC
 * Timer"); scenario_kit.h turns counts into TSC cycles. apicvisor's virtual APIC counts at the
 * TSC's rate and says so in leaf 15H (EAX = EBX = 1); plain QEMU's counts at 1 GHz and has no
 * leaf 15H ratio, so there the rates are not checked (noted).
 *
 * The rate checks. Each interrupt's arrival is the TSC its handler read first (interrupts.h);
 * "armed" is a TSC read right before the write that starts the timer (the initial count; for
 * TSC-deadline mode the deadline itself is the reference). An interrupt whose arrival is
 * before armed + the count's TSC cycles came early: always a failure, since the timer cannot
 * have reached 0 yet and everything between its expiry and the handler only adds time. One
 * that comes more than SCENARIO_TIMER_LATE_SHARE of that interval after its due time is late:
 * the slack is for what a hypervisor spends between the guest's RDTSC and its start of the
 * count (the initial-count write's exit) and between the expiry and the handler (the exit that
 * notices it, the injection or virtual-interrupt delivery), measured under Bochs at 1000-5000
 * TSC cycles per interrupt (see the counts below); half the interval is several times that and
 * still catches a timer that fires at twice its period, or at half its rate.
 */
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "interrupts.h"
#include "lapic.h"
#include "scenario_kit.h"
#include "scenario_apic_kit.h"

#define SCENARIO_TIMER_VECTOR 0x70u
/* The one-shot timer's initial count: 20000 TSC cycles under apicvisor (5 ms of Bochs' ~4 MHz
 * TSC), 20 us under QEMU. */
#define SCENARIO_TIMER_COUNT 20000u
/* The periodic timer's initial count: so that a tick's handling (an EOI exit when the APIC is
 * emulated) ends well before the next tick, and timer-periodic's interrupt count stays the
 * same from run to run. QEMU's 5 us period at count 5000 left the next tick pending in about
 * one run in three. The count actually used is at least SCENARIO_TIMER_PERIOD_MIN_US of the
 * timer's clock (scenario_timer_period_count). */
#define SCENARIO_TIMER_PERIOD_COUNT 50000u
/* apicvisor stretches a periodic timer's period to at least 200 us (a shorter one would keep a
 * CPU in VM exits); 250 us stays clear of that on a GHz TSC, where count 50000 is 20 us. Under
 * Bochs (~4 MHz) 250 us is 1000 counts, so the count stays 50000 there. */
#define SCENARIO_TIMER_PERIOD_MIN_US 250u
#define SCENARIO_TIMER_DIVISOR 1u             /* lapic_setup's divide configuration */
#define SCENARIO_TIMER_MAX_TICKS 20u          /* timer-periodic runs min(n, this) ticks */
#define SCENARIO_TSC_DEADLINE_DELTA 20000u    /* TSC cycles from arming to the deadline */
/* Lateness allowed: this fraction (1 / N) of the interval the interrupt was armed for. */
#define SCENARIO_TIMER_LATE_SHARE 2u

/* Read by the prepare step (CPUID exits are not the scenario's). */
static struct scenario_clocks scenario_timer_clocks;
/* timer-periodic's initial count, set by the prepare step. */
static uint32_t scenario_timer_period_count = SCENARIO_TIMER_PERIOD_COUNT;

/* max(SCENARIO_TIMER_PERIOD_COUNT, the count of SCENARIO_TIMER_PERIOD_MIN_US at the timer's
 * clock). The clock is the core crystal where leaf 15H gives the ratio (SDM Vol. 3A §11.5.4):
 * its frequency is the TSC's times EAX / EBX. Without a ratio or a TSC frequency the clock is
 * unknown, and the count stays SCENARIO_TIMER_PERIOD_COUNT. */
static uint32_t scenario_timer_period_for(const struct scenario_clocks *clocks)
{
	uint64_t crystal_hz, count;

	if (!scenario_clocks_have_crystal(clocks) || clocks->tsc_hz == 0)
		return SCENARIO_TIMER_PERIOD_COUNT;
	crystal_hz = clocks->tsc_hz * clocks->crystal_denominator / clocks->crystal_numerator;
	count = crystal_hz / (1000000u / SCENARIO_TIMER_PERIOD_MIN_US);
	if (count < SCENARIO_TIMER_PERIOD_COUNT)
		return SCENARIO_TIMER_PERIOD_COUNT;
	return count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
}

static enum scenario_failure scenario_timer_prepare(struct scenario_state *state)
{
	enum scenario_failure prepared = scenario_apic_prepare_xapic(state);

	if (prepared == SCENARIO_PASSED) {
		scenario_read_clocks(&scenario_timer_clocks);
		scenario_timer_period_count = scenario_timer_period_for(&scenario_timer_clocks);
	}
	return prepared;
}

/* timer-offload: timer-periodic with the vLAPIC timer kept by the housekeeping CPU, which posts
 * each tick (docs/design.md, "SMP"): with posted-interrupt processing a tick costs the guest no
 * exit. */
static enum scenario_failure scenario_timer_offload_prepare(struct scenario_state *state)
{
	return scenario_prepare_housekeeping(state, scenario_timer_prepare);
}

/*
 * Checks arrival `index`, due at TSC `due` (`interval` cycles after it was armed): not before
 * `due`, not more than interval / SCENARIO_TIMER_LATE_SHARE after it. Notes and returns the
 * failure; *late_max keeps the largest lateness seen. A missing arrival passes (the log check
 * notes it).
 */
static enum scenario_failure scenario_timer_check_due(struct scenario_state *state,
						      unsigned index, uint64_t due,
						      uint64_t interval, uint64_t *late_max)
{
	const struct interrupts_arrival *arrival = interrupts_arrival(index);
	uint64_t bound = interval / SCENARIO_TIMER_LATE_SHARE;

	if (arrival == NULL)
		return SCENARIO_PASSED;
	if (arrival->tsc < due) {
		scenario_note(state, "interrupt %u came at TSC 0x%lx, %lu cycles before it was due "
			      "(0x%lx)", index, arrival->tsc, due - arrival->tsc, due);
		return SCENARIO_FAILURE_INTERRUPT_EARLY;
	}
	if (arrival->tsc - due > *late_max)
		*late_max = arrival->tsc - due;
	if (arrival->tsc - due > bound) {
		scenario_note(state, "interrupt %u came %lu TSC cycles after it was due, more than "
			      "%lu (1/%u of %lu)", index, arrival->tsc - due, bound,
			      SCENARIO_TIMER_LATE_SHARE, interval);
		return SCENARIO_FAILURE_INTERRUPT_LATE;
	}
	return SCENARIO_PASSED;
}

/* The note for a CPU whose leaf 15H gives no crystal ratio: the timer's rate is unknown. */
static void scenario_timer_note_no_crystal(struct scenario_state *state)
{
	scenario_note(state, "rate not checked: CPUID.15H enumerates no TSC/crystal ratio, so the "
		      "APIC timer's clock is not known");
}

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

/* The periodic ticks' rate: tick i (0 = the first) is due (i + 1) periods after arming, as
 * the count reloads at each expiry; each must come neither before nor too long after. Figures
 * expected_cycles (the period in TSC cycles), cycles_to_first_tick, period_cycles_min and
 * _max (between consecutive arrivals) and cycles_late_max. */
static enum scenario_failure scenario_periodic_rate(struct scenario_state *state,
						    uint64_t armed, unsigned due)
{
	enum scenario_failure failure = SCENARIO_PASSED;
	uint64_t period, late_max = 0, period_min = UINT64_MAX, period_max = 0;
	const struct interrupts_arrival *first = interrupts_arrival(0);

	if (!scenario_clocks_have_crystal(&scenario_timer_clocks)) {
		scenario_timer_note_no_crystal(state);
		return SCENARIO_PASSED;
	}
	period = scenario_clocks_apic_timer_cycles(&scenario_timer_clocks,
						   scenario_timer_period_count,
						   SCENARIO_TIMER_DIVISOR);
	scenario_report(state, "expected_cycles", period);
	if (first != NULL)
		scenario_report(state, "cycles_to_first_tick", first->tsc - armed);
	for (unsigned i = 0; i < due && i < interrupts_count(); i++) {
		const struct interrupts_arrival *arrival = interrupts_arrival(i);
		const struct interrupts_arrival *previous = i > 0 ? interrupts_arrival(i - 1) : NULL;

		scenario_apic_keep_first(&failure, scenario_timer_check_due(
							   state, i, armed + (uint64_t)(i + 1) * period,
							   period, &late_max));
		if (arrival == NULL || previous == NULL || arrival->tsc < previous->tsc)
			continue;
		if (arrival->tsc - previous->tsc < period_min)
			period_min = arrival->tsc - previous->tsc;
		if (arrival->tsc - previous->tsc > period_max)
			period_max = arrival->tsc - previous->tsc;
	}
	if (period_max != 0) {
		scenario_report(state, "period_cycles_min", period_min);
		scenario_report(state, "period_cycles_max", period_max);
	}
	scenario_report(state, "cycles_late_max", late_max);
	return failure;
}

static enum scenario_failure scenario_timer_periodic(struct scenario_state *state)
{
	uint64_t iterations = state->context->iterations;
	uint8_t expected[SCENARIO_TIMER_MAX_TICKS + 1];

	scenario_periodic_ticks = iterations < SCENARIO_TIMER_MAX_TICKS ? (unsigned)iterations :
									  SCENARIO_TIMER_MAX_TICKS;
	scenario_periodic_pending_at_stop = false;
	interrupts_set_hook(scenario_periodic_hook);
	lapic_write(LAPIC_REG_LVT_TIMER, lapic_lvt_timer(LAPIC_TIMER_PERIODIC,
							 SCENARIO_TIMER_VECTOR));

	uint64_t armed = cpu_rdtsc_fenced();

	lapic_write(LAPIC_REG_TIMER_INITIAL_COUNT, scenario_timer_period_count);
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
	scenario_apic_keep_first(&failure, scenario_periodic_rate(state, armed, due));
	if (scenario_periodic_pending_at_stop)
		scenario_note(state, "a tick was pending in IRR when the timer stopped: %u due",
			      due);
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* timer-poll: the one-shot timer (timer-oneshot's count) awaited by reading port 80H in a loop
 * with IF = 1, as a kernel calibrating against a device or polling a UART does: every read is an
 * exit, and the interrupt must still come (the hypervisor's own timer must not be pushed on by
 * the exits). At most SCENARIO_POLL_MAX reads. Figure polls. */
#define SCENARIO_POLL_MAX 1000000u

static enum scenario_failure scenario_timer_poll(struct scenario_state *state)
{
	static const uint8_t expected[] = { SCENARIO_TIMER_VECTOR };
	enum scenario_failure failure = SCENARIO_PASSED;
	unsigned polls = 0;

	lapic_write(LAPIC_REG_LVT_TIMER, lapic_lvt_timer(LAPIC_TIMER_ONE_SHOT,
							 SCENARIO_TIMER_VECTOR));
	lapic_write(LAPIC_REG_TIMER_INITIAL_COUNT, SCENARIO_TIMER_COUNT);
	cpu_interrupts_enable();
	while (interrupts_count() == 0 && polls < SCENARIO_POLL_MAX) {
		(void)cpu_inb(0x80);
		polls++;
	}
	cpu_interrupts_disable();
	scenario_report(state, "polls", polls);
	if (interrupts_count() == 0) {
		scenario_note(state, "no timer interrupt in %u port reads", polls);
		failure = SCENARIO_FAILURE_INTERRUPT_MISSING;
	}
	if (failure == SCENARIO_PASSED)
		failure = scenario_apic_expect_log(state, expected, 1);
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* timer-mode-change: a one-shot count switched to periodic runs on and reloads at its end; a
 * periodic one switched back to one-shot ends with the period under way. Hardware and KVM do
 * that; only a change to or from TSC-deadline mode disarms the timer (SDM Vol. 3A §11.5.4.1
 * "TSC-Deadline Mode"). Three interrupts in all, and the current count read around the first
 * switch: not 0 (still counting), not above its value before (not restarted).
 *
 * QEMU's own APIC (TCG, no apicvisor) agrees on the first switch but ends the count at the
 * second (it takes the time since the initial-count write against one period): without
 * apicvisor the scenario stops after the first two interrupts and says so. The count is
 * timer-periodic's times SCENARIO_MODE_CHANGE_PERIODS, so that the reads around the first switch
 * come well before its end under TCG too, even on a loaded host (with 4 times, QEMU's one-shot
 * once ended between the two reads there, which it then counts as a periodic reload). */
#define SCENARIO_MODE_CHANGE_PERIODS 40u

static enum scenario_failure scenario_timer_mode_change(struct scenario_state *state)
{
	static const uint8_t expected[] = { SCENARIO_TIMER_VECTOR, SCENARIO_TIMER_VECTOR,
					    SCENARIO_TIMER_VECTOR };
	unsigned interrupts = state->context->hypervisor ? 3 : 2;
	enum scenario_failure failure;
	uint32_t before, after;

	lapic_write(LAPIC_REG_LVT_TIMER, lapic_lvt_timer(LAPIC_TIMER_ONE_SHOT,
							 SCENARIO_TIMER_VECTOR));
	lapic_write(LAPIC_REG_TIMER_INITIAL_COUNT,
		    scenario_timer_period_count * SCENARIO_MODE_CHANGE_PERIODS);
	before = lapic_read(LAPIC_REG_TIMER_CURRENT_COUNT);
	lapic_write(LAPIC_REG_LVT_TIMER, lapic_lvt_timer(LAPIC_TIMER_PERIODIC,
							 SCENARIO_TIMER_VECTOR));
	after = lapic_read(LAPIC_REG_TIMER_CURRENT_COUNT);
	cpu_interrupts_enable();
	failure = scenario_apic_await(state, 2, "the one-shot's end and the periodic reload's");
	if (interrupts == 3) {
		lapic_write(LAPIC_REG_LVT_TIMER, lapic_lvt_timer(LAPIC_TIMER_ONE_SHOT,
								 SCENARIO_TIMER_VECTOR));
		if (failure == SCENARIO_PASSED)
			failure = scenario_apic_await(state, 3, "the end of the period under way");
	} else {
		lapic_timer_stop();
		scenario_note(state, "no apicvisor: the switch back to one-shot is not checked");
	}
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	cpu_interrupts_disable();
	lapic_timer_stop();
	scenario_report(state, "count_before", before);
	scenario_report(state, "count_after", after);
	if (after == 0 || after > before) {
		scenario_note(state, "current count %u before the switch to periodic, %u after it",
			      before, after);
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_APIC_REGISTER);
	}
	if (failure == SCENARIO_PASSED)
		failure = scenario_apic_expect_log(state, expected, interrupts);
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

	lapic_write(LAPIC_REG_LVT_TIMER, lapic_lvt_timer(LAPIC_TIMER_ONE_SHOT,
							 SCENARIO_TIMER_VECTOR));

	uint64_t armed = cpu_rdtsc_fenced();

	lapic_write(LAPIC_REG_TIMER_INITIAL_COUNT, SCENARIO_TIMER_COUNT);

	enum scenario_failure failure = scenario_timer_await_one(state, "the timer interrupt");
	uint32_t current = lapic_read(LAPIC_REG_TIMER_CURRENT_COUNT);
	const struct interrupts_arrival *arrival = interrupts_arrival(0);

	if (failure == SCENARIO_PASSED)
		failure = scenario_apic_expect_log(state, expected, 1);
	if (!scenario_expect(state, "the current count after the interrupt", current, 0) &&
	    failure == SCENARIO_PASSED)
		failure = SCENARIO_FAILURE_APIC_REGISTER;
	if (arrival != NULL)
		scenario_report(state, "cycles_to_interrupt", arrival->tsc - armed);
	if (scenario_clocks_have_crystal(&scenario_timer_clocks)) {
		uint64_t interval = scenario_clocks_apic_timer_cycles(
			&scenario_timer_clocks, SCENARIO_TIMER_COUNT, SCENARIO_TIMER_DIVISOR);
		uint64_t late = 0;

		scenario_report(state, "expected_cycles", interval);
		scenario_apic_keep_first(&failure, scenario_timer_check_due(
							   state, 0, armed + interval, interval, &late));
	} else {
		scenario_timer_note_no_crystal(state);
	}
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
	uint64_t late = 0;

	/* The deadline is absolute: due at it, late by more than half the delta it was set
	 * ahead. Needs no clock rate: TSC-deadline mode counts the TSC itself. */
	scenario_apic_keep_first(&failure, scenario_timer_check_due(
						   state, 0, deadline, SCENARIO_TSC_DEADLINE_DELTA,
						   &late));
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
#define SCENARIO_HLT_TIMER_COUNT 5000u        /* part 2's one-shot */
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
	lapic_timer_start(LAPIC_TIMER_ONE_SHOT, SCENARIO_HLT_TIMER_VECTOR, SCENARIO_HLT_TIMER_COUNT);

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
	{ "timer-periodic", false, scenario_timer_prepare, scenario_timer_periodic },
	{ "timer-offload", true, scenario_timer_offload_prepare, scenario_timer_periodic },
	{ "timer-oneshot", false, scenario_timer_prepare, scenario_timer_oneshot },
	{ "timer-mode-change", false, scenario_timer_prepare, scenario_timer_mode_change },
	{ "timer-poll", false, scenario_timer_prepare, scenario_timer_poll },
	{ "timer-tsc-deadline", false, scenario_prepare_tsc_deadline,
	  scenario_timer_tsc_deadline },
	{ "hlt-wakeup", false, scenario_apic_prepare_xapic, scenario_hlt_wakeup },
};

const struct scenario_list scenario_timer_list = {
	scenario_timer_table, sizeof(scenario_timer_table) / sizeof(scenario_timer_table[0])
};
