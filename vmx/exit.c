/* SPDX-License-Identifier: MIT */
/*
 * VM-exit dispatch: one handler per basic exit reason (SDM Vol. 3D Appendix C). Handlers decode
 * the exit and call the platform or device model; anything a guest can cause ends in an injected
 * exception or a clear stop, never a hypervisor fault.
 */
#include "exit.h"

#include "../apicv/apic_exits.h"
#include "../apicv/delivery.h"
#include "../boot/console.h"
#include "../boot/cpu.h"
#include "../boot/host_guard.h"
#include "../boot/x86.h"
#include "../include/apicvisor/hypercall.h"
#include "cpuid_policy.h"
#include "host_apic.h"
#include "../platform/platform.h"
#include "../platform/platform_irq.h"
#include "vmcs.h"
#include "vmx.h"

typedef enum exit_action (*exit_handler)(struct vcpu *v, uint64_t qualification);

static uint64_t guest_rip(void)
{
	return vmcs_read(VMCS_GUEST_RIP);
}

/* ---- events ---------------------------------------------------------------------------------- */

static enum exit_action handle_exception_or_nmi(struct vcpu *v, uint64_t qualification)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTR_INFO);
	unsigned type = (info >> INTR_INFO_TYPE_SHIFT) & 7;

	(void)qualification;
	if (type == INTR_TYPE_NMI) {
		/* A host NMI (NMI exiting is on): nothing in this hypervisor raises NMIs while a
		 * guest runs, so it is a platform event worth a line; the guest continues. */
		v->host_nmis++;
		kprintf("apicvisor: host NMI while the guest ran (RIP %#llx)\n",
			(unsigned long long)guest_rip());
		/* The NMI VM exit left NMIs blocked in root mode until the next IRET (SDM Vol. 3C
		 * §28.1 "Architectural State Before a VM Exit"): IRET to the next instruction. */
		__asm__ volatile("movq %%rsp, %%rax\n\t"
				 "pushq %[ss]\n\t"
				 "pushq %%rax\n\t"
				 "pushfq\n\t"
				 "pushq %[cs]\n\t"
				 "leaq 1f(%%rip), %%rax\n\t"
				 "pushq %%rax\n\t"
				 "iretq\n"
				 "1:"
				 :
				 : [ss] "i"(GDT_SELECTOR_DATA), [cs] "i"(GDT_SELECTOR_CODE)
				 : "rax", "memory");
		return EXIT_ACTION_RESUME;
	}
	/* The exception bitmap is 0: no guest exception should exit. */
	return vcpu_stop(v, GUEST_END_UNHANDLED,
			 "unexpected exception exit: vector %u, type %u, at RIP %#llx",
			 info & INTR_INFO_VECTOR_MASK, type, (unsigned long long)guest_rip());
}

static enum exit_action handle_external_interrupt(struct vcpu *v, uint64_t qualification)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTR_INFO);

	(void)qualification;
	/* "Acknowledge interrupt on exit" took the vector from the local APIC: it is in service
	 * there and needs an EOI (SDM Vol. 3C §28.2 "Recording VM-Exit Information"). */
	if (info & INTR_INFO_VALID)
		host_apic_eoi();
	/* Another CPU's kick, or a posted-interrupt notification this CPU cannot process itself:
	 * what was sent is taken before the next entry (apic_before_entry). */
	if ((info & INTR_INFO_VECTOR_MASK) == HOST_VECTOR_KICK)
		v->stats.events.kicks++;
	else if ((info & INTR_INFO_VECTOR_MASK) == HOST_VECTOR_POSTED)
		v->stats.events.notification_exits++;
	log_debug("apicvisor: host interrupt vector %u during the guest\n",
		  info & INTR_INFO_VECTOR_MASK);
	return EXIT_ACTION_RESUME;
}

static enum exit_action handle_triple_fault(struct vcpu *v, uint64_t qualification)
{
	(void)qualification;
	return vcpu_stop(v, GUEST_END_TRIPLE_FAULT,
			 "guest triple fault at RIP %#llx (CR0 %#llx, CR3 %#llx, CR4 %#llx)",
			 (unsigned long long)guest_rip(),
			 (unsigned long long)vcpu_guest_cr0(),
			 (unsigned long long)vmcs_read(VMCS_GUEST_CR3),
			 (unsigned long long)vcpu_guest_cr4());
}

static enum exit_action handle_init_signal(struct vcpu *v, uint64_t qualification)
{
	(void)qualification;
	/* A physical INIT (the guest's INIT IPIs never reach the CPU: they are inbox events). */
	return vcpu_stop(v, GUEST_END_UNHANDLED, "INIT signal at RIP %#llx (a physical INIT: a "
			 "platform reset)",
			 (unsigned long long)guest_rip());
}

/* ---- instructions ---------------------------------------------------------------------------- */

static enum exit_action handle_cpuid(struct vcpu *v, uint64_t qualification)
{
	(void)qualification;
	platform_cpuid(v);
	vcpu_skip_instruction();
	return EXIT_ACTION_RESUME;
}

static enum exit_action handle_hlt(struct vcpu *v, uint64_t qualification)
{
	bool interrupts_enabled = vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF;

	(void)qualification;
	vcpu_skip_instruction();
	/* An event the guest can take now ends the HLT at once: the next entry delivers it. An
	 * NMI is not masked by IF, only by NMI blocking (SDM Vol. 3A §7.7 "Nonmaskable Interrupt
	 * (NMI)"). (Deciding
	 * this here is what a hypervisor does before blocking a vCPU, and Bochs 2.7 would not wake
	 * a halted guest on a pending virtual interrupt.) */
	if (vcpu_nmi_deliverable(v) || (interrupts_enabled && apic_has_deliverable_event(v)))
		return EXIT_ACTION_RESUME;
	return vcpu_halt(v);
}

enum exit_action vcpu_halt(struct vcpu *v)
{
	/* Halted, only a timer can still raise something: the vLAPIC timer, the PIT or the test
	 * device's delayed line, each of which may be routed as an NMI or reach a guest with IF =
	 * 1. Wait in non-root operation until the VMX-preemption timer brings the CPU back at the
	 * earliest deadline; vmx_run re-checks after every exit while the guest stays halted. */
	/* With other vCPUs or a housekeeping CPU an interrupt can still come from another CPU (a
	 * kick or notification ends the HLT); what can is not known here, so the `timeout=`
	 * watchdog bounds such a wait. */
	if (!apic_timer_deadline(v) && vcpus_concurrent) {
		vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_STATE_HLT);
		return EXIT_ACTION_RESUME;
	}
	if (!apic_timer_deadline(v))
		return vcpu_stop(v, GUEST_END_HALTED,
				 "HLT at RIP %#llx with interrupts %s, nothing pending and no timer "
				 "armed: nothing can wake the guest",
				 (unsigned long long)guest_rip(),
				 vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF ? "enabled" : "disabled");
	if (!v->preemption_timer)
		return vcpu_stop(v, GUEST_END_UNHANDLED,
				 "HLT at RIP %#llx waits for a timer, but this CPU has no VMX-preemption "
				 "timer to wake it (a host-LAPIC-timer fallback is not implemented)",
				 (unsigned long long)guest_rip());
	vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_STATE_HLT);
	return EXIT_ACTION_RESUME;
}

static enum exit_action handle_skip(struct vcpu *v, uint64_t qualification)
{
	/* INVD: the guest's caches are the host's; writing back instead of invalidating is what
	 * every hypervisor does (dropping dirty lines would corrupt host memory). */
	(void)v;
	(void)qualification;
	vcpu_skip_instruction();
	return EXIT_ACTION_RESUME;
}

static enum exit_action inject_ud(struct vcpu *v, uint64_t qualification)
{
	/* VMX, SMX and MONITOR/MWAIT are hidden from the guest's CPUID: as on a CPU without
	 * them, the instructions raise #UD. */
	(void)v;
	(void)qualification;
	vcpu_inject_exception(VECTOR_UD, false, 0);
	return EXIT_ACTION_RESUME;
}

static enum exit_action inject_gp(struct vcpu *v, uint64_t qualification)
{
	/* RDPMC: the guest has no performance counters (CPUID leaf 0xA is 0), so every counter
	 * index is invalid: #GP(0). */
	(void)v;
	(void)qualification;
	vcpu_inject_exception(VECTOR_GP, true, 0);
	return EXIT_ACTION_RESUME;
}

static bool guest_string(struct vcpu *v, uint64_t gpa, char *out, size_t size)
{
	const struct guest *g = v->guest;

	for (size_t i = 0; i < size; i++) {
		if (gpa + i >= g->ram_bytes)
			return false;
		out[i] = (char)g->ram[gpa + i];
		if (!out[i])
			return i > 0;
		if (out[i] < 0x20 || out[i] > 0x7E)
			return false;
	}
	return false;
}

/* What the interrupt path did during a scenario: differences of the vCPU's APIC counters. */
static void scenario_apic_figures(const struct vcpu *v, struct scenario_result *r)
{
	const struct apic_stats *now = &v->apic_stats, *then = &v->scenario_apic_snapshot;

	r->injected = now->injected - then->injected;
	r->extint_injected = now->extint_injected - then->extint_injected;
	r->extint_window_exits = now->extint_window_exits - then->extint_window_exits;
	r->remote_irr_clears = platform_irq_remote_irr_clears() - v->scenario_remote_irr_clears;
	r->posted = now->posted - then->posted;
	r->notifications = now->notifications - then->notifications;
	r->pir_drained = now->pir_drained - then->pir_drained;
	for (unsigned i = 0; i < 16; i++)
		scenario_add_keyed(r->ioapic_access, &r->ioapic_access_count, (uint16_t)(i << 4),
				   now->ioapic_access[i] - then->ioapic_access[i]);
	for (unsigned i = 0; i < 256; i++) {
		scenario_add_keyed(r->apic_write, &r->apic_write_count, (uint16_t)(i << 4),
				   now->apic_write[i] - then->apic_write[i]);
		scenario_add_keyed(r->eoi_induced, &r->eoi_induced_count, (uint16_t)i,
				   now->eoi_induced[i] - then->eoi_induced[i]);
	}
}

void vcpu_other_exits(const struct vcpu *v, uint64_t counts[VMX_EXIT_REASON_COUNT])
{
	memset(counts, 0, VMX_EXIT_REASON_COUNT * sizeof(counts[0]));
	/* Another CPU's counters, read while it may be counting: each 64-bit count is read whole
	 * (aligned loads), which is all a difference of two snapshots needs. */
	for (unsigned i = 0; i < vcpu_count; i++) {
		if (&vcpus[i] == v)
			continue;
		for (unsigned r = 0; r < VMX_EXIT_REASON_COUNT; r++)
			counts[r] += __atomic_load_n(&vcpus[i].stats.reason[r].count,
						     __ATOMIC_RELAXED);
	}
}

static uint64_t hypercall(struct vcpu *v, uint64_t function)
{
	char name[APICVISOR_HC_STRING_MAX];
	struct scenario_result *r = v->in_scenario ? &v->scenarios[v->scenario_count - 1] : NULL;
	uint64_t others[VMX_EXIT_REASON_COUNT];

	switch (function) {
	case APICVISOR_HC_NULL: /* here when the entry stub declined it (vmx/entry.asm says when) */
	case APICVISOR_HC_PING:
		return 0;
	case APICVISOR_HC_SCENARIO_BEGIN:
		if (v->in_scenario || v->scenario_count == VCPU_MAX_SCENARIOS ||
		    !guest_string(v, v->gprs.rbx, name, sizeof(name)))
			return (uint64_t)APICVISOR_HC_EINVAL;
		scenario_begin(&v->scenarios[v->scenario_count++], name,
			       config_mode_name(v->apic_mode), &v->stats);
		vcpu_other_exits(v, others);
		scenario_others_begin(&v->scenarios[v->scenario_count - 1], others);
		v->in_scenario = true;
		v->scenario_apic_snapshot = v->apic_stats;
		v->scenario_remote_irr_clears = platform_irq_remote_irr_clears();
		/* The snapshot was taken before this BEGIN exit is recorded, so BEGIN itself will
		 * show in the difference: the first checkpoint. */
		v->scenario_checkpoints = 1;
		log_debug("apicvisor: scenario %s begins\n", name);
		return 0;
	case APICVISOR_HC_REPORT:
		if (!r || !guest_string(v, v->gprs.rbx, name, sizeof(name)) ||
		    !scenario_add_figure(r, name, v->gprs.rcx))
			return (uint64_t)APICVISOR_HC_EINVAL;
		v->scenario_checkpoints++;
		return 0;
	case APICVISOR_HC_SET_MODE:
		if (v->gprs.rbx > APICVISOR_MODE_POSTED)
			return (uint64_t)APICVISOR_HC_EINVAL;
		/* For the whole VM: the other vCPUs switch before their next entry. */
		for (unsigned i = 0; i < vcpu_count; i++)
			if (&vcpus[i] != v)
				apic_request_mode(&vcpus[i], (enum apicvisor_mode)v->gprs.rbx);
		return apic_set_mode(v, (enum apicvisor_mode)v->gprs.rbx);
	case APICVISOR_HC_GET_MODE:
		return v->apic_mode;
	case APICVISOR_HC_GET_PLATFORM:
		return v->timer_offloaded ? APICVISOR_PLATFORM_HOUSEKEEPING : 0;
	case APICVISOR_HC_SCENARIO_END: {
		const char *broken;

		if (!r)
			return (uint64_t)APICVISOR_HC_EINVAL;
		/* The hypervisor's own canaries, after every scenario (the chaos guest runs its
		 * batches as scenarios): the words next to each guarded structure. */
		broken = host_guard_check(false);
		if (broken) {
			vcpu_stop(v, GUEST_END_UNHANDLED, "hypervisor memory corrupted: %s changed "
				  "(found at the end of scenario %s)", broken, r->name);
			return (uint64_t)APICVISOR_HC_EINVAL;
		}
		/* This END exit is not in the counts yet (it is recorded after its handler). */
		scenario_end(r, v->gprs.rbx, &v->stats, v->scenario_checkpoints);
		vcpu_other_exits(v, others);
		scenario_others_end(r, others);
		scenario_apic_figures(v, r);
		v->in_scenario = false;
		return 0;
	}
	}
	return (uint64_t)APICVISOR_HC_ENOSYS;
}

static enum exit_action handle_vmcall(struct vcpu *v, uint64_t qualification)
{
	unsigned cpl = vcpu_guest_cpl();

	(void)qualification;
	/* Only the guest kernel may call the hypervisor (as KVM: -EPERM from CPL > 0). */
	v->gprs.rax = cpl ? (uint64_t)APICVISOR_HC_EPERM : hypercall(v, v->gprs.rax);
	if (v->end != GUEST_END_RUNNING)
		return EXIT_ACTION_STOP; /* the hypervisor found itself corrupted */
	vcpu_skip_instruction();
	return EXIT_ACTION_RESUME;
}


/* The operand of MOV to CR: outside 64-bit mode the source is a 32-bit register, whatever the
 * saved 64-bit GPR holds above (SDM Vol. 2B "MOV—Move to/from Control Registers"). */
static uint64_t cr_source(struct vcpu *v, unsigned reg)
{
	uint64_t value = vcpu_read_gpr(v, reg);

	return vcpu_in_64bit_mode() ? value : (uint32_t)value;
}

/* PDPTE bits that are reserved in PAE paging: 2:1, 8:5 and MAXPHYADDR-63 (SDM Vol. 3A §5.4.1
 * "PDPTE Registers"). */
static uint64_t pdpte_reserved_bits(void)
{
	return 0x1E6ull | ~((1ull << platform_maxphyaddr()) - 1);
}

/*
 * PAE paging without IA-32e: with EPT, VM entry loads the PDPTEs from the VMCS, so a MOV to CR0
 * or CR4 the hypervisor emulates must read them as the instruction would. "If any of the PDPTEs
 * sets both the P flag (bit 0) and any reserved bit, the MOV to CR instruction causes a
 * general-protection exception (#GP(0)) and the PDPTEs are not loaded" (SDM Vol. 3A §5.4.1).
 * A PDPT outside guest RAM reads as all ones, as unbacked memory does: present with reserved
 * bits, so #GP too. Returns false for the #GP, with nothing loaded.
 */
static bool load_pae_pdptes(struct vcpu *v)
{
	uint64_t pdpt = vmcs_read(VMCS_GUEST_CR3) & 0xFFFFFFE0u;
	uint64_t pdpte[4];

	for (unsigned i = 0; i < 4; i++) {
		pdpte[i] = pdpt + 8 * (i + 1) <= v->guest->ram_bytes
				   ? *(const uint64_t *)(v->guest->ram + pdpt + 8 * i) : ~0ull;
		if ((pdpte[i] & 1) && (pdpte[i] & pdpte_reserved_bits()))
			return false;
	}
	for (unsigned i = 0; i < 4; i++)
		vmcs_write(VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
	return true;
}

static enum exit_action inject_gp0(void)
{
	vcpu_inject_exception(VECTOR_GP, true, 0);
	return EXIT_ACTION_RESUME;
}

/* MOV to CR0 (SDM Vol. 2B "MOV—Move to/from Control Registers": the #GP conditions). */
static enum exit_action emulate_write_cr0(struct vcpu *v, uint64_t value)
{
	const struct vmx_caps *caps = vmx_active_caps;
	uint64_t old = vcpu_guest_cr0();
	uint64_t cr4 = vcpu_guest_cr4();
	uint64_t fixed0 = caps->cr0_fixed0 & ~(CR0_PE | CR0_PG); /* unrestricted guest */
	uint32_t entry_before = (uint32_t)vmcs_read(VMCS_ENTRY_CONTROLS);
	uint32_t entry = entry_before;
	uint64_t efer = v->efer;

	bool activates_ia32e = (value & CR0_PG) && !(old & CR0_PG) && (v->efer & EFER_LME);

	/* ... among them activating IA-32e mode without PAE or with CS.L = 1. */
	if ((value >> 32) || ((value & CR0_PG) && !(value & CR0_PE)) ||
	    ((value & CR0_NW) && !(value & CR0_CD)) ||
	    (activates_ia32e && (!(cr4 & CR4_PAE) ||
				 (vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS) & SEGMENT_AR_L))) ||
	    (!(value & CR0_PG) && (old & CR0_PG) && vcpu_in_64bit_mode()) ||
	    (!(value & CR0_PG) && (cr4 & CR4_PCIDE)))
		return inject_gp0();
	/* Entering/leaving paging with EFER.LME set switches IA-32e mode: LMA and the
	 * "IA-32e mode guest" entry control follow (SDM Vol. 3A §10.8.5 "Initializing IA-32e
	 * Mode", Vol. 3C §26.3.1.1: entry checks that the control equals EFER.LMA). */
	if ((value & CR0_PG) && (efer & EFER_LME)) {
		efer |= EFER_LMA;
		entry |= ENTRY_IA32E_MODE_GUEST;
	} else if (!(value & CR0_PG)) {
		efer &= ~EFER_LMA;
		entry &= ~ENTRY_IA32E_MODE_GUEST;
	}
	/* PAE paging after the write: the PDPTEs are loaded when PG, CD or NW change (SDM Vol. 3A
	 * §5.4.1). vmcs_read(VMCS_GUEST_CR3) is the guest's: CR3 loads do not exit. */
	if ((value & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LMA) &&
	    ((value ^ old) & (CR0_PG | CR0_CD | CR0_NW)) && !load_pae_pdptes(v))
		return inject_gp0();
	v->efer = efer;
	vmcs_write(VMCS_CR0_READ_SHADOW, value);
	vmcs_write(VMCS_GUEST_CR0, (value | fixed0) & caps->cr0_fixed1);
	vmcs_write(VMCS_GUEST_IA32_EFER, v->efer);
	if (entry != entry_before)
		vmx_write_controls(VMX_CTL_ENTRY, entry);
	/* Changing PG (or CD/WP, which exit only together with an owned bit) invalidates the
	 * guest's TLB entries as the instruction would (SDM Vol. 3A §5.10.4.1). */
	if ((value ^ old) & (CR0_PG | CR0_WP | CR0_CD))
		vcpu_flush_guest_tlb(v);
	vcpu_skip_instruction();
	return EXIT_ACTION_RESUME;
}

/* MOV to CR4. It exits only when a bit the hypervisor owns changes (vmcs.c): VMXE and the bits
 * of features the guest's CPUID hides, each of which raises #GP as on a CPU without it;
 * OSXSAVE, which decides whether the guest's XCR0 is loaded; and the CPU's other CR4_FIXED0
 * bits (none on the CPUs this was tested on). The same write may change the guest's own bits:
 * it is checked and completed as the instruction would. */
static enum exit_action emulate_write_cr4(struct vcpu *v, uint64_t value)
{
	const struct vmx_caps *caps = vmx_active_caps;
	uint64_t old = vcpu_guest_cr4();
	bool pae_paging = (vcpu_guest_cr0() & CR0_PG) && !(v->efer & EFER_LMA);

	if ((value & (CR4_VMXE | CR4_GUEST_RESERVED)) || (value & ~caps->cr4_fixed1) ||
	    ((value & CR4_OSXSAVE) && !v->xsave) ||
	    ((old & CR4_PAE) && !(value & CR4_PAE) && (v->efer & EFER_LMA)) ||
	    ((value & CR4_PCIDE) && !(old & CR4_PCIDE) &&
	     (!(v->efer & EFER_LMA) || (vmcs_read(VMCS_GUEST_CR3) & 0xFFF))))
		return inject_gp0();
	/* In PAE paging, changing PAE, PGE, PSE or SMEP reloads the PDPTEs (SDM Vol. 3A §5.4.1). */
	if (pae_paging && (value & CR4_PAE) &&
	    ((value ^ old) & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)) && !load_pae_pdptes(v))
		return inject_gp0();
	vmcs_write(VMCS_CR4_READ_SHADOW, value);
	vmcs_write(VMCS_GUEST_CR4, (value | caps->cr4_fixed0 | CR4_VMXE) & caps->cr4_fixed1);
	v->guest_osxsave = value & CR4_OSXSAVE;
	/* "MOV to CR4 ... modifies any of CR4.PGE, CR4.PAE, CR4.PSE, CR4.SMEP, CR4.PCIDE": the
	 * TLBs are invalidated (SDM Vol. 3A §5.10.4.1 "Operations that Invalidate TLBs"). */
	if ((value ^ old) & (CR4_PGE | CR4_PAE | CR4_PSE | CR4_SMEP | CR4_PCIDE))
		vcpu_flush_guest_tlb(v);
	vcpu_skip_instruction();
	return EXIT_ACTION_RESUME;
}

static enum exit_action handle_cr_access(struct vcpu *v, uint64_t qualification)
{
	/* Exit qualification for control-register accesses (SDM Vol. 3C §28.2.1, Table 28-3). */
	unsigned cr = qualification & 15;
	unsigned access = (qualification >> 4) & 3;
	unsigned reg = (qualification >> 8) & 15;

	if (access == 0 && cr == 0)
		return emulate_write_cr0(v, cr_source(v, reg));
	if (access == 0 && cr == 4)
		return emulate_write_cr4(v, cr_source(v, reg));
	if (cr == 8 && access <= 1) {
		/* CR8 is the task priority: it exits only in emulate mode (no TPR shadow). */
		if (access == 1) {
			vcpu_write_gpr(v, reg, apic_read_cr8(v));
		} else {
			uint64_t value = vcpu_read_gpr(v, reg);

			if (value >> 4) { /* reserved bits (SDM Vol. 3A §11.8.6) */
				vcpu_inject_exception(VECTOR_GP, true, 0);
				return EXIT_ACTION_RESUME;
			}
			apic_write_cr8(v, value);
		}
		vcpu_skip_instruction();
		return EXIT_ACTION_RESUME;
	}
	return vcpu_stop(v, GUEST_END_UNHANDLED,
			 "unexpected control-register exit (CR%u, access type %u) at RIP %#llx",
			 cr, access, (unsigned long long)guest_rip());
}

static enum exit_action handle_io(struct vcpu *v, uint64_t qualification)
{
	return platform_io(v, qualification);
}

static enum exit_action handle_rdmsr(struct vcpu *v, uint64_t qualification)
{
	(void)qualification;
	return platform_rdmsr(v);
}

static enum exit_action handle_wrmsr(struct vcpu *v, uint64_t qualification)
{
	(void)qualification;
	return platform_wrmsr(v);
}

static enum exit_action handle_xsetbv(struct vcpu *v, uint64_t qualification)
{
	/* XSETBV (SDM Vol. 2D "XSETBV"): #UD unless CR4.OSXSAVE = 1; #GP(0) at CPL > 0, unless
	 * ECX = 0, for a value the CPU rejects (xcr0_valid) or a component this platform does not
	 * show the guest (CPUID.(EAX=0DH,ECX=0), platform_guest_xcr0_supported). */
	uint64_t value = (v->gprs.rdx << 32) | (uint32_t)v->gprs.rax;

	(void)qualification;
	if (!v->xsave || !(vcpu_guest_cr4() & CR4_OSXSAVE)) {
		vcpu_inject_exception(VECTOR_UD, false, 0);
		return EXIT_ACTION_RESUME;
	}
	if (vcpu_guest_cpl() || (uint32_t)v->gprs.rcx != 0 ||
	    !xcr0_valid(value, platform_guest_xcr0_supported(v))) {
		vcpu_inject_exception(VECTOR_GP, true, 0);
		return EXIT_ACTION_RESUME;
	}
	/* Loaded into the CPU before the next VM entry; root mode keeps the host's (vmx_run). */
	v->guest_xcr0 = value;
	vcpu_skip_instruction();
	return EXIT_ACTION_RESUME;
}

/* ---- failures and the watchdog --------------------------------------------------------------- */

static enum exit_action handle_entry_failure(struct vcpu *v, uint64_t qualification)
{
	/* SDM Vol. 3C §27.8 "VM-Entry Failures During or After Loading Guest State": the exit
	 * qualification says which check failed. */
	static const char *const meaning[] = {
		[0] = "no further detail (a guest-state check failed)",
		[2] = "failure loading the PDPTEs",
		[3] = "NMI injection while blocked by NMI",
		[4] = "invalid VMCS link pointer",
	};
	uint32_t reason = (uint32_t)vmcs_read(VMCS_EXIT_REASON) & EXIT_REASON_BASIC_MASK;
	const char *what = qualification < ARRAY_SIZE(meaning) && meaning[qualification]
				   ? meaning[qualification]
				   : "unknown qualification";

	kprintf("apicvisor: guest state at the failed entry: RIP %#llx CR0 %#llx CR4 %#llx "
		"EFER %#llx entry controls %#x CS AR %#llx\n",
		(unsigned long long)guest_rip(), (unsigned long long)vmcs_read(VMCS_GUEST_CR0),
		(unsigned long long)vmcs_read(VMCS_GUEST_CR4),
		(unsigned long long)vmcs_read(VMCS_GUEST_IA32_EFER),
		(uint32_t)vmcs_read(VMCS_ENTRY_CONTROLS),
		(unsigned long long)vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS));
	return vcpu_stop(v, GUEST_END_ENTRY_FAILURE,
			 "VM entry failed: exit reason %u (%s), qualification %llu: %s", reason,
			 vmx_exit_reason_name(reason), (unsigned long long)qualification, what);
}

/* EPT-violation qualification bit 7 (guest linear address valid) and bit 8 (the access was
 * to the linear address's translation, not a paging-structure entry): SDM Vol. 3C Table 28-7. */
#define EPT_QUAL_TRANSLATED ((1ull << 7) | (1ull << 8))

static enum exit_action handle_ept_violation(struct vcpu *v, uint64_t qualification)
{
	/* Exit qualification for EPT violations (SDM Vol. 3C §28.2.1, Table 28-7). */
	uint64_t gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);
	const char *access = qualification & 4 ? "instruction fetch"
			     : qualification & 2 ? "write" : "read";
	enum exit_action action;

	/* During event delivery the access came from the delivery itself (IDT, stack), not from
	 * the instruction at RIP, so it cannot be emulated as that instruction (SDM Vol. 3C
	 * §28.2.4 "Information for VM Exits During Event Delivery"). */
	if (vmcs_read(VMCS_IDT_VECTORING_INFO) & INTR_INFO_VALID)
		return vcpu_stop(v, GUEST_END_UNHANDLED,
				 "guest %s of guest-physical %#llx during event delivery (vector "
				 "%u) at RIP %#llx: an IDT or stack in device memory is not emulated",
				 access, (unsigned long long)gpa,
				 (unsigned)(vmcs_read(VMCS_IDT_VECTORING_INFO) & INTR_INFO_VECTOR_MASK),
				 (unsigned long long)guest_rip());
	if (!(qualification & 4) && apic_handle_ept_violation(v, gpa, qualification, &action))
		return action;
	if (!(qualification & 4) && platform_irq_mmio(v, gpa, qualification & 2, &action))
		return action;
	/* Nothing there: the empty bus answers (strict=off), as on a PC, to what the instruction
	 * itself reads or writes (qualification bits 7 and 8: the access was to the translation of
	 * a linear address, not to a paging structure on the way). Code fetched from it, and page
	 * tables in it, stop the guest either way. */
	if (!(qualification & 4) && (qualification & EPT_QUAL_TRANSLATED) == EPT_QUAL_TRANSLATED &&
	    !vmx_active_config->strict)
		return platform_unbacked_access(v, gpa, qualification & 2);

	return vcpu_stop(v, GUEST_END_UNHANDLED,
			 "guest %s of guest-physical %#llx at RIP %#llx: no RAM and no emulated "
			 "device there%s",
			 access, (unsigned long long)gpa, (unsigned long long)guest_rip(),
			 vmx_active_config->strict ? " (strict=on)" : "");
}

static enum exit_action handle_ept_misconfig(struct vcpu *v, uint64_t qualification)
{
	(void)qualification;
	return vcpu_stop(v, GUEST_END_UNHANDLED,
			 "EPT misconfiguration at guest-physical %#llx (a hypervisor bug)",
			 (unsigned long long)vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS));
}

static enum exit_action handle_preemption_timer(struct vcpu *v, uint64_t qualification)
{
	(void)qualification;
	apic_timer_check(v);
	v->timer_dirty = true; /* reload after the interrupt it may have raised is queued */
	if (!v->watchdog_deadline_tsc || rdtsc() < v->watchdog_deadline_tsc)
		return EXIT_ACTION_RESUME;
	return vcpu_stop(v, GUEST_END_TIMEOUT, "guest ran past timeout=%u s (RIP %#llx)",
			 vmx_active_config->timeout_s, (unsigned long long)guest_rip());
}

static const exit_handler exit_handlers[VMX_EXIT_REASON_COUNT] = {
	[EXIT_REASON_EXCEPTION_NMI] = handle_exception_or_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_REASON_INIT_SIGNAL] = handle_init_signal,
	[EXIT_REASON_INTERRUPT_WINDOW] = apic_handle_interrupt_window,
	[EXIT_REASON_NMI_WINDOW] = apic_handle_nmi_window,
	[EXIT_REASON_CPUID] = handle_cpuid,
	[EXIT_REASON_GETSEC] = inject_ud,
	[EXIT_REASON_HLT] = handle_hlt,
	[EXIT_REASON_INVD] = handle_skip,
	[EXIT_REASON_RDPMC] = inject_gp,
	[EXIT_REASON_VMCALL] = handle_vmcall,
	[EXIT_REASON_VMCLEAR] = inject_ud,
	[EXIT_REASON_VMLAUNCH] = inject_ud,
	[EXIT_REASON_VMPTRLD] = inject_ud,
	[EXIT_REASON_VMPTRST] = inject_ud,
	[EXIT_REASON_VMREAD] = inject_ud,
	[EXIT_REASON_VMRESUME] = inject_ud,
	[EXIT_REASON_VMWRITE] = inject_ud,
	[EXIT_REASON_VMXOFF] = inject_ud,
	[EXIT_REASON_VMXON] = inject_ud,
	[EXIT_REASON_CR_ACCESS] = handle_cr_access,
	[EXIT_REASON_IO_INSTRUCTION] = handle_io,
	[EXIT_REASON_RDMSR] = handle_rdmsr,
	[EXIT_REASON_WRMSR] = handle_wrmsr,
	[EXIT_REASON_ENTRY_FAIL_GUEST_STATE] = handle_entry_failure,
	[EXIT_REASON_ENTRY_FAIL_MSR_LOADING] = handle_entry_failure,
	[EXIT_REASON_MWAIT] = inject_ud,
	[EXIT_REASON_MONITOR] = inject_ud,
	[EXIT_REASON_ENTRY_FAIL_MACHINE_CHECK] = handle_entry_failure,
	[EXIT_REASON_TPR_BELOW_THRESHOLD] = apic_handle_tpr_below_threshold,
	[EXIT_REASON_APIC_ACCESS] = apic_handle_apic_access,
	[EXIT_REASON_EOI_INDUCED] = apic_handle_eoi_induced,
	[EXIT_REASON_EPT_VIOLATION] = handle_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG] = handle_ept_misconfig,
	[EXIT_REASON_INVEPT] = inject_ud,
	[EXIT_REASON_PREEMPTION_TIMER] = handle_preemption_timer,
	[EXIT_REASON_INVVPID] = inject_ud,
	[EXIT_REASON_XSETBV] = handle_xsetbv,
	[EXIT_REASON_APIC_WRITE] = apic_handle_apic_write,
};

enum exit_action vmx_handle_exit(struct vcpu *v, uint32_t exit_reason)
{
	unsigned basic = exit_reason & EXIT_REASON_BASIC_MASK;
	exit_handler handler = basic < VMX_EXIT_REASON_COUNT ? exit_handlers[basic] : NULL;

	if (!handler)
		return vcpu_stop(v, GUEST_END_UNHANDLED,
				 "unexpected VM exit: reason %u (%s), qualification %#llx, at RIP "
				 "%#llx",
				 basic, vmx_exit_reason_name(basic),
				 (unsigned long long)vmcs_read(VMCS_EXIT_QUALIFICATION),
				 (unsigned long long)guest_rip());
	return handler(v, vmcs_read(VMCS_EXIT_QUALIFICATION));
}
