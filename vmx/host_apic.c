/* SPDX-License-Identifier: MIT */
#include "host_apic.h"

#include "../apicv/apic_regs.h"
#include "../boot/x86.h"

#define X2APIC_MSR(offset) (0x800u + ((offset) >> 4))
#define ICR_DELIVERY_NMI (4u << 8)
#define ICR_DELIVERY_INIT (5u << 8)
#define ICR_DELIVERY_STARTUP (6u << 8)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_SEND_PENDING (1u << 12)
/* Polls of the xAPIC ICR's delivery status before a send goes on regardless. */
#define ICR_IDLE_POLLS 100000
#define ICR_SHORTHAND_SELF (1u << 18)
#define LVT_MASKED (1u << 16)

static bool x2apic(void)
{
	return rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_X2APIC_ENABLE;
}

bool host_apic_x2apic(void)
{
	return x2apic();
}

static volatile uint32_t *mmio(uint32_t offset)
{
	return (volatile uint32_t *)(uintptr_t)((rdmsr(MSR_IA32_APIC_BASE) & ~0xFFFull) + offset);
}

static uint32_t read_reg(uint32_t offset)
{
	return x2apic() ? (uint32_t)rdmsr(X2APIC_MSR(offset)) : *mmio(offset);
}

static void write_reg(uint32_t offset, uint32_t value)
{
	if (x2apic())
		wrmsr(X2APIC_MSR(offset), value);
	else
		*mmio(offset) = value;
}

void host_apic_eoi(void)
{
	write_reg(APIC_EOI, 0);
}

void host_apic_send_self(uint8_t vector)
{
	if (x2apic())
		wrmsr(X2APIC_MSR(APIC_SELF_IPI), vector);
	else
		*mmio(APIC_ICR_LOW) = ICR_SHORTHAND_SELF | vector;
}

void host_apic_send_self_nmi(void)
{
	if (x2apic()) {
		uint64_t id = rdmsr(X2APIC_MSR(APIC_ID));

		wrmsr(X2APIC_MSR(APIC_ICR_LOW), id << 32 | ICR_DELIVERY_NMI);
	} else {
		*mmio(APIC_ICR_HIGH) = *mmio(APIC_ID) & 0xFF000000u;
		*mmio(APIC_ICR_LOW) = ICR_DELIVERY_NMI;
	}
}

uint32_t host_apic_id(void)
{
	/* xAPIC: ID[31:24]; x2APIC: the 32-bit x2APIC ID (SDM Vol. 3A §11.4.6, §11.12.5.1). */
	return x2apic() ? (uint32_t)rdmsr(X2APIC_MSR(APIC_ID)) : *mmio(APIC_ID) >> 24;
}

/* An IPI with no shorthand to `apic_id`. In xAPIC mode the previous one must have left the ICR
 * (delivery status idle, SDM Vol. 3A §11.6.1) and the destination goes in first, since writing
 * the low dword sends; x2APIC's ICR is one MSR write (§11.12.9). */
static void send_ipi(uint32_t apic_id, uint32_t low)
{
	if (x2apic()) {
		wrmsr(X2APIC_MSR(APIC_ICR_LOW), (uint64_t)apic_id << 32 | low);
		return;
	}
	for (unsigned i = 0; i < ICR_IDLE_POLLS && (*mmio(APIC_ICR_LOW) & ICR_SEND_PENDING); i++)
		__asm__ volatile("pause");
	*mmio(APIC_ICR_HIGH) = apic_id << 24;
	*mmio(APIC_ICR_LOW) = low;
}

void host_apic_send_init(uint32_t apic_id)
{
	send_ipi(apic_id, ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT);
}

void host_apic_send_startup(uint32_t apic_id, uint8_t vector)
{
	send_ipi(apic_id, ICR_DELIVERY_STARTUP | ICR_LEVEL_ASSERT | vector);
}

void host_apic_send_fixed(uint32_t apic_id, uint8_t vector)
{
	send_ipi(apic_id, ICR_LEVEL_ASSERT | vector);
}

void host_apic_software_enable(uint8_t spurious_vector)
{
	/* SVR bit 8: a software-disabled local APIC discards fixed interrupts (SDM Vol. 3A
	 * §11.4.7.2), and INIT leaves an AP's that way (SVR = 0xFF, §11.4.7.3). */
	write_reg(APIC_SVR, (read_reg(APIC_SVR) & ~0x1FFu) | 0x100u | spurious_vector);
}

void host_apic_mask_timer(void)
{
	if (!(rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_ENABLE))
		return;
	write_reg(APIC_LVT_TIMER, read_reg(APIC_LVT_TIMER) | LVT_MASKED);
}

bool host_apic_tsc_deadline(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	return r[2] & (1u << 24);
}

void host_apic_timer_deadline_mode(uint8_t vector)
{
	write_reg(APIC_LVT_TIMER, vector | APIC_TIMER_TSC_DEADLINE << APIC_LVT_TIMER_MODE_SHIFT);
}

void host_apic_arm_deadline(uint64_t deadline)
{
	/* The LVT write that chose TSC-deadline mode must be done before the MSR is written
	 * (§11.5.4.1 "TSC-Deadline Mode" suggests MFENCE between the two). */
	__asm__ volatile("mfence" : : : "memory");
	wrmsr(MSR_IA32_TSC_DEADLINE, deadline);
}
