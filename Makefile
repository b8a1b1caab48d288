# apicvisor — a UEFI-booted type-1 mini-hypervisor for VT-x interrupt virtualization.
#
#   make            build build/apicvisor.efi, the test guest and build/esp.img
#   make run        install what is missing (as root), build, boot on the best host, print stats
#   make test       unit tests (cmocka) + integration (Bochs 2.7, QEMU TCG); last line "N passed, N failed"
#   make bench      the benchmark whose figures go to docs/benchmarks.md and docs/ladder.md
#   make fuzz       libFuzzer targets (vIOAPIC, vPIC, vLAPIC, decoder), FUZZ_SECONDS each
#   make image      only build/esp.img
#
# Options for run/bench: HOST=bochs|qemu-tcg|qemu-kvm MODE=… GUEST=path GUEST_ARGS="…" TIMEOUT=s

BUILD ?= build
CC ?= gcc
NASM ?= nasm
LD ?= ld
OBJCOPY ?= objcopy

APICVISOR_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla

# ---------------------------------------------------------------------------------------------
# The hypervisor: a GNU-EFI application (PE32+), position independent, built -shared -Bsymbolic.
# -mgeneral-regs-only: root mode never touches x87/SSE state, so the guest's stays intact
# without saving it on every exit.
EFI_INC := /usr/include/efi
EFI_LIB := /usr/lib
EFI_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fpic -fshort-wchar -fno-stack-protector \
	-fno-stack-check -fno-strict-aliasing -mno-red-zone -maccumulate-outgoing-args \
	-mgeneral-regs-only -DGNU_EFI_USE_MS_ABI -isystem $(EFI_INC) -isystem $(EFI_INC)/x86_64 -I. \
	-I$(BUILD)/gen $(WARNINGS) -MP -MMD
EFI_LDFLAGS := -nostdlib -znocombreloc -shared -Bsymbolic --no-undefined -L$(EFI_LIB) \
	-T $(EFI_LIB)/elf_x86_64_efi.lds $(EFI_LIB)/crt0-efi-x86_64.o

# Plain-C modules: built into the EFI binary and into the host unit tests.
PURE_SRCS := lib/fmt.c boot/config.c boot/multiboot.c vmx/vmx_names.c vmx/vmx_caps.c \
	vmx/stats.c vmx/ept.c devices/uart16550.c apicv/vlapic.c apicv/apic_bus.c apicv/timer_offload.c \
	vmx/x86_decode.c vmx/guest_walk.c vmx/cpuid_policy.c boot/host_guard.c boot/madt.c \
	devices/acpi_tables.c devices/fw_cfg.c devices/pm_timer.c devices/vioapic.c \
	devices/irq_routing.c devices/vpic.c devices/pit.c devices/rtc.c devices/hpet.c devices/sysctl.c \
	devices/i8042.c devices/iomem_testdev.c devices/acpi_pm1.c boot/bios.c boot/linux.c
# EFI-only C and assembly.
EFI_SRCS := lib/string.c boot/main.c boot/console.c boot/cpu.c boot/efi_util.c boot/smp.c \
	boot/housekeeping.c \
	vmx/vcpu.c vmx/vmx.c vmx/vmcs.c vmx/host_apic.c vmx/mmio.c apicv/delivery.c apicv/apic_exits.c \
	platform/platform.c platform/platform_irq.c vmx/exit.c vmx/run.c
EFI_ASMS := boot/traps.asm vmx/entry.asm boot/trampoline_blob.asm boot/bios_rom_blob.asm

HV_OBJS := $(patsubst %.c,$(BUILD)/efi/%.o,$(PURE_SRCS) $(EFI_SRCS)) \
	$(patsubst %.asm,$(BUILD)/efi/%.o,$(EFI_ASMS))

.PHONY: all image run run-options test unit unit-build integration test-kernels bench deps clean FORCE
all: $(BUILD)/apicvisor.efi $(BUILD)/guest.elf $(BUILD)/esp.img

$(BUILD)/efi/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -c $< -o $@

# The version string: rewritten only when `git describe` changes, so it rebuilds what uses it.
$(BUILD)/gen/version.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define APICVISOR_VERSION "$(APICVISOR_VERSION)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@
$(BUILD)/efi/boot/main.o: $(BUILD)/gen/version.h
FORCE:

$(BUILD)/efi/%.o: %.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -I. -MD $(@:.o=.d) -MP $< -o $@

# The AP start-up code runs at whatever page below 1 MiB it is copied to: a flat binary,
# embedded by boot/trampoline_blob.asm (incbin, found through -I).
$(BUILD)/efi/boot/trampoline.bin: boot/trampoline.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin $< -o $@
$(BUILD)/efi/boot/trampoline_blob.o: boot/trampoline_blob.asm $(BUILD)/efi/boot/trampoline.bin
	$(NASM) -f elf64 -I$(BUILD)/efi/boot/ $< -o $@

# The BIOS's real-mode handlers, copied into the guest's BIOS area (boot/bios.c): likewise.
$(BUILD)/efi/boot/bios_rom.bin: boot/bios_rom.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin $< -o $@
$(BUILD)/efi/boot/bios_rom_blob.o: boot/bios_rom_blob.asm $(BUILD)/efi/boot/bios_rom.bin
	$(NASM) -f elf64 -I$(BUILD)/efi/boot/ $< -o $@

$(BUILD)/apicvisor.so: $(HV_OBJS)
	$(LD) $(EFI_LDFLAGS) $^ -o $@ -lefi -lgnuefi
	@# GNU-EFI's PE conversion drops sections it does not name: refuse absolute
	@# relocations in .text, which would silently stay unrelocated (test-hosts.md).
	@if readelf -r $@ | grep -q "R_X86_64_64.*\.text"; then \
		echo "error: absolute relocation against .text in $@"; exit 1; fi

$(BUILD)/apicvisor.efi: $(BUILD)/apicvisor.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

# ---------------------------------------------------------------------------------------------
# The test guest (guest/guest.mk defines $(BUILD)/guest.elf).
include guest/guest.mk

# ---------------------------------------------------------------------------------------------
# The ESP image: FAT, built without root by mkfs.vfat + mtools.
# CFG_ARGS lets `make run`/tests write a per-run apicvisor.cfg (tools/make-image.sh).
image: $(BUILD)/esp.img
$(BUILD)/esp.img: $(BUILD)/apicvisor.efi $(BUILD)/guest.elf tools/make-image.sh
	tools/make-image.sh $@ $(BUILD)/apicvisor.efi $(BUILD)/guest.elf

# A foreign multiboot kernel (a.out kludge, no ELF) for the integration tests.
TEST_KERNELS := $(BUILD)/tests/aout-hello.bin
$(BUILD)/tests/%.bin: tests/integration/kernels/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin $< -o $@

# ---------------------------------------------------------------------------------------------
# Host unit tests (tests/unit/unit.mk defines UNIT_TESTS, the binaries).
include tests/unit/unit.mk

# Host fuzz targets (libFuzzer): make fuzz, make fuzz-brief (tests/fuzz/fuzz.mk).
include tests/fuzz/fuzz.mk

deps:
	@tools/install-deps.sh

# run-options: every make run option checked before anything is installed, built or booted.
run-options:
	@tools/run.sh --check
run: run-options deps all
	@tools/run.sh

# make unit builds the unit tests and runs them (tools/run-unit.sh: a PASS/FAIL line per test,
# fails if one failed); unit-build only builds them.
unit-build: $(UNIT_TESTS)
unit: unit-build
	@BUILD=$(BUILD) tools/run-unit.sh $(UNIT_TESTS)
test-kernels: $(TEST_KERNELS)
integration: all test-kernels
	@tests/integration/run.py

test: deps
	@BUILD=$(BUILD) tools/run-tests.sh

bench: deps all
	@tools/bench.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
