/* SPDX-License-Identifier: MIT */
#include "pic.h"

#include <stdint.h>

#include "cpu.h"

#define PIC_MASTER_COMMAND 0x20u
#define PIC_MASTER_DATA 0x21u
#define PIC_SLAVE_COMMAND 0xA0u
#define PIC_SLAVE_DATA 0xA1u
#define PIC_ELCR1 0x4D0u
#define PIC_ELCR2 0x4D1u

/* 8259A command words. ICW1: bit 4 marks it, bit 3 LTIM (0: edge), bit 1 SNGL (0: cascade),
 * bit 0 IC4 (ICW4 follows). ICW4 bit 0: 8086/8088 mode; AEOI, BUF and SFNM left 0. */
#define PIC_ICW1_INIT 0x10u
#define PIC_ICW1_ICW4_NEEDED 0x01u
#define PIC_ICW3_MASTER_SLAVE_ON_IR2 (1u << PIC_CASCADE_IRQ)
#define PIC_ICW3_SLAVE_ID PIC_CASCADE_IRQ
#define PIC_ICW4_8086 0x01u
/* OCW2 bits 7:5 = 001: non-specific EOI. OCW3: bit 3 marks it, RR (bit 1) = 1 reads a
 * register at the next read of the command port, RIS (bit 0) picks ISR over IRR. */
#define PIC_OCW2_NONSPECIFIC_EOI 0x20u
#define PIC_OCW3_READ_IRR 0x0Au
#define PIC_OCW3_READ_ISR 0x0Bu

static uint16_t pic_command_port(enum pic_chip chip)
{
	return chip == PIC_MASTER ? PIC_MASTER_COMMAND : PIC_SLAVE_COMMAND;
}

static uint16_t pic_data_port(enum pic_chip chip)
{
	return chip == PIC_MASTER ? PIC_MASTER_DATA : PIC_SLAVE_DATA;
}

static uint16_t pic_elcr_port(enum pic_chip chip)
{
	return chip == PIC_MASTER ? PIC_ELCR1 : PIC_ELCR2;
}

/* ICW2-ICW4 go to the data port, in that order, after ICW1 at the command port. */
static void pic_init_chip(enum pic_chip chip, uint8_t base, uint8_t icw3)
{
	cpu_outb(pic_command_port(chip), PIC_ICW1_INIT | PIC_ICW1_ICW4_NEEDED);
	cpu_outb(pic_data_port(chip), base);
	cpu_outb(pic_data_port(chip), icw3);
	cpu_outb(pic_data_port(chip), PIC_ICW4_8086);
}

void pic_init(uint8_t master_base, uint8_t slave_base)
{
	pic_init_chip(PIC_MASTER, master_base, PIC_ICW3_MASTER_SLAVE_ON_IR2);
	pic_init_chip(PIC_SLAVE, slave_base, PIC_ICW3_SLAVE_ID);
	pic_set_mask(PIC_MASTER, PIC_ALL_MASKED);
	pic_set_mask(PIC_SLAVE, PIC_ALL_MASKED);
}

void pic_set_mask(enum pic_chip chip, uint8_t mask)
{
	cpu_outb(pic_data_port(chip), mask);
}

void pic_eoi(enum pic_chip chip)
{
	cpu_outb(pic_command_port(chip), PIC_OCW2_NONSPECIFIC_EOI);
}

uint8_t pic_read_irr(enum pic_chip chip)
{
	cpu_outb(pic_command_port(chip), PIC_OCW3_READ_IRR);
	return cpu_inb(pic_command_port(chip));
}

uint8_t pic_read_isr(enum pic_chip chip)
{
	cpu_outb(pic_command_port(chip), PIC_OCW3_READ_ISR);
	return cpu_inb(pic_command_port(chip));
}

uint8_t pic_read_elcr(enum pic_chip chip)
{
	return cpu_inb(pic_elcr_port(chip));
}

void pic_write_elcr(enum pic_chip chip, uint8_t elcr)
{
	cpu_outb(pic_elcr_port(chip), elcr);
}
