/* SPDX-License-Identifier: MIT */
/*
 * The scenarios of the platform's firmware interfaces, which an OS reads before it drives a
 * device: the ACPI tables (acpi-tables) and QEMU's fw_cfg (fw-cfg). Both run under plain QEMU,
 * whose ACPI tables SeaBIOS installs, and under apicvisor, whose devices/acpi_tables.c and
 * devices/fw_cfg.c present the same pc platform; so they check what the two have in common,
 * not either one's exact bytes. What each touches is listed in scenarios.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi.h"
#include "cpu.h"
#include "fw_cfg.h"
#include "ioapic.h"
#include "lapic.h"
#include "lib/string.h"
#include "multiboot.h"
#include "scenario_apic_kit.h"
#include "scenario_kit.h"

#define SCENARIO_PLATFORM_4_GIB 0x100000000ull
#define SCENARIO_PLATFORM_MIB (1ull << 20)

/* ------------------------------------------------------------------------------------------ */
/* acpi-tables: the RSDP found as an OS finds it, every table the root table lists (and the
 * DSDT and FACS the FADT points to) whole and with the right checksum, in memory the multiboot
 * memory map does not offer as available RAM; the MADT describing this platform's APICs; the
 * FADT's PM timer counting. */

/* Longer is taken for a wild length field rather than read: SeaBIOS's largest table, the DSDT,
 * is a few KiB. */
#define SCENARIO_ACPI_MAX_TABLE_BYTES SCENARIO_PLATFORM_MIB
/* ACPI 1.0's FADT, the shortest with the FLAGS field (QEMU's pc machine builds this one). */
#define SCENARIO_ACPI_FADT_MIN_SIZE 116u
/* Where the pc platform's local APICs are (IA32_APIC_BASE's reset value). */
#define SCENARIO_ACPI_LOCAL_APIC_ADDRESS 0xFEE00000u
/* The ISA override every pc platform has: IRQ 0 (the PIT) on GSI 2. */
#define SCENARIO_ACPI_ISA_BUS 0u
#define SCENARIO_ACPI_IRQ0_GSI 2u
#define SCENARIO_ACPI_PM_TIMER_24BIT_MASK 0xFFFFFFu
/* The TSC delay between the two PM timer reads: 2 ms where CPUID gives the TSC's frequency, a
 * fixed count otherwise (2 ms of a 2.5 GHz TSC, 1.25 s of the ~4 MHz one Bochs shows). Either
 * stays below the 4.69 s in which a 24-bit PM timer wraps, so the difference of two reads is
 * the ticks between them. */
#define SCENARIO_ACPI_PM_DELAY_MS 2u
#define SCENARIO_ACPI_PM_FALLBACK_DELAY_CYCLES 5000000ull
/* A measured rate further than this from 3579.545 ticks per ms fails the scenario. The two
 * reads are each timed right after their IN, so under a hypervisor both intervals' ends sit at
 * the same point of a read's exit and the error is the jitter between two exits, a few dozen
 * TSC cycles of the 2 ms measured (Bochs: 3579 ticks per ms); 2% is well above that and still
 * catches a PM timer counting another clock (the PIT's 1.193182 MHz, the TSC) or at a rate
 * derived from a wrong TSC frequency. */
#define SCENARIO_ACPI_PM_TOLERANCE_PERCENT 2u

/* Set by the prepare step: what CPUID says of the TSC's frequency (scenario_kit.h). */
static struct scenario_clocks scenario_acpi_clocks;

/* The xAPIC prepare, whose lapic_setup reads the APIC ID the MADT must list from the xAPIC ID
 * register (FEE00020H, bits 31:24) whatever mode an earlier scenario left, then the TSC
 * frequency: their accesses and CPUIDs are exits that are not the scenario's. */
static enum scenario_failure scenario_acpi_prepare(struct scenario_state *state)
{
	enum scenario_failure prepared = scenario_apic_prepare_xapic(state);

	if (prepared == SCENARIO_PASSED)
		scenario_read_clocks(&scenario_acpi_clocks);
	return prepared;
}

static const uint8_t *scenario_acpi_pointer(uint64_t address)
{
	return (const uint8_t *)(uintptr_t)address;
}

static bool scenario_acpi_signature_is(const uint8_t *table, const char *signature)
{
	return memcmp(table + ACPI_SDT_SIGNATURE, signature, ACPI_SDT_SIGNATURE_SIZE) == 0;
}

/* Whether [address, address + length) lies in one memory map entry that is not available RAM:
 * ACPI tables go in memory the map reports reserved, ACPI reclaimable or ACPI NVS (ACPI 6.5
 * chapter 15 "System Address Map Interfaces"; of the FACS §5.2.10 says it "must not be
 * reported as system AddressRangeMemory"), where an OS does not reuse them. Checked before
 * anything is read there: under apicvisor a read outside guest RAM ends the run. Without a
 * memory map (noted once by the caller) there is nothing to check against. */
static bool scenario_acpi_placed(struct scenario_state *state, const char *what,
				 uint64_t address, uint64_t length)
{
	const struct multiboot_info *info = state->context->boot_info;

	if (!(info->flags & MULTIBOOT_INFO_MEM_MAP))
		return true;

	uint32_t type = multiboot_mmap_type_at(info, address, length);

	if (type == MULTIBOOT_MMAP_NONE) {
		scenario_note(state, "%s [0x%lx, 0x%lx) is not inside one memory map entry", what,
			      address, address + length);
		return false;
	}
	if (type == MULTIBOOT_MMAP_AVAILABLE) {
		scenario_note(state, "%s [0x%lx, 0x%lx) lies in memory the map reports available: "
			      "an OS would reuse it", what, address, address + length);
		return false;
	}
	return true;
}

/* Notes a signature the check did not want, printably. */
static void scenario_acpi_note_signature(struct scenario_state *state, const char *what,
					 uint64_t address, const uint8_t *signature,
					 const char *expected)
{
	for (unsigned i = 0; i < ACPI_SDT_SIGNATURE_SIZE; i++) {
		if (signature[i] < 0x20 || signature[i] > 0x7E) {
			scenario_note(state, "%s at 0x%lx has signature 0x%08x, expected %s", what,
				      address, acpi_read32(signature, 0), expected);
			return;
		}
	}
	scenario_note(state, "%s at 0x%lx has signature %.4s, expected %s", what, address,
		      (const char *)signature, expected);
}

/*
 * A System Description Table (§5.2.6) at `address`: below 4 GiB (the guest maps no more), in
 * reserved memory, `signature` (NULL: any), a length of at least `min_length` bytes, and bytes
 * that sum to 0 ("Entire table must sum to zero"). Returns the table, or NULL with the defect
 * noted and *failure set (kept if already set).
 */
static const uint8_t *scenario_acpi_table(struct scenario_state *state, const char *what,
					  uint64_t address, const char *signature,
					  uint32_t min_length, enum scenario_failure *failure)
{
	if (address == 0 || address > SCENARIO_PLATFORM_4_GIB - ACPI_SDT_HEADER_SIZE) {
		scenario_note(state, "%s is at 0x%lx, outside the first 4 GiB, which the guest maps",
			      what, address);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
		return NULL;
	}
	if (!scenario_acpi_placed(state, what, address, ACPI_SDT_HEADER_SIZE)) {
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
		return NULL;
	}

	const uint8_t *table = scenario_acpi_pointer(address);
	uint32_t length = acpi_read32(table, ACPI_SDT_LENGTH);

	if (signature != NULL && !scenario_acpi_signature_is(table, signature)) {
		scenario_acpi_note_signature(state, what, address, table, signature);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
		return NULL;
	}
	if (length < min_length || length > SCENARIO_ACPI_MAX_TABLE_BYTES ||
	    address + length > SCENARIO_PLATFORM_4_GIB) {
		scenario_note(state, "%s at 0x%lx (%.4s) has length %u, outside %u..%lu", what,
			      address, (const char *)table, length, min_length,
			      (uint64_t)SCENARIO_ACPI_MAX_TABLE_BYTES);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
		return NULL;
	}
	if (!scenario_acpi_placed(state, what, address, length)) {
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
		return NULL;
	}

	uint8_t sum = acpi_byte_sum(table, length);

	if (sum != 0) {
		scenario_note(state, "%s at 0x%lx (%.4s, %u bytes): its bytes sum to 0x%x, not 0",
			      what, address, (const char *)table, length, sum);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
		return NULL;
	}
	return table;
}

/* What the walk of the root table found. */
struct scenario_acpi_tables {
	unsigned count;              /* good tables the root lists */
	const uint8_t *madt;         /* the first "APIC", NULL: none */
	const uint8_t *fadt;         /* the first "FACP", NULL: none */
};

/* The XSDT where the RSDP has one (revision 2 and later: "An ACPI-compatible OS must use the
 * XSDT if present", §5.2.8), else the RSDT; every table it lists is checked. */
static void scenario_acpi_walk_root(struct scenario_state *state, const uint8_t *rsdp,
				    struct scenario_acpi_tables *found,
				    enum scenario_failure *failure)
{
	uint64_t xsdt = 0;

	if (rsdp[ACPI_RSDP_REVISION] >= ACPI_RSDP_REVISION_2) {
		xsdt = acpi_read64(rsdp, ACPI_RSDP_XSDT_ADDRESS);
		if (xsdt == 0)
			scenario_note(state, "the revision %u RSDP has no XSDT: the RSDT is used",
				      rsdp[ACPI_RSDP_REVISION]);
	}

	bool extended = xsdt != 0;
	const char *name = extended ? "XSDT" : "RSDT";
	size_t entry_size = extended ? ACPI_XSDT_ENTRY_SIZE : ACPI_RSDT_ENTRY_SIZE;
	uint64_t root_address = extended ? xsdt : acpi_read32(rsdp, ACPI_RSDP_RSDT_ADDRESS);
	const uint8_t *root = scenario_acpi_table(state, extended ? "the XSDT" : "the RSDT",
						  root_address, name, ACPI_SDT_HEADER_SIZE,
						  failure);

	if (root == NULL)
		return;

	uint32_t body = acpi_read32(root, ACPI_SDT_LENGTH) - ACPI_SDT_HEADER_SIZE;

	if (body % entry_size != 0) {
		scenario_note(state, "the %s's %u bytes of entries are not a whole number of "
			      "%lu-byte addresses", name, body, (uint64_t)entry_size);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
	}
	for (size_t at = ACPI_SDT_HEADER_SIZE; at + entry_size <= ACPI_SDT_HEADER_SIZE + body;
	     at += entry_size) {
		uint64_t address = extended ? acpi_read64(root, at) : acpi_read32(root, at);
		const uint8_t *table = scenario_acpi_table(state, "a table the root lists", address,
							   NULL, ACPI_SDT_HEADER_SIZE, failure);

		if (table == NULL)
			continue;
		found->count++;
		if (found->madt == NULL && scenario_acpi_signature_is(table, "APIC"))
			found->madt = table;
		if (found->fadt == NULL && scenario_acpi_signature_is(table, "FACP"))
			found->fadt = table;
	}
}

/* What the MADT lists. */
struct scenario_acpi_madt {
	unsigned local_apics;        /* enabled Processor Local APIC structures */
	unsigned ioapics;            /* I/O APIC structures */
	bool own_apic;               /* an enabled one has the guest's APIC ID */
	bool ioapic_at_base;         /* one at IOAPIC_BASE with GSI base 0 */
	bool irq0_override;          /* an ISA IRQ 0 override */
	uint32_t irq0_gsi;           /* ... and its GSI */
};

/* Returns false for a structure too short for its type (the walk stops there). */
static bool scenario_acpi_madt_entry(struct scenario_state *state, const uint8_t *entry,
				     uint8_t own_apic_id, struct scenario_acpi_madt *madt)
{
	static const uint8_t min_length[] = {
		[ACPI_MADT_TYPE_LOCAL_APIC] = ACPI_MADT_LOCAL_APIC_SIZE,
		[ACPI_MADT_TYPE_IO_APIC] = ACPI_MADT_IO_APIC_SIZE,
		[ACPI_MADT_TYPE_INTERRUPT_OVERRIDE] = ACPI_MADT_INTERRUPT_OVERRIDE_SIZE,
	};
	uint8_t type = entry[ACPI_MADT_ENTRY_TYPE];

	if (type >= sizeof(min_length))
		return true;             /* a structure this scenario does not check */
	if (entry[ACPI_MADT_ENTRY_LENGTH] < min_length[type]) {
		scenario_note(state, "MADT structure of type %u has length %u, less than %u", type,
			      entry[ACPI_MADT_ENTRY_LENGTH], min_length[type]);
		return false;
	}
	switch (type) {
	case ACPI_MADT_TYPE_LOCAL_APIC:
		if (acpi_read32(entry, ACPI_MADT_LOCAL_APIC_FLAGS) & ACPI_MADT_LOCAL_APIC_ENABLED) {
			madt->local_apics++;
			if (entry[ACPI_MADT_LOCAL_APIC_ID] == own_apic_id)
				madt->own_apic = true;
		}
		break;
	case ACPI_MADT_TYPE_IO_APIC:
		madt->ioapics++;
		if (acpi_read32(entry, ACPI_MADT_IO_APIC_ADDRESS) == IOAPIC_BASE &&
		    acpi_read32(entry, ACPI_MADT_IO_APIC_GSI_BASE) == 0)
			madt->ioapic_at_base = true;
		break;
	case ACPI_MADT_TYPE_INTERRUPT_OVERRIDE:
		if (entry[ACPI_MADT_OVERRIDE_BUS] == SCENARIO_ACPI_ISA_BUS &&
		    entry[ACPI_MADT_OVERRIDE_SOURCE] == 0 && !madt->irq0_override) {
			madt->irq0_override = true;
			madt->irq0_gsi = acpi_read32(entry, ACPI_MADT_OVERRIDE_GSI);
		}
		break;
	}
	return true;
}

/* The MADT (§5.2.12): the local APICs at 0xFEE00000, an enabled one with the guest's APIC ID
 * (`own_apic_id`), an I/O APIC at 0xFEC00000 with GSI base 0, ISA IRQ 0 on GSI 2. Every
 * structure must fit in the table. */
static void scenario_acpi_check_madt(struct scenario_state *state, const uint8_t *table,
				     uint8_t own_apic_id, enum scenario_failure *failure)
{
	uint32_t length = acpi_read32(table, ACPI_SDT_LENGTH);
	uint32_t local_apic_address = acpi_read32(table, ACPI_MADT_LOCAL_APIC_ADDRESS);
	struct scenario_acpi_madt madt = { 0 };
	bool good = true;

	if (length < ACPI_MADT_HEADER_SIZE) {
		scenario_note(state, "the MADT's length %u is less than %u", length,
			      ACPI_MADT_HEADER_SIZE);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
		return;
	}
	good &= scenario_expect(state, "the MADT's local APIC address", local_apic_address,
				SCENARIO_ACPI_LOCAL_APIC_ADDRESS);
	for (uint32_t at = ACPI_MADT_HEADER_SIZE; at < length;) {
		const uint8_t *entry = table + at;

		if (length - at < ACPI_MADT_ENTRY_MIN_SIZE ||
		    entry[ACPI_MADT_ENTRY_LENGTH] < ACPI_MADT_ENTRY_MIN_SIZE ||
		    entry[ACPI_MADT_ENTRY_LENGTH] > length - at) {
			scenario_note(state, "the MADT structure at offset %u does not fit in the "
				      "table (%u bytes)", at, length);
			scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
			break;
		}
		if (!scenario_acpi_madt_entry(state, entry, own_apic_id, &madt)) {
			scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
			break;
		}
		at += entry[ACPI_MADT_ENTRY_LENGTH];
	}
	scenario_report(state, "local_apics", madt.local_apics);
	scenario_report(state, "ioapics", madt.ioapics);
	if (!madt.own_apic) {
		scenario_note(state, "no enabled Processor Local APIC has the guest's APIC ID %u (%u "
			      "enabled)", own_apic_id, madt.local_apics);
		good = false;
	}
	if (!madt.ioapic_at_base) {
		scenario_note(state, "no I/O APIC at 0x%x with GSI base 0 (%u I/O APICs)",
			      IOAPIC_BASE, madt.ioapics);
		good = false;
	}
	if (!madt.irq0_override) {
		scenario_note(state, "no Interrupt Source Override for ISA IRQ 0");
		good = false;
	} else {
		good &= scenario_expect(state, "the GSI of ISA IRQ 0's override", madt.irq0_gsi,
					SCENARIO_ACPI_IRQ0_GSI);
	}
	if (!good)
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_MADT_MISMATCH);
}

/* The DSDT (X_DSDT where the FADT has it and it is not 0, else DSDT) as a table, and the FACS
 * (X_FIRMWARE_CTRL likewise, else FIRMWARE_CTRL) where there is one: "FACS", at least 64
 * bytes, 64-byte aligned (§5.2.10), in reserved memory. The FACS has no checksum. */
static void scenario_acpi_check_fadt_pointers(struct scenario_state *state, const uint8_t *fadt,
					      enum scenario_failure *failure)
{
	uint32_t length = acpi_read32(fadt, ACPI_SDT_LENGTH);
	uint64_t dsdt = length >= ACPI_FADT_X_DSDT + 8 ? acpi_read64(fadt, ACPI_FADT_X_DSDT) : 0;
	uint64_t facs = length >= ACPI_FADT_X_FIRMWARE_CTRL + 8 ?
				acpi_read64(fadt, ACPI_FADT_X_FIRMWARE_CTRL) : 0;

	if (dsdt == 0)
		dsdt = acpi_read32(fadt, ACPI_FADT_DSDT);
	if (dsdt == 0) {
		scenario_note(state, "the FADT names no DSDT");
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_ACPI_TABLE_MISSING);
	} else {
		scenario_acpi_table(state, "the DSDT", dsdt, "DSDT", ACPI_SDT_HEADER_SIZE, failure);
	}

	if (facs == 0)
		facs = acpi_read32(fadt, ACPI_FADT_FIRMWARE_CTRL);
	if (facs == 0)
		return;
	if (facs > SCENARIO_PLATFORM_4_GIB - ACPI_FACS_MIN_SIZE) {
		scenario_note(state, "the FACS is at 0x%lx, beyond the first 4 GiB", facs);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
		return;
	}
	if (facs % ACPI_FACS_ALIGNMENT != 0) {
		scenario_note(state, "the FACS at 0x%lx is not %u-byte aligned", facs,
			      ACPI_FACS_ALIGNMENT);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
	}
	if (!scenario_acpi_placed(state, "the FACS", facs, ACPI_FACS_MIN_SIZE)) {
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
		return;
	}

	const uint8_t *table = scenario_acpi_pointer(facs);
	uint32_t facs_length = acpi_read32(table, ACPI_FACS_LENGTH);

	if (!scenario_acpi_signature_is(table, ACPI_FACS_SIGNATURE)) {
		scenario_acpi_note_signature(state, "the FACS", facs, table, ACPI_FACS_SIGNATURE);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
	} else if (facs_length < ACPI_FACS_MIN_SIZE || facs_length > SCENARIO_ACPI_MAX_TABLE_BYTES ||
		   !scenario_acpi_placed(state, "the FACS", facs, facs_length)) {
		scenario_note(state, "the FACS at 0x%lx has length %u", facs, facs_length);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
	}
}

/*
 * The PM timer's port: X_PM_TMR_BLK where the FADT is long enough to have it and its address is
 * not 0 (it then supersedes PM_TMR_BLK, §5.2.9), which must be in system I/O space; else
 * PM_TMR_BLK. PM_TMR_LEN must be 4. Returns 0 when there is no usable port.
 */
static uint16_t scenario_acpi_pm_timer_port(struct scenario_state *state, const uint8_t *fadt,
					    enum scenario_failure *failure)
{
	uint32_t length = acpi_read32(fadt, ACPI_SDT_LENGTH);
	uint32_t legacy = acpi_read32(fadt, ACPI_FADT_PM_TMR_BLK);
	uint64_t port = legacy;

	if (length >= ACPI_FADT_X_PM_TMR_BLK + ACPI_GAS_SIZE) {
		const uint8_t *gas = fadt + ACPI_FADT_X_PM_TMR_BLK;
		uint64_t extended = acpi_read64(gas, ACPI_GAS_ADDRESS);

		if (extended != 0 && gas[ACPI_GAS_SPACE_ID] != ACPI_GAS_SPACE_SYSTEM_IO) {
			scenario_note(state, "X_PM_TMR_BLK is in address space %u, not system I/O",
				      gas[ACPI_GAS_SPACE_ID]);
			scenario_apic_keep_first(failure, SCENARIO_FAILURE_NO_PM_TIMER);
			return 0;
		}
		if (extended != 0 && legacy != 0 && extended != legacy)
			scenario_note(state, "X_PM_TMR_BLK 0x%lx and PM_TMR_BLK 0x%x differ: "
				      "X_PM_TMR_BLK used", extended, legacy);
		if (extended != 0)
			port = extended;
	}
	if (port == 0 || port > 0x10000u - ACPI_PM_TMR_LEN) {
		scenario_note(state, "the FADT's PM timer block is at port 0x%lx", port);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_NO_PM_TIMER);
		return 0;
	}
	if (fadt[ACPI_FADT_PM_TMR_LEN] != ACPI_PM_TMR_LEN) {
		scenario_note(state, "PM_TMR_LEN is %u, not %u", fadt[ACPI_FADT_PM_TMR_LEN],
			      ACPI_PM_TMR_LEN);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_NO_PM_TIMER);
	}
	return (uint16_t)port;
}

/* Two reads of the PM timer SCENARIO_ACPI_PM_DELAY_MS apart by the TSC: the count must have
 * moved (modulo its width, 32 bits with TMR_VAL_EXT, else 24). Figures pm_timer_ticks and,
 * where the TSC's frequency is known, pm_timer_ticks_per_ms. */
static void scenario_acpi_measure_pm_timer(struct scenario_state *state, uint16_t port,
					   bool extended, enum scenario_failure *failure)
{
	uint32_t mask = extended ? UINT32_MAX : SCENARIO_ACPI_PM_TIMER_24BIT_MASK;
	uint64_t tsc_khz = scenario_acpi_clocks.tsc_hz / 1000u;
	uint64_t delay = tsc_khz != 0 ? tsc_khz * SCENARIO_ACPI_PM_DELAY_MS :
					SCENARIO_ACPI_PM_FALLBACK_DELAY_CYCLES;
	/* The TSC is read right after each PM timer read, so that the interval measured has the
	 * same part of each read in it: under a hypervisor a read is an exit, which samples the
	 * count somewhere in its handler, a thousand cycles or more after the IN began. */
	uint32_t first = acpi_pm_timer_read(port);
	uint64_t start = cpu_rdtsc_fenced();

	while (cpu_rdtsc_fenced() - start < delay)
		cpu_pause();

	uint32_t second = acpi_pm_timer_read(port);
	uint64_t cycles = cpu_rdtsc_fenced() - start;
	uint32_t ticks = (second - first) & mask;

	scenario_report(state, "pm_timer_ticks", ticks);
	if (ticks == 0) {
		scenario_note(state, "the PM timer at port 0x%x read 0x%x twice, %lu TSC cycles "
			      "apart", port, first, cycles);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_PM_TIMER_STOPPED);
		return;
	}
	if (tsc_khz == 0) {
		scenario_note(state, "CPUID gives no TSC frequency (leaves 15H, 16H): %u PM timer "
			      "ticks in %lu TSC cycles", ticks, cycles);
		return;
	}

	/* ticks < 2^32 and kHz < 2^32: the product fits in 64 bits. cycles >= delay > 0. */
	uint64_t per_ms = ((uint64_t)ticks * tsc_khz + cycles / 2) / cycles;
	uint64_t expected = (ACPI_PM_TIMER_HZ + 500u) / 1000u;
	uint64_t slack = expected * SCENARIO_ACPI_PM_TOLERANCE_PERCENT / 100u;

	scenario_report(state, "pm_timer_ticks_per_ms", per_ms);
	if (per_ms + slack < expected || per_ms > expected + slack) {
		scenario_note(state, "the PM timer counted %lu ticks per ms of a %lu Hz TSC "
			      "(CPUID), expected %lu +- %u%%", per_ms, scenario_acpi_clocks.tsc_hz,
			      expected, SCENARIO_ACPI_PM_TOLERANCE_PERCENT);
		scenario_apic_keep_first(failure, SCENARIO_FAILURE_RATE);
	}
}

static enum scenario_failure scenario_acpi_tables(struct scenario_state *state)
{
	enum scenario_failure failure = SCENARIO_PASSED;
	struct scenario_acpi_tables found = { 0 };
	struct acpi_rsdp_search search;
	/* Read by the prepare step from the ID register's bits 31:24 (xAPIC mode). */
	uint8_t own_apic_id = (uint8_t)lapic_id();

	if (!(state->context->boot_info->flags & MULTIBOOT_INFO_MEM_MAP))
		scenario_note(state, "no multiboot memory map: where the tables lie is not checked");
	acpi_find_rsdp(&search);
	if (search.rejected != 0)
		scenario_note(state, "%u \"RSD PTR \" signatures passed over for a bad checksum or "
			      "length, the first at 0x%x", search.rejected, search.first_rejected);
	if (search.rsdp == 0) {
		scenario_note(state, "no RSDP in %s0xE0000-0xFFFFF",
			      search.ebda != 0 ? "the EBDA's first KiB or " : "");
		return SCENARIO_FAILURE_NO_RSDP;
	}

	const uint8_t *rsdp = scenario_acpi_pointer(search.rsdp);

	scenario_report(state, "rsdp_revision", rsdp[ACPI_RSDP_REVISION]);
	scenario_acpi_walk_root(state, rsdp, &found, &failure);
	scenario_report(state, "tables", found.count);

	if (found.madt != NULL) {
		scenario_acpi_check_madt(state, found.madt, own_apic_id, &failure);
	} else {
		scenario_note(state, "the root table lists no MADT (\"APIC\")");
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_ACPI_TABLE_MISSING);
	}

	if (found.fadt == NULL) {
		scenario_note(state, "the root table lists no FADT (\"FACP\")");
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_ACPI_TABLE_MISSING);
		return failure;
	}
	if (acpi_read32(found.fadt, ACPI_SDT_LENGTH) < SCENARIO_ACPI_FADT_MIN_SIZE) {
		scenario_note(state, "the FADT's length %u is less than ACPI 1.0's %u",
			      acpi_read32(found.fadt, ACPI_SDT_LENGTH), SCENARIO_ACPI_FADT_MIN_SIZE);
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_BAD_ACPI_TABLE);
		return failure;
	}
	scenario_acpi_check_fadt_pointers(state, found.fadt, &failure);

	uint16_t port = scenario_acpi_pm_timer_port(state, found.fadt, &failure);

	scenario_report(state, "pm_timer_port", port);
	if (port != 0)
		scenario_acpi_measure_pm_timer(state, port,
					       acpi_read32(found.fadt, ACPI_FADT_FLAGS) &
						       ACPI_FADT_FLAG_TMR_VAL_EXT,
					       &failure);
	return failure;
}

/* ------------------------------------------------------------------------------------------ */
/* fw-cfg: the signature, the CPU count, the RAM size and the number of files, through the
 * legacy I/O ports. Under apicvisor the CPU count is 1 (it runs one vCPU) and there are no
 * files; under QEMU the count is -smp's and the files are its usual ones (etc/e820, the ACPI
 * tables, the multiboot option ROM...), which are only counted. */

/*
 * The RAM size fw_cfg gives (QEMU's ram_size: all of it, the first MiB included; apicvisor's
 * devices/fw_cfg.c: the guest's mem=) against what the multiboot memory map implies, exactly.
 *
 * apicvisor's map (boot/multiboot.c) has one available entry from 1 MiB to the end of RAM and
 * mem_upper = (RAM - 1 MiB) / 1 KiB, with RAM a whole number of MiB: so under apicvisor the RAM
 * size must equal both mem_upper KiB + 1 MiB and the end of the available entry at 1 MiB.
 *
 * Under plain QEMU the map comes from SeaBIOS's E820 table, which reserves the top 128 KiB of
 * the RAM below 4 GiB for itself (type 2, as it marks the BIOS ROM too): -m 128 gives an
 * available entry [1 MiB, 0x7FE0000) and a reserved one [0x7FE0000, 0x8000000), mem_upper
 * 129920 KiB. The map cannot say that a reserved range is RAM, so it cannot imply the RAM size
 * by itself; what it does give exactly is where the run of abutting entries that starts at
 * 1 MiB ends, and the RAM QEMU moves above 4 GiB (available entries from 4 GiB up). RAM is
 * compared exactly with their sum: it equals it where the firmware's reservations lie inside
 * RAM, at its top, as SeaBIOS's do.
 */

/* Under apicvisor fw_cfg's CPU count is the vCPU count, which the MADT lists too: its enabled
 * Processor Local APIC structures (0 without a MADT, which then fails the comparison). */
static uint64_t scenario_fw_cfg_madt_cpus(const struct multiboot_info *info)
{
	const uint8_t *madt = acpi_find_table(info, "APIC");
	uint64_t cpus = 0;

	if (!madt)
		return 0;
	uint32_t length = acpi_read32(madt, ACPI_SDT_LENGTH);

	for (uint32_t at = ACPI_MADT_HEADER_SIZE; at + ACPI_MADT_ENTRY_MIN_SIZE <= length;) {
		const uint8_t *entry = madt + at;

		if (entry[ACPI_MADT_ENTRY_LENGTH] < ACPI_MADT_ENTRY_MIN_SIZE)
			break;
		if (entry[ACPI_MADT_ENTRY_TYPE] == ACPI_MADT_TYPE_LOCAL_APIC &&
		    entry[ACPI_MADT_ENTRY_LENGTH] >= ACPI_MADT_LOCAL_APIC_SIZE &&
		    (acpi_read32(entry, ACPI_MADT_LOCAL_APIC_FLAGS) & ACPI_MADT_LOCAL_APIC_ENABLED))
			cpus++;
		at += entry[ACPI_MADT_ENTRY_LENGTH];
	}
	return cpus;
}

/* The end of the run of abutting memory map entries that starts with the one at 1 MiB, and
 * whether that first one is available RAM ending at *available_end; false without one. */
static bool scenario_fw_cfg_low_ram(const struct multiboot_info *info, uint64_t *run_end,
				    uint64_t *available_end)
{
	const struct multiboot_mmap_entry *entry;
	bool found = false;

	for (entry = multiboot_mmap_next(info, NULL); entry != NULL;
	     entry = multiboot_mmap_next(info, entry)) {
		if (entry->addr == SCENARIO_PLATFORM_MIB && entry->type == MULTIBOOT_MMAP_AVAILABLE) {
			*run_end = *available_end = entry->addr + entry->len;
			found = true;
			break;
		}
	}
	if (!found)
		return false;
	/* Entries need not be sorted: extend the run until no entry starts at its end. */
	for (bool extended = true; extended;) {
		extended = false;
		for (entry = multiboot_mmap_next(info, NULL); entry != NULL;
		     entry = multiboot_mmap_next(info, entry)) {
			if (entry->addr == *run_end && entry->len != 0 &&
			    entry->addr < SCENARIO_PLATFORM_4_GIB) {
				*run_end += entry->len;
				extended = true;
			}
		}
	}
	return true;
}

/* The available RAM the map reports at and above 4 GiB. */
static uint64_t scenario_fw_cfg_high_ram(const struct multiboot_info *info)
{
	uint64_t bytes = 0;

	for (const struct multiboot_mmap_entry *entry = multiboot_mmap_next(info, NULL);
	     entry != NULL; entry = multiboot_mmap_next(info, entry)) {
		if (entry->type == MULTIBOOT_MMAP_AVAILABLE && entry->addr >= SCENARIO_PLATFORM_4_GIB)
			bytes += entry->len;
	}
	return bytes;
}

static bool scenario_fw_cfg_check_ram(struct scenario_state *state, uint64_t ram)
{
	const struct multiboot_info *info = state->context->boot_info;
	uint64_t run_end, available_end, implied;

	if (!(info->flags & MULTIBOOT_INFO_MEMORY) || !(info->flags & MULTIBOOT_INFO_MEM_MAP)) {
		scenario_note(state, "no multiboot memory information and map to compare the RAM "
			      "size with");
		return false;
	}
	if (!scenario_fw_cfg_low_ram(info, &run_end, &available_end)) {
		scenario_note(state, "the memory map has no available entry at 1 MiB");
		return false;
	}
	implied = run_end + scenario_fw_cfg_high_ram(info);
	if (state->context->hypervisor) {
		bool good = scenario_expect(state, "fw_cfg's RAM size against the end of the "
					    "available RAM at 1 MiB", ram, available_end);

		good &= scenario_expect(state, "fw_cfg's RAM size against mem_upper KiB + 1 MiB",
					ram, (uint64_t)info->mem_upper * 1024u +
						     SCENARIO_PLATFORM_MIB);
		return scenario_expect(state, "fw_cfg's RAM size against the memory map", ram,
				       implied) && good;
	}
	return scenario_expect(state, "fw_cfg's RAM size against the end of the entries from "
			       "1 MiB + available RAM above 4 GiB", ram, implied);
}

static enum scenario_failure scenario_fw_cfg(struct scenario_state *state)
{
	uint8_t signature[FW_CFG_SIGNATURE_SIZE];
	enum scenario_failure failure = SCENARIO_PASSED;

	fw_cfg_select(FW_CFG_SIGNATURE);
	fw_cfg_read(signature, sizeof(signature));
	if (memcmp(signature, FW_CFG_SIGNATURE_TEXT, FW_CFG_SIGNATURE_SIZE) != 0) {
		scenario_note(state, "the signature item reads %02x %02x %02x %02x, not \"QEMU\": "
			      "no fw_cfg at ports 510H-511H", signature[0], signature[1],
			      signature[2], signature[3]);
		return SCENARIO_FAILURE_FW_CFG_SIGNATURE;
	}
	fw_cfg_select(FW_CFG_NB_CPUS);
	uint64_t cpus = fw_cfg_read_le(2);

	fw_cfg_select(FW_CFG_RAM_SIZE);
	uint64_t ram = fw_cfg_read_le(8);

	fw_cfg_select(FW_CFG_FILE_DIR);
	uint64_t files = fw_cfg_read_be(4);

	scenario_report(state, "cpus", cpus);
	scenario_report(state, "ram_mib", ram / SCENARIO_PLATFORM_MIB);
	scenario_report(state, "files", files);
	if (state->context->hypervisor) {
		if (!scenario_expect(state, "fw_cfg's CPU count under apicvisor (the MADT's)", cpus,
				     scenario_fw_cfg_madt_cpus(state->context->boot_info)))
			failure = SCENARIO_FAILURE_FW_CFG_ITEM;
	} else if (cpus == 0) {
		scenario_note(state, "fw_cfg's CPU count is 0");
		failure = SCENARIO_FAILURE_FW_CFG_ITEM;
	}
	if (!scenario_fw_cfg_check_ram(state, ram))
		scenario_apic_keep_first(&failure, SCENARIO_FAILURE_FW_CFG_ITEM);
	return failure;
}

static const struct scenario scenario_platform_table[] = {
	{ "acpi-tables", false, scenario_acpi_prepare, scenario_acpi_tables },
	{ "fw-cfg", false, NULL, scenario_fw_cfg },
};

const struct scenario_list scenario_platform_list = {
	scenario_platform_table,
	sizeof(scenario_platform_table) / sizeof(scenario_platform_table[0])
};
