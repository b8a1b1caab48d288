; SPDX-License-Identifier: MIT
;
; The test guest's entry: a Multiboot 1 kernel entered in 32-bit protected mode with paging off
; (EAX = 0x2BADB002, EBX = physical address of the multiboot information), as QEMU's -kernel and
; apicvisor's loader start it. It switches to 64-bit mode and calls guest_main(magic, info).
;
; The switch follows SDM Vol. 3A §9.8.5 "Initializing IA-32e Mode": with paging off, set
; CR4.PAE, load CR3 with the PML4, set IA32_EFER.LME, then set CR0.PG; a far jump to a code
; segment with L=1 then enters 64-bit mode.

bits 32

MULTIBOOT_HEADER_MAGIC     equ 0x1BADB002
MULTIBOOT_FLAG_PAGE_ALIGN  equ 1 << 0
MULTIBOOT_FLAG_MEMORY_INFO equ 1 << 1 ; ask for mem_lower/mem_upper and the memory map
; No a.out kludge (bit 16): the loader places the kernel by its ELF program headers.
MULTIBOOT_HEADER_FLAGS     equ MULTIBOOT_FLAG_PAGE_ALIGN | MULTIBOOT_FLAG_MEMORY_INFO

; Selectors into the GDT below.
SELECTOR_CODE32 equ 0x08
SELECTOR_DATA   equ 0x10
SELECTOR_CODE64 equ 0x18

; Paging-structure entry bits (SDM Vol. 3A §4.5 "4-Level Paging and 5-Level Paging").
PAGE_PRESENT equ 1 << 0
PAGE_WRITE   equ 1 << 1
PAGE_PWT     equ 1 << 3
PAGE_PCD     equ 1 << 4
PAGE_SIZE    equ 1 << 7 ; in a page-directory entry: maps a 2 MiB page
PAGE_2M      equ 0x200000
PAGE_TABLE_BYTES equ 4096

; The fourth GiB holds the LAPIC, the IOAPIC and other MMIO (guest RAM ends at 3 GiB at most):
; map it uncached so device registers are never cached whatever the platform's memory types say.
MMIO_START equ 0xC0000000

CR0_PG    equ 1 << 31
CR4_PAE   equ 1 << 5
MSR_EFER  equ 0xC0000080
EFER_LME  equ 1 << 8

STACK_BYTES equ 16384

extern guest_main
extern guest_bss_start
extern guest_bss_end

section .multiboot progbits alloc noexec nowrite align=4
multiboot_header:
	dd MULTIBOOT_HEADER_MAGIC
	dd MULTIBOOT_HEADER_FLAGS
	dd -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)

section .text
global guest_entry
guest_entry:
	; The magic stays in EBP and the information pointer in EBX until guest_main: nothing below
	; uses either register.
	mov ebp, eax
	cld                             ; rep stosd and the C ABI both need DF = 0

	; The loader's GDT may be gone (the multiboot specification says so): load ours before
	; touching any segment register.
	lgdt [gdt_descriptor]
	jmp SELECTOR_CODE32:.flat
.flat:
	mov eax, SELECTOR_DATA
	mov ds, eax
	mov es, eax
	mov fs, eax
	mov gs, eax
	mov ss, eax

	; Multiboot loaders zero the bss already; doing it here too costs a few microseconds and
	; means the page tables never depend on it.
	mov edi, guest_bss_start
	mov ecx, guest_bss_end
	sub ecx, edi
	shr ecx, 2
	xor eax, eax
	rep stosd

	; Identity map the first 4 GiB: PML4[0] -> PDPT, PDPT[0..3] -> four page directories of
	; 512 2-MiB pages each. The entries' upper halves stay zero: every address is below 4 GiB.
	mov dword [pml4], pdpt + (PAGE_PRESENT | PAGE_WRITE)
	mov edi, pdpt
	mov eax, page_directories + (PAGE_PRESENT | PAGE_WRITE)
	mov ecx, 4
.next_directory:
	mov [edi], eax
	add eax, PAGE_TABLE_BYTES
	add edi, 8
	loop .next_directory

	mov edi, page_directories
	xor eax, eax                    ; physical address of the 2 MiB page
.next_page:
	mov edx, eax
	or edx, PAGE_PRESENT | PAGE_WRITE | PAGE_SIZE
	cmp eax, MMIO_START
	jb .cacheable
	or edx, PAGE_PCD | PAGE_PWT
.cacheable:
	mov [edi], edx
	add edi, 8
	add eax, PAGE_2M
	jnz .next_page                  ; EAX wraps to 0 after the page at 4 GiB - 2 MiB

	mov eax, pml4
	mov cr3, eax
	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	wrmsr
	mov eax, cr0
	or eax, CR0_PG                  ; with EFER.LME set, this activates IA-32e mode
	mov cr0, eax
	jmp SELECTOR_CODE64:long_mode

bits 64
long_mode:
	; The upper halves of the registers are undefined after the mode switch: the 32-bit moves
	; below zero-extend.
	mov esp, stack_top
	mov edi, ebp                    ; guest_main(magic, info)
	mov esi, ebx
	call guest_main                 ; never returns: it ends the run through isa-debug-exit

section .data
; In .data rather than .rodata: loading a segment register sets the descriptor's accessed bit.
align 8
gdt:
	dq 0
	dq 0x00CF9A000000FFFF           ; 0x08: 32-bit code, base 0, limit 4 GiB
	dq 0x00CF92000000FFFF           ; 0x10: data, base 0, limit 4 GiB
	dq 0x00AF9A000000FFFF           ; 0x18: 64-bit code (L = 1)
gdt_end:

gdt_descriptor:
	dw gdt_end - gdt - 1
	dd gdt

section .bss
alignb PAGE_TABLE_BYTES
pml4:             resb PAGE_TABLE_BYTES
pdpt:             resb PAGE_TABLE_BYTES
page_directories: resb 4 * PAGE_TABLE_BYTES

alignb 16
stack:            resb STACK_BYTES
stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
