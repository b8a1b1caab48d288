/* SPDX-License-Identifier: MIT */
/* Helpers shared by the exit handlers (vmx/exit.c) and the platform (vmx/platform.c). */
#ifndef APICVISOR_EXIT_H
#define APICVISOR_EXIT_H

#include "vmx.h"

/* Architectural exception vectors the hypervisor injects. */
#define VECTOR_DB 1
#define VECTOR_UD 6
#define VECTOR_GP 13

/* Queues a hardware exception for the next VM entry (SDM Vol. 3C §27.6 "Event Injection"). */
void vcpu_inject_exception(unsigned vector, bool has_error_code, uint32_t error_code);
/* Completes an emulated instruction: RIP += exit instruction length, STI/MOV-SS blocking
 * cleared, a pending single-step trap raised when RFLAGS.TF was set. */
void vcpu_skip_instruction(void);
/* The same for an instruction of `length` bytes decoded by the hypervisor (the exit's
 * instruction-length field is not defined for EPT violations). */
void vcpu_advance_rip(uint64_t length);

/* Puts the guest in the HLT activity state until a timer can wake it, or stops it when nothing
 * can (no timer armed) or nothing would (no VMX-preemption timer). */
enum exit_action vcpu_halt(struct vcpu *v);

/* CR0 and CR4 as the guest sees them (read shadow for the bits the hypervisor owns). */
uint64_t vcpu_guest_cr0(void);
uint64_t vcpu_guest_cr4(void);

/* General-purpose register by the SDM's encoding (0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, 5 RBP,
 * 6 RSI, 7 RDI, 8-15 R8-R15), as used in exit qualifications. */
uint64_t vcpu_read_gpr(struct vcpu *v, unsigned index);
void vcpu_write_gpr(struct vcpu *v, unsigned index, uint64_t value);

/* Platform (vmx/platform.c): CPUID, MSRs and ports as the guest's machine has them. */
void platform_init(struct vcpu *v);
void platform_cpuid(struct vcpu *v);
/* XCR0 components the guest may enable (CPUID.(EAX=0DH,ECX=0) as the guest sees it). */
uint64_t platform_guest_xcr0_supported(const struct vcpu *v);
/* The physical-address width the guest is told (CPUID.80000008H:EAX[7:0]) and every part of
 * the hypervisor uses for the guest. */
unsigned platform_maxphyaddr(void);
enum exit_action platform_rdmsr(struct vcpu *v);
enum exit_action platform_wrmsr(struct vcpu *v);
enum exit_action platform_io(struct vcpu *v, uint64_t qualification);
/* Flushes a partial guest console line at the end of the run. */
void platform_flush_console(struct vcpu *v);

#endif
