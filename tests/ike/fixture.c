/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* What the IKE tests share (fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

const struct ike_resp_cfg fx_all_suites = {
	.encr = { IKE_ENCR_AES_GCM_16, IKE_ENCR_AES_GCM_16, IKE_ENCR_CHACHA20_POLY1305,
		  IKE_ENCR_AES_CBC, IKE_ENCR_AES_CBC },
	.encr_bits = { 256, 128, 0, 256, 128 },
	.prf = { IKE_PRF_HMAC_SHA2_256, IKE_PRF_HMAC_SHA2_384, IKE_PRF_HMAC_SHA2_512 },
	.integ = { IKE_INTEG_HMAC_SHA2_256_128, IKE_INTEG_HMAC_SHA2_384_192,
		   IKE_INTEG_HMAC_SHA2_512_256 },
	.dh = { IKE_DH_CURVE25519, IKE_DH_ECP256, IKE_DH_ECP384, IKE_DH_ECP521, IKE_DH_MODP2048,
		IKE_DH_MODP3072, IKE_DH_MODP4096 },
	.cookie_threshold = 100,
};

struct ike_resp_cfg fx_resp_cfg(void)
{
	struct ike_resp_cfg c = {
		.encr = { IKE_ENCR_AES_GCM_16 },
		.encr_bits = { 256 },
		.prf = { IKE_PRF_HMAC_SHA2_256 },
		.integ = { IKE_INTEG_HMAC_SHA2_256_128 },
		.dh = { IKE_DH_CURVE25519 },
		.cookie_threshold = 100,
		.local_id_type = IKE_ID_FQDN,
		.local_id = "vpn.example.test",
		.local_id_len = 16,
		.local_ts = { { .addr = { 10, 1, 0, 0 }, .af = 4, .plen = 16 } },
		.n_local_ts = 1,
	};

	return c;
}

void fx_capture(void *arg, const uint8_t *buf, size_t len, const struct ike_addr *from,
		const struct ike_addr *to)
{
	struct fx_wire *w = arg;

	(void)from;
	assert_true(len <= sizeof(w->buf));
	memcpy(w->buf, buf, len);
	w->len = len;
	w->to = *to;
	w->n++;
}

void fx_info_cb(const struct ike_sa_info *i, void *arg)
{
	struct fx_info *c = arg;

	c->n++;
	c->last = *i;
}

struct ike_keyring *fx_keyring(void)
{
	struct ike_keyring *kr;

	assert_int_equal(ike_keyring_create(&kr), 0);
	assert_int_equal(ike_keyring_add(kr, IKE_ID_FQDN, CLIENT, strlen(CLIENT), PSK,
					 strlen(PSK)), 0);
	return kr;
}
