# The memory the BIOS leaves (boot/bios.c), with the real handler image (boot/bios_rom.asm)
# assembled and linked for the host.
UNIT_TEST_NAMES += test_bios
UNIT_SRCS_test_bios := tests/unit/test_bios.c boot/bios.c devices/acpi_tables.c lib/fmt.c

$(BUILD)/unit/boot/bios_rom.bin: boot/bios_rom.asm
	@mkdir -p $(dir $@)
	$(NASM) -f bin $< -o $@
$(BUILD)/unit/boot/bios_rom_blob.o: boot/bios_rom_blob.asm $(BUILD)/unit/boot/bios_rom.bin
	$(NASM) -f elf64 -I$(BUILD)/unit/boot/ $< -o $@
$(BUILD)/unit/test_bios: $(BUILD)/unit/boot/bios_rom_blob.o
