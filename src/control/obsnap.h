/* The observation table, off the verdict loop (docs/architecture.md, "Two
 * halves"). The engine records into its table on the loop; the control
 * thread keeps a copy, made a slice at a time on the loop (each slice one
 * ctlthread call, CTLTHREAD_SLICE bytes at most), and does the slow work
 * with it: the `observed` and `proposal` answers, and the save to the
 * state directory every CONFIG_OBSERVE_SAVE_S when the table changed
 * (its JSON, a file write, two fsyncs). */
#ifndef SW_CONTROL_OBSNAP_H
#define SW_CONTROL_OBSNAP_H

#include <stdint.h>

struct eng;
struct lrn;

struct obsnap_cfg {
	struct eng *eng;
	const char *path;	/* where the periodic save goes; NULL: none */
	/* Runs fn(arg) on the engine's thread and returns once it ran:
	 * 0 or -errno. NULL: the caller owns the engine. */
	int (*call)(void *ctx, void (*fn)(void *arg), void *arg);
	void *ctx;
};

struct obsnap;

/* NULL and errno. The copy is allocated at the first take. */
struct obsnap *obsnap_new(const struct obsnap_cfg *cfg);
void obsnap_free(struct obsnap *s);

/* Brings the copy up to date: 0, -ENOENT when the engine does not
 * observe, -ENOMEM, or the call's -errno. */
int obsnap_take(struct obsnap *s);
/* The copy the last take made (NULL before one). */
const struct lrn *obsnap_table(const struct obsnap *s);

/* About once a second, on the control thread: saves the table when
 * CONFIG_OBSERVE_SAVE_S passed since the last save and it changed. */
void obsnap_tick(struct obsnap *s, uint64_t now_ns);

#endif
