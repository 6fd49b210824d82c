/* scanwall: the serial console (docs/console.md).
 *
 *   scanwall --login [OPTIONS]          init runs this on the console tty
 *   scanwall [OPTIONS]                  interactive, after the system's login
 *   scanwall [OPTIONS] show flows --json   one command, from a shell
 *
 * It talks to scanwalld only through the control socket and keeps its
 * own state (password, lockout, configurations, events) in STATE/console. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/cons.h"

#define DEFAULT_STATE "/state/scanwall"	/* the state partition (firmware/) */
#define DEFAULT_CONTROL "/run/scanwall/ctl.sock"

static const char usage[] =
	"usage: scanwall [--login] [--state DIR] [--control SOCK] [--serial S]\n"
	"                [--timeout SECONDS] [COMMAND... [--json]]\n"
	"  --login        ask for the console password first (the console tty)\n"
	"  COMMAND        one operational command and exit, e.g. 'show flows --json'\n"
	"testing: --confirm-unit SECONDS (per 'commit confirmed' minute),\n"
	"         --lockout SECONDS, --max-failures N\n";

enum { OPT_CONFIRM_UNIT = 256, OPT_LOCKOUT, OPT_MAX_FAILURES };

static const struct option opts[] = {
	{ "login", no_argument, NULL, 'l' },
	{ "state", required_argument, NULL, 's' },
	{ "control", required_argument, NULL, 'c' },
	{ "serial", required_argument, NULL, 'S' },
	{ "timeout", required_argument, NULL, 't' },
	{ "confirm-unit", required_argument, NULL, OPT_CONFIRM_UNIT },
	{ "lockout", required_argument, NULL, OPT_LOCKOUT },
	{ "max-failures", required_argument, NULL, OPT_MAX_FAILURES },
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

static int parse_opt(struct cons_opts *o, int ch, const char *arg)
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
	default: return -EINVAL;
	}
}

int main(int argc, char **argv)
{
	struct cons_opts o = {
		.state_dir = DEFAULT_STATE, .control = DEFAULT_CONTROL,
		.confirm_unit = 60, .lockout_s = 300, .max_failures = 5,
	};
	struct cons c;
	int ch, err;

	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (ch == 'h' || parse_opt(&o, ch, optarg)) {
			fputs(usage, ch == 'h' ? stdout : stderr);
			return ch == 'h' ? 0 : 2;
		}
	}
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
