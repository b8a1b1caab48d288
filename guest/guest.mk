# The test guest: a Multiboot 1 kernel that apicvisor loads (as `qemu-system-x86_64 -kernel`
# does, so the same file also runs under plain QEMU). Included by the top-level Makefile, which
# provides BUILD, CC, NASM, LD, OBJCOPY and WARNINGS.
#
# Multiboot loaders start a kernel in 32-bit protected mode and QEMU's -kernel refuses ELF64
# files, but the guest's C is 64-bit code: entry.asm switches to long mode itself. So everything
# is compiled and linked as x86-64 (the entry code is `bits 32` inside it) and the linked file is
# rewritten as ELF32 (EM_386) by objcopy, as kvm-unit-tests does for its x86_64 tests. Every
# address is below 4 GiB, so nothing is lost in the conversion.

GUEST_C_SRCS := guest/main.c guest/scenarios.c guest/scenario_kit.c guest/scenario_apic_kit.c \
	guest/scenarios_apic.c guest/scenarios_timer.c guest/scenario_irq_kit.c \
	guest/scenarios_ioapic.c guest/scenarios_isa.c guest/scenarios_platform.c guest/scenarios_reset.c guest/scenarios_hpet.c guest/scenarios_mmio.c guest/scenarios_bios.c guest/bios_state.c guest/scenarios_access.c \
	guest/scenarios_chaos.c guest/scenarios_isolation.c guest/scenarios_hardening.c \
	guest/scenarios_smp.c guest/smp.c \
	guest/delivery_mode.c guest/hypercall.c guest/idt.c guest/interrupts.c guest/lapic.c \
	guest/ioapic.c guest/pic.c guest/pit.c guest/testdev.c guest/serial.c guest/debug_exit.c \
	guest/acpi.c guest/fw_cfg.c guest/multiboot.c \
	guest/lib/printf.c guest/lib/string.c
GUEST_ASM_SRCS := guest/entry.asm guest/exception_stubs.asm guest/interrupt_stubs.asm \
	guest/chaos_stubs.asm guest/hardening_stubs.asm guest/smp_stubs.asm guest/smp_trampoline.asm \
	guest/realmode_thunk.asm
GUEST_OBJS := $(patsubst guest/%.c,$(BUILD)/guest/%.o,$(GUEST_C_SRCS)) \
	$(patsubst guest/%.asm,$(BUILD)/guest/%.o,$(GUEST_ASM_SRCS))

# -mcmodel=small with -fno-pic: the guest is linked at 1 MiB, so every address fits in 32 bits.
# -mgeneral-regs-only: no SSE state to set up (CR4.OSFXSR stays 0). -mno-red-zone: exceptions
# push their frame on the interrupted code's stack.
GUEST_CFLAGS := -std=gnu11 -m64 -O2 -g -ffreestanding -fno-pic -fno-pie -mno-red-zone \
	-mgeneral-regs-only -fno-stack-protector -mcmodel=small -fno-asynchronous-unwind-tables \
	-Iinclude $(WARNINGS) -MP -MMD
GUEST_LDFLAGS := -m elf_x86_64 -T guest/guest.ld -nostdlib -z max-page-size=0x1000

$(BUILD)/guest/%.o: guest/%.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(BUILD)/guest/%.o: guest/%.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -Iguest/ -MD $(@:.o=.d) -MP $< -o $@

# NASM 2.16.00 and 2.16.01 leave %include'd files out of the -MD output (fixed in 2.16.02,
# netwide-assembler/nasm pull request #80), so the stubs' shared include is named here too.
$(BUILD)/guest/exception_stubs.o $(BUILD)/guest/interrupt_stubs.o \
	$(BUILD)/guest/chaos_stubs.o $(BUILD)/guest/smp_stubs.o: guest/stub_frame.inc

$(BUILD)/guest/guest64.elf: $(GUEST_OBJS) guest/guest.ld
	$(LD) $(GUEST_LDFLAGS) $(GUEST_OBJS) -o $@

# Loaders look for the header's magic at a 4-byte aligned offset in the first 8 KiB: check it
# is there, so a linker script change cannot silently produce an unbootable guest.
$(BUILD)/guest.elf: $(BUILD)/guest/guest64.elf
	$(OBJCOPY) -O elf32-i386 $< $@
	@head -c 8192 $@ | od -An -v -tx4 --endian=little | grep -qw 1badb002 || \
		{ echo "error: no multiboot header in the first 8 KiB of $@"; rm -f $@; exit 1; }
