/* SPDX-License-Identifier: MIT */
/*
 * The machine the guest sees, as far as this build emulates it: CPUID filtered to what is
 * virtualized, a small set of MSRs, COM1 and QEMU's isa-debug-exit. Everything else answers as
 * an empty ISA bus (reads all ones) or, for MSRs, with #GP — counted, never a hypervisor fault.
 */
#include "../apicv/apic_exits.h"
#include "../boot/console.h"
#include "../boot/x86.h"
#include "../include/apicvisor/hypercall.h"
#include "exit.h"
#include "platform_irq.h"
#include "vmcs.h"

/* CPUID.1:ECX and EDX bits (SDM Vol. 2A "CPUID", Tables 3-10 and 3-11). */
#define CPUID1_ECX_MONITOR (1u << 3)
#define CPUID1_ECX_VMX (1u << 5)
#define CPUID1_ECX_SMX (1u << 6)
#define CPUID1_ECX_EST (1u << 7)
#define CPUID1_ECX_TM2 (1u << 8)
#define CPUID1_ECX_PDCM (1u << 15)
#define CPUID1_ECX_X2APIC (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_ECX_OSXSAVE (1u << 27)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID1_EDX_MCE (1u << 7)
#define CPUID1_EDX_APIC (1u << 9)
#define CPUID1_EDX_MTRR (1u << 12)
#define CPUID1_EDX_MCA (1u << 14)
#define CPUID1_EDX_ACPI (1u << 22)
#define CPUID1_EDX_HTT (1u << 28)
#define CPUID1_EDX_TM (1u << 29)
#define CPUID1_EDX_PBE (1u << 31)
/* CPUID.(EAX=7,ECX=0) */
#define CPUID7_EBX_SGX (1u << 2)
#define CPUID7_EBX_INVPCID (1u << 10)
#define CPUID7_EBX_RTM (1u << 11)
#define CPUID7_EBX_PQM (1u << 12)
#define CPUID7_EBX_PQE (1u << 15)
#define CPUID7_ECX_WAITPKG (1u << 5)
#define CPUID7_ECX_SGX_LC (1u << 30)
#define CPUID7_EDX_HYBRID (1u << 15)
#define CPUID7_EDX_IBRS_IBPB (1u << 26)
#define CPUID7_EDX_STIBP (1u << 27)
#define CPUID7_EDX_L1D_FLUSH (1u << 28)
#define CPUID7_EDX_ARCH_CAPABILITIES (1u << 29)
#define CPUID7_EDX_CORE_CAPABILITIES (1u << 30)
#define CPUID7_EDX_SSBD (1u << 31)
/* CPUID.80000001H:EDX */
#define CPUID_EXT1_EDX_RDTSCP (1u << 27)
/* CPUID.(EAX=0DH,ECX=1):EAX */
#define CPUIDD1_EAX_XSAVES (1u << 3)

/* The guest's view of CPUID (SDM Vol. 2A "CPUID"): the real values minus what is not
 * virtualized, so a guest never finds a feature whose MSRs or instructions would fault. */
void platform_cpuid(struct vcpu *v)
{
	uint32_t leaf = (uint32_t)v->gprs.rax;
	uint32_t subleaf = (uint32_t)v->gprs.rcx;
	uint32_t secondary = (uint32_t)vmcs_read(VMCS_SECONDARY_CONTROLS);
	uint32_t r[4] = { 0, 0, 0, 0 };

	if (leaf >= 0x40000000u && leaf <= 0x4FFFFFFFu) {
		/* The hypervisor range: apicvisor's signature at 0x40000000, nothing above. */
		if (leaf == APICVISOR_CPUID_LEAF) {
			r[0] = APICVISOR_CPUID_LEAF;
			r[1] = APICVISOR_CPUID_EBX;
			r[2] = APICVISOR_CPUID_ECX;
			r[3] = APICVISOR_CPUID_EDX;
		}
	} else {
		cpuid(leaf, subleaf, r);
	}

	switch (leaf) {
	case 0x1:
		/* EBX: initial APIC ID = vCPU number, one logical processor per package. */
		r[1] = (r[1] & 0x0000FFFFu) | (v->id << 24) | (1u << 16);
		r[2] &= ~(CPUID1_ECX_MONITOR | CPUID1_ECX_VMX | CPUID1_ECX_SMX | CPUID1_ECX_EST |
			  CPUID1_ECX_TM2 | CPUID1_ECX_PDCM | CPUID1_ECX_OSXSAVE);
		/* The vLAPIC has x2APIC mode and the TSC-deadline timer, whatever the host has. */
		r[2] |= CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE;
		/* OSXSAVE mirrors the guest's CR4.OSXSAVE, not the host's. */
		if (vcpu_guest_cr4() & CR4_OSXSAVE)
			r[2] |= CPUID1_ECX_OSXSAVE;
		r[2] |= CPUID1_ECX_HYPERVISOR;
		/* MTRRs and machine-check MSRs are not emulated. */
		r[3] &= ~(CPUID1_EDX_MCE | CPUID1_EDX_MTRR | CPUID1_EDX_MCA | CPUID1_EDX_ACPI |
			  CPUID1_EDX_HTT | CPUID1_EDX_TM | CPUID1_EDX_PBE);
		r[3] |= CPUID1_EDX_APIC;
		break;
	case 0x4:
		/* Deterministic cache parameters: one core, one thread per cache. */
		r[0] &= 0x00003FFFu;
		break;
	case 0x5: /* MONITOR/MWAIT: hidden */
	case 0x6: /* thermal and power management: not emulated */
	case 0xA: /* architectural performance monitoring: no PMU */
	case 0xB: /* extended topology: not enumerated (one vCPU) */
	case 0x12: /* SGX */
	case 0x1F: /* V2 extended topology */
		r[0] = r[1] = r[2] = r[3] = 0;
		break;
	case 0x7:
		if (subleaf == 0) {
			r[1] &= ~(CPUID7_EBX_SGX | CPUID7_EBX_RTM | CPUID7_EBX_PQM | CPUID7_EBX_PQE);
			if (!(secondary & PROC2_ENABLE_INVPCID))
				r[1] &= ~CPUID7_EBX_INVPCID;
			r[2] &= ~(CPUID7_ECX_WAITPKG | CPUID7_ECX_SGX_LC);
			r[3] &= ~(CPUID7_EDX_HYBRID | CPUID7_EDX_IBRS_IBPB | CPUID7_EDX_STIBP |
				  CPUID7_EDX_L1D_FLUSH | CPUID7_EDX_ARCH_CAPABILITIES |
				  CPUID7_EDX_CORE_CAPABILITIES | CPUID7_EDX_SSBD);
		}
		break;
	case 0xD:
		if (subleaf == 1 && !(secondary & PROC2_ENABLE_XSAVES))
			r[0] &= ~CPUIDD1_EAX_XSAVES;
		break;
	case 0x15:
		/* TSC/crystal ratio: report the TSC rate the hypervisor measured (crystal = TSC,
		 * ratio 1/1) rather than the model's nominal one, which an emulator's TSC may not
		 * follow. */
		r[0] = 1;
		r[1] = 1;
		r[2] = (uint32_t)vmx_active_config->tsc_hz;
		r[3] = 0;
		break;
	case 0x16:
		r[0] = (uint32_t)(vmx_active_config->tsc_hz / 1000000u);
		r[1] = r[0];
		r[2] = 0;
		r[3] = 0;
		break;
	case 0x80000001u:
		if (!(secondary & PROC2_ENABLE_RDTSCP))
			r[3] &= ~CPUID_EXT1_EDX_RDTSCP;
		break;
	}
	v->gprs.rax = r[0];
	v->gprs.rbx = r[1];
	v->gprs.rcx = r[2];
	v->gprs.rdx = r[3];
}

/* ---- MSRs ------------------------------------------------------------------------------------ */

#define MSR_IA32_BIOS_SIGN_ID 0x08Bu
#define MSR_IA32_MISC_ENABLE 0x1A0u
#define MISC_ENABLE_FAST_STRINGS (1ull << 0)
#define MISC_ENABLE_BTS_UNAVAILABLE (1ull << 11)
#define MISC_ENABLE_PEBS_UNAVAILABLE (1ull << 12)

static uint32_t msr_index(struct vcpu *v)
{
	return (uint32_t)v->gprs.rcx;
}

static enum exit_action msr_gp(struct vcpu *v, const char *op)
{
	v->msr_gp_injected++;
	log_debug("apicvisor: %s of MSR %#x: not emulated, #GP injected (RIP %#llx)\n", op,
		  msr_index(v), (unsigned long long)vmcs_read(VMCS_GUEST_RIP));
	vcpu_inject_exception(VECTOR_GP, true, 0);
	return EXIT_ACTION_RESUME;
}

static enum exit_action msr_done(struct vcpu *v, bool read, uint64_t value)
{
	if (read) {
		v->gprs.rax = (uint32_t)value;
		v->gprs.rdx = value >> 32;
	}
	vcpu_skip_instruction();
	return EXIT_ACTION_RESUME;
}

/* MISC_ENABLE is read-only here except fast strings, which must agree with CPUID.7 ERMS/FSRM
 * (Bochs 2.7 has no IA32_MISC_ENABLE at all; a guest that cannot read it assumes fast strings
 * off while trusting FSRM, see ../shared/test-hosts.md). */
static uint64_t misc_enable = MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_BTS_UNAVAILABLE |
			      MISC_ENABLE_PEBS_UNAVAILABLE;

enum exit_action platform_rdmsr(struct vcpu *v)
{
	uint64_t value;
	bool gp;

	if (apic_rdmsr(v, msr_index(v), &value, &gp))
		return gp ? msr_gp(v, "RDMSR") : msr_done(v, true, value);
	switch (msr_index(v)) {
	case MSR_IA32_EFER:
		return msr_done(v, true, v->efer);
	case MSR_IA32_FEATURE_CONTROL:
		/* Locked with VMX off: what firmware leaves on a CPU without VMX for the OS. */
		return msr_done(v, true, FEATURE_CONTROL_LOCK);
	case MSR_IA32_BIOS_SIGN_ID:
		return msr_done(v, true, 0);
	case MSR_IA32_MISC_ENABLE:
		return msr_done(v, true, misc_enable);
	}
	return msr_gp(v, "RDMSR");
}

/* IA32_EFER bits a guest may set: SCE, LME, NXE when CPUID says NX (LMA is the CPU's). */
static uint64_t efer_writable_bits(void)
{
	uint32_t r[4];

	cpuid(0x80000001u, 0, r);
	return EFER_SCE | EFER_LME | EFER_LMA | ((r[3] & (1u << 20)) ? EFER_NXE : 0);
}

enum exit_action platform_wrmsr(struct vcpu *v)
{
	uint64_t value = (v->gprs.rdx << 32) | (uint32_t)v->gprs.rax;
	bool gp;

	if (apic_wrmsr(v, msr_index(v), value, &gp))
		return gp ? msr_gp(v, "WRMSR") : msr_done(v, false, 0);
	switch (msr_index(v)) {
	case MSR_IA32_EFER: {
		bool paging = vcpu_guest_cr0() & CR0_PG;

		/* SDM Vol. 4 / Vol. 3A §10.8.5: reserved bits and changing LME while paging is on
		 * raise #GP; LMA is read-only (the CPU's, kept by the CR0 handler). */
		if ((value & ~efer_writable_bits()) ||
		    (paging && ((value ^ v->efer) & EFER_LME)))
			return msr_gp(v, "WRMSR");
		v->efer = (value & ~EFER_LMA) | (v->efer & EFER_LMA);
		vmcs_write(VMCS_GUEST_IA32_EFER, v->efer);
		return msr_done(v, false, 0);
	}
	case MSR_IA32_BIOS_SIGN_ID: /* microcode revision query: accepted, no microcode */
		return msr_done(v, false, 0);
	case MSR_IA32_MISC_ENABLE:
		misc_enable = (misc_enable & ~MISC_ENABLE_FAST_STRINGS) |
			      (value & MISC_ENABLE_FAST_STRINGS);
		return msr_done(v, false, 0);
	}
	return msr_gp(v, "WRMSR");
}

/* ---- ports ----------------------------------------------------------------------------------- */

#define COM1_BASE 0x3F8
#define DEBUG_EXIT_BASE 0xF4  /* QEMU isa-debug-exit,iobase=0xf4,iosize=4 */
#define DEBUG_EXIT_SIZE 4
#define POST_PORT 0x80        /* POST codes / I/O delay: written by many guests, ignored */

#define GUEST_LINE_MAX 200
static char console_line[GUEST_LINE_MAX + 1];
static size_t console_line_len;

void platform_flush_console(struct vcpu *v)
{
	(void)v;
	if (!console_line_len)
		return;
	console_line[console_line_len] = '\0';
	kprintf("guest: %s\n", console_line);
	console_line_len = 0;
}

/* Guest bytes on COM1 go to the real console a line at a time, each prefixed "guest: ". */
static void guest_console_transmit(void *ctx, uint8_t byte)
{
	struct vcpu *v = ctx;

	if (byte == '\r')
		return;
	if (byte == '\n') {
		console_line[console_line_len] = '\0';
		kprintf("guest: %s\n", console_line);
		console_line_len = 0;
		return;
	}
	console_line[console_line_len++] = (byte >= 0x20 && byte < 0x7F) || byte == '\t'
						   ? (char)byte : '?';
	if (console_line_len == GUEST_LINE_MAX)
		platform_flush_console(v);
}

#define COM1_IRQ 4

static void guest_console_irq(void *ctx, bool level)
{
	(void)ctx;
	platform_irq_set_gsi(COM1_IRQ, level);
}

void platform_init(struct vcpu *v)
{
	uart16550_init(&v->uart, guest_console_transmit, v);
	uart16550_set_irq(&v->uart, guest_console_irq);
}

enum exit_action platform_io(struct vcpu *v, uint64_t qualification)
{
	/* Exit qualification for I/O instructions (SDM Vol. 3C §28.2.1, Table 28-5). */
	unsigned size = (unsigned)(qualification & 7) + 1;
	bool in = qualification & (1u << 3);
	bool string = qualification & (1u << 4);
	uint16_t port = (uint16_t)(qualification >> 16);
	uint32_t value = in ? 0 : (uint32_t)v->gprs.rax;
	uint32_t mask = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;

	if (string)
		return vcpu_stop(v, GUEST_END_UNHANDLED,
				 "string I/O (INS/OUTS) on port %#x at RIP %#llx is not emulated",
				 port, (unsigned long long)vmcs_read(VMCS_GUEST_RIP));

	if (port >= DEBUG_EXIT_BASE && port < DEBUG_EXIT_BASE + DEBUG_EXIT_SIZE && !in) {
		/* QEMU's isa-debug-exit: the guest ends with status (value << 1) | 1. */
		v->exit_value = value & mask;
		vcpu_skip_instruction();
		platform_flush_console(v);
		fmt_snprintf(v->end_detail, sizeof(v->end_detail),
			     "isa-debug-exit value %u at RIP %#llx", v->exit_value,
			     (unsigned long long)vmcs_read(VMCS_GUEST_RIP));
		v->end = GUEST_END_DEBUG_EXIT;
		return EXIT_ACTION_STOP;
	}
	if (platform_irq_io(v, port, size, in, &value)) {
		/* the 8259 pair, ELCR, PIT, fw_cfg, ACPI PM, the interrupt test device */
	} else if (port >= COM1_BASE && port + size <= COM1_BASE + UART16550_PORT_COUNT) {
		/* A wider access covers consecutive byte registers, lowest port first. */
		for (unsigned i = 0; i < size; i++) {
			unsigned reg = port - COM1_BASE + i;

			if (in)
				value |= (uint32_t)uart16550_read(&v->uart, reg) << (8 * i);
			else
				uart16550_write(&v->uart, reg, (uint8_t)(value >> (8 * i)));
		}
	} else if (port == POST_PORT && !in) {
		/* nothing */
	} else {
		v->io_unhandled++;
		log_debug("apicvisor: %s%u port %#x: nothing there\n", in ? "IN" : "OUT", size * 8,
			  port);
		value = 0xFFFFFFFFu; /* an empty ISA bus floats high */
	}
	if (in) {
		/* IN AL/AX leaves the rest of RAX; IN EAX zero-extends into RAX (64-bit mode). */
		if (size == 4)
			v->gprs.rax = value;
		else
			v->gprs.rax = (v->gprs.rax & ~(uint64_t)mask) | (value & mask);
	}
	vcpu_skip_instruction();
	return EXIT_ACTION_RESUME;
}
