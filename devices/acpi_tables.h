/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables the guest finds, written into guest RAM before it starts (ACPI Specification
 * 6.5, chapter 5.2 "ACPI System Description Tables"), describing the platform QEMU's pc machine
 * presents, so an OS written for it finds what it expects:
 *
 *   RSDP  "RSD PTR ", revision 2, at rsdp_gpa: 16-byte aligned in 0xE0000..0xFFFFF, where an OS
 *         scans for it (§5.2.5.1 "Finding the RSDP on IA-PC Systems"); holds the RSDT and XSDT
 *         addresses and both checksums (§5.2.5.3 "Root System Description Pointer (RSDP)
 *         Structure")
 *   RSDT, XSDT  the FADT, the MADT and the HPET table, 32- and 64-bit pointers (§5.2.7, §5.2.8)
 *   FADT  revision 6.5 (§5.2.9 "Fixed ACPI Description Table (FADT)"): SCI IRQ, PM1a event and
 *         control blocks, PM timer block (TMR_VAL_EXT for a 32-bit timer), X_ fields (Generic
 *         Address Structures, §5.2.3.2) equal to the legacy ones, FACS and DSDT pointers. No
 *         SMI command port (SMI_CMD = 0): OSPM takes the platform to be in ACPI mode already
 *         (ACPICA's acpi_hw_get_mode returns ACPI mode without reading SCI_EN). The PM1a
 *         registers themselves are platform/platform_irq.c's.
 *   FACS  64 bytes, 64-byte aligned (§5.2.10): no waking vector, global lock free
 *   DSDT  a definition block whose AML names \_S5 (soft off, SLP_TYP 0, as QEMU's): an OS
 *         powers off through PM1a_CNT
 *   MADT  revision 6 (§5.2.12): LAPIC at 0xFEE00000, PCAT_COMPAT; one enabled Processor Local
 *         APIC per CPU (UID = APIC ID = 0..n-1); one I/O APIC (GSI base 0) at 0xFEC00000;
 *         Interrupt Source Overrides ISA IRQ0 -> GSI 2 (flags 0, "conforms to the bus") and the
 *         SCI IRQ -> same GSI (active high, level), both as QEMU emits them; a Local APIC NMI on
 *         LINT1 for all processors (UID 0xFF, flags 0), as QEMU's.
 *   HPET  (IA-PC HPET Specification 1.0a, "HPET Description Table") the event timer block at
 *         ACPI_HPET_ADDRESS with ID ACPI_HPET_BLOCK_ID (what devices/hpet.c's capabilities
 *         register holds in its low half), minimum tick 0x80, as QEMU's pc machine
 *
 * OEM ID "APICVR", OEM table ID "APICVISR", creator "APVR" in every header.
 *
 * Where the tables go is the caller's choice (tables_gpa); this module checks that they fit in
 * guest RAM below 4 GiB and do not overlap the RSDP. The defaults below put everything in
 * 0xF0000..0xFFFFF, which the multiboot memory map reports as reserved, so a guest does not
 * reuse that memory (§5.2.10: the FACS "must not be reported as system AddressRangeMemory").
 * Tables placed elsewhere, e.g. at the top of RAM, need the memory map to reserve them, which
 * boot/multiboot.c does not do. Guest RAM elsewhere in 0xE0000..0xFFFFF is not touched: the caller should
 * zero that area first, so that no stale bytes there pass for another RSDP (guest RAM is not
 * zeroed as a whole).
 *
 * Plain C, no VMX or UEFI: unit-tested on the host by parsing the result as an OS does.
 */
#ifndef APICVISOR_ACPI_TABLES_H
#define APICVISOR_ACPI_TABLES_H

#include "../lib/klib.h"

#define ACPI_RSDP_SCAN_START 0xe0000u     /* §5.2.5.1: the BIOS read-only area */
#define ACPI_RSDP_SCAN_END 0x100000u
#define ACPI_RSDP_SIZE 36u

#define ACPI_LOCAL_APIC_ADDRESS 0xfee00000u
#define ACPI_IO_APIC_ADDRESS 0xfec00000u
#define ACPI_HPET_ADDRESS 0xfed00000u
/* Event Timer Block ID: revision 1, 3 comparators (NUM_TIM_CAP 2), 64-bit counter, legacy
 * replacement capable, vendor 8086H: QEMU's, and devices/hpet.c's GCAP_ID low half. */
#define ACPI_HPET_BLOCK_ID 0x8086a201u

#define ACPI_MAX_CPUS 255u                /* xAPIC IDs 0..254 (0xFF is the broadcast ID) */

/* QEMU pc conventions (PIIX4/ICH9 PM I/O base 0x600). */
#define ACPI_DEFAULT_RSDP_GPA 0xf0000u
#define ACPI_DEFAULT_TABLES_GPA 0xf1000u
#define ACPI_DEFAULT_SCI_IRQ 9u
#define ACPI_DEFAULT_PM1A_EVENT_PORT 0x600u    /* PM1_STS, PM1_EN: 4 bytes */
#define ACPI_DEFAULT_PM1A_CONTROL_PORT 0x604u  /* PM1_CNT: 2 bytes */
#define ACPI_DEFAULT_PM_TIMER_PORT 0x608u      /* PM_TMR: 4 bytes */

/* What the tables describe; the caller fills it (acpi_platform_defaults gives QEMU's). */
struct acpi_platform {
	uint32_t rsdp_gpa;            /* 16-byte aligned, RSDP within 0xE0000..0xFFFFF */
	uint32_t tables_gpa;          /* 64-byte aligned (the FACS needs it) */
	unsigned cpu_count;           /* 1..ACPI_MAX_CPUS: APIC IDs 0..cpu_count-1 */
	uint8_t ioapic_id;
	uint8_t sci_irq;              /* ISA IRQ 1..15 except 2 */
	uint16_t pm1a_event_port;     /* PM1a_EVT_BLK, 4 bytes */
	uint16_t pm1a_control_port;   /* PM1a_CNT_BLK, 2 bytes */
	uint16_t pm_timer_port;       /* PM_TMR_BLK, 4 bytes */
	bool pm_timer_32bit;          /* sets TMR_VAL_EXT; see devices/pm_timer.h */
};

/* QEMU pc values: the defaults above, I/O APIC ID 0, a 32-bit PM timer. */
void acpi_platform_defaults(struct acpi_platform *p, unsigned cpu_count);

/* Bytes the tables take from tables_gpa (the RSDP not included); 0 for a bad cpu_count. */
size_t acpi_tables_size(unsigned cpu_count);

/*
 * Writes the RSDP at p->rsdp_gpa and the other tables from p->tables_gpa into guest RAM (host
 * pointer to guest-physical 0, ram_bytes long). Returns 0, or -1 with a message naming the
 * defect and nothing written: RAM below 1 MiB, RSDP misaligned or outside the scanned area,
 * tables misaligned, beyond RAM or 4 GiB, overlapping the RSDP, CPU count or SCI IRQ out of
 * range, PM register blocks at port 0, overlapping or past 0xFFFF.
 */
int acpi_build_tables(uint8_t *guest_ram, uint64_t ram_bytes, const struct acpi_platform *p,
		      char *err, size_t len);

#endif
