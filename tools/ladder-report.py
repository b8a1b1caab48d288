#!/usr/bin/env python3
"""Writes docs/ladder.md from a run's results.json: the ladder of VM exits per interrupt for
every interrupt scenario in every delivery mode, each row explained from the SDM; with a second
results.json from a run on several vCPUs, the SMP rows: exits on the sender and on the receivers.

Usage: ladder-report.py RESULTS_JSON OUTPUT_MD [SMP_RESULTS_JSON [HOUSEKEEPING_RESULTS_JSON]]
"""
import json
import sys
from datetime import date

MODES = ["emulate", "tpr-shadow", "apicv", "posted"]

# What each row measures and why each mode costs what it does. Citations: SDM Vol. 3C chapter 30
# "APIC Virtualization and Virtual Interrupts" unless another volume is named.
EXPLAIN = {  # the vLAPIC scenarios, then the device ones
    "self-ipi-x2apic": (
        "WRMSR to SELF_IPI (MSR 83FH), then the handler's EOI (WRMSR 80BH), x2APIC mode.",
        "emulate and tpr-shadow: both MSRs exit (WRMSR), 2 per interrupt; with only a TPR shadow, "
        "\"virtualize x2APIC mode\" virtualizes the TPR MSR alone (§30.5 \"Virtualizing MSR-Based "
        "APIC Accesses\"). The interrupt rides on the VM entry after the SELF_IPI exit. "
        "apicv/posted: WRMSR to SELF_IPI is self-IPI virtualization (§30.1.3 \"Self-IPI "
        "Virtualization\") and the EOI of an edge vector is EOI virtualization (§30.1.4): 0."),
    "self-ipi-xapic-shorthand": (
        "Write of ICR low with the \"self\" shorthand, then the EOI (MMIO 0B0H), xAPIC mode.",
        "emulate: each access is an EPT violation on the absent APIC page, decoded and emulated: "
        "2. tpr-shadow: each is an APIC-access exit (only TPR accesses are virtualized, §30.4): 2. "
        "apicv/posted: APIC-write emulation of ICR low with shorthand self, fixed, edge and a "
        "vector ≥ 16 performs self-IPI virtualization (§30.4.3.2 \"APIC-Write Emulation\"); the "
        "EOI is virtualized: 0."),
    "self-ipi-xapic-dest": (
        "Writes of ICR high (own APIC ID) and ICR low (no shorthand), then the EOI.",
        "emulate/tpr-shadow: 3 accesses, 3 exits. apicv/posted: the ICR high write is virtualized "
        "with \"no other virtualization or VM exit\"; ICR low without the self shorthand is an "
        "APIC-write VM exit (trap-like, §30.4.3.3) that the vLAPIC model carries out: 1. In posted "
        "mode the model posts the vector to the posted-interrupt descriptor (§30.6); the next VM "
        "entry moves it to vIRR/RVI."),
    "timer-periodic": (
        "N periodic LAPIC-timer ticks: LVT and initial-count writes, N EOIs, and a stop (initial "
        "count 0, IRR read) from the last handler.",
        "Each tick is one VMX-preemption-timer exit: the vLAPIC timer runs on it (§26.5.1 of Vol. "
        "3C \"VMX-Preemption Timer\"). emulate/tpr-shadow add an exit per EOI and per register "
        "access; apicv/posted virtualize the EOIs and the IRR read, leaving the LVT, "
        "initial-count and stop writes as APIC-write exits."),
    "timer-oneshot": (
        "One one-shot tick: LVT and initial-count writes, the EOI, a current-count read.",
        "1 preemption-timer exit for the tick. The current count (390H) is never virtualized: it "
        "is computed, so its read is an APIC-access exit even with APIC-register virtualization "
        "(§30.4.1 lists the virtualized reads)."),
    "timer-tsc-deadline": (
        "LVT write, WRMSR IA32_TSC_DEADLINE, the EOI, RDMSR of the deadline.",
        "The TSC-deadline MSR always exits (it arms the emulated timer), as do the tick (preemption "
        "timer) and, before apicv, the EOI and LVT write."),
    "tpr-mask": (
        "TPR raised to the vector's class, a self-IPI that must wait, an IRR read, TPR lowered, "
        "the EOI.",
        "emulate: 5 MMIO exits. tpr-shadow: TPR writes are virtualized; lowering the TPR below the "
        "threshold the hypervisor set for the waiting vector is one TPR-below-threshold exit "
        "(§30.1.2 \"TPR Virtualization\"); 4. apicv/posted: TPR virtualization evaluates pending "
        "virtual interrupts itself (§30.1.2, §30.2.1): 0."),
    "priority-order": (
        "Six self-IPIs of different classes sent with IF = 0, then STI: delivered highest first; "
        "three nested, EOIs in between.",
        "emulate/tpr-shadow: every ICR and EOI access exits, and each interrupt the guest cannot "
        "take yet costs an interrupt-window exit (§26.7.5 of Vol. 3C). apicv/posted: RVI holds the "
        "highest pending vector and the CPU delivers in priority order itself: 0."),
    "nmi-nested": (
        "A self-NMI whose handler sends two more: exactly one more arrives, after the IRET.",
        "NMIs are injected in every mode (APICv has no virtual-NMI delivery); the NMI raised while "
        "NMIs are blocked waits for an NMI-window exit (virtual NMIs, §25.3 of Vol. 3C). In "
        "apicv/posted the NMI ICR writes are APIC-write exits."),
    "irq-window": (
        "Self-IPIs sent with IF = 0 and in an STI shadow: each must arrive once, after the window "
        "opens.",
        "emulate/tpr-shadow: an interrupt-window exit when the window opens, plus the APIC accesses. "
        "apicv/posted: the CPU evaluates RVI when IF and the shadow allow (§30.2.1): 0."),
    "hlt-wakeup": (
        "HLT with an interrupt pending, and HLT until a one-shot timer fires.",
        "Both HLTs exit (HLT exiting stays on: Bochs 2.7 does not wake a halted guest on a pending "
        "virtual interrupt, and a hypervisor decides before blocking anyway); the timer is one "
        "preemption-timer exit; the ICR, LVT and initial-count writes exit in every mode (APIC-write "
        "exits from apicv on)."),
    "ioapic-edge": (
        "N pulses on IOAPIC pin 10 (edge) from the test device, and one raise the device delays "
        "while the guest sits in HLT.",
        "Every mode pays one I/O exit per pulse (the trigger) plus the IOAPIC MMIO of the setup "
        "(EPT violations: the IOAPIC is emulated in root mode). The EOI is an exit in "
        "emulate/tpr-shadow and free in apicv/posted: an edge vector is not in the EOI-exit "
        "bitmap (§30.1.4)."),
    "ioapic-edge-masked": (
        "N pulses on a masked pin (all lost), unmask, one more pulse.",
        "The pulses are exits even though nothing is delivered: the device and the IOAPIC live "
        "in root mode. N exits for one interrupt."),
    "ioapic-level": (
        "A level pin: delivery, a coalesced re-assert while remote IRR is set, redelivery at "
        "EOI while still asserted, deassert in the handler, unmask of an asserted pin.",
        "apicv/posted: each level interrupt costs exactly one EOI_INDUCED exit: its vector is in "
        "the EOI-exit bitmap, which apicvisor builds from the IOAPIC's level pins, because the "
        "IOAPIC must see the EOI to clear remote IRR (§30.1.4; 82093AA datasheet §3.2.4, the "
        "I/O Redirection Table's Remote IRR bit: set when the local APIC accepts the level "
        "interrupt, reset when the EOI with its vector arrives). "
        "emulate/tpr-shadow: the EOI is an MMIO exit anyway."),
    "ioapic-priority": (
        "Two edge pins raised with IF = 0: the higher vector first after STI.",
        "emulate/tpr-shadow inject with interrupt-window exits; apicv/posted leave the order "
        "to RVI. The RTE programming (IOAPIC MMIO) dominates."),
    "pic-extint": (
        "The 8259 pair through LINT0 in ExtINT mode: IRQ 5 raised with IF = 0, then STI.",
        "An ExtINT interrupt is injected in every mode, apicv and posted included: its vector "
        "comes from the 8259's INTA cycle (8259A datasheet, \"Interrupt Sequence\": the second "
        "INTA pulse puts the vector on the bus), which virtual-interrupt delivery cannot do "
        "(§30.2 works on vIRR only). So one interrupt-window exit per interrupt everywhere, plus the "
        "8259 port exits (OCW2 EOI, IMR)."),
    "pit-periodic": (
        "N PIT channel-0 ticks (8254 mode 2, rate generator, ~1 ms) through IOAPIC pin 2 (ISA IRQ0 with the MADT "
        "override), then a quiet check with the pin masked and the PIT still running.",
        "Each PIT period is a VMX-preemption-timer exit, also while the pin is masked: the PIT "
        "model does not know its output goes nowhere (KVM's in-kernel PIT pays the same)."),
    "msi": (
        "N MSIs from the test device (fixed, edge, to the own APIC ID).",
        "One I/O exit per message (the device's doorbell); the MSI itself is routed in root "
        "mode into vIRR/RVI or the posted descriptor, and the edge EOI is free from apicv on."),
    "ipi-shorthand-all": (
        "ICR low with the all-including-self shorthand (arrives) and with all-excluding-self "
        "(one vCPU: reaches nobody; IRR checked), each followed by the EOI.",
        "emulate/tpr-shadow: every ICR write, IRR read and EOI is an MMIO exit. apicv/posted: "
        "only the shorthand self form is self-IPI virtualization (§30.4.3.2); all-including and "
        "all-excluding are APIC-write exits (trap-like, §30.4.3.3) handled by the model: 2 per "
        "round, the EOI virtualized."),
    "logical-destination": (
        "xAPIC logical destinations, flat (DFR all ones) and cluster (DFR 0FFFFFFFH), through ICR "
        "IPIs and IOAPIC RTEs in logical mode; each model also sends to a logical ID that must "
        "not match.",
        "The DFR, LDR and logical ICR-low writes are APIC-write exits from apicv on (no "
        "self-IPI form, §30.4.3.3); the IOAPIC side costs the same RTE accesses in every mode "
        "(its page is not virtualized); EOIs are free from apicv on."),
    "ioapic-directed-eoi": (
        "EOI-broadcast suppression (SVR bit 12) with a level pin: the LAPIC EOI leaves remote "
        "IRR set, the write of the vector to the IOAPIC's EOI register (82093AA version 20H) "
        "clears it.",
        "apicv/posted: the level vector is in the EOI-exit bitmap, so each EOI is one "
        "EOI_INDUCED exit even though the model keeps it local (§30.1.4); the IOAPIC EOI "
        "register is an MMIO exit in every mode."),
    "ioapic-extint": (
        "The 8259 through IOAPIC pin 0 in ExtINT mode (LINT0 masked): IRQ 5 raised with IF = 0, "
        "then STI.",
        "As pic-extint: the vector comes from the 8259's INTA cycle, so every interrupt is "
        "injected after an interrupt-window exit in every mode."),
    "uart-irq": (
        "COM1's THR-empty interrupt on IRQ 4: enable ETBEI, take the interrupt, read IIR.",
        "Every UART register access is an I/O exit; the interrupt itself costs nothing extra "
        "from apicv on."),
}


# The SMP scenarios: what the guest does (guest/scenarios.h has every access) and why each mode
# costs what it does on the sender (the scenario's vCPU, 0) and on the receivers (the others).
SMP_INTRO = (
    "Each SMP scenario runs on vCPU 0 and sends to the other vCPUs, which the guest started "
    "before BEGIN as an OS does (INIT-SIPI-SIPI into its trampoline below 640 KiB) and parks with "
    "an INIT after END; between BEGIN and END a receiving AP spins with IF = 1, so it only takes "
    "interrupts. A cell is *sender / receivers*: the exits on vCPU 0, then on all the others "
    "together, per interrupt received. The hypervisor keeps each vCPU's vLAPIC on its own CPU: "
    "another CPU delivers into the target's posted-interrupt descriptor (posted mode) or inbox "
    "and sends its CPU a host IPI only when it is in non-root operation or waiting "
    "(docs/design.md, \"SMP\"). What the SDM says a cross-CPU IPI costs at the least, with "
    "APICv and posted-interrupt processing: one exit on the sender (the trap-like APIC-write "
    "exit of an ICR write that is not a self-IPI, SDM Vol. 3C §30.4.3.3) and none on a running "
    "receiver (the notification vector is processed in non-root operation, §30.6). "
    "Bochs 2.7 has no posted-interrupt processing: there the notification is an "
    "external-interrupt exit on the receiver and the descriptor is drained in software, so "
    "posted costs what apicv does; the receivers' 1.00 in those columns is that exit.")

EXPLAIN_SMP = {
    "ipi-pingpong": (
        "n round trips of fixed IPIs between vCPU 0 and vCPU 1 (A1H there, A2H back).",
        "Each side is sender and receiver in turn, so both columns count an ICR send and a "
        "receive. emulate/tpr-shadow: ICR high, ICR low and the EOI are 3 APIC-page exits per "
        "IPI, plus the kick that interrupts the running receiver (EXTERNAL_INTERRUPT). "
        "apicv/posted: ICR high is virtualized, ICR low is one APIC-write exit, the EOI is "
        "virtualized; the receiver's kick (apicv) or notification (posted without the CPU "
        "feature) is its one exit."),
    "ipi-broadcast": (
        "min(n, 20) fixed IPIs with the all-excluding-self shorthand; every AP takes each.",
        "The sender: one ICR write (no ICR high with a shorthand): 1 APIC-page exit "
        "(emulate/tpr-shadow) or 1 APIC-write exit. Per interrupt on a receiver: its kick or, "
        "when it had interrupts off as the IPI came, an interrupt window, plus the EOI access "
        "before apicv; 1 exit with apicv/posted."),
    "ipi-logical-flat": (
        "Fixed IPIs to logical destinations in the flat model (DFR all ones, CPU i's LDR bit i), "
        "one IPI per bit set, some naming several CPUs and some none.",
        "The sender's cost is per IPI sent (ICR high + low, or one APIC write), the receivers' per "
        "interrupt taken, so IPIs that reach nobody or several CPUs move the per-interrupt "
        "figures away from whole numbers. The destination logic is the APIC bus's "
        "(apicv/apic_bus.c, SDM Vol. 3A §11.6.2.2)."),
    "ipi-logical-cluster": (
        "The same in the cluster model (DFR 0FFFFFFFH: LDR[31:28] cluster, [27:24] members), or "
        "x2APIC's cluster IDs derived from the APIC IDs (§11.12.10.2).",
        "As for the flat model."),
    "ipi-lowest-priority": (
        "min(n, 20) lowest-priority IPIs to the set of every AP, whose TPRs differ.",
        "Exactly one CPU of the set takes each: the APIC bus picks the lowest processor priority "
        "among the software-enabled members, the lowest vCPU number on a tie (§11.6.2.4 leaves "
        "the choice to the platform; apicvisor's rule is deterministic). The costs are a fixed "
        "IPI's."),
    "ipi-nmi": (
        "min(n, 20) NMIs to vCPU 1.",
        "The sender pays for the ICR as for a fixed IPI. The NMI reaches the receiver as an inbox "
        "event and a kick, and is injected at its next VM entry in every mode (APICv has no "
        "virtual NMIs); no EOI: 1 exit on the receiver."),
    "ipi-to-halted": (
        "vCPU 1 executes STI; HLT, then vCPU 0 sends it a fixed IPI; min(n, 20) times.",
        "The receiver's HLT exits (HLT exiting), and it waits in the HLT activity state in "
        "non-root operation; the kick ends it with an external-interrupt exit and the interrupt "
        "is injected (or, apicv/posted, delivered from RVI) at the entry: HLT + kick (+ EOI "
        "before apicv) per interrupt. With posted-interrupt processing the notification would "
        "wake it with no exit."),
    "ioapic-to-vcpu1": (
        "I/O APIC pins 10 (edge) and 11 (level) with physical destination vCPU 1, raised by the "
        "test device from vCPU 0; vCPU 1's handler lowers the level line.",
        "The sender: the test device's port writes and the RTE programming. The receiver: the "
        "kick per interrupt, the line-lowering port write, and for the level pin the EOI that "
        "reaches the I/O APIC (an EOI_INDUCED exit from apicv on, an APIC-page exit before)."),
    "msi-to-vcpu1": (
        "min(n, 20) MSIs from the test device (destination vCPU 1).",
        "The sender: the device's 3 port writes per message. The receiver: the kick (and the "
        "EOI access before apicv)."),
}

SMP_GUEST_TABLE = [
    "| scenario | what it does | what it checks |",
    "|---|---|---|",
    "| `init-sipi` | INIT (0000C500H), 10 ms, SIPI, 200 µs, SIPI to each AP by APIC ID (MP spec, "
    "Linux) | every AP the MADT lists reports in, with its own APIC ID read from its LAPIC, once "
    "(the second SIPI must not restart it) |",
    "| `init-sipi-short` | INIT then one SIPI, both to all excluding self, no delay (000C4500H, "
    "000C46xxH) | the same |",
    "| `ipi-pingpong` | n round trips of fixed IPIs between vCPU 0 and vCPU 1, each side spinning "
    "for the other's | each side takes exactly n |",
    "| `ipi-broadcast` | min(n, 20) fixed IPIs to all excluding self | every AP takes each, the "
    "BSP none |",
    "| `ipi-logical-flat` | xAPIC flat model (DFR all ones), CPU i's logical ID bit i; one IPI to "
    "each of a list of bit sets | exactly the CPUs named take each |",
    "| `ipi-logical-cluster` | xAPIC cluster model (2+ clusters of up to 4), or x2APIC's derived "
    "cluster IDs; single CPUs, whole clusters, an empty cluster, the broadcast | exactly the CPUs "
    "named take each; x2APIC LDRs as derived from the IDs |",
    "| `ipi-lowest-priority` | min(n, 20) lowest-priority IPIs to the set of every AP, whose TPRs "
    "are 10H, 20H, ... | exactly one CPU of the set takes each (which one is reported, not "
    "checked: the SDM leaves it to the platform) |",
    "| `ipi-nmi` | min(n, 20) NMIs to vCPU 1 | vCPU 1's NMI handler counts each, no other CPU "
    "gets any |",
    "| `ipi-to-halted` | min(n, 20) times: vCPU 1 executes STI; HLT, the BSP sends a fixed IPI | "
    "each IPI ends the HLT (it interrupts right after it) |",
    "| `ioapic-to-vcpu1` | I/O APIC pin 10 (edge) and 11 (level) with physical destination vCPU "
    "1, raised by the test device (pc-testdev's line ports under QEMU) | vCPU 1 takes each, "
    "nobody else; vCPU 1's EOI clears the level pin's remote IRR |",
    "| `msi-to-vcpu1` | min(n, 20) MSIs from the test device to vCPU 1 (apicvisor only: "
    "pc-testdev has no MSI ports) | vCPU 1 takes each, nobody else |",
]


def exits_text(exits):
    """Exits by reason as the tables show them: "APIC_WRITE 10, HLT 2", or "none"."""
    return ", ".join(f"{k} {v}" for k, v in exits.items()) or "none"


def mode_table(first_column):
    """The header of a table with one column per delivery mode."""
    return [f"| {first_column} | " + " | ".join(MODES) + " |", "|---|" + "---|" * len(MODES)]


def run_facts(results, how):
    """The sentence that says which run a section's figures come from."""
    return (f"From a run {how}, apicvisor `{results['apicvisor']}`, posted-interrupt processing: "
            f"{results['mode'].get('posted_interrupts') or 'n/a'}. ")


def smp_section(results):
    """The SMP rows: sender / receivers per interrupt, why, what the guest does, by reason."""
    ladder = results.get("ladder", {})
    rows = [n for n in ladder if n in EXPLAIN_SMP]
    cpus = len(results["cpus"])
    lines = [
        "## SMP rows",
        "",
        run_facts(results, f"on {cpus} vCPUs (`make bench`: `CPUS={cpus}`)") + SMP_INTRO,
        "",
    ] + mode_table("scenario")
    for name in rows:
        cells = ladder[name]
        row = [f"{cells[m]['exits_per_interrupt']:.2f} / "
               f"{cells[m]['other_vcpus_exits_per_interrupt']:.2f}" if m in cells else "-"
               for m in MODES]
        lines.append(f"| `{name}` | " + " | ".join(row) + " |")
    lines += ["", "### Why each SMP row costs what it does", ""]
    for name in rows:
        what, why = EXPLAIN_SMP[name]
        lines += [f"**`{name}`** — {what}", "", why, ""]
    lines += ["### What the guest does in each (guest side)", ""] + SMP_GUEST_TABLE + [
        "",
        "### SMP exits by reason",
        "",
        "| scenario | mode | interrupts | sender | receivers |",
        "|---|---|---|---|---|",
    ]
    for s in results["scenarios"]:
        if s["name"] not in EXPLAIN_SMP and not s["name"].startswith("init-sipi"):
            continue
        sender, receivers = exits_text(s["exits"]), exits_text(s["exits_other_vcpus"])
        interrupts = s["figures"].get("interrupts", "-")
        lines.append(f"| `{s['name']}` | {s['mode']} | {interrupts} | {sender} | {receivers} |")
    lines.append("")
    return lines


# The housekeeping rows: the same ticks as timer-periodic and pit-periodic, with the timers kept
# by the housekeeping CPU (housekeeping=cpu0) and their interrupts delivered from there.
HOUSEKEEPING_ROWS = {"timer-offload": "timer-periodic", "device-offload": "pit-periodic"}

HOUSEKEEPING_INTRO = (
    "With `housekeeping=cpu0` CPU 0 runs no vCPU: it keeps the device models' timers and every "
    "vCPU's vLAPIC timer, halted on its own LAPIC timer (TSC-deadline mode) until the earliest "
    "deadline, and delivers what falls due from root mode — by posting in posted mode, through "
    "the inbox and a kick otherwise (docs/design.md, \"SMP\"; KVM's `pi_inject_timer`). The "
    "guest's vCPU never arms its VMX-preemption timer for these ticks. With posted-interrupt "
    "processing a tick that finds the vCPU running is moved from PIR into vIRR by the CPU "
    "itself and delivered from RVI: 0 exits per tick (SDM Vol. 3C §30.6), where without the "
    "housekeeping CPU each tick costs at least the vCPU's own VMX-preemption-timer exit "
    "(§26.5.1). Bochs 2.7 has no posted-interrupt processing: each tick is the notification's "
    "external-interrupt exit there, and the descriptor is drained in software; docs/test-hosts.md "
    "has what a Bochs build with posted-interrupt processing measured: 0 exits per tick.")


def housekeeping_section(results, base):
    """timer-offload and device-offload next to the rows they offload, and the housekeeping
    CPU's own counters."""
    ladder = results.get("ladder", {})
    base_ladder = base.get("ladder", {})
    h = results.get("housekeeping") or {}
    cpus = len(results["cpus"]) + 1
    lines = [
        "## Housekeeping rows",
        "",
        run_facts(results, f"with `housekeeping=cpu0` on {cpus} CPUs (`make bench`: "
                           f"`CPUS={cpus} HOUSEKEEPING=cpu0`)") + HOUSEKEEPING_INTRO,
        "",
    ] + mode_table("scenario (the row without housekeeping)")
    for name, plain in HOUSEKEEPING_ROWS.items():
        if name not in ladder:
            continue
        row = []
        for m in MODES:
            cell = ladder[name].get(m)
            was = base_ladder.get(plain, {}).get(m)
            row.append("-" if cell is None else f"{cell['exits_per_interrupt']:.2f}" +
                       (f" ({was['exits_per_interrupt']:.2f})" if was else ""))
        lines.append(f"| `{name}` (`{plain}`) | " + " | ".join(row) + " |")
    lines += [
        "",
        f"The housekeeping CPU ({h.get('host_timer', '-')} timer): {h.get('passes', 0)} passes, "
        f"{h.get('halts', 0)} halts, {h.get('wakeups', 0)} wake-ups by the vCPUs; "
        f"{h.get('lapic_timer_ticks', 0)} vLAPIC timer expiries ({h.get('lapic_timer_delivered', 0)} "
        f"delivered, {h.get('lapic_timer_coalesced', 0)} coalesced); {h.get('posted', 0)} "
        f"interrupts posted with {h.get('notifications', 0)} notifications.",
        "",
        "**`timer-offload`** — timer-periodic's ticks with the vLAPIC timer kept by the "
        "housekeeping CPU. The guest's LVT and initial-count writes are still the vCPU's (APIC "
        "accesses as in timer-periodic); each tick is a delivery from another CPU: a kick and "
        "an injection (+ the EOI's APIC access) before apicv, the notification (software "
        "fallback) or nothing (posted-interrupt processing) in posted mode.",
        "",
        "**`device-offload`** — pit-periodic's ticks with the PIT kept by the housekeeping CPU, "
        "its IOAPIC message (pin 2, edge) delivered from there. The PIT's own events between "
        "ticks, which cost pit-periodic VMX-preemption-timer exits, are the housekeeping CPU's "
        "now; what is left is one delivery per tick, as for timer-offload.",
        "",
        "| scenario | mode | interrupts | exits |",
        "|---|---|---|---|",
    ]
    for s in results["scenarios"]:
        if s["name"] not in HOUSEKEEPING_ROWS:
            continue
        exits = exits_text(s["exits"])
        lines.append(f"| `{s['name']}` | {s['mode']} | {s['figures'].get('interrupts', '-')} "
                     f"| {exits} |")
    lines.append("")
    return lines


# A section of fixed text: the cost of emulated MMIO per access (tests/integration/run.py, case
# "mmio", asserts the figures).
MMIO_SECTION = ['## MMIO emulation: exits per access',
    '',
    'Not a ladder row (no interrupt is involved): what an instruction with an operand in emulated device memory costs, from the scenarios `mmio-alu` and `mmio-string` on the test device\'s iomem window (`make test`, case `mmio`, exact and the same in all four modes: device pages other than the APIC\'s are absent from EPT in every mode, so each first touch of one is an EPT violation; docs/design.md, "The MMIO decoder", has what is emulated).',
    '',
    '| what the guest does | exits |',
    '|---|---|',
    '| one non-string instruction with a memory operand on a device page (MOV, the ALU forms, TEST, NOT/NEG/INC/DEC, XCHG, CMPXCHG, XADD, BT*, PUSH/POP r/m, MOVS/STOS/LODS without REP), read, written or both | 1 EPT_VIOLATION |', "| MOVS with both operands on device pages (the same device or two) | 1 (the source's read exits; the emulator writes the destination) |", '| a REP string instruction (MOVS, STOS, LODS) | 1 per stretch of elements that stays in one 4 KiB page of the device and of the other operand: REP STOSD of 1 KiB in one page 1; REP MOVSB of 256 bytes from RAM 64 bytes before its page end to the window 128 bytes before its page end 3 |',
    '| `mmio-alu`: 159 forms × 3 starting states × (2 stores + the instruction + 2 loads) | 2385 EPT_VIOLATION |',
    '| `mmio-string`: the string and stack forms and their checks (listed in tests/integration/run.py) | 29 EPT_VIOLATION |']


# The device access rows: each access-* scenario's exits divided by its `accesses` figure.
DEVICE_ROWS = {
    "access-pit": "PIT: latch counter 0 (OUT 43H), read its count (IN 40H twice)",
    "access-pic": "8259: read the master's IMR (IN 21H)",
    "access-rtc": "RTC/CMOS: select register A (OUT 70H), read it (IN 71H)",
    "access-kbc": "8042: read the status (IN 64H)",
    "access-uart": "COM1: read the line status (IN 3FDH)",
    "access-pm-timer": "ACPI PM timer: read it (IN32 608H)",
    "access-sysctl": "System Control Port A: read it (IN 92H)",
    "access-hpet": "HPET: read the main counter (32-bit load at 0xFED000F0)",
    "access-ioapic": "IOAPIC: select a register (store to IOREGSEL), read it (load from IOWIN)",
    "access-iomem": "pc-testdev iomem: read (32-bit load at 0xFF000000)",
}

DEVICE_INTRO = (
    "Not ladder rows (no interrupt is involved): what one access to each emulated device "
    "costs, the `access-*` scenarios' exits divided by the port or memory instructions they "
    "made, in every mode. Every port of the guest's I/O space is trapped by the I/O bitmaps, "
    "so each port instruction is one I/O-instruction exit whatever the delivery mode; the "
    "device pages other than the local APIC's are absent from the EPT tables in every mode, so "
    "each instruction touching one is an EPT violation, its instruction decoded and carried out "
    "on the model (docs/design.md, \"The MMIO decoder\"). The APIC-virtualization features "
    "change nothing here: they serve the local APIC only (the rows above). The last column is "
    "the root-mode time per access in the posted pass (TSC cycles of the exit's handling in C, "
    "docs/statistics.md's \"Root-mode cycles\"; under Bochs emulated, so only their ratios "
    "mean much).")


def device_section(results):
    cells = {}
    for s in results["scenarios"]:
        accesses = s["figures"].get("accesses")
        if s["name"] in DEVICE_ROWS and accesses:
            cells.setdefault(s["name"], {})[s["mode"]] = (s, accesses)
    if not cells:
        return []
    lines = ["## Devices: exits per access", "", DEVICE_INTRO, "",
             "| access | " + " | ".join(MODES) + " | exits (posted) | root cycles per access |",
             "|---|" + "---|" * (len(MODES) + 2)]
    for name, what in DEVICE_ROWS.items():
        if name not in cells:
            continue
        row = []
        for m in MODES:
            cell = cells[name].get(m)
            row.append("-" if cell is None else
                       f"{sum(cell[0]['exits'].values()) / cell[1]:.2f}")
        posted = cells[name].get("posted")
        exits = exits_text(posted[0]["exits"]) if posted else "-"
        cycles = f"{posted[0]['root_cycles'] / posted[1]:.0f}" if posted else "-"
        lines.append(f"| `{name}`: {what} | " + " | ".join(row) + f" | {exits} | {cycles} |")
    lines.append("")
    return lines


def main():
    results = json.load(open(sys.argv[1]))
    ladder = results.get("ladder", {})
    mode = results["mode"]
    lines = [
        "# The ladder: VM exits per interrupt",
        "",
        "Written by `make bench` (tools/ladder-report.py); do not edit by hand. "
        f"Last run: {date.today().isoformat()}, host `{results['host']}`, apicvisor "
        f"`{results['apicvisor']}`; posted-interrupt processing: "
        f"{mode.get('posted_interrupts') or 'n/a'}.",
        "",
        "Each scenario of the test guest runs once in every delivery mode in one boot; a cell is "
        "the scenario's VM exits (between its BEGIN and END hypercalls) divided by the interrupts "
        "it received. Under Bochs these counts are exact and repeat from run to run; "
        "`make test` asserts every cell's exits by reason exactly (tests/integration/run.py).",
        "",
    ] + mode_table("scenario")
    for name, cells in ladder.items():
        if name in EXPLAIN_SMP:
            continue
        row = [f"{cells[m]['exits_per_interrupt']:.2f}" if m in cells else "-" for m in MODES]
        lines.append(f"| `{name}` | " + " | ".join(row) + " |")
    lines += ["", "## Why each row costs what it does", ""]
    for name in ladder:
        if name in EXPLAIN_SMP:
            continue
        what, why = EXPLAIN.get(name, ("", ""))
        lines += [f"**`{name}`** — {what}", "", why, ""]
    lines += [
        "## Exits by reason",
        "",
        "| scenario | mode | interrupts | exits |",
        "|---|---|---|---|",
    ]
    for s in results["scenarios"]:
        interrupts = s["figures"].get("interrupts")
        if s["name"] not in ladder or interrupts is None:
            continue
        exits = exits_text(s["exits"])
        extra = []
        if s.get("apic_write"):
            extra.append("APIC_WRITE at " + ", ".join(f"{k}×{v}" for k, v in s["apic_write"].items()))
        if s.get("posted"):
            extra.append(f"{s['posted']} posted")
        if s.get("injected"):
            extra.append(f"{s['injected']} injected")
        if extra:
            exits += " (" + "; ".join(extra) + ")"
        lines.append(f"| `{s['name']}` | {s['mode']} | {interrupts} | {exits} |")
    lines.append("")
    if len(sys.argv) > 3:
        lines += smp_section(json.load(open(sys.argv[3])))
    if len(sys.argv) > 4:
        lines += housekeeping_section(json.load(open(sys.argv[4])), results)
    lines += [""] + device_section(results) + MMIO_SECTION + [""]
    open(sys.argv[2], "w").write("\n".join(lines))


if __name__ == "__main__":
    main()
