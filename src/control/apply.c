/* policy_apply: prepare, then commit or abort (apply.h).
 *
 * The order inside commit is what makes it atomic: the only steps that
 * can fail (the ruleset install, the engine's allocation) come before
 * anything is recorded, and the engine swap, which cannot be undone (it
 * revokes flows), comes after the kernel took the new ruleset. The engine
 * never refuses a policy (a fifth generation retires the oldest), so the
 * swap fails only out of memory, and then the old ruleset is put back.
 * The engine is touched only on its own thread, through dp->call: the
 * rest (parsing, the tools) runs on the caller's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control/apply.h"
#include "scanwall/digest.h"
#include "scanwall/engine.h"
#include "scanwall/policy.h"

_Static_assert(POL_DEVICE_ADDRS_MAX == RULESET_DEVICES_MAX,
	       "the compiler must refuse what the ruleset cannot hold");

void apply_init(struct apply *a, struct eng *eng, const struct ruleset_cfg *base,
		const struct apply_datapath *dp, void *ctx)
{
	*a = (struct apply){ .eng = eng, .dp = dp, .ctx = ctx, .rs = *base };
	a->rs.n_devices = 0;
}

void apply_fini(struct apply *a)
{
	free(a->text);
	a->text = NULL;
	a->len = 0;
}

static int apply_device(void *ctx, uint8_t af, const uint8_t *addr, unsigned prefix)
{
	struct ruleset_cfg *c = ctx;
	struct ruleset_addr *d;

	if (c->n_devices == RULESET_DEVICES_MAX)
		return -E2BIG;
	d = &c->devices[c->n_devices++];
	d->af = af;
	memcpy(d->addr, addr, af == 4 ? 4 : 16);
	d->prefix = (uint8_t)prefix;
	return 0;
}

/* What runs on the engine's thread, and its result. */
struct apply_swap {
	struct apply *a;
	struct pol *pol;	/* NULL once the engine took it */
	int err;
};

/* The swap and its revocations, between two batches of the loop. */
static void apply_swap_here(void *arg)
{
	struct apply_swap *sw = arg;

	sw->err = eng_set_policy(sw->a->eng, sw->pol);
	if (sw->err)
		return;
	sw->pol = NULL;
	/* The engine has just revoked the flows the new policy refuses: out
	 * now, not after the next packet. */
	if (sw->a->up && sw->a->dp && sw->a->dp->flush)
		sw->a->dp->flush(sw->a->ctx);
}

static int apply_on_engine(const struct apply *a, void (*fn)(void *arg), struct apply_swap *sw)
{
	int err = a->dp && a->dp->call ? a->dp->call(a->ctx, fn, sw) : (fn(sw), 0);

	return err ?: sw->err;
}

static int apply_fail(FILE *diag, int err, const char *what)
{
	if (diag)
		fprintf(diag, "%s: %s\n", what, strerror(-err));
	return err;
}

int apply_prepare(const struct apply *a, const char *name, const void *text, size_t len,
		  FILE *diag, struct apply_plan *p)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->pol = pol_parse(name, text, len, diag);
	if (!p->pol)
		return errno == ENOMEM ? apply_fail(diag, -ENOMEM, "compiling") : -EINVAL;
	sw_sha256_hex(text, len, p->sha256);
	p->text = malloc(len + 1);
	if (!p->text) {
		err = apply_fail(diag, -ENOMEM, "compiling");
		goto out_abort;
	}
	memcpy(p->text, text, len);
	p->text[len] = 0;
	p->len = len;
	p->rs = a->rs;
	p->rs.pol = p->pol;	/* its fixed verdicts go into the kernel */
	p->rs.n_devices = 0;
	err = pol_foreach_device(p->pol, apply_device, &p->rs);
	if (err) {
		apply_fail(diag, err, "ruleset: device addresses");
		goto out_abort;
	}
	err = a->dp && a->dp->check ? a->dp->check(a->ctx, &p->rs) : 0;
	if (err) {
		apply_fail(diag, err, "ruleset: the kernel refused it in check mode");
		goto out_abort;
	}
	return 0;

out_abort:
	apply_abort(p);
	return err;
}

void apply_abort(struct apply_plan *p)
{
	pol_free(p->pol);
	p->pol = NULL;
	free(p->text);
	p->text = NULL;
}

/* The policy is in force whatever the sweep does: a failure is said. */
void apply_sweep(const struct apply *a, FILE *diag)
{
	int err = a->up && a->dp && a->dp->sweep ? a->dp->sweep(a->ctx, a->rs.pol, diag) : 0;

	if (err && diag)
		fprintf(diag, "conntrack sweep: %s; connections older than the engine's "
			"memory keep the old verdict\n", strerror(-err));
}

static int apply_install(struct apply *a, const struct ruleset_cfg *rs)
{
	return a->up && a->dp && a->dp->install ? a->dp->install(a->ctx, rs) : 0;
}

int apply_commit(struct apply *a, struct apply_plan *p, FILE *diag)
{
	struct apply_swap sw;
	int err = apply_install(a, &p->rs);

	if (err) {
		apply_abort(p);
		return apply_fail(diag, err, "ruleset: install failed, the old one stays");
	}
	sw = (struct apply_swap){ .a = a, .pol = p->pol };
	err = apply_on_engine(a, apply_swap_here, &sw);
	p->pol = sw.pol;
	if (err) {
		/* the engine kept the old policy: the kernel must hold it too */
		if (apply_install(a, &a->rs) < 0 && diag)
			fprintf(diag, "ruleset: the old one could not be put back\n");
		apply_abort(p);
		return apply_fail(diag, err, "engine");
	}
	a->rs = p->rs;
	apply_sweep(a, diag);
	memcpy(a->sha256, p->sha256, sizeof(a->sha256));
	free(a->text);
	a->text = p->text;
	a->len = p->len;
	p->text = NULL;
	return 0;
}

int policy_apply(struct apply *a, const char *name, const void *text, size_t len, FILE *diag)
{
	struct apply_plan p;
	int err = apply_prepare(a, name, text, len, diag, &p);

	return err ?: apply_commit(a, &p, diag);
}

int apply_up(struct apply *a)
{
	int err = a->dp && a->dp->install ? a->dp->install(a->ctx, &a->rs) : 0;

	a->up = !err;
	return err;
}
