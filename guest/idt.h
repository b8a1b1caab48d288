/* SPDX-License-Identifier: MIT */
/*
 * Exception handling for vectors 0-31. Any exception is a bug in the guest or in the
 * hypervisor under it: the handler prints what happened and ends the run as a failure.
 * No interrupts are taken (RFLAGS.IF stays 0), so nothing is installed above vector 31.
 */
#ifndef GUEST_IDT_H
#define GUEST_IDT_H

struct idt_exception_frame;

void idt_init(void);

/* Called by exception_stubs.asm with the frame it built. */
__attribute__((noreturn)) void idt_handle_exception(const struct idt_exception_frame *frame);

#endif
