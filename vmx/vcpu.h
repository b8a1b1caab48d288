/* SPDX-License-Identifier: MIT */
/*
 * A virtual CPU: its saved general-purpose registers (shared with vmx/entry.asm), its VMCS and
 * everything its exit handlers keep. One physical CPU runs one vCPU; vcpu[i] is touched only by
 * physical CPU i.
 */
#ifndef APICVISOR_VCPU_H
#define APICVISOR_VCPU_H

#include "../apicv/delivery.h"
#include "../apicv/timer_offload.h"
#include "../boot/config.h"
#include "../devices/uart16550.h"
#include "../lib/klib.h"
#include "ept.h"
#include "stats.h"

#define MAX_CPUS 8
/* cpus= (boot/config.c) takes 1..CONFIG_MAX_CPUS: one vCPU per CPU it names. */
_Static_assert(MAX_CPUS == CONFIG_MAX_CPUS, "cpus= and the vCPU array disagree on the most CPUs");
/* Scenario records a vCPU keeps for the final report (a full ladder run has 64). */
#define VCPU_MAX_SCENARIOS 256

/* Guest GPRs that VMX does not keep in the VMCS. Layout pinned: vmx/entry.asm uses the
 * offsets below (checked by _Static_assert in vmx.c). */
struct vcpu_gprs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t cr2;
	/* Null hypercalls turned around by the entry stub; the C side folds the count into the
	 * statistics after the next slow exit. Written by entry.asm only. */
	uint64_t null_fast_path_count;
	/* Nonzero when the entry stub may turn a null hypercall around by itself: set by the C
	 * side before every entry (vmx_run). Zero when the guest is outside 64-bit mode, where RIP
	 * wraps at 4 GiB. */
	uint64_t null_fast_path_allowed;
	/* The TSC the VMX-preemption timer is loaded for at every entry, C path and stub alike
	 * (0: none, the timer runs its full range): the earlier of the watchdog's and the timers'
	 * deadlines. Each entry loads (deadline - TSC) >> timer_shift, since the timer counts
	 * only in VMX non-root operation (SDM Vol. 3C §26.5.1 "VMX-Preemption Timer"): a count
	 * carried across exits would make every deadline late by the root-mode time between. */
	uint64_t timer_deadline;
	uint64_t timer_shift;         /* IA32_VMX_MISC[4:0]: the timer ticks when TSC bit X does */
};

#define VCPU_GPRS_RAX 0
#define VCPU_GPRS_RDI 40
#define VCPU_GPRS_CR2 120
#define VCPU_GPRS_NULL_FAST_PATH 128
#define VCPU_GPRS_NULL_FAST_PATH_ALLOWED 136
#define VCPU_GPRS_TIMER_DEADLINE 144
#define VCPU_GPRS_TIMER_SHIFT 152

/* The guest's memory and how it was loaded. Set up by boot/ before ExitBootServices. */
struct guest {
	uint8_t *ram;                 /* host pointer of guest-physical 0 (identity-mapped) */
	uint64_t ram_bytes;
	uint64_t ept_pointer;         /* EPTP value (PML4 address, walk length, memory type) */
	uint32_t entry;               /* the kernel's 32-bit entry point */
	bool is_linux;                /* a bzImage (boot/linux.h), else a multiboot kernel */
	uint32_t info_gpa;            /* multiboot information structure: EBX at entry */
	uint32_t boot_params_gpa;     /* Linux's boot_params: ESI at entry */
	const char *path;
	const char *args;
};

/*
 * What other CPUs hand a vCPU: set with locked operations by any CPU, taken by the vCPU's own
 * CPU before each VM entry (apic_before_entry, vmx_run). The vLAPIC model is touched by its own
 * CPU only; this is how the others reach it (a software posted-interrupt descriptor for the
 * modes without one, plus the events the SDM delivers to a CPU as a whole).
 */
struct vcpu_inbox {
	uint64_t edge[4];             /* fixed interrupts, edge-triggered: bit = vector */
	uint64_t level[4];            /* fixed interrupts, level-triggered (TMR set on acceptance) */
	uint32_t events;              /* VCPU_EVENT_* */
	uint32_t sipi_vector;         /* with VCPU_EVENT_SIPI: the start-up IPI's vector */
	uint32_t mode;                /* with VCPU_EVENT_MODE: the delivery mode to switch to */
};

#define VCPU_EVENT_NMI (1u << 0)
#define VCPU_EVENT_INIT (1u << 1)
#define VCPU_EVENT_SIPI (1u << 2)
#define VCPU_EVENT_STOP (1u << 3)     /* the run is over: leave the run loop */
#define VCPU_EVENT_MODE (1u << 4)     /* the guest switched the delivery mode (SET_MODE) */
#define VCPU_EVENT_DEVICES (1u << 5)  /* vCPU 0: a device's timer or the 8259's INTR changed on
				       * another CPU (platform_irq_sync) */

/* Where a vCPU's CPU is, for senders deciding whether to kick it (vcpu.where). */
enum vcpu_where {
	VCPU_IN_ROOT,                 /* in root mode, about to check its inbox again */
	VCPU_IN_GUEST,                /* entering or in VMX non-root operation: kick to reach it */
	VCPU_WAITING,                 /* halted in root mode (wait-for-SIPI): kick to wake it */
};

struct vcpu {
	struct vcpu_gprs gprs;        /* first: entry.asm finds it through the pointer it saved */
	unsigned id;
	struct vcpu *self;            /* at %gs:offsetof(self) on its CPU: vcpu_current() */
	uint32_t host_apic_id;        /* the physical CPU it runs on: where kicks go */
	struct vcpu_inbox inbox;
	uint32_t where;               /* enum vcpu_where, written by its own CPU */
	bool waiting_for_sipi;        /* after INIT (or from the start, APs): held in root mode */
	bool stopped_by_others;       /* left the run loop because the run ended elsewhere */
	struct guest *guest;
	void *vmcs;                   /* 4 KiB region, physical == virtual */
	/* Its own MSR bitmap: which x2APIC MSRs exit follows this vCPU's APIC mode and delivery
	 * mode (apicv/delivery.c), which may differ from another vCPU's for a while (an AP just
	 * started in xAPIC mode while the BSP runs in x2APIC mode). */
	void *msr_bitmap;
	bool launched;                /* VMLAUNCH done: later entries use VMRESUME */

	/* Guest state VMX does not hold for us. */
	uint64_t efer;                /* as the guest wrote it, LMA computed by us */
	uint64_t misc_enable;         /* IA32_MISC_ENABLE as this vCPU reads it */
	/* Machine-check architecture with one bank (platform.c): what the guest wrote. */
	struct {
		uint64_t mcg_status;
		uint64_t ctl, status, addr, misc;   /* bank 0 */
	} mca;
	/* The guest's TSC is the host's plus this (VMCS TSC offset, "use TSC offsetting"): a WRMSR
	 * of IA32_TSC sets it. Guest-TSC values (the vLAPIC's clock, TSC-deadline) and host ones
	 * (the preemption timer, the PIT, statistics) convert through it (vcpu_guest_tsc). */
	uint64_t tsc_offset;
	uint64_t tsc_adjust;          /* IA32_TSC_ADJUST as the guest reads it (0 at reset) */
	/* XCR0 is not part of the VMCS: the guest's is loaded before each VM entry and the host's
	 * after each VM exit (vmx_run), as KVM does, when the CPU has XSAVE. Root mode itself uses
	 * no x87/SSE/AVX state (-mgeneral-regs-only), so the guest's extended state stays in the
	 * registers untouched; only XCR0, which decides what XSAVE and the UEFI runtime see, is
	 * switched. Set by the XSETBV handler (guest) and vmx_cpu_on (host). */
	bool xsave;                   /* the CPU has XSAVE: XCR0 exists and is switched */
	uint64_t guest_xcr0;
	uint64_t host_xcr0;
	bool xcr0_switched;           /* the guest's XCR0 is in the CPU (from entry to exit) */
	bool guest_osxsave;           /* the guest's CR4.OSXSAVE (owned: set by the CR4 handler) */
	uint16_t vpid;                /* the VPID tagging this vCPU's TLB entries, 0: VPID off */

	/* The virtual LAPIC and how interrupts reach it (apicv/delivery.c). */
	struct vlapic *vlapic;
	enum apicvisor_mode apic_mode;           /* in effect */
	enum apicvisor_mode apic_mode_requested; /* asked for; re-applied on APIC mode changes */
	struct apic_pages apic_pages;
	struct ept_pool ept_pool;     /* its EPT root and the tables it made its own */
	uint64_t eptp;                /* its EPT root (ept_private_root): the VMCS's EPTP */
	bool apic_page_changed;       /* EPT at apic_mapped_base holds the APIC page or a hole */
	uint64_t apic_mapped_base;    /* that GPA (any page, 0 included) */
	int apic_page_map;            /* what is mapped there (apicv/delivery.c) */
	uint64_t eoi_exit_bitmap[4];  /* as last written to the VMCS */
	bool pi_hardware;             /* posted mode with the CPU's posted-interrupt processing */
	bool pir_draining;            /* software drain of PIR into vIRR in progress */
	bool pi_notified;             /* a notification to itself is pending for this entry */
	bool nmi_pending;             /* an NMI waits for the NMI window */
	bool timer_dirty;             /* a timer deadline changed: reload the preemption timer */
	/* housekeeping=cpu0: the vLAPIC timer's expiries come from the housekeeping CPU, which
	 * runs this record (apicv/timer_offload.h); the VMX-preemption timer ignores the vLAPIC. */
	bool timer_offloaded;
	struct timer_offload timer_offload;
	struct apic_stats apic_stats;

	/* The VMX-preemption timer brings the CPU back at the earlier of the `timeout=` watchdog
	 * deadline (the guest is then stopped; one for all vCPUs, from vCPU 0's first entry: 0
	 * until then, or with no watchdog; vmx/run.c) and the timers' (gprs.timer_deadline,
	 * recomputed when timer_dirty says one moved). */
	bool preemption_timer;        /* the CPU has the timer */
	uint64_t watchdog_deadline_tsc;
	uint64_t timer_slice_end;     /* the slice a past deadline gave the guest (0: none) */

	/* Statistics: written on this vCPU's exit path only. */
	struct exit_stats stats;
	uint64_t null_fast_path_accounted;
	uint64_t first_entry_tsc, end_tsc;
	uint64_t msr_gp_injected;
	uint64_t host_nmis;           /* NMI exits: host NMIs while the guest ran */
	uint64_t io_unhandled;

	/* Guest scenarios (hypercalls BEGIN/REPORT/END). */
	struct scenario_result *scenarios; /* VCPU_MAX_SCENARIOS entries, allocated at boot */
	unsigned scenario_count;
	bool in_scenario;
	uint64_t scenario_checkpoints; /* checkpoint VMCALLs since BEGIN */
	struct apic_stats scenario_apic_snapshot; /* apic_stats at BEGIN */
	uint64_t scenario_remote_irr_clears;      /* the IOAPIC's count at BEGIN */

	/* How and why the guest stopped. */
	enum guest_end end;
	uint32_t exit_value;
	char end_detail[192];

	/* COM1 as the guest sees it. */
	struct uart16550 uart;
};

extern struct vcpu vcpus[MAX_CPUS];
/* vCPUs in this run: vcpus[0..vcpu_count-1], one per CPU used (boot/main.c). */
extern unsigned vcpu_count;
/* Whether CPUs other than a vCPU's own deliver to it: more than one vCPU, or a housekeeping
 * CPU. Without (one vCPU alone) the exit path skips the inbox, kicks, SN and the devices'
 * lock. Final before the guest runs. */
extern bool vcpus_concurrent;

/* The vCPU of the CPU this runs on (its GS base points at it in root mode). */
struct vcpu *vcpu_current(void);
/* Makes `v` this CPU's vCPU (before its VMCS is built: the host GS base goes into it). */
void vcpu_make_current(struct vcpu *v);

/* ---- the vCPU's state as handlers use it (vmx/vcpu.c) ------------------------------------- */

/* What an exit handler tells the run loop. */
enum exit_action {
	EXIT_ACTION_RESUME,
	EXIT_ACTION_STOP,             /* the guest is done (v->end says how) */
};

/* Ends the guest: records how, prints the one-line reason. */
enum exit_action vcpu_stop(struct vcpu *v, enum guest_end end, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* Architectural exception vectors the hypervisor injects. */
#define VECTOR_DB 1
#define VECTOR_UD 6
#define VECTOR_GP 13
#define VECTOR_PF 14

/* Queues a hardware exception for the next VM entry (SDM Vol. 3C §27.6 "Event Injection"). */
void vcpu_inject_exception(unsigned vector, bool has_error_code, uint32_t error_code);
/* Completes an emulated instruction: RIP += exit instruction length, STI/MOV-SS blocking
 * cleared, a pending single-step trap raised when RFLAGS.TF was set. */
void vcpu_skip_instruction(void);
/* The same for an instruction of `length` bytes decoded by the hypervisor (the exit's
 * instruction-length field is not defined for EPT violations). */
void vcpu_advance_rip(uint64_t length);

/* CR0 and CR4 as the guest sees them (read shadow for the bits the hypervisor owns). */
uint64_t vcpu_guest_cr0(void);
uint64_t vcpu_guest_cr4(void);
/* The guest's current privilege level (SS.DPL, SDM Vol. 3C §25.4.1). */
unsigned vcpu_guest_cpl(void);
/* Whether the guest runs 64-bit code: IA-32e mode and CS.L (elsewhere RIP wraps at 4 GiB and
 * operands of MOV to CR are 32 bits). */
bool vcpu_in_64bit_mode(void);
/* An NMI is pending and not blocked by NMI: it can end a HLT. */
bool vcpu_nmi_deliverable(const struct vcpu *v);

/* General-purpose register by the SDM's encoding (0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, 5 RBP,
 * 6 RSI, 7 RDI, 8-15 R8-R15), as used in exit qualifications. */
uint64_t vcpu_read_gpr(struct vcpu *v, unsigned index);
void vcpu_write_gpr(struct vcpu *v, unsigned index, uint64_t value);

#endif
