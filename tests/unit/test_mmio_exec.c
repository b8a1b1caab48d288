/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the MMIO instruction emulation (vmx/mmio.c) carried out on the test device's
 * iomem window over the fake CPU and VMCS (fake_cpu.h): REP strings one exit per page with RIP
 * kept until rCX is 0, DF = 1, the other operand's #PF with the error code the processor would
 * give, PUSH/POP r/m through the stack, CMPXCHG both ways. The same path as a real EPT violation
 * (vmx_handle_exit → platform_irq_mmio → mmio_emulate).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "boot/x86.h"
#include "devices/iomem_testdev.h"
#include "platform/platform_irq.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

#include "fake_cpu.h"
#include "test_util.h"

#define RAM (32ull << 20)
#define CODE 0x1000u
#define RFLAGS_ZF (1ull << 6)
#define PF_INJECTED \
	(INTR_INFO_VALID | INTR_TYPE_HARDWARE_EXCEPTION << INTR_INFO_TYPE_SHIFT | VECTOR_PF | \
	 INTR_INFO_DELIVER_ERROR_CODE)

static struct vcpu *v;

/* 64-bit mode, 4-level paging: the first 16 MiB identity-mapped with 2 MiB pages, 16-18 MiB not
 * present, 18-20 MiB read-only; the 2 MiB at 0xFF000000 (the window) identity-mapped. */
static int setup(void **state)
{
	uint64_t *pml4, *pdpt, *pd_low, *pd_high;

	(void)state;
	fake_cpu_reset();
	v = fake_vcpu_create(&vmx_caps_tigerlake, MODE_APICV, RAM);
	fake.vmcs[VMCS_ENTRY_CONTROLS] |= ENTRY_IA32E_MODE_GUEST;
	fake.vmcs[VMCS_GUEST_CS_ACCESS_RIGHTS] = 0xA09B; /* L = 1 */
	fake.vmcs[VMCS_GUEST_SS_ACCESS_RIGHTS] = 0xC093;
	v->efer = EFER_LME | EFER_LMA;
	fake.vmcs[VMCS_CR0_READ_SHADOW] = CR0_PE | CR0_PG | CR0_ET | CR0_WP;
	fake.vmcs[VMCS_GUEST_CR0] |= CR0_PG | CR0_WP;
	fake.vmcs[VMCS_GUEST_CR4] |= CR4_PAE;
	pml4 = (uint64_t *)(v->guest->ram + 0x10000);
	pdpt = (uint64_t *)(v->guest->ram + 0x11000);
	pd_low = (uint64_t *)(v->guest->ram + 0x12000);
	pd_high = (uint64_t *)(v->guest->ram + 0x13000);
	pml4[0] = 0x11000 | 3;
	pdpt[0] = 0x12000 | 3;
	pdpt[3] = 0x13000 | 3;
	for (unsigned i = 0; i < 8; i++)
		pd_low[i] = ((uint64_t)i << 21) | 0x83;
	pd_low[9] = (9ull << 21) | 0x81; /* present, read-only */
	pd_high[(IOMEM_TESTDEV_BASE >> 21) & 511] = IOMEM_TESTDEV_BASE | 0x83;
	fake.vmcs[VMCS_GUEST_CR3] = 0x10000;
	fake.vmcs[VMCS_GUEST_RFLAGS] = 0x2;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vcpu_destroy(v);
	return 0;
}

static void code(const uint8_t *bytes, size_t n)
{
	memcpy(v->guest->ram + CODE, bytes, n);
	fake.vmcs[VMCS_GUEST_RIP] = CODE;
}

/* An EPT violation at gpa (a write or a read) handled as the run loop would. */
static void ept_violation(uint64_t gpa, bool write)
{
	fake.vmcs[VMCS_EXIT_REASON] = EXIT_REASON_EPT_VIOLATION;
	fake.vmcs[VMCS_EXIT_QUALIFICATION] = (write ? 2 : 1) | (1u << 7) | (1u << 8);
	fake.vmcs[VMCS_GUEST_PHYSICAL_ADDRESS] = gpa;
	fake.vmcs[VMCS_ENTRY_INTR_INFO] = 0;
	vmx_handle_exit(v, EXIT_REASON_EPT_VIOLATION);
	if (v->end)
		fail_msg("stopped: %s", v->end_detail);
}

static uint64_t window(uint32_t offset, unsigned size)
{
	uint64_t value = 0;

	assert_true(platform_irq_mmio_access(v, IOMEM_TESTDEV_BASE + offset, size, false, &value));
	return value;
}

static void set_window(uint32_t offset, unsigned size, uint64_t value)
{
	assert_true(platform_irq_mmio_access(v, IOMEM_TESTDEV_BASE + offset, size, true, &value));
}

/* REP STOSD of 256 doublewords from 0x100 bytes before a page end: the first exit does the 64
 * that fit in that page and leaves RIP on the instruction, the second the other 192. */
static void test_rep_stos_one_exit_per_page(void **state)
{
	static const uint8_t rep_stosd[] = { 0xF3, 0xAB };

	(void)state;
	code(rep_stosd, sizeof(rep_stosd));
	v->gprs.rax = 0xFFFFFFFFA5C3E1F0ull;
	v->gprs.rdi = IOMEM_TESTDEV_BASE + 0xF00;
	v->gprs.rcx = 256;
	ept_violation(IOMEM_TESTDEV_BASE + 0xF00, true);
	assert_int_equal(v->gprs.rcx, 192);
	assert_int_equal(v->gprs.rdi, IOMEM_TESTDEV_BASE + 0x1000);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], CODE);
	assert_int_equal(window(0xFFC, 4), 0xA5C3E1F0u);
	assert_int_equal(window(0x1000, 4), 0);
	ept_violation(IOMEM_TESTDEV_BASE + 0x1000, true);
	assert_int_equal(v->gprs.rcx, 0);
	assert_int_equal(v->gprs.rdi, IOMEM_TESTDEV_BASE + 0x1300);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], CODE + 2);
	assert_int_equal(window(0x12FC, 4), 0xA5C3E1F0u);
	assert_int_equal(window(0x1300, 4), 0);
}

/* REP MOVSB with DF = 1 from RAM into the window: the bytes in order, rSI and rDI moved down. */
static void test_rep_movs_backwards(void **state)
{
	static const uint8_t rep_movsb[] = { 0xF3, 0xA4 };

	(void)state;
	for (unsigned i = 0; i < 32; i++)
		v->guest->ram[0x3000 + i] = (uint8_t)(0x40 + i);
	code(rep_movsb, sizeof(rep_movsb));
	fake.vmcs[VMCS_GUEST_RFLAGS] = 0x2 | RFLAGS_DF;
	v->gprs.rsi = 0x301F;
	v->gprs.rdi = IOMEM_TESTDEV_BASE + 0x1F;
	v->gprs.rcx = 32;
	ept_violation(IOMEM_TESTDEV_BASE + 0x1F, true);
	assert_int_equal(v->gprs.rcx, 0);
	assert_int_equal(v->gprs.rsi, 0x2FFF);
	assert_int_equal(v->gprs.rdi, IOMEM_TESTDEV_BASE - 1);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], CODE + 2);
	assert_int_equal(window(0, 8), 0x4746454443424140ull);
	assert_int_equal(window(24, 8), 0x5F5E5D5C5B5A5958ull);
}

/* The window as MOVS's source, RAM the destination: a destination that is not present or read-
 * only raises #PF with CR2 and the error code of a write (W, and P when present); nothing moves
 * and RIP stays. A good destination then takes the whole copy. */
static void test_movs_destination_faults(void **state)
{
	static const uint8_t rep_movsq[] = { 0xF3, 0x48, 0xA5 };

	(void)state;
	set_window(0, 8, 0x1122334455667788ull);
	code(rep_movsq, sizeof(rep_movsq));
	v->gprs.rsi = IOMEM_TESTDEV_BASE;
	v->gprs.rdi = 16ull << 20; /* not present */
	v->gprs.rcx = 4;
	ept_violation(IOMEM_TESTDEV_BASE, false);
	assert_int_equal(fake.vmcs[VMCS_ENTRY_INTR_INFO], PF_INJECTED);
	assert_int_equal(fake.vmcs[VMCS_ENTRY_EXCEPTION_ERROR_CODE], 0x2);
	assert_int_equal(v->gprs.cr2, 16ull << 20);
	assert_int_equal(v->gprs.rcx, 4);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], CODE);

	v->gprs.rdi = 18ull << 20; /* read-only, CR0.WP = 1 */
	ept_violation(IOMEM_TESTDEV_BASE, false);
	assert_int_equal(fake.vmcs[VMCS_ENTRY_EXCEPTION_ERROR_CODE], 0x3);
	assert_int_equal(v->gprs.cr2, 18ull << 20);
	assert_int_equal(v->gprs.rsi, IOMEM_TESTDEV_BASE);

	v->gprs.rdi = 0x5000;
	ept_violation(IOMEM_TESTDEV_BASE, false);
	assert_int_equal(fake.vmcs[VMCS_ENTRY_INTR_INFO], 0);
	assert_int_equal(v->gprs.rcx, 0);
	assert_int_equal(v->gprs.rdi, 0x5020);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], CODE + 3);
	assert_int_equal(*(uint64_t *)(v->guest->ram + 0x5000), 0x1122334455667788ull);
}

/* PUSH qword [rbx] with the window as the operand, POP qword [rbx] back into another offset. */
static void test_push_pop(void **state)
{
	static const uint8_t push[] = { 0xFF, 0x33 }, pop[] = { 0x8F, 0x03 };

	(void)state;
	set_window(0x100, 8, 0x0BADC0DE600DF00Dull);
	code(push, sizeof(push));
	v->gprs.rbx = IOMEM_TESTDEV_BASE + 0x100;
	fake.vmcs[VMCS_GUEST_RSP] = 0x8000;
	ept_violation(IOMEM_TESTDEV_BASE + 0x100, false);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RSP], 0x7FF8);
	assert_int_equal(*(uint64_t *)(v->guest->ram + 0x7FF8), 0x0BADC0DE600DF00Dull);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], CODE + 2);

	code(pop, sizeof(pop));
	v->gprs.rbx = IOMEM_TESTDEV_BASE + 0x200;
	ept_violation(IOMEM_TESTDEV_BASE + 0x200, true);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RSP], 0x8000);
	assert_int_equal(window(0x200, 8), 0x0BADC0DE600DF00Dull);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], CODE + 2);
}

/* LOCK CMPXCHG [rbx], ecx: equal (ZF = 1, memory := ECX), then unequal (ZF = 0, EAX := memory,
 * RAX's upper half cleared as a 32-bit destination is). */
static void test_cmpxchg(void **state)
{
	static const uint8_t cmpxchg[] = { 0xF0, 0x0F, 0xB1, 0x0B };

	(void)state;
	set_window(0x40, 4, 5);
	code(cmpxchg, sizeof(cmpxchg));
	v->gprs.rbx = IOMEM_TESTDEV_BASE + 0x40;
	v->gprs.rax = 0xAAAAAAAA00000005ull;
	v->gprs.rcx = 0x77;
	ept_violation(IOMEM_TESTDEV_BASE + 0x40, true);
	assert_int_equal(window(0x40, 4), 0x77);
	assert_true(fake.vmcs[VMCS_GUEST_RFLAGS] & RFLAGS_ZF);
	assert_int_equal(v->gprs.rax, 0xAAAAAAAA00000005ull);

	code(cmpxchg, sizeof(cmpxchg));
	ept_violation(IOMEM_TESTDEV_BASE + 0x40, true);
	assert_int_equal(window(0x40, 4), 0x77);
	assert_false(fake.vmcs[VMCS_GUEST_RFLAGS] & RFLAGS_ZF);
	assert_int_equal(v->gprs.rax, 0x77);
	assert_int_equal(fake.vmcs[VMCS_GUEST_RIP], CODE + 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rep_stos_one_exit_per_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rep_movs_backwards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_movs_destination_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_pop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmpxchg, setup, teardown),
	};

	return cmocka_run_group_tests_name("mmio_exec", tests, NULL, NULL);
}
