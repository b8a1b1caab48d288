/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for vmx/x86_decode.c, the MMIO instruction decoder. The first input byte
 * picks the error-buffer size; the rest are the instruction bytes, decoded in all four CPU
 * modes from an exact-size heap copy whose bytes past the 15th are poisoned, so AddressSanitizer
 * catches any read at or beyond `available` or beyond the 15-byte limit. Checked against
 * x86_decode.h and SDM Vol. 2 §2.1/§2.2:
 *   - on success: 1 ≤ length ≤ 15 and ≤ available; access and operand sizes in {1, 2, 4, 8},
 *     an extension exactly when they differ (and only for reads); 8-byte operands, REX, GPRs
 *     8–15 and RIP-relative operands only in 64-bit mode; gpr < 16, AH..BH only without REX;
 *     immediates truncated to the operand size; the direction each kind must have; LOCK only
 *     on the SDM's list, REP only on MOVS/STOS/LODS; memory operand registers, scale and
 *     displacement in range for the address size;
 *     the register write rule follows the operand size;
 *   - the decoder reads no more than it reports: the first `length` bytes alone decode to the
 *     same instruction, and every shorter prefix of them fails as "truncated";
 *   - on failure: a one-line, NUL-terminated reason within err_len (nothing written past it),
 *     never "truncated" when 15 bytes were available;
 *   - x86_mmio_merge_read, x86_mmio_write_value and x86_mmio_alu_apply on a table of edge
 *     values agree with the SDM's rules (extension, merge into AH..BH and 8/16-bit registers,
 *     zero-extension of 32-bit results; every ALU operation's result and CF, PF, AF, ZF, SF,
 *     OF from a reference written with 128-bit arithmetic, CF kept by INC/DEC, NOT changing
 *     no flag, BT* changing only CF, CMP/TEST/BT returning the destination unchanged; other
 *     RFLAGS bits kept).
 * A broken invariant prints one line and aborts, which libFuzzer records as a crash.
 */
#include <stdlib.h>

#include <sanitizer/asan_interface.h>

#include "vmx/x86_decode.h"

#define FUZZ_NAME "fuzz_x86_decode"
#include "tests/fuzz/fuzz_input.h"

/* Instruction bytes handed to the decoder at most: past the 15-byte limit on purpose. */
#define MAX_AVAILABLE 24
#define ERR_CANARY 0xA5
#define RFLAGS_CF (1ull << 0)
#define RFLAGS_PF (1ull << 2)
#define RFLAGS_AF (1ull << 4)
#define RFLAGS_ZF (1ull << 6)
#define RFLAGS_SF (1ull << 7)
#define RFLAGS_OF (1ull << 11)
#define RFLAGS_ARITHMETIC (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

static const char *const mode_names[] = { "real16", "prot16", "prot32", "long64" };

/* Values for the register, memory and RFLAGS operands of the helpers. */
static const uint64_t edge_values[] = {
	0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000,
	0xFFFFFFFF, 0x100000000ull, 0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull, ~0ull,
	0x0123456789ABCDEFull, 0xFEDCBA9876543210ull,
};

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static uint64_t sign_extend(uint64_t value, unsigned size)
{
	uint64_t sign = 1ull << (8 * size - 1);

	value &= size_mask(size);
	return (value ^ sign) - sign;
}

static bool is_size(unsigned size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* ---- decoding with exact buffers ------------------------------------------------------------- */

/*
 * x86_decode_mmio on a heap copy of exactly `available` bytes, those past the 15th poisoned.
 * `err_len` bytes of error buffer, followed by canaries that must survive.
 */
static int decode(const uint8_t *bytes, size_t available, enum x86_cpu_mode mode,
		  struct x86_mmio_insn *out, char *err, size_t err_len)
{
	uint8_t *copy = NULL;
	char *err_buffer = NULL;
	int result;

	if (available) {
		copy = malloc(available);
		FUZZ_CHECK(copy, "out of memory");
		memcpy(copy, bytes, available);
		if (available > X86_MAX_INSTRUCTION_LENGTH)
			ASAN_POISON_MEMORY_REGION(copy + X86_MAX_INSTRUCTION_LENGTH,
						  available - X86_MAX_INSTRUCTION_LENGTH);
	}
	if (err) {
		err_buffer = malloc(err_len + 8);
		FUZZ_CHECK(err_buffer, "out of memory");
		memset(err_buffer, ERR_CANARY, err_len + 8);
	}
	result = x86_decode_mmio(copy, available, mode, out, err_buffer, err_len);
	if (err) {
		for (size_t i = err_len; i < err_len + 8; i++)
			FUZZ_CHECK((uint8_t)err_buffer[i] == ERR_CANARY,
				   "%s: error buffer of %zu bytes overrun at %zu", mode_names[mode],
				   err_len, i);
		if (err_len)
			FUZZ_CHECK(memchr(err_buffer, '\0', err_len),
				   "%s: error message not NUL-terminated within %zu bytes",
				   mode_names[mode], err_len);
		memcpy(err, err_buffer, err_len);
		free(err_buffer);
	}
	if (copy) {
		if (available > X86_MAX_INSTRUCTION_LENGTH)
			ASAN_UNPOISON_MEMORY_REGION(copy + X86_MAX_INSTRUCTION_LENGTH,
						    available - X86_MAX_INSTRUCTION_LENGTH);
		free(copy);
	}
	return result;
}

static bool same_instruction(const struct x86_mmio_insn *a, const struct x86_mmio_insn *b)
{
	return a->kind == b->kind && a->direction == b->direction && a->alu_op == b->alu_op &&
	       a->access_size == b->access_size && a->operand == b->operand && a->gpr == b->gpr &&
	       a->high_byte == b->high_byte && a->immediate == b->immediate &&
	       a->operand_size == b->operand_size && a->extend == b->extend &&
	       a->register_write == b->register_write && a->memory.form == b->memory.form &&
	       a->memory.base == b->memory.base && a->memory.index == b->memory.index &&
	       a->memory.scale == b->memory.scale &&
	       a->memory.displacement == b->memory.displacement && a->length == b->length &&
	       a->address_size == b->address_size && a->segment == b->segment &&
	       a->lock == b->lock && a->rep == b->rep && a->string == b->string &&
	       a->rex == b->rex && a->opcode[0] == b->opcode[0] && a->opcode[1] == b->opcode[1] &&
	       a->opcode_length == b->opcode_length;
}

/* ---- checks of a decoded instruction --------------------------------------------------------- */

static void check_memory_operand(const struct x86_mmio_insn *insn, enum x86_cpu_mode mode)
{
	const struct x86_memory_operand *m = &insn->memory;
	const char *name = mode_names[mode];
	bool long64 = mode == X86_MODE_LONG64;

	FUZZ_CHECK(m->base >= X86_NO_REGISTER && m->base < 16 && m->index >= X86_NO_REGISTER &&
		   m->index < 16, "%s: memory registers base %d index %d", name, m->base, m->index);
	FUZZ_CHECK(m->index != 4, "%s: RSP as an index register", name);
	FUZZ_CHECK(m->scale == 1 || m->scale == 2 || m->scale == 4 || m->scale == 8,
		   "%s: scale %u", name, m->scale);
	FUZZ_CHECK(long64 || (m->base < 8 && m->index < 8), "%s: R8-R15 in memory operand", name);
	switch (m->form) {
	case X86_MEMORY_MODRM:
		FUZZ_CHECK(!insn->string, "%s: STOS with a ModRM operand", name);
		if (insn->address_size == 2) {
			FUZZ_CHECK(m->scale == 1 && (m->index == X86_NO_REGISTER || m->index == 6 ||
						     m->index == 7) &&
				   (m->base == X86_NO_REGISTER || m->base == 3 || m->base == 5 ||
				    m->base == 6 || m->base == 7),
				   "%s: impossible 16-bit addressing base %d index %d scale %u", name,
				   m->base, m->index, m->scale);
			FUZZ_CHECK(m->displacement == sign_extend(m->displacement, 2),
				   "%s: 16-bit displacement %#llx", name,
				   (unsigned long long)m->displacement);
		} else {
			FUZZ_CHECK(m->displacement == sign_extend(m->displacement, 4),
				   "%s: displacement %#llx is not a sign-extended disp32", name,
				   (unsigned long long)m->displacement);
		}
		break;
	case X86_MEMORY_RIP_RELATIVE:
		FUZZ_CHECK(long64 && m->base == X86_NO_REGISTER && m->index == X86_NO_REGISTER &&
			   m->displacement == sign_extend(m->displacement, 4),
			   "%s: bad RIP-relative operand", name);
		break;
	case X86_MEMORY_OFFSET:
		FUZZ_CHECK(m->base == X86_NO_REGISTER && m->index == X86_NO_REGISTER &&
			   !(m->displacement & ~size_mask(insn->address_size)),
			   "%s: moffs %#llx wider than address size %u", name,
			   (unsigned long long)m->displacement, insn->address_size);
		FUZZ_CHECK(insn->operand == X86_MMIO_OPERAND_REGISTER && insn->gpr == 0 &&
			   !insn->high_byte, "%s: moffs MOV not with AL/rAX", name);
		break;
	case X86_MEMORY_STRING:
		FUZZ_CHECK(insn->string && insn->operand != X86_MMIO_OPERAND_IMMEDIATE &&
			   insn->gpr == 0 && !insn->high_byte, "%s: bad string operand", name);
		FUZZ_CHECK(insn->kind == X86_MMIO_KIND_STOS
				   ? m->base == 7 && m->index == X86_NO_REGISTER &&
					     insn->direction == X86_MMIO_WRITE
			   : insn->kind == X86_MMIO_KIND_LODS
				   ? m->base == 6 && m->index == X86_NO_REGISTER &&
					     insn->direction == X86_MMIO_READ
				   : insn->kind == X86_MMIO_KIND_MOVS && m->base == 6 && m->index == 7 &&
					     insn->direction == X86_MMIO_COPY,
			   "%s: string kind %d with base %d index %d direction %d", name,
			   (int)insn->kind, m->base, m->index, (int)insn->direction);
		break;
	default:
		FUZZ_CHECK(false, "%s: memory form %d", name, (int)m->form);
	}
}

/* The memory operand's direction each kind must have (x86_decode.h). */
static enum x86_mmio_direction expected_direction(const struct x86_mmio_insn *insn)
{
	switch (insn->kind) {
	case X86_MMIO_KIND_MOVE:
		return insn->direction == X86_MMIO_WRITE ? X86_MMIO_WRITE : X86_MMIO_READ;
	case X86_MMIO_KIND_ALU_TO_MEMORY:
		return x86_mmio_alu_writes_result(insn->alu_op) ? X86_MMIO_READ_MODIFY_WRITE
								 : X86_MMIO_READ;
	case X86_MMIO_KIND_ALU_TO_REGISTER:
	case X86_MMIO_KIND_LODS:
		return X86_MMIO_READ;
	case X86_MMIO_KIND_STOS:
		return X86_MMIO_WRITE;
	case X86_MMIO_KIND_XCHG:
	case X86_MMIO_KIND_CMPXCHG:
	case X86_MMIO_KIND_XADD:
		return X86_MMIO_READ_MODIFY_WRITE;
	default:
		return X86_MMIO_COPY;
	}
}

static void check_instruction(const struct x86_mmio_insn *insn, size_t available,
			      enum x86_cpu_mode mode)
{
	const char *name = mode_names[mode];
	bool long64 = mode == X86_MODE_LONG64;

	FUZZ_CHECK(insn->length >= 1 && insn->length <= X86_MAX_INSTRUCTION_LENGTH &&
		   insn->length <= available, "%s: length %u with %zu bytes available", name,
		   insn->length, available);
	FUZZ_CHECK(is_size(insn->access_size) && is_size(insn->operand_size) &&
		   insn->operand_size >= insn->access_size,
		   "%s: access size %u, operand size %u", name, insn->access_size,
		   insn->operand_size);
	FUZZ_CHECK((insn->extend == X86_MMIO_EXTEND_NONE) ==
		   (insn->access_size == insn->operand_size),
		   "%s: extend %d with access %u operand %u", name, (int)insn->extend,
		   insn->access_size, insn->operand_size);
	FUZZ_CHECK(insn->extend == X86_MMIO_EXTEND_NONE || insn->direction == X86_MMIO_READ,
		   "%s: extension on a write", name);
	/* PUSH/POP r/m default to 64 bits in 64-bit mode (SDM Vol. 2B "PUSH", "POP"). */
	FUZZ_CHECK(insn->operand_size != 8 ||
		   (long64 && ((insn->rex & 0x08) || insn->kind == X86_MMIO_KIND_PUSH ||
			       insn->kind == X86_MMIO_KIND_POP)),
		   "%s: 64-bit operand without REX.W", name);
	FUZZ_CHECK(insn->gpr < 16 && (long64 || insn->gpr < 8), "%s: gpr %u", name, insn->gpr);
	FUZZ_CHECK(!insn->high_byte || (insn->gpr < 4 && insn->rex == 0 &&
					insn->operand_size == 1 &&
					insn->operand == X86_MMIO_OPERAND_REGISTER),
		   "%s: high byte register with gpr %u rex %#x size %u", name, insn->gpr,
		   insn->rex, insn->operand_size);
	FUZZ_CHECK(insn->rex == 0 || (long64 && (insn->rex & 0xF0) == 0x40),
		   "%s: REX %#x", name, insn->rex);
	FUZZ_CHECK(insn->operand == X86_MMIO_OPERAND_REGISTER ||
		   (insn->operand == X86_MMIO_OPERAND_IMMEDIATE &&
		    (insn->kind == X86_MMIO_KIND_ALU_TO_MEMORY ||
		     (insn->kind == X86_MMIO_KIND_MOVE && insn->direction == X86_MMIO_WRITE)) &&
		    insn->gpr == 0 && !(insn->immediate & ~size_mask(insn->operand_size))) ||
		   (insn->operand == X86_MMIO_OPERAND_NONE && insn->gpr == 0 && !insn->high_byte),
		   "%s: operand %d immediate %#llx for operand size %u, kind %d", name,
		   (int)insn->operand, (unsigned long long)insn->immediate, insn->operand_size,
		   (int)insn->kind);
	FUZZ_CHECK((insn->alu_op != X86_MMIO_ALU_NONE) ==
		   (insn->kind == X86_MMIO_KIND_ALU_TO_MEMORY ||
		    insn->kind == X86_MMIO_KIND_ALU_TO_REGISTER),
		   "%s: ALU op %d with kind %d", name, (int)insn->alu_op, (int)insn->kind);
	FUZZ_CHECK(insn->direction == expected_direction(insn),
		   "%s: direction %d for kind %d op %d", name, (int)insn->direction,
		   (int)insn->kind, (int)insn->alu_op);
	/* SDM Vol. 2 "LOCK": only ADD, ADC, AND, BTC, BTR, BTS, CMPXCHG, DEC, INC, NEG, NOT, OR,
	 * SBB, SUB, XOR, XADD, XCHG with a memory destination. */
	FUZZ_CHECK(!insn->lock || insn->kind == X86_MMIO_KIND_XCHG ||
		   insn->kind == X86_MMIO_KIND_CMPXCHG || insn->kind == X86_MMIO_KIND_XADD ||
		   (insn->kind == X86_MMIO_KIND_ALU_TO_MEMORY && insn->alu_op != X86_MMIO_ALU_CMP &&
		    insn->alu_op != X86_MMIO_ALU_TEST && insn->alu_op != X86_MMIO_ALU_BT),
		   "%s: LOCK accepted on kind %d op %d", name, (int)insn->kind, (int)insn->alu_op);
	FUZZ_CHECK(!insn->rep || insn->string, "%s: REP on a non-string instruction", name);
	FUZZ_CHECK(insn->string == (insn->kind == X86_MMIO_KIND_MOVS ||
				    insn->kind == X86_MMIO_KIND_STOS ||
				    insn->kind == X86_MMIO_KIND_LODS),
		   "%s: string flag on kind %d", name, (int)insn->kind);
	FUZZ_CHECK(insn->string == (insn->memory.form == X86_MEMORY_STRING),
		   "%s: string flag and memory form disagree", name);
	FUZZ_CHECK(long64 ? insn->address_size == 8 || insn->address_size == 4
			  : insn->address_size == 2 || insn->address_size == 4,
		   "%s: address size %u", name, insn->address_size);
	FUZZ_CHECK(insn->opcode_length == 1 || insn->opcode_length == 2,
		   "%s: opcode length %u", name, insn->opcode_length);
	FUZZ_CHECK((insn->opcode_length == 2) == (insn->opcode[0] == 0x0F),
		   "%s: opcode %02x with length %u", name, insn->opcode[0], insn->opcode_length);
	FUZZ_CHECK(insn->segment >= X86_SEGMENT_DEFAULT && insn->segment <= X86_SEGMENT_GS,
		   "%s: segment %d", name, (int)insn->segment);
	FUZZ_CHECK(insn->register_write == (insn->operand_size == 8 ? X86_MMIO_REGISTER_REPLACE :
					    insn->operand_size == 4 ? X86_MMIO_REGISTER_ZERO_UPPER :
					    X86_MMIO_REGISTER_MERGE),
		   "%s: register write %d for operand size %u", name, (int)insn->register_write,
		   insn->operand_size);
	check_memory_operand(insn, mode);
}

/* The helpers against the SDM's rules, on every pair of edge values. */
static void check_helpers(const struct x86_mmio_insn *insn, enum x86_cpu_mode mode)
{
	const char *name = mode_names[mode];
	uint64_t access_mask = size_mask(insn->access_size);
	uint64_t operand_mask = size_mask(insn->operand_size);

	for (size_t i = 0; i < ARRAY_SIZE(edge_values); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(edge_values); j++) {
			uint64_t old = edge_values[i], value = edge_values[j];
			uint64_t merged = x86_mmio_merge_read(insn, old, value);
			uint64_t extended = value & access_mask, expected;

			if (insn->direction != X86_MMIO_READ ||
			    (insn->kind != X86_MMIO_KIND_MOVE && insn->kind != X86_MMIO_KIND_LODS)) {
				expected = old;
			} else {
				if (insn->extend == X86_MMIO_EXTEND_SIGN)
					extended = sign_extend(extended, insn->access_size);
				extended &= operand_mask;
				if (insn->high_byte)
					expected = (old & ~0xFF00ull) | extended << 8;
				else if (insn->operand_size >= 4)
					expected = extended; /* 32-bit results zero-extend */
				else
					expected = (old & ~operand_mask) | extended;
			}
			FUZZ_CHECK(merged == expected,
				   "%s: merge_read(old %#llx, read %#llx) = %#llx, expected %#llx",
				   name, (unsigned long long)old, (unsigned long long)value,
				   (unsigned long long)merged, (unsigned long long)expected);
		}
		{
			uint64_t source = edge_values[i];
			uint64_t written = x86_mmio_write_value(insn, source), expected;

			if (insn->operand == X86_MMIO_OPERAND_IMMEDIATE)
				expected = insn->immediate & access_mask;
			else if (insn->operand == X86_MMIO_OPERAND_NONE)
				expected = 0;
			else if (insn->high_byte)
				expected = (source >> 8) & 0xFF;
			else
				expected = source & access_mask;
			FUZZ_CHECK(written == expected,
				   "%s: write_value(%#llx) = %#llx, expected %#llx", name,
				   (unsigned long long)source, (unsigned long long)written,
				   (unsigned long long)expected);
		}
	}
}

static bool even_parity(uint64_t value)
{
	return !(__builtin_popcount((unsigned)(value & 0xFF)) & 1);
}

static void check_alu(const struct x86_mmio_insn *insn, enum x86_cpu_mode mode)
{
	const char *name = mode_names[mode];
	unsigned size = insn->access_size;
	uint64_t mask = size_mask(size), sign = 1ull << (8 * size - 1);

	for (size_t i = 0; i < ARRAY_SIZE(edge_values); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(edge_values); j++) {
			uint64_t a = edge_values[i] & mask, b = edge_values[j] & mask;
			uint64_t rflags_in = edge_values[(i + j) % ARRAY_SIZE(edge_values)] | 0x2;
			uint64_t rflags = rflags_in, result, expected, flags = 0;

			result = x86_mmio_alu_apply(insn, edge_values[i], edge_values[j], &rflags);
			unsigned carry = rflags_in & RFLAGS_CF ? 1 : 0;
			uint64_t kept = 0, bit = 1ull << (b & (8 * size - 1)), first = a;
			bool writes = true;

			switch (insn->alu_op) {
			case X86_MMIO_ALU_INC:
				kept = RFLAGS_CF;
				/* fall through */
			case X86_MMIO_ALU_ADD:
			case X86_MMIO_ALU_ADC: {
				uint64_t addend = insn->alu_op == X86_MMIO_ALU_INC ? 1 : b;
				unsigned c = insn->alu_op == X86_MMIO_ALU_ADC ? carry : 0;

				expected = (a + addend + c) & mask;
				if ((unsigned __int128)a + addend + c > mask)
					flags |= RFLAGS_CF;
				if (!((a ^ addend) & sign) && ((a ^ expected) & sign))
					flags |= RFLAGS_OF;
				if ((a ^ addend ^ expected) & 0x10)
					flags |= RFLAGS_AF;
				break;
			}
			case X86_MMIO_ALU_DEC:
				kept = RFLAGS_CF;
				/* fall through */
			case X86_MMIO_ALU_SUB:
			case X86_MMIO_ALU_SBB:
			case X86_MMIO_ALU_CMP:
			case X86_MMIO_ALU_NEG: {
				uint64_t minuend = insn->alu_op == X86_MMIO_ALU_NEG ? 0 : a;
				uint64_t subtrahend = insn->alu_op == X86_MMIO_ALU_NEG ? a :
						      insn->alu_op == X86_MMIO_ALU_DEC ? 1 : b;
				unsigned c = insn->alu_op == X86_MMIO_ALU_SBB ? carry : 0;

				expected = (minuend - subtrahend - c) & mask;
				if ((unsigned __int128)minuend < (unsigned __int128)subtrahend + c)
					flags |= RFLAGS_CF;
				if (((minuend ^ subtrahend) & sign) && ((minuend ^ expected) & sign))
					flags |= RFLAGS_OF;
				if ((minuend ^ subtrahend ^ expected) & 0x10)
					flags |= RFLAGS_AF;
				writes = insn->alu_op != X86_MMIO_ALU_CMP;
				break;
			}
			case X86_MMIO_ALU_OR:
				expected = a | b;
				break;
			case X86_MMIO_ALU_AND:
			case X86_MMIO_ALU_TEST:
				expected = a & b;
				writes = insn->alu_op == X86_MMIO_ALU_AND;
				break;
			case X86_MMIO_ALU_XOR:
				expected = a ^ b;
				break;
			case X86_MMIO_ALU_NOT:
				FUZZ_CHECK(result == (~a & mask) && rflags == rflags_in,
					   "%s: NOT changed flags or gave %#llx", name,
					   (unsigned long long)result);
				continue;
			case X86_MMIO_ALU_BT:
			case X86_MMIO_ALU_BTS:
			case X86_MMIO_ALU_BTR:
			case X86_MMIO_ALU_BTC:
				expected = insn->alu_op == X86_MMIO_ALU_BTS ? a | bit :
					   insn->alu_op == X86_MMIO_ALU_BTR ? a & ~bit :
					   insn->alu_op == X86_MMIO_ALU_BTC ? a ^ bit : a;
				FUZZ_CHECK(result == expected &&
					   rflags == ((rflags_in & ~RFLAGS_CF) |
						      ((a & bit) ? RFLAGS_CF : 0)),
					   "%s: bit op %d size %u on %#llx bit %#llx: %#llx flags %#llx",
					   name, (int)insn->alu_op, size, (unsigned long long)a,
					   (unsigned long long)b, (unsigned long long)result,
					   (unsigned long long)rflags);
				continue;
			default:
				FUZZ_CHECK(result == a && rflags == rflags_in,
					   "%s: alu_apply without an ALU op changed something", name);
				continue;
			}
			flags = (flags & ~kept) | (rflags_in & kept);
			if (!expected)
				flags |= RFLAGS_ZF;
			if (expected & sign)
				flags |= RFLAGS_SF;
			if (even_parity(expected))
				flags |= RFLAGS_PF;
			FUZZ_CHECK(result == (writes ? expected : first) &&
				   rflags == ((rflags_in & ~RFLAGS_ARITHMETIC) | flags),
				   "%s: alu op %d size %u on %#llx, %#llx: %#llx flags %#llx, expected "
				   "%#llx flags %#llx", name, (int)insn->alu_op, size,
				   (unsigned long long)a, (unsigned long long)b,
				   (unsigned long long)result, (unsigned long long)rflags,
				   (unsigned long long)expected,
				   (unsigned long long)((rflags_in & ~RFLAGS_ARITHMETIC) | flags));
		}
	}
}

/* ---- one mode -------------------------------------------------------------------------------- */

static void check_mode(const uint8_t *bytes, size_t available, enum x86_cpu_mode mode,
		       size_t err_len)
{
	const char *name = mode_names[mode];
	struct x86_mmio_insn insn, again;
	char err[256], short_err[256];

	memset(&insn, 0, sizeof(insn));
	if (decode(bytes, available, mode, &insn, err, err_len)) {
		if (err_len >= 2) /* room for one character and the NUL */
			FUZZ_CHECK(err[0] != '\0', "%s: failure without a reason", name);
		if (err_len)
			FUZZ_CHECK(!strchr(err, '\n'), "%s: reason is not one line: %s", name, err);
		if (err_len > sizeof("truncated") && available >= X86_MAX_INSTRUCTION_LENGTH)
			FUZZ_CHECK(strncmp(err, "truncated", 9) != 0,
				   "%s: \"%s\" with %zu bytes available", name, err, available);
		return;
	}
	check_instruction(&insn, available, mode);
	check_helpers(&insn, mode);
	check_alu(&insn, mode);

	/* The decoder read at most `length` bytes: they alone give the same instruction, and any
	 * shorter run of them is truncated. */
	memset(&again, 0, sizeof(again));
	FUZZ_CHECK(!decode(bytes, insn.length, mode, &again, NULL, 0) &&
		   same_instruction(&insn, &again),
		   "%s: the first %u bytes alone decode differently", name, insn.length);
	for (size_t shorter = 0; shorter < insn.length; shorter++) {
		FUZZ_CHECK(decode(bytes, shorter, mode, &again, short_err, sizeof(short_err)),
			   "%s: %zu of %u bytes decode", name, shorter, insn.length);
		FUZZ_CHECK(!strncmp(short_err, "truncated", 9),
			   "%s: %zu of %u bytes fail as \"%s\", not truncated", name, shorter,
			   insn.length, short_err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t err_lens[] = { 200, 200, 200, 200, 0, 1, 2, 9, 10, 16, 40, 256 };
	struct x86_mmio_insn insn;
	size_t err_len, available;
	char err[256];

	if (size < 1)
		return 0;
	err_len = err_lens[data[0] % ARRAY_SIZE(err_lens)];
	available = size - 1 > MAX_AVAILABLE ? MAX_AVAILABLE : size - 1;
	for (int mode = X86_MODE_REAL16; mode <= X86_MODE_LONG64; mode++)
		check_mode(data + 1, available, (enum x86_cpu_mode)mode, err_len);

	/* A mode outside the enumeration is refused, not decoded. */
	FUZZ_CHECK(x86_decode_mmio(data + 1, available, (enum x86_cpu_mode)(4 + data[0] % 4), &insn,
				   err, sizeof(err)) == -1, "unknown CPU mode accepted");
	return 0;
}
