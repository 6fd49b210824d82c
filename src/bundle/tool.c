/* scanwall-bundle: build, sign, inspect and verify bundles on the host,
 * and drive a device store from the shell (install/confirm/rollback/
 * status/tick/current), which is how the conformance suite exercises
 * exactly the code scanwalld runs. A dispatch table; one function per
 * subcommand. Exit 0, or 1 with the reason on stderr (2: usage). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle/internal.h"
#include "scanwall/config.h"
#include "scanwall/policy.h"
#include "scanwall/version.h"

struct opts {
	const char *out, *key, *sig, *keyid, *pub, *keyring, *state, *compatible, *policy, *kind;
	const char *expires, *comment;
	const char *files[BUNDLE_MAX_PAYLOADS];
	unsigned nfiles, threshold, confirm;
	uint64_t version, installed, created, now;
	bool have_installed, have_now, have_created, release;
};

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die(const char *fmt, ...)
{
	va_list ap;

	fputs("scanwall-bundle: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* "@SECONDS", "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ", all UTC. */
static int parse_date(const char *s, uint64_t *out)
{
	struct tm tm = { 0 };
	const char *end;
	char *e;

	if (s[0] == '@') {
		*out = strtoull(s + 1, &e, 10);
		return *e || e == s + 1 ? -EINVAL : 0;
	}
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!end || *end)
		return -EINVAL;
	*out = (uint64_t)timegm(&tm);
	return 0;
}

static uint64_t num(const char *s, const char *what)
{
	char *e;
	unsigned long long v = strtoull(s, &e, 10);

	if (*e || e == s || s[0] == '-') {
		die("%s: not a number: %s", what, s);
		exit(2);
	}
	return v;
}

enum { O_OUT = 256, O_KEY, O_SIG, O_KEYID, O_PUB, O_KEYRING, O_STATE, O_COMPAT, O_POLICY,
       O_KIND, O_EXPIRES, O_COMMENT, O_FILE, O_THRESHOLD, O_CONFIRM, O_VERSION, O_INSTALLED,
       O_CREATED, O_NOW, O_RELEASE };

static const struct option longopts[] = {
	{ "out", 1, NULL, O_OUT }, { "key", 1, NULL, O_KEY }, { "sig", 1, NULL, O_SIG },
	{ "keyid", 1, NULL, O_KEYID }, { "pub", 1, NULL, O_PUB },
	{ "keyring", 1, NULL, O_KEYRING }, { "state", 1, NULL, O_STATE },
	{ "compatible", 1, NULL, O_COMPAT }, { "policy", 1, NULL, O_POLICY },
	{ "kind", 1, NULL, O_KIND }, { "expires", 1, NULL, O_EXPIRES },
	{ "comment", 1, NULL, O_COMMENT }, { "file", 1, NULL, O_FILE },
	{ "threshold", 1, NULL, O_THRESHOLD }, { "confirm", 1, NULL, O_CONFIRM },
	{ "version", 1, NULL, O_VERSION }, { "installed-version", 1, NULL, O_INSTALLED },
	{ "created", 1, NULL, O_CREATED }, { "now", 1, NULL, O_NOW },
	{ "release", 0, NULL, O_RELEASE }, { NULL, 0, NULL, 0 },
};

static void set_opt(struct opts *o, int c, const char *a)
{
	switch (c) {
	case O_OUT: o->out = a; break;
	case O_KEY: o->key = a; break;
	case O_SIG: o->sig = a; break;
	case O_KEYID: o->keyid = a; break;
	case O_PUB: o->pub = a; break;
	case O_KEYRING: o->keyring = a; break;
	case O_STATE: o->state = a; break;
	case O_COMPAT: o->compatible = a; break;
	case O_POLICY: o->policy = a; break;
	case O_KIND: o->kind = a; break;
	case O_EXPIRES: o->expires = a; break;
	case O_COMMENT: o->comment = a; break;
	case O_THRESHOLD: o->threshold = (unsigned)num(a, "--threshold"); break;
	case O_CONFIRM: o->confirm = (unsigned)num(a, "--confirm"); break;
	case O_VERSION: o->version = num(a, "--version"); break;
	case O_INSTALLED: o->installed = num(a, "--installed-version"); o->have_installed = true; break;
	case O_CREATED: o->created = num(a, "--created"); o->have_created = true; break;
	case O_NOW: o->now = num(a, "--now"); o->have_now = true; break;
	case O_RELEASE: o->release = true; break;
	case O_FILE:
		if (o->nfiles >= BUNDLE_MAX_PAYLOADS)
			exit(die("at most %d files", BUNDLE_MAX_PAYLOADS) + 1);
		o->files[o->nfiles++] = a;
		break;
	default: exit(2);
	}
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->release = IS_ENABLED(CONFIG_BUNDLE_RELEASE);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		set_opt(o, c, optarg);
}

static const char *operand(int argc, char **argv)
{
	if (optind != argc - 1) {
		die("expected one BUNDLE operand");
		exit(2);
	}
	return argv[optind];
}

/* Built in memory, then written whole: a failed or interrupted build
 * never leaves a truncated bundle under the name. */
static int save(const char *path, const struct bundle_view *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;

	if (!f)
		return die("%s: %s", path, strerror(errno));
	err = bundle_write(f, v);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (!err)
		err = sw_write_atomic(AT_FDCWD, path, buf, len, 0644, 0);
	free(buf);
	return err ? die("%s: write failed: %s", path, strerror(-err)) : 0;
}

/* --- keygen, keyid -------------------------------------------------- */

static int cmd_keygen(int argc, char **argv)
{
	struct opts o;
	int err;

	parse_opts(argc, argv, &o);
	if (!o.out)
		return die("keygen --out BASE");
	err = bundle_keygen(o.out);
	return err ? die("keygen %s: %s", o.out, strerror(-err)) : 0;
}

static int cmd_keyid(int argc, char **argv)
{
	uint8_t id[BUNDLE_KEYID_LEN];
	char hex[2 * BUNDLE_KEYID_LEN + 1];
	const char *path;
	int err;

	parse_opts(argc, argv, &(struct opts){ 0 });
	path = operand(argc, argv);
	err = bundle_keyid_pem(path, id);
	if (err)
		return die("%s: %s", path, strerror(-err));
	sw_hex(id, sizeof(id), hex);
	printf("%s\n", hex);
	return 0;
}

/* --- create ---------------------------------------------------------- */

static int add_payload(struct bundle_manifest *m, const char *name, size_t nlen,
		       const char *path, uint8_t **data)
{
	struct bundle_payload *p = &m->payload[m->npayloads];
	size_t len;
	int err;

	if (nlen > BUNDLE_NAME_MAX || !bundle_name_ok(name, nlen))
		return die("bad payload name %.*s", (int)nlen, name);
	for (unsigned i = 0; i < m->npayloads; i++)
		if (strlen(m->payload[i].name) == nlen && !memcmp(m->payload[i].name, name, nlen))
			return die("payload %.*s given twice", (int)nlen, name);
	err = bundle_read_file(path, BUNDLE_MAX_SIZE, data, &len);
	if (err)
		return die("%s: %s", path, strerror(-err));
	memcpy(p->name, name, nlen);
	p->name[nlen] = '\0';
	p->size = (uint32_t)len;
	p->data = *data;
	m->npayloads++;
	return 0;
}

static int fill_manifest(const struct opts *o, struct bundle_manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->format = 1;
	m->kind = o->kind && !strcmp(o->kind, "keyring") ? BUNDLE_KIND_KEYRING : BUNDLE_KIND_POLICY;
	m->version = o->version;
	m->threshold = (uint8_t)o->threshold;
	m->created = o->have_created ? o->created : (uint64_t)time(NULL);
	if (!o->version || !o->compatible || strlen(o->compatible) > BUNDLE_COMPAT_MAX ||
	    !bundle_name_ok(o->compatible, strlen(o->compatible)))
		return die("create needs --version N (N > 0) and a valid --compatible CLASS");
	if ((m->kind == BUNDLE_KIND_POLICY) != !!o->policy)
		return die("a policy bundle needs --policy FILE, a keyring bundle none");
	if (m->kind == BUNDLE_KIND_KEYRING && (!o->threshold || o->threshold > o->nfiles))
		return die("a keyring bundle needs --threshold M and at least M --file NAME.pub=PATH");
	if (o->expires && parse_date(o->expires, &m->expires))
		return die("--expires: not a date: %s", o->expires);
	snprintf(m->compatible, sizeof(m->compatible), "%s", o->compatible);
	snprintf(m->comment, sizeof(m->comment), "%s", o->comment ? o->comment : "");
	return 0;
}

static int concat(const struct bundle_manifest *m, uint8_t **blob, uint32_t *len)
{
	size_t n = 0;

	for (unsigned i = 0; i < m->npayloads; i++)
		n += m->payload[i].size;
	if (n > BUNDLE_MAX_SIZE)
		return die("payloads exceed %u bytes", BUNDLE_MAX_SIZE);
	*blob = malloc(n ? n : 1);
	if (!*blob)
		return die("out of memory");
	n = 0;
	for (unsigned i = 0; i < m->npayloads; i++) {
		memcpy(*blob + n, m->payload[i].data, m->payload[i].size);
		n += m->payload[i].size;
	}
	*len = (uint32_t)n;
	return 0;
}

static int cmd_create(int argc, char **argv)
{
	uint8_t *data[BUNDLE_MAX_PAYLOADS] = { 0 }, *manifest = NULL, *blob = NULL;
	struct bundle_manifest m, check;
	struct bundle_result res = { 0 };
	struct bundle_view v = { 0 };
	size_t mlen = 0;
	struct opts o;
	int rc;

	parse_opts(argc, argv, &o);
	if (!o.out)
		return die("create ... --out BUNDLE");
	rc = fill_manifest(&o, &m);
	if (!rc && o.policy)
		rc = add_payload(&m, BUNDLE_POLICY_NAME, strlen(BUNDLE_POLICY_NAME), o.policy,
				 &data[m.npayloads]);
	for (unsigned i = 0; !rc && i < o.nfiles; i++) {
		const char *eq = strchr(o.files[i], '=');

		rc = eq ? add_payload(&m, o.files[i], (size_t)(eq - o.files[i]), eq + 1,
				      &data[m.npayloads])
			: die("--file NAME=PATH, not %s", o.files[i]);
	}
	if (!rc && bundle_build_manifest(&m, &manifest, &mlen))
		rc = die("manifest: out of memory");
	if (!rc && mlen > BUNDLE_MAX_MANIFEST)
		rc = die("manifest too large");
	/* what the box would refuse (a `crl` over its cap) is not written */
	if (!rc && bundle_parse_manifest(manifest, mlen, &check, &res))
		rc = die("%s", res.detail);
	if (!rc)
		rc = concat(&m, &blob, &v.blob_len);
	if (!rc) {
		v.manifest = manifest;
		v.manifest_len = (uint32_t)mlen;
		v.blob = blob;
		rc = save(o.out, &v);
	}
	for (unsigned i = 0; i < BUNDLE_MAX_PAYLOADS; i++)
		free(data[i]);
	free(manifest);
	free(blob);
	return rc;
}

/* --- manifest, sign -------------------------------------------------- */

static int load(const char *path, uint8_t **buf, size_t *len, struct bundle_view *v)
{
	struct bundle_result res;
	int err = bundle_read_file(path, BUNDLE_MAX_SIZE, buf, len);

	if (err)
		return die("%s: %s", path, strerror(-err));
	if (bundle_parse_container(*buf, *len, v, &res)) {
		free(*buf);
		return die("%s: %s", path, res.detail);
	}
	return 0;
}

static int cmd_manifest(int argc, char **argv)
{
	struct bundle_view v;
	const char *path;
	uint8_t *buf;
	size_t len;
	struct opts o;
	int rc, err;

	parse_opts(argc, argv, &o);
	path = operand(argc, argv);
	if (!o.out)
		return die("manifest --out FILE BUNDLE");
	rc = load(path, &buf, &len, &v);
	if (rc)
		return rc;
	err = sw_write_atomic(AT_FDCWD, o.out, v.manifest, v.manifest_len, 0644, 0);
	if (err)
		rc = die("%s: %s", o.out, strerror(-err));
	free(buf);
	return rc;
}

/* A signature made elsewhere (openssl, an HSM): DER in a file. */
static int external_sig(const struct opts *o, uint8_t *sig, size_t *siglen, uint8_t *keyid)
{
	uint8_t *der;
	int err;

	if (o->keyid ? bundle_unhex(o->keyid, keyid, BUNDLE_KEYID_LEN) :
	    o->pub ? bundle_keyid_pem(o->pub, keyid) : -EINVAL)
		return die("--sig needs --keyid HEX or --pub PUBKEY");
	err = bundle_read_file(o->sig, BUNDLE_SIG_MAX, &der, siglen);
	if (err)
		return die("%s: %s", o->sig, strerror(-err));
	memcpy(sig, der, *siglen);
	free(der);
	return 0;
}

static int cmd_sign(int argc, char **argv)
{
	uint8_t sig[BUNDLE_SIG_MAX], keyid[BUNDLE_KEYID_LEN], *buf;
	struct bundle_view v;
	size_t len, siglen = 0;
	const char *path;
	struct opts o;
	int rc;

	parse_opts(argc, argv, &o);
	path = operand(argc, argv);
	if (!o.key == !o.sig)
		return die("sign --key KEY | --sig DER (--keyid HEX | --pub PUB) BUNDLE");
	rc = load(path, &buf, &len, &v);
	if (rc)
		return rc;
	if (o.key && bundle_sign_data(o.key, v.manifest, v.manifest_len, sig, &siglen, keyid))
		rc = die("%s: cannot sign with this key", o.key);
	else if (o.sig)
		rc = external_sig(&o, sig, &siglen, keyid);
	for (unsigned i = 0; !rc && i < v.nsigs; i++)
		if (!memcmp(v.sig[i].keyid, keyid, BUNDLE_KEYID_LEN))
			rc = die("%s: already signed by this key", path);
	if (!rc && v.nsigs >= BUNDLE_MAX_SIGS)
		rc = die("%s: already %d signatures", path, BUNDLE_MAX_SIGS);
	if (!rc) {
		memcpy(v.sig[v.nsigs].keyid, keyid, BUNDLE_KEYID_LEN);
		v.sig[v.nsigs].der = sig;
		v.sig[v.nsigs++].der_len = (uint16_t)siglen;
		rc = save(path, &v);
	}
	free(buf);
	return rc;
}

/* --- inspect, verify ------------------------------------------------- */

static void print_manifest(const struct bundle_view *v)
{
	const struct bundle_manifest *m = &v->m;
	char hex[65];

	printf("format      %u\nkind        %s\nversion     %" PRIu64 "\ncompatible  %s\n"
	       "created     %" PRIu64 "\n", m->format,
	       m->kind == BUNDLE_KIND_KEYRING ? "keyring" : "policy", m->version,
	       m->compatible, m->created);
	if (m->expires)
		printf("expires     %" PRIu64 "\n", m->expires);
	else
		printf("expires     never\n");
	if (m->kind == BUNDLE_KIND_KEYRING)
		printf("threshold   %u\n", m->threshold);
	if (m->comment[0])
		printf("comment     %s\n", m->comment);
	for (unsigned i = 0; i < m->npayloads; i++) {
		sw_hex(m->payload[i].sha256, 32, hex);
		printf("payload     %s %u sha256:%s\n", m->payload[i].name, m->payload[i].size, hex);
	}
}

/* Unverified: says what the bundle claims, for a human deciding to sign. */
static int cmd_inspect(int argc, char **argv)
{
	struct bundle_result res;
	struct bundle_view v;
	char hex[65];
	const char *path;
	uint8_t *buf;
	size_t len;
	int rc;

	parse_opts(argc, argv, &(struct opts){ 0 });
	path = operand(argc, argv);
	rc = load(path, &buf, &len, &v);
	if (rc)
		return rc;
	if (bundle_parse_manifest(v.manifest, v.manifest_len, &v.m, &res) ||
	    bundle_check_payloads(&v, &res))
		rc = die("%s: %s", path, res.detail);
	else
		print_manifest(&v);
	for (unsigned i = 0; i < v.nsigs; i++) {
		sw_hex(v.sig[i].keyid, BUNDLE_KEYID_LEN, hex);
		printf("signature   %s (%u bytes)\n", hex, v.sig[i].der_len);
	}
	free(buf);
	return rc;
}

static int cmd_verify(int argc, char **argv)
{
	struct bundle_keyring *kr;
	struct bundle_result res;
	struct bundle_view v;
	const char *path;
	uint8_t *buf;
	size_t len;
	struct opts o;
	int rc;

	parse_opts(argc, argv, &o);
	path = operand(argc, argv);
	if (!o.keyring)
		return die("verify --keyring DIR [--threshold M] [--installed-version N] "
			   "[--compatible CLASS] [--release] BUNDLE");
	kr = bundle_keyring_load(o.keyring, o.threshold ? o.threshold : 1, stderr);
	if (!kr)
		return die("%s: %s", o.keyring, strerror(errno));
	rc = bundle_read_file(path, BUNDLE_MAX_SIZE + 1, &buf, &len);
	if (rc) {
		bundle_keyring_free(kr);
		return die("%s: %s", path, strerror(-rc));
	}
	rc = bundle_verify(buf, len, &(struct bundle_check){
		.keyring = kr, .threshold = o.threshold, .release = o.release,
		.have_installed = o.have_installed, .installed_version = o.installed,
		.compatible = o.compatible, .now = o.have_now ? o.now : (uint64_t)time(NULL),
	}, &v, &res);
	if (rc)
		rc = die("%s: %s", path, res.detail);
	else
		printf("%s: ok, version %" PRIu64 "\n", path, v.m.version);
	free(buf);
	bundle_keyring_free(kr);
	return rc;
}

/* --- the device store, from the shell -------------------------------- */

struct dev_ctx {
	uint64_t now;
	bool have_now;
};

static int apply_policy(void *ctx, const char *text, size_t len, char *err, size_t errlen)
{
	FILE *diag = fmemopen(err, errlen, "w");
	struct pol *pol = pol_parse("policy", text, len, diag);

	if (diag)
		fclose(diag);
	if (!pol)
		return -EINVAL;
	pol_free(pol);
	return 0;
}

static void print_event(void *ctx, const struct bundle_result *r)
{
	char line[256];

	if (bundle_result_text(r, line, sizeof(line)) > 0)
		printf("event %s\n", line);
}

static uint64_t dev_now(void *ctx)
{
	const struct dev_ctx *d = ctx;

	return d->have_now ? d->now : (uint64_t)time(NULL);
}

static uint64_t dev_boot(void *ctx)
{
	(void)ctx;
	return 1;
}

static struct bundle_store *dev_open(const struct opts *o, struct dev_ctx *d)
{
	struct bundle_trust t = {
		.keyring_dir = o->keyring, .threshold = o->threshold ? o->threshold : 2,
		.compatible = o->compatible ? o->compatible : "host", .release = o->release,
	};
	/* one simulated boot, on the --now clock */
	struct bundle_hooks h = { .apply = apply_policy, .event = print_event, .now = dev_now,
				  .ctx = d, .boot_now = dev_now, .boot_id = dev_boot };
	struct bundle_store *s;

	d->now = o->now;
	d->have_now = o->have_now;
	if (!o->state || !o->keyring) {
		die("device commands need --state DIR --keyring DIR");
		exit(2);
	}
	s = bundle_store_open(o->state, &t, &h);
	if (!s)
		die("%s: %s", o->state, strerror(errno));
	return s;
}

static int dev_cmd(int argc, char **argv, const char *name)
{
	struct bundle_result res = { 0 };
	struct bundle_store *s;
	struct dev_ctx d;
	const uint8_t *p;
	size_t len;
	struct opts o;
	int err = 0;

	parse_opts(argc, argv, &o);
	s = dev_open(&o, &d);
	if (!s)
		return 1;
	if (!strcmp(name, "install"))
		err = bundle_install(s, operand(argc, argv), o.confirm, &res);
	else if (!strcmp(name, "confirm"))
		err = bundle_confirm(s, &res);
	else if (!strcmp(name, "rollback"))
		err = bundle_rollback(s, &res);
	else if (!strcmp(name, "tick"))
		err = bundle_tick(s, dev_now(&d)) < 0 ? -EIO : 0;
	else if (!strcmp(name, "status"))
		err = bundle_status(s, stdout);
	else if (!(err = bundle_current_payload(s, BUNDLE_POLICY_NAME, &p, &len)))
		fwrite(p, 1, len, stdout);
	if (err && res.detail[0])
		die("%s: %s", name, res.detail);
	else if (err)
		die("%s: %s", name, strerror(-err));
	bundle_store_close(s);
	return err ? 1 : 0;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
} cmds[] = {
	{ "keygen", cmd_keygen, "--out BASE" },
	{ "keyid", cmd_keyid, "PEMKEY" },
	{ "create", cmd_create, "--version N --compatible CLASS [--expires DATE] [--comment T] "
		"--policy FILE [--file NAME=PATH]... --out BUNDLE\n"
		"         (--kind keyring --threshold M --file NAME.pub=PATH... for a key rotation)" },
	{ "manifest", cmd_manifest, "--out FILE BUNDLE   (the bytes to sign)" },
	{ "sign", cmd_sign, "--key KEY BUNDLE | --sig DER (--keyid HEX | --pub PUB) BUNDLE" },
	{ "inspect", cmd_inspect, "BUNDLE" },
	{ "verify", cmd_verify, "--keyring DIR [--threshold M] [--installed-version N] "
		"[--compatible CLASS] [--now T] [--release] BUNDLE" },
	{ "install", NULL, "DEV [--confirm SECONDS] BUNDLE" },
	{ "confirm", NULL, "DEV" },
	{ "rollback", NULL, "DEV" },
	{ "tick", NULL, "DEV [--now T]" },
	{ "status", NULL, "DEV" },
	{ "current", NULL, "DEV   (prints the policy in force)" },
};

static int usage(void)
{
	fprintf(stderr, "usage: scanwall-bundle COMMAND ...\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "  %-8s %s\n", cmds[i].name, cmds[i].usage);
	fprintf(stderr, "DEV: --state DIR --keyring DIR [--compatible CLASS] [--threshold M] "
		"[--release] [--now T]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (sw_version_arg(argc, argv, "scanwall-bundle"))
		return 0;
	if (argc < 2)
		return usage();
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run ? cmds[i].run(argc - 1, argv + 1)
					   : dev_cmd(argc - 1, argv + 1, argv[1]);
	return usage();
}
