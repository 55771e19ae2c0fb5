/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * What the profile and authorization policy of an IKE SA decide (ike_policy.c), two peers in
 * one process (our responder against tests/ike/initiator.c) with a fake clock: the pool the
 * address comes from (named by the policy, else the default), the group and profile in
 * "show sessions", ipsec_flow_limit (NO_ADDITIONAL_SAS for a CHILD_SA beyond it, rekeys
 * allowed), the session lifetime (the session is deleted when it ends), the profile's IKE SA
 * lifetime, DPD, NAT keepalive and proposals; the IKEv2 policies that choose the proposals
 * of IKE_SA_INIT (and IKE SA rekeys) by our local address.
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
#include "controlplane/ike/ike_sa.h"
#include "controlplane/ike/keyring.h"
#include "controlplane/mgmt/json.h"
#include "controlplane/policy/policy.h"
#include "controlplane/pool/pool_set.h"
#include "controlplane/util/sbuf.h"
#include "fake_dp.h"
#include "fixture.h"
#include "initiator.h"

static const struct ike_addr peer = FX_PEER4(500);
static const struct ike_addr local = FX_LOCAL4(500);

/* The keyring decides; the profile, policy and group are the test's (what ike_cert.c
 * fills in from pol_select()). */
struct pol_auth {
	struct ike_authenticator inner;
	const struct pol_profile *profile;
	const struct pol_authz *authz;
	const char *group;
};

static int pol_verify(void *arg, const struct ike_auth_query *q, struct ike_auth_result *res,
		      ike_auth_done_fn done, void *done_arg)
{
	struct pol_auth *a = arg;
	int rc = a->inner.verify(a->inner.arg, q, res, done, done_arg);

	assert_int_equal(rc, 0);
	if (!res->status) {
		res->profile = a->profile;
		res->authz = a->authz;
		res->group = a->group;
	}
	return 0;
}

struct fx {
	struct ike_resp *r;
	struct ini_rng_state rs;
	struct fx_wire w;
	struct fake_dp dp;
	struct ike_keyring *kr;
	struct pol_auth pa;
	struct ike_authenticator auth;
	struct pool_set *pools;
	struct pol_profile profile;
	struct pol_authz authz;
	struct ike_msg m;
	uint8_t req[4096];
	size_t req_len;
	uint64_t now;
	bool want_ip6;                 /**< IKE_AUTH asks for an IPv6 address too */
};

static bool wide_ike; /* fx_new(): the ike section allows AES-CBC-256 and ECP-256 too */

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ike_resp_cfg cfg = fx_resp_cfg();
	struct ike_rng rng = { ini_rng, &f->rs };
	struct ike_dp_ops ops = { fdp_send, fdp_cancel, &f->dp };
	struct pool_cfg d = { .name = "default", .af = 4, .first = { 10, 9, 0, 10 },
			      .last = { 10, 9, 0, 17 }, .netmask_plen = 32 };
	struct pool_cfg g = { .name = "green", .af = 4, .first = { 10, 9, 1, 10 },
			      .last = { 10, 9, 1, 17 }, .netmask_plen = 32 };
	struct pool_cfg d6 = { .name = "default", .af = 6, .plen = 120,
			       .first = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x10 } };
	struct pool_cfg g6 = { .name = "green", .af = 6, .plen = 120,
			       .first = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x11 } };
	char err[128];

	f->rs.s = 0x9011c7;
	cfg.integ[0] = 0; /* no integrity algorithm; IPv6 traffic selector 2001:db8:1::/48 too */
	if (wide_ike) { /* the IKEv2 policy tests: AES-CBC and ECP-256 too */
		cfg.encr[1] = IKE_ENCR_AES_CBC;
		cfg.encr_bits[1] = 256;
		cfg.integ[0] = IKE_INTEG_HMAC_SHA2_256_128;
		cfg.dh[1] = IKE_DH_ECP256;
	}
	cfg.local_ts[1] = (struct rp_prefix){ .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 }, .af = 6,
					      .plen = 48 };
	cfg.n_local_ts = 2;
	cfg.dpd_mode = 0; /* IKE_DPD_OFF: the profile's DPD must work without the ike section's */
	assert_int_equal(ike_resp_create(&cfg, &rng, fx_capture, &f->w, &f->r), 0);
	f->kr = fx_keyring();
	ike_keyring_authenticator(f->kr, &f->pa.inner);
	f->auth = (struct ike_authenticator){ pol_verify, NULL, &f->pa };
	ike_resp_set_auth(f->r, &f->auth);
	ike_resp_set_dp(f->r, &ops);
	f->pools = calloc(1, sizeof(*f->pools));
	assert_non_null(f->pools);
	assert_int_equal(pool_set_add(f->pools, &d, true, NULL, err, sizeof(err)), 0);
	assert_int_equal(pool_set_add(f->pools, &g, false, NULL, err, sizeof(err)), 0);
	assert_int_equal(pool_set_add(f->pools, &d6, true, NULL, err, sizeof(err)), 0);
	assert_int_equal(pool_set_add(f->pools, &g6, false, NULL, err, sizeof(err)), 0);
	ike_resp_set_pools(f->r, f->pools->def4, f->pools->def6);
	ike_resp_set_pool_set(f->r, f->pools);
	snprintf(f->profile.name, sizeof(f->profile.name), "certpro");
	snprintf(f->authz.name, sizeof(f->authz.name), "author-policy1");
	f->authz.flow_limit = -1;
	f->profile.authz = &f->authz;
	f->pa.profile = &f->profile;
	f->pa.authz = &f->authz;
	f->pa.group = "new_group";
	f->now = 1000;
	ike_resp_tick(f->r, f->now);
	return f;
}

static void fx_free(struct fx *f)
{
	ike_resp_destroy(f->r);
	pool_set_free(f->pools);
	ike_keyring_destroy(f->kr);
	free(f);
}

static unsigned used_af(const struct fx *f, uint8_t af, const char *name)
{
	uint32_t u, s;

	pool_usage(pool_set_find(f->pools, af, name), &u, &s);
	return u;
}

static unsigned used(const struct fx *f, const char *name)
{
	return used_af(f, 4, name);
}

static void tick_to(struct fx *f, uint64_t t)
{
	f->now = t;
	f->w.n = 0;
	ike_resp_tick(f->r, t);
}

static void send_req(struct fx *f)
{
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
}

/* IKE_SA_INIT, IKE_AUTH (the dataplane acknowledges); the IKE SA. @p want_err: the error
 * notify the IKE_AUTH response must carry instead (then NULL: the SA is gone). */
static struct ike_sa *establish_or(struct fx *f, struct ini *in, uint64_t seed,
				   uint16_t want_err)
{
	uint16_t dh[] = { IKE_DH_CURVE25519, 0 };
	struct ike_sa_pl *sa = calloc(1, sizeof(*sa));
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK, .ip6 = f->want_ip6 };
	struct ike_ts_pl ts;
	struct ike_sa *isa;

	if (f->want_ip6) { /* both families in TSi and TSr */
		ini_ts4(&ts, (uint8_t[]){ 0, 0, 0, 0 }, (uint8_t[]){ 255, 255, 255, 255 });
		ts.ts[1] = (struct ike_ts){ .type = IKE_TS_IPV6_RANGE, .eport = 0xffff };
		memset(ts.ts[1].end, 0xff, 16);
		ts.n = 2;
		o.tsi = o.tsr = &ts;
	}

	ini_init(in, seed, IKE_DH_CURVE25519);
	ini_proposal(sa, IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, dh);
	f->req_len = ini_build_init(in, sa, NULL, 0, f->req, sizeof(f->req));
	free(sa);
	send_req(f);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_init(in, f->w.buf, f->w.len, &f->m), 0);
	f->req_len = ini_build_auth(in, &o, f->req, sizeof(f->req));
	send_req(f);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_auth(in, f->w.buf, f->w.len, &f->m, PSK), want_err);
	isa = ike_resp_find(f->r, in->spi_i, in->spi_r);
	if (want_err) {
		assert_null(isa);
		return NULL;
	}
	assert_non_null(isa);
	assert_int_equal(ike_sa_state(isa), IKE_SA_ESTABLISHED);
	return isa;
}

static struct ike_sa *establish(struct fx *f, struct ini *in, uint64_t seed)
{
	return establish_or(f, in, seed, 0);
}

/* One CREATE_CHILD_SA for a new CHILD_SA (or a rekey of @p rekey_spi): its error notify. */
static int create_child(struct fx *f, struct ini *in, uint32_t rekey_spi)
{
	struct ini_cc cc = { .rekey_spi = rekey_spi };
	int rc;

	f->req_len = ini_build_create(in, &cc, f->req, sizeof(f->req));
	assert_true(f->req_len > 0);
	send_req(f);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	rc = ini_process_create(in, &cc, f->w.buf, f->w.len, &f->m, NULL);
	ini_cc_free(&cc);
	return rc;
}

struct info_cap {
	unsigned n;
	struct ike_sa_info last;
	char profile[64], group[64];
};

static void info_cb(const struct ike_sa_info *i, void *arg)
{
	struct info_cap *c = arg;

	c->n++;
	c->last = *i;
	snprintf(c->profile, sizeof(c->profile), "%s", i->profile ? i->profile : "(null)");
	snprintf(c->group, sizeof(c->group), "%s", i->group ? i->group : "(null)");
}

/* The policy names pool green: the address comes from it, and goes back to it. */
static void test_named_pool(void **state)
{
	struct fx *f = fx_new();
	struct info_cap ic = { 0 };
	struct ini in;

	(void)state;
	snprintf(f->authz.pool, sizeof(f->authz.pool), "green");
	establish(f, &in, 1);
	assert_memory_equal(in.addr4, ((uint8_t[]){ 10, 9, 1, 10 }), 4);
	assert_int_equal(used(f, "green"), 1);
	assert_int_equal(used(f, "default"), 0);
	ike_resp_foreach(f->r, info_cb, &ic);
	assert_int_equal(ic.n, 1);
	assert_string_equal(ic.profile, "certpro");
	assert_string_equal(ic.group, "new_group");
	assert_int_equal(ic.last.session_left_ms, 0);
	ini_free(&in);
	fx_free(f); /* the SA's lease goes back to green before the pools go: no leak under ASan */
}

/* Dual stack: ipv6_pool names the IPv6 pool, pool (absent here) leaves IPv4 to the default;
 * both leases go back to their own pools when the session ends. */
static void test_named_pool6(void **state)
{
	struct fx *f = fx_new();
	struct ini in;

	(void)state;
	f->want_ip6 = true;
	snprintf(f->authz.ipv6_pool, sizeof(f->authz.ipv6_pool), "green");
	f->authz.session_lifetime = 120;
	establish(f, &in, 14);
	assert_true(in.has_addr6);
	assert_memory_equal(in.addr6, ((uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0x11 }), 6);
	assert_memory_equal(in.addr4, ((uint8_t[]){ 10, 9, 0, 10 }), 4);
	assert_int_equal(used_af(f, 6, "green"), 1);
	assert_int_equal(used_af(f, 6, "default"), 0);
	assert_int_equal(used_af(f, 4, "default"), 1);
	tick_to(f, f->now + 120000); /* the session ends: both leases back */
	assert_int_equal(used_af(f, 6, "green") + used_af(f, 4, "default"), 0);
	ini_free(&in);
	fx_free(f);
}

/* No pool in the policy, or no policy at all: the default pool. */
static void test_default_pool(void **state)
{
	struct fx *f = fx_new();
	struct info_cap ic = { 0 };
	struct ini in, in2;

	(void)state;
	establish(f, &in, 2);
	assert_memory_equal(in.addr4, ((uint8_t[]){ 10, 9, 0, 10 }), 4);
	f->pa.profile = NULL;
	f->pa.authz = NULL;
	f->pa.group = NULL;
	establish(f, &in2, 3);
	assert_memory_equal(in2.addr4, ((uint8_t[]){ 10, 9, 0, 11 }), 4);
	assert_int_equal(used(f, "default"), 2);
	ike_resp_foreach(f->r, info_cb, &ic);
	assert_int_equal(ic.n, 2);
	ini_free(&in);
	ini_free(&in2);
	fx_free(f);
}

/* A pool name the configuration check would have refused: no address, logged. */
static void test_unknown_pool(void **state)
{
	struct fx *f = fx_new();
	struct ini in;

	(void)state;
	snprintf(f->authz.pool, sizeof(f->authz.pool), "nosuch");
	establish(f, &in, 4);
	assert_int_equal(in.child_err, IKE_N_INTERNAL_ADDRESS_FAILURE);
	assert_int_equal(used(f, "default") + used(f, "green"), 0);
	ini_free(&in);
	fx_free(f);
}

static void test_flow_limit(void **state)
{
	struct fx *f = fx_new();
	struct ini in;

	(void)state;
	f->authz.flow_limit = 2;
	establish(f, &in, 5);
	assert_int_equal(in.child_err, 0);
	assert_int_equal(create_child(f, &in, 0), 0);          /* the second: allowed */
	assert_int_equal(create_child(f, &in, 0), IKE_N_NO_ADDITIONAL_SAS); /* the third */
	assert_int_equal(create_child(f, &in, in.esp_spi), 0); /* a rekey adds no flow */
	ini_free(&in);
	fx_free(f);

	/* 0 allows no IPsec SA at all: IKE_AUTH's CHILD_SA is refused, the IKE SA stays */
	f = fx_new();
	f->authz.flow_limit = 0;
	establish(f, &in, 6);
	assert_int_equal(in.child_err, IKE_N_NO_ADDITIONAL_SAS);
	assert_int_equal(used(f, "default"), 0);
	ini_free(&in);
	fx_free(f);
}

/* The session lifetime ends the session: a Delete to the peer, the lease given back. */
static void test_session_lifetime(void **state)
{
	struct fx *f = fx_new();
	struct info_cap ic = { 0 };
	struct ike_msg m;
	struct ini in;

	(void)state;
	f->authz.session_lifetime = 120;
	snprintf(f->authz.pool, sizeof(f->authz.pool), "green");
	establish(f, &in, 7);
	ike_resp_foreach(f->r, info_cb, &ic);
	assert_int_equal(ic.last.session_left_ms, 120000);
	tick_to(f, f->now + 119999);
	assert_int_equal(f->w.n, 0);
	assert_int_equal(used(f, "green"), 1);
	tick_to(f, f->now + 1);
	assert_int_equal(f->w.n, 1); /* our Delete */
	assert_int_equal(ini_open_req(&in, f->w.buf, f->w.len, &m), 0);
	assert_non_null(ike_msg_find(&m, IKE_PL_DELETE, NULL));
	assert_int_equal(used(f, "green"), 0);
	ic.n = 0;
	ike_resp_foreach(f->r, info_cb, &ic);
	assert_true(ic.last.clearing);
	ini_free(&in);
	fx_free(f);
}

/* The profile's lifetime makes us rekey the IKE SA; its DPD sends liveness checks although
 * the ike section has DPD off. */
static void test_profile_lifetime_dpd(void **state)
{
	struct fx *f = fx_new();
	struct ike_msg m;
	struct ini in;
	uint64_t t0;

	(void)state;
	f->profile.has_lifetime = true;
	f->profile.lifetime = 300;
	f->profile.dpd_interval = 10;
	f->profile.dpd_retry = 2;
	f->profile.dpd_periodic = true;
	establish(f, &in, 8);
	t0 = f->now;
	tick_to(f, t0 + 9999);
	assert_int_equal(f->w.n, 0);
	tick_to(f, t0 + 10000); /* periodic DPD: an empty INFORMATIONAL */
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_open_req(&in, f->w.buf, f->w.len, &m), 0);
	assert_int_equal(f->w.buf[18], IKE_XCHG_INFORMATIONAL); /* header: exchange type */
	ini_free(&in);
	fx_free(f);

	f = fx_new();
	f->profile.has_lifetime = true;
	f->profile.lifetime = 300;
	establish(f, &in, 9);
	t0 = f->now;
	tick_to(f, t0 + 299999);
	assert_int_equal(f->w.n, 0);
	tick_to(f, t0 + 300000); /* the IKE SA rekey we start (ike.lifetime would be 86400) */
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_open_req(&in, f->w.buf, f->w.len, &m), 0);
	assert_int_equal(f->w.buf[18], IKE_XCHG_CREATE_CHILD_SA);
	ini_free(&in);
	fx_free(f);
}

/* The profile's proposals must allow the IKE SA's algorithms (AES-GCM-16 256, PRF SHA-256,
 * Curve25519 here), else the peer is refused at IKE_AUTH. */
static void test_proposals(void **state)
{
	static const struct ike_named_proposal props[] = {
		{ .name = "cbc-only", .encr = { IKE_ENCR_AES_CBC }, .encr_bits = { 256 } },
		{ .name = "gcm128", .encr = { IKE_ENCR_AES_GCM_16 }, .encr_bits = { 128 } },
		{ .name = "gcm256-x25519", .encr = { IKE_ENCR_AES_GCM_16 }, .encr_bits = { 256 },
		  .prf = { IKE_PRF_HMAC_SHA2_512, IKE_PRF_HMAC_SHA2_256 },
		  .integ = { IKE_INTEG_HMAC_SHA2_512_256 }, /* not used by an AEAD */
		  .dh = { IKE_DH_CURVE25519 } },
		{ .name = "ecp256", .dh = { IKE_DH_ECP256 } },
	};
	char *refused[] = { "cbc-only", "gcm128", "ecp256", "nosuch" };
	char *allowed[] = { "ecp256", "gcm256-x25519" };
	struct ike_resp_stats st;
	struct fx *f = fx_new();
	struct ini in;

	(void)state;
	ike_resp_set_proposals(f->r, props, 4);
	f->profile.proposals = refused;
	f->profile.n_proposals = 4;
	establish_or(f, &in, 10, IKE_N_AUTHENTICATION_FAILED);
	assert_int_equal(f->dp.n, 0);
	assert_int_equal(used(f, "default"), 0);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.auth_failed, 1);
	assert_int_equal(st.auth_ok, 0);
	ini_free(&in);
	f->profile.proposals = allowed;
	f->profile.n_proposals = 2;
	establish(f, &in, 11);
	ini_free(&in);
	f->profile.n_proposals = 0; /* none: any */
	establish(f, &in, 12);
	ini_free(&in);
	fx_free(f);
}

static void count_ka(void *arg, const struct ike_addr *l, const struct ike_addr *p)
{
	(void)l;
	assert_memory_equal(p->addr, peer.addr, 4);
	(*(unsigned *)arg)++;
}

/* NAT keepalives (we are behind a NAT) at the profile's interval, else the ike section's. */
static void test_nat_keepalive(void **state)
{
	struct fx *f = fx_new();
	unsigned n = 0;
	struct ini in;
	uint64_t t;

	(void)state;
	f->profile.nat_keepalive = 5;
	ini_init(&in, 13, IKE_DH_CURVE25519); /* by hand: establish() would reset the flag below */
	in.natd_dst_bogus = true;
	{
		uint16_t dh[] = { IKE_DH_CURVE25519, 0 };
		struct ike_sa_pl *sa = calloc(1, sizeof(*sa));
		struct ini_auth_opts o = { .id = CLIENT, .psk = PSK };

		ini_proposal(sa, IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, dh);
		f->req_len = ini_build_init(&in, sa, NULL, 0, f->req, sizeof(f->req));
		free(sa);
		send_req(f);
		assert_int_equal(ini_process_init(&in, f->w.buf, f->w.len, &f->m), 0);
		f->req_len = ini_build_auth(&in, &o, f->req, sizeof(f->req));
		send_req(f);
		fdp_complete(&f->dp, 0);
		assert_int_equal(ini_process_auth(&in, f->w.buf, f->w.len, &f->m, PSK), 0);
	}
	t = f->now + 100000;
	ike_resp_set_nat_keepalive(f->r, 20, count_ka, &n);
	ike_resp_tick(f->r, t);
	assert_int_equal(n, 1);
	ike_resp_tick(f->r, t + 4999);
	assert_int_equal(n, 1);
	ike_resp_tick(f->r, t + 5000);
	assert_int_equal(n, 2);
	ini_free(&in);
	fx_free(f);
}

/* IKE_SA_INIT from a client proposing @p sa (KE of @p ke) to our address @p to: 0 or the
 * error notify; the chosen suite in in->suite. */
static int sa_init_to(struct fx *f, struct ini *in, uint64_t seed, uint16_t ke,
		      const struct ike_sa_pl *sa, const struct ike_addr *to)
{
	ini_init(in, seed, ke);
	f->req_len = ini_build_init(in, sa, NULL, 0, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &peer, to);
	assert_int_equal(f->w.n, 1);
	return ini_process_init(in, f->w.buf, f->w.len, &f->m);
}

/* Two proposals in one SA payload: @p a then @p b (numbers 1 and 2). */
static void two_proposals(struct ike_sa_pl *out, const struct ike_sa_pl *a,
			  const struct ike_sa_pl *b)
{
	*out = *a;
	out->prop[1] = b->prop[0];
	out->prop[1].num = 2;
	out->prop[1].first = (uint16_t)a->n_xf;
	memcpy(&out->xf[a->n_xf], b->xf, b->n_xf * sizeof(b->xf[0]));
	out->n_xf = a->n_xf + b->n_xf;
	out->n_prop = 2;
}

/* IKEv2 policies (ike.policies, IOS crypto ikev2 policy): IKE_SA_INIT chooses from the
 * proposals of the policy of the local address (an explicit address before a policy
 * without addresses; none: the ike section's lists), and an IKE SA rekey keeps that policy.
 * The ike section alone would accept every request refused here. */
static void test_ikev2_policies(void **state)
{
	static const struct ike_named_proposal props[] = {
		{ .name = "gcm256", .encr = { IKE_ENCR_AES_GCM_16 }, .encr_bits = { 256 },
		  .dh = { IKE_DH_CURVE25519 } },
		{ .name = "cbc", .encr = { IKE_ENCR_AES_CBC }, .encr_bits = { 256 },
		  .integ = { IKE_INTEG_HMAC_SHA2_256_128 } },
		{ .name = "ecp256", .dh = { IKE_DH_ECP256 } }, /* ciphers, PRFs: the ike section's */
	};
	static const struct ike_policy pols[] = {
		{ .name = "any-local", .prop = { 1, 2 }, .n_prop = 2 },
		{ .name = "on-192.0.2.1", .prop = { 0 }, .n_prop = 1,
		  .local = { { .addr = { 192, 0, 2, 0 }, .af = 4, .plen = 30 } }, .n_local = 1 },
	};
	static const struct ike_addr other = { 4, { 192, 0, 2, 9 }, 500 };
	uint16_t x25519[] = { IKE_DH_CURVE25519, 0 }, ecp[] = { IKE_DH_ECP256, 0 };
	uint16_t both[] = { IKE_DH_ECP256, IKE_DH_CURVE25519, 0 };
	struct ike_sa_pl *cbc = calloc(1, sizeof(*cbc)), *gcm = calloc(1, sizeof(*gcm));
	struct ike_sa_pl *two = calloc(1, sizeof(*two));
	struct ini_cc cc = { .ike = true, .new_spi_i = 0x0a0b0c0d01020304ull,
			     .ke_group = IKE_DH_ECP256 };
	struct fx *f;
	struct ini in, nin;

	(void)state;
	wide_ike = true;
	f = fx_new();
	wide_ike = false;
	assert_true(cbc && gcm && two);
	ini_proposal(cbc, IKE_ENCR_AES_CBC, 256, IKE_PRF_HMAC_SHA2_256,
		     IKE_INTEG_HMAC_SHA2_256_128, x25519);
	/* without policies the ike section's lists decide: AES-CBC-256 is fine */
	assert_int_equal(sa_init_to(f, &in, 40, IKE_DH_CURVE25519, cbc, &local), 0);
	assert_int_equal(in.suite.encr, IKE_ENCR_AES_CBC);
	ini_free(&in);

	ike_resp_set_proposals(f->r, props, 3);
	ike_resp_set_policies(f->r, pols, 2);
	/* 192.0.2.1 is in on-192.0.2.1's prefix (which wins over any-local although it comes
	 * second): only gcm256 */
	assert_int_equal(sa_init_to(f, &in, 41, IKE_DH_CURVE25519, cbc, &local),
			 IKE_N_NO_PROPOSAL_CHOSEN);
	ini_free(&in);
	/* the peer's second proposal fits */
	ini_proposal(gcm, IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, both);
	two_proposals(two, cbc, gcm);
	assert_int_equal(sa_init_to(f, &in, 42, IKE_DH_CURVE25519, two, &local), 0);
	assert_int_equal(in.suite.encr, IKE_ENCR_AES_GCM_16);
	assert_int_equal(in.suite.dh, IKE_DH_CURVE25519);
	ini_free(&in);
	/* gcm256 restricts the DH group: a KE of ECP-256 is answered with INVALID_KE_PAYLOAD
	 * naming Curve25519, which the ike section alone would not have asked for */
	assert_int_equal(sa_init_to(f, &in, 43, IKE_DH_ECP256, gcm, &local),
			 IKE_N_INVALID_KE_PAYLOAD);
	assert_int_equal(ike_msg_notify(&f->m, IKE_N_INVALID_KE_PAYLOAD)->f.data.p[1],
			 IKE_DH_CURVE25519);
	ini_free(&in);
	/* another local address: any-local, i.e. cbc (any DH of the ike section) or ecp256
	 * (any cipher of the ike section) */
	assert_int_equal(sa_init_to(f, &in, 44, IKE_DH_CURVE25519, cbc, &other), 0);
	assert_int_equal(in.suite.encr, IKE_ENCR_AES_CBC);
	ini_free(&in);
	ini_proposal(gcm, IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, ecp);
	assert_int_equal(sa_init_to(f, &in, 45, IKE_DH_ECP256, gcm, &other), 0);
	assert_int_equal(in.suite.dh, IKE_DH_ECP256);
	ini_free(&in);
	ini_proposal(gcm, IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, x25519);
	assert_int_equal(sa_init_to(f, &in, 46, IKE_DH_CURVE25519, gcm, &other),
			 IKE_N_NO_PROPOSAL_CHOSEN);
	ini_free(&in);
	/* no policy for the address (on-192.0.2.1 alone): the ike section's lists again */
	ike_resp_set_policies(f->r, &pols[1], 1);
	assert_int_equal(sa_init_to(f, &in, 47, IKE_DH_CURVE25519, cbc, &other), 0);
	assert_int_equal(in.suite.encr, IKE_ENCR_AES_CBC);
	ini_free(&in);

	/* an IKE SA made under on-192.0.2.1 keeps its policy when the peer rekeys it: ECP-256
	 * (fine for the ike section) is refused, Curve25519 accepted */
	establish(f, &in, 48);
	f->req_len = ini_build_create(&in, &cc, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_create(&in, &cc, f->w.buf, f->w.len, &f->m, &nin),
			 IKE_N_NO_PROPOSAL_CHOSEN);
	ini_cc_free(&cc);
	cc = (struct ini_cc){ .ike = true, .new_spi_i = 0x0a0b0c0d01020305ull,
			      .ke_group = IKE_DH_CURVE25519 };
	f->req_len = ini_build_create(&in, &cc, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_create(&in, &cc, f->w.buf, f->w.len, &f->m, &nin), 0);
	assert_non_null(ike_resp_find(f->r, cc.new_spi_i, cc.new_spi_r));
	ini_cc_free(&cc);
	ini_free(&nin);
	ini_free(&in);
	free(cbc);
	free(gcm);
	free(two);
	fx_free(f);
}

#define PROPS "ike = { proposals = ( { name = \"a\"; encryption = \"aes256gcm16\"; },\n" \
	      "  { name = \"b\"; dh_groups = [ \"ecp384\", \"ecp256\" ]; } );\n"

/* @p text must be refused with @p msg (FILE:LINE: setting '...': ...). */
static void policy_conf_error(const char *text, const char *msg)
{
	struct ike_conf conf;
	struct rp_cfg c;

	if (!rp_cfg_load_string(&c, "t.conf", text, rp_conf_schema))
		assert_int_equal(ike_conf_parse(&c, rp_cfg_get(rp_cfg_root(&c), "ike"), &conf),
				 -EINVAL);
	if (!strstr(c.err, msg))
		fail_msg("expected \"%s\"\n     got \"%s\"", msg, c.err);
	rp_cfg_free(&c);
}

/* ike.policies: parsed into proposal indexes and prefixes; every mistake at its FILE:LINE. */
static void test_policy_conf(void **state)
{
	struct ike_conf conf;
	struct rp_cfg c;

	(void)state;
	assert_int_equal(rp_cfg_load_string(&c, "t.conf", PROPS
		"  policies = ( { name = \"p1\"; proposals = [ \"b\", \"a\" ];\n"
		"                 match_address_local = [ \"192.0.2.1\", \"2001:db8::/64\" ]; },\n"
		"               { name = \"rest\"; proposals = \"a\"; } ); };\n",
		rp_conf_schema), 0);
	assert_int_equal(ike_conf_parse(&c, rp_cfg_get(rp_cfg_root(&c), "ike"), &conf), 0);
	assert_int_equal(conf.n_policies, 2);
	assert_string_equal(conf.policies[0].name, "p1");
	assert_int_equal(conf.policies[0].n_prop, 2);
	assert_int_equal(conf.policies[0].prop[0], 1);
	assert_int_equal(conf.policies[0].prop[1], 0);
	assert_int_equal(conf.policies[0].n_local, 2);
	assert_int_equal(conf.policies[0].local[0].plen, 32);
	assert_int_equal(conf.policies[0].local[1].af, 6);
	assert_int_equal(conf.policies[0].local[1].plen, 64);
	assert_int_equal(conf.policies[1].n_local, 0);

	/* "show ike-policies": text and JSON; what a proposal leaves out is the ike section's */
	struct sbuf out;
	struct json_w jw;

	sbuf_init(&out, 1 << 16);
	assert_int_equal(ike_policies_show(conf.proposals, conf.n_proposals, conf.policies,
					   conf.n_policies, NULL, false, &out, NULL), 0);
	assert_string_equal(sbuf_str(&out),
			    "IKEv2 policy p1\n"
			    "  match address local 192.0.2.1/32\n"
			    "  match address local 2001:db8::/64\n"
			    "  proposal b\n"
			    "    encryption   ike.encryption\n"
			    "    prf          ike.prf\n"
			    "    integrity    ike.integrity\n"
			    "    dh groups    ECP384 ECP256\n"
			    "  proposal a\n"
			    "    encryption   AES_GCM_16-256\n"
			    "    prf          ike.prf\n"
			    "    integrity    ike.integrity\n"
			    "    dh groups    ike.dh_groups\n"
			    "\n"
			    "IKEv2 policy rest\n"
			    "  match address local any\n"
			    "  proposal a\n"
			    "    encryption   AES_GCM_16-256\n"
			    "    prf          ike.prf\n"
			    "    integrity    ike.integrity\n"
			    "    dh groups    ike.dh_groups\n"
			    "\n"
			    "Addresses no policy matches: the ike section's algorithms (default policy)\n");
	sbuf_reset(&out);
	json_init(&jw, &out, false);
	assert_int_equal(ike_policies_show(conf.proposals, conf.n_proposals, conf.policies,
					   conf.n_policies, "rest", true, &out, &jw), 0);
	assert_int_equal(json_finish(&jw), 0);
	assert_string_equal(sbuf_str(&out),
			    "{\"policies\":[{\"name\":\"rest\",\"match_address_local\":[],"
			    "\"proposals\":[{\"name\":\"a\",\"encryption\":[\"AES_GCM_16-256\"],"
			    "\"prf\":null,\"integrity\":null,\"dh_groups\":null}]}]}\n");
	sbuf_reset(&out);
	assert_int_equal(ike_policies_show(conf.proposals, conf.n_proposals, conf.policies,
					   conf.n_policies, "nope", false, &out, NULL), -ENOENT);
	sbuf_free(&out);
	ike_conf_free(&conf);
	rp_cfg_free(&c);

	policy_conf_error(PROPS "  policies = ( { name = \"p\"; proposals = [ \"a\", \"c\" ]; } ); };",
			  "t.conf:3: setting 'ike.policies.[0].proposals.[1]': unknown IKE proposal "
			  "'c' (proposals are defined in ike.proposals)");
	policy_conf_error(PROPS "  policies = ( { name = \"p\"; proposals = [ \"a\", \"a\" ]; } ); };",
			  "t.conf:3: setting 'ike.policies.[0].proposals.[1]': proposal 'a' is named "
			  "twice");
	policy_conf_error(PROPS "  policies = ( { name = \"p\"; proposals = [ ]; } ); };",
			  "t.conf:3: setting 'ike.policies.[0].proposals': expected 1..16 proposals");
	policy_conf_error(PROPS "  policies = ( { name = \"p\"; } ); };",
			  "t.conf:3: setting 'ike.policies.[0]': required setting 'proposals' is "
			  "missing");
	policy_conf_error(PROPS "  policies = ( { name = \"p\"; proposals = \"a\";\n"
			  "  match_address_local = [ \"192.0.2.1/24\" ]; } ); };",
			  "t.conf:4: setting 'ike.policies.[0].match_address_local.[0]': not an "
			  "address or a prefix \"ADDR/LEN\" without host bits");
	policy_conf_error(PROPS "  policies = ( { name = \"p\"; proposals = \"a\"; },\n"
			  "  { name = \"p\"; proposals = \"b\"; } ); };",
			  "t.conf:4: setting 'ike.policies.[1].name': policy 'p' is already defined");
	policy_conf_error(PROPS "  policies = ( { name = \"p\"; proposals = \"a\"; },\n"
			  "  { name = \"q\"; proposals = \"b\"; } ); };",
			  "policy 'q' has no match_address_local, like policy 'p': only one policy "
			  "may match every address");
	policy_conf_error(PROPS "  policies = ( { name = \"p\"; proposals = \"a\";\n"
			  "    match_address_local = \"192.0.2.1\"; },\n"
			  "  { name = \"q\"; proposals = \"b\"; match_address_local = \"192.0.2.1\"; } ); };",
			  "t.conf:5: setting 'ike.policies.[1].match_address_local': 192.0.2.1 is "
			  "already matched by policy 'p'");
	policy_conf_error(PROPS "  policies = ( { name = \"p\"; proposals = \"a\"; vrf = 1; } ); };",
			  "t.conf:3: setting 'ike.policies.[0].vrf'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_named_pool),
		cmocka_unit_test(test_named_pool6),
		cmocka_unit_test(test_default_pool),
		cmocka_unit_test(test_unknown_pool),
		cmocka_unit_test(test_flow_limit),
		cmocka_unit_test(test_session_lifetime),
		cmocka_unit_test(test_profile_lifetime_dpd),
		cmocka_unit_test(test_proposals),
		cmocka_unit_test(test_nat_keepalive),
		cmocka_unit_test(test_ikev2_policies),
		cmocka_unit_test(test_policy_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
