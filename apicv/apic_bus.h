/* SPDX-License-Identifier: MIT */
/*
 * The APIC bus: which vLAPICs an interrupt message reaches. Up to APIC_BUS_MAX vLAPICs are
 * attached, each under its vCPU number; an IPI (from one of them) or an I/O APIC / MSI message
 * (from a device) goes in, the set of vCPUs it is for comes out, as a bitmask (bit n = vCPU n).
 * Plain C, the same floor as the vLAPIC model (docs/design.md, "Layers"): no VMX, no UEFI, no
 * platform; the caller delivers to the set it gets back (vlapic_set_irq, an NMI, INIT, SIPI).
 *
 * Citations are to the Intel SDM Vol. 3A chapter 11 "Advanced Programmable Interrupt
 * Controller (APIC)".
 *
 * WHAT THE BUS DECIDES AND WHAT IT DOES NOT. The bus decides *destination* (§11.6.2
 * "Determining IPI Destination"): shorthands, physical and logical destinations (matched by each
 * vLAPIC in its own mode with vlapic_match_destination: xAPIC flat and cluster through DFR/LDR,
 * x2APIC cluster), broadcast, and the one target of a lowest-priority message. *Acceptance*
 * (§11.6.3 "IPI Delivery and Acceptance") is the receiving vLAPIC's: a software-disabled APIC is
 * a destination like any other, takes NMI, INIT and SIPI and discards fixed interrupts
 * (§11.4.7.2; vlapic_set_irq counts them). A hardware-disabled APIC (IA32_APIC_BASE.EN = 0) is
 * no APIC at all (§11.4.3) and is never in a set, whatever the shorthand.
 *
 * DESTINATION FORMATS. A destination is given in the sender's format: an xAPIC-mode sender's
 * ICR[63:56] and every I/O APIC RTE or MSI carry 8 bits, an x2APIC-mode sender's ICR[63:32]
 * carries 32 (§11.12.9 "ICR Operation in x2APIC Mode"). Each receiver interprets it in its own
 * mode, with two rules for a system whose APICs are not all in the same mode (the SDM describes
 * one mode at a time; a guest switching its CPUs to x2APIC one by one passes through such a
 * state):
 *   - the broadcast of the sender's format (0xFF, 0xFFFFFFFF) is a broadcast for every receiver:
 *     0xFF reaches an x2APIC-mode vLAPIC as 0xFFFFFFFF, as the single-vCPU code always did for
 *     I/O APIC and MSI messages (platform/platform_irq.c) and KVM does;
 *   - any other destination never becomes a broadcast: a 32-bit destination of 0xFF or more
 *     reaches no xAPIC-mode vLAPIC (it would otherwise be cut to 8 bits or read as 0xFF).
 *
 * LOWEST PRIORITY (§11.6.2.4 "Lowest Priority Delivery Mode"). Exactly one vCPU of the
 * destination set gets the interrupt. The rule, deterministic so that test counts are exact:
 *   1. candidates: the set's vLAPICs (hardware-enabled by construction); those software-enabled
 *      first, since a software-disabled one would discard the interrupt (KVM's slow path,
 *      kvm_irq_delivery_to_apic, skips them too, and then delivers to nobody); only when none
 *      is software-enabled does one of the others get it, and drops it (counted in
 *      lowest_priority_none_enabled and in its vLAPIC's dropped_disabled, never silent);
 *   2. the lowest processor priority (PPR, all eight bits, vlapic_ppr) wins. §11.6.1 delivers
 *      to "the processor executing at the lowest priority among the set"; the PPR is the
 *      priority a processor runs at, the threshold that holds interrupts back (§11.8.3.1).
 *      §11.6.2.4: P6 arbitrates on the APR, which also counts in-service interrupts; a
 *      Pentium 4 / Xeon chipset compares the task priorities the processors report to it. PPR
 *      equals TPR whenever nothing above the TPR's class is in service, and otherwise, like the
 *      APR, counts the busy vCPU as busier;
 *   3. a tie goes to the lowest vCPU number. The SDM leaves ties to the platform (on the P6
 *      APIC bus the bus arbitration IDs break them). A fixed order keeps the result a function
 *      of the vLAPICs' state alone, independent of the order in which vCPUs on different CPUs
 *      sent earlier messages (a round-robin cursor is not).
 * The focus processor (P6) is not modelled: the vLAPIC's SVR focus bit has no effect.
 *
 * Lowest priority and the sender (IPIs only): the vLAPIC model keeps a lowest-priority IPI for
 * itself whenever the sender is a destination (vlapic.c: "picks self when self is a target"),
 * and calls vlapic_ops.send_ipi only otherwise. apic_bus_route_ipi follows that: a sender in the
 * set means nothing goes to anyone else (counted in lowest_priority_kept_by_sender). This also
 * settles the combinations the SDM calls invalid (Table 11-3, Pentium 4 / Xeon: lowest
 * priority with the self or all-including-self shorthand) and the physical broadcast 0xFF with
 * lowest priority, which KVM turns into a fixed interrupt to everyone: here the sender, always
 * a destination of those, keeps it. Nothing errs: the one lowest-priority send error, ESR bit 4
 * "Redirectable IPI" (§11.5.3), is for an APIC that cannot send lowest-priority IPIs at all
 * (Table 11-3 note 1: "model specific"), and the vLAPIC model can, so it never sets it. With
 * "all excluding self" Table 11-3 allows lowest priority and note 4 says the IPI "can be
 * redirected back to the issuing APIC"; the bus arbitrates among the others only (the
 * send_ipi contract: the sender's part is already done).
 * I/O APIC and MSI messages with lowest priority, broadcast included (0xFF: "all processors"),
 * arbitrate among the whole set.
 *
 * The bus looks at nothing but the destination fields, the shorthand and whether the delivery
 * mode is lowest priority: the vector, trigger and level, and whether a delivery mode is valid
 * with a shorthand (Table 11-3), are the sender's and the receiver's business.
 *
 * Threading: attach and detach at start-up, before any vCPU runs. The routing functions read
 * the attached vLAPICs' mode, ID, LDR, DFR, PPR and enables, which their own CPUs may be
 * changing: a message that races a register write sees the old or the new value, as on
 * hardware. The counters are the only state the bus writes: the caller serializes the
 * apic_bus_route_* calls on one bus (one lock for the bus, as for any device model).
 */
#ifndef APICVISOR_APIC_BUS_H
#define APICVISOR_APIC_BUS_H

#include "../lib/klib.h"

struct vlapic;

/* vCPUs (vLAPICs) on one bus: bits 0..APIC_BUS_MAX-1 of a set. */
#define APIC_BUS_MAX 8
/* Buses that exist at most (a static pool: the hypervisor does not allocate). */
#define APIC_BUS_MAX_INSTANCES 2

_Static_assert(APIC_BUS_MAX <= 32, "a set is a uint32_t");

/* A set of vCPU numbers: bit n = vCPU n. */
#define APIC_BUS_VCPU(n) (1u << (n))

/* Counters for the statistics output, written by apic_bus_route_* only. */
struct apic_bus_stats {
	uint64_t ipis;               /* apic_bus_route_ipi calls */
	uint64_t ipis_no_target;     /* of which the destination set, sender included, was empty:
				      * the IPI reached no APIC at all */
	uint64_t bad_senders;        /* of which from a vCPU number with no vLAPIC: nothing
				      * routed */
	uint64_t messages;           /* apic_bus_route_message calls (I/O APIC RTEs, MSIs) */
	uint64_t messages_no_target; /* of which the destination set was empty */
	uint64_t lowest_priority;    /* arbitrations: one vCPU picked from a destination set */
	uint64_t lowest_priority_none_enabled; /* of which no candidate was software-enabled: the
						* one picked discards a fixed interrupt */
	uint64_t lowest_priority_kept_by_sender; /* lowest-priority IPIs whose sender was a
						  * destination: the sender's vLAPIC took it,
						  * nothing routed */
};

struct apic_bus;

/* Takes a bus from the pool, with no vLAPIC attached and the counters 0. Returns NULL when the
 * pool is exhausted. */
struct apic_bus *apic_bus_create(void);
/* Returns the bus to the pool (teardown, tests). The vLAPICs are not touched. */
void apic_bus_destroy(struct apic_bus *bus);
/* Attaches vCPU `vcpu`'s vLAPIC. Returns false, changing nothing, for vcpu >= APIC_BUS_MAX, a
 * NULL vLAPIC or a vCPU number already attached. The vLAPIC stays the caller's. */
bool apic_bus_attach(struct apic_bus *bus, unsigned vcpu, struct vlapic *vl);
/* Detaches vCPU `vcpu` (nothing for a number out of range or not attached). */
void apic_bus_detach(struct apic_bus *bus, unsigned vcpu);
/* The vLAPIC attached as `vcpu`, NULL if none. */
struct vlapic *apic_bus_vlapic(const struct apic_bus *bus, unsigned vcpu);
/* The set of attached vCPUs. */
uint32_t apic_bus_attached(const struct apic_bus *bus);
const struct apic_bus_stats *apic_bus_stats(const struct apic_bus *bus);

/* ---- destination sets: what the SDM's destination logic names, nothing counted --------------- */

/*
 * The destinations of an IPI from vCPU `sender` (§11.6.2, §11.6.1 "Destination Shorthand"):
 * `icr_low` is the sender's ICR low dword (shorthand, destination mode; the rest is ignored),
 * `destination` the destination field in the sender's mode (xAPIC: ICR[63:56], bits above 7
 * ignored; x2APIC: ICR[63:32]). Shorthands ignore the destination field and mode: "self" is
 * the sender, "all including self" every attached vLAPIC, "all excluding self" every one but
 * the sender. No shorthand: every vLAPIC that matches, the sender included when it does. Never
 * a hardware-disabled vLAPIC; a software-disabled one is included. 0 for a sender not attached.
 */
uint32_t apic_bus_ipi_destinations(const struct apic_bus *bus, unsigned sender,
				   uint32_t icr_low, uint32_t destination);
/*
 * The destinations of an I/O APIC redirection entry or an MSI (§11.11.1 "Message Address
 * Register Format": destination ID and DM): the 8-bit `destination` (bits above 7 ignored) in
 * physical or `logical` mode; 0xFF is the broadcast for xAPIC- and x2APIC-mode vLAPICs alike.
 * Never a hardware-disabled vLAPIC.
 */
uint32_t apic_bus_message_destinations(const struct apic_bus *bus, uint32_t destination,
				       bool logical);
/*
 * Lowest-priority arbitration (the rule above): the vCPU of `candidates` that gets the
 * interrupt, or -1 when `candidates` holds no attached, hardware-enabled vLAPIC.
 */
int apic_bus_lowest_priority(const struct apic_bus *bus, uint32_t candidates);

/* ---- routing: what the caller delivers to, counted ------------------------------------------- */

/*
 * An IPI from vCPU `sender` that its vLAPIC handed to vlapic_ops.send_ipi (same arguments):
 * the vCPUs other than the sender to deliver it to. apic_bus_ipi_destinations without the
 * sender (its part was delivered by its own vLAPIC); for lowest priority (ICR delivery mode
 * 001b) one vCPU chosen by apic_bus_lowest_priority, or none when the sender is a destination
 * (see "Lowest priority and the sender"). Counts the IPI, an empty destination set, a sender
 * not attached.
 */
uint32_t apic_bus_route_ipi(struct apic_bus *bus, unsigned sender, uint32_t icr_low,
			    uint32_t destination);
/*
 * An I/O APIC or MSI message (vioapic_ops.deliver, irq_router_ops.deliver: 8-bit destination,
 * `logical`, `delivery_mode` in RTE/MSI encoding, which is the ICR's: 1 = lowest priority):
 * apic_bus_message_destinations, reduced to one vCPU for lowest priority. Counts the message
 * and an empty destination set.
 */
uint32_t apic_bus_route_message(struct apic_bus *bus, uint32_t destination, bool logical,
				uint8_t delivery_mode);

#endif
