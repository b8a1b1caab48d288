/* SPDX-License-Identifier: MIT */
/* Emulating the guest instruction behind an MMIO exit (vmx/mmio.c). */
#ifndef APICVISOR_MMIO_H
#define APICVISOR_MMIO_H

#include "vmx.h"

/* An emulated MMIO page: 32-bit-at-most accesses at an offset within it. */
struct mmio_device {
	const char *name;             /* for messages: "APIC", "IOAPIC" */
	uint32_t (*read)(void *ctx, uint32_t offset, unsigned size);
	void (*write)(void *ctx, uint32_t offset, unsigned size, uint32_t value);
	void *ctx;
};

/*
 * Emulates the instruction at guest RIP that made a `write` (or read) access at `offset` in the
 * device's page. Returns EXIT_ACTION_STOP, with the reason, for an instruction the decoder does
 * not know, one that cannot be fetched, or a REP string access.
 */
enum exit_action mmio_emulate(struct vcpu *v, const struct mmio_device *dev, uint32_t offset,
			      bool write);

#endif
