/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/vioapic.c, the virtual I/O APIC: the registers as the guest sees them
 * through IOREGSEL/IOWIN/EOIR at every access width, and the pin semantics over all 24 pins ×
 * edge/level × masked/unmasked × polarity, with a fake ops struct that records every interrupt
 * message and every rte_changed call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/vioapic.h"

/* ---- fake ops -------------------------------------------------------------------------------- */

struct delivery {
	uint32_t destination;
	bool logical;
	uint8_t delivery_mode;
	uint8_t vector;
	bool level;
};

struct recorder {
	struct delivery log[512];
	unsigned count;              /* deliver calls */
	bool refuse;                 /* deliver answers "no APIC accepted it" */
	unsigned rte_changed;        /* rte_changed calls */
	unsigned count_at_rte_changed; /* deliveries seen when rte_changed was last called */
};

static struct recorder rec;

static bool fake_deliver(void *ctx, uint32_t destination, bool logical, uint8_t delivery_mode,
			 uint8_t vector, bool level)
{
	struct recorder *r = ctx;

	assert_true(r->count < ARRAY_SIZE(r->log));
	r->log[r->count++] = (struct delivery){ destination, logical, delivery_mode, vector, level };
	return !r->refuse;
}

static void fake_rte_changed(void *ctx)
{
	struct recorder *r = ctx;

	r->rte_changed++;
	r->count_at_rte_changed = r->count;
}

static const struct vioapic_ops fake_ops = {
	.deliver = fake_deliver,
	.rte_changed = fake_rte_changed,
};

static int setup(void **state)
{
	memset(&rec, 0, sizeof(rec));
	*state = vioapic_create(&fake_ops, &rec);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	vioapic_destroy(*state);
	return 0;
}

/* ---- helpers: the guest's view --------------------------------------------------------------- */

static void write_register(struct vioapic *vio, uint8_t reg, uint32_t value)
{
	vioapic_mmio_write(vio, VIOAPIC_IOREGSEL, 4, reg);
	vioapic_mmio_write(vio, VIOAPIC_IOWIN, 4, value);
}

static uint32_t read_register(struct vioapic *vio, uint8_t reg)
{
	vioapic_mmio_write(vio, VIOAPIC_IOREGSEL, 4, reg);
	return vioapic_mmio_read(vio, VIOAPIC_IOWIN, 4);
}

/* High dword first, then low, as Linux programs an RTE. */
static void write_rte(struct vioapic *vio, unsigned pin, uint64_t rte)
{
	write_register(vio, (uint8_t)VIOAPIC_REG_RTE_HIGH(pin), (uint32_t)(rte >> 32));
	write_register(vio, (uint8_t)VIOAPIC_REG_RTE_LOW(pin), (uint32_t)rte);
}

static uint64_t read_rte(struct vioapic *vio, unsigned pin)
{
	uint64_t high = read_register(vio, (uint8_t)VIOAPIC_REG_RTE_HIGH(pin));

	return high << 32 | read_register(vio, (uint8_t)VIOAPIC_REG_RTE_LOW(pin));
}

struct rte_fields {
	uint8_t vector;
	uint8_t delivery_mode;
	bool logical;
	bool active_low;
	bool level;
	bool masked;
	uint8_t destination;
};

static uint64_t make_rte(struct rte_fields f)
{
	return f.vector | (uint64_t)f.delivery_mode << 8 | (uint64_t)f.logical << 11 |
	       (uint64_t)f.active_low << 13 | (uint64_t)f.level << 15 | (uint64_t)f.masked << 16 |
	       (uint64_t)f.destination << 56;
}

/* Drive the pin's input to active or inactive for the given polarity. */
static void drive(struct vioapic *vio, unsigned pin, bool active, bool active_low)
{
	vioapic_set_pin(vio, pin, active != active_low);
}

static bool remote_irr(struct vioapic *vio, unsigned pin)
{
	return read_rte(vio, pin) & VIOAPIC_RTE_REMOTE_IRR;
}

static void expect_delivery(unsigned index, uint32_t destination, bool logical, uint8_t mode,
			    uint8_t vector, bool level)
{
	const struct delivery *d;

	if (index >= rec.count)
		fail_msg("delivery %u missing (%u recorded)", index, rec.count);
	d = &rec.log[index];
	if (d->destination != destination || d->logical != logical || d->delivery_mode != mode ||
	    d->vector != vector || d->level != level)
		fail_msg("delivery %u: dest %x logical %d mode %u vector %02x level %d; want dest %x "
			 "logical %d mode %u vector %02x level %d", index, d->destination,
			 d->logical, d->delivery_mode, d->vector, d->level, destination, logical,
			 mode, vector, level);
}

/* ---- registers ------------------------------------------------------------------------------- */

static void test_reset_state(void **state)
{
	struct vioapic *vio = *state;

	for (int round = 0; round < 2; round++) {
		assert_int_equal(vioapic_mmio_read(vio, VIOAPIC_IOREGSEL, 4), 0);
		assert_int_equal(read_register(vio, VIOAPIC_REG_ID), 0);
		assert_int_equal(read_register(vio, VIOAPIC_REG_VER), 0x00170020);
		assert_int_equal(read_register(vio, VIOAPIC_REG_ARB), 0);
		for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++) {
			if (read_rte(vio, pin) != 0x10000)
				fail_msg("round %d pin %u: RTE %llx after reset", round, pin,
					 (unsigned long long)read_rte(vio, pin));
		}
		/* Dirty everything, then reset: the same state again. */
		write_register(vio, VIOAPIC_REG_ID, 0x0A000000);
		for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++) {
			vioapic_set_pin(vio, pin, true);
			write_rte(vio, pin, make_rte((struct rte_fields){ .vector = 0x40,
						 .level = true, .destination = 1 }));
			assert_true(remote_irr(vio, pin));
		}
		vioapic_mmio_write(vio, VIOAPIC_IOREGSEL, 4, 0x13);
		vioapic_reset(vio);
	}
	/* Per round and pin: one delivery (the unmask with the line high) and two rte_changed
	 * (destination, then the low dword); reset itself calls no ops. */
	assert_int_equal(rec.count, 2 * VIOAPIC_PIN_COUNT);
	assert_int_equal(rec.rte_changed, 2 * 2 * VIOAPIC_PIN_COUNT);
}

static void test_id_ver_arb(void **state)
{
	struct vioapic *vio = *state;

	write_register(vio, VIOAPIC_REG_ID, 0xFFFFFFFF);
	assert_int_equal(read_register(vio, VIOAPIC_REG_ID), 0x0F000000);
	assert_int_equal(read_register(vio, VIOAPIC_REG_ARB), 0x0F000000);
	write_register(vio, VIOAPIC_REG_ID, 0x05000000);
	assert_int_equal(read_register(vio, VIOAPIC_REG_ID), 0x05000000);
	assert_int_equal(read_register(vio, VIOAPIC_REG_ARB), 0x05000000);
	write_register(vio, VIOAPIC_REG_ID, 0xF0FFFFFF);  /* bits outside 27:24 only */
	assert_int_equal(read_register(vio, VIOAPIC_REG_ID), 0);
	write_register(vio, VIOAPIC_REG_ID, 0x03000000);

	/* VER and ARB are read-only. */
	write_register(vio, VIOAPIC_REG_VER, 0);
	write_register(vio, VIOAPIC_REG_VER, 0xFFFFFFFF);
	assert_int_equal(read_register(vio, VIOAPIC_REG_VER), VIOAPIC_VER_VALUE);
	assert_int_equal(VIOAPIC_VER_VALUE, 0x00170020);
	write_register(vio, VIOAPIC_REG_ARB, 0x0C000000);
	assert_int_equal(read_register(vio, VIOAPIC_REG_ARB), 0x03000000);
	assert_int_equal(read_register(vio, VIOAPIC_REG_ID), 0x03000000);
	assert_int_equal(vioapic_stats(vio)->read_only_writes, 3);
}

/* Every pin's RTE reads back its writable bits, whatever pattern is written, and a write to one
 * pin leaves the others alone. */
static void test_rte_read_back(void **state)
{
	static const uint32_t low_patterns[] = { 0xFFFFFFFF, 0x00000000, 0xAAAAAAAA, 0x55555555,
						 0x0001F0F0, 0x00002D3C };
	static const uint32_t high_patterns[] = { 0xFFFFFFFF, 0x00000000, 0xAAAAAAAA, 0x55555555,
						  0x12FFFFFF, 0xEE000000 };
	struct vioapic *vio = *state;

	rec.refuse = true;  /* no remote IRR from pins whose input happens to be active */
	for (size_t p = 0; p < ARRAY_SIZE(low_patterns); p++) {
		for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++) {
			/* A pattern per pin, so that a write landing on another pin shows. */
			uint32_t low = low_patterns[p] ^ (pin * 0x01010101u);
			uint32_t high = high_patterns[p] ^ (pin << 24);

			write_register(vio, (uint8_t)VIOAPIC_REG_RTE_LOW(pin), low);
			write_register(vio, (uint8_t)VIOAPIC_REG_RTE_HIGH(pin), high);
		}
		for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++) {
			uint32_t low = low_patterns[p] ^ (pin * 0x01010101u);
			uint32_t high = high_patterns[p] ^ (pin << 24);
			uint32_t want_low = low & 0x0001AFFF;   /* 16, 15, 13, 11:0 */
			uint32_t want_high = high & 0xFF000000; /* 63:56 */

			if (read_register(vio, (uint8_t)VIOAPIC_REG_RTE_LOW(pin)) != want_low ||
			    read_register(vio, (uint8_t)VIOAPIC_REG_RTE_HIGH(pin)) != want_high)
				fail_msg("pattern %zu pin %u: reads %08x:%08x, want %08x:%08x", p, pin,
					 read_register(vio, (uint8_t)VIOAPIC_REG_RTE_HIGH(pin)),
					 read_register(vio, (uint8_t)VIOAPIC_REG_RTE_LOW(pin)),
					 want_high, want_low);
			assert_int_equal(vioapic_rte(vio, pin), (uint64_t)want_high << 32 | want_low);
		}
	}
	assert_int_equal(vioapic_rte(vio, VIOAPIC_PIN_COUNT), 0);
}

/* Remote IRR (14) and delivery status (12) are read-only on every pin. */
static void test_rte_read_only_bits(void **state)
{
	struct vioapic *vio = *state;

	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++) {
		uint64_t rte = make_rte((struct rte_fields){ .vector = (uint8_t)(0x20 + pin),
					.level = true, .destination = 2 });
		uint32_t low = (uint32_t)rte;

		write_rte(vio, pin, rte);
		vioapic_set_pin(vio, pin, true);
		assert_true(remote_irr(vio, pin));
		/* Writing bit 14 = 0 and bit 12 = 1 changes neither. */
		write_register(vio, (uint8_t)VIOAPIC_REG_RTE_LOW(pin), low | 1u << 12);
		assert_int_equal(read_register(vio, (uint8_t)VIOAPIC_REG_RTE_LOW(pin)),
				 low | 1u << 14);
		vioapic_set_pin(vio, pin, false);
		vioapic_eoi(vio, (uint8_t)(0x20 + pin));
		assert_false(remote_irr(vio, pin));
		/* Writing bit 14 = 1 does not set it. */
		write_register(vio, (uint8_t)VIOAPIC_REG_RTE_LOW(pin), low | 1u << 14 | 1u << 12);
		assert_int_equal(read_register(vio, (uint8_t)VIOAPIC_REG_RTE_LOW(pin)), low);
	}
	assert_int_equal(rec.count, VIOAPIC_PIN_COUNT);
}

static void test_ioregsel(void **state)
{
	struct vioapic *vio = *state;

	/* Every selection reads back; bits 31:8 are dropped. */
	for (uint32_t reg = 0; reg < 0x100; reg++) {
		vioapic_mmio_write(vio, VIOAPIC_IOREGSEL, 4, reg | 0xABCDEF00u);
		assert_int_equal(vioapic_mmio_read(vio, VIOAPIC_IOREGSEL, 4), reg);
	}
	/* A byte write selects (the 82093AA's own way), and IOWIN then shows that register. */
	write_register(vio, (uint8_t)VIOAPIC_REG_RTE_HIGH(5), 0x5A000000);
	vioapic_mmio_write(vio, VIOAPIC_IOREGSEL, 1, VIOAPIC_REG_RTE_HIGH(5));
	assert_int_equal(vioapic_mmio_read(vio, VIOAPIC_IOREGSEL, 1), VIOAPIC_REG_RTE_HIGH(5));
	assert_int_equal(vioapic_mmio_read(vio, VIOAPIC_IOWIN, 4), 0x5A000000);
	vioapic_mmio_write(vio, VIOAPIC_IOREGSEL, 1, VIOAPIC_REG_VER);
	assert_int_equal(vioapic_mmio_read(vio, VIOAPIC_IOWIN, 4), 0x00170020);
	vioapic_mmio_write(vio, VIOAPIC_IOREGSEL, 2, VIOAPIC_REG_RTE_LOW(0));
	assert_int_equal(vioapic_mmio_read(vio, VIOAPIC_IOWIN, 4), 0x10000);
	vioapic_mmio_write(vio, VIOAPIC_IOREGSEL, 8, VIOAPIC_REG_ID);
	assert_int_equal(vioapic_mmio_read(vio, VIOAPIC_IOREGSEL, 8), VIOAPIC_REG_ID);
	assert_int_equal(vioapic_stats(vio)->ignored_mmio, 0);
}

/* One MMIO step: write `value`, or read and expect `value`; `ignored` says whether the model
 * counts it in ignored_mmio. */
struct mmio_step {
	bool write;
	uint32_t offset;
	unsigned size;
	uint32_t value;
	bool ignored;
};

#define MW(offset, size, value, ignored) { true, offset, size, value, ignored }
#define MR(offset, size, value, ignored) { false, offset, size, value, ignored }

/* RTE 0 low = 0x0001A9C3: masked, level, active low, logical, lowest priority, vector 0xC3. */
static const struct mmio_step width_script[] = {
	MW(0x00, 4, 0x10, false),              /* select RTE 0 low */
	MW(0x10, 4, 0x0001A9C3, false),
	MR(0x10, 4, 0x0001A9C3, false),
	/* Narrow IOWIN reads return the bytes of the selected register. */
	MR(0x10, 1, 0xC3, false),
	MR(0x11, 1, 0xA9, false),
	MR(0x12, 1, 0x01, false),
	MR(0x13, 1, 0x00, false),
	MR(0x10, 2, 0xA9C3, false),
	MR(0x12, 2, 0x0001, false),
	MR(0x10, 8, 0x0001A9C3, false),        /* qword: the dword zero-extended */
	/* Narrow IOWIN writes are ignored. */
	MW(0x10, 1, 0xFF, true),
	MW(0x11, 1, 0xFF, true),
	MW(0x10, 2, 0x0000, true),
	MW(0x12, 2, 0x0000, true),
	MR(0x10, 4, 0x0001A9C3, false),
	/* An 8-byte write writes the dword. */
	MW(0x10, 8, 0x0001A9C4, false),
	MR(0x10, 4, 0x0001A9C4, false),
	/* Bytes 4–15 of a slot are unbacked. */
	MR(0x14, 4, 0, true),
	MR(0x18, 8, 0, true),
	MR(0x1F, 1, 0, true),
	MW(0x14, 4, 0xFFFFFFFF, true),
	MR(0x10, 4, 0x0001A9C4, false),
	/* Misaligned and odd-sized accesses. */
	MR(0x11, 2, 0, true),
	MR(0x12, 4, 0, true),
	MR(0x10, 3, 0, true),
	MR(0x10, 16, 0, true),
	MR(0x10, 0, 0, true),
	MW(0x11, 4, 0, true),
	MW(0x10, 3, 0, true),
	MR(0x10, 4, 0x0001A9C4, false),
	/* IOREGSEL: bytes 1–3 are reserved bits; reads return bits 7:0 only. */
	MW(0x00, 1, 0x12, false),
	MR(0x00, 4, 0x12, false),
	MW(0x01, 1, 0x34, true),
	MW(0x02, 2, 0x3456, true),
	MR(0x00, 4, 0x12, false),
	MR(0x01, 1, 0x00, false),
	MR(0x02, 2, 0x0000, false),
	MR(0x00, 2, 0x0012, false),
	MW(0x00, 4, 0xFFFFFF10, false),
	MR(0x00, 1, 0x10, false),
	/* No aliases: the registers exist at 0x00, 0x10 and 0x40 only. */
	MW(0x100, 4, 0x11, true),
	MR(0x100, 4, 0, true),
	MR(0x110, 4, 0, true),
	MW(0x110, 4, 0, true),
	MR(0x20, 4, 0, true),
	MR(0x30, 4, 0, true),
	MR(0xFFC, 4, 0, true),
	MR(0x00, 4, 0x10, false),
	MR(0x10, 4, 0x0001A9C4, false),
	/* EOIR is write-only: reads 0; narrow writes ignored. */
	MR(0x40, 4, 0, false),
	MW(0x40, 1, 0xC4, true),
	MW(0x40, 2, 0xC4, true),
	/* Outside the page. */
	MR(0x1000, 4, 0, true),
	MW(0x1000, 4, 0, true),
	MR(0xFFFFFFF0, 4, 0, true),
	MR(0x10, 4, 0x0001A9C4, false),
};

static void test_access_widths(void **state)
{
	struct vioapic *vio = *state;
	uint64_t ignored = 0;

	for (size_t i = 0; i < ARRAY_SIZE(width_script); i++) {
		const struct mmio_step *s = &width_script[i];

		if (s->write) {
			vioapic_mmio_write(vio, s->offset, s->size, s->value);
		} else {
			uint32_t value = vioapic_mmio_read(vio, s->offset, s->size);

			if (value != s->value)
				fail_msg("step %zu: read %u bytes at %#x = %#x, want %#x", i, s->size,
					 s->offset, value, s->value);
		}
		ignored += s->ignored;
		if (vioapic_stats(vio)->ignored_mmio != ignored)
			fail_msg("step %zu: ignored_mmio %llu, want %llu", i,
				 (unsigned long long)vioapic_stats(vio)->ignored_mmio,
				 (unsigned long long)ignored);
	}
	assert_int_equal(vioapic_stats(vio)->eoi_register_writes, 0);
	assert_int_equal(vioapic_stats(vio)->eois, 0);
	assert_int_equal(rec.count, 0);
}

/* IOREGSEL values that name no register: read 0, writes change nothing. */
static void test_reserved_registers(void **state)
{
	struct vioapic *vio = *state;
	uint64_t before[VIOAPIC_PIN_COUNT];
	unsigned reserved = 0;

	write_register(vio, VIOAPIC_REG_ID, 0x07000000);
	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++) {
		write_rte(vio, pin, make_rte((struct rte_fields){ .vector = (uint8_t)(0x80 + pin),
					 .masked = pin & 1, .level = pin & 2,
					 .destination = (uint8_t)pin }));
		before[pin] = read_rte(vio, pin);
	}
	rec.rte_changed = 0;
	for (unsigned reg = 0; reg < 0x100; reg++) {
		if (reg <= VIOAPIC_REG_ARB ||
		    (reg >= VIOAPIC_REG_REDTBL && reg < VIOAPIC_REG_RTE_LOW(VIOAPIC_PIN_COUNT)))
			continue;
		reserved++;
		if (read_register(vio, (uint8_t)reg) != 0)
			fail_msg("register %#x reads %#x", reg, read_register(vio, (uint8_t)reg));
		write_register(vio, (uint8_t)reg, 0xFFFFFFFF);
		write_register(vio, (uint8_t)reg, 0x00000000);
	}
	assert_int_equal(reserved, 13 + 0xC0);
	/* Each reserved register: 1 read and 2 writes. */
	assert_int_equal(vioapic_stats(vio)->reserved_register_accesses, 3 * reserved);
	assert_int_equal(read_register(vio, VIOAPIC_REG_ID), 0x07000000);
	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++)
		assert_int_equal(read_rte(vio, pin), before[pin]);
	assert_int_equal(rec.rte_changed, 0);
	assert_int_equal(rec.count, 0);
}

/* ---- pin semantics: the matrix --------------------------------------------------------------- */

/*
 * Every pin × edge/level × masked/unmasked × high/low active, through one script:
 *   1. RTE programmed with the input inactive (via a masked write, so that moving the line
 *      to the inactive level raises no edge and no delivery)
 *   2. input active                     edge: 1st interrupt   level: 1st interrupt, remote IRR
 *   3. input reported active again      edge: no edge         level: coalesced
 *   4. inactive, then active            edge: 2nd interrupt   level: coalesced (remote IRR)
 *   5. EOI of the vector, still active  edge: nothing         level: re-delivered
 *   6. inactive, EOI                    edge: nothing         level: remote IRR cleared only
 *   7. active, then RTE rewritten unmasked
 *        unmasked edge: 3rd interrupt (the edge); unmasked level: 3rd interrupt (remote IRR
 *        was clear); masked edge: nothing at all (edges lost); masked level: delivered at the
 *        unmask (the input is a level)
 */
static void run_pin_case(struct vioapic *vio, unsigned pin, bool level, bool masked,
			 bool active_low)
{
	struct rte_fields f = {
		.vector = (uint8_t)(0x30 + pin), .delivery_mode = VIOAPIC_DELIVERY_FIXED,
		.logical = pin & 1, .active_low = active_low, .level = level, .masked = masked,
		.destination = (uint8_t)(pin ^ 0xA5),
	};
	struct vioapic_stats s0 = *vioapic_stats(vio);
	const struct vioapic_stats *s = vioapic_stats(vio);
	unsigned want = 0;
	bool irr_after_2 = level && !masked;

	struct rte_fields quiet = f;

	memset(&rec, 0, sizeof(rec));
	quiet.masked = true;                                        /* 1 */
	write_rte(vio, pin, make_rte(quiet));
	drive(vio, pin, false, active_low);
	write_rte(vio, pin, make_rte(f));
	assert_int_equal(rec.count, 0);

	drive(vio, pin, true, active_low);                          /* 2 */
	want += !masked;
	assert_int_equal(rec.count, want);
	assert_int_equal(remote_irr(vio, pin), irr_after_2);

	drive(vio, pin, true, active_low);                          /* 3 */
	assert_int_equal(rec.count, want);

	drive(vio, pin, false, active_low);                         /* 4 */
	drive(vio, pin, true, active_low);
	want += !masked && !level;
	assert_int_equal(rec.count, want);

	vioapic_eoi(vio, f.vector);                                 /* 5 */
	want += !masked && level;
	assert_int_equal(rec.count, want);
	assert_int_equal(remote_irr(vio, pin), irr_after_2);

	drive(vio, pin, false, active_low);                         /* 6 */
	vioapic_eoi(vio, f.vector);
	assert_int_equal(rec.count, want);
	assert_false(remote_irr(vio, pin));

	drive(vio, pin, true, active_low);                          /* 7 */
	f.masked = false;
	write_rte(vio, pin, make_rte(f));
	want += !(masked && !level);
	assert_int_equal(rec.count, want);
	assert_int_equal(remote_irr(vio, pin), level);

	for (unsigned i = 0; i < rec.count; i++)
		expect_delivery(i, f.destination, f.logical, VIOAPIC_DELIVERY_FIXED, f.vector, level);
	assert_int_equal(s->deliveries[pin] - s0.deliveries[pin], want);
	assert_int_equal(s->lost_masked - s0.lost_masked, masked && !level ? 3 : 0);
	assert_int_equal(s->repeated_edge_asserts - s0.repeated_edge_asserts, level ? 0 : 1);
	assert_int_equal(s->coalesced - s0.coalesced, !masked && level ? 2 : 0);
	assert_int_equal(s->masked_level_asserts - s0.masked_level_asserts, masked && level ? 4 : 0);
	assert_int_equal(s->redeliveries - s0.redeliveries, !masked && level ? 1 : 0);
	assert_int_equal(s->remote_irr_clears - s0.remote_irr_clears, !masked && level ? 2 : 0);
	assert_int_equal(s->rte_write_deliveries - s0.rte_write_deliveries, masked && level);
	assert_int_equal(s->eois - s0.eois, 2);
	assert_int_equal(s->not_accepted - s0.not_accepted, 0);

	/* Leave the pin quiet for the next case: reset RTE, line low. */
	drive(vio, pin, false, active_low);
	vioapic_eoi(vio, f.vector);
	write_rte(vio, pin, VIOAPIC_RTE_RESET);
	vioapic_set_pin(vio, pin, false);
}

static void test_pin_matrix(void **state)
{
	struct vioapic *vio = *state;
	unsigned cases = 0;

	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++)
		for (int level = 0; level < 2; level++)
			for (int masked = 0; masked < 2; masked++)
				for (int active_low = 0; active_low < 2; active_low++) {
					run_pin_case(vio, pin, level, masked, active_low);
					cases++;
				}
	assert_int_equal(cases, 192);
	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++)
		/* Per polarity: unmasked edge 3, unmasked level 3, masked edge 0, masked level 1. */
		assert_int_equal(vioapic_stats(vio)->deliveries[pin], 2 * (3 + 3 + 0 + 1));
}

/* ---- pin semantics: one at a time ------------------------------------------------------------ */

static void test_edge_one_per_edge(void **state)
{
	struct vioapic *vio = *state;

	write_rte(vio, 9, make_rte((struct rte_fields){ .vector = 0x49, .destination = 3 }));
	for (int i = 0; i < 10; i++)
		vioapic_set_pin(vio, 9, true);
	assert_int_equal(rec.count, 1);
	for (int i = 0; i < 10; i++) {
		vioapic_set_pin(vio, 9, false);
		vioapic_set_pin(vio, 9, false);
		vioapic_set_pin(vio, 9, true);
	}
	assert_int_equal(rec.count, 11);
	assert_int_equal(vioapic_stats(vio)->deliveries[9], 11);
	assert_int_equal(vioapic_stats(vio)->repeated_edge_asserts, 9);
	/* EOIs do nothing to an edge pin. */
	vioapic_eoi(vio, 0x49);
	assert_int_equal(rec.count, 11);
	assert_false(remote_irr(vio, 9));
	for (unsigned i = 0; i < rec.count; i++)
		expect_delivery(i, 3, false, VIOAPIC_DELIVERY_FIXED, 0x49, false);
}

static void test_edge_masked_lost(void **state)
{
	struct vioapic *vio = *state;
	struct rte_fields f = { .vector = 0x50, .masked = true, .destination = 1 };

	write_rte(vio, 4, make_rte(f));
	for (int i = 0; i < 5; i++) {
		vioapic_set_pin(vio, 4, true);
		vioapic_set_pin(vio, 4, false);
	}
	vioapic_set_pin(vio, 4, true);
	assert_int_equal(vioapic_stats(vio)->lost_masked, 6);
	f.masked = false;
	write_rte(vio, 4, make_rte(f));  /* unmasked with the line high: the edges are gone */
	assert_int_equal(rec.count, 0);
	vioapic_set_pin(vio, 4, false);
	vioapic_set_pin(vio, 4, true);
	assert_int_equal(rec.count, 1);
	expect_delivery(0, 1, false, VIOAPIC_DELIVERY_FIXED, 0x50, false);
}

static void test_level_redelivery_on_eoi(void **state)
{
	struct vioapic *vio = *state;

	write_rte(vio, 17, make_rte((struct rte_fields){ .vector = 0x91, .level = true,
				.destination = 0x0F, .logical = true }));
	vioapic_set_pin(vio, 17, true);
	assert_int_equal(rec.count, 1);
	for (int i = 0; i < 5; i++) {
		vioapic_eoi(vio, 0x91);  /* still asserted: again */
		assert_int_equal(rec.count, 2 + i);
		assert_true(remote_irr(vio, 17));
	}
	vioapic_set_pin(vio, 17, false);
	vioapic_eoi(vio, 0x91);
	assert_int_equal(rec.count, 6);
	assert_false(remote_irr(vio, 17));
	vioapic_eoi(vio, 0x91);  /* a second EOI finds no remote IRR */
	assert_int_equal(rec.count, 6);
	assert_int_equal(vioapic_stats(vio)->redeliveries, 5);
	assert_int_equal(vioapic_stats(vio)->remote_irr_clears, 6);
	assert_int_equal(vioapic_stats(vio)->eois, 7);
	for (unsigned i = 0; i < rec.count; i++)
		expect_delivery(i, 0x0F, true, VIOAPIC_DELIVERY_FIXED, 0x91, true);
}

static void test_level_coalesced(void **state)
{
	struct vioapic *vio = *state;

	write_rte(vio, 0, make_rte((struct rte_fields){ .vector = 0x60, .level = true }));
	vioapic_set_pin(vio, 0, true);
	vioapic_set_pin(vio, 0, true);
	vioapic_set_pin(vio, 0, false);
	vioapic_set_pin(vio, 0, true);
	vioapic_set_pin(vio, 0, false);
	assert_int_equal(rec.count, 1);
	assert_int_equal(vioapic_stats(vio)->coalesced, 2);
	vioapic_eoi(vio, 0x60);  /* line low at EOI: nothing more */
	assert_int_equal(rec.count, 1);
	vioapic_set_pin(vio, 0, true);
	assert_int_equal(rec.count, 2);
}

static void test_unmask_asserted_level(void **state)
{
	struct vioapic *vio = *state;
	struct rte_fields f = { .vector = 0x70, .level = true, .masked = true, .destination = 6 };

	write_rte(vio, 12, make_rte(f));
	vioapic_set_pin(vio, 12, true);
	assert_int_equal(rec.count, 0);
	assert_int_equal(vioapic_stats(vio)->masked_level_asserts, 1);
	rec.rte_changed = 0;
	f.masked = false;
	write_rte(vio, 12, make_rte(f));
	assert_int_equal(rec.count, 1);
	expect_delivery(0, 6, false, VIOAPIC_DELIVERY_FIXED, 0x70, true);
	/* The caller heard of the new bitmap before the interrupt went out. */
	assert_int_equal(rec.rte_changed, 1);
	assert_int_equal(rec.count_at_rte_changed, 0);
	assert_true(remote_irr(vio, 12));
	assert_int_equal(vioapic_stats(vio)->rte_write_deliveries, 1);
	/* Rewriting it while remote IRR is set sends nothing. */
	write_rte(vio, 12, make_rte(f));
	assert_int_equal(rec.count, 1);

	/* Masked while waiting for the EOI: the EOI clears remote IRR, nothing is sent, and
	 * unmasking with the line still high delivers. */
	f.masked = true;
	write_rte(vio, 12, make_rte(f));
	rec.rte_changed = 0;
	vioapic_eoi(vio, 0x70);
	assert_false(remote_irr(vio, 12));
	assert_int_equal(rec.count, 1);
	assert_int_equal(rec.rte_changed, 1);  /* the vector left the level vectors */
	f.masked = false;
	write_rte(vio, 12, make_rte(f));
	assert_int_equal(rec.count, 2);

	/* Unmasked with the line low: nothing. */
	vioapic_set_pin(vio, 12, false);
	vioapic_eoi(vio, 0x70);
	f.masked = true;
	write_rte(vio, 12, make_rte(f));
	f.masked = false;
	write_rte(vio, 12, make_rte(f));
	assert_int_equal(rec.count, 2);
}

/* Remote IRR is set only when some APIC accepted the interrupt. */
static void test_remote_irr_only_when_accepted(void **state)
{
	struct vioapic *vio = *state;
	struct rte_fields f = { .vector = 0x33, .level = true, .destination = 9 };

	write_rte(vio, 21, make_rte(f));
	rec.refuse = true;
	vioapic_set_pin(vio, 21, true);
	assert_int_equal(rec.count, 1);
	assert_false(remote_irr(vio, 21));
	assert_int_equal(vioapic_stats(vio)->not_accepted, 1);
	/* An EOI does not retry it: the pin waits for no EOI. */
	vioapic_eoi(vio, 0x33);
	assert_int_equal(rec.count, 1);
	assert_int_equal(vioapic_stats(vio)->remote_irr_clears, 0);
	/* The line reported again: retried, accepted now. */
	rec.refuse = false;
	vioapic_set_pin(vio, 21, true);
	assert_int_equal(rec.count, 2);
	assert_true(remote_irr(vio, 21));
	/* A rewrite retries too. */
	vioapic_set_pin(vio, 21, false);
	vioapic_eoi(vio, 0x33);
	rec.refuse = true;
	vioapic_set_pin(vio, 21, true);
	assert_int_equal(rec.count, 3);
	assert_false(remote_irr(vio, 21));
	rec.refuse = false;
	write_rte(vio, 21, make_rte(f));
	assert_int_equal(rec.count, 4);
	assert_true(remote_irr(vio, 21));
	assert_int_equal(vioapic_stats(vio)->not_accepted, 2);

	/* Edge: a refused interrupt is simply lost. */
	write_rte(vio, 22, make_rte((struct rte_fields){ .vector = 0x34 }));
	rec.refuse = true;
	vioapic_set_pin(vio, 22, true);
	assert_false(remote_irr(vio, 22));
	assert_int_equal(vioapic_stats(vio)->not_accepted, 3);
	assert_int_equal(vioapic_stats(vio)->deliveries[22], 1);
}

/* The EOI register clears remote IRR of every level pin with that vector. */
static void test_eoi_register(void **state)
{
	struct vioapic *vio = *state;
	static const unsigned shared[] = { 3, 7, 9 };

	for (size_t i = 0; i < ARRAY_SIZE(shared); i++) {
		write_rte(vio, shared[i], make_rte((struct rte_fields){ .vector = 0x51,
					 .level = true, .destination = (uint8_t)i }));
		vioapic_set_pin(vio, shared[i], true);
	}
	write_rte(vio, 11, make_rte((struct rte_fields){ .vector = 0x52, .level = true }));
	vioapic_set_pin(vio, 11, true);
	write_rte(vio, 13, make_rte((struct rte_fields){ .vector = 0x51 }));  /* edge */
	vioapic_set_pin(vio, 13, true);
	assert_int_equal(rec.count, 5);
	vioapic_set_pin(vio, 7, false);

	/* Narrow writes are not EOIs. */
	vioapic_mmio_write(vio, VIOAPIC_EOIR, 1, 0x51);
	vioapic_mmio_write(vio, VIOAPIC_EOIR, 2, 0x51);
	assert_true(remote_irr(vio, 3) && remote_irr(vio, 7) && remote_irr(vio, 9));
	assert_int_equal(vioapic_stats(vio)->eoi_register_writes, 0);

	/* Bits 31:8 are ignored. */
	vioapic_mmio_write(vio, VIOAPIC_EOIR, 4, 0xFFFFFF51);
	assert_int_equal(vioapic_stats(vio)->eoi_register_writes, 1);
	assert_int_equal(vioapic_stats(vio)->remote_irr_clears, 3);
	assert_false(remote_irr(vio, 7));
	assert_true(remote_irr(vio, 3));   /* still asserted: delivered again */
	assert_true(remote_irr(vio, 9));
	assert_true(remote_irr(vio, 11));  /* other vector: untouched */
	assert_int_equal(rec.count, 7);
	expect_delivery(5, 0, false, VIOAPIC_DELIVERY_FIXED, 0x51, true);
	expect_delivery(6, 2, false, VIOAPIC_DELIVERY_FIXED, 0x51, true);

	vioapic_mmio_write(vio, VIOAPIC_EOIR, 8, 0x52);
	assert_int_equal(rec.count, 8);
	expect_delivery(7, 0, false, VIOAPIC_DELIVERY_FIXED, 0x52, true);
	assert_int_equal(vioapic_stats(vio)->eois, 2);
}

/* An EOI of any vector no level pin waits on changes nothing, for all 256 vectors. */
static void test_eoi_unrelated_vector(void **state)
{
	struct vioapic *vio = *state;
	uint64_t before[VIOAPIC_PIN_COUNT];

	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++) {
		/* Level pins with vectors 0x80–0x8B and remote IRR set; edge pins 0x40–0x4B. */
		bool level = pin % 2 == 0;
		uint8_t vector = (uint8_t)(level ? 0x80 + pin / 2 : 0x40 + pin / 2);

		write_rte(vio, pin, make_rte((struct rte_fields){ .vector = vector, .level = level,
					 .destination = 1 }));
		vioapic_set_pin(vio, pin, true);
		assert_int_equal(remote_irr(vio, pin), level);
	}
	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++)
		before[pin] = read_rte(vio, pin);
	rec.count = 0;
	rec.rte_changed = 0;
	for (unsigned vector = 0; vector < 256; vector++) {
		if (vector >= 0x80 && vector < 0x8C)
			continue;
		vioapic_eoi(vio, (uint8_t)vector);
	}
	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++)
		assert_int_equal(read_rte(vio, pin), before[pin]);
	assert_int_equal(rec.count, 0);
	assert_int_equal(rec.rte_changed, 0);
	assert_int_equal(vioapic_stats(vio)->remote_irr_clears, 0);
	assert_int_equal(vioapic_stats(vio)->eois, 256 - 12);

	/* Each level vector clears its own pin only. */
	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin += 2) {
		vioapic_set_pin(vio, pin, false);
		vioapic_eoi(vio, (uint8_t)(0x80 + pin / 2));
		for (unsigned other = 0; other < VIOAPIC_PIN_COUNT; other += 2)
			assert_int_equal(remote_irr(vio, other), other > pin);
	}
}

/* The same over all 256 vectors: a level pin with vector v is cleared by EOI(v) only. */
static void test_eoi_all_vectors(void **state)
{
	struct vioapic *vio = *state;

	for (unsigned vector = 0; vector < 256; vector++) {
		unsigned pin = vector % VIOAPIC_PIN_COUNT;
		unsigned other = (vector + 1) % 256;

		write_rte(vio, pin, make_rte((struct rte_fields){ .vector = (uint8_t)vector,
					 .level = true }));
		vioapic_set_pin(vio, pin, true);
		assert_true(remote_irr(vio, pin));
		vioapic_set_pin(vio, pin, false);
		vioapic_eoi(vio, (uint8_t)other);
		vioapic_eoi(vio, (uint8_t)(vector ^ 0x80));
		assert_true(remote_irr(vio, pin));
		vioapic_eoi(vio, (uint8_t)vector);
		if (remote_irr(vio, pin))
			fail_msg("vector %#x: EOI left remote IRR set", vector);
		write_rte(vio, pin, VIOAPIC_RTE_RESET);
	}
	assert_int_equal(rec.count, 256);
	assert_int_equal(vioapic_stats(vio)->remote_irr_clears, 256);
}

/* Switching to edge clears remote IRR (Linux's EOI emulation for I/O APICs without EOIR). */
static void test_switch_to_edge_clears_remote_irr(void **state)
{
	struct vioapic *vio = *state;
	struct rte_fields f = { .vector = 0xA1, .level = true, .destination = 4 };

	write_rte(vio, 16, make_rte(f));
	vioapic_set_pin(vio, 16, true);
	assert_true(remote_irr(vio, 16));
	/* __eoi_ioapic_pin: mask + edge, then level + unmask. */
	f.masked = true;
	f.level = false;
	write_register(vio, (uint8_t)VIOAPIC_REG_RTE_LOW(16), (uint32_t)make_rte(f));
	assert_false(remote_irr(vio, 16));
	assert_int_equal(vioapic_stats(vio)->remote_irr_edge_clears, 1);
	f.masked = false;
	f.level = true;
	write_register(vio, (uint8_t)VIOAPIC_REG_RTE_LOW(16), (uint32_t)make_rte(f));
	/* The line is still high: delivered again. */
	assert_int_equal(rec.count, 2);
	assert_true(remote_irr(vio, 16));
	/* A level → level write keeps it. */
	write_register(vio, (uint8_t)VIOAPIC_REG_RTE_LOW(16), (uint32_t)make_rte(f));
	assert_true(remote_irr(vio, 16));
	assert_int_equal(vioapic_stats(vio)->remote_irr_edge_clears, 1);
}

/* Polarity decides what "active" is; changing it is not an edge, but a level pin is sampled
 * again. */
static void test_polarity(void **state)
{
	struct vioapic *vio = *state;
	struct rte_fields edge = { .vector = 0x22, .destination = 1 };
	struct rte_fields level = { .vector = 0x23, .level = true, .destination = 1 };

	/* Edge, line low: active-low makes the input active, but there was no edge. */
	write_rte(vio, 1, make_rte(edge));
	edge.active_low = true;
	write_rte(vio, 1, make_rte(edge));
	assert_int_equal(rec.count, 0);
	vioapic_set_pin(vio, 1, true);   /* input inactive */
	assert_int_equal(rec.count, 0);
	vioapic_set_pin(vio, 1, false);  /* falling line = rising input */
	assert_int_equal(rec.count, 1);
	expect_delivery(0, 1, false, VIOAPIC_DELIVERY_FIXED, 0x22, false);

	/* Level, line low, active high: quiet; switched to active low: delivered. */
	write_rte(vio, 2, make_rte(level));
	assert_int_equal(rec.count, 1);
	level.active_low = true;
	rec.rte_changed = 0;
	write_rte(vio, 2, make_rte(level));
	assert_int_equal(rec.count, 2);
	assert_int_equal(rec.rte_changed, 0);  /* polarity is not in the level vectors */
	expect_delivery(1, 1, false, VIOAPIC_DELIVERY_FIXED, 0x23, true);
	/* Line high = inactive: the EOI clears without re-delivery. */
	vioapic_set_pin(vio, 2, true);
	vioapic_eoi(vio, 0x23);
	assert_int_equal(rec.count, 2);
	assert_false(remote_irr(vio, 2));
}

/* Delivery modes × trigger bit: what goes out, what sets remote IRR, and the reserved ones. */
static void test_delivery_modes(void **state)
{
	struct vioapic *vio = *state;

	for (unsigned mode = 0; mode < 8; mode++) {
		for (int trigger_level = 0; trigger_level < 2; trigger_level++) {
			struct rte_fields f = { .vector = 0x66, .delivery_mode = (uint8_t)mode,
						.level = trigger_level, .destination = 0x0E };
			bool reserved = mode == 3 || mode == 6;
			bool level = trigger_level && mode <= 1;
			uint64_t reserved_before = vioapic_stats(vio)->reserved_delivery_modes;

			rec.count = 0;
			vioapic_set_pin(vio, 5, false);
			write_rte(vio, 5, make_rte(f));
			assert_int_equal(read_rte(vio, 5), make_rte(f));  /* stored as written */
			vioapic_set_pin(vio, 5, true);
			vioapic_set_pin(vio, 5, false);
			vioapic_set_pin(vio, 5, true);
			if (reserved) {
				assert_int_equal(rec.count, 0);
				assert_false(remote_irr(vio, 5));
				/* Not fixed/lowest: edge-like, so each of the two edges is a
				 * refused send. */
				assert_int_equal(vioapic_stats(vio)->reserved_delivery_modes -
						 reserved_before, 2);
			} else {
				/* Level: the second assert is coalesced; edge-like: two edges. */
				assert_int_equal(rec.count, level ? 1 : 2);
				for (unsigned i = 0; i < rec.count; i++)
					expect_delivery(i, 0x0E, false, (uint8_t)mode, 0x66, level);
				assert_int_equal(remote_irr(vio, 5), level);
			}
			vioapic_set_pin(vio, 5, false);
			vioapic_eoi(vio, 0x66);
			write_rte(vio, 5, VIOAPIC_RTE_RESET);
		}
	}
}

/* ---- rte_changed ----------------------------------------------------------------------------- */

struct rte_change_case {
	const char *what;
	bool high_dword;
	uint32_t value;       /* the dword written over BASE_RTE's */
	bool changed;
};

/* Level, fixed, physical, active high, unmasked, vector 0x40, destination 3. */
#define BASE_LOW 0x00008040u
#define BASE_HIGH 0x03000000u

static const struct rte_change_case rte_change_cases[] = {
	{ "same low", false, BASE_LOW, false },
	{ "same high", true, BASE_HIGH, false },
	{ "vector", false, BASE_LOW ^ 0x01, true },
	{ "vector 7", false, BASE_LOW ^ 0x80, true },
	{ "delivery mode", false, BASE_LOW | 1u << 8, true },
	{ "destination mode", false, BASE_LOW | 1u << 11, true },
	{ "polarity", false, BASE_LOW | 1u << 13, false },
	{ "trigger", false, BASE_LOW & ~(1u << 15), true },
	{ "mask", false, BASE_LOW | 1u << 16, true },
	{ "destination", true, 0x04000000, true },
	{ "destination bit 63", true, BASE_HIGH | 0x80000000, true },
	{ "delivery status (read-only)", false, BASE_LOW | 1u << 12, false },
	{ "remote IRR (read-only)", false, BASE_LOW | 1u << 14, false },
	{ "reserved 31:17", false, BASE_LOW | 0xFFFE0000, false },
	{ "reserved 55:32", true, BASE_HIGH | 0x00FFFFFF, false },
};

static void test_rte_changed(void **state)
{
	struct vioapic *vio = *state;

	for (size_t i = 0; i < ARRAY_SIZE(rte_change_cases); i++) {
		const struct rte_change_case *c = &rte_change_cases[i];

		for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++) {
			write_register(vio, (uint8_t)VIOAPIC_REG_RTE_HIGH(pin), BASE_HIGH);
			write_register(vio, (uint8_t)VIOAPIC_REG_RTE_LOW(pin), BASE_LOW);
			rec.rte_changed = 0;
			write_register(vio, (uint8_t)(c->high_dword ? VIOAPIC_REG_RTE_HIGH(pin)
							       : VIOAPIC_REG_RTE_LOW(pin)), c->value);
			if (rec.rte_changed != (unsigned)c->changed)
				fail_msg("%s, pin %u: %u rte_changed calls, want %d", c->what, pin,
					 rec.rte_changed, c->changed);
		}
	}
	/* Deliveries and EOIs of an unmasked pin do not call it. */
	rec.rte_changed = 0;
	rec.count = 0;
	vioapic_set_pin(vio, 0, true);
	vioapic_set_pin(vio, 0, false);
	vioapic_eoi(vio, 0x40);
	assert_int_equal(rec.rte_changed, 0);
	assert_int_equal(rec.count, 1);
}

/* ---- level vectors --------------------------------------------------------------------------- */

/* The fake vCPU: physical APIC ID 1, logical (flat) bit 0. */
static bool fake_targets_vcpu(void *ctx, uint32_t destination, bool logical)
{
	unsigned *calls = ctx;

	(*calls)++;
	return logical ? (destination & 1) : destination == 1;
}

static bool bitmap_has(const uint64_t bitmap[4], unsigned vector)
{
	return bitmap[vector / 64] >> (vector % 64) & 1;
}

static void test_level_vectors(void **state)
{
	struct vioapic *vio = *state;
	static const struct {
		unsigned pin;
		struct rte_fields f;
		bool want;     /* in the vCPU's bitmap */
		bool want_all; /* in the bitmap with targets_vcpu NULL */
	} pins[] = {
		{ 0, { .vector = 0x41, .level = true, .destination = 1 }, true, true },
		{ 1, { .vector = 0x42, .level = true, .destination = 2 }, false, true },
		{ 2, { .vector = 0x43, .destination = 1 }, false, false },                /* edge */
		{ 3, { .vector = 0x44, .level = true, .masked = true, .destination = 1 }, false,
		  false },
		{ 4, { .vector = 0x85, .delivery_mode = VIOAPIC_DELIVERY_LOWEST_PRIORITY,
		       .level = true, .destination = 1 }, true, true },
		{ 5, { .vector = 0x86, .delivery_mode = VIOAPIC_DELIVERY_NMI, .level = true,
		       .destination = 1 }, false, false },
		{ 6, { .vector = 0xC7, .level = true, .logical = true, .destination = 0x03 }, true,
		  true },
		{ 8, { .vector = 0xC8, .level = true, .logical = true, .destination = 0x02 }, false,
		  true },
		{ 9, { .vector = 0x09, .delivery_mode = VIOAPIC_DELIVERY_EXTINT, .level = true,
		       .destination = 1 }, false, false },
		{ 10, { .vector = 0x10, .level = true, .destination = 1, .active_low = true }, true,
		  true },
		{ 11, { .vector = 0xFF, .level = true, .destination = 1 }, true, true },
		{ 12, { .vector = 0x3F, .delivery_mode = 3, .level = true, .destination = 1 }, false,
		  false },
	};
	uint64_t bitmap[4], want[4] = { 0 }, want_all[4] = { 0 };
	unsigned calls = 0;

	rec.refuse = true;  /* keep remote IRR out of it for now */
	for (size_t i = 0; i < ARRAY_SIZE(pins); i++) {
		write_rte(vio, pins[i].pin, make_rte(pins[i].f));
		if (pins[i].want)
			want[pins[i].f.vector / 64] |= 1ull << (pins[i].f.vector % 64);
		if (pins[i].want_all)
			want_all[pins[i].f.vector / 64] |= 1ull << (pins[i].f.vector % 64);
	}
	memset(bitmap, 0xA5, sizeof(bitmap));  /* every bit is written */
	vioapic_level_vectors(vio, fake_targets_vcpu, &calls, bitmap);
	assert_memory_equal(bitmap, want, sizeof(want));
	assert_int_equal(calls, 7);  /* asked only about level fixed/lowest, not masked ones */
	memset(bitmap, 0x5A, sizeof(bitmap));
	vioapic_level_vectors(vio, NULL, NULL, bitmap);
	assert_memory_equal(bitmap, want_all, sizeof(want_all));

	/* A masked pin with remote IRR still set stays in until its EOI. */
	rec.refuse = false;
	write_rte(vio, 20, make_rte((struct rte_fields){ .vector = 0xE0, .level = true,
				.destination = 1 }));
	vioapic_set_pin(vio, 20, true);
	assert_true(remote_irr(vio, 20));
	write_rte(vio, 20, make_rte((struct rte_fields){ .vector = 0xE0, .level = true,
				.masked = true, .destination = 1 }));
	vioapic_level_vectors(vio, fake_targets_vcpu, &calls, bitmap);
	assert_true(bitmap_has(bitmap, 0xE0));
	vioapic_eoi(vio, 0xE0);
	vioapic_level_vectors(vio, fake_targets_vcpu, &calls, bitmap);
	assert_false(bitmap_has(bitmap, 0xE0));
	assert_memory_equal(bitmap, want, sizeof(want));
}

/* All 256 vectors: a level pin with vector v contributes exactly bit v. */
static void test_level_vectors_all_vectors(void **state)
{
	struct vioapic *vio = *state;

	rec.refuse = true;
	for (unsigned vector = 0; vector < 256; vector++) {
		unsigned pin = (vector * 7) % VIOAPIC_PIN_COUNT;
		uint64_t bitmap[4], want[4] = { 0 };

		want[vector / 64] = 1ull << (vector % 64);
		write_rte(vio, pin, make_rte((struct rte_fields){ .vector = (uint8_t)vector,
					 .level = true, .destination = 1 }));
		vioapic_level_vectors(vio, NULL, NULL, bitmap);
		if (memcmp(bitmap, want, sizeof(want)) != 0)
			fail_msg("vector %#x: bitmap %016llx %016llx %016llx %016llx", vector,
				 (unsigned long long)bitmap[0], (unsigned long long)bitmap[1],
				 (unsigned long long)bitmap[2], (unsigned long long)bitmap[3]);
		write_rte(vio, pin, VIOAPIC_RTE_RESET);
	}
}

/* ---- odds and ends --------------------------------------------------------------------------- */

static void test_invalid_pin(void **state)
{
	struct vioapic *vio = *state;

	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++)
		write_rte(vio, pin, make_rte((struct rte_fields){ .vector = 0x40, .level = true }));
	rec.count = 0;
	vioapic_set_pin(vio, VIOAPIC_PIN_COUNT, true);
	vioapic_set_pin(vio, 31, true);
	vioapic_set_pin(vio, 32, true);
	vioapic_set_pin(vio, ~0u, true);
	assert_int_equal(vioapic_stats(vio)->invalid_pins, 4);
	assert_int_equal(rec.count, 0);
	for (unsigned pin = 0; pin < VIOAPIC_PIN_COUNT; pin++)
		assert_false(remote_irr(vio, pin));
}

static void test_no_ops(void **state)
{
	struct vioapic *vio = vioapic_create(NULL, NULL);

	(void)state;
	assert_non_null(vio);
	write_register(vio, (uint8_t)VIOAPIC_REG_RTE_LOW(3), 0x00008031);  /* level, unmasked */
	vioapic_set_pin(vio, 3, true);
	assert_int_equal(vioapic_stats(vio)->deliveries[3], 1);
	assert_int_equal(vioapic_stats(vio)->not_accepted, 1);
	assert_false(vioapic_rte(vio, 3) & VIOAPIC_RTE_REMOTE_IRR);
	vioapic_eoi(vio, 0x31);
	vioapic_destroy(vio);
}

static void test_pool(void **state)
{
	struct vioapic *first = *state;
	struct vioapic *second = vioapic_create(&fake_ops, &rec);

	assert_non_null(second);
	assert_ptr_not_equal(first, second);
	assert_null(vioapic_create(&fake_ops, &rec));
	/* Independent state. */
	write_register(first, VIOAPIC_REG_ID, 0x01000000);
	write_register(second, VIOAPIC_REG_ID, 0x02000000);
	assert_int_equal(read_register(first, VIOAPIC_REG_ID), 0x01000000);
	assert_int_equal(read_register(second, VIOAPIC_REG_ID), 0x02000000);
	vioapic_destroy(second);
	second = vioapic_create(&fake_ops, &rec);
	assert_non_null(second);
	/* A fresh one: reset state, zeroed counters. */
	assert_int_equal(read_register(second, VIOAPIC_REG_ID), 0);
	assert_int_equal(vioapic_stats(second)->ignored_mmio, 0);
	vioapic_destroy(second);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_reset_state),
		T(test_id_ver_arb),
		T(test_rte_read_back),
		T(test_rte_read_only_bits),
		T(test_ioregsel),
		T(test_access_widths),
		T(test_reserved_registers),
		T(test_pin_matrix),
		T(test_edge_one_per_edge),
		T(test_edge_masked_lost),
		T(test_level_redelivery_on_eoi),
		T(test_level_coalesced),
		T(test_unmask_asserted_level),
		T(test_remote_irr_only_when_accepted),
		T(test_eoi_register),
		T(test_eoi_unrelated_vector),
		T(test_eoi_all_vectors),
		T(test_switch_to_edge_clears_remote_irr),
		T(test_polarity),
		T(test_delivery_modes),
		T(test_rte_changed),
		T(test_level_vectors),
		T(test_level_vectors_all_vectors),
		T(test_invalid_pin),
		T(test_no_ops),
		T(test_pool),
	};
#undef T

	return cmocka_run_group_tests_name("vioapic", tests, NULL, NULL);
}
