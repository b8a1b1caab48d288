/* SPDX-License-Identifier: MIT */
/*
 * The APIC bus (see apic_bus.h): destination sets for IPIs and I/O APIC / MSI messages, and
 * lowest-priority arbitration. Citations are to the Intel SDM Vol. 3A chapter 11 unless they
 * say otherwise.
 */
#include "apic_bus.h"

#include "apic_regs.h"
#include "vlapic.h"

struct apic_bus {
	bool in_use;                           /* pool slot taken */
	struct vlapic *vlapic[APIC_BUS_MAX];   /* by vCPU number; NULL: not attached */
	struct apic_bus_stats stats;
};

static struct apic_bus bus_pool[APIC_BUS_MAX_INSTANCES];

/* ---- life cycle ------------------------------------------------------------------------------ */

struct apic_bus *apic_bus_create(void)
{
	for (unsigned i = 0; i < APIC_BUS_MAX_INSTANCES; i++) {
		if (!bus_pool[i].in_use) {
			memset(&bus_pool[i], 0, sizeof(bus_pool[i]));
			bus_pool[i].in_use = true;
			return &bus_pool[i];
		}
	}
	return NULL;
}

void apic_bus_destroy(struct apic_bus *bus)
{
	if (bus)
		bus->in_use = false;
}

bool apic_bus_attach(struct apic_bus *bus, unsigned vcpu, struct vlapic *vl)
{
	if (vcpu >= APIC_BUS_MAX || !vl || bus->vlapic[vcpu])
		return false;
	bus->vlapic[vcpu] = vl;
	return true;
}

void apic_bus_detach(struct apic_bus *bus, unsigned vcpu)
{
	if (vcpu < APIC_BUS_MAX)
		bus->vlapic[vcpu] = NULL;
}

struct vlapic *apic_bus_vlapic(const struct apic_bus *bus, unsigned vcpu)
{
	return vcpu < APIC_BUS_MAX ? bus->vlapic[vcpu] : NULL;
}

uint32_t apic_bus_attached(const struct apic_bus *bus)
{
	uint32_t set = 0;

	for (unsigned i = 0; i < APIC_BUS_MAX; i++)
		if (bus->vlapic[i])
			set |= APIC_BUS_VCPU(i);
	return set;
}

const struct apic_bus_stats *apic_bus_stats(const struct apic_bus *bus)
{
	return &bus->stats;
}

/* ---- destination sets ------------------------------------------------------------------------ */

/*
 * Whether `destination`, in a sender's format (`wide`: x2APIC, 32 bits; otherwise xAPIC, I/O
 * APIC or MSI, 8 bits), names `vl` in its own mode (the rules in apic_bus.h, "Destination
 * formats"). vlapic_match_destination does the per-APIC match (§11.6.2.1 physical, §11.6.2.2
 * logical flat/cluster through DFR and LDR, §11.12.10 x2APIC cluster) and refuses a
 * hardware-disabled APIC.
 */
static bool reaches(const struct vlapic *vl, uint32_t destination, bool logical, bool wide)
{
	bool x2apic = vlapic_x2apic_mode(vl);
	bool broadcast;

	if (!wide)
		destination &= 0xFFu;
	broadcast = destination == (wide ? APIC_X2APIC_BROADCAST : APIC_XAPIC_BROADCAST);
	if (broadcast)
		/* §11.6.2.1 (0xFF), §11.12.9 (0xFFFFFFFF): every APIC, in either destination
		 * mode; in the receiver's own format. */
		destination = x2apic ? APIC_X2APIC_BROADCAST : APIC_XAPIC_BROADCAST;
	else if (!x2apic && destination >= APIC_XAPIC_BROADCAST)
		/* A 32-bit destination an 8-bit APIC cannot hold, or that it would take for its
		 * broadcast: not for this APIC. */
		return false;
	return vlapic_match_destination(vl, destination, logical);
}

/* The attached, hardware-enabled vLAPICs: what "all" means for the shorthands (§11.4.3: with
 * IA32_APIC_BASE.EN = 0 the processor has no APIC to receive with). Software-disabled ones are
 * in: accepting or discarding is theirs (§11.4.7.2, §11.6.3). */
static uint32_t present(const struct apic_bus *bus)
{
	uint32_t set = 0;

	for (unsigned i = 0; i < APIC_BUS_MAX; i++)
		if (bus->vlapic[i] && vlapic_hw_enabled(bus->vlapic[i]))
			set |= APIC_BUS_VCPU(i);
	return set;
}

static uint32_t matching(const struct apic_bus *bus, uint32_t destination, bool logical,
			 bool wide)
{
	uint32_t set = 0;

	for (unsigned i = 0; i < APIC_BUS_MAX; i++)
		if (bus->vlapic[i] && reaches(bus->vlapic[i], destination, logical, wide))
			set |= APIC_BUS_VCPU(i);
	return set;
}

uint32_t apic_bus_ipi_destinations(const struct apic_bus *bus, unsigned sender,
				   uint32_t icr_low, uint32_t destination)
{
	const struct vlapic *from = apic_bus_vlapic(bus, sender);
	uint32_t self;

	if (!from)
		return 0;
	self = APIC_BUS_VCPU(sender);
	/* §11.6.1 "Destination Shorthand": with a shorthand the destination field (and, as
	 * §11.6.2.3 "Broadcast/Self Delivery Mode" says, the destination mode) is ignored. */
	switch ((icr_low & APIC_ICR_SHORTHAND_MASK) >> APIC_ICR_SHORTHAND_SHIFT) {
	case APIC_SHORTHAND_SELF:
		return present(bus) & self;
	case APIC_SHORTHAND_ALL_INCLUDING_SELF:
		return present(bus);
	case APIC_SHORTHAND_ALL_EXCLUDING_SELF:
		return present(bus) & ~self;
	default:
		return matching(bus, destination, icr_low & APIC_ICR_LOGICAL,
				vlapic_x2apic_mode(from));
	}
}

uint32_t apic_bus_message_destinations(const struct apic_bus *bus, uint32_t destination,
				       bool logical)
{
	/* I/O APIC RTE bits 63:56, MSI address bits 19:12: always the 8-bit format (§11.11.1). */
	return matching(bus, destination, logical, false);
}

int apic_bus_lowest_priority(const struct apic_bus *bus, uint32_t candidates)
{
	int best = -1;
	bool best_enabled = false;
	uint8_t best_ppr = 0;

	/* In vCPU order, replacing the choice only for a strictly better candidate: a tie stays
	 * with the lowest vCPU number (rule 3 in apic_bus.h). */
	for (unsigned i = 0; i < APIC_BUS_MAX; i++) {
		const struct vlapic *vl = bus->vlapic[i];
		bool enabled;
		uint8_t ppr;

		if (!(candidates & APIC_BUS_VCPU(i)) || !vl || !vlapic_hw_enabled(vl))
			continue;
		enabled = vlapic_sw_enabled(vl);
		ppr = vlapic_ppr(vl);
		/* Rule 1: a software-enabled APIC before any software-disabled one; rule 2: then
		 * the lowest PPR. */
		if (best < 0 || (enabled && !best_enabled) ||
		    (enabled == best_enabled && ppr < best_ppr)) {
			best = (int)i;
			best_enabled = enabled;
			best_ppr = ppr;
		}
	}
	return best;
}

/* ---- routing --------------------------------------------------------------------------------- */

/* One vCPU of a non-empty destination set, counted. */
static uint32_t arbitrate(struct apic_bus *bus, uint32_t set)
{
	int winner = apic_bus_lowest_priority(bus, set);

	if (winner < 0)
		return 0; /* not reached: destination sets hold only hardware-enabled vLAPICs */
	bus->stats.lowest_priority++;
	if (!vlapic_sw_enabled(bus->vlapic[winner]))
		bus->stats.lowest_priority_none_enabled++;
	return APIC_BUS_VCPU(winner);
}

uint32_t apic_bus_route_ipi(struct apic_bus *bus, unsigned sender, uint32_t icr_low,
			    uint32_t destination)
{
	uint32_t self, set;

	bus->stats.ipis++;
	if (!apic_bus_vlapic(bus, sender)) {
		bus->stats.bad_senders++;
		return 0;
	}
	self = APIC_BUS_VCPU(sender);
	set = apic_bus_ipi_destinations(bus, sender, icr_low, destination);
	if (!set) {
		bus->stats.ipis_no_target++;
		return 0;
	}
	if (((icr_low >> APIC_ICR_DELIVERY_MODE_SHIFT) & 7u) == APIC_DELIVERY_LOWEST_PRIORITY) {
		/* The sender's vLAPIC takes a lowest-priority IPI it is a destination of
		 * (apic_bus.h, "Lowest priority and the sender"). */
		if (set & self) {
			bus->stats.lowest_priority_kept_by_sender++;
			return 0;
		}
		return arbitrate(bus, set);
	}
	/* The sender's own part was delivered by its vLAPIC (vlapic_ops.send_ipi). */
	return set & ~self;
}

uint32_t apic_bus_route_message(struct apic_bus *bus, uint32_t destination, bool logical,
				uint8_t delivery_mode)
{
	uint32_t set = apic_bus_message_destinations(bus, destination, logical);

	bus->stats.messages++;
	if (!set) {
		bus->stats.messages_no_target++;
		return 0;
	}
	if (delivery_mode == APIC_DELIVERY_LOWEST_PRIORITY)
		/* §11.6.2.4; for MSIs §11.11.2 "Message Data Register Format" (delivery mode 001,
		 * and a fixed MSI with RH = 1, which irq_routing.c sends as lowest priority). A
		 * broadcast arbitrates among every APIC. */
		return arbitrate(bus, set);
	return set;
}
