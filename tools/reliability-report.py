#!/usr/bin/env python3
"""Writes the long chaos run's figures into docs/reliability.md (make bench, tools/bench.sh).

Usage: reliability-report.py RUN_DIR WALL_SECONDS DOC
RUN_DIR is the run's directory (results.json and serial.log, as tools/run.sh leaves them). The
figures replace what stands between the "chaos-bench" markers in DOC; the rest of DOC is kept.
Exit status 1 when the run shows a hypervisor fault or the chaos scenario did not pass.
"""
import datetime
import json
import re
import sys
from pathlib import Path

BEGIN = "<!-- chaos-bench begin: written by make bench (tools/reliability-report.py) -->"
END = "<!-- chaos-bench end -->"


def main():
    run_dir, wall, doc = Path(sys.argv[1]), float(sys.argv[2]), Path(sys.argv[3])
    results = json.loads((run_dir / "results.json").read_text())
    serial = (run_dir / "serial.log").read_text(errors="replace")
    faults = [line for line in serial.splitlines()
              if "FATAL" in line or "root-mode exception" in line]
    chaos = [s for s in results.get("scenarios", []) if s["name"] == "chaos"]
    guest = results.get("guest", {})
    figures = chaos[0]["figures"] if chaos else {}
    notes = [m.group(1) for m in re.finditer(r"guest:   (seed .*|faults by vector.*)", serial)]
    passed = bool(chaos) and chaos[0]["passed"] and guest.get("success")
    rows = [
        ("host", f"{results.get('host', 'bochs')}, TSC {results.get('tsc_hz')} Hz"),
        ("apicvisor", results.get("apicvisor")),
        ("guest command line", f"`{guest.get('args')}`"),
        ("how the run ended", f"{guest.get('end')}: {guest.get('detail')}"),
        ("chaos scenario", "pass" if passed else "FAIL"),
        ("ops survived", figures.get("ops")),
        ("batches", figures.get("batches")),
        ("faults caught (all vectors)", figures.get("faults_caught")),
        ("#GP caught", figures.get("faults_gp")),
        ("#UD caught", figures.get("faults_ud")),
        ("interrupts taken", figures.get("interrupts_taken")),
        ("NMIs taken", figures.get("nmis_taken")),
        ("ops per second (guest TSC, CPUID 15H)", figures.get("ops_per_second")),
        ("VM exits in all", results["cpus"][0]["total_exits"] if results.get("cpus") else None),
        ("hypervisor faults (FATAL, root-mode exception)", len(faults)),
        ("wall time of the run", f"{wall:.0f} s"),
    ]
    lines = [BEGIN, "", f"Last run: {datetime.date.today().isoformat()}.", "",
             "| figure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += [""] + [f"Guest notes: {n}" for n in notes] + ["", END]
    text = doc.read_text() if doc.exists() else ""
    block = "\n".join(lines)
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text += "\n" + block + "\n"
    doc.write_text(text)
    print(block)
    return 0 if passed and not faults else 1


if __name__ == "__main__":
    sys.exit(main())
