/* SPDX-License-Identifier: MIT */
/*
 * apicvisor's run configuration: `key=value` settings from apicvisor.cfg on the ESP and from the
 * EFI load options (which win). Plain C, no UEFI types: the parser is unit-tested on the host.
 *
 * Keys (docs/configuration.md is the user-facing copy of this table):
 *   guest=PATH     multiboot kernel on the ESP, backslash or slash separated (default \guest.elf)
 *   args=TEXT      the guest's multiboot command line (rest of the line; may be empty; at most
 *                  1023 characters)
 *   mode=MODE      emulate | tpr-shadow | apicv | posted (default posted: the best the CPU has,
 *                  degraded with the reason printed)
 *   timeout=SEC    guest wall-clock budget in seconds, 1..86400, or 0 for none (default 60)
 *   log=LEVEL      quiet | info | debug (default info)
 *   mem=MIB        guest RAM in MiB, 2..3072 (default 128)
 *   modules=LIST   multiboot boot modules, as QEMU's -initrd takes them: comma-separated entries,
 *                  each an ESP path (validated as guest=, so no blanks in it) optionally followed
 *                  by a blank and the module's command line: "\mod1.bin arg1,\mod2.bin". ",,"
 *                  is a literal comma (QEMU's escape). At most 8 entries; the whole value at most
 *                  511 characters; empty: no modules (default). Each module's multiboot string
 *                  is its entry as written, path included, blanks around it trimmed (QEMU
 *                  passes "path args" too).
 *   testdev=on|off the interrupt test device (include/apicvisor/testdev.h: ports 0x2000-0x2017
 *                  as QEMU's pc-testdev, 0x2100-0x2220 apicvisor's additions) in the guest's
 *                  platform (default on); off: its ports read all ones and ignore writes, as
 *                  every port without a device
 *   cpus=N|all     how many physical CPUs run the guest, one vCPU each: 1..CONFIG_MAX_CPUS, or
 *                  all (default): every CPU the machine has (stored as 0)
 *   strict=on|off  on: a read or write of guest-physical memory that nothing backs (no RAM, no
 *                  emulated device) stops the guest, as apicvisor did before it emulated the
 *                  empty bus; off (default): it reads all ones and the write is dropped, as a
 *                  PC's master abort does, counted per page in the statistics
 *   housekeeping=off|cpu0
 *                  cpu0: the boot CPU runs no vCPU but the device models' timers and the
 *                  vLAPIC timers of every vCPU, and delivers what they raise (by posting in
 *                  posted mode, as KVM's pi_inject_timer); the vCPUs run on the other cpus= CPUs, so it needs
 *                  at least 2 (default off)
 *
 * In apicvisor.cfg each key may appear once (a second line with the same key is an error naming
 * both lines), and so in the load options; a key given in both takes the load option's value.
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

/* fault=: a failure the hypervisor causes on purpose, so that the tests can show how each
 * is reported (tests/integration/run.py, "bad inputs"). Never set in normal runs. */
enum config_fault {
	FAULT_NONE,
	FAULT_ENTRY_FAILURE,          /* the first VM entry fails (an invalid control field) */
	FAULT_UNKNOWN_EXIT,           /* the first VM exit is handled as an unknown reason */
	FAULT_ROOT_EXCEPTION,         /* root mode executes UD2 after the first VM exit */
	FAULT_AP_SILENT,              /* the last AP reaches 64-bit mode and never reports */
};

enum log_level {
	LOG_QUIET,
	LOG_INFO,
	LOG_DEBUG,
};

#define CONFIG_PATH_MAX 128
#define CONFIG_ARGS_MAX 1024
#define CONFIG_MAX_MODULES 8
#define CONFIG_MODULE_STRING_MAX 256     /* one module's string, including the NUL */
#define CONFIG_MODULES_MAX 512           /* the whole modules= value, including a NUL */
/* cpus= at most: one vCPU per physical CPU, so as many as the hypervisor has vCPUs (MAX_CPUS in
 * vmx/vcpu.h, which checks that the two agree). */
#define CONFIG_MAX_CPUS 8
#define CONFIG_CPUS_ALL 0                /* cpus=all: every CPU the machine has */

/* One multiboot boot module. */
struct config_module {
	char path[CONFIG_PATH_MAX];           /* on the ESP, backslash-separated as guest */
	char string[CONFIG_MODULE_STRING_MAX];  /* the multiboot module string: "path args" */
};

struct config {
	char guest[CONFIG_PATH_MAX];     /* always backslash-separated after parsing */
	char initrd[CONFIG_PATH_MAX];    /* a Linux guest's initrd on the ESP; "": none */
	char guest_args[CONFIG_ARGS_MAX];
	enum apicvisor_mode mode;
	uint32_t timeout_s;              /* 0: no timeout */
	enum log_level log;
	uint32_t mem_mib;
	unsigned module_count;           /* 0..CONFIG_MAX_MODULES */
	struct config_module modules[CONFIG_MAX_MODULES];
	bool testdev;                    /* the interrupt test device is in the platform */
	unsigned cpus;                   /* 1..CONFIG_MAX_CPUS, or CONFIG_CPUS_ALL (0) */
	bool housekeeping;               /* housekeeping=cpu0: CPU 0 keeps time, runs no vCPU */
	bool strict;                     /* strict=on: an access to unbacked memory stops the guest */
	enum config_fault fault;         /* a failure forced on purpose (tests only) */
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
 * "mem: '0' is out of range 2..3072 (MiB)", "cpus: '9' is out of range 1..8 (CPUs, or all)".
 * The config is unchanged on error.
 */
int config_set(struct config *c, const char *key, size_t key_len, const char *value,
	       size_t value_len, char *err, size_t err_len);

/*
 * Parses the text of apicvisor.cfg: one key=value per line, leading/trailing blanks ignored,
 * blank lines and lines starting with '#' skipped, CR LF or LF line ends. A line without '='
 * is an error, and so is a key set on an earlier line ("duplicate key 'mode' (already set on
 * line 2)"). Errors are prefixed "<source> line N: ". Stops at the first error (-1).
 */
int config_parse_text(struct config *c, const char *text, size_t len, const char *source,
		      char *err, size_t err_len);

/*
 * Parses EFI load options already converted to ASCII: blank-separated key=value words, a value
 * may be double-quoted to hold blanks (args="hello vmcall"). A first word without '=' is the
 * program's own name (the UEFI shell passes it) and is skipped. A key given twice is an error
 * ("duplicate key 'mode' in word 4 (already set by word 2)"); a key the file set is not a
 * duplicate: the load option overrides it. Errors are prefixed "load options: ".
 */
int config_parse_cmdline(struct config *c, const char *text, size_t len, char *err,
			 size_t err_len);

const char *config_mode_name(enum apicvisor_mode mode);
const char *config_fault_name(enum config_fault fault);
const char *config_log_name(enum log_level level);

#endif
