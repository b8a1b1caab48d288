/* SPDX-License-Identifier: MIT */
/*
 * The guest's programmable interval timer: an Intel 8254 at ports 0x40–0x42 (counters 0–2) and
 * 0x43 (control word), clocked at PIT_INPUT_HZ. Citations are to the Intel "8254 Programmable
 * Interval Timer" datasheet, by section title.
 *
 * Time: the model keeps no timer of its own. The input clock is derived from the caller's TSC
 * (ops->now, tsc_hz given at creation): CLK edge k falls at TSC epoch + k * tsc_hz / PIT_INPUT_HZ,
 * epoch being the TSC at pit_create. Counters are evaluated from that when the guest reads them.
 * Counter 0's OUT drives ISA IRQ0 (GSI 0 on the vPIC, IOAPIC pin 2): pit_next_event() says when
 * its next rising edge falls, the caller arms a timer (e.g. the VMX-preemption timer) for it and
 * calls pit_advance() once the TSC has reached it.
 *
 * Modes: 0 (interrupt on terminal count), 2 (rate generator), 3 (square wave) and 4 (software
 * triggered strobe) count as the datasheet's "Mode Definitions" say, on all three counters;
 * modes 1 and 5 wait for a GATE trigger. GATE inputs are tied high: counters 0 and 1 have no gate
 * on the PC, and counter 2's gate (port 0x61 bit 0) is not modelled here, so modes 1 and 5 never
 * start (their counts are stored, counted in the statistics, and NULL COUNT stays 1). BCD
 * counting is implemented. Counters 1 and 2 count and are readable; their OUT is only visible
 * through pit_output() and the read-back status.
 *
 * Plain C (no VMX, no UEFI); the choices where the datasheet leaves room are listed in pit.c.
 *
 * Threading: one PIT per VM; every function runs on the CPU that owns it while its guest is not
 * running, never concurrently.
 */
#ifndef APICVISOR_PIT_H
#define APICVISOR_PIT_H

#include "../lib/klib.h"

struct pit;

/* How many PITs exist at most (a static pool: the hypervisor does not allocate). */
#define PIT_MAX_INSTANCES 2

/* The 8254's input clock on the PC: 1.193182 MHz. */
#define PIT_INPUT_HZ 1193182u
/* The TSC frequencies pit_create accepts: at least the PIT's clock, below 2^40 Hz (the tick
 * arithmetic stays within 64 bits). */
#define PIT_MIN_TSC_HZ PIT_INPUT_HZ
#define PIT_MAX_TSC_HZ (1ull << 40)

#define PIT_COUNTER_COUNT 3

/* The outside world. Every pointer may be NULL. Called with `ctx` from pit_create, from inside a
 * pit_* call. */
struct pit_ops {
	/* The current TSC. NULL reads as 0: a clock that never advances. */
	uint64_t (*now)(void *ctx);
	/*
	 * Counter 0's OUT, as seen by the edge-triggered ISA IRQ0: each rising edge of OUT is
	 * reported as a pulse, irq(ctx, true) then irq(ctx, false). Rising edges are what an
	 * edge-triggered input latches; the level between them carries nothing for it, so the
	 * model does not spend a timer event on falling edges (mode 3's mid-period fall, mode 2's
	 * one-clock low before each rising edge). Rising edges come from terminal count (mode 0),
	 * each period (modes 2 and 3), the end of the strobe (mode 4), and a control word that
	 * raises OUT while it was low (e.g. mode 2 programmed while mode 0 still counts).
	 */
	void (*irq)(void *ctx, bool level);
	/* pit_next_event() changed: re-arm the caller's timer for the new value (0: disarm). */
	void (*timer_changed)(void *ctx);
};

/* Counters for the statistics output. Written by the model only. */
struct pit_stats {
	uint64_t irq_pulses;        /* pulses sent through ops->irq */
	uint64_t coalesced_edges;   /* rising edges that fell due while an earlier one was not yet
				     * reported (the caller was late): merged into that pulse */
	uint64_t control_words;     /* mode-setting control words */
	uint64_t latch_commands;    /* counter latch commands */
	uint64_t read_backs;        /* read-back commands */
	uint64_t illegal_counts;    /* count 1 in modes 2 and 3 (below the datasheet's minimum of 2):
				     * OUT stays high, no edges */
	uint64_t gate_mode_counts;  /* counts written in modes 1 and 5, which never start here */
	uint64_t invalid_bcd;       /* BCD counts with a digit above 9 (taken modulo 10000) */
	uint64_t bad_ports;         /* pit_read/pit_write for a port that is not the PIT's */
};

/*
 * Takes a PIT from the pool in its reset state (pit_reset); reads ops->now for the epoch and
 * calls no other op. `ops` may be NULL; it is referenced, not copied. NULL when the pool is
 * empty or tsc_hz is outside [PIT_MIN_TSC_HZ, PIT_MAX_TSC_HZ).
 */
struct pit *pit_create(uint64_t tsc_hz, const struct pit_ops *ops, void *ctx);
/* Returns the PIT to the pool. Calls no op. */
void pit_destroy(struct pit *pit);
/*
 * Platform reset. The 8254's power-up state is undefined; the model starts every counter as if
 * control word "lobyte/hibyte, mode 3, binary" had been written and no count yet: OUT high, not
 * counting, count 0, NULL COUNT 1 (read-back status 0xF6). No interrupt until the guest
 * programs counter 0. Reports a pit_next_event() change if there was an event.
 */
void pit_reset(struct pit *pit);

/* Ports 0x40–0x43. */
bool pit_handles_port(uint16_t port);
/*
 * One byte at `port`. Reading 0x43 returns 0xFF (the 8254 does not drive the bus); other ports
 * read 0xFF and are counted. Both may first report a due counter 0 edge through ops->irq, so
 * that the guest never sees the counter past an edge that was not delivered.
 */
uint8_t pit_read(struct pit *pit, uint16_t port);
void pit_write(struct pit *pit, uint16_t port, uint8_t value);

/* The absolute TSC at which counter 0's next rising edge falls, 0 if none is coming. Always
 * later than the TSC of the last pit_* call. */
uint64_t pit_next_event(const struct pit *pit);
/* The caller's timer expired (any time is fine: early calls just re-evaluate): reports the
 * rising edges of counter 0 due by now as one pulse, and re-arms periodic modes. */
void pit_advance(struct pit *pit);

/* OUT of counter `counter` (0–2) now, per ops->now. False for other counter numbers. */
bool pit_output(const struct pit *pit, unsigned counter);

const struct pit_stats *pit_stats(const struct pit *pit);

#endif
