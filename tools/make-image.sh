#!/usr/bin/env bash
# Builds a FAT ESP image without root (mkfs.vfat + mtools):
#   \EFI\BOOT\BOOTX64.EFI   the hypervisor
#   \guest.elf              the guest (any multiboot kernel)
#   \apicvisor.cfg          the configuration (tools/default.cfg unless a file is given)
# Usage: tools/make-image.sh OUT.img APICVISOR.efi GUEST [CONFIG] [NAME=FILE ...]
# Extra NAME=FILE pairs are copied to \NAME (tests use them for broken guests).
set -euo pipefail

out=$1 efi=$2 guest=$3
config=${4:-$(dirname "$0")/default.cfg}
shift $(( $# < 4 ? $# : 4 ))

# 16 MiB, or room for what goes in (a Linux kernel and initrd) with 4 MiB to spare.
kib=4096
for f in "$efi" "$guest" "$config" "${@#*=}"; do
	kib=$((kib + ($(stat -c %s "$f") + 1023) / 1024 + 4))
done
[ $kib -ge 16384 ] || kib=16384
tmp=$out.tmp
rm -f "$tmp"
mkfs.vfat -C -n APICVISOR "$tmp" $kib >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$tmp" ::/EFI ::/EFI/BOOT
mcopy -i "$tmp" "$efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$tmp" "$guest" ::/guest.elf
mcopy -i "$tmp" "$config" ::/apicvisor.cfg
for extra in "$@"; do
	mcopy -i "$tmp" "${extra#*=}" "::/${extra%%=*}"
done
mv "$tmp" "$out"
