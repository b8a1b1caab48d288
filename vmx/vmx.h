/* SPDX-License-Identifier: MIT */
/* VMX operation on one physical CPU: probe, VMXON, building a VMCS, running a vCPU. */
#ifndef APICVISOR_VMX_H
#define APICVISOR_VMX_H

#include "../boot/config.h"
#include "vcpu.h"
#include "vmx_caps.h"

/* Reads every capability MSR the CPU has (only after CPUID says VMX exists: reading an absent
 * VMX MSR faults). */
void vmx_probe(struct vmx_caps *caps);

/* The hypervisor's choices for this run, fixed before the first VMLAUNCH. */
struct vmx_config {
	enum apicvisor_mode mode;
	uint64_t tsc_hz;
	uint32_t timeout_s;
	enum config_fault fault;      /* fault=: a failure forced on purpose (tests only) */
	bool strict;                  /* strict=on: unbacked memory stops the guest */
	/* Pages allocated before ExitBootServices, physical == virtual. */
	void *io_bitmaps;             /* two pages: ports 0-0x7FFF, 0x8000-0xFFFF */
};

/* Turns VMX on for this CPU (IA32_FEATURE_CONTROL, CR0/CR4 fixed bits, VMXON with this CPU's
 * own 4 KiB region). Returns NULL or the reason it failed. */
const char *vmx_cpu_on(const struct vmx_caps *caps, void *vmxon_region);
void vmx_cpu_off(void);
/* CPUID.1:ECX.XSAVE: the CPU has XCR0 (root mode then runs with CR4.OSXSAVE set). */
bool cpu_has_xsave(void);

/* Clears the vCPU's VMCS region and makes it current. Returns NULL or what failed. */
const char *vmx_load_vmcs(struct vcpu *v, const struct vmx_caps *caps);

/* Builds the vCPU's VMCS for a multiboot guest on physical CPU `cpu`. Returns NULL or the
 * required control the CPU lacks. */
struct percpu;
const char *vmcs_setup(struct vcpu *v, const struct percpu *cpu, const struct vmx_caps *caps,
		       const struct vmx_config *cfg);

/* The current VMCS's guest state and the vCPU's own copies after INIT (SDM Vol. 3A Table 10-1):
 * real mode at F000:FFF0, waiting for a start-up IPI. The vLAPIC's INIT is the caller's. */
void vmcs_guest_init_state(struct vcpu *v);
/* A start-up IPI with `vector` to a vCPU waiting after INIT: CS = vector << 8, IP = 0. */
void vmcs_guest_startup(uint8_t vector);

/* Writes a VM-execution, exit or entry control word after checking it against the capability
 * MSR (vmx_controls_fit); a word the CPU does not allow is a hypervisor bug and stops. */
void vmx_write_controls(enum vmx_control_kind kind, uint32_t value);

/* Whether RDMSR/WRMSR of `msr` exits, in the 4 KiB MSR bitmap (SDM Vol. 3C §25.6.9). */
void vmx_msr_intercept(uint8_t *bitmap, uint32_t msr, bool read, bool write);

/* Invalidates the vCPU's cached guest translations (INVVPID), as an emulated instruction that
 * changes paging (MOV to CR0/CR4) must. */
void vcpu_flush_guest_tlb(const struct vcpu *v);
/* Invalidates the EPT-derived translations of `eptp` after the hypervisor changed EPT. */
void vmx_invept(uint64_t eptp);

/* The earlier of two TSC deadlines, where 0 means "none". */
static inline uint64_t tsc_earlier(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* The capabilities and configuration vmcs_setup used: the same for every CPU (the APs' features
 * are checked against the BSP's). The control words themselves live in each vCPU's VMCS. */
extern const struct vmx_caps *vmx_active_caps;
extern const struct vmx_config *vmx_active_config;

#endif
