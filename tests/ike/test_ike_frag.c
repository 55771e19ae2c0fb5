/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * IKE fragmentation of what the responder sends (RFC 7383 §2.5): an IKE_AUTH response with a
 * certificate chain over the fragment size arrives as SKF fragments that the test initiator
 * reassembles into the right payloads; retransmissions get the same fragments byte for byte;
 * a peer that did not announce fragmentation gets the message whole; our own requests
 * (ike_req.c) are fragmented the same way and retransmitted as the same fragments; the
 * peer's fragmented responses to them are reassembled (§2.6.2) within the same limits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/conf.h"
#include "controlplane/ike/ike_conf.h"
#include "controlplane/ike/ike_priv.h" /* IKE_FRAG_MAX, ike_sa_delete() */
#include "controlplane/ike/ike_req.h"
#include "controlplane/ike/ike_sa.h"
#include "controlplane/ike/keyring.h"
#include "fixture.h"
#include "initiator.h"

#define N_CERTS 3
#define CERT_LEN 1500 /* three of them: the whole response is over IKE_MSG_BUF (4096) */

static const struct ike_addr peer4 = FX_PEER4(500);
static const struct ike_addr local4 = FX_LOCAL4(500);
static const struct ike_addr peer6 = { 6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 }, 500 };
static const struct ike_addr local6 = { 6, { 0x20, 0x01, 0x0d, 0xb8, [14] = 1, [15] = 1 }, 500 };

/* ---- what the responder sends ------------------------------------------------------------ */

#define PKT_MAX 64
#define PKT_CAP 8192
struct wire {
	unsigned n;
	size_t len[PKT_MAX];
	uint8_t buf[PKT_MAX][PKT_CAP];
};

static void capture(void *arg, const uint8_t *buf, size_t len, const struct ike_addr *from,
		    const struct ike_addr *to)
{
	struct wire *w = arg;

	(void)from;
	(void)to;
	assert_true(w->n < PKT_MAX);
	assert_true(len <= PKT_CAP);
	memcpy(w->buf[w->n], buf, len);
	w->len[w->n++] = len;
}

/* ---- an authenticator: the keyring's PSK check, plus a fake certificate chain ------------ */

static uint8_t cert_byte(unsigned c, size_t i)
{
	return (uint8_t)(c * 77 + i * 13 + (i >> 8));
}

struct cert_auth {
	struct ike_authenticator inner;
};

static int cert_verify(void *arg, const struct ike_auth_query *q, struct ike_auth_result *res,
		       ike_auth_done_fn done, void *done_arg)
{
	struct cert_auth *a = arg;
	int rc = a->inner.verify(a->inner.arg, q, res, done, done_arg);

	assert_int_equal(rc, 0);
	/* our "certificates": the responder sends them as they are, in order */
	for (unsigned c = 0; c < N_CERTS; c++) {
		res->cert[c] = malloc(CERT_LEN);
		assert_non_null(res->cert[c]);
		for (size_t i = 0; i < CERT_LEN; i++)
			res->cert[c][i] = cert_byte(c, i);
		res->cert_len[c] = CERT_LEN;
	}
	res->n_certs = N_CERTS;
	return 0;
}

/* ---- fixture ------------------------------------------------------------------------------ */

struct fx {
	struct ike_resp *r;
	struct ini_rng_state rs;
	struct wire w, first;
	struct ike_keyring *kr;
	struct cert_auth ca;
	struct ike_authenticator auth;
	struct ike_msg m;
	uint8_t req[4096];
	size_t req_len;
	struct ike_addr peer, local;
	struct ini in;
};

static struct fx *fx_new(unsigned fragment_size, bool v6)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ike_rng rng = { ini_rng, &f->rs };
	struct ike_resp_cfg cfg = fx_resp_cfg();

	assert_non_null(f);
	cfg.encr[1] = IKE_ENCR_AES_CBC; /* and AES-CBC 256, no local traffic selectors */
	cfg.encr_bits[1] = 256;
	cfg.n_local_ts = 0;
	cfg.fragment_size = fragment_size;
	f->rs.s = 0xf4a6;
	f->peer = v6 ? peer6 : peer4;
	f->local = v6 ? local6 : local4;
	assert_int_equal(ike_resp_create(&cfg, &rng, capture, &f->w, &f->r), 0);
	f->kr = fx_keyring();
	ike_keyring_authenticator(f->kr, &f->ca.inner);
	f->auth = (struct ike_authenticator){ cert_verify, NULL, &f->ca };
	ike_resp_set_auth(f->r, &f->auth);
	return f;
}

static void fx_free(struct fx *f)
{
	ike_resp_destroy(f->r);
	ike_keyring_destroy(f->kr);
	ini_free(&f->in);
	free(f);
}

/* IKE_SA_INIT, announcing fragmentation or not, with AES-GCM or AES-CBC. */
static void do_init(struct fx *f, bool frag, bool cbc)
{
	uint16_t dh[] = { IKE_DH_CURVE25519, 0 };
	struct ike_sa_pl *sa = calloc(1, sizeof(*sa));
	size_t len;

	ini_init(&f->in, 0x1234, IKE_DH_CURVE25519);
	f->in.frag = frag;
	if (cbc)
		ini_proposal(sa, IKE_ENCR_AES_CBC, 256, IKE_PRF_HMAC_SHA2_256,
			     IKE_INTEG_HMAC_SHA2_256_128, dh);
	else
		ini_proposal(sa, IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, dh);
	len = ini_build_init(&f->in, sa, NULL, 0, f->req, sizeof(f->req));
	assert_true(len > 0);
	f->w.n = 0;
	ike_resp_input(f->r, f->req, len, &f->peer, &f->local);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_init(&f->in, f->w.buf[0], f->w.len[0], &f->m), 0);
	free(sa);
}

static const struct ini_auth_opts auth_opts = { .id = CLIENT, .psk = PSK, .no_child = true,
						.no_cp = true };

/* Every datagram of f->w is fragment i + 1 of n of message @p msg_id, at most @p max bytes;
 * the first names @p first as the inner chain's first payload, the others 0. */
static void check_frags(const struct fx *f, uint32_t msg_id, uint8_t first, size_t max,
			bool response)
{
	struct ike_msg *m = malloc(sizeof(*m));

	assert_non_null(m);
	assert_true(f->w.n >= 2);
	for (unsigned i = 0; i < f->w.n; i++) {
		const struct ike_pl *skf;

		assert_true(f->w.len[i] <= max);
		assert_int_equal(ike_msg_parse(f->w.buf[i], f->w.len[i], m, NULL), IKE_PERR_OK);
		assert_int_equal(m->hdr.msg_id, msg_id);
		assert_int_equal(!!(m->hdr.flags & IKE_HDR_F_R), response);
		assert_int_equal(m->n, 1);
		skf = &m->pl[0];
		assert_int_equal(skf->type, IKE_PL_SKF);
		assert_int_equal(skf->f.u16a, i + 1);
		assert_int_equal(skf->f.u16b, f->w.n);
		assert_int_equal(m->sk_next, i ? 0 : first);
		/* all fragments but the last are filled up to about the same size */
		if (i + 2 < f->w.n)
			assert_int_equal(f->w.len[i], f->w.len[i + 1]);
	}
	free(m);
}

/* Feed the captured fragments to the initiator: it reassembles and checks AUTH. */
static void check_auth_frags(struct fx *f)
{
	for (unsigned i = 0; i < f->w.n; i++) {
		int rc = ini_process_auth(&f->in, f->w.buf[i], f->w.len[i], &f->m, PSK);

		assert_int_equal(rc, i + 1 < f->w.n ? INI_MORE : 0);
	}
}

/* The reassembled response holds IDr, the three certificates byte for byte, and AUTH. */
static void check_certs(const struct ike_msg *m)
{
	const struct ike_pl *c = NULL;

	assert_int_equal(m->pl[0].type, IKE_PL_IDR);
	for (unsigned n = 0; n < N_CERTS; n++) {
		c = ike_msg_find(m, IKE_PL_CERT, c);
		assert_non_null(c);
		assert_int_equal(c->f.u8a, IKE_CERT_X509_SIG);
		assert_int_equal(c->f.data.len, CERT_LEN);
		for (size_t i = 0; i < CERT_LEN; i++)
			assert_int_equal(c->f.data.p[i], cert_byte(n, i));
	}
	assert_null(ike_msg_find(m, IKE_PL_CERT, c));
	assert_non_null(ike_msg_find(m, IKE_PL_AUTH, NULL));
}

/* ---- tests -------------------------------------------------------------------------------- */

/* 576-byte datagrams over IPv4: at most 544 bytes of IKE (IP 20, UDP 8, non-ESP marker 4). */
static void test_auth_response_fragmented(void **state)
{
	struct fx *f = fx_new(576, false);
	struct ike_sa *sa;

	(void)state;
	do_init(f, true, false);
	f->req_len = ini_build_auth(&f->in, &auth_opts, f->req, sizeof(f->req));
	assert_true(f->req_len > 0);
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &f->peer, &f->local);
	/* 4.5 kB of certificates in 544-byte fragments */
	assert_true(f->w.n >= N_CERTS * CERT_LEN / 544);
	check_frags(f, 1, IKE_PL_IDR, 544, true);
	check_auth_frags(f);
	check_certs(&f->m);
	sa = ike_resp_find(f->r, f->in.spi_i, f->in.spi_r);
	assert_non_null(sa);
	assert_int_equal(ike_sa_state(sa), IKE_SA_ESTABLISHED);

	/* §2.1 / RFC 7383 §2.5: the retransmitted request gets every fragment again, the
	 * same bytes (not encrypted afresh) */
	f->first = f->w;
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &f->peer, &f->local);
	assert_int_equal(f->w.n, f->first.n);
	for (unsigned i = 0; i < f->w.n; i++) {
		assert_int_equal(f->w.len[i], f->first.len[i]);
		assert_memory_equal(f->w.buf[i], f->first.buf[i], f->w.len[i]);
	}
	fx_free(f);
}

/* The request itself comes in fragments; a retransmitted first fragment gets all of ours.
 * Then AES-CBC: padding to the block size in every fragment, integrity over each one. */
static void test_fragmented_request_and_cbc(void **state)
{
	struct fx *f = fx_new(600, false);
	uint8_t inner[4096], first, *frags = malloc(2 * INI_FRAG_CAP);
	size_t il, lens[2];

	(void)state;
	assert_non_null(frags);
	/* the test initiator fragments with AES-GCM only */
	do_init(f, true, false);
	il = ini_build_auth_inner(&f->in, &auth_opts, inner, sizeof(inner), &first);
	assert_true(il > 0);
	assert_int_equal(ini_seal_frags(&f->in, IKE_XCHG_IKE_AUTH, 1, inner, il, first, 2, frags,
					lens), 0);
	f->w.n = 0;
	ike_resp_input(f->r, frags, lens[0], &f->peer, &f->local);
	assert_int_equal(f->w.n, 0); /* waiting for fragment 2 */
	ike_resp_input(f->r, frags + INI_FRAG_CAP, lens[1], &f->peer, &f->local);
	check_frags(f, 1, IKE_PL_IDR, 600 - 32, true);
	f->first = f->w;
	check_auth_frags(f);
	check_certs(&f->m);
	/* RFC 7383 §2.6.1: fragment 1 again: every fragment of the response again */
	f->w.n = 0;
	ike_resp_input(f->r, frags, lens[0], &f->peer, &f->local);
	assert_int_equal(f->w.n, f->first.n);
	for (unsigned i = 0; i < f->w.n; i++)
		assert_memory_equal(f->w.buf[i], f->first.buf[i], f->w.len[i]);
	fx_free(f);

	/* AES-CBC responses */
	f = fx_new(600, false);
	do_init(f, true, true);
	f->req_len = ini_build_auth(&f->in, &auth_opts, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &f->peer, &f->local);
	check_frags(f, 1, IKE_PL_IDR, 600 - 32, true);
	check_auth_frags(f);
	check_certs(&f->m);
	fx_free(f);
	free(frags);
}

/* Without FRAGMENTATION_SUPPORTED from the peer: one datagram, however large. */
static void test_no_fragmentation_without_support(void **state)
{
	struct fx *f = fx_new(576, false);

	(void)state;
	do_init(f, false, false);
	f->req_len = ini_build_auth(&f->in, &auth_opts, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &f->peer, &f->local);
	assert_int_equal(f->w.n, 1);
	assert_true(f->w.len[0] > N_CERTS * CERT_LEN);
	assert_int_equal(ini_process_auth(&f->in, f->w.buf[0], f->w.len[0], &f->m, PSK), 0);
	check_certs(&f->m);
	fx_free(f);
}

/* Default fragment size: 576 over IPv4, 1280 over IPv6 (RFC 7383 §2.5.1). */
static void test_default_sizes(void **state)
{
	for (int v6 = 0; v6 <= 1; v6++) {
		struct fx *f = fx_new(0, v6);
		size_t max = v6 ? 1280 - 40 - 8 - 4 : 576 - 20 - 8 - 4, big = 0;

		(void)state;
		do_init(f, true, false);
		f->req_len = ini_build_auth(&f->in, &auth_opts, f->req, sizeof(f->req));
		f->w.n = 0;
		ike_resp_input(f->r, f->req, f->req_len, &f->peer, &f->local);
		check_frags(f, 1, IKE_PL_IDR, max, true);
		for (unsigned i = 0; i < f->w.n; i++)
			big = f->w.len[i] > big ? f->w.len[i] : big;
		assert_true(big > max - 40); /* the room is used */
		check_auth_frags(f);
		check_certs(&f->m);
		fx_free(f);
	}
}

/* A small response stays one SK message even when the peer supports fragmentation. */
static void test_small_not_fragmented(void **state)
{
	struct fx *f = fx_new(576, false);
	size_t len;

	(void)state;
	do_init(f, true, false);
	f->auth = f->ca.inner; /* no certificates */
	ike_resp_set_auth(f->r, &f->auth);
	f->req_len = ini_build_auth(&f->in, &auth_opts, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &f->peer, &f->local);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_auth(&f->in, f->w.buf[0], f->w.len[0], &f->m, PSK), 0);
	/* an INFORMATIONAL (liveness check) answered in one datagram */
	len = ini_build_info(&f->in, 0, 0, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, len, &f->peer, &f->local);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(f->w.buf[0][16], IKE_PL_SK);
	fx_free(f);
}

/* ---- our own requests (ike_req.c) ---------------------------------------------------------- */

#define BIG_VID 2000

static bool build_big(struct ike_bld *b, void *arg)
{
	uint8_t v[BIG_VID];

	(void)arg;
	for (size_t i = 0; i < sizeof(v); i++)
		v[i] = (uint8_t)(i * 7);
	return ike_bld_data(b, IKE_PL_VENDOR, v, sizeof(v));
}

static unsigned req_done_calls;

static void req_done(struct ike_resp *r, struct ike_sa *sa, const struct ike_msg *resp,
		     void *arg)
{
	(void)r, (void)sa, (void)resp, (void)arg;
	req_done_calls++;
}

static void test_our_request_fragmented(void **state)
{
	struct fx *f = fx_new(576, false);
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t plain[4096], one[INI_FRAG_CAP];
	size_t pl = 0, ol;
	struct ike_sa *sa;

	(void)state;
	assert_non_null(m);
	do_init(f, true, false);
	f->auth = f->ca.inner;
	ike_resp_set_auth(f->r, &f->auth);
	f->req_len = ini_build_auth(&f->in, &auth_opts, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &f->peer, &f->local);
	assert_int_equal(ini_process_auth(&f->in, f->w.buf[0], f->w.len[0], &f->m, PSK), 0);
	sa = ike_resp_find(f->r, f->in.spi_i, f->in.spi_r);
	assert_non_null(sa);
	ike_resp_tick(f->r, 1000);
	f->w.n = 0;
	req_done_calls = 0;
	assert_int_equal(ike_req_send(f->r, sa, IKE_XCHG_INFORMATIONAL, build_big, req_done,
				      NULL), 0);
	check_frags(f, 0, IKE_PL_VENDOR, 544, false);
	/* the fragments decrypt with the responder's keys and make up the Vendor ID */
	for (unsigned i = 0; i < f->w.n; i++) {
		assert_int_equal(ike_msg_parse(f->w.buf[i], f->w.len[i], m, NULL), IKE_PERR_OK);
		assert_int_equal(ike_sk_open(&f->in.alg, f->in.keys.sk_er, f->in.keys.sk_ar, m, one,
					     sizeof(one), &ol), 0);
		assert_true(pl + ol <= sizeof(plain));
		memcpy(plain + pl, one, ol);
		pl += ol;
	}
	assert_int_equal(ike_payloads_parse(IKE_PL_VENDOR, plain, pl, m, NULL), IKE_PERR_OK);
	assert_int_equal(m->n, 1);
	assert_int_equal(m->pl[0].f.data.len, BIG_VID);
	for (size_t i = 0; i < BIG_VID; i++)
		assert_int_equal(m->pl[0].f.data.p[i], (uint8_t)(i * 7));
	/* unanswered: retransmitted as the same fragments */
	f->first = f->w;
	f->w.n = 0;
	ike_resp_tick(f->r, 1000 + IKE_REQ_RTO_MS + 1);
	assert_int_equal(f->w.n, f->first.n);
	for (unsigned i = 0; i < f->w.n; i++) {
		assert_int_equal(f->w.len[i], f->first.len[i]);
		assert_memory_equal(f->w.buf[i], f->first.buf[i], f->w.len[i]);
	}
	assert_int_equal(req_done_calls, 0);
	free(m);
	fx_free(f);
}

/* ---- fragmented responses to our requests (RFC 7383 §2.6.2) ------------------------------ */

static bool build_none(struct ike_bld *b, void *arg)
{
	(void)b, (void)arg;
	return true;
}

/* What the done() of our request saw: the reassembled Vendor ID, checked byte for byte. */
struct resp_seen {
	unsigned calls;
	bool with_resp;
	size_t vid_len;
	bool vid_ok;
};

static void resp_done(struct ike_resp *r, struct ike_sa *sa, const struct ike_msg *resp,
		      void *arg)
{
	struct resp_seen *s = arg;
	const struct ike_pl *v;

	(void)r, (void)sa;
	s->calls++;
	s->with_resp = resp != NULL;
	if (!resp)
		return;
	v = ike_msg_find(resp, IKE_PL_VENDOR, NULL);
	if (!v)
		return;
	s->vid_len = v->f.data.len;
	s->vid_ok = true;
	for (size_t i = 0; i < v->f.data.len; i++)
		if (v->f.data.p[i] != (uint8_t)(i * 7))
			s->vid_ok = false;
}

/* An established SA (PSK, no certificates) with fragmentation announced; our request on it
 * (an empty INFORMATIONAL, one datagram) is out: @return its message ID. */
static uint32_t send_our_request(struct fx *f, struct resp_seen *seen)
{
	struct ike_sa *sa;

	do_init(f, true, false);
	f->auth = f->ca.inner;
	ike_resp_set_auth(f->r, &f->auth);
	f->req_len = ini_build_auth(&f->in, &auth_opts, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &f->peer, &f->local);
	assert_int_equal(ini_process_auth(&f->in, f->w.buf[0], f->w.len[0], &f->m, PSK), 0);
	sa = ike_resp_find(f->r, f->in.spi_i, f->in.spi_r);
	assert_non_null(sa);
	ike_resp_tick(f->r, 1000);
	f->w.n = 0;
	assert_int_equal(ike_req_send(f->r, sa, IKE_XCHG_INFORMATIONAL, build_none, resp_done,
				      seen), 0);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_open_req(&f->in, f->w.buf[0], f->w.len[0], &f->m), 0);
	return f->m.hdr.msg_id;
}

/* The peer's answer: a Vendor ID of BIG_VID bytes in @p nfrag SKF fragments. */
static void seal_big_answer(struct fx *f, uint32_t msg_id, unsigned nfrag, uint8_t *frags,
			    size_t *lens)
{
	uint8_t inner[BIG_VID + 64];
	struct ike_bld b;
	size_t il;

	ike_bld_init_chain(&b, inner, sizeof(inner));
	assert_true(build_big(&b, NULL));
	il = ike_bld_finish(&b);
	assert_int_equal(ini_seal_resp_frags(&f->in, IKE_XCHG_INFORMATIONAL, msg_id, inner, il,
					     ike_bld_first(&b), nfrag, frags, lens), 0);
}

static void feed(struct fx *f, const uint8_t *buf, size_t len)
{
	ike_resp_input(f->r, buf, len, &f->peer, &f->local);
}

/* Fragments in any order, duplicates ignored, forged ones dropped: the request completes
 * once, when the last one is in, with the whole inner chain; nothing is answered. */
static void test_our_request_fragmented_response(void **state)
{
	struct fx *f = fx_new(576, false);
	uint8_t *frags = malloc(3 * INI_FRAG_CAP), bad[INI_FRAG_CAP];
	struct resp_seen seen = { 0 };
	struct ike_resp_stats st0, st;
	struct ike_sa *sa;
	size_t lens[3];
	uint32_t mid;

	(void)state;
	assert_non_null(frags);
	mid = send_our_request(f, &seen);
	sa = ike_resp_find(f->r, f->in.spi_i, f->in.spi_r);
	seal_big_answer(f, mid, 3, frags, lens);
	ike_resp_get_stats(f->r, &st0);
	f->w.n = 0;
	feed(f, frags + 2 * INI_FRAG_CAP, lens[2]);
	feed(f, frags, lens[0]);
	feed(f, frags, lens[0]); /* duplicate */
	/* fragment 2 with a flipped ciphertext byte: does not verify, dropped */
	memcpy(bad, frags + INI_FRAG_CAP, lens[1]);
	bad[lens[1] - 20] ^= 1;
	feed(f, bad, lens[1]);
	assert_int_equal(seen.calls, 0);
	assert_true(ike_req_busy(sa));
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.decrypt_failed, st0.decrypt_failed + 1);
	feed(f, frags + INI_FRAG_CAP, lens[1]);
	assert_int_equal(seen.calls, 1);
	assert_true(seen.with_resp);
	assert_int_equal(seen.vid_len, BIG_VID);
	assert_true(seen.vid_ok);
	assert_false(ike_req_busy(sa));
	assert_int_equal(f->w.n, 0); /* a response is never answered */
	/* a late copy of a fragment: the request is no longer outstanding, dropped */
	feed(f, frags, lens[0]);
	assert_int_equal(seen.calls, 1);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.dropped, st0.dropped + 2);
	free(frags);
	fx_free(f);
}

/* The limits are those of requests: more than IKE_FRAG_MAX fragments or a message ID other
 * than our outstanding request's are dropped; a reassembly started over with more fragments
 * (§2.6.2) completes; the SA going meanwhile frees a partial one and completes the request
 * with NULL. */
static void test_our_request_fragmented_response_limits(void **state)
{
	struct fx *f = fx_new(576, false);
	unsigned many = IKE_FRAG_MAX + 1;
	uint8_t *frags = malloc((size_t)many * INI_FRAG_CAP);
	struct resp_seen seen = { 0 };
	size_t lens[IKE_FRAG_MAX + 1];
	struct ike_sa *sa;
	uint32_t mid;

	(void)state;
	assert_non_null(frags);
	mid = send_our_request(f, &seen);
	sa = ike_resp_find(f->r, f->in.spi_i, f->in.spi_r);
	/* 17 fragments: every one of them dropped, the request stays outstanding */
	seal_big_answer(f, mid, many, frags, lens);
	for (unsigned i = 0; i < many; i++)
		feed(f, frags + (size_t)i * INI_FRAG_CAP, lens[i]);
	assert_int_equal(seen.calls, 0);
	assert_true(ike_req_busy(sa));
	/* the wrong message ID */
	seal_big_answer(f, mid + 1, 2, frags, lens);
	feed(f, frags, lens[0]);
	feed(f, frags + INI_FRAG_CAP, lens[1]);
	assert_int_equal(seen.calls, 0);
	/* 2 fragments, of which one arrives; then the same answer in 4 (the peer fragmented
	 * it again smaller): the first reassembly is dropped, the second completes; the lone
	 * fragment of 2 coming late is refused (fewer than the reassembly in progress) */
	seal_big_answer(f, mid, 2, frags, lens);
	feed(f, frags, lens[0]);
	memcpy(frags + 8 * INI_FRAG_CAP, frags + INI_FRAG_CAP, lens[1]);
	lens[8] = lens[1];
	seal_big_answer(f, mid, 4, frags, lens);
	feed(f, frags, lens[0]);
	feed(f, frags + 8 * INI_FRAG_CAP, lens[8]);
	feed(f, frags + INI_FRAG_CAP, lens[1]);
	feed(f, frags + 2 * INI_FRAG_CAP, lens[2]);
	assert_int_equal(seen.calls, 0);
	feed(f, frags + 3 * INI_FRAG_CAP, lens[3]);
	assert_int_equal(seen.calls, 1);
	assert_true(seen.vid_ok);
	/* another request, half answered when the SA goes: done(NULL), nothing leaks */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(ike_req_send(f->r, sa, IKE_XCHG_INFORMATIONAL, build_none, resp_done,
				      &seen), 0);
	seal_big_answer(f, mid + 1, 3, frags, lens);
	feed(f, frags, lens[0]);
	assert_int_equal(seen.calls, 0);
	ike_sa_delete(f->r, sa, false);
	assert_int_equal(seen.calls, 1);
	assert_false(seen.with_resp);
	free(frags);
	fx_free(f);
}

/* ike_frag_add() itself, the one reassembly of requests and responses: numbering, count and
 * byte limits, duplicates, a new message ID or more fragments starting over. */
static void skf(struct ike_msg *m, uint32_t msg_id, uint16_t num, uint16_t total)
{
	memset(m, 0, sizeof(*m));
	m->hdr.msg_id = msg_id;
	m->n = 1;
	m->pl[0].type = IKE_PL_SKF;
	m->pl[0].f.u16a = num;
	m->pl[0].f.u16b = total;
	m->sk_next = num == 1 ? IKE_PL_VENDOR : 0;
}

static void test_reassembly_limits(void **state)
{
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t *big = calloc(1, 8000), *whole = NULL, first = 0;
	struct ike_frag *slot = NULL;
	size_t wlen = 0;

	(void)state;
	assert_non_null(m);
	assert_non_null(big);
	/* fragment 0, a number over the total, more than IKE_FRAG_MAX fragments: refused */
	skf(m, 5, 0, 2);
	assert_int_equal(ike_frag_add(&slot, m, big, 10, &whole, &wlen, &first), -1);
	skf(m, 5, 3, 2);
	assert_int_equal(ike_frag_add(&slot, m, big, 10, &whole, &wlen, &first), -1);
	skf(m, 5, 1, IKE_FRAG_MAX + 1);
	assert_int_equal(ike_frag_add(&slot, m, big, 10, &whole, &wlen, &first), -1);
	assert_null(slot);
	/* 2 of 3, a duplicate, then 3 of 3 and 1 of 3: complete, in order, first from #1 */
	skf(m, 5, 2, 3);
	big[0] = 2;
	assert_int_equal(ike_frag_add(&slot, m, big, 1, &whole, &wlen, &first), 0);
	assert_int_equal(ike_frag_add(&slot, m, big, 1, &whole, &wlen, &first), 0);
	skf(m, 5, 3, 3);
	big[0] = 3;
	assert_int_equal(ike_frag_add(&slot, m, big, 1, &whole, &wlen, &first), 0);
	skf(m, 5, 1, 3);
	big[0] = 1;
	assert_int_equal(ike_frag_add(&slot, m, big, 1, &whole, &wlen, &first), 1);
	assert_null(slot);
	assert_int_equal(wlen, 3);
	assert_int_equal(first, IKE_PL_VENDOR);
	assert_int_equal(whole[0], 1);
	assert_int_equal(whole[1], 2);
	assert_int_equal(whole[2], 3);
	free(whole);
	whole = NULL;
	/* another message ID starts over; fewer fragments of the same one are refused */
	skf(m, 6, 1, 4);
	assert_int_equal(ike_frag_add(&slot, m, big, 1, &whole, &wlen, &first), 0);
	skf(m, 7, 1, 4);
	assert_int_equal(ike_frag_add(&slot, m, big, 1, &whole, &wlen, &first), 0);
	assert_int_equal(slot->msg_id, 7);
	assert_int_equal(slot->have, 1);
	skf(m, 7, 2, 3);
	assert_int_equal(ike_frag_add(&slot, m, big, 1, &whole, &wlen, &first), -1);
	assert_non_null(slot);
	/* what is held never exceeds IKE_MSG_MAX bytes: the fragment that would is dropped with
	 * the whole reassembly */
	for (unsigned i = 1; i <= IKE_FRAG_MAX; i++) {
		int rc;

		skf(m, 8, (uint16_t)i, IKE_FRAG_MAX);
		rc = ike_frag_add(&slot, m, big, 8000, &whole, &wlen, &first);
		if (i * 8000u > IKE_MSG_MAX) {
			assert_int_equal(rc, -1);
			assert_null(slot);
			break;
		}
		assert_int_equal(rc, 0);
	}
	assert_null(whole);
	ike_frag_free(slot);
	free(big);
	free(m);
}

/* An IKE SA rekeyed by the client keeps the client's announcement (RFC 7383 §2.3). */
static void test_rekeyed_sa_inherits(void **state)
{
	struct fx *f = fx_new(576, false);
	struct ini_cc cc = { .ike = true, .new_spi_i = 0x0a0b0c0d01020304ull,
			     .ke_group = IKE_DH_CURVE25519 };
	struct ini nin;
	struct ike_sa *nsa;

	(void)state;
	do_init(f, true, false);
	f->auth = f->ca.inner;
	ike_resp_set_auth(f->r, &f->auth);
	f->req_len = ini_build_auth(&f->in, &auth_opts, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &f->peer, &f->local);
	assert_int_equal(ini_process_auth(&f->in, f->w.buf[0], f->w.len[0], &f->m, PSK), 0);
	f->req_len = ini_build_create(&f->in, &cc, f->req, sizeof(f->req));
	assert_true(f->req_len > 0);
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &f->peer, &f->local);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_create(&f->in, &cc, f->w.buf[0], f->w.len[0], &f->m, &nin),
			 0);
	nsa = ike_resp_find(f->r, cc.new_spi_i, cc.new_spi_r);
	assert_non_null(nsa);
	assert_int_equal(ike_sa_state(nsa), IKE_SA_ESTABLISHED);
	f->w.n = 0;
	assert_int_equal(ike_req_send(f->r, nsa, IKE_XCHG_INFORMATIONAL, build_big, req_done,
				      NULL), 0);
	check_frags(f, 0, IKE_PL_VENDOR, 544, false);
	ini_cc_free(&cc);
	ini_free(&nin);
	fx_free(f);
}

/* ike.fragment_size: default (0: per address family), a value, out of range with file:line. */
static void test_conf(void **state)
{
	static const struct {
		const char *text;
		int size;                  /* -1: refused */
	} cases[] = {
		{ "ike = { };", 0 },
		{ "ike = { fragment_size = 576; };", 576 },
		{ "ike = { fragment_size = 1400; };", 1400 },
		{ "ike = {\n fragment_size = 575; };", -1 },
		{ "ike = {\n fragment_size = 65536; };", -1 },
		{ "ike = {\n fragment_size = \"big\"; };", -1 },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ike_conf conf;
		struct rp_cfg c;
		int rc = rp_cfg_load_string(&c, "t.conf", cases[i].text, rp_conf_schema);

		if (!rc)
			rc = ike_conf_parse(&c, rp_cfg_get(rp_cfg_root(&c), "ike"), &conf);
		if (cases[i].size == -1) {
			assert_int_not_equal(rc, 0);
			if (!strstr(c.err, "t.conf:2:") || !strstr(c.err, "'ike.fragment_size'"))
				fail_msg("case %u: '%s'", i, c.err);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(conf.resp.fragment_size, cases[i].size);
			ike_conf_free(&conf);
		}
		rp_cfg_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_response_fragmented),
		cmocka_unit_test(test_fragmented_request_and_cbc),
		cmocka_unit_test(test_no_fragmentation_without_support),
		cmocka_unit_test(test_default_sizes),
		cmocka_unit_test(test_small_not_fragmented),
		cmocka_unit_test(test_our_request_fragmented),
		cmocka_unit_test(test_our_request_fragmented_response),
		cmocka_unit_test(test_our_request_fragmented_response_limits),
		cmocka_unit_test(test_reassembly_limits),
		cmocka_unit_test(test_rekeyed_sa_inherits),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
