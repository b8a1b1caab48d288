/* SPDX-License-Identifier: MIT */
/*
 * Translating a guest linear address (CS.base + RIP) to a guest-physical address by walking
 * the guest's own page tables, so the MMIO exit handler can fetch the instruction bytes that
 * x86_decode_mmio needs (SDM Vol. 3A chapter 5 "Paging"; in editions before 2024 the same
 * sections are chapter 4 with the same titles).
 *
 * Paging modes (SDM Vol. 3A §5.1.1 "Four Paging Modes"): none (CR0.PG=0), 32-bit (CR4.PAE=0),
 * PAE (CR4.PAE=1, EFER.LMA=0), 4-level (EFER.LMA=1, CR4.LA57=0). 5-level paging (CR4.LA57=1) is
 * recognised and refused (GUEST_WALK_UNSUPPORTED_MODE): the hypervisor does not offer LA57.
 *
 * Checks made, and only these:
 *   - the P flag of every entry (GUEST_WALK_NOT_PRESENT, with the level);
 *   - reserved bits that do not depend on MAXPHYADDR: PS in a PML4E; bit 63 (XD) with
 *     EFER.NXE=0 in PAE and 4-level entries; bits 2:1, 8:5, 63 of a PAE PDPTE; bits 20:13 of a
 *     2 MiB PDE, 29:13 of a 1 GiB PDPTE, bit 21 of a 32-bit 4 MiB PDE (GUEST_WALK_RESERVED_BIT).
 *     Bits at or above MAXPHYADDR are not checked: the walker does not know it, and the
 *     guest's own fetch of these bytes already passed the processor's checks;
 *   - XD (bit 63) on any level for fetches when EFER.NXE=1 (GUEST_WALK_NO_EXECUTE);
 *   - canonical form of the address in 4-level paging (GUEST_WALK_NON_CANONICAL).
 *   - for data accesses through guest_walk_data only: R/W and U/S on every level with CR0.WP
 *     (GUEST_WALK_PROTECTION), SDM Vol. 3A §5.6 "Access Rights".
 * Not checked: SMEP/SMAP, protection keys; guest_walk's accesses (supervisor reads of bytes
 * the guest just executed) check no rights; accessed/dirty flags are never set.
 * 32-bit paging honours CR4.PSE 4 MiB pages including their PSE-36 bits (PDE bits 20:13 as
 * physical-address bits 39:32), without checking them against MAXPHYADDR.
 *
 * Plain C: the walker reads guest memory only through the read_gpa callback, which must refuse
 * (return false) any range it cannot back; guest page tables are guest-controlled data.
 */
#ifndef APICVISOR_GUEST_WALK_H
#define APICVISOR_GUEST_WALK_H

#include "../lib/klib.h"

/* The guest's control registers at the exit, and how to read its memory. */
struct guest_paging {
	uint64_t cr0;
	uint64_t cr3;
	uint64_t cr4;
	uint64_t efer;
	/* Optional: the four PAE PDPTEs the processor uses (the VMCS guest PDPTE fields with EPT:
	 * "the PDPTE registers", SDM Vol. 3A §5.4.1 "PDPTE Registers"), which may differ from
	 * memory if the guest changed its PDPT without reloading CR3. NULL: read them from
	 * memory at CR3 bits 31:5. */
	const uint64_t *pae_pdptes;
	/* Copies len bytes of guest-physical memory at gpa into buf; false when any part of the
	 * range is not guest RAM. */
	bool (*read_gpa)(void *ctx, uint64_t gpa, void *buf, size_t len);
	void *ctx;
};

enum guest_paging_mode {
	GUEST_PAGING_NONE,
	GUEST_PAGING_32BIT,
	GUEST_PAGING_PAE,
	GUEST_PAGING_4LEVEL,
	GUEST_PAGING_5LEVEL,       /* recognised, not walked */
};

enum guest_walk_fault_reason {
	GUEST_WALK_NOT_PRESENT,       /* an entry's P flag is 0 */
	GUEST_WALK_RESERVED_BIT,      /* an entry sets a reserved bit (list above) */
	GUEST_WALK_NO_EXECUTE,        /* fetch through an entry with XD=1, EFER.NXE=1 */
	GUEST_WALK_PROTECTION,        /* guest_walk_data: R/W or U/S forbid the access */
	GUEST_WALK_NON_CANONICAL,     /* 4-level: bits 63:47 are not all equal (#GP, not #PF) */
	GUEST_WALK_UNSUPPORTED_MODE,  /* 5-level paging */
	GUEST_WALK_READ_FAILED,       /* read_gpa refused an entry (level > 0) or the bytes */
};

/* Why a translation failed. */
struct guest_walk_fault {
	enum guest_walk_fault_reason reason;
	enum guest_paging_mode mode;
	uint64_t linear;
	/* The paging-structure level of the entry concerned: 4 PML4E, 3 PDPTE, 2 PDE, 1 PTE
	 * (32-bit paging: 2 PDE, 1 PTE). 0 when no entry is concerned (non-canonical address,
	 * unsupported mode, or a failed read of the bytes themselves). */
	unsigned level;
	uint64_t entry_gpa;           /* where that entry is (level 0 read failure: the data GPA) */
	uint64_t entry;               /* its value; 0 when it could not be read */
	/* The #PF error code the processor would report (SDM Vol. 3A §5.7 "Page-Fault
	 * Exceptions"): P (bit 0) for reserved-bit, XD and protection faults, W/R (bit 1) for a
	 * write and U/S (bit 2) for a user-mode access (guest_walk_data), RSVD (bit 3), I/D (bit
	 * 4) for fetches when CR4.SMEP=1 or (CR4.PAE=1 and EFER.NXE=1). 0 for reasons that are not
	 * page faults. */
	uint32_t page_fault_error_code;
};

/* The paging mode the control registers select. */
enum guest_paging_mode guest_paging_mode(const struct guest_paging *paging);

/* Translates `linear` (truncated to 32 bits outside 4-level paging) for a read, or for an
 * instruction fetch when `fetch` (only that makes XD matter). Returns 0 with *gpa, or -1 with
 * *fault filled (fault may be NULL). */
int guest_walk(const struct guest_paging *paging, uint64_t linear, bool fetch, uint64_t *gpa,
	       struct guest_walk_fault *fault);

/* Translates `linear` for a data read or write (`write`) made at CPL 3 (`user`) or below, with
 * the access rights checked as the processor checks them (see the list above); the other
 * checks as guest_walk's. Returns 0 with *gpa, or -1 with *fault filled (fault may be NULL). */
int guest_walk_data(const struct guest_paging *paging, uint64_t linear, bool write, bool user,
		    uint64_t *gpa, struct guest_walk_fault *fault);

/* Most bytes guest_fetch_instruction reads: the longest instruction. */
#define GUEST_FETCH_MAX_BYTES 15

/* Reads up to `want` (at most GUEST_FETCH_MAX_BYTES) instruction bytes starting at linear
 * address rip_linear into buf, walking each 4 KiB page separately: an instruction may straddle
 * two pages mapped to unrelated guest-physical pages. Stops at the first byte that does not
 * translate (or whose read fails): *got says how many bytes were read, and when *got < want,
 * *fault (if not NULL) says why. Returns 0 when at least one byte was read, -1 when none was.
 * A short fetch is not an error in itself: the instruction may end before the missing bytes,
 * which x86_decode_mmio finds out (it reports "truncated" only when it needs them). */
int guest_fetch_instruction(const struct guest_paging *paging, uint64_t rip_linear, uint8_t *buf,
			    size_t want, size_t *got, struct guest_walk_fault *fault);

/* One line describing a fault ("linear 0x...: PDE at GPA 0x... = 0x... not present"), for the
 * exit handler's stop message; snprintf semantics. */
size_t guest_walk_describe_fault(const struct guest_walk_fault *fault, char *buf, size_t size);

#endif
