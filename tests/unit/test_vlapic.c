/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for apicv/vlapic.c, the virtual local APIC: the register page as the guest sees it
 * through xAPIC MMIO and x2APIC MSRs, interrupt acceptance and priority over all 256 vectors,
 * IPIs, LINT pins, IA32_APIC_BASE transitions and the timer on a fake clock. A fake ops struct
 * records every call the model makes to the outside.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "apicv/apic_regs.h"
#include "apicv/vlapic.h"

#define OWN_ID 0x25u                 /* x2APIC cluster 2, member bit 5 */
#define OWN_X2APIC_LDR 0x00020020u
#define TSC_HZ 2000000000ull
#define START_TSC 1000000ull
#define ESR_SEND_ILLEGAL 0x20u
#define ESR_RECEIVE_ILLEGAL 0x40u
#define ESR_ILLEGAL_REGISTER 0x80u
#define BASE_EN (1ull << 11)
#define BASE_EXTD (1ull << 10)
#define BASE_BSP (1ull << 8)

/* ---- fake ops -------------------------------------------------------------------------------- */

struct sent_ipi {
	uint32_t icr_low, destination;
};

struct recorder {
	uint64_t now;
	unsigned timer_changed;
	unsigned eoi_levels;
	uint8_t eoi_level_vector[64];
	unsigned nmis, extints;
	unsigned ipis;
	struct sent_ipi ipi[64];
};

static struct recorder rec;

static uint64_t fake_now(void *ctx)
{
	return ((struct recorder *)ctx)->now;
}

static void fake_timer_changed(void *ctx)
{
	((struct recorder *)ctx)->timer_changed++;
}

static void fake_eoi_level(void *ctx, uint8_t vector)
{
	struct recorder *r = ctx;

	if (r->eoi_levels < ARRAY_SIZE(r->eoi_level_vector))
		r->eoi_level_vector[r->eoi_levels] = vector;
	r->eoi_levels++;
}

static void fake_nmi(void *ctx)
{
	((struct recorder *)ctx)->nmis++;
}

static void fake_extint(void *ctx)
{
	((struct recorder *)ctx)->extints++;
}

static void fake_send_ipi(void *ctx, uint32_t icr_low, uint32_t destination)
{
	struct recorder *r = ctx;

	if (r->ipis < ARRAY_SIZE(r->ipi))
		r->ipi[r->ipis] = (struct sent_ipi){ icr_low, destination };
	r->ipis++;
}

static const struct vlapic_ops fake_ops = {
	.now = fake_now,
	.timer_changed = fake_timer_changed,
	.eoi_level = fake_eoi_level,
	.nmi = fake_nmi,
	.extint = fake_extint,
	.send_ipi = fake_send_ipi,
};

/* ---- fixture and helpers --------------------------------------------------------------------- */

static uint8_t page[4096] __attribute__((aligned(4096)));
static struct vlapic *vl;

static void create(void)
{
	memset(&rec, 0, sizeof(rec));
	rec.now = START_TSC;
	memset(page, 0xA5, sizeof(page)); /* reset must rewrite every byte */
	vl = vlapic_create(OWN_ID, true, page, TSC_HZ, &fake_ops, &rec);
	assert_non_null(vl);
}

static int setup(void **state)
{
	(void)state;
	create();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vlapic_destroy(vl);
	vl = NULL;
	return 0;
}

static uint32_t page_reg(uint32_t offset)
{
	uint32_t value;

	memcpy(&value, page + offset, 4);
	return value;
}

static void page_set(uint32_t offset, uint32_t value)
{
	memcpy(page + offset, &value, 4);
}

static bool page_vector(uint32_t base, unsigned vector)
{
	return page_reg(base + 0x10 * (vector / 32)) & (1u << (vector % 32));
}

/* Number of bits set in the 256-bit register at `base`. */
static unsigned page_vector_count(uint32_t base)
{
	unsigned count = 0;

	for (unsigned i = 0; i < 8; i++)
		count += (unsigned)__builtin_popcount(page_reg(base + 0x10 * i));
	return count;
}

static uint32_t rd(uint32_t offset)
{
	uint32_t value = 0xDEADBEEF;

	assert_int_equal(vlapic_mmio_read(vl, offset, 4, &value), VLAPIC_OK);
	return value;
}

static void wr(uint32_t offset, uint32_t value)
{
	assert_int_equal(vlapic_mmio_write(vl, offset, 4, value), VLAPIC_OK);
}

static uint64_t msr_rd(uint32_t msr)
{
	uint64_t value = 0xDEADBEEF;

	assert_int_equal(vlapic_msr_read(vl, msr, &value), VLAPIC_OK);
	return value;
}

static void msr_wr(uint32_t msr, uint64_t value)
{
	assert_int_equal(vlapic_msr_write(vl, msr, value), VLAPIC_OK);
}

/* §11.5.3 write-before-read: latch the accumulated errors and read them (either mode). */
static uint32_t esr_latch(void)
{
	if (vlapic_x2apic_mode(vl)) {
		msr_wr(0x828, 0);
		return (uint32_t)msr_rd(0x828);
	}
	wr(APIC_ESR, 0);
	return rd(APIC_ESR);
}

static void sw_enable(void)
{
	if (vlapic_x2apic_mode(vl))
		msr_wr(0x80F, 0x1FF);
	else
		wr(APIC_SVR, 0x1FF);
}

/* A fresh vLAPIC, software-enabled, spurious vector 0xFF. */
static void restart(void)
{
	vlapic_destroy(vl);
	create();
	sw_enable();
}

static void enter_x2apic(void)
{
	assert_true(vlapic_set_apic_base(vl, APIC_BASE_DEFAULT_ADDRESS | BASE_EN | BASE_EXTD));
	assert_true(vlapic_x2apic_mode(vl));
}

static void eoi(void)
{
	if (vlapic_x2apic_mode(vl))
		msr_wr(0x80B, 0);
	else
		wr(APIC_EOI, 0);
}

/* ---- pure helpers (apic_regs.h) ------------------------------------------------------------- */

static void test_pure_helpers(void **state)
{
	static const uint32_t divisor[16] = {
		2, 4, 8, 16, 2, 4, 8, 16, 32, 64, 128, 1, 32, 64, 128, 1, /* bit 2 is not used */
	};
	static const struct { uint32_t id, ldr; } ldr[] = {
		{ 0x0, 0x00000001 }, { 0x25, 0x00020020 }, { 0xF, 0x00008000 },
		{ 0x10, 0x00010001 }, { 0xFFFFF, 0xFFFF8000 }, { 0x100000, 0x00000001 },
		{ 0x12345, 0x12340020 },
	};
	static const struct { uint32_t tpr, isrv, ppr; } ppr[] = {
		{ 0x00, 0x00, 0x00 }, { 0x35, 0x00, 0x35 }, { 0x35, 0x31, 0x35 }, { 0x35, 0x41, 0x40 },
		{ 0x3F, 0x3F, 0x3F }, { 0x20, 0xFE, 0xF0 }, { 0xF0, 0xFE, 0xF0 }, { 0x1FF, 0, 0xFF },
	};

	(void)state;
	for (uint32_t dcr = 0; dcr < 16; dcr++)
		if (apic_timer_divisor(dcr) != divisor[dcr])
			fail_msg("DCR %#x: divisor %u, want %u", dcr, apic_timer_divisor(dcr),
				 divisor[dcr]);
	for (uint32_t msr = 0x800; msr <= 0x8FF; msr++) {
		assert_int_equal(apic_x2apic_msr_offset(msr), (msr - 0x800) * 16);
		assert_int_equal(apic_offset_x2apic_msr(apic_x2apic_msr_offset(msr)), msr);
	}
	assert_int_equal(apic_x2apic_msr_offset(0x830), APIC_ICR_LOW);
	assert_int_equal(apic_x2apic_msr_offset(0x83F), APIC_SELF_IPI);
	for (unsigned i = 0; i < ARRAY_SIZE(ldr); i++)
		if (apic_x2apic_logical_id(ldr[i].id) != ldr[i].ldr)
			fail_msg("x2APIC ID %#x: LDR %#x, want %#x", ldr[i].id,
				 apic_x2apic_logical_id(ldr[i].id), ldr[i].ldr);
	for (unsigned i = 0; i < ARRAY_SIZE(ppr); i++)
		if (apic_processor_priority(ppr[i].tpr, ppr[i].isrv) != ppr[i].ppr)
			fail_msg("TPR %#x ISRV %#x: PPR %#x, want %#x", ppr[i].tpr, ppr[i].isrv,
				 apic_processor_priority(ppr[i].tpr, ppr[i].isrv), ppr[i].ppr);
	for (unsigned v = 0; v < 256; v++)
		assert_int_equal(apic_vector_dword_offset(APIC_IRR0, (uint8_t)v),
				 0x200 + 0x10 * (v / 32));
}

/* ---- reset ----------------------------------------------------------------------------------- */

static uint32_t reset_value(uint32_t offset)
{
	switch (offset) {
	case APIC_ID:
		return OWN_ID << 24;
	case APIC_VERSION:
		return 0x01060014; /* 0x14, max LVT entry 6, EOI-broadcast suppression */
	case APIC_DFR:
		return 0xFFFFFFFF;
	case APIC_SVR:
		return 0xFF;
	case APIC_LVT_CMCI: case APIC_LVT_TIMER: case APIC_LVT_THERMAL: case APIC_LVT_PMC:
	case APIC_LVT_LINT0: case APIC_LVT_LINT1: case APIC_LVT_ERROR:
		return 0x10000;
	default:
		return 0;
	}
}

static void test_reset_state(void **state)
{
	struct vlapic *ap;

	(void)state;
	/* The page after creation: every byte rewritten from the 0xA5 fill. */
	for (uint32_t offset = 0; offset < 4096; offset += 4) {
		uint32_t want = (offset & 0xF) == 0 && offset < 0x400 ? reset_value(offset) : 0;

		if (page_reg(offset) != want)
			fail_msg("offset %#x holds %#x after reset, want %#x", offset,
				 page_reg(offset), want);
	}
	assert_int_equal(vlapic_apic_base(vl), 0xFEE00000 | BASE_EN | BASE_BSP);
	assert_int_equal(vlapic_mmio_base(vl), 0xFEE00000);
	assert_true(vlapic_hw_enabled(vl));
	assert_false(vlapic_sw_enabled(vl));
	assert_false(vlapic_x2apic_mode(vl));
	assert_int_equal(vlapic_timer_deadline(vl), 0);
	assert_int_equal(vlapic_timer_hz(vl), TSC_HZ);
	assert_ptr_equal(vlapic_page(vl), page);
	assert_int_equal(vlapic_highest_irr(vl), -1);
	assert_int_equal(vlapic_highest_isr(vl), -1);
	assert_int_equal(esr_latch(), 0);

	/* An AP: no BSP bit, its own ID. */
	{
		static uint8_t ap_page[4096] __attribute__((aligned(4096)));

		ap = vlapic_create(3, false, ap_page, TSC_HZ, NULL, NULL);
		assert_non_null(ap);
		assert_int_equal(vlapic_apic_base(ap), 0xFEE00000 | BASE_EN);
		assert_int_equal(*(uint32_t *)(ap_page + APIC_ID), 0x03000000);
		vlapic_destroy(ap);
	}

	/* vlapic_reset after the guest changed things: back to power-up, timer disarmed. */
	sw_enable();
	wr(APIC_TPR, 0x40);
	wr(APIC_LVT_TIMER, 0x20);
	wr(APIC_TIMER_INITIAL_COUNT, 100);
	vlapic_set_irq(vl, 0x80, true);
	assert_true(vlapic_set_apic_base(vl, 0xFED00000 | BASE_EN | BASE_EXTD));
	rec.timer_changed = 0;
	vlapic_reset(vl);
	assert_int_equal(rec.timer_changed, 1);
	assert_int_equal(vlapic_timer_deadline(vl), 0);
	assert_int_equal(vlapic_apic_base(vl), 0xFEE00000 | BASE_EN | BASE_BSP);
	for (uint32_t offset = 0; offset < 0x400; offset += 0x10)
		if (page_reg(offset) != reset_value(offset))
			fail_msg("offset %#x holds %#x after vlapic_reset", offset, page_reg(offset));
}

/* ---- acceptance, acknowledge, EOI over every vector ----------------------------------------- */

static void test_accept_every_vector(void **state)
{
	(void)state;
	for (unsigned v = 0; v < 256; v++) {
		const struct vlapic_stats *stats;

		restart();
		stats = vlapic_stats(vl);
		assert_int_equal(vlapic_set_irq(vl, (uint8_t)v, false), v >= 16);
		if (v < 16) {
			/* §11.5.2: vectors 0–15 are illegal: ESR bit 6, nothing pending. */
			assert_int_equal(page_vector_count(APIC_IRR0), 0);
			assert_int_equal(vlapic_pending_interrupt(vl), -1);
			assert_int_equal(vlapic_acknowledge(vl), -1);
			assert_int_equal(esr_latch(), ESR_RECEIVE_ILLEGAL);
			assert_int_equal(stats->illegal_vectors, 1);
			assert_int_equal(stats->accepted, 0);
			continue;
		}
		assert_true(page_vector(APIC_IRR0, v));
		assert_int_equal(page_vector_count(APIC_IRR0), 1);
		assert_int_equal(vlapic_highest_irr(vl), v);
		assert_int_equal(vlapic_pending_interrupt(vl), v);
		assert_int_equal(vlapic_acknowledge(vl), v);
		assert_int_equal(page_vector_count(APIC_IRR0), 0);
		assert_true(page_vector(APIC_ISR0, v));
		assert_int_equal(page_vector_count(APIC_ISR0), 1);
		assert_int_equal(vlapic_highest_isr(vl), v);
		assert_int_equal(page_reg(APIC_PPR), v & 0xF0);
		assert_int_equal(rd(APIC_PPR), v & 0xF0);
		assert_int_equal(vlapic_pending_interrupt(vl), -1);
		eoi();
		assert_int_equal(page_vector_count(APIC_ISR0), 0);
		assert_int_equal(page_reg(APIC_PPR), 0);
		assert_int_equal(esr_latch(), 0);
		assert_int_equal(stats->accepted, 1);
		assert_int_equal(stats->delivered, 1);
		assert_int_equal(stats->eois, 1);
		assert_int_equal(rec.eoi_levels, 0);
	}
}

/* For every TPR class × in-service class × vector class: pending iff the vector's class is above
 * both (§11.8.3.1), PPR by the SDM's formula, acknowledge gives the vector or the spurious one. */
static void test_priority_matrix(void **state)
{
	(void)state;
	for (unsigned tpr_class = 0; tpr_class < 16; tpr_class++) {
		for (unsigned isr_class = 0; isr_class < 16; isr_class++) {
			for (unsigned vector_class = 1; vector_class < 16; vector_class++) {
				unsigned tpr = tpr_class << 4 | 0x9;
				unsigned isr_vector = isr_class << 4 | 0x3;
				unsigned vector = vector_class << 4 | 0x7;
				unsigned ppr = tpr_class >= isr_class ? tpr : isr_class << 4;
				bool deliverable = vector_class > tpr_class && vector_class > isr_class;

				restart();
				if (isr_class) {
					vlapic_set_irq(vl, (uint8_t)isr_vector, false);
					assert_int_equal(vlapic_acknowledge(vl), isr_vector);
				}
				wr(APIC_TPR, tpr);
				if (rd(APIC_PPR) != ppr)
					fail_msg("TPR %#x ISR %#x: PPR %#x, want %#x", tpr,
						 isr_class ? isr_vector : 0, rd(APIC_PPR), ppr);
				vlapic_set_irq(vl, (uint8_t)vector, false);
				if (vlapic_pending_interrupt(vl) != (deliverable ? (int)vector : -1))
					fail_msg("TPR %#x ISR class %u vector %#x: pending %d", tpr,
						 isr_class, vector, vlapic_pending_interrupt(vl));
				assert_int_equal(vlapic_acknowledge(vl), deliverable ? vector : 0xFF);
				assert_int_equal(page_vector(APIC_ISR0, vector), deliverable);
				assert_int_equal(page_vector(APIC_IRR0, vector), !deliverable);
			}
		}
	}
}

static void test_highest_first(void **state)
{
	static const uint8_t vectors[] = { 0x31, 0x20, 0xFE, 0x46, 0x45, 0xA0 };
	static const uint8_t order[] = { 0xFE, 0xA0, 0x46, 0x45, 0x31, 0x20 };

	(void)state;
	sw_enable();
	for (unsigned i = 0; i < ARRAY_SIZE(vectors); i++)
		vlapic_set_irq(vl, vectors[i], false);
	for (unsigned i = 0; i < ARRAY_SIZE(order); i++) {
		assert_int_equal(vlapic_highest_irr(vl), order[i]);
		assert_int_equal(vlapic_acknowledge(vl), order[i]);
		/* Nothing of the same or a lower class gets through while it is in service. */
		assert_int_equal(vlapic_pending_interrupt(vl), -1);
		eoi();
	}
	assert_int_equal(vlapic_acknowledge(vl), -1);

	/* Nesting: a higher class interrupts a lower one; EOI retires the highest only. */
	vlapic_set_irq(vl, 0x30, false);
	assert_int_equal(vlapic_acknowledge(vl), 0x30);
	vlapic_set_irq(vl, 0x50, false);
	vlapic_set_irq(vl, 0x3F, false);
	assert_int_equal(vlapic_pending_interrupt(vl), 0x50);
	assert_int_equal(vlapic_acknowledge(vl), 0x50);
	assert_int_equal(page_vector_count(APIC_ISR0), 2);
	assert_int_equal(rd(APIC_PPR), 0x50);
	eoi();
	assert_false(page_vector(APIC_ISR0, 0x50));
	assert_true(page_vector(APIC_ISR0, 0x30));
	assert_int_equal(rd(APIC_PPR), 0x30);
	assert_int_equal(vlapic_pending_interrupt(vl), -1); /* 0x3F: same class as 0x30 */
	eoi();
	assert_int_equal(page_vector_count(APIC_ISR0), 0);
	assert_int_equal(vlapic_acknowledge(vl), 0x3F);
	eoi();
	/* An EOI with nothing in service changes nothing. */
	eoi();
	assert_int_equal(vlapic_stats(vl)->eois, ARRAY_SIZE(order) + 3);
}

static void test_tmr_and_eoi_exit_bitmap(void **state)
{
	uint64_t bitmap[4];

	(void)state;
	sw_enable();
	for (unsigned v = 16; v < 256; v++) {
		vlapic_set_irq(vl, (uint8_t)v, true);
		assert_true(page_vector(APIC_TMR0, v));
		vlapic_eoi_exit_bitmap(vl, bitmap);
		assert_true(bitmap[v / 64] & (1ull << (v % 64)));
		vlapic_set_irq(vl, (uint8_t)v, false);
		assert_false(page_vector(APIC_TMR0, v));
		vlapic_eoi_exit_bitmap(vl, bitmap);
		assert_false(bitmap[v / 64] & (1ull << (v % 64)));
	}
	/* A mixed set: the bitmap is exactly the level vectors. */
	for (unsigned v = 16; v < 256; v++)
		vlapic_set_irq(vl, (uint8_t)v, v % 3 == 0);
	vlapic_eoi_exit_bitmap(vl, bitmap);
	for (unsigned v = 0; v < 256; v++)
		if (!!(bitmap[v / 64] & (1ull << (v % 64))) != (v >= 16 && v % 3 == 0))
			fail_msg("EOI-exit bitmap bit %u wrong", v);
	/* Level vectors 0–15 are refused: no TMR bit. */
	vlapic_set_irq(vl, 7, true);
	assert_false(page_vector(APIC_TMR0, 7));
}

/* eoi_level is called exactly for level vectors, and never with EOI-broadcast suppression. */
static void test_eoi_level_callback(void **state)
{
	(void)state;
	for (unsigned v = 16; v < 256; v++) {
		for (unsigned suppress = 0; suppress < 2; suppress++) {
			for (unsigned level = 0; level < 2; level++) {
				const struct vlapic_stats *stats;

				restart();
				stats = vlapic_stats(vl);
				if (suppress)
					wr(APIC_SVR, 0x11FF);
				vlapic_set_irq(vl, (uint8_t)v, level);
				assert_int_equal(vlapic_acknowledge(vl), v);
				eoi();
				assert_int_equal(rec.eoi_levels, level && !suppress);
				if (level && !suppress)
					assert_int_equal(rec.eoi_level_vector[0], v);
				assert_int_equal(stats->level_eois, level && !suppress);
				assert_int_equal(stats->suppressed_level_eois, level && suppress);
			}
		}
	}
}

static void test_spurious_on_acknowledge(void **state)
{
	(void)state;
	wr(APIC_SVR, 0x13F); /* enabled, spurious vector 0x3F */
	assert_int_equal(vlapic_acknowledge(vl), -1); /* nothing pending at all */
	vlapic_set_irq(vl, 0x80, false);
	assert_int_equal(vlapic_pending_interrupt(vl), 0x80);
	/* The TPR rises between the request and the INTA cycle. */
	wr(APIC_TPR, 0x80);
	assert_int_equal(vlapic_acknowledge(vl), 0x3F);
	assert_int_equal(page_vector_count(APIC_ISR0), 0);
	assert_true(page_vector(APIC_IRR0, 0x80));
	assert_int_equal(vlapic_stats(vl)->spurious, 1);
	assert_int_equal(vlapic_stats(vl)->delivered, 0);
	wr(APIC_TPR, 0x7F);
	assert_int_equal(vlapic_acknowledge(vl), 0x80);
	assert_int_equal(vlapic_stats(vl)->delivered, 1);
}

/* ---- errors ------------------------------------------------------------------------------------ */

static void test_esr_write_before_read(void **state)
{
	(void)state;
	sw_enable();
	assert_int_equal(rd(APIC_ESR), 0);
	vlapic_set_irq(vl, 5, false);
	assert_int_equal(rd(APIC_ESR), 0);          /* not latched yet */
	wr(APIC_ESR, 0);
	assert_int_equal(rd(APIC_ESR), ESR_RECEIVE_ILLEGAL);
	assert_int_equal(rd(APIC_ESR), ESR_RECEIVE_ILLEGAL); /* reading does not clear */
	wr(APIC_ICR_LOW, 0x00040003);               /* fixed, vector 3, to self */
	assert_int_equal(rd(APIC_ESR), ESR_RECEIVE_ILLEGAL);
	wr(APIC_ESR, 0xFFFFFFFF);                   /* the value written does not matter */
	assert_int_equal(rd(APIC_ESR), ESR_SEND_ILLEGAL);
	rd(0x290);                                  /* reserved register */
	wr(APIC_ESR, 0);
	assert_int_equal(rd(APIC_ESR), ESR_ILLEGAL_REGISTER);
	vlapic_set_irq(vl, 1, false);
	wr(APIC_ICR_LOW, 0x00040001);
	wr(0x3A0, 1);
	wr(APIC_ESR, 0);
	assert_int_equal(rd(APIC_ESR), ESR_SEND_ILLEGAL | ESR_RECEIVE_ILLEGAL | ESR_ILLEGAL_REGISTER);
	wr(APIC_ESR, 0);
	assert_int_equal(rd(APIC_ESR), 0);
	assert_int_equal(vlapic_stats(vl)->errors, 6);
}

static void test_lvt_error_interrupt(void **state)
{
	(void)state;
	sw_enable();
	wr(APIC_LVT_ERROR, 0xE3);
	vlapic_set_irq(vl, 7, false);
	assert_int_equal(vlapic_highest_irr(vl), 0xE3);
	assert_false(page_vector(APIC_TMR0, 0xE3)); /* edge */
	assert_int_equal(vlapic_acknowledge(vl), 0xE3);
	eoi();
	/* Not rearmed until the ESR is written (§11.5.3). */
	vlapic_set_irq(vl, 8, false);
	assert_int_equal(vlapic_highest_irr(vl), -1);
	assert_int_equal(esr_latch(), ESR_RECEIVE_ILLEGAL);
	wr(APIC_ICR_LOW, 0x00040002);
	assert_int_equal(vlapic_highest_irr(vl), 0xE3);
	assert_int_equal(vlapic_acknowledge(vl), 0xE3);
	eoi();
	assert_int_equal(esr_latch(), ESR_SEND_ILLEGAL);
	/* Masked: errors accumulate, no interrupt. */
	wr(APIC_LVT_ERROR, 0x100E3);
	rd(0x040);
	assert_int_equal(vlapic_highest_irr(vl), -1);
	assert_int_equal(esr_latch(), ESR_ILLEGAL_REGISTER);
	/* An illegal vector in the LVT error entry is one more error, not a loop. */
	wr(APIC_LVT_ERROR, 0x05);
	wr(APIC_ICR_LOW, 0x00040002);
	assert_int_equal(vlapic_highest_irr(vl), -1);
	assert_int_equal(esr_latch(), ESR_SEND_ILLEGAL | ESR_RECEIVE_ILLEGAL);
}

/* ---- xAPIC MMIO register matrix ------------------------------------------------------------- */

struct mmio_case {
	uint32_t offset;
	uint32_t write;
	uint32_t read;   /* after the write */
	uint32_t esr;    /* latched after write and read */
};

static const struct mmio_case mmio_cases[] = {
	{ APIC_ID, 0xFFFFFFFF, 0xFF000000, 0 },          /* bits 31:24 writable */
	{ APIC_ID, 0x12345678, 0x12000000, 0 },
	{ APIC_VERSION, 0, 0x01060014, 0 },              /* read-only */
	{ APIC_TPR, 0xFFFFFFFF, 0xFF, 0 },
	{ APIC_TPR, 0x5A, 0x5A, 0 },
	{ APIC_APR, 0xFF, 0, 0 },
	{ APIC_PPR, 0xFF, 0, 0 },
	{ APIC_EOI, 0xFFFFFFFF, 0, 0 },                  /* write-only: reads 0 */
	{ APIC_RRD, 0xFF, 0, 0 },
	{ APIC_LDR, 0xFFFFFFFF, 0xFF000000, 0 },
	{ APIC_DFR, 0, 0x0FFFFFFF, 0 },
	{ APIC_DFR, 0x5A5A5A5A, 0x5FFFFFFF, 0 },
	{ APIC_SVR, 0xFFFFFFFF, 0x13FF, 0 },
	{ APIC_SVR, 0x00000E5A, 0x0000025A, 0 },
	{ APIC_ISR0, 0xFFFFFFFF, 0, 0 }, { APIC_ISR7, 0xFFFFFFFF, 0, 0 },
	{ APIC_TMR0, 0xFFFFFFFF, 0, 0 }, { APIC_TMR7, 0xFFFFFFFF, 0, 0 },
	{ APIC_IRR0, 0xFFFFFFFF, 0, 0 }, { APIC_IRR7, 0xFFFFFFFF, 0, 0 },
	{ APIC_ESR, 0xFFFFFFFF, 0, 0 },
	{ APIC_LVT_CMCI, 0xFFFFFFFF, 0x000107FF, 0 },
	{ APIC_ICR_LOW, 0xFFFFFFFF, 0x000CCFFF, 0 },     /* delivery status reads 0 */
	{ APIC_ICR_LOW, 0x00001040 | 0x00040000, 0x00040040, 0 },
	{ APIC_ICR_HIGH, 0xFFFFFFFF, 0xFF000000, 0 },
	{ APIC_LVT_TIMER, 0xFFFFFFFF, 0x000700FF, 0 },
	{ APIC_LVT_TIMER, 0x00020030, 0x00020030, 0 },
	{ APIC_LVT_THERMAL, 0xFFFFFFFF, 0x000107FF, 0 },
	{ APIC_LVT_PMC, 0xFFFFFFFF, 0x000107FF, 0 },
	{ APIC_LVT_LINT0, 0xFFFFFFFF, 0x0001A7FF, 0 },   /* remote IRR, status read-only */
	{ APIC_LVT_LINT1, 0xFFFFFFFF, 0x0001A7FF, 0 },
	{ APIC_LVT_ERROR, 0xFFFFFFFF, 0x000100FF, 0 },
	{ APIC_LVT_ERROR, 0x000000E0, 0x000000E0, 0 },
	{ APIC_TIMER_INITIAL_COUNT, 0xFFFFFFFF, 0xFFFFFFFF, 0 },
	{ APIC_TIMER_CURRENT_COUNT, 0x1234, 0, 0 },      /* read-only; timer stopped */
	{ APIC_TIMER_DIVIDE, 0xFFFFFFFF, 0xB, 0 },
	{ APIC_TIMER_DIVIDE, 0x4, 0, 0 },
	/* Reserved: read 0, writes ignored, "Illegal Register Address". */
	{ 0x000, 1, 0, ESR_ILLEGAL_REGISTER }, { 0x010, 1, 0, ESR_ILLEGAL_REGISTER },
	{ 0x040, 1, 0, ESR_ILLEGAL_REGISTER }, { 0x050, 1, 0, ESR_ILLEGAL_REGISTER },
	{ 0x060, 1, 0, ESR_ILLEGAL_REGISTER }, { 0x070, 1, 0, ESR_ILLEGAL_REGISTER },
	{ 0x290, 1, 0, ESR_ILLEGAL_REGISTER }, { 0x2A0, 1, 0, ESR_ILLEGAL_REGISTER },
	{ 0x2B0, 1, 0, ESR_ILLEGAL_REGISTER }, { 0x2C0, 1, 0, ESR_ILLEGAL_REGISTER },
	{ 0x2D0, 1, 0, ESR_ILLEGAL_REGISTER }, { 0x2E0, 1, 0, ESR_ILLEGAL_REGISTER },
	{ 0x3A0, 1, 0, ESR_ILLEGAL_REGISTER }, { 0x3B0, 1, 0, ESR_ILLEGAL_REGISTER },
	{ 0x3C0, 1, 0, ESR_ILLEGAL_REGISTER }, { 0x3D0, 1, 0, ESR_ILLEGAL_REGISTER },
	{ APIC_SELF_IPI, 0x40, 0, ESR_ILLEGAL_REGISTER }, /* x2APIC only */
	/* Past the register space: nothing, silently. */
	{ 0x400, 1, 0, 0 }, { 0x800, 1, 0, 0 }, { 0xFF0, 1, 0, 0 },
};

static void test_xapic_register_matrix(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(mmio_cases); i++) {
		const struct mmio_case *c = &mmio_cases[i];
		uint32_t value;

		restart();
		wr(c->offset, c->write);
		value = rd(c->offset);
		if (value != c->read)
			fail_msg("offset %#x after writing %#x reads %#x, want %#x", c->offset,
				 c->write, value, c->read);
		/* What the guest reads without an exit is the page. */
		if (c->offset != APIC_EOI && c->offset < 0x400 && page_reg(c->offset) != c->read)
			fail_msg("offset %#x: page holds %#x, want %#x", c->offset,
				 page_reg(c->offset), c->read);
		if (esr_latch() != c->esr)
			fail_msg("offset %#x: ESR %#x, want %#x", c->offset, rd(APIC_ESR), c->esr);
	}
}

static void test_mmio_widths(void **state)
{
	uint32_t value;

	(void)state;
	sw_enable();
	wr(APIC_TPR, 0x5A);
	/* Reads: the bytes at the offset; bytes 4–15 of a slot read 0. */
	assert_int_equal(vlapic_mmio_read(vl, APIC_TPR, 1, &value), VLAPIC_OK);
	assert_int_equal(value, 0x5A);
	assert_int_equal(vlapic_mmio_read(vl, APIC_ID + 3, 1, &value), VLAPIC_OK);
	assert_int_equal(value, OWN_ID);
	assert_int_equal(vlapic_mmio_read(vl, APIC_ID + 2, 2, &value), VLAPIC_OK);
	assert_int_equal(value, OWN_ID << 8);
	assert_int_equal(vlapic_mmio_read(vl, APIC_ID + 2, 4, &value), VLAPIC_OK);
	assert_int_equal(value, OWN_ID << 8);
	assert_int_equal(vlapic_mmio_read(vl, APIC_ID + 4, 4, &value), VLAPIC_OK);
	assert_int_equal(value, 0);
	assert_int_equal(vlapic_mmio_read(vl, APIC_VERSION, 8, &value), VLAPIC_OK);
	assert_int_equal(value, 0x01060014);
	assert_int_equal(vlapic_mmio_read(vl, APIC_VERSION + 2, 2, &value), VLAPIC_OK);
	assert_int_equal(value, 0x0106);
	/* Writes that are not an aligned dword are ignored and counted. */
	assert_int_equal(vlapic_mmio_write(vl, APIC_TPR, 1, 0x77), VLAPIC_OK);
	assert_int_equal(vlapic_mmio_write(vl, APIC_TPR, 2, 0x77), VLAPIC_OK);
	assert_int_equal(vlapic_mmio_write(vl, APIC_TPR + 4, 4, 0x77), VLAPIC_OK);
	assert_int_equal(vlapic_mmio_write(vl, APIC_TPR, 8, 0x77), VLAPIC_OK);
	assert_int_equal(rd(APIC_TPR), 0x5A);
	assert_int_equal(vlapic_stats(vl)->ignored_mmio_writes, 4);
	assert_int_equal(esr_latch(), 0);
	/* Past the page. */
	assert_int_equal(vlapic_mmio_read(vl, 4096, 4, &value), VLAPIC_NOT_APIC);
	assert_int_equal(vlapic_mmio_write(vl, 4096, 4, 0), VLAPIC_NOT_APIC);
	/* x2APIC mode and hardware-disabled: the range is not the APIC's. */
	enter_x2apic();
	assert_int_equal(vlapic_mmio_read(vl, APIC_ID, 4, &value), VLAPIC_NOT_APIC);
	assert_int_equal(vlapic_mmio_write(vl, APIC_TPR, 4, 0x10), VLAPIC_NOT_APIC);
	assert_int_equal(msr_rd(0x808), 0x5A);
	assert_true(vlapic_set_apic_base(vl, APIC_BASE_DEFAULT_ADDRESS));
	assert_int_equal(vlapic_mmio_read(vl, APIC_ID, 4, &value), VLAPIC_NOT_APIC);
	assert_int_equal(vlapic_mmio_write(vl, APIC_TPR, 4, 0x10), VLAPIC_NOT_APIC);
}

/* ---- x2APIC MSR matrix ------------------------------------------------------------------------ */

#define GP (-1ll)

/* RDMSR results right after entering x2APIC mode from reset; GP = #GP. */
static long long x2apic_read_expected(uint32_t msr)
{
	switch (msr) {
	case 0x802: return OWN_ID;
	case 0x803: return 0x01060014;
	case 0x808: return 0;               /* TPR */
	case 0x80A: return 0;               /* PPR */
	case 0x80D: return OWN_X2APIC_LDR;
	case 0x80F: return 0xFF;
	case 0x828: return 0;
	case 0x82F: return 0x10000;
	case 0x830: return 0;
	case 0x832: case 0x833: case 0x834: case 0x835: case 0x836: case 0x837:
		return 0x10000;
	case 0x838: case 0x839: case 0x83E:
		return 0;
	default:
		if (msr >= 0x810 && msr <= 0x827)  /* ISR, TMR, IRR */
			return 0;
		return GP; /* reserved, APR 0x809, EOI 0x80B, RRD 0x80C, DFR 0x80E, 0x831, SELF_IPI */
	}
}

static void test_x2apic_read_matrix(void **state)
{
	(void)state;
	/* Not in x2APIC mode: every x2APIC MSR raises #GP. */
	for (uint32_t msr = 0x800; msr <= 0x8FF; msr++) {
		uint64_t value;

		assert_int_equal(vlapic_msr_read(vl, msr, &value), VLAPIC_GP);
		assert_int_equal(vlapic_msr_write(vl, msr, 0), VLAPIC_GP);
	}
	enter_x2apic();
	for (uint32_t msr = 0x800; msr <= 0x8FF; msr++) {
		uint64_t value = 0;
		enum vlapic_status status = vlapic_msr_read(vl, msr, &value);
		long long want = x2apic_read_expected(msr);

		if (want == GP && status != VLAPIC_GP)
			fail_msg("RDMSR %#x: no #GP", msr);
		if (want != GP && (status != VLAPIC_OK || value != (uint64_t)want))
			fail_msg("RDMSR %#x: status %d value %#llx, want %#llx", msr, status,
				 (unsigned long long)value, want);
	}
	/* Other MSRs are not the APIC's. */
	{
		uint64_t value;

		assert_int_equal(vlapic_msr_read(vl, 0x7FF, &value), VLAPIC_GP);
		assert_int_equal(vlapic_msr_read(vl, 0x900, &value), VLAPIC_GP);
		assert_int_equal(vlapic_msr_read(vl, APIC_MSR_APIC_BASE, &value), VLAPIC_OK);
		assert_int_equal(value, vlapic_apic_base(vl));
	}
}

struct msr_write_case {
	uint32_t msr;
	uint64_t value;
	bool gp;
	uint32_t read_msr;    /* 0: no read-back */
	uint64_t read;
};

static const struct msr_write_case msr_write_cases[] = {
	{ 0x802, 0x25, true, 0x802, OWN_ID },              /* ID read-only */
	{ 0x803, 0, true, 0x803, 0x01060014 },
	{ 0x808, 0x5A, false, 0x808, 0x5A },
	{ 0x808, 0x15A, true, 0x808, 0 },                  /* TPR bits 31:8 reserved */
	{ 0x808, 1ull << 32, true, 0x808, 0 },
	{ 0x809, 0, true, 0, 0 },                          /* no APR */
	{ 0x80A, 0, true, 0x80A, 0 },                      /* PPR read-only */
	{ 0x80B, 0, false, 0, 0 },                         /* EOI */
	{ 0x80B, 1, true, 0, 0 },                          /* non-zero EOI */
	{ 0x80C, 0, true, 0, 0 },
	{ 0x80D, OWN_X2APIC_LDR, true, 0x80D, OWN_X2APIC_LDR },
	{ 0x80E, 0xFFFFFFFF, true, 0, 0 },                 /* no DFR */
	{ 0x80F, 0x13FF, false, 0x80F, 0x13FF },
	{ 0x80F, 0x21FF, true, 0x80F, 0x1FF },             /* bit 13 reserved */
	{ 0x80F, 0x05FF, true, 0x80F, 0x1FF },             /* bit 10 reserved */
	{ 0x810, 0, true, 0x810, 0 },
	{ 0x817, 0, true, 0x817, 0 },
	{ 0x818, 0, true, 0x818, 0 },
	{ 0x820, 0, true, 0x820, 0 },
	{ 0x827, 0, true, 0x827, 0 },
	{ 0x828, 0, false, 0x828, 0 },
	{ 0x828, 1, true, 0x828, 0 },                      /* non-zero ESR */
	{ 0x829, 0, true, 0, 0 },
	{ 0x82F, 0x000000F0, false, 0x82F, 0x000000F0 },
	{ 0x82F, 0x000010F0, false, 0x82F, 0x000000F0 },   /* delivery status ignored */
	{ 0x82F, 0x000080F0, true, 0x82F, 0x00010000 },
	{ 0x830, 0x0000002600000030ull, false, 0x830, 0x0000002600000030ull },
	{ 0x830, 0x0000002600001030ull, false, 0x830, 0x0000002600000030ull },
	{ 0x830, 0x0000002600002030ull, true, 0x830, 0 },  /* bit 13 */
	{ 0x830, 0x0000002600010030ull, true, 0x830, 0 },  /* bit 16 */
	{ 0x830, 0x0000002600100030ull, true, 0x830, 0 },  /* bit 20 */
	{ 0x830, 0x0000002680000030ull, true, 0x830, 0 },  /* bit 31 */
	{ 0x831, 0, true, 0, 0 },
	{ 0x832, 0x00020040, false, 0x832, 0x00020040 },
	{ 0x832, 0x00080040, true, 0x832, 0x00010000 },    /* bit 19 */
	{ 0x832, 0x00000140, true, 0x832, 0x00010000 },    /* no delivery mode in the timer */
	{ 0x833, 0x000002F0, false, 0x833, 0x000002F0 },
	{ 0x834, 0x000004F0, false, 0x834, 0x000004F0 },
	{ 0x835, 0x0001F7FF, false, 0x835, 0x0001A7FF },   /* remote IRR, status ignored */
	{ 0x835, 0x000207FF, true, 0x835, 0x00010000 },
	{ 0x836, 0x00000400, false, 0x836, 0x00000400 },
	{ 0x837, 0x000000E0, false, 0x837, 0x000000E0 },
	{ 0x837, 0x000001E0, true, 0x837, 0x00010000 },
	{ 0x838, 0xFFFFFFFF, false, 0x838, 0xFFFFFFFF },
	{ 0x838, 1ull << 32, true, 0x838, 0 },
	{ 0x839, 0, true, 0x839, 0 },
	{ 0x83A, 0, true, 0, 0 },
	{ 0x83E, 0xB, false, 0x83E, 0xB },
	{ 0x83E, 0x4, true, 0x83E, 0 },
	{ 0x83F, 0x40, false, 0, 0 },
	{ 0x83F, 0x140, true, 0, 0 },
	{ 0x840, 0, true, 0, 0 },
	{ 0x8FF, 0, true, 0, 0 },
};

static void test_x2apic_write_matrix(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(msr_write_cases); i++) {
		const struct msr_write_case *c = &msr_write_cases[i];
		enum vlapic_status status;

		restart();
		enter_x2apic();
		sw_enable();
		status = vlapic_msr_write(vl, c->msr, c->value);
		if (status != (c->gp ? VLAPIC_GP : VLAPIC_OK))
			fail_msg("WRMSR %#x, %#llx: status %d, want %s", c->msr,
				 (unsigned long long)c->value, status, c->gp ? "#GP" : "OK");
		if (c->read_msr && msr_rd(c->read_msr) != c->read)
			fail_msg("WRMSR %#x, %#llx: MSR %#x reads %#llx, want %#llx", c->msr,
				 (unsigned long long)c->value, c->read_msr,
				 (unsigned long long)msr_rd(c->read_msr),
				 (unsigned long long)c->read);
	}
	/* The SELF_IPI that succeeded set its vector. */
	restart();
	enter_x2apic();
	msr_wr(0x83F, 0x40);
	assert_int_equal(vlapic_highest_irr(vl), 0x40);
	/* x2APIC ICR is the 64-bit register at 0x300 of the page (destination at 0x304). */
	msr_wr(0x830, 0x0000123400000031ull);
	assert_int_equal(page_reg(0x300), 0x31);
	assert_int_equal(page_reg(APIC_ICR_X2APIC_DESTINATION), 0x1234);
}

/* ---- IA32_APIC_BASE --------------------------------------------------------------------------- */

enum mode { DISABLED, XAPIC, X2APIC, INVALID };

static uint64_t mode_bits(enum mode m)
{
	static const uint64_t bits[] = { 0, BASE_EN, BASE_EN | BASE_EXTD, BASE_EXTD };

	return bits[m];
}

static enum mode current_mode(void)
{
	if (!vlapic_hw_enabled(vl))
		return DISABLED;
	return vlapic_x2apic_mode(vl) ? X2APIC : XAPIC;
}

static void go_to(enum mode m)
{
	/* From reset (xAPIC) along valid transitions. */
	if (m == X2APIC)
		assert_true(vlapic_set_apic_base(vl, APIC_BASE_DEFAULT_ADDRESS | mode_bits(X2APIC)));
	if (m == DISABLED)
		assert_true(vlapic_set_apic_base(vl, APIC_BASE_DEFAULT_ADDRESS));
	assert_int_equal(current_mode(), m);
}

static void test_apic_base_transitions(void **state)
{
	/* §11.12.5, Figure 11-31: allowed[from][to]. */
	static const bool allowed[3][4] = {
		[DISABLED] = { [DISABLED] = true, [XAPIC] = true, [X2APIC] = false, [INVALID] = false },
		[XAPIC] = { [DISABLED] = true, [XAPIC] = true, [X2APIC] = true, [INVALID] = false },
		[X2APIC] = { [DISABLED] = true, [XAPIC] = false, [X2APIC] = true, [INVALID] = false },
	};

	(void)state;
	for (enum mode from = DISABLED; from <= X2APIC; from++) {
		for (enum mode to = DISABLED; to <= INVALID; to++) {
			bool ok;

			restart();
			go_to(from);
			ok = vlapic_set_apic_base(vl, APIC_BASE_DEFAULT_ADDRESS | mode_bits(to));
			if (ok != allowed[from][to])
				fail_msg("transition %d -> %d: %s", from, to, ok ? "allowed" : "#GP");
			assert_int_equal(current_mode(), ok ? to : from);
			assert_int_equal(vlapic_apic_base(vl) & BASE_BSP, BASE_BSP);
		}
	}
}

static void test_apic_base_reserved_bits(void **state)
{
	(void)state;
	for (unsigned bit = 0; bit < 64; bit++) {
		bool reserved = bit < 8 || bit == 9 || bit >= VLAPIC_MAXPHYADDR;
		uint64_t value = APIC_BASE_DEFAULT_ADDRESS | BASE_EN | (1ull << bit);

		if (bit == 10 || bit == 11)
			continue; /* the mode bits: see the transition table */
		restart();
		if (vlapic_set_apic_base(vl, value) == reserved)
			fail_msg("IA32_APIC_BASE bit %u: %s", bit, reserved ? "accepted" : "#GP");
		if (reserved)
			assert_int_equal(vlapic_apic_base(vl), 0xFEE00000 | BASE_EN | BASE_BSP);
	}
	/* BSP is read-only: cleared in the write, still set; an AP cannot set it. */
	restart();
	assert_true(vlapic_set_apic_base(vl, 0xFED00000 | BASE_EN));
	assert_int_equal(vlapic_apic_base(vl), 0xFED00000 | BASE_EN | BASE_BSP);
	assert_int_equal(vlapic_mmio_base(vl), 0xFED00000);
	assert_true(vlapic_set_apic_base(vl, (1ull << 38) | BASE_EN));
	assert_int_equal(vlapic_mmio_base(vl), 1ull << 38);
	{
		static uint8_t ap_page[4096] __attribute__((aligned(16)));
		struct vlapic *ap = vlapic_create(7, false, ap_page, TSC_HZ, NULL, NULL);

		assert_non_null(ap);
		assert_true(vlapic_set_apic_base(ap, 0xFEE00000 | BASE_EN | BASE_BSP));
		assert_int_equal(vlapic_apic_base(ap), 0xFEE00000 | BASE_EN);
		vlapic_destroy(ap);
	}
	/* Through the MSR interface too. */
	{
		uint64_t value;

		assert_int_equal(vlapic_msr_write(vl, APIC_MSR_APIC_BASE, 0xFEE00000 | BASE_EXTD),
				 VLAPIC_GP);
		assert_int_equal(vlapic_msr_write(vl, APIC_MSR_APIC_BASE, 0xFEE00000 | BASE_EN),
				 VLAPIC_OK);
		assert_int_equal(vlapic_msr_read(vl, APIC_MSR_APIC_BASE, &value), VLAPIC_OK);
		assert_int_equal(value, 0xFEE00000 | BASE_EN | BASE_BSP);
	}
}

static void test_apic_base_state_effects(void **state)
{
	(void)state;
	sw_enable();
	/* xAPIC → x2APIC: the software-written xAPIC ID is lost; ID and LDR from the x2APIC ID. */
	wr(APIC_ID, 0x77000000);
	wr(APIC_LDR, 0x80000000);
	wr(APIC_TPR, 0x30);
	wr(APIC_ICR_HIGH, 0x26000000);
	enter_x2apic();
	assert_int_equal(msr_rd(0x802), OWN_ID);
	assert_int_equal(msr_rd(0x80D), OWN_X2APIC_LDR);
	assert_int_equal(page_reg(APIC_ID), OWN_ID);
	assert_int_equal(page_reg(APIC_LDR), OWN_X2APIC_LDR);
	assert_int_equal(msr_rd(0x808), 0x30);  /* other registers kept */
	assert_int_equal(msr_rd(0x80F), 0x1FF);
	assert_int_equal(msr_rd(0x830) >> 32, 0);

	/* x2APIC → disabled: power-up registers, IDs kept; the timer stops. */
	msr_wr(0x832, 0x40);
	msr_wr(0x838, 1000);
	vlapic_set_irq(vl, 0x90, false);
	assert_int_not_equal(vlapic_timer_deadline(vl), 0);
	rec.timer_changed = 0;
	assert_true(vlapic_set_apic_base(vl, APIC_BASE_DEFAULT_ADDRESS));
	assert_int_equal(vlapic_timer_deadline(vl), 0);
	assert_int_equal(rec.timer_changed, 1);
	assert_false(vlapic_hw_enabled(vl));
	assert_false(vlapic_sw_enabled(vl));
	assert_int_equal(vlapic_highest_irr(vl), -1);
	/* Disabled: no interrupts, no matches, no registers. */
	vlapic_set_irq(vl, 0x91, false);
	assert_int_equal(vlapic_highest_irr(vl), -1);
	assert_int_equal(vlapic_pending_interrupt(vl), -1);
	assert_int_equal(vlapic_acknowledge(vl), -1);
	assert_false(vlapic_match_destination(vl, OWN_ID, false));
	assert_false(vlapic_match_destination(vl, 0xFF, false));
	/* → xAPIC: the power-up state with the 8-bit xAPIC ID. */
	assert_true(vlapic_set_apic_base(vl, APIC_BASE_DEFAULT_ADDRESS | BASE_EN));
	for (uint32_t offset = 0; offset < 0x400; offset += 0x10)
		if (page_reg(offset) != reset_value(offset))
			fail_msg("offset %#x holds %#x after disable/enable", offset,
				 page_reg(offset));

	/* xAPIC → disabled → xAPIC keeps a software-written xAPIC ID. */
	wr(APIC_ID, 0x77000000);
	assert_true(vlapic_set_apic_base(vl, APIC_BASE_DEFAULT_ADDRESS));
	assert_true(vlapic_set_apic_base(vl, APIC_BASE_DEFAULT_ADDRESS | BASE_EN));
	assert_int_equal(rd(APIC_ID), 0x77000000);
}

static void test_init_signal(void **state)
{
	(void)state;
	sw_enable();
	wr(APIC_ID, 0x77000000);
	wr(APIC_TPR, 0x20);
	wr(APIC_LVT_TIMER, 0x40);
	wr(APIC_TIMER_INITIAL_COUNT, 50);
	vlapic_set_irq(vl, 0x50, true);
	vlapic_init_signal(vl);
	assert_int_equal(vlapic_timer_deadline(vl), 0);
	assert_int_equal(vlapic_apic_base(vl), 0xFEE00000 | BASE_EN | BASE_BSP);
	for (uint32_t offset = 0; offset < 0x400; offset += 0x10) {
		uint32_t want = offset == APIC_ID ? 0x77000000 : reset_value(offset);

		if (page_reg(offset) != want)
			fail_msg("offset %#x holds %#x after INIT, want %#x", offset,
				 page_reg(offset), want);
	}
	/* In x2APIC mode INIT keeps the mode and the 32-bit ID; LDR is derived again. */
	enter_x2apic();
	vlapic_init_signal(vl);
	assert_true(vlapic_x2apic_mode(vl));
	assert_int_equal(msr_rd(0x802), OWN_ID);
	assert_int_equal(msr_rd(0x80D), OWN_X2APIC_LDR);
	assert_int_equal(msr_rd(0x80F), 0xFF);
}

/* ---- software disable -------------------------------------------------------------------------- */

static void test_software_disable(void **state)
{
	static const uint32_t lvts[] = {
		APIC_LVT_CMCI, APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PMC, APIC_LVT_LINT0,
		APIC_LVT_LINT1, APIC_LVT_ERROR,
	};

	(void)state;
	/* After reset the APIC is software-disabled: masks cannot be cleared. */
	for (unsigned i = 0; i < ARRAY_SIZE(lvts); i++) {
		wr(lvts[i], 0x30);
		assert_int_equal(rd(lvts[i]), 0x10030);
	}
	assert_false(vlapic_set_irq(vl, 0x40, true));
	assert_int_equal(vlapic_highest_irr(vl), -1);
	assert_int_equal(vlapic_stats(vl)->dropped_disabled, 1);
	/* Enabled: masks stay until software clears them. */
	wr(APIC_SVR, 0x1FF);
	for (unsigned i = 0; i < ARRAY_SIZE(lvts); i++) {
		assert_int_equal(rd(lvts[i]), 0x10030);
		wr(lvts[i], 0x30);
		assert_int_equal(rd(lvts[i]), 0x30);
	}
	vlapic_set_irq(vl, 0x40, false);
	assert_int_equal(vlapic_highest_irr(vl), 0x40);
	/* Disabled again: every mask set; what IRR holds stays deliverable (§11.4.7.2). */
	wr(APIC_SVR, 0xFF);
	for (unsigned i = 0; i < ARRAY_SIZE(lvts); i++)
		assert_int_equal(rd(lvts[i]), 0x10030);
	assert_int_equal(vlapic_pending_interrupt(vl), 0x40);
	vlapic_set_irq(vl, 0x41, false);
	assert_false(page_vector(APIC_IRR0, 0x41));
	/* NMIs are still accepted and IPIs still sent. */
	wr(APIC_ICR_HIGH, OWN_ID << 24);
	wr(APIC_ICR_LOW, 0x400);
	assert_int_equal(rec.nmis, 1);
	wr(APIC_ICR_HIGH, 0x26000000);
	wr(APIC_ICR_LOW, 0x50);
	assert_int_equal(rec.ipis, 1);
	/* A received illegal vector is not an error while disabled: it is not received. */
	vlapic_set_irq(vl, 3, false);
	assert_int_equal(esr_latch(), 0);
}

/* ---- IPIs -------------------------------------------------------------------------------------- */

struct ipi_case {
	const char *what;
	uint32_t icr_high, icr_low;
	int irr;              /* vector latched locally, -1 none */
	unsigned nmis;
	bool sent;            /* handed to send_ipi (with icr_low and icr_high >> 24) */
	uint32_t esr;
};

static const struct ipi_case xapic_ipis[] = {
	{ "fixed, self shorthand", 0, 0x00040040, 0x40, 0, false, 0 },
	{ "fixed, own ID", OWN_ID << 24, 0x00000041, 0x41, 0, false, 0 },
	{ "fixed, other ID", 0x26u << 24, 0x00000042, -1, 0, true, 0 },
	{ "fixed, physical broadcast", 0xFFu << 24, 0x00000043, 0x43, 0, true, 0 },
	{ "fixed, all including self", 0, 0x00080044, 0x44, 0, true, 0 },
	{ "fixed, all excluding self", 0, 0x000C0045, -1, 0, true, 0 },
	{ "fixed, logical, self matches", 0x01u << 24, 0x00000846, 0x46, 0, true, 0 },
	{ "fixed, logical, self does not match", 0x02u << 24, 0x00000847, -1, 0, true, 0 },
	{ "lowest priority, own ID", OWN_ID << 24, 0x00000148, 0x48, 0, false, 0 },
	{ "lowest priority, logical incl. self", 0x03u << 24, 0x00000949, 0x49, 0, false, 0 },
	{ "lowest priority, other ID", 0x26u << 24, 0x0000014A, -1, 0, true, 0 },
	{ "lowest priority, all excluding self", 0, 0x000C014B, -1, 0, true, 0 },
	{ "fixed, illegal vector, self", 0, 0x0004000F, -1, 0, false, ESR_SEND_ILLEGAL },
	{ "fixed, illegal vector, other", 0x26u << 24, 0x00000005, -1, 0, false,
	  ESR_SEND_ILLEGAL },
	{ "lowest priority, illegal vector", 0x26u << 24, 0x00000100, -1, 0, false,
	  ESR_SEND_ILLEGAL },
	{ "NMI, own ID", OWN_ID << 24, 0x00000400, -1, 1, false, 0 },
	{ "NMI, self shorthand", 0, 0x00040400, -1, 1, false, 0 },
	{ "NMI, other ID", 0x26u << 24, 0x00000400, -1, 0, true, 0 },
	{ "NMI, all including self", 0, 0x00080400, -1, 1, true, 0 },
	{ "NMI, logical self", 0x01u << 24, 0x00000C00, -1, 1, true, 0 },
	{ "SMI, other ID", 0x26u << 24, 0x00000200, -1, 0, false, 0 },
	{ "INIT, other ID", 0x26u << 24, 0x00004500, -1, 0, true, 0 },
	{ "INIT, all excluding self", 0, 0x000C4500, -1, 0, true, 0 },
	{ "INIT, own ID", OWN_ID << 24, 0x00004500, -1, 0, false, 0 },
	{ "INIT level de-assert", 0, 0x00088500, -1, 0, false, 0 },
	{ "start-up, other ID", 0x26u << 24, 0x00004608, -1, 0, true, 0 },
	{ "reserved mode 011", 0x26u << 24, 0x00000350, -1, 0, false, 0 },
	{ "reserved mode 111", 0x26u << 24, 0x00000750, -1, 0, false, 0 },
};

static void test_xapic_ipis(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(xapic_ipis); i++) {
		const struct ipi_case *c = &xapic_ipis[i];

		restart();
		wr(APIC_LDR, 0x01000000); /* flat model, logical ID bit 0 */
		wr(APIC_ICR_HIGH, c->icr_high);
		wr(APIC_ICR_LOW, c->icr_low);
		if (vlapic_highest_irr(vl) != c->irr)
			fail_msg("%s: IRR %d, want %d", c->what, vlapic_highest_irr(vl), c->irr);
		if (c->irr >= 0)
			assert_false(page_vector(APIC_TMR0, (unsigned)c->irr)); /* IPIs are edge */
		if (rec.nmis != c->nmis)
			fail_msg("%s: %u NMIs, want %u", c->what, rec.nmis, c->nmis);
		if (rec.ipis != (c->sent ? 1u : 0u))
			fail_msg("%s: %u IPIs to others, want %u", c->what, rec.ipis, c->sent);
		if (c->sent) {
			assert_int_equal(rec.ipi[0].icr_low, c->icr_low);
			assert_int_equal(rec.ipi[0].destination, c->icr_high >> 24);
		}
		if (esr_latch() != c->esr)
			fail_msg("%s: ESR %#x, want %#x", c->what, rd(APIC_ESR), c->esr);
		assert_int_equal(vlapic_stats(vl)->ipis_to_others, c->sent);
	}
	restart();
	wr(APIC_ICR_HIGH, 0x26u << 24);
	wr(APIC_ICR_LOW, 0x200);
	assert_int_equal(vlapic_stats(vl)->smis_ignored, 1);
	wr(APIC_ICR_HIGH, OWN_ID << 24);
	wr(APIC_ICR_LOW, 0x00004500);
	wr(APIC_ICR_LOW, 0x00000750);
	assert_int_equal(vlapic_stats(vl)->unsupported, 2);
	/* Delivery status always reads 0 and the destination stays in ICR high. */
	wr(APIC_ICR_LOW, 0x00041050);
	assert_int_equal(rd(APIC_ICR_LOW), 0x00040050);
	assert_int_equal(rd(APIC_ICR_HIGH), OWN_ID << 24);
}

static const struct ipi_case x2apic_ipis[] = {
	/* icr_high here is the 32-bit destination. */
	{ "fixed, self shorthand", 0, 0x00040040, 0x40, 0, false, 0 },
	{ "fixed, own ID", OWN_ID, 0x00000041, 0x41, 0, false, 0 },
	{ "fixed, own ID + 256", OWN_ID + 256, 0x00000042, -1, 0, true, 0 },
	{ "fixed, ID 0xFF", 0xFF, 0x00000043, -1, 0, true, 0 },
	{ "fixed, broadcast", 0xFFFFFFFF, 0x00000044, 0x44, 0, true, 0 },
	{ "fixed, logical own cluster", OWN_X2APIC_LDR, 0x00000845, 0x45, 0, true, 0 },
	{ "fixed, logical other cluster", 0x00010020, 0x00000846, -1, 0, true, 0 },
	{ "NMI, own ID", OWN_ID, 0x00000400, -1, 1, false, 0 },
	{ "fixed, illegal vector", OWN_ID, 0x00000009, -1, 0, false, ESR_SEND_ILLEGAL },
};

static void test_x2apic_ipis(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(x2apic_ipis); i++) {
		const struct ipi_case *c = &x2apic_ipis[i];

		restart();
		enter_x2apic();
		msr_wr(0x830, (uint64_t)c->icr_high << 32 | c->icr_low);
		if (vlapic_highest_irr(vl) != c->irr)
			fail_msg("%s: IRR %d, want %d", c->what, vlapic_highest_irr(vl), c->irr);
		assert_int_equal(rec.nmis, c->nmis);
		if (rec.ipis != (c->sent ? 1u : 0u))
			fail_msg("%s: %u IPIs to others, want %u", c->what, rec.ipis, c->sent);
		if (c->sent) {
			assert_int_equal(rec.ipi[0].icr_low, c->icr_low);
			assert_int_equal(rec.ipi[0].destination, c->icr_high);
		}
		assert_int_equal(esr_latch(), c->esr);
	}
	/* SELF_IPI: a fixed edge IPI to self; an illegal vector is a send error. */
	restart();
	enter_x2apic();
	msr_wr(0x83F, 0x50);
	assert_int_equal(vlapic_highest_irr(vl), 0x50);
	msr_wr(0x83F, 0x05);
	assert_int_equal(esr_latch(), ESR_SEND_ILLEGAL);
	assert_int_equal(msr_rd(0x830), 0); /* SELF_IPI does not touch ICR */
	assert_int_equal(rec.ipis, 0);
	assert_int_equal(vlapic_stats(vl)->ipis_sent, 1);
}

/* ---- destination matching -------------------------------------------------------------------- */

enum dest_model { XAPIC_PHYSICAL, XAPIC_FLAT, XAPIC_CLUSTER, XAPIC_OTHER_MODEL, X2APIC_ANY };

struct match_case {
	enum dest_model model;
	uint32_t ldr;          /* xAPIC: the 8-bit logical ID; x2APIC: unused (derived) */
	uint32_t destination;
	bool logical;
	bool match;
};

static const struct match_case match_cases[] = {
	{ XAPIC_PHYSICAL, 0, OWN_ID, false, true },
	{ XAPIC_PHYSICAL, 0, OWN_ID + 1, false, false },
	{ XAPIC_PHYSICAL, 0, 0xFF, false, true },
	{ XAPIC_PHYSICAL, 0, 0x100 | OWN_ID, false, true },   /* 8-bit field */
	{ XAPIC_PHYSICAL, 0, 0, false, false },
	{ XAPIC_FLAT, 0x01, 0x01, true, true },
	{ XAPIC_FLAT, 0x01, 0x03, true, true },
	{ XAPIC_FLAT, 0x01, 0x02, true, false },
	{ XAPIC_FLAT, 0x01, 0x00, true, false },
	{ XAPIC_FLAT, 0x01, 0xFF, true, true },
	{ XAPIC_FLAT, 0x80, 0x80, true, true },
	{ XAPIC_FLAT, 0x80, 0x7F, true, false },
	{ XAPIC_FLAT, 0x00, 0xFF, true, true },               /* broadcast matches all */
	{ XAPIC_FLAT, 0x00, 0x7F, true, false },
	{ XAPIC_FLAT, 0x01, OWN_ID, false, true },            /* physical ignores LDR */
	{ XAPIC_CLUSTER, 0x21, 0x21, true, true },
	{ XAPIC_CLUSTER, 0x21, 0x23, true, true },
	{ XAPIC_CLUSTER, 0x21, 0x2F, true, true },
	{ XAPIC_CLUSTER, 0x21, 0x22, true, false },
	{ XAPIC_CLUSTER, 0x21, 0x11, true, false },
	{ XAPIC_CLUSTER, 0x21, 0xF1, true, false },
	{ XAPIC_CLUSTER, 0x21, 0xFF, true, true },
	{ XAPIC_CLUSTER, 0x48, 0x48, true, true },
	{ XAPIC_CLUSTER, 0x48, 0x47, true, false },
	{ XAPIC_OTHER_MODEL, 0x01, 0x01, true, false },
	{ X2APIC_ANY, 0, OWN_ID, false, true },
	{ X2APIC_ANY, 0, OWN_ID + 1, false, false },
	{ X2APIC_ANY, 0, 0xFF, false, false },                /* ID 255, not a broadcast */
	{ X2APIC_ANY, 0, 0xFFFFFFFF, false, true },
	{ X2APIC_ANY, 0, OWN_X2APIC_LDR, true, true },
	{ X2APIC_ANY, 0, 0x00020030, true, true },
	{ X2APIC_ANY, 0, 0x0002FFFF, true, true },
	{ X2APIC_ANY, 0, 0x00020010, true, false },
	{ X2APIC_ANY, 0, 0x00010020, true, false },
	{ X2APIC_ANY, 0, 0x00000020, true, false },
	{ X2APIC_ANY, 0, 0xFFFFFFFF, true, true },
};

static void test_match_destination(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(match_cases); i++) {
		const struct match_case *c = &match_cases[i];

		restart();
		switch (c->model) {
		case XAPIC_PHYSICAL:
			break;
		case XAPIC_FLAT:
			wr(APIC_DFR, 0xFFFFFFFF);
			wr(APIC_LDR, c->ldr << 24);
			break;
		case XAPIC_CLUSTER:
			wr(APIC_DFR, 0x0FFFFFFF);
			wr(APIC_LDR, c->ldr << 24);
			break;
		case XAPIC_OTHER_MODEL:
			wr(APIC_DFR, 0x5FFFFFFF);
			wr(APIC_LDR, c->ldr << 24);
			break;
		case X2APIC_ANY:
			enter_x2apic();
			break;
		}
		if (vlapic_match_destination(vl, c->destination, c->logical) != c->match)
			fail_msg("case %u: model %d LDR %#x destination %#x %s: want %s", i,
				 c->model, c->ldr, c->destination,
				 c->logical ? "logical" : "physical", c->match ? "match" : "none");
		/* A software-disabled APIC still matches (it takes NMI, INIT, SIPI). */
		if (c->model != X2APIC_ANY) {
			wr(APIC_SVR, 0xFF);
			assert_int_equal(vlapic_match_destination(vl, c->destination, c->logical),
					 c->match);
		}
	}
}

/* ---- LINT pins -------------------------------------------------------------------------------- */

static void test_lint_pins(void **state)
{
	const struct vlapic_stats *stats = vlapic_stats(vl);

	(void)state;
	sw_enable();
	/* LINT0 fixed, edge: one interrupt per rising edge. */
	wr(APIC_LVT_LINT0, 0x50);
	vlapic_set_lint(vl, 0, true);
	assert_int_equal(vlapic_highest_irr(vl), 0x50);
	assert_false(page_vector(APIC_TMR0, 0x50));
	assert_int_equal(vlapic_acknowledge(vl), 0x50);
	eoi();
	vlapic_set_lint(vl, 0, true);            /* still high: no edge */
	assert_int_equal(vlapic_highest_irr(vl), -1);
	vlapic_set_lint(vl, 0, false);
	vlapic_set_lint(vl, 0, true);
	assert_int_equal(vlapic_highest_irr(vl), 0x50);
	assert_int_equal(vlapic_acknowledge(vl), 0x50);
	eoi();
	vlapic_set_lint(vl, 0, false);

	/* LINT0 fixed, level: remote IRR while in service, again at EOI while the line is high. */
	wr(APIC_LVT_LINT0, 0x8051);
	vlapic_set_lint(vl, 0, true);
	assert_int_equal(vlapic_highest_irr(vl), 0x51);
	assert_true(page_vector(APIC_TMR0, 0x51));
	assert_int_equal(rd(APIC_LVT_LINT0), 0xC051);
	vlapic_set_lint(vl, 0, true);
	assert_int_equal(stats->accepted, 3);
	assert_int_equal(vlapic_acknowledge(vl), 0x51);
	eoi();
	assert_int_equal(rec.eoi_levels, 1);      /* a level EOI is broadcast */
	assert_int_equal(vlapic_highest_irr(vl), 0x51);
	assert_int_equal(rd(APIC_LVT_LINT0), 0xC051);
	vlapic_set_lint(vl, 0, false);
	assert_int_equal(vlapic_acknowledge(vl), 0x51);
	eoi();
	assert_int_equal(rd(APIC_LVT_LINT0), 0x8051);
	assert_int_equal(vlapic_highest_irr(vl), -1);
	/* A guest rewrite of the LVT keeps the remote IRR the model holds. */
	vlapic_set_lint(vl, 0, true);
	wr(APIC_LVT_LINT0, 0x8051);
	assert_int_equal(rd(APIC_LVT_LINT0), 0xC051);
	vlapic_set_lint(vl, 0, false);
	assert_int_equal(vlapic_acknowledge(vl), 0x51);
	eoi();

	/* LINT1 level is not supported: edge, no remote IRR. */
	wr(APIC_LVT_LINT1, 0x8052);
	vlapic_set_lint(vl, 1, true);
	assert_int_equal(vlapic_highest_irr(vl), 0x52);
	assert_false(page_vector(APIC_TMR0, 0x52));
	assert_int_equal(rd(APIC_LVT_LINT1), 0x8052);
	assert_int_equal(vlapic_acknowledge(vl), 0x52);
	eoi();
	vlapic_set_lint(vl, 1, false);

	/* NMI: on rising edges. */
	wr(APIC_LVT_LINT1, 0x400);
	vlapic_set_lint(vl, 1, true);
	vlapic_set_lint(vl, 1, true);
	assert_int_equal(rec.nmis, 1);
	vlapic_set_lint(vl, 1, false);
	vlapic_set_lint(vl, 1, true);
	assert_int_equal(rec.nmis, 2);
	vlapic_set_lint(vl, 1, false);

	/* ExtINT: level, every assertion; masked: nothing; unmasked while high: seen. */
	wr(APIC_LVT_LINT0, 0x700);
	vlapic_set_lint(vl, 0, true);
	vlapic_set_lint(vl, 0, true);
	assert_int_equal(rec.extints, 2);
	wr(APIC_LVT_LINT0, 0x10700);
	vlapic_set_lint(vl, 0, true);
	assert_int_equal(rec.extints, 2);
	wr(APIC_LVT_LINT0, 0x700);
	assert_int_equal(rec.extints, 3);
	vlapic_set_lint(vl, 0, false);

	/* SMI: counted and ignored; masked NMI: nothing. */
	wr(APIC_LVT_LINT1, 0x200);
	vlapic_set_lint(vl, 1, true);
	vlapic_set_lint(vl, 1, false);
	assert_int_equal(stats->smis_ignored, 1);
	wr(APIC_LVT_LINT1, 0x10400);
	vlapic_set_lint(vl, 1, true);
	vlapic_set_lint(vl, 1, false);
	assert_int_equal(rec.nmis, 2);
	/* A pin that does not exist. */
	vlapic_set_lint(vl, 2, true);

	/* Hardware-disabled: LINT0 is INTR, LINT1 is NMI, whatever the LVTs said. */
	assert_true(vlapic_set_apic_base(vl, APIC_BASE_DEFAULT_ADDRESS));
	vlapic_set_lint(vl, 0, true);
	assert_int_equal(rec.extints, 4);
	assert_int_equal(rec.nmis, 2);
	vlapic_set_lint(vl, 1, true);
	assert_int_equal(rec.extints, 4);
	assert_int_equal(rec.nmis, 3);
	assert_int_equal(vlapic_highest_irr(vl), -1);
}

/* ---- APIC-write and EOI-induced exits ------------------------------------------------------------ */

static void test_apic_write_done_xapic(void **state)
{
	(void)state;
	sw_enable();
	/* ICR: the CPU stored the guest's dword (delivery status set by the guest). */
	page_set(APIC_ICR_HIGH, OWN_ID << 24);
	page_set(APIC_ICR_LOW, 0x1040);
	vlapic_apic_write_done(vl, APIC_ICR_LOW);
	assert_int_equal(vlapic_highest_irr(vl), 0x40);
	assert_int_equal(page_reg(APIC_ICR_LOW), 0x40);
	page_set(APIC_ICR_HIGH, 0x26000000);
	page_set(APIC_ICR_LOW, 0x41);
	vlapic_apic_write_done(vl, APIC_ICR_LOW);
	assert_int_equal(rec.ipis, 1);
	assert_int_equal(rec.ipi[0].destination, 0x26);
	/* ESR: whatever the guest wrote, the page gets the latched errors. */
	vlapic_set_irq(vl, 3, false);
	page_set(APIC_ESR, 0x12345678);
	vlapic_apic_write_done(vl, APIC_ESR);
	assert_int_equal(page_reg(APIC_ESR), ESR_RECEIVE_ILLEGAL);
	/* Timer: LVT then initial count, at a byte offset inside the register. */
	page_set(APIC_LVT_TIMER, 0x00000060);
	vlapic_apic_write_done(vl, APIC_LVT_TIMER);
	page_set(APIC_TIMER_INITIAL_COUNT, 100);
	vlapic_apic_write_done(vl, APIC_TIMER_INITIAL_COUNT + 1);
	assert_int_equal(vlapic_timer_deadline(vl), START_TSC + 200);
	page_set(APIC_TIMER_DIVIDE, 0xFFFFFFFF);
	vlapic_apic_write_done(vl, APIC_TIMER_DIVIDE);
	assert_int_equal(page_reg(APIC_TIMER_DIVIDE), 0xB);
	assert_int_equal(vlapic_timer_deadline(vl), START_TSC + 100);
	/* TPR and EOI, as APIC-register virtualization without virtual-interrupt delivery
	 * reports them. */
	page_set(APIC_TPR, 0x150);
	vlapic_apic_write_done(vl, APIC_TPR);
	assert_int_equal(page_reg(APIC_TPR), 0x50);
	assert_int_equal(page_reg(APIC_PPR), 0x50);
	page_set(APIC_TPR, 0);
	vlapic_apic_write_done(vl, APIC_TPR);
	assert_int_equal(vlapic_acknowledge(vl), 0x40);
	page_set(APIC_EOI, 0);
	vlapic_apic_write_done(vl, APIC_EOI);
	assert_int_equal(page_vector_count(APIC_ISR0), 0);
	/* LINT0 with the remote IRR held: the guest's dword loses bit 14, the model puts it back. */
	wr(APIC_LVT_LINT0, 0x8055);
	vlapic_set_lint(vl, 0, true);
	page_set(APIC_LVT_LINT0, 0x8055);
	vlapic_apic_write_done(vl, APIC_LVT_LINT0);
	assert_int_equal(page_reg(APIC_LVT_LINT0), 0xC055);
	/* SVR: reserved bits dropped; disabling masks every LVT, and an LVT write stays masked. */
	page_set(APIC_SVR, 0xFFFFFFFF);
	vlapic_apic_write_done(vl, APIC_SVR);
	assert_int_equal(page_reg(APIC_SVR), 0x13FF);
	page_set(APIC_SVR, 0xFF);
	vlapic_apic_write_done(vl, APIC_SVR);
	assert_int_equal(page_reg(APIC_LVT_TIMER), 0x10060);
	page_set(APIC_LVT_ERROR, 0xE0);
	vlapic_apic_write_done(vl, APIC_LVT_ERROR);
	assert_int_equal(page_reg(APIC_LVT_ERROR), 0x100E0);
	/* Offsets the CPU never reports: the model puts back what it can, and counts. */
	page_set(APIC_PPR, 0xFF);
	vlapic_apic_write_done(vl, APIC_PPR);
	assert_int_equal(page_reg(APIC_PPR), 0);
	page_set(APIC_VERSION, 0);
	vlapic_apic_write_done(vl, APIC_VERSION);
	assert_int_equal(page_reg(APIC_VERSION), 0x01060014);
	page_set(0x290, 7);
	vlapic_apic_write_done(vl, 0x290);
	assert_int_equal(page_reg(0x290), 0);
	assert_int_equal(vlapic_stats(vl)->unexpected_apic_writes, 3);
}

static void test_apic_write_done_x2apic(void **state)
{
	(void)state;
	enter_x2apic();
	sw_enable();
	/* The 64-bit ICR at 0x300, destination at 0x304 (SDM Vol. 3C §30.5). */
	page_set(APIC_ICR_LOW, 0x30);
	page_set(APIC_ICR_X2APIC_DESTINATION, OWN_ID);
	vlapic_apic_write_done(vl, APIC_ICR_LOW);
	assert_int_equal(vlapic_highest_irr(vl), 0x30);
	page_set(APIC_ICR_LOW, 0x31);
	page_set(APIC_ICR_X2APIC_DESTINATION, 0x1234);
	vlapic_apic_write_done(vl, APIC_ICR_LOW);
	assert_int_equal(rec.ipis, 1);
	assert_int_equal(rec.ipi[0].icr_low, 0x31);
	assert_int_equal(rec.ipi[0].destination, 0x1234);
	assert_int_equal(msr_rd(0x830), 0x0000123400000031ull);
	/* SELF_IPI reported by APIC-write (no virtual-interrupt delivery). */
	page_set(APIC_SELF_IPI, 0x60);
	vlapic_apic_write_done(vl, APIC_SELF_IPI);
	assert_int_equal(vlapic_highest_irr(vl), 0x60);
	/* The ID is read-only in x2APIC mode. */
	page_set(APIC_ID, 0x99);
	vlapic_apic_write_done(vl, APIC_ID);
	assert_int_equal(page_reg(APIC_ID), OWN_ID);
	page_set(APIC_LDR, 0x99);
	vlapic_apic_write_done(vl, APIC_LDR);
	assert_int_equal(page_reg(APIC_LDR), OWN_X2APIC_LDR);
}

static void test_virtual_eoi_done(void **state)
{
	const struct vlapic_stats *stats = vlapic_stats(vl);

	(void)state;
	sw_enable();
	/* The CPU delivered and retired the vector itself; the model sees the EOI-induced exit. */
	vlapic_set_irq(vl, 0x60, true);
	vlapic_set_irq(vl, 0x61, false);
	page_set(APIC_IRR0 + 0x30, 0);
	vlapic_virtual_eoi_done(vl, 0x60);
	assert_int_equal(rec.eoi_levels, 1);
	assert_int_equal(rec.eoi_level_vector[0], 0x60);
	vlapic_virtual_eoi_done(vl, 0x61);
	assert_int_equal(rec.eoi_levels, 1);
	wr(APIC_SVR, 0x11FF);
	vlapic_virtual_eoi_done(vl, 0x60);
	assert_int_equal(rec.eoi_levels, 1);
	assert_int_equal(stats->suppressed_level_eois, 1);
	assert_int_equal(stats->eois, 3);
}

static void test_tpr_through_cr8(void **state)
{
	(void)state;
	sw_enable();
	vlapic_set_tpr(vl, 0x50);
	assert_int_equal(vlapic_tpr(vl), 0x50);
	assert_int_equal(rd(APIC_PPR), 0x50);
	vlapic_set_irq(vl, 0x55, false);
	assert_int_equal(vlapic_pending_interrupt(vl), -1);
	vlapic_set_tpr(vl, 0x40);
	assert_int_equal(vlapic_pending_interrupt(vl), 0x55);
	enter_x2apic();
	vlapic_set_tpr(vl, 0x70);
	assert_int_equal(msr_rd(0x808), 0x70);
	assert_int_equal(msr_rd(0x80A), 0x70);
	/* TPR written by the CPU behind the model's back (tpr-shadow): PPR reads are computed. */
	page_set(APIC_TPR, 0x30);
	assert_int_equal(msr_rd(0x80A), 0x30);
	assert_int_equal(vlapic_pending_interrupt(vl), 0x55);
}

/* ---- timer ------------------------------------------------------------------------------------- */

static void test_timer_one_shot_all_divides(void **state)
{
	static const struct { uint32_t dcr, divisor; } divides[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xA, 128 }, { 0xB, 1 },
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(divides); i++) {
		uint64_t div = divides[i].divisor;
		uint64_t start, deadline;

		restart();
		rec.now = start = 5000 + i;
		wr(APIC_TIMER_DIVIDE, divides[i].dcr);
		wr(APIC_LVT_TIMER, 0x40);
		rec.timer_changed = 0;
		wr(APIC_TIMER_INITIAL_COUNT, 1000);
		deadline = start + 1000 * div;
		assert_int_equal(vlapic_timer_deadline(vl), deadline);
		assert_int_equal(rec.timer_changed, 1);
		assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), 1000);
		rec.now = start + 250 * div;
		assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), 750);
		rec.now = start + 500 * div - 1;
		assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), 501);
		rec.now = deadline - 1;
		assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), 1);
		vlapic_timer_expired(vl);               /* early: nothing */
		assert_int_equal(vlapic_highest_irr(vl), -1);
		assert_int_equal(vlapic_timer_deadline(vl), deadline);
		rec.now = deadline;
		assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), 0);
		vlapic_timer_expired(vl);
		assert_int_equal(vlapic_highest_irr(vl), 0x40);
		assert_false(page_vector(APIC_TMR0, 0x40));
		assert_int_equal(vlapic_timer_deadline(vl), 0);
		assert_int_equal(rec.timer_changed, 2);
		rec.now = deadline + 10 * div;
		assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), 0);
		assert_int_equal(rd(APIC_TIMER_INITIAL_COUNT), 1000);
		vlapic_timer_expired(vl);               /* disarmed: nothing more */
		assert_int_equal(vlapic_stats(vl)->timer_ticks, 1);
		/* Restart by writing the initial count again; 0 stops it. */
		wr(APIC_TIMER_INITIAL_COUNT, 10);
		assert_int_equal(vlapic_timer_deadline(vl), rec.now + 10 * div);
		wr(APIC_TIMER_INITIAL_COUNT, 0);
		assert_int_equal(vlapic_timer_deadline(vl), 0);
		assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), 0);
	}
}

/* Periods here are P = 10^6 TSC cycles (0.5 ms at TSC_HZ), above VLAPIC_MIN_PERIOD_US. */
#define P 1000000ull

static void test_timer_periodic_and_missed_ticks(void **state)
{
	const struct vlapic_stats *stats = vlapic_stats(vl);

	(void)state;
	sw_enable();
	rec.now = 5000;
	wr(APIC_TIMER_DIVIDE, 0xB);                 /* divide by 1 */
	wr(APIC_LVT_TIMER, 0x20040);                /* periodic, vector 0x40 */
	wr(APIC_TIMER_INITIAL_COUNT, (uint32_t)P);
	assert_int_equal(vlapic_timer_deadline(vl), 5000 + P);
	rec.now = 5000 + P;
	vlapic_timer_expired(vl);
	assert_int_equal(vlapic_highest_irr(vl), 0x40);
	assert_int_equal(vlapic_timer_deadline(vl), 5000 + 2 * P);
	assert_int_equal(stats->timer_missed_ticks, 0);
	rec.now = 5000 + P + P / 2;
	assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), P / 2);
	assert_int_equal(vlapic_acknowledge(vl), 0x40);
	eoi();
	/* 3.5 periods late: one interrupt, three missed, next deadline in the future. */
	rec.now = 5000 + 5 * P + P / 2;
	rec.timer_changed = 0;
	vlapic_timer_expired(vl);
	assert_int_equal(vlapic_highest_irr(vl), 0x40);
	assert_int_equal(page_vector_count(APIC_IRR0), 1);
	assert_int_equal(stats->timer_missed_ticks, 3);
	assert_int_equal(stats->timer_ticks, 2);
	assert_int_equal(vlapic_timer_deadline(vl), 5000 + 6 * P);
	assert_int_equal(rec.timer_changed, 1);
	assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), P / 2);
	/* Late without a call: the count has reloaded and runs on. */
	rec.now = 5000 + 6 * P + 300000;
	assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), P - 300000);
	/* Exactly on the deadline: one tick, nothing missed. */
	rec.now = 5000 + 6 * P;
	vlapic_timer_expired(vl);
	assert_int_equal(stats->timer_missed_ticks, 3);
	assert_int_equal(vlapic_timer_deadline(vl), 5000 + 7 * P);
	/* Periodic with divide by 16. */
	wr(APIC_TIMER_DIVIDE, 0x3);
	wr(APIC_TIMER_INITIAL_COUNT, (uint32_t)(P / 10));
	assert_int_equal(vlapic_timer_deadline(vl), 5000 + 6 * P + 16 * (P / 10));
	rec.now = 5000 + 6 * P + 16 * (P / 10);
	vlapic_timer_expired(vl);
	assert_int_equal(vlapic_timer_deadline(vl), 5000 + 6 * P + 32 * (P / 10));
	assert_int_equal(stats->timer_periods_clamped, 0);
}

/* A periodic count shorter than VLAPIC_MIN_PERIOD_US runs at that period, counted at its start
 * and every reload, and its current count never reads above the initial count; one-shot timers
 * are not clamped. */
static void test_timer_periodic_minimum_period(void **state)
{
	const struct vlapic_stats *stats = vlapic_stats(vl);
	const uint64_t shortest = TSC_HZ * VLAPIC_MIN_PERIOD_US / 1000000u;

	(void)state;
	sw_enable();
	rec.now = 7000;
	wr(APIC_TIMER_DIVIDE, 0xB);                 /* divide by 1 */
	wr(APIC_LVT_TIMER, 0x20040);                /* periodic, vector 0x40 */
	wr(APIC_TIMER_INITIAL_COUNT, 1);
	assert_int_equal(vlapic_timer_deadline(vl), 7000 + shortest);
	assert_int_equal(stats->timer_periods_clamped, 1);
	assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), 1);
	rec.now = 7000 + shortest;
	vlapic_timer_expired(vl);
	assert_int_equal(vlapic_timer_deadline(vl), 7000 + 2 * shortest);
	assert_int_equal(stats->timer_periods_clamped, 2);
	assert_int_equal(stats->timer_missed_ticks, 0);
	wr(APIC_TIMER_INITIAL_COUNT, 0);
	/* One-shot with a count of 1: one cycle, no clamp. */
	wr(APIC_LVT_TIMER, 0x40);
	wr(APIC_TIMER_INITIAL_COUNT, 1);
	assert_int_equal(vlapic_timer_deadline(vl), rec.now + 1);
	assert_int_equal(stats->timer_periods_clamped, 2);
}

static void test_timer_masked_counts(void **state)
{
	(void)state;
	sw_enable();
	wr(APIC_LVT_TIMER, 0x10040);
	wr(APIC_TIMER_INITIAL_COUNT, 10);
	assert_int_equal(vlapic_timer_deadline(vl), START_TSC + 20);
	rec.now = START_TSC + 10;
	assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), 5);
	rec.now = START_TSC + 20;
	vlapic_timer_expired(vl);
	assert_int_equal(vlapic_highest_irr(vl), -1);
	assert_int_equal(vlapic_timer_deadline(vl), 0);
	assert_int_equal(vlapic_stats(vl)->timer_ticks, 1);
	/* Masked periodic keeps running (divide by 2: period 2 * P / 2). */
	wr(APIC_LVT_TIMER, 0x30040);
	wr(APIC_TIMER_INITIAL_COUNT, (uint32_t)(P / 2));
	rec.now += P;
	vlapic_timer_expired(vl);
	assert_int_equal(vlapic_highest_irr(vl), -1);
	assert_int_equal(vlapic_timer_deadline(vl), rec.now + P);
}

#undef P

static void test_timer_mode_changes(void **state)
{
	(void)state;
	sw_enable();
	wr(APIC_LVT_TIMER, 0x40);
	wr(APIC_TIMER_INITIAL_COUNT, 1000);
	assert_int_not_equal(vlapic_timer_deadline(vl), 0);
	/* Same mode, other vector or mask: keeps running. */
	wr(APIC_LVT_TIMER, 0x10041);
	assert_int_equal(vlapic_timer_deadline(vl), START_TSC + 2000);
	/* One-shot → periodic: the count runs on (as hardware and KVM), and its end reloads (a
	 * count long enough for a period above the shortest one allowed). */
	rec.now = START_TSC;
	wr(APIC_TIMER_INITIAL_COUNT, 1000000);
	rec.timer_changed = 0;
	rec.now = START_TSC + 500000;
	wr(APIC_LVT_TIMER, 0x20040);
	assert_int_equal(vlapic_timer_deadline(vl), START_TSC + 2000000);
	assert_int_equal(rec.timer_changed, 0);
	assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), 750000);
	assert_int_equal(rd(APIC_TIMER_INITIAL_COUNT), 1000000);
	rec.now = START_TSC + 2000000;
	vlapic_timer_expired(vl);
	assert_int_equal(vlapic_timer_deadline(vl), START_TSC + 4000000);
	/* Periodic → one-shot: the period under way ends the timer. */
	rec.now = START_TSC + 3000000;
	wr(APIC_LVT_TIMER, 0x40);
	assert_int_equal(vlapic_timer_deadline(vl), START_TSC + 4000000);
	rec.now = START_TSC + 4000000;
	vlapic_timer_expired(vl);
	assert_int_equal(vlapic_timer_deadline(vl), 0);
	assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), 0);
	/* Periodic → TSC-deadline: stopped, and the initial count is cleared too. */
	wr(APIC_LVT_TIMER, 0x20040);
	wr(APIC_TIMER_INITIAL_COUNT, 1000);
	assert_int_not_equal(vlapic_timer_deadline(vl), 0);
	wr(APIC_LVT_TIMER, 0x40040);
	assert_int_equal(vlapic_timer_deadline(vl), 0);
	assert_int_equal(rd(APIC_TIMER_INITIAL_COUNT), 0);
	/* Reserved mode 11: never runs. */
	wr(APIC_LVT_TIMER, 0x60040);
	wr(APIC_TIMER_INITIAL_COUNT, 10);
	assert_int_equal(rd(APIC_TIMER_INITIAL_COUNT), 10);
	assert_int_equal(vlapic_timer_deadline(vl), 0);
	assert_int_equal(vlapic_stats(vl)->unsupported, 1);
	/* A divide change while counting keeps the count and counts the rest at the new rate. */
	wr(APIC_LVT_TIMER, 0x40);
	wr(APIC_TIMER_DIVIDE, 0x0);                  /* 2 */
	rec.now = 10000;
	wr(APIC_TIMER_INITIAL_COUNT, 100);
	assert_int_equal(vlapic_timer_deadline(vl), 10200);
	rec.now = 10100;
	assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), 50);
	wr(APIC_TIMER_DIVIDE, 0xB);                  /* 1 */
	assert_int_equal(vlapic_timer_deadline(vl), 10150);
	assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), 50);
	wr(APIC_TIMER_DIVIDE, 0xA);                  /* 128 */
	assert_int_equal(vlapic_timer_deadline(vl), 10100 + 50 * 128);
}

static void test_tsc_deadline(void **state)
{
	uint64_t value;

	(void)state;
	sw_enable();
	/* Not in TSC-deadline mode: writes ignored, reads 0. */
	msr_wr(APIC_MSR_TSC_DEADLINE, 12345);
	assert_int_equal(msr_rd(APIC_MSR_TSC_DEADLINE), 0);
	assert_int_equal(vlapic_timer_deadline(vl), 0);
	wr(APIC_LVT_TIMER, 0x40040);
	/* The initial count is ignored in this mode; the current count reads 0. */
	wr(APIC_TIMER_INITIAL_COUNT, 500);
	assert_int_equal(rd(APIC_TIMER_INITIAL_COUNT), 0);
	assert_int_equal(vlapic_timer_deadline(vl), 0);
	rec.timer_changed = 0;
	msr_wr(APIC_MSR_TSC_DEADLINE, START_TSC + 9000);
	assert_int_equal(vlapic_timer_deadline(vl), START_TSC + 9000);
	assert_int_equal(msr_rd(APIC_MSR_TSC_DEADLINE), START_TSC + 9000);
	assert_int_equal(rec.timer_changed, 1);
	assert_int_equal(rd(APIC_TIMER_CURRENT_COUNT), 0);
	rec.now = START_TSC + 8999;
	vlapic_timer_expired(vl);
	assert_int_equal(vlapic_highest_irr(vl), -1);
	rec.now = START_TSC + 9000;
	vlapic_timer_expired(vl);
	assert_int_equal(vlapic_highest_irr(vl), 0x40);
	assert_int_equal(vlapic_timer_deadline(vl), 0);
	assert_int_equal(msr_rd(APIC_MSR_TSC_DEADLINE), 0);
	/* Writing 0 disarms; a deadline in the past is due at once. */
	msr_wr(APIC_MSR_TSC_DEADLINE, START_TSC + 20000);
	msr_wr(APIC_MSR_TSC_DEADLINE, 0);
	assert_int_equal(vlapic_timer_deadline(vl), 0);
	msr_wr(APIC_MSR_TSC_DEADLINE, 1);
	assert_int_equal(vlapic_timer_deadline(vl), 1);
	/* Leaving the mode disarms and the MSR reads 0. */
	wr(APIC_LVT_TIMER, 0x40);
	assert_int_equal(vlapic_timer_deadline(vl), 0);
	assert_int_equal(vlapic_msr_read(vl, APIC_MSR_TSC_DEADLINE, &value), VLAPIC_OK);
	assert_int_equal(value, 0);
	/* In x2APIC mode the same. */
	enter_x2apic();
	msr_wr(0x832, 0x40050);
	msr_wr(APIC_MSR_TSC_DEADLINE, START_TSC + 77);
	assert_int_equal(vlapic_timer_deadline(vl), START_TSC + 77);
	assert_int_equal(msr_rd(0x839), 0);
}

/* ---- life cycle ------------------------------------------------------------------------------- */

static void test_pool(void **state)
{
	static uint8_t pages[VLAPIC_MAX_INSTANCES][4096] __attribute__((aligned(4096)));
	struct vlapic *more[VLAPIC_MAX_INSTANCES];

	(void)state;
	/* The fixture holds one; seven more fit. */
	for (unsigned i = 0; i < VLAPIC_MAX_INSTANCES - 1; i++) {
		more[i] = vlapic_create(i + 1, false, pages[i], TSC_HZ, NULL, NULL);
		assert_non_null(more[i]);
	}
	assert_null(vlapic_create(99, false, pages[7], TSC_HZ, NULL, NULL));
	vlapic_destroy(more[3]);
	more[3] = vlapic_create(42, false, pages[3], TSC_HZ, NULL, NULL);
	assert_non_null(more[3]);
	assert_int_equal(*(uint32_t *)(pages[3] + APIC_ID), 42u << 24);
	for (unsigned i = 0; i < VLAPIC_MAX_INSTANCES - 1; i++)
		vlapic_destroy(more[i]);
	/* No page, or one that is not 16-byte aligned. */
	assert_null(vlapic_create(1, false, NULL, TSC_HZ, NULL, NULL));
	assert_null(vlapic_create(1, false, pages[0] + 4, TSC_HZ, NULL, NULL));
	/* NULL ops: everything still works, no timer clock. */
	more[0] = vlapic_create(1, false, pages[0], TSC_HZ, NULL, NULL);
	assert_non_null(more[0]);
	assert_true(vlapic_set_apic_base(more[0], 0xFEE00000 | BASE_EN));
	vlapic_set_lint(more[0], 1, true);
	vlapic_destroy(more[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_pure_helpers),
		T(test_reset_state),
		T(test_accept_every_vector),
		T(test_priority_matrix),
		T(test_highest_first),
		T(test_tmr_and_eoi_exit_bitmap),
		T(test_eoi_level_callback),
		T(test_spurious_on_acknowledge),
		T(test_esr_write_before_read),
		T(test_lvt_error_interrupt),
		T(test_xapic_register_matrix),
		T(test_mmio_widths),
		T(test_x2apic_read_matrix),
		T(test_x2apic_write_matrix),
		T(test_apic_base_transitions),
		T(test_apic_base_reserved_bits),
		T(test_apic_base_state_effects),
		T(test_init_signal),
		T(test_software_disable),
		T(test_xapic_ipis),
		T(test_x2apic_ipis),
		T(test_match_destination),
		T(test_lint_pins),
		T(test_apic_write_done_xapic),
		T(test_apic_write_done_x2apic),
		T(test_virtual_eoi_done),
		T(test_tpr_through_cr8),
		T(test_timer_one_shot_all_divides),
		T(test_timer_periodic_and_missed_ticks),
		T(test_timer_periodic_minimum_period),
		T(test_timer_masked_counts),
		T(test_timer_mode_changes),
		T(test_tsc_deadline),
		T(test_pool),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
