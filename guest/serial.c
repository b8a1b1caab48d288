/* SPDX-License-Identifier: MIT */
/*
 * COM1 output, polled: wait until the transmitter holding register is empty, then write it.
 *
 * The UART is never programmed (baud rate, line control, FIFO): the firmware already did under
 * QEMU, and apicvisor's UART model ignores line settings. Touching only THR and LSR keeps the
 * ports a hypervisor must emulate for this guest's output to two. Lines end in a plain "\n":
 * the hypervisor prefixes and terminates lines itself. The interrupt registers (IER, IIR, MCR)
 * are touched only by the uart-irq scenario, through the functions at the end.
 */
#include "serial.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "lib/printf.h"

#define SERIAL_COM1_BASE 0x3F8
#define SERIAL_THR 0                  /* transmitter holding register (write) */
#define SERIAL_IER 1                  /* interrupt enable register (with LCR.DLAB = 0) */
#define SERIAL_IIR 2                  /* interrupt identification register (read) */
#define SERIAL_MCR 4                  /* modem control register */
#define SERIAL_LSR 5                  /* line status register */
/* On the PC the UART's interrupt output reaches the IRQ line only through a driver that OUT2
 * enables (IBM PC/AT Technical Reference, "Asynchronous Communications Adapter"); Linux's
 * 8250 driver sets it for the same reason. */
#define SERIAL_MCR_OUT2 (1u << 3)
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

void serial_set_ier(uint8_t ier)
{
	cpu_outb(SERIAL_COM1_BASE + SERIAL_IER, ier);
}

uint8_t serial_read_iir(void)
{
	return cpu_inb(SERIAL_COM1_BASE + SERIAL_IIR);
}

uint8_t serial_read_rbr(void)
{
	return cpu_inb(SERIAL_COM1_BASE); /* RBR, with LCR.DLAB = 0 */
}

void serial_enable_irq_output(void)
{
	uint8_t mcr = cpu_inb(SERIAL_COM1_BASE + SERIAL_MCR);

	cpu_outb(SERIAL_COM1_BASE + SERIAL_MCR, mcr | SERIAL_MCR_OUT2);
}

void serial_wait_transmitter_empty(void)
{
	while (!(cpu_inb(SERIAL_COM1_BASE + SERIAL_LSR) & SERIAL_LSR_THR_EMPTY))
		cpu_pause();
}
