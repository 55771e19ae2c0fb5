/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The fixture of the liveness and session-hook tests (psk_fx.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "psk_fx.h"

const struct ike_addr peer = FX_PEER4(4500);
const struct ike_addr local = FX_LOCAL4(4500);

struct fx *fx_new(const struct ike_resp_cfg *cfg)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ike_resp_cfg def = fx_resp_cfg();
	struct ike_rng rng = { ini_rng, &f->rs };
	struct ike_dp_ops ops = { fdp_send, fdp_cancel, &f->dp };
	struct pool_cfg pc = { .name = "clients", .af = 4, .first = { 10, 9, 0, 10 },
			       .last = { 10, 9, 0, 17 }, .netmask_plen = 32 };

	assert_non_null(f);
	f->rs.s = 0xd9d;
	assert_int_equal(ike_resp_create(cfg ? cfg : &def, &rng, fx_capture, &f->w, &f->r), 0);
	f->kr = fx_keyring();
	ike_keyring_authenticator(f->kr, &f->auth);
	ike_resp_set_auth(f->r, &f->auth);
	ike_resp_set_dp(f->r, &ops);
	assert_int_equal(pool_create(&pc, &f->pool4), 0);
	ike_resp_set_pools(f->r, f->pool4, NULL);
	f->now = 1000;
	ike_resp_tick(f->r, f->now);
	return f;
}

void fx_free(struct fx *f)
{
	ike_resp_destroy(f->r);
	pool_destroy(f->pool4);
	ike_keyring_destroy(f->kr);
	free(f);
}

unsigned pool_used(const struct fx *f)
{
	uint32_t used, size;

	pool_usage(f->pool4, &used, &size);
	return used;
}

void tick_to(struct fx *f, uint64_t t)
{
	f->now = t;
	ike_resp_tick(f->r, t);
}

size_t build_init(struct ini *in, uint64_t seed, const uint8_t *cookie, size_t clen,
		  uint8_t *out, size_t cap)
{
	uint16_t dh[] = { IKE_DH_CURVE25519, 0 };
	struct ike_sa_pl *sa = calloc(1, sizeof(*sa));
	size_t len;

	ini_init(in, seed, IKE_DH_CURVE25519);
	ini_proposal(sa, IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, dh);
	len = ini_build_init(in, sa, cookie, clen, out, cap);
	free(sa);
	assert_true(len > 0);
	return len;
}

struct ike_sa *establish(struct fx *f, struct ini *in, uint64_t seed, const struct ike_addr *from)
{
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK };
	struct ike_sa *sa;

	f->req_len = build_init(in, seed, NULL, 0, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, from, &local);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_init(in, f->w.buf, f->w.len, &f->m), 0);
	f->req_len = ini_build_auth(in, &o, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, from, &local);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_auth(in, f->w.buf, f->w.len, &f->m, PSK), 0);
	assert_int_equal(in->child_err, 0);
	sa = ike_resp_find(f->r, in->spi_i, in->spi_r);
	assert_non_null(sa);
	assert_int_equal(ike_sa_state(sa), IKE_SA_ESTABLISHED);
	return sa;
}

int open_request(struct ini *in, const uint8_t *buf, size_t len, struct ike_msg *m)
{
	return ini_open_req(in, buf, len, m);
}

size_t build_answer(struct ini *in, uint32_t msg_id, uint8_t *out, size_t cap)
{
	static const uint8_t none[1];

	return ini_seal_resp(in, IKE_XCHG_INFORMATIONAL, msg_id, none, 0, IKE_PL_NONE, out, cap);
}
