/* The management roles in the console's configuration (docs/console.md):
 * `set management operator SUBJECT|SPKI-SHA256|any`, and `reader` the
 * same. They are lines of their own, not one value: a site names several
 * operators. run-mgmtd writes them out as scanwall-mgmtd's roles file
 * (`scanwall config get management`). */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "console/cons.h"

static const char *const conf_role_names[] = { "operator", "reader" };

/* An SPKI hash: 64 hex digits, or 32 colon-separated pairs as openssl
 * prints a fingerprint; written back as the 64 lowercase digits. */
static bool conf_role_spki(const char *v, char hex[65])
{
	size_t n = 0;

	for (; *v && n < 64; v++) {
		if (*v == ':' && n && n % 2 == 0 && v[1])
			continue;
		if (!isxdigit((unsigned char)*v))
			return false;
		hex[n++] = (char)tolower((unsigned char)*v);
	}
	hex[n] = 0;
	return n == 64 && !*v;
}

/* "ROLE VALUE" into the line stored: "ROLE any", "ROLE spki-sha256 HEX"
 * or "ROLE subject DN". NULL, or why it is refused. */
static const char *conf_role_line(const char *value, char *line, size_t size)
{
	const char *sp = strchr(value, ' ');
	const char *what = sp ? sp + 1 : "";
	char hex[65];
	int r = -1;

	for (int i = 0; i < 2; i++) {
		if (sp && (size_t)(sp - value) == strlen(conf_role_names[i]) &&
		    !strncmp(value, conf_role_names[i], (size_t)(sp - value)))
			r = i;
	}
	if (r < 0 || !*what)
		return "expected operator|reader SUBJECT, SPKI-SHA256 or any";
	/* as the configuration file holds it */
	if (!strncmp(what, "subject ", 8))
		what += 8;
	else if (!strncmp(what, "spki-sha256 ", 12) && conf_role_spki(what + 12, hex))
		what += 12;
	if (!strcmp(what, "any"))
		snprintf(line, size, "%s any", conf_role_names[r]);
	else if (conf_role_spki(what, hex))
		snprintf(line, size, "%s spki-sha256 %s", conf_role_names[r], hex);
	else if (!strchr(what, '=') || strchr(what, '"') || strlen(what) > CONS_VALUE_MAX - 24)
		return "a subject is the certificate's DN as mgmtd logs it: \"O=..., CN=...\"";
	else
		snprintf(line, size, "%s subject %s", conf_role_names[r], what);
	return NULL;
}

static bool conf_role_any(const char *line)
{
	const char *sp = strchr(line, ' ');

	return sp && !strcmp(sp, " any");
}

/* Kept packed and in the order the roles file needs (the first matching
 * line wins): `any` lines after the others, each kind in the order set. */
int conf_role_set(struct conf *c, const char *value, const char **why)
{
	char line[sizeof(c->roles[0])];
	int n = 0, at;

	*why = conf_role_line(value, line, sizeof(line));
	if (*why)
		return -EINVAL;
	for (; n < CONF_ROLES_MAX && c->roles[n][0]; n++) {
		if (!strcmp(c->roles[n], line))
			return 0;
	}
	if (n == CONF_ROLES_MAX) {
		*why = "at most 8 management lines";
		return -ENOSPC;
	}
	at = n;
	while (!conf_role_any(line) && at > 0 && conf_role_any(c->roles[at - 1]))
		at--;
	memmove(c->roles[at + 1], c->roles[at], (size_t)(n - at) * sizeof(c->roles[0]));
	strcpy(c->roles[at], line);
	return 0;
}

int conf_role_delete(struct conf *c, const char *value)
{
	char line[sizeof(c->roles[0])];
	int found = 0;

	if (value && value[0] && conf_role_line(value, line, sizeof(line)))
		return -ENOENT;
	int kept = 0;

	for (int i = 0; i < CONF_ROLES_MAX; i++) {
		if (!c->roles[i][0])
			continue;
		if (!value || !value[0] || !strcmp(c->roles[i], line))
			found = 1;
		else
			memmove(c->roles[kept++], c->roles[i], sizeof(c->roles[i]));
	}
	for (int i = kept; i < CONF_ROLES_MAX; i++)
		c->roles[i][0] = 0;
	return found || !value || !value[0] ? 0 : -ENOENT;
}

/* By string, as conf_roles_diff: a deleted line leaves its bytes past the
 * NUL (conf_role_delete clears the first), so the slots need not be
 * byte-equal when the lines are. */
bool conf_roles_equal(const struct conf *a, const struct conf *b)
{
	for (int i = 0; i < CONF_ROLES_MAX; i++) {
		if (strcmp(a->roles[i], b->roles[i]))
			return false;
	}
	return true;
}

unsigned conf_roles_diff(const struct conf *a, const struct conf *b, FILE *out)
{
	unsigned n = 0;

	for (int i = 0; i < CONF_ROLES_MAX; i++) {
		if (!strcmp(a->roles[i], b->roles[i]))
			continue;
		n++;
		if (a->roles[i][0])
			fprintf(out, "- management %s\n", a->roles[i]);
		if (b->roles[i][0])
			fprintf(out, "+ management %s\n", b->roles[i]);
	}
	return n;
}

/* prefix "management " for the configuration, "" for mgmtd's roles file */
unsigned conf_roles_print(const struct conf *c, const char *prefix, FILE *out)
{
	unsigned n = 0;

	for (; n < CONF_ROLES_MAX && c->roles[n][0]; n++)
		fprintf(out, "%s%s\n", prefix, c->roles[n]);
	return n;
}
