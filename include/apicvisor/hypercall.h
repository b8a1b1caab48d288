/* SPDX-License-Identifier: MIT */
/*
 * The apicvisor hypercall ABI, shared by the hypervisor (vmx/) and the test guest (guest/).
 *
 * A guest calls the hypervisor with VMCALL:
 *   RAX = function number (APICVISOR_HC_*), RBX, RCX, RDX = arguments.
 *   On return RAX = 0 on success or a negative APICVISOR_HC_E* value; every other register is
 *   preserved. Pointers are guest-physical addresses of NUL-terminated ASCII strings of at most
 *   APICVISOR_HC_STRING_MAX bytes (the test guest runs identity-mapped, so its virtual
 *   addresses are guest-physical ones).
 *
 * Function numbers carry a signature in bits 31:16 so that a stray VMCALL from a guest that
 * does not know this ABI gets APICVISOR_HC_ENOSYS rather than a random effect.
 */
#ifndef APICVISOR_HYPERCALL_H
#define APICVISOR_HYPERCALL_H

#define APICVISOR_HC_SIGNATURE 0x41500000u /* "AP" */

/* The null hypercall: turned around by the VM-exit stub itself with the least possible work
 * (advance RIP, VMRESUME); used to measure the bare VM exit / VM entry round trip. */
#define APICVISOR_HC_NULL (APICVISOR_HC_SIGNATURE | 0x00)
/* A hypercall that goes through the full exit path (C dispatch, statistics, handler) and does
 * nothing: what an ordinary cheap exit costs. */
#define APICVISOR_HC_PING (APICVISOR_HC_SIGNATURE | 0x01)
/* RBX = name: a scenario begins; the hypervisor snapshots its exit counters. */
#define APICVISOR_HC_SCENARIO_BEGIN (APICVISOR_HC_SIGNATURE | 0x02)
/* RBX = 0 if the scenario passed, else a nonzero failure code: the current scenario ends. */
#define APICVISOR_HC_SCENARIO_END (APICVISOR_HC_SIGNATURE | 0x03)
/* RBX = key, RCX = unsigned 64-bit value: a named figure for the current scenario. */
#define APICVISOR_HC_REPORT (APICVISOR_HC_SIGNATURE | 0x04)

/* RBX = APICVISOR_MODE_*: switch interrupt delivery to that mode from the next VM entry on.
 * Returns the mode in effect afterwards (the requested one, or lower when the CPU lacks a
 * feature it needs), or a negative error. The virtual LAPIC's state carries over unchanged. */
#define APICVISOR_HC_SET_MODE (APICVISOR_HC_SIGNATURE | 0x05)
/* Returns the current delivery mode (APICVISOR_MODE_*). */
#define APICVISOR_HC_GET_MODE (APICVISOR_HC_SIGNATURE | 0x06)
/* Returns what the platform offers beyond the modes, APICVISOR_PLATFORM_* bits. */
#define APICVISOR_HC_GET_PLATFORM (APICVISOR_HC_SIGNATURE | 0x07)
/* housekeeping=cpu0: a CPU outside the guest keeps the vLAPIC timers and the device timers and
 * delivers their interrupts by posting (docs/design.md, "SMP"). */
#define APICVISOR_PLATFORM_HOUSEKEEPING (1u << 0)

/* Interrupt delivery modes, lowest to highest hardware assistance. */
#define APICVISOR_MODE_EMULATE 0    /* no APIC virtualization: every APIC access exits */
#define APICVISOR_MODE_TPR_SHADOW 1 /* TPR shadow + virtualized APIC accesses */
#define APICVISOR_MODE_APICV 2      /* + APIC-register virtualization, virtual-interrupt delivery */
#define APICVISOR_MODE_POSTED 3     /* + posted-interrupt processing */

/* Error returns (in RAX, as a 64-bit two's complement value). */
#define APICVISOR_HC_ENOSYS (-38)  /* unknown function number */
#define APICVISOR_HC_EINVAL (-22)  /* bad argument (string unmapped or too long, no scenario) */
#define APICVISOR_HC_EPERM (-1)    /* called from CPL > 0 */

#define APICVISOR_HC_STRING_MAX 64

/*
 * Hypervisor detection: CPUID.1:ECX[31] ("hypervisor present") is 1 under apicvisor, and leaf
 * 0x40000000 returns EAX = highest hypervisor leaf (0x40000000), EBX:ECX:EDX = "apicvisor\0\0\0"
 * (12 bytes, little-endian per register). A guest that does not find it must not VMCALL.
 */
#define APICVISOR_CPUID_LEAF 0x40000000u
#define APICVISOR_CPUID_EBX 0x63697061u /* "apic" */
#define APICVISOR_CPUID_ECX 0x6f736976u /* "viso" */
#define APICVISOR_CPUID_EDX 0x00000072u /* "r\0\0\0" */

#endif
