/* SPDX-License-Identifier: MIT */
#include "host_apic.h"

#include "../apicv/apic_regs.h"
#include "../boot/x86.h"

#define X2APIC_MSR(offset) (0x800u + ((offset) >> 4))
#define ICR_DELIVERY_NMI (4u << 8)
#define ICR_SHORTHAND_SELF (1u << 18)
#define LVT_MASKED (1u << 16)

static bool x2apic(void)
{
	return rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_X2APIC_ENABLE;
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

void host_apic_mask_timer(void)
{
	if (!(rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_ENABLE))
		return;
	write_reg(APIC_LVT_TIMER, read_reg(APIC_LVT_TIMER) | LVT_MASKED);
}
