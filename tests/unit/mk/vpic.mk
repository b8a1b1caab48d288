# The legacy interrupt controllers and timer (devices/vpic.c: 8259A pair + ELCR; devices/pit.c:
# 8254): plain C, no other module needed.
UNIT_TEST_NAMES += test_vpic test_pit
UNIT_SRCS_test_vpic := tests/unit/test_vpic.c devices/vpic.c
UNIT_SRCS_test_pit := tests/unit/test_pit.c devices/pit.c
