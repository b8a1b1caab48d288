/* SPDX-License-Identifier: MIT */
/*
 * The virtual I/O APIC: one 24-pin I/O APIC at 0xFEC00000 as the guest sees it, modelled on the
 * Intel 82093AA I/O APIC datasheet (§3 "Register Description") with the EOI register of the
 * version-0x20 I/O APICs in Intel chipsets (Intel I/O Controller Hub 10 (ICH10) Family
 * Datasheet, §13.5.4 "EOIR—EOI Register"), the version QEMU's pc machine shows.
 *
 * Plain C: no VMX, no UEFI, no vLAPIC header. The model reaches the outside only through
 * struct vioapic_ops: interrupt messages go out through ops->deliver (the caller matches the
 * destination against its vLAPICs), and the caller hears through ops->rte_changed when the
 * vectors whose EOI it must see may have changed (the EOI-exit bitmap in the APICv modes). The
 * vLAPIC's level-EOI hook (vlapic_ops.eoi_level) comes back in through vioapic_eoi().
 *
 * Inputs are wires: vioapic_set_pin() reports the electrical level of a pin's input line, and
 * the model applies the pin's polarity, trigger mode and mask (82093AA §3.2.4 "IOREDTBL[23:0]—
 * I/O Redirection Table Registers"). Delivery is synchronous: an interrupt message is either
 * accepted by some APIC during ops->deliver or refused, so the RTE's delivery-status bit always
 * reads 0 (idle).
 *
 * Threading: one vIOAPIC serves every vCPU; the caller serializes all calls (one lock, or one
 * CPU). Ops are called from inside vioapic_* calls with that serialization held.
 *
 * Choices where the datasheets leave room are documented in vioapic.c, in the comment that
 * opens it and at the code.
 */
#ifndef APICVISOR_VIOAPIC_H
#define APICVISOR_VIOAPIC_H

#include "../lib/klib.h"

/* How many vIOAPICs exist at most (a static pool: the hypervisor does not allocate). */
#define VIOAPIC_MAX_INSTANCES 2

#define VIOAPIC_DEFAULT_BASE 0xFEC00000u /* guest-physical address of the register page */
#define VIOAPIC_MMIO_SIZE 0x1000u        /* the page the caller traps */
#define VIOAPIC_PIN_COUNT 24
#define VIOAPIC_VERSION 0x20u            /* VER bits 7:0: an I/O APIC with an EOI register */

/* Registers in the page, at these offsets from the base (82093AA §3.1 "Memory Mapped Registers
 * for Accessing IOAPIC Registers"; EOI from ICH10 §13.5.4). Each is the low dword of a 16-byte
 * slot. */
enum vioapic_mmio_register {
	VIOAPIC_IOREGSEL = 0x00, /* I/O register select: bits 7:0 pick the register IOWIN shows */
	VIOAPIC_IOWIN = 0x10,    /* I/O window: the selected register, read and written as a dword */
	VIOAPIC_EOIR = 0x40,     /* EOI register (write-only): bits 7:0 = vector whose level RTEs
				  * have their remote IRR cleared */
};

/* Registers behind IOWIN, by IOREGSEL value (82093AA §3.2 "IOAPIC Registers", Table 2). */
enum vioapic_register {
	VIOAPIC_REG_ID = 0x00,     /* IOAPICID: bits 27:24 the I/O APIC ID, read/write */
	VIOAPIC_REG_VER = 0x01,    /* IOAPICVER: bits 23:16 highest RTE index (23), bits 7:0 version */
	VIOAPIC_REG_ARB = 0x02,    /* IOAPICARB: bits 27:24 arbitration ID (= ID here), read-only */
	VIOAPIC_REG_REDTBL = 0x10, /* IOREDTBL[n]: low dword at 0x10 + 2n, high dword at 0x11 + 2n */
};
#define VIOAPIC_REG_RTE_LOW(pin) (VIOAPIC_REG_REDTBL + 2u * (pin))
#define VIOAPIC_REG_RTE_HIGH(pin) (VIOAPIC_REG_REDTBL + 2u * (pin) + 1u)

/* VER as it reads: version 0x20, maximum redirection entry 23. */
#define VIOAPIC_VER_VALUE (VIOAPIC_VERSION | (uint32_t)(VIOAPIC_PIN_COUNT - 1) << 16)

/* Redirection table entry bits (82093AA §3.2.4, Table 5). */
#define VIOAPIC_RTE_VECTOR_MASK 0xFFull            /* 7:0 interrupt vector */
#define VIOAPIC_RTE_DELIVERY_MODE_SHIFT 8          /* 10:8 delivery mode */
#define VIOAPIC_RTE_DELIVERY_MODE_MASK (7ull << 8)
#define VIOAPIC_RTE_LOGICAL (1ull << 11)           /* destination mode: 1 logical, 0 physical */
#define VIOAPIC_RTE_DELIVERY_STATUS (1ull << 12)   /* read-only; always 0 here (see above) */
#define VIOAPIC_RTE_POLARITY_LOW (1ull << 13)      /* INTPOL: 1 low active, 0 high active */
#define VIOAPIC_RTE_REMOTE_IRR (1ull << 14)        /* read-only: level interrupt accepted,
						    * EOI not yet seen */
#define VIOAPIC_RTE_LEVEL (1ull << 15)             /* trigger mode: 1 level, 0 edge */
#define VIOAPIC_RTE_MASKED (1ull << 16)            /* interrupt mask */
#define VIOAPIC_RTE_DESTINATION_SHIFT 56           /* 63:56 destination */
#define VIOAPIC_RTE_DESTINATION_MASK (0xFFull << 56)
/* What a guest write can change; the other bits are read-only (12, 14) or reserved (55:17). */
#define VIOAPIC_RTE_WRITABLE (VIOAPIC_RTE_VECTOR_MASK | VIOAPIC_RTE_DELIVERY_MODE_MASK | \
			      VIOAPIC_RTE_LOGICAL | VIOAPIC_RTE_POLARITY_LOW | VIOAPIC_RTE_LEVEL | \
			      VIOAPIC_RTE_MASKED | VIOAPIC_RTE_DESTINATION_MASK)
/* The state after reset: masked, everything else 0 (82093AA §3.2.4 gives "xxx1 xxxx xxxx
 * xxxxh": only the mask bit is defined). */
#define VIOAPIC_RTE_RESET VIOAPIC_RTE_MASKED

/*
 * Delivery modes, RTE bits 10:8. The MSI data register (SDM Vol. 3A §11.11.2 "Message Data
 * Register Format") and the ICR use the same encoding; 3 and 6 are reserved.
 */
enum vioapic_delivery_mode {
	VIOAPIC_DELIVERY_FIXED = 0,
	VIOAPIC_DELIVERY_LOWEST_PRIORITY = 1,
	VIOAPIC_DELIVERY_SMI = 2,
	VIOAPIC_DELIVERY_NMI = 4,
	VIOAPIC_DELIVERY_INIT = 5,
	VIOAPIC_DELIVERY_EXTINT = 7,
};

/*
 * The outside world. Either pointer may be NULL: a NULL deliver refuses every interrupt (no
 * APIC accepts it), a NULL rte_changed is not called. Called with `ctx` from vioapic_create.
 */
struct vioapic_ops {
	/*
	 * Send one interrupt message to the APICs that `destination` (RTE bits 63:56, 8 bits;
	 * the caller widens 0xFF to 0xFFFFFFFF for x2APIC-mode vLAPICs) names in physical or
	 * `logical` mode. `delivery_mode` is RTE bits 10:8 (never a reserved one): for
	 * VIOAPIC_DELIVERY_EXTINT the caller acknowledges the 8259 for the vector, and `vector`
	 * (the RTE's field) is meaningless, as for SMI, NMI and INIT. `level` is the effective
	 * trigger mode: true only for a level-triggered fixed or lowest-priority RTE. Returns
	 * whether some APIC accepted the interrupt: for `level`, remote IRR is set only then.
	 */
	bool (*deliver)(void *ctx, uint32_t destination, bool logical, uint8_t delivery_mode,
			uint8_t vector, bool level);
	/*
	 * What vioapic_level_vectors() reports may have changed: an RTE's vector, delivery mode,
	 * destination mode, trigger mode, mask or destination changed, or an EOI cleared the
	 * remote IRR of a masked level RTE. The caller recomputes its EOI-exit bitmap. Called
	 * after the RTE is stored and before any interrupt the same write causes is delivered.
	 */
	void (*rte_changed)(void *ctx);
};

/* Counters for the statistics output. Written by the model only, under the caller's
 * serialization. vioapic_reset keeps them; vioapic_create zeroes them. */
struct vioapic_stats {
	uint64_t deliveries[VIOAPIC_PIN_COUNT]; /* messages sent through ops->deliver, per pin,
						 * accepted or not */
	uint64_t not_accepted;        /* of which no APIC accepted: an edge interrupt is lost; a
				       * level RTE keeps remote IRR clear and is retried at the
				       * line's next assert or the RTE's next write */
	uint64_t coalesced;           /* asserts of a level pin while its remote IRR was set */
	uint64_t lost_masked;         /* rising edges of an edge pin while it was masked */
	uint64_t masked_level_asserts; /* asserts of a level pin while it was masked: not lost,
				       * the line is sampled again at unmask */
	uint64_t repeated_edge_asserts; /* edge pin reported active while already active: no edge */
	uint64_t eois;                /* vioapic_eoi calls (vLAPIC hook and EOI register) */
	uint64_t eoi_register_writes; /* of which through the EOI register */
	uint64_t remote_irr_clears;   /* remote IRR bits cleared by an EOI */
	uint64_t remote_irr_edge_clears; /* remote IRR bits cleared by switching an RTE to edge */
	uint64_t redeliveries;        /* deliveries at EOI because the line was still asserted */
	uint64_t rte_write_deliveries; /* level deliveries caused by an RTE write (unmask, polarity
					* or trigger change, retry of a refused one) */
	uint64_t reserved_delivery_modes; /* interrupts not sent: RTE delivery mode 3 or 6 */
	uint64_t reserved_register_accesses; /* IOWIN reads and writes of registers that do not
					      * exist (0x03–0x0F, 0x40–0xFF) */
	uint64_t read_only_writes;    /* IOWIN writes to VER or ARB */
	uint64_t ignored_mmio;        /* MMIO other than the architected accesses: writes to IOWIN
				       * or EOIR narrower than a dword, writes to IOREGSEL bits
				       * 31:8, accesses to unbacked offsets, bad size or alignment */
	uint64_t invalid_pins;        /* vioapic_set_pin with pin >= 24 (a caller bug): ignored */
};

struct vioapic;

/* ---- life cycle ------------------------------------------------------------------------------ */

/* Takes a vIOAPIC from the pool, in the reset state, with zeroed counters. `ops` may be NULL; it
 * is referenced, not copied. Returns NULL when the pool is exhausted. Calls no ops. */
struct vioapic *vioapic_create(const struct vioapic_ops *ops, void *ctx);
/* Returns it to the pool. Calls no ops. */
void vioapic_destroy(struct vioapic *vio);
/*
 * Reset (82093AA defaults): every RTE masked, edge, active high, physical, fixed, vector 0,
 * destination 0, remote IRR clear; ID 0; IOREGSEL 0. The input line levels are kept (the
 * devices drive them) and so are the counters. Calls no ops: the caller recomputes its EOI-exit
 * bitmap after a reset (it is empty: every RTE is masked).
 */
void vioapic_reset(struct vioapic *vio);
const struct vioapic_stats *vioapic_stats(const struct vioapic *vio);
/* An RTE as the guest reads it (remote IRR included), for the statistics and tests. Pins
 * outside 0–23 read 0. */
uint64_t vioapic_rte(const struct vioapic *vio, unsigned pin);

/* ---- register access ------------------------------------------------------------------------- */

/*
 * Guest MMIO at `offset` (0–0xFFF) within the page, `size` 1, 2, 4 or 8 bytes, as the exit
 * handler decoded it. The architected accesses are dword reads and writes of IOREGSEL, IOWIN
 * and EOIR, and byte writes of IOREGSEL (82093AA §3.0: "a byte memory write ... loads the
 * IOREGSEL Register with an 8-bit value"; "The IOWIN Register must be accessed as a Dword
 * quantity"). The model's answer to the rest:
 *   - a read returns the bytes at [offset, offset + size) of the page, where bytes 0–3 of a
 *     16-byte slot are the register and bytes 4–15 read 0: a byte read of IOREGSEL gives the
 *     selection, a byte or word read of IOWIN gives those bytes of the selected register, a
 *     qword read gives the dword zero-extended. Reads have no side effects. EOIR and unbacked
 *     offsets read 0.
 *   - IOREGSEL takes a write of any size at offset 0 (bits 7:0 kept); writes to its bytes 1–3
 *     (reserved bits 31:8) are ignored.
 *   - IOWIN and EOIR take writes of 4 or 8 bytes at the register (an 8-byte write's upper half
 *     falls on the slot's unbacked bytes); narrower writes are ignored, as QEMU does.
 *   - an access whose offset is not a multiple of its size, of another size, or outside the
 *     page reads 0 / is ignored.
 * Every ignored access is counted in ignored_mmio.
 */
uint32_t vioapic_mmio_read(struct vioapic *vio, uint32_t offset, unsigned size);
void vioapic_mmio_write(struct vioapic *vio, uint32_t offset, unsigned size, uint32_t value);

/* ---- pins and EOI ---------------------------------------------------------------------------- */

/*
 * The electrical level of pin `pin`'s input line changed or was reported again: `line_high`
 * true = driven high. The pin's interrupt input is active when the level matches the RTE's
 * polarity (high active: high; low active: low). Edge-triggered: one interrupt per transition
 * of the input from inactive to active, none while masked (lost, not held). Level-triggered:
 * an active input is delivered when unmasked and remote IRR is clear; otherwise it is
 * coalesced (remote IRR set) or waits for unmask (masked). A pin with delivery mode SMI, NMI,
 * INIT or ExtINT behaves as edge-triggered whatever its trigger-mode bit (see vioapic.c).
 */
void vioapic_set_pin(struct vioapic *vio, unsigned pin, bool line_high);
/*
 * An EOI for `vector`: from the vLAPIC's level-EOI hook (a level-triggered vector retired
 * without EOI-broadcast suppression) or the EOI register. Every level RTE with this vector and
 * remote IRR set has it cleared; those that are unmasked with their input still active are
 * delivered again. RTEs with other vectors, edge RTEs and level RTEs without remote IRR are
 * untouched.
 */
void vioapic_eoi(struct vioapic *vio, uint8_t vector);
/*
 * The vectors whose EOI the hypervisor must see on behalf of this vIOAPIC, for one vCPU
 * (vector v = bit v % 64 of bitmap[v / 64]; all 256 bits are written): those of the level-
 * triggered fixed and lowest-priority RTEs that are unmasked, or masked with remote IRR still
 * set (that EOI must still clear it), and whose destination `targets_vcpu` says includes the
 * vCPU. `targets_vcpu` NULL: every RTE targets the vCPU. The caller ORs in the vLAPIC's own
 * (vlapic_eoi_exit_bitmap) and recomputes after ops->rte_changed and after any change of its
 * vLAPICs' IDs, LDR or DFR.
 */
void vioapic_level_vectors(const struct vioapic *vio,
			   bool (*targets_vcpu)(void *ctx, uint32_t destination, bool logical),
			   void *ctx, uint64_t bitmap[4]);

#endif
