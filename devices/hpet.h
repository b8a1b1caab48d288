/* SPDX-License-Identifier: MIT */
/*
 * The guest's High Precision Event Timer: one timer block of the IA-PC HPET (High Precision Event
 * Timers) Specification 1.0a, with a 64-bit main counter at 100 MHz (QEMU's rate) and three
 * 64-bit comparators ("timers" 0-2), in the MMIO page the PC puts it at, 0xFED00000 (the ACPI
 * HPET table announces it). Citations are to that specification, by section title.
 *
 * Registers: the model sees offsets 0-0x3FF of the page (hpet_read/hpet_write), in 4- and 8-byte
 * accesses aligned to their size; a 4-byte access at +0 or +4 of a 64-bit register reads or
 * writes its low or high half. Offsets without a register read 0 and ignore writes; other sizes
 * and misaligned accesses do the same. Both are counted in the statistics.
 *
 * Time: the model keeps no timer of its own. While ENABLE_CNF is set ("General Configuration
 * Register") the main counter is derived from the caller's TSC (ops->now, tsc_hz given at
 * creation): the value it had when enabled + floor((now - TSC at enable) * 100 MHz / tsc_hz),
 * exactly; halted, it keeps its value and may be written ("Main Counter Value Register"). A
 * comparator matches when the counter counts up to its value ("Timer N Comparator Value
 * Register"). Matches are taken when the guest accesses a register (so it never reads a counter
 * past a match whose interrupt was not sent, nor a stale periodic comparator or status bit) or
 * when the caller's timer fires: hpet_next_event() says when the next match whose interrupt is
 * enabled falls, the caller arms a timer for it and calls hpet_advance() once the TSC has reached
 * it; ops->timer_changed says when that moved.
 *
 * Interrupts: ops->irq(ctx, gsi, level) drives a line by its GSI. A timer routed by
 * Tn_INT_ROUTE_CNF ("Timer N Configuration and Capability Register") uses that I/O APIC pin, one
 * of 20-23 (HPET_ROUTE_CAP). Under LegacyReplacement (LEG_RT_CNF and ENABLE_CNF both set,
 * "General Configuration Register") timer 0 uses GSI 2 and timer 1 GSI 8: the spec's "IRQ2 in
 * the I/O APIC" and "IRQ8", the GSIs of the PC's ISA IRQ0 (through its interrupt source
 * override) and IRQ8; a caller that delivers to an 8259 maps GSI 2 to its IRQ0. While LEG_RT_CNF
 * is set the 8254 and the RTC are not to interrupt: the caller asks hpet_legacy_replacement()
 * and mutes them. Edge-triggered timers pulse their line, irq(gsi, true) then irq(gsi, false), once per
 * hpet_* call that finds matches (several matches coalesce into one pulse); level-triggered ones
 * set their bit in the General Interrupt Status Register and hold the line high until the guest
 * writes 1 to that bit. Lines are ORed: a GSI two level-triggered timers share goes low when
 * neither holds it, and an edge timer's pulse on a line a level one holds high is not sent (it
 * could make no edge).
 *
 * Plain C (no VMX, no UEFI); the choices where the spec leaves room are listed in hpet.c.
 * Threading: one HPET per VM; every function runs on one CPU at a time (the devices' lock).
 */
#ifndef APICVISOR_HPET_H
#define APICVISOR_HPET_H

#include "../lib/klib.h"

struct hpet;

/* How many HPETs exist at most (a static pool: the hypervisor does not allocate). */
#define HPET_MAX_INSTANCES 2

#define HPET_MMIO_BASE 0xFED00000ull     /* the PC's customary base (ACPI HPET table) */
#define HPET_MMIO_SIZE 0x400u            /* one timer block's registers */

#define HPET_TIMER_COUNT 3u
#define HPET_COUNTER_HZ 100000000ull     /* 100 MHz, as QEMU */
#define HPET_PERIOD_FS 10000000ull       /* COUNTER_CLK_PERIOD: 10 ns in femtoseconds */
/* The TSC frequencies hpet_create accepts: 1 MHz (Bochs' TSC runs at a few MHz: the counter then
 * moves by several ticks per TSC cycle) to 2^37 Hz (the tick arithmetic stays within 64 bits). */
#define HPET_MIN_TSC_HZ 1000000ull
#define HPET_MAX_TSC_HZ (1ull << 37)

/* The I/O APIC pins every timer may be routed to (Tn_INT_ROUTE_CAP): 20-23. */
#define HPET_ROUTE_CAP 0x00F00000u
/* The GSIs of timers 0 and 1 under LegacyReplacement. */
#define HPET_LEGACY_GSI_TIMER0 2u
#define HPET_LEGACY_GSI_TIMER1 8u

/* Register offsets. */
#define HPET_CAPABILITIES 0x000u         /* General Capabilities and ID (read-only) */
#define HPET_CONFIG 0x010u               /* General Configuration */
#define HPET_STATUS 0x020u               /* General Interrupt Status */
#define HPET_COUNTER 0x0F0u              /* Main Counter Value */
#define HPET_TIMER_CONFIG(n) (0x100u + 0x20u * (n))     /* Timer N Configuration and Capability */
#define HPET_TIMER_COMPARATOR(n) (0x108u + 0x20u * (n)) /* Timer N Comparator Value */

/* General Capabilities and ID: the value this model reads, 0x009896808086A201. */
#define HPET_CAP_REV_ID 0x01ull                  /* bits 7:0 */
#define HPET_CAP_NUM_TIM_SHIFT 8                 /* bits 12:8: the last timer's number */
#define HPET_CAP_COUNT_SIZE (1ull << 13)         /* 64-bit main counter */
#define HPET_CAP_LEG_RT (1ull << 15)             /* LegacyReplacement capable */
#define HPET_CAP_VENDOR_SHIFT 16                 /* bits 31:16 */
#define HPET_CAP_PERIOD_SHIFT 32                 /* bits 63:32: COUNTER_CLK_PERIOD, fs */
#define HPET_VENDOR_ID 0x8086ull
#define HPET_CAPABILITIES_VALUE                                                                 \
	(HPET_PERIOD_FS << HPET_CAP_PERIOD_SHIFT | HPET_VENDOR_ID << HPET_CAP_VENDOR_SHIFT |      \
	 HPET_CAP_LEG_RT | HPET_CAP_COUNT_SIZE |                                                  \
	 (uint64_t)(HPET_TIMER_COUNT - 1) << HPET_CAP_NUM_TIM_SHIFT | HPET_CAP_REV_ID)

/* General Configuration. */
#define HPET_CFG_ENABLE (1ull << 0)              /* ENABLE_CNF: the main counter runs */
#define HPET_CFG_LEG_RT (1ull << 1)              /* LEG_RT_CNF: LegacyReplacement route */

/* Timer N Configuration and Capability. */
#define HPET_TN_INT_TYPE_LEVEL (1ull << 1)       /* Tn_INT_TYPE_CNF: 1 level, 0 edge */
#define HPET_TN_INT_ENB (1ull << 2)              /* Tn_INT_ENB_CNF */
#define HPET_TN_PERIODIC (1ull << 3)             /* Tn_TYPE_CNF (timer 0 only here) */
#define HPET_TN_PER_INT_CAP (1ull << 4)          /* read-only: timer 0 */
#define HPET_TN_SIZE_CAP (1ull << 5)             /* read-only: 64-bit, every timer */
#define HPET_TN_VAL_SET (1ull << 6)              /* Tn_VAL_SET_CNF */
#define HPET_TN_32MODE (1ull << 8)               /* Tn_32MODE_CNF */
#define HPET_TN_ROUTE_SHIFT 9                    /* Tn_INT_ROUTE_CNF: bits 13:9 */
#define HPET_TN_ROUTE_MASK (0x1Full << HPET_TN_ROUTE_SHIFT)
#define HPET_TN_FSB_EN (1ull << 14)              /* Tn_FSB_EN_CNF: always 0 (no FSB) */
#define HPET_TN_FSB_INT_DEL_CAP (1ull << 15)     /* always 0 */
#define HPET_TN_ROUTE_CAP_SHIFT 32               /* Tn_INT_ROUTE_CAP: bits 63:32 */

/* The outside world. Every pointer may be NULL. Called with `ctx` from hpet_create, from inside
 * an hpet_* call. */
struct hpet_ops {
	/* The current TSC. NULL reads as 0: a clock that never advances. */
	uint64_t (*now)(void *ctx);
	/* Drive the line of GSI `gsi` (see the top: an I/O APIC pin 20-23, or GSI 2 / 8 under
	 * LegacyReplacement). */
	void (*irq)(void *ctx, unsigned gsi, bool level);
	/* hpet_next_event() changed: re-arm the caller's timer (0: disarm). */
	void (*timer_changed)(void *ctx);
};

/* Counters for the statistics output. Written by the model only. */
struct hpet_stats {
	uint64_t irqs;              /* edge pulses sent and level lines raised */
	uint64_t coalesced;         /* periodic matches with the interrupt enabled that fell due
				     * before the previous one was sent: merged into its pulse */
	uint64_t unrouted;          /* matches with the interrupt enabled whose Tn_INT_ROUTE_CNF
				     * is not in Tn_INT_ROUTE_CAP (the reset value 0): no line */
	uint64_t refused_routes;    /* Tn_INT_ROUTE_CNF writes outside Tn_INT_ROUTE_CAP (ignored) */
	uint64_t running_counter_writes; /* main counter writes while ENABLE_CNF = 1 (ignored) */
	uint64_t read_only_writes;  /* writes to General Capabilities and ID (ignored) */
	uint64_t unknown_offsets;   /* accesses at offsets without a register */
	uint64_t bad_accesses;      /* sizes other than 4 and 8, misaligned, beyond 0x3FF */
};

/*
 * Takes an HPET from the pool in its reset state (hpet_reset); calls no op. `ops` may be NULL;
 * it is referenced, not copied. NULL when the pool is empty or tsc_hz is outside
 * HPET_MIN_TSC_HZ..HPET_MAX_TSC_HZ.
 */
struct hpet *hpet_create(uint64_t tsc_hz, const struct hpet_ops *ops, void *ctx);
/* Returns the HPET to the pool. Calls no op. */
void hpet_destroy(struct hpet *hpet);
/*
 * Platform reset: counter halted at 0, LegacyReplacement off, status 0, every timer edge,
 * disabled, one-shot, 64-bit, route 0, comparator all ones, period 0. Lowers the lines it held
 * and reports a change of hpet_next_event().
 */
void hpet_reset(struct hpet *hpet);

/* A guest access at `offset` (from HPET_MMIO_BASE) of `size` bytes (4 or 8). A read returns the
 * value in the low `size` bytes. Both first take the matches due by now (see the top). */
uint64_t hpet_read(struct hpet *hpet, uint64_t offset, unsigned size);
void hpet_write(struct hpet *hpet, uint64_t offset, unsigned size, uint64_t value);

/* The absolute TSC of the earliest match of a timer whose interrupt is enabled (Tn_INT_ENB_CNF,
 * and for a level-triggered timer its status bit clear), 0 for none: the counter is halted, no
 * such timer, or the match lies beyond the TSC's 64 bits. */
uint64_t hpet_next_event(const struct hpet *hpet);
/* The caller's timer fired (any time is fine: early calls just re-evaluate): takes the matches
 * due by now and sends their interrupts. */
void hpet_advance(struct hpet *hpet);

/* LEG_RT_CNF is set: the 8254's IRQ0 and the RTC's IRQ8 are to be muted, whether or not the
 * counter runs (as QEMU's and Intel's chipsets do: Linux stops the counter while it reprograms
 * timer 0, and a PIT tick in that window must not come through). Timers 0 and 1 take the legacy
 * GSIs only while the counter is enabled too. */
bool hpet_legacy_replacement(const struct hpet *hpet);

const struct hpet_stats *hpet_stats(const struct hpet *hpet);

#endif
