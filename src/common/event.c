/* One event, one JSON line. Keys are written in a fixed order and always
 * present where the schema says so (`rule` is null for the default action),
 * so a consumer can rely on them without guessing. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "scanwall/event.h"
#include "scanwall/json.h"
#include "scanwall/flowkey.h"
#include "scanwall/sbuf.h"

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

/* Strings in events come from the wire too (AE titles, UIDs): escape
 * everything JSON requires and every byte outside printable ASCII. */
static void jw_str(struct sbuf *w, const char *s)
{
	char buf[7];

	sb_put(w, "\"");
	for (; *s; s++)
		sb_put(w, "%s", json_escape_char((unsigned char)*s, buf));
	sb_put(w, "\"");
}

static void jw_key_str(struct sbuf *w, const char *key, const char *val)
{
	sb_put(w, ",\"%s\":", key);
	if (val)
		jw_str(w, val);
	else
		sb_put(w, "null");
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	default: return "other";
	}
}

static void jw_packet(struct sbuf *w, const struct sw_event *ev)
{
	char a[64];

	sb_put(w, ",\"proto\":\"%s\"", proto_name(ev->proto));
	jw_key_str(w, "src", flowkey_addr_str(ev->af, ev->src, a, sizeof(a)));
	sb_put(w, ",\"sport\":%u", ev->sport);
	jw_key_str(w, "dst", flowkey_addr_str(ev->af, ev->dst, a, sizeof(a)));
	sb_put(w, ",\"dport\":%u", ev->dport);
}

int ev_json(const struct sw_event *ev, char *buf, size_t size)
{
	struct sbuf w = { .p = buf, .size = size };

	sb_put(&w, "{\"ts\":%" PRIu64 ".%06" PRIu64 ",\"event\":\"%s\"",
	       ev->ts_ns / 1000000000u, ev->ts_ns % 1000000000u / 1000u, ev_kind_name(ev->kind));
	if (ev->af && ev->src && ev->dst)
		jw_packet(&w, ev);
	if (ev->rule_line > 0)
		sb_put(&w, ",\"rule\":%d", ev->rule_line);
	else
		sb_put(&w, ",\"rule\":null");
	jw_key_str(&w, "reason", ev->reason);
	if (ev->calling_ae || ev->called_ae) {
		jw_key_str(&w, "calling_ae", ev->calling_ae);
		jw_key_str(&w, "called_ae", ev->called_ae);
	}
	if (ev->refused)
		jw_key_str(&w, "refused", ev->refused);
	if (ev->fault)
		jw_key_str(&w, "fault", ev->fault);
	if (ev->answer)
		jw_key_str(&w, "answer", ev->answer);
	sb_put(&w, "}\n");
	return w.err ? w.err : (int)w.len;
}
