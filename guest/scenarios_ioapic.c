/* SPDX-License-Identifier: MIT */
/*
 * The I/O APIC scenarios (edge and level pins driven by the interrupt test device, masking,
 * priority between pins) and MSIs from the test device; what each does and touches is listed
 * in scenarios.h. The entries are fixed, physical destination the guest's own APIC, active
 * high; the handler writes the APIC EOI, which for a level-triggered vector the APIC also
 * broadcasts to the I/O APIC, clearing the entry's remote IRR (SDM Vol. 3A §11.8.5 "Signaling
 * Interrupt Servicing Completion").
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "interrupts.h"
#include "ioapic.h"
#include "lapic.h"
#include "scenario_apic_kit.h"
#include "scenario_irq_kit.h"
#include "scenario_kit.h"
#include "testdev.h"

#define SCENARIO_IOAPIC_EDGE_VECTOR 0x40u
#define SCENARIO_IOAPIC_LEVEL_VECTOR 0x48u
#define SCENARIO_IOAPIC_LOW_VECTOR 0x50u      /* ioapic-priority: class 5, on the edge pin */
#define SCENARIO_IOAPIC_HIGH_VECTOR 0x90u     /* class 9, on the level scenario's pin */
#define SCENARIO_MSI_VECTOR 0x60u

#define SCENARIO_IOAPIC_EDGE_FLAGS (IOAPIC_RTE_EDGE | IOAPIC_RTE_ACTIVE_HIGH)
#define SCENARIO_IOAPIC_LEVEL_FLAGS (IOAPIC_RTE_LEVEL | IOAPIC_RTE_ACTIVE_HIGH)

/* ------------------------------------------------------------------------------------------ */
/* ioapic-edge: each rising edge on an unmasked edge-triggered pin sends one interrupt message
 * (82093AA §3.2.4, "Trigger Mode"). Under apicvisor a second part has the test device raise the
 * pin later while the CPU halts: HLT must end on the pin's interrupt. */

/* TSC cycles from the delayed-raise request to the pulse: 40 us of a 2.5 GHz TSC. */
#define SCENARIO_DELAYED_RAISE_CYCLES 100000u
/* The safety net should the pulse never come: a one-shot APIC timer at a vector of its own,
 * far beyond the delay at any timer rate (67 ms under QEMU's 1 GHz APIC clock). */
#define SCENARIO_DELAYED_BACKUP_VECTOR 0x4Fu
#define SCENARIO_DELAYED_BACKUP_COUNT 0x4000000u

/* Arrival `index` must be the delayed pulse: after the HLT, not before the delay. */
static enum scenario_failure scenario_ioapic_delayed_raise(struct scenario_state *state,
							   unsigned index)
{
	enum scenario_failure failure = SCENARIO_PASSED;

	lapic_timer_start(LAPIC_TIMER_ONE_SHOT, SCENARIO_DELAYED_BACKUP_VECTOR,
			  SCENARIO_DELAYED_BACKUP_COUNT);

	uint64_t requested = cpu_rdtsc_fenced();

	testdev_raise_later(SCENARIO_IRQ_EDGE_GSI, SCENARIO_DELAYED_RAISE_CYCLES);

	uint64_t after_hlt = scenario_apic_sti_hlt();

	lapic_timer_stop();
	scenario_apic_keep_first(&failure, scenario_apic_expect_arrival(
						   state, index, SCENARIO_IOAPIC_EDGE_VECTOR,
						   "delayed pulse"));
	if (!scenario_apic_expect_boundary(state, index, after_hlt, "STI; HLT"))
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_BOUNDARY);

	const struct interrupts_arrival *arrival = interrupts_arrival(index);

	if (arrival != NULL && arrival->tsc - requested < SCENARIO_DELAYED_RAISE_CYCLES) {
		scenario_note(state, "the delayed pulse came %lu TSC cycles after the request, "
			      "before the %u asked for", arrival->tsc - requested,
			      SCENARIO_DELAYED_RAISE_CYCLES);
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_EARLY);
	}
	if (arrival != NULL)
		scenario_report(state, "cycles_to_delayed_wakeup", arrival->tsc - requested);
	return failure;
}

static enum scenario_failure scenario_ioapic_edge(struct scenario_state *state)
{
	bool apicvisor = state->context->hypervisor;
	unsigned pulses = scenario_irq_count(state, SCENARIO_IRQ_MAX_EVENTS);
	unsigned expected = pulses;
	enum scenario_failure failure = SCENARIO_PASSED;

	ioapic_set_rte(SCENARIO_IRQ_EDGE_GSI,
		       scenario_irq_rte(SCENARIO_IOAPIC_EDGE_VECTOR, SCENARIO_IOAPIC_EDGE_FLAGS));
	cpu_interrupts_enable();
	for (unsigned i = 0; i < pulses && failure == SCENARIO_PASSED; i++) {
		testdev_pulse(SCENARIO_IRQ_EDGE_GSI, apicvisor);
		failure = scenario_apic_expect_arrival(state, i, SCENARIO_IOAPIC_EDGE_VECTOR,
						       "pulse");
	}
	scenario_irq_quiet();
	if (failure == SCENARIO_PASSED && apicvisor) {
		failure = scenario_ioapic_delayed_raise(state, pulses);
		expected++;
		scenario_irq_quiet();
	} else if (!apicvisor) {
		scenario_note(state, "delayed raise not tried: QEMU's pc-testdev has no "
			      "RAISE_LATER port");
	}
	ioapic_mask(SCENARIO_IRQ_EDGE_GSI);
	scenario_apic_keep_first(&failure, scenario_irq_expect_repeated(
						   state, SCENARIO_IOAPIC_EDGE_VECTOR, expected));
	scenario_report(state, "pulses", pulses);
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* ioapic-edge-masked: "When this bit is 1, the interrupt signal is masked. Edge-sensitive
 * interrupts signaled on a masked interrupt pin are ignored (i.e., not delivered or held
 * pending)" (82093AA §3.2.4, Table 5, "Interrupt Mask"): unmasking must not deliver them. */

static enum scenario_failure scenario_ioapic_edge_masked(struct scenario_state *state)
{
	static const uint8_t expected[] = { SCENARIO_IOAPIC_EDGE_VECTOR };
	bool apicvisor = state->context->hypervisor;
	unsigned pulses = scenario_irq_count(state, SCENARIO_IRQ_MAX_EVENTS);
	enum scenario_failure failure = SCENARIO_PASSED;

	ioapic_set_rte(SCENARIO_IRQ_EDGE_GSI,
		       scenario_irq_rte(SCENARIO_IOAPIC_EDGE_VECTOR,
					SCENARIO_IOAPIC_EDGE_FLAGS | IOAPIC_RTE_MASKED));
	cpu_interrupts_enable();
	for (unsigned i = 0; i < pulses; i++)
		testdev_pulse(SCENARIO_IRQ_EDGE_GSI, apicvisor);
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	if (interrupts_count() != 0) {
		scenario_note(state, "%u interrupts arrived for %u pulses on the masked pin",
			      interrupts_count(), pulses);
		failure = SCENARIO_FAILURE_INTERRUPT_UNEXPECTED;
	}
	ioapic_unmask(SCENARIO_IRQ_EDGE_GSI);
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	if (interrupts_count() != 0 && failure == SCENARIO_PASSED) {
		scenario_note(state, "a pulse sent while masked was delivered at unmask");
		failure = SCENARIO_FAILURE_INTERRUPT_UNEXPECTED;
	}

	unsigned before = interrupts_count();

	testdev_pulse(SCENARIO_IRQ_EDGE_GSI, apicvisor);
	scenario_apic_keep_first(&failure, scenario_apic_await(state, before + 1,
							       "the pulse after unmask"));
	scenario_irq_quiet();
	ioapic_mask(SCENARIO_IRQ_EDGE_GSI);
	scenario_apic_keep_first(&failure, scenario_apic_expect_log(state, expected, 1));
	scenario_report(state, "masked_pulses", pulses);
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* ioapic-level: a level-triggered entry sends its message while the line is asserted and its
 * remote IRR is clear, and sets remote IRR when a LAPIC accepts it; the EOI message with its
 * vector clears remote IRR, and a line still asserted then sends again (82093AA §3.2.4, Table
 * 5, "Remote IRR" and "Trigger Mode"). So asserts while remote IRR is set coalesce into the one
 * in service, and an interrupt asserted while masked is sent at unmask (the line, not an edge,
 * is what counts). Remote IRR is read only while the entry is level-triggered: for edge entries
 * "its meaning is undefined". */

#define SCENARIO_LEVEL_ARRIVALS 3u

/* Set by the main flow while no level interrupt can arrive; the hook deasserts the line in the
 * handler when it is set, as a driver whose device stops asserting once serviced. */
static bool scenario_level_deassert_in_handler;

/* An arrival beyond the three due means the line or remote IRR was not handled: each EOI would
 * bring another and nothing else would run, so the handler masks the pin (the main flow is
 * then waiting, not inside an I/O APIC access) and the log shows the excess. */
static void scenario_level_hook(const struct interrupts_arrival *arrival)
{
	if (arrival->vector != SCENARIO_IOAPIC_LEVEL_VECTOR)
		return;
	if (scenario_level_deassert_in_handler)
		testdev_set_line(SCENARIO_IRQ_LEVEL_GSI, false);
	if (interrupts_count() > SCENARIO_LEVEL_ARRIVALS)
		ioapic_mask(SCENARIO_IRQ_LEVEL_GSI);
}

/* Remote IRR must read `expected` at this step; a difference is noted and kept. */
static void scenario_level_expect_remote_irr(struct scenario_state *state,
					     enum scenario_failure *failure, bool expected,
					     const char *when)
{
	bool remote_irr = ioapic_remote_irr(SCENARIO_IRQ_LEVEL_GSI);

	if (remote_irr != expected) {
		scenario_note(state, "remote IRR is %u %s, expected %u", remote_irr, when,
			      expected);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_DEVICE_REGISTER);
	}
}

/* Steps 1-2: assert, one interrupt left without EOI; deassert and assert again while remote
 * IRR is set: nothing new, not even in the APIC's IRR. */
static enum scenario_failure scenario_level_coalesce(struct scenario_state *state)
{
	enum scenario_failure failure = SCENARIO_PASSED;

	interrupts_set_eoi(false);
	cpu_interrupts_enable();
	testdev_set_line(SCENARIO_IRQ_LEVEL_GSI, true);
	scenario_apic_keep_first(&failure, scenario_apic_await(state, 1, "the first assert"));
	scenario_level_expect_remote_irr(state, &failure, true, "with the interrupt in service");
	testdev_set_line(SCENARIO_IRQ_LEVEL_GSI, false);
	testdev_set_line(SCENARIO_IRQ_LEVEL_GSI, true);
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	if (lapic_irr_has(SCENARIO_IOAPIC_LEVEL_VECTOR) || interrupts_count() != 1) {
		scenario_note(state, "an assert while remote IRR was set was sent (APIC IRR or "
			      "%u arrivals)", interrupts_count());
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_UNEXPECTED);
	}
	return failure;
}

/* Steps 3-4: the EOI with the line still asserted sends again; that handler deasserts and
 * EOIs, and nothing follows. */
static enum scenario_failure scenario_level_redeliver(struct scenario_state *state)
{
	enum scenario_failure failure = SCENARIO_PASSED;

	scenario_level_deassert_in_handler = true;
	interrupts_set_eoi(true);
	lapic_eoi();
	scenario_apic_keep_first(&failure, scenario_apic_await(state, 2,
							       "the resend at EOI"));
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	if (interrupts_count() > 2) {
		scenario_note(state, "%u interrupts after the line was deasserted in the handler",
			      interrupts_count() - 2);
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_UNEXPECTED);
	}
	scenario_level_expect_remote_irr(state, &failure, false, "after the deassert and EOI");
	return failure;
}

/* Step 5: masked, asserted, unmasked: sent at unmask. */
static enum scenario_failure scenario_level_unmask(struct scenario_state *state)
{
	enum scenario_failure failure = SCENARIO_PASSED;
	unsigned before = interrupts_count();

	ioapic_mask(SCENARIO_IRQ_LEVEL_GSI);
	testdev_set_line(SCENARIO_IRQ_LEVEL_GSI, true);
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	if (interrupts_count() != before) {
		scenario_note(state, "the masked pin's assert was sent");
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_UNEXPECTED);
	}
	ioapic_unmask(SCENARIO_IRQ_LEVEL_GSI);
	scenario_apic_keep_first(&failure, scenario_apic_await(state, before + 1,
							       "the assert held at unmask"));
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	return failure;
}

static enum scenario_failure scenario_ioapic_level(struct scenario_state *state)
{
	static const uint8_t expected[SCENARIO_LEVEL_ARRIVALS] = {
		SCENARIO_IOAPIC_LEVEL_VECTOR, SCENARIO_IOAPIC_LEVEL_VECTOR,
		SCENARIO_IOAPIC_LEVEL_VECTOR
	};
	enum scenario_failure failure;

	scenario_level_deassert_in_handler = false;
	interrupts_set_hook(scenario_level_hook);
	ioapic_set_rte(SCENARIO_IRQ_LEVEL_GSI,
		       scenario_irq_rte(SCENARIO_IOAPIC_LEVEL_VECTOR, SCENARIO_IOAPIC_LEVEL_FLAGS));
	failure = scenario_level_coalesce(state);
	/* The later steps run whatever happened, so that the EOI is written, the line ends low
	 * and the pin masked. */
	scenario_apic_keep_first(&failure, scenario_level_redeliver(state));
	scenario_apic_keep_first(&failure, scenario_level_unmask(state));
	cpu_interrupts_disable();
	ioapic_mask(SCENARIO_IRQ_LEVEL_GSI);
	scenario_apic_keep_first(&failure, scenario_apic_expect_log(state, expected,
								      SCENARIO_LEVEL_ARRIVALS));
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* ioapic-priority: messages from two pins wait in the APIC's IRR while IF = 0; after STI the
 * APIC delivers the higher-priority vector first, whichever pin rose first (SDM Vol. 3A §11.8.3
 * "Interrupt, Task, and Processor Priority"). The lower one is raised first. */

static enum scenario_failure scenario_ioapic_priority(struct scenario_state *state)
{
	static const uint8_t expected[] = { SCENARIO_IOAPIC_HIGH_VECTOR,
					    SCENARIO_IOAPIC_LOW_VECTOR };
	bool apicvisor = state->context->hypervisor;
	enum scenario_failure failure;

	ioapic_set_rte(SCENARIO_IRQ_EDGE_GSI,
		       scenario_irq_rte(SCENARIO_IOAPIC_LOW_VECTOR, SCENARIO_IOAPIC_EDGE_FLAGS));
	ioapic_set_rte(SCENARIO_IRQ_LEVEL_GSI,
		       scenario_irq_rte(SCENARIO_IOAPIC_HIGH_VECTOR, SCENARIO_IOAPIC_EDGE_FLAGS));
	testdev_pulse(SCENARIO_IRQ_EDGE_GSI, apicvisor);
	testdev_pulse(SCENARIO_IRQ_LEVEL_GSI, apicvisor);
	/* On real hardware a message takes a while to reach IRR: both must be there first. */
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	cpu_interrupts_enable();
	failure = scenario_apic_await(state, 2, "the two pins' interrupts");
	scenario_irq_quiet();
	ioapic_mask(SCENARIO_IRQ_EDGE_GSI);
	ioapic_mask(SCENARIO_IRQ_LEVEL_GSI);
	scenario_apic_keep_first(&failure, scenario_apic_expect_log(state, expected, 2));
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* msi: the test device writes the message to the APIC's address range: address FEEH in bits
 * 31:20 and the destination APIC ID in bits 19:12 (RH = DM = 0: physical, no redirection), data
 * the vector with delivery mode fixed (bits 10:8 = 0) and trigger mode edge (bit 15 = 0) (SDM
 * Vol. 3A §11.11.1 "Message Address Register Format", §11.11.2 "Message Data Register Format").
 * The address and data are set once; each MSI is one send. */

#define SCENARIO_MSI_ADDRESS_BASE 0xFEE00000u
#define SCENARIO_MSI_DESTINATION_SHIFT 12

static enum scenario_failure scenario_msi(struct scenario_state *state)
{
	uint64_t iterations = state->context->iterations;
	enum scenario_failure failure = SCENARIO_PASSED;

	testdev_msi_setup(SCENARIO_MSI_ADDRESS_BASE |
			  (lapic_id() << SCENARIO_MSI_DESTINATION_SHIFT), SCENARIO_MSI_VECTOR);
	cpu_interrupts_enable();
	for (uint64_t i = 0; i < iterations && failure == SCENARIO_PASSED; i++) {
		testdev_msi_send();
		failure = scenario_apic_expect_arrival(state, i, SCENARIO_MSI_VECTOR, "MSI");
	}
	if (failure == SCENARIO_PASSED) {
		/* A late duplicate of the last MSI would come now. */
		interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
		if (interrupts_count() != iterations) {
			scenario_note(state, "%u interrupts for %lu MSIs", interrupts_count(),
				      iterations);
			failure = SCENARIO_FAILURE_INTERRUPT_UNEXPECTED;
		}
	}
	return scenario_apic_finish(state, failure);
}

static const struct scenario scenario_ioapic_table[] = {
	{ "ioapic-edge", false, scenario_irq_prepare, scenario_ioapic_edge },
	{ "ioapic-edge-masked", false, scenario_irq_prepare, scenario_ioapic_edge_masked },
	{ "ioapic-level", false, scenario_irq_prepare, scenario_ioapic_level },
	{ "ioapic-priority", false, scenario_irq_prepare, scenario_ioapic_priority },
	{ "msi", true, scenario_apic_prepare_xapic, scenario_msi },
};

const struct scenario_list scenario_ioapic_list = {
	scenario_ioapic_table, sizeof(scenario_ioapic_table) / sizeof(scenario_ioapic_table[0])
};
