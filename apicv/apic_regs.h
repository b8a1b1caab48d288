/* SPDX-License-Identifier: MIT */
/*
 * The local APIC register page: register offsets, the bits the model and the VMX side name, and
 * the small pure functions that pack and unpack them. One table, named as the SDM names them
 * (SDM Vol. 3A §11.4.1 "The Local APIC Block Diagram", Table 11-1 "Local APIC Register Address
 * Map"; x2APIC: §11.12.1.2 "x2APIC Register Address Space", Table 11-6 "Local APIC Register
 * Address Map Supported by x2APIC").
 *
 * Every register is a 16-byte slot whose low dword holds the 32-bit value; the x2APIC MSR of the
 * register at offset X is 0x800 + X / 16. The 256-bit vectors (ISR, TMR, IRR) are 8 dwords each:
 * bit v is bit v % 32 of the dword at base + 0x10 * (v / 32).
 *
 * Names not defined here on purpose, because other headers already own them: MSR_IA32_APIC_BASE,
 * APIC_BASE_ENABLE, APIC_BASE_X2APIC_ENABLE (boot/x86.h).
 */
#ifndef APICVISOR_APIC_REGS_H
#define APICVISOR_APIC_REGS_H

#include "../lib/klib.h"

/* Register offsets in the xAPIC page. */
enum apic_register {
	APIC_ID = 0x020,                  /* Local APIC ID (xAPIC: bits 31:24; x2APIC: 32 bits) */
	APIC_VERSION = 0x030,             /* Local APIC Version (read-only) */
	APIC_TPR = 0x080,                 /* Task Priority Register */
	APIC_APR = 0x090,                 /* Arbitration Priority Register (xAPIC only, reads 0) */
	APIC_PPR = 0x0A0,                 /* Processor Priority Register (read-only) */
	APIC_EOI = 0x0B0,                 /* EOI Register (write-only) */
	APIC_RRD = 0x0C0,                 /* Remote Read Register (xAPIC only, reads 0) */
	APIC_LDR = 0x0D0,                 /* Logical Destination Register */
	APIC_DFR = 0x0E0,                 /* Destination Format Register (xAPIC only) */
	APIC_SVR = 0x0F0,                 /* Spurious Interrupt Vector Register */
	APIC_ISR0 = 0x100,                /* In-Service Register, bits 31:0 ... */
	APIC_ISR7 = 0x170,                /* ... bits 255:224 */
	APIC_TMR0 = 0x180,                /* Trigger Mode Register, bits 31:0 ... */
	APIC_TMR7 = 0x1F0,                /* ... bits 255:224 */
	APIC_IRR0 = 0x200,                /* Interrupt Request Register, bits 31:0 ... */
	APIC_IRR7 = 0x270,                /* ... bits 255:224 */
	APIC_ESR = 0x280,                 /* Error Status Register */
	APIC_LVT_CMCI = 0x2F0,            /* LVT Corrected Machine Check Interrupt Register */
	APIC_ICR_LOW = 0x300,             /* Interrupt Command Register bits 31:0 (x2APIC: all 64) */
	APIC_ICR_HIGH = 0x310,            /* Interrupt Command Register bits 63:32 (xAPIC only) */
	APIC_LVT_TIMER = 0x320,           /* LVT Timer Register */
	APIC_LVT_THERMAL = 0x330,         /* LVT Thermal Sensor Register */
	APIC_LVT_PMC = 0x340,             /* LVT Performance Monitoring Counters Register */
	APIC_LVT_LINT0 = 0x350,           /* LVT LINT0 Register */
	APIC_LVT_LINT1 = 0x360,           /* LVT LINT1 Register */
	APIC_LVT_ERROR = 0x370,           /* LVT Error Register */
	APIC_TIMER_INITIAL_COUNT = 0x380, /* Initial Count Register (for Timer) */
	APIC_TIMER_CURRENT_COUNT = 0x390, /* Current Count Register (for Timer, read-only) */
	APIC_TIMER_DIVIDE = 0x3E0,        /* Divide Configuration Register (for Timer) */
	APIC_SELF_IPI = 0x3F0,            /* SELF IPI (x2APIC only, write-only) */
};

/* In x2APIC mode the ICR is one 64-bit register at 0x300: its destination (bits 63:32) is the
 * dword at 0x304, where the CPU reads and writes it for RDMSR/WRMSR 0x830 under "virtualize
 * x2APIC mode" (SDM Vol. 3C §30.5 "Virtualizing MSR-Based APIC Accesses"). */
#define APIC_ICR_X2APIC_DESTINATION (APIC_ICR_LOW + 4)

/* Registers live in offsets 0x000–0x3F0; the rest of the 4 KiB page is not the APIC's. */
#define APIC_REGISTER_SPACE_END 0x400u
#define APIC_REGISTER_SLOTS (APIC_REGISTER_SPACE_END / 16)

/* The x2APIC MSR range (§11.12.1.2) and the two other MSRs the vLAPIC answers. */
#define APIC_MSR_X2APIC_FIRST 0x800u
#define APIC_MSR_X2APIC_LAST 0x8FFu
#define APIC_MSR_APIC_BASE 0x01Bu        /* IA32_APIC_BASE */
#define APIC_MSR_TSC_DEADLINE 0x6E0u     /* IA32_TSC_DEADLINE (§11.5.4.1) */

/* IA32_APIC_BASE (§11.4.4 "Local APIC Status and Location", Figure 11-5; §11.12.1). */
#define APIC_BASE_MSR_BSP (1ull << 8)
#define APIC_BASE_MSR_EXTD (1ull << 10)      /* x2APIC mode */
#define APIC_BASE_MSR_EN (1ull << 11)        /* xAPIC global enable */
#define APIC_BASE_DEFAULT_ADDRESS 0xFEE00000ull

/* Local vector table entries (§11.5.1 "Local Vector Table", Figure 11-8). */
#define APIC_LVT_VECTOR_MASK 0xFFu
#define APIC_LVT_DELIVERY_MODE_SHIFT 8
#define APIC_LVT_DELIVERY_STATUS (1u << 12)  /* read-only; always 0 here (delivery is instant) */
#define APIC_LVT_POLARITY_LOW (1u << 13)     /* LINT0/LINT1 only */
#define APIC_LVT_REMOTE_IRR (1u << 14)       /* LINT0/LINT1 only, read-only */
#define APIC_LVT_LEVEL (1u << 15)            /* LINT0/LINT1 only: trigger mode */
#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_TIMER_MODE_SHIFT 17         /* LVT timer only, bits 18:17 */
#define APIC_LVT_TIMER_MODE_MASK (3u << APIC_LVT_TIMER_MODE_SHIFT)

/* LVT timer modes (§11.5.4, Table 11-2 "Local APIC Timer Modes"). */
enum apic_timer_mode {
	APIC_TIMER_ONE_SHOT = 0,
	APIC_TIMER_PERIODIC = 1,
	APIC_TIMER_TSC_DEADLINE = 2,
	APIC_TIMER_RESERVED_MODE = 3,
};

/* Delivery modes of LVT entries and the ICR (§11.5.1, §11.6.1 "Interrupt Command Register"). */
enum apic_delivery_mode {
	APIC_DELIVERY_FIXED = 0,
	APIC_DELIVERY_LOWEST_PRIORITY = 1,   /* ICR only */
	APIC_DELIVERY_SMI = 2,
	APIC_DELIVERY_RESERVED3 = 3,
	APIC_DELIVERY_NMI = 4,
	APIC_DELIVERY_INIT = 5,
	APIC_DELIVERY_STARTUP = 6,           /* ICR only */
	APIC_DELIVERY_EXTINT = 7,            /* LVT only */
};

/* Interrupt Command Register, low dword (§11.6.1, Figure 11-12; x2APIC: Figure 11-28). */
#define APIC_ICR_VECTOR_MASK 0xFFu
#define APIC_ICR_DELIVERY_MODE_SHIFT 8
#define APIC_ICR_LOGICAL (1u << 11)          /* destination mode: 1 = logical */
#define APIC_ICR_DELIVERY_STATUS (1u << 12)  /* read-only; always 0 here */
#define APIC_ICR_LEVEL_ASSERT (1u << 14)
#define APIC_ICR_TRIGGER_LEVEL (1u << 15)
#define APIC_ICR_SHORTHAND_SHIFT 18
#define APIC_ICR_SHORTHAND_MASK (3u << APIC_ICR_SHORTHAND_SHIFT)
#define APIC_ICR_XAPIC_DESTINATION_SHIFT 24  /* in ICR high (offset 0x310) */

enum apic_shorthand {
	APIC_SHORTHAND_NONE = 0,
	APIC_SHORTHAND_SELF = 1,
	APIC_SHORTHAND_ALL_INCLUDING_SELF = 2,
	APIC_SHORTHAND_ALL_EXCLUDING_SELF = 3,
};

/* Broadcast destinations (§11.6.2.1 "Physical Destination Mode", §11.12.9 "ICR Operation in
 * x2APIC Mode"). */
#define APIC_XAPIC_BROADCAST 0xFFu
#define APIC_X2APIC_BROADCAST 0xFFFFFFFFu

/* Spurious-Interrupt Vector Register (§11.9 "Spurious Interrupt", Figure 11-23). */
#define APIC_SVR_VECTOR_MASK 0xFFu
#define APIC_SVR_ENABLE (1u << 8)                 /* APIC software enable */
#define APIC_SVR_FOCUS_DISABLE (1u << 9)          /* focus processor checking disabled */
#define APIC_SVR_EOI_BROADCAST_SUPPRESSION (1u << 12)

/* Error Status Register bits (§11.5.3 "Error Handling", Figure 11-9). */
#define APIC_ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define APIC_ESR_RECEIVE_ILLEGAL_VECTOR (1u << 6)
#define APIC_ESR_ILLEGAL_REGISTER_ADDRESS (1u << 7)

/* Destination Format Register models (§11.6.2.2 "Logical Destination Mode", Figure 11-14). */
#define APIC_DFR_MODEL_SHIFT 28
#define APIC_DFR_MODEL_FLAT 0xFu
#define APIC_DFR_MODEL_CLUSTER 0x0u

/* Version register (§11.4.8 "Local APIC Version Register", Figure 11-7). */
#define APIC_VERSION_MAX_LVT_SHIFT 16
#define APIC_VERSION_EOI_BROADCAST_SUPPRESSION (1u << 24)

/* The register at `offset` that an x2APIC MSR (0x800–0x8FF) names: offset = (msr - 0x800) << 4. */
static inline uint32_t apic_x2apic_msr_offset(uint32_t msr)
{
	return (msr - APIC_MSR_X2APIC_FIRST) << 4;
}

/* The x2APIC MSR of the register at `offset` (a multiple of 16 below 0x400). */
static inline uint32_t apic_offset_x2apic_msr(uint32_t offset)
{
	return APIC_MSR_X2APIC_FIRST + (offset >> 4);
}

/* The offset of the dword holding `vector` in a 256-bit register at `base` (ISR0/TMR0/IRR0). */
static inline uint32_t apic_vector_dword_offset(uint32_t base, uint8_t vector)
{
	return base + 0x10u * (vector / 32u);
}

/* The timer divisor that a Divide Configuration Register value selects: bits 3, 1, 0 encode
 * 2, 4, 8, 16, 32, 64, 128, 1 (§11.5.4, Figure 11-10 "Divide Configuration Register"). */
static inline uint32_t apic_timer_divisor(uint32_t divide_configuration)
{
	uint32_t code = ((divide_configuration & 8u) >> 1) | (divide_configuration & 3u);

	return code == 7 ? 1u : 2u << code;
}

/* The logical x2APIC ID the hardware derives from the x2APIC ID (§11.12.10.2 "Deriving Logical
 * x2APIC ID from the Local x2APIC ID"): cluster ID = x2APIC ID[19:4] in bits 31:16, and bit
 * x2APIC ID[3:0] set in the 16-bit member mask. */
static inline uint32_t apic_x2apic_logical_id(uint32_t x2apic_id)
{
	return (((x2apic_id >> 4) & 0xFFFFu) << 16) | (1u << (x2apic_id & 0xFu));
}

/* The processor priority from the TPR and the highest in-service vector (0 if none)
 * (§11.8.3.1 "Task and Processor Priorities"): "If TPR[7:4] ≥ ISRV[7:4], PPR[7:0] = TPR[7:0];
 * otherwise, PPR[7:4] = ISRV[7:4] and PPR[3:0] = 0." */
static inline uint32_t apic_processor_priority(uint32_t tpr, uint32_t highest_isr_vector)
{
	tpr &= 0xFFu;
	return (tpr >> 4) >= (highest_isr_vector >> 4) ? tpr : highest_isr_vector & 0xF0u;
}

/* A periodic timer that expired at `deadline` and is looked at, late, at `now` (>= deadline):
 * the next deadline is the first after now; *late counts the expiries in between, which fold
 * into the one interrupt being delivered (an IRR bit holds one). */
static inline uint64_t apic_timer_next_period(uint64_t deadline, uint64_t period, uint64_t now,
					      uint64_t *late)
{
	*late = (now - deadline) / period;
	return deadline + (*late + 1) * period;
}

#endif
