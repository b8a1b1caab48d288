/* SPDX-License-Identifier: MIT */
#include "cpu.h"

#include "../include/apicvisor/host_vectors.h"
#include "../vmx/host_apic.h"
#include "console.h"
#include "x86.h"

/* Segment descriptors (SDM Vol. 3A §3.4.5 "Segment Descriptors"). */
#define DESC_CODE64 0x00AF9A000000FFFFull /* P, DPL0, code exec/read, L=1, G=1 */
#define DESC_DATA 0x00CF92000000FFFFull   /* P, DPL0, data read/write, D/B=1, G=1 */
#define TSS_TYPE_AVAILABLE 0x9ull

/* Interrupt gate (SDM Vol. 3A §7.14.1 "64-Bit Mode IDT"). */
struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

#define IDT_INTERRUPT_GATE 0x8E /* P, DPL0, 64-bit interrupt gate */
#define TRAP_STUB_SIZE 16
#define TRAP_VECTORS 32

extern const uint8_t trap_stubs[];
extern const uint8_t trap_nmi[];
extern const uint8_t trap_root_interrupt[];
extern const uint8_t trap_spurious[];

volatile uint64_t cpu_root_nmis;

static struct idt_gate idt[256] __attribute__((aligned(16)));

static const char *const exception_names[TRAP_VECTORS] = {
	[0] = "#DE divide error",   [1] = "#DB debug",
	[2] = "NMI",                [3] = "#BP breakpoint",
	[4] = "#OF overflow",       [5] = "#BR bound range",
	[6] = "#UD invalid opcode", [7] = "#NM device not available",
	[8] = "#DF double fault",   [10] = "#TS invalid TSS",
	[11] = "#NP segment not present", [12] = "#SS stack fault",
	[13] = "#GP general protection",  [14] = "#PF page fault",
	[16] = "#MF x87 error",     [17] = "#AC alignment check",
	[18] = "#MC machine check", [19] = "#XM SIMD exception",
	[20] = "#VE virtualization exception", [21] = "#CP control protection",
};

/* What boot/traps.asm pushed, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

void trap_report(const struct trap_frame *f);

/* The start of the loaded image (GNU-EFI's linker script): a RIP minus this is the address to
 * look up in build/apicvisor.so (objdump -d, addr2line -e). */
extern const uint8_t ImageBase[];

/* The words above the faulting frame's RSP, as far as they lie on this CPU's root-mode stack. */
static void print_stack(uint64_t rsp)
{
	const uint64_t *p = (const uint64_t *)(uintptr_t)rsp;

	if (rsp & 7)
		return;
	kprintf("  stack at %016llx:\n", (unsigned long long)rsp);
	for (unsigned i = 0; i < 16; i += 4)
		kprintf("    %016llx %016llx %016llx %016llx\n", (unsigned long long)p[i],
			(unsigned long long)p[i + 1], (unsigned long long)p[i + 2],
			(unsigned long long)p[i + 3]);
}

__attribute__((noreturn)) void trap_report(const struct trap_frame *f)
{
	const char *name = f->vector < TRAP_VECTORS && exception_names[f->vector]
				   ? exception_names[f->vector]
				   : "reserved vector";

	kprintf("\napicvisor: FATAL: root-mode exception %llu (%s), error code %#llx\n",
		(unsigned long long)f->vector, name, (unsigned long long)f->error_code);
	kprintf("  RIP %016llx (image offset %#llx) CS %04llx RFLAGS %016llx RSP %016llx SS %04llx\n",
		(unsigned long long)f->rip,
		(unsigned long long)(f->rip - (uint64_t)(uintptr_t)ImageBase),
		(unsigned long long)f->cs, (unsigned long long)f->rflags,
		(unsigned long long)f->rsp, (unsigned long long)f->ss);
	kprintf("  CR2 %016llx CR3 %016llx\n", (unsigned long long)read_cr2(),
		(unsigned long long)read_cr3());
	kprintf("  RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n",
		(unsigned long long)f->rax, (unsigned long long)f->rbx,
		(unsigned long long)f->rcx, (unsigned long long)f->rdx);
	kprintf("  RSI %016llx RDI %016llx RBP %016llx R8  %016llx\n",
		(unsigned long long)f->rsi, (unsigned long long)f->rdi,
		(unsigned long long)f->rbp, (unsigned long long)f->r8);
	kprintf("  R9  %016llx R10 %016llx R11 %016llx R12 %016llx\n",
		(unsigned long long)f->r9, (unsigned long long)f->r10,
		(unsigned long long)f->r11, (unsigned long long)f->r12);
	kprintf("  R13 %016llx R14 %016llx R15 %016llx\n", (unsigned long long)f->r13,
		(unsigned long long)f->r14, (unsigned long long)f->r15);
	print_stack(f->rsp);
	kprintf("apicvisor: powering off after a hypervisor fault\n");
	platform_power_off(false);
}

void cpu_root_interrupt(void);

void cpu_root_interrupt(void)
{
	host_apic_eoi();
}

static void set_gate(unsigned vector, const uint8_t *code, uint8_t ist)
{
	uint64_t handler = (uint64_t)(uintptr_t)code;
	struct idt_gate *g = &idt[vector];

	g->offset_low = (uint16_t)handler;
	g->selector = GDT_SELECTOR_CODE;
	g->ist = ist;
	g->type_attr = IDT_INTERRUPT_GATE;
	g->offset_mid = (uint16_t)(handler >> 16);
	g->offset_high = (uint32_t)(handler >> 32);
}

static void idt_init(void)
{
	/* Root mode runs with interrupts off except while a CPU waits halted for a kick: the
	 * vectors other CPUs send it are what it expects then; any other (an interrupt firmware
	 * left routed to this CPU) is acknowledged the same way rather than faulting, and the
	 * spurious vector needs no EOI. */
	for (unsigned v = TRAP_VECTORS; v < 256; v++)
		set_gate(v, trap_root_interrupt, 0);
	set_gate(HOST_VECTOR_SPURIOUS, trap_spurious, 0);
	for (unsigned v = 0; v < TRAP_VECTORS; v++) {
		/* An NMI in root mode is a platform event, not a hypervisor fault: its handler
		 * counts it and returns (the guest's NMIs exit instead, NMI exiting is on). */
		uint64_t handler = v == 2 ? (uint64_t)(uintptr_t)trap_nmi
					  : (uint64_t)(uintptr_t)(trap_stubs + v * TRAP_STUB_SIZE);
		struct idt_gate *g = &idt[v];

		g->offset_low = (uint16_t)handler;
		g->selector = GDT_SELECTOR_CODE;
		/* #DF, NMI and #MC can arrive with a broken stack: give them their own. */
		g->ist = (v == 2 || v == 8 || v == 18) ? 1 : 0;
		g->type_attr = IDT_INTERRUPT_GATE;
		g->offset_mid = (uint16_t)(handler >> 16);
		g->offset_high = (uint32_t)(handler >> 32);
	}
}

void cpu_init_percpu(struct percpu *cpu, unsigned id, void *stack, void *ist_stack)
{
	uint64_t tss = (uint64_t)(uintptr_t)&cpu->tss;

	memset(cpu, 0, sizeof(*cpu));
	cpu->id = id;
	cpu->stack_top = (uint8_t *)stack + ROOT_STACK_SIZE;
	cpu->ist_top = (uint8_t *)ist_stack + IST_STACK_SIZE;
	cpu->tss.ist[0] = (uint64_t)(uintptr_t)cpu->ist_top;
	cpu->tss.iomap_base = sizeof(struct tss64); /* no I/O permission bitmap */

	cpu->gdt[0] = 0;
	cpu->gdt[1] = DESC_CODE64;
	cpu->gdt[2] = DESC_DATA;
	/* 16-byte TSS descriptor (SDM Vol. 3A §8.2.3 "TSS Descriptor in 64-bit mode"). */
	cpu->gdt[3] = (sizeof(struct tss64) - 1) | (tss & 0xFFFFFF) << 16 |
		      TSS_TYPE_AVAILABLE << 40 | 1ull << 47 | ((tss >> 24) & 0xFF) << 56;
	cpu->gdt[4] = tss >> 32;
	if (id == 0)
		idt_init();
}

void cpu_idtr(struct descriptor_table_register *idtr)
{
	idtr->limit = sizeof(idt) - 1;
	idtr->base = (uint64_t)(uintptr_t)idt;
}

void cpu_load_tables(struct percpu *cpu)
{
	struct descriptor_table_register gdtr = {
		.limit = sizeof(cpu->gdt) - 1,
		.base = (uint64_t)(uintptr_t)cpu->gdt,
	};
	struct descriptor_table_register idtr;

	cpu_idtr(&idtr);
	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	/* Reload CS with a far return, then the data segments and TR. */
	__asm__ volatile("pushq %[cs]\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w[ds], %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "movw %%ax, %%fs\n\t"
			 "movw %%ax, %%gs\n\t"
			 "ltr %w[tr]"
			 :
			 : [cs] "i"(GDT_SELECTOR_CODE), [ds] "r"((uint16_t)GDT_SELECTOR_DATA),
			   [tr] "r"((uint16_t)GDT_SELECTOR_TSS)
			 : "rax", "memory");
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

#define PAGE_SIZE 4096ull
#define PTE_PRESENT (1ull << 0)
#define PTE_WRITABLE (1ull << 1)
#define PTE_LARGE (1ull << 7)
#define GIB (1ull << 30)

size_t cpu_identity_map_pages(uint64_t top)
{
	uint64_t gibs = (top + GIB - 1) / GIB;

	return 1 + (gibs + 511) / 512 + gibs;
}

uint64_t cpu_build_identity_map(void *pages, uint64_t top)
{
	uint64_t gibs = (top + GIB - 1) / GIB;
	uint64_t pdpt_count = (gibs + 511) / 512;
	uint64_t *pml4 = pages;
	uint64_t *pdpts = pml4 + 512;
	uint64_t *pds = pdpts + 512 * pdpt_count;

	memset(pages, 0, cpu_identity_map_pages(top) * PAGE_SIZE);
	for (uint64_t p = 0; p < pdpt_count; p++)
		pml4[p] = (uint64_t)(uintptr_t)(pdpts + 512 * p) | PTE_PRESENT | PTE_WRITABLE;
	for (uint64_t g = 0; g < gibs; g++) {
		pdpts[g] = (uint64_t)(uintptr_t)(pds + 512 * g) | PTE_PRESENT | PTE_WRITABLE;
		/* Caching comes from the MTRRs the firmware set (UC for MMIO) with PAT entry 0 (WB):
		 * the same memory types the firmware's own map gives. */
		for (uint64_t m = 0; m < 512; m++)
			pds[512 * g + m] = (g * GIB + m * (2ull << 20)) | PTE_PRESENT | PTE_WRITABLE |
					   PTE_LARGE;
	}
	return (uint64_t)(uintptr_t)pml4;
}

void cpu_run_on_stack(void *stack_top, void (*fn)(void *), void *arg)
{
	__asm__ volatile("movq %0, %%rsp\n\t"
			 "xorl %%ebp, %%ebp\n\t"
			 "callq *%1\n\t"
			 "ud2"
			 :
			 : "r"(stack_top), "r"(fn), "D"(arg)
			 : "memory");
	__builtin_unreachable();
}
