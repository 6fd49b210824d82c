/* The observation table's copy on the control thread (obsnap.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/ctlthread.h"
#include "control/obsnap.h"
#include "engine/observe.h"
#include "scanwall/config.h"
#include "scanwall/learn.h"

/* Records the table may gain between the look at its sizes and the copy,
 * whose pages are touched beforehand too. */
#define OBSNAP_SLACK 256

struct obsnap {
	struct obsnap_cfg cfg;
	char *path;
	struct lrn *t;			/* the copy */
	uint64_t saved_ns;		/* last look at whether to save */
	uint64_t saved_changes;		/* eng_obs_changes() of the copy saved */
};

/* What one call on the loop does, and finds. */
struct os_job {
	struct obsnap *s;
	struct lrn_cfg cfg;
	struct lrn_sizes n;
	struct lrn_copy cp;
	uint64_t changes;
	bool observing;
	int more;
};

static int os_call(struct obsnap *s, void (*fn)(void *arg), struct os_job *j)
{
	if (s->cfg.call)
		return s->cfg.call(s->cfg.ctx, fn, j);
	fn(j);
	return 0;
}

static void os_look_here(void *arg)
{
	struct os_job *j = arg;
	const struct lrn *t = eng_observed(j->s->cfg.eng);

	j->observing = t != NULL;
	if (!t)
		return;
	j->cfg = *lrn_config(t);
	lrn_sizes(t, &j->n);
	j->changes = eng_obs_changes(j->s->cfg.eng);
}

static void os_copy_here(void *arg)
{
	struct os_job *j = arg;

	j->more = lrn_copy_step(j->s->t, eng_observed(j->s->cfg.eng), &j->cp, CTLTHREAD_SLICE);
}

/* The table's sizes and change count, from the loop. */
static int os_look(struct obsnap *s, struct os_job *j)
{
	int err;

	*j = (struct os_job){ .s = s };
	err = os_call(s, os_look_here, j);
	return err ?: j->observing ? 0 : -ENOENT;
}

/* Allocated and touched here, so that the loop only copies. */
static int os_copy(struct obsnap *s, struct os_job *j)
{
	struct lrn_sizes touch = { j->n.relations + OBSNAP_SLACK, j->n.flows + OBSNAP_SLACK,
				   j->n.uids + OBSNAP_SLACK };
	int err;

	if (!s->t && !(s->t = lrn_new(&j->cfg)))
		return -errno;
	lrn_prefault(s->t, &touch);
	do
		err = os_call(s, os_copy_here, j);
	while (!err && j->more);
	return err;
}

int obsnap_take(struct obsnap *s)
{
	struct os_job j;
	int err = os_look(s, &j);

	return err ?: os_copy(s, &j);
}

const struct lrn *obsnap_table(const struct obsnap *s)
{
	return s->t;
}

void obsnap_tick(struct obsnap *s, uint64_t now_ns)
{
	struct os_job j;
	int err;

	if (!s->path || now_ns - s->saved_ns < (uint64_t)CONFIG_OBSERVE_SAVE_S * 1000000000u)
		return;
	s->saved_ns = now_ns;
	err = os_look(s, &j);
	if (err || j.changes == s->saved_changes)
		return;
	err = os_copy(s, &j) ?: lrn_save(s->t, s->path);
	if (err) {
		fprintf(stderr, "scanwalld: saving the observation table: %s\n", strerror(-err));
		return;
	}
	s->saved_changes = j.changes;
}

struct obsnap *obsnap_new(const struct obsnap_cfg *cfg)
{
	struct obsnap *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = *cfg;
	if (cfg->path && !(s->path = strdup(cfg->path))) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	s->cfg.path = s->path;
	return s;
}

void obsnap_free(struct obsnap *s)
{
	if (!s)
		return;
	lrn_free(s->t);
	free(s->path);
	free(s);
}
