/* SPDX-License-Identifier: MIT */
/*
 * COM1 output, polled: wait until the transmitter holding register is empty, then write it.
 *
 * The UART is never programmed (baud rate, line control, FIFO): the firmware already did under
 * QEMU, and apicvisor's UART model ignores line settings. Touching only THR and LSR keeps the
 * ports a hypervisor must emulate for this guest's output to two. Lines end in a plain "\n":
 * the hypervisor prefixes and terminates lines itself.
 */
#include "serial.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "lib/printf.h"

#define SERIAL_COM1_BASE 0x3F8
#define SERIAL_THR 0                  /* transmitter holding register (write) */
#define SERIAL_LSR 5                  /* line status register */
#define SERIAL_LSR_THR_EMPTY (1u << 5) /* THR can take a character */

void serial_putc(char c)
{
	while (!(cpu_inb(SERIAL_COM1_BASE + SERIAL_LSR) & SERIAL_LSR_THR_EMPTY))
		cpu_pause();
	cpu_outb(SERIAL_COM1_BASE + SERIAL_THR, (uint8_t)c);
}

/* printf_format's callback: the console has no state to pass. */
static void serial_output(void *context, char c)
{
	(void)context;
	serial_putc(c);
}

void serial_printf(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	printf_format(serial_output, NULL, format, ap);
	va_end(ap);
}
