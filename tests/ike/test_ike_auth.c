/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Two IKE peers in one process, past IKE_SA_INIT: IKE_AUTH with a PSK, config mode and a
 * CHILD_SA (our responder against tests/ike/initiator.c), with a fake dataplane that records
 * what rampartd would send to rampart-dp and acknowledges it when the test says so, and
 * INFORMATIONAL exchanges (Delete, liveness), message IDs and retransmissions.
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
#include "controlplane/ike/ike_priv.h" /* ike_addr_holder(), the SA's leases */
#include "controlplane/ike/ike_sa.h"
#include "controlplane/ike/keyring.h"
#include "controlplane/pool/pool.h"
#include "fake_dp.h" /* the dataplane these tests drive */
#include "fixture.h"
#include "initiator.h"

/* fx_resp_cfg() with the IKE_SA_INIT suites of fx_all_suites, but Curve25519, ECP-256 and
 * MODP-2048 only. */
static struct ike_resp_cfg auth_cfg(void)
{
	struct ike_resp_cfg c = fx_resp_cfg();

	memcpy(c.encr, fx_all_suites.encr, sizeof(c.encr));
	memcpy(c.encr_bits, fx_all_suites.encr_bits, sizeof(c.encr_bits));
	memcpy(c.prf, fx_all_suites.prf, sizeof(c.prf));
	memcpy(c.integ, fx_all_suites.integ, sizeof(c.integ));
	c.dh[1] = IKE_DH_ECP256;
	c.dh[2] = IKE_DH_MODP2048;
	return c;
}

/* ---- an asynchronous authenticator over the keyring -------------------------------------- */

struct slow_auth {
	struct ike_authenticator inner;
	bool pending;
	struct ike_auth_result res;
	ike_auth_done_fn done;
	void *done_arg;
};

static int slow_verify(void *arg, const struct ike_auth_query *q, struct ike_auth_result *res,
		       ike_auth_done_fn done, void *done_arg)
{
	struct slow_auth *s = arg;

	(void)res;
	assert_false(s->pending);
	/* decide now (the query is only valid during the call), answer later */
	assert_int_equal(s->inner.verify(s->inner.arg, q, &s->res, NULL, NULL), 0);
	s->pending = true;
	s->done = done;
	s->done_arg = done_arg;
	return 1;
}

static void slow_cancel(void *arg, void *done_arg)
{
	struct slow_auth *s = arg;

	if (s->pending && s->done_arg == done_arg)
		s->pending = false;
}

static void slow_finish(struct slow_auth *s)
{
	assert_true(s->pending);
	s->pending = false;
	s->done(s->done_arg, &s->res);
}

/* ---- fixture ------------------------------------------------------------------------------ */

static const struct ike_addr peer = FX_PEER4(500);
static const struct ike_addr local = FX_LOCAL4(500);

struct fx {
	struct ike_resp *r;
	struct ini_rng_state rs;
	struct fx_wire w;
	struct fake_dp dp;
	struct ike_keyring *kr;
	struct ike_authenticator auth;
	struct slow_auth slow;
	struct pool *pool4;
	struct ike_msg m;
	uint8_t req[4096];
	size_t req_len;
};

/* The responder with @p cfg (NULL: auth_cfg()), a pool of @p pool_size, @p slow answers. */
static struct fx *fx_new_cfg(const struct ike_resp_cfg *cfg, unsigned pool_size, bool slow)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ike_resp_cfg def = auth_cfg();
	struct ike_rng rng = { ini_rng, &f->rs };
	struct ike_dp_ops ops = { fdp_send, fdp_cancel, &f->dp };
	struct pool_cfg pc = { .name = "clients", .af = 4, .first = { 10, 9, 0, 10 },
			       .dns = { { 10, 1, 0, 53 }, { 10, 1, 0, 54 } }, .n_dns = 2,
			       .netmask_plen = 32 };

	pc.last[0] = 10, pc.last[1] = 9, pc.last[2] = (uint8_t)((10 + pool_size - 1) >> 8);
	pc.last[3] = (uint8_t)(10 + pool_size - 1);
	f->rs.s = 0x5eed;
	assert_int_equal(ike_resp_create(cfg ? cfg : &def, &rng, fx_capture, &f->w, &f->r), 0);
	f->kr = fx_keyring();
	assert_int_equal(ike_keyring_add(f->kr, IKE_ID_FQDN, "bob@example.test", 16, "other",
					 5), 0);
	ike_keyring_authenticator(f->kr, &f->auth);
	if (slow) {
		f->slow.inner = f->auth;
		f->auth = (struct ike_authenticator){ slow_verify, slow_cancel, &f->slow };
	}
	ike_resp_set_auth(f->r, &f->auth);
	ike_resp_set_dp(f->r, &ops);
	assert_int_equal(pool_create(&pc, &f->pool4), 0);
	ike_resp_set_pools(f->r, f->pool4, NULL);
	return f;
}

static struct fx *fx_new(void)
{
	return fx_new_cfg(NULL, 8, false);
}

static void fx_free(struct fx *f)
{
	ike_resp_destroy(f->r);
	pool_destroy(f->pool4);
	ike_keyring_destroy(f->kr);
	free(f);
}

static unsigned pool_used(const struct fx *f)
{
	uint32_t used, size;

	pool_usage(f->pool4, &used, &size);
	return used;
}

/* IKE_SA_INIT between @p in and the responder. */
static void do_init(struct fx *f, struct ini *in, uint64_t seed, uint16_t encr, uint16_t bits,
		    uint16_t integ)
{
	uint16_t dh[] = { IKE_DH_CURVE25519, 0 };
	struct ike_sa_pl *sa = calloc(1, sizeof(*sa));
	size_t len;

	ini_init(in, seed, IKE_DH_CURVE25519);
	ini_proposal(sa, encr, bits, IKE_PRF_HMAC_SHA2_256, integ, dh);
	len = ini_build_init(in, sa, NULL, 0, f->req, sizeof(f->req));
	assert_true(len > 0);
	f->w.n = 0;
	ike_resp_input(f->r, f->req, len, &peer, &local);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_init(in, f->w.buf, f->w.len, &f->m), 0);
	free(sa);
}

static void send_req(struct fx *f, const struct ike_addr *from)
{
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, from ? from : &peer, &local);
}

/* A full session: INIT, AUTH, dataplane acknowledges; returns the IKE SA. */
static struct ike_sa *establish(struct fx *f, struct ini *in, uint64_t seed,
				const struct ini_auth_opts *o)
{
	struct ini_auth_opts def = { .id = CLIENT, .psk = PSK };
	struct ike_sa *sa;

	do_init(f, in, seed, IKE_ENCR_AES_GCM_16, 256, 0);
	f->req_len = ini_build_auth(in, o ? o : &def, f->req, sizeof(f->req));
	assert_true(f->req_len > 0);
	send_req(f, NULL);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_auth(in, f->w.buf, f->w.len, &f->m, o ? o->psk : PSK), 0);
	sa = ike_resp_find(f->r, in->spi_i, in->spi_r);
	assert_non_null(sa);
	assert_int_equal(ike_sa_state(sa), IKE_SA_ESTABLISHED);
	return sa;
}

/* ---- tests -------------------------------------------------------------------------------- */

/* The whole thing with several ESP suites: keys equal on both sides, the address assigned,
 * TSi narrowed to it, the response held back until the dataplane has installed the SAs. */
static void check_success(uint16_t encr, uint16_t bits, uint16_t integ, bool esn,
			  uint8_t cipher, uint8_t rp_integ)
{
	struct fx *f = fx_new();
	struct ike_sa_pl esp;
	struct ini in;
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK, .n_ip4 = 3, .nm4 = true,
				   .dns4 = true, .sub4 = true, .esp = &esp };
	const struct rp_msg *sin, *sout, *rt;
	struct fx_info ic = { 0 };
	struct ike_sa *sa;
	size_t kl;

	do_init(f, &in, 1234 + encr + bits + integ, IKE_ENCR_AES_CBC, 128,
		IKE_INTEG_HMAC_SHA2_256_128);
	ini_esp_proposal(&esp, in.esp_spi, encr, bits, integ, esn, !esn);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	/* SA_ADD in, SA_ADD out, ROUTE_ADD sent; nothing answered yet */
	assert_int_equal(f->w.n, 0);
	assert_int_equal(f->dp.n, 3);
	sa = ike_resp_find(f->r, in.spi_i, in.spi_r);
	assert_int_equal(ike_sa_state(sa), IKE_SA_INIT_DONE);
	assert_int_equal(fdp_complete(&f->dp, 0), 3);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_auth(&in, f->w.buf, f->w.len, &f->m, PSK), 0);
	assert_int_equal(in.child_err, 0);
	assert_int_equal(ike_sa_state(sa), IKE_SA_ESTABLISHED);
	/* config mode: one address however many asked for, netmask, both DNS, our subnet */
	assert_int_equal(in.n_addr4, 1);
	assert_memory_equal(in.addr4, ((uint8_t[]){ 10, 9, 0, 10 }), 4);
	assert_memory_equal(in.netmask, ((uint8_t[]){ 255, 255, 255, 255 }), 4);
	assert_int_equal(in.n_dns4, 2);
	assert_int_equal(in.n_sub4, 1);
	assert_int_equal(pool_used(f), 1);
	/* §2.9: TSi narrowed to the address, TSr to our side */
	assert_int_equal(in.tsi.n, 1);
	assert_memory_equal(in.tsi.ts[0].start, in.addr4, 4);
	assert_memory_equal(in.tsi.ts[0].end, in.addr4, 4);
	assert_int_equal(in.tsr.n, 1);
	assert_memory_equal(in.tsr.ts[0].start, ((uint8_t[]){ 10, 1, 0, 0 }), 4);
	assert_memory_equal(in.tsr.ts[0].end, ((uint8_t[]){ 10, 1, 255, 255 }), 4);
	assert_int_equal(in.esp.encr, encr);
	assert_int_equal(in.esp.esn, esn);
	/* the dataplane records (already checked by rp_msg_validate in fdp_send) */
	sin = fdp_find(&f->dp, RP_MSG_SA_ADD, 0, 0);
	sout = fdp_find(&f->dp, RP_MSG_SA_ADD, 0, 1);
	rt = fdp_find(&f->dp, RP_MSG_ROUTE_ADD, 0, 0);
	assert_int_equal(sin->u.sa.dir, RP_DIR_IN);
	assert_int_equal(sout->u.sa.dir, RP_DIR_OUT);
	assert_int_equal(ntohl(sin->u.sa.spi), in.peer_esp_spi);
	assert_int_equal(ntohl(sout->u.sa.spi), in.esp_spi);
	assert_int_equal(sin->u.sa.cipher, cipher);
	assert_int_equal(sin->u.sa.integ, rp_integ);
	assert_int_equal(!!(sin->u.sa.flags & RP_SAF_ESN), esn);
	assert_int_equal(sin->u.sa.flags & RP_SAF_NATT, 0);
	kl = sin->u.sa.enc_key_len;
	/* §2.17: initiator->responder keys for our inbound SA, the others for outbound */
	assert_memory_equal(sin->u.sa.enc_key, in.ck.ei, kl);
	assert_memory_equal(sin->u.sa.salt, in.ck.ei + kl, sin->u.sa.salt_len);
	assert_memory_equal(sin->u.sa.auth_key, in.ck.ai, sin->u.sa.auth_key_len);
	assert_memory_equal(sout->u.sa.enc_key, in.ck.er, kl);
	assert_memory_equal(sout->u.sa.salt, in.ck.er + kl, sout->u.sa.salt_len);
	assert_memory_equal(sout->u.sa.auth_key, in.ck.ar, sout->u.sa.auth_key_len);
	assert_int_equal(sin->u.sa.paired_sa_id, sout->u.sa.sa_id);
	assert_int_equal(sin->u.sa.n_ts, 1);
	assert_memory_equal(sin->u.sa.ts[0].addr, in.addr4, 4);
	assert_int_equal(sin->u.sa.ts[0].plen, 32);
	assert_memory_equal(sin->u.sa.local, local.addr, 4);
	assert_memory_equal(sin->u.sa.remote, peer.addr, 4);
	assert_memory_equal(rt->u.route.prefix.addr, in.addr4, 4);
	assert_int_equal(rt->u.route.prefix.plen, 32);
	assert_int_equal(rt->u.route.sa_id, sout->u.sa.sa_id);
	/* what "show sessions" gets */
	ike_resp_foreach(f->r, fx_info_cb, &ic);
	assert_int_equal(ic.n, 1);
	assert_string_equal(ic.last.peer_id, CLIENT);
	assert_string_equal(ic.last.local_id, "vpn.example.test");
	assert_true(ic.last.has_child && ic.last.has_addr4);
	assert_int_equal(ic.last.spi_out, in.esp_spi);
	ini_free(&in);
	fx_free(f);
}

static void test_auth_success(void **state)
{
	(void)state;
	check_success(IKE_ENCR_AES_GCM_16, 128, 0, false, RP_CIPHER_AES_GCM_128, RP_INTEG_NONE);
	check_success(IKE_ENCR_AES_GCM_16, 256, 0, true, RP_CIPHER_AES_GCM_256, RP_INTEG_NONE);
	check_success(IKE_ENCR_CHACHA20_POLY1305, 0, 0, false, RP_CIPHER_CHACHA20_POLY1305,
		      RP_INTEG_NONE);
	check_success(IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, false,
		      RP_CIPHER_AES_CBC_128, RP_INTEG_HMAC_SHA256_128);
	check_success(IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_384_192, true,
		      RP_CIPHER_AES_CBC_256, RP_INTEG_HMAC_SHA384_192);
	check_success(IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256, false,
		      RP_CIPHER_AES_CBC_256, RP_INTEG_HMAC_SHA512_256);
}

static void test_wrong_psk(void **state)
{
	struct fx *f = fx_new();
	struct ini_auth_opts o = { .id = CLIENT, .psk = "not the key" };
	struct ike_resp_stats st;
	struct ini in;

	(void)state;
	do_init(f, &in, 77, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_auth(&in, f->w.buf, f->w.len, &f->m, PSK),
			 IKE_N_AUTHENTICATION_FAILED);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	assert_int_equal(f->dp.n, 0);
	assert_int_equal(pool_used(f), 0);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.auth_failed, 1);
	assert_int_equal(st.sas, 0);
	ini_free(&in);
	/* an unknown identity fails the same way */
	o = (struct ini_auth_opts){ .id = "mallory@example.test", .psk = PSK };
	do_init(f, &in, 78, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(ini_process_auth(&in, f->w.buf, f->w.len, &f->m, PSK),
			 IKE_N_AUTHENTICATION_FAILED);
	ini_free(&in);
	fx_free(f);
}

static void test_pool_exhausted(void **state)
{
	struct fx *f = fx_new_cfg(NULL, 1, false);
	struct ini a, b;
	struct ike_sa *sa;
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK };

	(void)state;
	establish(f, &a, 100, NULL);
	assert_int_equal(pool_used(f), 1);
	do_init(f, &b, 101, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&b, &o, f->req, sizeof(f->req));
	f->dp.n = 0;
	send_req(f, NULL);
	/* no CHILD_SA, nothing for the dataplane; the IKE SA exists (§1.2) */
	assert_int_equal(f->w.n, 1);
	assert_int_equal(f->dp.n, 0);
	assert_int_equal(ini_process_auth(&b, f->w.buf, f->w.len, &f->m, PSK), 0);
	assert_int_equal(b.child_err, IKE_N_INTERNAL_ADDRESS_FAILURE);
	assert_null(ike_msg_find(&f->m, IKE_PL_SA, NULL));
	sa = ike_resp_find(f->r, b.spi_i, b.spi_r);
	assert_int_equal(ike_sa_state(sa), IKE_SA_ESTABLISHED);
	assert_int_equal(pool_used(f), 1);
	ini_free(&a);
	ini_free(&b);
	fx_free(f);
}

static void test_ts_unacceptable(void **state)
{
	struct fx *f = fx_new();
	struct ike_ts_pl tsi, tsr;
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK, .tsi = &tsi };
	struct ini in;

	(void)state;
	/* the client wants its own address in 172.16/12: the pool's is not in it */
	ini_ts4(&tsi, (uint8_t[]){ 172, 16, 0, 0 }, (uint8_t[]){ 172, 31, 255, 255 });
	do_init(f, &in, 200, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(ini_process_auth(&in, f->w.buf, f->w.len, &f->m, PSK), 0);
	assert_int_equal(in.child_err, IKE_N_TS_UNACCEPTABLE);
	assert_int_equal(pool_used(f), 0);
	assert_int_equal(f->dp.n, 0);
	ini_free(&in);
	/* TSr outside our side (10.1/16) */
	ini_ts4(&tsr, (uint8_t[]){ 192, 168, 0, 0 }, (uint8_t[]){ 192, 168, 255, 255 });
	o.tsi = NULL;
	o.tsr = &tsr;
	do_init(f, &in, 201, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(ini_process_auth(&in, f->w.buf, f->w.len, &f->m, PSK), 0);
	assert_int_equal(in.child_err, IKE_N_TS_UNACCEPTABLE);
	assert_int_equal(pool_used(f), 0);
	ini_free(&in);
	fx_free(f);
}

static void test_no_esp_proposal_and_no_cp(void **state)
{
	struct fx *f = fx_new();
	struct ike_sa_pl esp;
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK, .esp = &esp };
	struct ini in;

	(void)state;
	do_init(f, &in, 300, IKE_ENCR_AES_GCM_16, 128, 0);
	/* AES-CBC-192 is not ours */
	ini_esp_proposal(&esp, in.esp_spi, IKE_ENCR_AES_CBC, 192, IKE_INTEG_HMAC_SHA2_256_128,
			 false, true);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(ini_process_auth(&in, f->w.buf, f->w.len, &f->m, PSK), 0);
	assert_int_equal(in.child_err, IKE_N_NO_PROPOSAL_CHOSEN);
	ini_free(&in);
	o = (struct ini_auth_opts){ .id = CLIENT, .psk = PSK, .no_cp = true };
	do_init(f, &in, 301, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(ini_process_auth(&in, f->w.buf, f->w.len, &f->m, PSK), 0);
	assert_int_equal(in.child_err, IKE_N_FAILED_CP_REQUIRED);
	assert_int_equal(pool_used(f), 0);
	ini_free(&in);
	fx_free(f);
}

/* Delete of the IKE SA: empty answer, both SAs and the route removed, the lease freed. */
static void test_delete_ike(void **state)
{
	struct fx *f = fx_new();
	struct ike_resp_stats st;
	unsigned mark;
	struct ini in;

	(void)state;
	establish(f, &in, 400, NULL);
	assert_int_equal(pool_used(f), 1);
	mark = f->dp.n;
	f->req_len = ini_build_info(&in, IKE_PROTO_IKE, 0, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_open(&in, f->w.buf, f->w.len, &f->m), 0);
	assert_int_equal(f->m.n, 0);
	assert_int_equal(f->m.hdr.exchange, IKE_XCHG_INFORMATIONAL);
	assert_int_equal(f->m.hdr.msg_id, 2);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, mark), 2);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_ROUTE_DEL, mark), 1);
	assert_int_equal(pool_used(f), 0);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 0);
	ini_free(&in);
	fx_free(f);
}

static void test_delete_child_and_liveness(void **state)
{
	struct fx *f = fx_new();
	struct ike_resp_stats st;
	const struct ike_pl *d;
	uint8_t first[4096], old[4096];
	size_t flen, olen;
	unsigned mark;
	struct ike_sa *sa;
	struct ini in;
	uint32_t spi;

	(void)state;
	sa = establish(f, &in, 500, NULL);
	/* liveness check (msg 2) */
	f->req_len = ini_build_info(&in, 0, 0, f->req, sizeof(f->req));
	memcpy(old, f->req, f->req_len);
	olen = f->req_len;
	send_req(f, NULL);
	assert_int_equal(ini_open(&in, f->w.buf, f->w.len, &f->m), 0);
	assert_int_equal(f->m.n, 0);
	memcpy(first, f->w.buf, f->w.len);
	flen = f->w.len;
	/* retransmitted: the same bytes again */
	send_req(f, NULL);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(f->w.len, flen);
	assert_memory_equal(f->w.buf, first, flen);
	/* Delete of the CHILD_SA (msg 3) */
	mark = f->dp.n;
	f->req_len = ini_build_info(&in, IKE_PROTO_ESP, in.esp_spi, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(ini_open(&in, f->w.buf, f->w.len, &f->m), 0);
	d = ike_msg_find(&f->m, IKE_PL_DELETE, NULL);
	assert_non_null(d);
	assert_int_equal(d->f.u8a, IKE_PROTO_ESP);
	spi = (uint32_t)d->f.spi.p[0] << 24 | (uint32_t)d->f.spi.p[1] << 16 |
	      (uint32_t)d->f.spi.p[2] << 8 | d->f.spi.p[3];
	assert_int_equal(spi, in.peer_esp_spi);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, mark), 2);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_ROUTE_DEL, mark), 1);
	assert_int_equal(ike_sa_state(sa), IKE_SA_ESTABLISHED);
	/* an old request (msg 2, no longer the last one) and a future one (msg 9): dropped */
	memcpy(f->req, old, olen);
	f->req_len = olen;
	send_req(f, NULL);
	assert_int_equal(f->w.n, 0);
	in.msg_id = 9;
	f->req_len = ini_build_info(&in, 0, 0, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(f->w.n, 0);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.bad_msg_id, 2);
	/* a flipped bit: does not verify, dropped */
	in.msg_id = 4;
	f->req_len = ini_build_info(&in, 0, 0, f->req, sizeof(f->req));
	f->req[f->req_len - 3] ^= 1;
	send_req(f, NULL);
	assert_int_equal(f->w.n, 0);
	f->req[f->req_len - 3] ^= 1;
	send_req(f, NULL);
	assert_int_equal(f->w.n, 1);
	ini_free(&in);
	fx_free(f);
}

/* Retransmitted IKE_AUTH: ignored while we work on it, the cached bytes once answered. */
static void test_auth_retransmit(void **state)
{
	struct fx *f = fx_new();
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK };
	struct ike_resp_stats st;
	uint8_t first[4096];
	size_t flen;
	struct ini in;

	(void)state;
	do_init(f, &in, 600, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(f->w.n, 0);
	send_req(f, NULL); /* while the dataplane installs */
	assert_int_equal(f->w.n, 0);
	assert_int_equal(f->dp.n, 3);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	memcpy(first, f->w.buf, f->w.len);
	flen = f->w.len;
	send_req(f, NULL);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(f->w.len, flen);
	assert_memory_equal(f->w.buf, first, flen);
	assert_int_equal(f->dp.n, 3); /* nothing installed twice */
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.in_progress, 1);
	assert_int_equal(st.retransmits, 1);
	assert_int_equal(pool_used(f), 1);
	ini_free(&in);
	fx_free(f);
}

/* The dataplane refuses: error notify, the address back in the pool, SAs removed. */
static void test_dp_failure(void **state)
{
	struct fx *f = fx_new();
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK };
	struct ini in;

	(void)state;
	do_init(f, &in, 700, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(pool_used(f), 1);
	fdp_complete(&f->dp, -ENOSPC);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_auth(&in, f->w.buf, f->w.len, &f->m, PSK), 0);
	assert_int_equal(in.child_err, IKE_N_NO_PROPOSAL_CHOSEN);
	assert_int_equal(pool_used(f), 0);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, 0), 2);
	ini_free(&in);
	/* no dataplane at all (send fails at once) */
	f->dp.refuse = -ENOTCONN;
	do_init(f, &in, 701, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_auth(&in, f->w.buf, f->w.len, &f->m, PSK), 0);
	assert_int_equal(in.child_err, IKE_N_NO_PROPOSAL_CHOSEN);
	assert_int_equal(pool_used(f), 0);
	ini_free(&in);
	fx_free(f);
}

/* The authenticator answers later; the IKE SA going away meanwhile cancels it. */
static void test_async_auth(void **state)
{
	struct fx *f = fx_new_cfg(NULL, 8, true);
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK };
	struct ini in;

	(void)state;
	do_init(f, &in, 800, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(f->w.n, 0);
	assert_int_equal(f->dp.n, 0);
	assert_true(f->slow.pending);
	slow_finish(&f->slow);
	assert_int_equal(f->w.n, 0);
	assert_int_equal(f->dp.n, 3);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_auth(&in, f->w.buf, f->w.len, &f->m, PSK), 0);
	assert_int_equal(in.child_err, 0);
	ini_free(&in);
	/* wrong key, answered later */
	o.psk = "nope";
	do_init(f, &in, 801, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	slow_finish(&f->slow);
	assert_int_equal(ini_process_auth(&in, f->w.buf, f->w.len, &f->m, PSK),
			 IKE_N_AUTHENTICATION_FAILED);
	ini_free(&in);
	/* destroyed while pending: cancelled, no callback afterwards */
	o.psk = PSK;
	do_init(f, &in, 802, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_true(f->slow.pending);
	ini_free(&in);
	ike_resp_destroy(f->r);
	f->r = NULL;
	assert_false(f->slow.pending);
	fx_free(f);
}

/* Destroyed while the dataplane installs: its requests are cancelled and the SAs removed. */
static void test_destroy_while_installing(void **state)
{
	struct fx *f = fx_new();
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK };
	struct ini in;

	(void)state;
	do_init(f, &in, 900, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(f->dp.n, 3);
	ike_resp_destroy(f->r);
	f->r = NULL;
	assert_int_equal(f->dp.cancelled, 3);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, 0), 2);
	assert_int_equal(fdp_complete(&f->dp, 0), 0);
	assert_int_equal(pool_used(f), 0);
	ini_free(&in);
	fx_free(f);
}

/* INITIAL_CONTACT: the identity's older IKE SA goes, with its lease. */
static void test_initial_contact(void **state)
{
	struct fx *f = fx_new();
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK, .initial_contact = true };
	struct ike_resp_stats st;
	struct ini a, b, c;

	(void)state;
	establish(f, &a, 1000, NULL);
	establish(f, &c, 1001, &(struct ini_auth_opts){ .id = "bob@example.test",
							 .psk = "other" });
	assert_int_equal(pool_used(f), 2);
	establish(f, &b, 1002, &o);
	assert_null(ike_resp_find(f->r, a.spi_i, a.spi_r));
	assert_non_null(ike_resp_find(f->r, b.spi_i, b.spi_r));
	assert_non_null(ike_resp_find(f->r, c.spi_i, c.spi_r));
	assert_int_equal(pool_used(f), 2);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 2);
	ini_free(&a);
	ini_free(&b);
	ini_free(&c);
	fx_free(f);
}

/* INITIAL_CONTACT looks the identity up in an index that grows past its first 256 buckets:
 * among 300 sessions of other identities it deletes exactly the one of its own. The index of
 * held addresses (ike_addr_holder()) grows likewise: each session's address names it, and
 * no other, until it goes. */
static void test_initial_contact_many(void **state)
{
	enum { N = 300 };
	struct fx *f = fx_new_cfg(NULL, N + 8, false);
	struct ini_auth_opts o = { .psk = "other" };
	struct ike_resp_stats st;
	static struct ini in[N];
	struct ini a, b, c;
	struct ike_sa *sa;
	uint8_t a_addr[4];
	char id[N][32];

	(void)state;
	for (unsigned i = 0; i < N; i++) {
		snprintf(id[i], sizeof(id[i]), "user%u@example.test", i);
		assert_int_equal(ike_keyring_add(f->kr, IKE_ID_FQDN, id[i], strlen(id[i]), "other",
						 5), 0);
		o.id = id[i];
		establish(f, &in[i], 3000 + i, &o);
		if (i == N / 2)
			establish(f, &a, 2999, NULL);
	}
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, N + 1);
	sa = ike_resp_find(f->r, a.spi_i, a.spi_r);
	assert_true(sa && sa->lease4.held);
	memcpy(a_addr, sa->lease4.addr, 4);
	for (unsigned i = 0; i < N; i++) {
		sa = ike_resp_find(f->r, in[i].spi_i, in[i].spi_r);
		assert_true(sa && sa->lease4.held);
		assert_ptr_equal(ike_addr_holder(f->r, 4, sa->lease4.addr, NULL), sa);
		assert_null(ike_addr_holder(f->r, 4, sa->lease4.addr, sa));
		assert_null(ike_addr_holder(f->r, 6, (uint8_t[16]){ 0 }, NULL));
	}
	establish(f, &b, 4000, &(struct ini_auth_opts){ .id = CLIENT, .psk = PSK,
						    .initial_contact = true });
	assert_null(ike_resp_find(f->r, a.spi_i, a.spi_r));
	sa = ike_addr_holder(f->r, 4, a_addr, NULL); /* a's address went back; b may have it */
	assert_true(!sa || sa == ike_resp_find(f->r, b.spi_i, b.spi_r));
	assert_non_null(ike_resp_find(f->r, b.spi_i, b.spi_r));
	for (unsigned i = 0; i < N; i++)
		assert_non_null(ike_resp_find(f->r, in[i].spi_i, in[i].spi_r));
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, N + 1);
	/* one of the 300 reconnects: only its old session goes */
	o.id = id[7];
	o.initial_contact = true;
	sa = ike_resp_find(f->r, in[7].spi_i, in[7].spi_r);
	memcpy(a_addr, sa->lease4.addr, 4);
	establish(f, &c, 4001, &o);
	assert_null(ike_resp_find(f->r, in[7].spi_i, in[7].spi_r));
	sa = ike_addr_holder(f->r, 4, a_addr, NULL);
	assert_true(!sa || sa == ike_resp_find(f->r, c.spi_i, c.spi_r));
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, N + 1);
	for (unsigned i = 0; i < N; i++)
		ini_free(&in[i]);
	ini_free(&a);
	ini_free(&b);
	ini_free(&c);
	fx_free(f);
}

/* NAT-T: a peer on UDP 4500 gets UDP-encapsulated SAs with the ports. */
static void test_natt(void **state)
{
	struct fx *f = fx_new();
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK };
	struct ike_addr p4500 = peer, l4500 = local;
	const struct rp_msg *sin;
	struct ini in;

	(void)state;
	p4500.port = 4500;
	l4500.port = 4500;
	do_init(f, &in, 1100, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &p4500, &l4500);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(f->w.to.port, 4500);
	sin = fdp_find(&f->dp, RP_MSG_SA_ADD, 0, 0);
	assert_true(sin->u.sa.flags & RP_SAF_NATT);
	assert_int_equal(sin->u.sa.natt_sport, 4500);
	assert_int_equal(sin->u.sa.natt_dport, 4500);
	ini_free(&in);
	fx_free(f);
}

/* RFC 7383: IKE_AUTH in three SKF fragments, out of order and with a duplicate; the first
 * fragment retransmitted after the answer gets the cached answer. */
static void test_fragments(void **state)
{
	struct fx *f = fx_new();
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK, .dns4 = true, .nm4 = true };
	static uint8_t frags[3 * INI_FRAG_CAP];
	uint8_t inner[4096], first, answer[4096];
	size_t il, lens[3], alen;
	struct ini in;
	static const unsigned order[] = { 0, 2, 0 };

	(void)state;
	do_init(f, &in, 1200, IKE_ENCR_AES_GCM_16, 256, 0);
	il = ini_build_auth_inner(&in, &o, inner, sizeof(inner), &first);
	assert_true(il > 0);
	assert_int_equal(ini_seal_frags(&in, IKE_XCHG_IKE_AUTH, 1, inner, il, first, 3, frags,
					lens), 0);
	for (unsigned i = 0; i < 3; i++) {
		memcpy(f->req, frags + order[i] * INI_FRAG_CAP, lens[order[i]]);
		f->req_len = lens[order[i]];
		send_req(f, NULL);
		assert_int_equal(f->w.n, 0);
		assert_int_equal(f->dp.n, 0);
	}
	/* a fragment whose ICV does not verify is dropped, the reassembly goes on */
	memcpy(f->req, frags + INI_FRAG_CAP, lens[1]);
	f->req[lens[1] - 1] ^= 1;
	f->req_len = lens[1];
	send_req(f, NULL);
	assert_int_equal(f->dp.n, 0);
	f->req[lens[1] - 1] ^= 1;
	send_req(f, NULL);
	assert_int_equal(f->dp.n, 3);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_auth(&in, f->w.buf, f->w.len, &f->m, PSK), 0);
	assert_int_equal(in.child_err, 0);
	assert_int_equal(in.n_dns4, 2);
	memcpy(answer, f->w.buf, f->w.len);
	alen = f->w.len;
	memcpy(f->req, frags, lens[0]);
	f->req_len = lens[0];
	send_req(f, NULL);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(f->w.len, alen);
	assert_memory_equal(f->w.buf, answer, alen);
	ini_free(&in);
	fx_free(f);
}

/* IPv4 and IPv6 addresses: both in CFG_REPLY, both selectors narrowed, both routes. */
static void test_dual_stack(void **state)
{
	struct ike_resp_cfg cfg = auth_cfg();
	struct fx *f;
	struct pool_cfg pc6 = { .name = "v6", .af = 6,
				.first = { 0x20, 0x01, 0x0d, 0xb8, 0, 9 }, .plen = 112,
				.dns = { { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x53 } }, .n_dns = 1 };
	struct ike_ts_pl tsi, tsr;
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK, .ip6 = true, .tsi = &tsi,
				   .tsr = &tsr };
	const struct rp_msg *sin, *r6;
	struct pool *p6;
	struct ini in;

	(void)state;
	cfg.local_ts[1] = (struct rp_prefix){ .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 }, .af = 6,
					      .plen = 48 };
	cfg.n_local_ts = 2;
	f = fx_new_cfg(&cfg, 8, false);
	assert_int_equal(pool_create(&pc6, &p6), 0);
	ike_resp_set_pools(f->r, f->pool4, p6);
	ini_ts4(&tsi, (uint8_t[]){ 0, 0, 0, 0 }, (uint8_t[]){ 255, 255, 255, 255 });
	tsi.ts[1] = (struct ike_ts){ .type = IKE_TS_IPV6_RANGE, .eport = 0xffff };
	memset(tsi.ts[1].end, 0xff, 16);
	tsi.n = 2;
	tsr = tsi;
	do_init(f, &in, 1400, IKE_ENCR_AES_GCM_16, 128, 0);
	f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(f->dp.n, 4); /* SA_ADD x2, ROUTE_ADD x2 */
	fdp_complete(&f->dp, 0);
	assert_int_equal(ini_process_auth(&in, f->w.buf, f->w.len, &f->m, PSK), 0);
	assert_int_equal(in.child_err, 0);
	assert_int_equal(in.n_addr4, 1);
	assert_true(in.has_addr6);
	assert_memory_equal(in.addr6, ((uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, 0, 9, [15] = 1 }),
			    16);
	assert_int_equal(in.tsi.n, 2);
	assert_memory_equal(in.tsi.ts[1].start, in.addr6, 16);
	assert_memory_equal(in.tsi.ts[1].end, in.addr6, 16);
	assert_int_equal(in.tsr.n, 2); /* 10.1/16 and 2001:db8:1::/48 */
	sin = fdp_find(&f->dp, RP_MSG_SA_ADD, 0, 0);
	assert_int_equal(sin->u.sa.n_ts, 2);
	assert_int_equal(sin->u.sa.ts[1].plen, 128);
	r6 = fdp_find(&f->dp, RP_MSG_ROUTE_ADD, 0, 1);
	assert_int_equal(r6->u.route.prefix.af, 6);
	assert_memory_equal(r6->u.route.prefix.addr, in.addr6, 16);
	/* delete: both leases back */
	f->req_len = ini_build_info(&in, IKE_PROTO_IKE, 0, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_ROUTE_DEL, 0), 2);
	{
		uint32_t used, size;

		pool_usage(p6, &used, &size);
		assert_int_equal(used, 0);
	}
	assert_int_equal(pool_used(f), 0);
	ini_free(&in);
	fx_free(f);
	pool_destroy(p6);
}

/* Half-open SAs expire 30 s after IKE_SA_INIT unless busy with IKE_AUTH; established ones
 * stay. */
static void test_half_open_expiry(void **state)
{
	struct fx *f = fx_new_cfg(NULL, 8, true);
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK };
	struct ike_resp_stats st;
	struct ini a, b, c;

	(void)state;
	ike_resp_tick(f->r, 1000);
	do_init(f, &a, 1500, IKE_ENCR_AES_GCM_16, 128, 0); /* stays half-open */
	do_init(f, &b, 1501, IKE_ENCR_AES_GCM_16, 128, 0); /* authenticating when it expires */
	f->req_len = ini_build_auth(&b, &o, f->req, sizeof(f->req));
	send_req(f, NULL);
	assert_true(f->slow.pending);
	ike_resp_tick(f->r, 2000);
	do_init(f, &c, 1502, IKE_ENCR_AES_GCM_16, 128, 0); /* made later */
	ike_resp_tick(f->r, 30999);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.half_open, 3);
	ike_resp_tick(f->r, 31000);
	assert_null(ike_resp_find(f->r, a.spi_i, a.spi_r));
	assert_non_null(ike_resp_find(f->r, b.spi_i, b.spi_r));
	assert_non_null(ike_resp_find(f->r, c.spi_i, c.spi_r));
	/* b finishes and is established: no longer subject to the timeout */
	slow_finish(&f->slow);
	fdp_complete(&f->dp, 0);
	assert_int_equal(ini_process_auth(&b, f->w.buf, f->w.len, &f->m, PSK), 0);
	ike_resp_tick(f->r, 100000);
	assert_non_null(ike_resp_find(f->r, b.spi_i, b.spi_r));
	assert_null(ike_resp_find(f->r, c.spi_i, c.spi_r));
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.half_open, 0);
	assert_int_equal(st.half_open_expired, 2);
	assert_int_equal(st.sas, 1);
	ini_free(&a);
	ini_free(&b);
	ini_free(&c);
	fx_free(f);
}

/* An empty CREATE_CHILD_SA request: answered INVALID_SYNTAX, not ignored (the exchange
 * itself is tested in test_ike_rekey.c). */
static void test_create_child_refused(void **state)
{
	struct fx *f = fx_new();
	const struct ike_pl *n;
	struct ini in;

	(void)state;
	establish(f, &in, 1300, NULL);
	f->req_len = ini_seal(&in, IKE_XCHG_CREATE_CHILD_SA, in.msg_id++, NULL, 0, 0, f->req,
			      sizeof(f->req));
	send_req(f, NULL);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_open(&in, f->w.buf, f->w.len, &f->m), 0);
	n = ike_msg_notify(&f->m, IKE_N_INVALID_SYNTAX);
	assert_non_null(n);
	ini_free(&in);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_success),
		cmocka_unit_test(test_wrong_psk),
		cmocka_unit_test(test_pool_exhausted),
		cmocka_unit_test(test_ts_unacceptable),
		cmocka_unit_test(test_no_esp_proposal_and_no_cp),
		cmocka_unit_test(test_delete_ike),
		cmocka_unit_test(test_delete_child_and_liveness),
		cmocka_unit_test(test_auth_retransmit),
		cmocka_unit_test(test_dp_failure),
		cmocka_unit_test(test_async_auth),
		cmocka_unit_test(test_destroy_while_installing),
		cmocka_unit_test(test_initial_contact),
		cmocka_unit_test(test_initial_contact_many),
		cmocka_unit_test(test_natt),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_create_child_refused),
		cmocka_unit_test(test_dual_stack),
		cmocka_unit_test(test_half_open_expiry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
