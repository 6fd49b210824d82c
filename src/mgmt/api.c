/* The HTTP API of scanwall-mgmtd (docs/mgmt.md): one table of routes,
 * each answered from scanwalld's control socket, the only way mgmtd
 * reaches the engine. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanwall/json.h"
#include "scanwall/jsonw.h"
#include "mgmt/mgmt.h"

#define API_JSON "application/json"

/* The union in force, then each --crl file: present (exists now), loaded
 * (its entries are in the union, also after it went away). */
static void api_crl_desc(FILE *out, const struct mgmt_crl_desc *d)
{
	fprintf(out, "\"this_update\":\"%s\",\"next_update\":\"%s\",\"revoked\":%u,"
		"\"stale\":%s", d->this_update, d->next_update, d->revoked,
		d->stale ? "true" : "false");
}

static void api_crl(FILE *out, const struct mgmt *m)
{
	fputs(",\"crl\":{", out);
	api_crl_desc(out, &m->crl.d);
	fputs(",\"files\":[", out);
	for (unsigned i = 0; i < m->cfg->crls; i++) {
		const struct mgmt_crl_file *f = &m->crl.f[i];

		fputs(i ? ",{\"path\":" : "{\"path\":", out);
		jw_str(SB_STREAM(out), m->cfg->crl[i]);
		fprintf(out, ",\"present\":%s,\"loaded\":%s", f->ino ? "true" : "false",
			f->d.loaded ? "true" : "false");
		if (f->d.loaded) {
			fputc(',', out);
			api_crl_desc(out, &f->d);
		}
		fputc('}', out);
	}
	fputs("]}", out);
}

/* An answer of our own: a JSON error object. */
static void api_error(struct mgmt_resp *r, int status, const char *msg)
{
	FILE *out = open_memstream(&r->body, &r->len);

	r->status = status;
	r->ctype = API_JSON;
	if (out) {
		jw_kstr(SB_STREAM(out), "{", "error", msg);
		fputs("}\n", out);
		fclose(out);
	}
}

/* What a failed control call becomes: the engine not there is a gateway
 * problem (502); a command scanwalld does not know yet is 501; any other
 * {"error":...} answer is the client's request refused (status given). */
static int api_ctl_status(int err, const char *ans, int refused)
{
	if (err == -EPROTO && ans && strstr(ans, "unknown command"))
		return 501;
	if (err == -EPROTO && ans && (strstr(ans, "permission denied") || strstr(ans, "too many")))
		return 502;
	return err == -EPROTO ? refused : 502;
}

/* Runs cmd and passes its JSON answer through. */
static void api_ctl(struct mgmt *m, const char *cmd, int refused, struct mgmt_resp *r)
{
	char msg[96];
	int err;

	r->body = NULL;
	err = mgmt_ctl(m, cmd, &r->body, &r->len);
	r->ctype = API_JSON;
	r->status = err ? api_ctl_status(err, r->body, refused) : 200;
	if (err && err != -EPROTO) {
		free(r->body);
		r->body = NULL;
		snprintf(msg, sizeof(msg), "control socket: %s", strerror(-err));
		api_error(r, 502, msg);
		mgmt_log("control %s: %s", cmd, strerror(-err));
	} else if (r->status == 501) {
		free(r->body);
		r->body = NULL;
		api_error(r, 501, "scanwalld does not offer this yet");
	}
}

/* scanwalld's status object with one member of mgmtd's own appended:
 * "mgmt":{"cert":{...}}, the server certificate a client should have
 * pinned. An answer that is not a JSON object is passed on as it came. */
static void api_status_mgmt(struct mgmt *m, struct mgmt_resp *r)
{
	const struct mgmt_cert *c = &m->cert;
	size_t end, len;	/* end: the object's closing brace */
	uint32_t members;
	struct cj j;
	char *body;
	FILE *out;
	bool obj;

	if (!c->sha256[0] || cj_parse(&j, r->body, r->len))
		return;
	obj = j.tok[0].type == CJ_OBJ;
	end = j.tok[0].start + j.tok[0].len - 1;
	members = j.tok[0].n;
	cj_free(&j);
	if (!obj)
		return;
	out = open_memstream(&body, &len);
	if (!out)
		return;
	fwrite(r->body, 1, end, out);
	fputs(members ? "," : "", out);
	fputs("\"mgmt\":{\"cert\":{\"sha256\":", out);
	jw_str(SB_STREAM(out), c->sha256);
	fputs(",\"subject\":", out);
	jw_str(SB_STREAM(out), c->subject);
	fprintf(out, ",\"not_before\":\"%s\",\"not_after\":\"%s\"}", c->not_before, c->not_after);
	if (m->crl.d.loaded)
		api_crl(out, m);
	fputc('}', out);
	fwrite(r->body + end, 1, r->len - end, out);
	if (fclose(out)) {
		free(body);
		return;
	}
	free(r->body);
	r->body = body;
	r->len = len;
}

static void api_status(struct mgmt *m, const struct http_req *req, const uint8_t *body,
		       struct mgmt_resp *r)
{
	api_ctl(m, "status", 500, r);
	if (r->status == 200 && r->body)
		api_status_mgmt(m, r);
}

/* One page of the engine's `flows` (?from=N&count=M, default the first
 * 1000): the answer's "next" is the from of the next page, null at the end. */
static void api_flows(struct mgmt *m, const struct http_req *req, const uint8_t *body,
		      struct mgmt_resp *r)
{
	char cmd[80];
	uint64_t from = 0, count = 1000;
	int e1 = http_query_u64(req->query, "from", &from);
	int e2 = http_query_u64(req->query, "count", &count);

	if ((e1 && e1 != -ENOENT) || (e2 && e2 != -ENOENT) || count == 0 || count > 10000)
		return api_error(r, 400, "from must be a number, count 1 to 10000");
	snprintf(cmd, sizeof(cmd), "flows from %" PRIu64 " count %" PRIu64, from, count);
	api_ctl(m, cmd, 500, r);
}

static void api_policy(struct mgmt *m, const struct http_req *req, const uint8_t *body,
		       struct mgmt_resp *r)
{
	api_ctl(m, "policy", 500, r);
}

/* The observation table of commissioning and the policy proposed from it
 * (docs/commissioning.md). */
static void api_observed(struct mgmt *m, const struct http_req *req, const uint8_t *body,
			 struct mgmt_resp *r)
{
	api_ctl(m, "observed", 500, r);
}

static void api_proposal(struct mgmt *m, const struct http_req *req, const uint8_t *body,
			 struct mgmt_resp *r)
{
	api_ctl(m, "proposal", 500, r);
}

static void api_events(struct mgmt *m, const struct http_req *req, const uint8_t *body,
		       struct mgmt_resp *r)
{
	char cmd[64];
	uint64_t since = 0;
	int err = http_query_u64(req->query, "since", &since);

	if (err && err != -ENOENT)
		return api_error(r, 400, "since must be a number");
	snprintf(cmd, sizeof(cmd), "events since %" PRIu64, since);
	api_ctl(m, cmd, 500, r);
}

static void api_stream(struct mgmt *m, int (*fn)(struct mgmt *, FILE *), const char *ctype,
		       struct mgmt_resp *r)
{
	FILE *out = open_memstream(&r->body, &r->len);
	int err;

	if (!out)
		return api_error(r, 500, "out of memory");
	err = fn(m, out);
	fclose(out);
	r->status = err ? 502 : 200;
	r->ctype = ctype;
}

static void api_metrics(struct mgmt *m, const struct http_req *req, const uint8_t *body,
			struct mgmt_resp *r)
{
	api_stream(m, mgmt_metrics, "text/plain; version=0.0.4; charset=utf-8", r);
}

static void api_page(struct mgmt *m, const struct http_req *req, const uint8_t *body,
		     struct mgmt_resp *r)
{
	api_stream(m, mgmt_page, "text/html; charset=utf-8", r);
}

static int api_spool(struct mgmt *m, const uint8_t *body, size_t len, char *path, size_t size)
{
	size_t off = 0;
	int fd, err = 0;

	snprintf(path, size, "%s/upload-%ld-%u.swb", m->cfg->spool, (long)getpid(),
		 ++m->spool_seq);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (off < len && !err) {
		ssize_t w = write(fd, body + off, len - off);

		if (w < 0 && errno != EINTR)
			err = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err)
		unlink(path);
	return err;
}

static void api_bundle(struct mgmt *m, const struct http_req *req, const uint8_t *body,
		       struct mgmt_resp *r)
{
	char path[512], cmd[640];
	uint64_t confirm = 0;
	int err = http_query_u64(req->query, "confirm", &confirm);

	if ((err && err != -ENOENT) || confirm > 86400)
		return api_error(r, 400, "confirm must be a number of seconds up to 86400");
	if (req->content_length == 0)
		return api_error(r, 400, "the body must be a signed bundle");
	err = api_spool(m, body, req->content_length, path, sizeof(path));
	if (err) {
		mgmt_log("spool %s: %s", m->cfg->spool, strerror(-err));
		return api_error(r, 500, "cannot store the upload");
	}
	m->st.bundles_posted++;
	if (confirm)
		snprintf(cmd, sizeof(cmd), "bundle install %s confirm %" PRIu64, path, confirm);
	else
		snprintf(cmd, sizeof(cmd), "bundle install %s", path);
	api_ctl(m, cmd, 422, r);
	mgmt_log("bundle upload (%" PRIu64 " bytes): %d", req->content_length, r->status);
	unlink(path);
}

static void api_bundle_confirm(struct mgmt *m, const struct http_req *req, const uint8_t *body,
			       struct mgmt_resp *r)
{
	api_ctl(m, "bundle confirm", 409, r);
}

static void api_bundle_rollback(struct mgmt *m, const struct http_req *req, const uint8_t *body,
				struct mgmt_resp *r)
{
	api_ctl(m, "bundle rollback", 409, r);
}

static void api_bundle_status(struct mgmt *m, const struct http_req *req, const uint8_t *body,
			      struct mgmt_resp *r)
{
	api_ctl(m, "bundle status", 500, r);
}

typedef void api_fn(struct mgmt *m, const struct http_req *req, const uint8_t *body,
		    struct mgmt_resp *r);

static const struct mgmt_route {
	const char *path;
	enum http_method method;	/* GET also answers HEAD */
	enum mgmt_role min;
	api_fn *fn;
} api_routes[] = {
	{ "/", HTTP_GET, MGMT_READER, api_page },
	{ "/status", HTTP_GET, MGMT_READER, api_status },
	{ "/flows", HTTP_GET, MGMT_READER, api_flows },
	{ "/events", HTTP_GET, MGMT_READER, api_events },
	{ "/policy", HTTP_GET, MGMT_READER, api_policy },
	{ "/observed", HTTP_GET, MGMT_READER, api_observed },
	{ "/proposal", HTTP_GET, MGMT_READER, api_proposal },
	{ "/metrics", HTTP_GET, MGMT_READER, api_metrics },
	{ "/bundle", HTTP_GET, MGMT_READER, api_bundle_status },
	{ "/bundle", HTTP_POST, MGMT_OPERATOR, api_bundle },
	{ "/bundle/confirm", HTTP_POST, MGMT_OPERATOR, api_bundle_confirm },
	{ "/bundle/rollback", HTTP_POST, MGMT_OPERATOR, api_bundle_rollback },
};

static bool api_method_fits(enum http_method route, enum http_method req)
{
	return route == req || (route == HTTP_GET && req == HTTP_HEAD);
}

/* The route for req, or NULL with r set to the refusal (404, 405, 403).
 * Needs only the head: the server asks before it reads any body. */
static const struct mgmt_route *api_find(const struct http_req *req, enum mgmt_role role,
					struct mgmt_resp *r)
{
	bool path_known = false;

	*r = (struct mgmt_resp){ .status = 500 };
	for (size_t i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++) {
		const struct mgmt_route *rt = &api_routes[i];

		if (strcmp(rt->path, req->path) != 0)
			continue;
		path_known = true;
		if (!api_method_fits(rt->method, req->method))
			continue;
		if (role < rt->min) {
			api_error(r, 403, "this needs the operator role");
			return NULL;
		}
		return rt;
	}
	if (!path_known) {
		api_error(r, 404, "no such resource");
		return NULL;
	}
	api_error(r, 405, "method not allowed");
	r->allow = strncmp(req->path, "/bundle", 7) == 0 ?
		   (req->path[7] ? "POST" : "GET, HEAD, POST") : "GET, HEAD";
	return NULL;
}

const struct mgmt_route *mgmt_api_route(const struct http_req *req, enum mgmt_role role,
				       struct mgmt_resp *r)
{
	const struct mgmt_route *rt = api_find(req, role, r);

	if (rt && req->content_length > HTTP_HEAD_MAX && rt->fn != api_bundle) {
		api_error(r, 413, "only POST /bundle takes a body this long");
		return NULL;
	}
	return rt;
}

void mgmt_api(struct mgmt *m, const struct mgmt_route *route, const struct http_req *req,
	      const uint8_t *body, struct mgmt_resp *r)
{
	*r = (struct mgmt_resp){ .status = 500 };
	route->fn(m, req, body, r);
}
