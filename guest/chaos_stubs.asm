; SPDX-License-Identifier: MIT
;
; The chaos scenario's own interrupt entry points (guest/scenarios_chaos.c loads an IDT of these
; while it runs): one stub per vector 0-255, all going to chaos_trap(frame) with the frame idt.h
; pins as struct idt_stub_frame.
;
; Under chaos any vector can arrive as an exception, an external interrupt, an NMI or an INT n,
; and only exceptions push an error code. So the stubs of the vectors that may carry one (SDM
; Vol. 3A Table 6-1: 8, 10-14, 17, 21, plus 29 and 30) look at the stack: without an error code
; the CPU's frame starts RIP, CS, ...; with one, error code, RIP, CS. The guest's code segment
; selector (CHAOS_CODE_SELECTOR, entry.asm's 64-bit one) sits at [RSP + 8] only in the first case
; (a RIP in the guest is never that small), and then the stub pushes a zero itself.
;
; Also here: chaos_int_table, 256 entries of 4 bytes, entry n being "INT n; RET", so that C can
; raise any software interrupt by calling chaos_int_table + 4 * n.

bits 64

%include "stub_frame.inc"

CHAOS_CODE_SELECTOR equ 0x18

extern chaos_trap

%macro CHAOS_STUB 1
chaos_stub_%1:
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
	cmp qword [rsp + 8], CHAOS_CODE_SELECTOR
	jne .has_error_code
	push 0
.has_error_code:
%else
	push 0
%endif
	push %1
	jmp chaos_common
%endmacro

section .text

%assign vector 0
%rep 256
CHAOS_STUB vector
%assign vector vector + 1
%endrep

chaos_common:
	STUB_FRAME_CALL chaos_trap

; INT n; RET, each entry padded to 4 bytes.
global chaos_int_table
align 4
chaos_int_table:
%assign vector 0
%rep 256
	db 0xCD, vector, 0xC3, 0x90
%assign vector vector + 1
%endrep

section .rodata
; Stub addresses by vector.
STUB_TABLE chaos_stubs, chaos_stub_, 256

section .note.GNU-stack noalloc noexec nowrite progbits
