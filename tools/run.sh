#!/usr/bin/env bash
# `make run`: boots apicvisor on the best test host available here and prints its statistics.
#   HOST=bochs|qemu-tcg|qemu-kvm  MODE=emulate|tpr-shadow|apicv|posted  GUEST=file
#   GUEST_ARGS="..."  TIMEOUT=s (guest budget)  MEM=MiB  NAME=run name (build/runs/NAME)
# Exit status 0 only if the guest reported success.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD:-build}
name=${NAME:-run}
run_dir=$build/runs/$name

pick_host() {
	if [ -n "${HOST:-}" ]; then
		echo "$HOST" "HOST=$HOST given"
	elif ! grep -qw vmx /proc/cpuinfo; then
		echo bochs "this CPU has no vmx flag, so QEMU/KVM cannot run a VT-x hypervisor;" \
			"Bochs 2.7 emulates VT-x"
	elif [ ! -w /dev/kvm ]; then
		echo bochs "/dev/kvm is missing or not writable; Bochs 2.7 emulates VT-x"
	elif [ "$(cat /sys/module/kvm_intel/parameters/nested 2>/dev/null)" != Y ] &&
		[ "$(cat /sys/module/kvm_intel/parameters/nested 2>/dev/null)" != 1 ]; then
		echo bochs "kvm_intel has nested=N; Bochs 2.7 emulates VT-x"
	else
		echo qemu-kvm "the CPU has vmx and kvm_intel allows nested VT-x"
	fi
}

read -r host why < <(pick_host)
echo "apicvisor: host $host ($why)"

mkdir -p "$run_dir"
cfg=$run_dir/apicvisor.cfg
{
	echo "# written by tools/run.sh for this run"
	grep -v -E '^(args|mode|timeout|mem)=' tools/default.cfg | grep -v '^#'
	echo "args=${GUEST_ARGS-$(sed -n 's/^args=//p' tools/default.cfg)}"
	echo "mode=${MODE:-$(sed -n 's/^mode=//p' tools/default.cfg)}"
	echo "timeout=${TIMEOUT:-$(sed -n 's/^timeout=//p' tools/default.cfg)}"
	echo "mem=${MEM:-$(sed -n 's/^mem=//p' tools/default.cfg)}"
} >"$cfg"
tools/make-image.sh "$run_dir/esp.img" "$build/apicvisor.efi" "${GUEST:-$build/guest.elf}" "$cfg"

# Wall-clock limit for the whole host run: firmware boot plus the guest's budget.
timeout_s=$(sed -n 's/^timeout=//p' "$cfg")
wall=$(( 120 + (timeout_s > 0 ? timeout_s * 4 : 600) ))
start=$(date +%s)
status=0
tools/boot.sh "$host" "$run_dir" "$run_dir/esp.img" "$wall" --stream || status=$?
echo # the stream may end without a newline when the host powers off mid-line
echo "apicvisor: $host ran $(( $(date +%s) - start )) s wall; console in $run_dir/serial.log"
[ $status -eq 124 ] && echo "apicvisor: $host did not stop within $wall s and was killed"
result=0
tools/results.py "$run_dir" "$host" || result=$?
echo "apicvisor: statistics in $run_dir/results.json"
if [ $result -eq 0 ]; then
	echo "apicvisor: guest reported success"
else
	echo "apicvisor: guest did not report success"
fi
exit $result
