/* The client of scanwalld's control socket (docs/control.md): one command,
 * one JSON line back. `scanwalld --ctl`, the console and the management
 * plane all use it. Every call is bounded in time (one deadline for all
 * of it: connect, send and answer; CTL_REQUEST_TIMEOUT_MS, or for the
 * commands that run tools CTL_TOOLS_TIMEOUT_MS, deadlines.h) and size
 * (CTL_REQUEST_MAX), so a stuck or misbehaving engine can cost a caller's
 * event loop seconds, never forever. `bundle install PATH ...` opens PATH here, with
 * the caller's rights (a regular file, no symlink), and passes the fd. */
#ifndef SCANWALL_CTLCLIENT_H
#define SCANWALL_CTLCLIENT_H

#include <stdio.h>

#include "scanwall/deadlines.h"

#define CTL_REQUEST_MAX (16u << 20)

/* Sends cmd (no newline in it) and copies the answer, newline included, to
 * out. Returns 0; -EPROTO when scanwalld said no ({"error":...} or
 * {"ok":false,...}: the answer is still in out), or an upload was refused
 * here (an {"error":...} line in out as well); -ETIMEDOUT, -EFBIG,
 * -EINVAL, or the -errno of connect() and friends. */
int ctl_request(const char *sock, const char *cmd, FILE *out);

#endif
