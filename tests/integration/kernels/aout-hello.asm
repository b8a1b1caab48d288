; SPDX-License-Identifier: MIT
;
; A minimal multiboot kernel in the a.out-kludge format (header flag 16: the loader uses the
; header's address fields, not ELF): a flat binary loaded at 1 MiB that prints one line on COM1
; and ends through isa-debug-exit. It is a "foreign" guest for the integration tests, as one
; would hand to `qemu-system-x86_64 -kernel`: it shares no code with guest/.
;
; Build: nasm -f bin -o aout-hello.bin aout-hello.asm

bits 32
org 0x100000

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ (1 << 1) | (1 << 16)   ; memory info, address fields valid

header:
	dd MB_MAGIC
	dd MB_FLAGS
	dd -(MB_MAGIC + MB_FLAGS)
	dd header                       ; header_addr
	dd header                       ; load_addr
	dd load_end                     ; load_end_addr
	dd bss_end                      ; bss_end_addr
	dd start                        ; entry_addr

start:
	cmp eax, 0x2BADB002
	jne fail
	mov esi, message
.next:
	lodsb
	test al, al
	jz pass
	mov ah, al
	mov dx, 0x3FD                   ; LSR: wait for THR empty
.wait:
	in al, dx
	test al, 0x20
	jz .wait
	mov al, ah
	mov dx, 0x3F8
	out dx, al
	jmp .next
pass:
	mov eax, [bss_word]             ; bss must read as zero
	test eax, eax
	jnz fail
	xor eax, eax
	jmp finish
fail:
	mov eax, 1
finish:
	mov dx, 0xF4
	out dx, eax
.halt:
	cli
	hlt
	jmp .halt

message:
	db "a.out kludge kernel: hello", 10, 0
load_end:

; Not in the file: the loader must zero [load_end, bss_end).
absolute load_end
bss_word:
	resd 1024
bss_end:
