/* SPDX-License-Identifier: MIT */
/* Thin wrappers around x86 instructions used in root mode. */
#ifndef APICVISOR_X86_H
#define APICVISOR_X86_H

#include "../lib/klib.h"

#define CR0_PE (1ull << 0)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)

#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_VMXE (1ull << 13)
#define CR4_PCIDE (1ull << 17)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR4_PKE (1ull << 22)
/* CR4 bits whose features the guest's CPUID never shows (vmx/cpuid_policy.c): LA57 (12), SMXE
 * (14), KL (19, Key Locker), and everything from CET (23) up (PKS, UINTR, LAM_SUP, FRED ...).
 * A guest setting one gets #GP, as on a CPU without it. */
#define CR4_GUEST_RESERVED ((1ull << 12) | (1ull << 14) | (1ull << 19) | (~0ull << 23))

/* XCR0 state components (SDM Vol. 1 §13.1 "XSAVE-Supported Features and State-Component
 * Bitmaps"). */
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)

#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_RF (1ull << 16)

#define MSR_IA32_TSC 0x010u
#define MSR_IA32_TSC_ADJUST 0x03Bu
#define MSR_IA32_MCG_CAP 0x179u
#define MSR_IA32_MCG_STATUS 0x17Au
#define MSR_IA32_MC0_CTL 0x400u       /* MCi_CTL, STATUS, ADDR, MISC at 400H + 4i .. + 3 */
#define MSR_IA32_APIC_BASE 0x01Bu
#define MSR_IA32_SYSENTER_CS 0x174u
#define MSR_IA32_SYSENTER_ESP 0x175u
#define MSR_IA32_SYSENTER_EIP 0x176u
#define MSR_IA32_PAT 0x277u
#define MSR_IA32_TSC_DEADLINE 0x6E0u
#define MSR_IA32_EFER 0xC0000080u
#define MSR_IA32_FS_BASE 0xC0000100u
#define MSR_IA32_GS_BASE 0xC0000101u
#define MSR_IA32_STAR 0xC0000081u
#define MSR_IA32_LSTAR 0xC0000082u
#define MSR_IA32_CSTAR 0xC0000083u
#define MSR_IA32_FMASK 0xC0000084u
#define MSR_IA32_KERNEL_GS_BASE 0xC0000102u
#define MSR_IA32_TSC_AUX 0xC0000103u

#define APIC_BASE_X2APIC_ENABLE (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)

#ifdef APICVISOR_HOSTED
/* Host unit tests link a fake CPU instead (tests/unit/fake_cpu.c): each instruction below is a
 * function there that records what root mode did. */
uint8_t inb(uint16_t port);
void outb(uint16_t port, uint8_t v);
uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t v);
void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4]);
uint64_t rdtsc(void);
uint64_t read_cr0(void);
uint64_t read_cr2(void);
uint64_t read_cr3(void);
uint64_t read_cr4(void);
void write_cr0(uint64_t v);
void write_cr2(uint64_t v);
void write_cr3(uint64_t v);
void write_cr4(uint64_t v);
uint64_t xgetbv(uint32_t index);
void xsetbv(uint32_t index, uint64_t v);
void invvpid(uint64_t type, uint16_t vpid);
void invept(uint64_t type, uint64_t eptp);
void cpu_halt_forever(void);
#else
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(subleaf));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

#define DEFINE_CR_ACCESSORS(n)                                                   \
	static inline uint64_t read_cr##n(void)                                  \
	{                                                                        \
		uint64_t v;                                                      \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                \
		return v;                                                        \
	}                                                                        \
	static inline void write_cr##n(uint64_t v)                               \
	{                                                                        \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");       \
	}
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

static inline void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static inline uint64_t xgetbv(uint32_t index)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return (uint64_t)hi << 32 | lo;
}

static inline void xsetbv(uint32_t index, uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(index), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* INVVPID and INVEPT (SDM Vol. 3C §31.3): `type` is the invalidation type, the descriptor the
 * VPID or EPTP it applies to (ignored by the all-context types). */
static inline void invvpid(uint64_t type, uint16_t vpid)
{
	struct {
		uint64_t vpid, linear_address;
	} descriptor = { vpid, 0 };
	__asm__ volatile("invvpid %0, %1" : : "m"(descriptor), "r"(type) : "cc", "memory");
}

static inline void invept(uint64_t type, uint64_t eptp)
{
	struct {
		uint64_t eptp, reserved;
	} descriptor = { eptp, 0 };
	__asm__ volatile("invept %0, %1" : : "m"(descriptor), "r"(type) : "cc", "memory");
}
#endif /* APICVISOR_HOSTED */

#endif
