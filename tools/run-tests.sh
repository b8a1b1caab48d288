#!/usr/bin/env bash
# `make test`: host unit tests (cmocka), a brief run of each fuzz target (libFuzzer), then
# integration tests on the test hosts (Bochs 2.7 for VT-x, QEMU TCG for the "no VT-x" path and
# bad input). Every test is one PASS/FAIL line; the last line is "N passed, N failed". Exit
# status 0 only when nothing failed. BUILD (default build) is the build directory throughout.
set -uo pipefail
cd "$(dirname "$0")/.."

# The build directory (make test passes its BUILD; default build), for every step below.
export BUILD=${BUILD:-build}
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() { # reads PASS/FAIL lines from stdin, echoes them, tallies them
	while IFS= read -r line; do
		echo "$line"
		case $line in
		PASS\ *) passed=$((passed + 1)) ;;
		FAIL\ *) failed=$((failed + 1)) ;;
		esac
	done
}

echo "== build ($BUILD)"
if ! make -s BUILD="$BUILD" all unit-build test-kernels >"$log" 2>&1; then
	cat "$log"
	echo "FAIL build: make all unit-build test-kernels"
	echo "$passed passed, $((failed + 1)) failed"
	exit 1
fi

echo "== layering (tools/check-layers.py: each floor includes only floors below it)"
count < <(tools/check-layers.py 2>&1)

echo "== tools (the Python that make run, make bench and the tests run: it compiles)"
count < <(for tool in tools/*.py tests/integration/run.py; do
	if out=$(python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' \
		"$tool" 2>&1); then
		echo "PASS tools: $tool parses"
	else
		echo "FAIL tools: $tool: ${out##*$'\n'}"
	fi
done)

echo "== unit tests (cmocka, host)"
# `make unit` runs each test binary the Makefile lists once (tools/run-unit.sh), one PASS/FAIL
# line per test; they are built already, so this only runs them. make's own "Error" line for a
# failed test adds nothing to the FAIL lines.
count < <(make -s --no-print-directory BUILD="$BUILD" unit 2>&1 | grep -v '^make: \*\*\*')

echo "== fuzz targets, briefly (libFuzzer; make fuzz runs them longer)"
count < <(tests/fuzz/run-brief.sh "${FUZZ_BRIEF_SECONDS:-5}" 2>&1)

echo "== integration tests (Bochs 2.7 and QEMU TCG)"
count < <(tests/integration/run.py "$@" 2>&1)

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
