/* SPDX-License-Identifier: MIT */
/*
 * A driver for the I/O APIC at 0xFEC00000, the address QEMU's pc machine and apicvisor place
 * it at. Its registers are reached indirectly: a 32-bit write of the register's index to
 * IOREGSEL (offset 00H), then a 32-bit read or write of IOWIN (offset 10H) (Intel 82093AA I/O
 * APIC datasheet, §3.1 "Memory Mapped Registers for Accessing IOAPIC Registers"). I/O APICs of
 * version 20H and above (those of Intel's chipsets since the ICH; QEMU's default) also have an
 * EOI register at offset 40H: writing a vector clears the remote IRR of the level-triggered
 * entries with that vector (Intel I/O Controller Hub 10 (ICH10) Family Datasheet, §13.5.4
 * "EOIR—EOI Register").
 *
 * Every function is a few MMIO accesses, each a plain 32-bit MOV through a register (8B /r and
 * 89 /r), and says which: a hypervisor counts them as exits. The IOREGSEL/IOWIN pair is not
 * atomic: an interrupt handler that uses this driver must only run while the main flow is not
 * in the middle of one (the scenarios' main flows wait with IF = 1 only between calls).
 */
#ifndef GUEST_IOAPIC_H
#define GUEST_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_BASE 0xFEC00000u

/* Registers behind IOWIN, by index (82093AA §3.2 "IOAPIC Registers", Table 2). */
#define IOAPIC_REG_ID 0x00u
#define IOAPIC_REG_VERSION 0x01u          /* bits 23:16 highest entry index, 7:0 version */
#define IOAPIC_REG_RTE_LOW(pin) (0x10u + 2u * (pin))
#define IOAPIC_REG_RTE_HIGH(pin) (0x11u + 2u * (pin))

/* The lowest version with the EOI register (ICH10 §13.5.4). */
#define IOAPIC_VERSION_WITH_EOI 0x20u

/* Redirection table entry bits (82093AA §3.2.4 "IOREDTBL[23:0]—I/O Redirection Table
 * Registers"). Delivery modes are those of the ICR and the MSI data register. */
#define IOAPIC_RTE_DELIVERY_FIXED (0u << 8)
#define IOAPIC_RTE_DELIVERY_EXTINT (7u << 8)
#define IOAPIC_RTE_DESTINATION_PHYSICAL (0u << 11)
/* Logical: bits 63:56 are a logical destination the local APICs match against their LDR and
 * DFR as they do for IPIs (82093AA §3.2.4, "Destination Mode"; SDM Vol. 3A §11.6.2.2). */
#define IOAPIC_RTE_DESTINATION_LOGICAL (1u << 11)
#define IOAPIC_RTE_DELIVERY_STATUS (1u << 12) /* read only: a message is on its way */
#define IOAPIC_RTE_ACTIVE_HIGH (0u << 13)
#define IOAPIC_RTE_ACTIVE_LOW (1u << 13)
/* Read only, "used for level triggered interrupts. Its meaning is undefined for edge
 * triggered interrupts": set when a LAPIC accepts the level interrupt, cleared by the EOI
 * message with its vector (82093AA Table 5). */
#define IOAPIC_RTE_REMOTE_IRR (1u << 14)
#define IOAPIC_RTE_EDGE (0u << 15)
#define IOAPIC_RTE_LEVEL (1u << 15)
#define IOAPIC_RTE_MASKED (1u << 16)
#define IOAPIC_RTE_DESTINATION_SHIFT 56   /* bits 63:56, the APIC ID in physical mode */

/* A fixed, physical-destination entry for `vector` to the APIC with ID `apic_id`; `flags` adds
 * the trigger mode, polarity and mask bits. No access. */
uint64_t ioapic_rte_fixed(uint8_t vector, uint8_t apic_id, uint32_t flags);

/* One register: IOREGSEL write, then IOWIN read or write (2 accesses). */
uint32_t ioapic_read(uint8_t reg);
void ioapic_write(uint8_t reg, uint32_t value);

/* Reads VER (2 accesses) and keeps what it says; returns it. Call before the others. */
uint32_t ioapic_probe(void);
/* From the last ioapic_probe (no access): how many pins, whether there is an EOI register. */
unsigned ioapic_pin_count(void);
bool ioapic_has_eoi_register(void);

/*
 * Writes an entry: the high dword first, then the low one, so that the entry is whole when
 * the low dword's mask bit opens it (4 accesses). The driver keeps the low dword it wrote, so
 * that ioapic_mask and ioapic_unmask need not read the entry back.
 */
void ioapic_set_rte(unsigned pin, uint64_t rte);
/* Writes the low dword kept by ioapic_set_rte with the mask bit set or clear (2 accesses). */
void ioapic_mask(unsigned pin);
void ioapic_unmask(unsigned pin);
/* Every pin masked, destination 0: the low dword only, as IOAPIC_RTE_MASKED (2 accesses per
 * pin). */
void ioapic_mask_all(void);

/* Reads the low dword of the entry (2 accesses) and returns its remote IRR bit. */
bool ioapic_remote_irr(unsigned pin);

/* Writes `vector` to the EOI register (1 access); only where ioapic_has_eoi_register(). */
void ioapic_eoi(uint8_t vector);

#endif
