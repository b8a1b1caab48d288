# The virtual local APIC model (apicv/vlapic.c): plain C, no other module needed.
UNIT_TEST_NAMES += test_vlapic
UNIT_SRCS_test_vlapic := tests/unit/test_vlapic.c apicv/vlapic.c
