; SPDX-License-Identifier: MIT
;
; Entry stubs for interrupts: one per vector 0-255, of which interrupts_install() installs those
; for NMI (2), vector 5 and vectors 32-255 (interrupts.h says why these). Each pushes a zero
; where an error code would be and its vector, so the frame is the exception stubs' one
; (stub_frame.inc), then saves the caller-saved registers and calls interrupts_handle(frame)
; with the frame idt.h pins as struct idt_stub_frame.

bits 64

%include "stub_frame.inc"

extern interrupts_handle

%macro INTERRUPT_STUB 1
interrupt_stub_%1:
	push 0
	push %1
	jmp interrupt_common
%endmacro

section .text

%assign vector 0
%rep 256
INTERRUPT_STUB vector
%assign vector vector + 1
%endrep

; The error code in the frame is the stub's zero.
interrupt_common:
	STUB_FRAME_CALL interrupts_handle

section .rodata
; Stub addresses by vector, for interrupts_install().
STUB_TABLE interrupt_stubs, interrupt_stub_, 256

section .note.GNU-stack noalloc noexec nowrite progbits
