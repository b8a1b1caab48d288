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

/* The group opcodes (80, 81, 83, C6, C7) keep the operation in ModRM.reg. */
static int unsupported_group(struct decoder *d, uint8_t opcode, unsigned reg, size_t at)
{
	return fail(d, "cannot emulate: opcode %02x /%u at byte %zu", opcode, reg, at);
}

/* ModRM.reg of the immediate group 1 (80, 81, 83): /0 ADD, /1 OR, /4 AND, /6 XOR; /2 ADC,
 * /3 SBB, /5 SUB and /7 CMP are not emulated. */
static enum x86_mmio_alu_op group1_op(unsigned reg)
{
	switch (reg) {
	case 0: return X86_MMIO_ALU_ADD;
	case 1: return X86_MMIO_ALU_OR;
	case 4: return X86_MMIO_ALU_AND;
	case 6: return X86_MMIO_ALU_XOR;
	default: return X86_MMIO_ALU_NONE;
	}
}

/* The ALU r/m,r forms: 00/01 ADD, 08/09 OR, 20/21 AND, 30/31 XOR (even opcode: 8-bit). */
static enum x86_mmio_alu_op alu_rm_reg_op(uint8_t opcode)
{
	switch (opcode & ~1u) {
	case 0x00: return X86_MMIO_ALU_ADD;
	case 0x08: return X86_MMIO_ALU_OR;
	case 0x20: return X86_MMIO_ALU_AND;
	case 0x30: return X86_MMIO_ALU_XOR;
	default: return X86_MMIO_ALU_NONE;
	}
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

int x86_decode_mmio(const uint8_t *bytes, size_t available, enum x86_cpu_mode mode,
		    struct x86_mmio_insn *out, char *err, size_t err_len)
{
	struct decoder d = {
		.bytes = bytes, .available = available, .mode = mode, .err = err, .err_len = err_len,
	};
	struct prefixes p = { .segment = X86_SEGMENT_DEFAULT };
	struct x86_mmio_insn insn;
	bool sixteen_bit_mode = mode == X86_MODE_REAL16 || mode == X86_MODE_PROT16;
	unsigned operand_size, address_size, reg = 0;
	size_t opcode_at;
	uint8_t opcode = 0;

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

	if (opcode == 0x0F) {
		uint8_t second = 0;

		if (fetch_byte(&d, "second opcode byte", &second))
			return -1;
		insn.opcode[1] = second;
		insn.opcode_length = 2;
		switch (second) {
		case 0xB6: /* MOVZX r16/32/64, r/m8 */
		case 0xB7: /* MOVZX r32/64, r/m16 */
		case 0xBE: /* MOVSX r16/32/64, r/m8 */
		case 0xBF: /* MOVSX r32/64, r/m16 */
			if (decode_modrm(&d, &insn, address_size, p.rex, &reg, &insn.memory))
				return -1;
			insn.direction = X86_MMIO_READ;
			insn.access_size = second & 1 ? 2 : 1;
			insn.operand_size = operand_size;
			/* 66 0F B7 / 66 0F BF: a 16-bit move, nothing to extend. */
			if (insn.access_size == operand_size)
				insn.extend = X86_MMIO_EXTEND_NONE;
			else
				insn.extend = second & 8 ? X86_MMIO_EXTEND_SIGN : X86_MMIO_EXTEND_ZERO;
			set_register(&insn, reg, operand_size);
			break;
		default:
			return unsupported_opcode(&d, &insn, opcode_at);
		}
	} else {
		switch (opcode) {
		case 0x88: /* MOV r/m8, r8 */
		case 0x89: /* MOV r/m, r */
		case 0x8A: /* MOV r8, r/m8 */
		case 0x8B: /* MOV r, r/m */
			if (decode_modrm(&d, &insn, address_size, p.rex, &reg, &insn.memory))
				return -1;
			insn.direction = opcode & 2 ? X86_MMIO_READ : X86_MMIO_WRITE;
			insn.access_size = opcode & 1 ? operand_size : 1;
			insn.operand_size = insn.access_size;
			set_register(&insn, reg, insn.access_size);
			break;
		case 0xC6: /* MOV r/m8, imm8 */
		case 0xC7: /* MOV r/m, imm16/32 (imm32 sign-extended with REX.W) */
			if (decode_modrm(&d, &insn, address_size, p.rex, &reg, &insn.memory))
				return -1;
			if (reg != 0) /* C6 /7, C7 /7 with mod=11 are XABORT, XBEGIN */
				return unsupported_group(&d, opcode, reg, opcode_at);
			insn.direction = X86_MMIO_WRITE;
			insn.access_size = opcode == 0xC6 ? 1 : operand_size;
			insn.operand_size = insn.access_size;
			if (fetch_immediate(&d, &insn, insn.access_size > 4 ? 4 : insn.access_size))
				return -1;
			break;
		case 0xA0: /* MOV AL, moffs8 */
		case 0xA1: /* MOV rAX, moffs */
		case 0xA2: /* MOV moffs8, AL */
		case 0xA3: /* MOV moffs, rAX */
			/* The offset has the address size: 8 bytes in 64-bit mode, 4 with 67 (SDM
			 * Vol. 2 §2.2.1.4 "Direct Memory-Offset MOVs"). */
			insn.memory.form = X86_MEMORY_OFFSET;
			if (fetch_field(&d, "memory offset", address_size, &insn.memory.displacement))
				return -1;
			insn.direction = opcode & 2 ? X86_MMIO_WRITE : X86_MMIO_READ;
			insn.access_size = opcode & 1 ? operand_size : 1;
			insn.operand_size = insn.access_size;
			insn.operand = X86_MMIO_OPERAND_REGISTER;
			insn.gpr = 0;
			break;
		case 0x63: /* MOVSXD r64, r/m32 (and r32/r16 forms without REX.W) */
			/* Outside 64-bit mode 63 is ARPL, which no MMIO emulation needs. */
			if (mode != X86_MODE_LONG64)
				return unsupported_opcode(&d, &insn, opcode_at);
			if (decode_modrm(&d, &insn, address_size, p.rex, &reg, &insn.memory))
				return -1;
			insn.direction = X86_MMIO_READ;
			insn.operand_size = operand_size;
			insn.access_size = operand_size == 8 ? 4 : operand_size;
			insn.extend = operand_size == 8 ? X86_MMIO_EXTEND_SIGN : X86_MMIO_EXTEND_NONE;
			set_register(&insn, reg, operand_size);
			break;
		case 0xAA: /* STOS m8 from AL */
		case 0xAB: /* STOS m16/32/64 from rAX */
			insn.memory.form = X86_MEMORY_STRING;
			insn.memory.base = 7;
			insn.direction = X86_MMIO_WRITE;
			insn.access_size = opcode == 0xAB ? operand_size : 1;
			insn.operand_size = insn.access_size;
			insn.operand = X86_MMIO_OPERAND_REGISTER;
			insn.gpr = 0;
			insn.string = true;
			/* F2 on STOS repeats like F3: processors treat both as REP there. */
			insn.rep = p.rep;
			break;
		case 0x00: case 0x01: /* ADD r/m, r */
		case 0x08: case 0x09: /* OR r/m, r */
		case 0x20: case 0x21: /* AND r/m, r */
		case 0x30: case 0x31: /* XOR r/m, r */
			if (decode_modrm(&d, &insn, address_size, p.rex, &reg, &insn.memory))
				return -1;
			insn.direction = X86_MMIO_READ_MODIFY_WRITE;
			insn.alu_op = alu_rm_reg_op(opcode);
			insn.access_size = opcode & 1 ? operand_size : 1;
			insn.operand_size = insn.access_size;
			set_register(&insn, reg, insn.access_size);
			break;
		case 0x80: /* group 1 r/m8, imm8 */
		case 0x81: /* group 1 r/m, imm16/32 */
		case 0x83: /* group 1 r/m, imm8 sign-extended */
			if (decode_modrm(&d, &insn, address_size, p.rex, &reg, &insn.memory))
				return -1;
			insn.alu_op = group1_op(reg);
			if (insn.alu_op == X86_MMIO_ALU_NONE)
				return unsupported_group(&d, opcode, reg, opcode_at);
			insn.direction = X86_MMIO_READ_MODIFY_WRITE;
			insn.access_size = opcode == 0x80 ? 1 : operand_size;
			insn.operand_size = insn.access_size;
			if (fetch_immediate(&d, &insn,
					    opcode == 0x81 ? (operand_size > 4 ? 4 : operand_size) : 1))
				return -1;
			break;
		default:
			return unsupported_opcode(&d, &insn, opcode_at);
		}
	}

	/* "The LOCK prefix can be prepended only to the following instructions and only to those
	 * forms of the instructions where the destination operand is a memory operand: ADD, ADC,
	 * AND, ... OR, ... XOR ... An undefined opcode exception will also be generated if the
	 * LOCK prefix is used with any instruction not in the above list" (SDM Vol. 2 "LOCK"). */
	if (p.lock && insn.direction != X86_MMIO_READ_MODIFY_WRITE) {
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

uint64_t x86_mmio_merge_read(const struct x86_mmio_insn *insn, uint64_t old_register,
			     uint64_t value_read)
{
	uint64_t value = value_read & size_mask(insn->access_size);
	uint64_t mask = size_mask(insn->operand_size);

	if (insn->direction != X86_MMIO_READ)
		return old_register;
	if (insn->extend == X86_MMIO_EXTEND_SIGN)
		value = sign_extend(value, insn->access_size);
	value &= mask;
	if (insn->high_byte)
		return (old_register & ~0xFF00ull) | (value << 8);
	switch (insn->register_write) {
	case X86_MMIO_REGISTER_MERGE:
		return (old_register & ~mask) | value;
	case X86_MMIO_REGISTER_ZERO_UPPER:
	case X86_MMIO_REGISTER_REPLACE:
	default:
		return value;
	}
}

uint64_t x86_mmio_write_value(const struct x86_mmio_insn *insn, uint64_t source_register)
{
	uint64_t mask = size_mask(insn->access_size);

	if (insn->operand == X86_MMIO_OPERAND_IMMEDIATE)
		return insn->immediate & mask;
	if (insn->high_byte)
		return (source_register >> 8) & 0xFF;
	return source_register & mask;
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

uint64_t x86_mmio_alu_apply(const struct x86_mmio_insn *insn, uint64_t memory_value,
			    uint64_t source_value, uint64_t *rflags)
{
	unsigned size = insn->access_size;
	uint64_t mask = size_mask(size);
	uint64_t sign = 1ull << (8 * size - 1);
	uint64_t a = memory_value & mask, b = source_value & mask, result;
	uint64_t flags = *rflags & ~RFLAGS_ARITHMETIC;

	switch (insn->alu_op) {
	case X86_MMIO_ALU_ADD:
		result = (a + b) & mask;
		if (result < a)
			flags |= RFLAGS_CF;
		if ((a ^ result) & (b ^ result) & sign)
			flags |= RFLAGS_OF;
		if ((a ^ b ^ result) & 0x10)
			flags |= RFLAGS_AF;
		break;
	case X86_MMIO_ALU_OR:
		result = a | b;
		break;
	case X86_MMIO_ALU_AND:
		result = a & b;
		break;
	case X86_MMIO_ALU_XOR:
		result = a ^ b;
		break;
	case X86_MMIO_ALU_NONE:
	default:
		/* Not a read-modify-write: memory keeps its value, flags untouched. */
		return a;
	}
	if (result == 0)
		flags |= RFLAGS_ZF;
	if (result & sign)
		flags |= RFLAGS_SF;
	if (even_parity(result))
		flags |= RFLAGS_PF;
	*rflags = flags;
	return result;
}
