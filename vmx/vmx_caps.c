/* SPDX-License-Identifier: MIT */
#include "vmx_caps.h"

#include "vmcs.h"

uint32_t vmx_control_word(uint64_t cap_msr, uint32_t required, uint32_t optional,
			  uint32_t *missing_required)
{
	uint32_t must_be_one = (uint32_t)cap_msr;
	uint32_t may_be_one = (uint32_t)(cap_msr >> 32);

	*missing_required = required & ~may_be_one;
	return (must_be_one | required | optional) & may_be_one;
}

static uint64_t control_msr(const struct vmx_caps *caps, enum vmx_control_kind kind)
{
	switch (kind) {
	case VMX_CTL_PIN:
		return caps->pinbased;
	case VMX_CTL_PRIMARY:
		return caps->procbased;
	case VMX_CTL_SECONDARY:
		return caps->procbased2;
	case VMX_CTL_EXIT:
		return caps->exit;
	case VMX_CTL_ENTRY:
		return caps->entry;
	}
	return 0;
}

bool vmx_control_allowed(const struct vmx_caps *caps, enum vmx_control_kind kind, uint32_t bit)
{
	return (control_msr(caps, kind) >> 32) & bit;
}

uint32_t vmx_caps_revision_id(const struct vmx_caps *caps)
{
	return (uint32_t)caps->basic & 0x7FFFFFFFu;
}

uint32_t vmx_caps_vmcs_size(const struct vmx_caps *caps)
{
	return (uint32_t)(caps->basic >> 32) & 0x1FFFu;
}

unsigned vmx_caps_vmcs_memory_type(const struct vmx_caps *caps)
{
	return (unsigned)(caps->basic >> 50) & 0xFu;
}

bool vmx_caps_has_true_controls(const struct vmx_caps *caps)
{
	return caps->basic & VMX_BASIC_TRUE_CONTROLS;
}

unsigned vmx_caps_preemption_timer_rate(const struct vmx_caps *caps)
{
	return (unsigned)caps->misc & 0x1Fu;
}

/* A feature the project uses, where it lives, and what needs it. */
struct vmx_feature {
	const char *name;
	enum vmx_control_kind kind;
	uint32_t bit;
	bool essential;        /* the hypervisor cannot run without it */
};

static const struct vmx_feature vmx_features[] = {
	{ "activate secondary controls", VMX_CTL_PRIMARY, PROC_ACTIVATE_SECONDARY_CONTROLS, true },
	{ "use I/O bitmaps", VMX_CTL_PRIMARY, PROC_USE_IO_BITMAPS, true },
	{ "use MSR bitmaps", VMX_CTL_PRIMARY, PROC_USE_MSR_BITMAPS, true },
	{ "HLT exiting", VMX_CTL_PRIMARY, PROC_HLT_EXITING, true },
	{ "use TSC offsetting", VMX_CTL_PRIMARY, PROC_USE_TSC_OFFSETTING, true },
	{ "EPT", VMX_CTL_SECONDARY, PROC2_ENABLE_EPT, true },
	{ "unrestricted guest", VMX_CTL_SECONDARY, PROC2_UNRESTRICTED_GUEST, true },
	{ "host address-space size", VMX_CTL_EXIT, EXIT_HOST_ADDRESS_SPACE_SIZE, true },
	{ "save IA32_EFER on exit", VMX_CTL_EXIT, EXIT_SAVE_IA32_EFER, true },
	{ "load IA32_EFER on exit", VMX_CTL_EXIT, EXIT_LOAD_IA32_EFER, true },
	{ "load IA32_EFER on entry", VMX_CTL_ENTRY, ENTRY_LOAD_IA32_EFER, true },
	{ "VPID", VMX_CTL_SECONDARY, PROC2_ENABLE_VPID, false },
	{ "VMX-preemption timer", VMX_CTL_PIN, PIN_PREEMPTION_TIMER, false },
	{ "external-interrupt exiting", VMX_CTL_PIN, PIN_EXTERNAL_INTERRUPT_EXITING, true },
	{ "NMI exiting", VMX_CTL_PIN, PIN_NMI_EXITING, true },
	{ "CR8-load/store exiting", VMX_CTL_PRIMARY, PROC_CR8_LOAD_EXITING, true },
	{ "acknowledge interrupt on exit", VMX_CTL_EXIT, EXIT_ACK_INTERRUPT_ON_EXIT, true },
	{ "virtual NMIs", VMX_CTL_PIN, PIN_VIRTUAL_NMIS, false },
	{ "interrupt-window exiting", VMX_CTL_PRIMARY, PROC_INTERRUPT_WINDOW_EXITING, true },
	{ "NMI-window exiting", VMX_CTL_PRIMARY, PROC_NMI_WINDOW_EXITING, false },
	{ "TPR shadow", VMX_CTL_PRIMARY, PROC_USE_TPR_SHADOW, false },
	{ "virtualize APIC accesses", VMX_CTL_SECONDARY, PROC2_VIRTUALIZE_APIC_ACCESSES, false },
	{ "virtualize x2APIC mode", VMX_CTL_SECONDARY, PROC2_VIRTUALIZE_X2APIC_MODE, false },
	{ "APIC-register virtualization", VMX_CTL_SECONDARY, PROC2_APIC_REGISTER_VIRTUALIZATION,
	  false },
	{ "virtual-interrupt delivery", VMX_CTL_SECONDARY, PROC2_VIRTUAL_INTERRUPT_DELIVERY,
	  false },
	{ "posted-interrupt processing", VMX_CTL_PIN, PIN_POSTED_INTERRUPTS, false },
	{ "enable RDTSCP", VMX_CTL_SECONDARY, PROC2_ENABLE_RDTSCP, false },
	{ "enable INVPCID", VMX_CTL_SECONDARY, PROC2_ENABLE_INVPCID, false },
	{ "enable XSAVES/XRSTORS", VMX_CTL_SECONDARY, PROC2_ENABLE_XSAVES, false },
	{ "load/save IA32_PAT", VMX_CTL_ENTRY, ENTRY_LOAD_IA32_PAT, false },
};

static bool feature_available(const struct vmx_caps *caps, const struct vmx_feature *f)
{
	return vmx_control_allowed(caps, f->kind, f->bit);
}

const char *vmx_caps_unusable_reason(const struct vmx_caps *caps, char *buf, size_t size)
{
	uint64_t fc = caps->feature_control;
	const char *missing = NULL;

	if (!(caps->cpuid1_ecx & (1u << 5))) {
		fmt_snprintf(buf, size, "VT-x is not available: CPUID.1:ECX.VMX[bit 5] is 0 (no VMX "
			     "on this CPU, or the hypervisor below does not expose nested VT-x)");
		return buf;
	}
	if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
		fmt_snprintf(buf, size, "VT-x is disabled by firmware: IA32_FEATURE_CONTROL is locked "
			     "with 'VMXON outside SMX' off (enable VT-x in the firmware setup)");
		return buf;
	}
	if (vmx_caps_vmcs_memory_type(caps) != 6) {
		fmt_snprintf(buf, size, "VT-x is unusable: IA32_VMX_BASIC reports VMCS memory type %u, "
			     "not write-back (6)", vmx_caps_vmcs_memory_type(caps));
		return buf;
	}
	for (size_t i = 0; i < ARRAY_SIZE(vmx_features) && !missing; i++) {
		if (vmx_features[i].essential && !feature_available(caps, &vmx_features[i]))
			missing = vmx_features[i].name;
	}
	if (!missing && (!(caps->ept_vpid & EPT_CAP_WALK_LENGTH_4) ||
			 !(caps->ept_vpid & EPT_CAP_MEMTYPE_WB)))
		missing = "EPT with a 4-level walk and write-back paging structures";
	if (!missing)
		return NULL;
	fmt_snprintf(buf, size, "VT-x is unusable: this CPU lacks %s, which apicvisor needs",
		     missing);
	return buf;
}

/* What each mode needs on top of the one below it (SDM Vol. 3C §30.1 "Virtual APIC State").
 * Posted mode needs nothing more than apicv: without posted-interrupt processing (SDM Vol. 3C
 * §30.6) its descriptor is drained in software at VM entry (vmx_caps_posted_in_hardware()). */
struct mode_need {
	enum apicvisor_mode mode;
	enum vmx_control_kind kind;
	uint32_t bit;
	const char *name;
	bool x2apic_guest_only;       /* needed only while the guest's APIC is in x2APIC mode */
};

static const struct mode_need mode_needs[] = {
	{ MODE_APICV, VMX_CTL_SECONDARY, PROC2_APIC_REGISTER_VIRTUALIZATION,
	  "APIC-register virtualization", false },
	{ MODE_APICV, VMX_CTL_SECONDARY, PROC2_VIRTUAL_INTERRUPT_DELIVERY,
	  "virtual-interrupt delivery", false },
	{ MODE_APICV, VMX_CTL_PIN, PIN_EXTERNAL_INTERRUPT_EXITING, "external-interrupt exiting",
	  false },
	/* APICv for an x2APIC guest virtualizes the x2APIC MSRs (§30.5): with the guest in x2APIC
	 * mode, apicv needs "virtualize x2APIC mode". tpr-shadow does not: every x2APIC MSR then
	 * exits and the TPR shadow still serves CR8. */
	{ MODE_APICV, VMX_CTL_SECONDARY, PROC2_VIRTUALIZE_X2APIC_MODE, "virtualize x2APIC mode",
	  true },
	{ MODE_TPR_SHADOW, VMX_CTL_PRIMARY, PROC_USE_TPR_SHADOW, "TPR shadow", false },
	{ MODE_TPR_SHADOW, VMX_CTL_SECONDARY, PROC2_VIRTUALIZE_APIC_ACCESSES,
	  "virtualize APIC accesses", false },
};

enum apicvisor_mode vmx_caps_degrade_mode(const struct vmx_caps *caps,
					  enum apicvisor_mode requested, bool x2apic_guest,
					  const char **reason)
{
	enum apicvisor_mode mode = requested;

	*reason = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(mode_needs); i++) {
		const struct mode_need *need = &mode_needs[i];

		if (mode < need->mode || vmx_control_allowed(caps, need->kind, need->bit) ||
		    (need->x2apic_guest_only && !x2apic_guest))
			continue;
		if (!*reason)
			*reason = need->name;
		mode = need->mode - 1;
	}
	return mode;
}

static void print_control(const struct fmt_sink *out, const char *name, uint64_t msr)
{
	fmt_print(out, "  %-26s allowed-0 (must be 1) %08x  allowed-1 (may be 1) %08x\n", name,
		  (uint32_t)msr, (uint32_t)(msr >> 32));
}

void vmx_caps_print(const struct fmt_sink *out, const struct vmx_caps *caps)
{
	bool true_ctls = vmx_caps_has_true_controls(caps);

	fmt_print(out, "VT-x capabilities\n");
	fmt_print(out, "  CPUID.1:ECX.VMX            %u\n", (caps->cpuid1_ecx >> 5) & 1);
	fmt_print(out, "  IA32_FEATURE_CONTROL       %016llx\n",
		  (unsigned long long)caps->feature_control);
	fmt_print(out, "  IA32_VMX_BASIC             %016llx (revision %u, VMCS %u bytes, "
		  "memory type %u, TRUE controls %s)\n",
		  (unsigned long long)caps->basic, vmx_caps_revision_id(caps),
		  vmx_caps_vmcs_size(caps), vmx_caps_vmcs_memory_type(caps),
		  true_ctls ? "yes" : "no");
	print_control(out, true_ctls ? "TRUE pin-based" : "pin-based", caps->pinbased);
	print_control(out, true_ctls ? "TRUE primary proc-based" : "primary proc-based",
		      caps->procbased);
	print_control(out, "secondary proc-based", caps->procbased2);
	print_control(out, true_ctls ? "TRUE VM-exit" : "VM-exit", caps->exit);
	print_control(out, true_ctls ? "TRUE VM-entry" : "VM-entry", caps->entry);
	fmt_print(out, "  IA32_VMX_MISC              %016llx (preemption timer rate: TSC >> %u)\n",
		  (unsigned long long)caps->misc, vmx_caps_preemption_timer_rate(caps));
	fmt_print(out, "  IA32_VMX_EPT_VPID_CAP      %016llx (4-level walk %s, WB %s, UC %s, "
		  "2M pages %s, 1G pages %s, INVEPT %s, INVVPID %s)\n",
		  (unsigned long long)caps->ept_vpid,
		  caps->ept_vpid & EPT_CAP_WALK_LENGTH_4 ? "yes" : "no",
		  caps->ept_vpid & EPT_CAP_MEMTYPE_WB ? "yes" : "no",
		  caps->ept_vpid & EPT_CAP_MEMTYPE_UC ? "yes" : "no",
		  caps->ept_vpid & EPT_CAP_2MB_PAGES ? "yes" : "no",
		  caps->ept_vpid & EPT_CAP_1GB_PAGES ? "yes" : "no",
		  caps->ept_vpid & EPT_CAP_INVEPT ? "yes" : "no",
		  caps->ept_vpid & VPID_CAP_INVVPID ? "yes" : "no");
	fmt_print(out, "  CR0 fixed0/fixed1          %016llx / %016llx\n",
		  (unsigned long long)caps->cr0_fixed0, (unsigned long long)caps->cr0_fixed1);
	fmt_print(out, "  CR4 fixed0/fixed1          %016llx / %016llx\n",
		  (unsigned long long)caps->cr4_fixed0, (unsigned long long)caps->cr4_fixed1);
	fmt_print(out, "  features used by apicvisor:\n");
	for (size_t i = 0; i < ARRAY_SIZE(vmx_features); i++) {
		const struct vmx_feature *f = &vmx_features[i];

		fmt_print(out, "    %-32s %s%s\n", f->name, feature_available(caps, f) ? "yes" : "no",
			  f->essential ? " (required)" : "");
	}
}

bool vmx_caps_posted_in_hardware(const struct vmx_caps *caps)
{
	return vmx_control_allowed(caps, VMX_CTL_PIN, PIN_POSTED_INTERRUPTS);
}

bool vmx_controls_fit(const struct vmx_caps *caps, enum vmx_control_kind kind, uint32_t value,
		      uint32_t *wrong)
{
	uint64_t msr = control_msr(caps, kind);
	uint32_t must_be_one = (uint32_t)msr;
	uint32_t may_be_one = (uint32_t)(msr >> 32);

	*wrong = (must_be_one & ~value) | (value & ~may_be_one);
	return !*wrong;
}

unsigned vmx_caps_differences(const struct vmx_caps *mine, const struct vmx_caps *reference,
			      char *buf, size_t size)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
#define FIELD(f, name) { name, offsetof(struct vmx_caps, f) }
		FIELD(basic, "IA32_VMX_BASIC"),
		FIELD(pinbased, "pin-based controls"),
		FIELD(procbased, "primary processor-based controls"),
		FIELD(procbased2, "secondary processor-based controls"),
		FIELD(exit, "exit controls"),
		FIELD(entry, "entry controls"),
		FIELD(misc, "IA32_VMX_MISC"),
		FIELD(ept_vpid, "IA32_VMX_EPT_VPID_CAP"),
		FIELD(cr0_fixed0, "IA32_VMX_CR0_FIXED0"),
		FIELD(cr0_fixed1, "IA32_VMX_CR0_FIXED1"),
		FIELD(cr4_fixed0, "IA32_VMX_CR4_FIXED0"),
		FIELD(cr4_fixed1, "IA32_VMX_CR4_FIXED1"),
#undef FIELD
	};
	struct fmt_buffer text;
	struct fmt_sink out;
	unsigned count = 0;

	fmt_buffer_init(&text, buf, size);
	out = fmt_buffer_sink(&text);
	if (mine->cpuid1_ecx != reference->cpuid1_ecx) {
		fmt_print(&out, "CPUID.1:ECX: %#x here, %#x there", mine->cpuid1_ecx,
			  reference->cpuid1_ecx);
		count++;
	}
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		uint64_t a = *(const uint64_t *)((const char *)mine + fields[i].offset);
		uint64_t b = *(const uint64_t *)((const char *)reference + fields[i].offset);

		if (a == b)
			continue;
		fmt_print(&out, "%s%s: %#llx here, %#llx there", count ? "; " : "", fields[i].name,
			  (unsigned long long)a, (unsigned long long)b);
		count++;
	}
	return count;
}
