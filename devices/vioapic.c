/* SPDX-License-Identifier: MIT */
/*
 * The virtual I/O APIC model (see vioapic.h). "82093AA" is the Intel 82093AA I/O Advanced
 * Programmable Interrupt Controller (IOAPIC) datasheet; "ICH10" the Intel I/O Controller Hub 10
 * (ICH10) Family Datasheet; "SDM" the Intel 64 and IA-32 Architectures Software Developer's
 * Manual.
 *
 * Choices where the datasheets leave room (each also at the code):
 *   - Version 0x20 with an EOI register at +0x40 (ICH10 §13.5.4 "EOIR—EOI Register"; the
 *     82093AA, version 0x11, has none): a write clears remote IRR of every level RTE whose
 *     vector equals bits 7:0, "The interrupt which was prematurely reset will not be lost
 *     because if its input remained active when the Remote_IRR bit is cleared, the interrupt
 *     will be reissued". VER = 0x00170020, as QEMU's default ioapic shows. ARB reads as the ID
 *     (82093AA §3.2.1 "IOAPICID": "The APIC bus arbitration ID for the I/O unit is also
 *     written during a write to the APICID Register (same data is loaded into both)"), as in
 *     QEMU; there is no APIC bus here to rotate it.
 *   - Widths (vioapic.h, vioapic_mmio_read): reads return the bytes addressed, so a byte or
 *     word read of IOWIN returns those bytes of the selected register (QEMU returns 0 for
 *     non-dword IOWIN reads; KVM returns the low bytes); writes to IOWIN and EOIR narrower than
 *     a dword are ignored (as QEMU; KVM zero-extends them and writes the whole register, which
 *     would clobber the other bytes). IOREGSEL takes byte writes, as the 82093AA says software
 *     does it. The page is not aliased: only offsets 0x00, 0x10 and 0x40 are registers (QEMU and
 *     KVM decode offset & 0xFF, so their registers repeat every 256 bytes).
 *   - Registers that do not exist behind IOWIN (0x03–0x0F, 0x40–0xFF) read 0 and ignore writes,
 *     as QEMU does (KVM reads them as all ones); VER and ARB ignore writes. Counted.
 *   - RTE reserved bits 55:17 read 0 and ignore writes (QEMU and KVM store them, because with
 *     interrupt remapping bits 48–63 hold the remappable format; there is no IOMMU here).
 *   - Delivery status (bit 12) always reads 0: delivery is synchronous (vioapic.h).
 *   - Polarity applies to the line level vioapic_set_pin reports (QEMU and KVM ignore it). A
 *     polarity change is not itself an edge: an edge pin delivers only at a vioapic_set_pin
 *     that turns its input active; a level pin's input is sampled again at every RTE write.
 *   - Delivery modes SMI, NMI, INIT and ExtINT are edge-triggered whatever the trigger-mode bit
 *     says: remote IRR is never set for them and ops->deliver gets level = false. The Intel
 *     82374EB/82374SB EISA System Component datasheet, §3.7 I/O APIC redirection table,
 *     "Delivery Mode (DELMOD)": SMI and ExtINT "require an edge trigger mode", NMI and INIT
 *     "must be programmed as edge-triggered for proper operation" (the ICH datasheets repeat
 *     it); SDM Vol. 3A §11.11.2 "Message Data Register Format" says of the same messages sent
 *     as MSI "NMI is an edge triggered interrupt regardless of the Trigger Mode Setting" (INIT
 *     and ExtINT likewise). No EOI ever comes for these, so honouring the bit would wedge the
 *     pin; KVM does honour it. The trigger-mode bit still reads back as written.
 *   - Reserved delivery modes (3, 6) are stored and read back, but no message is sent: each
 *     interrupt they would raise is counted in reserved_delivery_modes (and a level RTE's
 *     remote IRR stays clear).
 *   - Level interrupts not accepted by any APIC (ops->deliver false) leave remote IRR clear
 *     (82093AA §3.2.4, remote IRR "is set to 1 when local APIC(s) accept the level interrupt";
 *     KVM does the same, bhyve sets it unconditionally). They are retried when the line is
 *     reported asserted again or the RTE is written; an EOI of the vector does not retry them,
 *     since the RTE is not waiting for one.
 *   - Switching an RTE to edge clears its remote IRR, as KVM and QEMU do: the 82093AA leaves
 *     remote IRR "undefined for edge triggered interrupts", and Linux relies on the clear to
 *     emulate an EOI on I/O APICs without the EOI register (__eoi_ioapic_pin: mask, set edge,
 *     set level, unmask).
 *   - Masked level pins: "Level-asserts or negates occurring on a masked level-sensitive pin
 *     are also ignored and have no side effects" (82093AA §3.2.4, mask bit), but the input is
 *     still a level: at unmask an active input with remote IRR clear is delivered, as on KVM
 *     and QEMU. An EOI of a masked pin clears its remote IRR without delivering.
 *   - No interrupt-storm throttling (KVM and QEMU delay the re-delivery after 10000 successive
 *     EOIs of an asserted line): every re-delivery needs a guest EOI, which needs the guest to
 *     run, so a storm cannot hold the hypervisor; it is visible in redeliveries.
 */
#include "vioapic.h"

/* ---- state ----------------------------------------------------------------------------------- */

struct vioapic {
	bool in_use;             /* pool slot taken: vioapic_create/vioapic_destroy */
	const struct vioapic_ops *ops; /* never NULL (an empty table stands in) */
	void *ctx;
	uint8_t id;              /* IOAPICID bits 27:24, written by the guest through IOWIN */
	uint8_t ioregsel;        /* IOREGSEL bits 7:0, written by the guest */
	uint64_t rte[VIOAPIC_PIN_COUNT]; /* the redirection table as the guest reads it: writable
				  * bits from guest writes, remote IRR set at accepted delivery of a
				  * level interrupt and cleared at EOI or a switch to edge; delivery
				  * status and reserved bits always 0 */
	uint32_t line_high;      /* bit n: pin n's input line is driven high, as last reported by
				  * vioapic_set_pin (not touched by reset) */
	struct vioapic_stats stats;
};

static struct vioapic vioapic_pool[VIOAPIC_MAX_INSTANCES];
static const struct vioapic_ops no_ops;

#define IOREGSEL_MASK 0xFFu
#define ID_SHIFT 24
#define ID_MASK 0xFu
#define MMIO_SLOT_MASK 0xFu    /* registers are the low dword of 16-byte slots */
#define EOIR_VECTOR_MASK 0xFFu /* ICH10 §13.5.4: "Only bits 7:0 are actually used" */
#define RESERVED_DELIVERY_MODE_3 3u
#define RESERVED_DELIVERY_MODE_6 6u

/* The RTE fields whose change can change vioapic_level_vectors(): ops->rte_changed. */
#define RTE_EOI_RELEVANT (VIOAPIC_RTE_VECTOR_MASK | VIOAPIC_RTE_DELIVERY_MODE_MASK | \
			  VIOAPIC_RTE_LOGICAL | VIOAPIC_RTE_LEVEL | VIOAPIC_RTE_MASKED | \
			  VIOAPIC_RTE_DESTINATION_MASK)

/* ---- RTE fields ------------------------------------------------------------------------------ */

static uint8_t rte_vector(uint64_t rte)
{
	return (uint8_t)(rte & VIOAPIC_RTE_VECTOR_MASK);
}

static uint8_t rte_delivery_mode(uint64_t rte)
{
	return (uint8_t)((rte & VIOAPIC_RTE_DELIVERY_MODE_MASK) >> VIOAPIC_RTE_DELIVERY_MODE_SHIFT);
}

static uint32_t rte_destination(uint64_t rte)
{
	return (uint32_t)(rte >> VIOAPIC_RTE_DESTINATION_SHIFT);
}

static bool rte_masked(uint64_t rte)
{
	return rte & VIOAPIC_RTE_MASKED;
}

/*
 * Whether the RTE behaves as level-triggered: the trigger-mode bit set and a delivery mode that
 * carries a vector the APIC will EOI (fixed, lowest priority). SMI, NMI, INIT and ExtINT are
 * edge-triggered whatever the bit says (see the comment that opens this file).
 */
static bool rte_level_triggered(uint64_t rte)
{
	uint8_t mode = rte_delivery_mode(rte);

	return (rte & VIOAPIC_RTE_LEVEL) &&
	       (mode == VIOAPIC_DELIVERY_FIXED || mode == VIOAPIC_DELIVERY_LOWEST_PRIORITY);
}

/* The pin's interrupt input after polarity: the line at its active level. */
static bool pin_input_active(const struct vioapic *vio, unsigned pin)
{
	bool high = vio->line_high & (1u << pin);
	bool active_low = vio->rte[pin] & VIOAPIC_RTE_POLARITY_LOW;

	return high != active_low;
}

/* ---- delivery -------------------------------------------------------------------------------- */

/*
 * Sends pin `pin`'s interrupt message now (the caller checked mask and remote IRR). Sets remote
 * IRR for a level RTE that some APIC accepted. Returns whether a message was accepted.
 */
static bool vioapic_send(struct vioapic *vio, unsigned pin)
{
	uint64_t rte = vio->rte[pin];
	uint8_t mode = rte_delivery_mode(rte);
	bool level = rte_level_triggered(rte);
	bool accepted = false;

	if (mode == RESERVED_DELIVERY_MODE_3 || mode == RESERVED_DELIVERY_MODE_6) {
		vio->stats.reserved_delivery_modes++;
		return false;
	}
	vio->stats.deliveries[pin]++;
	if (vio->ops->deliver)
		accepted = vio->ops->deliver(vio->ctx, rte_destination(rte),
					     rte & VIOAPIC_RTE_LOGICAL, mode, rte_vector(rte),
					     level);
	if (!accepted) {
		vio->stats.not_accepted++;
		return false;
	}
	if (level)
		vio->rte[pin] |= VIOAPIC_RTE_REMOTE_IRR;
	return true;
}

/* A level pin's input is sampled: delivered if active, unmasked and remote IRR clear. Returns
 * whether a message went out. */
static bool vioapic_sample_level_pin(struct vioapic *vio, unsigned pin)
{
	uint64_t rte = vio->rte[pin];

	if (!rte_level_triggered(rte) || rte_masked(rte) || (rte & VIOAPIC_RTE_REMOTE_IRR) ||
	    !pin_input_active(vio, pin))
		return false;
	vioapic_send(vio, pin);
	return true;
}

void vioapic_set_pin(struct vioapic *vio, unsigned pin, bool line_high)
{
	bool was_active, active;
	uint64_t rte;

	if (pin >= VIOAPIC_PIN_COUNT) {
		vio->stats.invalid_pins++;
		return;
	}
	was_active = pin_input_active(vio, pin);
	if (line_high)
		vio->line_high |= 1u << pin;
	else
		vio->line_high &= ~(1u << pin);
	active = pin_input_active(vio, pin);
	if (!active)
		return;  /* deasserted: nothing to send (remote IRR waits for the EOI) */

	rte = vio->rte[pin];
	if (rte_level_triggered(rte)) {
		if (rte_masked(rte))
			vio->stats.masked_level_asserts++;
		else if (rte & VIOAPIC_RTE_REMOTE_IRR)
			vio->stats.coalesced++;
		else
			vioapic_send(vio, pin);
		return;
	}
	/* Edge: only a transition from inactive to active is an interrupt. */
	if (was_active)
		vio->stats.repeated_edge_asserts++;
	else if (rte_masked(rte))
		vio->stats.lost_masked++;  /* 82093AA §3.2.4: "not delivered or held pending" */
	else
		vioapic_send(vio, pin);
}

void vioapic_eoi(struct vioapic *vio, uint8_t vector)
{
	vio->stats.eois++;
	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++) {
		uint64_t rte = vio->rte[pin];

		if (rte_vector(rte) != vector || !(rte & VIOAPIC_RTE_REMOTE_IRR))
			continue;
		vio->rte[pin] = rte & ~VIOAPIC_RTE_REMOTE_IRR;
		vio->stats.remote_irr_clears++;
		if (rte_masked(rte)) {
			/* A masked RTE was in the level vectors only for this EOI. */
			if (vio->ops->rte_changed)
				vio->ops->rte_changed(vio->ctx);
			continue;
		}
		if (vioapic_sample_level_pin(vio, pin))
			vio->stats.redeliveries++;
	}
}

/* ---- registers ------------------------------------------------------------------------------- */

/* The one place an RTE dword is written (IOWIN is its only path). */
static void vioapic_write_rte(struct vioapic *vio, unsigned pin, bool high_dword, uint32_t value)
{
	uint64_t old = vio->rte[pin];
	uint64_t rte;

	if (high_dword)
		rte = (old & 0xFFFFFFFFull) | (uint64_t)value << 32;
	else
		rte = (old & ~0xFFFFFFFFull) | value;
	/* Read-only remote IRR survives the write; delivery status and reserved bits stay 0. */
	rte = (rte & VIOAPIC_RTE_WRITABLE) | (old & VIOAPIC_RTE_REMOTE_IRR);
	if (!(rte & VIOAPIC_RTE_LEVEL) && (rte & VIOAPIC_RTE_REMOTE_IRR)) {
		/* Edge now: remote IRR cleared (Linux's EOI emulation, see the top of the file). */
		rte &= ~VIOAPIC_RTE_REMOTE_IRR;
		vio->stats.remote_irr_edge_clears++;
	}
	vio->rte[pin] = rte;
	if (((old ^ rte) & RTE_EOI_RELEVANT) && vio->ops->rte_changed)
		vio->ops->rte_changed(vio->ctx);
	/* An unmask, polarity or trigger change, or a rewrite after a refused delivery: a level
	 * input that is active now is delivered. */
	if (vioapic_sample_level_pin(vio, pin))
		vio->stats.rte_write_deliveries++;
}

/* Whether IOREGSEL value `reg` selects an RTE dword, and which. */
static bool register_is_rte(uint8_t reg, unsigned *pin, bool *high_dword)
{
	if (reg < VIOAPIC_REG_REDTBL || reg >= VIOAPIC_REG_RTE_LOW(VIOAPIC_PIN_COUNT))
		return false;
	*pin = (unsigned)(reg - VIOAPIC_REG_REDTBL) / 2;
	*high_dword = (reg - VIOAPIC_REG_REDTBL) & 1;
	return true;
}

/* IOWIN read: the register IOREGSEL selects. */
static uint32_t vioapic_read_window(struct vioapic *vio)
{
	uint8_t reg = vio->ioregsel;
	unsigned pin;
	bool high_dword;

	switch (reg) {
	case VIOAPIC_REG_ID:
	case VIOAPIC_REG_ARB:
		return (uint32_t)vio->id << ID_SHIFT;
	case VIOAPIC_REG_VER:
		return VIOAPIC_VER_VALUE;
	default:
		break;
	}
	if (register_is_rte(reg, &pin, &high_dword))
		return high_dword ? (uint32_t)(vio->rte[pin] >> 32) : (uint32_t)vio->rte[pin];
	vio->stats.reserved_register_accesses++;
	return 0;
}

/* IOWIN write: the register IOREGSEL selects. */
static void vioapic_write_window(struct vioapic *vio, uint32_t value)
{
	uint8_t reg = vio->ioregsel;
	unsigned pin;
	bool high_dword;

	switch (reg) {
	case VIOAPIC_REG_ID:
		vio->id = (uint8_t)((value >> ID_SHIFT) & ID_MASK);
		return;
	case VIOAPIC_REG_VER:
	case VIOAPIC_REG_ARB:
		vio->stats.read_only_writes++;
		return;
	default:
		break;
	}
	if (register_is_rte(reg, &pin, &high_dword))
		vioapic_write_rte(vio, pin, high_dword, value);
	else
		vio->stats.reserved_register_accesses++;
}

/* Whether an MMIO access of `size` bytes at `offset` is one the model decodes at all. */
static bool mmio_access_valid(uint32_t offset, unsigned size)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	return offset < VIOAPIC_MMIO_SIZE && offset % size == 0;
}

uint32_t vioapic_mmio_read(struct vioapic *vio, uint32_t offset, unsigned size)
{
	uint32_t byte = offset & MMIO_SLOT_MASK;
	uint32_t dword;

	/* Aligned accesses never straddle byte 4 of a slot, except a qword at byte 0, which is
	 * the dword zero-extended; bytes 4–15 of every slot are unbacked. */
	if (!mmio_access_valid(offset, size) || byte >= 4) {
		vio->stats.ignored_mmio++;
		return 0;
	}
	switch (offset & ~MMIO_SLOT_MASK) {
	case VIOAPIC_IOREGSEL:
		dword = vio->ioregsel;
		break;
	case VIOAPIC_IOWIN:
		dword = vioapic_read_window(vio);
		break;
	case VIOAPIC_EOIR:
		return 0;  /* write-only */
	default:
		vio->stats.ignored_mmio++;
		return 0;
	}
	dword >>= 8 * byte;
	if (size < 4)
		dword &= (1u << (8 * size)) - 1;
	return dword;
}

void vioapic_mmio_write(struct vioapic *vio, uint32_t offset, unsigned size, uint32_t value)
{
	if (!mmio_access_valid(offset, size)) {
		vio->stats.ignored_mmio++;
		return;
	}
	switch (offset) {
	case VIOAPIC_IOREGSEL:
		vio->ioregsel = (uint8_t)(value & IOREGSEL_MASK);
		return;
	case VIOAPIC_IOWIN:
		if (size >= 4) {
			vioapic_write_window(vio, value);
			return;
		}
		break;
	case VIOAPIC_EOIR:
		if (size >= 4) {
			vio->stats.eoi_register_writes++;
			vioapic_eoi(vio, (uint8_t)(value & EOIR_VECTOR_MASK));
			return;
		}
		break;
	default:
		break;
	}
	vio->stats.ignored_mmio++;
}

/* ---- EOI-exit bitmap ------------------------------------------------------------------------- */

void vioapic_level_vectors(const struct vioapic *vio,
			   bool (*targets_vcpu)(void *ctx, uint32_t destination, bool logical),
			   void *ctx, uint64_t bitmap[4])
{
	memset(bitmap, 0, 4 * sizeof(bitmap[0]));
	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++) {
		uint64_t rte = vio->rte[pin];
		uint8_t vector = rte_vector(rte);

		if (!rte_level_triggered(rte))
			continue;
		if (rte_masked(rte) && !(rte & VIOAPIC_RTE_REMOTE_IRR))
			continue;
		if (targets_vcpu &&
		    !targets_vcpu(ctx, rte_destination(rte), rte & VIOAPIC_RTE_LOGICAL))
			continue;
		bitmap[vector / 64] |= 1ull << (vector % 64);
	}
}

/* ---- life cycle ------------------------------------------------------------------------------ */

struct vioapic *vioapic_create(const struct vioapic_ops *ops, void *ctx)
{
	for (unsigned i = 0; i < VIOAPIC_MAX_INSTANCES; i++) {
		struct vioapic *vio = &vioapic_pool[i];

		if (vio->in_use)
			continue;
		memset(vio, 0, sizeof(*vio));
		vio->in_use = true;
		vio->ops = ops ? ops : &no_ops;
		vio->ctx = ctx;
		vioapic_reset(vio);
		return vio;
	}
	return NULL;
}

void vioapic_destroy(struct vioapic *vio)
{
	if (vio)
		vio->in_use = false;
}

void vioapic_reset(struct vioapic *vio)
{
	vio->id = 0;
	vio->ioregsel = 0;
	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++)
		vio->rte[pin] = VIOAPIC_RTE_RESET;
}

const struct vioapic_stats *vioapic_stats(const struct vioapic *vio)
{
	return &vio->stats;
}

uint64_t vioapic_rte(const struct vioapic *vio, unsigned pin)
{
	return pin < VIOAPIC_PIN_COUNT ? vio->rte[pin] : 0;
}
