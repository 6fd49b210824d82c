/* `show ...`: the control socket's answers, laid out for an 80-column dumb
 * terminal. Every field printed goes through cj_text(), which turns
 * anything outside printable ASCII into '?', so an AE title off the wire
 * cannot send escape sequences to the technician's terminal. With --json
 * the answer is printed as it came, for scripts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console/cons.h"

#define SHOW_EVENTS_MAX 50

typedef void (*show_fn)(struct cons *c, const struct cj *j);

/* A string cut to fit width columns. */
static void cons_put_cut(FILE *out, const char *s, size_t width)
{
	size_t n = strlen(s);

	if (n <= width)
		fprintf(out, "%-*s", (int)width, s);
	else
		fprintf(out, "%.*s~", (int)(width - 1), s);
}

/* The last column: cut, not padded (no trailing blanks on the wire). */
static void show_put_last(FILE *out, const char *s, size_t width)
{
	size_t n = strlen(s);

	if (n <= width)
		fprintf(out, "%s\n", s);
	else
		fprintf(out, "%.*s~\n", (int)(width - 1), s);
}

static int show_run(struct cons *c, int argc, char **argv, const char *cmd, show_fn fn)
{
	bool json = c->json;
	char *raw = NULL;
	struct cj j;
	int r;

	if (argc == 1 && strcmp(argv[0], "--json")) {
		fprintf(c->out, "error: unexpected '%s' (only --json may follow)\n", argv[0]);
		return -EINVAL;
	}
	c->json = json || argc == 1;
	r = cons_ask_ctl(c, cmd, &raw, &j);
	c->json = json;
	if (r == 0) {
		fn(c, &j);
		cj_free(&j);
	}
	free(raw);
	return r < 0 ? r : 0;
}

static void show_field(struct cons *c, const char *label, const struct cj *j, int i)
{
	char v[CONS_COLS + 8];

	fprintf(c->out, "%-14s ", label);
	show_put_last(c->out, cj_text(j, i, v, sizeof(v)), CONS_COLS - 16);
}

/* Any JSON value as indented "key  value" lines. */
static void cons_print_tree(FILE *out, const struct cj *j, int i, int indent)
{
	char key[40], v[CONS_COLS];
	bool obj = j->tok[i].type == CJ_OBJ;

	for (uint32_t n = 0;; n++) {
		int e = cj_elem(j, i, n);

		if (e < 0)
			break;
		if (obj)
			cj_text(j, e - 1, key, sizeof(key));
		else
			snprintf(key, sizeof(key), "[%u]", n);
		if (j->tok[e].type == CJ_OBJ || j->tok[e].type == CJ_ARR) {
			fprintf(out, "%*s%s:\n", indent, "", key);
			cons_print_tree(out, j, e, indent + 2);
			continue;
		}
		fprintf(out, "%*s%-*s ", indent, "", 24 - indent, key);
		show_put_last(out, cj_text(j, e, v, sizeof(v)), (size_t)(CONS_COLS - 27));
	}
}

/* --- status -------------------------------------------------------------- */

static void show_uptime(struct cons *c, const struct cj *j)
{
	unsigned long s = (unsigned long)cj_num(j, cj_get(j, 0, "uptime_s"), 0);

	fprintf(c->out, "%-14s %lud %02lu:%02lu:%02lu\n", "Uptime", s / 86400, s / 3600 % 24,
		s / 60 % 60, s % 60);
}

static void show_status_fn(struct cons *c, const struct cj *j)
{
	static const struct { const char *label, *path; } rows[] = {
		{ "Version", "version" }, { "Engine pid", "pid" },
		{ "Policy file", "policy.path" }, { "Policy sha256", "policy.sha256" },
		{ "Rules", "policy.rules" }, { "Default action", "policy.default" },
		{ "Packets", "packets" }, { "Accepted", "accepted" }, { "Dropped", "dropped" },
		{ "Settled flows", "settled" }, { "Live flows", "flows_live" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		show_field(c, rows[i].label, j, cj_path(j, 0, rows[i].path));
		if (i == 1)
			show_uptime(c, j);
	}
}

int cons_show_status(struct cons *c, int argc, char **argv)
{
	return show_run(c, argc, argv, "status", show_status_fn);
}

/* --- flows --------------------------------------------------------------- */

static void show_endpoint(const struct cj *j, int f, const char *addr, const char *port,
			  char *buf, size_t size)
{
	char a[64], p[16];

	cj_text(j, cj_get(j, f, addr), a, sizeof(a));
	cj_text(j, cj_get(j, f, port), p, sizeof(p));
	snprintf(buf, size, strchr(a, ':') ? "[%s]:%s" : "%s:%s", a, p);
}

static void show_flow(struct cons *c, const struct cj *j, int f)
{
	char src[96], dst[96], v[64], ae1[20], ae2[20];

	cons_put_cut(c->out, cj_text(j, cj_get(j, f, "proto"), v, sizeof(v)), 6);
	show_endpoint(j, f, "src", "sport", src, sizeof(src));
	show_endpoint(j, f, "dst", "dport", dst, sizeof(dst));
	cons_put_cut(c->out, src, 22);
	cons_put_cut(c->out, dst, 22);
	cons_put_cut(c->out, cj_text(j, cj_get(j, f, "state"), v, sizeof(v)), 12);
	fprintf(c->out, "%8.0f %8.0f\n", cj_num(j, cj_get(j, f, "packets"), 0),
		cj_num(j, cj_get(j, f, "bytes"), 0));
	cj_text(j, cj_get(j, f, "calling_ae"), ae1, sizeof(ae1));
	cj_text(j, cj_get(j, f, "called_ae"), ae2, sizeof(ae2));
	if (strcmp(ae1, "null") || strcmp(ae2, "null"))
		fprintf(c->out, "      %s -> %s, rule %s\n", ae1, ae2,
			cj_text(j, cj_get(j, f, "rule"), v, sizeof(v)));
}

#define SHOW_FLOWS_PAGE 500	/* flows a `flows` answer carries */
#define SHOW_FLOWS_MAX 10000	/* flows a serial line is asked to list */

/* Rows of one page; *from becomes the next page's start, or -1 at the end. */
static uint32_t show_flows_page(struct cons *c, const struct cj *j, double *from)
{
	int flows = cj_get(j, 0, "flows");
	uint32_t n = 0;

	for (int f; (f = cj_elem(j, flows, n)) >= 0; n++)
		show_flow(c, j, f);
	*from = cj_num(j, cj_get(j, 0, "next"), -1);
	return n;
}

/* Page by page (`flows from N count M`), so the engine never builds one
 * answer for the whole table; with --json, each page's answer line. */
int cons_show_flows(struct cons *c, int argc, char **argv)
{
	bool json = c->json;
	double from = 0;
	uint32_t n = 0;
	char cmd[64], *raw;
	struct cj j;
	int r = 0;

	if (argc == 1 && strcmp(argv[0], "--json")) {
		fprintf(c->out, "error: unexpected '%s' (only --json may follow)\n", argv[0]);
		return -EINVAL;
	}
	c->json = json || argc == 1;
	if (!c->json)
		fprintf(c->out, "%-6s%-22s%-22s%-12s%8s %8s\n", "Proto", "Source",
			"Destination", "State", "Packets", "Bytes");
	while (r >= 0 && from >= 0 && n < SHOW_FLOWS_MAX) {
		snprintf(cmd, sizeof(cmd), "flows from %.0f count %u", from, SHOW_FLOWS_PAGE);
		raw = NULL;
		r = cons_ask_ctl(c, cmd, &raw, &j);
		from = -1;
		if (r == 0) {
			n += show_flows_page(c, &j, &from);
			cj_free(&j);
		} else if (r == 1 && raw && !cj_parse(&j, raw, strlen(raw))) {
			/* printed as it came: only where the next page starts */
			from = cj_num(&j, cj_get(&j, 0, "next"), -1);
			n += SHOW_FLOWS_PAGE;
			cj_free(&j);
		}
		free(raw);
	}
	if (!c->json && r >= 0)
		fprintf(c->out, "%u flow%s%s\n", n, n == 1 ? "" : "s",
			from >= 0 ? " (list truncated)" : "");
	c->json = json;
	return r < 0 ? r : 0;
}

/* --- events -------------------------------------------------------------- */

/* One event on one line: time, kind, endpoints, reason. */
static void show_event_line(FILE *out, const struct cj *j, int e)
{
	char line[512], t[32], kind[24], src[96], dst[96], reason[160];
	time_t ts = (time_t)cj_num(j, cj_get(j, e, "ts"), 0);
	struct tm tm;

	gmtime_r(&ts, &tm);
	strftime(t, sizeof(t), "%m-%d %H:%M:%S", &tm);
	cj_text(j, cj_get(j, e, "event"), kind, sizeof(kind));
	cj_text(j, cj_get(j, e, "reason"), reason, sizeof(reason));
	if (cj_get(j, e, "src") >= 0) {
		show_endpoint(j, e, "src", "sport", src, sizeof(src));
		show_endpoint(j, e, "dst", "dport", dst, sizeof(dst));
		snprintf(line, sizeof(line), "%s %-7s %s > %s %s", t, kind, src, dst,
			 strcmp(reason, "null") ? reason : "");
	} else {
		snprintf(line, sizeof(line), "%s %-7s %s", t, kind, reason);
	}
	show_put_last(out, line, CONS_COLS - 1);
}

static void show_events_fn(struct cons *c, const struct cj *j)
{
	int evs = cj_get(j, 0, "events");
	uint32_t n = evs >= 0 ? j->tok[evs].n : 0, first = n > SHOW_EVENTS_MAX ? n - SHOW_EVENTS_MAX : 0;

	for (uint32_t i = first; i < n; i++)
		show_event_line(c->out, j, cj_elem(j, evs, i));
	if (first)
		fprintf(c->out, "(the last %u of %u; 'show events --json' for all)\n",
			SHOW_EVENTS_MAX, n);
	if (!n)
		fprintf(c->out, "no events\n");
}

int cons_show_events(struct cons *c, int argc, char **argv)
{
	return show_run(c, argc, argv, "events", show_events_fn);
}

/* The console's own events file: the last lines, same layout. */
int cons_show_log(struct cons *c, int argc, char **argv)
{
	char *text;
	size_t len, start = 0, lines = 0;
	struct cj j;

	if (cons_store_read(&c->store, "events.json", 1u << 20, &text, &len)) {
		fprintf(c->out, "no console events\n");
		return 0;
	}
	for (size_t i = len; i-- > 0 && lines <= 20;)
		if (text[i] == '\n' && ++lines > 20)
			start = i + 1;
	while (start < len) {
		size_t n = strcspn(text + start, "\n");

		if (!cj_parse(&j, text + start, n)) {
			show_event_line(c->out, &j, 0);
			cj_free(&j);
		}
		start += n + 1;
	}
	free(text);
	return 0;
}

/* --- counters ------------------------------------------------------------ */

static void show_rule(struct cons *c, const struct cj *j, int r)
{
	char v[4][64];

	fprintf(c->out, "%-6s%-8s%-7s%10s  ", cj_text(j, cj_get(j, r, "line"), v[0], sizeof(v[0])),
		cj_text(j, cj_get(j, r, "action"), v[1], sizeof(v[1])),
		cj_text(j, cj_get(j, r, "proto"), v[2], sizeof(v[2])),
		cj_text(j, cj_get(j, r, "hits"), v[3], sizeof(v[3])));
	cj_text(j, cj_get(j, r, "reason"), v[0], sizeof(v[0]));
	show_put_last(c->out, strcmp(v[0], "null") ? v[0] : "", CONS_COLS - 34);
}

/* Only the faults that happened: 31 zeros help nobody at 115200 baud. */
static void show_faults(struct cons *c, const struct cj *j)
{
	int f = cj_get(j, 0, "faults");
	unsigned shown = 0;
	char key[40];

	fprintf(c->out, "Faults:\n");
	for (uint32_t n = 0; cj_elem(j, f, n) >= 0; n++) {
		int e = cj_elem(j, f, n);

		if (cj_num(j, e, 0) == 0)
			continue;
		fprintf(c->out, "  %-24s %.0f\n", cj_text(j, e - 1, key, sizeof(key)), cj_num(j, e, 0));
		shown++;
	}
	if (!shown)
		fprintf(c->out, "  none\n");
}

static void show_counters_fn(struct cons *c, const struct cj *j)
{
	int rules = cj_get(j, 0, "rules"), r;
	char v[2][32];

	fprintf(c->out, "Engine:\n");
	cons_print_tree(c->out, j, cj_get(j, 0, "engine"), 2);
	fprintf(c->out, "Events by kind:\n");
	cons_print_tree(c->out, j, cj_get(j, 0, "events"), 2);
	show_faults(c, j);
	fprintf(c->out, "Rules:\n%-6s%-8s%-7s%10s  %s\n", "Line", "Action", "Proto", "Hits", "Reason");
	for (uint32_t n = 0; (r = cj_elem(j, rules, n)) >= 0; n++)
		show_rule(c, j, r);
	fprintf(c->out, "%-6s%-8s%-7s%10s\n", "-", cj_text(j, cj_path(j, 0, "default.action"), v[0],
		sizeof(v[0])), "any", cj_text(j, cj_path(j, 0, "default.hits"), v[1], sizeof(v[1])));
}

int cons_show_counters(struct cons *c, int argc, char **argv)
{
	return show_run(c, argc, argv, "counters", show_counters_fn);
}

/* --- policy, bundle, keys ----------------------------------------------- */

static void show_policy_fn(struct cons *c, const struct cj *j)
{
	int t = cj_get(j, 0, "text");
	size_t size = t >= 0 ? j->tok[t].len + 1 : 2;
	char *text = malloc(size);

	show_field(c, "Policy sha256", j, cj_get(j, 0, "sha256"));
	if (!text)
		return;
	fputs(cj_text(j, t, text, size), c->out);
	if (text[0] && text[strlen(text) - 1] != '\n')
		fputc('\n', c->out);
	free(text);
}

int cons_show_policy(struct cons *c, int argc, char **argv)
{
	return show_run(c, argc, argv, "policy", show_policy_fn);
}

static void show_bundle_fn(struct cons *c, const struct cj *j)
{
	cons_print_tree(c->out, j, 0, 0);
}

int cons_show_bundle(struct cons *c, int argc, char **argv)
{
	return show_run(c, argc, argv, "bundle status", show_bundle_fn);
}

static void show_keys_fn(struct cons *c, const struct cj *j)
{
	show_field(c, "Keyring keys", j, cj_path(j, 0, "keyring.keys"));
	show_field(c, "Signatures", j, cj_path(j, 0, "keyring.threshold"));
}

int cons_show_keys(struct cons *c, int argc, char **argv)
{
	return show_run(c, argc, argv, "bundle status", show_keys_fn);
}
