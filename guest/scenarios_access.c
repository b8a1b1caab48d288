/* SPDX-License-Identifier: MIT */
/*
 * What one access to each emulated device costs: each scenario makes ACCESS_COUNT accesses of one
 * kind to one device (a port instruction or an instruction with a memory operand on the device's
 * page) and reports them as the figure `accesses`; its exits divided by that are the device's
 * row in docs/ladder.md ("Devices: exits per access", written by `make bench`). The registers are
 * ones a kernel polls: reads with no side effect, or an index written with the data read.
 */
#include <stdbool.h>
#include <stdint.h>

#include "cmos.h"
#include "cpu.h"
#include "scenario_kit.h"

#define ACCESS_COUNT 100u

#define PORT_PIT_CONTROL 0x43u
#define PORT_PIT_CHANNEL0 0x40u
#define PIT_LATCH_CHANNEL0 0x00u
#define PORT_PIC_MASTER_DATA 0x21u    /* the IMR */
#define CMOS_REG_A 0x0Au              /* UIP: what a kernel reading the clock polls */
#define PORT_KBC_STATUS 0x64u
#define PORT_COM1_LSR 0x3FDu
#define PORT_PM_TIMER 0x608u          /* QEMU's and apicvisor's PM1 timer (FADT) */
#define PORT_SYSTEM_CONTROL_A 0x92u
#define HPET_MAIN_COUNTER 0xFED000F0u
#define IOAPIC_REGSEL 0xFEC00000u
#define IOAPIC_WINDOW 0xFEC00010u
#define IOAPIC_REG_VERSION 0x01u
#define IOMEM_WINDOW 0xFF000000u      /* pc-testdev's iomem (testdev=on) */

static uint32_t mmio_read32(uintptr_t address)
{
	return *(volatile uint32_t *)address;
}

static void mmio_write32(uintptr_t address, uint32_t value)
{
	*(volatile uint32_t *)address = value;
}

static enum scenario_failure accesses_done(struct scenario_state *state, unsigned per_round)
{
	scenario_report(state, "accesses", (uint64_t)ACCESS_COUNT * per_round);
	return SCENARIO_PASSED;
}

/* PIT: latch counter 0, read its two bytes (3 port accesses). */
static enum scenario_failure scenario_access_pit(struct scenario_state *state)
{
	for (unsigned i = 0; i < ACCESS_COUNT; i++) {
		cpu_outb(PORT_PIT_CONTROL, PIT_LATCH_CHANNEL0);
		(void)cpu_inb(PORT_PIT_CHANNEL0);
		(void)cpu_inb(PORT_PIT_CHANNEL0);
	}
	return accesses_done(state, 3);
}

static enum scenario_failure scenario_access_pic(struct scenario_state *state)
{
	for (unsigned i = 0; i < ACCESS_COUNT; i++)
		(void)cpu_inb(PORT_PIC_MASTER_DATA);
	return accesses_done(state, 1);
}

/* RTC: index register A, read it (2 port accesses). */
static enum scenario_failure scenario_access_rtc(struct scenario_state *state)
{
	for (unsigned i = 0; i < ACCESS_COUNT; i++)
		(void)cmos_read(CMOS_REG_A);
	return accesses_done(state, 2);
}

static enum scenario_failure scenario_access_kbc(struct scenario_state *state)
{
	for (unsigned i = 0; i < ACCESS_COUNT; i++)
		(void)cpu_inb(PORT_KBC_STATUS);
	return accesses_done(state, 1);
}

static enum scenario_failure scenario_access_uart(struct scenario_state *state)
{
	for (unsigned i = 0; i < ACCESS_COUNT; i++)
		(void)cpu_inb(PORT_COM1_LSR);
	return accesses_done(state, 1);
}

static enum scenario_failure scenario_access_pm_timer(struct scenario_state *state)
{
	for (unsigned i = 0; i < ACCESS_COUNT; i++)
		(void)cpu_inl(PORT_PM_TIMER);
	return accesses_done(state, 1);
}

static enum scenario_failure scenario_access_sysctl(struct scenario_state *state)
{
	for (unsigned i = 0; i < ACCESS_COUNT; i++)
		(void)cpu_inb(PORT_SYSTEM_CONTROL_A);
	return accesses_done(state, 1);
}

static enum scenario_failure scenario_access_hpet(struct scenario_state *state)
{
	for (unsigned i = 0; i < ACCESS_COUNT; i++)
		(void)mmio_read32(HPET_MAIN_COUNTER);
	return accesses_done(state, 1);
}

/* IOAPIC: select the version register, read the window (2 MMIO accesses). */
static enum scenario_failure scenario_access_ioapic(struct scenario_state *state)
{
	for (unsigned i = 0; i < ACCESS_COUNT; i++) {
		mmio_write32(IOAPIC_REGSEL, IOAPIC_REG_VERSION);
		(void)mmio_read32(IOAPIC_WINDOW);
	}
	return accesses_done(state, 2);
}

static enum scenario_failure scenario_access_iomem(struct scenario_state *state)
{
	for (unsigned i = 0; i < ACCESS_COUNT; i++)
		(void)mmio_read32(IOMEM_WINDOW);
	return accesses_done(state, 1);
}

static const struct scenario scenario_access_table[] = {
	{ "access-pit", true, NULL, scenario_access_pit },
	{ "access-pic", true, NULL, scenario_access_pic },
	{ "access-rtc", true, NULL, scenario_access_rtc },
	{ "access-kbc", true, NULL, scenario_access_kbc },
	{ "access-uart", true, NULL, scenario_access_uart },
	{ "access-pm-timer", true, NULL, scenario_access_pm_timer },
	{ "access-sysctl", true, NULL, scenario_access_sysctl },
	{ "access-hpet", true, NULL, scenario_access_hpet },
	{ "access-ioapic", true, NULL, scenario_access_ioapic },
	{ "access-iomem", true, NULL, scenario_access_iomem },
};

const struct scenario_list scenario_access_list = {
	scenario_access_table, sizeof(scenario_access_table) / sizeof(scenario_access_table[0])
};
