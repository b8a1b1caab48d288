; SPDX-License-Identifier: MIT
;
; Entry stubs for exception vectors 0-31. Each one gives the C handler the same frame: the
; caller-saved registers, the vector, an error code (the CPU's, or 0 for vectors without one),
; then what the CPU pushed (RIP, CS, RFLAGS, RSP, SS). idt.h pins that layout as struct
; idt_stub_frame.

bits 64

%include "stub_frame.inc"

extern idt_handle_exception

; Vectors for which the CPU pushes an error code (SDM Vol. 3A Table 6-1
; "Protected-Mode Exceptions and Interrupts"): #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP,
; plus AMD's #VC (29) and #SX (30) so the frame decodes right under QEMU on either vendor.
%macro EXCEPTION_STUB 1
exception_stub_%1:
%if !(%1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30)
	push 0
%endif
	push %1
	jmp exception_common
%endmacro

section .text

%assign vector 0
%rep 32
EXCEPTION_STUB vector
%assign vector vector + 1
%endrep

; The handler returns only for an exception it has a fixup for (idt.h), having pointed the
; frame's RIP at the fixup; the interrupted code then goes on with every register as it was.
exception_common:
	STUB_FRAME_CALL idt_handle_exception

section .rodata
; Stub addresses by vector, for idt_init().
STUB_TABLE idt_exception_stubs, exception_stub_, 32

section .note.GNU-stack noalloc noexec nowrite progbits
