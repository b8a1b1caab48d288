# The MMIO instruction emulation (vmx/mmio.c) on the iomem window over the fake CPU: the sources
# of test_vmx_exits (vmx_glue.mk, included after this file, hence the deferred `=`).
UNIT_TEST_NAMES += test_mmio_exec
UNIT_SRCS_test_mmio_exec = tests/unit/test_mmio_exec.c \
	$(filter-out tests/unit/test_vmx_exits.c,$(UNIT_SRCS_test_vmx_exits))
