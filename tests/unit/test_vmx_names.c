/* SPDX-License-Identifier: MIT */
/* Unit tests for vmx/vmx_names.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vmx/vmx_names.h"

#define UNKNOWN_ERROR "unknown VM-instruction error"

/* Basic exit reasons below VMX_EXIT_REASON_COUNT that the SDM leaves undefined. */
static bool sdm_leaves_undefined(unsigned reason)
{
	return reason == 35 || reason == 38 || reason == 42 || reason == 71;
}

static void test_every_defined_reason_has_a_name(void **state)
{
	(void)state;
	for (unsigned reason = 0; reason < VMX_EXIT_REASON_COUNT; reason++) {
		const char *name = vmx_exit_reason_name(reason);

		assert_non_null(name);
		if (sdm_leaves_undefined(reason)) {
			assert_false(vmx_exit_reason_is_defined(reason));
			assert_string_equal(name, "UNKNOWN");
			continue;
		}
		if (!vmx_exit_reason_is_defined(reason))
			fail_msg("exit reason %u is not defined", reason);
		assert_string_not_equal(name, "UNKNOWN");
		assert_true(strlen(name) > 0);
		/* Upper case, digits and underscores: usable as an identifier and a JSON key. */
		for (const char *p = name; *p != '\0'; p++) {
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
				fail_msg("exit reason %u: name \"%s\" has '%c'", reason, name, *p);
		}
	}
}

static void test_names_are_unique(void **state)
{
	(void)state;
	for (unsigned a = 0; a < VMX_EXIT_REASON_COUNT; a++) {
		if (!vmx_exit_reason_is_defined(a))
			continue;
		for (unsigned b = a + 1; b < VMX_EXIT_REASON_COUNT; b++) {
			if (vmx_exit_reason_is_defined(b) &&
			    strcmp(vmx_exit_reason_name(a), vmx_exit_reason_name(b)) == 0)
				fail_msg("exit reasons %u and %u share the name %s", a, b,
					 vmx_exit_reason_name(a));
		}
	}
}

static void test_undefined_reasons(void **state)
{
	static const unsigned undefined[] = { 35, 38, 42, 71, 78, 79, 1000, 0xffff, 0x80000021u,
					      UINT32_MAX };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(undefined); i++) {
		assert_false(vmx_exit_reason_is_defined(undefined[i]));
		assert_string_equal(vmx_exit_reason_name(undefined[i]), "UNKNOWN");
	}
}

static void test_reason_spot_checks(void **state)
{
	static const struct {
		unsigned reason;
		const char *name;
	} expected[] = {
		{ 0, "EXCEPTION_NMI" },
		{ 1, "EXTERNAL_INTERRUPT" },
		{ 2, "TRIPLE_FAULT" },
		{ 7, "INTERRUPT_WINDOW" },
		{ 10, "CPUID" },
		{ 12, "HLT" },
		{ 18, "VMCALL" },
		{ 28, "CR_ACCESS" },
		{ 30, "IO_INSTRUCTION" },
		{ 31, "RDMSR" },
		{ 32, "WRMSR" },
		{ 33, "ENTRY_FAIL_GUEST_STATE" },
		{ 43, "TPR_BELOW_THRESHOLD" },
		{ 44, "APIC_ACCESS" },
		{ 45, "EOI_INDUCED" },
		{ 48, "EPT_VIOLATION" },
		{ 49, "EPT_MISCONFIG" },
		{ 52, "PREEMPTION_TIMER" },
		{ 56, "APIC_WRITE" },
		{ 74, "BUS_LOCK" },
		{ 77, "TDCALL" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(expected); i++)
		assert_string_equal(vmx_exit_reason_name(expected[i].reason), expected[i].name);
	/* The enum and the table agree. */
	assert_string_equal(vmx_exit_reason_name(EXIT_REASON_EXTERNAL_INTERRUPT),
			    "EXTERNAL_INTERRUPT");
	assert_string_equal(vmx_exit_reason_name(EXIT_REASON_XSETBV), "XSETBV");
}

/* SDM Vol. 3C §31.4: numbers 1-28 are defined except 14, 21 and 27, which the table skips. */
static bool sdm_defines_error(unsigned error)
{
	return error >= 1 && error <= 28 && error != 14 && error != 21 && error != 27;
}

static void test_instruction_errors(void **state)
{
	(void)state;
	for (unsigned error = 0; error <= 40; error++) {
		const char *name = vmx_instruction_error_name(error);

		assert_non_null(name);
		if (sdm_defines_error(error)) {
			if (strcmp(name, UNKNOWN_ERROR) == 0)
				fail_msg("VM-instruction error %u has no description", error);
		} else {
			assert_string_equal(name, UNKNOWN_ERROR);
		}
	}
	assert_string_equal(vmx_instruction_error_name(UINT32_MAX), UNKNOWN_ERROR);
}

static void test_instruction_error_spot_checks(void **state)
{
	static const struct {
		unsigned error;
		const char *text;
	} expected[] = {
		{ 1, "VMCALL executed in VMX root operation" },
		{ 2, "VMCLEAR with invalid physical address" },
		{ 4, "VMLAUNCH with non-clear VMCS" },
		{ 5, "VMRESUME with non-launched VMCS" },
		{ 7, "VM entry with invalid control field(s)" },
		{ 8, "VM entry with invalid host-state field(s)" },
		{ 9, "VMPTRLD with invalid physical address" },
		{ 11, "VMPTRLD with incorrect VMCS revision identifier" },
		{ 12, "VMREAD/VMWRITE from/to unsupported VMCS component" },
		{ 13, "VMWRITE to read-only VMCS component" },
		{ 15, "VMXON executed in VMX root operation" },
		{ 26, "VM entry with events blocked by MOV SS" },
		{ 28, "Invalid operand to INVEPT/INVVPID" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(expected); i++)
		assert_string_equal(vmx_instruction_error_name(expected[i].error), expected[i].text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_defined_reason_has_a_name),
		cmocka_unit_test(test_names_are_unique),
		cmocka_unit_test(test_undefined_reasons),
		cmocka_unit_test(test_reason_spot_checks),
		cmocka_unit_test(test_instruction_errors),
		cmocka_unit_test(test_instruction_error_spot_checks),
	};

	return cmocka_run_group_tests_name("vmx_names", tests, NULL, NULL);
}
