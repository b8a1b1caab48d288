/* SPDX-License-Identifier: MIT */
/*
 * What the test guest needs to read the ACPI tables an OS finds on a PC (ACPI Specification
 * 6.5, chapter 5.2 "ACPI System Description Tables"): the search for the RSDP, the byte
 * checksum every table carries, little-endian field reads, the offsets of the fields read, and
 * the one register access, the ACPI PM timer's.
 *
 * Tables are read as bytes at the offsets the specification gives (every multi-byte field is
 * little-endian and may be unaligned), not through packed structs. Everything here but
 * acpi_pm_timer_read reads memory only: RAM and the BIOS area, no device.
 */
#ifndef GUEST_ACPI_H
#define GUEST_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "multiboot.h"

/* §5.2.5.3 "Root System Description Pointer (RSDP) Structure". */
#define ACPI_RSDP_SIGNATURE "RSD PTR "
#define ACPI_RSDP_SIGNATURE_SIZE 8u
#define ACPI_RSDP_REVISION 15u           /* 0: ACPI 1.0 (RSDT only); 2: ACPI 2.0 and later */
#define ACPI_RSDP_RSDT_ADDRESS 16u       /* u32 */
#define ACPI_RSDP_V1_SIZE 20u            /* what the checksum at offset 8 covers */
#define ACPI_RSDP_LENGTH 20u             /* u32, revision 2 and later: the whole structure */
#define ACPI_RSDP_XSDT_ADDRESS 24u       /* u64, revision 2 and later */
#define ACPI_RSDP_V2_SIZE 36u            /* revision 2 and later; the extended checksum at 32
					  * covers `length` bytes */
#define ACPI_RSDP_REVISION_2 2u

/* §5.2.6 "System Description Table Header". */
#define ACPI_SDT_SIGNATURE 0u            /* 4 characters */
#define ACPI_SDT_SIGNATURE_SIZE 4u
#define ACPI_SDT_LENGTH 4u               /* u32: the whole table, header included */
#define ACPI_SDT_HEADER_SIZE 36u

/* §5.2.7 RSDT and §5.2.8 XSDT: after the header, 32- or 64-bit table addresses. */
#define ACPI_RSDT_ENTRY_SIZE 4u
#define ACPI_XSDT_ENTRY_SIZE 8u

/* §5.2.9 "Fixed ACPI Description Table (FADT)", signature "FACP". Fields past the length of an
 * older FADT (ACPI 1.0's is 116 bytes, QEMU's pc machine still builds one) are absent. */
#define ACPI_FADT_FIRMWARE_CTRL 36u      /* u32: the FACS */
#define ACPI_FADT_DSDT 40u               /* u32 */
#define ACPI_FADT_PM_TMR_BLK 76u         /* u32: the PM timer's port */
#define ACPI_FADT_PM_TMR_LEN 91u         /* u8: 4 when there is a PM timer */
#define ACPI_FADT_FLAGS 112u             /* u32 */
#define ACPI_FADT_X_FIRMWARE_CTRL 132u   /* u64 */
#define ACPI_FADT_X_DSDT 140u            /* u64 */
#define ACPI_FADT_X_PM_TMR_BLK 208u      /* Generic Address Structure */
#define ACPI_FADT_FLAG_TMR_VAL_EXT (1u << 8) /* the PM timer counts 32 bits, not 24 */
#define ACPI_PM_TMR_LEN 4u

/* §5.2.3.2 "Generic Address Structure (GAS)". */
#define ACPI_GAS_SPACE_ID 0u             /* u8 */
#define ACPI_GAS_ADDRESS 4u              /* u64 */
#define ACPI_GAS_SIZE 12u
#define ACPI_GAS_SPACE_SYSTEM_IO 1u

/* §5.2.10 "Firmware ACPI Control Structure (FACS)": no checksum; 64-byte aligned. */
#define ACPI_FACS_SIGNATURE "FACS"
#define ACPI_FACS_LENGTH 4u              /* u32, at least 64 */
#define ACPI_FACS_MIN_SIZE 64u
#define ACPI_FACS_ALIGNMENT 64u

/* §5.2.12 "Multiple APIC Description Table (MADT)", signature "APIC", and its interrupt
 * controller structures: type (u8) and length (u8), then the fields below. */
#define ACPI_MADT_LOCAL_APIC_ADDRESS 36u /* u32 */
#define ACPI_MADT_HEADER_SIZE 44u        /* the structures follow */
#define ACPI_MADT_ENTRY_TYPE 0u
#define ACPI_MADT_ENTRY_LENGTH 1u
#define ACPI_MADT_ENTRY_MIN_SIZE 2u
/* §5.2.12.2 "Processor Local APIC Structure". */
#define ACPI_MADT_TYPE_LOCAL_APIC 0u
#define ACPI_MADT_LOCAL_APIC_SIZE 8u
#define ACPI_MADT_LOCAL_APIC_ID 3u       /* u8 */
#define ACPI_MADT_LOCAL_APIC_FLAGS 4u    /* u32 */
#define ACPI_MADT_LOCAL_APIC_ENABLED (1u << 0)
/* §5.2.12.12 "Processor Local x2APIC Structure": for APIC IDs that do not fit in 8 bits. */
#define ACPI_MADT_TYPE_LOCAL_X2APIC 9u
#define ACPI_MADT_LOCAL_X2APIC_SIZE 16u
#define ACPI_MADT_LOCAL_X2APIC_ID 4u     /* u32 */
#define ACPI_MADT_LOCAL_X2APIC_FLAGS 8u  /* u32, as the Processor Local APIC's */
/* §5.2.12.3 "I/O APIC Structure". */
#define ACPI_MADT_TYPE_IO_APIC 1u
#define ACPI_MADT_IO_APIC_SIZE 12u
#define ACPI_MADT_IO_APIC_ADDRESS 4u     /* u32 */
#define ACPI_MADT_IO_APIC_GSI_BASE 8u    /* u32 */
/* §5.2.12.5 "Interrupt Source Override Structure". */
#define ACPI_MADT_TYPE_INTERRUPT_OVERRIDE 2u
#define ACPI_MADT_INTERRUPT_OVERRIDE_SIZE 10u
#define ACPI_MADT_OVERRIDE_BUS 2u        /* u8: 0, ISA */
#define ACPI_MADT_OVERRIDE_SOURCE 3u     /* u8: the ISA IRQ */
#define ACPI_MADT_OVERRIDE_GSI 4u        /* u32 */

/* §4.8.3.3 "Power Management Timer (PM_TMR)": 3.579545 MHz. */
#define ACPI_PM_TIMER_HZ 3579545u

uint16_t acpi_read16(const uint8_t *bytes, size_t offset);
uint32_t acpi_read32(const uint8_t *bytes, size_t offset);
uint64_t acpi_read64(const uint8_t *bytes, size_t offset);

/* The sum of `length` bytes modulo 256: 0 for a table whose checksum byte is right (§5.2.6:
 * "Entire table must sum to zero"). */
uint8_t acpi_byte_sum(const uint8_t *bytes, size_t length);

/*
 * The RSDP search of §5.2.5.1 "Finding the RSDP on IA-PC Systems": the signature on a 16-byte
 * boundary, first in the first KiB of the Extended BIOS Data Area, whose segment is the 16-bit
 * word at 40:0EH of the BIOS data area, then in the BIOS read-only area 0xE0000-0xFFFFF. A
 * candidate counts when the checksum of its first 20 bytes is right and, for revision 2 and
 * later, the extended checksum over its `length` bytes too (a length below 36 or above
 * ACPI_RSDP_MAX_LENGTH is a bad one); others are passed over, as an OS does, and counted.
 */
#define ACPI_RSDP_MAX_LENGTH 4096u

struct acpi_rsdp_search {
	uint32_t ebda;               /* the EBDA's address; 0: not scanned (see acpi.c) */
	uint32_t rsdp;               /* the first good RSDP; 0: none */
	unsigned rejected;           /* signatures passed over for a checksum or length */
	uint32_t first_rejected;     /* where the first of them was */
};

void acpi_find_rsdp(struct acpi_rsdp_search *search);

/*
 * The first table with `signature` (4 characters) that the root table lists: the XSDT where a
 * revision 2 RSDP has one, else the RSDT. The root table and each candidate are taken only
 * where they lie below 4 GiB, whole, inside one memory map entry that is not available RAM (as
 * ACPI tables must; under apicvisor a read outside guest RAM would end the run, so nothing is
 * read before its place is checked), with a length from 36 bytes to 1 MiB and bytes summing to
 * 0. NULL when there is no such table, or no memory map to check places against. Memory reads
 * only (acpi_find_rsdp's among them).
 */
const uint8_t *acpi_find_table(const struct multiboot_info *info, const char *signature);

/* The PM timer's count: 1 IN32 from `port` (24 bits wide unless TMR_VAL_EXT). */
uint32_t acpi_pm_timer_read(uint16_t port);

#endif
