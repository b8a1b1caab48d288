/* SPDX-License-Identifier: MIT */
/*
 * Root-mode CPU state the hypervisor owns after ExitBootServices: a GDT with a 64-bit TSS per
 * CPU, one IDT whose handlers report and power off, identity page tables, stacks.
 */
#ifndef APICVISOR_CPU_H
#define APICVISOR_CPU_H

#include "../lib/klib.h"

#define GDT_SELECTOR_CODE 0x08
#define GDT_SELECTOR_DATA 0x10
#define GDT_SELECTOR_TSS 0x18

#define ROOT_STACK_SIZE (64 * 1024)
#define IST_STACK_SIZE (16 * 1024)

/* 64-bit TSS (SDM Vol. 3A §8.7 "Task Management in 64-bit Mode"). */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");

struct descriptor_table_register {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Per physical CPU. Index = the CPU's number in the order the hypervisor started them. */
struct percpu {
	uint64_t gdt[5] __attribute__((aligned(16))); /* null, code, data, TSS (two slots) */
	struct tss64 tss __attribute__((aligned(16)));
	uint8_t *stack_top;           /* root-mode stack after ExitBootServices */
	uint8_t *ist_top;             /* #DF, NMI and #MC run here */
	unsigned id;
};

/* The stacks come from firmware memory, allocated before ExitBootServices. */
void cpu_init_percpu(struct percpu *cpu, unsigned id, void *stack, void *ist_stack);
/* Loads this CPU's GDT, segments, TR and the shared IDT. */
void cpu_load_tables(struct percpu *cpu);

/* Identity page tables for [0, top): 2 MiB pages, PML4 + PDPTs + PDs in `pages` (count from
 * cpu_identity_map_pages()). Returns the CR3 value. */
size_t cpu_identity_map_pages(uint64_t top);
uint64_t cpu_build_identity_map(void *pages, uint64_t top);

/* Runs fn(arg) on a new stack; never returns. */
__attribute__((noreturn)) void cpu_run_on_stack(void *stack_top, void (*fn)(void *), void *arg);

/* Power off through the UEFI runtime service; never returns (halts if that fails). */
__attribute__((noreturn)) void platform_power_off(bool success);

/* The IDT layout (for the host state of the VMCS). */
void cpu_idtr(struct descriptor_table_register *idtr);

/* NMIs root mode took (boot/traps.asm's NMI handler counts them and returns). */
extern volatile uint64_t cpu_root_nmis;

#endif
