/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for apicv/vlapic.c, the virtual local APIC. The input is a sequence of
 * operations on one vLAPIC: xAPIC MMIO reads and writes at any offset and width, RDMSR/WRMSR of
 * the x2APIC range, IA32_APIC_BASE and IA32_TSC_DEADLINE, what the CPU does in the APICv modes
 * (a store into the virtual-APIC page followed by the APIC-write exit, a virtual EOI followed by
 * the EOI-induced exit), fixed interrupts from outside, LINT0/LINT1 levels, CR8, INTA cycles, a
 * clock that moves forward and timer expiries, INIT and RESET. The fake ops record and check;
 * after every operation the page and the model are checked against vlapic.h and SDM Vol. 3A
 * chapter 11:
 *   - vectors 0–15 never reach IRR, ISR or TMR (§11.5.2 "Valid Interrupt Vectors");
 *   - an ISR bit appears only through vlapic_acknowledge of that vector; an INTA cycle returns
 *     -1 exactly when IRR is empty or the APIC is hardware-disabled, else the highest IRR
 *     vector (moved IRR → ISR) or, when the PPR masks it, the spurious vector (no change);
 *     vlapic_pending_interrupt is -1 or that same highest vector;
 *   - PPR in the page is always apic_processor_priority(TPR, highest ISR) (§11.8.3.1), since
 *     the page is the architectural state;
 *   - reserved bits read 0: LVTs only their defined fields (delivery status always 0, remote IRR
 *     only on LINT0), ICR low its fields, SVR, ESR (bits 5–7), divide configuration, TPR;
 *     DFR bits 27:0 read 1; the version register is constant; while software-disabled every
 *     LVT is masked (§11.4.7.2); in x2APIC mode the ID is the initial x2APIC ID and LDR its
 *     derived logical ID (§11.12.10.2);
 *   - IA32_APIC_BASE never shows the invalid state EN = 0, EXTD = 1 (§11.12.5);
 *   - MMIO answers VLAPIC_NOT_APIC exactly in x2APIC mode, hardware-disabled or past the page,
 *     and reads fit their width;
 *   - ops->timer_changed reports every change of vlapic_timer_deadline(), and only changes; an
 *     expiry leaves the timer disarmed or armed in the future; an early expiry does nothing;
 *     the current count never exceeds the initial count;
 *   - ops->eoi_level only for a vector whose TMR bit is set, without EOI-broadcast suppression;
 *     a fixed interrupt is accepted (returns true) only with the APIC software-enabled and a
 *     vector of 16 or more, and then its TMR bit says the trigger mode.
 * A broken invariant prints one line and aborts, which libFuzzer records as a crash.
 */
#include "apicv/apic_regs.h"
#include "apicv/vlapic.h"

#define FUZZ_NAME "fuzz_vlapic"
#include "tests/fuzz/fuzz_input.h"

/* ---- the model's surroundings ---------------------------------------------------------------- */

#define TSC_HZ 1000000000ull
#define START_TSC 1000000ull
#define TSC_LIMIT (1ull << 62)   /* the clock stays far from wrapping */
#define VLAPIC_VERSION 0x01060014u /* version 0x14, max LVT entry 6, EOI-broadcast suppression */

/* The register page: 4 KiB aligned, as for a virtual-APIC page. */
static uint8_t apic_page[4096] __attribute__((aligned(4096)));

struct fuzz_state {
	struct vlapic *vl;
	uint32_t apic_id;
	uint64_t now;              /* the TSC ops->now returns */
	uint64_t deadline_seen;    /* vlapic_timer_deadline() as of the last timer_changed */
	uint8_t post_policy;       /* bit n % 8: the n-th posted-delivery offer is taken */
	unsigned posts;
	uint8_t isr_allowed[32];   /* ISR bits the operation in progress may set */
};

static struct fuzz_state state;

static uint32_t page_read(uint32_t offset)
{
	uint32_t value;

	memcpy(&value, apic_page + offset, sizeof(value));
	return value;
}

static void page_write(uint32_t offset, uint32_t value)
{
	memcpy(apic_page + offset, &value, sizeof(value));
}

static bool vector_bit(uint32_t base, unsigned vector)
{
	return page_read(base + 0x10u * (vector / 32)) & (1u << (vector % 32));
}

static int highest_vector(uint32_t base)
{
	for (int vector = 255; vector >= 0; vector--)
		if (vector_bit(base, (unsigned)vector))
			return vector;
	return -1;
}

/* ---- fake ops -------------------------------------------------------------------------------- */

static uint64_t fake_now(void *ctx)
{
	return ((struct fuzz_state *)ctx)->now;
}

static void fake_timer_changed(void *ctx)
{
	struct fuzz_state *s = ctx;
	uint64_t deadline;

	if (!s->vl)
		return; /* from inside vlapic_create: compared once it returns */
	deadline = vlapic_timer_deadline(s->vl);

	FUZZ_CHECK(deadline != s->deadline_seen, "timer_changed without a change (deadline %llu)",
		   (unsigned long long)deadline);
	s->deadline_seen = deadline;
}

static void fake_eoi_level(void *ctx, uint8_t vector)
{
	(void)ctx;
	FUZZ_CHECK(vector_bit(APIC_TMR0, vector), "eoi_level(%#x) with its TMR bit clear", vector);
	FUZZ_CHECK(!(page_read(APIC_SVR) & APIC_SVR_EOI_BROADCAST_SUPPRESSION),
		   "eoi_level(%#x) with EOI-broadcast suppression on", vector);
}

static void fake_nmi(void *ctx)
{
	(void)ctx;
}

static void fake_extint(void *ctx)
{
	(void)ctx;
}

static void fake_send_ipi(void *ctx, uint32_t icr_low, uint32_t destination)
{
	uint32_t mode = (icr_low >> APIC_ICR_DELIVERY_MODE_SHIFT) & 7;

	(void)ctx;
	(void)destination;
	FUZZ_CHECK(mode != APIC_DELIVERY_SMI && mode != APIC_DELIVERY_RESERVED3 &&
		   mode != APIC_DELIVERY_EXTINT, "send_ipi with delivery mode %u", mode);
	FUZZ_CHECK(!(icr_low & APIC_ICR_DELIVERY_STATUS), "send_ipi: ICR %#x has delivery status",
		   icr_low);
	FUZZ_CHECK((icr_low & APIC_ICR_SHORTHAND_MASK) >> APIC_ICR_SHORTHAND_SHIFT !=
		   APIC_SHORTHAND_SELF, "send_ipi for a self-only IPI");
}

static bool fake_post(void *ctx, uint8_t vector)
{
	struct fuzz_state *s = ctx;

	FUZZ_CHECK(vector >= 16, "post(%#x): an illegal vector", vector);
	return s->post_policy & (1u << (s->posts++ % 8));
}

static const struct vlapic_ops fake_ops = {
	.now = fake_now,
	.timer_changed = fake_timer_changed,
	.eoi_level = fake_eoi_level,
	.nmi = fake_nmi,
	.extint = fake_extint,
	.send_ipi = fake_send_ipi,
	.post = fake_post,
};

/* ---- checks after every operation ------------------------------------------------------------ */

/* The bits each LVT may hold (vlapic.c; remote IRR only on LINT0, which alone can be level). */
static uint32_t lvt_allowed(uint32_t offset)
{
	const uint32_t delivery_mode = 7u << APIC_LVT_DELIVERY_MODE_SHIFT;

	switch (offset) {
	case APIC_LVT_TIMER:
		return APIC_LVT_VECTOR_MASK | APIC_LVT_MASKED | APIC_LVT_TIMER_MODE_MASK;
	case APIC_LVT_LINT0:
		return APIC_LVT_VECTOR_MASK | delivery_mode | APIC_LVT_POLARITY_LOW |
		       APIC_LVT_REMOTE_IRR | APIC_LVT_LEVEL | APIC_LVT_MASKED;
	case APIC_LVT_LINT1:
		return APIC_LVT_VECTOR_MASK | delivery_mode | APIC_LVT_POLARITY_LOW |
		       APIC_LVT_LEVEL | APIC_LVT_MASKED;
	case APIC_LVT_ERROR:
		return APIC_LVT_VECTOR_MASK | APIC_LVT_MASKED;
	default:
		return APIC_LVT_VECTOR_MASK | delivery_mode | APIC_LVT_MASKED;
	}
}

static const uint32_t lvt_offsets[] = {
	APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PMC, APIC_LVT_LINT0, APIC_LVT_LINT1,
	APIC_LVT_ERROR, APIC_LVT_CMCI,
};

static uint8_t isr_before[32];

static void begin_operation(void)
{
	memset(state.isr_allowed, 0, sizeof(state.isr_allowed));
	for (unsigned i = 0; i < 8; i++) {
		uint32_t dword = page_read(APIC_ISR0 + 0x10u * i);

		memcpy(isr_before + 4 * i, &dword, 4);
	}
}

static void check_after_operation(const char *operation)
{
	struct vlapic *vl = state.vl;
	uint64_t apic_base = vlapic_apic_base(vl);
	bool x2apic = vlapic_x2apic_mode(vl);
	uint32_t svr = page_read(APIC_SVR);
	int isr = highest_vector(APIC_ISR0);
	uint32_t tpr = page_read(APIC_TPR);

	FUZZ_CHECK(!((apic_base & APIC_BASE_MSR_EXTD) && !(apic_base & APIC_BASE_MSR_EN)),
		   "%s: IA32_APIC_BASE %#llx is the invalid state", operation,
		   (unsigned long long)apic_base);
	for (unsigned vector = 0; vector < 16; vector++)
		FUZZ_CHECK(!vector_bit(APIC_IRR0, vector) && !vector_bit(APIC_ISR0, vector) &&
			   !vector_bit(APIC_TMR0, vector), "%s: illegal vector %u in IRR/ISR/TMR",
			   operation, vector);
	for (unsigned vector = 16; vector < 256; vector++) {
		bool was = isr_before[vector / 8] & (1u << (vector % 8));
		bool allowed = state.isr_allowed[vector / 8] & (1u << (vector % 8));

		FUZZ_CHECK(!vector_bit(APIC_ISR0, vector) || was || allowed,
			   "%s: ISR bit %u set without an INTA cycle for it", operation, vector);
	}
	if (!vlapic_hw_enabled(vl))
		return; /* the page is in its power-up state; nothing else to compare */
	FUZZ_CHECK(page_read(APIC_PPR) == apic_processor_priority(tpr, isr < 0 ? 0 : (uint32_t)isr),
		   "%s: PPR %#x, TPR %#x, highest ISR %d", operation, page_read(APIC_PPR), tpr, isr);
	FUZZ_CHECK(tpr <= 0xFF, "%s: TPR %#x", operation, tpr);
	FUZZ_CHECK(page_read(APIC_VERSION) == VLAPIC_VERSION, "%s: version %#x", operation,
		   page_read(APIC_VERSION));
	FUZZ_CHECK(!(svr & ~(APIC_SVR_VECTOR_MASK | APIC_SVR_ENABLE | APIC_SVR_FOCUS_DISABLE |
			     APIC_SVR_EOI_BROADCAST_SUPPRESSION)), "%s: SVR %#x", operation, svr);
	FUZZ_CHECK(!(page_read(APIC_ESR) & ~0xE0u), "%s: ESR %#x", operation, page_read(APIC_ESR));
	FUZZ_CHECK(!(page_read(APIC_TIMER_DIVIDE) & ~0xBu), "%s: divide configuration %#x",
		   operation, page_read(APIC_TIMER_DIVIDE));
	FUZZ_CHECK(!(page_read(APIC_ICR_LOW) & ~(APIC_ICR_VECTOR_MASK |
						  7u << APIC_ICR_DELIVERY_MODE_SHIFT |
						  APIC_ICR_LOGICAL | APIC_ICR_LEVEL_ASSERT |
						  APIC_ICR_TRIGGER_LEVEL | APIC_ICR_SHORTHAND_MASK)),
		   "%s: ICR low %#x", operation, page_read(APIC_ICR_LOW));
	for (unsigned i = 0; i < ARRAY_SIZE(lvt_offsets); i++) {
		uint32_t lvt = page_read(lvt_offsets[i]);

		FUZZ_CHECK(!(lvt & ~lvt_allowed(lvt_offsets[i])), "%s: LVT %#x holds %#x",
			   operation, lvt_offsets[i], lvt);
		FUZZ_CHECK((svr & APIC_SVR_ENABLE) || (lvt & APIC_LVT_MASKED),
			   "%s: LVT %#x unmasked (%#x) while software-disabled", operation,
			   lvt_offsets[i], lvt);
	}
	if (x2apic) {
		FUZZ_CHECK(page_read(APIC_ID) == state.apic_id, "%s: x2APIC ID %#x, expected %#x",
			   operation, page_read(APIC_ID), state.apic_id);
		FUZZ_CHECK(page_read(APIC_LDR) == apic_x2apic_logical_id(state.apic_id),
			   "%s: x2APIC LDR %#x", operation, page_read(APIC_LDR));
	} else {
		FUZZ_CHECK((page_read(APIC_DFR) & 0x0FFFFFFFu) == 0x0FFFFFFFu, "%s: DFR %#x",
			   operation, page_read(APIC_DFR));
		FUZZ_CHECK(!(page_read(APIC_ID) & 0x00FFFFFFu) && !(page_read(APIC_LDR) & 0x00FFFFFFu),
			   "%s: xAPIC ID %#x / LDR %#x reserved bits", operation, page_read(APIC_ID),
			   page_read(APIC_LDR));
	}
	{
		uint64_t bitmap[4];

		vlapic_eoi_exit_bitmap(vl, bitmap);
		for (unsigned vector = 0; vector < 256; vector++)
			FUZZ_CHECK(!!(bitmap[vector / 64] & (1ull << (vector % 64))) ==
				   vector_bit(APIC_TMR0, vector),
				   "%s: EOI-exit bitmap bit %u differs from TMR", operation, vector);
	}
	FUZZ_CHECK(vlapic_tpr(vl) == tpr, "%s: vlapic_tpr %#x, page %#x", operation,
		   vlapic_tpr(vl), tpr);
	FUZZ_CHECK(vlapic_mmio_base(vl) ==
		   (apic_base & ((1ull << VLAPIC_MAXPHYADDR) - 1) & ~0xFFFull),
		   "%s: MMIO base %#llx for IA32_APIC_BASE %#llx", operation,
		   (unsigned long long)vlapic_mmio_base(vl), (unsigned long long)apic_base);
	FUZZ_CHECK(vlapic_timer_deadline(vl) == state.deadline_seen,
		   "%s: deadline %llu changed without timer_changed (last reported %llu)", operation,
		   (unsigned long long)vlapic_timer_deadline(vl),
		   (unsigned long long)state.deadline_seen);
}

/* ---- operations ------------------------------------------------------------------------------ */

static bool mmio_is_apic(uint32_t offset)
{
	return vlapic_hw_enabled(state.vl) && !vlapic_x2apic_mode(state.vl) && offset < 4096;
}

static void do_mmio_read(uint32_t offset, unsigned size)
{
	uint32_t value = 0xDEADBEEF;
	enum vlapic_status status;
	bool apic = mmio_is_apic(offset);

	begin_operation();
	status = vlapic_mmio_read(state.vl, offset, size, &value);
	TRACE("mmio read %#x size %u -> %d %#x\n", offset, size, (int)status, value);
	FUZZ_CHECK(status == (apic ? VLAPIC_OK : VLAPIC_NOT_APIC),
		   "MMIO read at %#x: status %d", offset, (int)status);
	if (apic && size < 4)
		FUZZ_CHECK(value < 1u << (8 * size), "MMIO read of %u bytes at %#x gave %#x", size,
			   offset, value);
	if (apic && offset == APIC_TIMER_CURRENT_COUNT && size == 4)
		FUZZ_CHECK(value <= page_read(APIC_TIMER_INITIAL_COUNT),
			   "current count %u above initial count %u", value,
			   page_read(APIC_TIMER_INITIAL_COUNT));
	check_after_operation("MMIO read");
}

static void do_mmio_write(uint32_t offset, unsigned size, uint32_t value)
{
	enum vlapic_status status;
	bool apic = mmio_is_apic(offset);

	begin_operation();
	TRACE("mmio write %#x size %u <- %#x\n", offset, size, value);
	status = vlapic_mmio_write(state.vl, offset, size, value);
	FUZZ_CHECK(status == (apic ? VLAPIC_OK : VLAPIC_NOT_APIC),
		   "MMIO write at %#x: status %d", offset, (int)status);
	check_after_operation("MMIO write");
}

static void do_msr_read(uint32_t msr)
{
	uint64_t value;
	enum vlapic_status status;

	begin_operation();
	status = vlapic_msr_read(state.vl, msr, &value);
	TRACE("rdmsr %#x -> %d %#llx\n", msr, (int)status, (unsigned long long)value);
	FUZZ_CHECK(status == VLAPIC_OK || status == VLAPIC_GP, "RDMSR %#x: status %d", msr,
		   (int)status);
	if (msr == APIC_MSR_APIC_BASE)
		FUZZ_CHECK(status == VLAPIC_OK && value == vlapic_apic_base(state.vl),
			   "RDMSR IA32_APIC_BASE");
	if (msr >= APIC_MSR_X2APIC_FIRST && msr <= APIC_MSR_X2APIC_LAST &&
	    !vlapic_x2apic_mode(state.vl))
		FUZZ_CHECK(status == VLAPIC_GP, "RDMSR %#x outside x2APIC mode", msr);
	if (status == VLAPIC_OK && msr == apic_offset_x2apic_msr(APIC_TIMER_CURRENT_COUNT))
		FUZZ_CHECK(value <= page_read(APIC_TIMER_INITIAL_COUNT),
			   "current count %llu above initial count %u", (unsigned long long)value,
			   page_read(APIC_TIMER_INITIAL_COUNT));
	check_after_operation("RDMSR");
}

static void do_msr_write(uint32_t msr, uint64_t value)
{
	enum vlapic_status status;

	begin_operation();
	TRACE("wrmsr %#x <- %#llx\n", msr, (unsigned long long)value);
	status = vlapic_msr_write(state.vl, msr, value);
	FUZZ_CHECK(status == VLAPIC_OK || status == VLAPIC_GP, "WRMSR %#x: status %d", msr,
		   (int)status);
	if (msr >= APIC_MSR_X2APIC_FIRST && msr <= APIC_MSR_X2APIC_LAST &&
	    !vlapic_x2apic_mode(state.vl))
		FUZZ_CHECK(status == VLAPIC_GP, "WRMSR %#x outside x2APIC mode", msr);
	check_after_operation("WRMSR");
}

/*
 * What the CPU does for a guest store with APIC-register virtualization: the dword (and for the
 * x2APIC ICR the destination dword) lands in the page, then the APIC-write exit. IRR, ISR and
 * TMR are never stored by the CPU (they are read-only and cause no APIC-write exit).
 */
static void do_apic_write(uint32_t slot, uint32_t byte, uint32_t value, uint32_t high)
{
	uint32_t offset = slot * 16;

	if (!vlapic_hw_enabled(state.vl) || offset >= APIC_REGISTER_SPACE_END ||
	    (offset >= APIC_ISR0 && offset <= APIC_IRR7))
		return;
	begin_operation();
	page_write(offset, value);
	if (vlapic_x2apic_mode(state.vl) && offset == APIC_ICR_LOW)
		page_write(APIC_ICR_X2APIC_DESTINATION, high);
	TRACE("apic-write %#x <- %#x (high %#x), exit at %#x\n", offset, value, high,
	      offset + byte % 16);
	vlapic_apic_write_done(state.vl, offset + byte % 16);
	check_after_operation("APIC-write");
}

/* Virtual-interrupt delivery's EOI: the CPU clears the highest ISR bit and updates PPR, then the
 * EOI-induced exit (SDM Vol. 3C §30.1.4 "EOI Virtualization"). */
static void do_virtual_eoi(void)
{
	int vector = highest_vector(APIC_ISR0);
	uint32_t offset;
	int next;

	if (vector < 0 || !vlapic_hw_enabled(state.vl))
		return;
	begin_operation();
	offset = APIC_ISR0 + 0x10u * ((unsigned)vector / 32);
	page_write(offset, page_read(offset) & ~(1u << (vector % 32)));
	next = highest_vector(APIC_ISR0);
	page_write(APIC_PPR, apic_processor_priority(page_read(APIC_TPR),
						     next < 0 ? 0 : (uint32_t)next));
	TRACE("virtual EOI %#x\n", vector);
	vlapic_virtual_eoi_done(state.vl, (uint8_t)vector);
	check_after_operation("virtual EOI");
}

static void do_set_irq(uint8_t vector, bool level)
{
	bool sw_enabled = vlapic_sw_enabled(state.vl);
	bool accepted;

	begin_operation();
	accepted = vlapic_set_irq(state.vl, vector, level);
	TRACE("set_irq(%#x, level %d) -> %d\n", vector, level, accepted);
	FUZZ_CHECK(!accepted || (sw_enabled && vector >= 16),
		   "set_irq(%#x) accepted (software-enabled %d)", vector, sw_enabled);
	FUZZ_CHECK(accepted || !sw_enabled || vector < 16, "set_irq(%#x) refused", vector);
	if (accepted)
		FUZZ_CHECK(vector_bit(APIC_TMR0, vector) == level,
			   "set_irq(%#x, level %d): TMR bit is %d", vector, level,
			   vector_bit(APIC_TMR0, vector));
	check_after_operation("set_irq");
}

static void do_acknowledge(void)
{
	int highest = highest_vector(APIC_IRR0);
	int pending = vlapic_pending_interrupt(state.vl);
	bool hw_enabled = vlapic_hw_enabled(state.vl);
	uint32_t spurious = page_read(APIC_SVR) & APIC_SVR_VECTOR_MASK;
	int vector;

	FUZZ_CHECK(vlapic_highest_irr(state.vl) == highest, "vlapic_highest_irr is %d, IRR has %d",
		   vlapic_highest_irr(state.vl), highest);
	FUZZ_CHECK(vlapic_highest_isr(state.vl) == highest_vector(APIC_ISR0),
		   "vlapic_highest_isr disagrees with the page");
	FUZZ_CHECK(pending == -1 || (hw_enabled && pending == highest),
		   "pending interrupt %d, highest IRR %d", pending, highest);
	begin_operation();
	if (highest >= 0)
		state.isr_allowed[highest / 8] |= (uint8_t)(1u << (highest % 8));
	vector = vlapic_acknowledge(state.vl);
	TRACE("acknowledge -> %d\n", vector);
	if (!hw_enabled || highest < 0) {
		FUZZ_CHECK(vector == -1, "INTA with nothing pending gave %d", vector);
	} else if (pending >= 0) {
		FUZZ_CHECK(vector == highest && vector_bit(APIC_ISR0, (unsigned)vector),
			   "INTA gave %d, highest IRR %d", vector, highest);
	} else {
		FUZZ_CHECK(vector == (int)spurious,
			   "INTA for a masked vector gave %d, spurious vector %u", vector, spurious);
		FUZZ_CHECK(highest_vector(APIC_IRR0) == highest,
			   "spurious INTA changed IRR");
		state.isr_allowed[highest / 8] = 0; /* a spurious INTA leaves ISR alone */
	}
	check_after_operation("acknowledge");
}

static void do_timer_expired(void)
{
	uint64_t deadline = vlapic_timer_deadline(state.vl);
	uint64_t ticks = vlapic_stats(state.vl)->timer_ticks;

	begin_operation();
	TRACE("timer expired at %llu (deadline %llu)\n", (unsigned long long)state.now,
	      (unsigned long long)deadline);
	vlapic_timer_expired(state.vl);
	if (!deadline || state.now < deadline) {
		FUZZ_CHECK(vlapic_stats(state.vl)->timer_ticks == ticks &&
			   vlapic_timer_deadline(state.vl) == deadline,
			   "early timer expiry (now %llu, deadline %llu) did something",
			   (unsigned long long)state.now, (unsigned long long)deadline);
	} else {
		uint64_t next = vlapic_timer_deadline(state.vl);

		FUZZ_CHECK(next == 0 || next > state.now,
			   "after expiry at %llu the deadline is %llu", (unsigned long long)state.now,
			   (unsigned long long)next);
	}
	check_after_operation("timer expiry");
}

static void advance_clock(uint64_t ticks)
{
	if (state.now + ticks < TSC_LIMIT)
		state.now += ticks;
	TRACE("now %llu\n", (unsigned long long)state.now);
}

/* A register write the way the guest makes it in the current mode: WRMSR in x2APIC mode, an
 * aligned dword store otherwise (nothing while hardware-disabled: the page is not there). */
static void guest_register_write(uint32_t offset, uint32_t value)
{
	if (vlapic_x2apic_mode(state.vl))
		do_msr_write(apic_offset_x2apic_msr(offset), value);
	else if (vlapic_hw_enabled(state.vl))
		do_mmio_write(offset, 4, value);
}

/* ---- decoding the input ---------------------------------------------------------------------- */

static unsigned pick_size(struct fuzz_input *in)
{
	static const unsigned sizes[] = { 4, 4, 4, 4, 1, 2, 8, 3 };

	return sizes[input_u8(in) % ARRAY_SIZE(sizes)];
}

/* An MMIO offset: mostly a register slot, sometimes any byte of the page or beyond it. */
static uint32_t pick_offset(struct fuzz_input *in)
{
	uint8_t choice = input_u8(in);

	if (choice < 0xC0)
		return (uint32_t)(choice % 64) * 16;
	if (choice < 0xF8)
		return input_u16(in) & 0xFFF;
	return input_u16(in);
}

static uint32_t pick_msr(struct fuzz_input *in)
{
	uint8_t choice = input_u8(in);

	if (choice < 0xE0)
		return APIC_MSR_X2APIC_FIRST + input_u8(in) % 0x40;
	if (choice < 0xF0)
		return choice & 1 ? APIC_MSR_APIC_BASE : APIC_MSR_TSC_DEADLINE;
	return input_u32(in);
}

/* An IA32_APIC_BASE value: the usual ones (enable, x2APIC, disable), sometimes anything. */
static uint64_t pick_apic_base(struct fuzz_input *in)
{
	uint8_t choice = input_u8(in);
	uint64_t base = APIC_BASE_DEFAULT_ADDRESS;

	if (choice >= 0xF0)
		return input_u64(in);
	if (choice & 0x40)
		base = (uint64_t)input_u32(in) << 12;
	return base | (choice & 1 ? APIC_BASE_MSR_EN : 0) | (choice & 2 ? APIC_BASE_MSR_EXTD : 0) |
	       (choice & 4 ? APIC_BASE_MSR_BSP : 0);
}

static void run_operation(struct fuzz_input *in)
{
	uint8_t opcode = input_u8(in);
	uint64_t value;

	switch (opcode % 23) {
	case 0: { /* any MMIO write; mostly an aligned dword, the architected access */
		uint32_t offset = pick_offset(in);
		unsigned size = opcode & 0x80 ? pick_size(in) : 4;

		do_mmio_write(offset, size, input_u32(in));
		break;
	}
	case 1:
	case 2: {
		uint32_t offset = pick_offset(in);

		do_mmio_read(offset, pick_size(in));
		break;
	}
	case 3: {
		uint32_t msr = pick_msr(in);

		do_msr_write(msr, opcode & 0x80 ? input_u64(in) : input_u32(in));
		break;
	}
	case 4:
		do_msr_read(pick_msr(in));
		break;
	case 5:
		value = pick_apic_base(in);
		TRACE("set_apic_base(%#llx)\n", (unsigned long long)value);
		begin_operation();
		vlapic_set_apic_base(state.vl, value);
		check_after_operation("set_apic_base");
		break;
	case 6: {
		uint32_t slot = input_u8(in) % 64;
		uint32_t byte = opcode & 0x80 ? input_u8(in) : 0;
		uint32_t stored = input_u32(in);

		do_apic_write(slot, byte, stored, slot == APIC_ICR_LOW / 16 ? input_u32(in) : 0);
		break;
	}
	case 7:
		do_virtual_eoi();
		break;
	case 8:
	case 9:
		do_set_irq(input_u8(in), opcode & 0x80);
		break;
	case 10:
	case 11:
		do_acknowledge();
		break;
	case 12: { /* the EOI register, the guest's usual way */
		if (vlapic_x2apic_mode(state.vl))
			do_msr_write(apic_offset_x2apic_msr(APIC_EOI), 0);
		else
			do_mmio_write(APIC_EOI, 4, 0);
		break;
	}
	case 13: {
		uint8_t pin = input_u8(in);

		TRACE("set_lint(%u, %d)\n", pin % 3, !!(opcode & 0x80));
		begin_operation();
		vlapic_set_lint(state.vl, pin % 3, opcode & 0x80);
		check_after_operation("set_lint");
		break;
	}
	case 14:
		value = input_u8(in);
		TRACE("set_tpr(%#llx)\n", (unsigned long long)value);
		begin_operation();
		vlapic_set_tpr(state.vl, (uint8_t)value);
		check_after_operation("set_tpr");
		break;
	case 15: /* time passes: up to about 2^40 cycles */
		advance_clock((uint64_t)input_u16(in) << (input_u8(in) % 25));
		break;
	case 16: /* the caller's timer fires, on time or not */
		if (opcode & 0x80) {
			uint64_t deadline = vlapic_timer_deadline(state.vl);

			if (deadline > state.now && deadline < TSC_LIMIT)
				state.now = deadline;
		}
		do_timer_expired();
		break;
	case 17:
		TRACE("%s\n", opcode & 0x80 ? "reset" : "INIT");
		begin_operation();
		if (opcode & 0x80)
			vlapic_reset(state.vl);
		else
			vlapic_init_signal(state.vl);
		check_after_operation(opcode & 0x80 ? "reset" : "INIT");
		break;
	case 18: { /* the router's question: broadcasts match exactly when enabled */
		bool x2apic = vlapic_x2apic_mode(state.vl);
		uint32_t broadcast = x2apic ? APIC_X2APIC_BROADCAST : APIC_XAPIC_BROADCAST;

		FUZZ_CHECK(vlapic_match_destination(state.vl, broadcast, opcode & 0x80) ==
			   vlapic_hw_enabled(state.vl), "broadcast match");
		(void)vlapic_match_destination(state.vl, input_u32(in), opcode & 0x40);
		break;
	}
	case 20: /* what every guest does first: software-enable, spurious vector, maybe SVR[12] */
		guest_register_write(APIC_SVR, APIC_SVR_ENABLE | input_u8(in) |
					       (opcode & 0x80 ? APIC_SVR_EOI_BROADCAST_SUPPRESSION : 0));
		break;
	case 21: { /* program an LVT entry: mostly unmasked, any mode, trigger and polarity */
		uint32_t offset = lvt_offsets[input_u8(in) % ARRAY_SIZE(lvt_offsets)];
		uint32_t lvt = input_u32(in) & lvt_allowed(offset);

		if (opcode & 0x80)
			lvt &= ~APIC_LVT_MASKED;
		guest_register_write(offset, lvt);
		break;
	}
	case 22: { /* start the timer: divide configuration, then the initial count */
		uint8_t divide = input_u8(in);

		guest_register_write(APIC_TIMER_DIVIDE, divide & 0xBu);
		guest_register_write(APIC_TIMER_INITIAL_COUNT, input_u16(in) << (divide >> 4));
		break;
	}
	case 19:
		state.post_policy = input_u8(in);
		TRACE("post policy %#x\n", state.post_policy);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { .data = data, .size = size, .pos = 0 };
	uint8_t flags;

	memset(&state, 0, sizeof(state));
	flags = input_u8(&in);
	state.apic_id = flags & 0x80 ? input_u32(&in) : input_u8(&in);
	state.now = START_TSC;
	state.post_policy = input_u8(&in);
	memset(apic_page, 0xCC, sizeof(apic_page));
	state.vl = vlapic_create(state.apic_id, flags & 1, apic_page, TSC_HZ, &fake_ops, &state);
	FUZZ_CHECK(state.vl, "vlapic_create failed (pool leaked by an earlier input?)");
	FUZZ_CHECK(vlapic_page(state.vl) == apic_page && vlapic_timer_hz(state.vl) == TSC_HZ,
		   "vlapic_page / vlapic_timer_hz");
	state.deadline_seen = vlapic_timer_deadline(state.vl);
	begin_operation();
	check_after_operation("create");

	while (in.pos < in.size)
		run_operation(&in);

	vlapic_destroy(state.vl);
	return 0;
}
