# The virtual I/O APIC (devices/vioapic.c) and the GSI/MSI routing (devices/irq_routing.c):
# plain C, each tested alone with fake ops.
UNIT_TEST_NAMES += test_vioapic test_irq_routing
UNIT_SRCS_test_vioapic := tests/unit/test_vioapic.c devices/vioapic.c
UNIT_SRCS_test_irq_routing := tests/unit/test_irq_routing.c devices/irq_routing.c
