#ifndef SW_ENGINE_REPLAY_H
#define SW_ENGINE_REPLAY_H

#include <stdio.h>

struct replay_opts {
	const char *pcap;
	const char *policy;
	int trace;		/* also print each packet's verdict */
	const char *learn;	/* observation table to add the capture to, or NULL */
	FILE *out;
};

/* Runs every packet of a capture through a fresh engine with the policy
 * and prints each decision as a JSON line. Returns 0, or -errno after
 * printing why to stderr (unreadable or corrupt capture, bad policy). */
int replay_run(const struct replay_opts *o);

#endif
