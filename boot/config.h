/* SPDX-License-Identifier: MIT */
/*
 * apicvisor's run configuration: `key=value` settings from apicvisor.cfg on the ESP and from the
 * EFI load options (which win). Plain C, no UEFI types: the parser is unit-tested on the host.
 *
 * Keys (docs/configuration.md is the user-facing copy of this table):
 *   guest=PATH     multiboot kernel on the ESP, backslash or slash separated (default \guest.elf)
 *   args=TEXT      the guest's multiboot command line (rest of the line; may be empty)
 *   mode=MODE      emulate | tpr-shadow | apicv | posted (default posted: the best the CPU has,
 *                  degraded with the reason printed)
 *   timeout=SEC    guest wall-clock budget in seconds, 1..86400, or 0 for none (default 60)
 *   log=LEVEL      quiet | info | debug (default info)
 *   mem=MIB        guest RAM in MiB, 2..3072 (default 128)
 */
#ifndef APICVISOR_CONFIG_H
#define APICVISOR_CONFIG_H

#include "../lib/klib.h"

enum apicvisor_mode {
	MODE_EMULATE,
	MODE_TPR_SHADOW,
	MODE_APICV,
	MODE_POSTED,
};

enum log_level {
	LOG_QUIET,
	LOG_INFO,
	LOG_DEBUG,
};

#define CONFIG_PATH_MAX 128
#define CONFIG_ARGS_MAX 512

struct config {
	char guest[CONFIG_PATH_MAX];     /* always backslash-separated after parsing */
	char guest_args[CONFIG_ARGS_MAX];
	enum apicvisor_mode mode;
	uint32_t timeout_s;              /* 0: no timeout */
	enum log_level log;
	uint32_t mem_mib;
};

#define CONFIG_DEFAULT_GUEST "\\guest.elf"
#define CONFIG_DEFAULT_TIMEOUT_S 60
#define CONFIG_DEFAULT_MEM_MIB 128
#define CONFIG_MIN_MEM_MIB 2
#define CONFIG_MAX_MEM_MIB 3072
#define CONFIG_MAX_TIMEOUT_S 86400

void config_defaults(struct config *c);

/*
 * Sets one key. Returns 0, or -1 with a message in err naming the key and the defect, e.g.
 * "unknown key 'gust'", "mode: 'fast' is not one of emulate, tpr-shadow, apicv, posted",
 * "mem: '0' is out of range 2..3072 (MiB)". The config is unchanged on error.
 */
int config_set(struct config *c, const char *key, size_t key_len, const char *value,
	       size_t value_len, char *err, size_t err_len);

/*
 * Parses the text of apicvisor.cfg: one key=value per line, leading/trailing blanks ignored,
 * blank lines and lines starting with '#' skipped, CR LF or LF line ends. A line without '='
 * is an error. Errors are prefixed "<source> line N: ". Stops at the first error (-1).
 */
int config_parse_text(struct config *c, const char *text, size_t len, const char *source,
		      char *err, size_t err_len);

/*
 * Parses EFI load options already converted to ASCII: blank-separated key=value words, a value
 * may be double-quoted to hold blanks (args="hello vmcall"). A first word without '=' is the
 * program's own name (the UEFI shell passes it) and is skipped. Errors are prefixed
 * "load options: ".
 */
int config_parse_cmdline(struct config *c, const char *text, size_t len, char *err,
			 size_t err_len);

const char *config_mode_name(enum apicvisor_mode mode);
const char *config_log_name(enum log_level level);

#endif
