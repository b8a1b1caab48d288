/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the VMX glue over a fake CPU and VMCS (fake_cpu.h): exit handlers (vmx/exit.c),
 * the platform's CPUID and MSRs (platform/platform.c), the delivery modes (apicv/delivery.c), the
 * MMIO path (vmx/mmio.c) and the run loop (vmx/run.c), each run unchanged on the host. The sections
 * name the issue-7 defect each group of tests pins down.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apicv/apic_regs.h"
#include "apicv/delivery.h"
#include "apicv/vlapic.h"
#include "boot/x86.h"
#include "devices/vioapic.h"
#include "include/apicvisor/hypercall.h"
#include "include/apicvisor/testdev.h"
#include "vmx/cpuid_policy.h"
#include "vmx/exit.h"
#include "platform/platform.h"
#include "platform/platform_irq.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

#include "fake_cpu.h"
#include "test_util.h"

#define RAM (16ull << 20)
#define INJECTED(type, vector) (INTR_INFO_VALID | (type) << INTR_INFO_TYPE_SHIFT | (vector))
#define GP_INJECTED \
	(INJECTED(INTR_TYPE_HARDWARE_EXCEPTION, VECTOR_GP) | INTR_INFO_DELIVER_ERROR_CODE)
#define UD_INJECTED INJECTED(INTR_TYPE_HARDWARE_EXCEPTION, VECTOR_UD)

/* Where platform_irq_io reports a reset or power-off (none of these accesses asks for one). */
static struct platform_stop stop;

static struct vcpu *v;

static int setup_mode(void **state, const struct vmx_caps *caps, enum apicvisor_mode mode)
{
	(void)state;
	fake_cpu_reset();
	v = fake_vcpu_create(caps, mode, RAM);
	return 0;
}

static int setup(void **state)
{
	return setup_mode(state, &vmx_caps_tigerlake, MODE_APICV);
}

static int setup_emulate(void **state)
{
	return setup_mode(state, &vmx_caps_tigerlake, MODE_EMULATE);
}

static int teardown(void **state)
{
	(void)state;
	fake_vcpu_destroy(v);
	return 0;
}

/* Guest state helpers: the guest in 64-bit mode (IA-32e, CS.L) or 32-bit protected mode. */
static void guest_64bit(void)
{
	fake.vmcs[VMCS_ENTRY_CONTROLS] |= ENTRY_IA32E_MODE_GUEST;
	fake.vmcs[VMCS_GUEST_CS_ACCESS_RIGHTS] = 0xA09B; /* L = 1 */
	v->efer = EFER_LME | EFER_LMA;
	fake.vmcs[VMCS_CR0_READ_SHADOW] = CR0_PE | CR0_PG | CR0_ET;
	fake.vmcs[VMCS_GUEST_CR0] |= CR0_PG;
	fake.vmcs[VMCS_GUEST_CR4] |= CR4_PAE;
}

static enum exit_action exit_with(uint32_t reason, uint64_t qualification, unsigned length)
{
	fake.vmcs[VMCS_EXIT_REASON] = reason;
	fake.vmcs[VMCS_EXIT_QUALIFICATION] = qualification;
	fake.vmcs[VMCS_EXIT_INSTRUCTION_LEN] = length;
	fake.vmcs[VMCS_ENTRY_INTR_INFO] = 0;
	return vmx_handle_exit(v, reason);
}

static void io_out(uint16_t port, uint8_t value)
{
	uint32_t v32 = value;

	platform_irq_io(v, port, 1, false, &v32, &stop);
}

static enum exit_action mov_to_cr(unsigned cr, uint64_t value)
{
	v->gprs.rbx = value;
	/* Table 28-3: CR number, access type 0 (MOV to CR), register 3 (RBX). */
	return exit_with(EXIT_REASON_CR_ACCESS, cr | 0u << 4 | 3u << 8, 3);
}

static uint32_t injected(void)
{
	return (uint32_t)fake.vmcs[VMCS_ENTRY_INTR_INFO];
}

static void set_apic_base(uint64_t value)
{
	v->gprs.rcx = MSR_IA32_APIC_BASE;
	v->gprs.rax = (uint32_t)value;
	v->gprs.rdx = value >> 32;
	exit_with(EXIT_REASON_WRMSR, 0, 2);
	assert_int_equal(injected(), 0);
}

#define X2APIC_ENABLED (0xFEE00000u | APIC_BASE_ENABLE | APIC_BASE_X2APIC_ENABLE | (1u << 8))

/* ---- defect 1: XSETBV, XCR0 and host state ------------------------------------------------- */

static enum exit_action guest_xsetbv(uint32_t ecx, uint64_t value)
{
	v->gprs.rcx = ecx;
	v->gprs.rax = (uint32_t)value;
	v->gprs.rdx = value >> 32;
	return exit_with(EXIT_REASON_XSETBV, 0, 3);
}

static void test_xsetbv_without_osxsave_is_ud(void **state)
{
	uint64_t rip = fake.vmcs[VMCS_GUEST_RIP];

	(void)state;
	assert_int_equal(guest_xsetbv(0, 7), EXIT_ACTION_RESUME);
	assert_int_equal(injected(), UD_INJECTED);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], rip);
	assert_int_equal(v->guest_xcr0, XCR0_X87);
	assert_int_equal(fake.xsetbv_count, 0); /* nothing ran XSETBV in root mode */
}

static void test_xsetbv_checks(void **state)
{
	static const struct {
		uint32_t ecx;
		uint64_t value;
		bool gp;
	} cases[] = {
		{ 0, 0x7, false },       /* x87 | SSE | AVX */
		{ 0, 0x3, false },
		{ 0, 0x1, false },
		{ 0, 0x5, true },        /* AVX without SSE */
		{ 0, 0x2, true },        /* no x87 */
		{ 0, 0x1B, true },       /* MPX: the host has it, the guest's CPUID does not */
		{ 0, 0xE7, true },       /* AVX-512: not on this CPU */
		{ 1, 0x3, true },        /* XCR1 does not exist */
	};

	(void)state;
	mov_to_cr(4, CR4_OSXSAVE); /* owned: the write exits and is emulated */
	assert_int_equal(injected(), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		v->guest_xcr0 = XCR0_X87;
		guest_xsetbv(cases[i].ecx, cases[i].value);
		if (cases[i].gp) {
			assert_int_equal(injected(), GP_INJECTED);
			assert_int_equal(v->guest_xcr0, XCR0_X87);
		} else {
			assert_int_equal(injected(), 0);
			assert_int_equal(v->guest_xcr0, cases[i].value);
		}
	}
	/* CPL 3: #GP. */
	fake.vmcs[VMCS_GUEST_SS_ACCESS_RIGHTS] = 0x60F3;
	guest_xsetbv(0, 3);
	assert_int_equal(injected(), GP_INJECTED);
	assert_int_equal(fake.xsetbv_count, 0);
}

static void fill_xsetbv_avx(struct vcpu *vc, const void *arg)
{
	(void)arg;
	vc->gprs.rax = 7;
	vc->gprs.rcx = 0;
	vc->gprs.rdx = 0;
	fake.vmcs[VMCS_EXIT_REASON] = EXIT_REASON_XSETBV;
	fake.vmcs[VMCS_EXIT_INSTRUCTION_LEN] = 3;
}

static void fill_cpuid_leaf_d(struct vcpu *vc, const void *arg)
{
	(void)arg;
	vc->gprs.rax = 0xD;
	vc->gprs.rcx = 0;
	fake.vmcs[VMCS_EXIT_REASON] = EXIT_REASON_CPUID;
	fake.vmcs[VMCS_EXIT_INSTRUCTION_LEN] = 2;
}

static void fill_ping(struct vcpu *vc, const void *arg)
{
	(void)arg;
	vc->gprs.rax = 0x41500001u; /* APICVISOR_HC_PING */
	fake.vmcs[VMCS_EXIT_REASON] = EXIT_REASON_VMCALL;
	fake.vmcs[VMCS_EXIT_INSTRUCTION_LEN] = 3;
}

static void run_pings(unsigned n)
{
	static const struct fake_exit ping = { fill_ping, NULL };
	static struct fake_exit script[8];

	for (unsigned i = 0; i < n; i++)
		script[i] = ping;
	fake.script = script;
	fake.script_length = n;
	fake.script_next = 0;
	fake.entry_count = 0;
	v->end = 0;
	vmx_run(v);
}

/* The guest's XCR0 is in the CPU from VM entry to VM exit, the host's in between. */
static void test_xcr0_switched_around_entry(void **state)
{
	static const struct fake_exit script[] = { { fill_xsetbv_avx, NULL },
						   { fill_cpuid_leaf_d, NULL } };

	(void)state;
	mov_to_cr(4, CR4_OSXSAVE);
	fake.script = script;
	fake.script_length = ARRAY_SIZE(script);
	vmx_run(v);
	assert_int_equal(fake.entry_count, 3);
	assert_int_equal(fake.entries[0].xcr0, XCR0_X87);        /* the guest's reset value */
	assert_int_equal(fake.entries[1].xcr0, 7);               /* after its XSETBV */
	assert_int_equal(fake.entries[2].xcr0, 7);
	assert_int_equal(fake.xcr0, XCR0_X87 | XCR0_SSE);        /* the host's again */
	/* CPUID.(0DH,0) as the guest saw it: components x87|SSE|AVX, EBX for its XCR0 (AVX on),
	 * ECX for all of them. */
	assert_int_equal(v->gprs.rax, 7);
	assert_int_equal(v->gprs.rbx, 576 + 256);
	assert_int_equal(v->gprs.rcx, 576 + 256);
}

/* A guest without CR4.OSXSAVE runs on the host's XCR0: no XSETBV on its entries and exits. */
static void test_xcr0_not_switched_without_osxsave(void **state)
{
	(void)state;
	run_pings(1);
	assert_int_equal(fake.entries[0].xcr0, XCR0_X87 | XCR0_SSE);
	assert_int_equal(fake.entries[1].xcr0, XCR0_X87 | XCR0_SSE);
	assert_int_equal(fake.xsetbv_count, 0);
}

/* ---- defect 3: control words within the capabilities --------------------------------------- */

static void test_x2apic_guest_without_x2apic_virtualization(void **state)
{
	struct vmx_caps caps = vmx_caps_tigerlake;

	(void)state;
	fake_vcpu_destroy(v);
	caps.procbased2 &= ~((uint64_t)PROC2_VIRTUALIZE_X2APIC_MODE << 32);
	fake_cpu_reset();
	v = fake_vcpu_create(&caps, MODE_APICV, RAM);
	assert_int_equal(v->apic_mode, MODE_APICV);
	v->launched = true;
	/* The guest enables x2APIC mode: apicv needs "virtualize x2APIC mode", which this CPU
	 * lacks; the mode drops to tpr-shadow, with the reason, and no control word asks for it. */
	set_apic_base(X2APIC_ENABLED);
	assert_int_equal(v->apic_mode, MODE_TPR_SHADOW);
	assert_false(fake.vmcs[VMCS_SECONDARY_CONTROLS] & PROC2_VIRTUALIZE_X2APIC_MODE);
	assert_false(fake.vmcs[VMCS_SECONDARY_CONTROLS] & PROC2_VIRTUAL_INTERRUPT_DELIVERY);
	assert_true(fake.vmcs[VMCS_PRIMARY_CONTROLS] & PROC_USE_TPR_SHADOW);
	assert_has(fake.log, "lowered to tpr-shadow: this CPU has no virtualize x2APIC mode");
	/* Every x2APIC MSR exits (no MSR reaches the physical APIC). */
	uint8_t *bitmap = (uint8_t *)v->msr_bitmap;

	for (uint32_t msr = 0x800; msr <= 0x8FF; msr++) {
		assert_true(bitmap[(msr & 0x1FFF) / 8] & (1u << (msr % 8)));
		assert_true(bitmap[2048 + (msr & 0x1FFF) / 8] & (1u << (msr % 8)));
	}
	/* The TPR through its MSR still works (emulated). */
	v->gprs.rcx = 0x808;
	v->gprs.rax = 0x50;
	exit_with(EXIT_REASON_WRMSR, 0, 2);
	assert_int_equal(injected(), 0);
	assert_int_equal(vlapic_tpr(v->vlapic), 0x50);
}

/* ---- defect 4: when the null-hypercall fast path may run ------------------------------------ */

static void test_null_fast_path_allowed(void **state)
{
	(void)state;
	/* 64-bit guest: allowed (the stub loads the preemption timer itself). */
	guest_64bit();
	run_pings(1);
	assert_int_equal(fake.entries[0].null_fast_path_allowed, 1);
	/* Outside IA-32e mode RIP wraps at 4 GiB: C only. */
	fake.vmcs[VMCS_ENTRY_CONTROLS] &= ~(uint64_t)ENTRY_IA32E_MODE_GUEST;
	run_pings(1);
	assert_int_equal(fake.entries[0].null_fast_path_allowed, 0);
}

/* The C path wraps RIP at 4 GiB outside 64-bit mode (what the fast path used to skip). */
static void test_rip_wraps_outside_64bit_mode(void **state)
{
	(void)state;
	fake.vmcs[VMCS_GUEST_RIP] = 0xFFFFFFFDu;
	v->gprs.rax = 0x41500001u;
	exit_with(EXIT_REASON_VMCALL, 0, 3);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], 0);
	guest_64bit();
	fake.vmcs[VMCS_GUEST_RIP] = 0xFFFFFFFDu;
	v->gprs.rax = 0x41500001u;
	exit_with(EXIT_REASON_VMCALL, 0, 3);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], 0x100000000ull);
}

/* ---- defect 5: VPID flushed when an emulated instruction changes paging --------------------- */


static void test_cr0_paging_change_flushes_vpid(void **state)
{
	(void)state;
	assert_int_not_equal(v->vpid, 0);
	/* Paging on (32-bit, no PAE): the guest's cached translations must go. */
	mov_to_cr(0, CR0_PE | CR0_ET | CR0_PG);
	assert_int_equal(injected(), 0);
	assert_int_equal(fake.invvpid_count, 1);
	assert_int_equal(fake.invvpid_last_type, INVVPID_SINGLE_CONTEXT);
	assert_int_equal(fake.invvpid_last_vpid, v->vpid);
	/* A write that changes nothing translation-related does not flush. */
	mov_to_cr(0, CR0_PE | CR0_ET | CR0_PG | CR0_NE);
	assert_int_equal(fake.invvpid_count, 1);
	/* Paging off again: flushed. */
	mov_to_cr(0, CR0_PE | CR0_ET);
	assert_int_equal(fake.invvpid_count, 2);
}

/* ---- defect 6: CPUID shows only what is backed ----------------------------------------------- */

static void guest_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	v->gprs.rax = leaf;
	v->gprs.rcx = subleaf;
	exit_with(EXIT_REASON_CPUID, 0, 2);
	r[0] = (uint32_t)v->gprs.rax;
	r[1] = (uint32_t)v->gprs.rbx;
	r[2] = (uint32_t)v->gprs.rcx;
	r[3] = (uint32_t)v->gprs.rdx;
}

static void test_cpuid_hides_unbacked_features(void **state)
{
	uint32_t r[4];

	(void)state;
	guest_cpuid(7, 0, r);
	assert_false(r[1] & (1u << 14));   /* MPX */
	assert_false(r[1] & (1u << 25));   /* PT */
	assert_true(r[1] & (1u << 1));     /* TSC_ADJUST: emulated (issue 9) */
	assert_false(r[2] & (1u << 16));   /* LA57 */
	assert_false(r[3] & (1u << 26));   /* IBRS/IBPB */
	assert_true(r[1] & (1u << 5));     /* AVX2 stays */
	assert_true(r[3] & (1u << 4));     /* FSRM stays: MISC_ENABLE reports fast strings */
	guest_cpuid(0xD, 1, r);
	assert_false(r[0] & (1u << 3));    /* XSAVES */
	assert_int_equal(r[2], 0);         /* no IA32_XSS components */
	guest_cpuid(0xD, 0, r);
	assert_int_equal(r[0], 0x7);       /* no MPX components */
	guest_cpuid(0xD, 3, r);            /* the BNDCSR component: not shown */
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	guest_cpuid(1, 0, r);
	assert_false(r[2] & (1u << 5));    /* VMX */
	assert_false(r[2] & (1u << 15));   /* PDCM */
	assert_false(r[2] & (1u << 27));   /* OSXSAVE: the guest's CR4 has it clear */
	assert_true(r[2] & (1u << 31));    /* hypervisor */
	assert_false(r[3] & (1u << 12));   /* MTRR */
	assert_true(r[3] & (1u << 16));    /* PAT: VM entry and exit switch IA32_PAT here */
	mov_to_cr(4, CR4_OSXSAVE);
	guest_cpuid(1, 0, r);
	assert_true(r[2] & (1u << 27));
	/* One MAXPHYADDR: what CPUID says is what the vLAPIC checks IA32_APIC_BASE against. */
	guest_cpuid(0x80000008u, 0, r);
	assert_int_equal(r[0] & 0xFF, 39);
	/* The maximum basic leaf; leaves past it answer as the highest basic leaf does. */
	guest_cpuid(0, 0, r);
	assert_int_equal(r[0], CPUID_GUEST_MAX_BASIC_LEAF);
	uint32_t highest[4];

	guest_cpuid(CPUID_GUEST_MAX_BASIC_LEAF, 0, highest);
	guest_cpuid(0x20, 0, r);
	assert_memory_equal(r, highest, sizeof(highest));
	assert_int_equal(r[0], 4); /* leaf 16H: the TSC's MHz (4 MHz here) */
}

/* Whether a guest RDMSR or WRMSR of `msr` (of `value`) raises #GP under the platform: the MSR
 * bitmap lets it through to the CPU (never #GP here), or the handler emulates it. */
static bool msr_faults(uint32_t msr, bool write, uint64_t value)
{
	uint8_t *bitmap = (uint8_t *)v->msr_bitmap;
	unsigned offset = (msr >= 0xC0000000u ? 1024 : 0) + (write ? 2048 : 0);

	if (!(bitmap[offset + (msr & 0x1FFF) / 8] & (1u << (msr % 8))))
		return false; /* passed through: the CPU has it */
	uint64_t rip = fake.vmcs[VMCS_GUEST_RIP];

	v->gprs.rcx = msr;
	v->gprs.rax = (uint32_t)value;
	v->gprs.rdx = value >> 32;
	exit_with(write ? EXIT_REASON_WRMSR : EXIT_REASON_RDMSR, 0, 2);
	assert_int_equal(v->end, GUEST_END_RUNNING);
	if (injected() == GP_INJECTED) {
		assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], rip);
		return true;
	}
	assert_int_equal(injected(), 0);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], rip + 2);
	return false;
}

/* The architectural access of an MSR a shown feature brings (SDM Vol. 3A §11.12.1.2, Table
 * 11-6 for the x2APIC ones): where hardware has no #GP, the platform must have none either. */
struct msr_access {
	uint32_t msr;
	bool readable, writable;
	uint64_t value;               /* a harmless value to write */
};

static const struct msr_access msr_accesses[] = {
	{ 0x802, true, false, 0 },               /* x2APIC ID: read-only */
	{ 0x80B, false, true, 0 },               /* EOI: write-only */
	{ 0x830, true, true, 0x40 | 1ull << 18 }, /* ICR: fixed, self */
	{ 0x83F, false, true, 0x40 },            /* SELF IPI: write-only */
	{ 0x179, true, false, 0 },               /* IA32_MCG_CAP: read-only */
};

/* The rule of vmx/cpuid_policy.c: every MSR a shown feature brings is handled by the platform
 * as the architecture defines it; readable MSRs are written back with the value read. */
static void test_cpuid_table_against_msr_handlers(void **state)
{
	(void)state;
	/* x2APIC MSRs exist in x2APIC mode. */
	set_apic_base(X2APIC_ENABLED);
	for (size_t i = 0; i < cpuid_feature_count; i++) {
		const struct cpuid_feature *f = &cpuid_features[i];

		for (unsigned m = 0; m < CPUID_FEATURE_MAX_MSRS && f->msrs[m]; m++) {
			struct msr_access a = { f->msrs[m], true, true, 0 };
			bool read_faults;

			for (size_t k = 0; k < ARRAY_SIZE(msr_accesses); k++) {
				if (msr_accesses[k].msr == a.msr)
					a = msr_accesses[k];
			}
			v->gprs.rax = v->gprs.rdx = 0;
			read_faults = msr_faults(a.msr, false, 0);
			if (read_faults != !a.readable)
				fail_msg("%s: RDMSR %#x %s #GP", f->name, a.msr,
					 read_faults ? "raises" : "does not raise");
			if (a.readable)
				a.value = (uint64_t)v->gprs.rdx << 32 | (uint32_t)v->gprs.rax;
			if (msr_faults(a.msr, true, a.value) != !a.writable)
				fail_msg("%s: WRMSR %#x of %#llx %s #GP", f->name, a.msr,
					 (unsigned long long)a.value, a.writable ? "raises" : "does not raise");
		}
	}
}

/* CR4 bits of hidden features exit and raise #GP even where the CPU itself has them. */
static void test_cr4_hidden_feature_bits(void **state)
{
	uint64_t mask = fake.vmcs[VMCS_CR4_GUEST_HOST_MASK];

	(void)state;
	assert_true(mask & (1ull << 12));  /* LA57 */
	assert_true(mask & CR4_VMXE);
	assert_true(mask & CR4_OSXSAVE);   /* owned: XCR0 is switched only while it is set */
	mov_to_cr(4, 1ull << 12);
	assert_int_equal(injected(), GP_INJECTED);
	assert_int_equal(fake.vmcs[VMCS_CR4_READ_SHADOW], 0);
}

/* ---- defect 8: NMI re-injection, PDPTEs, 32-bit operands ------------------------------------ */

static void fill_exit_during_nmi_delivery(struct vcpu *vc, const void *arg)
{
	(void)vc;
	(void)arg;
	/* An EPT violation on the IDT while the CPU delivered an NMI: virtual-NMI blocking is set
	 * (SDM Vol. 3C §28.2.3, "blocking by NMI"). */
	fake.vmcs[VMCS_EXIT_REASON] = EXIT_REASON_EXTERNAL_INTERRUPT;
	fake.vmcs[VMCS_EXIT_INTR_INFO] = 0;
	fake.vmcs[VMCS_IDT_VECTORING_INFO] = INJECTED(INTR_TYPE_NMI, 2);
	fake.vmcs[VMCS_GUEST_INTERRUPTIBILITY] = INTERRUPTIBILITY_NMI_BLOCKING;
}

static void test_nmi_requeue_clears_nmi_blocking(void **state)
{
	static const struct fake_exit script[] = { { fill_exit_during_nmi_delivery, NULL } };

	(void)state;
	fake.script = script;
	fake.script_length = 1;
	vmx_run(v);
	/* The second entry re-injects the NMI with blocking by NMI clear (SDM Vol. 3C
	 * §26.3.1.5: VM entry fails otherwise). */
	assert_int_equal(fake.entry_count, 2);
	assert_int_equal(fake.entries[1].entry_intr_info, INJECTED(INTR_TYPE_NMI, 2));
	assert_false(fake.entries[1].interruptibility & INTERRUPTIBILITY_NMI_BLOCKING);
}

static void test_pae_pdpte_reserved_bits_gp(void **state)
{
	uint64_t *pdpt = (uint64_t *)(v->guest->ram + 0x5000);

	(void)state;
	fake.vmcs[VMCS_GUEST_CR3] = 0x5000;
	fake.vmcs[VMCS_GUEST_CR4] |= CR4_PAE;
	pdpt[0] = 0x6000 | 1;
	pdpt[1] = 0x7000 | 1 | (1ull << 5);   /* bit 5: reserved in a PAE PDPTE */
	pdpt[2] = 0;
	pdpt[3] = 0;
	mov_to_cr(0, CR0_PE | CR0_ET | CR0_PG);
	assert_int_equal(injected(), GP_INJECTED);
	assert_false(fake.vmcs[VMCS_CR0_READ_SHADOW] & CR0_PG);
	assert_int_equal(v->end, 0);
	/* Bits above MAXPHYADDR (39) are reserved too; a PDPT outside RAM reads all ones. */
	pdpt[1] = 1ull << 45 | 1;
	mov_to_cr(0, CR0_PE | CR0_ET | CR0_PG);
	assert_int_equal(injected(), GP_INJECTED);
	fake.vmcs[VMCS_GUEST_CR3] = RAM + 0x1000;
	mov_to_cr(0, CR0_PE | CR0_ET | CR0_PG);
	assert_int_equal(injected(), GP_INJECTED);
	/* Valid PDPTEs: loaded into the VMCS, paging on. */
	fake.vmcs[VMCS_GUEST_CR3] = 0x5000;
	pdpt[1] = 0x7000 | 1;
	mov_to_cr(0, CR0_PE | CR0_ET | CR0_PG);
	assert_int_equal(injected(), 0);
	assert_int_equal(fake.vmcs[VMCS_GUEST_PDPTE0 + 2], 0x7001);
	assert_true(fake.vmcs[VMCS_CR0_READ_SHADOW] & CR0_PG);
}

static void test_mov_cr0_operand_is_32_bits_outside_64bit_mode(void **state)
{
	(void)state;
	/* A 32-bit guest's RBX may hold anything above bit 31 (left from another mode). */
	mov_to_cr(0, 0xDEAD000000000000ull | CR0_PE | CR0_ET | CR0_NE);
	assert_int_equal(injected(), 0);
	assert_int_equal(fake.vmcs[VMCS_CR0_READ_SHADOW], CR0_PE | CR0_ET | CR0_NE);
	/* In 64-bit mode the same value is a reserved-bit #GP. */
	guest_64bit();
	mov_to_cr(0, 0xDEAD000000000000ull | CR0_PE | CR0_ET | CR0_PG);
	assert_int_equal(injected(), GP_INJECTED);
}

/* ---- defect 9: destination 0xFF is a broadcast in x2APIC mode --------------------------------- */

static void test_ioapic_ff_broadcast_in_x2apic_mode(void **state)
{
	(void)state;
	set_apic_base(X2APIC_ENABLED);
	v->gprs.rcx = 0x80F; /* SVR: software-enable */
	v->gprs.rax = 0x1FF;
	exit_with(EXIT_REASON_WRMSR, 0, 2);
	assert_true(vlapic_x2apic_mode(v->vlapic));
	/* An MSI with the xAPIC broadcast destination 0xFF (address bits 19:12). */
	v->gprs.rax = 0xFEEFF000u;
	v->gprs.rdx = 0;
	/* The test device's MSI ports carry it (include/apicvisor/testdev.h). */
	uint32_t address = 0xFEEFF000u, data = 0x61;

	platform_irq_io(v, 0x2210, 4, false, &address, &stop);
	platform_irq_io(v, 0x2214, 4, false, &data, &stop);
	data = 1;
	platform_irq_io(v, 0x2218, 1, false, &data, &stop);
	assert_int_equal(vlapic_highest_irr(v->vlapic), 0x61);
}

/* ---- defect 10: HLT ---------------------------------------------------------------------- */

static void test_hlt_if0_with_timer_halts_until_it(void **state)
{
	(void)state;
	fake.vmcs[VMCS_GUEST_RFLAGS] = 0x2; /* IF = 0 */
	/* A one-shot vLAPIC timer is armed: its LVT could be an NMI source (LINT-style routing)
	 * or the PIT could be routed as an NMI; the guest waits in HLT. */
	vlapic_mmio_write(v->vlapic, APIC_SVR, 4, 0x1FF);
	vlapic_mmio_write(v->vlapic, APIC_LVT_TIMER, 4, 0x40);
	vlapic_mmio_write(v->vlapic, APIC_TIMER_INITIAL_COUNT, 4, 100000);
	assert_int_equal(exit_with(EXIT_REASON_HLT, 0, 1), EXIT_ACTION_RESUME);
	assert_int_equal(fake.vmcs[VMCS_GUEST_ACTIVITY_STATE], ACTIVITY_STATE_HLT);
	/* Nothing armed: nothing can wake it. */
	vlapic_mmio_write(v->vlapic, APIC_TIMER_INITIAL_COUNT, 4, 0);
	fake.vmcs[VMCS_GUEST_ACTIVITY_STATE] = ACTIVITY_STATE_ACTIVE;
	assert_int_equal(exit_with(EXIT_REASON_HLT, 0, 1), EXIT_ACTION_STOP);
	assert_int_equal(v->end, GUEST_END_HALTED);
	assert_has(v->end_detail, "interrupts disabled, nothing pending and no timer armed");
}

static void test_hlt_if0_with_nmi_pending_resumes(void **state)
{
	(void)state;
	fake.vmcs[VMCS_GUEST_RFLAGS] = 0x2;
	v->nmi_pending = true;
	assert_int_equal(exit_with(EXIT_REASON_HLT, 0, 1), EXIT_ACTION_RESUME);
	assert_int_equal(fake.vmcs[VMCS_GUEST_ACTIVITY_STATE], ACTIVITY_STATE_ACTIVE);
}

static void test_hlt_without_preemption_timer_is_a_clear_stop(void **state)
{
	(void)state;
	v->preemption_timer = false;
	fake.vmcs[VMCS_GUEST_RFLAGS] = 0x202;
	vlapic_mmio_write(v->vlapic, APIC_SVR, 4, 0x1FF);
	vlapic_mmio_write(v->vlapic, APIC_LVT_TIMER, 4, 0x40);
	vlapic_mmio_write(v->vlapic, APIC_TIMER_INITIAL_COUNT, 4, 100000);
	assert_int_equal(exit_with(EXIT_REASON_HLT, 0, 1), EXIT_ACTION_STOP);
	assert_has(v->end_detail, "no VMX-preemption timer");
}

/* ---- defect 13: 8-byte MMIO ---------------------------------------------------------------- */

/* Guest code at `rip` in RAM (paging off: RIP is the physical address). */
static void guest_code(uint64_t rip, const uint8_t *bytes, size_t n)
{
	memcpy(v->guest->ram + rip, bytes, n);
	fake.vmcs[VMCS_GUEST_RIP] = rip;
	fake.vmcs[VMCS_GUEST_CS_BASE] = 0;
	fake.vmcs[VMCS_GUEST_CS_ACCESS_RIGHTS] = 0xA09B;
}

/* 4-level identity paging of the first 2 MiB (the code) and of 0xFEC00000 (the IOAPIC), with
 * 2 MiB pages, in guest RAM at 0x10000-0x13FFF. */
static void guest_identity_paging(void)
{
	uint64_t *pml4 = (uint64_t *)(v->guest->ram + 0x10000);
	uint64_t *pdpt = (uint64_t *)(v->guest->ram + 0x11000);
	uint64_t *pd_low = (uint64_t *)(v->guest->ram + 0x12000);
	uint64_t *pd_high = (uint64_t *)(v->guest->ram + 0x13000);

	pml4[0] = 0x11000 | 3;
	pdpt[0] = 0x12000 | 3;
	pdpt[3] = 0x13000 | 3;
	pd_low[0] = 0 | 0x83;
	pd_high[(0xFEC00000u >> 21) & 511] = 0xFEC00000u | 0x83;
	fake.vmcs[VMCS_GUEST_CR3] = 0x10000;
}

static void test_mmio_qword_carries_64_bits(void **state)
{
	/* mov rax, [rbx] (REX.W 8B 03) and mov [rbx], rax (REX.W 89 03) */
	static const uint8_t load[] = { 0x48, 0x8B, 0x03 }, store[] = { 0x48, 0x89, 0x03 };

	(void)state;
	guest_64bit();
	guest_identity_paging();
	/* IOREGSEL (0x00) := 0x10 (RTE 0 low) with one 8-byte store: the high dword lands at
	 * offset 0x04, reserved, where the IOAPIC ignores it. */
	v->gprs.rbx = 0xFEC00000u;
	v->gprs.rax = 0x0000000500000010ull;
	guest_code(0x1000, store, sizeof(store));
	fake.vmcs[VMCS_GUEST_PHYSICAL_ADDRESS] = 0xFEC00000u;
	exit_with(EXIT_REASON_EPT_VIOLATION, 2 /* write */, 3);
	if (v->end)
		fail_msg("stopped: %s", v->end_detail);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], 0x1003);
	/* An 8-byte load of IOWIN (0x10): all 64 bits reach RAX. */
	v->gprs.rbx = 0xFEC00010u;
	v->gprs.rax = 0xAAAAAAAAAAAAAAAAull;
	guest_code(0x1000, load, sizeof(load));
	fake.vmcs[VMCS_GUEST_PHYSICAL_ADDRESS] = 0xFEC00010u;
	exit_with(EXIT_REASON_EPT_VIOLATION, 1 /* read */, 3);
	if (v->end)
		fail_msg("stopped: %s", v->end_detail);
	/* Low dword: RTE 0 low (masked after reset: bit 16); high dword: offset 0x14, which the
	 * IOAPIC model reads as 0 (not the stale 0xAAAAAAAA the 32-bit path left). */
	assert_int_equal((uint32_t)v->gprs.rax, 0x10000);
	assert_int_equal(v->gprs.rax >> 32, 0);
}

/* ---- the APIC page in EPT ------------------------------------------------------------------ */

static uint64_t ept_entry(uint64_t gpa)
{
	return fake_ept_entry(v, gpa);
}


/* Emulate mode: an APIC base moved onto RAM hides that RAM page (SDM Vol. 3A §11.4.5), so its
 * accesses trap; moved away, the RAM comes back. (Found by the isolation probes.) */
static void test_emulate_apic_base_on_ram_traps(void **state)
{
	uint64_t ram_page = (uint64_t)(uintptr_t)v->guest->ram + 0x200000;

	(void)state;
	assert_int_equal(ept_entry(0x200000) & ~0xFFFull, ram_page);
	set_apic_base(0x200000 | APIC_BASE_ENABLE | (1u << 8));
	assert_int_equal(ept_entry(0x200000), 0);
	set_apic_base(0xFEE00000u | APIC_BASE_ENABLE | (1u << 8));
	assert_int_equal(ept_entry(0x200000) & ~0xFFFull, ram_page);
	assert_int_equal(ept_entry(0xFEE00000u), 0); /* emulate: nothing there either */
}

/* tpr-shadow and up: disabling the APIC (EN = 0) and enabling it again in xAPIC mode maps the
 * APIC-access page again (the way back from x2APIC mode). */
static void test_apic_access_page_follows_enable(void **state)
{
	uint64_t access = (uint64_t)(uintptr_t)v->apic_pages.apic_access_page;

	(void)state;
	assert_int_equal(ept_entry(0xFEE00000u) & ~0xFFFull, access);
	set_apic_base(0xFEE00000u | (1u << 8));               /* disabled */
	assert_int_equal(ept_entry(0xFEE00000u), 0);
	set_apic_base(0xFEE00000u | APIC_BASE_ENABLE | (1u << 8));
	assert_int_equal(ept_entry(0xFEE00000u) & ~0xFFFull, access);
	assert_true(fake.vmcs[VMCS_SECONDARY_CONTROLS] & PROC2_VIRTUALIZE_APIC_ACCESSES);
	/* In the vCPU's own EPT root (the VMCS's EPTP), not in the tables the vCPUs share: another
	 * vCPU's APIC base and mode are its own. */
	assert_int_equal(fake.vmcs[VMCS_EPT_POINTER], v->eptp);
	assert_int_not_equal(v->eptp, v->guest->ept_pointer);
	{
		static struct vcpu shared_view;

		shared_view.eptp = v->guest->ept_pointer;
		assert_int_equal(fake_ept_entry(&shared_view, 0xFEE00000u), 0);
	}
}

/* A deadline already past after an exit's timer work (a PIT period shorter than an exit) gives
 * the guest a 20 us slice instead of an immediate exit; a future one is loaded as it is.
 * (Found by the reliability suite's pit-short-period.) */
static void test_overdue_deadline_gives_a_slice(void **state)
{
	(void)state;
	/* The PIT: mode 2, count 2 (1.7 us, far below one exit). */
	io_out(0x43, 0x34);
	io_out(0x40, 2);
	io_out(0x40, 0);
	fake.tsc += 1000000; /* long past its next edge */
	assert_true(vmx_timer_reload(v));
	/* 4 MHz TSC, rate 0 ('tigerlake' MISC[4:0] = 0): 20 us = 80 ticks. */
	assert_int_equal(fake.vmcs[VMCS_PREEMPTION_TIMER_VALUE], 80);
	/* The vLAPIC timer 100000 counts (divide by 2 after reset: 200000 cycles) ahead, the PIT
	 * stopped: loaded as is. */
	io_out(0x43, 0x30);
	vlapic_mmio_write(v->vlapic, APIC_SVR, 4, 0x1FF);
	vlapic_mmio_write(v->vlapic, APIC_LVT_TIMER, 4, 0x40);
	vlapic_mmio_write(v->vlapic, APIC_TIMER_INITIAL_COUNT, 4, 100000);
	assert_true(vmx_timer_reload(v));
	assert_in_range(fake.vmcs[VMCS_PREEMPTION_TIMER_VALUE], 199000, 200000);
}

/* A ping that took the guest and the exit 10000 TSC cycles. */
static void fill_slow_ping(struct vcpu *vc, const void *arg)
{
	fill_ping(vc, arg);
	fake.tsc += 10000;
}

/* The VMX-preemption timer counts only in VMX non-root operation (SDM Vol. 3C §26.5.1), so
 * each entry loads it for the deadline from that entry's TSC, whether or not a timer moved: a
 * count carried across exits would fire late by their root-mode time (the RTC's periodic ticks
 * came 4700 cycles late in Bochs, after three exits per tick). */
static void test_preemption_timer_loaded_for_the_deadline_at_every_entry(void **state)
{
	static const struct fake_exit slow_ping = { fill_slow_ping, NULL };
	static const struct fake_exit script[] = { slow_ping, slow_ping, slow_ping };

	(void)state;
	vlapic_mmio_write(v->vlapic, APIC_SVR, 4, 0x1FF);
	vlapic_mmio_write(v->vlapic, APIC_LVT_TIMER, 4, 0x40);
	vlapic_mmio_write(v->vlapic, APIC_TIMER_INITIAL_COUNT, 4, 100000); /* 200000 cycles */
	fake.tsc_step = 0;
	fake.script = script;
	fake.script_length = 3;
	fake.script_next = 0;
	fake.entry_count = 0;
	v->end = 0;
	vmx_run(v);
	assert_int_equal(fake.entry_count, 4);
	assert_in_range(fake.entries[0].preemption_timer, 190000, 200000);
	for (unsigned i = 1; i < 4; i++)
		assert_int_equal(fake.entries[i - 1].preemption_timer -
					 fake.entries[i].preemption_timer,
				 10000);
}

/* The instruction behind an MMIO exit can no longer be fetched (the guest unmapped its page
 * under a stale TLB entry): #PF with CR2 and the walk's error code, not a stop. */
static void test_mmio_fetch_fault_is_a_page_fault(void **state)
{
	uint64_t *pd_low = (uint64_t *)(v->guest->ram + 0x12000);

	(void)state;
	guest_64bit();
	guest_identity_paging();
	pd_low[0] = 0; /* the code's 2 MiB page: not present */
	fake.vmcs[VMCS_GUEST_RIP] = 0x1000;
	v->gprs.rbx = 0xFEC00000u;
	fake.vmcs[VMCS_GUEST_PHYSICAL_ADDRESS] = 0xFEC00000u;
	exit_with(EXIT_REASON_EPT_VIOLATION, 2, 3);
	assert_int_equal(v->end, GUEST_END_RUNNING);
	assert_int_equal(injected(), INJECTED(INTR_TYPE_HARDWARE_EXCEPTION, VECTOR_PF) |
					 INTR_INFO_DELIVER_ERROR_CODE);
	assert_int_equal(fake.vmcs[VMCS_ENTRY_EXCEPTION_ERROR_CODE], 0); /* not present, read */
	assert_int_equal(v->gprs.cr2, 0x1000);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], 0x1000);
}

/* testdev=off: the test device's ports are as empty as any other. */
static void test_testdev_off(void **state)
{
	uint32_t value = 1;

	(void)state;
	assert_true(platform_irq_io(v, TESTDEV_PORT_LINE(5), 1, false, &value, &stop));
	platform_irq_destroy();
	platform_irq_init(v, 4000000, false, 1, 0);
	assert_false(platform_irq_io(v, TESTDEV_PORT_LINE(5), 1, false, &value, &stop));
	assert_false(platform_irq_io(v, TESTDEV_PORT_MSI_SEND, 1, false, &value, &stop));
	v->gprs.rax = 0;
	exit_with(EXIT_REASON_IO_INSTRUCTION, 8 | (uint64_t)TESTDEV_PORT_LINE(5) << 16, 1);
	assert_int_equal(v->gprs.rax & 0xFF, 0xFF); /* IN8: all ones */
}

/* Posted mode uses the CPU's posted-interrupt processing exactly where the capability predicate
 * says so (vmx_caps_posted_in_hardware), with the notification vector and descriptor. */
static void test_posted_in_hardware_decision(void **state)
{
	struct vmx_caps caps = vmx_caps_tigerlake;

	(void)state;
	fake_vcpu_destroy(v);
	caps.pinbased |= (uint64_t)PIN_POSTED_INTERRUPTS << 32;
	fake_cpu_reset();
	v = fake_vcpu_create(&caps, MODE_POSTED, RAM);
	assert_true(vmx_caps_posted_in_hardware(&caps));
	assert_true(v->pi_hardware);
	assert_true(fake.vmcs[VMCS_PIN_BASED_CONTROLS] & PIN_POSTED_INTERRUPTS);
	assert_int_equal(fake.vmcs[VMCS_POSTED_INTR_NV], POSTED_INTERRUPT_VECTOR);
	assert_int_equal(fake.vmcs[VMCS_POSTED_INTR_DESC_ADDR],
			 (uint64_t)(uintptr_t)v->apic_pages.pi_desc);
	/* apicv on the same CPU: no posting. */
	apic_set_mode(v, MODE_APICV);
	assert_false(v->pi_hardware);
	assert_false(fake.vmcs[VMCS_PIN_BASED_CONTROLS] & PIN_POSTED_INTERRUPTS);
	/* Without the capability (the fixture's 'tigerlake'): software. */
	fake_vcpu_destroy(v);
	fake_cpu_reset();
	v = fake_vcpu_create(&vmx_caps_tigerlake, MODE_POSTED, RAM);
	assert_int_equal(v->pi_hardware, vmx_caps_posted_in_hardware(&vmx_caps_tigerlake));
	assert_false(fake.vmcs[VMCS_PIN_BASED_CONTROLS] & PIN_POSTED_INTERRUPTS);
}

/* tpr-shadow: the TPR threshold is the class of the highest interrupt the TPR holds back, 0 when
 * nothing is held back (SDM Vol. 3C §30.1.2). */
static void test_tpr_threshold(void **state)
{
	(void)state;
	assert_int_equal(apic_set_mode(v, MODE_TPR_SHADOW), MODE_TPR_SHADOW);
	vlapic_mmio_write(v->vlapic, APIC_SVR, 4, 0x1FF);
	vlapic_set_tpr(v->vlapic, 0x80);
	vlapic_set_irq(v->vlapic, 0x61, false);
	fake.vmcs[VMCS_GUEST_RFLAGS] = 0x202;
	apic_before_entry(v);
	assert_int_equal(injected(), 0);
	assert_int_equal(fake.vmcs[VMCS_TPR_THRESHOLD], 6);
	vlapic_set_tpr(v->vlapic, 0x50);
	apic_before_entry(v);
	assert_int_equal(injected(), INJECTED(INTR_TYPE_EXTERNAL, 0x61));
	assert_int_equal(fake.vmcs[VMCS_TPR_THRESHOLD], 0);
}

/* The APIC base at guest-physical 0 and back: page 0 is RAM again, nothing stays mapped there
 * (0 is a base like any other, not "none"). Found by review. */
static void test_apic_base_zero_round_trip(void **state)
{
	uint64_t access = (uint64_t)(uintptr_t)v->apic_pages.apic_access_page;
	uint64_t ram0 = (uint64_t)(uintptr_t)v->guest->ram;

	(void)state;
	set_apic_base(APIC_BASE_ENABLE | (1u << 8));
	assert_int_equal(ept_entry(0) & ~0xFFFull, access);
	assert_int_equal(ept_entry(0xFEE00000u), 0);
	set_apic_base(0xFEE00000u | APIC_BASE_ENABLE | (1u << 8));
	assert_int_equal(ept_entry(0) & ~0xFFFull, ram0);
	assert_int_equal(ept_entry(0xFEE00000u) & ~0xFFFull, access);
	/* To 0 again, then x2APIC mode: no APIC-access page anywhere, RAM back at 0. */
	set_apic_base(APIC_BASE_ENABLE | (1u << 8));
	set_apic_base(APIC_BASE_ENABLE | APIC_BASE_X2APIC_ENABLE | (1u << 8));
	assert_int_equal(ept_entry(0) & ~0xFFFull, ram0);
	/* A base at or above the guest's MAXPHYADDR (39 here; never above EPT's 48): #GP. */
	v->gprs.rcx = MSR_IA32_APIC_BASE;
	v->gprs.rax = 0xFEE00000u | APIC_BASE_ENABLE | (1u << 8);
	v->gprs.rdx = 1u << (39 - 32);
	exit_with(EXIT_REASON_WRMSR, 0, 2);
	assert_int_equal(injected(), GP_INJECTED);
}

/* The guest's TSC set far away: a TSC deadline already behind the guest's TSC is due now, one
 * ahead is as far ahead in host time, whatever the offset. Found by review. */
static void test_tsc_offset_and_deadlines(void **state)
{
	uint64_t host_now, deadline;

	(void)state;
	fake.tsc_step = 0;
	v->gprs.rcx = MSR_IA32_TSC;
	v->gprs.rax = 0;
	v->gprs.rdx = 0x80000000u; /* guest TSC := 2^63 */
	exit_with(EXIT_REASON_WRMSR, 0, 2);
	assert_int_equal(injected(), 0);
	assert_int_equal(fake.vmcs[VMCS_TSC_OFFSET], (1ull << 63) - fake.tsc);
	vlapic_mmio_write(v->vlapic, APIC_SVR, 4, 0x1FF);
	vlapic_mmio_write(v->vlapic, APIC_LVT_TIMER, 4, 0x40040); /* TSC-deadline, vector 0x40 */
	v->gprs.rcx = MSR_IA32_TSC_DEADLINE;
	v->gprs.rax = 1000; /* long behind the guest's TSC */
	v->gprs.rdx = 0;
	exit_with(EXIT_REASON_WRMSR, 0, 2);
	host_now = fake.tsc;
	assert_int_equal(apic_timer_deadline(v), host_now);
	apic_timer_check(v);
	assert_int_equal(vlapic_highest_irr(v->vlapic), 0x40);
	/* 5000 guest cycles ahead: 5000 host cycles ahead. */
	deadline = (1ull << 63) + 5000;
	v->gprs.rcx = MSR_IA32_TSC_DEADLINE;
	v->gprs.rax = (uint32_t)deadline;
	v->gprs.rdx = deadline >> 32;
	exit_with(EXIT_REASON_WRMSR, 0, 2);
	assert_int_equal(apic_timer_deadline(v), host_now + 5000);
}

static uint64_t msr_access(uint32_t msr, bool write, uint64_t value)
{
	v->gprs.rcx = msr;
	v->gprs.rax = (uint32_t)value;
	v->gprs.rdx = value >> 32;
	exit_with(write ? EXIT_REASON_WRMSR : EXIT_REASON_RDMSR, 0, 2);
	return (v->gprs.rdx << 32) | (uint32_t)v->gprs.rax;
}

/* IA32_TSC and IA32_TSC_ADJUST move together (SDM Vol. 3B §18.17.3): a TSC write moves
 * TSC_ADJUST by the same amount, a TSC_ADJUST write moves the TSC by its change. */
static void test_tsc_adjust(void **state)
{
	uint64_t offset;

	(void)state;
	fake.tsc_step = 0;
	fake.tsc = 1000000;
	assert_int_equal(msr_access(MSR_IA32_TSC_ADJUST, false, 0), 0);
	msr_access(MSR_IA32_TSC, true, 1500000);              /* +500000 */
	assert_int_equal(injected(), 0);
	assert_int_equal(fake.vmcs[VMCS_TSC_OFFSET], 500000);
	assert_int_equal(msr_access(MSR_IA32_TSC_ADJUST, false, 0), 500000);
	offset = fake.vmcs[VMCS_TSC_OFFSET];
	msr_access(MSR_IA32_TSC_ADJUST, true, 200000);         /* -300000 */
	assert_int_equal(injected(), 0);
	assert_int_equal(fake.vmcs[VMCS_TSC_OFFSET], offset - 300000);
	assert_int_equal(msr_access(MSR_IA32_TSC_ADJUST, false, 0), 200000);
	msr_access(MSR_IA32_TSC_ADJUST, true, (uint64_t)-100);  /* signed: below 0 */
	assert_int_equal(fake.vmcs[VMCS_TSC_OFFSET], (uint64_t)-100);
}

/* IA32_MISC_ENABLE: the writable bits keep what is written, the read-only ones do not move,
 * reserved ones #GP; "limit CPUID maxval" makes CPUID.0:EAX read 2. */
static void test_misc_enable(void **state)
{
	uint64_t reset;

	(void)state;
	reset = msr_access(0x1A0, false, 0);
	assert_int_equal(reset, (1ull << 0) | (1ull << 11) | (1ull << 12));
	msr_access(0x1A0, true, (1ull << 22) | (1ull << 7) | (1ull << 18) | (1ull << 34));
	assert_int_equal(injected(), 0);
	assert_int_equal(msr_access(0x1A0, false, 0),
			 (1ull << 11) | (1ull << 12) | (1ull << 22));
	v->gprs.rax = 0;
	v->gprs.rcx = 0;
	exit_with(EXIT_REASON_CPUID, 0, 2);
	assert_int_equal((uint32_t)v->gprs.rax, 2);
	msr_access(0x1A0, true, reset);
	v->gprs.rax = 0;
	v->gprs.rcx = 0;
	exit_with(EXIT_REASON_CPUID, 0, 2);
	assert_true((uint32_t)v->gprs.rax > 2);
	assert_true(msr_faults(0x1A0, true, 1ull << 1));       /* reserved */
	assert_true(msr_faults(0x1A0, true, 1ull << 16));      /* EIST: CPUID.1:ECX.EST hidden */
	assert_int_equal(msr_access(0x1A0, false, 0), reset);
}

/* Machine-check architecture (SDM Vol. 3B §16.3): one bank, MCG_CAP read-only, MCG_STATUS's
 * reserved bits and non-zero MCi_STATUS writes #GP, the rest keep what is written; the bank
 * past the last and MCG_CTL (no MCG_CTL_P) do not exist. */
static void test_mca(void **state)
{
	(void)state;
	assert_int_equal(msr_access(0x179, false, 0), 1);
	assert_true(msr_faults(0x179, true, 1));
	assert_int_equal(msr_access(0x17A, false, 0), 0);
	assert_false(msr_faults(0x17A, true, 0x7));
	assert_int_equal(msr_access(0x17A, false, 0), 0x7);
	assert_true(msr_faults(0x17A, true, 0x10));
	assert_false(msr_faults(0x400, true, ~0ull));
	assert_int_equal(msr_access(0x400, false, 0), ~0ull);
	assert_int_equal(msr_access(0x401, false, 0), 0);
	assert_true(msr_faults(0x401, true, 1ull << 63));
	assert_false(msr_faults(0x401, true, 0));
	assert_false(msr_faults(0x402, true, 0x1234));
	assert_int_equal(msr_access(0x402, false, 0), 0x1234);
	assert_true(msr_faults(0x404, false, 0));
	assert_true(msr_faults(0x17B, false, 0));
}

/* housekeeping=cpu0: an offloaded vLAPIC timer never arms the VMX-preemption timer; its
 * programming is published before VM entry, in host TSC through the TSC offset; what the
 * housekeeping CPU fires reaches the vLAPIC; GET_PLATFORM tells the guest. */
static void test_timer_offloaded(void **state)
{
	uint64_t start, guest_start;

	(void)state;
	fake.tsc_step = 0;
	apic_offload_timer(v);
	v->gprs.rax = APICVISOR_HC_GET_PLATFORM;
	exit_with(EXIT_REASON_VMCALL, 0, 3);
	assert_int_equal(v->gprs.rax, APICVISOR_PLATFORM_HOUSEKEEPING);
	/* The guest's TSC 1000 behind the host's: the deadline moves by as much. */
	v->gprs.rcx = MSR_IA32_TSC;
	v->gprs.rax = (uint32_t)(fake.tsc - 1000);
	v->gprs.rdx = (fake.tsc - 1000) >> 32;
	exit_with(EXIT_REASON_WRMSR, 0, 2);
	vlapic_mmio_write(v->vlapic, APIC_SVR, 4, 0x1FF);
	vlapic_mmio_write(v->vlapic, APIC_TIMER_DIVIDE, 4, 0xB);
	vlapic_mmio_write(v->vlapic, APIC_LVT_TIMER, 4, 0x20041); /* periodic, vector 0x41 */
	start = fake.tsc;
	guest_start = start - 1000;
	vlapic_mmio_write(v->vlapic, APIC_TIMER_INITIAL_COUNT, 4, 1000000);
	assert_int_equal(vlapic_timer_deadline(v->vlapic), guest_start + 1000000);
	assert_int_equal(apic_timer_deadline(v), 0);
	apic_before_entry(v);
	assert_int_equal(v->timer_offload.deadline, start + 1000000);
	assert_int_equal(v->timer_offload.period, 1000000);
	assert_int_equal(apic_housekeeping_timers(start + 999999), start + 1000000);
	assert_int_equal(vlapic_highest_irr(v->vlapic), -1);
	assert_int_equal(apic_housekeeping_timers(start + 1000000), start + 2000000);
	assert_int_equal(vlapic_highest_irr(v->vlapic), 0x41);
	/* The model's own expiry only moves the timer on: one interrupt, not two. */
	fake.tsc = start + 1000000;
	apic_timer_check(v);
	assert_int_equal(vlapic_stats(v->vlapic)->timer_ticks, 0);
	assert_int_equal(v->timer_offload.ticks, 1);
}

/* An NMI that is pending but blocked (the guest halts inside its NMI handler) cannot end the
 * HLT: nothing armed, the guest is stopped rather than resumed into a loop. Found by review. */
static void test_hlt_with_blocked_nmi(void **state)
{
	(void)state;
	fake.vmcs[VMCS_GUEST_RFLAGS] = 0x2;
	fake.vmcs[VMCS_GUEST_INTERRUPTIBILITY] = INTERRUPTIBILITY_NMI_BLOCKING;
	v->nmi_pending = true;
	assert_int_equal(exit_with(EXIT_REASON_HLT, 0, 1), EXIT_ACTION_STOP);
	assert_int_equal(v->end, GUEST_END_HALTED);
}

/* MSRs VMX does not switch start at their power-on value 0, not what the firmware left in root
 * mode (found by the isolation probes: FMASK read OVMF's 0x20200). */
static void test_syscall_msrs_reset(void **state)
{
	static const uint32_t msrs[] = { MSR_IA32_KERNEL_GS_BASE, MSR_IA32_STAR, MSR_IA32_LSTAR,
					 MSR_IA32_CSTAR, MSR_IA32_FMASK, MSR_IA32_TSC_AUX };

	(void)state;
	fake_vcpu_destroy(v);
	fake_cpu_reset();
	for (size_t i = 0; i < ARRAY_SIZE(msrs); i++)
		fake_msr_set(msrs[i], 0x20200);
	v = fake_vcpu_create(&vmx_caps_tigerlake, MODE_APICV, RAM);
	for (size_t i = 0; i < ARRAY_SIZE(msrs); i++)
		assert_int_equal(rdmsr(msrs[i]), 0);
}

/* ---- the posted-interrupt decision and injection vs interrupt window -------------------------- */

static void test_injection_or_window(void **state)
{
	(void)state;
	vlapic_mmio_write(v->vlapic, APIC_SVR, 4, 0x1FF);
	vlapic_set_irq(v->vlapic, 0x51, false);
	/* IF = 0: nothing injected, interrupt-window exiting on. */
	fake.vmcs[VMCS_GUEST_RFLAGS] = 0x2;
	apic_before_entry(v);
	assert_int_equal(injected(), 0);
	assert_true(fake.vmcs[VMCS_PRIMARY_CONTROLS] & PROC_INTERRUPT_WINDOW_EXITING);
	/* IF = 1 in an STI shadow: still the window. */
	fake.vmcs[VMCS_GUEST_RFLAGS] = 0x202;
	fake.vmcs[VMCS_GUEST_INTERRUPTIBILITY] = INTERRUPTIBILITY_STI_BLOCKING;
	apic_before_entry(v);
	assert_int_equal(injected(), 0);
	/* Open: injected, window off. */
	fake.vmcs[VMCS_GUEST_INTERRUPTIBILITY] = 0;
	apic_before_entry(v);
	assert_int_equal(injected(), INJECTED(INTR_TYPE_EXTERNAL, 0x51));
	assert_false(fake.vmcs[VMCS_PRIMARY_CONTROLS] & PROC_INTERRUPT_WINDOW_EXITING);
}

static void test_apicv_rvi_and_posted_drain(void **state)
{
	(void)state;
	assert_int_equal(apic_set_mode(v, MODE_POSTED), MODE_POSTED);
	assert_false(v->pi_hardware); /* 'tigerlake' has no posted-interrupt processing */
	vlapic_mmio_write(v->vlapic, APIC_SVR, 4, 0x1FF);
	/* A root-mode interrupt goes through the descriptor, drained at entry into vIRR/RVI. */
	vlapic_set_irq(v->vlapic, 0x72, false);
	assert_true(v->apic_pages.pi_desc->pir[1] & (1ull << (0x72 - 64)));
	apic_before_entry(v);
	assert_int_equal(v->apic_pages.pi_desc->pir[1], 0);
	assert_int_equal(fake.vmcs[VMCS_GUEST_INTR_STATUS] & 0xFF, 0x72);
	assert_int_equal(v->apic_stats.pir_drained, 1);
	assert_int_equal(injected(), 0); /* the CPU delivers from RVI */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define T_EMULATE(name) cmocka_unit_test_setup_teardown(name, setup_emulate, teardown)
	const struct CMUnitTest tests[] = {
		T(test_xsetbv_without_osxsave_is_ud),
		T(test_xsetbv_checks),
		T(test_xcr0_switched_around_entry),
		T(test_xcr0_not_switched_without_osxsave),
		T(test_x2apic_guest_without_x2apic_virtualization),
		T(test_null_fast_path_allowed),
		T(test_preemption_timer_loaded_for_the_deadline_at_every_entry),
		T(test_rip_wraps_outside_64bit_mode),
		T(test_cr0_paging_change_flushes_vpid),
		T(test_cpuid_hides_unbacked_features),
		T(test_cpuid_table_against_msr_handlers),
		T(test_cr4_hidden_feature_bits),
		T(test_nmi_requeue_clears_nmi_blocking),
		T(test_pae_pdpte_reserved_bits_gp),
		T(test_mov_cr0_operand_is_32_bits_outside_64bit_mode),
		T(test_ioapic_ff_broadcast_in_x2apic_mode),
		T(test_hlt_if0_with_timer_halts_until_it),
		T(test_hlt_if0_with_nmi_pending_resumes),
		T(test_hlt_without_preemption_timer_is_a_clear_stop),
		T(test_mmio_qword_carries_64_bits),
		T_EMULATE(test_injection_or_window),
		T_EMULATE(test_emulate_apic_base_on_ram_traps),
		T(test_apic_access_page_follows_enable),
		T(test_overdue_deadline_gives_a_slice),
		T(test_mmio_fetch_fault_is_a_page_fault),
		T(test_testdev_off),
		T(test_posted_in_hardware_decision),
		T(test_tpr_threshold),
		T(test_apic_base_zero_round_trip),
		T(test_tsc_offset_and_deadlines),
		T(test_tsc_adjust),
		T(test_misc_enable),
		T(test_mca),
		T(test_timer_offloaded),
		T(test_hlt_with_blocked_nmi),
		T(test_syscall_msrs_reset),
		T(test_apicv_rvi_and_posted_drain),
	};
#undef T
#undef T_EMULATE

	return cmocka_run_group_tests(tests, NULL, NULL);
}
