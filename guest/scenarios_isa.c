/* SPDX-License-Identifier: MIT */
/*
 * The scenarios of the PC's legacy interrupt sources: the 8259 pair delivering through LINT0
 * in ExtINT mode, the 8254 PIT's periodic IRQ 0 through the I/O APIC, and COM1's IRQ 4; what
 * each does and touches is listed in scenarios.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmos.h"
#include "cpu.h"
#include "interrupts.h"
#include "ioapic.h"
#include "lapic.h"
#include "pic.h"
#include "pit.h"
#include "scenario_apic_kit.h"
#include "scenario_irq_kit.h"
#include "scenario_kit.h"
#include "serial.h"
#include "testdev.h"

/* ------------------------------------------------------------------------------------------ */
/* pic-extint: the 8259 pair in virtual wire mode through the local APIC: LINT0 in ExtINT mode
 * lets the master's INTR interrupt the CPU, and the 8259 supplies the vector in the INTA cycle
 * (SDM Vol. 3A §11.5.1 "Local Vector Table"). Such an interrupt sets no ISR bit in the local
 * APIC and takes no APIC EOI (SDM Vol. 3A §11.8.5 "Signaling Interrupt Servicing Completion"):
 * the handler writes the 8259's non-specific EOI instead. LINT0 was chosen over I/O APIC pin 0
 * in ExtINT mode because nothing drives pin 0 on QEMU's pc machine (scenario_irq_kit.h).
 *
 * The line is raised with IF = 0 and held past the handler: "the IR input must remain high
 * until after the falling edge of the first INTA. If the IR input goes low before this time a
 * DEFAULT IR7 will occur" (8259A datasheet, "Edge Triggered Mode"), so a short pulse with
 * interrupts off would be a spurious IRQ 7 on a real 8259A. Held high after the EOI, it must not
 * interrupt again: in edge-triggered mode only a low-to-high transition requests (in level mode
 * the request would stand). It is lowered with IF = 0 before the next round. Under a hypervisor
 * each raise with IF = 0 is an interrupt-window exit after the STI. */

#define SCENARIO_PIC_VECTOR (SCENARIO_IRQ_PIC_MASTER_BASE + SCENARIO_IRQ_PIC_GSI)
#define SCENARIO_PIC_IRQ_BIT (1u << SCENARIO_IRQ_PIC_GSI)

/* Arrivals due so far, set by the main flow before each raise. One more means the 8259 did not
 * treat IRQ 5 as edge-triggered: as the line is still high, every EOI would bring another, and
 * nothing else would run, so the handler masks IRQ 5 and lets the round note it. */
static unsigned scenario_pic_due;

static void scenario_pic_hook(const struct interrupts_arrival *arrival)
{
	if (arrival->vector != SCENARIO_PIC_VECTOR)
		return;
	if (interrupts_count() > scenario_pic_due)
		pic_set_mask(PIC_MASTER, PIC_ALL_MASKED);
	pic_eoi(PIC_MASTER);
}

/* scenario_irq_prepare, then IRQ 5 edge-triggered in ELCR1: an ELCR bit set would make it
 * level-triggered (and active low) on a PIIX-class chipset, whatever ICW1's LTIM says. */
static enum scenario_failure scenario_pic_prepare(struct scenario_state *state)
{
	enum scenario_failure prepared = scenario_irq_prepare(state);

	if (prepared == SCENARIO_PASSED)
		pic_write_elcr(PIC_MASTER, (uint8_t)(pic_read_elcr(PIC_MASTER) &
						     ~SCENARIO_PIC_IRQ_BIT));
	return prepared;
}

/* One round: raise with IF = 0 (the first round also reads the master's IRR, which must hold
 * IRQ 5), STI, the interrupt, a quiet spell with the line still high, CLI, lower. */
static enum scenario_failure scenario_pic_round(struct scenario_state *state, unsigned index)
{
	enum scenario_failure failure = SCENARIO_PASSED;

	scenario_pic_due = index + 1;
	testdev_set_line(SCENARIO_IRQ_PIC_GSI, true);
	if (index == 0) {
		uint8_t irr = pic_read_irr(PIC_MASTER);

		if (!(irr & SCENARIO_PIC_IRQ_BIT)) {
			scenario_note(state, "the master's IRR is 0x%x with IRQ %u raised", irr,
				      SCENARIO_IRQ_PIC_GSI);
			failure = SCENARIO_FAILURE_DEVICE_REGISTER;
		}
	}
	cpu_interrupts_enable();
	scenario_apic_keep_first(&failure, scenario_apic_expect_arrival(
						   state, index, SCENARIO_PIC_VECTOR, "IRQ 5 raise"));
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	cpu_interrupts_disable();
	testdev_set_line(SCENARIO_IRQ_PIC_GSI, false);
	if (failure == SCENARIO_PASSED && interrupts_count() != index + 1) {
		scenario_note(state, "IRQ 5 held high after the EOI requested again (%u "
			      "interrupts for %u raises): not edge-triggered", interrupts_count(),
			      index + 1);
		failure = SCENARIO_FAILURE_INTERRUPT_UNEXPECTED;
	}
	return failure;
}

/* The rounds of pic-extint and ioapic-extint: the 8259's IRQ 5 through whichever route
 * `route` switches on (before the 8259 is unmasked) and off (after it is masked again). */
static enum scenario_failure scenario_pic_through(struct scenario_state *state,
						  void (*route)(bool on))
{
	unsigned raises = scenario_irq_count(state, SCENARIO_IRQ_MAX_EVENTS);
	enum scenario_failure failure = SCENARIO_PASSED;

	interrupts_set_extint_vectors(SCENARIO_IRQ_PIC_MASTER_BASE, 2 * PIC_IRQS_PER_CHIP);
	interrupts_set_hook(scenario_pic_hook);
	route(true);
	pic_set_mask(PIC_MASTER, (uint8_t)~SCENARIO_PIC_IRQ_BIT);
	for (unsigned i = 0; i < raises && failure == SCENARIO_PASSED; i++)
		failure = scenario_pic_round(state, i);

	uint8_t isr = pic_read_isr(PIC_MASTER);

	pic_set_mask(PIC_MASTER, PIC_ALL_MASKED);
	route(false);
	if (isr != 0) {
		scenario_note(state, "the master's ISR is 0x%x after the EOIs", isr);
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_DEVICE_REGISTER);
	}
	scenario_apic_keep_first(&failure, scenario_irq_expect_repeated(
						   state, SCENARIO_PIC_VECTOR, raises));
	return scenario_apic_finish(state, failure);
}

/* LVT LINT0 in ExtINT mode, or masked. */
static void scenario_route_lint0(bool on)
{
	lapic_write(LAPIC_REG_LVT_LINT0, on ? LAPIC_LVT_DELIVERY_EXTINT : LAPIC_LVT_MASKED);
}

static enum scenario_failure scenario_pic_extint(struct scenario_state *state)
{
	return scenario_pic_through(state, scenario_route_lint0);
}

/* ------------------------------------------------------------------------------------------ */
/* ioapic-extint: the same 8259 interrupts through I/O APIC pin 0 in ExtINT mode instead of
 * LINT0 (LINT0 stays masked, as prepare leaves it): the MP specification's virtual wire mode
 * through the I/O APIC. "ExtINT ... delivers the signal to the INTR signal of all processors
 * cores listed in the destination as an interrupt that originated in an externally connected
 * (8259A-compatible) interrupt controller. The INTA cycle that corresponds to this ExtINT
 * delivery is routed to the external controller that is expected to supply the vector" (82093AA
 * §3.2.4, "Delivery Mode"): the vector is the 8259's, the entry's vector field is ignored, and
 * as with LINT0 there is no APIC EOI. apicvisor only: QEMU's pc machine does not wire the
 * 8259's INTR to pin 0 (scenario_irq_kit.h). Rounds as pic-extint's. */

#define SCENARIO_EXTINT_PIN 0u
/* A vector field the entry carries but must not be used: the 8259 supplies the vector. */
#define SCENARIO_EXTINT_RTE_VECTOR 0x9Au

/* I/O APIC pin 0 in ExtINT mode to the own APIC ID, or masked. */
static void scenario_route_ioapic_pin0(bool on)
{
	if (!on) {
		ioapic_mask(SCENARIO_EXTINT_PIN);
		return;
	}
	ioapic_set_rte(SCENARIO_EXTINT_PIN,
		       ((uint64_t)lapic_id() << IOAPIC_RTE_DESTINATION_SHIFT) |
			       IOAPIC_RTE_DELIVERY_EXTINT | IOAPIC_RTE_DESTINATION_PHYSICAL |
			       IOAPIC_RTE_EDGE | IOAPIC_RTE_ACTIVE_HIGH | SCENARIO_EXTINT_RTE_VECTOR);
}

static enum scenario_failure scenario_ioapic_extint(struct scenario_state *state)
{
	return scenario_pic_through(state, scenario_route_ioapic_pin0);
}

/* ------------------------------------------------------------------------------------------ */
/* pit-periodic: counter 0 in mode 2 gives IRQ 0 one rising edge per period, which reaches I/O
 * APIC pin 2 through the ISA override. The handler of the last wanted tick masks the pin; a
 * tick already sent by then is pending in the APIC's IRR and arrives after the EOI, so the
 * handler reads IRR to know whether one more is due, as timer-periodic does. The PIT runs on
 * for three more periods (measured in TSC cycles from the ticks: the quiet spell of the other
 * scenarios is shorter than one), whose edges the masked pin must drop, and is then stopped. */

#define SCENARIO_PIT_VECTOR 0x68u
#define SCENARIO_PIT_MAX_TICKS 10u
/* 4773 input clocks: a 4 ms period, the count of a 250 Hz system tick (Linux's default HZ).
 * Not 1 ms: under Bochs (a 4 MHz TSC) a 1 ms period is ~4000 TSC cycles, about what one tick's
 * exits cost in tpr-shadow mode (a preemption-timer exit and an APIC_ACCESS EOI, ~3200 cycles
 * of root mode), so arrivals bunched and the rate this scenario measures moved by more than its
 * bound when the hypervisor's exit path changed by a few instructions. */
#define SCENARIO_PIT_COUNT 4773u
#define SCENARIO_PIT_PERIODS_AFTER 3u

static unsigned scenario_pit_ticks;            /* set by the run before the PIT starts */
static bool scenario_pit_pending_at_stop;      /* set by the hook */

static void scenario_pit_hook(const struct interrupts_arrival *arrival)
{
	if (arrival->vector != SCENARIO_PIT_VECTOR || interrupts_count() != scenario_pit_ticks)
		return;
	ioapic_mask(SCENARIO_IRQ_PIT_PIN);
	scenario_pit_pending_at_stop = lapic_irr_has(SCENARIO_PIT_VECTOR);
}

/* Read by the prepare step (CPUID exits are not the scenario's). */
static struct scenario_clocks scenario_pit_clocks;

/*
 * The PIT's rate against the TSC: the mean period from the first tick to the last wanted one,
 * (last - first) / (ticks - 1), must be within SCENARIO_PIT_RATE_TOLERANCE_PERCENT of count /
 * 1.193182 MHz in TSC cycles (TSC rate from CPUID 15H, else 16H). The mean is taken between
 * arrivals, not from the PIT's start: the pin is opened after the counter, and edges that come
 * while it is still masked are dropped, so the first arrival is some whole number of periods
 * after the start. Each arrival is late by the time a hypervisor takes to notice the edge and
 * deliver it, and that varies with what the guest was doing when the edge came: under Bochs,
 * with a 1 ms period (~4000 TSC cycles) one tick in ten was seen ~2000 cycles later than the
 * others (an edge that fell inside the previous tick's EOI exit), which moved the mean over 9
 * periods by ~5.5%; the 4 ms period keeps such a delay near 1%. The bound is 10%: above that, and it still catches a PIT counting
 * at a wrong input clock, with a count that lost a byte, or at half or twice the rate. Figures
 * cycles_per_tick (the mean), expected_cycles_per_tick, period_cycles_min and _max (between
 * consecutive arrivals).
 */
#define SCENARIO_PIT_RATE_TOLERANCE_PERCENT 10u

static enum scenario_failure scenario_pit_rate(struct scenario_state *state, uint64_t *period)
{
	const struct interrupts_arrival *first = interrupts_arrival(0);
	const struct interrupts_arrival *last = interrupts_arrival(scenario_pit_ticks - 1);
	uint64_t period_min = UINT64_MAX, period_max = 0;

	*period = 0;
	if (scenario_pit_ticks < 2 || first == NULL || last == NULL || last->tsc < first->tsc)
		return SCENARIO_PASSED; /* the log check has noted what is missing */
	*period = (last->tsc - first->tsc) / (scenario_pit_ticks - 1);
	for (unsigned i = 1; i < scenario_pit_ticks; i++) {
		const struct interrupts_arrival *arrival = interrupts_arrival(i);
		const struct interrupts_arrival *previous = interrupts_arrival(i - 1);
		uint64_t interval;

		if (arrival == NULL || previous == NULL || arrival->tsc < previous->tsc)
			continue;
		interval = arrival->tsc - previous->tsc;
		period_min = interval < period_min ? interval : period_min;
		period_max = interval > period_max ? interval : period_max;
	}
	scenario_report(state, "cycles_per_tick", *period);
	if (scenario_pit_clocks.tsc_hz == 0) {
		scenario_note(state, "rate not checked: CPUID gives no TSC frequency (leaves 15H, "
			      "16H)");
		return SCENARIO_PASSED;
	}

	uint64_t expected = scenario_clocks_tsc_cycles(&scenario_pit_clocks, SCENARIO_PIT_COUNT,
						       PIT_INPUT_HZ);
	uint64_t slack = expected * SCENARIO_PIT_RATE_TOLERANCE_PERCENT / 100u;

	scenario_report(state, "expected_cycles_per_tick", expected);
	scenario_report(state, "period_cycles_min", period_min);
	scenario_report(state, "period_cycles_max", period_max);
	if (*period + slack < expected || *period > expected + slack) {
		scenario_note(state, "the PIT ticked every %lu TSC cycles on average, expected %lu "
			      "(count %u at %u Hz, TSC %lu Hz) +- %u%%", *period, expected,
			      SCENARIO_PIT_COUNT, PIT_INPUT_HZ, scenario_pit_clocks.tsc_hz,
			      SCENARIO_PIT_RATE_TOLERANCE_PERCENT);
		return SCENARIO_FAILURE_RATE;
	}
	return SCENARIO_PASSED;
}

/* How long to watch the masked pin after the last wanted tick: SCENARIO_PIT_PERIODS_AFTER
 * periods as measured, at least the usual quiet spell. */
static uint64_t scenario_pit_after_ticks_cycles(uint64_t period)
{
	if (period * SCENARIO_PIT_PERIODS_AFTER < SCENARIO_APIC_QUIET_CYCLES)
		return SCENARIO_APIC_QUIET_CYCLES;
	return period * SCENARIO_PIT_PERIODS_AFTER;
}

/* scenario_irq_prepare, then the PIT stopped, so that nothing the firmware left running
 * reaches the pin before the scenario starts the counter again; then CPUID's clocks. */
static enum scenario_failure scenario_pit_prepare(struct scenario_state *state)
{
	enum scenario_failure prepared = scenario_irq_prepare(state);

	if (prepared == SCENARIO_PASSED) {
		pit_stop();
		scenario_read_clocks(&scenario_pit_clocks);
	}
	return prepared;
}

/* device-offload: pit-periodic with the PIT kept by the housekeeping CPU, whose IOAPIC message
 * it posts (docs/design.md, "SMP"): with posted-interrupt processing a tick costs the guest no
 * exit. */
static enum scenario_failure scenario_device_offload_prepare(struct scenario_state *state)
{
	return scenario_prepare_housekeeping(state, scenario_pit_prepare);
}

static enum scenario_failure scenario_pit_periodic(struct scenario_state *state)
{
	enum scenario_failure failure = SCENARIO_PASSED;
	uint64_t period;

	scenario_pit_ticks = scenario_irq_count(state, SCENARIO_PIT_MAX_TICKS);
	scenario_pit_pending_at_stop = false;
	interrupts_set_hook(scenario_pit_hook);
	/* Counter first, pin second: loading the count restarts the counter's period, so the
	 * first edge the open pin sees is a full period after the load. */
	pit_start(PIT_MODE_RATE_GENERATOR, SCENARIO_PIT_COUNT);
	ioapic_set_rte(SCENARIO_IRQ_PIT_PIN, scenario_irq_rte(SCENARIO_PIT_VECTOR,
							      IOAPIC_RTE_EDGE |
							      IOAPIC_RTE_ACTIVE_HIGH));
	cpu_interrupts_enable();
	/* One wait per tick: the timeout bounds a period, not the whole run. */
	for (unsigned i = 1; i <= scenario_pit_ticks && failure == SCENARIO_PASSED; i++)
		failure = scenario_apic_await(state, i, "a PIT tick");
	if (failure != SCENARIO_PASSED)
		ioapic_mask(SCENARIO_IRQ_PIT_PIN);
	scenario_apic_keep_first(&failure, scenario_pit_rate(state, &period));
	interrupts_idle(scenario_pit_after_ticks_cycles(period));
	pit_stop();
	cpu_interrupts_disable();

	unsigned due = scenario_pit_ticks + (scenario_pit_pending_at_stop ? 1 : 0);

	scenario_apic_keep_first(&failure, scenario_irq_expect_repeated(state, SCENARIO_PIT_VECTOR,
									  due));
	scenario_report(state, "ticks", scenario_pit_ticks);
	if (scenario_pit_pending_at_stop)
		scenario_note(state, "a tick was pending in IRR when the pin was masked: %u due",
			      due);
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* rtc-uip, rtc-periodic: the MC146818A real-time clock at ports 70H (index; bit 7 masks NMIs on
 * the PC) and 71H (data), as PC firmware leaves it (divider running, 24-hour). Citations are to
 * the MC146818A datasheet. */

#define RTC_SECONDS 0x00u
#define RTC_REG_A 0x0Au
#define RTC_REG_B 0x0Bu
#define RTC_REG_C 0x0Cu
#define RTC_A_UIP 0x80u
#define RTC_A_RS_MASK 0x0Fu
#define RTC_B_PIE 0x40u
#define RTC_C_IRQF 0x80u
#define RTC_C_PF 0x40u
#define SCENARIO_RTC_VECTOR 0x69u
#define SCENARIO_RTC_PIN 8u            /* ISA IRQ 8: I/O APIC pin 8, no override */
#define SCENARIO_RTC_RS 9u             /* 128 Hz: a tick every 7.8125 ms ("Periodic Interrupt Rate") */
#define SCENARIO_RTC_PERIOD_NS 7812500u
#define SCENARIO_RTC_MAX_TICKS 10u
#define SCENARIO_RTC_RATE_TOLERANCE_PERCENT 10u

static struct scenario_clocks scenario_rtc_clocks;
static unsigned scenario_rtc_ticks;
static uint8_t scenario_rtc_bad_c;      /* a register C without IRQF and PF in a tick's handler */
static unsigned scenario_rtc_bad_tick;

static unsigned rtc_seconds(void)
{
	uint8_t value = cmos_read(RTC_SECONDS);

	return cmos_to_binary(value, cmos_read(RTC_REG_B));
}

/* scenario_irq_prepare, the TSC rate, and register C read (its flags cleared, IRQ 8 low). */
static enum scenario_failure scenario_rtc_prepare(struct scenario_state *state)
{
	enum scenario_failure prepared = scenario_irq_prepare(state);

	if (prepared == SCENARIO_PASSED) {
		scenario_read_clocks(&scenario_rtc_clocks);
		(void)cmos_read(RTC_REG_C);
	}
	return prepared;
}

/* Polls register A until UIP is `want` or `limit` TSC cycles passed; returns the polls (each
 * 2 port accesses), or 0 on the time limit. */
static unsigned rtc_poll_uip(bool want, uint64_t limit)
{
	uint64_t start = cpu_rdtsc_fenced();

	for (unsigned polls = 1;; polls++) {
		if (!!(cmos_read(RTC_REG_A) & RTC_A_UIP) == want)
			return polls;
		if (cpu_rdtsc_fenced() - start > limit)
			return 0;
	}
}

/*
 * rtc-uip: what a kernel that reads the clock does ("Update Cycle"): with UIP clear, read the
 * time; wait for the update-in-progress bit, wait for it to clear, read the time again: one
 * second later. UIP is 1 from 244 µs before each update (once a second) to the end of the
 * update cycle. Figures: polls of register A (each 2 port accesses: the exits are exactly 2 per
 * poll plus 8 for the two seconds reads, each with register B for the format), seconds before
 * and after.
 */
static enum scenario_failure scenario_rtc_uip(struct scenario_state *state)
{
	uint64_t limit = scenario_rtc_clocks.tsc_hz ? 3 * scenario_rtc_clocks.tsc_hz
						    : 12000000000ull;
	unsigned before, after, first_clear, to_set, to_clear;

	first_clear = rtc_poll_uip(false, limit);
	before = rtc_seconds();
	to_set = first_clear ? rtc_poll_uip(true, limit) : 0;
	to_clear = to_set ? rtc_poll_uip(false, limit) : 0;
	after = rtc_seconds();
	scenario_report(state, "polls_uip_clear", first_clear + to_set);
	scenario_report(state, "polls_uip_set", to_clear);
	scenario_report(state, "seconds_before", before);
	scenario_report(state, "seconds_after", after);
	if (!first_clear || !to_set || !to_clear) {
		scenario_note(state, "UIP never %s within 3 s", to_set ? "cleared" : "set");
		return SCENARIO_FAILURE_DEVICE_REGISTER;
	}
	if (after != (before + 1) % 60) {
		scenario_note(state, "seconds %u before the update, %u after it", before, after);
		return SCENARIO_FAILURE_DEVICE_REGISTER;
	}
	return SCENARIO_PASSED;
}

/* Each tick: register C read in the handler, before the EOI, which clears PF and IRQF and lowers
 * IRQ 8 so that the next tick is a new edge; the last wanted one masks the pin. */
static void scenario_rtc_hook(const struct interrupts_arrival *arrival)
{
	uint8_t c;

	if (arrival->vector != SCENARIO_RTC_VECTOR)
		return;
	c = cmos_read(RTC_REG_C);
	if ((c & (RTC_C_IRQF | RTC_C_PF)) != (RTC_C_IRQF | RTC_C_PF) && !scenario_rtc_bad_tick) {
		scenario_rtc_bad_c = c;
		scenario_rtc_bad_tick = interrupts_count() + 1;
	}
	if (interrupts_count() == scenario_rtc_ticks)
		ioapic_mask(SCENARIO_RTC_PIN);
}

/* Registers A and B as rtc-periodic found them, restored at its end. */
static uint8_t scenario_rtc_a, scenario_rtc_b;

/*
 * rtc-periodic's prepare step: scenario_rtc_prepare; the rate (A's RS := 1001b), the pin (RTE 8
 * := vector 69H, edge, active high: the PC's ISA IRQ 8) set masked, register C read (IRQ 8 low)
 * and PIE set; then register C polled until PF shows: a tick has just passed, and its edge was
 * lost on the masked pin. The scenario then opens the pin well before the next tick (one IOAPIC
 * write against 7.8 ms), so that every tick it counts is raised by the RTC's own timer — not by
 * a port access, as a tick that fell due just before the PIE write would be (the model latches it
 * there, as a real RTC has already raised it), which would move one exit from tick to tick with
 * the RTC's phase. PF is polled with PIE set because QEMU's RTC runs its periodic timer only
 * then (the MC146818A sets PF at the rate whatever PIE says).
 */
static enum scenario_failure scenario_rtc_periodic_prepare(struct scenario_state *state)
{
	enum scenario_failure prepared = scenario_rtc_prepare(state);
	uint64_t start, limit;

	if (prepared != SCENARIO_PASSED)
		return prepared;
	scenario_rtc_a = cmos_read(RTC_REG_A);
	scenario_rtc_b = cmos_read(RTC_REG_B);
	cmos_write(RTC_REG_A, (uint8_t)((scenario_rtc_a & ~RTC_A_RS_MASK) | SCENARIO_RTC_RS));
	ioapic_set_rte(SCENARIO_RTC_PIN, scenario_irq_rte(SCENARIO_RTC_VECTOR,
							  IOAPIC_RTE_EDGE | IOAPIC_RTE_ACTIVE_HIGH |
							  IOAPIC_RTE_MASKED));
	(void)cmos_read(RTC_REG_C);
	cmos_write(RTC_REG_B, scenario_rtc_b | RTC_B_PIE);
	limit = scenario_rtc_clocks.tsc_hz ? scenario_rtc_clocks.tsc_hz / 10 : 400000000ull;
	start = cpu_rdtsc_fenced();
	while (!(cmos_read(RTC_REG_C) & RTC_C_PF)) {
		if (cpu_rdtsc_fenced() - start > limit) {
			cmos_write(RTC_REG_B, scenario_rtc_b);
			cmos_write(RTC_REG_A, scenario_rtc_a);
			scenario_note(state, "no periodic flag in register C within 100 ms");
			return SCENARIO_FAILURE_DEVICE_REGISTER;
		}
	}
	return SCENARIO_PASSED;
}

/*
 * rtc-periodic: the periodic interrupt at 128 Hz (PIE set by the prepare step, just after a
 * tick), I/O APIC pin 8 opened, min(n, 10) ticks; each one's register C read clears it. Checked:
 * the vectors, and the mean period between arrivals within 10% of 7.8125 ms by the TSC. Per
 * tick: the interrupt and 2 port accesses for register C.
 */
static enum scenario_failure scenario_rtc_periodic(struct scenario_state *state)
{
	enum scenario_failure failure = SCENARIO_PASSED;
	uint8_t a = scenario_rtc_a, b = scenario_rtc_b;

	scenario_rtc_ticks = scenario_irq_count(state, SCENARIO_RTC_MAX_TICKS);
	scenario_rtc_bad_tick = 0;
	interrupts_set_hook(scenario_rtc_hook);
	ioapic_unmask(SCENARIO_RTC_PIN);
	cpu_interrupts_enable();
	for (unsigned i = 1; i <= scenario_rtc_ticks && failure == SCENARIO_PASSED; i++)
		failure = scenario_apic_await(state, i, "an RTC tick");
	cpu_interrupts_disable();
	ioapic_mask(SCENARIO_RTC_PIN);
	cmos_write(RTC_REG_B, b);
	cmos_write(RTC_REG_A, a);
	(void)cmos_read(RTC_REG_C);
	scenario_irq_quiet();
	scenario_apic_keep_first(&failure, scenario_irq_expect_repeated(state, SCENARIO_RTC_VECTOR,
									  scenario_rtc_ticks));
	scenario_report(state, "ticks", scenario_rtc_ticks);
	if (scenario_rtc_bad_tick) {
		scenario_note(state, "register C read %x at tick %u: IRQF and PF expected",
			      scenario_rtc_bad_c, scenario_rtc_bad_tick);
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_DEVICE_REGISTER);
	}
	if (failure == SCENARIO_PASSED)
		failure = scenario_irq_mean_period(state, "RTC", scenario_rtc_ticks,
						   scenario_rtc_clocks.tsc_hz / 1000u *
							   SCENARIO_RTC_PERIOD_NS / 1000000u,
						   SCENARIO_RTC_RATE_TOLERANCE_PERCENT);
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* uart-irq: with ETBEI set in IER and the transmitter holding register empty, the 16550
 * raises its interrupt, IIR reports "THR empty" (bits 3:0 = 0010), and reading IIR clears it
 * ("Reading the IIR Register (if source of interrupt)", PC16550D Table IV "Interrupt Control
 * Functions"). COM1's IRQ 4 is edge-triggered at I/O APIC pin 4, as ISA IRQs are. Under
 * apicvisor a byte then arrives through the test device: with ERBFI set, IIR reports "received
 * data available" (bits 3:0 = 0100, priority over THR empty) until RBR is read. Plain QEMU
 * has no way to make a byte arrive, so that half is skipped there. */

#define SCENARIO_UART_VECTOR 0x64u

#define SCENARIO_UART_RX_BYTE 'A'

static uint8_t scenario_uart_iir;              /* set by the hook; 0xFF until it runs */
static int scenario_uart_rx = -1;              /* the byte the hook read from RBR, if any */

static void scenario_uart_hook(const struct interrupts_arrival *arrival)
{
	if (arrival->vector != SCENARIO_UART_VECTOR)
		return;
	scenario_uart_iir = serial_read_iir();
	if ((scenario_uart_iir & SERIAL_IIR_ID_MASK) == SERIAL_IIR_RX_DATA)
		scenario_uart_rx = serial_read_rbr(); /* clears the receive interrupt */
}

/* The receive half: one byte through the test device, one interrupt, IIR = RX data. */
static enum scenario_failure scenario_uart_receive(struct scenario_state *state)
{
	enum scenario_failure failure;

	scenario_uart_iir = 0xFF;
	serial_set_ier(SERIAL_IER_RX_DATA);
	testdev_uart_receive(SCENARIO_UART_RX_BYTE);
	failure = scenario_apic_await(state, 2, "the receive interrupt");
	serial_set_ier(0);
	if ((scenario_uart_iir & SERIAL_IIR_ID_MASK) != SERIAL_IIR_RX_DATA ||
	    scenario_uart_rx != SCENARIO_UART_RX_BYTE) {
		scenario_note(state, "receive: IIR 0x%x (want bits 3:0 = 0x%x), RBR %d (want %d)",
			      scenario_uart_iir, SERIAL_IIR_RX_DATA, scenario_uart_rx,
			      SCENARIO_UART_RX_BYTE);
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_DEVICE_REGISTER);
	}
	return failure;
}

/* scenario_irq_prepare, then COM1 with its interrupts off, the IRQ gate open, nothing pending
 * and the transmitter empty, so that ETBEI alone raises the interrupt. MCR.OUT2 stays set: it
 * only gates IRQ 4, and IER is 0 outside the scenario. */
static enum scenario_failure scenario_uart_prepare(struct scenario_state *state)
{
	enum scenario_failure prepared = scenario_irq_prepare(state);

	if (prepared != SCENARIO_PASSED)
		return prepared;
	serial_wait_transmitter_empty();
	serial_set_ier(0);
	serial_enable_irq_output();
	(void)serial_read_iir();
	return SCENARIO_PASSED;
}

static enum scenario_failure scenario_uart_irq(struct scenario_state *state)
{
	static const uint8_t expected[] = { SCENARIO_UART_VECTOR, SCENARIO_UART_VECTOR };
	unsigned count = state->context->hypervisor ? 2 : 1;
	enum scenario_failure failure;

	scenario_uart_iir = 0xFF;
	scenario_uart_rx = -1;
	interrupts_set_hook(scenario_uart_hook);
	ioapic_set_rte(SCENARIO_IRQ_UART_PIN, scenario_irq_rte(SCENARIO_UART_VECTOR,
							       IOAPIC_RTE_EDGE |
							       IOAPIC_RTE_ACTIVE_HIGH));
	cpu_interrupts_enable();
	serial_set_ier(SERIAL_IER_THR_EMPTY);
	failure = scenario_apic_await(state, 1, "the THR-empty interrupt");
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	serial_set_ier(0);
	if (interrupts_count() != 0 &&
	    (scenario_uart_iir & SERIAL_IIR_ID_MASK) != SERIAL_IIR_THR_EMPTY) {
		scenario_note(state, "IIR read 0x%x in the handler, expected bits 3:0 = 0x%x "
			      "(THR empty)", scenario_uart_iir, SERIAL_IIR_THR_EMPTY);
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_DEVICE_REGISTER);
	}
	if (state->context->hypervisor && failure == SCENARIO_PASSED)
		failure = scenario_uart_receive(state);
	else if (!state->context->hypervisor)
		scenario_note(state, "receive interrupt not tried: only apicvisor's test device can "
			      "make a byte arrive");
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	cpu_interrupts_disable();
	ioapic_mask(SCENARIO_IRQ_UART_PIN);
	scenario_apic_keep_first(&failure, scenario_apic_expect_log(state, expected, count));
	return scenario_apic_finish(state, failure);
}

static const struct scenario scenario_isa_table[] = {
	{ "pic-extint", false, scenario_pic_prepare, scenario_pic_extint },
	{ "ioapic-extint", true, scenario_pic_prepare, scenario_ioapic_extint },
	{ "pit-periodic", false, scenario_pit_prepare, scenario_pit_periodic },
	{ "device-offload", true, scenario_device_offload_prepare, scenario_pit_periodic },
	{ "uart-irq", false, scenario_uart_prepare, scenario_uart_irq },
	{ "rtc-uip", false, scenario_rtc_prepare, scenario_rtc_uip },
	{ "rtc-periodic", false, scenario_rtc_periodic_prepare, scenario_rtc_periodic },
};

const struct scenario_list scenario_isa_list = {
	scenario_isa_table, sizeof(scenario_isa_table) / sizeof(scenario_isa_table[0])
};
