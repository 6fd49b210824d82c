/* --crl: the client certificates the CA has revoked (docs/mgmt.md,
 * "Revocation"). A certificate the list names is refused at the handshake
 * (mbedtls checks it while it verifies the chain) and again when a session
 * is resumed from a ticket, which verifies nothing. The file is read again
 * without a restart: on SIGHUP, and when it changes (checked once a
 * second: another inode, size or modification time). A file that does not
 * parse leaves the list in force as it was. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/x509_crl.h>

#include "mgmt/mgmt.h"

/* The dates shown are the first list's (a CA publishes one); the entries
 * and staleness count every list in the file. */
static void mgmt_crl_describe(const mbedtls_x509_crl *crl, struct mgmt_crl *out)
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

int mgmt_crl_load(struct mgmt *m, struct mgmt_tls *t, const char *why)
{
	const char *path = m->cfg->crl;
	struct stat st;
	int err;

	if (stat(path, &st) == 0) {
		m->crl.ino = (uint64_t)st.st_ino;
		m->crl.size = (uint64_t)st.st_size;
		m->crl.mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u +
				  (uint64_t)st.st_mtim.tv_nsec;
	}
	err = mgmt_tls_crl_load(t, path);
	if (err) {
		m->crl.reload_failures++;
		mgmt_log("crl %s (%s): unreadable, %s", path, why,
			 m->crl.loaded ? "the list in force stays" : "no list in force");
		return err;
	}
	mgmt_crl_describe(t->crl, &m->crl);
	m->crl.reloads++;
	mgmt_log("crl %s (%s): %u revoked, this update %s, next update %s%s", path, why,
		 m->crl.revoked, m->crl.this_update, m->crl.next_update,
		 m->crl.stale ? " (past: stale, its entries still refused)" : "");
	return 0;
}

void mgmt_crl_watch(struct mgmt *m, struct mgmt_tls *t, bool hup)
{
	struct stat st;
	uint64_t mtime_ns;

	if (!m->cfg->crl)
		return;
	if (hup) {
		mgmt_crl_load(m, t, "SIGHUP");
		return;
	}
	if (stat(m->cfg->crl, &st) < 0)
		return;
	mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	if ((uint64_t)st.st_ino != m->crl.ino || (uint64_t)st.st_size != m->crl.size ||
	    mtime_ns != m->crl.mtime_ns)
		mgmt_crl_load(m, t, "changed");
}

bool mgmt_crl_revoked(const struct mgmt_tls *t, const mbedtls_x509_crt *crt)
{
	return t->crl && crt && mbedtls_x509_crt_is_revoked(crt, t->crl);
}
