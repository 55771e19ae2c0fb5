/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The IKE SA the fuzz targets feed (ike_fixture.h). */
#include "tests/fuzz/ike_fixture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "controlplane/ike/ike_req.h"
#include "controlplane/pool/pool.h"

static const struct ike_suite suite = { IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256,
					IKE_INTEG_NONE, IKE_DH_CURVE25519, false };
static const struct ike_addr peer = { 4, { 192, 0, 2, 2 }, 4500 };
static const struct ike_addr local = { 4, { 192, 0, 2, 1 }, 4500 };

static void no_send(void *arg, const uint8_t *buf, size_t len, const struct ike_addr *from,
		    const struct ike_addr *to)
{
	(void)arg, (void)buf, (void)len, (void)from, (void)to;
}

static int accept_all(void *arg, const struct ike_auth_query *q, struct ike_auth_result *res,
		      ike_auth_done_fn done, void *done_arg)
{
	(void)arg, (void)q, (void)done, (void)done_arg;
	memset(res, 0, sizeof(*res));
	res->method = IKE_AUTH_PSK;
	res->auth_len = 32;
	return 0;
}

static int dp_send(void *ctx, uint16_t type, const void *payload, size_t len, dpif_cb cb,
		   void *arg)
{
	struct ike_fx_dp *d = ctx;

	(void)type, (void)payload, (void)len;
	if (!cb)
		return 0;
	if (d->n == 64)
		return -ENOBUFS;
	d->cb[d->n] = cb;
	d->arg[d->n++] = arg;
	return 0;
}

static unsigned dp_cancel(void *ctx, void *arg)
{
	struct ike_fx_dp *d = ctx;

	for (unsigned i = 0; i < d->n; i++)
		if (d->arg[i] == arg)
			d->cb[i] = NULL;
	return 0;
}

void ike_fx_dp_ack(struct ike_fx *fx)
{
	struct ike_fx_dp *d = &fx->dp;

	for (unsigned i = 0; i < d->n; i++) {
		struct dpif_reply rep = { 0 };
		dpif_cb cb = d->cb[i];

		d->cb[i] = NULL;
		if (cb)
			cb(0, &rep, d->arg[i]);
	}
	d->n = 0;
}

/* A minimal IKE_SA_INIT message carrying a nonce. */
static size_t init_msg(uint8_t *buf, bool resp)
{
	struct ike_hdr h = { .spi_i = 0x1111, .spi_r = resp ? 0x2222 : 0,
			     .exchange = IKE_XCHG_IKE_SA_INIT,
			     .flags = resp ? IKE_HDR_F_R : IKE_HDR_F_I };
	uint8_t nonce[IKE_NONCE_LEN];
	struct ike_bld b;

	memset(nonce, resp ? 0x22 : 0x11, sizeof(nonce));
	ike_bld_init(&b, buf, 256, &h);
	ike_bld_data(&b, IKE_PL_NONCE, nonce, sizeof(nonce));
	return ike_bld_finish(&b);
}

void ike_fx_init(struct ike_fx *fx)
{
	struct ike_resp_cfg cfg = { .local_id_type = IKE_ID_FQDN, .local_id = "vpn.example.test",
				    .local_id_len = 16 };
	struct pool_cfg pc4 = { .name = "p4", .af = 4, .first = { 10, 0, 0, 1 },
				.last = { 10, 0, 0, 2 }, .n_dns = 1, .dns = { { 10, 0, 9, 9 } } };
	struct pool_cfg pc6 = { .name = "p6", .af = 6, .first = { 0x20, 0x01, 0x0d, 0xb8 },
				.plen = 120 };
	static const struct ike_authenticator auth = { accept_all, NULL, NULL };
	uint8_t m0[256], m1[256];

	rp_log_set_level(RP_LOG_ERR); /* state changes are logged at INFO */
	memset(fx, 0, sizeof(*fx));
	fx->ops = (struct ike_dp_ops){ dp_send, dp_cancel, &fx->dp };
	fx->keys.d_len = 32;
	fx->keys.e_len = 20;
	fx->keys.p_len = 32;
	memset(fx->keys.sk_d, 0xd, 32);
	memset(fx->keys.sk_ei, 0xe, 20);
	memset(fx->keys.sk_pi, 0xa, 32);
	memset(fx->keys.sk_pr, 0xb, 32);
	if (ike_alg_init(&suite, true, &fx->alg) ||
	    ike_resp_create(&cfg, NULL, no_send, NULL, &fx->r) || pool_create(&pc4, &fx->p4) ||
	    pool_create(&pc6, &fx->p6))
		abort();
	ike_resp_set_auth(fx->r, &auth);
	ike_resp_set_dp(fx->r, &fx->ops);
	ike_resp_set_pools(fx->r, fx->p4, fx->p6);
	if (!ike_sa_inject(fx->r, &suite, &fx->keys, m0, init_msg(m0, false), m1,
			   init_msg(m1, true), &peer, &local))
		abort();
}

void ike_fx_feed(struct ike_fx *fx, uint8_t exchange, uint32_t msg_id, uint8_t first,
		 uint16_t num, uint16_t total, const uint8_t *chain, size_t len)
{
	static uint8_t out[IKE_MSG_MAX];
	struct ike_hdr h = { .spi_i = 0x1111, .spi_r = 0x2222, .exchange = exchange,
			     .flags = IKE_HDR_F_I, .msg_id = msg_id };
	size_t olen;

	if (!ike_skf_seal(&fx->alg, fx->keys.sk_ei, fx->keys.sk_ai, NULL, &h, first, num, total,
			  chain, len, out, sizeof(out), &olen))
		ike_resp_input(fx->r, out, olen, &peer, &local);
}

static bool build_empty(struct ike_bld *b, void *arg)
{
	(void)b, (void)arg;
	return true;
}

static void req_done(struct ike_resp *r, struct ike_sa *sa, const struct ike_msg *resp,
		     void *arg)
{
	(void)r, (void)sa, (void)resp, (void)arg;
}

void ike_fx_feed_resp(struct ike_fx *fx, uint8_t exchange, uint32_t msg_id, uint8_t first,
		      uint16_t num, uint16_t total, const uint8_t *chain, size_t len)
{
	static uint8_t out[IKE_MSG_MAX];
	struct ike_hdr h = { .spi_i = 0x1111, .spi_r = 0x2222, .exchange = exchange,
			     .flags = IKE_HDR_F_I | IKE_HDR_F_R, .msg_id = msg_id };
	struct ike_sa *sa = ike_resp_find(fx->r, 0x1111, 0x2222);
	size_t olen;

	if (sa && !ike_req_busy(sa))
		(void)ike_req_send(fx->r, sa, IKE_XCHG_INFORMATIONAL, build_empty, req_done, NULL);
	if (!ike_skf_seal(&fx->alg, fx->keys.sk_ei, fx->keys.sk_ai, NULL, &h, first, num, total,
			  chain, len, out, sizeof(out), &olen))
		ike_resp_input(fx->r, out, olen, &peer, &local);
}

void ike_fx_fini(struct ike_fx *fx)
{
	ike_resp_destroy(fx->r);
	ike_fx_dp_ack(fx); /* nothing may call back any more */
	pool_destroy(fx->p4);
	pool_destroy(fx->p6);
}
