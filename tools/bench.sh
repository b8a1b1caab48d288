#!/usr/bin/env bash
# `make bench`: the VM-exit round-trip benchmark. Boots the test guest with
# "n=N vmcall null" on the best host (or HOST=...), then writes the figures to
# docs/benchmarks.md (tools/bench-report.py). Under Bochs every figure is deterministic.
#   N=iterations (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-10000}
NAME=bench GUEST_ARGS="n=$n vmcall null" TIMEOUT=${TIMEOUT:-600} tools/run.sh >/dev/null || {
	echo "apicvisor: the benchmark run failed; see build/runs/bench/serial.log" >&2
	exit 1
}
tools/bench-report.py build/runs/bench/results.json docs/benchmarks.md
echo "apicvisor: figures written to docs/benchmarks.md"
cat docs/benchmarks.md
