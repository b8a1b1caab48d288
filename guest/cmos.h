/* SPDX-License-Identifier: MIT */
/*
 * The MC146818 RTC/CMOS through its index and data ports (70H, 71H): one OUT to select, one IN
 * or OUT for the data, each an I/O exit under a hypervisor. Bit 7 of the index (NMI disable) is
 * written clear.
 */
#ifndef GUEST_CMOS_H
#define GUEST_CMOS_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"

#define CMOS_PORT_INDEX 0x70u
#define CMOS_PORT_DATA 0x71u
#define CMOS_REG_B_BINARY 0x04u      /* register B DM: 1 binary, 0 BCD */

static inline uint8_t cmos_read(uint8_t index)
{
	cpu_outb(CMOS_PORT_INDEX, index);
	return cpu_inb(CMOS_PORT_DATA);
}

static inline void cmos_write(uint8_t index, uint8_t value)
{
	cpu_outb(CMOS_PORT_INDEX, index);
	cpu_outb(CMOS_PORT_DATA, value);
}

/* A time or date byte as a number: BCD unless register B (b) says binary. */
static inline unsigned cmos_to_binary(uint8_t value, uint8_t b)
{
	return b & CMOS_REG_B_BINARY ? value : (value >> 4) * 10u + (value & 0x0Fu);
}

#endif
