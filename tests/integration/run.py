#!/usr/bin/env python3
"""apicvisor integration tests: boot the real image on the test hosts and check what it did.

Each case writes its own apicvisor.cfg and ESP image under build/tests/<case>/, boots it with
tools/boot.sh (Bochs 2.7 for everything that needs VT-x, QEMU TCG for the "no VT-x" path and the
boot-time errors), turns the serial log into results.json with tools/results.py, and checks it.
Exit counts under Bochs are deterministic (clock: sync=none), so they are asserted exactly.

Prints one line per check, "PASS case: check" or "FAIL case: check: why".
Usage: run.py [CASE...]   (default: all cases; build first with `make all tests-kernels`)
"""
import concurrent.futures
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", ROOT / "build"))
EFI = BUILD / "apicvisor.efi"
GUEST = BUILD / "guest.elf"

# The exits a guest may cause on this platform before the vLAPIC and devices exist.
PLATFORM_EXITS = {"CPUID", "VMCALL", "IO_INSTRUCTION", "CR_ACCESS", "RDMSR", "WRMSR"}


class Case:
    def __init__(self, name, host, args="", timeout=60, guest=None, config=None, extra=(),
                 wall=240, checks=()):
        self.name, self.host, self.args, self.timeout = name, host, args, timeout
        self.guest = guest or GUEST
        self.config = config  # full apicvisor.cfg text, replacing the generated one
        self.extra = extra    # (name on the ESP, host file)
        self.wall, self.checks = wall, checks


def write_config(case, run_dir):
    text = case.config if case.config is not None else (
        f"guest=\\guest.elf\nargs={case.args}\nmode=posted\ntimeout={case.timeout}\n"
        f"log=info\nmem=128\n")
    (run_dir / "apicvisor.cfg").write_text(text)


def run_case(case):
    run_dir = BUILD / "tests" / case.name
    run_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("serial.log", "results.json", "bochs.log", "host.log"):
        (run_dir / stale).unlink(missing_ok=True)
    write_config(case, run_dir)
    image = run_dir / "esp.img"
    subprocess.run([ROOT / "tools/make-image.sh", image, EFI, case.guest,
                    run_dir / "apicvisor.cfg"] + [f"{n}={f}" for n, f in case.extra],
                   check=True)
    start = time.monotonic()
    boot = subprocess.run([ROOT / "tools/boot.sh", case.host, run_dir, image, str(case.wall)])
    wall = time.monotonic() - start
    subprocess.run([ROOT / "tools/results.py", run_dir, case.host])
    run = Run(run_dir, boot.returncode == 124, wall)
    outcomes = []
    for check in case.checks:
        try:
            message = check(run)
        except Exception as e:  # a check that cannot even look is a failed check
            message = f"{type(e).__name__}: {e}"
        outcomes.append((check.__doc__ or check.__name__, message))
    if run.killed:
        outcomes.append(("host stopped by itself", f"killed after {case.wall} s"))
    return case, outcomes, wall


class Run:
    def __init__(self, run_dir, killed, wall):
        self.dir, self.killed, self.wall = run_dir, killed, wall
        self.serial = (run_dir / "serial.log").read_text(errors="replace").replace("\r", "")
        self.results = json.loads((run_dir / "results.json").read_text())

    @property
    def scenarios(self):
        return {s["name"]: s for s in self.results.get("scenarios", [])}

    def exits(self):
        return {e["name"]: e for e in self.results["cpus"][0]["exits"]}


# ---- checks: each returns None when it holds, else what was wrong -----------------------------

def guest_succeeded(run):
    """guest ended through isa-debug-exit with value 0"""
    g = run.results.get("guest")
    if not g:
        return f"no results: {run.results.get('last_message')}"
    if g["end"] != "debug-exit" or g["exit_value"] != 0 or not g["success"]:
        return f"end={g['end']} value={g['exit_value']} success={g['success']}: {g['detail']}"


def all_scenarios_passed(run):
    """every scenario ended and passed"""
    bad = [s["name"] for s in run.results["scenarios"] if not s["passed"]]
    return f"failed or unfinished: {bad}" if bad else None


def only_platform_exits(run):
    """no exit reason outside the emulated platform's"""
    unexpected = set(run.exits()) - PLATFORM_EXITS
    return f"unexpected exits: {sorted(unexpected)}" if unexpected else None


def scenario_exits(name, expected, figures=None):
    def check(run):
        s = run.scenarios.get(name)
        if s is None:
            return f"scenario {name} missing"
        if s["exits"] != expected:
            return f"exits {s['exits']} != {expected}"
        for key, value in (figures or {}).items():
            if s["figures"].get(key) != value:
                return f"figure {key} = {s['figures'].get(key)}, expected {value}"
    check.__doc__ = f"scenario {name}: exits exactly {expected}"
    return check


def fast_path_took_null_exits(count):
    def check(run):
        vmcall = run.exits().get("VMCALL", {})
        if vmcall.get("untimed") != count:
            return f"VMCALL untimed = {vmcall.get('untimed')}, expected {count}"
    check.__doc__ = f"the entry stub turned all {count} null hypercalls around"
    return check


def mode_posted_in_software(run):
    """mode posted with its software fallback: Bochs 2.7 has no posted-interrupt processing"""
    m = run.results["mode"]
    if (m["effective"], m["lowered_for_lack_of"], m["posted_interrupts"]) != (
            "posted", None, "software"):
        return f"mode {m}"


def scenario_in_mode(name, mode, expected):
    def check(run):
        cells = [s for s in run.results["scenarios"] if s["name"] == name and s["mode"] == mode]
        if len(cells) != 1:
            return f"{len(cells)} runs of {name} in {mode}"
        if not cells[0]["passed"]:
            return f"{name} in {mode} failed (status {cells[0]['status']})"
        if cells[0]["exits"] != expected:
            return f"exits {cells[0]['exits']} != {expected}"
    check.__doc__ = f"{name} in {mode}: exits exactly {expected or 'none'}"
    return check


def scenario_field(name, mode, field, expected):
    def check(run):
        cells = [s for s in run.results["scenarios"] if s["name"] == name and s["mode"] == mode]
        if not cells or cells[0].get(field) != expected:
            return f"{field} = {cells[0].get(field) if cells else None}"
    check.__doc__ = f"{name} in {mode}: {field} = {expected}"
    return check


def scenario_field_any(name, field, key, expected):
    def check(run):
        s = run.scenarios.get(name)
        if s is None or s.get(field, {}).get(key) != expected:
            return f"{field}.{key} = {s.get(field, {}).get(key) if s else None}"
    check.__doc__ = f"scenario {name}: {field}.{key} = {expected}"
    return check


def ladder_complete(scenarios, modes):
    def check(run):
        ladder = run.results.get("ladder", {})
        missing = [(n, m) for n in scenarios for m in modes if m not in ladder.get(n, {})]
        return f"ladder lacks {missing}" if missing else None
    check.__doc__ = f"the ladder has all {len(scenarios)} scenarios in all {len(modes)} modes"
    return check


def msr_gp_counted(count):
    def check(run):
        if run.results["counters"]["msr_gp_injected"] != count:
            return f"counters {run.results['counters']}"
    check.__doc__ = f"{count} #GP injected for unhandled MSRs, counted"
    return check


def guest_end(end, detail_has):
    def check(run):
        g = run.results.get("guest")
        if not g:
            return f"no results: {run.results.get('last_message')}"
        if g["end"] != end or detail_has not in g["detail"]:
            return f"end={g['end']} detail={g['detail']!r}"
    check.__doc__ = f"guest stopped as {end} ({detail_has!r})"
    return check


def serial_says(text):
    def check(run):
        return None if text in run.serial else f"serial log lacks {text!r}"
    check.__doc__ = f"console says {text!r}"
    return check


def serial_lacks(text):
    def check(run):
        return f"serial log has {text!r}" if text in run.serial else None
    check.__doc__ = f"console does not say {text!r}"
    return check


def stopped_within(seconds):
    def check(run):
        return None if run.wall <= seconds else f"took {run.wall:.0f} s"
    check.__doc__ = f"stopped cleanly within {seconds} s"
    return check


def powered_off(run):
    """the hypervisor powered the machine off (no results, no hang)"""
    if "apicvisor: stopping (power off)" not in run.serial:
        return "no 'stopping (power off)' line"
    if "results.json begin" in run.serial:
        return "a results document was printed"


def config_error(text):
    return [serial_says(text), powered_off, stopped_within(60)]


APIC_SCENARIOS = ["self-ipi-x2apic", "self-ipi-xapic-shorthand", "self-ipi-xapic-dest",
                  "timer-periodic", "timer-oneshot", "timer-tsc-deadline", "tpr-mask",
                  "priority-order", "esr-illegal-vector", "nmi-nested", "irq-window",
                  "hlt-wakeup", "ipi-shorthand-all"]
MODES = ["emulate", "tpr-shadow", "apicv", "posted"]
N = 10  # interrupts per self-IPI scenario

# Every cell of the APIC ladder, exactly: scenario -> mode -> exits by reason (VMCALL
# checkpoints excluded). Bochs is deterministic; each count is read off the scenario's accesses
# in guest/scenarios.h. SDM Vol. 3C chapter 30 "APIC Virtualization and Virtual Interrupts":
#   emulate    no APIC virtualization: every xAPIC MMIO access is an EPT_VIOLATION on the APIC
#              page, absent from EPT; every x2APIC MSR access a RDMSR/WRMSR exit.
#   tpr-shadow "virtualize APIC accesses" + TPR shadow: each xAPIC access but TPR's is an
#              APIC_ACCESS exit (§30.4); x2APIC MSRs but TPR still exit (§30.5).
#   apicv      + APIC-register virtualization and virtual-interrupt delivery: reads of the
#              page's registers, TPR and EOI writes (edge vectors: not in the EOI-exit bitmap,
#              §30.1.4), ICR high and the self-IPI forms (§30.1.3 "self-IPI virtualization":
#              fixed, edge, shorthand self or x2APIC SELF IPI, vector >= 16) need no exit; other
#              writes are trap-like APIC_WRITE (§30.4.3.3); the timer's current count is not
#              virtualized (APIC_ACCESS).
#   posted     as apicv: Bochs 2.7 has no posted-interrupt processing, so the descriptor is
#              drained in software at VM entry, which costs no exit.
# Timer expiries (vLAPIC timer, PIT, delayed raise) are PREEMPTION_TIMER exits in every mode.
APIC_EXPECTED = {
    # N x (SELF IPI + EOI) WRMSRs; tpr-shadow's x2APIC virtualization covers the TPR only.
    "self-ipi-x2apic": {"emulate": {"WRMSR": 2 * N}, "tpr-shadow": {"WRMSR": 2 * N},
                        "apicv": {}, "posted": {}},
    # N x (ICR low + EOI); apicv: self-IPI virtualization and a virtualized edge EOI.
    "self-ipi-xapic-shorthand": {"emulate": {"EPT_VIOLATION": 2 * N},
                                 "tpr-shadow": {"APIC_ACCESS": 2 * N}, "apicv": {}, "posted": {}},
    # N x (ICR high + ICR low + EOI); apicv: a physical destination is no self-IPI form, so
    # each ICR low write is an APIC_WRITE.
    "self-ipi-xapic-dest": {"emulate": {"EPT_VIOLATION": 3 * N},
                            "tpr-shadow": {"APIC_ACCESS": 3 * N},
                            "apicv": {"APIC_WRITE": N}, "posted": {"APIC_WRITE": N}},
    # LVT, initial count, 10 EOIs, the stop (initial count 0), IRR read = 14; one
    # PREEMPTION_TIMER per tick; apicv: the three timer writes trap.
    "timer-periodic": {"emulate": {"EPT_VIOLATION": 14, "PREEMPTION_TIMER": N},
                       "tpr-shadow": {"APIC_ACCESS": 14, "PREEMPTION_TIMER": N},
                       "apicv": {"APIC_WRITE": 3, "PREEMPTION_TIMER": N},
                       "posted": {"APIC_WRITE": 3, "PREEMPTION_TIMER": N}},
    # LVT, initial count, EOI, current-count read; apicv: 2 writes trap, the current count
    # is not a virtualized read (APIC_ACCESS).
    "timer-oneshot": {"emulate": {"EPT_VIOLATION": 4, "PREEMPTION_TIMER": 1},
                      "tpr-shadow": {"APIC_ACCESS": 4, "PREEMPTION_TIMER": 1},
                      "apicv": {"APIC_ACCESS": 1, "APIC_WRITE": 2, "PREEMPTION_TIMER": 1},
                      "posted": {"APIC_ACCESS": 1, "APIC_WRITE": 2, "PREEMPTION_TIMER": 1}},
    # LVT and EOI on the page; IA32_TSC_DEADLINE is never virtualized (WRMSR, RDMSR).
    "timer-tsc-deadline": {
        "emulate": {"RDMSR": 1, "WRMSR": 1, "EPT_VIOLATION": 2, "PREEMPTION_TIMER": 1},
        "tpr-shadow": {"RDMSR": 1, "WRMSR": 1, "APIC_ACCESS": 2, "PREEMPTION_TIMER": 1},
        "apicv": {"RDMSR": 1, "WRMSR": 1, "APIC_WRITE": 1, "PREEMPTION_TIMER": 1},
        "posted": {"RDMSR": 1, "WRMSR": 1, "APIC_WRITE": 1, "PREEMPTION_TIMER": 1}},
    # TPR 0x80, ICR, IRR read, TPR 0x70, EOI; tpr-shadow: TPR writes virtualized, the one that
    # drops below the threshold is TPR_BELOW_THRESHOLD (§30.1.2); apicv: nothing exits.
    "tpr-mask": {"emulate": {"EPT_VIOLATION": 5},
                 "tpr-shadow": {"TPR_BELOW_THRESHOLD": 1, "APIC_ACCESS": 3},
                 "apicv": {}, "posted": {}},
    # 6 ICRs + 6 EOIs, then 3 ICRs, 2 EOIs and the last handler's EOI = 18; injection needs an
    # interrupt window for each of the 6 sent with IF = 0; apicv: self IPIs and EOIs virtualized.
    "priority-order": {"emulate": {"INTERRUPT_WINDOW": 6, "EPT_VIOLATION": 18},
                       "tpr-shadow": {"INTERRUPT_WINDOW": 6, "APIC_ACCESS": 18},
                       "apicv": {}, "posted": {}},
    # ICR (vector 5), ESR write, ESR read; apicv: vector 5 is no self-IPI form, so the ICR
    # write traps, and so does the ESR write; the read is virtualized.
    "esr-illegal-vector": {"emulate": {"EPT_VIOLATION": 3}, "tpr-shadow": {"APIC_ACCESS": 3},
                           "apicv": {"APIC_WRITE": 2}, "posted": {"APIC_WRITE": 2}},
    # 3 x (ICR high + ICR low); the second NMI waits for the first's IRET: one NMI_WINDOW.
    "nmi-nested": {"emulate": {"NMI_WINDOW": 1, "EPT_VIOLATION": 6},
                   "tpr-shadow": {"NMI_WINDOW": 1, "APIC_ACCESS": 6},
                   "apicv": {"NMI_WINDOW": 1, "APIC_WRITE": 3},
                   "posted": {"NMI_WINDOW": 1, "APIC_WRITE": 3}},
    # ICR, IRR read, EOI, ICR, EOI; the STI;NOP delivery is one INTERRUPT_WINDOW (injection).
    "irq-window": {"emulate": {"INTERRUPT_WINDOW": 1, "EPT_VIOLATION": 5},
                   "tpr-shadow": {"INTERRUPT_WINDOW": 1, "APIC_ACCESS": 5},
                   "apicv": {}, "posted": {}},
    # ICR, LVT, initial count, stop, EOI, LVT, initial count, EOI = 8; 2 HLT exits; the timer
    # that ends the second HLT is one PREEMPTION_TIMER; apicv: the self IPI and EOIs are
    # virtualized, the 5 timer writes trap.
    "hlt-wakeup": {"emulate": {"HLT": 2, "EPT_VIOLATION": 8, "PREEMPTION_TIMER": 1},
                   "tpr-shadow": {"HLT": 2, "APIC_ACCESS": 8, "PREEMPTION_TIMER": 1},
                   "apicv": {"HLT": 2, "APIC_WRITE": 5, "PREEMPTION_TIMER": 1},
                   "posted": {"HLT": 2, "APIC_WRITE": 5, "PREEMPTION_TIMER": 1}},
    # N x (ICR all-including-self + EOI + ICR all-excluding-self) + IRR read = 3N + 1; apicv:
    # only the self shorthand is virtualized, both "all" shorthands trap (2N APIC_WRITE).
    "ipi-shorthand-all": {"emulate": {"EPT_VIOLATION": 3 * N + 1},
                          "tpr-shadow": {"APIC_ACCESS": 3 * N + 1},
                          "apicv": {"APIC_WRITE": 2 * N}, "posted": {"APIC_WRITE": 2 * N}},
}

PLATFORM_SCENARIOS = ["ioapic-edge", "ioapic-edge-masked", "ioapic-level", "ioapic-priority",
                      "pic-extint", "pit-periodic", "msi", "uart-irq", "ioapic-directed-eoi",
                      "logical-destination", "ioapic-extint"]

# Every cell of the platform ladder, exactly (modes as above). The I/O APIC page is absent
# from EPT in every mode: each IOREGSEL/IOWIN/EOIR access is an EPT_VIOLATION. "RTE" is 4 of
# them, mask/unmask/remote IRR 2. Level vectors are in the EOI-exit bitmap (§30.1.4), so their
# virtualized EOIs are EOI_INDUCED exits; edge ones cost nothing. ExtINT is injected in every
# mode (virtual-interrupt delivery cannot run the 8259's INTA): one INTERRUPT_WINDOW each.
PLATFORM_EXPECTED = {
    # RTE + mask (6); 10 pulses + delay + raise-later OUTs (12); LVT, initial count, stop (3)
    # and 11 EOIs on the APIC page; HLT woken by the delayed raise's PREEMPTION_TIMER.
    "ioapic-edge": {
        "emulate": {"HLT": 1, "IO_INSTRUCTION": 12, "EPT_VIOLATION": 6 + 14,
                    "PREEMPTION_TIMER": 1},
        "tpr-shadow": {"HLT": 1, "IO_INSTRUCTION": 12, "APIC_ACCESS": 14, "EPT_VIOLATION": 6,
                       "PREEMPTION_TIMER": 1},
        "apicv": {"HLT": 1, "IO_INSTRUCTION": 12, "EPT_VIOLATION": 6, "PREEMPTION_TIMER": 1,
                  "APIC_WRITE": 3},
        "posted": {"HLT": 1, "IO_INSTRUCTION": 12, "EPT_VIOLATION": 6, "PREEMPTION_TIMER": 1,
                   "APIC_WRITE": 3}},
    # RTE, unmask, mask (8); 11 pulses; 1 EOI.
    "ioapic-edge-masked": {
        "emulate": {"IO_INSTRUCTION": 11, "EPT_VIOLATION": 9},
        "tpr-shadow": {"IO_INSTRUCTION": 11, "APIC_ACCESS": 1, "EPT_VIOLATION": 8},
        "apicv": {"IO_INSTRUCTION": 11, "EPT_VIOLATION": 8},
        "posted": {"IO_INSTRUCTION": 11, "EPT_VIOLATION": 8}},
    # RTE, 2 remote IRR reads, mask, unmask, mask (14); 6 line OUTs; IRR read + 3 EOIs on the
    # APIC page; apicv: the IRR read is virtualized, each level EOI one EOI_INDUCED.
    "ioapic-level": {
        "emulate": {"IO_INSTRUCTION": 6, "EPT_VIOLATION": 14 + 4},
        "tpr-shadow": {"IO_INSTRUCTION": 6, "APIC_ACCESS": 4, "EPT_VIOLATION": 14},
        "apicv": {"IO_INSTRUCTION": 6, "EOI_INDUCED": 3, "EPT_VIOLATION": 14},
        "posted": {"IO_INSTRUCTION": 6, "EOI_INDUCED": 3, "EPT_VIOLATION": 14}},
    # 2 RTEs + 2 masks (12); 2 pulses; 2 EOIs; injection of the two waiting interrupts after
    # STI and after the first handler's IRET: 2 INTERRUPT_WINDOW (none with virtual delivery).
    "ioapic-priority": {
        "emulate": {"INTERRUPT_WINDOW": 2, "IO_INSTRUCTION": 2, "EPT_VIOLATION": 12 + 2},
        "tpr-shadow": {"INTERRUPT_WINDOW": 2, "IO_INSTRUCTION": 2, "APIC_ACCESS": 2,
                       "EPT_VIOLATION": 12},
        "apicv": {"IO_INSTRUCTION": 2, "EPT_VIOLATION": 12},
        "posted": {"IO_INSTRUCTION": 2, "EPT_VIOLATION": 12}},
    # LVT LINT0 ExtINT and masked (2 APIC writes); OUTs: mask, 10 x (line 1, 8259 EOI, line
    # 0), IRR and ISR reads (OUT + IN each), mask all = 36.
    "pic-extint": {
        "emulate": {"INTERRUPT_WINDOW": N, "IO_INSTRUCTION": 36, "EPT_VIOLATION": 2},
        "tpr-shadow": {"INTERRUPT_WINDOW": N, "IO_INSTRUCTION": 36, "APIC_ACCESS": 2},
        "apicv": {"INTERRUPT_WINDOW": N, "IO_INSTRUCTION": 36, "APIC_WRITE": 2},
        "posted": {"INTERRUPT_WINDOW": N, "IO_INSTRUCTION": 36, "APIC_WRITE": 2}},
    # RTE + mask (6); 3 OUTs start the PIT, 1 stops it; 10 EOIs + IRR read on the APIC page.
    # The PIT model takes one PREEMPTION_TIMER per period (4000 TSC cycles under Bochs) from
    # start to stop, the pin masked or not: 10 ticks, then the 500000-cycle quiet spell = 136;
    # apicv delivers each tick ~1500 cycles sooner, which moves the stop past one more edge.
    "pit-periodic": {
        "emulate": {"IO_INSTRUCTION": 4, "EPT_VIOLATION": 6 + 11, "PREEMPTION_TIMER": 136},
        "tpr-shadow": {"IO_INSTRUCTION": 4, "APIC_ACCESS": 11, "EPT_VIOLATION": 6,
                       "PREEMPTION_TIMER": 136},
        "apicv": {"IO_INSTRUCTION": 4, "EPT_VIOLATION": 6, "PREEMPTION_TIMER": 137},
        "posted": {"IO_INSTRUCTION": 4, "EPT_VIOLATION": 6, "PREEMPTION_TIMER": 137}},
    # 2 OUTs set the message up, 1 per MSI; N edge EOIs.
    "msi": {"emulate": {"IO_INSTRUCTION": 2 + N, "EPT_VIOLATION": N},
            "tpr-shadow": {"IO_INSTRUCTION": 2 + N, "APIC_ACCESS": N},
            "apicv": {"IO_INSTRUCTION": 2 + N}, "posted": {"IO_INSTRUCTION": 2 + N}},
    # RTE + mask (6); IER, IIR, IER, IER, RX byte, IIR, RBR, IER (8 port accesses); 2 EOIs.
    "uart-irq": {"emulate": {"IO_INSTRUCTION": 8, "EPT_VIOLATION": 6 + 2},
                 "tpr-shadow": {"IO_INSTRUCTION": 8, "APIC_ACCESS": 2, "EPT_VIOLATION": 6},
                 "apicv": {"IO_INSTRUCTION": 8, "EPT_VIOLATION": 6},
                 "posted": {"IO_INSTRUCTION": 8, "EPT_VIOLATION": 6}},
    # SVR on and off, 2 EOIs on the APIC page (4); RTE, 3 remote IRR reads, 2 EOIR writes,
    # mask (14); 3 line OUTs. apicv: SVR writes trap; the level EOIs are EOI_INDUCED (the
    # vector is in the EOI-exit bitmap) and, suppressed, reach no I/O APIC.
    "ioapic-directed-eoi": {
        "emulate": {"IO_INSTRUCTION": 3, "EPT_VIOLATION": 14 + 4},
        "tpr-shadow": {"IO_INSTRUCTION": 3, "APIC_ACCESS": 4, "EPT_VIOLATION": 14},
        "apicv": {"IO_INSTRUCTION": 3, "EOI_INDUCED": 2, "EPT_VIOLATION": 14, "APIC_WRITE": 2},
        "posted": {"IO_INSTRUCTION": 3, "EOI_INDUCED": 2, "EPT_VIOLATION": 14,
                   "APIC_WRITE": 2}},
    # Per model: DFR, LDR, 3 x (ICR high + ICR low), 2 EOIs = 10, and 3 RTEs (12) and 3
    # pulses; then mask (2), DFR, LDR. APIC page 22, I/O APIC 26. apicv: DFR and LDR writes
    # (3 each) and the 6 logical ICR low writes (no self-IPI form) trap; ICR high and EOIs
    # are virtualized.
    "logical-destination": {
        "emulate": {"IO_INSTRUCTION": 6, "EPT_VIOLATION": 26 + 22},
        "tpr-shadow": {"IO_INSTRUCTION": 6, "APIC_ACCESS": 22, "EPT_VIOLATION": 26},
        "apicv": {"IO_INSTRUCTION": 6, "EPT_VIOLATION": 26, "APIC_WRITE": 12},
        "posted": {"IO_INSTRUCTION": 6, "EPT_VIOLATION": 26, "APIC_WRITE": 12}},
    # RTE 0 ExtINT + mask (6, no local APIC access at all); OUTs as pic-extint's.
    "ioapic-extint": {mode: {"INTERRUPT_WINDOW": N, "IO_INSTRUCTION": 36, "EPT_VIOLATION": 6}
                      for mode in MODES},
}


def ladder_cells(expected):
    return [scenario_in_mode(n, m, e) for n, row in expected.items() for m, e in row.items()]


def cells_cover(expected, scenarios):
    def check(run):
        missing = [(n, m) for n in scenarios for m in MODES if m not in expected.get(n, {})]
        return f"no expected counts for {missing}" if missing else None
    check.__doc__ = f"every cell of {len(scenarios)} scenarios x {len(MODES)} modes is asserted"
    return check


JUNK = BUILD / "tests" / "junk.elf"
ELF64 = BUILD / "guest" / "guest64.elf"
AOUT = BUILD / "tests" / "aout-hello.bin"

CASES = [
    Case("foundation", "bochs",
         args="hello vmcall null bad-hypercall cpuid-filter msr-gp cr4-vmxe",
         checks=[guest_succeeded, all_scenarios_passed, only_platform_exits,
                 mode_posted_in_software,
                 scenario_exits("vmcall", {"VMCALL": 1000}, {"iterations": 1000}),
                 scenario_exits("null", {"VMCALL": 1000}, {"iterations": 1000}),
                 fast_path_took_null_exits(1000),
                 scenario_exits("bad-hypercall", {"VMCALL": 1}),
                 scenario_exits("cpuid-filter", {"CPUID": 4}),
                 scenario_exits("msr-gp", {"RDMSR": 1, "WRMSR": 1}, {"gp_faults": 2}),
                 msr_gp_counted(2),
                 scenario_exits("cr4-vmxe", {"CR_ACCESS": 1}),
                 serial_says("guest: hello from the apicvisor test guest"),
                 serial_says("VT-x capabilities")]),
    Case("apic-ladder", "bochs", timeout=240, wall=400,
         args=f"n={N} modes={','.join(MODES)} " + " ".join(APIC_SCENARIOS),
         checks=[guest_succeeded, all_scenarios_passed, ladder_complete(
                     [s for s in APIC_SCENARIOS if s != "esr-illegal-vector"], MODES)]
         + [cells_cover(APIC_EXPECTED, APIC_SCENARIOS)] + ladder_cells(APIC_EXPECTED)
         + [  # in posted mode the emulated self-IPIs go through the descriptor (§30.6)
            scenario_field("self-ipi-xapic-dest", "posted", "posted", N),
            scenario_field("self-ipi-xapic-dest", "apicv", "posted", 0),
            # emulate and tpr-shadow inject every interrupt at VM entry
            scenario_field("self-ipi-xapic-dest", "emulate", "injected", N),
            scenario_field("self-ipi-xapic-dest", "apicv", "injected", 0),
            scenario_field("self-ipi-xapic-dest", "apicv", "apic_write", {"0x300": N})]),
    Case("platform-ladder", "bochs", timeout=240, wall=400,
         args=f"n={N} modes={','.join(MODES)} " + " ".join(PLATFORM_SCENARIOS),
         checks=[guest_succeeded, all_scenarios_passed,
                 ladder_complete(PLATFORM_SCENARIOS, MODES)]
         + [cells_cover(PLATFORM_EXPECTED, PLATFORM_SCENARIOS)]
         + ladder_cells(PLATFORM_EXPECTED)
         + [scenario_field("ioapic-level", "apicv", "eoi_induced", {"72": 3}),
            scenario_field("ioapic-edge", "apicv", "eoi_induced", {}),
            scenario_field("pic-extint", "apicv", "extint_injected", N),
            scenario_field("pic-extint", "posted", "extint_injected", N),
            scenario_field("pic-extint", "apicv", "extint_window_exits", N),
            # the level scenario's 3 EOIs each clear remote IRR in the IOAPIC
            scenario_field("ioapic-level", "apicv", "remote_irr_clears", 3),
            scenario_field("ioapic-level", "emulate", "remote_irr_clears", 3),
            # directed EOI: both remote IRR clears by the EOI register (0x40), none by the
            # suppressed EOI broadcasts
            scenario_field("ioapic-directed-eoi", "apicv", "remote_irr_clears", 2),
            scenario_field("ioapic-directed-eoi", "apicv", "ioapic_access",
                           {"0": 6, "0x10": 6, "0x40": 2}),
            scenario_field("ioapic-directed-eoi", "emulate", "remote_irr_clears", 2),
            # the 8259's interrupts through I/O APIC pin 0 are ExtINT injections in every mode
            scenario_field("ioapic-extint", "apicv", "extint_injected", N),
            scenario_field("ioapic-extint", "emulate", "extint_injected", N),
            scenario_field("logical-destination", "apicv", "apic_write",
                           {"0xd0": 3, "0xe0": 3, "0x300": 6})]),
    Case("platform-tables", "bochs",
         config="guest=\\guest.elf\nargs=hello acpi-tables fw-cfg\ntimeout=60\n"
                "modules=\\aout.bin modarg\n",
         extra=[("aout.bin", AOUT)],
         checks=[guest_succeeded, all_scenarios_passed,
                 scenario_field_any("hello", "figures", "modules", 1),
                 # ACPI tables are memory: only the two PM-timer reads exit
                 scenario_exits("acpi-tables", {"IO_INSTRUCTION": 2}),
                 # fw_cfg: 4 selector writes and 18 data reads
                 scenario_exits("fw-cfg", {"IO_INSTRUCTION": 22}),
                 serial_says("1 module(s)")]),
    Case("aout-kernel", "bochs", guest=AOUT,
         checks=[guest_succeeded, only_platform_exits,
                 serial_says("guest: a.out kludge kernel: hello"),
                 serial_says("multiboot a.out kludge")]),
    Case("watchdog", "bochs", args="spin", timeout=2,
         checks=[guest_end("timeout", "timeout=2 s")]),
    Case("triple-fault", "bochs", args="triple-fault",
         checks=[guest_end("triple-fault", "triple fault at RIP")]),
    Case("halted", "bochs", args="halt",
         checks=[guest_end("halted", "HLT with interrupts disabled")]),
    Case("unmapped-access", "bochs", args="unmapped-access",
         checks=[guest_end("unhandled", "guest-physical 0xfed00000")]),
    Case("no-vtx", "qemu-tcg", args="hello",
         checks=[serial_says("apicvisor: error: VT-x is not available: CPUID.1:ECX.VMX"),
                 powered_off, stopped_within(60)]),
    Case("bad-key", "qemu-tcg", config="guest=\\guest.elf\ngust=x\n",
         checks=config_error("apicvisor.cfg line 2: unknown key 'gust'")),
    Case("bad-mode", "qemu-tcg", config="mode=fast\n",
         checks=config_error("mode: 'fast' is not one of")),
    Case("missing-guest", "qemu-tcg", config="guest=\\nothere.elf\n",
         checks=config_error("guest image \\nothere.elf: not found")),
    Case("junk-guest", "qemu-tcg", config="guest=\\junk.elf\n", extra=[("junk.elf", JUNK)],
         checks=config_error("guest image \\junk.elf: no multiboot header")),
    Case("elf64-guest", "qemu-tcg", config="guest=\\guest64.elf\n",
         extra=[("guest64.elf", ELF64)],
         checks=config_error("guest image \\guest64.elf: ELF64 image: needs a 32-bit ELF")),
]


# ---- the reliability suite (issue 7, docs/reliability.md) ---------------------------------------

def no_hypervisor_fault(run):
    """no hypervisor fault on the console (no FATAL, no root-mode exception)"""
    bad = [line for line in run.serial.splitlines()
           if "FATAL" in line or "root-mode exception" in line]
    return f"console: {bad[:3]}" if bad else None


def scenario_figures(name, expected):
    def check(run):
        s = run.scenarios.get(name)
        if s is None:
            return f"scenario {name} missing"
        got = {k: s["figures"].get(k) for k in expected}
        return None if got == expected else f"figures {got} != {expected}"
    check.__doc__ = f"scenario {name}: figures exactly {expected}"
    return check


CHAOS_SEED, CHAOS_OPS = 1, 10000

RELIABILITY_CASES = [
    Case("chaos", "bochs", args=f"seed={CHAOS_SEED} n={CHAOS_OPS} chaos hello", timeout=600,
         wall=400,
         checks=[guest_succeeded, all_scenarios_passed, no_hypervisor_fault,
                 scenario_figures("chaos", {"ops": CHAOS_OPS})]),
]
CASES += RELIABILITY_CASES


def main():
    wanted = set(sys.argv[1:])
    cases = [c for c in CASES if not wanted or c.name in wanted]
    JUNK.parent.mkdir(parents=True, exist_ok=True)
    JUNK.write_text("this is not a kernel\n" * 400)
    failures = 0
    workers = max(1, min(len(cases), os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for case, outcomes, wall in pool.map(run_case, cases):
            for what, message in outcomes:
                if message is None:
                    print(f"PASS {case.name}: {what}")
                else:
                    failures += 1
                    print(f"FAIL {case.name}: {what}: {message}")
            print(f"     {case.name}: {case.host}, {wall:.0f} s wall, "
                  f"build/tests/{case.name}/")
            sys.stdout.flush()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
