; SPDX-License-Identifier: MIT
;
; A round trip to real mode and back, for the realmode-sti-hlt scenario (guest/scenarios_bios.c):
; the page is copied below 1 MiB (real mode reaches only the first MiB), called from 64-bit code
; as realmode_thunk(page), and there leaves IA-32e mode the way SDM Vol. 3A §10.8.5.4 "Switching
; Out of IA-32e Mode Operation" says (compatibility mode, CR0.PG = 0, EFER.LME = 0), goes to
; real mode as §10.9.2 "Switching Back to Real-Address Mode" says (a 16-bit segment with a 64 KiB
; limit, CR0.PE = 0, a far jump, the real-mode IDT at 0), and there runs what a kernel booted by a
; BIOS may run first: STI, HLT, woken by the BIOS's timer tick (IRQ 0 through the BIOS's vector
; table), HLT again, CLI. It reads the TSC after each wake-up and the BIOS data area's tick count
; before and after. Then back: protected mode, PAE paging with EFER.LME (§10.8.5 "Initializing
; IA-32e Mode"), the caller's GDT, IDT, segments and stack, RET.
;
; Every address is an offset from realmode_thunk_start (CS in real mode, the 16-bit code
; segment's base) or, in 32- and 64-bit code, the copy's linear address kept in EBX/RBX plus such
; an offset; guest/scenarios_bios.c fills in the parameter block (struct realmode_params, whose
; offsets it checks with _Static_assert) and the 16-bit descriptors' bases.

P_RSP           equ 0x00 ; u64: the caller's RSP (saved here)
P_GDTR          equ 0x08 ; 10 bytes: the caller's GDTR (saved here)
P_IDTR          equ 0x12 ; 10 bytes: the caller's IDTR (saved here)
P_CR0           equ 0x1C ; u32: the caller's CR0
P_CR3           equ 0x20 ; u32: the caller's CR3 (below 4 GiB)
P_CR4           equ 0x24 ; u32: the caller's CR4
P_EFER          equ 0x28 ; u32: the caller's IA32_EFER (low half)
P_JUMP_COMPAT   equ 0x2C ; m16:32: compat32's linear address, selector CODE32
P_JUMP_PM32     equ 0x32 ; m16:32: pm32's linear address, selector CODE32
P_JUMP64        equ 0x38 ; m16:32: long64's linear address, selector CODE64
P_THUNK_GDTR    equ 0x3E ; 10 bytes: LGDT operand of the GDT below (64-bit base; 32 bits used
                         ; from real mode with an operand-size prefix)
P_REAL_IDTR     equ 0x48 ; 6 bytes: the real-mode IDT: limit 3FFH, base 0
P_SEGMENT       equ 0x4E ; u16: the page's real-mode segment (linear address >> 4)
P_TSC1          equ 0x50 ; u64: TSC after the first wake-up
P_TSC2          equ 0x58 ; u64: TSC after the second
P_TICKS_BEFORE  equ 0x60 ; u32: BIOS data area 40:6C before STI
P_TICKS_AFTER   equ 0x64 ; u32: and after the second wake-up
P_SERVICE_FLAGS equ 0x68 ; u16: FLAGS after INT 15H AX=5300H (APM installation check)
P_SERVICE_AX    equ 0x6A ; u16: and AX
P_SIZE          equ 0x6C

; The caller's GDT (entry.asm's) has these at these selectors; this one copies them and adds the
; 16-bit segments.
SEL_CODE32      equ 0x08
SEL_DATA        equ 0x10
SEL_CODE64      equ 0x18
SEL_CODE16      equ 0x20
SEL_DATA16      equ 0x28

CR0_PE          equ 1 << 0
CR0_PG          equ 1 << 31
MSR_EFER        equ 0xC0000080
EFER_LME        equ 1 << 8
EFER_LMA        equ 1 << 10
BDA_TICKS       equ 0x46C
STACK_TOP       equ 0xFF0   ; in the page, above the code and parameters

%define OFF(label) (label - realmode_thunk_start)

section .rodata

global realmode_thunk_start
global realmode_thunk_end
global realmode_thunk_params
global realmode_thunk_gdt
global realmode_thunk_compat
global realmode_thunk_pm32
global realmode_thunk_long64

bits 64
; void realmode_thunk(uint64_t page): the copy's linear address in RDI.
realmode_thunk_start:
	pushfq
	cli                             ; IRQ 0 may be open: its vector 08H is #DF in long mode
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	mov rbx, rdi
	mov [rbx + OFF(params) + P_RSP], rsp
	sgdt [rbx + OFF(params) + P_GDTR]
	sidt [rbx + OFF(params) + P_IDTR]
	lgdt [rbx + OFF(params) + P_THUNK_GDTR]
	jmp far dword [rbx + OFF(params) + P_JUMP_COMPAT]

bits 32
realmode_thunk_compat:                 ; compatibility mode, CS = CODE32
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax                    ; IA-32e mode off (EFER.LMA = 0): 32-bit protected mode
	mov ecx, MSR_EFER
	rdmsr
	and eax, ~EFER_LME
	wrmsr
	jmp SEL_CODE16:OFF(pm16)

bits 16
pm16:                                   ; 16-bit protected mode, CS base = the page
	mov ax, SEL_DATA16                ; base: the page too, limit 64 KiB
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, STACK_TOP
	mov eax, cr0
	and eax, ~CR0_PE
	mov cr0, eax
	push word [cs:OFF(params) + P_SEGMENT]
	push word OFF(real16)
	retf

real16:                                 ; real mode, CS = the page's segment
	mov ax, cs
	mov ds, ax
	mov ss, ax
	mov sp, STACK_TOP
	lidt [OFF(params) + P_REAL_IDTR]
	xor ax, ax
	mov es, ax
	mov ax, 0x5300                  ; a BIOS service: APM installation check, device 0
	xor bx, bx
	clc
	int 0x15
	pushf
	pop word [OFF(params) + P_SERVICE_FLAGS]
	mov [OFF(params) + P_SERVICE_AX], ax
	mov eax, [es:BDA_TICKS]
	mov [OFF(params) + P_TICKS_BEFORE], eax
	sti
	hlt                             ; woken by the BIOS's timer tick (INT 08H, then here)
	rdtsc
	mov [OFF(params) + P_TSC1], eax
	mov [OFF(params) + P_TSC1 + 4], edx
	hlt                             ; and by the next
	rdtsc
	mov [OFF(params) + P_TSC2], eax
	mov [OFF(params) + P_TSC2 + 4], edx
	cli
	mov eax, [es:BDA_TICKS]
	mov [OFF(params) + P_TICKS_AFTER], eax

	xor ebx, ebx
	mov bx, cs
	shl ebx, 4                      ; EBX: the page's linear address, from here on
	o32 lgdt [OFF(params) + P_THUNK_GDTR]
	mov eax, cr0
	or eax, CR0_PE
	mov cr0, eax
	o32 jmp far [OFF(params) + P_JUMP_PM32]

bits 32
realmode_thunk_pm32:                   ; 32-bit protected mode, paging off
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	lea esp, [ebx + STACK_TOP]       ; flat SS: the page's stack, not the old RSP's low half
	lea esi, [ebx + OFF(params)]
	mov eax, [esi + P_CR4]
	mov cr4, eax
	mov eax, [esi + P_CR3]
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	mov eax, [esi + P_EFER]
	and eax, ~EFER_LMA              ; read-only: the CPU sets it with CR0.PG below
	wrmsr
	mov eax, [esi + P_CR0]
	mov cr0, eax                    ; PG with EFER.LME: IA-32e mode, compatibility mode
	jmp far [esi + P_JUMP64]

bits 64
realmode_thunk_long64:
	mov ebx, ebx
	lgdt [rbx + OFF(params) + P_GDTR]
	lidt [rbx + OFF(params) + P_IDTR]
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, [rbx + OFF(params) + P_RSP]
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	popfq
	ret

align 8
realmode_thunk_gdt:
	dq 0
	dq 0x00CF9A000000FFFF           ; 0x08: 32-bit code, base 0, limit 4 GiB
	dq 0x00CF92000000FFFF           ; 0x10: data, base 0, limit 4 GiB
	dq 0x00AF9A000000FFFF           ; 0x18: 64-bit code (L = 1)
	dq 0x00009A000000FFFF           ; 0x20: 16-bit code, limit 64 KiB, base: the page's
	dq 0x000092000000FFFF           ; 0x28: 16-bit data, limit 64 KiB, base: the page's
realmode_thunk_gdt_end:

align 16
realmode_thunk_params:
params:
	times P_SIZE db 0
realmode_thunk_end:

section .note.GNU-stack noalloc noexec nowrite progbits
