/* SPDX-License-Identifier: MIT */
/*
 * The few privileged instructions the test guest uses, as inline functions.
 */
#ifndef GUEST_CPU_H
#define GUEST_CPU_H

#include <stdint.h>

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

static inline void cpu_outl(uint16_t port, uint32_t value)
{
	__asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
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

static inline uint64_t cpu_read_cr2(void)
{
	uint64_t value;

	__asm__ volatile("mov %%cr2, %0" : "=r"(value));
	return value;
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

/* With IF = 0 nothing wakes the CPU: a hypervisor sees HLT with interrupts off and ends the
 * guest; the loop covers an NMI or SMI waking it anyway. */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

#endif
