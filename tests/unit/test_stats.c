/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmx/stats.c: per-reason exit counters, scenario deltas and figures, the run's
 * verdict, the human table and the JSON document. The JSON is checked by Python's json module
 * (python3 on the PATH), which also re-prints it in a canonical form the test compares against.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmx/stats.h"

#include "test_util.h"

/* ---- exit counters --------------------------------------------------------------------------- */

static void test_init(void **state)
{
	struct exit_stats s;

	(void)state;
	memset(&s, 0x5A, sizeof(s));
	exit_stats_init(&s);
	for (unsigned r = 0; r < VMX_EXIT_REASON_COUNT; r++) {
		assert_int_equal(s.reason[r].count, 0);
		assert_int_equal(s.reason[r].untimed, 0);
		assert_int_equal(s.reason[r].cycles_sum, 0);
		assert_int_equal(s.reason[r].cycles_min, UINT64_MAX);
		assert_int_equal(s.reason[r].cycles_max, 0);
	}
	assert_int_equal(s.out_of_range, 0);
	assert_int_equal(exit_stats_total(&s), 0);
}

/* One event fed to the counters: a timed exit, or a batch of untimed ones. */
struct exit_event {
	bool untimed;
	unsigned reason;
	uint64_t value;             /* cycles, or the untimed count */
};

struct expected_stat {
	unsigned reason;
	uint64_t count, untimed, sum, min, max;
};

static const struct exit_event events[] = {
	{ false, EXIT_REASON_VMCALL, 100 },
	{ false, EXIT_REASON_VMCALL, 50 },
	{ false, EXIT_REASON_VMCALL, 300 },
	{ true, EXIT_REASON_VMCALL, 5 },
	{ false, EXIT_REASON_EXCEPTION_NMI, 0 },          /* reason 0 and a zero-cycle exit */
	{ false, EXIT_REASON_TDCALL, 7 },                 /* the last reason counted */
	{ false, EXIT_REASON_TDCALL, UINT64_MAX / 4 },
	{ true, EXIT_REASON_HLT, 3 },                     /* untimed only */
	{ true, EXIT_REASON_HLT, 0 },                     /* an empty batch changes nothing */
	{ false, VMX_EXIT_REASON_COUNT, 999 },            /* out of range */
	{ true, 0xFFFF, 4 },
	{ false, UINT32_MAX, 1 },
};

static const struct expected_stat expected_stats[] = {
	{ EXIT_REASON_VMCALL, 8, 5, 450, 50, 300 },
	{ EXIT_REASON_EXCEPTION_NMI, 1, 0, 0, 0, 0 },
	{ EXIT_REASON_TDCALL, 2, 0, UINT64_MAX / 4 + 7, 7, UINT64_MAX / 4 },
	{ EXIT_REASON_HLT, 3, 3, 0, UINT64_MAX, 0 },
};

static void feed(struct exit_stats *s, const struct exit_event *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (e[i].untimed)
			exit_stats_add_untimed(s, e[i].reason, e[i].value);
		else
			exit_stats_record(s, e[i].reason, e[i].value);
	}
}

static void test_record_and_untimed(void **state)
{
	struct exit_stats s;
	uint64_t named = 0;

	(void)state;
	exit_stats_init(&s);
	feed(&s, events, ARRAY_SIZE(events));
	for (unsigned r = 0; r < VMX_EXIT_REASON_COUNT; r++) {
		const struct expected_stat *want = NULL;
		const struct exit_stat *e = &s.reason[r];

		for (size_t i = 0; i < ARRAY_SIZE(expected_stats); i++) {
			if (expected_stats[i].reason == r)
				want = &expected_stats[i];
		}
		if (!want) {
			if (e->count || e->untimed || e->cycles_sum || e->cycles_max ||
			    e->cycles_min != UINT64_MAX)
				fail_msg("reason %u touched", r);
			continue;
		}
		if (e->count != want->count || e->untimed != want->untimed ||
		    e->cycles_sum != want->sum || e->cycles_min != want->min ||
		    e->cycles_max != want->max)
			fail_msg("reason %u: count %llu untimed %llu sum %llu min %llu max %llu", r,
				 (unsigned long long)e->count, (unsigned long long)e->untimed,
				 (unsigned long long)e->cycles_sum,
				 (unsigned long long)e->cycles_min,
				 (unsigned long long)e->cycles_max);
		named += want->count;
	}
	assert_int_equal(s.out_of_range, 1 + 4 + 1);
	assert_int_equal(exit_stats_total(&s), named + 6);
	assert_int_equal(exit_stats_total(&s), 8 + 1 + 2 + 3 + 6);
}

/* ---- scenarios ------------------------------------------------------------------------------- */

static void test_scenario_deltas(void **state)
{
	struct exit_stats s;
	struct scenario_result r;

	(void)state;
	exit_stats_init(&s);
	/* Before the scenario: 2 VMCALLs, 1 HLT, 4 I/O. */
	exit_stats_record(&s, EXIT_REASON_VMCALL, 10);
	exit_stats_record(&s, EXIT_REASON_VMCALL, 10);
	exit_stats_record(&s, EXIT_REASON_HLT, 10);
	exit_stats_add_untimed(&s, EXIT_REASON_IO_INSTRUCTION, 4);
	memset(&r, 0x5A, sizeof(r));
	scenario_begin(&r, "ipi", "apicv", &s);
	assert_string_equal(r.name, "ipi");
	assert_false(r.ended);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.figure_count, 0);

	/* Since BEGIN: 5 VMCALLs of which 2 are checkpoints (BEGIN, a REPORT), 3 timed and 4
	 * untimed I/O, 2 APIC writes, an out-of-range reason (not a per-reason delta). */
	for (unsigned i = 0; i < 3; i++)
		exit_stats_record(&s, EXIT_REASON_VMCALL, 20);
	exit_stats_add_untimed(&s, EXIT_REASON_VMCALL, 2);
	for (unsigned i = 0; i < 3; i++)
		exit_stats_record(&s, EXIT_REASON_IO_INSTRUCTION, 20);
	exit_stats_add_untimed(&s, EXIT_REASON_IO_INSTRUCTION, 4);
	exit_stats_record(&s, EXIT_REASON_APIC_WRITE, 20);
	exit_stats_record(&s, EXIT_REASON_APIC_WRITE, 20);
	exit_stats_record(&s, 500, 20);
	scenario_end(&r, 0, &s, 2);

	assert_true(r.ended);
	assert_int_equal(r.status, 0);
	for (unsigned x = 0; x < VMX_EXIT_REASON_COUNT; x++) {
		uint64_t want = 0;

		if (x == EXIT_REASON_VMCALL)
			want = 3;
		else if (x == EXIT_REASON_IO_INSTRUCTION)
			want = 7;       /* checkpoints come off VMCALL only */
		else if (x == EXIT_REASON_APIC_WRITE)
			want = 2;
		if (r.exits[x] != want)
			fail_msg("reason %u: %llu exits, want %llu", x,
				 (unsigned long long)r.exits[x], (unsigned long long)want);
	}
	/* HLT did not move: 0, not the count at BEGIN. */
	assert_int_equal(r.exits[EXIT_REASON_HLT], 0);
}

/* A guest stopped inside a scenario: its counts are the exits since BEGIN, not the snapshot
 * taken there, and it stays unended. */
static void test_scenario_interrupted(void **state)
{
	struct exit_stats s;
	struct scenario_result r;

	(void)state;
	exit_stats_init(&s);
	for (unsigned i = 0; i < 48; i++)
		exit_stats_record(&s, EXIT_REASON_IO_INSTRUCTION, 20);
	scenario_begin(&r, "null-spin", "posted", &s);
	exit_stats_record(&s, EXIT_REASON_VMCALL, 20);        /* BEGIN itself */
	exit_stats_add_untimed(&s, EXIT_REASON_VMCALL, 1000); /* fast-path null hypercalls */
	exit_stats_record(&s, EXIT_REASON_PREEMPTION_TIMER, 20);
	scenario_interrupted(&r, &s, 1);
	assert_false(r.ended);
	assert_int_equal(r.exits[EXIT_REASON_IO_INSTRUCTION], 0);
	assert_int_equal(r.exits[EXIT_REASON_VMCALL], 1000);
	assert_int_equal(r.exits[EXIT_REASON_PREEMPTION_TIMER], 1);
}

static void test_scenario_end_status_and_checkpoints(void **state)
{
	static const struct {
		uint64_t vmcalls_inside, checkpoints, status;
		uint64_t want_vmcalls;
	} cases[] = {
		{ 0, 0, 0, 0 },
		{ 1, 1, 0, 0 },
		{ 10, 3, 7, 7 },
		{ 10, 0, UINT64_MAX, 10 },
		{ 1000, 999, 1, 1 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct exit_stats s;
		struct scenario_result r;

		exit_stats_init(&s);
		exit_stats_add_untimed(&s, EXIT_REASON_VMCALL, 42);
		scenario_begin(&r, "x", "apicv", &s);
		exit_stats_add_untimed(&s, EXIT_REASON_VMCALL, cases[i].vmcalls_inside);
		scenario_end(&r, cases[i].status, &s, cases[i].checkpoints);
		if (r.exits[EXIT_REASON_VMCALL] != cases[i].want_vmcalls)
			fail_msg("case %zu: %llu VMCALLs", i,
				 (unsigned long long)r.exits[EXIT_REASON_VMCALL]);
		assert_int_equal(r.status, cases[i].status);
		assert_true(r.ended);
	}
}

static void test_scenario_names_truncated(void **state)
{
	char name[STATS_NAME_MAX * 2];
	struct exit_stats s;
	struct scenario_result r;

	(void)state;
	exit_stats_init(&s);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';

	/* Exactly STATS_NAME_MAX - 1 characters fit; one more is cut. */
	name[STATS_NAME_MAX - 1] = '\0';
	scenario_begin(&r, name, "apicv", &s);
	assert_string_equal(r.name, name);
	name[STATS_NAME_MAX - 1] = 'n';
	scenario_begin(&r, name, "apicv", &s);
	assert_int_equal(strlen(r.name), STATS_NAME_MAX - 1);
	assert_memory_equal(r.name, name, STATS_NAME_MAX - 1);
	scenario_begin(&r, "", "apicv", &s);
	assert_string_equal(r.name, "");

	/* Figure keys likewise. */
	assert_true(scenario_add_figure(&r, name, 1));
	assert_int_equal(strlen(r.figures[0].key), STATS_NAME_MAX - 1);
	assert_memory_equal(r.figures[0].key, name, STATS_NAME_MAX - 1);
	assert_int_equal(r.figures[0].value, 1);
}

static void test_scenario_figures(void **state)
{
	struct exit_stats s;
	struct scenario_result r;
	char key[16];

	(void)state;
	exit_stats_init(&s);
	scenario_begin(&r, "timer", "apicv", &s);
	assert_true(scenario_add_figure(&r, "latency", 100));
	assert_true(scenario_add_figure(&r, "jitter", 7));
	assert_true(scenario_add_figure(&r, "latency", 250)); /* overwrites by key */
	assert_int_equal(r.figure_count, 2);
	assert_string_equal(r.figures[0].key, "latency");
	assert_int_equal(r.figures[0].value, 250);
	assert_string_equal(r.figures[1].key, "jitter");
	assert_int_equal(r.figures[1].value, 7);
	/* A key that is a prefix of another is a different key. */
	assert_true(scenario_add_figure(&r, "latenc", 1));
	assert_int_equal(r.figure_count, 3);

	/* Fill the table. */
	for (unsigned i = r.figure_count; i < STATS_MAX_REPORTS; i++) {
		snprintf(key, sizeof(key), "f%u", i);
		assert_true(scenario_add_figure(&r, key, i));
	}
	assert_int_equal(r.figure_count, STATS_MAX_REPORTS);
	/* Full: a new key is refused and nothing changes; an existing key is still updated. */
	assert_false(scenario_add_figure(&r, "one too many", 1));
	assert_int_equal(r.figure_count, STATS_MAX_REPORTS);
	for (unsigned i = 0; i < STATS_MAX_REPORTS; i++)
		assert_string_not_equal(r.figures[i].key, "one too many");
	assert_true(scenario_add_figure(&r, "jitter", UINT64_MAX));
	assert_int_equal(r.figures[1].value, UINT64_MAX);
	assert_int_equal(r.figure_count, STATS_MAX_REPORTS);

	/* Figures survive scenario_end; a new BEGIN clears them. */
	scenario_end(&r, 0, &s, 0);
	assert_int_equal(r.figure_count, STATS_MAX_REPORTS);
	scenario_begin(&r, "next", "apicv", &s);
	assert_int_equal(r.figure_count, 0);
}

static void test_figure_long_key_overwrites(void **state)
{
	char key[STATS_NAME_MAX + 20];
	struct exit_stats s;
	struct scenario_result r;

	(void)state;
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	exit_stats_init(&s);
	scenario_begin(&r, "long keys", "apicv", &s);
	/* A key longer than STATS_NAME_MAX - 1 is stored cut; reporting it again updates that
	 * figure instead of adding a second one under the same (cut) key. */
	assert_true(scenario_add_figure(&r, key, 1));
	assert_true(scenario_add_figure(&r, key, 2));
	assert_int_equal(r.figure_count, 1);
	assert_int_equal(r.figures[0].value, 2);
}

/* ---- the verdict ----------------------------------------------------------------------------- */

static void test_guest_end_names(void **state)
{
	static const struct {
		enum guest_end end;
		const char *name;
	} names[] = {
		{ GUEST_END_RUNNING, "running" },
		{ GUEST_END_DEBUG_EXIT, "debug-exit" },
		{ GUEST_END_TRIPLE_FAULT, "triple-fault" },
		{ GUEST_END_TIMEOUT, "timeout" },
		{ GUEST_END_HALTED, "halted" },
		{ GUEST_END_UNHANDLED, "unhandled" },
		{ GUEST_END_ENTRY_FAILURE, "entry-failure" },
		{ GUEST_END_RESET, "reset" },
		{ GUEST_END_POWEROFF, "poweroff" },
		{ (enum guest_end)9, "unknown" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		assert_string_equal(guest_end_name(names[i].end), names[i].name);
}

static void test_success_truth_table(void **state)
{
	enum scenario_kind { NONE, ALL_PASS, ONE_FAILED, ONE_NOT_ENDED };
	static const struct {
		enum guest_end end;
		uint32_t exit_value;
		enum scenario_kind scenarios;
		bool success;
	} cases[] = {
		{ GUEST_END_DEBUG_EXIT, 0, NONE, true },
		{ GUEST_END_DEBUG_EXIT, 0, ALL_PASS, true },
		{ GUEST_END_DEBUG_EXIT, 0, ONE_FAILED, false },
		{ GUEST_END_DEBUG_EXIT, 0, ONE_NOT_ENDED, false },
		{ GUEST_END_DEBUG_EXIT, 1, NONE, false },
		{ GUEST_END_DEBUG_EXIT, 1, ALL_PASS, false },
		{ GUEST_END_DEBUG_EXIT, 0x80000000u, ALL_PASS, false },
		{ GUEST_END_RUNNING, 0, ALL_PASS, false },
		{ GUEST_END_TRIPLE_FAULT, 0, ALL_PASS, false },
		{ GUEST_END_TIMEOUT, 0, NONE, false },
		{ GUEST_END_HALTED, 0, ALL_PASS, false },
		{ GUEST_END_UNHANDLED, 0, NONE, false },
		{ GUEST_END_ENTRY_FAILURE, 0, NONE, false },
		{ GUEST_END_RESET, 0, ALL_PASS, false },
		{ GUEST_END_POWEROFF, 0, NONE, true },        /* a guest that switched itself off */
		{ GUEST_END_POWEROFF, 0, ONE_FAILED, false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct scenario_result sc[3];
		struct run_summary s = { .end = cases[i].end, .exit_value = cases[i].exit_value };

		memset(sc, 0, sizeof(sc));
		for (unsigned k = 0; k < ARRAY_SIZE(sc); k++)
			sc[k].ended = true;
		if (cases[i].scenarios == ONE_FAILED)
			sc[2].status = 3;
		if (cases[i].scenarios == ONE_NOT_ENDED)
			sc[1].ended = false;
		s.scenarios = sc;
		s.scenario_count = cases[i].scenarios == NONE ? 0 : 3;
		if (run_summary_success(&s) != cases[i].success)
			fail_msg("case %zu: success %d", i, !cases[i].success);
	}
}

/* ---- a whole run: the table and the JSON ----------------------------------------------------- */

struct run_fixture {
	struct exit_stats cpu0, cpu1;
	struct scenario_result scenarios[3];
	struct run_summary summary;
};

/*
 * vCPU 0: CPUID once (1200 cycles), I/O twice (300, 500): 3 exits.
 * vCPU 1: VMCALL 2 timed (100, 300) + 4 untimed, HLT once (50), CPUID once untimed, 1 out of
 * range: 9 exits.
 * Scenarios: "ipi" passed with 1 VMCALL and 3 APIC writes and one figure; "timer \"fast\"\\x" (a
 * quote and a backslash) failed with status 2; "hang" not ended.
 */
static void run_fixture_init(struct run_fixture *f)
{
	memset(f, 0, sizeof(*f));
	exit_stats_init(&f->cpu0);
	exit_stats_record(&f->cpu0, EXIT_REASON_CPUID, 1200);
	exit_stats_record(&f->cpu0, EXIT_REASON_IO_INSTRUCTION, 300);
	exit_stats_record(&f->cpu0, EXIT_REASON_IO_INSTRUCTION, 500);

	exit_stats_init(&f->cpu1);
	exit_stats_record(&f->cpu1, EXIT_REASON_VMCALL, 100);
	exit_stats_record(&f->cpu1, EXIT_REASON_VMCALL, 300);
	exit_stats_add_untimed(&f->cpu1, EXIT_REASON_VMCALL, 4);
	exit_stats_record(&f->cpu1, EXIT_REASON_HLT, 50);
	exit_stats_add_untimed(&f->cpu1, EXIT_REASON_CPUID, 1);
	exit_stats_record(&f->cpu1, 0x1234, 5);

	strcpy(f->scenarios[0].name, "ipi");
	f->scenarios[0].ended = true;
	f->scenarios[0].exits[EXIT_REASON_VMCALL] = 1;
	f->scenarios[0].exits[EXIT_REASON_APIC_WRITE] = 3;
	f->scenarios[0].figure_count = 1;
	strcpy(f->scenarios[0].figures[0].key, "ipi_latency_cycles");
	f->scenarios[0].figures[0].value = 1234;

	strcpy(f->scenarios[1].name, "timer \"fast\"\\x");
	f->scenarios[1].ended = true;
	f->scenarios[1].status = 2;
	f->scenarios[1].exits[EXIT_REASON_PREEMPTION_TIMER] = 10;
	f->scenarios[1].figure_count = 2;
	strcpy(f->scenarios[1].figures[0].key, "ticks");
	f->scenarios[1].figures[0].value = 10;
	strcpy(f->scenarios[1].figures[1].key, "tab\there");
	f->scenarios[1].figures[1].value = 0;

	strcpy(f->scenarios[2].name, "hang");

	f->summary = (struct run_summary){
		.version = "0.1-test",
		.mode_requested = "posted",
		.mode_effective = "apicv",
		.mode_reason = "posted-interrupt processing",
		.guest_path = "\\EFI\\tests\\q\"x.elf",
		.guest_args = "say \"hi\" \\n\x01",
		.tsc_hz = 2000000000ull,
		.end = GUEST_END_DEBUG_EXIT,
		.exit_value = 0,
		.end_detail = "wrote 0 to isa-debug-exit at RIP 0x101234",
		.guest_cycles = 123456789ull,
		.cpu_count = 2,
		.cpus = { &f->cpu0, &f->cpu1 },
		.scenario_count = 3,
		.scenarios = f->scenarios,
		.msr_gp_injected = 2,
		.timer_periods_clamped = 3,
		.host_nmis_in_root = 1,
		.io_unhandled = 5,
	};
}

static char *render(void (*print)(const struct fmt_sink *, const struct run_summary *),
		    const struct run_summary *s)
{
	static char out[16384];
	struct fmt_buffer b;
	struct fmt_sink sink;

	fmt_buffer_init(&b, out, sizeof(out));
	sink = fmt_buffer_sink(&b);
	print(&sink, s);
	assert_false(b.truncated);
	return out;
}

/* One row of a vCPU's table, formatted independently of stats.c's format strings. */
static void assert_row(const char *text, const char *reason, const char *count, const char *percent,
		       const char *avg, const char *min, const char *max, const char *tail)
{
	char want[256];

	snprintf(want, sizeof(want), "\n  %-24s %10s %7s %12s %10s %10s%s\n", reason, count,
		 percent, avg, min, max, tail);
	assert_has(text, want);
}

static void test_table(void **state)
{
	struct run_fixture f;
	const char *out;

	(void)state;
	run_fixture_init(&f);
	out = render(stats_print_table, &f.summary);

	assert_has(out, "\n==== apicvisor exit statistics ====\n");
	assert_has(out, "mode apicv (requested posted; lowered: no posted-interrupt processing), "
			"TSC 2000000000 Hz, guest ran 123456789 cycles\n");
	assert_has(out, "guest \\EFI\\tests\\q\"x.elf: debug-exit value 0 (QEMU status 1) - "
			"wrote 0 to isa-debug-exit at RIP 0x101234\n");

	assert_has(out, "vCPU 0: 3 VM exits\n");
	{
		char header[128];

		snprintf(header, sizeof(header), "\n  %-24s %10s %7s %12s %10s %10s\n",
			 "exit reason", "count", "%", "avg cycles", "min", "max");
		assert_has(out, header);
	}
	assert_row(out, "CPUID", "1", "33.33", "1200", "1200", "1200", "");
	assert_row(out, "IO_INSTRUCTION", "2", "66.67", "400", "300", "500", "");

	assert_has(out, "vCPU 1: 9 VM exits\n");
	assert_row(out, "VMCALL", "6", "66.67", "200", "100", "300",
		   "  (4 by the fast path, untimed)");
	assert_row(out, "HLT", "1", "11.11", "50", "50", "50", "");
	assert_row(out, "CPUID", "1", "11.11", "-", "-", "-", "  (1 by the fast path, untimed)");
	assert_has(out, "\n  (reason out of range)             1\n");
	/* Rows only for reasons that happened; vCPU 0 has no out-of-range row. */
	assert_lacks(out, "  EXTERNAL_INTERRUPT");
	assert_true(strstr(out, "(reason out of range)") > strstr(out, "vCPU 1:"));
	/* vCPU 0 before vCPU 1; rows in reason order, the out-of-range row last. */
	assert_true(strstr(out, "vCPU 0:") < strstr(out, "vCPU 1:"));
	{
		const char *cpu1 = strstr(out, "vCPU 1:");

		assert_true(strstr(cpu1, "  CPUID ") < strstr(cpu1, "  HLT "));
		assert_true(strstr(cpu1, "  HLT ") < strstr(cpu1, "  VMCALL "));
		assert_true(strstr(cpu1, "  VMCALL ") < strstr(cpu1, "  (reason out of range)"));
	}

	assert_has(out, "#GP injected for unhandled MSRs: 2; accesses to unemulated ports: 5\n");
	assert_has(out, "scenarios (exits between BEGIN and END, checkpoint VMCALLs excluded):\n");
	/* name (24 columns), mode (10 columns; empty in this fixture), verdict */
	assert_has(out, "\n  ipi                                 pass  VMCALL=1  APIC_WRITE=3  "
			"ipi_latency_cycles: 1234\n");
	assert_has(out, "\n  timer \"fast\"\\x                      FAIL (code 2)  "
			"PREEMPTION_TIMER=10  ticks: 10  tab\there: 0\n");
	assert_has(out, "\n  hang                                NOT ENDED\n");
	/* A failed and an unfinished scenario: the run failed although the guest exited with 0. */
	assert_has(out, "\nresult: FAILURE\n");
	assert_lacks(out, "SUCCESS");
}

static void test_table_success_and_edges(void **state)
{
	struct run_fixture f;
	struct exit_stats empty, single;
	const char *out;

	(void)state;
	run_fixture_init(&f);
	f.summary.scenario_count = 1;        /* only "ipi", which passed */
	f.summary.mode_reason = NULL;
	f.summary.mode_effective = "posted";
	f.summary.end_detail = NULL;
	f.summary.msr_gp_injected = 0;
	f.summary.io_unhandled = 0;
	exit_stats_init(&empty);
	exit_stats_init(&single);
	exit_stats_record(&single, EXIT_REASON_EPT_VIOLATION, 9);
	f.summary.cpus[0] = &empty;
	f.summary.cpus[1] = &single;
	out = render(stats_print_table, &f.summary);

	assert_has(out, "mode posted, TSC 2000000000 Hz");
	assert_lacks(out, "lowered");
	assert_has(out, "guest \\EFI\\tests\\q\"x.elf: debug-exit value 0 (QEMU status 1)\n");
	assert_has(out, "vCPU 0: 0 VM exits\n  exit reason");
	assert_has(out, "vCPU 1: 1 VM exits\n");
	assert_row(out, "EPT_VIOLATION", "1", "100.00", "9", "9", "9", "");
	assert_lacks(out, "#GP injected");
	assert_lacks(out, "(reason out of range)");
	assert_has(out, "\nresult: SUCCESS\n");
	assert_lacks(out, "FAILURE");

	/* Another end: no debug-exit value; exit value 1 is reported as QEMU status 3. */
	f.summary.end = GUEST_END_TRIPLE_FAULT;
	f.summary.end_detail = "";
	out = render(stats_print_table, &f.summary);
	assert_has(out, "guest \\EFI\\tests\\q\"x.elf: triple-fault\n");
	assert_has(out, "\nresult: FAILURE\n");
	f.summary.end = GUEST_END_DEBUG_EXIT;
	f.summary.exit_value = 1;
	out = render(stats_print_table, &f.summary);
	assert_has(out, ": debug-exit value 1 (QEMU status 3)\n");
	assert_has(out, "\nresult: FAILURE\n");

	/* No scenarios: no scenario header. */
	f.summary.scenario_count = 0;
	f.summary.exit_value = 0;
	out = render(stats_print_table, &f.summary);
	assert_lacks(out, "scenarios (");
	assert_has(out, "\nresult: SUCCESS\n");
}

/*
 * Runs text through Python's json module and returns it re-printed canonically (keys sorted,
 * ", " and ": " separators, non-ASCII escaped), or fails when it is not valid JSON or an object
 * repeats a key.
 */
static char *canonical_json(const char *text)
{
	static char canon[32768];
	char path[] = "/tmp/apicvisor-test-stats-XXXXXX";
	char command[512];
	FILE *file, *pipe;
	size_t len;
	int fd, status;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	file = fdopen(fd, "w");
	assert_non_null(file);
	assert_int_equal(fwrite(text, 1, strlen(text), file), strlen(text));
	assert_int_equal(fclose(file), 0);
	snprintf(command, sizeof(command),
		 "python3 -c 'import json,sys; h=lambda p: dict(p) if len({k for k,_ in p}) == "
		 "len(p) else sys.exit(\"duplicate key in \"+repr(p)); print(json.dumps(json.load("
		 "open(sys.argv[1]), object_pairs_hook=h), sort_keys=True))' %s 2>&1",
		 path);
	pipe = popen(command, "r");
	assert_non_null(pipe);
	len = fread(canon, 1, sizeof(canon) - 1, pipe);
	canon[len] = '\0';
	status = pclose(pipe);
	unlink(path);
	if (status != 0)
		fail_msg("python3 rejected the JSON (status %d): %s\n--- document ---\n%s", status,
			 canon, text);
	assert_true(len < sizeof(canon) - 1);
	return canon;
}

/* UTF-8 in a message (the SDM citations' "§") arrives as its code point, an invalid byte as
 * U+FFFD: the document stays valid JSON that says what the console said. */
static void test_json_utf8(void **state)
{
	struct run_fixture f;
	const char *canon;

	(void)state;
	run_fixture_init(&f);
	f.summary.end_detail = "error 7 (SDM Vol. 3C \xc2\xa7" "31.4) \xff end";
	canon = canonical_json(render(stats_print_json, &f.summary));
	assert_has(canon, "\"detail\": \"error 7 (SDM Vol. 3C \\u00a731.4) \\ufffd end\"");
}

static void test_json(void **state)
{
	struct run_fixture f;
	const char *out;
	const char *canon;

	(void)state;
	run_fixture_init(&f);
	out = render(stats_print_json, &f.summary);
	assert_true(strncmp(out, "{\n  \"schema\": 1,\n", 17) == 0);
	assert_lacks(out, STATS_JSON_BEGIN_MARKER);
	assert_lacks(out, STATS_JSON_END_MARKER);
	canon = canonical_json(out);

	assert_has(canon, "\"schema\": 1");
	assert_has(canon, "\"apicvisor\": \"0.1-test\"");
	assert_has(canon, "\"tsc_hz\": 2000000000");
	assert_has(canon, "\"mode\": {\"effective\": \"apicv\", \"lowered_for_lack_of\": "
			  "\"posted-interrupt processing\", \"posted_interrupts\": null, "
			  "\"requested\": \"posted\"}");
	/* Backslashes, quotes and a control character survive the round trip. */
	assert_has(canon, "\"guest\": {\"args\": \"say \\\"hi\\\" \\\\n\\u0001\", \"cycles\": "
			  "123456789, \"detail\": \"wrote 0 to isa-debug-exit at RIP 0x101234\", "
			  "\"end\": \"debug-exit\", \"exit_value\": 0, \"path\": "
			  "\"\\\\EFI\\\\tests\\\\q\\\"x.elf\", \"success\": false}");
	assert_has(canon, "\"counters\": {\"host_nmis_in_guest\": 0, \"host_nmis_in_root\": 1, "
			  "\"io_unhandled\": 5, \"msr_gp_injected\": 2, "
			  "\"timer_periods_clamped\": 3}");
	assert_has(canon,
		   "\"cpus\": [{\"cpu\": 0, \"exits\": ["
		   "{\"count\": 1, \"cycles_avg\": 1200, \"cycles_max\": 1200, "
		   "\"cycles_min\": 1200, \"cycles_sum\": 1200, \"name\": \"CPUID\", "
		   "\"reason\": 10, \"untimed\": 0}, "
		   "{\"count\": 2, \"cycles_avg\": 400, \"cycles_max\": 500, \"cycles_min\": 300, "
		   "\"cycles_sum\": 800, \"name\": \"IO_INSTRUCTION\", \"reason\": 30, "
		   "\"untimed\": 0}"
		   "], \"inits\": 0, \"kicks\": 0, \"notification_exits\": 0, \"out_of_range\": 0, "
		   "\"sipis\": 0, \"sipis_ignored\": 0, \"total_exits\": 3}, "
		   "{\"cpu\": 1, \"exits\": ["
		   "{\"count\": 1, \"cycles_avg\": 0, \"cycles_max\": 0, \"cycles_min\": 0, "
		   "\"cycles_sum\": 0, \"name\": \"CPUID\", \"reason\": 10, \"untimed\": 1}, "
		   "{\"count\": 1, \"cycles_avg\": 50, \"cycles_max\": 50, \"cycles_min\": 50, "
		   "\"cycles_sum\": 50, \"name\": \"HLT\", \"reason\": 12, \"untimed\": 0}, "
		   "{\"count\": 6, \"cycles_avg\": 200, \"cycles_max\": 300, \"cycles_min\": 100, "
		   "\"cycles_sum\": 400, \"name\": \"VMCALL\", \"reason\": 18, \"untimed\": 4}"
		   "], \"inits\": 0, \"kicks\": 0, \"notification_exits\": 0, \"out_of_range\": 1, "
		   "\"sipis\": 0, \"sipis_ignored\": 0, \"total_exits\": 9}]");
	assert_has(canon,
		   "\"scenarios\": ["
		   "{\"apic_write\": {}, \"ended\": true, \"eoi_induced\": {}, "
		   "\"exits\": {\"APIC_WRITE\": 3, \"VMCALL\": 1}, \"exits_other_vcpus\": {}, "
		   "\"extint_injected\": 0, "
		   "\"extint_window_exits\": 0, \"figures\": {\"ipi_latency_cycles\": 1234}, "
		   "\"injected\": 0, \"ioapic_access\": {}, \"mode\": \"\", \"name\": \"ipi\", "
		   "\"passed\": true, \"pi_notifications\": 0, \"pir_drained\": 0, \"posted\": 0, "
		   "\"remote_irr_clears\": 0, \"root_cycles\": 0, \"status\": 0}, "
		   "{\"apic_write\": {}, \"ended\": true, \"eoi_induced\": {}, "
		   "\"exits\": {\"PREEMPTION_TIMER\": 10}, \"exits_other_vcpus\": {}, "
		   "\"extint_injected\": 0, "
		   "\"extint_window_exits\": 0, \"figures\": {\"tab\\there\": 0, \"ticks\": 10}, "
		   "\"injected\": 0, \"ioapic_access\": {}, \"mode\": \"\", "
		   "\"name\": \"timer \\\"fast\\\"\\\\x\", \"passed\": false, "
		   "\"pi_notifications\": 0, \"pir_drained\": 0, \"posted\": 0, "
		   "\"remote_irr_clears\": 0, \"root_cycles\": 0, \"status\": 2}, "
		   "{\"apic_write\": {}, \"ended\": false, \"eoi_induced\": {}, \"exits\": {}, "
		   "\"exits_other_vcpus\": {}, \"extint_injected\": 0, \"extint_window_exits\": 0, \"figures\": {}, "
		   "\"injected\": 0, \"ioapic_access\": {}, \"mode\": \"\", \"name\": \"hang\", "
		   "\"passed\": false, \"pi_notifications\": 0, \"pir_drained\": 0, \"posted\": 0, "
		   "\"remote_irr_clears\": 0, \"root_cycles\": 0, \"status\": 0}]");
}

/* Unbacked memory: counted per page in the order first touched, the pages past the table
 * together; the table line and the JSON object say the same. */
static void test_unbacked(void **state)
{
	static struct unbacked_stats u;
	struct run_fixture f;
	const char *canon;

	(void)state;
	run_fixture_init(&f);
	canon = canonical_json(render(stats_print_json, &f.summary));
	assert_has(canon, "\"unbacked\": {\"other_reads\": 0, \"other_writes\": 0, \"pages\": []}");
	assert_lacks(render(stats_print_table, &f.summary), "unbacked memory");
	unbacked_stats_count(&u, 0x8000004, false);
	unbacked_stats_count(&u, 0x8000FFF, true);
	unbacked_stats_count(&u, 0x100000000ull, false);
	unbacked_stats_count(&u, 0x8000000, false);
	for (unsigned i = 0; i < STATS_UNBACKED_PAGES + 2; i++)
		unbacked_stats_count(&u, 0x20000000ull + i * 4096ull, i & 1);
	assert_int_equal(u.count, STATS_UNBACKED_PAGES);
	assert_int_equal(u.pages[0].page, 0x8000000);
	assert_int_equal(u.pages[0].reads, 2);
	assert_int_equal(u.pages[0].writes, 1);
	assert_int_equal(u.pages[1].page, 0x100000000ull);
	/* 14 pages left for the 18 new ones: the last 4 go together (2 reads, 2 writes). */
	assert_int_equal(u.other_reads, 2);
	assert_int_equal(u.other_writes, 2);
	f.summary.unbacked = &u;
	assert_has(render(stats_print_table, &f.summary),
		   "unbacked memory (reads all ones, writes dropped): 0x8000000 2/1 0x100000000 1/0");
	canon = canonical_json(render(stats_print_json, &f.summary));
	assert_has(canon, "\"unbacked\": {\"other_reads\": 2, \"other_writes\": 2, \"pages\": "
			  "[{\"page\": \"0x8000000\", \"reads\": 2, \"writes\": 1}, "
			  "{\"page\": \"0x100000000\", \"reads\": 1, \"writes\": 0}, ");
}

static void test_json_nulls_and_empty(void **state)
{
	struct run_fixture f;
	struct exit_stats empty;
	const char *canon;

	(void)state;
	run_fixture_init(&f);
	exit_stats_init(&empty);
	f.summary.mode_reason = NULL;
	f.summary.end_detail = NULL;
	f.summary.guest_args = "";
	f.summary.cpu_count = 1;
	f.summary.cpus[0] = &empty;
	f.summary.scenario_count = 1;
	f.summary.end = GUEST_END_TIMEOUT;
	canon = canonical_json(render(stats_print_json, &f.summary));
	assert_has(canon, "\"lowered_for_lack_of\": null");
	assert_has(canon, "\"detail\": null");
	assert_has(canon, "\"args\": \"\"");
	assert_has(canon, "\"end\": \"timeout\"");
	assert_has(canon, "\"success\": false");
	assert_has(canon, "\"cpus\": [{\"cpu\": 0, \"exits\": [], \"inits\": 0, \"kicks\": 0, "
			  "\"notification_exits\": 0, \"out_of_range\": 0, \"sipis\": 0, "
			  "\"sipis_ignored\": 0, \"total_exits\": 0}]");
	assert_has(canon, "\"scenarios\": [{\"apic_write\": {}, \"ended\": true, "
			  "\"eoi_induced\": {}, \"exits\": {\"APIC_WRITE\": 3, \"VMCALL\": 1}, ");

	/* No vCPUs, no scenarios, success. */
	f.summary.cpu_count = 0;
	f.summary.scenario_count = 0;
	f.summary.end = GUEST_END_DEBUG_EXIT;
	canon = canonical_json(render(stats_print_json, &f.summary));
	assert_has(canon, "\"cpus\": []");
	assert_has(canon, "\"scenarios\": []");
	assert_has(canon, "\"success\": true");
}

/* The other vCPUs' exits over a scenario (SMP: the receivers): the difference of two sums,
 * in the scenario's JSON, its table line and a second ladder table only with several vCPUs. */
static void test_scenario_other_vcpus(void **state)
{
	struct run_fixture f;
	uint64_t begin[VMX_EXIT_REASON_COUNT] = { 0 }, end[VMX_EXIT_REASON_COUNT] = { 0 };
	struct scenario_result *r;
	const char *canon, *text;

	(void)state;
	run_fixture_init(&f);
	r = &f.scenarios[0];
	begin[EXIT_REASON_HLT] = 5;
	begin[EXIT_REASON_EXTERNAL_INTERRUPT] = 7;
	end[EXIT_REASON_HLT] = 15;
	end[EXIT_REASON_EXTERNAL_INTERRUPT] = 7;
	end[EXIT_REASON_APIC_WRITE] = 2;
	scenario_others_begin(r, begin);
	scenario_others_end(r, end);
	assert_int_equal(r->other_exits[EXIT_REASON_HLT], 10);
	assert_int_equal(r->other_exits[EXIT_REASON_EXTERNAL_INTERRUPT], 0);
	assert_int_equal(r->other_exits[EXIT_REASON_APIC_WRITE], 2);
	canon = canonical_json(render(stats_print_json, &f.summary));
	assert_has(canon, "\"exits_other_vcpus\": {\"APIC_WRITE\": 2, \"HLT\": 10}");
	text = render(stats_print_table, &f.summary);
	assert_has(text, "  | other vCPUs: HLT=10  APIC_WRITE=2");
	f.cpu1.events = (struct vcpu_event_stats){ 1, 1, 1, 12, 3 };
	text = render(stats_print_table, &f.summary);
	assert_has(text, "  from other CPUs: 1 INIT, 1 SIPI (1 ignored), 12 kicks, 3 notification "
			 "exits\n");
	assert_has(text, "all 2 vCPUs: 12 VM exits\n");
	canon = canonical_json(render(stats_print_json, &f.summary));
	assert_has(canon, "\"inits\": 1, \"kicks\": 12, \"notification_exits\": 3, "
			  "\"out_of_range\": 1, \"sipis\": 1, \"sipis_ignored\": 1");
	f.summary.cpu_count = 1;
	text = render(stats_print_table, &f.summary);
	assert_lacks(text, "on the other vCPUs (receivers)");
	assert_lacks(text, "all 1 vCPUs");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_record_and_untimed),
		cmocka_unit_test(test_scenario_deltas),
		cmocka_unit_test(test_scenario_end_status_and_checkpoints),
		cmocka_unit_test(test_scenario_interrupted),
		cmocka_unit_test(test_scenario_other_vcpus),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_scenario_names_truncated),
		cmocka_unit_test(test_scenario_figures),
		cmocka_unit_test(test_figure_long_key_overwrites),
		cmocka_unit_test(test_guest_end_names),
		cmocka_unit_test(test_success_truth_table),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_success_and_edges),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_unbacked),
		cmocka_unit_test(test_json_nulls_and_empty),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
