/* SPDX-License-Identifier: MIT */
/*
 * The test guest's C entry: check how it was started, run the scenarios the multiboot command
 * line names, print a summary and end the run through isa-debug-exit.
 *
 * Command line: blank-separated words, each a scenario name (run in order), n=NUM (the
 * iteration count of the scenarios after it, default 1000), modes=LIST or seed=NUM (the chaos
 * scenario's seed, scenarios.h). QEMU's -kernel puts
 * the kernel's file name before the -append text, so a first word that looks like a file name
 * is skipped. A command line that names no scenario runs "hello".
 *
 * modes=LIST (comma-separated: emulate, tpr-shadow, apicv, posted; anywhere on the line) runs
 * the whole command line once per listed mode, each pass after HC_SET_MODE(mode) and a line
 * "mode X (hypervisor says Y)" (the mode in effect may be lower than X: the pass runs anyway).
 * Without apicvisor there is nothing to set: the passes run on the CPU's own APIC. Without
 * modes=, the scenarios run once in whatever mode the hypervisor is in.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bios_state.h"
#include "debug_exit.h"
#include "delivery_mode.h"
#include "hypercall.h"
#include "idt.h"
#include "interrupts.h"
#include "lib/string.h"
#include "multiboot.h"
#include "scenarios.h"
#include "serial.h"

#define GUEST_DEFAULT_ITERATIONS 1000

/* Run when the command line names no scenario. */
static const char guest_default_scenario[] = "hello";

/* Called by entry.asm in 64-bit mode with EAX and EBX as the loader left them. */
__attribute__((noreturn)) void guest_main(uint32_t magic, uint32_t info_address);

static bool guest_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Returns the next word at or after *cursor with its length in *len and moves *cursor past
 * it, or NULL when no word is left. */
static const char *guest_next_word(const char **cursor, size_t *len)
{
	const char *p = *cursor;

	while (guest_is_blank(*p))
		p++;
	if (*p == '\0')
		return NULL;

	const char *start = p;

	while (*p != '\0' && !guest_is_blank(*p))
		p++;
	*len = (size_t)(p - start);
	*cursor = p;
	return start;
}


/* Parses a decimal count from 1 to 2^64 - 1. */
static bool guest_parse_count(const char *digits, size_t len, uint64_t *count)
{
	uint64_t value = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			return false;
		uint64_t digit = (uint64_t)(digits[i] - '0');

		if (value > (UINT64_MAX - digit) / 10)
			return false;
		value = value * 10 + digit;
	}
	if (value == 0)
		return false;
	*count = value;
	return true;
}

static bool guest_word_has_prefix(const char *word, size_t len, const char *prefix)
{
	size_t prefix_len = strlen(prefix);

	return len >= prefix_len && memcmp(word, prefix, prefix_len) == 0;
}

/* A command line mistake is counted as a failed scenario, like an unknown name, so that a
 * typo cannot pass a run. */
static void guest_count_mistake(struct scenario_tally *tally)
{
	tally->total++;
	tally->failed++;
}

/* One pass over the words from `cursor` on: the scenarios in order, n=NUM applying to those
 * after it. */
static void guest_run_scenarios(const char *cursor, struct scenario_context *context,
				struct scenario_tally *tally)
{
	const char *word;
	size_t len;
	bool named_scenario = false;

	context->iterations = GUEST_DEFAULT_ITERATIONS;
	while ((word = guest_next_word(&cursor, &len)) != NULL) {
		if (guest_word_has_prefix(word, len, "modes="))
			continue;
		/* seed=NUM: read by the chaos scenario itself (scenarios_chaos.c). */
		if (guest_word_has_prefix(word, len, "seed="))
			continue;
		if (guest_word_has_prefix(word, len, "n=")) {
			if (!guest_parse_count(word + 2, len - 2, &context->iterations)) {
				serial_printf("bad iteration count '%.*s' "
					      "(want n=NUM, NUM from 1)\n", (int)len, word);
				guest_count_mistake(tally);
			}
			continue;
		}
		scenario_run(word, len, context, tally);
		named_scenario = true;
	}
	if (!named_scenario)
		scenario_run(guest_default_scenario, sizeof(guest_default_scenario) - 1, context,
			     tally);
}

/* The modes= word's list, if any (the last one counts); false after a bad one. */
static bool guest_find_modes(const char *cursor, struct delivery_mode_list *list)
{
	const char *word;
	size_t len;

	list->count = 0;
	while ((word = guest_next_word(&cursor, &len)) != NULL) {
		const char *bad;
		size_t bad_len;

		if (!guest_word_has_prefix(word, len, "modes="))
			continue;
		if (!delivery_mode_parse_list(word + 6, len - 6, list, &bad, &bad_len)) {
			serial_printf("bad mode '%.*s' in '%.*s' (want modes=LIST of emulate, "
				      "tpr-shadow, apicv, posted; at most %u)\n", (int)bad_len, bad,
				      (int)len, word, DELIVERY_MODE_LIST_MAX);
			return false;
		}
	}
	return true;
}

/* Before a pass: HC_SET_MODE, and the line that says what came of it. False when apicvisor
 * refused the mode: the pass is not run. */
static bool guest_enter_mode(unsigned mode, const struct scenario_context *context,
			     struct scenario_tally *tally)
{
	const char *name = delivery_mode_name(mode);

	if (!context->hypervisor) {
		serial_printf("mode %s (no apicvisor: not set; the scenarios run on the CPU's "
			      "own APIC)\n", name);
		return true;
	}

	int64_t result = delivery_mode_set(mode);

	if (result < 0) {
		serial_printf("mode %s: apicvisor refused it (%ld); its pass is not run\n", name,
			      result);
		guest_count_mistake(tally);
		return false;
	}

	const char *effective = delivery_mode_name(result);

	if (effective != NULL)
		serial_printf("mode %s (hypervisor says %s)\n", name, effective);
	else
		serial_printf("mode %s (hypervisor says %ld)\n", name, result);
	return true;
}

static void guest_run_command_line(const char *cmdline, struct scenario_context *context,
				   struct scenario_tally *tally)
{
	const char *cursor = cmdline;
	size_t len;
	struct delivery_mode_list modes;

	/* The first word is the program name: the kernel's path, as multiboot loaders pass it
	 * (QEMU's -kernel, GRUB and apicvisor alike). */
	(void)guest_next_word(&cursor, &len);

	if (!guest_find_modes(cursor, &modes)) {
		guest_count_mistake(tally);
		return;
	}
	if (modes.count == 0) {
		guest_run_scenarios(cursor, context, tally);
		return;
	}
	for (unsigned i = 0; i < modes.count; i++) {
		if (guest_enter_mode(modes.modes[i], context, tally))
			guest_run_scenarios(cursor, context, tally);
	}
}

void guest_main(uint32_t magic, uint32_t info_address)
{
	bios_state_capture(); /* before anything touches a device */
	idt_init();
	interrupts_install();
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
		serial_printf("EAX was 0x%x at entry, not the multiboot magic 0x%x: "
			      "not started by a multiboot loader\n",
			      magic, MULTIBOOT_BOOTLOADER_MAGIC);
		debug_exit(DEBUG_EXIT_FAILURE);
	}

	const struct multiboot_info *info = (const void *)(uintptr_t)info_address;
	struct scenario_context context = {
		.boot_info = info,
		.iterations = GUEST_DEFAULT_ITERATIONS,
		.hypervisor = hypercall_detect(),
	};
	struct scenario_tally tally = { 0 };
	const char *cmdline = "";

	if (info->flags & MULTIBOOT_INFO_CMDLINE)
		cmdline = (const char *)(uintptr_t)info->cmdline;
	serial_printf("%s\n", context.hypervisor ?
		      "running under apicvisor" :
		      "apicvisor not found: scenarios that need it are skipped");

	guest_run_command_line(cmdline, &context, &tally);

	serial_printf("%u scenarios, %u passed, %u failed, %u skipped\n", tally.total,
		      tally.passed, tally.failed, tally.skipped);
	debug_exit(tally.failed == 0 ? DEBUG_EXIT_SUCCESS : DEBUG_EXIT_FAILURE);
}
