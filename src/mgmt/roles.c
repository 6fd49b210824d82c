/* Which role a client certificate has (docs/mgmt.md, "Roles").
 *
 * The roles file is one rule a line:
 *
 *     # role     match        value
 *     operator   subject      C=GB, O=St Elsewhere, CN=pacs-admin
 *     reader     spki-sha256  9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 *     reader     any
 *
 * `subject` compares the DN as mbedtls prints it (mgmtd logs it for every
 * client it does not know, ready to paste); `spki-sha256` the SHA-256 of
 * the certificate's SubjectPublicKeyInfo (`openssl x509 -pubkey -noout |
 * openssl pkey -pubin -outform DER | sha256sum`), which survives the
 * certificate being renewed with the same key; `any` every certificate
 * (that the client CA signed). The first matching line wins; a verified
 * certificate that matches none is refused. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "mgmt/mgmt.h"
#include "scanwall/digest.h"

#define ROLES_MAX 64
#define ROLES_VALUE_MAX 256

enum roles_kind { ROLES_SUBJECT, ROLES_SPKI, ROLES_ANY };

struct roles_rule {
	enum mgmt_role role;
	enum roles_kind kind;
	char value[ROLES_VALUE_MAX];
};

struct mgmt_roles {
	unsigned n;
	struct roles_rule r[ROLES_MAX];
};

static const char *const role_names[] = {
	[MGMT_NONE] = "none", [MGMT_READER] = "reader", [MGMT_OPERATOR] = "operator",
};

const char *mgmt_role_name(enum mgmt_role role)
{
	return role_names[role];
}

static int roles_word(const char *w, const char *const *names, int n)
{
	for (int i = 0; i < n; i++) {
		if (names[i] && strcmp(w, names[i]) == 0)
			return i;
	}
	return -1;
}

static char *roles_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/* One non-blank line into *r; -EINVAL on anything unexpected. */
static int roles_line(char *line, struct roles_rule *r)
{
	static const char *const kinds[] = { "subject", "spki-sha256", "any" };
	char role[16], kind[16];
	int role_i, kind_i, used = 0;

	if (sscanf(line, "%15s %15s %n", role, kind, &used) != 2 || !used)
		return -EINVAL;
	role_i = roles_word(role, role_names, 3);
	kind_i = roles_word(kind, kinds, 3);
	if (role_i <= MGMT_NONE || kind_i < 0 || strlen(line + used) >= sizeof(r->value))
		return -EINVAL;
	r->role = (enum mgmt_role)role_i;
	r->kind = (enum roles_kind)kind_i;
	strcpy(r->value, roles_trim(line + used));
	if (r->kind == ROLES_SPKI && strlen(r->value) != 64)
		return -EINVAL;
	/* `any`: every certificate the client CA signed, the rules above it
	 * having had their turn */
	return r->kind == ROLES_ANY ? (r->value[0] ? -EINVAL : 0) : (r->value[0] ? 0 : -EINVAL);
}

static int roles_parse(FILE *fp, const char *path, struct mgmt_roles *r)
{
	char buf[512], *line;
	unsigned lineno = 0;

	while (fgets(buf, sizeof(buf), fp)) {
		lineno++;
		line = roles_trim(buf);
		if (!*line || *line == '#')
			continue;
		if (r->n == ROLES_MAX || roles_line(line, &r->r[r->n])) {
			mgmt_log("%s:%u: bad roles line (ROLE subject DN | ROLE spki-sha256 HEX | ROLE any)",
				 path, lineno);
			return -EINVAL;
		}
		r->n++;
	}
	return ferror(fp) ? -EIO : 0;
}

struct mgmt_roles *mgmt_roles_load(const char *path)
{
	struct mgmt_roles *r = calloc(1, sizeof(*r));
	FILE *fp;
	int err;

	if (!r)
		return NULL;
	fp = fopen(path, "re");
	err = fp ? roles_parse(fp, path, r) : -errno;
	if (fp)
		fclose(fp);
	if (err) {
		free(r);
		errno = -err;
		return NULL;
	}
	return r;
}

void mgmt_roles_free(struct mgmt_roles *r)
{
	free(r);
}

static void roles_spki(const mbedtls_x509_crt *crt, char hex[65])
{
	sw_sha256_hex(crt->pk_raw.p, crt->pk_raw.len, hex);
}

enum mgmt_role mgmt_roles_match(const struct mgmt_roles *r, const mbedtls_x509_crt *crt,
				char *who, size_t size)
{
	char dn[ROLES_VALUE_MAX], spki[65];

	if (!crt)
		return MGMT_NONE;
	if (mbedtls_x509_dn_gets(dn, sizeof(dn), &crt->subject) < 0)
		dn[0] = 0;
	roles_spki(crt, spki);
	snprintf(who, size, "\"%s\" spki-sha256 %s", dn, spki);
	if (!r)
		return MGMT_READER;
	for (unsigned i = 0; i < r->n; i++) {
		const char *want = r->r[i].kind == ROLES_SUBJECT ? dn : spki;

		if (r->r[i].kind == ROLES_ANY)
			return r->r[i].role;
		if (strcasecmp(r->r[i].value, want) == 0 &&
		    (r->r[i].kind == ROLES_SPKI || strcmp(r->r[i].value, want) == 0))
			return r->r[i].role;
	}
	return MGMT_NONE;
}
