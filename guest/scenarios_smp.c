/* SPDX-License-Identifier: MIT */
/*
 * The SMP scenarios (issue 8): AP start-up as an OS does it, and interrupts between CPUs:
 * fixed IPIs one way and back, broadcast, to logical destinations, with lowest-priority
 * delivery, NMIs, to a halted CPU, and I/O APIC and MSI interrupts to vCPU 1. smp.h says how
 * the APs are started, wait for work, take interrupts and are parked after each scenario;
 * scenarios.h lists what each scenario does between BEGIN and END.
 *
 * Every scenario runs in the mode the BSP's APIC is in (IA32_APIC_BASE): xAPIC, or x2APIC
 * where an earlier scenario left it there; the APs are put in the same mode. With one CPU in
 * the MADT each is skipped ("one CPU").
 *
 * The APs a scenario sends interrupts to are running, not halted (but in ipi-to-halted): their
 * work, handed over in the prepare step, sets what the scenario needs (logical ID, TPR, a hook),
 * says it is ready and spins with IF = 1 until the AP is parked; their interrupt handler counts
 * each vector. So between BEGIN and END an AP only takes interrupts (and, in ipi-pingpong and
 * ipi-to-halted, does what its work says), and the BSP sends and watches the counts.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "interrupts.h"
#include "ioapic.h"
#include "lapic.h"
#include "pic.h"
#include "scenario_apic_kit.h"
#include "scenario_irq_kit.h"
#include "scenario_kit.h"
#include "smp.h"
#include "testdev.h"

/* The scenarios whose count follows n send min(n, this) interrupts (ipi-pingpong: n). */
#define SMP_SCENARIO_MAX_ROUNDS 20u

#define SMP_PING_VECTOR 0xA1u         /* ipi-pingpong, BSP to AP */
#define SMP_PONG_VECTOR 0xA2u         /* ipi-pingpong, AP to BSP */
#define SMP_BROADCAST_VECTOR 0xA3u
#define SMP_FLAT_VECTOR 0xA4u
#define SMP_CLUSTER_VECTOR 0xA5u
#define SMP_HALTED_VECTOR 0xA7u
#define SMP_IOAPIC_EDGE_VECTOR 0xA8u
#define SMP_IOAPIC_LEVEL_VECTOR 0xA9u
#define SMP_MSI_VECTOR 0xAAu
/* Lowest priority: class D, above every TPR the APs set (10H-C0H). */
#define SMP_LOWEST_VECTOR 0xD6u
#define SMP_LOWEST_TPR_STEP 0x10u
#define SMP_LOWEST_TPR_MAX 0xC0u

/* xAPIC logical models (SDM Vol. 3A §11.6.2.2 "Logical Destination Mode"). */
#define SMP_FLAT_MAX_CPUS 8u          /* an 8-bit member bitmap */
#define SMP_XAPIC_BROADCAST 0xFFu     /* "all destination bits set": every local APIC */
#define SMP_CLUSTER_MEMBERS 4u
/* x2APIC: the logical ID is (x2APIC ID[19:4] << 16) | 1 << x2APIC ID[3:0], read only (SDM Vol.
 * 3A §11.12.10.2 "Deriving Logical x2APIC ID from the Local x2APIC ID"); 0xFFFFFFFF is the
 * broadcast. */
#define SMP_X2APIC_CLUSTER_SHIFT 16
#define SMP_X2APIC_MEMBERS_MASK 0xFFFFu
#define SMP_X2APIC_BROADCAST 0xFFFFFFFFu

#define SMP_MSI_ADDRESS_BASE 0xFEE00000u
#define SMP_MSI_DESTINATION_SHIFT 12

/* pc-testdev's 4-byte scratch register: reads back what was written (QEMU hw/misc/pc-testdev.c). */
#define SMP_PC_TESTDEV_SCRATCH_PORT 0xE0u
#define SMP_PC_TESTDEV_PATTERN 0x5AA5C33Cu

#define SMP_FIXED(vector) (LAPIC_ICR_SHORTHAND_NONE | LAPIC_ICR_LEVEL_ASSERT | \
			   LAPIC_ICR_DESTINATION_PHYSICAL | LAPIC_ICR_DELIVERY_FIXED | (vector))
#define SMP_LOGICAL(vector) (LAPIC_ICR_SHORTHAND_NONE | LAPIC_ICR_LEVEL_ASSERT | \
			     LAPIC_ICR_DESTINATION_LOGICAL | LAPIC_ICR_DELIVERY_FIXED | (vector))

/* ------------------------------------------------------------------------------------------ */
/* Shared steps. */

static unsigned smp_scenario_rounds(const struct scenario_state *state)
{
	uint64_t n = state->context->iterations;

	return n < SMP_SCENARIO_MAX_ROUNDS ? (unsigned)n : SMP_SCENARIO_MAX_ROUNDS;
}

/* What an AP's receiving work sets before it says it is ready. */
struct smp_receiver {
	bool logical;                /* xAPIC: DFR := dfr, then LDR := ldr */
	uint32_t dfr;
	uint32_t ldr;
	uint32_t tpr;                /* 0: TPR left as start-up set it (0) */
	smp_hook_fn hook;
};

static struct smp_receiver smp_receivers[SMP_MAX_CPUS]; /* by CPU index */

/* An AP's work in most scenarios: its settings, LDR read back, ready, then it spins. */
static void smp_receive(struct smp_cpu *cpu, void *arg)
{
	const struct smp_receiver *receiver = arg;

	cpu->hook = receiver->hook;
	if (receiver->logical && cpu->mode == LAPIC_MODE_XAPIC) {
		smp_ap_apic_write(cpu, LAPIC_REG_DFR, receiver->dfr);
		smp_ap_apic_write(cpu, LAPIC_REG_LDR, receiver->ldr);
	}
	if (receiver->tpr != 0) {
		smp_ap_apic_write(cpu, LAPIC_REG_TPR, receiver->tpr);
		cpu->tpr = receiver->tpr;
	}
	if (receiver->logical)
		cpu->ldr = smp_ap_apic_read(cpu, LAPIC_REG_LDR);
	__atomic_store_n(&cpu->ready, 1, __ATOMIC_RELEASE);
	smp_ap_hold();
}

/* Hands `work(arg)` to AP `index` and waits until it says it is ready. */
static enum scenario_failure smp_scenario_hand_over(struct scenario_state *state, unsigned index,
						    smp_work_fn work, void *arg)
{
	struct smp_cpu *cpu = smp_ap(index);

	if (cpu == NULL) {
		scenario_note(state, "APIC ID %u is not up", smp_apic_id(index));
		return SCENARIO_FAILURE_AP_SILENT;
	}
	if (!smp_post(cpu, work, arg) || !smp_wait_at_least(&cpu->ready, 1)) {
		scenario_note(state, "APIC ID %u did not start its work (wake IPI at vector 0x%x)",
			      smp_apic_id(index), SMP_WAKE_VECTOR);
		return SCENARIO_FAILURE_AP_STUCK;
	}
	return SCENARIO_PASSED;
}

/* smp_receive with smp_receivers[i] on every AP. */
static enum scenario_failure smp_scenario_receivers(struct scenario_state *state)
{
	for (unsigned i = 1; i < smp_cpu_count(); i++) {
		enum scenario_failure failure =
			smp_scenario_hand_over(state, i, smp_receive, &smp_receivers[i]);

		if (failure != SCENARIO_PASSED)
			return failure;
	}
	return SCENARIO_PASSED;
}

static void smp_scenario_clear_receivers(void)
{
	for (unsigned i = 0; i < SMP_MAX_CPUS; i++)
		smp_receivers[i] = (struct smp_receiver){ 0 };
}

/* The usual prepare step: APs started, each running smp_receive with the settings in
 * smp_receivers (cleared first: nothing to set). */
static enum scenario_failure smp_scenario_prepare_receivers(struct scenario_state *state)
{
	enum scenario_failure failure = smp_prepare(state, true);

	if (failure != SCENARIO_PASSED)
		return failure;
	smp_scenario_clear_receivers();
	return smp_scenario_receivers(state);
}

/* How many `vector` CPU `index` has taken: the BSP's log counts (every BSP arrival in these
 * scenarios is checked to be theirs), an AP's handler counts per vector. */
static uint32_t smp_scenario_taken(unsigned index, uint8_t vector)
{
	if (index == 0)
		return interrupts_count();

	struct smp_cpu *cpu = smp_ap(index);

	return cpu != NULL ? cpu->vector_counts[vector] : 0;
}

/* Waits until CPU `index` has taken `count` of `vector`; notes a shortfall with `what`. */
static bool smp_scenario_await(struct scenario_state *state, unsigned index, uint8_t vector,
			       uint32_t count, const char *what)
{
	bool arrived;

	if (index == 0) {
		arrived = interrupts_wait_for(count, smp_await_cycles());
	} else {
		struct smp_cpu *cpu = smp_ap(index);

		arrived = cpu != NULL && smp_wait_at_least(&cpu->vector_counts[vector], count);
	}
	if (!arrived)
		scenario_note(state, "%s: APIC ID %u has taken %u of vector 0x%x within %lu TSC "
			      "cycles, expected %u", what, smp_apic_id(index),
			      smp_scenario_taken(index, vector), vector, smp_await_cycles(), count);
	return arrived;
}

/* The BSP's arrivals since prepare: `count`, all `vector`, none nested (as far as the log still
 * holds them). */
static enum scenario_failure smp_scenario_check_bsp(struct scenario_state *state, uint8_t vector,
						    unsigned count)
{
	unsigned arrived = interrupts_count();
	enum scenario_failure failure = SCENARIO_PASSED;

	if (arrived != count) {
		scenario_note(state, "the BSP took %u interrupts, expected %u", arrived, count);
		failure = arrived < count ? SCENARIO_FAILURE_INTERRUPT_MISSING :
					    SCENARIO_FAILURE_INTERRUPT_UNEXPECTED;
	}
	for (unsigned i = 0; i < arrived; i++) {
		const struct interrupts_arrival *arrival = interrupts_arrival(i);

		if (arrival == NULL)
			continue;
		if (arrival->vector != vector || arrival->depth != 0) {
			scenario_note(state, "the BSP's arrival %u is vector 0x%x at depth %u, "
				      "expected 0x%x at 0", i, arrival->vector, arrival->depth, vector);
			scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_UNEXPECTED);
			break;
		}
	}
	return failure;
}

/* An AP's counts of `vector` and `other` must be exactly `count` and `other_count`, and no
 * other vector but the wake IPI (taken before BEGIN) may have come. */
static enum scenario_failure smp_scenario_check_ap2(struct scenario_state *state, unsigned index,
						    uint8_t vector, uint32_t count, uint8_t other,
						    uint32_t other_count)
{
	struct smp_cpu *cpu = smp_ap(index);
	enum scenario_failure failure = SCENARIO_PASSED;

	if (cpu == NULL)
		return SCENARIO_FAILURE_AP_SILENT;
	for (unsigned v = 0; v < 256; v++) {
		uint32_t expected = v == vector ? count : v == other ? other_count : 0;
		uint32_t taken = cpu->vector_counts[v];

		if (v == SMP_WAKE_VECTOR || taken == expected)
			continue;
		scenario_note(state, "APIC ID %u took vector 0x%x %u times, expected %u",
			      cpu->apic_id, v, taken, expected);
		scenario_apic_keep_first(&failure, taken < expected ?
							   SCENARIO_FAILURE_INTERRUPT_MISSING :
							   SCENARIO_FAILURE_INTERRUPT_UNEXPECTED);
	}
	if (cpu->nmis != 0) {
		scenario_note(state, "APIC ID %u took %u NMIs", cpu->apic_id, cpu->nmis);
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_UNEXPECTED);
	}
	return failure;
}

/* An AP's count of `vector` must be exactly `count`, no other vector's but the wake IPI's. */
static enum scenario_failure smp_scenario_check_ap(struct scenario_state *state, unsigned index,
						   uint8_t vector, uint32_t count)
{
	return smp_scenario_check_ap2(state, index, vector, count, vector, count);
}

/* Every AP's check: `vector` `count` times on `target` (all APs when 0), none elsewhere. */
static enum scenario_failure smp_scenario_check_aps(struct scenario_state *state, uint8_t vector,
						    unsigned target, uint32_t count)
{
	enum scenario_failure failure = SCENARIO_PASSED;

	for (unsigned i = 1; i < smp_cpu_count(); i++)
		scenario_apic_keep_first(&failure, smp_scenario_check_ap(
							   state, i, vector,
							   target == 0 || target == i ? count : 0));
	return failure;
}

static void smp_scenario_quiet(void)
{
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);
}

/* ------------------------------------------------------------------------------------------ */
/* init-sipi, init-sipi-short: the APs started from the parked state by the scenario itself. */

static enum scenario_failure smp_scenario_prepare_only(struct scenario_state *state)
{
	return smp_prepare(state, false);
}

static enum scenario_failure smp_scenario_init_sipi(struct scenario_state *state)
{
	return smp_start(state, SMP_START_MP_SPEC, true);
}

static enum scenario_failure smp_scenario_init_sipi_short(struct scenario_state *state)
{
	return smp_start(state, SMP_START_SHORT, true);
}

/* ------------------------------------------------------------------------------------------ */
/* ipi-pingpong: fixed IPIs between the BSP and vCPU 1, each side waiting (spinning) for the
 * other's before it sends: n round trips. */

struct smp_pingpong {
	uint32_t round_trips;
	uint32_t bsp_apic_id;
};

static struct smp_pingpong smp_pingpong;

/* vCPU 1's side: for each round, wait for the ping, send the pong. */
static void smp_pong(struct smp_cpu *cpu, void *arg)
{
	const struct smp_pingpong *game = arg;
	uint64_t bound = smp_await_cycles();

	__atomic_store_n(&cpu->ready, 1, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < game->round_trips; i++) {
		uint64_t start = cpu_rdtsc_fenced();

		while (__atomic_load_n(&cpu->vector_counts[SMP_PING_VECTOR], __ATOMIC_ACQUIRE) <
		       i + 1) {
			if (cpu_rdtsc_fenced() - start >= bound) {
				__atomic_store_n(&cpu->errors, 1, __ATOMIC_RELEASE);
				smp_ap_hold();
			}
			cpu_pause();
		}
		smp_ap_send_ipi(cpu, SMP_FIXED(SMP_PONG_VECTOR), game->bsp_apic_id);
		__atomic_store_n(&cpu->progress, i + 1, __ATOMIC_RELEASE);
	}
	smp_ap_hold();
}

static enum scenario_failure smp_scenario_pingpong_prepare(struct scenario_state *state)
{
	enum scenario_failure failure = smp_prepare(state, true);

	if (failure != SCENARIO_PASSED)
		return failure;
	smp_pingpong = (struct smp_pingpong){
		.round_trips = (uint32_t)state->context->iterations,
		.bsp_apic_id = smp_apic_id(0),
	};
	return smp_scenario_hand_over(state, smp_index_of_vcpu1(), smp_pong, &smp_pingpong);
}

static enum scenario_failure smp_scenario_pingpong(struct scenario_state *state)
{
	unsigned target = smp_index_of_vcpu1();
	uint32_t round_trips = smp_pingpong.round_trips;
	struct smp_cpu *cpu = smp_ap(target);
	enum scenario_failure failure = SCENARIO_PASSED;
	uint32_t done = 0;

	cpu_interrupts_enable();

	uint64_t start = cpu_rdtsc_fenced();

	for (; done < round_trips; done++) {
		smp_send_ipi(SMP_FIXED(SMP_PING_VECTOR), smp_apic_id(target));
		if (!smp_scenario_await(state, 0, SMP_PONG_VECTOR, done + 1, "pong")) {
			failure = SCENARIO_FAILURE_INTERRUPT_MISSING;
			break;
		}
	}

	uint64_t cycles = cpu_rdtsc_fenced() - start;

	smp_scenario_quiet();
	cpu_interrupts_disable();
	if (cpu->errors != 0)
		scenario_note(state, "APIC ID %u waited in vain for ping %u", cpu->apic_id,
			      cpu->progress + 1);
	scenario_apic_keep_first(&failure, smp_scenario_check_bsp(state, SMP_PONG_VECTOR,
								    round_trips));
	scenario_apic_keep_first(&failure, smp_scenario_check_aps(state, SMP_PING_VECTOR, target,
								    round_trips));
	scenario_report(state, "round_trips", done);
	scenario_report(state, "target_apic_id", cpu->apic_id);
	if (done != 0)
		scenario_report(state, "cycles_per_round_trip", cycles / done);
	scenario_report(state, "interrupts", interrupts_count() + cpu->vector_counts[SMP_PING_VECTOR]);
	return failure;
}

/* ------------------------------------------------------------------------------------------ */
/* ipi-broadcast: fixed IPIs with the all-excluding-self shorthand: every AP takes each, the
 * BSP none. */

static enum scenario_failure smp_scenario_broadcast(struct scenario_state *state)
{
	unsigned rounds = smp_scenario_rounds(state), cpus = smp_cpu_count();
	enum scenario_failure failure = SCENARIO_PASSED;
	uint64_t interrupts = 0;

	cpu_interrupts_enable();
	for (unsigned round = 0; round < rounds && failure == SCENARIO_PASSED; round++) {
		smp_send_ipi_shorthand(LAPIC_ICR_SHORTHAND_ALL_EXCLUDING_SELF |
				       LAPIC_ICR_LEVEL_ASSERT | LAPIC_ICR_DELIVERY_FIXED |
				       SMP_BROADCAST_VECTOR);
		for (unsigned i = 1; i < cpus; i++) {
			if (!smp_scenario_await(state, i, SMP_BROADCAST_VECTOR, round + 1,
						"broadcast"))
				failure = SCENARIO_FAILURE_INTERRUPT_MISSING;
		}
	}
	smp_scenario_quiet();
	cpu_interrupts_disable();
	scenario_apic_keep_first(&failure, smp_scenario_check_bsp(state, SMP_BROADCAST_VECTOR, 0));
	scenario_apic_keep_first(&failure, smp_scenario_check_aps(state, SMP_BROADCAST_VECTOR, 0,
								    rounds));
	for (unsigned i = 1; i < cpus; i++)
		interrupts += smp_scenario_taken(i, SMP_BROADCAST_VECTOR);
	scenario_report(state, "rounds", rounds);
	scenario_report(state, "receivers", cpus - 1);
	scenario_report(state, "interrupts", interrupts);
	return failure;
}

/* ------------------------------------------------------------------------------------------ */
/* Logical destinations: each CPU gets a logical ID, then one fixed IPI goes to each of a list
 * of destinations; after each, every CPU that matches must have taken one more and no other
 * any. */

/* Whether CPU `index` matches logical destination `destination` in the model in use. */
typedef bool (*smp_match_fn)(unsigned index, uint32_t destination);

/* Sends `vector` to every destination in turn and checks who took it; the tallies are kept
 * across destinations. Returns the first failure; *interrupts counts the arrivals due. */
static enum scenario_failure smp_scenario_logical_round(struct scenario_state *state,
							uint8_t vector, const uint32_t *destinations,
							unsigned count, smp_match_fn match,
							uint64_t *interrupts)
{
	uint32_t tally[SMP_MAX_CPUS] = { 0 };
	unsigned cpus = smp_cpu_count();
	enum scenario_failure failure = SCENARIO_PASSED;

	cpu_interrupts_enable();
	for (unsigned d = 0; d < count; d++) {
		for (unsigned i = 0; i < cpus; i++)
			tally[i] += match(i, destinations[d]) ? 1u : 0u;
		smp_send_ipi(SMP_LOGICAL(vector), destinations[d]);
		for (unsigned i = 0; i < cpus; i++) {
			if (!smp_scenario_await(state, i, vector, tally[i], "logical IPI"))
				scenario_apic_keep_first(&failure,
							 SCENARIO_FAILURE_INTERRUPT_MISSING);
		}
		smp_scenario_quiet();
		for (unsigned i = 0; i < cpus; i++) {
			uint32_t taken = smp_scenario_taken(i, vector);

			if (taken == tally[i])
				continue;
			scenario_note(state, "destination 0x%x: APIC ID %u has taken %u, expected "
				      "%u", destinations[d], smp_apic_id(i), taken, tally[i]);
			scenario_apic_keep_first(&failure, taken < tally[i] ?
							   SCENARIO_FAILURE_INTERRUPT_MISSING :
							   SCENARIO_FAILURE_INTERRUPT_UNEXPECTED);
		}
	}
	cpu_interrupts_disable();
	scenario_apic_keep_first(&failure, smp_scenario_check_bsp(state, vector, tally[0]));
	for (unsigned i = 1; i < cpus; i++)
		scenario_apic_keep_first(&failure, smp_scenario_check_ap(state, i, vector,
									   tally[i]));
	*interrupts = 0;
	for (unsigned i = 0; i < cpus; i++)
		*interrupts += tally[i];
	return failure;
}

/* Every CPU's LDR, read in the prepare step once the receivers ran (the APs read their own):
 * the x2APIC models' logical IDs, which the CPU derives from the APIC ID. */
static uint32_t smp_scenario_ldrs[SMP_MAX_CPUS];

static void smp_scenario_read_ldrs(void)
{
	smp_scenario_ldrs[0] = lapic_read(LAPIC_REG_LDR);
	for (unsigned i = 1; i < smp_cpu_count(); i++) {
		struct smp_cpu *cpu = smp_ap(i);

		smp_scenario_ldrs[i] = cpu != NULL ? cpu->ldr : 0;
	}
}

static uint32_t smp_scenario_ldr(unsigned index)
{
	return smp_scenario_ldrs[index];
}

/* xAPIC logical IDs (LDR bits 31:24) by CPU index, set in the prepare steps. */
static uint8_t smp_scenario_logical_id[SMP_MAX_CPUS];

/* Every CPU's receiving work to give it xAPIC logical ID smp_scenario_logical_id[i] under
 * `dfr` (x2APIC: to read its LDR back); the BSP's DFR and LDR written now (xAPIC). */
static void smp_scenario_logical_settings(uint32_t dfr)
{
	smp_scenario_clear_receivers();
	for (unsigned i = 0; i < smp_cpu_count(); i++)
		smp_receivers[i] = (struct smp_receiver){
			.logical = true,
			.dfr = dfr,
			.ldr = (uint32_t)smp_scenario_logical_id[i] << LAPIC_LDR_SHIFT,
		};
	if (lapic_mode() == LAPIC_MODE_XAPIC) {
		lapic_write(LAPIC_REG_DFR, dfr);
		lapic_write(LAPIC_REG_LDR, smp_receivers[0].ldr);
	}
}

static enum scenario_failure smp_scenario_set_logical(struct scenario_state *state, uint32_t dfr)
{
	smp_scenario_logical_settings(dfr);
	return smp_scenario_receivers(state);
}

/* Which x2APIC logical IDs (LDR) the CPUs must have: derived from their APIC IDs. */
static enum scenario_failure smp_scenario_check_x2apic_ldrs(struct scenario_state *state)
{
	enum scenario_failure failure = SCENARIO_PASSED;

	for (unsigned i = 0; i < smp_cpu_count(); i++) {
		uint32_t id = smp_apic_id(i);
		uint32_t expected = (id >> 4) << SMP_X2APIC_CLUSTER_SHIFT | 1u << (id & 0xFu);

		if (smp_scenario_ldr(i) != expected) {
			scenario_note(state, "APIC ID %u's x2APIC LDR is 0x%x, expected 0x%x", id,
				      smp_scenario_ldr(i), expected);
			failure = SCENARIO_FAILURE_APIC_REGISTER;
		}
	}
	return failure;
}

/* ipi-logical-flat: DFR flat, CPU i's logical ID bit i. */

static bool smp_match_flat(unsigned index, uint32_t destination)
{
	return (destination & smp_scenario_logical_id[index]) != 0;
}

static enum scenario_failure smp_scenario_flat_prepare(struct scenario_state *state)
{
	enum scenario_failure failure = smp_prepare(state, false);

	if (failure != SCENARIO_PASSED)
		return failure;
	if (lapic_mode() != LAPIC_MODE_XAPIC)
		return scenario_skip(state, "the BSP's APIC is in x2APIC mode, which has no flat "
				     "model (no DFR)");
	if (smp_cpu_count() > SMP_FLAT_MAX_CPUS)
		return scenario_skip(state, "more than 8 CPUs: the flat model has 8 logical IDs");
	failure = smp_start(state, SMP_START_MP_SPEC, false);
	if (failure != SCENARIO_PASSED)
		return failure;
	for (unsigned i = 0; i < smp_cpu_count(); i++)
		smp_scenario_logical_id[i] = (uint8_t)(1u << i);
	return smp_scenario_set_logical(state, LAPIC_DFR_FLAT);
}

static enum scenario_failure smp_scenario_logical_flat(struct scenario_state *state)
{
	unsigned cpus = smp_cpu_count();
	uint32_t all = (1u << cpus) - 1, destinations[SMP_MAX_CPUS + 8];
	unsigned count = 0;
	uint64_t interrupts;

	for (unsigned i = 1; i < cpus; i++)
		destinations[count++] = 1u << i;            /* each AP alone */
	destinations[count++] = all & ~1u;                  /* every AP */
	destinations[count++] = 0x03u;                      /* the BSP and CPU 1 */
	destinations[count++] = 0xAAu & all;                /* every other CPU */
	if ((0x55u & all) != 0x01u)
		destinations[count++] = 0x55u & all;
	if (cpus < SMP_FLAT_MAX_CPUS)
		destinations[count++] = 1u << cpus;         /* a bit no CPU has */
	destinations[count++] = SMP_XAPIC_BROADCAST;        /* everyone */

	enum scenario_failure failure = smp_scenario_logical_round(
		state, SMP_FLAT_VECTOR, destinations, count, smp_match_flat, &interrupts);

	scenario_report(state, "destinations", count);
	scenario_report(state, "interrupts", interrupts);
	return failure;
}

/* ipi-logical-cluster: xAPIC DFR cluster, CPU i in cluster 1 + i % C, member bit i / C (C
 * clusters, 2 or as many as 16 CPUs need); in x2APIC mode the cluster model is the only one,
 * with logical IDs derived from the APIC IDs. */

static unsigned smp_scenario_clusters(void)
{
	unsigned needed = (smp_cpu_count() + SMP_CLUSTER_MEMBERS - 1) / SMP_CLUSTER_MEMBERS;

	return needed > 2 ? needed : 2;
}

static bool smp_match_xapic_cluster(unsigned index, uint32_t destination)
{
	uint8_t id = smp_scenario_logical_id[index];

	if (destination == SMP_XAPIC_BROADCAST)
		return true;
	return (destination >> 4) == (uint32_t)(id >> 4) && (destination & id & 0xFu) != 0;
}

static bool smp_match_x2apic_cluster(unsigned index, uint32_t destination)
{
	uint32_t ldr = smp_scenario_ldr(index);

	if (destination == SMP_X2APIC_BROADCAST)
		return true;
	return (destination >> SMP_X2APIC_CLUSTER_SHIFT) == (ldr >> SMP_X2APIC_CLUSTER_SHIFT) &&
	       (destination & ldr & SMP_X2APIC_MEMBERS_MASK) != 0;
}

/* Set by the prepare step: the xAPIC cluster model's broadcast (MDA FFH) is left out. QEMU's
 * TCG APIC (7.2, hw/intc/apic.c apic_get_delivery_bitmask) matches FFH as cluster FH, members
 * 0-3, where the SDM says "Broadcast to all local APICs is achieved by setting all destination
 * bits to one. This guarantees a match on all clusters" (Vol. 3A §11.6.2.2). */
static bool smp_cluster_skip_broadcast;

static enum scenario_failure smp_scenario_cluster_prepare(struct scenario_state *state)
{
	enum scenario_failure failure = smp_prepare(state, true);
	unsigned clusters = smp_scenario_clusters();

	if (failure != SCENARIO_PASSED)
		return failure;
	smp_cluster_skip_broadcast = smp_qemu_tcg();
	for (unsigned i = 0; i < smp_cpu_count(); i++)
		smp_scenario_logical_id[i] = (uint8_t)((1u + i % clusters) << 4 |
						       1u << (i / clusters));
	failure = smp_scenario_set_logical(state, LAPIC_DFR_CLUSTER);
	if (failure != SCENARIO_PASSED)
		return failure;
	smp_scenario_read_ldrs();
	return lapic_mode() == LAPIC_MODE_X2APIC ? smp_scenario_check_x2apic_ldrs(state) :
						   SCENARIO_PASSED;
}

static enum scenario_failure smp_scenario_logical_cluster(struct scenario_state *state)
{
	unsigned cpus = smp_cpu_count(), count = 0;
	uint32_t destinations[2 * SMP_MAX_CPUS + 4];
	smp_match_fn match;
	uint64_t interrupts;

	if (lapic_mode() == LAPIC_MODE_X2APIC) {
		uint32_t highest_cluster = 0;

		for (unsigned i = 0; i < cpus; i++) {
			uint32_t ldr = smp_scenario_ldr(i);

			destinations[count++] = ldr;         /* each CPU alone */
			if ((ldr >> SMP_X2APIC_CLUSTER_SHIFT) > highest_cluster)
				highest_cluster = ldr >> SMP_X2APIC_CLUSTER_SHIFT;
		}
		/* The BSP's cluster, every member; a cluster no CPU is in; everyone. */
		destinations[count++] = (smp_scenario_ldr(0) & ~SMP_X2APIC_MEMBERS_MASK) |
					SMP_X2APIC_MEMBERS_MASK;
		destinations[count++] = (highest_cluster + 1) << SMP_X2APIC_CLUSTER_SHIFT |
					SMP_X2APIC_MEMBERS_MASK;
		destinations[count++] = SMP_X2APIC_BROADCAST;
		match = smp_match_x2apic_cluster;
	} else {
		unsigned clusters = smp_scenario_clusters();

		for (unsigned i = 1; i < cpus; i++)
			destinations[count++] = smp_scenario_logical_id[i]; /* each AP alone */
		for (unsigned c = 1; c <= clusters; c++)
			destinations[count++] = c << 4 | 0xFu;  /* every member of cluster c */
		destinations[count++] = (clusters + 1) << 4 | 0xFu; /* a cluster no CPU is in */
		if (!smp_cluster_skip_broadcast)
			destinations[count++] = SMP_XAPIC_BROADCAST;
		else
			scenario_note(state, "destination 0xFF (broadcast) not tried: QEMU's TCG "
				      "APIC takes it for cluster 0xF in the cluster model");
		match = smp_match_xapic_cluster;
	}

	enum scenario_failure failure = smp_scenario_logical_round(
		state, SMP_CLUSTER_VECTOR, destinations, count, match, &interrupts);

	scenario_report(state, "destinations", count);
	scenario_report(state, "interrupts", interrupts);
	return failure;
}

/* ------------------------------------------------------------------------------------------ */
/* ipi-lowest-priority: lowest-priority IPIs to the set of every AP (a logical destination the
 * BSP is not in), the APs' TPRs 10H, 20H, ...: "the processor with the lowest priority" takes
 * it (SDM Vol. 3A §11.6.2.4 "Lowest Priority Delivery Mode"), but which one is the chipset's or
 * the processor's choice, so the scenario checks what the SDM guarantees: each IPI is taken by
 * exactly one CPU of the set. Where they went is reported. xAPIC: the flat model (up to 8
 * CPUs); x2APIC: the BSP's cluster. */

static uint32_t smp_lowest_destination;

static enum scenario_failure smp_scenario_lowest_prepare(struct scenario_state *state)
{
	enum scenario_failure failure = smp_prepare(state, false);
	unsigned cpus = smp_cpu_count();

	if (failure != SCENARIO_PASSED)
		return failure;
	if (lapic_mode() == LAPIC_MODE_XAPIC && cpus > SMP_FLAT_MAX_CPUS)
		return scenario_skip(state, "more than 8 CPUs: the flat model has 8 logical IDs");
	failure = smp_start(state, SMP_START_MP_SPEC, false);
	if (failure != SCENARIO_PASSED)
		return failure;
	for (unsigned i = 0; i < cpus; i++)
		smp_scenario_logical_id[i] = (uint8_t)(1u << i);
	smp_scenario_logical_settings(LAPIC_DFR_FLAT);
	for (unsigned i = 1; i < cpus; i++)
		smp_receivers[i].tpr = i * SMP_LOWEST_TPR_STEP < SMP_LOWEST_TPR_MAX ?
					       i * SMP_LOWEST_TPR_STEP : SMP_LOWEST_TPR_MAX;
	failure = smp_scenario_receivers(state);
	if (failure != SCENARIO_PASSED)
		return failure;
	if (lapic_mode() == LAPIC_MODE_XAPIC) {
		smp_lowest_destination = ((1u << cpus) - 1) & ~1u;
		return SCENARIO_PASSED;
	}
	/* x2APIC: the members of the BSP's cluster but the BSP. */
	smp_scenario_read_ldrs();
	failure = smp_scenario_check_x2apic_ldrs(state);
	if (failure != SCENARIO_PASSED)
		return failure;

	uint32_t bsp_ldr = smp_scenario_ldr(0);

	smp_lowest_destination = bsp_ldr & ~SMP_X2APIC_MEMBERS_MASK;
	for (unsigned i = 1; i < cpus; i++) {
		uint32_t ldr = smp_scenario_ldr(i);

		if ((ldr & ~SMP_X2APIC_MEMBERS_MASK) == (bsp_ldr & ~SMP_X2APIC_MEMBERS_MASK))
			smp_lowest_destination |= ldr & SMP_X2APIC_MEMBERS_MASK;
	}
	if ((smp_lowest_destination & SMP_X2APIC_MEMBERS_MASK) == 0)
		return scenario_skip(state, "no AP shares the BSP's x2APIC cluster");
	return SCENARIO_PASSED;
}

/* Whether AP `index` is in the lowest-priority set. */
static bool smp_lowest_in_set(unsigned index)
{
	if (lapic_mode() == LAPIC_MODE_X2APIC)
		return smp_match_x2apic_cluster(index, smp_lowest_destination);
	return (smp_lowest_destination & smp_scenario_logical_id[index]) != 0;
}

static enum scenario_failure smp_scenario_lowest_priority(struct scenario_state *state)
{
	unsigned rounds = smp_scenario_rounds(state), cpus = smp_cpu_count();
	enum scenario_failure failure = SCENARIO_PASSED;
	unsigned lowest = 0;
	uint32_t total = 0;

	for (unsigned i = 1; i < cpus; i++) {
		struct smp_cpu *cpu = smp_ap(i);

		if (smp_lowest_in_set(i) &&
		    (lowest == 0 || cpu->tpr < smp_ap(lowest)->tpr))
			lowest = i;
	}
	cpu_interrupts_enable();
	for (unsigned round = 0; round < rounds; round++) {
		uint64_t start = cpu_rdtsc_fenced();

		smp_send_ipi(LAPIC_ICR_SHORTHAND_NONE | LAPIC_ICR_LEVEL_ASSERT |
			     LAPIC_ICR_DESTINATION_LOGICAL | SMP_ICR_DELIVERY_LOWEST_PRIORITY |
			     SMP_LOWEST_VECTOR, smp_lowest_destination);
		do {
			total = 0;
			for (unsigned i = 0; i < cpus; i++)
				total += smp_scenario_taken(i, SMP_LOWEST_VECTOR);
			cpu_pause();
		} while (total < round + 1 && cpu_rdtsc_fenced() - start < smp_await_cycles());
		smp_scenario_quiet();
		total = 0;
		for (unsigned i = 0; i < cpus; i++)
			total += smp_scenario_taken(i, SMP_LOWEST_VECTOR);
		if (total != round + 1) {
			scenario_note(state, "lowest-priority IPI %u to 0x%x: %u arrivals in all, "
				      "expected %u", round, smp_lowest_destination, total, round + 1);
			failure = total < round + 1 ? SCENARIO_FAILURE_INTERRUPT_MISSING :
						      SCENARIO_FAILURE_INTERRUPT_UNEXPECTED;
			break;
		}
	}
	cpu_interrupts_disable();
	scenario_apic_keep_first(&failure, smp_scenario_check_bsp(state, SMP_LOWEST_VECTOR, 0));
	for (unsigned i = 1; i < cpus; i++) {
		struct smp_cpu *cpu = smp_ap(i);
		uint32_t taken = smp_scenario_taken(i, SMP_LOWEST_VECTOR);

		scenario_apic_keep_first(&failure, smp_scenario_check_ap(state, i,
									   SMP_LOWEST_VECTOR,
									   taken));
		if (!smp_lowest_in_set(i) && taken != 0) {
			scenario_note(state, "APIC ID %u, outside the set, took %u", cpu->apic_id,
				      taken);
			scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_UNEXPECTED);
		}
		if (smp_lowest_in_set(i))
			scenario_note(state, "APIC ID %u, TPR 0x%x: %u of %u", cpu->apic_id,
				      cpu->tpr, taken, rounds);
	}
	scenario_report(state, "rounds", rounds);
	scenario_report(state, "interrupts", total);
	if (lowest != 0)
		scenario_report(state, "to_lowest_tpr", smp_scenario_taken(lowest,
									    SMP_LOWEST_VECTOR));
	return failure;
}

/* ------------------------------------------------------------------------------------------ */
/* ipi-nmi: NMIs (delivery mode NMI, physical destination) to vCPU 1, each awaited; its NMI
 * handler counts them, and writes no EOI. */

static enum scenario_failure smp_scenario_nmi(struct scenario_state *state)
{
	unsigned rounds = smp_scenario_rounds(state), target = smp_index_of_vcpu1();
	struct smp_cpu *cpu = smp_ap(target);
	enum scenario_failure failure = SCENARIO_PASSED;

	cpu_interrupts_enable();            /* so that a misrouted IPI would be seen */
	for (unsigned round = 0; round < rounds; round++) {
		smp_send_ipi(LAPIC_ICR_SHORTHAND_NONE | LAPIC_ICR_LEVEL_ASSERT |
			     LAPIC_ICR_DESTINATION_PHYSICAL | LAPIC_ICR_DELIVERY_NMI,
			     cpu->apic_id);
		if (!smp_wait_at_least(&cpu->nmis, round + 1)) {
			scenario_note(state, "NMI %u to APIC ID %u did not arrive within %lu TSC "
				      "cycles", round, cpu->apic_id, smp_await_cycles());
			failure = SCENARIO_FAILURE_INTERRUPT_MISSING;
			break;
		}
	}
	smp_scenario_quiet();
	cpu_interrupts_disable();
	if (cpu->nmis > rounds) {
		scenario_note(state, "APIC ID %u took %u NMIs for %u", cpu->apic_id, cpu->nmis,
			      rounds);
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_UNEXPECTED);
	}
	scenario_apic_keep_first(&failure, smp_scenario_check_bsp(state, 0, 0));
	for (unsigned i = 1; i < smp_cpu_count(); i++) {
		struct smp_cpu *other = smp_ap(i);

		if (i != target && other->nmis != 0) {
			scenario_note(state, "APIC ID %u took %u NMIs", other->apic_id, other->nmis);
			scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_UNEXPECTED);
		}
	}
	scenario_report(state, "nmis", cpu->nmis);
	scenario_report(state, "interrupts", cpu->nmis);
	return failure;
}

/* ------------------------------------------------------------------------------------------ */
/* ipi-to-halted: vCPU 1 halts (STI; HLT) and a fixed IPI must end the HLT; n rounds. The BSP
 * sends only once the AP has said it is about to halt, and a quiet spell later. */

static uint32_t smp_halted_rounds;

/* vCPU 1's side: progress 2r + 1 when about to halt in round r, 2r + 2 once woken by it. */
static void smp_halter(struct smp_cpu *cpu, void *arg)
{
	uint32_t rounds = *(const uint32_t *)arg;

	__atomic_store_n(&cpu->ready, 1, __ATOMIC_RELEASE);
	for (uint32_t round = 0; round < rounds; round++) {
		uint64_t boundary = 0;

		cpu_interrupts_disable();
		__atomic_store_n(&cpu->progress, 2 * round + 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&cpu->vector_counts[SMP_HALTED_VECTOR], __ATOMIC_ACQUIRE) <
		       round + 1)
			boundary = scenario_apic_sti_hlt();
		/* It must have interrupted the code right after the HLT: the HLT ended. */
		if (cpu->last_rip != boundary)
			__atomic_store_n(&cpu->errors, cpu->errors + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&cpu->progress, 2 * round + 2, __ATOMIC_RELEASE);
	}
	smp_ap_hold();
}

static enum scenario_failure smp_scenario_halted_prepare(struct scenario_state *state)
{
	enum scenario_failure failure = smp_prepare(state, true);

	if (failure != SCENARIO_PASSED)
		return failure;
	smp_halted_rounds = smp_scenario_rounds(state);
	return smp_scenario_hand_over(state, smp_index_of_vcpu1(), smp_halter, &smp_halted_rounds);
}

static enum scenario_failure smp_scenario_to_halted(struct scenario_state *state)
{
	unsigned target = smp_index_of_vcpu1();
	struct smp_cpu *cpu = smp_ap(target);
	enum scenario_failure failure = SCENARIO_PASSED;
	uint64_t slowest = 0;

	cpu_interrupts_enable();
	for (uint32_t round = 0; round < smp_halted_rounds; round++) {
		if (!smp_wait_at_least(&cpu->progress, 2 * round + 1)) {
			scenario_note(state, "APIC ID %u did not get to its HLT %u", cpu->apic_id,
				      round);
			failure = SCENARIO_FAILURE_AP_STUCK;
			break;
		}
		/* Let it get into the HLT. */
		smp_scenario_quiet();

		uint64_t sent = cpu_rdtsc_fenced();

		smp_send_ipi(SMP_FIXED(SMP_HALTED_VECTOR), cpu->apic_id);
		if (!smp_wait_at_least(&cpu->progress, 2 * round + 2)) {
			scenario_note(state, "the IPI did not end APIC ID %u's HLT %u within %lu TSC "
				      "cycles", cpu->apic_id, round, smp_await_cycles());
			failure = SCENARIO_FAILURE_INTERRUPT_MISSING;
			break;
		}

		uint64_t cycles = cpu_rdtsc_fenced() - sent;

		if (cycles > slowest)
			slowest = cycles;
	}
	smp_scenario_quiet();
	cpu_interrupts_disable();
	if (cpu->errors != 0) {
		scenario_note(state, "%u of the IPIs interrupted APIC ID %u elsewhere than right "
			      "after its HLT", cpu->errors, cpu->apic_id);
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_BOUNDARY);
	}
	scenario_apic_keep_first(&failure, smp_scenario_check_bsp(state, 0, 0));
	scenario_apic_keep_first(&failure, smp_scenario_check_aps(state, SMP_HALTED_VECTOR, target,
								    smp_halted_rounds));
	scenario_report(state, "wakeups", cpu->progress / 2);
	scenario_report(state, "cycles_to_wakeup_max", slowest);
	scenario_report(state, "interrupts", cpu->vector_counts[SMP_HALTED_VECTOR]);
	return failure;
}

/* ------------------------------------------------------------------------------------------ */
/* ioapic-to-vcpu1: I/O APIC entries with physical destination vCPU 1's APIC ID: an edge pin
 * pulsed by the test device n times, then a level pin asserted once, which vCPU 1's handler
 * deasserts before its EOI; that EOI (broadcast by vCPU 1's APIC) must clear the entry's remote
 * IRR. */

static void smp_ioapic_level_hook(struct smp_cpu *cpu, uint8_t vector)
{
	(void)cpu;
	if (vector == SMP_IOAPIC_LEVEL_VECTOR)
		testdev_set_line(SCENARIO_IRQ_LEVEL_GSI, false);
}

/* Under QEMU the line ports are pc-testdev's: there when its scratch port reads back. */
static bool smp_scenario_pc_testdev_present(void)
{
	cpu_outl(SMP_PC_TESTDEV_SCRATCH_PORT, SMP_PC_TESTDEV_PATTERN);
	return cpu_inl(SMP_PC_TESTDEV_SCRATCH_PORT) == SMP_PC_TESTDEV_PATTERN;
}

static enum scenario_failure smp_scenario_ioapic_prepare(struct scenario_state *state)
{
	enum scenario_failure failure = smp_count_cpus(state);

	if (failure != SCENARIO_PASSED)
		return failure;
	if (!state->context->hypervisor && !smp_scenario_pc_testdev_present())
		return scenario_skip(state, "no pc-testdev (-device pc-testdev): its port E0H does "
				     "not read back, so GSI lines cannot be raised");
	failure = scenario_irq_devices_prepare(state);
	if (failure != SCENARIO_PASSED)
		return failure;
	failure = smp_prepare(state, true);
	if (failure != SCENARIO_PASSED)
		return failure;
	smp_scenario_clear_receivers();
	smp_receivers[smp_index_of_vcpu1()].hook = smp_ioapic_level_hook;
	return smp_scenario_receivers(state);
}

static enum scenario_failure smp_scenario_ioapic_to_vcpu1(struct scenario_state *state)
{
	unsigned pulses = smp_scenario_rounds(state), target = smp_index_of_vcpu1();
	struct smp_cpu *cpu = smp_ap(target);
	uint8_t destination = (uint8_t)cpu->apic_id;
	bool apicvisor = state->context->hypervisor;
	enum scenario_failure failure = SCENARIO_PASSED;

	ioapic_set_rte(SCENARIO_IRQ_EDGE_GSI, ioapic_rte_fixed(SMP_IOAPIC_EDGE_VECTOR, destination,
							       IOAPIC_RTE_EDGE));
	cpu_interrupts_enable();
	for (unsigned i = 0; i < pulses && failure == SCENARIO_PASSED; i++) {
		testdev_pulse(SCENARIO_IRQ_EDGE_GSI, apicvisor);
		if (!smp_scenario_await(state, target, SMP_IOAPIC_EDGE_VECTOR, i + 1, "pulse"))
			failure = SCENARIO_FAILURE_INTERRUPT_MISSING;
	}
	smp_scenario_quiet();
	ioapic_mask(SCENARIO_IRQ_EDGE_GSI);

	uint32_t handled = cpu->handled;

	ioapic_set_rte(SCENARIO_IRQ_LEVEL_GSI, ioapic_rte_fixed(SMP_IOAPIC_LEVEL_VECTOR,
								destination, IOAPIC_RTE_LEVEL));
	testdev_set_line(SCENARIO_IRQ_LEVEL_GSI, true);
	if (!smp_scenario_await(state, target, SMP_IOAPIC_LEVEL_VECTOR, 1, "level assert") ||
	    !smp_wait_at_least(&cpu->handled, handled + 1))
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_INTERRUPT_MISSING);
	smp_scenario_quiet();
	if (ioapic_remote_irr(SCENARIO_IRQ_LEVEL_GSI)) {
		scenario_note(state, "remote IRR of pin %u is still set after APIC ID %u's EOI",
			      SCENARIO_IRQ_LEVEL_GSI, cpu->apic_id);
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_DEVICE_REGISTER);
	}
	ioapic_mask(SCENARIO_IRQ_LEVEL_GSI);
	testdev_set_line(SCENARIO_IRQ_LEVEL_GSI, false);
	cpu_interrupts_disable();
	scenario_apic_keep_first(&failure, smp_scenario_check_bsp(state, 0, 0));
	for (unsigned i = 1; i < smp_cpu_count(); i++)
		scenario_apic_keep_first(&failure, smp_scenario_check_ap2(
							   state, i, SMP_IOAPIC_EDGE_VECTOR,
							   i == target ? pulses : 0,
							   SMP_IOAPIC_LEVEL_VECTOR, i == target ? 1 : 0));
	scenario_report(state, "pulses", pulses);
	scenario_report(state, "target_apic_id", cpu->apic_id);
	scenario_report(state, "interrupts", cpu->vector_counts[SMP_IOAPIC_EDGE_VECTOR] +
					     cpu->vector_counts[SMP_IOAPIC_LEVEL_VECTOR]);
	return failure;
}

/* ------------------------------------------------------------------------------------------ */
/* msi-to-vcpu1: MSIs from the test device with destination vCPU 1's APIC ID (address
 * FEE00000H | ID << 12, data: the vector, fixed, edge); each awaited. apicvisor's test device
 * only: QEMU's pc-testdev has no MSI ports. */

static enum scenario_failure smp_scenario_msi_prepare(struct scenario_state *state)
{
	enum scenario_failure failure = smp_count_cpus(state);

	if (failure != SCENARIO_PASSED)
		return failure;
	if (!state->context->hypervisor)
		return scenario_skip(state, "no apicvisor: QEMU's pc-testdev has no MSI ports "
				     "(2210H-2218H are apicvisor's test device)");
	return smp_scenario_prepare_receivers(state);
}

static enum scenario_failure smp_scenario_msi_to_vcpu1(struct scenario_state *state)
{
	unsigned messages = smp_scenario_rounds(state), target = smp_index_of_vcpu1();
	struct smp_cpu *cpu = smp_ap(target);
	enum scenario_failure failure = SCENARIO_PASSED;

	testdev_msi_setup(SMP_MSI_ADDRESS_BASE | cpu->apic_id << SMP_MSI_DESTINATION_SHIFT,
			  SMP_MSI_VECTOR);
	cpu_interrupts_enable();
	for (unsigned i = 0; i < messages && failure == SCENARIO_PASSED; i++) {
		testdev_msi_send();
		if (!smp_scenario_await(state, target, SMP_MSI_VECTOR, i + 1, "MSI"))
			failure = SCENARIO_FAILURE_INTERRUPT_MISSING;
	}
	smp_scenario_quiet();
	cpu_interrupts_disable();
	scenario_apic_keep_first(&failure, smp_scenario_check_bsp(state, 0, 0));
	scenario_apic_keep_first(&failure, smp_scenario_check_aps(state, SMP_MSI_VECTOR, target,
								    messages));
	scenario_report(state, "msis", messages);
	scenario_report(state, "target_apic_id", cpu->apic_id);
	scenario_report(state, "interrupts", cpu->vector_counts[SMP_MSI_VECTOR]);
	return failure;
}

static const struct scenario scenario_smp_table[] = {
	{ "init-sipi", false, smp_scenario_prepare_only, smp_scenario_init_sipi },
	{ "init-sipi-short", false, smp_scenario_prepare_only, smp_scenario_init_sipi_short },
	{ "ipi-pingpong", false, smp_scenario_pingpong_prepare, smp_scenario_pingpong },
	{ "ipi-broadcast", false, smp_scenario_prepare_receivers, smp_scenario_broadcast },
	{ "ipi-logical-flat", false, smp_scenario_flat_prepare, smp_scenario_logical_flat },
	{ "ipi-logical-cluster", false, smp_scenario_cluster_prepare,
	  smp_scenario_logical_cluster },
	{ "ipi-lowest-priority", false, smp_scenario_lowest_prepare,
	  smp_scenario_lowest_priority },
	{ "ipi-nmi", false, smp_scenario_prepare_receivers, smp_scenario_nmi },
	{ "ipi-to-halted", false, smp_scenario_halted_prepare, smp_scenario_to_halted },
	{ "ioapic-to-vcpu1", false, smp_scenario_ioapic_prepare, smp_scenario_ioapic_to_vcpu1 },
	{ "msi-to-vcpu1", false, smp_scenario_msi_prepare, smp_scenario_msi_to_vcpu1 },
};

const struct scenario_list scenario_smp_list = {
	scenario_smp_table, sizeof(scenario_smp_table) / sizeof(scenario_smp_table[0])
};
