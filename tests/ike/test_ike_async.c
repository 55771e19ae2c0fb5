/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * IKE_SA_INIT with its Diffie-Hellman on worker threads (ike_resp_set_workpool(),
 * controlplane/util/workpool.h): our responder against the test initiator in one process,
 * the test playing the event loop (poll the pool's eventfd, wp_run_done()).
 *
 * The answer leaves only when the worker's result is delivered; it is byte for byte the one
 * the inline responder sends for the same randomness; keys agree with the initiator's; a
 * retransmission while the DH runs is dropped (in_progress) and one afterwards gets the same
 * bytes; waiting SAs count as half-open (cookies, per-peer limit); a full queue refuses;
 * an SA that goes while its DH runs (expiry, responder destroyed) leaves nothing behind.
 * Also in the unit suite, which CI runs under ASan. No assertion on time.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/conf.h"
#include "controlplane/ike/ike_conf.h"
#include "controlplane/ike/ike_sa.h"
#include "controlplane/util/workpool.h"
#include "fixture.h"
#include "initiator.h"

#define MAX_SENT 64

/* What the responder sent, every datagram. */
struct wire {
	unsigned n;
	uint8_t buf[MAX_SENT][1024];
	size_t len[MAX_SENT];
	struct ike_addr to[MAX_SENT];
};

static void capture(void *arg, const uint8_t *buf, size_t len, const struct ike_addr *from,
		    const struct ike_addr *to)
{
	struct wire *w = arg;

	(void)from;
	assert_true(w->n < MAX_SENT);
	assert_true(len <= sizeof(w->buf[0]));
	memcpy(w->buf[w->n], buf, len);
	w->len[w->n] = len;
	w->to[w->n] = *to;
	w->n++;
}

static const struct ike_addr peer = { 4, { 192, 0, 2, 2 }, 500 };
static const struct ike_addr local = FX_LOCAL4(500);

struct fx {
	struct ike_resp *r;
	struct workpool *wp;
	struct ini_rng_state rs;
	struct wire w;
	struct ike_msg m;
	uint8_t req[4096];
};

/* @p threads 0: no pool (inline). */
static struct fx *fx_new(const struct ike_resp_cfg *cfg, unsigned threads, unsigned queue)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ike_rng rng = { ini_rng, &f->rs };

	assert_non_null(f);
	f->rs.s = 0x5eed;
	assert_int_equal(ike_resp_create(cfg, &rng, capture, &f->w, &f->r), 0);
	if (threads) {
		assert_int_equal(wp_create(threads, queue, &f->wp), 0);
		ike_resp_set_workpool(f->r, f->wp);
	}
	return f;
}

static void fx_free(struct fx *f)
{
	ike_resp_destroy(f->r); /* first: it cancels what is pending */
	wp_destroy(f->wp);
	free(f);
}

/* The event loop's part: deliver completions until @p sent datagrams went out and no job is
 * pending any more. */
static void pump(struct fx *f, unsigned sent)
{
	for (int spins = 0; f->w.n < sent || wp_pending(f->wp); spins++) {
		struct pollfd p = { .fd = wp_fd(f->wp), .events = POLLIN };

		assert_true(spins < 6000); /* a minute: something is stuck */
		poll(&p, 1, 10);
		wp_run_done(f->wp);
	}
}

static struct ike_sa_info last_info;
static unsigned n_info;

static void grab(const struct ike_sa_info *i, void *arg)
{
	(void)arg;
	last_info = *i;
	n_info++;
}

static void check_keys(struct fx *f, struct ini *in)
{
	struct ike_sa *rsa = ike_resp_find(f->r, in->spi_i, in->spi_r);
	const struct ike_keys *k;

	assert_non_null(rsa);
	assert_int_equal(ike_sa_state(rsa), IKE_SA_INIT_DONE);
	k = ike_sa_keys(rsa);
	assert_int_equal(k->e_len, in->keys.e_len);
	assert_memory_equal(k->sk_d, in->keys.sk_d, k->d_len);
	assert_memory_equal(k->sk_ei, in->keys.sk_ei, k->e_len);
	assert_memory_equal(k->sk_er, in->keys.sk_er, k->e_len);
	assert_memory_equal(k->sk_pi, in->keys.sk_pi, k->p_len);
	assert_memory_equal(k->sk_pr, in->keys.sk_pr, k->p_len);
}

/* One IKE_SA_INIT of @p group through a pool of @p threads; the answer it got into @p out. */
static size_t one_init(unsigned threads, uint16_t group, uint8_t *out)
{
	struct fx *f = fx_new(&fx_all_suites, threads, 16);
	uint16_t dh[] = { group, 0 };
	struct ike_resp_stats st;
	struct ike_sa_pl sa;
	struct ini in;
	size_t len, rlen;

	ini_init(&in, 1000 + group, group);
	ini_proposal(&sa, IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, dh);
	len = ini_build_init(&in, &sa, NULL, 0, f->req, sizeof(f->req));
	assert_true(len > 0);
	ike_resp_input(f->r, f->req, len, &peer, &local);
	if (threads) {
		/* nothing leaves before the worker's result is delivered */
		assert_int_equal(f->w.n, 0);
		ike_resp_get_stats(f->r, &st);
		assert_int_equal(st.sas, 1);
		assert_int_equal(st.half_open, 1);
		n_info = 0;
		ike_resp_foreach(f->r, grab, NULL);
		assert_int_equal(n_info, 1);
		assert_int_equal(last_info.state, IKE_SA_INIT_WAIT);
		/* a retransmission meanwhile: dropped, counted */
		ike_resp_input(f->r, f->req, len, &peer, &local);
		assert_int_equal(f->w.n, 0);
		ike_resp_get_stats(f->r, &st);
		assert_int_equal(st.in_progress, 1);
		assert_int_equal(st.sas, 1);
		pump(f, 1);
	}
	assert_int_equal(f->w.n, 1);
	assert_memory_equal(&f->w.to[0], &peer, sizeof(peer));
	assert_int_equal(ini_process_init(&in, f->w.buf[0], f->w.len[0], &f->m), 0);
	assert_int_equal(in.suite.dh, group);
	check_keys(f, &in);
	/* a retransmission now: the same bytes */
	ike_resp_input(f->r, f->req, len, &peer, &local);
	assert_int_equal(f->w.n, 2);
	assert_int_equal(f->w.len[1], f->w.len[0]);
	assert_memory_equal(f->w.buf[1], f->w.buf[0], f->w.len[0]);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.retransmits, 1);
	assert_int_equal(st.half_open, 1);
	rlen = f->w.len[0];
	memcpy(out, f->w.buf[0], rlen);
	ini_free(&in);
	fx_free(f);
	return rlen;
}

/* Each DH family, on 1 and 2 workers: the same answer as inline, byte for byte. */
static void test_same_as_inline(void **state)
{
	static const uint16_t groups[] = { IKE_DH_CURVE25519, IKE_DH_ECP256, IKE_DH_ECP521,
					   IKE_DH_MODP2048 };
	uint8_t a[1024], b[1024];

	(void)state;
	for (unsigned g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		size_t la = one_init(0, groups[g], a);

		for (unsigned t = 1; t <= 2; t++) {
			size_t lb = one_init(t, groups[g], b);

			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la);
		}
	}
}

/* Many initiators at once on two workers: every one answered, keys agree. */
static void test_many(void **state)
{
	enum { N = 40 };
	struct ike_resp_cfg cfg = fx_all_suites;
	struct ini *in = calloc(N, sizeof(*in));
	uint16_t dh[] = { IKE_DH_ECP256, 0 };
	struct ike_resp_stats st;
	struct ike_sa_pl sa;
	struct fx *f;

	(void)state;
	assert_non_null(in);
	cfg.max_half_open_per_peer = N;
	f = fx_new(&cfg, 2, N);
	ini_proposal(&sa, IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256, 0, dh);
	for (unsigned i = 0; i < N; i++) {
		struct ike_addr p = peer;
		size_t len;

		p.port = (uint16_t)(1000 + i);
		ini_init(&in[i], 7000 + i, IKE_DH_ECP256);
		len = ini_build_init(&in[i], &sa, NULL, 0, f->req, sizeof(f->req));
		ike_resp_input(f->r, f->req, len, &p, &local);
	}
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, N);
	assert_int_equal(st.half_open, N);
	pump(f, N);
	assert_int_equal(f->w.n, N);
	for (unsigned k = 0; k < N; k++) {
		unsigned i = f->w.to[k].port - 1000u;

		assert_true(i < N);
		assert_int_equal(ini_process_init(&in[i], f->w.buf[k], f->w.len[k], &f->m), 0);
		check_keys(f, &in[i]);
	}
	for (unsigned i = 0; i < N; i++)
		ini_free(&in[i]);
	free(in);
	fx_free(f);
}

static size_t init_from(struct fx *f, struct ini *in, uint64_t seed, uint16_t port,
			const uint8_t *cookie, size_t clen)
{
	uint16_t dh[] = { IKE_DH_CURVE25519, 0 };
	struct ike_addr p = peer;
	struct ike_sa_pl sa;
	size_t len;

	p.port = port;
	if (seed)
		ini_init(in, seed, IKE_DH_CURVE25519);
	ini_proposal(&sa, IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256, 0, dh);
	len = ini_build_init(in, &sa, cookie, clen, f->req, sizeof(f->req));
	assert_true(len > 0);
	ike_resp_input(f->r, f->req, len, &p, &local);
	return len;
}

/* Waiting SAs are half-open: the per-peer limit and the cookie threshold see them. */
static void test_limits(void **state)
{
	struct ike_resp_cfg cfg = fx_all_suites;
	struct ike_resp_stats st;
	struct ini in[4];
	struct fx *f;

	(void)state;
	cfg.max_half_open_per_peer = 2;
	f = fx_new(&cfg, 1, 16);
	init_from(f, &in[0], 1, 1001, NULL, 0);
	init_from(f, &in[1], 2, 1002, NULL, 0);
	init_from(f, &in[2], 3, 1003, NULL, 0);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.half_open, 2);
	assert_int_equal(st.half_open_peer_refused, 1);
	pump(f, 2);
	assert_int_equal(f->w.n, 2);
	for (int i = 0; i < 3; i++)
		ini_free(&in[i]);
	fx_free(f);

	/* cookies from the first waiting SA on: the second peer gets a COOKIE, no state */
	cfg = fx_all_suites;
	cfg.cookie_threshold = 1;
	f = fx_new(&cfg, 1, 16);
	init_from(f, &in[0], 1, 1001, NULL, 0);
	init_from(f, &in[1], 2, 1002, NULL, 0);
	assert_int_equal(f->w.n, 1); /* the COOKIE, sent at once */
	assert_int_equal(ini_process_init(&in[1], f->w.buf[0], f->w.len[0], &f->m), IKE_N_COOKIE);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 1);
	assert_int_equal(st.cookies_sent, 1);
	{
		const struct ike_pl *n = ike_msg_notify(&f->m, IKE_N_COOKIE);
		uint8_t cookie[64];
		size_t clen = n->f.data.len;

		memcpy(cookie, n->f.data.p, clen);
		init_from(f, &in[1], 0, 1002, cookie, clen); /* back with it: state now */
	}
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 2);
	pump(f, 3);
	/* one worker: answered in the order they came */
	assert_int_equal(ini_process_init(&in[0], f->w.buf[1], f->w.len[1], &f->m), 0);
	assert_int_equal(ini_process_init(&in[1], f->w.buf[2], f->w.len[2], &f->m), 0);
	check_keys(f, &in[0]);
	check_keys(f, &in[1]);
	for (int i = 0; i < 2; i++)
		ini_free(&in[i]);
	fx_free(f);
}

/* The queue bound: a request beyond it is refused (crypto_busy) and leaves no state. */
static void test_queue_full(void **state)
{
	struct ike_resp_stats st;
	struct ini in[3];
	struct fx *f = fx_new(&fx_all_suites, 1, 2);

	(void)state;
	init_from(f, &in[0], 1, 1001, NULL, 0);
	init_from(f, &in[1], 2, 1002, NULL, 0);
	init_from(f, &in[2], 3, 1003, NULL, 0); /* nothing delivered yet: still 2 pending */
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.crypto_busy, 1);
	assert_int_equal(st.sas, 2);
	assert_int_equal(st.half_open, 2);
	pump(f, 2);
	assert_int_equal(f->w.n, 2);
	/* room again: the refused peer's retransmission goes through */
	init_from(f, &in[2], 0, 1003, NULL, 0);
	pump(f, 3);
	assert_int_equal(ini_process_init(&in[2], f->w.buf[2], f->w.len[2], &f->m), 0);
	check_keys(f, &in[2]);
	for (int i = 0; i < 3; i++)
		ini_free(&in[i]);
	fx_free(f);
}

/* An SA that goes while its DH is on a worker: the result is dropped, nothing is sent. */
static void test_gone_while_waiting(void **state)
{
	struct ike_resp_stats st;
	struct ini in[2];
	struct fx *f = fx_new(&fx_all_suites, 1, 16);

	(void)state;
	ike_resp_tick(f->r, 1000);
	init_from(f, &in[0], 1, 1001, NULL, 0);
	/* half-open too long (the result not delivered yet, whether or not it was computed) */
	ike_resp_tick(f->r, 1000 + IKE_HALF_OPEN_TIMEOUT_MS);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 0);
	assert_int_equal(st.half_open, 0);
	assert_int_equal(st.half_open_expired, 1);
	pump(f, 0);
	assert_int_equal(f->w.n, 0);
	assert_int_equal(wp_pending(f->wp), 0);
	ini_free(&in[0]);

	/* the responder destroyed with a job pending (ASan: nothing leaks, nothing dangles) */
	init_from(f, &in[1], 2, 1002, NULL, 0);
	assert_int_equal(wp_pending(f->wp), 1);
	ike_resp_destroy(f->r);
	f->r = NULL;
	pump(f, 0);
	assert_int_equal(f->w.n, 0);
	ini_free(&in[1]);
	fx_free(f);
}

/* The SA index (by SPIi) through its growth: 700 SAs, each found again by its
 * retransmission and by its SPIs; the older half expired, the rest still found. */
static void test_index(void **state)
{
	enum { N = 700 };
	struct ike_resp_cfg cfg = fx_all_suites;
	struct ini *in = calloc(N, sizeof(*in));
	uint16_t dh[] = { IKE_DH_CURVE25519, 0 };
	struct ike_resp_stats st;
	struct ike_sa_pl sa;
	struct fx *f;

	(void)state;
	assert_non_null(in);
	cfg.max_half_open = N;
	cfg.max_half_open_per_peer = N;
	cfg.cookie_threshold = N;
	f = fx_new(&cfg, 0, 0);
	ini_proposal(&sa, IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256, 0, dh);
	for (unsigned i = 0; i < N; i++) {
		struct ike_addr p = peer;
		size_t len;

		if (i == N / 2)
			ike_resp_tick(f->r, 1); /* the second half is 1 ms younger */
		p.port = (uint16_t)(2000 + i);
		ini_init(&in[i], 9000 + i, IKE_DH_CURVE25519);
		len = ini_build_init(&in[i], &sa, NULL, 0, f->req, sizeof(f->req));
		ike_resp_input(f->r, f->req, len, &p, &local);
		assert_int_equal(f->w.n, 1);
		assert_int_equal(ini_process_init(&in[i], f->w.buf[0], f->w.len[0], &f->m), 0);
		f->w.n = 0;
	}
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, N);
	for (unsigned i = 0; i < N; i++) {
		struct ike_addr p = peer;
		size_t len;

		p.port = (uint16_t)(2000 + i);
		len = ini_build_init(&in[i], &sa, NULL, 0, f->req, sizeof(f->req));
		ike_resp_input(f->r, f->req, len, &p, &local); /* a retransmission */
		assert_int_equal(f->w.n, 1);
		f->w.n = 0;
		check_keys(f, &in[i]);
	}
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.retransmits, N);
	ike_resp_tick(f->r, IKE_HALF_OPEN_TIMEOUT_MS); /* the first half goes */
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.half_open_expired, N / 2);
	assert_int_equal(st.sas, N - N / 2);
	for (unsigned i = 0; i < N; i++)
		if (i < N / 2)
			assert_null(ike_resp_find(f->r, in[i].spi_i, in[i].spi_r));
		else
			check_keys(f, &in[i]);
	ike_resp_tick(f->r, 1 + IKE_HALF_OPEN_TIMEOUT_MS);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 0);
	for (unsigned i = 0; i < N; i++) {
		assert_null(ike_resp_find(f->r, in[i].spi_i, in[i].spi_r));
		ini_free(&in[i]);
	}
	free(in);
	fx_free(f);
}

/* ike.crypto_threads: default, 0, and out of range with the file and line. */
static void test_conf(void **state)
{
	static const struct {
		const char *text;
		int threads;               /* -1: refused */
	} cases[] = {
		{ "ike = { };", -2 },      /* -2: the default */
		{ "ike = { crypto_threads = 0; };", 0 },
		{ "ike = { crypto_threads = 3; };", 3 },
		{ "ike = {\n crypto_threads = 65; };", -1 },
		{ "ike = {\n crypto_threads = -1; };", -1 },
		{ "ike = {\n crypto_threads = \"two\"; };", -1 },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ike_conf conf;
		struct rp_cfg c;
		int rc = rp_cfg_load_string(&c, "t.conf", cases[i].text, rp_conf_schema);

		if (!rc)
			rc = ike_conf_parse(&c, rp_cfg_get(rp_cfg_root(&c), "ike"), &conf);
		if (cases[i].threads == -1) {
			assert_int_not_equal(rc, 0);
			if (!strstr(c.err, "t.conf:2:") || !strstr(c.err, "crypto_threads"))
				fail_msg("case %u: '%s'", i, c.err);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(conf.crypto_threads, cases[i].threads == -2 ?
				wp_default_threads() : (unsigned)cases[i].threads);
			ike_conf_free(&conf);
		}
		rp_cfg_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_inline),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_gone_while_waiting),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests_name("ike_async", tests, NULL, NULL);
}
