/* SPDX-License-Identifier: MIT */
#include "stats.h"

void exit_stats_init(struct exit_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < VMX_EXIT_REASON_COUNT; i++)
		s->reason[i].cycles_min = UINT64_MAX;
}

void exit_stats_record(struct exit_stats *s, unsigned reason, uint64_t cycles)
{
	struct exit_stat *e;

	if (reason >= VMX_EXIT_REASON_COUNT) {
		s->out_of_range++;
		return;
	}
	e = &s->reason[reason];
	e->count++;
	e->cycles_sum += cycles;
	if (cycles < e->cycles_min)
		e->cycles_min = cycles;
	if (cycles > e->cycles_max)
		e->cycles_max = cycles;
}

void exit_stats_add_untimed(struct exit_stats *s, unsigned reason, uint64_t count)
{
	if (reason >= VMX_EXIT_REASON_COUNT) {
		s->out_of_range += count;
		return;
	}
	s->reason[reason].count += count;
	s->reason[reason].untimed += count;
}

uint64_t exit_stats_total(const struct exit_stats *s)
{
	uint64_t total = s->out_of_range;

	for (unsigned i = 0; i < VMX_EXIT_REASON_COUNT; i++)
		total += s->reason[i].count;
	return total;
}

static void copy_name(char *dst, const char *src)
{
	size_t n = strnlen(src, STATS_NAME_MAX - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static uint64_t cycles_total(const struct exit_stats *s)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < VMX_EXIT_REASON_COUNT; i++)
		total += s->reason[i].cycles_sum;
	return total;
}

void scenario_begin(struct scenario_result *r, const char *name, const char *mode,
		    const struct exit_stats *now)
{
	size_t mode_len = strnlen(mode, sizeof(r->mode) - 1);

	memset(r, 0, sizeof(*r));
	copy_name(r->name, name);
	memcpy(r->mode, mode, mode_len);
	r->root_cycles = cycles_total(now);
	/* Hold the snapshot in exits[] until the end subtracts it from the counts then. */
	for (unsigned i = 0; i < VMX_EXIT_REASON_COUNT; i++)
		r->exits[i] = now->reason[i].count;
}

/* The exits and root cycles since BEGIN, checkpoint VMCALLs excluded. */
static void scenario_take_deltas(struct scenario_result *r, const struct exit_stats *now,
				 uint64_t checkpoints)
{
	for (unsigned i = 0; i < VMX_EXIT_REASON_COUNT; i++)
		r->exits[i] = now->reason[i].count - r->exits[i];
	r->root_cycles = cycles_total(now) - r->root_cycles;
	/* Every checkpoint is a counted VMCALL, so this cannot go below zero; clamp anyway so a
	 * miscount shows as 0 rather than a huge number. */
	r->exits[EXIT_REASON_VMCALL] -= checkpoints < r->exits[EXIT_REASON_VMCALL]
						? checkpoints
						: r->exits[EXIT_REASON_VMCALL];
}

void scenario_others_begin(struct scenario_result *r, const uint64_t now[VMX_EXIT_REASON_COUNT])
{
	memcpy(r->other_exits, now, sizeof(r->other_exits));
}

void scenario_others_end(struct scenario_result *r, const uint64_t now[VMX_EXIT_REASON_COUNT])
{
	for (unsigned i = 0; i < VMX_EXIT_REASON_COUNT; i++)
		r->other_exits[i] = now[i] - r->other_exits[i];
}

void scenario_end(struct scenario_result *r, uint64_t status, const struct exit_stats *now,
		  uint64_t checkpoints)
{
	scenario_take_deltas(r, now, checkpoints);
	r->status = status;
	r->ended = true;
}

void scenario_interrupted(struct scenario_result *r, const struct exit_stats *now,
			  uint64_t checkpoints)
{
	scenario_take_deltas(r, now, checkpoints);
	r->ended = false;
}

bool scenario_add_keyed(struct scenario_keyed *list, unsigned *count, uint16_t key, uint64_t n)
{
	if (!n)
		return true;
	for (unsigned i = 0; i < *count; i++) {
		if (list[i].key == key) {
			list[i].count += n;
			return true;
		}
	}
	if (*count == STATS_MAX_KEYED)
		return false;
	list[*count] = (struct scenario_keyed){ key, n };
	(*count)++;
	return true;
}

bool scenario_add_figure(struct scenario_result *r, const char *key, uint64_t value)
{
	for (unsigned i = 0; i < r->figure_count; i++) {
		if (strncmp(r->figures[i].key, key, STATS_NAME_MAX - 1) == 0) {
			r->figures[i].value = value;
			return true;
		}
	}
	if (r->figure_count == STATS_MAX_REPORTS)
		return false;
	copy_name(r->figures[r->figure_count].key, key);
	r->figures[r->figure_count].value = value;
	r->figure_count++;
	return true;
}

void unbacked_stats_count(struct unbacked_stats *u, uint64_t gpa, bool write)
{
	uint64_t page = gpa & ~0xFFFull;
	struct unbacked_page *p = NULL;

	for (unsigned i = 0; i < u->count && !p; i++) {
		if (u->pages[i].page == page)
			p = &u->pages[i];
	}
	if (!p && u->count < STATS_UNBACKED_PAGES) {
		p = &u->pages[u->count++];
		*p = (struct unbacked_page){ .page = page };
	}
	if (p)
		*(write ? &p->writes : &p->reads) += 1;
	else
		*(write ? &u->other_writes : &u->other_reads) += 1;
}

static bool unbacked_touched(const struct unbacked_stats *u)
{
	return u && (u->count || u->other_reads || u->other_writes);
}

const char *guest_end_name(enum guest_end end)
{
	switch (end) {
	case GUEST_END_RUNNING:
		return "running";
	case GUEST_END_DEBUG_EXIT:
		return "debug-exit";
	case GUEST_END_TRIPLE_FAULT:
		return "triple-fault";
	case GUEST_END_TIMEOUT:
		return "timeout";
	case GUEST_END_HALTED:
		return "halted";
	case GUEST_END_UNHANDLED:
		return "unhandled";
	case GUEST_END_ENTRY_FAILURE:
		return "entry-failure";
	case GUEST_END_RESET:
		return "reset";
	case GUEST_END_POWEROFF:
		return "poweroff";
	}
	return "unknown";
}

bool run_summary_success(const struct run_summary *s)
{
	/* isa-debug-exit with 0 (the test guest), or a guest that switched itself off (Linux's
	 * poweroff): and every scenario that began passed. */
	if (s->end != GUEST_END_POWEROFF && (s->end != GUEST_END_DEBUG_EXIT || s->exit_value != 0))
		return false;
	for (unsigned i = 0; i < s->scenario_count; i++) {
		if (!s->scenarios[i].ended || s->scenarios[i].status != 0)
			return false;
	}
	return true;
}

/* ---- the human table ---------------------------------------------------------------------- */

static void print_cpu_table(const struct fmt_sink *out, unsigned cpu, const struct exit_stats *st)
{
	uint64_t total = exit_stats_total(st);

	fmt_print(out, "vCPU %u: %llu VM exits\n", cpu, (unsigned long long)total);
	fmt_print(out, "  %-24s %10s %7s %12s %10s %10s\n", "exit reason", "count", "%",
		  "avg cycles", "min", "max");
	for (unsigned r = 0; r < VMX_EXIT_REASON_COUNT; r++) {
		const struct exit_stat *e = &st->reason[r];
		uint64_t timed = e->count - e->untimed;
		/* Percent with two decimals in integer arithmetic. */
		uint64_t hundredths = total ? (e->count * 10000 + total / 2) / total : 0;

		if (!e->count)
			continue;
		fmt_print(out, "  %-24s %10llu %4llu.%02llu", vmx_exit_reason_name(r),
			  (unsigned long long)e->count, (unsigned long long)(hundredths / 100),
			  (unsigned long long)(hundredths % 100));
		if (timed)
			fmt_print(out, " %12llu %10llu %10llu", (unsigned long long)(e->cycles_sum / timed),
				  (unsigned long long)e->cycles_min, (unsigned long long)e->cycles_max);
		else
			fmt_print(out, " %12s %10s %10s", "-", "-", "-");
		if (e->untimed)
			fmt_print(out, "  (%llu by the fast path, untimed)",
				  (unsigned long long)e->untimed);
		fmt_print(out, "\n");
	}
	if (st->out_of_range)
		fmt_print(out, "  %-24s %10llu\n", "(reason out of range)",
			  (unsigned long long)st->out_of_range);
	if (st->events.inits || st->events.sipis || st->events.sipis_ignored || st->events.kicks ||
	    st->events.notification_exits)
		fmt_print(out, "  from other CPUs: %llu INIT, %llu SIPI (%llu ignored), %llu kicks, "
			  "%llu notification exits\n", (unsigned long long)st->events.inits,
			  (unsigned long long)st->events.sipis,
			  (unsigned long long)st->events.sipis_ignored,
			  (unsigned long long)st->events.kicks,
			  (unsigned long long)st->events.notification_exits);
}

void stats_print_table(const struct fmt_sink *out, const struct run_summary *s)
{
	fmt_print(out, "\n==== apicvisor exit statistics ====\n");
	fmt_print(out, "mode %s", s->mode_effective);
	if (s->mode_reason)
		fmt_print(out, " (requested %s; lowered: no %s)", s->mode_requested, s->mode_reason);
	if (s->posted_interrupts)
		fmt_print(out, " (posted-interrupt processing in %s)", s->posted_interrupts);
	fmt_print(out, ", TSC %llu Hz, guest ran %llu cycles\n", (unsigned long long)s->tsc_hz,
		  (unsigned long long)s->guest_cycles);
	fmt_print(out, "guest %s: %s", s->guest_path, guest_end_name(s->end));
	if (s->end == GUEST_END_DEBUG_EXIT)
		fmt_print(out, " value %u (QEMU status %u)", s->exit_value, s->exit_value << 1 | 1);
	if (s->end_detail && s->end_detail[0])
		fmt_print(out, " - %s", s->end_detail);
	fmt_print(out, "\n");
	for (unsigned c = 0; c < s->cpu_count; c++)
		print_cpu_table(out, c, s->cpus[c]);
	if (s->cpu_count > 1) {
		uint64_t total = 0;

		for (unsigned c = 0; c < s->cpu_count; c++)
			total += exit_stats_total(s->cpus[c]);
		fmt_print(out, "all %u vCPUs: %llu VM exits\n", s->cpu_count,
			  (unsigned long long)total);
	}
	if (s->msr_gp_injected || s->io_unhandled)
		fmt_print(out, "#GP injected for unhandled MSRs: %llu; accesses to unemulated ports: "
			  "%llu\n", (unsigned long long)s->msr_gp_injected,
			  (unsigned long long)s->io_unhandled);
	if (unbacked_touched(s->unbacked)) {
		fmt_print(out, "unbacked memory (reads all ones, writes dropped):");
		for (unsigned i = 0; i < s->unbacked->count; i++)
			fmt_print(out, " %#llx %llu/%llu",
				  (unsigned long long)s->unbacked->pages[i].page,
				  (unsigned long long)s->unbacked->pages[i].reads,
				  (unsigned long long)s->unbacked->pages[i].writes);
		if (s->unbacked->other_reads || s->unbacked->other_writes)
			fmt_print(out, " other pages %llu/%llu",
				  (unsigned long long)s->unbacked->other_reads,
				  (unsigned long long)s->unbacked->other_writes);
		fmt_print(out, " (page reads/writes)\n");
	}
	if (s->timer_periods_clamped)
		fmt_print(out, "vLAPIC periodic timer periods lengthened to the minimum: %llu\n",
			  (unsigned long long)s->timer_periods_clamped);
	if (s->host_nmis_in_guest || s->host_nmis_in_root)
		fmt_print(out, "host NMIs: %llu while the guest ran, %llu in root mode\n",
			  (unsigned long long)s->host_nmis_in_guest,
			  (unsigned long long)s->host_nmis_in_root);
	if (s->housekeeping.host_timer) {
		const struct housekeeping_summary *h = &s->housekeeping;

		fmt_print(out, "housekeeping CPU (%s): %llu passes, %llu halts, %llu wake-ups; vLAPIC "
			  "timer expiries %llu (%llu delivered, %llu coalesced); posted %llu, "
			  "notifications %llu (%llu coalesced)\n", h->host_timer,
			  (unsigned long long)h->passes, (unsigned long long)h->halts,
			  (unsigned long long)h->wakeups, (unsigned long long)h->lapic_ticks,
			  (unsigned long long)h->lapic_delivered, (unsigned long long)h->lapic_missed,
			  (unsigned long long)h->posted, (unsigned long long)h->notifications,
			  (unsigned long long)h->notifications_coalesced);
	}
	if (s->scenario_count)
		fmt_print(out, "scenarios (exits between BEGIN and END, checkpoint VMCALLs excluded):\n");
	for (unsigned i = 0; i < s->scenario_count; i++) {
		const struct scenario_result *r = &s->scenarios[i];

		fmt_print(out, "  %-24s %-10s %s", r->name, r->mode,
			  !r->ended ? "NOT ENDED" : r->status ? "FAIL" : "pass");
		if (r->ended && r->status)
			fmt_print(out, " (code %llu)", (unsigned long long)r->status);
		for (unsigned x = 0; x < VMX_EXIT_REASON_COUNT; x++) {
			if (r->exits[x])
				fmt_print(out, "  %s=%llu", vmx_exit_reason_name(x),
					  (unsigned long long)r->exits[x]);
		}
		for (unsigned k = 0; k < r->apic_write_count; k++)
			fmt_print(out, "  APIC_WRITE@%#x=%llu", r->apic_write[k].key,
				  (unsigned long long)r->apic_write[k].count);
		for (unsigned k = 0; k < r->eoi_induced_count; k++)
			fmt_print(out, "  EOI_INDUCED#%u=%llu", r->eoi_induced[k].key,
				  (unsigned long long)r->eoi_induced[k].count);
		for (unsigned f = 0; f < r->figure_count; f++)
			fmt_print(out, "  %s: %llu", r->figures[f].key,
				  (unsigned long long)r->figures[f].value);
		for (unsigned x = 0, first = 1; x < VMX_EXIT_REASON_COUNT; x++) {
			if (!r->other_exits[x])
				continue;
			fmt_print(out, "%s%s=%llu", first ? "  | other vCPUs: " : "  ",
				  vmx_exit_reason_name(x), (unsigned long long)r->other_exits[x]);
			first = 0;
		}
		fmt_print(out, "\n");
	}
	stats_print_ladder(out, s);
	fmt_print(out, "result: %s\n", run_summary_success(s) ? "SUCCESS" : "FAILURE");
}

/* ---- the ladder ------------------------------------------------------------------------------ */

static void json_string(const struct fmt_sink *out, const char *s);

static const char *const ladder_modes[] = { "emulate", "tpr-shadow", "apicv", "posted" };

static uint64_t scenario_exit_total(const struct scenario_result *r)
{
	uint64_t total = 0;

	for (unsigned x = 0; x < VMX_EXIT_REASON_COUNT; x++)
		total += r->exits[x];
	return total;
}

static uint64_t scenario_other_total(const struct scenario_result *r)
{
	uint64_t total = 0;

	for (unsigned x = 0; x < VMX_EXIT_REASON_COUNT; x++)
		total += r->other_exits[x];
	return total;
}

static bool scenario_figure(const struct scenario_result *r, const char *key, uint64_t *value)
{
	for (unsigned f = 0; f < r->figure_count; f++) {
		if (strcmp(r->figures[f].key, key) == 0) {
			*value = r->figures[f].value;
			return true;
		}
	}
	return false;
}

/* The scenario run `name` in `mode`, if it ran and reported its interrupts. */
static const struct scenario_result *ladder_cell(const struct run_summary *s, const char *name,
						 const char *mode, uint64_t *interrupts)
{
	for (unsigned i = 0; i < s->scenario_count; i++) {
		const struct scenario_result *r = &s->scenarios[i];

		if (strcmp(r->name, name) == 0 && strcmp(r->mode, mode) == 0 && r->ended &&
		    scenario_figure(r, "interrupts", interrupts) && *interrupts)
			return r;
	}
	return NULL;
}

/* Exits per interrupt in hundredths, rounded. */
static uint64_t per_interrupt_x100(uint64_t exits, uint64_t interrupts)
{
	return (exits * 100 + interrupts / 2) / interrupts;
}

static bool first_of_name(const struct run_summary *s, unsigned index)
{
	for (unsigned i = 0; i < index; i++) {
		if (strcmp(s->scenarios[i].name, s->scenarios[index].name) == 0)
			return false;
	}
	return true;
}

/* One ladder table: exits per interrupt on the scenario's own vCPU (the sender, for the SMP
 * scenarios), or on the other vCPUs together (the receivers; only with more than one vCPU). */
static void print_ladder(const struct fmt_sink *out, const struct run_summary *s, bool others)
{
	bool header = false;

	if (others && s->cpu_count < 2)
		return;

	for (unsigned i = 0; i < s->scenario_count; i++) {
		const char *name = s->scenarios[i].name;
		uint64_t interrupts;
		bool any = false;

		if (!first_of_name(s, i))
			continue;
		for (unsigned m = 0; m < ARRAY_SIZE(ladder_modes); m++)
			any |= ladder_cell(s, name, ladder_modes[m], &interrupts) != NULL;
		if (!any)
			continue;
		if (!header) {
			fmt_print(out, "%s\n  %-26s",
				  others ? "ladder: VM exits per interrupt on the other vCPUs "
					   "(receivers)"
					 : "ladder: VM exits per interrupt",
				  "scenario");
			for (unsigned m = 0; m < ARRAY_SIZE(ladder_modes); m++)
				fmt_print(out, " %10s", ladder_modes[m]);
			fmt_print(out, "\n");
			header = true;
		}
		fmt_print(out, "  %-26s", name);
		for (unsigned m = 0; m < ARRAY_SIZE(ladder_modes); m++) {
			const struct scenario_result *r =
				ladder_cell(s, name, ladder_modes[m], &interrupts);

			if (r) {
				uint64_t x100 = per_interrupt_x100(
					others ? scenario_other_total(r) : scenario_exit_total(r),
					interrupts);

				fmt_print(out, " %7llu.%02llu", (unsigned long long)(x100 / 100),
					  (unsigned long long)(x100 % 100));
			} else {
				fmt_print(out, " %10s", "-");
			}
		}
		fmt_print(out, "\n");
	}
}

void stats_print_ladder(const struct fmt_sink *out, const struct run_summary *s)
{
	print_ladder(out, s, false);
	print_ladder(out, s, true);
}

static void json_ladder(const struct fmt_sink *out, const struct run_summary *s)
{
	bool first_row = true;

	fmt_print(out, "  \"ladder\": {");
	for (unsigned i = 0; i < s->scenario_count; i++) {
		bool first_cell = true;

		if (!first_of_name(s, i))
			continue;
		for (unsigned m = 0; m < ARRAY_SIZE(ladder_modes); m++) {
			uint64_t interrupts;
			const struct scenario_result *r =
				ladder_cell(s, s->scenarios[i].name, ladder_modes[m], &interrupts);
			uint64_t x100;

			if (!r)
				continue;
			if (first_cell) {
				fmt_print(out, "%s\n    ", first_row ? "" : ",");
				json_string(out, s->scenarios[i].name);
				fmt_print(out, ": {");
				first_row = false;
			}
			x100 = per_interrupt_x100(scenario_exit_total(r), interrupts);
			fmt_print(out, "%s\"%s\": {\"exits\": %llu, \"interrupts\": %llu, "
				  "\"exits_per_interrupt\": %llu.%02llu",
				  first_cell ? "" : ", ", ladder_modes[m],
				  (unsigned long long)scenario_exit_total(r),
				  (unsigned long long)interrupts, (unsigned long long)(x100 / 100),
				  (unsigned long long)(x100 % 100));
			x100 = per_interrupt_x100(scenario_other_total(r), interrupts);
			fmt_print(out, ", \"exits_other_vcpus\": %llu, "
				  "\"other_vcpus_exits_per_interrupt\": %llu.%02llu}",
				  (unsigned long long)scenario_other_total(r),
				  (unsigned long long)(x100 / 100), (unsigned long long)(x100 % 100));
			first_cell = false;
		}
		if (!first_cell)
			fmt_print(out, "}");
	}
	fmt_print(out, "%s},\n", first_row ? "" : "\n  ");
}

/* ---- JSON ------------------------------------------------------------------------------------ */

/* A UTF-8 sequence at s (messages cite "§"): its code point as \\uXXXX, U+FFFD for a byte that
 * does not start a valid 2- or 3-byte sequence (RFC 8259 §7). Returns the bytes consumed. */
static unsigned json_utf8(const struct fmt_sink *out, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned point;

	if (u[0] >= 0xC2 && u[0] <= 0xDF && (u[1] & 0xC0) == 0x80) {
		fmt_print(out, "\\u%04x", (u[0] & 0x1Fu) << 6 | (u[1] & 0x3Fu));
		return 2;
	}
	if ((u[0] & 0xF0) == 0xE0 && (u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80) {
		point = (u[0] & 0x0Fu) << 12 | (u[1] & 0x3Fu) << 6 | (u[2] & 0x3Fu);
		if (point >= 0x800 && (point < 0xD800 || point > 0xDFFF)) {
			fmt_print(out, "\\u%04x", point);
			return 3;
		}
	}
	fmt_print(out, "\\ufffd");
	return 1;
}

static void json_string(const struct fmt_sink *out, const char *s)
{
	if (!s) {
		fmt_print(out, "null");
		return;
	}
	fmt_print(out, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fmt_print(out, "\\%c", c);
		else if (c == '\n')
			fmt_print(out, "\\n");
		else if (c < 0x20 || c == 0x7F)
			fmt_print(out, "\\u%04x", c);
		else if (c < 0x80)
			fmt_print(out, "%c", c);
		else
			s += json_utf8(out, s) - 1;
	}
	fmt_print(out, "\"");
}

static void json_cpu(const struct fmt_sink *out, unsigned cpu, const struct exit_stats *st)
{
	bool first = true;

	fmt_print(out, "    {\"cpu\": %u, \"total_exits\": %llu, \"out_of_range\": %llu, \"exits\": [",
		  cpu, (unsigned long long)exit_stats_total(st),
		  (unsigned long long)st->out_of_range);
	for (unsigned r = 0; r < VMX_EXIT_REASON_COUNT; r++) {
		const struct exit_stat *e = &st->reason[r];
		uint64_t timed = e->count - e->untimed;

		if (!e->count)
			continue;
		fmt_print(out, "%s\n      {\"reason\": %u, \"name\": \"%s\", \"count\": %llu, "
			  "\"untimed\": %llu, \"cycles_sum\": %llu, \"cycles_avg\": %llu, "
			  "\"cycles_min\": %llu, \"cycles_max\": %llu}",
			  first ? "" : ",", r, vmx_exit_reason_name(r), (unsigned long long)e->count,
			  (unsigned long long)e->untimed, (unsigned long long)e->cycles_sum,
			  (unsigned long long)(timed ? e->cycles_sum / timed : 0),
			  (unsigned long long)(timed ? e->cycles_min : 0),
			  (unsigned long long)e->cycles_max);
		first = false;
	}
	fmt_print(out, "], \"inits\": %llu, \"sipis\": %llu, \"sipis_ignored\": %llu, "
		  "\"kicks\": %llu, \"notification_exits\": %llu}",
		  (unsigned long long)st->events.inits, (unsigned long long)st->events.sipis,
		  (unsigned long long)st->events.sipis_ignored,
		  (unsigned long long)st->events.kicks,
		  (unsigned long long)st->events.notification_exits);
}

static void json_scenario(const struct fmt_sink *out, const struct scenario_result *r)
{
	bool first = true;

	fmt_print(out, "    {\"name\": ");
	json_string(out, r->name);
	fmt_print(out, ", \"mode\": ");
	json_string(out, r->mode);
	fmt_print(out, ", \"ended\": %s, \"status\": %llu, \"passed\": %s, \"exits\": {",
		  r->ended ? "true" : "false", (unsigned long long)r->status,
		  r->ended && !r->status ? "true" : "false");
	for (unsigned x = 0; x < VMX_EXIT_REASON_COUNT; x++) {
		if (!r->exits[x])
			continue;
		fmt_print(out, "%s\"%s\": %llu", first ? "" : ", ", vmx_exit_reason_name(x),
			  (unsigned long long)r->exits[x]);
		first = false;
	}
	fmt_print(out, "}, \"exits_other_vcpus\": {");
	first = true;
	for (unsigned x = 0; x < VMX_EXIT_REASON_COUNT; x++) {
		if (!r->other_exits[x])
			continue;
		fmt_print(out, "%s\"%s\": %llu", first ? "" : ", ", vmx_exit_reason_name(x),
			  (unsigned long long)r->other_exits[x]);
		first = false;
	}
	fmt_print(out, "}, \"extint_injected\": %llu", (unsigned long long)r->extint_injected);
	fmt_print(out, ", \"root_cycles\": %llu, \"injected\": %llu, \"posted\": %llu, "
		  "\"pi_notifications\": %llu, \"pir_drained\": %llu, \"apic_write\": {",
		  (unsigned long long)r->root_cycles, (unsigned long long)r->injected,
		  (unsigned long long)r->posted, (unsigned long long)r->notifications,
		  (unsigned long long)r->pir_drained);
	for (unsigned k = 0; k < r->apic_write_count; k++)
		fmt_print(out, "%s\"%#x\": %llu", k ? ", " : "", r->apic_write[k].key,
			  (unsigned long long)r->apic_write[k].count);
	fmt_print(out, "}, \"extint_window_exits\": %llu, \"remote_irr_clears\": %llu, "
		  "\"ioapic_access\": {",
		  (unsigned long long)r->extint_window_exits,
		  (unsigned long long)r->remote_irr_clears);
	for (unsigned k = 0; k < r->ioapic_access_count; k++)
		fmt_print(out, "%s\"%#x\": %llu", k ? ", " : "", r->ioapic_access[k].key,
			  (unsigned long long)r->ioapic_access[k].count);
	fmt_print(out, "}, \"eoi_induced\": {");
	for (unsigned k = 0; k < r->eoi_induced_count; k++)
		fmt_print(out, "%s\"%u\": %llu", k ? ", " : "", r->eoi_induced[k].key,
			  (unsigned long long)r->eoi_induced[k].count);
	fmt_print(out, "}, \"figures\": {");
	for (unsigned f = 0; f < r->figure_count; f++) {
		fmt_print(out, "%s", f ? ", " : "");
		json_string(out, r->figures[f].key);
		fmt_print(out, ": %llu", (unsigned long long)r->figures[f].value);
	}
	fmt_print(out, "}}");
}

/* "unbacked": {"pages": [{"page": "0x...", "reads": n, "writes": n}, ...], "other_reads": n,
 * "other_writes": n}. */
static void json_unbacked(const struct fmt_sink *out, const struct unbacked_stats *u)
{
	static const struct unbacked_stats none;

	if (!u)
		u = &none;
	fmt_print(out, "  \"unbacked\": {\"pages\": [");
	for (unsigned i = 0; i < u->count; i++)
		fmt_print(out, "%s{\"page\": \"%#llx\", \"reads\": %llu, \"writes\": %llu}",
			  i ? ", " : "", (unsigned long long)u->pages[i].page,
			  (unsigned long long)u->pages[i].reads,
			  (unsigned long long)u->pages[i].writes);
	fmt_print(out, "], \"other_reads\": %llu, \"other_writes\": %llu},\n",
		  (unsigned long long)u->other_reads, (unsigned long long)u->other_writes);
}

static void json_housekeeping(const struct fmt_sink *out, const struct housekeeping_summary *h)
{
	if (!h->host_timer) {
		fmt_print(out, "  \"housekeeping\": null,\n");
		return;
	}
	fmt_print(out, "  \"housekeeping\": {\"host_timer\": ");
	json_string(out, h->host_timer);
	fmt_print(out, ", \"passes\": %llu, \"halts\": %llu, \"wakeups\": %llu, "
		  "\"lapic_timer_ticks\": %llu, \"lapic_timer_delivered\": %llu, "
		  "\"lapic_timer_coalesced\": %llu, \"posted\": %llu, \"notifications\": %llu, "
		  "\"notifications_coalesced\": %llu},\n",
		  (unsigned long long)h->passes, (unsigned long long)h->halts,
		  (unsigned long long)h->wakeups, (unsigned long long)h->lapic_ticks,
		  (unsigned long long)h->lapic_delivered, (unsigned long long)h->lapic_missed,
		  (unsigned long long)h->posted, (unsigned long long)h->notifications,
		  (unsigned long long)h->notifications_coalesced);
}

void stats_print_json(const struct fmt_sink *out, const struct run_summary *s)
{
	fmt_print(out, "{\n  \"schema\": 1,\n  \"apicvisor\": ");
	json_string(out, s->version);
	fmt_print(out, ",\n  \"tsc_hz\": %llu,\n  \"mode\": {\"requested\": ",
		  (unsigned long long)s->tsc_hz);
	json_string(out, s->mode_requested);
	fmt_print(out, ", \"effective\": ");
	json_string(out, s->mode_effective);
	fmt_print(out, ", \"lowered_for_lack_of\": ");
	json_string(out, s->mode_reason);
	fmt_print(out, ", \"posted_interrupts\": ");
	json_string(out, s->posted_interrupts);
	fmt_print(out, "},\n  \"guest\": {\"path\": ");
	json_string(out, s->guest_path);
	fmt_print(out, ", \"args\": ");
	json_string(out, s->guest_args);
	fmt_print(out, ", \"end\": \"%s\", \"exit_value\": %u, \"detail\": ", guest_end_name(s->end),
		  s->exit_value);
	json_string(out, s->end_detail);
	fmt_print(out, ", \"cycles\": %llu, \"success\": %s},\n",
		  (unsigned long long)s->guest_cycles, run_summary_success(s) ? "true" : "false");
	fmt_print(out, "  \"counters\": {\"msr_gp_injected\": %llu, \"io_unhandled\": %llu, "
		  "\"timer_periods_clamped\": %llu, \"host_nmis_in_guest\": %llu, "
		  "\"host_nmis_in_root\": %llu},\n",
		  (unsigned long long)s->msr_gp_injected, (unsigned long long)s->io_unhandled,
		  (unsigned long long)s->timer_periods_clamped,
		  (unsigned long long)s->host_nmis_in_guest,
		  (unsigned long long)s->host_nmis_in_root);
	json_unbacked(out, s->unbacked);
	json_housekeeping(out, &s->housekeeping);
	json_ladder(out, s);
	fmt_print(out, "  \"cpus\": [\n");
	for (unsigned c = 0; c < s->cpu_count; c++) {
		json_cpu(out, c, s->cpus[c]);
		fmt_print(out, "%s\n", c + 1 < s->cpu_count ? "," : "");
	}
	fmt_print(out, "  ],\n  \"scenarios\": [\n");
	for (unsigned i = 0; i < s->scenario_count; i++) {
		json_scenario(out, &s->scenarios[i]);
		fmt_print(out, "%s\n", i + 1 < s->scenario_count ? "," : "");
	}
	fmt_print(out, "  ]\n}\n");
}
