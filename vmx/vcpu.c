/* SPDX-License-Identifier: MIT */
/*
 * The vCPU's architectural state as the exit handlers and device emulation read and change it:
 * general-purpose registers, RIP, the control registers as the guest sees them, CPL, event
 * injection, and how a guest run ends. The ground floor of the VMX layer: nothing here calls
 * up into delivery, the platform or the exit handlers.
 */
#include "vcpu.h"

#include "../boot/console.h"
#include "../boot/x86.h"
#include "vmcs.h"
#include "vmx.h"

unsigned vcpu_count = 1;
bool vcpus_concurrent;

#ifdef APICVISOR_HOSTED
static struct vcpu *hosted_current;

struct vcpu *vcpu_current(void)
{
	return hosted_current;
}

void vcpu_make_current(struct vcpu *v)
{
	v->self = v;
	hosted_current = v;
}
#else
/* Root mode uses no GS segment otherwise: its base (the VMCS host GS base, restored on every
 * exit) points at this CPU's vCPU, so one load finds it without knowing the CPU. */
struct vcpu *vcpu_current(void)
{
	struct vcpu *v;

	__asm__("movq %%gs:%c1, %0" : "=r"(v) : "i"(offsetof(struct vcpu, self)));
	return v;
}

void vcpu_make_current(struct vcpu *v)
{
	v->self = v;
	wrmsr(MSR_IA32_GS_BASE, (uint64_t)(uintptr_t)v);
}
#endif

enum exit_action vcpu_stop(struct vcpu *v, enum guest_end end, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	fmt_vsnprintf(v->end_detail, sizeof(v->end_detail), format, ap);
	va_end(ap);
	v->end = end;
	if (vcpu_count > 1)
		kprintf("apicvisor: vCPU %u: guest stopped (%s): %s\n", v->id, guest_end_name(end),
			v->end_detail);
	else
		kprintf("apicvisor: guest stopped (%s): %s\n", guest_end_name(end), v->end_detail);
	return EXIT_ACTION_STOP;
}

/* Fault-class exceptions (SDM Vol. 3A §6.15, Table 6-1 "Protected-Mode Exceptions and
 * Interrupts": #DE, #BR, #UD, #NM, #TS, #NP, #SS, #GP, #PF, #MF, #AC, #XM, #VE, #CP). #DB is a
 * trap or a fault depending on its cause and is left alone, as KVM does. */
#define FAULT_CLASS_VECTORS ((1u << 0) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 10) | \
			     (1u << 11) | (1u << 12) | (1u << 13) | (1u << 14) | (1u << 16) | \
			     (1u << 17) | (1u << 19) | (1u << 20) | (1u << 21))

void vcpu_inject_exception(unsigned vector, bool has_error_code, uint32_t error_code)
{
	uint32_t info = INTR_INFO_VALID | INTR_TYPE_HARDWARE_EXCEPTION << INTR_INFO_TYPE_SHIFT |
			vector;

	/* A fault the CPU delivers pushes RFLAGS with RF set, so that IRET back to the faulting
	 * instruction does not take its instruction breakpoint again (Vol. 3A §18.3.1.1
	 * "Instruction-Breakpoint Exception Condition"); event injection pushes the guest-state
	 * RFLAGS as it is (Vol. 3C "Event Injection"), so RF is set there first, as KVM does.
	 * Delivery clears it for the handler ("Flag Usage By Exception- or Interrupt-Handler
	 * Procedure"). */
	if (vector < 32 && (FAULT_CLASS_VECTORS & (1u << vector)))
		vmcs_write(VMCS_GUEST_RFLAGS, vmcs_read(VMCS_GUEST_RFLAGS) | RFLAGS_RF);

	if (has_error_code) {
		info |= INTR_INFO_DELIVER_ERROR_CODE;
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR_CODE, error_code);
	}
	vmcs_write(VMCS_ENTRY_INTR_INFO, info);
}

void vcpu_skip_instruction(void)
{
	vcpu_advance_rip(vmcs_read(VMCS_EXIT_INSTRUCTION_LEN));
}

bool vcpu_in_64bit_mode(void)
{
	/* IA-32e mode (the entry control mirrors EFER.LMA, kept by the CR0 handler) and CS.L
	 * (SDM Vol. 3A §3.4.5: compatibility mode has L = 0). */
	return (vmcs_read(VMCS_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST) &&
	       (vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS) & SEGMENT_AR_L);
}

void vcpu_advance_rip(uint64_t length)
{
	uint64_t rip = vmcs_read(VMCS_GUEST_RIP) + length;

	/* Outside 64-bit mode RIP is EIP: it wraps at 4 GiB, and VM entry requires bits 63:32 to
	 * be 0 (SDM Vol. 3C §26.3.1.4 "Checks on Guest RIP, RFLAGS, and SSP"). */
	if (!vcpu_in_64bit_mode())
		rip &= 0xFFFFFFFFu;
	uint64_t interruptibility = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);

	vmcs_write(VMCS_GUEST_RIP, rip);
	/* The emulated instruction ends any STI or MOV-SS shadow (SDM Vol. 3A §7.8.3). */
	if (interruptibility & (INTERRUPTIBILITY_STI_BLOCKING | INTERRUPTIBILITY_MOV_SS_BLOCKING))
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
			   interruptibility & ~(uint64_t)(INTERRUPTIBILITY_STI_BLOCKING |
							 INTERRUPTIBILITY_MOV_SS_BLOCKING));
	/* A single-step trap is due after the instruction: the pending-debug-exceptions BS bit
	 * delivers it on entry (SDM Vol. 3C §25.4.2, Table 25-4). */
	if (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_TF)
		vmcs_write(VMCS_GUEST_PENDING_DBG_EXCEPTIONS,
			   vmcs_read(VMCS_GUEST_PENDING_DBG_EXCEPTIONS) | PENDING_DBG_BS);
}

static uint64_t *gpr_slot(struct vcpu *v, unsigned index)
{
	switch (index) {
	case 0: return &v->gprs.rax;
	case 1: return &v->gprs.rcx;
	case 2: return &v->gprs.rdx;
	case 3: return &v->gprs.rbx;
	case 5: return &v->gprs.rbp;
	case 6: return &v->gprs.rsi;
	case 7: return &v->gprs.rdi;
	case 8: return &v->gprs.r8;
	case 9: return &v->gprs.r9;
	case 10: return &v->gprs.r10;
	case 11: return &v->gprs.r11;
	case 12: return &v->gprs.r12;
	case 13: return &v->gprs.r13;
	case 14: return &v->gprs.r14;
	case 15: return &v->gprs.r15;
	}
	return NULL; /* 4 = RSP, which lives in the VMCS */
}

unsigned vcpu_guest_cpl(void)
{
	return (vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS) >> 5) & 3;
}

uint64_t vcpu_read_gpr(struct vcpu *v, unsigned index)
{
	uint64_t *slot = gpr_slot(v, index & 15);

	return slot ? *slot : vmcs_read(VMCS_GUEST_RSP);
}

void vcpu_write_gpr(struct vcpu *v, unsigned index, uint64_t value)
{
	uint64_t *slot = gpr_slot(v, index & 15);

	if (slot)
		*slot = value;
	else
		vmcs_write(VMCS_GUEST_RSP, value);
}

/* A control register as the guest sees it: the bits the hypervisor owns (set in the guest/host
 * mask) come from the read shadow, the others from the guest field, which the guest writes
 * directly without exiting (SDM Vol. 3C §25.6.6 "Guest/Host Masks and Read Shadows"). */
uint64_t vcpu_guest_cr0(void)
{
	uint64_t mask = vmcs_read(VMCS_CR0_GUEST_HOST_MASK);

	return (vmcs_read(VMCS_GUEST_CR0) & ~mask) | (vmcs_read(VMCS_CR0_READ_SHADOW) & mask);
}

uint64_t vcpu_guest_cr4(void)
{
	uint64_t mask = vmcs_read(VMCS_CR4_GUEST_HOST_MASK);

	return (vmcs_read(VMCS_GUEST_CR4) & ~mask) | (vmcs_read(VMCS_CR4_READ_SHADOW) & mask);
}

bool vcpu_nmi_deliverable(const struct vcpu *v)
{
	/* A pending NMI waits while NMIs are blocked (inside an NMI handler, until its IRET, which
	 * a halted guest never executes): it cannot end a HLT then (SDM Vol. 3A §7.7). */
	return v->nmi_pending &&
	       !(vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) & INTERRUPTIBILITY_NMI_BLOCKING);
}
