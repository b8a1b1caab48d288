#!/usr/bin/env bash
# Boots an ESP image on one test host and captures its serial console.
#   tools/boot.sh HOST RUN_DIR IMAGE WALL_TIMEOUT_S [--stream]
# HOST: bochs (Bochs 2.7, emulated VT-x), qemu-tcg (no VT-x), qemu-kvm (nested VT-x).
# Writes RUN_DIR/serial.log (COM1) and RUN_DIR/host.log (the emulator's own output; Bochs also
# writes RUN_DIR/bochs.log). With --stream, COM1 is copied to stdout as it arrives.
#
# The machine gets the guest's RAM (mem= in RUN_DIR/apicvisor.cfg, default 128 MiB) plus 384 MiB
# for the firmware and the hypervisor; MACHINE_MIB=n in the environment overrides that (the
# integration tests use it to give the firmware too little memory).
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
[ $# -ge 4 ] || fail "usage: tools/boot.sh HOST RUN_DIR IMAGE WALL_TIMEOUT_S [--stream]"
host=$1 run_dir=$2 image=$3 wall=$4 stream=${5:-}
case $host in
bochs | qemu-tcg | qemu-kvm) ;;
*) fail "unknown host '$host' (bochs, qemu-tcg, qemu-kvm)" ;;
esac
[[ $wall =~ ^[1-9][0-9]*$ ]] || fail "WALL_TIMEOUT_S '$wall' is not a whole number of seconds"
[ -f "$image" ] && [ -r "$image" ] || fail "image '$image' is not a readable file"
mkdir -p "$run_dir"
run_dir=$(cd "$run_dir" && pwd)
image=$(cd "$(dirname "$image")" && pwd)/$(basename "$image")
serial=$run_dir/serial.log
: >"$serial"
rm -f "$run_dir/host-error.txt"

guest_mib=$(sed -n 's/^[[:blank:]]*mem[[:blank:]]*=[[:blank:]]*\([0-9]*\).*/\1/p' \
	"$run_dir/apicvisor.cfg" 2>/dev/null | tail -n 1)
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
	cat >"$run_dir/bochsrc" <<-RC
	megs: $machine_mib
	cpu: model=tigerlake, count=1, reset_on_triple_fault=0
	romimage: file=/usr/share/ovmf/OVMF.fd, address=0xffe00000
	vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
	pci: enabled=1, chipset=i440fx
	ata0-master: type=disk, path=$image, mode=flat
	boot: disk
	com1: enabled=1, mode=file, dev=$serial
	display_library: rfb, options="timeout=0"
	clock: sync=none, time0=1700000000
	port_e9_hack: enabled=1
	sound: driver=dummy
	log: $run_dir/bochs.log
	info: action=ignore
	error: action=report
	panic: action=fatal
	RC
	echo c >"$run_dir/bochs.rc"
	cmd=(bochs -q -f "$run_dir/bochsrc" -rc "$run_dir/bochs.rc")
	;;
qemu-tcg | qemu-kvm)
	accel=(-machine q35 -cpu max)
	[ "$host" = qemu-kvm ] && accel=(-machine q35,accel=kvm -cpu host,+vmx)
	cmd=(qemu-system-x86_64 "${accel[@]}" -m "$machine_mib" -bios /usr/share/ovmf/OVMF.fd
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
