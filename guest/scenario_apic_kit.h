/* SPDX-License-Identifier: MIT */
/*
 * What the local APIC scenarios (scenarios_apic.c and scenarios_timer.c) share: how long they
 * wait, how they start, and how they check the interrupts that arrived.
 *
 * Each starts, before SCENARIO_BEGIN, from the state lapic_setup leaves (the APIC in the mode
 * it needs, software-enabled, TPR 0, timer stopped) with IF = 0 and an empty interrupt log, and
 * ends with IF = 0. Between BEGIN and END it touches only the APIC registers its description in
 * scenarios.h lists, plus one EOI per fixed interrupt that arrives (from the interrupt handler).
 */
#ifndef GUEST_SCENARIO_APIC_KIT_H
#define GUEST_SCENARIO_APIC_KIT_H

#include <stdint.h>

#include "lapic.h"
#include "scenario_kit.h"

/*
 * Waits are bounded by the TSC so that a lost interrupt fails a scenario instead of hanging it.
 * The figures are TSC cycles: about 20 ms and 0.2 ms of a 2.5 GHz host TSC (QEMU TCG's), about
 * 12 s and 0.12 s of the ~4 MHz TSC the guest sees under Bochs.
 */
#define SCENARIO_APIC_ARRIVAL_TIMEOUT 50000000ull /* the longest an awaited interrupt may take */
#define SCENARIO_APIC_QUIET_CYCLES 500000ull      /* how long "nothing arrives" is watched */

/* A prepare step: checks that the CPU has an APIC (else skips), puts it in `mode` with
 * lapic_setup, lets whatever an earlier scenario left pending arrive (noted), and empties the
 * log. A mode the CPU lacks (x2APIC) is a skip too. */
enum scenario_failure scenario_apic_prepare(struct scenario_state *state, enum lapic_mode mode);

/* scenario_apic_prepare for xAPIC mode, as a struct scenario's prepare. */
enum scenario_failure scenario_apic_prepare_xapic(struct scenario_state *state);

/* Checks that the log holds exactly `count` arrivals, `vectors` in that order, none nested;
 * notes every difference and returns the first failure. */
enum scenario_failure scenario_apic_expect_log(struct scenario_state *state,
					       const uint8_t *vectors, unsigned count);

/* Waits up to SCENARIO_APIC_ARRIVAL_TIMEOUT for `count` arrivals in all; notes a shortfall
 * with `what` and returns SCENARIO_FAILURE_INTERRUPT_MISSING. */
enum scenario_failure scenario_apic_await(struct scenario_state *state, unsigned count,
					  const char *what);

/* For interrupts sent one at a time: waits up to SCENARIO_APIC_ARRIVAL_TIMEOUT for arrival
 * `index` (0 = the first since the log was emptied), then checks that exactly index + 1 have
 * arrived, the last at `vector` and not nested. `what` names the sender in notes ("IPI"). */
enum scenario_failure scenario_apic_expect_arrival(struct scenario_state *state, uint64_t index,
						   uint8_t vector, const char *what);

/* STI; HLT: with IF = 0 before, an interrupt pending or arriving is taken right after the HLT
 * (the HLT is in STI's shadow). Returns with IF = 0 and the address after the HLT, where that
 * interrupt must have interrupted the code. */
uint64_t scenario_apic_sti_hlt(void);

/* Checks that arrival `index` interrupted the code where it resumes at `boundary` (the
 * instruction boundary `where` describes); notes a difference. A missing arrival passes: it is
 * scenario_apic_expect_log's to note. */
bool scenario_apic_expect_boundary(struct scenario_state *state, unsigned index,
				   uint64_t boundary, const char *where);

/* For runs that go on after a failure (to leave the APIC as they found it): keeps the first. */
void scenario_apic_keep_first(enum scenario_failure *first, enum scenario_failure failure);

/* Ends a run: IF = 0, figure "interrupts" = arrivals since the log was emptied, and `failure`
 * passed through. */
enum scenario_failure scenario_apic_finish(struct scenario_state *state,
					   enum scenario_failure failure);

#endif
