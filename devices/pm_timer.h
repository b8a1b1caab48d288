/* SPDX-License-Identifier: MIT */
/*
 * The ACPI power management timer (PM_TMR): a free-running up-counter at 3.579545 MHz that
 * software reads through the I/O port the FADT's PM_TMR_BLK / X_PM_TMR_BLK names (ACPI
 * Specification 6.5 §4.8.3.3 "Power Management Timer (PM_TMR)"). QEMU's pc machines place it
 * at 0x608 (PM base 0x600 + 8).
 *
 * Width: 32 bits by default, which the FADT announces with the TMR_VAL_EXT flag (ACPI 6.5
 * §5.2.9 "Fixed ACPI Description Table (FADT)", "Fixed ACPI Description Table Fixed Feature
 * Flags"); 24 bits (QEMU's choice, TMR_VAL_EXT clear) is available for a platform that wants
 * it. A 32-bit counter wraps after 2^32 / 3579545 = 1199.9 s, a 24-bit one after 4.69 s; the
 * overflow status bit (TMR_STS) and its SCI are not modelled: no interrupt is raised.
 *
 * The value is derived from the caller's clock (ops.now, normally the TSC at tsc_hz), so reads
 * need no timer of their own and two reads never go backwards while that clock does not:
 * value = floor((now - start) * 3579545 / tsc_hz) mod 2^bits, start being ops.now() at
 * pm_timer_init. The register is read-only; writes are ignored and counted.
 *
 * Access: the register is 32 bits wide at port..port+3. A read of `size` bytes at port + k
 * returns the bytes k..k+size-1 of the current value (so an 8- or 16-bit read at `port` gives
 * the low bytes, as QEMU's access splitting does); bytes beyond the register read 0.
 *
 * Plain C, no VMX or UEFI: unit-tested on the host with a fake clock.
 */
#ifndef APICVISOR_PM_TIMER_H
#define APICVISOR_PM_TIMER_H

#include "../lib/klib.h"

#define PM_TIMER_HZ 3579545u             /* ACPI 6.5 §4.8.3.3: 3.579545 MHz */
#define PM_TIMER_PORT_COUNT 4            /* PM_TMR_LEN */
#define PM_TIMER_DEFAULT_PORT 0x608u     /* QEMU pc: PM I/O base 0x600 + 8 */
#define PM_TIMER_BITS_EXTENDED 32u       /* TMR_VAL_EXT = 1 */
#define PM_TIMER_BITS_LEGACY 24u         /* TMR_VAL_EXT = 0 */
/* Above this the exact tick arithmetic (remainder * 3579545) could overflow 64 bits. */
#define PM_TIMER_MAX_TSC_HZ 1000000000000ull

/* The clock the counter is derived from; now() must not decrease. */
struct pm_timer_ops {
	uint64_t (*now)(void *ctx);
	void *ctx;
};

/* All fields are set by pm_timer_init; only ignored_writes changes afterwards (on guest
 * writes, from the vCPU that exits on the port). */
struct pm_timer {
	uint16_t port;
	unsigned bits;               /* 24 or 32 */
	uint64_t tsc_hz;
	uint64_t start;              /* ops.now() at init: the counter reads 0 there */
	struct pm_timer_ops ops;
	uint64_t ignored_writes;     /* guest writes to the read-only register */
};

/*
 * Starts the counter at 0 now. bits is PM_TIMER_BITS_EXTENDED or PM_TIMER_BITS_LEGACY; tsc_hz
 * is the frequency of ops->now, 1..PM_TIMER_MAX_TSC_HZ; port + 3 must not pass 0xFFFF. Returns
 * 0, or -1 with a message in err.
 */
int pm_timer_init(struct pm_timer *t, uint16_t port, unsigned bits, uint64_t tsc_hz,
		  const struct pm_timer_ops *ops, char *err, size_t err_len);

/* Whether port is one of the four bytes of the register. */
bool pm_timer_handles_port(const struct pm_timer *t, uint16_t port);

/* The counter's current value (bits wide). */
uint32_t pm_timer_value(const struct pm_timer *t);

/* A guest IN of size 1, 2 or 4 at port (one that pm_timer_handles_port accepts). */
uint32_t pm_timer_read(struct pm_timer *t, uint16_t port, unsigned size);

/* A guest OUT: the register is read-only; counted in ignored_writes. */
void pm_timer_write(struct pm_timer *t, uint16_t port, unsigned size, uint32_t value);

#endif
