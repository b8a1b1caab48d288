/* SPDX-License-Identifier: MIT */
#include "ioapic.h"

#include <stdint.h>

/* Offsets in the register page (82093AA §3.1; EOI from ICH10 §13.5.4). */
#define IOAPIC_IOREGSEL 0x00u
#define IOAPIC_IOWIN 0x10u
#define IOAPIC_EOIR 0x40u

#define IOAPIC_VERSION_MASK 0xFFu
#define IOAPIC_MAX_ENTRY_SHIFT 16
#define IOAPIC_MAX_ENTRY_MASK 0xFFu
/* Register indices are 8 bits, so 10H-FFH hold at most 120 entries (the 82093AA has 24),
 * whatever a bogus maximum entry field says. */
#define IOAPIC_MAX_PINS 120u

static uint32_t ioapic_version_register;
/* The low dword of each entry as this driver last wrote it (ioapic_set_rte's comment says
 * why); the read-only bits are written as 0, which the I/O APIC ignores. */
static uint32_t ioapic_rte_low[IOAPIC_MAX_PINS];

static void ioapic_mmio_write(uint32_t offset, uint32_t value)
{
	__asm__ volatile("movl %0, (%1)"
			 : : "r"(value), "r"((uintptr_t)(IOAPIC_BASE + offset)) : "memory");
}

static uint32_t ioapic_mmio_read(uint32_t offset)
{
	uint32_t value;

	__asm__ volatile("movl (%1), %0"
			 : "=r"(value) : "r"((uintptr_t)(IOAPIC_BASE + offset)) : "memory");
	return value;
}

uint64_t ioapic_rte_fixed(uint8_t vector, uint8_t apic_id, uint32_t flags)
{
	return ((uint64_t)apic_id << IOAPIC_RTE_DESTINATION_SHIFT) | IOAPIC_RTE_DELIVERY_FIXED |
	       IOAPIC_RTE_DESTINATION_PHYSICAL | flags | vector;
}

uint32_t ioapic_read(uint8_t reg)
{
	ioapic_mmio_write(IOAPIC_IOREGSEL, reg);
	return ioapic_mmio_read(IOAPIC_IOWIN);
}

void ioapic_write(uint8_t reg, uint32_t value)
{
	ioapic_mmio_write(IOAPIC_IOREGSEL, reg);
	ioapic_mmio_write(IOAPIC_IOWIN, value);
}

uint32_t ioapic_probe(void)
{
	ioapic_version_register = ioapic_read(IOAPIC_REG_VERSION);
	return ioapic_version_register;
}

unsigned ioapic_pin_count(void)
{
	unsigned pins = ((ioapic_version_register >> IOAPIC_MAX_ENTRY_SHIFT) &
			 IOAPIC_MAX_ENTRY_MASK) + 1;

	return pins < IOAPIC_MAX_PINS ? pins : IOAPIC_MAX_PINS;
}

bool ioapic_has_eoi_register(void)
{
	return (ioapic_version_register & IOAPIC_VERSION_MASK) >= IOAPIC_VERSION_WITH_EOI;
}

void ioapic_set_rte(unsigned pin, uint64_t rte)
{
	ioapic_write((uint8_t)IOAPIC_REG_RTE_HIGH(pin), (uint32_t)(rte >> 32));
	ioapic_rte_low[pin] = (uint32_t)rte;
	ioapic_write((uint8_t)IOAPIC_REG_RTE_LOW(pin), (uint32_t)rte);
}

void ioapic_mask(unsigned pin)
{
	ioapic_rte_low[pin] |= IOAPIC_RTE_MASKED;
	ioapic_write((uint8_t)IOAPIC_REG_RTE_LOW(pin), ioapic_rte_low[pin]);
}

void ioapic_unmask(unsigned pin)
{
	ioapic_rte_low[pin] &= ~IOAPIC_RTE_MASKED;
	ioapic_write((uint8_t)IOAPIC_REG_RTE_LOW(pin), ioapic_rte_low[pin]);
}

void ioapic_mask_all(void)
{
	for (unsigned pin = 0; pin < ioapic_pin_count(); pin++) {
		ioapic_rte_low[pin] = IOAPIC_RTE_MASKED;
		ioapic_write((uint8_t)IOAPIC_REG_RTE_LOW(pin), IOAPIC_RTE_MASKED);
	}
}

bool ioapic_remote_irr(unsigned pin)
{
	return (ioapic_read((uint8_t)IOAPIC_REG_RTE_LOW(pin)) & IOAPIC_RTE_REMOTE_IRR) != 0;
}

void ioapic_eoi(uint8_t vector)
{
	ioapic_mmio_write(IOAPIC_EOIR, vector);
}
