; SPDX-License-Identifier: MIT
;
; The application processors' start-up code, as an OS has it: a start-up IPI (SIPI) with vector
; V starts an AP in real mode at CS:IP = V << 8 : 0, so CS's base is V << 12 (SDM Vol. 3A §9.4.4
; "MP Initialization Example", §11.6.1 "Interrupt Command Register (ICR)", "Start-Up"). guest/smp.c
; copies the bytes between smp_trampoline_start and smp_trampoline_end to a free page below
; 1 MiB and fills in the parameter block; the code goes from real mode to protected mode
; (paging off) and from there to IA-32e mode as SDM Vol. 3A §10.8.5 "Initializing IA-32e Mode"
; prescribes (PAE, CR3, EFER.LME, then CR0.PG), on the guest's own page tables (the BSP's CR3),
; takes a stack slot, loads the BSP's GDT and calls smp_ap_entry(slot) in 64-bit code.
;
; Position independent: it is assembled here, inside the guest's image, but runs from the copy.
; Every address it uses is an offset from smp_trampoline_start (DS = CS in real mode) or, from
; protected mode on, the copy's linear address (the parameter block's `base`, kept in EBX/RBX)
; plus such an offset. The far-jump targets and the GDT pointer are linear addresses that
; guest/smp.c writes into the parameter block with the rest; nothing here writes the page but
; the two counters. Several APs may run it at once (the all-excluding-self start-up): the
; counters are LOCKed, everything else is read only.
;
; The parameter block's layout is struct smp_trampoline_params in guest/smp.c, which checks
; these offsets with _Static_assert.

P_CR0           equ 0x00 ; u32: the BSP's CR0 (PE, PG and its other bits)
P_CR3           equ 0x04 ; u32: the BSP's CR3 (the PML4 of entry.asm, below 4 GiB)
P_CR4           equ 0x08 ; u32: the BSP's CR4 (PAE)
P_EFER          equ 0x0C ; u32: IA32_EFER bits to set (LME)
P_ENTRY         equ 0x10 ; u64: void smp_ap_entry(uint32_t slot)
P_STACKS        equ 0x18 ; u64: the first stack slot's lowest address
P_STACK_BYTES   equ 0x20 ; u64: bytes per slot (slot s's stack top: stacks + (s + 1) * bytes)
P_SLOTS         equ 0x28 ; u32: how many slots there are
P_NEXT_SLOT     equ 0x2C ; u32: the next free slot (LOCK XADD in 64-bit mode)
P_ENTRIES       equ 0x30 ; u32: real-mode entries (LOCK INC: counts a restart by a second SIPI)
P_BASE          equ 0x34 ; u32: this copy's linear address (CS << 4)
P_JUMP32        equ 0x38 ; m16:32: protected_mode's linear address, selector CODE32
P_JUMP64        equ 0x40 ; m16:32: long_mode's linear address, selector CODE64
P_TRAMPOLINE_GDTR equ 0x48 ; LGDT operand (16-bit limit, 32-bit base) of the GDT below
P_GDTR          equ 0x50 ; LGDT operand (16-bit limit, 64-bit base) of the BSP's GDT
P_PARK          equ 0x5C ; u32: nonzero: halt here (guest/smp.c's parking under QEMU's TCG)
P_PARKED        equ 0x60 ; u32: APs that came to halt here (LOCK INC)
P_SIZE          equ 0x68

; The selectors of entry.asm's GDT, which this one copies: the IDT's gates name CODE64.
SEL_CODE32      equ 0x08
SEL_DATA        equ 0x10
SEL_CODE64      equ 0x18

CR0_PE          equ 1 << 0
MSR_EFER        equ 0xC0000080

; In .rodata: the guest never runs these bytes where they are linked, only in the copy.
section .rodata

global smp_trampoline_start
global smp_trampoline_end
global smp_trampoline_params
global smp_trampoline_gdt
global smp_trampoline_protected_mode
global smp_trampoline_long_mode

bits 16
smp_trampoline_start:
	cli
	cld                             ; for the C ABI at the end
	mov ax, cs
	mov ds, ax
	cmp dword [params - smp_trampoline_start + P_PARK], 0
	jne .parked
	lock inc dword [params - smp_trampoline_start + P_ENTRIES]
	mov ebx, [params - smp_trampoline_start + P_BASE]
	o32 lgdt [params - smp_trampoline_start + P_TRAMPOLINE_GDTR]
	mov eax, cr0
	or eax, CR0_PE
	mov cr0, eax
	o32 jmp far [params - smp_trampoline_start + P_JUMP32]
.parked:
	lock inc dword [params - smp_trampoline_start + P_PARKED]
.park:                                  ; IF = 0: only INIT, NMI or SMI end the HLT for good
	hlt
	jmp .park

bits 32
smp_trampoline_protected_mode:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	lea esi, [ebx + params - smp_trampoline_start]
	mov eax, [esi + P_CR4]
	mov cr4, eax
	mov eax, [esi + P_CR3]
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, [esi + P_EFER]
	wrmsr
	mov eax, [esi + P_CR0]
	mov cr0, eax                    ; PG with EFER.LME: IA-32e mode, compatibility mode
	jmp far [esi + P_JUMP64]

bits 64
smp_trampoline_long_mode:
	; The upper halves of the registers are undefined after the mode switch.
	mov esi, esi
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov eax, 1
	lock xadd [rsi + P_NEXT_SLOT], eax
	cmp eax, [rsi + P_SLOTS]
	jae .no_slot                    ; more APs than slots: this one stays here
	mov edi, eax                    ; smp_ap_entry(slot)
	lea rax, [rdi + 1]
	imul rax, [rsi + P_STACK_BYTES]
	add rax, [rsi + P_STACKS]
	mov rsp, rax
	lgdt [rsi + P_GDTR]             ; the BSP's GDT: the same descriptors at the same selectors
	xor ebp, ebp
	call [rsi + P_ENTRY]
.no_slot:                               ; smp_ap_entry does not return
	cli
	hlt
	jmp .no_slot

align 8
smp_trampoline_gdt:
	dq 0
	dq 0x00CF9A000000FFFF           ; 0x08: 32-bit code, base 0, limit 4 GiB
	dq 0x00CF92000000FFFF           ; 0x10: data, base 0, limit 4 GiB
	dq 0x00AF9A000000FFFF           ; 0x18: 64-bit code (L = 1)
smp_trampoline_gdt_end:

align 16
smp_trampoline_params:
params:
	times P_SIZE db 0
smp_trampoline_end:

section .note.GNU-stack noalloc noexec nowrite progbits
