/* SPDX-License-Identifier: MIT */
/*
 * The test guest's scenarios, run by name from the command line.
 *
 * Under apicvisor every scenario is bracketed by HC_SCENARIO_BEGIN(name) and
 * HC_SCENARIO_END(0 or failure code), with HC_REPORT(key, value) for its figures in between, so
 * that the hypervisor can attribute its exit statistics to the scenario. Each prints one line:
 * "scenario NAME: pass", "scenario NAME: FAIL (reason)" or "scenario NAME: skipped (no
 * apicvisor)".
 */
#ifndef GUEST_SCENARIOS_H
#define GUEST_SCENARIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "multiboot.h"

/* What scenarios may read; guest_main sets every field, n=NUM words change iterations. */
struct scenario_context {
	const struct multiboot_info *boot_info;
	uint64_t iterations;         /* loop count of the timing scenarios, at least 1 */
	bool hypervisor;             /* apicvisor detected: hypercalls are allowed */
};

/* Outcomes so far; total = passed + failed + skipped. */
struct scenario_tally {
	unsigned total;
	unsigned passed;
	unsigned failed;
	unsigned skipped;
};

/* Runs the scenario called name[0..name_len) (not NUL-terminated) and counts its outcome. An
 * unknown name is reported and counted as a failed scenario, so a typo cannot pass a run. */
void scenario_run(const char *name, size_t name_len, const struct scenario_context *context,
		  struct scenario_tally *tally);

#endif
