/* SPDX-License-Identifier: MIT */
/*
 * The isolation probes (issue 7, scenarios.h describes each and its expected outcome): the guest
 * tries every way it has to reach memory that is not its own and looks for the secret of
 * include/apicvisor/isolation.h, which apicvisor keeps in a page of its own and in guard words
 * around its structures. The secret's words are computed where they are compared
 * (isolation_is_secret) and never stored, so that the guest cannot find its own copy.
 *
 * "isolation" runs the probes the guest survives and prints one line per probe,
 * "isolation: PROBE: OUTCOME", before SCENARIO_END. The probes that end the guest (a read where
 * the guest has neither RAM nor a device, a page walk the hypervisor cannot follow) are
 * scenarios of their own, one each, for the integration tests to check how the run ended.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apicvisor/hypercall.h"
#include "apicvisor/isolation.h"
#include "cpu.h"
#include "hypercall.h"
#include "idt.h"
#include "ioapic.h"
#include "lapic.h"
#include "lib/string.h"
#include "multiboot.h"
#include "scenario_kit.h"
#include "scenarios_reliability.h"
#include "serial.h"

#define ISOLATION_PAGE 4096u
#define ISOLATION_XAPIC_BASE 0xFEE00000u
#define ISOLATION_APIC_BASE_EN (1ull << 11)
#define ISOLATION_APIC_BASE_EXTD (1ull << 10)
#define ISOLATION_PTE_PRESENT 1ull
#define ISOLATION_PTE_WRITE 2ull
#define ISOLATION_PTE_LARGE (1ull << 7)
#define ISOLATION_ADDRESS_MASK 0x000FFFFFFFFFF000ull

/* ---- the secret ------------------------------------------------------------------------------ */

/* The mask, through an empty asm so that the compiler cannot fold it into the words: with
 * `value == apicvisor_secret_word(i)` it would compare against the secret's words as immediates,
 * which the RAM scan then finds in the guest's own code. Here the code holds only the masked
 * words and the mask. */
static uint64_t isolation_mask(void)
{
	uint64_t mask = APICVISOR_SECRET_MASK;

	__asm__("" : "+r"(mask));
	return mask;
}

/* Word i of the secret XOR-ed with the mask: a constant that is not the secret. */
static uint64_t isolation_masked_word(unsigned i)
{
	return apicvisor_secret_word(i) ^ APICVISOR_SECRET_MASK;
}

/* Whether `value` is one of the secret's words. */
static bool isolation_is_secret(uint64_t value)
{
	uint64_t masked = value ^ isolation_mask();

	for (unsigned i = 0; i < APICVISOR_SECRET_WORDS; i++) {
		if (masked == isolation_masked_word(i))
			return true;
	}
	return false;
}

/* Whether a 32-bit value read from a device is half of one of the secret's words. */
static bool isolation_is_secret_half(uint32_t value)
{
	uint64_t mask = isolation_mask();
	uint32_t low = value ^ (uint32_t)mask, high = value ^ (uint32_t)(mask >> 32);

	for (unsigned i = 0; i < APICVISOR_SECRET_WORDS; i++) {
		uint64_t masked = isolation_masked_word(i);

		if (low == (uint32_t)masked || high == (uint32_t)(masked >> 32))
			return true;
	}
	return false;
}

/* ---- what the run keeps ----------------------------------------------------------------------- */

#define ISOLATION_REPORT_BYTES 2048u

struct isolation_run {
	struct scenario_state *state;
	char report[ISOLATION_REPORT_BYTES]; /* the probe lines, printed before END */
	size_t report_len;
	unsigned probes;
	unsigned failed;             /* probes whose outcome was not the expected one */
	uint64_t secret_found;       /* places where a secret word turned up */
	uint64_t ram_end;
};

static void isolation_append(struct isolation_run *run, const char *text)
{
	while (*text != '\0' && run->report_len < sizeof(run->report) - 1)
		run->report[run->report_len++] = *text++;
}

/* One probe's line: its name, what it got and whether that was the outcome expected. */
static void isolation_outcome(struct isolation_run *run, const char *probe, bool expected,
			      const char *outcome)
{
	run->probes++;
	isolation_append(run, "isolation: ");
	isolation_append(run, probe);
	isolation_append(run, ": ");
	isolation_append(run, outcome);
	isolation_append(run, expected ? "\n" : " (UNEXPECTED)\n");
	if (!expected) {
		run->failed++;
		scenario_note(run->state, "probe %s: %s", probe, outcome);
	}
}

/* A number in hex, for outcome lines (no printf into a buffer in the guest's library). */
static const char *isolation_hex(uint64_t value, char buf[19])
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	unsigned n = 0;

	do {
		tmp[n++] = digits[value & 15];
		value >>= 4;
	} while (value != 0);
	buf[0] = '0';
	buf[1] = 'x';
	for (unsigned i = 0; i < n; i++)
		buf[2 + i] = tmp[n - 1 - i];
	buf[2 + n] = '\0';
	return buf;
}

/* ---- probe: guest RAM ------------------------------------------------------------------------ */

/* The end of the highest RAM the memory map reports available. */
static uint64_t isolation_ram_end(const struct multiboot_info *info)
{
	uint64_t end = 0;
	uintptr_t address = info->mmap_addr, last = address + info->mmap_length;

	if (!(info->flags & MULTIBOOT_INFO_MEM_MAP))
		return (uint64_t)(info->mem_upper + 1024) * 1024;
	while (address < last) {
		const struct multiboot_mmap_entry *e = (const void *)address;

		if (e->type == MULTIBOOT_MMAP_AVAILABLE && e->addr + e->len > end &&
		    e->addr + e->len <= 0xC0000000ull)
			end = e->addr + e->len;
		address += sizeof(e->size) + e->size;
	}
	return end;
}

/* Every 8-byte word of guest-physical [0, RAM end), the BIOS areas and the memory map's
 * reserved ranges included. */
static void isolation_probe_ram(struct isolation_run *run)
{
	uintptr_t zero;
	uint64_t found = 0, words = run->ram_end / 8;
	char buf[19];

	/* Guest-physical 0 is RAM here: the compiler must not take the pointer for NULL. */
	__asm__("" : "=r"(zero) : "0"((uintptr_t)0));
	const volatile uint64_t *p = (const volatile uint64_t *)zero;

	for (uint64_t i = 0; i < words; i++) {
		if (isolation_is_secret(p[i]) && found++ < 4)
			scenario_note(run->state, "a secret word at guest-physical 0x%lx", i * 8);
	}
	run->secret_found += found;
	scenario_report(run->state, "ram_scanned_kib", run->ram_end / 1024);
	isolation_outcome(run, "scan of all guest RAM", found == 0,
			  found == 0 ? "secret not found" : isolation_hex(found, buf));
}

/* ---- probe: hypercall strings outside RAM -------------------------------------------------- */

static const uint64_t isolation_bad_pointers[] = {
	0, /* replaced by the RAM end */
	1, /* replaced by the RAM end - 1: a string that runs off the end */
	ISOLATION_XAPIC_BASE, IOAPIC_BASE, 0xFFFFFFFFull, 0x100000000ull, 0x8000000000000000ull,
	0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFF0ull,
};

#define ISOLATION_BAD_POINTERS (sizeof(isolation_bad_pointers) / sizeof(isolation_bad_pointers[0]))

/* Results of the hypercalls made before BEGIN (the prepare step), for the run to report. */
static int64_t isolation_begin_results[ISOLATION_BAD_POINTERS];
static int64_t isolation_end_result;

static uint64_t isolation_bad_pointer(unsigned i, uint64_t ram_end)
{
	if (i == 0)
		return ram_end;
	if (i == 1) {
		/* The last byte of RAM is a printable character, so the string would go on. */
		*(volatile char *)(uintptr_t)(ram_end - 1) = 'x';
		return ram_end - 1;
	}
	return isolation_bad_pointers[i];
}

/* Before BEGIN: SCENARIO_BEGIN with names outside RAM, and END with no scenario. */
static enum scenario_failure isolation_prepare(struct scenario_state *state)
{
	uint64_t ram_end = isolation_ram_end(state->context->boot_info);
	const char *why;

	cpu_interrupts_disable();
	if (!lapic_setup(LAPIC_MODE_XAPIC, &why)) {
		scenario_note(state, "xAPIC mode: %s", why);
		return SCENARIO_FAILURE_APIC_SETUP;
	}

	for (unsigned i = 0; i < ISOLATION_BAD_POINTERS; i++)
		isolation_begin_results[i] = hypercall(APICVISOR_HC_SCENARIO_BEGIN,
						       isolation_bad_pointer(i, ram_end), 0, 0);
	isolation_end_result = hypercall(APICVISOR_HC_SCENARIO_END, 0, 0, 0);
	return SCENARIO_PASSED;
}

static void isolation_probe_hypercall_strings(struct isolation_run *run)
{
	unsigned begin_ok = 0, report_ok = 0;

	for (unsigned i = 0; i < ISOLATION_BAD_POINTERS; i++) {
		int64_t r = hypercall(APICVISOR_HC_REPORT, isolation_bad_pointer(i, run->ram_end),
				      1, 0);

		begin_ok += isolation_begin_results[i] == APICVISOR_HC_EINVAL;
		report_ok += r == APICVISOR_HC_EINVAL;
	}
	isolation_outcome(run, "SCENARIO_BEGIN with names outside RAM (9 pointers)",
			  begin_ok == ISOLATION_BAD_POINTERS,
			  begin_ok == ISOLATION_BAD_POINTERS ? "-EINVAL each" :
			  "not -EINVAL for some");
	isolation_outcome(run, "REPORT with keys outside RAM (9 pointers)",
			  report_ok == ISOLATION_BAD_POINTERS,
			  report_ok == ISOLATION_BAD_POINTERS ? "-EINVAL each" :
			  "not -EINVAL for some");
	isolation_outcome(run, "SCENARIO_END outside a scenario",
			  isolation_end_result == APICVISOR_HC_EINVAL,
			  isolation_end_result == APICVISOR_HC_EINVAL ? "-EINVAL" : "not -EINVAL");

	/* A key of 64 printable bytes and no NUL: longer than APICVISOR_HC_STRING_MAX. */
	static char long_key[APICVISOR_HC_STRING_MAX + 8];

	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	int64_t r = hypercall(APICVISOR_HC_REPORT, (uintptr_t)long_key, 1, 0);

	isolation_outcome(run, "REPORT with a 71-byte key", r == APICVISOR_HC_EINVAL,
			  r == APICVISOR_HC_EINVAL ? "-EINVAL" : "accepted");
}

/* ---- probe: registers of emulated devices --------------------------------------------------- */

static uint32_t isolation_mmio_read32(uintptr_t address)
{
	return *(volatile uint32_t *)address;
}

/* Every IOREGSEL index through IOWIN, and every dword of the xAPIC page: no secret half. */
static void isolation_probe_device_registers(struct isolation_run *run)
{
	unsigned halves = 0;

	for (unsigned index = 0; index < 256; index++) {
		*(volatile uint32_t *)(uintptr_t)IOAPIC_BASE = index;
		halves += isolation_is_secret_half(isolation_mmio_read32(IOAPIC_BASE + 0x10));
	}
	for (uint32_t offset = 0; offset < ISOLATION_PAGE; offset += 4) {
		if (offset == LAPIC_REG_EOI)
			continue;
		halves += isolation_is_secret_half(isolation_mmio_read32(IOAPIC_BASE + offset));
		halves += isolation_is_secret_half(
			isolation_mmio_read32(ISOLATION_XAPIC_BASE + offset));
	}
	/* fw_cfg: the first 64 bytes of the items 0-3FH and 8000H-803FH. */
	for (unsigned item = 0; item < 0x80; item++) {
		uint16_t selector = (uint16_t)(item < 0x40 ? item : 0x8000 + item - 0x40);
		uint32_t window = 0;

		cpu_outw(0x510, selector);
		for (unsigned i = 0; i < 64; i++) {
			window = (window >> 8) | ((uint32_t)cpu_inb(0x511) << 24);
			if (i >= 3)
				halves += isolation_is_secret_half(window);
		}
	}
	cpu_outw(0x510, 0);
	run->secret_found += halves;
	isolation_outcome(run, "IOAPIC indices 0-255, IOAPIC and xAPIC pages, fw_cfg items",
			  halves == 0, halves == 0 ? "secret not found" : "secret half found");
}

/* ---- probe: MSRs the CPU keeps for the guest --------------------------------------------- */

/* MSRs that reach the CPU without an exit (vmx/vmcs.c passes them through): what a guest reads
 * before writing them is what the CPU held, and must not be the hypervisor's. */
static void isolation_probe_msrs(struct isolation_run *run)
{
	static const uint32_t msrs[] = { 0x174, 0x175, 0x176, 0x277, 0xC0000081, 0xC0000082,
					 0xC0000083, 0xC0000084, 0xC0000100, 0xC0000101,
					 0xC0000102, 0xC0000103 };
	unsigned found = 0;
	char buf[19];

	for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++) {
		uint64_t value;

		if (cpu_rdmsr_safe(msrs[i], &value).vector != IDT_NO_EXCEPTION)
			continue;
		found += isolation_is_secret(value);
		if (value != 0 && msrs[i] != 0x277) {
			isolation_append(run, "isolation:   MSR ");
			isolation_append(run, isolation_hex(msrs[i], buf));
			isolation_append(run, " reads ");
			isolation_append(run, isolation_hex(value, buf));
			isolation_append(run, " before the guest wrote it\n");
		}
	}
	run->secret_found += found;
	isolation_outcome(run, "pass-through MSRs", found == 0,
			  found == 0 ? "secret not found" : "secret found");
}

/* Every MSR of the two ranges the MSR bitmaps cover, and the hypervisor range 40000000H-400000FFH,
 * read: none may hold a secret word (the x2APIC range reads #GP in xAPIC mode). And every CPUID
 * leaf up to the highest basic and extended one, and 40000000H-400000FFH, subleaves 0-3. */
static void isolation_probe_msr_and_cpuid_space(struct isolation_run *run)
{
	static const uint32_t ranges[][2] = {
		{ 0x0, 0x2000 }, { 0xC0000000u, 0xC0002000u }, { 0x40000000u, 0x40000100u },
	};
	unsigned found = 0, readable = 0;
	char buf[19];

	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		for (uint32_t msr = ranges[r][0]; msr < ranges[r][1]; msr++) {
			uint64_t value;

			if (cpu_rdmsr_safe(msr, &value).vector != IDT_NO_EXCEPTION)
				continue;
			readable++;
			found += isolation_is_secret(value) ||
				 isolation_is_secret_half((uint32_t)value) ||
				 isolation_is_secret_half((uint32_t)(value >> 32));
		}
	}
	isolation_append(run, "isolation:   readable MSRs: ");
	isolation_append(run, isolation_hex(readable, buf));
	isolation_append(run, "\n");

	uint32_t basic = cpu_cpuid(0).eax, extended = cpu_cpuid(0x80000000u).eax;
	static const uint32_t leaf_ranges[][2] = {
		{ 0, 0 }, { 0x80000000u, 0 }, { 0x40000000u, 0x400000FFu },
	};

	for (size_t r = 0; r < 3; r++) {
		uint32_t last = r == 0 ? basic : r == 1 ? extended : leaf_ranges[r][1];

		if (last - leaf_ranges[r][0] > 0x100)
			last = leaf_ranges[r][0] + 0x100;
		for (uint32_t leaf = leaf_ranges[r][0]; leaf <= last; leaf++) {
			for (uint32_t sub = 0; sub < 4; sub++) {
				struct cpu_cpuid_result c;

				__asm__ volatile("cpuid"
						 : "=a"(c.eax), "=b"(c.ebx), "=c"(c.ecx), "=d"(c.edx)
						 : "a"(leaf), "c"(sub));
				found += isolation_is_secret_half(c.eax) +
					 isolation_is_secret_half(c.ebx) +
					 isolation_is_secret_half(c.ecx) +
					 isolation_is_secret_half(c.edx);
			}
		}
	}
	run->secret_found += found;
	isolation_outcome(run, "every MSR 0-1FFFH, C0000000H-C0001FFFH, 40000000H-400000FFH and "
			  "every CPUID leaf", found == 0, found == 0 ? "secret not found" :
			  "secret found");
}

/* ---- probe: the APIC base moved onto RAM and off it ------------------------------------------ */

#define ISOLATION_APIC_RAM_TARGET 0x04000000ull /* 64 MiB: guest RAM the guest does not use */
#define ISOLATION_APIC_HOLE_TARGET 0xFED00000ull /* neither RAM nor a device */

static bool isolation_set_apic_base(uint64_t value)
{
	return cpu_wrmsr_safe(MSR_IA32_APIC_BASE, value).vector == IDT_NO_EXCEPTION;
}

static void isolation_probe_apic_move(struct isolation_run *run)
{
	uint64_t original;
	volatile uint64_t *ram = (volatile uint64_t *)(uintptr_t)ISOLATION_APIC_RAM_TARGET;
	uint32_t version;
	char buf[19];

	if (cpu_rdmsr_safe(MSR_IA32_APIC_BASE, &original).vector != IDT_NO_EXCEPTION ||
	    (original & ISOLATION_APIC_BASE_EXTD) || !(original & ISOLATION_APIC_BASE_EN)) {
		isolation_outcome(run, "APIC base moves", false, "APIC not in xAPIC mode");
		return;
	}
	version = isolation_mmio_read32(ISOLATION_XAPIC_BASE + LAPIC_REG_VERSION);
	for (unsigned i = 0; i < ISOLATION_PAGE / 8; i++)
		ram[i] = 0x5A5A000000000000ull | i;

	/* Onto RAM: the APIC answers there, RAM is hidden; back: RAM as it was. */
	bool moved = isolation_set_apic_base(ISOLATION_APIC_RAM_TARGET | ISOLATION_APIC_BASE_EN);
	uint32_t there = moved ? isolation_mmio_read32(ISOLATION_APIC_RAM_TARGET +
						       LAPIC_REG_VERSION) : 0;
	unsigned secret = 0;

	if (moved) {
		for (uint32_t offset = 0; offset < ISOLATION_PAGE; offset += 4) {
			if (offset != LAPIC_REG_EOI)
				secret += isolation_is_secret_half(isolation_mmio_read32(
					ISOLATION_APIC_RAM_TARGET + offset));
		}
		/* A write there goes to the APIC (TPR), not to RAM. */
		*(volatile uint32_t *)(uintptr_t)(ISOLATION_APIC_RAM_TARGET + LAPIC_REG_TPR) = 0x20;
		*(volatile uint32_t *)(uintptr_t)(ISOLATION_APIC_RAM_TARGET + LAPIC_REG_TPR) = 0;
	}
	bool back = isolation_set_apic_base(original);
	unsigned intact = 0;

	for (unsigned i = 0; i < ISOLATION_PAGE / 8; i++)
		intact += ram[i] == (0x5A5A000000000000ull | i);
	run->secret_found += secret;
	isolation_outcome(run, "APIC base onto RAM (64 MiB): accepted",
			  moved && back, moved ? "yes" : "#GP");
	isolation_outcome(run, "APIC base onto RAM: version register there", there == version,
			  isolation_hex(there, buf));
	isolation_outcome(run, "APIC base back: the RAM page as the guest left it",
			  intact == ISOLATION_PAGE / 8,
			  intact == ISOLATION_PAGE / 8 ? "intact" : "changed");

	/* Off RAM, into a hole: the APIC answers there; then back. */
	moved = isolation_set_apic_base(ISOLATION_APIC_HOLE_TARGET | ISOLATION_APIC_BASE_EN);
	there = moved ? isolation_mmio_read32(ISOLATION_APIC_HOLE_TARGET + LAPIC_REG_VERSION) : 0;
	back = isolation_set_apic_base(original);
	isolation_outcome(run, "APIC base into the hole at 0xfed00000: version register there",
			  moved && back && there == version,
			  moved ? isolation_hex(there, buf) : "#GP");
	/* Above 4 GiB and beyond the physical-address width: #GP expected for the latter. */
	bool far = isolation_set_apic_base(0xFFFFFFFFFF000ull | ISOLATION_APIC_BASE_EN);

	if (far)
		isolation_set_apic_base(original);
	isolation_outcome(run, "APIC base at 0xffffffffff000 (beyond MAXPHYADDR)", !far,
			  far ? "accepted" : "#GP");
	isolation_outcome(run, "APIC back at 0xfee00000: version register",
			  isolation_mmio_read32(ISOLATION_XAPIC_BASE + LAPIC_REG_VERSION) == version,
			  isolation_hex(isolation_mmio_read32(ISOLATION_XAPIC_BASE +
							      LAPIC_REG_VERSION), buf));
}

/* ---- probe: firmware areas written and read back ---------------------------------------------- */

static void isolation_probe_firmware_areas(struct isolation_run *run)
{
	static const uintptr_t areas[] = { 0xF0000, 0x9FC00, 0xE0000 };
	const struct multiboot_info *info = run->state->context->boot_info;
	unsigned good = 0, total = 0;

	for (size_t a = 0; a < sizeof(areas) / sizeof(areas[0]) + 1; a++) {
		volatile uint64_t *p = a < sizeof(areas) / sizeof(areas[0]) ?
					       (volatile uint64_t *)areas[a] :
					       (volatile uint64_t *)((uintptr_t)info + 0x100);
		uint64_t saved = *p;

		*p = 0xA5A5A5A55A5A5A5Aull;
		good += *p == 0xA5A5A5A55A5A5A5Aull;
		*p = saved;
		good += *p == saved;
		total += 2;
	}
	isolation_outcome(run, "RSDP, EBDA, BIOS and multiboot areas written and read back",
			  good == total, good == total ? "read back as written" : "differ");
}

/* ---- probe: the MMIO decoder's instruction fetch ----------------------------------------------- */

/* MOV EAX, [RDI]; RET. */
static const uint8_t isolation_read_code[] = { 0x8B, 0x07, 0xC3 };

typedef uint32_t (*isolation_read_fn)(uintptr_t address);

static uint8_t isolation_code_buffer[16] __attribute__((aligned(16)));

/* The IOAPIC's version register read by code at `code` (a linear address the caller mapped). */
static uint32_t isolation_ioapic_version_via(uintptr_t code)
{
	*(volatile uint32_t *)(uintptr_t)IOAPIC_BASE = IOAPIC_REG_VERSION;
	return ((isolation_read_fn)code)(IOAPIC_BASE + 0x10);
}

static uint64_t isolation_read_cr3(void)
{
	uint64_t value;

	__asm__ volatile("mov %%cr3, %0" : "=r"(value));
	return value;
}

static void isolation_write_cr3(uint64_t value)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(value) : "memory");
}

static void isolation_probe_decoder_fetch(struct isolation_run *run)
{
	uint32_t version = ioapic_read(IOAPIC_REG_VERSION);
	char buf[19];

	/* The instruction in the last 3 bytes of RAM: the 15-byte fetch window runs past it. */
	uintptr_t at_end = (uintptr_t)run->ram_end - sizeof(isolation_read_code);

	memcpy((void *)at_end, isolation_read_code, sizeof(isolation_read_code));
	uint32_t got = isolation_ioapic_version_via(at_end);

	isolation_outcome(run, "IOAPIC read by an instruction in the last bytes of RAM",
			  got == version, isolation_hex(got, buf));

	/* Page tables that point at themselves: PML4[a] and PML4[b] are the PML4, PML4[c] maps the
	 * first 2 MiB (a large page at the page-directory level), so the linear address
	 * (a, b, c, offset) reaches the code through the PML4 three times over. */
	const unsigned a = 0x1F0, b = 0x1F1, c = 0x1F2;
	uint64_t cr3 = isolation_read_cr3();
	volatile uint64_t *pml4 = (volatile uint64_t *)(uintptr_t)(cr3 & ISOLATION_ADDRESS_MASK);
	uint64_t self = (cr3 & ISOLATION_ADDRESS_MASK) | ISOLATION_PTE_PRESENT |
			ISOLATION_PTE_WRITE;

	memcpy(isolation_code_buffer, isolation_read_code, sizeof(isolation_read_code));
	pml4[a] = self;
	pml4[b] = self;
	pml4[c] = ISOLATION_PTE_PRESENT | ISOLATION_PTE_WRITE | ISOLATION_PTE_LARGE;
	isolation_write_cr3(cr3);

	uintptr_t linear = 0xFFFF000000000000ull | ((uint64_t)a << 39) | ((uint64_t)b << 30) |
			   ((uint64_t)c << 21) | (uintptr_t)isolation_code_buffer;

	got = isolation_ioapic_version_via(linear);
	pml4[a] = 0;
	pml4[b] = 0;
	pml4[c] = 0;
	isolation_write_cr3(cr3);
	isolation_outcome(run, "IOAPIC read by code reached through self-referencing page tables",
			  got == version, isolation_hex(got, buf));
}

/* ---- the scenario -------------------------------------------------------------------------- */

static uint32_t isolation_fetch_at_boundary(uint64_t next);

/* The decoder's fetch at the end of a linear page whose next page maps no RAM, or is absent. */
static void isolation_probe_fetch_boundary(struct isolation_run *run)
{
	uint32_t version = ioapic_read(IOAPIC_REG_VERSION);
	uint32_t outside = isolation_fetch_at_boundary(0xFD000000ull | ISOLATION_PTE_PRESENT);
	uint32_t absent = isolation_fetch_at_boundary(0);
	char buf[19];

	isolation_outcome(run, "IOAPIC read at a page end, next page maps 0xfd000000 (no RAM)",
			  outside == version, isolation_hex(outside, buf));
	isolation_outcome(run, "IOAPIC read at a page end, next page not present",
			  absent == version, isolation_hex(absent, buf));
}

static enum scenario_failure isolation_run(struct scenario_state *state)
{
	static struct isolation_run run;

	run = (struct isolation_run){ .state = state };
	run.ram_end = isolation_ram_end(state->context->boot_info);
	cpu_interrupts_disable();
	isolation_probe_hypercall_strings(&run);
	isolation_probe_msrs(&run);
	isolation_probe_msr_and_cpuid_space(&run);
	isolation_probe_device_registers(&run);
	isolation_probe_firmware_areas(&run);
	isolation_probe_apic_move(&run);
	isolation_probe_decoder_fetch(&run);
	isolation_probe_fetch_boundary(&run);
	isolation_probe_ram(&run);
	serial_printf("%.*s", (int)run.report_len, run.report);
	scenario_report(state, "probes", run.probes);
	scenario_report(state, "unexpected", run.failed);
	scenario_report(state, "secret_found", run.secret_found);
	if (run.secret_found != 0)
		return SCENARIO_FAILURE_DEVICE_REGISTER;
	return run.failed == 0 ? SCENARIO_PASSED : SCENARIO_FAILURE_DEVICE_REGISTER;
}

/* ---- probes that end the guest ---------------------------------------------------------------- */

/* A 32-bit read of guest-physical `address` through the identity map (below 4 GiB). */
static enum scenario_failure isolation_read_physical(struct scenario_state *state,
						     uint64_t address)
{
	uint32_t value = isolation_mmio_read32((uintptr_t)address);

	scenario_note(state, "read 0x%x from 0x%lx", value, address);
	return SCENARIO_FAILURE_NOT_STOPPED;
}

/* The first byte past the guest's RAM. */
static enum scenario_failure isolation_past_ram(struct scenario_state *state)
{
	return isolation_read_physical(state, isolation_ram_end(state->context->boot_info));
}

/* The page after the xAPIC page, inside the LAPIC's hole. */
static enum scenario_failure isolation_apic_neighbour(struct scenario_state *state)
{
	return isolation_read_physical(state, ISOLATION_XAPIC_BASE + ISOLATION_PAGE);
}

/* Page-directory entries of our own for the fifth GiB of linear addresses and above. */
static uint64_t isolation_directory[512] __attribute__((aligned(4096)));

/* PDPT[index] := our page directory, its 2 MiB pages mapping guest-physical `base` on. */
static uintptr_t isolation_map_gib(unsigned index, uint64_t base)
{
	uint64_t cr3 = isolation_read_cr3();
	volatile uint64_t *pml4 = (volatile uint64_t *)(uintptr_t)(cr3 & ISOLATION_ADDRESS_MASK);
	volatile uint64_t *pdpt = (volatile uint64_t *)(uintptr_t)(pml4[0] & ISOLATION_ADDRESS_MASK);

	for (unsigned i = 0; i < 512; i++)
		isolation_directory[i] = (base + ((uint64_t)i << 21)) | ISOLATION_PTE_PRESENT |
					 ISOLATION_PTE_WRITE | ISOLATION_PTE_LARGE;
	pdpt[index] = (uintptr_t)isolation_directory | ISOLATION_PTE_PRESENT | ISOLATION_PTE_WRITE;
	isolation_write_cr3(cr3);
	return (uintptr_t)index << 30;
}

/* Guest-physical 4 GiB, through page tables of its own. */
static enum scenario_failure isolation_above_4g(struct scenario_state *state)
{
	uintptr_t linear = isolation_map_gib(4, 0x100000000ull);
	uint32_t value = isolation_mmio_read32(linear);

	scenario_note(state, "read 0x%x from guest-physical 0x100000000", value);
	return SCENARIO_FAILURE_NOT_STOPPED;
}

/*
 * unbacked-memory: memory nothing backs answers the same to every read and keeps no write. Read:
 * the first dword past everything the memory map lists below 3 GiB (RAM and the firmware's
 * reserved tail of it); written 12345678H and read again 16 bytes on; the dword at 4 GiB (above
 * the guest's RAM, through page tables of our own). Figures past_ram, after_write, above_4g: a
 * PC's bus answers an access nobody claims (a master abort) with all ones, which is what
 * apicvisor gives; QEMU's pc machine reads 0 there (docs/test-hosts.md). The tests check the
 * figures per host. (apicvisor with strict=on stops the guest at the first read instead.)
 */
static uint64_t unbacked_map_end(const struct multiboot_info *info)
{
	uint64_t end = isolation_ram_end(info);
	uintptr_t address = info->mmap_addr, last = address + info->mmap_length;

	while ((info->flags & MULTIBOOT_INFO_MEM_MAP) && address < last) {
		const struct multiboot_mmap_entry *e = (const void *)address;

		if (e->addr + e->len > end && e->addr + e->len <= 0xC0000000ull)
			end = e->addr + e->len;
		address += e->size + sizeof(e->size);
	}
	return end;
}

static enum scenario_failure unbacked_memory(struct scenario_state *state)
{
	uint64_t end = unbacked_map_end(state->context->boot_info);
	volatile uint32_t *written = (volatile uint32_t *)(uintptr_t)(end + 16);
	uint32_t past_ram = isolation_mmio_read32((uintptr_t)end), after_write, above_4g;
	bool ok = true;

	*written = 0x12345678u;
	after_write = *written;
	above_4g = isolation_mmio_read32(isolation_map_gib(4, 0x100000000ull));
	scenario_report(state, "past_ram", past_ram);
	scenario_report(state, "after_write", after_write);
	scenario_report(state, "above_4g", above_4g);
	ok &= scenario_expect(state, "a dword past RAM after writing 12345678H", after_write,
			      past_ram);
	ok &= scenario_expect(state, "the dword at 4 GiB", above_4g, past_ram);
	return ok ? SCENARIO_PASSED : SCENARIO_FAILURE_DEVICE_REGISTER;
}

/* The MMIO decoder's page walk through a page directory that has moved out of RAM while the
 * CPU may still hold the old translation: an IOAPIC read by code at a linear address mapped by
 * our page directory, then PDPT[5] pointed at 0xFD000000 (no RAM) without INVLPG, and the same
 * read again. The CPU either uses its TLB (the MMIO exit's walk then fails in the hypervisor)
 * or walks again (its own walk meets no RAM): either way the guest must stop cleanly. */
static enum scenario_failure isolation_stale_walk(struct scenario_state *state)
{
	uint64_t cr3 = isolation_read_cr3();
	volatile uint64_t *pml4 = (volatile uint64_t *)(uintptr_t)(cr3 & ISOLATION_ADDRESS_MASK);
	volatile uint64_t *pdpt = (volatile uint64_t *)(uintptr_t)(pml4[0] & ISOLATION_ADDRESS_MASK);
	uintptr_t linear = isolation_map_gib(5, 0) + (uintptr_t)isolation_code_buffer;
	uint32_t first, second;

	memcpy(isolation_code_buffer, isolation_read_code, sizeof(isolation_read_code));
	first = isolation_ioapic_version_via(linear);
	pdpt[5] = 0xFD000000ull | ISOLATION_PTE_PRESENT | ISOLATION_PTE_WRITE;
	second = isolation_ioapic_version_via(linear);
	scenario_note(state, "IOAPIC version 0x%x, then 0x%x through a directory outside RAM", first,
		      second);
	return SCENARIO_FAILURE_NOT_STOPPED;
}

/* A page table of our own under isolation_directory's first entry (linear 5 GiB on). */
static uint64_t isolation_page_table[512] __attribute__((aligned(4096)));
static uint8_t isolation_code_page[4096] __attribute__((aligned(4096)));

/* The MMIO decoder fetches up to 15 bytes from RIP; the CPU only the instruction's. An IOAPIC
 * read in the last 3 bytes of a linear page whose next page is `next` (a page-table entry):
 * the hypervisor must decode the 3 bytes it can reach and not read where `next` points. */
static uint32_t isolation_fetch_at_boundary(uint64_t next)
{
	uint64_t cr3 = isolation_read_cr3();
	uintptr_t linear = isolation_map_gib(5, 0);

	isolation_directory[0] = (uintptr_t)isolation_page_table | ISOLATION_PTE_PRESENT |
				 ISOLATION_PTE_WRITE;
	memset(isolation_page_table, 0, sizeof(isolation_page_table));
	isolation_page_table[0] = (uintptr_t)isolation_code_page | ISOLATION_PTE_PRESENT |
				  ISOLATION_PTE_WRITE;
	isolation_page_table[1] = next;
	isolation_write_cr3(cr3);
	memcpy(isolation_code_page + ISOLATION_PAGE - sizeof(isolation_read_code),
	       isolation_read_code, sizeof(isolation_read_code));

	uint32_t got = isolation_ioapic_version_via(linear + ISOLATION_PAGE -
						    sizeof(isolation_read_code));
	volatile uint64_t *pml4 = (volatile uint64_t *)(uintptr_t)(cr3 & ISOLATION_ADDRESS_MASK);
	volatile uint64_t *pdpt = (volatile uint64_t *)(uintptr_t)(pml4[0] & ISOLATION_ADDRESS_MASK);

	pdpt[5] = 0;
	isolation_write_cr3(cr3);
	return got;
}

/* The next linear page maps guest-physical 0xFD000000, where there is no RAM. */
static enum scenario_failure isolation_fetch_next_outside(struct scenario_state *state)
{
	uint32_t version = ioapic_read(IOAPIC_REG_VERSION);
	uint32_t got = isolation_fetch_at_boundary(0xFD000000ull | ISOLATION_PTE_PRESENT);

	scenario_report(state, "ioapic_version", got);
	return scenario_expect(state, "IOAPIC version read at the page end", got, version) ?
		       SCENARIO_PASSED : SCENARIO_FAILURE_DEVICE_REGISTER;
}

/* The next linear page is not present. */
static enum scenario_failure isolation_fetch_next_absent(struct scenario_state *state)
{
	uint32_t version = ioapic_read(IOAPIC_REG_VERSION);
	uint32_t got = isolation_fetch_at_boundary(0);

	scenario_report(state, "ioapic_version", got);
	return scenario_expect(state, "IOAPIC version read at the page end", got, version) ?
		       SCENARIO_PASSED : SCENARIO_FAILURE_DEVICE_REGISTER;
}

/* A short PIT period: mode 2, count 2 (about 7 TSC cycles at Bochs' 4 MHz), IRQ 0 masked
 * everywhere, then 100000 PAUSEs and the PIT stopped. The guest must get to the end. */
static enum scenario_failure isolation_pit_short_period(struct scenario_state *state)
{
	cpu_interrupts_disable();
	cpu_outb(0x21, 0xFF);
	cpu_outb(0xA1, 0xFF);
	ioapic_write((uint8_t)IOAPIC_REG_RTE_LOW(2), IOAPIC_RTE_MASKED);
	cpu_outb(0x43, 0x34);
	cpu_outb(0x40, 2);
	cpu_outb(0x40, 0);

	uint64_t start = cpu_rdtsc_fenced();

	for (unsigned i = 0; i < 100000; i++)
		cpu_pause();
	cpu_outb(0x43, 0x30);
	scenario_report(state, "cycles", cpu_rdtsc_fenced() - start);
	return SCENARIO_PASSED;
}

/* The IDT moved onto a device page, then INT3: the CPU reads the gate from the device page during
 * event delivery, which the hypervisor cannot emulate as the instruction at RIP; it must stop
 * the guest cleanly. */
static enum scenario_failure isolation_idt_on(struct scenario_state *state, uint64_t base)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) pointer = { 0xFFF, base };

	cpu_interrupts_disable();
	__asm__ volatile("lidt %0; int3" : : "m"(pointer) : "memory");
	idt_reload();
	scenario_note(state, "INT3 with the IDT at 0x%lx returned", base);
	return SCENARIO_FAILURE_NOT_STOPPED;
}

static enum scenario_failure isolation_idt_ioapic(struct scenario_state *state)
{
	return isolation_idt_on(state, IOAPIC_BASE);
}

static enum scenario_failure isolation_idt_apic(struct scenario_state *state)
{
	return isolation_idt_on(state, ISOLATION_XAPIC_BASE);
}

static const struct scenario isolation_table[] = {
	{ "isolation", true, isolation_prepare, isolation_run },
	{ "isolation-past-ram", true, NULL, isolation_past_ram },
	{ "isolation-apic-neighbour", true, NULL, isolation_apic_neighbour },
	{ "isolation-above-4g", true, NULL, isolation_above_4g },
	{ "isolation-stale-walk", true, NULL, isolation_stale_walk },
	{ "unbacked-memory", false, NULL, unbacked_memory },
	{ "isolation-fetch-next-outside", true, NULL, isolation_fetch_next_outside },
	{ "isolation-fetch-next-absent", true, NULL, isolation_fetch_next_absent },
	{ "pit-short-period", true, NULL, isolation_pit_short_period },
	{ "isolation-idt-ioapic", true, NULL, isolation_idt_ioapic },
	{ "isolation-idt-apic", true, NULL, isolation_idt_apic },
};

const struct scenario_list scenario_isolation_list = {
	isolation_table, sizeof(isolation_table) / sizeof(isolation_table[0])
};
