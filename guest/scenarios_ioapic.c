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

/* ------------------------------------------------------------------------------------------ */
/* ioapic-directed-eoi: with EOI-broadcast suppression (SVR bit 12, where the version register's
 * bit 24 offers it) the local APIC's EOI of a level-triggered interrupt is not broadcast to the
 * I/O APICs: "software ... must direct EOIs to the I/O APIC(s)" (SDM Vol. 3A §11.8.5
 * "Signaling Interrupt Servicing Completion"), here through the I/O APIC's EOI register (ICH10
 * §13.5.4 "EOIR—EOI Register", version 20H and up). So remote IRR stays set after the LAPIC EOI
 * and clears at the EOI register write; a line still asserted then is sent again ("The
 * interrupt which was prematurely reset will not be lost because if its input remained active
 * when the Remote_IRR bit is cleared, the interrupt will be reissued"). EOIs are the main
 * flow's (interrupts_set_eoi(false)). */

#define SCENARIO_DIRECTED_EOI_ARRIVALS 2u

static enum scenario_failure scenario_directed_eoi_prepare(struct scenario_state *state)
{
	enum scenario_failure prepared = scenario_irq_prepare(state);

	if (prepared != SCENARIO_PASSED)
		return prepared;
	if (!ioapic_has_eoi_register())
		return scenario_skip(state, "the I/O APIC's version is below 20H: no EOI register");
	if (!(lapic_read(LAPIC_REG_VERSION) & LAPIC_VERSION_EOI_BROADCAST_SUPPRESSION))
		return scenario_skip(state, "the local APIC's version register bit 24 is 0: no "
				     "EOI-broadcast suppression");
	return SCENARIO_PASSED;
}

/* One interrupt in service: the LAPIC EOI must leave remote IRR set, with the line at
 * `line_after_eoi`; the I/O APIC EOI must clear it, or resend while the line is high. */
static void scenario_directed_eoi_round(struct scenario_state *state,
					enum scenario_failure *failure, bool line_high,
					const char *round)
{
	testdev_set_line(SCENARIO_IRQ_LEVEL_GSI, line_high);
	lapic_eoi();
	if (ioapic_remote_irr(SCENARIO_IRQ_LEVEL_GSI) != true) {
		scenario_note(state, "%s: remote IRR is 0 after the local APIC's EOI: the EOI was "
			      "broadcast", round);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_DEVICE_REGISTER);
	}
	ioapic_eoi(SCENARIO_IOAPIC_LEVEL_VECTOR);
}

static enum scenario_failure scenario_ioapic_directed_eoi(struct scenario_state *state)
{
	static const uint8_t expected[SCENARIO_DIRECTED_EOI_ARRIVALS] = {
		SCENARIO_IOAPIC_LEVEL_VECTOR, SCENARIO_IOAPIC_LEVEL_VECTOR
	};
	enum scenario_failure failure = SCENARIO_PASSED;

	lapic_set_eoi_broadcast_suppression(true);
	interrupts_set_eoi(false);
	ioapic_set_rte(SCENARIO_IRQ_LEVEL_GSI,
		       scenario_irq_rte(SCENARIO_IOAPIC_LEVEL_VECTOR, SCENARIO_IOAPIC_LEVEL_FLAGS));
	cpu_interrupts_enable();
	/* Round 1: assert, the interrupt, line held high across the LAPIC EOI: with remote IRR
	 * still set nothing is resent; the I/O APIC EOI then resends. */
	testdev_set_line(SCENARIO_IRQ_LEVEL_GSI, true);
	scenario_apic_keep_first(&failure, scenario_apic_await(state, 1, "the assert"));
	scenario_directed_eoi_round(state, &failure, true, "line high");
	scenario_apic_keep_first(&failure, scenario_apic_await(state, 2,
							       "the resend at the I/O APIC EOI"));
	/* Round 2: deasserted before the LAPIC EOI: the I/O APIC EOI clears remote IRR and
	 * nothing follows. */
	scenario_directed_eoi_round(state, &failure, false, "line low");
	if (ioapic_remote_irr(SCENARIO_IRQ_LEVEL_GSI)) {
		scenario_note(state, "remote IRR is 1 after the I/O APIC's EOI register write");
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_DEVICE_REGISTER);
	}
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	cpu_interrupts_disable();
	ioapic_mask(SCENARIO_IRQ_LEVEL_GSI);
	lapic_set_eoi_broadcast_suppression(false);
	scenario_apic_keep_first(&failure, scenario_apic_expect_log(
						   state, expected, SCENARIO_DIRECTED_EOI_ARRIVALS));
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* logical-destination: xAPIC logical destinations, flat then cluster (SDM Vol. 3A §11.6.2.2
 * "Logical Destination Mode"), for fixed IPIs through the ICR and for I/O APIC entries in
 * logical destination mode, which the local APICs match the same way. In each model one
 * destination names this APIC and arrives; the others do not (flat: another member bit;
 * cluster: another member of the cluster, the same member of another cluster) and must not. */

#define SCENARIO_LOGICAL_IPI_VECTOR 0x78u
#define SCENARIO_LOGICAL_PIN_VECTOR 0x7Cu
#define SCENARIO_LOGICAL_MATCHES 4u           /* IPI and pin, in each of the two models */

struct scenario_logical_model {
	const char *name;
	uint32_t dfr;
	uint8_t logical_id;                   /* LDR bits 31:24 */
	uint8_t match;                        /* a destination that names it */
	uint8_t misses[2];                    /* destinations that do not */
};

static const struct scenario_logical_model scenario_logical_models[] = {
	{ "flat", LAPIC_DFR_FLAT, 0x02, 0x02, { 0x04, 0x01 } },
	/* cluster 1, member bit 1; cluster 1 member bit 2; cluster 2 member bit 1 */
	{ "cluster", LAPIC_DFR_CLUSTER, 0x12, 0x12, { 0x14, 0x22 } },
};

static uint32_t scenario_logical_ipi(uint8_t vector)
{
	return LAPIC_ICR_SHORTHAND_NONE | LAPIC_ICR_LEVEL_ASSERT | LAPIC_ICR_DELIVERY_FIXED |
	       LAPIC_ICR_DESTINATION_LOGICAL | vector;
}

static uint64_t scenario_logical_rte(uint8_t destination)
{
	return ((uint64_t)destination << IOAPIC_RTE_DESTINATION_SHIFT) |
	       IOAPIC_RTE_DELIVERY_FIXED | IOAPIC_RTE_DESTINATION_LOGICAL |
	       SCENARIO_IOAPIC_EDGE_FLAGS | SCENARIO_LOGICAL_PIN_VECTOR;
}

/* An IPI and a pulse to `destination`: `arrives` says whether both must arrive (awaited one
 * at a time), else neither (a quiet spell each). */
static enum scenario_failure scenario_logical_send(struct scenario_state *state,
						   const struct scenario_logical_model *model,
						   uint8_t destination, bool arrives)
{
	enum scenario_failure failure = SCENARIO_PASSED;
	unsigned before = interrupts_count();

	lapic_send_ipi(scenario_logical_ipi(SCENARIO_LOGICAL_IPI_VECTOR), destination);
	if (arrives)
		scenario_apic_keep_first(&failure, scenario_apic_expect_arrival(
							   state, before, SCENARIO_LOGICAL_IPI_VECTOR,
							   "logical IPI"));
	ioapic_set_rte(SCENARIO_IRQ_EDGE_GSI, scenario_logical_rte(destination));
	testdev_pulse(SCENARIO_IRQ_EDGE_GSI, state->context->hypervisor);
	if (arrives)
		scenario_apic_keep_first(&failure, scenario_apic_expect_arrival(
							   state, before + 1,
							   SCENARIO_LOGICAL_PIN_VECTOR,
							   "logical I/O APIC pulse"));
	else
		interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	if (interrupts_count() != before + (arrives ? 2u : 0u)) {
		scenario_note(state, "%s model, logical ID 0x%x, destination 0x%x: %u interrupts, "
			      "expected %u", model->name, model->logical_id, destination,
			      interrupts_count() - before, arrives ? 2u : 0u);
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_UNEXPECTED);
	}
	return failure;
}

static enum scenario_failure scenario_logical_destination(struct scenario_state *state)
{
	uint8_t expected[SCENARIO_LOGICAL_MATCHES];
	enum scenario_failure failure = SCENARIO_PASSED;
	unsigned matches = 0;

	cpu_interrupts_enable();
	for (size_t m = 0; m < sizeof(scenario_logical_models) / sizeof(scenario_logical_models[0]);
	     m++) {
		const struct scenario_logical_model *model = &scenario_logical_models[m];

		lapic_write(LAPIC_REG_DFR, model->dfr);
		lapic_write(LAPIC_REG_LDR, (uint32_t)model->logical_id << LAPIC_LDR_SHIFT);
		for (size_t i = 0; i < sizeof(model->misses); i++)
			scenario_apic_keep_first(&failure, scenario_logical_send(
								   state, model, model->misses[i],
								   false));
		scenario_apic_keep_first(&failure, scenario_logical_send(state, model,
									   model->match, true));
		expected[matches++] = SCENARIO_LOGICAL_IPI_VECTOR;
		expected[matches++] = SCENARIO_LOGICAL_PIN_VECTOR;
	}
	cpu_interrupts_disable();
	ioapic_mask(SCENARIO_IRQ_EDGE_GSI);
	/* Back to the reset state: flat model, logical ID 0 (lapic_setup leaves both alone). */
	lapic_write(LAPIC_REG_DFR, LAPIC_DFR_FLAT);
	lapic_write(LAPIC_REG_LDR, 0);
	scenario_apic_keep_first(&failure, scenario_apic_expect_log(state, expected, matches));
	return scenario_apic_finish(state, failure);
}

static const struct scenario scenario_ioapic_table[] = {
	{ "ioapic-edge", false, scenario_irq_prepare, scenario_ioapic_edge },
	{ "ioapic-edge-masked", false, scenario_irq_prepare, scenario_ioapic_edge_masked },
	{ "ioapic-level", false, scenario_irq_prepare, scenario_ioapic_level },
	{ "ioapic-priority", false, scenario_irq_prepare, scenario_ioapic_priority },
	{ "msi", true, scenario_apic_prepare_xapic, scenario_msi },
	{ "ioapic-directed-eoi", false, scenario_directed_eoi_prepare,
	  scenario_ioapic_directed_eoi },
	{ "logical-destination", false, scenario_irq_prepare, scenario_logical_destination },
};

const struct scenario_list scenario_ioapic_list = {
	scenario_ioapic_table, sizeof(scenario_ioapic_table) / sizeof(scenario_ioapic_table[0])
};
