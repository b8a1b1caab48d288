# The IA-PC HPET model (devices/hpet.c) on a fake TSC.
UNIT_TEST_NAMES += test_hpet
UNIT_SRCS_test_hpet := tests/unit/test_hpet.c devices/hpet.c
