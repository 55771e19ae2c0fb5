/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Config mode through the responder (our responder against tests/ike/initiator.c): the
 * CFG_REPLY built from the profile's authorization policy, gated by the Vendor IDs of
 * IKE_SA_INIT or IKE_AUTH; TSr narrowed to the route set; config-exchange set accept
 * (CFG_SET answered with CFG_ACK) and set send (CFG_SET pushed when no CFG_REQUEST came). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controlplane/ike/ike_cfg.h"
#include "controlplane/ike/ike_sa.h"
#include "controlplane/ike/keyring.h"
#include "controlplane/policy/policy.h"
#include "controlplane/pool/pool.h"
#include "fake_dp.h"
#include "fixture.h"
#include "initiator.h"

static const struct ike_addr peer = FX_PEER4(500);
static const struct ike_addr local = FX_LOCAL4(500);

/* The keyring decides; the result carries the profile and its authorization policy, as the
 * policy authenticator (ike_cert.c) does. */
struct pauth {
	struct ike_authenticator inner;
	const struct pol_profile *profile;
};

static int pauth_verify(void *arg, const struct ike_auth_query *q, struct ike_auth_result *res,
			ike_auth_done_fn done, void *done_arg)
{
	struct pauth *p = arg;
	int rc = p->inner.verify(p->inner.arg, q, res, done, done_arg);

	assert_int_equal(rc, 0);
	if (!res->status && p->profile) {
		res->profile = p->profile;
		res->authz = p->profile->authz;
		res->group = p->profile->authz ? p->profile->authz->name : NULL;
	}
	return rc;
}

struct fx {
	struct ike_resp *r;
	struct ini_rng_state rs;
	struct fx_wire w;
	struct fake_dp dp;
	struct ike_keyring *kr;
	struct pauth pa;
	struct ike_authenticator auth;
	struct pool *pool4;
	struct pol_authz az;
	struct pol_acl acl;
	struct pol_prefix acl_v[2];
	struct pol_profile prof;
	struct ike_msg m;
	uint8_t req[8192];
	size_t req_len;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ike_resp_cfg cfg = fx_resp_cfg();
	struct ike_rng rng = { ini_rng, &f->rs };
	struct ike_dp_ops ops = { fdp_send, fdp_cancel, &f->dp };
	struct pool_cfg pc = { .name = "clients", .af = 4, .first = { 10, 9, 0, 10 },
			       .last = { 10, 9, 0, 20 }, .dns = { { 10, 1, 0, 53 } }, .n_dns = 1 };

	f->rs.s = 0xc0f1;
	cfg.integ[0] = 0; /* no integrity algorithm */
	assert_int_equal(ike_resp_create(&cfg, &rng, fx_capture, &f->w, &f->r), 0);
	f->kr = fx_keyring();
	ike_keyring_authenticator(f->kr, &f->pa.inner);
	f->auth = (struct ike_authenticator){ pauth_verify, NULL, &f->pa };
	ike_resp_set_auth(f->r, &f->auth);
	ike_resp_set_dp(f->r, &ops);
	assert_int_equal(pool_create(&pc, &f->pool4), 0);
	ike_resp_set_pools(f->r, f->pool4, NULL);

	/* authorization policy "split": route set 10.20.0.0/16 and 10.30.1.0/24 (not
	 * local_subnets' 10.1.0.0/16), its own DNS, a banner and a FlexVPN URL */
	snprintf(f->az.name, sizeof(f->az.name), "split");
	f->az.flow_limit = -1;
	f->az.n_dns = 1;
	f->az.dns[0][0] = 10, f->az.dns[0][1] = 20, f->az.dns[0][3] = 53;
	f->acl_v[0] = (struct pol_prefix){ .af = 4, .plen = 16, .addr = { 10, 20 } };
	f->acl_v[1] = (struct pol_prefix){ .af = 4, .plen = 24, .addr = { 10, 30, 1 } };
	f->acl = (struct pol_acl){ .name = "split4", .af = 4, .n = 2, .v = f->acl_v };
	f->az.route_acl = &f->acl;
	f->az.banner = (char *)"hello";
	f->az.config_url = (char *)"http://10.20.0.8/c";
	snprintf(f->prof.name, sizeof(f->prof.name), "p");
	f->prof.authz = &f->az;
	f->prof.cfg_set_send = true;
	f->prof.cfg_set_accept = true;
	f->pa.profile = &f->prof;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ike_resp_destroy(f->r);
	pool_destroy(f->pool4);
	ike_keyring_destroy(f->kr);
	free(f);
	return 0;
}

/* IKE_SA_INIT (with @p vid, may be NULL) and IKE_AUTH with @p o; the response in f->m.
 * @return the number of dataplane messages acknowledged. */
static unsigned run(struct fx *f, struct ini *in, const char *vid, struct ini_auth_opts *o)
{
	uint16_t dh[] = { IKE_DH_CURVE25519, 0 };
	struct ike_sa_pl *sa = calloc(1, sizeof(*sa));
	static uint64_t seed = 77;
	unsigned n;
	size_t len;

	ini_init(in, seed++, IKE_DH_CURVE25519);
	in->vid = vid;
	in->vid_len = vid ? strlen(vid) : 0;
	ini_proposal(sa, IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, dh);
	len = ini_build_init(in, sa, NULL, 0, f->req, sizeof(f->req));
	free(sa);
	assert_true(len > 0);
	f->w.n = 0;
	ike_resp_input(f->r, f->req, len, &peer, &local);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_init(in, f->w.buf, f->w.len, &f->m), 0);
	o->id = CLIENT;
	o->psk = PSK;
	f->req_len = ini_build_auth(in, o, f->req, sizeof(f->req));
	assert_true(f->req_len > 0);
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
	n = fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_auth(in, f->w.buf, f->w.len, &f->m, PSK), 0);
	return n;
}

static const struct ike_cfg_at *cp_find(const struct ike_msg *m, uint16_t type)
{
	if (!ike_msg_find(m, IKE_PL_CP, NULL))
		return NULL;
	for (unsigned i = 0; i < m->cp.n; i++)
		if (m->cp.attr[i].type == type)
			return &m->cp.attr[i];
	return NULL;
}

static unsigned cp_count(const struct ike_msg *m, uint16_t type)
{
	unsigned n = 0;

	for (unsigned i = 0; ike_msg_find(m, IKE_PL_CP, NULL) && i < m->cp.n; i++)
		n += m->cp.attr[i].type == type;
	return n;
}

/* FlexVPN vendor ID in IKE_SA_INIT: the policy's attributes, Unity and FlexVPN included; TSr
 * narrowed to the route set. */
static void test_reply_flexvpn(void **state)
{
	struct fx *f = *state;
	struct ini in;
	struct ini_auth_opts o = { .n_ip4 = 2 };
	const struct ike_cfg_at *a;

	assert_int_equal(run(f, &in, "FLEXVPN-SUPPORTED", &o), 3);
	assert_int_equal(in.child_err, 0);
	assert_int_equal(f->m.cp.cfg_type, IKE_CFG_REPLY);
	assert_int_equal(in.n_addr4, 1);
	a = cp_find(&f->m, IKE_CFG_INTERNAL_IP4_DNS);
	assert_non_null(a);
	assert_memory_equal(a->value.p, ((uint8_t[]){ 10, 20, 0, 53 }), 4); /* not the pool's */
	assert_int_equal(cp_count(&f->m, IKE_CFG_INTERNAL_IP4_SUBNET), 2);
	assert_null(cp_find(&f->m, IKE_CFG_INTERNAL_IP4_NETMASK)); /* none configured */
	a = cp_find(&f->m, IKE_CFG_UNITY_BANNER);
	assert_non_null(a);
	assert_int_equal(a->value.len, 5);
	assert_memory_equal(a->value.p, "hello", 5);
	assert_non_null(cp_find(&f->m, IKE_CFG_FLEXVPN_CONFIG_URL));
	assert_non_null(cp_find(&f->m, IKE_CFG_APPLICATION_VERSION));
	/* TSr: the route set, not local_subnets */
	assert_int_equal(in.tsr.n, 2);
	assert_memory_equal(in.tsr.ts[0].start, ((uint8_t[]){ 10, 20, 0, 0 }), 4);
	assert_memory_equal(in.tsr.ts[0].end, ((uint8_t[]){ 10, 20, 255, 255 }), 4);
	assert_memory_equal(in.tsr.ts[1].start, ((uint8_t[]){ 10, 30, 1, 0 }), 4);
	assert_memory_equal(in.tsr.ts[1].end, ((uint8_t[]){ 10, 30, 1, 255 }), 4);
	ini_free(&in);
}

/* No vendor ID: the standard attributes only. A Cisco vendor ID in IKE_AUTH counts too. */
static void test_reply_gating(void **state)
{
	struct fx *f = *state;
	struct ini in;
	struct ini_auth_opts o = { 0 };
	static const char copyright[] = "CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc.";

	run(f, &in, NULL, &o);
	assert_int_equal(f->m.cp.cfg_type, IKE_CFG_REPLY);
	assert_int_equal(cp_count(&f->m, IKE_CFG_INTERNAL_IP4_SUBNET), 2);
	assert_null(cp_find(&f->m, IKE_CFG_UNITY_BANNER));
	assert_null(cp_find(&f->m, IKE_CFG_APPLICATION_VERSION));
	assert_null(cp_find(&f->m, IKE_CFG_FLEXVPN_CONFIG_URL));
	ini_free(&in);

	o = (struct ini_auth_opts){ .vid = copyright, .vid_len = strlen(copyright) };
	run(f, &in, NULL, &o);
	assert_non_null(cp_find(&f->m, IKE_CFG_UNITY_BANNER));
	assert_non_null(cp_find(&f->m, IKE_CFG_APPLICATION_VERSION));
	assert_null(cp_find(&f->m, IKE_CFG_FLEXVPN_CONFIG_URL)); /* not a FlexVPN client */
	ini_free(&in);
}

/* config-exchange set accept: the peer's CFG_SET is acknowledged (CFG_ACK, empty values);
 * off: no CP payload in the response. The CHILD_SA needs a CFG_REQUEST either way. */
static void test_set_accept(void **state)
{
	struct fx *f = *state;
	static const uint8_t sub[8] = { 172, 16, 0, 0, 255, 255, 0, 0 };
	const struct ike_cfg_at attrs[] = {
		{ IKE_CFG_INTERNAL_IP4_SUBNET, { sub, 8 } },
		{ IKE_CFG_INTERNAL_IP4_DNS, { sub, 2 } }, /* malformed: not acknowledged */
	};
	struct ini in;
	struct ini_auth_opts o = { .cp_type = IKE_CFG_SET, .cp_attrs = attrs, .n_cp_attrs = 2 };
	const struct ike_cfg_at *a;

	assert_int_equal(run(f, &in, NULL, &o), 0);
	assert_int_equal(in.child_err, IKE_N_FAILED_CP_REQUIRED);
	assert_non_null(ike_msg_find(&f->m, IKE_PL_CP, NULL));
	assert_int_equal(f->m.cp.cfg_type, IKE_CFG_ACK);
	assert_int_equal(f->m.cp.n, 1);
	a = cp_find(&f->m, IKE_CFG_INTERNAL_IP4_SUBNET);
	assert_non_null(a);
	assert_int_equal(a->value.len, 0);
	ini_free(&in);

	f->prof.cfg_set_accept = false;
	run(f, &in, NULL, &o);
	assert_null(ike_msg_find(&f->m, IKE_PL_CP, NULL));
	ini_free(&in);
	f->prof.cfg_set_accept = true;
}

/* config-exchange set send: no CFG_REQUEST, so the policy's attributes go out in a CFG_SET
 * (no address); off, or without a profile: nothing. */
static void test_set_send(void **state)
{
	struct fx *f = *state;
	struct ini in;
	struct ini_auth_opts o = { .no_cp = true };

	run(f, &in, "FLEXVPN-SUPPORTED", &o);
	assert_int_equal(in.child_err, IKE_N_FAILED_CP_REQUIRED);
	assert_non_null(ike_msg_find(&f->m, IKE_PL_CP, NULL));
	assert_int_equal(f->m.cp.cfg_type, IKE_CFG_SET);
	assert_null(cp_find(&f->m, IKE_CFG_INTERNAL_IP4_ADDRESS));
	assert_int_equal(cp_count(&f->m, IKE_CFG_INTERNAL_IP4_SUBNET), 2);
	assert_non_null(cp_find(&f->m, IKE_CFG_INTERNAL_IP4_DNS));
	assert_non_null(cp_find(&f->m, IKE_CFG_UNITY_BANNER));
	ini_free(&in);

	f->prof.cfg_set_send = false;
	run(f, &in, NULL, &o);
	assert_null(ike_msg_find(&f->m, IKE_PL_CP, NULL));
	ini_free(&in);
	f->prof.cfg_set_send = true;

	f->pa.profile = NULL; /* the ike section's PSK peers: as before, no push */
	run(f, &in, NULL, &o);
	assert_null(ike_msg_find(&f->m, IKE_PL_CP, NULL));
	ini_free(&in);
	f->pa.profile = &f->prof;
}

/* A CFG_SET in an INFORMATIONAL exchange (RFC 7296 §3.15) is acknowledged too; with
 * set_accept off the answer is empty. */
static void test_set_informational(void **state)
{
	struct fx *f = *state;
	static const uint8_t sub[17] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x99, [16] = 48 };
	struct ike_cp_pl cp = { .cfg_type = IKE_CFG_SET, .n = 1,
				.attr = { { IKE_CFG_INTERNAL_IP6_SUBNET, { sub, 17 } } } };
	struct ini in;
	struct ini_auth_opts o = { 0 };
	uint8_t inner[256];
	struct ike_bld b;
	size_t il;

	run(f, &in, NULL, &o);
	assert_int_equal(in.child_err, 0);
	for (int accept = 1; accept >= 0; accept--) {
		f->prof.cfg_set_accept = accept;
		ike_bld_init_chain(&b, inner, sizeof(inner));
		assert_true(ike_bld_cp(&b, &cp));
		il = ike_bld_finish(&b);
		f->req_len = ini_seal(&in, IKE_XCHG_INFORMATIONAL, in.msg_id++, inner, il,
				      ike_bld_first(&b), f->req, sizeof(f->req));
		assert_true(f->req_len > 0);
		f->w.n = 0;
		ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
		assert_int_equal(f->w.n, 1);
		assert_int_equal(ini_open(&in, f->w.buf, f->w.len, &f->m), 0);
		if (accept) {
			assert_int_equal(f->m.n, 1);
			assert_int_equal(f->m.cp.cfg_type, IKE_CFG_ACK);
			assert_int_equal(f->m.cp.n, 1);
			assert_int_equal(f->m.cp.attr[0].type, IKE_CFG_INTERNAL_IP6_SUBNET);
			assert_int_equal(f->m.cp.attr[0].value.len, 0);
		} else {
			assert_int_equal(f->m.n, 0);
		}
	}
	f->prof.cfg_set_accept = true;
	ini_free(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reply_flexvpn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_gating, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_accept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_informational, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
