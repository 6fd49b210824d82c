/* GET /: a read-only status page for a service engineer's browser.
 * Plain HTML and CSS, no script: it is served under a CSP that forbids
 * scripts anyway, and everything from scanwalld is HTML-escaped. */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanwall/json.h"
#include "mgmt/mgmt.h"

#define PAGE_EVENTS 15

/* Writes s with HTML's five specials escaped. */
static void mgmt_html(FILE *out, const char *s)
{
	static const char *const esc[256] = {
		['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
	};

	for (; *s; s++) {
		const char *e = esc[(unsigned char)*s];

		if (e)
			fputs(e, out);
		else
			fputc(*s, out);
	}
}

/* The status fields shown, in order: JSON path and label. */
static const struct {
	const char *path, *label;
} page_fields[] = {
	{ "version", "scanwalld version" },
	{ "uptime_s", "Uptime (s)" },
	{ "policy.path", "Policy file" },
	{ "policy.sha256", "Policy SHA-256" },
	{ "policy.rules", "Rules" },
	{ "policy.default", "Default action" },
	{ "packets", "Packets" },
	{ "accepted", "Accepted" },
	{ "dropped", "Dropped" },
	{ "flows_live", "Live flows" },
	{ "events.last_seq", "Last event" },
};

#define PAGE_NFIELDS (sizeof(page_fields) / sizeof(page_fields[0]))

struct page_status {
	char val[PAGE_NFIELDS][80];
	uint64_t last_seq;
};

static int page_status_cb(void *ctx, const char *path, const struct mj_val *v)
{
	struct page_status *ps = ctx;

	for (size_t i = 0; i < PAGE_NFIELDS; i++) {
		if (strcmp(path, page_fields[i].path) != 0)
			continue;
		if (v->type == CJ_STR)
			mj_str(v, ps->val[i], sizeof(ps->val[i]));
		else
			snprintf(ps->val[i], sizeof(ps->val[i]), "%.*s", (int)v->len, v->raw);
		if (strcmp(path, "events.last_seq") == 0)
			mj_u64(v, &ps->last_seq);
	}
	return 0;
}

struct page_events {
	FILE *out;
	char ts[32], kind[32], reason[160];
};

/* An event's "ts" (Unix seconds.micro) as UTC, for a human. */
static void page_time(const struct mj_val *v, char *buf, size_t size)
{
	char num[32];
	time_t t;
	struct tm tm;

	snprintf(num, sizeof(num), "%.*s", (int)(v->len < 31 ? v->len : 31), v->raw);
	t = (time_t)strtoll(num, NULL, 10);
	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, size, "%s", num);
}

/* Fields of events.N arrive before the events.N object itself. */
static int page_event_cb(void *ctx, const char *path, const struct mj_val *v)
{
	struct page_events *pe = ctx;
	const char *field = strncmp(path, "events.", 7) == 0 ? strchr(path + 7, '.') : NULL;

	if (field && strcmp(field, ".ts") == 0)
		page_time(v, pe->ts, sizeof(pe->ts));
	else if (field && strcmp(field, ".event") == 0)
		mj_str(v, pe->kind, sizeof(pe->kind));
	else if (field && strcmp(field, ".reason") == 0)
		mj_str(v, pe->reason, sizeof(pe->reason));
	if (field || strncmp(path, "events.", 7) != 0 || v->type != CJ_OBJ)
		return 0;
	fputs("<tr><td>", pe->out);
	mgmt_html(pe->out, pe->ts);
	fprintf(pe->out, "</td><td class=\"k-%s\">", strcmp(pe->kind, "allow") ? "bad" : "ok");
	mgmt_html(pe->out, pe->kind);
	fputs("</td><td>", pe->out);
	mgmt_html(pe->out, pe->reason);
	fputs("</td></tr>\n", pe->out);
	memset(pe->ts, 0, sizeof(*pe) - offsetof(struct page_events, ts));
	return 0;
}

static const char page_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<title>scanwall status</title>\n<style>\n"
	"body{font-family:sans-serif;margin:2em;color:#222;background:#f7f7f5}\n"
	"h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}\n"
	"table{border-collapse:collapse;background:#fff}\n"
	"td,th{border:1px solid #ccc;padding:.3em .7em;text-align:left}\n"
	"th{background:#eee}.k-bad{color:#a00}.k-ok{color:#070}\n"
	".down{color:#fff;background:#a00;padding:.5em}\n"
	"</style></head><body>\n<h1>scanwall DICOM firewall</h1>\n";

static void page_events(struct mgmt *m, FILE *out, uint64_t last)
{
	struct page_events pe = { .out = out };
	char cmd[64], *ans = NULL;
	size_t len;

	snprintf(cmd, sizeof(cmd), "events since %" PRIu64,
		 last > PAGE_EVENTS ? last - PAGE_EVENTS : 0);
	fputs("<h2>Recent events</h2>\n<table id=\"events\">\n"
	      "<tr><th>Time</th><th>Event</th><th>Reason</th></tr>\n", out);
	if (mgmt_ctl(m, cmd, &ans, &len) == 0)
		mj_walk(ans, len, page_event_cb, &pe);
	free(ans);
	fputs("</table>\n", out);
}

/* mgmtd's own certificate: what a browser's warning about a self-signed
 * certificate should be checked against. Shown even with scanwalld down. */
static void page_cert(struct mgmt *m, FILE *out)
{
	const struct {
		const char *label, *val;
	} rows[] = {
		{ "Subject", m->cert.subject },
		{ "SHA-256 fingerprint", m->cert.sha256 },
		{ "Valid from", m->cert.not_before },
		{ "Valid until", m->cert.not_after },
	};

	if (!m->cert.sha256[0])
		return;
	fputs("<h2>This server's certificate</h2>\n<table id=\"cert\">\n", out);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		fprintf(out, "<tr><th>%s</th><td>", rows[i].label);
		mgmt_html(out, rows[i].val);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	if (!m->crl.d.loaded)
		return;
	fprintf(out, "<h2>Revoked client certificates (CRL)</h2>\n<table id=\"crl\">\n"
		"<tr><th>Revoked</th><td>%u</td></tr>\n<tr><th>This update</th><td>%s</td></tr>\n"
		"<tr><th>Next update</th><td>%s%s</td></tr>\n</table>\n", m->crl.d.revoked,
		m->crl.d.this_update, m->crl.d.next_update,
		m->crl.d.stale ? " (past: bring a new CRL)" : "");
}

int mgmt_page(struct mgmt *m, FILE *out)
{
	struct page_status ps = { 0 };
	char *ans = NULL;
	size_t len;
	int err = mgmt_ctl(m, "status", &ans, &len);

	if (!err)
		err = mj_walk(ans, len, page_status_cb, &ps);
	free(ans);
	fputs(page_head, out);
	if (err) {
		fputs("<p class=\"down\" id=\"state\">scanwalld is not answering</p>\n", out);
		page_cert(m, out);
		fputs("</body></html>\n", out);
		return 0;
	}
	fputs("<p id=\"state\">Engine running</p>\n<h2>Status</h2>\n<table id=\"status\">\n", out);
	for (size_t i = 0; i < PAGE_NFIELDS; i++) {
		fprintf(out, "<tr><th>%s</th><td>", page_fields[i].label);
		mgmt_html(out, ps.val[i]);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	page_events(m, out, ps.last_seq);
	page_cert(m, out);
	fputs("<p>Read-only page; JSON at /status, /flows, /events, /policy; "
	      "metrics at /metrics.</p>\n</body></html>\n", out);
	return 0;
}
