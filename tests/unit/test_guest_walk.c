/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmx/guest_walk.c: page tables built in a fake guest memory for each paging
 * mode, translations of ordinary and large pages, faults at every level, and instruction
 * fetches that straddle two pages, handed to the decoder as the MMIO exit handler will.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmx/guest_walk.h"
#include "vmx/x86_decode.h"

#define CR0_PE (1ull << 0)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_SMEP (1ull << 20)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

#define P (1ull << 0)
#define RW (1ull << 1)
#define PS (1ull << 7)
#define XD (1ull << 63)

#define PF_P 0x01u
#define PF_RSVD 0x08u
#define PF_ID 0x10u

/* Guest-physical memory [0, GUEST_MEMORY_BYTES); everything above is not RAM. */
#define GUEST_MEMORY_BYTES 0x100000u

struct fake_guest {
	uint8_t *memory;
	unsigned reads;
};

static bool fake_read_gpa(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	struct fake_guest *g = ctx;

	g->reads++;
	if (gpa >= GUEST_MEMORY_BYTES || len > GUEST_MEMORY_BYTES - gpa)
		return false;
	memcpy(buf, g->memory + gpa, len);
	return true;
}

/* The byte every untouched guest-physical address holds, so fetched bytes show their source. */
static uint8_t pattern(uint64_t gpa)
{
	return (uint8_t)(gpa ^ (gpa >> 8) ^ 0x5A);
}

static int guest_setup(void **state)
{
	struct fake_guest *g = calloc(1, sizeof(*g));

	if (!g)
		return -1;
	g->memory = malloc(GUEST_MEMORY_BYTES);
	if (!g->memory)
		return -1;
	for (uint64_t gpa = 0; gpa < GUEST_MEMORY_BYTES; gpa++)
		g->memory[gpa] = pattern(gpa);
	*state = g;
	return 0;
}

static int guest_teardown(void **state)
{
	struct fake_guest *g = *state;

	free(g->memory);
	free(g);
	return 0;
}

static void put32(struct fake_guest *g, uint64_t gpa, uint64_t value)
{
	for (unsigned i = 0; i < 4; i++)
		g->memory[gpa + i] = (uint8_t)(value >> (8 * i));
}

static void put64(struct fake_guest *g, uint64_t gpa, uint64_t value)
{
	for (unsigned i = 0; i < 8; i++)
		g->memory[gpa + i] = (uint8_t)(value >> (8 * i));
}

static struct guest_paging paging_of(struct fake_guest *g, uint64_t cr0, uint64_t cr3,
				     uint64_t cr4, uint64_t efer)
{
	struct guest_paging p = {
		.cr0 = cr0, .cr3 = cr3, .cr4 = cr4, .efer = efer,
		.read_gpa = fake_read_gpa, .ctx = g,
	};

	return p;
}

/* One translation and its outcome: a GPA, or a fault with its level, entry and error code. */
struct walk_case {
	uint64_t linear;
	bool fetch;
	bool faults;
	uint64_t gpa;
	enum guest_walk_fault_reason reason;
	unsigned level;
	uint64_t entry_gpa;
	uint32_t error_code;
};

#define OK(linear, fetch, gpa) { linear, fetch, false, gpa, 0, 0, 0, 0 }
#define FAULT(linear, fetch, reason, level, entry_gpa, code) \
	{ linear, fetch, true, 0, GUEST_WALK_##reason, level, entry_gpa, code }

static void run_walk_cases(const struct guest_paging *paging, const struct walk_case *cases,
			   size_t count, const char *what)
{
	for (size_t i = 0; i < count; i++) {
		const struct walk_case *c = &cases[i];
		struct guest_walk_fault fault;
		uint64_t gpa = 0xBAD;
		int rc;

		memset(&fault, 0xEE, sizeof(fault));
		rc = guest_walk(paging, c->linear, c->fetch, &gpa, &fault);
		if (!c->faults) {
			if (rc != 0)
				fail_msg("%s case %zu: linear %llx faults (reason %d level %u)", what,
					 i, (unsigned long long)c->linear, fault.reason,
					 fault.level);
			if (gpa != c->gpa)
				fail_msg("%s case %zu: linear %llx → %llx, want %llx", what, i,
					 (unsigned long long)c->linear, (unsigned long long)gpa,
					 (unsigned long long)c->gpa);
			continue;
		}
		if (rc != -1)
			fail_msg("%s case %zu: linear %llx translates to %llx", what, i,
				 (unsigned long long)c->linear, (unsigned long long)gpa);
		if (fault.reason != c->reason || fault.level != c->level ||
		    fault.entry_gpa != c->entry_gpa || fault.page_fault_error_code != c->error_code)
			fail_msg("%s case %zu: linear %llx: reason %d level %u entry %llx code %x, "
				 "want %d %u %llx %x", what, i, (unsigned long long)c->linear,
				 fault.reason, fault.level, (unsigned long long)fault.entry_gpa,
				 fault.page_fault_error_code, c->reason, c->level,
				 (unsigned long long)c->entry_gpa, c->error_code);
		if (fault.linear != (c->linear & (guest_paging_mode(paging) == GUEST_PAGING_4LEVEL ?
						  ~0ull : 0xFFFFFFFFull)))
			fail_msg("%s case %zu: fault.linear %llx", what, i,
				 (unsigned long long)fault.linear);
		if (fault.mode != guest_paging_mode(paging))
			fail_msg("%s case %zu: fault.mode %d", what, i, fault.mode);
	}
	/* A NULL fault pointer is allowed. */
	for (size_t i = 0; i < count; i++) {
		uint64_t gpa;

		assert_int_equal(guest_walk(paging, cases[i].linear, cases[i].fetch, &gpa, NULL),
				 cases[i].faults ? -1 : 0);
	}
}

static void test_mode_selection(void **state)
{
	struct fake_guest *g = *state;
	struct guest_paging p;

	p = paging_of(g, CR0_PE, 0, CR4_PAE, 0);
	assert_int_equal(guest_paging_mode(&p), GUEST_PAGING_NONE);
	p = paging_of(g, CR0_PE | CR0_PG, 0, CR4_PSE, 0);
	assert_int_equal(guest_paging_mode(&p), GUEST_PAGING_32BIT);
	p = paging_of(g, CR0_PE | CR0_PG, 0, CR4_PAE, EFER_LME);
	assert_int_equal(guest_paging_mode(&p), GUEST_PAGING_PAE);
	p = paging_of(g, CR0_PE | CR0_PG, 0, CR4_PAE, EFER_LME | EFER_LMA);
	assert_int_equal(guest_paging_mode(&p), GUEST_PAGING_4LEVEL);
	p = paging_of(g, CR0_PE | CR0_PG, 0, CR4_PAE | CR4_LA57, EFER_LME | EFER_LMA);
	assert_int_equal(guest_paging_mode(&p), GUEST_PAGING_5LEVEL);
}

static void test_paging_off(void **state)
{
	static const struct walk_case cases[] = {
		OK(0x12345678, false, 0x12345678),
		OK(0xFEE00300, true, 0xFEE00300),
		OK(0x100001000ull, false, 0x1000),     /* linear addresses are 32 bits */
		OK(0xFFFFFFFFFFFFFFFFull, true, 0xFFFFFFFF),
	};
	struct fake_guest *g = *state;
	struct guest_paging p = paging_of(g, 0, 0x1000, 0, 0);
	unsigned reads = g->reads;

	run_walk_cases(&p, cases, ARRAY_SIZE(cases), "real mode");
	p.cr0 = CR0_PE;
	run_walk_cases(&p, cases, ARRAY_SIZE(cases), "protected mode without paging");
	assert_int_equal(g->reads, reads);     /* nothing to read */
}

/* 32-bit paging: page directory at 0x1000, page table at 0x2000. */
static void build_32bit(struct fake_guest *g)
{
	put32(g, 0x1000 + 0 * 4, 0x2000 | P | RW);
	put32(g, 0x1000 + 1 * 4, 0x00C00000 | PS | P);                    /* 4 MiB page */
	put32(g, 0x1000 + 2 * 4, 0x01000000 | (0x3 << 13) | PS | P);      /* PSE-36: 0x3_0100_0000 */
	put32(g, 0x1000 + 3 * 4, 0);
	put32(g, 0x1000 + 4 * 4, 0x01400000 | (1u << 21) | PS | P);       /* reserved bit 21 */
	put32(g, 0x1000 + 5 * 4, 0x00200000 | P);                         /* PT beyond RAM */
	put32(g, 0x2000 + 5 * 4, 0x7000 | P);
	put32(g, 0x2000 + 6 * 4, 0);
	put32(g, 0x2000 + 7 * 4, 0x7000 | RW);                            /* P=0 */
}

static void test_32bit_paging(void **state)
{
	static const struct walk_case with_pse[] = {
		OK(0x5123, false, 0x7123),
		OK(0x5FFF, true, 0x7FFF),
		OK(0x100005123ull, false, 0x7123),                         /* truncated to 32 bits */
		OK(0x00401234, false, 0xC01234),
		OK(0x00BFFFFF, false, 0x3013FFFFFull),
		FAULT(0x00C00000, false, NOT_PRESENT, 2, 0x100C, 0),
		FAULT(0x00C00000, true, NOT_PRESENT, 2, 0x100C, 0),        /* no I/D without NXE/SMEP */
		FAULT(0x01000000, false, RESERVED_BIT, 2, 0x1010, PF_P | PF_RSVD),
		FAULT(0x01400000, false, READ_FAILED, 1, 0x200000, 0),
		FAULT(0x6000, false, NOT_PRESENT, 1, 0x2018, 0),
		FAULT(0x7FFF, true, NOT_PRESENT, 1, 0x201C, 0),
	};
	static const struct walk_case without_pse[] = {
		OK(0x5123, false, 0x7123),
		/* Without CR4.PSE the PS bit is ignored: PD[1] names a page table at 0xC00000. */
		FAULT(0x00401234, false, READ_FAILED, 1, 0xC00004, 0),
	};
	static const struct walk_case with_smep[] = {
		FAULT(0x6000, true, NOT_PRESENT, 1, 0x2018, PF_ID),
		FAULT(0x6000, false, NOT_PRESENT, 1, 0x2018, 0),
	};
	struct fake_guest *g = *state;
	struct guest_paging p;

	build_32bit(g);
	/* CR3 bits 4:3 (PWT, PCD) and 63:32 are not part of the address. */
	p = paging_of(g, CR0_PE | CR0_PG, 0x1018, CR4_PSE, EFER_NXE);
	assert_int_equal(guest_paging_mode(&p), GUEST_PAGING_32BIT);
	run_walk_cases(&p, with_pse, ARRAY_SIZE(with_pse), "32-bit with PSE");
	p.cr4 = 0;
	run_walk_cases(&p, without_pse, ARRAY_SIZE(without_pse), "32-bit without PSE");
	p.cr4 = CR4_PSE | CR4_SMEP;
	run_walk_cases(&p, with_smep, ARRAY_SIZE(with_smep), "32-bit with SMEP");
}

/* PAE paging: PDPT at 0x1020, page directories at 0x2000 and 0x5000, page tables at 0x3000
 * and 0x4000. */
static void build_pae(struct fake_guest *g)
{
	put64(g, 0x1020 + 0 * 8, 0x2000 | P);
	put64(g, 0x1020 + 1 * 8, 0);
	put64(g, 0x1020 + 2 * 8, 0x3000 | P | (1ull << 1));      /* bit 1 reserved in a PDPTE */
	put64(g, 0x1020 + 3 * 8, 0x5000 | P);
	put64(g, 0x2000 + 0 * 8, 0x3000 | P | RW);
	put64(g, 0x2000 + 1 * 8, 0x00A00000 | PS | P);            /* 2 MiB page */
	put64(g, 0x2000 + 2 * 8, 0x00C00000 | PS | P | (1ull << 13)); /* reserved bit 13 */
	put64(g, 0x2000 + 3 * 8, 0x4000 | P | XD);
	put64(g, 0x2000 + 4 * 8, 0);
	put64(g, 0x3000 + 1 * 8, 0x9000 | P);
	put64(g, 0x3000 + 2 * 8, 0);
	put64(g, 0x4000 + 0 * 8, 0xA000 | P);
	put64(g, 0x5000 + 0 * 8, 0x40000000000ull | PS | P);      /* above 4 GiB */
}

static void test_pae_paging(void **state)
{
	static const struct walk_case with_nxe[] = {
		OK(0x1234, false, 0x9234),
		OK(0x100001234ull, true, 0x9234),
		OK(0x00212345, true, 0xA12345),
		OK(0xC0012345, false, 0x40000012345ull),
		OK(0x00600123, false, 0xA123),
		FAULT(0x00600123, true, NO_EXECUTE, 2, 0x2018, PF_P | PF_ID),
		FAULT(0x40000000, false, NOT_PRESENT, 3, 0x1028, 0),
		FAULT(0x40000000, true, NOT_PRESENT, 3, 0x1028, PF_ID),
		FAULT(0x80000000, false, RESERVED_BIT, 3, 0x1030, PF_P | PF_RSVD),
		FAULT(0x00400000, false, RESERVED_BIT, 2, 0x2010, PF_P | PF_RSVD),
		FAULT(0x00800000, true, NOT_PRESENT, 2, 0x2020, PF_ID),
		FAULT(0x2000, false, NOT_PRESENT, 1, 0x3010, 0),
	};
	static const struct walk_case without_nxe[] = {
		OK(0x1234, true, 0x9234),
		/* XD is a reserved bit while EFER.NXE=0, for reads too. */
		FAULT(0x00600123, false, RESERVED_BIT, 2, 0x2018, PF_P | PF_RSVD),
		FAULT(0x00800000, true, NOT_PRESENT, 2, 0x2020, 0),
	};
	static const struct walk_case from_registers[] = {
		/* PDPTE 0 from the registers points at the directory at 0x5000. */
		OK(0x12345, false, 0x40000012345ull),
		FAULT(0x40000000, false, NOT_PRESENT, 3, 0x1028, 0),
		OK(0xC0001234, false, 0x9234),
	};
	static const uint64_t pdptes[4] = { 0x5000 | P, 0, 0, 0x2000 | P };
	struct fake_guest *g = *state;
	struct guest_paging p;

	build_pae(g);
	p = paging_of(g, CR0_PE | CR0_PG, 0x1020 | 0x18, CR4_PAE, EFER_NXE);
	run_walk_cases(&p, with_nxe, ARRAY_SIZE(with_nxe), "PAE with NXE");
	p.efer = 0;
	run_walk_cases(&p, without_nxe, ARRAY_SIZE(without_nxe), "PAE without NXE");
	p.pae_pdptes = pdptes;
	run_walk_cases(&p, from_registers, ARRAY_SIZE(from_registers), "PAE PDPTE registers");
}

/* 4-level paging; page numbers name each table:
 *   0x1000 PML4; 0x2000 PDPT, 0x3000 PD, 0x4000 PT (low addresses);
 *   0x6000 PDPT, 0x7000 PD, 0x8000 PT (the higher half, PML4[511]);
 *   0x9000 PDPT, 0xE000 PD, 0xF000 PT (PML4[3], which has XD);
 *   0x5000, 0xA000-0xD000 data. */
static void build_4level(struct fake_guest *g)
{
	put64(g, 0x1000 + 0 * 8, 0x2000 | P | RW);
	put64(g, 0x1000 + 1 * 8, 0);
	put64(g, 0x1000 + 2 * 8, 0x2000 | P | PS);               /* PS reserved in a PML4E */
	put64(g, 0x1000 + 3 * 8, 0x9000 | P | XD);
	put64(g, 0x1000 + 4 * 8, 0x200000 | P);                  /* PDPT beyond RAM */
	put64(g, 0x1000 + 511 * 8, 0x6000 | P);
	put64(g, 0x2000 + 0 * 8, 0x3000 | P);
	put64(g, 0x2000 + 1 * 8, 0x80000000 | PS | P);           /* 1 GiB page */
	put64(g, 0x2000 + 2 * 8, 0);
	put64(g, 0x2000 + 3 * 8, 0xC0000000 | PS | P | (1ull << 13)); /* reserved bit 13 */
	put64(g, 0x3000 + 0 * 8, 0x4000 | P);
	put64(g, 0x3000 + 1 * 8, 0x600000 | PS | P);             /* 2 MiB page */
	put64(g, 0x3000 + 2 * 8, 0);
	put64(g, 0x4000 + 0x10 * 8, 0xA000 | P);
	put64(g, 0x4000 + 0x11 * 8, 0);
	put64(g, 0x4000 + 0x12 * 8, 0xC000 | P);
	put64(g, 0x4000 + 0x13 * 8, 0x5000 | P);
	put64(g, 0x4000 + 0x14 * 8, 0xD000 | P | XD);
	put64(g, 0x4000 + 0x15 * 8, 0x300000 | P);               /* data beyond RAM */
	put64(g, 0x6000 + 510 * 8, 0x7000 | P);
	put64(g, 0x7000 + 0 * 8, 0x8000 | P);
	put64(g, 0x8000 + 1 * 8, 0xB000 | P);
	put64(g, 0x9000 + 0 * 8, 0xE000 | P);
	put64(g, 0xE000 + 0 * 8, 0xF000 | P);
	put64(g, 0xF000 + 0 * 8, 0xB000 | P);
	put64(g, 0xF000 + 1 * 8, 0);
}

#define PML4_3 (3ull << 39)

static void test_4level_paging(void **state)
{
	static const struct walk_case with_nxe[] = {
		OK(0x10ABC, true, 0xAABC),
		OK(0x40123456, true, 0x80123456),
		OK(0x00212345, true, 0x612345),
		OK(0xFFFFFFFF80001234ull, true, 0xB234),
		OK(0x14008, false, 0xD008),
		OK(PML4_3 + 0x123, false, 0xB123),
		FAULT(0x8000000000ull, false, NOT_PRESENT, 4, 0x1008, 0),
		FAULT(0x80000000, false, NOT_PRESENT, 3, 0x2010, 0),
		FAULT(0x400000, false, NOT_PRESENT, 2, 0x3010, 0),
		FAULT(0x11000, false, NOT_PRESENT, 1, 0x4088, 0),
		FAULT(0x11000, true, NOT_PRESENT, 1, 0x4088, PF_ID),
		FAULT(0x10000000000ull, false, RESERVED_BIT, 4, 0x1010, PF_P | PF_RSVD),
		FAULT(0xC0000000, false, RESERVED_BIT, 3, 0x2018, PF_P | PF_RSVD),
		FAULT(0x14008, true, NO_EXECUTE, 1, 0x40A0, PF_P | PF_ID),
		/* XD on the PML4E forbids the fetch, reported at level 4... */
		FAULT(PML4_3 + 0x123, true, NO_EXECUTE, 4, 0x1018, PF_P | PF_ID),
		/* ...but a not-present PTE further down is the fault the processor reports. */
		FAULT(PML4_3 + 0x1000, true, NOT_PRESENT, 1, 0xF008, PF_ID),
		FAULT(0x20000000000ull, false, READ_FAILED, 3, 0x200000, 0),
		FAULT(0x0000800000000000ull, false, NON_CANONICAL, 0, 0, 0),
		FAULT(0xFFFF7FFFFFFFFFFFull, true, NON_CANONICAL, 0, 0, 0),
	};
	static const struct walk_case without_nxe[] = {
		OK(0x10ABC, true, 0xAABC),
		FAULT(0x14008, false, RESERVED_BIT, 1, 0x40A0, PF_P | PF_RSVD),
		FAULT(0x11000, true, NOT_PRESENT, 1, 0x4088, 0),
	};
	static const struct walk_case with_smep[] = {
		FAULT(0x11000, true, NOT_PRESENT, 1, 0x4088, PF_ID),
	};
	struct fake_guest *g = *state;
	struct guest_paging p;

	build_4level(g);
	/* CR3 bits 11:0 hold a PCID here; they are not part of the address. */
	p = paging_of(g, CR0_PE | CR0_PG, 0x1000 | 0x5, CR4_PAE, EFER_LME | EFER_LMA | EFER_NXE);
	run_walk_cases(&p, with_nxe, ARRAY_SIZE(with_nxe), "4-level with NXE");
	p.efer = EFER_LME | EFER_LMA;
	run_walk_cases(&p, without_nxe, ARRAY_SIZE(without_nxe), "4-level without NXE");
	p.cr4 = CR4_PAE | CR4_SMEP;
	run_walk_cases(&p, with_smep, ARRAY_SIZE(with_smep), "4-level with SMEP");
}

static void test_5level_refused(void **state)
{
	static const struct walk_case cases[] = {
		FAULT(0x1000, true, UNSUPPORTED_MODE, 0, 0, 0),
	};
	struct fake_guest *g = *state;
	struct guest_paging p = paging_of(g, CR0_PE | CR0_PG, 0x1000, CR4_PAE | CR4_LA57,
					  EFER_LME | EFER_LMA);
	char text[128];
	struct guest_walk_fault fault;
	uint64_t gpa;

	run_walk_cases(&p, cases, ARRAY_SIZE(cases), "5-level");
	assert_int_equal(guest_walk(&p, 0x1000, false, &gpa, &fault), -1);
	guest_walk_describe_fault(&fault, text, sizeof(text));
	assert_non_null(strstr(text, "5-level paging (CR4.LA57) is not supported"));
}

static void check_bytes_from(const uint8_t *buf, size_t count, uint64_t gpa)
{
	for (size_t i = 0; i < count; i++)
		if (buf[i] != pattern(gpa + i))
			fail_msg("byte %zu is %02x, want %02x from GPA %llx", i, buf[i],
				 pattern(gpa + i), (unsigned long long)(gpa + i));
}

static void test_fetch(void **state)
{
	struct fake_guest *g = *state;
	struct guest_paging p;
	struct guest_walk_fault fault;
	uint8_t buf[GUEST_FETCH_MAX_BYTES + 8];
	size_t got;

	build_4level(g);
	p = paging_of(g, CR0_PE | CR0_PG, 0x1000, CR4_PAE, EFER_LME | EFER_LMA | EFER_NXE);

	/* Six bytes at the end of a page; the next page is not present. */
	memset(&fault, 0, sizeof(fault));
	assert_int_equal(guest_fetch_instruction(&p, 0x10FFA, buf, 15, &got, &fault), 0);
	assert_int_equal(got, 6);
	check_bytes_from(buf, 6, 0xAFFA);
	assert_int_equal(fault.reason, GUEST_WALK_NOT_PRESENT);
	assert_int_equal(fault.level, 1);
	assert_int_equal(fault.linear, 0x11000);
	assert_int_equal(fault.page_fault_error_code, PF_ID);

	/* Straddling two present pages mapped to unrelated GPAs: 0xCFFC.. then 0x5000.. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(guest_fetch_instruction(&p, 0x12FFC, buf, 15, &got, &fault), 0);
	assert_int_equal(got, 15);
	check_bytes_from(buf, 4, 0xCFFC);
	check_bytes_from(buf + 4, 11, 0x5000);

	/* The first byte does not translate: nothing fetched. */
	assert_int_equal(guest_fetch_instruction(&p, 0x11000, buf, 15, &got, &fault), -1);
	assert_int_equal(got, 0);
	assert_int_equal(fault.reason, GUEST_WALK_NOT_PRESENT);

	/* At most 15 bytes, whatever is asked; fewer when asked for fewer. */
	memset(buf, 0xEE, sizeof(buf));
	assert_int_equal(guest_fetch_instruction(&p, 0x10000, buf, sizeof(buf), &got, NULL), 0);
	assert_int_equal(got, GUEST_FETCH_MAX_BYTES);
	check_bytes_from(buf, GUEST_FETCH_MAX_BYTES, 0xA000);
	assert_int_equal(buf[GUEST_FETCH_MAX_BYTES], 0xEE);
	assert_int_equal(guest_fetch_instruction(&p, 0x10000, buf, 3, &got, NULL), 0);
	assert_int_equal(got, 3);
	assert_int_equal(guest_fetch_instruction(&p, 0x10000, buf, 0, &got, NULL), -1);
	assert_int_equal(got, 0);

	/* The page translates but its bytes are not RAM. */
	assert_int_equal(guest_fetch_instruction(&p, 0x15010, buf, 15, &got, &fault), -1);
	assert_int_equal(got, 0);
	assert_int_equal(fault.reason, GUEST_WALK_READ_FAILED);
	assert_int_equal(fault.level, 0);
	assert_int_equal(fault.entry_gpa, 0x300010);

	/* The second page is present but not executable. */
	assert_int_equal(guest_fetch_instruction(&p, 0x13FF8, buf, 15, &got, &fault), 0);
	assert_int_equal(got, 8);
	check_bytes_from(buf, 8, 0x5FF8);
	assert_int_equal(fault.reason, GUEST_WALK_NO_EXECUTE);
	assert_int_equal(fault.level, 1);

	/* Without paging: two chunks from contiguous GPAs. */
	p = paging_of(g, 0, 0, 0, 0);
	assert_int_equal(guest_fetch_instruction(&p, 0x3FFC, buf, 15, &got, &fault), 0);
	assert_int_equal(got, 15);
	check_bytes_from(buf, 15, 0x3FFC);

	/* PAE: straddling into a not-present page table entry. */
	build_pae(g);
	p = paging_of(g, CR0_PE | CR0_PG, 0x1020, CR4_PAE, 0);
	assert_int_equal(guest_fetch_instruction(&p, 0x1FFE, buf, 15, &got, &fault), 0);
	assert_int_equal(got, 2);
	check_bytes_from(buf, 2, 0x9FFE);
	assert_int_equal(fault.reason, GUEST_WALK_NOT_PRESENT);
	assert_int_equal(fault.linear, 0x2000);
}

/* What the MMIO exit handler does: fetch at RIP, decode what was fetched. An instruction that
 * ends before the missing page decodes; one that needs bytes from it is "truncated". */
static void test_fetch_then_decode(void **state)
{
	static const uint8_t mov_store[] = { 0x89, 0x01 };                      /* mov [rcx], eax */
	static const uint8_t mov_load[] = { 0x8B, 0x05, 0x78, 0x56, 0x34, 0x12 }; /* mov eax, [rip+] */
	struct fake_guest *g = *state;
	struct guest_paging p;
	struct x86_mmio_insn insn;
	uint8_t buf[GUEST_FETCH_MAX_BYTES];
	char err[128];
	size_t got;

	build_4level(g);
	p = paging_of(g, CR0_PE | CR0_PG, 0x1000, CR4_PAE, EFER_LME | EFER_LMA | EFER_NXE);

	memcpy(g->memory + 0xAFFE, mov_store, sizeof(mov_store));
	assert_int_equal(guest_fetch_instruction(&p, 0x10FFE, buf, sizeof(buf), &got, NULL), 0);
	assert_int_equal(got, 2);
	assert_int_equal(x86_decode_mmio(buf, got, X86_MODE_LONG64, &insn, err, sizeof(err)), 0);
	assert_int_equal(insn.length, 2);
	assert_int_equal(insn.direction, X86_MMIO_WRITE);

	memcpy(g->memory + 0xAFFC, mov_load, 4);
	assert_int_equal(guest_fetch_instruction(&p, 0x10FFC, buf, sizeof(buf), &got, NULL), 0);
	assert_int_equal(got, 4);
	assert_int_equal(x86_decode_mmio(buf, got, X86_MODE_LONG64, &insn, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "truncated"));

	/* The same load straddling into a present page decodes across the boundary. */
	memcpy(g->memory + 0xCFFD, mov_load, 3);
	memcpy(g->memory + 0x5000, mov_load + 3, 3);
	assert_int_equal(guest_fetch_instruction(&p, 0x12FFD, buf, sizeof(buf), &got, NULL), 0);
	assert_int_equal(got, 15);
	assert_int_equal(x86_decode_mmio(buf, got, X86_MODE_LONG64, &insn, err, sizeof(err)), 0);
	assert_int_equal(insn.length, 6);
	assert_int_equal(insn.memory.displacement, 0x12345678);
}

static void test_describe_fault(void **state)
{
	struct fake_guest *g = *state;
	struct guest_paging p;
	struct guest_walk_fault fault;
	char text[160];
	uint64_t gpa;

	build_4level(g);
	p = paging_of(g, CR0_PE | CR0_PG, 0x1000, CR4_PAE, EFER_LME | EFER_LMA | EFER_NXE);

	assert_int_equal(guest_walk(&p, 0x400000, false, &gpa, &fault), -1);
	guest_walk_describe_fault(&fault, text, sizeof(text));
	assert_string_equal(text, "linear 0x400000: PDE at GPA 0x3010 = 0x0 not present");

	assert_int_equal(guest_walk(&p, 0x8000000000ull, false, &gpa, &fault), -1);
	guest_walk_describe_fault(&fault, text, sizeof(text));
	assert_string_equal(text, "linear 0x8000000000: PML4E at GPA 0x1008 = 0x0 not present");

	assert_int_equal(guest_walk(&p, 0x14000, true, &gpa, &fault), -1);
	guest_walk_describe_fault(&fault, text, sizeof(text));
	assert_string_equal(text, "linear 0x14000: PTE at GPA 0x40a0 = 0x800000000000d001 "
			    "forbids instruction fetch (XD)");

	assert_int_equal(guest_walk(&p, 0x20000000000ull, false, &gpa, &fault), -1);
	guest_walk_describe_fault(&fault, text, sizeof(text));
	assert_string_equal(text, "linear 0x20000000000: PDPTE at GPA 0x200000 is not readable "
			    "guest memory");

	assert_int_equal(guest_walk(&p, 0x0000800000000000ull, false, &gpa, &fault), -1);
	guest_walk_describe_fault(&fault, text, sizeof(text));
	assert_string_equal(text, "linear 0x800000000000: non-canonical");

	assert_int_equal(guest_fetch_instruction(&p, 0x15000, (uint8_t[15]){ 0 }, 15, &(size_t){ 0 },
						 &fault), -1);
	guest_walk_describe_fault(&fault, text, sizeof(text));
	assert_string_equal(text, "linear 0x15000: GPA 0x300000 is not readable guest memory");

	/* Truncates like snprintf and reports the full length. */
	assert_int_equal(guest_walk_describe_fault(&fault, text, 8), strlen(text));
	assert_string_equal(text, "linear ");
}

/* guest_walk_data: the access rights ANDed over the levels, CR0.WP, and the error code's W/R and
 * U/S bits (SDM Vol. 3A §5.6 "Access Rights", §5.7 "Page-Fault Exceptions"). Linear 0x10000 +
 * n * 4 KiB: n = 0 user writable, 1 user read-only, 2 supervisor writable, 3 supervisor
 * read-only, 4 not present; linear 0x200000 + n * 4 KiB: the same leaves below a read-only
 * page directory entry. */
static void test_data_rights(void **state)
{
	enum { US = 1 << 2 };
	static const uint64_t leaf[5] = { P | RW | US, P | US, P | RW, P, 0 };
	static const struct {
		unsigned page;
		bool write, user, wp;
		uint32_t error; /* ~0u: allowed */
	} cases[] = {
		{ 0, false, false, true, ~0u }, { 0, true, true, true, ~0u },
		{ 1, false, true, true, ~0u },  { 1, true, true, false, 0x7 },
		{ 1, true, false, false, ~0u }, { 1, true, false, true, 0x3 },
		{ 2, true, false, true, ~0u },  { 2, false, true, false, 0x5 },
		{ 2, true, true, true, 0x7 },   { 3, false, false, true, ~0u },
		{ 3, true, false, true, 0x3 },  { 3, true, false, false, ~0u },
		{ 3, false, true, true, 0x5 },  { 4, false, false, true, 0x0 },
		{ 4, true, false, true, 0x2 },  { 4, true, true, true, 0x6 },
		{ 4, false, true, true, 0x4 },
		/* under the read-only PDE: writes fault even where the PTE allows them */
		{ 0x200, true, true, true, 0x7 }, { 0x200, true, false, true, 0x3 },
		{ 0x200, true, false, false, ~0u }, { 0x200, false, true, true, ~0u },
	};
	struct fake_guest *g = *state;
	struct guest_paging p;

	put64(g, 0x1000, 0x2000 | P | RW | US);
	put64(g, 0x2000, 0x3000 | P | RW | US);
	put64(g, 0x3000 + 0 * 8, 0x4000 | P | RW | US);
	put64(g, 0x3000 + 1 * 8, 0x5000 | P | US);
	for (unsigned n = 0; n < 5; n++) {
		put64(g, 0x4000 + (0x10 + n) * 8, leaf[n] ? (0x10000 + n * 0x1000) | leaf[n] : 0);
		put64(g, 0x5000 + n * 8, leaf[n] ? (0x20000 + n * 0x1000) | leaf[n] : 0);
	}
	p = paging_of(g, CR0_PE | CR0_PG, 0x1000, CR4_PAE, EFER_LME | EFER_LMA);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t linear = cases[i].page >= 0x200 ? 0x200000 + (cases[i].page - 0x200) * 0x1000
							 : 0x10000 + cases[i].page * 0x1000;
		struct guest_walk_fault fault;
		uint64_t gpa = 0;
		int rc;

		p.cr0 = CR0_PE | CR0_PG | (cases[i].wp ? 1ull << 16 : 0);
		memset(&fault, 0, sizeof(fault));
		rc = guest_walk_data(&p, linear + 0x123, cases[i].write, cases[i].user, &gpa, &fault);
		if (cases[i].error == ~0u) {
			if (rc != 0)
				fail_msg("case %zu: faulted, code %#x", i, fault.page_fault_error_code);
		} else if (rc != -1 || fault.page_fault_error_code != cases[i].error ||
			   fault.reason != (cases[i].error & 1 ? GUEST_WALK_PROTECTION
							       : GUEST_WALK_NOT_PRESENT)) {
			fail_msg("case %zu: rc %d reason %d code %#x, want code %#x", i, rc,
				 (int)fault.reason, fault.page_fault_error_code, cases[i].error);
		}
	}
	/* guest_walk (supervisor read or fetch) never checks rights. */
	p.cr0 = CR0_PE | CR0_PG | (1ull << 16);
	assert_int_equal(guest_walk(&p, 0x13000, false, &(uint64_t){ 0 }, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mode_selection, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_paging_off, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_32bit_paging, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_pae_paging, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_4level_paging, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_5level_refused, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_fetch, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_fetch_then_decode, guest_setup,
						guest_teardown),
		cmocka_unit_test_setup_teardown(test_describe_fault, guest_setup, guest_teardown),
		cmocka_unit_test_setup_teardown(test_data_rights, guest_setup, guest_teardown),
	};

	return cmocka_run_group_tests_name("guest_walk", tests, NULL, NULL);
}
