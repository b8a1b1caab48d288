/* SPDX-License-Identifier: MIT */
#include "uart16550.h"

enum uart_register {
	UART_RBR_THR = 0, /* receive buffer (read) / transmit holding (write); DLL when DLAB */
	UART_IER = 1,     /* interrupt enable; DLM when DLAB */
	UART_IIR_FCR = 2, /* interrupt identification (read) / FIFO control (write) */
	UART_LCR = 3,     /* line control; bit 7 = DLAB */
	UART_MCR = 4,     /* modem control */
	UART_LSR = 5,     /* line status */
	UART_MSR = 6,     /* modem status */
	UART_SCR = 7,     /* scratch */
};

#define LCR_DLAB 0x80
#define LSR_DATA_READY 0x01
#define LSR_OVERRUN 0x02
#define LSR_THR_EMPTY 0x20
#define LSR_TRANSMITTER_EMPTY 0x40
#define IER_RDA 0x01            /* ERBFI: enable received data available interrupt */
#define IER_THRE 0x02           /* ETBEI: enable transmitter holding register empty interrupt */
#define IIR_RDA 0x04            /* interrupt ID: received data available (priority 2) */
#define IIR_NO_INTERRUPT 0x01
#define IIR_THRE 0x02           /* interrupt ID: transmitter holding register empty */
#define MCR_OUT2 0x08           /* on a PC, gates the UART's interrupt onto the IRQ line */
#define IIR_FIFOS_ENABLED 0xC0
#define FCR_FIFO_ENABLE 0x01
#define MCR_LOOPBACK 0x10
#define MSR_CTS_DSR_DCD 0xB0  /* a terminal is attached: CTS, DSR, DCD */

void uart16550_init(struct uart16550 *u, void (*transmit)(void *ctx, uint8_t byte), void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->transmit = transmit;
	u->ctx = ctx;
	u->dll = 0x0C; /* 9600 baud, the 16550's reset divisor from a 1.8432 MHz clock */
}

void uart16550_set_irq(struct uart16550 *u, void (*irq)(void *ctx, bool level))
{
	u->irq = irq;
}

static bool rda_pending(const struct uart16550 *u)
{
	return (u->ier & IER_RDA) && u->rx_count;
}

/* The IRQ line follows "an enabled interrupt is pending" and OUT2. */
static void update_irq(struct uart16550 *u)
{
	bool level = (((u->ier & IER_THRE) && u->thre_pending) || rda_pending(u)) &&
		     (u->mcr & MCR_OUT2);

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->irq)
			u->irq(u->ctx, level);
	}
}

bool uart16550_receive(struct uart16550 *u, uint8_t byte)
{
	unsigned depth = u->fcr & FCR_FIFO_ENABLE ? sizeof(u->rx) : 1;

	if (u->rx_count >= depth) {
		u->rx_overruns++;
		u->lsr_overrun = true;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count) % sizeof(u->rx)] = byte;
	u->rx_count++;
	update_irq(u);
	return true;
}

uint8_t uart16550_read(struct uart16550 *u, unsigned offset)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset) {
	case UART_RBR_THR: {
		uint8_t byte;

		if (dlab)
			return u->dll;
		if (!u->rx_count)
			return 0;
		byte = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % sizeof(u->rx);
		u->rx_count--;
		update_irq(u);
		return byte;
	}
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR: {
		uint8_t fifos = u->fcr & FCR_FIFO_ENABLE ? IIR_FIFOS_ENABLED : 0;

		/* Received data outranks THR empty; it clears by reading RBR (datasheet Table 4). */
		if (rda_pending(u))
			return IIR_RDA | fifos;
		/* Reading IIR with THR-empty the source clears it (datasheet Table 4). */
		if ((u->ier & IER_THRE) && u->thre_pending) {
			u->thre_pending = false;
			update_irq(u);
			return IIR_THRE | fifos;
		}
		return IIR_NO_INTERRUPT | fifos;
	}
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR: {
		uint8_t lsr = LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY |
			      (u->rx_count ? LSR_DATA_READY : 0) | (u->lsr_overrun ? LSR_OVERRUN : 0);

		u->lsr_overrun = false; /* error bits clear on read */
		return lsr;
	}
	case UART_MSR:
		return u->mcr & MCR_LOOPBACK ? 0 : MSR_CTS_DSR_DCD;
	case UART_SCR:
		return u->scr;
	}
	return 0xFF;
}

void uart16550_write(struct uart16550 *u, unsigned offset, uint8_t value)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset) {
	case UART_RBR_THR:
		if (dlab)
			u->dll = value;
		else {
			if (!(u->mcr & MCR_LOOPBACK) && u->transmit)
				u->transmit(u->ctx, value);
			/* The byte leaves at once: THR is empty again. */
			u->thre_pending = true;
			update_irq(u);
		}
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = value;
		} else {
			/* Enabling ETBEI with THR empty raises the interrupt at once, as 8250
			 * drivers expect when they kick the transmitter. */
			if ((value & IER_THRE) && !(u->ier & IER_THRE))
				u->thre_pending = true;
			u->ier = value & 0x0F;
			update_irq(u);
		}
		break;
	case UART_IIR_FCR:
		u->fcr = value;
		if (value & 0x02) { /* clear the receiver FIFO */
			u->rx_count = 0;
			update_irq(u);
		}
		break;
	case UART_LCR:
		u->lcr = value;
		break;
	case UART_MCR:
		u->mcr = value & 0x1F;
		update_irq(u);
		break;
	case UART_SCR:
		u->scr = value;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}
