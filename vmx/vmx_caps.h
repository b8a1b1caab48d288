/* SPDX-License-Identifier: MIT */
/*
 * VT-x capability decoding (SDM Vol. 3D Appendix A "VMX Capability Reporting Facility"): the raw
 * MSR values are read once by vmx.c; everything here is pure so the host unit tests drive it with
 * the MSR values of real and emulated CPUs.
 */
#ifndef APICVISOR_VMX_CAPS_H
#define APICVISOR_VMX_CAPS_H

#include "../boot/config.h"
#include "../lib/fmt.h"
#include "../lib/klib.h"

/* Architectural MSR numbers used for capability reporting. */
#define MSR_IA32_FEATURE_CONTROL 0x03Au
#define MSR_IA32_VMX_BASIC 0x480u
#define MSR_IA32_VMX_PINBASED_CTLS 0x481u
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482u
#define MSR_IA32_VMX_EXIT_CTLS 0x483u
#define MSR_IA32_VMX_ENTRY_CTLS 0x484u
#define MSR_IA32_VMX_MISC 0x485u
#define MSR_IA32_VMX_CR0_FIXED0 0x486u
#define MSR_IA32_VMX_CR0_FIXED1 0x487u
#define MSR_IA32_VMX_CR4_FIXED0 0x488u
#define MSR_IA32_VMX_CR4_FIXED1 0x489u
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48Bu
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48Cu
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48Du
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48Eu
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48Fu
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490u

/* IA32_FEATURE_CONTROL bits (SDM Vol. 3C §24.7 "Enabling and Entering VMX Operation"). */
#define FEATURE_CONTROL_LOCK (1u << 0)
#define FEATURE_CONTROL_VMXON_IN_SMX (1u << 1)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX (1u << 2)

/* IA32_VMX_BASIC fields (SDM Vol. 3D §A.1). */
#define VMX_BASIC_TRUE_CONTROLS (1ull << 55)

/* IA32_VMX_EPT_VPID_CAP bits (SDM Vol. 3D §A.10). */
#define EPT_CAP_EXECUTE_ONLY (1ull << 0)
#define EPT_CAP_WALK_LENGTH_4 (1ull << 6)
#define EPT_CAP_MEMTYPE_UC (1ull << 8)
#define EPT_CAP_MEMTYPE_WB (1ull << 14)
#define EPT_CAP_2MB_PAGES (1ull << 16)
#define EPT_CAP_1GB_PAGES (1ull << 17)
#define EPT_CAP_INVEPT (1ull << 20)
#define EPT_CAP_INVEPT_SINGLE_CONTEXT (1ull << 25)
#define EPT_CAP_INVEPT_ALL_CONTEXT (1ull << 26)
#define VPID_CAP_INVVPID (1ull << 32)
#define VPID_CAP_INVVPID_SINGLE_CONTEXT (1ull << 41)
#define VPID_CAP_INVVPID_ALL_CONTEXT (1ull << 42)

/* INVEPT and INVVPID types (SDM Vol. 3C §31.3). */
#define INVEPT_SINGLE_CONTEXT 1u
#define INVEPT_ALL_CONTEXT 2u
#define INVVPID_SINGLE_CONTEXT 1u
#define INVVPID_ALL_CONTEXT 2u

/* Everything the probe reads. A control MSR reads as 0 when the CPU does not have it. */
struct vmx_caps {
	uint32_t cpuid1_ecx;           /* CPUID.1:ECX; bit 5 = VMX */
	uint64_t feature_control;
	uint64_t basic;
	uint64_t pinbased;             /* the TRUE_ variant when basic bit 55 says it exists */
	uint64_t procbased;
	uint64_t procbased2;           /* 0 unless primary allowed-1 has "activate secondary" */
	uint64_t exit;
	uint64_t entry;
	uint64_t misc;
	uint64_t ept_vpid;             /* 0 unless secondary allowed-1 has EPT or VPID */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

/* Which control word a feature lives in. */
enum vmx_control_kind {
	VMX_CTL_PIN,
	VMX_CTL_PRIMARY,
	VMX_CTL_SECONDARY,
	VMX_CTL_EXIT,
	VMX_CTL_ENTRY,
};

/*
 * Computes a VM-execution/exit/entry control word from a capability MSR (SDM Vol. 3D §A.3:
 * bits 31:0 are the allowed 0-settings — a 1 there means the control must be 1 — and bits 63:32
 * the allowed 1-settings). The result has every bit the CPU forces on, every required and
 * optional wanted bit the CPU allows, and nothing the CPU forbids. *missing_required gets the
 * required bits the CPU cannot set (0 when all are available); the result is only usable when it
 * is 0.
 */
uint32_t vmx_control_word(uint64_t cap_msr, uint32_t required, uint32_t optional,
			  uint32_t *missing_required);

/* Whether a control bit may be 1 on this CPU. */
bool vmx_control_allowed(const struct vmx_caps *caps, enum vmx_control_kind kind, uint32_t bit);

/* Decoded IA32_VMX_BASIC / MISC fields. */
uint32_t vmx_caps_revision_id(const struct vmx_caps *caps);      /* bits 30:0 */
uint32_t vmx_caps_vmcs_size(const struct vmx_caps *caps);        /* bits 44:32, bytes */
unsigned vmx_caps_vmcs_memory_type(const struct vmx_caps *caps); /* bits 53:50: 0 UC, 6 WB */
bool vmx_caps_has_true_controls(const struct vmx_caps *caps);
unsigned vmx_caps_preemption_timer_rate(const struct vmx_caps *caps); /* MISC bits 4:0 */

/*
 * Why VT-x cannot be used, as one sentence for the user in `buf`, or NULL when it can: no VMX in
 * CPUID; IA32_FEATURE_CONTROL locked with VMXON outside SMX disabled; a VMCS memory type other
 * than write-back; or a missing feature the hypervisor cannot work without — each feature the
 * capability table marks "(required)" (secondary controls, I/O and MSR bitmaps, HLT and CR8
 * exiting, EPT, unrestricted guest, external-interrupt and NMI exiting, host address-space size,
 * save/load IA32_EFER, acknowledge interrupt on exit) and EPT with a 4-level walk and WB paging
 * structures. A missing feature is named: "... lacks <feature name>, which apicvisor needs".
 */
const char *vmx_caps_unusable_reason(const struct vmx_caps *caps, char *buf, size_t size);

/* Whether posted mode can use the CPU's posted-interrupt processing (else software drains the
 * descriptor at VM entry). */
bool vmx_caps_posted_in_hardware(const struct vmx_caps *caps);

/*
 * The delivery mode a run gets: the requested one, lowered step by step (posted → apicv →
 * tpr-shadow → emulate) while a control it needs is missing; x2apic_guest: the guest's APIC is
 * in x2APIC mode, so apicv also needs "virtualize x2APIC mode". Posted mode needs only what apicv
 * needs: posted-interrupt processing itself is optional (see vmx_caps_posted_in_hardware). *reason names the first missing
 * feature, or is NULL when nothing was lowered.
 */
enum apicvisor_mode vmx_caps_degrade_mode(const struct vmx_caps *caps,
					  enum apicvisor_mode requested, bool x2apic_guest,
					  const char **reason);

/* Whether a control word respects the capability MSR of its kind: every must-be-one bit set and
 * no bit the CPU does not allow. *wrong gets the offending bits. Every control word written
 * while the guest runs passes through this (vmx_write_controls). */
bool vmx_controls_fit(const struct vmx_caps *caps, enum vmx_control_kind kind, uint32_t value,
		      uint32_t *wrong);

/*
 * What differs between two CPUs' VT-x features (an AP's against the BSP's, whose values the one
 * VMCS layout and control words are built from): CPUID.1:ECX and every capability MSR except
 * IA32_FEATURE_CONTROL, which each CPU sets up for itself. Writes "name: 0x… here, 0x… there"
 * for each differing field, separated by "; ", into `buf`; returns how many differ.
 */
unsigned vmx_caps_differences(const struct vmx_caps *mine, const struct vmx_caps *reference,
			      char *buf, size_t size);

/* Prints the capability table: raw MSRs, allowed-0/allowed-1 of each control word, EPT/VPID
 * capabilities and, for each feature this project uses, whether the CPU has it. */
void vmx_caps_print(const struct fmt_sink *out, const struct vmx_caps *caps);

#endif
