/* SPDX-License-Identifier: MIT */
#include "pit.h"

#include <stdint.h>

#include "cpu.h"

#define PIT_COUNTER0 0x40u
#define PIT_CONTROL 0x43u

/* Control word (8254 datasheet, "Control Word Format"): bits 7:6 SC (00: counter 0), 5:4 RW
 * (11: LSB then MSB), 3:1 mode, bit 0 BCD (0: binary). */
#define PIT_CONTROL_COUNTER0 (0u << 6)
#define PIT_CONTROL_LSB_MSB (3u << 4)
#define PIT_CONTROL_MODE_SHIFT 1
#define PIT_MODE_INTERRUPT_ON_TERMINAL_COUNT 0u

static void pit_control(unsigned mode)
{
	cpu_outb(PIT_CONTROL, (uint8_t)(PIT_CONTROL_COUNTER0 | PIT_CONTROL_LSB_MSB |
					 (mode << PIT_CONTROL_MODE_SHIFT)));
}

void pit_start(enum pit_mode mode, uint16_t count)
{
	pit_control(mode);
	cpu_outb(PIT_COUNTER0, (uint8_t)count);
	cpu_outb(PIT_COUNTER0, (uint8_t)(count >> 8));
}

void pit_stop(void)
{
	pit_control(PIT_MODE_INTERRUPT_ON_TERMINAL_COUNT);
}

void pit_hold(enum pit_mode mode)
{
	pit_control(mode);
}
