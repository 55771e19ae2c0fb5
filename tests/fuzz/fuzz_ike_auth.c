/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Fuzz the responder past decryption: the input is the plaintext of an IKE_AUTH request and
 * of a following INFORMATIONAL request, sealed here with the keys of an SA made by
 * ike_sa_inject(), so every mutation reaches the payload checks, the CHILD_SA selection,
 * config mode, selector narrowing and Delete handling. The authenticator accepts anyone
 * (a real AUTH cannot be guessed), the fake dataplane acknowledges everything, and the
 * responder is created and destroyed per input so leaks show.
 *
 * Input: u16 length L of the first chain | first payload type | L bytes of the IKE_AUTH
 * chain | first payload type | the INFORMATIONAL chain (the rest).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "controlplane/ike/ike_priv.h"
#include "controlplane/pool/pool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ike_suite suite = { IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256,
					IKE_INTEG_NONE, IKE_DH_CURVE25519, false };

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

struct dp {
	unsigned n;
	dpif_cb cb[64];
	void *arg[64];
};

static int dp_send(void *ctx, uint16_t type, const void *payload, size_t len, dpif_cb cb,
		   void *arg)
{
	struct dp *d = ctx;

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
	struct dp *d = ctx;

	for (unsigned i = 0; i < d->n; i++)
		if (d->arg[i] == arg)
			d->cb[i] = NULL;
	return 0;
}

static void dp_ack(struct dp *d)
{
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

static void feed(struct ike_resp *r, const struct ike_alg *a, const struct ike_keys *k,
		 uint8_t exchange, uint32_t msg_id, uint8_t first, const uint8_t *chain,
		 size_t len)
{
	static uint8_t out[IKE_MSG_MAX];
	struct ike_hdr h = { .spi_i = 0x1111, .spi_r = 0x2222, .exchange = exchange,
			     .flags = IKE_HDR_F_I, .msg_id = msg_id };
	struct ike_addr peer = { 4, { 192, 0, 2, 2 }, 4500 }, local = { 4, { 192, 0, 2, 1 }, 4500 };
	size_t olen;

	if (!ike_sk_seal(a, k->sk_ei, k->sk_ai, NULL, &h, first, chain, len, out, sizeof(out),
			 &olen))
		ike_resp_input(r, out, olen, &peer, &local);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_resp_cfg cfg = { .local_id_type = IKE_ID_FQDN, .local_id = "vpn.example.test",
				    .local_id_len = 16 };
	struct pool_cfg pc4 = { .name = "p4", .af = 4, .first = { 10, 0, 0, 1 },
				.last = { 10, 0, 0, 2 }, .n_dns = 1, .dns = { { 10, 0, 9, 9 } } };
	struct pool_cfg pc6 = { .name = "p6", .af = 6, .first = { 0x20, 0x01, 0x0d, 0xb8 },
				.plen = 120 };
	struct ike_authenticator auth = { accept_all, NULL, NULL };
	struct dp d = { 0 };
	struct ike_dp_ops ops = { dp_send, dp_cancel, &d };
	struct pool *p4 = NULL, *p6 = NULL;
	struct ike_resp *r = NULL;
	uint8_t m0[256], m1[256];
	struct ike_keys k = { .d_len = 32, .e_len = 20, .p_len = 32 };
	struct ike_alg a;
	size_t l1;

	rp_log_set_level(RP_LOG_ERR); /* state changes are logged at INFO */
	if (size < 4)
		return 0;
	l1 = (size_t)data[0] << 8 | data[1];
	if (l1 > size - 4)
		l1 = size - 4;
	memset(k.sk_d, 0xd, 32);
	memset(k.sk_ei, 0xe, 20);
	memset(k.sk_pi, 0xa, 32);
	memset(k.sk_pr, 0xb, 32);
	if (ike_alg_init(&suite, true, &a) || ike_resp_create(&cfg, NULL, no_send, NULL, &r) ||
	    pool_create(&pc4, &p4) || pool_create(&pc6, &p6))
		abort();
	ike_resp_set_auth(r, &auth);
	ike_resp_set_dp(r, &ops);
	ike_resp_set_pools(r, p4, p6);
	{
		struct ike_addr peer = { 4, { 192, 0, 2, 2 }, 4500 };
		struct ike_addr local = { 4, { 192, 0, 2, 1 }, 4500 };

		if (!ike_sa_inject(r, &suite, &k, m0, init_msg(m0, false), m1, init_msg(m1, true),
				   &peer, &local))
			abort();
	}
	feed(r, &a, &k, IKE_XCHG_IKE_AUTH, 1, data[2], data + 3, l1);
	dp_ack(&d);
	feed(r, &a, &k, IKE_XCHG_INFORMATIONAL, 2, data[3 + l1], data + 4 + l1, size - 4 - l1);
	dp_ack(&d);
	ike_resp_destroy(r);
	dp_ack(&d); /* nothing may call back any more */
	pool_destroy(p4);
	pool_destroy(p6);
	return 0;
}
