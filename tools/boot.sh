#!/usr/bin/env bash
# Boots an ESP image on one test host and captures its serial console.
#   tools/boot.sh HOST RUN_DIR IMAGE WALL_TIMEOUT_S [--stream]
#   tools/boot.sh --check HOST [CPUS]   only checks the machine options below for HOST and a
#                                       configuration with cpus=CPUS (default all); boots nothing
# HOST: bochs (Bochs 2.7, emulated VT-x), qemu-tcg (no VT-x), qemu-kvm (nested VT-x).
# Writes RUN_DIR/serial.log (COM1) and RUN_DIR/host.log (the emulator's own output; Bochs also
# writes RUN_DIR/bochs.log). With --stream, COM1 is copied to stdout as it arrives.
#
# The machine gets the guest's RAM (mem= in RUN_DIR/apicvisor.cfg, default 128 MiB) plus 384 MiB
# for the firmware and the hypervisor; MACHINE_MIB=n in the environment overrides that (the
# integration tests use it to give the firmware too little memory).
#
# It gets as many CPUs as cpus= in RUN_DIR/apicvisor.cfg asks for (the last such line; absent,
# all, or a value apicvisor itself refuses: 1 CPU); MACHINE_CPUS=n in the environment overrides
# that, so a test can give the machine more CPUs than cpus= uses, or fewer. Bochs: `cpu: count=n`
# (Debian's Bochs 2.7 boots OVMF with 1-15; 16 or more stop it at start-up with "too many
# registered timers"); QEMU: -smp n.
#
# Bochs itself, from the environment (defaults: Debian's Bochs 2.7 as docs/test-hosts.md
# describes it):
#   BOCHS=path       the bochs binary (default: bochs on PATH), e.g. a development build with
#                    posted-interrupt processing
#   BOCHS_CPU=model  its CPU model (default tigerlake; `BOCHS --help cpu` lists them)
#   BOCHS_IPS=n      adds ips=n to the cpu: line: emulated instructions per second, the rate of
#                    its TSC (default: none, Bochs' own default; 2.7's is 4000000, a development
#                    build's 50000000)
# What the binary was built with is asked of it, not assumed: the debugger (then it is started
# with `-rc` holding "c", else without), the display (nogui when it has one, else rfb: VNC,
# which Debian's build needs) and low-level sound (`sound: driver=dummy` when it has it: Debian's
# 2.7 aborts at start-up without). Each bochsrc line is tried first on the binary itself (a
# bochsrc with that line and then an unknown directive: which of the two it stops at), so a
# model, count or ips it does not take is refused before the boot with its own message.
#
# While the host runs, its output is watched for errors it cannot recover from (QEMU: "KVM
# internal error", "failed to initialize kvm", "Could not access KVM kernel module", "host
# doesn't support requested feature"; Bochs: a panic other than its power-off): the host is
# stopped at once and the reason goes to stderr and to RUN_DIR/host-error.txt.
#
# Exit status: 0 when the host stopped by itself, 124 when it ran past WALL_TIMEOUT_S and was
# killed, 3 when the host failed (the reason in RUN_DIR/host-error.txt), 2 for a bad argument.
set -euo pipefail

fail() {
	echo "tools/boot.sh: $*" >&2
	exit 2
}
check_only=false
if [ "${1:-}" = --check ]; then
	[ $# -ge 2 ] && [ $# -le 3 ] || fail "usage: tools/boot.sh --check HOST [CPUS]"
	check_only=true host=$2 cfg_cpus=${3:-all}
else
	[ $# -ge 4 ] ||
		fail "usage: tools/boot.sh HOST RUN_DIR IMAGE WALL_TIMEOUT_S [--stream]"
	host=$1 run_dir=$2 image=$3 wall=$4 stream=${5:-}
fi
case $host in
bochs | qemu-tcg | qemu-kvm) ;;
*) fail "unknown host '$host' (bochs, qemu-tcg, qemu-kvm)" ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)

# The machine's CPUs: cpus= asks for 1..CONFIG_MAX_CPUS (boot/config.h); MACHINE_CPUS overrides.
config_max_cpus=$(sed -n 's/^#define CONFIG_MAX_CPUS \([0-9][0-9]*\).*/\1/p' "$root/boot/config.h")
[ -n "$config_max_cpus" ] || fail "no CONFIG_MAX_CPUS in $root/boot/config.h"
[ -z "${MACHINE_CPUS:-}" ] || [[ $MACHINE_CPUS =~ ^[1-9][0-9]{0,5}$ ]] ||
	fail "MACHINE_CPUS='$MACHINE_CPUS' is not a number of CPUs (1 or more)"

if ! $check_only; then
	[[ $wall =~ ^[1-9][0-9]*$ ]] || fail "WALL_TIMEOUT_S '$wall' is not a whole number of seconds"
	[ -f "$image" ] && [ -r "$image" ] || fail "image '$image' is not a readable file"
	mkdir -p "$run_dir"
	run_dir=$(cd "$run_dir" && pwd)
	image=$(cd "$(dirname "$image")" && pwd)/$(basename "$image")
	# The last line that sets cpus=, as apicvisor.cfg is written (CR LF or LF).
	cfg_cpus=$( { [ ! -r "$run_dir/apicvisor.cfg" ] || tr -d '\r' <"$run_dir/apicvisor.cfg"; } |
		sed -n 's/^[[:blank:]]*cpus[[:blank:]]*=[[:blank:]]*\(.*[^[:blank:]]\)[[:blank:]]*$/\1/p' |
		tail -n 1)
fi
if [ -n "${MACHINE_CPUS:-}" ]; then
	cpus=$MACHINE_CPUS
elif [[ $cfg_cpus =~ ^[0-9]{1,5}$ ]] && [ $((10#$cfg_cpus)) -ge 1 ] &&
	[ $((10#$cfg_cpus)) -le "$config_max_cpus" ]; then
	cpus=$((10#$cfg_cpus))
else
	cpus=1 # all, none, or a value apicvisor refuses (it says so on the console)
fi
machine="a machine of $cpus CPUs${MACHINE_CPUS:+ (MACHINE_CPUS)}"
# q35's own limit; QEMU would say so too, but only once started.
[ "$host" = bochs ] || [ "$cpus" -le 288 ] || fail "$machine: QEMU's q35 takes 1-288"

# ---- Bochs: which binary, and what it was built with ---------------------------------------------

bochs_bin=${BOCHS:-bochs}
bochs_name=${BOCHS:+BOCHS=}$bochs_bin
bochs_cpu=${BOCHS_CPU:-tigerlake}
bochs_ips=${BOCHS_IPS:-}
probe_dir=
bochs_exe=

# What Bochs says about a bochsrc holding the line $1 and then a directive no Bochs knows: nothing
# when it took the line (it stopped at the unknown directive), else its complaint (its first
# panic, or its first line of output when it did not answer as Bochs does).
bochs_complaint() {
	local out said
	printf 'panic: action=fatal\n%s\napicvisor_probe_end: 1\n' "$1" >"$probe_dir/probe.rc"
	out=$(cd "$probe_dir" && timeout -k 2 30 "$bochs_exe" -q -f probe.rc </dev/null 2>&1) || true
	grep -q "directive 'apicvisor_probe_end' not understood" <<<"$out" && return 0
	said=$(grep -m 1 '>>PANIC<<' <<<"$out" | sed 's/.*>>PANIC<< *//; s/^probe\.rc:[0-9]*: //') ||
		true
	[ -n "$said" ] || said="it did not answer as Bochs does ($( { grep -v -e '^[[:space:]]*$' \
		-e 'LTDL_LIBRARY_PATH' <<<"$out" || echo 'no output'; } | head -n 1))"
	echo "$said"
}

# Sets bochs_cpu_line, bochs_display, bochs_sound and bochs_rc (whether to pass -rc), or fails
# with the reason.
bochs_setup() {
	local path help cpu_help complaint models
	if ! path=$(command -v -- "$bochs_bin"); then
		[ -n "${BOCHS:-}" ] || fail "bochs is not installed (Debian: apt-get install bochs" \
			"bochsbios vgabios, or tools/install-deps.sh as root)"
		fail "BOCHS=$BOCHS: no such program (the path of a bochs binary)"
	fi
	# Run from other directories below: a relative path is made absolute (a name stays a name,
	# found on PATH).
	bochs_exe=$bochs_bin
	[[ $bochs_bin != */* ]] || bochs_exe=$(cd "$(dirname "$path")" && pwd)/$(basename "$path")
	[[ $bochs_cpu =~ ^[A-Za-z0-9_]+$ ]] ||
		fail "BOCHS_CPU='$bochs_cpu' is not a CPU model name ($bochs_name --help cpu lists them)"
	[ -z "$bochs_ips" ] || [[ $bochs_ips =~ ^[1-9][0-9]{0,9}$ ]] ||
		fail "BOCHS_IPS='$bochs_ips' is not a whole number of instructions per second"
	help=$(timeout 30 "$bochs_exe" --help 2>&1 </dev/null) || true
	# Bochs 2.7 boots OVMF with 1-15 CPUs; with 16 it stops at start-up ("register_timer: too
	# many registered timers": it has 64, and every CPU's local APIC takes three: its timer, the
	# VMX-preemption timer, MWAITX's). Any Bochs: xAPIC IDs 0-253 (the development tree keeps
	# the 64 timers; it says so itself when started with too many CPUs).
	if grep -q 'Bochs x86 Emulator 2\.7\b' <<<"$help"; then
		[ "$cpus" -le 15 ] || fail "$machine: Bochs 2.7 boots 1-15 (with 16 or more it stops" \
			"at start-up: too many registered timers)"
	else
		[ "$cpus" -le 254 ] || fail "$machine: Bochs emulates 1-254 (one xAPIC ID each)"
	fi
	# Built without SMP, Bochs quietly ignores count=.
	if [ "$cpus" -gt 1 ] && grep -a -q 'SMP support: no' "$path" &&
		! grep -a -q 'SMP support: yes' "$path"; then
		fail "$machine: $bochs_name was built without SMP (configure --enable-smp), so it" \
			"emulates one CPU"
	fi
	probe_dir=$(mktemp -d)
	trap 'rm -rf "$probe_dir"' EXIT
	bochs_cpu_line="cpu: model=$bochs_cpu, count=$cpus, reset_on_triple_fault=0"
	bochs_cpu_line+=${bochs_ips:+", ips=$bochs_ips"}
	complaint=$(bochs_complaint "$bochs_cpu_line")
	if [[ $complaint = "it did not answer as Bochs does"* ]]; then
		fail "$bochs_name does not look like Bochs: given a bochsrc, $complaint"
	elif [ -n "$complaint" ]; then
		cpu_help=$(timeout 30 "$bochs_exe" --help cpu 2>&1 </dev/null) || true
		models=$(awk '/^Supported CPU models:/ { on = 1; next }
			on && NF == 0 && n { exit } on && NF { printf "%s%s", n++ ? " " : "", $1 }' \
			<<<"$cpu_help")
		if [ -n "$models" ] && [[ " $models " != *" $bochs_cpu "* ]]; then
			fail "BOCHS_CPU=$bochs_cpu is not a CPU model of $bochs_name (it has: $models)"
		fi
		fail "$bochs_name refused '$bochs_cpu_line': $complaint"
	fi
	if [ -z "$(bochs_complaint 'display_library: nogui')" ]; then
		bochs_display=nogui
	elif [ -z "$(bochs_complaint 'display_library: rfb, options="timeout=0"')" ]; then
		bochs_display='rfb, options="timeout=0"'
	else
		fail "$bochs_name has neither the nogui nor the rfb display library (configure" \
			"--with-nogui)"
	fi
	bochs_sound=false
	[ -n "$(bochs_complaint 'sound: driver=dummy')" ] || bochs_sound=true
	bochs_rc=false
	grep -q -- '-rc filename' <<<"$help" && bochs_rc=true
	rm -rf "$probe_dir"
	return 0
}

if [ "$host" = bochs ]; then
	# make run checks its options before it installs the packages: Debian's bochs may come later.
	if ! $check_only || [ -n "${BOCHS:-}" ] || command -v bochs >/dev/null; then
		bochs_setup
	fi
fi
$check_only && exit 0

serial=$run_dir/serial.log
: >"$serial"
rm -f "$run_dir/host-error.txt"

guest_mib=
[ ! -r "$run_dir/apicvisor.cfg" ] ||
	guest_mib=$(sed -n 's/^[[:blank:]]*mem[[:blank:]]*=[[:blank:]]*\([0-9]*\).*/\1/p' \
		"$run_dir/apicvisor.cfg" | tail -n 1)
guest_mib=${guest_mib:-128}
machine_mib=$(( guest_mib + 384 ))
# Bochs 2.7 takes at most 2048 MiB (megs:). A QEMU q35 machine of 2816 MiB or more keeps only
# 2 GiB below 4 GiB and puts the rest above it: such a machine gets 2 GiB more, so that the
# part above 4 GiB can hold the guest's RAM in one piece.
BOCHS_MAX_MIB=2048
case $host in
bochs)
	[ $machine_mib -le $BOCHS_MAX_MIB ] || [ -n "${MACHINE_MIB:-}" ] ||
		fail "mem=$guest_mib needs a machine of $machine_mib MiB; Bochs 2.7 gives at most" \
			"$BOCHS_MAX_MIB (mem=$(( BOCHS_MAX_MIB - 384 )) at most on bochs)"
	;;
qemu-*)
	[ $machine_mib -lt 2816 ] || machine_mib=$(( machine_mib + 2048 ))
	;;
esac
machine_mib=${MACHINE_MIB:-$machine_mib}

case $host in
bochs)
	# Facts behind each line: ../shared/test-hosts.md (Debian's Bochs 2.7 with OVMF).
	# A development build's differences (BOCHS=): bochs_setup above.
	{
		cat <<-RC
		megs: $machine_mib
		$bochs_cpu_line
		romimage: file=/usr/share/ovmf/OVMF.fd, address=0xffe00000
		vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
		pci: enabled=1, chipset=i440fx
		ata0-master: type=disk, path=$image, mode=flat
		boot: disk
		com1: enabled=1, mode=file, dev=$serial
		display_library: $bochs_display
		clock: sync=none, time0=1700000000
		port_e9_hack: enabled=1
		RC
		! $bochs_sound || echo "sound: driver=dummy"
		cat <<-RC
		log: $run_dir/bochs.log
		info: action=ignore
		error: action=report
		panic: action=fatal
		RC
	} >"$run_dir/bochsrc"
	cmd=("$bochs_exe" -q -f "$run_dir/bochsrc")
	rm -f "$run_dir/bochs.rc"
	if $bochs_rc; then
		# Its debugger stops at a prompt before the first instruction: "c" continues.
		echo c >"$run_dir/bochs.rc"
		cmd+=(-rc "$run_dir/bochs.rc")
	fi
	;;
qemu-tcg | qemu-kvm)
	accel=(-machine q35 -cpu max)
	[ "$host" = qemu-kvm ] && accel=(-machine q35,accel=kvm -cpu host,+vmx)
	cmd=(qemu-system-x86_64 "${accel[@]}" -m "$machine_mib" -smp "$cpus"
		-bios /usr/share/ovmf/OVMF.fd
		-drive "file=$image,format=raw,if=ide" -serial "file:$serial" -display none
		-net none -monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4)
	;;
esac

# The host's fatal error, from its output so far, or nothing.
fatal_reason() {
	case $host in
	bochs)
		# panic: action=fatal stops Bochs at a panic; its power-off is one too ("ACPI control:
		# soft power off"), and so is the VNC display's port shortage (retried below).
		{ grep -h '>>PANIC<<' "$run_dir/host.log" "$run_dir/bochs.log" 2>/dev/null |
			grep -v -e 'ACPI control: soft power off' -e 'RFB could not bind' |
			sed 's/.*>>PANIC<< *//'; } || true
		{ grep -A 1 'Bochs is exiting with the following message' "$run_dir/host.log" |
			sed -n '2p' |
			grep -v -e 'ACPI control: soft power off' -e 'RFB could not bind'; } || true
		;;
	*)
		{ grep -E 'KVM internal error|failed to initialize kvm|Could not access KVM kernel module|host doesn.t support requested feature' \
			"$run_dir/host.log" | sed 's/^qemu-system-x86_64: //'; } || true
		;;
	esac
}

# Why QEMU stopped by itself before apicvisor printed anything (a bad option, a missing file):
# its first error line. Bochs' start-up errors are panics, which fatal_reason reports.
startup_failure() {
	if [ "$host" != bochs ] && ! grep -q apicvisor "$serial"; then
		{ grep '^qemu-system-x86_64: ' "$run_dir/host.log" | grep -v 'warning:' |
			sed 's/^qemu-system-x86_64: //'; } || true
	fi
}

# A fresh process group so a timeout takes every child with it. Bochs' VNC display (the only
# display Debian's build has that needs no X) listens on the first free port of 5900-5949; it
# has been seen to find none at start-up while other Bochs instances started, so that one
# failure is retried.
for attempt in 1 2 3; do
	# Bochs locks its disk image with IMAGE.lock and refuses an image whose lock a killed or
	# failed start left behind; every run has its own image, so a lock here is always stale.
	rm -f "$image.lock"
	# Nothing a previous run left may be read as this one's output.
	: >"$run_dir/host.log"
	rm -f "$run_dir/bochs.log"
	setsid timeout --foreground -k 5 "$wall" "${cmd[@]}" </dev/null >"$run_dir/host.log" 2>&1 &
	pid=$!
	tail_pid=
	if [ "$stream" = --stream ]; then
		{ tail -n +1 -F --pid=$pid "$serial" 2>/dev/null | tr -d '\r' || true; } &
		tail_pid=$!
	fi
	# Watch the host's output while it runs; stop it at the first fatal error.
	reason=
	while kill -0 $pid 2>/dev/null; do
		reason=$(fatal_reason | head -n 1)
		if [ -n "$reason" ]; then
			kill -TERM -- -$pid 2>/dev/null || kill -TERM $pid 2>/dev/null || true
			break
		fi
		sleep 0.5
	done
	status=0
	wait $pid || status=$?
	[ -z "$tail_pid" ] || wait $tail_pid || true
	grep -q "RFB could not bind any port" "$run_dir/host.log" || break
	sleep $attempt
done

[ -n "$reason" ] || reason=$(fatal_reason | head -n 1)
# What QEMU's KVM messages mean for a VT-x guest.
case $reason in
*"requested feature"*vmx*) reason="$reason: KVM cannot give the guest VT-x (the host CPU has no vmx, or kvm_intel has nested=N); HOST=bochs emulates VT-x" ;;
*"KVM internal error"*) reason="$reason: KVM could not run the guest (nested VT-x missing or broken on this host); HOST=bochs emulates VT-x" ;;
*"failed to initialize kvm"* | *"Could not access KVM"*) reason="$reason: /dev/kvm cannot be used here; HOST=bochs emulates VT-x" ;;
esac
if [ -z "$reason" ] && [ $status -ne 124 ]; then
	reason=$(startup_failure | head -n 1)
	[ -n "$reason" ] || [ $status -lt 128 ] ||
		reason="$host was killed by signal $(( status - 128 )) ($(tail -n 1 "$run_dir/host.log"))"
fi
if [ -n "$reason" ]; then
	echo "$reason" >"$run_dir/host-error.txt"
	[ "$stream" = --stream ] && echo
	echo "tools/boot.sh: $host failed: $reason (its output: $run_dir/host.log)" >&2
	exit 3
fi
[ $status -eq 124 ] && exit 124
exit 0
