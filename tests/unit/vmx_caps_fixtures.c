/* SPDX-License-Identifier: MIT */
/* CPU capability fixtures shared by the host tests (vmx_caps_fixtures.h). */
#include "vmx_caps_fixtures.h"

/* A control MSR: allowed-0 settings (1 = must be 1) in bits 31:0, allowed-1 in bits 63:32. */
#define CONTROL_MSR(allowed0, allowed1) (((uint64_t)(allowed1) << 32) | (uint32_t)(allowed0))

/*
 * Bochs 2.7, cpu model 'tigerlake'. Taken from the emulator: revision 0x2B
 * (BX_VMX_VMCS_REVISION_ID), 4 KiB VMCS, WB, INS/OUTS reporting (bit 54), TRUE controls (bit
 * 55); the allowed-0 halves of the TRUE control MSRs (pin 0x16, primary 0x04006172, exit
 * 0x36DFB, entry 0x11FB); pin allowed-1 0x7F (no posted interrupts); CR0 fixed0 0x80000021, CR4
 * fixed0 0x2000; MISC rate 0.
 * Constructed here (plausible, not copied from Bochs): the allowed-1 halves of the primary
 * (0xFFFFFFFE), secondary (bits 0-9: APIC accesses, EPT, descriptor-table exiting, RDTSCP,
 * x2APIC, VPID, WBINVD exiting, unrestricted guest, APIC-register virtualization,
 * virtual-interrupt delivery; no INVPCID, no XSAVES), exit (bits 0-22) and entry (0xF3FF: all
 * but the SMM bits 10-11) MSRs, the EPT/VPID capabilities (execute-only, 4-level walk, UC, WB,
 * 2 MiB pages, INVEPT single/all context, INVVPID with its individual-address, single-context,
 * all-context and single-context-retaining types (bits 43:40, as Bochs 2.7 reports them); no 1 GiB
 * pages) and the fixed1 MSRs.
 */
const struct vmx_caps vmx_caps_tigerlake = {
	.cpuid1_ecx = 0x7FFAFBBFu,
	.feature_control = FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX,
	.basic = 0x00D810000000002Bull,
	.pinbased = CONTROL_MSR(0x16, 0x7F),
	.procbased = CONTROL_MSR(0x04006172, 0xFFFFFFFE),
	.procbased2 = CONTROL_MSR(0, 0x3FF),
	.exit = CONTROL_MSR(0x36DFB, 0x7FFFFF),
	.entry = CONTROL_MSR(0x11FB, 0xF3FF),
	.misc = 0x000401E0,
	.ept_vpid = 0x00000F0106114141ull,
	.cr0_fixed0 = 0x80000021,
	.cr0_fixed1 = 0xFFFFFFFF,
	.cr4_fixed0 = 0x2000,
	.cr4_fixed1 = 0x003727FF,
};
