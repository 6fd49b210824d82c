/* libFuzzer: packets through the whole engine (parse, flow table, stream
 * tracking, DICOM inspection, crafted answers). The input is a sequence of
 * packets, each prefixed by a 2-byte length; the flow state carries over
 * between them, which is where stream and association bugs live. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "scanwall/engine.h"

static const char policy[] =
	"device d 10.0.0.2,fd00::2 ae DEV\n"
	"peer p 10.0.0.1,fd00::1 ae any\n"
	"allow dicom from p to d port 104 services verification storage query-retrieve\n"
	"allow dicom from p to d port 105 services verification inspect association\n"
	"allow udp from d to p port 123\n"
	"allow icmp from p to d\n"
	"reject tcp from any to d port 80\n"
	"default block\n";

static void nop_release(void *c, uint32_t id, enum eng_verdict v) {}
static void nop_inject(void *c, const uint8_t *p, size_t n, const struct eng_port *t) {}
static void nop_event(void *c, const struct sw_event *ev)
{
	char buf[1024];

	ev_json(ev, buf, sizeof(buf));
}

static const struct eng_ops ops = { nop_release, nop_inject, nop_event, NULL };
static const struct eng_port lan = { .ifindex = 1, .mac = { 2, 0, 0, 0, 0, 1 }, .has_mac = 1 };
static const struct eng_port dev = { .ifindex = 2, .mac = { 2, 0, 0, 0, 0, 2 }, .has_mac = 1 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eng_cfg cfg = { .flows = 64, .assocs = 8, .rq_bufs = 2, .rq_max = 4096,
			       .idle_tcp_s = 60, .idle_other_s = 10 };
	struct eng *e = eng_new(&cfg, &ops, NULL);
	uint64_t ts = 1000000000ull;
	uint8_t pkt[2048];

	if (!e || eng_set_policy(e, pol_parse("f", policy, sizeof(policy) - 1, NULL)))
		__builtin_trap();
	while (size >= 2) {
		size_t n = (size_t)(data[0] << 8 | data[1]) % sizeof(pkt);
		/* The length's top bit: which bridge port it entered, so that
		 * the engine learns ports and skips SYN-ACKs (hostport.c). */
		struct eng_pkt pk = { .l3 = pkt, .from = (data[0] & 0x80) ? dev : lan };
		enum eng_verdict v;

		ts += 1000000;
		pk.ts_ns = ts;
		pk.id = (uint32_t)ts;
		data += 2, size -= 2;
		if (n > size)
			n = size;
		/* A private copy of exactly n bytes, so ASan sees any overread. */
		memcpy(pkt, data, n);
		pk.len = n;
		eng_packet(e, &pk, &v);
		data += n, size -= n;
	}
	eng_expire(e, ts + 7200ull * 1000000000ull);
	eng_free(e);
	return 0;
}
