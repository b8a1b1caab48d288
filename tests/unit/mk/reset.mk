# The reset registers (devices/sysctl.c: 92H, CF9H) and the 8042 keyboard controller
# (devices/i8042.c).
UNIT_TEST_NAMES += test_sysctl test_i8042
UNIT_SRCS_test_sysctl := tests/unit/test_sysctl.c devices/sysctl.c
UNIT_SRCS_test_i8042 := tests/unit/test_i8042.c devices/i8042.c
