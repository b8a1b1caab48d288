#!/usr/bin/env python3
"""Turns a run's serial log into RUN_DIR/results.json.

The hypervisor prints one JSON document between marker lines on COM1 at the end of every run
(docs/statistics.md). This tool cuts it out, checks it parses, adds what only the host side knows
(which test host ran it) and writes RUN_DIR/results.json. Without a document (the hypervisor
stopped before a guest ran: no VT-x, a bad configuration, a bad image) it writes a small document
that says so and quotes the hypervisor's "apicvisor: error:" line (or its last "apicvisor:" line).

If tools/boot.sh found the host itself failing (RUN_DIR/host-error.txt), the document quotes
that as "host_error".

Usage: tools/results.py RUN_DIR HOST
Exit status: 0 if the guest reported success, 1 if it did not, 2 if the run printed no statistics
(results.json then holds only "error", "last_message" and "host_error").
"""
import json
import sys
from pathlib import Path

BEGIN = "=== apicvisor results.json begin ==="
END = "=== apicvisor results.json end ==="


def extract(serial_text):
    lines = [line.rstrip("\r") for line in serial_text.splitlines()]
    try:
        start = lines.index(BEGIN)
        stop = lines.index(END, start)
    except ValueError:
        return None, lines
    return json.loads("\n".join(lines[start + 1:stop])), lines


def main():
    run_dir, host = Path(sys.argv[1]), sys.argv[2]
    serial = (run_dir / "serial.log").read_text(errors="replace")
    try:
        doc, lines = extract(serial)
    except json.JSONDecodeError as e:
        doc, lines = {"error": f"malformed results JSON on serial: {e}"}, []
    if doc is None:
        # The error that stopped it, if it printed one, else its last word.
        said = ([l for l in lines if l.startswith("apicvisor: error:")] or
                [l for l in lines if l.startswith("apicvisor:")])
        failed = (run_dir / "host-error.txt").exists()
        doc = {"error": "no results on serial: " + (
                   "the host failed" if failed else "the hypervisor stopped before a guest ran"),
               "last_message": said[-1] if said else None}
    statistics = "cpus" in doc
    host_error = run_dir / "host-error.txt"
    if host_error.exists():
        doc["host_error"] = host_error.read_text().strip()
    doc["host"] = host
    doc["run"] = run_dir.name
    (run_dir / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
    if not statistics:
        return 2
    return 0 if doc.get("guest", {}).get("success") else 1


if __name__ == "__main__":
    sys.exit(main())
