/* SPDX-License-Identifier: MIT */
/*
 * Exit statistics: per vCPU and per basic exit reason, how many exits and how many root-mode TSC
 * cycles they cost; per scenario, how many exits each reason contributed; the human table and
 * the JSON document (docs/statistics.md is the schema). Plain C, unit-tested on the host.
 */
#ifndef APICVISOR_STATS_H
#define APICVISOR_STATS_H

#include "../lib/fmt.h"
#include "../lib/klib.h"
#include "vmx_names.h"

/* One basic exit reason on one vCPU. Written only by that vCPU's exit path. */
struct exit_stat {
	uint64_t count;       /* every exit, timed or not */
	uint64_t untimed;     /* of which turned around by the entry stub's fast path, not timed */
	uint64_t cycles_sum;  /* root-mode TSC cycles of the timed exits */
	uint64_t cycles_min;
	uint64_t cycles_max;
};

/* What other CPUs did to a vCPU (SMP), counted by the vCPU itself. */
struct vcpu_event_stats {
	uint64_t inits;               /* INITs taken: reset, held in root mode */
	uint64_t sipis;               /* start-up IPIs that started it */
	uint64_t sipis_ignored;       /* start-up IPIs that found it running (SDM Vol. 3A §11.6.1) */
	uint64_t kicks;               /* external-interrupt exits for the kick vector */
	uint64_t notification_exits;  /* ... for the posted-interrupt notification vector (a CPU
				       * without posted-interrupt processing: the software path) */
};

struct exit_stats {
	struct exit_stat reason[VMX_EXIT_REASON_COUNT];
	uint64_t out_of_range;        /* basic reasons >= VMX_EXIT_REASON_COUNT */
	struct vcpu_event_stats events;
};

void exit_stats_init(struct exit_stats *s);
/* A timed exit: `cycles` root-mode TSC cycles from VM exit to the next VM entry. */
void exit_stats_record(struct exit_stats *s, unsigned reason, uint64_t cycles);
/* Exits turned around without timing (the null-hypercall fast path). */
void exit_stats_add_untimed(struct exit_stats *s, unsigned reason, uint64_t count);
uint64_t exit_stats_total(const struct exit_stats *s);

#define STATS_NAME_MAX 64
#define STATS_MAX_KEYED 8

/* A count by a small key (an APIC register offset, a vector). */
struct scenario_keyed {
	uint16_t key;
	uint64_t count;
};
#define STATS_MAX_REPORTS 8

struct scenario_figure {
	char key[STATS_NAME_MAX];
	uint64_t value;
};

/* One guest scenario, between its BEGIN and END hypercalls. */
struct scenario_result {
	char name[STATS_NAME_MAX];
	char mode[16];                /* the interrupt delivery mode it ran in */
	bool ended;                   /* END seen; false: the guest stopped inside it */
	uint64_t status;              /* END's argument: 0 = pass */
	/* Exits by basic reason between BEGIN and END, not counting the checkpoint hypercalls
	 * (BEGIN, END, REPORT) themselves. */
	uint64_t exits[VMX_EXIT_REASON_COUNT];
	/* The same span on the other vCPUs together (with SMP: the receivers of the scenario's
	 * IPIs and device interrupts; 0 with one vCPU). Holds the snapshot until the end. */
	uint64_t other_exits[VMX_EXIT_REASON_COUNT];
	uint64_t root_cycles;         /* root-mode cycles of the timed exits among them */
	/* What the interrupt path did (filled by the caller at END from its counters). */
	uint64_t injected;            /* interrupts injected at VM entry */
	uint64_t extint_injected;     /* of which 8259 interrupts (ExtINT), in any mode */
	uint64_t extint_window_exits; /* interrupt-window exits taken for an ExtINT */
	uint64_t remote_irr_clears;   /* IOAPIC remote IRR bits cleared by EOIs */
	unsigned ioapic_access_count;
	struct scenario_keyed ioapic_access[STATS_MAX_KEYED]; /* IOAPIC MMIO exits by offset */
	uint64_t posted;              /* interrupts that went through the posted-interrupt descriptor */
	uint64_t notifications;       /* of the posts, notifications the CPU processed at VM entry */
	uint64_t pir_drained;         /* of the posts, vectors moved PIR → vIRR in software */
	unsigned apic_write_count;
	struct scenario_keyed apic_write[STATS_MAX_KEYED];   /* APIC_WRITE exits by offset */
	unsigned eoi_induced_count;
	struct scenario_keyed eoi_induced[STATS_MAX_KEYED];  /* EOI_INDUCED exits by vector */
	unsigned figure_count;
	struct scenario_figure figures[STATS_MAX_REPORTS];
};

/* The other vCPUs' exit counts by reason, summed (`now`), at BEGIN and at END or when the
 * scenario was interrupted: other_exits becomes the difference. */
void scenario_others_begin(struct scenario_result *r, const uint64_t now[VMX_EXIT_REASON_COUNT]);
void scenario_others_end(struct scenario_result *r, const uint64_t now[VMX_EXIT_REASON_COUNT]);

/* Snapshot of the counts at BEGIN. */
void scenario_begin(struct scenario_result *r, const char *name, const char *mode,
		    const struct exit_stats *now);
/* Subtracts the snapshot: `checkpoints` of the VMCALL exits counted since were checkpoint
 * hypercalls (BEGIN, REPORT), not the scenario's work. */
void scenario_end(struct scenario_result *r, uint64_t status, const struct exit_stats *now,
		  uint64_t checkpoints);
/* The guest stopped inside a scenario (no END): its counts become the exits since BEGIN as
 * scenario_end computes them, and it stays unended. */
void scenario_interrupted(struct scenario_result *r, const struct exit_stats *now,
			  uint64_t checkpoints);
/* Adds a keyed count (ignored when zero). Returns false when the list is full. */
bool scenario_add_keyed(struct scenario_keyed *list, unsigned *count, uint16_t key, uint64_t n);

/* Returns false when the scenario already holds STATS_MAX_REPORTS figures. */
bool scenario_add_figure(struct scenario_result *r, const char *key, uint64_t value);

/* How the guest's run ended. */
enum guest_end {
	GUEST_END_RUNNING,        /* not ended (statistics printed for another reason) */
	GUEST_END_DEBUG_EXIT,     /* wrote isa-debug-exit: exit_value valid */
	GUEST_END_TRIPLE_FAULT,
	GUEST_END_TIMEOUT,
	GUEST_END_HALTED,         /* HLT with nothing that could ever wake it */
	GUEST_END_UNHANDLED,      /* an exit or access the hypervisor does not emulate */
	GUEST_END_ENTRY_FAILURE,
	GUEST_END_RESET,          /* the guest reset the machine (92H, CF9H, the 8042) */
	GUEST_END_POWEROFF,       /* the guest switched the machine off (ACPI S5) */
};
const char *guest_end_name(enum guest_end end);

#define STATS_MAX_CPUS 8

/* Everything the final report says. Filled by vmx/ at the end of the run. */
/* housekeeping=cpu0: what the housekeeping CPU did (boot/housekeeping.c). */
struct housekeeping_summary {
	const char *host_timer;       /* how it sleeps: "tsc-deadline" or "polling"; NULL: there
				       * is no housekeeping CPU in this run */
	uint64_t passes;              /* looks at the deadlines */
	uint64_t halts;               /* times it halted until a deadline or a wake-up */
	uint64_t wakeups;             /* kicks the vCPUs sent it (a timer programmed, a device
				       * deadline moved, the end of the run) */
	uint64_t lapic_ticks;         /* vLAPIC timer expiries it fired, all vCPUs */
	uint64_t lapic_delivered;     /* ... whose vector it sent (LVT not masked) */
	uint64_t lapic_missed;        /* periodic expiries coalesced into a later one */
	uint64_t posted;              /* interrupts it posted into a vCPU's descriptor */
	uint64_t notifications;       /* notification IPIs it sent */
	uint64_t notifications_coalesced; /* posts that found ON already set */
};

/* Accesses to guest-physical memory nothing backs (strict=off: reads all ones, writes dropped),
 * per 4 KiB page: the first STATS_UNBACKED_PAGES pages touched by name, the rest together. */
#define STATS_UNBACKED_PAGES 16

struct unbacked_page {
	uint64_t page;                /* guest-physical, 4 KiB aligned */
	uint64_t reads, writes;
};

struct unbacked_stats {
	unsigned count;               /* pages[0..count) in use, in the order first touched */
	struct unbacked_page pages[STATS_UNBACKED_PAGES];
	uint64_t other_reads, other_writes; /* accesses to pages past the table */
};

/* Counts one access at `gpa`. */
void unbacked_stats_count(struct unbacked_stats *u, uint64_t gpa, bool write);

struct run_summary {
	const char *version;
	const char *mode_requested;
	const char *mode_effective;
	const char *mode_reason;      /* NULL: nothing degraded */
	const char *posted_interrupts; /* posted mode: "hardware" or "software"; else NULL */
	const char *guest_path;
	const char *guest_args;
	uint64_t tsc_hz;
	enum guest_end end;
	uint32_t exit_value;          /* isa-debug-exit value (QEMU status = value << 1 | 1) */
	const char *end_detail;       /* one line: what happened, with guest RIP */
	uint64_t guest_cycles;        /* TSC cycles from first VM entry to the end */
	unsigned cpu_count;
	const struct exit_stats *cpus[STATS_MAX_CPUS];
	unsigned scenario_count;
	const struct scenario_result *scenarios;
	uint64_t msr_gp_injected;     /* RDMSR/WRMSR outside the handled set → #GP */
	uint64_t io_unhandled;        /* accesses to ports nothing emulates */
	uint64_t timer_periods_clamped; /* vLAPIC periodic timers lengthened to the minimum period */
	uint64_t host_nmis_in_guest;  /* host NMIs that arrived while a guest ran (NMI exits) */
	uint64_t host_nmis_in_root;   /* host NMIs taken by the root-mode NMI handler */
	struct housekeeping_summary housekeeping;
	const struct unbacked_stats *unbacked; /* NULL: none kept */
};

/* Whether the run counts as a success: debug-exit with value 0 and every scenario ended with
 * status 0. */
bool run_summary_success(const struct run_summary *s);

/* The human table, like `perf kvm stat`: per vCPU, reason, count, % of exits, average/min/max
 * root-mode cycles; then the scenarios with their exits and figures. */
void stats_print_table(const struct fmt_sink *out, const struct run_summary *s);

/* The ladder: one row per scenario name, one column per delivery mode it ran in, each cell the
 * VM exits per interrupt (the scenario's exits over its "interrupts" figure). Scenarios that
 * report no "interrupts" figure are left out. */
void stats_print_ladder(const struct fmt_sink *out, const struct run_summary *s);

/* The JSON document (docs/statistics.md), without the marker lines. */
void stats_print_json(const struct fmt_sink *out, const struct run_summary *s);

#define STATS_JSON_BEGIN_MARKER "=== apicvisor results.json begin ==="
#define STATS_JSON_END_MARKER "=== apicvisor results.json end ==="

#endif
