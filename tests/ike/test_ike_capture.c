/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The IKE_AUTH and INFORMATIONAL requests of real strongSwan 5.9 initiators
 * (sswan_capture.h, tests/ike/capture/) through our responder: an SA is made from the
 * captured IKE_SA_INIT and the keys the strongSwan responder logged, then the captured
 * IKE_AUTH request goes in. We must accept its AUTH (PSK), answer with an AUTH equal byte
 * for byte to the one strongSwan's responder sent (same PSK, same identity, same octets),
 * assign the address strongSwan assigned from the same pool, narrow the selectors the same
 * way, and then accept the captured Delete.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/msg.h"
#include "controlplane/ike/ike_priv.h"
#include "controlplane/ike/keyring.h"
#include "controlplane/pool/pool.h"
#include "fixture.h"
#include "initiator.h"
#include "sswan_capture.h"

/* ipsec/r/swanctl/swanctl.conf of /work/shared/interop: connection v2-psk */
static const char psk[] = "v2-psk-secret-0123";
static const char client_id[] = "psk@example.test";

struct fake_dp {
	unsigned n, acked;
	struct rp_msg msg[16];
	dpif_cb cb[16];
	void *arg[16];
};

static int fdp_send(void *ctx, uint16_t type, const void *payload, size_t len, dpif_cb cb,
		    void *arg)
{
	struct fake_dp *d = ctx;
	struct rp_msg *m = &d->msg[d->n];
	char why[160];

	assert_true(d->n < 16);
	memset(m, 0, sizeof(*m));
	m->hdr.version = RP_MSG_VERSION;
	m->hdr.type = type;
	m->hdr.len = (uint16_t)len;
	memcpy(m->u.raw, payload, len);
	assert_int_equal(rp_msg_validate(m, true, why, sizeof(why)), 0);
	d->cb[d->n] = cb;
	d->arg[d->n] = arg;
	d->n++;
	return 0;
}

static unsigned fdp_cancel(void *ctx, void *arg)
{
	(void)ctx;
	(void)arg;
	return 0;
}

static void fdp_ack_all(struct fake_dp *d)
{
	for (; d->acked < d->n; d->acked++) {
		struct dpif_reply rep = { .seq = d->acked + 1 };

		if (d->cb[d->acked])
			d->cb[d->acked](0, &rep, d->arg[d->acked]);
	}
}

/* The suite strongSwan's responder chose, from its IKE_SA_INIT response. */
static void suite_of(const uint8_t *m1, size_t len, struct ike_suite *s)
{
	struct ike_msg *m = calloc(1, sizeof(*m));

	assert_int_equal(ike_msg_parse(m1, len, m, NULL), IKE_PERR_OK);
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < m->sa.n_xf; i++) {
		const struct ike_transform *t = &m->sa.xf[i];

		switch (t->type) {
		case IKE_TT_ENCR: s->encr = t->id; s->encr_bits = t->key_len; break;
		case IKE_TT_PRF: s->prf = t->id; break;
		case IKE_TT_INTEG: s->integ = t->id; break;
		case IKE_TT_DH: s->dh = t->id; break;
		}
	}
	free(m);
}

static void open_with(const struct ike_alg *a, const uint8_t *ek, const uint8_t *ak,
		      const uint8_t *buf, size_t len, struct ike_msg *m, uint8_t *plain)
{
	size_t pl;

	assert_int_equal(ike_msg_parse(buf, len, m, NULL), IKE_PERR_OK);
	assert_int_equal(ike_sk_open(a, ek, ak, m, plain, 4096, &pl), 0);
	assert_int_equal(ike_payloads_parse(m->sk_next, plain, pl, m, NULL), IKE_PERR_OK);
}

static const uint8_t *cfg_addr4(const struct ike_msg *m)
{
	for (unsigned i = 0; i < m->cp.n; i++)
		if (m->cp.attr[i].type == IKE_CFG_INTERNAL_IP4_ADDRESS &&
		    m->cp.attr[i].value.len == 4)
			return m->cp.attr[i].value.p;
	return NULL;
}

static void session(const uint8_t *m0, size_t l0, const uint8_t *m1, size_t l1,
		    const uint8_t *m2, size_t l2, const uint8_t *m3, size_t l3, const uint8_t *m4,
		    size_t l4, const uint8_t *m5, size_t l5, const uint8_t *sk_d, size_t d_len,
		    const uint8_t *sk_ai, const uint8_t *sk_ar, size_t a_len, const uint8_t *sk_ei,
		    const uint8_t *sk_er, size_t e_len, const uint8_t *sk_pi, const uint8_t *sk_pr,
		    size_t p_len)
{
	struct ike_resp_cfg cfg = {
		.encr = { IKE_ENCR_AES_CBC }, .encr_bits = { 128 },
		.prf = { IKE_PRF_HMAC_SHA2_256 }, .integ = { IKE_INTEG_HMAC_SHA2_256_128 },
		.dh = { IKE_DH_CURVE25519 },
		.local_id_type = IKE_ID_FQDN, .local_id = "vpn.example.test", .local_id_len = 16,
		.local_ts = { { .addr = { 198, 18, 1, 0 }, .af = 4, .plen = 24 } },
		.n_local_ts = 1,
	};
	/* strongSwan's pool4 = 198.18.200.0/24 hands out .1 first */
	struct pool_cfg pc = { .name = "pool4", .af = 4, .first = { 198, 18, 200, 1 },
			       .last = { 198, 18, 200, 254 }, .dns = { { 198, 18, 1, 53 } },
			       .n_dns = 1 };
	struct ike_addr peer = { 4, { 192, 0, 2, 2 }, 4500 }, local = { 4, { 192, 0, 2, 1 }, 4500 };
	struct ike_msg *ours = calloc(1, sizeof(*ours)), *theirs = calloc(1, sizeof(*theirs));
	uint8_t *p1 = malloc(4096), *p2 = malloc(4096);
	struct ike_rng rng = { ini_rng, &(struct ini_rng_state){ 99 } };
	struct fake_dp dp = { 0 };
	struct ike_dp_ops ops = { fdp_send, fdp_cancel, &dp };
	const struct ike_pl *a1, *a2, *n;
	struct ike_authenticator auth;
	struct ike_keyring *kr;
	struct ike_resp_stats st;
	struct ike_keys k = { 0 };
	struct ike_suite s;
	struct ike_alg alg;
	struct fx_wire w = { 0 };
	struct ike_resp *r;
	struct pool *pool;
	struct ike_sa *sa;

	suite_of(m1, l1, &s);
	assert_int_equal(ike_alg_init(&s, true, &alg), 0);
	k.d_len = d_len, k.a_len = a_len, k.e_len = e_len, k.p_len = p_len;
	memcpy(k.sk_d, sk_d, d_len);
	memcpy(k.sk_ai, sk_ai, a_len);
	memcpy(k.sk_ar, sk_ar, a_len);
	memcpy(k.sk_ei, sk_ei, e_len);
	memcpy(k.sk_er, sk_er, e_len);
	memcpy(k.sk_pi, sk_pi, p_len);
	memcpy(k.sk_pr, sk_pr, p_len);

	assert_int_equal(ike_resp_create(&cfg, &rng, fx_capture, &w, &r), 0);
	assert_int_equal(ike_keyring_create(&kr), 0);
	/* strongSwan sends an id with '@' as ID_RFC822_ADDR */
	assert_int_equal(ike_keyring_add(kr, IKE_ID_RFC822_ADDR, client_id, strlen(client_id), psk,
					 strlen(psk)), 0);
	ike_keyring_authenticator(kr, &auth);
	ike_resp_set_auth(r, &auth);
	ike_resp_set_dp(r, &ops);
	assert_int_equal(pool_create(&pc, &pool), 0);
	ike_resp_set_pools(r, pool, NULL);
	sa = ike_sa_inject(r, &s, &k, m0, l0, m1, l1, &peer, &local);
	assert_non_null(sa);

	/* IKE_AUTH: held until the dataplane acknowledges, then answered */
	ike_resp_input(r, m2, l2, &peer, &local);
	assert_int_equal(w.n, 0);
	assert_int_equal(dp.n, 3);
	fdp_ack_all(&dp);
	assert_int_equal(w.n, 1);
	assert_int_equal(ike_sa_state(sa), IKE_SA_ESTABLISHED);
	ike_resp_get_stats(r, &st);
	assert_int_equal(st.auth_ok, 1);
	open_with(&alg, k.sk_er, k.sk_ar, w.buf, w.len, ours, p1);
	open_with(&alg, k.sk_er, k.sk_ar, m3, l3, theirs, p2);
	/* the same AUTH as strongSwan's responder */
	a1 = ike_msg_find(ours, IKE_PL_AUTH, NULL);
	a2 = ike_msg_find(theirs, IKE_PL_AUTH, NULL);
	assert_non_null(a1);
	assert_non_null(a2);
	assert_int_equal(a1->f.u8a, a2->f.u8a);
	assert_int_equal(a1->f.data.len, a2->f.data.len);
	assert_memory_equal(a1->f.data.p, a2->f.data.p, a1->f.data.len);
	for (n = NULL; (n = ike_msg_find(ours, IKE_PL_NOTIFY, n));)
		assert_true(n->f.u16a > IKE_N_ERROR_MAX);
	/* the same address, the same narrowed selectors */
	assert_non_null(cfg_addr4(ours));
	assert_non_null(cfg_addr4(theirs));
	assert_memory_equal(cfg_addr4(ours), cfg_addr4(theirs), 4);
	assert_non_null(ike_msg_find(ours, IKE_PL_SA, NULL));
	if (ike_msg_notify(theirs, IKE_N_NO_PROPOSAL_CHOSEN)) {
		/* the ChaCha20-Poly1305 session: strongSwan's responder had no such ESP
		 * proposal configured and refused the CHILD_SA; we have it */
		assert_int_equal(ours->sa.xf[0].id, IKE_ENCR_CHACHA20_POLY1305);
	} else {
		assert_int_equal(ours->tsi.n, theirs->tsi.n);
		assert_memory_equal(ours->tsi.ts, theirs->tsi.ts,
				    sizeof(struct ike_ts) * ours->tsi.n);
		assert_int_equal(ours->tsr.n, theirs->tsr.n);
		assert_memory_equal(ours->tsr.ts, theirs->tsr.ts,
				    sizeof(struct ike_ts) * ours->tsr.n);
	}
	/* the ESP SAs: no NAT in the capture, so no UDP encapsulation despite port 4500 */
	assert_int_equal(dp.msg[0].hdr.type, RP_MSG_SA_ADD);
	assert_int_equal(dp.msg[0].u.sa.flags & RP_SAF_NATT, 0);
	assert_memory_equal(dp.msg[0].u.sa.ts[0].addr, cfg_addr4(ours), 4);

	/* the captured Delete of the IKE SA (message 2) */
	ike_resp_input(r, m4, l4, &peer, &local);
	assert_int_equal(w.n, 2);
	open_with(&alg, k.sk_er, k.sk_ar, w.buf, w.len, ours, p1);
	open_with(&alg, k.sk_er, k.sk_ar, m5, l5, theirs, p2);
	assert_int_equal(ours->hdr.msg_id, theirs->hdr.msg_id);
	assert_int_equal(ours->n, theirs->n);
	assert_int_equal(dp.n, 6); /* + SA_DEL x2, ROUTE_DEL */
	ike_resp_get_stats(r, &st);
	assert_int_equal(st.sas, 0);
	{
		uint32_t used, size;

		pool_usage(pool, &used, &size);
		assert_int_equal(used, 0);
	}
	ike_resp_destroy(r);
	ike_keyring_destroy(kr);
	pool_destroy(pool);
	free(ours);
	free(theirs);
	free(p1);
	free(p2);
}

#define SESSION(n, a_len)                                                                     \
	session(ss_##n##_m0, sizeof(ss_##n##_m0), ss_##n##_m1, sizeof(ss_##n##_m1), ss_##n##_m2, \
		sizeof(ss_##n##_m2), ss_##n##_m3, sizeof(ss_##n##_m3), ss_##n##_m4,               \
		sizeof(ss_##n##_m4), ss_##n##_m5, sizeof(ss_##n##_m5), ss_##n##_sk_d,              \
		sizeof(ss_##n##_sk_d), ss_##n##_sk_ai, ss_##n##_sk_ar, a_len, ss_##n##_sk_ei,      \
		ss_##n##_sk_er, sizeof(ss_##n##_sk_ei), ss_##n##_sk_pi, ss_##n##_sk_pr,            \
		sizeof(ss_##n##_sk_pi));                                                          \
	(void)ss_##n##_dh;                                                                        \
	(void)ss_##n##_skeyseed

static void test_psk_default(void **state)
{
	(void)state;
	SESSION(psk_default, sizeof(ss_psk_default_sk_ai));
}

static void test_gcm256_ecp384(void **state)
{
	(void)state;
	SESSION(gcm256_ecp384, ss_gcm256_ecp384_sk_ai_len);
}

static void test_cbc128_modp2048(void **state)
{
	(void)state;
	SESSION(cbc128_modp2048, sizeof(ss_cbc128_modp2048_sk_ai));
}

static void test_chacha_x25519(void **state)
{
	(void)state;
	SESSION(chacha_x25519, ss_chacha_x25519_sk_ai_len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psk_default),
		cmocka_unit_test(test_gcm256_ecp384),
		cmocka_unit_test(test_cbc128_modp2048),
		cmocka_unit_test(test_chacha_x25519),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
