/* SPDX-License-Identifier: MIT */
/*
 * A driver for the PC's two cascaded 8259A interrupt controllers: the master at ports 20H/21H
 * (IRQ 0-7, the slave on its IR2) and the slave at A0H/A1H (IRQ 8-15), and the edge/level
 * control registers ELCR1 and ELCR2 at 4D0H/4D1H that PIIX-class chipsets added (Intel 82371AB
 * PIIX4 datasheet, register "ELCR1—Edge/Level Control Register"), which QEMU's pc machine and
 * apicvisor have: on those chipsets the ELCR bit, not ICW1's LTIM, picks edge or level per IRQ.
 * Commands follow the Intel 8259A Programmable Interrupt Controller datasheet ("ICW1"-"ICW4",
 * "OCW1"-"OCW3"). Every function says which port accesses it makes: each is an I/O exit to a
 * hypervisor.
 */
#ifndef GUEST_PIC_H
#define GUEST_PIC_H

#include <stdint.h>

#define PIC_IRQS_PER_CHIP 8u
#define PIC_CASCADE_IRQ 2u            /* the master's input the slave's INT drives */
#define PIC_ALL_MASKED 0xFFu          /* an interrupt mask register value */

enum pic_chip {
	PIC_MASTER,
	PIC_SLAVE,
};

/*
 * Initializes both chips: ICW1 (edge, cascade, ICW4 needed), ICW2 (vector base: IRQ n of a
 * chip arrives as base + n; bits 2:0 must be 0), ICW3 (master: the slave on IR2; slave: its ID
 * 2), ICW4 (8086 mode, normal EOI, not buffered, not special fully nested), then OCW1 masking
 * every IRQ. ICW1 clears the mask register ("the Interrupt Mask Register is cleared"), so call
 * with IF = 0 or LINT0 masked. 10 OUTs: 20H, 21H x3, A0H, A1H x3, then 21H, A1H.
 */
void pic_init(uint8_t master_base, uint8_t slave_base);

/* OCW1: a chip's interrupt mask register (a 1 bit masks that IRQ); 1 OUT to 21H or A1H. */
void pic_set_mask(enum pic_chip chip, uint8_t mask);

/* OCW2 non-specific EOI (20H) to a chip's command port: clears the highest-priority ISR bit.
 * 1 OUT to 20H or A0H. (An IRQ of the slave needs it at both, the slave first.) */
void pic_eoi(enum pic_chip chip);

/* OCW3 selecting the IRR or the ISR, then a read of the command port: 1 OUT and 1 IN at 20H or
 * A0H. The chip keeps the selection for later reads. */
uint8_t pic_read_irr(enum pic_chip chip);
uint8_t pic_read_isr(enum pic_chip chip);

/* ELCR1 (IRQ 0-7) or ELCR2 (IRQ 8-15): a 1 bit makes that IRQ level-triggered (active low,
 * shareable), a 0 bit edge-triggered. 1 IN or 1 OUT at 4D0H or 4D1H. */
uint8_t pic_read_elcr(enum pic_chip chip);
void pic_write_elcr(enum pic_chip chip, uint8_t elcr);

#endif
