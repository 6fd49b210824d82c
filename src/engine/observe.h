/* The engine's side of the observation table (scanwall/learn.h): the
 * hooks dflow.c and verdict.c call, the DICOM observer they attach to
 * each association, and keeping the table in the state directory. */
#ifndef SW_ENGINE_OBSERVE_H
#define SW_ENGINE_OBSERVE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scanwall/event.h"
#include "scanwall/flowkey.h"

struct eng;
struct eng_obs;
struct flow;
struct lrn;

/* Start observing: a table sized by Kconfig, loaded from path when there
 * is one (a restart keeps what was learnt) and saved there by
 * eng_obs_save(); path may be NULL (in memory only). Call before the
 * first packet. 0 or -errno (-EBADMSG: path holds no table; the engine
 * then observes from empty and the file is replaced at the next save). */
int eng_observe(struct eng *e, const char *path);
/* The table, or NULL when not observing. */
struct lrn *eng_observed(const struct eng *e);
/* Writes the table to its path, now. Not for the verdict loop while it
 * issues verdicts: the JSON of the whole table, a file write and two
 * fsyncs. The periodic saves are the control thread's, from a copy
 * (control/obsnap.c); this is for the exit, and for --replay --learn.
 * 0 or -errno. */
int eng_obs_save(struct eng *e);
/* Grows whenever the table is recorded into: a copy taken at the same
 * count is still the table. 0 when not observing. */
uint64_t eng_obs_changes(const struct eng *e);

/* --- engine internals ------------------------------------------------------ */

/* The reason of a packet refused because it starts no flow (verdict.c),
 * told apart by its address: no refusal event costs a string compare, and
 * a rule whose own reason reads the same is still observed. */
extern const char eng_reason_no_flow[];

void eng_obs_free(struct eng_obs *o);
/* dflow_start: an inspected association begins on flow f. */
void eng_obs_start(struct eng *e, const struct flow *f);
/* dflow_data: n stream bytes of flow f went to the inspector, from dir. */
void eng_obs_bytes(struct eng *e, const struct flow *f, int dir, size_t n);
/* eng_emit: an allowed plain flow or a refusal. */
void eng_obs_event(struct eng *e, const struct sw_event *ev, const struct flow_key *k);

#endif
