/* SPDX-License-Identifier: MIT */
/*
 * The virtual local APIC: a model of one xAPIC/x2APIC as SDM Vol. 3A chapter 11 "Advanced
 * Programmable Interrupt Controller (APIC)" describes it, for one vCPU. Plain C: no VMX, no VMCS,
 * no UEFI; the VMX side (apicv/delivery.c, apicv/apic_exits.c) decodes exits and calls in here,
 * and the model reaches out only through struct vlapic_ops.
 *
 * THE REGISTER STATE IS THE PAGE. The caller provides one 4 KiB page laid out like the hardware
 * xAPIC register page (register at offset X, 16-byte slots, value in the low dword; offsets in
 * apic_regs.h). In the tpr-shadow/apicv/posted modes the same page is the VMCS virtual-APIC
 * page, and the CPU reads and writes it (TPR, EOI, ISR/IRR, PPR, SELF_IPI virtualization), so
 * the model keeps no second copy of any register: every register the guest can read without an
 * exit holds its architectural value in the page at all times. Only what is not architecturally
 * in the page lives in the model (IA32_APIC_BASE, the timer's deadline, the ESR accumulator,
 * the LINT pin levels).
 *
 * Layout in x2APIC mode: the ICR is one 64-bit register at offset 0x300 (low dword at 0x300,
 * destination at 0x304 = APIC_ICR_X2APIC_DESTINATION), because that is where the CPU reads and
 * writes it for RDMSR/WRMSR 0x830 under "virtualize x2APIC mode" (SDM Vol. 3C §30.5
 * "Virtualizing MSR-Based APIC Accesses": RDMSR "reads the 8 bytes from offset X on the
 * virtual-APIC page"). Offset 0x310 is the xAPIC-only ICR high.
 *
 * Threading: a vLAPIC belongs to its vCPU; every function is called on that vCPU's physical CPU
 * while the guest is not running (exit handlers, the code before VM entry), never concurrently.
 * Routing IPIs to another vCPU's vLAPIC is the caller's business (ops->send_ipi).
 *
 * Choices where the SDM leaves room are documented in vlapic.c next to the code, and listed in
 * the comment that opens it.
 */
#ifndef APICVISOR_VLAPIC_H
#define APICVISOR_VLAPIC_H

#include "../lib/klib.h"

struct vlapic;

/* How many vLAPICs exist at most (a static pool: the hypervisor does not allocate). */
#define VLAPIC_MAX_INSTANCES 8

/* The guest's physical-address width the model assumes when it checks IA32_APIC_BASE for
 * reserved bits (the bits from it up to 63 are reserved and a WRMSR setting them raises #GP),
 * until vlapic_set_maxphyaddr gives the one the guest is told: 39 bits, the narrowest
 * MAXPHYADDR of the CPUs this runs on. */
#define VLAPIC_MAXPHYADDR 39

/* The periodic timer's shortest period: 200 us, as KVM's min_timer_period_us. A guest
 * programming a shorter one (down to a count of 1) would otherwise spend nearly all its time
 * in timer exits; each clamped start or reload is counted (vlapic_stats.timer_periods_clamped).
 * One-shot and TSC-deadline timers fire once and are not clamped. */
#define VLAPIC_MIN_PERIOD_US 200u

/*
 * The outside world. Every pointer may be NULL (nothing happens, the statistics still count).
 * Each is called on the vCPU's own CPU, from inside a vlapic_* call, with `ctx` from
 * vlapic_create.
 */
struct vlapic_ops {
	/* The current TSC: the timer's clock. NULL reads as 0, a clock that never advances. */
	uint64_t (*now)(void *ctx);
	/* vlapic_timer_deadline() changed: re-arm the caller's timer (e.g. the VMX-preemption
	 * timer) for the new value, or disarm it for 0. */
	void (*timer_changed)(void *ctx);
	/* EOI of a level-triggered vector (its TMR bit set) while EOI-broadcast suppression (SVR
	 * bit 12) is off: the vIOAPIC clears the remote IRR of the pins with this vector. */
	void (*eoi_level)(void *ctx, uint8_t vector);
	/* An NMI for this vCPU: an NMI IPI that includes self, a LINT0/LINT1 entry with delivery
	 * mode NMI, or LINT1 while the APIC is hardware-disabled. */
	void (*nmi)(void *ctx);
	/* LINT0/LINT1 with delivery mode ExtINT (or LINT0 while the APIC is hardware-disabled) was
	 * asserted: the vector comes from the 8259, which is to be acknowledged at injection. */
	void (*extint)(void *ctx);
	/*
	 * An IPI whose destination set includes another APIC (or may: logical destinations and
	 * the "all" shorthands). The caller routes it to every other matching vLAPIC, using
	 * vlapic_match_destination() for no-shorthand IPIs, and must skip the sender: the
	 * sender's own part, if any, has already been delivered locally. `icr_low` is the ICR low
	 * dword as stored (vector, delivery mode, destination mode, level, trigger, shorthand);
	 * `destination` is the destination field in the sender's mode: xAPIC ICR[63:56] (8 bits),
	 * x2APIC ICR[63:32]. Lowest-priority IPIs reach this only when the sender is not itself a
	 * target: the caller then picks one target.
	 */
	void (*send_ipi)(void *ctx, uint32_t icr_low, uint32_t destination);
	/*
	 * Posted delivery: offered every edge-triggered fixed interrupt the APIC accepts. Returns
	 * true when the caller took it into its posted-interrupt descriptor (PIR bit and ON,
	 * SDM Vol. 3C §30.6 "Posted-Interrupt Processing"); IRR is then left alone here, and the
	 * descriptor reaches vIRR at the next VM entry (by the CPU, or drained in software). NULL
	 * or false: the interrupt goes into IRR directly.
	 */
	bool (*post)(void *ctx, uint8_t vector);
};

/* Counters the VMX side reports. Written by the model only, on the vCPU's CPU. */
struct vlapic_stats {
	uint64_t accepted;              /* fixed interrupts latched into IRR, from every source */
	uint64_t dropped_disabled;      /* fixed interrupts discarded: APIC hardware- or software-
					 * disabled (§11.4.7.2) */
	uint64_t illegal_vectors;       /* vectors 0–15 refused: received (ESR bit 6) or sent
					 * (ESR bit 5) */
	uint64_t errors;                /* error events recorded in the ESR accumulator */
	uint64_t delivered;             /* acknowledged: moved IRR → ISR */
	uint64_t spurious;              /* acknowledge cycles answered with the spurious vector */
	uint64_t eois;                  /* EOIs that retired a vector (EOI register, x2APIC MSR,
					 * APIC-write and EOI-induced exits) */
	uint64_t level_eois;            /* of which passed to ops->eoi_level */
	uint64_t suppressed_level_eois; /* level EOIs kept local by SVR bit 12 */
	uint64_t nmis;                  /* NMIs raised through ops->nmi */
	uint64_t extints;               /* ExtINT assertions raised through ops->extint */
	uint64_t smis_ignored;          /* SMI IPIs and LVT entries: there is no SMM */
	uint64_t ipis_sent;             /* ICR and SELF_IPI commands carried out */
	uint64_t ipis_to_others;        /* of which handed to ops->send_ipi */
	uint64_t timer_ticks;           /* timer expiries handled (masked or not) */
	uint64_t timer_missed_ticks;    /* periodic expiries coalesced into a later one */
	uint64_t timer_periods_clamped; /* periodic starts and reloads lengthened to
					 * VLAPIC_MIN_PERIOD_US */
	uint64_t unsupported;           /* guest requests carried out as no-ops: INIT/start-up IPIs
					 * to self, reserved delivery modes, LVT delivery modes
					 * other than fixed/NMI/ExtINT/SMI, timer mode 11 */
	uint64_t ignored_mmio_writes;   /* MMIO writes other than an aligned dword: ignored */
	uint64_t unexpected_apic_writes; /* vlapic_apic_write_done for an offset the CPU never
					  * reports (read-only or reserved registers) */
};

/* Result of a register access. */
enum vlapic_status {
	VLAPIC_OK,       /* done (possibly ignored, as the architecture says) */
	VLAPIC_GP,       /* the instruction raises #GP(0): the caller injects it */
	VLAPIC_NOT_APIC, /* MMIO while the APIC is in x2APIC mode or hardware-disabled: the
			  * range is not the APIC's; the caller treats it as unbacked memory */
};

/* ---- life cycle ------------------------------------------------------------------------------ */

/*
 * Creates the vLAPIC of a vCPU at boot, before its first VM entry (apic_delivery_init).
 * `apic_id` is the initial (x2)APIC ID (the xAPIC ID is its low 8 bits); `bsp` sets
 * IA32_APIC_BASE.BSP; `page` is the 4 KiB register page (at least 16-byte aligned; 4 KiB aligned
 * to serve as a virtual-APIC page), owned by the caller for the vLAPIC's lifetime; `tsc_hz` is
 * the TSC frequency, which is also the timer's input clock (the "bus clock": divide-by-1 counts
 * once per TSC cycle). `ops` may be NULL; it is referenced, not copied. The vLAPIC starts in the
 * power-up state (vlapic_reset). Returns NULL when the pool is exhausted or `page` is unusable.
 */
struct vlapic *vlapic_create(uint32_t apic_id, bool bsp, void *page, uint64_t tsc_hz,
			     const struct vlapic_ops *ops, void *ctx);
/* Returns the vLAPIC to the pool (teardown, tests). Calls no ops. */
void vlapic_destroy(struct vlapic *vl);
/*
 * RESET (power-up) state, §11.4.7.1 "Local APIC State After Power-Up or Reset": xAPIC mode,
 * enabled at 0xFEE00000, ID = initial APIC ID, IRR/ISR/TMR/ICR/LDR/TPR/timer 0, DFR all ones,
 * LVTs masked, SVR 0xFF (software-disabled); the page is rewritten accordingly. Called by
 * vlapic_create and by the caller for a platform reset.
 */
void vlapic_reset(struct vlapic *vl);
/*
 * INIT (INIT IPI or INIT signal to this vCPU), §11.4.7.3 "Local APIC State After an INIT Reset
 * ('Wait-for-SIPI' State)" and §11.12.5.1: like RESET, except that the ID register and
 * IA32_APIC_BASE (so the mode) are kept. Called by the caller's IPI router.
 */
void vlapic_init_signal(struct vlapic *vl);
/* The register page (for the VMCS virtual-APIC page address). */
void *vlapic_page(struct vlapic *vl);
/* The counters (for the statistics output). */
const struct vlapic_stats *vlapic_stats(const struct vlapic *vl);
/* Sets the physical-address width IA32_APIC_BASE is checked against (12..52; other values are
 * ignored): the MAXPHYADDR
 * the guest's CPUID reports. */
void vlapic_set_maxphyaddr(struct vlapic *vl, unsigned bits);
/* The timer's input clock in Hz (= tsc_hz given at creation). */
uint64_t vlapic_timer_hz(const struct vlapic *vl);

/* ---- IA32_APIC_BASE and modes ---------------------------------------------------------------- */

/* IA32_APIC_BASE as the guest reads it (RDMSR 0x1B). */
uint64_t vlapic_apic_base(const struct vlapic *vl);
/*
 * WRMSR IA32_APIC_BASE. Returns false when the write raises #GP (the caller injects it; nothing
 * changed): reserved bits (0–7, 9, MAXPHYADDR–63) set, EN = 0 with EXTD = 1, x2APIC →
 * xAPIC, disabled → x2APIC (§11.12.5 "x2APIC State Transitions"). The BSP bit is read-only
 * (the written value is ignored). Entering x2APIC sets ID to the x2APIC ID and LDR to the
 * derived logical ID; disabling puts the registers in their power-up state, keeping the APIC
 * ID. The caller re-programs the VMCS when the mode or the base changed.
 */
bool vlapic_set_apic_base(struct vlapic *vl, uint64_t value);
bool vlapic_x2apic_mode(const struct vlapic *vl);  /* EN = 1, EXTD = 1 */
bool vlapic_hw_enabled(const struct vlapic *vl);   /* IA32_APIC_BASE.EN */
bool vlapic_sw_enabled(const struct vlapic *vl);   /* hardware-enabled and SVR bit 8 */
/* Whether an 8259 interrupt reaches the CPU through LINT0: LVT LINT0 is ExtINT and unmasked, or
 * the APIC is hardware-disabled (LINT0 is then the INTR pin). */
bool vlapic_lint0_extint(const struct vlapic *vl);
/* The guest-physical address of the xAPIC MMIO page (IA32_APIC_BASE bits MAXPHYADDR-1:12). */
uint64_t vlapic_mmio_base(const struct vlapic *vl);

/* ---- register access: one write handler per register, shared by every path -------------------- */

/*
 * xAPIC MMIO at `offset` within the APIC page (0–0xFFF), from the emulated-MMIO and APIC-access
 * exit handlers. The architecture wants 32-bit accesses to the low dword of 16-byte-aligned
 * registers (§11.4.1: "All 32-bit registers should be accessed using 128-bit aligned 32-bit
 * loads or stores"); the model's answer to other accesses:
 *   - a read of `size` 1, 2, 4 or 8 bytes returns the bytes at that offset, where bytes 0–3 of
 *     a slot are the register and bytes 4–15 read 0 (a byte read of TPR gives TPR);
 *   - a write that is not 4 bytes at a 16-byte-aligned offset is ignored (as KVM does) and
 *     counted in ignored_mmio_writes;
 *   - reserved offsets below 0x400 read 0, ignore writes and set ESR bit 7 "Illegal Register
 *     Address"; offsets 0x400–0xFFF read 0 and ignore writes silently;
 *   - read-only registers ignore writes; write-only EOI reads 0.
 * Returns VLAPIC_NOT_APIC in x2APIC mode or when hardware-disabled, or for offsets past the page.
 */
enum vlapic_status vlapic_mmio_read(struct vlapic *vl, uint32_t offset, unsigned size,
				    uint32_t *value);
enum vlapic_status vlapic_mmio_write(struct vlapic *vl, uint32_t offset, unsigned size,
				     uint32_t value);
/*
 * RDMSR/WRMSR of the x2APIC MSRs 0x800–0x8FF (§11.12.1.2, Table 11-6), IA32_TSC_DEADLINE (0x6E0)
 * and, for convenience, IA32_APIC_BASE (0x1B). VLAPIC_GP for: x2APIC MSRs outside x2APIC mode;
 * reserved MSRs (including 0x809 APR, 0x80C RRD, 0x80E DFR, 0x831); writes to read-only ones
 * (ID, version, PPR, LDR, ISR, TMR, IRR, current count); reads of write-only ones (EOI 0x80B,
 * SELF_IPI 0x83F); writes that set reserved bits (a non-zero EOI or ESR write, TPR bits 63:8,
 * ICR bits 31:20/17:16/13, ...); any other MSR. ICR (0x830) is one 64-bit register, destination
 * in bits 63:32. IA32_TSC_DEADLINE works in both APIC modes: writes are ignored and reads return
 * 0 unless the LVT timer is in TSC-deadline mode.
 */
enum vlapic_status vlapic_msr_read(struct vlapic *vl, uint32_t msr, uint64_t *value);
enum vlapic_status vlapic_msr_write(struct vlapic *vl, uint32_t msr, uint64_t value);
/*
 * The APIC-write VM exit (trap-like; SDM Vol. 3C §30.4.3.3 "APIC-Write VM Exits"): the CPU has
 * already stored the guest's value in the page at `offset` (the exit qualification); the model
 * applies that register's side effects with the same handler the other paths use and rewrites
 * the page with the architectural value (reserved bits cleared, LVT masks forced while software-
 * disabled, ESR latched, ICR sent, timer started, ...). In x2APIC mode offset 0x300 is the
 * 64-bit ICR (destination at 0x304). Not called for the offsets the CPU virtualizes itself with
 * virtual-interrupt delivery (TPR 0x80, EOI 0xB0, SELF_IPI 0x3F0); if it is (APIC-register
 * virtualization without virtual-interrupt delivery exits on them), they are handled too.
 */
void vlapic_apic_write_done(struct vlapic *vl, uint32_t offset);

/* TPR through CR8 (§11.8.6 "Task Priority in IA-32e Mode": CR8[3:0] = TPR[7:4]), which works in
 * both APIC modes; the caller converts between CR8 and TPR. Same handler as the TPR register. */
uint8_t vlapic_tpr(const struct vlapic *vl);
void vlapic_set_tpr(struct vlapic *vl, uint8_t tpr);
/* The processor priority (§11.8.3.1 "Task and Processor Priorities") from the TPR and ISR as they
 * are now: not the page's PPR, which the CPU may have left stale in tpr-shadow mode. Read-only;
 * for lowest-priority arbitration by the APIC bus (apicv/apic_bus.c). */
uint8_t vlapic_ppr(const struct vlapic *vl);

/* ---- interrupt acceptance and priority (§11.8) ---------------------------------------------- */

/*
 * A fixed interrupt arrives (vIOAPIC, MSI, posted-descriptor drain, another vCPU's IPI):
 * `level` sets the vector's TMR bit, edge clears it (§11.8.4 "Interrupt Acceptance for Fixed
 * Interrupts"). Vectors 0–15 are not accepted: ESR bit 6 "Receive Illegal Vector" instead.
 * Discarded (counted) while the APIC is hardware- or software-disabled. Returns whether the
 * vector was latched into IRR: a vIOAPIC sets a pin's remote IRR only when some APIC took it.
 */
bool vlapic_set_irq(struct vlapic *vl, uint8_t vector, bool level);
/* The highest IRR vector whose priority class (bits 7:4) exceeds PPR[7:4], or -1 (also when
 * hardware-disabled). Emulate/tpr-shadow modes: whether to inject or open a window. */
int vlapic_pending_interrupt(const struct vlapic *vl);
/*
 * The INTA cycle at injection: returns the vector to deliver and moves it IRR → ISR (PPR
 * updated); the spurious vector (SVR bits 7:0; ISR untouched) if the highest IRR vector is
 * masked by the PPR at this moment (§11.9 "Spurious Interrupt"); -1 if nothing is pending.
 */
int vlapic_acknowledge(struct vlapic *vl);
/* Highest vector set in IRR / ISR, -1 if none: RVI and SVI for virtual-interrupt delivery. */
int vlapic_highest_irr(const struct vlapic *vl);
int vlapic_highest_isr(const struct vlapic *vl);
/*
 * The EOI-induced VM exit (SDM Vol. 3C §30.1.4 "EOI Virtualization"): the CPU has already
 * cleared `vector` in ISR and updated PPR and SVI in the page; the model does the rest (LINT
 * remote IRR, ops->eoi_level for a level vector without broadcast suppression, counters).
 */
void vlapic_virtual_eoi_done(struct vlapic *vl, uint8_t vector);
/*
 * The vectors whose EOI the hypervisor must see (the VMCS EOI-exit bitmap, vector v = bit v % 64
 * of bitmap[v / 64]): those with their TMR bit set, i.e. accepted level-triggered. The caller
 * refreshes the VMCS copy before each VM entry, since vlapic_set_irq changes TMR.
 */
void vlapic_eoi_exit_bitmap(const struct vlapic *vl, uint64_t bitmap[4]);

/* ---- local interrupts, IPIs ----------------------------------------------------------------- */

/*
 * The level of LINT0 (`pin` 0) or LINT1 (`pin` 1) changed or was re-asserted (vPIC output,
 * NMI source). Per the pin's LVT: fixed → vlapic_set_irq (edge on a rising edge; level-
 * triggered LINT0 sets the LVT's remote IRR on acceptance, cleared on the vector's EOI, and is
 * accepted again then if the line is still high; LINT1 is always edge, §11.5.1), NMI →
 * ops->nmi on a rising edge, ExtINT → ops->extint on every assertion (it is level-sensitive),
 * SMI → counted, masked → nothing. While the APIC is hardware-disabled the pins bypass it
 * (§11.4.3 "Enabling or Disabling the Local APIC"): LINT0 is INTR (ops->extint), LINT1 is NMI.
 */
void vlapic_set_lint(struct vlapic *vl, unsigned pin, bool asserted);
/*
 * Whether this vLAPIC is a target of `destination` (§11.6.2 "Determining IPI Destination"),
 * in this vLAPIC's current mode: physical (xAPIC: destination[7:0] = ID[31:24]; x2APIC: the
 * 32-bit ID), logical flat or cluster per DFR (xAPIC), logical cluster (x2APIC:
 * destination[31:16] = LDR[31:16] and a common bit in [15:0]); the broadcast destination (xAPIC
 * 0xFF, x2APIC 0xFFFFFFFF) matches in both destination modes. Never matches while hardware-
 * disabled. For the IPI router and IOAPIC/MSI routing; an 8-bit IOAPIC/MSI destination of
 * 0xFF aimed at an x2APIC-mode vLAPIC is to be passed as 0xFFFFFFFF by the caller.
 */
bool vlapic_match_destination(const struct vlapic *vl, uint32_t destination, bool logical);

/* ---- timer (§11.5.4 "APIC Timer", §11.5.4.1 "TSC-Deadline Mode") ------------------------------ */

/* Absolute TSC of the next timer expiry, 0 for none. The caller arms its own timer for it (and
 * re-reads it after ops->timer_changed). */
uint64_t vlapic_timer_deadline(const struct vlapic *vl);
/*
 * The caller's timer fired: called when now >= vlapic_timer_deadline() (an early call does
 * nothing). Delivers the LVT timer vector (edge) unless masked; periodic re-arms at deadline +
 * period (several periods late: one interrupt, the rest counted in timer_missed_ticks, next
 * deadline in the future); one-shot and TSC-deadline disarm (IA32_TSC_DEADLINE then reads 0).
 */
void vlapic_timer_expired(struct vlapic *vl);

/*
 * Timer offload (housekeeping=cpu0, as KVM's pi_inject_timer): another CPU keeps the time and
 * delivers the expiries, so the vCPU need not exit for them. The model stays the timer's owner
 * for everything the guest reads (current count, IA32_TSC_DEADLINE); what the other CPU needs
 * is the programming, which changes only with the guest's writes.
 */
struct vlapic_timer_programming {
	uint64_t programmed;     /* changes with every write that programs the timer (initial
				  * count, divide, LVT timer mode, IA32_TSC_DEADLINE, reset) */
	uint64_t deadline;       /* the next expiry, guest TSC; 0: disarmed */
	uint64_t period;         /* periodic mode: TSC cycles between expiries (clamped as the
				  * model clamps it); 0: fires once */
	uint32_t lvt;            /* the LVT timer entry: vector and mask (delivery is fixed, edge) */
};
void vlapic_timer_program(const struct vlapic *vl, struct vlapic_timer_programming *out);
/* Whether expiries are delivered elsewhere: then vlapic_timer_expired only moves the timer on
 * (one-shot and TSC-deadline disarm, periodic reloads) without an interrupt or a count. */
void vlapic_timer_offload(struct vlapic *vl, bool delivered_elsewhere);

#endif
