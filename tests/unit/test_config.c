/* SPDX-License-Identifier: MIT */
/* Unit tests for boot/config.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot/config.h"

/* Which field a valid case checks. */
enum field {
	FIELD_GUEST,
	FIELD_ARGS,
	FIELD_MODE,
	FIELD_TIMEOUT,
	FIELD_LOG,
	FIELD_MEM,
	FIELD_TESTDEV,
	FIELD_FAULT,
	FIELD_CPUS,
	FIELD_HOUSEKEEPING,
	FIELD_STRICT,
	FIELD_INITRD,
};

struct set_case {
	const char *key;
	const char *value;
	enum field field;
	const char *want_text;     /* guest, args */
	uint32_t want_number;      /* mode, timeout, log, mem, testdev, fault, cpus, housekeeping */
};

static const struct set_case valid_cases[] = {
	{ "guest", "guest.elf", FIELD_GUEST, "\\guest.elf", 0 },
	{ "guest", "\\guest.elf", FIELD_GUEST, "\\guest.elf", 0 },
	{ "guest", "/guest.elf", FIELD_GUEST, "\\guest.elf", 0 },
	{ "guest", "EFI/tests/kernel.elf", FIELD_GUEST, "\\EFI\\tests\\kernel.elf", 0 },
	{ "guest", "/EFI\\tests/kernel.elf", FIELD_GUEST, "\\EFI\\tests\\kernel.elf", 0 },
	{ "guest", "my kernel.elf", FIELD_GUEST, "\\my kernel.elf", 0 },
	{ "initrd", "initrd.img", FIELD_INITRD, "\\initrd.img", 0 },
	{ "initrd", "/boot/initrd.img", FIELD_INITRD, "\\boot\\initrd.img", 0 },
	{ "initrd", "", FIELD_INITRD, "", 0 },
	{ "args", "", FIELD_ARGS, "", 0 },
	{ "args", "hello vmcall", FIELD_ARGS, "hello vmcall", 0 },
	{ "args", "scenario=ipi count=1000 \"x\"", FIELD_ARGS, "scenario=ipi count=1000 \"x\"", 0 },
	{ "mode", "emulate", FIELD_MODE, NULL, MODE_EMULATE },
	{ "mode", "tpr-shadow", FIELD_MODE, NULL, MODE_TPR_SHADOW },
	{ "mode", "apicv", FIELD_MODE, NULL, MODE_APICV },
	{ "mode", "posted", FIELD_MODE, NULL, MODE_POSTED },
	{ "timeout", "0", FIELD_TIMEOUT, NULL, 0 },
	{ "timeout", "1", FIELD_TIMEOUT, NULL, 1 },
	{ "timeout", "86400", FIELD_TIMEOUT, NULL, 86400 },
	{ "timeout", "0090", FIELD_TIMEOUT, NULL, 90 },
	{ "log", "quiet", FIELD_LOG, NULL, LOG_QUIET },
	{ "log", "info", FIELD_LOG, NULL, LOG_INFO },
	{ "log", "debug", FIELD_LOG, NULL, LOG_DEBUG },
	{ "mem", "2", FIELD_MEM, NULL, 2 },
	{ "mem", "128", FIELD_MEM, NULL, 128 },
	{ "mem", "3072", FIELD_MEM, NULL, 3072 },
	{ "testdev", "off", FIELD_TESTDEV, NULL, false },
	{ "testdev", "on", FIELD_TESTDEV, NULL, true },
	{ "housekeeping", "off", FIELD_HOUSEKEEPING, NULL, false },
	{ "housekeeping", "cpu0", FIELD_HOUSEKEEPING, NULL, true },
	{ "strict", "off", FIELD_STRICT, NULL, false },
	{ "strict", "on", FIELD_STRICT, NULL, true },
	{ "fault", "none", FIELD_FAULT, NULL, FAULT_NONE },
	{ "fault", "entry-failure", FIELD_FAULT, NULL, FAULT_ENTRY_FAILURE },
	{ "fault", "unknown-exit", FIELD_FAULT, NULL, FAULT_UNKNOWN_EXIT },
	{ "fault", "root-exception", FIELD_FAULT, NULL, FAULT_ROOT_EXCEPTION },
	{ "fault", "ap-silent", FIELD_FAULT, NULL, FAULT_AP_SILENT },
	{ "cpus", "1", FIELD_CPUS, NULL, 1 },
	{ "cpus", "2", FIELD_CPUS, NULL, 2 },
	{ "cpus", "4", FIELD_CPUS, NULL, 4 },
	{ "cpus", "8", FIELD_CPUS, NULL, CONFIG_MAX_CPUS },
	{ "cpus", "03", FIELD_CPUS, NULL, 3 },
	{ "cpus", "all", FIELD_CPUS, NULL, CONFIG_CPUS_ALL },
};

struct error_case {
	const char *key;
	const char *value;
	const char *want;          /* a substring of the message */
};

static const struct error_case error_cases[] = {
	{ "gust", "x", "unknown key 'gust'" },
	{ "Mode", "apicv", "unknown key 'Mode'" },
	{ "", "apicv", "missing key" },
	{ "guest", "", "guest: empty path" },
	{ "guest", "/", "guest: path '/' ends with a separator" },
	{ "initrd", "/", "initrd: path '/' ends with a separator" },
	{ "guest", "EFI\\", "ends with a separator" },
	{ "guest", "k\x01.elf", "guest: character 0x01 at position 2 is not printable ASCII" },
	{ "guest", "k\xc3\xa9.elf", "guest: character 0xc3 at position 2 is not printable ASCII" },
	{ "guest", "a\tb", "guest: character 0x09" },
	{ "args", "a\x7f", "args: character 0x7f at position 2 is not printable ASCII" },
	{ "mode", "fast", "mode: 'fast' is not one of emulate, tpr-shadow, apicv, posted" },
	{ "mode", "", "mode: '' is not one of" },
	{ "mode", "APICV", "mode: 'APICV' is not one of" },
	{ "log", "verbose", "log: 'verbose' is not one of quiet, info, debug" },
	{ "timeout", "", "timeout: missing value" },
	{ "timeout", "86401", "timeout: '86401' is out of range 0..86400" },
	{ "timeout", "12s", "timeout: '12s' is not a decimal number" },
	{ "timeout", "-1", "timeout: '-1' is not a decimal number" },
	{ "timeout", "+5", "timeout: '+5' is not a decimal number" },
	{ "timeout", " 5", "timeout: ' 5' is not a decimal number" },
	{ "timeout", "0x10", "timeout: '0x10' is not a decimal number" },
	{ "timeout", "99999999999999999999", "timeout: '99999999999999999999' is out of range" },
	{ "mem", "0", "mem: '0' is out of range 2..3072 (MiB)" },
	{ "mem", "1", "mem: '1' is out of range 2..3072 (MiB)" },
	{ "mem", "3073", "mem: '3073' is out of range 2..3072 (MiB)" },
	{ "mem", "4294967296", "mem: '4294967296' is out of range" },
	{ "mem", "128M", "mem: '128M' is not a decimal number" },
	{ "mem", "", "mem: missing value" },
	{ "testdev", "yes", "testdev: 'yes' is not one of on, off" },
	{ "testdev", "1", "testdev: '1' is not one of on, off" },
	{ "testdev", "ON", "testdev: 'ON' is not one of on, off" },
	{ "testdev", "", "testdev: '' is not one of on, off" },
	{ "testdev", "onn", "testdev: 'onn' is not one of on, off" },
	{ "housekeeping", "on", "housekeeping: 'on' is not one of off, cpu0" },
	{ "strict", "yes", "strict: 'yes' is not one of on, off" },
	{ "housekeeping", "cpu1", "housekeeping: 'cpu1' is not one of off, cpu0" },
	{ "housekeeping", "", "housekeeping: '' is not one of off, cpu0" },
	{ "fault", "crash", "fault: 'crash' is not one of none, entry-failure, unknown-exit, "
			    "root-exception, ap-silent" },
	{ "cpus", "0", "cpus: '0' is out of range 1..8 (CPUs, or all)" },
	{ "cpus", "9", "cpus: '9' is out of range 1..8 (CPUs, or all)" },
	{ "cpus", "00", "cpus: '00' is out of range 1..8 (CPUs, or all)" },
	{ "cpus", "4294967297", "cpus: '4294967297' is out of range 1..8" },
	{ "cpus", "x", "cpus: 'x' is neither all nor a decimal number 1..8" },
	{ "cpus", "ALL", "cpus: 'ALL' is neither all nor a decimal number 1..8" },
	{ "cpus", "al", "cpus: 'al' is neither all nor a decimal number 1..8" },
	{ "cpus", "-1", "cpus: '-1' is neither all nor a decimal number 1..8" },
	{ "cpus", "2 ", "cpus: '2 ' is neither all nor a decimal number 1..8" },
	{ "cpus", "0x2", "cpus: '0x2' is neither all nor a decimal number 1..8" },
	{ "cpus", "", "cpus: missing value (all, or a decimal number 1..8)" },
};

static void check_field(const struct config *c, const struct set_case *t)
{
	switch (t->field) {
	case FIELD_GUEST:
		assert_string_equal(c->guest, t->want_text);
		break;
	case FIELD_INITRD:
		assert_string_equal(c->initrd, t->want_text);
		break;
	case FIELD_ARGS:
		assert_string_equal(c->guest_args, t->want_text);
		break;
	case FIELD_MODE:
		assert_int_equal(c->mode, t->want_number);
		break;
	case FIELD_TIMEOUT:
		assert_int_equal(c->timeout_s, t->want_number);
		break;
	case FIELD_LOG:
		assert_int_equal(c->log, t->want_number);
		break;
	case FIELD_MEM:
		assert_int_equal(c->mem_mib, t->want_number);
		break;
	case FIELD_TESTDEV:
		assert_int_equal(c->testdev, t->want_number);
		break;
	case FIELD_FAULT:
		assert_int_equal(c->fault, t->want_number);
		break;
	case FIELD_CPUS:
		assert_int_equal(c->cpus, t->want_number);
		break;
	case FIELD_HOUSEKEEPING:
		assert_int_equal(c->housekeeping, t->want_number);
		break;
	case FIELD_STRICT:
		assert_int_equal(c->strict, t->want_number);
		break;
	}
}

static int set_string(struct config *c, const char *key, const char *value, char *err,
		      size_t err_len)
{
	return config_set(c, key, strlen(key), value, strlen(value), err, err_len);
}

static void test_defaults(void **state)
{
	struct config c;

	(void)state;
	memset(&c, 0x5a, sizeof(c));
	config_defaults(&c);
	assert_string_equal(c.guest, "\\guest.elf");
	assert_string_equal(c.guest_args, "");
	assert_int_equal(c.mode, MODE_POSTED);
	assert_int_equal(c.timeout_s, 60);
	assert_int_equal(c.log, LOG_INFO);
	assert_int_equal(c.mem_mib, 128);
	assert_false(c.housekeeping);
	assert_int_equal(c.module_count, 0);
	assert_true(c.testdev);
	assert_int_equal(c.cpus, CONFIG_CPUS_ALL);
	assert_int_equal(CONFIG_CPUS_ALL, 0);
}

static void test_set_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(valid_cases); i++) {
		const struct set_case *t = &valid_cases[i];
		struct config c;
		char err[128] = "";

		config_defaults(&c);
		/* Not the default, so that cpus=all is seen to set the field. */
		c.cpus = 5;
		if (set_string(&c, t->key, t->value, err, sizeof(err)) != 0)
			fail_msg("%s=%s: unexpected error \"%s\"", t->key, t->value, err);
		check_field(&c, t);
	}
}

static void test_set_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(error_cases); i++) {
		const struct error_case *t = &error_cases[i];
		struct config before, c;
		char err[256] = "";

		config_defaults(&c);
		/* Start from non-default values, to see that nothing changes on error. */
		assert_int_equal(set_string(&c, "mode", "apicv", err, sizeof(err)), 0);
		assert_int_equal(set_string(&c, "args", "keep me", err, sizeof(err)), 0);
		assert_int_equal(set_string(&c, "cpus", "3", err, sizeof(err)), 0);
		before = c;
		if (set_string(&c, t->key, t->value, err, sizeof(err)) != -1)
			fail_msg("%s=%s: accepted", t->key, t->value);
		if (strstr(err, t->want) == NULL)
			fail_msg("%s=%s: message \"%s\" lacks \"%s\"", t->key, t->value, err,
				 t->want);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

static void test_set_exact_messages(void **state)
{
	struct config c;
	char err[128];

	(void)state;
	config_defaults(&c);
	assert_int_equal(set_string(&c, "mem", "0", err, sizeof(err)), -1);
	assert_string_equal(err, "mem: '0' is out of range 2..3072 (MiB)");
	assert_int_equal(set_string(&c, "mode", "fast", err, sizeof(err)), -1);
	assert_string_equal(err, "mode: 'fast' is not one of emulate, tpr-shadow, apicv, posted");
	assert_int_equal(set_string(&c, "timeout", "86401", err, sizeof(err)), -1);
	assert_string_equal(err, "timeout: '86401' is out of range 0..86400 (seconds, 0: none)");
	assert_int_equal(set_string(&c, "testdev", "no", err, sizeof(err)), -1);
	assert_string_equal(err, "testdev: 'no' is not one of on, off");
	assert_int_equal(set_string(&c, "cpus", "0", err, sizeof(err)), -1);
	assert_string_equal(err, "cpus: '0' is out of range 1..8 (CPUs, or all)");
	assert_int_equal(set_string(&c, "cpus", "9", err, sizeof(err)), -1);
	assert_string_equal(err, "cpus: '9' is out of range 1..8 (CPUs, or all)");
	assert_int_equal(set_string(&c, "cpus", "x", err, sizeof(err)), -1);
	assert_string_equal(err, "cpus: 'x' is neither all nor a decimal number 1..8");
	assert_int_equal(set_string(&c, "gust", "x", err, sizeof(err)), -1);
	assert_string_equal(err,
			    "unknown key 'gust' (keys: guest, args, mode, timeout, log, mem, cpus, "
			    "modules, testdev, housekeeping, strict, fault, initrd)");
}

static void test_set_lengths_not_terminators(void **state)
{
	struct config c;
	char err[128];

	(void)state;
	config_defaults(&c);
	/* key "mode" and value "emulate" inside longer text: only the lengths count. */
	assert_int_equal(config_set(&c, "modeXYZ", 4, "emulateXYZ", 7, err, sizeof(err)), 0);
	assert_int_equal(c.mode, MODE_EMULATE);
	assert_int_equal(config_set(&c, "mem=256", 3, "256junk", 3, err, sizeof(err)), 0);
	assert_int_equal(c.mem_mib, 256);
	assert_int_equal(config_set(&c, "memory", 6, "1", 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown key 'memory'"));
	/* No error buffer at all, or one too small: still safe. */
	assert_int_equal(config_set(&c, "bogus", 5, "1", 1, NULL, 0), -1);
	assert_int_equal(config_set(&c, "bogus", 5, "1", 1, err, 4), -1);
	assert_string_equal(err, "unk");
}

static void test_path_and_args_limits(void **state)
{
	struct config c;
	char err[256];
	char value[CONFIG_ARGS_MAX + 8];

	(void)state;
	config_defaults(&c);

	/* guest: 127 characters stored, leading backslash included. */
	memset(value, 'a', sizeof(value));
	assert_int_equal(config_set(&c, "guest", 5, value, CONFIG_PATH_MAX - 2, err, sizeof(err)),
			 0);
	assert_int_equal(strlen(c.guest), CONFIG_PATH_MAX - 1);
	assert_int_equal(c.guest[0], '\\');
	assert_int_equal(config_set(&c, "guest", 5, value, CONFIG_PATH_MAX - 1, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "is longer than 127 characters"));
	value[0] = '/';
	assert_int_equal(config_set(&c, "guest", 5, value, CONFIG_PATH_MAX - 1, err, sizeof(err)),
			 0);
	assert_int_equal(strlen(c.guest), CONFIG_PATH_MAX - 1);
	assert_int_equal(config_set(&c, "guest", 5, value, CONFIG_PATH_MAX, err, sizeof(err)), -1);

	/* args: up to 1023 characters. */
	memset(value, 'b', sizeof(value));
	assert_int_equal(config_set(&c, "args", 4, value, CONFIG_ARGS_MAX - 1, err, sizeof(err)),
			 0);
	assert_int_equal(strlen(c.guest_args), CONFIG_ARGS_MAX - 1);
	assert_int_equal(config_set(&c, "args", 4, value, CONFIG_ARGS_MAX, err, sizeof(err)), -1);
	assert_string_equal(err, "args: longer than 1023 characters");
	/* A long offending value is quoted only in part. */
	assert_int_equal(config_set(&c, "mode", 4, value, 300, err, sizeof(err)), -1);
	assert_true(strlen(err) < 120);
	assert_non_null(strstr(err, "...' is not one of"));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(config_mode_name(MODE_EMULATE), "emulate");
	assert_string_equal(config_mode_name(MODE_TPR_SHADOW), "tpr-shadow");
	assert_string_equal(config_mode_name(MODE_APICV), "apicv");
	assert_string_equal(config_mode_name(MODE_POSTED), "posted");
	assert_string_equal(config_mode_name((enum apicvisor_mode)42), "unknown");
	assert_string_equal(config_log_name(LOG_QUIET), "quiet");
	assert_string_equal(config_log_name(LOG_INFO), "info");
	assert_string_equal(config_log_name(LOG_DEBUG), "debug");
	assert_string_equal(config_log_name((enum log_level)-1), "unknown");
}

/* ---------------------------------------------------------------------------------------- */

static int parse_file(struct config *c, const char *text, char *err, size_t err_len)
{
	return config_parse_text(c, text, strlen(text), "apicvisor.cfg", err, err_len);
}

static void test_file_valid(void **state)
{
	static const char text[] =
		"# apicvisor.cfg\r\n"
		"\r\n"
		"   guest = /EFI/tests/irq.elf   \r\n"
		"\t# indented comment\n"
		"args=scenario=timer  count=3 # not a comment\n"
		"mode=apicv\n"
		"   \t  \n"
		"timeout=0\r\n"
		"log=debug\n"
		"testdev = off\n"
		" cpus = 2 \r\n"
		"mem=256";                         /* no line end on the last line */
	struct config c;
	char err[128] = "";

	(void)state;
	config_defaults(&c);
	if (parse_file(&c, text, err, sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_string_equal(c.guest, "\\EFI\\tests\\irq.elf");
	assert_string_equal(c.guest_args, "scenario=timer  count=3 # not a comment");
	assert_int_equal(c.mode, MODE_APICV);
	assert_int_equal(c.timeout_s, 0);
	assert_int_equal(c.log, LOG_DEBUG);
	assert_int_equal(c.mem_mib, 256);
	assert_false(c.testdev);
	assert_int_equal(c.cpus, 2);
}

static void test_file_empty_and_bom(void **state)
{
	struct config c, defaults;
	char err[128] = "";

	(void)state;
	config_defaults(&c);
	defaults = c;
	assert_int_equal(config_parse_text(&c, "", 0, "apicvisor.cfg", err, sizeof(err)), 0);
	assert_int_equal(parse_file(&c, "\n\r\n# only comments\n", err, sizeof(err)), 0);
	assert_memory_equal(&c, &defaults, sizeof(c));

	assert_int_equal(parse_file(&c, "\xef\xbb\xbfmode=emulate\r\n", err, sizeof(err)), 0);
	assert_int_equal(c.mode, MODE_EMULATE);

	/* The length bounds the text: "mem=64" is cut to "mem=6", which is in range. */
	assert_int_equal(config_parse_text(&c, "mem=64", 5, "x", err, sizeof(err)), 0);
	assert_int_equal(c.mem_mib, 6);
}

struct file_error_case {
	const char *text;
	const char *want;
};

static const struct file_error_case file_error_cases[] = {
	{ "mode=fast\n",
	  "apicvisor.cfg line 1: mode: 'fast' is not one of emulate, tpr-shadow, apicv, posted" },
	{ "# comment\r\n\r\nmem=0\r\n", "apicvisor.cfg line 3: mem: '0' is out of range" },
	{ "mode=apicv\njust some words\n", "apicvisor.cfg line 2: 'just some words' is not key=value" },
	{ "\n\n\n\ngust=1", "apicvisor.cfg line 5: unknown key 'gust'" },
	{ "=value\n", "apicvisor.cfg line 1: missing key" },
	{ "log=info\nmode = loud \n", "apicvisor.cfg line 2: mode: 'loud' is not one of" },
	{ "testdev=maybe\n", "apicvisor.cfg line 1: testdev: 'maybe' is not one of on, off" },
	{ "timeout=5x\r\n", "apicvisor.cfg line 1: timeout: '5x' is not a decimal number" },
	{ "guest=\n", "apicvisor.cfg line 1: guest: empty path" },
	{ "mem=64\ncpus=0\n", "apicvisor.cfg line 2: cpus: '0' is out of range 1..8 (CPUs, or all)" },
	{ "cpus = 9\r\n", "apicvisor.cfg line 1: cpus: '9' is out of range 1..8 (CPUs, or all)" },
	{ "cpus=x\n", "apicvisor.cfg line 1: cpus: 'x' is neither all nor a decimal number 1..8" },
	{ "cpus=\n", "apicvisor.cfg line 1: cpus: missing value (all, or a decimal number 1..8)" },
};

static void test_file_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(file_error_cases); i++) {
		const struct file_error_case *t = &file_error_cases[i];
		struct config c, before;
		char err[256] = "";

		config_defaults(&c);
		before = c;
		if (parse_file(&c, t->text, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted", i);
		if (strstr(err, t->want) == NULL)
			fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err, t->want);
		/* All or nothing: lines before the bad one are not applied either. */
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

/* ---------------------------------------------------------------------------------------- */

static int parse_cmdline(struct config *c, const char *text, char *err, size_t err_len)
{
	return config_parse_cmdline(c, text, strlen(text), err, err_len);
}

static void test_cmdline_valid(void **state)
{
	struct config c;
	char err[128] = "";

	(void)state;
	config_defaults(&c);
	if (parse_cmdline(&c,
			  "\\EFI\\BOOT\\BOOTX64.EFI  mode=apicv args=\"hello vmcall\"\ttimeout=5 "
			  "guest=/tests/a.elf",
			  err, sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_int_equal(c.mode, MODE_APICV);
	assert_string_equal(c.guest_args, "hello vmcall");
	assert_int_equal(c.timeout_s, 5);
	assert_string_equal(c.guest, "\\tests\\a.elf");

	/* Without the program's name: the first word is a setting. */
	config_defaults(&c);
	assert_int_equal(parse_cmdline(&c, "mode=emulate log=quiet", err, sizeof(err)), 0);
	assert_int_equal(c.mode, MODE_EMULATE);
	assert_int_equal(c.log, LOG_QUIET);

	/* A quoted program name with blanks is one word; an empty quoted value clears args. */
	config_defaults(&c);
	assert_int_equal(set_string(&c, "args", "old", err, sizeof(err)), 0);
	assert_int_equal(parse_cmdline(&c, "\"\\EFI\\my dir\\apicvisor.efi\" args=\"\" mem=64",
				       err, sizeof(err)),
			 0);
	assert_string_equal(c.guest_args, "");
	assert_int_equal(c.mem_mib, 64);

	/* Quotes may cover part of a value; '=' inside a quoted value is data. */
	config_defaults(&c);
	assert_int_equal(parse_cmdline(&c, "args=run\" a=b  c\"!", err, sizeof(err)), 0);
	assert_string_equal(c.guest_args, "run a=b  c!");
}

static void test_cmdline_blank_and_nul(void **state)
{
	struct config c, defaults;
	char err[128] = "";
	static const char with_nul[] = "prog mode=posted\0mode=emulate";

	(void)state;
	config_defaults(&c);
	defaults = c;
	assert_int_equal(config_parse_cmdline(&c, "", 0, err, sizeof(err)), 0);
	assert_int_equal(parse_cmdline(&c, "   \t ", err, sizeof(err)), 0);
	assert_int_equal(parse_cmdline(&c, "apicvisor.efi", err, sizeof(err)), 0);
	assert_memory_equal(&c, &defaults, sizeof(c));

	/* Load options converted from UCS-2 end in a NUL: nothing after it counts. */
	assert_int_equal(config_parse_cmdline(&c, with_nul, sizeof(with_nul) - 1, err, sizeof(err)),
			 0);
	assert_int_equal(c.mode, MODE_POSTED);
}

static const struct file_error_case cmdline_error_cases[] = {
	{ "prog args=\"hello", "load options: unterminated quote in 'args=\"hello'" },
	{ "prog mode=apicv \"x", "load options: unterminated quote" },
	{ "prog mode=apicv stray", "load options: 'stray' is not key=value" },
	{ "prog args=hello vmcall", "load options: 'vmcall' is not key=value (quote a value" },
	{ "prog mode=fast", "load options: mode: 'fast' is not one of" },
	{ "mem=1", "load options: mem: '1' is out of range 2..3072 (MiB)" },
	{ "prog gust=1", "load options: unknown key 'gust'" },
	{ "prog =1", "load options: missing key" },
	{ "prog \"args=a b\"", "load options: '\"args=a b\"' is not key=value" },
	{ "prog cpus=0", "load options: cpus: '0' is out of range 1..8 (CPUs, or all)" },
	{ "prog mem=64 cpus=9", "load options: cpus: '9' is out of range 1..8 (CPUs, or all)" },
	{ "prog cpus=x", "load options: cpus: 'x' is neither all nor a decimal number 1..8" },
	{ "prog cpus=\"\"", "load options: cpus: missing value" },
};

static void test_cmdline_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cmdline_error_cases); i++) {
		const struct file_error_case *t = &cmdline_error_cases[i];
		struct config c, before;
		char err[256] = "";

		config_defaults(&c);
		before = c;
		if (parse_cmdline(&c, t->text, err, sizeof(err)) != -1)
			fail_msg("case %zu (%s) accepted", i, t->text);
		if (strstr(err, t->want) == NULL)
			fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err, t->want);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

static void test_cmdline_long_value(void **state)
{
	struct config c;
	char err[256] = "";
	size_t len = 4 + 1 + 2 + CONFIG_ARGS_MAX + 100;
	char *text = malloc(len + 1);

	(void)state;
	assert_non_null(text);
	/* args="bbbb…" with more characters than args holds: the error names the key. */
	memcpy(text, "p args=\"", 8);
	memset(text + 8, 'b', len - 9);
	text[len - 1] = '"';
	text[len] = '\0';
	config_defaults(&c);
	assert_int_equal(parse_cmdline(&c, text, err, sizeof(err)), -1);
	assert_string_equal(err, "load options: args: longer than 1023 characters");

	/* Exactly the longest value fits. */
	text[8 + CONFIG_ARGS_MAX - 1] = '"';
	text[8 + CONFIG_ARGS_MAX] = '\0';
	assert_int_equal(parse_cmdline(&c, text, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.guest_args), CONFIG_ARGS_MAX - 1);
	free(text);
}

/* ---------------------------------------------------------------------------------------- */
/* modules=                                                                                 */

struct modules_case {
	const char *value;
	unsigned count;
	const char *path[CONFIG_MAX_MODULES];
	const char *string[CONFIG_MAX_MODULES];
};

static const struct modules_case modules_valid_cases[] = {
	{ "", 0, { NULL }, { NULL } },
	{ "   ", 0, { NULL }, { NULL } },
	{ "\\mod1.bin arg1,\\mod2.bin", 2, { "\\mod1.bin", "\\mod2.bin" },
	  { "\\mod1.bin arg1", "\\mod2.bin" } },
	{ " mods/a.bin  x=1 y , b.bin", 2, { "\\mods\\a.bin", "\\b.bin" },
	  { "mods/a.bin  x=1 y", "b.bin" } },
	{ "/EFI/x.bin", 1, { "\\EFI\\x.bin" }, { "/EFI/x.bin" } },
	{ "a.bin list=1,,2,,3", 1, { "\\a.bin" }, { "a.bin list=1,2,3" } },
	{ "a,,b.bin,c.bin", 2, { "\\a,b.bin", "\\c.bin" }, { "a,b.bin", "c.bin" } },
	{ "a.bin x,,,b.bin", 2, { "\\a.bin", "\\b.bin" }, { "a.bin x,", "b.bin" } },
	{ "m1,m2,m3,m4,m5,m6,m7,m8", 8,
	  { "\\m1", "\\m2", "\\m3", "\\m4", "\\m5", "\\m6", "\\m7", "\\m8" },
	  { "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8" } },
};

static void check_modules(const struct config *c, const struct modules_case *t)
{
	if (c->module_count != t->count)
		fail_msg("modules=%s: %u modules, want %u", t->value, c->module_count, t->count);
	for (unsigned i = 0; i < t->count; i++) {
		if (strcmp(c->modules[i].path, t->path[i]) != 0 ||
		    strcmp(c->modules[i].string, t->string[i]) != 0)
			fail_msg("modules=%s: module %u is '%s' / '%s', want '%s' / '%s'", t->value,
				 i + 1, c->modules[i].path, c->modules[i].string, t->path[i],
				 t->string[i]);
	}
}

static void test_modules_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(modules_valid_cases); i++) {
		const struct modules_case *t = &modules_valid_cases[i];
		struct config c;
		char err[160] = "";

		config_defaults(&c);
		/* Start from other modules: a new value replaces the whole list. */
		assert_int_equal(set_string(&c, "modules", "old1.bin,old2.bin,old3.bin", err,
					    sizeof(err)),
				 0);
		if (set_string(&c, "modules", t->value, err, sizeof(err)) != 0)
			fail_msg("modules=%s: unexpected error \"%s\"", t->value, err);
		check_modules(&c, t);
	}
}

static const struct error_case modules_error_cases[] = {
	{ "modules", "m1,m2,m3,m4,m5,m6,m7,m8,m9", "modules: more than 8 modules" },
	{ "modules", "a.bin,", "modules: entry 2 is empty" },
	{ "modules", ",a.bin", "modules: entry 1 is empty" },
	{ "modules", "a.bin, ,b.bin", "modules: entry 2 is empty" },
	{ "modules", "dir/ x", "modules: entry 1: path 'dir/' ends with a separator" },
	{ "modules", "a.bin,b\\", "modules: entry 2: path 'b\\' ends with a separator" },
	{ "modules", "a.bin,b\x01.bin", "modules: character 0x01 at position 8 is not printable" },
	{ "modules", "a.bin\targ", "modules: character 0x09 at position 6" },
	{ "modules", "a.bin x\xc3\xa9", "modules: character 0xc3 at position 8" },
};

static void test_modules_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(modules_error_cases); i++) {
		const struct error_case *t = &modules_error_cases[i];
		struct config before, c;
		char err[256] = "";

		config_defaults(&c);
		assert_int_equal(set_string(&c, "modules", "keep.bin k", err, sizeof(err)), 0);
		before = c;
		if (set_string(&c, t->key, t->value, err, sizeof(err)) != -1)
			fail_msg("%s=%s: accepted", t->key, t->value);
		if (strstr(err, t->want) == NULL)
			fail_msg("%s=%s: message \"%s\" lacks \"%s\"", t->key, t->value, err,
				 t->want);
		assert_memory_equal(&c, &before, sizeof(c));
		assert_int_equal(c.module_count, 1);
		assert_string_equal(c.modules[0].string, "keep.bin k");
	}
}

static void test_modules_limits(void **state)
{
	struct config c;
	char err[256] = "";
	char value[CONFIG_MODULES_MAX + 8];

	(void)state;
	config_defaults(&c);

	/* One entry of 255 characters is the longest string; 256 is refused. */
	memset(value, 'a', sizeof(value));
	value[5] = ' ';
	assert_int_equal(config_set(&c, "modules", 7, value, CONFIG_MODULE_STRING_MAX - 1, err,
				    sizeof(err)),
			 0);
	assert_int_equal(strlen(c.modules[0].string), CONFIG_MODULE_STRING_MAX - 1);
	assert_string_equal(c.modules[0].path, "\\aaaaa");
	assert_int_equal(config_set(&c, "modules", 7, value, CONFIG_MODULE_STRING_MAX, err,
				    sizeof(err)),
			 -1);
	assert_string_equal(err, "modules: entry 1 is longer than 255 characters");
	/* ",," counts once: 254 characters and one escaped comma make 255. */
	memcpy(value + 100, ",,", 2);
	assert_int_equal(config_set(&c, "modules", 7, value, CONFIG_MODULE_STRING_MAX, err,
				    sizeof(err)),
			 0);
	assert_int_equal(strlen(c.modules[0].string), CONFIG_MODULE_STRING_MAX - 1);

	/* Two entries of 255 and a comma: 511 characters, the longest value. */
	memset(value, 'b', sizeof(value));
	value[5] = ' ';
	value[255] = ',';
	value[261] = ' ';
	assert_int_equal(config_set(&c, "modules", 7, value, CONFIG_MODULES_MAX - 1, err,
				    sizeof(err)),
			 0);
	assert_int_equal(c.module_count, 2);
	assert_int_equal(config_set(&c, "modules", 7, value, CONFIG_MODULES_MAX, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "modules: longer than 511 characters");

	/* A path of 128 characters is too long even with room in the entry. */
	memset(value, 'p', 200);
	value[128] = ' ';
	assert_int_equal(config_set(&c, "modules", 7, value, 200, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "modules: entry 1: path 'pppp"));
	assert_non_null(strstr(err, "is longer than 127 characters"));
	/* Leading blanks do not count against the entry. */
	memset(value, ' ', 100);
	memset(value + 100, 'q', 200);
	assert_int_equal(config_set(&c, "modules", 7, value, 300, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "path 'qqqq"));
	memset(value + 100, 'q', 250);
	value[110] = ' ';
	assert_int_equal(config_set(&c, "modules", 7, value, 350, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.modules[0].string), 250);
	/* Many blanks after a short entry are trimmed, not counted. */
	memset(value, ' ', 400);
	value[0] = 'z';
	assert_int_equal(config_set(&c, "modules", 7, value, 400, err, sizeof(err)), 0);
	assert_string_equal(c.modules[0].string, "z");
}

static void test_modules_file_and_cmdline(void **state)
{
	static const char text[] = "guest=k.elf\r\n"
				   "modules = \\EFI\\mod1.bin scenario=a b , /mod2.bin \r\n";
	struct config c;
	char err[256] = "";

	(void)state;
	config_defaults(&c);
	if (config_parse_text(&c, text, strlen(text), "apicvisor.cfg", err, sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_int_equal(c.module_count, 2);
	assert_string_equal(c.modules[0].path, "\\EFI\\mod1.bin");
	assert_string_equal(c.modules[0].string, "\\EFI\\mod1.bin scenario=a b");
	assert_string_equal(c.modules[1].path, "\\mod2.bin");
	assert_string_equal(c.modules[1].string, "/mod2.bin");

	/* Load options win; a quoted value holds the blanks. */
	if (parse_cmdline(&c, "prog modules=\"\\m.bin a b,\\n.bin\" mode=apicv", err,
			  sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_int_equal(c.module_count, 2);
	assert_string_equal(c.modules[0].string, "\\m.bin a b");
	assert_string_equal(c.modules[1].path, "\\n.bin");
	/* An empty value clears the list. */
	assert_int_equal(parse_cmdline(&c, "prog modules=", err, sizeof(err)), 0);
	assert_int_equal(c.module_count, 0);

	/* Errors carry the source and line. */
	assert_int_equal(config_parse_text(&c, "mem=64\nmodules=a,\n", 18, "apicvisor.cfg", err,
					   sizeof(err)),
			 -1);
	assert_string_equal(err, "apicvisor.cfg line 2: modules: entry 2 is empty");
	assert_int_equal(parse_cmdline(&c, "prog modules=a/,b", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "load options: modules: entry 1: path 'a/' ends with"));
	/* Unknown keys list modules among the keys. */
	assert_int_equal(set_string(&c, "module", "x", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mem, cpus, modules, testdev, housekeeping, strict, fault, initrd)"));
}

/* Every key, set twice in the file: an error naming the key and both lines, whatever the second
 * value (a valid one, the same one, an invalid one: the duplicate is reported first). */
static void test_file_duplicate_keys(void **state)
{
	static const char *const lines[][2] = {
		{ "guest=\\a.elf", "guest = /b.elf" },
		{ "args=hello", "args=" },
		{ "mode=apicv", "mode=apicv" },
		{ "timeout=5", "timeout=nonsense" },
		{ "log=debug", "log=quiet" },
		{ "mem=64", "mem=64" },
		{ "modules=\\m.bin", "modules=\\n.bin" },
		{ "testdev=off", "testdev=on" },
		{ "cpus=2", "cpus=all" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		char text[256], want[128], key[16];
		struct config c, before;
		char err[256] = "";
		size_t key_len = strcspn(lines[i][0], "=");

		memcpy(key, lines[i][0], key_len);
		key[key_len] = '\0';
		/* line 1 a comment, line 2 the first setting, line 3 another key, line 5 again. */
		snprintf(text, sizeof(text), "# config\n%s\n%s\n\n  %s\n",
			 lines[i][0], strcmp(key, "mem") == 0 ? "log=info" : "mem=32", lines[i][1]);
		snprintf(want, sizeof(want),
			 "apicvisor.cfg line 5: duplicate key '%s' (already set on line 2)", key);
		config_defaults(&c);
		before = c;
		if (parse_file(&c, text, err, sizeof(err)) != -1)
			fail_msg("%s set twice: accepted", key);
		assert_string_equal(err, want);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

/* Load options: a key twice among them is an error too (its word numbers, the program's name
 * counted); a key from the file is overridden, not duplicated. */
static void test_cmdline_duplicate_keys(void **state)
{
	struct config c, before;
	char err[256] = "";

	(void)state;
	config_defaults(&c);
	assert_int_equal(parse_file(&c, "mode=emulate\ntestdev=off\nmem=64\n", err, sizeof(err)),
			 0);
	if (parse_cmdline(&c, "prog mode=apicv testdev=on", err, sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_int_equal(c.mode, MODE_APICV);
	assert_true(c.testdev);
	assert_int_equal(c.mem_mib, 64);

	before = c;
	assert_int_equal(parse_cmdline(&c, "prog mode=posted args=\"a b\" mode=emulate", err,
				       sizeof(err)),
			 -1);
	assert_string_equal(err, "load options: duplicate key 'mode' in word 4 (already set by "
				 "word 2)");
	assert_int_equal(parse_cmdline(&c, "testdev=off testdev=off", err, sizeof(err)), -1);
	assert_string_equal(err, "load options: duplicate key 'testdev' in word 2 (already set by "
				 "word 1)");
	assert_memory_equal(&c, &before, sizeof(c));
	/* Separate calls (file, then load options) never count as duplicates of each other. */
	assert_int_equal(parse_cmdline(&c, "prog mode=posted", err, sizeof(err)), 0);
	assert_int_equal(c.mode, MODE_POSTED);
}

/* cpus= from the file and the load options: the load options win, all included; the whole key
 * is new in issue 8, so every path through the parsers is seen once. */
static void test_cpus_file_and_cmdline(void **state)
{
	struct config c, before;
	char err[256] = "";

	(void)state;
	config_defaults(&c);
	assert_int_equal(parse_file(&c, "mem=64\ncpus=4\n", err, sizeof(err)), 0);
	assert_int_equal(c.cpus, 4);
	if (parse_cmdline(&c, "prog cpus=all", err, sizeof(err)) != 0)
		fail_msg("unexpected error \"%s\"", err);
	assert_int_equal(c.cpus, CONFIG_CPUS_ALL);
	assert_int_equal(parse_cmdline(&c, "prog cpus=\"1\" mode=apicv", err, sizeof(err)), 0);
	assert_int_equal(c.cpus, 1);
	assert_int_equal(c.mem_mib, 64);

	/* A bad value leaves the earlier value in place; so does a duplicate. */
	before = c;
	assert_int_equal(parse_cmdline(&c, "prog cpus=2 cpus=3", err, sizeof(err)), -1);
	assert_string_equal(err, "load options: duplicate key 'cpus' in word 3 (already set by "
				 "word 2)");
	assert_int_equal(parse_file(&c, "cpus=2\ncpus=2\n", err, sizeof(err)), -1);
	assert_string_equal(err, "apicvisor.cfg line 2: duplicate key 'cpus' (already set on "
				 "line 1)");
	assert_int_equal(parse_cmdline(&c, "prog cpus=16", err, sizeof(err)), -1);
	assert_string_equal(err, "load options: cpus: '16' is out of range 1..8 (CPUs, or all)");
	assert_memory_equal(&c, &before, sizeof(c));

	/* Every count from 1 to the largest, and nothing past it. */
	for (unsigned n = 1; n <= CONFIG_MAX_CPUS + 1; n++) {
		char value[8];
		int rc;

		snprintf(value, sizeof(value), "%u", n);
		rc = set_string(&c, "cpus", value, err, sizeof(err));
		if (n <= CONFIG_MAX_CPUS) {
			assert_int_equal(rc, 0);
			assert_int_equal(c.cpus, n);
		} else {
			assert_int_equal(rc, -1);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set_valid),
		cmocka_unit_test(test_set_invalid),
		cmocka_unit_test(test_set_exact_messages),
		cmocka_unit_test(test_set_lengths_not_terminators),
		cmocka_unit_test(test_path_and_args_limits),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_file_valid),
		cmocka_unit_test(test_file_empty_and_bom),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_cmdline_valid),
		cmocka_unit_test(test_cmdline_blank_and_nul),
		cmocka_unit_test(test_cmdline_errors),
		cmocka_unit_test(test_cmdline_long_value),
		cmocka_unit_test(test_modules_valid),
		cmocka_unit_test(test_modules_invalid),
		cmocka_unit_test(test_modules_limits),
		cmocka_unit_test(test_modules_file_and_cmdline),
		cmocka_unit_test(test_file_duplicate_keys),
		cmocka_unit_test(test_cmdline_duplicate_keys),
		cmocka_unit_test(test_cpus_file_and_cmdline),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
