/* GET /metrics: Prometheus text format 0.0.4 (docs/mgmt.md, "Metrics").
 *
 * Built from `counters`, `status` and `bundle status` by walking each
 * answer once. The walk visits values in document order, and every family
 * here comes from one contiguous part of an answer, so a family's HELP and
 * TYPE are written once, before its first sample, as the format wants. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanwall/json.h"
#include "mgmt/mgmt.h"

struct met {
	FILE *out;
	const char *family;		/* the last family written */
	struct met_rule {
		uint64_t index, line, hits;
		char action[16], proto[16];
	} rule;
	char dflt[16];
	uint64_t bundle_version, bundle_installed;	/* installed: created */
	int have_version, have_installed;
};

static void met_family(struct met *t, const char *name, const char *type, const char *help)
{
	if (t->family && strcmp(t->family, name) == 0)
		return;
	t->family = name;
	fprintf(t->out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: only \, " and newline need escaping (0.0.4). */
static void met_label(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

/* Metric names from JSON keys: [a-zA-Z0-9_] only. */
static void met_name(FILE *out, const char *prefix, const char *key, const char *suffix)
{
	fputs(prefix, out);
	for (; *key; key++)
		fputc((*key >= 'a' && *key <= 'z') || (*key >= '0' && *key <= '9') ? *key : '_', out);
	fputs(suffix, out);
}

static const struct met_plain {
	const char *path, *name, *type, *help;
} met_plain[] = {
	{ "engine.flows_live", "scanwall_flows_live", "gauge", "Flows in the flow table." },
	{ "evlog.last_seq", "scanwall_events_last_seq", "gauge",
	  "Sequence number of the newest event." },
	{ "evlog.file_bytes", "scanwall_events_file_bytes", "gauge", "Size of the events file." },
	{ "uptime_s", "scanwall_uptime_seconds", "gauge", "Seconds since scanwalld started." },
	{ "policy.rules", "scanwall_policy_rules", "gauge", "Rules in the policy in force." },
};

/* Counters with one label, from a JSON object of name -> count. */
static const struct met_labelled {
	const char *prefix, *name, *label, *help;
} met_labelled[] = {
	{ "events.", "scanwall_events_total", "kind", "Events by kind." },
	{ "faults.", "scanwall_dicom_faults_total", "fault", "DICOM inspection faults by kind." },
};

static int met_try_plain(struct met *t, const char *path, uint64_t v)
{
	for (size_t i = 0; i < sizeof(met_plain) / sizeof(met_plain[0]); i++) {
		if (strcmp(path, met_plain[i].path) == 0) {
			met_family(t, met_plain[i].name, met_plain[i].type, met_plain[i].help);
			fprintf(t->out, "%s %" PRIu64 "\n", met_plain[i].name, v);
			return 1;
		}
	}
	return 0;
}

static int met_try_labelled(struct met *t, const char *path, uint64_t v)
{
	for (size_t i = 0; i < sizeof(met_labelled) / sizeof(met_labelled[0]); i++) {
		const struct met_labelled *l = &met_labelled[i];
		size_t n = strlen(l->prefix);

		if (strncmp(path, l->prefix, n) != 0 || strchr(path + n, '.'))
			continue;
		met_family(t, l->name, "counter", l->help);
		fprintf(t->out, "%s{%s=", l->name, l->label);
		met_label(t->out, path + n);
		fprintf(t->out, "} %" PRIu64 "\n", v);
		return 1;
	}
	return 0;
}

/* Whole groups of counters named after their key: engine.packets becomes
 * scanwall_engine_packets_total; queue.* is the NFQUEUE's own (drops,
 * ENOBUFS), inject.* what became of the crafted answers. */
static int met_try_group(struct met *t, const char *path, uint64_t v)
{
	static const char *const groups[] = { "engine.", "queue.", "inject.", "evlog." };
	static char fam[MJ_PATH_MAX + 32];

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		size_t n = strlen(groups[i]);
		FILE *f;

		if (strncmp(path, groups[i], n) != 0 || strchr(path + n, '.'))
			continue;
		f = fmemopen(fam, sizeof(fam), "w");
		if (!f)
			return 1;
		met_name(f, "scanwall_", path, "_total");
		fclose(f);
		met_family(t, fam, "counter", "A scanwalld counter (docs/control.md).");
		fprintf(t->out, "%s %" PRIu64 "\n", fam, v);
		t->family = NULL;
		return 1;
	}
	return 0;
}

static void met_rule_field(struct met *t, const char *field, const struct mj_val *v)
{
	uint64_t n = 0;

	mj_u64(v, &n);
	if (strcmp(field, "index") == 0)
		t->rule.index = n;
	else if (strcmp(field, "line") == 0)
		t->rule.line = n;
	else if (strcmp(field, "hits") == 0)
		t->rule.hits = n;
	else if (strcmp(field, "action") == 0)
		mj_str(v, t->rule.action, sizeof(t->rule.action));
	else if (strcmp(field, "proto") == 0)
		mj_str(v, t->rule.proto, sizeof(t->rule.proto));
}

/* rules.N.field values arrive before the rules.N object closes. */
static int met_rule(struct met *t, const char *path, const struct mj_val *v)
{
	const char *field = strchr(path + 6, '.');

	if (field) {
		met_rule_field(t, field + 1, v);
		return 0;
	}
	met_family(t, "scanwall_rule_hits_total", "counter",
		   "Packets or flows decided by each rule of the policy in force.");
	fprintf(t->out, "scanwall_rule_hits_total{rule=\"%" PRIu64 "\",line=\"%" PRIu64
		"\",action=", t->rule.index, t->rule.line);
	met_label(t->out, t->rule.action);
	fputs(",proto=", t->out);
	met_label(t->out, t->rule.proto);
	fprintf(t->out, "} %" PRIu64 "\n", t->rule.hits);
	memset(&t->rule, 0, sizeof(t->rule));
	return 0;
}

static int met_counters_cb(void *ctx, const char *path, const struct mj_val *v)
{
	struct met *t = ctx;
	uint64_t n;

	if (strncmp(path, "rules.", 6) == 0 && path[6])
		return met_rule(t, path, v);
	if (strcmp(path, "default.action") == 0)
		mj_str(v, t->dflt, sizeof(t->dflt));
	if (strcmp(path, "default.hits") == 0 && mj_u64(v, &n) == 0) {
		met_family(t, "scanwall_default_hits_total", "counter",
			   "Packets or flows decided by the default action.");
		fputs("scanwall_default_hits_total{action=", t->out);
		met_label(t->out, t->dflt);
		fprintf(t->out, "} %" PRIu64 "\n", n);
		return 0;
	}
	if (mj_u64(v, &n))
		return 0;
	if (met_try_plain(t, path, n) || met_try_labelled(t, path, n))
		return 0;
	met_try_group(t, path, n);
	return 0;
}

/* Associations by outcome are the assoc-* event counts, written after the
 * walk so that they form a family of their own. */
static int met_assoc_cb(void *ctx, const char *path, const struct mj_val *v)
{
	struct met *t = ctx;
	uint64_t n;

	if (strncmp(path, "events.assoc-", 13) != 0 || mj_u64(v, &n))
		return 0;
	met_family(t, "scanwall_associations_total", "counter",
		   "DICOM associations by outcome.");
	fputs("scanwall_associations_total{outcome=", t->out);
	met_label(t->out, path + 13);
	fprintf(t->out, "} %" PRIu64 "\n", n);
	return 0;
}

static int met_status_cb(void *ctx, const char *path, const struct mj_val *v)
{
	struct met *t = ctx;
	char s[80];
	uint64_t n;

	if (strcmp(path, "version") == 0 && mj_str(v, s, sizeof(s)) == 0) {
		met_family(t, "scanwall_build_info", "gauge", "scanwalld's version.");
		fputs("scanwall_build_info{version=", t->out);
		met_label(t->out, s);
		fputs("} 1\n", t->out);
	} else if (strcmp(path, "policy.sha256") == 0 && mj_str(v, s, sizeof(s)) == 0) {
		met_family(t, "scanwall_policy_info", "gauge", "SHA-256 of the policy in force.");
		fputs("scanwall_policy_info{sha256=", t->out);
		met_label(t->out, s);
		fputs("} 1\n", t->out);
	} else if (mj_u64(v, &n) == 0) {
		met_try_plain(t, path, n);
	}
	return 0;
}

/* `bundle status` (docs/bundle.md): the bundle in force is "current",
 * with its manifest's version and creation time (Unix seconds). */
static int met_bundle_cb(void *ctx, const char *path, const struct mj_val *v)
{
	struct met *t = ctx;

	if (strcmp(path, "current.version") == 0)
		t->have_version = mj_u64(v, &t->bundle_version) == 0;
	else if (strcmp(path, "current.created") == 0)
		t->have_installed = mj_u64(v, &t->bundle_installed) == 0;
	return 0;
}

static void met_bundle(struct mgmt *m, struct met *t)
{
	char *ans = NULL;
	size_t len;
	time_t now = time(NULL);

	if (mgmt_ctl(m, "bundle status", &ans, &len) == 0)
		mj_walk(ans, len, met_bundle_cb, t);
	free(ans);
	if (t->have_version) {
		met_family(t, "scanwall_bundle_version", "gauge", "Version of the bundle in force.");
		fprintf(t->out, "scanwall_bundle_version %" PRIu64 "\n", t->bundle_version);
	}
	if (t->have_installed && (uint64_t)now >= t->bundle_installed) {
		met_family(t, "scanwall_bundle_age_seconds", "gauge",
			   "Seconds since the bundle in force was created.");
		fprintf(t->out, "scanwall_bundle_age_seconds %" PRIu64 "\n",
			(uint64_t)now - t->bundle_installed);
	}
}

static void met_self(struct mgmt *m, struct met *t, int up)
{
	struct mgmt_syslog_stats ss = { 0 };

	met_family(t, "scanwall_mgmt_control_up", "gauge",
		   "1 when scanwalld's control socket answered this scrape.");
	fprintf(t->out, "scanwall_mgmt_control_up %d\n", up);
	met_family(t, "scanwall_mgmt_requests_total", "counter", "HTTP requests served.");
	fprintf(t->out, "scanwall_mgmt_requests_total %" PRIu64 "\n", m->st.requests);
	met_family(t, "scanwall_mgmt_refusals_total", "counter", "Requests refused, by status.");
	for (size_t i = 0; i < MGMT_REFUSALS; i++)
		fprintf(t->out, "scanwall_mgmt_refusals_total{status=\"%d\"} %" PRIu64 "\n",
			mgmt_refusal_codes[i], m->st.refused[i]);
	met_family(t, "scanwall_mgmt_tls_failures_total", "counter",
		   "TLS handshakes refused (no, unknown, revoked or expired certificate, protocol).");
	fprintf(t->out, "scanwall_mgmt_tls_failures_total %" PRIu64 "\n",
		m->st.handshake_failures + m->st.unknown_certs);
	met_family(t, "scanwall_mgmt_connections_total", "counter", "Connections accepted.");
	fprintf(t->out, "scanwall_mgmt_connections_total %" PRIu64 "\n", m->st.connections);
	met_family(t, "scanwall_mgmt_resumed_total", "counter",
		   "Handshakes that resumed a session from a ticket.");
	fprintf(t->out, "scanwall_mgmt_resumed_total %" PRIu64 "\n", m->st.resumed);
	met_family(t, "scanwall_mgmt_timeouts_total", "counter",
		   "Connections closed at a deadline, by what they were waiting for.");
	for (unsigned i = 0; i < MGMT_PHASES; i++)
		fprintf(t->out, "scanwall_mgmt_timeouts_total{phase=\"%s\"} %" PRIu64 "\n",
			mgmt_phase_name(i), m->st.timeouts[i]);
	met_family(t, "scanwall_mgmt_turned_away_total", "counter",
		   "Connections closed before they were served, by reason.");
	for (unsigned i = 0; i < AWAY__COUNT; i++)
		fprintf(t->out, "scanwall_mgmt_turned_away_total{reason=\"%s\"} %" PRIu64 "\n",
			mgmt_away_name(i), m->st.away[i]);
	met_family(t, "scanwall_mgmt_connections", "gauge", "Connections now, by state.");
	fprintf(t->out, "scanwall_mgmt_connections{state=\"waiting\"} %u\n"
		"scanwall_mgmt_connections{state=\"handshake\"} %u\n"
		"scanwall_mgmt_connections{state=\"session\"} %u\n",
		m->now.waiting, m->now.startups, m->now.sessions);
	if (m->crl.d.loaded) {
		met_family(t, "scanwall_mgmt_crl_revoked", "gauge",
			   "Certificates the CRLs in force revoke (every --crl file).");
		fprintf(t->out, "scanwall_mgmt_crl_revoked %u\n", m->crl.d.revoked);
		met_family(t, "scanwall_mgmt_crl_stale", "gauge",
			   "1 when a CRL in force is past its next update.");
		fprintf(t->out, "scanwall_mgmt_crl_stale %d\n", m->crl.d.stale);
		met_family(t, "scanwall_mgmt_crl_reload_failures_total", "counter",
			   "CRL files that could not be read; the list in force stayed.");
		fprintf(t->out, "scanwall_mgmt_crl_reload_failures_total %" PRIu64 "\n",
			m->crl.reload_failures);
	}
	met_family(t, "scanwall_mgmt_log_suppressed_total", "counter",
		   "Log lines held back by the rate limit.");
	fprintf(t->out, "scanwall_mgmt_log_suppressed_total %" PRIu64 "\n", mgmt_log_suppressed());
	if (!m->syslog)
		return;
	mgmt_syslog_stats(m->syslog, &ss);
	met_family(t, "scanwall_syslog_sent_total", "counter", "Events sent to the collector.");
	fprintf(t->out, "scanwall_syslog_sent_total %" PRIu64 "\n", ss.sent);
	met_family(t, "scanwall_syslog_dropped_total", "counter",
		   "Events dropped because the queue was full while the collector was away.");
	fprintf(t->out, "scanwall_syslog_dropped_total %" PRIu64 "\n", ss.dropped);
	met_family(t, "scanwall_syslog_queue_depth", "gauge", "Events waiting to be sent.");
	fprintf(t->out, "scanwall_syslog_queue_depth %u\n", ss.depth);
	met_family(t, "scanwall_syslog_connected", "gauge", "1 while connected to the collector.");
	fprintf(t->out, "scanwall_syslog_connected %d\n", ss.connected);
}

int mgmt_metrics(struct mgmt *m, FILE *out)
{
	struct met t = { .out = out };
	char *ans = NULL;
	struct cj j;
	size_t len;
	int up = 0;

	/* counters: parsed once, walked twice (the associations last) */
	if (mgmt_ctl(m, "counters", &ans, &len) == 0 && cj_parse(&j, ans, len) == 0) {
		if (mj_walk_cj(&j, met_counters_cb, &t) == 0) {
			t.family = NULL;
			mj_walk_cj(&j, met_assoc_cb, &t);
			up = 1;
		}
		cj_free(&j);
	}
	free(ans);
	ans = NULL;
	if (up && mgmt_ctl(m, "status", &ans, &len) == 0)
		mj_walk(ans, len, met_status_cb, &t);
	free(ans);
	if (up)
		met_bundle(m, &t);
	met_self(m, &t, up);
	return 0;
}
