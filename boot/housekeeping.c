/* SPDX-License-Identifier: MIT */
#include "housekeeping.h"

#include "../apicv/delivery.h"
#include "../platform/platform_irq.h"
#include "../vmx/host_apic.h"
#include "../vmx/vcpu.h"
#include "../vmx/vmx.h"
#include "x86.h"

/*
 * One pass: fire what is due, then sleep until the earliest deadline left. The CPU announces
 * itself idle *before* it looks (apic_housekeeper_idle), and a vCPU that changes a deadline
 * writes it *before* it reads that flag (apic_housekeeper_wake): either the pass sees the new
 * deadline or the vCPU's kick ends the HLT — the order of the vCPUs' own kicks. With a LAPIC
 * timer in TSC-deadline mode the CPU halts until the deadline (HOST_VECTOR_TIMER) or a kick
 * (HOST_VECTOR_KICK), both acknowledged by the root-mode interrupt handler; without one it
 * polls.
 */
void housekeeping_run(const volatile bool *stop, struct housekeeping_summary *summary)
{
	bool deadline_timer = host_apic_tsc_deadline();

	summary->host_timer = deadline_timer ? "tsc-deadline" : "polling";
	if (deadline_timer)
		host_apic_timer_deadline_mode(HOST_VECTOR_TIMER);
	while (!*stop) {
		uint64_t next;

		/* Polling, it looks again at once: nobody need kick it. */
		apic_housekeeper_idle(deadline_timer);
		next = tsc_earlier(apic_housekeeping_timers(rdtsc()),
				   platform_irq_housekeeping_timers());
		summary->passes++;
		if (*stop || (next && next <= rdtsc()) || !deadline_timer) {
			apic_housekeeper_idle(false);
			__asm__ volatile("pause");
			continue;
		}
		host_apic_arm_deadline(next);
		__asm__ volatile("sti; hlt; cli" : : : "memory");
		summary->halts++;
		apic_housekeeper_idle(false);
	}
	if (deadline_timer)
		host_apic_arm_deadline(0);
	summary->wakeups = apic_housekeeper_wakeups();
	/* What it posted, counted on its own identity (vcpu_current() on this CPU). */
	summary->posted = vcpu_current()->apic_stats.posted_remote;
	summary->notifications = vcpu_current()->apic_stats.notifications;
	summary->notifications_coalesced = vcpu_current()->apic_stats.notifications_coalesced;
	for (unsigned i = 0; i < vcpu_count; i++) {
		const struct timer_offload *t = &vcpus[i].timer_offload;

		summary->lapic_ticks += t->ticks;
		summary->lapic_delivered += t->delivered;
		summary->lapic_missed += t->missed;
	}
}
