/* SPDX-License-Identifier: MIT */
/*
 * What the platform interrupt scenarios (scenarios_ioapic.c, scenarios_isa.c) share: the pins
 * and lines they use, the prepare step that quiets every interrupt source before them, and
 * small helpers. They build on the local APIC kit (scenario_apic_kit.h): the APIC is in xAPIC
 * mode, each fixed interrupt's handler writes the APIC EOI, and the log is checked the same way.
 *
 * The platform is QEMU's pc machine, which apicvisor copies (docs' "Platform the guest sees"):
 * ISA IRQ n is GSI n and I/O APIC pin n, except IRQ 0, which the MADT's interrupt source
 * override sends to pin 2; the 8259 pair's INTR reaches the CPU through LINT0 of the local
 * APIC (the MP specification's virtual wire mode through the local APIC), not through I/O APIC
 * pin 0, which nothing drives on that machine.
 */
#ifndef GUEST_SCENARIO_IRQ_KIT_H
#define GUEST_SCENARIO_IRQ_KIT_H

#include <stdbool.h>
#include <stdint.h>

#include "scenario_kit.h"

/* Test device lines (GSIs) the scenarios drive. No ISA device drives them on QEMU's pc machine,
 * and the PCI links the firmware routes to IRQ 10 and 11 stay quiet: no PCI device has a driver
 * in this guest. Prepare lowers all three. */
#define SCENARIO_IRQ_EDGE_GSI 10u     /* ioapic-edge, ioapic-edge-masked, ioapic-priority */
#define SCENARIO_IRQ_LEVEL_GSI 11u    /* ioapic-level, ioapic-priority */
#define SCENARIO_IRQ_PIC_GSI 5u       /* pic-extint: ISA IRQ 5 */

/* I/O APIC pins of ISA devices: the PIT's IRQ 0 (through the override) and COM1's IRQ 4. */
#define SCENARIO_IRQ_PIT_PIN 2u
#define SCENARIO_IRQ_UART_PIN 4u

/* The 8259 pair's vector bases: IRQ 0-7 at 30H-37H, IRQ 8-15 at 38H-3FH, clear of the
 * exceptions (0-1FH) and of every vector the APIC scenarios use. */
#define SCENARIO_IRQ_PIC_MASTER_BASE 0x30u
#define SCENARIO_IRQ_PIC_SLAVE_BASE 0x38u

/* The scenarios whose count follows n run min(n, this) interrupts. */
#define SCENARIO_IRQ_MAX_EVENTS 20u

/*
 * The prepare step of every I/O APIC, 8259 and PIT scenario: IF = 0; reads the I/O APIC's VER
 * (a skip, with a note, when what it reads cannot be an I/O APIC with pins up to 11); masks
 * every I/O APIC pin; initializes the 8259 pair at the bases above with every IRQ masked;
 * lowers the three test device lines; then scenario_apic_prepare in xAPIC mode (which masks
 * LINT0, lets what is pending arrive and empties the log).
 */
enum scenario_failure scenario_irq_prepare(struct scenario_state *state);
/* Its device half alone (the I/O APIC checked and masked, the 8259s initialised, the test
 * device's lines low; interrupts off), for prepare steps that set up the local APIC their own
 * way (the SMP scenarios). */
enum scenario_failure scenario_irq_devices_prepare(struct scenario_state *state);

/* min(n, max). */
unsigned scenario_irq_count(const struct scenario_state *state, unsigned max);

/* An I/O APIC entry: fixed, physical destination the guest's own APIC ID, `vector`, and
 * `flags` (trigger mode, polarity, mask). No access. */
uint64_t scenario_irq_rte(uint8_t vector, uint32_t flags);

/* scenario_apic_expect_log for `count` arrivals all at `vector` (count at most
 * SCENARIO_IRQ_MAX_EVENTS + 1). */
enum scenario_failure scenario_irq_expect_repeated(struct scenario_state *state, uint8_t vector,
						   unsigned count);

/* A periodic device's rate from the log: the mean period between the first and the `ticks`-th
 * arrival against `expected` TSC cycles, within `tolerance_percent`. Figures cycles_per_tick and
 * expected_cycles_per_tick; SCENARIO_FAILURE_RATE, with a note naming `device`, outside it.
 * Nothing is checked (SCENARIO_PASSED) for fewer than 2 ticks or an unknown rate (expected 0). */
enum scenario_failure scenario_irq_mean_period(struct scenario_state *state, const char *device,
					       unsigned ticks, uint64_t expected,
					       unsigned tolerance_percent);

/* With IF = 1 for SCENARIO_APIC_QUIET_CYCLES, so that a late or duplicate interrupt is
 * logged; returns with IF = 0. */
void scenario_irq_quiet(void);

#endif
