/* SPDX-License-Identifier: MIT */
/*
 * What the scenario files share: the failure codes, a scenario's state while it runs, and the
 * calls that fill it in (notes, figures, checks). scenarios.c runs them; scenarios.h describes
 * them all.
 */
#ifndef GUEST_SCENARIO_KIT_H
#define GUEST_SCENARIO_KIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idt.h"
#include "scenarios.h"

/* Why a scenario failed. The value is also HC_SCENARIO_END's argument, so the hypervisor's
 * report and the guest's "FAIL (reason)" line name the same cause: new codes go at the end,
 * before SCENARIO_SKIPPED. */
enum scenario_failure {
	SCENARIO_PASSED = 0,
	SCENARIO_FAILURE_NO_MEMORY_INFO,
	SCENARIO_FAILURE_NO_MEMORY_MAP,
	SCENARIO_FAILURE_BAD_MEMORY_MAP,
	SCENARIO_FAILURE_NO_UPPER_MEMORY,
	SCENARIO_FAILURE_HYPERCALL_ERROR,
	SCENARIO_FAILURE_NOT_ENOSYS,
	SCENARIO_FAILURE_HYPERCALL_REFUSED,
	SCENARIO_FAILURE_TOO_MANY_FIGURES,
	SCENARIO_FAILURE_CPUID_NOT_FILTERED,
	SCENARIO_FAILURE_NO_GP,
	SCENARIO_FAILURE_EFER,
	SCENARIO_FAILURE_CR4_VMXE_VISIBLE,
	SCENARIO_FAILURE_CR4_CHANGED,
	SCENARIO_FAILURE_NOT_STOPPED,
	SCENARIO_FAILURE_APIC_SETUP,
	SCENARIO_FAILURE_INTERRUPT_MISSING,
	SCENARIO_FAILURE_INTERRUPT_UNEXPECTED,
	SCENARIO_FAILURE_INTERRUPT_ORDER,
	SCENARIO_FAILURE_INTERRUPT_NESTED,
	SCENARIO_FAILURE_INTERRUPT_BOUNDARY,
	SCENARIO_FAILURE_APIC_REGISTER,
	SCENARIO_FAILURE_INTERRUPT_EARLY,
	SCENARIO_FAILURE_DEVICE_REGISTER,
	SCENARIO_FAILURE_BAD_MODULE,
	SCENARIO_FAILURE_NO_RSDP,
	SCENARIO_FAILURE_BAD_ACPI_TABLE,
	SCENARIO_FAILURE_ACPI_TABLE_MISSING,
	SCENARIO_FAILURE_MADT_MISMATCH,
	SCENARIO_FAILURE_NO_PM_TIMER,
	SCENARIO_FAILURE_PM_TIMER_STOPPED,
	SCENARIO_FAILURE_FW_CFG_SIGNATURE,
	SCENARIO_FAILURE_FW_CFG_ITEM,
	SCENARIO_FAILURE_INTERRUPT_LATE,
	SCENARIO_FAILURE_RATE,
	SCENARIO_FAILURE_LEFTOVER_INTERRUPT,
	SCENARIO_FAILURE_LOG_OVERFLOW,
	SCENARIO_FAILURE_AP_SILENT,
	SCENARIO_FAILURE_AP_IDENTITY,
	SCENARIO_FAILURE_AP_STUCK,
	SCENARIO_FAILURE_NO_CLOCK,
	SCENARIO_FAILURE_NO_START_PAGE,
	SCENARIO_FAILURE_NO_RESET,
	SCENARIO_FAILURE_CPU_STATE,
	SCENARIO_FAILURE_COUNT,
	/* Not a failure: what a prepare function returns through scenario_skip. */
	SCENARIO_SKIPPED = SCENARIO_FAILURE_COUNT,
};

const char *scenario_failure_reason(enum scenario_failure failure);

/* As many figures as apicvisor keeps per scenario (STATS_MAX_REPORTS in vmx/stats.h). */
#define SCENARIO_MAX_FIGURES 8
#define SCENARIO_NOTES_BYTES 512

/* A figure: what a scenario measured, under a key of at most 64 bytes (the REPORT limit). */
struct scenario_figure {
	const char *key;
	uint64_t value;
};

/* Diagnostics ("what differs"), one "  text\n" line each, kept for after SCENARIO_END. */
struct scenario_notes {
	char text[SCENARIO_NOTES_BYTES];
	size_t len;
	bool overflowed;             /* the note being written did not fit */
	unsigned dropped;            /* notes left out for that reason */
};

/*
 * One scenario in progress: scenario_run sets it up, the scenario and the protocol calls fill
 * it in, and scenario_run prints its figures and notes after SCENARIO_END. Until then nothing is
 * printed (hello's display of the boot information aside: that is its work), because the
 * hypervisor would count the console's exits among the scenario's.
 */
struct scenario_state {
	const struct scenario_context *context;
	unsigned refused_hypercalls; /* BEGIN, REPORT or END calls that returned an error */
	struct scenario_figure figures[SCENARIO_MAX_FIGURES];
	unsigned figure_count;
	unsigned dropped_figures;    /* reported beyond SCENARIO_MAX_FIGURES */
	struct scenario_notes notes;
	const char *skip_reason;     /* set by scenario_skip */
};

struct scenario {
	const char *name;            /* also HC_SCENARIO_BEGIN's argument: at most 64 bytes */
	bool needs_hypervisor;       /* skipped without apicvisor */
	/* Runs before SCENARIO_BEGIN, so that its exits are not counted as the scenario's: puts
	 * the machine in the state the scenario starts from, or says why it cannot run
	 * (scenario_skip) or fails. NULL: nothing to prepare. */
	enum scenario_failure (*prepare)(struct scenario_state *state);
	enum scenario_failure (*run)(struct scenario_state *state);
};

/* A table of scenarios defined in one file, for scenario_run to search. */
struct scenario_list {
	const struct scenario *scenarios;
	size_t count;
};

extern const struct scenario_list scenario_apic_list;   /* scenarios_apic.c */
extern const struct scenario_list scenario_timer_list;  /* scenarios_timer.c */
extern const struct scenario_list scenario_ioapic_list; /* scenarios_ioapic.c */
extern const struct scenario_list scenario_isa_list;    /* scenarios_isa.c */
extern const struct scenario_list scenario_platform_list; /* scenarios_platform.c */
extern const struct scenario_list scenario_reset_list;    /* scenarios_reset.c */
extern const struct scenario_list scenario_hpet_list;     /* scenarios_hpet.c */
extern const struct scenario_list scenario_bios_list;     /* scenarios_bios.c */
extern const struct scenario_list scenario_access_list;   /* scenarios_access.c */
extern const struct scenario_list scenario_smp_list;    /* scenarios_smp.c */

/* Keeps one line of diagnostics for after SCENARIO_END. */
void scenario_note(struct scenario_state *state, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/* A figure of the current scenario: kept for printing after SCENARIO_END, and sent to the
 * hypervisor now, when there is one, so that it lands in the scenario's record. */
void scenario_report(struct scenario_state *state, const char *key, uint64_t value);

/* BEGIN, REPORT and END: the hypervisor's per-scenario figures depend on each succeeding. */
void scenario_protocol_call(struct scenario_state *state, const char *what, uint64_t function,
			    uint64_t arg1, uint64_t arg2);

/* For a prepare function: the scenario cannot run here, for `reason` (a string constant). */
enum scenario_failure scenario_skip(struct scenario_state *state, const char *reason);
/* For a prepare function: skips unless apicvisor runs a housekeeping CPU (housekeeping=cpu0,
 * APICVISOR_HC_GET_PLATFORM), else prepares with `prepare`: the offload scenarios, which are
 * other scenarios with their timers kept by that CPU. */
enum scenario_failure scenario_prepare_housekeeping(
	struct scenario_state *state, enum scenario_failure (*prepare)(struct scenario_state *));

/* Checks one value a scenario observed; a mismatch is noted. */
bool scenario_expect(struct scenario_state *state, const char *what, uint64_t actual,
		     uint64_t expected);

/*
 * What CPUID says of the clocks (SDM Vol. 2A "CPUID—CPU Identification", leaves 15H and 16H).
 * CPUID is an exit under a hypervisor, so prepare steps read it, not the scenarios.
 *
 * Leaf 15H: "TSC frequency = core crystal clock frequency * EBX/EAX"; EBX = 0 means the ratio
 * is not enumerated, ECX = 0 the crystal's frequency. Where the ratio is enumerated, the local
 * APIC timer counts the core crystal clock (SDM Vol. 3A §11.5.4 "APIC Timer": "The APIC timer
 * frequency will be the processor's bus clock or core crystal clock frequency (when TSC/core
 * crystal clock ratio is enumerated in CPUID leaf 0x15) divided by the value specified in the
 * divide configuration register"), so one timer count at divide 1 is EBX/EAX TSC cycles.
 * apicvisor answers EAX = EBX = 1 and ECX = the TSC rate it measured (vmx/cpuid_policy.c).
 */
struct scenario_clocks {
	uint32_t crystal_denominator; /* CPUID.15H:EAX, 0 where the leaf is absent */
	uint32_t crystal_numerator;   /* CPUID.15H:EBX, 0: the ratio is not enumerated */
	uint64_t tsc_hz;              /* leaf 15H's TSC frequency where ECX is given too, else
				       * leaf 16H's base frequency (the rate of an invariant TSC on
				       * processors that enumerate it without the crystal's), else 0 */
};

/* Fills *clocks from CPUID leaves 0, 15H and 16H (3 CPUIDs at most). */
void scenario_read_clocks(struct scenario_clocks *clocks);

/* Whether CPUID.15H enumerates the TSC/crystal ratio, so that APIC timer counts can be turned
 * into TSC cycles. */
bool scenario_clocks_have_crystal(const struct scenario_clocks *clocks);

/* TSC cycles of `counts` APIC timer counts at divisor `divisor` (1-128): counts * divisor *
 * EBX / EAX, rounded down. Only where scenario_clocks_have_crystal. */
uint64_t scenario_clocks_apic_timer_cycles(const struct scenario_clocks *clocks, uint64_t counts,
					   uint32_t divisor);

/* TSC cycles of `ticks` ticks of a clock of `hz` Hz: ticks * tsc_hz / hz, rounded to nearest.
 * Only where clocks->tsc_hz != 0; ticks * tsc_hz must fit in 64 bits. */
uint64_t scenario_clocks_tsc_cycles(const struct scenario_clocks *clocks, uint64_t ticks,
				    uint64_t hz);

/* Checks that an instruction run under a fixup raised #GP(0); anything else is noted. */
bool scenario_expect_gp(struct scenario_state *state, const char *what,
			struct idt_exception_record raised);

#endif
