/* scanwalld: the verdict engine. Only a dispatch table lives here; each
 * mode is its own file (wireguard-tools' wg.c is the model).
 *
 *   scanwalld --check FILE                       check and print a policy
 *   scanwalld --replay PCAP --policy FILE [--learn TABLE]  offline decisions
 *   scanwalld --propose TABLE [--template FILE]  a policy from what was seen
 *   scanwalld --what-if TABLE --policy FILE      what a policy does to it
 *   scanwalld --policy FILE --queue N --events FILE --control SOCK --state DIR
 *             [--busy-poll USEC] [--artim SECONDS] [--flows N]
 *                                                inline on NFQUEUE N
 *   scanwalld --flush                            remove our kernel ruleset
 *   scanwalld --ctl SOCK COMMAND...              talk to a running engine
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/config.h"
#include "scanwall/ctlclient.h"
#include "scanwall/policy.h"
#include "scanwall/version.h"
#include "control/commission.h"
#include "control/control.h"
#include "datapath/inline.h"
#include "replay/replay.h"
#include "datapath/ruleset.h"

struct args {
	const char *check, *replay, *policy, *events, *control, *state, *ctl, *keyring, *watchdog;
	const char *bundle_crl;
	const char *learn, *propose, *tmpl, *what_if;
	long queue, control_uid, busy_poll_us, artim_s, flows, watchdog_s;
	int flush, trace;
};

static const char usage[] =
	"usage: scanwalld --check FILE\n"
	"       scanwalld --replay PCAP --policy FILE [--trace] [--learn TABLE]\n"
	"       scanwalld --propose TABLE [--template FILE]\n"
	"       scanwalld --what-if TABLE --policy FILE\n"
	"       scanwalld --policy FILE [--queue N] [--events FILE] [--control SOCK] [--state DIR]\n"
	"                 [--keyring DIR] [--bundle-crl FILE] [--control-user USER] [--busy-poll USEC]\n"
	"                 [--artim SECONDS] [--flows N]\n"
	"                 [--watchdog DEV [--watchdog-timeout SEC]]\n"
	"       scanwalld --flush\n"
	"       scanwalld --ctl SOCK COMMAND...\n";

static int run_check(const struct args *a)
{
	struct pol *pol = pol_load(a->check, stderr);

	if (!pol) {
		if (errno != EINVAL)
			fprintf(stderr, "%s: %s\n", a->check, strerror(errno));
		return 1;
	}
	pol_print(pol, stdout);
	pol_free(pol);
	return 0;
}

static int run_replay(const struct args *a)
{
	struct replay_opts o = { .pcap = a->replay, .policy = a->policy, .trace = a->trace,
				 .learn = a->learn, .out = stdout };

	if (!a->policy) {
		fputs(usage, stderr);
		return 2;
	}
	return replay_run(&o) ? 1 : 0;
}

static int run_ctl(const struct args *a, int argc, char **argv)
{
	char cmd[512] = "";
	size_t n = 0;
	int i;

	for (i = 0; i < argc; i++) {
		int w = snprintf(cmd + n, sizeof(cmd) - n, "%s%s", i ? " " : "", argv[i]);

		if (w < 0 || (size_t)w >= sizeof(cmd) - n) {
			fprintf(stderr, "scanwalld: command too long\n");
			return 2;
		}
		n += (size_t)w;
	}
	return ctl_request(a->ctl, cmd, stdout) ? 1 : 0;
}

static int run_inline(const struct args *a)
{
	struct inline_opts o = {
		.policy = a->policy,
		.queue = (uint16_t)(a->queue < 0 ? CONFIG_NFQ_QUEUE : a->queue), .events = a->events,
		.control = a->control, .state = a->state, .keyring = a->keyring,
		.bundle_crl = a->bundle_crl,
		.control_uid = a->control_uid,
		.busy_poll_us = (uint32_t)(a->busy_poll_us < 0 ? CONFIG_ENGINE_BUSY_POLL_US
								: a->busy_poll_us),
		.artim_s = (uint32_t)(a->artim_s < 0 ? CONFIG_DICOM_ARTIM_S : a->artim_s),
		.flows = (uint32_t)(a->flows < 0 ? CONFIG_FLOW_TABLE_SIZE : a->flows),
		.version = SW_VERSION,
		.watchdog = a->watchdog, .watchdog_s = (unsigned)a->watchdog_s,
	};

	return inline_run(&o) ? 1 : 0;
}

static int run_flush(void)
{
	int err = ruleset_flush();

	if (err)
		fprintf(stderr, "scanwalld: flush: %s\n", strerror(-err));
	return err ? 1 : 0;
}

/* A user name or a numeric uid. */
static int parse_user(const char *s, long *uid)
{
	struct passwd *pw = getpwnam(s);
	char *end;

	if (pw) {
		*uid = (long)pw->pw_uid;
		return 0;
	}
	errno = 0;
	*uid = strtol(s, &end, 10);
	if (errno || *end || *uid <= 0 || *uid > 0x7fffffff) {
		fprintf(stderr, "scanwalld: no such user: %s\n", s);
		return -EINVAL;
	}
	return 0;
}

/* A decimal number from 0 to max. */
static int parse_long(const char *s, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || end == s || *end || *v < 0 || *v > max ? -EINVAL : 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "check", required_argument, NULL, 'k' },
		{ "replay", required_argument, NULL, 'r' },
		{ "policy", required_argument, NULL, 'p' },
		{ "queue", required_argument, NULL, 'q' },
		{ "events", required_argument, NULL, 'e' },
		{ "control", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 's' },
		{ "keyring", required_argument, NULL, 'K' },
		{ "bundle-crl", required_argument, NULL, 'X' },
		{ "control-user", required_argument, NULL, 'U' },
		{ "busy-poll", required_argument, NULL, 'B' },
		{ "artim", required_argument, NULL, 'A' },
		{ "flows", required_argument, NULL, 'N' },
		{ "watchdog", required_argument, NULL, 'w' },
		{ "watchdog-timeout", required_argument, NULL, 'o' },
		{ "ctl", required_argument, NULL, 'C' },
		{ "flush", no_argument, NULL, 'F' },
		{ "trace", no_argument, NULL, 't' },
		{ "learn", required_argument, NULL, 'L' },
		{ "propose", required_argument, NULL, 'P' },
		{ "template", required_argument, NULL, 'T' },
		{ "what-if", required_argument, NULL, 'W' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'k': a->check = optarg; break;
		case 'r': a->replay = optarg; break;
		case 'p': a->policy = optarg; break;
		case 'e': a->events = optarg; break;
		case 'c': a->control = optarg; break;
		case 's': a->state = optarg; break;
		case 'K': a->keyring = optarg; break;
		case 'X': a->bundle_crl = optarg; break;
		case 'U':
			if (parse_user(optarg, &a->control_uid))
				return -EINVAL;
			break;
		case 'C': a->ctl = optarg; break;
		case 'w': a->watchdog = optarg; break;
		case 'o':
			if (parse_long(optarg, 3600, &a->watchdog_s))
				return -EINVAL;
			break;
		case 'F': a->flush = 1; break;
		case 't': a->trace = 1; break;
		case 'L': a->learn = optarg; break;
		case 'P': a->propose = optarg; break;
		case 'T': a->tmpl = optarg; break;
		case 'W': a->what_if = optarg; break;
		case 'V':
			puts("scanwalld " SW_VERSION " " CONFIG_BUNDLE_COMPATIBLE);
			exit(0);
		case 'q':
			if (parse_long(optarg, 65535, &a->queue))
				return -EINVAL;
			break;
		case 'B':
			if (parse_long(optarg, INLINE_BUSY_POLL_MAX, &a->busy_poll_us))
				return -EINVAL;
			break;
		case 'A':
			if (parse_long(optarg, INLINE_ARTIM_MAX, &a->artim_s) || !a->artim_s)
				return -EINVAL;
			break;
		case 'N':	/* no fewer than the association slots it holds */
			if (parse_long(optarg, INLINE_FLOWS_MAX, &a->flows) ||
			    a->flows < CONFIG_DICOM_ASSOC_MAX)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { .queue = -1, .control_uid = -1, .busy_poll_us = -1, .artim_s = -1,
			 .flows = -1 };

	if (parse_args(argc, argv, &a)) {
		fputs(usage, stderr);
		return 2;
	}
	if (a.check)
		return run_check(&a);
	if (a.replay)
		return run_replay(&a);
	if (a.propose)
		return commission_propose(a.propose, a.tmpl, stdout);
	if (a.what_if && a.policy)
		return commission_what_if(a.what_if, a.policy, stdout);
	if (a.ctl)
		return run_ctl(&a, argc - optind, argv + optind);
	if (a.flush)
		return run_flush();
	if (a.policy && optind == argc)
		return run_inline(&a);
	fputs(usage, stderr);
	return 2;
}
