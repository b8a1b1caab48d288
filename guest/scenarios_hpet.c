/* SPDX-License-Identifier: MIT */
/*
 * The HPET scenarios (IA-PC HPET Specification 1.0a, cited by section title): the event timer
 * block the ACPI "HPET" table names, as QEMU's pc machine and apicvisor both have it at
 * 0xFED00000. Each one halts the main counter and zeroes it, programs one or two timers, starts
 * the counter and waits for the interrupts through the I/O APIC; the main counter is stopped and
 * the timers disabled afterwards. What each touches is listed in scenarios.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi.h"
#include "cpu.h"
#include "interrupts.h"
#include "ioapic.h"
#include "pit.h"
#include "scenario_apic_kit.h"
#include "scenario_irq_kit.h"
#include "scenario_kit.h"

/* The ACPI HPET table: the base address's Generic Address Structure at 40 (space ID at 40, the
 * 64-bit address at 44). */
#define HPET_TABLE_BASE_SPACE 40u
#define HPET_TABLE_BASE_ADDRESS 44u
#define HPET_TABLE_MIN_LENGTH 56u

/* "Register Overview" (offsets) and the fields used. */
#define HPET_GCAP 0x000u
#define HPET_GCAP_NUM_TIM_SHIFT 8
#define HPET_GCAP_NUM_TIM_MASK 0x1Fu
#define HPET_GCAP_LEG_RT_CAP (1u << 15)
#define HPET_GEN_CONF 0x010u
#define HPET_ENABLE_CNF 0x1u
#define HPET_LEG_RT_CNF 0x2u
#define HPET_MAIN_COUNTER 0x0F0u
#define HPET_TIMER_CONF(n) (0x100u + 0x20u * (n))
#define HPET_TIMER_COMPARATOR(n) (0x108u + 0x20u * (n))
#define HPET_TN_INT_ENB_CNF (1u << 2)
#define HPET_TN_TYPE_CNF (1u << 3)       /* periodic */
#define HPET_TN_PER_INT_CAP (1u << 4)
#define HPET_TN_VAL_SET_CNF (1u << 6)
#define HPET_TN_INT_ROUTE_SHIFT 9

#define HPET_FS_PER_MS 1000000000000ull
/* The I/O APIC pin a timer is routed to: the lowest from 16 up, which no ISA IRQ uses, where
 * the timer offers one (apicvisor's do); else the lowest it offers (QEMU 7.2's pc machine offers
 * only pin 2, which the PIT shares: the prepare step stops the PIT). */
#define HPET_FIRST_PCI_PIN 16u
#define HPET_ONESHOT_VECTOR 0x6Au
#define HPET_PERIODIC_VECTOR 0x6Bu
#define HPET_LEGACY_VECTOR_0 0x6Cu
#define HPET_LEGACY_VECTOR_1 0x6Du
#define HPET_LEGACY_PIN_0 2u             /* ISA IRQ 0 through the MADT's override */
#define HPET_LEGACY_PIN_1 8u             /* ISA IRQ 8 */
#define HPET_MAX_TICKS 10u
/* hpet-periodic's period: 10 ms, long against the cost of an interrupt under Bochs (whose TSC
 * runs at a few MHz: a 1 ms period there is 4000 instructions, less than the exits one tick
 * costs in emulate mode, and the guest would never leave its handler). */
#define HPET_PERIOD_MS 10u
#define HPET_RATE_TOLERANCE_PERCENT 10u

static volatile uint8_t *hpet_base;
static uint64_t hpet_period_fs;         /* main counter tick, femtoseconds */
static struct scenario_clocks hpet_clocks;

static uint64_t hpet_read(uint32_t offset)
{
	return *(volatile uint64_t *)(hpet_base + offset);
}

static void hpet_write(uint32_t offset, uint64_t value)
{
	*(volatile uint64_t *)(hpet_base + offset) = value;
}

/* Main-counter ticks in `ms` milliseconds. */
static uint64_t hpet_ticks_ms(uint64_t ms)
{
	return ms * HPET_FS_PER_MS / hpet_period_fs;
}

/* TSC cycles of `ticks` main-counter ticks, 0 where the TSC rate is not known. */
static uint64_t hpet_tsc_cycles(uint64_t ticks)
{
	return hpet_clocks.tsc_hz ? ticks * hpet_period_fs / 1000000u * hpet_clocks.tsc_hz /
					    1000000000u
				  : 0;
}

/* The pin timer `n` is routed to (HPET_FIRST_PCI_PIN's rule, from Tn_INT_ROUTE_CAP), or -1
 * when it offers none. */
static int hpet_route_pin(unsigned n)
{
	uint32_t cap = (uint32_t)(hpet_read(HPET_TIMER_CONF(n)) >> 32);

	for (unsigned pin = HPET_FIRST_PCI_PIN; pin < 32; pin++) {
		if (cap & (1u << pin))
			return (int)pin;
	}
	for (unsigned pin = 0; pin < HPET_FIRST_PCI_PIN; pin++) {
		if (cap & (1u << pin))
			return (int)pin;
	}
	return -1;
}

/* The General Configuration bits a scenario on `pin` keeps while it runs: LEG_RT_CNF where the
 * pin is the PIT's (QEMU 7.2 offers no other), to mute the PIT there: QEMU's 8254 keeps the
 * period SeaBIOS gave it running through the control word pit_stop writes. Timer 2's route is
 * not affected; timer 0's legacy route is the same pin 2. */
static uint64_t hpet_pin_conf(int pin)
{
	return pin == HPET_LEGACY_PIN_0 ? HPET_LEG_RT_CNF : 0;
}

/* Everything stopped: counter halted and zeroed, legacy routing off, every timer disabled. */
static void hpet_quiesce(unsigned timers)
{
	hpet_write(HPET_GEN_CONF, 0);
	hpet_write(HPET_MAIN_COUNTER, 0);
	for (unsigned n = 0; n < timers; n++)
		hpet_write(HPET_TIMER_CONF(n), 0);
}

static unsigned hpet_timers(void)
{
	return ((unsigned)(hpet_read(HPET_GCAP) >> HPET_GCAP_NUM_TIM_SHIFT) & HPET_GCAP_NUM_TIM_MASK) +
	       1;
}

/* The I/O APIC scenarios' prepare and the PIT stopped, then the HPET found through its ACPI
 * table, its counter period read (a skip without a table) and everything in it stopped. */
static enum scenario_failure hpet_prepare(struct scenario_state *state)
{
	enum scenario_failure prepared = scenario_irq_prepare(state);
	const uint8_t *table;

	if (prepared != SCENARIO_PASSED)
		return prepared;
	pit_stop();
	table = acpi_find_table(state->context->boot_info, "HPET");
	if (!table)
		return scenario_skip(state, "no ACPI HPET table");
	if (acpi_read32(table, ACPI_SDT_LENGTH) < HPET_TABLE_MIN_LENGTH ||
	    table[HPET_TABLE_BASE_SPACE] != 0) {
		scenario_note(state, "HPET table too short or not in memory space");
		return SCENARIO_FAILURE_BAD_ACPI_TABLE;
	}
	hpet_base = (volatile uint8_t *)(uintptr_t)acpi_read64(table, HPET_TABLE_BASE_ADDRESS);
	hpet_period_fs = hpet_read(HPET_GCAP) >> 32;
	if (hpet_period_fs == 0 || hpet_period_fs > 100000000u) {
		scenario_note(state, "HPET counter period %lu fs (the spec allows up to 10^8)",
			      hpet_period_fs);
		return SCENARIO_FAILURE_DEVICE_REGISTER;
	}
	hpet_quiesce(hpet_timers());
	scenario_read_clocks(&hpet_clocks);
	return SCENARIO_PASSED;
}

/* After the wait: a quiet spell, `pin` masked (before the HPET is stopped, which may unmute the
 * PIT: hpet_pin_conf), IF = 0, the interrupts logged and checked against `expected`. */
static enum scenario_failure hpet_finish(struct scenario_state *state, enum scenario_failure failure,
					 const uint8_t *expected, unsigned count, unsigned timers,
					 unsigned pin)
{
	scenario_irq_quiet();
	ioapic_mask(pin);
	hpet_quiesce(timers);
	if (failure == SCENARIO_PASSED)
		failure = scenario_apic_expect_log(state, expected, count);
	return scenario_apic_finish(state, failure);
}

/* An arrival `ticks` main-counter ticks after `start` (TSC): not before that; the late bound is
 * the caller's rate tolerance on the period. */
static enum scenario_failure hpet_not_early(struct scenario_state *state, uint64_t start,
					    uint64_t ticks, unsigned index)
{
	const struct interrupts_arrival *arrival = interrupts_arrival(index);
	uint64_t due = hpet_tsc_cycles(ticks);

	if (!arrival || !due)
		return SCENARIO_PASSED;
	scenario_report(state, index ? "cycles_to_second" : "cycles_to_interrupt",
			arrival->tsc - start);
	if (arrival->tsc - start < due) {
		scenario_note(state, "interrupt %u came %lu TSC cycles after the start, due at %lu",
			      index, arrival->tsc - start, due);
		return SCENARIO_FAILURE_INTERRUPT_EARLY;
	}
	return SCENARIO_PASSED;
}

/* hpet-oneshot: the last timer, 64-bit one-shot, edge, on its pin (HPET_FIRST_PCI_PIN),
 * due 1 ms after the counter starts: one interrupt, not before then. Figures timers, route_pin,
 * period_fs (the counter's tick), cycles_to_interrupt. */
static enum scenario_failure scenario_hpet_oneshot(struct scenario_state *state)
{
	static const uint8_t expected[] = { HPET_ONESHOT_VECTOR };
	unsigned timers = hpet_timers(), n = timers - 1;
	int pin = hpet_route_pin(n);
	enum scenario_failure failure;
	uint64_t start;

	scenario_report(state, "timers", timers);
	scenario_report(state, "period_fs", hpet_period_fs);
	if (pin < 0) {
		scenario_note(state, "timer %u offers no I/O APIC pin", n);
		return SCENARIO_FAILURE_DEVICE_REGISTER;
	}
	scenario_report(state, "route_pin", (unsigned)pin);
	hpet_write(HPET_GEN_CONF, hpet_pin_conf(pin));
	ioapic_set_rte((unsigned)pin, scenario_irq_rte(HPET_ONESHOT_VECTOR,
						       IOAPIC_RTE_EDGE | IOAPIC_RTE_ACTIVE_HIGH));
	hpet_write(HPET_TIMER_CONF(n), (uint64_t)pin << HPET_TN_INT_ROUTE_SHIFT | HPET_TN_INT_ENB_CNF);
	hpet_write(HPET_TIMER_COMPARATOR(n), hpet_ticks_ms(1));
	start = cpu_rdtsc_fenced();
	hpet_write(HPET_GEN_CONF, HPET_ENABLE_CNF | hpet_pin_conf(pin));
	cpu_interrupts_enable();
	failure = scenario_apic_await(state, 1, "the one-shot timer's interrupt");
	scenario_apic_keep_first(&failure, hpet_not_early(state, start, hpet_ticks_ms(1), 0));
	return hpet_finish(state, failure, expected, 1, timers, (unsigned)pin);
}

/* hpet-periodic: timer 0 periodic (Tn_PER_INT_CAP), edge, period HPET_PERIOD_MS set through
 * Tn_VAL_SET_CNF (the comparator written with 2 periods, the first expiry, then with the
 * period), on its pin (HPET_FIRST_PCI_PIN); min(n, 10) interrupts, the first not before 2
 * periods, the mean period by the TSC within 10% of one. Figures ticks, cycles_to_interrupt,
 * cycles_per_tick, expected_cycles_per_tick. */
static enum scenario_failure scenario_hpet_periodic(struct scenario_state *state)
{
	uint8_t expected[HPET_MAX_TICKS];
	unsigned timers = hpet_timers(), ticks = scenario_irq_count(state, HPET_MAX_TICKS);
	int pin = hpet_route_pin(0);
	uint64_t period = hpet_ticks_ms(HPET_PERIOD_MS), conf, start;
	enum scenario_failure failure = SCENARIO_PASSED;

	conf = hpet_read(HPET_TIMER_CONF(0));
	if (!(conf & HPET_TN_PER_INT_CAP) || pin < 0) {
		scenario_note(state, "timer 0: periodic capability %u, pin %d",
			      (conf & HPET_TN_PER_INT_CAP) != 0, pin);
		return SCENARIO_FAILURE_DEVICE_REGISTER;
	}
	hpet_write(HPET_GEN_CONF, hpet_pin_conf(pin));
	ioapic_set_rte((unsigned)pin, scenario_irq_rte(HPET_PERIODIC_VECTOR,
						       IOAPIC_RTE_EDGE | IOAPIC_RTE_ACTIVE_HIGH));
	/* "Periodic Mode": with Tn_VAL_SET_CNF set, a comparator write sets the accumulator (the
	 * first expiry); the next write sets the period. */
	hpet_write(HPET_TIMER_CONF(0), (uint64_t)pin << HPET_TN_INT_ROUTE_SHIFT |
					       HPET_TN_INT_ENB_CNF | HPET_TN_TYPE_CNF |
					       HPET_TN_VAL_SET_CNF);
	hpet_write(HPET_TIMER_COMPARATOR(0), 2 * period);
	hpet_write(HPET_TIMER_COMPARATOR(0), period);
	start = cpu_rdtsc_fenced();
	hpet_write(HPET_GEN_CONF, HPET_ENABLE_CNF | hpet_pin_conf(pin));
	cpu_interrupts_enable();
	for (unsigned i = 1; i <= ticks && failure == SCENARIO_PASSED; i++)
		failure = scenario_apic_await(state, i, "a periodic HPET interrupt");
	/* Stop before the quiet spell: no tick after the counted ones. */
	hpet_write(HPET_GEN_CONF, hpet_pin_conf(pin));
	/* The first expiry at the accumulator (2 periods), not the period the second write set. */
	scenario_apic_keep_first(&failure, hpet_not_early(state, start, 2 * period, 0));
	for (unsigned i = 0; i < ticks; i++)
		expected[i] = HPET_PERIODIC_VECTOR;
	scenario_report(state, "ticks", ticks);
	if (failure == SCENARIO_PASSED)
		failure = scenario_irq_mean_period(state, "HPET", ticks, hpet_tsc_cycles(period),
						   HPET_RATE_TOLERANCE_PERCENT);
	return hpet_finish(state, failure, expected, ticks, timers, (unsigned)pin);
}

/* hpet-legacy: legacy replacement routing ("Legacy Replacement Option"): timer 0 drives ISA
 * IRQ 0 (I/O APIC pin 2 through the MADT's override) and timer 1 ISA IRQ 8 (pin 8); one-shots
 * due 1 ms and 2 ms after the counter starts: the two vectors in that order. The PIT's one edge
 * (mode 0, terminal count 1 ms after its start) comes meanwhile, muted by LEG_RT_CNF (set
 * first, with the counter halted): on pin 2 it would be a third interrupt. Pins masked and the
 * PIT stopped before LEG_RT_CNF is cleared. Figures cycles_to_interrupt, cycles_to_second. */
#define HPET_PIT_1MS 1193u
static enum scenario_failure scenario_hpet_legacy(struct scenario_state *state)
{
	static const uint8_t expected[] = { HPET_LEGACY_VECTOR_0, HPET_LEGACY_VECTOR_1 };
	unsigned timers = hpet_timers();
	enum scenario_failure failure;
	uint64_t start;

	if (!(hpet_read(HPET_GCAP) & HPET_GCAP_LEG_RT_CAP)) {
		scenario_note(state, "no legacy replacement capability");
		return SCENARIO_FAILURE_DEVICE_REGISTER;
	}
	hpet_write(HPET_GEN_CONF, HPET_LEG_RT_CNF);
	pit_start(PIT_MODE_TERMINAL_COUNT, HPET_PIT_1MS);
	ioapic_set_rte(HPET_LEGACY_PIN_0, scenario_irq_rte(HPET_LEGACY_VECTOR_0, IOAPIC_RTE_EDGE |
							   IOAPIC_RTE_ACTIVE_HIGH));
	ioapic_set_rte(HPET_LEGACY_PIN_1, scenario_irq_rte(HPET_LEGACY_VECTOR_1, IOAPIC_RTE_EDGE |
							   IOAPIC_RTE_ACTIVE_HIGH));
	hpet_write(HPET_TIMER_CONF(0), HPET_TN_INT_ENB_CNF);
	hpet_write(HPET_TIMER_COMPARATOR(0), hpet_ticks_ms(1));
	hpet_write(HPET_TIMER_CONF(1), HPET_TN_INT_ENB_CNF);
	hpet_write(HPET_TIMER_COMPARATOR(1), hpet_ticks_ms(2));
	start = cpu_rdtsc_fenced();
	hpet_write(HPET_GEN_CONF, HPET_ENABLE_CNF | HPET_LEG_RT_CNF);
	cpu_interrupts_enable();
	failure = scenario_apic_await(state, 2, "the two legacy-routed interrupts");
	scenario_apic_keep_first(&failure, hpet_not_early(state, start, hpet_ticks_ms(1), 0));
	scenario_apic_keep_first(&failure, hpet_not_early(state, start, hpet_ticks_ms(2), 1));
	scenario_irq_quiet();
	ioapic_mask(HPET_LEGACY_PIN_0);
	ioapic_mask(HPET_LEGACY_PIN_1);
	pit_stop();
	hpet_quiesce(timers);
	if (failure == SCENARIO_PASSED)
		failure = scenario_apic_expect_log(state, expected, 2);
	return scenario_apic_finish(state, failure);
}

static const struct scenario scenario_hpet_table[] = {
	{ "hpet-oneshot", false, hpet_prepare, scenario_hpet_oneshot },
	{ "hpet-periodic", false, hpet_prepare, scenario_hpet_periodic },
	{ "hpet-legacy", false, hpet_prepare, scenario_hpet_legacy },
};

const struct scenario_list scenario_hpet_list = {
	scenario_hpet_table, sizeof(scenario_hpet_table) / sizeof(scenario_hpet_table[0])
};
