/* SPDX-License-Identifier: MIT */
/*
 * apicvisor's run configuration (keys and syntax: config.h). Plain C over (pointer, length)
 * text, so that neither the file nor the load options need a NUL terminator.
 *
 * Every entry point is all-or-nothing: it works on a copy and stores it only when everything
 * parsed, so a caller that reports an error still holds the configuration it had before.
 */
#include "config.h"

#include "../lib/fmt.h"

/* How much of an offending value an error message quotes. */
#define CONFIG_QUOTE_MAX 40

/* The text of one key or value: a pointer and a length, not NUL-terminated. */
struct config_text {
	const char *s;
	size_t len;
};

static bool text_equals(struct config_text t, const char *word)
{
	size_t n = strlen(word);

	return t.len == n && memcmp(t.s, word, n) == 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_printable_ascii(char c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* Length to quote of an offending text, and the ellipsis that says it was cut. */
static int quote_len(struct config_text t)
{
	return (int)(t.len > CONFIG_QUOTE_MAX ? CONFIG_QUOTE_MAX : t.len);
}

static const char *quote_ellipsis(struct config_text t)
{
	return t.len > CONFIG_QUOTE_MAX ? "..." : "";
}

/* ---------------------------------------------------------------------------------------- */
/* Values                                                                                   */

/* Parses an unsigned decimal number into *out; false for empty, non-digit or > UINT32_MAX. */
static bool parse_decimal_u32(struct config_text t, uint32_t *out)
{
	uint64_t v = 0;

	if (t.len == 0)
		return false;
	for (size_t i = 0; i < t.len; i++) {
		if (t.s[i] < '0' || t.s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(t.s[i] - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* Whether every character is a digit (so a failed parse means overflow, not junk). */
static bool all_digits(struct config_text t)
{
	for (size_t i = 0; i < t.len; i++) {
		if (t.s[i] < '0' || t.s[i] > '9')
			return false;
	}
	return t.len > 0;
}

/* A decimal number within [min, max]; unit names the unit in the out-of-range message. */
static int parse_number(const char *key, struct config_text value, uint32_t min, uint32_t max,
			const char *unit, uint32_t *out, char *err, size_t err_len)
{
	uint32_t v;

	if (value.len == 0) {
		fmt_error(err, err_len, "%s: missing value (a decimal number %u..%u)", key, min,
			  max);
		return -1;
	}
	if (!all_digits(value)) {
		fmt_error(err, err_len, "%s: '%.*s%s' is not a decimal number", key,
			  quote_len(value), value.s, quote_ellipsis(value));
		return -1;
	}
	if (!parse_decimal_u32(value, &v) || v < min || v > max) {
		fmt_error(err, err_len, "%s: '%.*s%s' is out of range %u..%u (%s)", key,
			  quote_len(value), value.s, quote_ellipsis(value), min, max, unit);
		return -1;
	}
	*out = v;
	return 0;
}

/* cpus=: "all" (stored as CONFIG_CPUS_ALL) or a count of CPUs, 1..CONFIG_MAX_CPUS. */
static int parse_cpus(struct config_text value, unsigned *out, char *err, size_t err_len)
{
	uint32_t n;

	if (text_equals(value, "all")) {
		*out = CONFIG_CPUS_ALL;
		return 0;
	}
	if (value.len == 0) {
		fmt_error(err, err_len, "cpus: missing value (all, or a decimal number 1..%d)",
			  CONFIG_MAX_CPUS);
		return -1;
	}
	if (!all_digits(value)) {
		fmt_error(err, err_len, "cpus: '%.*s%s' is neither all nor a decimal number 1..%d",
			  quote_len(value), value.s, quote_ellipsis(value), CONFIG_MAX_CPUS);
		return -1;
	}
	if (parse_number("cpus", value, 1, CONFIG_MAX_CPUS, "CPUs, or all", &n, err, err_len) != 0)
		return -1;
	*out = n;
	return 0;
}

/*
 * A path on the ESP: '/' or '\' separated, stored with backslashes and one leading backslash
 * (UEFI's EFI_FILE_PROTOCOL.Open takes paths like "\EFI\guest.elf").
 */
static int parse_path(const char *key, struct config_text value, char *out, size_t out_size,
		      char *err, size_t err_len)
{
	bool leading_separator = value.len > 0 && (value.s[0] == '/' || value.s[0] == '\\');
	size_t stored_len = value.len + (leading_separator ? 0 : 1);

	if (value.len == 0) {
		fmt_error(err, err_len, "%s: empty path", key);
		return -1;
	}
	for (size_t i = 0; i < value.len; i++) {
		if (!is_printable_ascii(value.s[i])) {
			fmt_error(err, err_len,
				  "%s: character 0x%02x at position %zu is not printable ASCII", key,
				  (unsigned char)value.s[i], i + 1);
			return -1;
		}
	}
	if (stored_len >= out_size) {
		fmt_error(err, err_len, "%s: path '%.*s%s' is longer than %zu characters", key,
			  quote_len(value), value.s, quote_ellipsis(value), out_size - 1);
		return -1;
	}
	if (value.s[value.len - 1] == '/' || value.s[value.len - 1] == '\\') {
		fmt_error(err, err_len, "%s: path '%.*s%s' ends with a separator (names a directory)",
			  key, quote_len(value), value.s, quote_ellipsis(value));
		return -1;
	}

	size_t n = 0;

	if (!leading_separator)
		out[n++] = '\\';
	for (size_t i = 0; i < value.len; i++)
		out[n++] = value.s[i] == '/' ? '\\' : value.s[i];
	out[n] = '\0';
	return 0;
}

/* The guest's command line: any printable ASCII, possibly empty. */
static int parse_args(const char *key, struct config_text value, char *out, size_t out_size,
		      char *err, size_t err_len)
{
	for (size_t i = 0; i < value.len; i++) {
		if (!is_printable_ascii(value.s[i])) {
			fmt_error(err, err_len,
				  "%s: character 0x%02x at position %zu is not printable ASCII", key,
				  (unsigned char)value.s[i], i + 1);
			return -1;
		}
	}
	if (value.len >= out_size) {
		fmt_error(err, err_len, "%s: longer than %zu characters", key, out_size - 1);
		return -1;
	}
	memcpy(out, value.s, value.len);
	out[value.len] = '\0';
	return 0;
}

/*
 * modules=: entries separated by ',' (",," is a comma inside an entry, as QEMU's option parser
 * reads -initrd), each "PATH" or "PATH ARGS"; blanks around an entry are dropped. The path is
 * checked and stored as guest= is; the entry as written becomes the module's string.
 */
static int parse_modules(struct config_text value, struct config_module *out, unsigned *count,
			 char *err, size_t err_len)
{
	size_t pos = 0;
	unsigned n = 0;

	if (value.len >= CONFIG_MODULES_MAX) {
		fmt_error(err, err_len, "modules: longer than %d characters", CONFIG_MODULES_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < value.len; i++) {
		if (!is_printable_ascii(value.s[i])) {
			fmt_error(err, err_len,
				  "modules: character 0x%02x at position %zu is not printable ASCII",
				  (unsigned char)value.s[i], i + 1);
			return -1;
		}
	}
	while (value.len > 0 && is_blank(value.s[value.len - 1]))
		value.len--;
	while (pos < value.len && is_blank(value.s[pos]))
		pos++;
	if (pos == value.len) {
		*count = 0;
		return 0;
	}

	for (;;) {
		char entry[CONFIG_MODULE_STRING_MAX];
		size_t first, last, len = 0, path_len = 0;
		char label[32];

		/* The entry is value[first, last): up to a ',' that is not part of ",,". */
		first = pos;
		while (pos < value.len) {
			if (value.s[pos] == ',' &&
			    !(pos + 1 < value.len && value.s[pos + 1] == ','))
				break;
			pos += value.s[pos] == ',' ? 2 : 1;
		}
		last = pos;
		n++;
		if (n > CONFIG_MAX_MODULES) {
			fmt_error(err, err_len, "modules: more than %d modules", CONFIG_MAX_MODULES);
			return -1;
		}
		fmt_snprintf(label, sizeof(label), "modules: entry %u", n);

		/* Blanks around it go; a ",," pair is never split by that. */
		while (first < last && is_blank(value.s[first]))
			first++;
		while (last > first && is_blank(value.s[last - 1]))
			last--;
		if (first == last) {
			fmt_error(err, err_len, "%s is empty", label);
			return -1;
		}
		for (size_t i = first; i < last; i += value.s[i] == ',' ? 2 : 1)
			len++;
		if (len >= CONFIG_MODULE_STRING_MAX) {
			fmt_error(err, err_len, "%s is longer than %d characters", label,
				  CONFIG_MODULE_STRING_MAX - 1);
			return -1;
		}
		len = 0;
		for (size_t i = first; i < last; i += value.s[i] == ',' ? 2 : 1)
			entry[len++] = value.s[i];
		entry[len] = '\0';

		while (path_len < len && !is_blank(entry[path_len]))
			path_len++;
		if (parse_path(label, (struct config_text){ entry, path_len }, out[n - 1].path,
			       sizeof(out[n - 1].path), err, err_len) != 0)
			return -1;
		memcpy(out[n - 1].string, entry, len + 1);

		if (pos >= value.len)
			break;
		pos++;        /* the separating ',' */
	}
	*count = n;
	return 0;
}

static const char *const mode_names[] = {
	[MODE_EMULATE] = "emulate",
	[MODE_TPR_SHADOW] = "tpr-shadow",
	[MODE_APICV] = "apicv",
	[MODE_POSTED] = "posted",
};

static const char *const log_names[] = {
	[LOG_QUIET] = "quiet",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

static const char *const fault_names[] = {
	[FAULT_NONE] = "none",
	[FAULT_ENTRY_FAILURE] = "entry-failure",
	[FAULT_UNKNOWN_EXIT] = "unknown-exit",
	[FAULT_ROOT_EXCEPTION] = "root-exception",
	[FAULT_AP_SILENT] = "ap-silent",
};

/* testdev=, strict=: index 1 switches it on. */
static const char *const switch_names[] = { "off", "on" };

/* housekeeping=: index 1 gives CPU 0 the timers. */
static const char *const housekeeping_names[] = { "off", "cpu0" };

/* The keys, in the order the unknown-key message lists them. */
enum config_key {
	KEY_GUEST,
	KEY_ARGS,
	KEY_MODE,
	KEY_TIMEOUT,
	KEY_LOG,
	KEY_MEM,
	KEY_CPUS,
	KEY_MODULES,
	KEY_TESTDEV,
	KEY_HOUSEKEEPING,
	KEY_STRICT,
	KEY_FAULT,
	KEY_INITRD,
	KEY_COUNT,
};

static const char *const key_names[KEY_COUNT] = {
	[KEY_GUEST] = "guest",
	[KEY_ARGS] = "args",
	[KEY_MODE] = "mode",
	[KEY_TIMEOUT] = "timeout",
	[KEY_LOG] = "log",
	[KEY_MEM] = "mem",
	[KEY_CPUS] = "cpus",
	[KEY_MODULES] = "modules",
	[KEY_TESTDEV] = "testdev",
	[KEY_HOUSEKEEPING] = "housekeeping",
	[KEY_STRICT] = "strict",
	[KEY_FAULT] = "fault",
	[KEY_INITRD] = "initrd",
};

/* Index of value in names[], or -1. */
static int lookup_name(struct config_text value, const char *const *names, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (text_equals(value, names[i]))
			return (int)i;
	}
	return -1;
}

/* A key whose value is one of `names`: its index, or -1 with "<key>: '<value>' is not one of
 * <choices>" in err (`choices` as the message lists them). */
static int parse_choice(const char *key, struct config_text value, const char *const *names,
			size_t count, const char *choices, char *err, size_t err_len)
{
	int index = lookup_name(value, names, count);

	if (index < 0)
		fmt_error(err, err_len, "%s: '%.*s%s' is not one of %s", key, quote_len(value),
			  value.s, quote_ellipsis(value), choices);
	return index;
}

const char *config_mode_name(enum apicvisor_mode mode)
{
	if ((unsigned)mode < ARRAY_SIZE(mode_names))
		return mode_names[mode];
	return "unknown";
}

const char *config_fault_name(enum config_fault fault)
{
	if ((unsigned)fault < ARRAY_SIZE(fault_names))
		return fault_names[fault];
	return "unknown";
}

const char *config_log_name(enum log_level level)
{
	if ((unsigned)level < ARRAY_SIZE(log_names))
		return log_names[level];
	return "unknown";
}

/* ---------------------------------------------------------------------------------------- */
/* Keys                                                                                     */

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->guest, CONFIG_DEFAULT_GUEST, sizeof(CONFIG_DEFAULT_GUEST));
	c->guest_args[0] = '\0';
	c->mode = MODE_POSTED;
	c->timeout_s = CONFIG_DEFAULT_TIMEOUT_S;
	c->log = LOG_INFO;
	c->mem_mib = CONFIG_DEFAULT_MEM_MIB;
	c->testdev = true;
	c->cpus = CONFIG_CPUS_ALL;
}

/* Index of a key in key_names[], or -1 for an unknown key. */
static int lookup_key(struct config_text key)
{
	return lookup_name(key, key_names, ARRAY_SIZE(key_names));
}

int config_set(struct config *c, const char *key, size_t key_len, const char *value,
	       size_t value_len, char *err, size_t err_len)
{
	struct config_text k = { key, key_len };
	struct config_text v = { value, value_len };
	int index, which;

	if (key_len == 0) {
		fmt_error(err, err_len, "missing key before '='");
		return -1;
	}

	which = lookup_key(k);
	switch (which) {
	case KEY_GUEST: {
		char path[CONFIG_PATH_MAX];

		if (parse_path("guest", v, path, sizeof(path), err, err_len) != 0)
			return -1;
		memcpy(c->guest, path, sizeof(path));
		break;
	}
	case KEY_INITRD: {
		char path[CONFIG_PATH_MAX];

		if (v.len == 0) { /* initrd= : none */
			c->initrd[0] = '\0';
			break;
		}
		if (parse_path("initrd", v, path, sizeof(path), err, err_len) != 0)
			return -1;
		memcpy(c->initrd, path, sizeof(path));
		break;
	}
	case KEY_ARGS: {
		char args[CONFIG_ARGS_MAX];

		if (parse_args("args", v, args, sizeof(args), err, err_len) != 0)
			return -1;
		memcpy(c->guest_args, args, sizeof(args));
		break;
	}
	case KEY_MODE:
		index = parse_choice("mode", v, mode_names, ARRAY_SIZE(mode_names),
				     "emulate, tpr-shadow, apicv, posted", err, err_len);
		if (index < 0)
			return -1;
		c->mode = (enum apicvisor_mode)index;
		break;
	case KEY_TIMEOUT: {
		uint32_t seconds;

		if (parse_number("timeout", v, 0, CONFIG_MAX_TIMEOUT_S, "seconds, 0: none",
				 &seconds, err, err_len) != 0)
			return -1;
		c->timeout_s = seconds;
		break;
	}
	case KEY_LOG:
		index = parse_choice("log", v, log_names, ARRAY_SIZE(log_names),
				     "quiet, info, debug", err, err_len);
		if (index < 0)
			return -1;
		c->log = (enum log_level)index;
		break;
	case KEY_MEM: {
		uint32_t mib;

		if (parse_number("mem", v, CONFIG_MIN_MEM_MIB, CONFIG_MAX_MEM_MIB, "MiB", &mib, err,
				 err_len) != 0)
			return -1;
		c->mem_mib = mib;
		break;
	}
	case KEY_CPUS: {
		unsigned cpus;

		if (parse_cpus(v, &cpus, err, err_len) != 0)
			return -1;
		c->cpus = cpus;
		break;
	}
	case KEY_MODULES: {
		struct config_module modules[CONFIG_MAX_MODULES];
		unsigned count;

		memset(modules, 0, sizeof(modules));
		if (parse_modules(v, modules, &count, err, err_len) != 0)
			return -1;
		c->module_count = count;
		memcpy(c->modules, modules, sizeof(modules));
		break;
	}
	case KEY_TESTDEV:
	case KEY_STRICT:
		index = parse_choice(key_names[which], v, switch_names, ARRAY_SIZE(switch_names),
				     "on, off", err, err_len);
		if (index < 0)
			return -1;
		*(which == KEY_TESTDEV ? &c->testdev : &c->strict) = index == 1;
		break;
	case KEY_HOUSEKEEPING:
		index = parse_choice("housekeeping", v, housekeeping_names,
				     ARRAY_SIZE(housekeeping_names), "off, cpu0", err, err_len);
		if (index < 0)
			return -1;
		c->housekeeping = index == 1;
		break;
	case KEY_FAULT:
		index = parse_choice("fault", v, fault_names, ARRAY_SIZE(fault_names),
				     "none, entry-failure, unknown-exit, root-exception, ap-silent",
				     err, err_len);
		if (index < 0)
			return -1;
		c->fault = (enum config_fault)index;
		break;
	default:
		fmt_error(err, err_len,
			  "unknown key '%.*s%s' (keys: guest, args, mode, timeout, log, mem, cpus, "
			  "modules, testdev, housekeeping, strict, fault, initrd)",
			  quote_len(k), k.s, quote_ellipsis(k));
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* apicvisor.cfg                                                                            */

static struct config_text trim_blanks(struct config_text t)
{
	while (t.len > 0 && is_blank(t.s[0])) {
		t.s++;
		t.len--;
	}
	while (t.len > 0 && is_blank(t.s[t.len - 1]))
		t.len--;
	return t;
}

/*
 * Applies one line (already without its line end) to c. set_on_line[k] is the line that set key
 * k (0: none yet); a key set again is an error naming both lines.
 */
static int parse_line(struct config *c, struct config_text line, unsigned line_number,
		      unsigned set_on_line[KEY_COUNT], char *err, size_t err_len)
{
	struct config_text key, value;
	size_t eq = 0;
	int index;

	line = trim_blanks(line);
	if (line.len == 0 || line.s[0] == '#')
		return 0;
	while (eq < line.len && line.s[eq] != '=')
		eq++;
	if (eq == line.len) {
		fmt_error(err, err_len, "'%.*s%s' is not key=value", quote_len(line), line.s,
			  quote_ellipsis(line));
		return -1;
	}
	key = trim_blanks((struct config_text){ line.s, eq });
	value = trim_blanks((struct config_text){ line.s + eq + 1, line.len - eq - 1 });
	index = lookup_key(key);
	if (index >= 0 && set_on_line[index] != 0) {
		fmt_error(err, err_len, "duplicate key '%s' (already set on line %u)",
			  key_names[index], set_on_line[index]);
		return -1;
	}
	if (config_set(c, key.s, key.len, value.s, value.len, err, err_len) != 0)
		return -1;
	set_on_line[index] = line_number;  /* config_set succeeded, so the key is known */
	return 0;
}

int config_parse_text(struct config *c, const char *text, size_t len, const char *source,
		      char *err, size_t err_len)
{
	struct config work = *c;
	size_t pos = 0;
	unsigned line_number = 0;
	unsigned set_on_line[KEY_COUNT] = { 0 };

	/* A UTF-8 byte-order mark, as some Windows editors write one, is not part of line 1. */
	if (len >= 3 && (unsigned char)text[0] == 0xef && (unsigned char)text[1] == 0xbb &&
	    (unsigned char)text[2] == 0xbf)
		pos = 3;

	while (pos < len) {
		size_t start = pos;
		struct config_text line;
		char message[160];

		while (pos < len && text[pos] != '\n')
			pos++;
		line.s = text + start;
		line.len = pos - start;
		if (line.len > 0 && line.s[line.len - 1] == '\r')
			line.len--;
		if (pos < len)
			pos++;        /* the '\n' */
		line_number++;

		if (parse_line(&work, line, line_number, set_on_line, message, sizeof(message)) !=
		    0) {
			fmt_error(err, err_len, "%s line %u: %s", source, line_number, message);
			return -1;
		}
	}
	*c = work;
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* EFI load options                                                                         */

/*
 * Finds the end of the word starting at text[start]: the first blank outside double quotes.
 * Sets *equals to the offset of the first '=' outside quotes, or end if none. Returns false for
 * an unterminated quote.
 */
static bool scan_word(const char *text, size_t len, size_t start, size_t *end, size_t *equals)
{
	bool quoted = false;
	size_t i = start;

	*equals = SIZE_MAX;
	for (; i < len; i++) {
		char ch = text[i];

		if (ch == '"')
			quoted = !quoted;
		else if (!quoted && (is_blank(ch) || ch == '\r' || ch == '\n'))
			break;
		else if (!quoted && ch == '=' && *equals == SIZE_MAX)
			*equals = i;
	}
	*end = i;
	if (*equals == SIZE_MAX)
		*equals = i;
	return !quoted;
}

int config_parse_cmdline(struct config *c, const char *text, size_t len, char *err,
			 size_t err_len)
{
	struct config work = *c;
	size_t pos = 0;
	unsigned word_number = 0;
	unsigned set_by_word[KEY_COUNT] = { 0 };  /* as set_on_line in config_parse_text */

	/* Load options converted from UCS-2 often end in a NUL: the text stops there. */
	len = strnlen(text, len);

	for (;;) {
		size_t start, end, equals;
		struct config_text word;

		while (pos < len && (is_blank(text[pos]) || text[pos] == '\r' || text[pos] == '\n'))
			pos++;
		if (pos == len)
			break;
		start = pos;
		word_number++;
		if (!scan_word(text, len, start, &end, &equals)) {
			word = (struct config_text){ text + start, end - start };
			fmt_error(err, err_len, "load options: unterminated quote in '%.*s%s'",
				  quote_len(word), word.s, quote_ellipsis(word));
			return -1;
		}
		pos = end;
		word = (struct config_text){ text + start, end - start };

		if (equals == end) {
			/* The UEFI shell passes the program's own path as the first word. */
			if (word_number == 1)
				continue;
			fmt_error(err, err_len,
				  "load options: '%.*s%s' is not key=value (quote a value that "
				  "holds blanks: args=\"a b\")",
				  quote_len(word), word.s, quote_ellipsis(word));
			return -1;
		}

		/* The value without its quotes. One byte more than the longest value any key takes,
		 * so a longer one still reaches config_set, which names the key in its error. */
		char value[CONFIG_ARGS_MAX + 1];
		size_t value_len = 0;
		char message[160];
		int index = lookup_key((struct config_text){ text + start, equals - start });

		if (index >= 0 && set_by_word[index] != 0) {
			fmt_error(err, err_len,
				  "load options: duplicate key '%s' in word %u (already set by word "
				  "%u)",
				  key_names[index], word_number, set_by_word[index]);
			return -1;
		}

		for (size_t i = equals + 1; i < end; i++) {
			if (text[i] != '"' && value_len < sizeof(value))
				value[value_len++] = text[i];
		}
		if (config_set(&work, text + start, equals - start, value, value_len, message,
			       sizeof(message)) != 0) {
			fmt_error(err, err_len, "load options: %s", message);
			return -1;
		}
		set_by_word[index] = word_number;
	}
	*c = work;
	return 0;
}
