#!/usr/bin/env bash
# Installs the Debian 12 packages apicvisor needs that this machine lacks (as root), or says
# which are missing and how to install them.
set -euo pipefail

packages=(make gcc binutils nasm gnu-efi mtools dosfstools ovmf bochs bochsbios vgabios
	qemu-system-x86 libcmocka-dev python3 clang)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "apicvisor: installing missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "apicvisor: not root: run  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
