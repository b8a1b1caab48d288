/* SPDX-License-Identifier: MIT */
/*
 * Emulation of one guest instruction that accessed an emulated MMIO page (the local APIC page in
 * emulate mode, the APIC-access page, the IOAPIC, the HPET, the test device's iomem window, the
 * empty bus): fetched through the guest's page tables (guest_walk.c), decoded (x86_decode.c),
 * carried out on the device, RIP advanced by the decoded length. The exit handlers decode, the
 * device models emulate (style rule 2). The table of what is emulated and how is in
 * docs/design.md ("The MMIO decoder").
 */
#include "mmio.h"

#include "../boot/x86.h"
#include "vmx.h"
#include "guest_walk.h"
#include "vmcs.h"
#include "x86_decode.h"

/* The platform's bus for the other memory operand (mmio_set_bus). */
static mmio_bus_access bus;

void mmio_set_bus(mmio_bus_access access)
{
	bus = access;
}

#define MMIO_PAGE_SIZE 4096u
#define VECTOR_SS 12

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

static uint64_t width_mask(unsigned bytes)
{
	return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

/* ---- the device side -------------------------------------------------------------------------- */

uint64_t mmio_device_read(const struct mmio_device *dev, uint32_t offset, unsigned size)
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

void mmio_device_write(const struct mmio_device *dev, uint32_t offset, unsigned size,
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

/* ---- the other memory operand ----------------------------------------------------------------- */

/* What one instruction needs to reach its other memory operand. */
struct other_operand {
	struct vcpu *v;
	struct guest_paging paging;
	enum x86_cpu_mode mode;
	bool user;                   /* CPL 3 */
	const char *device_name;     /* the exit's device, for messages */
	uint64_t rip;
};

enum other_result {
	OTHER_DONE,
	OTHER_FAULTED,               /* an exception was injected: the instruction ends there */
	OTHER_STOPPED,               /* the guest was stopped (v->end says why) */
};

/* The base of segment `segment` (an x86_segment other than DEFAULT). In 64-bit mode only FS and
 * GS have one (SDM Vol. 3A §3.2.4 "Segmentation in IA-32e Mode"). Segment limits are not
 * checked: the guest's flat segments have none that matter. */
static uint64_t segment_base(enum x86_cpu_mode mode, enum x86_segment segment)
{
	static const uint32_t field[] = {
		[X86_SEGMENT_ES] = VMCS_GUEST_ES_BASE, [X86_SEGMENT_CS] = VMCS_GUEST_CS_BASE,
		[X86_SEGMENT_SS] = VMCS_GUEST_SS_BASE, [X86_SEGMENT_DS] = VMCS_GUEST_DS_BASE,
		[X86_SEGMENT_FS] = VMCS_GUEST_FS_BASE, [X86_SEGMENT_GS] = VMCS_GUEST_GS_BASE,
	};

	if (segment == X86_SEGMENT_DEFAULT)
		segment = X86_SEGMENT_DS;
	if (mode == X86_MODE_LONG64 && segment != X86_SEGMENT_FS && segment != X86_SEGMENT_GS)
		return 0;
	return vmcs_read((enum vmcs_field)field[segment]);
}

/* segment:offset as a linear address: 32 bits outside 64-bit mode. */
static uint64_t linear_address(const struct other_operand *o, enum x86_segment segment,
			       uint64_t offset)
{
	uint64_t linear = segment_base(o->mode, segment) + offset;

	return o->mode == X86_MODE_LONG64 ? linear : linear & 0xFFFFFFFFu;
}

/* A piece of the access within one 4 KiB page: RAM, or whatever the platform has there. */
static enum other_result access_piece(const struct other_operand *o, uint64_t linear,
				      unsigned size, bool write, bool stack, uint64_t *value)
{
	struct vcpu *v = o->v;
	struct guest_walk_fault fault;
	uint64_t gpa;

	if (guest_walk_data(&o->paging, linear, write, o->user, &gpa, &fault)) {
		if (fault.reason == GUEST_WALK_NON_CANONICAL) {
			/* #SS for a stack reference, #GP otherwise (SDM Vol. 3A §6.15 "#SS"). */
			vcpu_inject_exception(stack ? VECTOR_SS : VECTOR_GP, true, 0);
			return OTHER_FAULTED;
		}
		if (fault.reason == GUEST_WALK_NOT_PRESENT || fault.reason == GUEST_WALK_RESERVED_BIT ||
		    fault.reason == GUEST_WALK_PROTECTION) {
			v->gprs.cr2 = fault.linear;
			vcpu_inject_exception(VECTOR_PF, true, fault.page_fault_error_code);
			return OTHER_FAULTED;
		}
		{
			char why[128];

			guest_walk_describe_fault(&fault, why, sizeof(why));
			vcpu_stop(v, GUEST_END_UNHANDLED, "%s access at RIP %#llx: the other memory "
				  "operand cannot be translated: %s", o->device_name,
				  (unsigned long long)o->rip, why);
			return OTHER_STOPPED;
		}
	}
	switch (bus ? bus(v, gpa, size, write, value) : MMIO_BUS_NOTHING) {
	case MMIO_BUS_RAM: {
		uint8_t *at = v->guest->ram + gpa;

		if (write) {
			for (unsigned i = 0; i < size; i++)
				at[i] = (uint8_t)(*value >> (8 * i));
		} else {
			*value = 0;
			for (unsigned i = 0; i < size; i++)
				*value |= (uint64_t)at[i] << (8 * i);
		}
		return OTHER_DONE;
	}
	case MMIO_BUS_DONE:
		return OTHER_DONE;
	case MMIO_BUS_UNREACHABLE:
		vcpu_stop(v, GUEST_END_UNHANDLED, "%s access at RIP %#llx: the other memory operand "
			  "(guest-physical %#llx) is on the local APIC page, which string and stack "
			  "instructions do not reach", o->device_name, (unsigned long long)o->rip,
			  (unsigned long long)gpa);
		return OTHER_STOPPED;
	case MMIO_BUS_NOTHING:
	default:
		vcpu_stop(v, GUEST_END_UNHANDLED, "%s access at RIP %#llx: the other memory operand "
			  "at guest-physical %#llx: no RAM and no emulated device there (strict=on)",
			  o->device_name, (unsigned long long)o->rip, (unsigned long long)gpa);
		return OTHER_STOPPED;
	}
}

/* `size` bytes at a linear address: one piece, or byte by byte where it straddles two pages
 * (each byte's page translated and checked on its own, as the processor does). */
static enum other_result access_other(const struct other_operand *o, uint64_t linear,
				      unsigned size, bool write, bool stack, uint64_t *value)
{
	uint64_t result = 0;

	if ((linear & (MMIO_PAGE_SIZE - 1)) + size <= MMIO_PAGE_SIZE)
		return access_piece(o, linear, size, write, stack, value);
	for (unsigned i = 0; i < size; i++) {
		uint64_t byte = (*value >> (8 * i)) & 0xFF;
		enum other_result r = access_piece(o, linear + i, 1, write, stack, &byte);

		if (r != OTHER_DONE)
			return r;
		result |= (byte & 0xFF) << (8 * i);
	}
	if (!write)
		*value = result;
	return OTHER_DONE;
}

/* ---- strings ---------------------------------------------------------------------------------- */

/* Elements of `size` bytes, starting at page offset `at` and stepping down when `down`, that
 * begin within the same 4 KiB page (at least the first). */
static uint64_t elements_in_page(uint64_t at, unsigned size, bool down)
{
	uint64_t in_page = at & (MMIO_PAGE_SIZE - 1);
	uint64_t n = down ? in_page / size + 1 : (MMIO_PAGE_SIZE - in_page) / size;

	return n ? n : 1;
}

/*
 * MOVS, STOS, LODS, with or without REP (SDM Vol. 2B "MOVS/MOVSB/...", "STOS/...", "LODS/...",
 * "REP/REPE/..."): rSI/rDI move by the element size, down when RFLAGS.DF = 1, rCX counts the
 * elements, all three at the address size. One exit carries out the elements that stay in the
 * device's page and in the other operand's page; with rCX left non-zero RIP stays on the
 * instruction (the processor "may ... allow interrupts ... between iterations" and resumes it
 * with the registers updated), which makes a REP over n pages n exits. Returns true when the
 * instruction is complete (RIP to advance).
 */
static bool emulate_string(struct vcpu *v, const struct other_operand *o,
			   const struct x86_mmio_insn *insn, const struct mmio_device *dev,
			   uint32_t offset, bool exit_write, enum exit_action *action)
{
	uint64_t mask = width_mask(insn->address_size);
	unsigned size = insn->access_size;
	bool down = vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_DF;
	uint64_t step = down ? -(uint64_t)size : size;
	uint64_t rsi = vcpu_read_gpr(v, 6), rdi = vcpu_read_gpr(v, 7), rcx = vcpu_read_gpr(v, 1);
	uint64_t count = insn->rep ? rcx & mask : 1, done = 0, n;
	/* The operand the exit is about: MOVS's destination when the exit was a write, else its
	 * source; STOS's destination; LODS's source. The other one (MOVS only) is in memory. */
	bool device_is_destination = insn->kind == X86_MMIO_KIND_STOS ||
				     (insn->kind == X86_MMIO_KIND_MOVS && exit_write);
	enum x86_segment source_segment = insn->segment;

	*action = EXIT_ACTION_RESUME;
	if (count == 0)
		return true; /* REP with rCX = 0 touches no memory (no exit would have come) */
	n = elements_in_page(offset, size, down);
	if (insn->kind == X86_MMIO_KIND_MOVS) {
		uint64_t other = device_is_destination ? rsi : rdi;
		uint64_t other_linear = device_is_destination
						? linear_address(o, source_segment, other & mask)
						: linear_address(o, X86_SEGMENT_ES, other & mask);
		uint64_t m = elements_in_page(other_linear, size, down);

		n = m < n ? m : n;
	}
	n = count < n ? count : n;

	for (; done < n; done++) {
		uint32_t at = (uint32_t)(offset + done * step);
		uint64_t value = 0;

		switch (insn->kind) {
		case X86_MMIO_KIND_STOS:
			mmio_device_write(dev, at, size, x86_mmio_write_value(insn, v->gprs.rax));
			break;
		case X86_MMIO_KIND_LODS:
			value = mmio_device_read(dev, at, size);
			vcpu_write_gpr(v, 0, x86_mmio_merge_read(insn, vcpu_read_gpr(v, 0), value));
			break;
		default: { /* MOVS: source DS (or the override):[rSI], destination ES:[rDI] */
			uint64_t source = (rsi + done * step) & mask;
			uint64_t destination = (rdi + done * step) & mask;
			enum other_result r;

			if (device_is_destination) {
				r = access_other(o, linear_address(o, source_segment, source), size,
						 false, false, &value);
				if (r == OTHER_DONE)
					mmio_device_write(dev, at, size, value);
			} else {
				value = mmio_device_read(dev, at, size);
				r = access_other(o, linear_address(o, X86_SEGMENT_ES, destination),
						 size, true, false, &value);
			}
			if (r == OTHER_STOPPED)
				*action = EXIT_ACTION_STOP;
			if (r != OTHER_DONE)
				goto out;
			break;
		}
		}
	}
out:
	/* The registers of the elements completed (a fault leaves them at the faulting element,
	 * as the processor's own fault in the middle of a REP does). */
	if (insn->kind != X86_MMIO_KIND_STOS)
		vcpu_write_gpr(v, 6, (rsi & ~mask) | ((rsi + done * step) & mask));
	if (insn->kind != X86_MMIO_KIND_LODS)
		vcpu_write_gpr(v, 7, (rdi & ~mask) | ((rdi + done * step) & mask));
	if (insn->rep)
		vcpu_write_gpr(v, 1, (rcx & ~mask) | ((rcx - done) & mask));
	return done == count && *action == EXIT_ACTION_RESUME &&
	       !(vmcs_read(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID);
}

/* ---- PUSH r/m, POP r/m ------------------------------------------------------------------------ */

/* The effective address of a ModRM memory operand (SDM Vol. 2 §2.1.5, Tables 2-1 to 2-3) and its
 * segment: the override, else SS for a base of rSP or rBP, else DS (Vol. 1 §3.7.4 "Specifying
 * an Offset"; the 16-bit [BP+...] forms use SS too). `rsp` is the value rSP counts as. */
static uint64_t modrm_linear(const struct other_operand *o, const struct x86_mmio_insn *insn,
			     uint64_t rsp)
{
	const struct x86_memory_operand *m = &insn->memory;
	uint64_t mask = width_mask(insn->address_size), ea = m->displacement;
	enum x86_segment segment = insn->segment;

	if (m->form == X86_MEMORY_RIP_RELATIVE)
		return linear_address(o, segment, (o->rip + insn->length + ea) & mask);
	if (m->base != X86_NO_REGISTER)
		ea += m->base == 4 ? rsp : vcpu_read_gpr(o->v, (unsigned)m->base);
	if (m->index != X86_NO_REGISTER)
		ea += vcpu_read_gpr(o->v, (unsigned)m->index) * m->scale;
	if (segment == X86_SEGMENT_DEFAULT && (m->base == 4 || m->base == 5))
		segment = X86_SEGMENT_SS;
	return linear_address(o, segment, ea & mask);
}

/*
 * PUSH r/m (SDM Vol. 2B "PUSH": "If the source operand is a memory operand that uses rSP as its
 * base register, the address is computed before rSP is decremented") and POP r/m ("POP ...
 * computes the effective address of the operand after it increments" rSP). The stack's address
 * size is 64 bits in 64-bit mode, else SS.B's. The exit's access is the read (PUSH: the operand;
 * POP: the stack) or the write (PUSH: the stack; POP: the operand); the other side goes through
 * access_other. Returns the action; the instruction is complete unless an exception was injected.
 */
static bool emulate_stack(struct vcpu *v, const struct other_operand *o,
			  const struct x86_mmio_insn *insn, const struct mmio_device *dev,
			  uint32_t offset, bool exit_write, enum exit_action *action)
{
	unsigned size = insn->access_size;
	unsigned stack_size = o->mode == X86_MODE_LONG64 ? 8 :
			      (vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS) & SEGMENT_AR_DB) ? 4 : 2;
	uint64_t mask = width_mask(stack_size), rsp = vcpu_read_gpr(v, 4), new_rsp;
	uint64_t value = 0;
	enum other_result r;

	*action = EXIT_ACTION_RESUME;
	if (insn->kind == X86_MMIO_KIND_PUSH) {
		new_rsp = (rsp & ~mask) | ((rsp - size) & mask);
		if (exit_write) { /* the stack is the device; the operand is elsewhere */
			r = access_other(o, modrm_linear(o, insn, rsp), size, false, false, &value);
			if (r == OTHER_DONE)
				mmio_device_write(dev, offset, size, value);
		} else {
			value = mmio_device_read(dev, offset, size);
			r = access_other(o, linear_address(o, X86_SEGMENT_SS, new_rsp & mask), size,
					 true, true, &value);
		}
	} else {
		new_rsp = (rsp & ~mask) | ((rsp + size) & mask);
		if (exit_write) { /* the operand is the device; the stack is elsewhere */
			r = access_other(o, linear_address(o, X86_SEGMENT_SS, rsp & mask), size,
					 false, true, &value);
			if (r == OTHER_DONE)
				mmio_device_write(dev, offset, size, value);
		} else {
			value = mmio_device_read(dev, offset, size);
			r = access_other(o, modrm_linear(o, insn, new_rsp), size, true, false,
					 &value);
		}
	}
	if (r == OTHER_STOPPED)
		*action = EXIT_ACTION_STOP;
	if (r != OTHER_DONE)
		return false;
	vcpu_write_gpr(v, 4, new_rsp);
	return true;
}

/* ---- one instruction -------------------------------------------------------------------------- */

/* The exit's own access must be one the instruction makes: a pure read cannot have caused a
 * write exit nor a pure write a read exit. (Read-modify-write forms may report either.) */
static bool exit_matches(const struct x86_mmio_insn *insn, bool write)
{
	if (insn->direction == X86_MMIO_READ)
		return !write;
	if (insn->direction == X86_MMIO_WRITE)
		return write;
	return true;
}

/* The read-modify-write and register-destination forms on the device at `offset`. */
static void emulate_alu(struct vcpu *v, const struct x86_mmio_insn *insn,
			const struct mmio_device *dev, uint32_t offset)
{
	uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
	uint64_t reg = insn->operand == X86_MMIO_OPERAND_REGISTER ? vcpu_read_gpr(v, insn->gpr) : 0;
	uint64_t operand = x86_mmio_write_value(insn, reg);
	uint64_t memory = mmio_device_read(dev, offset, insn->access_size), result;

	switch (insn->kind) {
	case X86_MMIO_KIND_ALU_TO_MEMORY:
		/* e.g. `orl $0x100, SVR`: read, operate, write back (not CMP, TEST, BT). */
		result = x86_mmio_alu_apply(insn, memory, operand, &rflags);
		if (x86_mmio_alu_writes_result(insn->alu_op))
			mmio_device_write(dev, offset, insn->access_size, result);
		break;
	case X86_MMIO_KIND_ALU_TO_REGISTER:
		result = x86_mmio_alu_apply(insn, operand, memory, &rflags);
		if (x86_mmio_alu_writes_result(insn->alu_op))
			vcpu_write_gpr(v, insn->gpr, x86_mmio_register_result(insn, reg, result));
		break;
	case X86_MMIO_KIND_XCHG:
		/* Locked whatever the prefix says (SDM Vol. 2B "XCHG"): one read and one write
		 * under the devices' lock, which no other CPU's device access interleaves. */
		mmio_device_write(dev, offset, insn->access_size, operand);
		vcpu_write_gpr(v, insn->gpr, x86_mmio_register_result(insn, reg, memory));
		break;
	case X86_MMIO_KIND_XADD: {
		/* "TEMP := SRC + DEST; SRC := DEST; DEST := TEMP", flags as ADD. */
		struct x86_mmio_insn add = *insn;

		add.alu_op = X86_MMIO_ALU_ADD;
		result = x86_mmio_alu_apply(&add, memory, operand, &rflags);
		mmio_device_write(dev, offset, insn->access_size, result);
		vcpu_write_gpr(v, insn->gpr, x86_mmio_register_result(insn, reg, memory));
		break;
	}
	case X86_MMIO_KIND_CMPXCHG: {
		struct x86_mmio_insn accumulator = *insn;
		bool load = false;

		accumulator.gpr = 0;
		accumulator.high_byte = false;
		result = x86_mmio_cmpxchg(insn, memory, v->gprs.rax, operand, &rflags, &load);
		mmio_device_write(dev, offset, insn->access_size, result);
		if (load)
			v->gprs.rax = x86_mmio_register_result(&accumulator, v->gprs.rax, memory);
		break;
	}
	default:
		return;
	}
	vmcs_write(VMCS_GUEST_RFLAGS, rflags);
}

enum exit_action mmio_emulate(struct vcpu *v, const struct mmio_device *dev, uint32_t offset,
			      bool write)
{
	struct other_operand o = {
		.v = v,
		.paging = {
			.cr0 = vcpu_guest_cr0(),
			.cr3 = vmcs_read(VMCS_GUEST_CR3),
			.cr4 = vcpu_guest_cr4(),
			.efer = v->efer,
			.read_gpa = read_guest_physical,
			.ctx = v,
		},
		.mode = guest_cpu_mode(),
		.user = vcpu_guest_cpl() == 3,
		.device_name = dev->name,
		.rip = vmcs_read(VMCS_GUEST_RIP),
	};
	uint64_t linear = o.rip + (o.mode == X86_MODE_LONG64 ? 0 : vmcs_read(VMCS_GUEST_CS_BASE));
	enum exit_action action = EXIT_ACTION_RESUME;
	struct guest_walk_fault fault;
	struct x86_mmio_insn insn;
	bool complete = true;
	uint8_t bytes[15];
	size_t got = 0;
	char why[128];

	if (guest_fetch_instruction(&o.paging, linear, bytes, sizeof(bytes), &got, &fault)) {
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
				 dev->name, (unsigned long long)o.rip, why);
	}
	if (x86_decode_mmio(bytes, got, o.mode, &insn, why, sizeof(why)))
		return vcpu_stop(v, GUEST_END_UNHANDLED, "%s access at RIP %#llx, offset %#x: %s",
				 dev->name, (unsigned long long)o.rip, offset, why);
	if (!exit_matches(&insn, write))
		return vcpu_stop(v, GUEST_END_UNHANDLED, "%s access at RIP %#llx, offset %#x: a %s "
				 "exit for an instruction that only %s memory there",
				 dev->name, (unsigned long long)o.rip, offset,
				 write ? "write" : "read", write ? "reads" : "writes");

	switch (insn.kind) {
	case X86_MMIO_KIND_MOVE:
		if (insn.direction == X86_MMIO_READ) {
			uint64_t value = mmio_device_read(dev, offset, insn.access_size);

			vcpu_write_gpr(v, insn.gpr, x86_mmio_merge_read(&insn,
									vcpu_read_gpr(v, insn.gpr),
									value));
		} else {
			uint64_t source = insn.operand == X86_MMIO_OPERAND_REGISTER
						  ? vcpu_read_gpr(v, insn.gpr) : 0;

			mmio_device_write(dev, offset, insn.access_size,
					  x86_mmio_write_value(&insn, source));
		}
		break;
	case X86_MMIO_KIND_MOVS:
	case X86_MMIO_KIND_STOS:
	case X86_MMIO_KIND_LODS:
		complete = emulate_string(v, &o, &insn, dev, offset, write, &action);
		break;
	case X86_MMIO_KIND_PUSH:
	case X86_MMIO_KIND_POP:
		complete = emulate_stack(v, &o, &insn, dev, offset, write, &action);
		break;
	default:
		emulate_alu(v, &insn, dev, offset);
		break;
	}
	if (action != EXIT_ACTION_RESUME)
		return action;
	if (vmcs_read(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID)
		return EXIT_ACTION_RESUME; /* a fault: RIP stays on the instruction */
	/* A REP string with elements left: RIP stays, but the elements done end an STI or MOV-SS
	 * shadow and, with RFLAGS.TF, are followed by a single-step trap as each iteration is
	 * (SDM Vol. 3A §18.3.1.4 "Single-Step Exception Condition"). */
	vcpu_advance_rip(complete ? insn.length : 0);
	return EXIT_ACTION_RESUME;
}
