/* SPDX-License-Identifier: MIT */
/*
 * The guest's COM1: a 16550A register file as software sees it through ports base+0..7
 * (National Semiconductor PC16550D datasheet, "Register Summary"). Transmitted bytes go out
 * through a callback at once, so the transmitter is always empty (LSR.THRE = LSR.TEMT = 1); the
 * receiver never has data. Interrupts (IER, IIR) are stored and read back; raising them on IRQ4
 * comes with the interrupt controllers. Plain C, unit-tested on the host.
 */
#ifndef APICVISOR_UART16550_H
#define APICVISOR_UART16550_H

#include "../lib/klib.h"

#define UART16550_PORT_COUNT 8

struct uart16550 {
	uint8_t ier, lcr, mcr, scr;
	uint8_t dll, dlm;             /* divisor latch, reached while LCR.DLAB = 1 */
	uint8_t fcr;                  /* FIFO control as last written (write-only register) */
	void (*transmit)(void *ctx, uint8_t byte);
	void *ctx;
};

void uart16550_init(struct uart16550 *u, void (*transmit)(void *ctx, uint8_t byte), void *ctx);
/* offset = port - base, 0..7 */
uint8_t uart16550_read(struct uart16550 *u, unsigned offset);
void uart16550_write(struct uart16550 *u, unsigned offset, uint8_t value);

#endif
