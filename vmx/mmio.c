/* SPDX-License-Identifier: MIT */
/*
 * Emulation of one guest instruction that accessed an emulated MMIO page (the local APIC page in
 * emulate mode, the APIC-access page, the IOAPIC): fetched through the guest's page tables
 * (guest_walk.c), decoded (x86_decode.c), carried out on the device, RIP advanced by the decoded
 * length. The exit handlers decode, the device models emulate (style rule 2).
 */
#include "mmio.h"

#include "../boot/x86.h"
#include "vmx.h"
#include "guest_walk.h"
#include "vmcs.h"
#include "x86_decode.h"

static bool read_guest_physical(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	const struct vcpu *v = ctx;

	if (gpa >= v->guest->ram_bytes || len > v->guest->ram_bytes - gpa)
		return false;
	memcpy(buf, v->guest->ram + gpa, len);
	return true;
}

/* The decoder's view of the guest's execution mode (SDM Vol. 3A §3.4.5 code-segment L and D). */
static enum x86_cpu_mode guest_cpu_mode(void)
{
	uint64_t cs_ar = vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS);

	if (!(vcpu_guest_cr0() & CR0_PE))
		return X86_MODE_REAL16;
	if (vcpu_in_64bit_mode())
		return X86_MODE_LONG64;
	return (cs_ar & SEGMENT_AR_DB) ? X86_MODE_PROT32 : X86_MODE_PROT16;
}

/* The register operand's value (a write's source), or the immediate. */
static uint64_t write_source(struct vcpu *v, const struct x86_mmio_insn *insn)
{
	return insn->operand == X86_MMIO_OPERAND_REGISTER ? vcpu_read_gpr(v, insn->gpr) : 0;
}

/* STOS: rDI moves by the element size, down when RFLAGS.DF is set (SDM Vol. 2B "STOS"). */
static void advance_string_destination(struct vcpu *v, const struct x86_mmio_insn *insn)
{
	uint64_t rdi = vcpu_read_gpr(v, 7);
	uint64_t step = insn->access_size;
	uint64_t mask = insn->address_size == 8 ? ~0ull : (1ull << (8 * insn->address_size)) - 1;

	rdi = vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_DF ? rdi - step : rdi + step;
	vcpu_write_gpr(v, 7, (vcpu_read_gpr(v, 7) & ~mask) | (rdi & mask));
}

#define MMIO_PAGE_SIZE 4096u

/* A device access of insn->access_size bytes (1, 2, 4 or 8: see struct mmio_device). */
static uint64_t device_read(const struct mmio_device *dev, uint32_t offset, unsigned size)
{
	uint64_t low, high;

	if (size < 8)
		return dev->read(dev->ctx, offset, size);
	if (dev->read64)
		return dev->read64(dev->ctx, offset);
	low = dev->read(dev->ctx, offset, 4); /* the low dword first, as for a write */
	/* A high dword past the device's page reads as unbacked memory does: all ones. */
	high = offset + 4 < MMIO_PAGE_SIZE ? dev->read(dev->ctx, offset + 4, 4) : 0xFFFFFFFFu;
	return low | high << 32;
}

static void device_write(const struct mmio_device *dev, uint32_t offset, unsigned size,
			 uint64_t value)
{
	if (size < 8) {
		dev->write(dev->ctx, offset, size, (uint32_t)value);
		return;
	}
	if (dev->write64) {
		dev->write64(dev->ctx, offset, value);
		return;
	}
	dev->write(dev->ctx, offset, 4, (uint32_t)value);
	if (offset + 4 < MMIO_PAGE_SIZE) /* else dropped, as a write to unbacked memory */
		dev->write(dev->ctx, offset + 4, 4, (uint32_t)(value >> 32));
}

enum exit_action mmio_emulate(struct vcpu *v, const struct mmio_device *dev, uint32_t offset,
			      bool write)
{
	struct guest_paging paging = {
		.cr0 = vcpu_guest_cr0(),
		.cr3 = vmcs_read(VMCS_GUEST_CR3),
		.cr4 = vcpu_guest_cr4(),
		.efer = v->efer,
		.read_gpa = read_guest_physical,
		.ctx = v,
	};
	enum x86_cpu_mode mode = guest_cpu_mode();
	uint64_t rip = vmcs_read(VMCS_GUEST_RIP);
	uint64_t linear = rip + (mode == X86_MODE_LONG64 ? 0 : vmcs_read(VMCS_GUEST_CS_BASE));
	struct guest_walk_fault fault;
	struct x86_mmio_insn insn;
	uint8_t bytes[15];
	size_t got = 0;
	char why[128];

	if (guest_fetch_instruction(&paging, linear, bytes, sizeof(bytes), &got, &fault)) {
		/* The CPU fetched the instruction, the walk now cannot: the guest changed its page
		 * tables under a stale TLB entry. The fetch faults as the instruction's own would
		 * (SDM Vol. 3A §5.7 "Page-Fault Exceptions"), as KVM's emulator does. */
		if (fault.reason == GUEST_WALK_NOT_PRESENT || fault.reason == GUEST_WALK_RESERVED_BIT ||
		    fault.reason == GUEST_WALK_NO_EXECUTE) {
			v->gprs.cr2 = fault.linear;
			vcpu_inject_exception(VECTOR_PF, true, fault.page_fault_error_code);
			return EXIT_ACTION_RESUME;
		}
		if (fault.reason == GUEST_WALK_NON_CANONICAL) {
			vcpu_inject_exception(VECTOR_GP, true, 0);
			return EXIT_ACTION_RESUME;
		}
		guest_walk_describe_fault(&fault, why, sizeof(why));
		return vcpu_stop(v, GUEST_END_UNHANDLED,
				 "%s access at RIP %#llx: cannot fetch the instruction: %s",
				 dev->name, (unsigned long long)rip, why);
	}
	if (x86_decode_mmio(bytes, got, mode, &insn, why, sizeof(why)))
		return vcpu_stop(v, GUEST_END_UNHANDLED, "%s access at RIP %#llx, offset %#x: %s",
				 dev->name, (unsigned long long)rip, offset, why);
	if (!(insn.kind == X86_MMIO_KIND_MOVE || insn.kind == X86_MMIO_KIND_STOS ||
	      (insn.kind == X86_MMIO_KIND_ALU_TO_MEMORY &&
	       insn.direction == X86_MMIO_READ_MODIFY_WRITE)))
		return vcpu_stop(v, GUEST_END_UNHANDLED, "%s access at RIP %#llx, offset %#x: "
				 "opcode %02x %02x decodes but is not carried out on this page",
				 dev->name, (unsigned long long)rip, offset, insn.opcode[0],
				 insn.opcode[1]);
	if (insn.rep || (insn.direction == X86_MMIO_READ && write) ||
	    (insn.direction == X86_MMIO_WRITE && !write))
		return vcpu_stop(v, GUEST_END_UNHANDLED, "%s access at RIP %#llx, offset %#x: %s "
				 "is not emulated on this page",
				 dev->name, (unsigned long long)rip, offset,
				 insn.rep ? "REP STOS" : "an access of the other direction");

	switch (insn.direction) {
	case X86_MMIO_READ: {
		uint64_t value = device_read(dev, offset, insn.access_size);

		vcpu_write_gpr(v, insn.gpr,
			       x86_mmio_merge_read(&insn, vcpu_read_gpr(v, insn.gpr), value));
		break;
	}
	case X86_MMIO_WRITE:
		device_write(dev, offset, insn.access_size,
			     x86_mmio_write_value(&insn, write_source(v, &insn)));
		if (insn.string)
			advance_string_destination(v, &insn);
		break;
	case X86_MMIO_READ_MODIFY_WRITE: {
		/* e.g. `orl $0x100, SVR`: read, operate, write back, RFLAGS as the ALU sets it. */
		uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
		uint64_t source = x86_mmio_write_value(&insn, write_source(v, &insn));
		uint64_t result = x86_mmio_alu_apply(&insn, device_read(dev, offset,
									insn.access_size),
						     source, &rflags);

		device_write(dev, offset, insn.access_size, result);
		vmcs_write(VMCS_GUEST_RFLAGS, rflags);
		break;
	}
	case X86_MMIO_COPY:
		break;
	}
	vcpu_advance_rip(insn.length);
	return EXIT_ACTION_RESUME;
}
