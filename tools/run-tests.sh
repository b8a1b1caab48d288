#!/usr/bin/env bash
# `make test`: host unit tests (cmocka), a brief run of each fuzz target (libFuzzer), then
# integration tests on the test hosts (Bochs 2.7 for VT-x, QEMU TCG for the "no VT-x" path). Every test is one PASS/FAIL line; the last line is
# "N passed, N failed". Exit status 0 only when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."

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

echo "== build"
if ! make -s all unit test-kernels >"$log" 2>&1; then
	cat "$log"
	echo "FAIL build: make all unit test-kernels"
	echo "$passed passed, $((failed + 1)) failed"
	exit 1
fi

echo "== unit tests (cmocka, host)"
for test in build/unit/test_*; do
	[ -x "$test" ] || continue
	name=$(basename "$test")
	"$test" >"$log" 2>&1
	status=$?
	# cmocka prints "[       OK ] name" or "[  FAILED  ] name" per test, then a summary
	# (from "N test(s) run.") that repeats the failures.
	count < <(awk -v t="$name" '/test\(s\) run\./ { exit }
		sub(/^\[       OK \] /, "") { print "PASS " t ": " $0 }
		sub(/^\[  FAILED  \] /, "") { print "FAIL " t ": " $0 }' "$log")
	if [ $status -ne 0 ] && ! grep -q "^\[  FAILED  \]" "$log"; then
		cat "$log"
		count <<<"FAIL $name: exited with status $status"
	fi
done

echo "== fuzz targets, briefly (libFuzzer; make fuzz runs them longer)"
count < <(tests/fuzz/run-brief.sh "${FUZZ_BRIEF_SECONDS:-5}" 2>&1)

echo "== integration tests (Bochs 2.7 and QEMU TCG)"
count < <(tests/integration/run.py "$@" 2>&1)

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
