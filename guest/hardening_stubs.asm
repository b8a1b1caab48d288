; SPDX-License-Identifier: MIT
;
; Code the hardening scenarios (scenarios_hardening.c) cannot write in C: a vector register held
; across VM exits, and a VMCALL in 32-bit compatibility mode at EIP 0xFFFFFFFD.

bits 64

section .text

; uint64_t hardening_vector_roundtrip(const void *pattern, void *out, uint64_t ymm,
;                                     uint64_t function)
; Loads YMM0 (ymm != 0) or XMM0 from `pattern`, executes CPUID (leaf 0: a VM exit) and VMCALL
; with RAX = `function` (another), stores the register to `out` and returns the VMCALL's RAX.
; Nothing between the load and the store touches a vector register, so `out` must equal
; `pattern` unless the hypervisor lost the guest's extended state. YMM0 is zeroed afterwards
; (VEX.128 VPXOR clears bits 255:128 too), XMM0 likewise. The caller has set CR4.OSFXSR (and,
; for YMM, CR4.OSXSAVE with XCR0.SSE and XCR0.AVX).
global hardening_vector_roundtrip
hardening_vector_roundtrip:
	push rbx                        ; CPUID writes EBX, callee-saved in the SysV ABI
	mov r8, rdi
	mov r9, rsi
	mov r10, rdx
	mov r11, rcx                    ; CPUID writes RCX: keep the function elsewhere
	test r10, r10
	jz .load_xmm
	vmovdqu ymm0, [r8]
	jmp .loaded
.load_xmm:
	movdqu xmm0, [r8]
.loaded:
	xor eax, eax
	xor ecx, ecx
	cpuid
	mov rax, r11
	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	vmcall
	test r10, r10
	jz .store_xmm
	vmovdqu [r9], ymm0
	vpxor xmm0, xmm0, xmm0
	jmp .stored
.store_xmm:
	movdqu [r9], xmm0
	pxor xmm0, xmm0
.stored:
	pop rbx
	ret

; uint64_t hardening_compat_vmcall(uint64_t compat_selector, uint64_t function)
; Far-returns to EIP 0xFFFFFFFD in the 32-bit code segment `compat_selector` (L = 0, D = 1:
; IA-32e compatibility mode) whose base the caller set to hardening_compat_code + 3, so that
; EIP 0xFFFFFFFD is linear hardening_compat_code (base + EIP wraps at 4 GiB as in protected
; mode: SDM Vol. 3A §3.2.4 "Segmentation in IA-32e Mode", "In compatibility mode, segmentation
; functions just as it does using legacy 16-bit or 32-bit protected mode semantics"). There a
; 3-byte VMCALL with EAX = `function` ends at EIP 0xFFFFFFFF; the next instruction is at EIP 0
; (the wrap), linear base + 0, the RETF right after the VMCALL, which pops the 32-bit frame
; built here and returns to .back in the 64-bit code segment. Returns the VMCALL's RAX.
; Called with IF = 0 and a GDT that holds `compat_selector`.
global hardening_compat_vmcall
hardening_compat_vmcall:
	lea rax, [rel .back]            ; below 4 GiB: the guest is linked at 1 MiB
	mov ecx, cs
	shl rcx, 32
	or rax, rcx
	push rax                        ; the RETF's frame: dword EIP (.back), dword CS (64-bit)
	push rdi                        ; LRETQ: CS = the compatibility-mode segment
	mov eax, 0xFFFFFFFD
	push rax                        ; LRETQ: RIP = 0xFFFFFFFD
	mov eax, esi                    ; RAX = function, bits 63:32 zero
	o64 retf
.back:
	ret

bits 32
; What runs in compatibility mode: VMCALL at EIP 0xFFFFFFFD-0xFFFFFFFF, RETF at EIP 0.
global hardening_compat_code
hardening_compat_code:
	vmcall
	retf

section .note.GNU-stack noalloc noexec nowrite progbits
