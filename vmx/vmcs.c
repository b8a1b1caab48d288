/* SPDX-License-Identifier: MIT */
/*
 * Building the VMCS for one vCPU that starts a multiboot guest: control words computed from the
 * capability MSRs, host state from the running hypervisor, guest state as a multiboot loader
 * leaves the CPU (Multiboot 0.6.96 §3.2 "Machine state").
 */
#include "../boot/console.h"
#include "../boot/cpu.h"
#include "../boot/x86.h"
#include "vmcs.h"
#include "vmx.h"

extern const uint8_t vmx_exit_landing[];

const struct vmx_caps *vmx_active_caps;
const struct vmx_config *vmx_active_config;

/* Bits of CR0 and CR4 the hypervisor owns (guest/host masks, SDM Vol. 3C §25.6.6): the guest
 * reads its own value from the read shadow and a write that changes one of them exits.
 *   CR0.PG: entering or leaving paging changes IA32_EFER.LMA and the "IA-32e mode guest" entry
 *           control, which the hypervisor keeps consistent (SDM Vol. 3C §26.3.1.1).
 *   CR0.NE: VMX operation requires NE = 1 (IA32_VMX_CR0_FIXED0); the guest may believe it 0.
 *   CR4.VMXE: required 1 in VMX operation, and VMX is hidden from the guest.
 *   CR4 bits of features the guest's CPUID does not show (vmx/cpuid_policy.c), which the CPU
 *           itself may accept: owned so that setting one exits and raises #GP as on a CPU
 *           without the feature (boot/x86.h: CR4_GUEST_RESERVED).
 *   CR4.OSXSAVE: the guest's XCR0 is loaded only while it is set (vmx/run.c), so the
 *           hypervisor must see it change. */
#define CR0_OWNED (CR0_PG | CR0_NE)
#define CR4_OWNED (CR4_VMXE | CR4_OSXSAVE | CR4_GUEST_RESERVED)

/* Segment access rights in the VMCS format (SDM Vol. 3C §25.4.1, Table 25-2). */
#define AR_CODE32 0xC09Bu      /* code exec/read accessed, S, DPL0, P, D/B, G */
#define AR_DATA32 0xC093u      /* data read/write accessed, S, DPL0, P, D/B, G */
#define AR_TSS32_BUSY 0x008Bu  /* 32-bit busy TSS, P */
#define AR_UNUSABLE 0x10000u

/* Initial guest selectors: any valid values; the guest loads its own GDT before reloading
 * segments (Multiboot §3.2: "the exact values are all undefined"). */
#define GUEST_CS_SELECTOR 0x10
#define GUEST_DS_SELECTOR 0x18

#define PAT_POWER_ON_DEFAULT 0x0007040600070406ull

void vmx_write_controls(enum vmx_control_kind kind, uint32_t value)
{
	static const enum vmcs_field fields[] = {
		[VMX_CTL_PIN] = VMCS_PIN_BASED_CONTROLS,
		[VMX_CTL_PRIMARY] = VMCS_PRIMARY_CONTROLS,
		[VMX_CTL_SECONDARY] = VMCS_SECONDARY_CONTROLS,
		[VMX_CTL_EXIT] = VMCS_EXIT_CONTROLS,
		[VMX_CTL_ENTRY] = VMCS_ENTRY_CONTROLS,
	};
	uint32_t wrong;

	/* A control word the CPU does not allow fails the next VM entry (SDM Vol. 3C §26.2.1.1):
	 * every caller computes its words from the capabilities, so this is an invariant. */
	if (!vmx_controls_fit(vmx_active_caps, kind, value, &wrong)) {
		kprintf("apicvisor: FATAL: VMCS control field %#x = %#x: bits %#x are not allowed by "
			"this CPU's capability MSR\n", fields[kind], value, wrong);
		platform_power_off(false);
	}
	vmcs_write(fields[kind], value);
}

void vmx_msr_intercept(uint8_t *bitmap, uint32_t msr, bool read, bool write)
{
	/* SDM Vol. 3C §25.6.9 "MSR-Bitmap Address": read-low at 0, read-high at 1024, write-low at
	 * 2048, write-high at 3072; low = 0..0x1FFF, high = 0xC0000000..0xC0001FFF. */
	unsigned offset = msr >= 0xC0000000u ? 1024 : 0;
	uint32_t index = msr & 0x1FFFu;
	uint8_t bit = (uint8_t)(1u << (index % 8));

	if (read)
		bitmap[offset + index / 8] |= bit;
	else
		bitmap[offset + index / 8] &= (uint8_t)~bit;
	if (write)
		bitmap[2048 + offset + index / 8] |= bit;
	else
		bitmap[2048 + offset + index / 8] &= (uint8_t)~bit;
}

static void setup_bitmaps(const struct vmx_config *cfg, uint8_t *msr, bool pat_switched,
			  bool rdtscp)
{

	/* Every port exits: the platform emulates what it has and answers the rest as an empty
	 * ISA bus does. */
	memset(cfg->io_bitmaps, 0xFF, 2 * 4096);
	/* Every MSR exits except those VMX switches itself or the host never uses. */
	memset(msr, 0xFF, 4096);
	static const uint32_t pass_through[] = {
		/* guest-state fields of the VMCS */
		MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
		MSR_IA32_FS_BASE, MSR_IA32_GS_BASE,
		/* not switched by VMX; root mode never uses SWAPGS or SYSCALL, and they are reset
		 * to 0 before the first entry (reset_syscall_msrs) */
		MSR_IA32_KERNEL_GS_BASE, MSR_IA32_STAR, MSR_IA32_LSTAR, MSR_IA32_CSTAR,
		MSR_IA32_FMASK,
	};
	for (size_t i = 0; i < ARRAY_SIZE(pass_through); i++)
		vmx_msr_intercept(msr, pass_through[i], false, false);
	if (pat_switched)
		vmx_msr_intercept(msr, MSR_IA32_PAT, false, false);
	if (rdtscp)
		vmx_msr_intercept(msr, MSR_IA32_TSC_AUX, false, false);
	/* Reads of EFER return the loaded guest value; writes go through the handler, which keeps
	 * LMA and the IA-32e entry control consistent. TSC reads are harmless. */
	vmx_msr_intercept(msr, MSR_IA32_EFER, false, true);
	vmx_msr_intercept(msr, MSR_IA32_TSC, false, true);
}

static void setup_host_state(const struct percpu *cpu)
{
	struct descriptor_table_register idtr;

	cpu_idtr(&idtr);
	vmcs_write(VMCS_HOST_CR0, read_cr0());
	vmcs_write(VMCS_HOST_CR3, read_cr3());
	vmcs_write(VMCS_HOST_CR4, read_cr4());
	vmcs_write(VMCS_HOST_CS_SELECTOR, GDT_SELECTOR_CODE);
	vmcs_write(VMCS_HOST_SS_SELECTOR, GDT_SELECTOR_DATA);
	vmcs_write(VMCS_HOST_DS_SELECTOR, GDT_SELECTOR_DATA);
	vmcs_write(VMCS_HOST_ES_SELECTOR, GDT_SELECTOR_DATA);
	vmcs_write(VMCS_HOST_FS_SELECTOR, GDT_SELECTOR_DATA);
	vmcs_write(VMCS_HOST_GS_SELECTOR, GDT_SELECTOR_DATA);
	vmcs_write(VMCS_HOST_TR_SELECTOR, GDT_SELECTOR_TSS);
	vmcs_write(VMCS_HOST_FS_BASE, rdmsr(MSR_IA32_FS_BASE));
	vmcs_write(VMCS_HOST_GS_BASE, rdmsr(MSR_IA32_GS_BASE));
	vmcs_write(VMCS_HOST_TR_BASE, (uint64_t)(uintptr_t)&cpu->tss);
	vmcs_write(VMCS_HOST_GDTR_BASE, (uint64_t)(uintptr_t)cpu->gdt);
	vmcs_write(VMCS_HOST_IDTR_BASE, idtr.base);
	vmcs_write(VMCS_HOST_SYSENTER_CS, 0);
	vmcs_write(VMCS_HOST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_HOST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
	vmcs_write(VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_write(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_landing);
	/* VMCS_HOST_RSP is written by vmx_enter() before every entry. */
}

static void setup_segment(enum vmcs_field selector, uint16_t value, uint32_t access_rights)
{
	/* The selector, base, limit and access-rights encodings of one segment are the same
	 * offsets from ES in their four groups (SDM Vol. 3D Appendix B). */
	unsigned index = (selector - VMCS_GUEST_ES_SELECTOR) / 2;

	vmcs_write(selector, value);
	vmcs_write(VMCS_GUEST_ES_BASE + 2 * index, 0);
	vmcs_write(VMCS_GUEST_ES_LIMIT + 2 * index, 0xFFFFFFFFu);
	vmcs_write(VMCS_GUEST_ES_ACCESS_RIGHTS + 2 * index, access_rights);
}

/* The MSRs the guest reads and writes directly that VMX does not switch: the CPU still holds
 * what the firmware left in them. Give the guest their power-on value, 0 (SDM Vol. 3A §10.1.1,
 * Table 10-1), so that it never sees root mode's (found by the isolation probes: FMASK held
 * OVMF's value). Root mode uses neither SYSCALL, SWAPGS nor RDTSCP. */
static void reset_syscall_msrs(bool rdtscp)
{
	static const uint32_t msrs[] = { MSR_IA32_KERNEL_GS_BASE, MSR_IA32_STAR, MSR_IA32_LSTAR,
					 MSR_IA32_CSTAR, MSR_IA32_FMASK };

	for (size_t i = 0; i < ARRAY_SIZE(msrs); i++)
		wrmsr(msrs[i], 0);
	if (rdtscp)
		wrmsr(MSR_IA32_TSC_AUX, 0);
}

static void setup_guest_state(struct vcpu *v, const struct vmx_caps *caps)
{
	/* Multiboot §3.2: 32-bit protected mode, paging off, flat 4 GiB code and data segments,
	 * A20 on, EFLAGS.IF = 0 and VM = 0, EAX = magic, EBX = info; Linux's 32-bit boot protocol
	 * wants the same with its selectors (10H, 18H: those used here) and ESI = boot_params. With "unrestricted guest"
	 * CR0.PE and CR0.PG may be 0 in VMX non-root operation (SDM Vol. 3C §26.3.1.1). */
	uint64_t cr0_guest = CR0_PE | CR0_ET;
	uint64_t cr0_fixed0 = caps->cr0_fixed0 & ~(CR0_PE | CR0_PG);

	vmcs_write(VMCS_GUEST_CR0, (cr0_guest | cr0_fixed0) & caps->cr0_fixed1);
	vmcs_write(VMCS_CR0_READ_SHADOW, cr0_guest);
	vmcs_write(VMCS_CR0_GUEST_HOST_MASK, CR0_OWNED);
	vmcs_write(VMCS_GUEST_CR4, (caps->cr4_fixed0 | CR4_VMXE) & caps->cr4_fixed1);
	vmcs_write(VMCS_CR4_READ_SHADOW, 0);
	vmcs_write(VMCS_CR4_GUEST_HOST_MASK, CR4_OWNED | caps->cr4_fixed0);
	vmcs_write(VMCS_GUEST_CR3, 0);
	vmcs_write(VMCS_GUEST_DR7, 0x400);
	vmcs_write(VMCS_GUEST_IA32_DEBUGCTL, 0);

	setup_segment(VMCS_GUEST_CS_SELECTOR, GUEST_CS_SELECTOR, AR_CODE32);
	setup_segment(VMCS_GUEST_SS_SELECTOR, GUEST_DS_SELECTOR, AR_DATA32);
	setup_segment(VMCS_GUEST_DS_SELECTOR, GUEST_DS_SELECTOR, AR_DATA32);
	setup_segment(VMCS_GUEST_ES_SELECTOR, GUEST_DS_SELECTOR, AR_DATA32);
	setup_segment(VMCS_GUEST_FS_SELECTOR, GUEST_DS_SELECTOR, AR_DATA32);
	setup_segment(VMCS_GUEST_GS_SELECTOR, GUEST_DS_SELECTOR, AR_DATA32);
	/* TR must be a busy TSS even for a guest that never uses one (SDM Vol. 3C §26.3.1.2). */
	vmcs_write(VMCS_GUEST_TR_SELECTOR, 0);
	vmcs_write(VMCS_GUEST_TR_BASE, 0);
	vmcs_write(VMCS_GUEST_TR_LIMIT, 0xFFFF);
	vmcs_write(VMCS_GUEST_TR_ACCESS_RIGHTS, AR_TSS32_BUSY);
	vmcs_write(VMCS_GUEST_LDTR_SELECTOR, 0);
	vmcs_write(VMCS_GUEST_LDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_LDTR_LIMIT, 0);
	vmcs_write(VMCS_GUEST_LDTR_ACCESS_RIGHTS, AR_UNUSABLE);
	vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0);

	vmcs_write(VMCS_GUEST_RIP, v->guest->entry);
	vmcs_write(VMCS_GUEST_RSP, 0);
	vmcs_write(VMCS_GUEST_RFLAGS, 0x2);
	vmcs_write(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_GUEST_IA32_EFER, 0);
	vmcs_write(VMCS_GUEST_IA32_PAT, PAT_POWER_ON_DEFAULT);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_STATE_ACTIVE);
	vmcs_write(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(VMCS_LINK_POINTER, ~0ull); /* no shadow VMCS: must be all ones */

	memset(&v->gprs, 0, sizeof(v->gprs));
	/* XCR0's reset value: x87 only (SDM Vol. 1 §13.3). */
	v->xsave = cpu_has_xsave();
	v->guest_xcr0 = XCR0_X87;
	v->host_xcr0 = v->xsave ? xgetbv(0) : 0;
	if (v->guest->is_linux) {
		/* boot.rst, "32-bit Boot Protocol": "%esi must hold the base address of the struct
		 * boot_params; %ebp, %edi and %ebx must be zero"; CS 10H, DS/ES/SS 18H as above. */
		v->gprs.rsi = v->guest->boot_params_gpa;
	} else {
		v->gprs.rax = 0x2BADB002u;
		v->gprs.rbx = v->guest->info_gpa;
	}
	v->efer = 0;
}

/* The selector, base, limit and access rights of a real-mode segment. */
static void real_mode_segment(enum vmcs_field selector, uint16_t value, uint32_t base,
			      uint32_t access_rights)
{
	unsigned index = (selector - VMCS_GUEST_ES_SELECTOR) / 2;

	vmcs_write(selector, value);
	vmcs_write(VMCS_GUEST_ES_BASE + 2 * index, base);
	vmcs_write(VMCS_GUEST_ES_LIMIT + 2 * index, 0xFFFF);
	vmcs_write(VMCS_GUEST_ES_ACCESS_RIGHTS + 2 * index, access_rights);
}

#define AR_REAL_CODE 0x9Bu      /* present, S, code exec/read accessed, 16-bit */
#define AR_REAL_DATA 0x93u      /* present, S, data read/write accessed, 16-bit */
#define AR_LDT 0x82u
#define AR_TSS_BUSY_INIT 0x8Bu  /* present, busy 32-bit TSS type: the INIT value VMX accepts */
#define INIT_CR0 (CR0_CD | CR0_NW | CR0_ET)

void vmcs_guest_init_state(struct vcpu *v)
{
	/* SDM Vol. 3A §10.1.1, Table 10-1 "IA-32 and Intel 64 Processor States Following
	 * Power-up, Reset, or INIT" (INIT column): real mode at F000:FFF0 with CS base
	 * 0xFFFF0000, CR0 = 0x60000010, CR3 = CR4 = 0, EFER = 0, segments 0 with limit 0xFFFF,
	 * GDTR/IDTR base 0 limit 0xFFFF, DR7 = 0x400, EDX = the processor signature, the other
	 * GPRs 0. The TSC, MTRRs, PAT and the other MSRs keep their values. The vCPU is held in
	 * root mode until a start-up IPI (not the wait-for-SIPI activity state, which older nested
	 * hypervisors lack), so the activity state stays active. */
	const struct vmx_caps *caps = vmx_active_caps;
	uint64_t cr0_fixed0 = caps->cr0_fixed0 & ~(CR0_PE | CR0_PG);
	uint32_t signature[4];

	vmcs_write(VMCS_GUEST_CR0, (INIT_CR0 | cr0_fixed0) & caps->cr0_fixed1);
	vmcs_write(VMCS_CR0_READ_SHADOW, INIT_CR0);
	vmcs_write(VMCS_GUEST_CR4, (caps->cr4_fixed0 | CR4_VMXE) & caps->cr4_fixed1);
	vmcs_write(VMCS_CR4_READ_SHADOW, 0);
	vmcs_write(VMCS_GUEST_CR3, 0);
	vmcs_write(VMCS_GUEST_DR7, 0x400);
	real_mode_segment(VMCS_GUEST_CS_SELECTOR, 0xF000, 0xFFFF0000u, AR_REAL_CODE);
	real_mode_segment(VMCS_GUEST_SS_SELECTOR, 0, 0, AR_REAL_DATA);
	real_mode_segment(VMCS_GUEST_DS_SELECTOR, 0, 0, AR_REAL_DATA);
	real_mode_segment(VMCS_GUEST_ES_SELECTOR, 0, 0, AR_REAL_DATA);
	real_mode_segment(VMCS_GUEST_FS_SELECTOR, 0, 0, AR_REAL_DATA);
	real_mode_segment(VMCS_GUEST_GS_SELECTOR, 0, 0, AR_REAL_DATA);
	real_mode_segment(VMCS_GUEST_LDTR_SELECTOR, 0, 0, AR_LDT);
	real_mode_segment(VMCS_GUEST_TR_SELECTOR, 0, 0, AR_TSS_BUSY_INIT);
	vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0xFFFF);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0xFFFF);
	vmcs_write(VMCS_GUEST_RIP, 0xFFF0);
	vmcs_write(VMCS_GUEST_RSP, 0);
	vmcs_write(VMCS_GUEST_RFLAGS, 0x2);
	vmcs_write(VMCS_GUEST_IA32_EFER, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_STATE_ACTIVE);
	vmcs_write(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	if (vmcs_read(VMCS_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST)
		vmx_write_controls(VMX_CTL_ENTRY,
				   (uint32_t)vmcs_read(VMCS_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE_GUEST);

	memset(&v->gprs, 0, sizeof(v->gprs));
	cpuid(1, 0, signature);
	v->gprs.rdx = signature[0];
	v->efer = 0;
	v->guest_xcr0 = XCR0_X87;
	v->guest_osxsave = false;
	v->nmi_pending = false;
	vcpu_flush_guest_tlb(v);
}

void vmcs_guest_startup(uint8_t vector)
{
	/* SDM Vol. 3A §9.4.3 / §11.6.1 "Start-up": the processor starts in real mode at
	 * vector << 8 : 0, i.e. at physical address vector << 12. */
	real_mode_segment(VMCS_GUEST_CS_SELECTOR, (uint16_t)(vector << 8), (uint32_t)vector << 12,
			  AR_REAL_CODE);
	vmcs_write(VMCS_GUEST_RIP, 0);
}

/* VPID only where INVVPID can flush a vCPU's context when an emulated instruction changes its
 * translations (vcpu_flush_guest_tlb). */
static bool vpid_usable(const struct vmx_caps *caps)
{
	return (caps->ept_vpid & VPID_CAP_INVVPID) &&
	       (caps->ept_vpid & (VPID_CAP_INVVPID_SINGLE_CONTEXT | VPID_CAP_INVVPID_ALL_CONTEXT));
}

const char *vmcs_setup(struct vcpu *v, const struct percpu *cpu, const struct vmx_caps *caps,
		       const struct vmx_config *cfg)
{
	uint32_t missing, pin, primary, secondary, exit, entry;
	const char *err = vmx_load_vmcs(v, caps);
	/* The VMX-preemption timer carries both the `timeout=` watchdog and the vLAPIC timer. */
	bool timer = vmx_control_allowed(caps, VMX_CTL_PIN, PIN_PREEMPTION_TIMER);

	if (err)
		return err;
	pin = vmx_control_word(caps->pinbased,
			       PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING,
			       (timer ? PIN_PREEMPTION_TIMER : 0) | PIN_VIRTUAL_NMIS, &missing);
	if (missing)
		return "pin-based controls: external-interrupt or NMI exiting";
	primary = vmx_control_word(caps->procbased,
				   PROC_HLT_EXITING | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS |
					   PROC_USE_TSC_OFFSETTING |
					   PROC_ACTIVATE_SECONDARY_CONTROLS | PROC_CR8_LOAD_EXITING |
					   PROC_CR8_STORE_EXITING | PROC_MWAIT_EXITING |
					   PROC_MONITOR_EXITING | PROC_RDPMC_EXITING,
				   0, &missing);
	if (missing)
		return "primary processor-based controls (HLT/MWAIT/MONITOR/RDPMC/CR8 exiting, I/O "
		       "and MSR bitmaps, TSC offsetting, secondary controls)";
	/* "enable XSAVES/XRSTORS" stays 0, so the instructions raise #UD: CPUID hides them, as
	 * IA32_XSS and the XSS-exiting bitmap are not handled. */
	secondary = vmx_control_word(caps->procbased2, PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST,
				     (vpid_usable(caps) ? PROC2_ENABLE_VPID : 0) |
					     PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID,
				     &missing);
	if (missing)
		return "secondary controls: EPT and unrestricted guest";
	exit = vmx_control_word(caps->exit,
				EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_SAVE_IA32_EFER |
					EXIT_LOAD_IA32_EFER | EXIT_ACK_INTERRUPT_ON_EXIT,
				EXIT_SAVE_DEBUG_CONTROLS | EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT,
				&missing);
	if (missing)
		return "VM-exit controls: host address-space size, save/load IA32_EFER, acknowledge "
		       "interrupt on exit";
	entry = vmx_control_word(caps->entry, ENTRY_LOAD_IA32_EFER,
				 ENTRY_LOAD_DEBUG_CONTROLS | ENTRY_LOAD_IA32_PAT, &missing);
	if (missing)
		return "VM-entry control: load IA32_EFER";
	/* The guest starts in 32-bit mode; the CR0.PG handler sets this when it enters IA-32e. */
	entry &= ~ENTRY_IA32E_MODE_GUEST;

	vmx_active_caps = caps;
	vmx_active_config = cfg;
	vmx_write_controls(VMX_CTL_PIN, pin);
	vmx_write_controls(VMX_CTL_PRIMARY, primary);
	vmx_write_controls(VMX_CTL_SECONDARY, secondary);
	vmx_write_controls(VMX_CTL_EXIT, exit);
	vmx_write_controls(VMX_CTL_ENTRY, entry);

	vmcs_write(VMCS_EXCEPTION_BITMAP, 0);
	vmcs_write(VMCS_PF_ERROR_CODE_MASK, 0);
	vmcs_write(VMCS_PF_ERROR_CODE_MATCH, 0);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_write(VMCS_EPT_POINTER, v->guest->ept_pointer);
	v->tsc_offset = 0;
	vmcs_write(VMCS_TSC_OFFSET, 0);
	v->vpid = secondary & PROC2_ENABLE_VPID ? (uint16_t)(1 + v->id) : 0; /* 0 is the host's */
	if (v->vpid)
		vmcs_write(VMCS_VPID, v->vpid);
	setup_bitmaps(cfg, v->msr_bitmap, (exit & EXIT_LOAD_IA32_PAT) && (entry & ENTRY_LOAD_IA32_PAT),
		      secondary & PROC2_ENABLE_RDTSCP);
	vmcs_write(VMCS_IO_BITMAP_A, (uint64_t)(uintptr_t)cfg->io_bitmaps);
	vmcs_write(VMCS_IO_BITMAP_B, (uint64_t)(uintptr_t)cfg->io_bitmaps + 4096);
	vmcs_write(VMCS_MSR_BITMAP, (uint64_t)(uintptr_t)v->msr_bitmap);

	setup_host_state(cpu);
	setup_guest_state(v, caps);
	reset_syscall_msrs(secondary & PROC2_ENABLE_RDTSCP);

	v->preemption_timer = timer;
	v->gprs.timer_shift = vmx_caps_preemption_timer_rate(caps);
	/* The timer is loaded before the first entry (vmx_run), once the vLAPIC exists. */
	return NULL;
}
