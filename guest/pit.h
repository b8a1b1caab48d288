/* SPDX-License-Identifier: MIT */
/*
 * Channel 0 of the PC's 8254 programmable interval timer (ports 40H-43H), whose OUT drives ISA
 * IRQ 0. Its gate is tied high on the PC, so it counts whenever it has a count. Commands follow
 * the Intel 8254 Programmable Interval Timer datasheet ("Control Word Format", "Mode 0"-"Mode
 * 5"). Each function says which port accesses it makes: each is an I/O exit to a hypervisor.
 */
#ifndef GUEST_PIT_H
#define GUEST_PIT_H

#include <stdint.h>

/* The counters' input clock on the PC: 14.31818 MHz / 12. */
#define PIT_INPUT_HZ 1193182u

enum pit_mode {
	/* Interrupt on terminal count: OUT low from the count's write, high when the count reaches
	 * 0 and high from then on: one rising edge. */
	PIT_MODE_TERMINAL_COUNT = 0,
	/* Rate generator: OUT high, low for one clock when the count reaches 1, high again and
	 * the count reloads; a rising edge every `count` clocks. A count of 1 is illegal. */
	PIT_MODE_RATE_GENERATOR = 2,
	/* Square wave: OUT high for half the count, low for the other half. */
	PIT_MODE_SQUARE_WAVE = 3,
};

/* Control word (counter 0, LSB then MSB, `mode`, binary) to 43H, then the count's LSB and MSB
 * to 40H (3 OUTs); counting starts on the clock after the MSB. A count of 0 means 65536. */
void pit_start(enum pit_mode mode, uint16_t count);

/*
 * Stops counter 0: a control word for mode 0 (interrupt on terminal count) and no count. "When
 * a Control Word is written to a Counter, all Control Logic is immediately reset and OUT goes
 * to a known initial state" (low, in mode 0), and the counter waits for a count that never
 * comes, so OUT stays low and IRQ 0 sees no more edges (8254 datasheet, "Mode 0"). 1 OUT.
 */
void pit_stop(void);

/* Holds counter 0 in `mode`: its control word and no count, so it waits for one (1 OUT). Unlike
 * pit_stop, a mode that keeps OUT high (2, 3) leaves it high, so programming such a mode again
 * later makes no rising edge for IRQ 0 to latch ("Mode 2": "OUT will initially be high"). */
void pit_hold(enum pit_mode mode);

#endif
