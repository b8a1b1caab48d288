/* SPDX-License-Identifier: MIT */
#include "smp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi.h"
#include "cpu.h"
#include "idt.h"
#include "interrupts.h"
#include "lapic.h"
#include "lib/string.h"
#include "multiboot.h"
#include "scenario_apic_kit.h"
#include "scenario_kit.h"

#define SMP_PAGE_BYTES 4096u
/* Pages the start-up code may go to: not page 0 (the real-mode interrupt vectors and the BIOS
 * data area), below 640 KiB (conventional memory: the EBDA, video memory and the BIOS follow;
 * SIPI vectors A0H-BFH are also reserved, SDM Vol. 3A §11.6.1). */
#define SMP_LOWEST_PAGE 0x1000u
#define SMP_CONVENTIONAL_END 0xA0000u
/* A string of the boot information longer than this is taken for a bad pointer's: its page
 * is kept free of the start-up code anyway. */
#define SMP_STRING_MAX 4096u

#define SMP_AP_SLOTS (SMP_MAX_CPUS - 1u)
#define SMP_AP_STACK_BYTES 16384u

/* The MP specification's and Linux's delays (MultiProcessor Specification 1.4 Appendix B.4;
 * Linux's wakeup_secondary_cpu_via_init), and how long an AP may take to report in. */
#define SMP_INIT_DELAY_US 10000u
#define SMP_SIPI_DELAY_US 200u
#define SMP_REPORT_IN_US 1000000u
#define SMP_ICR_IDLE_US 1000u        /* the longest the delivery status is polled */
#define SMP_US_PER_S 1000000u

/* The PM timer measurement of the TSC: 10 ms of it (24-bit counts: no wrap to worry about),
 * given up after this many TSC cycles (a PM timer that does not count). */
#define SMP_PM_CALIBRATION_TICKS (ACPI_PM_TIMER_HZ / 100u)
#define SMP_PM_TIMER_MASK 0xFFFFFFu
#define SMP_PM_GIVE_UP_CYCLES (1ull << 36)

#define SMP_EFER_LME (1u << 8)
#define SMP_CR4_PCIDE (1u << 17)     /* must be 0 outside IA-32e mode: the AP sets CR4 before */
#define SMP_SVR_APIC_ENABLED (1u << 8)
#define SMP_APIC_BASE_EN (1u << 11)
#define SMP_APIC_BASE_EXTD (1u << 10)
#define SMP_APIC_BASE_ADDRESS 0xFFFFFF000ull
#define SMP_X2APIC_MSR_ICR 0x830u
#define SMP_X2APIC_MSR_BASE 0x800u
#define SMP_XAPIC_ID_SHIFT 24
#define SMP_GDT_SELECTOR_CODE32 0x08u
#define SMP_GDT_SELECTOR_CODE64 0x18u
#define SMP_TRAMPOLINE_GDT_BYTES 32u

/* The start-up code's parameter block (smp_trampoline.asm's P_* offsets). */
struct smp_trampoline_params {
	uint32_t cr0;
	uint32_t cr3;
	uint32_t cr4;
	uint32_t efer;
	uint64_t entry;
	uint64_t stacks;
	uint64_t stack_bytes;
	uint32_t slots;
	uint32_t next_slot;
	uint32_t entries;
	uint32_t base;
	uint32_t jump32_offset;
	uint16_t jump32_selector;
	uint16_t reserved0;
	uint32_t jump64_offset;
	uint16_t jump64_selector;
	uint16_t reserved1;
	uint16_t trampoline_gdt_limit;
	uint32_t trampoline_gdt_base;
	uint16_t reserved2;
	uint16_t gdt_limit;
	uint64_t gdt_base;
	uint16_t reserved3;
	uint32_t park;
	uint32_t parked;
	uint32_t reserved4;
} __attribute__((packed));

_Static_assert(offsetof(struct smp_trampoline_params, entry) == 0x10, "P_ENTRY");
_Static_assert(offsetof(struct smp_trampoline_params, stacks) == 0x18, "P_STACKS");
_Static_assert(offsetof(struct smp_trampoline_params, slots) == 0x28, "P_SLOTS");
_Static_assert(offsetof(struct smp_trampoline_params, next_slot) == 0x2C, "P_NEXT_SLOT");
_Static_assert(offsetof(struct smp_trampoline_params, entries) == 0x30, "P_ENTRIES");
_Static_assert(offsetof(struct smp_trampoline_params, base) == 0x34, "P_BASE");
_Static_assert(offsetof(struct smp_trampoline_params, jump32_offset) == 0x38, "P_JUMP32");
_Static_assert(offsetof(struct smp_trampoline_params, jump64_offset) == 0x40, "P_JUMP64");
_Static_assert(offsetof(struct smp_trampoline_params, trampoline_gdt_limit) == 0x48,
	       "P_TRAMPOLINE_GDTR");
_Static_assert(offsetof(struct smp_trampoline_params, gdt_limit) == 0x50, "P_GDTR");
_Static_assert(offsetof(struct smp_trampoline_params, park) == 0x5C, "P_PARK");
_Static_assert(offsetof(struct smp_trampoline_params, parked) == 0x60, "P_PARKED");
_Static_assert(sizeof(struct smp_trampoline_params) == 0x68, "P_SIZE");

/* smp_trampoline.asm. */
extern const uint8_t smp_trampoline_start[];
extern const uint8_t smp_trampoline_end[];
extern const uint8_t smp_trampoline_params[];
extern const uint8_t smp_trampoline_gdt[];
extern const uint8_t smp_trampoline_protected_mode[];
extern const uint8_t smp_trampoline_long_mode[];
/* smp_stubs.asm. */
extern const uint64_t smp_interrupt_stubs[256];

/* The MADT's CPUs: index 0 the BSP, then the APs in MADT order. */
struct smp_topology {
	unsigned cpus;
	uint32_t apic_ids[SMP_MAX_CPUS];
};

static struct smp_topology smp_topology;
static struct smp_cpu smp_cpus[SMP_AP_SLOTS];
static uint8_t smp_ap_stacks[SMP_AP_SLOTS][SMP_AP_STACK_BYTES] __attribute__((aligned(16)));

static volatile uint32_t smp_reported;      /* APs that reported in since the last start */
static volatile enum lapic_mode smp_bsp_mode; /* what the APs put their APICs in */
static uint64_t smp_tsc_rate;                 /* 0 until known */
static uintptr_t smp_page;                    /* the start-up page; 0 until chosen */
static bool smp_dispatch_installed;
/* The BSP's control registers and GDT, read in prepare steps for the start-up code. */
static uint64_t smp_bsp_cr0, smp_bsp_cr3, smp_bsp_cr4;
static bool smp_aps_woken;                    /* INIT-SIPI sent since the last park */
static bool smp_park_in_trampoline;           /* QEMU's TCG: see smp_park */

/* ------------------------------------------------------------------------------------------ */
/* Time. */

uint64_t smp_tsc_hz(void)
{
	return smp_tsc_rate;
}

uint64_t smp_await_cycles(void)
{
	uint64_t two_seconds = 2 * smp_tsc_rate;

	return two_seconds > SCENARIO_APIC_ARRIVAL_TIMEOUT ? two_seconds :
							     SCENARIO_APIC_ARRIVAL_TIMEOUT;
}

static uint64_t smp_us_to_cycles(uint64_t us)
{
	return smp_tsc_rate / SMP_US_PER_S * us + smp_tsc_rate % SMP_US_PER_S * us / SMP_US_PER_S;
}

void smp_delay_us(uint64_t us)
{
	interrupts_idle(smp_us_to_cycles(us));
}

static bool smp_wait_until(const volatile uint32_t *value, uint32_t target, uint64_t cycles)
{
	uint64_t start = cpu_rdtsc_fenced();

	while (__atomic_load_n(value, __ATOMIC_ACQUIRE) < target) {
		if (cpu_rdtsc_fenced() - start >= cycles)
			return false;
		cpu_pause();
	}
	return true;
}

bool smp_wait_at_least(const volatile uint32_t *value, uint32_t target)
{
	return smp_wait_until(value, target, smp_await_cycles());
}

/* The FADT's PM timer port: PM_TMR_BLK, else X_PM_TMR_BLK where it is in I/O space; 0: none. */
static uint16_t smp_pm_timer_port(const struct multiboot_info *info)
{
	const uint8_t *fadt = acpi_find_table(info, "FACP");

	if (fadt == NULL)
		return 0;

	uint32_t length = acpi_read32(fadt, ACPI_SDT_LENGTH);
	uint64_t port = 0;

	if (length > ACPI_FADT_PM_TMR_LEN && fadt[ACPI_FADT_PM_TMR_LEN] == ACPI_PM_TMR_LEN)
		port = acpi_read32(fadt, ACPI_FADT_PM_TMR_BLK);
	if (port == 0 && length >= ACPI_FADT_X_PM_TMR_BLK + ACPI_GAS_SIZE &&
	    fadt[ACPI_FADT_X_PM_TMR_BLK + ACPI_GAS_SPACE_ID] == ACPI_GAS_SPACE_SYSTEM_IO)
		port = acpi_read64(fadt, ACPI_FADT_X_PM_TMR_BLK + ACPI_GAS_ADDRESS);
	return port <= 0xFFFFu ? (uint16_t)port : 0;
}

/* The TSC rate: CPUID's where it gives one, else 10 ms of the ACPI PM timer against the TSC. */
static bool smp_measure_tsc(struct scenario_state *state)
{
	struct scenario_clocks clocks;

	if (smp_tsc_rate != 0)
		return true;
	scenario_read_clocks(&clocks);
	if (clocks.tsc_hz != 0) {
		smp_tsc_rate = clocks.tsc_hz;
		return true;
	}

	uint16_t port = smp_pm_timer_port(state->context->boot_info);

	if (port == 0) {
		scenario_note(state, "CPUID gives no TSC rate (leaves 15H, 16H) and the FADT no PM "
			      "timer to measure it with");
		return false;
	}

	uint32_t first = acpi_pm_timer_read(port);
	uint64_t start = cpu_rdtsc_fenced(), now;
	uint32_t ticks;

	do {
		ticks = (acpi_pm_timer_read(port) - first) & SMP_PM_TIMER_MASK;
		now = cpu_rdtsc_fenced();
		if (now - start > SMP_PM_GIVE_UP_CYCLES) {
			scenario_note(state, "the PM timer at port 0x%x did not count %u ticks in %lu "
				      "TSC cycles", port, SMP_PM_CALIBRATION_TICKS, now - start);
			return false;
		}
	} while (ticks < SMP_PM_CALIBRATION_TICKS);
	smp_tsc_rate = (now - start) * ACPI_PM_TIMER_HZ / ticks;
	return smp_tsc_rate != 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The CPUs: the MADT's enabled local APICs. */

static bool smp_topology_add(struct scenario_state *state, uint32_t apic_id, unsigned *listed)
{
	for (unsigned i = 0; i < smp_topology.cpus; i++) {
		if (smp_topology.apic_ids[i] == apic_id) {
			scenario_note(state, "the MADT lists APIC ID %u twice", apic_id);
			return false;
		}
	}
	if (smp_topology.cpus < SMP_MAX_CPUS)
		smp_topology.apic_ids[smp_topology.cpus++] = apic_id;
	(*listed)++;
	return true;
}

/* Reads the MADT's enabled Processor Local APIC and Processor Local x2APIC structures into
 * smp_topology, in table order (the BSP moved to the front later). */
static enum scenario_failure smp_read_madt(struct scenario_state *state)
{
	const uint8_t *madt = acpi_find_table(state->context->boot_info, "APIC");
	unsigned listed = 0;

	smp_topology.cpus = 0;
	if (madt == NULL) {
		scenario_note(state, "no ACPI MADT (\"APIC\") with a good checksum where the RSDP's "
			      "root table points: the CPUs cannot be counted");
		return SCENARIO_FAILURE_ACPI_TABLE_MISSING;
	}

	uint32_t length = acpi_read32(madt, ACPI_SDT_LENGTH);

	for (uint32_t at = ACPI_MADT_HEADER_SIZE; at + ACPI_MADT_ENTRY_MIN_SIZE <= length;) {
		const uint8_t *entry = madt + at;
		uint8_t type = entry[ACPI_MADT_ENTRY_TYPE], size = entry[ACPI_MADT_ENTRY_LENGTH];

		if (size < ACPI_MADT_ENTRY_MIN_SIZE || size > length - at) {
			scenario_note(state, "the MADT structure at offset %u does not fit", at);
			return SCENARIO_FAILURE_BAD_ACPI_TABLE;
		}
		if (type == ACPI_MADT_TYPE_LOCAL_APIC && size >= ACPI_MADT_LOCAL_APIC_SIZE &&
		    (acpi_read32(entry, ACPI_MADT_LOCAL_APIC_FLAGS) & ACPI_MADT_LOCAL_APIC_ENABLED) &&
		    !smp_topology_add(state, entry[ACPI_MADT_LOCAL_APIC_ID], &listed))
			return SCENARIO_FAILURE_MADT_MISMATCH;
		if (type == ACPI_MADT_TYPE_LOCAL_X2APIC && size >= ACPI_MADT_LOCAL_X2APIC_SIZE &&
		    (acpi_read32(entry, ACPI_MADT_LOCAL_X2APIC_FLAGS) &
		     ACPI_MADT_LOCAL_APIC_ENABLED) &&
		    !smp_topology_add(state, acpi_read32(entry, ACPI_MADT_LOCAL_X2APIC_ID), &listed))
			return SCENARIO_FAILURE_MADT_MISMATCH;
		at += size;
	}
	if (listed > SMP_MAX_CPUS)
		scenario_note(state, "the MADT lists %u CPUs: the guest uses the first %u", listed,
			      SMP_MAX_CPUS);
	return SCENARIO_PASSED;
}

/* Moves the BSP's APIC ID to index 0; false when the MADT does not list it. */
static bool smp_topology_put_bsp_first(uint32_t bsp_apic_id)
{
	for (unsigned i = 0; i < smp_topology.cpus; i++) {
		if (smp_topology.apic_ids[i] != bsp_apic_id)
			continue;
		memmove(&smp_topology.apic_ids[1], &smp_topology.apic_ids[0],
			i * sizeof(smp_topology.apic_ids[0]));
		smp_topology.apic_ids[0] = bsp_apic_id;
		return true;
	}
	return false;
}

static struct smp_trampoline_params *smp_params(void);

/* Slots the APs took in the start-up code since the last start (reported in or not). */
static uint32_t smp_slots_taken(void)
{
	uint32_t taken;

	if (smp_page == 0)
		return 0;
	taken = __atomic_load_n(&smp_params()->next_slot, __ATOMIC_ACQUIRE);
	return taken < SMP_AP_SLOTS ? taken : SMP_AP_SLOTS;
}

unsigned smp_cpu_count(void)
{
	return smp_topology.cpus;
}

uint32_t smp_apic_id(unsigned index)
{
	return smp_topology.apic_ids[index];
}

struct smp_cpu *smp_ap(unsigned index)
{
	uint32_t slots = smp_slots_taken();

	if (index == 0 || index >= smp_topology.cpus)
		return NULL;
	for (uint32_t slot = 0; slot < slots; slot++) {
		if (smp_cpus[slot].online && smp_cpus[slot].apic_id == smp_topology.apic_ids[index])
			return &smp_cpus[slot];
	}
	return NULL;
}

unsigned smp_index_of_vcpu1(void)
{
	for (unsigned i = 1; i < smp_topology.cpus; i++) {
		if (smp_topology.apic_ids[i] == 1)
			return i;
	}
	return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* The start-up page. */

static bool smp_overlaps(uint64_t a, uint64_t a_bytes, uint64_t b, uint64_t b_bytes)
{
	return a < b + b_bytes && b < a + a_bytes;
}

/* Whether the NUL-terminated string at `address` has a byte on `page`. Only strings starting
 * in conventional memory are read (they are RAM there); a longer one than SMP_STRING_MAX is
 * taken as reaching that far. */
static bool smp_string_on(uint32_t address, uint64_t page)
{
	uint64_t length = 0;

	if (address >= SMP_CONVENTIONAL_END)
		return false;
	while (length < SMP_STRING_MAX && address + length < SMP_CONVENTIONAL_END &&
	       *(const volatile char *)(uintptr_t)(address + length) != '\0')
		length++;
	return smp_overlaps(address, length + 1, page, SMP_PAGE_BYTES);
}

/* Whether `page` is available RAM that holds none of the boot information the guest may
 * still read (the structure, memory map, command line, loader name, modules and strings). */
static bool smp_page_is_free(const struct multiboot_info *info, uint64_t page)
{
	if (multiboot_mmap_type_at(info, page, SMP_PAGE_BYTES) != MULTIBOOT_MMAP_AVAILABLE)
		return false;
	if (smp_overlaps((uintptr_t)info, sizeof(*info), page, SMP_PAGE_BYTES) ||
	    smp_overlaps(info->mmap_addr, info->mmap_length, page, SMP_PAGE_BYTES))
		return false;
	if ((info->flags & MULTIBOOT_INFO_CMDLINE) && smp_string_on(info->cmdline, page))
		return false;
	if ((info->flags & MULTIBOOT_INFO_BOOT_LOADER_NAME) &&
	    smp_string_on(info->boot_loader_name, page))
		return false;
	if (!(info->flags & MULTIBOOT_INFO_MODS) || info->mods_count == 0)
		return true;

	const struct multiboot_module *modules = (const void *)(uintptr_t)info->mods_addr;

	if (smp_overlaps(info->mods_addr, (uint64_t)info->mods_count * sizeof(*modules), page,
			 SMP_PAGE_BYTES))
		return false;
	if (info->mods_addr >= SMP_CONVENTIONAL_END)
		return true;             /* the list itself is read only where it is low */
	for (uint32_t i = 0; i < info->mods_count; i++) {
		if (smp_overlaps(modules[i].mod_start,
				 (uint64_t)modules[i].mod_end - modules[i].mod_start, page,
				 SMP_PAGE_BYTES) ||
		    smp_string_on(modules[i].string, page))
			return false;
	}
	return true;
}

uintptr_t smp_free_low_page(struct scenario_state *state, bool highest)
{
	const struct multiboot_info *info = state->context->boot_info;
	uint64_t count = (SMP_CONVENTIONAL_END - SMP_LOWEST_PAGE) / SMP_PAGE_BYTES;

	if (!(info->flags & MULTIBOOT_INFO_MEM_MAP)) {
		scenario_note(state, "no multiboot memory map: no page below 1 MiB is known free");
		return 0;
	}
	for (uint64_t i = 0; i < count; i++) {
		uint64_t page = highest ? SMP_CONVENTIONAL_END - (i + 1) * SMP_PAGE_BYTES
					: SMP_LOWEST_PAGE + i * SMP_PAGE_BYTES;

		if (smp_page_is_free(info, page))
			return (uintptr_t)page;
	}
	scenario_note(state, "no page in [0x%x, 0x%x) is available RAM clear of the boot "
		      "information", SMP_LOWEST_PAGE, SMP_CONVENTIONAL_END);
	return 0;
}

/* The highest free page below 640 KiB, once. */
static bool smp_choose_page(struct scenario_state *state)
{
	if (smp_page == 0)
		smp_page = smp_free_low_page(state, true);
	return smp_page != 0;
}

struct smp_descriptor_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct smp_descriptor_pointer smp_bsp_gdtr;

/* What the APs copy from the BSP: read in the prepare step, so that a scenario that starts the
 * APs itself reads no control register (MOV from CR3 may be an exit). */
static void smp_capture_bsp_state(void)
{
	smp_bsp_cr0 = cpu_read_cr0();
	smp_bsp_cr3 = cpu_read_cr3();
	smp_bsp_cr4 = cpu_read_cr4();
	__asm__ volatile("sgdt %0" : "=m"(smp_bsp_gdtr));
}

static uint32_t smp_page_address(const uint8_t *label)
{
	return (uint32_t)(smp_page + (uintptr_t)(label - smp_trampoline_start));
}

static struct smp_trampoline_params *smp_params(void)
{
	return (struct smp_trampoline_params *)(smp_page + (uintptr_t)(smp_trampoline_params -
								       smp_trampoline_start));
}

/* Copies the start-up code to its page and fills in the parameters: the counters start at 0.
 * Only while no AP runs it (all parked). */
static void smp_install_trampoline(void)
{
	struct smp_trampoline_params *params = smp_params();

	memcpy((void *)smp_page, smp_trampoline_start,
	       (size_t)(smp_trampoline_end - smp_trampoline_start));
	*params = (struct smp_trampoline_params){
		.cr0 = (uint32_t)smp_bsp_cr0,
		.cr3 = (uint32_t)smp_bsp_cr3,
		.cr4 = (uint32_t)(smp_bsp_cr4 & ~(uint64_t)SMP_CR4_PCIDE),
		.efer = SMP_EFER_LME,
		.entry = (uintptr_t)smp_ap_start,
		.stacks = (uintptr_t)smp_ap_stacks,
		.stack_bytes = SMP_AP_STACK_BYTES,
		.slots = SMP_AP_SLOTS,
		.base = (uint32_t)smp_page,
		.jump32_offset = smp_page_address(smp_trampoline_protected_mode),
		.jump32_selector = SMP_GDT_SELECTOR_CODE32,
		.jump64_offset = smp_page_address(smp_trampoline_long_mode),
		.jump64_selector = SMP_GDT_SELECTOR_CODE64,
		.trampoline_gdt_limit = SMP_TRAMPOLINE_GDT_BYTES - 1,
		.trampoline_gdt_base = smp_page_address(smp_trampoline_gdt),
		.gdt_limit = smp_bsp_gdtr.limit,
		.gdt_base = smp_bsp_gdtr.base,
	};
	/* The APs read it with their caches on or off, after an INIT: nothing to flush on x86,
	 * whose caches are coherent with every CPU's accesses. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Points the shared IDT's interrupt gates at smp_stubs.asm, once. */
static void smp_install_dispatch(void)
{
	if (smp_dispatch_installed)
		return;
	idt_set_gate(INTERRUPTS_VECTOR_NMI, smp_interrupt_stubs[INTERRUPTS_VECTOR_NMI]);
	idt_set_gate(5, smp_interrupt_stubs[5]);
	for (unsigned vector = 32; vector < 256; vector++)
		idt_set_gate(vector, smp_interrupt_stubs[vector]);
	smp_dispatch_installed = true;
}

/* ------------------------------------------------------------------------------------------ */
/* The BSP's side of IPIs. */

void smp_send_ipi(uint32_t command, uint32_t destination)
{
	lapic_send_ipi(command, destination);
}

void smp_send_ipi_shorthand(uint32_t command)
{
	if (lapic_mode() == LAPIC_MODE_X2APIC)
		lapic_send_ipi(command, 0);
	else
		lapic_write(LAPIC_REG_ICR_LOW, command);
}

/* xAPIC: reads ICR low until the delivery status is idle (a bounded time); x2APIC has none. */
static void smp_wait_icr_idle(void)
{
	if (lapic_mode() != LAPIC_MODE_XAPIC)
		return;

	uint64_t start = cpu_rdtsc_fenced(), bound = smp_us_to_cycles(SMP_ICR_IDLE_US);

	while ((lapic_read(LAPIC_REG_ICR_LOW) & SMP_ICR_DELIVERY_STATUS) &&
	       cpu_rdtsc_fenced() - start < bound)
		cpu_pause();
}

static uint32_t smp_sipi_vector(void)
{
	return (uint32_t)(smp_page / SMP_PAGE_BYTES);
}

/* INIT, level-triggered, assert: Linux's and the MP specification's. */
#define SMP_INIT_COMMAND (SMP_ICR_DELIVERY_INIT | LAPIC_ICR_LEVEL_ASSERT | SMP_ICR_TRIGGER_LEVEL)

static void smp_send_init(uint32_t apic_id)
{
	smp_send_ipi(SMP_INIT_COMMAND, apic_id);
	smp_wait_icr_idle();
}

static void smp_send_sipi(uint32_t apic_id)
{
	smp_send_ipi(SMP_ICR_DELIVERY_STARTUP | LAPIC_ICR_LEVEL_ASSERT | smp_sipi_vector(),
		     apic_id);
	smp_wait_icr_idle();
}

/*
 * Parks every AP: an INIT, after which it waits for a SIPI with its APIC reset, whatever it was
 * doing. Under QEMU's TCG (7.2) that state does not hold: a fixed IPI to the AP (a single-CPU
 * scenario's all-excluding-self IPI, say) can end its halt (hw/intc/apic.c posts
 * CPU_INTERRUPT_POLL, which its halt check counts as work, and the SIPI check then lets it
 * run), and it runs the BIOS from the reset vector, which resets the machine. There the INIT is
 * followed at once by a SIPI into the start-up page with its park word set, where the AP
 * executes HLT in a loop with IF = 0: a spurious wake-up just halts again. The next start's INIT
 * takes it from there as from the wait for a SIPI. QEMU's virtual CPUs are host threads that
 * may take their INIT and SIPI late, so the park waits (up to 1 s) until every AP has counted
 * itself in the loop: one that came later would find the park word of the next start, 0, and
 * start as an AP again.
 */
static void smp_park(void)
{
	struct smp_trampoline_params *params = smp_params();

	if (smp_park_in_trampoline) {
		__atomic_store_n(&params->parked, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&params->park, 1, __ATOMIC_SEQ_CST);
	}
	for (unsigned i = 1; i < smp_topology.cpus; i++) {
		smp_send_init(smp_topology.apic_ids[i]);
		if (smp_park_in_trampoline)
			smp_send_sipi(smp_topology.apic_ids[i]);
	}
	if (!smp_park_in_trampoline)
		return;

	uint64_t start = cpu_rdtsc_fenced(), bound = smp_us_to_cycles(SMP_REPORT_IN_US);

	while (__atomic_load_n(&params->parked, __ATOMIC_ACQUIRE) < smp_topology.cpus - 1 &&
	       cpu_rdtsc_fenced() - start < bound)
		cpu_pause();
}

/* QEMU's TCG: CPUID.1:ECX[31] and the signature "TCGTCGTCGTCG" at leaf 40000000H. */
#define SMP_CPUID_HYPERVISOR_LEAF 0x40000000u
#define SMP_TCG_SIGNATURE_EBX 0x54474354u /* "TCGT" */
#define SMP_TCG_SIGNATURE_ECX 0x43544743u /* "CGTC" */
#define SMP_TCG_SIGNATURE_EDX 0x47435447u /* "GTCG" */

bool smp_qemu_tcg(void)
{
	if (!(cpu_cpuid(CPUID_LEAF_FEATURES).ecx & CPUID_FEATURES_ECX_HYPERVISOR))
		return false;

	struct cpu_cpuid_result r = cpu_cpuid(SMP_CPUID_HYPERVISOR_LEAF);

	return r.ebx == SMP_TCG_SIGNATURE_EBX && r.ecx == SMP_TCG_SIGNATURE_ECX &&
	       r.edx == SMP_TCG_SIGNATURE_EDX;
}

void smp_scenario_ended(void)
{
	if (!smp_aps_woken)
		return;
	smp_park();
	smp_aps_woken = false;
	/* The BSP's registers the SMP scenarios set, back to their reset values. */
	if (lapic_mode() == LAPIC_MODE_XAPIC) {
		lapic_write(LAPIC_REG_DFR, LAPIC_DFR_FLAT);
		lapic_write(LAPIC_REG_LDR, 0);
	}
	lapic_set_tpr(0);
}

/* ------------------------------------------------------------------------------------------ */
/* Start-up. */

static bool smp_is_ap_id(uint32_t apic_id)
{
	for (unsigned i = 1; i < smp_topology.cpus; i++) {
		if (smp_topology.apic_ids[i] == apic_id)
			return true;
	}
	return false;
}

/* Every AP parked and forgotten, the start-up code fresh: the state a start begins from. */
static void smp_reset(void)
{
	if (smp_aps_woken)
		smp_park();
	memset((void *)smp_cpus, 0, sizeof(smp_cpus));
	__atomic_store_n(&smp_reported, 0, __ATOMIC_RELEASE);
	smp_install_trampoline();
	smp_aps_woken = true;
}

/* The slot of the AP that reported APIC ID `apic_id`, or -1. */
static int smp_slot_of(uint32_t apic_id)
{
	uint32_t slots = smp_slots_taken();

	for (uint32_t slot = 0; slot < slots; slot++) {
		if (smp_cpus[slot].online && smp_cpus[slot].apic_id == apic_id)
			return (int)slot;
	}
	return -1;
}

/* SMP_START_MP_SPEC: one AP after the other. Returns how many did not report in. */
static unsigned smp_start_each(struct scenario_state *state)
{
	uint64_t bound = smp_us_to_cycles(SMP_REPORT_IN_US);
	unsigned silent = 0;

	for (unsigned i = 1; i < smp_topology.cpus; i++) {
		uint32_t apic_id = smp_topology.apic_ids[i];
		uint32_t before = __atomic_load_n(&smp_reported, __ATOMIC_ACQUIRE);

		smp_send_init(apic_id);
		smp_delay_us(SMP_INIT_DELAY_US);
		smp_send_sipi(apic_id);
		smp_delay_us(SMP_SIPI_DELAY_US);
		smp_send_sipi(apic_id);
		smp_delay_us(SMP_SIPI_DELAY_US);
		if (!smp_wait_until(&smp_reported, before + 1, bound)) {
			scenario_note(state, "APIC ID %u did not report in within 1 s of its "
				      "INIT-SIPI-SIPI", apic_id);
			silent++;
		} else if (smp_slot_of(apic_id) < 0) {
			scenario_note(state, "an AP reported in after the INIT-SIPI-SIPI to APIC ID "
				      "%u, but not with that APIC ID", apic_id);
		}
	}
	return silent;
}

/* SMP_START_SHORT: all at once. Returns how many did not report in. */
static unsigned smp_start_all(struct scenario_state *state)
{
	uint32_t expected = smp_topology.cpus - 1;

	smp_send_ipi_shorthand(LAPIC_ICR_SHORTHAND_ALL_EXCLUDING_SELF | SMP_ICR_DELIVERY_INIT |
			       LAPIC_ICR_LEVEL_ASSERT);
	smp_send_ipi_shorthand(LAPIC_ICR_SHORTHAND_ALL_EXCLUDING_SELF | SMP_ICR_DELIVERY_STARTUP |
			       LAPIC_ICR_LEVEL_ASSERT | smp_sipi_vector());
	if (smp_wait_until(&smp_reported, expected, smp_us_to_cycles(SMP_REPORT_IN_US)))
		return 0;

	uint32_t reported = __atomic_load_n(&smp_reported, __ATOMIC_ACQUIRE);

	scenario_note(state, "%u of %u APs reported in within 1 s of INIT and SIPI to all "
		      "excluding self", reported, expected);
	for (unsigned i = 1; i < smp_topology.cpus; i++) {
		if (smp_slot_of(smp_topology.apic_ids[i]) < 0)
			scenario_note(state, "APIC ID %u did not report in",
				      smp_topology.apic_ids[i]);
	}
	return expected > reported ? expected - reported : 0;
}

/* After the start: every AP that reported in once, with an AP's APIC ID, none twice; every
 * trampoline entry an AP that reported in (a CPU restarted by the second SIPI enters twice).
 * Checked after a quiet spell, so that a late restart is seen. */
static bool smp_check_identities(struct scenario_state *state)
{
	interrupts_idle(SCENARIO_APIC_QUIET_CYCLES);

	uint32_t reported = __atomic_load_n(&smp_reported, __ATOMIC_ACQUIRE);
	uint32_t entries = __atomic_load_n(&smp_params()->entries, __ATOMIC_ACQUIRE);
	uint32_t slots = smp_slots_taken();
	bool good = true;

	for (uint32_t slot = 0; slot < slots; slot++) {
		uint32_t apic_id = smp_cpus[slot].apic_id;

		if (!smp_cpus[slot].online)
			continue;

		if (!smp_is_ap_id(apic_id)) {
			scenario_note(state, "an AP reported APIC ID %u, which the MADT does not list "
				      "for an AP", apic_id);
			good = false;
		}
		for (uint32_t other = 0; other < slot; other++) {
			if (smp_cpus[other].online && smp_cpus[other].apic_id == apic_id) {
				scenario_note(state, "two APs reported APIC ID %u", apic_id);
				good = false;
			}
		}
	}
	if (entries != reported) {
		/* More entries than APs up: a CPU entered twice (a second SIPI restarted it) or
		 * stopped on the way. */
		scenario_note(state, "the start-up code was entered %u times; %u APs reported in",
			      entries, reported);
		good = false;
	}
	return good;
}

enum scenario_failure smp_start(struct scenario_state *state, enum smp_start_sequence sequence,
				bool report)
{
	uint64_t start;
	unsigned silent;

	smp_reset();
	start = cpu_rdtsc_fenced();
	silent = sequence == SMP_START_MP_SPEC ? smp_start_each(state) : smp_start_all(state);

	uint64_t cycles = cpu_rdtsc_fenced() - start;
	bool identities = smp_check_identities(state);
	uint32_t reported = __atomic_load_n(&smp_reported, __ATOMIC_ACQUIRE);

	if (report) {
		scenario_report(state, "cpus", smp_topology.cpus);
		scenario_report(state, "cpus_up", 1 + reported);
		scenario_report(state, "sipi_vector", smp_sipi_vector());
		scenario_report(state, "microseconds_to_all_up",
				cycles * SMP_US_PER_S / smp_tsc_rate);
	}
	if (silent != 0)
		return SCENARIO_FAILURE_AP_SILENT;
	return identities ? SCENARIO_PASSED : SCENARIO_FAILURE_AP_IDENTITY;
}

enum scenario_failure smp_count_cpus(struct scenario_state *state)
{
	enum scenario_failure failure = smp_read_madt(state);

	if (failure != SCENARIO_PASSED)
		return failure;
	if (smp_topology.cpus <= 1)
		return scenario_skip(state, "one CPU");
	return SCENARIO_PASSED;
}

enum scenario_failure smp_prepare(struct scenario_state *state, bool start_aps)
{
	enum scenario_failure failure = smp_count_cpus(state);

	if (failure != SCENARIO_PASSED)
		return failure;
	if (!lapic_present())
		return scenario_skip(state, "no local APIC: CPUID.1:EDX[9] = 0");

	uint64_t base = cpu_rdmsr(MSR_IA32_APIC_BASE);
	enum lapic_mode mode = (base & SMP_APIC_BASE_EN) && (base & SMP_APIC_BASE_EXTD) ?
				       LAPIC_MODE_X2APIC : LAPIC_MODE_XAPIC;

	failure = scenario_apic_prepare(state, mode);
	if (failure != SCENARIO_PASSED)
		return failure;
	if (!smp_topology_put_bsp_first(lapic_id())) {
		scenario_note(state, "the MADT lists no enabled local APIC with the BSP's APIC ID %u",
			      lapic_id());
		return SCENARIO_FAILURE_MADT_MISMATCH;
	}
	if (!smp_measure_tsc(state))
		return SCENARIO_FAILURE_NO_CLOCK;
	if (!smp_choose_page(state))
		return SCENARIO_FAILURE_NO_START_PAGE;
	smp_capture_bsp_state();
	smp_park_in_trampoline = smp_qemu_tcg();
	smp_install_dispatch();
	smp_bsp_mode = mode;
	if (!start_aps)
		return SCENARIO_PASSED;
	return smp_start(state, SMP_START_MP_SPEC, false);
}

/* ------------------------------------------------------------------------------------------ */
/* The mailbox, BSP side. */

bool smp_post(struct smp_cpu *cpu, smp_work_fn work, void *arg)
{
	uint32_t posted = cpu->posted;

	if (__atomic_load_n(&cpu->completed, __ATOMIC_ACQUIRE) != posted)
		return false;
	cpu->work = work;
	cpu->work_arg = arg;
	__atomic_store_n(&cpu->posted, posted + 1, __ATOMIC_RELEASE);
	smp_send_ipi(LAPIC_ICR_SHORTHAND_NONE | LAPIC_ICR_LEVEL_ASSERT |
		     LAPIC_ICR_DESTINATION_PHYSICAL | LAPIC_ICR_DELIVERY_FIXED | SMP_WAKE_VECTOR,
		     cpu->apic_id);
	return true;
}

/* ------------------------------------------------------------------------------------------ */
/* The AP's side. */

static uint32_t smp_ap_x2apic_msr(uint32_t reg)
{
	return SMP_X2APIC_MSR_BASE + reg / 16;
}

uint32_t smp_ap_apic_read(const struct smp_cpu *cpu, uint32_t reg)
{
	if (cpu->mode == LAPIC_MODE_X2APIC)
		return (uint32_t)cpu_rdmsr(smp_ap_x2apic_msr(reg));
	return *(const volatile uint32_t *)(cpu->xapic_base + reg);
}

void smp_ap_apic_write(const struct smp_cpu *cpu, uint32_t reg, uint32_t value)
{
	if (cpu->mode == LAPIC_MODE_X2APIC)
		cpu_wrmsr(smp_ap_x2apic_msr(reg), value);
	else
		*(volatile uint32_t *)(cpu->xapic_base + reg) = value;
}

void smp_ap_send_ipi(const struct smp_cpu *cpu, uint32_t command, uint32_t destination)
{
	if (cpu->mode == LAPIC_MODE_X2APIC) {
		cpu_wrmsr(SMP_X2APIC_MSR_ICR, (uint64_t)destination << 32 | command);
		return;
	}
	smp_ap_apic_write(cpu, LAPIC_REG_ICR_HIGH, destination << SMP_XAPIC_ID_SHIFT);
	smp_ap_apic_write(cpu, LAPIC_REG_ICR_LOW, command);
}

void smp_ap_hold(void)
{
	cpu_interrupts_enable();
	for (;;)
		cpu_pause();
}

/* The AP's local APIC in the BSP's mode (after INIT it is in xAPIC mode, or in x2APIC mode
 * where INIT found it there; x2APIC to xAPIC goes through disabled, SDM Vol. 3A §11.12.5), its
 * page where IA32_APIC_BASE says, software-enabled with the spurious vector the BSP uses, TPR 0.
 * The LVTs stay as INIT left them: masked. */
static void smp_ap_setup_apic(struct smp_cpu *cpu)
{
	uint64_t base = cpu_rdmsr(MSR_IA32_APIC_BASE);
	enum lapic_mode wanted = smp_bsp_mode;
	bool x2apic = (base & SMP_APIC_BASE_EN) && (base & SMP_APIC_BASE_EXTD);

	if (x2apic && wanted == LAPIC_MODE_XAPIC) {
		base &= ~(uint64_t)(SMP_APIC_BASE_EN | SMP_APIC_BASE_EXTD);
		cpu_wrmsr(MSR_IA32_APIC_BASE, base);
		x2apic = false;
	}
	if (!(base & SMP_APIC_BASE_EN)) {
		base |= SMP_APIC_BASE_EN;
		cpu_wrmsr(MSR_IA32_APIC_BASE, base);
	}
	if (!x2apic && wanted == LAPIC_MODE_X2APIC) {
		base |= SMP_APIC_BASE_EXTD;
		cpu_wrmsr(MSR_IA32_APIC_BASE, base);
	}
	cpu->mode = wanted;
	cpu->xapic_base = (uintptr_t)(base & SMP_APIC_BASE_ADDRESS);

	uint32_t id = smp_ap_apic_read(cpu, LAPIC_REG_ID);

	cpu->apic_id = wanted == LAPIC_MODE_X2APIC ? id : id >> SMP_XAPIC_ID_SHIFT;
	smp_ap_apic_write(cpu, LAPIC_REG_SVR, SMP_SVR_APIC_ENABLED | LAPIC_SPURIOUS_VECTOR);
	smp_ap_apic_write(cpu, LAPIC_REG_TPR, 0);
}

/* Waits for work: STI; HLT while the mailbox is empty (the STI shadow covers the HLT, so a
 * wake IPI that comes after the check ends the HLT instead of being missed). */
static __attribute__((noreturn)) void smp_ap_wait_for_work(struct smp_cpu *cpu)
{
	for (;;) {
		cpu_interrupts_disable();

		uint32_t posted = __atomic_load_n(&cpu->posted, __ATOMIC_ACQUIRE);

		if (posted == cpu->taken) {
			__asm__ volatile("sti\n\thlt" : : : "memory");
			continue;
		}
		cpu->taken = posted;

		smp_work_fn work = cpu->work;
		void *arg = cpu->work_arg;

		cpu_interrupts_enable();
		work(cpu, arg);
		__atomic_store_n(&cpu->completed, posted, __ATOMIC_RELEASE);
	}
}

void smp_ap_start(uint32_t slot)
{
	struct smp_cpu *cpu = &smp_cpus[slot];

	idt_reload();
	smp_ap_setup_apic(cpu);
	__atomic_store_n(&cpu->online, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&smp_reported, 1, __ATOMIC_ACQ_REL);
	smp_ap_wait_for_work(cpu);
}

/* The AP whose stack `address` is on, or NULL (the BSP's). */
static struct smp_cpu *smp_cpu_on_stack(uintptr_t address)
{
	uintptr_t offset = address - (uintptr_t)smp_ap_stacks;

	if (offset >= sizeof(smp_ap_stacks))
		return NULL;
	return &smp_cpus[offset / SMP_AP_STACK_BYTES];
}

void smp_interrupt_dispatch(struct idt_stub_frame *frame)
{
	struct smp_cpu *cpu = smp_cpu_on_stack((uintptr_t)frame);

	if (cpu == NULL) {
		interrupts_handle(frame);
		return;
	}

	uint8_t vector = (uint8_t)frame->vector;

	if (vector == INTERRUPTS_VECTOR_NMI) {
		__atomic_store_n(&cpu->nmis, cpu->nmis + 1, __ATOMIC_RELEASE);
		return;
	}
	cpu->last_rip = frame->rip;
	cpu->last_tsc = cpu_rdtsc_fenced();
	__atomic_store_n(&cpu->vector_counts[vector], cpu->vector_counts[vector] + 1,
			 __ATOMIC_RELEASE);

	smp_hook_fn hook = cpu->hook;

	if (hook != NULL)
		hook(cpu, vector);
	/* EOI for all but the NMI (above) and the spurious vector, as interrupts.c does. */
	if (vector != LAPIC_SPURIOUS_VECTOR)
		smp_ap_apic_write(cpu, LAPIC_REG_EOI, 0);
	__atomic_store_n(&cpu->handled, cpu->handled + 1, __ATOMIC_RELEASE);
}
