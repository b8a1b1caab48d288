/* SPDX-License-Identifier: MIT */
/*
 * The one small x86 instruction decoder behind trapped MMIO (the local APIC page in "emulate"
 * mode, the APIC-access page, the IOAPIC). A VM exit for such an access tells the hypervisor the
 * guest-physical address (or page offset) and whether it was a read or a write, but not the
 * data, the register or the width; the exit handler fetches the bytes at the guest's RIP
 * (vmx/guest_walk.h) and hands them here.
 *
 * Covered (SDM Vol. 2 §2.1 "Instruction Format for Protected Mode, Real-Address Mode, and
 * Virtual-8086 Mode" and §2.2 "IA-32e Mode"):
 *   MOV r/m,r and r,r/m (88, 89, 8A, 8B); MOV r/m,imm (C6 /0, C7 /0); MOV with a direct memory
 *   offset (A0-A3); MOVZX (0F B6, 0F B7); MOVSX (0F BE, 0F BF); MOVSXD (63, 64-bit mode only);
 *   STOS (AA, AB, with REP); and the read-modify-write forms ADD/OR/AND/XOR r/m,r (00/01,
 *   08/09, 20/21, 30/31) and r/m,imm (80, 81, 83 with /0, /1, /4, /6), LOCK allowed on those.
 *   Prefixes 66, 67, 2E/36/3E/26/64/65, F0, F2/F3 and REX (64-bit mode only). F2/F3 on
 *   anything but STOS are accepted and ignored, as the processor does (on MOV to memory and
 *   LOCKed forms they are the XACQUIRE/XRELEASE hints).
 * Everything else (XCHG, CMP, TEST, the ALU r,r/m forms, MOVS, VEX/EVEX, x87/SSE moves) is
 * refused with "cannot emulate: opcode ...", which the exit handler turns into a clear stop.
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

enum x86_mmio_direction {
	X86_MMIO_READ,               /* memory → register: MOV, MOVZX, MOVSX, MOVSXD */
	X86_MMIO_WRITE,              /* register or immediate → memory: MOV, STOS */
	X86_MMIO_READ_MODIFY_WRITE,  /* memory = memory OP source, RFLAGS updated: ADD/OR/AND/XOR */
};

/* The operand that is not the memory operand. */
enum x86_mmio_operand {
	X86_MMIO_OPERAND_REGISTER,   /* `gpr` (and `high_byte`) */
	X86_MMIO_OPERAND_IMMEDIATE,  /* `immediate` */
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

enum x86_mmio_alu_op {
	X86_MMIO_ALU_NONE,
	X86_MMIO_ALU_ADD,
	X86_MMIO_ALU_OR,
	X86_MMIO_ALU_AND,
	X86_MMIO_ALU_XOR,
};

/* A segment-override prefix, recorded for completeness: the exit gives the address already
 * translated, so overrides only matter for the instruction's length. */
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
	X86_MEMORY_STRING,         /* STOS: ES:[rDI] */
};

/* How the instruction named its memory operand. Not needed to emulate (the exit gives the
 * address); kept for diagnostics and for tests of the ModRM/SIB decoding. */
struct x86_memory_operand {
	enum x86_memory_form form;
	int base;               /* GPR index 0-15, or X86_NO_REGISTER */
	int index;              /* GPR index 0-15, or X86_NO_REGISTER */
	unsigned scale;         /* 1, 2, 4 or 8 */
	uint64_t displacement;  /* sign-extended disp8/16/32; moffs zero-extended */
};

/* One decoded instruction. Filled by x86_decode_mmio only when it returns 0. */
struct x86_mmio_insn {
	enum x86_mmio_direction direction;
	enum x86_mmio_alu_op alu_op;       /* READ_MODIFY_WRITE only; NONE otherwise */
	unsigned access_size;              /* bytes read or written at the address: 1, 2, 4, 8 */

	/* The register or immediate operand. For READ the register is the destination; for
	 * WRITE and READ_MODIFY_WRITE it (or the immediate) is the source. */
	enum x86_mmio_operand operand;
	unsigned gpr;                      /* 0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, 5 RBP, 6 RSI,
					    * 7 RDI, 8-15 R8-R15 (SDM encoding) */
	bool high_byte;                    /* 8-bit operand without REX naming AH, CH, DH, BH:
					    * bits 15:8 of gpr 0-3 */
	uint64_t immediate;                /* IMMEDIATE: sign-extended to operand_size, then
					    * truncated to it (C7 with REX.W: imm32 → 64 bits) */
	unsigned operand_size;             /* the register operand's size in bytes; differs from
					    * access_size only for MOVZX/MOVSX/MOVSXD */
	enum x86_mmio_extend extend;       /* READ: access_size → operand_size */
	enum x86_mmio_register_write register_write; /* READ: operand_size → 64-bit register */

	struct x86_memory_operand memory;
	unsigned length;                   /* bytes, prefixes included: add to RIP when done */
	unsigned address_size;             /* 2, 4 or 8: width of rDI/rCX for STOS, of moffs */
	enum x86_segment segment;          /* STOS always writes ES:[rDI]; an override there is
					    * recorded but changes nothing */
	bool lock;                         /* F0 (only accepted on READ_MODIFY_WRITE) */
	bool rep;                          /* STOS with F3 (or F2, which acts the same on STOS) */
	bool string;                       /* STOS: the caller advances rDI by access_size
					    * (down when RFLAGS.DF) and, with rep, counts rCX down */
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

/* READ: the destination register's new value, given its old value and the access_size bytes
 * read (higher bits of value_read ignored): extended per `extend`, written per
 * `register_write`, into bits 15:8 for AH..BH. Other directions: old_register unchanged. */
uint64_t x86_mmio_merge_read(const struct x86_mmio_insn *insn, uint64_t old_register,
			     uint64_t value_read);

/* WRITE: the access_size bytes written (zero-extended into the result), taken from the
 * immediate or from source_register (bits 15:8 for AH..BH). READ_MODIFY_WRITE: the same
 * extraction gives the source operand to pass to x86_mmio_alu_apply. */
uint64_t x86_mmio_write_value(const struct x86_mmio_insn *insn, uint64_t source_register);

/* READ_MODIFY_WRITE: the access_size-wide result of memory_value OP source_value (both
 * truncated to access_size), and *rflags updated as the instruction does: CF, PF, AF, ZF, SF,
 * OF from the result (SDM Vol. 2 "ADD", "OR", "AND", "XOR"; for OR/AND/XOR "The OF and CF flags
 * are cleared; the SF, ZF, and PF flags are set according to the result. The state of the AF
 * flag is undefined" — cleared here). Other RFLAGS bits are kept. */
uint64_t x86_mmio_alu_apply(const struct x86_mmio_insn *insn, uint64_t memory_value,
			    uint64_t source_value, uint64_t *rflags);

#endif
