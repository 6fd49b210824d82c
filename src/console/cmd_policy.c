/* `policy propose [TEMPLATE]` and `policy what-if FILE`: commissioning
 * from the console (docs/commissioning.md). The observation table comes
 * from the engine (`observed` on the control socket); the template is
 * the policy in force unless a file is named, since a box under
 * observation runs its template. The work is src/learn's, as for
 * `scanwalld --propose` and `--what-if` on the shell. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/json.h"
#include "scanwall/learn.h"
#include "scanwall/policy.h"
#include "console/cons.h"

static struct lrn *policy_table(struct cons *c)
{
	struct lrn_cfg cfg;
	struct lrn *t = NULL;
	char *raw = NULL;
	struct cj j;
	int err = cons_ask_ctl(c, "observed", &raw, &j);

	if (err)
		goto out;
	cj_free(&j);
	lrn_cfg_default(&cfg);
	t = lrn_new(&cfg);
	if (t && lrn_load_text(t, raw, strlen(raw))) {
		fprintf(c->out, "error: unreadable observation table from scanwalld\n");
		lrn_free(t);
		t = NULL;
	}
out:
	free(raw);
	return t;
}

static struct pol *policy_in_force(struct cons *c)
{
	struct pol *pol = NULL;
	char *raw = NULL, *text;
	struct cj j;
	int i;

	if (cons_ask_ctl(c, "policy", &raw, &j))
		goto out;
	i = cj_get(&j, 0, "text");
	text = i >= 0 ? malloc(j.tok[i].len + 1) : NULL;
	if (text) {
		cj_text(&j, i, text, j.tok[i].len + 1);
		pol = pol_parse("policy in force", text, strlen(text), c->out);
		free(text);
	}
	cj_free(&j);
out:
	free(raw);
	return pol;
}

static int policy_propose(struct cons *c, int argc, char **argv)
{
	struct lrn *t = policy_table(c);
	struct pol *tmpl;
	int err;

	if (!t)
		return -EIO;
	tmpl = argc ? pol_load(argv[0], c->out) : policy_in_force(c);
	err = tmpl ? lrn_propose(t, tmpl, c->out, c->out) : -EINVAL;
	pol_free(tmpl);
	lrn_free(t);
	return err;
}

static int policy_what_if(struct cons *c, int argc, char **argv)
{
	struct lrn *t = policy_table(c);
	struct pol *cand;
	int n;

	if (!t)
		return -EIO;
	cand = pol_load(argv[0], c->out);
	if (!cand && errno != EINVAL)
		fprintf(c->out, "error: %s: %s\n", argv[0], strerror(errno));
	n = cand ? lrn_what_if(t, cand, c->out) : -EINVAL;
	pol_free(cand);
	lrn_free(t);
	return n < 0 ? n : 0;
}

static int policy_observed(struct cons *c, int argc, char **argv)
{
	struct lrn *t;

	if (argc && strcmp(argv[0], "--json"))
		return -EINVAL;
	c->json = argc > 0;
	t = policy_table(c);
	c->json = false;
	if (!t)
		return argc ? 0 : -EIO;
	lrn_summary(t, c->out);
	lrn_free(t);
	return 0;
}

const struct cons_node cons_policy_tree[] = {
	{ "observed", "what the engine has seen: relations, plain flows, refusals", NULL,
	  policy_observed, 0, 1, "[--json]" },
	{ "propose", "a policy from what the engine observed (template: the policy in force)",
	  NULL, policy_propose, 0, 1, "[TEMPLATE-FILE]" },
	{ "what-if", "what a candidate policy would refuse of what was observed", NULL,
	  policy_what_if, 1, 1, "FILE" },
	{ NULL },
};
