/* `show interfaces`: the unit's ports, from sysfs. This is the box's own
 * state, not the engine's, so it is read here rather than asked of
 * scanwalld; --json prints the same fields as one JSON object. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "console/cons.h"
#include "scanwall/jsonw.h"

#define SYSFS_NET "/sys/class/net"

static const char *const if_attrs[] = { "operstate", "address", "mtu", "statistics/rx_bytes",
					"statistics/tx_bytes" };
#define IF_NATTR (sizeof(if_attrs) / sizeof(if_attrs[0]))

/* One sysfs attribute, first line, printable only; "-" when absent. */
static void if_attr(const char *ifname, const char *attr, char *buf, size_t size)
{
	char path[512];
	FILE *fp;

	snprintf(buf, size, "-");
	if ((size_t)snprintf(path, sizeof(path), SYSFS_NET "/%s/%s", ifname, attr) >= sizeof(path))
		return;
	fp = fopen(path, "re");
	if (!fp)
		return;
	if (!fgets(buf, (int)size, fp))
		snprintf(buf, size, "-");
	fclose(fp);
	buf[strcspn(buf, "\n")] = 0;
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}

static int if_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int if_visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void if_print(struct cons *c, const char *name, char v[IF_NATTR][64], bool first)
{
	static const char *const keys[] = { "state", "mac", "mtu", "rx_bytes", "tx_bytes" };

	if (!c->json) {
		fprintf(c->out, "%-16s%-10s%-19s%6s %12s %12s\n", name, v[0], v[1], v[2], v[3], v[4]);
		return;
	}
	fprintf(c->out, "%s{\"name\":", first ? "" : ",");
	jw_str(SB_STREAM(c->out), name);
	for (size_t i = 0; i < IF_NATTR; i++) {
		fprintf(c->out, ",\"%s\":", keys[i]);
		jw_str(SB_STREAM(c->out), v[i]);
	}
	fputc('}', c->out);
}

int cons_show_interfaces(struct cons *c, int argc, char **argv)
{
	struct dirent **list;
	char v[IF_NATTR][64];
	bool json = c->json;
	int n;

	if (argc == 1 && strcmp(argv[0], "--json")) {
		fprintf(c->out, "error: unexpected '%s' (only --json may follow)\n", argv[0]);
		return -EINVAL;
	}
	n = scandir(SYSFS_NET, &list, if_visible, if_cmp);
	if (n < 0) {
		fprintf(c->out, "error: %s: %s\n", SYSFS_NET, strerror(errno));
		return -errno;
	}
	c->json = json || argc == 1;
	fputs(c->json ? "{\"interfaces\":[" : "", c->out);
	if (!c->json)
		fprintf(c->out, "%-16s%-10s%-19s%6s %12s %12s\n", "Interface", "State", "MAC", "MTU",
			"RX bytes", "TX bytes");
	for (int i = 0; i < n; i++) {
		for (size_t a = 0; a < IF_NATTR; a++)
			if_attr(list[i]->d_name, if_attrs[a], v[a], sizeof(v[a]));
		if_print(c, list[i]->d_name, v, i == 0);
		free(list[i]);
	}
	free(list);
	fputs(c->json ? "]}\n" : "", c->out);
	c->json = json;
	return 0;
}
