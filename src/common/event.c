/* One event, one JSON line. Keys are written in a fixed order and always
 * present where the schema says so (`rule` is null for the default action),
 * so a consumer can rely on them without guessing. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "scanwall/event.h"
#include "scanwall/flowkey.h"
#include "scanwall/jsonw.h"

static const char *const kind_names[EV__COUNT] = {
	[EV_ALLOW] = "allow",
	[EV_BLOCK] = "block",
	[EV_REJECT] = "reject",
	[EV_ASSOC_ACCEPT] = "assoc-accept",
	[EV_ASSOC_REJECT] = "assoc-reject",
	[EV_ASSOC_ABORT] = "assoc-abort",
	[EV_ASSOC_RELEASE] = "assoc-release",
	[EV_INVALID] = "invalid",
	[EV_SYSTEM] = "system",
	[EV_ANOMALY] = "anomaly",
};

const char *ev_kind_name(enum ev_kind k)
{
	return (unsigned)k < EV__COUNT ? kind_names[k] : "unknown";
}

static void ev_json_packet(struct sbuf *w, const struct sw_event *ev)
{
	char a[64];

	sb_put(w, ",\"proto\":\"%s\"", flowkey_proto_name(ev->proto));
	jw_kstr(w, ",", "src", flowkey_addr_str(ev->af, ev->src, a, sizeof(a)));
	jw_ku64(w, ",", "sport", ev->sport);
	jw_kstr(w, ",", "dst", flowkey_addr_str(ev->af, ev->dst, a, sizeof(a)));
	jw_ku64(w, ",", "dport", ev->dport);
}

int ev_json(const struct sw_event *ev, char *buf, size_t size)
{
	struct sbuf w = { .p = buf, .size = size };

	sb_put(&w, "{\"ts\":%" PRIu64 ".%06" PRIu64 ",\"event\":\"%s\"",
	       ev->ts_ns / 1000000000u, ev->ts_ns % 1000000000u / 1000u, ev_kind_name(ev->kind));
	if (ev->af && ev->src && ev->dst)
		ev_json_packet(&w, ev);
	if (ev->rule_line > 0)
		jw_ku64(&w, ",", "rule", (uint64_t)ev->rule_line);
	else
		sb_put(&w, ",\"rule\":null");
	jw_kstr(&w, ",", "reason", ev->reason);
	if (ev->calling_ae || ev->called_ae) {
		jw_kstr(&w, ",", "calling_ae", ev->calling_ae);
		jw_kstr(&w, ",", "called_ae", ev->called_ae);
	}
	if (ev->refused)
		jw_kstr(&w, ",", "refused", ev->refused);
	if (ev->fault)
		jw_kstr(&w, ",", "fault", ev->fault);
	if (ev->answer)
		jw_kstr(&w, ",", "answer", ev->answer);
	sb_put(&w, "}\n");
	return w.err ? w.err : (int)w.len;
}
