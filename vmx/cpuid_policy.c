/* SPDX-License-Identifier: MIT */
/*
 * The guest's CPUID (cpuid_policy.h). Bit positions are those of SDM Vol. 2A "CPUID—CPU
 * Identification", Tables 3-8 to 3-11, and the leaf 07H and 0DH descriptions.
 */
#include "cpuid_policy.h"

#include "../boot/x86.h"
#include "vmcs.h"

/* The x2APIC MSRs a feature row names (SDM Vol. 3A §11.12.1.2, Table 11-6). */
#define MSR_X2APIC_APICID 0x802u
#define MSR_X2APIC_EOI 0x80Bu
#define MSR_X2APIC_ICR 0x830u
#define MSR_X2APIC_SELF_IPI 0x83Fu

#define F(name_, leaf_, subleaf_, reg_, bit_, show_, ...) \
	{ name_, leaf_, subleaf_, CPUID_##reg_, bit_, CPUID_##show_, { __VA_ARGS__ } }
#define EXT1 0x80000001u
#define EXT7 0x80000007u

/*
 * Every feature bit the guest may see. What is deliberately absent (and so reads 0), with the
 * reason, for the features a guest commonly probes:
 *   1:ECX DTES64, DS-CPL, EST, TM2, xTPR, PDCM, SDBG, DCA; 1:EDX DS, ACPI, TM, PBE, PSN, HTT,
 *     MTRR: each brings MSRs (debug store, thermal, perf capabilities, MTRRs) that are not
 *     emulated. MONITOR, VMX, SMX: the instructions exit and raise #UD.
 *   7:EBX SGX, HLE/RTM (TSX control MSRs), RDT-M/RDT-A (QoS
 *     MSRs), MPX (IA32_BNDCFGS, XCR0 bits 3-4), PT (the RTIT MSRs); 7:ECX WAITPKG
 *     (IA32_UMWAIT_CONTROL), CET_SS / 7:EDX CET_IBT (the CET MSRs and XSS components), LA57
 *     (the hypervisor's guest page walker has no 5-level paging), KL, ENQCMD (IA32_PASID),
 *     TME, PKS (IA32_PKRS), BUS_LOCK_DETECT; 7:EDX the speculation-control group
 *     (IA32_SPEC_CTRL, PRED_CMD, FLUSH_CMD, ARCH/CORE_CAPABILITIES), UINTR, SRBDS, TSX
 *     force-abort, PCONFIG, arch LBR, AMX (IA32_XFD), hybrid.
 *   0DH.1:EAX XSAVES (IA32_XSS and the XSS-exiting bitmap), XFD.
 */
const struct cpuid_feature cpuid_features[] = {
	/* Leaf 01H ECX */
	F("SSE3", 1, 0, ECX, 0, SHOW_IF_HOST),
	F("PCLMULQDQ", 1, 0, ECX, 1, SHOW_IF_HOST),
	F("SSSE3", 1, 0, ECX, 9, SHOW_IF_HOST),
	F("FMA", 1, 0, ECX, 12, SHOW_IF_HOST),
	F("CMPXCHG16B", 1, 0, ECX, 13, SHOW_IF_HOST),
	F("PCID", 1, 0, ECX, 17, SHOW_IF_HOST),
	F("SSE4.1", 1, 0, ECX, 19, SHOW_IF_HOST),
	F("SSE4.2", 1, 0, ECX, 20, SHOW_IF_HOST),
	F("x2APIC", 1, 0, ECX, 21, SHOW_ALWAYS, MSR_X2APIC_APICID, MSR_X2APIC_EOI,
	  MSR_X2APIC_ICR, MSR_X2APIC_SELF_IPI),
	F("MOVBE", 1, 0, ECX, 22, SHOW_IF_HOST),
	F("POPCNT", 1, 0, ECX, 23, SHOW_IF_HOST),
	F("TSC-Deadline", 1, 0, ECX, 24, SHOW_ALWAYS, MSR_IA32_TSC_DEADLINE),
	F("AESNI", 1, 0, ECX, 25, SHOW_IF_HOST),
	F("XSAVE", 1, 0, ECX, 26, SHOW_IF_HOST),
	F("OSXSAVE", 1, 0, ECX, 27, MIRROR_CR4_OSXSAVE),
	F("AVX", 1, 0, ECX, 28, SHOW_IF_HOST),
	F("F16C", 1, 0, ECX, 29, SHOW_IF_HOST),
	F("RDRAND", 1, 0, ECX, 30, SHOW_IF_HOST),
	F("hypervisor", 1, 0, ECX, 31, SHOW_ALWAYS),
	/* Leaf 01H EDX */
	F("FPU", 1, 0, EDX, 0, SHOW_IF_HOST),
	F("VME", 1, 0, EDX, 1, SHOW_IF_HOST),
	F("DE", 1, 0, EDX, 2, SHOW_IF_HOST),
	F("PSE", 1, 0, EDX, 3, SHOW_IF_HOST),
	F("TSC", 1, 0, EDX, 4, SHOW_IF_HOST, MSR_IA32_TSC),
	F("MSR", 1, 0, EDX, 5, SHOW_IF_HOST),
	F("PAE", 1, 0, EDX, 6, SHOW_IF_HOST),
	/* Emulated whatever the host has: machine-check architecture with one bank that never
	 * reports an error (platform.c), and #MC never delivered to the guest. */
	F("MCE", 1, 0, EDX, 7, SHOW_ALWAYS),
	F("CX8", 1, 0, EDX, 8, SHOW_IF_HOST),
	F("APIC", 1, 0, EDX, 9, MIRROR_APIC_ENABLED, MSR_IA32_APIC_BASE),
	F("SEP", 1, 0, EDX, 11, SHOW_IF_HOST, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
	  MSR_IA32_SYSENTER_EIP),
	F("PGE", 1, 0, EDX, 13, SHOW_IF_HOST),
	F("MCA", 1, 0, EDX, 14, SHOW_ALWAYS, MSR_IA32_MCG_CAP, MSR_IA32_MCG_STATUS, MSR_IA32_MC0_CTL,
	  MSR_IA32_MC0_CTL + 1),
	F("CMOV", 1, 0, EDX, 15, SHOW_IF_HOST),
	F("PAT", 1, 0, EDX, 16, SHOW_IF_PAT_SWITCHED, MSR_IA32_PAT),
	F("PSE-36", 1, 0, EDX, 17, SHOW_IF_HOST),
	F("CLFSH", 1, 0, EDX, 19, SHOW_IF_HOST),
	F("MMX", 1, 0, EDX, 23, SHOW_IF_HOST),
	F("FXSR", 1, 0, EDX, 24, SHOW_IF_HOST),
	F("SSE", 1, 0, EDX, 25, SHOW_IF_HOST),
	F("SSE2", 1, 0, EDX, 26, SHOW_IF_HOST),
	F("SS", 1, 0, EDX, 27, SHOW_IF_HOST),
	/* Leaf 07H, subleaf 0, EBX */
	F("FSGSBASE", 7, 0, EBX, 0, SHOW_IF_HOST, MSR_IA32_FS_BASE, MSR_IA32_GS_BASE),
	/* Emulated whatever the host has: the guest's TSC is the host's plus the VMCS offset. */
	F("TSC_ADJUST", 7, 0, EBX, 1, SHOW_ALWAYS, MSR_IA32_TSC_ADJUST),
	F("BMI1", 7, 0, EBX, 3, SHOW_IF_HOST),
	F("AVX2", 7, 0, EBX, 5, SHOW_IF_HOST),
	F("FDP_EXCPTN_ONLY", 7, 0, EBX, 6, SHOW_IF_HOST),
	F("SMEP", 7, 0, EBX, 7, SHOW_IF_HOST),
	F("BMI2", 7, 0, EBX, 8, SHOW_IF_HOST),
	F("ERMS", 7, 0, EBX, 9, SHOW_IF_HOST),
	F("INVPCID", 7, 0, EBX, 10, SHOW_IF_INVPCID),
	F("FPU CS/DS deprecated", 7, 0, EBX, 13, SHOW_IF_HOST),
	F("AVX512F", 7, 0, EBX, 16, SHOW_IF_HOST),
	F("AVX512DQ", 7, 0, EBX, 17, SHOW_IF_HOST),
	F("RDSEED", 7, 0, EBX, 18, SHOW_IF_HOST),
	F("ADX", 7, 0, EBX, 19, SHOW_IF_HOST),
	F("SMAP", 7, 0, EBX, 20, SHOW_IF_HOST),
	F("AVX512_IFMA", 7, 0, EBX, 21, SHOW_IF_HOST),
	F("CLFLUSHOPT", 7, 0, EBX, 23, SHOW_IF_HOST),
	F("CLWB", 7, 0, EBX, 24, SHOW_IF_HOST),
	F("AVX512PF", 7, 0, EBX, 26, SHOW_IF_HOST),
	F("AVX512ER", 7, 0, EBX, 27, SHOW_IF_HOST),
	F("AVX512CD", 7, 0, EBX, 28, SHOW_IF_HOST),
	F("SHA", 7, 0, EBX, 29, SHOW_IF_HOST),
	F("AVX512BW", 7, 0, EBX, 30, SHOW_IF_HOST),
	F("AVX512VL", 7, 0, EBX, 31, SHOW_IF_HOST),
	/* Leaf 07H, subleaf 0, ECX */
	F("PREFETCHWT1", 7, 0, ECX, 0, SHOW_IF_HOST),
	F("AVX512_VBMI", 7, 0, ECX, 1, SHOW_IF_HOST),
	F("UMIP", 7, 0, ECX, 2, SHOW_IF_HOST),
	F("PKU", 7, 0, ECX, 3, SHOW_IF_HOST),
	F("OSPKE", 7, 0, ECX, 4, MIRROR_CR4_PKE),
	F("AVX512_VBMI2", 7, 0, ECX, 6, SHOW_IF_HOST),
	F("GFNI", 7, 0, ECX, 8, SHOW_IF_HOST),
	F("VAES", 7, 0, ECX, 9, SHOW_IF_HOST),
	F("VPCLMULQDQ", 7, 0, ECX, 10, SHOW_IF_HOST),
	F("AVX512_VNNI", 7, 0, ECX, 11, SHOW_IF_HOST),
	F("AVX512_BITALG", 7, 0, ECX, 12, SHOW_IF_HOST),
	F("AVX512_VPOPCNTDQ", 7, 0, ECX, 14, SHOW_IF_HOST),
	F("RDPID", 7, 0, ECX, 22, SHOW_IF_RDTSCP, MSR_IA32_TSC_AUX),
	F("CLDEMOTE", 7, 0, ECX, 25, SHOW_IF_HOST),
	F("MOVDIRI", 7, 0, ECX, 27, SHOW_IF_HOST),
	F("MOVDIR64B", 7, 0, ECX, 28, SHOW_IF_HOST),
	/* Leaf 07H, subleaf 0, EDX */
	F("AVX512_4VNNIW", 7, 0, EDX, 2, SHOW_IF_HOST),
	F("AVX512_4FMAPS", 7, 0, EDX, 3, SHOW_IF_HOST),
	F("FSRM", 7, 0, EDX, 4, SHOW_IF_HOST),
	F("AVX512_VP2INTERSECT", 7, 0, EDX, 8, SHOW_IF_HOST),
	F("MD_CLEAR", 7, 0, EDX, 10, SHOW_IF_HOST),
	F("SERIALIZE", 7, 0, EDX, 14, SHOW_IF_HOST),
	F("AVX512_FP16", 7, 0, EDX, 23, SHOW_IF_HOST),
	/* Leaf 07H, subleaf 1, EAX */
	F("AVX-VNNI", 7, 1, EAX, 4, SHOW_IF_HOST),
	F("AVX512_BF16", 7, 1, EAX, 5, SHOW_IF_HOST),
	/* Leaf 0DH, subleaf 1, EAX */
	F("XSAVEOPT", 0xD, 1, EAX, 0, SHOW_IF_HOST),
	F("XSAVEC", 0xD, 1, EAX, 1, SHOW_IF_HOST),
	F("XGETBV with ECX=1", 0xD, 1, EAX, 2, SHOW_IF_HOST),
	/* Leaf 80000001H */
	F("LAHF/SAHF in 64-bit mode", EXT1, 0, ECX, 0, SHOW_IF_HOST),
	F("LZCNT", EXT1, 0, ECX, 5, SHOW_IF_HOST),
	F("PREFETCHW", EXT1, 0, ECX, 8, SHOW_IF_HOST),
	F("SYSCALL/SYSRET", EXT1, 0, EDX, 11, SHOW_IF_HOST, MSR_IA32_STAR, MSR_IA32_LSTAR,
	  MSR_IA32_FMASK),
	F("Execute Disable", EXT1, 0, EDX, 20, SHOW_IF_HOST, MSR_IA32_EFER),
	F("1-GByte pages", EXT1, 0, EDX, 26, SHOW_IF_HOST),
	F("RDTSCP", EXT1, 0, EDX, 27, SHOW_IF_RDTSCP, MSR_IA32_TSC_AUX),
	F("Intel 64", EXT1, 0, EDX, 29, SHOW_IF_HOST, MSR_IA32_EFER, MSR_IA32_KERNEL_GS_BASE),
	/* Leaf 80000007H */
	F("Invariant TSC", EXT7, 0, EDX, 8, SHOW_IF_HOST),
};
const size_t cpuid_feature_count = ARRAY_SIZE(cpuid_features);

#undef F


static bool feature_shown(const struct cpuid_context *ctx, const struct cpuid_feature *f,
			  bool host_has)
{
	switch (f->show) {
	case CPUID_SHOW_IF_HOST:
		return host_has;
	case CPUID_SHOW_ALWAYS:
		return true;
	case CPUID_SHOW_IF_RDTSCP:
		return host_has && (ctx->secondary_controls & PROC2_ENABLE_RDTSCP);
	case CPUID_SHOW_IF_INVPCID:
		return host_has && (ctx->secondary_controls & PROC2_ENABLE_INVPCID);
	case CPUID_SHOW_IF_PAT_SWITCHED:
		return host_has && ctx->pat_switched;
	case CPUID_MIRROR_CR4_OSXSAVE:
		return ctx->guest_cr4 & CR4_OSXSAVE;
	case CPUID_MIRROR_CR4_PKE:
		return ctx->guest_cr4 & CR4_PKE;
	case CPUID_MIRROR_APIC_ENABLED:
		return ctx->apic_enabled;
	}
	return false;
}

/* The registers whose bits are features: everything the table does not list reads 0. */
static bool filtered(uint32_t leaf, uint32_t subleaf, enum cpuid_register reg)
{
	switch (leaf) {
	case 1:
		return reg == CPUID_ECX || reg == CPUID_EDX;
	case 7:
		return subleaf == 0 ? reg != CPUID_EAX : subleaf == 1 && reg == CPUID_EAX;
	case 0xD:
		return subleaf == 1 && reg == CPUID_EAX;
	case EXT1:
		return reg == CPUID_ECX || reg == CPUID_EDX;
	case EXT7:
		return reg == CPUID_EDX;
	}
	return false;
}

static void apply_feature_table(const struct cpuid_context *ctx, uint32_t leaf,
				uint32_t subleaf, uint32_t r[4])
{
	uint32_t shown[4] = { 0, 0, 0, 0 };

	for (size_t i = 0; i < cpuid_feature_count; i++) {
		const struct cpuid_feature *f = &cpuid_features[i];

		if (f->leaf != leaf || f->subleaf != subleaf)
			continue;
		if (feature_shown(ctx, f, (r[f->reg] >> f->bit) & 1))
			shown[f->reg] |= 1u << f->bit;
	}
	for (unsigned reg = 0; reg < 4; reg++) {
		if (filtered(leaf, subleaf, (enum cpuid_register)reg))
			r[reg] = shown[reg];
	}
}

uint32_t cpuid_host_leaf(uint32_t leaf)
{
	if (leaf < 0x80000000u)
		return leaf > CPUID_GUEST_MAX_BASIC_LEAF ? CPUID_GUEST_MAX_BASIC_LEAF : leaf;
	return leaf > CPUID_GUEST_MAX_EXTENDED_LEAF ? CPUID_GUEST_MAX_BASIC_LEAF : leaf;
}

/* CPUID.(EAX=0DH,ECX=1):EAX bit 1: XSAVEC. */
#define CPUID_XSAVEC (1u << 1)

static void xsave_leaf(const struct cpuid_context *ctx, uint32_t subleaf, uint32_t r[4])
{
	switch (subleaf) {
	case 0:
		/* EDX:EAX the components XCR0 may hold; EBX the area size for the XCR0 in effect,
		 * ECX for all of them (SDM Vol. 1 §13.2 "Enumeration of CPU Support for XSAVE"). */
		r[0] = (uint32_t)ctx->xcr0_supported;
		r[3] = (uint32_t)(ctx->xcr0_supported >> 32);
		r[1] = ctx->xsave_size_enabled;
		r[2] = ctx->xsave_size_supported;
		return;
	case 1:
		/* EBX: "the size in bytes of the XSAVE area containing all states enabled by XCR0 |
		 * IA32_XSS" in the compacted format, which XSAVEC writes too (SDM Vol. 1 §13.4.3
		 * "Extended Region of an XSAVE Area"): Linux sizes its XSAVEC buffers from it (0
		 * made its xstate check fail). IA32_XSS has no components: XSAVES is hidden, so
		 * ECX:EDX (the IA32_XSS bits) are 0. */
		r[1] = (r[0] & CPUID_XSAVEC) ? ctx->xsave_size_compacted : 0;
		r[2] = r[3] = 0;
		return;
	}
	/* Subleaf i > 1 describes component i: only those the guest may enable. */
	if (subleaf >= 64 || !((ctx->xcr0_supported >> subleaf) & 1))
		r[0] = r[1] = r[2] = r[3] = 0;
}

/* Whether ECX selects a subleaf of `leaf` among those apicvisor shows (SDM Vol. 2A "CPUID":
 * 04H, 07H, 0BH, 0DH, 0FH, 10H, 12H, 14H, 17H, 18H, 1FH; the others ignore ECX, so whatever the
 * guest left there must not change the answer: Linux's startup code runs CPUID 1 with ECX
 * holding a stale value). */
static bool leaf_has_subleaves(uint32_t leaf)
{
	switch (leaf) {
	case 0x04: case 0x07: case 0x0B: case 0x0D: case 0x0F: case 0x10: case 0x12: case 0x14:
	case 0x17: case 0x18: case 0x1F:
		return true;
	default:
		return false;
	}
}

void cpuid_policy_apply(const struct cpuid_context *ctx, uint32_t leaf, uint32_t subleaf,
			uint32_t r[4])
{
	if ((leaf > CPUID_GUEST_MAX_BASIC_LEAF && leaf < 0x80000000u) ||
	    leaf > CPUID_GUEST_MAX_EXTENDED_LEAF)
		leaf = CPUID_GUEST_MAX_BASIC_LEAF;
	if (!leaf_has_subleaves(leaf))
		subleaf = 0;

	switch (leaf) {
	case 0:
		/* IA32_MISC_ENABLE "Limit CPUID Maxval": "CPUID.00H returns a maximum value in
		 * EAX[7:0] of 2" (SDM Vol. 4 Table 2-2). */
		r[0] = ctx->limit_cpuid_maxval ? 2 : CPUID_GUEST_MAX_BASIC_LEAF;
		break;
	case 1:
		/* EBX: initial APIC ID, one logical processor per package. */
		r[1] = (r[1] & 0x0000FFFFu) | (uint32_t)ctx->apic_id << 24 | 1u << 16;
		break;
	case 2:
		break; /* cache and TLB descriptors */
	case 4:
		/* Deterministic cache parameters: one core, one thread per cache. */
		r[0] &= 0x00003FFFu;
		break;
	case 7:
		if (subleaf == 0)
			r[0] = 1; /* subleaves 0 and 1 */
		else if (subleaf != 1)
			r[0] = r[1] = r[2] = r[3] = 0;
		else
			r[1] = r[2] = r[3] = 0;
		break;
	case 0xD:
		xsave_leaf(ctx, subleaf, r);
		break;
	case 0x15:
		/* TSC/crystal ratio: report the TSC rate the hypervisor measured (crystal = TSC,
		 * ratio 1/1) rather than the model's nominal one, which an emulator's TSC may not
		 * follow. The vLAPIC timer counts at this crystal clock (SDM Vol. 3A §11.5.4). */
		r[0] = 1;
		r[1] = 1;
		/* ECX is 32 bits: a TSC from 4.29 GHz up is "not enumerated" (ECX = 0) rather
		 * than a crystal the vLAPIC timer would not count at. */
		r[2] = ctx->tsc_hz <= 0xFFFFFFFFu ? (uint32_t)ctx->tsc_hz : 0;
		r[3] = 0;
		break;
	case 0x16:
		r[0] = (uint32_t)(ctx->tsc_hz / 1000000u);
		r[1] = r[0];
		r[2] = 0;
		r[3] = 0;
		break;
	case 0x80000000u:
		r[0] = CPUID_GUEST_MAX_EXTENDED_LEAF;
		r[1] = r[2] = r[3] = 0;
		break;
	case 0x80000001u:
	case 0x80000002u:
	case 0x80000003u:
	case 0x80000004u: /* the brand string */
	case 0x80000006u: /* L2 cache */
		if (leaf == 0x80000001u)
			r[0] = r[1] = 0;
		break;
	case 0x80000007u:
		r[0] = r[1] = r[2] = 0;
		break;
	case 0x80000008u:
		/* Physical-address width: the one value the whole hypervisor uses (the vLAPIC's
		 * APIC-base check included); linear 48 (no LA57). */
		r[0] = ctx->maxphyaddr | 48u << 8;
		r[1] = r[2] = r[3] = 0;
		break;
	default:
		/* Thermal/power (06H), performance monitoring (0AH), topology (0BH, 1FH), RDT
		 * (0FH, 10H), SGX (12H), PT (14H), MONITOR (05H), DCA (09H) and everything else:
		 * not emulated. */
		r[0] = r[1] = r[2] = r[3] = 0;
		break;
	}
	apply_feature_table(ctx, leaf, subleaf, r);
}

bool xcr0_valid(uint64_t value, uint64_t supported)
{
	const uint64_t avx512 = 0xE0;

	if (!(value & 1) || (value & ~supported))
		return false;
	if ((value & 4) && !(value & 2))
		return false;
	if ((value & avx512) && ((value & avx512) != avx512 || !(value & 4)))
		return false;
	return true;
}
