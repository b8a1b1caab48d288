# The MMIO instruction decoder and the guest page-table walker that fetches its bytes
# (test_guest_walk also decodes what it fetches, as the exit handler will).
UNIT_TEST_NAMES += test_x86_decode test_guest_walk
UNIT_SRCS_test_x86_decode := tests/unit/test_x86_decode.c vmx/x86_decode.c lib/fmt.c
UNIT_SRCS_test_guest_walk := tests/unit/test_guest_walk.c vmx/guest_walk.c vmx/x86_decode.c \
	lib/fmt.c
