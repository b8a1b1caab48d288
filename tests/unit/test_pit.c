/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/pit.c: the 8254 as a guest programs it through ports 0x40–0x43, with a
 * fake TSC and a fake board that records counter 0's IRQ pulses and timer re-arms.
 *
 * The counting tests compare the model, edge by edge, with a reference counter written here from
 * the Intel 8254 datasheet's "Mode Definitions" one CLK pulse at a time (load on the CLK after the
 * write, decrement, reload): the model computes in closed form, the reference steps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "devices/pit.h"

enum {
	COUNTER0 = 0x40,
	CONTROL = 0x43,
};

enum access { LATCH = 0, LSB = 1, MSB = 2, WORD = 3 };

/* The fake TSC runs at 3 cycles per PIT clock, starting at EPOCH: edge e is at EPOCH + 3e. */
#define TSC_PER_EDGE 3
#define TEST_TSC_HZ (TSC_PER_EDGE * (uint64_t)PIT_INPUT_HZ)
#define EPOCH 1000

struct fake_board {
	uint64_t tsc;
	unsigned pulses;        /* irq(true) then irq(false) */
	bool line;
	unsigned timer_changes;
};

static uint64_t fake_now(void *ctx)
{
	return ((struct fake_board *)ctx)->tsc;
}

static void fake_irq(void *ctx, bool level)
{
	struct fake_board *board = ctx;

	if (board->line == level)
		fail_msg("irq(%d) twice in a row", level);
	board->line = level;
	if (!level)
		board->pulses++;
}

static void fake_timer_changed(void *ctx)
{
	((struct fake_board *)ctx)->timer_changes++;
}

static const struct pit_ops fake_ops = {
	.now = fake_now,
	.irq = fake_irq,
	.timer_changed = fake_timer_changed,
};

struct bench {
	struct fake_board board;
	struct pit *pit;
};

static void bench_open(struct bench *b, uint64_t tsc_hz, uint64_t epoch)
{
	memset(b, 0, sizeof(*b));
	b->board.tsc = epoch;
	b->pit = pit_create(tsc_hz, &fake_ops, &b->board);
	assert_non_null(b->pit);
}

static int setup(void **state)
{
	static struct bench b;

	memset(&b, 0, sizeof(b));
	b.board.tsc = EPOCH;
	b.pit = pit_create(TEST_TSC_HZ, &fake_ops, &b.board);
	if (!b.pit)
		return -1;
	*state = &b;
	return 0;
}

static int teardown(void **state)
{
	struct bench *b = *state;

	pit_destroy(b->pit);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------------------------- */

/* Somewhere between edge `edge` and the next one. */
static void at_edge(struct bench *b, uint64_t edge)
{
	b->board.tsc = EPOCH + TSC_PER_EDGE * edge + 1;
}

static uint64_t tsc_of_edge(uint64_t edge)
{
	return EPOCH + TSC_PER_EDGE * edge;
}

static uint8_t control_word(unsigned counter, enum access access, unsigned mode, bool bcd)
{
	return (uint8_t)(counter << 6 | access << 4 | mode << 1 | bcd);
}

static void write_count(struct pit *pit, unsigned counter, enum access access, uint16_t value)
{
	if (access != MSB)
		pit_write(pit, (uint16_t)(COUNTER0 + counter), (uint8_t)value);
	if (access != LSB)
		pit_write(pit, (uint16_t)(COUNTER0 + counter), (uint8_t)(value >> 8));
}

static void program(struct pit *pit, unsigned counter, enum access access, unsigned mode,
		    uint16_t count)
{
	pit_write(pit, CONTROL, control_word(counter, access, mode, false));
	write_count(pit, counter, access, count);
}

/* The count as software reads it: one byte (LSB or MSB mode, placed where it belongs) or two. */
static uint16_t read_count(struct pit *pit, unsigned counter, enum access access)
{
	uint16_t port = (uint16_t)(COUNTER0 + counter);
	uint16_t value;

	if (access == LSB)
		return pit_read(pit, port);
	if (access == MSB)
		return (uint16_t)(pit_read(pit, port) << 8);
	value = pit_read(pit, port);
	return (uint16_t)(value | pit_read(pit, port) << 8);
}

static uint16_t latched_count(struct pit *pit, unsigned counter, enum access access)
{
	pit_write(pit, CONTROL, (uint8_t)(counter << 6)); /* counter latch command */
	return read_count(pit, counter, access);
}

static uint8_t read_status(struct pit *pit, unsigned counter)
{
	pit_write(pit, CONTROL, (uint8_t)(0xE0 | 2u << counter)); /* read-back, status only */
	return pit_read(pit, (uint16_t)(COUNTER0 + counter));
}

/* ---- the reference counter -------------------------------------------------------------------- */

struct reference {
	unsigned mode;
	uint16_t count_register;
	uint16_t ce;            /* counting element, 16 bits: 0 stands for 65536 */
	bool out;
	bool counting;
	bool load_pending;      /* loaded into CE on the next CLK pulse */
	bool odd;               /* mode 3: the count in use is odd */
	bool strobed;           /* mode 4: the strobe has happened */
};

static void reference_program(struct reference *r, unsigned mode)
{
	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->out = mode != 0;     /* "OUT goes to a known initial state" */
}

static void reference_write(struct reference *r, uint16_t count)
{
	r->count_register = count;
	switch (r->mode) {
	case 0:
		r->out = false;
		r->load_pending = true;
		break;
	case 4:
		r->load_pending = true;
		break;
	default: /* 2, 3: a new count waits for the end of the (half-)cycle */
		if (!r->counting)
			r->load_pending = true;
		break;
	}
}

/* Mode 3: "the initial count minus one (an even number)" for odd counts. */
static void reference_reload_square_wave(struct reference *r)
{
	r->odd = r->count_register & 1;
	r->ce = r->count_register & 0xFFFE;
}

static void reference_clock(struct reference *r)
{
	if (r->load_pending) {
		r->load_pending = false;
		r->counting = true;
		r->strobed = false;
		if (r->mode == 4)
			r->out = true; /* a strobe in progress lasts its one clock */
		if (r->mode == 3)
			reference_reload_square_wave(r);
		else
			r->ce = r->count_register;
		return;
	}
	if (!r->counting)
		return;
	switch (r->mode) {
	case 0: /* OUT high at terminal count, and it stays high */
		r->ce--;
		if (r->ce == 0)
			r->out = true;
		break;
	case 4: /* OUT low for one clock when the count expires, once */
		r->out = true;
		r->ce--;
		if (r->ce == 0 && !r->strobed) {
			r->out = false;
			r->strobed = true;
		}
		break;
	case 2: /* low for one clock at 1, then reload */
		if (r->ce == 1) {
			r->ce = r->count_register;
			r->out = true;
		} else if (--r->ce == 1) {
			r->out = false;
		}
		break;
	case 3:
		if (r->out && r->odd && r->ce == 0) {
			/* "One CLK pulse after the count expires, OUT goes low" (odd counts) */
			r->out = false;
			reference_reload_square_wave(r);
			break;
		}
		r->ce -= 2;
		if (r->ce == 0 && (!r->out || !r->odd)) {
			r->out = !r->out;
			reference_reload_square_wave(r);
		}
		break;
	}
}

/* ---- comparing the model with the reference --------------------------------------------------- */

struct run {
	struct bench *b;
	unsigned counter;
	enum access access;
	struct reference ref;
	uint64_t edge;          /* the clock is between this edge and the next */
	unsigned pulses;        /* pulses counter 0 must have sent so far */
	const char *what;
};

static void run_start(struct run *r, struct bench *b, unsigned counter, enum access access,
		      unsigned mode, uint64_t edge, const char *what)
{
	memset(r, 0, sizeof(*r));
	r->b = b;
	r->counter = counter;
	r->access = access;
	r->edge = edge;
	r->pulses = b->board.pulses;
	r->what = what;
	at_edge(b, edge);
	pit_write(b->pit, CONTROL, control_word(counter, access, mode, false));
	reference_program(&r->ref, mode);
}

/* A count written now, as the access mode writes it (mode 0: the first of two bytes stops it). */
static void run_write(struct run *r, uint16_t count)
{
	at_edge(r->b, r->edge);
	write_count(r->b->pit, r->counter, r->access, count);
	reference_write(&r->ref, count);
}

/* Steps both to edge `until`, comparing CE, OUT, the status byte, and for counter 0 the IRQ
 * pulses and pit_next_event() at every edge. */
static void run_to(struct run *r, uint64_t until)
{
	struct pit *pit = r->b->pit;

	while (r->edge < until) {
		bool was_high = r->ref.out;
		uint64_t next;
		uint16_t count;
		uint8_t status;

		r->edge++;
		reference_clock(&r->ref);
		at_edge(r->b, r->edge);
		if (r->counter == 0) {
			next = pit_next_event(pit);
			if (r->ref.out && !was_high) {
				if (next != tsc_of_edge(r->edge))
					fail_msg("%s: edge %lu rises, next_event %lu, want %lu",
						 r->what, (unsigned long)r->edge,
						 (unsigned long)next,
						 (unsigned long)tsc_of_edge(r->edge));
				r->pulses++;
			} else if (next != 0 && next <= r->b->board.tsc) {
				fail_msg("%s: next_event %lu due at edge %lu, which does not rise",
					 r->what, (unsigned long)next, (unsigned long)r->edge);
			}
			if (next != 0 && next <= r->b->board.tsc)
				pit_advance(pit);
			if (r->b->board.pulses != r->pulses)
				fail_msg("%s: %u pulses at edge %lu, want %u", r->what,
					 r->b->board.pulses, (unsigned long)r->edge, r->pulses);
		}
		count = latched_count(pit, r->counter, r->access);
		if (r->access == LSB)
			count = count & 0xFF;
		if (r->access == MSB)
			count = count & 0xFF00;
		if (count != (r->access == LSB ? r->ref.ce & 0xFF :
			      r->access == MSB ? r->ref.ce & 0xFF00 : r->ref.ce))
			fail_msg("%s: count %#x at edge %lu, want %#x", r->what, count,
				 (unsigned long)r->edge, r->ref.ce);
		status = read_status(pit, r->counter);
		if (!!(status & 0x80) != r->ref.out || pit_output(pit, r->counter) != r->ref.out)
			fail_msg("%s: OUT %d (status %#x) at edge %lu, want %d", r->what,
				 pit_output(pit, r->counter), status, (unsigned long)r->edge,
				 r->ref.out);
		if (r->b->board.pulses != r->pulses)
			fail_msg("%s: a read sent a pulse at edge %lu", r->what,
				 (unsigned long)r->edge);
	}
}

/* ---- ports, reset, creation ------------------------------------------------------------------- */

static void test_handles_port(void **state)
{
	(void)state;
	for (unsigned port = 0; port <= 0xFFFF; port++) {
		bool want = port >= 0x40 && port <= 0x43;

		if (pit_handles_port((uint16_t)port) != want)
			fail_msg("port %#x: handles %d, want %d", port, !want, want);
	}
}

static void test_reset_state(void **state)
{
	struct bench *b = *state;

	for (unsigned counter = 0; counter < PIT_COUNTER_COUNT; counter++) {
		assert_int_equal(read_status(b->pit, counter), 0xF6);
		assert_int_equal(read_count(b->pit, counter, WORD), 0x0000);
		assert_true(pit_output(b->pit, counter));
	}
	assert_false(pit_output(b->pit, 3));
	assert_int_equal(pit_next_event(b->pit), 0);
	at_edge(b, 100000);
	pit_advance(b->pit);
	assert_int_equal(pit_next_event(b->pit), 0);
	assert_int_equal(b->board.pulses, 0);
	assert_int_equal(b->board.timer_changes, 0);
	assert_int_equal(pit_read(b->pit, CONTROL), 0xFF);
	assert_int_equal(pit_read(b->pit, 0x44), 0xFF);
	pit_write(b->pit, 0x3F, 0x34);
	assert_int_equal(pit_stats(b->pit)->bad_ports, 2);
	assert_int_equal(read_status(b->pit, 0), 0xF6);

	/* pit_reset stops a running counter 0 and says so. */
	program(b->pit, 0, WORD, 2, 100);
	assert_int_not_equal(pit_next_event(b->pit), 0);
	assert_int_equal(b->board.timer_changes, 1);
	pit_reset(b->pit);
	assert_int_equal(pit_next_event(b->pit), 0);
	assert_int_equal(b->board.timer_changes, 2);
	assert_int_equal(read_status(b->pit, 0), 0xF6);
}

static void test_create_limits(void **state)
{
	struct bench *b = *state;
	struct pit *other;

	(void)b;
	assert_null(pit_create(PIT_MIN_TSC_HZ - 1, NULL, NULL));
	assert_null(pit_create(0, NULL, NULL));
	assert_null(pit_create(PIT_MAX_TSC_HZ, NULL, NULL));
	other = pit_create(PIT_MAX_TSC_HZ - 1, NULL, NULL);
	assert_non_null(other);
	assert_null(pit_create(PIT_MIN_TSC_HZ, NULL, NULL)); /* the pool holds 2 */
	/* Without ops: a clock stuck at 0, no calls out, still programmable. */
	program(other, 0, WORD, 2, 1000);
	assert_int_equal(read_status(other, 0), 0xF4); /* the clock never reaches the load */
	pit_destroy(other);
	other = pit_create(PIT_MIN_TSC_HZ, NULL, NULL);
	assert_non_null(other);
	pit_destroy(other);
}

/* ---- counting: modes 0, 2, 3, 4 against the reference ---------------------------------------- */

static const uint16_t reload_values[] = { 1, 2, 3, 4, 5, 7, 100, 0xFFFF, 0 /* 65536 */ };

static void test_counting_against_reference(void **state)
{
	static const unsigned modes[] = { 0, 2, 3, 4 };

	(void)state;
	for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
		for (size_t v = 0; v < ARRAY_SIZE(reload_values); v++) {
			unsigned mode = modes[m];
			uint16_t value = reload_values[v];
			uint64_t n = value ? value : 65536;
			struct bench b;
			struct run r;
			char what[64];

			if (mode == 3 && value == 1)
				continue; /* illegal, see test_illegal_count_one */
			snprintf(what, sizeof(what), "mode %u count %u", mode, (unsigned)n);
			bench_open(&b, TEST_TSC_HZ, EPOCH);
			run_start(&r, &b, 0, WORD, mode, 10, what);
			run_write(&r, value);
			run_to(&r, 10 + (mode == 2 || mode == 3 ? 2 * n : n) + 4);
			if (mode == 0 || mode == 4) {
				/* One shot: nothing more is coming. */
				assert_int_equal(pit_next_event(b.pit), 0);
				assert_int_equal(b.board.pulses, 1);
			} else {
				/* Loaded at edge 11, a rising edge every n clocks after that. */
				assert_int_equal(b.board.pulses, n >= 2 ? (r.edge - 11) / n : 0);
			}
			pit_destroy(b.pit);
		}
	}
}

/* Counters 1 and 2 count the same way, in every access mode, and never interrupt. */
static void test_counters_1_and_2(void **state)
{
	static const struct {
		unsigned counter;
		enum access access;
		unsigned mode;
		uint16_t value;
	} cases[] = {
		{ 1, WORD, 2, 18 }, { 2, WORD, 3, 7 }, { 2, LSB, 3, 0x00 }, { 1, MSB, 0, 0x0200 },
		{ 2, LSB, 4, 9 }, { 1, LSB, 2, 0x05 }, { 2, MSB, 2, 0x0100 },
	};
	struct bench *b = *state;
	uint64_t edge = 10;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct run r;
		char what[64];
		uint64_t n = cases[i].value ? cases[i].value : 65536; /* LSB 0 too */

		snprintf(what, sizeof(what), "counter %u case %zu", cases[i].counter, i);
		run_start(&r, b, cases[i].counter, cases[i].access, cases[i].mode, edge, what);
		run_write(&r, cases[i].value);
		run_to(&r, r.edge + 2 * n + 3);
		assert_int_equal(pit_next_event(b->pit), 0);
		edge = r.edge + 10;
	}
	assert_int_equal(b->board.pulses, 0);
	assert_int_equal(b->board.timer_changes, 0);
}

/* Writing a count while counting ("Mode Definitions"): modes 0 and 4 restart on the next clock;
 * mode 2 waits for the end of the cycle, mode 3 for the end of the half-cycle. */
static void test_new_count_while_counting(void **state)
{
	static const struct {
		unsigned mode;
		uint16_t first;
		unsigned at;            /* clocks after the first count loaded */
		uint16_t second;
	} cases[] = {
		{ 2, 10, 3, 4 },  { 2, 10, 9, 4 },  { 2, 10, 10, 4 }, { 2, 4, 1, 10 },
		{ 2, 5, 4, 0 },   { 2, 2, 1, 3 },   { 2, 3, 0, 2 },
		{ 3, 10, 2, 7 },  { 3, 10, 7, 7 },  { 3, 7, 3, 4 },   { 3, 7, 5, 6 },
		{ 3, 6, 0, 3 },   { 3, 3, 2, 2 },   { 3, 3, 1, 5 },   { 3, 2, 1, 9 },
		{ 3, 9, 4, 8 },   { 3, 8, 4, 9 },   { 3, 5, 2, 4 },
		{ 0, 10, 4, 20 }, { 0, 5, 8, 3 },   { 0, 5, 5, 1 },   { 0, 3, 0, 2 },
		{ 4, 10, 4, 3 },  { 4, 5, 5, 2 },   { 4, 5, 6, 2 },   { 4, 2, 0, 1 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bench b;
		struct run r;
		char what[64];
		uint64_t load = 21;     /* the write at edge 20 loads at edge 21 */

		snprintf(what, sizeof(what), "case %zu: mode %u %u, then %u after %u", i,
			 cases[i].mode, cases[i].first, cases[i].second, cases[i].at);
		bench_open(&b, TEST_TSC_HZ, EPOCH);
		run_start(&r, &b, 0, WORD, cases[i].mode, 20, what);
		run_write(&r, cases[i].first);
		run_to(&r, load + cases[i].at);
		run_write(&r, cases[i].second);
		run_to(&r, r.edge + 3 * 20 + 5);
		pit_destroy(b.pit);
	}
}

/* Mode 0, two-byte count: "writing the first byte disables counting. OUT is set low
 * immediately"; the second byte loads the count on the next CLK pulse. */
static void test_mode0_two_byte_write(void **state)
{
	struct bench *b = *state;
	uint16_t held;

	at_edge(b, 50);
	program(b->pit, 0, WORD, 0, 5);
	at_edge(b, 56);                         /* terminal count at 51 + 5 */
	pit_advance(b->pit);
	assert_int_equal(b->board.pulses, 1);
	assert_true(pit_output(b->pit, 0));
	at_edge(b, 60);
	pit_write(b->pit, COUNTER0, 0x10);      /* LSB only: counting stops, OUT low */
	assert_false(pit_output(b->pit, 0));
	held = latched_count(b->pit, 0, WORD);
	assert_int_equal(held, (uint16_t)(5 - 9));
	assert_int_equal(pit_next_event(b->pit), 0);
	at_edge(b, 80);
	assert_int_equal(latched_count(b->pit, 0, WORD), held); /* not counting */
	assert_int_equal(read_status(b->pit, 0) & 0xC0, 0x00); /* OUT low, CR not complete yet */
	pit_write(b->pit, COUNTER0, 0x00);      /* MSB: 0x0010 loads at edge 81 */
	assert_int_equal(read_status(b->pit, 0) & 0xC0, 0x40); /* NULL COUNT */
	assert_int_equal(latched_count(b->pit, 0, WORD), held);
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(81 + 16));
	at_edge(b, 81);
	assert_int_equal(latched_count(b->pit, 0, WORD), 16);
	assert_int_equal(read_status(b->pit, 0) & 0xC0, 0x00);
	at_edge(b, 97);
	pit_advance(b->pit);
	assert_int_equal(b->board.pulses, 2);
}

/* Count 1 is below the minimum of modes 2 and 3 ("Minimum and Maximum Initial Counts"). */
static void test_illegal_count_one(void **state)
{
	struct bench *b = *state;

	for (unsigned mode = 2; mode <= 3; mode++) {
		at_edge(b, 1000 * mode);
		program(b->pit, 0, WORD, mode, 1);
		for (uint64_t edge = 1000 * mode + 1; edge < 1000 * mode + 20; edge++) {
			at_edge(b, edge);
			pit_advance(b->pit);
			assert_true(pit_output(b->pit, 0));
			assert_int_equal(latched_count(b->pit, 0, WORD), mode == 2 ? 1 : 0);
		}
		assert_int_equal(pit_next_event(b->pit), 0);
	}
	assert_int_equal(b->board.pulses, 0);
	assert_int_equal(pit_stats(b->pit)->illegal_counts, 2);
}

/* ---- next_event, advance, edges ---------------------------------------------------------------- */

/* ceil / floor of a * b / c with 128-bit intermediates, to check the model's split arithmetic. */
static uint64_t mul_div_ceil(uint64_t a, uint64_t b, uint64_t c)
{
	return (uint64_t)(((unsigned __int128)a * b + c - 1) / c);
}

static uint64_t mul_div_floor(uint64_t a, uint64_t b, uint64_t c)
{
	return (uint64_t)((unsigned __int128)a * b / c);
}

static void test_next_event_arithmetic(void **state)
{
	static const uint64_t tsc_hz[] = {
		PIT_INPUT_HZ, TEST_TSC_HZ, 1000000007ull, 2000000000ull, 2893300000ull,
		3600000001ull, PIT_MAX_TSC_HZ - 1,
	};
	static const uint64_t epochs[] = { 0, 12345, 1ull << 62 };
	static const uint64_t counts[] = { 2, 3, 1000, 65536 };
	static const uint64_t offsets[] = { 0, 1, 999999, 86400ull * 3000000000ull };

	(void)state;
	for (size_t h = 0; h < ARRAY_SIZE(tsc_hz); h++)
	for (size_t e = 0; e < ARRAY_SIZE(epochs); e++)
	for (size_t c = 0; c < ARRAY_SIZE(counts); c++)
	for (size_t o = 0; o < ARRAY_SIZE(offsets); o++) {
		struct bench b;
		uint64_t write_tsc = epochs[e] + offsets[o];
		uint64_t write_edge = mul_div_floor(offsets[o], PIT_INPUT_HZ, tsc_hz[h]);
		uint64_t edge = write_edge + 1 + counts[c];
		uint64_t want = epochs[e] + mul_div_ceil(edge, tsc_hz[h], PIT_INPUT_HZ);

		bench_open(&b, tsc_hz[h], epochs[e]);
		b.board.tsc = write_tsc;
		program(b.pit, 0, WORD, 2, (uint16_t)counts[c]);
		if (pit_next_event(b.pit) != want)
			fail_msg("tsc_hz %lu epoch %lu count %lu offset %lu: next_event %lu, want %lu",
				 (unsigned long)tsc_hz[h], (unsigned long)epochs[e],
				 (unsigned long)counts[c], (unsigned long)offsets[o],
				 (unsigned long)pit_next_event(b.pit), (unsigned long)want);
		/* One TSC cycle early: nothing; on time: the pulse and the next period. */
		b.board.tsc = want - 1;
		pit_advance(b.pit);
		assert_int_equal(b.board.pulses, 0);
		assert_int_equal(pit_next_event(b.pit), want);
		b.board.tsc = want;
		pit_advance(b.pit);
		assert_int_equal(b.board.pulses, 1);
		edge += counts[c];
		assert_int_equal(pit_next_event(b.pit),
				 epochs[e] + mul_div_ceil(edge, tsc_hz[h], PIT_INPUT_HZ));
		pit_destroy(b.pit);
	}
}

/* A late caller gets one pulse for the edges it missed; the next event is in the future. */
static void test_late_advance_coalesces(void **state)
{
	struct bench *b = *state;

	at_edge(b, 0);
	program(b->pit, 0, WORD, 2, 10);        /* edges at 11, 21, 31, ... */
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(11));
	at_edge(b, 55);
	pit_advance(b->pit);
	assert_int_equal(b->board.pulses, 1);
	assert_int_equal(pit_stats(b->pit)->irq_pulses, 1);
	assert_int_equal(pit_stats(b->pit)->coalesced_edges, 4);
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(61));
	/* An early call changes nothing. */
	pit_advance(b->pit);
	assert_int_equal(b->board.pulses, 1);
	/* A port access past a due edge delivers it first. */
	at_edge(b, 61);
	assert_int_equal(latched_count(b->pit, 0, WORD), 10);
	assert_int_equal(b->board.pulses, 2);
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(71));
	/* Mode 3 too (programmed while mode 2's OUT is high: no edge): loaded at 66, edges at
	 * 66 + 6k. */
	at_edge(b, 65);
	program(b->pit, 0, WORD, 3, 6);
	assert_int_equal(b->board.pulses, 2);
	at_edge(b, 66 + 6 * 100);
	pit_advance(b->pit);
	assert_int_equal(b->board.pulses, 3);
	assert_int_equal(pit_stats(b->pit)->coalesced_edges, 4 + 99);
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(66 + 6 * 101));
	/* A mode 3 count waiting for the end of the half-cycle, edges counted across the switch:
	 * the high half of 6 ends at 669, the low half of 4 lasts 2 clocks, so 671 + 4k. */
	pit_write(b->pit, COUNTER0, 4);
	pit_write(b->pit, COUNTER0, 0);
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(671));
	at_edge(b, 671 + 4 * 10);
	pit_advance(b->pit);
	assert_int_equal(b->board.pulses, 4);
	assert_int_equal(pit_stats(b->pit)->coalesced_edges, 4 + 99 + 10);
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(671 + 4 * 11));
}

/* pit_next_event changes are announced exactly when they happen. */
static void test_timer_changed(void **state)
{
	struct bench *b = *state;

	at_edge(b, 5);
	pit_write(b->pit, CONTROL, control_word(0, WORD, 2, false));
	assert_int_equal(b->board.timer_changes, 0);    /* still nothing to wait for */
	pit_write(b->pit, COUNTER0, 20);
	assert_int_equal(b->board.timer_changes, 0);    /* half a count */
	pit_write(b->pit, COUNTER0, 0);
	assert_int_equal(b->board.timer_changes, 1);
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(26));
	at_edge(b, 10);
	read_status(b->pit, 0);
	pit_advance(b->pit);                            /* early */
	assert_int_equal(b->board.timer_changes, 1);
	at_edge(b, 26);
	pit_advance(b->pit);
	assert_int_equal(b->board.timer_changes, 2);
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(46));
	pit_write(b->pit, COUNTER0, 5);                 /* mode 2: at the end of this cycle */
	pit_write(b->pit, COUNTER0, 0);
	assert_int_equal(b->board.timer_changes, 2);    /* 46 is still next */
	at_edge(b, 46);
	pit_advance(b->pit);
	assert_int_equal(b->board.timer_changes, 3);
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(51));
	pit_write(b->pit, CONTROL, control_word(0, WORD, 0, false)); /* stops: no event */
	assert_int_equal(b->board.timer_changes, 4);
	assert_int_equal(pit_next_event(b->pit), 0);
	program(b->pit, 0, LSB, 0, 3);
	assert_int_equal(b->board.timer_changes, 5);
	at_edge(b, 50);
	pit_advance(b->pit);
	assert_int_equal(b->board.timer_changes, 6);    /* one shot over */
	assert_int_equal(pit_next_event(b->pit), 0);
	/* Counters 1 and 2 never move the timer. */
	program(b->pit, 1, WORD, 2, 3);
	program(b->pit, 2, WORD, 3, 3);
	assert_int_equal(b->board.timer_changes, 6);
	assert_int_equal(b->board.pulses, 3);
}

/* A control word that raises OUT from low is a rising edge: mode 0 counting, then mode 2. */
static void test_control_word_raises_out(void **state)
{
	struct bench *b = *state;

	at_edge(b, 0);
	program(b->pit, 0, WORD, 0, 1000);
	at_edge(b, 10);
	assert_false(pit_output(b->pit, 0));
	pit_write(b->pit, CONTROL, control_word(0, WORD, 2, false));
	assert_int_equal(b->board.pulses, 1);
	assert_true(pit_output(b->pit, 0));
	/* Mode 0 after terminal count (OUT high), then mode 3: OUT stays high, no edge. */
	program(b->pit, 0, WORD, 0, 2);
	assert_false(pit_output(b->pit, 0));     /* mode 0: OUT low at once */
	at_edge(b, 13);
	pit_advance(b->pit);
	assert_int_equal(b->board.pulses, 2);
	pit_write(b->pit, CONTROL, control_word(0, WORD, 3, false));
	assert_int_equal(b->board.pulses, 2);
	/* Mode 0 again: OUT falls, no pulse. */
	pit_write(b->pit, CONTROL, control_word(0, WORD, 0, false));
	assert_false(pit_output(b->pit, 0));
	assert_int_equal(b->board.pulses, 2);
	/* Counter 2 has no IRQ. */
	program(b->pit, 2, WORD, 0, 1000);
	pit_write(b->pit, CONTROL, control_word(2, WORD, 2, false));
	assert_int_equal(b->board.pulses, 2);
	assert_int_equal(pit_stats(b->pit)->irq_pulses, 2);
}

/* ---- latch, read-back, access modes ------------------------------------------------------------ */

static void test_counter_latch(void **state)
{
	struct bench *b = *state;

	at_edge(b, 0);
	program(b->pit, 0, WORD, 2, 1000);      /* loads at 1: count 1000 - (edge - 1) */
	at_edge(b, 11);
	pit_write(b->pit, CONTROL, 0x00);       /* latch counter 0 */
	at_edge(b, 111);
	pit_write(b->pit, CONTROL, 0x00);       /* ignored: the first is not read yet */
	assert_int_equal(read_count(b->pit, 0, WORD), 990);
	assert_int_equal(read_count(b->pit, 0, WORD), 890); /* released: live again */
	pit_write(b->pit, CONTROL, 0x00);
	at_edge(b, 112);
	assert_int_equal(pit_read(b->pit, COUNTER0), 890 & 0xFF);
	at_edge(b, 500);                        /* the latch holds across the two reads */
	assert_int_equal(pit_read(b->pit, COUNTER0), 890 >> 8);
	/* LSB-only and MSB-only: one read releases the latch. */
	pit_write(b->pit, CONTROL, control_word(1, LSB, 2, false));
	pit_write(b->pit, COUNTER0 + 1, 200);   /* loads at 501 */
	at_edge(b, 511);
	pit_write(b->pit, CONTROL, 0x40);
	at_edge(b, 521);
	assert_int_equal(pit_read(b->pit, COUNTER0 + 1), 190);
	assert_int_equal(pit_read(b->pit, COUNTER0 + 1), 180);
	pit_write(b->pit, CONTROL, control_word(2, MSB, 2, false));
	pit_write(b->pit, COUNTER0 + 2, 0x12);  /* 0x1200, loads at 522 */
	at_edge(b, 522 + 0x100);
	pit_write(b->pit, CONTROL, 0x80);
	at_edge(b, 522 + 0x300);
	assert_int_equal(pit_read(b->pit, COUNTER0 + 2), 0x11);
	assert_int_equal(pit_read(b->pit, COUNTER0 + 2), 0x0F);
	/* A control word drops a count and a status that were latched and not read. */
	pit_write(b->pit, CONTROL, 0x80);       /* count 0x0F00 */
	pit_write(b->pit, CONTROL, 0xE8);       /* read-back: status of counter 2 */
	at_edge(b, 522 + 0x380);
	pit_write(b->pit, CONTROL, control_word(2, WORD, 0, false));
	assert_int_equal(read_count(b->pit, 2, WORD), 0x0E80);  /* the CE held now */
	assert_int_equal(pit_stats(b->pit)->latch_commands, 6);
}

static void test_read_back(void **state)
{
	struct bench *b = *state;

	at_edge(b, 0);
	pit_write(b->pit, CONTROL, control_word(0, WORD, 2, false));
	assert_int_equal(read_status(b->pit, 0), 0xC0 | 0x34);   /* OUT high, NULL COUNT */
	write_count(b->pit, 0, WORD, 100);
	assert_int_equal(read_status(b->pit, 0), 0xC0 | 0x34);   /* not loaded before edge 1 */
	at_edge(b, 1);
	assert_int_equal(read_status(b->pit, 0), 0x80 | 0x34);
	pit_write(b->pit, CONTROL, control_word(1, LSB, 0, true));
	pit_write(b->pit, COUNTER0 + 1, 0x25);                   /* BCD 25 */
	pit_write(b->pit, CONTROL, control_word(2, MSB, 3, false));
	pit_write(b->pit, COUNTER0 + 2, 0x01);                   /* 256 */
	at_edge(b, 20);
	/* Count and status of all three: status first, then the count, per counter. */
	pit_write(b->pit, CONTROL, 0xCE);
	at_edge(b, 30);                          /* latched values do not move */
	assert_int_equal(pit_read(b->pit, COUNTER0), 0x80 | 0x34);
	assert_int_equal(read_count(b->pit, 0, WORD), 100 - 19);
	assert_int_equal(pit_read(b->pit, COUNTER0 + 1), 0x00 | 0x11); /* OUT low, loaded */
	assert_int_equal(pit_read(b->pit, COUNTER0 + 1), 0x07);  /* BCD 25 - 18 = 07 */
	assert_int_equal(pit_read(b->pit, COUNTER0 + 2), 0x80 | 0x26);
	assert_int_equal(pit_read(b->pit, COUNTER0 + 2), 0x00);  /* 256 - 2 * 18 = 0x00DC */
	assert_int_equal(read_count(b->pit, 0, WORD), 100 - 29); /* all released */
	/* Count only, status only; a second status latch is ignored until read. */
	pit_write(b->pit, CONTROL, 0xD2);        /* count of counter 0 */
	assert_int_equal(read_count(b->pit, 0, WORD), 100 - 29);
	pit_write(b->pit, CONTROL, 0xE2);        /* status of counter 0 */
	at_edge(b, 100);                         /* OUT low at edge 100 (count 1) */
	pit_write(b->pit, CONTROL, 0xE2);
	assert_int_equal(pit_read(b->pit, COUNTER0), 0x80 | 0x34);
	assert_int_equal(read_status(b->pit, 0), 0x00 | 0x34);
	/* Status latched after the count: still read first. */
	pit_write(b->pit, CONTROL, 0xD2);
	pit_write(b->pit, CONTROL, 0xE2);
	assert_int_equal(pit_read(b->pit, COUNTER0), 0x34);
	assert_int_equal(read_count(b->pit, 0, WORD), 1);
	/* Modes 1 and 5 wait for a gate trigger that never comes: NULL COUNT stays. */
	pit_write(b->pit, CONTROL, control_word(1, WORD, 1, false));
	write_count(b->pit, 1, WORD, 10);
	pit_write(b->pit, CONTROL, control_word(2, WORD, 5, false));
	write_count(b->pit, 2, WORD, 10);
	at_edge(b, 200);
	assert_int_equal(read_status(b->pit, 1), 0xC0 | 0x32);
	assert_int_equal(read_status(b->pit, 2), 0xC0 | 0x3A);
	assert_int_equal(pit_stats(b->pit)->gate_mode_counts, 2);
	/* M = 110 and 111 are modes 2 and 3; the status shows the bits as written. */
	pit_write(b->pit, CONTROL, 0x3C);
	write_count(b->pit, 0, WORD, 4);
	at_edge(b, 204);
	assert_int_equal(read_status(b->pit, 0), 0x00 | 0x3C);   /* mode 2, low at count 1 */
	pit_write(b->pit, CONTROL, 0x3E);
	write_count(b->pit, 0, WORD, 4);
	at_edge(b, 207);
	assert_int_equal(read_status(b->pit, 0), 0x00 | 0x3E);   /* mode 3, second half */
	assert_int_equal(pit_stats(b->pit)->read_backs, 14);
}

/* Access modes, and separate read and write byte pointers ("Read Operations"). */
static void test_access_modes(void **state)
{
	struct bench *b = *state;

	at_edge(b, 0);
	pit_write(b->pit, CONTROL, control_word(0, LSB, 2, false));
	pit_write(b->pit, COUNTER0, 0x34);
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(1 + 0x34));
	pit_write(b->pit, CONTROL, control_word(0, MSB, 2, false));
	pit_write(b->pit, COUNTER0, 0x12);
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(1 + 0x1200));
	pit_write(b->pit, CONTROL, control_word(0, LSB, 2, false));
	pit_write(b->pit, COUNTER0, 0x00);      /* 0 in LSB mode is still 65536 */
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(1 + 65536));
	at_edge(b, 1);
	assert_int_equal(pit_read(b->pit, COUNTER0), 0x00);
	at_edge(b, 2);
	assert_int_equal(pit_read(b->pit, COUNTER0), 0xFF);  /* 0xFFFF: LSB */

	/* Word access: read LSB, write LSB, read MSB, write MSB. */
	at_edge(b, 10);
	pit_write(b->pit, CONTROL, control_word(0, WORD, 2, false));
	write_count(b->pit, 0, WORD, 0x1234);   /* loads at 11 */
	at_edge(b, 11);
	assert_int_equal(pit_read(b->pit, COUNTER0), 0x34);
	pit_write(b->pit, COUNTER0, 0x78);
	assert_int_equal(pit_read(b->pit, COUNTER0), 0x12);
	pit_write(b->pit, COUNTER0, 0x56);      /* 0x5678 waits for the end of the cycle */
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(11 + 0x1234));
	at_edge(b, 11 + 0x1234);
	pit_advance(b->pit);
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(11 + 0x1234 + 0x5678));
	assert_int_equal(read_count(b->pit, 0, WORD), 0x5678);
	/* Reading the live count one byte at a time sees it move between the bytes. */
	at_edge(b, 11 + 0x1234 + 0x78);
	assert_int_equal(pit_read(b->pit, COUNTER0), 0x00);     /* 0x5600 */
	at_edge(b, 11 + 0x1234 + 0x79);
	assert_int_equal(pit_read(b->pit, COUNTER0), 0x55);     /* 0x55FF */
}

/* BCD counting ("Control Word Format": BCD = 1, four decades). */
static void test_bcd(void **state)
{
	struct bench *b = *state;

	at_edge(b, 0);
	pit_write(b->pit, CONTROL, control_word(0, WORD, 2, true));
	write_count(b->pit, 0, WORD, 0x0010);   /* ten clocks */
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(11));
	at_edge(b, 4);
	assert_int_equal(latched_count(b->pit, 0, WORD), 0x0007);
	write_count(b->pit, 0, WORD, 0x0000);   /* 10000 clocks, from the next cycle */
	at_edge(b, 11);
	pit_advance(b->pit);
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(10011));
	assert_int_equal(latched_count(b->pit, 0, WORD), 0x0000);
	at_edge(b, 12);
	assert_int_equal(latched_count(b->pit, 0, WORD), 0x9999);
	at_edge(b, 11 + 1234);
	assert_int_equal(latched_count(b->pit, 0, WORD), 0x8766);
	/* Mode 0 wraps to 9999 after terminal count. */
	at_edge(b, 2000);
	pit_write(b->pit, CONTROL, control_word(0, WORD, 0, true));
	write_count(b->pit, 0, WORD, 0x0002);
	at_edge(b, 2003);
	assert_true(pit_output(b->pit, 0));
	assert_int_equal(latched_count(b->pit, 0, WORD), 0x0000);
	at_edge(b, 2004);
	assert_int_equal(latched_count(b->pit, 0, WORD), 0x9999);
	/* Mode 3 in BCD: 0x0005 is five clocks, high for three. */
	at_edge(b, 3000);
	pit_write(b->pit, CONTROL, control_word(0, WORD, 3, true));
	write_count(b->pit, 0, WORD, 0x0005);
	at_edge(b, 3001);
	assert_int_equal(latched_count(b->pit, 0, WORD), 0x0004);
	at_edge(b, 3003);
	assert_int_equal(latched_count(b->pit, 0, WORD), 0x0000);
	assert_true(pit_output(b->pit, 0));
	at_edge(b, 3004);
	assert_false(pit_output(b->pit, 0));
	assert_int_equal(pit_next_event(b->pit), tsc_of_edge(3006));
	assert_int_equal(pit_stats(b->pit)->invalid_bcd, 0);
	/* A digit above 9 is counted. */
	write_count(b->pit, 0, WORD, 0x001A);
	assert_int_equal(pit_stats(b->pit)->invalid_bcd, 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_handles_port),
		T(test_reset_state),
		T(test_create_limits),
		T(test_counting_against_reference),
		T(test_counters_1_and_2),
		T(test_new_count_while_counting),
		T(test_mode0_two_byte_write),
		T(test_illegal_count_one),
		T(test_next_event_arithmetic),
		T(test_late_advance_coalesces),
		T(test_timer_changed),
		T(test_control_word_raises_out),
		T(test_counter_latch),
		T(test_read_back),
		T(test_access_modes),
		T(test_bcd),
	};
#undef T

	return cmocka_run_group_tests_name("pit", tests, NULL, NULL);
}
