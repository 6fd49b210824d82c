/* The bundle store in scanwalld. Every outcome, good or bad, becomes an
 * EV_SYSTEM event and a JSON answer; the store itself guarantees that a
 * refusal leaves the policy in force untouched. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scanwall/bootclock.h"
#include "scanwall/bundle.h"
#include "scanwall/config.h"
#include "scanwall/fileio.h"
#include "control/bundlectl.h"
#include "scanwall/jsonw.h"

struct bundlectl {
	struct bundlectl_cfg cfg;
	struct bundle_store *store;
	char dir[4096];
};

static void bctl_emit(struct bundlectl *b, const char *text)
{
	struct sw_event ev = { .kind = EV_SYSTEM, .reason = text,
			       .ts_ns = sw_clock_ns(CLOCK_REALTIME) };
	if (b->cfg.event)
		b->cfg.event(b->cfg.ctx, &ev);
}

/* The `crl` payload of the bundle in force, copied where unprivileged
 * mgmtd can read it (the store is root's, 0700), or removed when that
 * bundle carries none. A failed export is an event and undoes nothing:
 * the policy is in force either way, and mgmtd keeps the list it has. */
static void bctl_export_crl(struct bundlectl *b)
{
	const char *path = b->cfg.crl_export;
	const uint8_t *p;
	char text[256];
	size_t n;
	int err;

	if (!path)
		return;
	if (bundle_current_payload(b->store, BUNDLE_CRL_NAME, &p, &n) == 0)
		err = sw_write_atomic(AT_FDCWD, path, p, n, 0644, 0);
	else
		err = unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	if (!err)
		return;
	snprintf(text, sizeof(text), "bundle-crl-export %s: %s", path, strerror(-err));
	bctl_emit(b, text);
}

static void bctl_event(void *ctx, const struct bundle_result *r)
{
	struct bundlectl *b = ctx;
	char text[256];

	bundle_result_text(r, text, sizeof(text));
	bctl_emit(b, text);
	/* every outcome that may change the bundle in force */
	if (r->event != BUNDLE_EV_REFUSED && r->event != BUNDLE_EV_KEYRING)
		bctl_export_crl(b);
}

static int bctl_apply(void *ctx, const char *text, size_t len, char *err, size_t errlen)
{
	struct bundlectl *b = ctx;

	return b->cfg.apply(b->cfg.ctx, text, len, err, errlen);
}

struct bundlectl *bundlectl_open(const struct bundlectl_cfg *cfg)
{
	struct bundlectl *b = calloc(1, sizeof(*b));
	struct bundle_trust t = {
		.keyring_dir = cfg->keyring_dir ? cfg->keyring_dir : CONFIG_BUNDLE_KEYRING,
		.threshold = CONFIG_BUNDLE_THRESHOLD,
		.compatible = CONFIG_BUNDLE_COMPATIBLE,
		.release = IS_ENABLED(CONFIG_BUNDLE_RELEASE),
	};
	struct bundle_hooks h = { .apply = bctl_apply, .event = bctl_event, .ctx = b };

	if (!b)
		return NULL;
	b->cfg = *cfg;
	if ((size_t)snprintf(b->dir, sizeof(b->dir), "%s/bundles", cfg->state_dir) >=
	    sizeof(b->dir)) {
		free(b);
		errno = ENAMETOOLONG;
		return NULL;
	}
	mkdir(cfg->state_dir, 0700);
	b->store = bundle_store_open(b->dir, &t, &h);
	if (!b->store) {
		int err = errno;

		free(b);
		errno = err;
		return NULL;
	}
	return b;
}

void bundlectl_close(struct bundlectl *b)
{
	if (!b)
		return;
	bundle_store_close(b->store);
	free(b);
}

int bundlectl_installed(const char *state_dir)
{
	char path[4096];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/bundles/current", state_dir) >= sizeof(path))
		return 1;	/* cannot tell: assume the worst */
	return lstat(path, &st) == 0;
}

int bundlectl_load(struct bundlectl *b)
{
	struct bundle_result r;
	int err = bundle_store_load(b->store, &r);

	if (err == -ENOENT)
		bctl_export_crl(b);	/* none in force: no CRL left from before */
	return err;
}

void bundlectl_tick(struct bundlectl *b)
{
	bundle_tick(b->store, bundle_boot_now(b->store));
}

const char *bundlectl_reload_locked(void *ctx)
{
	struct bundlectl *b = ctx;
	const uint8_t *p;
	size_t n;

	if (bundle_current_payload(b->store, BUNDLE_POLICY_NAME, &p, &n))
		return NULL;
	return "the policy in force came in a signed bundle: install a bundle instead";
}

static int bctl_answer(int err, const struct bundle_result *r, FILE *out)
{
	fprintf(out, "{\"ok\":%s,\"event\":", err ? "false" : "true");
	jw_str(SB_STREAM(out), bundle_event_name(r->event));
	fputs(",\"reason\":", out);
	jw_str(SB_STREAM(out), bundle_reason_name(r->reason));
	fprintf(out, ",\"version\":%llu,\"detail\":", (unsigned long long)r->version);
	jw_str(SB_STREAM(out), r->detail);
	fputs("}\n", out);
	return err;
}

static int bctl_usage(FILE *out)
{
	fputs("{\"error\":\"usage: bundle install PATH [confirm SECONDS] | confirm | rollback | "
	      "status\"}\n", out);
	return -EINVAL;
}

/* The file comes as a descriptor the client opened with its own rights
 * (ctlclient.c passes it): a path a client names is never opened here, as
 * root. Only a regular file is read; a FIFO or a device would block the
 * control thread (every client, the confirm timer) for good. */
static int bctl_install(struct bundlectl *b, int argc, char **argv, int upload, FILE *out)
{
	struct bundle_result r = { 0 };
	unsigned long confirm = 0;
	struct stat st;
	char *end;

	if (argc == 5 && strcmp(argv[3], "confirm") == 0) {
		errno = 0;
		confirm = strtoul(argv[4], &end, 10);
		if (errno || *end || confirm == 0 || confirm > 86400)
			return bctl_usage(out);
	} else if (argc != 3) {
		return bctl_usage(out);
	}
	if (upload < 0) {
		fputs("{\"error\":\"bundle install: the file must come with the command "
		      "(SCM_RIGHTS; scanwalld --ctl, the console and mgmtd pass it)\"}\n", out);
		return -EBADF;
	}
	if (fstat(upload, &st) < 0 || !S_ISREG(st.st_mode)) {
		fputs("{\"error\":\"bundle install: not a regular file\"}\n", out);
		return -EINVAL;
	}
	return bctl_answer(bundle_install_fd(b->store, upload, argv[2], (unsigned)confirm, &r), &r,
			   out);
}

static int bctl_cmd(void *ctx, int argc, char **argv, int upload, FILE *out)
{
	struct bundlectl *b = ctx;
	struct bundle_result r = { 0 };

	if (!b)
		return bctl_usage(out);
	if (argc >= 2 && strcmp(argv[1], "install") == 0)
		return bctl_install(b, argc, argv, upload, out);
	if (argc == 2 && strcmp(argv[1], "confirm") == 0)
		return bctl_answer(bundle_confirm(b->store, &r), &r, out);
	if (argc == 2 && strcmp(argv[1], "rollback") == 0)
		return bctl_answer(bundle_rollback(b->store, &r), &r, out);
	if (argc == 2 && strcmp(argv[1], "status") == 0)
		return bundle_status(b->store, out);
	return bctl_usage(out);
}

const struct control_cmd bundlectl_cmds[] = {
	{ "bundle", bctl_cmd, "bundle install PATH [confirm SECONDS] | confirm | rollback | status",
	  true },
};
const unsigned bundlectl_ncmds = sizeof(bundlectl_cmds) / sizeof(bundlectl_cmds[0]);
