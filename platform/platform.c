/* SPDX-License-Identifier: MIT */
/*
 * The machine the guest sees, as far as this build emulates it: CPUID filtered to what is
 * virtualized, a small set of MSRs, COM1 and QEMU's isa-debug-exit. Everything else answers as
 * an empty ISA bus (reads all ones) or, for MSRs, with #GP — counted, never a hypervisor fault.
 */
#include "platform.h"

#include "../apicv/apic_exits.h"
#include "../apicv/vlapic.h"
#include "../boot/console.h"
#include "../boot/x86.h"
#include "../include/apicvisor/hypercall.h"
#include "../vmx/cpuid_policy.h"
#include "../vmx/ept.h"
#include "../vmx/mmio.h"
#include "../vmx/vmcs.h"
#include "../vmx/vmx.h"
#include "platform_irq.h"

#define MSR_IA32_BIOS_SIGN_ID 0x08Bu
#define MSR_IA32_MISC_ENABLE 0x1A0u
#define MISC_ENABLE_FAST_STRINGS (1ull << 0)
#define MISC_ENABLE_PERFMON (1ull << 7)            /* read-only */
#define MISC_ENABLE_BTS_UNAVAILABLE (1ull << 11)   /* read-only */
#define MISC_ENABLE_PEBS_UNAVAILABLE (1ull << 12)  /* read-only */
#define MISC_ENABLE_MONITOR (1ull << 18)           /* read-only here: MONITOR is hidden */
#define MISC_ENABLE_LIMIT_CPUID (1ull << 22)
#define MISC_ENABLE_XD_DISABLE (1ull << 34)        /* read-only here: NX stays as CPUID says */
/* What a write may change (SDM Vol. 4 Table 2-2, IA32_MISC_ENABLE); the defined read-only bits
 * ignore writes, any other bit is reserved (#GP), among them automatic thermal control (3),
 * EIST (16) and xTPR disable (23), which exist only with CPUID's TM, EST and xTPR, all hidden. */
#define MISC_ENABLE_WRITABLE (MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_LIMIT_CPUID)
#define MISC_ENABLE_DEFINED (MISC_ENABLE_WRITABLE | MISC_ENABLE_PERFMON | \
			     MISC_ENABLE_BTS_UNAVAILABLE | MISC_ENABLE_PEBS_UNAVAILABLE | \
			     MISC_ENABLE_MONITOR | MISC_ENABLE_XD_DISABLE)

/* Machine-check architecture (SDM Vol. 3B §16.3 "Machine-Check MSRs"): one bank, no MCG_CTL, no
 * extended state (IA32_MCG_CAP = 1). Nothing ever reports an error: the bank's status stays 0
 * unless written, and #MC is never delivered. */
#define MCG_CAP_VALUE 1u                /* Count = 1 bank; MCG_CTL_P and the rest 0 */
#define MCG_STATUS_DEFINED 0x7u         /* RIPV, EIPV, MCIP (LMCE_S needs LMCE_P) */
#define MC_BANK_MSRS 4u                 /* MCi_CTL, MCi_STATUS, MCi_ADDR, MCi_MISC */

/* An MSR of the machine-check architecture: true when it exists, with *value for a read; *gp for
 * a write the architecture refuses. */
static bool mca_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *value, bool *gp)
{
	uint64_t *bank[MC_BANK_MSRS] = { &v->mca.ctl, &v->mca.status, &v->mca.addr,
					 &v->mca.misc };

	*gp = false;
	if (msr == MSR_IA32_MCG_CAP) {
		*gp = write;                    /* read-only */
		*value = MCG_CAP_VALUE;
		return true;
	}
	if (msr == MSR_IA32_MCG_STATUS) {
		if (write && (*value & ~(uint64_t)MCG_STATUS_DEFINED))
			*gp = true;
		else if (write)
			v->mca.mcg_status = *value;
		else
			*value = v->mca.mcg_status;
		return true;
	}
	if (msr < MSR_IA32_MC0_CTL || msr >= MSR_IA32_MC0_CTL + MC_BANK_MSRS)
		return false;
	/* "software is only allowed to write zeros to IA32_MCi_STATUS" (§16.3.2.2): a non-zero
	 * write raises #GP. */
	if (write && msr == MSR_IA32_MC0_CTL + 1 && *value)
		*gp = true;
	else if (write)
		*bank[msr - MSR_IA32_MC0_CTL] = *value;
	else
		*value = *bank[msr - MSR_IA32_MC0_CTL];
	return true;
}

/* IA32_PAT is the guest's own only where VM entry and exit switch it (vmcs.c). */
static bool pat_switched(void)
{
	return (vmcs_read(VMCS_ENTRY_CONTROLS) & ENTRY_LOAD_IA32_PAT) &&
	       (vmcs_read(VMCS_EXIT_CONTROLS) & EXIT_LOAD_IA32_PAT);
}

uint64_t platform_guest_xcr0_supported(const struct vcpu *v)
{
	uint32_t r[4];
	uint64_t supported;

	if (!v->xsave)
		return 0;
	cpuid(0xD, 0, r);
	supported = ((uint64_t)r[3] << 32 | r[0]) & CPUID_GUEST_XCR0_ALLOWED;
	/* A state component the CPU lists without describing it (CPUID.(0DH, i):EAX, its size,
	 * 0) cannot be laid out by an OS: not offered. Bochs 2.7's tigerlake lists PKRU (bit 9)
	 * and answers subleaf 9 with zeros, which made Linux warn "misordered xstate" and find
	 * its XSAVE size inconsistent. */
	for (unsigned i = 2; i < 64; i++) {
		if (!(supported & (1ull << i)))
			continue;
		cpuid(0xD, i, r);
		if (r[0] == 0)
			supported &= ~(1ull << i);
	}
	return supported;
}

/* CPUID.(EAX=0DH,ECX=0):EBX reports the XSAVE area size for the XCR0 loaded when CPUID runs:
 * ask the CPU with the guest's XCR0, and with everything the guest may enable, loaded; and
 * (ECX=1):EBX the compacted size for the guest's XCR0. */
static void xsave_sizes(struct vcpu *v, struct cpuid_context *ctx)
{
	uint32_t r[4];

	if (!v->xsave)
		return;
	xsetbv(0, v->guest_xcr0);
	cpuid(0xD, 0, r);
	ctx->xsave_size_enabled = r[1];
	xsetbv(0, ctx->xcr0_supported);
	cpuid(0xD, 0, r);
	ctx->xsave_size_supported = r[1];
	xsetbv(0, v->host_xcr0);
	/* The compacted format for the guest's XCR0 (SDM Vol. 1 §13.4.3): the legacy region and
	 * the header (576 bytes), then each enabled component i >= 2 in order, at a 64-byte
	 * boundary where CPUID.(0DH, i):ECX[1] says so. */
	ctx->xsave_size_compacted = 576;
	for (unsigned i = 2; i < 64; i++) {
		if (!(v->guest_xcr0 & ctx->xcr0_supported & (1ull << i)))
			continue;
		cpuid(0xD, i, r);
		if (r[2] & 2)
			ctx->xsave_size_compacted = (ctx->xsave_size_compacted + 63) & ~63u;
		ctx->xsave_size_compacted += r[0];
	}
}

/* The guest's view of CPUID (SDM Vol. 2A "CPUID"): the host's values filtered by the policy
 * (vmx/cpuid_policy.c), so a guest never finds a feature whose MSRs or instructions would
 * fault. */
void platform_cpuid(struct vcpu *v)
{
	uint32_t leaf = (uint32_t)v->gprs.rax;
	uint32_t subleaf = (uint32_t)v->gprs.rcx;
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
		struct cpuid_context ctx = {
			.apic_id = v->id,
			.secondary_controls = (uint32_t)vmcs_read(VMCS_SECONDARY_CONTROLS),
			.pat_switched = pat_switched(),
			.guest_cr4 = vcpu_guest_cr4(),
			.apic_enabled = vlapic_hw_enabled(v->vlapic),
			.limit_cpuid_maxval = v->misc_enable & MISC_ENABLE_LIMIT_CPUID,
			.tsc_hz = vmx_active_config->tsc_hz,
			.xcr0_supported = platform_guest_xcr0_supported(v),
			.maxphyaddr = platform_maxphyaddr(),
		};

		if (leaf == 0xD && (subleaf == 0 || subleaf == 1))
			xsave_sizes(v, &ctx);
		cpuid(cpuid_host_leaf(leaf), subleaf, r);
		cpuid_policy_apply(&ctx, leaf, subleaf, r);
	}
	v->gprs.rax = r[0];
	v->gprs.rbx = r[1];
	v->gprs.rcx = r[2];
	v->gprs.rdx = r[3];
}

unsigned platform_maxphyaddr(void)
{
	uint32_t r[4];
	unsigned bits = 36; /* where CPUID.80000008H is absent (SDM Vol. 3A §5.1.4) */

	cpuid(0x80000000u, 0, r);
	if (r[0] >= 0x80000008u) {
		cpuid(0x80000008u, 0, r);
		bits = r[0] & 0xFF;
	}
	/* 4-level EPT translates guest-physical addresses of 48 bits (SDM Vol. 3C §29.3.2): a
	 * guest told more could place its APIC base where EPT cannot map it. */
	return bits > EPT_GUEST_PHYSICAL_BITS ? EPT_GUEST_PHYSICAL_BITS : bits;
}

/* ---- MSRs ------------------------------------------------------------------------------------ */


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

/* MISC_ENABLE: fast strings set at reset, as CPUID.7 ERMS/FSRM need (Bochs 2.7 has no
 * IA32_MISC_ENABLE at all; a guest that cannot read it assumes fast strings off while trusting
 * FSRM, see ../shared/test-hosts.md); the writable bits keep what the guest writes, and "limit
 * CPUID maxval" does what it says (CPUID.0:EAX reads 2). Per vCPU, as the MSR is. */
#define MISC_ENABLE_RESET (MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_BTS_UNAVAILABLE | \
			   MISC_ENABLE_PEBS_UNAVAILABLE)

enum exit_action platform_rdmsr(struct vcpu *v)
{
	uint64_t value;
	bool gp;

	if (apic_rdmsr(v, msr_index(v), &value, &gp))
		return gp ? msr_gp(v, "RDMSR") : msr_done(v, true, value);
	if (mca_msr(v, msr_index(v), false, &value, &gp))
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
		return msr_done(v, true, v->misc_enable);
	case MSR_IA32_TSC_ADJUST:
		return msr_done(v, true, v->tsc_adjust);
	}
	return msr_gp(v, "RDMSR");
}

/* The guest's TSC moved: the offset in the VMCS, and a TSC-deadline timer moves in host time. */
static void set_tsc_offset(struct vcpu *v, uint64_t offset)
{
	v->tsc_offset = offset;
	vmcs_write(VMCS_TSC_OFFSET, offset);
	v->timer_dirty = true;
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
	if (mca_msr(v, msr_index(v), true, &value, &gp))
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
	case MSR_IA32_TSC: {
		/* "A WRMSR to the IA32_TSC ... sets the time-stamp counter" (SDM Vol. 3B §18.17):
		 * the guest's TSC becomes `value` now, through the TSC offset. Reads do not exit:
		 * RDMSR, RDTSC and RDTSCP all add the offset themselves (Vol. 3C §26.3 / §27.6.5).
		 * IA32_TSC_ADJUST moves by as much ("the logical processor also adds (or
		 * subtracts) value X from the IA32_TSC_ADJUST MSR", §18.17.3). */
		uint64_t old = v->tsc_offset;

		set_tsc_offset(v, value - rdtsc());
		v->tsc_adjust += v->tsc_offset - old;
		return msr_done(v, false, 0);
	}
	case MSR_IA32_TSC_ADJUST:
		/* "If an execution of WRMSR to the IA32_TSC_ADJUST MSR adds (or subtracts) value
		 * X from that MSR, the logical processor also adds (or subtracts) value X from the
		 * TSC" (§18.17.3 "Time-Stamp Counter Adjustment"). */
		set_tsc_offset(v, v->tsc_offset + (value - v->tsc_adjust));
		v->tsc_adjust = value;
		return msr_done(v, false, 0);
	case MSR_IA32_BIOS_SIGN_ID: /* microcode revision query: accepted, no microcode */
		return msr_done(v, false, 0);
	case MSR_IA32_MISC_ENABLE:
		if (value & ~MISC_ENABLE_DEFINED)
			return msr_gp(v, "WRMSR");
		v->misc_enable = (v->misc_enable & ~MISC_ENABLE_WRITABLE) |
				 (value & MISC_ENABLE_WRITABLE);
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
/* COM1's line so far: written under the devices' lock (the UART is one of them), so the flushes
 * from an isa-debug-exit or a reset on any vCPU take it too (it is re-entrant). */
static char console_line[GUEST_LINE_MAX + 1];
static size_t console_line_len;

void platform_flush_console(struct vcpu *v)
{
	(void)v;
	platform_lock();
	if (console_line_len) {
		console_line[console_line_len] = '\0';
		kprintf("guest: %s\n", console_line);
		console_line_len = 0;
	}
	platform_unlock();
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
	mmio_set_bus(platform_mmio_access);
	v->misc_enable = MISC_ENABLE_RESET;
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
	struct platform_stop stop;

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
	if (platform_irq_io(v, port, size, in, &value, &stop)) {
		/* the 8259 pair, ELCR, PIT, RTC, 92H/CF9H, the 8042, fw_cfg, ACPI PM, the
		 * interrupt test device */
		if (stop.cause) {
			platform_flush_console(v);
			return vcpu_stop(v, stop.end, "%s at RIP %#llx", stop.cause,
					 (unsigned long long)vmcs_read(VMCS_GUEST_RIP));
		}
	} else if (port >= COM1_BASE && port + size <= COM1_BASE + UART16550_PORT_COUNT) {
		/* One COM1 for the machine (vCPU 0 holds it), under the devices' lock. A wider
		 * access covers consecutive byte registers, lowest port first. */
		struct uart16550 *com1 = &vcpus[0].uart;

		platform_lock();
		for (unsigned i = 0; i < size; i++) {
			unsigned reg = port - COM1_BASE + i;

			if (in)
				value |= (uint32_t)uart16550_read(com1, reg) << (8 * i);
			else
				uart16550_write(com1, reg, (uint8_t)(value >> (8 * i)));
		}
		platform_unlock();
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

/* ---- memory nothing backs ---------------------------------------------------------------------- */

/* Counted under the devices' lock: any vCPU may touch the empty bus. */
static struct unbacked_stats unbacked;

static uint32_t empty_bus_read(void *ctx, uint32_t offset, unsigned size)
{
	(void)ctx;
	(void)offset;
	(void)size;
	return 0xFFFFFFFFu;
}

static void empty_bus_write(void *ctx, uint32_t offset, unsigned size, uint32_t value)
{
	(void)ctx;
	(void)offset;
	(void)size;
	(void)value;
}

enum exit_action platform_unbacked_access(struct vcpu *v, uint64_t gpa, bool write)
{
	static const struct mmio_device empty_bus = { "unbacked memory", empty_bus_read,
						      empty_bus_write, NULL, NULL, NULL };

	platform_lock();
	unbacked_stats_count(&unbacked, gpa, write);
	platform_unlock();
	return mmio_emulate(v, &empty_bus, (uint32_t)(gpa & 0xFFFu), write);
}

enum mmio_bus_result platform_mmio_access(struct vcpu *v, uint64_t gpa, unsigned size,
					  bool write, uint64_t *value)
{
	/* The APIC page first: the guest may have moved it over RAM. */
	if ((gpa & ~0xFFFull) == vlapic_mmio_base(v->vlapic))
		return MMIO_BUS_UNREACHABLE;
	if (gpa < v->guest->ram_bytes && size <= v->guest->ram_bytes - gpa)
		return MMIO_BUS_RAM;
	if (platform_irq_mmio_access(v, gpa, size, write, value))
		return MMIO_BUS_DONE;
	if (vmx_active_config->strict)
		return MMIO_BUS_NOTHING;
	platform_lock();
	unbacked_stats_count(&unbacked, gpa, write);
	platform_unlock();
	if (!write)
		*value = ~0ull; /* the empty bus: all ones; a write is dropped */
	return MMIO_BUS_DONE;
}

const struct unbacked_stats *platform_unbacked_stats(void)
{
	return &unbacked;
}
