/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * EAP in IKE_AUTH (ike_eap.c, RFC 7296 §2.16): our responder against tests/ike/initiator.c
 * playing an EAP-MD5 peer, with a fake AAA backend standing in for RADIUS (it plays the
 * EAP-MD5 server and answers when the test says so, as the real one answers later on the
 * event loop). The authenticator is a stub that accepts the skip-AUTH request for a profile
 * allowing remote EAP (the certificate part is test_ike_cert's and ike_eap.sh's).
 *
 * The real thing against FreeRADIUS and strongSwan: tests/scenario/ike_eap.sh.
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

#include "controlplane/aaa/eap.h"
#include "controlplane/ike/ike_authz.h"
#include "controlplane/ike/ike_eap.h"
#include "controlplane/ike/ike_sa.h"
#include "controlplane/policy/policy.h"
#include "controlplane/pool/pool.h"
#include "fake_dp.h"
#include "fixture.h"
#include "initiator.h"

#define USER "testuser"
#define PASS "testpass"

static const struct ike_addr peer = FX_PEER4(500);
static const struct ike_addr local = FX_LOCAL4(500);
static const uint8_t challenge[16] = "0123456789abcdef";
static const uint8_t state1[] = "state-1";

/* ---- fake AAA: an EAP-MD5 server answering on request --------------------------------- */

struct fake_aaa {
	bool pending;
	ike_eap_aaa_cb cb;
	void *cb_arg;
	unsigned n_req, n_cancel;
	uint8_t eap[IKE_EAP_MSG_MAX];
	size_t eap_len;
	char user[254];
	uint8_t state[64];
	size_t state_len;
	char list[32];
	uint8_t msk[64];            /**< sent with the Accept when msk_len */
	size_t msk_len;
};

static int aaa_send(void *arg, const struct ike_eap_aaa_req *req, ike_eap_aaa_cb cb,
		    void *cb_arg, void **handle)
{
	struct fake_aaa *a = arg;

	assert_false(a->pending);
	assert_true(req->eap_len <= sizeof(a->eap) && req->user_len < sizeof(a->user));
	memcpy(a->eap, req->eap, req->eap_len);
	a->eap_len = req->eap_len;
	memcpy(a->user, req->user, req->user_len);
	a->user[req->user_len] = 0;
	assert_true(req->state_len <= sizeof(a->state));
	memcpy(a->state, req->state, req->state_len);
	a->state_len = req->state_len;
	snprintf(a->list, sizeof(a->list), "%s", req->list);
	a->pending = true;
	a->cb = cb;
	a->cb_arg = cb_arg;
	a->n_req++;
	*handle = a;
	return 0;
}

static void aaa_cancel(void *arg, void *handle)
{
	struct fake_aaa *a = arg;

	assert_ptr_equal(handle, a);
	a->pending = false;
	a->n_cancel++;
}

/* Answer the pending request as an EAP-MD5 server whose user has password PASS. */
static void aaa_answer(struct fake_aaa *a)
{
	struct ike_eap_aaa_ans ans = { 0 };
	struct eap_pkt p, c;
	uint8_t out[64], creq[64], want[64];
	size_t n;

	assert_true(a->pending);
	a->pending = false;
	assert_int_equal(eap_parse(a->eap, a->eap_len, &p), 0);
	assert_int_equal(p.code, EAP_RESPONSE);
	if (p.type == EAP_T_IDENTITY) {
		/* first: a challenge */
		creq[0] = EAP_REQUEST;
		creq[1] = (uint8_t)(p.id + 1);
		creq[2] = 0;
		creq[3] = 4 + 1 + 1 + 16;
		creq[4] = EAP_T_MD5;
		creq[5] = 16;
		memcpy(creq + 6, challenge, 16);
		ans.code = IKE_EAP_AAA_CHALLENGE;
		ans.eap = creq;
		ans.eap_len = creq[3];
		ans.state = state1;
		ans.state_len = sizeof(state1);
	} else {
		assert_int_equal(p.type, EAP_T_MD5);
		/* the State of the challenge came back */
		assert_int_equal(a->state_len, sizeof(state1));
		assert_memory_equal(a->state, state1, sizeof(state1));
		creq[0] = EAP_REQUEST;
		creq[1] = p.id;
		creq[2] = 0;
		creq[3] = 22;
		creq[4] = EAP_T_MD5;
		creq[5] = 16;
		memcpy(creq + 6, challenge, 16);
		assert_int_equal(eap_parse(creq, 22, &c), 0);
		n = eap_md5_response(&c, PASS, strlen(PASS), want, sizeof(want));
		assert_true(n > 0);
		ans.code = n == a->eap_len && !memcmp(want, a->eap, n) ? IKE_EAP_AAA_ACCEPT
								       : IKE_EAP_AAA_REJECT;
		ans.eap = out;
		ans.eap_len = eap_build_result(ans.code == IKE_EAP_AAA_ACCEPT ? EAP_SUCCESS :
					       EAP_FAILURE, p.id, out, sizeof(out));
		if (ans.code == IKE_EAP_AAA_ACCEPT) {
			ans.accept = (const uint8_t *)"the Access-Accept";
			ans.accept_len = 17;
		}
		if (ans.code == IKE_EAP_AAA_ACCEPT && a->msk_len) {
			ans.msk = a->msk;
			ans.msk_len = a->msk_len;
		}
	}
	a->cb(a->cb_arg, &ans);
}

/* ---- the authenticator stub: a profile that allows remote EAP ------------------------- */

struct stub {
	struct pol_profile prof;
	unsigned calls;
	uint8_t last_method;
	const char *idr;                /**< an IDr chosen as by identity_local (ike_cert.c) */
};

static int stub_verify(void *arg, const struct ike_auth_query *q, struct ike_auth_result *res,
		       ike_auth_done_fn done, void *done_arg)
{
	struct stub *s = arg;

	(void)done;
	(void)done_arg;
	s->calls++;
	s->last_method = q->method;
	memset(res, 0, sizeof(*res));
	res->status = q->method == 0 ? 0 : -EACCES;
	res->method = IKE_AUTH_RSA_SIG; /* stands for our signature */
	memset(res->auth, 0xab, 32);
	res->auth_len = 32;
	res->profile = &s->prof;
	if (s->idr) {
		res->idr_type = IKE_ID_FQDN;
		res->idr_len = strlen(s->idr);
		memcpy(res->idr, s->idr, res->idr_len);
	}
	return 0;
}

/* ---- fixture -------------------------------------------------------------------------- */

struct fx {
	struct ike_resp *r;
	struct ini_rng_state rs;
	struct fx_wire w;
	struct fake_dp dp;
	struct fake_aaa aaa;
	struct stub stub;
	struct pool *pool4;
	struct ike_msg m;
	uint8_t req[8192];
	size_t req_len;
	struct ini in;
	uint8_t idi[260], idr[260];
	size_t idi_len, idr_len;
};

static struct fx *fx_new(bool query, bool with_aaa)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ike_resp_cfg cfg = fx_resp_cfg();
	struct ike_rng rng = { ini_rng, &f->rs };
	struct ike_dp_ops ops = { fdp_send, fdp_cancel, &f->dp };
	struct ike_authenticator au = { stub_verify, NULL, &f->stub };
	struct ike_eap_backend be = { aaa_send, aaa_cancel, &f->aaa };
	struct pool_cfg pc = { .name = "clients", .af = 4, .first = { 10, 9, 0, 10 },
			       .last = { 10, 9, 0, 20 }, .netmask_plen = 32 };

	assert_non_null(f);
	f->rs.s = 0xea9;
	snprintf(f->stub.prof.name, sizeof(f->stub.prof.name), "eapprof");
	snprintf(f->stub.prof.aaa_eap_list, sizeof(f->stub.prof.aaa_eap_list), "eap-list");
	f->stub.prof.auth_remote = POL_AUTH_EAP;
	f->stub.prof.auth_local = POL_AUTH_RSA_SIG;
	f->stub.prof.eap_query_identity = query;
	cfg.n_local_ts = 0; /* no local traffic selectors */
	assert_int_equal(ike_resp_create(&cfg, &rng, fx_capture, &f->w, &f->r), 0);
	ike_resp_set_auth(f->r, &au);
	if (with_aaa)
		ike_resp_set_eap(f->r, &be);
	ike_resp_set_dp(f->r, &ops);
	assert_int_equal(pool_create(&pc, &f->pool4), 0);
	ike_resp_set_pools(f->r, f->pool4, NULL);
	return f;
}

static void fx_free(struct fx *f)
{
	ike_resp_destroy(f->r);
	pool_destroy(f->pool4);
	ini_free(&f->in);
	free(f);
}

static struct ike_sa *fx_sa(struct fx *f)
{
	return ike_resp_find(f->r, f->in.spi_i, f->in.spi_r);
}

static void send_req(struct fx *f)
{
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
}

/* IKE_SA_INIT, then IKE_AUTH without AUTH for identity @p id of type @p type. */
static void first_request(struct fx *f, uint8_t type, const void *id, size_t id_len)
{
	uint16_t dh[] = { IKE_DH_CURVE25519, 0 };
	struct ike_sa_pl *sa = calloc(1, sizeof(*sa));
	struct ini_auth_opts o = { .id_type = type, .id = id, .id_len = id_len, .no_auth = true };
	size_t len;

	ini_init(&f->in, 77, IKE_DH_CURVE25519);
	ini_proposal(sa, IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, dh);
	len = ini_build_init(&f->in, sa, NULL, 0, f->req, sizeof(f->req));
	free(sa);
	assert_true(len > 0);
	f->w.n = 0;
	ike_resp_input(f->r, f->req, len, &peer, &local);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_init(&f->in, f->w.buf, f->w.len, &f->m), 0);
	f->idi[0] = type;
	memset(f->idi + 1, 0, 3);
	memcpy(f->idi + 4, id, id_len);
	f->idi_len = 4 + id_len;
	f->req_len = ini_build_auth(&f->in, &o, f->req, sizeof(f->req));
	assert_true(f->req_len > 0);
	send_req(f);
}

/* The response just sent: its EAP payload into @p eap (its length returned), or 0 if it has
 * none; the IDr of the first one is kept. */
static size_t response_eap(struct fx *f, uint8_t *eap, size_t cap, uint16_t *notify)
{
	const struct ike_pl *pl, *n;

	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_open(&f->in, f->w.buf, f->w.len, &f->m), 0);
	n = ike_msg_find(&f->m, IKE_PL_NOTIFY, NULL);
	*notify = n ? n->f.u16a : 0;
	if ((pl = ike_msg_find(&f->m, IKE_PL_IDR, NULL))) {
		memcpy(f->idr, pl->body.p, pl->body.len);
		f->idr_len = pl->body.len;
		/* §2.16: our (certificate) AUTH comes with it */
		assert_non_null(ike_msg_find(&f->m, IKE_PL_AUTH, NULL));
	}
	pl = ike_msg_find(&f->m, IKE_PL_EAP, NULL);
	if (!pl)
		return 0;
	assert_true(pl->body.len <= cap);
	memcpy(eap, pl->body.p, pl->body.len);
	return pl->body.len;
}

static void send_inner(struct fx *f, uint8_t type, const void *data, size_t len, uint8_t method)
{
	f->req_len = ini_build_auth_step(&f->in, type, method, data, len, f->req, sizeof(f->req));
	assert_true(f->req_len > 0);
	send_req(f);
}

/* AUTH after EAP (§2.16), keyed with @p key, over our signed octets (@p ours: the responder's). */
static void eap_auth(struct fx *f, const uint8_t *key, size_t klen, bool ours, uint8_t *out)
{
	uint8_t oct[4096];
	size_t ol;

	if (ours)
		assert_int_equal(ike_auth_octets(f->in.suite.prf, f->in.init_resp,
						 f->in.init_resp_len, f->in.ni, sizeof(f->in.ni),
						 f->in.keys.sk_pr, f->in.keys.p_len, f->idr,
						 f->idr_len, oct, sizeof(oct), &ol), 0);
	else
		assert_int_equal(ike_auth_octets(f->in.suite.prf, f->in.init_req,
						 f->in.init_req_len, f->in.nr, f->in.nr_len,
						 f->in.keys.sk_pi, f->in.keys.p_len, f->idi,
						 f->idi_len, oct, sizeof(oct), &ol), 0);
	assert_int_equal(ike_auth_psk(f->in.suite.prf, key, klen, oct, ol, out), 0);
}

/* Answer the MD5 challenge in @p eap with @p pass and run the rounds to the end: true if the
 * SA is established (the final response checked), false on AUTHENTICATION_FAILED. */
static bool finish(struct fx *f, const uint8_t *eap, size_t len, const char *pass,
		   bool bad_auth)
{
	uint8_t resp[64], buf[IKE_EAP_MSG_MAX], mine[64], want[64];
	const uint8_t *ki = f->aaa.msk_len ? f->aaa.msk : f->in.keys.sk_pi;
	const uint8_t *kr = f->aaa.msk_len ? f->aaa.msk : f->in.keys.sk_pr;
	size_t kl = f->aaa.msk_len ? f->aaa.msk_len : f->in.keys.p_len, n;
	const struct ike_pl *auth;
	struct eap_pkt p;
	uint16_t notify;

	assert_int_equal(eap_parse(eap, len, &p), 0);
	assert_int_equal(p.code, EAP_REQUEST);
	assert_int_equal(p.type, EAP_T_MD5);
	n = eap_md5_response(&p, pass, strlen(pass), resp, sizeof(resp));
	assert_true(n > 0);
	send_inner(f, IKE_PL_EAP, resp, n, 0);
	assert_int_equal(f->w.n, 0); /* RADIUS is asked: nothing yet, nothing blocks */
	aaa_answer(&f->aaa);
	n = response_eap(f, buf, sizeof(buf), &notify);
	if (notify == IKE_N_AUTHENTICATION_FAILED) {
		assert_int_equal(n, 0);
		return false;
	}
	assert_int_equal(eap_parse(buf, n, &p), 0);
	assert_int_equal(p.code, EAP_SUCCESS);
	/* the final AUTH */
	eap_auth(f, ki, kl, false, mine);
	if (bad_auth)
		mine[0] ^= 1;
	send_inner(f, IKE_PL_AUTH, mine, ike_prf_len(f->in.suite.prf), IKE_AUTH_PSK);
	fdp_complete(&f->dp, 0);
	assert_int_equal(response_eap(f, buf, sizeof(buf), &notify), 0);
	if (notify == IKE_N_AUTHENTICATION_FAILED)
		return false;
	assert_null(ike_msg_find(&f->m, IKE_PL_IDR, NULL));
	auth = ike_msg_find(&f->m, IKE_PL_AUTH, NULL);
	assert_non_null(auth);
	assert_int_equal(auth->f.u8a, IKE_AUTH_PSK);
	eap_auth(f, kr, kl, true, want);
	assert_int_equal(auth->f.data.len, ike_prf_len(f->in.suite.prf));
	assert_memory_equal(auth->f.data.p, want, auth->f.data.len);
	/* the CHILD_SA of the first request, with config mode */
	assert_non_null(ike_msg_find(&f->m, IKE_PL_SA, NULL));
	assert_non_null(ike_msg_find(&f->m, IKE_PL_TSI, NULL));
	assert_non_null(ike_msg_find(&f->m, IKE_PL_CP, NULL));
	assert_int_equal(ike_sa_state(fx_sa(f)), IKE_SA_ESTABLISHED);
	return true;
}

/* ---- tests ---------------------------------------------------------------------------- */

/* Without query-identity: the IKE identity goes to RADIUS as EAP-Response/Identity, the
 * server's challenge comes back in the first response; EAP-MD5 has no MSK: SK_pi/SK_pr. */
static void test_md5_ike_identity(void **state)
{
	struct fx *f = fx_new(false, true);
	uint8_t eap[IKE_EAP_MSG_MAX];
	const uint8_t *id;
	uint16_t notify;
	size_t n, idl;
	struct eap_pkt p;

	(void)state;
	first_request(f, IKE_ID_FQDN, USER, strlen(USER));
	assert_int_equal(f->stub.last_method, 0);
	assert_int_equal(f->w.n, 0);          /* waiting for RADIUS */
	assert_int_equal(f->aaa.n_req, 1);
	assert_string_equal(f->aaa.user, USER);
	assert_string_equal(f->aaa.list, "eap-list");
	assert_int_equal(eap_parse(f->aaa.eap, f->aaa.eap_len, &p), 0);
	assert_true(eap_identity(&p, &id, &idl));
	assert_int_equal(idl, strlen(USER));
	assert_memory_equal(id, USER, idl);
	assert_int_equal(f->aaa.state_len, 0);
	aaa_answer(&f->aaa);
	n = response_eap(f, eap, sizeof(eap), &notify);
	assert_int_equal(notify, 0);
	assert_true(f->idr_len > 4);
	assert_true(finish(f, eap, n, PASS, false));
	assert_int_equal(f->aaa.n_req, 2);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_ADD, 0), 2);
	fx_free(f);
}

/* The authenticator chose our IDr (a profile's identity_local): it goes in the first
 * response, and the AUTH after EAP (§2.16) covers that IDr, not ike.local_id. */
static void test_identity_local_final_auth(void **state)
{
	static const char gw[] = "gw.example.test";
	struct fx *f = fx_new(false, true);
	uint8_t eap[IKE_EAP_MSG_MAX];
	uint16_t notify;
	size_t n;

	(void)state;
	f->stub.idr = gw;
	first_request(f, IKE_ID_FQDN, USER, strlen(USER));
	aaa_answer(&f->aaa);
	n = response_eap(f, eap, sizeof(eap), &notify);
	assert_int_equal(notify, 0);
	assert_int_equal(f->idr[0], IKE_ID_FQDN);
	assert_int_equal(f->idr_len, 4 + strlen(gw));
	assert_memory_equal(f->idr + 4, gw, strlen(gw));
	assert_true(finish(f, eap, n, PASS, false)); /* checks our AUTH over f->idr */
	fx_free(f);
}

/* query-identity: we ask the client; its answer is the User-Name; the MSK keys AUTH. */
static void test_md5_query_identity_msk(void **state)
{
	struct fx *f = fx_new(true, true);
	uint8_t eap[IKE_EAP_MSG_MAX], idr[64];
	uint16_t notify;
	struct eap_pkt p;
	size_t n;

	(void)state;
	memset(f->aaa.msk, 0x5a, 64);
	f->aaa.msk_len = 64;
	first_request(f, IKE_ID_RFC822_ADDR, "alice@example.test", 18);
	n = response_eap(f, eap, sizeof(eap), &notify);   /* at once: no RADIUS yet */
	assert_int_equal(f->aaa.n_req, 0);
	assert_int_equal(eap_parse(eap, n, &p), 0);
	assert_int_equal(p.code, EAP_REQUEST);
	assert_int_equal(p.type, EAP_T_IDENTITY);
	n = eap_build_identity_response(p.id, USER, strlen(USER), idr, sizeof(idr));
	send_inner(f, IKE_PL_EAP, idr, n, 0);
	assert_int_equal(f->aaa.n_req, 1);
	assert_string_equal(f->aaa.user, USER);
	aaa_answer(&f->aaa);
	n = response_eap(f, eap, sizeof(eap), &notify);
	assert_int_equal(notify, 0);
	assert_true(finish(f, eap, n, PASS, false));
	/* the Access-Accept stays with the session (cached authorization) */
	{
		const uint8_t *acc;
		size_t al;
		char txt[64];

		ike_eap_accept(fx_sa(f), &acc, &al);
		assert_int_equal(al, 17);
		assert_memory_equal(acc, "the Access-Accept", 17);
		ike_eap_identity_text(fx_sa(f), txt, sizeof(txt));
		assert_string_equal(txt, USER);
	}
	fx_free(f);
}

static void test_wrong_password(void **state)
{
	struct fx *f = fx_new(false, true);
	uint8_t eap[IKE_EAP_MSG_MAX];
	uint16_t notify;
	size_t n;

	(void)state;
	first_request(f, IKE_ID_FQDN, USER, strlen(USER));
	aaa_answer(&f->aaa);
	n = response_eap(f, eap, sizeof(eap), &notify);
	assert_false(finish(f, eap, n, "wrong", false));
	assert_null(fx_sa(f)); /* deleted */
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_ADD, 0), 0);
	fx_free(f);
}

/* The client's AUTH must match the MSK / keys. */
static void test_wrong_final_auth(void **state)
{
	struct fx *f = fx_new(false, true);
	uint8_t eap[IKE_EAP_MSG_MAX];
	uint16_t notify;
	size_t n;

	(void)state;
	first_request(f, IKE_ID_FQDN, USER, strlen(USER));
	aaa_answer(&f->aaa);
	n = response_eap(f, eap, sizeof(eap), &notify);
	assert_false(finish(f, eap, n, PASS, true));
	assert_null(fx_sa(f));
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_ADD, 0), 0);
	fx_free(f);
}

/* An IP-address identity cannot be the EAP identity (without query-identity). */
static void test_ip_identity_refused(void **state)
{
	struct fx *f = fx_new(false, true);
	uint8_t eap[64], a[4] = { 198, 51, 100, 7 };
	uint16_t notify;

	(void)state;
	first_request(f, IKE_ID_IPV4_ADDR, a, 4);
	assert_int_equal(f->aaa.n_req, 0);
	assert_int_equal(response_eap(f, eap, sizeof(eap), &notify), 0);
	assert_int_equal(notify, IKE_N_AUTHENTICATION_FAILED);
	assert_null(fx_sa(f));
	fx_free(f);
}

/* No EAP backend: refused, not crashed. */
static void test_no_backend(void **state)
{
	struct fx *f = fx_new(false, false);
	uint8_t eap[64];
	uint16_t notify;

	(void)state;
	first_request(f, IKE_ID_FQDN, USER, strlen(USER));
	assert_int_equal(response_eap(f, eap, sizeof(eap), &notify), 0);
	assert_int_equal(notify, IKE_N_AUTHENTICATION_FAILED);
	fx_free(f);
}

/* Between rounds the SA waits the profile's timeout, then goes; a pending RADIUS request is
 * cancelled when the SA goes away. */
static void test_timeout_and_cancel(void **state)
{
	struct fx *f = fx_new(true, true);
	uint8_t eap[IKE_EAP_MSG_MAX], idr[64];
	uint16_t notify;
	struct eap_pkt p;
	size_t n;

	(void)state;
	f->stub.prof.eap_timeout = 60;
	ike_resp_tick(f->r, 1000);
	first_request(f, IKE_ID_FQDN, USER, strlen(USER));
	response_eap(f, eap, sizeof(eap), &notify);
	assert_int_equal(notify, 0);
	/* longer than the 30 s of a half-open SA, shorter than the EAP timeout */
	ike_resp_tick(f->r, 1000 + 59000);
	assert_non_null(fx_sa(f));
	ike_resp_tick(f->r, 1000 + 60000);
	assert_null(fx_sa(f));
	fx_free(f);

	/* the SA deleted while RADIUS is being asked: the request is cancelled */
	f = fx_new(true, true);
	first_request(f, IKE_ID_FQDN, USER, strlen(USER));
	n = response_eap(f, eap, sizeof(eap), &notify);
	assert_int_equal(eap_parse(eap, n, &p), 0);
	n = eap_build_identity_response(p.id, USER, strlen(USER), idr, sizeof(idr));
	send_inner(f, IKE_PL_EAP, idr, n, 0);
	assert_true(f->aaa.pending);
	ike_resp_destroy(f->r);
	f->r = NULL;
	assert_false(f->aaa.pending);
	assert_int_equal(f->aaa.n_cancel, 1);
	pool_destroy(f->pool4);
	ini_free(&f->in);
	free(f);
}

/* Protocol errors: a Response with the wrong identifier, an AUTH in the middle of EAP. */
static void test_bad_rounds(void **state)
{
	struct fx *f = fx_new(true, true);
	uint8_t eap[IKE_EAP_MSG_MAX], idr[64], junk[32] = { 0 };
	uint16_t notify;
	struct eap_pkt p;
	size_t n;

	(void)state;
	first_request(f, IKE_ID_FQDN, USER, strlen(USER));
	n = response_eap(f, eap, sizeof(eap), &notify);
	assert_int_equal(eap_parse(eap, n, &p), 0);
	n = eap_build_identity_response((uint8_t)(p.id + 1), USER, strlen(USER), idr, sizeof(idr));
	send_inner(f, IKE_PL_EAP, idr, n, 0);
	assert_int_equal(f->aaa.n_req, 0);
	response_eap(f, eap, sizeof(eap), &notify);
	assert_int_equal(notify, IKE_N_AUTHENTICATION_FAILED);
	assert_null(fx_sa(f));
	fx_free(f);

	f = fx_new(true, true);
	first_request(f, IKE_ID_FQDN, USER, strlen(USER));
	response_eap(f, eap, sizeof(eap), &notify);
	send_inner(f, IKE_PL_AUTH, junk, 32, IKE_AUTH_PSK);
	response_eap(f, eap, sizeof(eap), &notify);
	assert_int_equal(notify, IKE_N_AUTHENTICATION_FAILED);
	assert_null(fx_sa(f));
	fx_free(f);
}

/* ---- IKEv2 authorization after EAP (ike_authz.h) ----------------------------------------- */

struct fake_authz {
	int rc;                         /* what authorize() returns */
	bool async;                     /* answer later (fake_answer()) */
	ike_authz_cb cb;
	void *cb_arg;
	unsigned calls, released, cancelled;
	struct ike_authz_query q;       /* the last query (views copied below) */
	char eap_id[64], accept[64];
	struct pol_authz az;
};

static void fake_release(void *owned)
{
	((struct fake_authz *)owned)->released++;
}

static void fake_cancel(void *arg, void *handle)
{
	struct fake_authz *z = arg;

	assert_ptr_equal(handle, z);
	z->cancelled++;
	z->cb = NULL;
}

static void fake_answer(struct fake_authz *z)
{
	struct ike_authz_out out = { .authz = &z->az, .owned = z, .release = fake_release,
				     .has_framed4 = true, .framed4 = { 10, 9, 0, 99 } };
	ike_authz_cb cb = z->cb;

	assert_non_null(cb);
	z->cb = NULL;
	cb(z->cb_arg, z->rc, z->rc ? NULL : &out);
}

static int fake_authorize(void *arg, const struct ike_authz_query *q, struct ike_authz_out *out,
			  ike_authz_cb cb, void *cb_arg, void **handle)
{
	struct fake_authz *z = arg;

	z->calls++;
	z->q = *q;
	snprintf(z->eap_id, sizeof(z->eap_id), "%.*s", (int)q->eap_id_len, (const char *)q->eap_id);
	snprintf(z->accept, sizeof(z->accept), "%.*s", (int)q->accept_len, (const char *)q->accept);
	if (z->async) {   /* answered later by fake_answer() */
		z->cb = cb;
		z->cb_arg = cb_arg;
		*handle = z;
		return 1;
	}
	if (z->rc)
		return z->rc;
	out->authz = &z->az;
	out->owned = z;
	out->release = fake_release;
	out->has_framed4 = true;
	memcpy(out->framed4, (uint8_t[]){ 10, 9, 0, 99 }, 4);
	return 0;
}

/* The INTERNAL_IP4_ADDRESS / _DNS of the CP payload of the last response. */
static bool cp_attr(struct fx *f, uint16_t type, uint8_t out[4])
{
	const struct ike_pl *cp = ike_msg_find(&f->m, IKE_PL_CP, NULL);

	for (size_t off = 4; cp && off + 4 <= cp->body.len;) {
		const uint8_t *a = cp->body.p + off;
		uint16_t t = (uint16_t)((a[0] << 8 | a[1]) & 0x7fff), l = (uint16_t)(a[2] << 8 | a[3]);

		if (t == type && l == 4) {
			memcpy(out, a + 4, 4);
			return true;
		}
		off += 4u + l;
	}
	return false;
}

/* After EAP the backend sees the EAP identity and the Access-Accept; its policy and its
 * Framed-IP-Address (outside the pool) make the CFG_REPLY; the SA releases it at the end. */
static void test_authz_after_eap(void **state)
{
	struct fx *f = fx_new(false, true);
	struct fake_authz z = { 0 };
	struct ike_authz_backend be = { fake_authorize, fake_cancel, &z };
	uint8_t eap[IKE_EAP_MSG_MAX], a4[4];
	uint16_t notify;
	size_t n;

	(void)state;
	snprintf(z.az.name, sizeof(z.az.name), "aaa");
	z.az.flow_limit = -1;
	z.az.n_dns = 1;
	memcpy(z.az.dns[0], (uint8_t[]){ 198, 18, 1, 53 }, 4);
	ike_resp_set_authz(f->r, &be);
	first_request(f, IKE_ID_FQDN, USER, strlen(USER));
	aaa_answer(&f->aaa);
	n = response_eap(f, eap, sizeof(eap), &notify);
	assert_int_equal(z.calls, 0);          /* not before EAP succeeded */
	assert_true(finish(f, eap, n, PASS, false));
	assert_int_equal(z.calls, 1);
	assert_true(z.q.eap);
	assert_int_equal(z.q.method, 0);
	assert_ptr_equal(z.q.profile, &f->stub.prof);
	assert_string_equal(z.eap_id, USER);
	assert_string_equal(z.accept, "the Access-Accept");
	assert_int_equal(z.q.id_type, IKE_ID_FQDN);
	assert_int_equal(z.q.id_len, strlen(USER));
	assert_int_equal(z.q.peer_af, 4);       /* for Calling-Station-Id / NAS-IP-Address */
	assert_memory_equal(z.q.peer, peer.addr, 4);
	assert_int_equal(z.q.local_af, 4);
	assert_memory_equal(z.q.local, local.addr, 4);
	assert_true(cp_attr(f, 1, a4));        /* INTERNAL_IP4_ADDRESS: the Framed-IP-Address */
	assert_memory_equal(a4, ((uint8_t[]){ 10, 9, 0, 99 }), 4);
	assert_true(cp_attr(f, 3, a4));        /* INTERNAL_IP4_DNS: the backend's policy */
	assert_memory_equal(a4, ((uint8_t[]){ 198, 18, 1, 53 }), 4);
	assert_int_equal(z.released, 0);
	fx_free(f);
	assert_int_equal(z.released, 1);       /* the SA owned it */
}

/* The backend refuses: AUTHENTICATION_FAILED after a successful EAP, no SA remains. */
static void test_authz_refused(void **state)
{
	struct fx *f = fx_new(false, true);
	struct fake_authz z = { .rc = -EACCES };
	struct ike_authz_backend be = { fake_authorize, fake_cancel, &z };
	uint8_t eap[IKE_EAP_MSG_MAX];
	uint16_t notify;
	size_t n;

	(void)state;
	ike_resp_set_authz(f->r, &be);
	first_request(f, IKE_ID_FQDN, USER, strlen(USER));
	aaa_answer(&f->aaa);
	n = response_eap(f, eap, sizeof(eap), &notify);
	assert_false(finish(f, eap, n, PASS, false));
	assert_int_equal(z.calls, 1);
	assert_null(fx_sa(f));
	assert_int_equal(z.released, 0);
	fx_free(f);
}

/* An authorization that asks a server: the final IKE_AUTH waits for it (nothing sent),
 * then the CHILD_SA follows with its address; a task destroyed meanwhile cancels it. */
static void test_authz_async(void **state)
{
	struct fx *f = fx_new(false, true);
	struct fake_authz z = { .async = true };
	struct ike_authz_backend be = { fake_authorize, fake_cancel, &z };
	uint8_t eap[IKE_EAP_MSG_MAX], buf[IKE_EAP_MSG_MAX], mine[64], a4[4];
	uint16_t notify;
	struct eap_pkt p;
	size_t n;

	(void)state;
	snprintf(z.az.name, sizeof(z.az.name), "aaa");
	z.az.flow_limit = -1;
	ike_resp_set_authz(f->r, &be);
	first_request(f, IKE_ID_FQDN, USER, strlen(USER));
	aaa_answer(&f->aaa);
	n = response_eap(f, eap, sizeof(eap), &notify);
	assert_int_equal(eap_parse(eap, n, &p), 0);
	n = eap_md5_response(&p, PASS, strlen(PASS), buf, sizeof(buf));
	send_inner(f, IKE_PL_EAP, buf, n, 0);
	aaa_answer(&f->aaa);
	response_eap(f, buf, sizeof(buf), &notify);
	eap_auth(f, f->in.keys.sk_pi, f->in.keys.p_len, false, mine);
	send_inner(f, IKE_PL_AUTH, mine, ike_prf_len(f->in.suite.prf), IKE_AUTH_PSK);
	assert_int_equal(z.calls, 1);
	assert_int_equal(f->w.n, 0);           /* waiting for the authorization */
	fake_answer(&z);
	fdp_complete(&f->dp, 0);
	response_eap(f, buf, sizeof(buf), &notify);
	assert_int_equal(notify, 0);
	assert_true(cp_attr(f, 1, a4));
	assert_memory_equal(a4, ((uint8_t[]){ 10, 9, 0, 99 }), 4);
	assert_int_equal(ike_sa_state(fx_sa(f)), IKE_SA_ESTABLISHED);
	fx_free(f);
	assert_int_equal(z.released, 1);
	assert_int_equal(z.cancelled, 0);

	/* refused later */
	f = fx_new(false, true);
	memset(&z, 0, sizeof(z));
	z.async = true;
	z.rc = -EACCES;
	ike_resp_set_authz(f->r, &be);
	first_request(f, IKE_ID_FQDN, USER, strlen(USER));
	aaa_answer(&f->aaa);
	n = response_eap(f, eap, sizeof(eap), &notify);
	assert_int_equal(eap_parse(eap, n, &p), 0);
	n = eap_md5_response(&p, PASS, strlen(PASS), buf, sizeof(buf));
	send_inner(f, IKE_PL_EAP, buf, n, 0);
	aaa_answer(&f->aaa);
	response_eap(f, buf, sizeof(buf), &notify);
	eap_auth(f, f->in.keys.sk_pi, f->in.keys.p_len, false, mine);
	send_inner(f, IKE_PL_AUTH, mine, ike_prf_len(f->in.suite.prf), IKE_AUTH_PSK);
	assert_int_equal(f->w.n, 0);
	fake_answer(&z);
	assert_int_equal(response_eap(f, buf, sizeof(buf), &notify), 0);
	assert_int_equal(notify, IKE_N_AUTHENTICATION_FAILED);
	assert_null(fx_sa(f));
	fx_free(f);

	/* the responder goes away while the server is asked: cancelled, no callback */
	f = fx_new(false, true);
	memset(&z, 0, sizeof(z));
	z.async = true;
	ike_resp_set_authz(f->r, &be);
	first_request(f, IKE_ID_FQDN, USER, strlen(USER));
	aaa_answer(&f->aaa);
	n = response_eap(f, eap, sizeof(eap), &notify);
	assert_int_equal(eap_parse(eap, n, &p), 0);
	n = eap_md5_response(&p, PASS, strlen(PASS), buf, sizeof(buf));
	send_inner(f, IKE_PL_EAP, buf, n, 0);
	aaa_answer(&f->aaa);
	response_eap(f, buf, sizeof(buf), &notify);
	eap_auth(f, f->in.keys.sk_pi, f->in.keys.p_len, false, mine);
	send_inner(f, IKE_PL_AUTH, mine, ike_prf_len(f->in.suite.prf), IKE_AUTH_PSK);
	assert_non_null(z.cb);
	fx_free(f);
	assert_int_equal(z.cancelled, 1);
	assert_null(z.cb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md5_ike_identity),
		cmocka_unit_test(test_identity_local_final_auth),
		cmocka_unit_test(test_md5_query_identity_msk),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_wrong_final_auth),
		cmocka_unit_test(test_ip_identity_refused),
		cmocka_unit_test(test_no_backend),
		cmocka_unit_test(test_timeout_and_cancel),
		cmocka_unit_test(test_bad_rounds),
		cmocka_unit_test(test_authz_after_eap),
		cmocka_unit_test(test_authz_refused),
		cmocka_unit_test(test_authz_async),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
