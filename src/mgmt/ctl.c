/* mgmtd's client of scanwalld's control socket: the shared, bounded
 * ctl_request() (a stuck engine costs the loop that serves every HTTPS
 * client at most CTL_REQUEST_TIMEOUT_MS, or CTL_TOOLS_TIMEOUT_MS for a
 * command that runs tools: deadlines.h), with the answer kept in memory
 * for the handler that turns it into a response. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "scanwall/ctlclient.h"
#include "mgmt/mgmt.h"

int mgmt_ctl(struct mgmt *m, const char *cmd, char **ans, size_t *len)
{
	FILE *out;
	int err;

	*ans = NULL;
	out = open_memstream(ans, len);
	if (!out)
		return -ENOMEM;
	err = ctl_request(m->cfg->control, cmd, out);
	if (fclose(out) && !err)
		err = -ENOMEM;
	return err;
}
