/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmx/x86_decode.c: a table of encodings with every field the MMIO path uses,
 * a table of malformed encodings with the reason expected, every truncation of every valid
 * encoding from an exact-size heap buffer (AddressSanitizer catches any read past `available`),
 * exhaustive two-byte and pseudo-random inputs in every mode, and the register merge, write
 * value, ALU and CMPXCHG helpers, the last two also against the host processor running the same
 * instructions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmx/x86_decode.h"

#define NONE X86_NO_REGISTER
#define ALL_ONES 0xFFFFFFFFFFFFFFFFull

/* Short names for the table rows. */
#define L64 X86_MODE_LONG64
#define P32 X86_MODE_PROT32
#define P16 X86_MODE_PROT16
#define R16 X86_MODE_REAL16

/* One valid encoding and what the decoder must say about it. Zero means "the usual": operand
 * register, operand_size = access_size, no extension, address size of the mode, no prefix
 * flags; the memory operand, the merge and the write value are checked only when given. */
struct decode_case {
	const char *name;
	enum x86_cpu_mode mode;
	uint8_t bytes[X86_MAX_INSTRUCTION_LENGTH];
	size_t byte_count;
	enum x86_mmio_direction direction;
	enum x86_mmio_alu_op alu_op;
	unsigned access_size;
	unsigned operand_size;
	enum x86_mmio_operand operand;
	unsigned gpr;
	bool high_byte;
	uint64_t immediate;
	enum x86_mmio_extend extend;
	unsigned address_size;
	enum x86_segment segment;
	bool lock, rep, string;

	bool check_memory;
	enum x86_memory_form form;
	int base, index;
	unsigned scale;
	uint64_t displacement;

	bool check_merge;          /* x86_mmio_merge_read(old_register, value_read) == merged */
	uint64_t old_register, value_read, merged;

	bool check_write;          /* x86_mmio_write_value(source_register) == written */
	uint64_t source_register, written;

	bool check_kind;           /* else MOVE, STOS (string) or ALU_TO_MEMORY (alu_op) */
	enum x86_mmio_kind kind;
};

#define BYTES(...) .bytes = { __VA_ARGS__ }, .byte_count = sizeof((const uint8_t[]){ __VA_ARGS__ })
#define READ(size) .direction = X86_MMIO_READ, .access_size = (size)
#define WRITE(size) .direction = X86_MMIO_WRITE, .access_size = (size)
#define RMW(size, op) .direction = X86_MMIO_READ_MODIFY_WRITE, .access_size = (size), \
	.alu_op = X86_MMIO_ALU_##op
#define KIND(k) .check_kind = true, .kind = X86_MMIO_KIND_##k
/* A memory destination that is written back / only read (CMP, TEST, BT). */
#define ALU_MEM(size, op) RMW(size, op), KIND(ALU_TO_MEMORY)
#define ALU_FLAGS(size, op) .direction = X86_MMIO_READ, .access_size = (size), \
	.alu_op = X86_MMIO_ALU_##op, KIND(ALU_TO_MEMORY)
#define ALU_REG(size, op) .direction = X86_MMIO_READ, .access_size = (size), \
	.alu_op = X86_MMIO_ALU_##op, KIND(ALU_TO_REGISTER)
#define UNARY(size, op) RMW(size, op), KIND(ALU_TO_MEMORY), .operand = X86_MMIO_OPERAND_NONE
#define RMW_KIND(size, k) .direction = X86_MMIO_READ_MODIFY_WRITE, .access_size = (size), KIND(k)
#define COPY(size, k) .direction = X86_MMIO_COPY, .access_size = (size), KIND(k), \
	.operand = X86_MMIO_OPERAND_NONE
#define REG(n) .gpr = (n)
#define HIGH(n) .gpr = (n), .high_byte = true
#define IMM(v) .operand = X86_MMIO_OPERAND_IMMEDIATE, .immediate = (v)
#define MEM(f, b, i, s, d) .check_memory = true, .form = X86_MEMORY_##f, .base = (b), \
	.index = (i), .scale = (s), .displacement = (uint64_t)(d)
#define MERGE(old, read, want) .check_merge = true, .old_register = (old), .value_read = (read), \
	.merged = (want)
#define WRITES(source, want) .check_write = true, .source_register = (source), .written = (want)
#define ZX(size) .operand_size = (size), .extend = X86_MMIO_EXTEND_ZERO
#define SX(size) .operand_size = (size), .extend = X86_MMIO_EXTEND_SIGN

static const struct decode_case cases[] = {
	/* MOV r/m, r (89) and its prefixes. */
	{ "mov [rcx], eax", L64, BYTES(0x89, 0x01), WRITE(4), REG(0),
	  MEM(MODRM, 1, NONE, 1, 0), WRITES(0x1122334455667788, 0x55667788) },
	{ "mov [rcx], rax", L64, BYTES(0x48, 0x89, 0x01), WRITE(8), REG(0),
	  WRITES(0x1122334455667788, 0x1122334455667788) },
	{ "mov [rcx], ax", L64, BYTES(0x66, 0x89, 0x01), WRITE(2), REG(0),
	  WRITES(0x1122334455667788, 0x7788) },
	{ "66 then REX.W: REX.W wins", L64, BYTES(0x66, 0x48, 0x89, 0x01), WRITE(8), REG(0) },
	{ "REX.W then 66: the REX is ignored", L64, BYTES(0x48, 0x66, 0x89, 0x01), WRITE(2), REG(0) },
	{ "two REX: only the last counts", L64, BYTES(0x41, 0x48, 0x89, 0x01), WRITE(8), REG(0),
	  MEM(MODRM, 1, NONE, 1, 0) },
	{ "mov [rcx], r8d (REX.R)", L64, BYTES(0x44, 0x89, 0x01), WRITE(4), REG(8) },
	{ "mov [r9], eax (REX.B)", L64, BYTES(0x41, 0x89, 0x01), WRITE(4), REG(0),
	  MEM(MODRM, 9, NONE, 1, 0) },
	{ "mov [r9], r15 (REX.WRB)", L64, BYTES(0x4D, 0x89, 0x39), WRITE(8), REG(15),
	  MEM(MODRM, 9, NONE, 1, 0) },

	/* MOV r, r/m (8B): RIP-relative and the 32/64-bit ModRM and SIB forms. */
	{ "mov eax, [rip+disp32]", L64, BYTES(0x8B, 0x05, 0x78, 0x56, 0x34, 0x12), READ(4), REG(0),
	  MEM(RIP_RELATIVE, NONE, NONE, 1, 0x12345678),
	  MERGE(ALL_ONES, 0x00050014, 0x00050014) },
	{ "mov ecx, [rip-4]", L64, BYTES(0x8B, 0x0D, 0xFC, 0xFF, 0xFF, 0xFF), READ(4), REG(1),
	  MEM(RIP_RELATIVE, NONE, NONE, 1, -4) },
	{ "mov eax, [eip+disp32] (67)", L64, BYTES(0x67, 0x8B, 0x05, 0x78, 0x56, 0x34, 0x12),
	  READ(4), REG(0), .address_size = 4, MEM(RIP_RELATIVE, NONE, NONE, 1, 0x12345678) },
	{ "REX.B keeps mod=00 rm=101 RIP-relative", L64,
	  BYTES(0x41, 0x8B, 0x05, 0x10, 0x00, 0x00, 0x00), READ(4), REG(0),
	  MEM(RIP_RELATIVE, NONE, NONE, 1, 0x10) },
	{ "mov ah, [rip+8]", L64, BYTES(0x8A, 0x25, 0x08, 0x00, 0x00, 0x00), READ(1), HIGH(0),
	  MERGE(0x1122334455667788, 0xAB, 0x112233445566AB88) },
	{ "mov spl, [rip+8] (REX 40)", L64, BYTES(0x40, 0x8A, 0x25, 0x08, 0x00, 0x00, 0x00),
	  READ(1), REG(4), MERGE(0x1122334455667788, 0xAB, 0x11223344556677AB) },
	{ "mov cl, [rsi]", L64, BYTES(0x8A, 0x0E), READ(1), REG(1),
	  MERGE(ALL_ONES, 0x12, 0xFFFFFFFFFFFFFF12) },
	{ "mov ch, [rsi]", L64, BYTES(0x8A, 0x2E), READ(1), HIGH(1), MERGE(0, 0x12, 0x1200) },
	{ "mov dh, [rsi]", L64, BYTES(0x8A, 0x36), READ(1), HIGH(2),
	  MERGE(ALL_ONES, 0x00, 0xFFFFFFFFFFFF00FF) },
	{ "mov bh, [rsi]", L64, BYTES(0x8A, 0x3E), READ(1), HIGH(3), MERGE(0x34, 0x1FF, 0xFF34) },
	{ "mov [rbx], bh", L64, BYTES(0x88, 0x3B), WRITE(1), HIGH(3), WRITES(0xAABB, 0xAA) },
	{ "mov [rbx], dil (REX 40)", L64, BYTES(0x40, 0x88, 0x3B), WRITE(1), REG(7),
	  WRITES(0x1234, 0x34) },
	{ "mov [rbx], r15b", L64, BYTES(0x44, 0x88, 0x3B), WRITE(1), REG(15) },
	{ "mov [rbx], bpl (REX.W on a byte move)", L64, BYTES(0x48, 0x88, 0x2B), WRITE(1), REG(5),
	  MEM(MODRM, 3, NONE, 1, 0) },
	{ "mov dx, [rax]", L64, BYTES(0x66, 0x8B, 0x10), READ(2), REG(2),
	  MERGE(0x1111111111111111, 0xBEEF, 0x111111111111BEEF) },
	{ "mov rdx, [rax]", L64, BYTES(0x48, 0x8B, 0x10), READ(8), REG(2),
	  MERGE(0, 0x8877665544332211, 0x8877665544332211) },
	{ "mov eax, [rsp+8]", L64, BYTES(0x8B, 0x44, 0x24, 0x08), READ(4), REG(0),
	  MEM(MODRM, 4, NONE, 1, 8) },
	{ "mov eax, [rcx*4+disp32] (SIB base=101 mod=00)", L64,
	  BYTES(0x8B, 0x04, 0x8D, 0x00, 0x03, 0xE0, 0xFE), READ(4), REG(0),
	  MEM(MODRM, NONE, 1, 4, 0xFFFFFFFFFEE00300) },
	{ "mov eax, [rax+rcx*8+disp32]", L64, BYTES(0x8B, 0x84, 0xC8, 0x20, 0x03, 0x00, 0x00),
	  READ(4), REG(0), MEM(MODRM, 0, 1, 8, 0x320) },
	{ "mov eax, [rax+r12] (REX.X: index 100 is R12)", L64, BYTES(0x42, 0x8B, 0x04, 0x20),
	  READ(4), REG(0), MEM(MODRM, 0, 12, 1, 0) },
	{ "mov eax, [rax] (SIB index 100: none)", L64, BYTES(0x8B, 0x04, 0x20), READ(4), REG(0),
	  MEM(MODRM, 0, NONE, 1, 0) },
	{ "mov eax, [r13+0] (REX.B, mod=01 rm=101)", L64, BYTES(0x41, 0x8B, 0x45, 0x00), READ(4),
	  REG(0), MEM(MODRM, 13, NONE, 1, 0) },
	{ "mov eax, [r12] (REX.B, rm=100 still takes a SIB)", L64, BYTES(0x41, 0x8B, 0x04, 0x24),
	  READ(4), REG(0), MEM(MODRM, 12, NONE, 1, 0) },
	{ "mov eax, [r13*2+disp32] (SIB base=101 mod=00 with REX.B: no base)", L64,
	  BYTES(0x43, 0x8B, 0x04, 0x6D, 0x10, 0x00, 0x00, 0x00), READ(4), REG(0),
	  MEM(MODRM, NONE, 13, 2, 0x10) },
	{ "mov eax, [rax+disp32]", L64, BYTES(0x8B, 0x80, 0x20, 0x03, 0x00, 0x00), READ(4), REG(0),
	  MEM(MODRM, 0, NONE, 1, 0x320) },
	{ "mov eax, [rax-16] (disp8)", L64, BYTES(0x8B, 0x40, 0xF0), READ(4), REG(0),
	  MEM(MODRM, 0, NONE, 1, -16) },
	{ "mov eax, [rbp+rsi*2+0x7f]", L64, BYTES(0x8B, 0x44, 0x75, 0x7F), READ(4), REG(0),
	  MEM(MODRM, 5, 6, 2, 0x7F) },
	{ "es: mov eax, [rcx]", L64, BYTES(0x26, 0x8B, 0x01), READ(4), REG(0),
	  .segment = X86_SEGMENT_ES },
	{ "fs: mov eax, [rcx]", L64, BYTES(0x64, 0x8B, 0x01), READ(4), REG(0),
	  .segment = X86_SEGMENT_FS },
	{ "gs: mov rax, [rcx]", L64, BYTES(0x65, 0x48, 0x8B, 0x01), READ(8), REG(0),
	  .segment = X86_SEGMENT_GS },
	{ "REX before a segment prefix is ignored", L64, BYTES(0x48, 0x65, 0x8B, 0x01), READ(4),
	  REG(0), .segment = X86_SEGMENT_GS },

	/* 32-bit protected mode. */
	{ "mov [ecx], eax", P32, BYTES(0x89, 0x01), WRITE(4), REG(0), MEM(MODRM, 1, NONE, 1, 0) },
	{ "mov eax, [disp32] (absolute outside 64-bit mode)", P32,
	  BYTES(0x8B, 0x05, 0x20, 0x03, 0xE0, 0xFE), READ(4), REG(0),
	  MEM(MODRM, NONE, NONE, 1, 0xFFFFFFFFFEE00320), MERGE(ALL_ONES, 0x10, 0x10) },
	{ "mov ax, [ecx]", P32, BYTES(0x66, 0x8B, 0x01), READ(2), REG(0),
	  MERGE(0xAAAAAAAABBBBCCCC, 0x1234, 0xAAAAAAAABBBB1234) },
	{ "67 in 32-bit mode: mov eax, [bx]", P32, BYTES(0x67, 0x8B, 0x07), READ(4), REG(0),
	  .address_size = 2, MEM(MODRM, 3, NONE, 1, 0) },
	{ "cs: mov [ecx], eax", P32, BYTES(0x2E, 0x89, 0x01), WRITE(4), REG(0),
	  .segment = X86_SEGMENT_CS },
	{ "ss: mov [ecx], eax", P32, BYTES(0x36, 0x89, 0x01), WRITE(4), REG(0),
	  .segment = X86_SEGMENT_SS },
	{ "ds: mov [ecx], eax", P32, BYTES(0x3E, 0x89, 0x01), WRITE(4), REG(0),
	  .segment = X86_SEGMENT_DS },
	{ "mov [ecx], ah", P32, BYTES(0x88, 0x21), WRITE(1), HIGH(0), WRITES(0x1234, 0x12) },
	{ "mov eax, [esp+ecx*4+0x10]", P32, BYTES(0x8B, 0x44, 0x8C, 0x10), READ(4), REG(0),
	  MEM(MODRM, 4, 1, 4, 0x10) },

	/* Real mode and 16-bit protected mode: Table 2-1 forms. */
	{ "mov ax, [bx]", R16, BYTES(0x8B, 0x07), READ(2), REG(0), MEM(MODRM, 3, NONE, 1, 0),
	  MERGE(0xFFFFFFFF, 0x1234, 0xFFFF1234) },
	{ "66 in real mode: mov eax, [bx]", R16, BYTES(0x66, 0x8B, 0x07), READ(4), REG(0) },
	{ "mov ax, [bx+si]", R16, BYTES(0x8B, 0x00), READ(2), REG(0), MEM(MODRM, 3, 6, 1, 0) },
	{ "mov ax, [bx+di]", R16, BYTES(0x8B, 0x01), READ(2), REG(0), MEM(MODRM, 3, 7, 1, 0) },
	{ "mov ax, [bp+si]", R16, BYTES(0x8B, 0x02), READ(2), REG(0), MEM(MODRM, 5, 6, 1, 0) },
	{ "mov ax, [bp+di]", R16, BYTES(0x8B, 0x03), READ(2), REG(0), MEM(MODRM, 5, 7, 1, 0) },
	{ "mov ax, [si]", R16, BYTES(0x8B, 0x04), READ(2), REG(0), MEM(MODRM, 6, NONE, 1, 0) },
	{ "mov ax, [di]", R16, BYTES(0x8B, 0x05), READ(2), REG(0), MEM(MODRM, 7, NONE, 1, 0) },
	{ "mov ax, [bp-2]", R16, BYTES(0x8B, 0x46, 0xFE), READ(2), REG(0),
	  MEM(MODRM, 5, NONE, 1, -2) },
	{ "mov ax, [0x1234] (mod=00 rm=110)", R16, BYTES(0x8B, 0x06, 0x34, 0x12), READ(2), REG(0),
	  MEM(MODRM, NONE, NONE, 1, 0x1234) },
	{ "mov ax, [bp+si+0x1234]", R16, BYTES(0x8B, 0x82, 0x34, 0x12), READ(2), REG(0),
	  MEM(MODRM, 5, 6, 1, 0x1234) },
	{ "mov dx, [bx-0x8000] (disp16)", R16, BYTES(0x8B, 0x97, 0x00, 0x80), READ(2), REG(2),
	  MEM(MODRM, 3, NONE, 1, -0x8000) },
	{ "67 in real mode: mov ax, [ecx]", R16, BYTES(0x67, 0x8B, 0x01), READ(2), REG(0),
	  .address_size = 4, MEM(MODRM, 1, NONE, 1, 0) },
	{ "67 in real mode with a SIB", R16, BYTES(0x67, 0x8B, 0x04, 0x8D, 0x00, 0x03, 0xE0, 0xFE),
	  READ(2), REG(0), .address_size = 4, MEM(MODRM, NONE, 1, 4, 0xFFFFFFFFFEE00300) },
	{ "mov [bx], al", R16, BYTES(0x88, 0x07), WRITE(1), REG(0) },
	{ "mov [bx], bh", R16, BYTES(0x88, 0x3F), WRITE(1), HIGH(3), WRITES(0x4200, 0x42) },
	{ "16-bit protected mode: mov ax, [bx]", P16, BYTES(0x8B, 0x07), READ(2), REG(0),
	  MEM(MODRM, 3, NONE, 1, 0) },
	{ "16-bit protected mode: 66 67 mov eax, [eax]", P16, BYTES(0x66, 0x67, 0x8B, 0x00),
	  READ(4), REG(0), .address_size = 4, MEM(MODRM, 0, NONE, 1, 0) },

	/* MOV r/m, imm (C6 /0, C7 /0). */
	{ "mov byte [rax], 0x7f", L64, BYTES(0xC6, 0x00, 0x7F), WRITE(1), IMM(0x7F),
	  WRITES(0xDEAD, 0x7F) },
	{ "mov dword [rax], imm32", L64, BYTES(0xC7, 0x00, 0x78, 0x56, 0x34, 0x12), WRITE(4),
	  IMM(0x12345678), WRITES(0, 0x12345678) },
	{ "mov qword [rax], -1 (imm32 sign-extended)", L64,
	  BYTES(0x48, 0xC7, 0x00, 0xFF, 0xFF, 0xFF, 0xFF), WRITE(8), IMM(ALL_ONES),
	  WRITES(0, ALL_ONES) },
	{ "mov word [rax], imm16", L64, BYTES(0x66, 0xC7, 0x00, 0x34, 0x12), WRITE(2),
	  IMM(0x1234) },
	{ "mov dword [rip+disp32], imm32", L64,
	  BYTES(0xC7, 0x05, 0xF0, 0x00, 0x00, 0x00, 0x0B, 0x00, 0x00, 0x00), WRITE(4), IMM(0xB),
	  MEM(RIP_RELATIVE, NONE, NONE, 1, 0xF0) },
	{ "mov qword [rax+0xf0], 0x80000000 (sign-extended)", L64,
	  BYTES(0x48, 0xC7, 0x80, 0xF0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80), WRITE(8),
	  IMM(0xFFFFFFFF80000000), MEM(MODRM, 0, NONE, 1, 0xF0) },
	{ "mov word [0x1234], 0x5678", R16, BYTES(0xC7, 0x06, 0x34, 0x12, 0x78, 0x56), WRITE(2),
	  IMM(0x5678), MEM(MODRM, NONE, NONE, 1, 0x1234) },
	{ "mov dword [esp+4], imm32", P32,
	  BYTES(0xC7, 0x44, 0x24, 0x04, 0xEF, 0xBE, 0xAD, 0xDE), WRITE(4), IMM(0xDEADBEEF),
	  MEM(MODRM, 4, NONE, 1, 4) },
	{ "66 in real mode: mov dword [bx], imm32", R16,
	  BYTES(0x66, 0xC7, 0x07, 0x78, 0x56, 0x34, 0x12), WRITE(4), IMM(0x12345678) },
	{ "mov byte [r8], 0x80", L64, BYTES(0x41, 0xC6, 0x00, 0x80), WRITE(1), IMM(0x80),
	  MEM(MODRM, 8, NONE, 1, 0) },
	{ "15 bytes: four prefixes, REX.W, C7, disp32, imm32", L64,
	  BYTES(0x64, 0x64, 0x64, 0x64, 0x48, 0xC7, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
		0x00, 0x00), WRITE(8), IMM(1), .segment = X86_SEGMENT_FS },

	/* MOV with a direct memory offset (A0-A3). */
	{ "mov eax, [moffs64]", L64,
	  BYTES(0xA1, 0x00, 0x03, 0xE0, 0xFE, 0x00, 0x00, 0x00, 0x00), READ(4), REG(0),
	  MEM(OFFSET, NONE, NONE, 1, 0xFEE00300) },
	{ "mov [moffs64], rax", L64,
	  BYTES(0x48, 0xA3, 0xF0, 0x00, 0xE0, 0xFE, 0x00, 0x00, 0x00, 0x00), WRITE(8), REG(0) },
	{ "mov al, [moffs32] (67: zero-extended)", L64, BYTES(0x67, 0xA0, 0x00, 0x00, 0xC0, 0xFE),
	  READ(1), REG(0), .address_size = 4, MEM(OFFSET, NONE, NONE, 1, 0xFEC00000),
	  MERGE(0x1234, 0x56, 0x1256) },
	{ "mov eax, [moffs32]", P32, BYTES(0xA1, 0x20, 0x03, 0xE0, 0xFE), READ(4), REG(0),
	  MEM(OFFSET, NONE, NONE, 1, 0xFEE00320) },
	{ "mov [moffs16], al", R16, BYTES(0xA2, 0x34, 0x12), WRITE(1), REG(0),
	  MEM(OFFSET, NONE, NONE, 1, 0x1234) },
	{ "mov [moffs32], ax", P32, BYTES(0x66, 0xA3, 0x10, 0x00, 0xC0, 0xFE), WRITE(2), REG(0) },
	{ "mov ax, [moffs64]", L64,
	  BYTES(0x66, 0xA1, 0x10, 0x00, 0xC0, 0xFE, 0x00, 0x00, 0x00, 0x00), READ(2), REG(0) },
	{ "mov [moffs16], ax", P16, BYTES(0xA3, 0x00, 0x01), WRITE(2), REG(0) },

	/* MOVZX, MOVSX, MOVSXD. */
	{ "movzx eax, byte [rcx]", L64, BYTES(0x0F, 0xB6, 0x01), READ(1), ZX(4), REG(0),
	  MERGE(ALL_ONES, 0x80, 0x80) },
	{ "movzx rax, word [rcx]", L64, BYTES(0x48, 0x0F, 0xB7, 0x01), READ(2), ZX(8), REG(0),
	  MERGE(ALL_ONES, 0x8001, 0x8001) },
	{ "movzx ax, byte [rcx]", L64, BYTES(0x66, 0x0F, 0xB6, 0x01), READ(1), ZX(2), REG(0),
	  MERGE(ALL_ONES, 0x80, 0xFFFFFFFFFFFF0080) },
	{ "movsx eax, byte [rcx]", L64, BYTES(0x0F, 0xBE, 0x01), READ(1), SX(4), REG(0),
	  MERGE(0x1111111111111111, 0x80, 0xFFFFFF80) },
	{ "movsx rax, word [rcx]", L64, BYTES(0x48, 0x0F, 0xBF, 0x01), READ(2), SX(8), REG(0),
	  MERGE(0, 0x8000, 0xFFFFFFFFFFFF8000) },
	{ "movsx ax, byte [rcx]", L64, BYTES(0x66, 0x0F, 0xBE, 0x01), READ(1), SX(2), REG(0),
	  MERGE(0x1234567890ABCDEF, 0xFF, 0x1234567890ABFFFF) },
	{ "movsx eax, word [rcx] (positive)", L64, BYTES(0x0F, 0xBF, 0x01), READ(2), SX(4),
	  REG(0), MERGE(ALL_ONES, 0x7FFF, 0x7FFF) },
	{ "movsxd rax, dword [rcx]", L64, BYTES(0x48, 0x63, 0x01), READ(4), SX(8), REG(0),
	  MERGE(0, 0x80000000, 0xFFFFFFFF80000000) },
	{ "movsxd r8, dword [rcx]", L64, BYTES(0x4C, 0x63, 0x01), READ(4), SX(8), REG(8) },
	{ "movsxd without REX.W: a 32-bit move", L64, BYTES(0x63, 0x01), READ(4), REG(0),
	  MERGE(ALL_ONES, 0x80000000, 0x80000000) },
	{ "movzx eax, word [ecx]", P32, BYTES(0x0F, 0xB7, 0x01), READ(2), ZX(4), REG(0),
	  MERGE(ALL_ONES, 0xFFFF, 0xFFFF) },
	{ "movzx ax, byte [bx]", R16, BYTES(0x0F, 0xB6, 0x07), READ(1), ZX(2), REG(0),
	  MERGE(0xFFFF, 0x7F, 0x7F) },
	{ "movsx eax, byte [bx] (66)", R16, BYTES(0x66, 0x0F, 0xBE, 0x07), READ(1), SX(4), REG(0),
	  MERGE(0, 0xFE, 0xFFFFFFFE) },
	{ "movzx r8d, byte [rcx]", L64, BYTES(0x44, 0x0F, 0xB6, 0x01), READ(1), ZX(4), REG(8) },
	{ "movzx esi, byte [rcx] (REX 40)", L64, BYTES(0x40, 0x0F, 0xB6, 0x31), READ(1), ZX(4),
	  REG(6) },
	{ "movzx esp, byte [rcx] (no REX: still ESP)", L64, BYTES(0x0F, 0xB6, 0x21), READ(1),
	  ZX(4), REG(4) },
	{ "66 0f b7: a 16-bit move, nothing to extend", L64, BYTES(0x66, 0x0F, 0xB7, 0x01),
	  READ(2), REG(0), MERGE(ALL_ONES, 0x1234, 0xFFFFFFFFFFFF1234) },

	/* STOS. */
	{ "stosb", L64, BYTES(0xAA), WRITE(1), REG(0), .string = true,
	  MEM(STRING, 7, NONE, 1, 0), WRITES(0x1234, 0x34) },
	{ "stosd", L64, BYTES(0xAB), WRITE(4), REG(0), .string = true },
	{ "stosq", L64, BYTES(0x48, 0xAB), WRITE(8), REG(0), .string = true },
	{ "rep stosq", L64, BYTES(0xF3, 0x48, 0xAB), WRITE(8), REG(0), .string = true,
	  .rep = true },
	{ "rep stosb", L64, BYTES(0xF3, 0xAA), WRITE(1), REG(0), .string = true, .rep = true },
	{ "stosw", L64, BYTES(0x66, 0xAB), WRITE(2), REG(0), .string = true },
	{ "rep stosd with 67 (EDI, ECX)", L64, BYTES(0x67, 0xF3, 0xAB), WRITE(4), REG(0),
	  .string = true, .rep = true, .address_size = 4 },
	{ "rep stosd", P32, BYTES(0xF3, 0xAB), WRITE(4), REG(0), .string = true, .rep = true },
	{ "rep stosw", R16, BYTES(0xF3, 0xAB), WRITE(2), REG(0), .string = true, .rep = true },
	{ "rep stosd with 66 67 in real mode", R16, BYTES(0x67, 0x66, 0xF3, 0xAB), WRITE(4),
	  REG(0), .string = true, .rep = true, .address_size = 4 },
	{ "F2 on STOS repeats too", L64, BYTES(0xF2, 0xAB), WRITE(4), REG(0), .string = true,
	  .rep = true },
	{ "REX.W before F3 is ignored: rep stosd", L64, BYTES(0x48, 0xF3, 0xAB), WRITE(4), REG(0),
	  .string = true, .rep = true },
	{ "stosb", P16, BYTES(0xAA), WRITE(1), REG(0), .string = true },

	/* Read-modify-write: ADD/OR/AND/XOR r/m, r and r/m, imm. */
	{ "or [rcx], eax", L64, BYTES(0x09, 0x01), RMW(4, OR), REG(0) },
	{ "lock or [rcx], eax", L64, BYTES(0xF0, 0x09, 0x01), RMW(4, OR), REG(0), .lock = true },
	{ "and [rcx], eax", L64, BYTES(0x21, 0x01), RMW(4, AND), REG(0) },
	{ "xor [rcx], eax", L64, BYTES(0x31, 0x01), RMW(4, XOR), REG(0) },
	{ "add [rcx], eax", L64, BYTES(0x01, 0x01), RMW(4, ADD), REG(0) },
	{ "add [rcx], r9 (REX.WR)", L64, BYTES(0x4C, 0x01, 0x09), RMW(8, ADD), REG(9) },
	{ "or [rcx], ah", L64, BYTES(0x08, 0x21), RMW(1, OR), HIGH(0), WRITES(0xAB00, 0xAB) },
	{ "and [rcx], spl (REX 40)", L64, BYTES(0x40, 0x20, 0x21), RMW(1, AND), REG(4),
	  WRITES(0xAB00, 0x00) },
	{ "or qword [rcx], 0x100", L64, BYTES(0x48, 0x81, 0x09, 0x00, 0x01, 0x00, 0x00),
	  RMW(8, OR), IMM(0x100) },
	{ "and dword [rcx], -2 (imm8 sign-extended)", L64, BYTES(0x83, 0x21, 0xFE), RMW(4, AND),
	  IMM(0xFFFFFFFE) },
	{ "add qword [rcx], -1", L64, BYTES(0x48, 0x83, 0x01, 0xFF), RMW(8, ADD), IMM(ALL_ONES) },
	{ "xor byte [rcx], 1", L64, BYTES(0x80, 0x31, 0x01), RMW(1, XOR), IMM(1) },
	{ "and word [rcx], 0x7fff", L64, BYTES(0x66, 0x81, 0x21, 0xFF, 0x7F), RMW(2, AND),
	  IMM(0x7FFF) },
	{ "or dword [disp32], 1", P32, BYTES(0x83, 0x0D, 0x00, 0x03, 0xE0, 0xFE, 0x01),
	  RMW(4, OR), IMM(1), MEM(MODRM, NONE, NONE, 1, 0xFFFFFFFFFEE00300) },
	{ "lock and word [bx+si], 0xfff0", R16, BYTES(0xF0, 0x83, 0x20, 0xF0), RMW(2, AND),
	  IMM(0xFFF0), .lock = true, MEM(MODRM, 3, 6, 1, 0) },
	/* ALU r/m, r: all eight operations, byte and full size (00-39). */
	{ "add [rcx], al", L64, BYTES(0x00, 0x01), ALU_MEM(1, ADD), REG(0) },
	{ "or [rcx], ecx", L64, BYTES(0x09, 0x09), ALU_MEM(4, OR), REG(1) },
	{ "adc [rcx], dl", L64, BYTES(0x10, 0x11), ALU_MEM(1, ADC), REG(2) },
	{ "adc [rcx], rdx", L64, BYTES(0x48, 0x11, 0x11), ALU_MEM(8, ADC), REG(2) },
	{ "sbb [rcx], bh", L64, BYTES(0x18, 0x39), ALU_MEM(1, SBB), HIGH(3) },
	{ "sbb [rcx], esi", L64, BYTES(0x19, 0x31), ALU_MEM(4, SBB), REG(6) },
	{ "sub [rcx], r10b", L64, BYTES(0x44, 0x28, 0x11), ALU_MEM(1, SUB), REG(10) },
	{ "sub [rcx], ax", L64, BYTES(0x66, 0x29, 0x01), ALU_MEM(2, SUB), REG(0) },
	{ "xor [rcx], ah", L64, BYTES(0x30, 0x21), ALU_MEM(1, XOR), HIGH(0) },
	{ "cmp [rcx], al: memory only read", L64, BYTES(0x38, 0x01), ALU_FLAGS(1, CMP), REG(0) },
	{ "cmp [rcx], rax", L64, BYTES(0x48, 0x39, 0x01), ALU_FLAGS(8, CMP), REG(0) },
	{ "sub [ecx], eax", P32, BYTES(0x29, 0x01), ALU_MEM(4, SUB), REG(0) },
	{ "adc [bx], ax", R16, BYTES(0x11, 0x07), ALU_MEM(2, ADC), REG(0) },
	{ "cmp [bx+si], cl", R16, BYTES(0x38, 0x08), ALU_FLAGS(1, CMP), REG(1),
	  MEM(MODRM, 3, 6, 1, 0) },
	{ "lock adc [rcx], eax", L64, BYTES(0xF0, 0x11, 0x01), ALU_MEM(4, ADC), REG(0), .lock = true },
	{ "lock sbb [rcx], eax", L64, BYTES(0xF0, 0x19, 0x01), ALU_MEM(4, SBB), REG(0), .lock = true },
	{ "lock sub [rcx], eax", L64, BYTES(0xF0, 0x29, 0x01), ALU_MEM(4, SUB), REG(0), .lock = true },
	{ "lock xor [ecx], al", P32, BYTES(0xF0, 0x30, 0x01), ALU_MEM(1, XOR), REG(0), .lock = true },
	{ "xrelease lock add [rcx], eax (F3 ignored)", L64, BYTES(0xF3, 0xF0, 0x01, 0x01),
	  ALU_MEM(4, ADD), REG(0), .lock = true },

	/* ALU r, r/m (02-3B): memory read, register written. */
	{ "add al, [rcx]", L64, BYTES(0x02, 0x01), ALU_REG(1, ADD), REG(0) },
	{ "add eax, [rcx]", L64, BYTES(0x03, 0x01), ALU_REG(4, ADD), REG(0) },
	{ "or cl, [rcx]", L64, BYTES(0x0A, 0x09), ALU_REG(1, OR), REG(1) },
	{ "or r9, [rcx]", L64, BYTES(0x4C, 0x0B, 0x09), ALU_REG(8, OR), REG(9) },
	{ "adc dh, [rcx]", L64, BYTES(0x12, 0x31), ALU_REG(1, ADC), HIGH(2) },
	{ "adc ax, [rcx]", L64, BYTES(0x66, 0x13, 0x01), ALU_REG(2, ADC), REG(0) },
	{ "sbb al, [rcx]", L64, BYTES(0x1A, 0x01), ALU_REG(1, SBB), REG(0) },
	{ "sbb edx, [rcx]", L64, BYTES(0x1B, 0x11), ALU_REG(4, SBB), REG(2) },
	{ "and sil, [rcx] (REX 40)", L64, BYTES(0x40, 0x22, 0x31), ALU_REG(1, AND), REG(6) },
	{ "and eax, [rcx]", L64, BYTES(0x23, 0x01), ALU_REG(4, AND), REG(0) },
	{ "sub al, [rcx]", L64, BYTES(0x2A, 0x01), ALU_REG(1, SUB), REG(0) },
	{ "sub rax, [rcx]", L64, BYTES(0x48, 0x2B, 0x01), ALU_REG(8, SUB), REG(0) },
	{ "xor bl, [rcx]", L64, BYTES(0x32, 0x19), ALU_REG(1, XOR), REG(3) },
	{ "xor esp, [rcx]", L64, BYTES(0x33, 0x21), ALU_REG(4, XOR), REG(4) },
	{ "cmp al, [rcx]", L64, BYTES(0x3A, 0x01), ALU_REG(1, CMP), REG(0) },
	{ "cmp eax, [rcx]", L64, BYTES(0x3B, 0x01), ALU_REG(4, CMP), REG(0) },
	{ "add eax, [ecx]", P32, BYTES(0x03, 0x01), ALU_REG(4, ADD), REG(0) },
	{ "sub ax, [bx]", R16, BYTES(0x2B, 0x07), ALU_REG(2, SUB), REG(0) },
	{ "66 in real mode: cmp eax, [bx]", R16, BYTES(0x66, 0x3B, 0x07), ALU_REG(4, CMP), REG(0) },

	/* Group 1 with all eight /n: 80, 81, 83. */
	{ "add byte [rcx], 1", L64, BYTES(0x80, 0x01, 0x01), ALU_MEM(1, ADD), IMM(1) },
	{ "or byte [rcx], 0x80", L64, BYTES(0x80, 0x09, 0x80), ALU_MEM(1, OR), IMM(0x80) },
	{ "adc byte [rcx], 2", L64, BYTES(0x80, 0x11, 0x02), ALU_MEM(1, ADC), IMM(2) },
	{ "sbb byte [rcx], 3", L64, BYTES(0x80, 0x19, 0x03), ALU_MEM(1, SBB), IMM(3) },
	{ "and byte [rcx], 0xf0", L64, BYTES(0x80, 0x21, 0xF0), ALU_MEM(1, AND), IMM(0xF0) },
	{ "sub byte [rcx], 5", L64, BYTES(0x80, 0x29, 0x05), ALU_MEM(1, SUB), IMM(5) },
	{ "xor byte [rcx], 6", L64, BYTES(0x80, 0x31, 0x06), ALU_MEM(1, XOR), IMM(6) },
	{ "cmp byte [rcx], 7", L64, BYTES(0x80, 0x39, 0x07), ALU_FLAGS(1, CMP), IMM(7) },
	{ "adc dword [rcx], imm32", L64, BYTES(0x81, 0x11, 0x78, 0x56, 0x34, 0x12), ALU_MEM(4, ADC),
	  IMM(0x12345678) },
	{ "sbb qword [rcx], imm32 (sign-extended)", L64,
	  BYTES(0x48, 0x81, 0x19, 0x00, 0x00, 0x00, 0x80), ALU_MEM(8, SBB), IMM(0xFFFFFFFF80000000) },
	{ "sub word [rcx], imm16", L64, BYTES(0x66, 0x81, 0x29, 0x34, 0x12), ALU_MEM(2, SUB),
	  IMM(0x1234) },
	{ "cmp dword [rcx], imm32", L64, BYTES(0x81, 0x39, 0xFF, 0xFF, 0xFF, 0x7F),
	  ALU_FLAGS(4, CMP), IMM(0x7FFFFFFF) },
	{ "adc dword [rcx], -1", L64, BYTES(0x83, 0x11, 0xFF), ALU_MEM(4, ADC), IMM(0xFFFFFFFF) },
	{ "sbb word [rcx], -2", L64, BYTES(0x66, 0x83, 0x19, 0xFE), ALU_MEM(2, SBB), IMM(0xFFFE) },
	{ "sub qword [rcx], 1", L64, BYTES(0x48, 0x83, 0x29, 0x01), ALU_MEM(8, SUB), IMM(1) },
	{ "cmp qword [rcx], -128", L64, BYTES(0x48, 0x83, 0x39, 0x80), ALU_FLAGS(8, CMP),
	  IMM(0xFFFFFFFFFFFFFF80) },
	{ "cmp word [bx], 0x1234", R16, BYTES(0x81, 0x3F, 0x34, 0x12), ALU_FLAGS(2, CMP),
	  IMM(0x1234) },
	{ "sub dword [ecx], 1", P32, BYTES(0x83, 0x29, 0x01), ALU_MEM(4, SUB), IMM(1) },

	/* TEST r/m, r and r/m, imm; NOT, NEG; INC, DEC. */
	{ "test [rcx], al", L64, BYTES(0x84, 0x01), ALU_FLAGS(1, TEST), REG(0) },
	{ "test [rcx], r8", L64, BYTES(0x4C, 0x85, 0x01), ALU_FLAGS(8, TEST), REG(8) },
	{ "test byte [rcx], 0x81", L64, BYTES(0xF6, 0x01, 0x81), ALU_FLAGS(1, TEST), IMM(0x81) },
	{ "test dword [rcx], imm32", L64, BYTES(0xF7, 0x01, 0x00, 0x00, 0x00, 0x80),
	  ALU_FLAGS(4, TEST), IMM(0x80000000) },
	{ "test qword [rcx], imm32 (sign-extended)", L64,
	  BYTES(0x48, 0xF7, 0x01, 0x00, 0x00, 0x00, 0x80), ALU_FLAGS(8, TEST),
	  IMM(0xFFFFFFFF80000000) },
	{ "test word [rcx], imm16", L64, BYTES(0x66, 0xF7, 0x01, 0x01, 0x80), ALU_FLAGS(2, TEST),
	  IMM(0x8001) },
	{ "test word [bx], imm16", R16, BYTES(0xF7, 0x07, 0x34, 0x12), ALU_FLAGS(2, TEST),
	  IMM(0x1234) },
	{ "not byte [rcx]", L64, BYTES(0xF6, 0x11), UNARY(1, NOT) },
	{ "not dword [rcx]", L64, BYTES(0xF7, 0x11), UNARY(4, NOT) },
	{ "lock not qword [rcx]", L64, BYTES(0xF0, 0x48, 0xF7, 0x11), UNARY(8, NOT), .lock = true },
	{ "neg byte [rcx]", L64, BYTES(0xF6, 0x19), UNARY(1, NEG) },
	{ "neg word [rcx]", L64, BYTES(0x66, 0xF7, 0x19), UNARY(2, NEG) },
	{ "lock neg dword [ecx]", P32, BYTES(0xF0, 0xF7, 0x19), UNARY(4, NEG), .lock = true },
	{ "inc byte [rcx]", L64, BYTES(0xFE, 0x01), UNARY(1, INC) },
	{ "dec byte [rcx]", L64, BYTES(0xFE, 0x09), UNARY(1, DEC) },
	{ "inc dword [rcx]", L64, BYTES(0xFF, 0x01), UNARY(4, INC) },
	{ "lock dec qword [rcx]", L64, BYTES(0xF0, 0x48, 0xFF, 0x09), UNARY(8, DEC), .lock = true },
	{ "inc word [bx]", R16, BYTES(0xFF, 0x07), UNARY(2, INC) },
	{ "dec dword [ecx]", P32, BYTES(0xFF, 0x09), UNARY(4, DEC) },

	/* XCHG, CMPXCHG, XADD. */
	{ "xchg [rcx], al", L64, BYTES(0x86, 0x01), RMW_KIND(1, XCHG), REG(0) },
	{ "xchg [rcx], ch", L64, BYTES(0x86, 0x29), RMW_KIND(1, XCHG), HIGH(1) },
	{ "xchg [rcx], eax", L64, BYTES(0x87, 0x01), RMW_KIND(4, XCHG), REG(0) },
	{ "xchg [rcx], r11", L64, BYTES(0x4C, 0x87, 0x19), RMW_KIND(8, XCHG), REG(11) },
	{ "lock xchg [rcx], eax", L64, BYTES(0xF0, 0x87, 0x01), RMW_KIND(4, XCHG), REG(0),
	  .lock = true },
	{ "xchg [bx], ax", R16, BYTES(0x87, 0x07), RMW_KIND(2, XCHG), REG(0) },
	{ "cmpxchg [rcx], dl", L64, BYTES(0x0F, 0xB0, 0x11), RMW_KIND(1, CMPXCHG), REG(2) },
	{ "cmpxchg [rcx], edx", L64, BYTES(0x0F, 0xB1, 0x11), RMW_KIND(4, CMPXCHG), REG(2) },
	{ "lock cmpxchg [rcx], r9", L64, BYTES(0xF0, 0x4C, 0x0F, 0xB1, 0x09), RMW_KIND(8, CMPXCHG),
	  REG(9), .lock = true },
	{ "cmpxchg [ecx], dx", P32, BYTES(0x66, 0x0F, 0xB1, 0x11), RMW_KIND(2, CMPXCHG), REG(2) },
	{ "xadd [rcx], al", L64, BYTES(0x0F, 0xC0, 0x01), RMW_KIND(1, XADD), REG(0) },
	{ "lock xadd [rcx], rbx", L64, BYTES(0xF0, 0x48, 0x0F, 0xC1, 0x19), RMW_KIND(8, XADD),
	  REG(3), .lock = true },
	{ "xadd [bx], cx", R16, BYTES(0x0F, 0xC1, 0x0F), RMW_KIND(2, XADD), REG(1) },

	/* BT, BTS, BTR, BTC with a register or an imm8 bit offset. */
	{ "bt [rcx], eax", L64, BYTES(0x0F, 0xA3, 0x01), ALU_FLAGS(4, BT), REG(0) },
	{ "bt [rcx], rax", L64, BYTES(0x48, 0x0F, 0xA3, 0x01), ALU_FLAGS(8, BT), REG(0) },
	{ "bts [rcx], ax", L64, BYTES(0x66, 0x0F, 0xAB, 0x01), ALU_MEM(2, BTS), REG(0) },
	{ "lock btr [rcx], edx", L64, BYTES(0xF0, 0x0F, 0xB3, 0x11), ALU_MEM(4, BTR), REG(2),
	  .lock = true },
	{ "btc [rcx], r12", L64, BYTES(0x4C, 0x0F, 0xBB, 0x21), ALU_MEM(8, BTC), REG(12) },
	{ "bt dword [rcx], 5", L64, BYTES(0x0F, 0xBA, 0x21, 0x05), ALU_FLAGS(4, BT), IMM(5) },
	{ "bts qword [rcx], 63", L64, BYTES(0x48, 0x0F, 0xBA, 0x29, 0x3F), ALU_MEM(8, BTS),
	  IMM(63) },
	{ "btr word [rcx], 0xff (imm8 not sign-extended)", L64,
	  BYTES(0x66, 0x0F, 0xBA, 0x31, 0xFF), ALU_MEM(2, BTR), IMM(0xFF) },
	{ "lock btc dword [rcx], 1", L64, BYTES(0xF0, 0x0F, 0xBA, 0x39, 0x01), ALU_MEM(4, BTC),
	  IMM(1), .lock = true },
	{ "bt [bx], ax", R16, BYTES(0x0F, 0xA3, 0x07), ALU_FLAGS(2, BT), REG(0) },
	{ "bts dword [ecx], 31", P32, BYTES(0x0F, 0xBA, 0x29, 0x1F), ALU_MEM(4, BTS), IMM(31) },

	/* MOVS and LODS. */
	{ "movsb", L64, BYTES(0xA4), COPY(1, MOVS), .string = true, MEM(STRING, 6, 7, 1, 0) },
	{ "movsd", L64, BYTES(0xA5), COPY(4, MOVS), .string = true },
	{ "movsq", L64, BYTES(0x48, 0xA5), COPY(8, MOVS), .string = true },
	{ "rep movsw", L64, BYTES(0xF3, 0x66, 0xA5), COPY(2, MOVS), .string = true, .rep = true },
	{ "F2 on MOVS repeats too", L64, BYTES(0xF2, 0xA4), COPY(1, MOVS), .string = true,
	  .rep = true },
	{ "rep movsb with 67 (ESI, EDI, ECX)", L64, BYTES(0x67, 0xF3, 0xA4), COPY(1, MOVS),
	  .string = true, .rep = true, .address_size = 4 },
	{ "fs: movsd (source segment)", L64, BYTES(0x64, 0xA5), COPY(4, MOVS), .string = true,
	  .segment = X86_SEGMENT_FS },
	{ "rep movsd", P32, BYTES(0xF3, 0xA5), COPY(4, MOVS), .string = true, .rep = true },
	{ "es: rep movsw", R16, BYTES(0x26, 0xF3, 0xA5), COPY(2, MOVS), .string = true, .rep = true,
	  .segment = X86_SEGMENT_ES },
	{ "lodsb", L64, BYTES(0xAC), READ(1), KIND(LODS), REG(0), .string = true,
	  MEM(STRING, 6, NONE, 1, 0), MERGE(0x1122334455667788, 0xAB, 0x11223344556677AB) },
	{ "lodsd", L64, BYTES(0xAD), READ(4), KIND(LODS), REG(0), .string = true,
	  MERGE(ALL_ONES, 0x12345678, 0x12345678) },
	{ "rep lodsq", L64, BYTES(0xF3, 0x48, 0xAD), READ(8), KIND(LODS), REG(0), .string = true,
	  .rep = true },
	{ "gs: lodsw", P32, BYTES(0x65, 0x66, 0xAD), READ(2), KIND(LODS), REG(0), .string = true,
	  .segment = X86_SEGMENT_GS },
	{ "lodsw", R16, BYTES(0xAD), READ(2), KIND(LODS), REG(0), .string = true },

	/* PUSH r/m and POP r/m: the stack slot's size. */
	{ "push qword [rcx]", L64, BYTES(0xFF, 0x31), COPY(8, PUSH) },
	{ "push qword [rcx] (REX.W changes nothing)", L64, BYTES(0x48, 0xFF, 0x31), COPY(8, PUSH) },
	{ "push word [rcx] (66)", L64, BYTES(0x66, 0xFF, 0x31), COPY(2, PUSH) },
	{ "push dword [ecx]", P32, BYTES(0xFF, 0x31), COPY(4, PUSH) },
	{ "push word [bx]", R16, BYTES(0xFF, 0x37), COPY(2, PUSH), MEM(MODRM, 3, NONE, 1, 0) },
	{ "push dword [bx] (66 in real mode)", R16, BYTES(0x66, 0xFF, 0x37), COPY(4, PUSH) },
	{ "pop qword [rcx]", L64, BYTES(0x8F, 0x01), COPY(8, POP) },
	{ "pop word [rcx] (66)", L64, BYTES(0x66, 0x8F, 0x01), COPY(2, POP) },
	{ "pop qword [rsp+8]", L64, BYTES(0x8F, 0x44, 0x24, 0x08), COPY(8, POP),
	  MEM(MODRM, 4, NONE, 1, 8) },
	{ "pop dword [ecx]", P32, BYTES(0x8F, 0x01), COPY(4, POP) },
	{ "pop word [bx]", R16, BYTES(0x8F, 0x07), COPY(2, POP) },
};

static unsigned default_address_size(enum x86_cpu_mode mode)
{
	return mode == X86_MODE_LONG64 ? 8 : mode == X86_MODE_PROT32 ? 4 : 2;
}

static enum x86_mmio_register_write register_write_for(unsigned operand_size)
{
	return operand_size == 8 ? X86_MMIO_REGISTER_REPLACE :
	       operand_size == 4 ? X86_MMIO_REGISTER_ZERO_UPPER : X86_MMIO_REGISTER_MERGE;
}

#define CHECK_FIELD(c, got, want)                                                          \
	do {                                                                               \
		if ((uint64_t)(got) != (uint64_t)(want))                                   \
			fail_msg("%s: %s is %llx, want %llx", (c)->name, #got,             \
				 (unsigned long long)(got), (unsigned long long)(want));   \
	} while (0)

static void check_case(const struct decode_case *c, const struct x86_mmio_insn *insn)
{
	unsigned operand_size = c->operand_size ? c->operand_size : c->access_size;
	unsigned address_size = c->address_size ? c->address_size : default_address_size(c->mode);

	enum x86_mmio_kind kind = c->check_kind ? c->kind :
				  c->string ? X86_MMIO_KIND_STOS :
				  c->alu_op != X86_MMIO_ALU_NONE ? X86_MMIO_KIND_ALU_TO_MEMORY :
				  X86_MMIO_KIND_MOVE;

	CHECK_FIELD(c, insn->length, c->byte_count);
	CHECK_FIELD(c, insn->kind, kind);
	CHECK_FIELD(c, insn->direction, c->direction);
	CHECK_FIELD(c, insn->alu_op, c->alu_op);
	CHECK_FIELD(c, insn->access_size, c->access_size);
	CHECK_FIELD(c, insn->operand_size, operand_size);
	CHECK_FIELD(c, insn->operand, c->operand);
	CHECK_FIELD(c, insn->extend, c->extend);
	CHECK_FIELD(c, insn->register_write, register_write_for(operand_size));
	CHECK_FIELD(c, insn->address_size, address_size);
	CHECK_FIELD(c, insn->segment, c->segment);
	CHECK_FIELD(c, insn->lock, c->lock);
	CHECK_FIELD(c, insn->rep, c->rep);
	CHECK_FIELD(c, insn->string, c->string);
	if (c->operand == X86_MMIO_OPERAND_IMMEDIATE) {
		CHECK_FIELD(c, insn->immediate, c->immediate);
	} else {
		CHECK_FIELD(c, insn->gpr, c->gpr);
		CHECK_FIELD(c, insn->high_byte, c->high_byte);
	}
	if (c->check_memory) {
		CHECK_FIELD(c, insn->memory.form, c->form);
		CHECK_FIELD(c, insn->memory.base, c->base);
		CHECK_FIELD(c, insn->memory.index, c->index);
		CHECK_FIELD(c, insn->memory.scale, c->scale);
		CHECK_FIELD(c, insn->memory.displacement, c->displacement);
	}
	if (c->check_merge)
		CHECK_FIELD(c, x86_mmio_merge_read(insn, c->old_register, c->value_read), c->merged);
	if (c->check_write)
		CHECK_FIELD(c, x86_mmio_write_value(insn, c->source_register), c->written);
}

/* Decodes from a heap copy of exactly `available` bytes (none: NULL), so that AddressSanitizer
 * reports any read past the end. */
static int decode_exact(const uint8_t *bytes, size_t available, enum x86_cpu_mode mode,
			struct x86_mmio_insn *insn, char *err, size_t err_len)
{
	uint8_t *copy = NULL;
	int rc;

	if (available) {
		copy = malloc(available);
		assert_non_null(copy);
		memcpy(copy, bytes, available);
	}
	rc = x86_decode_mmio(copy, available, mode, insn, err, err_len);
	free(copy);
	return rc;
}

static void test_valid_encodings(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct decode_case *c = &cases[i];
		struct x86_mmio_insn insn;
		uint8_t padded[32];
		char err[128];

		memset(&insn, 0xA5, sizeof(insn));
		if (decode_exact(c->bytes, c->byte_count, c->mode, &insn, err, sizeof(err)))
			fail_msg("%s: rejected: %s", c->name, err);
		check_case(c, &insn);

		/* With more bytes available than the instruction uses, the same answer. */
		memset(padded, 0xCC, sizeof(padded));
		memcpy(padded, c->bytes, c->byte_count);
		memset(&insn, 0x5A, sizeof(insn));
		if (x86_decode_mmio(padded, sizeof(padded), c->mode, &insn, err, sizeof(err)))
			fail_msg("%s (padded): rejected: %s", c->name, err);
		check_case(c, &insn);
	}
}

/* Every proper prefix of every valid encoding is "truncated", read from an exact-size buffer. */
static void test_truncations(void **state)
{
	unsigned checked = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct decode_case *c = &cases[i];

		for (size_t n = 0; n < c->byte_count; n++) {
			struct x86_mmio_insn insn;
			char err[128] = "";

			if (decode_exact(c->bytes, n, c->mode, &insn, err, sizeof(err)) != -1)
				fail_msg("%s: accepted with %zu of %zu bytes", c->name, n,
					 c->byte_count);
			if (!strstr(err, "truncated"))
				fail_msg("%s with %zu bytes: \"%s\"", c->name, n, err);
			checked++;
		}
	}
	print_message("%u truncations of %zu encodings rejected\n", checked, ARRAY_SIZE(cases));
}

/* An encoding the decoder must refuse, and a substring of the reason it must give. */
struct malformed_case {
	enum x86_cpu_mode mode;
	uint8_t bytes[20];
	size_t byte_count;
	const char *reason;
};

#define PREFIX_66_X14 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, \
	0x66, 0x66

static const struct malformed_case malformed[] = {
	{ L64, { 0 }, 0, "truncated: the opcode is byte 0 but only 0 bytes" },
	{ L64, BYTES(0x0F), "truncated: the second opcode byte is byte 1" },
	{ L64, BYTES(0x66, 0x48), "truncated: the opcode is byte 2" },
	{ L64, BYTES(0x8B), "truncated: the ModRM byte is byte 1" },
	{ L64, BYTES(0x8B, 0x04), "truncated: the SIB byte is byte 2" },
	{ L64, BYTES(0x8B, 0x05, 0x00, 0x00), "truncated: the displacement is byte 4" },
	{ L64, BYTES(0xC7, 0x00, 0x00), "truncated: the immediate is byte 3" },
	{ L64, BYTES(0xA1, 0, 0, 0, 0), "truncated: the memory offset is byte 5" },
	{ L64, BYTES(0x0F, 0x01, 0xC1), "cannot emulate: opcode 0f 01 at byte 0" },
	{ L64, BYTES(0x66, 0x0F, 0x01, 0xD0), "cannot emulate: opcode 0f 01 at byte 1" },
	{ L64, BYTES(0xF3, 0x0F, 0xB8, 0x01), "cannot emulate: opcode 0f b8 at byte 1" },
	{ L64, BYTES(0xF0, 0x89, 0x01), "cannot emulate: LOCK prefix on opcode 89 at byte 1" },
	{ L64, BYTES(0xF0, 0x8B, 0x01), "LOCK prefix on opcode 8b" },
	{ L64, BYTES(0xF0, 0x0F, 0xB6, 0x01), "LOCK prefix on opcode 0f b6" },
	{ L64, BYTES(0xF0, 0xAB), "LOCK prefix on opcode ab" },
	{ L64, BYTES(0xF0, 0xC7, 0x00, 0x01, 0x00, 0x00, 0x00), "LOCK prefix on opcode c7" },
	{ P32, BYTES(0xF0, 0xA1, 0x00, 0x00, 0xE0, 0xFE), "LOCK prefix on opcode a1" },
	{ L64, BYTES(0x8B, 0xC1), "opcode 8b with ModRM mod=11 names a register" },
	{ L64, BYTES(0x0F, 0xB6, 0xC1), "opcode 0f b6 with ModRM mod=11" },
	{ L64, BYTES(0x88, 0xC0), "opcode 88 with ModRM mod=11" },
	{ L64, BYTES(0x01, 0xC8), "opcode 01 with ModRM mod=11" },
	{ L64, BYTES(0xC7, 0xC0, 0x01, 0x00, 0x00, 0x00), "opcode c7 with ModRM mod=11" },
	{ L64, BYTES(0xC7, 0xF8, 0x00, 0x00, 0x00, 0x00), "mod=11" },
	{ L64, BYTES(0x48, 0x63, 0xC1), "opcode 63 with ModRM mod=11" },
	{ L64, BYTES(0x83, 0xE0, 0x01), "opcode 83 with ModRM mod=11" },
	{ R16, BYTES(0x8B, 0xC0), "mod=11" },
	{ L64, BYTES(PREFIX_66_X14, 0x8B, 0x01), "longer than 15 bytes: the ModRM byte" },
	{ L64, BYTES(PREFIX_66_X14, 0x66, 0x8B, 0x01), "longer than 15 bytes: the opcode" },
	{ L64, BYTES(0x64, 0x64, 0x64, 0x64, 0x64, 0x48, 0xC7, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01,
		     0x00, 0x00, 0x00), "longer than 15 bytes: the immediate" },
	{ L64, BYTES(0xC6, 0x08, 0x00), "cannot emulate: opcode c6 /1 at byte 0" },
	{ L64, BYTES(0xC7, 0x38, 0x00, 0x00, 0x00, 0x00), "cannot emulate: opcode c7 /7" },
	{ P32, BYTES(0x48, 0x8B, 0x01), "cannot emulate: opcode 48 at byte 0" },
	{ P32, BYTES(0x63, 0x01), "cannot emulate: opcode 63 at byte 0" },
	{ R16, BYTES(0x63, 0x01), "cannot emulate: opcode 63 at byte 0" },
	{ L64, BYTES(0x90), "cannot emulate: opcode 90 at byte 0" },
	{ L64, BYTES(0xC4, 0xE2, 0x79, 0x18, 0x01),
	  "cannot emulate: SSE/AVX move or other VEX-encoded instruction (c4 at byte 0)" },
	{ L64, BYTES(0x82, 0x01, 0x00), "cannot emulate: opcode 82" },
	{ L64, BYTES(0xD1, 0x20), "cannot emulate: opcode d1" },
	{ L64, BYTES(0x26, 0x64, 0x0F, 0x10, 0x01),
	  "cannot emulate: SSE/AVX move MOVUPS/MOVUPD/MOVSS/MOVSD (0f 10 at byte 2)" },

	/* LOCK outside the SDM's list, or on a form whose destination is not memory. */
	{ L64, BYTES(0xF0, 0x39, 0x01), "LOCK prefix on opcode 39 at byte 1" },
	{ L64, BYTES(0xF0, 0x38, 0x01), "LOCK prefix on opcode 38" },
	{ L64, BYTES(0xF0, 0x83, 0x39, 0x01), "LOCK prefix on opcode 83" },
	{ L64, BYTES(0xF0, 0x85, 0x01), "LOCK prefix on opcode 85" },
	{ L64, BYTES(0xF0, 0xF6, 0x01, 0x01), "LOCK prefix on opcode f6" },
	{ L64, BYTES(0xF0, 0x0F, 0xA3, 0x01), "LOCK prefix on opcode 0f a3" },
	{ L64, BYTES(0xF0, 0x0F, 0xBA, 0x21, 0x05), "LOCK prefix on opcode 0f ba" },
	{ L64, BYTES(0xF0, 0x03, 0x01), "LOCK prefix on opcode 03" },
	{ L64, BYTES(0xF0, 0x3B, 0x01), "LOCK prefix on opcode 3b" },
	{ L64, BYTES(0xF0, 0xA5), "LOCK prefix on opcode a5" },
	{ L64, BYTES(0xF0, 0xAD), "LOCK prefix on opcode ad" },
	{ L64, BYTES(0xF0, 0xFF, 0x31), "LOCK prefix on opcode ff" },
	{ L64, BYTES(0xF0, 0x8F, 0x01), "LOCK prefix on opcode 8f" },
	{ R16, BYTES(0xF0, 0x0F, 0xA3, 0x07), "LOCK prefix on opcode 0f a3" },

	/* SSE/AVX and x87 moves: refused by name in every mode. */
	{ L64, BYTES(0x0F, 0x11, 0x01), "SSE/AVX move MOVUPS/MOVUPD/MOVSS/MOVSD" },
	{ L64, BYTES(0xF3, 0x0F, 0x10, 0x01), "SSE/AVX move MOVUPS/MOVUPD/MOVSS/MOVSD" },
	{ L64, BYTES(0x0F, 0x28, 0x01), "SSE/AVX move MOVAPS/MOVAPD (0f 28 at byte 0)" },
	{ L64, BYTES(0x66, 0x0F, 0x29, 0x01), "SSE/AVX move MOVAPS/MOVAPD (0f 29 at byte 1)" },
	{ L64, BYTES(0x0F, 0x2B, 0x01), "SSE/AVX move MOVNTPS/MOVNTPD" },
	{ L64, BYTES(0x66, 0x0F, 0x6F, 0x01), "SSE/AVX move MOVQ/MOVDQA/MOVDQU" },
	{ L64, BYTES(0xF3, 0x0F, 0x6F, 0x01), "SSE/AVX move MOVQ/MOVDQA/MOVDQU" },
	{ L64, BYTES(0xF3, 0x0F, 0x7F, 0x01), "SSE/AVX move MOVQ/MOVDQA/MOVDQU (0f 7f" },
	{ L64, BYTES(0x66, 0x0F, 0xE7, 0x01), "SSE/AVX move MOVNTQ/MOVNTDQ" },
	{ L64, BYTES(0x66, 0x0F, 0xD6, 0x01), "SSE/AVX move MOVQ (0f d6" },
	{ L64, BYTES(0x66, 0x0F, 0x7E, 0x01), "SSE/AVX move MOVD/MOVQ (0f 7e" },
	{ L64, BYTES(0x66, 0x48, 0x0F, 0x6E, 0x01), "SSE/AVX move MOVD/MOVQ (0f 6e" },
	{ L64, BYTES(0x0F, 0xC3, 0x01), "SSE/AVX move MOVNTI (SSE2)" },
	{ L64, BYTES(0x0F, 0x13, 0x01), "SSE/AVX move MOVLPS/MOVLPD" },
	{ L64, BYTES(0x0F, 0x17, 0x01), "SSE/AVX move MOVHPS/MOVHPD" },
	{ P32, BYTES(0x0F, 0x29, 0x01), "SSE/AVX move MOVAPS/MOVAPD" },
	{ R16, BYTES(0x66, 0x0F, 0x6F, 0x07), "SSE/AVX move MOVQ/MOVDQA/MOVDQU" },
	{ L64, BYTES(0xC5, 0xF8, 0x28, 0x01), "SSE/AVX move or other VEX-encoded instruction" },
	{ L64, BYTES(0xC5, 0x01), "SSE/AVX move or other VEX-encoded instruction (c5" },
	{ L64, BYTES(0x62, 0xF1, 0x7C, 0x48, 0x28, 0x01),
	  "SSE/AVX move or other EVEX-encoded instruction (62 at byte 0)" },
	{ P32, BYTES(0xC5, 0xF8, 0x28, 0x01), "SSE/AVX move or other VEX-encoded instruction" },
	{ P32, BYTES(0xC4, 0x01), "cannot emulate: opcode c4 (LES) at byte 0" },
	{ R16, BYTES(0xC5, 0x07), "cannot emulate: opcode c5 (LDS) at byte 0" },
	{ P32, BYTES(0x62, 0x01), "cannot emulate: opcode 62 (BOUND) at byte 0" },
	{ P32, BYTES(0x62, 0xC1), "EVEX-encoded instruction" },
	{ P32, BYTES(0xC4), "truncated: the byte after the opcode is byte 1" },
	{ L64, BYTES(0xD9, 0x01), "cannot emulate: x87 instruction (opcode d9 at byte 0)" },
	{ L64, BYTES(0xDD, 0x19), "x87 instruction (opcode dd" },
	{ P32, BYTES(0xDF, 0x29), "x87 instruction (opcode df" },
	{ R16, BYTES(0xD8, 0x07), "x87 instruction (opcode d8" },

	/* Group members and forms that are not emulated. */
	{ L64, BYTES(0xF6, 0x09, 0x00), "cannot emulate: opcode f6 /1 at byte 0" },
	{ L64, BYTES(0xF7, 0x21), "cannot emulate: opcode f7 /4" },
	{ L64, BYTES(0xF7, 0x39), "cannot emulate: opcode f7 /7" },
	{ L64, BYTES(0xFE, 0x11), "cannot emulate: opcode fe /2" },
	{ L64, BYTES(0xFE, 0x31), "cannot emulate: opcode fe /6" },
	{ L64, BYTES(0xFF, 0x11), "cannot emulate: opcode ff /2" },
	{ L64, BYTES(0xFF, 0x29), "cannot emulate: opcode ff /5" },
	{ L64, BYTES(0xFF, 0x39), "cannot emulate: opcode ff /7" },
	{ L64, BYTES(0x8F, 0x09), "cannot emulate: opcode 8f /1" },
	{ L64, BYTES(0x0F, 0xBA, 0x19, 0x01), "cannot emulate: opcode 0f ba /3 at byte 0" },
	{ L64, BYTES(0x0F, 0xBA, 0x01, 0x01), "cannot emulate: opcode 0f ba /0" },
	{ L64, BYTES(0xA6), "cannot emulate: opcode a6" },
	{ L64, BYTES(0xF3, 0xA7), "cannot emulate: opcode a7 at byte 1" },
	{ L64, BYTES(0xAE), "cannot emulate: opcode ae" },
	{ L64, BYTES(0x0F, 0xC7, 0x09), "cannot emulate: opcode 0f c7" },
	{ L64, BYTES(0x87, 0xC1), "opcode 87 with ModRM mod=11" },
	{ L64, BYTES(0x0F, 0xB1, 0xC1), "opcode 0f b1 with ModRM mod=11" },
	{ L64, BYTES(0x0F, 0xA3, 0xC1), "opcode 0f a3 with ModRM mod=11" },
	{ L64, BYTES(0xFF, 0xC0), "opcode ff with ModRM mod=11" },
	{ L64, BYTES(0xF7, 0xD0), "opcode f7 with ModRM mod=11" },
	{ L64, BYTES(0x03, 0xC1), "opcode 03 with ModRM mod=11" },
	{ L64, BYTES(0x8F, 0xC0), "opcode 8f with ModRM mod=11" },
};

static void test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(malformed); i++) {
		const struct malformed_case *m = &malformed[i];
		struct x86_mmio_insn insn, untouched;
		char err[160] = "";

		memset(&insn, 0x3C, sizeof(insn));
		untouched = insn;
		if (decode_exact(m->bytes, m->byte_count, m->mode, &insn, err, sizeof(err)) != -1)
			fail_msg("case %zu (\"%s\"): accepted", i, m->reason);
		if (!strstr(err, m->reason))
			fail_msg("case %zu: \"%s\", want \"%s\"", i, err, m->reason);
		if (memcmp(&insn, &untouched, sizeof(insn)) != 0)
			fail_msg("case %zu: *out written on failure", i);
	}
}

/* The error buffer: may be NULL, is always NUL-terminated, is truncated to err_len. */
static void test_error_buffer(void **state)
{
	static const uint8_t bad[] = { 0x0F, 0x01, 0xC1 };
	struct x86_mmio_insn insn;
	char err[8];

	(void)state;
	assert_int_equal(x86_decode_mmio(bad, sizeof(bad), X86_MODE_LONG64, &insn, NULL, 0), -1);
	memset(err, 'x', sizeof(err));
	assert_int_equal(x86_decode_mmio(bad, sizeof(bad), X86_MODE_LONG64, &insn, err, 1), -1);
	assert_int_equal(err[0], '\0');
	assert_int_equal(err[1], 'x');
	memset(err, 'x', sizeof(err));
	assert_int_equal(x86_decode_mmio(bad, sizeof(bad), X86_MODE_LONG64, &insn, err,
					 sizeof(err)), -1);
	assert_string_equal(err, "cannot ");
	/* An unknown mode is refused, not guessed. */
	assert_int_equal(x86_decode_mmio(bad, sizeof(bad), (enum x86_cpu_mode)7, &insn, err,
					 sizeof(err)), -1);
}

static const enum x86_cpu_mode all_modes[] = {
	X86_MODE_REAL16, X86_MODE_PROT16, X86_MODE_PROT32, X86_MODE_LONG64,
};

/* The invariants of any successful decode. */
static void check_sane(const struct x86_mmio_insn *insn, size_t available, const uint8_t *bytes)
{
	unsigned size = insn->access_size;

	if (insn->length == 0 || insn->length > available ||
	    insn->length > X86_MAX_INSTRUCTION_LENGTH)
		fail_msg("length %u with %zu available (%02x %02x %02x)", insn->length, available,
			 bytes[0], available > 1 ? bytes[1] : 0, available > 2 ? bytes[2] : 0);
	if (size != 1 && size != 2 && size != 4 && size != 8)
		fail_msg("access size %u", size);
	if (insn->operand_size < size || insn->gpr > 15 || (insn->high_byte && insn->gpr > 3))
		fail_msg("operand size %u, gpr %u", insn->operand_size, insn->gpr);
}

/* Every one- and two-byte input, in every mode, from exact-size buffers. */
static void test_all_short_inputs(void **state)
{
	unsigned accepted = 0;

	(void)state;
	for (size_t m = 0; m < ARRAY_SIZE(all_modes); m++) {
		for (unsigned value = 0; value < 0x10000; value++) {
			uint8_t bytes[2] = { (uint8_t)(value >> 8), (uint8_t)value };
			struct x86_mmio_insn insn;
			char err[128];

			for (size_t n = 1; n <= 2; n++) {
				if (n == 1 && bytes[1] != 0)
					continue;
				if (decode_exact(bytes, n, all_modes[m], &insn, err, sizeof(err)))
					continue;
				check_sane(&insn, n, bytes);
				accepted++;
			}
		}
	}
	assert_true(accepted > 0);
}

/* Pseudo-random inputs of every length up to 16 bytes, biased toward prefixes and the opcodes
 * the decoder knows, from exact-size buffers. */
static void test_random_inputs(void **state)
{
	static const uint8_t interesting[] = {
		0x66, 0x67, 0xF0, 0xF2, 0xF3, 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x40, 0x41, 0x48,
		0x4C, 0x4F, 0x0F, 0xB6, 0xB7, 0xBE, 0xBF, 0x88, 0x89, 0x8A, 0x8B, 0xC6, 0xC7, 0xA0,
		0xA1, 0xA2, 0xA3, 0x63, 0xAA, 0xAB, 0x01, 0x09, 0x21, 0x31, 0x80, 0x81, 0x83, 0x04,
		0x05, 0x24, 0x25, 0x44, 0x84, 0x00, 0xFF,
	};
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	unsigned accepted = 0;

	(void)state;
	for (unsigned round = 0; round < 200000; round++) {
		uint8_t bytes[16];
		size_t n;
		struct x86_mmio_insn insn;
		char err[128];

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		n = 1 + (seed >> 60);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			bytes[i] = (seed >> 63) ? interesting[(seed >> 32) % sizeof(interesting)]
						: (uint8_t)(seed >> 40);
		}
		if (decode_exact(bytes, n, all_modes[round % 4], &insn, err, sizeof(err)) == 0) {
			check_sane(&insn, n, bytes);
			accepted++;
		} else if (err[0] == '\0') {
			fail_msg("round %u: rejected without a reason", round);
		}
	}
	print_message("%u of 200000 random inputs decoded\n", accepted);
}

/* x86_mmio_merge_read and x86_mmio_write_value on hand-built descriptions, including the
 * directions they must leave alone. */
static void test_merge_and_write_value(void **state)
{
	struct x86_mmio_insn insn;

	(void)state;
	memset(&insn, 0, sizeof(insn));
	insn.direction = X86_MMIO_WRITE;
	insn.access_size = insn.operand_size = 4;
	assert_int_equal(x86_mmio_merge_read(&insn, 0x1234, 0x5678), 0x1234);
	insn.direction = X86_MMIO_READ_MODIFY_WRITE;
	assert_int_equal(x86_mmio_merge_read(&insn, 0x1234, 0x5678), 0x1234);

	/* A read of a 32-bit register: the value read is truncated to the access size. */
	insn.direction = X86_MMIO_READ;
	insn.register_write = X86_MMIO_REGISTER_ZERO_UPPER;
	assert_int_equal(x86_mmio_merge_read(&insn, ALL_ONES, 0xAAAAAAAA12345678ull), 0x12345678);

	/* DH from a byte with stray upper bits. */
	insn.access_size = insn.operand_size = 1;
	insn.register_write = X86_MMIO_REGISTER_MERGE;
	insn.gpr = 2;
	insn.high_byte = true;
	assert_int_equal(x86_mmio_merge_read(&insn, 0x1122334455667788ull, 0xF0AB),
			 0x112233445566AB88ull);
	insn.direction = X86_MMIO_WRITE;
	assert_int_equal(x86_mmio_write_value(&insn, 0x1122334455667788ull), 0x77);
	insn.high_byte = false;
	assert_int_equal(x86_mmio_write_value(&insn, 0x1122334455667788ull), 0x88);

	/* Immediates are truncated to the access size. */
	insn.operand = X86_MMIO_OPERAND_IMMEDIATE;
	insn.immediate = 0x1FF;
	assert_int_equal(x86_mmio_write_value(&insn, ALL_ONES), 0xFF);
	insn.access_size = insn.operand_size = 8;
	insn.immediate = 0xFFFFFFFF80000000ull;
	assert_int_equal(x86_mmio_write_value(&insn, 0), 0xFFFFFFFF80000000ull);
}

#define CF (1ull << 0)
#define RESERVED1 (1ull << 1)
#define PF (1ull << 2)
#define AF (1ull << 4)
#define ZF (1ull << 6)
#define SF (1ull << 7)
#define IF (1ull << 9)
#define OF (1ull << 11)

/* One ALU operation and its result and flags. */
struct alu_case {
	enum x86_mmio_alu_op op;
	unsigned size;
	uint64_t memory, source, rflags_before;
	uint64_t result, rflags_after;
};

static const struct alu_case alu_cases[] = {
	{ X86_MMIO_ALU_ADD, 4, 0xFFFFFFFF, 1, RESERVED1, 0, RESERVED1 | CF | PF | AF | ZF },
	{ X86_MMIO_ALU_ADD, 4, 0x7FFFFFFF, 1, RESERVED1, 0x80000000,
	  RESERVED1 | OF | SF | AF | PF },
	{ X86_MMIO_ALU_ADD, 1, 0x0F, 0x01, RESERVED1 | CF | ZF, 0x10, RESERVED1 | AF },
	{ X86_MMIO_ALU_ADD, 1, 0x80, 0x80, RESERVED1, 0x00, RESERVED1 | CF | OF | ZF | PF },
	{ X86_MMIO_ALU_ADD, 8, 1, 2, RESERVED1 | IF, 3, RESERVED1 | IF | PF },
	{ X86_MMIO_ALU_ADD, 8, ALL_ONES, ALL_ONES, RESERVED1, 0xFFFFFFFFFFFFFFFEull,
	  RESERVED1 | CF | SF | AF },
	{ X86_MMIO_ALU_ADD, 2, 0x1234, 0x10000, RESERVED1 | PF, 0x1234, RESERVED1 },
	{ X86_MMIO_ALU_OR, 4, 0x100, 0x1, RESERVED1 | IF | CF | OF | AF | ZF, 0x101,
	  RESERVED1 | IF },
	{ X86_MMIO_ALU_OR, 8, 0, 0, RESERVED1, 0, RESERVED1 | ZF | PF },
	{ X86_MMIO_ALU_AND, 2, 0x8000, 0xFFFF, RESERVED1, 0x8000, RESERVED1 | SF | PF },
	{ X86_MMIO_ALU_AND, 1, 0x1FF, 0xFF, RESERVED1, 0xFF, RESERVED1 | SF | PF },
	{ X86_MMIO_ALU_AND, 4, 0xFFFFFFFF, 0xFFFFFEFF, RESERVED1, 0xFFFFFEFF, RESERVED1 | SF | PF },
	{ X86_MMIO_ALU_XOR, 8, 0x123456789ull, 0x123456789ull, RESERVED1 | SF, 0,
	  RESERVED1 | ZF | PF },
	{ X86_MMIO_ALU_XOR, 4, 0x80000001, 0x00000003, RESERVED1, 0x80000002, RESERVED1 | SF },
};

static void test_alu_apply(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(alu_cases); i++) {
		const struct alu_case *c = &alu_cases[i];
		struct x86_mmio_insn insn;
		uint64_t rflags = c->rflags_before, result;

		memset(&insn, 0, sizeof(insn));
		insn.direction = X86_MMIO_READ_MODIFY_WRITE;
		insn.alu_op = c->op;
		insn.access_size = insn.operand_size = c->size;
		result = x86_mmio_alu_apply(&insn, c->memory, c->source, &rflags);
		if (result != c->result || rflags != c->rflags_after)
			fail_msg("case %zu: result %llx flags %llx, want %llx flags %llx", i,
				 (unsigned long long)result, (unsigned long long)rflags,
				 (unsigned long long)c->result,
				 (unsigned long long)c->rflags_after);
	}
}

/* Decoded read-modify-write end to end: `lock or dword [rcx], 0x100` on an APIC SVR. */
static void test_rmw_end_to_end(void **state)
{
	static const uint8_t bytes[] = { 0xF0, 0x81, 0x09, 0x00, 0x01, 0x00, 0x00 };
	struct x86_mmio_insn insn;
	uint64_t rflags = RESERVED1 | ZF;
	char err[128];

	(void)state;
	assert_int_equal(x86_decode_mmio(bytes, sizeof(bytes), X86_MODE_LONG64, &insn, err,
					 sizeof(err)), 0);
	assert_int_equal(insn.direction, X86_MMIO_READ_MODIFY_WRITE);
	assert_int_equal(insn.alu_op, X86_MMIO_ALU_OR);
	assert_true(insn.lock);
	assert_int_equal(x86_mmio_alu_apply(&insn, 0xFF, x86_mmio_write_value(&insn, 0), &rflags),
			 0x1FF);
	assert_int_equal(rflags, RESERVED1 | PF);
	/* Not a read-modify-write: memory and flags untouched. */
	insn.alu_op = X86_MMIO_ALU_NONE;
	assert_int_equal(x86_mmio_alu_apply(&insn, 0x12, 0x34, &rflags), 0x12);
	assert_int_equal(rflags, RESERVED1 | PF);
}

/* ---- the ALU against the host processor ------------------------------------------------------
 * Every ALU operation, in every size, on pairs of edge values with CF clear and set, computed by
 * x86_mmio_alu_apply and by the host CPU executing the same instruction on registers: results
 * and every flag the SDM defines for the instruction must agree (the undefined ones: AF after
 * OR/AND/XOR/TEST; OF, SF, AF, PF after BT*). The instruction runs between PUSHF/POPF below the
 * red zone, which the host ABI lets the compiler use. */

#define HW_FLAGS_IN (CF | PF | AF | ZF | SF | OF | RESERVED1)

#define HW_BINARY(name, mnemonic, suffix, type, constraint)                                 \
	static uint64_t hw_##name##_##suffix(uint64_t d, uint64_t src, uint64_t *flags)     \
	{                                                                                   \
		type dst = (type)d, s = (type)src;                                          \
		uint64_t f = *flags;                                                        \
		__asm__ volatile("lea -128(%%rsp), %%rsp\n\tpush %[f]\n\tpopfq\n\t"         \
				 mnemonic #suffix " %[s], %[dst]\n\t"                       \
				 "pushfq\n\tpop %[f]\n\tlea 128(%%rsp), %%rsp"              \
				 : [dst] "+" constraint(dst), [f] "+r"(f)                   \
				 : [s] constraint(s) : "cc", "memory");                     \
		*flags = f;                                                                 \
		return (uint64_t)dst;                                                       \
	}
#define HW_UNARY(name, mnemonic, suffix, type, constraint)                                  \
	static uint64_t hw_##name##_##suffix(uint64_t d, uint64_t src, uint64_t *flags)     \
	{                                                                                   \
		type dst = (type)d;                                                         \
		uint64_t f = *flags;                                                        \
		(void)src;                                                                  \
		__asm__ volatile("lea -128(%%rsp), %%rsp\n\tpush %[f]\n\tpopfq\n\t"         \
				 mnemonic #suffix " %[dst]\n\t"                             \
				 "pushfq\n\tpop %[f]\n\tlea 128(%%rsp), %%rsp"              \
				 : [dst] "+" constraint(dst), [f] "+r"(f) : : "cc", "memory"); \
		*flags = f;                                                                 \
		return (uint64_t)dst;                                                       \
	}
#define HW_ALL_SIZES(macro, name, mnemonic)                                                 \
	macro(name, mnemonic, b, uint8_t, "q") macro(name, mnemonic, w, uint16_t, "r")      \
	macro(name, mnemonic, l, uint32_t, "r") macro(name, mnemonic, q, uint64_t, "r")
#define HW_WIDE_SIZES(macro, name, mnemonic)                                                \
	macro(name, mnemonic, w, uint16_t, "r") macro(name, mnemonic, l, uint32_t, "r")     \
	macro(name, mnemonic, q, uint64_t, "r")

HW_ALL_SIZES(HW_BINARY, add, "add")
HW_ALL_SIZES(HW_BINARY, or, "or")
HW_ALL_SIZES(HW_BINARY, adc, "adc")
HW_ALL_SIZES(HW_BINARY, sbb, "sbb")
HW_ALL_SIZES(HW_BINARY, and, "and")
HW_ALL_SIZES(HW_BINARY, sub, "sub")
HW_ALL_SIZES(HW_BINARY, xor, "xor")
HW_ALL_SIZES(HW_BINARY, cmp, "cmp")
HW_ALL_SIZES(HW_BINARY, test, "test")
HW_ALL_SIZES(HW_UNARY, not, "not")
HW_ALL_SIZES(HW_UNARY, neg, "neg")
HW_ALL_SIZES(HW_UNARY, inc, "inc")
HW_ALL_SIZES(HW_UNARY, dec, "dec")
HW_WIDE_SIZES(HW_BINARY, bt, "bt")
HW_WIDE_SIZES(HW_BINARY, bts, "bts")
HW_WIDE_SIZES(HW_BINARY, btr, "btr")
HW_WIDE_SIZES(HW_BINARY, btc, "btc")

typedef uint64_t (*hw_alu)(uint64_t destination, uint64_t source, uint64_t *flags);

#define HW_ROW(op, name, defined) \
	{ X86_MMIO_ALU_##op, { hw_##name##_b, hw_##name##_w, hw_##name##_l, hw_##name##_q }, defined }
#define HW_ROW_WIDE(op, name, defined) \
	{ X86_MMIO_ALU_##op, { NULL, hw_##name##_w, hw_##name##_l, hw_##name##_q }, defined }
#define ALL_STATUS (CF | PF | AF | ZF | SF | OF)

static const struct {
	enum x86_mmio_alu_op op;
	hw_alu by_size[4];            /* 1, 2, 4, 8 bytes */
	uint64_t defined_flags;       /* the flags the SDM defines after the instruction */
} hw_ops[] = {
	HW_ROW(ADD, add, ALL_STATUS),
	HW_ROW(OR, or, ALL_STATUS & ~AF),
	HW_ROW(ADC, adc, ALL_STATUS),
	HW_ROW(SBB, sbb, ALL_STATUS),
	HW_ROW(AND, and, ALL_STATUS & ~AF),
	HW_ROW(SUB, sub, ALL_STATUS),
	HW_ROW(XOR, xor, ALL_STATUS & ~AF),
	HW_ROW(CMP, cmp, ALL_STATUS),
	HW_ROW(TEST, test, ALL_STATUS & ~AF),
	HW_ROW(NOT, not, ALL_STATUS),
	HW_ROW(NEG, neg, ALL_STATUS),
	HW_ROW(INC, inc, ALL_STATUS),
	HW_ROW(DEC, dec, ALL_STATUS),
	HW_ROW_WIDE(BT, bt, CF | ZF),
	HW_ROW_WIDE(BTS, bts, CF | ZF),
	HW_ROW_WIDE(BTR, btr, CF | ZF),
	HW_ROW_WIDE(BTC, btc, CF | ZF),
};

static const uint64_t hw_values[] = {
	0, 1, 2, 0xF, 0x10, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF,
	0x80000000, 0xFFFFFFFF, 0x100000000ull, 0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull,
	ALL_ONES, 0x0123456789ABCDEFull, 0xFEDCBA9876543210ull, 63, 64, 31, 32, 15, 16, 0x5A,
};

static void test_alu_against_host(void **state)
{
	static const unsigned sizes[4] = { 1, 2, 4, 8 };
	unsigned compared = 0;

	(void)state;
	for (size_t o = 0; o < ARRAY_SIZE(hw_ops); o++) {
		for (unsigned z = 0; z < 4; z++) {
			struct x86_mmio_insn insn;

			if (!hw_ops[o].by_size[z])
				continue;
			memset(&insn, 0, sizeof(insn));
			insn.alu_op = hw_ops[o].op;
			insn.access_size = insn.operand_size = sizes[z];
			for (size_t i = 0; i < ARRAY_SIZE(hw_values); i++) {
				for (size_t j = 0; j < ARRAY_SIZE(hw_values); j++) {
					for (unsigned f = 0; f < 4; f++) {
						/* CF in or not; the other status flags all set or
						 * all clear, so "kept" and "cleared" differ. */
						uint64_t in = RESERVED1 | (f & 1 ? CF : 0) |
							      (f & 2 ? PF | AF | ZF | SF | OF : 0);
						uint64_t mine = in, host = in, a, b;
						uint64_t mask = hw_ops[o].defined_flags;

						a = x86_mmio_alu_apply(&insn, hw_values[i],
								       hw_values[j], &mine);
						b = hw_ops[o].by_size[z](hw_values[i], hw_values[j],
									 &host);
						if (sizes[z] < 8)
							b &= (1ull << (8 * sizes[z])) - 1;
						if (a != b || (mine & mask) != (host & mask) ||
						    (mine & ~ALL_STATUS) != (host & ~ALL_STATUS & HW_FLAGS_IN))
							fail_msg("op %d size %u: %llx, %llx flags %llx: "
								 "emulated %llx flags %llx, host %llx "
								 "flags %llx", (int)hw_ops[o].op,
								 sizes[z],
								 (unsigned long long)hw_values[i],
								 (unsigned long long)hw_values[j],
								 (unsigned long long)in,
								 (unsigned long long)a,
								 (unsigned long long)mine,
								 (unsigned long long)b,
								 (unsigned long long)host);
						compared++;
					}
				}
			}
		}
	}
	print_message("%u ALU results compared with the host processor\n", compared);
}

/* CMPXCHG against the host: result, accumulator and all six flags. */
static void test_cmpxchg_against_host(void **state)
{
	unsigned compared = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(hw_values); i++) {
		for (size_t j = 0; j < ARRAY_SIZE(hw_values); j++) {
			for (unsigned z = 0; z < 4; z++) {
				unsigned size = 1u << z;
				uint64_t mask = size == 8 ? ALL_ONES : (1ull << (8 * size)) - 1;
				uint64_t memory = hw_values[i], accumulator = hw_values[j];
				uint64_t source = 0xA5A5A5A5A5A5A5A5ull, rflags = RESERVED1;
				uint64_t host_memory = memory, host_rax = accumulator, host_flags;
				struct x86_mmio_insn insn;
				bool load;
				uint64_t written;

				if (i % 3 == 0)
					accumulator = host_rax = memory; /* equal half the time */
				memset(&insn, 0, sizeof(insn));
				insn.access_size = insn.operand_size = size;
				written = x86_mmio_cmpxchg(&insn, memory, accumulator, source, &rflags,
							   &load);
				switch (size) {
				case 1: {
					uint8_t m = (uint8_t)host_memory, a = (uint8_t)host_rax;
					__asm__("cmpxchgb %b3, %0\n\tpushfq\n\tpop %2"
						: "+m"(m), "+a"(a), "=r"(host_flags)
						: "q"((uint8_t)source) : "cc");
					host_memory = m;
					host_rax = a;
					break;
				}
				case 2: {
					uint16_t m = (uint16_t)host_memory, a = (uint16_t)host_rax;
					__asm__("cmpxchgw %w3, %0\n\tpushfq\n\tpop %2"
						: "+m"(m), "+a"(a), "=r"(host_flags)
						: "r"((uint16_t)source) : "cc");
					host_memory = m;
					host_rax = a;
					break;
				}
				case 4: {
					uint32_t m = (uint32_t)host_memory, a = (uint32_t)host_rax;
					__asm__("cmpxchgl %3, %0\n\tpushfq\n\tpop %2"
						: "+m"(m), "+a"(a), "=r"(host_flags)
						: "r"((uint32_t)source) : "cc");
					host_memory = m;
					host_rax = a;
					break;
				}
				default:
					__asm__("cmpxchgq %3, %0\n\tpushfq\n\tpop %2"
						: "+m"(host_memory), "+a"(host_rax),
						  "=r"(host_flags)
						: "r"(source) : "cc");
					break;
				}
				if (written != (host_memory & mask) ||
				    (rflags & ALL_STATUS) != (host_flags & ALL_STATUS) ||
				    (load ? memory & mask : accumulator & mask) != (host_rax & mask))
					fail_msg("cmpxchg size %u memory %llx rax %llx: wrote %llx flags "
						 "%llx load %d; host %llx flags %llx rax %llx", size,
						 (unsigned long long)memory,
						 (unsigned long long)accumulator,
						 (unsigned long long)written, (unsigned long long)rflags,
						 load, (unsigned long long)host_memory,
						 (unsigned long long)host_flags,
						 (unsigned long long)host_rax);
				compared++;
			}
		}
	}
	print_message("%u CMPXCHG results compared with the host processor\n", compared);
}

/* The register operand's result: merged, AH..BH, zero-extended from 32 bits, replaced. */
static void test_register_result(void **state)
{
	struct x86_mmio_insn insn;

	(void)state;
	memset(&insn, 0, sizeof(insn));
	insn.operand_size = insn.access_size = 1;
	insn.register_write = X86_MMIO_REGISTER_MERGE;
	assert_int_equal(x86_mmio_register_result(&insn, 0x1122334455667788ull, 0x1AB),
			 0x11223344556677ABull);
	insn.high_byte = true;
	assert_int_equal(x86_mmio_register_result(&insn, 0x1122334455667788ull, 0xAB),
			 0x112233445566AB88ull);
	insn.high_byte = false;
	insn.operand_size = insn.access_size = 2;
	assert_int_equal(x86_mmio_register_result(&insn, ALL_ONES, 0x12345), 0xFFFFFFFFFFFF2345ull);
	insn.operand_size = insn.access_size = 4;
	insn.register_write = X86_MMIO_REGISTER_ZERO_UPPER;
	assert_int_equal(x86_mmio_register_result(&insn, ALL_ONES, 0x123456789ull), 0x23456789);
	insn.operand_size = insn.access_size = 8;
	insn.register_write = X86_MMIO_REGISTER_REPLACE;
	assert_int_equal(x86_mmio_register_result(&insn, 0, ALL_ONES), ALL_ONES);
	/* Which ALU operations write their result. */
	assert_false(x86_mmio_alu_writes_result(X86_MMIO_ALU_CMP));
	assert_false(x86_mmio_alu_writes_result(X86_MMIO_ALU_TEST));
	assert_false(x86_mmio_alu_writes_result(X86_MMIO_ALU_BT));
	assert_false(x86_mmio_alu_writes_result(X86_MMIO_ALU_NONE));
	assert_true(x86_mmio_alu_writes_result(X86_MMIO_ALU_BTS));
	assert_true(x86_mmio_alu_writes_result(X86_MMIO_ALU_SBB));
	assert_true(x86_mmio_alu_writes_result(X86_MMIO_ALU_NOT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_encodings),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_all_short_inputs),
		cmocka_unit_test(test_random_inputs),
		cmocka_unit_test(test_merge_and_write_value),
		cmocka_unit_test(test_alu_apply),
		cmocka_unit_test(test_rmw_end_to_end),
		cmocka_unit_test(test_alu_against_host),
		cmocka_unit_test(test_cmpxchg_against_host),
		cmocka_unit_test(test_register_result),
	};

	print_message("%zu valid encodings, %zu malformed\n", ARRAY_SIZE(cases),
		      ARRAY_SIZE(malformed));
	return cmocka_run_group_tests_name("x86_decode", tests, NULL, NULL);
}
