/* SPDX-License-Identifier: MIT */
/*
 * The test guest's C entry: check how it was started, run the scenarios the multiboot command
 * line names, print a summary and end the run through isa-debug-exit.
 *
 * Command line: blank-separated words, each a scenario name (run in order) or n=NUM (the
 * iteration count of the scenarios after it, default 1000). QEMU's -kernel puts the kernel's
 * file name before the -append text, so a first word that looks like a file name is skipped.
 * A command line that names no scenario runs "hello".
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "debug_exit.h"
#include "hypercall.h"
#include "idt.h"
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

static bool guest_word_is_file_name(const char *word, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (word[i] == '/' || word[i] == '\\')
			return true;
	}
	return len >= 4 && memcmp(word + len - 4, ".elf", 4) == 0;
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

static void guest_run_command_line(const char *cmdline, struct scenario_context *context,
				   struct scenario_tally *tally)
{
	const char *cursor = cmdline;
	const char *after_first = cmdline;
	const char *word;
	size_t len;
	bool named_scenario = false;

	word = guest_next_word(&after_first, &len);
	if (word != NULL && guest_word_is_file_name(word, len))
		cursor = after_first;

	while ((word = guest_next_word(&cursor, &len)) != NULL) {
		if (len >= 2 && word[0] == 'n' && word[1] == '=') {
			/* A bad count is counted as a failed scenario, like an unknown name. */
			if (!guest_parse_count(word + 2, len - 2, &context->iterations)) {
				serial_printf("bad iteration count '%.*s' (want n=NUM, NUM from 1)\n",
					      (int)len, word);
				tally->total++;
				tally->failed++;
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

void guest_main(uint32_t magic, uint32_t info_address)
{
	idt_init();
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
