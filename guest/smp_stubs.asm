; SPDX-License-Identifier: MIT
;
; Interrupt entry stubs for when the application processors run: the same frame as
; interrupt_stubs.asm (stub_frame.inc), but the common path calls smp_interrupt_dispatch, which
; sends an arrival on an AP's stack to that AP's accounting and every other one to
; interrupts_handle as before. guest/smp.c points the shared IDT's gates (NMI, vector 5,
; 32-255) at these the first time an SMP scenario runs; until then the IDT is exactly as
; interrupts_install left it.

bits 64

%include "stub_frame.inc"

extern smp_interrupt_dispatch

%macro SMP_INTERRUPT_STUB 1
smp_interrupt_stub_%1:
	push 0
	push %1
	jmp smp_interrupt_common
%endmacro

section .text

%assign vector 0
%rep 256
SMP_INTERRUPT_STUB vector
%assign vector vector + 1
%endrep

smp_interrupt_common:
	STUB_FRAME_CALL smp_interrupt_dispatch

section .rodata
; Stub addresses by vector, for smp.c.
STUB_TABLE smp_interrupt_stubs, smp_interrupt_stub_, 256

section .note.GNU-stack noalloc noexec nowrite progbits
