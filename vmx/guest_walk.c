/* SPDX-License-Identifier: MIT */
/*
 * Guest page-table walker (see guest_walk.h for what it checks and what it leaves out).
 */
#include "guest_walk.h"

#include "../lib/fmt.h"

#define CR0_PG (1ull << 31)
#define CR0_WP (1ull << 16)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_SMEP (1ull << 20)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* Paging-structure entry flags (SDM Vol. 3A §5.3 "32-Bit Paging", §5.4 "PAE Paging",
 * §5.5 "4-Level Paging and 5-Level Paging"). */
#define ENTRY_P (1ull << 0)
#define ENTRY_RW (1ull << 1)
#define ENTRY_US (1ull << 2)
#define ENTRY_PS (1ull << 7)
#define ENTRY_XD (1ull << 63)
/* Bits 51:12: the address of the next table or page in 64-bit entries (and in CR3). */
#define ENTRY_ADDRESS_MASK 0x000FFFFFFFFFF000ull
/* PAE PDPTE reserved bits: 2:1, 8:5 (PS among them) and 63 (SDM Vol. 3A §5.4.1 "PDPTE
 * Registers", table "Format of a PAE Page-Directory-Pointer-Table Entry (PDPTE)"). */
#define PAE_PDPTE_RESERVED ((3ull << 1) | (0xFull << 5) | (1ull << 63))

#define PF_ERROR_P (1u << 0)
#define PF_ERROR_W (1u << 1)
#define PF_ERROR_U (1u << 2)
#define PF_ERROR_RSVD (1u << 3)
#define PF_ERROR_ID (1u << 4)

#define PAGE_SIZE 4096ull
#define MIB(n) ((uint64_t)(n) << 20)

enum guest_paging_mode guest_paging_mode(const struct guest_paging *paging)
{
	if (!(paging->cr0 & CR0_PG))
		return GUEST_PAGING_NONE;
	if (!(paging->cr4 & CR4_PAE))
		return GUEST_PAGING_32BIT;
	if (!(paging->efer & EFER_LMA))
		return GUEST_PAGING_PAE;
	if (paging->cr4 & CR4_LA57)
		return GUEST_PAGING_5LEVEL;
	return GUEST_PAGING_4LEVEL;
}

/* One walk in progress: what it translates and where a fault is reported. */
struct walk {
	const struct guest_paging *paging;
	enum guest_paging_mode mode;
	uint64_t linear;
	bool fetch;
	bool write;              /* data write (guest_walk_data) */
	bool user;               /* CPL 3 access (guest_walk_data) */
	struct guest_walk_fault *fault;
};

static int walk_fault(const struct walk *w, enum guest_walk_fault_reason reason, unsigned level,
		      uint64_t entry_gpa, uint64_t entry)
{
	struct guest_walk_fault *f = w->fault;
	uint32_t code = 0;

	if (!f)
		return -1;
	f->reason = reason;
	f->mode = w->mode;
	f->linear = w->linear;
	f->level = level;
	f->entry_gpa = entry_gpa;
	f->entry = entry;
	/* SDM Vol. 3A §5.7 "Page-Fault Exceptions": P is 0 for a non-present page, 1 for a
	 * protection violation (reserved bits count as one); I/D "is 1 if (1) the access causing
	 * the page-fault exception was an instruction fetch; and (2) either (a) CR4.SMEP = 1; or
	 * (b) both (i) CR4.PAE = 1 ...; and (ii) IA32_EFER.NXE = 1". */
	if (reason == GUEST_WALK_RESERVED_BIT)
		code |= PF_ERROR_P | PF_ERROR_RSVD;
	else if (reason == GUEST_WALK_NO_EXECUTE || reason == GUEST_WALK_PROTECTION)
		code |= PF_ERROR_P;
	/* W/R "0: the access causing the fault was a read; 1: a write"; U/S "0: a supervisor-mode
	 * access; 1: a user-mode access" (the same section). */
	if (w->write)
		code |= PF_ERROR_W;
	if (w->user)
		code |= PF_ERROR_U;
	if (reason == GUEST_WALK_NOT_PRESENT || reason == GUEST_WALK_RESERVED_BIT ||
	    reason == GUEST_WALK_NO_EXECUTE || reason == GUEST_WALK_PROTECTION) {
		const struct guest_paging *p = w->paging;

		if (w->fetch && ((p->cr4 & CR4_SMEP) ||
				 ((p->cr4 & CR4_PAE) && (p->efer & EFER_NXE))))
			code |= PF_ERROR_ID;
	}
	f->page_fault_error_code = code;
	return -1;
}

/* The access rights of a data access through a translation whose entries' R/W and U/S flags,
 * ANDed over every level, are `writable` and `user_page` (SDM Vol. 3A §5.6 "Access Rights"): a
 * user-mode access needs U/S = 1; a user-mode write needs R/W = 1; a supervisor write to a
 * read-only page faults only with CR0.WP = 1. Not checked: SMAP (supervisor access to a user
 * page with CR4.SMAP = 1) and protection keys. */
static bool data_access_allowed(const struct walk *w, bool writable, bool user_page)
{
	if (w->fetch)
		return true;
	if (w->user && !user_page)
		return false;
	if (w->write && !writable && (w->user || (w->paging->cr0 & CR0_WP)))
		return false;
	return true;
}

/* Reads a little-endian entry of `size` bytes (4 or 8) at gpa. */
static bool read_entry(const struct walk *w, uint64_t gpa, unsigned size, uint64_t *entry)
{
	uint8_t raw[8];
	uint64_t value = 0;

	if (!w->paging->read_gpa(w->paging->ctx, gpa, raw, size))
		return false;
	for (unsigned i = 0; i < size; i++)
		value |= (uint64_t)raw[i] << (8 * i);
	*entry = value;
	return true;
}

/* 32-bit paging (SDM Vol. 3A §5.3 "32-Bit Paging"): CR3 bits 31:12 locate the page directory,
 * indexed by linear bits 31:22; with CR4.PSE a PDE with PS=1 maps a 4 MiB page (address bits
 * 31:22 from PDE bits 31:22, bits 39:32 from PDE bits 20:13, bit 21 reserved), else the page
 * table it names is indexed by bits 21:12. No XD in this mode. */
static int walk_32bit(const struct walk *w, uint64_t *gpa)
{
	uint32_t linear = (uint32_t)w->linear;
	uint64_t pde_gpa = (w->paging->cr3 & 0xFFFFF000ull) + (uint64_t)(linear >> 22) * 4;
	uint64_t pde, pte_gpa, pte;

	if (!read_entry(w, pde_gpa, 4, &pde))
		return walk_fault(w, GUEST_WALK_READ_FAILED, 2, pde_gpa, 0);
	if (!(pde & ENTRY_P))
		return walk_fault(w, GUEST_WALK_NOT_PRESENT, 2, pde_gpa, pde);
	if ((pde & ENTRY_PS) && (w->paging->cr4 & CR4_PSE)) {
		if (pde & (1ull << 21))
			return walk_fault(w, GUEST_WALK_RESERVED_BIT, 2, pde_gpa, pde);
		if (!data_access_allowed(w, pde & ENTRY_RW, pde & ENTRY_US))
			return walk_fault(w, GUEST_WALK_PROTECTION, 2, pde_gpa, pde);
		*gpa = (pde & 0xFFC00000ull) | (((pde >> 13) & 0xFF) << 32) |
		       (linear & (MIB(4) - 1));
		return 0;
	}
	pte_gpa = (pde & 0xFFFFF000ull) + (uint64_t)((linear >> 12) & 0x3FF) * 4;
	if (!read_entry(w, pte_gpa, 4, &pte))
		return walk_fault(w, GUEST_WALK_READ_FAILED, 1, pte_gpa, 0);
	if (!(pte & ENTRY_P))
		return walk_fault(w, GUEST_WALK_NOT_PRESENT, 1, pte_gpa, pte);
	if (!data_access_allowed(w, pde & pte & ENTRY_RW, pde & pte & ENTRY_US))
		return walk_fault(w, GUEST_WALK_PROTECTION, 1, pte_gpa, pte);
	*gpa = (pte & 0xFFFFF000ull) | (linear & 0xFFF);
	return 0;
}

/* The 8-byte-entry levels shared by PAE (from level 2) and 4-level paging (from level 4):
 * level L is indexed by linear bits (12 + 9L - 1):(12 + 9(L - 1)). PS=1 ends the walk at a
 * PDPTE (1 GiB page, 4-level only: PAE PDPTEs are handled by the caller) or a PDE (2 MiB);
 * PS in a PML4E is reserved. XD anywhere on the path forbids fetches when EFER.NXE=1 and is a
 * reserved bit when EFER.NXE=0 (SDM Vol. 3A §5.6 "Access Rights"). The XD fault is reported
 * only once the walk completes: a not-present entry further down takes precedence. */
static int walk_entries(const struct walk *w, unsigned level, uint64_t table, uint64_t *gpa)
{
	bool nxe = w->paging->efer & EFER_NXE;
	uint64_t rights = ENTRY_RW | ENTRY_US; /* ANDed over the levels walked */
	unsigned xd_level = 0;
	uint64_t xd_entry_gpa = 0, xd_entry = 0;

	for (;; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t entry_gpa = table + ((w->linear >> shift) & 511) * 8;
		uint64_t entry, page_size, leaf_reserved;

		if (!read_entry(w, entry_gpa, 8, &entry))
			return walk_fault(w, GUEST_WALK_READ_FAILED, level, entry_gpa, 0);
		if (!(entry & ENTRY_P))
			return walk_fault(w, GUEST_WALK_NOT_PRESENT, level, entry_gpa, entry);
		if ((entry & ENTRY_XD) && !nxe)
			return walk_fault(w, GUEST_WALK_RESERVED_BIT, level, entry_gpa, entry);
		if (level == 4 && (entry & ENTRY_PS))
			return walk_fault(w, GUEST_WALK_RESERVED_BIT, level, entry_gpa, entry);
		rights &= entry;
		if ((entry & ENTRY_XD) && xd_level == 0) {
			xd_level = level;
			xd_entry_gpa = entry_gpa;
			xd_entry = entry;
		}
		if (level == 1 || (entry & ENTRY_PS)) {
			page_size = 1ull << shift;
			/* Large pages: bits 12 (PAT) .. shift-1 hold no address; above PAT they are
			 * reserved (PDE bits 20:13, PDPTE bits 29:13). */
			leaf_reserved = level == 1 ? 0 : (page_size - 1) & ~0x1FFFull;
			if (entry & leaf_reserved)
				return walk_fault(w, GUEST_WALK_RESERVED_BIT, level, entry_gpa, entry);
			if (w->fetch && xd_level)
				return walk_fault(w, GUEST_WALK_NO_EXECUTE, xd_level, xd_entry_gpa,
						  xd_entry);
			if (!data_access_allowed(w, rights & ENTRY_RW, rights & ENTRY_US))
				return walk_fault(w, GUEST_WALK_PROTECTION, level, entry_gpa, entry);
			*gpa = (entry & ENTRY_ADDRESS_MASK & ~(page_size - 1)) |
			       (w->linear & (page_size - 1));
			return 0;
		}
		table = entry & ENTRY_ADDRESS_MASK;
	}
}

/* PAE paging (SDM Vol. 3A §5.4 "PAE Paging"): linear bits 31:30 select one of four PDPTEs,
 * from the PDPTE registers when the caller has them, else from the 32-byte PDPT at CR3 bits
 * 31:5; then page directory (bits 29:21) and page table (bits 20:12) with 8-byte entries. */
static int walk_pae(const struct walk *w, uint64_t *gpa)
{
	unsigned index = (unsigned)(w->linear >> 30) & 3;
	uint64_t pdpte_gpa = (w->paging->cr3 & 0xFFFFFFE0ull) + index * 8;
	uint64_t pdpte;

	if (w->paging->pae_pdptes)
		pdpte = w->paging->pae_pdptes[index];
	else if (!read_entry(w, pdpte_gpa, 8, &pdpte))
		return walk_fault(w, GUEST_WALK_READ_FAILED, 3, pdpte_gpa, 0);
	if (!(pdpte & ENTRY_P))
		return walk_fault(w, GUEST_WALK_NOT_PRESENT, 3, pdpte_gpa, pdpte);
	if (pdpte & PAE_PDPTE_RESERVED)
		return walk_fault(w, GUEST_WALK_RESERVED_BIT, 3, pdpte_gpa, pdpte);
	return walk_entries(w, 2, pdpte & ENTRY_ADDRESS_MASK, gpa);
}

static int walk_access(const struct guest_paging *paging, uint64_t linear, bool fetch, bool write,
		       bool user, uint64_t *gpa, struct guest_walk_fault *fault)
{
	struct walk w = {
		.paging = paging,
		.mode = guest_paging_mode(paging),
		.linear = linear,
		.fetch = fetch,
		.write = write,
		.user = user,
		.fault = fault,
	};
	uint64_t upper;

	switch (w.mode) {
	case GUEST_PAGING_NONE:
		/* Without paging there is no long mode: linear addresses are 32 bits. */
		*gpa = linear & 0xFFFFFFFFull;
		return 0;
	case GUEST_PAGING_32BIT:
		w.linear = linear & 0xFFFFFFFFull;
		return walk_32bit(&w, gpa);
	case GUEST_PAGING_PAE:
		w.linear = linear & 0xFFFFFFFFull;
		return walk_pae(&w, gpa);
	case GUEST_PAGING_4LEVEL:
		/* Canonical: bits 63:47 all equal (SDM Vol. 3A §5.5 "4-Level Paging and 5-Level
		 * Paging" translates bits 47:0 only). */
		upper = linear >> 47;
		if (upper != 0 && upper != 0x1FFFF)
			return walk_fault(&w, GUEST_WALK_NON_CANONICAL, 0, 0, 0);
		return walk_entries(&w, 4, paging->cr3 & ENTRY_ADDRESS_MASK, gpa);
	case GUEST_PAGING_5LEVEL:
	default:
		return walk_fault(&w, GUEST_WALK_UNSUPPORTED_MODE, 0, 0, 0);
	}
}

int guest_walk(const struct guest_paging *paging, uint64_t linear, bool fetch, uint64_t *gpa,
	       struct guest_walk_fault *fault)
{
	/* Supervisor reads and fetches: no right to check (guest_walk.h). */
	return walk_access(paging, linear, fetch, false, false, gpa, fault);
}

int guest_walk_data(const struct guest_paging *paging, uint64_t linear, bool write, bool user,
		    uint64_t *gpa, struct guest_walk_fault *fault)
{
	return walk_access(paging, linear, false, write, user, gpa, fault);
}

int guest_fetch_instruction(const struct guest_paging *paging, uint64_t rip_linear, uint8_t *buf,
			    size_t want, size_t *got, struct guest_walk_fault *fault)
{
	size_t done = 0;

	if (want > GUEST_FETCH_MAX_BYTES)
		want = GUEST_FETCH_MAX_BYTES;
	while (done < want) {
		uint64_t linear = rip_linear + done;
		uint64_t room = PAGE_SIZE - (linear & (PAGE_SIZE - 1));
		size_t chunk = want - done < room ? want - done : (size_t)room;
		uint64_t gpa;

		if (guest_walk(paging, linear, true, &gpa, fault))
			break;
		if (!paging->read_gpa(paging->ctx, gpa, buf + done, chunk)) {
			struct walk w = {
				.paging = paging,
				.mode = guest_paging_mode(paging),
				.linear = linear,
				.fetch = true,
				.fault = fault,
			};

			walk_fault(&w, GUEST_WALK_READ_FAILED, 0, gpa, 0);
			break;
		}
		done += chunk;
	}
	*got = done;
	return done > 0 ? 0 : -1;
}

static const char *level_name(enum guest_paging_mode mode, unsigned level)
{
	switch (level) {
	case 1: return "PTE";
	case 2: return "PDE";
	case 3: return "PDPTE";
	case 4: return mode == GUEST_PAGING_4LEVEL ? "PML4E" : "entry";
	default: return "entry";
	}
}

size_t guest_walk_describe_fault(const struct guest_walk_fault *fault, char *buf, size_t size)
{
	static const char *const what[] = {
		[GUEST_WALK_NOT_PRESENT] = "not present",
		[GUEST_WALK_RESERVED_BIT] = "sets a reserved bit",
		[GUEST_WALK_NO_EXECUTE] = "forbids instruction fetch (XD)",
		[GUEST_WALK_PROTECTION] = "forbids the access (R/W, U/S)",
		[GUEST_WALK_NON_CANONICAL] = "non-canonical",
		[GUEST_WALK_UNSUPPORTED_MODE] = "5-level paging (CR4.LA57) is not supported",
		[GUEST_WALK_READ_FAILED] = "not readable guest memory",
	};
	unsigned reason = fault->reason;
	const char *text = reason < ARRAY_SIZE(what) && what[reason] ? what[reason] : "unknown";
	unsigned long long linear = fault->linear;

	if (fault->level == 0) {
		if (fault->reason == GUEST_WALK_READ_FAILED)
			return fmt_snprintf(buf, size, "linear 0x%llx: GPA 0x%llx is %s", linear,
					    (unsigned long long)fault->entry_gpa, text);
		return fmt_snprintf(buf, size, "linear 0x%llx: %s", linear, text);
	}
	if (fault->reason == GUEST_WALK_READ_FAILED)
		return fmt_snprintf(buf, size, "linear 0x%llx: %s at GPA 0x%llx is %s", linear,
				    level_name(fault->mode, fault->level),
				    (unsigned long long)fault->entry_gpa, text);
	return fmt_snprintf(buf, size, "linear 0x%llx: %s at GPA 0x%llx = 0x%llx %s", linear,
			    level_name(fault->mode, fault->level),
			    (unsigned long long)fault->entry_gpa, (unsigned long long)fault->entry,
			    text);
}
