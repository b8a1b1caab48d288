# Host fuzz targets (libFuzzer with AddressSanitizer and UndefinedBehaviorSanitizer, built by
# clang), included by the top-level Makefile from the repository root; uses its BUILD and
# WARNINGS. Also works alone: make -f tests/fuzz/fuzz.mk fuzz-brief (tests/fuzz/run-brief.sh does
# that). Each target links its harness with the plain-C model sources it fuzzes, built with
# -DAPICVISOR_HOSTED and coverage instrumentation; objects go under $(BUILD)/fuzz/obj/.
#
#   make fuzz         every target for FUZZ_RUNS (10^7) executions each (FUZZ_SECONDS, 3600, caps
#                     the time), corpus in $(BUILD)/fuzz/corpus-<name>, crash inputs in
#                     $(BUILD)/fuzz/artifacts-<name>/, output in $(BUILD)/fuzz/<name>-long.log;
#                     fails if any target crashed; then tools/fuzz-report.py writes the figures
#                     (executions, coverage, crashes) to docs/reliability.md
#   make fuzz-brief   every target for FUZZ_BRIEF_SECONDS (10) each, one PASS/FAIL line per target
#   make fuzz-build   only build them ($(FUZZ_TARGETS))
#
# To run one by hand: build/fuzz/fuzz_vpic build/fuzz/corpus-fuzz_vpic (libFuzzer options apply;
# a crash file given as argument replays it). To add a target: name it in FUZZ_NAMES and list its
# sources in FUZZ_SRCS_<name>.

BUILD ?= build
CLANG ?= clang
FUZZ_SECONDS ?= 3600
FUZZ_RUNS ?= 10000000
FUZZ_BRIEF_SECONDS ?= 10
WARNINGS ?= -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla

FUZZ_CFLAGS := -std=gnu11 -g -O1 -DAPICVISOR_HOSTED -I. $(WARNINGS) -MP -MMD \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined
# libFuzzer options for every run: a single input that takes 10 s is a hang, reported as a crash.
FUZZ_RUN_OPTIONS := -timeout=10 -print_final_stats=1

FUZZ_NAMES := fuzz_vioapic fuzz_vpic fuzz_x86_decode fuzz_vlapic fuzz_platform
FUZZ_SRCS_fuzz_vioapic := tests/fuzz/fuzz_vioapic.c devices/vioapic.c
FUZZ_SRCS_fuzz_vpic := tests/fuzz/fuzz_vpic.c devices/vpic.c
FUZZ_SRCS_fuzz_x86_decode := tests/fuzz/fuzz_x86_decode.c vmx/x86_decode.c lib/fmt.c
FUZZ_SRCS_fuzz_vlapic := tests/fuzz/fuzz_vlapic.c apicv/vlapic.c
# The platform's dispatch over the fake CPU: the same sources as tests/unit/mk/vmx_glue.mk.
FUZZ_SRCS_fuzz_platform := tests/fuzz/fuzz_platform.c tests/unit/fake_cpu.c \
	tests/unit/vmx_caps_fixtures.c \
	vmx/exit.c vmx/run.c vmx/vcpu.c vmx/vmx.c vmx/vmcs.c platform/platform.c \
	platform/platform_irq.c vmx/mmio.c vmx/host_apic.c vmx/cpuid_policy.c vmx/vmx_caps.c \
	vmx/vmx_names.c vmx/stats.c vmx/ept.c vmx/x86_decode.c vmx/guest_walk.c apicv/delivery.c \
	apicv/apic_exits.c apicv/vlapic.c apicv/apic_bus.c apicv/timer_offload.c devices/uart16550.c devices/rtc.c devices/hpet.c devices/sysctl.c devices/i8042.c devices/iomem_testdev.c devices/acpi_pm1.c devices/vioapic.c devices/vpic.c \
	devices/pit.c devices/irq_routing.c devices/fw_cfg.c devices/pm_timer.c boot/config.c \
	boot/host_guard.c \
	lib/fmt.c

FUZZ_TARGETS := $(addprefix $(BUILD)/fuzz/,$(FUZZ_NAMES))

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

# One link rule per target: $(BUILD)/fuzz/<name> from the objects of FUZZ_SRCS_<name>.
define FUZZ_TARGET_RULE
$(BUILD)/fuzz/$(1): $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(FUZZ_SRCS_$(1)))
	$$(CLANG) $$(FUZZ_LDFLAGS) $$^ -o $$@
endef
$(foreach name,$(FUZZ_NAMES),$(eval $(call FUZZ_TARGET_RULE,$(name))))

.PHONY: fuzz fuzz-brief fuzz-build fuzz-names
fuzz-build: $(FUZZ_TARGETS)

# For tests/fuzz/run-brief.sh: the target names, one line.
fuzz-names:
	@echo $(FUZZ_NAMES)

fuzz: $(FUZZ_TARGETS)
	@failed=0; for name in $(FUZZ_NAMES); do \
		mkdir -p $(BUILD)/fuzz/corpus-$$name $(BUILD)/fuzz/artifacts-$$name; \
		echo "== $$name: $(FUZZ_SECONDS) s, corpus $(BUILD)/fuzz/corpus-$$name"; \
		$(BUILD)/fuzz/$$name $(FUZZ_RUN_OPTIONS) -max_total_time=$(FUZZ_SECONDS) \
			-runs=$(FUZZ_RUNS) -artifact_prefix=$(BUILD)/fuzz/artifacts-$$name/ \
			$(BUILD)/fuzz/corpus-$$name >$(BUILD)/fuzz/$$name-long.log 2>&1 || \
			{ echo "== $$name FAILED (see $(BUILD)/fuzz/$$name-long.log)"; failed=1; }; \
		tail -n 12 $(BUILD)/fuzz/$$name-long.log | grep -E 'stat::|Done' ; \
	done; tools/fuzz-report.py $(BUILD) $(FUZZ_NAMES) || failed=1; exit $$failed

fuzz-brief:
	@BUILD=$(BUILD) CLANG=$(CLANG) tests/fuzz/run-brief.sh $(FUZZ_BRIEF_SECONDS)

-include $(wildcard $(BUILD)/fuzz/obj/*/*.d $(BUILD)/fuzz/obj/*/*/*.d)
