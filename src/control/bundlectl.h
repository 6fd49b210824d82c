/* scanwalld's side of signed bundles: the store from src/bundle, wired to
 * the engine (apply = compile and swap), the event log and the control
 * socket (`bundle install|confirm|rollback|status`). */
#ifndef SW_ENGINE_BUNDLECTL_H
#define SW_ENGINE_BUNDLECTL_H

#include <stddef.h>
#include <stdint.h>

#include "scanwall/event.h"
#include "control/control.h"

struct bundlectl_cfg {
	const char *state_dir;		/* the store lives in state_dir/bundles */
	const char *keyring_dir;	/* NULL: CONFIG_BUNDLE_KEYRING */
	const char *crl_export;		/* the bundle's `crl` goes here, 0644; NULL: nowhere */
	/* Compile and swap in; leave the policy in force alone on failure. */
	int (*apply)(void *ctx, const char *text, size_t len, char *err, size_t errlen);
	void (*event)(void *ctx, const struct sw_event *ev);
	void *ctx;
};

struct bundlectl;

struct bundlectl *bundlectl_open(const struct bundlectl_cfg *cfg);
void bundlectl_close(struct bundlectl *b);
/* Whether state_dir holds an installed bundle (even one that cannot be
 * opened now), so that the caller never falls back over it. */
int bundlectl_installed(const char *state_dir);
/* Applies the bundle in force; -ENOENT when there is none. */
int bundlectl_load(struct bundlectl *b);
/* About once a second: the confirm timer. */
void bundlectl_tick(struct bundlectl *b);

/* For control_env: the `bundle` command and the reload lock. */
extern const struct control_cmd bundlectl_cmds[];
extern const unsigned bundlectl_ncmds;
const char *bundlectl_reload_locked(void *b);

#endif
