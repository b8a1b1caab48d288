; SPDX-License-Identifier: MIT
;
; The application processors' first code: a start-up IPI (SIPI) with vector V starts an AP in
; real mode at CS:IP = V << 8 : 0 (SDM Vol. 3A §9.4.4.1 "Typical BSP Initialization Sequence",
; §11.6.1 "Start-up IPI"). This page, copied by boot/smp.c to a page below 1 MiB that it took
; from the firmware, goes from real mode to protected mode (paging off) and from there to IA-32e
; mode as SDM Vol. 3A §10.8.5 "Initializing IA-32e Mode" prescribes (PAE, CR3, EFER.LME, then
; CR0.PG), loads the stack boot/smp.c left in the parameters and calls ap_entry(arg) in 64-bit
; code: the hypervisor's own page tables, its GDT and IDT follow there.
;
; Position independent: the page's linear base (CS << 4) is kept in EBX/RBX and every data
; access and far-jump target is based on it. Assembled as a flat binary (nasm -f bin) and
; embedded by boot/trampoline_blob.asm. The parameter block's layout is struct
; ap_trampoline_params in boot/smp.c (checked there with _Static_assert on these offsets).

bits 16
org 0

P_CR0       equ 0x08   ; u32: CR0 to enter IA-32e mode with (PE, PG and the BSP's others)
P_CR3       equ 0x0C   ; u32: the hypervisor's PML4, below 4 GiB
P_CR4       equ 0x10   ; u32: CR4 with PAE
P_EFER      equ 0x14   ; u32: EFER bits to set (LME, NXE where the BSP has it)
P_STACK     equ 0x18   ; u64: this AP's root-mode stack top
P_ENTRY     equ 0x20   ; u64: void ap_entry(void *arg), System V ABI
P_ARG       equ 0x28   ; u64: its argument (the AP's struct percpu)
P_STAGE     equ 0x30   ; u32: how far the AP got (1 real mode, 2 protected, 3 64-bit)
P_END       equ 0x38

SEL_CODE64  equ 0x08
SEL_DATA    equ 0x10
SEL_CODE32  equ 0x18

start:
	jmp short real16
	times P_END - ($ - $$) db 0

real16:
	cli
	cld
	mov ax, cs
	mov ds, ax
	xor ebx, ebx
	mov bx, ax
	shl ebx, 4                      ; EBX = this page's linear address
	mov dword [P_STAGE], 1
	; The GDT pointer and the two far-jump targets are linear addresses: fill them in.
	lea eax, [ebx + gdt]
	mov [gdtr + 2], eax
	lea eax, [ebx + protected32]
	mov [jump32], eax
	lea eax, [ebx + long64]
	mov [jump64], eax
	o32 lgdt [gdtr]
	mov eax, cr0
	or eax, 1                       ; CR0.PE
	mov cr0, eax
	o32 jmp far [jump32]

bits 32
protected32:
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov dword [ebx + P_STAGE], 2
	mov eax, [ebx + P_CR4]
	mov cr4, eax
	mov eax, [ebx + P_CR3]
	mov cr3, eax
	mov ecx, 0xC0000080             ; IA32_EFER
	rdmsr
	or eax, [ebx + P_EFER]
	wrmsr
	mov eax, [ebx + P_CR0]
	mov cr0, eax                    ; CR0.PG with EFER.LME: IA-32e mode, compatibility code
	jmp far [ebx + jump64]

bits 64
long64:
	mov ebx, ebx                    ; RBX[63:32] were never written: zero them (SDM Vol. 1 §3.4.1.1)
	mov ax, SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov dword [rbx + P_STAGE], 3
	mov rsp, [rbx + P_STACK]
	mov rdi, [rbx + P_ARG]
	mov rax, [rbx + P_ENTRY]
	xor ebp, ebp
	call rax
.halt:                                  ; ap_entry does not return
	cli
	hlt
	jmp .halt

align 8
gdtr:
	dw gdt_end - gdt - 1
	dd 0
jump32:
	dd 0
	dw SEL_CODE32
jump64:
	dd 0
	dw SEL_CODE64

align 8
gdt:
	dq 0
	dq 0x00AF9A000000FFFF           ; 0x08: 64-bit code, DPL 0
	dq 0x00CF92000000FFFF           ; 0x10: data, 4 GiB
	dq 0x00CF9A000000FFFF           ; 0x18: 32-bit code, 4 GiB
gdt_end:
