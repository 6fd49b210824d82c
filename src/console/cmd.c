/* The command trees and their walker. Commands are data (cons_node
 * tables): lookup, `?` help and tab completion all read the same tables,
 * so what help lists is exactly what runs. Words may be abbreviated to
 * any unique prefix, as in Junos (`sh st`). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/bootclock.h"
#include "scanwall/ctlclient.h"
#include "console/cons.h"

static int cmd_configure(struct cons *c, int argc, char **argv);
static int cmd_exit(struct cons *c, int argc, char **argv);
static int cmd_help(struct cons *c, int argc, char **argv);
static int cmd_bundle(struct cons *c, int argc, char **argv);
static int cmd_factory_reset(struct cons *c, int argc, char **argv);
static int cmd_show_config(struct cons *c, int argc, char **argv);
static int cmd_start_shell(struct cons *c, int argc, char **argv);

static const struct cons_node show_tree[] = {
	{ "status", "engine status and the policy in force", NULL, cons_show_status, 0, 1, "[--json]" },
	{ "flows", "flows the engine tracks now", NULL, cons_show_flows, 0, 1, "[--json]" },
	{ "counters", "engine, fault and rule counters", NULL, cons_show_counters, 0, 1, "[--json]" },
	{ "events", "recent engine events", NULL, cons_show_events, 0, 1, "[--json]" },
	{ "policy", "the policy text in force", NULL, cons_show_policy, 0, 1, "[--json]" },
	{ "bundle", "installed and pending policy bundles", NULL, cons_show_bundle, 0, 1, "[--json]" },
	{ "keys", "bundle signing keys in the keyring", NULL, cons_show_keys, 0, 1, "[--json]" },
	{ "interfaces", "network ports of the unit", NULL, cons_show_interfaces, 0, 1, "[--json]" },
	{ "configuration", "the running configuration", NULL, cmd_show_config, 0, 0, "" },
	{ "log", "console logins, failures and commits", NULL, cons_show_log, 0, 0, "" },
	{ NULL },
};

static const struct cons_node bundle_tree[] = {
	{ "install", "verify and install a signed bundle", NULL, cmd_bundle, 1, 3,
	  "PATH [confirm SECONDS]" },
	{ "confirm", "keep the bundle installed with a confirm timer", NULL, cmd_bundle, 0, 0, "" },
	{ "rollback", "go back to the previous bundle", NULL, cmd_bundle, 0, 0, "" },
	{ NULL },
};

static const struct cons_node start_tree[] = {
	{ "shell", "a maintenance shell (root); exit returns here", NULL, cmd_start_shell, 0, 0,
	  "", true },
	{ NULL },
};

const struct cons_node cons_oper_tree[] = {
	{ "show", "show the state of the unit", show_tree },
	{ "configure", "edit the configuration", NULL, cmd_configure, 0, 0, "", true },
	{ "bundle", "signed policy bundles", bundle_tree },
	{ "policy", "commissioning: propose a policy, prove one", cons_policy_tree },
	{ "factory-reset", "erase the console's password and configuration", NULL,
	  cmd_factory_reset, 0, 0, "", true },
	{ "start", "start a maintenance shell", start_tree },
	{ "help", "list the commands", NULL, cmd_help, 0, 0, "" },
	{ "exit", "log out", NULL, cmd_exit, 0, 0, "", true },
	{ NULL },
};

static int cons_ctl_socket(struct cons *c, const char *cmd, char **answer);

int cons_init(struct cons *c, const struct cons_opts *o, FILE *out)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->o = *o;
	c->out = out;
	c->ctl = cons_ctl_socket;
	err = cons_store_init(&c->store, o->state_dir);
	if (!err)
		err = conf_load(&c->store, 0, &c->running);
	c->cand = c->running;
	return err;
}

/* The tree in force: configure mode or operational. */
static const struct cons_node *cons_tree(const struct cons *c)
{
	return c->configuring ? cons_conf_tree : cons_oper_tree;
}

/* The node word names in tree: exact, else the only one it prefixes. */
static const struct cons_node *cmd_match(const struct cons_node *tree, const char *word,
					 const char **why)
{
	const struct cons_node *hit = NULL;
	size_t n = strlen(word);

	for (const struct cons_node *t = tree; t->word; t++) {
		if (!strcmp(t->word, word))
			return t;
		if (!strncmp(t->word, word, n)) {
			*why = hit ? "ambiguous command" : NULL;
			if (hit)
				return NULL;
			hit = t;
		}
	}
	if (!hit)
		*why = "unknown command";
	return hit;
}

/* Looks words up in tree (unique prefixes allowed); *used = words consumed.
 * NULL with *why set when nothing runnable matches. */
static const struct cons_node *cons_lookup(const struct cons_node *tree, int argc, char **argv,
					   int *used, const char **why)
{
	const struct cons_node *n = NULL;

	*used = 0;
	*why = "missing command";
	while (tree && *used < argc) {
		n = cmd_match(tree, argv[*used], why);
		if (!n)
			return NULL;
		(*used)++;
		if (n->run)
			return n;
		tree = n->sub;
	}
	*why = "incomplete command";
	return NULL;
}

static int cmd_help_tree(struct cons *c, const struct cons_node *tree)
{
	for (const struct cons_node *t = tree; t->word; t++)
		fprintf(c->out, "  %-16s %s\n", t->word, t->help);
	return 0;
}

int cons_exec_argv(struct cons *c, const struct cons_node *tree, int argc, char **argv)
{
	const struct cons_node *n;
	const char *why;
	int used, nargs;

	if (argc == 0)
		return 0;
	n = cons_lookup(tree, argc, argv, &used, &why);
	if (!n) {
		fprintf(c->out, "error: %s\n", why);
		return -EINVAL;
	}
	nargs = argc - used;
	if (n->interactive && !c->interactive) {
		fprintf(c->out, "error: '%s' needs the interactive console\n", n->word);
		return -EPERM;
	}
	if (nargs < n->min_args || nargs > n->max_args) {
		fprintf(c->out, "error: usage: %s %s\n", n->word, n->args ? n->args : "");
		return -EINVAL;
	}
	return n->run(c, nargs, argv + used);
}

int cons_exec(struct cons *c, const char *line)
{
	char buf[CONS_LINE_MAX + 1], *argv[CONS_WORDS_MAX];
	const char *bad = cons_input_check(line);
	int argc;

	if (bad) {
		fprintf(c->out, "%s\n", bad);
		return -EINVAL;
	}
	cons_tick(c);
	snprintf(buf, sizeof(buf), "%s", line);
	/* `show ?` + Enter is help too, for terminals that send ? with the line */
	if (buf[0] && buf[strlen(buf) - 1] == '?') {
		buf[strlen(buf) - 1] = 0;
		cons_help(c, buf);
		return 0;
	}
	argc = cons_split(buf, argv);
	if (argc < 0) {
		fprintf(c->out, "error: %s\n", argc == -E2BIG ? "too many words" : "unbalanced quote");
		return argc;
	}
	return cons_exec_argv(c, cons_tree(c), argc, argv);
}

/* Help lists what may follow the words typed so far. */
void cons_help(struct cons *c, const char *line)
{
	char buf[CONS_LINE_MAX + 1], *argv[CONS_WORDS_MAX];
	const struct cons_node *tree = cons_tree(c), *n = NULL;
	const char *why;
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = cons_split(buf, argv);
	for (int i = 0; i < argc && tree; i++) {
		n = cmd_match(tree, argv[i], &why);
		if (!n)
			break;
		tree = n->sub;
	}
	if (tree) {
		fprintf(c->out, "Possible completions:\n");
		cmd_help_tree(c, tree);
	} else if (n) {
		fprintf(c->out, "  %s %s\n    %s\n", n->word, n->args ? n->args : "", n->help);
	} else {
		fprintf(c->out, "error: unknown command\n");
	}
}

/* Tab completion: the words of the tree reached so far that start with
 * the word under the cursor, or configuration keys after set/delete. */
void cons_complete(const struct cons *c, const char *line, size_t point,
		   void (*fn)(void *ctx, const char *word), void *ctx)
{
	char buf[CONS_LINE_MAX + 1], *argv[CONS_WORDS_MAX];
	const struct cons_node *tree = cons_tree(c), *n = NULL;
	const char *why, *cur;
	int argc;

	snprintf(buf, sizeof(buf), "%.*s", (int)(point < CONS_LINE_MAX ? point : CONS_LINE_MAX), line);
	cur = strrchr(buf, ' ') ? strrchr(buf, ' ') + 1 : buf;
	argc = cons_split(buf, argv);
	if (argc < 0)
		return;
	if (*cur)
		argc--;
	for (int i = 0; i < argc && tree; i++) {
		n = cmd_match(tree, argv[i], &why);
		tree = n ? n->sub : NULL;
	}
	if (!tree && n && argc >= 1 && n->sub == NULL && (n->args && !strncmp(n->args, "KEY", 3))) {
		for (int k = 0; k < CONF__COUNT && argc == 1; k++) {
			if (!strncmp(conf_key_info(k)->name, cur, strlen(cur)))
				fn(ctx, conf_key_info(k)->name);
		}
		return;
	}
	for (const struct cons_node *t = tree; t && t->word; t++) {
		if (!strncmp(t->word, cur, strlen(cur)))
			fn(ctx, t->word);
	}
}

void cons_tick(struct cons *c)
{
	struct conf old = c->running;
	int r = conf_confirm_expire(&c->store, (time_t)sw_boot_now());

	if (r <= 0)
		return;
	conf_load(&c->store, 0, &c->running);
	/* the edits being reverted must not come back with the next commit */
	c->cand = c->running;
	cons_event(&c->store, "console: commit not confirmed in time, configuration reverted");
	fprintf(c->out, "\nCommit not confirmed in time: the previous configuration is back "
			"in force%s.\n", c->configuring ? " (and in the candidate)" : "");
	cons_apply_running(c, CONS_APPLY_REVERT, &old);
	fflush(c->out);
}

int cons_apply_running(struct cons *c, enum cons_apply_how how, const struct conf *old)
{
	static const char *const after[] = {
		[CONS_APPLY_COMMIT] = "commit", [CONS_APPLY_REVERT] = "revert",
		[CONS_APPLY_BOOT] = "boot", [CONS_APPLY_RESET] = "factory-reset",
	};
	char what[200];
	int failed;

	/* factory-reset removes the CA copies even when nothing was set */
	if (!c->o.apply || (conf_equal(old, &c->running) && how != CONS_APPLY_RESET))
		return 0;
	conf_changed(old, &c->running, what, sizeof(what));
	failed = cons_apply(c->o.apply, how, old, &c->running, c->out);
	if (failed)
		cons_event(&c->store, "console: applied after %s (%s), %d step%s failed", after[how],
			   what, failed, failed == 1 ? "" : "s");
	else
		cons_event(&c->store, "console: applied after %s (%s)", after[how], what);
	return failed;
}

/* --- the commands of operational mode ------------------------------------ */

static int cmd_configure(struct cons *c, int argc, char **argv)
{
	c->configuring = true;
	c->cand = c->running;
	fprintf(c->out, "Entering configuration mode\n");
	return 0;
}

static int cmd_exit(struct cons *c, int argc, char **argv)
{
	c->quit = true;
	return 0;
}

static int cmd_help(struct cons *c, int argc, char **argv)
{
	return cmd_help_tree(c, cons_tree(c));
}

static int cmd_show_config(struct cons *c, int argc, char **argv)
{
	conf_print(&c->running, c->out);
	return 0;
}

/* The Junos `start shell`: the way to a root shell on a unit that ships
 * no root password, so only a logged-in console session offers it (the
 * hook is NULL otherwise), and the event says who could have used it. */
static int cmd_start_shell(struct cons *c, int argc, char **argv)
{
	int status;

	if (!c->shell) {
		fprintf(c->out, "error: 'start shell' needs a logged-in console on a terminal\n");
		return -EPERM;
	}
	cons_event(&c->store, "console: start shell");
	fflush(c->out);
	status = c->shell(c);
	if (status < 0)
		fprintf(c->out, "error: shell: %s\n", strerror(-status));
	cons_event(&c->store, "console: shell exited (status %d)", status);
	return status < 0 ? status : 0;
}

/* argv: after `bundle` and its subcommand word, which is argv[-1] */
static int cmd_bundle(struct cons *c, int argc, char **argv)
{
	char cmd[CONS_LINE_MAX + 32], *raw = NULL;
	struct cj j;
	int err, n = snprintf(cmd, sizeof(cmd), "bundle %s", argv[-1]);

	if (argc == 2 || (argc == 3 && strcmp(argv[1], "confirm"))) {
		fprintf(c->out, "error: usage: bundle install PATH [confirm SECONDS]\n");
		return -EINVAL;
	}
	for (int i = 0; i < argc; i++)
		n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " %s", argv[i]);
	err = cons_ask_ctl(c, cmd, &raw, &j);
	if (!err) {
		char ev[64], reason[64], detail[160];
		bool ok = cj_true(&j, cj_get(&j, 0, "ok"));

		fprintf(c->out, "%s: %s (%s)", ok ? "ok" : "refused",
			cj_text(&j, cj_get(&j, 0, "event"), ev, sizeof(ev)),
			cj_text(&j, cj_get(&j, 0, "reason"), reason, sizeof(reason)));
		cj_text(&j, cj_get(&j, 0, "detail"), detail, sizeof(detail));
		fprintf(c->out, "%s%s\n", detail[0] && strcmp(detail, "-") ? ": " : "",
			strcmp(detail, "-") ? detail : "");
		err = ok ? 0 : -EPERM;
		cj_free(&j);
	}
	free(raw);
	return err;
}

static int cmd_serial(struct cons *c, char *buf, size_t size)
{
	struct cons_store up;
	char *text;
	size_t len;

	if (c->o.serial) {
		snprintf(buf, size, "%s", c->o.serial);
		return 0;
	}
	/* STATE/serial, next to STATE/console: the firmware writes it */
	snprintf(up.dir, sizeof(up.dir), "%s", c->o.state_dir);
	if (cons_store_read(&up, "serial", 128, &text, &len))
		return -ENOENT;
	text[strcspn(text, "\r\n")] = 0;
	snprintf(buf, size, "%s", text);
	free(text);
	return buf[0] ? 0 : -ENOENT;
}

static int cmd_factory_reset(struct cons *c, int argc, char **argv)
{
	static const char *const files[] = { "config", "confirm-deadline", "passwd", "lockout" };
	char serial[130], typed[CONS_LINE_MAX + 1], name[32];
	struct conf old;

	if (cmd_serial(c, serial, sizeof(serial))) {
		fprintf(c->out, "error: the unit's serial number is not known: not reset\n");
		return -ENOENT;
	}
	fprintf(c->out, "This erases the console password and every configuration and rollback.\n");
	if (!c->ask || c->ask(c, "Type the unit's serial number to confirm: ", typed, sizeof(typed)) ||
	    strcmp(typed, serial)) {
		fprintf(c->out, "Serial number does not match: not reset.\n");
		cons_event(&c->store, "console: factory-reset refused (wrong serial number)");
		return -EPERM;
	}
	for (unsigned i = 1; i <= CONS_ROLLBACKS; i++) {
		snprintf(name, sizeof(name), "config.%u", i);
		cons_store_remove(&c->store, name);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		cons_store_remove(&c->store, files[i]);
	old = c->running;
	memset(&c->running, 0, sizeof(c->running));
	c->cand = c->running;
	cons_event(&c->store, "console: factory-reset");
	cons_apply_running(c, CONS_APPLY_RESET, &old);
	fprintf(c->out, "Factory reset done. Logging out.\n");
	c->quit = true;
	return 0;
}

/* --- the control socket -------------------------------------------------- */

/* The control socket through ctl_request(). */
static int cons_ctl_socket(struct cons *c, const char *cmd, char **answer)
{
	size_t len = 0;
	FILE *mem;
	int err;

	*answer = NULL;
	mem = open_memstream(answer, &len);
	if (!mem)
		return -errno;
	err = ctl_request(c->o.control, cmd, mem);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	return err;
}

int cons_ask_ctl(struct cons *c, const char *cmd, char **raw, struct cj *j)
{
	int err = c->ctl(c, cmd, raw);
	char msg[200];

	if (err && err != -EPROTO) {
		fprintf(c->out, "error: scanwalld does not answer on %s: %s\n", c->o.control,
			strerror(-err));
		return err;
	}
	if (c->json) {
		fputs(*raw ? *raw : "", c->out);
		return err ? err : 1;
	}
	if (!*raw || cj_parse(j, *raw, strlen(*raw))) {
		fprintf(c->out, "error: unreadable answer from scanwalld\n");
		return -EBADMSG;
	}
	/* -EPROTO is scanwalld saying no: an {"error":...} is printed here; an
	 * {"ok":false,...} (a refused bundle) is an answer for the caller. */
	if (j->tok[0].type != CJ_OBJ || (err && cj_get(j, 0, "error") >= 0)) {
		fprintf(c->out, "error: %s\n", cj_text(j, cj_get(j, 0, "error"), msg, sizeof(msg)));
		cj_free(j);
		return err ? err : -EBADMSG;
	}
	return 0;
}
