/* SPDX-License-Identifier: MIT */
/*
 * The 8254 model (see pit.h). Section titles are those of the Intel "8254 Programmable Interval
 * Timer" datasheet.
 *
 * How a counter is represented: no per-clock state. A counter holds a "segment", a closed form
 * of its counting element (CE) and OUT from some CLK edge on: either held (a constant count and
 * OUT: after a control word, or while mode 0's two-byte write is half done) or counting (a count
 * n loaded at a known edge, evaluated for any later edge by arithmetic). A count written in mode
 * 2 or 3 while counting takes effect only later, so a second segment can wait behind the first
 * with the edge it starts at. Edges are numbered from the TSC at creation (pit.h).
 *
 * Choices where the datasheet leaves room (each also at the code):
 *   - A count is loaded into CE "on the next CLK pulse" after it is written ("Mode
 *     Definitions"), so for a count written while edge k is the latest, CE holds it from edge
 *     k + 1, and mode 0's OUT rises N + 1 edges after the write, as the datasheet says.
 *   - Until that edge, reads return what CE held when the count was written. After a control
 *     word CE is "undefined"; the model keeps the value it had.
 *   - A control word releases a pending counter latch and status latch ("all Control Logic is
 *     immediately reset"), and resets both byte flip-flops.
 *   - Count 1 in modes 2 and 3 is below the datasheet's minimum ("Minimum and Maximum Initial
 *     Counts": 2): OUT stays high (mode 2 never "decrements to 1"; mode 3's odd-count rule gives
 *     one high clock and no low ones), so there are no interrupts; counted.
 *   - Mode 3 reads back as the datasheet's CE description: even N counts N, N-2, ..., 2 in each
 *     half; odd N counts N-1, ..., 2, 0 (the extra high clock shows 0) and N-1, ..., 2.
 *   - Counter 0's edges due at a port access are reported before the access is carried out.
 *     Edges that fell due together (the caller was late) are reported as one pulse and counted
 *     as coalesced: the edge-triggered IRQ0 would have latched them as one request anyway
 *     unless the guest had acknowledged in between.
 *   - The control port reads 0xFF.
 */
#include "pit.h"

/* ---- registers and command bits -------------------------------------------------------------- */

enum pit_port {
	PIT_COUNTER0 = 0x40,        /* counter data ports: count writes, count/status reads */
	PIT_COUNTER1 = 0x41,
	PIT_COUNTER2 = 0x42,
	PIT_CONTROL = 0x43,         /* control word register (write only) */
};

/* Control word ("Control Word Format"): SC1 SC0 RW1 RW0 M2 M1 M0 BCD. */
#define CW_SELECT_SHIFT 6
#define CW_SELECT_READ_BACK 3       /* SC = 11: read-back command */
#define CW_ACCESS_SHIFT 4
#define CW_MODE_SHIFT 1
#define CW_BCD 0x01
#define CW_STATUS_BITS 0x3F         /* RW, M and BCD as the status byte shows them */
enum pit_access {
	ACCESS_LATCH = 0,           /* RW = 00: counter latch command */
	ACCESS_LSB = 1,             /* least significant byte only */
	ACCESS_MSB = 2,             /* most significant byte only */
	ACCESS_WORD = 3,            /* least significant byte, then most significant byte */
};
/* Read-back command ("Read-Back Command"): D5 COUNT and D4 STATUS are active low. */
#define READ_BACK_NO_COUNT 0x20
#define READ_BACK_NO_STATUS 0x10
#define READ_BACK_COUNTER(n) (2u << (n))
/* Status byte ("Status Byte"). */
#define STATUS_OUT 0x80
#define STATUS_NULL_COUNT 0x40

#define BINARY_MODULUS 65536u       /* a count of 0 is 2^16 in binary ... */
#define BCD_MODULUS 10000u          /* ... and 10^4 in BCD */
#define NO_EDGE 0                   /* edges are found strictly after some edge >= 0 */
#define NEVER UINT64_MAX
#define FLOATING_BUS 0xFF

/* ---- state ------------------------------------------------------------------------------------ */

/* CE and OUT from edge `from` on (see the top). */
struct pit_segment {
	bool counting;
	uint64_t from;          /* the first edge the segment describes */
	/* counting: the edge where the cycle position is `phase` (mode 3 may start mid-cycle);
	 * modes 0, 2, 4: the edge CE was loaded with n, phase 0 */
	uint64_t origin;
	uint32_t phase;
	uint32_t n;             /* the count loaded: 1..65536 (binary) or 1..10000 (BCD) */
	uint16_t count_before;  /* counting: CE as read before `from` (a count written, not loaded) */
	bool out_before;        /* counting: OUT on the edge before `from` (to see an edge at it) */
	uint16_t held_count;    /* held: CE as read (raw register bits) */
	bool held_out;          /* held: OUT */
};

/* One counter. Written by pit_write and, when a waiting segment begins, by pit_catch_up. */
struct pit_counter {
	uint8_t control;        /* RW, M, BCD of the last control word (status bits 5:0) */
	unsigned mode;          /* 0–5 (M = 110 and 111 are modes 2 and 3) */
	enum pit_access access;
	bool bcd;
	uint16_t count_register; /* CR as written (BCD digits in BCD mode) */
	bool write_msb_next;    /* the next count byte written is the MSB (ACCESS_WORD) */
	bool read_msb_next;     /* the next count byte read is the MSB (ACCESS_WORD) */
	bool count_latched;     /* output latch holds latched_count until it is read */
	uint16_t latched_count;
	bool status_latched;
	uint8_t latched_status;
	uint64_t null_count_until; /* NULL COUNT is 1 before this edge (NEVER: until a count loads) */
	struct pit_segment current;
	struct pit_segment waiting; /* valid when has_waiting: takes over at waiting.from */
	bool has_waiting;
};

struct pit {
	bool in_use;            /* pool slot taken: pit_create/pit_destroy */
	const struct pit_ops *ops; /* never NULL (an empty table stands in) */
	void *ctx;
	uint64_t tsc_hz;        /* fixed at creation */
	uint64_t epoch;         /* TSC of CLK edge 0, fixed at creation */
	uint64_t processed;     /* counter 0's rising edges up to this edge have been reported;
				 * also "now" for the counters: it never goes backwards */
	uint64_t next_event;    /* TSC of counter 0's next rising edge, 0 = none */
	struct pit_counter counter[PIT_COUNTER_COUNT];
	struct pit_stats stats;
};

static const struct pit_ops no_ops;
static struct pit pit_pool[PIT_MAX_INSTANCES];

/* ---- time ------------------------------------------------------------------------------------- */

static uint64_t pit_tsc_now(const struct pit *pit)
{
	return pit->ops->now ? pit->ops->now(pit->ctx) : 0;
}

/* The number of the latest CLK edge at or before `tsc`: floor((tsc - epoch) * CLK / tsc_hz),
 * split so that no product exceeds 2^61 (tsc_hz < 2^40, CLK < 2^21). */
static uint64_t pit_edge_at(const struct pit *pit, uint64_t tsc)
{
	uint64_t elapsed;

	if (tsc <= pit->epoch)
		return 0;
	elapsed = tsc - pit->epoch;
	return elapsed / pit->tsc_hz * PIT_INPUT_HZ +
	       elapsed % pit->tsc_hz * PIT_INPUT_HZ / pit->tsc_hz;
}

/* The first TSC value at which edge `edge` has happened: epoch + ceil(edge * tsc_hz / CLK). */
static uint64_t pit_tsc_of_edge(const struct pit *pit, uint64_t edge)
{
	uint64_t whole = edge / PIT_INPUT_HZ, part = edge % PIT_INPUT_HZ;

	return pit->epoch + whole * pit->tsc_hz +
	       (part * pit->tsc_hz + PIT_INPUT_HZ - 1) / PIT_INPUT_HZ;
}

/* The current edge: never before the last one the model acted on. */
static uint64_t pit_current_edge(const struct pit *pit)
{
	uint64_t edge = pit_edge_at(pit, pit_tsc_now(pit));

	return edge > pit->processed ? edge : pit->processed;
}

/* ---- counting ---------------------------------------------------------------------------------- */

static uint32_t counter_modulus(const struct pit_counter *c)
{
	return c->bcd ? BCD_MODULUS : BINARY_MODULUS;
}

/* A CE value (0..modulus-1) as the output latch shows it. */
static uint16_t counter_encode(const struct pit_counter *c, uint32_t value)
{
	if (!c->bcd)
		return (uint16_t)value;
	return (uint16_t)(value % 10 | (value / 10 % 10) << 4 | (value / 100 % 10) << 8 |
			  (value / 1000 % 10) << 12);
}

/* The count in CR as a number of clocks: 0 stands for the modulus ("Mode Definitions": 0 is the
 * largest count, 2^16 binary or 10^4 BCD). */
static uint32_t counter_initial_count(struct pit *pit, const struct pit_counter *c)
{
	uint32_t value = c->count_register;

	if (c->bcd) {
		uint32_t digits[4] = { value & 0xF, value >> 4 & 0xF, value >> 8 & 0xF,
				       value >> 12 & 0xF };

		if (digits[0] > 9 || digits[1] > 9 || digits[2] > 9 || digits[3] > 9)
			pit->stats.invalid_bcd++;
		value = (digits[0] + 10 * digits[1] + 100 * digits[2] + 1000 * digits[3]) %
			BCD_MODULUS;
	}
	return value ? value : counter_modulus(c);
}

/*
 * CE (as read) and OUT of segment `s` at edge `edge` ("Mode Definitions"), x clocks into it:
 *   mode 0: CE = n - x, wrapping after terminal count; OUT low until x = n, then high.
 *   mode 4: CE as mode 0; OUT high except at x = n (the one-clock strobe).
 *   mode 2: CE = n, n-1, ..., 1 and reload; OUT low while CE = 1 (only for n >= 2).
 *   mode 3: high for ceil(n/2) clocks, low for floor(n/2); CE counts down by two from n (even)
 *           or n-1 (odd), see the top.
 */
static void segment_state(const struct pit_counter *c, const struct pit_segment *s,
			  uint64_t edge, uint16_t *count, bool *out)
{
	uint32_t modulus = counter_modulus(c);
	uint32_t n = s->n;
	uint32_t value = 0;
	uint64_t x;
	bool high = true;

	if (!s->counting) {
		*count = s->held_count;
		*out = s->held_out;
		return;
	}
	if (edge < s->from) {
		*count = s->count_before;
		*out = s->out_before;
		return;
	}
	x = edge - s->origin + s->phase;
	switch (c->mode) {
	case 0:
	case 4:
		value = (uint32_t)((n + modulus - x % modulus) % modulus);
		high = c->mode == 0 ? x >= n : x != n;
		break;
	case 2: {
		uint32_t position = (uint32_t)(x % n);

		value = (n - position) % modulus;
		high = !(n >= 2 && position == n - 1);
		break;
	}
	case 3: {
		uint32_t position = (uint32_t)(x % n);
		uint32_t high_clocks = (n + 1) / 2;
		uint32_t even = n & ~1u;

		high = position < high_clocks;
		value = (even - 2 * (high ? position : position - high_clocks)) % modulus;
		break;
	}
	}
	*count = counter_encode(c, value);
	*out = high;
}

static bool segment_out(const struct pit_counter *c, const struct pit_segment *s, uint64_t edge)
{
	uint16_t count;
	bool out;

	segment_state(c, s, edge, &count, &out);
	return out;
}

/* The segment in force at `edge` (edge not before the current segment's time). */
static const struct pit_segment *counter_segment_at(const struct pit_counter *c, uint64_t edge)
{
	return c->has_waiting && edge >= c->waiting.from ? &c->waiting : &c->current;
}

static void counter_state(const struct pit_counter *c, uint64_t edge, uint16_t *count, bool *out)
{
	segment_state(c, counter_segment_at(c, edge), edge, count, out);
}

/* The waiting segment takes over once its edge has come. */
static void counter_settle(struct pit_counter *c, uint64_t edge)
{
	if (c->has_waiting && edge >= c->waiting.from) {
		c->current = c->waiting;
		c->has_waiting = false;
	}
}

/* The first edge after `edge` at which OUT rises within segment `s` (its first edge included
 * when OUT was low just before it), or NO_EDGE. */
static uint64_t segment_next_rising(const struct pit_counter *c, const struct pit_segment *s,
				    uint64_t edge)
{
	uint64_t low, x, n = s->n;

	if (!s->counting)
		return NO_EDGE;
	if (s->from > edge && !s->out_before && segment_out(c, s, s->from))
		return s->from;
	low = edge > s->from ? edge : s->from;
	x = low - s->origin + s->phase;
	switch (c->mode) {
	case 0:
		return x < n ? low + (n - x) : NO_EDGE;             /* terminal count */
	case 4:
		return x < n + 1 ? low + (n + 1 - x) : NO_EDGE;     /* end of the strobe */
	case 2:
	case 3:
		return n >= 2 ? low + (n - x % n) : NO_EDGE;        /* each reload */
	}
	return NO_EDGE;
}

static uint64_t counter_next_rising(const struct pit_counter *c, uint64_t edge)
{
	if (c->has_waiting && c->waiting.from > edge) {
		uint64_t rising = segment_next_rising(c, &c->current, edge);

		if (rising != NO_EDGE && rising < c->waiting.from)
			return rising;
		return segment_next_rising(c, &c->waiting, edge);
	}
	return segment_next_rising(c, counter_segment_at(c, edge), edge);
}

/* The number of rising edges of OUT in (after, until]; periodic runs in closed form. */
static uint64_t counter_rising_edges(const struct pit_counter *c, uint64_t after, uint64_t until)
{
	uint64_t count = 0, edge = after, rising;

	while ((rising = counter_next_rising(c, edge)) != NO_EDGE && rising <= until) {
		const struct pit_segment *s = counter_segment_at(c, rising);

		count++;
		edge = rising;
		if ((c->mode == 2 || c->mode == 3) && s->n >= 2 &&
		    (rising - s->origin + s->phase) % s->n == 0) {
			uint64_t last = until, more;

			if (s == &c->current && c->has_waiting && c->waiting.from - 1 < last)
				last = c->waiting.from - 1;
			more = (last - rising) / s->n;
			count += more;
			edge = rising + more * s->n;
		}
	}
	return count;
}

/* ---- counter 0's edges and the caller's timer --------------------------------------------------- */

static void pit_pulse(struct pit *pit)
{
	pit->stats.irq_pulses++;
	if (pit->ops->irq) {
		pit->ops->irq(pit->ctx, true);
		pit->ops->irq(pit->ctx, false);
	}
}

/* Reports counter 0's rising edges due by now, lets waiting segments take over; returns the
 * current edge. */
static uint64_t pit_catch_up(struct pit *pit)
{
	uint64_t edge = pit_current_edge(pit);
	uint64_t edges = counter_rising_edges(&pit->counter[0], pit->processed, edge);

	pit->processed = edge;
	for (unsigned i = 0; i < PIT_COUNTER_COUNT; i++)
		counter_settle(&pit->counter[i], edge);
	if (edges) {
		pit->stats.coalesced_edges += edges - 1;
		pit_pulse(pit);
	}
	return edge;
}

static void pit_update_next_event(struct pit *pit)
{
	uint64_t rising = counter_next_rising(&pit->counter[0], pit->processed);
	uint64_t next = rising == NO_EDGE ? 0 : pit_tsc_of_edge(pit, rising);

	if (next == pit->next_event)
		return;
	pit->next_event = next;
	if (pit->ops->timer_changed)
		pit->ops->timer_changed(pit->ctx);
}

/* ---- life cycle ------------------------------------------------------------------------------ */

static void counter_reset(struct pit_counter *c)
{
	memset(c, 0, sizeof(*c));
	c->control = (ACCESS_WORD << CW_ACCESS_SHIFT) | (3 << CW_MODE_SHIFT);
	c->mode = 3;
	c->access = ACCESS_WORD;
	c->null_count_until = NEVER;
	c->current.held_out = true;
}

void pit_reset(struct pit *pit)
{
	pit->processed = pit_current_edge(pit);
	for (unsigned i = 0; i < PIT_COUNTER_COUNT; i++)
		counter_reset(&pit->counter[i]);
	pit_update_next_event(pit);
}

struct pit *pit_create(uint64_t tsc_hz, const struct pit_ops *ops, void *ctx)
{
	if (tsc_hz < PIT_MIN_TSC_HZ || tsc_hz >= PIT_MAX_TSC_HZ)
		return NULL;
	for (unsigned i = 0; i < PIT_MAX_INSTANCES; i++) {
		struct pit *pit = &pit_pool[i];

		if (pit->in_use)
			continue;
		memset(pit, 0, sizeof(*pit));
		pit->in_use = true;
		pit->ops = ops ? ops : &no_ops;
		pit->ctx = ctx;
		pit->tsc_hz = tsc_hz;
		pit->epoch = pit_tsc_now(pit);
		for (unsigned j = 0; j < PIT_COUNTER_COUNT; j++)
			counter_reset(&pit->counter[j]);
		return pit;
	}
	return NULL;
}

void pit_destroy(struct pit *pit)
{
	if (pit)
		pit->in_use = false;
}

const struct pit_stats *pit_stats(const struct pit *pit)
{
	return &pit->stats;
}

uint64_t pit_next_event(const struct pit *pit)
{
	return pit->next_event;
}

void pit_advance(struct pit *pit)
{
	pit_catch_up(pit);
	pit_update_next_event(pit);
}

bool pit_output(const struct pit *pit, unsigned counter)
{
	uint16_t count;
	bool out;

	if (counter >= PIT_COUNTER_COUNT)
		return false;
	counter_state(&pit->counter[counter], pit_current_edge(pit), &count, &out);
	return out;
}

bool pit_handles_port(uint16_t port)
{
	return port >= PIT_COUNTER0 && port <= PIT_CONTROL;
}

/* ---- commands -------------------------------------------------------------------------------- */

/* "Counter Latch Command": a second latch before the count is read is ignored. */
static void counter_latch_count(struct pit_counter *c, uint64_t edge)
{
	bool out;

	if (c->count_latched)
		return;
	counter_state(c, edge, &c->latched_count, &out);
	c->count_latched = true;
}

/* "Read-Back Command", "Status Byte": OUT, NULL COUNT, then the control word's RW, M, BCD. */
static void counter_latch_status(struct pit_counter *c, uint64_t edge)
{
	uint16_t count;
	bool out;

	if (c->status_latched)
		return;
	counter_state(c, edge, &count, &out);
	c->latched_status = (uint8_t)((out ? STATUS_OUT : 0) |
				      (edge < c->null_count_until ? STATUS_NULL_COUNT : 0) |
				      c->control);
	c->status_latched = true;
}

/* CE stops at its current value with OUT at `out`. */
static void counter_hold(struct pit_counter *c, uint64_t edge, bool out)
{
	uint16_t count;
	bool old_out;

	counter_state(c, edge, &count, &old_out);
	memset(&c->current, 0, sizeof(c->current));
	c->current.from = edge;
	c->current.held_count = count;
	c->current.held_out = out;
	c->has_waiting = false;
}

/* "Write Operations" / "Mode Definitions": a control word resets the counter's logic and sets
 * OUT low (mode 0) or high (every other mode); counting waits for a count. */
static void pit_write_control_word(struct pit *pit, unsigned select, uint8_t value,
				   uint64_t edge)
{
	struct pit_counter *c = &pit->counter[select];
	uint16_t count;
	bool old_out, new_out;

	pit->stats.control_words++;
	counter_state(c, edge, &count, &old_out);
	c->control = value & CW_STATUS_BITS;
	c->access = (enum pit_access)(value >> CW_ACCESS_SHIFT & 3);
	c->mode = value >> CW_MODE_SHIFT & 7;
	if (c->mode > 5)
		c->mode -= 4;   /* M = 11x: modes 2 and 3 */
	c->bcd = value & CW_BCD;
	c->write_msb_next = false;
	c->read_msb_next = false;
	c->count_latched = false;
	c->status_latched = false;
	c->null_count_until = NEVER;
	new_out = c->mode != 0;
	counter_hold(c, edge, new_out);
	if (select == 0 && !old_out && new_out)
		pit_pulse(pit);
}

static void pit_write_control(struct pit *pit, uint8_t value, uint64_t edge)
{
	unsigned select = value >> CW_SELECT_SHIFT;

	if (select == CW_SELECT_READ_BACK) {
		pit->stats.read_backs++;
		for (unsigned i = 0; i < PIT_COUNTER_COUNT; i++) {
			if (!(value & READ_BACK_COUNTER(i)))
				continue;
			if (!(value & READ_BACK_NO_COUNT))
				counter_latch_count(&pit->counter[i], edge);
			if (!(value & READ_BACK_NO_STATUS))
				counter_latch_status(&pit->counter[i], edge);
		}
	} else if ((value >> CW_ACCESS_SHIFT & 3) == ACCESS_LATCH) {
		pit->stats.latch_commands++;
		counter_latch_count(&pit->counter[select], edge);
	} else {
		pit_write_control_word(pit, select, value, edge);
	}
}

/* CE takes count n at the next edge: from there segment `current` counts; before it, reads see
 * what CE holds now and OUT `out_before`. */
static void counter_load_next_edge(struct pit_counter *c, uint64_t edge, uint32_t n,
				   bool out_before)
{
	uint16_t count;
	bool out;

	counter_state(c, edge, &count, &out);
	memset(&c->current, 0, sizeof(c->current));
	c->current.counting = true;
	c->current.from = edge + 1;
	c->current.origin = edge + 1;
	c->current.n = n;
	c->current.count_before = count;
	c->current.out_before = out_before;
	c->has_waiting = false;
	c->null_count_until = edge + 1;
}

/*
 * Modes 2 and 3, a count written while counting: "Writing a new count while counting does not
 * affect the current counting sequence" (mode 2: it is loaded "at the end of the current
 * counting cycle"; mode 3: "at the end of the current half-cycle"). The new count waits in a
 * segment that starts at that edge.
 */
static void counter_reload_at_cycle_end(struct pit_counter *c, uint64_t edge, uint32_t n)
{
	const struct pit_segment *s = &c->current;
	uint64_t x = edge - s->origin + s->phase;
	uint32_t position = (uint32_t)(x % s->n);
	struct pit_segment next = { .counting = true, .n = n };

	if (c->mode == 2) {
		next.from = edge + (s->n - position);               /* the next reload */
	} else if (position < (s->n + 1) / 2) {
		next.from = edge + ((s->n + 1) / 2 - position);     /* the fall: low half of n */
		next.phase = (n + 1) / 2;
	} else {
		next.from = edge + (s->n - position);               /* the rise: a new cycle of n */
	}
	next.origin = next.from;
	next.out_before = segment_out(c, s, next.from - 1);
	c->waiting = next;
	c->has_waiting = true;
	c->null_count_until = next.from;
}

/* A complete count is in CR: load it as the mode says ("Mode Definitions"). */
static void counter_count_written(struct pit *pit, struct pit_counter *c, uint64_t edge)
{
	uint32_t n = counter_initial_count(pit, c);
	uint16_t count;
	bool out;

	counter_state(c, edge, &count, &out);
	switch (c->mode) {
	case 0:
		/* OUT goes low and stays low until the new count reaches zero. */
		counter_load_next_edge(c, edge, n, false);
		break;
	case 4:
		/* "If a new count is written during counting, it will be loaded on the next CLK
		 * pulse and counting will continue from the new count." */
		counter_load_next_edge(c, edge, n, out);
		break;
	case 2:
	case 3:
		if (n == 1)
			pit->stats.illegal_counts++;
		if (!c->current.counting)
			counter_load_next_edge(c, edge, n, out);
		else if (edge < c->current.from) /* written twice before the load: the last wins */
			c->current.n = n;
		else
			counter_reload_at_cycle_end(c, edge, n);
		break;
	default:
		/* Modes 1 and 5 load on a GATE rising edge, which never comes (pit.h). */
		pit->stats.gate_mode_counts++;
		break;
	}
}

/* "Write Operations": one or two bytes per the access mode; in mode 0 the first of two bytes
 * stops counting and sets OUT low at once. */
static void pit_write_counter(struct pit *pit, struct pit_counter *c, uint8_t value,
			      uint64_t edge)
{
	switch (c->access) {
	case ACCESS_LSB:
		c->count_register = value;
		break;
	case ACCESS_MSB:
		c->count_register = (uint16_t)(value << 8);
		break;
	case ACCESS_WORD:
	case ACCESS_LATCH:
		if (!c->write_msb_next) {
			c->write_msb_next = true;
			c->count_register = (uint16_t)((c->count_register & 0xFF00) | value);
			if (c->mode == 0)
				counter_hold(c, edge, false);
			return;
		}
		c->write_msb_next = false;
		c->count_register = (uint16_t)((c->count_register & 0x00FF) | value << 8);
		break;
	}
	counter_count_written(pit, c, edge);
}

/* "Read Operations": a latched status first, then a latched count, else CE as it is now; one or
 * two bytes per the access mode; a latch is released once fully read. */
static uint8_t pit_read_counter(struct pit_counter *c, uint64_t edge)
{
	uint16_t value;
	bool out, release;
	uint8_t byte;

	if (c->status_latched) {
		c->status_latched = false;
		return c->latched_status;
	}
	if (c->count_latched)
		value = c->latched_count;
	else
		counter_state(c, edge, &value, &out);
	switch (c->access) {
	case ACCESS_LSB:
		byte = (uint8_t)value;
		release = true;
		break;
	case ACCESS_MSB:
		byte = (uint8_t)(value >> 8);
		release = true;
		break;
	default:
		byte = (uint8_t)(c->read_msb_next ? value >> 8 : value);
		release = c->read_msb_next;
		c->read_msb_next = !c->read_msb_next;
		break;
	}
	if (release)
		c->count_latched = false;
	return byte;
}

uint8_t pit_read(struct pit *pit, uint16_t port)
{
	uint64_t edge;
	uint8_t value = FLOATING_BUS;

	if (!pit_handles_port(port)) {
		pit->stats.bad_ports++;
		return FLOATING_BUS;
	}
	edge = pit_catch_up(pit);
	if (port != PIT_CONTROL)
		value = pit_read_counter(&pit->counter[port - PIT_COUNTER0], edge);
	pit_update_next_event(pit);
	return value;
}

void pit_write(struct pit *pit, uint16_t port, uint8_t value)
{
	uint64_t edge;

	if (!pit_handles_port(port)) {
		pit->stats.bad_ports++;
		return;
	}
	edge = pit_catch_up(pit);
	if (port == PIT_CONTROL)
		pit_write_control(pit, value, edge);
	else
		pit_write_counter(pit, &pit->counter[port - PIT_COUNTER0], value, edge);
	pit_update_next_event(pit);
}
