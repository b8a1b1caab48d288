/* SPDX-License-Identifier: MIT */
#include "vmx.h"

#include <stddef.h>

#include "../boot/console.h"
#include "../boot/cpu.h"
#include "../boot/x86.h"
#include "../include/apicvisor/hypercall.h"
#include "vmcs.h"

/* vmx/entry.asm hard-codes these offsets and the null hypercall number. */
_Static_assert(offsetof(struct vcpu_gprs, rax) == VCPU_GPRS_RAX, "entry.asm G_RAX");
_Static_assert(offsetof(struct vcpu_gprs, rdi) == VCPU_GPRS_RDI, "entry.asm G_RDI");
_Static_assert(offsetof(struct vcpu_gprs, r15) == 112, "entry.asm G_R15");
_Static_assert(offsetof(struct vcpu_gprs, cr2) == VCPU_GPRS_CR2, "entry.asm G_CR2");
_Static_assert(offsetof(struct vcpu_gprs, null_fast_path_count) == VCPU_GPRS_NULL_FAST_PATH,
	       "entry.asm G_NULL_FAST_PATH");
_Static_assert(offsetof(struct vcpu_gprs, null_fast_path_allowed) ==
		       VCPU_GPRS_NULL_FAST_PATH_ALLOWED,
	       "entry.asm G_NULL_FAST_PATH_ALLOWED");
_Static_assert(offsetof(struct vcpu_gprs, timer_deadline) == VCPU_GPRS_TIMER_DEADLINE,
	       "entry.asm G_TIMER_DEADLINE");
_Static_assert(offsetof(struct vcpu_gprs, timer_shift) == VCPU_GPRS_TIMER_SHIFT,
	       "entry.asm G_TIMER_SHIFT");
_Static_assert(offsetof(struct vcpu, gprs) == 0, "entry.asm reaches the vCPU through gprs");
_Static_assert(APICVISOR_HC_NULL == 0x41500000u, "update include/apicvisor/hypercall.inc");

struct vcpu vcpus[MAX_CPUS];

void vmx_probe(struct vmx_caps *caps)
{
	uint32_t r[4];
	bool true_ctls;

	memset(caps, 0, sizeof(*caps));
	cpuid(1, 0, r);
	caps->cpuid1_ecx = r[2];
	if (!(caps->cpuid1_ecx & (1u << 5)))
		return;
	caps->feature_control = rdmsr(MSR_IA32_FEATURE_CONTROL);
	caps->basic = rdmsr(MSR_IA32_VMX_BASIC);
	true_ctls = vmx_caps_has_true_controls(caps);
	/* SDM Vol. 3D §A.2: with bit 55 set, the TRUE MSRs say which default-1 controls may be 0. */
	caps->pinbased = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS
					 : MSR_IA32_VMX_PINBASED_CTLS);
	caps->procbased = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
					  : MSR_IA32_VMX_PROCBASED_CTLS);
	caps->exit = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
	caps->entry = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
	caps->misc = rdmsr(MSR_IA32_VMX_MISC);
	caps->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	caps->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	caps->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	caps->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	if (vmx_control_allowed(caps, VMX_CTL_PRIMARY, PROC_ACTIVATE_SECONDARY_CONTROLS))
		caps->procbased2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
	if (vmx_control_allowed(caps, VMX_CTL_SECONDARY, PROC2_ENABLE_EPT) ||
	    vmx_control_allowed(caps, VMX_CTL_SECONDARY, PROC2_ENABLE_VPID))
		caps->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
}

/* VMXON/VMPTRLD/VMCLEAR take a memory operand holding the physical address. Returns false on
 * VMfailInvalid or VMfailValid. Host unit tests link fakes (tests/unit/fake_cpu.c). */
#ifdef APICVISOR_HOSTED
bool vmxon(uint64_t pa);
bool vmclear(uint64_t pa);
bool vmptrld(uint64_t pa);
#else
#define VMX_ADDRESS_INSTRUCTION(name, insn)                                           \
	static bool name(uint64_t pa)                                                 \
	{                                                                             \
		bool failed;                                                          \
		__asm__ volatile(insn " %[pa]"                                        \
				 : "=@ccbe"(failed)                                   \
				 : [pa] "m"(pa)                                       \
				 : "cc", "memory");                                   \
		return !failed;                                                       \
	}
VMX_ADDRESS_INSTRUCTION(vmxon, "vmxon")
VMX_ADDRESS_INSTRUCTION(vmclear, "vmclear")
VMX_ADDRESS_INSTRUCTION(vmptrld, "vmptrld")
#undef VMX_ADDRESS_INSTRUCTION
#endif

const char *vmx_cpu_on(const struct vmx_caps *caps, void *region)
{
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	uint32_t *vmxon_region = region;

	/* SDM Vol. 3C §24.7 "Enabling and Entering VMX Operation": VMXON needs the lock bit and
	 * "enable VMXON outside SMX"; firmware normally sets them, Bochs leaves the MSR 0. */
	if (!(fc & FEATURE_CONTROL_LOCK)) {
		wrmsr(MSR_IA32_FEATURE_CONTROL,
		      fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
	} else if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
		return "IA32_FEATURE_CONTROL is locked with VMXON outside SMX disabled";
	}
	/* SDM Vol. 3C §24.8 "Restrictions on VMX Operation": CR0 and CR4 bits fixed by the
	 * IA32_VMX_CR*_FIXED* MSRs. */
	write_cr0((read_cr0() | caps->cr0_fixed0) & caps->cr0_fixed1);
	write_cr4((read_cr4() | caps->cr4_fixed0 | CR4_VMXE) & caps->cr4_fixed1);
	/* XSETBV and XGETBV need CR4.OSXSAVE in root mode too: the guest's XCR0 is switched in
	 * around every entry (vmx_run), and firmware leaves only OSFXSR set. The host's own XCR0
	 * stays x87 | SSE (root mode uses neither; the UEFI runtime may use SSE). */
	if (cpu_has_xsave()) {
		write_cr4(read_cr4() | CR4_OSXSAVE);
		xsetbv(0, XCR0_X87 | XCR0_SSE);
	}

	memset(vmxon_region, 0, 4096);
	vmxon_region[0] = vmx_caps_revision_id(caps);
	if (!vmxon((uint64_t)(uintptr_t)vmxon_region))
		return "VMXON failed";
	return NULL;
}

bool cpu_has_xsave(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	return r[2] & (1u << 26);
}

#ifndef APICVISOR_HOSTED
void vmx_cpu_off(void)
{
	__asm__ volatile("vmxoff" : : : "cc", "memory");
}
#endif

__attribute__((noreturn)) void vmcs_field_error(const char *op, enum vmcs_field field)
{
	kprintf("apicvisor: FATAL: %s of VMCS field %#x failed (the CPU lacks the field or no "
		"VMCS is current)\n",
		op, field);
	platform_power_off(false);
}

const char *vmx_load_vmcs(struct vcpu *v, const struct vmx_caps *caps)
{
	uint64_t pa = (uint64_t)(uintptr_t)v->vmcs;

	memset(v->vmcs, 0, 4096);
	*(uint32_t *)v->vmcs = vmx_caps_revision_id(caps);
	if (!vmclear(pa))
		return "VMCLEAR failed";
	if (!vmptrld(pa))
		return "VMPTRLD failed";
	return NULL;
}

void vcpu_flush_guest_tlb(const struct vcpu *v)
{
	/* With VPID the guest's translations survive VM exits and entries, tagged with its VPID;
	 * an instruction the hypervisor emulates must invalidate them as the instruction itself
	 * would (SDM Vol. 3C §29.4.3.3 "Guidelines for Use of the INVVPID Instruction"). Without
	 * VPID every VM entry and exit flushes VPID 0's mappings already. */
	if (!v->vpid)
		return;
	if (vmx_active_caps->ept_vpid & VPID_CAP_INVVPID_SINGLE_CONTEXT)
		invvpid(INVVPID_SINGLE_CONTEXT, v->vpid);
	else
		invvpid(INVVPID_ALL_CONTEXT, 0);
}

void vmx_invept(uint64_t eptp)
{
	/* Single-context invalidation when the CPU has it, else all contexts (SDM Vol. 3C §31.3
	 * "INVEPT"); EPT's combined mappings of every VPID go with it. */
	if (vmx_active_caps->ept_vpid & EPT_CAP_INVEPT_SINGLE_CONTEXT)
		invept(INVEPT_SINGLE_CONTEXT, eptp);
	else
		invept(INVEPT_ALL_CONTEXT, 0);
}

