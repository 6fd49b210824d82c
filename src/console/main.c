/* scanwall: the serial console (docs/console.md).
 *
 *   scanwall --login [OPTIONS]          init runs this on the console tty
 *   scanwall [OPTIONS]                  interactive, after the system's login
 *   scanwall [OPTIONS] show flows --json   one command, from a shell
 *   scanwall [OPTIONS] apply            rcS: the configuration in force at boot
 *   scanwall [OPTIONS] config get KEY   the daemons' wrappers: one setting
 *
 * It talks to scanwalld only through the control socket and keeps its
 * own state (password, lockout, configurations, events) in STATE/console.
 * A commit takes effect at once (apply.c): the host name, the management
 * port's address, scanwall-mgmtd's client CA and the daemons' restarts. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/cons.h"
#include "scanwall/version.h"

#define DEFAULT_STATE "/state/scanwall"	/* the state partition (firmware/) */
#define DEFAULT_CONTROL "/run/scanwall/ctl.sock"
#define DEFAULT_MGMT_DIR "/state/mgmt"		/* scanwall-mgmtd's files (run-mgmtd) */
#define DEFAULT_RUN_DIR "/run/scanwall"		/* the wrappers' pidfiles */
#define DEFAULT_MGMT_IF "mgmt"			/* rcS names the port */
#define DEFAULT_HOSTNAME_FILE "/etc/hostname"

static const char usage[] =
	"usage: scanwall [--login] [--state DIR] [--control SOCK] [--serial S]\n"
	"                [--timeout SECONDS] [COMMAND... [--json]]\n"
	"       scanwall [--state DIR] [APPLY OPTIONS] apply\n"
	"       scanwall [--state DIR] config get KEY\n"
	"  --login        ask for the console password first (the console tty)\n"
	"  COMMAND        one operational command and exit, e.g. 'show flows --json'\n"
	"  apply          put the running configuration in force (at boot)\n"
	"  config get KEY print one setting of the running configuration (exit 1: unset)\n"
	"where a commit takes effect (APPLY OPTIONS, for every form):\n"
	"  --mgmt-dir DIR       scanwall-mgmtd's files (" DEFAULT_MGMT_DIR ")\n"
	"  --run-dir DIR        the daemons' pidfiles (" DEFAULT_RUN_DIR ")\n"
	"  --mgmt-if NAME       the management port (" DEFAULT_MGMT_IF ")\n"
	"  --hostname-file F    the host name when none is set (" DEFAULT_HOSTNAME_FILE ")\n"
	"testing: --confirm-unit SECONDS (per 'commit confirmed' minute),\n"
	"         --lockout SECONDS, --max-failures N\n";

enum {
	OPT_CONFIRM_UNIT = 256, OPT_LOCKOUT, OPT_MAX_FAILURES, OPT_MGMT_DIR, OPT_RUN_DIR,
	OPT_MGMT_IF, OPT_HOSTNAME_FILE,
};

static const struct option opts[] = {
	{ "login", no_argument, NULL, 'l' },
	{ "state", required_argument, NULL, 's' },
	{ "control", required_argument, NULL, 'c' },
	{ "serial", required_argument, NULL, 'S' },
	{ "timeout", required_argument, NULL, 't' },
	{ "confirm-unit", required_argument, NULL, OPT_CONFIRM_UNIT },
	{ "lockout", required_argument, NULL, OPT_LOCKOUT },
	{ "max-failures", required_argument, NULL, OPT_MAX_FAILURES },
	{ "mgmt-dir", required_argument, NULL, OPT_MGMT_DIR },
	{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
	{ "mgmt-if", required_argument, NULL, OPT_MGMT_IF },
	{ "hostname-file", required_argument, NULL, OPT_HOSTNAME_FILE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_uint(const char *s, unsigned max, unsigned *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || n == 0 || n > max)
		return -EINVAL;
	*v = (unsigned)n;
	return 0;
}

static int parse_opt(struct cons_opts *o, struct cons_apply_env *env, int ch, const char *arg)
{
	switch (ch) {
	case 'l': o->login = true; return 0;
	case 's': o->state_dir = arg; return 0;
	case 'c': o->control = arg; return 0;
	case 'S': o->serial = arg; return 0;
	case 't': return parse_uint(arg, 86400, &o->timeout);
	case OPT_CONFIRM_UNIT: return parse_uint(arg, 60, &o->confirm_unit);
	case OPT_LOCKOUT: return parse_uint(arg, 86400, &o->lockout_s);
	case OPT_MAX_FAILURES: return parse_uint(arg, 100, &o->max_failures);
	case OPT_MGMT_DIR: env->mgmt_dir = arg; return 0;
	case OPT_RUN_DIR: env->run_dir = arg; return 0;
	case OPT_MGMT_IF: env->mgmt_if = arg; return strlen(arg) < IF_NAMESIZE ? 0 : -EINVAL;
	case OPT_HOSTNAME_FILE: env->hostname_file = arg; return 0;
	default: return -EINVAL;
	}
}

/* `scanwall apply`: rcS, once /state is mounted and the ports are named.
 * A commit confirmed that ran out while the unit was off is reverted
 * first; then everything set is applied, as against an empty
 * configuration. */
static int main_apply(struct cons *c)
{
	struct conf none = { 0 };

	cons_tick(c);
	return cons_apply_running(c, CONS_APPLY_BOOT, &none) ? 1 : 0;
}

/* `scanwall config get KEY`: for the wrappers, which never parse the
 * configuration file themselves. Reads only: no deadline is acted on. */
static int main_config_get(struct cons *c, const char *key)
{
	int k = conf_key_find(key);

	/* the management lines as scanwall-mgmtd's roles file */
	if (!strcmp(key, "management"))
		return conf_roles_print(&c->running, "", stdout) ? 0 : 1;
	if (k < 0) {
		fprintf(stderr, "scanwall: no such setting: %s\n", key);
		return 2;
	}
	if (!c->running.val[k][0])
		return 1;
	printf("%s\n", c->running.val[k]);
	return 0;
}

int main(int argc, char **argv)
{
	struct cons_opts o = {
		.state_dir = DEFAULT_STATE, .control = DEFAULT_CONTROL,
		.confirm_unit = 60, .lockout_s = 300, .max_failures = 5,
	};
	struct cons_apply_env env = {
		.mgmt_dir = DEFAULT_MGMT_DIR, .run_dir = DEFAULT_RUN_DIR,
		.mgmt_if = DEFAULT_MGMT_IF, .hostname_file = DEFAULT_HOSTNAME_FILE,
	};
	struct cons c;
	int ch, err;

	if (sw_version_arg(argc, argv, "scanwall"))
		return 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (ch == 'h' || parse_opt(&o, &env, ch, optarg)) {
			fputs(usage, ch == 'h' ? stdout : stderr);
			return ch == 'h' ? 0 : 2;
		}
	}
	o.apply = &env;
	cons_event_forward(o.control);
	err = cons_init(&c, &o, stdout);
	if (err) {
		fprintf(stderr, "scanwall: %s: %s\n", o.state_dir, strerror(-err));
		return 1;
	}
	if (optind == argc)
		return cons_tty_run(&c);
	if (o.login) {
		fputs("scanwall: --login takes no command\n", stderr);
		return 2;
	}
	if (argc - optind == 1 && !strcmp(argv[optind], "apply"))
		return main_apply(&c);
	if (argc - optind == 3 && !strcmp(argv[optind], "config") && !strcmp(argv[optind + 1], "get"))
		return main_config_get(&c, argv[optind + 2]);
	for (int i = optind; i < argc; i++) {
		if (cons_input_check(argv[i])) {
			fprintf(stderr, "scanwall: %s\n", cons_input_check(argv[i]));
			return 2;
		}
	}
	cons_tick(&c);
	err = cons_exec_argv(&c, cons_oper_tree, argc - optind, argv + optind);
	fflush(stdout);
	return err ? 1 : 0;
}
