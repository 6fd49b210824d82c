/* The console's configuration: seven keys (and the management lines, conf_roles.c), each with a check that runs on
 * `set`, so a candidate never holds a value that a commit would have to
 * refuse, and again when a file is read back, so a damaged file is
 * refused whole rather than half-applied. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "console/cons.h"

#define CONF_TIMEOUT_DEFAULT 600
#define CONF_TIMEOUT_MIN 5
#define CONF_TIMEOUT_MAX 86400

static bool conf_ip(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* RFC 1123 host names: dot-separated labels of letters, digits, hyphens. */
static bool conf_hostname(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > 253)
		return false;
	while (*s) {
		size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");

		if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
			return false;
		if (s[n] && (s[n] != '.' || !s[n + 1]))
			return false;
		s += n + (s[n] == '.');
	}
	return true;
}

static const char *chk_address(const char *v)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(v, '/');
	size_t n = slash ? (size_t)(slash - v) : 0;
	char *end;
	long plen;

	if (!slash || n == 0 || n >= sizeof(addr))
		return "expected ADDRESS/PREFIX, e.g. 192.0.2.10/24";
	memcpy(addr, v, n);
	addr[n] = 0;
	errno = 0;
	plen = strtol(slash + 1, &end, 10);
	if (!conf_ip(addr) || errno || *end || end == slash + 1 || plen < 0 ||
	    plen > (strchr(addr, ':') ? 128 : 32))
		return "expected ADDRESS/PREFIX, e.g. 192.0.2.10/24";
	return NULL;
}

static const char *chk_hostname(const char *v)
{
	if (!conf_hostname(v) || strchr(v, '.'))
		return "a host name is 1 to 63 letters, digits and hyphens";
	return NULL;
}

static const char *chk_server(const char *v)
{
	return conf_ip(v) || conf_hostname(v) ? NULL : "expected an IP address or a host name";
}

static bool conf_port(const char *s)
{
	char *end;
	long p;

	errno = 0;
	p = strtol(s, &end, 10);
	return !errno && end != s && !*end && p > 0 && p < 65536;
}

/* HOST, HOST:PORT, IPV6 or [IPV6]:PORT */
static const char *chk_syslog(const char *v)
{
	static const char *why = "expected HOST[:PORT] or [IPV6]:PORT";
	char host[CONS_VALUE_MAX];
	const char *port = NULL;
	size_t n;

	if (strlen(v) >= sizeof(host))
		return why;
	if (v[0] == '[') {
		const char *close = strchr(v, ']');

		if (!close || (close[1] && close[1] != ':'))
			return why;
		n = (size_t)(close - v - 1);
		memcpy(host, v + 1, n);
		host[n] = 0;
		port = close[1] ? close + 2 : NULL;
		return strchr(host, ':') && conf_ip(host) && (!port || conf_port(port)) ? NULL : why;
	}
	if (strchr(v, ':') != strrchr(v, ':'))
		return conf_ip(v) ? NULL : why;
	n = strcspn(v, ":");
	memcpy(host, v, n);
	host[n] = 0;
	port = v[n] ? v + n + 1 : NULL;
	return chk_server(host) || (port && !conf_port(port)) ? why : NULL;
}

static const char *chk_path(const char *v)
{
	if (v[0] != '/' || strstr(v, "/../") || strstr(v, "/./") ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+") !=
		    strlen(v))
		return "expected an absolute path of letters, digits and / . _ - +";
	return NULL;
}

static const char *chk_timeout(const char *v)
{
	char *end;
	long t;

	errno = 0;
	t = strtol(v, &end, 10);
	if (errno || end == v || *end || t < CONF_TIMEOUT_MIN || t > CONF_TIMEOUT_MAX)
		return "expected seconds, 5 to 86400";
	return NULL;
}

static const struct conf_key_info conf_keys[CONF__COUNT] = {
	[CONF_MGMT_ADDRESS] = { "management-address", "address/prefix of the management port",
				chk_address },
	[CONF_HOSTNAME] = { "hostname", "the unit's host name", chk_hostname },
	[CONF_NTP_SERVER] = { "ntp-server", "NTP server (address or name)", chk_server },
	[CONF_SYSLOG] = { "syslog-collector", "syslog collector, host[:port]", chk_syslog },
	[CONF_CLIENT_CA] = { "client-ca", "trusted client CA file (PEM) for the management port",
			     chk_path },
	[CONF_TIMEOUT] = { "console-timeout", "idle console logout, seconds", chk_timeout },
	[CONF_CLIENT_CRL] = { "client-crl", "revoked client certificates (CRL file, PEM or DER)",
			      chk_path },
};

const struct conf_key_info *conf_key_info(enum conf_key k)
{
	return (unsigned)k < CONF__COUNT ? &conf_keys[k] : NULL;
}

int conf_key_find(const char *name)
{
	for (int k = 0; k < CONF__COUNT; k++) {
		if (!strcmp(conf_keys[k].name, name))
			return k;
	}
	return -1;
}

int conf_set(struct conf *c, const char *key, const char *value, const char **why)
{
	int k = conf_key_find(key);

	*why = NULL;
	if (!strcmp(key, "management"))
		return conf_role_set(c, value, why);
	if (k < 0)
		return -ENOENT;
	if (strlen(value) >= CONS_VALUE_MAX)
		*why = "value too long";
	else
		*why = conf_keys[k].check(value);
	if (*why)
		return -EINVAL;
	strcpy(c->val[k], value);
	return 0;
}

int conf_delete(struct conf *c, const char *key)
{
	int k = conf_key_find(key);

	if (!strcmp(key, "management"))
		return conf_role_delete(c, NULL);
	if (k < 0)
		return -ENOENT;
	c->val[k][0] = 0;
	return 0;
}

bool conf_equal(const struct conf *a, const struct conf *b)
{
	for (int k = 0; k < CONF__COUNT; k++) {
		if (strcmp(a->val[k], b->val[k]))
			return false;
	}
	return conf_roles_equal(a, b);
}

unsigned conf_diff(const struct conf *a, const struct conf *b, FILE *out)
{
	unsigned n = 0;

	for (int k = 0; k < CONF__COUNT; k++) {
		if (!strcmp(a->val[k], b->val[k]))
			continue;
		n++;
		if (a->val[k][0])
			fprintf(out, "- %s %s\n", conf_keys[k].name, a->val[k]);
		if (b->val[k][0])
			fprintf(out, "+ %s %s\n", conf_keys[k].name, b->val[k]);
	}
	return n + conf_roles_diff(a, b, out);
}

void conf_changed(const struct conf *a, const struct conf *b, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (int k = 0; k < CONF__COUNT && n < size; k++) {
		if (strcmp(a->val[k], b->val[k]))
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? " " : "", conf_keys[k].name);
	}
	if (!conf_roles_equal(a, b) && n < size)
		snprintf(buf + n, size - n, "%smanagement", n ? " " : "");
	if (!buf[0])
		snprintf(buf, size, "no changes");
}

void conf_print(const struct conf *c, FILE *out)
{
	for (int k = 0; k < CONF__COUNT; k++) {
		if (c->val[k][0])
			fprintf(out, "%s %s\n", conf_keys[k].name, c->val[k]);
	}
	conf_roles_print(c, "management ", out);
}

static int conf_parse_line(struct conf *c, char *line)
{
	char *sp = strchr(line, ' ');
	const char *why;

	if (!line[0] || line[0] == '#')
		return 0;
	if (!sp)
		return -EBADMSG;
	*sp = 0;
	return conf_set(c, line, sp + 1, &why) ? -EBADMSG : 0;
}

int conf_parse(struct conf *c, const char *text, size_t len)
{
	char line[CONS_VALUE_MAX + 64];
	size_t i = 0;
	int err = 0;

	memset(c, 0, sizeof(*c));
	while (i < len && !err) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - text - i) : len - i;

		if (n >= sizeof(line) || memchr(text + i, 0, n))
			return -EBADMSG;
		memcpy(line, text + i, n);
		line[n] = 0;
		err = conf_parse_line(c, line);
		i += n + 1;
	}
	if (err)
		memset(c, 0, sizeof(*c));
	return err;
}

unsigned conf_timeout(const struct conf *c, unsigned opt)
{
	if (opt)
		return opt;
	if (c->val[CONF_TIMEOUT][0])
		return (unsigned)strtoul(c->val[CONF_TIMEOUT], NULL, 10);
	return CONF_TIMEOUT_DEFAULT;
}
