/* SPDX-License-Identifier: MIT */
/*
 * A vLAPIC timer kept by another CPU (housekeeping=cpu0; KVM's pi_inject_timer is the model):
 * the vCPU's CPU publishes the timer's programming when the guest changes it, the housekeeping
 * CPU fires the expiries and delivers their vector by posting, so the vCPU needs no exit of its
 * own for a tick. Plain C; the two sides meet under the record's lock. Unit-tested on the host.
 */
#ifndef APICVISOR_TIMER_OFFLOAD_H
#define APICVISOR_TIMER_OFFLOAD_H

#include "../lib/klib.h"

struct timer_offload {
	uint32_t lock;
	/* The timer as the housekeeping CPU runs it (host TSC). */
	uint64_t deadline;       /* the next expiry; 0: disarmed */
	uint64_t period;         /* periodic: cycles between expiries; 0: fires once */
	uint32_t lvt;            /* the LVT timer entry: vector, mask */
	/* Counted by the housekeeping CPU. */
	uint64_t ticks;          /* expiries fired (masked or not) */
	uint64_t missed;         /* periodic expiries coalesced into a later one (late wake-up) */
	uint64_t delivered;      /* expiries whose vector was sent (LVT not masked) */
	/* The vCPU side's view of what it published last (its CPU only). */
	uint64_t published_programmed;
	uint32_t published_lvt;
	uint64_t published_tsc_offset;
	bool published_once;
};

/* Whether the programming (vlapic_timer_program's `programmed` and `lvt`, the guest's TSC
 * offset) differs from what was published last: the vCPU side's cheap check before each entry. */
bool timer_offload_stale(const struct timer_offload *t, uint64_t programmed, uint32_t lvt,
			 uint64_t tsc_offset);
/* Publishes a timer: `deadline` in host TSC (0: disarmed), `period` 0 for one-shot and
 * TSC-deadline. Replaces whatever the housekeeping CPU was running. */
void timer_offload_publish(struct timer_offload *t, uint64_t programmed, uint64_t deadline,
			   uint64_t period, uint32_t lvt, uint64_t tsc_offset);
/*
 * The housekeeping CPU's step at host TSC `now`: fires the timer when due (a periodic timer
 * reloads at the first deadline after now, the expiries in between coalesced into this one, as
 * an IRR bit holds one; a one-shot disarms). Returns the vector to deliver, or -1 (not due, or
 * masked: §11.5.1 "Mask" counts without an interrupt). *next: the deadline after this step,
 * 0 for none.
 */
int timer_offload_fire(struct timer_offload *t, uint64_t now, uint64_t *next);

#endif
