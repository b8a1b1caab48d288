/* SPDX-License-Identifier: MIT */
/* The BIOS's state at entry (guest/bios_state.h). */
#include "bios_state.h"

#include "cmos.h"
#include "cpu.h"
#include "pic.h"
#include "pit.h"

#define PIC_MASTER_DATA 0x21u
#define PIC_SLAVE_DATA 0xA1u
#define PIT_CHANNEL0 0x40u
#define PIT_CONTROL 0x43u
#define PIT_READ_BACK_STATUS0 0xE2u  /* read-back: status only (COUNT bit set), counter 0 */
#define PIT_LATCH0 0x00u
#define PIT_RUNNING_READS 1000u
#define RTC_UIP_READS 100000u        /* register A reads before giving up on UIP clearing */
#define XAPIC_BASE 0xFEE00000u
#define XAPIC_SVR 0xF0u
#define XAPIC_LINT0 0x350u
#define XAPIC_LINT1 0x360u
#define MSR_IA32_APIC_BASE 0x1Bu
#define APIC_BASE_EN (1u << 11)
#define APIC_BASE_EXTD (1u << 10)
#define X2APIC_MSR(offset) (0x800u + (offset) / 16u)

static struct bios_state state;

/* Low memory through a pointer the compiler cannot see as null (the IVT is at address 0). */
static uint32_t low_read(uint32_t address, unsigned size)
{
	uintptr_t p = address;

	__asm__("" : "+r"(p));
	if (size == 1)
		return *(volatile uint8_t *)p;
	if (size == 2)
		return *(volatile uint16_t *)p;
	return *(volatile uint32_t *)p;
}

static uint16_t cmos_read16(uint8_t index)
{
	return (uint16_t)(cmos_read(index) | cmos_read((uint8_t)(index + 1)) << 8);
}

/* The RTC's time of day in seconds since midnight, read between updates (register A's UIP clear
 * guarantees 244 us without one), in BCD or binary and 12- or 24-hour form as register B says. */
static uint32_t rtc_time_of_day(void)
{
	for (unsigned i = 0; i < RTC_UIP_READS && (cmos_read(0x0A) & 0x80); i++)
		;
	uint8_t b = cmos_read(0x0B);
	bool hours24 = b & 0x02;
	uint32_t seconds = cmos_to_binary(cmos_read(0x00), b);
	uint32_t minutes = cmos_to_binary(cmos_read(0x02), b);
	uint8_t hour = cmos_read(0x04);
	uint32_t hours = cmos_to_binary(hour & 0x7F, b);

	if (!hours24) /* 12-hour form: bit 7 PM, 12 o'clock is 12 */
		hours = hours % 12 + (hour & 0x80 ? 12 : 0);
	return (hours * 60 + minutes) * 60 + seconds;
}

static uint16_t pit0_latched_count(void)
{
	cpu_outb(PIT_CONTROL, PIT_LATCH0);
	uint8_t low = cpu_inb(PIT_CHANNEL0);

	return (uint16_t)(low | cpu_inb(PIT_CHANNEL0) << 8);
}

/* The xAPIC's registers where the APIC is enabled in xAPIC mode, as the BIOS leaves it. */
static bool xapic_on(void)
{
	uint64_t base = cpu_rdmsr(MSR_IA32_APIC_BASE);

	return (cpu_cpuid(1).edx & (1u << 9)) && (base & APIC_BASE_EN) && !(base & APIC_BASE_EXTD);
}

static volatile uint32_t *xapic_register(uint32_t offset)
{
	return (volatile uint32_t *)(uintptr_t)(XAPIC_BASE + offset);
}

void bios_state_capture(void)
{
	state.pic_master_mask = cpu_inb(PIC_MASTER_DATA);
	state.pic_slave_mask = cpu_inb(PIC_SLAVE_DATA);
	cpu_outb(PIT_CONTROL, PIT_READ_BACK_STATUS0);
	state.pit0_status = cpu_inb(PIT_CHANNEL0);
	/* Counting: a later latched count differs (a PIT clock is 838 ns; give it many reads). */
	uint16_t first = pit0_latched_count();

	for (unsigned i = 0; i < PIT_RUNNING_READS && !state.pit0_running; i++)
		state.pit0_running = pit0_latched_count() != first;
	if (xapic_on()) {
		state.apic_svr = *xapic_register(XAPIC_SVR);
		state.apic_lint0 = *xapic_register(XAPIC_LINT0);
		state.apic_lint1 = *xapic_register(XAPIC_LINT1);
	}
	state.com1_port = (uint16_t)low_read(0x400, 2);
	state.lpt1_port = (uint16_t)low_read(0x408, 2);
	state.ebda_segment = (uint16_t)low_read(0x40E, 2);
	state.equipment = (uint16_t)low_read(0x410, 2);
	state.base_memory_kib = (uint16_t)low_read(0x413, 2);
	state.ebda_kib = state.ebda_segment ? (uint8_t)low_read((uint32_t)state.ebda_segment << 4, 1)
					    : 0;
	state.ticks = low_read(0x46C, 4);
	for (unsigned irq = 0; irq < 16; irq++) {
		unsigned vector = irq < 8 ? 0x08 + irq : 0x70 + irq - 8;

		if (low_read(vector * 4, 4) != 0)
			state.hardware_vectors_set |= 1u << irq;
	}
	state.rtc_seconds = rtc_time_of_day();
	state.cmos_base_kib = cmos_read16(0x15);
	state.cmos_extended_kib = cmos_read16(0x17);
	state.cmos_extended_kib_copy = cmos_read16(0x30);
	state.cmos_above_16m = cmos_read16(0x34);
	bios_state_quiesce();
}

const struct bios_state *bios_state(void)
{
	return &state;
}

void bios_state_quiesce(void)
{
	pic_set_mask(PIC_MASTER, PIC_ALL_MASKED);
	pic_set_mask(PIC_SLAVE, PIC_ALL_MASKED);
	pit_hold(PIT_MODE_RATE_GENERATOR);
}

void bios_state_restore(void)
{
	/* ICW1-ICW4 as the BIOS writes them (edge-triggered, cascade, 8086 mode), its masks. */
	pic_init(BIOS_PIC_MASTER_BASE, BIOS_PIC_SLAVE_BASE);
	pic_set_mask(PIC_MASTER, state.pic_master_mask);
	pic_set_mask(PIC_SLAVE, state.pic_slave_mask);
	if (xapic_on()) {
		*xapic_register(XAPIC_SVR) = BIOS_APIC_SVR;
		*xapic_register(XAPIC_LINT0) = BIOS_APIC_LINT0;
		*xapic_register(XAPIC_LINT1) = BIOS_APIC_LINT1;
	} else if (cpu_rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_EXTD) {
		/* An earlier scenario left x2APIC mode, which only a reset leaves: the same
		 * registers through their MSRs (SDM Vol. 3A §11.12.1.2, Table 11-6). */
		cpu_wrmsr(X2APIC_MSR(XAPIC_SVR), BIOS_APIC_SVR);
		cpu_wrmsr(X2APIC_MSR(XAPIC_LINT0), BIOS_APIC_LINT0);
		cpu_wrmsr(X2APIC_MSR(XAPIC_LINT1), BIOS_APIC_LINT1);
	}
	pit_start(PIT_MODE_RATE_GENERATOR, 0); /* 65536: 18.2 Hz */
}
