; SPDX-License-Identifier: MIT
;
; Entry stubs for exception vectors 0-31. Each one gives the C handler the same frame: the
; caller-saved registers, the vector, an error code (the CPU's, or 0 for vectors without one),
; then what the CPU pushed (RIP, CS, RFLAGS, RSP, SS). idt.c pins that layout as struct
; idt_exception_frame.

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

; The handler returns only for an exception it has a fixup for (idt.h), having pointed the
; frame's RIP at the fixup; the interrupted code then goes on with every register as it was. The
; C code preserves the callee-saved registers itself (SysV ABI); the others are saved here.
;
; No stack alignment is needed for the call: in 64-bit mode the CPU aligns RSP to 16 bytes
; before pushing its frame (SDM Vol. 3A §6.14.2 "64-Bit Mode Stack Frame"), and the frame is
; 128 bytes in all, so RSP is 16-byte aligned again here, as the SysV ABI wants at a call.
exception_common:
	push rax
	push rcx
	push rdx
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	mov rdi, rsp                    ; struct idt_exception_frame *
	call idt_handle_exception
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rax
	add rsp, 16                     ; the vector and the error code
	iretq

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
