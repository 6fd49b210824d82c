/* The commissioning tools' command line: load the table and the policy,
 * hand them to src/learn, map the outcome to an exit status. */
#include <errno.h>
#include <string.h>

#include "scanwall/learn.h"
#include "scanwall/policy.h"
#include "control/commission.h"

static struct lrn *cm_table(const char *path)
{
	struct lrn_cfg cfg;
	struct lrn *t;
	int err;

	/* As large as the box's: a table saved there fits here. */
	lrn_cfg_default(&cfg);
	t = lrn_new(&cfg);
	if (!t) {
		fprintf(stderr, "scanwalld: %s\n", strerror(errno));
		return NULL;
	}
	err = lrn_load(t, path);
	if (err) {
		if (err == -EBADMSG)
			fprintf(stderr, "%s: not an observation table (%s)\n", path,
				lrn_load_error(t));
		else
			fprintf(stderr, "%s: %s\n", path, strerror(-err));
		lrn_free(t);
		return NULL;
	}
	return t;
}

static struct pol *cm_policy(const char *path)
{
	struct pol *pol = pol_load(path, stderr);

	if (!pol && errno != EINVAL)
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
	return pol;
}

int commission_propose(const char *table, const char *tmpl, FILE *out)
{
	struct lrn *t = cm_table(table);
	struct pol *pol = NULL;
	int ret = 2;

	if (!t)
		return 2;
	if (tmpl && !(pol = cm_policy(tmpl)))
		goto out_free;
	ret = lrn_propose(t, pol, out, stderr) ? 2 : 0;
out_free:
	pol_free(pol);
	lrn_free(t);
	return ret;
}

int commission_what_if(const char *table, const char *policy, FILE *out)
{
	struct lrn *t = cm_table(table);
	struct pol *pol = NULL;
	int ret = 2, n;

	if (!t)
		return 2;
	pol = cm_policy(policy);
	if (!pol)
		goto out_free;
	n = lrn_what_if(t, pol, out);
	ret = n < 0 ? 2 : n > 0;
out_free:
	pol_free(pol);
	lrn_free(t);
	return ret;
}
