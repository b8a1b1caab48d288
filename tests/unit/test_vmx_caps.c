/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmx/vmx_caps.c: control words from capability MSRs, the decoded fields of
 * IA32_VMX_BASIC / MISC, why a CPU is unusable, how far a requested mode is lowered, and the
 * printed capability table. Two fixtures: Bochs 2.7's 'tigerlake' model (no posted interrupts)
 * and a server CPU with posted interrupts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vmx/vmcs.h"
#include "vmx/vmx_caps.h"

#include "test_util.h"
#include "vmx_caps_fixtures.h"

#define CPUID1_ECX_VMX (1u << 5)

/* A control MSR: allowed-0 settings (1 = must be 1) in bits 31:0, allowed-1 in bits 63:32. */
#define CONTROL_MSR(allowed0, allowed1) (((uint64_t)(allowed1) << 32) | (uint32_t)(allowed0))


/*
 * A Skylake-server-like CPU with posted interrupts (pin allowed-1 0xFF): revision 4, a 1 KiB
 * VMCS, WB, TRUE controls; preemption timer at TSC >> 5; 1 GiB EPT pages.
 */
static const struct vmx_caps posted_cpu = {
	.cpuid1_ecx = 0x7FFEFBFFu,
	.feature_control = FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX |
			   FEATURE_CONTROL_VMXON_IN_SMX,
	.basic = 0x00DA040000000004ull,
	.pinbased = CONTROL_MSR(0x16, 0xFF),
	.procbased = CONTROL_MSR(0x04006172, 0xFFF9FFFE),
	.procbased2 = CONTROL_MSR(0, 0x0017FFFF),
	.exit = CONTROL_MSR(0x36DFB, 0x00FFFFFF),
	.entry = CONTROL_MSR(0x11FB, 0x0003FFFF),
	.misc = 0x000000007004C1E5ull,
	.ept_vpid = 0x00000F0106734141ull,
	.cr0_fixed0 = 0x80000021,
	.cr0_fixed1 = 0xFFFFFFFF,
	.cr4_fixed0 = 0x2000,
	.cr4_fixed1 = 0x003767FF,
};

/* The capability MSR that holds a control word. */
static uint64_t *control_field(struct vmx_caps *caps, enum vmx_control_kind kind)
{
	switch (kind) {
	case VMX_CTL_PIN:
		return &caps->pinbased;
	case VMX_CTL_PRIMARY:
		return &caps->procbased;
	case VMX_CTL_SECONDARY:
		return &caps->procbased2;
	case VMX_CTL_EXIT:
		return &caps->exit;
	case VMX_CTL_ENTRY:
		return &caps->entry;
	}
	fail_msg("bad control kind %d", (int)kind);
	return NULL;
}

/* Takes `bit` out of the allowed-1 settings of a control word. */
static void forbid(struct vmx_caps *caps, enum vmx_control_kind kind, uint32_t bit)
{
	*control_field(caps, kind) &= ~((uint64_t)bit << 32);
}

/* ---- vmx_control_word ------------------------------------------------------------------------ */

struct control_word_case {
	const char *what;
	uint64_t cap_msr;
	uint32_t required, optional;
	uint32_t want_word, want_missing;
};

static const struct control_word_case control_word_cases[] = {
	{ "nothing wanted: exactly the forced-1 bits", CONTROL_MSR(0x16, 0x7F), 0, 0, 0x16, 0 },
	{ "pin: required and optional all allowed", CONTROL_MSR(0x16, 0x7F),
	  PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING, PIN_VIRTUAL_NMIS | PIN_PREEMPTION_TIMER,
	  0x7F, 0 },
	{ "pin: optional posted interrupts dropped silently", CONTROL_MSR(0x16, 0x7F),
	  PIN_EXTERNAL_INTERRUPT_EXITING, PIN_POSTED_INTERRUPTS | PIN_VIRTUAL_NMIS, 0x37, 0 },
	{ "pin: optional posted interrupts kept when allowed", CONTROL_MSR(0x16, 0xFF),
	  PIN_EXTERNAL_INTERRUPT_EXITING, PIN_POSTED_INTERRUPTS, 0x97, 0 },
	{ "pin: required posted interrupts reported missing", CONTROL_MSR(0x16, 0x7F),
	  PIN_EXTERNAL_INTERRUPT_EXITING | PIN_POSTED_INTERRUPTS, 0, 0x17, PIN_POSTED_INTERRUPTS },
	{ "primary: Bochs TRUE allowed-0 plus what apicvisor asks for",
	  CONTROL_MSR(0x04006172, 0xFFFFFFFE),
	  PROC_HLT_EXITING | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS |
		  PROC_ACTIVATE_SECONDARY_CONTROLS,
	  PROC_USE_TPR_SHADOW, 0x04006172u | 0x80u | 0x02000000u | 0x10000000u | 0x80000000u |
		  0x00200000u, 0 },
	{ "primary: required bit 0 (reserved, never allowed) missing, others kept",
	  CONTROL_MSR(0x04006172, 0xFFFFFFFE), 0x1 | PROC_HLT_EXITING, 0, 0x040061F2, 0x1 },
	{ "secondary: MSR absent (reads 0): nothing set, every required bit missing", 0,
	  PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST, PROC2_ENABLE_VPID, 0,
	  PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST },
	{ "secondary: several required missing at once", CONTROL_MSR(0, PROC2_ENABLE_EPT),
	  PROC2_ENABLE_EPT | PROC2_APIC_REGISTER_VIRTUALIZATION | PROC2_VIRTUAL_INTERRUPT_DELIVERY,
	  0, PROC2_ENABLE_EPT,
	  PROC2_APIC_REGISTER_VIRTUALIZATION | PROC2_VIRTUAL_INTERRUPT_DELIVERY },
	{ "exit: Bochs TRUE allowed-0 plus EFER and host address-space size",
	  CONTROL_MSR(0x36DFB, 0x7FFFFF),
	  EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER |
		  EXIT_ACK_INTERRUPT_ON_EXIT,
	  EXIT_SAVE_PREEMPTION_TIMER,
	  0x36DFBu | 0x200u | 0x100000u | 0x200000u | 0x8000u | 0x400000u, 0 },
	{ "entry: Bochs TRUE allowed-0 plus EFER, optional PAT not allowed",
	  CONTROL_MSR(0x11FB, 0xBFFF), ENTRY_LOAD_IA32_EFER, ENTRY_LOAD_IA32_PAT,
	  0x11FBu | 0x8000u, 0 },
	{ "a forced-1 bit the CPU does not allow (inconsistent MSR) is not set",
	  CONTROL_MSR(0x30, 0x0F), 0, 0x1, 0x01, 0 },
	{ "required bit that is also forced-1: set, not missing", CONTROL_MSR(0x16, 0x7F), 0x2, 0,
	  0x16, 0 },
	{ "all bits allowed", CONTROL_MSR(0, 0xFFFFFFFF), 0x80000001, 0x7FFFFFFE, 0xFFFFFFFF, 0 },
	{ "nothing allowed", CONTROL_MSR(0xFFFFFFFF, 0), 0x80000001, 0x7FFFFFFE, 0, 0x80000001 },
};

static void test_control_word_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(control_word_cases); i++) {
		const struct control_word_case *t = &control_word_cases[i];
		uint32_t missing = 0xDEADBEEF;
		uint32_t word = vmx_control_word(t->cap_msr, t->required, t->optional, &missing);

		if (word != t->want_word || missing != t->want_missing)
			fail_msg("%s: word %08x missing %08x, want %08x and %08x", t->what, word,
				 missing, t->want_word, t->want_missing);
	}
}

/* A small deterministic generator for the property test. */
static uint64_t xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_control_word_properties(void **state)
{
	uint64_t seed = 0x9E3779B97F4A7C15ull;

	(void)state;
	for (unsigned n = 0; n < 20000; n++) {
		uint32_t allowed1 = (uint32_t)xorshift64(&seed);
		/* Real MSRs have allowed-0 within allowed-1; mix in a few that do not. */
		uint32_t allowed0 = (uint32_t)xorshift64(&seed) & (n % 8 ? allowed1 : 0xFFFFFFFF);
		uint32_t required = (uint32_t)xorshift64(&seed) & (uint32_t)xorshift64(&seed);
		uint32_t optional = (uint32_t)xorshift64(&seed);
		uint32_t missing = 0xDEADBEEF;
		uint64_t msr = CONTROL_MSR(allowed0, allowed1);
		uint32_t word = vmx_control_word(msr, required, optional, &missing);

		if (word & ~allowed1)
			fail_msg("case %u: word %08x sets bits outside allowed-1 %08x", n, word,
				 allowed1);
		if ((allowed0 & allowed1) & ~word)
			fail_msg("case %u: word %08x lacks forced-1 bits %08x", n, word,
				 allowed0 & allowed1);
		if ((required & allowed1) & ~word)
			fail_msg("case %u: word %08x lacks allowed required bits", n, word);
		if ((optional & allowed1) & ~word)
			fail_msg("case %u: word %08x lacks allowed optional bits", n, word);
		if (word & ~(allowed0 | required | optional))
			fail_msg("case %u: word %08x sets bits nobody asked for", n, word);
		if (missing != (required & ~allowed1))
			fail_msg("case %u: missing %08x, want %08x", n, missing,
				 required & ~allowed1);
	}
}

static void test_control_allowed(void **state)
{
	static const struct {
		enum vmx_control_kind kind;
		uint32_t bit;
		bool tigerlake, posted;
	} cases[] = {
		{ VMX_CTL_PIN, PIN_EXTERNAL_INTERRUPT_EXITING, true, true },
		{ VMX_CTL_PIN, PIN_PREEMPTION_TIMER, true, true },
		{ VMX_CTL_PIN, PIN_POSTED_INTERRUPTS, false, true },
		{ VMX_CTL_PRIMARY, 1u << 0, false, false },
		{ VMX_CTL_PRIMARY, PROC_CR3_LOAD_EXITING, true, true },
		{ VMX_CTL_PRIMARY, 1u << 17, true, false },
		{ VMX_CTL_PRIMARY, PROC_ACTIVATE_SECONDARY_CONTROLS, true, true },
		{ VMX_CTL_SECONDARY, PROC2_VIRTUAL_INTERRUPT_DELIVERY, true, true },
		{ VMX_CTL_SECONDARY, PROC2_ENABLE_INVPCID, false, true },
		{ VMX_CTL_SECONDARY, PROC2_ENABLE_XSAVES, false, true },
		{ VMX_CTL_EXIT, EXIT_SAVE_PREEMPTION_TIMER, true, true },
		{ VMX_CTL_EXIT, 1u << 23, false, true },
		{ VMX_CTL_ENTRY, ENTRY_LOAD_IA32_EFER, true, true },
		{ VMX_CTL_ENTRY, 1u << 10, false, true },
		{ VMX_CTL_ENTRY, 1u << 16, false, true },
		{ VMX_CTL_ENTRY, 1u << 31, false, false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum vmx_control_kind kind = cases[i].kind;

		if (vmx_control_allowed(&vmx_caps_tigerlake, kind, cases[i].bit) != cases[i].tigerlake)
			fail_msg("case %zu: tigerlake allowed wrong", i);
		if (vmx_control_allowed(&posted_cpu, kind, cases[i].bit) != cases[i].posted)
			fail_msg("case %zu: posted CPU allowed wrong", i);
	}
	/* The allowed-0 half never counts as "allowed": a forced bit outside allowed-1 is not. */
	{
		struct vmx_caps caps = vmx_caps_tigerlake;

		caps.pinbased = CONTROL_MSR(0x16, 0);
		assert_false(vmx_control_allowed(&caps, VMX_CTL_PIN, 0x02));
	}
}

/* ---- IA32_VMX_BASIC / MISC decoding ---------------------------------------------------------- */

static void test_decode_basic_and_misc(void **state)
{
	static const struct {
		uint64_t basic, misc;
		uint32_t revision, vmcs_size;
		unsigned memory_type;
		bool true_controls;
		unsigned timer_rate;
	} cases[] = {
		{ 0x00D810000000002Bull, 0x000401E0, 0x2B, 4096, 6, true, 0 },
		{ 0x00DA040000000004ull, 0x7004C1E5, 4, 1024, 6, true, 5 },
		/* Bit 31 is not part of the revision id; bits 47:45 not part of the size. */
		{ 0x00C1100080000012ull, 0x1F, 0x12, 0x1000, 0, true, 31 },
		/* All ones: every field at its widest. */
		{ UINT64_MAX, UINT64_MAX, 0x7FFFFFFF, 0x1FFF, 15, true, 31 },
		{ 0, 0, 0, 0, 0, false, 0 },
		/* No TRUE controls, UC, VMCS size 0x800; MISC rate bits beyond 4:0 ignored. */
		{ 0x0001080000000001ull, 0xFFFFFFE3ull, 1, 0x800, 0, false, 3 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vmx_caps caps = { .basic = cases[i].basic, .misc = cases[i].misc };

		if (vmx_caps_revision_id(&caps) != cases[i].revision)
			fail_msg("case %zu: revision %x", i, vmx_caps_revision_id(&caps));
		if (vmx_caps_vmcs_size(&caps) != cases[i].vmcs_size)
			fail_msg("case %zu: VMCS size %u", i, vmx_caps_vmcs_size(&caps));
		if (vmx_caps_vmcs_memory_type(&caps) != cases[i].memory_type)
			fail_msg("case %zu: memory type %u", i, vmx_caps_vmcs_memory_type(&caps));
		if (vmx_caps_has_true_controls(&caps) != cases[i].true_controls)
			fail_msg("case %zu: TRUE controls wrong", i);
		if (vmx_caps_preemption_timer_rate(&caps) != cases[i].timer_rate)
			fail_msg("case %zu: timer rate %u", i,
				 vmx_caps_preemption_timer_rate(&caps));
	}
	/* The fixtures themselves. */
	assert_int_equal(vmx_caps_revision_id(&vmx_caps_tigerlake), 0x2B);
	assert_int_equal(vmx_caps_vmcs_size(&vmx_caps_tigerlake), 4096);
	assert_int_equal(vmx_caps_vmcs_memory_type(&vmx_caps_tigerlake), 6);
	assert_true(vmx_caps_has_true_controls(&vmx_caps_tigerlake));
	assert_int_equal(vmx_caps_preemption_timer_rate(&vmx_caps_tigerlake), 0);
	assert_int_equal(vmx_caps_revision_id(&posted_cpu), 4);
	assert_int_equal(vmx_caps_vmcs_size(&posted_cpu), 1024);
	assert_int_equal(vmx_caps_preemption_timer_rate(&posted_cpu), 5);
}

/* ---- vmx_caps_unusable_reason ---------------------------------------------------------------- */

static char reason_buf[256];

/* Posted mode uses the CPU's posted-interrupt processing only where pin-based allowed-1 has
 * bit 7; else its descriptor is drained in software. */
static void test_posted_in_hardware(void **state)
{
	struct vmx_caps caps = posted_cpu;

	(void)state;
	assert_true(vmx_caps_posted_in_hardware(&posted_cpu));
	assert_false(vmx_caps_posted_in_hardware(&vmx_caps_tigerlake));
	caps.pinbased &= ~((uint64_t)PIN_POSTED_INTERRUPTS << 32);
	assert_false(vmx_caps_posted_in_hardware(&caps));
}

static void test_fixtures_are_usable(void **state)
{
	struct vmx_caps unlocked = vmx_caps_tigerlake;

	(void)state;
	assert_null(vmx_caps_unusable_reason(&vmx_caps_tigerlake, reason_buf, sizeof(reason_buf)));
	assert_null(vmx_caps_unusable_reason(&posted_cpu, reason_buf, sizeof(reason_buf)));
	/* Not locked yet: the hypervisor may still set it. */
	unlocked.feature_control = 0;
	assert_null(vmx_caps_unusable_reason(&unlocked, reason_buf, sizeof(reason_buf)));
}

static void assert_reason_contains(const struct vmx_caps *caps, const char *want)
{
	const char *reason = vmx_caps_unusable_reason(caps, reason_buf, sizeof(reason_buf));

	if (!reason)
		fail_msg("usable; want a reason with \"%s\"", want);
	if (!strstr(reason, want))
		fail_msg("reason \"%s\" lacks \"%s\"", reason, want);
}

static void test_unusable_platform(void **state)
{
	struct vmx_caps caps;

	(void)state;
	caps = vmx_caps_tigerlake;
	caps.cpuid1_ecx &= ~CPUID1_ECX_VMX;
	assert_reason_contains(&caps, "VT-x is not available: CPUID.1:ECX.VMX[bit 5] is 0");
	/* No VMX comes first even when everything else is wrong too. */
	memset(&caps, 0, sizeof(caps));
	assert_reason_contains(&caps, "CPUID.1:ECX.VMX[bit 5] is 0");

	caps = vmx_caps_tigerlake;
	caps.feature_control = FEATURE_CONTROL_LOCK;
	assert_reason_contains(&caps, "VT-x is disabled by firmware: IA32_FEATURE_CONTROL is "
				      "locked with 'VMXON outside SMX' off");
	caps.feature_control = FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_IN_SMX;
	assert_reason_contains(&caps, "locked with 'VMXON outside SMX' off");

	caps = vmx_caps_tigerlake;
	caps.basic &= ~(0xFull << 50); /* memory type 0: UC */
	assert_reason_contains(&caps, "not write-back (6)");
	caps.basic |= 5ull << 50;
	assert_reason_contains(&caps, "not write-back (6)");
}

struct essential_case {
	enum vmx_control_kind kind;
	uint32_t bit;
	const char *name;
};

/* The features vmx_caps_unusable_reason() requires, each named as it reports it. */
static const struct essential_case essential_cases[] = {
	{ VMX_CTL_PRIMARY, PROC_ACTIVATE_SECONDARY_CONTROLS, "activate secondary controls" },
	{ VMX_CTL_PRIMARY, PROC_USE_IO_BITMAPS, "use I/O bitmaps" },
	{ VMX_CTL_PRIMARY, PROC_USE_MSR_BITMAPS, "use MSR bitmaps" },
	{ VMX_CTL_PRIMARY, PROC_HLT_EXITING, "HLT exiting" },
	{ VMX_CTL_PRIMARY, PROC_CR8_LOAD_EXITING, "CR8-load/store exiting" },
	{ VMX_CTL_SECONDARY, PROC2_ENABLE_EPT, "EPT" },
	{ VMX_CTL_SECONDARY, PROC2_UNRESTRICTED_GUEST, "unrestricted guest" },
	{ VMX_CTL_EXIT, EXIT_HOST_ADDRESS_SPACE_SIZE, "host address-space size" },
	{ VMX_CTL_EXIT, EXIT_SAVE_IA32_EFER, "save IA32_EFER on exit" },
	{ VMX_CTL_EXIT, EXIT_LOAD_IA32_EFER, "load IA32_EFER on exit" },
	{ VMX_CTL_EXIT, EXIT_ACK_INTERRUPT_ON_EXIT, "acknowledge interrupt on exit" },
	{ VMX_CTL_ENTRY, ENTRY_LOAD_IA32_EFER, "load IA32_EFER on entry" },
	{ VMX_CTL_PIN, PIN_EXTERNAL_INTERRUPT_EXITING, "external-interrupt exiting" },
	{ VMX_CTL_PIN, PIN_NMI_EXITING, "NMI exiting" },
};

static void test_unusable_each_essential_feature(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(essential_cases); i++) {
		const struct essential_case *t = &essential_cases[i];
		const struct vmx_caps *fixtures[] = { &vmx_caps_tigerlake, &posted_cpu };

		for (size_t f = 0; f < ARRAY_SIZE(fixtures); f++) {
			struct vmx_caps caps = *fixtures[f];
			const char *reason;

			forbid(&caps, t->kind, t->bit);
			reason = vmx_caps_unusable_reason(&caps, reason_buf, sizeof(reason_buf));
			if (!reason)
				fail_msg("fixture %zu without %s: usable", f, t->name);
			if (!strstr(reason, t->name))
				fail_msg("fixture %zu without %s: reason \"%s\"", f, t->name,
					 reason);
		}
	}
}

static void test_optional_features_do_not_make_unusable(void **state)
{
	static const struct essential_case optional[] = {
		{ VMX_CTL_SECONDARY, PROC2_ENABLE_VPID, "VPID" },
		{ VMX_CTL_PIN, PIN_PREEMPTION_TIMER, "VMX-preemption timer" },
		{ VMX_CTL_PIN, PIN_POSTED_INTERRUPTS, "posted-interrupt processing" },
		{ VMX_CTL_PIN, PIN_VIRTUAL_NMIS, "virtual NMIs" },
		{ VMX_CTL_PRIMARY, PROC_USE_TPR_SHADOW, "TPR shadow" },
		{ VMX_CTL_SECONDARY, PROC2_VIRTUALIZE_APIC_ACCESSES, "virtualize APIC accesses" },
		{ VMX_CTL_SECONDARY, PROC2_VIRTUAL_INTERRUPT_DELIVERY,
		  "virtual-interrupt delivery" },
		{ VMX_CTL_ENTRY, ENTRY_LOAD_IA32_PAT, "load/save IA32_PAT" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(optional); i++) {
		struct vmx_caps caps = posted_cpu;

		forbid(&caps, optional[i].kind, optional[i].bit);
		if (vmx_caps_unusable_reason(&caps, reason_buf, sizeof(reason_buf)))
			fail_msg("without %s: \"%s\"", optional[i].name,
				 vmx_caps_unusable_reason(&caps, reason_buf, sizeof(reason_buf)));
	}
}

static void test_unusable_ept_capabilities(void **state)
{
	static const char want[] = "EPT with a 4-level walk and write-back paging structures";
	static const uint64_t unusable[] = {
		0,                                           /* no EPT capabilities at all */
		EPT_CAP_WALK_LENGTH_4 | EPT_CAP_MEMTYPE_UC,  /* no WB */
		EPT_CAP_MEMTYPE_WB | EPT_CAP_MEMTYPE_UC | EPT_CAP_2MB_PAGES, /* no 4-level walk */
	};
	struct vmx_caps caps = vmx_caps_tigerlake;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(unusable); i++) {
		const char *reason;

		caps.ept_vpid = unusable[i];
		reason = vmx_caps_unusable_reason(&caps, reason_buf, sizeof(reason_buf));
		if (!reason || !strstr(reason, want))
			fail_msg("EPT caps %llx: reason \"%s\"", (unsigned long long)unusable[i],
				 reason ? reason : "(none)");
	}
	/* Exactly WB and the 4-level walk are enough. */
	caps.ept_vpid = EPT_CAP_WALK_LENGTH_4 | EPT_CAP_MEMTYPE_WB;
	assert_null(vmx_caps_unusable_reason(&caps, reason_buf, sizeof(reason_buf)));
}

/* ---- vmx_caps_degrade_mode ------------------------------------------------------------------- */

/* A feature to take away from a fixture (the first `count` of `take`). */
struct forbidden {
	enum vmx_control_kind kind;
	uint32_t bit;
};

struct degrade_case {
	const char *what;
	const struct vmx_caps *base;
	bool nothing;                  /* start from all-zero capabilities instead */
	unsigned count;
	struct forbidden take[3];
	enum apicvisor_mode requested, want;
	const char *want_reason;       /* NULL: not lowered */
	bool x2apic_guest;             /* the guest's APIC is in x2APIC mode */
};

static const struct degrade_case degrade_cases[] = {
	{ "posted CPU, posted", &posted_cpu, false, 0, { { 0 } }, MODE_POSTED, MODE_POSTED, NULL, false },
	{ "posted CPU, apicv", &posted_cpu, false, 0, { { 0 } }, MODE_APICV, MODE_APICV, NULL, false },
	{ "posted CPU, tpr-shadow", &posted_cpu, false, 0, { { 0 } }, MODE_TPR_SHADOW,
	  MODE_TPR_SHADOW, NULL, false },
	{ "posted CPU, emulate", &posted_cpu, false, 0, { { 0 } }, MODE_EMULATE, MODE_EMULATE,
	  NULL, false },
	/* Without posted-interrupt processing, posted mode stays: the descriptor is drained in
	 * software. */
	{ "tigerlake, posted", &vmx_caps_tigerlake, false, 0, { { 0 } }, MODE_POSTED, MODE_POSTED, NULL, false },
	{ "tigerlake, apicv", &vmx_caps_tigerlake, false, 0, { { 0 } }, MODE_APICV, MODE_APICV, NULL, false },
	{ "tigerlake, tpr-shadow", &vmx_caps_tigerlake, false, 0, { { 0 } }, MODE_TPR_SHADOW,
	  MODE_TPR_SHADOW, NULL, false },
	{ "tigerlake, emulate", &vmx_caps_tigerlake, false, 0, { { 0 } }, MODE_EMULATE, MODE_EMULATE, NULL, false },
	{ "no APIC-register virtualization, posted", &posted_cpu, false, 1,
	  { { VMX_CTL_SECONDARY, PROC2_APIC_REGISTER_VIRTUALIZATION } }, MODE_POSTED,
	  MODE_TPR_SHADOW, "APIC-register virtualization", false },
	{ "tigerlake without APIC-register virtualization, posted: the first missing is named",
	  &vmx_caps_tigerlake, false, 1, { { VMX_CTL_SECONDARY, PROC2_APIC_REGISTER_VIRTUALIZATION } },
	  MODE_POSTED, MODE_TPR_SHADOW, "APIC-register virtualization", false },
	{ "no virtual-interrupt delivery, apicv", &posted_cpu, false, 1,
	  { { VMX_CTL_SECONDARY, PROC2_VIRTUAL_INTERRUPT_DELIVERY } }, MODE_APICV, MODE_TPR_SHADOW,
	  "virtual-interrupt delivery", false },
	{ "no external-interrupt exiting, posted", &posted_cpu, false, 1,
	  { { VMX_CTL_PIN, PIN_EXTERNAL_INTERRUPT_EXITING } }, MODE_POSTED, MODE_TPR_SHADOW,
	  "external-interrupt exiting", false },
	{ "no APIC-register virtualization, tpr-shadow: not needed", &posted_cpu, false, 1,
	  { { VMX_CTL_SECONDARY, PROC2_APIC_REGISTER_VIRTUALIZATION } }, MODE_TPR_SHADOW,
	  MODE_TPR_SHADOW, NULL, false },
	{ "no TPR shadow, apicv: all the way down", &posted_cpu, false, 1,
	  { { VMX_CTL_PRIMARY, PROC_USE_TPR_SHADOW } }, MODE_APICV, MODE_EMULATE, "TPR shadow", false },
	{ "no TPR shadow, posted", &posted_cpu, false, 1,
	  { { VMX_CTL_PRIMARY, PROC_USE_TPR_SHADOW } }, MODE_POSTED, MODE_EMULATE, "TPR shadow", false },
	{ "no virtualize APIC accesses, tpr-shadow", &vmx_caps_tigerlake, false, 1,
	  { { VMX_CTL_SECONDARY, PROC2_VIRTUALIZE_APIC_ACCESSES } }, MODE_TPR_SHADOW, MODE_EMULATE,
	  "virtualize APIC accesses", false },
	{ "no posted, no TPR shadow, posted", &posted_cpu, false, 2,
	  { { VMX_CTL_PIN, PIN_POSTED_INTERRUPTS }, { VMX_CTL_PRIMARY, PROC_USE_TPR_SHADOW } },
	  MODE_POSTED, MODE_EMULATE, "TPR shadow", false },
	{ "no TPR shadow, emulate", &posted_cpu, false, 1,
	  { { VMX_CTL_PRIMARY, PROC_USE_TPR_SHADOW } }, MODE_EMULATE, MODE_EMULATE, NULL, false },
	{ "everything missing, posted", NULL, true, 0, { { 0 } }, MODE_POSTED, MODE_EMULATE,
	  "APIC-register virtualization", false },
	{ "everything missing, apicv", NULL, true, 0, { { 0 } }, MODE_APICV, MODE_EMULATE,
	  "APIC-register virtualization", false },
	{ "everything missing, tpr-shadow", NULL, true, 0, { { 0 } }, MODE_TPR_SHADOW,
	  MODE_EMULATE, "TPR shadow", false },
	{ "everything missing, emulate", NULL, true, 0, { { 0 } }, MODE_EMULATE, MODE_EMULATE,
	  NULL, false },
	/* An x2APIC guest needs "virtualize x2APIC mode" for apicv and posted, not for
	 * tpr-shadow (its MSRs all exit there); an xAPIC guest does not need it at all. */
	{ "no x2APIC virtualization, x2APIC guest, posted", &posted_cpu, false, 1,
	  { { VMX_CTL_SECONDARY, PROC2_VIRTUALIZE_X2APIC_MODE } }, MODE_POSTED, MODE_TPR_SHADOW,
	  "virtualize x2APIC mode", true },
	{ "no x2APIC virtualization, x2APIC guest, apicv", &vmx_caps_tigerlake, false, 1,
	  { { VMX_CTL_SECONDARY, PROC2_VIRTUALIZE_X2APIC_MODE } }, MODE_APICV, MODE_TPR_SHADOW,
	  "virtualize x2APIC mode", true },
	{ "no x2APIC virtualization, x2APIC guest, tpr-shadow", &vmx_caps_tigerlake, false, 1,
	  { { VMX_CTL_SECONDARY, PROC2_VIRTUALIZE_X2APIC_MODE } }, MODE_TPR_SHADOW,
	  MODE_TPR_SHADOW, NULL, true },
	{ "no x2APIC virtualization, xAPIC guest, posted", &posted_cpu, false, 1,
	  { { VMX_CTL_SECONDARY, PROC2_VIRTUALIZE_X2APIC_MODE } }, MODE_POSTED, MODE_POSTED, NULL,
	  false },
	{ "x2APIC virtualization present, x2APIC guest, posted", &posted_cpu, false, 0,
	  { { 0 } }, MODE_POSTED, MODE_POSTED, NULL, true },
};

/* vmx_controls_fit: must-be-one bits missing and disallowed bits set are both reported. */
static void test_controls_fit(void **state)
{
	uint32_t wrong = 0;

	(void)state;
	assert_true(vmx_controls_fit(&vmx_caps_tigerlake, VMX_CTL_PIN, 0x16 | PIN_PREEMPTION_TIMER, &wrong));
	assert_int_equal(wrong, 0);
	assert_false(vmx_controls_fit(&vmx_caps_tigerlake, VMX_CTL_PIN, 0x16 | PIN_POSTED_INTERRUPTS,
				      &wrong));
	assert_int_equal(wrong, PIN_POSTED_INTERRUPTS);
	assert_false(vmx_controls_fit(&vmx_caps_tigerlake, VMX_CTL_PIN, 0x06, &wrong));
	assert_int_equal(wrong, 0x10);
	assert_false(vmx_controls_fit(&vmx_caps_tigerlake, VMX_CTL_SECONDARY, 1u << 20, &wrong));
	assert_int_equal(wrong, 1u << 20);
}

static void test_degrade_mode_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(degrade_cases); i++) {
		const struct degrade_case *t = &degrade_cases[i];
		struct vmx_caps caps;
		const char *reason = "not written";
		enum apicvisor_mode got;

		if (t->nothing)
			memset(&caps, 0, sizeof(caps));
		else
			caps = *t->base;
		for (unsigned k = 0; k < t->count; k++)
			forbid(&caps, t->take[k].kind, t->take[k].bit);
		got = vmx_caps_degrade_mode(&caps, t->requested, t->x2apic_guest, &reason);
		if (got != t->want)
			fail_msg("%s: mode %s, want %s", t->what, config_mode_name(got),
				 config_mode_name(t->want));
		if (!t->want_reason && reason)
			fail_msg("%s: reason \"%s\", want none", t->what, reason);
		if (t->want_reason && (!reason || strcmp(reason, t->want_reason) != 0))
			fail_msg("%s: reason \"%s\", want \"%s\"", t->what,
				 reason ? reason : "(none)", t->want_reason);
	}
}

/* ---- vmx_caps_print -------------------------------------------------------------------------- */

struct feature_line {
	const char *name;
	bool yes;
	bool required;
};

/* The table's "features used by apicvisor" for the tigerlake fixture, in its order. */
static const struct feature_line tigerlake_features[] = {
	{ "activate secondary controls", true, true },
	{ "use I/O bitmaps", true, true },
	{ "use MSR bitmaps", true, true },
	{ "HLT exiting", true, true },
	{ "use TSC offsetting", true, true },
	{ "EPT", true, true },
	{ "unrestricted guest", true, true },
	{ "host address-space size", true, true },
	{ "save IA32_EFER on exit", true, true },
	{ "load IA32_EFER on exit", true, true },
	{ "load IA32_EFER on entry", true, true },
	{ "VPID", true, false },
	{ "VMX-preemption timer", true, false },
	{ "external-interrupt exiting", true, true },
	{ "NMI exiting", true, true },
	{ "CR8-load/store exiting", true, true },
	{ "acknowledge interrupt on exit", true, true },
	{ "virtual NMIs", true, false },
	{ "interrupt-window exiting", true, true },
	{ "NMI-window exiting", true, false },
	{ "TPR shadow", true, false },
	{ "virtualize APIC accesses", true, false },
	{ "virtualize x2APIC mode", true, false },
	{ "APIC-register virtualization", true, false },
	{ "virtual-interrupt delivery", true, false },
	{ "posted-interrupt processing", false, false },
	{ "enable RDTSCP", true, false },
	{ "enable INVPCID", false, false },
	{ "enable XSAVES/XRSTORS", false, false },
	{ "load/save IA32_PAT", true, false },
};

static void print_caps(const struct vmx_caps *caps, char *buf, size_t size)
{
	struct fmt_buffer b;
	struct fmt_sink sink;

	fmt_buffer_init(&b, buf, size);
	sink = fmt_buffer_sink(&b);
	vmx_caps_print(&sink, caps);
	assert_false(b.truncated);
	assert_int_equal(strlen(buf), b.len);
}

static void test_print_tigerlake(void **state)
{
	static char out[8192];
	const char *list;

	(void)state;
	print_caps(&vmx_caps_tigerlake, out, sizeof(out));
	assert_true(strncmp(out, "VT-x capabilities\n", 18) == 0);
	assert_has(out, "  CPUID.1:ECX.VMX            1\n");
	assert_has(out, "  IA32_FEATURE_CONTROL       0000000000000005\n");
	assert_has(out, "  IA32_VMX_BASIC             00d810000000002b (revision 43, VMCS 4096 "
			"bytes, memory type 6, TRUE controls yes)\n");
	assert_has(out, "  TRUE pin-based             allowed-0 (must be 1) 00000016  "
			"allowed-1 (may be 1) 0000007f\n");
	assert_has(out, "  TRUE primary proc-based    allowed-0 (must be 1) 04006172  "
			"allowed-1 (may be 1) fffffffe\n");
	assert_has(out, "  secondary proc-based       allowed-0 (must be 1) 00000000  "
			"allowed-1 (may be 1) 000003ff\n");
	assert_has(out, "  TRUE VM-exit               allowed-0 (must be 1) 00036dfb  "
			"allowed-1 (may be 1) 007fffff\n");
	assert_has(out, "  TRUE VM-entry              allowed-0 (must be 1) 000011fb  "
			"allowed-1 (may be 1) 0000f3ff\n");
	assert_has(out, "  IA32_VMX_MISC              00000000000401e0 (preemption timer rate: "
			"TSC >> 0)\n");
	assert_has(out, "  IA32_VMX_EPT_VPID_CAP      00000f0106114141 (4-level walk yes, WB yes, "
			"UC yes, 2M pages yes, 1G pages no, INVEPT yes, INVVPID yes)\n");
	assert_has(out, "  CR0 fixed0/fixed1          0000000080000021 / 00000000ffffffff\n");
	assert_has(out, "  CR4 fixed0/fixed1          0000000000002000 / 00000000003727ff\n");

	/* The feature list: every line exactly, in order, and nothing after it. */
	list = strstr(out, "  features used by apicvisor:\n");
	assert_non_null(list);
	list += strlen("  features used by apicvisor:\n");
	for (size_t i = 0; i < ARRAY_SIZE(tigerlake_features); i++) {
		const struct feature_line *f = &tigerlake_features[i];
		char want[128];
		size_t n = (size_t)snprintf(want, sizeof(want), "    %-32s %s%s\n", f->name,
					    f->yes ? "yes" : "no",
					    f->required ? " (required)" : "");

		if (strncmp(list, want, n) != 0)
			fail_msg("feature line %zu: want \"%s\", have \"%.*s\"", i, want, (int)n,
				 list);
		list += n;
	}
	assert_string_equal(list, "");
}

/* The whole line of one feature in the list. */
static void assert_feature_line(const char *text, const char *name, bool yes, bool required)
{
	char want[128];

	snprintf(want, sizeof(want), "\n    %-32s %s%s\n", name, yes ? "yes" : "no",
		 required ? " (required)" : "");
	assert_has(text, want);
}

static void test_print_posted_and_legacy(void **state)
{
	static char out[8192];
	struct vmx_caps legacy = { 0 };

	(void)state;
	print_caps(&posted_cpu, out, sizeof(out));
	assert_has(out, "(revision 4, VMCS 1024 bytes, memory type 6, TRUE controls yes)");
	assert_feature_line(out, "posted-interrupt processing", true, false);
	assert_feature_line(out, "enable INVPCID", true, false);
	assert_feature_line(out, "enable XSAVES/XRSTORS", true, false);
	assert_has(out, "(preemption timer rate: TSC >> 5)");
	assert_has(out, "(4-level walk yes, WB yes, UC yes, 2M pages yes, 1G pages yes, INVEPT "
			"yes, INVVPID yes)");
	assert_lacks(out, " no\n");
	assert_lacks(out, " no (required)\n");

	/* No TRUE controls: the plain MSR names; nothing available. */
	legacy.basic = 0x0000100000000007ull;
	legacy.pinbased = CONTROL_MSR(0x16, 0x3F);
	print_caps(&legacy, out, sizeof(out));
	assert_has(out, "  CPUID.1:ECX.VMX            0\n");
	assert_has(out, "(revision 7, VMCS 4096 bytes, memory type 0, TRUE controls no)");
	assert_has(out, "  pin-based                  allowed-0 (must be 1) 00000016  "
			"allowed-1 (may be 1) 0000003f\n");
	assert_has(out, "  primary proc-based         allowed-0");
	assert_has(out, "  VM-exit                    allowed-0");
	assert_has(out, "  VM-entry                   allowed-0");
	assert_lacks(out, "TRUE pin-based");
	assert_has(out, "(4-level walk no, WB no, UC no, 2M pages no, 1G pages no, INVEPT no, "
			"INVVPID no)");
	assert_feature_line(out, "EPT", false, true);
	assert_feature_line(out, "external-interrupt exiting", true, true);
	assert_feature_line(out, "NMI exiting", true, true);
	assert_feature_line(out, "virtual NMIs", true, false);
	assert_feature_line(out, "VMX-preemption timer", false, false);
	assert_feature_line(out, "posted-interrupt processing", false, false);
	assert_feature_line(out, "activate secondary controls", false, true);

	/* Each EPT/VPID flag on its own line position. */
	legacy.ept_vpid = EPT_CAP_WALK_LENGTH_4 | EPT_CAP_MEMTYPE_WB | EPT_CAP_1GB_PAGES;
	print_caps(&legacy, out, sizeof(out));
	assert_has(out, "  IA32_VMX_EPT_VPID_CAP      0000000000024040 (4-level walk yes, WB yes, "
			"UC no, 2M pages no, 1G pages yes, INVEPT no, INVVPID no)\n");
	legacy.ept_vpid =
		EPT_CAP_MEMTYPE_UC | EPT_CAP_2MB_PAGES | EPT_CAP_INVEPT | VPID_CAP_INVVPID;
	print_caps(&legacy, out, sizeof(out));
	assert_has(out, "  IA32_VMX_EPT_VPID_CAP      0000000100110100 (4-level walk no, WB no, "
			"UC yes, 2M pages yes, 1G pages no, INVEPT yes, INVVPID yes)\n");
}

/* An AP's features against the BSP's: every differing field named with both values; the
 * feature-control MSR (set up per CPU) is not compared. */
static void test_differences(void **state)
{
	static const struct {
		size_t offset;
		uint64_t flip;
		const char *name;
	} rows[] = {
		{ offsetof(struct vmx_caps, pinbased), 1ull << 39, "pin-based controls" },
		{ offsetof(struct vmx_caps, procbased2), 1ull << 41, "secondary processor-based" },
		{ offsetof(struct vmx_caps, exit), 1ull << 47, "exit controls" },
		{ offsetof(struct vmx_caps, entry), 1ull << 33, "entry controls" },
		{ offsetof(struct vmx_caps, misc), 1, "IA32_VMX_MISC" },
		{ offsetof(struct vmx_caps, ept_vpid), 1ull << 20, "IA32_VMX_EPT_VPID_CAP" },
		{ offsetof(struct vmx_caps, cr4_fixed1), 1ull << 22, "IA32_VMX_CR4_FIXED1" },
		{ offsetof(struct vmx_caps, basic), 1ull << 55, "IA32_VMX_BASIC" },
	};
	struct vmx_caps ap = vmx_caps_tigerlake;
	char text[512];

	(void)state;
	assert_int_equal(vmx_caps_differences(&ap, &vmx_caps_tigerlake, text, sizeof(text)), 0);
	assert_string_equal(text, "");
	ap.feature_control ^= 5;
	assert_int_equal(vmx_caps_differences(&ap, &vmx_caps_tigerlake, text, sizeof(text)), 0);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		ap = vmx_caps_tigerlake;
		*(uint64_t *)((char *)&ap + rows[i].offset) ^= rows[i].flip;
		assert_int_equal(vmx_caps_differences(&ap, &vmx_caps_tigerlake, text, sizeof(text)),
				 1);
		assert_has(text, rows[i].name);
		assert_has(text, " here, ");
		assert_has(text, " there");
	}
	ap = vmx_caps_tigerlake;
	ap.cpuid1_ecx ^= 1u << 26;
	ap.misc ^= 0x1F;
	assert_int_equal(vmx_caps_differences(&ap, &vmx_caps_tigerlake, text, sizeof(text)), 2);
	assert_has(text, "CPUID.1:ECX: ");
	assert_has(text, "; IA32_VMX_MISC: ");
	/* A short buffer truncates, still terminated. */
	assert_int_equal(vmx_caps_differences(&ap, &vmx_caps_tigerlake, text, 8), 2);
	assert_int_equal(strlen(text), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_word_table),
		cmocka_unit_test(test_control_word_properties),
		cmocka_unit_test(test_control_allowed),
		cmocka_unit_test(test_decode_basic_and_misc),
		cmocka_unit_test(test_fixtures_are_usable),
		cmocka_unit_test(test_posted_in_hardware),
		cmocka_unit_test(test_unusable_platform),
		cmocka_unit_test(test_unusable_each_essential_feature),
		cmocka_unit_test(test_optional_features_do_not_make_unusable),
		cmocka_unit_test(test_unusable_ept_capabilities),
		cmocka_unit_test(test_degrade_mode_table),
		cmocka_unit_test(test_controls_fit),
		cmocka_unit_test(test_print_tigerlake),
		cmocka_unit_test(test_print_posted_and_legacy),
		cmocka_unit_test(test_differences),
	};

	return cmocka_run_group_tests_name("vmx_caps", tests, NULL, NULL);
}
