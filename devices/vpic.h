/* SPDX-License-Identifier: MIT */
/*
 * The guest's legacy interrupt controllers: two Intel 8259A PICs cascaded as on every PC (master
 * at ports 0x20/0x21, slave at 0xA0/0xA1 with its INT output on master IR2) and the PIIX-style
 * edge/level control registers ELCR1/ELCR2 at 0x4D0/0x4D1. Citations are to the Intel "8259A
 * Programmable Interrupt Controller (8259A/8259A-2)" datasheet, by section title.
 *
 * The model covers what software can see: the ICW1–ICW4 initialization sequence (single or
 * cascade, with or without ICW4, LTIM, vector base, ICW3 cascade wiring, AEOI, 8086 mode, special
 * fully nested mode), OCW1 (IMR), every OCW2 command (EOIs, rotations, set priority), OCW3 (read
 * IRR/ISR, poll, special mask mode), the INTA cycle (vpic_acknowledge) with cascade and spurious
 * IRQ7/IRQ15, and edge or level sensing per ELCR. The master's INT output reaches the caller
 * through ops->int_changed: it drives LINT0 and IOAPIC pin 0 (ExtINT), and the vCPU calls
 * vpic_acknowledge when it takes the ExtINT interrupt.
 *
 * Plain C (no VMX, no UEFI); choices where the datasheet leaves room are listed in vpic.c.
 *
 * Threading: one vPIC per VM. Every function runs on the CPU that owns it (the BSP's exit
 * handlers and device models) while its guest is not running, never concurrently.
 */
#ifndef APICVISOR_VPIC_H
#define APICVISOR_VPIC_H

#include "../lib/klib.h"

struct vpic;

/* How many vPICs exist at most (a static pool: the hypervisor does not allocate). */
#define VPIC_MAX_INSTANCES 2

/* ISA IRQ lines: 0–7 on the master, 8–15 on the slave. IRQ 2 is the cascade (the slave's INT). */
#define VPIC_IRQ_COUNT 16

/* The outside world. Every pointer may be NULL. Called with `ctx` from vpic_create. */
struct vpic_ops {
	/* The master's INT output changed (vpic_output() already returns `asserted`). Called last
	 * in the vpic_* call that changed it, once per change, never twice with the same value. */
	void (*int_changed)(void *ctx, bool asserted);
};

/* Counters for the statistics output. Written by the model only. */
struct vpic_stats {
	uint64_t acknowledged[VPIC_IRQ_COUNT]; /* INTA cycles that delivered IRQ n (a slave IRQ
						 * counts as 8–15, not as IRQ 2) */
	uint64_t spurious_master;   /* INTA with nothing eligible on the master: IRQ7's vector */
	uint64_t spurious_slave;    /* INTA through IR2 with nothing eligible on the slave: the
				     * slave's IRQ7 vector (IRQ15); the master's IR2 is in service */
	uint64_t unanswered_cascade; /* INTA for a master input that ICW3 calls a slave input but
				      * no slave answers (not IR2, or slave ID not 2): vector 0xFF */
	uint64_t eois;              /* OCW2 EOI commands that cleared an ISR bit */
	uint64_t empty_eois;        /* OCW2 EOI commands that found no ISR bit to clear */
	uint64_t polls;             /* reads answered with a poll word (OCW3 P=1) */
	uint64_t initializations;   /* ICW1 writes, both chips */
	uint64_t unsupported;       /* configurations carried out as 8086 mode anyway: an ICW
				     * sequence ending in MCS-80/85 mode (ICW4 µPM = 0, or no ICW4) */
	uint64_t ignored_irqs;      /* vpic_set_irq for IRQ 2 (the cascade input) or above 15 */
	uint64_t bad_ports;         /* vpic_read/vpic_write for a port that is not the vPIC's */
	uint64_t int_changes;       /* changes of the master's INT output */
};

/*
 * Takes a vPIC from the pool in its reset state (vpic_reset) with INT deasserted, without
 * calling any op. `ops` may be NULL; it is referenced, not copied. NULL when the pool is empty.
 */
struct vpic *vpic_create(const struct vpic_ops *ops, void *ctx);
/* Returns the vPIC to the pool. Calls no op. */
void vpic_destroy(struct vpic *pic);
/*
 * Platform reset. The 8259A's power-up state is undefined and no BIOS runs before the guest, so
 * the model picks one that cannot interrupt: every IRQ masked (IMR = 0xFF), IRR/ISR/ELCR 0,
 * vector bases 0, IR0 highest priority, 8086 mode, no AEOI, master IR2 wired to a slave with ID 2,
 * IRR readable at the command port. Input line levels are forgotten. Reports an INT change.
 */
void vpic_reset(struct vpic *pic);

/* Ports 0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1. */
bool vpic_handles_port(uint16_t port);
/* One byte at `port` (the caller splits wider accesses). Other ports read 0xFF (counted). */
uint8_t vpic_read(struct vpic *pic, uint16_t port);
void vpic_write(struct vpic *pic, uint16_t port, uint8_t value);

/*
 * The level of ISA IRQ line `irq` (0–15). Edge-triggered inputs latch a request in IRR on a
 * low-to-high transition and keep it when the line falls (so a pulse, raise then lower, is one
 * request); level-triggered inputs (ELCR, or ICW1 LTIM) request for as long as the line is high.
 * Repeating the current level changes nothing. IRQ 2 is the slave's INT: ignored, counted.
 */
void vpic_set_irq(struct vpic *pic, unsigned irq, bool level);
/* The master's INT output: some unmasked request outranks everything in service. */
bool vpic_output(const struct vpic *pic);
/*
 * The INTA cycle, when the vCPU takes the ExtINT interrupt: returns the vector to inject (never
 * negative). The master's highest eligible request moves IRR → ISR (edge: IRR cleared; level:
 * IRR follows the line; AEOI: ISR not set); a request on IR2 goes on to the slave in the same
 * way. Nothing eligible: the chip's IRQ7 vector and no ISR change (spurious IRQ7, or IRQ15 with
 * the master's IR2 acknowledged).
 */
int vpic_acknowledge(struct vpic *pic);

const struct vpic_stats *vpic_stats(const struct vpic *pic);

#endif
