/* SPDX-License-Identifier: MIT */
/*
 * The test guest's scenarios, run by name from the command line.
 *
 * Under apicvisor every scenario is bracketed by HC_SCENARIO_BEGIN(name) and
 * HC_SCENARIO_END(0 or failure code), with HC_REPORT(key, value) for its figures in between, so
 * that the hypervisor can attribute its exit statistics to the scenario. The hypervisor counts
 * every exit in between but the REPORTs, console output included, so a scenario prints nothing
 * (hello's display of the boot information is its work): its figures and notes on what differed
 * are kept and printed after SCENARIO_END. Each prints "scenario NAME: pass", "scenario NAME:
 * FAIL (reason)" or "scenario NAME: skipped (why)", then its figures ("  key = value") and
 * notes ("  text"). A scenario may have a prepare step, run before BEGIN so that its exits are
 * not the scenario's; a skipped scenario has no BEGIN and END.
 *
 *   hello            shows the multiboot information; passes when the memory information is there
 *                    and, where the loader passed modules (flag bit 3 and mods_count > 0), each
 *                    lies in memory the map reports available, starts at a page boundary and
 *                    has a NUL-terminated string there. Figures mem_lower_kib, mem_upper_kib,
 *                    mmap_entries, modules (only with modules)
 *   vmcall *         times n HC_PING round trips (the full exit path); figures iterations,
 *                    cycles_per_vmcall
 *   null *           times n HC_NULL round trips (the bare exit and entry); figures iterations,
 *                    cycles_per_null_exit
 *   bad-hypercall *  an unknown function number returns -ENOSYS
 *   cpuid-filter *   CPUID.1 shows no VMX but the hypervisor bit, the APIC (EDX[9]), x2APIC
 *                    (ECX[21]) and the TSC-deadline timer (ECX[24]); leaf 0xA (PMU) is all
 *                    zero; leaf 0x40000000 is apicvisor's signature
 *   msr-gp *         RDMSR of the x2APIC ID (802H) in xAPIC mode and of IA32_MTRRCAP (FEH, MTRRs
 *                    not in CPUID) raise #GP(0); RDMSR of EFER shows LME and LMA; figure
 *                    gp_faults (2)
 *   cr4-vmxe *       CR4.VMXE reads as 0; setting it raises #GP(0) and leaves CR4 as it was
 *
 * The local APIC scenarios (scenario_apic_kit.h says how they start and end) run on any CPU with
 * an APIC, apicvisor's virtual one or a real or emulated one; each checks that every interrupt
 * arrived exactly once, in the order the architecture gives, none nested, and reports the
 * figure interrupts (the number that arrived). An interrupt an earlier scenario left pending
 * that arrives in the prepare step fails the scenario before BEGIN, and an arrival log that
 * overflowed (more than 256 interrupts: the first ones cannot be checked) fails it too. Every
 * fixed interrupt's handler writes EOI once (xAPIC: MOV to offset B0H; x2APIC: WRMSR 80BH).
 * The APIC accesses of each, between BEGIN and END (MMIO: 32-bit MOV to or from the xAPIC
 * page):
 *   self-ipi-x2apic  x2APIC mode (skipped without it): n times a WRMSR of SELF IPI (83FH) with
 *                    vectors 32-254 in turn, each awaited before the next
 *   self-ipi-xapic-shorthand  as above in xAPIC mode, each IPI one ICR-low write (fixed, self
 *                    shorthand)
 *   self-ipi-xapic-dest  as above, each IPI an ICR-high write (own APIC ID) and an ICR-low write
 *                    (fixed, physical, no shorthand)
 *   timer-periodic   min(n, 20) ticks of a periodic timer (divide by 1, initial count 50000 or,
 *                    where CPUID.15H gives the crystal's ratio and a TSC frequency, the count
 *                    of 250 us of the crystal if more: apicvisor's periodic minimum is 200 us;
 *                    under Bochs, ~4 MHz, it stays 50000):
 *                    LVT timer and initial count written; the last tick's handler writes the
 *                    initial count 0 and reads IRR[3] (vector 0x70); a tick already pending
 *                    then is due too (noted). Rate: with P = the count in TSC cycles (count x
 *                    divide x CPUID.15H EBX/EAX, SDM Vol. 3A §11.5.4: the timer counts the
 *                    core crystal clock), tick i (from 0) must arrive (its handler's first
 *                    RDTSC) no earlier than (i + 1) P after the RDTSC just before the
 *                    initial-count write (early fails) and at most P / 2 later than that
 *                    (late fails: the slack is for the arming exit and the delivery, 1000-5000
 *                    TSC cycles under Bochs; P / 2 still catches twice the period). Not
 *                    checked, and noted, where leaf 15H gives no ratio (plain QEMU). Prepare
 *                    also reads CPUID 0 and 15H-16H. Figures ticks, expected_cycles,
 *                    cycles_to_first_tick, period_cycles_min, period_cycles_max (between
 *                    arrivals), cycles_late_max
 *   timer-oneshot    one-shot timer (initial count 20000): LVT timer and initial count written,
 *                    one interrupt, current count read (must be 0). Rate as timer-periodic's
 *                    for its one interrupt: due count x divide x EBX/EAX TSC cycles after the
 *                    RDTSC before the initial-count write, not earlier, at most half that
 *                    later. Figures cycles_to_interrupt, expected_cycles
 *   timer-poll       one-shot timer (timer-oneshot's count) awaited by reading port 80H with
 *                    IF = 1, at most 10^6 reads: one interrupt. Figure polls
 *   timer-mode-change  one-shot armed with 40 times timer-periodic's count, current count
 *                    read, LVT switched to periodic, current count read (not 0, not above the
 *                    first);
 *                    two interrupts (the count's end, one reload); LVT back to one-shot; one
 *                    more (the period under way), then a quiet spell. Figures count_before,
 *                    count_after
 *   timer-tsc-deadline  (skipped without CPUID.1:ECX[24]) LVT timer written, MFENCE, WRMSR of
 *                    IA32_TSC_DEADLINE (6E0H) now + 20000 cycles; one interrupt, not before the
 *                    deadline and at most 10000 cycles (half the delta) after it; RDMSR of 6E0H
 *                    (must be 0). Figure cycles_late
 *   tpr-mask         TPR 0x80, ICR-low write (self, vector 0x80): must not arrive; IRR[4] read
 *                    (must hold it); TPR 0x70: arrives once
 *   priority-order   IF = 0, 6 ICR-low writes (self, vectors of 6 classes), STI: highest
 *                    first. Then EOIs off: ICR-low 0x92 (arrives), 0x63 (held back by 0x92 in
 *                    service), 0xB6 (arrives), EOI, EOI (0x63 arrives, its handler EOIs)
 *   esr-illegal-vector  ICR-low write (self, vector 5); ESR written then read: bit 5 (send
 *                    illegal vector) set, bit 6 allowed, no other; nothing arrives. Figure esr
 *   nmi-nested       IF = 0; NMI to own APIC ID (ICR high + ICR low); its handler sends two
 *                    more the same way: exactly one more NMI, after the first handler's IRET
 *                    (6 writes, no EOI)
 *   irq-window       IF = 0: ICR-low write (self, 0x51), IRR[2] read (must hold it); STI;CLI
 *                    (nothing); STI;NOP (0x51 arrives right after the NOP); STI;ICR-low write
 *                    (self, 0x52: arrives right after the write)
 *   hlt-wakeup       IF = 0: ICR-low write (self, 0x61), LVT timer and initial count (a
 *                    one-shot safety net), STI;HLT (0x61 arrives right after the HLT), initial
 *                    count 0; then LVT timer and initial count 5000, STI;HLT (the timer's 0x62
 *                    arrives right after it). Figure cycles_to_timer_wakeup
 *   ipi-shorthand-all  N = min(n, 20) rounds of: ICR-low write (fixed, shorthand all including
 *                    self, 0x58: arrives, awaited), ICR-low write (all excluding self, 0x59:
 *                    with one CPU reaches nobody); then IRR[2] read (0x59 must not be there).
 *                    N interrupts, all 0x58
 *
 * The platform interrupt scenarios (scenario_irq_kit.h) drive the I/O APIC, the 8259 pair, the
 * PIT and COM1 the way QEMU's pc machine wires them, so they also run under plain QEMU with
 * "-device pc-testdev"; like the APIC scenarios they check that every interrupt arrived once,
 * in order, none nested, and report the figure interrupts. Their prepare step (not counted)
 * reads the I/O APIC's VER, masks all its pins, initializes the 8259 pair (bases 30H/38H, all
 * masked), lowers test device lines 5, 10 and 11 and runs the xAPIC prepare. "RTE p := v" is 4
 * MMIO writes (IOREGSEL, IOWIN high dword, IOREGSEL, IOWIN low dword), "mask p" and "unmask p"
 * 2 (IOREGSEL, IOWIN low dword), "remote IRR p" 2 (IOREGSEL write, IOWIN read); every entry
 * is fixed, physical, to the own APIC ID, active high. "pulse g" is OUT8 to 2100H + g under
 * apicvisor, OUT8 1 then 0 to 2000H + g under QEMU; "line g := v" is OUT8 v to 2000H + g.
 * Fixed interrupts' handlers write the APIC EOI (B0H) as above. A failing run may make more
 * accesses (a pin or IRQ that keeps interrupting is masked from its handler). Between BEGIN
 * and END:
 *   ioapic-edge      RTE 10 := 0x40 edge; N = min(n, 20) times: pulse 10, awaited (1
 *                    interrupt each). apicvisor only: LVT timer (one-shot, 0x4F) and initial
 *                    count (a safety net), OUT32 2200H (100000 cycles), OUT8 2204H (10),
 *                    STI;HLT (woken by 0x40 right after the HLT, not before the delay), initial
 *                    count 0. Then mask 10. N interrupts (N + 1 under apicvisor). Figures
 *                    cycles_to_delayed_wakeup (apicvisor), pulses
 *   ioapic-edge-masked  RTE 10 := 0x40 edge masked; N = min(n, 20) pulses 10 (nothing
 *                    arrives); unmask 10 (nothing arrives); pulse 10 (one 0x40); mask 10.
 *                    Figure masked_pulses
 *   ioapic-level     RTE 11 := 0x48 level; line 11 := 1 (0x48 arrives, its handler writes no
 *                    EOI); remote IRR 11 (must be 1); line 11 := 0, line 11 := 1 (coalesced);
 *                    APIC IRR read (offset 220H: 0x48 must not be there); EOI from the main
 *                    flow (0x48 arrives again, its handler does line 11 := 0 before its EOI);
 *                    remote IRR 11 (must be 0); mask 11, line 11 := 1 (nothing arrives),
 *                    unmask 11 (0x48 arrives a third time, handler line 11 := 0 and EOI); mask
 *                    11. 3 interrupts
 *   ioapic-priority  IF = 0: RTE 10 := 0x50 edge, RTE 11 := 0x90 edge, pulse 10, pulse 11;
 *                    STI: 0x90 then 0x50; mask 10, mask 11
 *   msi *            OUT32 2210H (0xFEE00000 | APIC ID << 12), OUT32 2214H (0x60: fixed,
 *                    edge); n times an OUT8 to 2218H, each 0x60 awaited before the next
 *   ioapic-directed-eoi  (skipped without an I/O APIC EOI register, version 20H, or without
 *                    EOI-broadcast suppression, APIC version bit 24: prepare reads VERSION)
 *                    SVR := 11FFH (bit 12: EOI-broadcast suppression); RTE 11 := 0x48 level;
 *                    the handler writes no EOI. Line 11 := 1 (0x48 arrives); line 11 := 1,
 *                    APIC EOI, remote IRR 11 (must still be 1: not broadcast), a 32-bit
 *                    MMIO write of 0x48 to the I/O APIC's EOI register (offset 40H; the line
 *                    is still high: 0x48 arrives again); line 11 := 0, APIC EOI, remote IRR
 *                    11 (must be 1), EOI register := 0x48, remote IRR 11 (must be 0); nothing
 *                    more arrives; mask 11; SVR := 1FFH (suppression off). 2 interrupts
 *   logical-destination  DFR := FFFFFFFFH (flat), LDR := 02000000H, then for destinations
 *                    04H and 01H (no match) and 02H (match): ICR high (destination) and ICR
 *                    low (fixed, logical, 0x78), RTE 10 := 0x7C edge, logical destination,
 *                    pulse 10; the match's IPI and pulse arrive (each awaited), the others
 *                    must not (a quiet spell each). Then DFR := 0FFFFFFFH (cluster), LDR :=
 *                    12000000H (cluster 1, member bit 1) and the same with 14H and 22H (other
 *                    member, other cluster: no match) and 12H (match). Then mask 10, DFR :=
 *                    FFFFFFFFH, LDR := 0. 4 interrupts
 *   pic-extint       LVT LINT0 := ExtINT (700H), OUT8 21H := DFH (IRQ 5 only); N = min(n, 20)
 *                    rounds of: IF = 0, line 5 := 1 (first round only: OUT8 20H := 0AH and IN8
 *                    20H, IRR bit 5 must be set), STI (vector 35H from the 8259 after the
 *                    shadow; its handler writes OUT8 20H := 20H, the non-specific EOI, and no
 *                    APIC EOI), a quiet spell with the line still high (nothing more: edge),
 *                    CLI, line 5 := 0. Then OUT8 20H := 0BH and IN8 20H (ISR must be 0), OUT8
 *                    21H := FFH, LVT LINT0 := masked. Prepare also clears bit 5 of ELCR1
 *                    (IN8 and OUT8 4D0H)
 *   ioapic-extint *  as pic-extint, with I/O APIC pin 0 in ExtINT mode (RTE 0 := ExtINT,
 *                    physical, own APIC ID, vector field 0x9A, which must not be used) in
 *                    place of LVT LINT0, which stays masked: the 8259's vector 35H arrives, no
 *                    APIC EOI. RTE 0 written first, mask 0 at the end (no LVT LINT0 write).
 *                    apicvisor only: QEMU's pc machine does not drive pin 0 from the 8259
 *   pit-periodic     OUT8 43H := 34H, 40H := A9H, 40H := 04H (counter 0, mode 2, count 1193:
 *                    1 ms); RTE 2 := 0x68 edge (IRQ 0 through the override); N = min(n, 10)
 *                    ticks, the N-th's handler does mask 2 and an APIC IRR read (230H) before
 *                    its EOI (a tick pending then is due too, noted); 3 more periods of nothing;
 *                    OUT8 43H := 30H (mode 0, no count: stopped). Prepare also writes that
 *                    stop. Rate: the mean period between the first and the last wanted
 *                    tick's arrivals must be within 10% of 1193 / 1.193182 MHz in TSC cycles
 *                    (TSC rate from CPUID 15H, else 16H; not checked, and noted, without one):
 *                    one tick's delivery can come ~2000 cycles late under Bochs, whose 1 ms
 *                    is ~4000 cycles, ~5.5% of the 9 periods measured. Prepare also writes
 *                    that stop and reads CPUID 0 and 15H-16H. Figures cycles_per_tick (the
 *                    mean), expected_cycles_per_tick, period_cycles_min, period_cycles_max,
 *                    ticks
 *   uart-irq         RTE 4 := 0x64 edge; OUT8 3F9H := 02H (IER.ETBEI: one interrupt, whose
 *                    handler does IN8 3FAH: IIR bits 3:0 must be 0010b, THR empty); OUT8 3F9H
 *                    := 00H; mask 4. The receive interrupt is not tried (no COM1 input).
 *                    Prepare polls LSR, writes IER := 0, sets MCR.OUT2 (IN8, OUT8 3FCH) and
 *                    reads IIR
 *   rtc-uip          register A polled (OUT8 70H, IN8 71H) until UIP is clear; the seconds
 *                    read (register 0 and B for the format: 4 port accesses); polled until UIP
 *                    is set, then clear; the seconds again: one more. Figures polls_uip_clear,
 *                    polls_uip_set, seconds_before, seconds_after
 *   rtc-periodic     pin 8 opened; min(n, 10) ticks, each handler reading C (IRQF and PF must
 *                    be set; the last masks pin 8); B and A restored, C read, mask 8; the mean
 *                    period within 10% of 7.8125 ms in TSC cycles. Prepare reads C, sets A's
 *                    rate := 1001b (128 Hz), RTE 8 := 0x69 edge masked, reads C, sets B.PIE and
 *                    polls C until PF shows (a tick just passed, so that every counted tick
 *                    comes from the RTC's timer). Figures ticks, cycles_per_tick,
 *                    expected_cycles_per_tick
 *
 * The HPET scenarios (scenarios_hpet.c) find the event timer block through the ACPI HPET table
 * (a skip without one). Prepare: the I/O APIC scenarios' prepare, the PIT stopped, the HPET's
 * counter halted and zeroed, every timer's configuration zeroed (one write each). Each ends with
 * a quiet spell, its pins masked, and the same writes. hpet-oneshot and hpet-periodic first
 * write the General Configuration with LEG_RT set where their pin is 2 (QEMU 7.2: that mutes
 * the PIT, which QEMU keeps running), with 0 elsewhere, and keep that bit in its later writes.
 *   hpet-oneshot     the last timer: its pin (the lowest from 16 its route capability offers,
 *                    else the lowest it offers), RTE := 0x6A edge, configuration (route,
 *                    enabled, edge, one-shot), comparator := 1 ms of ticks, counter enabled: one
 *                    interrupt, not before 1 ms by the TSC. Figures timers, period_fs,
 *                    route_pin, cycles_to_interrupt
 *   hpet-periodic    timer 0 (periodic-capable), its pin, RTE := 0x6B edge, configuration
 *                    (route, enabled, periodic, VAL_SET), comparator written twice (20 ms: the
 *                    first expiry, then 10 ms: the period), counter enabled; min(n, 10)
 *                    interrupts, the first not before 20 ms; counter halted; the mean period
 *                    within 10% of 10 ms by the TSC. Figures ticks, cycles_to_interrupt,
 *                    cycles_per_tick, expected_cycles_per_tick
 *   hpet-legacy      LEG_RT set (counter halted: the PIT and the RTC muted); the PIT started at
 *                    mode 0, its one edge 1 ms on; RTEs 2 := 0x6C and 8 := 0x6D edge; timers 0 and 1
 *                    one-shot, enabled, comparators 1 ms and 2 ms; counter enabled with legacy
 *                    replacement: 0x6C then 0x6D, neither early, no PIT tick; quiet spell, pins 2
 *                    and 8 masked, PIT stopped, the HPET stopped as in the others. Figures
 *                    cycles_to_interrupt, cycles_to_second. Under QEMU the PIT's OUT, high
 *                    after its edge, stays on pin 2 once LEG_RT is cleared (QEMU's 8254 does
 *                    not lower it at the control word that stops it), so the HPET scenarios
 *                    that use pin 2 there (QEMU 7.2 routes timers only to it) come before
 *                    this one
 *
 * The MMIO instruction scenarios (scenarios_mmio.c) put an operand in the iomem window of
 * QEMU's pc-testdev, 64 KiB of byte store at 0xFF000000 (apicvisor's with testdev=on; QEMU's
 * with -device pc-testdev), and compare with the same instruction on RAM. Prepare (both): one
 * 8-byte store and one 8-byte load at 0xFF00FFF8; a skip unless the load returns what was
 * stored. Between BEGIN and END (under apicvisor every access to the window is one EPT violation
 * except where said):
 *   mmio-alu         159 forms (ADD/OR/ADC/SBB/AND/SUB/XOR/CMP r/m,r and r,r/m in 4 sizes and
 *                    with imm8/imm16/imm32 immediates, TEST, NOT, NEG, INC, DEC, XCHG, CMPXCHG,
 *                    XADD, BT/BTS/BTR/BTC with a register (offsets 0-127) or an imm8, LOCKed
 *                    forms), each from 3 starting states: the 16-byte slot at 0xFF000040 written
 *                    with 2 8-byte stores, the instruction once on RAM and once on the slot,
 *                    the slot read with 2 8-byte loads: 5 accesses per run, 2385 in all.
 *                    Memory, RAX, RCX and the flags the SDM defines must agree. Figures forms,
 *                    runs, differ (0)
 *   mmio-string      REP MOVSB RAM->window (64 bytes) read back with 8 8-byte loads; REP
 *                    MOVSQ window->RAM; REP MOVSD window->window within a page and to another
 *                    page; REP STOSD (1 KiB); REP LODSQ; LODSB; REP MOVSB with DF = 1; PUSH
 *                    qword and word [window], POP qword [window] (read back with a load); REP
 *                    MOVSB of 256 bytes from RAM 64 bytes before a page end to the window 128
 *                    bytes before a page end; each copy into the window checked by one REP
 *                    MOVSB back into RAM. A REP string is one access per page it touches on
 *                    either side (the page-crossing copy three, its check two), 29 accesses in
 *                    all. Figure checks (the values compared)
 *
 * What the BIOS leaves (scenarios_bios.c; guest/bios_state.c reads it at the guest's entry,
 * before anything touches a device, then masks both 8259s and stops the PIT's channel 0 with a
 * mode 2 control word and no count):
 *   bios-state       no access of its own: the values read at entry against SeaBIOS's (8259
 *                    masks B8H/8EH, PIT channel 0 mode 2 and counting, APIC SVR 1FFH, LINT0
 *                    8700H, LINT1 8400H, BDA COM1 3F8H, 639 KiB, EBDA 9FC0H of 1 KiB, every
 *                    hardware IVT entry set, CMOS 15H 640 KiB and 17H/30H/34H against
 *                    multiboot's mem_upper). Figures pic_masks, pit0_mode, apic_svr,
 *                    apic_lint0, apic_lint1, com1, base_memory_kib, ebda_segment
 *   realmode-sti-hlt the page of guest/realmode_thunk.asm copied to the lowest free page below
 *                    640 KiB. Prepare: the 8259s initialised again as the BIOS does (ICW1-4,
 *                    the masks read at entry), APIC SVR, LINT0 and LINT1 as the BIOS leaves them,
 *                    the PIT's channel 0 in mode 2 with count 0. Then: compatibility mode,
 *                    CR0.PG and EFER.LME cleared, 16-bit protected mode, CR0.PE cleared, real
 *                    mode with the IVT at 0; STI, HLT, RDTSC, HLT, RDTSC, CLI (each HLT ended by
 *                    one BIOS tick: INT 08H, whose handler sends one EOI); back to 64-bit mode;
 *                    both 8259s masked and the PIT stopped (3 OUTs). The BDA tick count moved
 *                    by exactly 2; the second tick 65536 PIT clocks after the first, within 1%,
 *                    by the TSC (where CPUID gives its rate). Figures ticks, tick_us
 *
 * The device access scenarios (scenarios_access.c), for docs/ladder.md's "exits per access": 100
 * rounds of one access pattern each, the figure accesses the port or memory instructions made.
 *   access-pit       OUT 43H (latch counter 0), IN 40H twice: 300
 *   access-pic       IN 21H (the master's IMR): 100
 *   access-rtc       OUT 70H (register A), IN 71H: 200
 *   access-kbc       IN 64H (8042 status): 100
 *   access-uart      IN 3FDH (COM1 line status): 100
 *   access-pm-timer  IN32 608H (ACPI PM timer): 100
 *   access-sysctl    IN 92H (System Control Port A): 100
 *   access-hpet      32-bit read of the main counter at 0xFED000F0: 100
 *   access-ioapic    32-bit write of IOREGSEL (version), 32-bit read of IOWIN: 200
 *   access-iomem     32-bit read at 0xFF000000 (pc-testdev's iomem window): 100
 *
 * The firmware interface scenarios (scenarios_platform.c) read what an OS reads before it
 * drives a device; they pass under plain QEMU (tables from SeaBIOS) and under apicvisor (its
 * devices/acpi_tables.c and devices/fw_cfg.c). Between BEGIN and END:
 *   acpi-tables      memory reads only, then 2 IN32s: the RSDP searched as ACPI 6.5 §5.2.5.1
 *                    says (the EBDA segment at 40EH, the EBDA's first KiB where that points
 *                    between 500H and 9FC00H, then 0xE0000-0xFFFFF, 16-byte steps; checksum,
 *                    and the extended one from revision 2); the XSDT (revision 2 with one) or
 *                    the RSDT and every table it lists, then the FADT's DSDT and FACS: each in
 *                    one memory map entry that is not available RAM, whole below 4 GiB, of a
 *                    sane length and summing to 0. MADT: local APIC address 0xFEE00000, an
 *                    enabled Processor Local APIC with the guest's APIC ID, an I/O APIC at
 *                    0xFEC00000 with GSI base 0, ISA IRQ 0 overridden to GSI 2. FADT: the PM
 *                    timer's port (X_PM_TMR_BLK where present and not 0, else PM_TMR_BLK; 608H
 *                    on both platforms), read twice 2 ms apart by the TSC (IN32 each): it must
 *                    have advanced; against CPUID's TSC frequency (leaf 15H, else 16H) its rate
 *                    is figured, and fails where more than 2% off 3579.545 ticks per ms (both
 *                    reads are timed right after their IN, so their exits' cost cancels; not
 *                    checked, and noted, without a TSC frequency). No APIC
 *                    access: the prepare step (the xAPIC prepare, which reads the APIC ID, and
 *                    CPUID 0, 15H, 16H) does them. Figures rsdp_revision, tables, local_apics,
 *                    ioapics, pm_timer_port, pm_timer_ticks, pm_timer_ticks_per_ms (with a TSC
 *                    frequency)
 *   fw-cfg           OUT16 510H := 0000H and 4 IN8s from 511H (must be "QEMU"; nothing more
 *                    when not); OUT16 510H := 0005H and 2 IN8s (CPU count: 1 under apicvisor,
 *                    at least 1 under QEMU); OUT16 510H := 0003H and 8 IN8s (RAM size,
 *                    exactly: under apicvisor mem_upper KiB + 1 MiB and the end of the
 *                    available entry at 1 MiB; under QEMU, whose SeaBIOS map reserves the top
 *                    128 KiB of RAM, the end of the run of abutting entries from 1 MiB plus
 *                    the available RAM above 4 GiB); OUT16 510H := 0019H and 4 IN8s (the file
 *                    count, reported only). 4
 *                    OUT16s and 18 IN8s. Figures cpus, ram_mib, files
 *
 * The hardening scenarios (scenarios_hardening.c, issue 7) each check one defect the VMX layer
 * had. Between BEGIN and END:
 *   xsave-state *    (skipped without CPUID.1:ECX[26] XSAVE or with CR4.OSXSAVE already set;
 *                    prepare reads CPUID 0, 1, (0DH,0) and (0DH,i) for every component i >= 2
 *                    that EDX:EAX shows) XSETBV of 3 with CR4.OSXSAVE = 0 (#UD); MOV to CR4
 *                    setting OSXSAVE and OSFXSR; XGETBV (XCR0 at start, figure xcr0_at_start);
 *                    XSETBV of 5 (AVX without SSE) and of 1BH (MPX, not shown) each #GP(0),
 *                    XGETBV after each (unchanged); XSETBV of 3, XGETBV, CPUID (0DH,0): EBX
 *                    must be 576; with AVX XSETBV of 7, XGETBV, CPUID (0DH,0): EBX must be
 *                    where component 2 ends by its subleaf (832); where EDX:EAX shows more,
 *                    XSETBV of all of it, XGETBV, CPUID (0DH,0): EBX must equal ECX. ECX must
 *                    be the same in every read and no less than the furthest component's end
 *                    (figure xsave_size_all). Then YMM0 (XMM0 without AVX) loaded with a
 *                    pattern, CPUID leaf 0 and HC_PING, YMM0 stored: must be unchanged (figure
 *                    vector_bytes_checked); XSETBV of the XCR0 found at start, MOV to CR4 as
 *                    found
 *   tsc-write *      (xAPIC prepare; skipped without the TSC-deadline timer) RDMSR
 *                    IA32_TSC_ADJUST (3BH); WRMSR IA32_TSC (10H) := TSC + 2^40; RDTSC and
 *                    RDMSR 10H must read at least that and less than 10^6 cycles more (figure
 *                    cycles_after_write); RDMSR 3BH: moved by 2^40 less under 10^6; LVT timer
 *                    (TSC-deadline, 0x71), MFENCE, WRMSR IA32_TSC_DEADLINE := RDTSC + 20000:
 *                    one interrupt, not before the deadline, at most 10000 cycles after
 *                    (figure cycles_late); WRMSR IA32_TSC := RDTSC - 2^40 (back, with the time
 *                    spent). Figure interrupts
 *   cpuid-honest *   (skipped without leaves 0DH and 80000008H or XSAVE; IF = 0) CPUID 1,
 *                    (7,0), (0DH,0), (0DH,1), 80000008H: none of DTES64, xTPR, PDCM, MTRR,
 *                    SGX, MPX, PT, LA57, SGX_LC, IBRS/IBPB, STIBP, L1D_FLUSH,
 *                    ARCH_CAPABILITIES, SSBD, XCR0 bits 3-4, XSAVES; MAXPHYADDR (figure
 *                    maxphyaddr) in [36, 52]. RDMSR IA32_APIC_BASE; WRMSR of it with bit
 *                    MAXPHYADDR set (#GP(0)), with bit MAXPHYADDR - 1 set (taken), as read
 *                    (taken); no APIC access in between. MOV to CR4 setting LA57 (#GP(0), CR4
 *                    unchanged); MOV to CR4 setting OSXSAVE, XSAVES (#UD), MOV to CR4 as
 *                    found; RDMSR and WRMSR (0) of IA32_SPEC_CTRL (48H), IA32_RTIT_CTL (570H),
 *                    IA32_BNDCFGS (D90H), IA32_XSS (DA0H): #GP(0) each
 *   hlt-nmi-wakeup * (I/O APIC prepare as ioapic-edge's) RTE 10 := NMI delivery (100b),
 *                    physical, own APIC ID, edge, vector 0; OUT32 2200H (100000 cycles), OUT8
 *                    2204H (10); HLT with IF = 0: the NMI (vector 2, no EOI) must end it, its
 *                    handler interrupting the instruction after the HLT, not before the delay;
 *                    mask 10. Figures cycles_to_nmi_wakeup, interrupts (1)
 *   x2apic-broadcast-ff * (the I/O APIC prepare, then the x2APIC prepare; skipped without
 *                    x2APIC) RTE 10 := 0x41 edge, physical destination 0xFF; STI; pulse 10
 *                    (0x41 arrives, awaited); OUT32 2210H (0xFEEFF000: destination 0xFF),
 *                    OUT32 2214H (0x42), OUT8 2218H (0x42 arrives, awaited); CLI; mask 10.
 *                    The handler's EOIs are WRMSR 80BH. The APIC stays in x2APIC mode (the
 *                    next scenario's prepare sets the mode it needs). Figure interrupts (2)
 *   mmio-qword *     (the I/O APIC prepare; prepare also reads VER and RTE 10's high dword)
 *                    32-bit MOV IOREGSEL := 01H, 64-bit MOV from IOWIN: VER, bits 63:32 zero
 *                    (IOWIN's bytes 4-7 are no register); IOREGSEL := RTE 10 low, 64-bit MOV
 *                    to IOWIN of DEADBEEFH:00010044H; RTE 10 low read (must be 10044H) and
 *                    high read (must be as prepare read it: the high dword reached no
 *                    register); RTE 10 := masked. 64-bit MOV to the xAPIC TPR (80H) of
 *                    DEADBEEFH:30H; 32-bit TPR read (30H); 64-bit MOV from TPR (30H,
 *                    zero-extended); TPR := 0
 *   null-compat-rip-wrap * (IF = 0) SGDT, LGDT of a copy with one more descriptor: 32-bit code
 *                    (L = 0, D = 1) with base = the VMCALL's address + 3; far return to EIP
 *                    0xFFFFFFFD in it (compatibility mode), where HC_NULL's VMCALL ends at
 *                    0xFFFFFFFF; EIP wraps to 0, a RETF back to 64-bit mode; LGDT of the
 *                    original. RAX must be 0. Figure compat_eip
 *
 * The reliability suite (issue 7; scenarios_chaos.c, scenarios_isolation.c, figures and findings
 * in docs/reliability.md). Neither keeps to the exit counts of a description: they are about
 * surviving, not counting.
 *   chaos *          n operations (n=NUM) chosen by a seeded generator (xorshift64*; seed=NUM
 *                    anywhere on the command line, the last one counting, default 1; the same
 *                    seed gives the same run under Bochs), in batches of 100, each batch after
 *                    SET_MODE of a random mode (1 in 5 an invalid one, -EINVAL) with the APIC
 *                    software-enabled and TPR 0, IF = 1 during the batch. An operation is one
 *                    of: an xAPIC register access (any offset, 1/2/4/8 bytes, MOV, MOVZX,
 *                    MOVSX, MOVSXD, SIB, segment prefix, OR/AND/XOR/ADD, LOCK, STOS), an x2APIC
 *                    MSR 800H-8FFH read or write, an IA32_APIC_BASE write (EN, EXTD, BSP, bit 9
 *                    or a bit from 36 up), a fixed self-IPI or a self-NMI, IOAPIC IOREGSEL,
 *                    IOWIN, EOI register and the rest of its page, the 8259s and ELCR, the PIT,
 *                    COM1, fw_cfg 510H-51BH, ACPI PM 600H-60BH, the test device (lines, pulses,
 *                    delayed raise, MSIs to any address, COM1 receive), any port, MSRs (a list
 *                    of architectural ones and random indices: read, then written back or, for
 *                    MSRs the guest does not depend on, written with a random value and put
 *                    back), EFER, CR0, CR4, CR3, CR8 and XCR0 with bits flipped (put back when the
 *                    write took), CPUID of any leaf and subleaf, INT n for any n, the IDT
 *                    switched between two copies or a GDT copy with a random descriptor loaded
 *                    into FS, hypercalls (NULL, PING, GET_MODE, BEGIN inside a scenario, unknown
 *                    functions) and the instructions apicvisor hides or refuses (VMX, GETSEC,
 *                    MONITOR, MWAIT, RDPMC, INVD, WBINVD). Its own IDT counts every vector: an
 *                    exception must be at a fixup (anything else ends the run with the RIP), an
 *                    interrupt gets an EOI; after 64 events in a batch the sources are silenced
 *                    (APIC timer and LINTs, IOAPIC pins, 8259s, PIT, test device lines) and the
 *                    batch goes on with IF = 0. After each batch: the sources silenced and the
 *                    canaries checked (hashes of the code and read-only data, the page tables
 *                    without accessed/dirty bits, the GDT without accessed bits, the guest's
 *                    IDT and 0xE0000-0xFFFFF; patterns in a bss and a data array and in a page
 *                    of the stack). At the end everything chaos may have changed is put back
 *                    (APIC through the disabled state to its mode and ID, IOAPIC pins masked
 *                    with remote IRR cleared, 8259s initialized, ELCR, COM1 line settings, PAT,
 *                    EFER, CR0, CR4, CR8, the guest's IDT) and what is pending drained.
 *                    Left out because they end or break the guest itself: OUT to isa-debug-exit
 *                    (F4H-F7H) and to the reset ports CF9H, 64H, 92H; string I/O (apicvisor
 *                    ends the guest: not emulated); HLT (nothing may be left to wake it); MMIO
 *                    outside the APIC and IOAPIC pages (no RAM, no device: the guest ends); the
 *                    APIC base moved anywhere but above 4 GiB (isolation does that); vectors
 *                    10H-1FH (a fixed interrupt there looks like an exception at a fixup; moved
 *                    to 30H-3FH); an 8259 ICW2 below 20H; short PIT and APIC timer periods
 *                    (docs/reliability.md: a short PIT period starves the guest); SLP_EN;
 *                    COM1 line ends (THR gets letters only); descriptor-table changes that an
 *                    NMI could meet half done. Figures ops, batches, faults_caught, faults_gp,
 *                    faults_ud, interrupts_taken, nmis_taken, ops_per_second (the TSC rate
 *                    from CPUID 15H); notes: the seed, INT n, mode switches, silenced
 *                    batches, cycles, faults by vector. Fails when a canary changed, CPUID
 *                    showed VMX, or a write putting state back did not take
 *   isolation *      the probes the guest survives, one line each before END ("isolation:
 *                    PROBE: OUTCOME", UNEXPECTED where it is not the one expected): prepare
 *                    (before BEGIN, xAPIC mode) calls SCENARIO_BEGIN with 9 names outside RAM
 *                    (RAM end, RAM end - 1, the APIC and IOAPIC pages, 4 GiB - 1, 4 GiB, 2^63,
 *                    2^64 - 1, 2^64 - 16) and END outside a scenario: -EINVAL each; REPORT with
 *                    the same keys and with a 71-byte key: -EINVAL; the pass-through MSRs read
 *                    (nonzero values listed); every MSR of 0-1FFFH, C0000000H-C0001FFFH and
 *                    40000000H-400000FFH and every CPUID leaf (subleaves 0-3): no secret word
 *                    or half; every IOREGSEL index through IOWIN, every dword of
 *                    the IOAPIC and xAPIC pages, fw_cfg items 0-3FH and 8000H-803FH: no half of
 *                    a secret word; RSDP, EBDA, BIOS and multiboot areas written and read back;
 *                    the APIC base moved onto RAM at 64 MiB (the version register answers
 *                    there, a TPR write does not reach RAM, the page is as the guest left it
 *                    once the base is back), into the hole at 0xFED00000 (the APIC answers),
 *                    beyond MAXPHYADDR (#GP); an IOAPIC read by an instruction in the last 3
 *                    bytes of RAM and by code reached through self-referencing page tables
 *                    (PML4 entries pointing at the PML4) and by an instruction in the last 3
 *                    bytes of a page whose next page maps no RAM or is absent (the two below);
 *                    all guest RAM scanned for the secret. Figures ram_scanned_kib, probes,
 *                    unexpected, secret_found
 *   isolation-fetch-next-outside *, isolation-fetch-next-absent *  an IOAPIC read by an
 *                    instruction in the last 3 bytes of a 4 KiB page whose next linear page maps
 *                    0xFD000000 (no RAM) or is not present: the decoder's 15-byte fetch must
 *                    stop at the page. Figure ioapic_version
 *   pit-short-period * the PIT in mode 2 with count 2, IRQ 0 masked, 100000 PAUSEs, the PIT
 *                    stopped: the guest must get to the end. Figure cycles
 *
 * The SMP scenarios (scenarios_smp.c, issue 8; smp.h says how APs start, wait for work and are
 * parked). Each is skipped with "one CPU" when the ACPI MADT lists one enabled local APIC (fails
 * without a MADT). Each runs in the mode the BSP's APIC is in (IA32_APIC_BASE: xAPIC, or x2APIC
 * where an earlier scenario left it), the APs put in the same mode. "send v to d" is ICR high
 * (d << 24) then ICR low (xAPIC) or one WRMSR 830H (x2APIC); "shorthand send" is ICR low only
 * or one WRMSR 830H. Every fixed interrupt a CPU takes gets one EOI from its handler, in its own
 * mode (B0H or WRMSR 80BH); an NMI none. The prepare step (not counted): the MADT read (memory
 * only), RDMSR IA32_APIC_BASE, the APIC prepare in that mode, the TSC rate once (CPUID 0,
 * 15H, 16H; else 10 ms of the ACPI PM timer, IN32s), the start-up page chosen once (the highest
 * page below 640 KiB that the memory map reports available and no boot information lies on:
 * 9E000H, SIPI vector 9EH, on both QEMU and apicvisor); then, in all but init-sipi and
 * init-sipi-short, every AP started as init-sipi does and handed its work through the mailbox:
 * a fixed IPI, physical, vector EEH, wakes it from STI; HLT; its work writes what the scenario
 * says (DFR, LDR, TPR; the LDR read back), says it is ready, and spins (PAUSE, IF = 1): no
 * access, so an AP only takes interrupts between BEGIN and END unless said otherwise. After END
 * (not counted) each AP gets an INIT by APIC ID (parked: waiting for a SIPI; under QEMU's TCG,
 * where a fixed IPI can wake such a CPU into the BIOS, also a SIPI into a HLT loop: smp.c's
 * smp_park), and the BSP's DFR := FFFFFFFFH, LDR := 0 (xAPIC) and TPR := 0. Waits are bounded
 * by 2 s of the TSC (at least 50000000 cycles); "a quiet spell" is 500000 TSC cycles with
 * IF = 1. Between BEGIN and END:
 *   init-sipi        to each AP by APIC ID, in MADT order: send 0000C500H (INIT, level-
 *                    triggered, assert), ICR-low reads until the delivery status (bit 12) is 0
 *                    (xAPIC), 10 ms, send 000046VVH (SIPI, vector VV = the page >> 12), ICR-low
 *                    reads, 200 us, the same SIPI again, ICR-low reads, 200 us; then up to 1 s
 *                    for that AP to report in (with its APIC ID). Each AP: real mode at VV00:0,
 *                    the page's park word read (0), LOCK INC of its entry count, LGDT, CR0.PE,
 *                    far jump; CR4 := the BSP's (PAE), CR3 := the BSP's, RDMSR and WRMSR
 *                    IA32_EFER (LME), CR0 := the BSP's (PG), far jump to 64-bit code; LOCK XADD
 *                    of a stack slot, LGDT of the BSP's GDT, LIDT of the shared IDT; RDMSR
 *                    IA32_APIC_BASE (WRMSRs to change the mode where it differs from the
 *                    BSP's), ID read, SVR := 1FFH, TPR := 0; reports in (memory), STI; HLT.
 *                    Then a quiet spell. Fails when an AP does not report in, reports an APIC
 *                    ID the MADT does not list for an AP or another AP's, or the page was
 *                    entered more often than APs reported in (a second SIPI must not restart
 *                    a running CPU). Figures cpus (the MADT's), cpus_up (the BSP and the APs
 *                    that reported in), sipi_vector, microseconds_to_all_up
 *   init-sipi-short  as init-sipi with the shortest sequence: shorthand send 000C4500H (INIT to
 *                    all excluding self), shorthand send 000C46VVH (SIPI to all excluding
 *                    self), no delay, no delivery-status read; then up to 1 s for every AP
 *   ipi-pingpong     vCPU 1 (APIC ID 1, else the first AP) is handed the pong side: for each of
 *                    n rounds it spins until it has taken the ping (vector A1H), then sends A2H
 *                    to the BSP. The BSP: n times send A1H to vCPU 1, spin until the pong
 *                    arrived; a quiet spell. Each side takes exactly n, nothing else. Figures
 *                    round_trips, target_apic_id, cycles_per_round_trip, interrupts (2n)
 *   ipi-broadcast    N = min(n, 20) rounds of a shorthand send of A3H to all excluding self,
 *                    each awaited on every AP; a quiet spell. Every AP takes exactly N, the BSP
 *                    none. Figures rounds, receivers, interrupts
 *   ipi-logical-flat (xAPIC, at most 8 CPUs; skipped otherwise) prepare: DFR := FFFFFFFFH on
 *                    every CPU, LDR := 1 << (24 + i) on CPU i (the BSP is 0). Then one send of
 *                    A4H (fixed, logical) to each destination: each AP's bit alone, every AP,
 *                    03H (the BSP and CPU 1), AAH and 55H (masked to the CPUs; 55H only when
 *                    more than the BSP), a bit no CPU has (fewer than 8 CPUs), FFH (everyone);
 *                    after each, the CPUs it names must have taken one more (awaited) and,
 *                    after a quiet spell, no other one. Figures destinations, interrupts
 *   ipi-logical-cluster  xAPIC: DFR := 0FFFFFFFH on every CPU, CPU i in cluster 1 + i % C
 *                    with member bit i / C (C = 2, or more where more than 8 CPUs need them);
 *                    destinations: each AP's logical ID, every member of each cluster (c << 4
 *                    | FH), a cluster no CPU is in, FFH (broadcast to every cluster; left out,
 *                    noted, under QEMU's TCG, whose APIC takes FFH for cluster FH). x2APIC: the
 *                    logical IDs the CPUs derive from their APIC IDs (LDR read in prepare, must
 *                    be (ID[19:4] << 16) | 1 << ID[3:0]); destinations: each CPU's, every member
 *                    of the BSP's cluster, a cluster no CPU is in, FFFFFFFFH. Sends of A5H
 *                    (fixed, logical) checked as in ipi-logical-flat
 *   ipi-lowest-priority  prepare: the flat model as ipi-logical-flat (xAPIC, at most 8 CPUs)
 *                    or the x2APIC cluster IDs, and TPR := 10H * i on AP i (at most C0H); the
 *                    set: every AP in the BSP's cluster (x2APIC) or every AP's bit (flat), not
 *                    the BSP. N = min(n, 20) sends of D6H, lowest priority (001b), logical, to
 *                    the set: after each (awaited, then a quiet spell) exactly one more arrival
 *                    in all, none at the BSP or outside the set. Which AP took them is
 *                    reported, not checked (the SDM leaves the choice to the platform). Figures
 *                    rounds, interrupts, to_lowest_tpr; a note per AP
 *   ipi-nmi          N = min(n, 20) sends of an NMI (delivery mode 100b, physical) to vCPU 1,
 *                    each awaited (its NMI handler counts; no EOI); a quiet spell. vCPU 1 takes
 *                    exactly N, no other CPU any. Figure nmis
 *   ipi-to-halted    vCPU 1 is handed the halting side: for each of N = min(n, 20) rounds it
 *                    says so, then STI; HLT (with IF = 0 before) until it has taken A7H, which
 *                    must have interrupted it right after the HLT. The BSP waits for its word,
 *                    a quiet spell (so that it halts), then sends A7H to it and waits until it
 *                    is awake. Figures wakeups, cycles_to_wakeup_max (send to the AP's word),
 *                    interrupts
 *   ioapic-to-vcpu1  (prepare: the MADT first ("one CPU"); under plain QEMU skipped without
 *                    pc-testdev, found by its scratch port E0H reading back (OUT32, IN32); the
 *                    I/O APIC's VER, every pin masked, the 8259s initialized masked, lines 10
 *                    and 11 low) RTE 10 := A8H edge, physical destination vCPU 1's APIC ID;
 *                    N = min(n, 20) pulses on 10 (as ioapic-edge), each awaited on vCPU 1; a
 *                    quiet spell; mask 10. RTE 11 := A9H level, the same destination; line 11
 *                    := 1: vCPU 1 takes A9H once, its handler does line 11 := 0 before the EOI;
 *                    a quiet spell; remote IRR 11 must be 0 (vCPU 1's EOI reached the I/O
 *                    APIC); mask 11, line 11 := 0. No other CPU takes any. Figures pulses,
 *                    target_apic_id, interrupts (N + 1)
 *   msi-to-vcpu1     (apicvisor only: QEMU's pc-testdev has no MSI ports; the MADT is read
 *                    first, so one CPU is "one CPU") OUT32 2210H (FEE00000H | vCPU 1's APIC ID
 *                    << 12), OUT32 2214H (AAH: fixed, edge); N = min(n, 20) OUT8s to 2218H,
 *                    each awaited on vCPU 1; a quiet spell. vCPU 1 takes exactly N, no other
 *                    CPU any. Figures msis, target_apic_id, interrupts
 *
 * The housekeeping scenarios (housekeeping=cpu0: a CPU outside the guest keeps the timers;
 * skipped otherwise, asked with the GET_PLATFORM hypercall before BEGIN):
 *   timer-offload    timer-periodic's accesses and checks, its ticks delivered by that CPU
 *   device-offload   pit-periodic's accesses and checks, its ticks delivered by that CPU
 *
 * These never return; the hypervisor must end the run (the integration tests check how):
 *   spin             busy-waits with interrupts off, for the timeout watchdog (without
 *                    apicvisor it spins until the run is stopped from outside)
 *   port-spin *      reads port 80H forever with interrupts off (an exit each), for the
 *                    timeout watchdog counting root-mode time as well
 *   null-spin *      HC_NULL round trips with interrupts off, forever (the exit stub turns
 *                    each around without C), for the timeout watchdog
 *   halt *           HLT with interrupts off
 *   triple-fault *   INT3 with an IDT of limit 0
 *   unmapped-access * a 32-bit read of guest-physical 0xFED40000, where apicvisor has no
 *                    device (run with strict=on: should the read return, the scenario fails)
 *   isolation-past-ram *  a 32-bit read of the first byte past the guest's RAM
 *   isolation-apic-neighbour *  a 32-bit read of 0xFEE01000, the page after the xAPIC's
 *   isolation-above-4g *  a 32-bit read of guest-physical 4 GiB through a page directory of
 *                    its own
 *   isolation-stale-walk *  an IOAPIC read by code mapped through a page directory of its own,
 *                    then the PDPT entry pointed at 0xFD000000 (no RAM) without INVLPG and the
 *                    read again: whether the CPU or the hypervisor's walk meets the missing
 *                    directory, the guest must stop cleanly
 *   isolation-idt-ioapic *, isolation-idt-apic *  LIDT of a 4 KiB IDT at the IOAPIC or the
 *                    xAPIC page, then INT3: the gate is read from the device page during event
 *                    delivery, which the hypervisor must refuse with a clean stop
 *
 * (*: needs apicvisor; skipped without it.)
 */
#ifndef GUEST_SCENARIOS_H
#define GUEST_SCENARIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "multiboot.h"

/* What scenarios may read; guest_main sets every field, n=NUM words change iterations. */
struct scenario_context {
	const struct multiboot_info *boot_info;
	uint64_t iterations;         /* loop count of the timing scenarios, at least 1 */
	bool hypervisor;             /* apicvisor detected: hypercalls are allowed */
};

/* Outcomes so far; total = passed + failed + skipped. */
struct scenario_tally {
	unsigned total;
	unsigned passed;
	unsigned failed;
	unsigned skipped;
};

/* Runs the scenario called name[0..name_len) (not NUL-terminated) and counts its outcome. An
 * unknown name is reported and counted as a failed scenario, so a typo cannot pass a run. */
void scenario_run(const char *name, size_t name_len, const struct scenario_context *context,
		  struct scenario_tally *tally);

/* The MMIO instruction scenarios (scenarios_mmio.c), for scenario_lists. */
struct scenario_list;
extern const struct scenario_list scenario_mmio_list;

#endif
