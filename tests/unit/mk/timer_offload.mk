# The housekeeping CPU's vLAPIC timer record (apicv/timer_offload.c), driven by the real vLAPIC
# model on a fake clock.
UNIT_TEST_NAMES += test_timer_offload
UNIT_SRCS_test_timer_offload := tests/unit/test_timer_offload.c apicv/timer_offload.c \
	apicv/vlapic.c
