/* SPDX-License-Identifier: MIT */
#include "console.h"

#include <efi.h>

#include "x86.h"

#define COM1 0x3F8
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LSR_THR_EMPTY 0x20

enum log_level console_level = LOG_INFO;

static SIMPLE_TEXT_OUTPUT_INTERFACE *firmware_out;

static void serial_putc(char c)
{
	/* Bounded wait: a missing UART must not hang the hypervisor. */
	for (unsigned spin = 0; spin < 1000000; spin++) {
		if (inb(COM1 + UART_LSR) & UART_LSR_THR_EMPTY)
			break;
	}
	outb(COM1 + UART_THR, (uint8_t)c);
}

static void firmware_write(const char *text, size_t len)
{
	CHAR16 buf[128];
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			buf[n++] = L'\r';
		buf[n++] = (CHAR16)(unsigned char)text[i];
		if (n >= ARRAY_SIZE(buf) - 2 || i + 1 == len) {
			buf[n] = 0;
			firmware_out->OutputString(firmware_out, buf);
			n = 0;
		}
	}
}

static void console_write(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	if (firmware_out) {
		firmware_write(text, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			serial_putc('\r');
		serial_putc(text[i]);
	}
}

const struct fmt_sink console = { console_write, NULL };

void console_use_firmware(void *con_out)
{
	firmware_out = con_out;
}

void console_use_serial(void)
{
	firmware_out = NULL;
	/* 115200 8N1, FIFOs on, interrupts off: the state firmware normally leaves, set again so
	 * that the hypervisor does not depend on it. */
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, 0x80);
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + UART_LCR, 0x03);
	outb(COM1 + UART_FCR, 0x07);
	outb(COM1 + UART_MCR, 0x03);
}

/* One kprintf's text stays together when several CPUs print. A CPU that cannot get the lock in
 * about a second prints anyway: the holder may have faulted inside kprintf, and a report that
 * interleaves beats one that never comes. */
static uint32_t print_lock;
#define PRINT_LOCK_SPINS 100000000u

void console_vprint(const char *format, va_list ap)
{
	bool locked = false;

	for (uint32_t spin = 0; spin < PRINT_LOCK_SPINS; spin++) {
		if (!__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE)) {
			locked = true;
			break;
		}
		__builtin_ia32_pause();
	}
	fmt_vprint(&console, format, ap);
	if (locked)
		__atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}

void kprintf(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	console_vprint(format, ap);
	va_end(ap);
}
