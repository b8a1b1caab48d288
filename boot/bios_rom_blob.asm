; SPDX-License-Identifier: MIT
; The BIOS's real-mode handlers (boot/bios_rom.asm, assembled flat) as bytes in the hypervisor's
; image, between bios_rom_start and bios_rom_end; boot/bios.c copies them into the guest's BIOS
; area. Also linked into the host unit test of boot/bios.c.

section .rodata

global bios_rom_start
global bios_rom_end
bios_rom_start:
	incbin "bios_rom.bin"
bios_rom_end:

section .note.GNU-stack noalloc noexec nowrite progbits
