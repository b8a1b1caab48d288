; SPDX-License-Identifier: MIT
; The AP start-up page (boot/trampoline.asm, assembled flat) as bytes in the hypervisor's image,
; between ap_trampoline_start and ap_trampoline_end; boot/smp.c copies it below 1 MiB.

section .rodata

global ap_trampoline_start
global ap_trampoline_end
ap_trampoline_start:
	incbin "trampoline.bin"
ap_trampoline_end:

section .note.GNU-stack noalloc noexec nowrite progbits
