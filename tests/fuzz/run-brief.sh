#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Builds the host fuzz targets (tests/fuzz/fuzz.mk, through `make -f tests/fuzz/fuzz.mk`, so it
# works on a fresh clone whether or not the top-level Makefile includes fuzz.mk) and runs each
# for a short time. Prints one line per target:
#   PASS fuzz: <name> (<N> runs)
#   FAIL fuzz: <name>: <why>           (a crash names the input file that reproduces it)
# or the single line "FAIL fuzz: clang not found". Exit status 0 iff every target passed.
#
# Usage: tests/fuzz/run-brief.sh [seconds per target, default 10]
# Environment: BUILD (default build), CLANG (default clang), MAKE (default make).
# Corpora persist in $BUILD/fuzz/corpus-<name> (shared with `make fuzz`), crash inputs go to
# $BUILD/fuzz/artifacts-<name>/, the full libFuzzer output to $BUILD/fuzz/<name>.log.
# Replay a crash: $BUILD/fuzz/<name> <crash file>

set -u

seconds=${1:-10}
BUILD=${BUILD:-build}
CLANG=${CLANG:-clang}
MAKE=${MAKE:-make}

case $seconds in
'' | *[!0-9]*)
	echo "usage: $0 [seconds]" >&2
	exit 2
	;;
esac

cd "$(dirname "$0")/../.." || exit 2

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "FAIL fuzz: clang not found"
	exit 1
fi

names=$($MAKE -s --no-print-directory -f tests/fuzz/fuzz.mk BUILD="$BUILD" fuzz-names)
if [ -z "$names" ]; then
	echo "FAIL fuzz: no targets (make -f tests/fuzz/fuzz.mk fuzz-names failed)"
	exit 1
fi

# Build what can be built; a target that did not build fails below with the compiler's output
# in its build log.
mkdir -p "$BUILD/fuzz"
build_log="$BUILD/fuzz/build.log"
$MAKE -s -k --no-print-directory -f tests/fuzz/fuzz.mk BUILD="$BUILD" CLANG="$CLANG" \
	fuzz-build >"$build_log" 2>&1

status=0
for name in $names; do
	binary="$BUILD/fuzz/$name"
	corpus="$BUILD/fuzz/corpus-$name"
	artifacts="$BUILD/fuzz/artifacts-$name"
	log="$BUILD/fuzz/$name.log"

	if [ ! -x "$binary" ]; then
		echo "FAIL fuzz: $name: build failed (see $build_log)"
		status=1
		continue
	fi
	mkdir -p "$corpus" "$artifacts"
	"$binary" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9][0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ] && [ -n "$runs" ] && [ -z "$crash" ]; then
		echo "PASS fuzz: $name ($runs runs)"
		continue
	fi
	status=1
	# The first line that says what went wrong: our invariant message, a sanitizer report,
	# or libFuzzer's own verdict (timeout, out of memory, deadly signal).
	why=$(grep -m 1 -E 'invariant broken|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|ALARM:|out-of-memory|deadly signal' "$log" |
		sed -e 's/^[[:space:]]*//' -e "s/^$name: //" | cut -c 1-200)
	[ -n "$why" ] || why="exit status $rc, no 'Done N runs' line"
	if [ -n "$crash" ]; then
		echo "FAIL fuzz: $name: $why; input $crash (log $log)"
	else
		echo "FAIL fuzz: $name: $why (log $log)"
	fi
done
exit $status
