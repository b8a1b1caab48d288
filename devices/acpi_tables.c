/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables in guest RAM (interface and layout: acpi_tables.h). Every field is written byte
 * by byte, little-endian, at the offset the ACPI Specification 6.5 gives for it, so nothing
 * depends on the host's struct packing; the offsets are named below, table by table.
 */
#include "acpi_tables.h"

#include "../lib/fmt.h"

#define ACPI_OEM_ID "APICVR"              /* 6 characters */
#define ACPI_OEM_TABLE_ID "APICVISR"      /* 8 characters */
#define ACPI_OEM_REVISION 1u
#define ACPI_CREATOR_ID "APVR"            /* 4 characters */
#define ACPI_CREATOR_REVISION 1u

/* §5.2.6 "System Description Table Header". */
#define SDT_SIGNATURE 0
#define SDT_LENGTH 4
#define SDT_REVISION 8
#define SDT_CHECKSUM 9
#define SDT_OEM_ID 10
#define SDT_OEM_TABLE_ID 16
#define SDT_OEM_REVISION 24
#define SDT_CREATOR_ID 28
#define SDT_CREATOR_REVISION 32
#define SDT_HEADER_SIZE 36

/* §5.2.5.3 "Root System Description Pointer (RSDP) Structure". */
#define RSDP_SIGNATURE 0                  /* "RSD PTR " */
#define RSDP_CHECKSUM 8                   /* over the first 20 bytes (the ACPI 1.0 part) */
#define RSDP_OEM_ID 9
#define RSDP_REVISION 15                  /* 2: ACPI 2.0 and later */
#define RSDP_RSDT_ADDRESS 16
#define RSDP_V1_SIZE 20
#define RSDP_LENGTH 20
#define RSDP_XSDT_ADDRESS 24
#define RSDP_EXTENDED_CHECKSUM 32         /* over all 36 bytes */
#define RSDP_REVISION_2 2

/* Table revisions (ACPI 6.5). */
#define RSDT_REVISION 1
#define XSDT_REVISION 1
#define FADT_MAJOR_REVISION 6
#define FADT_MINOR_REVISION 5
#define MADT_REVISION 6
#define DSDT_REVISION 2                   /* 2: AML integers are 64 bits wide */
#define DSDT_AML_SIZE 13
#define FACS_VERSION 2

/* §5.2.9 "Fixed ACPI Description Table (FADT)", byte offsets. */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT 40
#define FADT_PREFERRED_PM_PROFILE 45
#define FADT_SCI_INT 46
#define FADT_SMI_CMD 48
#define FADT_PM1A_EVT_BLK 56
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM_TMR_BLK 76
#define FADT_PM1_EVT_LEN 88
#define FADT_PM1_CNT_LEN 89
#define FADT_PM_TMR_LEN 91
#define FADT_P_LVL2_LAT 96
#define FADT_P_LVL3_LAT 98
#define FADT_IAPC_BOOT_ARCH 109
#define FADT_FLAGS 112
#define FADT_MINOR_VERSION 131
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT 140
#define FADT_X_PM1A_EVT_BLK 148
#define FADT_X_PM1A_CNT_BLK 172
#define FADT_X_PM_TMR_BLK 208
#define FADT_HYPERVISOR_VENDOR_IDENTITY 268
#define FADT_SIZE 276

#define PM1_EVT_LEN 4                     /* PM1_STS + PM1_EN, 16 bits each */
#define PM1_CNT_LEN 2
#define PM_TMR_LEN 4
/* "A value > 100 indicates the system does not support a C2 state"; "> 1000 ... C3 state". */
#define P_LVL2_LAT_NONE 101
#define P_LVL3_LAT_NONE 1001

/* FADT Fixed Feature Flags. */
#define FADT_F_WBINVD (1u << 0)           /* WBINVD flushes all caches */
#define FADT_F_PROC_C1 (1u << 2)          /* C1 on all processors */
#define FADT_F_PWR_BUTTON (1u << 4)       /* no fixed-feature power button */
#define FADT_F_SLP_BUTTON (1u << 5)       /* no fixed-feature sleep button */
#define FADT_F_TMR_VAL_EXT (1u << 8)      /* the PM timer is 32 bits wide */

/* §5.2.9.3 "IA-PC Boot Architecture Flags". The legacy devices (PIC, PIT, COM1, the CMOS RTC)
 * exist but the DSDT does not list them; no VGA. The 8042 is there for its reset line and status
 * only, with nothing behind it: not announced (bit 1 clear), so an OS does not probe it for a
 * keyboard. */
#define BOOT_ARCH_LEGACY_DEVICES (1u << 0)
#define BOOT_ARCH_VGA_NOT_PRESENT (1u << 2)
#define FADT_BOOT_ARCH (BOOT_ARCH_LEGACY_DEVICES | BOOT_ARCH_VGA_NOT_PRESENT)

/* §5.2.3.2 "Generic Address Structure (GAS)". */
#define GAS_SIZE 12
#define GAS_SPACE_SYSTEM_IO 1
#define GAS_ACCESS_WORD 2
#define GAS_ACCESS_DWORD 3

/* §5.2.10 "Firmware ACPI Control Structure (FACS)". */
#define FACS_SIGNATURE 0
#define FACS_LENGTH 4
#define FACS_VERSION_OFFSET 32
#define FACS_SIZE 64
#define FACS_ALIGN 64

/* §5.2.12 "Multiple APIC Description Table (MADT)". */
#define MADT_LOCAL_APIC_ADDRESS 36
#define MADT_FLAGS 40
#define MADT_HEADER_SIZE 44
#define MADT_PCAT_COMPAT (1u << 0)        /* dual 8259s are present */
/* Interrupt controller structure types and lengths. */
#define MADT_TYPE_LOCAL_APIC 0            /* §5.2.12.2 "Processor Local APIC Structure" */
#define MADT_LEN_LOCAL_APIC 8
#define MADT_TYPE_IO_APIC 1               /* §5.2.12.3 "I/O APIC Structure" */
#define MADT_LEN_IO_APIC 12
#define MADT_TYPE_INTERRUPT_OVERRIDE 2    /* §5.2.12.5 "Interrupt Source Override Structure" */
#define MADT_LEN_INTERRUPT_OVERRIDE 10
#define MADT_TYPE_LOCAL_APIC_NMI 4        /* §5.2.12.7 "Local APIC NMI Structure" */
#define MADT_LEN_LOCAL_APIC_NMI 6
#define MADT_LOCAL_APIC_ENABLED (1u << 0)
#define MADT_ALL_PROCESSORS 0xff
#define MADT_LINT1 1
#define MADT_BUS_ISA 0
/* MPS INTI flags (§5.2.12.5): polarity bits 1:0, trigger mode bits 3:2; 0 = conforms to the bus. */
#define MPS_INTI_CONFORMING 0x0
#define MPS_INTI_ACTIVE_HIGH_LEVEL 0xd    /* polarity 01 active high, trigger 11 level */
#define MADT_OVERRIDE_COUNT 2             /* IRQ0 -> GSI 2, SCI */

#define ISA_IRQ_TIMER 0
#define GSI_TIMER 2

/* The HPET table (IA-PC HPET Specification 1.0a, "HPET Description Table"): the Event Timer
 * Block ID at 36, the base address as a Generic Address Structure at 40, the HPET number at 52,
 * the main counter's minimum clock tick in periodic mode at 53, page protection at 55. */
#define HPET_TABLE_REVISION 1
#define HPET_TABLE_BLOCK_ID 36
#define HPET_TABLE_BASE 40
#define HPET_TABLE_NUMBER 52
#define HPET_TABLE_MIN_TICK 53
#define HPET_TABLE_PAGE_PROTECTION 55
#define HPET_TABLE_SIZE 56
#define HPET_MIN_TICK 0x80                /* as QEMU's pc machine */
#define GAS_SPACE_SYSTEM_MEMORY 0

/* Where each table lies, as offsets from tables_gpa. */
struct acpi_layout {
	size_t facs, dsdt, fadt, madt, hpet, rsdt, xsdt;
	size_t madt_size, rsdt_size, xsdt_size;
	size_t size;
};

static size_t align_up(size_t value, size_t align)
{
	return (value + align - 1) & ~(align - 1);
}

static void compute_layout(unsigned cpu_count, struct acpi_layout *l)
{
	l->facs = 0;                                   /* tables_gpa is 64-byte aligned */
	l->dsdt = l->facs + FACS_SIZE;
	l->fadt = align_up(l->dsdt + SDT_HEADER_SIZE + DSDT_AML_SIZE, 16);
	l->madt = align_up(l->fadt + FADT_SIZE, 16);
	l->madt_size = MADT_HEADER_SIZE + cpu_count * MADT_LEN_LOCAL_APIC + MADT_LEN_IO_APIC +
		       MADT_OVERRIDE_COUNT * MADT_LEN_INTERRUPT_OVERRIDE + MADT_LEN_LOCAL_APIC_NMI;
	l->hpet = align_up(l->madt + l->madt_size, 16);
	l->rsdt = align_up(l->hpet + HPET_TABLE_SIZE, 16);
	l->rsdt_size = SDT_HEADER_SIZE + 3 * 4;        /* FADT, MADT, HPET */
	l->xsdt = align_up(l->rsdt + l->rsdt_size, 16);
	l->xsdt_size = SDT_HEADER_SIZE + 3 * 8;
	l->size = l->xsdt + l->xsdt_size;
}

static void put8(uint8_t *p, size_t offset, uint8_t value)
{
	p[offset] = value;
}

static void put16(uint8_t *p, size_t offset, uint16_t value)
{
	p[offset] = (uint8_t)value;
	p[offset + 1] = (uint8_t)(value >> 8);
}

static void put32(uint8_t *p, size_t offset, uint32_t value)
{
	put16(p, offset, (uint16_t)value);
	put16(p, offset + 2, (uint16_t)(value >> 16));
}

static void put64(uint8_t *p, size_t offset, uint64_t value)
{
	put32(p, offset, (uint32_t)value);
	put32(p, offset + 4, (uint32_t)(value >> 32));
}

static void put_text(uint8_t *p, size_t offset, const char *text, size_t len)
{
	memcpy(p + offset, text, len);
}

/* The byte that makes the sum of bytes [0, len) zero, the checksum byte itself counted as 0. */
static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

/* A §5.2.6 header; the checksum is set by finish_table once the body is written. */
static void put_header(uint8_t *t, const char *signature, uint32_t length, uint8_t revision)
{
	put_text(t, SDT_SIGNATURE, signature, 4);
	put32(t, SDT_LENGTH, length);
	put8(t, SDT_REVISION, revision);
	put8(t, SDT_CHECKSUM, 0);
	put_text(t, SDT_OEM_ID, ACPI_OEM_ID, 6);
	put_text(t, SDT_OEM_TABLE_ID, ACPI_OEM_TABLE_ID, 8);
	put32(t, SDT_OEM_REVISION, ACPI_OEM_REVISION);
	put_text(t, SDT_CREATOR_ID, ACPI_CREATOR_ID, 4);
	put32(t, SDT_CREATOR_REVISION, ACPI_CREATOR_REVISION);
}

static void finish_table(uint8_t *t, uint32_t length)
{
	put8(t, SDT_CHECKSUM, 0);
	put8(t, SDT_CHECKSUM, checksum(t, length));
}

static void put_gas_io(uint8_t *p, size_t offset, uint8_t bit_width, uint8_t access_size,
		       uint16_t port)
{
	put8(p, offset + 0, GAS_SPACE_SYSTEM_IO);
	put8(p, offset + 1, bit_width);
	put8(p, offset + 2, 0);                        /* register bit offset */
	put8(p, offset + 3, access_size);
	put64(p, offset + 4, port);
}

/* ---------------------------------------------------------------------------------------- */
/* The tables                                                                               */

static void build_facs(uint8_t *t)
{
	/* Hardware signature, waking vectors, global lock, flags: all 0. */
	put_text(t, FACS_SIGNATURE, "FACS", 4);
	put32(t, FACS_LENGTH, FACS_SIZE);
	put8(t, FACS_VERSION_OFFSET, FACS_VERSION);
}

/* The DSDT's AML (§20 "ACPI Machine Language (AML) Specification"): the one object an OS needs
 * from it here, \_S5, the soft-off sleep state (§7.4.2 "\_Sx (System States)": a package of
 * SLP_TYPa, SLP_TYPb and two reserved values). SLP_TYP 0, as QEMU's pc machine has it: writing
 * it to PM1a_CNT with SLP_EN powers the machine off (platform/platform_irq.c). */
static const uint8_t dsdt_aml[] = {
	0x08, '\\', '_', 'S', '5', '_',     /* NameOp, NameString \_S5_ */
	0x12, 0x06, 0x04,                  /* PackageOp, PkgLength 6, NumElements 4 */
	0x00, 0x00, 0x00, 0x00,            /* ZeroOp x 4: SLP_TYPa, SLP_TYPb, reserved */
};
_Static_assert(sizeof(dsdt_aml) == DSDT_AML_SIZE, "DSDT_AML_SIZE");

static void build_dsdt(uint8_t *t)
{
	put_header(t, "DSDT", SDT_HEADER_SIZE + DSDT_AML_SIZE, DSDT_REVISION);
	memcpy(t + SDT_HEADER_SIZE, dsdt_aml, DSDT_AML_SIZE);
	finish_table(t, SDT_HEADER_SIZE + DSDT_AML_SIZE);
}

/*
 * FIRMWARE_CTRL holds the FACS address and X_FIRMWARE_CTRL stays 0, as QEMU does: §5.2.9 says
 * of FIRMWARE_CTRL "If the X_FIRMWARE_CTRL field contains a non zero value then this field must
 * be zero", so only one of them may be set. DSDT and X_DSDT both hold the DSDT (X_DSDT wins when
 * both are set, and they agree). The X_ register blocks repeat the legacy ones as System I/O GAS.
 */
static void build_fadt(uint8_t *t, const struct acpi_platform *p, uint32_t facs_gpa,
		       uint32_t dsdt_gpa)
{
	uint32_t flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON;

	if (p->pm_timer_32bit)
		flags |= FADT_F_TMR_VAL_EXT;
	put_header(t, "FACP", FADT_SIZE, FADT_MAJOR_REVISION);
	put32(t, FADT_FIRMWARE_CTRL, facs_gpa);
	put32(t, FADT_DSDT, dsdt_gpa);
	put8(t, FADT_PREFERRED_PM_PROFILE, 0);         /* unspecified */
	put16(t, FADT_SCI_INT, p->sci_irq);
	/* SMI_CMD 0: "reserved and must be zero on system that does not support System
	 * Management mode"; OSPM then takes the platform to be in ACPI mode already. */
	put32(t, FADT_SMI_CMD, 0);
	put32(t, FADT_PM1A_EVT_BLK, p->pm1a_event_port);
	put32(t, FADT_PM1A_CNT_BLK, p->pm1a_control_port);
	put32(t, FADT_PM_TMR_BLK, p->pm_timer_port);
	put8(t, FADT_PM1_EVT_LEN, PM1_EVT_LEN);
	put8(t, FADT_PM1_CNT_LEN, PM1_CNT_LEN);
	put8(t, FADT_PM_TMR_LEN, PM_TMR_LEN);
	put16(t, FADT_P_LVL2_LAT, P_LVL2_LAT_NONE);
	put16(t, FADT_P_LVL3_LAT, P_LVL3_LAT_NONE);
	put16(t, FADT_IAPC_BOOT_ARCH, FADT_BOOT_ARCH);
	put32(t, FADT_FLAGS, flags);
	put8(t, FADT_MINOR_VERSION, FADT_MINOR_REVISION);
	put64(t, FADT_X_FIRMWARE_CTRL, 0);
	put64(t, FADT_X_DSDT, dsdt_gpa);
	put_gas_io(t, FADT_X_PM1A_EVT_BLK, PM1_EVT_LEN * 8, GAS_ACCESS_WORD, p->pm1a_event_port);
	put_gas_io(t, FADT_X_PM1A_CNT_BLK, PM1_CNT_LEN * 8, GAS_ACCESS_WORD,
		   p->pm1a_control_port);
	put_gas_io(t, FADT_X_PM_TMR_BLK, PM_TMR_LEN * 8, GAS_ACCESS_DWORD, p->pm_timer_port);
	put_text(t, FADT_HYPERVISOR_VENDOR_IDENTITY, ACPI_OEM_TABLE_ID, 8);
	finish_table(t, FADT_SIZE);
}

/* One Interrupt Source Override (§5.2.12.5) at t + at; returns the offset after it. */
static size_t put_override(uint8_t *t, size_t at, uint8_t isa_irq, uint32_t gsi, uint16_t flags)
{
	put8(t, at + 0, MADT_TYPE_INTERRUPT_OVERRIDE);
	put8(t, at + 1, MADT_LEN_INTERRUPT_OVERRIDE);
	put8(t, at + 2, MADT_BUS_ISA);
	put8(t, at + 3, isa_irq);
	put32(t, at + 4, gsi);
	put16(t, at + 8, flags);
	return at + MADT_LEN_INTERRUPT_OVERRIDE;
}

static void build_madt(uint8_t *t, size_t size, const struct acpi_platform *p)
{
	size_t at = MADT_HEADER_SIZE;

	put_header(t, "APIC", (uint32_t)size, MADT_REVISION);
	put32(t, MADT_LOCAL_APIC_ADDRESS, ACPI_LOCAL_APIC_ADDRESS);
	put32(t, MADT_FLAGS, MADT_PCAT_COMPAT);

	for (unsigned cpu = 0; cpu < p->cpu_count; cpu++) {
		put8(t, at + 0, MADT_TYPE_LOCAL_APIC);
		put8(t, at + 1, MADT_LEN_LOCAL_APIC);
		put8(t, at + 2, (uint8_t)cpu);          /* ACPI Processor UID */
		put8(t, at + 3, (uint8_t)cpu);          /* APIC ID */
		put32(t, at + 4, MADT_LOCAL_APIC_ENABLED);
		at += MADT_LEN_LOCAL_APIC;
	}

	put8(t, at + 0, MADT_TYPE_IO_APIC);
	put8(t, at + 1, MADT_LEN_IO_APIC);
	put8(t, at + 2, p->ioapic_id);
	put8(t, at + 3, 0);                             /* reserved */
	put32(t, at + 4, ACPI_IO_APIC_ADDRESS);
	put32(t, at + 8, 0);                            /* Global System Interrupt Base */
	at += MADT_LEN_IO_APIC;

	/* The PIT's IRQ0 arrives on I/O APIC pin 2; flags 0 as QEMU emits it. The SCI keeps its
	 * number but is active high, level triggered (QEMU's PIIX4/ICH9 SCI). */
	at = put_override(t, at, ISA_IRQ_TIMER, GSI_TIMER, MPS_INTI_CONFORMING);
	at = put_override(t, at, p->sci_irq, p->sci_irq, MPS_INTI_ACTIVE_HIGH_LEVEL);

	put8(t, at + 0, MADT_TYPE_LOCAL_APIC_NMI);
	put8(t, at + 1, MADT_LEN_LOCAL_APIC_NMI);
	put8(t, at + 2, MADT_ALL_PROCESSORS);
	put16(t, at + 3, 0);                            /* MPS INTI flags: conforming */
	put8(t, at + 5, MADT_LINT1);

	/* The NMI structure ends the table: compute_layout counted the same structures. */
	finish_table(t, (uint32_t)size);
}

static void build_hpet(uint8_t *t)
{
	put_header(t, "HPET", HPET_TABLE_SIZE, HPET_TABLE_REVISION);
	put32(t, HPET_TABLE_BLOCK_ID, ACPI_HPET_BLOCK_ID);
	put8(t, HPET_TABLE_BASE + 0, GAS_SPACE_SYSTEM_MEMORY);
	put8(t, HPET_TABLE_BASE + 1, 0);               /* bit width, offset, access size: 0, */
	put8(t, HPET_TABLE_BASE + 2, 0);               /* as QEMU and real firmware give them */
	put8(t, HPET_TABLE_BASE + 3, 0);
	put64(t, HPET_TABLE_BASE + 4, ACPI_HPET_ADDRESS);
	put8(t, HPET_TABLE_NUMBER, 0);
	put16(t, HPET_TABLE_MIN_TICK, HPET_MIN_TICK);
	put8(t, HPET_TABLE_PAGE_PROTECTION, 0);        /* no guarantee */
	finish_table(t, HPET_TABLE_SIZE);
}

/* The RSDT's and XSDT's entries: the FADT, the MADT, the HPET table. */
#define ROOT_ENTRIES 3

static void build_rsdt(uint8_t *t, size_t size, const uint32_t entries[ROOT_ENTRIES])
{
	put_header(t, "RSDT", (uint32_t)size, RSDT_REVISION);
	for (unsigned i = 0; i < ROOT_ENTRIES; i++)
		put32(t, SDT_HEADER_SIZE + 4 * i, entries[i]);
	finish_table(t, (uint32_t)size);
}

static void build_xsdt(uint8_t *t, size_t size, const uint32_t entries[ROOT_ENTRIES])
{
	put_header(t, "XSDT", (uint32_t)size, XSDT_REVISION);
	for (unsigned i = 0; i < ROOT_ENTRIES; i++)
		put64(t, SDT_HEADER_SIZE + 8 * i, entries[i]);
	finish_table(t, (uint32_t)size);
}

static void build_rsdp(uint8_t *r, uint32_t rsdt_gpa, uint64_t xsdt_gpa)
{
	memset(r, 0, ACPI_RSDP_SIZE);
	put_text(r, RSDP_SIGNATURE, "RSD PTR ", 8);
	put_text(r, RSDP_OEM_ID, ACPI_OEM_ID, 6);
	put8(r, RSDP_REVISION, RSDP_REVISION_2);
	put32(r, RSDP_RSDT_ADDRESS, rsdt_gpa);
	put32(r, RSDP_LENGTH, ACPI_RSDP_SIZE);
	put64(r, RSDP_XSDT_ADDRESS, xsdt_gpa);
	put8(r, RSDP_CHECKSUM, checksum(r, RSDP_V1_SIZE));
	put8(r, RSDP_EXTENDED_CHECKSUM, checksum(r, ACPI_RSDP_SIZE));
}

/* ---------------------------------------------------------------------------------------- */

void acpi_platform_defaults(struct acpi_platform *p, unsigned cpu_count)
{
	memset(p, 0, sizeof(*p));
	p->rsdp_gpa = ACPI_DEFAULT_RSDP_GPA;
	p->tables_gpa = ACPI_DEFAULT_TABLES_GPA;
	p->cpu_count = cpu_count;
	p->ioapic_id = 0;
	p->sci_irq = ACPI_DEFAULT_SCI_IRQ;
	p->pm1a_event_port = ACPI_DEFAULT_PM1A_EVENT_PORT;
	p->pm1a_control_port = ACPI_DEFAULT_PM1A_CONTROL_PORT;
	p->pm_timer_port = ACPI_DEFAULT_PM_TIMER_PORT;
	p->pm_timer_32bit = true;
}

size_t acpi_tables_size(unsigned cpu_count)
{
	struct acpi_layout l;

	if (cpu_count == 0 || cpu_count > ACPI_MAX_CPUS)
		return 0;
	compute_layout(cpu_count, &l);
	return l.size;
}

/* The PM register blocks: each at a non-zero port, within the I/O space, not overlapping. */
static int check_ports(const struct acpi_platform *p, char *err, size_t len)
{
	const struct {
		const char *name;
		uint16_t port;
		unsigned size;
	} blocks[] = {
		{ "PM1a event block", p->pm1a_event_port, PM1_EVT_LEN },
		{ "PM1a control block", p->pm1a_control_port, PM1_CNT_LEN },
		{ "PM timer block", p->pm_timer_port, PM_TMR_LEN },
	};

	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++) {
		uint32_t end = (uint32_t)blocks[i].port + blocks[i].size;

		if (blocks[i].port == 0) {
			fmt_error(err, len, "ACPI: %s at port 0", blocks[i].name);
			return -1;
		}
		if (end > 0x10000u) {
			fmt_error(err, len, "ACPI: %s [0x%x, 0x%x) passes the end of the I/O space",
				  blocks[i].name, blocks[i].port, end);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			uint32_t other_end = (uint32_t)blocks[j].port + blocks[j].size;

			if (blocks[i].port < other_end && blocks[j].port < end) {
				fmt_error(err, len,
					  "ACPI: %s [0x%x, 0x%x) overlaps the %s [0x%x, 0x%x)",
					  blocks[i].name, blocks[i].port, end, blocks[j].name,
					  blocks[j].port, other_end);
				return -1;
			}
		}
	}
	return 0;
}

static int check_platform(uint64_t ram_bytes, const struct acpi_platform *p,
			  const struct acpi_layout *l, char *err, size_t len)
{
	uint64_t rsdp_end = (uint64_t)p->rsdp_gpa + ACPI_RSDP_SIZE;
	uint64_t tables_end = (uint64_t)p->tables_gpa + l->size;

	if (p->cpu_count == 0 || p->cpu_count > ACPI_MAX_CPUS) {
		fmt_error(err, len, "ACPI: CPU count %u is out of range 1..%u", p->cpu_count,
			  ACPI_MAX_CPUS);
		return -1;
	}
	if (p->sci_irq == 0 || p->sci_irq == 2 || p->sci_irq > 15) {
		fmt_error(err, len, "ACPI: SCI IRQ %u is not an ISA IRQ 1..15 other than 2",
			  p->sci_irq);
		return -1;
	}
	if (check_ports(p, err, len) != 0)
		return -1;
	if (ram_bytes < ACPI_RSDP_SCAN_END) {
		fmt_error(err, len,
			  "ACPI: guest RAM of 0x%llx bytes does not reach 1 MiB, where the RSDP "
			  "must lie",
			  (unsigned long long)ram_bytes);
		return -1;
	}
	if (p->rsdp_gpa % 16 != 0) {
		fmt_error(err, len, "ACPI: RSDP address 0x%x is not 16-byte aligned", p->rsdp_gpa);
		return -1;
	}
	if (p->rsdp_gpa < ACPI_RSDP_SCAN_START || rsdp_end > ACPI_RSDP_SCAN_END) {
		fmt_error(err, len,
			  "ACPI: RSDP [0x%x, 0x%llx) lies outside 0xe0000..0xfffff, where an OS "
			  "scans for it",
			  p->rsdp_gpa, (unsigned long long)rsdp_end);
		return -1;
	}
	if (p->tables_gpa % FACS_ALIGN != 0) {
		fmt_error(err, len,
			  "ACPI: tables address 0x%x is not 64-byte aligned (the FACS needs it)",
			  p->tables_gpa);
		return -1;
	}
	if (tables_end > (uint64_t)UINT32_MAX + 1) {
		fmt_error(err, len,
			  "ACPI: tables [0x%x, 0x%llx) end beyond 4 GiB (the RSDT and FADT hold "
			  "32-bit addresses)",
			  p->tables_gpa, (unsigned long long)tables_end);
		return -1;
	}
	if (tables_end > ram_bytes) {
		fmt_error(err, len,
			  "ACPI: tables [0x%x, 0x%llx) do not fit in guest RAM (0x%llx bytes)",
			  p->tables_gpa, (unsigned long long)tables_end,
			  (unsigned long long)ram_bytes);
		return -1;
	}
	if (p->rsdp_gpa < tables_end && p->tables_gpa < rsdp_end) {
		fmt_error(err, len, "ACPI: RSDP [0x%x, 0x%llx) overlaps the tables [0x%x, 0x%llx)",
			  p->rsdp_gpa, (unsigned long long)rsdp_end, p->tables_gpa,
			  (unsigned long long)tables_end);
		return -1;
	}
	return 0;
}

int acpi_build_tables(uint8_t *guest_ram, uint64_t ram_bytes, const struct acpi_platform *p,
		      char *err, size_t len)
{
	struct acpi_layout l;
	uint8_t *base;
	uint32_t gpa;
	uint32_t entries[ROOT_ENTRIES];

	compute_layout(p->cpu_count <= ACPI_MAX_CPUS ? p->cpu_count : 0, &l);
	if (check_platform(ram_bytes, p, &l, err, len) != 0)
		return -1;

	base = guest_ram + p->tables_gpa;
	gpa = p->tables_gpa;
	memset(base, 0, l.size);
	build_facs(base + l.facs);
	build_dsdt(base + l.dsdt);
	build_fadt(base + l.fadt, p, gpa + (uint32_t)l.facs, gpa + (uint32_t)l.dsdt);
	build_madt(base + l.madt, l.madt_size, p);
	build_hpet(base + l.hpet);
	entries[0] = gpa + (uint32_t)l.fadt;
	entries[1] = gpa + (uint32_t)l.madt;
	entries[2] = gpa + (uint32_t)l.hpet;
	build_rsdt(base + l.rsdt, l.rsdt_size, entries);
	build_xsdt(base + l.xsdt, l.xsdt_size, entries);
	build_rsdp(guest_ram + p->rsdp_gpa, gpa + (uint32_t)l.rsdt, gpa + l.xsdt);
	return 0;
}
