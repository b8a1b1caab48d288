/* SPDX-License-Identifier: MIT */
/*
 * The host's processors as the firmware's ACPI tables list them: the RSDP → XSDT (or RSDT) →
 * MADT walk and the MADT's Processor Local APIC (type 0) and Processor Local x2APIC (type 9)
 * entries (ACPI Specification 6.5, §5.2.5.3 "Root System Description Pointer (RSDP)
 * Structure", §5.2.8 "Extended System Description Table (XSDT)", §5.2.12 "Multiple APIC
 * Description Table (MADT)", §5.2.12.2 and §5.2.12.12).
 *
 * Plain C: tables are read through `memory + physical address`, so the EFI build passes
 * memory = NULL (identity) and the host tests pass a buffer holding tables built by
 * devices/acpi_tables.c at guest-physical addresses.
 */
#ifndef APICVISOR_MADT_H
#define APICVISOR_MADT_H

#include "../lib/klib.h"

#define MADT_MAX_HOST_CPUS 64

/* One processor the MADT lists as usable now. */
struct madt_cpu {
	uint32_t apic_id;
	uint32_t uid;
};

/* The MADT's usable processors, in table order (the order firmware started them; the BSP is
 * not necessarily first: compare with the running CPU's APIC ID). */
struct madt_cpus {
	unsigned count;                    /* entries in cpus[] */
	unsigned skipped_disabled;         /* neither enabled nor online-capable */
	unsigned skipped_online_capable;   /* online-capable but not enabled (hot-add slots) */
	unsigned overflow;                 /* usable beyond MADT_MAX_HOST_CPUS */
	struct madt_cpu cpus[MADT_MAX_HOST_CPUS];
};

/*
 * Finds the table with `signature` through the RSDP at `rsdp_address` (XSDT when revision >= 2
 * and its address is set, else RSDT), checking signatures, lengths and checksums. Returns its
 * physical address and length, or 0 with a reason in `err`.
 */
uint64_t acpi_find_table(const uint8_t *memory, uint64_t rsdp_address, const char signature[4],
			 uint32_t *length, char *err, size_t err_size);

/* Parses the MADT at `madt_address` (length from acpi_find_table). Returns 0, or -1 with the
 * reason in `err` (a malformed entry). */
int madt_parse_cpus(const uint8_t *memory, uint64_t madt_address, uint32_t length,
		    struct madt_cpus *out, char *err, size_t err_size);

#endif
