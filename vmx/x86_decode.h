/* SPDX-License-Identifier: MIT */
/*
 * The one small x86 instruction decoder behind trapped MMIO (the local APIC page in "emulate"
 * mode, the APIC-access page, the IOAPIC, the HPET, the test device's iomem window, memory
 * nothing backs). A VM exit for such an access tells the hypervisor the guest-physical address
 * (or page offset) and whether it was a read or a write, but not the data, the register or the
 * width; the exit handler fetches the bytes at the guest's RIP (vmx/guest_walk.h) and hands
 * them here. vmx/mmio.c carries the decoded instruction out; docs/design.md has the table.
 *
 * Covered (SDM Vol. 2 §2.1 "Instruction Format for Protected Mode, Real-Address Mode, and
 * Virtual-8086 Mode" and §2.2 "IA-32e Mode"; each instruction's own page for its semantics):
 *   moves (X86_MMIO_KIND_MOVE): MOV r/m,r and r,r/m (88-8B); MOV r/m,imm (C6 /0, C7 /0); MOV
 *     with a direct memory offset (A0-A3); MOVZX (0F B6, 0F B7); MOVSX (0F BE, 0F BF); MOVSXD
 *     (63, 64-bit mode only);
 *   ALU with a memory destination (X86_MMIO_KIND_ALU_TO_MEMORY): ADD/OR/ADC/SBB/AND/SUB/XOR/CMP
 *     r/m,r (00-39, low three bits 0 or 1) and r/m,imm (80, 81, 83, all eight /n); TEST r/m,r
 *     (84, 85) and r/m,imm (F6 /0, F7 /0); NOT, NEG (F6/F7 /2, /3); INC, DEC (FE /0 /1, FF /0
 *     /1); BT/BTS/BTR/BTC r/m,r (0F A3, AB, B3, BB) and r/m,imm8 (0F BA /4-/7). CMP, TEST and
 *     BT only read memory (direction X86_MMIO_READ); the others write the result back;
 *   ALU with a register destination (X86_MMIO_KIND_ALU_TO_REGISTER): the same eight r,r/m
 *     (02-3B, low three bits 2 or 3): memory is read, the register written (CMP writes none);
 *   XCHG r/m,r (86, 87; locked with or without F0), CMPXCHG (0F B0, B1), XADD (0F C0, C1);
 *   strings: MOVS (A4, A5), STOS (AA, AB), LODS (AC, AD), each with or without REP (F3, or F2,
 *     which repeats the same way on these three); a segment override names MOVS's and LODS's
 *     source segment;
 *   the stack: PUSH r/m (FF /6) and POP r/m (8F /0).
 *   Prefixes 66, 67, 2E/36/3E/26/64/65, F0, F2/F3 and REX (64-bit mode only). LOCK is accepted
 *   exactly where SDM Vol. 2 "LOCK" allows it with a memory destination: ADD, ADC, AND, BTC,
 *   BTR, BTS, CMPXCHG, DEC, INC, NEG, NOT, OR, SBB, SUB, XOR, XADD, XCHG; anywhere else it is
 *   refused ("#UD on the processor"). F2/F3 on a non-string form are accepted and ignored, as
 *   the processor does (on MOV to memory and LOCKed forms they are XACQUIRE/XRELEASE hints).
 * Refused with a clear reason, which the exit handler turns into a clear stop:
 *   "cannot emulate: SSE/AVX move ..." for the SSE/SSE2 moves (0F 10-17, 28, 29, 2B, 6E, 6F,
 *   7E, 7F, D6, E7), MOVNTI (0F C3: an SSE2 instruction, refused with them) and, in 64-bit
 *   mode, every VEX (C4, C5) and EVEX (62) instruction (outside 64-bit mode those bytes with a
 *   memory operand are LES, LDS and BOUND: refused as opcodes); "cannot emulate: x87 ..." for
 *   D8-DF; "cannot emulate: opcode ..." for everything else (CMPS, SCAS, MUL/DIV, shifts,
 *   CMPXCHG8B, far and indirect branches through memory, ...).
 *
 * Plain C: no VMX, no UEFI; unit-tested on the host (tests/unit/test_x86_decode.c).
 */
#ifndef APICVISOR_X86_DECODE_H
#define APICVISOR_X86_DECODE_H

#include "../lib/klib.h"

/* "The maximum length of an Intel 64 and IA-32 instruction remains 15 bytes" (SDM Vol. 2
 * §2.3.11 "AVX Instruction Length"); a longer one raises #GP. */
#define X86_MAX_INSTRUCTION_LENGTH 15

/* Marks "no register" in a memory operand's base or index. */
#define X86_NO_REGISTER (-1)

/* The mode that sets default operand and address sizes and whether REX exists. The caller
 * derives it: CR0.PE=0 → REAL16 (virtual-8086 too); EFER.LMA=1 and CS.L=1 → LONG64;
 * otherwise CS.D=1 → PROT32 (compatibility mode included), CS.D=0 → PROT16. */
enum x86_cpu_mode {
	X86_MODE_REAL16,
	X86_MODE_PROT16,
	X86_MODE_PROT32,
	X86_MODE_LONG64,
};

/* What happens at the memory operand that caused the exit. The exit handler checks the exit's
 * own direction against it. */
enum x86_mmio_direction {
	X86_MMIO_READ,               /* read only: moves and LODS to a register, CMP, TEST, BT, the
				      * r,r/m ALU forms */
	X86_MMIO_WRITE,              /* written only: moves from a register or immediate, STOS */
	X86_MMIO_READ_MODIFY_WRITE,  /* read, then written: ALU, NOT/NEG/INC/DEC, BTS/BTR/BTC,
				      * XCHG, CMPXCHG, XADD */
	X86_MMIO_COPY,               /* two memory operands, one read and one written: MOVS,
				      * PUSH r/m, POP r/m (the exit's access says which side it is) */
};

/* The instruction's family, which says how vmx/mmio.c carries it out. */
enum x86_mmio_kind {
	X86_MMIO_KIND_MOVE,             /* MOV, MOVZX, MOVSX, MOVSXD (direction READ or WRITE) */
	X86_MMIO_KIND_ALU_TO_MEMORY,    /* memory := memory OP source (alu_op); CMP/TEST/BT: flags
					 * only */
	X86_MMIO_KIND_ALU_TO_REGISTER,  /* register := register OP memory (alu_op); CMP: flags only */
	X86_MMIO_KIND_XCHG,             /* memory := register, register := old memory */
	X86_MMIO_KIND_CMPXCHG,          /* see x86_mmio_cmpxchg */
	X86_MMIO_KIND_XADD,             /* memory := memory + register, register := old memory */
	X86_MMIO_KIND_MOVS,             /* ES:[rDI] := seg:[rSI] */
	X86_MMIO_KIND_STOS,             /* ES:[rDI] := rAX */
	X86_MMIO_KIND_LODS,             /* rAX := seg:[rSI] */
	X86_MMIO_KIND_PUSH,             /* rSP -= size, SS:[rSP] := r/m */
	X86_MMIO_KIND_POP,              /* r/m := SS:[rSP], rSP += size */
};

/* The operand that is not the memory operand. */
enum x86_mmio_operand {
	X86_MMIO_OPERAND_REGISTER,   /* `gpr` (and `high_byte`) */
	X86_MMIO_OPERAND_IMMEDIATE,  /* `immediate` */
	X86_MMIO_OPERAND_NONE,       /* NOT/NEG/INC/DEC, MOVS, PUSH, POP (CMPXCHG's rAX is implied
				      * and its register source is `gpr`) */
};

/* How a value read from memory (access_size bytes) becomes an operand_size value. */
enum x86_mmio_extend {
	X86_MMIO_EXTEND_NONE,  /* MOV: access_size == operand_size */
	X86_MMIO_EXTEND_ZERO,  /* MOVZX */
	X86_MMIO_EXTEND_SIGN,  /* MOVSX, MOVSXD with REX.W */
};

/* How an operand_size result lands in the 64-bit register (SDM Vol. 1 §3.4.1.1
 * "General-Purpose Registers in 64-Bit Mode": "32-bit operands generate a 32-bit result,
 * zero-extended to a 64-bit result in the destination general-purpose register"; "8-bit and
 * 16-bit operands generate an 8-bit or 16-bit result. The upper 56 bits or 48 bits
 * (respectively) of the destination general-purpose register are not modified"). */
enum x86_mmio_register_write {
	X86_MMIO_REGISTER_MERGE,        /* 8/16-bit destination: other bits kept (AH..BH: bits 15:8) */
	X86_MMIO_REGISTER_ZERO_UPPER,   /* 32-bit destination: bits 63:32 cleared */
	X86_MMIO_REGISTER_REPLACE,      /* 64-bit destination */
};

/* The operation of the ALU kinds. The first eight are ModRM.reg of group 1 (80, 81, 83) and
 * bits 5:3 of the 00-3B opcodes plus one (ADD 0, OR 1, ADC 2, SBB 3, AND 4, SUB 5, XOR 6,
 * CMP 7). */
enum x86_mmio_alu_op {
	X86_MMIO_ALU_NONE,
	X86_MMIO_ALU_ADD,
	X86_MMIO_ALU_OR,
	X86_MMIO_ALU_ADC,
	X86_MMIO_ALU_SBB,
	X86_MMIO_ALU_AND,
	X86_MMIO_ALU_SUB,
	X86_MMIO_ALU_XOR,
	X86_MMIO_ALU_CMP,
	X86_MMIO_ALU_TEST,
	X86_MMIO_ALU_NOT,
	X86_MMIO_ALU_NEG,
	X86_MMIO_ALU_INC,
	X86_MMIO_ALU_DEC,
	X86_MMIO_ALU_BT,
	X86_MMIO_ALU_BTS,
	X86_MMIO_ALU_BTR,
	X86_MMIO_ALU_BTC,
};

/* A segment-override prefix. For a ModRM operand the exit gives the address already
 * translated, so there it only matters for the length (and for computing the address of the
 * other operand of PUSH/POP r/m); it names the source segment of MOVS and LODS. */
enum x86_segment {
	X86_SEGMENT_DEFAULT,
	X86_SEGMENT_ES,
	X86_SEGMENT_CS,
	X86_SEGMENT_SS,
	X86_SEGMENT_DS,
	X86_SEGMENT_FS,
	X86_SEGMENT_GS,
};

enum x86_memory_form {
	X86_MEMORY_MODRM,          /* base + index * scale + displacement (either may be absent) */
	X86_MEMORY_RIP_RELATIVE,   /* next instruction's RIP (EIP with 67) + displacement */
	X86_MEMORY_OFFSET,         /* A0-A3: displacement is the absolute offset (moffs) */
	X86_MEMORY_STRING,         /* STOS ES:[rDI] (base 7); LODS seg:[rSI] (base 6); MOVS both:
				    * source seg:[rSI], destination ES:[rDI] (base 6, index 7) */
};

/* How the instruction named its memory operand. The exit gives that operand's address; this is
 * needed for the other memory operand of PUSH/POP r/m (whose address the exit does not give when
 * the stack side caused it), for diagnostics, and for tests of the ModRM/SIB decoding. */
struct x86_memory_operand {
	enum x86_memory_form form;
	int base;               /* GPR index 0-15, or X86_NO_REGISTER */
	int index;              /* GPR index 0-15, or X86_NO_REGISTER */
	unsigned scale;         /* 1, 2, 4 or 8 */
	uint64_t displacement;  /* sign-extended disp8/16/32; moffs zero-extended */
};

/* One decoded instruction. Filled by x86_decode_mmio only when it returns 0. */
struct x86_mmio_insn {
	enum x86_mmio_kind kind;
	enum x86_mmio_direction direction;
	enum x86_mmio_alu_op alu_op;       /* the ALU kinds only; NONE otherwise */
	unsigned access_size;              /* bytes read or written at the address: 1, 2, 4, 8
					    * (each element of a string, the stack slot of PUSH/POP) */

	/* The register or immediate operand. For a MOVE read and LODS the register is the
	 * destination; for a MOVE write, STOS and ALU_TO_MEMORY it (or the immediate) is the
	 * source (for BT* the bit offset); for ALU_TO_REGISTER it is the destination and first
	 * source; XCHG, XADD and CMPXCHG read and (may) write it. */
	enum x86_mmio_operand operand;
	unsigned gpr;                      /* 0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, 5 RBP, 6 RSI,
					    * 7 RDI, 8-15 R8-R15 (SDM encoding) */
	bool high_byte;                    /* 8-bit operand without REX naming AH, CH, DH, BH:
					    * bits 15:8 of gpr 0-3 */
	uint64_t immediate;                /* IMMEDIATE: sign-extended to operand_size, then
					    * truncated to it (C7 with REX.W: imm32 → 64 bits);
					    * 0F BA's imm8 is the bit offset, zero-extended */
	unsigned operand_size;             /* the register operand's size in bytes; differs from
					    * access_size only for MOVZX/MOVSX/MOVSXD */
	enum x86_mmio_extend extend;       /* MOVE reads: access_size → operand_size */
	enum x86_mmio_register_write register_write; /* operand_size → 64-bit register */

	struct x86_memory_operand memory;
	unsigned length;                   /* bytes, prefixes included: add to RIP when done */
	unsigned address_size;             /* 2, 4 or 8: width of rSI/rDI/rCX for strings, of
					    * moffs, of a ModRM address (not of rSP: the stack's
					    * address size comes from SS.B, which the caller knows) */
	enum x86_segment segment;          /* the override prefix, if any (see enum x86_segment) */
	bool lock;                         /* F0 (XCHG is locked without it too) */
	bool rep;                          /* MOVS/STOS/LODS with F3 (or F2, which acts the same) */
	bool string;                       /* MOVS/STOS/LODS: the caller moves rSI/rDI by
					    * access_size (down when RFLAGS.DF) and, with rep,
					    * counts rCX down */
	uint8_t rex;                       /* the REX byte in effect, 0 when none */
	uint8_t opcode[2];                 /* opcode bytes (0F xx for the two-byte ones) */
	unsigned opcode_length;            /* 1 or 2 */
};

/* Decodes the instruction at bytes[0..available). Reads no byte at or beyond `available`
 * (bytes may be NULL when available is 0) and none beyond the 15th. Returns 0 and fills *out,
 * or -1 with a one-line reason in err (NUL-terminated when err_len > 0; err may be NULL):
 *   "truncated: ...", "longer than 15 bytes ...", "cannot emulate: opcode 0f 01 at byte 0",
 *   "... LOCK prefix ...", "... ModRM mod=11 names a register ...". */
int x86_decode_mmio(const uint8_t *bytes, size_t available, enum x86_cpu_mode mode,
		    struct x86_mmio_insn *out, char *err, size_t err_len);

/* A MOVE read or LODS: the destination register's new value, given its old value and the
 * access_size bytes read (higher bits of value_read ignored): extended per `extend`, written
 * per `register_write`, into bits 15:8 for AH..BH. Other kinds: old_register unchanged. */
uint64_t x86_mmio_merge_read(const struct x86_mmio_insn *insn, uint64_t old_register,
			     uint64_t value_read);

/* An operand_size result landing in the register operand (ALU_TO_REGISTER, XCHG, XADD, and
 * CMPXCHG's rAX): merged into bits 7:0, 15:8 (AH..BH) or 15:0, zero-extended from 32 bits, or
 * replacing all 64 (SDM Vol. 1 §3.4.1.1). */
uint64_t x86_mmio_register_result(const struct x86_mmio_insn *insn, uint64_t old_register,
				  uint64_t result);

/* The register or immediate operand as an access_size value: what a MOVE write or STOS stores,
 * the source of ALU_TO_MEMORY (the bit offset of BT*), the register operand of XCHG/XADD/
 * CMPXCHG and ALU_TO_REGISTER (bits 15:8 for AH..BH, zero-extended into the result). */
uint64_t x86_mmio_write_value(const struct x86_mmio_insn *insn, uint64_t source_register);

/* Whether an ALU operation writes its result to its destination: all but CMP, TEST and BT. */
bool x86_mmio_alu_writes_result(enum x86_mmio_alu_op op);

/* The ALU kinds: the access_size-wide result of `destination OP source` (both truncated to
 * access_size; the destination is the memory value for ALU_TO_MEMORY and the register's for
 * ALU_TO_REGISTER; source is ignored by NOT/NEG/INC/DEC), and *rflags updated as the SDM's page
 * for the instruction says. Defined flags are exact: ADD/ADC/SUB/SBB/CMP/NEG set CF, PF, AF,
 * ZF, SF, OF from the result, ADC and SBB adding or subtracting CF; INC/DEC the same but keep
 * CF; OR/AND/XOR/TEST clear OF and CF and set SF, ZF, PF ("The state of the AF flag is
 * undefined": cleared here); NOT changes no flag; BT/BTS/BTR/BTC set CF to the selected bit
 * (bit offset modulo 8 * access_size: the exit already gives the address actually accessed,
 * which for a register offset beyond the operand is the operand the processor picked by
 * BitOffset DIV (8 * size), SDM Vol. 2A "BT"), keep ZF, and leave OF, SF, AF, PF (undefined)
 * as they were. For CMP/TEST/BT the return value is the destination unchanged. Other RFLAGS
 * bits are kept. ALU_NONE: the destination, flags untouched. */
uint64_t x86_mmio_alu_apply(const struct x86_mmio_insn *insn, uint64_t destination,
			    uint64_t source, uint64_t *rflags);

/* CMPXCHG (SDM Vol. 2A "CMPXCHG"): compares the accumulator (access_size bits of rAX) with the
 * memory value; flags as CMP accumulator, memory. Equal: ZF = 1 and memory gets `source` (the
 * register operand). Not equal: ZF = 0 and the accumulator gets the memory value, and memory is
 * written back with its own value ("the destination operand is written back if the comparison
 * fails"; the processor never produces a locked read without a locked write). Returns the value
 * to write to memory and sets *load_accumulator when rAX must take the memory value. */
uint64_t x86_mmio_cmpxchg(const struct x86_mmio_insn *insn, uint64_t memory, uint64_t accumulator,
			  uint64_t source, uint64_t *rflags, bool *load_accumulator);

#endif
