# The MC146818A RTC/CMOS model (devices/rtc.c) on a fake TSC.
UNIT_TEST_NAMES += test_rtc
UNIT_SRCS_test_rtc := tests/unit/test_rtc.c devices/rtc.c
