/* SPDX-License-Identifier: MIT */
/*
 * Names for VT-x numbers: basic exit reasons (SDM Vol. 3D Appendix C "VMX Basic Exit Reasons")
 * and VM-instruction errors (SDM Vol. 3C §31.4 "VM Instruction Error Numbers").
 */
#include "vmx_names.h"

/*
 * Exit reason names are the enum's own suffixes, so a name printed in the statistics is the
 * identifier to grep for. The SDM leaves 35, 38, 42 and 71 undefined: their slots stay NULL.
 */
#define EXIT_NAME(reason) [EXIT_REASON_##reason] = #reason

static const char *const exit_reason_names[VMX_EXIT_REASON_COUNT] = {
	EXIT_NAME(EXCEPTION_NMI),               /* exception or non-maskable interrupt */
	EXIT_NAME(EXTERNAL_INTERRUPT),
	EXIT_NAME(TRIPLE_FAULT),
	EXIT_NAME(INIT_SIGNAL),
	EXIT_NAME(SIPI),                        /* start-up IPI */
	EXIT_NAME(IO_SMI),                      /* I/O system-management interrupt */
	EXIT_NAME(OTHER_SMI),
	EXIT_NAME(INTERRUPT_WINDOW),
	EXIT_NAME(NMI_WINDOW),
	EXIT_NAME(TASK_SWITCH),
	EXIT_NAME(CPUID),
	EXIT_NAME(GETSEC),
	EXIT_NAME(HLT),
	EXIT_NAME(INVD),
	EXIT_NAME(INVLPG),
	EXIT_NAME(RDPMC),
	EXIT_NAME(RDTSC),
	EXIT_NAME(RSM),
	EXIT_NAME(VMCALL),
	EXIT_NAME(VMCLEAR),
	EXIT_NAME(VMLAUNCH),
	EXIT_NAME(VMPTRLD),
	EXIT_NAME(VMPTRST),
	EXIT_NAME(VMREAD),
	EXIT_NAME(VMRESUME),
	EXIT_NAME(VMWRITE),
	EXIT_NAME(VMXOFF),
	EXIT_NAME(VMXON),
	EXIT_NAME(CR_ACCESS),                   /* control-register accesses */
	EXIT_NAME(DR_ACCESS),                   /* MOV DR */
	EXIT_NAME(IO_INSTRUCTION),
	EXIT_NAME(RDMSR),
	EXIT_NAME(WRMSR),
	EXIT_NAME(ENTRY_FAIL_GUEST_STATE),      /* VM-entry failure due to invalid guest state */
	EXIT_NAME(ENTRY_FAIL_MSR_LOADING),      /* VM-entry failure due to MSR loading */
	EXIT_NAME(MWAIT),
	EXIT_NAME(MONITOR_TRAP_FLAG),
	EXIT_NAME(MONITOR),
	EXIT_NAME(PAUSE),
	EXIT_NAME(ENTRY_FAIL_MACHINE_CHECK),    /* VM-entry failure due to machine-check event */
	EXIT_NAME(TPR_BELOW_THRESHOLD),
	EXIT_NAME(APIC_ACCESS),
	EXIT_NAME(EOI_INDUCED),                 /* virtualized EOI */
	EXIT_NAME(GDTR_IDTR),                   /* access to GDTR or IDTR */
	EXIT_NAME(LDTR_TR),                     /* access to LDTR or TR */
	EXIT_NAME(EPT_VIOLATION),
	EXIT_NAME(EPT_MISCONFIG),
	EXIT_NAME(INVEPT),
	EXIT_NAME(RDTSCP),
	EXIT_NAME(PREEMPTION_TIMER),            /* VMX-preemption timer expired */
	EXIT_NAME(INVVPID),
	EXIT_NAME(WBINVD),                      /* WBINVD or WBNOINVD */
	EXIT_NAME(XSETBV),
	EXIT_NAME(APIC_WRITE),
	EXIT_NAME(RDRAND),
	EXIT_NAME(INVPCID),
	EXIT_NAME(VMFUNC),
	EXIT_NAME(ENCLS),
	EXIT_NAME(RDSEED),
	EXIT_NAME(PML_FULL),                    /* page-modification log full */
	EXIT_NAME(XSAVES),
	EXIT_NAME(XRSTORS),
	EXIT_NAME(PCONFIG),
	EXIT_NAME(SPP_EVENT),                   /* SPP-related event */
	EXIT_NAME(UMWAIT),
	EXIT_NAME(TPAUSE),
	EXIT_NAME(LOADIWKEY),
	EXIT_NAME(ENCLV),
	EXIT_NAME(ENQCMD_PASID_FAIL),           /* ENQCMD PASID translation failure */
	EXIT_NAME(ENQCMDS_PASID_FAIL),          /* ENQCMDS PASID translation failure */
	EXIT_NAME(BUS_LOCK),
	EXIT_NAME(INSTRUCTION_TIMEOUT),
	EXIT_NAME(SEAMCALL),
	EXIT_NAME(TDCALL),
};

#undef EXIT_NAME

/*
 * SDM Vol. 3C §31.4 "VM Instruction Error Numbers", Table "VM-Instruction Error Numbers", in the
 * SDM's wording. The SDM leaves 14, 21 and 27 unused: their slots stay NULL.
 */
static const char *const instruction_error_names[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF (VMXOFF and VMXON between VMLAUNCH and VMRESUME)",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer (when attempting to "
	       "deactivate the dual-monitor treatment of SMIs and SMM)",
	[19] = "VMCALL with non-clear VMCS (when attempting to activate the dual-monitor "
	       "treatment of SMIs and SMM)",
	[20] = "VMCALL with invalid VM-exit control fields",
	[22] = "VMCALL with incorrect MSEG revision identifier (when attempting to activate the "
	       "dual-monitor treatment of SMIs and SMM)",
	[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[24] = "VMCALL with invalid SMM-monitor features (when attempting to activate the "
	       "dual-monitor treatment of SMIs and SMM)",
	[25] = "VM entry with invalid VM-execution control fields in executive VMCS (when "
	       "attempting to return from SMM)",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "Invalid operand to INVEPT/INVVPID",
};

bool vmx_exit_reason_is_defined(unsigned reason)
{
	return reason < ARRAY_SIZE(exit_reason_names) && exit_reason_names[reason] != NULL;
}

const char *vmx_exit_reason_name(unsigned reason)
{
	return vmx_exit_reason_is_defined(reason) ? exit_reason_names[reason] : "UNKNOWN";
}

const char *vmx_instruction_error_name(unsigned error)
{
	if (error < ARRAY_SIZE(instruction_error_names) && instruction_error_names[error] != NULL)
		return instruction_error_names[error];
	return "unknown VM-instruction error";
}
