/* SPDX-License-Identifier: MIT */
/*
 * The virtual local APIC model (see vlapic.h). Citations are to the Intel SDM Vol. 3A chapter 11
 * "Advanced Programmable Interrupt Controller (APIC)" unless they say otherwise.
 *
 * Choices where the SDM leaves room (each also at the code):
 *   - The model is a Pentium 4 / Xeon-style xAPIC with x2APIC support: version 0x14, 7 LVT
 *     entries (max LVT entry 6, CMCI included), EOI-broadcast suppression supported.
 *   - The xAPIC ID (bits 31:24) is writable, as on the Pentium 4 and as KVM allows (§11.4.6
 *     "Local APIC ID": writability is model specific). In x2APIC mode it is read-only.
 *   - APR reads 0 (arbitration priority is not modelled; lowest-priority delivery picks self
 *     when self is a target, else lets the router choose). RRD reads 0.
 *   - SVR: all 8 vector bits writable (§11.9: P6 hard-wires bits 3:0, Pentium 4 does not);
 *     focus bit 9 stored without effect.
 *   - Software-disabled (SVR bit 8 = 0): LVT masks forced on (§11.4.7.2); fixed interrupts
 *     arriving are discarded and counted (as KVM does; the SDM only says IRR/ISR contents are
 *     held); what IRR already holds stays deliverable; NMI, INIT, SIPI still accepted, IPIs can
 *     still be sent.
 *   - An error interrupt is raised for the first error after an ESR write (or reset) only:
 *     the ESR write "rearms the APIC error interrupt triggering mechanism" (§11.5.3).
 *   - Reserved xAPIC offsets below 0x400 set ESR bit 7 on reads and writes.
 *   - Any change of the LVT timer mode disarms the timer; entering TSC-deadline mode also
 *     clears the initial count (which that mode does not use). Timer mode 11 (reserved) never
 *     runs. A divide-configuration change while counting keeps the current count and counts
 *     the rest at the new rate.
 *   - Lowest-priority IPIs are delivered to self when self is a target, otherwise handed to the
 *     router, which picks one target. INIT and start-up IPIs to self are counted as unsupported
 *     (the model cannot reset its own vCPU); those for others go to the router. SMI IPIs are
 *     ignored entirely (no SMM). INIT level de-assert does nothing (not supported on Pentium 4
 *     and Xeon, §11.6.1).
 *   - x2APIC WRMSR raises #GP for bits outside a register's defined fields; bits defined but
 *     read-only (LVT delivery status, remote IRR) are accepted and ignored, so read-modify-write
 *     sequences work.
 *   - LINT1 is always edge-triggered ("Level-sensitive interrupts are not supported for LINT1",
 *     §11.5.1); ExtINT is always level ("When the delivery mode is ExtINT, the trigger mode is
 *     always level sensitive").
 *   - The xAPIC logical broadcast (0xFF) matches every enabled APIC regardless of its LDR, as
 *     KVM does; a DFR model other than flat (1111b) or cluster (0000b) matches nothing logical.
 */
#include "vlapic.h"

#include "apic_regs.h"

/* ---- state ----------------------------------------------------------------------------------- */

/* Timer state that is not in the page. */
struct vlapic_timer {
	uint64_t deadline;       /* absolute TSC of the next expiry, 0 = disarmed; set by the
				  * initial-count, divide, LVT-timer and TSC-deadline write handlers
				  * and by vlapic_timer_expired */
	enum apic_timer_mode mode; /* the LVT timer mode the timer runs in: the page's LVT may
				  * already hold a newer value when an APIC-write exit reports it,
				  * so the handler compares against this to see a mode change */
	uint32_t divisor;        /* divisor in effect (1–128): the page's divide configuration
				  * may already be newer, for the same reason */
	uint64_t programmed;     /* writes that programmed the timer (vlapic_timer_program) */
	bool delivered_elsewhere; /* expiries are delivered by another CPU (vlapic_timer_offload) */
};

struct vlapic {
	bool in_use;             /* pool slot taken: vlapic_create/vlapic_destroy */
	uint32_t initial_apic_id; /* the x2APIC ID, fixed at creation */
	bool bsp;                /* IA32_APIC_BASE.BSP, fixed at creation */
	uint8_t *page;           /* the registers (caller's page); written by the model on the
				  * vCPU's CPU and, in the APICv modes, by that CPU in non-root mode */
	uint64_t tsc_hz;         /* the timer's input clock, fixed at creation */
	uint64_t apic_base_address_mask; /* IA32_APIC_BASE bits MAXPHYADDR-1:12 */
	const struct vlapic_ops *ops; /* never NULL (an empty table stands in) */
	void *ctx;
	uint64_t apic_base;      /* IA32_APIC_BASE as the guest wrote it (BSP bit ours) */
	uint32_t esr_pending;    /* errors detected since the last ESR write (§11.5.3); the ESR
				  * register in the page holds what the last write latched */
	bool error_interrupt_armed; /* an error may raise the LVT error interrupt: cleared when it
				  * does, set again by an ESR write (§11.5.3) */
	bool lint_asserted[2];   /* LINT0/LINT1 line levels as last reported by vlapic_set_lint */
	bool lint_remote_irr[2]; /* the LINT LVTs' remote IRR (bit 14): copied into the page on
				  * every change, and kept here because with APIC-register
				  * virtualization the CPU stores the guest's whole LVT dword
				  * (bit 14 included) before the APIC-write exit */
	struct vlapic_timer timer;
	struct vlapic_stats stats;
};

static struct vlapic vlapic_pool[VLAPIC_MAX_INSTANCES];
static const struct vlapic_ops no_ops;

#define VLAPIC_VERSION_VALUE \
	(0x14u | 6u << APIC_VERSION_MAX_LVT_SHIFT | APIC_VERSION_EOI_BROADCAST_SUPPRESSION)

/* Bits 35:12 of IA32_APIC_BASE in general, bits MAXPHYADDR-1:12 here (§11.4.4, §11.12.1). */
static uint64_t address_mask(unsigned maxphyaddr)
{
	return ((1ull << maxphyaddr) - 1) & ~0xFFFull;
}

/* Bits each register keeps (the rest read as 0), and what x2APIC WRMSR may set without #GP:
 * the defined fields, read-only ones included (their written value is ignored). */
#define LVT_TIMER_BITS (APIC_LVT_VECTOR_MASK | APIC_LVT_MASKED | APIC_LVT_TIMER_MODE_MASK)
#define LVT_LINT_BITS (APIC_LVT_VECTOR_MASK | 7u << APIC_LVT_DELIVERY_MODE_SHIFT | \
		       APIC_LVT_POLARITY_LOW | APIC_LVT_LEVEL | APIC_LVT_MASKED)
#define LVT_ERROR_BITS (APIC_LVT_VECTOR_MASK | APIC_LVT_MASKED)
#define LVT_OTHER_BITS (APIC_LVT_VECTOR_MASK | 7u << APIC_LVT_DELIVERY_MODE_SHIFT | APIC_LVT_MASKED)
#define ICR_LOW_BITS (APIC_ICR_VECTOR_MASK | 7u << APIC_ICR_DELIVERY_MODE_SHIFT | \
		      APIC_ICR_LOGICAL | APIC_ICR_LEVEL_ASSERT | APIC_ICR_TRIGGER_LEVEL | \
		      APIC_ICR_SHORTHAND_MASK)
#define SVR_BITS (APIC_SVR_VECTOR_MASK | APIC_SVR_ENABLE | APIC_SVR_FOCUS_DISABLE | \
		  APIC_SVR_EOI_BROADCAST_SUPPRESSION)
#define DIVIDE_BITS 0xBu

/*
 * The register table: who may read and write each 16-byte slot below 0x400 in each mode, and
 * for x2APIC WRMSR the bits that may be set (§11.12.1.2, Table 11-6). A slot with no access
 * bits is reserved.
 */
enum register_access {
	XAPIC_READ = 1u << 0,
	XAPIC_WRITE = 1u << 1,
	X2APIC_READ = 1u << 2,
	X2APIC_WRITE = 1u << 3,
};

struct register_info {
	uint8_t access;
	uint64_t x2apic_writable;
};

#define SLOT(offset) ((offset) >> 4)
#define RW_BOTH (XAPIC_READ | XAPIC_WRITE | X2APIC_READ | X2APIC_WRITE)
#define RO_BOTH (XAPIC_READ | X2APIC_READ)

static const struct register_info registers[APIC_REGISTER_SLOTS] = {
	[SLOT(APIC_ID)] = { XAPIC_READ | XAPIC_WRITE | X2APIC_READ, 0 },
	[SLOT(APIC_VERSION)] = { RO_BOTH, 0 },
	[SLOT(APIC_TPR)] = { RW_BOTH, 0xFF },
	[SLOT(APIC_APR)] = { XAPIC_READ, 0 },
	[SLOT(APIC_PPR)] = { RO_BOTH, 0 },
	[SLOT(APIC_EOI)] = { XAPIC_WRITE | X2APIC_WRITE, 0 },   /* x2APIC: only 0 may be written */
	[SLOT(APIC_RRD)] = { XAPIC_READ, 0 },
	[SLOT(APIC_LDR)] = { XAPIC_READ | XAPIC_WRITE | X2APIC_READ, 0 },
	[SLOT(APIC_DFR)] = { XAPIC_READ | XAPIC_WRITE, 0 },
	[SLOT(APIC_SVR)] = { RW_BOTH, SVR_BITS },
	[SLOT(APIC_ISR0) ... SLOT(APIC_ISR7)] = { RO_BOTH, 0 },
	[SLOT(APIC_TMR0) ... SLOT(APIC_TMR7)] = { RO_BOTH, 0 },
	[SLOT(APIC_IRR0) ... SLOT(APIC_IRR7)] = { RO_BOTH, 0 },
	[SLOT(APIC_ESR)] = { RW_BOTH, 0 },                       /* x2APIC: only 0 may be written */
	[SLOT(APIC_LVT_CMCI)] = { RW_BOTH, LVT_OTHER_BITS | APIC_LVT_DELIVERY_STATUS },
	/* x2APIC ICR reserved: bits 31:20, 17:16 (remote read status), 13 (§11.12.9, Figure
	 * 11-28); bit 12 (delivery status, removed in x2APIC mode) is ignored as Intel CPUs do. */
	[SLOT(APIC_ICR_LOW)] = { RW_BOTH, 0xFFFFFFFF00000000ull | ICR_LOW_BITS |
					  APIC_ICR_DELIVERY_STATUS },
	[SLOT(APIC_ICR_HIGH)] = { XAPIC_READ | XAPIC_WRITE, 0 },
	[SLOT(APIC_LVT_TIMER)] = { RW_BOTH, LVT_TIMER_BITS | APIC_LVT_DELIVERY_STATUS },
	[SLOT(APIC_LVT_THERMAL)] = { RW_BOTH, LVT_OTHER_BITS | APIC_LVT_DELIVERY_STATUS },
	[SLOT(APIC_LVT_PMC)] = { RW_BOTH, LVT_OTHER_BITS | APIC_LVT_DELIVERY_STATUS },
	[SLOT(APIC_LVT_LINT0)] = { RW_BOTH, LVT_LINT_BITS | APIC_LVT_DELIVERY_STATUS |
					    APIC_LVT_REMOTE_IRR },
	[SLOT(APIC_LVT_LINT1)] = { RW_BOTH, LVT_LINT_BITS | APIC_LVT_DELIVERY_STATUS |
					    APIC_LVT_REMOTE_IRR },
	[SLOT(APIC_LVT_ERROR)] = { RW_BOTH, LVT_ERROR_BITS | APIC_LVT_DELIVERY_STATUS },
	[SLOT(APIC_TIMER_INITIAL_COUNT)] = { RW_BOTH, 0xFFFFFFFFu },
	[SLOT(APIC_TIMER_CURRENT_COUNT)] = { RO_BOTH, 0 },
	[SLOT(APIC_TIMER_DIVIDE)] = { RW_BOTH, DIVIDE_BITS },
	[SLOT(APIC_SELF_IPI)] = { X2APIC_WRITE, APIC_ICR_VECTOR_MASK },
};

/* The LVT registers in order of their index in the version register's count. */
static const uint32_t lvt_offsets[] = {
	APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PMC, APIC_LVT_LINT0, APIC_LVT_LINT1,
	APIC_LVT_ERROR, APIC_LVT_CMCI,
};

/* ---- page access ----------------------------------------------------------------------------- */

static uint32_t reg_read(const struct vlapic *vl, uint32_t offset)
{
	return *(const uint32_t *)(vl->page + offset);
}

static void reg_write(struct vlapic *vl, uint32_t offset, uint32_t value)
{
	*(uint32_t *)(vl->page + offset) = value;
}

static bool vector_test(const struct vlapic *vl, uint32_t base, uint8_t vector)
{
	return reg_read(vl, apic_vector_dword_offset(base, vector)) & (1u << (vector % 32));
}

static void vector_set(struct vlapic *vl, uint32_t base, uint8_t vector)
{
	uint32_t offset = apic_vector_dword_offset(base, vector);

	reg_write(vl, offset, reg_read(vl, offset) | 1u << (vector % 32));
}

static void vector_clear(struct vlapic *vl, uint32_t base, uint8_t vector)
{
	uint32_t offset = apic_vector_dword_offset(base, vector);

	reg_write(vl, offset, reg_read(vl, offset) & ~(1u << (vector % 32)));
}

/* The highest vector set in the 256-bit register at `base`, -1 if none. */
static int vector_highest(const struct vlapic *vl, uint32_t base)
{
	for (int dword = 7; dword >= 0; dword--) {
		uint32_t bits = reg_read(vl, base + 0x10u * (uint32_t)dword);

		if (bits)
			return dword * 32 + 31 - __builtin_clz(bits);
	}
	return -1;
}

static bool is_x2apic(const struct vlapic *vl)
{
	return (vl->apic_base & (APIC_BASE_MSR_EN | APIC_BASE_MSR_EXTD)) ==
	       (APIC_BASE_MSR_EN | APIC_BASE_MSR_EXTD);
}

static bool is_hw_enabled(const struct vlapic *vl)
{
	return vl->apic_base & APIC_BASE_MSR_EN;
}

static bool is_sw_enabled(const struct vlapic *vl)
{
	return is_hw_enabled(vl) && (reg_read(vl, APIC_SVR) & APIC_SVR_ENABLE);
}

static uint64_t now(const struct vlapic *vl)
{
	return vl->ops->now ? vl->ops->now(vl->ctx) : 0;
}

/* ---- priority (§11.8.3.1 "Task and Processor Priorities") ----------------------------------- */

static uint32_t compute_ppr(const struct vlapic *vl)
{
	int isr = vector_highest(vl, APIC_ISR0);

	return apic_processor_priority(reg_read(vl, APIC_TPR), isr < 0 ? 0 : (uint32_t)isr);
}

/*
 * Rewrites PPR in the page. Called whenever TPR or ISR changes, and before PPR is read: in
 * tpr-shadow mode the CPU changes the TPR (MOV to CR8, MMIO writes to offset 0x80) without
 * updating the PPR (SDM Vol. 3C §30.1.2 "TPR Virtualization" does PPR virtualization only with
 * virtual-interrupt delivery), so the page's PPR is recomputed rather than trusted.
 */
static void update_ppr(struct vlapic *vl)
{
	reg_write(vl, APIC_PPR, compute_ppr(vl));
}

/* ---- errors (§11.5.3 "Error Handling") --------------------------------------------------------- */

static bool accept_fixed(struct vlapic *vl, uint8_t vector, bool level);

/*
 * Records `bits` in the error accumulator, and raises the LVT error interrupt if it is unmasked
 * and armed. §11.5.3: a write to the ESR "also rearms the APIC error interrupt triggering
 * mechanism", so after one error interrupt, further errors only accumulate until that write.
 * An illegal vector in the LVT error entry is one more error, recorded without recursion.
 */
static void record_error(struct vlapic *vl, uint32_t bits)
{
	uint32_t lvt = reg_read(vl, APIC_LVT_ERROR);
	uint8_t vector = lvt & APIC_LVT_VECTOR_MASK;

	vl->esr_pending |= bits;
	vl->stats.errors++;
	if ((lvt & APIC_LVT_MASKED) || !vl->error_interrupt_armed)
		return;
	vl->error_interrupt_armed = false;
	if (vector < 16) {
		vl->esr_pending |= APIC_ESR_RECEIVE_ILLEGAL_VECTOR;
		vl->stats.illegal_vectors++;
		return;
	}
	accept_fixed(vl, vector, false);
}

/* ---- acceptance (§11.8.4 "Interrupt Acceptance for Fixed Interrupts") ---------------------------- */

/*
 * Latches a fixed interrupt into IRR and sets (level) or clears (edge) its TMR bit. Returns
 * whether it was accepted. §11.5.2 "Valid Interrupt Vectors": vectors 0–15 are reserved; the
 * receiving APIC flags "Receive Illegal Vector" instead of accepting. While the APIC is
 * hardware- or software-disabled the interrupt is discarded (file comment).
 */
static bool accept_fixed(struct vlapic *vl, uint8_t vector, bool level)
{
	if (!is_sw_enabled(vl)) {
		vl->stats.dropped_disabled++;
		return false;
	}
	if (vector < 16) {
		vl->stats.illegal_vectors++;
		record_error(vl, APIC_ESR_RECEIVE_ILLEGAL_VECTOR);
		return false;
	}
	vl->stats.accepted++;
	if (level) {
		vector_set(vl, APIC_TMR0, vector);
	} else {
		vector_clear(vl, APIC_TMR0, vector);
		if (vl->ops->post && vl->ops->post(vl->ctx, vector))
			return true; /* IRR is set when the descriptor is processed */
	}
	vector_set(vl, APIC_IRR0, vector);
	return true;
}

static void raise_nmi(struct vlapic *vl)
{
	vl->stats.nmis++;
	if (vl->ops->nmi)
		vl->ops->nmi(vl->ctx);
}

static void raise_extint(struct vlapic *vl)
{
	vl->stats.extints++;
	if (vl->ops->extint)
		vl->ops->extint(vl->ctx);
}

/* ---- LINT pins --------------------------------------------------------------------------------- */

static uint32_t lint_offset(unsigned pin)
{
	return pin == 0 ? APIC_LVT_LINT0 : APIC_LVT_LINT1;
}

static void set_lint_remote_irr(struct vlapic *vl, unsigned pin, bool on)
{
	uint32_t offset = lint_offset(pin);
	uint32_t lvt = reg_read(vl, offset) & ~APIC_LVT_REMOTE_IRR;

	vl->lint_remote_irr[pin] = on;
	reg_write(vl, offset, lvt | (on ? APIC_LVT_REMOTE_IRR : 0));
}

/* Whether LINT `pin` is a level-triggered fixed input: only LINT0 can be (§11.5.1). */
static bool lint_is_level_fixed(const struct vlapic *vl, unsigned pin)
{
	uint32_t lvt = reg_read(vl, lint_offset(pin));

	return pin == 0 && (lvt & APIC_LVT_LEVEL) &&
	       ((lvt >> APIC_LVT_DELIVERY_MODE_SHIFT) & 7) == APIC_DELIVERY_FIXED;
}

/* Accepts the level-triggered LINT0 interrupt if the line is high and no earlier one is still
 * in service (remote IRR clear). */
static void lint_level_accept(struct vlapic *vl, unsigned pin)
{
	uint32_t lvt = reg_read(vl, lint_offset(pin));

	if (!vl->lint_asserted[pin] || vl->lint_remote_irr[pin] || (lvt & APIC_LVT_MASKED))
		return;
	/* §11.5.1 "Remote IRR Flag": "set when the local APIC accepts the interrupt for servicing
	 * and is reset when an EOI command is received from the processor". */
	if (accept_fixed(vl, lvt & APIC_LVT_VECTOR_MASK, true))
		set_lint_remote_irr(vl, pin, true);
}

void vlapic_set_lint(struct vlapic *vl, unsigned pin, bool asserted)
{
	bool rising;
	uint32_t lvt;

	if (pin > 1)
		return;
	rising = asserted && !vl->lint_asserted[pin];
	vl->lint_asserted[pin] = asserted;

	if (!is_hw_enabled(vl)) {
		/* §11.4.3: with the APIC globally disabled the processor behaves as one without an
		 * APIC, whose LINT0/LINT1 pins are INTR and NMI. */
		if (pin == 0 && asserted)
			raise_extint(vl);
		else if (pin == 1 && rising)
			raise_nmi(vl);
		return;
	}
	lvt = reg_read(vl, lint_offset(pin));
	if (!asserted || (lvt & APIC_LVT_MASKED))
		return;
	switch ((lvt >> APIC_LVT_DELIVERY_MODE_SHIFT) & 7) {
	case APIC_DELIVERY_FIXED:
		if (lint_is_level_fixed(vl, pin))
			lint_level_accept(vl, pin);
		else if (rising)
			accept_fixed(vl, lvt & APIC_LVT_VECTOR_MASK, false);
		break;
	case APIC_DELIVERY_NMI:
		if (rising)
			raise_nmi(vl);
		break;
	case APIC_DELIVERY_EXTINT:
		raise_extint(vl);  /* always level-sensitive (§11.5.1) */
		break;
	case APIC_DELIVERY_SMI:
		if (rising)
			vl->stats.smis_ignored++;
		break;
	default:
		/* INIT through an LVT entry, or a reserved delivery mode. */
		if (rising)
			vl->stats.unsupported++;
		break;
	}
}

/* Delivers the interrupt of an internal LVT source (timer, error: edge-triggered, §11.5.1 "The
 * timer and error interrupts are always treated as edge sensitive"). */
static void lvt_deliver_edge(struct vlapic *vl, uint32_t offset)
{
	uint32_t lvt = reg_read(vl, offset);

	if (!(lvt & APIC_LVT_MASKED))
		accept_fixed(vl, lvt & APIC_LVT_VECTOR_MASK, false);
}

/* ---- EOI (§11.8.5 "Signaling Interrupt Servicing Completion") -------------------------------- */

/*
 * What follows the retirement of `vector` from ISR, for every EOI path (EOI register, x2APIC
 * MSR, APIC-write and EOI-induced exits): the LINT0 remote IRR, then the broadcast to the
 * IOAPIC. §11.8.5: "If the terminated interrupt was a level-triggered interrupt, the local APIC
 * also sends an end-of-interrupt message to all I/O APICs" — unless "EOI-broadcast suppression"
 * (SVR bit 12) is set, when "the processor does not broadcast EOI messages" and software
 * directs the EOI to the IOAPIC itself.
 */
static void eoi_retired(struct vlapic *vl, uint8_t vector)
{
	vl->stats.eois++;
	for (unsigned pin = 0; pin < 2; pin++) {
		if (vl->lint_remote_irr[pin] &&
		    (reg_read(vl, lint_offset(pin)) & APIC_LVT_VECTOR_MASK) == vector) {
			set_lint_remote_irr(vl, pin, false);
			if (lint_is_level_fixed(vl, pin))
				lint_level_accept(vl, pin); /* the line is still high */
		}
	}
	if (!vector_test(vl, APIC_TMR0, vector))
		return;
	if (reg_read(vl, APIC_SVR) & APIC_SVR_EOI_BROADCAST_SUPPRESSION) {
		vl->stats.suppressed_level_eois++;
		return;
	}
	vl->stats.level_eois++;
	if (vl->ops->eoi_level)
		vl->ops->eoi_level(vl->ctx, vector);
}

/* The EOI register: clears the highest ISR bit (§11.8.5: "the local APIC ... clears the highest
 * priority bit in the ISR"). An EOI with an empty ISR does nothing. */
static void write_eoi(struct vlapic *vl)
{
	int vector = vector_highest(vl, APIC_ISR0);

	if (vector < 0)
		return;
	vector_clear(vl, APIC_ISR0, (uint8_t)vector);
	update_ppr(vl);
	eoi_retired(vl, (uint8_t)vector);
}

/* ---- timer (§11.5.4 "APIC Timer") --------------------------------------------------------------- */

static void timer_set_deadline(struct vlapic *vl, uint64_t deadline)
{
	if (vl->timer.deadline == deadline)
		return;
	vl->timer.deadline = deadline;
	if (vl->ops->timer_changed)
		vl->ops->timer_changed(vl->ctx);
}

/* A write programmed the timer (as opposed to an expiry moving it on): whoever delivers the
 * expiries elsewhere takes the new programming (vlapic_timer_program). */
static void timer_program(struct vlapic *vl, uint64_t deadline)
{
	vl->timer.programmed++;
	timer_set_deadline(vl, deadline);
}

/* Initial count × divisor, at least VLAPIC_MIN_PERIOD_US; 0 when the count is 0. */
static uint64_t period_of(const struct vlapic *vl, uint32_t count)
{
	uint64_t period = (uint64_t)count * vl->timer.divisor;
	uint64_t shortest = vl->tsc_hz * VLAPIC_MIN_PERIOD_US / 1000000u;

	return period && period < shortest ? shortest : period;
}

/* The periodic timer's period in TSC cycles (period_of), counted when lengthened. */
static uint64_t periodic_period(struct vlapic *vl, uint32_t count)
{
	uint64_t period = period_of(vl, count);

	if (period != (uint64_t)count * vl->timer.divisor)
		vl->stats.timer_periods_clamped++;
	return period;
}

static bool timer_counts(const struct vlapic *vl)
{
	return vl->timer.mode == APIC_TIMER_ONE_SHOT || vl->timer.mode == APIC_TIMER_PERIODIC;
}

/*
 * The current count at TSC `t`: the count started at the initial count and loses one every
 * `divisor` TSC cycles, reaching 0 at the deadline. Between deadline - count * divisor and the
 * deadline that is ceil((deadline - t) / divisor). A periodic count late past its deadline has
 * reloaded and runs on; a one-shot one stays at 0. TSC-deadline mode reads 0 (§11.5.4.1: "the
 * current-count register always reads 0").
 */
static uint32_t timer_current_count(const struct vlapic *vl, uint64_t t)
{
	uint64_t divisor = vl->timer.divisor;
	uint64_t period;

	if (!vl->timer.deadline || !timer_counts(vl))
		return 0;
	if (t < vl->timer.deadline) {
		uint64_t count = (vl->timer.deadline - t + divisor - 1) / divisor;
		uint32_t initial = reg_read(vl, APIC_TIMER_INITIAL_COUNT);

		/* A clamped period runs longer than the count: it reads as the count at most. */
		return count > initial ? initial : (uint32_t)count;
	}
	if (vl->timer.mode != APIC_TIMER_PERIODIC)
		return 0;
	period = (uint64_t)reg_read(vl, APIC_TIMER_INITIAL_COUNT) * divisor;
	if (!period)
		return 0;
	return (uint32_t)((period - (t - vl->timer.deadline) % period + divisor - 1) / divisor);
}

/* Initial count: "writing to the initial-count register starts the timer" in one-shot and
 * periodic modes; "a write of 0 to the initial-count register effectively stops the local APIC
 * timer"; in TSC-deadline mode "writes to the initial-count register are ignored" (§11.5.4,
 * §11.5.4.1). */
static void write_initial_count(struct vlapic *vl, uint32_t count)
{
	if (vl->timer.mode == APIC_TIMER_TSC_DEADLINE) {
		reg_write(vl, APIC_TIMER_INITIAL_COUNT, 0);
		return;
	}
	reg_write(vl, APIC_TIMER_INITIAL_COUNT, count);
	if (!timer_counts(vl)) {
		/* Mode 11 is reserved: the count is stored, nothing runs. */
		if (count)
			vl->stats.unsupported++;
		timer_program(vl, 0);
		return;
	}
	if (vl->timer.mode == APIC_TIMER_PERIODIC)
		timer_program(vl, count ? now(vl) + periodic_period(vl, count) : 0);
	else
		timer_program(vl, count ? now(vl) + (uint64_t)count * vl->timer.divisor : 0);
}

/* Divide configuration: bits 0, 1, 3 (§11.5.4, Figure 11-10). A change while the timer counts
 * keeps the current count and counts the rest at the new rate; the SDM does not say, and KVM
 * likewise rescales the remaining time. */
static void write_divide(struct vlapic *vl, uint32_t value)
{
	uint32_t divisor = apic_timer_divisor(value & DIVIDE_BITS);
	uint64_t t;

	reg_write(vl, APIC_TIMER_DIVIDE, value & DIVIDE_BITS);
	if (divisor == vl->timer.divisor)
		return;
	if (vl->timer.deadline && timer_counts(vl)) {
		t = now(vl);
		if (t < vl->timer.deadline) {
			uint32_t remaining = timer_current_count(vl, t);

			vl->timer.divisor = divisor;
			timer_program(vl, t + (uint64_t)remaining * divisor);
			return;
		}
	}
	vl->timer.divisor = divisor;
}

/* IA32_TSC_DEADLINE write (§11.5.4.1 "TSC-Deadline Mode"): arms the timer for that TSC value, 0
 * disarms; "In other timer modes (LVT bit 18 = 0), writes to IA32_TSC_DEADLINE are ignored". */
static void write_tsc_deadline(struct vlapic *vl, uint64_t value)
{
	if (vl->timer.mode == APIC_TIMER_TSC_DEADLINE)
		timer_program(vl, value);
}

void vlapic_timer_expired(struct vlapic *vl)
{
	uint64_t t = now(vl);
	uint64_t deadline = vl->timer.deadline;
	uint64_t period, late;

	if (!deadline || t < deadline)
		return;
	/* Delivered and counted by the CPU that keeps the time: here the timer only moves on. */
	if (!vl->timer.delivered_elsewhere) {
		vl->stats.timer_ticks++;
		/* A masked timer counts but does not interrupt (§11.5.1 "Mask" flag). */
		lvt_deliver_edge(vl, APIC_LVT_TIMER);
	}
	if (vl->timer.mode != APIC_TIMER_PERIODIC) {
		/* One-shot ends at 0; TSC-deadline "disarms the timer" and the MSR reads 0. */
		timer_set_deadline(vl, 0);
		return;
	}
	period = periodic_period(vl, reg_read(vl, APIC_TIMER_INITIAL_COUNT));
	if (!period) {
		timer_set_deadline(vl, 0);
		return;
	}
	/* Expiries at deadline, deadline + period, ... up to t all fall into the interrupt just
	 * delivered: IRR holds one bit per vector. The next deadline is the first after t. */
	deadline = apic_timer_next_period(deadline, period, t, &late);
	if (!vl->timer.delivered_elsewhere)
		vl->stats.timer_missed_ticks += late;
	timer_set_deadline(vl, deadline);
}

void vlapic_timer_program(const struct vlapic *vl, struct vlapic_timer_programming *out)
{
	out->programmed = vl->timer.programmed;
	out->deadline = vl->timer.deadline;
	out->period = vl->timer.mode == APIC_TIMER_PERIODIC
			      ? period_of(vl, reg_read(vl, APIC_TIMER_INITIAL_COUNT)) : 0;
	out->lvt = reg_read(vl, APIC_LVT_TIMER);
}

void vlapic_timer_offload(struct vlapic *vl, bool delivered_elsewhere)
{
	vl->timer.delivered_elsewhere = delivered_elsewhere;
}

/* ---- LVT (§11.5.1 "Local Vector Table") ------------------------------------------------------- */

static uint32_t lvt_bits(uint32_t offset)
{
	switch (offset) {
	case APIC_LVT_TIMER:
		return LVT_TIMER_BITS;
	case APIC_LVT_LINT0:
	case APIC_LVT_LINT1:
		return LVT_LINT_BITS;
	case APIC_LVT_ERROR:
		return LVT_ERROR_BITS;
	default:
		return LVT_OTHER_BITS;
	}
}

/*
 * One write handler for all seven LVT entries. Read-only bits (delivery status, remote IRR) keep
 * the model's values; while software-disabled the mask bit cannot be cleared (§11.4.7.2: "The
 * mask bits for all the LVT entries are set. Attempts to reset these bits will be ignored.").
 * The timer's mode change disarms it (§11.5.4.1: "Transitioning between TSC-deadline mode and
 * other timer modes also disarms the timer"; here every mode change does).
 */
static void write_lvt(struct vlapic *vl, uint32_t offset, uint32_t value)
{
	uint32_t lvt = value & lvt_bits(offset);

	if (!is_sw_enabled(vl))
		lvt |= APIC_LVT_MASKED;
	if (offset == APIC_LVT_LINT0 && vl->lint_remote_irr[0])
		lvt |= APIC_LVT_REMOTE_IRR;
	if (offset == APIC_LVT_LINT1 && vl->lint_remote_irr[1])
		lvt |= APIC_LVT_REMOTE_IRR;
	reg_write(vl, offset, lvt);

	if (offset == APIC_LVT_TIMER) {
		enum apic_timer_mode mode = (lvt & APIC_LVT_TIMER_MODE_MASK) >> APIC_LVT_TIMER_MODE_SHIFT;

		if (mode != vl->timer.mode) {
			bool counting = timer_counts(vl);

			vl->timer.mode = mode;
			/* One-shot <-> periodic: the count runs on, the new mode says what its end
			 * does (hardware and KVM alike; §11.5.4 names no disarming there). A change
			 * to or from TSC-deadline mode disarms the timer (§11.5.4.1 "TSC-Deadline
			 * Mode"), and the reserved mode never counts. */
			if (counting && timer_counts(vl)) {
				timer_program(vl, vl->timer.deadline);
			} else {
				timer_program(vl, 0);
				if (mode == APIC_TIMER_TSC_DEADLINE)
					reg_write(vl, APIC_TIMER_INITIAL_COUNT, 0);
			}
		}
	} else if (offset == APIC_LVT_LINT0 || offset == APIC_LVT_LINT1) {
		unsigned pin = offset == APIC_LVT_LINT0 ? 0 : 1;

		/* A level-sensitive input that is high when its entry is unmasked is seen now; an
		 * edge that came while masked is lost. */
		if (!(lvt & APIC_LVT_MASKED) && vl->lint_asserted[pin]) {
			if (((lvt >> APIC_LVT_DELIVERY_MODE_SHIFT) & 7) == APIC_DELIVERY_EXTINT)
				raise_extint(vl);
			else if (lint_is_level_fixed(vl, pin))
				lint_level_accept(vl, pin);
		}
	}
}

/* ---- other registers ----------------------------------------------------------------------- */

/* xAPIC ID: bits 31:24 writable (file comment); read-only in x2APIC mode (never reached). */
static void write_id(struct vlapic *vl, uint32_t value)
{
	reg_write(vl, APIC_ID, value & 0xFF000000u);
}

static void write_tpr(struct vlapic *vl, uint32_t value)
{
	reg_write(vl, APIC_TPR, value & 0xFFu);
	update_ppr(vl);
}

/* xAPIC LDR: logical APIC ID in bits 31:24 (§11.6.2.2, Figure 11-13). */
static void write_ldr(struct vlapic *vl, uint32_t value)
{
	reg_write(vl, APIC_LDR, value & 0xFF000000u);
}

/* DFR: model in bits 31:28; bits 27:0 are reserved and read as ones (Figure 11-14). */
static void write_dfr(struct vlapic *vl, uint32_t value)
{
	reg_write(vl, APIC_DFR, value | 0x0FFFFFFFu);
}

/* SVR: clearing bit 8 software-disables the APIC and sets every LVT mask (§11.4.7.2); setting
 * it leaves the masks to software. */
static void write_svr(struct vlapic *vl, uint32_t value)
{
	reg_write(vl, APIC_SVR, value & SVR_BITS);
	if (value & APIC_SVR_ENABLE)
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(lvt_offsets); i++)
		reg_write(vl, lvt_offsets[i], reg_read(vl, lvt_offsets[i]) | APIC_LVT_MASKED);
}

/* ESR: "This write clears any previously logged errors and updates the ESR with any errors
 * detected since the last write to the ESR. This write also rearms the APIC error interrupt
 * triggering mechanism." (§11.5.3). The value written does not matter (x2APIC: must be 0,
 * checked by the MSR path). */
static void write_esr(struct vlapic *vl)
{
	reg_write(vl, APIC_ESR, vl->esr_pending);
	vl->esr_pending = 0;
	vl->error_interrupt_armed = true;
}

/* ---- IPIs (§11.6 "Issuing Interprocessor Interrupts") ---------------------------------------- */

bool vlapic_match_destination(const struct vlapic *vl, uint32_t destination, bool logical)
{
	uint32_t ldr = reg_read(vl, APIC_LDR);
	uint32_t model;

	if (!is_hw_enabled(vl))
		return false;
	if (is_x2apic(vl)) {
		/* §11.12.9: broadcast 0xFFFFFFFF; §11.12.10 "Logical Destination Mode in x2APIC
		 * Mode": cluster in bits 31:16, member bitmap in 15:0. */
		if (destination == APIC_X2APIC_BROADCAST)
			return true;
		if (!logical)
			return destination == reg_read(vl, APIC_ID);
		return (destination >> 16) == (ldr >> 16) && (destination & ldr & 0xFFFFu);
	}
	destination &= 0xFFu;
	if (destination == APIC_XAPIC_BROADCAST)
		return true;
	if (!logical)
		return destination == reg_read(vl, APIC_ID) >> 24;
	ldr >>= 24;
	model = reg_read(vl, APIC_DFR) >> APIC_DFR_MODEL_SHIFT;
	if (model == APIC_DFR_MODEL_FLAT)
		/* §11.6.2.2 "Flat Model": "the interrupt is accepted if the bitwise AND of the MDA
		 * and the logical APIC ID is not zero". */
		return (destination & ldr) != 0;
	if (model == APIC_DFR_MODEL_CLUSTER)
		/* "Cluster Model": bits 7:4 of the MDA select the cluster, bits 3:0 members. */
		return (destination >> 4) == (ldr >> 4) && (destination & ldr & 0xFu);
	return false;
}

/*
 * Carries out an IPI command: ICR low `icr` (as stored) to `destination` (sender's format).
 * The sender's own part is delivered here; the part for others goes to ops->send_ipi.
 */
static void send_ipi(struct vlapic *vl, uint32_t icr, uint32_t destination)
{
	uint8_t vector = icr & APIC_ICR_VECTOR_MASK;
	unsigned mode = (icr >> APIC_ICR_DELIVERY_MODE_SHIFT) & 7;
	bool logical = icr & APIC_ICR_LOGICAL;
	bool self = false, others = false;
	bool broadcast;

	switch (mode) {
	case APIC_DELIVERY_FIXED:
	case APIC_DELIVERY_LOWEST_PRIORITY:
		/* §11.5.2: the sending APIC flags "Send Illegal Vector" and sends nothing. */
		if (vector < 16) {
			vl->stats.illegal_vectors++;
			record_error(vl, APIC_ESR_SEND_ILLEGAL_VECTOR);
			return;
		}
		break;
	case APIC_DELIVERY_SMI:
		vl->stats.smis_ignored++;
		return;
	case APIC_DELIVERY_INIT:
		/* INIT level de-assert (level 0, trigger level) "is not supported in the Pentium 4
		 * and Intel Xeon processors" (§11.6.1): nothing happens. */
		if (!(icr & APIC_ICR_LEVEL_ASSERT) && (icr & APIC_ICR_TRIGGER_LEVEL))
			return;
		break;
	case APIC_DELIVERY_NMI:
	case APIC_DELIVERY_STARTUP:
		break;
	default:
		vl->stats.unsupported++; /* reserved delivery modes 011b and 111b */
		return;
	}
	vl->stats.ipis_sent++;

	switch ((icr & APIC_ICR_SHORTHAND_MASK) >> APIC_ICR_SHORTHAND_SHIFT) {
	case APIC_SHORTHAND_NONE:
		self = vlapic_match_destination(vl, destination, logical);
		broadcast = is_x2apic(vl) ? destination == APIC_X2APIC_BROADCAST
					  : (destination & 0xFF) == APIC_XAPIC_BROADCAST;
		/* A physical destination other than our own ID, a broadcast, and any logical
		 * destination (other LDRs may match too) reach others. */
		others = logical || broadcast || !self;
		break;
	case APIC_SHORTHAND_SELF:
		self = true;
		break;
	case APIC_SHORTHAND_ALL_INCLUDING_SELF:
		self = others = true;
		break;
	case APIC_SHORTHAND_ALL_EXCLUDING_SELF:
		others = true;
		break;
	}
	/* Lowest priority picks one target among those named; self is as good as any
	 * (arbitration priority is not modelled). */
	if (mode == APIC_DELIVERY_LOWEST_PRIORITY && self)
		others = false;

	if (self) {
		switch (mode) {
		case APIC_DELIVERY_FIXED:
		case APIC_DELIVERY_LOWEST_PRIORITY:
			/* IPIs are edge-triggered: the ICR trigger bit only qualifies INIT
			 * de-assert (§11.6.1 "Trigger Mode"). */
			accept_fixed(vl, vector, false);
			break;
		case APIC_DELIVERY_NMI:
			raise_nmi(vl);
			break;
		default:
			vl->stats.unsupported++; /* INIT or start-up to self */
			break;
		}
	}
	if (others) {
		vl->stats.ipis_to_others++;
		if (vl->ops->send_ipi)
			vl->ops->send_ipi(vl->ctx, icr, destination);
	}
}

/* ICR: `value` is the low dword (xAPIC: destination from ICR high at 0x310) or, in x2APIC mode,
 * the 64-bit register (destination in bits 63:32, stored at 0x304). Delivery status reads 0:
 * delivery is complete when the write returns. */
static void write_icr(struct vlapic *vl, uint64_t value)
{
	uint32_t icr = (uint32_t)value & ICR_LOW_BITS;
	uint32_t destination;

	reg_write(vl, APIC_ICR_LOW, icr);
	if (is_x2apic(vl)) {
		destination = (uint32_t)(value >> 32);
		reg_write(vl, APIC_ICR_X2APIC_DESTINATION, destination);
	} else {
		destination = reg_read(vl, APIC_ICR_HIGH) >> APIC_ICR_XAPIC_DESTINATION_SHIFT;
	}
	send_ipi(vl, icr, destination);
}

/* xAPIC ICR high: destination in bits 31:24; no side effect until ICR low is written. */
static void write_icr_high(struct vlapic *vl, uint32_t value)
{
	reg_write(vl, APIC_ICR_HIGH, value & 0xFF000000u);
}

/* x2APIC SELF IPI (§11.12.11 "SELF IPI Register"): a fixed, edge IPI to self with the vector in
 * bits 7:0 — the same command as an ICR write with the self shorthand, without touching ICR. */
static void write_self_ipi(struct vlapic *vl, uint32_t value)
{
	send_ipi(vl, (value & APIC_ICR_VECTOR_MASK) |
		     APIC_SHORTHAND_SELF << APIC_ICR_SHORTHAND_SHIFT, 0);
}

/* ---- dispatch ------------------------------------------------------------------------------ */

/*
 * The one place a register write takes effect, for every path: MMIO, WRMSR, APIC-write exits,
 * CR8. `offset` is a writable register in the current mode; `value` is 32 bits except for the
 * x2APIC ICR.
 */
static void register_write(struct vlapic *vl, uint32_t offset, uint64_t value)
{
	uint32_t low = (uint32_t)value;

	switch (offset) {
	case APIC_ID:
		write_id(vl, low);
		break;
	case APIC_TPR:
		write_tpr(vl, low);
		break;
	case APIC_EOI:
		write_eoi(vl);
		break;
	case APIC_LDR:
		write_ldr(vl, low);
		break;
	case APIC_DFR:
		write_dfr(vl, low);
		break;
	case APIC_SVR:
		write_svr(vl, low);
		break;
	case APIC_ESR:
		write_esr(vl);
		break;
	case APIC_ICR_LOW:
		write_icr(vl, value);
		break;
	case APIC_ICR_HIGH:
		write_icr_high(vl, low);
		break;
	case APIC_LVT_CMCI:
	case APIC_LVT_TIMER:
	case APIC_LVT_THERMAL:
	case APIC_LVT_PMC:
	case APIC_LVT_LINT0:
	case APIC_LVT_LINT1:
	case APIC_LVT_ERROR:
		write_lvt(vl, offset, low);
		break;
	case APIC_TIMER_INITIAL_COUNT:
		write_initial_count(vl, low);
		break;
	case APIC_TIMER_DIVIDE:
		write_divide(vl, low);
		break;
	case APIC_SELF_IPI:
		write_self_ipi(vl, low);
		break;
	default:
		break;
	}
}

/* The value a read of the register at `offset` returns; PPR and the current count are computed
 * and stored into the page first. */
static uint32_t register_read(struct vlapic *vl, uint32_t offset)
{
	switch (offset) {
	case APIC_PPR:
		update_ppr(vl);
		break;
	case APIC_TIMER_CURRENT_COUNT:
		reg_write(vl, offset, timer_current_count(vl, now(vl)));
		break;
	case APIC_EOI:
	case APIC_SELF_IPI:
		return 0; /* write-only */
	default:
		break;
	}
	return reg_read(vl, offset);
}

/* ---- MMIO (xAPIC) --------------------------------------------------------------------------- */

enum vlapic_status vlapic_mmio_read(struct vlapic *vl, uint32_t offset, unsigned size,
				    uint32_t *value)
{
	uint32_t slot_offset = offset & ~0xFu, byte = offset & 0xFu;
	uint64_t bytes;

	if (!is_hw_enabled(vl) || is_x2apic(vl) || offset >= 4096)
		return VLAPIC_NOT_APIC;
	*value = 0;
	if (slot_offset >= APIC_REGISTER_SPACE_END)
		return VLAPIC_OK;
	if (!(registers[SLOT(slot_offset)].access & (XAPIC_READ | XAPIC_WRITE))) {
		/* Reserved in xAPIC mode (SELF IPI at 0x3F0 included). */
		record_error(vl, APIC_ESR_ILLEGAL_REGISTER_ADDRESS);
		return VLAPIC_OK;
	}
	if (byte >= 4 || !(registers[SLOT(slot_offset)].access & XAPIC_READ))
		return VLAPIC_OK;
	/* Bytes 0–3 of the slot are the register, the rest read 0 (vlapic.h). */
	bytes = register_read(vl, slot_offset) >> (8 * byte);
	if (size < 4)
		bytes &= (1ull << (8 * size)) - 1;
	*value = (uint32_t)bytes;
	return VLAPIC_OK;
}

enum vlapic_status vlapic_mmio_write(struct vlapic *vl, uint32_t offset, unsigned size,
				     uint32_t value)
{
	uint32_t slot_offset = offset & ~0xFu;

	if (!is_hw_enabled(vl) || is_x2apic(vl) || offset >= 4096)
		return VLAPIC_NOT_APIC;
	if (slot_offset >= APIC_REGISTER_SPACE_END)
		return VLAPIC_OK;
	if (!(registers[SLOT(slot_offset)].access & (XAPIC_READ | XAPIC_WRITE))) {
		/* Reserved in xAPIC mode (SELF IPI at 0x3F0 included). */
		record_error(vl, APIC_ESR_ILLEGAL_REGISTER_ADDRESS);
		return VLAPIC_OK;
	}
	if (size != 4 || offset != slot_offset) {
		vl->stats.ignored_mmio_writes++;
		return VLAPIC_OK;
	}
	if (registers[SLOT(offset)].access & XAPIC_WRITE)
		register_write(vl, offset, value);
	return VLAPIC_OK;
}

/* ---- MSRs ------------------------------------------------------------------------------------ */

enum vlapic_status vlapic_msr_read(struct vlapic *vl, uint32_t msr, uint64_t *value)
{
	uint32_t offset;

	*value = 0;
	if (msr == APIC_MSR_APIC_BASE) {
		*value = vl->apic_base;
		return VLAPIC_OK;
	}
	if (msr == APIC_MSR_TSC_DEADLINE) {
		/* Reads 0 outside TSC-deadline mode and once the deadline has passed (§11.5.4.1). */
		if (vl->timer.mode == APIC_TIMER_TSC_DEADLINE)
			*value = vl->timer.deadline;
		return VLAPIC_OK;
	}
	if (msr < APIC_MSR_X2APIC_FIRST || msr > APIC_MSR_X2APIC_LAST || !is_x2apic(vl))
		return VLAPIC_GP;
	offset = apic_x2apic_msr_offset(msr);
	if (offset >= APIC_REGISTER_SPACE_END || !(registers[SLOT(offset)].access & X2APIC_READ))
		return VLAPIC_GP;
	*value = register_read(vl, offset);
	if (offset == APIC_ICR_LOW)
		*value |= (uint64_t)reg_read(vl, APIC_ICR_X2APIC_DESTINATION) << 32;
	return VLAPIC_OK;
}

enum vlapic_status vlapic_msr_write(struct vlapic *vl, uint32_t msr, uint64_t value)
{
	uint32_t offset;

	if (msr == APIC_MSR_APIC_BASE)
		return vlapic_set_apic_base(vl, value) ? VLAPIC_OK : VLAPIC_GP;
	if (msr == APIC_MSR_TSC_DEADLINE) {
		write_tsc_deadline(vl, value);
		return VLAPIC_OK;
	}
	if (msr < APIC_MSR_X2APIC_FIRST || msr > APIC_MSR_X2APIC_LAST || !is_x2apic(vl))
		return VLAPIC_GP;
	offset = apic_x2apic_msr_offset(msr);
	if (offset >= APIC_REGISTER_SPACE_END || !(registers[SLOT(offset)].access & X2APIC_WRITE))
		return VLAPIC_GP;
	/* §11.12.1.2: a WRMSR that sets reserved bits raises #GP; for EOI and ESR every bit is
	 * reserved ("only zero may be written"). */
	if (value & ~registers[SLOT(offset)].x2apic_writable)
		return VLAPIC_GP;
	register_write(vl, offset, value);
	return VLAPIC_OK;
}

/* ---- APIC-write exits ------------------------------------------------------------------------ */

/* A register the CPU never reports by APIC-write was written in the page anyway: put back what
 * the model can derive; ISR/TMR/IRR contents cannot be recovered. */
static void restore_read_only(struct vlapic *vl, uint32_t offset, bool x2apic)
{
	uint8_t readable = x2apic ? X2APIC_READ : XAPIC_READ;

	vl->stats.unexpected_apic_writes++;
	switch (offset) {
	case APIC_ID:
		reg_write(vl, APIC_ID, vl->initial_apic_id);
		break;
	case APIC_LDR:
		reg_write(vl, APIC_LDR, apic_x2apic_logical_id(vl->initial_apic_id));
		break;
	case APIC_VERSION:
		reg_write(vl, APIC_VERSION, VLAPIC_VERSION_VALUE);
		break;
	case APIC_PPR:
		update_ppr(vl);
		break;
	case APIC_TIMER_CURRENT_COUNT:
		reg_write(vl, offset, timer_current_count(vl, now(vl)));
		break;
	default:
		/* Slots that read 0 in this mode read 0 again; ISR/TMR/IRR stay as written. */
		if (!(registers[SLOT(offset)].access & readable) || offset == APIC_APR ||
		    offset == APIC_RRD)
			reg_write(vl, offset, 0);
		break;
	}
}

void vlapic_apic_write_done(struct vlapic *vl, uint32_t offset)
{
	bool x2apic = is_x2apic(vl);
	uint8_t writable = x2apic ? X2APIC_WRITE : XAPIC_WRITE;
	uint64_t value;

	offset &= ~0xFu; /* the qualification may name a byte inside the register */
	if (offset >= APIC_REGISTER_SPACE_END || !is_hw_enabled(vl))
		return;
	if (!(registers[SLOT(offset)].access & writable)) {
		/* The CPU reports writes to writable registers only (SDM Vol. 3C §30.4.3.1
		 * "Determining Whether a Write Access is Virtualized"); anything else is counted. */
		restore_read_only(vl, offset, x2apic);
		return;
	}
	value = reg_read(vl, offset);
	if (x2apic && offset == APIC_ICR_LOW)
		value |= (uint64_t)reg_read(vl, APIC_ICR_X2APIC_DESTINATION) << 32;
	register_write(vl, offset, value);
}

/* ---- CR8 ----------------------------------------------------------------------------------- */

uint8_t vlapic_tpr(const struct vlapic *vl)
{
	return (uint8_t)reg_read(vl, APIC_TPR);
}

uint8_t vlapic_ppr(const struct vlapic *vl)
{
	return (uint8_t)compute_ppr(vl);
}

void vlapic_set_tpr(struct vlapic *vl, uint8_t tpr)
{
	write_tpr(vl, tpr);
}

/* ---- interrupts ------------------------------------------------------------------------------ */

bool vlapic_set_irq(struct vlapic *vl, uint8_t vector, bool level)
{
	return accept_fixed(vl, vector, level);
}

int vlapic_highest_irr(const struct vlapic *vl)
{
	return vector_highest(vl, APIC_IRR0);
}

int vlapic_highest_isr(const struct vlapic *vl)
{
	return vector_highest(vl, APIC_ISR0);
}

/* §11.8.3.1: "the processor will deliver only those interrupts that have a priority higher
 * than [PPR]" — compared by class: vector[7:4] > PPR[7:4]. PPR is computed from TPR and ISR, not
 * read from the page (see update_ppr). */
int vlapic_pending_interrupt(const struct vlapic *vl)
{
	int vector = vector_highest(vl, APIC_IRR0);

	if (!is_hw_enabled(vl) || vector < 0)
		return -1;
	return ((uint32_t)vector & 0xF0u) > (compute_ppr(vl) & 0xF0u) ? vector : -1;
}

int vlapic_acknowledge(struct vlapic *vl)
{
	int vector = vector_highest(vl, APIC_IRR0);

	if (!is_hw_enabled(vl) || vector < 0)
		return -1;
	if (((uint32_t)vector & 0xF0u) <= (compute_ppr(vl) & 0xF0u)) {
		/* §11.9 "Spurious Interrupt": an interrupt masked by the TPR between the request
		 * and the INTA cycle yields the spurious vector; ISR is not changed. */
		vl->stats.spurious++;
		return (int)(reg_read(vl, APIC_SVR) & APIC_SVR_VECTOR_MASK);
	}
	vector_clear(vl, APIC_IRR0, (uint8_t)vector);
	vector_set(vl, APIC_ISR0, (uint8_t)vector);
	update_ppr(vl);
	vl->stats.delivered++;
	return vector;
}

void vlapic_virtual_eoi_done(struct vlapic *vl, uint8_t vector)
{
	eoi_retired(vl, vector);
}

void vlapic_eoi_exit_bitmap(const struct vlapic *vl, uint64_t bitmap[4])
{
	for (unsigned i = 0; i < 4; i++)
		bitmap[i] = (uint64_t)reg_read(vl, APIC_TMR0 + 0x20u * i) |
			    (uint64_t)reg_read(vl, APIC_TMR0 + 0x20u * i + 0x10u) << 32;
}

uint64_t vlapic_timer_deadline(const struct vlapic *vl)
{
	return vl->timer.deadline;
}

/* ---- state transitions ------------------------------------------------------------------------ */

/*
 * Every register to its power-up value (§11.4.7.1 "Local APIC State After Power-Up or Reset"):
 * "The following registers are reset to all 0s: IRR, ISR, TMR, ICR, LDR, and TPR", timer
 * counts and divide configuration 0, "The DFR is reset to all 1s", "The LVT entries are reset
 * to 0s except for the mask bits; these are set to 1s", "The spurious-interrupt vector register
 * is initialized to 000000FFH". `id` is the ID register value to keep or install. The timer and
 * the model's non-page state go with it.
 */
static void registers_power_up(struct vlapic *vl, uint32_t id)
{
	uint8_t *page = vl->page;

	/* Every register but the ID cleared, the ID written once: other CPUs match IPI
	 * destinations against it (apic_bus.c) while this one takes an INIT, and a page cleared
	 * whole would show them ID 0 for a moment, a start-up IPI sent then finding no target
	 * (Linux sends its two SIPIs right after the INIT: the first was lost that way). */
	memset(page, 0, APIC_ID);
	/* The compiler barriers keep the two clears from being merged into one over the ID. */
	__asm__ volatile("" ::: "memory");
	__atomic_store_n((uint32_t *)(page + APIC_ID), id, __ATOMIC_RELEASE);
	__asm__ volatile("" ::: "memory");
	memset(page + APIC_ID + 4, 0, 4096 - APIC_ID - 4);
	reg_write(vl, APIC_VERSION, VLAPIC_VERSION_VALUE);
	reg_write(vl, APIC_DFR, 0xFFFFFFFFu);
	reg_write(vl, APIC_SVR, 0xFFu);
	for (unsigned i = 0; i < ARRAY_SIZE(lvt_offsets); i++)
		reg_write(vl, lvt_offsets[i], APIC_LVT_MASKED);
	vl->esr_pending = 0;
	vl->error_interrupt_armed = true;
	vl->lint_remote_irr[0] = vl->lint_remote_irr[1] = false;
	vl->timer.mode = APIC_TIMER_ONE_SHOT;
	vl->timer.divisor = apic_timer_divisor(0);
	timer_program(vl, 0);
}

/* The ID register's value in xAPIC format for the initial APIC ID (§11.4.6: bits 31:24). */
static uint32_t xapic_id_register(uint32_t apic_id)
{
	return (apic_id & 0xFFu) << 24;
}

void vlapic_reset(struct vlapic *vl)
{
	vl->apic_base = APIC_BASE_DEFAULT_ADDRESS | APIC_BASE_MSR_EN |
			(vl->bsp ? APIC_BASE_MSR_BSP : 0);
	vl->lint_asserted[0] = vl->lint_asserted[1] = false;
	registers_power_up(vl, xapic_id_register(vl->initial_apic_id));
}

void vlapic_init_signal(struct vlapic *vl)
{
	/* §11.12.5.1: INIT keeps the mode and "the state of the local APIC ID register is
	 * preserved"; "all the other APIC registers are initialized". The x2APIC LDR is derived
	 * from the ID, so it is derived again. */
	registers_power_up(vl, reg_read(vl, APIC_ID));
	if (is_x2apic(vl))
		reg_write(vl, APIC_LDR, apic_x2apic_logical_id(reg_read(vl, APIC_ID)));
}

enum apic_state { APIC_STATE_DISABLED, APIC_STATE_INVALID, APIC_STATE_XAPIC, APIC_STATE_X2APIC };

static enum apic_state apic_state_of(uint64_t apic_base)
{
	bool en = apic_base & APIC_BASE_MSR_EN, extd = apic_base & APIC_BASE_MSR_EXTD;

	return en ? (extd ? APIC_STATE_X2APIC : APIC_STATE_XAPIC)
		  : (extd ? APIC_STATE_INVALID : APIC_STATE_DISABLED);
}

bool vlapic_set_apic_base(struct vlapic *vl, uint64_t value)
{
	const uint64_t defined = APIC_BASE_MSR_BSP | APIC_BASE_MSR_EXTD | APIC_BASE_MSR_EN |
				 vl->apic_base_address_mask;
	enum apic_state from = apic_state_of(vl->apic_base), to = apic_state_of(value);

	if (value & ~defined)
		return false;
	/* §11.12.5 "x2APIC State Transitions", Figure 11-31: EN = 0 with EXTD = 1 is invalid;
	 * "A transition from the x2APIC mode to xAPIC mode is not valid"; "From the disabled
	 * state, the only valid x2APIC transition using IA32_APIC_BASE is to the xAPIC mode". */
	if (to == APIC_STATE_INVALID || (from == APIC_STATE_X2APIC && to == APIC_STATE_XAPIC) ||
	    (from == APIC_STATE_DISABLED && to == APIC_STATE_X2APIC))
		return false;

	vl->apic_base = (value & ~APIC_BASE_MSR_BSP) | (vl->bsp ? APIC_BASE_MSR_BSP : 0);
	if (from != APIC_STATE_DISABLED && to == APIC_STATE_DISABLED) {
		/* §11.4.3: with EN = 0 "the APIC may return to the state described in Section
		 * 11.4.7.1"; §11.12.5.1: "The x2APIC ID (32 bits) and the legacy local xAPIC ID
		 * (8 bits) are preserved across this transition", so the ID register keeps the
		 * 8-bit xAPIC ID for a later xAPIC enable. */
		uint32_t id = from == APIC_STATE_X2APIC ? xapic_id_register(reg_read(vl, APIC_ID))
							: reg_read(vl, APIC_ID);

		registers_power_up(vl, id);
	} else if (from == APIC_STATE_XAPIC && to == APIC_STATE_X2APIC) {
		/* §11.12.5.1: the x2APIC ID is installed (any ID software wrote in xAPIC mode is
		 * lost) and "the logical x2APIC ID ... is initialized by hardware during this
		 * transition" (§11.12.10.2); the ICR's 64-bit x2APIC form starts with destination 0
		 * ("the state of the extended fields ... is not architecturally defined"). */
		reg_write(vl, APIC_ID, vl->initial_apic_id);
		reg_write(vl, APIC_LDR, apic_x2apic_logical_id(vl->initial_apic_id));
		reg_write(vl, APIC_ICR_X2APIC_DESTINATION, 0);
	}
	return true;
}

uint64_t vlapic_apic_base(const struct vlapic *vl)
{
	return vl->apic_base;
}

bool vlapic_x2apic_mode(const struct vlapic *vl)
{
	return is_x2apic(vl);
}

bool vlapic_hw_enabled(const struct vlapic *vl)
{
	return is_hw_enabled(vl);
}

bool vlapic_lint0_extint(const struct vlapic *vl)
{
	uint32_t lint0 = reg_read(vl, APIC_LVT_LINT0);

	/* LINT0 programmed ExtINT and unmasked (§11.5.1 "Local Vector Table"), or a hardware-
	 * disabled APIC, where LINT0 is the processor's INTR pin (§11.4.3). */
	return !is_hw_enabled(vl) ||
	       ((lint0 >> APIC_LVT_DELIVERY_MODE_SHIFT & 7) == APIC_DELIVERY_EXTINT &&
		!(lint0 & APIC_LVT_MASKED));
}

bool vlapic_sw_enabled(const struct vlapic *vl)
{
	return is_sw_enabled(vl);
}

uint64_t vlapic_mmio_base(const struct vlapic *vl)
{
	return vl->apic_base & vl->apic_base_address_mask;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

struct vlapic *vlapic_create(uint32_t apic_id, bool bsp, void *page, uint64_t tsc_hz,
			     const struct vlapic_ops *ops, void *ctx)
{
	if (!page || ((uintptr_t)page & 0xF))
		return NULL;
	for (unsigned i = 0; i < VLAPIC_MAX_INSTANCES; i++) {
		struct vlapic *vl = &vlapic_pool[i];

		if (vl->in_use)
			continue;
		memset(vl, 0, sizeof(*vl));
		vl->in_use = true;
		vl->initial_apic_id = apic_id;
		vl->bsp = bsp;
		vl->page = page;
		vl->tsc_hz = tsc_hz;
		vl->apic_base_address_mask = address_mask(VLAPIC_MAXPHYADDR);
		vl->ops = ops ? ops : &no_ops;
		vl->ctx = ctx;
		vlapic_reset(vl);
		return vl;
	}
	return NULL;
}

void vlapic_destroy(struct vlapic *vl)
{
	if (vl)
		vl->in_use = false;
}

void *vlapic_page(struct vlapic *vl)
{
	return vl->page;
}

const struct vlapic_stats *vlapic_stats(const struct vlapic *vl)
{
	return &vl->stats;
}

void vlapic_set_maxphyaddr(struct vlapic *vl, unsigned bits)
{
	if (bits >= 12 && bits <= 52)
		vl->apic_base_address_mask = address_mask(bits);
}

uint64_t vlapic_timer_hz(const struct vlapic *vl)
{
	return vl->tsc_hz;
}
