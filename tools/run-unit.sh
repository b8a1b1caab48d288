#!/usr/bin/env bash
# Runs the host unit tests (cmocka) already built in $BUILD/unit/ (`make unit` builds and runs
# them; tools/run-tests.sh runs them as part of `make test`). Prints one line per cmocka test,
# "PASS test_x: name" or "FAIL test_x: name", and one FAIL line for a binary that failed without
# naming a test (a sanitizer report, a crash: its output is printed first).
# Exit status 0 only when every test passed.
#   tools/run-unit.sh [TEST_BINARY...]   (default: every $BUILD/unit/test_*, BUILD default build;
#                                         make unit passes the binaries the Makefile lists)
set -uo pipefail
cd "$(dirname "$0")/.."

build=${BUILD:-build}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
ran=0

[ $# -gt 0 ] || set -- "$build"/unit/test_*
for test in "$@"; do
	if [ ! -f "$test" ] || [ ! -x "$test" ]; then
		[ "$test" = "$build/unit/test_*" ] && continue # the glob matched nothing
		echo "FAIL $(basename "$test"): $test is not built"
		status=1
		continue
	fi
	ran=$((ran + 1))
	name=$(basename "$test")
	"$test" >"$log" 2>&1
	rc=$?
	# cmocka prints "[       OK ] name" or "[  FAILED  ] name" per test, then a summary
	# (from "N test(s) run.") that repeats the failures.
	# A failed test's own messages (between its RUN and FAILED lines) go before its FAIL line.
	awk -v t="$name" '/test\(s\) run\./ { exit }
		/^\[ RUN      \] / { said = ""; next }
		sub(/^\[       OK \] /, "") { print "PASS " t ": " $0; said = ""; next }
		sub(/^\[  FAILED  \] /, "") { printf "%s", said; print "FAIL " t ": " $0; said = ""; next }
		{ said = said "    " $0 "\n" }' "$log"
	if [ $rc -ne 0 ]; then
		status=1
		if ! grep -q "^\[  FAILED  \]" "$log"; then
			cat "$log"
			echo "FAIL $name: exited with status $rc"
		fi
	fi
done
if [ $ran -eq 0 ] && [ $status -eq 0 ]; then
	echo "FAIL unit: no test binaries in $build/unit/ (build them with make unit)"
	status=1
fi
exit $status
