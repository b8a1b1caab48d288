/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/uart16550.c: the register file as a guest driver sees it through ports
 * base+0..7, with a fake transmit callback that records every byte sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/uart16550.h"

/* Register offsets (PC16550D datasheet, "Register Summary"). */
enum {
	RBR_THR_DLL = 0,
	IER_DLM = 1,
	IIR_FCR = 2,
	LCR = 3,
	MCR = 4,
	LSR = 5,
	MSR = 6,
	SCR = 7,
};

#define LCR_DLAB 0x80
#define MCR_LOOPBACK 0x10

/* What the fake transmitter saw: the callback's context is the line of its UART. */
struct fake_line {
	uint8_t bytes[1024];
	size_t count;
};

static void fake_transmit(void *ctx, uint8_t byte)
{
	struct fake_line *line = ctx;

	assert_true(line->count < sizeof(line->bytes));
	line->bytes[line->count++] = byte;
}

static void setup_uart(struct uart16550 *u, struct fake_line *line)
{
	memset(line, 0, sizeof(*line));
	memset(u, 0xA5, sizeof(*u));
	uart16550_init(u, fake_transmit, line);
}

static void test_reset_values(void **state)
{
	static const uint8_t want[UART16550_PORT_COUNT] = {
		[RBR_THR_DLL] = 0x00, /* no received data */
		[IER_DLM] = 0x00,
		[IIR_FCR] = 0x01,     /* no interrupt pending, FIFOs off */
		[LCR] = 0x00,
		[MCR] = 0x00,
		[LSR] = 0x60,         /* THR empty, transmitter empty */
		[MSR] = 0xB0,         /* CTS, DSR, DCD */
		[SCR] = 0x00,
	};
	struct uart16550 u;
	struct fake_line line;

	(void)state;
	setup_uart(&u, &line);
	for (unsigned offset = 0; offset < UART16550_PORT_COUNT; offset++) {
		uint8_t value = uart16550_read(&u, offset);

		if (value != want[offset])
			fail_msg("offset %u reads %02x, want %02x", offset, value, want[offset]);
	}
	/* The divisor latch after reset: 0x000C, 9600 baud from 1.8432 MHz. */
	uart16550_write(&u, LCR, LCR_DLAB);
	assert_int_equal(uart16550_read(&u, RBR_THR_DLL), 0x0C);
	assert_int_equal(uart16550_read(&u, IER_DLM), 0x00);
	assert_int_equal(line.count, 0);
}

/* One step of a register script: write `value`, or read and expect `value`; then the number of
 * bytes transmitted so far must be `sent`. */
struct step {
	bool write;
	unsigned offset;
	uint8_t value;
	size_t sent;
};

#define W(offset, value, sent) { true, offset, value, sent }
#define R(offset, value, sent) { false, offset, value, sent }

static const struct step script[] = {
	/* THR: every write goes out at once; the transmitter stays empty. */
	W(RBR_THR_DLL, 'h', 1),
	W(RBR_THR_DLL, 'i', 2),
	R(LSR, 0x60, 2),
	W(RBR_THR_DLL, 0x00, 3),
	W(RBR_THR_DLL, 0xFF, 4),
	R(RBR_THR_DLL, 0x00, 4),       /* RBR: nothing received, reading does not transmit */

	/* DLAB = 1: offsets 0 and 1 are the divisor latch; THR writes do not transmit. */
	W(IER_DLM, 0x05, 4),
	W(LCR, 0x83, 4),               /* DLAB, 8 data bits */
	R(LCR, 0x83, 4),
	W(RBR_THR_DLL, 0x01, 4),
	W(IER_DLM, 0x02, 4),
	R(RBR_THR_DLL, 0x01, 4),
	R(IER_DLM, 0x02, 4),
	R(LSR, 0x60, 4),
	R(IIR_FCR, 0x01, 4),
	W(LCR, 0x03, 4),               /* DLAB = 0, 8N1 */
	R(LCR, 0x03, 4),
	R(IER_DLM, 0x05, 4),           /* IER kept its value */
	R(RBR_THR_DLL, 0x00, 4),
	W(RBR_THR_DLL, '!', 5),
	W(LCR, LCR_DLAB, 5),
	R(RBR_THR_DLL, 0x01, 5),       /* the divisor kept its value */
	R(IER_DLM, 0x02, 5),
	W(LCR, 0x00, 5),

	/* IER: only bits 3:0 exist. */
	W(IER_DLM, 0xFF, 5),
	R(IER_DLM, 0x0F, 5),
	W(IER_DLM, 0xA2, 5),
	R(IER_DLM, 0x02, 5),

	/* IIR: IER's ETBEI was just set with THR empty: the THR-empty interrupt (ID 0x02) is
	 * pending until this read; then no interrupt; bits 7:6 set while FCR enables the FIFOs. */
	R(IIR_FCR, 0x02, 5),
	R(IIR_FCR, 0x01, 5),
	W(IIR_FCR, 0x07, 5),           /* enable, clear both FIFOs */
	R(IIR_FCR, 0xC1, 5),
	W(IIR_FCR, 0xC1, 5),           /* enable, 14-byte trigger */
	R(IIR_FCR, 0xC1, 5),
	W(IIR_FCR, 0x06, 5),           /* FIFOs off */
	R(IIR_FCR, 0x01, 5),

	/* MCR: bits 4:0; loopback suppresses transmit and the modem-status lines. */
	W(MCR, 0x0B, 5),               /* OUT2, RTS, DTR */
	R(MCR, 0x0B, 5),
	R(MSR, 0xB0, 5),
	W(MCR, 0xFF, 5),
	R(MCR, 0x1F, 5),
	R(MSR, 0x00, 5),
	W(RBR_THR_DLL, 'x', 5),
	R(LSR, 0x60, 5),
	W(MCR, 0x0B, 5),
	R(MSR, 0xB0, 5),
	W(RBR_THR_DLL, 'y', 6),

	/* SCR reads back whatever was written. */
	W(SCR, 0x5A, 6),
	R(SCR, 0x5A, 6),
	W(SCR, 0xFF, 6),
	R(SCR, 0xFF, 6),

	/* LSR and MSR are read-only. */
	W(LSR, 0x00, 6),
	R(LSR, 0x60, 6),
	W(LSR, 0xFF, 6),
	R(LSR, 0x60, 6),
	W(MSR, 0x00, 6),
	R(MSR, 0xB0, 6),
	W(MSR, 0x0F, 6),
	R(MSR, 0xB0, 6),
	R(SCR, 0xFF, 6),
	R(MCR, 0x0B, 6),
};

static void test_register_script(void **state)
{
	static const uint8_t sent[] = { 'h', 'i', 0x00, 0xFF, '!', 'y' };
	struct uart16550 u;
	struct fake_line line;

	(void)state;
	setup_uart(&u, &line);
	for (size_t i = 0; i < ARRAY_SIZE(script); i++) {
		const struct step *s = &script[i];

		if (s->write) {
			uart16550_write(&u, s->offset, s->value);
		} else {
			uint8_t value = uart16550_read(&u, s->offset);

			if (value != s->value)
				fail_msg("step %zu: offset %u reads %02x, want %02x", i, s->offset,
					 value, s->value);
		}
		if (line.count != s->sent)
			fail_msg("step %zu: %zu bytes sent, want %zu", i, line.count, s->sent);
	}
	assert_memory_equal(line.bytes, sent, sizeof(sent));
}

/* Every value through every writable register. */
static void test_all_values(void **state)
{
	struct uart16550 u;
	struct fake_line line;

	(void)state;
	setup_uart(&u, &line);
	for (unsigned v = 0; v < 256; v++) {
		uint8_t byte = (uint8_t)v;

		uart16550_write(&u, RBR_THR_DLL, byte);
		uart16550_write(&u, IER_DLM, byte);
		assert_int_equal(uart16550_read(&u, IER_DLM), v & 0x0F);
		uart16550_write(&u, SCR, byte);
		assert_int_equal(uart16550_read(&u, SCR), v);
		uart16550_write(&u, IIR_FCR, byte);
		/* With ETBEI set (IER bit 1) the THR write above left a THR-empty interrupt
		 * pending: the first IIR read reports it (ID 0x02) and clears it. */
		if (v & 0x02)
			assert_int_equal(uart16550_read(&u, IIR_FCR), v & 1 ? 0xC2 : 0x02);
		assert_int_equal(uart16550_read(&u, IIR_FCR), v & 1 ? 0xC1 : 0x01);
		uart16550_write(&u, LCR, byte);
		assert_int_equal(uart16550_read(&u, LCR), v);
		if (byte & LCR_DLAB) {
			uart16550_write(&u, RBR_THR_DLL, (uint8_t)~byte);
			uart16550_write(&u, IER_DLM, byte);
			assert_int_equal(uart16550_read(&u, RBR_THR_DLL), (uint8_t)~byte);
			assert_int_equal(uart16550_read(&u, IER_DLM), v);
		}
		uart16550_write(&u, LCR, 0);
		assert_int_equal(uart16550_read(&u, IER_DLM), v & 0x0F);
		uart16550_write(&u, MCR, byte);
		assert_int_equal(uart16550_read(&u, MCR), v & 0x1F);
		assert_int_equal(uart16550_read(&u, MSR), v & MCR_LOOPBACK ? 0x00 : 0xB0);
		uart16550_write(&u, MCR, 0);
		assert_int_equal(uart16550_read(&u, LSR), 0x60);
	}
	/* Each THR write went out once, in order, with DLAB = 0 and no loopback at the time. */
	assert_int_equal(line.count, 256);
	for (unsigned v = 0; v < 256; v++)
		assert_int_equal(line.bytes[v], v);
}

static void test_without_transmit_callback(void **state)
{
	struct uart16550 u;

	(void)state;
	uart16550_init(&u, NULL, NULL);
	uart16550_write(&u, RBR_THR_DLL, 'a'); /* dropped, no crash */
	assert_int_equal(uart16550_read(&u, LSR), 0x60);
	uart16550_write(&u, SCR, 0x42);
	assert_int_equal(uart16550_read(&u, SCR), 0x42);
}

static void test_two_uarts_are_independent(void **state)
{
	struct uart16550 a, b;
	struct fake_line line_a, line_b;

	(void)state;
	setup_uart(&a, &line_a);
	setup_uart(&b, &line_b);
	uart16550_write(&a, SCR, 0x11);
	uart16550_write(&b, SCR, 0x22);
	uart16550_write(&a, LCR, LCR_DLAB);
	assert_int_equal(uart16550_read(&a, SCR), 0x11);
	assert_int_equal(uart16550_read(&b, SCR), 0x22);
	assert_int_equal(uart16550_read(&b, LCR), 0x00);
	uart16550_write(&a, RBR_THR_DLL, 'A');     /* a's divisor latch */
	uart16550_write(&b, RBR_THR_DLL, 'b');
	uart16550_write(&a, LCR, 0);
	uart16550_write(&a, RBR_THR_DLL, 'a');
	uart16550_write(&b, RBR_THR_DLL, 'c');
	/* Each byte went to its own UART's callback context. */
	assert_int_equal(line_a.count, 1);
	assert_int_equal(line_a.bytes[0], 'a');
	assert_int_equal(line_b.count, 2);
	assert_memory_equal(line_b.bytes, "bc", 2);
}

/* The IRQ line: THR-empty interrupts, gated by MCR.OUT2, lowered by reading IIR. */
static int irq_levels[16];
static unsigned irq_changes;

static void record_irq(void *ctx, bool level)
{
	(void)ctx;
	irq_levels[irq_changes++ % 16] = level;
}

static void test_thre_interrupt_line(void **state)
{
	struct uart16550 u;
	struct fake_line line;

	(void)state;
	setup_uart(&u, &line);
	uart16550_set_irq(&u, record_irq);
	irq_changes = 0;
	uart16550_write(&u, IER_DLM, 0x02);          /* ETBEI: pending, but OUT2 is off */
	assert_int_equal(irq_changes, 0);
	uart16550_write(&u, MCR, 0x08);              /* OUT2 on: the line rises */
	assert_int_equal(irq_changes, 1);
	assert_int_equal(irq_levels[0], 1);
	assert_int_equal(uart16550_read(&u, IIR_FCR), 0x02); /* reading IIR clears it */
	assert_int_equal(irq_changes, 2);
	assert_int_equal(irq_levels[1], 0);
	assert_int_equal(uart16550_read(&u, IIR_FCR), 0x01);
	uart16550_write(&u, RBR_THR_DLL, 'x');       /* the byte leaves: THR empty again */
	assert_int_equal(irq_changes, 3);
	assert_int_equal(irq_levels[2], 1);
	uart16550_write(&u, IER_DLM, 0x00);          /* disabling the source lowers the line */
	assert_int_equal(irq_changes, 4);
	assert_int_equal(irq_levels[3], 0);
	uart16550_write(&u, RBR_THR_DLL, 'y');       /* no interrupt without ETBEI */
	assert_int_equal(irq_changes, 4);
	assert_int_equal(uart16550_read(&u, IIR_FCR), 0x01);
}

/* The receiver: FIFO depth 1 without FIFOs, 16 with; LSR.DR; the RX interrupt outranks THR
 * empty and clears by reading RBR; overrun sets LSR bit 1 until LSR is read. */
static void test_receive(void **state)
{
	struct uart16550 u;
	struct fake_line line;

	(void)state;
	setup_uart(&u, &line);
	uart16550_set_irq(&u, record_irq);
	irq_changes = 0;
	assert_int_equal(uart16550_read(&u, LSR) & 0x01, 0);
	assert_true(uart16550_receive(&u, 'a'));
	assert_false(uart16550_receive(&u, 'b'));           /* FIFOs off: one byte deep */
	assert_int_equal(uart16550_read(&u, LSR), 0x63);    /* DR, overrun, THRE, TEMT */
	assert_int_equal(uart16550_read(&u, LSR), 0x61);    /* overrun cleared by the read */
	uart16550_write(&u, MCR, 0x08);
	uart16550_write(&u, IER_DLM, 0x03);                 /* ERBFI and ETBEI */
	assert_int_equal(irq_changes, 1);
	assert_int_equal(irq_levels[0], 1);
	assert_int_equal(uart16550_read(&u, IIR_FCR), 0x04); /* RX data first */
	assert_int_equal(uart16550_read(&u, RBR_THR_DLL), 'a');
	assert_int_equal(uart16550_read(&u, IIR_FCR), 0x02); /* then THR empty, cleared by this */
	assert_int_equal(uart16550_read(&u, IIR_FCR), 0x01);
	assert_int_equal(irq_levels[(irq_changes - 1) % 16], 0);
	uart16550_write(&u, IIR_FCR, 0x01);                 /* FIFOs on: 16 deep */
	for (unsigned i = 0; i < 16; i++)
		assert_true(uart16550_receive(&u, (uint8_t)('0' + i)));
	assert_false(uart16550_receive(&u, 'x'));
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(uart16550_read(&u, RBR_THR_DLL), '0' + i);
	assert_int_equal(uart16550_read(&u, LSR) & 0x01, 0);
	assert_true(uart16550_receive(&u, 'y'));
	uart16550_write(&u, IIR_FCR, 0x03);                 /* clear the receiver FIFO */
	assert_int_equal(uart16550_read(&u, LSR) & 0x01, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_values),
		cmocka_unit_test(test_register_script),
		cmocka_unit_test(test_all_values),
		cmocka_unit_test(test_without_transmit_callback),
		cmocka_unit_test(test_two_uarts_are_independent),
		cmocka_unit_test(test_thre_interrupt_line),
		cmocka_unit_test(test_receive),
	};

	return cmocka_run_group_tests_name("uart16550", tests, NULL, NULL);
}
