/* SPDX-License-Identifier: MIT */
/* Emulating the guest instruction behind an MMIO exit (vmx/mmio.c). */
#ifndef APICVISOR_MMIO_H
#define APICVISOR_MMIO_H

#include "vmx.h"

/* An emulated MMIO page: its callbacks see accesses of at most 4 bytes at an offset within it.
 * An 8-byte access (MOV r64, SSE-free 64-bit forms) reaches a device of 32-bit registers as two
 * 4-byte accesses, the low dword at the offset first, the high one at offset + 4, as a bus bridge
 * splits a quadword access to a 32-bit device; the guest's register gets all 64 bits. A device
 * with 64-bit registers (the HPET) gives read64/write64 and gets such an access whole. */
struct mmio_device {
	const char *name;             /* for messages: "APIC", "IOAPIC" */
	uint32_t (*read)(void *ctx, uint32_t offset, unsigned size);
	void (*write)(void *ctx, uint32_t offset, unsigned size, uint32_t value);
	void *ctx;
	uint64_t (*read64)(void *ctx, uint32_t offset);          /* NULL: split */
	void (*write64)(void *ctx, uint32_t offset, uint64_t value);
};

/*
 * Emulates the instruction at guest RIP that made a `write` (or read) access at `offset` in the
 * device's page. Returns EXIT_ACTION_STOP, with the reason, for an instruction the decoder does
 * not know, one that cannot be fetched, or a REP string access.
 */
enum exit_action mmio_emulate(struct vcpu *v, const struct mmio_device *dev, uint32_t offset,
			      bool write);

#endif
