/* The observation table as JSON: what `observed` answers, GET /observed
 * serves and the state directory keeps (observed.json), and the loader
 * that reads it back at start or merges several captures' tables. The
 * file is ours, but it sits on a disk a technician can edit: the whole
 * file is checked before anything of it is added, and one bad value (a
 * string outside printable ASCII, a title or UID the wire would not
 * carry, an unknown command or flag type, a missing field) rejects it
 * whole, naming the record and the field (lrn_load_error). Nothing is
 * repaired. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/bundle.h"
#include "scanwall/catalog.h"
#include "scanwall/cursor.h"
#include "scanwall/dicom.h"
#include "scanwall/fileio.h"
#include "scanwall/flowkey.h"
#include "scanwall/json.h"
#include "scanwall/jsonw.h"
#include "learn_int.h"

#define LRN_FILE_MAX (64u << 20)
#define LRN_WORTH_MAX (1ll << 40)

static void put_addr(FILE *out, const char *key, uint8_t af, const uint8_t *a)
{
	char buf[64];

	fprintf(out, ",\"%s\":", key);
	jw_str(SB_STREAM(out), flowkey_addr_str(af, a, buf, sizeof(buf)));
}

static void put_cmds(FILE *out, const char *key, uint16_t bits)
{
	unsigned n = 0;

	fprintf(out, ",\"%s\":[", key);
	for (uint32_t b = 1; b & DIMSE_ANY; b <<= 1)
		if (bits & b)
			fprintf(out, "%s\"%s\"", n++ ? "," : "", dimse_bit_name(b));
	fputc(']', out);
}

static const struct {
	unsigned flag;
	const char *key;
} class_flags[] = {
	{ LRN_PROPOSED, "proposed" }, { LRN_ACCEPTED, "accepted" }, { LRN_REFUSED, "refused" },
	{ LRN_ROLE_SCU, "role_scu" }, { LRN_ROLE_SCP, "role_scp" },
	{ LRN_ROLE_SCU_AC, "role_scu_accepted" }, { LRN_ROLE_SCP_AC, "role_scp_accepted" },
};
#define NFLAGS (sizeof(class_flags) / sizeof(class_flags[0]))

/* Only the flags that are set: a full table is thousands of classes, and
 * the loader takes a missing flag for false. */
static void put_flags(FILE *out, unsigned flags, unsigned nflags)
{
	for (unsigned i = 0; i < nflags; i++)
		if (flags & class_flags[i].flag)
			fprintf(out, ",\"%s\":true", class_flags[i].key);
}

/* A worth as saved: relative to the table's clock, which starts again at 0
 * in the table that loads it (none: as far back as a file may say), and
 * within what ld_worth() takes: a loaded worth at the top that is added to
 * (another entry of the same record) would otherwise be saved past it,
 * and the next load would refuse the whole file. */
static int64_t put_worth(const struct lrn *t, int64_t worth)
{
	if (worth == LRN_WORTH_NONE || worth - t->now < -LRN_WORTH_MAX)
		return -LRN_WORTH_MAX;
	return worth - t->now > LRN_WORTH_MAX ? LRN_WORTH_MAX : worth - t->now;
}

static void put_rel(const struct lrn *t, const struct lrn_rel *r, FILE *out)
{
	unsigned i;

	fprintf(out, "{\"port\":%u", r->port);
	put_addr(out, "initiator", r->af, r->ini);
	put_addr(out, "acceptor", r->af, r->acc);
	fputs(",\"calling_ae\":", out);
	jw_str(SB_STREAM(out), r->calling);
	fputs(",\"called_ae\":", out);
	jw_str(SB_STREAM(out), r->called);
	fprintf(out, ",\"requested\":%" PRIu64 ",\"accepted\":%" PRIu64, r->count[0], r->count[1]);
	fprintf(out, ",\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%" PRIu64, r->bytes[0],
		r->bytes[1]);
	fprintf(out, ",\"first\":%" PRIu64 ",\"last\":%" PRIu64 ",\"classes\":[", r->first_s,
		r->last_s);
	for (i = 0; i < r->nclass; i++) {
		/* UIDs are digits and dots (lrn_uid checks): nothing to escape */
		fprintf(out, "%s{\"uid\":\"%s\"", i ? "," : "", t->uids[r->cls[i].uid]);
		put_flags(out, r->cls[i].flags, NFLAGS);
		put_cmds(out, "commands_sent", r->cls[i].dimse[0]);
		put_cmds(out, "commands_received", r->cls[i].dimse[1]);
		fputc('}', out);
	}
	fputs("],\"transfer_syntaxes\":[", out);
	for (i = 0; i < r->nts; i++) {
		fprintf(out, "%s{\"uid\":\"%s\"", i ? "," : "", t->uids[r->ts[i].uid]);
		put_flags(out, r->ts[i].flags, 2);
		fputc('}', out);
	}
	fprintf(out, "],\"worth\":%" PRId64 ",\"partner\":%s}", put_worth(t, r->worth),
		lrn_pool_tier(&t->relp, (uint32_t)(r - t->rel)) == LRN_PARTNER ? "true" : "false");
}

static void put_flow(const struct lrn *t, const struct lrn_flowrec *f, FILE *out)
{
	fputs("{\"kind\":", out);
	jw_str(SB_STREAM(out), f->kind);
	fputs(",\"proto\":", out);
	jw_str(SB_STREAM(out), flowkey_proto_name(f->proto));
	put_addr(out, "src", f->af, f->src);
	put_addr(out, "dst", f->af, f->dst);
	fprintf(out, ",\"port\":%u,\"rule\":", f->port);
	if (f->rule_line)
		fprintf(out, "%d", f->rule_line);
	else
		fputs("null", out);
	fputs(",\"fault\":", out);
	jw_str(SB_STREAM(out), f->fault[0] ? f->fault : NULL);
	fputs(",\"calling_ae\":", out);
	jw_str(SB_STREAM(out), f->calling[0] ? f->calling : NULL);
	fputs(",\"called_ae\":", out);
	jw_str(SB_STREAM(out), f->called[0] ? f->called : NULL);
	fprintf(out, ",\"count\":%" PRIu64 ",\"first\":%" PRIu64 ",\"last\":%" PRIu64
		",\"worth\":%" PRId64 "}", f->count, f->first_s, f->last_s, put_worth(t, f->worth));
}

int lrn_json(const struct lrn *t, FILE *out)
{
	unsigned i, n = 0;

	fputs("{\"version\":1,\"relations\":[", out);
	for (i = 0; i < t->relp.used; i++) {
		if (!t->rel[i].af)
			continue;	/* left free by an eviction */
		fputs(n++ ? "," : "", out);
		put_rel(t, &t->rel[i], out);
	}
	fputs("],\"flows\":[", out);
	for (i = 0; i < t->flowp.used; i++) {
		fputs(i ? "," : "", out);
		put_flow(t, &t->flow[i], out);
	}
	fprintf(out, "],\"dropped\":{\"relations\":%" PRIu64 ",\"classes\":%" PRIu64
		",\"uids\":%" PRIu64 ",\"flows\":%" PRIu64 "}", t->dropped.relations,
		t->dropped.classes, t->dropped.uids, t->dropped.flows);
	fprintf(out, ",\"evicted\":{\"relations\":%" PRIu64 ",\"flows\":%" PRIu64 "}}\n",
		t->dropped.evicted_relations, t->dropped.evicted_flows);
	return ferror(out) ? -EIO : 0;
}

int lrn_save(const struct lrn *t, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int err;

	if (!mem)
		return -ENOMEM;
	err = lrn_json(t, mem);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (!err)
		err = sw_write_atomic(AT_FDCWD, path, buf, len, 0600, 0);
	free(buf);
	return err;
}

/* --- loading --------------------------------------------------------------- */

/* Two passes over the parsed file: the first (dry) checks every value and
 * adds nothing, the second adds; so a bad file leaves the table as it was. */
struct ld {
	struct lrn *t;
	const struct cj *j;
	bool dry;
	const char *bad;	/* the first field found bad */
};

static int ld_bad(struct ld *l, const char *key)
{
	if (!l->bad)
		l->bad = key;
	return -EBADMSG;
}

/* One escape after its backslash: \" \\ \/ or a \u of printable ASCII
 * (\b \f \n \r \t are control characters). */
static bool ld_printable_escape(struct cur *c)
{
	char hex[5] = "";
	uint8_t ch, cp[2];

	if (cur_u8(c, &ch))
		return false;
	if (ch != 'u')
		return ch && strchr("\"\\/", ch);
	return !cur_copy(c, hex, 4) && !bundle_unhex(hex, cp, 2) && !cp[0] && cp[1] >= 0x20 &&
	       cp[1] < 0x7f;
}

/* What the writer writes: printable ASCII, at most escaped. cj_text would
 * turn anything else into '?', and a title read that way is not the one
 * seen. */
static bool ld_printable(const struct cj *j, int i)
{
	struct cur c;
	uint8_t ch;

	cur_init(&c, j->text + j->tok[i].start, j->tok[i].len);
	while (!cur_u8(&c, &ch))
		if (ch < 0x20 || ch >= 0x7f || (ch == '\\' && !ld_printable_escape(&c)))
			return false;
	return true;
}

static int ld_str(struct ld *l, int obj, const char *key, char *buf, size_t size,
		  bool nullable)
{
	int i = cj_get(l->j, obj, key);
	const struct cj_tok *tk = i >= 0 ? &l->j->tok[i] : NULL;

	if (tk && tk->type == CJ_NULL && nullable) {
		buf[0] = '\0';
		return 0;
	}
	if (!tk || tk->type != CJ_STR || tk->len >= size || !ld_printable(l->j, i))
		return ld_bad(l, key);
	cj_text(l->j, i, buf, size);
	return 0;
}

static int ld_u64(struct ld *l, int obj, const char *key, uint64_t max, uint64_t *v)
{
	int i = cj_get(l->j, obj, key);
	char buf[24], *end;

	if (i < 0 || l->j->tok[i].type != CJ_NUM || l->j->tok[i].len >= sizeof(buf))
		return ld_bad(l, key);
	cj_text(l->j, i, buf, sizeof(buf));
	if (buf[0] < '0' || buf[0] > '9')
		return ld_bad(l, key);
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return errno || *end || *v > max ? ld_bad(l, key) : 0;
}

/* A worth, relative to the clock of the table saved (put_rel); missing in
 * a file from before worths: then as if the count were all seen at load.
 * Either way relative to this table's clock. */
static int ld_worth(struct ld *l, int obj, uint64_t count, int64_t *worth)
{
	int i = cj_get(l->j, obj, "worth");
	char buf[24], *end;
	long long v;

	if (i < 0) {
		*worth = lrn_worth_of(l->t, count);
		return 0;
	}
	if (l->j->tok[i].type != CJ_NUM || l->j->tok[i].len >= sizeof(buf))
		return ld_bad(l, "worth");
	cj_text(l->j, i, buf, sizeof(buf));
	errno = 0;
	v = strtoll(buf, &end, 10);
	/* 2^40 s, tens of thousands of years: beyond any clock or count */
	if (errno || *end || end == buf || v > LRN_WORTH_MAX || v < -LRN_WORTH_MAX)
		return ld_bad(l, "worth");
	*worth = l->t->now + v;
	return 0;
}

/* A flag is true, false or missing (false): the writer leaves out the
 * false ones. */
static int ld_bool(struct ld *l, int obj, const char *key, bool *v)
{
	int i = cj_get(l->j, obj, key);

	if (i >= 0 && l->j->tok[i].type != CJ_TRUE && l->j->tok[i].type != CJ_FALSE)
		return ld_bad(l, key);
	*v = i >= 0 && l->j->tok[i].type == CJ_TRUE;
	return 0;
}

static int ld_addr(struct ld *l, int obj, const char *key, uint8_t *af, uint8_t a[16])
{
	char buf[64];

	memset(a, 0, 16);
	if (ld_str(l, obj, key, buf, sizeof(buf), false))
		return -EBADMSG;
	if (inet_pton(AF_INET, buf, a) == 1)
		*af = SW_AF_INET;
	else if (inet_pton(AF_INET6, buf, a) == 1)
		*af = SW_AF_INET6;
	else
		return ld_bad(l, key);
	return 0;
}

/* Titles and UIDs obey the rules they obey on the wire: a proposal
 * written from them must parse. */
static int ld_ae(struct ld *l, int obj, const char *key, char out[LRN_AE_MAX + 1])
{
	if (ld_str(l, obj, key, out, LRN_AE_MAX + 1, true))
		return -EBADMSG;
	return out[0] && dcm_ae_problem(out, strlen(out)) ? ld_bad(l, key) : 0;
}

static int ld_uid(struct ld *l, int obj, char out[LRN_UID_MAX + 1])
{
	if (ld_str(l, obj, "uid", out, LRN_UID_MAX + 1, false))
		return -EBADMSG;
	return dcm_uid_problem(out, strlen(out)) ? ld_bad(l, "uid") : 0;
}

/* Every name must be a DIMSE command's (dimse_bit_name). */
static int ld_cmds(struct ld *l, int obj, const char *key, uint16_t *bits)
{
	int arr = cj_get(l->j, obj, key), e;
	char name[24];
	uint32_t b;

	*bits = 0;
	if (arr < 0 || l->j->tok[arr].type != CJ_ARR)
		return ld_bad(l, key);
	for (uint32_t k = 0; (e = cj_elem(l->j, arr, k)) >= 0; k++) {
		if (l->j->tok[e].type != CJ_STR || l->j->tok[e].len >= sizeof(name))
			return ld_bad(l, key);
		cj_text(l->j, e, name, sizeof(name));
		for (b = 1; (b & DIMSE_ANY) && strcmp(name, dimse_bit_name(b)); b <<= 1)
			;
		if (!(b & DIMSE_ANY))
			return ld_bad(l, key);
		*bits |= (uint16_t)b;
	}
	return 0;
}

static int ld_flags(struct ld *l, int obj, unsigned nflags, unsigned *flags)
{
	bool v;

	*flags = 0;
	for (unsigned i = 0; i < nflags; i++) {
		if (ld_bool(l, obj, class_flags[i].key, &v))
			return -EBADMSG;
		*flags |= v ? class_flags[i].flag : 0;
	}
	return 0;
}

static int ld_array(struct ld *l, int obj, const char *key)
{
	int arr = cj_get(l->j, obj, key);

	return arr >= 0 && l->j->tok[arr].type == CJ_ARR ? arr : ld_bad(l, key);
}

static int ld_class(struct ld *l, int e, int64_t rel)
{
	char uid[LRN_UID_MAX + 1];
	uint16_t sent, received;
	unsigned flags;
	int c;

	if (ld_uid(l, e, uid) || ld_flags(l, e, NFLAGS, &flags) ||
	    ld_cmds(l, e, "commands_sent", &sent) || ld_cmds(l, e, "commands_received", &received))
		return -EBADMSG;
	if (l->dry || (c = lrn_class(l->t, rel, lrn_uid(l->t, uid), false)) < 0)
		return 0;	/* a full relation is counted */
	lrn_class_flags(l->t, rel, c, flags);
	lrn_command(l->t, rel, c, 0, sent);
	lrn_command(l->t, rel, c, 1, received);
	return 0;
}

static int ld_classes(struct ld *l, int obj, int64_t rel)
{
	int arr = ld_array(l, obj, "classes"), e;
	char uid[LRN_UID_MAX + 1];
	unsigned flags;

	if (arr < 0)
		return -EBADMSG;
	for (uint32_t k = 0; (e = cj_elem(l->j, arr, k)) >= 0; k++)
		if (ld_class(l, e, rel))
			return -EBADMSG;
	if ((arr = ld_array(l, obj, "transfer_syntaxes")) < 0)
		return -EBADMSG;
	for (uint32_t k = 0; (e = cj_elem(l->j, arr, k)) >= 0; k++) {
		if (ld_uid(l, e, uid) || ld_flags(l, e, 2, &flags))
			return -EBADMSG;
		if (!l->dry)
			lrn_ts(l->t, rel, uid, flags);
	}
	return 0;
}

static int ld_rel(struct ld *l, int obj)
{
	uint8_t af, af2, ini[16], acc[16];
	char calling[LRN_AE_MAX + 1], called[LRN_AE_MAX + 1];
	uint64_t port, n[LRN_ASSOC__COUNT], bytes[2], first, last;
	int64_t worth;
	bool partner;
	int pi = cj_get(l->j, obj, "partner");
	struct lrn_rel_key k = { .initiator = ini, .acceptor = acc, .calling = calling,
				 .called = called };
	struct lrn_rel *r;
	int64_t rel = -1;

	if (ld_addr(l, obj, "initiator", &af, ini) || ld_addr(l, obj, "acceptor", &af2, acc) ||
	    (af != af2 && ld_bad(l, "acceptor")) || ld_u64(l, obj, "port", 65535, &port) ||
	    ld_ae(l, obj, "calling_ae", calling) || ld_ae(l, obj, "called_ae", called) ||
	    ld_u64(l, obj, "requested", UINT64_MAX, &n[0]) ||
	    ld_u64(l, obj, "accepted", UINT64_MAX, &n[1]) ||
	    ld_u64(l, obj, "bytes_sent", UINT64_MAX, &bytes[0]) ||
	    ld_u64(l, obj, "bytes_received", UINT64_MAX, &bytes[1]) ||
	    ld_u64(l, obj, "first", UINT64_MAX, &first) || ld_u64(l, obj, "last", UINT64_MAX, &last) ||
	    ld_worth(l, obj, n[0], &worth) || ld_bool(l, obj, "partner", &partner))
		return -EBADMSG;
	k.af = af;
	k.port = (uint16_t)port;
	if (!l->dry && (r = lrn_rel_at(l->t, rel = lrn_relation(l->t, &k, first)))) {
		lrn_add(&r->count[0], n[0]);
		lrn_add(&r->count[1], n[1]);
		lrn_add(&r->bytes[0], bytes[0]);
		lrn_add(&r->bytes[1], bytes[1]);
		if (first && (!r->first_s || first < r->first_s))
			r->first_s = first;
		if (last > r->last_s)
			r->last_s = last;
		r->worth = lrn_worth_add(r->worth, worth);
		/* the tiers come back as saved, whatever the order (a file
		 * from before them: accepted ones are partners as admitted) */
		lrn_rel_touched(l->t, r, pi >= 0 && !partner);
	}
	return ld_classes(l, obj, rel);
}

static int ld_proto(const char *name, uint8_t *proto)
{
	for (unsigned i = 0; i < 256; i++)
		if (strcmp(flowkey_proto_name((uint8_t)i), name) == 0 && strcmp(name, "other")) {
			*proto = (uint8_t)i;
			return 0;
		}
	return -EBADMSG;
}

static int ld_flow(struct ld *l, int obj)
{
	uint8_t af, af2, src[16], dst[16];
	char kind[24], proto[8], fault[LRN_FAULT_MAX + 1], calling[LRN_AE_MAX + 1],
		called[LRN_AE_MAX + 1];
	uint64_t port, rule = 0, count, first, last;
	int64_t worth;
	struct lrn_flow_key k = { .src = src, .dst = dst, .fault = fault, .calling = calling,
				  .called = called };
	struct lrn_flowrec *f;
	int ri = cj_get(l->j, obj, "rule");

	if (ld_str(l, obj, "kind", kind, sizeof(kind), false) ||
	    (!(k.kind = lrn_kind_static(kind)) && ld_bad(l, "kind")) ||
	    ld_str(l, obj, "proto", proto, sizeof(proto), false) ||
	    (ld_proto(proto, &k.proto) && ld_bad(l, "proto")) ||
	    ld_addr(l, obj, "src", &af, src) || ld_addr(l, obj, "dst", &af2, dst) ||
	    (af != af2 && ld_bad(l, "dst")) || ld_u64(l, obj, "port", 65535, &port) ||
	    (flowkey_proto_icmp(k.proto) && port && ld_bad(l, "port")) ||
	    (ri >= 0 && l->j->tok[ri].type != CJ_NULL && ld_u64(l, obj, "rule", INT32_MAX, &rule)) ||
	    ld_str(l, obj, "fault", fault, sizeof(fault), true) ||
	    ld_ae(l, obj, "calling_ae", calling) || ld_ae(l, obj, "called_ae", called) ||
	    ld_u64(l, obj, "count", UINT64_MAX, &count) || (!count && ld_bad(l, "count")) ||
	    ld_u64(l, obj, "first", UINT64_MAX, &first) || ld_u64(l, obj, "last", UINT64_MAX, &last) ||
	    ld_worth(l, obj, count, &worth))
		return -EBADMSG;
	k.af = af;
	k.port = (uint16_t)port;
	k.rule_line = (int)rule;
	if (!l->dry && (f = lrn_flow_find(l->t, &k))) {
		lrn_add(&f->count, count);
		lrn_seen(&f->first_s, &f->last_s, first);
		lrn_seen(&f->first_s, &f->last_s, last);
		f->worth = lrn_worth_add(f->worth, worth);
		lrn_flow_touched(l->t, f);
	}
	return 0;
}

/* The counts of what did not fit or was evicted (both optional: a file
 * from before they existed loads), added as the records are. */
static const struct {
	const char *obj, *key, *name;
	size_t off;
} ld_counts[] = {
	{ "dropped", "relations", "dropped.relations", offsetof(struct lrn_dropped, relations) },
	{ "dropped", "classes", "dropped.classes", offsetof(struct lrn_dropped, classes) },
	{ "dropped", "uids", "dropped.uids", offsetof(struct lrn_dropped, uids) },
	{ "dropped", "flows", "dropped.flows", offsetof(struct lrn_dropped, flows) },
	{ "evicted", "relations", "evicted.relations",
	  offsetof(struct lrn_dropped, evicted_relations) },
	{ "evicted", "flows", "evicted.flows", offsetof(struct lrn_dropped, evicted_flows) },
};

static int ld_dropped(struct ld *l)
{
	uint64_t v;
	int obj;

	for (size_t i = 0; i < sizeof(ld_counts) / sizeof(ld_counts[0]); i++) {
		obj = cj_get(l->j, 0, ld_counts[i].obj);
		if (obj < 0)
			continue;
		if (l->j->tok[obj].type != CJ_OBJ)
			return ld_bad(l, ld_counts[i].obj);
		if (ld_u64(l, obj, ld_counts[i].key, UINT64_MAX, &v)) {
			l->bad = ld_counts[i].name;
			return -EBADMSG;
		}
		if (!l->dry)
			lrn_add((uint64_t *)((char *)&l->t->dropped + ld_counts[i].off), v);
	}
	return 0;
}

static int ld_all(struct ld *l, char *why, size_t size)
{
	int rels = cj_get(l->j, 0, "relations"), flows = cj_get(l->j, 0, "flows"), e, err = 0;
	uint64_t version;
	uint32_t k;

	if (l->j->tok[0].type != CJ_OBJ || ld_u64(l, 0, "version", 1, &version) ||
	    (version != 1 && ld_bad(l, "version")) || ld_array(l, 0, "relations") < 0 ||
	    ld_array(l, 0, "flows") < 0 || ld_dropped(l)) {
		snprintf(why, size, "%s", l->bad ? l->bad : "not a JSON object");
		return -EBADMSG;
	}
	for (k = 0; !err && (e = cj_elem(l->j, rels, k)) >= 0; k++)
		err = ld_rel(l, e);
	if (err) {
		snprintf(why, size, "relations[%" PRIu32 "].%s", k - 1, l->bad);
		return err;
	}
	for (k = 0; !err && (e = cj_elem(l->j, flows, k)) >= 0; k++)
		err = ld_flow(l, e);
	if (err)
		snprintf(why, size, "flows[%" PRIu32 "].%s", k - 1, l->bad);
	return err;
}

int lrn_load_text(struct lrn *t, const char *text, size_t len)
{
	struct cj j = { 0 };
	struct ld l = { .t = t, .j = &j, .dry = true };
	int err = cj_parse(&j, text, len);

	snprintf(t->load_error, sizeof(t->load_error), "%s",
		 err == -EBADMSG ? "not JSON" : "");
	if (!err)
		err = ld_all(&l, t->load_error, sizeof(t->load_error));
	if (!err) {
		l.dry = false;
		err = ld_all(&l, t->load_error, sizeof(t->load_error));
	}
	cj_free(&j);
	return err == -E2BIG || err == -ENOMEM ? err : err ? -EBADMSG : 0;
}

int lrn_load(struct lrn *t, const char *path)
{
	char *text = NULL;
	size_t len;
	int err = sw_read_file(path, LRN_FILE_MAX, &text, &len);

	if (!err)
		err = lrn_load_text(t, text, len);
	free(text);
	return err;
}

const char *lrn_load_error(const struct lrn *t)
{
	return t->load_error;
}
