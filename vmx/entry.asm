; SPDX-License-Identifier: MIT
;
; VM entry and VM exit. The C side calls vmx_enter() for every entry; the VM exit comes back
; to vmx_exit_landing (the VMCS host RIP) on the stack vmx_enter left in the VMCS host RSP,
; saves the guest registers and returns from vmx_enter as if it were a normal call.
;
; One exit never reaches C: a VMCALL with RAX = APICVISOR_HC_NULL is turned around here (RIP
; advanced past the VMCALL, RAX = 0, VMRESUME), so that the guest can time the bare VM exit /
; VM entry round trip against the full path.
;
; Position independent (GNU-EFI builds a relocatable PE): RIP-relative addressing only.

default rel
bits 64

%include "include/apicvisor/hypercall.inc"

; struct vcpu_gprs offsets (vmx/vcpu.h, pinned by _Static_assert in vmx/vmx.c)
%define G_RAX 0
%define G_RBX 8
%define G_RCX 16
%define G_RDX 24
%define G_RSI 32
%define G_RDI 40
%define G_RBP 48
%define G_R8 56
%define G_R9 64
%define G_R10 72
%define G_R11 80
%define G_R12 88
%define G_R13 96
%define G_R14 104
%define G_R15 112
%define G_CR2 120
%define G_NULL_FAST_PATH 128
%define G_NULL_FAST_PATH_ALLOWED 136
%define G_TIMER_DEADLINE 144
%define G_TIMER_SHIFT 152

; VMCS field encodings (SDM Vol. 3D Appendix B)
%define VMCS_EXIT_REASON 0x4402
%define VMCS_EXIT_INSTRUCTION_LEN 0x440C
%define VMCS_GUEST_INTERRUPTIBILITY 0x4824
%define VMCS_GUEST_SS_ACCESS_RIGHTS 0x4818
%define VMCS_GUEST_CS_ACCESS_RIGHTS 0x4816
%define VMCS_GUEST_RIP 0x681E
%define VMCS_PREEMPTION_TIMER_VALUE 0x482E
%define VMCS_GUEST_RFLAGS 0x6820
%define VMCS_HOST_RSP 0x6C14

%define EXIT_REASON_VMCALL 18
%define RFLAGS_TF (1 << 8)

section .text

; Loads the guest GPRs from the struct vcpu_gprs in RDI (RDI last) and CR2.
%macro LOAD_GUEST_GPRS 0
	mov rax, [rdi + G_CR2]
	mov cr2, rax
	mov rax, [rdi + G_RAX]
	mov rbx, [rdi + G_RBX]
	mov rcx, [rdi + G_RCX]
	mov rdx, [rdi + G_RDX]
	mov rsi, [rdi + G_RSI]
	mov rbp, [rdi + G_RBP]
	mov r8, [rdi + G_R8]
	mov r9, [rdi + G_R9]
	mov r10, [rdi + G_R10]
	mov r11, [rdi + G_R11]
	mov r12, [rdi + G_R12]
	mov r13, [rdi + G_R13]
	mov r14, [rdi + G_R14]
	mov r15, [rdi + G_R15]
	mov rdi, [rdi + G_RDI]
%endmacro

; int vmx_enter(struct vcpu_gprs *gprs, int launched)
;
; Returns 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed with VMfailInvalid (no current
; VMCS), 2 when it failed with VMfailValid (the VM-instruction error field says why)
; (SDM Vol. 3C §31.2 "Conventions").
global vmx_enter
vmx_enter:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdi                        ; [rsp] = gprs: how the exit path finds them again

	mov rax, VMCS_HOST_RSP
	vmwrite rax, rsp
	jbe .host_rsp_failed

	test esi, esi                   ; flags survive the MOVs below
	LOAD_GUEST_GPRS
	jnz .resume
	vmlaunch
	jmp entry_failed
.resume:
	vmresume
	jmp entry_failed

.host_rsp_failed:
	mov eax, 1
	jc .return
	mov eax, 2
	jmp .return

; VMLAUNCH/VMRESUME fell through: CF = 1 is VMfailInvalid, ZF = 1 VMfailValid. The guest's
; registers are in the GPRs now; the callee-saved ones come back from the stack.
entry_failed:
	mov eax, 2
	jz .failed_valid
	mov eax, 1
.failed_valid:
	jmp vmx_enter.return

vmx_enter.return:
	add rsp, 8                      ; the gprs pointer
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

; The VMCS host RIP. RSP = the host RSP vmx_enter wrote: [rsp] = gprs.
global vmx_exit_landing
vmx_exit_landing:
	push rdi                        ; guest RDI
	mov rdi, [rsp + 8]
	mov [rdi + G_RAX], rax
	mov [rdi + G_RBX], rbx
	mov [rdi + G_RCX], rcx
	mov [rdi + G_RDX], rdx
	mov [rdi + G_RSI], rsi
	mov [rdi + G_RBP], rbp
	mov [rdi + G_R8], r8
	mov [rdi + G_R9], r9
	mov [rdi + G_R10], r10
	mov [rdi + G_R11], r11
	mov [rdi + G_R12], r12
	mov [rdi + G_R13], r13
	mov [rdi + G_R14], r14
	mov [rdi + G_R15], r15
	pop qword [rdi + G_RDI]
	mov rax, cr2
	mov [rdi + G_CR2], rax

	; The null-hypercall fast path. Everything it skips in C it must not need: it leaves
	; through C whenever advancing RIP would need more than RIP += length, i.e. when the
	; VMCALL sat in an STI/MOV-SS shadow (the blocking must be cleared), RFLAGS.TF is set
	; (a single-step trap is due) — SDM Vol. 3C §27.3.1.5 and KVM's skip_emulated_instruction —
	; or the guest is not in 64-bit mode (EIP wraps at 4 GiB: VM entry requires RIP bits 63:32
	; to be 0 there, Vol. 3C §26.3.1.4); and when the timer deadline has come (C runs the
	; timers, the watchdog, or gives the guest a slice). Like C, it loads the VMX-preemption
	; timer for the deadline at every entry: the timer does not count in root operation.
	cmp qword [rdi + G_RAX], APICVISOR_HC_NULL
	jne .to_c
	cmp qword [rdi + G_NULL_FAST_PATH_ALLOWED], 0
	je .to_c
	mov rdx, VMCS_EXIT_REASON
	vmread rax, rdx
	cmp eax, EXIT_REASON_VMCALL     ; also rejects entry failures (bit 31)
	jne .to_c
	mov rdx, VMCS_GUEST_INTERRUPTIBILITY
	vmread rax, rdx
	test eax, 3
	jnz .to_c
	mov rdx, VMCS_GUEST_SS_ACCESS_RIGHTS ; CPL = SS.DPL: only ring 0 may call (C says -EPERM)
	vmread rax, rdx
	test eax, 0x60
	jnz .to_c
	mov rdx, VMCS_GUEST_CS_ACCESS_RIGHTS ; CS.L: 64-bit code (compatibility mode has L = 0)
	vmread rax, rdx
	test eax, 1 << 13
	jz .to_c
	mov rdx, VMCS_GUEST_RFLAGS
	vmread rax, rdx
	test eax, RFLAGS_TF
	jnz .to_c
	mov rcx, [rdi + G_TIMER_DEADLINE]
	test rcx, rcx
	jz .timer_loaded                ; no deadline: the full-range count C loaded
	rdtsc
	shl rdx, 32
	or rax, rdx
	sub rcx, rax                    ; TSC cycles left
	jbe .to_c
	mov rax, rcx
	mov rcx, [rdi + G_TIMER_SHIFT]
	shr rax, cl
	jz .to_c
	mov edx, 0xFFFFFFFF
	cmp rax, rdx
	cmova rax, rdx
	mov rdx, VMCS_PREEMPTION_TIMER_VALUE
	vmwrite rdx, rax
.timer_loaded:
	mov rdx, VMCS_EXIT_INSTRUCTION_LEN
	vmread rcx, rdx
	mov rdx, VMCS_GUEST_RIP
	vmread rax, rdx
	add rax, rcx
	vmwrite rdx, rax
	mov qword [rdi + G_RAX], 0
	inc qword [rdi + G_NULL_FAST_PATH]
	LOAD_GUEST_GPRS
	vmresume
	jmp entry_failed                ; RSP is as vmx_enter left it: return the failure to C

.to_c:
	xor eax, eax
	jmp vmx_enter.return

section .note.GNU-stack noalloc noexec nowrite progbits
