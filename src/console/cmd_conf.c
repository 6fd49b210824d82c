/* Configuration mode, after Junos: edits go to a candidate, nothing is in
 * force until `commit`; `commit confirmed N` reverts by itself unless a
 * second `commit` comes within N minutes (the safety net for a change that
 * cuts the technician off the management network); `rollback N` loads an
 * earlier configuration into the candidate, to be committed like any edit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/bootclock.h"
#include "console/cons.h"

#define CONFIRM_MAX 1440		/* a day, in minutes */

/* argv[1..] as one value: `set management operator "O=x, CN=y"`. */
static const char *cc_value(int argc, char **argv, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 1; i < argc && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i > 1 ? " " : "", argv[i]);
	return buf;
}

static int cc_set(struct cons *c, int argc, char **argv)
{
	char value[CONS_LINE_MAX + 1];
	const char *why;
	int err = conf_set(&c->cand, argv[0], cc_value(argc, argv, value, sizeof(value)), &why);

	if (err == -ENOENT)
		fprintf(c->out, "error: no such setting: %s\n", argv[0]);
	else if (err)
		fprintf(c->out, "error: %s: %s\n", argv[0], why);
	return err;
}

static int cc_delete(struct cons *c, int argc, char **argv)
{
	char value[CONS_LINE_MAX + 1];
	int err;

	if (!strcmp(argv[0], "management"))
		err = conf_role_delete(&c->cand, cc_value(argc, argv, value, sizeof(value)));
	else
		err = argc > 1 ? -EINVAL : conf_delete(&c->cand, argv[0]);
	if (err == -ENOENT && argc > 1)
		fprintf(c->out, "error: no such line: %s %s\n", argv[0], value);
	else if (err)
		fprintf(c->out, "error: no such setting: %s\n", argv[0]);
	return err;
}

static int cc_show(struct cons *c, int argc, char **argv)
{
	if (argc == 0) {
		conf_print(&c->cand, c->out);
		return 0;
	}
	if (argc != 2 || strcmp(argv[0], "|") || strncmp("compare", argv[1], strlen(argv[1]))) {
		fprintf(c->out, "error: usage: show [| compare]\n");
		return -EINVAL;
	}
	if (!conf_diff(&c->running, &c->cand, c->out))
		fprintf(c->out, "(no changes)\n");
	return 0;
}

static int cc_parse_confirm(struct cons *c, int argc, char **argv, unsigned long *minutes)
{
	char *end;

	*minutes = 0;
	if (argc == 0)
		return 0;
	errno = 0;
	if (argc == 2 && !strcmp(argv[0], "confirmed")) {
		*minutes = strtoul(argv[1], &end, 10);
		if (!errno && !*end && *minutes >= 1 && *minutes <= CONFIRM_MAX)
			return 0;
	}
	fprintf(c->out, "error: usage: commit [confirmed MINUTES]  (1 to %u)\n", CONFIRM_MAX);
	return -EINVAL;
}

/* What can refuse a commit (the client CA file) is checked and staged
 * first, so a refused commit changes nothing; the rest takes effect once
 * the configuration is on disk. */
static int cc_commit(struct cons *c, int argc, char **argv)
{
	char what[200];
	unsigned long minutes;
	bool pending = conf_confirm_deadline(&c->store) != 0;
	struct conf old;
	int err = cc_parse_confirm(c, argc, argv, &minutes);

	if (err)
		return err;
	conf_changed(&c->running, &c->cand, what, sizeof(what));
	if (!minutes && pending && conf_equal(&c->running, &c->cand)) {
		err = conf_confirm_clear(&c->store);
		cons_event(&c->store, "console: commit confirmed");
		fprintf(c->out, "%s\n", err ? "error: could not clear the confirm timer" :
				"commit confirmed: the configuration stays");
		return err;
	}
	if (c->o.apply && (err = cons_apply_prepare(c->o.apply, &c->running, &c->cand, c->out))) {
		fprintf(c->out, "error: commit failed: nothing changed\n");
		return err;
	}
	err = conf_commit(&c->store, &c->cand);
	if (!err && minutes)
		err = conf_confirm_arm(&c->store,
				       (time_t)sw_boot_now() + (time_t)(minutes * c->o.confirm_unit));
	else if (!err && pending)
		err = conf_confirm_clear(&c->store);
	if (err) {
		if (c->o.apply)
			cons_apply_abort(c->o.apply);
		fprintf(c->out, "error: commit failed: %s\n", strerror(-err));
		return err;
	}
	old = c->running;
	c->running = c->cand;
	cons_event(&c->store, "console: commit%s (%s)", minutes ? " confirmed" : "", what);
	if (minutes)
		fprintf(c->out, "commit complete: reverts in %lu minute%s unless committed again\n",
			minutes, minutes == 1 ? "" : "s");
	else
		fprintf(c->out, "commit complete\n");
	cons_apply_running(c, CONS_APPLY_COMMIT, &old);
	return 0;
}

static int cc_rollback(struct cons *c, int argc, char **argv)
{
	unsigned long n = 0;
	char *end;
	int err;

	if (argc) {
		errno = 0;
		n = strtoul(argv[0], &end, 10);
		if (errno || *end || n > CONS_ROLLBACKS) {
			fprintf(c->out, "error: usage: rollback [0-%u]\n", CONS_ROLLBACKS);
			return -EINVAL;
		}
	}
	err = conf_load(&c->store, (unsigned)n, &c->cand);
	if (err == -ENOENT)
		fprintf(c->out, "error: there is no rollback %lu\n", n);
	else if (err)
		fprintf(c->out, "error: rollback %lu is unreadable: %s\n", n, strerror(-err));
	else
		fprintf(c->out, "load complete: review with 'show | compare', then 'commit'\n");
	if (err)
		c->cand = c->running;
	return err;
}

static int cc_exit(struct cons *c, int argc, char **argv)
{
	if (!conf_equal(&c->running, &c->cand))
		fprintf(c->out, "warning: uncommitted changes discarded\n");
	c->cand = c->running;
	c->configuring = false;
	fprintf(c->out, "Exiting configuration mode\n");
	return 0;
}

static int cc_run(struct cons *c, int argc, char **argv)
{
	return cons_exec_argv(c, cons_oper_tree, argc, argv);
}

static int cc_help(struct cons *c, int argc, char **argv)
{
	for (const struct cons_node *t = cons_conf_tree; t->word; t++)
		fprintf(c->out, "  %-16s %s\n", t->word, t->help);
	fprintf(c->out, "\nSettings:\n");
	for (int k = 0; k < CONF__COUNT; k++)
		fprintf(c->out, "  %-19s %s\n", conf_key_info(k)->name, conf_key_info(k)->help);
	fprintf(c->out, "  %-19s %s\n", "management",
		"operator|reader \"SUBJECT DN\"|SPKI-SHA256|any (a line each)");
	return 0;
}

const struct cons_node cons_conf_tree[] = {
	{ "set", "set a value in the candidate", NULL, cc_set, 2, 4, "KEY VALUE" },
	{ "delete", "remove a value from the candidate", NULL, cc_delete, 1, 4, "KEY [VALUE]" },
	{ "show", "the candidate; 'show | compare' against the running", NULL, cc_show, 0, 2,
	  "[| compare]" },
	{ "commit", "put the candidate in force", NULL, cc_commit, 0, 2, "[confirmed MINUTES]" },
	{ "rollback", "load configuration N (0: running) into the candidate", NULL, cc_rollback,
	  0, 1, "[N]" },
	{ "run", "an operational command", NULL, cc_run, 1, CONS_WORDS_MAX - 1, "COMMAND..." },
	{ "help", "list the commands and settings", NULL, cc_help, 0, 0, "" },
	{ "exit", "leave configuration mode", NULL, cc_exit, 0, 0, "" },
	{ NULL },
};
