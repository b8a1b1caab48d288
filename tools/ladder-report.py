#!/usr/bin/env python3
"""Writes docs/ladder.md from a run's results.json: the ladder of VM exits per interrupt for
every interrupt scenario in every delivery mode, each row explained from the SDM.

Usage: ladder-report.py RESULTS_JSON OUTPUT_MD
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
        "| scenario | " + " | ".join(MODES) + " |",
        "|---|" + "---|" * len(MODES),
    ]
    for name, cells in ladder.items():
        row = [f"{cells[m]['exits_per_interrupt']:.2f}" if m in cells else "-" for m in MODES]
        lines.append(f"| `{name}` | " + " | ".join(row) + " |")
    lines += ["", "## Why each row costs what it does", ""]
    for name in ladder:
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
        exits = ", ".join(f"{k} {v}" for k, v in s["exits"].items()) or "none"
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
    open(sys.argv[2], "w").write("\n".join(lines))


if __name__ == "__main__":
    main()
