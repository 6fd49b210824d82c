/* tests/policy/modules.sh's renderer: every kernel document an install of
 * POLICY loads, as the apply path prepares it (its device addresses
 * included), for both backends, written into DIR:
 *
 *   nft.nft    the nft backend: table inet (queue) and table bridge
 *   xt4.rules  the xt backend: iptables-restore input
 *   xt6.rules  ip6tables-restore input
 *   xt.nft     its table inet (marks PASS) and table bridge
 *
 *   rsrender POLICY DIR */
#include <stdio.h>
#include <stdlib.h>

#include "control/apply.h"
#include "datapath/ruleset.h"
#include "scanwall/fileio.h"
#include "scanwall/policy.h"

static int rsr_write(const char *dir, const char *name, const struct ruleset_cfg *c,
		     const enum ruleset_doc *docs, unsigned n)
{
	static char buf[4 << 20];
	char path[4096];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	for (unsigned i = 0; i < n && !err; i++) {
		int len = ruleset_render(c, docs[i], buf, sizeof(buf));

		err = len < 0 || fwrite(buf, 1, (size_t)len, f) != (size_t)len;
	}
	return fclose(f) || err ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const enum ruleset_doc nft[] = { RULESET_DOC_NFT_INET, RULESET_DOC_NFT_BRIDGE };
	static const enum ruleset_doc xt4[] = { RULESET_DOC_IPT4 }, xt6[] = { RULESET_DOC_IPT6 };
	static const enum ruleset_doc xt[] = { RULESET_DOC_NFT_INET_XT, RULESET_DOC_NFT_BRIDGE };
	struct ruleset_cfg base;
	struct apply_plan p;
	struct apply a;
	size_t len;
	char *text;
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: rsrender POLICY DIR\n");
		return 2;
	}
	if (sw_read_file(argv[1], APPLY_POLICY_MAX, &text, &len) < 0) {
		perror(argv[1]);
		return 1;
	}
	ruleset_cfg_default(&base);
	base.syn_queue = true;
	apply_init(&a, NULL, &base, NULL, NULL);
	if (apply_prepare(&a, argv[1], text, len, stderr, &p) < 0)
		goto out_text;
	if (rsr_write(argv[2], "nft.nft", &p.rs, nft, 2) || rsr_write(argv[2], "xt4.rules", &p.rs, xt4, 1) ||
	    rsr_write(argv[2], "xt6.rules", &p.rs, xt6, 1) || rsr_write(argv[2], "xt.nft", &p.rs, xt, 2))
		fprintf(stderr, "rsrender: %s: cannot render or write\n", argv[1]);
	else
		rc = 0;
	apply_abort(&p);
out_text:
	free(text);
	return rc;
}
