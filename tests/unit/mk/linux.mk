# The bzImage loader (boot/linux.c): images built in memory.
UNIT_TEST_NAMES += test_linux
UNIT_SRCS_test_linux := tests/unit/test_linux.c boot/linux.c boot/bios.c lib/fmt.c
