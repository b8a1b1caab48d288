#!/usr/bin/env python3
"""Writes docs/benchmarks.md from a `make bench` run's results.json.

Usage: bench-report.py RESULTS_JSON OUTPUT_MD
"""
import json
import sys
from datetime import date


def main():
    results = json.load(open(sys.argv[1]))
    # The first run of each (the scenarios repeat once per delivery mode; a hypercall costs the
    # same in every mode).
    scenarios = {}
    for s in results["scenarios"]:
        scenarios.setdefault(s["name"], s)
    vmcall, null = scenarios["vmcall"], scenarios["null"]
    exits = {e["name"]: e for e in results["cpus"][0]["exits"]}
    vmcall_exit = exits["VMCALL"]
    n = vmcall["figures"]["iterations"]
    full = vmcall["figures"]["cycles_per_vmcall"]
    bare = null["figures"]["cycles_per_null_exit"]
    host = results["host"]
    timed = vmcall_exit["count"] - vmcall_exit["untimed"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (tools/bench.sh → tools/bench-report.py); do not edit by hand.",
        f"Last run: {date.today().isoformat()}, host `{host}`, apicvisor "
        f"`{results['apicvisor']}`, TSC {results['tsc_hz']} Hz, mode `{results['mode']['effective']}`.",
        "",
        "## VM exit round trip: full exit path against the bare turn-around",
        "",
        f"The guest times {n} back-to-back hypercalls with fenced RDTSC around the whole loop",
        "(as kvm-unit-tests' x86/vmexit.c \"vmcall\" does) and divides by the count.",
        "",
        "| hypercall | path in the hypervisor | guest TSC cycles per round trip |",
        "|---|---|---|",
        f"| `APICVISOR_HC_NULL` | turned around in vmx/entry.asm: save GPRs, 6 VMREADs, 1 VMWRITE, VMRESUME | {bare} |",
        f"| `APICVISOR_HC_PING` | full path: vmx_enter returns to C, exit dispatch, statistics, handler, vmx_enter | {full} |",
        "",
        f"Software cost of the full path over the bare turn-around: **{full - bare} cycles** per exit"
        f" ({full / bare:.2f}×).",
        "",
        "The full path includes evaluating interrupt delivery before every VM entry"
        " (`apic_before_entry`: pending NMI, RVI/SVI and the EOI-exit bitmap, or injection and"
        " the interrupt window), done on every exit whatever its reason. KVM avoids most of that"
        " with request bits (KVM_REQ_EVENT); apicvisor does not yet, and this figure shows the"
        " price.",
        "",
        f"Root-mode cycles of the timed (full-path) VMCALL exits, measured by the hypervisor from the"
        f" return of `vmx_enter` to the next entry: avg {vmcall_exit['cycles_avg']}, min"
        f" {vmcall_exit['cycles_min']}, max {vmcall_exit['cycles_max']} over {timed} exits"
        " (this includes the scenario checkpoints).",
        "",
    ]
    if host == "bochs":
        lines += [
            "Under Bochs 2.7 the TSC advances with the emulated instruction count (`clock: sync=none`,",
            "default 4 MIPS), so these figures repeat exactly from run to run and compare code paths,",
            "not silicon. The null round trip is about as many cycles as the guest loop and the exit",
            "stub have instructions (about 60), so in Bochs a VM exit or VM entry costs roughly one",
            "instruction; on hardware each costs hundreds of cycles and dominates the null figure.",
            "Run `make bench` where VT-x is real (QEMU/KVM with nested VT-x, or bare metal) for",
            "hardware figures.",
            "",
        ]
    open(sys.argv[2], "w").write("\n".join(lines))


if __name__ == "__main__":
    main()
