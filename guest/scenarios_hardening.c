/* SPDX-License-Identifier: MIT */
/*
 * The hardening scenarios (issue 7): each one is what a guest sees of a defect the VMX layer
 * had, so that it fails on a hypervisor with the defect and passes without. scenarios.h lists
 * their accesses; tests/integration/run.py ("hardening", "null-spin") their exit counts.
 */
#include "scenarios_hardening.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apicvisor/testdev.h"
#include "cpu.h"
#include "hypercall.h"
#include "idt.h"
#include "interrupts.h"
#include "ioapic.h"
#include "lapic.h"
#include "scenario_apic_kit.h"
#include "scenario_irq_kit.h"
#include "scenario_kit.h"
#include "testdev.h"

/* Exception vectors the scenarios expect (SDM Vol. 3A Table 6-1). */
#define HARDENING_VECTOR_UD 6u

/* CPUID.(EAX=leaf, ECX=subleaf) (cpu_cpuid asks for subleaf 0 only). */
static struct cpu_cpuid_result hardening_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpu_cpuid_result r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

/* Checks that `raised` is exception `vector` (error code 0 where it has one); notes the rest. */
static bool hardening_expect_exception(struct scenario_state *state, const char *what,
				       struct idt_exception_record raised, unsigned vector)
{
	if (raised.vector == vector && raised.error_code == 0)
		return true;
	if (raised.vector == IDT_NO_EXCEPTION)
		scenario_note(state, "%s raised nothing, expected vector %u", what, vector);
	else
		scenario_note(state, "%s raised vector %u (error code 0x%lx), expected vector %u",
			      what, raised.vector, raised.error_code, vector);
	return false;
}

/* Checks that `raised` is nothing; notes an exception. */
static bool hardening_expect_none(struct scenario_state *state, const char *what,
				  struct idt_exception_record raised)
{
	if (raised.vector == IDT_NO_EXCEPTION)
		return true;
	scenario_note(state, "%s raised vector %u (error code 0x%lx), expected none", what,
		      raised.vector, raised.error_code);
	return false;
}

/* ------------------------------------------------------------------------------------------ */
/* xsave-state: XSETBV, XGETBV, CPUID.(0DH,0) and the guest's AVX state across VM exits.
 * SDM Vol. 1 §13.2 "Enumeration of CPU Support for XSAVE Instructions and XSAVE-Supported
 * Features", §13.3 "Enabling the XSAVE Feature Set and XSAVE-Enabled Features"; Vol. 2D
 * "XSETBV—Set Extended Control Register", "XGETBV—Get Value of Extended Control Register". */

#define CPUID_FEATURES_ECX_XSAVE (1u << 26)
#define CPUID_FEATURES_ECX_AVX (1u << 28)
#define CPUID_LEAF_XSAVE 0xDu
#define CR4_OSFXSR (1u << 9)                 /* SSE instructions enabled (SDM Vol. 3A §2.5) */
#define CR4_OSXSAVE (1u << 18)
#define XCR0_X87 (1u << 0)
#define XCR0_SSE (1u << 1)
#define XCR0_AVX (1u << 2)
#define XCR0_MPX (3u << 3)                   /* BNDREGS and BNDCSR */
/* The legacy region (512 bytes) and the XSAVE header (64): the smallest XSAVE area. */
#define XSAVE_LEGACY_AND_HEADER_BYTES 576u
#define XSAVE_COMPONENTS 64u

static struct {
	bool avx;                    /* CPUID.1:ECX.AVX and XCR0 bit 2 supported */
	uint64_t supported;          /* CPUID.(0DH,0):EDX:EAX */
	uint32_t size_sse;           /* expected EBX with XCR0 = x87 | SSE */
	uint32_t size_avx;           /* expected EBX with XCR0 = x87 | SSE | AVX */
	uint32_t size_all;           /* every supported component's end: ECX at least this */
	uint32_t size_all_read;      /* ECX as the first CPUID read it */
	uint64_t cr4;                /* as the scenario found it */
} hardening_xsave;

static struct idt_exception_record hardening_xsetbv_safe(uint64_t value)
{
	idt_fixup_begin();
	__asm__ volatile(IDT_FIXUP_ASM("xsetbv")
			 : : "c"(0), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
			 : "memory");
	return idt_fixup_end();
}

static uint64_t hardening_xgetbv(void)
{
	uint32_t low, high;

	__asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0) : "memory");
	return ((uint64_t)high << 32) | low;
}

/* The XSAVE area's size for the components in `mask` (standard format): the end of the
 * furthest user component at or above 2 (CPUID.(0DH,i): EAX size, EBX offset), at least the
 * legacy region and header. Reads one CPUID subleaf per component (prepare only). */
static uint32_t hardening_xsave_size(uint64_t mask)
{
	uint32_t size = XSAVE_LEGACY_AND_HEADER_BYTES;

	for (unsigned i = 2; i < XSAVE_COMPONENTS; i++) {
		if (!((mask >> i) & 1))
			continue;
		struct cpu_cpuid_result r = hardening_cpuid(CPUID_LEAF_XSAVE, i);

		if (r.ebx + r.eax > size)
			size = r.ebx + r.eax;
	}
	return size;
}

static enum scenario_failure hardening_xsave_prepare(struct scenario_state *state)
{
	struct cpu_cpuid_result features = cpu_cpuid(CPUID_LEAF_FEATURES);

	if (!(features.ecx & CPUID_FEATURES_ECX_XSAVE))
		return scenario_skip(state, "no XSAVE: CPUID.1:ECX[26] = 0");
	if (cpu_cpuid(CPUID_LEAF_BASIC_MAX).eax < CPUID_LEAF_XSAVE)
		return scenario_skip(state, "no CPUID leaf 0DH");

	struct cpu_cpuid_result xsave = hardening_cpuid(CPUID_LEAF_XSAVE, 0);

	hardening_xsave.supported = ((uint64_t)xsave.edx << 32) | xsave.eax;
	hardening_xsave.avx = (features.ecx & CPUID_FEATURES_ECX_AVX) &&
			      (hardening_xsave.supported & XCR0_AVX);
	hardening_xsave.size_sse = hardening_xsave_size(XCR0_X87 | XCR0_SSE);
	hardening_xsave.size_avx = hardening_xsave_size(XCR0_X87 | XCR0_SSE | XCR0_AVX);
	hardening_xsave.size_all = hardening_xsave_size(hardening_xsave.supported);
	hardening_xsave.cr4 = cpu_read_cr4();
	if (hardening_xsave.cr4 & CR4_OSXSAVE)
		return scenario_skip(state, "CR4.OSXSAVE is already set");
	return SCENARIO_PASSED;
}

/* XSETBV of `value` must raise #GP(0) and leave XCR0 at `xcr0`. */
static bool hardening_xsetbv_refused(struct scenario_state *state, const char *what,
				     uint64_t value, uint64_t xcr0)
{
	bool faulted = scenario_expect_gp(state, what, hardening_xsetbv_safe(value));

	return scenario_expect(state, "XCR0 after the refused XSETBV", hardening_xgetbv(), xcr0) &&
	       faulted;
}

/* XSETBV of `value` must work and XGETBV read it back; then CPUID.(0DH,0): EBX must be `size`
 * (the area for the XCR0 now in effect; 0: not checked here) and ECX the same in every read,
 * since it sizes every supported component whatever XCR0 holds. 1 XSETBV, 1 CPUID. */
static bool hardening_xsetbv_accepted(struct scenario_state *state, uint64_t value,
				      uint32_t size, struct cpu_cpuid_result *leaf)
{
	bool good = hardening_expect_none(state, "XSETBV of a valid XCR0",
					  hardening_xsetbv_safe(value));

	good &= scenario_expect(state, "XGETBV after XSETBV", hardening_xgetbv(), value);
	*leaf = hardening_cpuid(CPUID_LEAF_XSAVE, 0);
	if (size != 0)
		good &= scenario_expect(state, "CPUID.(0DH,0):EBX (area size for XCR0)", leaf->ebx,
					size);
	if (hardening_xsave.size_all_read == 0)
		hardening_xsave.size_all_read = leaf->ecx;
	good &= scenario_expect(state, "CPUID.(0DH,0):ECX (area size for all components)",
				leaf->ecx, hardening_xsave.size_all_read);
	return good;
}

uint64_t hardening_vector_roundtrip(const void *pattern, void *out, uint64_t ymm,
				    uint64_t function);

static enum scenario_failure hardening_xsave_state(struct scenario_state *state)
{
	static const uint8_t pattern[32] __attribute__((aligned(32))) = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98,
		0x76, 0x54, 0x32, 0x10, 0xA5, 0x5A, 0xC3, 0x3C, 0x96, 0x69, 0x0F, 0xF0,
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	};
	uint8_t out[32] __attribute__((aligned(32))) = { 0 };
	uint64_t cr4 = hardening_xsave.cr4;
	bool faults = true, state_kept = true;

	/* CR4.OSXSAVE = 0: "#UD If CR4.OSXSAVE[bit 18] = 0" (XSETBV). */
	faults &= hardening_expect_exception(state, "XSETBV with CR4.OSXSAVE = 0",
					     hardening_xsetbv_safe(XCR0_X87 | XCR0_SSE),
					     HARDENING_VECTOR_UD);
	if (!hardening_expect_none(state, "MOV to CR4 setting OSXSAVE and OSFXSR",
				   cpu_write_cr4_safe(cr4 | CR4_OSXSAVE | CR4_OSFXSR)))
		return SCENARIO_FAILURE_CR4_CHANGED;

	uint64_t original = hardening_xgetbv();

	/* "#GP(0) If an attempt is made to set XCR0[2] (AVX state) while clearing XCR0[1] (SSE
	 * state)", and for "any bit ... set that is reserved", which a component CPUID does not
	 * enumerate is: MPX's BNDREGS and BNDCSR (bits 3-4) are not shown. */
	faults &= hardening_xsetbv_refused(state, "XSETBV of x87 | AVX without SSE (5)",
					   XCR0_X87 | XCR0_AVX, original);
	if (!(hardening_xsave.supported & XCR0_MPX))
		faults &= hardening_xsetbv_refused(state, "XSETBV of x87 | SSE | MPX (1BH)",
						   XCR0_X87 | XCR0_SSE | XCR0_MPX, original);
	else
		scenario_note(state, "CPUID.(0DH,0):EAX shows MPX (bits 3-4): 1BH not tried");

	struct cpu_cpuid_result leaf;

	hardening_xsave.size_all_read = 0;
	state_kept &= hardening_xsetbv_accepted(state, XCR0_X87 | XCR0_SSE,
						hardening_xsave.size_sse, &leaf);
	if (hardening_xsave.avx)
		state_kept &= hardening_xsetbv_accepted(state, XCR0_X87 | XCR0_SSE | XCR0_AVX,
							hardening_xsave.size_avx, &leaf);
	else
		scenario_note(state, "no AVX: XMM0 checked instead of YMM0");
	/* Every component CPUID shows enabled: EBX must then be ECX ("all the user state
	 * components supported by this processor"), and no less than where the furthest
	 * component ends by its own subleaf. (Bochs 2.7's tigerlake answers 0xAC0 for both,
	 * 40H more than its subleaves 5-7 add up to.) */
	if (hardening_xsave.supported != (XCR0_X87 | XCR0_SSE | XCR0_AVX) &&
	    hardening_xsave.supported != (XCR0_X87 | XCR0_SSE)) {
		state_kept &= hardening_xsetbv_accepted(state, hardening_xsave.supported, 0, &leaf);
		state_kept &= scenario_expect(state, "CPUID.(0DH,0):EBX with every component on",
					      leaf.ebx, leaf.ecx);
	}
	if (hardening_xsave.size_all_read < hardening_xsave.size_all) {
		scenario_note(state, "CPUID.(0DH,0):ECX is 0x%x, less than the 0x%x subleaves 2-63 "
			      "need", hardening_xsave.size_all_read, hardening_xsave.size_all);
		state_kept = false;
	}
	scenario_report(state, "xsave_size_all", hardening_xsave.size_all_read);

	int64_t result = (int64_t)hardening_vector_roundtrip(pattern, out, hardening_xsave.avx,
							     APICVISOR_HC_PING);
	unsigned bytes = hardening_xsave.avx ? 32u : 16u;

	for (unsigned i = 0; i < bytes; i++) {
		if (out[i] != pattern[i]) {
			scenario_note(state, "%s byte %u is 0x%02x after a CPUID and a VMCALL, was "
				      "0x%02x", hardening_xsave.avx ? "YMM0" : "XMM0", i, out[i],
				      pattern[i]);
			state_kept = false;
			break;
		}
	}
	if (result != 0) {
		scenario_note(state, "HC_PING returned %ld", result);
		state_kept = false;
	}
	scenario_report(state, "vector_bytes_checked", bytes);
	scenario_report(state, "xcr0_at_start", original);

	/* Back to the state the scenario found: XCR0 as it was, CR4 as it was. */
	state_kept &= hardening_expect_none(state, "XSETBV restoring XCR0",
					    hardening_xsetbv_safe(original));
	if (!hardening_expect_none(state, "MOV to CR4 restoring it", cpu_write_cr4_safe(cr4)))
		return SCENARIO_FAILURE_CR4_CHANGED;
	if (!faults)
		return SCENARIO_FAILURE_NO_GP;
	return state_kept ? SCENARIO_PASSED : SCENARIO_FAILURE_DEVICE_REGISTER;
}

/* ------------------------------------------------------------------------------------------ */
/* tsc-write: "A WRMSR to IA32_TIME_STAMP_COUNTER ... sets the time-stamp counter" (SDM Vol. 3B
 * §18.17 "Time-Stamp Counter"), RDTSC and RDMSR then count on from the value written; a
 * TSC-deadline timer compares against that counter (SDM Vol. 3A §11.5.4.1 "TSC-Deadline
 * Mode"). */

/* How far the written value is from the TSC: 2^40 cycles, 5 minutes at 3.6 GHz, 3 days of
 * Bochs' ~4 MHz TSC, so a counter that ignored the write is far outside the bound below. */
#define HARDENING_TSC_JUMP (1ull << 40)
/* RDTSC right after the WRMSR must read less than this past the value written: the WRMSR's
 * VM exit costs 2000-3000 cycles under Bochs (figure cycles_after_write) and a few thousand on
 * hardware; 1 million cycles is 0.3 ms at 3 GHz. */
#define HARDENING_TSC_BOUND 1000000ull
#define HARDENING_TSC_VECTOR 0x71u
#define HARDENING_TSC_DEADLINE_DELTA 20000u  /* as timer-tsc-deadline's */
#define HARDENING_TSC_LATE_BOUND (HARDENING_TSC_DEADLINE_DELTA / 2)

static enum scenario_failure hardening_tsc_prepare(struct scenario_state *state)
{
	enum scenario_failure prepared = scenario_apic_prepare(state, LAPIC_MODE_XAPIC);

	if (prepared == SCENARIO_PASSED && !lapic_has_tsc_deadline())
		return scenario_skip(state, "no TSC-deadline timer: CPUID.1:ECX[24] = 0");
	return prepared;
}

static enum scenario_failure hardening_tsc_write(struct scenario_state *state)
{
	static const uint8_t expected[] = { HARDENING_TSC_VECTOR };
	uint64_t adjust_before = cpu_rdmsr(MSR_IA32_TSC_ADJUST);
	uint64_t before = cpu_rdtsc_fenced();
	uint64_t target = before + HARDENING_TSC_JUMP;
	struct idt_exception_record raised = cpu_wrmsr_safe(MSR_IA32_TSC, target);
	uint64_t after = cpu_rdtsc_fenced();
	uint64_t msr = cpu_rdmsr(MSR_IA32_TSC);
	uint64_t adjust_moved = cpu_rdmsr(MSR_IA32_TSC_ADJUST) - adjust_before;
	enum scenario_failure failure = SCENARIO_PASSED;

	if (!hardening_expect_none(state, "WRMSR of IA32_TSC", raised))
		return SCENARIO_FAILURE_NO_GP;
	/* IA32_TSC_ADJUST moves with it (SDM Vol. 3B §18.17.3): by the jump less the cycles
	 * between the RDTSC and the write. */
	if (adjust_moved > HARDENING_TSC_JUMP || HARDENING_TSC_JUMP - adjust_moved >= HARDENING_TSC_BOUND) {
		scenario_note(state, "IA32_TSC_ADJUST moved by 0x%lx for a TSC jump of 0x%llx",
			      adjust_moved, HARDENING_TSC_JUMP);
		failure = SCENARIO_FAILURE_RATE;
	}
	if (after < target || after - target >= HARDENING_TSC_BOUND ||
	    msr < after || msr - target >= HARDENING_TSC_BOUND) {
		scenario_note(state, "wrote IA32_TSC 0x%lx; RDTSC then read 0x%lx, RDMSR 0x%lx: "
			      "not within [written, written + %llu)", target, after, msr,
			      HARDENING_TSC_BOUND);
		failure = SCENARIO_FAILURE_RATE;
	}
	if (after >= target)
		scenario_report(state, "cycles_after_write", after - target);

	/* A TSC-deadline timer armed on the new counter: due at the guest's TSC value. */
	lapic_write(LAPIC_REG_LVT_TIMER, lapic_lvt_timer(LAPIC_TIMER_TSC_DEADLINE,
							 HARDENING_TSC_VECTOR));
	cpu_mfence();

	uint64_t deadline = cpu_rdtsc_fenced() + HARDENING_TSC_DEADLINE_DELTA;

	cpu_wrmsr(MSR_IA32_TSC_DEADLINE, deadline);
	cpu_interrupts_enable();
	scenario_apic_keep_first(&failure, scenario_apic_await(state, 1, "the deadline interrupt"));
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
	cpu_interrupts_disable();
	scenario_apic_keep_first(&failure, scenario_apic_expect_log(state, expected, 1));

	const struct interrupts_arrival *arrival = interrupts_arrival(0);

	if (arrival != NULL) {
		if (arrival->tsc < deadline) {
			scenario_note(state, "the deadline interrupt came %lu cycles before the "
				      "deadline", deadline - arrival->tsc);
			scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_EARLY);
		} else {
			scenario_report(state, "cycles_late", arrival->tsc - deadline);
			if (arrival->tsc - deadline > HARDENING_TSC_LATE_BOUND) {
				scenario_note(state, "the deadline interrupt came %lu cycles late, "
					      "more than %u", arrival->tsc - deadline,
					      HARDENING_TSC_LATE_BOUND);
				scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_LATE);
			}
		}
	}

	/* Back to the counter the scenario found, with the time spent here added. */
	cpu_wrmsr(MSR_IA32_TSC, cpu_rdtsc_fenced() - HARDENING_TSC_JUMP);
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* cpuid-honest: features apicvisor does not back are absent from CPUID, and what they would
 * bring (MSRs, CR4 bits, instructions) faults as on a CPU without them. Bits from SDM Vol. 2A
 * "CPUID—CPU Identification" (Tables 3-8, 3-10, 3-11 and the leaf 07H and 0DH descriptions). */

struct hardening_hidden_bit {
	uint32_t leaf, subleaf;
	unsigned reg;                /* 0 EAX, 1 EBX, 2 ECX, 3 EDX */
	unsigned bit;
	const char *name;
};

static const struct hardening_hidden_bit hardening_hidden_bits[] = {
	{ 1, 0, 2, 2, "1:ECX[2] DTES64" },
	{ 1, 0, 2, 14, "1:ECX[14] xTPR" },
	{ 1, 0, 2, 15, "1:ECX[15] PDCM" },
	{ 1, 0, 3, 12, "1:EDX[12] MTRR" },
	{ 7, 0, 1, 2, "7:EBX[2] SGX" },
	{ 7, 0, 1, 14, "7:EBX[14] MPX" },
	{ 7, 0, 1, 25, "7:EBX[25] PT" },
	{ 7, 0, 2, 16, "7:ECX[16] LA57" },
	{ 7, 0, 2, 30, "7:ECX[30] SGX_LC" },
	{ 7, 0, 3, 26, "7:EDX[26] IBRS/IBPB" },
	{ 7, 0, 3, 27, "7:EDX[27] STIBP" },
	{ 7, 0, 3, 28, "7:EDX[28] L1D_FLUSH" },
	{ 7, 0, 3, 29, "7:EDX[29] ARCH_CAPABILITIES" },
	{ 7, 0, 3, 31, "7:EDX[31] SSBD" },
	{ 0xD, 0, 0, 3, "0DH.0:EAX[3] BNDREGS" },
	{ 0xD, 0, 0, 4, "0DH.0:EAX[4] BNDCSR" },
	{ 0xD, 1, 0, 3, "0DH.1:EAX[3] XSAVES" },
};

/* The leaves read, in this order: one CPUID each. */
static const struct {
	uint32_t leaf, subleaf;
} hardening_cpuid_reads[] = { { 1, 0 }, { 7, 0 }, { 0xD, 0 }, { 0xD, 1 }, { 0x80000008u, 0 } };

#define HARDENING_CPUID_READS (sizeof(hardening_cpuid_reads) / sizeof(hardening_cpuid_reads[0]))
#define CR4_LA57 (1u << 12)
#define MSR_IA32_SPEC_CTRL 0x48u
#define MSR_IA32_RTIT_CTL 0x570u
#define MSR_IA32_BNDCFGS 0xD90u
#define MSR_IA32_XSS 0xDA0u
/* MAXPHYADDR bounds: the architecture's 36 (PAE) to 52 (SDM Vol. 3A §4.1.4). */
#define HARDENING_MAXPHYADDR_MIN 36u
#define HARDENING_MAXPHYADDR_MAX 52u

static const struct {
	uint32_t msr;
	const char *name;
} hardening_hidden_msrs[] = {
	{ MSR_IA32_SPEC_CTRL, "IA32_SPEC_CTRL (48H)" },
	{ MSR_IA32_RTIT_CTL, "IA32_RTIT_CTL (570H)" },
	{ MSR_IA32_BNDCFGS, "IA32_BNDCFGS (D90H)" },
	{ MSR_IA32_XSS, "IA32_XSS (DA0H)" },
};

static enum scenario_failure hardening_cpuid_prepare(struct scenario_state *state)
{
	if (cpu_cpuid(CPUID_LEAF_BASIC_MAX).eax < CPUID_LEAF_XSAVE ||
	    cpu_cpuid(0x80000000u).eax < 0x80000008u)
		return scenario_skip(state, "CPUID has no leaf 0DH or 80000008H");
	if (!(cpu_cpuid(CPUID_LEAF_FEATURES).ecx & CPUID_FEATURES_ECX_XSAVE))
		return scenario_skip(state, "no XSAVE: CPUID.1:ECX[26] = 0");
	cpu_interrupts_disable();
	return SCENARIO_PASSED;
}

/* The hidden bits, from 5 CPUIDs; returns MAXPHYADDR (CPUID.80000008H:EAX[7:0]). */
static bool hardening_cpuid_bits(struct scenario_state *state, unsigned *maxphyaddr)
{
	uint32_t regs[HARDENING_CPUID_READS][4];
	bool good = true;

	for (unsigned i = 0; i < HARDENING_CPUID_READS; i++) {
		struct cpu_cpuid_result r = hardening_cpuid(hardening_cpuid_reads[i].leaf,
							    hardening_cpuid_reads[i].subleaf);

		regs[i][0] = r.eax;
		regs[i][1] = r.ebx;
		regs[i][2] = r.ecx;
		regs[i][3] = r.edx;
	}
	for (size_t b = 0; b < sizeof(hardening_hidden_bits) / sizeof(hardening_hidden_bits[0]);
	     b++) {
		const struct hardening_hidden_bit *h = &hardening_hidden_bits[b];

		for (unsigned i = 0; i < HARDENING_CPUID_READS; i++) {
			if (hardening_cpuid_reads[i].leaf != h->leaf ||
			    hardening_cpuid_reads[i].subleaf != h->subleaf)
				continue;
			if ((regs[i][h->reg] >> h->bit) & 1) {
				scenario_note(state, "CPUID.%s is shown", h->name);
				good = false;
			}
		}
	}
	*maxphyaddr = regs[HARDENING_CPUID_READS - 1][0] & 0xFFu;
	return good;
}

/* IA32_APIC_BASE's address field is bits MAXPHYADDR-1:12; a bit at MAXPHYADDR or above is
 * reserved: #GP (SDM Vol. 3A §11.4.4 "Local APIC Status and Location", Figure 11-5). The base
 * is moved to the highest address bit and back at once, IF = 0, no APIC access in between.
 * 1 RDMSR, 3 WRMSRs. */
static bool hardening_apic_base(struct scenario_state *state, unsigned maxphyaddr)
{
	uint64_t base = cpu_rdmsr(MSR_IA32_APIC_BASE);
	bool good = scenario_expect_gp(state, "WRMSR IA32_APIC_BASE with bit MAXPHYADDR set",
				       cpu_wrmsr_safe(MSR_IA32_APIC_BASE,
						      base | 1ull << maxphyaddr));

	good &= hardening_expect_none(state, "WRMSR IA32_APIC_BASE with bit MAXPHYADDR - 1 set",
				      cpu_wrmsr_safe(MSR_IA32_APIC_BASE,
						     base | 1ull << (maxphyaddr - 1)));
	good &= hardening_expect_none(state, "WRMSR IA32_APIC_BASE back",
				      cpu_wrmsr_safe(MSR_IA32_APIC_BASE, base));
	return good;
}

/* A hidden feature's instruction, CR4 bit and MSRs fault. 3 CR_ACCESS: 1 for LA57, 2 for
 * OSXSAVE on and off (apicvisor owns the bit: it loads the guest's XCR0 only while it is set);
 * 4 RDMSRs and 4 WRMSRs. */
static bool hardening_hidden_effects(struct scenario_state *state)
{
	static uint8_t area[1024] __attribute__((aligned(64)));
	uint64_t cr4 = cpu_read_cr4();
	bool good = true;

	/* Changing CR4.LA57 in IA-32e mode is #GP on any CPU ("MOV to CR4": "#GP(0) If an
	 * attempt is made to change CR4.LA57 ... while IA32_EFER.LMA = 1"), and LA57 is hidden. */
	good &= scenario_expect_gp(state, "MOV to CR4 setting LA57",
				   cpu_write_cr4_safe(cr4 | CR4_LA57));
	good &= scenario_expect(state, "CR4 after that MOV", cpu_read_cr4(), cr4);

	/* XSAVES needs CR4.OSXSAVE = 1 to get as far as the "enable XSAVES/XRSTORS" control
	 * (SDM Vol. 3C §25.6.2: with it 0, "XSAVES and XRSTORS cause #UD"). */
	if (hardening_expect_none(state, "MOV to CR4 setting OSXSAVE",
				  cpu_write_cr4_safe(cr4 | CR4_OSXSAVE))) {
		idt_fixup_begin();
		__asm__ volatile(IDT_FIXUP_ASM("xsaves (%0)")
				 : : "r"(area), "a"(0), "d"(0) : "memory");
		good &= hardening_expect_exception(state, "XSAVES", idt_fixup_end(),
						   HARDENING_VECTOR_UD);
		good &= hardening_expect_none(state, "MOV to CR4 clearing OSXSAVE",
					      cpu_write_cr4_safe(cr4));
	} else {
		good = false;
	}

	for (size_t i = 0; i < sizeof(hardening_hidden_msrs) / sizeof(hardening_hidden_msrs[0]);
	     i++) {
		uint64_t unused;

		good &= scenario_expect_gp(state, hardening_hidden_msrs[i].name,
					   cpu_rdmsr_safe(hardening_hidden_msrs[i].msr, &unused));
		good &= scenario_expect_gp(state, hardening_hidden_msrs[i].name,
					   cpu_wrmsr_safe(hardening_hidden_msrs[i].msr, 0));
	}
	return good;
}

static enum scenario_failure hardening_cpuid_honest(struct scenario_state *state)
{
	unsigned maxphyaddr = 0;
	bool bits = hardening_cpuid_bits(state, &maxphyaddr);

	scenario_report(state, "maxphyaddr", maxphyaddr);
	if (maxphyaddr < HARDENING_MAXPHYADDR_MIN || maxphyaddr > HARDENING_MAXPHYADDR_MAX) {
		scenario_note(state, "CPUID.80000008H:EAX[7:0] (MAXPHYADDR) is %u, not in [%u, %u]",
			      maxphyaddr, HARDENING_MAXPHYADDR_MIN, HARDENING_MAXPHYADDR_MAX);
		return SCENARIO_FAILURE_CPUID_NOT_FILTERED;
	}

	bool base = hardening_apic_base(state, maxphyaddr);
	bool effects = hardening_hidden_effects(state);

	if (!bits)
		return SCENARIO_FAILURE_CPUID_NOT_FILTERED;
	return base && effects ? SCENARIO_PASSED : SCENARIO_FAILURE_NO_GP;
}

/* ------------------------------------------------------------------------------------------ */
/* null-compat-rip-wrap: HC_NULL from 32-bit compatibility mode at EIP 0xFFFFFFFD. The 3-byte
 * VMCALL ends at 0xFFFFFFFF; "the instruction pointer ... wraps around" at 4 GiB outside
 * 64-bit mode, and a VM entry outside 64-bit mode needs RIP bits 63:32 = 0 (SDM Vol. 3C
 * §26.3.1.4 "Checks on Guest RIP, RFLAGS, and SSP"): the hypervisor must resume at EIP 0. */

/* A GDT descriptor (SDM Vol. 3A §3.4.5 "Segment Descriptors"). */
struct hardening_gdt_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define HARDENING_GDT_ENTRIES 16u
/* Code, execute/read, S = 1, DPL 0, P = 1 (access byte 9AH); flags G = 1, D = 1, L = 0. */
#define HARDENING_CODE32_ACCESS 0x9Aull
#define HARDENING_CODE32_FLAGS 0xCull
#define HARDENING_COMPAT_EIP 0xFFFFFFFDu
#define HARDENING_VMCALL_BYTES 3u

extern const uint8_t hardening_compat_code[];
uint64_t hardening_compat_vmcall(uint64_t compat_selector, uint64_t function);

static uint64_t hardening_code32_descriptor(uint32_t base)
{
	return 0xFFFFull | (uint64_t)(base & 0xFFFFFFu) << 16 | HARDENING_CODE32_ACCESS << 40 |
	       0xFull << 48 | HARDENING_CODE32_FLAGS << 52 | (uint64_t)(base >> 24) << 56;
}

static enum scenario_failure hardening_null_compat_rip_wrap(struct scenario_state *state)
{
	static uint64_t gdt[HARDENING_GDT_ENTRIES] __attribute__((aligned(16)));
	struct hardening_gdt_pointer original, ours;
	unsigned entries;

	cpu_interrupts_disable();
	__asm__ volatile("sgdt %0" : "=m"(original));
	entries = (original.limit + 1u) / 8u;
	if (entries >= HARDENING_GDT_ENTRIES) {
		scenario_note(state, "the GDT has %u entries, no room for one more here", entries);
		return SCENARIO_FAILURE_APIC_SETUP;
	}
	for (unsigned i = 0; i < entries; i++)
		gdt[i] = ((const uint64_t *)(uintptr_t)original.base)[i];
	/* Base = the VMCALL's address + 3, so EIP 0xFFFFFFFD (base + EIP mod 2^32) is the
	 * VMCALL and EIP 0 the instruction after it. */
	gdt[entries] = hardening_code32_descriptor(
		(uint32_t)(uintptr_t)hardening_compat_code + HARDENING_VMCALL_BYTES);
	ours = (struct hardening_gdt_pointer){ (uint16_t)((entries + 1) * 8 - 1),
					       (uint64_t)(uintptr_t)gdt };
	__asm__ volatile("lgdt %0" : : "m"(ours) : "memory");

	uint64_t result = hardening_compat_vmcall(entries * 8u, APICVISOR_HC_NULL);

	__asm__ volatile("lgdt %0" : : "m"(original) : "memory");
	scenario_report(state, "compat_eip", HARDENING_COMPAT_EIP);
	return scenario_expect(state, "HC_NULL's RAX from compatibility mode", result, 0) ?
		       SCENARIO_PASSED : SCENARIO_FAILURE_HYPERCALL_ERROR;
}

/* ------------------------------------------------------------------------------------------ */
/* null-spin: HC_NULL round trips with IF = 0, forever: only the hypervisor's watchdog can end
 * it, which it must do even though the exit stub turns every call around without C. */

static __attribute__((noreturn)) enum scenario_failure
hardening_null_spin(struct scenario_state *state)
{
	(void)state;
	cpu_interrupts_disable();
	for (;;)
		hypercall(APICVISOR_HC_NULL, 0, 0, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* hlt-nmi-wakeup: "An NMI ... will cause the processor to exit the HLT state" whatever IF is
 * (SDM Vol. 2A "HLT—Halt"; Vol. 3A §7.7 "Nonmaskable Interrupt (NMI)"): an I/O APIC entry in
 * NMI delivery mode (82093AA §3.2.4, delivery mode 100b) pulsed by the test device's delayed
 * raise while the guest is halted with IF = 0. */

#define HARDENING_NMI_GSI SCENARIO_IRQ_EDGE_GSI
#define IOAPIC_RTE_DELIVERY_NMI (4u << 8)
#define HARDENING_NMI_DELAY 100000u           /* TSC cycles, as ioapic-edge's */

static enum scenario_failure hardening_hlt_nmi_wakeup(struct scenario_state *state)
{
	static const uint8_t expected[] = { INTERRUPTS_VECTOR_NMI };
	uint64_t boundary;

	ioapic_set_rte(HARDENING_NMI_GSI,
		       ioapic_rte_fixed(0, (uint8_t)lapic_id(), IOAPIC_RTE_EDGE) |
			       IOAPIC_RTE_DELIVERY_NMI);

	uint64_t armed = cpu_rdtsc_fenced();

	testdev_raise_later(HARDENING_NMI_GSI, HARDENING_NMI_DELAY);
	__asm__ volatile("cli\n\t"
			 "hlt\n"
			 "1:\n\t"
			 "lea 1b(%%rip), %0"
			 : "=r"(boundary) : : "memory");
	ioapic_mask(HARDENING_NMI_GSI);

	enum scenario_failure failure = scenario_apic_expect_log(state, expected, 1);
	const struct interrupts_arrival *arrival = interrupts_arrival(0);

	if (!scenario_apic_expect_boundary(state, 0, boundary, "HLT with IF = 0"))
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_BOUNDARY);
	if (arrival != NULL) {
		if (arrival->tsc < armed + HARDENING_NMI_DELAY) {
			scenario_note(state, "the NMI came %lu cycles after arming, before the delay "
				      "of %u", arrival->tsc - armed, HARDENING_NMI_DELAY);
			scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_EARLY);
		} else {
			scenario_report(state, "cycles_to_nmi_wakeup", arrival->tsc - armed);
		}
	}
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* x2apic-broadcast-ff: an I/O APIC entry and an MSI carry an 8-bit destination; 0xFF is the
 * broadcast and stays one for local APICs in x2APIC mode (SDM Vol. 3A §11.12.9 "ICR Operation
 * in x2APIC Mode"; §11.11.1 "Message Address Register Format": destination ID bits 19:12). */

#define HARDENING_BROADCAST 0xFFu
#define HARDENING_BROADCAST_GSI SCENARIO_IRQ_EDGE_GSI
#define HARDENING_BROADCAST_RTE_VECTOR 0x41u
#define HARDENING_BROADCAST_MSI_VECTOR 0x42u
#define HARDENING_MSI_ADDRESS_BASE 0xFEE00000u
#define HARDENING_MSI_DESTINATION_SHIFT 12

static enum scenario_failure hardening_x2apic_prepare(struct scenario_state *state)
{
	enum scenario_failure prepared = scenario_irq_prepare(state);

	if (prepared != SCENARIO_PASSED)
		return prepared;
	return scenario_apic_prepare(state, LAPIC_MODE_X2APIC);
}

static enum scenario_failure hardening_x2apic_broadcast_ff(struct scenario_state *state)
{
	static const uint8_t expected[] = { HARDENING_BROADCAST_RTE_VECTOR,
					    HARDENING_BROADCAST_MSI_VECTOR };
	enum scenario_failure failure;

	ioapic_set_rte(HARDENING_BROADCAST_GSI,
		       ioapic_rte_fixed(HARDENING_BROADCAST_RTE_VECTOR, HARDENING_BROADCAST,
					IOAPIC_RTE_EDGE));
	cpu_interrupts_enable();
	testdev_pulse(HARDENING_BROADCAST_GSI, true);
	failure = scenario_apic_expect_arrival(state, 0, HARDENING_BROADCAST_RTE_VECTOR,
					       "the I/O APIC interrupt to 0xFF");
	testdev_msi_setup(HARDENING_MSI_ADDRESS_BASE |
				  HARDENING_BROADCAST << HARDENING_MSI_DESTINATION_SHIFT,
			  HARDENING_BROADCAST_MSI_VECTOR);
	testdev_msi_send();
	scenario_apic_keep_first(&failure, scenario_apic_expect_arrival(
						   state, 1, HARDENING_BROADCAST_MSI_VECTOR,
						   "the MSI to 0xFF"));
	cpu_interrupts_disable();
	ioapic_mask(HARDENING_BROADCAST_GSI);
	scenario_apic_keep_first(&failure, scenario_apic_expect_log(state, expected, 2));
	return scenario_apic_finish(state, failure);
}

/* ------------------------------------------------------------------------------------------ */
/* mmio-qword: 64-bit MOVs (REX.W 8B /r and 89 /r) to 32-bit device registers. A device whose
 * registers are 32 bits wide sees a quadword access as two dword accesses, the low one at the
 * address and the high one at address + 4 (apicvisor's vmx/mmio.h); the guest's register gets
 * all 64 bits. I/O APIC: IOWIN is offset 10H and bytes 4-7 of its 16-byte slot are not a
 * register (82093AA §3.1): they read 0 and ignore writes in apicvisor's model
 * (devices/vioapic.c). The xAPIC's TPR (80H) likewise: bytes 84H-8FH read 0 (SDM Vol. 3A
 * §11.4.1: registers are "aligned on 128-bit boundaries"). */

#define HARDENING_QWORD_PIN SCENARIO_IRQ_EDGE_GSI
#define HARDENING_QWORD_VECTOR 0x44u
#define HARDENING_QWORD_HIGH 0xDEADBEEFull
#define HARDENING_TPR 0x30u

static uint32_t hardening_ioapic_version;   /* read by prepare */
static uint32_t hardening_rte_high_before;  /* RTE 10's high dword, read by prepare */

static enum scenario_failure hardening_mmio_prepare(struct scenario_state *state)
{
	enum scenario_failure prepared = scenario_irq_prepare(state);

	if (prepared == SCENARIO_PASSED) {
		hardening_ioapic_version = ioapic_read(IOAPIC_REG_VERSION);
		hardening_rte_high_before = ioapic_read(IOAPIC_REG_RTE_HIGH(HARDENING_QWORD_PIN));
	}
	return prepared;
}

static void hardening_mmio_write32(uintptr_t address, uint32_t value)
{
	__asm__ volatile("movl %0, (%1)" : : "r"(value), "r"(address) : "memory");
}

static uint64_t hardening_mmio_read64(uintptr_t address)
{
	uint64_t value;

	__asm__ volatile("movq (%1), %0" : "=r"(value) : "r"(address) : "memory");
	return value;
}

static void hardening_mmio_write64(uintptr_t address, uint64_t value)
{
	__asm__ volatile("movq %0, (%1)" : : "r"(value), "r"(address) : "memory");
}

static enum scenario_failure hardening_mmio_qword(struct scenario_state *state)
{
	const uintptr_t ioregsel = IOAPIC_BASE, iowin = IOAPIC_BASE + 0x10u;
	const uintptr_t tpr = lapic_xapic_register(LAPIC_REG_TPR);
	bool ioapic_good = true, apic_good = true;

	/* IOREGSEL := VER, quadword read of IOWIN: VER in the low dword, 0 above. */
	hardening_mmio_write32(ioregsel, IOAPIC_REG_VERSION);
	ioapic_good &= scenario_expect(state, "quadword read of IOWIN (VER selected)",
				       hardening_mmio_read64(iowin), hardening_ioapic_version);

	/* IOREGSEL := RTE 10 low, quadword write of IOWIN: the low dword is the entry's low
	 * dword; the high one, at offset 14H, reaches no register: RTE 10's high dword stays as
	 * it was (prepare masks the pins but leaves their high dwords). */
	uint32_t rte_low = IOAPIC_RTE_MASKED | IOAPIC_RTE_EDGE | HARDENING_QWORD_VECTOR;

	hardening_mmio_write32(ioregsel, IOAPIC_REG_RTE_LOW(HARDENING_QWORD_PIN));
	hardening_mmio_write64(iowin, HARDENING_QWORD_HIGH << 32 | rte_low);
	ioapic_good &= scenario_expect(state, "RTE 10 low after the quadword write",
				       ioapic_read(IOAPIC_REG_RTE_LOW(HARDENING_QWORD_PIN)),
				       rte_low);
	ioapic_good &= scenario_expect(state, "RTE 10 high after the quadword write",
				       ioapic_read(IOAPIC_REG_RTE_HIGH(HARDENING_QWORD_PIN)),
				       hardening_rte_high_before);
	ioapic_set_rte(HARDENING_QWORD_PIN, IOAPIC_RTE_MASKED);

	/* TPR: a quadword write sets it from the low dword, a quadword read returns it
	 * zero-extended; then TPR := 0 again. */
	hardening_mmio_write64(tpr, HARDENING_QWORD_HIGH << 32 | HARDENING_TPR);
	apic_good &= scenario_expect(state, "TPR after the quadword write",
				     lapic_read(LAPIC_REG_TPR), HARDENING_TPR);
	apic_good &= scenario_expect(state, "quadword read of TPR", hardening_mmio_read64(tpr),
				     HARDENING_TPR);
	lapic_set_tpr(0);
	if (!ioapic_good)
		return SCENARIO_FAILURE_DEVICE_REGISTER;
	return apic_good ? SCENARIO_PASSED : SCENARIO_FAILURE_APIC_REGISTER;
}

static const struct scenario scenario_hardening_table[] = {
	{ "xsave-state", true, hardening_xsave_prepare, hardening_xsave_state },
	{ "tsc-write", true, hardening_tsc_prepare, hardening_tsc_write },
	{ "cpuid-honest", true, hardening_cpuid_prepare, hardening_cpuid_honest },
	{ "null-compat-rip-wrap", true, NULL, hardening_null_compat_rip_wrap },
	{ "null-spin", true, NULL, hardening_null_spin },
	{ "hlt-nmi-wakeup", true, scenario_irq_prepare, hardening_hlt_nmi_wakeup },
	{ "x2apic-broadcast-ff", true, hardening_x2apic_prepare, hardening_x2apic_broadcast_ff },
	{ "mmio-qword", true, hardening_mmio_prepare, hardening_mmio_qword },
};

const struct scenario_list scenario_hardening_list = {
	scenario_hardening_table,
	sizeof(scenario_hardening_table) / sizeof(scenario_hardening_table[0])
};
