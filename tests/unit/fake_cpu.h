/* SPDX-License-Identifier: MIT */
/*
 * A fake CPU for host tests of the VMX glue (vmx/, apicv/delivery.c, apicv/apic_exits.c): the
 * instruction wrappers of boot/x86.h and the VMREAD/VMWRITE of vmx/vmcs.h become functions over
 * the state below when built with APICVISOR_HOSTED, so exit handlers run unchanged on the host.
 *
 * VM entry is scripted: vmx_enter() records what the CPU would have been entered with (XCR0,
 * the null-fast-path flag, the event queued for injection) and then "exits" with the next step
 * of fake.script, whose fill function writes the exit fields into the fake VMCS.
 */
#ifndef APICVISOR_TESTS_UNIT_FAKE_CPU_H
#define APICVISOR_TESTS_UNIT_FAKE_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx/vcpu.h"
#include "vmx/vmx_caps.h"
#include "vmx_caps_fixtures.h"

#define FAKE_VMCS_FIELDS 0x7000    /* encodings are below this (SDM Vol. 3D Appendix B) */
#define FAKE_MSRS 64
#define FAKE_CPUID_LEAVES 32
#define FAKE_ENTRIES 64
#define FAKE_LOG 4096

/* One scripted VM exit: fill() writes its fields (exit reason, qualification, ...). */
struct fake_exit {
	void (*fill)(struct vcpu *v, const void *arg);
	const void *arg;
};

/* What the CPU was entered with, per vmx_enter call. */
struct fake_entry {
	uint64_t xcr0;
	uint64_t null_fast_path_allowed;
	uint64_t preemption_timer;    /* the VMX-preemption timer value it was loaded with */
	uint32_t entry_intr_info;
	uint32_t activity_state;
	uint64_t interruptibility;
};

struct fake_cpu {
	uint64_t vmcs[FAKE_VMCS_FIELDS];
	bool vmcs_written[FAKE_VMCS_FIELDS];
	struct {
		uint32_t index;
		uint64_t value;
	} msrs[FAKE_MSRS];
	unsigned msr_count;
	struct {
		uint32_t leaf, subleaf;
		uint32_t r[4];
	} cpuid[FAKE_CPUID_LEAVES];
	unsigned cpuid_count;
	uint64_t tsc;                 /* rdtsc() returns it and adds tsc_step */
	uint64_t tsc_step;
	uint64_t cr0, cr2, cr3, cr4, xcr0;
	unsigned xsetbv_count;
	unsigned invvpid_count;
	uint64_t invvpid_last_type;
	uint16_t invvpid_last_vpid;
	unsigned invept_count;
	/* VM entries: the script of exits and what each entry saw. */
	const struct fake_exit *script;
	unsigned script_length, script_next;
	struct fake_entry entries[FAKE_ENTRIES];
	unsigned entry_count;
	/* Console output (kprintf), NUL-terminated. */
	char log[FAKE_LOG];
	size_t log_length;
	bool powered_off;
};

extern struct fake_cpu fake;

/* Clears everything, then gives the fake CPU a Bochs-'tigerlake'-like CPUID (XSAVE with x87,
 * SSE, AVX; no MPX), CR4.OSXSAVE set as vmx_cpu_on leaves it and XCR0 = x87 | SSE. */
void fake_cpu_reset(void);
void fake_cpuid_set(uint32_t leaf, uint32_t subleaf, uint32_t eax, uint32_t ebx, uint32_t ecx,
		    uint32_t edx);
void fake_msr_set(uint32_t index, uint64_t value);


/* A vCPU with a VMCS built by vmcs_setup() over fake_caps (guest RAM of ram_bytes, zeroed)
 * and the delivery and platform models initialised as boot/main.c does. */
struct vcpu *fake_vcpu_create(const struct vmx_caps *caps, enum apicvisor_mode mode,
			      uint64_t ram_bytes);
void fake_vcpu_destroy(struct vcpu *v);

/* The EPT leaf entry for `gpa` in the vCPU's EPT, 0 when a level is absent (the tables'
 * addresses are host pointers here). */
uint64_t fake_ept_entry(const struct vcpu *v, uint64_t gpa);

#endif
