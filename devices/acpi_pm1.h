/* SPDX-License-Identifier: MIT */
/*
 * The ACPI PM1a fixed-hardware registers the FADT names (ACPI 6.5 §4.8.3 "Fixed Hardware
 * Registers"), at ACPI_DEFAULT_PM1A_EVENT_PORT (600H: PM1_STS, then PM1_EN) and
 * ACPI_DEFAULT_PM1A_CONTROL_PORT (604H: PM1_CNT), byte-addressable:
 *
 *   PM1_STS  nothing here raises a fixed event, so it reads 0; writes (1 clears) change nothing.
 *            (TMR_STS, the PM timer's carry, is not modelled: the FADT's timer is 32 bits wide
 *            and TMR_EN's SCI is never raised.)
 *   PM1_EN   the enable bits an OS sets (TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN,
 *            PCIEXP_WAKE_DIS) read back as written; reserved bits read 0. ACPICA checks that
 *            GBL_EN stays set when it enables the global lock's event.
 *   PM1_CNT  SCI_EN reads 1 (the platform is always in ACPI mode: SMI_CMD is 0), BM_RLS and
 *            SLP_TYP read back, GBL_RLS and SLP_EN are write-only and read 0. SLP_EN written with
 *            SLP_TYP = ACPI_PM1_S5_SLP_TYP (the DSDT's \_S5) powers the machine off: an
 *            apicvisor run ends (ops->power_off). Other sleep types (no \_S1-\_S4 is declared)
 *            are counted and ignored: the machine keeps running, as if it woke at once.
 *
 * Plain C, no VMX or UEFI; unit-tested on the host. One per VM, under the devices' lock.
 */
#ifndef APICVISOR_ACPI_PM1_H
#define APICVISOR_ACPI_PM1_H

#include "../lib/klib.h"

#define ACPI_PM1_STS 0x600u
#define ACPI_PM1_EN 0x602u
#define ACPI_PM1_CNT 0x604u
#define ACPI_PM1_PORTS 6u                 /* 600H-605H */

#define ACPI_PM1_EN_WRITABLE 0x4721u      /* TMR_EN 0, GBL_EN 5, PWRBTN_EN 8, SLPBTN_EN 9,
					   * RTC_EN 10, PCIEXP_WAKE_DIS 14 */
#define ACPI_PM1_CNT_SCI_EN 0x0001u
#define ACPI_PM1_CNT_BM_RLS 0x0002u
#define ACPI_PM1_CNT_GBL_RLS 0x0004u
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP_MASK (7u << ACPI_PM1_CNT_SLP_TYP_SHIFT)
#define ACPI_PM1_CNT_SLP_EN 0x2000u
#define ACPI_PM1_S5_SLP_TYP 0u            /* devices/acpi_tables.c's \_S5 package */

struct acpi_pm1_ops {
	/* Soft off: `cause` is a constant phrase. */
	void (*power_off)(void *ctx, const char *cause);
	void *ctx;
};

struct acpi_pm1 {
	uint16_t enable;              /* PM1_EN */
	uint16_t control;             /* PM1_CNT's read-back bits: BM_RLS, SLP_TYP */
	struct acpi_pm1_ops ops;
	uint64_t other_sleeps;        /* SLP_EN with a sleep type other than S5's: ignored */
};

/* Power-on state: every enable clear, SLP_TYP 0. */
void acpi_pm1_init(struct acpi_pm1 *pm, const struct acpi_pm1_ops *ops);
bool acpi_pm1_handles(uint16_t port);
uint8_t acpi_pm1_read(const struct acpi_pm1 *pm, uint16_t port);
void acpi_pm1_write(struct acpi_pm1 *pm, uint16_t port, uint8_t value);

#endif
