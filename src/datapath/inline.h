/* The inline engine: NFQUEUE in, verdicts out (`scanwalld --policy FILE
 * --queue N ...`). Two halves: the verdict loop, one poll() on the calling
 * thread, and the control thread (ctlthread.h) for the control socket,
 * the bundle store and SIGHUP. */
#ifndef SW_ENGINE_INLINE_H
#define SW_ENGINE_INLINE_H

#include <stdint.h>

#define INLINE_BUSY_POLL_MAX 10000	/* µs; Kconfig's ENGINE_BUSY_POLL_US range */
#define INLINE_ARTIM_MAX 600		/* s; Kconfig's DICOM_ARTIM_S range */
#define INLINE_FLOWS_MAX 1048576	/* Kconfig's FLOW_TABLE_SIZE range */

struct inline_opts {
	const char *policy;	/* required: a broken policy refuses the start */
	uint16_t queue;		/* the NFQUEUE this process binds */
	const char *events;	/* events file, or NULL: the in-memory ring only */
	const char *control;	/* control socket path, or NULL: none */
	const char *state;	/* state directory (signed bundles live here), or NULL */
	const char *keyring;	/* factory signing keys, NULL: CONFIG_BUNDLE_KEYRING */
	const char *bundle_crl;	/* where the bundle's CRL is exported for mgmtd, or NULL */
	long control_uid;	/* a user allowed on the control socket besides
				 * root (the management plane), -1: none */
	uint32_t busy_poll_us;	/* poll without sleeping this long after a
				 * packet whose answer is due; 0: always sleep */
	const char *watchdog;	/* a watchdog device the loop's tick feeds, or NULL */
	unsigned watchdog_s;	/* its timeout; 0: the device's own */
	uint32_t artim_s;	/* association negotiation deadline, seconds */
	uint32_t flows;		/* flow table entries */
	const char *version;
};

/* Loads the policy, builds the engine, binds the queue, installs the
 * kernel ruleset and runs until SIGTERM or SIGINT. SIGHUP reloads the
 * policy file (a broken one is logged and the old one stays). The ruleset
 * stays in place on exit: without an engine the kernel drops. Returns 0
 * after a clean stop, -errno when it could not start or the queue failed. */
int inline_run(const struct inline_opts *o);

/* Adds fd to the loop: cb(ctx) runs whenever it is readable. For modules
 * started after the loop exists. Returns 0, -ENOSPC past 8 fds. */
int inline_add_fd(int fd, void (*cb)(void *ctx), void *ctx);
void inline_del_fd(int fd);

#endif
