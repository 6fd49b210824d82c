/* `scanwalld --replay`: the inline engine's decisions, offline. Packets
 * come from a capture instead of NFQUEUE; verdicts, held packets and
 * crafted answers are reported instead of acted on. */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "scanwall/cursor.h"
#include "scanwall/engine.h"
#include "scanwall/learn.h"
#include "engine/observe.h"
#include "replay/replay.h"

/* A packet the engine holds. Inline the kernel keeps it; here a copy
 * does, so that a segment sent through the hook again (ENG_REPEAT) can be
 * given to the engine again, as the kernel would queue it again. */
struct rp_held {
	struct rp_held *next;
	struct eng_pkt pk;
	uint8_t data[];
};

struct replay {
	const struct replay_opts *o;
	uint64_t frame;
	uint64_t expired_s;
	/* Both in arrival order: the engine releases the oldest first (in
	 * sequence order), so a release finds its packet at the head. */
	struct rp_held *held, **held_tail;	/* waiting for a release */
	struct rp_held *again, **again_tail;	/* released with ENG_REPEAT */
	char line[2048];
};

static const char *const verdict_names[] = {
	[ENG_ACCEPT] = "accept", [ENG_DROP] = "drop", [ENG_HOLD] = "hold", [ENG_SETTLE] = "settle", [ENG_OPEN] = "open",
	[ENG_OPEN_SYNACK] = "open",
	[ENG_REPEAT] = "repeat",
};

static void rp_event(void *ctx, const struct sw_event *ev)
{
	struct replay *r = ctx;
	int n = ev_json(ev, r->line, sizeof(r->line));

	if (n > 0)
		fwrite(r->line, 1, (size_t)n, r->o->out);
}

static void rp_release(void *ctx, uint32_t id, enum eng_verdict v)
{
	struct replay *r = ctx;
	struct rp_held **pp, *h;

	if (r->o->trace)
		fprintf(r->o->out, "{\"frame\":%" PRIu32 ",\"verdict\":\"%s\",\"released\":true}\n",
			id, verdict_names[v]);
	for (pp = &r->held; *pp && (*pp)->pk.id != id; pp = &(*pp)->next)
		;
	h = *pp;
	if (!h)
		return;
	*pp = h->next;
	if (!*pp)
		r->held_tail = pp;
	if (v != ENG_REPEAT) {
		free(h);
		return;
	}
	h->next = NULL;
	*r->again_tail = h;
	r->again_tail = &h->next;
}

static void rp_inject(void *ctx, const uint8_t *l3, size_t len, const struct eng_port *to)
{
	struct replay *r = ctx;

	if (r->o->trace)
		fprintf(r->o->out, "{\"frame\":%" PRIu64 ",\"inject\":%zu}\n", r->frame, len);
}

static const struct eng_ops replay_ops = {
	.release = rp_release, .inject = rp_inject, .event = rp_event,
};

/* The IP packet inside one captured frame, by link type. Returns 0 and
 * sets *l3, or -EPROTONOSUPPORT for frames that carry no IP. */
static int frame_l3(int dlt, const uint8_t *p, size_t n, struct cur *l3)
{
	struct cur c;
	uint16_t type = 0;
	int err = 0;

	cur_init(&c, p, n);
	switch (dlt) {
	case DLT_EN10MB:
		err = cur_skip(&c, 12) ?: cur_be16(&c, &type);
		while (!err && (type == 0x8100 || type == 0x88a8))	/* VLAN tags */
			err = cur_skip(&c, 2) ?: cur_be16(&c, &type);
		break;
	case DLT_LINUX_SLL:
		err = cur_skip(&c, 14) ?: cur_be16(&c, &type);
		break;
	case DLT_LINUX_SLL2:
		err = cur_be16(&c, &type) ?: cur_skip(&c, 18);
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		type = 0x0800;	/* the version nibble tells */
		break;
	default:
		return -EPROTONOSUPPORT;
	}
	if (err)
		return err;
	if (type != 0x0800 && type != 0x86dd)
		return -EPROTONOSUPPORT;
	return cur_sub(&c, cur_left(&c), l3);
}

/* One packet through the engine; a held one is copied. 0 or -ENOMEM. */
static int replay_one(struct eng *e, struct replay *r, const struct eng_pkt *pk,
		      struct rp_held *copy)
{
	enum eng_verdict v;

	eng_packet(e, pk, &v);
	if (r->o->trace)
		fprintf(r->o->out, "{\"frame\":%" PRIu32 ",\"verdict\":\"%s\"}\n", pk->id,
			verdict_names[v]);
	if (v != ENG_HOLD) {
		free(copy);
		return 0;
	}
	if (!copy) {
		copy = malloc(sizeof(*copy) + pk->len);
		if (!copy)
			return -ENOMEM;
		copy->pk = *pk;
		memcpy(copy->data, pk->l3, pk->len);
		copy->pk.l3 = copy->data;
	}
	copy->next = NULL;
	*r->held_tail = copy;
	r->held_tail = &copy->next;
	return 0;
}

/* The packet, then whatever it sent through the hook again, in order. */
static int replay_decide(struct eng *e, struct replay *r, const struct eng_pkt *pk)
{
	int err = replay_one(e, r, pk, NULL);

	while (!err && r->again) {
		struct rp_held *h = r->again;

		r->again = h->next;
		if (!r->again)
			r->again_tail = &r->again;
		err = replay_one(e, r, &h->pk, h);
	}
	return err;
}

static void replay_free_held(struct replay *r)
{
	struct rp_held *h;

	while ((h = r->held)) {
		r->held = h->next;
		free(h);
	}
	while ((h = r->again)) {
		r->again = h->next;
		free(h);
	}
}

static int replay_packet(struct eng *e, struct replay *r, int dlt,
			 const struct pcap_pkthdr *h, const uint8_t *data)
{
	struct eng_pkt pk = {
		.ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec * 1000u,
		.id = (uint32_t)r->frame,
		.from.ifindex = 1,
	};
	struct cur l3;

	if (h->caplen < h->len) {
		fprintf(stderr, "%s: frame %" PRIu64 " cut to %u of %u bytes; capture with -s 0\n",
			r->o->pcap, r->frame, h->caplen, h->len);
		return -EBADMSG;
	}
	if (frame_l3(dlt, data, h->caplen, &l3))
		return 0;	/* ARP and the like: not the engine's business */
	pk.l3 = cur_pos(&l3);
	pk.len = cur_left(&l3);
	/* Expiry sweeps the table: once a capture second, as inline does. */
	if (pk.ts_ns / 1000000000u != r->expired_s) {
		r->expired_s = pk.ts_ns / 1000000000u;
		eng_expire(e, pk.ts_ns);
	}
	return replay_decide(e, r, &pk);
}

static int replay_loop(struct eng *e, struct replay *r, pcap_t *pc)
{
	int dlt = pcap_datalink(pc), ret, err = 0;
	struct pcap_pkthdr *h;
	const uint8_t *data;

	while (!err && (ret = pcap_next_ex(pc, &h, &data)) == 1) {
		r->frame++;
		err = replay_packet(e, r, dlt, h, data);
	}
	if (!err && ret == PCAP_ERROR) {
		fprintf(stderr, "%s: after frame %" PRIu64 ": %s\n", r->o->pcap, r->frame,
			pcap_geterr(pc));
		err = -EBADMSG;
	}
	return err;
}

/* --learn FILE: the capture is added to the table FILE holds (several
 * captures make one table, as days of observation do inline). */
static int replay_learn(struct eng *e, const struct replay_opts *o, int end)
{
	int err;

	if (!o->learn)
		return 0;
	err = end ? eng_obs_save(e) : eng_observe(e, o->learn);
	if (err == -EBADMSG)
		fprintf(stderr, "%s: not an observation table (%s)\n", o->learn,
			lrn_load_error(eng_observed(e)));
	else if (err)
		fprintf(stderr, "%s: %s\n", o->learn, strerror(-err));
	return err;
}

int replay_run(const struct replay_opts *o)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct replay r = { .o = o, .held_tail = &r.held, .again_tail = &r.again };
	struct eng_cfg cfg;
	struct pol *pol;
	struct eng *e;
	pcap_t *pc;
	int err;

	pol = pol_load(o->policy, stderr);
	if (!pol)
		return -errno;
	eng_cfg_default(&cfg);
	e = eng_new(&cfg, &replay_ops, &r);
	if (!e) {
		err = -errno;
		pol_free(pol);
		return err;
	}
	err = eng_set_policy(e, pol);
	if (err) {
		pol_free(pol);
		goto out_eng;
	}
	err = replay_learn(e, o, 0);
	if (err)
		goto out_eng;
	pc = pcap_open_offline(o->pcap, errbuf);
	if (!pc) {
		fprintf(stderr, "%s: %s\n", o->pcap, errbuf);
		err = -EBADMSG;
		goto out_eng;
	}
	err = replay_loop(e, &r, pc);
	pcap_close(pc);
	if (!err)
		err = replay_learn(e, o, 1);
out_eng:
	eng_free(e);
	replay_free_held(&r);
	return err;
}
