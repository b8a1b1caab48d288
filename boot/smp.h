/* SPDX-License-Identifier: MIT */
/*
 * The host's processors: which there are (before ExitBootServices, from the firmware), and
 * starting the application processors (APs) after it, each into the hypervisor's own root-mode
 * environment with VMX on, checked against the bootstrap processor (BSP).
 *
 *   discovery   EFI MP Services (PI Specification Vol. 2, §13.4 "MP Services Protocol"): the
 *               processors the firmware itself started, with their APIC IDs and health; else
 *               the ACPI MADT (boot/madt.c); else the BSP alone. `cpus=N` takes the BSP and the
 *               first N-1 others in the firmware's order; asking for more than there are stops
 *               the boot with the reason.
 *   start-up    one AP at a time: INIT, 10 ms, start-up IPI, 200 µs, a second start-up IPI if
 *               the AP has not begun (SDM Vol. 3A §9.4.4.1 "Typical BSP Initialization
 *               Sequence"); the AP runs boot/trampoline.asm from a page below 1 MiB, reaches
 *               64-bit mode on the hypervisor's page tables, loads its own GDT/TSS and the
 *               shared IDT, compares its VT-x features with the BSP's and turns VMX on with its
 *               own VMXON region. An AP that has not reported within SMP_AP_TIMEOUT_MS is sent
 *               INIT again (so it stays in wait-for-SIPI) and reported by APIC ID; the run goes
 *               on without it unless `cpus=` named the count, which then stops the boot.
 *
 * The BSP alone prints: an AP writes its outcome into its status and the BSP reports it.
 */
#ifndef APICVISOR_SMP_H
#define APICVISOR_SMP_H

#include <efi.h>

#include "../lib/klib.h"
#include "../vmx/vcpu.h"
#include "../vmx/vmx_caps.h"
#include "cpu.h"

#define SMP_AP_TIMEOUT_MS 1000

/* What the firmware reports and which of its processors this run uses. */
struct smp_plan {
	const char *source;            /* "EFI MP services", "the ACPI MADT" or "none" */
	unsigned found;                /* usable processors the firmware lists, the BSP included */
	unsigned count;                /* processors this run uses: apic_ids[0..count-1] */
	uint32_t apic_ids[MAX_CPUS];   /* [0] is the BSP */
};

/* Finds the processors; `wanted` is cpus= (0: all, up to MAX_CPUS). Stops the boot with the
 * reason when cpus= asks for more than there are. Before ExitBootServices. */
void smp_discover(EFI_SYSTEM_TABLE *system_table, unsigned wanted, struct smp_plan *plan);

/* Takes the start-up page below 1 MiB from the firmware (when there are APs to start) and
 * copies the trampoline into it. Before ExitBootServices. */
void smp_reserve_trampoline(const struct smp_plan *plan);

/* How one AP's start went. */
enum smp_ap_state {
	SMP_AP_OFF,                    /* not started, or no sign of life yet */
	SMP_AP_STARTED,                /* in 64-bit mode on the hypervisor's tables */
	SMP_AP_READY,                  /* VMX on, features as the BSP's, its vCPU set up */
	SMP_AP_FEATURES_DIFFER,        /* its VT-x features differ from the BSP's: not used */
	SMP_AP_VMX_FAILED,             /* VMXON (or the feature-control set-up) failed */
	SMP_AP_VCPU_FAILED,            /* its vCPU could not be set up */
};

/* What a started AP (the plan's CPU `cpu`) does with VMX on: set up vCPU `vcpu` (returns NULL
 * or why it failed; the BSP waits for this before it starts the next AP), then run it (never
 * returns). vCPUs are numbered without gaps: an AP that fails to come up takes no number. */
struct smp_ap_ops {
	const char *(*setup)(unsigned vcpu, unsigned cpu);
	__attribute__((noreturn)) void (*run)(unsigned vcpu);
};

/*
 * Starts the plan's APs (cpus[1..count-1], prepared with cpu_init_percpu and given their VMXON
 * regions in vmxon_regions[]), after ExitBootServices with the hypervisor's page tables at
 * `cr3`, and hands each its vCPU through `ops`, numbered from `first_vcpu` (1 when the BSP runs
 * vCPU 0; 0 when it is the housekeeping CPU). Prints one line per AP. Returns the number of
 * vCPUs: first_vcpu plus the APs that came up. Stops the boot when an AP fails and `required`
 * (cpus= named the count).
 */
unsigned smp_start_aps(const struct smp_plan *plan, struct percpu *cpus, void *const *vmxon_regions,
		       const struct vmx_caps *bsp_caps, uint64_t tsc_hz, uint64_t cr3,
		       const struct smp_ap_ops *ops, unsigned first_vcpu, bool required,
		       bool silent_last_ap);

#endif
