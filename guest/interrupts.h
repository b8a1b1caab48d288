/* SPDX-License-Identifier: MIT */
/*
 * Interrupt handling for the APIC scenarios: every arrival at vector 2 (NMI), 5 or 32-255 goes
 * through one handler that records it in a log, calls the scenario's hook, and writes EOI to
 * the local APIC unless the arrival needs none or the scenario turned EOIs off.
 *
 * Vector 5 is here rather than with the fatal exceptions because #BR cannot happen in 64-bit
 * mode (BOUND is invalid there, SDM Vol. 2A "BOUND—Check Array Index Against Bounds"): an
 * arrival at vector 5 is an interrupt, the one an APIC must refuse (vectors 0-15 are illegal),
 * and logging it lets esr-illegal-vector fail with a reason instead of ending the run.
 *
 * The handler runs through an interrupt gate, so with IF = 0: handlers nest only when an NMI
 * arrives inside one. The guest runs on one CPU; the main flow and the handler share the log,
 * which the main flow reads through the functions below.
 */
#ifndef GUEST_INTERRUPTS_H
#define GUEST_INTERRUPTS_H

#include <stdbool.h>
#include <stdint.h>

#define INTERRUPTS_VECTOR_NMI 2u

/* The log keeps the last INTERRUPTS_LOG_CAPACITY arrivals since interrupts_reset. */
#define INTERRUPTS_LOG_CAPACITY 256u

struct interrupts_arrival {
	uint64_t rip;                /* where the interrupted code resumes */
	uint64_t tsc;                /* the TSC when the handler began */
	uint32_t sequence;           /* arrivals since boot, this one included: the order */
	uint8_t vector;
	uint8_t depth;               /* handlers already running when it came (0: not nested) */
};

/* Called inside the handler, after the arrival is logged and before its EOI. */
typedef void (*interrupts_hook_fn)(const struct interrupts_arrival *arrival);

/* Installs the gates for vectors 2, 5 and 32-255 in the IDT; called once after idt_init. */
void interrupts_install(void);

/* Empties the log, removes the hook and turns EOIs back on. Call with IF = 0. */
void interrupts_reset(void);
void interrupts_set_hook(interrupts_hook_fn hook);
/* With false, the handler leaves every ISR bit set: the scenario writes EOI itself. */
void interrupts_set_eoi(bool eoi);
/* Vectors first..first + count - 1 come from an 8259 through ExtINT (LINT0): the local APIC
 * sets no ISR bit for them, so the handler writes no APIC EOI for them (the scenario's hook
 * writes the 8259's). interrupts_reset ends it. */
void interrupts_set_extint_vectors(uint8_t first, uint8_t count);

/* Arrivals since interrupts_reset, however many the log still holds. */
unsigned interrupts_count(void);
/* Arrival `index` (0 = the first since interrupts_reset), or NULL when the log no longer or
 * not yet holds it. */
const struct interrupts_arrival *interrupts_arrival(unsigned index);

/* Spins (PAUSE, RDTSC) until interrupts_count() reaches `count` or `timeout_cycles` TSC cycles
 * have passed; returns whether it reached it. Interrupts must be able to arrive: IF = 1, or
 * only NMIs awaited. */
bool interrupts_wait_for(unsigned count, uint64_t timeout_cycles);
/* Spins for `cycles` TSC cycles, letting whatever is pending arrive. */
void interrupts_idle(uint64_t cycles);

/* Called by interrupt_stubs.asm with the frame it built. */
struct idt_stub_frame;
void interrupts_handle(struct idt_stub_frame *frame);

#endif
