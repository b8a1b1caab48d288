/* SPDX-License-Identifier: MIT */
#include "scenario_apic_kit.h"

#include <stdint.h>

#include "cpu.h"
#include "interrupts.h"
#include "lapic.h"
#include "scenario_kit.h"

/* How long prepare leaves IF = 1 for what an earlier scenario left pending to arrive. */
#define SCENARIO_APIC_DRAIN_CYCLES 20000ull

enum scenario_failure scenario_apic_prepare(struct scenario_state *state, enum lapic_mode mode)
{
	const char *why;

	if (!lapic_present())
		return scenario_skip(state, "no local APIC: CPUID.1:EDX[9] = 0");
	if (mode == LAPIC_MODE_X2APIC && !lapic_has_x2apic())
		return scenario_skip(state, "no x2APIC: CPUID.1:ECX[21] = 0");
	cpu_interrupts_disable();
	interrupts_reset();
	if (!lapic_setup(mode, &why)) {
		scenario_note(state, "%s mode: %s", lapic_mode_name(mode), why);
		return SCENARIO_FAILURE_APIC_SETUP;
	}
	cpu_interrupts_enable();
	interrupts_idle(SCENARIO_APIC_DRAIN_CYCLES);
	cpu_interrupts_disable();
	if (interrupts_count() != 0) {
		/* Whatever an earlier scenario left pending is that scenario's leak, but this one
		 * cannot start from a known state with it: both runs' checks would be wrong. */
		const struct interrupts_arrival *first = interrupts_arrival(0);

		scenario_note(state, "before BEGIN, %u interrupts left pending by an earlier "
			      "scenario arrived, the first at vector 0x%x", interrupts_count(),
			      first != NULL ? first->vector : 0u);
		interrupts_reset();
		return SCENARIO_FAILURE_LEFTOVER_INTERRUPT;
	}
	interrupts_reset();
	return SCENARIO_PASSED;
}

enum scenario_failure scenario_apic_expect_log(struct scenario_state *state,
					       const uint8_t *vectors, unsigned count)
{
	unsigned arrived = interrupts_count();
	enum scenario_failure failure = SCENARIO_PASSED;

	if (arrived != count) {
		scenario_note(state, "%u interrupts arrived, expected %u", arrived, count);
		failure = arrived < count ? SCENARIO_FAILURE_INTERRUPT_MISSING :
					    SCENARIO_FAILURE_INTERRUPT_UNEXPECTED;
	}
	if (arrived > INTERRUPTS_LOG_CAPACITY) {
		/* The first ones were overwritten: their vectors, order and nesting are unknown,
		 * and an unknown arrival is not a checked one. */
		scenario_note(state, "%u interrupts arrived, more than the %u the log holds: the "
			      "first %u were overwritten", arrived, INTERRUPTS_LOG_CAPACITY,
			      arrived - INTERRUPTS_LOG_CAPACITY);
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_LOG_OVERFLOW);
	}
	for (unsigned i = 0; i < arrived; i++) {
		const struct interrupts_arrival *arrival = interrupts_arrival(i);

		if (arrival == NULL)
			continue;            /* overwritten: failed above */
		if (i >= count || arrival->vector != vectors[i]) {
			if (i < count)
				scenario_note(state, "arrival %u is vector 0x%x, expected 0x%x", i,
					      arrival->vector, vectors[i]);
			else
				scenario_note(state, "arrival %u is vector 0x%x, one too many", i,
					      arrival->vector);
			if (failure == SCENARIO_PASSED)
				failure = SCENARIO_FAILURE_INTERRUPT_ORDER;
		}
		if (arrival->depth != 0) {
			scenario_note(state, "arrival %u (vector 0x%x) came inside %u handlers", i,
				      arrival->vector, arrival->depth);
			if (failure == SCENARIO_PASSED)
				failure = SCENARIO_FAILURE_INTERRUPT_NESTED;
		}
	}
	return failure;
}

enum scenario_failure scenario_apic_await(struct scenario_state *state, unsigned count,
					  const char *what)
{
	if (interrupts_wait_for(count, SCENARIO_APIC_ARRIVAL_TIMEOUT))
		return SCENARIO_PASSED;
	scenario_note(state, "%s did not arrive within %lu TSC cycles (%u of %u interrupts)", what,
		      (uint64_t)SCENARIO_APIC_ARRIVAL_TIMEOUT, interrupts_count(), count);
	return SCENARIO_FAILURE_INTERRUPT_MISSING;
}

enum scenario_failure scenario_apic_expect_arrival(struct scenario_state *state, uint64_t index,
						   uint8_t vector, const char *what)
{
	if (!interrupts_wait_for((unsigned)index + 1, SCENARIO_APIC_ARRIVAL_TIMEOUT)) {
		scenario_note(state, "%s %lu (vector 0x%x) did not arrive within %lu TSC cycles",
			      what, index, vector, (uint64_t)SCENARIO_APIC_ARRIVAL_TIMEOUT);
		return SCENARIO_FAILURE_INTERRUPT_MISSING;
	}
	if (interrupts_count() != index + 1) {
		scenario_note(state, "after %s %lu, %u interrupts had arrived, expected %lu", what,
			      index, interrupts_count(), index + 1);
		return SCENARIO_FAILURE_INTERRUPT_UNEXPECTED;
	}

	const struct interrupts_arrival *arrival = interrupts_arrival((unsigned)index);

	if (arrival == NULL) {
		scenario_note(state, "%s %lu was overwritten in the log", what, index);
		return SCENARIO_FAILURE_LOG_OVERFLOW;
	}
	if (arrival->vector != vector) {
		scenario_note(state, "%s %lu arrived as vector 0x%x, sent as 0x%x", what, index,
			      arrival->vector, vector);
		return SCENARIO_FAILURE_INTERRUPT_ORDER;
	}
	if (arrival->depth != 0) {
		scenario_note(state, "%s %lu came inside a handler", what, index);
		return SCENARIO_FAILURE_INTERRUPT_NESTED;
	}
	return SCENARIO_PASSED;
}

uint64_t scenario_apic_sti_hlt(void)
{
	uint64_t boundary;

	__asm__ volatile("sti\n\t"
			 "hlt\n"
			 "1:\n\t"
			 "cli\n\t"
			 "lea 1b(%%rip), %0"
			 : "=r"(boundary) : : "memory");
	return boundary;
}

enum scenario_failure scenario_apic_finish(struct scenario_state *state,
					   enum scenario_failure failure)
{
	cpu_interrupts_disable();
	scenario_report(state, "interrupts", interrupts_count());
	return failure;
}

void scenario_apic_keep_first(enum scenario_failure *first, enum scenario_failure failure)
{
	if (*first == SCENARIO_PASSED)
		*first = failure;
}

bool scenario_apic_expect_boundary(struct scenario_state *state, unsigned index,
				   uint64_t boundary, const char *where)
{
	const struct interrupts_arrival *arrival = interrupts_arrival(index);

	if (arrival == NULL || arrival->rip == boundary)
		return true;
	scenario_note(state, "vector 0x%x interrupted rip 0x%lx, expected 0x%lx (after %s)",
		      arrival->vector, arrival->rip, boundary, where);
	return false;
}

enum scenario_failure scenario_apic_prepare_xapic(struct scenario_state *state)
{
	return scenario_apic_prepare(state, LAPIC_MODE_XAPIC);
}
