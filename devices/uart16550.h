/* SPDX-License-Identifier: MIT */
/*
 * The guest's COM1: a 16550A register file as software sees it through ports base+0..7
 * (National Semiconductor PC16550D datasheet, "Register Summary"). Transmitted bytes go out
 * through a callback at once, so the transmitter is always empty (LSR.THRE = LSR.TEMT = 1).
 * Received bytes come from uart16550_receive() into a 16-byte FIFO (the 16550's receiver FIFO;
 * one byte deep while FCR has the FIFOs off). The received-data and transmitter-holding-
 * register-empty interrupts are raised on the IRQ line (IRQ4 on a PC) through a callback, gated
 * by MCR.OUT2 as PC serial ports wire it.
 * Plain C, unit-tested on the host.
 */
#ifndef APICVISOR_UART16550_H
#define APICVISOR_UART16550_H

#include "../lib/klib.h"

#define UART16550_PORT_COUNT 8

struct uart16550 {
	uint8_t ier, lcr, mcr, scr;
	uint8_t dll, dlm;             /* divisor latch, reached while LCR.DLAB = 1 */
	uint8_t fcr;                  /* FIFO control as last written (write-only register) */
	bool thre_pending;            /* THR-empty interrupt pending (datasheet Table 4, priority 3) */
	uint8_t rx[16];               /* receiver FIFO */
	unsigned rx_head, rx_count;
	uint64_t rx_overruns;         /* bytes dropped on a full receiver */
	bool lsr_overrun;             /* LSR bit 1 until LSR is read */
	bool irq_level;               /* last level given to irq() */
	void (*transmit)(void *ctx, uint8_t byte);
	void (*irq)(void *ctx, bool level); /* the interrupt line; may be NULL */
	void *ctx;
};

void uart16550_init(struct uart16550 *u, void (*transmit)(void *ctx, uint8_t byte), void *ctx);
/* A byte arrives on the serial line (from the host console or a test device). Returns false
 * when the receiver is full and the byte is lost (LSR overrun error). */
bool uart16550_receive(struct uart16550 *u, uint8_t byte);
/* Connects the interrupt line (after init). */
void uart16550_set_irq(struct uart16550 *u, void (*irq)(void *ctx, bool level));
/* offset = port - base, 0..7 */
uint8_t uart16550_read(struct uart16550 *u, unsigned offset);
void uart16550_write(struct uart16550 *u, unsigned offset, uint8_t value);

#endif
