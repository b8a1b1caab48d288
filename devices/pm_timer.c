/* SPDX-License-Identifier: MIT */
/*
 * The ACPI PM timer (interface and rules: pm_timer.h).
 */
#include "pm_timer.h"

#include "../lib/fmt.h"

int pm_timer_init(struct pm_timer *t, uint16_t port, unsigned bits, uint64_t tsc_hz,
		  const struct pm_timer_ops *ops, char *err, size_t err_len)
{
	if (bits != PM_TIMER_BITS_EXTENDED && bits != PM_TIMER_BITS_LEGACY) {
		fmt_error(err, err_len, "PM timer: width of %u bits is neither 24 nor 32", bits);
		return -1;
	}
	if (tsc_hz == 0 || tsc_hz > PM_TIMER_MAX_TSC_HZ) {
		fmt_error(err, err_len, "PM timer: clock frequency %llu Hz is out of range 1..%llu",
			  (unsigned long long)tsc_hz, (unsigned long long)PM_TIMER_MAX_TSC_HZ);
		return -1;
	}
	if ((uint32_t)port + PM_TIMER_PORT_COUNT - 1 > 0xffffu) {
		fmt_error(err, err_len, "PM timer: ports 0x%x..0x%x pass the end of the I/O space",
			  port, (unsigned)port + PM_TIMER_PORT_COUNT - 1);
		return -1;
	}
	if (ops == NULL || ops->now == NULL) {
		fmt_error(err, err_len, "PM timer: no clock (ops.now) given");
		return -1;
	}
	memset(t, 0, sizeof(*t));
	t->port = port;
	t->bits = bits;
	t->tsc_hz = tsc_hz;
	t->ops = *ops;
	t->start = ops->now(ops->ctx);
	return 0;
}

bool pm_timer_handles_port(const struct pm_timer *t, uint16_t port)
{
	return port >= t->port && port - t->port < PM_TIMER_PORT_COUNT;
}

/*
 * floor(elapsed * PM_TIMER_HZ / tsc_hz) without a 128-bit product: with elapsed = q * tsc_hz + r,
 * it is q * PM_TIMER_HZ + floor(r * PM_TIMER_HZ / tsc_hz), exactly. r < tsc_hz <= 10^12, so
 * r * PM_TIMER_HZ < 3.6 * 10^18 < 2^64. Only the low 32 bits of the sum are kept, so the
 * wrap-around of q * PM_TIMER_HZ is harmless.
 */
static uint64_t ticks_since_start(const struct pm_timer *t)
{
	uint64_t now = t->ops.now(t->ops.ctx);
	uint64_t elapsed, whole_seconds, remainder;

	/* A clock that steps back before start (it must not) reads as the start. */
	elapsed = now >= t->start ? now - t->start : 0;
	whole_seconds = elapsed / t->tsc_hz;
	remainder = elapsed % t->tsc_hz;
	return whole_seconds * PM_TIMER_HZ + remainder * PM_TIMER_HZ / t->tsc_hz;
}

uint32_t pm_timer_value(const struct pm_timer *t)
{
	uint64_t mask = (1ull << t->bits) - 1;

	return (uint32_t)(ticks_since_start(t) & mask);
}

uint32_t pm_timer_read(struct pm_timer *t, uint16_t port, unsigned size)
{
	unsigned byte = (unsigned)(port - t->port);
	uint64_t value;

	if (!pm_timer_handles_port(t, port) || size == 0 || size > 4)
		return 0;
	value = (uint64_t)pm_timer_value(t) >> (8 * byte);
	if (size < 4)
		value &= (1ull << (8 * size)) - 1;
	return (uint32_t)value;
}

void pm_timer_write(struct pm_timer *t, uint16_t port, unsigned size, uint32_t value)
{
	(void)port;
	(void)size;
	(void)value;
	t->ignored_writes++;
}
