/* SPDX-License-Identifier: MIT */
/*
 * The guest's real-time clock and CMOS RAM: a Motorola MC146818A, the PC's "RTC/CMOS", at ports
 * 0x70 (bits 6:0 the register index, bit 7 the NMI mask of the PC's chipset) and 0x71 (data).
 * Citations are to the MC146818A datasheet, by section title.
 *
 * Time: the model keeps no timer of its own. The clock is the wall-clock time given at creation
 * (seconds since 1970-01-01 00:00:00 UTC) moved on by the caller's TSC (ops->now, tsc_hz); the
 * 32.768 kHz time base the periodic rates divide is derived from the same TSC, with the second
 * boundaries at the time base's phase zero, so every periodic edge and every update cycle falls
 * on an exact TSC. What the guest reads is computed when it reads: the time registers, the
 * update-in-progress bit (set from 244 µs before each update to the end of the update cycle's
 * 1984 µs, "Update Cycle"), and the flags
 * of register C, which latch the periodic, alarm and update-ended events that fell due since the
 * last read ("Register C", whether or not their interrupts are enabled). An enabled event needs
 * the interrupt on time, though: rtc_next_event() says when the next one falls, the caller arms
 * a timer for it and calls rtc_advance() once the TSC has reached it. A port access that comes
 * first takes the event itself (raising IRQ 8 then) and announces the next one through
 * ops->timer_changed, so the caller's timer never fires for an event already taken.
 *
 * IRQ 8 follows register C's IRQF: ops->irq(true) when it becomes 1, ops->irq(false) when a read
 * of register C clears it ("IRQF ... the IRQ pin is driven low"; the PC inverts it onto an
 * active-high, edge-triggered ISA line).
 *
 * Plain C (no VMX, no UEFI); the choices where the datasheet leaves room are listed in rtc.c.
 * Threading: one RTC per VM; every function runs on one CPU at a time (the devices' lock).
 */
#ifndef APICVISOR_RTC_H
#define APICVISOR_RTC_H

#include "../lib/klib.h"

struct rtc;

/* How many RTCs exist at most (a static pool: the hypervisor does not allocate). */
#define RTC_MAX_INSTANCES 2

#define RTC_PORT_INDEX 0x70u
#define RTC_PORT_DATA 0x71u
#define RTC_NMI_DISABLE 0x80u            /* port 0x70 bit 7 */

/* Register indexes ("Address Map"). 0x0E-0x7F are the 114 bytes of user RAM. */
#define RTC_SECONDS 0x00u
#define RTC_SECONDS_ALARM 0x01u
#define RTC_MINUTES 0x02u
#define RTC_MINUTES_ALARM 0x03u
#define RTC_HOURS 0x04u
#define RTC_HOURS_ALARM 0x05u
#define RTC_DAY_OF_WEEK 0x06u            /* 1-7, Sunday = 1 */
#define RTC_DAY_OF_MONTH 0x07u
#define RTC_MONTH 0x08u
#define RTC_YEAR 0x09u                   /* 0-99 */
#define RTC_REG_A 0x0Au
#define RTC_REG_B 0x0Bu
#define RTC_REG_C 0x0Cu
#define RTC_REG_D 0x0Du
#define RTC_CENTURY 0x32u                /* the PC's century byte (ACPI FADT CENTURY), BCD */
#define RTC_CMOS_SIZE 128u

#define RTC_A_UIP 0x80u
#define RTC_A_DV_MASK 0x70u
#define RTC_A_DV_NORMAL 0x20u            /* 010: 32.768 kHz time base, running */
#define RTC_A_RS_MASK 0x0Fu
#define RTC_B_SET 0x80u
#define RTC_B_PIE 0x40u
#define RTC_B_AIE 0x20u
#define RTC_B_UIE 0x10u
#define RTC_B_SQWE 0x08u
#define RTC_B_DM_BINARY 0x04u
#define RTC_B_24H 0x02u
#define RTC_B_DSE 0x01u
#define RTC_C_IRQF 0x80u
#define RTC_C_PF 0x40u
#define RTC_C_AF 0x20u
#define RTC_C_UF 0x10u
#define RTC_D_VRT 0x80u
#define RTC_ALARM_DONT_CARE 0xC0u        /* an alarm byte with bits 7:6 set matches any value */

/* The time base. */
#define RTC_TIME_BASE_HZ 32768u

/* The TSC frequencies rtc_create accepts (the time-base arithmetic stays within 64 bits). */
#define RTC_MIN_TSC_HZ RTC_TIME_BASE_HZ
#define RTC_MAX_TSC_HZ (1ull << 40)

struct rtc_ops {
	/* The current TSC. NULL reads as 0: a clock that never advances. */
	uint64_t (*now)(void *ctx);
	/* IRQ 8's level: register C's IRQF. */
	void (*irq)(void *ctx, bool level);
	/* rtc_next_event() changed: re-arm the caller's timer (0: disarm). */
	void (*timer_changed)(void *ctx);
};

/* Counters for the statistics output. Written by the model only. */
struct rtc_stats {
	uint64_t irqs;                   /* times IRQF went from 0 to 1 */
	uint64_t periodic;               /* periodic flags latched (PF 0 -> 1) */
	uint64_t alarms;                 /* alarm flags latched (AF 0 -> 1) */
	uint64_t updates;                /* update-ended flags latched (UF 0 -> 1) */
	uint64_t time_sets;              /* the guest set the clock (time registers, SET) */
	uint64_t bad_ports;              /* rtc_read/rtc_write for a port that is not the RTC's */
};

/* Returns NULL when the pool is exhausted or tsc_hz is outside RTC_MIN_TSC_HZ..RTC_MAX_TSC_HZ.
 * The clock starts at `unix_seconds`, registers A = 26H (time base running, 1024 Hz periodic
 * rate: what PC firmware leaves), B = 02H (24-hour, BCD), C = 0, D = VRT; user RAM zeroed. */
struct rtc *rtc_create(uint64_t tsc_hz, uint64_t unix_seconds, const struct rtc_ops *ops,
		       void *ctx);
void rtc_destroy(struct rtc *rtc);

/* Ports 0x70 and 0x71. */
bool rtc_handles_port(uint16_t port);
/* Port accesses (one byte). Port 0x70 reads all ones (it is write-only on the PC). */
uint8_t rtc_read(struct rtc *rtc, uint16_t port);
void rtc_write(struct rtc *rtc, uint16_t port, uint8_t value);
/* Port 0x70 bit 7 as last written: the chipset's NMI mask. */
bool rtc_nmi_disabled(const struct rtc *rtc);

/* User RAM as firmware fills it (memory sizes, century): index 0x0E-0x7F. */
void rtc_cmos_set(struct rtc *rtc, uint8_t index, uint8_t value);

/* The TSC of the next enabled event (periodic with PIE, update-ended with UIE, alarm with
 * AIE), 0 for none. */
uint64_t rtc_next_event(struct rtc *rtc);
/* The caller's timer fired: latch what fell due, raise IRQ 8 when an enabled flag is new. */
void rtc_advance(struct rtc *rtc);

const struct rtc_stats *rtc_stats(const struct rtc *rtc);

/* Civil time for a count of seconds since 1970-01-01 (UTC, proleptic Gregorian): exposed for the
 * unit tests. */
struct rtc_civil {
	unsigned year, month, day, hour, minute, second, weekday; /* weekday: 0 = Sunday */
};
void rtc_civil_from_unix(uint64_t unix_seconds, struct rtc_civil *out);
uint64_t rtc_unix_from_civil(const struct rtc_civil *c);

#endif
