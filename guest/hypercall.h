/* SPDX-License-Identifier: MIT */
/*
 * The guest's side of the apicvisor hypercall ABI (include/apicvisor/hypercall.h).
 */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "apicvisor/hypercall.h"

/* True when running under apicvisor: only then may the guest execute VMCALL (elsewhere it
 * raises #UD, or means something else to another hypervisor). */
bool hypercall_detect(void);

/*
 * VMCALL with RAX = function and RBX, RCX, RDX = arguments; returns RAX (0 or a negative
 * APICVISOR_HC_E* value). The ABI preserves every other register. "memory": the hypervisor
 * reads strings the guest passes by address. Inline so that timing loops measure the VMCALL,
 * not a call around it.
 */
static inline int64_t hypercall(uint64_t function, uint64_t arg1, uint64_t arg2, uint64_t arg3)
{
	uint64_t result;

	__asm__ volatile("vmcall"
			 : "=a"(result)
			 : "a"(function), "b"(arg1), "c"(arg2), "d"(arg3)
			 : "memory");
	return (int64_t)result;
}

#endif
