/* SPDX-License-Identifier: MIT */
/*
 * The MMIO instruction scenarios (issue 9): instruction forms with an operand in the iomem window
 * of QEMU's pc-testdev (64 KiB of plain byte store at guest-physical 0xFF000000, which apicvisor
 * has with testdev=on), each checked against the same instruction on ordinary RAM, so that they
 * pass wherever the window behaves as memory: under QEMU with -device pc-testdev (TCG executes
 * them itself) and under apicvisor (which emulates each from an EPT violation, vmx/mmio.c).
 * Skipped where the window is not there. What each does, and the accesses it makes, is listed in
 * scenarios.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "lib/string.h"
#include "scenario_kit.h"

/* The window, identity-mapped in the fourth GiB (entry.asm, uncached). */
#define IOMEM_BASE 0xFF000000u
#define IOMEM ((volatile uint8_t *)(uintptr_t)IOMEM_BASE)
/* mmio-alu's slot in it: 16 bytes, enough for BT's register offsets (below 128 bits). */
#define ALU_SLOT 0x40u
#define ALU_SLOT_BYTES 16u

#define RFLAGS_CF (1ull << 0)
#define RFLAGS_PF (1ull << 2)
#define RFLAGS_AF (1ull << 4)
#define RFLAGS_ZF (1ull << 6)
#define RFLAGS_SF (1ull << 7)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_OF (1ull << 11)
/* The flags the SDM defines after each kind of form (the others may differ between a processor
 * and an emulator): all six; all but AF (OR, AND, XOR, TEST: "The state of the AF flag is
 * undefined"); CF and ZF (BT*: "The ZF flag is unaffected. The OF, SF, AF, and PF flags are
 * undefined"). */
#define ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)
#define LOGIC (ARITH & ~RFLAGS_AF)
#define BITS (RFLAGS_CF | RFLAGS_ZF)

/* One plain 8-byte store or load (a single MOV each: one exit each under apicvisor). */
static inline void store64(volatile void *at, uint64_t value)
{
	__asm__ volatile("movq %1, (%0)" : : "r"(at), "r"(value) : "memory");
}

static inline uint64_t load64(const volatile void *at)
{
	uint64_t value;

	__asm__ volatile("movq (%1), %0" : "=r"(value) : "r"(at) : "memory");
	return value;
}

/* ---- mmio-alu --------------------------------------------------------------------------------- */

/* The registers a form reads and writes: RAX (CMPXCHG's accumulator), RCX (the register operand)
 * and RFLAGS. */
struct alu_state {
	uint64_t rax, rcx, rflags;
};

/* One form as a function: RFLAGS loaded, the instruction on the 16 bytes at m, RFLAGS saved. */
#define FORM(fn, text)                                                                        \
	static void fn(volatile uint8_t *m, struct alu_state *s)                              \
	{                                                                                     \
		uint64_t a = s->rax, c = s->rcx, f = s->rflags;                               \
		__asm__ volatile("push %[f]\n\tpopfq\n\t" text "\n\tpushfq\n\tpop %[f]"       \
				 : [f] "+r"(f), "+a"(a), "+c"(c)                              \
				 : [m] "r"(m)                                                 \
				 : "memory", "cc");                                           \
		s->rax = a;                                                                   \
		s->rcx = c;                                                                   \
		s->rflags = f;                                                                \
	}

FORM(add_rm_r_b, "addb %%cl, (%[m])")
FORM(add_rm_r_w, "addw %%cx, (%[m])")
FORM(add_rm_r_l, "addl %%ecx, (%[m])")
FORM(add_rm_r_q, "addq %%rcx, (%[m])")
FORM(add_r_rm_b, "addb (%[m]), %%cl")
FORM(add_r_rm_w, "addw (%[m]), %%cx")
FORM(add_r_rm_l, "addl (%[m]), %%ecx")
FORM(add_r_rm_q, "addq (%[m]), %%rcx")
FORM(add_imm_b, "addb $0x81, (%[m])")
FORM(add_imm_w, "addw $0x8001, (%[m])")
FORM(add_imm_l, "addl $0x12345678, (%[m])")
FORM(add_imm8_q, "addq $-3, (%[m])")
FORM(or_rm_r_b, "orb %%cl, (%[m])")
FORM(or_rm_r_w, "orw %%cx, (%[m])")
FORM(or_rm_r_l, "orl %%ecx, (%[m])")
FORM(or_rm_r_q, "orq %%rcx, (%[m])")
FORM(or_r_rm_b, "orb (%[m]), %%cl")
FORM(or_r_rm_w, "orw (%[m]), %%cx")
FORM(or_r_rm_l, "orl (%[m]), %%ecx")
FORM(or_r_rm_q, "orq (%[m]), %%rcx")
FORM(or_imm_b, "orb $0x81, (%[m])")
FORM(or_imm_w, "orw $0x8001, (%[m])")
FORM(or_imm_l, "orl $0x12345678, (%[m])")
FORM(or_imm8_q, "orq $-3, (%[m])")
FORM(adc_rm_r_b, "adcb %%cl, (%[m])")
FORM(adc_rm_r_w, "adcw %%cx, (%[m])")
FORM(adc_rm_r_l, "adcl %%ecx, (%[m])")
FORM(adc_rm_r_q, "adcq %%rcx, (%[m])")
FORM(adc_r_rm_b, "adcb (%[m]), %%cl")
FORM(adc_r_rm_w, "adcw (%[m]), %%cx")
FORM(adc_r_rm_l, "adcl (%[m]), %%ecx")
FORM(adc_r_rm_q, "adcq (%[m]), %%rcx")
FORM(adc_imm_b, "adcb $0x81, (%[m])")
FORM(adc_imm_w, "adcw $0x8001, (%[m])")
FORM(adc_imm_l, "adcl $0x12345678, (%[m])")
FORM(adc_imm8_q, "adcq $-3, (%[m])")
FORM(sbb_rm_r_b, "sbbb %%cl, (%[m])")
FORM(sbb_rm_r_w, "sbbw %%cx, (%[m])")
FORM(sbb_rm_r_l, "sbbl %%ecx, (%[m])")
FORM(sbb_rm_r_q, "sbbq %%rcx, (%[m])")
FORM(sbb_r_rm_b, "sbbb (%[m]), %%cl")
FORM(sbb_r_rm_w, "sbbw (%[m]), %%cx")
FORM(sbb_r_rm_l, "sbbl (%[m]), %%ecx")
FORM(sbb_r_rm_q, "sbbq (%[m]), %%rcx")
FORM(sbb_imm_b, "sbbb $0x81, (%[m])")
FORM(sbb_imm_w, "sbbw $0x8001, (%[m])")
FORM(sbb_imm_l, "sbbl $0x12345678, (%[m])")
FORM(sbb_imm8_q, "sbbq $-3, (%[m])")
FORM(and_rm_r_b, "andb %%cl, (%[m])")
FORM(and_rm_r_w, "andw %%cx, (%[m])")
FORM(and_rm_r_l, "andl %%ecx, (%[m])")
FORM(and_rm_r_q, "andq %%rcx, (%[m])")
FORM(and_r_rm_b, "andb (%[m]), %%cl")
FORM(and_r_rm_w, "andw (%[m]), %%cx")
FORM(and_r_rm_l, "andl (%[m]), %%ecx")
FORM(and_r_rm_q, "andq (%[m]), %%rcx")
FORM(and_imm_b, "andb $0x81, (%[m])")
FORM(and_imm_w, "andw $0x8001, (%[m])")
FORM(and_imm_l, "andl $0x12345678, (%[m])")
FORM(and_imm8_q, "andq $-3, (%[m])")
FORM(sub_rm_r_b, "subb %%cl, (%[m])")
FORM(sub_rm_r_w, "subw %%cx, (%[m])")
FORM(sub_rm_r_l, "subl %%ecx, (%[m])")
FORM(sub_rm_r_q, "subq %%rcx, (%[m])")
FORM(sub_r_rm_b, "subb (%[m]), %%cl")
FORM(sub_r_rm_w, "subw (%[m]), %%cx")
FORM(sub_r_rm_l, "subl (%[m]), %%ecx")
FORM(sub_r_rm_q, "subq (%[m]), %%rcx")
FORM(sub_imm_b, "subb $0x81, (%[m])")
FORM(sub_imm_w, "subw $0x8001, (%[m])")
FORM(sub_imm_l, "subl $0x12345678, (%[m])")
FORM(sub_imm8_q, "subq $-3, (%[m])")
FORM(xor_rm_r_b, "xorb %%cl, (%[m])")
FORM(xor_rm_r_w, "xorw %%cx, (%[m])")
FORM(xor_rm_r_l, "xorl %%ecx, (%[m])")
FORM(xor_rm_r_q, "xorq %%rcx, (%[m])")
FORM(xor_r_rm_b, "xorb (%[m]), %%cl")
FORM(xor_r_rm_w, "xorw (%[m]), %%cx")
FORM(xor_r_rm_l, "xorl (%[m]), %%ecx")
FORM(xor_r_rm_q, "xorq (%[m]), %%rcx")
FORM(xor_imm_b, "xorb $0x81, (%[m])")
FORM(xor_imm_w, "xorw $0x8001, (%[m])")
FORM(xor_imm_l, "xorl $0x12345678, (%[m])")
FORM(xor_imm8_q, "xorq $-3, (%[m])")
FORM(cmp_rm_r_b, "cmpb %%cl, (%[m])")
FORM(cmp_rm_r_w, "cmpw %%cx, (%[m])")
FORM(cmp_rm_r_l, "cmpl %%ecx, (%[m])")
FORM(cmp_rm_r_q, "cmpq %%rcx, (%[m])")
FORM(cmp_r_rm_b, "cmpb (%[m]), %%cl")
FORM(cmp_r_rm_w, "cmpw (%[m]), %%cx")
FORM(cmp_r_rm_l, "cmpl (%[m]), %%ecx")
FORM(cmp_r_rm_q, "cmpq (%[m]), %%rcx")
FORM(cmp_imm_b, "cmpb $0x81, (%[m])")
FORM(cmp_imm_w, "cmpw $0x8001, (%[m])")
FORM(cmp_imm_l, "cmpl $0x12345678, (%[m])")
FORM(cmp_imm8_q, "cmpq $-3, (%[m])")
FORM(test_rm_r_b, "testb %%cl, (%[m])")
FORM(test_rm_r_w, "testw %%cx, (%[m])")
FORM(test_rm_r_l, "testl %%ecx, (%[m])")
FORM(test_rm_r_q, "testq %%rcx, (%[m])")
FORM(test_imm_b, "testb $0x81, (%[m])")
FORM(test_imm_w, "testw $0x8001, (%[m])")
FORM(test_imm_l, "testl $0x80000001, (%[m])")
FORM(test_imm_q, "testq $-2, (%[m])")
FORM(not_b, "notb (%[m])")
FORM(not_w, "notw (%[m])")
FORM(not_l, "notl (%[m])")
FORM(not_q, "notq (%[m])")
FORM(neg_b, "negb (%[m])")
FORM(neg_w, "negw (%[m])")
FORM(neg_l, "negl (%[m])")
FORM(neg_q, "negq (%[m])")
FORM(inc_b, "incb (%[m])")
FORM(inc_w, "incw (%[m])")
FORM(inc_l, "incl (%[m])")
FORM(inc_q, "incq (%[m])")
FORM(dec_b, "decb (%[m])")
FORM(dec_w, "decw (%[m])")
FORM(dec_l, "decl (%[m])")
FORM(dec_q, "decq (%[m])")
FORM(xchg_b, "xchgb %%cl, (%[m])")
FORM(xchg_w, "xchgw %%cx, (%[m])")
FORM(xchg_l, "xchgl %%ecx, (%[m])")
FORM(xchg_q, "xchgq %%rcx, (%[m])")
FORM(cmpxchg_b, "lock cmpxchgb %%cl, (%[m])")
FORM(cmpxchg_w, "lock cmpxchgw %%cx, (%[m])")
FORM(cmpxchg_l, "lock cmpxchgl %%ecx, (%[m])")
FORM(cmpxchg_q, "lock cmpxchgq %%rcx, (%[m])")
FORM(cmpxchg_nolock_l, "cmpxchgl %%ecx, (%[m])")
FORM(xadd_b, "xaddb %%cl, (%[m])")
FORM(xadd_w, "xaddw %%cx, (%[m])")
FORM(xadd_l, "xaddl %%ecx, (%[m])")
FORM(xadd_q, "xaddq %%rcx, (%[m])")
FORM(xadd_lock_q, "lock xaddq %%rcx, (%[m])")
FORM(bt_r_w, "btw %%cx, (%[m])")
FORM(bt_r_l, "btl %%ecx, (%[m])")
FORM(bt_r_q, "btq %%rcx, (%[m])")
FORM(bts_r_w, "btsw %%cx, (%[m])")
FORM(bts_r_l, "btsl %%ecx, (%[m])")
FORM(bts_r_q, "btsq %%rcx, (%[m])")
FORM(btr_r_w, "btrw %%cx, (%[m])")
FORM(btr_r_l, "btrl %%ecx, (%[m])")
FORM(btr_r_q, "btrq %%rcx, (%[m])")
FORM(btc_r_w, "btcw %%cx, (%[m])")
FORM(btc_r_l, "btcl %%ecx, (%[m])")
FORM(btc_r_q, "btcq %%rcx, (%[m])")
FORM(bt_imm_w, "btw $15, (%[m])")
FORM(bts_imm_l, "btsl $31, (%[m])")
FORM(btr_imm_q, "btrq $63, (%[m])")
FORM(btc_imm_l, "btcl $100, (%[m])")
FORM(lock_bts_l, "lock btsl %%ecx, (%[m])")
FORM(lock_add_l, "lock addl %%ecx, (%[m])")
FORM(lock_sbb_q, "lock sbbq $7, (%[m])")
FORM(lock_or_b, "lock orb %%cl, (%[m])")
FORM(lock_not_w, "lock notw (%[m])")
FORM(lock_inc_b, "lock incb (%[m])")
FORM(lock_dec_q, "lock decq (%[m])")
FORM(lock_neg_l, "lock negl (%[m])")
FORM(lock_xchg_l, "lock xchgl %%ecx, (%[m])")

struct alu_form {
	const char *text;
	void (*run)(volatile uint8_t *m, struct alu_state *s);
	uint64_t defined_flags;
	bool bit_offset;              /* BT* with a register offset: RCX limited to 0-127 */
};

static const struct alu_form alu_forms[] = {
	{ "addb cl, [m]", add_rm_r_b, ARITH, false },
	{ "addw cx, [m]", add_rm_r_w, ARITH, false },
	{ "addl ecx, [m]", add_rm_r_l, ARITH, false },
	{ "addq rcx, [m]", add_rm_r_q, ARITH, false },
	{ "addb [m], cl", add_r_rm_b, ARITH, false },
	{ "addw [m], cx", add_r_rm_w, ARITH, false },
	{ "addl [m], ecx", add_r_rm_l, ARITH, false },
	{ "addq [m], rcx", add_r_rm_q, ARITH, false },
	{ "addb $0x81, [m]", add_imm_b, ARITH, false },
	{ "addw $0x8001, [m]", add_imm_w, ARITH, false },
	{ "addl $0x12345678, [m]", add_imm_l, ARITH, false },
	{ "addq $-3, [m]", add_imm8_q, ARITH, false },
	{ "orb cl, [m]", or_rm_r_b, LOGIC, false },
	{ "orw cx, [m]", or_rm_r_w, LOGIC, false },
	{ "orl ecx, [m]", or_rm_r_l, LOGIC, false },
	{ "orq rcx, [m]", or_rm_r_q, LOGIC, false },
	{ "orb [m], cl", or_r_rm_b, LOGIC, false },
	{ "orw [m], cx", or_r_rm_w, LOGIC, false },
	{ "orl [m], ecx", or_r_rm_l, LOGIC, false },
	{ "orq [m], rcx", or_r_rm_q, LOGIC, false },
	{ "orb $0x81, [m]", or_imm_b, LOGIC, false },
	{ "orw $0x8001, [m]", or_imm_w, LOGIC, false },
	{ "orl $0x12345678, [m]", or_imm_l, LOGIC, false },
	{ "orq $-3, [m]", or_imm8_q, LOGIC, false },
	{ "adcb cl, [m]", adc_rm_r_b, ARITH, false },
	{ "adcw cx, [m]", adc_rm_r_w, ARITH, false },
	{ "adcl ecx, [m]", adc_rm_r_l, ARITH, false },
	{ "adcq rcx, [m]", adc_rm_r_q, ARITH, false },
	{ "adcb [m], cl", adc_r_rm_b, ARITH, false },
	{ "adcw [m], cx", adc_r_rm_w, ARITH, false },
	{ "adcl [m], ecx", adc_r_rm_l, ARITH, false },
	{ "adcq [m], rcx", adc_r_rm_q, ARITH, false },
	{ "adcb $0x81, [m]", adc_imm_b, ARITH, false },
	{ "adcw $0x8001, [m]", adc_imm_w, ARITH, false },
	{ "adcl $0x12345678, [m]", adc_imm_l, ARITH, false },
	{ "adcq $-3, [m]", adc_imm8_q, ARITH, false },
	{ "sbbb cl, [m]", sbb_rm_r_b, ARITH, false },
	{ "sbbw cx, [m]", sbb_rm_r_w, ARITH, false },
	{ "sbbl ecx, [m]", sbb_rm_r_l, ARITH, false },
	{ "sbbq rcx, [m]", sbb_rm_r_q, ARITH, false },
	{ "sbbb [m], cl", sbb_r_rm_b, ARITH, false },
	{ "sbbw [m], cx", sbb_r_rm_w, ARITH, false },
	{ "sbbl [m], ecx", sbb_r_rm_l, ARITH, false },
	{ "sbbq [m], rcx", sbb_r_rm_q, ARITH, false },
	{ "sbbb $0x81, [m]", sbb_imm_b, ARITH, false },
	{ "sbbw $0x8001, [m]", sbb_imm_w, ARITH, false },
	{ "sbbl $0x12345678, [m]", sbb_imm_l, ARITH, false },
	{ "sbbq $-3, [m]", sbb_imm8_q, ARITH, false },
	{ "andb cl, [m]", and_rm_r_b, LOGIC, false },
	{ "andw cx, [m]", and_rm_r_w, LOGIC, false },
	{ "andl ecx, [m]", and_rm_r_l, LOGIC, false },
	{ "andq rcx, [m]", and_rm_r_q, LOGIC, false },
	{ "andb [m], cl", and_r_rm_b, LOGIC, false },
	{ "andw [m], cx", and_r_rm_w, LOGIC, false },
	{ "andl [m], ecx", and_r_rm_l, LOGIC, false },
	{ "andq [m], rcx", and_r_rm_q, LOGIC, false },
	{ "andb $0x81, [m]", and_imm_b, LOGIC, false },
	{ "andw $0x8001, [m]", and_imm_w, LOGIC, false },
	{ "andl $0x12345678, [m]", and_imm_l, LOGIC, false },
	{ "andq $-3, [m]", and_imm8_q, LOGIC, false },
	{ "subb cl, [m]", sub_rm_r_b, ARITH, false },
	{ "subw cx, [m]", sub_rm_r_w, ARITH, false },
	{ "subl ecx, [m]", sub_rm_r_l, ARITH, false },
	{ "subq rcx, [m]", sub_rm_r_q, ARITH, false },
	{ "subb [m], cl", sub_r_rm_b, ARITH, false },
	{ "subw [m], cx", sub_r_rm_w, ARITH, false },
	{ "subl [m], ecx", sub_r_rm_l, ARITH, false },
	{ "subq [m], rcx", sub_r_rm_q, ARITH, false },
	{ "subb $0x81, [m]", sub_imm_b, ARITH, false },
	{ "subw $0x8001, [m]", sub_imm_w, ARITH, false },
	{ "subl $0x12345678, [m]", sub_imm_l, ARITH, false },
	{ "subq $-3, [m]", sub_imm8_q, ARITH, false },
	{ "xorb cl, [m]", xor_rm_r_b, LOGIC, false },
	{ "xorw cx, [m]", xor_rm_r_w, LOGIC, false },
	{ "xorl ecx, [m]", xor_rm_r_l, LOGIC, false },
	{ "xorq rcx, [m]", xor_rm_r_q, LOGIC, false },
	{ "xorb [m], cl", xor_r_rm_b, LOGIC, false },
	{ "xorw [m], cx", xor_r_rm_w, LOGIC, false },
	{ "xorl [m], ecx", xor_r_rm_l, LOGIC, false },
	{ "xorq [m], rcx", xor_r_rm_q, LOGIC, false },
	{ "xorb $0x81, [m]", xor_imm_b, LOGIC, false },
	{ "xorw $0x8001, [m]", xor_imm_w, LOGIC, false },
	{ "xorl $0x12345678, [m]", xor_imm_l, LOGIC, false },
	{ "xorq $-3, [m]", xor_imm8_q, LOGIC, false },
	{ "cmpb cl, [m]", cmp_rm_r_b, ARITH, false },
	{ "cmpw cx, [m]", cmp_rm_r_w, ARITH, false },
	{ "cmpl ecx, [m]", cmp_rm_r_l, ARITH, false },
	{ "cmpq rcx, [m]", cmp_rm_r_q, ARITH, false },
	{ "cmpb [m], cl", cmp_r_rm_b, ARITH, false },
	{ "cmpw [m], cx", cmp_r_rm_w, ARITH, false },
	{ "cmpl [m], ecx", cmp_r_rm_l, ARITH, false },
	{ "cmpq [m], rcx", cmp_r_rm_q, ARITH, false },
	{ "cmpb $0x81, [m]", cmp_imm_b, ARITH, false },
	{ "cmpw $0x8001, [m]", cmp_imm_w, ARITH, false },
	{ "cmpl $0x12345678, [m]", cmp_imm_l, ARITH, false },
	{ "cmpq $-3, [m]", cmp_imm8_q, ARITH, false },
	{ "testb cl, [m]", test_rm_r_b, LOGIC, false },
	{ "testw cx, [m]", test_rm_r_w, LOGIC, false },
	{ "testl ecx, [m]", test_rm_r_l, LOGIC, false },
	{ "testq rcx, [m]", test_rm_r_q, LOGIC, false },
	{ "testb $0x81, [m]", test_imm_b, LOGIC, false },
	{ "testw $0x8001, [m]", test_imm_w, LOGIC, false },
	{ "testl $0x80000001, [m]", test_imm_l, LOGIC, false },
	{ "testq $-2, [m]", test_imm_q, LOGIC, false },
	{ "notb [m]", not_b, ARITH, false },
	{ "notw [m]", not_w, ARITH, false },
	{ "notl [m]", not_l, ARITH, false },
	{ "notq [m]", not_q, ARITH, false },
	{ "negb [m]", neg_b, ARITH, false },
	{ "negw [m]", neg_w, ARITH, false },
	{ "negl [m]", neg_l, ARITH, false },
	{ "negq [m]", neg_q, ARITH, false },
	{ "incb [m]", inc_b, ARITH, false },
	{ "incw [m]", inc_w, ARITH, false },
	{ "incl [m]", inc_l, ARITH, false },
	{ "incq [m]", inc_q, ARITH, false },
	{ "decb [m]", dec_b, ARITH, false },
	{ "decw [m]", dec_w, ARITH, false },
	{ "decl [m]", dec_l, ARITH, false },
	{ "decq [m]", dec_q, ARITH, false },
	{ "xchgb cl, [m]", xchg_b, ARITH, false },
	{ "xchgw cx, [m]", xchg_w, ARITH, false },
	{ "xchgl ecx, [m]", xchg_l, ARITH, false },
	{ "xchgq rcx, [m]", xchg_q, ARITH, false },
	{ "lock cmpxchgb cl, [m]", cmpxchg_b, ARITH, false },
	{ "lock cmpxchgw cx, [m]", cmpxchg_w, ARITH, false },
	{ "lock cmpxchgl ecx, [m]", cmpxchg_l, ARITH, false },
	{ "lock cmpxchgq rcx, [m]", cmpxchg_q, ARITH, false },
	{ "cmpxchgl ecx, [m]", cmpxchg_nolock_l, ARITH, false },
	{ "xaddb cl, [m]", xadd_b, ARITH, false },
	{ "xaddw cx, [m]", xadd_w, ARITH, false },
	{ "xaddl ecx, [m]", xadd_l, ARITH, false },
	{ "xaddq rcx, [m]", xadd_q, ARITH, false },
	{ "lock xaddq rcx, [m]", xadd_lock_q, ARITH, false },
	{ "btw cx, [m]", bt_r_w, BITS, true },
	{ "btl ecx, [m]", bt_r_l, BITS, true },
	{ "btq rcx, [m]", bt_r_q, BITS, true },
	{ "btsw cx, [m]", bts_r_w, BITS, true },
	{ "btsl ecx, [m]", bts_r_l, BITS, true },
	{ "btsq rcx, [m]", bts_r_q, BITS, true },
	{ "btrw cx, [m]", btr_r_w, BITS, true },
	{ "btrl ecx, [m]", btr_r_l, BITS, true },
	{ "btrq rcx, [m]", btr_r_q, BITS, true },
	{ "btcw cx, [m]", btc_r_w, BITS, true },
	{ "btcl ecx, [m]", btc_r_l, BITS, true },
	{ "btcq rcx, [m]", btc_r_q, BITS, true },
	{ "btw $15, [m]", bt_imm_w, BITS, false },
	{ "btsl $31, [m]", bts_imm_l, BITS, false },
	{ "btrq $63, [m]", btr_imm_q, BITS, false },
	{ "btcl $100, [m]", btc_imm_l, BITS, false },
	{ "lock btsl ecx, [m]", lock_bts_l, BITS, true },
	{ "lock addl ecx, [m]", lock_add_l, ARITH, false },
	{ "lock sbbq $7, [m]", lock_sbb_q, ARITH, false },
	{ "lock orb cl, [m]", lock_or_b, LOGIC, false },
	{ "lock notw [m]", lock_not_w, ARITH, false },
	{ "lock incb [m]", lock_inc_b, ARITH, false },
	{ "lock decq [m]", lock_dec_q, ARITH, false },
	{ "lock negl [m]", lock_neg_l, ARITH, false },
	{ "lock xchgl ecx, [m]", lock_xchg_l, ARITH, false },
};

/* The starting points: the slot's two quadwords, RAX, RCX, the arithmetic flags. The second
 * makes every CMPXCHG compare equal (RAX = the slot's low bytes at every size). */
static const struct {
	uint64_t memory[2], rax, rcx, flags;
} alu_starts[] = {
	{ { 0x8877665544332211ull, 0x0123456789ABCDEFull }, 0xFEDCBA9876543210ull,
	  0x80000000000080C5ull, RFLAGS_CF },
	{ { 0x00000000000000FFull, 0x8000000000000000ull }, 0xFF, 0x7F,
	  RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF },
	{ { 0xFFFFFFFFFFFFFFFFull, 0x7FFFFFFFFFFFFFFFull }, 1, 0xFFFFFFFFFFFFFFFFull, ARITH },
};

static uint64_t alu_ram_slot[2] __attribute__((aligned(16)));

static uint64_t current_rflags(void)
{
	uint64_t f;

	__asm__ volatile("pushfq\n\tpop %0" : "=r"(f));
	return f;
}

/* One form from one start, on RAM and on the window; true when they agree. */
static bool alu_compare(struct scenario_state *state, const struct alu_form *form, unsigned start,
			unsigned *notes)
{
	volatile uint8_t *iomem = IOMEM + ALU_SLOT;
	struct alu_state ram, dev;
	uint64_t got[2];
	bool same;

	ram.rax = alu_starts[start].rax;
	ram.rcx = form->bit_offset ? alu_starts[start].rcx & 0x7F : alu_starts[start].rcx;
	ram.rflags = (current_rflags() & ~(ARITH | RFLAGS_DF)) | alu_starts[start].flags;
	dev = ram;
	alu_ram_slot[0] = alu_starts[start].memory[0];
	alu_ram_slot[1] = alu_starts[start].memory[1];
	store64(iomem, alu_starts[start].memory[0]);
	store64(iomem + 8, alu_starts[start].memory[1]);
	form->run((volatile uint8_t *)alu_ram_slot, &ram);
	form->run(iomem, &dev);
	got[0] = load64(iomem);
	got[1] = load64(iomem + 8);
	same = got[0] == alu_ram_slot[0] && got[1] == alu_ram_slot[1] && dev.rax == ram.rax &&
	       dev.rcx == ram.rcx &&
	       (dev.rflags & form->defined_flags) == (ram.rflags & form->defined_flags) &&
	       (dev.rflags & ~ARITH) == (ram.rflags & ~ARITH);
	if (!same && (*notes)++ < 3)
		scenario_note(state, "%s from start %u: window %lx %lx rax %lx rcx %lx flags %lx; "
			      "RAM %lx %lx rax %lx rcx %lx flags %lx", form->text, start, got[0],
			      got[1], dev.rax, dev.rcx, dev.rflags, alu_ram_slot[0], alu_ram_slot[1],
			      ram.rax, ram.rcx, ram.rflags);
	return same;
}

static enum scenario_failure mmio_alu(struct scenario_state *state)
{
	unsigned runs = 0, differ = 0, notes = 0;

	for (size_t i = 0; i < sizeof(alu_forms) / sizeof(alu_forms[0]); i++) {
		for (unsigned s = 0; s < sizeof(alu_starts) / sizeof(alu_starts[0]); s++) {
			if (!alu_compare(state, &alu_forms[i], s, &notes))
				differ++;
			runs++;
		}
	}
	scenario_report(state, "forms", sizeof(alu_forms) / sizeof(alu_forms[0]));
	scenario_report(state, "runs", runs);
	scenario_report(state, "differ", differ);
	return differ ? SCENARIO_FAILURE_DEVICE_REGISTER : SCENARIO_PASSED;
}

/* ---- mmio-string ------------------------------------------------------------------------------ */

static uint8_t string_source[256] __attribute__((aligned(256)));
static uint8_t string_copy[1024] __attribute__((aligned(4096)));
/* Two 4 KiB pages: the page-crossing copy starts 64 bytes before the second. */
static uint8_t string_pages[8192] __attribute__((aligned(4096)));

/* The registers a string instruction leaves. */
struct string_regs {
	uint64_t rsi, rdi, rcx, rax;
};

#define STRING_OP(fn, text)                                                                   \
	static struct string_regs fn(const volatile void *src, volatile void *dst, uint64_t n,  \
				     uint64_t rax)                                              \
	{                                                                                     \
		struct string_regs r = { (uintptr_t)src, (uintptr_t)dst, n, rax };             \
		__asm__ volatile(text : "+S"(r.rsi), "+D"(r.rdi), "+c"(r.rcx), "+a"(r.rax)     \
				 : : "memory", "cc");                                         \
		return r;                                                                     \
	}

STRING_OP(rep_movsb, "rep movsb")
STRING_OP(rep_movsl, "rep movsl")
STRING_OP(rep_movsq, "rep movsq")
STRING_OP(rep_stosl, "rep stosl")
STRING_OP(rep_lodsq, "rep lodsq")
STRING_OP(lodsb, "lodsb")
STRING_OP(rep_movsb_down, "std\n\trep movsb\n\tcld")

struct string_check {
	struct scenario_state *state;
	unsigned checks, failed;
};

static void check(struct string_check *c, const char *what, uint64_t got, uint64_t want)
{
	c->checks++;
	if (!scenario_expect(c->state, what, got, want))
		c->failed++;
}

/* `n` bytes of the window at `offset` against `want`, compared in RAM after one REP MOVSB. */
static void check_window(struct string_check *c, const char *what, uint32_t offset,
			 const uint8_t *want, size_t n)
{
	memset(string_copy, 0, sizeof(string_copy));
	rep_movsb(IOMEM + offset, string_copy, n, 0);
	check(c, what, memcmp(string_copy, want, n), 0);
}

static enum scenario_failure mmio_string(struct scenario_state *state)
{
	struct string_check c = { state, 0, 0 };
	uint64_t expected_q[4];
	struct string_regs r;
	uint64_t value;

	for (unsigned i = 0; i < sizeof(string_source); i++)
		string_source[i] = (uint8_t)(i * 7 + 3);

	/* RAM -> window: REP MOVSB, 64 bytes; read back with 8 plain loads. */
	r = rep_movsb(string_source, IOMEM + 0x100, 64, 0);
	check(&c, "MOVSB RAM->window: RCX", r.rcx, 0);
	check(&c, "MOVSB RAM->window: RDI", r.rdi, IOMEM_BASE + 0x140);
	check(&c, "MOVSB RAM->window: RSI", r.rsi, (uintptr_t)string_source + 64);
	for (unsigned i = 0; i < 8; i++) {
		memcpy(&value, string_source + 8 * i, 8);
		check(&c, "MOVSB RAM->window: a quadword read back", load64(IOMEM + 0x100 + 8 * i),
		      value);
	}

	/* window -> RAM: REP MOVSQ, 8 quadwords. */
	memset(string_copy, 0, sizeof(string_copy));
	r = rep_movsq(IOMEM + 0x100, string_copy, 8, 0);
	check(&c, "MOVSQ window->RAM", memcmp(string_copy, string_source, 64), 0);
	check(&c, "MOVSQ window->RAM: RSI", r.rsi, IOMEM_BASE + 0x140);

	/* window -> window, the same page and another page: REP MOVSD, 16 doublewords each. */
	rep_movsl(IOMEM + 0x100, IOMEM + 0x800, 16, 0);
	check_window(&c, "MOVSD window->window (same page)", 0x800, string_source, 64);
	rep_movsl(IOMEM + 0x100, IOMEM + 0x3000, 16, 0);
	check_window(&c, "MOVSD window->window (another page)", 0x3000, string_source, 64);

	/* REP STOSD, 1 KiB; REP LODSQ over its first 32 bytes; LODSB. */
	r = rep_stosl(NULL, IOMEM + 0x1000, 256, 0xA5C3E1F0u);
	check(&c, "STOSD: RDI", r.rdi, IOMEM_BASE + 0x1400);
	for (unsigned i = 0; i < 256; i++)
		memcpy(string_pages + 4 * i, &(uint32_t){ 0xA5C3E1F0u }, 4);
	check_window(&c, "STOSD 1 KiB", 0x1000, string_pages, 1024);
	r = rep_lodsq(IOMEM + 0x1000, NULL, 4, 0);
	check(&c, "LODSQ: RAX", r.rax, 0xA5C3E1F0A5C3E1F0ull);
	check(&c, "LODSQ: RSI", r.rsi, IOMEM_BASE + 0x1020);
	check(&c, "LODSQ: RCX", r.rcx, 0);
	r = lodsb(IOMEM + 0x100, NULL, 0, 0x1122334455667788ull);
	check(&c, "LODSB: RAX", r.rax, 0x1122334455667700ull | string_source[0]);

	/* DF = 1: REP MOVSB backwards, 32 bytes, RAM -> window from the last byte down. */
	r = rep_movsb_down(string_source + 31, IOMEM + 0x21F, 32, 0);
	check(&c, "MOVSB DF=1: RDI", r.rdi, IOMEM_BASE + 0x1FF);
	check(&c, "MOVSB DF=1: RSI", r.rsi, (uintptr_t)string_source - 1);
	check_window(&c, "MOVSB DF=1", 0x200, string_source, 32);

	/* PUSH r/m and POP r/m with the window as the memory operand. */
	__asm__ volatile("pushq 0x100(%1)\n\tpopq %0" : "=r"(value) : "r"(IOMEM) : "memory");
	memcpy(&expected_q[0], string_source, 8);
	check(&c, "PUSH qword [window]", value, expected_q[0]);
	value = 0;
	__asm__ volatile("pushw 0x108(%1)\n\tpopw %w0" : "+r"(value) : "r"(IOMEM) : "memory");
	check(&c, "PUSH word [window]", value, (uint64_t)string_source[8] | string_source[9] << 8);
	__asm__ volatile("pushq %0\n\tpopq 0x300(%1)" : : "r"(0x0BADC0DE600DF00Dull), "r"(IOMEM)
			 : "memory");
	check(&c, "POP qword [window]", load64(IOMEM + 0x300), 0x0BADC0DE600DF00Dull);

	/* REP MOVSB of 256 bytes across page boundaries: RAM from 64 bytes before its page's end,
	 * the window from 128 bytes before its page's end. */
	memcpy(string_pages + 4096 - 64, string_source, 256);
	r = rep_movsb(string_pages + 4096 - 64, IOMEM + 0x1F80, 256, 0);
	check(&c, "MOVSB across pages: RCX", r.rcx, 0);
	check(&c, "MOVSB across pages: RDI", r.rdi, IOMEM_BASE + 0x2080);
	check_window(&c, "MOVSB across pages", 0x1F80, string_source, 256);

	scenario_report(state, "checks", c.checks);
	return c.failed ? SCENARIO_FAILURE_DEVICE_REGISTER : SCENARIO_PASSED;
}

/* Both: skipped unless the window keeps what is written to it (QEMU without pc-testdev reads 0,
 * apicvisor with testdev=off all ones). */
static enum scenario_failure mmio_prepare(struct scenario_state *state)
{
	store64(IOMEM + 0xFFF8, 0x5A5AA5A5C3C33C3Cull);
	if (load64(IOMEM + 0xFFF8) != 0x5A5AA5A5C3C33C3Cull)
		return scenario_skip(state, "no test device iomem window at 0xFF000000 (QEMU: "
				     "-device pc-testdev)");
	return SCENARIO_PASSED;
}

static const struct scenario mmio_table[] = {
	{ "mmio-alu", false, mmio_prepare, mmio_alu },
	{ "mmio-string", false, mmio_prepare, mmio_string },
};

const struct scenario_list scenario_mmio_list = {
	mmio_table, sizeof(mmio_table) / sizeof(mmio_table[0])
};
