/* The TLS server loop of scanwall-mgmtd (server.c). */
#ifndef SCANWALL_MGMT_SERVER_H
#define SCANWALL_MGMT_SERVER_H

#include <stddef.h>

struct mgmt;
struct mgmt_server;

/* Loads the keys, certificates and roles, binds the listening socket and
 * prepares every client slot. NULL and errno (logged). */
struct mgmt_server *mgmt_server_new(struct mgmt *m);
void mgmt_server_free(struct mgmt_server *s);
/* Serves until SIGTERM or SIGINT. Returns 0 or -errno. */
int mgmt_server_run(struct mgmt_server *s);
/* "ADDR:PORT" or "[V6]:PORT" split; port points into hp. */
int mgmt_hostport(const char *hp, char *host, size_t size, const char **port);

#endif
