# Host unit tests (cmocka), included by the top-level Makefile from the repository root; uses its
# BUILD, CC and WARNINGS. Each test binary links only the plain-C sources it tests, built for the
# host with AddressSanitizer and UndefinedBehaviorSanitizer; objects go under $(BUILD)/unit/.
#
# To add a test: name it in UNIT_TEST_NAMES and list its sources in UNIT_SRCS_<name>.

UNIT_CFLAGS := -std=gnu11 -g -O1 -DAPICVISOR_HOSTED -I. $(WARNINGS) -MP -MMD \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_LDLIBS := -lcmocka

UNIT_TEST_NAMES := test_fmt test_config test_multiboot test_vmx_names test_vmx_caps test_stats \
	test_ept test_uart16550

UNIT_SRCS_test_fmt := tests/unit/test_fmt.c lib/fmt.c
UNIT_SRCS_test_config := tests/unit/test_config.c boot/config.c lib/fmt.c
UNIT_SRCS_test_multiboot := tests/unit/test_multiboot.c boot/multiboot.c boot/bios.c lib/fmt.c
UNIT_SRCS_test_vmx_names := tests/unit/test_vmx_names.c vmx/vmx_names.c
UNIT_SRCS_test_vmx_caps := tests/unit/test_vmx_caps.c tests/unit/vmx_caps_fixtures.c vmx/vmx_caps.c boot/config.c lib/fmt.c
UNIT_SRCS_test_stats := tests/unit/test_stats.c vmx/stats.c vmx/vmx_names.c lib/fmt.c
UNIT_SRCS_test_ept := tests/unit/test_ept.c vmx/ept.c
UNIT_SRCS_test_uart16550 := tests/unit/test_uart16550.c devices/uart16550.c

# Modules may add their tests in a fragment of their own: tests/unit/mk/<module>.mk with
# "UNIT_TEST_NAMES += test_x" and "UNIT_SRCS_test_x := ...".
include $(wildcard tests/unit/mk/*.mk)

UNIT_TESTS := $(addprefix $(BUILD)/unit/,$(UNIT_TEST_NAMES))

$(BUILD)/unit/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -c $< -o $@

# One link rule per test: $(BUILD)/unit/<name> from the objects of UNIT_SRCS_<name>.
define UNIT_TEST_RULE
$(BUILD)/unit/$(1): $(patsubst %.c,$(BUILD)/unit/%.o,$(UNIT_SRCS_$(1)))
	$$(CC) $$(UNIT_CFLAGS) $$^ -o $$@ $$(UNIT_LDLIBS)
endef
$(foreach name,$(UNIT_TEST_NAMES),$(eval $(call UNIT_TEST_RULE,$(name))))
