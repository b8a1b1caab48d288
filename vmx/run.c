/* SPDX-License-Identifier: MIT */
/*
 * The run loop: enter the guest, take the VM exit, re-queue an interrupted event, dispatch, let
 * the delivery mode prepare the next entry, reload the VMX-preemption timer, account the exit.
 * Top floor with vmx/exit.c (docs/design.md, "Layers").
 */
#include "exit.h"

#include "../apicv/delivery.h"
#include "../apicv/vlapic.h"
#include "../boot/x86.h"
#include "../platform/platform_irq.h"
#include "vmcs.h"

int vmx_enter(struct vcpu_gprs *gprs, int launched);

/* The least a guest runs after an entry whose timer deadline has already passed. */
#define GUEST_MIN_SLICE_US 20u

/* Folds the entry stub's null-hypercall count into the statistics. */
static void account_fast_path(struct vcpu *v)
{
	uint64_t n = v->gprs.null_fast_path_count - v->null_fast_path_accounted;

	if (n) {
		exit_stats_add_untimed(&v->stats, EXIT_REASON_VMCALL, n);
		v->null_fast_path_accounted += n;
	}
}

static void report_entry_failure(struct vcpu *v, int how)
{
	if (how == 1) {
		vcpu_stop(v, GUEST_END_ENTRY_FAILURE,
			  "VM entry failed: VMfailInvalid (no current VMCS)");
		return;
	}
	uint32_t error = (uint32_t)vmcs_read(VMCS_VM_INSTRUCTION_ERROR);

	vcpu_stop(v, GUEST_END_ENTRY_FAILURE,
		  "VM entry failed: VM-instruction error %u: %s (SDM Vol. 3C §31.4; under Bochs, "
		  "bochs.log names the failing check)",
		  error, vmx_instruction_error_name(error));
}

/*
 * Loads the VMX-preemption timer for gprs.timer_deadline; false once the watchdog's deadline
 * has passed. Done right before every entry from C (the entry stub does the same for the null
 * hypercalls it turns around): the timer counts only in VMX non-root operation, by one every
 * time bit X of the TSC changes, X = IA32_VMX_MISC[4:0] (SDM Vol. 3C §26.5.1 "VMX-Preemption
 * Timer"), so a count carried across an exit would fire late by that exit's root-mode time.
 * With no deadline it runs its full range and the handler reloads it.
 */
/* The `timeout=` deadline: vCPU 0 publishes it at its first entry, the guest's first
 * instruction (what comes before, bringing up the other CPUs and building the platform, is not
 * the guest's time); the other vCPUs, which enter vmx_run earlier to wait for their start-up IPI,
 * take it from there once it is set. 0: not yet, or no watchdog. */
static volatile uint64_t shared_watchdog_deadline;

static uint64_t watchdog_deadline(struct vcpu *v)
{
	if (!v->watchdog_deadline_tsc)
		v->watchdog_deadline_tsc = shared_watchdog_deadline;
	return v->watchdog_deadline_tsc;
}

static bool timer_load(struct vcpu *v)
{
	uint64_t now = rdtsc(), deadline = v->gprs.timer_deadline, ticks;

	if (watchdog_deadline(v) && now >= v->watchdog_deadline_tsc)
		return false;
	if (!v->preemption_timer)
		return true;
	/* A deadline already past (it fell due while root mode worked): a device whose period is
	 * shorter than the cost of an exit (a PIT programmed with a tiny count) would otherwise
	 * exit at every entry and the guest would never run again. The guest gets one slice
	 * first, fixed in TSC time when first given, so that further exits (a guest polling a
	 * port) do not push it on: once it has passed too, the timer fires at once. The
	 * preemption-timer exit runs what fell due (the devices coalesce it), and the reload
	 * after it starts afresh. */
	if (deadline && deadline <= now) {
		if (!v->timer_slice_end)
			v->timer_slice_end = now + vmx_active_config->tsc_hz / 1000000u *
							   GUEST_MIN_SLICE_US;
		deadline = v->timer_slice_end;
	}
	ticks = deadline > now ? (deadline - now) >> v->gprs.timer_shift : 0;
	vmcs_write(VMCS_PREEMPTION_TIMER_VALUE, deadline && ticks < 0xFFFFFFFFu ? ticks : 0xFFFFFFFFu);
	return true;
}

bool vmx_timer_reload(struct vcpu *v)
{
	uint64_t deadline = apic_timer_deadline(v);

	v->timer_dirty = false;
	v->timer_slice_end = 0;
	if (watchdog_deadline(v))
		deadline = tsc_earlier(deadline, v->watchdog_deadline_tsc);
	v->gprs.timer_deadline = v->preemption_timer ? deadline : 0;
	return timer_load(v);
}

/*
 * An exit that interrupted the delivery of an event (IDT-vectoring information valid) must
 * deliver it again at the next entry (SDM Vol. 3C §28.2.4 "Information for VM Exits During
 * Event Delivery" and §27.6.1.1). Done before the handler, which may queue nothing else then.
 */
static void requeue_interrupted_event(void)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO);
	unsigned type = (info >> INTR_INFO_TYPE_SHIFT) & 7;

	if (!(info & INTR_INFO_VALID))
		return;
	/* An exit during NMI delivery leaves blocking by NMI set (with virtual NMIs, virtual-NMI
	 * blocking), and VM entry refuses to inject an NMI while it is: "if the 'virtual NMIs'
	 * VM-execution control is 1 and the interruption type is NMI, blocking by NMI must be 0"
	 * (SDM Vol. 3C §26.3.1.5 "Checks on Guest Non-Register State"). The NMI was not delivered:
	 * unblock, as the re-injected delivery will block again. */
	if (type == INTR_TYPE_NMI)
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
			   vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) & ~(uint64_t)INTERRUPTIBILITY_NMI_BLOCKING);
	if (info & INTR_INFO_DELIVER_ERROR_CODE)
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR_CODE,
			   vmcs_read(VMCS_IDT_VECTORING_ERROR_CODE));
	/* Software interrupts and exceptions restart with their instruction length. */
	if (type == INTR_TYPE_SOFTWARE_INTERRUPT || type == INTR_TYPE_SOFTWARE_EXCEPTION ||
	    type == INTR_TYPE_PRIVILEGED_SOFTWARE_EXCEPTION)
		vmcs_write(VMCS_ENTRY_INSTRUCTION_LEN, vmcs_read(VMCS_EXIT_INSTRUCTION_LEN));
	/* Bit 12 (NMI unblocking by IRET) is undefined in the entry field: clear it. */
	vmcs_write(VMCS_ENTRY_INTR_INFO, info & ~INTR_INFO_NMI_UNBLOCKING_IRET);
}

/* Whether the entry stub may complete a null hypercall without C (see
 * vcpu_gprs.null_fast_path_allowed): outside IA-32e mode RIP wraps at 4 GiB, which the stub
 * does not do; the stub itself also checks CS.L. */
static bool null_fast_path_allowed(void)
{
	return vmcs_read(VMCS_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST;
}

/* XCR0: the guest's in non-root operation, the host's in root operation (SDM Vol. 1 §13.3:
 * XCR0 is not part of the VMCS). Only while the guest has CR4.OSXSAVE set does its XCR0 matter
 * to it (without it XSAVE and every AVX instruction raise #UD whatever XCR0 holds), so a guest
 * that never enabled XSAVE costs no XSETBV, as in KVM. The hypervisor owns CR4.OSXSAVE (it
 * exits when it changes), so v->guest_osxsave is always current. */
static void load_guest_xcr0(struct vcpu *v)
{
	v->xcr0_switched = v->guest_osxsave && v->guest_xcr0 != v->host_xcr0;
	if (v->xcr0_switched)
		xsetbv(0, v->guest_xcr0);
}

static void load_host_xcr0(const struct vcpu *v)
{
	if (v->xcr0_switched)
		xsetbv(0, v->host_xcr0);
}

/* fault=unknown-exit and fault=root-exception act on the first exit (tests only). */
static uint32_t forced_fault(const struct vcpu *v, uint32_t exit_reason)
{
	if (vmx_active_config->fault == FAULT_UNKNOWN_EXIT && exit_stats_total(&v->stats) == 0)
		return VMX_EXIT_REASON_COUNT;
	if (vmx_active_config->fault == FAULT_ROOT_EXCEPTION)
		__asm__ volatile("ud2");
	return exit_reason;
}

/* INIT, SIPI, a mode switch, device work and the end of the run, sent by other CPUs
 * (apicv/delivery.c). INIT puts an AP's vCPU in its INIT state, held in root mode until a
 * start-up IPI (SDM Vol. 3A §9.4.2, §11.4.7.3); a start-up IPI to a vCPU that is not waiting
 * for one is ignored, as by a CPU that is not in the wait-for-SIPI state (§11.6.1). INIT to the
 * BSP would restart it at the firmware's reset vector (§9.4.2: the BSP flag survives INIT),
 * which this platform does not have: the guest ends there, as on a platform reset. Returns
 * false when the run is over; *changed when the vCPU's state or mode changed (the next entry
 * is prepared again). */
static bool take_cpu_events(struct vcpu *v, bool *changed)
{
	uint32_t events = __atomic_fetch_and(&v->inbox.events, VCPU_EVENT_NMI, __ATOMIC_SEQ_CST) &
			  ~VCPU_EVENT_NMI;

	if (events & VCPU_EVENT_STOP)
		return false;
	*changed |= events != 0;
	if (events & VCPU_EVENT_DEVICES)
		platform_irq_sync(v);
	if (events & VCPU_EVENT_MODE)
		apic_set_mode(v, (enum apicvisor_mode)__atomic_load_n(&v->inbox.mode,
								      __ATOMIC_SEQ_CST));
	if ((events & VCPU_EVENT_INIT) && v->id == 0) {
		vcpu_stop(v, GUEST_END_UNHANDLED, "INIT IPI to the BSP (vCPU 0) at RIP %#llx: it "
			  "would restart at the firmware's reset vector, which this platform does "
			  "not have (a platform reset)", (unsigned long long)vmcs_read(VMCS_GUEST_RIP));
		return false;
	}
	if (events & VCPU_EVENT_INIT) {
		/* An NMI latched before INIT does not survive it. */
		__atomic_fetch_and(&v->inbox.events, ~VCPU_EVENT_NMI, __ATOMIC_SEQ_CST);
		vlapic_init_signal(v->vlapic);
		/* The reset stopped the timer: so must the housekeeping CPU, now, not at the next
		 * entry, which waits for a start-up IPI. */
		if (v->timer_offloaded)
			apic_publish_timer(v);
		vmcs_guest_init_state(v);
		v->waiting_for_sipi = true;
		v->timer_dirty = true;
		v->stats.events.inits++;
	}
	if (events & VCPU_EVENT_SIPI) {
		uint8_t vector = (uint8_t)__atomic_load_n(&v->inbox.sipi_vector, __ATOMIC_SEQ_CST);

		if (v->waiting_for_sipi) {
			vmcs_guest_startup(vector);
			v->waiting_for_sipi = false;
			v->stats.events.sipis++;
		} else {
			v->stats.events.sipis_ignored++;
		}
	}
	return true;
}

/* Held in root mode after INIT: halted with interrupts on until a kick (HOST_VECTOR_KICK, whose
 * root-mode handler only acknowledges it) brings an event. Returns false when the run is over. */
static bool wait_for_sipi(struct vcpu *v, bool *changed)
{
	while (v->waiting_for_sipi) {
		__atomic_store_n(&v->where, VCPU_WAITING, __ATOMIC_SEQ_CST);
		if (!(__atomic_load_n(&v->inbox.events, __ATOMIC_SEQ_CST) &
		      (VCPU_EVENT_SIPI | VCPU_EVENT_INIT | VCPU_EVENT_STOP |
		       VCPU_EVENT_MODE)))
			__asm__ volatile("sti; hlt; cli" : : : "memory");
		__atomic_store_n(&v->where, VCPU_IN_ROOT, __ATOMIC_SEQ_CST);
		if (!take_cpu_events(v, changed))
			return false;
	}
	return true;
}

void vmx_run(struct vcpu *v)
{
	apic_before_entry(v);
	v->timer_dirty = true; /* the first entry computes the deadline */
	v->first_entry_tsc = rdtsc();
	if (v->id == 0 && vmx_active_config->timeout_s)
		shared_watchdog_deadline = v->first_entry_tsc +
			(uint64_t)vmx_active_config->timeout_s * vmx_active_config->tsc_hz;
	/* fault=entry-failure: an event type the SDM reserves (1) in the VM-entry interruption
	 * field makes the entry fail its control checks with VM-instruction error 7 (SDM Vol. 3C
	 * §26.2.1.3 "VM-Entry Control Fields"). */
	if (vmx_active_config->fault == FAULT_ENTRY_FAILURE)
		vmcs_write(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | 1u << INTR_INFO_TYPE_SHIFT);
	for (;;) {
		/* An AP's vCPU may start before the BSP has counted the vCPUs: it waits anyway. */
		if (vcpus_concurrent || v->waiting_for_sipi) {
			bool changed = false;

			if (!take_cpu_events(v, &changed) || !wait_for_sipi(v, &changed)) {
				v->stopped_by_others = v->end == GUEST_END_RUNNING;
				break;
			}
			/* Reset, started, switched or told of device work: the entry is prepared for
			 * the new state. */
			if (changed)
				apic_before_entry(v);
		}
		/* Just before the entry, after everything that may move a deadline (device work
		 * from another CPU, INIT): the count starts at this TSC. What arrives after it makes
		 * the announcement below fail, and this runs again. */
		if (!(v->timer_dirty ? vmx_timer_reload(v) : timer_load(v))) {
			vcpu_stop(v, GUEST_END_TIMEOUT, "guest ran past timeout=%u s",
				  vmx_active_config->timeout_s);
			break;
		}
		if (vcpus_concurrent && !apic_announce_entry(v)) {
			apic_before_entry(v);
			continue;
		}
		v->gprs.null_fast_path_allowed = null_fast_path_allowed();
		load_guest_xcr0(v);

		int failed = vmx_enter(&v->gprs, v->launched);
		uint64_t exit_tsc = rdtsc();

		if (vcpus_concurrent)
			apic_announce_exit(v);
		load_host_xcr0(v);

		if (failed) {
			report_entry_failure(v, failed);
			break;
		}
		v->launched = true;
		account_fast_path(v);
		/* An offloaded timer's expiries happen on the housekeeping CPU: the model's own timer
		 * moves on here, before a handler reads or reprograms it (current count, divide,
		 * IA32_TSC_DEADLINE, a TSC write that changes the guest's clock). */
		if (v->timer_offloaded)
			apic_timer_check(v);

		uint32_t exit_reason = (uint32_t)vmcs_read(VMCS_EXIT_REASON);
		enum exit_action action;

		if (!(exit_reason & EXIT_REASON_ENTRY_FAILURE))
			requeue_interrupted_event();
		if (__builtin_expect(vmx_active_config->fault != FAULT_NONE, 0))
			exit_reason = forced_fault(v, exit_reason);
		action = vmx_handle_exit(v, exit_reason);
		if (action == EXIT_ACTION_RESUME) {
			apic_before_entry(v);
			/* Still halted after this exit (a timer fired but what it raised cannot be
			 * taken yet): halt on, or stop when nothing can wake the guest any more. */
			if (vmcs_read(VMCS_GUEST_ACTIVITY_STATE) == ACTIVITY_STATE_HLT &&
			    !vcpu_nmi_deliverable(v))
				action = vcpu_halt(v);
		}
		exit_stats_record(&v->stats, exit_reason & EXIT_REASON_BASIC_MASK,
				  rdtsc() - exit_tsc);
		if (action == EXIT_ACTION_STOP)
			break;
	}
	account_fast_path(v);
	v->end_tsc = rdtsc();
	/* Stopped inside a scenario: its counts are still the snapshot taken at BEGIN. */
	if (v->in_scenario) {
		uint64_t others[VMX_EXIT_REASON_COUNT];

		scenario_interrupted(&v->scenarios[v->scenario_count - 1], &v->stats,
				     v->scenario_checkpoints);
		vcpu_other_exits(v, others);
		scenario_others_end(&v->scenarios[v->scenario_count - 1], others);
		v->in_scenario = false;
	}
}
