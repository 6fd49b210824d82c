/* mgmtd's admission (src/mgmt/admit.c) with real descriptors and no TLS
 * spoken: connections from chosen addresses are taken in, a handshake is
 * made ripe for eviction by moving its start back, and what started and
 * what waits is read from the table:
 *
 *   addresses ── mgmt_enqueue ──▶ pool (32 handshakes, 8 a source) ──▶ started
 *                                 └─▶ queue (512, 16 a source) ── mgmt_admit ─┘
 *   an IPv6 source: its /64, and its /56 and /48 with twice and four times that
 *   mgmt_admit's order: fewest held, not stalled lately (two unfinished
 *   handshakes), then the newest, but one passed over by 32 newer ones first
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "mgmt/conn.h"

struct fixture {
	struct mgmt_cfg cfg;
	struct mgmt m;
	struct mgmt_tls tls;
	struct mgmt_server *s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->s = calloc(1, sizeof(*f->s));
	assert_non_null(f->s);
	f->cfg.handshake_ms = 3000;
	f->m.cfg = &f->cfg;
	mbedtls_ssl_config_init(&f->tls.conf);
	assert_int_equal(mbedtls_ssl_config_defaults(&f->tls.conf, MBEDTLS_SSL_IS_SERVER,
						     MBEDTLS_SSL_TRANSPORT_STREAM,
						     MBEDTLS_SSL_PRESET_DEFAULT), 0);
	f->s->m = &f->m;
	f->s->tls = &f->tls;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < MGMT_CONNS; i++)
		conn_close(f->s, &f->s->c[i], false);
	while (f->s->nwaiting)
		mgmt_unwait(f->s, f->s->nwaiting - 1);
	mbedtls_ssl_config_free(&f->tls.conf);
	free(f->s);
	free(f);
	return 0;
}

/* A connection from addr (IPv4 or IPv6) is accepted. */
static void connect_from(struct fixture *f, const char *addr)
{
	struct sockaddr_storage sa = { 0 };
	struct sockaddr_in6 *v6 = (void *)&sa;
	struct sockaddr_in *v4 = (void *)&sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		sa.ss_family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &v6->sin6_addr), 1);
		sa.ss_family = AF_INET6;
	}
	mgmt_enqueue(f->s, fd, &sa);
}

/* peer is "ADDR:0" (no port here); prefix "" counts them all. */
static bool from_prefix(const char *peer, const char *prefix)
{
	return !strncmp(peer, prefix, strlen(prefix));
}

static unsigned started(const struct fixture *f, const char *prefix)
{
	unsigned n = 0;

	for (int i = 0; i < MGMT_CONNS; i++)
		n += f->s->c[i].state == CONN_HANDSHAKE && from_prefix(f->s->c[i].peer, prefix);
	return n;
}

static unsigned waiting(const struct fixture *f, const char *prefix)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->s->nwaiting; i++)
		n += from_prefix(f->s->waiting[i].peer, prefix);
	return n;
}

/* The handshakes from peer began a second ago: evictable. */
static void ripen(struct fixture *f, const char *peer)
{
	for (int i = 0; i < MGMT_CONNS; i++) {
		if (f->s->c[i].state == CONN_HANDSHAKE && !strcmp(f->s->c[i].peer, peer))
			f->s->c[i].since_ms -= 1000;
	}
}

/* 32 addresses fill the pool, one handshake each. */
static void fill_pool(struct fixture *f, const char *net)
{
	char a[32];

	for (int i = 1; i <= MGMT_STARTUPS; i++) {
		snprintf(a, sizeof(a), "%s.%d", net, i);
		connect_from(f, a);
	}
	assert_int_equal(started(f, ""), MGMT_STARTUPS);
}

/* The handshakes from peer end unfinished: their peers close them. */
static void peer_closes(struct fixture *f, const char *peer)
{
	for (int i = 0; i < MGMT_CONNS; i++) {
		if (f->s->c[i].state == CONN_HANDSHAKE && !strcmp(f->s->c[i].peer, peer))
			conn_close(f->s, &f->s->c[i], false);
	}
}

/* addr's handshake ends unfinished, times times (from an empty pool). */
static void stall(struct fixture *f, const char *addr, int times)
{
	char peer[64];

	snprintf(peer, sizeof(peer), "%s:0", addr);
	for (int i = 0; i < times; i++) {
		connect_from(f, addr);
		peer_closes(f, peer);
	}
}

/* One evicted handshake does not mark its source (a slow link): back, it
 * is the newest and starts first; a second does: back after a newcomer,
 * it waits behind it. */
static void test_stall_needs_two(void **state)
{
	struct fixture *f = *state;

	fill_pool(f, "10.0.0");
	connect_from(f, "10.0.1.1");
	ripen(f, "10.0.0.1:0");
	mgmt_admit(f->s);
	assert_int_equal(started(f, "10.0.1.1:"), 1);
	connect_from(f, "10.0.2.1");
	connect_from(f, "10.0.0.1");
	ripen(f, "10.0.0.2:0");
	mgmt_admit(f->s);
	assert_int_equal(started(f, "10.0.0.1:"), 1);
	ripen(f, "10.0.0.1:0");
	connect_from(f, "10.0.3.1");
	mgmt_admit(f->s);
	assert_int_equal(started(f, "10.0.3.1:"), 1);
	connect_from(f, "10.0.4.1");
	connect_from(f, "10.0.0.1");
	ripen(f, "10.0.0.3:0");
	mgmt_admit(f->s);
	assert_int_equal(started(f, "10.0.4.1:"), 1);
	assert_int_equal(waiting(f, "10.0.0.1:"), 1);
}

/* Handshakes the peer closes itself, before any eviction, stall their
 * source as well: twice, and it waits behind a newcomer though newer. */
static void test_peer_closed_stalls(void **state)
{
	struct fixture *f = *state;

	stall(f, "10.0.9.1", 2);
	fill_pool(f, "10.0.0");
	connect_from(f, "10.0.1.1");
	f->s->waiting[0].deadline_ms -= MGMT_EVICT_AFTER_MS;	/* it waited that long */
	connect_from(f, "10.0.9.1");
	peer_closes(f, "10.0.0.1:0");
	mgmt_admit(f->s);
	assert_int_equal(started(f, "10.0.1.1:"), 1);
	assert_int_equal(waiting(f, "10.0.9.1:"), 1);
}

/* A finished handshake clears its source's count: stalled three times,
 * then one finished (a client with a certificate), it is the newest and
 * starts first again. */
static void test_finished_clears(void **state)
{
	struct fixture *f = *state;
	uint8_t src[16];

	stall(f, "10.0.9.1", 2);
	connect_from(f, "10.0.9.1");
	for (int i = 0; i < MGMT_CONNS; i++) {
		if (f->s->c[i].state == CONN_HANDSHAKE)
			memcpy(src, f->s->c[i].src, sizeof(src));
	}
	peer_closes(f, "10.0.9.1:0");
	mgmt_handshake_ended(f->s, src, true);
	fill_pool(f, "10.0.0");
	connect_from(f, "10.0.1.1");
	connect_from(f, "10.0.9.1");
	peer_closes(f, "10.0.0.1:0");
	mgmt_admit(f->s);
	assert_int_equal(started(f, "10.0.9.1:"), 1);
	assert_int_equal(waiting(f, "10.0.1.1:"), 1);
}

/* Four /64s of one /48 stalled twice each: a fifth, fresh, waits behind a
 * newcomer from elsewhere though it came after it. */
static void test_stalled_48(void **state)
{
	struct fixture *f = *state;
	char a[48];

	for (int i = 1; i <= 4; i++) {
		snprintf(a, sizeof(a), "fd00:8:0:%x::1", i << 8);
		stall(f, a, 2);
	}
	fill_pool(f, "10.0.0");
	connect_from(f, "10.0.4.1");
	f->s->waiting[0].deadline_ms -= MGMT_EVICT_AFTER_MS;	/* it waited that long */
	connect_from(f, "fd00:8:0:500::1");
	ripen(f, "10.0.0.5:0");
	mgmt_admit(f->s);
	assert_int_equal(started(f, "10.0.4.1:"), 1);
	assert_int_equal(waiting(f, "fd00:8:"), 1);
}

/* A /64 waiting, not stalled; two other /64s of its /56 each end two
 * handshakes unfinished meanwhile (four from the /56): it is marked where
 * it waits, and goes behind an older newcomer from elsewhere. */
static void test_stalled_56_while_waiting(void **state)
{
	struct fixture *f = *state;
	static const char *const sib[] = { "fd00:9:0:101::", "fd00:9:0:102::" };
	uint8_t src[16];

	fill_pool(f, "10.0.0");
	connect_from(f, "10.0.4.1");
	f->s->waiting[0].deadline_ms -= MGMT_EVICT_AFTER_MS;	/* it waited that long */
	connect_from(f, "fd00:9:0:100::1");
	assert_false(f->s->waiting[1].stalled);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(inet_pton(AF_INET6, sib[i / 2], src), 1);
		mgmt_handshake_ended(f->s, src, false);
	}
	assert_true(f->s->waiting[1].stalled);
	ripen(f, "10.0.0.5:0");
	mgmt_admit(f->s);
	assert_int_equal(started(f, "10.0.4.1:"), 1);
	assert_int_equal(waiting(f, "fd00:9:"), 1);
}

/* Among equals the newest starts first, but a connection passed over by
 * MGMT_PASSED_MAX newer ones goes before them: a stranger who always has
 * a fresh address's connection waiting when it closes one of its own
 * handshakes keeps the operator out for one turn of the pool, not to its
 * deadline. */
static void test_passed_over_goes_first(void **state)
{
	struct fixture *f = *state;
	char a[32], last[48] = "10.0.0.1:0";

	fill_pool(f, "10.0.0");
	connect_from(f, "10.3.0.1");
	f->s->waiting[0].deadline_ms -= MGMT_EVICT_AFTER_MS;	/* it waited that long */
	for (int i = 0; i <= MGMT_PASSED_MAX; i++) {
		snprintf(a, sizeof(a), "10.4.%d.%d", i / 200, i % 200 + 1);
		connect_from(f, a);
		peer_closes(f, last);
		mgmt_admit(f->s);
		if (i < MGMT_PASSED_MAX)
			assert_int_equal(started(f, "10.3.0.1:"), 0);
		snprintf(last, sizeof(last), "%s:0", a);
	}
	assert_int_equal(started(f, "10.3.0.1:"), 1);
}

/* A full queue loses connections of the sources holding most of it,
 * never one of a source holding one place. */
static void test_queue_drop_spares_single(void **state)
{
	struct fixture *f = *state;
	char a[32];

	fill_pool(f, "10.0.0");
	for (int i = 1; i <= 100; i++) {
		snprintf(a, sizeof(a), "10.1.0.%d", i);
		connect_from(f, a);
	}
	for (int i = 1; i <= 40; i++) {
		snprintf(a, sizeof(a), "10.2.0.%d", i);
		for (int k = 0; k < MGMT_WAITING_PER_SOURCE; k++)
			connect_from(f, a);
	}
	assert_int_equal(f->s->nwaiting, MGMT_WAITING);
	assert_true(f->m.st.away[AWAY_EARLY_DROP] >= 100 + 40 * 16 - MGMT_WAITING);
	assert_int_equal(waiting(f, "10.1.0."), 100);
	assert_int_equal(f->m.st.away[AWAY_SOURCE], 0);
}

/* IPv6: 20 /64s of one /56 hold 16 handshakes and 32 waiting places, not
 * 8 and 16 each; 100 /64s of one /48 (in 25 /56s) hold 64 waiting places;
 * an IPv4 client then starts first (the /48 holding 32 handshakes weighs
 * like an address holding 8: it gives up its oldest). */
static void test_ipv6_aggregates(void **state)
{
	struct fixture *f = *state;
	char a[48];

	for (int i = 1; i <= 20; i++) {
		snprintf(a, sizeof(a), "fd00:5:0:%x::1", i);
		for (int k = 0; k < 3; k++)
			connect_from(f, a);
	}
	assert_int_equal(started(f, "fd00:5:"), 2 * MGMT_STARTUPS_PER_SOURCE);
	assert_int_equal(waiting(f, "fd00:5:"), 2 * MGMT_WAITING_PER_SOURCE);
	teardown(state);
	setup(state);
	f = *state;
	for (int i = 0; i < 100; i++) {
		snprintf(a, sizeof(a), "fd00:7:0:%x::1", (i % 25) << 8 | (i / 25 + 1));
		for (int k = 0; k < 2; k++)
			connect_from(f, a);
	}
	assert_int_equal(started(f, "fd00:7:"), MGMT_STARTUPS);
	assert_int_equal(waiting(f, "fd00:7:"), 4 * MGMT_WAITING_PER_SOURCE);
	connect_from(f, "10.9.9.9");
	mgmt_admit(f->s);
	assert_int_equal(started(f, "10.9.9.9:"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stall_needs_two, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_closed_stalls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finished_clears, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_48, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_56_while_waiting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passed_over_goes_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_drop_spares_single, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_aggregates, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
