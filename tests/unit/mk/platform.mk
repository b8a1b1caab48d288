# The platform the guest sees beyond the interrupt controllers: ACPI tables in guest RAM, QEMU's
# fw_cfg (legacy I/O) and the ACPI PM timer.
UNIT_TEST_NAMES += test_acpi_tables test_fw_cfg test_pm_timer
UNIT_SRCS_test_acpi_tables := tests/unit/test_acpi_tables.c devices/acpi_tables.c lib/fmt.c
UNIT_SRCS_test_fw_cfg := tests/unit/test_fw_cfg.c devices/fw_cfg.c lib/fmt.c
UNIT_SRCS_test_pm_timer := tests/unit/test_pm_timer.c devices/pm_timer.c lib/fmt.c
