# The host processors from the firmware's ACPI tables (boot/madt.c), checked against the tables
# devices/acpi_tables.c builds for the guest.
UNIT_TEST_NAMES += test_madt
UNIT_SRCS_test_madt := tests/unit/test_madt.c boot/madt.c devices/acpi_tables.c lib/fmt.c
