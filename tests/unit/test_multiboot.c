/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for boot/multiboot.c: images are built in memory (a.out kludge and ELF32), valid
 * ones are loaded into a fake guest RAM, malformed ones must be refused with a clear message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot/multiboot.h"

#define MIB (1024u * 1024u)
#define RAM_BYTES (4u * MIB)
#define IMAGE_BYTES 0x4000u
#define RAM_FILL 0xaa

/* ---------------------------------------------------------------------------------------- */
/* Building images                                                                          */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* magic, flags, checksum at off. */
static void put_header(uint8_t *img, size_t off, uint32_t flags)
{
	put32(img + off, MULTIBOOT_HEADER_MAGIC);
	put32(img + off + 4, flags);
	put32(img + off + 8, 0u - MULTIBOOT_HEADER_MAGIC - flags);
}

static void put_aout_fields(uint8_t *img, size_t off, uint32_t header_addr, uint32_t load_addr,
			    uint32_t load_end_addr, uint32_t bss_end_addr, uint32_t entry_addr)
{
	put32(img + off + 12, header_addr);
	put32(img + off + 16, load_addr);
	put32(img + off + 20, load_end_addr);
	put32(img + off + 24, bss_end_addr);
	put32(img + off + 28, entry_addr);
}

/* Fills the image with a recognisable pattern, so a load from the wrong offset shows. */
static void fill_pattern(uint8_t *img, size_t size)
{
	for (size_t i = 0; i < size; i++)
		img[i] = (uint8_t)(i * 7 + (i >> 8) + 1);
}

struct test_image {
	uint8_t bytes[3 * 8192];
	size_t size;
	uint64_t ram_bytes;
};

/*
 * The a.out kludge image: header at 0x40; file bytes [0, 0x2000) load at 0x100000, bss up to
 * 0x104000, entry 0x100080.
 */
#define AOUT_HEADER_OFFSET 0x40u
static void build_aout(struct test_image *t)
{
	memset(t, 0, sizeof(*t));
	t->size = IMAGE_BYTES;
	t->ram_bytes = RAM_BYTES;
	fill_pattern(t->bytes, t->size);
	put_header(t->bytes, AOUT_HEADER_OFFSET,
		   MULTIBOOT_FLAG_AOUT_KLUDGE | MULTIBOOT_FLAG_PAGE_ALIGN |
			   MULTIBOOT_FLAG_MEMORY_INFO);
	put_aout_fields(t->bytes, AOUT_HEADER_OFFSET, 0x100000 + AOUT_HEADER_OFFSET, 0x100000,
			0x102000, 0x104000, 0x100080);
}

/* ELF32 program header as the tests describe it. */
struct test_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags;
};

#define PT_LOAD 1
#define PT_NOTE 4
#define PF_X 1
#define PF_W 2
#define PF_R 4
#define ELF_PHOFF 52u
#define ELF_HEADER_OFFSET 0x400u     /* the multiboot header, after up to 28 phdrs */

/* Writes an ELF32 header with phnum program headers right after it, and the multiboot header
 * (flags without bit 16) at ELF_HEADER_OFFSET. */
static void put_elf(struct test_image *t, const struct test_phdr *ph, unsigned phnum,
		    uint32_t entry)
{
	uint8_t *e = t->bytes;

	memcpy(e, "\x7f" "ELF", 4);
	e[4] = 1;                 /* ELFCLASS32 */
	e[5] = 1;                 /* ELFDATA2LSB */
	e[6] = 1;                 /* EV_CURRENT */
	memset(e + 7, 0, 9);
	put16(e + 16, 2);         /* ET_EXEC */
	put16(e + 18, 3);         /* EM_386 */
	put32(e + 20, 1);
	put32(e + 24, entry);
	put32(e + 28, ELF_PHOFF);
	put32(e + 32, 0);         /* no section headers */
	put32(e + 36, 0);
	put16(e + 40, 52);
	put16(e + 42, 32);
	put16(e + 44, (uint16_t)phnum);
	put16(e + 46, 40);
	put16(e + 48, 0);
	put16(e + 50, 0);
	for (unsigned i = 0; i < phnum; i++) {
		uint8_t *p = e + ELF_PHOFF + 32 * i;

		put32(p + 0, ph[i].type);
		put32(p + 4, ph[i].offset);
		put32(p + 8, ph[i].vaddr);
		put32(p + 12, ph[i].paddr);
		put32(p + 16, ph[i].filesz);
		put32(p + 20, ph[i].memsz);
		put32(p + 24, ph[i].flags);
		put32(p + 28, 0x1000);
	}
	put_header(t->bytes, ELF_HEADER_OFFSET, MULTIBOOT_FLAG_MEMORY_INFO);
}

/*
 * The ELF image: a higher-half text segment (vaddr 0xc0100000, paddr 0x100000) from file
 * 0x1000, a data segment with bss at 0x102000 from file 0x2000, a PT_NOTE and an empty PT_LOAD
 * in between (both ignored). Entry 0xc0100010 → 0x100010.
 */
static const struct test_phdr elf_phdrs[] = {
	{ PT_LOAD, 0x1000, 0xc0100000, 0x100000, 0x1000, 0x1000, PF_R | PF_X },
	{ PT_NOTE, 0x3000, 0, 0, 0x20, 0x20, PF_R },
	{ PT_LOAD, 0x3000, 0xc0300000, 0x300000, 0, 0, PF_R },
	{ PT_LOAD, 0x2000, 0xc0102000, 0x102000, 0x800, 0x3000, PF_R | PF_W },
};
#define ELF_ENTRY 0xc0100010u

static void build_elf(struct test_image *t)
{
	memset(t, 0, sizeof(*t));
	t->size = IMAGE_BYTES;
	t->ram_bytes = RAM_BYTES;
	fill_pattern(t->bytes, t->size);
	put_elf(t, elf_phdrs, ARRAY_SIZE(elf_phdrs), ELF_ENTRY);
}

static uint8_t *phdr_at(struct test_image *t, unsigned index)
{
	return t->bytes + ELF_PHOFF + 32 * index;
}

static uint8_t *new_ram(size_t size)
{
	uint8_t *ram = malloc(size);

	assert_non_null(ram);
	memset(ram, RAM_FILL, size);
	return ram;
}

static void assert_all_bytes(const uint8_t *p, size_t n, uint8_t value)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != value)
			fail_msg("byte %zu is 0x%02x, want 0x%02x", i, p[i], value);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Valid images                                                                             */

static void test_aout_loads(void **state)
{
	static struct test_image t;
	struct multiboot_image plan;
	char err[256] = "";
	uint8_t *ram = new_ram(RAM_BYTES);

	(void)state;
	build_aout(&t);
	if (multiboot_parse(t.bytes, t.size, t.ram_bytes, &plan, err, sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_true(plan.aout_kludge);
	assert_int_equal(plan.header_offset, AOUT_HEADER_OFFSET);
	assert_int_equal(plan.entry, 0x100080);
	assert_int_equal(plan.segment_count, 1);
	assert_int_equal(plan.segments[0].file_offset, 0);
	assert_int_equal(plan.segments[0].file_size, 0x2000);
	assert_int_equal(plan.segments[0].load_addr, 0x100000);
	assert_int_equal(plan.segments[0].mem_size, 0x4000);
	assert_int_equal(plan.load_end, 0x104000);

	multiboot_load(t.bytes, &plan, ram);
	assert_memory_equal(ram + 0x100000, t.bytes, 0x2000);
	assert_all_bytes(ram + 0x102000, 0x2000, 0);             /* bss */
	assert_all_bytes(ram + 0x104000, 0x100, RAM_FILL);       /* nothing beyond */
	assert_all_bytes(ram + 0xfff00, 0x100, RAM_FILL);        /* nothing before */
	free(ram);
}

static void test_aout_whole_file_from_offset(void **state)
{
	static struct test_image t;
	struct multiboot_image plan;
	char err[256] = "";
	uint8_t *ram = new_ram(RAM_BYTES);

	(void)state;
	/* Header at file offset 0x1040 is 0x40 into the loaded text: the load starts at file
	 * offset 0x1000. load_end_addr 0: to the end of the file; bss_end_addr 0: no bss. */
	memset(&t, 0, sizeof(t));
	t.size = 0x3000;
	fill_pattern(t.bytes, t.size);
	put_header(t.bytes, 0x1040, MULTIBOOT_FLAG_AOUT_KLUDGE | MULTIBOOT_FLAG_VIDEO_MODE);
	put_aout_fields(t.bytes, 0x1040, 0x200040, 0x200000, 0, 0, 0x200000);
	if (multiboot_parse(t.bytes, t.size, RAM_BYTES, &plan, err, sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_int_equal(plan.segments[0].file_offset, 0x1000);
	assert_int_equal(plan.segments[0].file_size, 0x2000);
	assert_int_equal(plan.segments[0].mem_size, 0x2000);
	assert_int_equal(plan.load_end, 0x202000);
	assert_int_equal(plan.entry, 0x200000);

	multiboot_load(t.bytes, &plan, ram);
	assert_memory_equal(ram + 0x200000, t.bytes + 0x1000, 0x2000);
	assert_all_bytes(ram + 0x202000, 0x100, RAM_FILL);
	free(ram);
}

static void test_elf_loads(void **state)
{
	static struct test_image t;
	struct multiboot_image plan;
	char err[256] = "";
	uint8_t *ram = new_ram(RAM_BYTES);

	(void)state;
	build_elf(&t);
	if (multiboot_parse(t.bytes, t.size, t.ram_bytes, &plan, err, sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_false(plan.aout_kludge);
	assert_int_equal(plan.header_offset, ELF_HEADER_OFFSET);
	assert_int_equal(plan.entry, 0x100010);         /* translated from 0xc0100010 */
	assert_int_equal(plan.segment_count, 2);        /* PT_NOTE and the empty PT_LOAD skipped */
	assert_int_equal(plan.segments[0].load_addr, 0x100000);
	assert_int_equal(plan.segments[0].file_offset, 0x1000);
	assert_int_equal(plan.segments[1].load_addr, 0x102000);
	assert_int_equal(plan.segments[1].file_size, 0x800);
	assert_int_equal(plan.segments[1].mem_size, 0x3000);
	assert_int_equal(plan.load_end, 0x105000);

	multiboot_load(t.bytes, &plan, ram);
	assert_memory_equal(ram + 0x100000, t.bytes + 0x1000, 0x1000);
	assert_all_bytes(ram + 0x101000, 0x1000, RAM_FILL);      /* the gap stays untouched */
	assert_memory_equal(ram + 0x102000, t.bytes + 0x2000, 0x800);
	assert_all_bytes(ram + 0x102800, 0x2800, 0);             /* bss */
	assert_all_bytes(ram + 0x105000, 0x100, RAM_FILL);
	assert_all_bytes(ram + 0x300000, 0x100, RAM_FILL);       /* the empty segment */
	free(ram);
}

static void test_elf_identity_entry(void **state)
{
	static const struct test_phdr ph[] = {
		{ PT_LOAD, 0x1000, 0x100000, 0x100000, 0x2000, 0x2000, PF_R | PF_X },
	};
	static struct test_image t;
	struct multiboot_image plan;
	char err[256] = "";

	(void)state;
	build_elf(&t);
	put_elf(&t, ph, 1, 0x101234);
	if (multiboot_parse(t.bytes, t.size, t.ram_bytes, &plan, err, sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_int_equal(plan.entry, 0x101234);
	assert_int_equal(plan.load_end, 0x102000);
}

static void test_elf_sixteen_segments(void **state)
{
	static struct test_image t;
	struct test_phdr ph[MULTIBOOT_MAX_SEGMENTS];
	struct multiboot_image plan;
	char err[256] = "";

	(void)state;
	for (unsigned i = 0; i < MULTIBOOT_MAX_SEGMENTS; i++)
		ph[i] = (struct test_phdr){ PT_LOAD, 0x1000 + 0x100 * i, 0x100000 + 0x1000 * i,
					    0x100000 + 0x1000 * i, 0x100, 0x1000, PF_R | PF_X };
	build_elf(&t);
	put_elf(&t, ph, MULTIBOOT_MAX_SEGMENTS, 0x100000);
	if (multiboot_parse(t.bytes, t.size, t.ram_bytes, &plan, err, sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_int_equal(plan.segment_count, MULTIBOOT_MAX_SEGMENTS);
	assert_int_equal(plan.load_end, 0x110000);
}

/* Low memory around what is reserved is the kernel's: [0x500, 0x9fc00) loads. */
static void test_elf_low_memory_edges(void **state)
{
	static const struct test_phdr ph[] = {
		{ PT_LOAD, 0x1000, 0x500, 0x500, 0x100, 0xb00, PF_R | PF_X },
		{ PT_LOAD, 0x2000, 0x9ec00, 0x9ec00, 0x100, 0x1000, PF_R | PF_W },
	};
	static struct test_image t;
	struct multiboot_image plan;
	char err[256] = "";

	(void)state;
	build_elf(&t);
	put_elf(&t, ph, ARRAY_SIZE(ph), 0x500);
	if (multiboot_parse(t.bytes, t.size, t.ram_bytes, &plan, err, sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_int_equal(plan.segment_count, 2);
	assert_int_equal(plan.load_end, 0x9fc00);
}

/* ---------------------------------------------------------------------------------------- */
/* Malformed images                                                                         */

static void no_header(struct test_image *t)
{
	put32(t->bytes + ELF_HEADER_OFFSET, 0);
}

static void header_beyond_8k(struct test_image *t)
{
	put32(t->bytes + ELF_HEADER_OFFSET, 0);
	t->size = 3 * 8192;
	put_header(t->bytes, 8192, MULTIBOOT_FLAG_MEMORY_INFO);
}

static void header_straddles_8k(struct test_image *t)
{
	put32(t->bytes + ELF_HEADER_OFFSET, 0);
	t->size = 3 * 8192;
	put_header(t->bytes, 8192 - 8, MULTIBOOT_FLAG_MEMORY_INFO);
}

static void bad_checksum(struct test_image *t)
{
	uint8_t *p = t->bytes + ELF_HEADER_OFFSET + 8;

	put32(p, get32(p) + 1);
}

static void misaligned_header(struct test_image *t)
{
	put32(t->bytes + ELF_HEADER_OFFSET, 0);
	put_header(t->bytes, ELF_HEADER_OFFSET + 2, MULTIBOOT_FLAG_MEMORY_INFO);
}

static void unsupported_flag_3(struct test_image *t)
{
	put_header(t->bytes, ELF_HEADER_OFFSET, MULTIBOOT_FLAG_MEMORY_INFO | (1u << 3));
}

static void unsupported_flag_15(struct test_image *t)
{
	put_header(t->bytes, ELF_HEADER_OFFSET, (1u << 15) | (1u << 17));
}

static void elf64(struct test_image *t)
{
	t->bytes[4] = 2;
}

static void elf_class_bogus(struct test_image *t)
{
	t->bytes[4] = 7;
}

static void big_endian(struct test_image *t)
{
	t->bytes[5] = 2;
}

static void wrong_machine(struct test_image *t)
{
	put16(t->bytes + 18, 62);       /* EM_X86_64 */
}

static void not_elf(struct test_image *t)
{
	t->bytes[0] = 'M';
	t->bytes[1] = 'Z';
}

static void truncated_elf_header(struct test_image *t)
{
	/* 48 bytes: ident fine, the multiboot header at 16..28 (over e_type..e_entry, which
	 * does not matter: the size check comes first). */
	t->size = 48;
	put_header(t->bytes, 16, 0);
}

static void no_phdrs(struct test_image *t)
{
	put16(t->bytes + 44, 0);
}

static void small_phentsize(struct test_image *t)
{
	put16(t->bytes + 42, 16);
}

static void truncated_phdrs(struct test_image *t)
{
	put32(t->bytes + 28, IMAGE_BYTES - 64);          /* 4 phdrs of 32 bytes from here */
}

static void huge_phoff(struct test_image *t)
{
	put32(t->bytes + 28, 0xffffffe0u);               /* phoff + table wraps 32 bits */
}

static void segment_beyond_file(struct test_image *t)
{
	put32(phdr_at(t, 3) + 16, 0x2001);               /* 0x2000 + 0x2001 > 0x4000 */
	put32(phdr_at(t, 3) + 20, 0x3000);
}

static void segment_offset_wraps(struct test_image *t)
{
	put32(phdr_at(t, 3) + 4, 0xffffff00u);           /* p_offset + p_filesz wraps 32 bits */
}

static void filesz_above_memsz(struct test_image *t)
{
	put32(phdr_at(t, 3) + 20, 0x400);                /* filesz 0x800 */
}

static void segment_beyond_ram(struct test_image *t)
{
	put32(phdr_at(t, 3) + 12, RAM_BYTES - 0x1000);  /* memsz 0x3000 */
}

static void segment_wraps_4g(struct test_image *t)
{
	put32(phdr_at(t, 3) + 12, 0xfffff000u);
	t->ram_bytes = 64ull << 30;                      /* so only the wrap can refuse it */
}

static void segment_ends_at_4g(struct test_image *t)
{
	put32(phdr_at(t, 3) + 12, 0xffffd000u);          /* + 0x3000 = exactly 4 GiB */
	t->ram_bytes = 64ull << 30;
}

/* Low memory the kernel may not use: the BIOS data area, the EBDA, the VGA/ROM hole, the BIOS
 * area (with the ACPI tables). The data segment (memsz 0x3000) moved there. */
static void segment_over_bda(struct test_image *t)
{
	put32(phdr_at(t, 3) + 12, 0x0);
}

static void segment_into_ebda(struct test_image *t)
{
	put32(phdr_at(t, 3) + 12, 0x9d000);
}

static void segment_in_bios_area(struct test_image *t)
{
	put32(phdr_at(t, 3) + 12, 0xf0000);
}

static void aout_in_vga_hole(struct test_image *t)
{
	put_aout_fields(t->bytes, AOUT_HEADER_OFFSET, 0xa0040, 0xa0000, 0xa2000, 0, 0xa0080);
}

static void overlapping_segments(struct test_image *t)
{
	put32(phdr_at(t, 3) + 12, 0x100800);
}

static void entry_outside(struct test_image *t)
{
	put32(t->bytes + 24, 0x500000);
}

static void entry_in_bss(struct test_image *t)
{
	put32(t->bytes + 24, 0xc0102900u);               /* vaddr of the data segment's bss */
}

static void no_load_segment(struct test_image *t)
{
	put32(phdr_at(t, 0), PT_NOTE);
	put32(phdr_at(t, 3), PT_NOTE);
}

static void too_many_segments(struct test_image *t)
{
	struct test_phdr ph[MULTIBOOT_MAX_SEGMENTS + 1];

	for (unsigned i = 0; i < ARRAY_SIZE(ph); i++)
		ph[i] = (struct test_phdr){ PT_LOAD, 0x1000 + 0x100 * i, 0x100000 + 0x1000 * i,
					    0x100000 + 0x1000 * i, 0x100, 0x1000, PF_R | PF_X };
	put_elf(t, ph, ARRAY_SIZE(ph), 0x100000);
}

static void aout_load_end_below_load(struct test_image *t)
{
	put_aout_fields(t->bytes, AOUT_HEADER_OFFSET, 0x100040, 0x100000, 0xff000, 0, 0x100080);
}

static void aout_header_below_load(struct test_image *t)
{
	put_aout_fields(t->bytes, AOUT_HEADER_OFFSET, 0xff000, 0x100000, 0x102000, 0, 0x100080);
}

static void aout_header_addr_mismatch(struct test_image *t)
{
	/* header_addr - load_addr = 0x80 > the header's file offset 0x40 */
	put_aout_fields(t->bytes, AOUT_HEADER_OFFSET, 0x100080, 0x100000, 0x102000, 0, 0x100080);
}

static void aout_load_beyond_file(struct test_image *t)
{
	put_aout_fields(t->bytes, AOUT_HEADER_OFFSET, 0x100040, 0x100000, 0x105000, 0, 0x100080);
}

static void aout_bss_below_load_end(struct test_image *t)
{
	put_aout_fields(t->bytes, AOUT_HEADER_OFFSET, 0x100040, 0x100000, 0x102000, 0x101000,
			0x100080);
}

static void aout_beyond_ram(struct test_image *t)
{
	put_aout_fields(t->bytes, AOUT_HEADER_OFFSET, RAM_BYTES - 0x1000 + 0x40,
			RAM_BYTES - 0x1000, RAM_BYTES + 0x1000, 0, RAM_BYTES - 0x1000);
}

static void aout_bss_beyond_ram(struct test_image *t)
{
	put_aout_fields(t->bytes, AOUT_HEADER_OFFSET, 0x100040, 0x100000, 0x102000,
			RAM_BYTES + 1, 0x100080);
}

static void aout_entry_outside(struct test_image *t)
{
	put_aout_fields(t->bytes, AOUT_HEADER_OFFSET, 0x100040, 0x100000, 0x102000, 0x104000,
			0x103000);                       /* in the bss, not in the loaded file */
}

static void aout_fields_beyond_file(struct test_image *t)
{
	t->size = AOUT_HEADER_OFFSET + 20;
}

static void aout_fields_beyond_8k(struct test_image *t)
{
	put32(t->bytes + AOUT_HEADER_OFFSET, 0);
	t->size = 3 * 8192;
	put_header(t->bytes, 8192 - 16, MULTIBOOT_FLAG_AOUT_KLUDGE);
}

static void empty_file(struct test_image *t)
{
	t->size = 0;
}

struct malformed_case {
	const char *name;
	void (*build)(struct test_image *t);
	void (*mutate)(struct test_image *t);
	const char *want;
};

static const struct malformed_case malformed_cases[] = {
	{ "empty file", build_elf, empty_file, "no multiboot header" },
	{ "no header", build_elf, no_header, "no multiboot header (magic 0x1badb002) in the first "
					     "8192 bytes" },
	{ "header beyond 8 KiB", build_elf, header_beyond_8k,
	  "multiboot header at offset 0x2000 does not lie within the first 8192 bytes" },
	{ "header straddles 8 KiB", build_elf, header_straddles_8k,
	  "does not lie within the first 8192 bytes" },
	{ "bad checksum", build_elf, bad_checksum,
	  "multiboot header at offset 0x400: bad checksum" },
	{ "misaligned header", build_elf, misaligned_header,
	  "multiboot header at offset 0x402 is not 32-bit aligned" },
	{ "unsupported flag 3", build_elf, unsupported_flag_3,
	  "requires unsupported multiboot feature bit 3" },
	{ "unsupported flag 15", build_elf, unsupported_flag_15,
	  "requires unsupported multiboot feature bit 15" },
	{ "ELF64", build_elf, elf64, "ELF64 image: needs a 32-bit ELF, as qemu -kernel does" },
	{ "ELF class 7", build_elf, elf_class_bogus, "ELF class 7" },
	{ "big endian", build_elf, big_endian, "not little-endian" },
	{ "wrong machine", build_elf, wrong_machine, "ELF machine 62 is not EM_386 (3)" },
	{ "not ELF, no kludge", build_elf, not_elf, "not an ELF file" },
	{ "truncated ELF header", build_elf, truncated_elf_header, "truncated ELF header" },
	{ "no program headers", build_elf, no_phdrs, "no program headers" },
	{ "small e_phentsize", build_elf, small_phentsize, "e_phentsize 16 is smaller" },
	{ "truncated phdrs", build_elf, truncated_phdrs,
	  "ELF program headers [0x3fc0, 0x4040) extend beyond the file (size 0x4000)" },
	{ "huge e_phoff", build_elf, huge_phoff, "extend beyond the file" },
	{ "segment beyond file", build_elf, segment_beyond_file,
	  "ELF program header 3: segment file range [0x2000, 0x4001) ends beyond the file "
	  "(size 0x4000)" },
	{ "segment offset wraps", build_elf, segment_offset_wraps, "ends beyond the file" },
	{ "filesz > memsz", build_elf, filesz_above_memsz,
	  "ELF program header 3: p_filesz 0x800 is larger than p_memsz 0x400" },
	{ "segment beyond RAM", build_elf, segment_beyond_ram,
	  "ELF program header 3: segment [0x3ff000, 0x402000) does not fit in guest RAM "
	  "(0x400000 bytes)" },
	{ "p_paddr + p_memsz wraps", build_elf, segment_wraps_4g,
	  "ELF program header 3: segment [0xfffff000, 0x100002000) ends at or beyond 4 GiB" },
	{ "segment ends at 4 GiB", build_elf, segment_ends_at_4g, "ends at or beyond 4 GiB" },
	{ "segment over the BIOS data area", build_elf, segment_over_bda,
	  "ELF program header 3: segment [0x0, 0x3000) overlaps the BIOS data area [0x400, "
	  "0x500), which the loader fills in" },
	{ "segment into the EBDA", build_elf, segment_into_ebda,
	  "ELF program header 3: segment [0x9d000, 0xa0000) overlaps [0x9fc00, 0x100000), which "
	  "is not RAM for the guest" },
	{ "segment in the BIOS area", build_elf, segment_in_bios_area,
	  "ELF program header 3: segment [0xf0000, 0xf3000) overlaps [0x9fc00, 0x100000)" },
	{ "kludge in the VGA hole", build_aout, aout_in_vga_hole,
	  "a.out kludge: segment [0xa0000, 0xa2000) overlaps [0x9fc00, 0x100000), which is not "
	  "RAM for the guest (EBDA, VGA, BIOS ROM and ACPI tables; the memory map reserves it)" },
	{ "overlapping segments", build_elf, overlapping_segments,
	  "ELF program header 3: segment [0x100800, 0x103800) overlaps" },
	{ "entry outside segments", build_elf, entry_outside,
	  "ELF entry point 0x500000 lies outside every loaded segment" },
	{ "entry in bss", build_elf, entry_in_bss, "lies outside every loaded segment" },
	{ "no PT_LOAD", build_elf, no_load_segment, "no non-empty PT_LOAD segment" },
	{ "too many segments", build_elf, too_many_segments,
	  "more than 16 non-empty PT_LOAD segments" },
	{ "kludge load_end < load", build_aout, aout_load_end_below_load,
	  "a.out kludge: load_end_addr 0xff000 is below load_addr 0x100000" },
	{ "kludge header_addr < load", build_aout, aout_header_below_load,
	  "a.out kludge: header_addr 0xff000 is below load_addr 0x100000" },
	{ "kludge header_addr mismatch", build_aout, aout_header_addr_mismatch,
	  "a.out kludge: header_addr 0x100080 does not match the header's file offset 0x40" },
	{ "kludge load beyond file", build_aout, aout_load_beyond_file,
	  "needs file bytes [0x0, 0x5000), beyond the file (size 0x4000)" },
	{ "kludge bss_end < load_end", build_aout, aout_bss_below_load_end,
	  "a.out kludge: bss_end_addr 0x101000 is below the end of the loaded image 0x102000" },
	{ "kludge beyond RAM", build_aout, aout_beyond_ram,
	  "a.out kludge: segment [0x3ff000, 0x401000) does not fit in guest RAM" },
	{ "kludge bss beyond RAM", build_aout, aout_bss_beyond_ram,
	  "does not fit in guest RAM" },
	{ "kludge entry outside", build_aout, aout_entry_outside,
	  "a.out kludge: entry point 0x103000 lies outside every loaded segment" },
	{ "kludge fields beyond file", build_aout, aout_fields_beyond_file,
	  "end beyond the file" },
	{ "kludge fields beyond 8 KiB", build_aout, aout_fields_beyond_8k,
	  "end beyond the first 8192 bytes" },
};

static void test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(malformed_cases); i++) {
		const struct malformed_case *c = &malformed_cases[i];
		static struct test_image t;
		struct multiboot_image plan;
		uint8_t *copy;
		char err[256] = "";

		c->build(&t);
		c->mutate(&t);
		/* An exact-size heap copy: AddressSanitizer catches any read past the end. */
		copy = malloc(t.size ? t.size : 1);
		assert_non_null(copy);
		memcpy(copy, t.bytes, t.size);
		if (multiboot_parse(copy, t.size, t.ram_bytes, &plan, err, sizeof(err)) != -1)
			fail_msg("%s: accepted", c->name);
		if (strstr(err, c->want) == NULL)
			fail_msg("%s: message \"%s\" lacks \"%s\"", c->name, err, c->want);
		free(copy);
	}
}

static void test_error_buffer_small(void **state)
{
	static struct test_image t;
	struct multiboot_image plan;
	char err[8];

	(void)state;
	build_elf(&t);
	elf64(&t);
	memset(err, 'x', sizeof(err));
	assert_int_equal(multiboot_parse(t.bytes, t.size, t.ram_bytes, &plan, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "ELF64 i");
	assert_int_equal(multiboot_parse(t.bytes, t.size, t.ram_bytes, &plan, NULL, 0), -1);
}

/* ---------------------------------------------------------------------------------------- */
/* Boot information                                                                         */

static struct multiboot_info read_info(const uint8_t *ram, uint32_t gpa)
{
	struct multiboot_info info;

	memcpy(&info, ram + gpa, sizeof(info));
	return info;
}

static void test_build_info(void **state)
{
	struct multiboot_image plan = { .load_end = 0x104321 };
	uint8_t *ram = new_ram(RAM_BYTES);
	uint32_t gpa = 0;
	char err[256] = "";
	struct multiboot_info info;
	struct multiboot_mmap_entry e[4];

	(void)state;
	if (multiboot_build_info(ram, RAM_BYTES, &plan, "hello vmcall", &gpa, err,
				 sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_int_equal(gpa, 0x105000);              /* page-aligned after load_end */
	assert_all_bytes(ram + 0x104321, 0x105000 - 0x104321, RAM_FILL);

	info = read_info(ram, gpa);
	assert_int_equal(info.flags, MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE |
					     MULTIBOOT_INFO_MEM_MAP |
					     MULTIBOOT_INFO_BOOT_LOADER_NAME);
	assert_int_equal(info.mem_lower, 639);
	assert_int_equal(info.mem_upper, (RAM_BYTES - MIB) / 1024);
	assert_int_equal(info.mods_count, 0);
	assert_int_equal(info.boot_device, 0);
	assert_true(info.cmdline > gpa && info.cmdline < RAM_BYTES);
	assert_string_equal((const char *)ram + info.cmdline, "hello vmcall");
	assert_true(info.boot_loader_name > gpa && info.boot_loader_name < RAM_BYTES);
	assert_string_equal((const char *)ram + info.boot_loader_name, "apicvisor");

	assert_int_equal(info.mmap_length, 4 * sizeof(struct multiboot_mmap_entry));
	assert_true(info.mmap_addr >= gpa + sizeof(info));
	memcpy(e, ram + info.mmap_addr, sizeof(e));
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(e[i].size, 20);
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].len, 0x9fc00);
	assert_int_equal(e[0].type, 1);
	assert_int_equal(e[1].addr, 0x9fc00);
	assert_int_equal(e[1].len, 0x400);
	assert_int_equal(e[1].type, 2);
	assert_int_equal(e[2].addr, 0xf0000);
	assert_int_equal(e[2].len, 0x10000);
	assert_int_equal(e[2].type, 2);
	assert_int_equal(e[3].addr, 0x100000);
	assert_int_equal(e[3].len, RAM_BYTES - MIB);
	assert_int_equal(e[3].type, 1);

	/* The pieces do not overlap: the info, then the map, then the strings. */
	assert_true(info.mmap_addr + info.mmap_length <= info.cmdline);
	assert_true(info.cmdline + strlen("hello vmcall") + 1 <= info.boot_loader_name);
	free(ram);
}

static void test_build_info_aligned_end_and_null_cmdline(void **state)
{
	struct multiboot_image plan = { .load_end = 0x200000 };
	uint8_t *ram = new_ram(RAM_BYTES);
	uint32_t gpa = 0;
	char err[256] = "";
	struct multiboot_info info;

	(void)state;
	assert_int_equal(multiboot_build_info(ram, RAM_BYTES, &plan, NULL, &gpa, err, sizeof(err)),
			 0);
	assert_int_equal(gpa, 0x200000);
	info = read_info(ram, gpa);
	assert_string_equal((const char *)ram + info.cmdline, "");
	free(ram);
}

static void test_build_info_low_kernel(void **state)
{
	/* A kernel ending below 640 KiB: the structures would run into the reserved EBDA, so
	 * they go to 1 MiB. */
	struct multiboot_image plan = { .load_end = 0x9f100 };
	uint8_t *ram = new_ram(RAM_BYTES);
	uint32_t gpa = 0;
	char err[256] = "";

	(void)state;
	assert_int_equal(multiboot_build_info(ram, RAM_BYTES, &plan, "x", &gpa, err, sizeof(err)),
			 0);
	assert_int_equal(gpa, 0x100000);

	/* One that leaves room below the EBDA keeps its place after the kernel. */
	plan.load_end = 0x10000;
	assert_int_equal(multiboot_build_info(ram, RAM_BYTES, &plan, "x", &gpa, err, sizeof(err)),
			 0);
	assert_int_equal(gpa, 0x10000);
	free(ram);
}

static void test_build_info_too_small(void **state)
{
	struct multiboot_image plan = { .load_end = 0x101000 };
	uint8_t *ram = new_ram(RAM_BYTES);
	uint32_t gpa = 0x12345678;
	char err[256] = "";

	(void)state;
	/* RAM of 1 MiB has nothing above 1 MiB to report. */
	assert_int_equal(multiboot_build_info(ram, MIB, &plan, "", &gpa, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too small"));
	assert_int_equal(gpa, 0x12345678);

	/* The kernel fills RAM up to its last page: no room for the boot information. */
	plan.load_end = 2 * MIB - 0x10;
	assert_int_equal(multiboot_build_info(ram, 2 * MIB, &plan, "", &gpa, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "multiboot boot information [0x200000, "));
	assert_non_null(strstr(err, "does not fit in guest RAM (0x200000 bytes)"));

	/* A long command line that does not fit in the last page. */
	char cmdline[5000];

	memset(cmdline, 'c', sizeof(cmdline) - 1);
	cmdline[sizeof(cmdline) - 1] = '\0';
	plan.load_end = 2 * MIB - 0x1000;
	assert_int_equal(multiboot_build_info(ram, 2 * MIB, &plan, cmdline, &gpa, err,
					      sizeof(err)),
			 -1);
	assert_int_equal(multiboot_build_info(ram, 2 * MIB, &plan, "short", &gpa, err,
					      sizeof(err)),
			 0);
	assert_int_equal(gpa, 2 * MIB - 0x1000);
	free(ram);
}

static void test_parse_load_and_info_together(void **state)
{
	static struct test_image t;
	struct multiboot_image plan;
	uint8_t *ram = new_ram(RAM_BYTES);
	uint32_t gpa;
	char err[256] = "";

	(void)state;
	build_elf(&t);
	assert_int_equal(multiboot_parse(t.bytes, t.size, t.ram_bytes, &plan, err, sizeof(err)), 0);
	multiboot_load(t.bytes, &plan, ram);
	assert_int_equal(multiboot_build_info(ram, RAM_BYTES, &plan, "a", &gpa, err, sizeof(err)),
			 0);
	assert_int_equal(gpa, 0x105000);
	/* The kernel's bytes are intact after the info was written. */
	assert_memory_equal(ram + 0x100000, t.bytes + 0x1000, 0x1000);
	assert_all_bytes(ram + 0x102800, 0x2800, 0);
	free(ram);
}

/* ---------------------------------------------------------------------------------------- */
/* Boot modules                                                                             */

/* Module i's bytes: a pattern that differs per module, so a swapped copy shows. */
static uint8_t *module_data(size_t size, unsigned index)
{
	uint8_t *data = malloc(size ? size : 1);

	assert_non_null(data);
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 13 + index * 71 + 5);
	return data;
}

#define MAX_TEST_MODULES 4

struct module_layout_case {
	const char *name;
	uint32_t load_end;
	unsigned count;
	size_t sizes[MAX_TEST_MODULES];
	uint32_t want_start[MAX_TEST_MODULES];
	uint32_t want_info;
};

static const struct module_layout_case module_layout_cases[] = {
	{ "after a kernel at 1 MiB", 0x104321, 4, { 0x1800, 0x1000, 0, 0x10 },
	  { 0x105000, 0x107000, 0x108000, 0x108000 }, 0x109000 },
	{ "kernel ending on a page boundary", 0x200000, 2, { 0x1000, 0x1001 },
	  { 0x200000, 0x201000 }, 0x203000 },
	{ "one module", 0x101000, 1, { 0x123 }, { 0x101000 }, 0x102000 },
	{ "low kernel, module fits below the EBDA", 0x10000, 1, { 0x2000 }, { 0x10000 },
	  0x12000 },
	{ "low kernel, module would run into the EBDA", 0x10000, 1, { 0x90000 }, { 0x100000 },
	  0x190000 },
	{ "low kernel, second module moves to 1 MiB", 0x10000, 2, { 0x80000, 0x20000 },
	  { 0x10000, 0x100000 }, 0x120000 },
	{ "module ends exactly at 0x9fc00", 0x9e000, 1, { 0x1c00 }, { 0x9e000 }, 0x100000 },
};

static const char *const module_strings[MAX_TEST_MODULES] = {
	"\\mod1.bin arg1", "\\mod2.bin", "\\empty.bin", NULL,
};

static void test_modules_layout(void **state)
{
	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(module_layout_cases); c++) {
		const struct module_layout_case *t = &module_layout_cases[c];
		struct multiboot_image plan = { .load_end = t->load_end };
		struct multiboot_module modules[MAX_TEST_MODULES];
		struct multiboot_mod_list list[MAX_TEST_MODULES];
		uint8_t *ram = new_ram(RAM_BYTES);
		struct multiboot_info info;
		uint32_t gpa = 0;
		char err[256] = "";

		for (unsigned i = 0; i < t->count; i++) {
			modules[i].data = module_data(t->sizes[i], i);
			modules[i].size = t->sizes[i];
			modules[i].string = module_strings[i];
		}
		if (multiboot_build_info_modules(ram, RAM_BYTES, &plan, "kernel args", modules,
						 t->count, &gpa, err, sizeof(err)) != 0)
			fail_msg("%s: unexpected error \"%s\"", t->name, err);
		if (gpa != t->want_info)
			fail_msg("%s: info at 0x%x, want 0x%x", t->name, gpa, t->want_info);
		info = read_info(ram, gpa);
		assert_true(info.flags & MULTIBOOT_INFO_MODS);
		assert_true(info.flags & MULTIBOOT_INFO_CMDLINE);
		assert_int_equal(info.mods_count, t->count);
		/* The list lies in the boot information, after the memory map, 4-byte aligned. */
		assert_int_equal(info.mods_addr % 4, 0);
		assert_true(info.mods_addr >= info.mmap_addr + info.mmap_length);
		assert_true(info.mods_addr + t->count * sizeof(list[0]) <= info.cmdline);
		memcpy(list, ram + info.mods_addr, t->count * sizeof(list[0]));
		assert_string_equal((const char *)ram + info.cmdline, "kernel args");
		assert_string_equal((const char *)ram + info.boot_loader_name, "apicvisor");

		for (unsigned i = 0; i < t->count; i++) {
			const char *want_string = module_strings[i] ? module_strings[i] : "";

			if (list[i].mod_start != t->want_start[i])
				fail_msg("%s: module %u at 0x%x, want 0x%x", t->name, i + 1,
					 list[i].mod_start, t->want_start[i]);
			assert_int_equal(list[i].mod_start % 4096, 0);
			assert_int_equal(list[i].mod_end, list[i].mod_start + t->sizes[i]);
			assert_int_equal(list[i].reserved, 0);
			assert_true(list[i].string >= info.cmdline && list[i].string < RAM_BYTES);
			assert_string_equal((const char *)ram + list[i].string, want_string);
			if (t->sizes[i] > 0)
				assert_memory_equal(ram + list[i].mod_start, modules[i].data,
						    t->sizes[i]);
			/* Modules neither overlap each other nor the boot information. */
			for (unsigned j = 0; j < i; j++)
				assert_true(list[j].mod_end <= list[i].mod_start ||
					    list[i].mod_end <= list[j].mod_start);
			assert_true(list[i].mod_end <= gpa);
			/* Low memory used only below the EBDA. */
			assert_true(list[i].mod_start >= 0x100000 || list[i].mod_end <= 0x9fc00);
		}
		/* Strings follow one another without overlapping (each NUL-terminated). */
		for (unsigned i = 1; i < t->count; i++)
			assert_true(list[i].string >
				    list[i - 1].string + strlen((const char *)ram + list[i - 1].string));
		/* Nothing written between the kernel's end and the first module, nor after the last
		 * byte of a module up to the next page. */
		if (t->count > 0) {
			assert_all_bytes(ram + t->load_end, list[0].mod_start - t->load_end, RAM_FILL);
			for (unsigned i = 0; i < t->count; i++) {
				uint32_t next = (list[i].mod_end + 4095) & ~4095u;

				if (next > list[i].mod_end && next <= RAM_BYTES &&
				    (i + 1 == t->count || list[i + 1].mod_start >= next) &&
				    next <= gpa)
					assert_all_bytes(ram + list[i].mod_end, next - list[i].mod_end,
							 RAM_FILL);
			}
		}
		for (unsigned i = 0; i < t->count; i++)
			free((void *)modules[i].data);
		free(ram);
	}
}

static void test_modules_none_same_as_build_info(void **state)
{
	struct multiboot_image plan = { .load_end = 0x104321 };
	uint8_t *a = new_ram(RAM_BYTES), *b = new_ram(RAM_BYTES);
	uint32_t gpa_a = 0, gpa_b = 0;
	struct multiboot_info info;
	char err[256] = "";

	(void)state;
	assert_int_equal(multiboot_build_info(a, RAM_BYTES, &plan, "x y", &gpa_a, err, sizeof(err)),
			 0);
	assert_int_equal(multiboot_build_info_modules(b, RAM_BYTES, &plan, "x y", NULL, 0, &gpa_b,
						      err, sizeof(err)),
			 0);
	assert_int_equal(gpa_a, gpa_b);
	assert_memory_equal(a, b, RAM_BYTES);
	info = read_info(a, gpa_a);
	assert_false(info.flags & MULTIBOOT_INFO_MODS);
	assert_int_equal(info.mods_count, 0);
	assert_int_equal(info.mods_addr, 0);
	free(a);
	free(b);
}

struct module_error_case {
	const char *name;
	uint64_t ram_bytes;
	uint32_t load_end;
	unsigned count;
	size_t sizes[2];
	bool no_list;
	const char *want;
};

static const struct module_error_case module_error_cases[] = {
	{ "module beyond RAM", 2 * MIB, 0x104000, 1, { 0x100000 }, false,
	  "multiboot module 1 ('\\big.bin a=1', 0x100000 bytes) at [0x104000, 0x204000) does not "
	  "fit in guest RAM (0x200000 bytes)" },
	{ "second module beyond RAM", 2 * MIB, 0x104000, 2, { 0x1000, 0xfb001 }, false,
	  "multiboot module 2 ('\\second.bin', 0xfb001 bytes) at [0x105000, 0x200001) does not "
	  "fit" },
	{ "module larger than RAM", 2 * MIB, 0x104000, 1, { SIZE_MAX }, false,
	  "multiboot module 1 ('\\big.bin a=1', 0xffffffffffffffff bytes)" },
	{ "module past 4 GiB", 8ull << 30, 0xffff0000u, 1, { 0x20000 }, false,
	  "at [0xffff0000, 0x100010000) does not fit in guest RAM (0x200000000 bytes) below 4 GiB" },
	{ "module ending at 4 GiB", 8ull << 30, 0xffff0000u, 1, { 0x10000 }, false,
	  "below 4 GiB" },
	{ "no room for the boot information after the modules", 2 * MIB, 0x104000, 1,
	  { 0xfc000 }, false, "multiboot boot information [0x200000, " },
	{ "modules without a list", 4 * MIB, 0x104000, 1, { 0x10 }, true,
	  "1 multiboot modules but no module list" },
	{ "RAM of 1 MiB", MIB, 0x80000, 1, { 0x10 }, false, "too small" },
};

static void test_modules_errors(void **state)
{
	static const char *const strings[2] = { "\\big.bin a=1", "\\second.bin" };
	uint8_t *small = module_data(0x200000, 9);
	uint8_t *ram = new_ram(RAM_BYTES);

	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(module_error_cases); c++) {
		const struct module_error_case *t = &module_error_cases[c];
		struct multiboot_image plan = { .load_end = t->load_end };
		struct multiboot_module modules[2];
		uint32_t gpa = 0x12345678;
		char err[256] = "";

		for (unsigned i = 0; i < t->count; i++) {
			/* The data is never read when the module does not fit. */
			modules[i].data = small;
			modules[i].size = t->sizes[i];
			modules[i].string = strings[i];
		}
		if (multiboot_build_info_modules(ram, t->ram_bytes, &plan, "", t->no_list ? NULL :
						 modules, t->count, &gpa, err, sizeof(err)) != -1)
			fail_msg("%s: accepted", t->name);
		if (strstr(err, t->want) == NULL)
			fail_msg("%s: message \"%s\" lacks \"%s\"", t->name, err, t->want);
		assert_int_equal(gpa, 0x12345678);
	}
	/* All or nothing: no refused call wrote guest RAM. */
	assert_all_bytes(ram, RAM_BYTES, RAM_FILL);

	/* The largest module that leaves exactly one page for the boot information fits. */
	struct multiboot_image plan = { .load_end = 0x104000 };
	struct multiboot_module one = { small, 0xfb000, "\\big.bin a=1" };
	uint32_t gpa = 0;
	char err[256] = "";

	if (multiboot_build_info_modules(ram, 2 * MIB, &plan, "", &one, 1, &gpa, err,
					 sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_int_equal(gpa, 0x1ff000);
	free(small);
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aout_loads),
		cmocka_unit_test(test_aout_whole_file_from_offset),
		cmocka_unit_test(test_elf_loads),
		cmocka_unit_test(test_elf_identity_entry),
		cmocka_unit_test(test_elf_sixteen_segments),
		cmocka_unit_test(test_elf_low_memory_edges),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_error_buffer_small),
		cmocka_unit_test(test_build_info),
		cmocka_unit_test(test_build_info_aligned_end_and_null_cmdline),
		cmocka_unit_test(test_build_info_low_kernel),
		cmocka_unit_test(test_build_info_too_small),
		cmocka_unit_test(test_parse_load_and_info_together),
		cmocka_unit_test(test_modules_layout),
		cmocka_unit_test(test_modules_none_same_as_build_info),
		cmocka_unit_test(test_modules_errors),
	};

	return cmocka_run_group_tests_name("multiboot", tests, NULL, NULL);
}
