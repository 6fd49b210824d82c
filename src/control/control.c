/* The control socket (control.h, docs/control.md).
 *
 * The server runs on scanwalld's control thread, one loop for every
 * client, so no client may block it: every socket is non-blocking, an
 * answer that does not fit the socket buffer waits in a per-client buffer,
 * a client that sends more than a line's worth without a newline is cut
 * off, and one silent for 250 ms gives its slot up when all are taken.
 * What reads the engine, the events log or the queue runs on the verdict
 * loop through env.call, and only that: a copy, bounded a call (a look at
 * the counters, a slice of the ring, a piece of the flows), whose JSON is
 * written here; only `event` runs whole there (ctl_on_loop). Reading
 * files, compiling, the tools and the bundle store stay here. This is the
 * management path, not the packet path, so it may allocate (answers are
 * built in open_memstream buffers). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control/apply.h"
#include "control/control.h"
#include "control/ctlthread.h"
#include "control/obsnap.h"
#include "datapath/inject.h"
#include "datapath/nfq.h"
#include "scanwall/bootclock.h"
#include "scanwall/dicom.h"
#include "scanwall/engine.h"
#include "scanwall/evlog.h"
#include "scanwall/fileio.h"
#include "scanwall/jsonw.h"
#include "scanwall/flowkey.h"
#include "scanwall/learn.h"
#include "scanwall/policy.h"
#include "scanwall/version.h"

#define CTL_CLIENTS 16
#define CTL_LINE_MAX 1024
#define CTL_FLOWS_MAX 10000
#define CTL_FLOWS_PIECE 500	/* flows the loop copies in one call */
#define CTL_LISTENER UINT32_MAX
#define CTL_IDLE_MS 250	/* a client silent this long may lose its slot */

struct ctl_client {
	int fd;				/* -1: free slot */
	int upload;			/* a file passed with SCM_RIGHTS, -1: none */
	size_t upload_at;		/* in in[]: a byte of the line it came with */
	uint64_t last_ns;		/* last sign of life (CLOCK_MONOTONIC) */
	bool eof;			/* the peer will send no more */
	size_t inlen;
	char in[CTL_LINE_MAX];
	char *out;			/* answers not yet written */
	size_t outlen, outoff;
};

struct control {
	struct control_env env;
	char *path;
	char *policy_path;
	int lfd, epfd;
	uint64_t start_ns;
	struct ctl_client cl[CTL_CLIENTS];
};

/* --- small helpers ------------------------------------------------------- */

/* fn(arg) on the thread that owns the engine, the log and the queue. */
static int ctl_call(struct control *c, void (*fn)(void *arg), void *arg)
{
	if (c->env.call)
		return c->env.call(c->env.ctx, fn, arg);
	fn(arg);
	return 0;
}

static int ctl_error(FILE *out, const char *msg, int err)
{
	fputs("{\"error\":", out);
	jw_str(SB_STREAM(out), msg);
	fputs("}\n", out);
	return err;
}

/* A copy from the loop that failed: no room for it, or the loop stopped. */
static int ctl_copy_error(FILE *out, int err)
{
	return ctl_error(out, err == -ENOMEM ? "out of memory" : "the engine is stopping", err);
}

/* Of the text of the policy in force, NULL when unknown. */
static const char *ctl_sha256(const struct control *c)
{
	return c->env.apply && c->env.apply->sha256[0] ? c->env.apply->sha256 : NULL;
}

/* --- commands ------------------------------------------------------------ */

static const char *const ctl_proto_names[] = {
	[POL_TCP] = "tcp", [POL_UDP] = "udp", [POL_ICMP] = "icmp",
	[POL_ICMPV6] = "icmpv6", [POL_DICOM] = "dicom",
};

static void ctl_reload_event(struct control *c, const char *what)
{
	char reason[160];
	struct sw_event ev = {
		.ts_ns = sw_clock_ns(CLOCK_REALTIME),
		.kind = EV_SYSTEM,
		.reason = reason,
	};

	if (!c->env.evlog)
		return;
	snprintf(reason, sizeof(reason), "%s", what);
	evlog_write(c->env.evlog, &ev, sw_clock_ns(CLOCK_MONOTONIC));
}

/* What `status` and a reload's answer read of the loop's state, copied
 * there in one call (ctl_look); the JSON is written here, off the loop. */
struct ctl_look {
	struct control *c;
	struct eng_counters n;
	struct evlog_counters ev;
	uint64_t ev_last;
	unsigned rules;
	int def;		/* the policy's default action; -1: no policy */
	const char *event;	/* written into the log first, when not NULL */
};

static void ctl_look_here(void *arg)
{
	struct ctl_look *k = arg;
	const struct pol *pol = eng_policy(k->c->env.eng);
	const struct evlog *log = k->c->env.evlog;

	if (k->event)
		ctl_reload_event(k->c, k->event);
	k->n = *eng_counters(k->c->env.eng);
	k->rules = pol ? pol_rule_count(pol) : 0;
	k->def = pol ? (int)pol_default_action(pol) : -1;
	if (log) {
		k->ev = evlog_counters(log);
		k->ev_last = evlog_last_seq(log);
	}
}

static int ctl_look(struct control *c, struct ctl_look *k)
{
	k->c = c;
	return ctl_call(c, ctl_look_here, k);
}

static void ctl_policy_obj(struct control *c, const struct ctl_look *k, FILE *out)
{
	fputs("{\"path\":", out);
	jw_str(SB_STREAM(out), c->policy_path);
	fputs(",\"sha256\":", out);
	jw_str(SB_STREAM(out), ctl_sha256(c));
	if (k->def >= 0)
		fprintf(out, ",\"rules\":%u,\"default\":\"%s\"", k->rules,
			pol_action_name((enum pol_action)k->def));
	fputc('}', out);
}

static void ctl_evlog_obj(struct control *c, const struct ctl_look *k, FILE *out)
{
	const struct jw_u64 tab[] = {
		{ "last_seq", k->ev_last }, { "written", k->ev.written },
		{ "suppressed", k->ev.suppressed }, { "write_errors", k->ev.write_errors },
		{ "too_long", k->ev.too_long }, { "rotations", k->ev.rotations },
		{ "file_bytes", k->ev.file_bytes }, { "file_dropped", k->ev.file_dropped },
	};

	if (c->env.evlog)
		JW_U64_OBJ(SB_STREAM(out), tab);
	else
		fputs("null", out);
}

static int cmd_status(struct control *c, int argc, char **argv, FILE *out)
{
	struct ctl_look k = { 0 };
	int err = ctl_look(c, &k);

	if (err)
		return ctl_error(out, "the engine is stopping", err);
	fputs("{\"version\":", out);
	jw_str(SB_STREAM(out), c->env.version ? c->env.version : SW_VERSION);
	jw_ku64(SB_STREAM(out), ",", "pid", (uint64_t)getpid());
	jw_ku64(SB_STREAM(out), ",", "uptime_s", (sw_clock_ns(CLOCK_MONOTONIC) - c->start_ns) / 1000000000u);
	fputs(",\"policy\":", out);
	ctl_policy_obj(c, &k, out);
	jw_ku64(SB_STREAM(out), ",", "packets", k.n.packets);
	jw_ku64(SB_STREAM(out), ",", "accepted", k.n.accepted);
	jw_ku64(SB_STREAM(out), ",", "dropped", k.n.dropped);
	jw_ku64(SB_STREAM(out), ",", "settled", k.n.settled);
	jw_ku64(SB_STREAM(out), ",", "flows_live", k.n.flows_live);
	fputs(",\"events\":", out);
	ctl_evlog_obj(c, &k, out);
	fputs("}\n", out);
	return 0;
}

static void ctl_engine_obj(const struct eng_counters *n, FILE *out)
{
	const struct jw_u64 tab[] = {
		{ "packets", n->packets }, { "accepted", n->accepted },
		{ "dropped", n->dropped }, { "held", n->held },
		{ "settled", n->settled }, { "injected", n->injected },
		{ "flows_live", n->flows_live }, { "flows_new", n->flows_new },
		{ "flows_expired", n->flows_expired },
		{ "flows_table_full", n->flows_table_full },
		{ "parse_errors", n->parse_errors },
		{ "tcp_out_of_window", n->tcp_out_of_window },
		{ "tcp_parked", n->tcp_parked },
		{ "tcp_park_full", n->tcp_park_full },
		{ "tcp_unverifiable", n->tcp_unverifiable }, { "tcp_resent", n->tcp_resent },
		{ "tcp_retransmitted", n->tcp_retransmitted },
		{ "syn_capped", n->syn_capped }, { "syn_early_drop", n->syn_early_drop },
		{ "dgram_forgotten", n->dgram_forgotten },
		{ "settled_forgotten", n->settled_forgotten },
		{ "handshake_mismatch", n->handshake_mismatch },
		{ "assoc_artim", n->assoc_artim }, { "assoc_retired", n->assoc_retired },
		{ "assoc_unproven", n->assoc_unproven },
		{ "answers_limited", n->answers_limited },
	};

	JW_U64_OBJ(SB_STREAM(out), tab);
}

/* `counters`: what the look takes, and the rules' hits, the queue's and
 * the injection's counters, copied on the loop in one call into room made
 * here (a look before says how many rules). The policy's rules themselves
 * are read here: a compiled policy does not change, and the one in force
 * is only ever swapped by this thread's own apply path, so it stays while
 * the answer is written. */
struct ctl_tally {
	struct ctl_look look;
	const struct pol *pol;
	uint64_t *hits;		/* room for look.rules */
	uint64_t dflt_hits;
	struct nfqueue_counters q;
	struct inject_counters in;
	bool have_q, have_in;
};

static void ctl_tally_here(void *arg)
{
	struct ctl_tally *t = arg;
	struct control *c = t->look.c;
	unsigned room = t->look.rules;
	const struct nfqueue_counters *q = c->env.queue ? c->env.queue(c->env.ctx) : NULL;
	const struct inject_counters *in = c->env.inject ? c->env.inject(c->env.ctx) : NULL;

	ctl_look_here(&t->look);
	t->pol = eng_policy(c->env.eng);
	/* the policy cannot change between the look and the tally (only the
	 * control thread swaps it); never past the room all the same */
	if (t->look.rules > room)
		t->look.rules = room;
	for (unsigned i = 0; i < t->look.rules; i++)
		t->hits[i] = eng_rule_hits(c->env.eng, i);
	t->dflt_hits = eng_default_hits(c->env.eng);
	t->have_q = q != NULL;
	t->have_in = in != NULL;
	if (q)
		t->q = *q;
	if (in)
		t->in = *in;
}

static void ctl_rules_arr(const struct ctl_tally *t, FILE *out)
{
	const struct pol *pol = t->pol;
	unsigned count = pol ? t->look.rules : 0;

	fputc('[', out);
	for (unsigned i = 0; i < count; i++) {
		const struct pol_rule *r = pol_rule_at(pol, i);

		fprintf(out, "%s{\"index\":%u,\"line\":%u,\"action\":\"%s\",\"proto\":\"%s\"",
			i ? "," : "", r->index, r->line, pol_action_name(r->action),
			ctl_proto_names[r->proto]);
		jw_ku64(SB_STREAM(out), ",", "hits", t->hits[i]);
		fputs(",\"reason\":", out);
		jw_str(SB_STREAM(out), r->reason);
		fputc('}', out);
	}
	fputc(']', out);
}

/* What NFQUEUE itself saw: what the kernel dropped (ENOBUFS) or we could
 * not judge never reaches the engine's counters. */
static void ctl_queue_obj(const struct nfqueue_counters *q, FILE *out)
{
	const struct jw_u64 tab[] = {
		{ "packets", q->packets }, { "enobufs", q->enobufs },
		{ "verdicts", q->verdicts }, { "send_errors", q->send_errors },
		{ "malformed", q->malformed }, { "truncated", q->truncated },
		{ "engine_errors", q->engine_errors }, { "revoked", q->revoked },
	};

	fputs(",\"queue\":", out);
	JW_U64_OBJ(SB_STREAM(out), tab);
}

/* What became of the answers the engine crafted (its `injected`): sent out
 * of a bridge port, or not, and why. */
static void ctl_inject_obj(const struct inject_counters *in, FILE *out)
{
	const struct jw_u64 tab[] = {
		{ "sent", in->sent }, { "no_port", in->no_port },
		{ "too_big", in->too_big }, { "errors", in->errors },
	};

	fputs(",\"inject\":", out);
	JW_U64_OBJ(SB_STREAM(out), tab);
}

/* The look first, for the room the rules' hits need, then the tally. */
static int ctl_tally(struct control *c, struct ctl_tally *t)
{
	int err = ctl_look(c, &t->look);

	if (err)
		return err;
	t->hits = calloc(t->look.rules + 1u, sizeof(*t->hits));
	return t->hits ? ctl_call(c, ctl_tally_here, t) : -ENOMEM;
}

static void ctl_counters_json(struct control *c, const struct ctl_tally *t, FILE *out)
{
	const struct eng_counters *n = &t->look.n;
	const struct pol *pol = t->pol;

	fputs("{\"engine\":", out);
	ctl_engine_obj(n, out);
	fputs(",\"events\":", out);
	for (int k = 0; k < EV__COUNT; k++)
		jw_ku64(SB_STREAM(out), k ? "," : "{", ev_kind_name(k), n->assoc[k]);
	fputs("},\"faults\":", out);
	for (int f = DCM_OK + 1; f < DCM_FAULT__COUNT; f++)
		jw_ku64(SB_STREAM(out), f > DCM_OK + 1 ? "," : "{", dcm_fault_name(f), n->fault[f]);
	fputs("},\"rules\":", out);
	ctl_rules_arr(t, out);
	fprintf(out, ",\"default\":{\"action\":\"%s\"",
		pol ? pol_action_name(pol_default_action(pol)) : "block");
	jw_ku64(SB_STREAM(out), ",", "hits", t->dflt_hits);
	fputs("},\"evlog\":", out);
	ctl_evlog_obj(c, &t->look, out);
	if (t->have_q)
		ctl_queue_obj(&t->q, out);
	if (t->have_in)
		ctl_inject_obj(&t->in, out);
	fputs("}\n", out);
}

/* A flow as copied on the loop, its AE titles with it (their buffers are
 * the engine's); the JSON is written afterwards, off the loop. */
struct ctl_flow_row {
	struct eng_flow_info f;
	char ae[2][17];
};

struct ctl_flows {
	struct eng *eng;
	struct ctl_flow_row *rows;
	unsigned slot;		/* the table slot the next piece starts at */
	unsigned n, max;	/* rows taken; rows this piece may reach */
	int stopped;		/* a flow is left at slot */
};

static const char *ctl_ae_copy(char dst[17], const char *src)
{
	if (!src)
		return NULL;
	snprintf(dst, 17, "%s", src);
	return dst;
}

static int ctl_flow_cb(void *ctx, const struct eng_flow_info *f)
{
	struct ctl_flows *fl = ctx;
	struct ctl_flow_row *r;

	if (fl->n >= fl->max)
		return 1;
	r = &fl->rows[fl->n++];
	r->f = *f;
	r->f.calling_ae = ctl_ae_copy(r->ae[0], f->calling_ae);
	r->f.called_ae = ctl_ae_copy(r->ae[1], f->called_ae);
	return 0;
}

/* On the loop: one piece of the copy, nothing more. */
static void ctl_flows_here(void *arg)
{
	struct ctl_flows *fl = arg;

	fl->stopped = eng_foreach_flow_from(fl->eng, &fl->slot, ctl_flow_cb, fl);
}

static void ctl_flow_json(FILE *out, const struct eng_flow_info *f, bool first)
{
	char a[64];

	fprintf(out, "%s{\"proto\":\"%s\",\"src\":", first ? "" : ",",
		flowkey_proto_name(f->key.proto));
	jw_str(SB_STREAM(out), flowkey_addr_str(f->key.af, f->key.src, a, sizeof(a)));
	fprintf(out, ",\"sport\":%u,\"dst\":", f->key.sport);
	jw_str(SB_STREAM(out), flowkey_addr_str(f->key.af, f->key.dst, a, sizeof(a)));
	fprintf(out, ",\"dport\":%u,\"state\":", f->key.dport);
	jw_str(SB_STREAM(out), f->state);
	if (f->rule_line > 0)
		fprintf(out, ",\"rule\":%d", f->rule_line);
	else
		fputs(",\"rule\":null", out);
	jw_ku64(SB_STREAM(out), ",", "first_ns", f->first_ns);
	jw_ku64(SB_STREAM(out), ",", "last_ns", f->last_ns);
	jw_ku64(SB_STREAM(out), ",", "packets", f->packets);
	fputs(",\"calling_ae\":", out);
	jw_str(SB_STREAM(out), f->calling_ae);
	fputs(",\"called_ae\":", out);
	jw_str(SB_STREAM(out), f->called_ae);
	fputc('}', out);
}

static int ctl_parse_u64(const char *s, uint64_t *v);

/* `flows [from N] [count M]`: one page, so that no answer grows with the
 * table. N is where the page starts in the table: 0, then the previous
 * page's `next`. The loop copies the page in pieces of CTL_FLOWS_PIECE
 * flows, each one call, and the JSON is written here, off the loop. A
 * flow that comes or goes meanwhile may be missed or listed twice. */
static int cmd_flows(struct control *c, int argc, char **argv, FILE *out)
{
	struct ctl_flows fl = { .eng = c->env.eng };
	uint64_t from = 0, v, count = CTL_FLOWS_MAX;
	int err;

	for (int i = 1; i < argc; i += 2) {
		if (i + 1 == argc || ctl_parse_u64(argv[i + 1], &v) ||
		    (strcmp(argv[i], "from") && strcmp(argv[i], "count")) ||
		    (!strcmp(argv[i], "count") && (v == 0 || v > CTL_FLOWS_MAX)))
			return ctl_error(out, "usage: flows [from N] [count 1..10000]", -EINVAL);
		if (!strcmp(argv[i], "from"))
			from = v;
		else
			count = v;
	}
	fl.slot = from > UINT32_MAX ? UINT32_MAX : (unsigned)from;
	/* touched here, so that the loop does not take its page faults */
	fl.rows = malloc(count * sizeof(*fl.rows));
	if (!fl.rows)
		return ctl_error(out, "out of memory", -ENOMEM);
	memset(fl.rows, 0, count * sizeof(*fl.rows));
	do {
		fl.max = fl.n + CTL_FLOWS_PIECE < count ? fl.n + CTL_FLOWS_PIECE : (unsigned)count;
		err = ctl_call(c, ctl_flows_here, &fl);
	} while (!err && fl.stopped && fl.n < count);
	if (err) {
		ctl_error(out, "the engine is stopping", err);
		goto out_free;
	}
	fputs("{\"flows\":[", out);
	for (unsigned i = 0; i < fl.n; i++)
		ctl_flow_json(out, &fl.rows[i].f, i == 0);
	fprintf(out, "],\"count\":%u,\"from\":%" PRIu64 ",\"next\":", fl.n, from);
	if (fl.stopped)
		fprintf(out, "%u", fl.slot);
	else
		fputs("null", out);
	fprintf(out, ",\"truncated\":%s}\n", fl.stopped ? "true" : "false");
out_free:
	free(fl.rows);
	return err;
}

/* `events`: the ring's lines are copied on the loop a slice at a time
 * (CTLTHREAD_SLICE bytes, one call each) into a buffer grown and touched
 * here, and the answer is written here from the copy. It ends at the
 * newest line when its first slice was taken: a flood meanwhile cannot
 * make it grow without end. A flood that overwrote the lines the next
 * slice was to take ends it at the last line copied, its last_seq: an
 * answer's lines are always consecutive (clients number them from
 * first_seq), and the next `events since` shows the loss as any other
 * (first_seq beyond N+1). */
struct ctl_events {
	const struct evlog *log;
	char *buf;		/* the lines, each with its newline */
	size_t len, end;	/* bytes copied; where this slice must stop */
	uint64_t since;		/* the next slice starts above it */
	uint64_t upto;		/* the newest line when the first slice was taken */
	uint64_t first;		/* the first line's number; 0: none */
	unsigned n;
	bool more;
	bool gap;		/* the ring overwrote the next line: stop there */
};

static int ctl_event_cb(void *ctx, uint64_t seq, const char *line, size_t len)
{
	struct ctl_events *ev = ctx;

	if (seq > ev->upto)
		return 1;
	if (ev->first && seq != ev->since + 1) {
		ev->gap = true;
		return 1;
	}
	if (len > ev->end - ev->len) {
		ev->more = true;
		return 1;
	}
	memcpy(ev->buf + ev->len, line, len);
	ev->len += len;
	ev->since = seq;
	ev->first = ev->first ?: seq;
	ev->n++;
	return 0;
}

/* On the loop: one slice of the copy, nothing more. */
static void ctl_events_here(void *arg)
{
	struct ctl_events *ev = arg;

	/* 0 after the first slice: the ring was empty, and no slice follows */
	if (!ev->upto)
		ev->upto = evlog_last_seq(ev->log);
	ev->more = false;
	evlog_since(ev->log, ev->since, ctl_event_cb, ev);
}

/* Room for one more slice, its pages touched here so that the loop only
 * copies. */
static int ctl_events_grow(struct ctl_events *ev)
{
	char *p = realloc(ev->buf, ev->len + CTLTHREAD_SLICE);

	if (!p)
		return -ENOMEM;
	ev->buf = p;
	ev->end = ev->len + CTLTHREAD_SLICE;
	memset(ev->buf + ev->len, 0, CTLTHREAD_SLICE);
	return 0;
}

static int ctl_events_copy(struct control *c, struct ctl_events *ev)
{
	size_t had;
	int err;

	if (!ev->log)
		return 0;
	do {
		had = ev->len;
		err = ctl_events_grow(ev) ?: ctl_call(c, ctl_events_here, ev);
	} while (!err && ev->more && ev->len > had);
	return err;
}

static int ctl_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static int cmd_events(struct control *c, int argc, char **argv, FILE *out)
{
	struct ctl_events ev = { .log = c->env.evlog };
	const char *line, *nl;
	size_t at;
	int err;

	if (!(argc == 1 || (argc == 3 && strcmp(argv[1], "since") == 0 &&
			    !ctl_parse_u64(argv[2], &ev.since))))
		return ctl_error(out, "usage: events [since N]", -EINVAL);
	err = ctl_events_copy(c, &ev);
	if (err) {
		ctl_copy_error(out, err);
		goto out_free;
	}
	/* The ring holds ev_json() lines: objects already, and a newline. */
	fputs("{\"events\":[", out);
	for (at = 0; at < ev.len; at += (size_t)(nl - line) + 1) {
		line = ev.buf + at;
		nl = memchr(line, '\n', ev.len - at);
		if (!nl)
			break;
		fprintf(out, "%s%.*s", at ? "," : "", (int)(nl - line), line);
	}
	jw_ku64(SB_STREAM(out), "],", "count", ev.n);
	jw_ku64(SB_STREAM(out), ",", "first_seq", ev.first);
	jw_ku64(SB_STREAM(out), ",", "last_seq", ev.gap ? ev.since : ev.upto);
	fputs("}\n", out);
out_free:
	free(ev.buf);
	return err;
}

/* Writes each "file:line:col: message" line of the parser as a string. */
static void ctl_errors_arr(const char *diag, FILE *out)
{
	char *copy = strdup(diag ? diag : ""), *save = NULL, *line;
	int n = 0;

	fputc('[', out);
	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		fputs(n++ ? "," : "", out);
		jw_str(SB_STREAM(out), line);
	}
	fputc(']', out);
	free(copy);
}

/* --- which thread ------------------------------------------------------- */

struct ctl_job {
	struct control *c;
	int (*run)(struct control *c, int argc, char **argv, FILE *out);
	int argc;
	char **argv;
	FILE *out;
	int ret;
};

static void ctl_job_here(void *arg)
{
	struct ctl_job *k = arg;

	k->ret = k->run(k->c, k->argc, k->argv, k->out);
}

/* The engine, the events log and the queue belong to the verdict loop:
 * what reads or writes them runs there (env.call), between two batches,
 * and only that; reading files, compiling, the tools and the bundle store
 * stay on the caller's thread. */
static int ctl_on_loop(struct control *c, int (*run)(struct control *c, int argc, char **argv,
						      FILE *out),
		       int argc, char **argv, FILE *out)
{
	struct ctl_job k = { c, run, argc, argv, out, 0 };
	int err = ctl_call(c, ctl_job_here, &k);

	return err ? ctl_error(out, "the engine is stopping", err) : k.ret;
}

/* The end of a reload: the event says what happened (written on the
 * loop, with the look at the policy in force), the answer names that
 * policy. err is the apply's result, diag its diagnostics. */
static int ctl_reload_answer(struct control *c, int err, const char *diag, FILE *out)
{
	char msg[128];
	struct ctl_look k = { .event = msg };
	int cerr;

	if (err)
		snprintf(msg, sizeof(msg), "policy reload refused: %s, old policy kept",
			 err == -EINVAL ? "errors" : strerror(-err));
	else
		snprintf(msg, sizeof(msg), "policy reloaded, sha256 %.16s", ctl_sha256(c));
	cerr = ctl_look(c, &k);
	if (cerr)
		return ctl_error(out, "the engine is stopping", cerr);
	fprintf(out, "{\"ok\":%s", err ? "false" : "true");
	if (err) {
		fputs(",\"errors\":", out);
		ctl_errors_arr(diag ? diag : strerror(-err), out);
	} else if (diag && *diag) {
		/* in force, but not all done: what the conntrack sweep could not */
		fputs(",\"warnings\":", out);
		ctl_errors_arr(diag, out);
	}
	fputs(",\"policy\":", out);
	ctl_policy_obj(c, &k, out);
	fputs("}\n", out);
	return err;
}

/* policy_apply() into a memstream, so that every error is answered, not
 * only the first; the engine only ever sees a policy that compiled whole
 * and whose ruleset the kernel took. On the control thread: the file, the
 * compiler and the tools never hold up the verdict loop. SIGHUP comes here
 * too (control_reload). */
static int cmd_reload(struct control *c, int argc, char **argv, FILE *out)
{
	const char *locked = c->env.reload_locked ? c->env.reload_locked(c->env.ext_ctx) : NULL;
	char *text = NULL, *diag = NULL;
	size_t len, dlen = 0;
	FILE *dfp;
	int err;

	if (locked)
		return ctl_error(out, locked, -EPERM);
	if (!c->policy_path || !c->env.apply)
		return ctl_error(out, "no policy file", -ENOENT);
	err = sw_read_file(c->policy_path, APPLY_POLICY_MAX, &text, &len);
	if (err)
		return ctl_error(out, strerror(-err), err);
	dfp = open_memstream(&diag, &dlen);
	err = dfp ? policy_apply(c->env.apply, c->policy_path, text, len, dfp) : -ENOMEM;
	if (dfp)
		fclose(dfp);
	free(text);
	err = ctl_reload_answer(c, err, diag, out);
	free(diag);
	return err;
}

int control_reload(struct control *c, FILE *out)
{
	return cmd_reload(c, 1, (char *[]){ "reload", NULL }, out);
}

/* The policy in force compiled again here, from its text (apply.h keeps
 * it): the engine's copy is the loop's. NULL when there is none. */
static struct pol *ctl_policy_copy(const struct control *c)
{
	const struct apply *a = c->env.apply;

	return a && a->text ? pol_parse("policy", a->text, a->len, NULL) : NULL;
}

/* The policy in force, normalized (the management plane's GET /policy),
 * printed off the loop. */
static int cmd_policy(struct control *c, int argc, char **argv, FILE *out)
{
	struct pol *pol = ctl_policy_copy(c);
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	if (!pol)
		return ctl_error(out, "no policy in force", -ENOENT);
	mem = open_memstream(&text, &len);
	if (!mem) {
		pol_free(pol);
		return ctl_error(out, "out of memory", -ENOMEM);
	}
	pol_print(pol, mem);
	fclose(mem);
	pol_free(pol);
	fputs("{\"sha256\":", out);
	jw_str(SB_STREAM(out), ctl_sha256(c));
	fputs(",\"text\":", out);
	jw_str(SB_STREAM(out), text ? text : "");
	fputs("}\n", out);
	free(text);
	return 0;
}

/* The observation table and the policy proposed from it
 * (docs/commissioning.md), written here from the copy obsnap.c makes of
 * it: the loop only copies, a slice at a time. */
static int ctl_obs_take(struct control *c, FILE *out)
{
	int err = c->env.obs ? obsnap_take(c->env.obs) : -ENOENT;

	return err ? ctl_error(out, err == -ENOENT ? "not observing" : strerror(-err), err) : 0;
}

static int cmd_observed(struct control *c, int argc, char **argv, FILE *out)
{
	return ctl_obs_take(c, out) ?: lrn_json(obsnap_table(c->env.obs), out);
}

/* The policy in force is the template. */
static int cmd_proposal(struct control *c, int argc, char **argv, FILE *out)
{
	struct pol *tmpl = ctl_policy_copy(c);
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int err = ctl_obs_take(c, out);

	if (err)
		goto out_free;
	mem = open_memstream(&text, &len);
	err = mem ? lrn_propose(obsnap_table(c->env.obs), tmpl, mem, mem) : -ENOMEM;
	if (mem && fclose(mem) && !err)
		err = -ENOMEM;
	if (err) {
		ctl_error(out, strerror(-err), err);
		goto out_free;
	}
	fputs("{\"text\":", out);
	jw_str(SB_STREAM(out), text);
	fputs("}\n", out);
out_free:
	free(text);
	pol_free(tmpl);
	return err;
}

/* The kernel's share of the rules' hits is read first, on this thread (a
 * helper process, nft); the answer is written here from the tally. */
static int cmd_counters(struct control *c, int argc, char **argv, FILE *out)
{
	struct ctl_tally t = { 0 };
	int err;

	if (c->env.counters_sync)
		c->env.counters_sync(c->env.ctx);
	err = ctl_tally(c, &t);
	if (err)
		ctl_copy_error(out, err);
	else
		ctl_counters_json(c, &t, out);
	free(t.hits);
	return err;
}

static int cmd_help(struct control *c, int argc, char **argv, FILE *out);

static const struct ctl_cmd {
	const char *name;
	int (*run)(struct control *c, int argc, char **argv, FILE *out);
	const char *usage;
	bool here;		/* runs on the caller's thread, not the loop's */
} ctl_cmds[] = {
	{ "status", cmd_status, "status", true },
	{ "counters", cmd_counters, "counters", true },
	{ "flows", cmd_flows, "flows [from N] [count M]", true },
	{ "events", cmd_events, "events [since N]", true },
	{ "reload", cmd_reload, "reload", true },
	{ "policy", cmd_policy, "policy", true },
	{ "observed", cmd_observed, "observed", true },
	{ "proposal", cmd_proposal, "proposal", true },
	{ "event", NULL, "event TEXT" },
	{ "help", cmd_help, "help", true },
};

static int cmd_help(struct control *c, int argc, char **argv, FILE *out)
{
	fputs("{\"commands\":[", out);
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		fputs(i ? "," : "", out);
		jw_str(SB_STREAM(out), ctl_cmds[i].usage);
	}
	for (unsigned i = 0; i < c->env.n_ext; i++) {
		fputs(",", out);
		jw_str(SB_STREAM(out), c->env.ext[i].usage);
	}
	fputs("]}\n", out);
	return 0;
}

#define CTL_ARGS 6

/* Splits on blanks; more than CTL_ARGS words is an error, not a silent cut. */
static int ctl_split(char *line, char **argv)
{
	char *save = NULL, *w;
	int argc = 0;

	for (w = strtok_r(line, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
		if (argc == CTL_ARGS)
			return -E2BIG;
		argv[argc++] = w;
	}
	return argc;
}

#define CTL_EVENT_MAX 200

/* `event TEXT`: another local program's event (the console's logins and
 * commits) in the engine's log, so that every reader of events (the file,
 * `events`, the management plane and its syslog export) sees it. The text
 * is kept whole, not split in words; only printable ASCII is taken. */
static int cmd_event(struct control *c, const char *text, FILE *out)
{
	char reason[CTL_EVENT_MAX + 1];
	struct sw_event ev = { .kind = EV_SYSTEM, .reason = reason };
	size_t n = strlen(text);

	if (!n)
		return ctl_error(out, "event needs text: event TEXT (1 to 200 characters)", -EINVAL);
	if (n > CTL_EVENT_MAX)
		return ctl_error(out, "usage: event TEXT (1 to 200 characters)", -EINVAL);
	for (size_t i = 0; i <= n; i++) {
		if (i < n && (text[i] < 0x20 || text[i] > 0x7e))
			return ctl_error(out, "event text must be printable ASCII", -EINVAL);
		reason[i] = text[i];
	}
	if (!c->env.evlog)
		return ctl_error(out, "no event log", -ENOENT);
	ev.ts_ns = sw_clock_ns(CLOCK_REALTIME);
	evlog_write(c->env.evlog, &ev, sw_clock_ns(CLOCK_MONOTONIC));
	fputs("{\"ok\":true}\n", out);
	return 0;
}

static int cmd_event_run(struct control *c, int argc, char **argv, FILE *out)
{
	return cmd_event(c, argv[0], out);
}

/* Whether the command of line is one that takes a passed file
 * (control_cmd.takes_file): only those are given one. */
static bool ctl_takes_file(const struct control *c, const char *line)
{
	size_t n = strcspn(line, " \t\r");

	for (unsigned i = 0; i < c->env.n_ext; i++)
		if (c->env.ext[i].takes_file && strlen(c->env.ext[i].name) == n &&
		    strncmp(line, c->env.ext[i].name, n) == 0)
			return true;
	return false;
}

int control_exec(struct control *c, const char *line, FILE *out)
{
	return control_exec_fd(c, line, -1, out);
}

int control_exec_fd(struct control *c, const char *line, int upload, FILE *out)
{
	char buf[CTL_LINE_MAX], *argv[CTL_ARGS];
	int argc;

	if (strlen(line) >= sizeof(buf))
		return ctl_error(out, "line too long", -E2BIG);
	if (upload >= 0 && !ctl_takes_file(c, line))
		return ctl_error(out, "a file came with a command that takes none", -EBADF);
	/* the text is kept whole, not split in words ("event" alone: no text) */
	if (strncmp(line, "event", 5) == 0 && (line[5] == ' ' || !line[5]))
		return ctl_on_loop(c, cmd_event_run, 1, (char *[]){ (char *)line + 5 + !!line[5] }, out);
	strcpy(buf, line);
	argc = ctl_split(buf, argv);
	if (argc < 0)
		return ctl_error(out, "too many words", argc);
	if (argc == 0)
		return ctl_error(out, "empty command", -EINVAL);
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		if (strcmp(argv[0], ctl_cmds[i].name) == 0 && ctl_cmds[i].run)
			return ctl_cmds[i].here ? ctl_cmds[i].run(c, argc, argv, out)
						: ctl_on_loop(c, ctl_cmds[i].run, argc, argv, out);
	}
	for (unsigned i = 0; i < c->env.n_ext; i++) {
		if (strcmp(argv[0], c->env.ext[i].name) == 0)
			return c->env.ext[i].run(c->env.ext_ctx, argc, argv, upload, out);
	}
	return ctl_error(out, "unknown command (try help)", -ENOENT);
}

/* --- the server ---------------------------------------------------------- */

static void ctl_drop(struct control *c, struct ctl_client *cl)
{
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	if (cl->upload >= 0)
		close(cl->upload);
	free(cl->out);
	*cl = (struct ctl_client){ .fd = -1, .upload = -1 };
}

static int ctl_watch(struct control *c, struct ctl_client *cl, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)(cl - c->cl) };

	return epoll_ctl(c->epfd, op, cl->fd, &ev) < 0 ? -errno : 0;
}

/* Writes what the socket takes. Returns 1 when all is out, 0 when some
 * waits for EPOLLOUT, -errno when the client is gone. */
static int ctl_flush(struct control *c, struct ctl_client *cl)
{
	while (cl->outoff < cl->outlen) {
		ssize_t w = send(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		/* Only EPOLLOUT while an answer waits: we read nothing more
		 * meanwhile, and a hung-up reader would keep EPOLLIN ready. */
		if (w < 0 && errno == EAGAIN)
			return ctl_watch(c, cl, EPOLLOUT, EPOLL_CTL_MOD) ?: 0;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		cl->outoff += (size_t)w;
		cl->last_ns = sw_clock_ns(CLOCK_MONOTONIC);
	}
	free(cl->out);
	cl->out = NULL;
	cl->outlen = cl->outoff = 0;
	return ctl_watch(c, cl, EPOLLIN, EPOLL_CTL_MOD) ?: 1;
}

/* Runs one complete line from the input buffer into the output buffer.
 * A passed file goes with the line it came with, used or not, and with no
 * other: lines before it were sent before it (a client that pipelines
 * `status` and then `bundle install` must not hand the bundle to
 * `status`). */
static int ctl_run_line(struct control *c, struct ctl_client *cl, char *nl)
{
	FILE *out;
	size_t used = (size_t)(nl - cl->in) + 1;
	bool mine = cl->upload >= 0 && cl->upload_at < used;

	*nl = 0;
	out = open_memstream(&cl->out, &cl->outlen);
	if (!out)
		return -ENOMEM;
	control_exec_fd(c, cl->in, mine ? cl->upload : -1, out);
	if (mine) {
		close(cl->upload);
		cl->upload = -1;
	} else if (cl->upload >= 0) {
		cl->upload_at -= used;
	}
	if (fclose(out))
		return -ENOMEM;
	memmove(cl->in, cl->in + used, cl->inlen - used);
	cl->inlen -= used;
	return 0;
}

/* Answers buffered lines one at a time; stops while an answer waits for
 * the socket, so a client that does not read cannot make us buffer more. */
static int ctl_run_lines(struct control *c, struct ctl_client *cl)
{
	char *nl;
	int ret;

	while (!cl->out && (nl = memchr(cl->in, '\n', cl->inlen))) {
		ret = ctl_run_line(c, cl, nl);
		if (!ret)
			ret = ctl_flush(c, cl);
		if (ret <= 0)
			return ret;
	}
	if (!cl->out && cl->inlen == sizeof(cl->in))
		return -E2BIG;
	return 0;
}

/* A last command without its newline still counts: `printf status | nc -U`. */
static void ctl_eof(struct ctl_client *cl)
{
	cl->eof = true;
	if (cl->inlen && cl->inlen < sizeof(cl->in) && cl->in[cl->inlen - 1] != '\n')
		cl->in[cl->inlen++] = '\n';
}

/* Keeps the one descriptor a client may pass with a line (SCM_RIGHTS:
 * `bundle install`), bound to the line of the last byte this read
 * brought: the kernel ends a read with the bytes a descriptor came with,
 * and ctlclient.c sends it with a line of its own. More than one at a
 * time (in one message, or before the line of the first was run) is not
 * how a client speaks: all are closed and so is the connection
 * (-EPROTO). */
static int ctl_take_fds(struct ctl_client *cl, struct msghdr *mh, size_t last)
{
	int err = mh->msg_flags & MSG_CTRUNC ? -EPROTO : 0;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (cl->upload >= 0 || err) {
				close(fd);
				err = -EPROTO;
				continue;
			}
			cl->upload = fd;
			cl->upload_at = last;
		}
	}
	return err;
}

static int ctl_read(struct control *c, struct ctl_client *cl)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	int ret;

	while (!cl->eof && !cl->out && cl->inlen < sizeof(cl->in)) {
		struct iovec iov = { cl->in + cl->inlen, sizeof(cl->in) - cl->inlen };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		ssize_t r = recvmsg(cl->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r < 0)
			return -errno;
		ret = ctl_take_fds(cl, &mh, cl->inlen + (r ? (size_t)r - 1 : 0));
		if (ret < 0)
			return ret;
		cl->last_ns = sw_clock_ns(CLOCK_MONOTONIC);
		cl->inlen += (size_t)r;
		if (r == 0)
			ctl_eof(cl);
		ret = ctl_run_lines(c, cl);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static void ctl_service(struct control *c, struct ctl_client *cl)
{
	int ret = cl->out ? ctl_flush(c, cl) : 1;

	if (ret > 0)
		ret = ctl_run_lines(c, cl);
	if (ret >= 0)
		ret = ctl_read(c, cl);
	if (ret == -E2BIG) {
		free(cl->out);
		cl->out = NULL;
		send(cl->fd, "{\"error\":\"line too long\"}\n", 26, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	if (ret < 0 || (cl->eof && !cl->out))
		ctl_drop(c, cl);
}

/* The mode of the socket already keeps others out; the credential check
 * holds even if someone loosens the mode or the directory. */
static bool ctl_peer_allowed(const struct control *c, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || (c->env.extra_uid != (uid_t)-1 && cred.uid == c->env.extra_uid);
}

static struct ctl_client *ctl_free_slot(struct control *c)
{
	for (int i = 0; i < CTL_CLIENTS; i++) {
		if (c->cl[i].fd < 0)
			return &c->cl[i];
	}
	return NULL;
}

/* All slots taken: the client silent for longest gives its slot up, if it
 * has been silent for CTL_IDLE_MS, so clients that connect and never
 * finish a line cannot lock the others out. */
static struct ctl_client *ctl_evict_idle(struct control *c, uint64_t now)
{
	struct ctl_client *old = NULL;

	for (int i = 0; i < CTL_CLIENTS; i++)
		if (!old || c->cl[i].last_ns < old->last_ns)
			old = &c->cl[i];
	if (!old || now - old->last_ns < CTL_IDLE_MS * 1000000ull)
		return NULL;
	ctl_drop(c, old);
	return old;
}

static void ctl_refuse(int fd, const char *msg)
{
	send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void ctl_accept(struct control *c)
{
	struct ctl_client *cl;
	uint64_t now;
	int fd;

	while ((fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		now = sw_clock_ns(CLOCK_MONOTONIC);
		if (!ctl_peer_allowed(c, fd)) {
			ctl_refuse(fd, "{\"error\":\"permission denied\"}\n");
			continue;
		}
		cl = ctl_free_slot(c) ?: ctl_evict_idle(c, now);
		if (!cl) {
			ctl_refuse(fd, "{\"error\":\"too many clients\"}\n");
			continue;
		}
		*cl = (struct ctl_client){ .fd = fd, .upload = -1, .last_ns = now };
		if (ctl_watch(c, cl, EPOLLIN, EPOLL_CTL_ADD) < 0)
			ctl_drop(c, cl);
	}
}

void control_handle(struct control *c)
{
	struct epoll_event evs[CTL_CLIENTS + 1];
	int n = epoll_wait(c->epfd, evs, CTL_CLIENTS + 1, 0);

	for (int i = 0; i < n; i++) {
		if (evs[i].data.u32 == CTL_LISTENER)
			ctl_accept(c);
		else if (c->cl[evs[i].data.u32].fd >= 0)
			ctl_service(c, &c->cl[evs[i].data.u32]);
	}
}

int control_fd(const struct control *c)
{
	return c->epfd;
}

/* Replaces a socket left by a killed daemon, but never a file of another
 * kind: a wrong --control path must not delete someone's data. */
static int ctl_unlink_stale(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	return unlink(path) < 0 ? -errno : 0;
}

static int ctl_listen(struct control *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = CTL_LISTENER };
	mode_t old;
	int err;

	if (strlen(c->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, c->path);
	err = ctl_unlink_stale(c->path);
	if (err)
		return err;
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0)
		return -errno;
	/* umask closes the window between bind() and chmod() */
	old = umask(0077);
	err = bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (!err && chmod(c->path, 0600) < 0)
		err = -errno;
	/* The one other user allowed (the management plane's) owns the socket
	 * file: connecting needs write permission on it. SO_PEERCRED still
	 * checks every client. */
	if (!err && c->env.extra_uid != (uid_t)-1 && chown(c->path, c->env.extra_uid, (gid_t)-1) < 0)
		err = -errno;
	if (!err && listen(c->lfd, CTL_CLIENTS) < 0)
		err = -errno;
	if (!err && epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->lfd, &ev) < 0)
		err = -errno;
	return err;
}

struct control *control_open(const char *path, const struct control_env *env)
{
	struct control *c = calloc(1, sizeof(*c));
	int err = -ENOMEM;

	if (!c)
		return NULL;
	c->lfd = c->epfd = -1;
	for (int i = 0; i < CTL_CLIENTS; i++)
		c->cl[i] = (struct ctl_client){ .fd = -1, .upload = -1 };
	c->env = *env;
	c->path = path ? strdup(path) : NULL;
	c->policy_path = env->policy_path ? strdup(env->policy_path) : NULL;
	if ((path && !c->path) || (env->policy_path && !c->policy_path))
		goto out_free;
	c->env.policy_path = c->policy_path;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	err = c->epfd < 0 ? -errno : path ? ctl_listen(c) : 0;
	if (err)
		goto out_free;
	c->start_ns = sw_clock_ns(CLOCK_MONOTONIC);
	return c;

out_free:
	if (c->lfd >= 0)
		unlink(c->path);
	control_close(c);
	errno = -err;
	return NULL;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	for (int i = 0; i < CTL_CLIENTS; i++) {
		if (c->cl[i].fd >= 0)
			ctl_drop(c, &c->cl[i]);
	}
	if (c->lfd >= 0) {
		close(c->lfd);
		unlink(c->path);
	}
	if (c->epfd >= 0)
		close(c->epfd);
	free(c->path);
	free(c->policy_path);
	free(c);
}
