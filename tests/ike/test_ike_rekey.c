/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Two IKE peers in one process past IKE_AUTH: CREATE_CHILD_SA (new CHILD_SA with and without
 * PFS, CHILD_SA rekey make-before-break, IKE SA rekey), its refusals, retransmissions, and
 * the requests the responder itself sends (ike_req.h): message IDs, window, retransmission
 * with backoff and give-up. Our responder against tests/ike/initiator.c, with a fake
 * dataplane that records what rampartd would send to rampart-dp.
 *
 * Every test runs twice: with the Diffie-Hellman inline (no worker pool) and on a real
 * worker pool (controlplane/util/workpool.h), the test playing the event loop: after each
 * input it delivers the workers' completions (fx_pump()). The randomness is deterministic
 * and drawn on the loop either way, so the two runs must send the same bytes and install
 * the same keys: each test's transcript digest is compared. Further tests wait on purpose
 * while a job is pending (retransmissions, the SA or the responder going away meanwhile).
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
#include <openssl/evp.h>
#include <poll.h>
#include <stdatomic.h>
#include <unistd.h>

#include "common/msg.h"
#include "controlplane/ike/ike_priv.h"
#include "controlplane/ike/ike_req.h"
#include "controlplane/ike/keyring.h"
#include "controlplane/pool/pool.h"
#include "controlplane/util/workpool.h"
#include "fake_dp.h" /* the dataplane these tests drive */
#include "fixture.h"
#include "initiator.h"

/* ---- what the responder sends ------------------------------------------------------------ */

struct wire {
	unsigned n;
	uint8_t buf[4096];
	size_t len;
	EVP_MD_CTX *log;               /**< digest of everything sent (the transcript) */
};

static void capture(void *arg, const uint8_t *buf, size_t len, const struct ike_addr *from,
		    const struct ike_addr *to)
{
	struct wire *w = arg;

	(void)from;
	(void)to;
	assert_true(len <= sizeof(w->buf));
	memcpy(w->buf, buf, len);
	w->len = len;
	w->n++;
	assert_int_equal(EVP_DigestUpdate(w->log, buf, len), 1);
}

/* ---- the two runs ---------------------------------------------------------------------- */

static unsigned g_threads;         /**< 0: inline; else a worker pool of that many threads */
static bool g_compare;             /**< each transcript must equal the inline run's */
static unsigned g_queue = 64;      /**< the pool's max_pending */

/* Transcripts of the inline run, by the seed of the test's first session. */
static struct {
	uint64_t seed;
	uint8_t md[32];
} g_digests[64];
static unsigned g_n_digests;

/* ---- fixture ------------------------------------------------------------------------------ */

static const struct ike_addr peer = FX_PEER4(500);
static const struct ike_addr local = FX_LOCAL4(500);

struct fx {
	struct ike_resp *r;
	struct workpool *wp;
	uint64_t seed;                 /**< of the first session (the transcript's key) */
	bool hold;                     /**< fx_input()/fx_tick() leave completions pending */
	struct ini_rng_state rs;
	struct wire w;
	struct fake_dp dp;
	struct ike_keyring *kr;
	struct ike_authenticator auth;
	struct pool *pool4;
	struct ike_msg m;
	uint8_t req[4096];
	size_t req_len;
	uint64_t now;
};

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ike_resp_cfg cfg = fx_resp_cfg();
	struct ike_rng rng = { ini_rng, &f->rs };
	struct ike_dp_ops ops = { fdp_send, fdp_cancel, &f->dp };
	struct pool_cfg pc = { .name = "clients", .af = 4, .first = { 10, 9, 0, 10 },
			       .last = { 10, 9, 0, 17 }, .netmask_plen = 32 };

	/* more proposals: AES-GCM-16 128, AES-CBC 128, PRF HMAC-SHA2-384, ECP-256, MODP-2048 */
	cfg.encr[1] = IKE_ENCR_AES_GCM_16, cfg.encr_bits[1] = 128;
	cfg.encr[2] = IKE_ENCR_AES_CBC, cfg.encr_bits[2] = 128;
	cfg.prf[1] = IKE_PRF_HMAC_SHA2_384;
	cfg.dh[1] = IKE_DH_ECP256, cfg.dh[2] = IKE_DH_MODP2048;
	f->rs.s = 0x5eed;
	f->w.log = EVP_MD_CTX_new();
	assert_non_null(f->w.log);
	assert_int_equal(EVP_DigestInit_ex(f->w.log, EVP_sha256(), NULL), 1);
	assert_int_equal(ike_resp_create(&cfg, &rng, capture, &f->w, &f->r), 0);
	if (g_threads) {
		assert_int_equal(wp_create(g_threads, g_queue, &f->wp), 0);
		ike_resp_set_workpool(f->r, f->wp);
	}
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

/* The keys the dataplane got, into the transcript. */
static void digest_dp(struct fx *f)
{
	for (unsigned i = 0; i < f->dp.n && i < FDP_MAX; i++) {
		const struct rp_msg *m = &f->dp.q[i].msg;

		EVP_DigestUpdate(f->w.log, &m->hdr.type, sizeof(m->hdr.type));
		if (m->hdr.type != RP_MSG_SA_ADD)
			continue;
		EVP_DigestUpdate(f->w.log, &m->u.sa.spi, sizeof(m->u.sa.spi));
		EVP_DigestUpdate(f->w.log, m->u.sa.enc_key, m->u.sa.enc_key_len);
		EVP_DigestUpdate(f->w.log, m->u.sa.salt, m->u.sa.salt_len);
		EVP_DigestUpdate(f->w.log, m->u.sa.auth_key, m->u.sa.auth_key_len);
	}
}

static void fx_free(struct fx *f)
{
	uint8_t md[32];

	ike_resp_destroy(f->r); /* first: it cancels its jobs */
	wp_destroy(f->wp);
	pool_destroy(f->pool4);
	ike_keyring_destroy(f->kr);
	digest_dp(f);
	assert_int_equal(EVP_DigestFinal_ex(f->w.log, md, NULL), 1);
	EVP_MD_CTX_free(f->w.log);
	/* the run on workers sends what the inline run sent, byte for byte */
	if (f->seed && !g_threads && g_n_digests < 64) {
		g_digests[g_n_digests].seed = f->seed;
		memcpy(g_digests[g_n_digests++].md, md, sizeof(md));
	} else if (f->seed && g_compare) {
		unsigned i;

		for (i = 0; i < g_n_digests && g_digests[i].seed != f->seed; i++)
			;
		assert_true(i < g_n_digests);
		assert_memory_equal(g_digests[i].md, md, sizeof(md));
	}
	free(f);
}

/* The event loop's part: deliver the workers' completions until none is pending. */
static void fx_pump(struct fx *f)
{
	for (int spins = 0; f->wp && wp_pending(f->wp); spins++) {
		struct pollfd p = { .fd = wp_fd(f->wp), .events = POLLIN };

		assert_true(spins < 6000); /* a minute: something is stuck */
		poll(&p, 1, 10);
		wp_run_done(f->wp);
	}
}

/* ike_resp_input() / ike_resp_tick(), then the completions of what they started. */
static void fx_input(struct fx *f, const uint8_t *buf, size_t len)
{
	ike_resp_input(f->r, buf, len, &peer, &local);
	if (!f->hold)
		fx_pump(f);
}

static void fx_tick(struct fx *f, uint64_t now)
{
	ike_resp_tick(f->r, now);
	if (!f->hold)
		fx_pump(f);
}

static unsigned pool_used(const struct fx *f)
{
	uint32_t used, size;

	pool_usage(f->pool4, &used, &size);
	return used;
}

static void send_req(struct fx *f)
{
	f->w.n = 0;
	fx_input(f, f->req, f->req_len);
}

/* INIT, AUTH (one CHILD_SA; INITIAL_CONTACT if @p ic), dataplane acknowledges: the IKE SA. */
static struct ike_sa *establish_ic(struct fx *f, struct ini *in, uint64_t seed, bool ic)
{
	uint16_t dh[] = { IKE_DH_CURVE25519, 0 };
	struct ini_auth_opts o = { .id = CLIENT, .psk = PSK, .initial_contact = ic };
	struct ike_sa_pl *sa = calloc(1, sizeof(*sa));
	struct ike_sa *rsa;

	if (!f->seed)
		f->seed = seed;
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
	assert_int_equal(ini_process_auth(in, f->w.buf, f->w.len, &f->m, PSK), 0);
	assert_int_equal(in->child_err, 0);
	rsa = ike_resp_find(f->r, in->spi_i, in->spi_r);
	assert_non_null(rsa);
	assert_int_equal(ike_sa_state(rsa), IKE_SA_ESTABLISHED);
	return rsa;
}

static struct ike_sa *establish(struct fx *f, struct ini *in, uint64_t seed)
{
	return establish_ic(f, in, seed, false);
}

/* One CREATE_CHILD_SA exchange: request, dataplane acknowledges, response processed. */
static int create(struct fx *f, struct ini *in, struct ini_cc *cc, struct ini *nin)
{
	f->req_len = ini_build_create(in, cc, f->req, sizeof(f->req));
	assert_true(f->req_len > 0);
	send_req(f);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	return ini_process_create(in, cc, f->w.buf, f->w.len, &f->m, nin);
}

struct info_cap {
	unsigned n;
	struct ike_sa_info last;
};

static void info_cb(const struct ike_sa_info *i, void *arg)
{
	struct info_cap *c = arg;

	c->n++;
	if (i->state == IKE_SA_ESTABLISHED)
		c->last = *i;
}

/* The SA_ADD pair starting at dp index @p from carries the keys of @p cc. */
static void check_child_keys(const struct fx *f, unsigned from, const struct ini_cc *cc)
{
	const struct rp_msg *sin = fdp_find(&f->dp, RP_MSG_SA_ADD, from, 0);
	const struct rp_msg *sout = fdp_find(&f->dp, RP_MSG_SA_ADD, from, 1);
	size_t kl;

	assert_non_null(sin);
	assert_non_null(sout);
	assert_int_equal(sin->u.sa.dir, RP_DIR_IN);
	assert_int_equal(sout->u.sa.dir, RP_DIR_OUT);
	assert_int_equal(ntohl(sin->u.sa.spi), cc->peer_spi);
	assert_int_equal(ntohl(sout->u.sa.spi), cc->spi);
	kl = sin->u.sa.enc_key_len;
	assert_memory_equal(sin->u.sa.enc_key, cc->ck.ei, kl);
	assert_memory_equal(sin->u.sa.salt, cc->ck.ei + kl, sin->u.sa.salt_len);
	assert_memory_equal(sout->u.sa.enc_key, cc->ck.er, kl);
	assert_memory_equal(sout->u.sa.salt, cc->ck.er + kl, sout->u.sa.salt_len);
}

/* ---- CREATE_CHILD_SA: new CHILD_SAs --------------------------------------------------------- */

/* A second CHILD_SA without and a third with PFS: keys from the exchange's nonces (and
 * g^ir), TSi narrowed to the address of IKE_AUTH, the response held back until the
 * dataplane has both SAs and the route. */
static void test_new_child(void **state)
{
	struct fx *f = fx_new();
	struct ini_cc cc = { 0 }, pfs = { .pfs_group = IKE_DH_ECP256,
					  .ke_group = IKE_DH_ECP256 };
	struct info_cap ic = { 0 };
	const struct rp_msg *rt;
	struct ike_sa *sa;
	struct ini in;
	unsigned mark;

	(void)state;
	sa = establish(f, &in, 100);
	mark = f->dp.n;
	f->req_len = ini_build_create(&in, &cc, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(f->w.n, 0); /* waits for the dataplane */
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_ADD, mark), 2);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_ROUTE_ADD, mark), 1);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_create(&in, &cc, f->w.buf, f->w.len, &f->m, NULL), 0);
	assert_false(cc.pfs);
	assert_null(ike_msg_find(&f->m, IKE_PL_CP, NULL));
	assert_int_equal(cc.tsi_r.n, 1);
	assert_memory_equal(cc.tsi_r.ts[0].start, in.addr4, 4);
	assert_memory_equal(cc.tsi_r.ts[0].end, in.addr4, 4);
	assert_memory_equal(cc.tsr_r.ts[0].start, ((uint8_t[]){ 10, 1, 0, 0 }), 4);
	check_child_keys(f, mark, &cc);
	rt = fdp_find(&f->dp, RP_MSG_ROUTE_ADD, mark, 0);
	assert_int_equal(rt->u.route.sa_id, fdp_find(&f->dp, RP_MSG_SA_ADD, mark, 1)->u.sa.sa_id);
	assert_int_equal(sa->n_child, 2);
	assert_int_equal(pool_used(f), 1); /* no new address */

	/* PFS: KE of the proposal's group, g^ir in the keys */
	mark = f->dp.n;
	assert_int_equal(create(f, &in, &pfs, NULL), 0);
	assert_true(pfs.pfs);
	assert_int_equal(pfs.suite.dh, IKE_DH_ECP256);
	check_child_keys(f, mark, &pfs);
	assert_int_equal(sa->n_child, 3);
	ike_resp_foreach(f->r, info_cb, &ic);
	assert_int_equal(ic.last.n_child, 3);
	assert_int_equal(ic.last.n_sa_ids, 6);
	assert_int_equal(ic.last.spi_out, pfs.spi); /* the newest is described */
	/* the peer deletes the newest, which carries the route: it goes to the next newest */
	mark = f->dp.n;
	f->req_len = ini_build_info(&in, IKE_PROTO_ESP, pfs.spi, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(sa->n_child, 2);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_ROUTE_DEL, mark), 0);
	rt = fdp_find(&f->dp, RP_MSG_ROUTE_ADD, mark, 0);
	assert_non_null(rt);
	assert_int_equal(rt->u.route.sa_id, sa->child[1].sa_id_out);
	assert_int_equal(sa->child[1].spi_out, cc.spi);
	assert_int_equal(sa->child[1].n_routes, 1);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, mark), 2);
	ini_cc_free(&pfs);
	ini_cc_free(&cc);
	ini_free(&in);
	fx_free(f);
}

/* A KE of another group than the proposal's: INVALID_KE_PAYLOAD naming it, nothing installed;
 * the retry with that group works. */
static void test_wrong_ke(void **state)
{
	struct fx *f = fx_new();
	struct ini_cc cc = { .pfs_group = IKE_DH_CURVE25519, .ke_group = IKE_DH_ECP256 };
	struct ike_sa *sa;
	struct ini in;
	unsigned mark;

	(void)state;
	sa = establish(f, &in, 200);
	mark = f->dp.n;
	assert_int_equal(create(f, &in, &cc, NULL), IKE_N_INVALID_KE_PAYLOAD);
	assert_int_equal(cc.err_group, IKE_DH_CURVE25519);
	assert_int_equal(f->dp.n, mark);
	assert_int_equal(sa->n_child, 1);
	cc.ke_group = IKE_DH_CURVE25519;
	assert_int_equal(create(f, &in, &cc, NULL), 0);
	assert_true(cc.pfs);
	assert_int_equal(sa->n_child, 2);
	/* PFS required by the proposal but no KE at all: the same answer */
	ini_cc_free(&cc);
	cc = (struct ini_cc){ .pfs_group = IKE_DH_ECP256 };
	assert_int_equal(create(f, &in, &cc, NULL), IKE_N_INVALID_KE_PAYLOAD);
	assert_int_equal(cc.err_group, IKE_DH_ECP256);
	ini_cc_free(&cc);
	ini_free(&in);
	fx_free(f);
}

static void test_refusals(void **state)
{
	struct fx *f = fx_new();
	static const uint8_t o1[4] = { 192, 0, 2, 0 }, o2[4] = { 192, 0, 2, 255 };
	static const uint8_t l1[4] = { 198, 18, 0, 0 }, l2[4] = { 198, 18, 0, 255 };
	struct ike_ts_pl other, notours;
	struct ini_cc cc = { 0 };
	struct ike_sa_pl esp;
	struct ike_resp_stats st;
	struct ike_sa *sa;
	struct ini in;
	unsigned mark;

	(void)state;
	sa = establish(f, &in, 300);
	mark = f->dp.n;
	/* REKEY_SA naming no CHILD_SA of ours */
	cc.rekey_spi = 0xdead0001;
	assert_int_equal(create(f, &in, &cc, NULL), IKE_N_CHILD_SA_NOT_FOUND);
	/* TSi without the client's address, TSr outside our side */
	ini_ts4(&other, o1, o2);
	cc = (struct ini_cc){ .tsi = &other };
	assert_int_equal(create(f, &in, &cc, NULL), IKE_N_TS_UNACCEPTABLE);
	ini_ts4(&notours, l1, l2);
	cc = (struct ini_cc){ .tsr = &notours };
	assert_int_equal(create(f, &in, &cc, NULL), IKE_N_TS_UNACCEPTABLE);
	/* 3DES only */
	ini_esp_proposal(&esp, 0x2000, IKE_ENCR_3DES, 0, IKE_INTEG_HMAC_SHA2_256_128, false, true);
	cc = (struct ini_cc){ .esp = &esp };
	assert_int_equal(create(f, &in, &cc, NULL), IKE_N_NO_PROPOSAL_CHOSEN);
	assert_int_equal(f->dp.n, mark);
	assert_int_equal(sa->n_child, 1);
	/* up to IKE_CHILD_MAX, then NO_ADDITIONAL_SAS */
	while (sa->n_child < IKE_CHILD_MAX) {
		cc = (struct ini_cc){ 0 };
		assert_int_equal(create(f, &in, &cc, NULL), 0);
	}
	mark = f->dp.n;
	cc = (struct ini_cc){ 0 };
	assert_int_equal(create(f, &in, &cc, NULL), IKE_N_NO_ADDITIONAL_SAS);
	assert_int_equal(f->dp.n, mark);
	assert_int_equal(sa->n_child, IKE_CHILD_MAX);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.child_failed, 5);
	assert_int_equal(ike_sa_state(sa), IKE_SA_ESTABLISHED);
	ini_free(&in);
	fx_free(f);
}

/* A retransmitted CREATE_CHILD_SA: the cached answer byte for byte, nothing installed twice;
 * while the dataplane has not answered, retransmissions are absorbed. */
static void test_retransmit(void **state)
{
	struct fx *f = fx_new();
	struct ini_cc cc = { 0 };
	struct ike_resp_stats st;
	uint8_t first[4096];
	size_t flen;
	struct ike_sa *sa;
	struct ini in;
	unsigned mark;

	(void)state;
	sa = establish(f, &in, 400);
	mark = f->dp.n;
	f->req_len = ini_build_create(&in, &cc, f->req, sizeof(f->req));
	send_req(f);
	send_req(f); /* while installing */
	assert_int_equal(f->w.n, 0);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_ADD, mark), 2);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	memcpy(first, f->w.buf, f->w.len);
	flen = f->w.len;
	send_req(f);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(f->w.len, flen);
	assert_memory_equal(f->w.buf, first, flen);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_ADD, mark), 2);
	assert_int_equal(sa->n_child, 2);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.retransmits, 1);
	assert_int_equal(ini_process_create(&in, &cc, first, flen, &f->m, NULL), 0);
	ini_free(&in);
	fx_free(f);
}

/* ---- CHILD_SA rekey --------------------------------------------------------------------- */

/* Make-before-break: new pair installed and the route switched before the answer; the old
 * pair stays (no SA_DEL, no ROUTE_DEL) until the peer deletes it; then it goes with its
 * counters kept in the session's totals. */
static void test_child_rekey(void **state)
{
	struct fx *f = fx_new();
	struct ini_cc cc = { .pfs_group = IKE_DH_CURVE25519, .ke_group = IKE_DH_CURVE25519 };
	struct info_cap ic = { 0 };
	const struct rp_msg *old_in, *old_out, *rt;
	uint32_t old_in_id, old_out_id, new_out_id;
	const struct ike_pl *d;
	struct ike_sa *sa;
	struct ini in;
	unsigned mark;

	(void)state;
	sa = establish(f, &in, 500);
	old_in = fdp_find(&f->dp, RP_MSG_SA_ADD, 0, 0);
	old_out = fdp_find(&f->dp, RP_MSG_SA_ADD, 0, 1);
	old_in_id = old_in->u.sa.sa_id;
	old_out_id = old_out->u.sa.sa_id;
	mark = f->dp.n;
	cc.rekey_spi = in.esp_spi; /* §1.3.3: the SPI the initiator receives on */
	assert_int_equal(create(f, &in, &cc, NULL), 0);
	check_child_keys(f, mark, &cc);
	new_out_id = fdp_find(&f->dp, RP_MSG_SA_ADD, mark, 1)->u.sa.sa_id;
	rt = fdp_find(&f->dp, RP_MSG_ROUTE_ADD, mark, 0);
	assert_non_null(rt);
	assert_int_equal(rt->u.route.sa_id, new_out_id);
	assert_memory_equal(rt->u.route.prefix.addr, in.addr4, 4);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, mark), 0);
	assert_int_equal(sa->n_child, 2);
	assert_true(sa->child[0].rekeyed);
	ike_resp_foreach(f->r, info_cb, &ic);
	assert_int_equal(ic.last.spi_out, cc.spi);
	assert_int_equal(ic.last.n_sa_ids, 4);
	/* rekeying the old one again is refused for now: it is replaced (§2.25.1) */
	{
		struct ini_cc again = { .rekey_spi = in.esp_spi };

		assert_int_equal(create(f, &in, &again, NULL), IKE_N_TEMPORARY_FAILURE);
	}
	/* the peer deletes the old CHILD_SA: we answer with our old inbound SPI */
	mark = f->dp.n;
	f->req_len = ini_build_info(&in, IKE_PROTO_ESP, in.esp_spi, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_open(&in, f->w.buf, f->w.len, &f->m), 0);
	d = ike_msg_find(&f->m, IKE_PL_DELETE, NULL);
	assert_non_null(d);
	assert_int_equal(d->f.u16a, 1);
	assert_int_equal((uint32_t)d->f.spi.p[0] << 24 | (uint32_t)d->f.spi.p[1] << 16 |
			 (uint32_t)d->f.spi.p[2] << 8 | d->f.spi.p[3], in.peer_esp_spi);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, mark), 2);
	assert_int_equal(fdp_find(&f->dp, RP_MSG_SA_DEL, mark, 0)->u.sa_ref.sa_id, old_in_id);
	assert_int_equal(fdp_find(&f->dp, RP_MSG_SA_DEL, mark, 1)->u.sa_ref.sa_id, old_out_id);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_ROUTE_DEL, mark), 0); /* the route moved */
	/* the final counters are asked before SA_DEL, and kept */
	assert_int_equal(fdp_count(&f->dp, RP_MSG_STATS_REQ, mark), 2);
	fdp_complete(&f->dp, 0);
	assert_int_equal(sa->n_child, 1);
	ic.n = 0;
	ike_resp_foreach(f->r, info_cb, &ic);
	assert_int_equal(ic.last.n_child, 1);
	assert_int_equal(ic.last.gone_in_packets, 10);
	assert_int_equal(ic.last.gone_out_bytes, 1000);
	/* the session ends: the new pair and its route go */
	mark = f->dp.n;
	f->req_len = ini_build_info(&in, IKE_PROTO_IKE, 0, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, mark), 2);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_ROUTE_DEL, mark), 1);
	assert_int_equal(fdp_find(&f->dp, RP_MSG_ROUTE_DEL, mark, 0)->u.route.sa_id, new_out_id);
	assert_int_equal(pool_used(f), 0);
	ini_cc_free(&cc);
	ini_free(&in);
	fx_free(f);
}

/* The dataplane refuses the new pair of a rekey: NO_PROPOSAL_CHOSEN, the route pointed back
 * at the old CHILD_SA, which stays current. */
static void test_child_rekey_dp_refused(void **state)
{
	struct fx *f = fx_new();
	struct ini_cc cc = { 0 };
	const struct rp_msg *rt;
	uint32_t old_out_id;
	struct ike_sa *sa;
	struct ini in;
	unsigned mark;

	(void)state;
	sa = establish(f, &in, 550);
	old_out_id = fdp_find(&f->dp, RP_MSG_SA_ADD, 0, 1)->u.sa.sa_id;
	mark = f->dp.n;
	cc.rekey_spi = in.esp_spi;
	f->req_len = ini_build_create(&in, &cc, f->req, sizeof(f->req));
	send_req(f);
	fdp_complete(&f->dp, -ENOSPC);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_create(&in, &cc, f->w.buf, f->w.len, &f->m, NULL),
			 IKE_N_NO_PROPOSAL_CHOSEN);
	rt = fdp_find(&f->dp, RP_MSG_ROUTE_ADD, mark, 1);
	assert_non_null(rt);
	assert_int_equal(rt->u.route.sa_id, old_out_id);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, mark), 2);
	assert_int_equal(sa->n_child, 1);
	assert_false(sa->child[0].rekeyed);
	ini_free(&in);
	fx_free(f);
}

/* ---- IKE SA rekey ----------------------------------------------------------------------- */

/* New SPIs and keys (equal on both sides); CHILD_SAs, address and identity on the new SA;
 * traffic under the new keys from message ID 0; the old SA's Delete uninstalls nothing. */
static void test_ike_rekey(void **state)
{
	struct fx *f = fx_new();
	struct ini_cc cc = { .ike = true, .new_spi_i = 0x1122334455667788ull,
			     .ke_group = IKE_DH_ECP256 };
	struct info_cap ic = { 0 };
	struct ike_sa *sa, *nsa;
	struct ike_resp_stats st;
	struct ini in, nin;
	unsigned mark;

	(void)state;
	sa = establish(f, &in, 600);
	assert_int_equal(create(f, &in, &cc, &nin), 0);
	assert_int_equal(cc.suite.dh, IKE_DH_ECP256);
	nsa = ike_resp_find(f->r, cc.new_spi_i, cc.new_spi_r);
	assert_non_null(nsa);
	assert_ptr_not_equal(nsa, sa);
	assert_int_equal(ike_sa_state(nsa), IKE_SA_ESTABLISHED);
	assert_int_equal(ike_sa_state(sa), IKE_SA_REKEYED);
	assert_memory_equal(ike_sa_keys(nsa)->sk_d, nin.keys.sk_d, nin.keys.d_len);
	assert_memory_equal(ike_sa_keys(nsa)->sk_ei, nin.keys.sk_ei, nin.keys.e_len);
	assert_memory_equal(ike_sa_keys(nsa)->sk_er, nin.keys.sk_er, nin.keys.e_len);
	assert_memory_not_equal(ike_sa_keys(nsa)->sk_d, in.keys.sk_d, nin.keys.d_len);
	assert_int_equal(nsa->n_child, 1);
	assert_int_equal(sa->n_child, 0);
	ike_resp_foreach(f->r, info_cb, &ic);
	assert_int_equal(ic.n, 2);
	assert_int_equal(ic.last.spi_i, cc.new_spi_i);
	assert_string_equal(ic.last.peer_id, CLIENT);
	assert_true(ic.last.has_addr4);
	assert_int_equal(ic.last.spi_out, in.esp_spi);
	/* an INFORMATIONAL on the new SA, message ID 0, answered under its keys */
	f->req_len = ini_build_info(&nin, 0, 0, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_open(&nin, f->w.buf, f->w.len, &f->m), 0);
	assert_int_equal(f->m.hdr.msg_id, 0);
	assert_int_equal(f->m.hdr.spi_r, cc.new_spi_r);
	assert_int_not_equal(ini_open(&in, f->w.buf, f->w.len, &f->m), 0);
	/* a CHILD_SA on the new IKE SA derives from its SK_d */
	{
		struct ini_cc child = { 0 };

		mark = f->dp.n;
		assert_int_equal(create(f, &nin, &child, NULL), 0);
		check_child_keys(f, mark, &child);
		assert_int_equal(nsa->n_child, 2);
	}
	/* the old SA is deleted by the peer: nothing leaves the dataplane, the lease stays */
	mark = f->dp.n;
	f->req_len = ini_build_info(&in, IKE_PROTO_IKE, 0, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_open(&in, f->w.buf, f->w.len, &f->m), 0);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	assert_int_equal(f->dp.n, mark);
	assert_int_equal(pool_used(f), 1);
	assert_int_equal(ike_sa_state(nsa), IKE_SA_ESTABLISHED);
	assert_int_equal(nsa->n_child, 2);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 1);
	/* and the new one is a full session: its Delete removes everything */
	f->req_len = ini_build_info(&nin, IKE_PROTO_IKE, 0, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, mark), 4);
	assert_int_equal(pool_used(f), 0);
	ini_cc_free(&cc);
	ini_free(&nin);
	ini_free(&in);
	fx_free(f);
}

/* The session a rekey moved to the new IKE SA is found by its identity: the client's
 * INITIAL_CONTACT from a new IKE SA deletes it (the rekeyed one waits for the peer's Delete). */
static void test_ike_rekey_initial_contact(void **state)
{
	struct fx *f = fx_new();
	struct ini_cc cc = { .ike = true, .new_spi_i = 0x1122334455667788ull,
			     .ke_group = IKE_DH_CURVE25519 };
	struct ike_resp_stats st;
	struct ini in, nin, in2;

	(void)state;
	establish(f, &in, 650);
	assert_int_equal(create(f, &in, &cc, &nin), 0);
	assert_non_null(ike_resp_find(f->r, cc.new_spi_i, cc.new_spi_r));
	establish_ic(f, &in2, 651, true);
	assert_null(ike_resp_find(f->r, cc.new_spi_i, cc.new_spi_r));
	assert_int_equal(ike_sa_state(ike_resp_find(f->r, in.spi_i, in.spi_r)), IKE_SA_REKEYED);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 2);
	assert_int_equal(pool_used(f), 1);
	ini_cc_free(&cc);
	ini_free(&nin);
	ini_free(&in);
	ini_free(&in2);
	fx_free(f);
}

/* IKE rekey without KE, or with the wrong group: INVALID_KE_PAYLOAD; nothing changes. */
static void test_ike_rekey_ke(void **state)
{
	struct fx *f = fx_new();
	struct ini_cc cc = { .ike = true, .new_spi_i = 0x0102030405060708ull,
			     .ike_groups = { IKE_DH_CURVE25519 }, .ke_group = IKE_DH_ECP256 };
	struct ike_resp_stats st;
	struct ike_sa *sa;
	struct ini in, nin;

	(void)state;
	sa = establish(f, &in, 700);
	assert_int_equal(create(f, &in, &cc, &nin), IKE_N_INVALID_KE_PAYLOAD);
	assert_int_equal(cc.err_group, IKE_DH_CURVE25519);
	assert_int_equal(ike_sa_state(sa), IKE_SA_ESTABLISHED);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 1);
	cc.ke_group = IKE_DH_CURVE25519;
	assert_int_equal(create(f, &in, &cc, &nin), 0);
	assert_int_equal(ike_sa_state(sa), IKE_SA_REKEYED);
	/* a rekeyed SA takes no more CREATE_CHILD_SA */
	{
		struct ini_cc child = { 0 };

		f->req_len = ini_build_create(&in, &child, f->req, sizeof(f->req));
		send_req(f);
		assert_int_equal(f->w.n, 0);
	}
	ini_cc_free(&cc);
	ini_free(&nin);
	ini_free(&in);
	fx_free(f);
}

/* ---- requests we send (ike_req.h) -------------------------------------------------------- */

struct done_rec {
	unsigned calls, with_resp;
	uint8_t exchange;
	bool delete_sa;       /**< the callback deletes the SA */
};

static bool build_empty(struct ike_bld *b, void *arg)
{
	(void)b;
	(void)arg;
	return true;
}

static void req_done(struct ike_resp *r, struct ike_sa *sa, const struct ike_msg *resp,
		     void *arg)
{
	struct done_rec *d = arg;

	d->calls++;
	if (resp) {
		d->with_resp++;
		d->exchange = resp->hdr.exchange;
		if (d->delete_sa)
			ike_sa_delete(r, sa, true);
	}
}

/* Our message IDs from 0, flags neither R nor I, one outstanding at a time, the answer
 * matched and decrypted, and the peer's own requests unaffected meanwhile. */
static void test_req_basic(void **state)
{
	struct fx *f = fx_new();
	struct done_rec d1 = { 0 }, d2 = { 0 };
	uint8_t resp[512];
	struct ike_sa *sa;
	struct ini in;
	size_t rl;

	(void)state;
	sa = establish(f, &in, 800);
	f->w.n = 0;
	assert_int_equal(ike_req_send(f->r, sa, IKE_XCHG_INFORMATIONAL, build_empty, req_done,
				      &d1), 0);
	assert_int_equal(ike_req_send(f->r, sa, IKE_XCHG_INFORMATIONAL, build_empty, req_done,
				      &d2), 0);
	assert_int_equal(f->w.n, 1); /* window size 1 */
	assert_int_equal(ini_open_req(&in, f->w.buf, f->w.len, &f->m), 0);
	assert_int_equal(f->m.hdr.msg_id, 0);
	assert_int_equal(f->m.hdr.flags & (IKE_HDR_F_I | IKE_HDR_F_R), 0);
	/* the peer's request in between is answered as usual */
	f->req_len = ini_build_info(&in, 0, 0, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_open(&in, f->w.buf, f->w.len, &f->m), 0);
	assert_int_equal(d1.calls, 0);
	/* a response with the wrong message ID is dropped */
	rl = ini_seal_resp(&in, IKE_XCHG_INFORMATIONAL, 5, NULL, 0, 0, resp, sizeof(resp));
	f->w.n = 0;
	fx_input(f, resp, rl);
	assert_int_equal(d1.calls, 0);
	assert_int_equal(f->w.n, 0);
	/* the right one completes #0 and sends #1 */
	rl = ini_seal_resp(&in, IKE_XCHG_INFORMATIONAL, 0, NULL, 0, 0, resp, sizeof(resp));
	fx_input(f, resp, rl);
	assert_int_equal(d1.with_resp, 1);
	assert_int_equal(d1.exchange, IKE_XCHG_INFORMATIONAL);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_open_req(&in, f->w.buf, f->w.len, &f->m), 0);
	assert_int_equal(f->m.hdr.msg_id, 1);
	/* a duplicate of the first answer changes nothing */
	fx_input(f, resp, rl);
	assert_int_equal(d1.calls, 1);
	assert_int_equal(d2.calls, 0);
	/* the second's callback deletes the SA: allowed */
	d2.delete_sa = true;
	rl = ini_seal_resp(&in, IKE_XCHG_INFORMATIONAL, 1, NULL, 0, 0, resp, sizeof(resp));
	fx_input(f, resp, rl);
	assert_int_equal(d2.with_resp, 1);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	ini_free(&in);
	fx_free(f);
}

/* Retransmission of the same bytes with a doubling timeout, then the peer is dead: the
 * callback gets NULL and the SA goes with its CHILD_SA. Queued requests complete too. */
static void test_req_timeout(void **state)
{
	struct fx *f = fx_new();
	struct done_rec d1 = { 0 }, d2 = { 0 };
	struct ike_resp_stats st;
	uint8_t first[1024];
	size_t flen;
	uint64_t t, rto = IKE_REQ_RTO_MS;
	struct ike_sa *sa;
	struct ini in;
	unsigned mark;

	(void)state;
	sa = establish(f, &in, 900);
	f->w.n = 0;
	assert_int_equal(ike_req_send(f->r, sa, IKE_XCHG_INFORMATIONAL, build_empty, req_done,
				      &d1), 0);
	assert_int_equal(ike_req_send(f->r, sa, IKE_XCHG_INFORMATIONAL, build_empty, req_done,
				      &d2), 0);
	memcpy(first, f->w.buf, f->w.len);
	flen = f->w.len;
	t = f->now;
	for (unsigned i = 0; i < IKE_REQ_RETRIES; i++) {
		unsigned before = f->w.n;

		fx_tick(f, t + rto - 1);
		assert_int_equal(f->w.n, before);
		fx_tick(f, t + rto);
		assert_int_equal(f->w.n, before + 1);
		assert_int_equal(f->w.len, flen);
		assert_memory_equal(f->w.buf, first, flen);
		t += rto;
		rto *= 2;
	}
	mark = f->dp.n;
	fx_tick(f, t + rto);
	assert_int_equal(d1.calls, 1);
	assert_int_equal(d1.with_resp, 0);
	assert_int_equal(d2.calls, 1);
	assert_int_equal(d2.with_resp, 0);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, mark), 2);
	assert_int_equal(pool_used(f), 0);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.req_retransmits, IKE_REQ_RETRIES);
	assert_int_equal(st.req_timeouts, 1);
	ini_free(&in);
	fx_free(f);
}

/* Queue bounds, cancel, and requests on an SA that goes away. */
static void test_req_queue(void **state)
{
	struct fx *f = fx_new();
	struct done_rec d[IKE_REQ_QUEUE_MAX + 2] = { { 0 } };
	struct ike_sa *sa;
	struct ini in;

	(void)state;
	sa = establish(f, &in, 1000);
	for (unsigned i = 0; i <= IKE_REQ_QUEUE_MAX; i++)
		assert_int_equal(ike_req_send(f->r, sa, IKE_XCHG_INFORMATIONAL, build_empty,
					      req_done, &d[i]), 0);
	assert_int_equal(ike_req_send(f->r, sa, IKE_XCHG_INFORMATIONAL, build_empty, req_done,
				      &d[IKE_REQ_QUEUE_MAX + 1]), -EBUSY);
	assert_true(ike_req_busy(sa));
	assert_int_equal(ike_req_cancel(f->r, sa, &d[1]), 1);
	/* the peer deletes the IKE SA: every request left completes with NULL */
	f->req_len = ini_build_info(&in, IKE_PROTO_IKE, 0, f->req, sizeof(f->req));
	send_req(f);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	assert_int_equal(d[0].calls, 1);
	assert_int_equal(d[1].calls, 0);
	for (unsigned i = 2; i <= IKE_REQ_QUEUE_MAX; i++)
		assert_int_equal(d[i].calls, 1);
	ini_free(&in);
	fx_free(f);
}

/* ---- CHILD_SA rekeys we start (ike_rekey.c) --------------------------------------------- */

/* What the responder's CREATE_CHILD_SA request carried. */
struct our_req {
	uint32_t msg_id, rekey_spi, spi;    /**< REKEY_SA's SPI, the proposal's (new inbound) SPI */
	struct ike_suite esp;            /**< esp.dh: the PFS group (then ke is its KE) */
	uint8_t ni[256], ke[512];
	size_t ni_len, ke_len;
	struct ike_ts_pl tsi, tsr;
};

static void read_our_req(struct fx *f, struct ini *in, struct our_req *q)
{
	const struct ike_pl *n, *ni, *ke;

	memset(q, 0, sizeof(*q));
	assert_int_equal(ini_open_req(in, f->w.buf, f->w.len, &f->m), 0);
	assert_int_equal(f->m.hdr.exchange, IKE_XCHG_CREATE_CHILD_SA);
	assert_int_equal(f->m.hdr.flags & (IKE_HDR_F_I | IKE_HDR_F_R), 0);
	q->msg_id = f->m.hdr.msg_id;
	n = ike_msg_notify(&f->m, IKE_N_REKEY_SA);
	assert_non_null(n);
	assert_int_equal(n->f.u8a, IKE_PROTO_ESP);
	assert_int_equal(n->f.spi.len, 4);
	q->rekey_spi = (uint32_t)n->f.spi.p[0] << 24 | (uint32_t)n->f.spi.p[1] << 16 |
		       (uint32_t)n->f.spi.p[2] << 8 | n->f.spi.p[3];
	assert_int_equal(f->m.sa.n_prop, 1);
	assert_int_equal(f->m.sa.prop[0].proto, IKE_PROTO_ESP);
	q->spi = (uint32_t)f->m.sa.prop[0].spi[0] << 24 | (uint32_t)f->m.sa.prop[0].spi[1] << 16 |
		 (uint32_t)f->m.sa.prop[0].spi[2] << 8 | f->m.sa.prop[0].spi[3];
	for (unsigned i = 0; i < f->m.sa.n_xf; i++) {
		const struct ike_transform *t = &f->m.sa.xf[i];

		if (t->type == IKE_TT_ENCR) {
			q->esp.encr = t->id;
			q->esp.encr_bits = t->key_len;
		} else if (t->type == IKE_TT_INTEG) {
			q->esp.integ = t->id;
		} else if (t->type == IKE_TT_ESN) {
			q->esp.esn = t->id == 1;
		} else if (t->type == IKE_TT_DH) {
			q->esp.dh = t->id;
		}
	}
	ni = ike_msg_find(&f->m, IKE_PL_NONCE, NULL);
	assert_non_null(ni);
	q->ni_len = ni->f.data.len;
	memcpy(q->ni, ni->f.data.p, q->ni_len);
	ke = ike_msg_find(&f->m, IKE_PL_KE, NULL);
	if (!q->esp.dh) {
		assert_null(ke); /* the old CHILD_SA had no PFS */
	} else {
		assert_non_null(ke); /* §1.3.3: PFS again, with the old CHILD_SA's group */
		assert_int_equal(ke->f.u16a, q->esp.dh);
		assert_true(ke->f.data.len <= sizeof(q->ke));
		q->ke_len = ke->f.data.len;
		memcpy(q->ke, ke->f.data.p, q->ke_len);
	}
	assert_non_null(ike_msg_find(&f->m, IKE_PL_TSI, NULL));
	q->tsi = f->m.tsi;
	q->tsr = f->m.tsr;
}

/* The test initiator accepts the responder's rekey with nonce @p nr and SPI @p spi. */
static void answer_our_req(struct fx *f, struct ini *in, const struct our_req *q,
			   const uint8_t *nr, size_t nr_len, uint32_t spi, struct ike_child_keys *ck)
{
	struct ike_sa_pl *sa = calloc(1, sizeof(*sa));
	uint8_t inner[2048], out[2048], gir[IKE_DH_SECRET_MAX];
	struct ike_dh *dh = NULL;
	size_t il, ol, gl = 0;
	struct ike_alg a;
	struct ike_bld b;

	ini_esp_proposal(sa, spi, q->esp.encr, q->esp.encr_bits, q->esp.integ, q->esp.esn,
			 !q->esp.esn);
	if (q->esp.dh) {
		sa->xf[sa->n_xf++] = (struct ike_transform){ .type = IKE_TT_DH, .id = q->esp.dh };
		sa->prop[0].n_xf++;
		assert_int_equal(ike_dh_new(q->esp.dh, &in->rng, &dh), 0);
		assert_int_equal(ike_dh_derive(dh, q->ke, q->ke_len, gir, &gl), 0);
	}
	ike_bld_init_chain(&b, inner, sizeof(inner));
	ike_bld_sa(&b, sa);
	ike_bld_data(&b, IKE_PL_NONCE, nr, nr_len);
	if (dh) {
		size_t pl;
		const uint8_t *pub = ike_dh_pub(dh, &pl);

		ike_bld_ke(&b, q->esp.dh, pub, pl);
	}
	ike_bld_ts(&b, IKE_PL_TSI, &q->tsi);
	ike_bld_ts(&b, IKE_PL_TSR, &q->tsr);
	il = ike_bld_finish(&b);
	assert_true(il > 0);
	ol = ini_seal_resp(in, IKE_XCHG_CREATE_CHILD_SA, q->msg_id, inner, il, ike_bld_first(&b),
			   out, sizeof(out));
	assert_true(ol > 0);
	/* §2.17: the exchange's initiator (the responder) sends with the first keys */
	assert_int_equal(ike_alg_init(&q->esp, false, &a), 0);
	assert_int_equal(ike_child_keymat(in->suite.prf, in->keys.sk_d, in->keys.d_len, &a,
					  gl ? gir : NULL, gl, q->ni, q->ni_len, nr, nr_len, ck), 0);
	ike_dh_free(dh);
	f->w.n = 0;
	fx_input(f, out, ol);
	free(sa);
}

/* The responder's own Delete (INFORMATIONAL) of @p spi, answered by the test initiator. */
static void answer_delete(struct fx *f, struct ini *in, uint32_t spi)
{
	const struct ike_pl *d;
	uint8_t out[512], inner[64], s[4] = { (uint8_t)(spi >> 24), (uint8_t)(spi >> 16),
					      (uint8_t)(spi >> 8), (uint8_t)spi };
	struct ike_bld b;
	uint32_t id;
	size_t il, ol;

	assert_int_equal(ini_open_req(in, f->w.buf, f->w.len, &f->m), 0);
	assert_int_equal(f->m.hdr.exchange, IKE_XCHG_INFORMATIONAL);
	d = ike_msg_find(&f->m, IKE_PL_DELETE, NULL);
	assert_non_null(d);
	assert_int_equal(d->f.u8a, IKE_PROTO_ESP);
	assert_int_equal(d->f.u16a, 1);
	assert_memory_equal(d->f.spi.p, s, 4);
	id = f->m.hdr.msg_id;
	ike_bld_init_chain(&b, inner, sizeof(inner));
	il = ike_bld_finish(&b);
	ol = ini_seal_resp(in, IKE_XCHG_INFORMATIONAL, id, inner, il, ike_bld_first(&b), out,
			   sizeof(out));
	f->w.n = 0;
	fx_input(f, out, ol);
}

/* At child_lifetime the responder rekeys: REKEY_SA with its inbound SPI, then (after the
 * answer) the new pair with the keys for its side of the exchange and the route; then it
 * deletes the old CHILD_SA. */
static void test_our_child_rekey(void **state)
{
	struct fx *f = fx_new();
	uint32_t old_in_id, old_out_id;
	struct ike_child_keys ck;
	const struct rp_msg *sin, *sout, *rt;
	struct our_req q;
	uint8_t nr[32];
	struct ike_sa *sa;
	struct ini in;
	unsigned mark;
	size_t kl;

	(void)state;
	sa = establish(f, &in, 1100);
	old_in_id = fdp_find(&f->dp, RP_MSG_SA_ADD, 0, 0)->u.sa.sa_id;
	old_out_id = fdp_find(&f->dp, RP_MSG_SA_ADD, 0, 1)->u.sa.sa_id;
	f->w.n = 0;
	fx_tick(f, f->now + 3600 * 1000 - 1000);
	assert_int_equal(f->w.n, 0);
	fx_tick(f, f->now + 3600 * 1000);
	assert_int_equal(f->w.n, 1);
	read_our_req(f, &in, &q);
	assert_int_equal(q.msg_id, 0);
	assert_int_equal(q.rekey_spi, in.peer_esp_spi);
	assert_int_equal(q.esp.encr, IKE_ENCR_AES_GCM_16);
	assert_int_equal(q.tsr.n, 1);
	assert_memory_equal(q.tsr.ts[0].start, in.addr4, 4);
	assert_true(sa->child[0].rekeying);
	memset(nr, 0x42, sizeof(nr));
	mark = f->dp.n;
	answer_our_req(f, &in, &q, nr, sizeof(nr), 0x7000aa01, &ck);
	sin = fdp_find(&f->dp, RP_MSG_SA_ADD, mark, 0);
	sout = fdp_find(&f->dp, RP_MSG_SA_ADD, mark, 1);
	rt = fdp_find(&f->dp, RP_MSG_ROUTE_ADD, mark, 0);
	assert_non_null(sin);
	assert_non_null(sout);
	assert_non_null(rt);
	assert_int_equal(ntohl(sin->u.sa.spi), q.spi);
	assert_int_equal(ntohl(sout->u.sa.spi), 0x7000aa01);
	kl = sin->u.sa.enc_key_len;
	assert_memory_equal(sin->u.sa.enc_key, ck.er, kl);  /* from the test initiator */
	assert_memory_equal(sout->u.sa.enc_key, ck.ei, kl); /* to it */
	assert_int_equal(rt->u.route.sa_id, sout->u.sa.sa_id);
	assert_int_equal(f->w.n, 0); /* the old one is deleted once the new one is in */
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	mark = f->dp.n;
	answer_delete(f, &in, in.peer_esp_spi);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, mark), 2);
	assert_int_equal(fdp_find(&f->dp, RP_MSG_SA_DEL, mark, 0)->u.sa_ref.sa_id, old_in_id);
	assert_int_equal(fdp_find(&f->dp, RP_MSG_SA_DEL, mark, 1)->u.sa_ref.sa_id, old_out_id);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_ROUTE_DEL, mark), 0);
	assert_int_equal(sa->n_child, 1);
	assert_int_equal(sa->child[0].spi_in, q.spi);
	assert_false(sa->child[0].rekeying || sa->child[0].rekeyed);
	/* its outbound record is kept for SA_UPDATE (NAT mapping changes, ike_dpd.c) */
	assert_int_equal(sa->child[0].out_rec.sa_id, sa->child[0].sa_id_out);
	assert_int_equal(ntohl(sa->child[0].out_rec.spi), 0x7000aa01);
	ini_free(&in);
	fx_free(f);
}

/* §1.4.1: after our rekey, our Delete of the old CHILD_SA and the peer's cross: the peer's
 * is answered without a Delete payload for it, the old pair goes once, our Delete's answer
 * changes nothing more. */
static void test_crossed_delete(void **state)
{
	struct fx *f = fx_new();
	struct ike_child_keys ck;
	struct our_req q;
	uint8_t nr[32], ours[1024];
	size_t ours_len;
	struct ike_sa *sa;
	struct ini in;
	unsigned mark;

	(void)state;
	sa = establish(f, &in, 1120);
	f->w.n = 0;
	fx_tick(f, f->now + 3600 * 1000);
	read_our_req(f, &in, &q);
	memset(nr, 0x42, sizeof(nr));
	answer_our_req(f, &in, &q, nr, sizeof(nr), 0x7000dd01, &ck);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1); /* our Delete of the old one, unanswered for now */
	memcpy(ours, f->w.buf, f->w.len);
	ours_len = f->w.len;
	mark = f->dp.n;
	f->req_len = ini_build_info(&in, IKE_PROTO_ESP, in.esp_spi, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_open(&in, f->w.buf, f->w.len, &f->m), 0);
	assert_null(ike_msg_find(&f->m, IKE_PL_DELETE, NULL));
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, mark), 2);
	assert_int_equal(sa->n_child, 1);
	/* now the peer answers our Delete */
	memcpy(f->w.buf, ours, ours_len);
	f->w.len = ours_len;
	mark = f->dp.n;
	answer_delete(f, &in, in.peer_esp_spi);
	assert_int_equal(f->dp.n, mark);
	assert_int_equal(sa->n_child, 1);
	assert_int_equal(sa->child[0].spi_out, 0x7000dd01);
	ini_free(&in);
	fx_free(f);
}

/* The responder goes away while the dataplane installs our rekey's SAs (and while our
 * request is unanswered): nothing is called back afterwards, nothing leaks. */
static void test_destroy_during_rekey(void **state)
{
	struct fx *f = fx_new();
	struct ike_child_keys ck;
	struct our_req q;
	uint8_t nr[32];
	struct ini in, in2;
	unsigned mark;

	(void)state;
	establish(f, &in, 1150);
	establish(f, &in2, 1151);
	f->w.n = 0;
	fx_tick(f, f->now + 3600 * 1000);
	assert_int_equal(f->w.n, 2); /* one rekey per IKE SA */
	read_our_req(f, &in, &q); /* the last one sent (SAs are ticked newest first) */
	memset(nr, 0x42, sizeof(nr));
	mark = f->dp.n;
	answer_our_req(f, &in, &q, nr, sizeof(nr), 0x7000cc01, &ck);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_ADD, mark), 2);
	ike_resp_destroy(f->r);
	f->r = NULL;
	assert_int_equal(fdp_complete(&f->dp, 0), 0); /* all cancelled */
	ini_free(&in);
	ini_free(&in2);
	fx_free(f);
}

/* A LIFETIME event from the dataplane starts the rekey at the next tick; a refusal by the
 * peer keeps the old CHILD_SA and retries later. */
static void test_lifetime_event(void **state)
{
	struct fx *f = fx_new();
	struct rp_msg_lifetime ev = { .by_packets = 0, .bytes = 1u << 20 };
	uint8_t inner[64], out[512];
	struct ike_bld b;
	struct our_req q;
	struct ike_sa *sa;
	struct ini in;
	size_t il, ol;

	(void)state;
	sa = establish(f, &in, 1200);
	ev.sa_id = fdp_find(&f->dp, RP_MSG_SA_ADD, 0, 1)->u.sa.sa_id;
	f->w.n = 0;
	ike_resp_lifetime(f->r, &ev);
	assert_int_equal(f->w.n, 0);
	fx_tick(f, f->now + 1000);
	assert_int_equal(f->w.n, 1);
	read_our_req(f, &in, &q);
	assert_int_equal(q.rekey_spi, in.peer_esp_spi);
	/* the peer refuses: TEMPORARY_FAILURE */
	ike_bld_init_chain(&b, inner, sizeof(inner));
	ike_bld_notify(&b, 0, NULL, 0, IKE_N_TEMPORARY_FAILURE, NULL, 0);
	il = ike_bld_finish(&b);
	ol = ini_seal_resp(&in, IKE_XCHG_CREATE_CHILD_SA, q.msg_id, inner, il, ike_bld_first(&b),
			   out, sizeof(out));
	f->w.n = 0;
	fx_input(f, out, ol);
	assert_int_equal(f->w.n, 0);
	assert_int_equal(sa->n_child, 1);
	assert_false(sa->child[0].rekeying);
	fx_tick(f, f->now + 2000);
	assert_int_equal(f->w.n, 0);
	fx_tick(f, f->now + 1000 + 60000);
	assert_int_equal(f->w.n, 1); /* tried again */
	read_our_req(f, &in, &q);
	assert_int_equal(q.msg_id, 1);
	ini_free(&in);
	fx_free(f);
}

/* §2.8.1: both sides rekey the same CHILD_SA at once. The answer's nonce decides which new
 * CHILD_SA is redundant: with a zero nonce ours is lowest, so the responder deletes its own
 * new one and leaves the old to the peer; with an all-ones nonce (and the rest as the
 * deterministic randomness has them) the other way round. */
static void collision(bool we_lose)
{
	struct fx *f = fx_new();
	struct ini_cc cc = { 0 };
	struct ike_child_keys ck;
	struct our_req q;
	uint8_t nr[32], req2[4096];
	size_t req2_len;
	struct ike_sa *sa;
	struct ini in;
	uint32_t old_in;

	sa = establish(f, &in, we_lose ? 1300 : 1301);
	old_in = sa->child[0].spi_in;
	f->w.n = 0;
	fx_tick(f, f->now + 3600 * 1000);
	assert_int_equal(f->w.n, 1);
	read_our_req(f, &in, &q);
	/* the peer's own rekey of the same CHILD_SA crosses ours */
	cc.rekey_spi = in.esp_spi;
	assert_int_equal(create(f, &in, &cc, NULL), 0);
	assert_int_equal(sa->n_child, 2);
	assert_true(sa->child[0].rekeyed);
	memcpy(req2, f->req, f->req_len);
	req2_len = f->req_len;
	/* now the answer to ours */
	memset(nr, we_lose ? 0x00 : 0xff, sizeof(nr));
	if (!we_lose) {
		/* all-ones only wins if the peer's exchange holds the lowest nonce: make sure */
		uint8_t theirs_min = cc.ni[0] < cc.nr[0] ? cc.ni[0] : cc.nr[0];

		if (theirs_min >= q.ni[0]) {
			skip(); /* the deterministic nonces do not give this case */
			return;
		}
	}
	answer_our_req(f, &in, &q, nr, sizeof(nr), 0x7000bb01, &ck);
	assert_int_equal(sa->n_child, 3);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	if (we_lose) {
		/* we delete the CHILD_SA we just made; the old one stays for the peer to delete */
		answer_delete(f, &in, q.spi);
		assert_null(ike_sa_child_by_out(sa, 0x7000bb01));
		assert_non_null(ike_sa_child_by_out(sa, in.esp_spi));
		assert_non_null(ike_sa_child_by_out(sa, cc.spi));
	} else {
		/* we won: the old one goes as after any rekey of ours */
		answer_delete(f, &in, in.peer_esp_spi);
		assert_null(ike_sa_child_by_out(sa, in.esp_spi));
		assert_non_null(ike_sa_child_by_out(sa, 0x7000bb01));
		(void)old_in;
	}
	(void)req2;
	(void)req2_len;
	ini_cc_free(&cc);
	ini_free(&in);
	fx_free(f);
}

static void test_collision_lose(void **state)
{
	(void)state;
	collision(true);
}

static void test_collision_win(void **state)
{
	(void)state;
	collision(false);
}

/* ---- IKE SA rekeys we start ---------------------------------------------------------------- */

struct our_ike_req {
	uint32_t msg_id;
	uint64_t spi;                  /**< the responder's new SPI (SPIi of the new SA) */
	uint16_t group;
	uint8_t ni[256], ke[512];
	size_t ni_len, ke_len;
};

static void read_ike_req(struct fx *f, struct ini *in, struct our_ike_req *q)
{
	const struct ike_pl *ni, *ke;

	memset(q, 0, sizeof(*q));
	assert_int_equal(ini_open_req(in, f->w.buf, f->w.len, &f->m), 0);
	assert_int_equal(f->m.hdr.exchange, IKE_XCHG_CREATE_CHILD_SA);
	q->msg_id = f->m.hdr.msg_id;
	assert_int_equal(f->m.sa.n_prop, 1);
	assert_int_equal(f->m.sa.prop[0].proto, IKE_PROTO_IKE);
	assert_int_equal(f->m.sa.prop[0].spi_len, 8);
	for (int i = 0; i < 8; i++)
		q->spi = q->spi << 8 | f->m.sa.prop[0].spi[i];
	ni = ike_msg_find(&f->m, IKE_PL_NONCE, NULL);
	ke = ike_msg_find(&f->m, IKE_PL_KE, NULL);
	assert_non_null(ni);
	assert_non_null(ke);
	assert_null(ike_msg_find(&f->m, IKE_PL_TSI, NULL));
	q->ni_len = ni->f.data.len;
	memcpy(q->ni, ni->f.data.p, q->ni_len);
	q->group = ke->f.u16a;
	q->ke_len = ke->f.data.len;
	memcpy(q->ke, ke->f.data.p, q->ke_len);
}

/* The test initiator accepts: its SPI @p spi, nonce @p nr; @p nin gets the new SA's keys
 * (the responder being the new SA's original initiator). */
static void answer_ike_req(struct fx *f, struct ini *in, const struct our_ike_req *q,
			   const uint8_t *nr, size_t nr_len, uint64_t spi, struct ini *nin)
{
	uint16_t dh[2] = { q->group, 0 };
	struct ike_sa_pl *sa = calloc(1, sizeof(*sa));
	uint8_t inner[2048], out[2048], gir[IKE_DH_SECRET_MAX];
	struct ike_dh *dh_key = NULL;
	const uint8_t *pub;
	struct ike_bld b;
	size_t il, ol, pl, gl;

	assert_int_equal(ike_dh_new(q->group, &in->rng, &dh_key), 0);
	pub = ike_dh_pub(dh_key, &pl);
	ini_proposal(sa, in->suite.encr, in->suite.encr_bits, in->suite.prf, in->suite.integ, dh);
	sa->prop[0].spi_len = 8;
	for (int i = 0; i < 8; i++)
		sa->prop[0].spi[i] = (uint8_t)(spi >> (56 - 8 * i));
	ike_bld_init_chain(&b, inner, sizeof(inner));
	ike_bld_sa(&b, sa);
	ike_bld_data(&b, IKE_PL_NONCE, nr, nr_len);
	ike_bld_ke(&b, q->group, pub, pl);
	il = ike_bld_finish(&b);
	ol = ini_seal_resp(in, IKE_XCHG_CREATE_CHILD_SA, q->msg_id, inner, il, ike_bld_first(&b),
			   out, sizeof(out));
	assert_true(ol > 0);
	ini_init(nin, in->rs.s ^ 77, q->group);
	nin->spi_i = q->spi;
	nin->spi_r = spi;
	nin->suite = in->suite;
	assert_int_equal(ike_alg_init(&nin->suite, true, &nin->alg), 0);
	assert_int_equal(ike_dh_derive(dh_key, q->ke, q->ke_len, gir, &gl), 0);
	assert_int_equal(ike_derive_rekey_keys(&nin->alg, in->suite.prf, in->keys.sk_d,
					       in->keys.d_len, q->ni, q->ni_len, nr, nr_len, gir,
					       gl, nin->spi_i, nin->spi_r, &nin->keys), 0);
	ike_dh_free(dh_key);
	f->w.n = 0;
	fx_input(f, out, ol);
	free(sa);
}

/* Answer the responder's Delete of its IKE SA @p in (any request: empty answer). */
static void answer_empty(struct fx *f, struct ini *in, bool expect_delete_ike)
{
	uint8_t out[512];
	size_t ol;

	assert_int_equal(ini_open_req(in, f->w.buf, f->w.len, &f->m), 0);
	if (expect_delete_ike) {
		const struct ike_pl *d = ike_msg_find(&f->m, IKE_PL_DELETE, NULL);

		assert_non_null(d);
		assert_int_equal(d->f.u8a, IKE_PROTO_IKE);
	}
	ol = ini_seal_resp(in, f->m.hdr.exchange, f->m.hdr.msg_id, NULL, 0, 0, out, sizeof(out));
	f->w.n = 0;
	fx_input(f, out, ol);
}

/* At the IKE lifetime the responder rekeys the IKE SA and becomes the new SA's original
 * initiator: keys equal on both sides, the session moved, the old SA deleted by us without
 * touching the dataplane; the client's requests on the new SA (no I flag, SK_er) are
 * answered with the I flag under SK_ei. */
static void test_our_ike_rekey(void **state)
{
	struct fx *f = fx_new();
	struct our_ike_req q;
	struct ike_sa *sa, *nsa;
	struct ike_child *c;
	struct ike_msg *m = &f->m;
	uint8_t nr[32], out[512], plain[512];
	struct ike_hdr h;
	struct ini in, nin;
	unsigned mark;
	size_t ol, pl;

	(void)state;
	sa = establish(f, &in, 1400);
	f->w.n = 0;
	fx_tick(f, f->now + 86400ull * 1000);
	assert_int_equal(f->w.n, 1);
	read_ike_req(f, &in, &q);
	assert_int_equal(q.group, IKE_DH_CURVE25519);
	memset(nr, 0x33, sizeof(nr));
	mark = f->dp.n;
	answer_ike_req(f, &in, &q, nr, sizeof(nr), 0xabcdef0123456789ull, &nin);
	nsa = ike_resp_find(f->r, q.spi, 0xabcdef0123456789ull);
	assert_non_null(nsa);
	assert_int_equal(ike_sa_state(nsa), IKE_SA_ESTABLISHED);
	assert_int_equal(ike_sa_state(sa), IKE_SA_REKEYED);
	assert_memory_equal(ike_sa_keys(nsa)->sk_d, nin.keys.sk_d, nin.keys.d_len);
	assert_memory_equal(ike_sa_keys(nsa)->sk_ei, nin.keys.sk_ei, nin.keys.e_len);
	assert_int_equal(nsa->n_child, 1);
	assert_int_equal(sa->n_child, 0);
	/* the SPI index names the new IKE SA as the CHILD_SA's holder */
	assert_ptr_equal(ike_spi_find_child(f->r, nsa->child[0].spi_in, &c), nsa);
	assert_ptr_equal(c, &nsa->child[0]);
	/* our Delete of the old IKE SA, answered: it goes, nothing leaves the dataplane */
	assert_int_equal(f->w.n, 1);
	answer_empty(f, &in, true);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	assert_ptr_equal(ike_spi_find_child(f->r, nsa->child[0].spi_in, &c), nsa);
	assert_int_equal(f->dp.n, mark);
	assert_int_equal(pool_used(f), 1);
	/* the client's liveness check on the new SA: no I flag, its keys are SK_er/SK_ar */
	h = (struct ike_hdr){ .spi_i = nin.spi_i, .spi_r = nin.spi_r,
			      .exchange = IKE_XCHG_INFORMATIONAL, .msg_id = 0 };
	assert_int_equal(ike_sk_seal(&nin.alg, nin.keys.sk_er, nin.keys.sk_ar, &nin.rng, &h, 0,
				     NULL, 0, out, sizeof(out), &ol), 0);
	f->w.n = 0;
	fx_input(f, out, ol);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ike_msg_parse(f->w.buf, f->w.len, m, NULL), IKE_PERR_OK);
	assert_int_equal(m->hdr.flags, IKE_HDR_F_R | IKE_HDR_F_I);
	assert_int_equal(m->hdr.msg_id, 0);
	assert_int_equal(ike_sk_open(&nin.alg, nin.keys.sk_ei, nin.keys.sk_ai, m, plain,
				     sizeof(plain), &pl), 0);
	/* and the session ends when the client deletes the new SA */
	mark = f->dp.n;
	h.flags = 0;
	h.msg_id = 1;
	{
		uint8_t inner[16];
		struct ike_bld b;
		size_t il;

		ike_bld_init_chain(&b, inner, sizeof(inner));
		ike_bld_delete(&b, IKE_PROTO_IKE, 0, NULL, 0);
		il = ike_bld_finish(&b);
		assert_int_equal(ike_sk_seal(&nin.alg, nin.keys.sk_er, nin.keys.sk_ar, &nin.rng, &h,
					     ike_bld_first(&b), inner, il, out, sizeof(out), &ol), 0);
	}
	fx_input(f, out, ol);
	assert_null(ike_resp_find(f->r, nin.spi_i, nin.spi_r));
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_DEL, mark), 2);
	assert_int_equal(pool_used(f), 0);
	ini_free(&nin);
	ini_free(&in);
	fx_free(f);
}

/* The client answers our IKE SA rekey with INVALID_KE_PAYLOAD naming another of our groups:
 * the next tick proposes that group, and the new IKE SA uses it. */
static void test_our_ike_rekey_ke(void **state)
{
	struct fx *f = fx_new();
	uint8_t inner[64], out[512], nr[32], g[2] = { IKE_DH_ECP256 >> 8, IKE_DH_ECP256 & 0xff };
	struct our_ike_req q;
	struct ike_sa *nsa;
	struct ike_bld b;
	struct ini in, nin;
	size_t il, ol;

	(void)state;
	establish(f, &in, 1450);
	f->w.n = 0;
	fx_tick(f, f->now + 86400ull * 1000);
	read_ike_req(f, &in, &q);
	assert_int_equal(q.group, IKE_DH_CURVE25519);
	ike_bld_init_chain(&b, inner, sizeof(inner));
	ike_bld_notify(&b, 0, NULL, 0, IKE_N_INVALID_KE_PAYLOAD, g, 2);
	il = ike_bld_finish(&b);
	ol = ini_seal_resp(&in, IKE_XCHG_CREATE_CHILD_SA, q.msg_id, inner, il, ike_bld_first(&b),
			   out, sizeof(out));
	f->w.n = 0;
	fx_input(f, out, ol);
	assert_int_equal(f->w.n, 0);
	fx_tick(f, f->now + 86400ull * 1000 + 1000);
	assert_int_equal(f->w.n, 1);
	read_ike_req(f, &in, &q);
	assert_int_equal(q.msg_id, 1);
	assert_int_equal(q.group, IKE_DH_ECP256);
	memset(nr, 0x44, sizeof(nr));
	answer_ike_req(f, &in, &q, nr, sizeof(nr), 0x0badcafe0badcafeull, &nin);
	nsa = ike_resp_find(f->r, q.spi, 0x0badcafe0badcafeull);
	assert_non_null(nsa);
	assert_int_equal(ike_sa_alg(nsa)->s.dh, IKE_DH_ECP256);
	assert_memory_equal(ike_sa_keys(nsa)->sk_d, nin.keys.sk_d, nin.keys.d_len);
	ini_free(&nin);
	ini_free(&in);
	fx_free(f);
}

/* §2.8.2: the client rekeys the IKE SA while our rekey is in flight. With a zero nonce in
 * our exchange ours is redundant: we delete our new SA and the session stays on the
 * client's; with an all-ones nonce (when the client's exchange then holds the lowest) the
 * session moves to ours and we delete the old one. */
static void ike_collision(bool we_lose)
{
	struct fx *f = fx_new();
	struct ini_cc cc = { .ike = true, .new_spi_i = 0x5555666677778888ull,
			     .ke_group = IKE_DH_CURVE25519 };
	struct our_ike_req q;
	struct ike_sa *sa, *psa, *nsa;
	uint8_t nr[32];
	struct ini in, nin, pin;

	sa = establish(f, &in, we_lose ? 1500 : 1501);
	f->w.n = 0;
	fx_tick(f, f->now + 86400ull * 1000);
	assert_int_equal(f->w.n, 1);
	read_ike_req(f, &in, &q);
	/* the client's rekey crosses ours and is answered */
	assert_int_equal(create(f, &in, &cc, &pin), 0);
	psa = ike_resp_find(f->r, cc.new_spi_i, cc.new_spi_r);
	assert_non_null(psa);
	assert_int_equal(ike_sa_state(sa), IKE_SA_REKEYED);
	assert_int_equal(psa->n_child, 1);
	memset(nr, we_lose ? 0x00 : 0xff, sizeof(nr));
	if (!we_lose) {
		uint8_t theirs = cc.ni[0] < cc.nr[0] ? cc.ni[0] : cc.nr[0];

		if (theirs >= q.ni[0]) {
			skip(); /* the deterministic nonces do not give this case */
			return;
		}
	}
	answer_ike_req(f, &in, &q, nr, sizeof(nr), 0x1111222233334444ull, &nin);
	nsa = ike_resp_find(f->r, q.spi, 0x1111222233334444ull);
	assert_non_null(nsa);
	assert_int_equal(f->w.n, 1);
	if (we_lose) {
		assert_int_equal(nsa->n_child, 0);
		assert_int_equal(psa->n_child, 1);
		/* our Delete goes on our new SA (we are its original initiator: SK_ei) */
		assert_int_equal(ike_msg_parse(f->w.buf, f->w.len, &f->m, NULL), IKE_PERR_OK);
		assert_int_equal(f->m.hdr.spi_i, q.spi);
		assert_int_equal(f->m.hdr.flags, IKE_HDR_F_I);
	} else {
		assert_int_equal(nsa->n_child, 1);
		assert_int_equal(psa->n_child, 0);
		assert_int_equal(ike_sa_state(psa), IKE_SA_REKEYED);
		/* we delete the old SA */
		answer_empty(f, &in, true);
		assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	}
	assert_int_equal(pool_used(f), 1);
	ini_cc_free(&cc);
	ini_free(&pin);
	ini_free(&nin);
	ini_free(&in);
	fx_free(f);
}

static void test_ike_collision_lose(void **state)
{
	(void)state;
	ike_collision(true);
}

static void test_ike_collision_win(void **state)
{
	(void)state;
	ike_collision(false);
}

/* ---- the index of inbound CHILD_SA SPIs ------------------------------------------------------ */

/* ike_spi_in_use() against a plain list while SPIs come and go: clustered values (so that
 * deletions shift entries back, across the end of the table too), growth, duplicates; then
 * the CHILD_SAs of sessions: added, moved by an IKE SA rekey, removed; the session's address
 * (ike_addr_holder()) with them. */
static void test_spi_index(void **state)
{
	struct fx *f = fx_new();
	static uint32_t have[3000];
	unsigned n = 0, x = 12345;
	struct ini_cc cc = { .ike = true, .new_spi_i = 0x6677889900aabbccull,
			     .ke_group = IKE_DH_CURVE25519 };
	struct ike_sa *sa, *nsa;
	struct ike_child *held;
	struct ini in, nin;
	uint32_t spi_in, said_out;
	uint8_t addr[4];

	(void)state;
	for (unsigned round = 0; round < 20000; round++) {
		x = x * 1103515245u + 12345u;
		/* few distinct values, many collisions: 256..1279 */
		uint32_t v = 256 + (x >> 16) % 1024;

		if (n < 3000 && ((x >> 8) & 3) != 0) {
			ike_child_index_add(f->r, &(struct ike_child){ .spi_in = v }, NULL);
			have[n++] = v;
		} else if (n) {
			unsigned k = (x >> 4) % n;

			ike_child_index_del(f->r, &(struct ike_child){ .spi_in = have[k] });
			have[k] = have[--n];
		}
		if (round % 97 == 0)
			for (uint32_t c = 256; c < 1300; c++) {
				bool in_list = false;

				for (unsigned i = 0; i < n && !in_list; i++)
					in_list = have[i] == c;
				assert_int_equal(ike_spi_in_use(f->r, c), in_list);
			}
	}
	while (n)
		ike_child_index_del(f->r, &(struct ike_child){ .spi_in = have[--n] });
	for (uint32_t c = 256; c < 1300; c++)
		assert_false(ike_spi_in_use(f->r, c));
	/* sessions */
	sa = establish(f, &in, 2400);
	spi_in = sa->child[0].spi_in;
	said_out = sa->child[0].sa_id_out;
	assert_true(sa->lease4.held);
	memcpy(addr, sa->lease4.addr, 4);
	assert_ptr_equal(ike_addr_holder(f->r, 4, addr, NULL), sa);
	assert_true(ike_spi_in_use(f->r, spi_in));
	assert_ptr_equal(ike_said_find_child(f->r, said_out, &held), sa);
	assert_int_equal(create(f, &in, &cc, &nin), 0);
	nsa = ike_resp_find(f->r, cc.new_spi_i, cc.new_spi_r);
	assert_non_null(nsa);
	assert_int_equal(nsa->child[0].spi_in, spi_in);
	assert_true(ike_spi_in_use(f->r, spi_in)); /* moved, still ours */
	assert_ptr_equal(ike_addr_holder(f->r, 4, addr, NULL), nsa); /* the address too */
	assert_false(sa->lease4.held);
	assert_ptr_equal(ike_spi_find_child(f->r, spi_in, &held), nsa); /* held by the new SA */
	assert_ptr_equal(held, &nsa->child[0]);
	/* the dataplane ids of both directions name the same CHILD_SA, in the new IKE SA */
	assert_ptr_equal(ike_said_find_child(f->r, nsa->child[0].sa_id_in, &held), nsa);
	assert_ptr_equal(held, &nsa->child[0]);
	assert_ptr_equal(ike_said_find_child(f->r, said_out, &held), nsa);
	assert_ptr_equal(held, &nsa->child[0]);
	assert_null(ike_said_find_child(f->r, said_out + 1000, &held));
	assert_null(held);
	f->req_len = ini_build_info(&in, IKE_PROTO_IKE, 0, f->req, sizeof(f->req));
	send_req(f); /* the old IKE SA goes: it holds nothing */
	assert_true(ike_spi_in_use(f->r, spi_in));
	assert_non_null(ike_addr_holder(f->r, 4, addr, NULL));
	assert_ptr_equal(ike_said_find_child(f->r, said_out, &held), nsa);
	f->req_len = ini_build_info(&nin, IKE_PROTO_IKE, 0, f->req, sizeof(f->req));
	send_req(f);
	assert_false(ike_spi_in_use(f->r, spi_in));
	assert_null(ike_said_find_child(f->r, said_out, &held));
	assert_null(ike_addr_holder(f->r, 4, addr, NULL));
	ini_cc_free(&cc);
	ini_free(&nin);
	ini_free(&in);
	fx_free(f);
}

/* ---- waiting for the workers (run with a pool only) ------------------------------------------ */

static unsigned pending(const struct fx *f)
{
	return f->wp ? wp_pending(f->wp) : 0;
}

/* A CREATE_CHILD_SA with PFS waits for its DH: nothing installed, no answer; its
 * retransmission meanwhile starts no second job (in_progress); then the answer as usual. */
static void test_async_child_pfs(void **state)
{
	struct fx *f = fx_new();
	struct ini_cc cc = { .pfs_group = IKE_DH_ECP256, .ke_group = IKE_DH_ECP256 };
	struct ike_resp_stats st;
	struct ike_sa *sa;
	struct ini in;
	unsigned mark;

	(void)state;
	sa = establish(f, &in, 2000);
	mark = f->dp.n;
	f->hold = true;
	f->req_len = ini_build_create(&in, &cc, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(pending(f), 1);
	assert_int_equal(f->w.n, 0);
	assert_int_equal(f->dp.n, mark);
	send_req(f); /* retransmitted while the worker computes */
	assert_int_equal(pending(f), 1);
	assert_int_equal(f->w.n, 0);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.in_progress, 1);
	fx_pump(f);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_ADD, mark), 2);
	assert_int_equal(f->w.n, 0); /* waits for the dataplane now */
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_create(&in, &cc, f->w.buf, f->w.len, &f->m, NULL), 0);
	assert_true(cc.pfs);
	check_child_keys(f, mark, &cc);
	assert_int_equal(sa->n_child, 2);
	ini_cc_free(&cc);
	ini_free(&in);
	fx_free(f);
}

/* The IKE SA goes (operator, DPD) while the DH of the peer's CHILD_SA rekey runs: the
 * result is dropped, nothing is installed, answered or left behind; the responder goes
 * while the DH of the peer's IKE SA rekey runs: the same. */
static void test_async_sa_gone(void **state)
{
	struct fx *f = fx_new();
	struct ini_cc cc = { .pfs_group = IKE_DH_CURVE25519, .ke_group = IKE_DH_CURVE25519 };
	struct ini_cc ike = { .ike = true, .new_spi_i = 0x2233445566778899ull,
			      .ke_group = IKE_DH_ECP256 };
	struct ike_resp_stats st;
	struct ike_sa *sa;
	struct ini in, in2;
	unsigned mark, sent;

	(void)state;
	sa = establish(f, &in, 2100);
	f->hold = true;
	cc.rekey_spi = in.esp_spi;
	f->req_len = ini_build_create(&in, &cc, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(pending(f), 1);
	mark = f->dp.n;
	ike_sa_delete(f->r, sa, true);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	sent = f->w.n;
	fx_pump(f);
	assert_int_equal(f->w.n, sent);
	assert_int_equal(fdp_count(&f->dp, RP_MSG_SA_ADD, mark), 0);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.sas, 0);
	assert_int_equal(pool_used(f), 0);
	/* a peer's IKE SA rekey waiting for its DH when the responder is destroyed */
	f->hold = false;
	establish(f, &in2, 2101);
	f->hold = true;
	f->req_len = ini_build_create(&in2, &ike, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(pending(f), 1);
	assert_int_equal(f->w.n, 0);
	ike_resp_destroy(f->r);
	f->r = NULL;
	assert_int_equal(fdp_complete(&f->dp, 0), 0);
	ini_cc_free(&cc);
	ini_cc_free(&ike);
	ini_free(&in);
	ini_free(&in2);
	fx_free(f); /* the pool hands the cancelled job back: freed, unread */
}

/* Our rekey of a CHILD_SA with PFS: its key pair is made on a worker (no request until
 * then, no second rekey started by another tick), the answer's g^ir too (nothing installed
 * until then); the keys agree with the peer's; the old CHILD_SA goes. Then the IKE SA goes
 * while the key pair of the next rekey is being made. */
static void test_async_our_rekey(void **state)
{
	struct fx *f = fx_new();
	struct ini_cc pfs = { .pfs_group = IKE_DH_ECP256, .ke_group = IKE_DH_ECP256 };
	struct ike_child_keys ck;
	const struct rp_msg *sin, *sout;
	struct our_req q;
	uint8_t nr[32];
	struct ike_sa *sa;
	struct ini in;
	unsigned mark;
	uint64_t t;

	(void)state;
	sa = establish(f, &in, 2200);
	/* a CHILD_SA with PFS, then the peer deletes the one of IKE_AUTH */
	assert_int_equal(create(f, &in, &pfs, NULL), 0);
	f->req_len = ini_build_info(&in, IKE_PROTO_ESP, in.esp_spi, f->req, sizeof(f->req));
	send_req(f);
	fdp_complete(&f->dp, 0);
	assert_int_equal(sa->n_child, 1);
	assert_int_equal(sa->child[0].esp.dh, IKE_DH_ECP256);
	f->hold = true;
	f->w.n = 0;
	t = f->now + 3600 * 1000;
	fx_tick(f, t);
	assert_int_equal(pending(f), 1); /* our key pair */
	assert_int_equal(f->w.n, 0);
	assert_true(sa->child[0].rekeying);
	fx_tick(f, t + 1000);
	assert_int_equal(pending(f), 1); /* no second one */
	fx_pump(f);
	assert_int_equal(f->w.n, 1);
	read_our_req(f, &in, &q);
	assert_int_equal(q.esp.dh, IKE_DH_ECP256);
	assert_int_equal(q.rekey_spi, pfs.peer_spi);
	memset(nr, 0x42, sizeof(nr));
	mark = f->dp.n;
	answer_our_req(f, &in, &q, nr, sizeof(nr), 0x7000ee01, &ck);
	assert_int_equal(pending(f), 1); /* g^ir */
	assert_int_equal(f->dp.n, mark);
	fx_pump(f);
	sin = fdp_find(&f->dp, RP_MSG_SA_ADD, mark, 0);
	sout = fdp_find(&f->dp, RP_MSG_SA_ADD, mark, 1);
	assert_non_null(sin);
	assert_non_null(sout);
	assert_int_equal(ntohl(sin->u.sa.spi), q.spi);
	assert_memory_equal(sin->u.sa.enc_key, ck.er, sin->u.sa.enc_key_len);
	assert_memory_equal(sout->u.sa.enc_key, ck.ei, sout->u.sa.enc_key_len);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	answer_delete(f, &in, pfs.peer_spi);
	assert_int_equal(sa->n_child, 1);
	assert_int_equal(sa->child[0].spi_out, 0x7000ee01);
	assert_true(ike_spi_in_use(f->r, q.spi));
	assert_false(ike_spi_in_use(f->r, pfs.peer_spi));
	/* the next rekey of it: the IKE SA goes while its key pair is being made */
	sa->child[0].rekey_ms = t + 2000;
	f->w.n = 0;
	fx_tick(f, t + 2000);
	assert_int_equal(pending(f), 1);
	ike_sa_delete(f->r, sa, true);
	fx_pump(f);
	assert_int_equal(f->w.n, 0);
	assert_false(ike_spi_in_use(f->r, q.spi));
	ini_cc_free(&pfs);
	ini_free(&in);
	fx_free(f);
}

/* Our IKE SA rekey: the key pair on a worker, then the request; g^ir of the answer on a
 * worker, then the new IKE SA; the responder destroyed while that runs leaves nothing. */
static void test_async_our_ike_rekey(void **state)
{
	struct fx *f = fx_new();
	struct our_ike_req q;
	uint8_t nr[32];
	struct ike_sa *sa;
	struct ini in, nin;

	(void)state;
	sa = establish(f, &in, 2300);
	f->hold = true;
	f->w.n = 0;
	fx_tick(f, f->now + 86400ull * 1000);
	assert_int_equal(pending(f), 1);
	assert_int_equal(f->w.n, 0);
	assert_true(sa->ike_rekeying);
	fx_pump(f);
	assert_int_equal(f->w.n, 1);
	read_ike_req(f, &in, &q);
	memset(nr, 0x55, sizeof(nr));
	answer_ike_req(f, &in, &q, nr, sizeof(nr), 0x0123456789abcdefull, &nin);
	assert_int_equal(pending(f), 1);
	assert_null(ike_resp_find(f->r, q.spi, 0x0123456789abcdefull));
	assert_true(sa->ike_rekeying); /* no second one meanwhile */
	ike_resp_destroy(f->r);
	f->r = NULL;
	ini_free(&nin);
	ini_free(&in);
	fx_free(f);
}

/* The workers' queue is full: a CREATE_CHILD_SA with PFS is dropped without an answer
 * (crypto_busy) and leaves the SA as it was; its retransmission, once there is room, is
 * answered. */
static atomic_int g_release;

static void block_work(void *arg)
{
	(void)arg;
	while (!atomic_load(&g_release))
		usleep(1000);
}

static void block_done(void *arg, bool ok)
{
	(void)arg;
	(void)ok;
}

static void test_async_queue_full(void **state)
{
	struct fx *f;
	struct ini_cc cc = { .pfs_group = IKE_DH_CURVE25519, .ke_group = IKE_DH_CURVE25519 };
	struct ike_resp_stats st;
	struct ike_sa *sa;
	struct ini in;
	unsigned mark;

	(void)state;
	g_queue = 1;
	f = fx_new();
	g_queue = 64;
	sa = establish(f, &in, 2500);
	atomic_store(&g_release, 0);
	assert_int_equal(wp_submit(f->wp, block_work, block_done, NULL), 0);
	f->hold = true;
	mark = f->dp.n;
	f->req_len = ini_build_create(&in, &cc, f->req, sizeof(f->req));
	send_req(f);
	assert_int_equal(f->w.n, 0);
	assert_int_equal(f->dp.n, mark);
	assert_null(sa->task);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.crypto_busy, 1);
	atomic_store(&g_release, 1);
	fx_pump(f);
	send_req(f); /* the peer retransmits */
	assert_int_equal(pending(f), 1);
	fx_pump(f);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_create(&in, &cc, f->w.buf, f->w.len, &f->m, NULL), 0);
	assert_true(cc.pfs);
	check_child_keys(f, mark, &cc);
	ini_cc_free(&cc);
	ini_free(&in);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_child),
		cmocka_unit_test(test_wrong_ke),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_retransmit),
		cmocka_unit_test(test_child_rekey),
		cmocka_unit_test(test_child_rekey_dp_refused),
		cmocka_unit_test(test_ike_rekey),
		cmocka_unit_test(test_ike_rekey_initial_contact),
		cmocka_unit_test(test_ike_rekey_ke),
		cmocka_unit_test(test_req_basic),
		cmocka_unit_test(test_req_timeout),
		cmocka_unit_test(test_req_queue),
		cmocka_unit_test(test_our_child_rekey),
		cmocka_unit_test(test_crossed_delete),
		cmocka_unit_test(test_destroy_during_rekey),
		cmocka_unit_test(test_lifetime_event),
		cmocka_unit_test(test_collision_lose),
		cmocka_unit_test(test_collision_win),
		cmocka_unit_test(test_our_ike_rekey),
		cmocka_unit_test(test_our_ike_rekey_ke),
		cmocka_unit_test(test_ike_collision_lose),
		cmocka_unit_test(test_ike_collision_win),
		cmocka_unit_test(test_spi_index),
	};
	const struct CMUnitTest async_tests[] = {
		cmocka_unit_test(test_async_child_pfs),
		cmocka_unit_test(test_async_sa_gone),
		cmocka_unit_test(test_async_our_rekey),
		cmocka_unit_test(test_async_our_ike_rekey),
		cmocka_unit_test(test_async_queue_full),
	};

	int fails;

	/* inline first (it records the transcripts), then on two worker threads */
	g_threads = 0;
	fails = cmocka_run_group_tests_name("inline", tests, NULL, NULL);
	g_threads = 2;
	g_compare = true;
	fails += cmocka_run_group_tests_name("workpool", tests, NULL, NULL);
	g_compare = false;
	fails += cmocka_run_group_tests_name("workpool_waits", async_tests, NULL, NULL);
	return fails;
}
