/* SPDX-License-Identifier: MIT */
/*
 * Decoder for the instructions that can touch emulated MMIO (see x86_decode.h for the list).
 * One pass over the bytes: legacy prefixes and REX, the opcode, ModRM/SIB/displacement, the
 * immediate. Every byte goes through fetch_byte(), which checks the 15-byte limit and the
 * caller's `available` before it reads.
 */
#include "x86_decode.h"

#include "../lib/fmt.h"

#define REX_W 0x08
#define REX_R 0x04
#define REX_X 0x02
#define REX_B 0x01

#define RFLAGS_CF (1ull << 0)
#define RFLAGS_PF (1ull << 2)
#define RFLAGS_AF (1ull << 4)
#define RFLAGS_ZF (1ull << 6)
#define RFLAGS_SF (1ull << 7)
#define RFLAGS_OF (1ull << 11)
#define RFLAGS_ARITHMETIC \
	(RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

/* Decoding state: the caller's bytes, how far we got, where errors go. */
struct decoder {
	const uint8_t *bytes;
	size_t available;
	size_t pos;              /* next byte to read */
	enum x86_cpu_mode mode;
	char *err;
	size_t err_len;
};

/* The prefixes seen before the opcode (SDM Vol. 2 §2.1.1 "Instruction Prefixes"). */
struct prefixes {
	bool operand_size;       /* 66 */
	bool address_size;       /* 67 */
	bool lock;               /* F0 */
	bool rep;                /* F2 or F3 */
	enum x86_segment segment;
	uint8_t rex;             /* 0 when none, or when a legacy prefix followed it */
};

static int fail(struct decoder *d, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct decoder *d, const char *format, ...)
{
	va_list ap;

	if (d->err && d->err_len > 0) {
		va_start(ap, format);
		fmt_vsnprintf(d->err, d->err_len, format, ap);
		va_end(ap);
	}
	return -1;
}

/* The next byte, `what` naming it for the error message. The 15-byte limit is checked first:
 * with 15 bytes available, a 16th byte needed means "too long", not "truncated". */
static int fetch_byte(struct decoder *d, const char *what, uint8_t *byte)
{
	if (d->pos >= X86_MAX_INSTRUCTION_LENGTH)
		return fail(d, "longer than 15 bytes: the %s would be byte %zu (#GP)", what, d->pos);
	if (d->pos >= d->available)
		return fail(d, "truncated: the %s is byte %zu but only %zu bytes are available", what,
			    d->pos, d->available);
	*byte = d->bytes[d->pos++];
	return 0;
}

/* A little-endian field of `size` bytes (displacement, immediate, moffs). */
static int fetch_field(struct decoder *d, const char *what, unsigned size, uint64_t *value)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++) {
		uint8_t b = 0;

		if (fetch_byte(d, what, &b))
			return -1;
		v |= (uint64_t)b << (8 * i);
	}
	*value = v;
	return 0;
}

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

static enum x86_mmio_register_write register_write_for(unsigned operand_size)
{
	/* 32-bit destinations are zero-extended in every mode. Outside 64-bit mode the SDM leaves
	 * bits 63:32 undefined (Vol. 1 §3.4.1.1); clearing them matches what processors do and
	 * keeps the saved register free of stale bits a later switch to 64-bit mode could see. */
	if (operand_size == 8)
		return X86_MMIO_REGISTER_REPLACE;
	if (operand_size == 4)
		return X86_MMIO_REGISTER_ZERO_UPPER;
	return X86_MMIO_REGISTER_MERGE;
}

/* Legacy prefixes and REX, up to the first opcode byte. "Only one REX prefix is allowed per
 * instruction. If used, the REX prefix byte must immediately precede the opcode byte or the
 * escape opcode byte (0FH)" (SDM Vol. 2 §2.2.1 "REX Prefixes"); a REX followed by a legacy
 * prefix (or by another REX) is ignored, as processors do. 40-4F are INC/DEC outside 64-bit
 * mode and end up as an unsupported opcode. */
static int decode_prefixes(struct decoder *d, struct prefixes *p, uint8_t *opcode)
{
	for (;;) {
		uint8_t b = 0;

		if (fetch_byte(d, "opcode", &b))
			return -1;
		switch (b) {
		case 0x66: p->operand_size = true; break;
		case 0x67: p->address_size = true; break;
		case 0xF0: p->lock = true; break;
		case 0xF2:
		case 0xF3: p->rep = true; break;
		case 0x26: p->segment = X86_SEGMENT_ES; break;
		case 0x2E: p->segment = X86_SEGMENT_CS; break;
		case 0x36: p->segment = X86_SEGMENT_SS; break;
		case 0x3E: p->segment = X86_SEGMENT_DS; break;
		case 0x64: p->segment = X86_SEGMENT_FS; break;
		case 0x65: p->segment = X86_SEGMENT_GS; break;
		default:
			if (d->mode == X86_MODE_LONG64 && (b & 0xF0) == 0x40) {
				p->rex = b;
				continue;
			}
			*opcode = b;
			return 0;
		}
		p->rex = 0;
	}
}

/* 16-bit addressing (SDM Vol. 2 Table 2-1 "16-Bit Addressing Forms with the ModR/M Byte"):
 * rm 0 [BX+SI], 1 [BX+DI], 2 [BP+SI], 3 [BP+DI], 4 [SI], 5 [DI], 6 [BP] (mod=00: disp16 only),
 * 7 [BX]; mod=01 adds disp8, mod=10 disp16. */
static int decode_memory_16(struct decoder *d, unsigned mod, unsigned rm,
			    struct x86_memory_operand *m)
{
	static const int8_t base[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
	static const int8_t index[8] = { 6, 7, 6, 7, X86_NO_REGISTER, X86_NO_REGISTER,
					 X86_NO_REGISTER, X86_NO_REGISTER };
	unsigned disp_size = mod == 1 ? 1 : mod == 2 ? 2 : 0;
	uint64_t disp = 0;

	m->base = base[rm];
	m->index = index[rm];
	if (mod == 0 && rm == 6) {
		m->base = X86_NO_REGISTER;
		disp_size = 2;
	}
	if (disp_size && fetch_field(d, "displacement", disp_size, &disp))
		return -1;
	m->displacement = disp_size ? sign_extend(disp, disp_size) : 0;
	return 0;
}

/* 32/64-bit addressing (SDM Vol. 2 Table 2-2 "32-Bit Addressing Forms with the ModR/M Byte",
 * Table 2-3 "32-Bit Addressing Forms with the SIB Byte", and for REX Table 2-5 "Special Cases
 * of REX Encodings"):
 *   rm=100 → a SIB byte follows, whatever REX.B says (so [R12] needs a SIB too);
 *   mod=00 rm=101 → disp32 with no base; in 64-bit mode that is RIP-relative (EIP-relative with
 *     67), again whatever REX.B says (SDM Vol. 2 §2.2.1.6 "RIP-Relative Addressing");
 *   SIB index=100 without REX.X → no index (with REX.X it is R12);
 *   SIB base=101 with mod=00 → no base, disp32 (whatever REX.B says). */
static int decode_memory_32(struct decoder *d, unsigned mod, unsigned rm, uint8_t rex,
			    struct x86_memory_operand *m)
{
	unsigned disp_size = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	uint64_t disp = 0;

	m->base = X86_NO_REGISTER;
	m->index = X86_NO_REGISTER;
	if (rm == 4) {
		uint8_t sib = 0;
		unsigned index, base;

		if (fetch_byte(d, "SIB byte", &sib))
			return -1;
		m->scale = 1u << (sib >> 6);
		index = ((sib >> 3) & 7) | (rex & REX_X ? 8 : 0);
		if (index != 4)
			m->index = (int)index;
		base = sib & 7;
		if (base == 5 && mod == 0)
			disp_size = 4;
		else
			m->base = (int)(base | (rex & REX_B ? 8 : 0));
	} else if (rm == 5 && mod == 0) {
		disp_size = 4;
		if (d->mode == X86_MODE_LONG64)
			m->form = X86_MEMORY_RIP_RELATIVE;
	} else {
		m->base = (int)(rm | (rex & REX_B ? 8 : 0));
	}
	if (disp_size && fetch_field(d, "displacement", disp_size, &disp))
		return -1;
	m->displacement = disp_size ? sign_extend(disp, disp_size) : 0;
	return 0;
}

/* The ModRM byte and the memory operand it names; *reg gets ModRM.reg (without REX.R). A
 * register operand (mod=11) cannot have caused an MMIO exit: refused. */
static int decode_modrm(struct decoder *d, const struct x86_mmio_insn *insn, unsigned address_size,
			uint8_t rex, unsigned *reg, struct x86_memory_operand *m)
{
	uint8_t modrm = 0;
	unsigned mod, rm;

	if (fetch_byte(d, "ModRM byte", &modrm))
		return -1;
	mod = modrm >> 6;
	rm = modrm & 7;
	*reg = (modrm >> 3) & 7;
	if (mod == 3) {
		if (insn->opcode_length == 2)
			return fail(d, "cannot emulate: opcode 0f %02x with ModRM mod=11 names a "
				    "register, not memory, so it cannot cause an MMIO exit",
				    insn->opcode[1]);
		return fail(d, "cannot emulate: opcode %02x with ModRM mod=11 names a register, "
			    "not memory, so it cannot cause an MMIO exit", insn->opcode[0]);
	}
	m->form = X86_MEMORY_MODRM;
	m->scale = 1;
	if (address_size == 2)
		return decode_memory_16(d, mod, rm, m);
	return decode_memory_32(d, mod, rm, rex, m);
}

/* The ModRM.reg register operand of `size` bytes. Without REX, byte registers 4-7 are AH, CH,
 * DH, BH; with any REX (even 40) they are SPL, BPL, SIL, DIL (SDM Vol. 2 §2.2.1.2 "More on REX
 * Prefix Fields", "Byte-register addressing"), and REX.R adds 8. */
static void set_register(struct x86_mmio_insn *insn, unsigned reg, unsigned size)
{
	insn->operand = X86_MMIO_OPERAND_REGISTER;
	if (size == 1 && insn->rex == 0 && reg >= 4) {
		insn->gpr = reg - 4;
		insn->high_byte = true;
		return;
	}
	insn->gpr = reg | (insn->rex & REX_R ? 8 : 0);
	insn->high_byte = false;
}

static int unsupported_opcode(struct decoder *d, const struct x86_mmio_insn *insn, size_t at)
{
	if (insn->opcode_length == 2)
		return fail(d, "cannot emulate: opcode 0f %02x at byte %zu", insn->opcode[1], at);
	return fail(d, "cannot emulate: opcode %02x at byte %zu", insn->opcode[0], at);
}

/* The group opcodes (80, 81, 83, C6, C7, F6, F7, FE, FF, 8F, 0F BA) keep the operation in
 * ModRM.reg. */
static int unsupported_group(struct decoder *d, const struct x86_mmio_insn *insn, unsigned reg,
			     size_t at)
{
	if (insn->opcode_length == 2)
		return fail(d, "cannot emulate: opcode 0f %02x /%u at byte %zu", insn->opcode[1],
			    reg, at);
	return fail(d, "cannot emulate: opcode %02x /%u at byte %zu", insn->opcode[0], reg, at);
}

/* The SSE/SSE2 moves a guest may aim at device memory (SDM Vol. 2 "MOVUPS", "MOVSS", "MOVLPS",
 * "MOVAPS", "MOVNTPS", "MOVD/MOVQ", "MOVDQA", "MOVDQU", "MOVQ", "MOVNTDQ", "MOVNTQ", "MOVNTI"):
 * their register operands are XMM/MMX registers the hypervisor does not touch in root mode
 * (it is built -mgeneral-regs-only), so they are refused by name rather than as an unknown
 * opcode. */
static const char *sse_move_name(uint8_t second)
{
	switch (second) {
	case 0x10: case 0x11: return "MOVUPS/MOVUPD/MOVSS/MOVSD";
	case 0x12: case 0x13: return "MOVLPS/MOVLPD";
	case 0x16: case 0x17: return "MOVHPS/MOVHPD";
	case 0x28: case 0x29: return "MOVAPS/MOVAPD";
	case 0x2B: return "MOVNTPS/MOVNTPD";
	case 0x6E: case 0x7E: return "MOVD/MOVQ";
	case 0x6F: case 0x7F: return "MOVQ/MOVDQA/MOVDQU";
	case 0xD6: return "MOVQ";
	case 0xE7: return "MOVNTQ/MOVNTDQ";
	case 0xC3: return "MOVNTI (SSE2)";
	default: return NULL;
	}
}

/* The ALU operation of group 1's ModRM.reg or of bits 5:3 of the 00-3B opcodes. */
static enum x86_mmio_alu_op alu_op_of(unsigned n)
{
	return (enum x86_mmio_alu_op)(X86_MMIO_ALU_ADD + (n & 7));
}

/* Reads an immediate of `size` bytes (at most 4) and extends it to operand_size: imm8 of 83
 * and imm32 of C7/81 with REX.W are sign-extended (SDM Vol. 2 §2.2.1.5 "Immediates"). */
static int fetch_immediate(struct decoder *d, struct x86_mmio_insn *insn, unsigned size)
{
	uint64_t imm;

	if (fetch_field(d, "immediate", size, &imm))
		return -1;
	insn->operand = X86_MMIO_OPERAND_IMMEDIATE;
	insn->gpr = 0;
	insn->high_byte = false;
	insn->immediate = sign_extend(imm, size) & size_mask(insn->operand_size);
	return 0;
}

/* A ModRM instruction whose memory operand is `size` bytes and whose other operand is the
 * ModRM.reg register of the same size. */
static int modrm_with_register(struct decoder *d, struct x86_mmio_insn *insn, unsigned size,
			       enum x86_mmio_kind kind, enum x86_mmio_direction direction)
{
	unsigned reg = 0;

	if (decode_modrm(d, insn, insn->address_size, insn->rex, &reg, &insn->memory))
		return -1;
	insn->kind = kind;
	insn->direction = direction;
	insn->access_size = size;
	insn->operand_size = size;
	set_register(insn, reg, size);
	return 0;
}

/* Whether LOCK may prefix the decoded instruction (SDM Vol. 2 "LOCK": "The LOCK prefix can be
 * prepended only to the following instructions and only to those forms of the instructions
 * where the destination operand is a memory operand: ADD, ADC, AND, BTC, BTR, BTS, CMPXCHG,
 * CMPXCH8B, CMPXCHG16B, DEC, INC, NEG, NOT, OR, SBB, SUB, XOR, XADD, and XCHG. ... An undefined
 * opcode exception will also be generated if the LOCK prefix is used with any instruction not
 * in the above list"). */
static bool lock_allowed(const struct x86_mmio_insn *insn)
{
	switch (insn->kind) {
	case X86_MMIO_KIND_XCHG:
	case X86_MMIO_KIND_CMPXCHG:
	case X86_MMIO_KIND_XADD:
		return true;
	case X86_MMIO_KIND_ALU_TO_MEMORY:
		return insn->alu_op != X86_MMIO_ALU_CMP && insn->alu_op != X86_MMIO_ALU_TEST &&
		       insn->alu_op != X86_MMIO_ALU_BT;
	default:
		return false;
	}
}

/* The two-byte opcodes (0F xx). */
static int decode_0f(struct decoder *d, struct x86_mmio_insn *insn, unsigned operand_size,
		     size_t opcode_at)
{
	uint8_t second = insn->opcode[1];
	const char *sse = sse_move_name(second);
	unsigned reg = 0;

	if (sse)
		return fail(d, "cannot emulate: SSE/AVX move %s (0f %02x at byte %zu) on device "
			    "memory", sse, second, opcode_at);
	switch (second) {
	case 0xB6: /* MOVZX r16/32/64, r/m8 */
	case 0xB7: /* MOVZX r32/64, r/m16 */
	case 0xBE: /* MOVSX r16/32/64, r/m8 */
	case 0xBF: /* MOVSX r32/64, r/m16 */
		if (decode_modrm(d, insn, insn->address_size, insn->rex, &reg, &insn->memory))
			return -1;
		insn->kind = X86_MMIO_KIND_MOVE;
		insn->direction = X86_MMIO_READ;
		insn->access_size = second & 1 ? 2 : 1;
		insn->operand_size = operand_size;
		/* 66 0F B7 / 66 0F BF: a 16-bit move, nothing to extend. */
		if (insn->access_size == operand_size)
			insn->extend = X86_MMIO_EXTEND_NONE;
		else
			insn->extend = second & 8 ? X86_MMIO_EXTEND_SIGN : X86_MMIO_EXTEND_ZERO;
		set_register(insn, reg, operand_size);
		return 0;
	case 0xA3: /* BT r/m, r */
	case 0xAB: /* BTS r/m, r */
	case 0xB3: /* BTR r/m, r */
	case 0xBB: /* BTC r/m, r */
		if (modrm_with_register(d, insn, operand_size, X86_MMIO_KIND_ALU_TO_MEMORY,
					second == 0xA3 ? X86_MMIO_READ : X86_MMIO_READ_MODIFY_WRITE))
			return -1;
		insn->alu_op = second == 0xA3 ? X86_MMIO_ALU_BT : second == 0xAB ? X86_MMIO_ALU_BTS :
			       second == 0xB3 ? X86_MMIO_ALU_BTR : X86_MMIO_ALU_BTC;
		return 0;
	case 0xBA: /* group 8: BT/BTS/BTR/BTC r/m, imm8 (/4-/7) */
		if (decode_modrm(d, insn, insn->address_size, insn->rex, &reg, &insn->memory))
			return -1;
		if (reg < 4)
			return unsupported_group(d, insn, reg, opcode_at);
		insn->kind = X86_MMIO_KIND_ALU_TO_MEMORY;
		insn->alu_op = (enum x86_mmio_alu_op)(X86_MMIO_ALU_BT + (reg - 4));
		insn->direction = reg == 4 ? X86_MMIO_READ : X86_MMIO_READ_MODIFY_WRITE;
		insn->access_size = operand_size;
		insn->operand_size = operand_size;
		if (fetch_field(d, "immediate", 1, &insn->immediate))
			return -1;
		/* The bit offset: imm8 taken modulo the operand size in bits (SDM Vol. 2A "BT"),
		 * kept as the byte itself. */
		insn->operand = X86_MMIO_OPERAND_IMMEDIATE;
		return 0;
	case 0xB0: /* CMPXCHG r/m8, r8 */
	case 0xB1: /* CMPXCHG r/m, r */
		return modrm_with_register(d, insn, second & 1 ? operand_size : 1,
					   X86_MMIO_KIND_CMPXCHG, X86_MMIO_READ_MODIFY_WRITE);
	case 0xC0: /* XADD r/m8, r8 */
	case 0xC1: /* XADD r/m, r */
		return modrm_with_register(d, insn, second & 1 ? operand_size : 1,
					   X86_MMIO_KIND_XADD, X86_MMIO_READ_MODIFY_WRITE);
	default:
		return unsupported_opcode(d, insn, opcode_at);
	}
}

/* The string instructions A4/A5 (MOVS), AA/AB (STOS), AC/AD (LODS). */
static void decode_string(struct x86_mmio_insn *insn, uint8_t opcode, unsigned operand_size,
			  bool rep)
{
	insn->memory.form = X86_MEMORY_STRING;
	insn->access_size = opcode & 1 ? operand_size : 1;
	insn->operand_size = insn->access_size;
	insn->string = true;
	/* F2 on these repeats like F3: processors treat both as REP there (REPNE's ZF test
	 * applies only to CMPS and SCAS). */
	insn->rep = rep;
	insn->gpr = 0;
	switch (opcode & ~1u) {
	case 0xA4:
		insn->kind = X86_MMIO_KIND_MOVS;
		insn->direction = X86_MMIO_COPY;
		insn->operand = X86_MMIO_OPERAND_NONE;
		insn->memory.base = 6;
		insn->memory.index = 7;
		break;
	case 0xAA:
		insn->kind = X86_MMIO_KIND_STOS;
		insn->direction = X86_MMIO_WRITE;
		insn->operand = X86_MMIO_OPERAND_REGISTER;
		insn->memory.base = 7;
		break;
	default: /* 0xAC */
		insn->kind = X86_MMIO_KIND_LODS;
		insn->direction = X86_MMIO_READ;
		insn->operand = X86_MMIO_OPERAND_REGISTER;
		insn->memory.base = 6;
		break;
	}
}

/* The one-byte opcodes other than 0F and the strings. */
static int decode_one_byte(struct decoder *d, struct x86_mmio_insn *insn, uint8_t opcode,
			   unsigned operand_size, bool rep_prefix, size_t opcode_at)
{
	bool long_mode = d->mode == X86_MODE_LONG64;
	unsigned reg = 0;

	/* 00-3B: the eight ALU operations (bits 5:3), r/m,r (bit 1 = 0) or r,r/m (bit 1 = 1),
	 * byte (bit 0 = 0) or full size. xx4/xx5 name AL/rAX, not memory; 06, 07, 0E, 16, 17,
	 * 1E, 1F, 27, 2F, 37, 3F are other instructions, 26, 2E, 36, 3E prefixes, 0F the escape. */
	if (opcode < 0x40 && (opcode & 7) < 4) {
		bool to_register = opcode & 2;
		enum x86_mmio_alu_op op = alu_op_of(opcode >> 3);
		enum x86_mmio_direction direction;

		if (to_register || op == X86_MMIO_ALU_CMP)
			direction = X86_MMIO_READ;
		else
			direction = X86_MMIO_READ_MODIFY_WRITE;
		if (modrm_with_register(d, insn, opcode & 1 ? operand_size : 1,
					to_register ? X86_MMIO_KIND_ALU_TO_REGISTER
						    : X86_MMIO_KIND_ALU_TO_MEMORY, direction))
			return -1;
		insn->alu_op = op;
		return 0;
	}

	switch (opcode) {
	case 0x88: /* MOV r/m8, r8 */
	case 0x89: /* MOV r/m, r */
	case 0x8A: /* MOV r8, r/m8 */
	case 0x8B: /* MOV r, r/m */
		return modrm_with_register(d, insn, opcode & 1 ? operand_size : 1,
					   X86_MMIO_KIND_MOVE,
					   opcode & 2 ? X86_MMIO_READ : X86_MMIO_WRITE);
	case 0x84: /* TEST r/m8, r8 */
	case 0x85: /* TEST r/m, r */
		if (modrm_with_register(d, insn, opcode & 1 ? operand_size : 1,
					X86_MMIO_KIND_ALU_TO_MEMORY, X86_MMIO_READ))
			return -1;
		insn->alu_op = X86_MMIO_ALU_TEST;
		return 0;
	case 0x86: /* XCHG r/m8, r8 */
	case 0x87: /* XCHG r/m, r */
		return modrm_with_register(d, insn, opcode & 1 ? operand_size : 1,
					   X86_MMIO_KIND_XCHG, X86_MMIO_READ_MODIFY_WRITE);
	case 0xC6: /* MOV r/m8, imm8 */
	case 0xC7: /* MOV r/m, imm16/32 (imm32 sign-extended with REX.W) */
		if (decode_modrm(d, insn, insn->address_size, insn->rex, &reg, &insn->memory))
			return -1;
		if (reg != 0) /* C6 /7, C7 /7 with mod=11 are XABORT, XBEGIN */
			return unsupported_group(d, insn, reg, opcode_at);
		insn->kind = X86_MMIO_KIND_MOVE;
		insn->direction = X86_MMIO_WRITE;
		insn->access_size = opcode == 0xC6 ? 1 : operand_size;
		insn->operand_size = insn->access_size;
		return fetch_immediate(d, insn, insn->access_size > 4 ? 4 : insn->access_size);
	case 0xA0: /* MOV AL, moffs8 */
	case 0xA1: /* MOV rAX, moffs */
	case 0xA2: /* MOV moffs8, AL */
	case 0xA3: /* MOV moffs, rAX */
		/* The offset has the address size: 8 bytes in 64-bit mode, 4 with 67 (SDM Vol. 2
		 * §2.2.1.4 "Direct Memory-Offset MOVs"). */
		insn->memory.form = X86_MEMORY_OFFSET;
		if (fetch_field(d, "memory offset", insn->address_size, &insn->memory.displacement))
			return -1;
		insn->kind = X86_MMIO_KIND_MOVE;
		insn->direction = opcode & 2 ? X86_MMIO_WRITE : X86_MMIO_READ;
		insn->access_size = opcode & 1 ? operand_size : 1;
		insn->operand_size = insn->access_size;
		insn->operand = X86_MMIO_OPERAND_REGISTER;
		insn->gpr = 0;
		return 0;
	case 0x63: /* MOVSXD r64, r/m32 (and r32/r16 forms without REX.W) */
		/* Outside 64-bit mode 63 is ARPL, which no MMIO emulation needs. */
		if (!long_mode)
			return unsupported_opcode(d, insn, opcode_at);
		if (decode_modrm(d, insn, insn->address_size, insn->rex, &reg, &insn->memory))
			return -1;
		insn->kind = X86_MMIO_KIND_MOVE;
		insn->direction = X86_MMIO_READ;
		insn->operand_size = operand_size;
		insn->access_size = operand_size == 8 ? 4 : operand_size;
		insn->extend = operand_size == 8 ? X86_MMIO_EXTEND_SIGN : X86_MMIO_EXTEND_NONE;
		set_register(insn, reg, operand_size);
		return 0;
	case 0xA4: case 0xA5: /* MOVS */
	case 0xAA: case 0xAB: /* STOS */
	case 0xAC: case 0xAD: /* LODS */
		decode_string(insn, opcode, operand_size, rep_prefix);
		return 0;
	case 0x80: /* group 1 r/m8, imm8 */
	case 0x81: /* group 1 r/m, imm16/32 */
	case 0x83: /* group 1 r/m, imm8 sign-extended */
		if (decode_modrm(d, insn, insn->address_size, insn->rex, &reg, &insn->memory))
			return -1;
		insn->kind = X86_MMIO_KIND_ALU_TO_MEMORY;
		insn->alu_op = alu_op_of(reg);
		insn->direction = insn->alu_op == X86_MMIO_ALU_CMP ? X86_MMIO_READ
								   : X86_MMIO_READ_MODIFY_WRITE;
		insn->access_size = opcode == 0x80 ? 1 : operand_size;
		insn->operand_size = insn->access_size;
		return fetch_immediate(d, insn,
				       opcode == 0x81 ? (operand_size > 4 ? 4 : operand_size) : 1);
	case 0xF6: /* group 3 r/m8: /0 TEST imm8, /2 NOT, /3 NEG */
	case 0xF7: /* group 3 r/m: /0 TEST imm16/32, /2 NOT, /3 NEG */
		if (decode_modrm(d, insn, insn->address_size, insn->rex, &reg, &insn->memory))
			return -1;
		insn->kind = X86_MMIO_KIND_ALU_TO_MEMORY;
		insn->access_size = opcode == 0xF6 ? 1 : operand_size;
		insn->operand_size = insn->access_size;
		if (reg == 0) {
			insn->alu_op = X86_MMIO_ALU_TEST;
			insn->direction = X86_MMIO_READ;
			return fetch_immediate(d, insn, insn->access_size > 4 ? 4 : insn->access_size);
		}
		/* /1 (an undocumented TEST alias on some processors) and /4-/7 (MUL, IMUL, DIV,
		 * IDIV) are not emulated. */
		if (reg != 2 && reg != 3)
			return unsupported_group(d, insn, reg, opcode_at);
		insn->alu_op = reg == 2 ? X86_MMIO_ALU_NOT : X86_MMIO_ALU_NEG;
		insn->direction = X86_MMIO_READ_MODIFY_WRITE;
		insn->operand = X86_MMIO_OPERAND_NONE;
		return 0;
	case 0xFE: /* group 4: /0 INC r/m8, /1 DEC r/m8 */
	case 0xFF: /* group 5: /0 INC, /1 DEC, /6 PUSH r/m */
		if (decode_modrm(d, insn, insn->address_size, insn->rex, &reg, &insn->memory))
			return -1;
		if (reg == 6 && opcode == 0xFF) {
			/* PUSH r/m: 64 bits in 64-bit mode unless 66 makes it 16 (REX.W changes
			 * nothing; 32 cannot be encoded), else the mode's operand size (SDM Vol. 2B
			 * "PUSH"). */
			unsigned size = long_mode && operand_size != 2 ? 8 : operand_size;

			insn->kind = X86_MMIO_KIND_PUSH;
			insn->direction = X86_MMIO_COPY;
			insn->operand = X86_MMIO_OPERAND_NONE;
			insn->access_size = size;
			insn->operand_size = size;
			return 0;
		}
		/* FF /2-/5 (CALL, JMP, near and far through memory) and /7 are not emulated. */
		if (reg > 1)
			return unsupported_group(d, insn, reg, opcode_at);
		insn->kind = X86_MMIO_KIND_ALU_TO_MEMORY;
		insn->alu_op = reg == 0 ? X86_MMIO_ALU_INC : X86_MMIO_ALU_DEC;
		insn->direction = X86_MMIO_READ_MODIFY_WRITE;
		insn->operand = X86_MMIO_OPERAND_NONE;
		insn->access_size = opcode == 0xFE ? 1 : operand_size;
		insn->operand_size = insn->access_size;
		return 0;
	case 0x8F: /* group 1A: /0 POP r/m (other /n: AMD's XOP prefix) */
		if (decode_modrm(d, insn, insn->address_size, insn->rex, &reg, &insn->memory))
			return -1;
		if (reg != 0)
			return unsupported_group(d, insn, reg, opcode_at);
		insn->kind = X86_MMIO_KIND_POP;
		insn->direction = X86_MMIO_COPY;
		insn->operand = X86_MMIO_OPERAND_NONE;
		insn->access_size = long_mode && operand_size != 2 ? 8 : operand_size;
		insn->operand_size = insn->access_size;
		return 0;
	default:
		return unsupported_opcode(d, insn, opcode_at);
	}
}

/* VEX (C4, C5) and EVEX (62) in 64-bit mode; outside it, the same bytes followed by a ModRM
 * byte with mod=11 (SDM Vol. 2 §2.3.5 "The VEX Prefix": "In 32-bit modes, VEX ... prefix bytes
 * C4H/C5H ... are interpreted as LES/LDS ... if the mod field of the following byte is not
 * 11B"; §2.7.1 for EVEX and BOUND). Returns 1 when `opcode` is none of these. */
static int refuse_vex(struct decoder *d, uint8_t opcode, size_t opcode_at)
{
	const char *name = opcode == 0x62 ? "EVEX" : "VEX";
	uint8_t next = 0;

	if (opcode != 0xC4 && opcode != 0xC5 && opcode != 0x62)
		return 1;
	if (d->mode != X86_MODE_LONG64) {
		if (fetch_byte(d, "byte after the opcode", &next))
			return -1;
		if ((next >> 6) != 3)
			return fail(d, "cannot emulate: opcode %02x (%s) at byte %zu", opcode,
				    opcode == 0x62 ? "BOUND" : opcode == 0xC4 ? "LES" : "LDS",
				    opcode_at);
	}
	return fail(d, "cannot emulate: SSE/AVX move or other %s-encoded instruction (%02x at byte "
		    "%zu) on device memory", name, opcode, opcode_at);
}

int x86_decode_mmio(const uint8_t *bytes, size_t available, enum x86_cpu_mode mode,
		    struct x86_mmio_insn *out, char *err, size_t err_len)
{
	struct decoder d = {
		.bytes = bytes, .available = available, .mode = mode, .err = err, .err_len = err_len,
	};
	struct prefixes p = { .segment = X86_SEGMENT_DEFAULT };
	struct x86_mmio_insn insn;
	bool sixteen_bit_mode = mode == X86_MODE_REAL16 || mode == X86_MODE_PROT16;
	unsigned operand_size, address_size;
	size_t opcode_at;
	uint8_t opcode = 0;
	int vex;

	if (err && err_len > 0)
		err[0] = '\0';
	if (mode != X86_MODE_REAL16 && mode != X86_MODE_PROT16 && mode != X86_MODE_PROT32 &&
	    mode != X86_MODE_LONG64)
		return fail(&d, "unknown CPU mode %d", (int)mode);
	if (decode_prefixes(&d, &p, &opcode))
		return -1;
	opcode_at = d.pos - 1;

	/* Default sizes from the mode, toggled by 66/67; REX.W makes the operand 64-bit and wins
	 * over 66 (SDM Vol. 2 §2.2.1.2 "More on REX Prefix Fields"). */
	if (p.rex & REX_W)
		operand_size = 8;
	else if (sixteen_bit_mode)
		operand_size = p.operand_size ? 4 : 2;
	else
		operand_size = p.operand_size ? 2 : 4;
	if (mode == X86_MODE_LONG64)
		address_size = p.address_size ? 4 : 8;
	else if (sixteen_bit_mode)
		address_size = p.address_size ? 4 : 2;
	else
		address_size = p.address_size ? 2 : 4;

	memset(&insn, 0, sizeof(insn));
	insn.rex = p.rex;
	insn.segment = p.segment;
	insn.lock = p.lock;
	insn.address_size = address_size;
	insn.opcode[0] = opcode;
	insn.opcode_length = 1;
	insn.memory.base = X86_NO_REGISTER;
	insn.memory.index = X86_NO_REGISTER;
	insn.memory.scale = 1;

	vex = refuse_vex(&d, opcode, opcode_at);
	if (vex <= 0)
		return -1;
	if (opcode >= 0xD8 && opcode <= 0xDF)
		return fail(&d, "cannot emulate: x87 instruction (opcode %02x at byte %zu) on device "
			    "memory", opcode, opcode_at);
	if (opcode == 0x0F) {
		uint8_t second = 0;

		if (fetch_byte(&d, "second opcode byte", &second))
			return -1;
		insn.opcode[1] = second;
		insn.opcode_length = 2;
		if (decode_0f(&d, &insn, operand_size, opcode_at))
			return -1;
	} else if (decode_one_byte(&d, &insn, opcode, operand_size, p.rep, opcode_at)) {
		return -1;
	}

	if (p.lock && !lock_allowed(&insn)) {
		if (insn.opcode_length == 2)
			return fail(&d, "cannot emulate: LOCK prefix on opcode 0f %02x at byte %zu "
				    "(#UD on the processor)", insn.opcode[1], opcode_at);
		return fail(&d, "cannot emulate: LOCK prefix on opcode %02x at byte %zu (#UD on the "
			    "processor)", insn.opcode[0], opcode_at);
	}
	insn.register_write = register_write_for(insn.operand_size);
	insn.length = (unsigned)d.pos;
	*out = insn;
	return 0;
}

uint64_t x86_mmio_register_result(const struct x86_mmio_insn *insn, uint64_t old_register,
				  uint64_t result)
{
	uint64_t mask = size_mask(insn->operand_size);

	result &= mask;
	if (insn->high_byte)
		return (old_register & ~0xFF00ull) | (result << 8);
	switch (insn->register_write) {
	case X86_MMIO_REGISTER_MERGE:
		return (old_register & ~mask) | result;
	case X86_MMIO_REGISTER_ZERO_UPPER:
	case X86_MMIO_REGISTER_REPLACE:
	default:
		return result;
	}
}

uint64_t x86_mmio_merge_read(const struct x86_mmio_insn *insn, uint64_t old_register,
			     uint64_t value_read)
{
	uint64_t value = value_read & size_mask(insn->access_size);

	if (insn->direction != X86_MMIO_READ ||
	    (insn->kind != X86_MMIO_KIND_MOVE && insn->kind != X86_MMIO_KIND_LODS))
		return old_register;
	if (insn->extend == X86_MMIO_EXTEND_SIGN)
		value = sign_extend(value, insn->access_size);
	return x86_mmio_register_result(insn, old_register, value);
}

uint64_t x86_mmio_write_value(const struct x86_mmio_insn *insn, uint64_t source_register)
{
	uint64_t mask = size_mask(insn->access_size);

	if (insn->operand == X86_MMIO_OPERAND_IMMEDIATE)
		return insn->immediate & mask;
	if (insn->operand == X86_MMIO_OPERAND_NONE)
		return 0;
	if (insn->high_byte)
		return (source_register >> 8) & 0xFF;
	return source_register & mask;
}

bool x86_mmio_alu_writes_result(enum x86_mmio_alu_op op)
{
	return op != X86_MMIO_ALU_NONE && op != X86_MMIO_ALU_CMP && op != X86_MMIO_ALU_TEST &&
	       op != X86_MMIO_ALU_BT;
}

/* PF: set when the low byte of the result has an even number of 1 bits. */
static bool even_parity(uint64_t result)
{
	uint8_t b = (uint8_t)result;

	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return !(b & 1);
}

/* SF, ZF, PF from a result of `size` bytes. */
static uint64_t result_flags(uint64_t result, unsigned size)
{
	uint64_t flags = 0;

	if (result == 0)
		flags |= RFLAGS_ZF;
	if (result & (1ull << (8 * size - 1)))
		flags |= RFLAGS_SF;
	if (even_parity(result))
		flags |= RFLAGS_PF;
	return flags;
}

/* a + b + carry_in and its CF, OF, AF (SDM Vol. 1 §3.4.3.1 "Status Flags": CF "Set if an
 * arithmetic operation generates a carry or a borrow out of the most-significant bit", OF "Set
 * if the integer result is too large a positive number or too small a negative number", AF
 * "Set if an arithmetic operation generates a carry or a borrow out of bit 3"). */
static uint64_t add_with_flags(uint64_t a, uint64_t b, unsigned carry_in, unsigned size,
			       uint64_t *flags)
{
	uint64_t mask = size_mask(size), sign = 1ull << (8 * size - 1);
	uint64_t result = (a + b + carry_in) & mask;

	/* Carry out of the top bit: the truncated sum wrapped (with a carry in, equal counts). */
	if (result < a || (carry_in && result == a))
		*flags |= RFLAGS_CF;
	if ((a ^ result) & (b ^ result) & sign)
		*flags |= RFLAGS_OF;
	if ((a ^ b ^ result) & 0x10)
		*flags |= RFLAGS_AF;
	return result;
}

/* a - b - borrow_in and its CF (borrow), OF, AF. */
static uint64_t sub_with_flags(uint64_t a, uint64_t b, unsigned borrow_in, unsigned size,
			       uint64_t *flags)
{
	uint64_t mask = size_mask(size), sign = 1ull << (8 * size - 1);
	uint64_t result = (a - b - borrow_in) & mask;

	if (a < b || (borrow_in && a == b))
		*flags |= RFLAGS_CF;
	if ((a ^ b) & (a ^ result) & sign)
		*flags |= RFLAGS_OF;
	if ((a ^ b ^ result) & 0x10)
		*flags |= RFLAGS_AF;
	return result;
}

uint64_t x86_mmio_alu_apply(const struct x86_mmio_insn *insn, uint64_t destination,
			    uint64_t source, uint64_t *rflags)
{
	unsigned size = insn->access_size;
	uint64_t mask = size_mask(size);
	uint64_t a = destination & mask, b = source & mask, result;
	unsigned carry = (*rflags & RFLAGS_CF) ? 1 : 0;
	uint64_t flags = 0, bit;

	switch (insn->alu_op) {
	case X86_MMIO_ALU_ADD:
		result = add_with_flags(a, b, 0, size, &flags);
		break;
	case X86_MMIO_ALU_ADC:
		result = add_with_flags(a, b, carry, size, &flags);
		break;
	case X86_MMIO_ALU_SUB:
	case X86_MMIO_ALU_CMP:
		result = sub_with_flags(a, b, 0, size, &flags);
		break;
	case X86_MMIO_ALU_SBB:
		result = sub_with_flags(a, b, carry, size, &flags);
		break;
	case X86_MMIO_ALU_NEG:
		/* "The CF flag set to 0 if the source operand is 0; otherwise it is set to 1. The
		 * OF, SF, ZF, AF, and PF flags are set according to the result": 0 - operand. */
		result = sub_with_flags(0, a, 0, size, &flags);
		break;
	case X86_MMIO_ALU_INC:
	case X86_MMIO_ALU_DEC:
		/* "The CF flag is not affected. The OF, SF, ZF, AF, and PF flags are set according
		 * to the result." */
		if (insn->alu_op == X86_MMIO_ALU_INC)
			result = add_with_flags(a, 1, 0, size, &flags);
		else
			result = sub_with_flags(a, 1, 0, size, &flags);
		flags = (flags & ~RFLAGS_CF) | (*rflags & RFLAGS_CF);
		break;
	case X86_MMIO_ALU_OR:
		result = a | b;
		break;
	case X86_MMIO_ALU_AND:
	case X86_MMIO_ALU_TEST:
		result = a & b;
		break;
	case X86_MMIO_ALU_XOR:
		result = a ^ b;
		break;
	case X86_MMIO_ALU_NOT:
		/* "Flags Affected: None." */
		return ~a & mask;
	case X86_MMIO_ALU_BT:
	case X86_MMIO_ALU_BTS:
	case X86_MMIO_ALU_BTR:
	case X86_MMIO_ALU_BTC:
		/* CF := the bit; ZF kept; OF, SF, AF, PF undefined: kept as they were. */
		bit = 1ull << (b & (8 * size - 1));
		*rflags = (*rflags & ~RFLAGS_CF) | ((a & bit) ? RFLAGS_CF : 0);
		if (insn->alu_op == X86_MMIO_ALU_BTS)
			return a | bit;
		if (insn->alu_op == X86_MMIO_ALU_BTR)
			return a & ~bit;
		if (insn->alu_op == X86_MMIO_ALU_BTC)
			return a ^ bit;
		return a;
	case X86_MMIO_ALU_NONE:
	default:
		/* Not an ALU operation: the destination keeps its value, flags untouched. */
		return a;
	}
	*rflags = (*rflags & ~RFLAGS_ARITHMETIC) | flags | result_flags(result, size);
	if (insn->alu_op == X86_MMIO_ALU_CMP || insn->alu_op == X86_MMIO_ALU_TEST)
		return a;
	return result;
}

uint64_t x86_mmio_cmpxchg(const struct x86_mmio_insn *insn, uint64_t memory, uint64_t accumulator,
			  uint64_t source, uint64_t *rflags, bool *load_accumulator)
{
	unsigned size = insn->access_size;
	uint64_t mask = size_mask(size), flags = 0, result;

	memory &= mask;
	accumulator &= mask;
	result = sub_with_flags(accumulator, memory, 0, size, &flags);
	*rflags = (*rflags & ~RFLAGS_ARITHMETIC) | flags | result_flags(result, size);
	*load_accumulator = accumulator != memory;
	return accumulator == memory ? source & mask : memory;
}
