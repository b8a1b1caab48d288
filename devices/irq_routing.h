/* SPDX-License-Identifier: MIT */
/*
 * Interrupt routing: where a device's interrupt line goes (the GSI table, to the vPIC and the
 * vIOAPIC) and what a guest's MSI write means (SDM Vol. 3A §11.11 "Message Signalled
 * Interrupts"). Plain C: it knows neither the vPIC nor the vIOAPIC nor the vLAPIC, only the
 * ops the caller gives it.
 *
 * GSI NUMBERS. As in KVM's routing table (KVM_SET_GSI_ROUTING), a "GSI" here is the number of
 * the line a device drives: 0–15 are the ISA IRQ lines (the PIT drives 0, COM1 drives 4),
 * 16–23 the further I/O APIC inputs. The table is the one QEMU's pc machine installs into KVM
 * (kvm_pc_setup_irq_routing in QEMU's hw/i386/kvm/ioapic.c), which is what the guest's MADT
 * describes, interrupt source override IRQ0 → GSI 2 included:
 *
 *   GSI 0      → 8259 input 0 (master IR0) and vIOAPIC pin 2 (the override: in ACPI terms the
 *                PIT is "GSI 2")
 *   GSI 1      → 8259 input 1 and vIOAPIC pin 1
 *   GSI 2      → nothing: 8259 input 2 is the cascade from the slave, vIOAPIC pin 2 belongs
 *                to GSI 0 (counted as unrouted)
 *   GSI 3–7    → 8259 input n (master IRn) and vIOAPIC pin n
 *   GSI 8–15   → 8259 input n (slave IR(n-8)) and vIOAPIC pin n
 *   GSI 16–23  → vIOAPIC pin n only
 *
 * KVM's own default table (kvm_setup_default_irq_routing, in arch/x86/kvm/irq_comm.c or irq.c)
 * is the identity instead: GSI 0 → PIC pin 0 and IOAPIC pin 0, GSI 2 → PIC pin 2 and IOAPIC
 * pin 2. QEMU replaces it at start-up with the table above, and without KVM QEMU's own ioapic
 * maps input 0 to pin 2 the same way (ioapic_set_irq); the identity would send the PIT to a pin
 * the MADT says nothing is wired to.
 *
 * Threading: as for the vIOAPIC, the caller serializes all calls.
 */
#ifndef APICVISOR_IRQ_ROUTING_H
#define APICVISOR_IRQ_ROUTING_H

#include "../lib/klib.h"
#include "vioapic.h" /* enum vioapic_delivery_mode: MSI data uses the same encoding */

/* How many routers exist at most (a static pool). */
#define IRQ_ROUTER_MAX_INSTANCES 2
/* GSIs the table knows: 0–23. */
#define IRQ_ROUTE_GSI_COUNT 24
/* 8259 inputs, numbered as ISA IRQs: master IR0–7 = 0–7, slave IR0–7 = 8–15. */
#define IRQ_ROUTE_PIC_PIN_COUNT 16
/* The 8259 input the slave's output drives (master IR2). */
#define IRQ_ROUTE_PIC_CASCADE_PIN 2
/* A route's "no such destination". */
#define IRQ_ROUTE_NONE (-1)

/* Where one GSI goes. */
struct irq_route {
	int pic_pin;     /* 8259 input 0–15, or IRQ_ROUTE_NONE */
	int ioapic_pin;  /* vIOAPIC pin 0–23, or IRQ_ROUTE_NONE */
};

/*
 * The outside world. Any pointer may be NULL (that side is not connected; the counters still
 * count). Called with `ctx` from irq_router_create.
 */
struct irq_router_ops {
	/* Drive 8259 input `pin` (0–15, ISA IRQ numbering) to `level` (true = high). */
	void (*pic_set_irq)(void *ctx, unsigned pin, bool level);
	/* Drive vIOAPIC pin `pin` (0–23) to `level` (true = high): vioapic_set_pin. */
	void (*ioapic_set_pin)(void *ctx, unsigned pin, bool level);
	/* Deliver an MSI, with the meaning of vioapic_ops.deliver: `destination` is the 8-bit
	 * destination ID (the caller widens 0xFF for x2APIC-mode vLAPICs), `delivery_mode` never
	 * reserved, `level` the trigger mode. Returns whether some APIC accepted it. */
	bool (*deliver)(void *ctx, uint32_t destination, bool logical, uint8_t delivery_mode,
			uint8_t vector, bool level);
};

/* Counters for the statistics output, written by the router only. */
struct irq_router_stats {
	uint64_t gsi_changes[IRQ_ROUTE_GSI_COUNT]; /* irq_route_set_gsi calls per GSI */
	uint64_t unrouted;          /* irq_route_set_gsi for GSI 2 or a GSI >= 24: nothing done */
	uint64_t msi_delivered;     /* MSIs handed to ops->deliver and accepted */
	uint64_t msi_not_accepted;  /* handed to ops->deliver (or no deliver op) and refused */
	uint64_t msi_rejected;      /* malformed: address outside 0xFEE00000–0xFEEFFFFF or a
				     * reserved delivery mode; nothing delivered */
	uint64_t msi_deasserts;     /* level-triggered MSIs with the level bit 0: nothing to do */
	uint64_t msi_redirected;    /* fixed MSIs with RH = 1 delivered as lowest priority */
};

struct irq_router;

/* Takes a router from the pool. `ops` may be NULL; it is referenced, not copied. Returns NULL
 * when the pool is exhausted. */
struct irq_router *irq_router_create(const struct irq_router_ops *ops, void *ctx);
void irq_router_destroy(struct irq_router *router);
const struct irq_router_stats *irq_router_stats(const struct irq_router *router);

/* The table entry for `gsi` (the table above). Returns false for gsi >= 24 (*out untouched);
 * GSI 2 returns true with both sides IRQ_ROUTE_NONE. */
bool irq_route_lookup(unsigned gsi, struct irq_route *out);
/*
 * A device drove line `gsi` to `level` (true = high; an edge-triggered source pulses it:
 * true, then false). Forwarded to each side the table names, 8259 first; every call is
 * forwarded, also when the level did not change (the receivers detect edges themselves).
 */
void irq_route_set_gsi(struct irq_router *router, unsigned gsi, bool level);

/* ---- MSI (SDM Vol. 3A §11.11.1 "Message Address Register Format", §11.11.2 "Message Data
 * Register Format") --------------------------------------------------------------------------- */

struct msi_message {
	uint32_t destination;   /* address bits 19:12, destination ID */
	bool redirection_hint;  /* address bit 3, RH */
	bool logical;           /* address bit 2, DM: 1 logical, 0 physical */
	uint8_t vector;         /* data bits 7:0 */
	uint8_t delivery_mode;  /* data bits 10:8: enum vioapic_delivery_mode, never 3 or 6 */
	bool assert;            /* data bit 14, level: 1 assert, 0 deassert (level only) */
	bool level_triggered;   /* data bit 15, trigger mode: 1 level, 0 edge */
};

/*
 * Decodes an MSI write of `data` to guest-physical `address`. Returns false, *out untouched,
 * when the address is not in the interrupt range 0xFEE00000–0xFEEFFFFF (64-bit addresses
 * included: the upper dword must be 0, there is no extended destination) or the delivery mode
 * is reserved (3 or 6). Ignored: address bits 11:4 (reserved) and 1:0 ("don't care"), data
 * bits 13:11 and 31:16 (reserved), and the vector for SMI, NMI, INIT and ExtINT.
 */
bool msi_decode(uint64_t address, uint32_t data, struct msi_message *out);
/*
 * A guest (or device model) MSI write: decoded, then handed to ops->deliver. Rejected messages
 * (msi_decode false) and deasserts of level-triggered messages deliver nothing. A fixed message
 * with RH = 1 goes out as lowest priority, so the caller picks one target among the
 * destinations (SDM §11.11.1: RH "indicates whether the message should be directed to the
 * processor with the lowest interrupt priority among processors that can receive the
 * interrupt"; KVM does the same). DM is honoured also with RH = 0, as KVM and QEMU do (the
 * SDM's "If RH is 0, then the DM bit is ignored" would otherwise turn guests' logical
 * destinations into physical ones). Returns whether some APIC accepted it.
 */
bool irq_route_msi(struct irq_router *router, uint64_t address, uint32_t data);

#endif
