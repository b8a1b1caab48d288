/* SPDX-License-Identifier: MIT */
/*
 * The test guest's multiprocessor support, as an OS has it, for the SMP scenarios
 * (scenarios_smp.c). Nothing here runs until one of them does: the single-CPU scenarios, and
 * everything before them, run exactly as on a one-CPU machine.
 *
 * CPUs: the enabled Processor Local APIC (and Processor Local x2APIC) structures of the ACPI
 * MADT, at most SMP_MAX_CPUS. The CPU the guest booted on (the bootstrap processor, BSP) is
 * CPU index 0; the others (application processors, APs) are indices 1.. in MADT order.
 *
 * AP start-up: INIT and start-up IPIs (SIPI) into smp_trampoline.asm, copied to the highest
 * free page below 640 KiB that the multiboot memory map reports available (none of the boot
 * information on it); real, protected, then IA-32e mode on the guest's page tables, a stack per
 * AP, the BSP's GDT and the shared IDT. Each AP then puts its local APIC in the BSP's mode
 * (xAPIC or x2APIC: IA32_APIC_BASE), software-enables it (SVR), reads its APIC ID, reports in
 * and waits for work in a loop that halts with interrupts enabled (STI; HLT), woken by a fixed
 * IPI at SMP_WAKE_VECTOR: smp_post hands it a function. Two start-up sequences:
 *
 *   SMP_START_MP_SPEC  the MP specification's and Linux's, to each AP by APIC ID in turn: INIT
 *                      (level-triggered, assert), 10 ms, SIPI, 200 us, SIPI, 200 us, then up to
 *                      1 s for it to report in (the second SIPI must do nothing to a running
 *                      CPU); in xAPIC mode the ICR's delivery status is read after each IPI
 *                      until idle, as Linux does;
 *   SMP_START_SHORT    the shortest some test kernels use: INIT to all excluding self, then
 *                      one SIPI to all excluding self, no delay, no delivery-status read
 *                      (the ICR values of SDM Vol. 3A §9.4.4.1 "Typical BSP Initialization
 *                      Sequence", 000C4500H and 000C46xxH, without its delays and second
 *                      SIPI), then up to 1 s for all to report in.
 *
 * Delays and bounds are TSC cycles: the TSC rate is CPUID's (leaf 15H, else 16H, as the other
 * scenarios read it), else measured once against the ACPI PM timer (plain QEMU's CPUID gives
 * none).
 *
 * Between scenarios the APs are parked: after every scenario that woke them (smp_scenario_ended,
 * after SCENARIO_END) each AP gets an INIT, which leaves it waiting for a SIPI with its local
 * APIC reset, so the next scenario starts its APs afresh and a single-CPU scenario meets them
 * as on a machine whose APs were never started. The BSP's DFR, LDR and TPR are put back then
 * too. Under QEMU's TCG, where a fixed IPI can wake a CPU that waits for a SIPI (smp.c's
 * smp_park says how), each INIT is followed by a SIPI into a HLT loop in the start-up page.
 *
 * Interrupts on an AP (found by its stack: the handler runs on the interrupted AP's stack)
 * are counted per vector in its struct smp_cpu, a hook may act on them, and each gets its EOI
 * (but an NMI and the spurious vector) in the AP's own APIC mode; the BSP's go to
 * interrupts_handle as always.
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "lapic.h"
#include "scenario_kit.h"

#define SMP_MAX_CPUS 16u          /* the BSP and up to 15 APs */
#define SMP_WAKE_VECTOR 0xEEu     /* the fixed IPI that wakes an AP for work */

/* ICR delivery modes and bits the SMP code adds to lapic.h's (SDM Vol. 3A Figure 11-12). */
#define SMP_ICR_DELIVERY_LOWEST_PRIORITY (1u << 8)
#define SMP_ICR_DELIVERY_INIT (5u << 8)
#define SMP_ICR_DELIVERY_STARTUP (6u << 8)
#define SMP_ICR_DELIVERY_STATUS (1u << 12) /* xAPIC only, read only: send pending */
#define SMP_ICR_TRIGGER_LEVEL (1u << 15)

struct smp_cpu;

/* Work an AP runs from its wait loop, with IF = 1. */
typedef void (*smp_work_fn)(struct smp_cpu *cpu, void *arg);
/* Called by an AP's interrupt handler after counting `vector` and before its EOI. */
typedef void (*smp_hook_fn)(struct smp_cpu *cpu, uint8_t vector);

/* An AP, by the slot it took in the start-up code. The AP writes what it reports and its
 * interrupt counts; the BSP reads them (plain loads: x86 keeps stores in order). */
struct smp_cpu {
	volatile uint32_t apic_id;   /* read from its local APIC before it reported in */
	volatile uint32_t online;    /* 1 once it reported in */
	enum lapic_mode mode;        /* its APIC's mode, the BSP's at start-up */
	uintptr_t xapic_base;        /* its xAPIC page, from its IA32_APIC_BASE */

	/* The mailbox: the BSP writes work and arg, then bumps posted and sends the wake IPI; the
	 * AP takes a request when posted != taken and sets completed when the work returned. */
	smp_work_fn volatile work;
	void *volatile work_arg;
	volatile uint32_t posted;
	volatile uint32_t taken;
	volatile uint32_t completed;

	/* For the scenarios' work: what it has reached (ready, rounds done) and what failed. */
	volatile uint32_t ready;
	volatile uint32_t progress;
	volatile uint32_t errors;
	smp_hook_fn volatile hook;
	volatile uint32_t tpr;       /* the TPR its work set, for notes */
	volatile uint32_t ldr;       /* its LDR as its work read it */

	/* The AP's interrupt handler's counts. */
	volatile uint32_t vector_counts[256];
	volatile uint32_t nmis;
	volatile uint32_t handled;   /* interrupts (not NMIs) whose handler finished, EOI and all */
	volatile uint64_t last_rip;  /* where the last interrupt (not NMI) interrupted it */
	volatile uint64_t last_tsc;  /* its handler's first RDTSC */
};

enum smp_start_sequence {
	SMP_START_MP_SPEC,
	SMP_START_SHORT,
};

/* The MADT's CPUs only (memory reads): a failure without a MADT, a skip ("one CPU") when it
 * lists one. For prepare steps that must not touch a device before that skip. */
enum scenario_failure smp_count_cpus(struct scenario_state *state);

/*
 * The prepare step of every SMP scenario (before SCENARIO_BEGIN): the MADT's CPUs (a failure
 * without a MADT; a skip, "one CPU", when it lists one); the BSP's local APIC put in a known
 * state in the mode IA32_APIC_BASE shows (scenario_apic_prepare: xAPIC, or x2APIC where an
 * earlier scenario left it there; IF = 0 after); the TSC rate; the start-up page; the SMP
 * interrupt stubs in the IDT. With `start_aps`, every AP is then started with SMP_START_MP_SPEC
 * and must report in.
 */
enum scenario_failure smp_prepare(struct scenario_state *state, bool start_aps);

/* A 4 KiB page below 640 KiB that the memory map says is RAM and that holds none of the boot
 * information: the highest such page (the APs' start-up page is that one) or the lowest. 0, with
 * a note, when there is none. */
uintptr_t smp_free_low_page(struct scenario_state *state, bool highest);

/* Starts every AP the MADT lists with `sequence` and checks each reported in once, with an
 * APIC ID the MADT lists for an AP, no two alike; notes what differs. Figures for init-sipi
 * go through `report` when it is true. */
enum scenario_failure smp_start(struct scenario_state *state, enum smp_start_sequence sequence,
				bool report);

/* Whether the CPU is QEMU's TCG (CPUID leaf 40000000H): 2 CPUIDs. For prepare steps. */
bool smp_qemu_tcg(void);

/* After every scenario (scenarios.c): parks the APs if any were started; nothing otherwise. */
void smp_scenario_ended(void);

/* CPUs the MADT lists (at most SMP_MAX_CPUS); CPU `index`'s APIC ID (0: the BSP's). */
unsigned smp_cpu_count(void);
uint32_t smp_apic_id(unsigned index);
/* AP `index` (1..smp_cpu_count() - 1) once it reported in, else NULL. */
struct smp_cpu *smp_ap(unsigned index);
/* The CPU index of APIC ID 1 where the MADT lists it for an AP ("vCPU 1"), else 1. */
unsigned smp_index_of_vcpu1(void);

/* Hands `work(cpu, arg)` to an idle AP: mailbox, then a fixed IPI (physical, SMP_WAKE_VECTOR)
 * to its APIC ID; false when its previous work has not completed. */
bool smp_post(struct smp_cpu *cpu, smp_work_fn work, void *arg);
/* Waits up to smp_await_cycles() until *value >= target; returns whether it got there. */
bool smp_wait_at_least(const volatile uint32_t *value, uint32_t target);

/* The bound of every cross-CPU wait: SCENARIO_APIC_ARRIVAL_TIMEOUT or 2 s of the TSC, whichever
 * is longer (a host may deschedule a virtual CPU for milliseconds). */
uint64_t smp_await_cycles(void);
uint64_t smp_tsc_hz(void);
void smp_delay_us(uint64_t us);

/* The BSP's IPIs in its current mode: xAPIC ICR high then low, or the x2APIC ICR MSR once. */
void smp_send_ipi(uint32_t command, uint32_t destination);
/* With a shorthand: xAPIC ICR low only, or the ICR MSR once. */
void smp_send_ipi_shorthand(uint32_t command);

/* An AP's own APIC, in its mode: one access each (the ICR: xAPIC high then low, x2APIC one
 * MSR write). For work and hooks running on that AP. */
uint32_t smp_ap_apic_read(const struct smp_cpu *cpu, uint32_t reg);
void smp_ap_apic_write(const struct smp_cpu *cpu, uint32_t reg, uint32_t value);
void smp_ap_send_ipi(const struct smp_cpu *cpu, uint32_t command, uint32_t destination);
/* The end of work that must not return to the wait loop inside the scenario (its HLT would
 * land between BEGIN and END or not, by timing): spins with PAUSE, IF = 1, until parked. */
__attribute__((noreturn)) void smp_ap_hold(void);

/* Entry points from assembly. */
__attribute__((noreturn)) void smp_ap_start(uint32_t slot);
struct idt_stub_frame;
void smp_interrupt_dispatch(struct idt_stub_frame *frame);

#endif
