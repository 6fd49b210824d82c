/* --crl: the client certificates the CA has revoked (docs/mgmt.md,
 * "Revocation"). A certificate the list names is refused at the handshake
 * (mbedtls checks it while it verifies the chain) and again when a session
 * is resumed from a ticket, which verifies nothing.
 *
 * --crl may name up to MGMT_CRL_FILES files (the bundle's and the
 * console's); the list in force is their union. A file that does not exist
 * yet brings nothing and is read when it appears. Each is read again
 * without a restart: on SIGHUP, and when it changes (checked once a
 * second: another inode, size or modification time). A file that does not
 * parse leaves its entries in force as they were; one that goes away
 * leaves them in force too (a revoked certificate must not come back
 * because a file vanished). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/x509_crl.h>

#include "mgmt/mgmt.h"

/* The dates shown are the first list's (a CA publishes one); the entries
 * and staleness count every list in the file. */
static void mgmt_crl_describe(const mbedtls_x509_crl *crl, struct mgmt_crl_desc *out)
{
	out->revoked = 0;
	out->stale = false;
	for (const mbedtls_x509_crl *c = crl; c; c = c->next) {
		for (const mbedtls_x509_crl_entry *e = &c->entry; e && e->raw.len; e = e->next)
			out->revoked++;
		out->stale |= c->version && mbedtls_x509_time_is_past(&c->next_update);
	}
	mgmt_x509_time_str(&crl->this_update, out->this_update, sizeof(out->this_update));
	mgmt_x509_time_str(&crl->next_update, out->next_update, sizeof(out->next_update));
	out->loaded = true;
}

/* The union: entries summed, stale if any is, the earliest next update. */
static void mgmt_crl_sum(struct mgmt_crl *crl, unsigned n)
{
	struct mgmt_crl_desc *u = &crl->d;

	memset(u, 0, sizeof(*u));
	for (unsigned i = 0; i < n; i++) {
		const struct mgmt_crl_desc *d = &crl->f[i].d;

		if (!d->loaded)
			continue;
		u->revoked += d->revoked;
		u->stale |= d->stale;
		/* The same fixed-width form: the text orders as the time. */
		if (!u->loaded || strcmp(d->next_update, u->next_update) < 0) {
			memcpy(u->this_update, d->this_update, sizeof(u->this_update));
			memcpy(u->next_update, d->next_update, sizeof(u->next_update));
		}
		u->loaded = true;
	}
}

static void mgmt_crl_drop(mbedtls_x509_crl *crl)
{
	if (!crl)
		return;
	mbedtls_x509_crl_free(crl);
	free(crl);
}

static int mgmt_crl_parse(const char *path, mbedtls_x509_crl **out)
{
	mbedtls_x509_crl *crl = calloc(1, sizeof(*crl));
	char msg[128];
	int ret;

	if (!crl)
		return -ENOMEM;
	mbedtls_x509_crl_init(crl);
	ret = mbedtls_x509_crl_parse_file(crl, path);
	if (ret) {
		mgmt_log("crl %s: %s", path, mgmt_tls_strerror(ret, msg, sizeof(msg)));
		mgmt_crl_drop(crl);
		return -EINVAL;
	}
	*out = crl;
	return 0;
}

/* One chain of every file's lists (parse appends to a chain). */
static int mgmt_crl_union(mbedtls_x509_crl *const part[], unsigned n, mbedtls_x509_crl **out)
{
	mbedtls_x509_crl *u = NULL;

	for (unsigned i = 0; i < n; i++) {
		for (const mbedtls_x509_crl *c = part[i]; c; c = c->next) {
			if (!u) {
				u = calloc(1, sizeof(*u));
				if (!u)
					return -ENOMEM;
				mbedtls_x509_crl_init(u);
			}
			if (mbedtls_x509_crl_parse_der(u, c->raw.p, c->raw.len)) {
				mgmt_crl_drop(u);
				return -EINVAL;
			}
		}
	}
	*out = u;
	return 0;
}

static uint64_t mgmt_crl_mtime(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
}

/* Reads the files that changed (all that exist: force) into next[];
 * how many did. *bad counts those that do not parse: each keeps its last
 * good lists in force (until it changes again). */
static unsigned mgmt_crl_read(struct mgmt *m, bool force, const char *why,
			      mbedtls_x509_crl *next[], unsigned *bad)
{
	unsigned changed = 0;

	for (unsigned i = 0; i < m->cfg->crls; i++) {
		struct mgmt_crl_file *f = &m->crl.f[i];
		const char *path = m->cfg->crl[i];
		struct stat st;

		if (stat(path, &st) < 0) {
			if (f->crl && !f->gone)
				mgmt_log("crl %s (%s): gone, its %u revoked stay in force", path, why,
					 f->d.revoked);
			else if (!f->crl && !f->gone && force)
				mgmt_log("crl %s (%s): absent, read when it appears", path, why);
			f->gone = true;
			f->ino = f->size = f->mtime_ns = 0;
			continue;
		}
		if (!force && (uint64_t)st.st_ino == f->ino && (uint64_t)st.st_size == f->size &&
		    mgmt_crl_mtime(&st) == f->mtime_ns)
			continue;
		/* Recorded before the parse: a bad file is tried again when it changes. */
		f->ino = (uint64_t)st.st_ino;
		f->size = (uint64_t)st.st_size;
		f->mtime_ns = mgmt_crl_mtime(&st);
		f->gone = false;
		if (mgmt_crl_parse(path, &next[i])) {
			mgmt_log("crl %s (%s): unreadable, %s", path, why,
				 f->crl ? "the list in force stays" : "nothing from it in force");
			(*bad)++;
			continue;
		}
		changed++;
	}
	return changed;
}

static int mgmt_crl_reload(struct mgmt *m, struct mgmt_tls *t, bool force, const char *why)
{
	mbedtls_x509_crl *next[MGMT_CRL_FILES] = { NULL }, *part[MGMT_CRL_FILES], *u;
	unsigned n = m->cfg->crls, bad = 0;
	int err = 0;

	if (!mgmt_crl_read(m, force, why, next, &bad))
		goto out_free;
	for (unsigned i = 0; i < n; i++)
		part[i] = next[i] ? next[i] : m->crl.f[i].crl;
	err = mgmt_crl_union(part, n, &u);
	if (err) {
		mgmt_log("crl (%s): no union of the lists, the list in force stays", why);
		bad++;
		for (unsigned i = 0; i < n; i++)	/* read again next time */
			if (next[i])
				m->crl.f[i].ino = m->crl.f[i].size = m->crl.f[i].mtime_ns = 0;
		goto out_free;
	}
	mgmt_tls_crl_set(t, u);
	for (unsigned i = 0; i < n; i++) {
		struct mgmt_crl_file *f = &m->crl.f[i];

		if (!next[i])
			continue;
		mgmt_crl_drop(f->crl);
		f->crl = next[i];
		next[i] = NULL;
		mgmt_crl_describe(f->crl, &f->d);
		mgmt_log("crl %s (%s): %u revoked, this update %s, next update %s%s",
			 m->cfg->crl[i], why, f->d.revoked, f->d.this_update, f->d.next_update,
			 f->d.stale ? " (past: stale, its entries still refused)" : "");
	}
	mgmt_crl_sum(&m->crl, n);
	m->crl.reloads++;
	if (n > 1)
		mgmt_log("crl in force: %u revoked from %u files", m->crl.d.revoked, n);

out_free:
	for (unsigned i = 0; i < n; i++)
		mgmt_crl_drop(next[i]);
	m->crl.reload_failures += bad;
	return bad ? -EINVAL : 0;
}

int mgmt_crl_load(struct mgmt *m, struct mgmt_tls *t)
{
	return mgmt_crl_reload(m, t, true, "start");
}

void mgmt_crl_watch(struct mgmt *m, struct mgmt_tls *t, bool hup)
{
	if (m->cfg->crls)
		mgmt_crl_reload(m, t, hup, hup ? "SIGHUP" : "changed");
}

void mgmt_crl_free(struct mgmt *m)
{
	for (unsigned i = 0; i < MGMT_CRL_FILES; i++) {
		mgmt_crl_drop(m->crl.f[i].crl);
		m->crl.f[i].crl = NULL;
	}
}

bool mgmt_crl_revoked(const struct mgmt_tls *t, const mbedtls_x509_crt *crt)
{
	return t->crl && crt && mbedtls_x509_crt_is_revoked(crt, t->crl);
}
