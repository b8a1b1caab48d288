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
                  "hlt-wakeup"]
MODES = ["emulate", "tpr-shadow", "apicv", "posted"]
N = 10  # interrupts per self-IPI scenario

# Exit counts the SDM fixes (Vol. 3C chapter 30 "APIC Virtualization and Virtual Interrupts"),
# for N self-IPIs, each followed by the handler's EOI:
APIC_EXPECTED = [
    # emulate: no APIC virtualization, so every APIC access exits: MMIO as an EPT violation on
    # the absent APIC page, x2APIC MSRs as RDMSR/WRMSR.
    ("self-ipi-x2apic", "emulate", {"WRMSR": 2 * N}),               # SELF_IPI + EOI
    ("self-ipi-xapic-shorthand", "emulate", {"EPT_VIOLATION": 2 * N}),  # ICR low + EOI
    ("self-ipi-xapic-dest", "emulate", {"EPT_VIOLATION": 3 * N}),   # ICR high, ICR low, EOI
    # tpr-shadow: the same accesses as APIC_ACCESS exits (only the TPR is virtualized, §30.1.1)
    ("self-ipi-xapic-shorthand", "tpr-shadow", {"APIC_ACCESS": 2 * N}),
    ("self-ipi-xapic-dest", "tpr-shadow", {"APIC_ACCESS": 3 * N}),
    # tpr-mask raises the TPR (no exit: virtualized), sends the IPI and reads IRR (2 exits),
    # lowers the TPR below the threshold (1 TPR_BELOW_THRESHOLD, §30.1.2), EOIs (1 exit).
    ("tpr-mask", "tpr-shadow", {"TPR_BELOW_THRESHOLD": 1, "APIC_ACCESS": 3}),
    # apicv: SELF_IPI and the ICR "self" shorthand are self-IPI virtualization, edge EOIs are
    # virtualized (§30.1.3, §30.5): 0 exits. A fixed IPI to the own APIC ID is an APIC_WRITE
    # (trap-like, §30.4.3.3) each; ICR high is virtualized without exit.
    ("self-ipi-x2apic", "apicv", {}),
    ("self-ipi-xapic-shorthand", "apicv", {}),
    ("self-ipi-xapic-dest", "apicv", {"APIC_WRITE": N}),
    # TPR writes above the threshold and reads of IRR are virtualized: 0 exits.
    ("tpr-mask", "apicv", {}),
    ("priority-order", "apicv", {}),
    # posted, with the descriptor drained in software (Bochs 2.7): as apicv for self-IPIs.
    ("self-ipi-x2apic", "posted", {}),
    ("self-ipi-xapic-shorthand", "posted", {}),
    ("self-ipi-xapic-dest", "posted", {"APIC_WRITE": N}),
]

PLATFORM_SCENARIOS = ["ioapic-edge", "ioapic-edge-masked", "ioapic-level", "ioapic-priority",
                      "pic-extint", "pit-periodic", "msi", "uart-irq"]

# Exit counts the SDM fixes for device interrupts (Vol. 3C chapter 30), N = 10:
PLATFORM_EXPECTED = [
    # apicv, edge IOAPIC interrupt: its trigger's exit (one OUT to the test device per pulse)
    # and 0 for the EOI (an edge vector is not in the EOI-exit bitmap, §30.1.4). The rest is
    # the scenario's setup: 4 IOAPIC MMIO writes for the RTE, 2 to mask it, the delayed
    # raise (2 OUTs, HLT, its one timer exit) and its safety-net LAPIC timer (3 APIC_WRITEs).
    ("ioapic-edge", "apicv", {"HLT": 1, "IO_INSTRUCTION": 12, "EPT_VIOLATION": 6,
                              "PREEMPTION_TIMER": 1, "APIC_WRITE": 3}),
    # apicv, level IOAPIC interrupt: exactly 1 EOI_INDUCED each (3 interrupts), for the
    # IOAPIC to clear remote IRR (§30.1.4); 6 OUTs drive the line; 14 IOAPIC MMIO accesses.
    ("ioapic-level", "apicv", {"IO_INSTRUCTION": 6, "EOI_INDUCED": 3, "EPT_VIOLATION": 14}),
    # apicv, MSI: 2 OUTs set the message up, one OUT sends each; the EOI costs nothing.
    ("msi", "apicv", {"IO_INSTRUCTION": 12}),
    ("msi", "posted", {"IO_INSTRUCTION": 12}),
    # ExtINT is injected in every mode, apicv included: one interrupt-window exit per
    # interrupt (the guest raises IRQ 5 with IF = 0, then STI).
    ("pic-extint", "apicv", {"INTERRUPT_WINDOW": 10, "IO_INSTRUCTION": 36, "APIC_WRITE": 2}),
    ("pic-extint", "emulate", {"INTERRUPT_WINDOW": 10, "IO_INSTRUCTION": 36,
                               "EPT_VIOLATION": 2}),
]

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
         + [scenario_in_mode(n, m, e) for n, m, e in APIC_EXPECTED]
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
         + [scenario_in_mode(n, m, e) for n, m, e in PLATFORM_EXPECTED]
         + [scenario_field("ioapic-level", "apicv", "eoi_induced", {"72": 3}),
            scenario_field("ioapic-edge", "apicv", "eoi_induced", {}),
            scenario_field("pic-extint", "apicv", "extint_injected", N),
            scenario_field("pic-extint", "posted", "extint_injected", N),
            scenario_field("pic-extint", "apicv", "extint_window_exits", N),
            # the level scenario's 3 EOIs each clear remote IRR in the IOAPIC
            scenario_field("ioapic-level", "apicv", "remote_irr_clears", 3),
            scenario_field("ioapic-level", "emulate", "remote_irr_clears", 3)]),
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
