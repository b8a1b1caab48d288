/* SPDX-License-Identifier: MIT */
#include "idt.h"

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "debug_exit.h"
#include "serial.h"

#define IDT_EXCEPTION_VECTORS 32

/* One entry of the .idt_fixups section, as IDT_FIXUP_ASM emits it. */
struct idt_fixup {
	uint64_t fault_rip;          /* the instruction that may fault */
	uint64_t resume_rip;         /* where the code goes on when it does */
};

_Static_assert(sizeof(struct idt_fixup) == 16, "IDT_FIXUP_ASM emits two .quad");

/* The .idt_fixups table, delimited by guest.ld. */
extern const struct idt_fixup idt_fixups_start[];
extern const struct idt_fixup idt_fixups_end[];

struct idt_exception_record idt_last_exception;

/* A 64-bit mode interrupt gate (SDM Vol. 3A §6.14.1 "64-Bit Mode IDT"). */
struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;                 /* 0: stay on the current stack */
	uint8_t type_attributes;
	uint16_t offset_middle;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate");

/* P = 1, DPL = 0, type 0xE (64-bit interrupt gate: IF is cleared on entry). */
#define IDT_GATE_INTERRUPT_DPL0 0x8E

/* The operand of LIDT in 64-bit mode. */
struct idt_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Defined in exception_stubs.asm. */
extern const uint64_t idt_exception_stubs[IDT_EXCEPTION_VECTORS];

#define IDT_VECTORS 256

static struct idt_gate idt_table[IDT_VECTORS] __attribute__((aligned(16)));

/* Mnemonics from SDM Vol. 3A Table 6-1 "Protected-Mode Exceptions and Interrupts". */
static const char *const idt_exception_names[IDT_EXCEPTION_VECTORS] = {
	[0] = "#DE divide error",
	[1] = "#DB debug",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range exceeded",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[9] = "coprocessor segment overrun",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack-segment fault",
	[13] = "#GP general protection",
	[14] = "#PF page fault",
	[16] = "#MF x87 floating-point error",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XM SIMD floating-point exception",
	[20] = "#VE virtualization exception",
	[21] = "#CP control protection",
};

static struct idt_gate idt_gate_make(uint64_t handler, uint16_t selector)
{
	return (struct idt_gate){
		.offset_low = (uint16_t)handler,
		.selector = selector,
		.ist = 0,
		.type_attributes = IDT_GATE_INTERRUPT_DPL0,
		.offset_middle = (uint16_t)(handler >> 16),
		.offset_high = (uint32_t)(handler >> 32),
		.reserved = 0,
	};
}

static void idt_load(const void *base, uint16_t limit)
{
	struct idt_pointer pointer = {
		.limit = limit,
		.base = (uint64_t)(uintptr_t)base,
	};

	__asm__ volatile("lidt %0" : : "m"(pointer));
}

void idt_init(void)
{
	for (unsigned vector = 0; vector < IDT_EXCEPTION_VECTORS; vector++)
		idt_set_gate(vector, idt_exception_stubs[vector]);
	idt_reload();
}

void idt_set_gate(unsigned vector, uint64_t handler)
{
	/* The code segment we run in is, by definition, the 64-bit one entry.asm set up. */
	idt_table[vector] = idt_gate_make(handler, cpu_read_cs());
}

void idt_load_empty(void)
{
	/* Limit 0 covers no gate (each is 16 bytes), wherever the base points. */
	idt_load(idt_table, 0);
}

void idt_reload(void)
{
	idt_load(idt_table, sizeof(idt_table) - 1);
}

static const struct idt_fixup *idt_find_fixup(uint64_t rip)
{
	for (const struct idt_fixup *fixup = idt_fixups_start; fixup < idt_fixups_end; fixup++) {
		if (fixup->fault_rip == rip)
			return fixup;
	}
	return NULL;
}

static __attribute__((noreturn)) void idt_fail(const struct idt_stub_frame *frame)
{
	/* The stubs push vectors 0-31 only; reserved vectors have no name. */
	const char *name = idt_exception_names[frame->vector];

	serial_printf("exception %lu (%s): error code 0x%lx, rip 0x%lx, cr2 0x%lx, "
		      "rsp 0x%lx, rflags 0x%lx\n",
		      frame->vector, name != NULL ? name : "reserved", frame->error_code,
		      frame->rip, cpu_read_cr2(), frame->rsp, frame->rflags);
	debug_exit(DEBUG_EXIT_FAILURE);
}

void idt_handle_exception(struct idt_stub_frame *frame)
{
	const struct idt_fixup *fixup = idt_find_fixup(frame->rip);

	if (fixup == NULL)
		idt_fail(frame);
	idt_last_exception = (struct idt_exception_record){
		.vector = (unsigned)frame->vector,
		.error_code = frame->error_code,
		.rflags = frame->rflags,
	};
	frame->rip = fixup->resume_rip;
}
