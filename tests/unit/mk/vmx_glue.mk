# The VMX glue over a fake CPU and VMCS (tests/unit/fake_cpu.c): exit handlers, platform CPUID and
# MSRs, the delivery modes, the MMIO path and the run loop, built with APICVISOR_HOSTED so that
# boot/x86.h and vmx/vmcs.h call the fake instead of executing VMX instructions.
UNIT_TEST_NAMES += test_vmx_exits
UNIT_SRCS_test_vmx_exits := tests/unit/test_vmx_exits.c tests/unit/fake_cpu.c \
	tests/unit/vmx_caps_fixtures.c \
	vmx/exit.c vmx/run.c vmx/vcpu.c vmx/vmx.c vmx/vmcs.c platform/platform.c \
	platform/platform_irq.c vmx/mmio.c \
	vmx/host_apic.c vmx/cpuid_policy.c vmx/vmx_caps.c vmx/vmx_names.c vmx/stats.c vmx/ept.c \
	vmx/x86_decode.c vmx/guest_walk.c apicv/delivery.c apicv/apic_exits.c apicv/vlapic.c \
	apicv/apic_bus.c apicv/timer_offload.c devices/uart16550.c devices/rtc.c devices/hpet.c devices/sysctl.c devices/i8042.c devices/iomem_testdev.c devices/acpi_pm1.c devices/vioapic.c devices/vpic.c devices/pit.c devices/irq_routing.c \
	devices/fw_cfg.c devices/pm_timer.c boot/config.c boot/host_guard.c lib/fmt.c

# Guard pages around the hypervisor's own structures (boot/host_guard.c).
UNIT_TEST_NAMES += test_host_guard
UNIT_SRCS_test_host_guard := tests/unit/test_host_guard.c boot/host_guard.c lib/fmt.c

# The guest's CPUID policy on its own (vmx/cpuid_policy.c).
UNIT_TEST_NAMES += test_cpuid_policy
UNIT_SRCS_test_cpuid_policy := tests/unit/test_cpuid_policy.c vmx/cpuid_policy.c
