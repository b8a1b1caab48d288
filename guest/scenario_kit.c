/* SPDX-License-Identifier: MIT */
#include "scenario_kit.h"

#include <stdarg.h>

#include "cpu.h"
#include "hypercall.h"
#include "lib/printf.h"

static const char *const scenario_failure_reasons[SCENARIO_FAILURE_COUNT] = {
	[SCENARIO_FAILURE_NO_MEMORY_INFO] = "boot information has no mem_lower/mem_upper",
	[SCENARIO_FAILURE_NO_MEMORY_MAP] = "boot information has no memory map",
	[SCENARIO_FAILURE_BAD_MEMORY_MAP] = "memory map entry too short",
	[SCENARIO_FAILURE_NO_UPPER_MEMORY] = "mem_upper is 0",
	[SCENARIO_FAILURE_HYPERCALL_ERROR] = "hypercall returned an error",
	[SCENARIO_FAILURE_NOT_ENOSYS] = "unknown hypercall did not return ENOSYS",
	[SCENARIO_FAILURE_HYPERCALL_REFUSED] = "hypervisor refused BEGIN, REPORT or END",
	[SCENARIO_FAILURE_TOO_MANY_FIGURES] = "more figures than a scenario may report",
	[SCENARIO_FAILURE_CPUID_NOT_FILTERED] = "CPUID differs from what apicvisor presents",
	[SCENARIO_FAILURE_NO_GP] = "an access that must fault did not raise #GP(0)",
	[SCENARIO_FAILURE_EFER] = "EFER unreadable, or LME/LMA clear in 64-bit mode",
	[SCENARIO_FAILURE_CR4_VMXE_VISIBLE] = "CR4.VMXE reads as 1",
	[SCENARIO_FAILURE_CR4_CHANGED] = "CR4 changed by a write that faulted",
	[SCENARIO_FAILURE_NOT_STOPPED] = "the guest went on where the hypervisor must stop it",
	[SCENARIO_FAILURE_APIC_SETUP] = "the local APIC could not be put in the mode wanted",
	[SCENARIO_FAILURE_INTERRUPT_MISSING] = "an interrupt did not arrive in time",
	[SCENARIO_FAILURE_INTERRUPT_UNEXPECTED] = "an interrupt arrived that must not have",
	[SCENARIO_FAILURE_INTERRUPT_ORDER] = "interrupts arrived in the wrong order",
	[SCENARIO_FAILURE_INTERRUPT_NESTED] = "an interrupt arrived inside a handler",
	[SCENARIO_FAILURE_INTERRUPT_BOUNDARY] = "an interrupt arrived at the wrong instruction "
						"boundary",
	[SCENARIO_FAILURE_APIC_REGISTER] = "an APIC register or MSR read back wrong",
	[SCENARIO_FAILURE_INTERRUPT_EARLY] = "a timer interrupt came before its deadline",
	[SCENARIO_FAILURE_DEVICE_REGISTER] = "an interrupt controller or device register read "
					     "back wrong",
	[SCENARIO_FAILURE_BAD_MODULE] = "a multiboot module lies outside RAM, is not page "
					"aligned or has no string",
	[SCENARIO_FAILURE_NO_RSDP] = "no ACPI RSDP where an OS looks for one",
	[SCENARIO_FAILURE_BAD_ACPI_TABLE] = "an ACPI table's checksum, length or place is wrong",
	[SCENARIO_FAILURE_ACPI_TABLE_MISSING] = "the MADT, FADT or DSDT is missing",
	[SCENARIO_FAILURE_MADT_MISMATCH] = "the MADT does not describe this platform's APICs",
	[SCENARIO_FAILURE_NO_PM_TIMER] = "the FADT names no usable ACPI PM timer",
	[SCENARIO_FAILURE_PM_TIMER_STOPPED] = "the ACPI PM timer did not advance",
	[SCENARIO_FAILURE_FW_CFG_SIGNATURE] = "fw_cfg's signature item is not \"QEMU\"",
	[SCENARIO_FAILURE_FW_CFG_ITEM] = "an fw_cfg item disagrees with the platform",
	[SCENARIO_FAILURE_INTERRUPT_LATE] = "a timer interrupt came later than its bound",
	[SCENARIO_FAILURE_RATE] = "a timer counted at a rate outside its bound",
	[SCENARIO_FAILURE_LEFTOVER_INTERRUPT] = "an interrupt left pending by an earlier scenario "
						"arrived before BEGIN",
	[SCENARIO_FAILURE_LOG_OVERFLOW] = "more interrupts arrived than the log holds: the "
					  "overwritten ones cannot be checked",
	[SCENARIO_FAILURE_AP_SILENT] = "an application processor did not report in after its "
				       "INIT and start-up IPIs",
	[SCENARIO_FAILURE_AP_IDENTITY] = "an application processor reported an APIC ID the MADT "
					 "does not list for an AP or another AP's, or entered the "
					 "start-up code twice",
	[SCENARIO_FAILURE_AP_STUCK] = "an application processor did not take the work sent to it",
	[SCENARIO_FAILURE_NO_CLOCK] = "no TSC rate to time the start-up IPIs with (CPUID, ACPI PM "
				      "timer)",
	[SCENARIO_FAILURE_NO_START_PAGE] = "no free page below 640 KiB for the APs' start-up code",
	[SCENARIO_FAILURE_NO_RESET] = "the machine did not reset",
	[SCENARIO_FAILURE_CPU_STATE] = "the CPU state an exception left differs from hardware's",
};

const char *scenario_failure_reason(enum scenario_failure failure)
{
	if (failure >= SCENARIO_FAILURE_COUNT || scenario_failure_reasons[failure] == NULL)
		return "unknown failure";
	return scenario_failure_reasons[failure];
}

/* printf_format's callback for a note: a note that does not fit is dropped by scenario_note. */
static void scenario_notes_output(void *context, char c)
{
	struct scenario_notes *notes = context;

	if (notes->len < sizeof(notes->text))
		notes->text[notes->len++] = c;
	else
		notes->overflowed = true;
}

static void scenario_notes_write(struct scenario_notes *notes, const char *text)
{
	while (*text != '\0')
		scenario_notes_output(notes, *text++);
}

void scenario_note(struct scenario_state *state, const char *format, ...)
{
	struct scenario_notes *notes = &state->notes;
	size_t start = notes->len;
	va_list ap;

	scenario_notes_write(notes, "  ");
	va_start(ap, format);
	printf_format(scenario_notes_output, notes, format, ap);
	va_end(ap);
	scenario_notes_write(notes, "\n");
	if (notes->overflowed) {
		notes->len = start;
		notes->overflowed = false;
		notes->dropped++;
	}
}

void scenario_protocol_call(struct scenario_state *state, const char *what, uint64_t function,
			    uint64_t arg1, uint64_t arg2)
{
	int64_t result = hypercall(function, arg1, arg2, 0);

	if (result != 0) {
		scenario_note(state, "apicvisor refused %s: %ld", what, result);
		state->refused_hypercalls++;
	}
}

void scenario_report(struct scenario_state *state, const char *key, uint64_t value)
{
	if (state->figure_count == SCENARIO_MAX_FIGURES) {
		state->dropped_figures++;
		return;
	}
	state->figures[state->figure_count++] = (struct scenario_figure){ key, value };
	if (state->context->hypervisor)
		scenario_protocol_call(state, "REPORT", APICVISOR_HC_REPORT, (uintptr_t)key, value);
}

enum scenario_failure scenario_skip(struct scenario_state *state, const char *reason)
{
	state->skip_reason = reason;
	return SCENARIO_SKIPPED;
}

enum scenario_failure scenario_prepare_housekeeping(
	struct scenario_state *state, enum scenario_failure (*prepare)(struct scenario_state *))
{
	if (!state->context->hypervisor ||
	    !(hypercall(APICVISOR_HC_GET_PLATFORM, 0, 0, 0) & APICVISOR_PLATFORM_HOUSEKEEPING))
		return scenario_skip(state, "no housekeeping CPU (housekeeping=cpu0)");
	return prepare(state);
}

bool scenario_expect(struct scenario_state *state, const char *what, uint64_t actual,
		     uint64_t expected)
{
	if (actual == expected)
		return true;
	scenario_note(state, "%s is 0x%lx, expected 0x%lx", what, actual, expected);
	return false;
}

bool scenario_expect_gp(struct scenario_state *state, const char *what,
			struct idt_exception_record raised)
{
	if (raised.vector == IDT_VECTOR_GP && raised.error_code == 0)
		return true;
	if (raised.vector == IDT_NO_EXCEPTION)
		scenario_note(state, "%s raised nothing, expected #GP(0)", what);
	else
		scenario_note(state, "%s raised vector %u with error code 0x%lx, expected #GP(0)",
			      what, raised.vector, raised.error_code);
	return false;
}

void scenario_read_clocks(struct scenario_clocks *clocks)
{
	uint32_t max_leaf = cpu_cpuid(CPUID_LEAF_BASIC_MAX).eax;

	*clocks = (struct scenario_clocks){ 0 };
	if (max_leaf >= CPUID_LEAF_TSC_CRYSTAL) {
		struct cpu_cpuid_result r = cpu_cpuid(CPUID_LEAF_TSC_CRYSTAL);

		if (r.eax != 0 && r.ebx != 0) {
			clocks->crystal_denominator = r.eax;
			clocks->crystal_numerator = r.ebx;
			if (r.ecx != 0)
				clocks->tsc_hz = (uint64_t)r.ecx * r.ebx / r.eax;
		}
	}
	if (clocks->tsc_hz == 0 && max_leaf >= CPUID_LEAF_FREQUENCY)
		clocks->tsc_hz = (uint64_t)(cpu_cpuid(CPUID_LEAF_FREQUENCY).eax & 0xFFFFu) *
				 1000000u;
}

bool scenario_clocks_have_crystal(const struct scenario_clocks *clocks)
{
	return clocks->crystal_numerator != 0 && clocks->crystal_denominator != 0;
}

uint64_t scenario_clocks_apic_timer_cycles(const struct scenario_clocks *clocks, uint64_t counts,
					   uint32_t divisor)
{
	uint64_t crystal_ticks = counts * divisor;
	uint64_t numerator = clocks->crystal_numerator, denominator = clocks->crystal_denominator;

	/* Split so that neither product overflows: the remainder is below 2^32. */
	return crystal_ticks / denominator * numerator +
	       crystal_ticks % denominator * numerator / denominator;
}

uint64_t scenario_clocks_tsc_cycles(const struct scenario_clocks *clocks, uint64_t ticks,
				    uint64_t hz)
{
	return (ticks * clocks->tsc_hz + hz / 2) / hz;
}
