/* SPDX-License-Identifier: MIT */
#include "hypercall.h"

#include "cpu.h"

bool hypercall_detect(void)
{
	if (!(cpu_cpuid(CPUID_LEAF_FEATURES).ecx & CPUID_FEATURES_ECX_HYPERVISOR))
		return false;

	struct cpu_cpuid_result r = cpu_cpuid(APICVISOR_CPUID_LEAF);

	/* EAX is the highest hypervisor leaf, so it must at least cover this one. */
	return r.eax >= APICVISOR_CPUID_LEAF && r.ebx == APICVISOR_CPUID_EBX &&
	       r.ecx == APICVISOR_CPUID_ECX && r.edx == APICVISOR_CPUID_EDX;
}
