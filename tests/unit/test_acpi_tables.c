/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/acpi_tables.c. The tables are written into a fake guest RAM filled
 * with a pattern, then read back the way an OS does (ACPI Specification 6.5): find the RSDP by
 * scanning 0xE0000..0xFFFFF on 16-byte boundaries for "RSD PTR " with a valid checksum
 * (§5.2.5.1), follow the RSDT and the XSDT, check every table's signature, length, revision
 * and checksum, walk the MADT's interrupt controller structures and check each field, and
 * check the FADT's PM register blocks against their Generic Address Structures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/acpi_tables.h"

#define MIB (1024ull * 1024ull)
#define RAM_BYTES (4 * MIB)
#define RAM_FILL 0xaa

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t byte_sum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum;
}

static uint8_t *new_ram(size_t size)
{
	uint8_t *ram = malloc(size);

	assert_non_null(ram);
	memset(ram, RAM_FILL, size);
	return ram;
}

/* ---------------------------------------------------------------------------------------- */
/* Reading the tables as an OS does                                                         */

/* What the parser found; every pointer is a guest-physical address. */
struct parsed {
	uint64_t rsdp, rsdt, xsdt, fadt, madt, hpet, dsdt, facs;
	unsigned lapic_count;
	uint8_t lapic_uid[256], lapic_id[256];
	uint32_t lapic_flags[256];
	unsigned ioapic_count;
	uint8_t ioapic_id;
	uint32_t ioapic_address, ioapic_gsi_base;
	unsigned override_count;
	uint8_t override_bus[8], override_source[8];
	uint32_t override_gsi[8];
	uint16_t override_flags[8];
	unsigned nmi_count;
	uint8_t nmi_uid, nmi_lint;
	uint16_t nmi_flags;
};

/* Linux acpi_find_root_pointer / ACPICA acpi_tb_scan_memory_for_rsdp: the first 16-byte
 * aligned "RSD PTR " whose first 20 bytes sum to 0 (and, for revision >= 2, all `length`). */
static uint64_t scan_for_rsdp(const uint8_t *ram)
{
	for (uint64_t a = ACPI_RSDP_SCAN_START; a + 20 <= ACPI_RSDP_SCAN_END; a += 16) {
		const uint8_t *r = ram + a;

		if (memcmp(r, "RSD PTR ", 8) != 0 || byte_sum(r, 20) != 0)
			continue;
		if (r[15] >= 2) {
			uint32_t length = (uint32_t)get_le(r + 20, 4);

			if (length < 36 || a + length > ACPI_RSDP_SCAN_END ||
			    byte_sum(r, length) != 0)
				continue;
		}
		return a;
	}
	return 0;
}

/* A §5.2.6 header: signature, a length within RAM, the revision, a zero byte sum, the OEM
 * fields. Returns the length. */
static uint32_t check_sdt(const uint8_t *ram, uint64_t gpa, const char *signature,
			  uint8_t revision)
{
	const uint8_t *t = ram + gpa;
	uint32_t length;

	if (gpa == 0 || gpa + 36 > RAM_BYTES)
		fail_msg("%s at 0x%llx: outside RAM", signature, (unsigned long long)gpa);
	if (memcmp(t, signature, 4) != 0)
		fail_msg("table at 0x%llx: signature '%.4s', want '%s'", (unsigned long long)gpa,
			 (const char *)t, signature);
	length = (uint32_t)get_le(t + 4, 4);
	if (length < 36 || gpa + length > RAM_BYTES)
		fail_msg("%s: length %u", signature, length);
	if (t[8] != revision)
		fail_msg("%s: revision %u, want %u", signature, t[8], revision);
	if (byte_sum(t, length) != 0)
		fail_msg("%s: checksum wrong (bytes sum to 0x%02x)", signature, byte_sum(t, length));
	assert_memory_equal(t + 10, "APICVR", 6);
	assert_memory_equal(t + 16, "APICVISR", 8);
	assert_int_equal(get_le(t + 24, 4), 1);
	assert_memory_equal(t + 28, "APVR", 4);
	assert_int_equal(get_le(t + 32, 4), 1);
	return length;
}

static void walk_madt(const uint8_t *ram, struct parsed *out)
{
	const uint8_t *t = ram + out->madt;
	uint32_t length = check_sdt(ram, out->madt, "APIC", 6);
	uint32_t at = 44;

	assert_int_equal(get_le(t + 36, 4), 0xfee00000u);      /* Local Interrupt Controller */
	assert_int_equal(get_le(t + 40, 4), 1);                /* PCAT_COMPAT */
	while (at < length) {
		const uint8_t *e = t + at;
		uint8_t type = e[0], len = e[1];

		if (len < 2 || at + len > length)
			fail_msg("MADT structure at +%u: length %u runs past the table (%u)", at, len,
				 length);
		switch (type) {
		case 0:     /* Processor Local APIC */
			assert_int_equal(len, 8);
			assert_true(out->lapic_count < 256);
			out->lapic_uid[out->lapic_count] = e[2];
			out->lapic_id[out->lapic_count] = e[3];
			out->lapic_flags[out->lapic_count] = (uint32_t)get_le(e + 4, 4);
			out->lapic_count++;
			break;
		case 1:     /* I/O APIC */
			assert_int_equal(len, 12);
			assert_int_equal(e[3], 0);
			out->ioapic_id = e[2];
			out->ioapic_address = (uint32_t)get_le(e + 4, 4);
			out->ioapic_gsi_base = (uint32_t)get_le(e + 8, 4);
			out->ioapic_count++;
			break;
		case 2:     /* Interrupt Source Override */
			assert_int_equal(len, 10);
			assert_true(out->override_count < 8);
			out->override_bus[out->override_count] = e[2];
			out->override_source[out->override_count] = e[3];
			out->override_gsi[out->override_count] = (uint32_t)get_le(e + 4, 4);
			out->override_flags[out->override_count] = (uint16_t)get_le(e + 8, 2);
			out->override_count++;
			break;
		case 4:     /* Local APIC NMI */
			assert_int_equal(len, 6);
			out->nmi_uid = e[2];
			out->nmi_flags = (uint16_t)get_le(e + 3, 2);
			out->nmi_lint = e[5];
			out->nmi_count++;
			break;
		default:
			fail_msg("MADT structure at +%u: unexpected type %u", at, type);
		}
		at += len;
	}
	assert_int_equal(at, length);
}

/* A FADT register block: the legacy port and length, and the X_ GAS, must agree. */
static void check_block(const uint8_t *fadt, unsigned legacy_offset, unsigned length_offset,
			unsigned gas_offset, uint16_t want_port, uint8_t want_length,
			uint8_t want_access)
{
	const uint8_t *gas = fadt + gas_offset;

	assert_int_equal(get_le(fadt + legacy_offset, 4), want_port);
	assert_int_equal(fadt[length_offset], want_length);
	assert_int_equal(gas[0], 1);                       /* System I/O */
	assert_int_equal(gas[1], want_length * 8);         /* bit width = length in bits */
	assert_int_equal(gas[2], 0);                       /* bit offset */
	assert_int_equal(gas[3], want_access);
	assert_int_equal(get_le(gas + 4, 8), want_port);
}

static void assert_zero(const uint8_t *p, size_t len, const char *what)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] != 0)
			fail_msg("%s: byte %zu is 0x%02x, want 0", what, i, p[i]);
	}
}

static void check_fadt(const uint8_t *ram, const struct acpi_platform *p, struct parsed *out)
{
	const uint8_t *f = ram + out->fadt;
	uint32_t flags;

	assert_int_equal(check_sdt(ram, out->fadt, "FACP", 6), 276);
	assert_int_equal(f[131], 5);                       /* FADT Minor Version: 6.5 */

	/* FACS through FIRMWARE_CTRL (X_FIRMWARE_CTRL 0: one of the two, as the spec asks). */
	out->facs = get_le(f + 36, 4);
	assert_int_equal(get_le(f + 132, 8), 0);
	assert_true(out->facs != 0);
	assert_int_equal(out->facs % 64, 0);
	assert_memory_equal(ram + out->facs, "FACS", 4);
	assert_int_equal(get_le(ram + out->facs + 4, 4), 64);
	assert_int_equal(ram[out->facs + 32], 2);          /* version */
	assert_int_equal(get_le(ram + out->facs + 12, 4), 0);   /* waking vector */
	assert_int_equal(get_le(ram + out->facs + 16, 4), 0);   /* global lock */

	/* DSDT and X_DSDT agree and lead to a valid definition block. */
	out->dsdt = get_le(f + 40, 4);
	assert_int_equal(get_le(f + 140, 8), out->dsdt);
	assert_int_equal(check_sdt(ram, out->dsdt, "DSDT", 2), 36 + 13);
	/* Its AML: Name (\_S5, Package (4) { 0, 0, 0, 0 }), byte for byte (§20.2.5.1 DefName,
	 * §20.2.5.4 DefPackage: PkgLength counts itself, NumElements and the 4 ZeroOps). */
	assert_memory_equal(ram + out->dsdt + 36,
			    ((const uint8_t[]){ 0x08, 0x5C, '_', 'S', '5', '_', 0x12, 0x06, 0x04,
						0x00, 0x00, 0x00, 0x00 }), 13);

	assert_int_equal(get_le(f + 46, 2), p->sci_irq);   /* SCI_INT */
	assert_int_equal(get_le(f + 48, 4), 0);            /* SMI_CMD: always in ACPI mode */
	assert_int_equal(f[52], 0);                        /* ACPI_ENABLE */
	assert_int_equal(f[53], 0);                        /* ACPI_DISABLE */

	check_block(f, 56, 88, 148, p->pm1a_event_port, 4, 2);     /* PM1a_EVT_BLK */
	check_block(f, 64, 89, 172, p->pm1a_control_port, 2, 2);   /* PM1a_CNT_BLK */
	check_block(f, 76, 91, 208, p->pm_timer_port, 4, 3);       /* PM_TMR_BLK */
	/* Absent blocks: PM1b event and control, PM2, GPE0, GPE1, legacy and X_. */
	assert_zero(f + 60, 4, "PM1b_EVT_BLK");
	assert_zero(f + 68, 4, "PM1b_CNT_BLK");
	assert_zero(f + 72, 4, "PM2_CNT_BLK");
	assert_zero(f + 80, 8, "GPE0_BLK, GPE1_BLK");
	assert_int_equal(f[90], 0);                        /* PM2_CNT_LEN */
	assert_zero(f + 92, 4, "GPE lengths, GPE1_BASE, CST_CNT");
	assert_zero(f + 160, 12, "X_PM1b_EVT_BLK");
	assert_zero(f + 184, 24, "X_PM1b_CNT_BLK, X_PM2_CNT_BLK");
	assert_zero(f + 220, 48, "X_GPE0/1_BLK, SLEEP_CONTROL/STATUS_REG");

	assert_true(get_le(f + 96, 2) > 100);              /* no C2 */
	assert_true(get_le(f + 98, 2) > 1000);             /* no C3 */
	assert_int_equal(f[108], 0);                       /* CENTURY: no RTC */
	/* IA-PC boot architecture: legacy devices, no 8042, no VGA, no CMOS RTC. */
	/* IAPC_BOOT_ARCH: legacy devices, no VGA; the CMOS RTC present; no 8042 announced. */
	assert_int_equal(get_le(f + 109, 2), (1u << 0) | (1u << 2));

	flags = (uint32_t)get_le(f + 112, 4);
	assert_true(flags & (1u << 0));                    /* WBINVD */
	assert_true(flags & (1u << 2));                    /* PROC_C1 */
	assert_true(flags & (1u << 4));                    /* PWR_BUTTON: none fixed */
	assert_true(flags & (1u << 5));                    /* SLP_BUTTON: none fixed */
	assert_int_equal((flags >> 8) & 1, p->pm_timer_32bit ? 1 : 0);   /* TMR_VAL_EXT */
	assert_false(flags & (1u << 20));                  /* not HW_REDUCED_ACPI */
	assert_false(flags & (1u << 10));                  /* no RESET_REG */
	assert_zero(f + 116, 13, "RESET_REG, RESET_VALUE");
	assert_memory_equal(f + 268, "APICVISR", 8);       /* Hypervisor Vendor Identity */
}

/* The HPET table (IA-PC HPET Specification 1.0a): ID, the block in memory space at
 * 0xFED00000, HPET number 0, minimum tick 0x80, as QEMU's pc machine has it. */
static void check_hpet(const uint8_t *ram, const struct parsed *out)
{
	const uint8_t *t = ram + out->hpet;

	assert_int_equal(check_sdt(ram, out->hpet, "HPET", 1), 56);
	assert_int_equal(get_le(t + 36, 4), 0x8086a201u);
	assert_int_equal(t[40], 0);                        /* system memory */
	assert_int_equal(get_le(t + 44, 8), 0xfed00000u);
	assert_int_equal(t[52], 0);
	assert_int_equal(get_le(t + 53, 2), 0x80);
	assert_int_equal(t[55], 0);
}

/* Finds and checks everything; fills *out. */
static void parse_as_os(const uint8_t *ram, const struct acpi_platform *p, struct parsed *out)
{
	const uint8_t *r, *rsdt, *xsdt;
	uint32_t rsdt_len, xsdt_len;

	memset(out, 0, sizeof(*out));
	out->rsdp = scan_for_rsdp(ram);
	if (out->rsdp == 0)
		fail_msg("no RSDP found in 0xe0000..0xfffff");
	assert_int_equal(out->rsdp, p->rsdp_gpa);
	r = ram + out->rsdp;
	assert_int_equal(r[15], 2);                        /* revision: ACPI 2.0+ */
	assert_int_equal(get_le(r + 20, 4), 36);           /* length */
	assert_memory_equal(r + 9, "APICVR", 6);
	assert_int_equal(byte_sum(r, 20), 0);
	assert_int_equal(byte_sum(r, 36), 0);
	assert_zero(r + 33, 3, "RSDP reserved");

	out->rsdt = get_le(r + 16, 4);
	out->xsdt = get_le(r + 24, 8);
	rsdt_len = check_sdt(ram, out->rsdt, "RSDT", 1);
	xsdt_len = check_sdt(ram, out->xsdt, "XSDT", 1);
	assert_int_equal(rsdt_len, 36 + 3 * 4);
	assert_int_equal(xsdt_len, 36 + 3 * 8);
	rsdt = ram + out->rsdt;
	xsdt = ram + out->xsdt;
	/* Both list the same tables, in the same order. */
	for (unsigned i = 0; i < 3; i++) {
		uint64_t via_rsdt = get_le(rsdt + 36 + 4 * i, 4);
		uint64_t via_xsdt = get_le(xsdt + 36 + 8 * i, 8);

		assert_int_equal(via_rsdt, via_xsdt);
		if (memcmp(ram + via_rsdt, "FACP", 4) == 0)
			out->fadt = via_rsdt;
		else if (memcmp(ram + via_rsdt, "APIC", 4) == 0)
			out->madt = via_rsdt;
		else if (memcmp(ram + via_rsdt, "HPET", 4) == 0)
			out->hpet = via_rsdt;
		else
			fail_msg("entry %u: table '%.4s'", i, (const char *)ram + via_rsdt);
	}
	assert_true(out->fadt != 0 && out->madt != 0 && out->hpet != 0);
	check_fadt(ram, p, out);
	walk_madt(ram, out);
	check_hpet(ram, out);
}

static void check_madt_contents(const struct parsed *m, const struct acpi_platform *p)
{
	assert_int_equal(m->lapic_count, p->cpu_count);
	for (unsigned i = 0; i < m->lapic_count; i++) {
		if (m->lapic_uid[i] != i || m->lapic_id[i] != i || m->lapic_flags[i] != 1)
			fail_msg("Local APIC %u: UID %u, APIC ID %u, flags 0x%x", i, m->lapic_uid[i],
				 m->lapic_id[i], m->lapic_flags[i]);
	}
	assert_int_equal(m->ioapic_count, 1);
	assert_int_equal(m->ioapic_id, p->ioapic_id);
	assert_int_equal(m->ioapic_address, 0xfec00000u);
	assert_int_equal(m->ioapic_gsi_base, 0);

	assert_int_equal(m->override_count, 2);
	assert_int_equal(m->override_bus[0], 0);           /* ISA */
	assert_int_equal(m->override_source[0], 0);        /* IRQ0 */
	assert_int_equal(m->override_gsi[0], 2);           /* → GSI 2 */
	assert_int_equal(m->override_flags[0], 0);         /* conforms to the bus: edge, high */
	assert_int_equal(m->override_bus[1], 0);
	assert_int_equal(m->override_source[1], p->sci_irq);
	assert_int_equal(m->override_gsi[1], p->sci_irq);
	assert_int_equal(m->override_flags[1], 0xd);       /* active high, level */

	assert_int_equal(m->nmi_count, 1);
	assert_int_equal(m->nmi_uid, 0xff);                /* all processors */
	assert_int_equal(m->nmi_flags, 0);
	assert_int_equal(m->nmi_lint, 1);                  /* LINT1 */
}

/* Each table lies inside [tables_gpa, tables_gpa + size); none overlaps another; RAM outside
 * that range and the RSDP's 36 bytes is untouched. */
static void check_placement(const uint8_t *ram, const struct acpi_platform *p,
			    const struct parsed *m)
{
	const struct {
		uint64_t gpa;
		uint32_t len;
	} pieces[] = {
		{ m->facs, 64 },
		{ m->dsdt, (uint32_t)get_le(ram + m->dsdt + 4, 4) },
		{ m->fadt, (uint32_t)get_le(ram + m->fadt + 4, 4) },
		{ m->madt, (uint32_t)get_le(ram + m->madt + 4, 4) },
		{ m->rsdt, (uint32_t)get_le(ram + m->rsdt + 4, 4) },
		{ m->xsdt, (uint32_t)get_le(ram + m->xsdt + 4, 4) },
	};
	uint64_t start = p->tables_gpa, end = start + acpi_tables_size(p->cpu_count);

	for (size_t i = 0; i < ARRAY_SIZE(pieces); i++) {
		if (pieces[i].gpa < start || pieces[i].gpa + pieces[i].len > end)
			fail_msg("table %zu [0x%llx, +0x%x) outside [0x%llx, 0x%llx)", i,
				 (unsigned long long)pieces[i].gpa, pieces[i].len,
				 (unsigned long long)start, (unsigned long long)end);
		for (size_t j = 0; j < i; j++) {
			if (pieces[i].gpa < pieces[j].gpa + pieces[j].len &&
			    pieces[j].gpa < pieces[i].gpa + pieces[i].len)
				fail_msg("tables %zu and %zu overlap", i, j);
		}
	}
	for (uint64_t a = 0; a < RAM_BYTES; a++) {
		bool ours = (a >= start && a < end) || (a >= p->rsdp_gpa && a < p->rsdp_gpa + 36);

		if (!ours && ram[a] != RAM_FILL)
			fail_msg("byte at 0x%llx outside the tables was written",
				 (unsigned long long)a);
	}
}

/* ---------------------------------------------------------------------------------------- */

static void test_defaults(void **state)
{
	struct acpi_platform p;

	(void)state;
	memset(&p, 0x5a, sizeof(p));
	acpi_platform_defaults(&p, 3);
	assert_int_equal(p.rsdp_gpa, 0xf0000);
	assert_int_equal(p.tables_gpa, 0xf1000);
	assert_int_equal(p.cpu_count, 3);
	assert_int_equal(p.ioapic_id, 0);
	assert_int_equal(p.sci_irq, 9);
	assert_int_equal(p.pm1a_event_port, 0x600);
	assert_int_equal(p.pm1a_control_port, 0x604);
	assert_int_equal(p.pm_timer_port, 0x608);
	assert_true(p.pm_timer_32bit);
}

static void test_no_tables_no_rsdp(void **state)
{
	uint8_t *ram = new_ram(RAM_BYTES);

	(void)state;
	/* The scanner finds nothing in RAM that holds no tables, so finding one means something. */
	assert_int_equal(scan_for_rsdp(ram), 0);
	free(ram);
}

struct platform_case {
	const char *name;
	unsigned cpu_count;
	uint8_t ioapic_id;
	uint32_t rsdp_gpa;          /* 0: default */
	uint32_t tables_gpa;        /* 0: default */
	uint8_t sci_irq;            /* 0: default */
	uint16_t pm_base;           /* 0: default; else event at +0, control +4, timer +8 */
	bool pm_timer_24bit;
};

static const struct platform_case platform_cases[] = {
	{ "defaults, 1 CPU", 1, 0, 0, 0, 0, 0, false },
	{ "2 CPUs, I/O APIC ID 2", 2, 2, 0, 0, 0, 0, false },
	{ "8 CPUs, 24-bit PM timer", 8, 8, 0, 0, 0, 0, true },
	{ "64 CPUs", 64, 0, 0, 0, 0, 0, false },
	{ "255 CPUs", 255, 0, 0, 0, 0, 0, false },
	{ "RSDP first slot", 4, 0, 0xe0000, 0, 0, 0, false },
	{ "RSDP last slot", 4, 0, 0xfffd0, 0, 0, 0, false },
	{ "tables right after the RSDP", 2, 0, 0xf0000, 0xf0040, 0, 0, false },
	{ "tables at the top of RAM", 4, 0, 0, (uint32_t)(RAM_BYTES - 0x1000), 0, 0, false },
	{ "tables in the EBDA", 1, 0, 0, 0x9fc00, 0, 0, false },
	{ "SCI IRQ 11, PM base 0xb000", 2, 0, 0, 0, 11, 0xb000, false },
};

static void test_tables_parse_back(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(platform_cases); i++) {
		const struct platform_case *c = &platform_cases[i];
		struct acpi_platform p;
		static struct parsed parsed;
		uint8_t *ram = new_ram(RAM_BYTES);
		char err[200] = "";

		acpi_platform_defaults(&p, c->cpu_count);
		p.ioapic_id = c->ioapic_id;
		if (c->rsdp_gpa != 0)
			p.rsdp_gpa = c->rsdp_gpa;
		if (c->tables_gpa != 0)
			p.tables_gpa = c->tables_gpa;
		if (c->sci_irq != 0)
			p.sci_irq = c->sci_irq;
		if (c->pm_base != 0) {
			p.pm1a_event_port = c->pm_base;
			p.pm1a_control_port = (uint16_t)(c->pm_base + 4);
			p.pm_timer_port = (uint16_t)(c->pm_base + 8);
		}
		p.pm_timer_32bit = !c->pm_timer_24bit;
		print_message("%s\n", c->name);
		if (acpi_build_tables(ram, RAM_BYTES, &p, err, sizeof(err)) != 0)
			fail_msg("%s: unexpected error \"%s\"", c->name, err);
		parse_as_os(ram, &p, &parsed);
		check_madt_contents(&parsed, &p);
		check_placement(ram, &p, &parsed);
		free(ram);
	}
}

static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(acpi_tables_size(0), 0);
	assert_int_equal(acpi_tables_size(256), 0);
	/* FACS 64, DSDT 49, FADT 276, MADT 44 + 8n + 12 + 2 * 10 + 6, HPET 56, RSDT 48, XSDT 60,
	 * with the tables after the FACS 16-byte aligned: the sum bounds the size from below. */
	for (unsigned n = 1; n <= 255; n++) {
		size_t size = acpi_tables_size(n);
		size_t sum = 64 + 49 + 276 + (44 + 8 * n + 12 + 20 + 6) + 56 + 48 + 60;

		if (size < sum || size > sum + 5 * 15)
			fail_msg("%u CPUs: size %zu, tables %zu", n, size, sum);
	}
	/* Everything, even for 255 CPUs, fits between 0xF1000 and 1 MiB. */
	assert_true(0xf1000 + acpi_tables_size(255) <= 0x100000);
}

static void test_rebuild_overwrites_stale_tables(void **state)
{
	struct acpi_platform p;
	static struct parsed parsed;
	uint8_t *ram = new_ram(RAM_BYTES);

	(void)state;
	acpi_platform_defaults(&p, 8);
	assert_int_equal(acpi_build_tables(ram, RAM_BYTES, &p, NULL, 0), 0);
	/* Built again for fewer CPUs at the same place: the tables describe 2, not 8. */
	p.cpu_count = 2;
	assert_int_equal(acpi_build_tables(ram, RAM_BYTES, &p, NULL, 0), 0);
	parse_as_os(ram, &p, &parsed);
	check_madt_contents(&parsed, &p);
	free(ram);
}

/* One way to get the platform wrong, and the message it must give. */
struct error_case {
	const char *name;
	uint64_t ram_bytes;
	void (*mutate)(struct acpi_platform *p);
	const char *want;
};

static void no_change(struct acpi_platform *p)
{
	(void)p;
}

static void rsdp_misaligned(struct acpi_platform *p)
{
	p->rsdp_gpa = 0xf0008;
}

static void rsdp_below_scan(struct acpi_platform *p)
{
	p->rsdp_gpa = 0xdfff0;
}

static void rsdp_past_scan(struct acpi_platform *p)
{
	p->rsdp_gpa = 0xfffe0;                 /* 36 bytes would end at 0x100004 */
}

static void rsdp_in_low_ram(struct acpi_platform *p)
{
	p->rsdp_gpa = 0x1000;
}

static void tables_misaligned(struct acpi_platform *p)
{
	p->tables_gpa = 0xf1010;
}

static void tables_past_ram(struct acpi_platform *p)
{
	p->tables_gpa = (uint32_t)(RAM_BYTES - 0x100);
}

static void tables_past_4g(struct acpi_platform *p)
{
	p->tables_gpa = 0xffffff00u;
}

static void tables_overlap_rsdp(struct acpi_platform *p)
{
	p->rsdp_gpa = 0xf1040;
}

static void rsdp_just_before_tables(struct acpi_platform *p)
{
	p->rsdp_gpa = 0xf0ff0;                 /* 36 bytes reach into 0xf1000 */
}

static void zero_cpus(struct acpi_platform *p)
{
	p->cpu_count = 0;
}

static void too_many_cpus(struct acpi_platform *p)
{
	p->cpu_count = 256;
}

static void sci_zero(struct acpi_platform *p)
{
	p->sci_irq = 0;
}

static void sci_cascade(struct acpi_platform *p)
{
	p->sci_irq = 2;
}

static void sci_sixteen(struct acpi_platform *p)
{
	p->sci_irq = 16;
}

static void event_port_zero(struct acpi_platform *p)
{
	p->pm1a_event_port = 0;
}

static void timer_overlaps_control(struct acpi_platform *p)
{
	p->pm_timer_port = 0x605;
}

static void timer_past_io_space(struct acpi_platform *p)
{
	p->pm_timer_port = 0xfffe;
}

static const struct error_case error_cases[] = {
	{ "RAM below 1 MiB", 0xfffff, no_change,
	  "ACPI: guest RAM of 0xfffff bytes does not reach 1 MiB" },
	{ "RSDP misaligned", RAM_BYTES, rsdp_misaligned,
	  "ACPI: RSDP address 0xf0008 is not 16-byte aligned" },
	{ "RSDP below the scan area", RAM_BYTES, rsdp_below_scan,
	  "ACPI: RSDP [0xdfff0, 0xe0014) lies outside 0xe0000..0xfffff" },
	{ "RSDP past the scan area", RAM_BYTES, rsdp_past_scan,
	  "ACPI: RSDP [0xfffe0, 0x100004) lies outside" },
	{ "RSDP in low RAM", RAM_BYTES, rsdp_in_low_ram, "lies outside 0xe0000..0xfffff" },
	{ "tables misaligned", RAM_BYTES, tables_misaligned,
	  "ACPI: tables address 0xf1010 is not 64-byte aligned" },
	{ "tables past RAM", RAM_BYTES, tables_past_ram,
	  "ACPI: tables [0x3fff00, 0x40" },
	{ "tables past 4 GiB", 8ull << 30, tables_past_4g, "end beyond 4 GiB" },
	{ "tables overlap the RSDP", RAM_BYTES, tables_overlap_rsdp,
	  "ACPI: RSDP [0xf1040, 0xf1064) overlaps the tables [0xf1000, " },
	{ "RSDP runs into the tables", RAM_BYTES, rsdp_just_before_tables, "overlaps the tables" },
	{ "0 CPUs", RAM_BYTES, zero_cpus, "ACPI: CPU count 0 is out of range 1..255" },
	{ "256 CPUs", RAM_BYTES, too_many_cpus, "ACPI: CPU count 256 is out of range 1..255" },
	{ "SCI IRQ 0", RAM_BYTES, sci_zero, "ACPI: SCI IRQ 0 is not an ISA IRQ" },
	{ "SCI IRQ 2", RAM_BYTES, sci_cascade, "ACPI: SCI IRQ 2 is not an ISA IRQ" },
	{ "SCI IRQ 16", RAM_BYTES, sci_sixteen, "ACPI: SCI IRQ 16 is not an ISA IRQ" },
	{ "PM1a event at port 0", RAM_BYTES, event_port_zero,
	  "ACPI: PM1a event block at port 0" },
	{ "PM timer overlaps PM1a control", RAM_BYTES, timer_overlaps_control,
	  "ACPI: PM timer block [0x605, 0x609) overlaps the PM1a control block [0x604, 0x606)" },
	{ "PM timer past 0xFFFF", RAM_BYTES, timer_past_io_space,
	  "ACPI: PM timer block [0xfffe, 0x10002) passes the end of the I/O space" },
};

static void test_errors(void **state)
{
	/* The RAM buffer is RAM_BYTES long whatever ram_bytes says: nothing may be written. */
	uint8_t *ram = new_ram(RAM_BYTES);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		struct acpi_platform p;
		char err[200] = "";

		acpi_platform_defaults(&p, 2);
		c->mutate(&p);
		if (acpi_build_tables(ram, c->ram_bytes, &p, err, sizeof(err)) != -1)
			fail_msg("%s: accepted", c->name);
		if (strstr(err, c->want) == NULL)
			fail_msg("%s: message \"%s\" lacks \"%s\"", c->name, err, c->want);
	}
	for (size_t a = 0; a < RAM_BYTES; a++) {
		if (ram[a] != RAM_FILL)
			fail_msg("a refused build wrote guest RAM at 0x%zx", a);
	}
	/* No error buffer, or a short one: still refused, still terminated. */
	struct acpi_platform p;
	char small[6];

	acpi_platform_defaults(&p, 0);
	assert_int_equal(acpi_build_tables(ram, RAM_BYTES, &p, NULL, 0), -1);
	assert_int_equal(acpi_build_tables(ram, RAM_BYTES, &p, small, sizeof(small)), -1);
	assert_string_equal(small, "ACPI:");
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_no_tables_no_rsdp),
		cmocka_unit_test(test_tables_parse_back),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_rebuild_overwrites_stale_tables),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("acpi_tables", tests, NULL, NULL);
}
