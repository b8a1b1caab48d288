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

/* Where the other memory operand of MOVS, LODS or PUSH/POP r/m lands, by guest-physical
 * address: the platform's bus (platform/platform.c), which knows the devices and the RAM. */
enum mmio_bus_result {
	MMIO_BUS_RAM,           /* guest RAM: the emulator reads or writes it itself */
	MMIO_BUS_DONE,          /* a device, or the empty bus, took the access */
	MMIO_BUS_NOTHING,       /* nothing there and strict=on: the guest is stopped */
	MMIO_BUS_UNREACHABLE,   /* the local APIC page: not emulated as such an operand */
};
typedef enum mmio_bus_result (*mmio_bus_access)(struct vcpu *v, uint64_t gpa, unsigned size,
						 bool write, uint64_t *value);
/* Sets the bus (once, before the guest runs); without one, such an operand stops the guest. */
void mmio_set_bus(mmio_bus_access access);

/*
 * Emulates the instruction at guest RIP that made a `write` (or read) access at `offset` from the
 * device's start (docs/design.md, "The MMIO decoder"). The operand the exit names is reached
 * through `dev`; the other memory operand of MOVS, LODS's source, and the stack of PUSH/POP r/m
 * go through the guest's paging to RAM or, where there is no RAM, to the device the bus finds
 * (mmio_set_bus: another device, the same one, or the empty bus). A REP string
 * instruction is carried out for as many elements as stay within the device's 4 KiB page and
 * within one 4 KiB page of the other operand; RIP stays on it while rCX is not 0, so that the
 * next page is the next exit and interrupts can be taken in between, as between iterations on
 * the processor. A #PF or #GP the other operand raises is injected. Returns EXIT_ACTION_STOP,
 * with the reason, for an instruction the decoder refuses, one that cannot be fetched, one whose
 * decoded access disagrees with the exit's direction, or another operand on the local APIC page.
 */
enum exit_action mmio_emulate(struct vcpu *v, const struct mmio_device *dev, uint32_t offset,
			      bool write);

/* One access of `size` (1, 2, 4, 8) bytes to a device as mmio_emulate makes it (see struct
 * mmio_device for 8-byte accesses to 32-bit devices). */
uint64_t mmio_device_read(const struct mmio_device *dev, uint32_t offset, unsigned size);
void mmio_device_write(const struct mmio_device *dev, uint32_t offset, unsigned size,
		       uint64_t value);

#endif
