/* SPDX-License-Identifier: MIT */
/*
 * The few privileged instructions the test guest uses, as inline functions, and the registers
 * and bits it checks. The *_safe functions may fault: they return what they raised.
 */
#ifndef GUEST_CPU_H
#define GUEST_CPU_H

#include <stdint.h>

#include "idt.h"

/* CPUID leaves and bits (SDM Vol. 2A "CPUID—CPU Identification"). */
#define CPUID_LEAF_BASIC_MAX 0x0u                /* EAX: the highest basic leaf */
#define CPUID_LEAF_FEATURES 0x1u
#define CPUID_FEATURES_ECX_VMX (1u << 5)
#define CPUID_FEATURES_ECX_X2APIC (1u << 21)
#define CPUID_FEATURES_ECX_TSC_DEADLINE (1u << 24) /* the local APIC timer's TSC-deadline mode */
#define CPUID_FEATURES_ECX_HYPERVISOR (1u << 31) /* reserved by Intel and AMD for hypervisors */
#define CPUID_FEATURES_EDX_APIC (1u << 9)
#define CPUID_LEAF_PMU 0xAu                      /* architectural performance monitoring */
/* EAX, EBX: the TSC / core crystal clock ratio's denominator and numerator; ECX: the crystal's
 * frequency in Hz (0: not enumerated). */
#define CPUID_LEAF_TSC_CRYSTAL 0x15u
#define CPUID_LEAF_FREQUENCY 0x16u               /* EAX bits 15:0: base frequency in MHz */

/* MSRs (SDM Vol. 4 "Model-Specific Registers") and their bits. */
#define MSR_IA32_TSC 0x10u
#define MSR_IA32_TSC_ADJUST 0x3Bu
#define MSR_IA32_APIC_BASE 0x1Bu
#define MSR_IA32_TSC_DEADLINE 0x6E0u
#define MSR_IA32_EFER 0xC0000080u
#define EFER_LME (1u << 8)                       /* IA-32e mode enable */
#define EFER_LMA (1u << 10)                      /* IA-32e mode active */

#define CR4_VMXE (1u << 13)                      /* VMX enable */

struct cpu_cpuid_result {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpu_cpuid_result cpu_cpuid(uint32_t leaf)
{
	struct cpu_cpuid_result r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(0));
	return r;
}

static inline uint8_t cpu_inb(uint16_t port)
{
	uint8_t value;

	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

/* The "memory" clobbers keep the compiler from moving memory accesses across a device access. */
static inline void cpu_outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

static inline void cpu_outw(uint16_t port, uint16_t value)
{
	__asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

static inline void cpu_outl(uint16_t port, uint32_t value)
{
	__asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

static inline uint32_t cpu_inl(uint16_t port)
{
	uint32_t value;

	__asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port) : "memory");
	return value;
}

/*
 * RDTSC with LFENCE on both sides: the first keeps it from running before earlier instructions
 * finish, the second keeps later ones from starting before it has read the counter (SDM Vol. 2B
 * "RDTSC—Read Time-Stamp Counter"). kvm-unit-tests' x86/vmexit.c times exits the same way.
 */
static inline uint64_t cpu_rdtsc_fenced(void)
{
	uint32_t low, high;

	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(low), "=d"(high) : : "memory");
	return ((uint64_t)high << 32) | low;
}

/* RDMSR and WRMSR of MSRs the caller knows exist: a fault is a bug, and ends the run. */
static inline uint64_t cpu_rdmsr(uint32_t msr)
{
	uint32_t low, high;

	__asm__ volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(msr) : "memory");
	return ((uint64_t)high << 32) | low;
}

static inline void cpu_wrmsr(uint32_t msr, uint64_t value)
{
	__asm__ volatile("wrmsr"
			 : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
			 : "memory");
}

/* STI and CLI. After STI, interrupts stay inhibited until the instruction after it has run
 * (the "STI shadow", SDM Vol. 2B "STI—Set Interrupt Flag"): code that must take pending
 * interrupts at a known boundary writes the pair itself in asm. */
static inline void cpu_interrupts_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline void cpu_interrupts_disable(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline void cpu_mfence(void)
{
	__asm__ volatile("mfence" : : : "memory");
}

static inline uint64_t cpu_read_cr0(void)
{
	uint64_t value;

	__asm__ volatile("mov %%cr0, %0" : "=r"(value));
	return value;
}

static inline uint64_t cpu_read_cr3(void)
{
	uint64_t value;

	__asm__ volatile("mov %%cr3, %0" : "=r"(value));
	return value;
}

static inline uint64_t cpu_read_cr2(void)
{
	uint64_t value;

	__asm__ volatile("mov %%cr2, %0" : "=r"(value));
	return value;
}

static inline uint64_t cpu_read_cr4(void)
{
	uint64_t value;

	__asm__ volatile("mov %%cr4, %0" : "=r"(value));
	return value;
}

/* MOV to CR4 that may fault (#GP for a reserved or unsupported bit). */
static inline struct idt_exception_record cpu_write_cr4_safe(uint64_t value)
{
	idt_fixup_begin();
	__asm__ volatile(IDT_FIXUP_ASM("mov %0, %%cr4") : : "r"(value) : "memory");
	return idt_fixup_end();
}

/* RDMSR that may fault (#GP for an MSR the CPU does not have); *value is 0 after a fault. */
static inline struct idt_exception_record cpu_rdmsr_safe(uint32_t msr, uint64_t *value)
{
	/* RDMSR leaves EDX:EAX alone when it faults: these are what *value gets then. */
	uint32_t low = 0, high = 0;

	idt_fixup_begin();
	__asm__ volatile(IDT_FIXUP_ASM("rdmsr") : "+a"(low), "+d"(high) : "c"(msr) : "memory");
	*value = ((uint64_t)high << 32) | low;
	return idt_fixup_end();
}

/* UD2: #UD, a fault the CPU delivers itself. */
static inline struct idt_exception_record cpu_ud2_safe(void)
{
	idt_fixup_begin();
	__asm__ volatile(IDT_FIXUP_ASM("ud2") : : : "memory");
	return idt_fixup_end();
}

/* WRMSR that may fault (#GP for an MSR the CPU does not have or a value it refuses). */
static inline struct idt_exception_record cpu_wrmsr_safe(uint32_t msr, uint64_t value)
{
	idt_fixup_begin();
	__asm__ volatile(IDT_FIXUP_ASM("wrmsr")
			 : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
			 : "memory");
	return idt_fixup_end();
}

static inline uint16_t cpu_read_cs(void)
{
	uint16_t selector;

	__asm__ volatile("mov %%cs, %0" : "=r"(selector));
	return selector;
}

static inline void cpu_pause(void)
{
	__asm__ volatile("pause");
}

/* Busy-waits with interrupts off: nothing inside the guest can end it (a hypervisor's
 * watchdog can). */
static inline __attribute__((noreturn)) void cpu_spin_forever(void)
{
	__asm__ volatile("cli");
	for (;;)
		cpu_pause();
}

/* With IF = 0 nothing wakes the CPU: a hypervisor sees HLT with interrupts off and ends the
 * guest; the loop covers an NMI or SMI waking it anyway. */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

#endif
