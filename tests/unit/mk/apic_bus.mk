# The APIC bus (apicv/apic_bus.c): destination sets and lowest-priority arbitration over real
# vLAPICs, so the test links the vLAPIC model too.
UNIT_TEST_NAMES += test_apic_bus
UNIT_SRCS_test_apic_bus := tests/unit/test_apic_bus.c apicv/apic_bus.c apicv/vlapic.c
