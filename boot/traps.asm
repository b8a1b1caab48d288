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
extern cpu_root_interrupt

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

; A host interrupt taken in root mode: only while a CPU waits halted with interrupts on (a vCPU
; held after INIT, woken by a kick or a posted-interrupt notification). The handler acknowledges
; it at the local APIC; the waiting loop then looks at what the sender left. The CPU aligned RSP
; to 16 before pushing its 40-byte frame; nine pushes make it 16-aligned again for the call.
global trap_root_interrupt
align 16
trap_root_interrupt:
	push rax
	push rcx
	push rdx
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	call cpu_root_interrupt wrt ..plt
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rax
	iretq

; The local APIC's spurious vector: no EOI (SDM Vol. 3A §11.9 "Spurious Interrupt").
global trap_spurious
align 16
trap_spurious:
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
