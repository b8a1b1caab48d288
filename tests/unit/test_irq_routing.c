/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/irq_routing.c: the GSI table over all 24 GSIs (and past them) with
 * fake ops that record every call into the 8259 and the vIOAPIC, and MSI decoding and delivery
 * over all 256 vectors × 8 delivery modes plus malformed addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/irq_routing.h"

/* ---- fake ops -------------------------------------------------------------------------------- */

enum side { PIC, IOAPIC };

struct line_call {
	enum side side;
	unsigned pin;
	bool level;
};

struct msi_delivery {
	uint32_t destination;
	bool logical;
	uint8_t delivery_mode;
	uint8_t vector;
	bool level;
};

struct recorder {
	struct line_call calls[64];
	unsigned call_count;
	struct msi_delivery deliveries[64];
	unsigned delivery_count;
	bool refuse;
};

static struct recorder rec;

static void record_line(enum side side, unsigned pin, bool level)
{
	assert_true(rec.call_count < ARRAY_SIZE(rec.calls));
	rec.calls[rec.call_count++] = (struct line_call){ side, pin, level };
}

static void fake_pic_set_irq(void *ctx, unsigned pin, bool level)
{
	assert_ptr_equal(ctx, &rec);
	record_line(PIC, pin, level);
}

static void fake_ioapic_set_pin(void *ctx, unsigned pin, bool level)
{
	assert_ptr_equal(ctx, &rec);
	record_line(IOAPIC, pin, level);
}

static bool fake_deliver(void *ctx, uint32_t destination, bool logical, uint8_t delivery_mode,
			 uint8_t vector, bool level)
{
	struct recorder *r = ctx;

	assert_true(r->delivery_count < ARRAY_SIZE(r->deliveries));
	r->deliveries[r->delivery_count++] =
		(struct msi_delivery){ destination, logical, delivery_mode, vector, level };
	return !r->refuse;
}

static const struct irq_router_ops fake_ops = {
	.pic_set_irq = fake_pic_set_irq,
	.ioapic_set_pin = fake_ioapic_set_pin,
	.deliver = fake_deliver,
};

static int setup(void **state)
{
	memset(&rec, 0, sizeof(rec));
	*state = irq_router_create(&fake_ops, &rec);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	irq_router_destroy(*state);
	return 0;
}

/* ---- the GSI table --------------------------------------------------------------------------- */

#define NONE (-1)

/* QEMU's pc table as installed into KVM (kvm_pc_setup_irq_routing), written out by hand. */
static const struct {
	int pic_pin, ioapic_pin;
} expected_routes[24] = {
	{ 0, 2 },  { 1, 1 },   { NONE, NONE }, { 3, 3 },   { 4, 4 },   { 5, 5 },
	{ 6, 6 },  { 7, 7 },   { 8, 8 },       { 9, 9 },   { 10, 10 }, { 11, 11 },
	{ 12, 12 }, { 13, 13 }, { 14, 14 },    { 15, 15 }, { NONE, 16 }, { NONE, 17 },
	{ NONE, 18 }, { NONE, 19 }, { NONE, 20 }, { NONE, 21 }, { NONE, 22 }, { NONE, 23 },
};

static void test_gsi_table(void **state)
{
	struct irq_router *router = *state;

	for (unsigned gsi = 0; gsi < 24; gsi++) {
		int pic = expected_routes[gsi].pic_pin, ioapic = expected_routes[gsi].ioapic_pin;
		struct irq_route route = { 99, 99 };

		assert_true(irq_route_lookup(gsi, &route));
		if (route.pic_pin != pic || route.ioapic_pin != ioapic)
			fail_msg("GSI %u: lookup says PIC %d IOAPIC %d, want %d %d", gsi,
				 route.pic_pin, route.ioapic_pin, pic, ioapic);

		for (int level = 1; level >= 0; level--) {
			unsigned want = (pic != NONE) + (ioapic != NONE), i = 0;

			rec.call_count = 0;
			irq_route_set_gsi(router, gsi, level);
			if (rec.call_count != want)
				fail_msg("GSI %u level %d: %u calls, want %u", gsi, level,
					 rec.call_count, want);
			/* The 8259 first, then the vIOAPIC. */
			if (pic != NONE) {
				assert_int_equal(rec.calls[i].side, PIC);
				assert_int_equal(rec.calls[i].pin, pic);
				assert_int_equal(rec.calls[i].level, level);
				i++;
			}
			if (ioapic != NONE) {
				assert_int_equal(rec.calls[i].side, IOAPIC);
				assert_int_equal(rec.calls[i].pin, ioapic);
				assert_int_equal(rec.calls[i].level, level);
			}
		}
		assert_int_equal(irq_router_stats(router)->gsi_changes[gsi], 2);
	}
	/* Only GSI 2 went nowhere. */
	assert_int_equal(irq_router_stats(router)->unrouted, 2);
}

/* Every GSI reaches a distinct vIOAPIC pin, every 8259 input but the cascade is used once, and
 * vIOAPIC pin 0 is fed by nothing (as the MADT's override says). */
static void test_gsi_table_is_a_wiring(void **state)
{
	unsigned ioapic_users[VIOAPIC_PIN_COUNT] = { 0 }, pic_users[16] = { 0 };

	(void)state;
	for (unsigned gsi = 0; gsi < IRQ_ROUTE_GSI_COUNT; gsi++) {
		struct irq_route route;

		assert_true(irq_route_lookup(gsi, &route));
		if (route.ioapic_pin != IRQ_ROUTE_NONE) {
			assert_in_range(route.ioapic_pin, 0, VIOAPIC_PIN_COUNT - 1);
			ioapic_users[route.ioapic_pin]++;
		}
		if (route.pic_pin != IRQ_ROUTE_NONE) {
			assert_in_range(route.pic_pin, 0, IRQ_ROUTE_PIC_PIN_COUNT - 1);
			pic_users[route.pic_pin]++;
		}
	}
	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++)
		assert_int_equal(ioapic_users[pin], pin == 0 ? 0 : 1);
	for (unsigned pin = 0; pin < 16; pin++)
		assert_int_equal(pic_users[pin], pin == IRQ_ROUTE_PIC_CASCADE_PIN ? 0 : 1);
}

static void test_gsi_out_of_range(void **state)
{
	struct irq_router *router = *state;
	static const unsigned bad[] = { 24, 25, 31, 32, 255, 1024, ~0u };
	struct irq_route route = { 42, 43 };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		irq_route_set_gsi(router, bad[i], true);
		irq_route_set_gsi(router, bad[i], false);
		assert_false(irq_route_lookup(bad[i], &route));
	}
	assert_int_equal(route.pic_pin, 42);  /* untouched */
	assert_int_equal(route.ioapic_pin, 43);
	assert_int_equal(rec.call_count, 0);
	assert_int_equal(irq_router_stats(router)->unrouted, 2 * ARRAY_SIZE(bad));
	for (unsigned gsi = 0; gsi < IRQ_ROUTE_GSI_COUNT; gsi++)
		assert_int_equal(irq_router_stats(router)->gsi_changes[gsi], 0);
}

/* Every call is forwarded, repeated levels included: the receivers find the edges. */
static void test_gsi_repeats_forwarded(void **state)
{
	struct irq_router *router = *state;

	for (int i = 0; i < 5; i++)
		irq_route_set_gsi(router, 4, true);
	assert_int_equal(rec.call_count, 10);
	for (unsigned i = 0; i < rec.call_count; i++) {
		assert_int_equal(rec.calls[i].side, i % 2 ? IOAPIC : PIC);
		assert_int_equal(rec.calls[i].pin, 4);
		assert_true(rec.calls[i].level);
	}
}

/* Unconnected sides are skipped. */
static void test_partial_ops(void **state)
{
	static const struct irq_router_ops ioapic_only = { .ioapic_set_pin = fake_ioapic_set_pin };
	struct irq_router *router = irq_router_create(&ioapic_only, &rec);
	struct irq_router *bare = irq_router_create(NULL, NULL);

	(void)state;
	assert_non_null(router);
	assert_null(bare);  /* the pool of two is full */
	irq_route_set_gsi(router, 0, true);
	irq_route_set_gsi(router, 9, true);
	assert_int_equal(rec.call_count, 2);
	assert_int_equal(rec.calls[0].side, IOAPIC);
	assert_int_equal(rec.calls[0].pin, 2);
	assert_int_equal(rec.calls[1].pin, 9);
	assert_false(irq_route_msi(router, 0xFEE00000, 0x30));
	assert_int_equal(irq_router_stats(router)->msi_not_accepted, 1);
	irq_router_destroy(router);

	bare = irq_router_create(NULL, NULL);
	assert_non_null(bare);
	irq_route_set_gsi(bare, 5, true);
	assert_false(irq_route_msi(bare, 0xFEE00000, 0x30));
	assert_int_equal(irq_router_stats(bare)->gsi_changes[5], 1);
	assert_int_equal(rec.call_count, 2);
	irq_router_destroy(bare);
}

/* ---- MSI decoding ---------------------------------------------------------------------------- */

struct msi_case {
	const char *what;
	uint64_t address;
	uint32_t data;
	bool valid;
	struct msi_message want;
};

#define MSI_OK(what, address, data, dest, rh, dm, vector, mode, assert_bit, level) \
	{ what, address, data, true, { dest, rh, dm, vector, mode, assert_bit, level } }
#define MSI_BAD(what, address, data) { what, address, data, false, { 0 } }

static const struct msi_case msi_cases[] = {
	MSI_OK("plain fixed edge", 0xFEE00000, 0x00000030, 0x00, false, false, 0x30, 0, false,
	       false),
	MSI_OK("RH, DM, lowest priority, level assert", 0xFEE0F00C, 0x0000C1A5, 0x0F, true, true,
	       0xA5, 1, true, true),
	MSI_OK("level deassert", 0xFEE01000, 0x00008041, 0x01, false, false, 0x41, 0, false, true),
	MSI_OK("edge with level bit", 0xFEE01000, 0x00004041, 0x01, false, false, 0x41, 0, true,
	       false),
	MSI_OK("SMI", 0xFEE02000, 0x00000200, 0x02, false, false, 0x00, 2, false, false),
	MSI_OK("NMI", 0xFEE03004, 0x00000400, 0x03, false, true, 0x00, 4, false, false),
	MSI_OK("INIT", 0xFEE04000, 0x00000500, 0x04, false, false, 0x00, 5, false, false),
	MSI_OK("ExtINT", 0xFEEFF000, 0x00000700, 0xFF, false, false, 0x00, 7, false, false),
	MSI_OK("bits 1:0 don't care", 0xFEE12003, 0x00000030, 0x12, false, false, 0x30, 0, false,
	       false),
	MSI_OK("reserved address bits 11:4", 0xFEE12FF0, 0x00000030, 0x12, false, false, 0x30, 0,
	       false, false),
	MSI_OK("reserved data bits 31:16, 13:11", 0xFEE00000, 0xFFFF3830, 0x00, false, false,
	       0x30, 0, false, false),
	MSI_OK("top of the range", 0xFEEFFFFF, 0x0000FFFF, 0xFF, true, true, 0xFF, 7, true, true),
	MSI_OK("vector below 16 is the APIC's business", 0xFEE00000, 0x00000005, 0x00, false,
	       false, 0x05, 0, false, false),
	MSI_BAD("delivery mode 3", 0xFEE00000, 0x00000330),
	MSI_BAD("delivery mode 6", 0xFEE00000, 0x00000630),
	MSI_BAD("delivery mode 3, level", 0xFEE00000, 0x0000C330),
	MSI_BAD("below the range", 0xFEDFFFFC, 0x00000030),
	MSI_BAD("HPET-ish", 0xFED00000, 0x00000030),
	MSI_BAD("above the range", 0xFEF00000, 0x00000030),
	MSI_BAD("0xFEFxxxxx", 0xFEFFF000, 0x00000030),
	MSI_BAD("0xFFExxxxx", 0xFFE00000, 0x00000030),
	MSI_BAD("0x7EExxxxx", 0x7EE00000, 0x00000030),
	MSI_BAD("zero", 0x00000000, 0x00000030),
	MSI_BAD("upper dword set", 0x1FEE00000ull, 0x00000030),
	MSI_BAD("upper dword all ones", 0xFFFFFFFFFEE00000ull, 0x00000030),
	MSI_BAD("bit 63", 0x80000000FEE00000ull, 0x00000030),
};

static void test_msi_decode_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(msi_cases); i++) {
		const struct msi_case *c = &msi_cases[i];
		struct msi_message got, sentinel;

		memset(&got, 0xA5, sizeof(got));
		sentinel = got;
		if (msi_decode(c->address, c->data, &got) != c->valid)
			fail_msg("%s: msi_decode says %s", c->what, c->valid ? "invalid" : "valid");
		if (!c->valid) {
			if (memcmp(&got, &sentinel, sizeof(got)) != 0)
				fail_msg("%s: output written although invalid", c->what);
			continue;
		}
		if (got.destination != c->want.destination ||
		    got.redirection_hint != c->want.redirection_hint ||
		    got.logical != c->want.logical || got.vector != c->want.vector ||
		    got.delivery_mode != c->want.delivery_mode || got.assert != c->want.assert ||
		    got.level_triggered != c->want.level_triggered)
			fail_msg("%s: dest %x rh %d dm %d vector %02x mode %u assert %d level %d", c->what,
				 got.destination, got.redirection_hint, got.logical, got.vector,
				 got.delivery_mode, got.assert, got.level_triggered);
	}
}

/* All 256 vectors × 8 delivery modes × both destination modes, destination = vector. */
static void test_msi_decode_all_vectors_and_modes(void **state)
{
	unsigned valid = 0;

	(void)state;
	for (unsigned vector = 0; vector < 256; vector++) {
		for (unsigned mode = 0; mode < 8; mode++) {
			for (unsigned dm = 0; dm < 2; dm++) {
				uint64_t address = 0xFEE00000u | vector << 12 | dm << 2;
				uint32_t data = mode << 8 | vector;
				struct msi_message msg;
				bool ok = msi_decode(address, data, &msg);

				if (ok != (mode != 3 && mode != 6))
					fail_msg("vector %#x mode %u: valid = %d", vector, mode, ok);
				if (!ok)
					continue;
				valid++;
				assert_int_equal(msg.vector, vector);
				assert_int_equal(msg.destination, vector);
				assert_int_equal(msg.delivery_mode, mode);
				assert_int_equal(msg.logical, dm);
				assert_false(msg.redirection_hint);
				assert_false(msg.level_triggered);
				assert_false(msg.assert);
			}
		}
	}
	assert_int_equal(valid, 256 * 6 * 2);
}

/* Every address bit on its own: only 31:20 = 0xFEE (and the upper dword 0) is an MSI. */
static void test_msi_address_bits(void **state)
{
	(void)state;
	for (unsigned bit = 0; bit < 64; bit++) {
		uint64_t address = 0xFEE00000ull ^ (1ull << bit);
		struct msi_message msg;
		bool want = bit < 20;

		if (msi_decode(address, 0x30, &msg) != want)
			fail_msg("address %#llx: valid should be %d", (unsigned long long)address, want);
	}
}

/* ---- MSI delivery ---------------------------------------------------------------------------- */

static void expect_msi(unsigned index, uint32_t destination, bool logical, uint8_t mode,
		       uint8_t vector, bool level)
{
	const struct msi_delivery *d;

	if (index >= rec.delivery_count)
		fail_msg("delivery %u missing (%u recorded)", index, rec.delivery_count);
	d = &rec.deliveries[index];
	if (d->destination != destination || d->logical != logical || d->delivery_mode != mode ||
	    d->vector != vector || d->level != level)
		fail_msg("delivery %u: dest %x logical %d mode %u vector %02x level %d", index,
			 d->destination, d->logical, d->delivery_mode, d->vector, d->level);
}

static void test_irq_route_msi(void **state)
{
	struct irq_router *router = *state;
	const struct irq_router_stats *s = irq_router_stats(router);

	/* Fixed edge, physical. */
	assert_true(irq_route_msi(router, 0xFEE05000, 0x00000041));
	expect_msi(0, 0x05, false, 0, 0x41, false);
	/* Logical without RH: DM honoured, stays fixed. */
	assert_true(irq_route_msi(router, 0xFEE03004, 0x00000042));
	expect_msi(1, 0x03, true, 0, 0x42, false);
	/* RH with fixed: lowest priority. */
	assert_true(irq_route_msi(router, 0xFEE0300C, 0x00000043));
	expect_msi(2, 0x03, true, 1, 0x43, false);
	assert_int_equal(s->msi_redirected, 1);
	/* RH with NMI: unchanged. */
	assert_true(irq_route_msi(router, 0xFEE01008, 0x00000400));
	expect_msi(3, 0x01, false, 4, 0x00, false);
	/* Level assert: delivered as level. */
	assert_true(irq_route_msi(router, 0xFEE02000, 0x0000C044));
	expect_msi(4, 0x02, false, 0, 0x44, true);
	/* Edge with the level bit clear is still an assert. */
	assert_true(irq_route_msi(router, 0xFEE02000, 0x00000045));
	assert_int_equal(rec.delivery_count, 6);
	/* Level deassert: nothing. */
	assert_false(irq_route_msi(router, 0xFEE02000, 0x00008046));
	assert_int_equal(s->msi_deasserts, 1);
	/* Malformed: nothing. */
	assert_false(irq_route_msi(router, 0xFED00000, 0x00000047));
	assert_false(irq_route_msi(router, 0xFEE00000, 0x00000647));
	assert_int_equal(s->msi_rejected, 2);
	assert_int_equal(rec.delivery_count, 6);
	/* Refused by every APIC. */
	rec.refuse = true;
	assert_false(irq_route_msi(router, 0xFEE00000, 0x00000048));
	assert_int_equal(rec.delivery_count, 7);
	assert_int_equal(s->msi_delivered, 6);
	assert_int_equal(s->msi_not_accepted, 1);
	/* No PIC or IOAPIC traffic from MSIs. */
	assert_int_equal(rec.call_count, 0);
}

/* irq_route_msi over all 256 vectors and 8 modes, with and without RH. */
static void test_irq_route_msi_all_vectors(void **state)
{
	struct irq_router *router = *state;

	for (unsigned vector = 0; vector < 256; vector++) {
		for (unsigned mode = 0; mode < 8; mode++) {
			for (unsigned rh = 0; rh < 2; rh++) {
				bool valid = mode != 3 && mode != 6;
				unsigned want_mode = rh && mode == 0 ? 1 : mode;

				rec.delivery_count = 0;
				assert_int_equal(irq_route_msi(router, 0xFEE00000u | (vector ^ 0xFF) << 12 |
								       rh << 3,
							       0x8000u | 0x4000u | mode << 8 | vector),
						 valid);
				assert_int_equal(rec.delivery_count, valid);
				if (valid)
					expect_msi(0, vector ^ 0xFF, false, (uint8_t)want_mode,
						   (uint8_t)vector, true);
			}
		}
	}
	assert_int_equal(irq_router_stats(router)->msi_delivered, 256 * 6 * 2);
	assert_int_equal(irq_router_stats(router)->msi_redirected, 256);
	assert_int_equal(irq_router_stats(router)->msi_rejected, 256 * 2 * 2);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_gsi_table),
		T(test_gsi_table_is_a_wiring),
		T(test_gsi_out_of_range),
		T(test_gsi_repeats_forwarded),
		T(test_partial_ops),
		T(test_msi_decode_table),
		T(test_msi_decode_all_vectors_and_modes),
		T(test_msi_address_bits),
		T(test_irq_route_msi),
		T(test_irq_route_msi_all_vectors),
	};
#undef T

	return cmocka_run_group_tests_name("irq_routing", tests, NULL, NULL);
}
