/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Liveness and abuse limits of the responder (ike_dpd.h), two peers in one process (our
 * responder against tests/ike/initiator.c) with a fake dataplane: half-open SAs limited per
 * source address and no state for peers that do not return a cookie; dead peer detection
 * (periodic and on demand: a silent peer is declared dead after the retries, its SAs and
 * lease go; a live peer answers and stays); operator deletes (Delete sent, SAs and lease
 * gone at once, the IKE SA when the peer answers or gives no answer); NAT mapping changes
 * (§2.23: the SA and its outbound ESP SA follow a new authenticated request, never a
 * replayed one). Time is the tick argument, never the clock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/msg.h"
#include "controlplane/ike/ike_dpd.h"
#include "controlplane/ike/ike_sa.h"
#include "controlplane/ike/keyring.h"
#include "controlplane/pool/pool.h"
#include "psk_fx.h" /* the responder, its fake dataplane and pool, the sessions */

static struct ike_sa_info info_of(struct fx *f)
{
	struct fx_info c = { 0 };

	ike_resp_foreach(f->r, fx_info_cb, &c);
	assert_int_equal(c.n, 1);
	return c.last;
}

/* ---- half-open limits --------------------------------------------------------------------- */

/* At most max_half_open_per_peer half-open SAs from one address (any port); other
 * addresses are not affected; refusals are counted. */
static void test_half_open_per_peer(void **state)
{
	struct ike_resp_cfg cfg = fx_resp_cfg();
	struct ike_resp_stats st;
	struct fx *f;
	struct ini in;
	struct ike_addr a = peer, b = peer;

	(void)state;
	cfg.max_half_open_per_peer = 3;
	f = fx_new(&cfg);
	b.addr[3] = 8;
	for (unsigned i = 0; i < 4; i++) {
		a.port = (uint16_t)(500 + i);
		f->req_len = build_init(&in, 100 + i, NULL, 0, f->req, sizeof(f->req));
		f->w.n = 0;
		ike_resp_input(f->r, f->req, f->req_len, &a, &local);
		assert_int_equal(f->w.n, i < 3 ? 1 : 0);
		ini_free(&in);
	}
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.half_open, 3);
	assert_int_equal(st.half_open_peer_refused, 1);
	assert_int_equal(st.sas, 3);
	/* another source still gets in */
	f->req_len = build_init(&in, 200, NULL, 0, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &b, &local);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_init(&in, f->w.buf, f->w.len, &f->m), 0);
	ini_free(&in);
	/* once they expire, the first address may start again */
	tick_to(f, f->now + IKE_HALF_OPEN_TIMEOUT_MS);
	a.port = 600;
	f->req_len = build_init(&in, 300, NULL, 0, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &a, &local);
	assert_int_equal(f->w.n, 1);
	ini_free(&in);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.half_open_peer_refused, 1);
	/* IPv6: one /64 is one source (2001:db8:1:2::/64 here), another /64 is not */
	for (unsigned i = 0; i < 5; i++) {
		struct ike_addr v6 = { 6, { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2 }, 500 };
		struct ike_addr l6 = { 6, { 0x20, 0x01, 0x0d, 0xb8, 0, 1 }, 500 };

		l6.addr[15] = 1;
		v6.addr[15] = (uint8_t)(10 + i);
		if (i == 4)
			v6.addr[7] = 3;
		f->req_len = build_init(&in, 700 + i, NULL, 0, f->req, sizeof(f->req));
		f->w.n = 0;
		ike_resp_input(f->r, f->req, f->req_len, &v6, &l6);
		assert_int_equal(f->w.n, i == 3 ? 0 : 1);
		ini_free(&in);
	}
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.half_open_peer_refused, 2);
	fx_free(f);
}

/* Established SAs no longer count: three sessions from one address with a limit of two
 * half-open ones, IKE_AUTH coming from another address each time (the count goes down
 * under the address it went up with). */
static void test_half_open_per_peer_established(void **state)
{
	struct ike_resp_cfg cfg = fx_resp_cfg();
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK };
	struct ike_addr x = peer, y = peer;
	struct ike_resp_stats st;
	struct ini in[3];
	struct fx *f;

	(void)state;
	cfg.max_half_open_per_peer = 2;
	f = fx_new(&cfg);
	x.port = 500;
	y.addr[3] = 200;
	for (unsigned i = 0; i < 3; i++) {
		f->req_len = build_init(&in[i], 900 + i, NULL, 0, f->req, sizeof(f->req));
		f->w.n = 0;
		ike_resp_input(f->r, f->req, f->req_len, &x, &local);
		assert_int_equal(f->w.n, 1);
		assert_int_equal(ini_process_init(&in[i], f->w.buf, f->w.len, &f->m), 0);
		f->req_len = ini_build_auth(&in[i], &o, f->req, sizeof(f->req));
		f->w.n = 0;
		ike_resp_input(f->r, f->req, f->req_len, &y, &local);
		fdp_complete(&f->dp, 0);
		assert_int_equal(f->w.n, 1);
		assert_int_equal(ini_process_auth(&in[i], f->w.buf, f->w.len, &f->m, PSK), 0);
	}
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 3);
	assert_int_equal(st.half_open, 0);
	assert_int_equal(st.half_open_peer_refused, 0);
	for (unsigned i = 0; i < 3; i++)
		ini_free(&in[i]);
	fx_free(f);
}

/* With cookies on, a peer that does not return one gets a COOKIE and leaves no state; the
 * global limit holds for those that do, and is counted. */
static void test_cookie_no_state_and_global_limit(void **state)
{
	struct ike_resp_cfg cfg = fx_resp_cfg();
	struct ike_resp_stats st;
	const struct ike_pl *n;
	uint8_t cookie[64];
	size_t clen;
	struct fx *f;
	struct ini in;
	struct ike_addr a = peer;

	(void)state;
	cfg.cookie_threshold = 1;
	cfg.max_half_open = 2;
	f = fx_new(&cfg);
	for (unsigned i = 0; i < 4; i++) {
		a.addr[3] = (uint8_t)(10 + i);
		f->req_len = build_init(&in, 400 + i, NULL, 0, f->req, sizeof(f->req));
		f->w.n = 0;
		ike_resp_input(f->r, f->req, f->req_len, &a, &local);
		assert_int_equal(f->w.n, 1);
		if (i == 0) { /* below the threshold: answered */
			assert_int_equal(ini_process_init(&in, f->w.buf, f->w.len, &f->m), 0);
			ini_free(&in);
			continue;
		}
		/* a COOKIE, and nothing kept */
		assert_int_equal(ike_msg_parse(f->w.buf, f->w.len, &f->m, NULL), IKE_PERR_OK);
		n = ike_msg_notify(&f->m, IKE_N_COOKIE);
		assert_non_null(n);
		ike_resp_get_stats(f->r, &st);
		assert_int_equal(st.sas, i == 1 ? 1 : 2);
		clen = n->f.data.len;
		assert_true(clen <= sizeof(cookie));
		memcpy(cookie, n->f.data.p, clen);
		ini_free(&in);
		/* the same request with the cookie: state only up to max_half_open */
		f->req_len = build_init(&in, 400 + i, cookie, clen, f->req, sizeof(f->req));
		f->w.n = 0;
		ike_resp_input(f->r, f->req, f->req_len, &a, &local);
		assert_int_equal(f->w.n, i == 1 ? 1 : 0);
		ini_free(&in);
	}
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 2);
	assert_int_equal(st.half_open, 2);
	assert_int_equal(st.half_open_refused, 2);
	assert_int_equal(st.cookies_sent, 3);
	fx_free(f);
}

/* ---- dead peer detection ----------------------------------------------------------------- */

static struct ike_resp_cfg dpd_cfg(uint8_t mode)
{
	struct ike_resp_cfg c = fx_resp_cfg();

	c.dpd_mode = mode;
	c.dpd_interval = 10;
	c.dpd_retry = 2;
	c.dpd_retries = 3; /* dead after 6 s without an answer */
	return c;
}

/* A silent peer: one check after the interval, none before; after retry x retries without
 * an answer the SA is gone, its ESP SAs and route removed, its address back in the pool. */
static void test_dpd_dead_peer(void **state)
{
	struct ike_resp_cfg cfg = dpd_cfg(IKE_DPD_PERIODIC);
	struct ike_resp_stats st;
	struct fx *f = fx_new(&cfg);
	struct ini in;
	uint64_t t0 = f->now;
	unsigned mark;
	uint32_t mid;

	(void)state;
	establish(f, &in, 1, &peer);
	assert_int_equal(pool_used(f), 1);
	f->w.n = 0;
	tick_to(f, t0 + 9000);
	assert_int_equal(f->w.n, 0);
	tick_to(f, t0 + 10000);
	assert_int_equal(f->w.n, 1);
	/* an empty INFORMATIONAL request from the responder, to where the peer is */
	assert_int_equal(open_request(&in, f->w.buf, f->w.len, &f->m), 0);
	assert_int_equal(f->m.hdr.exchange, IKE_XCHG_INFORMATIONAL);
	assert_int_equal(f->m.n, 0);
	assert_int_equal(f->w.to.port, peer.port);
	mid = f->m.hdr.msg_id;
	assert_true(info_of(f).dpd_pending);
	/* retransmissions of the same request, no new one */
	mark = f->dp.n;
	for (uint64_t t = t0 + 11000; t < t0 + 16000; t += 1000) {
		tick_to(f, t);
		assert_non_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
		if (f->w.n > 1) {
			assert_int_equal(open_request(&in, f->w.buf, f->w.len, &f->m), 0);
			assert_int_equal(f->m.hdr.msg_id, mid);
		}
	}
	tick_to(f, t0 + 16000);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, mark), 2);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_ROUTE_DEL, mark), 1);
	assert_int_equal(pool_used(f), 0);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.dpd_sent, 1);
	assert_int_equal(st.dpd_dead, 1);
	assert_int_equal(st.sas, 0);
	ini_free(&in);
	fx_free(f);
}

/* A live peer answers the check and stays; its own requests count as signs of life too. */
static void test_dpd_live_peer(void **state)
{
	struct ike_resp_cfg cfg = dpd_cfg(IKE_DPD_PERIODIC);
	struct ike_resp_stats st;
	struct fx *f = fx_new(&cfg);
	struct ini in;
	uint64_t t0 = f->now;
	uint8_t ans[512];
	size_t alen;

	(void)state;
	establish(f, &in, 2, &peer);
	f->w.n = 0;
	tick_to(f, t0 + 10000);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(open_request(&in, f->w.buf, f->w.len, &f->m), 0);
	alen = build_answer(&in, f->m.hdr.msg_id, ans, sizeof(ans));
	assert_true(alen > 0);
	ike_resp_input(f->r, ans, alen, &peer, &local);
	assert_false(info_of(f).dpd_pending);
	f->w.n = 0;
	tick_to(f, t0 + 30000);
	assert_non_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	/* the next check: one interval after the answer at the latest */
	assert_int_equal(f->w.n, 1);
	assert_int_equal(open_request(&in, f->w.buf, f->w.len, &f->m), 0);
	alen = build_answer(&in, f->m.hdr.msg_id, ans, sizeof(ans));
	ike_resp_input(f->r, ans, alen, &peer, &local);
	/* a request from the peer is a sign of life: no check 10 s after the answer */
	tick_to(f, t0 + 35000);
	f->req_len = ini_build_info(&in, 0, 0, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
	assert_int_equal(f->w.n, 1);
	f->w.n = 0;
	tick_to(f, t0 + 41000);
	assert_int_equal(f->w.n, 0);
	assert_int_equal(info_of(f).idle_ms, 6000);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.dpd_sent, 2);
	assert_int_equal(st.dpd_dead, 0);
	assert_int_equal(pool_used(f), 1);
	ini_free(&in);
	fx_free(f);
}

static void counters(struct fx *f, const struct ike_sa_info *i, uint64_t in_p, uint64_t out_p)
{
	struct rp_msg_sa_stats s[2] = {
		{ .sa_id = i->sa_id_in, .dir = RP_DIR_IN, .packets = in_p },
		{ .sa_id = i->sa_id_out, .dir = RP_DIR_OUT, .packets = out_p },
	};

	ike_resp_dp_counters(f->r, s, 2);
}

/* On demand: silence alone is no reason; outbound ESP without inbound is. */
static void test_dpd_on_demand(void **state)
{
	struct ike_resp_cfg cfg = dpd_cfg(IKE_DPD_ON_DEMAND);
	struct fx *f = fx_new(&cfg);
	struct ike_sa_info i;
	struct ini in;
	uint64_t t0 = f->now;

	(void)state;
	establish(f, &in, 3, &peer);
	assert_true(ike_resp_wants_counters(f->r));
	i = info_of(f);
	f->w.n = 0;
	counters(f, &i, 0, 0);
	tick_to(f, t0 + 20000);
	counters(f, &i, 0, 0);
	tick_to(f, t0 + 25000);
	assert_int_equal(f->w.n, 0); /* idle both ways: no check */
	/* traffic both ways: alive */
	counters(f, &i, 5, 5);
	tick_to(f, t0 + 36000);
	counters(f, &i, 9, 9);
	tick_to(f, t0 + 40000);
	assert_int_equal(f->w.n, 0);
	/* outbound only, for longer than the interval since the last inbound */
	counters(f, &i, 9, 20);
	tick_to(f, t0 + 45000);
	assert_int_equal(f->w.n, 0); /* 9 s since inbound grew */
	counters(f, &i, 9, 30);
	tick_to(f, t0 + 46000);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(open_request(&in, f->w.buf, f->w.len, &f->m), 0);
	assert_int_equal(f->m.n, 0);
	/* no answer: dead */
	tick_to(f, t0 + 52000);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	assert_int_equal(pool_used(f), 0);
	ini_free(&in);
	fx_free(f);
}

/* ---- on-demand DPD with many sessions: what it asks the dataplane ---------------------------
 * SCALE_N sessions in four kinds, by session number k: k % 4 == 0 idle (no ESP), 1 ESP both
 * ways, 2 both ways until the peer dies (then outbound only), 3 inbound only. The fake
 * dataplane's counters follow the test's clock. Measured over SCALE_IV intervals once every
 * session had its first interval: STATS_REQs, SA_DUMPs and their answers. Printed for the
 * record; asserted: the peers that died and only they are checked and found dead, and no
 * session costs more than one sample an interval. */

#define SCALE_N 192
#define SCALE_IV 8

struct traffic {
	uint64_t now_s, stop_s;
	int sess[4096];                /* by dataplane SA id: session number + 1 (0: none) */
};

static uint64_t traffic_packets(void *arg, uint32_t sa_id, uint8_t dir)
{
	const struct traffic *t = arg;
	unsigned kind;

	assert_true(sa_id < 4096 && t->sess[sa_id] > 0);
	kind = (unsigned)(t->sess[sa_id] - 1) % 4;
	if (dir == RP_DIR_IN)
		return kind == 1 || kind == 3 ? t->now_s :
		       kind == 2 ? (t->now_s < t->stop_s ? t->now_s : t->stop_s) : 0;
	return kind == 1 || kind == 2 ? t->now_s : 0;
}

static void map_sa(const struct ike_sa_info *i, void *arg)
{
	struct traffic *t = arg;
	int k = i->peer.port - 1000;

	assert_true(i->sa_id_in < 4096 && i->sa_id_out < 4096);
	t->sess[i->sa_id_in] = t->sess[i->sa_id_out] = k + 1;
}

struct scale_fig {
	uint64_t queries, dumps, answers;
};

/* @p staggered: sessions set up over one interval (each its own phase), else all at once;
 * @p no_dump: the dataplane refuses SA_DUMP (as if it held more than IKE_DPD_DUMP_MAX_SAS
 * SAs: only STATS_REQs then). */
static void run_scale(bool staggered, bool no_dump, struct scale_fig *fig)
{
	struct ike_resp_cfg cfg = dpd_cfg(IKE_DPD_ON_DEMAND);
	struct pool_cfg pc = { .name = "many", .af = 4, .first = { 10, 9, 0, 1 },
			       .last = { 10, 9, 3, 254 }, .netmask_plen = 32 };
	struct traffic *t = calloc(1, sizeof(*t));
	struct ike_resp_stats st0, st;
	uint64_t iv = 30000, t0, t1, t2, ans0 = 0, now;
	struct fx *f;

	assert_non_null(t);
	cfg.dpd_interval = 30;
	cfg.child_lifetime = 24 * 3600; /* no rekeys in between */
	cfg.ike_lifetime = 24 * 3600;
	f = fx_new(&cfg);
	pool_destroy(f->pool4);
	assert_int_equal(pool_create(&pc, &f->pool4), 0);
	ike_resp_set_pools(f->r, f->pool4, NULL);
	f->dp.packets = traffic_packets;
	f->dp.packets_arg = t;
	if (no_dump)
		f->dp.refuse_type = RP_MSG_SA_DUMP;
	t0 = f->now;
	for (unsigned k = 0; k < SCALE_N; k++) {
		struct ike_addr from = peer;
		struct ini in;

		from.port = (uint16_t)(1000 + k);
		if (staggered)
			tick_to(f, t0 + k * iv / SCALE_N);
		establish(f, &in, 1000 + k, &from);
		ini_free(&in);
		fdp_complete(&f->dp, 0);
	}
	ike_resp_foreach(f->r, map_sa, t);
	/* the measurement: from two intervals after the last setup on; the peers of kind 2
	 * die in the middle of it */
	t1 = f->now + 2 * iv;
	t2 = t1 + SCALE_IV * iv;
	t->stop_s = (t1 + SCALE_IV / 2 * iv) / 1000;
	for (now = f->now + 1000; now <= t2; now += 1000) {
		if (now == t1) {
			ike_resp_get_stats(f->r, &st0);
			ans0 = f->dp.answers;
		}
		t->now_s = now / 1000;
		tick_to(f, now);
		fdp_complete(&f->dp, 0);
		if (f->dp.n > FDP_MAX - 4 * SCALE_N)
			fdp_compact(&f->dp);
	}
	ike_resp_get_stats(f->r, &st);
	fig->queries = st.dpd_queries - st0.dpd_queries;
	fig->dumps = st.dpd_dumps - st0.dpd_dumps;
	fig->answers = f->dp.answers - ans0;
	/* every peer of kind 2 was checked once and found dead; the others are all there */
	assert_int_equal(st.dpd_sent, SCALE_N / 4);
	assert_int_equal(st.dpd_dead, SCALE_N / 4);
	assert_int_equal(st.sas, SCALE_N - SCALE_N / 4);
	/* at most one sample per session an interval, whichever way it is asked for */
	assert_true(fig->queries <= 2ull * SCALE_N * (SCALE_IV + 1));
	assert_true(fig->dumps <= SCALE_IV + 1);
	assert_true(fig->answers <= (fig->queries * 2) + fig->dumps * (2ull * SCALE_N + 1));
	free(t);
	fx_free(f);
}

static void test_dpd_on_demand_scale(void **state)
{
	struct scale_fig a, b, c;
	/* what rampartd did before (ike_io.c, computed: it is gone): one SA_DUMP every
	 * interval / 3 s (at most 10 s) whatever the sessions did, each answered with every SA */
	uint64_t old_dumps = SCALE_IV * 3, old_answers = old_dumps * (2ull * SCALE_N + 1);

	(void)state;
	run_scale(false, false, &a);
	run_scale(true, false, &b);
	run_scale(true, true, &c);
	print_message("on-demand DPD, %u sessions, %u intervals of 30 s:\n"
		      "  set up at once:          %llu SA_DUMP + %llu STATS_REQ, %llu answers\n"
		      "  set up over 30 s:        %llu SA_DUMP + %llu STATS_REQ, %llu answers\n"
		      "  the same without dumps:  %llu SA_DUMP + %llu STATS_REQ, %llu answers\n"
		      "  before (ike_io.c):       %llu SA_DUMP, %llu answers\n", SCALE_N, SCALE_IV,
		      (unsigned long long)a.dumps, (unsigned long long)a.queries,
		      (unsigned long long)a.answers, (unsigned long long)b.dumps,
		      (unsigned long long)b.queries, (unsigned long long)b.answers,
		      (unsigned long long)c.dumps, (unsigned long long)c.queries,
		      (unsigned long long)c.answers, (unsigned long long)old_dumps,
		      (unsigned long long)old_answers);
	/* with dumps: one an interval serves everyone, whatever their phases */
	assert_true(a.dumps <= SCALE_IV + 1 && b.dumps <= SCALE_IV + 1);
	assert_true(a.answers < old_answers / 2);
	assert_true(b.answers < old_answers / 2);
	/* without: only sessions silent for an interval are asked for, once an interval */
	assert_int_equal(c.dumps, 0);
	assert_true(c.queries > 0);
}

/* DPD off: nothing is ever sent. */
static void test_dpd_off(void **state)
{
	struct fx *f = fx_new(NULL);
	struct ini in;

	(void)state;
	establish(f, &in, 4, &peer);
	assert_false(ike_resp_wants_counters(f->r));
	f->w.n = 0;
	tick_to(f, f->now + 1800 * 1000); /* within the CHILD_SA lifetime: no rekey either */
	assert_int_equal(f->w.n, 0);
	assert_non_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	ini_free(&in);
	fx_free(f);
}

/* ---- operator deletes -------------------------------------------------------------------- */

static void test_clear_session(void **state)
{
	struct ike_resp_cfg cfg = dpd_cfg(IKE_DPD_OFF);
	struct fx *f = fx_new(&cfg);
	struct ike_resp_stats st;
	const struct ike_pl *d;
	struct ike_sa_info i;
	struct ike_sa *sa;
	struct ini in, in2;
	uint8_t ans[512];
	size_t alen;
	unsigned mark;

	(void)state;
	sa = establish(f, &in, 5, &peer);
	i = info_of(f);
	assert_true(i.id > 0);
	assert_ptr_equal(ike_resp_find_id(f->r, i.id), sa);
	assert_null(ike_resp_find_id(f->r, i.id + 1));
	mark = f->dp.n;
	f->w.n = 0;
	assert_int_equal(ike_resp_clear(f->r, sa, "test"), 0);
	assert_int_equal(ike_resp_clear(f->r, sa, "test"), -EALREADY);
	/* at once: the ESP SAs and the route gone, the address free */
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, mark), 2);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_ROUTE_DEL, mark), 1);
	assert_int_equal(pool_used(f), 0);
	assert_true(info_of(f).clearing);
	/* a Delete of the IKE SA went to the peer */
	assert_int_equal(f->w.n, 1);
	assert_int_equal(open_request(&in, f->w.buf, f->w.len, &f->m), 0);
	d = ike_msg_find(&f->m, IKE_PL_DELETE, NULL);
	assert_non_null(d);
	assert_int_equal(d->f.u8a, IKE_PROTO_IKE);
	/* the peer may not create anything meanwhile; its answer ends the IKE SA */
	alen = build_answer(&in, f->m.hdr.msg_id, ans, sizeof(ans));
	ike_resp_input(f->r, ans, alen, &peer, &local);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.cleared, 1);
	assert_int_equal(st.sas, 0);
	establish(f, &in2, 6, &peer);
	assert_int_equal(pool_used(f), 1);
	/* a peer that never answers: the IKE SA goes after the give-up time all the same */
	sa = ike_resp_find(f->r, in2.spi_i, in2.spi_r);
	assert_int_equal(ike_resp_clear(f->r, sa, "test"), 0);
	assert_int_equal(pool_used(f), 0);
	tick_to(f, f->now + 1000);
	assert_non_null(ike_resp_find(f->r, in2.spi_i, in2.spi_r));
	tick_to(f, f->now + 10000);
	assert_null(ike_resp_find(f->r, in2.spi_i, in2.spi_r));
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 0);
	ini_free(&in);
	ini_free(&in2);
	fx_free(f);
}

/* A half-open SA is simply deleted. */
static void test_clear_half_open(void **state)
{
	struct fx *f = fx_new(NULL);
	struct ike_resp_stats st;
	struct ike_sa *sa;
	struct ini in;

	(void)state;
	f->req_len = build_init(&in, 7, NULL, 0, f->req, sizeof(f->req));
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
	assert_int_equal(ini_process_init(&in, f->w.buf, f->w.len, &f->m), 0);
	sa = ike_resp_find(f->r, in.spi_i, in.spi_r);
	assert_non_null(sa);
	f->w.n = 0;
	assert_int_equal(ike_resp_clear(f->r, sa, "test"), 0);
	assert_int_equal(f->w.n, 0);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 0);
	assert_int_equal(st.half_open, 0);
	ini_free(&in);
	fx_free(f);
}

/* ---- NAT mapping change (§2.23) ------------------------------------------------------------ */

static void test_nat_mapping_change(void **state)
{
	struct fx *f = fx_new(NULL);
	struct ike_addr moved = peer, spoof = peer;
	const struct rp_msg *add, *upd;
	struct ike_resp_stats st;
	struct ike_sa_info i;
	uint8_t old[4096];
	size_t olen;
	unsigned mark;
	struct ini in;

	(void)state;
	establish(f, &in, 8, &peer);
	for (unsigned k = 0; (add = fdp_find(&f->dp, RP_MSG_SA_ADD, 0, k)); k++)
		if (add->u.sa.dir == RP_DIR_OUT)
			break;
	assert_int_equal(add->u.sa.dir, RP_DIR_OUT);
	assert_true(add->u.sa.flags & RP_SAF_NATT);
	/* a liveness check from the same place: nothing moves */
	f->req_len = ini_build_info(&in, 0, 0, f->req, sizeof(f->req));
	memcpy(old, f->req, f->req_len);
	olen = f->req_len;
	mark = f->dp.n;
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_UPDATE, mark), 0);
	/* the NAT forgot its mapping: the next request comes from another port */
	moved.port = 31000;
	f->req_len = ini_build_info(&in, 0, 0, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &moved, &local);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(f->w.to.port, 31000);
	i = info_of(f);
	assert_int_equal(i.peer.port, 31000);
	assert_int_equal(i.nat_moved, 1);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_UPDATE, mark), 1);
	upd = fdp_find(&f->dp, RP_MSG_SA_UPDATE, mark, 0);
	assert_int_equal(upd->u.sa.sa_id, add->u.sa.sa_id);
	assert_int_equal(upd->u.sa.natt_dport, 31000);
	assert_int_equal(upd->u.sa.natt_sport, add->u.sa.natt_sport);
	assert_memory_equal(upd->u.sa.remote, peer.addr, 4);
	/* everything else as installed (the dataplane refuses other keys) */
	assert_memory_equal(upd->u.sa.enc_key, add->u.sa.enc_key, sizeof(add->u.sa.enc_key));
	assert_int_equal(upd->u.sa.spi, add->u.sa.spi);
	/* a replayed old request from elsewhere moves nothing */
	spoof.addr[3] = 99;
	mark = f->dp.n;
	f->w.n = 0;
	ike_resp_input(f->r, old, olen, &spoof, &local);
	assert_int_equal(info_of(f).peer.port, 31000);
	assert_memory_equal(info_of(f).peer.addr, peer.addr, 4);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_UPDATE, mark), 0);
	/* nor does garbage under its SPIs */
	f->req_len = ini_build_info(&in, 0, 0, f->req, sizeof(f->req));
	f->req[f->req_len - 1] ^= 1;
	ike_resp_input(f->r, f->req, f->req_len, &spoof, &local);
	assert_int_equal(info_of(f).peer.port, 31000);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_UPDATE, mark), 0);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.nat_moved, 1);
	ini_free(&in);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_half_open_per_peer),
		cmocka_unit_test(test_half_open_per_peer_established),
		cmocka_unit_test(test_cookie_no_state_and_global_limit),
		cmocka_unit_test(test_dpd_dead_peer),
		cmocka_unit_test(test_dpd_live_peer),
		cmocka_unit_test(test_dpd_on_demand),
		cmocka_unit_test(test_dpd_on_demand_scale),
		cmocka_unit_test(test_dpd_off),
		cmocka_unit_test(test_clear_session),
		cmocka_unit_test(test_clear_half_open),
		cmocka_unit_test(test_nat_mapping_change),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
