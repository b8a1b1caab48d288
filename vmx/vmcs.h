/* SPDX-License-Identifier: MIT */
/*
 * VMCS field encodings (SDM Vol. 3D Appendix B "Field Encoding in VMCS"), the control bits this
 * project uses (SDM Vol. 3C §25.6 "VM-Execution Control Fields", §25.7 "VM-Exit Control
 * Fields", §25.8 "VM-Entry Control Fields"), and VMREAD/VMWRITE wrappers.
 */
#ifndef APICVISOR_VMCS_H
#define APICVISOR_VMCS_H

#include "../lib/klib.h"

enum vmcs_field {
	/* 16-bit control */
	VMCS_VPID = 0x0000,
	VMCS_POSTED_INTR_NV = 0x0002,
	/* 16-bit guest state */
	VMCS_GUEST_ES_SELECTOR = 0x0800,
	VMCS_GUEST_CS_SELECTOR = 0x0802,
	VMCS_GUEST_SS_SELECTOR = 0x0804,
	VMCS_GUEST_DS_SELECTOR = 0x0806,
	VMCS_GUEST_FS_SELECTOR = 0x0808,
	VMCS_GUEST_GS_SELECTOR = 0x080A,
	VMCS_GUEST_LDTR_SELECTOR = 0x080C,
	VMCS_GUEST_TR_SELECTOR = 0x080E,
	VMCS_GUEST_INTR_STATUS = 0x0810,
	/* 16-bit host state */
	VMCS_HOST_ES_SELECTOR = 0x0C00,
	VMCS_HOST_CS_SELECTOR = 0x0C02,
	VMCS_HOST_SS_SELECTOR = 0x0C04,
	VMCS_HOST_DS_SELECTOR = 0x0C06,
	VMCS_HOST_FS_SELECTOR = 0x0C08,
	VMCS_HOST_GS_SELECTOR = 0x0C0A,
	VMCS_HOST_TR_SELECTOR = 0x0C0C,
	/* 64-bit control */
	VMCS_IO_BITMAP_A = 0x2000,
	VMCS_IO_BITMAP_B = 0x2002,
	VMCS_MSR_BITMAP = 0x2004,
	VMCS_EXIT_MSR_STORE_ADDR = 0x2006,
	VMCS_EXIT_MSR_LOAD_ADDR = 0x2008,
	VMCS_ENTRY_MSR_LOAD_ADDR = 0x200A,
	VMCS_TSC_OFFSET = 0x2010,
	VMCS_VIRTUAL_APIC_PAGE_ADDR = 0x2012,
	VMCS_APIC_ACCESS_ADDR = 0x2014,
	VMCS_POSTED_INTR_DESC_ADDR = 0x2016,
	VMCS_EPT_POINTER = 0x201A,
	VMCS_EOI_EXIT_BITMAP0 = 0x201C,
	VMCS_EOI_EXIT_BITMAP1 = 0x201E,
	VMCS_EOI_EXIT_BITMAP2 = 0x2020,
	VMCS_EOI_EXIT_BITMAP3 = 0x2022,
	/* 64-bit read-only data */
	VMCS_GUEST_PHYSICAL_ADDRESS = 0x2400,
	/* 64-bit guest state */
	VMCS_LINK_POINTER = 0x2800,
	VMCS_GUEST_IA32_DEBUGCTL = 0x2802,
	VMCS_GUEST_IA32_PAT = 0x2804,
	VMCS_GUEST_IA32_EFER = 0x2806,
	VMCS_GUEST_PDPTE0 = 0x280A, /* PDPTE1-3 follow at +2, +4, +6 */
	/* 64-bit host state */
	VMCS_HOST_IA32_PAT = 0x2C00,
	VMCS_HOST_IA32_EFER = 0x2C02,
	/* 32-bit control */
	VMCS_PIN_BASED_CONTROLS = 0x4000,
	VMCS_PRIMARY_CONTROLS = 0x4002,
	VMCS_EXCEPTION_BITMAP = 0x4004,
	VMCS_PF_ERROR_CODE_MASK = 0x4006,
	VMCS_PF_ERROR_CODE_MATCH = 0x4008,
	VMCS_CR3_TARGET_COUNT = 0x400A,
	VMCS_EXIT_CONTROLS = 0x400C,
	VMCS_EXIT_MSR_STORE_COUNT = 0x400E,
	VMCS_EXIT_MSR_LOAD_COUNT = 0x4010,
	VMCS_ENTRY_CONTROLS = 0x4012,
	VMCS_ENTRY_MSR_LOAD_COUNT = 0x4014,
	VMCS_ENTRY_INTR_INFO = 0x4016,
	VMCS_ENTRY_EXCEPTION_ERROR_CODE = 0x4018,
	VMCS_ENTRY_INSTRUCTION_LEN = 0x401A,
	VMCS_TPR_THRESHOLD = 0x401C,
	VMCS_SECONDARY_CONTROLS = 0x401E,
	/* 32-bit read-only data */
	VMCS_VM_INSTRUCTION_ERROR = 0x4400,
	VMCS_EXIT_REASON = 0x4402,
	VMCS_EXIT_INTR_INFO = 0x4404,
	VMCS_EXIT_INTR_ERROR_CODE = 0x4406,
	VMCS_IDT_VECTORING_INFO = 0x4408,
	VMCS_IDT_VECTORING_ERROR_CODE = 0x440A,
	VMCS_EXIT_INSTRUCTION_LEN = 0x440C,
	VMCS_VMX_INSTRUCTION_INFO = 0x440E,
	/* 32-bit guest state */
	VMCS_GUEST_ES_LIMIT = 0x4800,
	VMCS_GUEST_CS_LIMIT = 0x4802,
	VMCS_GUEST_SS_LIMIT = 0x4804,
	VMCS_GUEST_DS_LIMIT = 0x4806,
	VMCS_GUEST_FS_LIMIT = 0x4808,
	VMCS_GUEST_GS_LIMIT = 0x480A,
	VMCS_GUEST_LDTR_LIMIT = 0x480C,
	VMCS_GUEST_TR_LIMIT = 0x480E,
	VMCS_GUEST_GDTR_LIMIT = 0x4810,
	VMCS_GUEST_IDTR_LIMIT = 0x4812,
	VMCS_GUEST_ES_ACCESS_RIGHTS = 0x4814,
	VMCS_GUEST_CS_ACCESS_RIGHTS = 0x4816,
	VMCS_GUEST_SS_ACCESS_RIGHTS = 0x4818,
	VMCS_GUEST_DS_ACCESS_RIGHTS = 0x481A,
	VMCS_GUEST_FS_ACCESS_RIGHTS = 0x481C,
	VMCS_GUEST_GS_ACCESS_RIGHTS = 0x481E,
	VMCS_GUEST_LDTR_ACCESS_RIGHTS = 0x4820,
	VMCS_GUEST_TR_ACCESS_RIGHTS = 0x4822,
	VMCS_GUEST_INTERRUPTIBILITY = 0x4824,
	VMCS_GUEST_ACTIVITY_STATE = 0x4826,
	VMCS_GUEST_SYSENTER_CS = 0x482A,
	VMCS_PREEMPTION_TIMER_VALUE = 0x482E,
	/* 32-bit host state */
	VMCS_HOST_SYSENTER_CS = 0x4C00,
	/* natural-width control */
	VMCS_CR0_GUEST_HOST_MASK = 0x6000,
	VMCS_CR4_GUEST_HOST_MASK = 0x6002,
	VMCS_CR0_READ_SHADOW = 0x6004,
	VMCS_CR4_READ_SHADOW = 0x6006,
	/* natural-width read-only data */
	VMCS_EXIT_QUALIFICATION = 0x6400,
	VMCS_GUEST_LINEAR_ADDRESS = 0x640A,
	/* natural-width guest state */
	VMCS_GUEST_CR0 = 0x6800,
	VMCS_GUEST_CR3 = 0x6802,
	VMCS_GUEST_CR4 = 0x6804,
	VMCS_GUEST_ES_BASE = 0x6806,
	VMCS_GUEST_CS_BASE = 0x6808,
	VMCS_GUEST_SS_BASE = 0x680A,
	VMCS_GUEST_DS_BASE = 0x680C,
	VMCS_GUEST_FS_BASE = 0x680E,
	VMCS_GUEST_GS_BASE = 0x6810,
	VMCS_GUEST_LDTR_BASE = 0x6812,
	VMCS_GUEST_TR_BASE = 0x6814,
	VMCS_GUEST_GDTR_BASE = 0x6816,
	VMCS_GUEST_IDTR_BASE = 0x6818,
	VMCS_GUEST_DR7 = 0x681A,
	VMCS_GUEST_RSP = 0x681C,
	VMCS_GUEST_RIP = 0x681E,
	VMCS_GUEST_RFLAGS = 0x6820,
	VMCS_GUEST_PENDING_DBG_EXCEPTIONS = 0x6822,
	VMCS_GUEST_SYSENTER_ESP = 0x6824,
	VMCS_GUEST_SYSENTER_EIP = 0x6826,
	/* natural-width host state */
	VMCS_HOST_CR0 = 0x6C00,
	VMCS_HOST_CR3 = 0x6C02,
	VMCS_HOST_CR4 = 0x6C04,
	VMCS_HOST_FS_BASE = 0x6C06,
	VMCS_HOST_GS_BASE = 0x6C08,
	VMCS_HOST_TR_BASE = 0x6C0A,
	VMCS_HOST_GDTR_BASE = 0x6C0C,
	VMCS_HOST_IDTR_BASE = 0x6C0E,
	VMCS_HOST_SYSENTER_ESP = 0x6C10,
	VMCS_HOST_SYSENTER_EIP = 0x6C12,
	VMCS_HOST_RSP = 0x6C14,
	VMCS_HOST_RIP = 0x6C16,
};

/* Pin-based VM-execution controls (SDM Vol. 3C §25.6.1). */
#define PIN_EXTERNAL_INTERRUPT_EXITING (1u << 0)
#define PIN_NMI_EXITING (1u << 3)
#define PIN_VIRTUAL_NMIS (1u << 5)
#define PIN_PREEMPTION_TIMER (1u << 6)
#define PIN_POSTED_INTERRUPTS (1u << 7)

/* Primary processor-based VM-execution controls (SDM Vol. 3C §25.6.2, Table 25-6). */
#define PROC_INTERRUPT_WINDOW_EXITING (1u << 2)
#define PROC_USE_TSC_OFFSETTING (1u << 3)
#define PROC_HLT_EXITING (1u << 7)
#define PROC_INVLPG_EXITING (1u << 9)
#define PROC_MWAIT_EXITING (1u << 10)
#define PROC_RDPMC_EXITING (1u << 11)
#define PROC_RDTSC_EXITING (1u << 12)
#define PROC_CR3_LOAD_EXITING (1u << 15)
#define PROC_CR3_STORE_EXITING (1u << 16)
#define PROC_CR8_LOAD_EXITING (1u << 19)
#define PROC_CR8_STORE_EXITING (1u << 20)
#define PROC_USE_TPR_SHADOW (1u << 21)
#define PROC_NMI_WINDOW_EXITING (1u << 22)
#define PROC_MOV_DR_EXITING (1u << 23)
#define PROC_UNCONDITIONAL_IO_EXITING (1u << 24)
#define PROC_USE_IO_BITMAPS (1u << 25)
#define PROC_MONITOR_TRAP_FLAG (1u << 27)
#define PROC_USE_MSR_BITMAPS (1u << 28)
#define PROC_MONITOR_EXITING (1u << 29)
#define PROC_PAUSE_EXITING (1u << 30)
#define PROC_ACTIVATE_SECONDARY_CONTROLS (1u << 31)

/* Secondary processor-based VM-execution controls (SDM Vol. 3C §25.6.2, Table 25-7). */
#define PROC2_VIRTUALIZE_APIC_ACCESSES (1u << 0)
#define PROC2_ENABLE_EPT (1u << 1)
#define PROC2_DESCRIPTOR_TABLE_EXITING (1u << 2)
#define PROC2_ENABLE_RDTSCP (1u << 3)
#define PROC2_VIRTUALIZE_X2APIC_MODE (1u << 4)
#define PROC2_ENABLE_VPID (1u << 5)
#define PROC2_WBINVD_EXITING (1u << 6)
#define PROC2_UNRESTRICTED_GUEST (1u << 7)
#define PROC2_APIC_REGISTER_VIRTUALIZATION (1u << 8)
#define PROC2_VIRTUAL_INTERRUPT_DELIVERY (1u << 9)
#define PROC2_PAUSE_LOOP_EXITING (1u << 10)
#define PROC2_RDRAND_EXITING (1u << 11)
#define PROC2_ENABLE_INVPCID (1u << 12)
#define PROC2_ENABLE_VMFUNC (1u << 13)
#define PROC2_RDSEED_EXITING (1u << 16)
#define PROC2_ENABLE_XSAVES (1u << 20)

/* VM-exit controls (SDM Vol. 3C §25.7.1, Table 25-13). */
#define EXIT_SAVE_DEBUG_CONTROLS (1u << 2)
#define EXIT_HOST_ADDRESS_SPACE_SIZE (1u << 9)
#define EXIT_ACK_INTERRUPT_ON_EXIT (1u << 15)
#define EXIT_SAVE_IA32_PAT (1u << 18)
#define EXIT_LOAD_IA32_PAT (1u << 19)
#define EXIT_SAVE_IA32_EFER (1u << 20)
#define EXIT_LOAD_IA32_EFER (1u << 21)
#define EXIT_SAVE_PREEMPTION_TIMER (1u << 22)

/* VM-entry controls (SDM Vol. 3C §25.8.1, Table 25-15). */
#define ENTRY_LOAD_DEBUG_CONTROLS (1u << 2)
#define ENTRY_IA32E_MODE_GUEST (1u << 9)
#define ENTRY_LOAD_IA32_PAT (1u << 14)
#define ENTRY_LOAD_IA32_EFER (1u << 15)

/* Exit-reason field bits beyond the basic reason (SDM Vol. 3C §25.9.1). */
#define EXIT_REASON_BASIC_MASK 0xFFFFu
#define EXIT_REASON_ENTRY_FAILURE (1u << 31)

/* VM-entry interruption-information / exit interruption-information fields (SDM Vol. 3C
 * §25.8.3 and §25.9.2). */
#define INTR_INFO_VECTOR_MASK 0xFFu
#define INTR_INFO_TYPE_SHIFT 8
#define INTR_TYPE_EXTERNAL 0u
#define INTR_TYPE_NMI 2u
#define INTR_TYPE_HARDWARE_EXCEPTION 3u
#define INTR_TYPE_SOFTWARE_INTERRUPT 4u
#define INTR_TYPE_PRIVILEGED_SOFTWARE_EXCEPTION 5u
#define INTR_TYPE_SOFTWARE_EXCEPTION 6u
#define INTR_INFO_DELIVER_ERROR_CODE (1u << 11)
#define INTR_INFO_NMI_UNBLOCKING_IRET (1u << 12) /* exit fields only */
#define INTR_INFO_VALID (1u << 31)

/* Guest interruptibility state (SDM Vol. 3C §25.4.2, Table 25-3). */
#define INTERRUPTIBILITY_STI_BLOCKING (1u << 0)
#define INTERRUPTIBILITY_MOV_SS_BLOCKING (1u << 1)
#define INTERRUPTIBILITY_NMI_BLOCKING (1u << 3)

/* Segment access-rights bits in the VMCS format (SDM Vol. 3C §25.4.1, Table 25-2). */
#define SEGMENT_AR_L (1u << 13)        /* CS: 64-bit code */
#define SEGMENT_AR_DB (1u << 14)       /* default operation size 32 bits */

/* Pending debug exceptions: BS, a single step is due (SDM Vol. 3C §25.4.2, Table 25-4). */
#define PENDING_DBG_BS (1u << 14)

/* Guest activity states (SDM Vol. 3C §25.4.2). */
#define ACTIVITY_STATE_ACTIVE 0u
#define ACTIVITY_STATE_HLT 1u

/* VMREAD/VMWRITE. A failure here is a hypervisor bug (a field this CPU lacks, no current
 * VMCS): vmcs_field_error() reports which field and stops. */
__attribute__((noreturn)) void vmcs_field_error(const char *op, enum vmcs_field field);

#ifdef APICVISOR_HOSTED
/* Host unit tests: a fake VMCS behind these two (tests/unit/fake_cpu.c). */
uint64_t vmcs_read(enum vmcs_field field);
void vmcs_write(enum vmcs_field field, uint64_t value);
#else
static inline uint64_t vmcs_read(enum vmcs_field field)
{
	uint64_t value;
	bool failed;

	__asm__ volatile("vmread %[field], %[value]"
			 : [value] "=rm"(value), "=@ccbe"(failed)
			 : [field] "r"((uint64_t)field)
			 : "cc");
	if (__builtin_expect(failed, 0))
		vmcs_field_error("VMREAD", field);
	return value;
}

static inline void vmcs_write(enum vmcs_field field, uint64_t value)
{
	bool failed;

	__asm__ volatile("vmwrite %[value], %[field]"
			 : "=@ccbe"(failed)
			 : [field] "r"((uint64_t)field), [value] "rm"(value)
			 : "cc");
	if (__builtin_expect(failed, 0))
		vmcs_field_error("VMWRITE", field);
}
#endif /* APICVISOR_HOSTED */

#endif
