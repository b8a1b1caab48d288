#!/usr/bin/env bash
# Builds the Linux guest of `make run GUEST=linux` and the Linux tests: Debian 12's cloud kernel
# (the package linux-image-cloud-amd64 depends on) and an initramfs of busybox-static whose /init
# reports what the kernel sees and powers off. Both come from Debian with `apt-get download` and
# are cached under $BUILD/linux/ (never committed).
#   usage: tools/linux-guest.sh          -> $BUILD/linux/bzImage, $BUILD/linux/initramfs.img
set -euo pipefail
cd "$(dirname "$0")/.."
out="${BUILD:-build}/linux"
mkdir -p "$out"
cd "$out"

# A fresh machine may have no package lists yet: fetch them once (as root, as make's deps do).
if ! apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1; then
	apt-get update >/dev/null 2>&1 || { echo "linux-guest: apt-get update failed" >&2; exit 1; }
fi

if [ ! -f bzImage ]; then
	kernel=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
	[ -n "$kernel" ] || { echo "linux-guest: no linux-image-cloud-amd64 in the apt cache (apt-get update?)" >&2; exit 1; }
	rm -rf deb-kernel && mkdir deb-kernel
	apt-get download "$kernel" >/dev/null 2>&1 || { echo "linux-guest: apt-get download $kernel failed" >&2; exit 1; }
	dpkg-deb -x "$kernel"_*.deb deb-kernel
	cp deb-kernel/boot/vmlinuz-* bzImage.tmp && mv bzImage.tmp bzImage
	rm -rf deb-kernel "$kernel"_*.deb
fi

if [ ! -f busybox ]; then
	rm -rf deb-busybox && mkdir deb-busybox
	apt-get download busybox-static >/dev/null 2>&1 || { echo "linux-guest: apt-get download busybox-static failed" >&2; exit 1; }
	dpkg-deb -x busybox-static_*.deb deb-busybox
	cp deb-busybox/bin/busybox busybox
	rm -rf deb-busybox busybox-static_*.deb
fi

# The initramfs: rebuilt whenever this script or its /init changes.
rm -rf root && mkdir -p root/bin root/proc root/sys root/dev
cp busybox root/bin/busybox
for applet in sh mount cat grep echo sleep poweroff taskset dmesg; do
	ln -s busybox "root/bin/$applet"
done
cat > root/init <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "linux-guest: /init started"
echo "linux-guest: cpus $(grep -c ^processor /proc/cpuinfo)"
echo "linux-guest: clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "linux-guest: interrupts before"
cat /proc/interrupts
# The workload: the timer for a second, a serial burst, a busy loop on each CPU.
sleep 1
i=0
while [ $i -lt 20 ]; do echo "linux-guest: serial line $i of 20 ................................"; i=$((i + 1)); done
for cpu in $(grep ^processor /proc/cpuinfo | sed 's/.*: //'); do
	taskset -c "$cpu" sh -c 'i=0; while [ $i -lt 2000 ]; do i=$((i + 1)); done' &
done
wait
echo "linux-guest: interrupts after"
cat /proc/interrupts
echo "linux-guest: done, powering off"
poweroff -f
INIT
chmod +x root/init
ln -sf busybox root/bin/sed
(cd root && find . | ./bin/busybox cpio -o -H newc 2>/dev/null) > initramfs.img
echo "linux-guest: $(pwd)/bzImage ($(stat -c %s bzImage) bytes), $(pwd)/initramfs.img ($(stat -c %s initramfs.img) bytes)"
