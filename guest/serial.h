/* SPDX-License-Identifier: MIT */
/*
 * Polled output on COM1, the guest's only console, and the few accesses to its interrupt
 * registers that the uart-irq scenario makes (PC16550D datasheet, "Register Summary").
 */
#ifndef GUEST_SERIAL_H
#define GUEST_SERIAL_H

#include <stdint.h>

/* IER bit 1, ETBEI: interrupt while the transmitter holding register is empty. */
#define SERIAL_IER_RX_DATA (1u << 0)
#define SERIAL_IER_THR_EMPTY (1u << 1)
/* IIR bits 3:0: bit 0 = 0 while an interrupt is pending, bits 3:1 its source (001: THR empty;
 * PC16550D Table IV "Interrupt Control Functions"). Bits 7:6 show the FIFOs. */
#define SERIAL_IIR_ID_MASK 0x0Fu
#define SERIAL_IIR_THR_EMPTY 0x02u
#define SERIAL_IIR_RX_DATA 0x04u

void serial_putc(char c);
void serial_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* 1 OUT to IER (3F9H). */
void serial_set_ier(uint8_t ier);
/* 1 IN from IIR (3FAH); reading it clears a THR-empty interrupt it reports. */
uint8_t serial_read_iir(void);
uint8_t serial_read_rbr(void);
/* Sets MCR.OUT2, which gates the UART's interrupt onto IRQ 4 on the PC: IN and OUT at 3FCH. */
void serial_enable_irq_output(void);
/* Polls LSR (3FDH) until the transmitter holding register is empty. */
void serial_wait_transmitter_empty(void);

#endif
