/* SPDX-License-Identifier: MIT */
#include "interrupts.h"

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "idt.h"
#include "lapic.h"

/* The vector #BR would have, which only an interrupt can use in 64-bit mode (interrupts.h). */
#define INTERRUPTS_VECTOR_BOUND 5u
#define INTERRUPTS_FIRST_EXTERNAL_VECTOR 32u
#define INTERRUPTS_VECTORS 256u

/* Defined in interrupt_stubs.asm. */
extern const uint64_t interrupt_stubs[INTERRUPTS_VECTORS];

/*
 * The handler writes these and the main flow reads them, on the one CPU: volatile where the
 * main flow polls, and written by the main flow only with IF = 0 (interrupts_reset) or while
 * no interrupt is expected (the hook and EOI settings, which the handler only reads). An NMI
 * can still come at any time, which is why the count is bumped after the entry is written.
 */
static struct interrupts_arrival interrupts_log[INTERRUPTS_LOG_CAPACITY];
static volatile unsigned interrupts_logged;    /* arrivals since interrupts_reset */
static uint32_t interrupts_sequence;           /* arrivals since boot */
static unsigned interrupts_depth;              /* handlers running now */
static interrupts_hook_fn interrupts_hook;
static bool interrupts_eoi = true;
static unsigned interrupts_extint_first, interrupts_extint_count; /* none while count is 0 */

void interrupts_install(void)
{
	idt_set_gate(INTERRUPTS_VECTOR_NMI, interrupt_stubs[INTERRUPTS_VECTOR_NMI]);
	idt_set_gate(INTERRUPTS_VECTOR_BOUND, interrupt_stubs[INTERRUPTS_VECTOR_BOUND]);
	for (unsigned vector = INTERRUPTS_FIRST_EXTERNAL_VECTOR; vector < INTERRUPTS_VECTORS;
	     vector++)
		idt_set_gate(vector, interrupt_stubs[vector]);
}

void interrupts_reset(void)
{
	interrupts_logged = 0;
	interrupts_hook = NULL;
	interrupts_eoi = true;
	interrupts_extint_count = 0;
}

void interrupts_set_hook(interrupts_hook_fn hook)
{
	interrupts_hook = hook;
}

void interrupts_set_eoi(bool eoi)
{
	interrupts_eoi = eoi;
}

void interrupts_set_extint_vectors(uint8_t first, uint8_t count)
{
	interrupts_extint_first = first;
	interrupts_extint_count = count;
}

unsigned interrupts_count(void)
{
	return interrupts_logged;
}

const struct interrupts_arrival *interrupts_arrival(unsigned index)
{
	unsigned logged = interrupts_logged;

	if (index >= logged || logged - index > INTERRUPTS_LOG_CAPACITY)
		return NULL;
	return &interrupts_log[index % INTERRUPTS_LOG_CAPACITY];
}

bool interrupts_wait_for(unsigned count, uint64_t timeout_cycles)
{
	uint64_t start = cpu_rdtsc_fenced();

	while (interrupts_logged < count) {
		if (cpu_rdtsc_fenced() - start >= timeout_cycles)
			return false;
		cpu_pause();
	}
	return true;
}

void interrupts_idle(uint64_t cycles)
{
	uint64_t start = cpu_rdtsc_fenced();

	while (cpu_rdtsc_fenced() - start < cycles)
		cpu_pause();
}

/* Handlers write EOI for every interrupt but those delivered as NMI, SMI, INIT, ExtINT, SIPI
 * or INIT de-assert (SDM Vol. 3A §11.8.5 "Signaling Interrupt Servicing Completion"); the
 * spurious vector sets no ISR bit, so its handler returns without an EOI (SDM Vol. 3A §11.9
 * "Spurious Interrupt"). Every other vector here comes from the APIC as a fixed interrupt,
 * but those a scenario declared ExtINT ones. */
static bool interrupts_needs_eoi(unsigned vector)
{
	if (vector - interrupts_extint_first < interrupts_extint_count)
		return false;
	return vector != INTERRUPTS_VECTOR_NMI && vector != LAPIC_SPURIOUS_VECTOR;
}

void interrupts_handle(struct idt_stub_frame *frame)
{
	unsigned index = interrupts_logged;
	struct interrupts_arrival *arrival = &interrupts_log[index % INTERRUPTS_LOG_CAPACITY];

	*arrival = (struct interrupts_arrival){
		.rip = frame->rip,
		.tsc = cpu_rdtsc_fenced(),
		.sequence = ++interrupts_sequence,
		.vector = (uint8_t)frame->vector,
		.depth = (uint8_t)interrupts_depth,
	};
	interrupts_logged = index + 1;
	interrupts_depth++;
	if (interrupts_hook != NULL)
		interrupts_hook(arrival);
	if (interrupts_eoi && interrupts_needs_eoi(frame->vector))
		lapic_eoi();
	interrupts_depth--;
}
