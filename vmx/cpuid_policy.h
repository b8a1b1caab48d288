/* SPDX-License-Identifier: MIT */
/*
 * The guest's CPUID: the host's values filtered to what apicvisor backs. Plain C (host-tested).
 *
 * The rule: a feature bit is shown only when every MSR, VMX control and VM exit it implies is
 * handled. cpuid_features[] lists every feature bit the guest may see, with the MSRs it brings;
 * any bit of a filtered register that the table does not list reads 0. A unit test checks every
 * listed MSR against the platform's MSR handlers (tests/unit/test_vmx_exits.c).
 */
#ifndef APICVISOR_CPUID_POLICY_H
#define APICVISOR_CPUID_POLICY_H

#include "../lib/klib.h"

enum cpuid_register { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* When a listed feature is shown. */
enum cpuid_show {
	CPUID_SHOW_IF_HOST,           /* the host CPU has it */
	CPUID_SHOW_ALWAYS,            /* apicvisor provides it whatever the host has */
	CPUID_SHOW_IF_RDTSCP,         /* host has it and "enable RDTSCP" is on (IA32_TSC_AUX) */
	CPUID_SHOW_IF_INVPCID,        /* host has it and "enable INVPCID" is on */
	CPUID_SHOW_IF_PAT_SWITCHED,   /* host has it and VM entry/exit load and save IA32_PAT */
	CPUID_MIRROR_CR4_OSXSAVE,     /* reflects the guest's CR4.OSXSAVE */
	CPUID_MIRROR_CR4_PKE,         /* reflects the guest's CR4.PKE (OSPKE) */
	CPUID_MIRROR_APIC_ENABLED,    /* reflects the guest's IA32_APIC_BASE.EN (SDM Vol. 3A
				       * §11.4.3: cleared while the APIC is globally disabled) */
};

#define CPUID_FEATURE_MAX_MSRS 4

struct cpuid_feature {
	const char *name;             /* as the SDM's CPUID tables name it */
	uint32_t leaf, subleaf;
	enum cpuid_register reg;
	uint8_t bit;
	enum cpuid_show show;
	/* MSRs the feature brings (0 ends the list): each must be handled by the platform. */
	uint32_t msrs[CPUID_FEATURE_MAX_MSRS];
};

extern const struct cpuid_feature cpuid_features[];
extern const size_t cpuid_feature_count;

/* What the policy needs to know of the vCPU and the VMCS; filled by the platform per CPUID. */
struct cpuid_context {
	unsigned apic_id;
	uint32_t secondary_controls;  /* as in the VMCS: enable RDTSCP, enable INVPCID */
	bool pat_switched;            /* VM entry and exit load IA32_PAT */
	uint64_t guest_cr4;           /* as the guest sees it */
	bool apic_enabled;            /* the guest's IA32_APIC_BASE.EN */
	bool limit_cpuid_maxval;      /* the guest's IA32_MISC_ENABLE bit 22 */
	uint64_t tsc_hz;              /* what the hypervisor measured */
	uint64_t xcr0_supported;      /* XCR0 components the guest may enable */
	/* CPUID.(EAX=0DH,ECX=0):EBX and ECX as the guest must see them: the XSAVE area size for
	 * the guest's XCR0 and for xcr0_supported (the caller reads them with those loaded). */
	uint32_t xsave_size_enabled, xsave_size_supported;
	/* CPUID.(EAX=0DH,ECX=1):EBX: the compacted format's size (XSAVEC's; no IA32_XSS
	 * components, XSAVES being hidden) for the guest's XCR0. */
	uint32_t xsave_size_compacted;
	unsigned maxphyaddr;          /* physical-address width the guest is told */
};

/* The highest basic and extended leaves the guest sees. */
#define CPUID_GUEST_MAX_BASIC_LEAF 0x16u
#define CPUID_GUEST_MAX_EXTENDED_LEAF 0x80000008u

/* Turns the host's answer r[] for (leaf, subleaf) into the guest's, in place. Leaves above the
 * maxima answer as the highest basic leaf does (as Intel CPUs do); the caller has read r[]
 * for cpuid_host_leaf(leaf). The hypervisor range 0x40000000-0x4FFFFFFF is not handled here. */
void cpuid_policy_apply(const struct cpuid_context *ctx, uint32_t leaf, uint32_t subleaf,
			uint32_t r[4]);
/* The leaf the host must be asked for the guest's `leaf`. */
uint32_t cpuid_host_leaf(uint32_t leaf);

/* XCR0 components a guest may ever enable (SDM Vol. 1 §13.1): x87, SSE, AVX, the AVX-512
 * group (opmask, ZMM_Hi256, Hi16_ZMM) and PKRU. MPX (bits 3-4) goes with the hidden MPX; AMX
 * (bits 17-18) needs IA32_XFD, which is not handled; supervisor components are IA32_XSS's. */
#define CPUID_GUEST_XCR0_ALLOWED 0x2E7ull

/* Whether XSETBV may load `value` into XCR0 with `supported` the components shown (SDM Vol. 2D
 * "XSETBV" and Vol. 1 §13.3): x87 always set, nothing unsupported, AVX only with SSE, the
 * AVX-512 group all or nothing and only with AVX. */
bool xcr0_valid(uint64_t value, uint64_t supported);

#endif
