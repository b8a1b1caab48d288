#!/usr/bin/env bash
# `make run`: boots apicvisor on the best test host available here and prints its statistics.
#   HOST=bochs|qemu-tcg|qemu-kvm  MODE=emulate|tpr-shadow|apicv|posted  GUEST=file|linux
#   INITRD=file (a Linux guest's initramfs)
#   GUEST_ARGS="..."  TIMEOUT=s (guest budget)  MEM=MiB  LOG=quiet|info|debug  TESTDEV=on|off
#   GUEST=linux: Debian's cloud kernel and a busybox initramfs (tools/linux-guest.sh, fetched
#   with apt-get download into build/linux), GUEST_ARGS console=ttyS0, MEM 256, TIMEOUT 900 by
#   default
#   CPUS=1..8|all (one vCPU per CPU; the machine gets as many, all: 1)
#   HOUSEKEEPING=off|cpu0 (cpu0: CPU 0 keeps the timers, the vCPUs run on the others)  NAME=run name
#   (build/runs/NAME); tools/boot.sh's MACHINE_CPUS, MACHINE_MIB, BOCHS, BOCHS_CPU, BOCHS_IPS pass
#   through to the host
# Every option is checked before anything boots; a wrong one is named with the values it takes.
#   tools/run.sh --check   only checks the options (make run does this before it builds)
# Exit status: 0 the guest reported success; 1 it did not (or no guest ran: no statistics);
# 2 a wrong option (nothing booted); 3 the host failed (the emulator's fatal error is printed).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BUILD:-build}
check_only=false
[ "${1:-}" = --check ] && check_only=true

# ---- the options, checked before anything boots ------------------------------------------------

errors=0
wrong() { # VARIABLE=value, what is wrong
	echo "apicvisor: error: $*" >&2
	errors=$((errors + 1))
}

default_of() { # a key's value in tools/default.cfg
	sed -n "s/^$1=//p" tools/default.cfg | tail -n 1
}

one_of() { # VARIABLE value allowed...
	local variable=$1 value=$2
	shift 2
	for allowed in "$@"; do
		[ "$value" = "$allowed" ] && return 0
	done
	local list
	list=$(printf '%s, ' "$@")
	wrong "$variable=$value is not one of ${list%, }"
}

number_in() { # VARIABLE value min max what-the-range-means
	if ! [[ $2 =~ ^[0-9]+$ ]]; then
		wrong "$1=$2 is not a decimal number: $3..$4 $5"
	elif [ ${#2} -gt 9 ] || [ $((10#$2)) -lt $3 ] || [ $((10#$2)) -gt $4 ]; then
		wrong "$1=$2 is out of range: $3..$4 $5"
	fi
}

[ -z "${HOST:-}" ] || one_of HOST "$HOST" bochs qemu-tcg qemu-kvm
# GUEST=linux: the named Linux guest, with the defaults it needs.
linux=false
if [ "${GUEST:-}" = linux ]; then
	linux=true
	: "${GUEST_ARGS=console=ttyS0}" "${MEM:=256}" "${TIMEOUT:=900}"
fi
mode=${MODE:-$(default_of mode)}
one_of MODE "$mode" emulate tpr-shadow apicv posted
timeout_s=${TIMEOUT:-$(default_of timeout)}
number_in TIMEOUT "$timeout_s" 0 86400 "seconds, 0 for none"
mem=${MEM:-$(default_of mem)}
number_in MEM "$mem" 2 3072 MiB
log=${LOG:-$(default_of log)}
one_of LOG "$log" quiet info debug
testdev=${TESTDEV:-$(default_of testdev)}
testdev=${testdev:-on}
one_of TESTDEV "$testdev" on off
housekeeping=${HOUSEKEEPING:-$(default_of housekeeping)}
housekeeping=${housekeeping:-off}
one_of HOUSEKEEPING "$housekeeping" off cpu0
# cpus= takes 1..CONFIG_MAX_CPUS (boot/config.h), or all.
max_cpus=$(sed -n 's/^#define CONFIG_MAX_CPUS \([0-9][0-9]*\).*/\1/p' boot/config.h)
cpus=${CPUS:-$(default_of cpus)}
cpus=${cpus:-all}
cpus_errors=$errors
if [ "$cpus" != all ]; then
	if ! [[ $cpus =~ ^[0-9]+$ ]]; then
		wrong "CPUS=$cpus is neither all nor a decimal number: 1..$max_cpus CPUs, or all"
	else
		number_in CPUS "$cpus" 1 "$max_cpus" "CPUs, or all"
	fi
fi
checked_cpus=all
[ $errors -gt $cpus_errors ] || checked_cpus=$cpus
# housekeeping=cpu0 runs the guest on the other CPUs: the machine needs two at least (it gets
# cpus= CPUs, or one for all, unless MACHINE_CPUS says otherwise).
if [ "$housekeeping" = cpu0 ] && [ $errors -eq $cpus_errors ] &&
	{ [ "$cpus" = all ] && [ "${MACHINE_CPUS:-1}" -lt 2 ] 2>/dev/null ||
	  { [ "$cpus" != all ] && [ $((10#$cpus)) -lt 2 ]; }; }; then
	wrong "HOUSEKEEPING=cpu0 needs CPUS=2 or more (CPU 0 keeps the timers, the others run the" \
		"guest); CPUS=$cpus gives ${cpus/all/one}"
fi
args=${GUEST_ARGS-$(default_of args)}
if [[ $args =~ [^[:print:]] ]] || [[ $args = *$'\n'* ]]; then
	wrong "GUEST_ARGS holds a character that is not printable ASCII (a line break, a tab...)"
elif [ ${#args} -gt 1023 ]; then
	wrong "GUEST_ARGS is ${#args} characters long; the guest's command line holds at most 1023"
fi
name=${NAME:-run}
[[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] ||
	wrong "NAME=$name is not a plain name (letters, digits, '.', '_', '-'): it names build/runs/NAME"
# The default guest is built by make run, GUEST=linux below; a file the user names must be
# there already.
a_file() { # VARIABLE path
	if [ ! -e "$2" ]; then
		wrong "$1=$2 does not exist"
	elif [ ! -f "$2" ]; then
		wrong "$1=$2 is not a regular file"
	elif [ ! -r "$2" ]; then
		wrong "$1=$2 is not readable"
	fi
}
[ -z "${GUEST:-}" ] || $linux || a_file GUEST "$GUEST"
[ -z "${INITRD:-}" ] || a_file INITRD "$INITRD"
guest=${GUEST:-$build/guest.elf}
initrd=${INITRD:-}

# The host: forced, or the best one here.
pick_host() {
	if [ -n "${HOST:-}" ]; then
		echo "$HOST" "HOST=$HOST given"
	elif ! grep -qw vmx /proc/cpuinfo; then
		echo bochs "this CPU has no vmx flag, so QEMU/KVM cannot run a VT-x hypervisor;" \
			"Bochs 2.7 emulates VT-x"
	elif [ ! -w /dev/kvm ]; then
		echo bochs "/dev/kvm is missing or not writable; Bochs 2.7 emulates VT-x"
	elif ! kvm_nested; then
		echo bochs "kvm_intel has nested=N; Bochs 2.7 emulates VT-x"
	else
		echo qemu-kvm "the CPU has vmx and kvm_intel allows nested VT-x"
	fi
}
kvm_nested() {
	local nested
	nested=$(cat /sys/module/kvm_intel/parameters/nested 2>/dev/null || true)
	[ "$nested" = Y ] || [ "$nested" = 1 ]
}
read -r host why < <(pick_host)
# What a forced host needs of this machine.
if [ "$host" = qemu-kvm ]; then
	if [ ! -e /dev/kvm ]; then
		wrong "HOST=qemu-kvm: there is no /dev/kvm here (KVM is not loaded); HOST=bochs emulates VT-x"
	elif [ ! -w /dev/kvm ] || [ ! -r /dev/kvm ]; then
		wrong "HOST=qemu-kvm: /dev/kvm is not readable and writable by $(id -un); HOST=bochs emulates VT-x"
	elif ! grep -qw vmx /proc/cpuinfo; then
		wrong "HOST=qemu-kvm: this CPU has no vmx flag (/proc/cpuinfo), so KVM cannot give the guest VT-x; HOST=bochs emulates VT-x"
	elif ! kvm_nested; then
		wrong "HOST=qemu-kvm: kvm_intel has nested=N (/sys/module/kvm_intel/parameters/nested), so KVM cannot give the guest VT-x; HOST=bochs emulates VT-x"
	fi
fi
# Bochs 2.7 gives a machine at most 2048 MiB; the firmware and apicvisor take 384 of them.
if [ "$host" = bochs ] && [[ $mem =~ ^[0-9]{1,9}$ ]] && [ $((10#$mem)) -gt 1664 ]; then
	wrong "MEM=$mem is too much for Bochs 2.7 (at most 2048 MiB for the whole machine, 384 MiB" \
		"of them for the firmware and apicvisor): MEM=2..1664 on bochs"
fi

# The machine the host will be (tools/boot.sh: MACHINE_CPUS, BOCHS, BOCHS_CPU, BOCHS_IPS), for a
# configuration with these cpus=.
if ! machine_error=$(tools/boot.sh --check "$host" "$checked_cpus" 2>&1); then
	wrong "${machine_error#tools/boot.sh: }"
fi

if [ $errors -gt 0 ]; then
	echo "apicvisor: nothing booted ($errors wrong option(s); README.md lists the options)" >&2
	exit 2
fi
$check_only && exit 0
if $linux; then
	BUILD=$build tools/linux-guest.sh
	guest=$build/linux/bzImage
	initrd=${initrd:-$build/linux/initramfs.img}
fi
timeout_s=$((10#$timeout_s)) mem=$((10#$mem))
[ "$cpus" = all ] || cpus=$((10#$cpus))
[ -r "$guest" ] || { echo "apicvisor: error: $guest is missing: build it with make" >&2; exit 2; }
[ -r "$build/apicvisor.efi" ] ||
	{ echo "apicvisor: error: $build/apicvisor.efi is missing: build it with make" >&2; exit 2; }

# ---- boot --------------------------------------------------------------------------------------

echo "apicvisor: host $host ($why)"
run_dir=$build/runs/$name
mkdir -p "$run_dir"
cfg=$run_dir/apicvisor.cfg
{
	echo "# written by tools/run.sh for this run"
	grep -v -E '^(#|args=|mode=|timeout=|log=|mem=|testdev=|cpus=|housekeeping=)' tools/default.cfg
	echo "args=$args"
	echo "mode=$mode"
	echo "timeout=$timeout_s"
	echo "log=$log"
	echo "mem=$mem"
	echo "testdev=$testdev"
	echo "cpus=$cpus"
	echo "housekeeping=$housekeeping"
	[ -z "$initrd" ] || echo 'initrd=\initrd.img'
} >"$cfg"
tools/make-image.sh "$run_dir/esp.img" "$build/apicvisor.efi" "$guest" "$cfg" \
	${initrd:+"initrd.img=$initrd"}

# Wall-clock limit for the whole host run: firmware boot plus the guest's budget.
wall=$(( 120 + (timeout_s > 0 ? timeout_s * 4 : 600) ))
start=$(date +%s)
status=0
rm -f "$run_dir/results.json"
tools/boot.sh "$host" "$run_dir" "$run_dir/esp.img" "$wall" --stream || status=$?
echo # the stream may end without a newline when the host powers off mid-line
echo "apicvisor: $host ran $(( $(date +%s) - start )) s wall; console in $run_dir/serial.log"
case $status in
124) echo "apicvisor: $host did not stop within $wall s and was killed" ;;
3) echo "apicvisor: $host failed: $(cat "$run_dir/host-error.txt")" ;;
esac
result=0
tools/results.py "$run_dir" "$host" || result=$?
if [ $result -le 1 ]; then
	echo "apicvisor: statistics in $run_dir/results.json"
else
	# results.py exit status 2: the run printed no statistics (results.json says why).
	echo "apicvisor: no statistics: $(python3 -c 'import json, sys
doc = json.load(open(sys.argv[1]))
print(doc.get("last_message") or doc.get("error"))' "$run_dir/results.json")"
fi
if [ $result -eq 0 ]; then
	echo "apicvisor: guest reported success"
else
	echo "apicvisor: guest did not report success"
fi
[ $status -eq 3 ] && exit 3
[ $result -eq 0 ] && exit 0
exit 1
