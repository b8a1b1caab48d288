/* SPDX-License-Identifier: MIT */
#include "debug_exit.h"

#include "cpu.h"
#include "serial.h"

/* As QEMU is run with -device isa-debug-exit,iobase=0xf4,iosize=4. */
#define DEBUG_EXIT_PORT 0xF4

void debug_exit(uint32_t value)
{
	cpu_outl(DEBUG_EXIT_PORT, value);
	serial_printf("no isa-debug-exit device at port 0x%x (exit value %u): halting\n",
		      DEBUG_EXIT_PORT, value);
	cpu_halt_forever();
}
