/* SPDX-License-Identifier: MIT */
/*
 * The chaos scenario (issue 7, scenarios.h describes what it does and what it leaves out):
 * seeded random reads and writes to everything apicvisor emulates or passes through, in
 * batches, each batch in a delivery mode picked at random, with the guest's own memory checked
 * against canaries after every batch. The hypervisor must survive all of it: any end of the run
 * other than this scenario's own verdict is a hypervisor bug, to be reproduced from the seed.
 *
 * While it runs the scenario has its own IDT (chaos_stubs.asm), so that every vector, whether
 * an exception, an interrupt, an NMI or an INT n, is counted rather than fatal. Exceptions are
 * expected only at instructions with an IDT_FIXUP_ASM fixup; an exception anywhere else ends the
 * run as the guest's exception handler would.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apicvisor/hypercall.h"
#include "apicvisor/testdev.h"
#include "cpu.h"
#include "debug_exit.h"
#include "hypercall.h"
#include "idt.h"
#include "ioapic.h"
#include "lapic.h"
#include "lib/string.h"
#include "scenario_kit.h"
#include "scenarios_reliability.h"
#include "serial.h"

#define CHAOS_OPS_PER_BATCH 100u
/* Interrupts and NMIs one batch may take before the sources are silenced (a level-triggered
 * line held high or a timer with a tiny period would otherwise starve the guest). */
#define CHAOS_EVENTS_PER_BATCH 64u
#define CHAOS_VECTORS 256u
#define CHAOS_NO_INT 0xFFFFu

#define CHAOS_XAPIC_BASE 0xFEE00000u
#define CHAOS_APIC_BASE_BSP (1ull << 8)
#define CHAOS_APIC_BASE_EXTD (1ull << 10)
#define CHAOS_APIC_BASE_EN (1ull << 11)
#define CHAOS_RFLAGS_IF (1ull << 9)
#define CHAOS_CR4_OSXSAVE (1ull << 18)
#define CHAOS_CPUID1_ECX_XSAVE (1u << 26)
#define CHAOS_PAGE 4096u

/* ---- the generator ------------------------------------------------------------------------ */

/* xorshift64* (Marsaglia's xorshift with Vigna's multiplier): small, fast, good enough to pick
 * operations, and the same sequence for the same seed on every host. */
static uint64_t chaos_rng;

static uint64_t chaos_random(void)
{
	chaos_rng ^= chaos_rng >> 12;
	chaos_rng ^= chaos_rng << 25;
	chaos_rng ^= chaos_rng >> 27;
	return chaos_rng * 0x2545F4914F6CDD1Dull;
}

/* A number in [0, bound). */
static uint32_t chaos_below(uint32_t bound)
{
	return (uint32_t)((chaos_random() >> 32) % bound);
}

static bool chaos_chance(uint32_t one_in)
{
	return chaos_below(one_in) == 0;
}

/* Vectors 16-31 are moved to 48-63 wherever chaos programs a vector: a fixed interrupt there
 * would be indistinguishable from an exception at a fixup (the architecture reserves them, and
 * no OS programs them). Vectors 0-15 stay: the APIC refuses them (an ESR bit). */
static uint8_t chaos_vector(uint8_t vector)
{
	return (vector & 0xF0) == 0x10 ? (uint8_t)(vector + 0x20) : vector;
}

static uint32_t chaos_sanitize_low_vector(uint32_t value)
{
	return (value & ~0xFFu) | chaos_vector((uint8_t)value);
}

/* ---- what the run counts ------------------------------------------------------------------- */

struct chaos_stats {
	uint64_t ops;
	uint64_t batches;
	uint64_t faults[32];         /* exceptions caught at fixups, by vector */
	uint64_t interrupts;         /* maskable interrupts taken */
	uint64_t nmis;
	uint64_t int_n;              /* INT n that arrived */
	uint64_t silenced;           /* batches whose interrupt sources were silenced */
	uint64_t mode_switches;
	uint64_t restore_failures;   /* a restore write of CR/MSR state that did not take */
	uint64_t vmx_visible;        /* CPUID.1:ECX.VMX seen set */
};

static struct chaos_stats chaos_stats;

/* The interrupt handler and the main flow share these (one CPU). */
static volatile unsigned chaos_expected_int = CHAOS_NO_INT; /* the INT n being executed */
static volatile unsigned chaos_batch_events;
static volatile bool chaos_batch_silenced;

/* The local APIC's state as chaos last saw it: the handler's EOI and the silencing use it. */
enum chaos_apic_state {
	CHAOS_APIC_UNKNOWN,          /* a base write under way, or xAPIC at another base */
	CHAOS_APIC_DISABLED,
	CHAOS_APIC_XAPIC,
	CHAOS_APIC_X2APIC,
};

static volatile enum chaos_apic_state chaos_apic;

static enum chaos_apic_state chaos_apic_state_of(uint64_t base)
{
	if (!(base & CHAOS_APIC_BASE_EN))
		return CHAOS_APIC_DISABLED;
	if (base & CHAOS_APIC_BASE_EXTD)
		return CHAOS_APIC_X2APIC;
	/* A reserved bit chaos sets may be an address bit below MAXPHYADDR: the base moved. */
	return (base & ~0xFFFull) == CHAOS_XAPIC_BASE ? CHAOS_APIC_XAPIC : CHAOS_APIC_UNKNOWN;
}

/* ---- the IDT while chaos runs ---------------------------------------------------------------- */

struct chaos_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attributes;
	uint16_t offset_middle;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

struct chaos_table_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Two copies: the IDT operation switches between them. */
static struct chaos_gate chaos_idt[2][CHAOS_VECTORS] __attribute__((aligned(16)));
static unsigned chaos_idt_current;

extern const uint64_t chaos_stubs[CHAOS_VECTORS];   /* chaos_stubs.asm */
extern const uint8_t chaos_int_table[];             /* chaos_stubs.asm: INT n; RET */

/* The fixup table guest.ld gathers (idt.c searches it for the guest's own handler). */
struct chaos_fixup {
	uint64_t fault_rip;
	uint64_t resume_rip;
};

extern const struct chaos_fixup idt_fixups_start[];
extern const struct chaos_fixup idt_fixups_end[];

static void chaos_lidt(const void *base, uint16_t limit)
{
	struct chaos_table_pointer pointer = { limit, (uint64_t)(uintptr_t)base };

	__asm__ volatile("lidt %0" : : "m"(pointer) : "memory");
}

static struct chaos_table_pointer chaos_sidt(void)
{
	struct chaos_table_pointer pointer;

	__asm__ volatile("sidt %0" : "=m"(pointer));
	return pointer;
}

static struct chaos_table_pointer chaos_sgdt(void)
{
	struct chaos_table_pointer pointer;

	__asm__ volatile("sgdt %0" : "=m"(pointer));
	return pointer;
}

static void chaos_idt_build(void)
{
	uint16_t cs = cpu_read_cs();

	for (unsigned copy = 0; copy < 2; copy++) {
		for (unsigned v = 0; v < CHAOS_VECTORS; v++) {
			uint64_t handler = chaos_stubs[v];

			chaos_idt[copy][v] = (struct chaos_gate){
				.offset_low = (uint16_t)handler,
				.selector = cs,
				.type_attributes = 0x8E, /* present, DPL 0, 64-bit interrupt gate */
				.offset_middle = (uint16_t)(handler >> 16),
				.offset_high = (uint32_t)(handler >> 32),
			};
		}
	}
	chaos_idt_current = 0;
	chaos_lidt(chaos_idt[0], sizeof(chaos_idt[0]) - 1);
}

/* ---- local APIC access whatever its mode, for the handler ------------------------------------- */

static void chaos_apic_write_register(uint32_t reg, uint32_t value)
{
	if (chaos_apic == CHAOS_APIC_XAPIC)
		*(volatile uint32_t *)(uintptr_t)(CHAOS_XAPIC_BASE + reg) = value;
	else if (chaos_apic == CHAOS_APIC_X2APIC)
		cpu_wrmsr_safe(LAPIC_X2APIC_MSR_BASE + reg / 16, value);
}

/* Stops every source that can keep interrupting: the APIC timer and LINTs, all IOAPIC pins, the
 * 8259s, the PIT, the test device's lines. Called from the handler when a batch takes too many
 * events, and after every batch. The main flow may have been between two accesses of a pair
 * (IOREGSEL and IOWIN): that is more chaos, not a problem. */
static void chaos_silence(void)
{
	chaos_apic_write_register(LAPIC_REG_TIMER_INITIAL_COUNT, 0);
	chaos_apic_write_register(LAPIC_REG_LVT_TIMER, LAPIC_LVT_MASKED);
	chaos_apic_write_register(LAPIC_REG_LVT_LINT0, LAPIC_LVT_MASKED);
	chaos_apic_write_register(LAPIC_REG_LVT_LINT1, LAPIC_LVT_MASKED);
	chaos_apic_write_register(LAPIC_REG_LVT_ERROR, LAPIC_LVT_MASKED);
	if (chaos_apic != CHAOS_APIC_DISABLED && chaos_apic != CHAOS_APIC_UNKNOWN)
		cpu_wrmsr_safe(MSR_IA32_TSC_DEADLINE, 0);
	for (unsigned pin = 0; pin < 24; pin++) {
		ioapic_write((uint8_t)IOAPIC_REG_RTE_LOW(pin), IOAPIC_RTE_MASKED);
		cpu_outb((uint16_t)TESTDEV_PORT_LINE(pin), 0);
	}
	cpu_outb(0x21, 0xFF);
	cpu_outb(0xA1, 0xFF);
	cpu_outb(0x43, 0x30);
	cpu_outb(0x43, 0x70);
	cpu_outb(0x43, 0xB0);
}

static const struct chaos_fixup *chaos_find_fixup(uint64_t rip)
{
	for (const struct chaos_fixup *f = idt_fixups_start; f < idt_fixups_end; f++) {
		if (f->fault_rip == rip)
			return f;
	}
	return NULL;
}

void chaos_trap(struct idt_stub_frame *frame);

void chaos_trap(struct idt_stub_frame *frame)
{
	unsigned vector = (unsigned)frame->vector;

	if (chaos_expected_int == vector) {
		chaos_expected_int = CHAOS_NO_INT;
		chaos_stats.int_n++;
		return;
	}
	if (vector < 32 && vector != 2) {
		const struct chaos_fixup *fixup = chaos_find_fixup(frame->rip);

		if (fixup == NULL) {
			/* COM1 as the console needs it: DLAB clear, no loopback. */
			cpu_outb(0x3FB, 0x03);
			cpu_outb(0x3FC, 0x0B);
			serial_printf("\nchaos: exception %lu (error code 0x%lx) at rip 0x%lx without "
				      "a fixup, cr2 0x%lx, after %lu ops (seed 0x%lx)\n",
				      frame->vector, frame->error_code, frame->rip, cpu_read_cr2(),
				      chaos_stats.ops, chaos_rng);
			debug_exit(DEBUG_EXIT_FAILURE);
		}
		idt_last_exception = (struct idt_exception_record){
			.vector = vector,
			.error_code = frame->error_code,
		};
		chaos_stats.faults[vector]++;
		frame->rip = fixup->resume_rip;
		return;
	}
	/* The main flow may be between a fixup instruction and reading what it raised. */
	struct idt_exception_record interrupted = idt_last_exception;

	if (++chaos_batch_events > CHAOS_EVENTS_PER_BATCH && !chaos_batch_silenced) {
		chaos_batch_silenced = true;
		chaos_stats.silenced++;
		chaos_silence();
	}
	if (vector == 2) {
		chaos_stats.nmis++;
	} else {
		chaos_stats.interrupts++;
		if (chaos_batch_silenced)
			frame->rflags &= ~CHAOS_RFLAGS_IF; /* the rest of the batch: IF = 0 */
		/* EOI whatever it was: the APIC ignores one with nothing in service. */
		chaos_apic_write_register(LAPIC_REG_EOI, 0);
	}
	idt_last_exception = interrupted;
}

/* ---- accesses that may fault ----------------------------------------------------------------- */

static bool chaos_faulted(struct idt_exception_record r)
{
	return r.vector != IDT_NO_EXCEPTION;
}

static struct idt_exception_record chaos_write_cr0(uint64_t value)
{
	idt_fixup_begin();
	__asm__ volatile(IDT_FIXUP_ASM("mov %0, %%cr0") : : "r"(value) : "memory");
	return idt_fixup_end();
}

static struct idt_exception_record chaos_write_cr3(uint64_t value)
{
	idt_fixup_begin();
	__asm__ volatile(IDT_FIXUP_ASM("mov %0, %%cr3") : : "r"(value) : "memory");
	return idt_fixup_end();
}

static struct idt_exception_record chaos_write_cr8(uint64_t value)
{
	idt_fixup_begin();
	__asm__ volatile(IDT_FIXUP_ASM("mov %0, %%cr8") : : "r"(value) : "memory");
	return idt_fixup_end();
}

static uint64_t chaos_read_cr8(void)
{
	uint64_t value;

	__asm__ volatile("mov %%cr8, %0" : "=r"(value));
	return value;
}

static struct idt_exception_record chaos_xgetbv(uint64_t *value)
{
	uint32_t low = 0, high = 0;

	idt_fixup_begin();
	__asm__ volatile(IDT_FIXUP_ASM("xgetbv") : "+a"(low), "+d"(high) : "c"(0) : "memory");
	*value = ((uint64_t)high << 32) | low;
	return idt_fixup_end();
}

static struct idt_exception_record chaos_xsetbv(uint32_t index, uint64_t value)
{
	idt_fixup_begin();
	__asm__ volatile(IDT_FIXUP_ASM("xsetbv")
			 : : "c"(index), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
			 : "memory");
	return idt_fixup_end();
}

/* ---- operations -------------------------------------------------------------------------------- */

/* One MMIO read of `size` bytes (1, 2, 4, 8) at `address` in one of the instruction forms the
 * hypervisor's decoder covers, picked by `form`. */
static uint64_t chaos_mmio_read(uintptr_t address, unsigned size, unsigned form)
{
	uint64_t value = 0;
	volatile void *p = (volatile void *)address;

	switch (size) {
	case 1:
		if (form & 1)
			__asm__ volatile("movzbl (%1), %k0" : "=r"(value) : "r"(p) : "memory");
		else
			__asm__ volatile("movsbq (%1), %0" : "=r"(value) : "r"(p) : "memory");
		break;
	case 2:
		if (form & 1)
			__asm__ volatile("movzwl (%1), %k0" : "=r"(value) : "r"(p) : "memory");
		else
			__asm__ volatile("movw (%1), %w0" : "+r"(value) : "r"(p) : "memory");
		break;
	case 8:
		__asm__ volatile("movq (%1), %0" : "=r"(value) : "r"(p) : "memory");
		break;
	default:
		switch (form % 4) {
		case 0:
			__asm__ volatile("movl (%1), %k0" : "=r"(value) : "r"(p) : "memory");
			break;
		case 1:
			__asm__ volatile("movslq (%1), %0" : "=r"(value) : "r"(p) : "memory");
			break;
		case 2: /* base + index * 4 + displacement */
			__asm__ volatile("movl 0x10(%1,%2,4), %k0"
					 : "=r"(value) : "r"(address - 0x20), "r"(4ull) : "memory");
			break;
		default: /* a segment override prefix */
			__asm__ volatile(".byte 0x3e; movl (%1), %k0" : "=r"(value) : "r"(p)
					 : "memory");
			break;
		}
		break;
	}
	return value;
}

static void chaos_mmio_write(uintptr_t address, unsigned size, uint64_t value, unsigned form)
{
	volatile void *p = (volatile void *)address;

	switch (size) {
	case 1:
		if (form & 1)
			__asm__ volatile("movb %b1, (%0)" : : "r"(p), "q"(value) : "memory");
		else
			__asm__ volatile("movb $0x5a, (%0)" : : "r"(p) : "memory");
		break;
	case 2:
		__asm__ volatile("movw %w1, (%0)" : : "r"(p), "r"(value) : "memory");
		break;
	case 8:
		__asm__ volatile("movq %1, (%0)" : : "r"(p), "r"(value) : "memory");
		break;
	default:
		switch (form % 8) {
		case 0:
		case 1:
			__asm__ volatile("movl %k1, (%0)" : : "r"(p), "r"(value) : "memory");
			break;
		case 2:
			__asm__ volatile("orl %k1, (%0)" : : "r"(p), "r"(value) : "memory", "cc");
			break;
		case 3:
			__asm__ volatile("andl %k1, (%0)" : : "r"(p), "r"(value) : "memory", "cc");
			break;
		case 4:
			__asm__ volatile("lock xorl %k1, (%0)" : : "r"(p), "r"(value)
					 : "memory", "cc");
			break;
		case 5:
			__asm__ volatile("addl $0x10, (%0)" : : "r"(p) : "memory", "cc");
			break;
		case 6: { /* STOS without REP */
			uintptr_t rdi = address;

			__asm__ volatile("stosl" : "+D"(rdi) : "a"((uint32_t)value) : "memory");
			break;
		}
		default:
			__asm__ volatile("movl $0, (%0)" : : "r"(p) : "memory");
			break;
		}
		break;
	}
}

static unsigned chaos_random_size(void)
{
	static const unsigned sizes[] = { 4, 4, 4, 4, 1, 2, 8 };

	return sizes[chaos_below(sizeof(sizes) / sizeof(sizes[0]))];
}

/* An APIC timer initial count: from 10000H (so that a periodic timer cannot starve the guest,
 * docs/reliability.md) to 3FFFFH half the time, so that it fires within the batch, else any. */
static uint64_t chaos_timer_count(uint64_t value)
{
	if (chaos_chance(2))
		return 0x10000 + (value & 0x2FFFF);
	return (value & 0xFFFFFFFFu) < 0x10000 ? (value | 0x10000) : value;
}

/* An xAPIC register access: a slot-aligned offset mostly, sometimes any offset that keeps the
 * access inside the page. Values written to the ICR, LVTs and SVR get chaos vectors. */
static void chaos_op_xapic(void)
{
	unsigned size = chaos_random_size();
	uint32_t offset = chaos_chance(8) ? chaos_below(CHAOS_PAGE - size + 1)
					  : chaos_below(0x40) * 0x10;
	uint64_t value = chaos_random();

	if (chaos_chance(2)) {
		chaos_mmio_read(CHAOS_XAPIC_BASE + offset, size, chaos_below(8));
		return;
	}
	unsigned form = chaos_below(8);

	/* Registers that hold a vector get a chaos vector, by a plain MOV: AND, XOR and ADD of
	 * two chaos vectors can make a vector from 10H to 1FH. */
	if (offset == LAPIC_REG_ICR_LOW || offset == LAPIC_REG_SVR ||
	    (offset >= 0x2F0 && offset <= LAPIC_REG_LVT_ERROR)) {
		value = chaos_sanitize_low_vector((uint32_t)value);
		form = 0;
	}
	/* An 8-byte write reaches two registers (apicvisor splits it into dwords): both get
	 * chaos vectors. */
	if (size == 8)
		value = chaos_sanitize_low_vector((uint32_t)value) |
			((uint64_t)chaos_sanitize_low_vector((uint32_t)(value >> 32)) << 32);
	if (offset == LAPIC_REG_TIMER_INITIAL_COUNT)
		value = chaos_timer_count(value);
	chaos_mmio_write(CHAOS_XAPIC_BASE + offset, size, value, form);
}

/* An x2APIC MSR 800H-8FFH, read or written with a random value. */
static void chaos_op_x2apic(void)
{
	uint32_t msr = LAPIC_X2APIC_MSR_BASE + chaos_below(0x100);
	uint64_t value = chaos_random();
	uint64_t unused;

	if (chaos_chance(2)) {
		cpu_rdmsr_safe(msr, &unused);
		return;
	}
	if (chaos_chance(2))
		value &= 0xFFFFFFFFu; /* most registers refuse the high half (#GP) */
	if (msr == 0x830 || msr == LAPIC_X2APIC_MSR_SELF_IPI || msr == 0x80F ||
	    (msr >= 0x82F && msr <= 0x837))
		value = (value & ~0xFFull) | chaos_vector((uint8_t)value);
	if (msr == 0x838)
		value = chaos_timer_count(value);
	cpu_wrmsr_safe(msr, value);
}

/* IA32_APIC_BASE: EN, EXTD and BSP at random at the architectural base, sometimes bit 9
 * (reserved) or a bit from 36 up (an address bit below MAXPHYADDR, which moves the base above
 * 4 GiB, or a reserved one). With IF = 0, so that the handler
 * never sees a state it does not know. */
static void chaos_op_apic_base(void)
{
	uint64_t value = CHAOS_XAPIC_BASE;
	uint64_t now;

	if (chaos_chance(2))
		value |= CHAOS_APIC_BASE_EN;
	if (chaos_chance(2))
		value |= CHAOS_APIC_BASE_EXTD;
	if (chaos_chance(2))
		value |= CHAOS_APIC_BASE_BSP;
	if (chaos_chance(8))
		value |= 1ull << (chaos_chance(2) ? 9 : 36 + chaos_below(28));
	cpu_interrupts_disable();
	chaos_apic = CHAOS_APIC_UNKNOWN;
	cpu_wrmsr_safe(MSR_IA32_APIC_BASE, value);
	cpu_rdmsr_safe(MSR_IA32_APIC_BASE, &now);
	chaos_apic = chaos_apic_state_of(now);
	cpu_interrupts_enable();
}

static void chaos_op_apic(void)
{
	if (chaos_chance(16) || chaos_apic == CHAOS_APIC_DISABLED ||
	    chaos_apic == CHAOS_APIC_UNKNOWN)
		chaos_op_apic_base();
	else if (chaos_apic == CHAOS_APIC_XAPIC)
		chaos_op_xapic();
	else if (chaos_apic == CHAOS_APIC_X2APIC)
		chaos_op_x2apic();
}

/* A self-NMI, or an NMI IPI to the own APIC ID. */
static void chaos_op_nmi(void)
{
	uint32_t command = LAPIC_ICR_DELIVERY_NMI | LAPIC_ICR_LEVEL_ASSERT |
			   (chaos_chance(2) ? LAPIC_ICR_SHORTHAND_SELF : 0);

	if (chaos_apic == CHAOS_APIC_XAPIC) {
		*(volatile uint32_t *)(uintptr_t)(CHAOS_XAPIC_BASE + LAPIC_REG_ICR_HIGH) = 0;
		*(volatile uint32_t *)(uintptr_t)(CHAOS_XAPIC_BASE + LAPIC_REG_ICR_LOW) = command;
	} else if (chaos_apic == CHAOS_APIC_X2APIC) {
		cpu_wrmsr_safe(0x830, command);
	} else {
		chaos_op_apic_base();
	}
}

/* A fixed self-IPI (vector 20H-FFH), with the self shorthand or to the own APIC ID 0. */
static void chaos_op_self_ipi(void)
{
	uint32_t vector = 0x20 + chaos_below(0xE0);
	uint32_t command = vector | LAPIC_ICR_LEVEL_ASSERT |
			   (chaos_chance(2) ? LAPIC_ICR_SHORTHAND_SELF : 0);

	if (chaos_apic == CHAOS_APIC_XAPIC) {
		if (!(command & LAPIC_ICR_SHORTHAND_SELF))
			*(volatile uint32_t *)(uintptr_t)(CHAOS_XAPIC_BASE + LAPIC_REG_ICR_HIGH) = 0;
		*(volatile uint32_t *)(uintptr_t)(CHAOS_XAPIC_BASE + LAPIC_REG_ICR_LOW) = command;
	} else if (chaos_apic == CHAOS_APIC_X2APIC) {
		cpu_wrmsr_safe(chaos_chance(2) ? LAPIC_X2APIC_MSR_SELF_IPI : 0x830,
			       chaos_chance(2) ? vector : command);
	} else {
		chaos_op_apic_base();
	}
}

/* The start of a batch: the APIC software-enabled with TPR 0, so that interrupts can arrive
 * (random SVR and TPR writes would otherwise keep most of them out after a few batches). */
static void chaos_apic_open(void)
{
	chaos_apic_write_register(LAPIC_REG_SVR, 0x100 | LAPIC_SPURIOUS_VECTOR);
	chaos_apic_write_register(LAPIC_REG_TPR, 0);
}

/* The IOAPIC: IOREGSEL, IOWIN (RTE vectors made chaos vectors), the EOI register, and the other
 * offsets of its page. */
static void chaos_op_ioapic(void)
{
	uintptr_t base = IOAPIC_BASE;
	uint64_t value = chaos_random();

	switch (chaos_below(6)) {
	case 0:
		chaos_mmio_write(base, 4, chaos_chance(4) ? (uint8_t)value : chaos_below(0x40), 0);
		break;
	case 1:
		chaos_mmio_read(base + 0x10, 4, chaos_below(4));
		break;
	case 2:
		/* Whatever IOREGSEL holds (the handler's silencing may have changed it), the value
		 * could be an RTE's low half: a chaos vector always. */
		value = chaos_sanitize_low_vector((uint32_t)value);
		chaos_mmio_write(base + 0x10, 4, value, chaos_below(2)); /* plain MOVs */
		break;
	case 3:
		chaos_mmio_write(base + 0x40, 4, chaos_vector((uint8_t)value), 0);
		break;
	case 4: {
		unsigned size = chaos_random_size();

		chaos_mmio_read(base + chaos_below(CHAOS_PAGE - size + 1), size, chaos_below(4));
		break;
	}
	default: {
		unsigned size = chaos_random_size();
		uint32_t offset = chaos_below(CHAOS_PAGE - size + 1);

		/* Not IOREGSEL or IOWIN themselves (above), where an unsanitized vector could go. */
		if (offset < 0x14)
			offset += 0x20;
		chaos_mmio_write(base + offset, size, value, chaos_below(8));
		break;
	}
	}
}

/* Port accesses of a random width; the value read is dropped. */
static void chaos_in(uint16_t port, unsigned size)
{
	uint32_t value;

	if (size == 1)
		__asm__ volatile("inb %1, %b0" : "=a"(value) : "Nd"(port) : "memory");
	else if (size == 2)
		__asm__ volatile("inw %1, %w0" : "=a"(value) : "Nd"(port) : "memory");
	else
		__asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port) : "memory");
	(void)value;
}

static void chaos_out(uint16_t port, unsigned size, uint32_t value)
{
	if (size == 1)
		cpu_outb(port, (uint8_t)value);
	else if (size == 2)
		cpu_outw(port, (uint16_t)value);
	else
		cpu_outl(port, value);
}

static unsigned chaos_port_size(void)
{
	static const unsigned sizes[] = { 1, 1, 2, 4 };

	return sizes[chaos_below(4)];
}

/* The 8259 pair and ELCR. An ICW1 is always followed by the rest of its initialization
 * sequence, with a vector base of 20H or more (a base below would deliver vectors 0-31). */
static void chaos_op_pic(void)
{
	static const uint16_t ports[] = { 0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1 };
	uint16_t port = ports[chaos_below(6)];
	uint8_t value = (uint8_t)chaos_random();

	if (chaos_chance(3)) {
		chaos_in(port, 1);
		return;
	}
	if ((port == 0x20 || port == 0xA0) && (value & 0x10)) {
		uint16_t data = (uint16_t)(port + 1);

		cpu_outb(port, value);                                  /* ICW1 */
		cpu_outb(data, (uint8_t)(0x20 + chaos_below(28) * 8));   /* ICW2 */
		if (!(value & 0x02))
			cpu_outb(data, (uint8_t)chaos_random());          /* ICW3 */
		if (value & 0x01)
			cpu_outb(data, (uint8_t)chaos_random());          /* ICW4 */
		return;
	}
	cpu_outb(port, value);
}

/* The PIT: control words at random; counts are always 0 (65536, or 10000 in BCD), because a
 * short period starves the guest (docs/reliability.md, "Findings"). */
static void chaos_op_pit(void)
{
	uint16_t port = (uint16_t)(0x40 + chaos_below(4));
	uint8_t value = (uint8_t)chaos_random();

	if (chaos_chance(3))
		chaos_in(port, 1);
	else
		cpu_outb(port, port == 0x43 ? value : 0);
}

/* COM1: any register, but THR gets letters only and never a line end, so the console shows
 * no stray lines; the line settings are put back when chaos ends. */
static void chaos_op_uart(void)
{
	uint16_t reg = (uint16_t)chaos_below(8);
	uint8_t value = (uint8_t)chaos_random();

	if (chaos_chance(2)) {
		chaos_in((uint16_t)(0x3F8 + reg), 1);
		return;
	}
	if (reg == 0)
		value = (uint8_t)('a' + value % 26);
	cpu_outb((uint16_t)(0x3F8 + reg), value);
}

static void chaos_op_fw_cfg(void)
{
	uint16_t port = (uint16_t)(0x510 + chaos_below(12));
	unsigned size = chaos_port_size();

	if (chaos_chance(2))
		chaos_in(port, size);
	else
		chaos_out(port, size, port == 0x510 && chaos_chance(2) ? chaos_below(0x40)
								     : (uint32_t)chaos_random());
}

/* The ACPI PM1 event and control blocks and the PM timer (devices/acpi_tables.h); SLP_EN (bit
 * 13 of PM1a_CNT) is never written, so that a sleep state, if one is ever emulated, cannot end
 * the run. */
static void chaos_op_acpi_pm(void)
{
	uint16_t port = (uint16_t)(0x600 + chaos_below(12));
	unsigned size = chaos_port_size();
	uint32_t value = (uint32_t)chaos_random();

	if (chaos_chance(2)) {
		chaos_in(port, size);
		return;
	}
	if (port <= 0x605 && port + size > 0x605)
		value &= ~(0x20u << (8 * (0x605 - port)));
	chaos_out(port, size, value);
}

/* The interrupt test device: lines, pulses, the delayed raise, MSIs to random addresses (only
 * 0xFEExxxxx is an interrupt), bytes for COM1's receiver. */
static void chaos_op_testdev(void)
{
	uint32_t value = (uint32_t)chaos_random();

	switch (chaos_below(8)) {
	case 0:
		cpu_outb((uint16_t)TESTDEV_PORT_LINE(chaos_below(TESTDEV_GSI_COUNT)), value & 1);
		break;
	case 1:
		cpu_outb((uint16_t)TESTDEV_PORT_PULSE(chaos_below(TESTDEV_GSI_COUNT + 2)), 1);
		break;
	case 2:
		cpu_outl(TESTDEV_PORT_DELAY, value & 0xFFFFF);
		cpu_outb(TESTDEV_PORT_RAISE_LATER, (uint8_t)chaos_below(TESTDEV_GSI_COUNT + 4));
		break;
	case 3:
		cpu_outl(TESTDEV_PORT_MSI_ADDRESS, chaos_chance(2) ? value
				 : CHAOS_XAPIC_BASE | (value & 0xFF00Cu));
		cpu_outl(TESTDEV_PORT_MSI_DATA, chaos_sanitize_low_vector((uint32_t)chaos_random()));
		cpu_outb(TESTDEV_PORT_MSI_SEND, 0);
		break;
	case 4:
		cpu_outb(TESTDEV_PORT_UART_RX, (uint8_t)value);
		break;
	case 5:
		chaos_in((uint16_t)(0x2000 + chaos_below(0x300)), chaos_port_size());
		break;
	default: {
		uint16_t port = (uint16_t)(0x2000 + chaos_below(0x300));

		/* MSI address and data are set together above (a sanitized vector). */
		if (port >= TESTDEV_PORT_MSI_ADDRESS && port < TESTDEV_PORT_MSI_SEND + 4)
			port = TESTDEV_PORT_UART_RX;
		chaos_out(port, chaos_port_size(), value);
		break;
	}
	}
}

/* Any port, but not those that end the run (isa-debug-exit F4H-F7H; the reset ports CF9H, 64H
 * and 92H, in case one is ever emulated) nor the 8259s (whose initialization sequence chaos_op_pic
 * keeps whole) nor the test device's MSI data. */
static bool chaos_port_excluded(uint16_t port, unsigned size)
{
	for (unsigned i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);

		if ((p >= 0xF4 && p <= 0xF7) || p == 0xCF9 || p == 0x64 || p == 0x92 ||
		    p == 0x20 || p == 0x21 || p == 0xA0 || p == 0xA1 ||
		    (p >= TESTDEV_PORT_MSI_ADDRESS && p < TESTDEV_PORT_MSI_SEND + 4) ||
		    (p >= 0x3F8 && p <= 0x3FF))
			return true;
	}
	return false;
}

static void chaos_op_port(void)
{
	uint16_t port = (uint16_t)chaos_random();
	unsigned size = chaos_port_size();

	if (chaos_chance(2)) {
		chaos_in(port, size);
		return;
	}
	if (!chaos_port_excluded(port, size))
		chaos_out(port, size, (uint32_t)chaos_random());
}

/* MSRs: architectural ones (also those passed through to the CPU), and random indices. A read
 * that works is followed by a write of the same value or, for MSRs whose value the guest does
 * not depend on, a random one, put back at once; a read that faults by a random write, which
 * must fault too. */
static const uint32_t chaos_msrs[] = {
	0x10, 0x3A, 0x48, 0x49, 0x8B, 0xC1, 0xE7, 0xE8, 0xFE, 0x10A, 0x174, 0x175, 0x176, 0x186,
	0x19C, 0x1A0, 0x1B0, 0x1D9, 0x200, 0x277, 0x2FF, 0x345, 0x38F, 0x3F1, 0x480, 0x481,
	0x48D, 0x491, 0x600, 0x6A0, 0x6A2, 0x6E0, 0xDA0, 0xC0000081, 0xC0000082, 0xC0000083,
	0xC0000084, 0xC0000100, 0xC0000101, 0xC0000102, 0xC0000103, 0x40000000, 0x4B564D00,
};

/* The guest relies on none of these: a random value is harmless until put back. */
static bool chaos_msr_randomizable(uint32_t msr)
{
	return msr == 0x174 || msr == 0x175 || msr == 0x176 || msr == 0x277 || msr == 0x1A0 ||
	       msr == 0x8B || msr == 0x6E0 || (msr >= 0xC0000081 && msr <= 0xC0000084) ||
	       (msr >= 0xC0000100 && msr <= 0xC0000103);
}

static void chaos_op_msr(void)
{
	uint32_t msr;
	uint64_t old, value = chaos_random();

	switch (chaos_below(4)) {
	case 0:
	case 1:
		msr = chaos_msrs[chaos_below(sizeof(chaos_msrs) / sizeof(chaos_msrs[0]))];
		break;
	case 2:
		msr = chaos_chance(2) ? chaos_below(0x2000) : 0xC0000000u + chaos_below(0x2000);
		break;
	default:
		msr = (uint32_t)chaos_random();
		break;
	}
	/* IA32_APIC_BASE, EFER and the x2APIC range have operations of their own. */
	if (msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_EFER || (msr >= 0x800 && msr <= 0x8FF))
		msr = 0x8B;
	if (chaos_faulted(cpu_rdmsr_safe(msr, &old))) {
		if (chaos_chance(2))
			cpu_wrmsr_safe(msr, value);
		return;
	}
	if (!chaos_msr_randomizable(msr) || chaos_chance(2)) {
		cpu_wrmsr_safe(msr, old);
		return;
	}
	if (msr == 0x6E0)
		value = chaos_chance(2) ? cpu_rdtsc_fenced() + chaos_below(200000) : value;
	if (!chaos_faulted(cpu_wrmsr_safe(msr, value)) && msr != 0x6E0 &&
	    chaos_faulted(cpu_wrmsr_safe(msr, old)))
		chaos_stats.restore_failures++;
}

/* EFER: SCE, LME, LMA, NXE and bits it does not have, flipped; put back when the write took
 * (changing LME with paging on, or a reserved bit, must raise #GP). */
static void chaos_op_efer(void)
{
	static const uint8_t bits[] = { 0, 8, 10, 11, 12, 13, 14, 15, 1, 9, 16, 63 };
	uint64_t old, value;

	if (chaos_faulted(cpu_rdmsr_safe(MSR_IA32_EFER, &old)))
		return;
	value = old ^ (1ull << bits[chaos_below(sizeof(bits))]);
	if (chaos_chance(4))
		value ^= 1ull << bits[chaos_below(sizeof(bits))];
	if (!chaos_faulted(cpu_wrmsr_safe(MSR_IA32_EFER, value)) &&
	    chaos_faulted(cpu_wrmsr_safe(MSR_IA32_EFER, old)))
		chaos_stats.restore_failures++;
}

/* CR0: MP, EM, TS, NE, WP, AM, NW, CD flipped; sometimes PG, PE or a bit above 31 too, which
 * must raise #GP in 64-bit mode. */
static void chaos_op_cr0(void)
{
	static const uint8_t bits[] = { 1, 2, 3, 5, 16, 18, 29, 30, 1, 3, 16, 30 };
	uint64_t old = cpu_read_cr0(), value = old;
	unsigned flips = 1 + chaos_below(3);

	for (unsigned i = 0; i < flips; i++)
		value ^= 1ull << bits[chaos_below(sizeof(bits))];
	if (chaos_chance(6))
		value ^= chaos_chance(3) ? (1ull << 31) : chaos_chance(2) ? 1ull
					    : (1ull << (32 + chaos_below(32)));
	if (!chaos_faulted(chaos_write_cr0(value)) && chaos_faulted(chaos_write_cr0(old)))
		chaos_stats.restore_failures++;
}

/* CR4: any defined bit flipped (PAE and LA57 in 64-bit mode and VMXE must raise #GP), or an
 * undefined one. */
static void chaos_op_cr4(void)
{
	static const uint8_t bits[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17,
					18, 20, 21, 22, 23, 24, 25, 15, 19, 30, 40 };
	uint64_t old = cpu_read_cr4(), value = old;
	unsigned flips = 1 + chaos_below(2);

	for (unsigned i = 0; i < flips; i++)
		value ^= 1ull << bits[chaos_below(sizeof(bits))];
	if (!chaos_faulted(cpu_write_cr4_safe(value)) && chaos_faulted(cpu_write_cr4_safe(old)))
		chaos_stats.restore_failures++;
}

/* CR3 reloaded with PWT/PCD or bit 63 (reserved without PCIDE) changed; CR8 read and written
 * (above 15 must raise #GP). */
static void chaos_op_cr3_cr8(void)
{
	if (chaos_chance(2)) {
		uint64_t old = cpu_read_cr3();
		uint64_t value = old ^ (chaos_chance(4) ? (1ull << 63) : (chaos_below(4) << 3));

		if (!chaos_faulted(chaos_write_cr3(value)) && chaos_faulted(chaos_write_cr3(old)))
			chaos_stats.restore_failures++;
		return;
	}
	(void)chaos_read_cr8();
	chaos_write_cr8(chaos_chance(4) ? chaos_random() & 0xFF : chaos_below(16));
}

/* XCR0 with CR4.OSXSAVE set for the occasion: XSETBV of random component sets (bit 0 clear,
 * AVX without SSE, unsupported bits and ECX != 0 must raise #GP), put back; or XSETBV with
 * OSXSAVE clear (#UD). */
static void chaos_op_xcr0(void)
{
	uint64_t cr4 = cpu_read_cr4(), old;

	if (!(cpu_cpuid(CPUID_LEAF_FEATURES).ecx & CHAOS_CPUID1_ECX_XSAVE) ||
	    (!(cr4 & CHAOS_CR4_OSXSAVE) && chaos_chance(4))) {
		chaos_xsetbv(0, 1);
		return;
	}
	if (chaos_faulted(cpu_write_cr4_safe(cr4 | CHAOS_CR4_OSXSAVE)))
		return;
	if (!chaos_faulted(chaos_xgetbv(&old))) {
		uint64_t value = chaos_chance(4) ? chaos_random() : (chaos_random() & 0xFF);

		if (!chaos_faulted(chaos_xsetbv(chaos_chance(8) ? 1 : 0, value)) &&
		    chaos_faulted(chaos_xsetbv(0, old)))
			chaos_stats.restore_failures++;
	}
	if (chaos_faulted(cpu_write_cr4_safe(cr4)))
		chaos_stats.restore_failures++;
}

static void chaos_op_cpuid(void)
{
	static const uint32_t bases[] = { 0, 0x40000000u, 0x80000000u };
	uint32_t leaf = chaos_chance(4) ? (uint32_t)chaos_random()
					: bases[chaos_below(3)] + chaos_below(0x24);
	uint32_t subleaf = chaos_chance(4) ? (uint32_t)chaos_random() : chaos_below(4);
	struct cpu_cpuid_result r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	if (leaf == CPUID_LEAF_FEATURES && (r.ecx & CPUID_FEATURES_ECX_VMX))
		chaos_stats.vmx_visible++;
}

/* INT n for any n, through chaos_int_table. */
static void chaos_op_int(void)
{
	unsigned vector = chaos_below(CHAOS_VECTORS);
	void (*entry)(void) = (void (*)(void))(uintptr_t)(chaos_int_table + 4 * vector);

	chaos_expected_int = vector;
	entry();
	chaos_expected_int = CHAOS_NO_INT;
}

/* The IDT: the other copy loaded (and checked with SIDT); the GDT: a copy with a random
 * descriptor in a spare slot loaded, that slot loaded into FS (which may raise #GP or #NP), FS
 * and the original GDT put back. */
static uint64_t chaos_gdt_copy[16] __attribute__((aligned(16)));

static void chaos_op_descriptor_tables(void)
{
	if (chaos_chance(2)) {
		chaos_idt_current ^= 1;
		chaos_lidt(chaos_idt[chaos_idt_current], sizeof(chaos_idt[0]) - 1);
		if (chaos_sidt().base != (uint64_t)(uintptr_t)chaos_idt[chaos_idt_current])
			chaos_stats.restore_failures++;
		return;
	}

	struct chaos_table_pointer gdt = chaos_sgdt();
	unsigned entries = (gdt.limit + 1u) / 8u;
	uint16_t selector = 8 * 12;

	if (entries > 12)
		return;
	memcpy(chaos_gdt_copy, (const void *)(uintptr_t)gdt.base, entries * 8u);
	chaos_gdt_copy[12] = chaos_random();
	chaos_gdt_copy[13] = chaos_random();

	struct chaos_table_pointer copy = { sizeof(chaos_gdt_copy) - 1,
					    (uint64_t)(uintptr_t)chaos_gdt_copy };

	__asm__ volatile("lgdt %0" : : "m"(copy) : "memory");
	idt_fixup_begin();
	__asm__ volatile(IDT_FIXUP_ASM("mov %0, %%fs") : : "r"(selector) : "memory");
	__asm__ volatile("mov %0, %%fs" : : "r"((uint16_t)0) : "memory");
	__asm__ volatile("lgdt %0" : : "m"(gdt) : "memory");
}

/* Hypercalls other than those that bracket the scenario and report its figures. */
static void chaos_op_hypercall(void)
{
	static const uint64_t functions[] = {
		APICVISOR_HC_NULL, APICVISOR_HC_PING, APICVISOR_HC_GET_MODE,
		APICVISOR_HC_SCENARIO_BEGIN, /* inside a scenario: -EINVAL whatever the name */
	};
	uint64_t function = chaos_chance(3) ? (APICVISOR_HC_SIGNATURE | (8 + chaos_below(0xFFF7)))
					    : functions[chaos_below(4)];

	if (chaos_chance(16))
		function = (uint32_t)chaos_random() & 0xFFFF; /* no signature: -ENOSYS */
	hypercall(function, chaos_random(), chaos_random(), chaos_random());
}

/* SET_MODE in the middle of a batch, with whatever is pending in IRR, ISR, RVI or the posted
 * descriptor at that moment (1 in 5 a mode that does not exist: -EINVAL). */
static void chaos_op_set_mode(void)
{
	if (hypercall(APICVISOR_HC_SET_MODE, chaos_below(5), 0, 0) >= 0)
		chaos_stats.mode_switches++;
}

/* Instructions apicvisor hides or refuses: VMX (#UD), GETSEC (#UD), MONITOR/MWAIT (#UD),
 * RDPMC (#GP); INVD and WBINVD (done); RDTSCP. */
static uint64_t chaos_vmx_region[512] __attribute__((aligned(4096)));

static void chaos_op_instruction(void)
{
	uint64_t address = (uint64_t)(uintptr_t)chaos_vmx_region;
	uint64_t scratch = 0;

	idt_fixup_begin();
	switch (chaos_below(14)) {
	case 0:
		__asm__ volatile(IDT_FIXUP_ASM("vmxon %0") : : "m"(address) : "memory", "cc");
		break;
	case 1:
		__asm__ volatile(IDT_FIXUP_ASM("vmxoff") : : : "memory", "cc");
		break;
	case 2:
		__asm__ volatile(IDT_FIXUP_ASM("vmclear %0") : : "m"(address) : "memory", "cc");
		break;
	case 3:
		__asm__ volatile(IDT_FIXUP_ASM("vmptrld %0") : : "m"(address) : "memory", "cc");
		break;
	case 4:
		__asm__ volatile(IDT_FIXUP_ASM("vmread %1, %0") : "=r"(scratch) : "r"(chaos_random())
				 : "memory", "cc");
		break;
	case 5:
		__asm__ volatile(IDT_FIXUP_ASM("vmwrite %1, %0") : : "r"(chaos_random()),
				 "r"(chaos_random()) : "memory", "cc");
		break;
	case 6:
		__asm__ volatile(IDT_FIXUP_ASM("vmlaunch") : : : "memory", "cc");
		break;
	case 7:
		__asm__ volatile(IDT_FIXUP_ASM("vmresume") : : : "memory", "cc");
		break;
	case 8:
		__asm__ volatile(IDT_FIXUP_ASM("getsec") : : "a"(0) : "memory", "ebx", "ecx");
		break;
	case 9:
		__asm__ volatile(IDT_FIXUP_ASM("monitor") : : "a"(address), "c"(0), "d"(0)
				 : "memory");
		break;
	case 10:
		__asm__ volatile(IDT_FIXUP_ASM("mwait") : : "a"(0), "c"(0) : "memory");
		break;
	case 11:
		__asm__ volatile(IDT_FIXUP_ASM("rdpmc") : "=a"(scratch) : "c"(chaos_random())
				 : "rdx", "memory");
		break;
	case 12:
		__asm__ volatile(IDT_FIXUP_ASM("invd") : : : "memory");
		break;
	default:
		__asm__ volatile(IDT_FIXUP_ASM("wbinvd") : : : "memory");
		break;
	}
	(void)scratch;
}

/* ---- the run ------------------------------------------------------------------------------ */

struct chaos_op {
	void (*run)(void);
	unsigned weight;
};

static const struct chaos_op chaos_ops[] = {
	{ chaos_op_apic, 14 },
	{ chaos_op_nmi, 2 },
	{ chaos_op_self_ipi, 4 },
	{ chaos_op_ioapic, 8 },
	{ chaos_op_pic, 5 },
	{ chaos_op_pit, 4 },
	{ chaos_op_uart, 4 },
	{ chaos_op_fw_cfg, 3 },
	{ chaos_op_acpi_pm, 3 },
	{ chaos_op_testdev, 6 },
	{ chaos_op_port, 5 },
	{ chaos_op_msr, 8 },
	{ chaos_op_efer, 2 },
	{ chaos_op_cr0, 3 },
	{ chaos_op_cr4, 3 },
	{ chaos_op_cr3_cr8, 3 },
	{ chaos_op_xcr0, 2 },
	{ chaos_op_cpuid, 4 },
	{ chaos_op_int, 4 },
	{ chaos_op_descriptor_tables, 2 },
	{ chaos_op_hypercall, 3 },
	{ chaos_op_set_mode, 2 },
	{ chaos_op_instruction, 3 },
};

static void chaos_one_op(void)
{
	unsigned total = 0;

	for (size_t i = 0; i < sizeof(chaos_ops) / sizeof(chaos_ops[0]); i++)
		total += chaos_ops[i].weight;

	unsigned pick = chaos_below(total);

	for (size_t i = 0; i < sizeof(chaos_ops) / sizeof(chaos_ops[0]); i++) {
		if (pick < chaos_ops[i].weight) {
			chaos_ops[i].run();
			break;
		}
		pick -= chaos_ops[i].weight;
	}
	chaos_stats.ops++;
}

/* ---- canaries ------------------------------------------------------------------------------ */

#define CHAOS_CANARY_WORDS 512u
#define CHAOS_STACK_BYTES 16384u  /* entry.asm's stack */

static uint64_t chaos_canary_bss[CHAOS_CANARY_WORDS];
static uint64_t chaos_canary_data[64] = { 1 };

struct chaos_region {
	const char *name;
	uintptr_t start;
	size_t bytes;
	uint64_t ignored_bits;       /* bits the CPU itself sets (accessed, dirty) */
	uint64_t hash;
};

/* Page-table entries' accessed and dirty bits (SDM Vol. 3A §5.8 "Accessed and Dirty Flags"),
 * a segment descriptor's accessed bit (§3.4.5 "Segment Descriptors"). */
#define CHAOS_PTE_ACCESSED_DIRTY 0x60ull
#define CHAOS_DESCRIPTOR_ACCESSED (1ull << 40)

/* Code, PML4, PDPT, 4 page directories, GDT, IDT, BIOS area. */
#define CHAOS_REGIONS 10u

static struct chaos_region chaos_regions[CHAOS_REGIONS];
static unsigned chaos_region_count;
static uintptr_t chaos_stack_guard;

static uint64_t chaos_pattern(uintptr_t address)
{
	uint64_t x = address * 0x9E3779B97F4A7C15ull;

	return x ^ (x >> 29) ^ 0xC4A05C4A05C4A05Cull;
}

static uint64_t chaos_hash(uintptr_t start, size_t bytes, uint64_t ignored_bits)
{
	const volatile uint64_t *p = (const volatile uint64_t *)start;
	uint64_t hash = 0xCBF29CE484222325ull;

	for (size_t i = 0; i < bytes / 8; i++)
		hash = (hash ^ (p[i] & ~ignored_bits)) * 0x100000001B3ull;
	return hash;
}

static void chaos_add_region(const char *name, uintptr_t start, size_t bytes,
			     uint64_t ignored_bits)
{
	if (chaos_region_count < sizeof(chaos_regions) / sizeof(chaos_regions[0]))
		chaos_regions[chaos_region_count++] = (struct chaos_region){
			name, start, bytes, ignored_bits, chaos_hash(start, bytes, ignored_bits) };
}

static void chaos_fill(uintptr_t start, size_t bytes)
{
	for (size_t i = 0; i < bytes; i += 8)
		*(volatile uint64_t *)(start + i) = chaos_pattern(start + i);
}

static const char *chaos_check_fill(uintptr_t start, size_t bytes, const char *name)
{
	for (size_t i = 0; i < bytes; i += 8) {
		if (*(volatile uint64_t *)(start + i) != chaos_pattern(start + i))
			return name;
	}
	return NULL;
}

static void chaos_canaries_set(uint64_t rsp)
{
	uint64_t cr3 = cpu_read_cr3() & 0x000FFFFFFFFFF000ull;
	const uint64_t *pml4 = (const uint64_t *)(uintptr_t)cr3;
	struct chaos_table_pointer gdt = chaos_sgdt(), idt = chaos_sidt();

	chaos_region_count = 0;
	chaos_add_region("code and read-only data", 0x100000,
			 ((uintptr_t)idt_fixups_end - 0x100000) & ~7ull, 0);
	chaos_add_region("page tables (PML4)", cr3, CHAOS_PAGE, CHAOS_PTE_ACCESSED_DIRTY);
	if (pml4[0] & 1) {
		uintptr_t pdpt = pml4[0] & 0x000FFFFFFFFFF000ull;

		chaos_add_region("page tables (PDPT)", pdpt, CHAOS_PAGE,
				 CHAOS_PTE_ACCESSED_DIRTY);
		for (unsigned i = 0; i < 4; i++) {
			uint64_t e = ((const uint64_t *)pdpt)[i];

			if ((e & 1) && !(e & (1u << 7)))
				chaos_add_region("page tables (PD)", e & 0x000FFFFFFFFFF000ull,
						 CHAOS_PAGE, CHAOS_PTE_ACCESSED_DIRTY);
		}
	}
	chaos_add_region("GDT", gdt.base, ((size_t)gdt.limit + 1) & ~7ull,
			 CHAOS_DESCRIPTOR_ACCESSED);
	chaos_add_region("guest IDT", idt.base, ((size_t)idt.limit + 1) & ~7ull, 0);
	chaos_add_region("BIOS area (RSDP) 0xE0000-0xFFFFF", 0xE0000, 0x20000, 0);
	chaos_fill((uintptr_t)chaos_canary_bss, sizeof(chaos_canary_bss));
	chaos_fill((uintptr_t)chaos_canary_data, sizeof(chaos_canary_data));
	/* The stack's top is page aligned (entry.asm): a guard page 8 KiB below the current page
	 * lies inside the 16 KiB stack whether the scenario runs 1 or 7 KiB deep. */
	chaos_stack_guard = ((rsp + CHAOS_PAGE - 1) & ~(uint64_t)(CHAOS_PAGE - 1)) - 3 * CHAOS_PAGE;
	chaos_fill(chaos_stack_guard, CHAOS_PAGE);
}

/* NULL when every canary holds, else the name of the first that does not. */
static const char *chaos_canaries_check(void)
{
	for (unsigned i = 0; i < chaos_region_count; i++) {
		const struct chaos_region *r = &chaos_regions[i];

		if (chaos_hash(r->start, r->bytes, r->ignored_bits) != r->hash)
			return r->name;
	}
	const char *bad = chaos_check_fill((uintptr_t)chaos_canary_bss, sizeof(chaos_canary_bss),
					   "bss canary");

	if (bad == NULL)
		bad = chaos_check_fill((uintptr_t)chaos_canary_data, sizeof(chaos_canary_data),
				       "data canary");
	if (bad == NULL)
		bad = chaos_check_fill(chaos_stack_guard, CHAOS_PAGE, "stack guard");
	return bad;
}

/* ---- before and after ---------------------------------------------------------------------- */

struct chaos_saved {
	uint64_t apic_base;
	uint64_t pat;
	uint64_t cr0, cr4, efer;
	uint8_t elcr[2];
	uint8_t uart_lcr, uart_mcr;
	uint32_t xapic_id;           /* the ID register, in xAPIC mode */
	struct chaos_table_pointer idt;
};

static void chaos_save(struct chaos_saved *s)
{
	cpu_rdmsr_safe(MSR_IA32_APIC_BASE, &s->apic_base);
	cpu_rdmsr_safe(0x277, &s->pat);
	cpu_rdmsr_safe(MSR_IA32_EFER, &s->efer);
	s->cr0 = cpu_read_cr0();
	s->cr4 = cpu_read_cr4();
	s->elcr[0] = cpu_inb(0x4D0);
	s->elcr[1] = cpu_inb(0x4D1);
	s->uart_lcr = cpu_inb(0x3FB);
	s->uart_mcr = cpu_inb(0x3FC);
	s->idt = chaos_sidt();
	if (chaos_apic_state_of(s->apic_base) == CHAOS_APIC_XAPIC)
		s->xapic_id = *(volatile uint32_t *)(uintptr_t)(CHAOS_XAPIC_BASE + LAPIC_REG_ID);
}

/* Puts back what chaos may have left changed and drains what it left pending, with IF = 0 at
 * the end. The local APIC goes through the disabled state (which empties IRR and ISR) back to
 * the mode it had; the IOAPIC's pins end masked, edge, remote IRR cleared; the 8259s are
 * initialized again (bases 30H/38H, all masked) with ELCR as it was. */
/* Both 8259s initialized (bases 30H and 38H, cascade on IRQ 2, 8086 mode), all masked: their
 * reset state has no vector base, so an ExtINT would deliver vectors 0-7. */
static void chaos_pic_init(void)
{
	for (unsigned chip = 0; chip < 2; chip++) {
		uint16_t command = chip ? 0xA0 : 0x20;

		cpu_outb(command, 0x11);
		cpu_outb((uint16_t)(command + 1), chip ? 0x38 : 0x30);
		cpu_outb((uint16_t)(command + 1), chip ? 0x02 : 0x04);
		cpu_outb((uint16_t)(command + 1), 0x01);
		cpu_outb((uint16_t)(command + 1), 0xFF);
		cpu_outb(command, 0x0A); /* OCW3: reads return IRR, as after reset */
	}
}

static void chaos_restore(const struct chaos_saved *s)
{
	cpu_interrupts_disable();
	chaos_silence();
	/* The APIC: disabled, then enabled in its old mode (x2APIC by way of xAPIC). */
	chaos_apic = CHAOS_APIC_UNKNOWN;
	cpu_wrmsr_safe(MSR_IA32_APIC_BASE, s->apic_base & ~(CHAOS_APIC_BASE_EN |
							  CHAOS_APIC_BASE_EXTD));
	cpu_wrmsr_safe(MSR_IA32_APIC_BASE, s->apic_base & ~CHAOS_APIC_BASE_EXTD);
	cpu_wrmsr_safe(MSR_IA32_APIC_BASE, s->apic_base);
	chaos_apic = chaos_apic_state_of(s->apic_base);
	/* An xAPIC ID chaos wrote survives the disabled state (SDM Vol. 3A §11.12.5.1). */
	if (chaos_apic == CHAOS_APIC_XAPIC)
		*(volatile uint32_t *)(uintptr_t)(CHAOS_XAPIC_BASE + LAPIC_REG_ID) = s->xapic_id;
	for (unsigned pin = 0; pin < 24; pin++) {
		uint32_t low = ioapic_read((uint8_t)IOAPIC_REG_RTE_LOW(pin));

		/* The EOI register clears remote IRR of the pins with that vector, so before the
		 * vector is overwritten. */
		if (low & IOAPIC_RTE_REMOTE_IRR)
			*(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + 0x40) = low & 0xFF;
		ioapic_write((uint8_t)IOAPIC_REG_RTE_LOW(pin), IOAPIC_RTE_MASKED);
		ioapic_write((uint8_t)IOAPIC_REG_RTE_HIGH(pin), 0);
	}
	chaos_pic_init();
	cpu_outb(0x4D0, s->elcr[0]);
	cpu_outb(0x4D1, s->elcr[1]);
	cpu_outl(TESTDEV_PORT_DELAY, 0);
	cpu_outb(TESTDEV_PORT_RAISE_LATER, 23); /* replaces any delayed raise; pin 23 is masked */
	cpu_outw(0x510, 0);
	/* COM1: line settings, modem control, no interrupts, receiver drained. */
	cpu_outb(0x3FB, s->uart_lcr & 0x7F);
	cpu_outb(0x3F9, 0);
	cpu_outb(0x3FA, 0);
	cpu_outb(0x3FC, s->uart_mcr);
	cpu_outb(0x3FB, s->uart_lcr);
	for (unsigned i = 0; i < 64 && (cpu_inb(0x3FD) & 1); i++)
		(void)cpu_inb(0x3F8);
	(void)cpu_inb(0x3FA);
	cpu_wrmsr_safe(0x277, s->pat);
	cpu_wrmsr_safe(MSR_IA32_EFER, s->efer);
	chaos_write_cr0(s->cr0);
	cpu_write_cr4_safe(s->cr4);
	chaos_write_cr8(0);
	/* Let whatever is still pending arrive, then back to the guest's IDT. */
	chaos_batch_events = 0;
	chaos_batch_silenced = false;
	cpu_interrupts_enable();
	for (unsigned i = 0; i < 1000; i++)
		cpu_pause();
	cpu_interrupts_disable();
	chaos_lidt((const void *)(uintptr_t)s->idt.base, s->idt.limit);
	/* The console line COM1 writes during chaos may have left unfinished. */
	serial_putc('\n');
}

/* ---- the scenario -------------------------------------------------------------------------- */

/* The seed: the last seed=NUM word of the command line (main.c leaves it alone), else
 * CHAOS_DEFAULT_SEED. False for a malformed or zero one. */
static bool chaos_seed(const struct scenario_context *context, uint64_t *seed)
{
	const struct multiboot_info *info = context->boot_info;
	const char *p = (info->flags & MULTIBOOT_INFO_CMDLINE) ?
				(const char *)(uintptr_t)info->cmdline : "";

	*seed = CHAOS_DEFAULT_SEED;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *word = p;

		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (p - word <= 5 || memcmp(word, "seed=", 5) != 0)
			continue;

		uint64_t value = 0;

		for (const char *d = word + 5; d < p; d++) {
			if (*d < '0' || *d > '9' || value > (UINT64_MAX - 9) / 10)
				return false;
			value = value * 10 + (uint64_t)(*d - '0');
		}
		if (value == 0)
			return false;
		*seed = value;
	}
	return true;
}

static uint64_t chaos_tsc_hz(void)
{
	if (cpu_cpuid(CPUID_LEAF_BASIC_MAX).eax >= CPUID_LEAF_TSC_CRYSTAL) {
		struct cpu_cpuid_result r = cpu_cpuid(CPUID_LEAF_TSC_CRYSTAL);

		if (r.eax != 0 && r.ebx != 0 && r.ecx != 0)
			return (uint64_t)r.ecx * r.ebx / r.eax;
		if (cpu_cpuid(CPUID_LEAF_BASIC_MAX).eax >= CPUID_LEAF_FREQUENCY)
			return (uint64_t)(cpu_cpuid(CPUID_LEAF_FREQUENCY).eax & 0xFFFF) * 1000000;
	}
	return 0;
}

static uint64_t chaos_read_rsp(void)
{
	uint64_t rsp;

	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	return rsp;
}

static enum scenario_failure chaos_run(struct scenario_state *state)
{
	uint64_t target = state->context->iterations;
	uint64_t seed;
	struct chaos_saved saved = { 0 };
	const char *broken = NULL;
	uint64_t broken_batch = 0;

	if (!chaos_seed(state->context, &seed)) {
		scenario_note(state, "bad seed= word (want seed=NUM, NUM from 1)");
		return SCENARIO_FAILURE_HYPERCALL_REFUSED;
	}
	chaos_rng = seed;
	chaos_stats = (struct chaos_stats){ 0 };
	cpu_interrupts_disable();
	chaos_save(&saved);
	chaos_pic_init();
	chaos_apic = chaos_apic_state_of(saved.apic_base);
	chaos_canaries_set(chaos_read_rsp());
	chaos_idt_build();

	uint64_t tsc_hz = chaos_tsc_hz();
	uint64_t start = cpu_rdtsc_fenced();

	while (chaos_stats.ops < target) {
		/* A delivery mode for the batch, sometimes one that does not exist (-EINVAL). */
		if (state->context->hypervisor) {
			int64_t mode = hypercall(APICVISOR_HC_SET_MODE, chaos_below(5), 0, 0);

			if (mode >= 0)
				chaos_stats.mode_switches++;
		}
		chaos_batch_events = 0;
		chaos_batch_silenced = false;
		chaos_apic_open();
		cpu_interrupts_enable();
		for (unsigned i = 0; i < CHAOS_OPS_PER_BATCH && chaos_stats.ops < target; i++)
			chaos_one_op();
		cpu_interrupts_disable();
		chaos_silence();
		chaos_stats.batches++;
		broken = chaos_canaries_check();
		if (broken != NULL) {
			broken_batch = chaos_stats.batches;
			break;
		}
	}
	uint64_t cycles = cpu_rdtsc_fenced() - start;

	chaos_restore(&saved);
	if (state->context->hypervisor)
		hypercall(APICVISOR_HC_SET_MODE, APICVISOR_MODE_POSTED, 0, 0);

	uint64_t faults = 0;

	for (unsigned v = 0; v < 32; v++)
		faults += chaos_stats.faults[v];
	scenario_report(state, "ops", chaos_stats.ops);
	scenario_report(state, "batches", chaos_stats.batches);
	scenario_report(state, "faults_caught", faults);
	scenario_report(state, "faults_gp", chaos_stats.faults[IDT_VECTOR_GP]);
	scenario_report(state, "faults_ud", chaos_stats.faults[6]);
	scenario_report(state, "interrupts_taken", chaos_stats.interrupts);
	scenario_report(state, "nmis_taken", chaos_stats.nmis);
	scenario_report(state, "ops_per_second",
			tsc_hz != 0 && cycles != 0 ? chaos_stats.ops * tsc_hz / cycles : 0);
	scenario_note(state, "seed %lu, %lu INT n, %lu mode switches, %lu batches silenced, "
		      "%lu TSC cycles", seed, chaos_stats.int_n, chaos_stats.mode_switches,
		      chaos_stats.silenced, cycles);
	scenario_note(state, "faults by vector: #DE %lu #UD %lu #NP %lu #SS %lu #GP %lu #PF %lu "
		      "#AC %lu other %lu", chaos_stats.faults[0], chaos_stats.faults[6],
		      chaos_stats.faults[11], chaos_stats.faults[12], chaos_stats.faults[13],
		      chaos_stats.faults[14], chaos_stats.faults[17],
		      faults - chaos_stats.faults[0] - chaos_stats.faults[6] -
		      chaos_stats.faults[11] - chaos_stats.faults[12] - chaos_stats.faults[13] -
		      chaos_stats.faults[14] - chaos_stats.faults[17]);
	if (broken != NULL) {
		scenario_note(state, "canary '%s' changed in batch %lu (seed %lu)", broken,
			      broken_batch, seed);
		return SCENARIO_FAILURE_DEVICE_REGISTER;
	}
	if (chaos_stats.vmx_visible != 0) {
		scenario_note(state, "CPUID.1:ECX.VMX was set %lu times", chaos_stats.vmx_visible);
		return SCENARIO_FAILURE_CPUID_NOT_FILTERED;
	}
	if (chaos_stats.restore_failures != 0) {
		scenario_note(state, "%lu writes putting state back did not take",
			      chaos_stats.restore_failures);
		return SCENARIO_FAILURE_CR4_CHANGED;
	}
	return SCENARIO_PASSED;
}

static const struct scenario chaos_table[] = {
	{ "chaos", true, NULL, chaos_run },
};

const struct scenario_list scenario_chaos_list = {
	chaos_table, sizeof(chaos_table) / sizeof(chaos_table[0])
};
