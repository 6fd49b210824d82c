/* Names of refusals and events: stable strings, they end up in events
 * that operators grep and in the conformance suite's expectations. */
#include <errno.h>
#include <stdio.h>

#include "bundle/internal.h"

static const char *const reason_names[BUNDLE_E__COUNT] = {
	[BUNDLE_OK] = "ok",
	[BUNDLE_E_MALFORMED] = "malformed",
	[BUNDLE_E_TOO_LARGE] = "too large",
	[BUNDLE_E_TRAILING] = "trailing bytes",
	[BUNDLE_E_NO_SIGNATURE] = "no signature",
	[BUNDLE_E_BAD_SIGNATURE] = "bad signature",
	[BUNDLE_E_THRESHOLD] = "below threshold",
	[BUNDLE_E_UNKNOWN_KEY] = "unknown key",
	[BUNDLE_E_DEV_KEY] = "development key",
	[BUNDLE_E_ROLLBACK] = "rollback",
	[BUNDLE_E_INCOMPATIBLE] = "incompatible",
	[BUNDLE_E_EXPIRED] = "expired",
	[BUNDLE_E_HASH] = "payload hash mismatch",
	[BUNDLE_E_CRITICAL] = "unknown critical field",
	[BUNDLE_E_POLICY] = "policy does not compile",
	[BUNDLE_E_PENDING] = "install awaiting confirm",
	[BUNDLE_E_NOTHING] = "nothing to do",
	[BUNDLE_E_IO] = "storage error",
};

static const char *const event_names[] = {
	[BUNDLE_EV_INSTALLED] = "bundle-installed",
	[BUNDLE_EV_REFUSED] = "bundle-refused",
	[BUNDLE_EV_CONFIRMED] = "bundle-confirmed",
	[BUNDLE_EV_REVERTED] = "bundle-reverted",
	[BUNDLE_EV_ROLLED_BACK] = "bundle-rolled-back",
	[BUNDLE_EV_KEYRING] = "bundle-keyring-updated",
	[BUNDLE_EV_LOADED] = "bundle-loaded",
};

const char *bundle_reason_name(enum bundle_reason r)
{
	return (unsigned)r < BUNDLE_E__COUNT ? reason_names[r] : "?";
}

const char *bundle_event_name(enum bundle_event e)
{
	return (unsigned)e < sizeof(event_names) / sizeof(event_names[0]) ? event_names[e] : "?";
}

int bundle_result_text(const struct bundle_result *r, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s v%llu: %s", bundle_event_name(r->event),
			 (unsigned long long)r->version,
			 r->detail[0] ? r->detail : bundle_reason_name(r->reason));

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

int bundle_fail(struct bundle_result *res, enum bundle_reason r, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	res->event = BUNDLE_EV_REFUSED;
	res->reason = r;
	n = snprintf(res->detail, sizeof(res->detail), "%s: ", bundle_reason_name(r));
	if (n < 0 || (size_t)n >= sizeof(res->detail))
		return err;
	va_start(ap, fmt);
	vsnprintf(res->detail + n, sizeof(res->detail) - (size_t)n, fmt, ap);
	va_end(ap);
	return err;
}
