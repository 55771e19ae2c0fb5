/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Two IKE peers in one process: our responder (controlplane/ike/ike_sa.c) against the test
 * initiator (initiator.c), both with deterministic randomness. IKE_SA_INIT only for now:
 * success with each DH group family, keys equal on both sides, NO_PROPOSAL_CHOSEN,
 * INVALID_KE_PAYLOAD naming our group, cookies, byte-exact retransmission, hostile input
 * dropped without state.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controlplane/ike/ike_sa.h"
#include "fixture.h"
#include "initiator.h"

static const struct ike_addr peer = { 4, { 192, 0, 2, 2 }, 500 };
static const struct ike_addr local = FX_LOCAL4(500);

struct fx {
	struct ike_resp *r;
	struct ini_rng_state rs;
	struct fx_wire w; /**< what the responder sent */
	struct ike_msg m;
	uint8_t req[4096];
};

static struct fx *fx_new(const struct ike_resp_cfg *cfg)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ike_rng rng = { ini_rng, &f->rs };

	f->rs.s = 0x5eed;
	assert_int_equal(ike_resp_create(cfg, &rng, fx_capture, &f->w, &f->r), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	ike_resp_destroy(f->r);
	free(f);
}

static void success(uint16_t encr, uint16_t bits, uint16_t prf, uint16_t integ, uint16_t group)
{
	struct fx *f = fx_new(&fx_all_suites);
	uint16_t dh[] = { group, 0 };
	struct ike_sa_pl sa;
	struct ini in;
	struct ike_sa *rsa;
	const struct ike_keys *k;
	size_t len;

	ini_init(&in, 42 + group, group);
	ini_proposal(&sa, encr, bits, prf, integ, dh);
	len = ini_build_init(&in, &sa, NULL, 0, f->req, sizeof(f->req));
	assert_true(len > 0);
	ike_resp_input(f->r, f->req, len, &peer, &local);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_init(&in, f->w.buf, f->w.len, &f->m), 0);
	assert_int_equal(in.suite.encr, encr);
	assert_int_equal(in.suite.dh, group);
	assert_non_null(ike_msg_notify(&f->m, IKE_N_NAT_DETECTION_SOURCE_IP));
	assert_non_null(ike_msg_notify(&f->m, IKE_N_NAT_DETECTION_DESTINATION_IP));
	assert_non_null(ike_msg_notify(&f->m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED));
	assert_non_null(ike_msg_notify(&f->m, IKE_N_SIGNATURE_HASH_ALGORITHMS));
	rsa = ike_resp_find(f->r, in.spi_i, in.spi_r);
	assert_non_null(rsa);
	assert_int_equal(ike_sa_state(rsa), IKE_SA_INIT_DONE);
	k = ike_sa_keys(rsa);
	assert_int_equal(k->e_len, in.keys.e_len);
	assert_memory_equal(k->sk_d, in.keys.sk_d, k->d_len);
	assert_memory_equal(k->sk_ei, in.keys.sk_ei, k->e_len);
	assert_memory_equal(k->sk_er, in.keys.sk_er, k->e_len);
	assert_memory_equal(k->sk_pi, in.keys.sk_pi, k->p_len);
	assert_memory_equal(k->sk_pr, in.keys.sk_pr, k->p_len);
	if (k->a_len)
		assert_memory_equal(k->sk_ai, in.keys.sk_ai, k->a_len);
	/* no NAT_DETECTION_SOURCE_IP from our initiator: not considered behind NAT */
	assert_false(ike_sa_peer_behind_nat(rsa));
	ini_free(&in);
	fx_free(f);
}

static void test_init_success(void **state)
{
	(void)state;
	success(IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_384, 0, IKE_DH_ECP384);
	success(IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256, 0, IKE_DH_ECP256);
	success(IKE_ENCR_CHACHA20_POLY1305, 0, IKE_PRF_HMAC_SHA2_512, 0, IKE_DH_CURVE25519);
	success(IKE_ENCR_AES_CBC, 128, IKE_PRF_HMAC_SHA2_256, IKE_INTEG_HMAC_SHA2_256_128,
		IKE_DH_MODP2048);
	success(IKE_ENCR_AES_CBC, 256, IKE_PRF_HMAC_SHA2_512, IKE_INTEG_HMAC_SHA2_512_256,
		IKE_DH_ECP521);
}

/* Retransmitted request: the cached response, byte for byte, and no second SA. */
static void test_retransmit(void **state)
{
	struct fx *f = fx_new(&fx_all_suites);
	uint16_t dh[] = { IKE_DH_CURVE25519, 0 };
	struct ike_resp_stats st;
	struct ike_sa_pl sa;
	struct ini in;
	uint8_t first[4096];
	size_t len, flen;

	(void)state;
	ini_init(&in, 7, IKE_DH_CURVE25519);
	ini_proposal(&sa, IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256, 0, dh);
	len = ini_build_init(&in, &sa, NULL, 0, f->req, sizeof(f->req));
	ike_resp_input(f->r, f->req, len, &peer, &local);
	memcpy(first, f->w.buf, f->w.len);
	flen = f->w.len;
	ike_resp_input(f->r, f->req, len, &peer, &local);
	assert_int_equal(f->w.n, 2);
	assert_int_equal(f->w.len, flen);
	assert_memory_equal(f->w.buf, first, flen);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 1);
	assert_int_equal(st.retransmits, 1);
	ini_free(&in);
	fx_free(f);
}

static void test_no_proposal(void **state)
{
	struct fx *f = fx_new(&fx_all_suites);
	uint16_t dh[] = { IKE_DH_ECP256, 0 };
	struct ike_resp_stats st;
	struct ike_sa_pl sa;
	struct ini in;
	size_t len;

	(void)state;
	ini_init(&in, 9, IKE_DH_ECP256);
	/* 3DES is not in our list */
	ini_proposal(&sa, IKE_ENCR_3DES, 0, IKE_PRF_HMAC_SHA2_256, IKE_INTEG_HMAC_SHA2_256_128, dh);
	len = ini_build_init(&in, &sa, NULL, 0, f->req, sizeof(f->req));
	ike_resp_input(f->r, f->req, len, &peer, &local);
	assert_int_equal(ini_process_init(&in, f->w.buf, f->w.len, &f->m), IKE_N_NO_PROPOSAL_CHOSEN);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 0);
	assert_int_equal(st.half_open, 0);
	ini_free(&in);
	fx_free(f);
}

/* KE of a group the proposal offers but not the one we select: INVALID_KE_PAYLOAD naming
 * our group; the initiator retries with it and succeeds. */
static void test_invalid_ke(void **state)
{
	struct fx *f = fx_new(&fx_all_suites);
	uint16_t dh[] = { IKE_DH_MODP2048, IKE_DH_CURVE25519, 0 };
	struct ike_resp_stats st;
	const struct ike_pl *n;
	struct ike_sa_pl sa;
	struct ini in;
	size_t len;

	(void)state;
	ini_init(&in, 11, IKE_DH_ECP384); /* a group not in the proposal at all */
	ini_proposal(&sa, IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, dh);
	len = ini_build_init(&in, &sa, NULL, 0, f->req, sizeof(f->req));
	ike_resp_input(f->r, f->req, len, &peer, &local);
	assert_int_equal(ini_process_init(&in, f->w.buf, f->w.len, &f->m), IKE_N_INVALID_KE_PAYLOAD);
	n = ike_msg_notify(&f->m, IKE_N_INVALID_KE_PAYLOAD);
	assert_int_equal(n->f.data.len, 2);
	/* the first acceptable group of the proposal, in the peer's order: MODP2048 */
	assert_int_equal(n->f.data.p[0] << 8 | n->f.data.p[1], IKE_DH_MODP2048);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 0);
	in.group = IKE_DH_MODP2048;
	len = ini_build_init(&in, &sa, NULL, 0, f->req, sizeof(f->req));
	ike_resp_input(f->r, f->req, len, &peer, &local);
	assert_int_equal(ini_process_init(&in, f->w.buf, f->w.len, &f->m), 0);
	assert_int_equal(in.suite.dh, IKE_DH_MODP2048);
	ini_free(&in);
	fx_free(f);
}

/* Threshold 0: every new SA needs a cookie; no state until it comes back valid. */
static void test_cookie(void **state)
{
	struct ike_resp_cfg cfg = fx_all_suites;
	uint16_t dh[] = { IKE_DH_ECP256, 0 };
	struct ike_resp_stats st;
	const struct ike_pl *n;
	struct ike_sa_pl sa;
	struct ini in;
	uint8_t cookie[64];
	size_t len, clen;
	struct fx *f;

	(void)state;
	cfg.cookie_threshold = 0;
	f = fx_new(&cfg);
	ini_init(&in, 13, IKE_DH_ECP256);
	ini_proposal(&sa, IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256, 0, dh);
	len = ini_build_init(&in, &sa, NULL, 0, f->req, sizeof(f->req));
	ike_resp_input(f->r, f->req, len, &peer, &local);
	assert_int_equal(ini_process_init(&in, f->w.buf, f->w.len, &f->m), IKE_N_COOKIE);
	n = ike_msg_notify(&f->m, IKE_N_COOKIE);
	clen = n->f.data.len;
	memcpy(cookie, n->f.data.p, clen);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 0);
	/* a wrong cookie: another COOKIE, still no state */
	cookie[5] ^= 1;
	len = ini_build_init(&in, &sa, cookie, clen, f->req, sizeof(f->req));
	ike_resp_input(f->r, f->req, len, &peer, &local);
	assert_int_equal(ini_process_init(&in, f->w.buf, f->w.len, &f->m), IKE_N_COOKIE);
	cookie[5] ^= 1;
	/* from another address the same cookie is not valid */
	{
		struct ike_addr other = peer;

		other.addr[3] = 99;
		len = ini_build_init(&in, &sa, cookie, clen, f->req, sizeof(f->req));
		ike_resp_input(f->r, f->req, len, &other, &local);
		assert_int_equal(ini_process_init(&in, f->w.buf, f->w.len, &f->m), IKE_N_COOKIE);
	}
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 0);
	len = ini_build_init(&in, &sa, cookie, clen, f->req, sizeof(f->req));
	ike_resp_input(f->r, f->req, len, &peer, &local);
	assert_int_equal(ini_process_init(&in, f->w.buf, f->w.len, &f->m), 0);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 1);
	assert_int_equal(st.half_open, 1);
	ini_free(&in);
	fx_free(f);
}

/* Truncated, looping, oversized, or flipped messages: dropped, no answer, no state. */
static void test_hostile(void **state)
{
	struct fx *f = fx_new(&fx_all_suites);
	uint16_t dh[] = { IKE_DH_ECP256, 0 };
	struct ike_resp_stats st;
	struct ike_sa_pl sa;
	struct ini in;
	size_t len;
	uint8_t *big;

	(void)state;
	ini_init(&in, 17, IKE_DH_ECP256);
	ini_proposal(&sa, IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256, 0, dh);
	len = ini_build_init(&in, &sa, NULL, 0, f->req, sizeof(f->req));
	for (size_t l = 0; l < len; l++)
		ike_resp_input(f->r, f->req, l, &peer, &local);
	/* a zero-length payload after the header: would loop in a naive walker */
	f->req[16] = IKE_PL_VENDOR;
	memset(f->req + 28, 0, 4);
	ike_resp_input(f->r, f->req, len, &peer, &local);
	/* oversized: 70000 bytes */
	big = calloc(1, 70000);
	memcpy(big, f->req, 28);
	ike_resp_input(f->r, big, 70000, &peer, &local);
	free(big);
	/* an invalid ECP point */
	len = ini_build_init(&in, &sa, NULL, 0, f->req, sizeof(f->req));
	{
		struct ike_msg *m = calloc(1, sizeof(*m));
		const struct ike_pl *ke;

		assert_int_equal(ike_msg_parse(f->req, len, m, NULL), IKE_PERR_OK);
		ke = ike_msg_find(m, IKE_PL_KE, NULL);
		((uint8_t *)ke->f.data.p)[63] ^= 1;
		free(m);
	}
	ike_resp_input(f->r, f->req, len, &peer, &local);
	assert_int_equal(f->w.n, 0);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 0);
	assert_int_equal(st.half_open, 0);
	assert_int_equal(st.dropped, st.rx);
	ini_free(&in);
	fx_free(f);
}

/* An unknown critical payload in IKE_SA_INIT is answered with UNSUPPORTED_CRITICAL_PAYLOAD. */
static void test_critical(void **state)
{
	struct fx *f = fx_new(&fx_all_suites);
	uint8_t req[40] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const struct ike_pl *n;

	(void)state;
	req[16] = 200;
	req[17] = 0x20;
	req[18] = IKE_XCHG_IKE_SA_INIT;
	req[19] = IKE_HDR_F_I;
	req[29] = 0x80;
	/* 36 bytes: the 37-byte answer would be larger than the request, so none */
	req[27] = 36;
	req[31] = 8;
	ike_resp_input(f->r, req, 36, &peer, &local);
	assert_int_equal(f->w.n, 0);
	req[27] = sizeof(req);
	req[31] = 12;
	ike_resp_input(f->r, req, sizeof(req), &peer, &local);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ike_msg_parse(f->w.buf, f->w.len, &f->m, NULL), IKE_PERR_OK);
	n = ike_msg_notify(&f->m, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	assert_non_null(n);
	assert_int_equal(n->f.data.len, 1);
	assert_int_equal(n->f.data.p[0], 200);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_success),
		cmocka_unit_test(test_retransmit),
		cmocka_unit_test(test_no_proposal),
		cmocka_unit_test(test_invalid_ke),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_critical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
