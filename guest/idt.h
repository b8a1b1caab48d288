/* SPDX-License-Identifier: MIT */
/*
 * Exception handling for vectors 0-31. An exception is a bug in the guest or in the hypervisor
 * under it, so the handler prints what happened and ends the run as a failure, unless the
 * faulting instruction has a fixup: scenarios that expect a fault say so with IDT_FIXUP_ASM.
 * The IDT has all 256 gates; interrupts.c installs its own for the NMI and vectors 5 and 32-255.
 */
#ifndef GUEST_IDT_H
#define GUEST_IDT_H

#include <stddef.h>
#include <stdint.h>

#define IDT_VECTOR_GP 13u         /* #GP general protection */
#define IDT_NO_EXCEPTION 256u     /* in idt_exception_record.vector: nothing was raised */

/* What exception_stubs.asm and interrupt_stubs.asm leave on the stack (stub_frame.inc), lowest
 * address first; the handler they call gets a pointer to it. The interrupt stubs always push 0
 * for the error code. */
struct idt_stub_frame {
	uint64_t r11, r10, r9, r8;   /* the caller-saved registers, pushed by the stub */
	uint64_t rdi, rsi, rdx, rcx, rax;
	uint64_t vector;             /* pushed by the stub */
	uint64_t error_code;         /* pushed by the CPU, or 0 by the stub */
	uint64_t rip;                /* the rest pushed by the CPU */
	uint64_t cs;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t ss;
};

_Static_assert(offsetof(struct idt_stub_frame, rax) == 64, "stub frame layout");
_Static_assert(offsetof(struct idt_stub_frame, vector) == 72, "stub frame layout");
_Static_assert(offsetof(struct idt_stub_frame, error_code) == 80, "stub frame layout");
_Static_assert(offsetof(struct idt_stub_frame, rip) == 88, "stub frame layout");
/* The stubs rely on this size to call the handler with a 16-byte aligned stack. */
_Static_assert(sizeof(struct idt_stub_frame) == 128, "stub frame layout");

/* Installs the exception gates (vectors 0-31) and loads the IDT; gates installed with
 * idt_set_gate stay as they are. */
void idt_init(void);

/* Points `vector`'s gate at `handler` (an interrupt gate: IF = 0 in the handler). */
void idt_set_gate(unsigned vector, uint64_t handler);

/* Loads an IDT with limit 0, which holds no gate: the next exception cannot be delivered, nor
 * can the #GP that this raises, nor the #DF after that, so the CPU shuts down (a triple fault;
 * SDM Vol. 3A §6.15 "Interrupt 8—Double Fault Exception (#DF)"). */
void idt_load_empty(void);
/* Loads the full IDT again, gates as they were. */
void idt_reload(void);

/* Called by exception_stubs.asm with the frame it built. Returns only when the faulting
 * instruction has a fixup, having recorded the exception in idt_last_exception and pointed the
 * frame's RIP at the fixup's resume address; any other exception ends the run. */
void idt_handle_exception(struct idt_stub_frame *frame);

/*
 * Expected exceptions, handled as Linux's exception table and kvm-unit-tests' ASM_TRY do.
 * IDT_FIXUP_ASM("instruction") is asm text that runs one instruction and records its address
 * and the address after it, a (fault RIP, resume RIP) pair, in the .idt_fixups section, which
 * guest.ld gathers into one table. If the instruction faults, the handler records the exception
 * and the code goes on after the instruction. Only faults are caught: for them the CPU reports
 * the faulting instruction's address, for traps the next one's (SDM Vol. 3A §6.5 "Exception
 * Classifications").
 *
 * Use it between idt_fixup_begin() and idt_fixup_end(), in an asm statement that clobbers
 * "memory", so that the compiler neither moves the clearing of idt_last_exception after the
 * instruction nor reads it before.
 */
#define IDT_FIXUP_ASM(instruction)                          \
	"1: " instruction "\n\t"                            \
	".pushsection .idt_fixups, \"a\"\n\t"               \
	".balign 8\n\t"                                     \
	".quad 1b, 2f\n\t"                                  \
	".popsection\n"                                     \
	"2:"

/* An exception a fixup caught. */
struct idt_exception_record {
	unsigned vector;             /* IDT_NO_EXCEPTION when none was raised */
	uint64_t error_code;         /* 0 for vectors without one */
	uint64_t rflags;             /* the RFLAGS image the delivery pushed */
};

/* The last exception a fixup caught: set by idt_handle_exception, cleared by idt_fixup_begin.
 * The guest runs on one CPU, so one variable is all the per-CPU state there is. */
extern struct idt_exception_record idt_last_exception;

static inline void idt_fixup_begin(void)
{
	idt_last_exception = (struct idt_exception_record){ .vector = IDT_NO_EXCEPTION };
}

/* What the instruction since idt_fixup_begin() raised. */
static inline struct idt_exception_record idt_fixup_end(void)
{
	return idt_last_exception;
}

#endif
