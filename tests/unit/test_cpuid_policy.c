/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmx/cpuid_policy.c on its own: the XSETBV value rules, the feature table's
 * filtering, and the leaves the policy computes (15H, 80000008H, 0DH).
 */
#include "vmx/cpuid_policy.h"
#include "vmx/vmcs.h"

#include "test_util.h"

static const struct cpuid_context context = {
	.apic_id = 2,
	.secondary_controls = 0,
	.pat_switched = false,
	.guest_cr4 = 0,
	.apic_enabled = true,
	.tsc_hz = 2000000000,
	.xcr0_supported = 0xE7,
	.xsave_size_enabled = 576,
	.xsave_size_supported = 2688,
	.maxphyaddr = 46,
};

/* SDM Vol. 2D "XSETBV" and Vol. 1 §13.3, with x87|SSE|AVX|AVX-512 supported. */
static void test_xcr0_valid(void **state)
{
	static const struct {
		uint64_t value;
		bool valid;
	} cases[] = {
		{ 0x1, true }, { 0x3, true }, { 0x7, true }, { 0xE7, true },
		{ 0x0, false },  /* x87 must be set */
		{ 0x2, false },
		{ 0x5, false },  /* AVX without SSE */
		{ 0x63, false }, /* part of the AVX-512 group */
		{ 0xE3, false }, /* AVX-512 without AVX */
		{ 0x8, false }, { 0x1B, false }, /* MPX: not supported here */
		{ 0x207, false }, /* PKRU: not supported here */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (xcr0_valid(cases[i].value, 0xE7) != cases[i].valid)
			fail_msg("XCR0 %#llx: valid should be %d",
				 (unsigned long long)cases[i].value, cases[i].valid);
	}
}

static void test_filtering(void **state)
{
	uint32_t r[4] = { 0, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu };
	struct cpuid_context ctx = context;

	(void)state;
	/* Leaf 7: everything set on the host; only listed bits survive, conditions applied. */
	cpuid_policy_apply(&ctx, 7, 0, r);
	assert_false(r[1] & (1u << 14));  /* MPX */
	assert_false(r[1] & (1u << 10));  /* INVPCID: "enable INVPCID" off */
	assert_false(r[2] & (1u << 22));  /* RDPID: "enable RDTSCP" off */
	assert_false(r[2] & (1u << 4));   /* OSPKE: guest CR4.PKE clear */
	assert_true(r[1] & (1u << 5));    /* AVX2 */
	ctx.secondary_controls = PROC2_ENABLE_INVPCID | PROC2_ENABLE_RDTSCP;
	ctx.guest_cr4 = 1ull << 22;
	r[1] = r[2] = r[3] = 0xFFFFFFFFu;
	cpuid_policy_apply(&ctx, 7, 0, r);
	assert_true(r[1] & (1u << 10));
	assert_true(r[2] & (1u << 22));
	assert_true(r[2] & (1u << 4));
	/* Leaf 1: APIC ID and one logical processor; the hypervisor bit always. */
	r[0] = 0x806C1;
	r[1] = 0xFF10800u;
	r[2] = r[3] = 0;
	cpuid_policy_apply(&ctx, 1, 0, r);
	assert_int_equal(r[1], 0x02010800u);
	assert_true(r[2] & (1u << 31));
	assert_true(r[2] & (1u << 21) && r[2] & (1u << 24)); /* x2APIC, TSC-deadline: always */
	assert_false(r[3] & (1u << 16));                     /* PAT: not switched */
	assert_true(r[3] & (1u << 9));                       /* APIC: EN = 1 */
	/* ECX is not a subleaf of leaf 1: a stale value in it changes nothing (Linux's
	 * verify_cpu runs CPUID 1 with ECX = "ntel" from leaf 0's answer). */
	{
		uint32_t again[4] = { 0x806C1, 0xFF10800u, 0xFFFFFFFFu, 0xFFFFFFFFu };
		uint32_t expected[4] = { 0x806C1, 0xFF10800u, 0xFFFFFFFFu, 0xFFFFFFFFu };

		cpuid_policy_apply(&ctx, 1, 0, expected);
		cpuid_policy_apply(&ctx, 1, 0x6C65746Eu, again);
		assert_memory_equal(again, expected, sizeof(expected));
		assert_true(again[3] & 1u);   /* FPU, shown where the host has it */
	}
	/* The APIC globally disabled: EDX.APIC reads 0 (§11.4.3); x2APIC stays. */
	ctx.apic_enabled = false;
	r[0] = 0x806C1;
	r[1] = 0xFF10800u;
	r[2] = r[3] = 0;
	cpuid_policy_apply(&ctx, 1, 0, r);
	assert_false(r[3] & (1u << 9));
	assert_true(r[2] & (1u << 21));
}

static void test_computed_leaves(void **state)
{
	uint32_t r[4] = { 0, 0, 0, 0 };
	struct cpuid_context ctx = context;

	(void)state;
	/* Leaf 0: the highest basic leaf, 2 under IA32_MISC_ENABLE's "limit CPUID maxval". */
	cpuid_policy_apply(&ctx, 0, 0, r);
	assert_int_equal(r[0], CPUID_GUEST_MAX_BASIC_LEAF);
	ctx.limit_cpuid_maxval = true;
	cpuid_policy_apply(&ctx, 0, 0, r);
	assert_int_equal(r[0], 2);
	ctx.limit_cpuid_maxval = false;
	cpuid_policy_apply(&ctx, 0x15, 0, r);
	assert_int_equal(r[0], 1);
	assert_int_equal(r[1], 1);
	assert_int_equal(r[2], 2000000000u);
	/* A TSC too fast for ECX: the crystal is "not enumerated" (0), never truncated. */
	ctx.tsc_hz = 5000000000ull;
	cpuid_policy_apply(&ctx, 0x15, 0, r);
	assert_int_equal(r[2], 0);
	cpuid_policy_apply(&ctx, 0x80000008u, 0, r);
	assert_int_equal(r[0], 46u | 48u << 8);
	cpuid_policy_apply(&ctx, 0xD, 0, r);
	assert_int_equal(r[0], 0xE7);
	assert_int_equal(r[1], 576);
	assert_int_equal(r[2], 2688);
	assert_int_equal(r[3], 0);
	r[0] = r[1] = r[2] = r[3] = 0xFFFF;
	cpuid_policy_apply(&ctx, 0xD, 3, r);   /* MPX's component: not supported, all zero */
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	r[0] = 0xF;
	ctx.xsave_size_compacted = 2432;
	cpuid_policy_apply(&ctx, 0xD, 1, r);   /* XSAVES (bit 3) hidden, no XSS components */
	assert_int_equal(r[0], 0x7);
	assert_int_equal(r[1], 2432);          /* XSAVEC shown: its compacted size */
	assert_int_equal(r[2] | r[3], 0);
	r[0] = 0x1;                            /* a host without XSAVEC: no compacted size */
	cpuid_policy_apply(&ctx, 0xD, 1, r);
	assert_int_equal(r[0], 0x1);
	assert_int_equal(r[1], 0);
	/* Leaves past the maxima answer as the highest basic leaf, which the caller asked the
	 * host for (cpuid_host_leaf). */
	assert_int_equal(cpuid_host_leaf(0x20), CPUID_GUEST_MAX_BASIC_LEAF);
	assert_int_equal(cpuid_host_leaf(0x80000020u), CPUID_GUEST_MAX_BASIC_LEAF);
	assert_int_equal(cpuid_host_leaf(7), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xcr0_valid),
		cmocka_unit_test(test_filtering),
		cmocka_unit_test(test_computed_leaves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
