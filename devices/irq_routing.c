/* SPDX-License-Identifier: MIT */
/*
 * Interrupt routing (see irq_routing.h): the GSI table QEMU's pc machine uses and MSI decoding
 * per SDM Vol. 3A §11.11 "Message Signalled Interrupts".
 */
#include "irq_routing.h"

/* ---- the GSI table --------------------------------------------------------------------------- */

/* GSI → 8259 input and vIOAPIC pin (irq_routing.h gives the table and where it comes from). */
static const struct irq_route gsi_routes[IRQ_ROUTE_GSI_COUNT] = {
	[0] = { 0, 2 },  /* PIT: master IR0; MADT interrupt source override IRQ0 → GSI 2 */
	[1] = { 1, 1 },
	[2] = { IRQ_ROUTE_NONE, IRQ_ROUTE_NONE },  /* cascade; pin 2 belongs to GSI 0 */
	[3] = { 3, 3 },   [4] = { 4, 4 },   [5] = { 5, 5 },   [6] = { 6, 6 },   [7] = { 7, 7 },
	[8] = { 8, 8 },   [9] = { 9, 9 },   [10] = { 10, 10 }, [11] = { 11, 11 },
	[12] = { 12, 12 }, [13] = { 13, 13 }, [14] = { 14, 14 }, [15] = { 15, 15 },
	[16] = { IRQ_ROUTE_NONE, 16 }, [17] = { IRQ_ROUTE_NONE, 17 },
	[18] = { IRQ_ROUTE_NONE, 18 }, [19] = { IRQ_ROUTE_NONE, 19 },
	[20] = { IRQ_ROUTE_NONE, 20 }, [21] = { IRQ_ROUTE_NONE, 21 },
	[22] = { IRQ_ROUTE_NONE, 22 }, [23] = { IRQ_ROUTE_NONE, 23 },
};

struct irq_router {
	bool in_use;                    /* pool slot taken: irq_router_create/irq_router_destroy */
	const struct irq_router_ops *ops; /* never NULL (an empty table stands in) */
	void *ctx;
	struct irq_router_stats stats;  /* written by the router under the caller's serialization */
};

static struct irq_router irq_router_pool[IRQ_ROUTER_MAX_INSTANCES];
static const struct irq_router_ops no_ops;

bool irq_route_lookup(unsigned gsi, struct irq_route *out)
{
	if (gsi >= IRQ_ROUTE_GSI_COUNT)
		return false;
	*out = gsi_routes[gsi];
	return true;
}

void irq_route_set_gsi(struct irq_router *router, unsigned gsi, bool level)
{
	const struct irq_route *route;

	if (gsi >= IRQ_ROUTE_GSI_COUNT) {
		router->stats.unrouted++;
		return;
	}
	router->stats.gsi_changes[gsi]++;
	route = &gsi_routes[gsi];
	if (route->pic_pin == IRQ_ROUTE_NONE && route->ioapic_pin == IRQ_ROUTE_NONE) {
		router->stats.unrouted++;
		return;
	}
	if (route->pic_pin != IRQ_ROUTE_NONE && router->ops->pic_set_irq)
		router->ops->pic_set_irq(router->ctx, (unsigned)route->pic_pin, level);
	if (route->ioapic_pin != IRQ_ROUTE_NONE && router->ops->ioapic_set_pin)
		router->ops->ioapic_set_pin(router->ctx, (unsigned)route->ioapic_pin, level);
}

/* ---- MSI ------------------------------------------------------------------------------------- */

/* Message address (SDM Vol. 3A §11.11.1, Figure "Layout of the MSI Message Address Register"). */
#define MSI_ADDRESS_BASE 0xFEE00000ull       /* bits 31:20 = 0FEEH */
#define MSI_ADDRESS_BASE_MASK 0xFFFFFFFFFFF00000ull /* the fixed bits, upper dword included */
#define MSI_ADDRESS_DESTINATION_SHIFT 12     /* bits 19:12 destination ID */
#define MSI_ADDRESS_DESTINATION_MASK 0xFFu
#define MSI_ADDRESS_REDIRECTION_HINT (1u << 3)
#define MSI_ADDRESS_LOGICAL (1u << 2)

/* Message data (SDM Vol. 3A §11.11.2, Figure "Layout of the MSI Message Data Register"). */
#define MSI_DATA_VECTOR_MASK 0xFFu           /* bits 7:0 */
#define MSI_DATA_DELIVERY_MODE_SHIFT 8       /* bits 10:8 */
#define MSI_DATA_DELIVERY_MODE_MASK 7u
#define MSI_DATA_ASSERT (1u << 14)           /* level: 1 assert, 0 deassert */
#define MSI_DATA_LEVEL_TRIGGERED (1u << 15)  /* trigger mode */
#define MSI_RESERVED_DELIVERY_MODE_3 3u
#define MSI_RESERVED_DELIVERY_MODE_6 6u

bool msi_decode(uint64_t address, uint32_t data, struct msi_message *out)
{
	uint8_t mode = (uint8_t)((data >> MSI_DATA_DELIVERY_MODE_SHIFT) &
				 MSI_DATA_DELIVERY_MODE_MASK);

	if ((address & MSI_ADDRESS_BASE_MASK) != MSI_ADDRESS_BASE)
		return false;
	if (mode == MSI_RESERVED_DELIVERY_MODE_3 || mode == MSI_RESERVED_DELIVERY_MODE_6)
		return false;
	out->destination = (uint32_t)(address >> MSI_ADDRESS_DESTINATION_SHIFT) &
			   MSI_ADDRESS_DESTINATION_MASK;
	out->redirection_hint = address & MSI_ADDRESS_REDIRECTION_HINT;
	out->logical = address & MSI_ADDRESS_LOGICAL;
	out->vector = (uint8_t)(data & MSI_DATA_VECTOR_MASK);
	out->delivery_mode = mode;
	out->assert = data & MSI_DATA_ASSERT;
	out->level_triggered = data & MSI_DATA_LEVEL_TRIGGERED;
	return true;
}

bool irq_route_msi(struct irq_router *router, uint64_t address, uint32_t data)
{
	struct msi_message msg;
	uint8_t mode;
	bool accepted = false;

	if (!msi_decode(address, data, &msg)) {
		router->stats.msi_rejected++;
		return false;
	}
	/* "Edge triggered interrupt messages are always interpreted as assert messages"
	 * (§11.11.2); a level deassert has nothing to deliver. */
	if (msg.level_triggered && !msg.assert) {
		router->stats.msi_deasserts++;
		return false;
	}
	mode = msg.delivery_mode;
	if (msg.redirection_hint && mode == VIOAPIC_DELIVERY_FIXED) {
		mode = VIOAPIC_DELIVERY_LOWEST_PRIORITY;
		router->stats.msi_redirected++;
	}
	if (router->ops->deliver)
		accepted = router->ops->deliver(router->ctx, msg.destination, msg.logical, mode,
						msg.vector, msg.level_triggered);
	if (accepted)
		router->stats.msi_delivered++;
	else
		router->stats.msi_not_accepted++;
	return accepted;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

struct irq_router *irq_router_create(const struct irq_router_ops *ops, void *ctx)
{
	for (unsigned i = 0; i < IRQ_ROUTER_MAX_INSTANCES; i++) {
		struct irq_router *router = &irq_router_pool[i];

		if (router->in_use)
			continue;
		memset(router, 0, sizeof(*router));
		router->in_use = true;
		router->ops = ops ? ops : &no_ops;
		router->ctx = ctx;
		return router;
	}
	return NULL;
}

void irq_router_destroy(struct irq_router *router)
{
	if (router)
		router->in_use = false;
}

const struct irq_router_stats *irq_router_stats(const struct irq_router *router)
{
	return &router->stats;
}
