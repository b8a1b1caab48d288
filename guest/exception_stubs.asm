; SPDX-License-Identifier: MIT
;
; Entry stubs for exception vectors 0-31. Each one gives the C handler the same frame: the
; vector, an error code (the CPU's, or 0 for vectors without one), then what the CPU pushed
; (RIP, CS, RFLAGS, RSP, SS). idt.c pins that layout as struct idt_exception_frame.

bits 64

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

exception_common:
	mov rdi, rsp                    ; struct idt_exception_frame *
	and rsp, -16                    ; the call needs a 16-byte aligned stack (SysV ABI)
	call idt_handle_exception       ; never returns: the guest ends on any exception

section .rodata
; Stub addresses by vector, for idt_init().
global idt_exception_stubs
idt_exception_stubs:
%assign vector 0
%rep 32
	dq exception_stub_ %+ vector
%assign vector vector + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
