/* SPDX-License-Identifier: MIT */
/*
 * The VM exits the virtual LAPIC causes, decoded and handed to the model (apicv/vlapic.c):
 * APIC-access and EPT-violation MMIO (through the instruction decoder), APIC-write,
 * EOI-induced, TPR-below-threshold, the interrupt and NMI windows, x2APIC and APIC MSRs, CR8.
 * Citations are to SDM Vol. 3C chapter 30 "APIC Virtualization and Virtual Interrupts" unless
 * they say otherwise.
 */
#include "apic_exits.h"

#include "../boot/console.h"
#include "../boot/x86.h"
#include "../vmx/exit.h"
#include "../vmx/guest_walk.h"
#include "../vmx/vmcs.h"
#include "../vmx/x86_decode.h"
#include "apic_regs.h"
#include "delivery.h"
#include "vlapic.h"

#define MSR_IA32_TSC_DEADLINE 0x6E0u

/* ---- MMIO ------------------------------------------------------------------------------------ */

static bool read_guest_physical(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	const struct vcpu *v = ctx;

	if (gpa >= v->guest->ram_bytes || len > v->guest->ram_bytes - gpa)
		return false;
	memcpy(buf, v->guest->ram + gpa, len);
	return true;
}

/* The decoder's view of the guest's execution mode (SDM Vol. 3A §3.4.5 code-segment L and D). */
static enum x86_cpu_mode guest_cpu_mode(const struct vcpu *v)
{
	uint64_t cs_ar = vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS);

	if (!(vcpu_guest_cr0() & CR0_PE))
		return X86_MODE_REAL16;
	if ((v->efer & EFER_LMA) && (cs_ar & (1u << 13)))
		return X86_MODE_LONG64;
	return (cs_ar & (1u << 14)) ? X86_MODE_PROT32 : X86_MODE_PROT16;
}

/* The register operand's value (a write's source), or the immediate. */
static uint64_t write_source(struct vcpu *v, const struct x86_mmio_insn *insn)
{
	return insn->operand == X86_MMIO_OPERAND_REGISTER ? vcpu_read_gpr(v, insn->gpr) : 0;
}

/* A 32-bit APIC register access for the model: reads of a register that is not the APIC (the
 * page in x2APIC mode) float high. */
static uint32_t apic_page_read(struct vcpu *v, uint32_t offset, unsigned size)
{
	uint32_t value = 0;

	if (vlapic_mmio_read(v->vlapic, offset, size, &value) == VLAPIC_NOT_APIC)
		value = 0xFFFFFFFFu;
	return value;
}

/* STOS: rDI moves by the element size, down when RFLAGS.DF is set (SDM Vol. 2B "STOS"). */
static void advance_string_destination(struct vcpu *v, const struct x86_mmio_insn *insn)
{
	uint64_t rdi = vcpu_read_gpr(v, 7);
	uint64_t step = insn->access_size;
	uint64_t mask = insn->address_size == 8 ? ~0ull : (1ull << (8 * insn->address_size)) - 1;

	rdi = vmcs_read(VMCS_GUEST_RFLAGS) & (1u << 10) ? rdi - step : rdi + step;
	vcpu_write_gpr(v, 7, (vcpu_read_gpr(v, 7) & ~mask) | (rdi & mask));
}

/*
 * Emulates the instruction at guest RIP that accessed the APIC page at `offset`: fetched through
 * the guest's page tables, decoded (vmx/x86_decode.c), carried out on the vLAPIC model, RIP
 * advanced by the decoded length. Anything the decoder does not know ends the guest with its
 * reason; guest-visible state is never left half-updated.
 */
static enum exit_action emulate_apic_mmio(struct vcpu *v, uint32_t offset, bool write)
{
	struct guest_paging paging = {
		.cr0 = vcpu_guest_cr0(),
		.cr3 = vmcs_read(VMCS_GUEST_CR3),
		.cr4 = vcpu_guest_cr4(),
		.efer = v->efer,
		.read_gpa = read_guest_physical,
		.ctx = v,
	};
	enum x86_cpu_mode mode = guest_cpu_mode(v);
	uint64_t rip = vmcs_read(VMCS_GUEST_RIP);
	uint64_t linear = rip + (mode == X86_MODE_LONG64 ? 0 : vmcs_read(VMCS_GUEST_CS_BASE));
	struct guest_walk_fault fault;
	struct x86_mmio_insn insn;
	uint8_t bytes[15];
	size_t got = 0;
	char why[128];

	if (guest_fetch_instruction(&paging, linear, bytes, sizeof(bytes), &got, &fault)) {
		guest_walk_describe_fault(&fault, why, sizeof(why));
		return vcpu_stop(v, GUEST_END_UNHANDLED,
				 "APIC access at RIP %#llx: cannot fetch the instruction: %s",
				 (unsigned long long)rip, why);
	}
	if (x86_decode_mmio(bytes, got, mode, &insn, why, sizeof(why)))
		return vcpu_stop(v, GUEST_END_UNHANDLED, "APIC access at RIP %#llx, offset %#x: %s",
				 (unsigned long long)rip, offset, why);
	if (insn.rep || (insn.direction == X86_MMIO_READ && write) ||
	    (insn.direction == X86_MMIO_WRITE && !write))
		return vcpu_stop(v, GUEST_END_UNHANDLED, "APIC access at RIP %#llx, offset %#x: %s "
				 "is not emulated on the APIC page",
				 (unsigned long long)rip, offset,
				 insn.rep ? "REP STOS" : "an access of the other direction");
	v->apic_stats.apic_access[(offset >> 4) & 0xFF]++;

	switch (insn.direction) {
	case X86_MMIO_READ: {
		uint32_t value = apic_page_read(v, offset, insn.access_size);

		vcpu_write_gpr(v, insn.gpr,
			       x86_mmio_merge_read(&insn, vcpu_read_gpr(v, insn.gpr), value));
		break;
	}
	case X86_MMIO_WRITE:
		vlapic_mmio_write(v->vlapic, offset, insn.access_size,
				  (uint32_t)x86_mmio_write_value(&insn, write_source(v, &insn)));
		if (insn.string)
			advance_string_destination(v, &insn);
		break;
	case X86_MMIO_READ_MODIFY_WRITE: {
		/* e.g. `orl $0x100, SVR`: read, operate, write back, RFLAGS as the ALU sets it. */
		uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
		uint64_t source = x86_mmio_write_value(&insn, write_source(v, &insn));
		uint64_t result = x86_mmio_alu_apply(&insn, apic_page_read(v, offset, insn.access_size),
						     source, &rflags);

		vlapic_mmio_write(v->vlapic, offset, insn.access_size, (uint32_t)result);
		vmcs_write(VMCS_GUEST_RFLAGS, rflags);
		break;
	}
	}
	vcpu_advance_rip(insn.length);
	return EXIT_ACTION_RESUME;
}

bool apic_handle_ept_violation(struct vcpu *v, uint64_t gpa, uint64_t qualification,
			       enum exit_action *action)
{
	uint64_t base = vlapic_mmio_base(v->vlapic);

	if (gpa < base || gpa >= base + 4096)
		return false;
	/* EPT-violation qualification bit 1: the access was a write (Table 28-7). */
	*action = emulate_apic_mmio(v, (uint32_t)(gpa - base), qualification & 2);
	return true;
}

enum exit_action apic_handle_apic_access(struct vcpu *v, uint64_t qualification)
{
	/* Exit qualification for APIC-access VM exits (SDM Vol. 3C §28.2.1, Table 28-6): bits 11:0
	 * offset, bits 15:12 access type (0 linear read, 1 linear write, 2 fetch, 3 during event
	 * delivery, 10/15 guest-physical). */
	uint32_t offset = qualification & 0xFFF;
	unsigned type = (qualification >> 12) & 0xF;

	if (type > 1)
		return vcpu_stop(v, GUEST_END_UNHANDLED, "APIC-access exit of type %u at offset %#x "
				 "(RIP %#llx): only data reads and writes are emulated",
				 type, offset, (unsigned long long)vmcs_read(VMCS_GUEST_RIP));
	return emulate_apic_mmio(v, offset, type == 1);
}

enum exit_action apic_handle_apic_write(struct vcpu *v, uint64_t qualification)
{
	/* Trap-like: the write is already in the virtual-APIC page (§30.4.3.3 "APIC-Write VM
	 * Exits"); the model applies its side effects with the same handler every path uses. */
	uint32_t offset = qualification & 0xFFF;

	v->apic_stats.apic_write[(offset >> 4) & 0xFF]++;
	vlapic_apic_write_done(v->vlapic, offset);
	return EXIT_ACTION_RESUME;
}

enum exit_action apic_handle_eoi_induced(struct vcpu *v, uint64_t qualification)
{
	/* The CPU has done the virtual EOI (ISR, SVI, PPR) and exits because the vector is in
	 * the EOI-exit bitmap (§30.1.4 "EOI Virtualization"); the rest is the model's. */
	uint8_t vector = qualification & 0xFF;

	v->apic_stats.eoi_induced[vector]++;
	vlapic_virtual_eoi_done(v->vlapic, vector);
	return EXIT_ACTION_RESUME;
}

enum exit_action apic_handle_tpr_below_threshold(struct vcpu *v, uint64_t qualification)
{
	/* Trap-like after the TPR write (§30.1.2); the next entry injects what is now allowed. */
	(void)v;
	(void)qualification;
	return EXIT_ACTION_RESUME;
}

enum exit_action apic_handle_interrupt_window(struct vcpu *v, uint64_t qualification)
{
	(void)qualification;
	v->apic_stats.irq_window_exits++;
	return EXIT_ACTION_RESUME; /* apic_before_entry() injects now */
}

enum exit_action apic_handle_nmi_window(struct vcpu *v, uint64_t qualification)
{
	(void)qualification;
	v->apic_stats.nmi_window_exits++;
	return EXIT_ACTION_RESUME;
}

/* ---- MSRs and CR8 ---------------------------------------------------------------------------- */

static bool is_apic_msr(uint32_t msr)
{
	return (msr >= 0x800 && msr <= 0x8FF) || msr == MSR_IA32_TSC_DEADLINE ||
	       msr == MSR_IA32_APIC_BASE;
}

bool apic_rdmsr(struct vcpu *v, uint32_t msr, uint64_t *value, bool *gp)
{
	if (!is_apic_msr(msr))
		return false;
	if (msr == MSR_IA32_APIC_BASE) {
		*value = vlapic_apic_base(v->vlapic);
		*gp = false;
	} else {
		*gp = vlapic_msr_read(v->vlapic, msr, value) != VLAPIC_OK;
	}
	return true;
}

bool apic_wrmsr(struct vcpu *v, uint32_t msr, uint64_t value, bool *gp)
{
	if (!is_apic_msr(msr))
		return false;
	if (msr == MSR_IA32_APIC_BASE) {
		bool was_x2apic = vlapic_x2apic_mode(v->vlapic);
		uint64_t old_base = vlapic_mmio_base(v->vlapic);

		*gp = !vlapic_set_apic_base(v->vlapic, value);
		/* The VMCS follows the guest's APIC mode and base: x2APIC virtualization or the
		 * APIC-access page, and where EPT puts it. */
		if (!*gp && (was_x2apic != vlapic_x2apic_mode(v->vlapic) ||
			     old_base != vlapic_mmio_base(v->vlapic)))
			apic_set_mode(v, v->apic_mode_requested);
	} else {
		*gp = vlapic_msr_write(v->vlapic, msr, value) != VLAPIC_OK;
	}
	return true;
}

/* CR8 is TPR[7:4] (SDM Vol. 3A §11.8.6 "Task Priority in IA-32e Mode"); it exits only in emulate
 * mode, where there is no TPR shadow. */
uint64_t apic_read_cr8(struct vcpu *v)
{
	return vlapic_tpr(v->vlapic) >> 4;
}

void apic_write_cr8(struct vcpu *v, uint64_t value)
{
	vlapic_set_tpr(v->vlapic, (uint8_t)((value & 0xF) << 4));
}
