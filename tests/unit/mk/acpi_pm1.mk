# The ACPI PM1a registers (devices/acpi_pm1.c).
UNIT_TEST_NAMES += test_acpi_pm1
UNIT_SRCS_test_acpi_pm1 := tests/unit/test_acpi_pm1.c devices/acpi_pm1.c
