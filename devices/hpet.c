/* SPDX-License-Identifier: MIT */
/*
 * IA-PC HPET timer block (see hpet.h). Section titles are those of the IA-PC HPET (High
 * Precision Event Timers) Specification 1.0a. Where the spec leaves room:
 *   - Timer 0 alone is periodic-capable (Tn_PER_INT_CAP), timers 1 and 2 are one-shot only: the
 *     spec asks for at least one periodic timer, and Intel's chipsets give it to timer 0 only.
 *     Every timer is 64-bit (Tn_SIZE_CAP) and may be switched to 32-bit mode; none has FSB
 *     delivery (Tn_FSB_INT_DEL_CAP 0, Tn_FSB_EN_CNF reads 0, the FSB route registers are
 *     offsets without a register).
 *   - A comparator matches when the counter counts up to it, not when it is written or the
 *     counter is written to it: a one-shot comparator written at or behind the counter matches
 *     when the counter comes round again (never, in 64 bits: 2^64 ticks are 5,800 years). QEMU
 *     fires at once instead; the spec's "equals" is followed here (a guest re-checks the counter
 *     after writing, as Linux does).
 *   - A comparator write in periodic mode without Tn_VAL_SET_CNF sets the period only; with it,
 *     or in one-shot mode, it sets the comparator and the period both (the value "last written",
 *     "Timer N Comparator Value Register"; QEMU and Bochs do the same). Tn_VAL_SET_CNF
 *     reads back as written and clears at the next comparator write, so a 32-bit guest setting
 *     a 64-bit accumulator sets it again before the high half, as Intel's datasheets say.
 *   - Several periodic matches that fell due since the previous look (the caller's timer was
 *     late, or the interrupt is disabled) move the comparator past all of them and send one
 *     interrupt; they are counted as coalesced when the interrupt is enabled. A period of 0
 *     leaves the comparator in place: it matches again when the counter comes round.
 *   - 32-bit mode (Tn_32MODE_CNF) truncates the comparator and the period to 32 bits when it is
 *     set (QEMU does the same); their high halves read 0 and ignore writes while it is set. A
 *     32-bit one-shot timer also matches each time the counter's low 32 bits wrap to 0
 *     ("Non-Periodic Mode").
 *   - Status bits ("General Interrupt Status Register") are kept for level-triggered timers
 *     only, whether or not their interrupt is enabled ("the timer will still operate and
 *     generate appropriate status bits", Tn_INT_ENB_CNF); switching a timer to edge clears its
 *     bit. A level line is high while the timer's status bit, Tn_INT_ENB_CNF and ENABLE_CNF are
 *     all set: enabling the interrupt with the bit set raises it, halting the counter lowers it.
 *   - Tn_INT_ROUTE_CNF takes only a pin of Tn_INT_ROUTE_CAP; another value keeps the old route
 *     (counted). Its reset value 0 is not in the capability: such a timer sends nothing.
 *   - LegacyReplacement needs ENABLE_CNF as well ("General Configuration Register": "If the
 *     ENABLE_CNF bit and the LEG_RT_CNF bit are both set"); QEMU mutes the 8254 on LEG_RT_CNF
 *     alone.
 *   - Main counter writes while it runs are ignored (the spec leaves them undefined; QEMU keeps
 *     the running counter too). The comparators' reset value is all ones, as QEMU's.
 */
#include "hpet.h"

#define TIMER_BLOCK 0x100u               /* the first timer's registers */
#define TIMER_STRIDE 0x20u
#define TIMER_CONFIG_REG 0x00u           /* within a timer's 0x20 bytes */
#define TIMER_COMPARATOR_REG 0x08u
#define LOW_HALF 0xFFFFFFFFull
/* The bits of a timer's configuration the guest writes (timers 1 and 2 without Tn_TYPE_CNF). */
#define TN_WRITABLE                                                                             \
	(HPET_TN_INT_TYPE_LEVEL | HPET_TN_INT_ENB | HPET_TN_PERIODIC | HPET_TN_VAL_SET |         \
	 HPET_TN_32MODE | HPET_TN_ROUTE_MASK)
#define CFG_WRITABLE (HPET_CFG_ENABLE | HPET_CFG_LEG_RT)

struct hpet_timer {
	uint64_t config;                 /* the TN_WRITABLE bits as they stand */
	uint64_t comparator;             /* the next match (periodic: the accumulator); 32-bit
					  * mode: the low half, the high half 0 */
	uint64_t period;                 /* the value last written to the comparator */
};

struct hpet {
	bool in_use;
	uint64_t tsc_hz;
	const struct hpet_ops *ops;
	void *ctx;
	uint64_t config;                 /* ENABLE_CNF, LEG_RT_CNF */
	uint64_t status;                 /* General Interrupt Status: level timers' bits */
	/* The main counter: halted, its value; running, its value when ENABLE_CNF was set at TSC
	 * enable_tsc. */
	uint64_t counter;
	uint64_t enable_tsc;
	uint64_t evaluated;              /* matches up to this counter value have been taken */
	uint32_t lines;                  /* GSIs (all below 32) held high by level timers */
	uint64_t reported_event;         /* hpet_next_event() as last announced */
	struct hpet_timer timer[HPET_TIMER_COUNT];
	struct hpet_stats stats;
};

static struct hpet pool[HPET_MAX_INSTANCES];

/* ---- time ------------------------------------------------------------------------------------ */

static uint64_t tsc_now(const struct hpet *hpet)
{
	return hpet->ops && hpet->ops->now ? hpet->ops->now(hpet->ctx) : 0;
}

static bool running(const struct hpet *hpet)
{
	return hpet->config & HPET_CFG_ENABLE;
}

/* Counter ticks in `cycles` TSC cycles: floor(cycles * 100 MHz / tsc_hz), split so that no
 * product passes 64 bits (the remainder is below tsc_hz < 2^37, 100 MHz < 2^27). */
static uint64_t ticks_in(const struct hpet *hpet, uint64_t cycles)
{
	return cycles / hpet->tsc_hz * HPET_COUNTER_HZ +
	       cycles % hpet->tsc_hz * HPET_COUNTER_HZ / hpet->tsc_hz;
}

/* The fewest TSC cycles holding `ticks` ticks: ceil(ticks * tsc_hz / 100 MHz), UINT64_MAX when
 * that passes 64 bits. */
static uint64_t cycles_for(const struct hpet *hpet, uint64_t ticks)
{
	uint64_t whole = ticks / HPET_COUNTER_HZ;
	uint64_t part = (ticks % HPET_COUNTER_HZ * hpet->tsc_hz + HPET_COUNTER_HZ - 1) /
			HPET_COUNTER_HZ;

	if (whole > (UINT64_MAX - part) / hpet->tsc_hz)
		return UINT64_MAX;
	return whole * hpet->tsc_hz + part;
}

/* The main counter at TSC `tsc`. */
static uint64_t counter_at(const struct hpet *hpet, uint64_t tsc)
{
	if (!running(hpet))
		return hpet->counter;
	return hpet->counter + ticks_in(hpet, tsc > hpet->enable_tsc ? tsc - hpet->enable_tsc : 0);
}

/* ---- timers ---------------------------------------------------------------------------------- */

static bool is_32bit(const struct hpet_timer *t)
{
	return t->config & HPET_TN_32MODE;
}

static bool is_periodic(const struct hpet_timer *t)
{
	return t->config & HPET_TN_PERIODIC;
}

static bool is_level(const struct hpet_timer *t)
{
	return t->config & HPET_TN_INT_TYPE_LEVEL;
}

static uint64_t timer_capabilities(unsigned n)
{
	return (uint64_t)HPET_ROUTE_CAP << HPET_TN_ROUTE_CAP_SHIFT | HPET_TN_SIZE_CAP |
	       (n == 0 ? HPET_TN_PER_INT_CAP : 0);
}

static unsigned route_of(uint64_t config)
{
	return (unsigned)((config & HPET_TN_ROUTE_MASK) >> HPET_TN_ROUTE_SHIFT);
}

/* Timers 0 and 1 interrupt on the legacy GSIs: LEG_RT_CNF with the counter enabled. */
static bool legacy_routing(const struct hpet *hpet)
{
	return (hpet->config & (HPET_CFG_ENABLE | HPET_CFG_LEG_RT)) ==
	       (HPET_CFG_ENABLE | HPET_CFG_LEG_RT);
}

/* The GSI timer n interrupts on; false when its route is not in Tn_INT_ROUTE_CAP. */
static bool timer_gsi(const struct hpet *hpet, unsigned n, unsigned *gsi)
{
	unsigned route = route_of(hpet->timer[n].config);

	if (legacy_routing(hpet) && n < 2) {
		*gsi = n == 0 ? HPET_LEGACY_GSI_TIMER0 : HPET_LEGACY_GSI_TIMER1;
		return true;
	}
	*gsi = route;
	return HPET_ROUTE_CAP >> route & 1;
}

/* Ticks from counter value `from` until the counter next shows `value` in the timer's width:
 * 1..2^32 in 32-bit mode; 1..2^64-1 in 64-bit mode, 0 when it is `from` itself (2^64 ticks
 * away: never). */
static uint64_t ticks_until(const struct hpet_timer *t, uint64_t from, uint64_t value)
{
	if (is_32bit(t)) {
		uint32_t d = (uint32_t)value - (uint32_t)from;

		return d ? d : 1ull << 32;
	}
	return value - from;
}

/* Ticks from counter value `from` to timer t's next match, 0 for never. */
static uint64_t next_match(const struct hpet_timer *t, uint64_t from)
{
	uint64_t d = ticks_until(t, from, t->comparator);

	/* "Non-Periodic Mode": a 32-bit one-shot timer also fires when the counter wraps. */
	if (is_32bit(t) && !is_periodic(t)) {
		uint64_t wrap = ticks_until(t, from, 0);

		if (wrap < d)
			d = wrap;
	}
	return d;
}

/* Sets the GSIs level timers hold high (ORed per GSI) and drives those that changed. */
static void update_lines(struct hpet *hpet)
{
	uint32_t want = 0, changed;

	for (unsigned n = 0; n < HPET_TIMER_COUNT; n++) {
		const struct hpet_timer *t = &hpet->timer[n];
		unsigned gsi;

		if (running(hpet) && is_level(t) && (t->config & HPET_TN_INT_ENB) &&
		    (hpet->status >> n & 1) && timer_gsi(hpet, n, &gsi))
			want |= 1u << gsi;
	}
	changed = want ^ hpet->lines;
	hpet->lines = want;
	for (unsigned gsi = 0; gsi < 32; gsi++) {
		if (!(changed >> gsi & 1))
			continue;
		if (want >> gsi & 1)
			hpet->stats.irqs++;
		if (hpet->ops && hpet->ops->irq)
			hpet->ops->irq(hpet->ctx, gsi, want >> gsi & 1);
	}
}

/* An edge-triggered timer's interrupt: a pulse on its GSI (none on a line held high). */
static void pulse(struct hpet *hpet, unsigned gsi)
{
	if (hpet->lines >> gsi & 1)
		return;
	hpet->stats.irqs++;
	if (hpet->ops && hpet->ops->irq) {
		hpet->ops->irq(hpet->ctx, gsi, true);
		hpet->ops->irq(hpet->ctx, gsi, false);
	}
}

/* Takes timer n's matches in the `span` ticks after the counter showed `from`: a periodic
 * comparator moves past them, a level timer's status bit is set, an enabled edge timer pulses
 * once for them all. */
static void take_matches(struct hpet *hpet, unsigned n, uint64_t from, uint64_t span)
{
	struct hpet_timer *t = &hpet->timer[n];
	uint64_t d = next_match(t, from), matches = 1;
	bool enabled = t->config & HPET_TN_INT_ENB;
	unsigned gsi;

	if (d == 0 || d > span)
		return;
	if (is_periodic(t)) {
		/* "Periodic Mode": the comparator grows by the period at each match. */
		if (t->period) {
			matches += (span - d) / t->period;
			t->comparator += matches * t->period;
		} else if (is_32bit(t)) {
			matches += (span - d) >> 32;
		}
		if (is_32bit(t))
			t->comparator &= LOW_HALF;
		if (enabled)
			hpet->stats.coalesced += matches - 1;
	}
	if (is_level(t))
		hpet->status |= 1ull << n;
	if (!enabled)
		return;
	if (!timer_gsi(hpet, n, &gsi))
		hpet->stats.unrouted++;
	else if (!is_level(t))
		pulse(hpet, gsi);
}

/* Takes the matches due by TSC `tsc` and sets the lines; returns the main counter then. */
static uint64_t catch_up(struct hpet *hpet, uint64_t tsc)
{
	uint64_t count = counter_at(hpet, tsc);

	/* Never behind what was taken already (a TSC read earlier than the last one). */
	if (running(hpet) && count - hpet->counter < hpet->evaluated - hpet->counter)
		count = hpet->evaluated;
	if (running(hpet) && count != hpet->evaluated) {
		for (unsigned n = 0; n < HPET_TIMER_COUNT; n++)
			take_matches(hpet, n, hpet->evaluated, count - hpet->evaluated);
		hpet->evaluated = count;
	}
	update_lines(hpet);
	return count;
}

uint64_t hpet_next_event(const struct hpet *hpet)
{
	uint64_t best = 0, elapsed, cycles;

	if (!running(hpet))
		return 0;
	for (unsigned n = 0; n < HPET_TIMER_COUNT; n++) {
		const struct hpet_timer *t = &hpet->timer[n];
		uint64_t d;

		/* A level timer whose bit is still set holds its line: a match changes nothing
		 * until the guest clears it, and its next access takes the match. */
		if (!(t->config & HPET_TN_INT_ENB) || (is_level(t) && (hpet->status >> n & 1)))
			continue;
		d = next_match(t, hpet->evaluated);
		if (d && (!best || d < best))
			best = d;
	}
	if (!best)
		return 0;
	elapsed = hpet->evaluated - hpet->counter; /* ticks since ENABLE_CNF was set */
	if (best > UINT64_MAX - elapsed)
		return 0;
	cycles = cycles_for(hpet, elapsed + best);
	if (cycles == UINT64_MAX || cycles > UINT64_MAX - hpet->enable_tsc)
		return 0;
	return hpet->enable_tsc + cycles;
}

static void announce_event(struct hpet *hpet)
{
	uint64_t next = hpet_next_event(hpet);

	if (next == hpet->reported_event)
		return;
	hpet->reported_event = next;
	if (hpet->ops && hpet->ops->timer_changed)
		hpet->ops->timer_changed(hpet->ctx);
}

void hpet_advance(struct hpet *hpet)
{
	catch_up(hpet, tsc_now(hpet));
	announce_event(hpet);
}

/* ---- registers ------------------------------------------------------------------------------- */

static uint64_t merge(uint64_t old, uint64_t value, uint64_t mask)
{
	return (old & ~mask) | (value & mask);
}

/* "General Configuration Register": ENABLE_CNF starts the counter from its value or freezes it
 * (matches up to now were taken by catch_up). */
static void write_config(struct hpet *hpet, uint64_t value, uint64_t count, uint64_t tsc)
{
	bool enable = value & HPET_CFG_ENABLE;

	if (enable != running(hpet)) {
		hpet->counter = count;
		hpet->evaluated = count;
		hpet->enable_tsc = tsc;
	}
	hpet->config = value & CFG_WRITABLE;
}

static void write_timer_config(struct hpet *hpet, unsigned n, uint64_t value, uint64_t mask)
{
	struct hpet_timer *t = &hpet->timer[n];
	uint64_t config = merge(t->config, value, mask) & TN_WRITABLE;
	unsigned route = route_of(config);

	if (n != 0)
		config &= ~HPET_TN_PERIODIC; /* Tn_PER_INT_CAP is 0 */
	if (route != route_of(t->config) && !(HPET_ROUTE_CAP >> route & 1)) {
		hpet->stats.refused_routes++;
		config = merge(config, t->config, HPET_TN_ROUTE_MASK);
	}
	if (!(config & HPET_TN_INT_TYPE_LEVEL))
		hpet->status &= ~(1ull << n);
	if ((config & HPET_TN_32MODE) && !is_32bit(t)) {
		t->comparator &= LOW_HALF;
		t->period &= LOW_HALF;
	}
	t->config = config;
}

/* "Timer N Comparator Value Register" (see the top for Tn_VAL_SET_CNF). */
static void write_comparator(struct hpet_timer *t, uint64_t value, uint64_t mask)
{
	if (is_32bit(t)) {
		mask &= LOW_HALF;
		if (!mask)
			return;
	}
	if (!is_periodic(t) || (t->config & HPET_TN_VAL_SET))
		t->comparator = merge(t->comparator, value, mask);
	t->period = merge(t->period, value, mask);
	t->config &= ~HPET_TN_VAL_SET;
}

/* The timer whose register `reg` (8-byte aligned) is, with the register's offset in its 0x20
 * bytes; false for an offset outside the timers. */
static bool timer_register(uint64_t reg, unsigned *n, unsigned *which)
{
	if (reg < TIMER_BLOCK || reg >= TIMER_BLOCK + TIMER_STRIDE * HPET_TIMER_COUNT)
		return false;
	*n = (unsigned)((reg - TIMER_BLOCK) / TIMER_STRIDE);
	*which = (unsigned)((reg - TIMER_BLOCK) % TIMER_STRIDE);
	return true;
}

static uint64_t read_register(struct hpet *hpet, uint64_t reg, uint64_t count)
{
	unsigned n, which;

	switch (reg) {
	case HPET_CAPABILITIES:
		return HPET_CAPABILITIES_VALUE;
	case HPET_CONFIG:
		return hpet->config;
	case HPET_STATUS:
		return hpet->status;
	case HPET_COUNTER:
		return count;
	}
	if (timer_register(reg, &n, &which)) {
		if (which == TIMER_CONFIG_REG)
			return hpet->timer[n].config | timer_capabilities(n);
		if (which == TIMER_COMPARATOR_REG)
			return hpet->timer[n].comparator;
	}
	hpet->stats.unknown_offsets++;
	return 0;
}

static void write_register(struct hpet *hpet, uint64_t reg, uint64_t value, uint64_t mask,
			   uint64_t count, uint64_t tsc)
{
	unsigned n, which;

	switch (reg) {
	case HPET_CAPABILITIES:
		hpet->stats.read_only_writes++;
		return;
	case HPET_CONFIG:
		write_config(hpet, merge(hpet->config, value, mask), count, tsc);
		return;
	case HPET_STATUS:
		/* Writing 1 clears a bit; writing 0 has no effect. */
		hpet->status &= ~(value & mask);
		return;
	case HPET_COUNTER:
		if (running(hpet)) {
			hpet->stats.running_counter_writes++;
			return;
		}
		hpet->counter = merge(hpet->counter, value, mask);
		hpet->evaluated = hpet->counter;
		return;
	}
	if (timer_register(reg, &n, &which)) {
		if (which == TIMER_CONFIG_REG) {
			write_timer_config(hpet, n, value, mask);
			return;
		}
		if (which == TIMER_COMPARATOR_REG) {
			write_comparator(&hpet->timer[n], value, mask);
			return;
		}
	}
	hpet->stats.unknown_offsets++;
}

static bool valid_access(struct hpet *hpet, uint64_t offset, unsigned size)
{
	if ((size == 4 || size == 8) && offset % size == 0 && offset < HPET_MMIO_SIZE)
		return true;
	hpet->stats.bad_accesses++;
	return false;
}

uint64_t hpet_read(struct hpet *hpet, uint64_t offset, unsigned size)
{
	uint64_t value;

	if (!valid_access(hpet, offset, size))
		return 0;
	value = read_register(hpet, offset & ~7ull, catch_up(hpet, tsc_now(hpet)));
	/* The catch-up moved hpet_next_event() past what it took: the caller's timer must not
	 * fire for a match already taken. */
	announce_event(hpet);
	return size == 8 ? value : (value >> (offset & 4) * 8) & LOW_HALF;
}

void hpet_write(struct hpet *hpet, uint64_t offset, unsigned size, uint64_t value)
{
	uint64_t mask = ~0ull, tsc, count;

	if (!valid_access(hpet, offset, size))
		return;
	if (size == 4) {
		mask = LOW_HALF << (offset & 4) * 8;
		value = (value & LOW_HALF) << (offset & 4) * 8;
	}
	tsc = tsc_now(hpet);
	count = catch_up(hpet, tsc);
	write_register(hpet, offset & ~7ull, value, mask, count, tsc);
	update_lines(hpet);
	announce_event(hpet);
}

bool hpet_legacy_replacement(const struct hpet *hpet)
{
	return hpet->config & HPET_CFG_LEG_RT;
}

const struct hpet_stats *hpet_stats(const struct hpet *hpet)
{
	return &hpet->stats;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

static void reset_state(struct hpet *hpet)
{
	hpet->config = 0;
	hpet->status = 0;
	hpet->counter = 0;
	hpet->enable_tsc = 0;
	hpet->evaluated = 0;
	for (unsigned n = 0; n < HPET_TIMER_COUNT; n++) {
		hpet->timer[n].config = 0;
		hpet->timer[n].comparator = ~0ull;
		hpet->timer[n].period = 0;
	}
}

void hpet_reset(struct hpet *hpet)
{
	reset_state(hpet);
	update_lines(hpet);
	announce_event(hpet);
}

struct hpet *hpet_create(uint64_t tsc_hz, const struct hpet_ops *ops, void *ctx)
{
	struct hpet *hpet = NULL;

	if (tsc_hz < HPET_MIN_TSC_HZ || tsc_hz > HPET_MAX_TSC_HZ)
		return NULL;
	for (unsigned i = 0; i < HPET_MAX_INSTANCES && !hpet; i++)
		if (!pool[i].in_use)
			hpet = &pool[i];
	if (!hpet)
		return NULL;
	memset(hpet, 0, sizeof(*hpet));
	hpet->in_use = true;
	hpet->tsc_hz = tsc_hz;
	hpet->ops = ops;
	hpet->ctx = ctx;
	reset_state(hpet);
	return hpet;
}

void hpet_destroy(struct hpet *hpet)
{
	if (hpet)
		hpet->in_use = false;
}
