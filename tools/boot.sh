#!/usr/bin/env bash
# Boots an ESP image on one test host and captures its serial console.
#   tools/boot.sh HOST RUN_DIR IMAGE WALL_TIMEOUT_S [--stream]
# HOST: bochs (Bochs 2.7, emulated VT-x), qemu-tcg (no VT-x), qemu-kvm (nested VT-x).
# Writes RUN_DIR/serial.log (COM1) and RUN_DIR/host.log (the emulator's own output; Bochs also
# writes RUN_DIR/bochs.log). With --stream, COM1 is copied to stdout as it arrives.
# Exit status: 0 when the host stopped by itself, 124 when it had to be killed.
set -euo pipefail

host=$1 run_dir=$2 image=$3 wall=$4 stream=${5:-}
mkdir -p "$run_dir"
run_dir=$(cd "$run_dir" && pwd)
image=$(cd "$(dirname "$image")" && pwd)/$(basename "$image")
serial=$run_dir/serial.log
: >"$serial"

guest_mib=$(sed -n 's/^mem=\([0-9]*\).*/\1/p' "$run_dir/apicvisor.cfg" 2>/dev/null | tail -n 1)
machine_mib=$(( ${guest_mib:-128} + 384 ))

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
*)
	echo "tools/boot.sh: unknown host '$host' (bochs, qemu-tcg, qemu-kvm)" >&2
	exit 2
	;;
esac

# A fresh process group so a timeout takes every child with it. Bochs' VNC display (the only
# display Debian's build has that needs no X) listens on the first free port of 5900-5949; it
# has been seen to find none at start-up while other Bochs instances started, so that one
# failure is retried.
for attempt in 1 2 3; do
	# Bochs locks its disk image with IMAGE.lock and refuses an image whose lock a killed or
	# failed start left behind; every run has its own image, so a lock here is always stale.
	rm -f "$image.lock"
	setsid timeout --foreground -k 5 "$wall" "${cmd[@]}" </dev/null >"$run_dir/host.log" 2>&1 &
	pid=$!
	if [ "$stream" = --stream ]; then
		tail -n +1 -F --pid=$pid "$serial" 2>/dev/null | tr -d '\r' || true
	fi
	status=0
	wait $pid || status=$?
	grep -q "RFB could not bind any port" "$run_dir/host.log" || break
	sleep $attempt
done
[ $status -eq 124 ] && exit 124
exit 0
