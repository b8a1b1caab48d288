/* SPDX-License-Identifier: MIT */
/*
 * The test guest's scenarios, run by name from the command line.
 *
 * Under apicvisor every scenario is bracketed by HC_SCENARIO_BEGIN(name) and
 * HC_SCENARIO_END(0 or failure code), with HC_REPORT(key, value) for its figures in between, so
 * that the hypervisor can attribute its exit statistics to the scenario. The hypervisor counts
 * every exit in between but the REPORTs, console output included, so a scenario prints nothing
 * (hello's display of the boot information is its work): its figures and notes on what differed
 * are kept and printed after SCENARIO_END. Each prints "scenario NAME: pass", "scenario NAME:
 * FAIL (reason)" or "scenario NAME: skipped (no apicvisor)", then its figures ("  key = value")
 * and notes ("  text").
 *
 *   hello            shows the multiboot information; passes when the memory information is there
 *   vmcall *         times n HC_PING round trips (the full exit path); figures iterations,
 *                    cycles_per_vmcall
 *   null *           times n HC_NULL round trips (the bare exit and entry); figures iterations,
 *                    cycles_per_null_exit
 *   bad-hypercall *  an unknown function number returns -ENOSYS
 *   cpuid-filter *   CPUID.1 shows no VMX and no APIC but the hypervisor bit; leaf 0xA (PMU) is
 *                    all zero; leaf 0x40000000 is apicvisor's signature
 *   msr-gp *         RDMSR of IA32_APIC_BASE and WRMSR to IA32_TSC raise #GP(0); RDMSR of EFER
 *                    shows LME and LMA; figure gp_faults (2)
 *   cr4-vmxe *       CR4.VMXE reads as 0; setting it raises #GP(0) and leaves CR4 as it was
 *
 * These never return; the hypervisor must end the run (the integration tests check how):
 *   spin             busy-waits with interrupts off, for the timeout watchdog (without
 *                    apicvisor it spins until the run is stopped from outside)
 *   halt *           HLT with interrupts off
 *   triple-fault *   INT3 with an IDT of limit 0
 *   unmapped-access * a 32-bit read of guest-physical 0xFEC00000, where apicvisor has no device
 *                    yet (should the read return, the scenario fails)
 *
 * (*: needs apicvisor; skipped without it.)
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
