#!/usr/bin/env python3
"""Writes the fuzzing figures of `make fuzz` into docs/reliability.md (section "## Fuzzing").

Usage: tools/fuzz-report.py BUILD NAME...  (reads BUILD/fuzz/<name>-long.log, libFuzzer's output
with -print_final_stats=1). A missing log or one without final stats is an error, never a row.
"""
import re
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
GOAL = 10_000_000


def figures(log):
    text = log.read_text(errors="replace")
    runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", text)
    per_sec = re.search(r"stat::average_exec_per_sec:\s*(\d+)", text)
    cov = re.findall(r"\bcov: (\d+) ft: (\d+)", text)
    crashed = "deadly signal" in text or "ERROR: libFuzzer" in text or "SUMMARY:" in text
    if not runs or not per_sec:
        raise ValueError(f"{log}: no final statistics (did the target run?)")
    edges, features = cov[-1] if cov else ("?", "?")
    return int(runs.group(1)), int(per_sec.group(1)), edges, features, crashed


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    build = Path(sys.argv[1])
    rows = []
    runs_list = []
    bad = False
    for name in sys.argv[2:]:
        try:
            runs, per_sec, edges, features, crashed = figures(build / "fuzz" / f"{name}-long.log")
        except (OSError, ValueError) as e:
            print(f"tools/fuzz-report.py: {e}", file=sys.stderr)
            return 1
        bad |= crashed
        runs_list.append(runs)
        rows.append(f"| `{name}` | {runs:,} | {per_sec:,} | {edges} | {features} | "
                    f"{'**yes**' if crashed else '0'} |")
    short = [r.split("|")[1].strip() for r, n in zip(rows, runs_list) if n < GOAL]
    section = ("## Fuzzing\n\n"
               f"`make fuzz` on {date.today().isoformat()}: libFuzzer with ASan and UBSan, each "
               f"target until {GOAL:,} executions (`FUZZ_RUNS`) or `FUZZ_SECONDS`, whichever "
               "comes first, continuing the corpus kept in `build/fuzz/corpus-<name>`. Coverage "
               "is libFuzzer's final `cov` (edges) and `ft` (features). "
               + (f"Below the {GOAL:,}-execution goal in this run (the time cap came first): "
                  + ", ".join(short) + "." if short else "Every target reached the goal.")
               + "\n\n"
               "| target | executions | per second | edges | features | crashes |\n"
               "|---|---:|---:|---:|---:|---:|\n" + "\n".join(rows) + "\n")
    text = DOC.read_text() if DOC.exists() else "# Reliability\n\n"
    start = text.find("## Fuzzing")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    DOC.write_text(text)
    print(f"apicvisor: fuzzing figures written to {DOC.relative_to(ROOT)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
