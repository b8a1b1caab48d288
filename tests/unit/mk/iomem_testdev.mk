# The pc-testdev iomem window (devices/iomem_testdev.c).
UNIT_TEST_NAMES += test_iomem_testdev
UNIT_SRCS_test_iomem_testdev := tests/unit/test_iomem_testdev.c devices/iomem_testdev.c
