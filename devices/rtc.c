/* SPDX-License-Identifier: MIT */
/*
 * MC146818A real-time clock and CMOS RAM (see rtc.h). Where the datasheet leaves room:
 *   - Time registers written with a value the format cannot hold (a BCD digit above 9, minute
 *     60, month 13, ...) are taken modulo their range; the chip would count on from the bad value
 *     and QEMU takes it as given. Day of week is derived from the date, never stored: a write
 *     to it is ignored.
 *   - A write to a time register while the clock runs (SET = 0) takes effect at once and keeps
 *     the divider's phase, as QEMU does; with SET = 1 the writes collect and the clock runs on
 *     from them when SET is cleared.
 *   - Leaving divider reset (DV 11x -> 010) starts the first update half a second later
 *     ("Divider Control": "the first update cycle begins one-half second later").
 *   - The alarm is checked at each update; an update-ended or alarm event that fell due more
 *     than a day before the flags were last looked at sets its flag once, as it would have.
 *   - Daylight-saving (DSE) is stored and not applied; the clock runs in the time given at
 *     creation (UTC).
 */
#include "rtc.h"

#define SECONDS_PER_DAY 86400ull
/* "Update Cycle": UIP goes to 1 244 µs before the update cycle begins (8 ticks of the time
 * base) and stays 1 through the cycle, 1984 µs with the 32.768 kHz base (65 ticks). The time
 * registers show the new second from the cycle's start (the datasheet has them unavailable
 * until its end; a read during it gets the new value here). */
#define UIP_TICKS_BEFORE 8u
#define UIP_TICKS_AFTER 65u
#define ALARM_SEARCH_SECONDS SECONDS_PER_DAY

struct rtc {
	bool in_use;
	uint64_t tsc_hz;
	const struct rtc_ops *ops;
	void *ctx;
	uint8_t ram[RTC_CMOS_SIZE];      /* alarms, A, B, user RAM; time, C and D are computed */
	uint8_t index;
	bool nmi_disabled;
	/* The time base: phase zero (a second boundary) at base_tsc, where the clock showed
	 * base_seconds. While the clock stands (SET, or the divider in reset) it shows
	 * stopped_seconds. */
	uint64_t base_tsc;
	uint64_t base_seconds;
	uint64_t stopped_seconds;
	bool divider_running;            /* DV = 010 */
	/* Events up to this time-base tick (since base_tsc) are latched in `flags`. */
	uint64_t evaluated;
	uint8_t flags;                   /* PF, AF, UF */
	bool irq_level;
	uint64_t reported_event;         /* rtc_next_event() as last announced */
	struct rtc_stats stats;
};

static struct rtc pool[RTC_MAX_INSTANCES];

/* ---- civil time (days from 1970-01-01; the algorithm of H. Hinnant's "chrono-compatible
 * low-level date algorithms", written out for unsigned years from 1970) ------------------------- */

void rtc_civil_from_unix(uint64_t unix_seconds, struct rtc_civil *out)
{
	uint64_t days = unix_seconds / SECONDS_PER_DAY, rem = unix_seconds % SECONDS_PER_DAY;
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	uint64_t month = mp < 10 ? mp + 3 : mp - 9;

	out->year = (unsigned)(yoe + era * 400 + (month <= 2));
	out->month = (unsigned)month;
	out->day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	out->hour = (unsigned)(rem / 3600);
	out->minute = (unsigned)(rem / 60 % 60);
	out->second = (unsigned)(rem % 60);
	out->weekday = (unsigned)((days + 4) % 7); /* 1970-01-01 was a Thursday */
}

uint64_t rtc_unix_from_civil(const struct rtc_civil *c)
{
	uint64_t year = c->year - (c->month <= 2), era = year / 400, yoe = year - era * 400;
	uint64_t doy = (153 * (c->month > 2 ? c->month - 3 : c->month + 9) + 2) / 5 + c->day - 1;
	uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	uint64_t days = era * 146097 + doe - 719468;

	return days * SECONDS_PER_DAY + c->hour * 3600ull + c->minute * 60ull + c->second;
}

/* ---- the time base ------------------------------------------------------------------------ */

static uint64_t now(const struct rtc *rtc)
{
	return rtc->ops && rtc->ops->now ? rtc->ops->now(rtc->ctx) : 0;
}

/* Time-base ticks from base_tsc to `tsc` (0 before it), without overflow for any TSC. */
static uint64_t ticks_at(const struct rtc *rtc, uint64_t tsc)
{
	uint64_t delta = tsc > rtc->base_tsc ? tsc - rtc->base_tsc : 0;

	return delta / rtc->tsc_hz * RTC_TIME_BASE_HZ +
	       delta % rtc->tsc_hz * RTC_TIME_BASE_HZ / rtc->tsc_hz;
}

/* The first TSC at which ticks_at() reaches `ticks`. */
static uint64_t tsc_of(const struct rtc *rtc, uint64_t ticks)
{
	uint64_t part = ticks % RTC_TIME_BASE_HZ * rtc->tsc_hz;

	return rtc->base_tsc + ticks / RTC_TIME_BASE_HZ * rtc->tsc_hz +
	       (part + RTC_TIME_BASE_HZ - 1) / RTC_TIME_BASE_HZ;
}

static bool set_mode(const struct rtc *rtc)
{
	return rtc->ram[RTC_REG_B] & RTC_B_SET;
}

/* The clock counts seconds: the divider runs and SET is clear. */
static bool clock_running(const struct rtc *rtc)
{
	return rtc->divider_running && !set_mode(rtc);
}

static uint64_t seconds_at(const struct rtc *rtc, uint64_t ticks)
{
	return clock_running(rtc) ? rtc->base_seconds + ticks / RTC_TIME_BASE_HZ
				  : rtc->stopped_seconds;
}

/* The periodic interrupt's period in time-base ticks ("Periodic Interrupt Rate" table for the
 * 32.768 kHz base: RS 1 and 2 repeat RS 8 and 9), 0 for none. */
static uint64_t periodic_ticks(const struct rtc *rtc)
{
	unsigned rs = rtc->ram[RTC_REG_A] & RTC_A_RS_MASK;

	if (!rtc->divider_running || rs == 0)
		return 0;
	return rs <= 2 ? 1ull << (rs + 6) : 1ull << (rs - 1);
}

/* ---- registers in the guest's format -------------------------------------------------------- */

static bool binary_mode(const struct rtc *rtc)
{
	return rtc->ram[RTC_REG_B] & RTC_B_DM_BINARY;
}

static uint8_t encode(const struct rtc *rtc, unsigned value)
{
	return binary_mode(rtc) ? (uint8_t)value : (uint8_t)(value / 10 << 4 | value % 10);
}

static unsigned decode(const struct rtc *rtc, uint8_t value)
{
	return binary_mode(rtc) ? value : (value >> 4) * 10u + (value & 0xF);
}

static uint8_t encode_hour(const struct rtc *rtc, unsigned hour)
{
	unsigned h12;

	if (rtc->ram[RTC_REG_B] & RTC_B_24H)
		return encode(rtc, hour);
	/* 12-hour mode: 1-12, bit 7 for PM ("Address Map", Table 3). */
	h12 = hour % 12 ? hour % 12 : 12;
	return (uint8_t)(encode(rtc, h12) | (hour >= 12 ? 0x80 : 0));
}

static unsigned decode_hour(const struct rtc *rtc, uint8_t value)
{
	unsigned hour;

	if (rtc->ram[RTC_REG_B] & RTC_B_24H)
		return decode(rtc, value) % 24;
	hour = decode(rtc, value & 0x7F) % 12; /* 12 AM is 0 */
	return value & 0x80 ? hour + 12 : hour;
}

/* The time register `index` for the clock showing `seconds`. */
static uint8_t time_register(const struct rtc *rtc, uint8_t index, uint64_t seconds)
{
	struct rtc_civil c;

	rtc_civil_from_unix(seconds, &c);
	switch (index) {
	case RTC_SECONDS:
		return encode(rtc, c.second);
	case RTC_MINUTES:
		return encode(rtc, c.minute);
	case RTC_HOURS:
		return encode_hour(rtc, c.hour);
	case RTC_DAY_OF_WEEK:
		return encode(rtc, c.weekday + 1);
	case RTC_DAY_OF_MONTH:
		return encode(rtc, c.day);
	case RTC_MONTH:
		return encode(rtc, c.month);
	case RTC_YEAR:
		return encode(rtc, c.year % 100);
	default: /* RTC_CENTURY: BCD whatever DM says, as PC firmware keeps it */
		return (uint8_t)(c.year / 100 / 10 << 4 | c.year / 100 % 10);
	}
}

static bool is_time_register(uint8_t index)
{
	return index == RTC_SECONDS || index == RTC_MINUTES || index == RTC_HOURS ||
	       index == RTC_DAY_OF_WEEK || index == RTC_DAY_OF_MONTH || index == RTC_MONTH ||
	       index == RTC_YEAR || index == RTC_CENTURY;
}

/* The clock shown at `seconds` with one time register replaced by `value`. */
static uint64_t with_time_register(const struct rtc *rtc, uint64_t seconds, uint8_t index,
				   uint8_t value)
{
	struct rtc_civil c;
	unsigned days_in_month;

	rtc_civil_from_unix(seconds, &c);
	switch (index) {
	case RTC_SECONDS:
		c.second = decode(rtc, value) % 60;
		break;
	case RTC_MINUTES:
		c.minute = decode(rtc, value) % 60;
		break;
	case RTC_HOURS:
		c.hour = decode_hour(rtc, value);
		break;
	case RTC_DAY_OF_MONTH:
		c.day = decode(rtc, value) % 32;
		break;
	case RTC_MONTH:
		c.month = (decode(rtc, value) + 11) % 12 + 1;
		break;
	case RTC_YEAR:
		c.year = c.year / 100 * 100 + decode(rtc, value) % 100;
		break;
	case RTC_CENTURY:
		c.year = ((value >> 4) * 10u + (value & 0xF)) % 100 * 100 + c.year % 100;
		break;
	default:
		return seconds; /* day of week: derived from the date */
	}
	/* Nothing before 1970 (the clock's arithmetic is unsigned): a century below 19 or a
	 * 19xx year before 70 becomes 1970. */
	if (c.year < 1970)
		c.year = 1970;
	days_in_month = c.month == 2 ? (c.year % 4 == 0 && (c.year % 100 || c.year % 400 == 0)
						? 29 : 28)
			: c.month == 4 || c.month == 6 || c.month == 9 || c.month == 11 ? 30 : 31;
	if (c.day == 0)
		c.day = 1;
	if (c.day > days_in_month)
		c.day = days_in_month;
	return rtc_unix_from_civil(&c);
}

static bool alarm_matches(const struct rtc *rtc, uint64_t seconds)
{
	static const uint8_t alarm[3] = { RTC_SECONDS_ALARM, RTC_MINUTES_ALARM, RTC_HOURS_ALARM };
	static const uint8_t field[3] = { RTC_SECONDS, RTC_MINUTES, RTC_HOURS };

	for (unsigned i = 0; i < 3; i++) {
		uint8_t a = rtc->ram[alarm[i]];

		if ((a & RTC_ALARM_DONT_CARE) != RTC_ALARM_DONT_CARE &&
		    a != time_register(rtc, field[i], seconds))
			return false;
	}
	return true;
}

/* ---- events ----------------------------------------------------------------------------------- */

static void update_irq(struct rtc *rtc)
{
	bool level = rtc->flags & rtc->ram[RTC_REG_B] & (RTC_C_PF | RTC_C_AF | RTC_C_UF);

	if (level == rtc->irq_level)
		return;
	rtc->irq_level = level;
	if (level)
		rtc->stats.irqs++;
	if (rtc->ops && rtc->ops->irq)
		rtc->ops->irq(rtc->ctx, level);
}

static void latch(struct rtc *rtc, uint8_t flag, uint64_t *counter)
{
	if (!(rtc->flags & flag))
		(*counter)++;
	rtc->flags |= flag;
}

/* Latches what fell due between the last look and time-base tick `to` ("Register C": the flags
 * are set whether or not their interrupts are enabled). */
static void evaluate(struct rtc *rtc, uint64_t to)
{
	uint64_t from = rtc->evaluated, period = periodic_ticks(rtc);

	if (to <= from)
		return;
	if (period && to / period > from / period)
		latch(rtc, RTC_C_PF, &rtc->stats.periodic);
	if (clock_running(rtc) && to / RTC_TIME_BASE_HZ > from / RTC_TIME_BASE_HZ) {
		uint64_t last = to / RTC_TIME_BASE_HZ, first = from / RTC_TIME_BASE_HZ + 1;

		latch(rtc, RTC_C_UF, &rtc->stats.updates);
		if (last - first >= ALARM_SEARCH_SECONDS)
			first = last - ALARM_SEARCH_SECONDS + 1;
		for (uint64_t s = last; s >= first; s--) {
			if (alarm_matches(rtc, rtc->base_seconds + s)) {
				latch(rtc, RTC_C_AF, &rtc->stats.alarms);
				break;
			}
		}
	}
	rtc->evaluated = to;
}

/* Brings the chip up to time-base tick `ticks`: what fell due since the last look is latched
 * and raised now, as the chip did when it fell due (before a port access the caller's timer may
 * not have fired for it yet). */
static void catch_up(struct rtc *rtc, uint64_t ticks)
{
	evaluate(rtc, ticks);
	update_irq(rtc);
}

uint64_t rtc_next_event(struct rtc *rtc)
{
	uint8_t enabled = rtc->ram[RTC_REG_B];
	uint64_t period = periodic_ticks(rtc), next = 0;

	if ((enabled & RTC_B_PIE) && period)
		next = (rtc->evaluated / period + 1) * period;
	/* Update-ended and alarm: at the next update (the alarm is checked there). */
	if ((enabled & (RTC_B_UIE | RTC_B_AIE)) && clock_running(rtc)) {
		uint64_t update = (rtc->evaluated / RTC_TIME_BASE_HZ + 1) * RTC_TIME_BASE_HZ;

		if (!next || update < next)
			next = update;
	}
	return next ? tsc_of(rtc, next) : 0;
}

static void announce_event(struct rtc *rtc)
{
	uint64_t next = rtc_next_event(rtc);

	if (next == rtc->reported_event)
		return;
	rtc->reported_event = next;
	if (rtc->ops && rtc->ops->timer_changed)
		rtc->ops->timer_changed(rtc->ctx);
}

void rtc_advance(struct rtc *rtc)
{
	catch_up(rtc, ticks_at(rtc, now(rtc)));
	announce_event(rtc);
}

/* ---- the clock's state changes -------------------------------------------------------------- */

/* The clock now shows `seconds`, its divider phase kept (a running clock) or held (stopped). */
static void show(struct rtc *rtc, uint64_t seconds, uint64_t ticks)
{
	rtc->stopped_seconds = seconds;
	if (clock_running(rtc))
		rtc->base_seconds = seconds - ticks / RTC_TIME_BASE_HZ;
}

static void write_register_a(struct rtc *rtc, uint8_t value, uint64_t ticks)
{
	bool running = (value & RTC_A_DV_MASK) == RTC_A_DV_NORMAL;
	uint64_t seconds = seconds_at(rtc, ticks);

	rtc->ram[RTC_REG_A] = value & ~RTC_A_UIP;
	if (running == rtc->divider_running)
		return;
	if (!running) {
		rtc->stopped_seconds = seconds;
		rtc->divider_running = false;
		return;
	}
	/* Out of divider reset: phase zero half a second ago, so the first update is half a
	 * second from now. */
	rtc->base_tsc = now(rtc) - rtc->tsc_hz / 2;
	rtc->evaluated = ticks_at(rtc, now(rtc));
	rtc->divider_running = true;
	show(rtc, seconds, rtc->evaluated);
}

static void write_register_b(struct rtc *rtc, uint8_t value, uint64_t ticks)
{
	uint64_t seconds = seconds_at(rtc, ticks);

	/* "UIE ... is cleared when the SET bit goes high." */
	if (value & RTC_B_SET)
		value &= (uint8_t)~RTC_B_UIE;
	rtc->ram[RTC_REG_B] = value;
	show(rtc, seconds, ticks); /* stopping or starting, the clock shows what it showed */
	update_irq(rtc);
}

/* ---- the ports ---------------------------------------------------------------------------------- */

bool rtc_handles_port(uint16_t port)
{
	return port == RTC_PORT_INDEX || port == RTC_PORT_DATA;
}

static uint8_t read_data(struct rtc *rtc, uint64_t ticks)
{
	uint8_t index = rtc->index, value;

	if (is_time_register(index))
		return time_register(rtc, index, seconds_at(rtc, ticks));
	switch (index) {
	case RTC_REG_A:
		value = rtc->ram[RTC_REG_A];
		if (clock_running(rtc) &&
		    (ticks % RTC_TIME_BASE_HZ >= RTC_TIME_BASE_HZ - UIP_TICKS_BEFORE ||
		     (ticks >= RTC_TIME_BASE_HZ && ticks % RTC_TIME_BASE_HZ < UIP_TICKS_AFTER)))
			value |= RTC_A_UIP;
		return value;
	case RTC_REG_C:
		value = rtc->flags | (rtc->irq_level ? RTC_C_IRQF : 0);
		/* "All flag bits are cleared after Register C is read." */
		rtc->flags = 0;
		update_irq(rtc);
		return value;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return rtc->ram[index];
	}
}

uint8_t rtc_read(struct rtc *rtc, uint16_t port)
{
	uint64_t ticks;
	uint8_t value;

	if (port == RTC_PORT_INDEX)
		return 0xFF;
	if (port != RTC_PORT_DATA) {
		rtc->stats.bad_ports++;
		return 0xFF;
	}
	ticks = ticks_at(rtc, now(rtc));
	catch_up(rtc, ticks);
	value = read_data(rtc, ticks);
	/* The catch-up moved rtc_next_event() past what it latched: the caller's timer must not
	 * fire for an event already taken. */
	announce_event(rtc);
	return value;
}

void rtc_write(struct rtc *rtc, uint16_t port, uint8_t value)
{
	uint64_t ticks;
	uint8_t index = rtc->index;

	if (port == RTC_PORT_INDEX) {
		rtc->index = value & 0x7F;
		rtc->nmi_disabled = value & RTC_NMI_DISABLE;
		return;
	}
	if (port != RTC_PORT_DATA) {
		rtc->stats.bad_ports++;
		return;
	}
	ticks = ticks_at(rtc, now(rtc));
	catch_up(rtc, ticks);
	if (is_time_register(index)) {
		if (index != RTC_DAY_OF_WEEK) {
			show(rtc, with_time_register(rtc, seconds_at(rtc, ticks), index, value),
			     ticks);
			rtc->stats.time_sets++;
		}
	} else if (index == RTC_REG_A) {
		write_register_a(rtc, value, ticks);
	} else if (index == RTC_REG_B) {
		write_register_b(rtc, value, ticks);
	} else if (index != RTC_REG_C && index != RTC_REG_D) {
		rtc->ram[index] = value; /* alarms and user RAM; C and D are read-only */
	}
	announce_event(rtc);
}

bool rtc_nmi_disabled(const struct rtc *rtc)
{
	return rtc->nmi_disabled;
}

void rtc_cmos_set(struct rtc *rtc, uint8_t index, uint8_t value)
{
	if (index >= RTC_REG_D + 1 && index < RTC_CMOS_SIZE && index != RTC_CENTURY)
		rtc->ram[index] = value;
}

const struct rtc_stats *rtc_stats(const struct rtc *rtc)
{
	return &rtc->stats;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

struct rtc *rtc_create(uint64_t tsc_hz, uint64_t unix_seconds, const struct rtc_ops *ops,
		       void *ctx)
{
	struct rtc *rtc = NULL;

	if (tsc_hz < RTC_MIN_TSC_HZ || tsc_hz > RTC_MAX_TSC_HZ)
		return NULL;
	for (unsigned i = 0; i < RTC_MAX_INSTANCES && !rtc; i++)
		if (!pool[i].in_use)
			rtc = &pool[i];
	if (!rtc)
		return NULL;
	memset(rtc, 0, sizeof(*rtc));
	rtc->in_use = true;
	rtc->tsc_hz = tsc_hz;
	rtc->ops = ops;
	rtc->ctx = ctx;
	rtc->ram[RTC_REG_A] = RTC_A_DV_NORMAL | 6; /* 1024 Hz */
	rtc->ram[RTC_REG_B] = RTC_B_24H;
	rtc->divider_running = true;
	rtc->base_tsc = now(rtc);
	rtc->base_seconds = unix_seconds;
	rtc->stopped_seconds = unix_seconds;
	return rtc;
}

void rtc_destroy(struct rtc *rtc)
{
	if (rtc)
		rtc->in_use = false;
}
