; SPDX-License-Identifier: MIT
;
; Entry stubs for interrupts: one per vector 0-255, of which idt.c installs those for NMI (2),
; vector 5 and vectors 32-255 (interrupts.h says why these). Each pushes a zero where an error
; code would be and its vector, so the frame is the exception stubs' one (128 bytes, see
; exception_stubs.asm), then saves the caller-saved registers and calls
; interrupts_handle(frame), which interrupts.c pins as struct interrupts_frame.

bits 64

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

; As exception_common: the CPU aligned RSP to 16 bytes before pushing its frame (SDM Vol. 3A
; §6.14.2 "64-Bit Mode Stack Frame") and the 128-byte frame keeps it aligned for the call.
interrupt_common:
	push rax
	push rcx
	push rdx
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	mov rdi, rsp                    ; struct interrupts_frame *
	call interrupts_handle
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rax
	add rsp, 16                     ; the vector and the zero
	iretq                           ; for an NMI, also ends NMI blocking

section .rodata
; Stub addresses by vector, for interrupts_install().
global interrupt_stubs
interrupt_stubs:
%assign vector 0
%rep 256
	dq interrupt_stub_ %+ vector
%assign vector vector + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
