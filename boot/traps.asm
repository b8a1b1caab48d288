; SPDX-License-Identifier: MIT
;
; Root-mode exception entry points, vectors 0-31: each pushes an error code where the CPU does
; not (SDM Vol. 3A §7.3 "Sources of Interrupts", Table 7-1 "Exceptions and Interrupts"), then
; the vector, then all GPRs, and calls trap_report(frame), which prints and powers off.
; The stubs are 16 bytes apart; boot/cpu.c builds the IDT from trap_stubs + 16 * vector.

default rel
bits 64

extern trap_report
extern cpu_root_nmis

section .text

%macro TRAP_STUB 1
	align 16
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
	; the CPU pushed an error code
%else
	push qword 0
%endif
	push qword %1
	jmp trap_common
%endmacro

global trap_stubs
align 16
trap_stubs:
%assign v 0
%rep 32
	TRAP_STUB v
%assign v v + 1
%endrep

; Vector 2 in root mode: count and return. IRET ends the NMI blocking the delivery began (SDM
; Vol. 3A §7.7 "Nonmaskable Interrupt (NMI)"); LOCK INC changes only RFLAGS, which IRET restores.
; It runs on IST1 like #DF and #MC.
global trap_nmi
align 16
trap_nmi:
	lock inc qword [rel cpu_root_nmis]
	iretq

trap_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp
	and rsp, -16
	call trap_report wrt ..plt
.hang:
	cli
	hlt
	jmp .hang

section .note.GNU-stack noalloc noexec nowrite progbits
