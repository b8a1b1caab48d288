/* SPDX-License-Identifier: MIT */
/*
 * The machine the guest sees (platform/): CPUID and MSRs (platform.c), the I/O ports and MMIO
 * ranges of its devices and how they are wired to the vLAPIC (platform_irq.c). A floor above the
 * delivery modes and below the exit handlers (docs/design.md, "Layers"): vmx/exit.c decodes an
 * exit and calls one entry point here.
 */
#ifndef APICVISOR_PLATFORM_H
#define APICVISOR_PLATFORM_H

#include "../vmx/mmio.h"
#include "../vmx/vcpu.h"

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
/* A read or write at guest-physical `gpa` that nothing backs (strict=off): the instruction is
 * emulated against the empty bus, which reads all ones and drops writes (a PC's master abort),
 * and the access is counted per page. */
enum exit_action platform_unbacked_access(struct vcpu *v, uint64_t gpa, bool write);
const struct unbacked_stats *platform_unbacked_stats(void);
/* The MMIO emulator's bus (vmx/mmio.h, set by platform_init): one access of `size` (1, 2, 4, 8)
 * bytes at guest-physical `gpa` for the other memory operand of a string or stack instruction:
 * the local APIC page is unreachable, RAM is the emulator's, else the device there, else the
 * empty bus (all ones, writes dropped, counted as unbacked) or, with strict=on, nothing. */
enum mmio_bus_result platform_mmio_access(struct vcpu *v, uint64_t gpa, unsigned size,
					  bool write, uint64_t *value);
/* Flushes a partial guest console line at the end of the run. */
void platform_flush_console(struct vcpu *v);

#endif
