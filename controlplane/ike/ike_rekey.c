/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * CHILD_SA rekeys we start (RFC 7296 §1.3.3, §2.8), when the client has not rekeyed first:
 * at ike_resp_cfg.child_lifetime, or when the dataplane reports the soft volume limit of
 * one of its SAs (LIFETIME, ike_resp_lifetime()).
 *
 *   request   N(REKEY_SA, our inbound SPI of the old CHILD_SA), SA (the old CHILD_SA's suite,
 *             our new SPI, its DH group if it had PFS), Ni, [KEi], TSi (our side), TSr (the
 *             client's addresses) through ike_req.h.
 *   response  the new pair is installed (SA_ADD in, SA_ADD out, the route switched with
 *             ROUTE_ADD) and joins the IKE SA at once (so an IKE SA rekey moves it too); once
 *             the dataplane has acknowledged, the old CHILD_SA is deleted: INFORMATIONAL
 *             Delete of its inbound SPI, then removed from the dataplane.
 *   failure   (error notify, no answer, dataplane refusal): the old CHILD_SA stays; we try
 *             again after IKE_REKEY_RETRY_MS.
 *
 * Collisions (§2.8.1): if the peer rekeys the same CHILD_SA while our request is in flight,
 * both exchanges complete; of the four nonces, the lowest marks the redundant new CHILD_SA,
 * which its creator deletes. If that is ours we delete it (and leave the old one to the
 * peer), else we delete the old one as usual and the peer deletes its new one.
 *
 * IKE SA rekeys (§1.3.2, §2.18) we start at ike_resp_cfg.ike_lifetime if the client has
 * not rekeyed first: SA (our suite, our new SPI), Ni, KEi; on the answer a new IKE SA with
 * us as the original initiator (SPIi ours, I flag, SK_ei/SK_ai for what we send) takes over
 * the session (ike_sa_move_session()), and we delete the old one (its Delete uninstalls
 * nothing). Collision (§2.8.2): if the client rekeyed the same IKE SA meanwhile, the new
 * IKE SA of the exchange holding the lowest of the four nonces is redundant: if it is ours
 * we delete it (the client deletes the old one); else the session moves from the client's
 * new IKE SA to ours, and we delete the old one (the client deletes its redundant one).
 * INVALID_KE_PAYLOAD naming another group of ours: the next tick proposes that group.
 *
 * Diffie-Hellman (PFS of a CHILD_SA rekey, every IKE SA rekey) runs on the worker pool
 * (ike_dhjob_run()): our key pair before the request leaves, g^ir when the answer is in;
 * the random values are drawn on the loop when the rekey starts. Meanwhile the CHILD_SA
 * stays marked rekeying (the IKE SA ike_rekeying), so no second rekey starts; the
 * CHILD_SA and IKE SA are looked up again by SPI when the worker is done, since either may
 * have gone or moved. Without a pool, inline.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/cursor.h"
#include "common/log.h"
#include "controlplane/ike/ike_priv.h"
#include "controlplane/ike/ike_req.h"

#define DEF_CHILD_LIFETIME 3600u
#define DEF_IKE_LIFETIME 86400u
#define IKE_REKEY_RETRY_MS 60000u

/* One CHILD_SA rekey we started. It is in r->rekeys from start to end (so that
 * ike_resp_destroy() finds those waiting for a worker or the dataplane); the IKE SA and
 * the CHILD_SA are looked up again by SPI after every wait, since either may have gone or
 * moved (IKE SA rekey) meanwhile. */
struct rekey {
	struct rekey *next;           /**< in r->rekeys */
	struct ike_resp *r;
	uint32_t old_in, old_out;     /**< the CHILD_SA being replaced */
	struct ike_child c;           /**< the new one (spi_out, sa ids filled on the answer) */
	uint8_t ni[IKE_NONCE_LEN];
	struct ike_dh *dh;
	struct ike_dhjob *job;        /**< PFS: our key pair, then g^ir, on a worker */
	const char *why;              /**< for the log: "due", "lifetime reached" */
	/* the IKE SA of the exchange (its SK_d derives the keys) and the answer, kept for
	 * after the DH */
	uint64_t sa_spi_i, sa_spi_r;
	uint16_t prf;
	uint8_t sk_d[IKE_PRF_MAX];
	size_t d_len;
	uint8_t nr[256];
	size_t nr_len;
	unsigned dp_pending;
	int dp_status;
	bool lost;                    /**< §2.8.1: our new CHILD_SA is the redundant one */
};

static void rekey_free(struct rekey *k)
{
	for (struct rekey **p = &k->r->rekeys; *p; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	ike_dhjob_drop(k->r, k->job);
	ike_dh_free(k->dh);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

/* The IKE SA holding the CHILD_SA with inbound SPI @p spi_in (it may have been moved by an
 * IKE SA rekey meanwhile), and that CHILD_SA. */
static void retry_later(struct ike_resp *r, uint32_t spi_in)
{
	struct ike_child *c;

	if (ike_spi_find_child(r, spi_in, &c)) {
		c->rekeying = false;
		c->rekey_ms = r->now_ms + IKE_REKEY_RETRY_MS;
	}
}

/* ---- deleting a CHILD_SA ---------------------------------------------------------------- */

static bool build_delete(struct ike_bld *b, void *arg)
{
	uint8_t spi[4];

	rp_put_be32(spi, (uint32_t)(uintptr_t)arg);
	return ike_bld_delete(b, IKE_PROTO_ESP, 4, spi, 1);
}

/* The peer answered our Delete (or not): the CHILD_SA goes from the dataplane either way. */
static void delete_done(struct ike_resp *r, struct ike_sa *sa, const struct ike_msg *resp,
			void *arg)
{
	uint32_t spi_in = (uint32_t)(uintptr_t)arg;
	struct ike_child *c;

	if (!resp)
		return; /* the IKE SA goes: it takes the CHILD_SA with it */
	for (unsigned i = 0; i < sa->n_child; i++)
		if (sa->child[i].spi_in == spi_in) {
			c = &sa->child[i];
			RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: CHILD_SA %08x_i %08x_o deleted",
				(unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
				c->spi_in, c->spi_out);
			ike_sa_child_remove(r, sa, c, true);
			return;
		}
}

/* §1.4.1: Delete of the CHILD_SA with inbound SPI @p spi_in. */
static void delete_child(struct ike_resp *r, struct ike_sa *sa, uint32_t spi_in)
{
	int rc = ike_req_send(r, sa, IKE_XCHG_INFORMATIONAL, build_delete, delete_done,
			      (void *)(uintptr_t)spi_in);
	char nm[64];

	for (unsigned i = 0; !rc && i < sa->n_child; i++)
		if (sa->child[i].spi_in == spi_in)
			sa->child[i].deleting = true;
	if (rc)
		RP_WARN("ike", "%s: cannot send the Delete of CHILD_SA %08x_i: %s",
			ike_sa_name(sa, nm, sizeof(nm)), spi_in, strerror(-rc));
}

/* ---- the rekey exchange ------------------------------------------------------------------ */

static bool build_rekey(struct ike_bld *b, void *arg)
{
	struct rekey *k = arg;
	struct ike_resp *r = k->r;
	static const struct rp_prefix any[2] = { { .af = 4 }, { .af = 6 } };
	const struct rp_prefix *loc = r->cfg.n_local_ts ? r->cfg.local_ts : any;
	unsigned n_loc = r->cfg.n_local_ts ? r->cfg.n_local_ts : 2, x = 0;
	struct ike_sa_pl *sa = calloc(1, sizeof(*sa));
	struct ike_ts_pl *tsi = calloc(1, sizeof(*tsi)), *tsr = calloc(1, sizeof(*tsr));
	struct ike_child *old;
	struct ike_sa *isa = ike_spi_find_child(r, k->old_in, &old);
	uint8_t spi[4];
	bool ok = false;

	if (!sa || !tsi || !tsr || !isa)
		goto out;
	rp_put_be32(spi, k->old_in);
	ike_bld_notify(b, IKE_PROTO_ESP, spi, 4, IKE_N_REKEY_SA, NULL, 0);
	sa->n_prop = 1;
	sa->prop[0] = (struct ike_proposal){ .num = 1, .proto = IKE_PROTO_ESP, .spi_len = 4 };
	rp_put_be32(sa->prop[0].spi, k->c.spi_in);
	sa->xf[x++] = (struct ike_transform){ .type = IKE_TT_ENCR, .id = k->c.esp.encr,
					      .key_len = k->c.esp.encr_bits,
					      .has_key_len = k->c.esp.encr_bits != 0 };
	if (k->c.esp.integ != IKE_INTEG_NONE)
		sa->xf[x++] = (struct ike_transform){ .type = IKE_TT_INTEG, .id = k->c.esp.integ };
	if (k->c.esp.dh)
		sa->xf[x++] = (struct ike_transform){ .type = IKE_TT_DH, .id = k->c.esp.dh };
	sa->xf[x++] = (struct ike_transform){ .type = IKE_TT_ESN, .id = k->c.esp.esn ? 1 : 0 };
	sa->n_xf = x;
	sa->prop[0].n_xf = (uint16_t)x;
	ike_bld_sa(b, sa);
	ike_bld_data(b, IKE_PL_NONCE, k->ni, sizeof(k->ni));
	if (k->dh) {
		size_t len;
		const uint8_t *pub = ike_dh_pub(k->dh, &len);

		ike_bld_ke(b, k->c.esp.dh, pub, len);
	}
	/* TSi is the exchange initiator's side: ours; TSr the client's addresses */
	for (unsigned i = 0; i < n_loc && tsi->n < IKE_MAX_TS; i++) {
		struct ike_ts *t = &tsi->ts[tsi->n++];
		size_t al = loc[i].af == 6 ? 16 : 4;

		*t = (struct ike_ts){ .eport = 0xffff };
		t->type = loc[i].af == 6 ? IKE_TS_IPV6_RANGE : IKE_TS_IPV4_RANGE;
		for (size_t j = 0; j < al; j++) {
			unsigned bits = loc[i].plen > 8 * j ? loc[i].plen - 8 * (unsigned)j : 0;
			uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);

			t->start[j] = loc[i].addr[j] & mask;
			t->end[j] = (uint8_t)(t->start[j] | (uint8_t)~mask);
		}
	}
	for (unsigned i = 0; i < 2; i++) {
		const struct pool_lease *l = i ? &isa->lease6 : &isa->lease4;
		struct ike_ts *t;

		if (!l->held)
			continue;
		t = &tsr->ts[tsr->n++];
		*t = (struct ike_ts){ .type = l->af == 6 ? IKE_TS_IPV6_RANGE : IKE_TS_IPV4_RANGE,
				      .eport = 0xffff };
		memcpy(t->start, l->addr, l->af == 6 ? 16 : 4);
		memcpy(t->end, l->addr, l->af == 6 ? 16 : 4);
	}
	ok = tsr->n && ike_bld_ts(b, IKE_PL_TSI, tsi) && ike_bld_ts(b, IKE_PL_TSR, tsr);
out:
	free(sa);
	free(tsi);
	free(tsr);
	return ok;
}

/* Nonces compare as unsigned byte strings; a prefix is lower. */
int ike_nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : (al > bl) - (al < bl);
}

static const uint8_t *nonce_min(const uint8_t *a, size_t al, const uint8_t *b, size_t bl,
				size_t *len)
{
	if (ike_nonce_cmp(a, al, b, bl) <= 0) {
		*len = al;
		return a;
	}
	*len = bl;
	return b;
}

void ike_rekey_collision(struct ike_child *old, const uint8_t *ni, size_t ni_len,
			 const uint8_t *nr, size_t nr_len)
{
	size_t l;
	const uint8_t *m = nonce_min(ni, ni_len, nr, nr_len, &l);

	old->coll_len = (uint8_t)(l < sizeof(old->coll_nonce) ? l : sizeof(old->coll_nonce));
	memcpy(old->coll_nonce, m, old->coll_len);
}

/* The dataplane acknowledged the new pair (or refused it). */
static void installed(int status, const struct dpif_reply *rep, void *arg)
{
	struct rekey *k = arg;
	struct ike_resp *r = k->r;
	struct ike_child *nc, *old;
	struct ike_sa *sa;
	char nm[64];

	(void)rep;
	if (status && !k->dp_status)
		k->dp_status = status;
	if (--k->dp_pending)
		return;
	sa = ike_spi_find_child(r, k->c.spi_in, &nc);
	if (!sa || sa->state != IKE_SA_ESTABLISHED) {
		rekey_free(k); /* the session went meanwhile */
		return;
	}
	ike_spi_find_child(r, k->old_in, &old);
	if (k->dp_status) {
		RP_WARN("ike", "%s: dataplane refused the CHILD_SA of our rekey (%s): deleting it, "
			"keeping %08x_i", ike_sa_name(sa, nm, sizeof(nm)), strerror(-k->dp_status),
			k->old_in);
		nc->rekeyed = true; /* not current; its route goes back to the old one */
		if (old)
			old->rekeyed = false;
		ike_sa_child_remove(r, sa, nc, true);
		delete_child(r, sa, k->c.spi_in);
		retry_later(r, k->old_in);
	} else if (k->lost) {
		RP_INFO("ike", "%s: CHILD_SA rekey collision: ours (%08x_i) has the lowest nonce, "
			"deleting it", ike_sa_name(sa, nm, sizeof(nm)), k->c.spi_in);
		delete_child(r, sa, k->c.spi_in);
	} else if (old) {
		RP_INFO("ike", "%s: CHILD_SA %08x_i %08x_o rekeyed by us, new %08x_i %08x_o",
			ike_sa_name(sa, nm, sizeof(nm)), old->spi_in, old->spi_out, nc->spi_in,
			nc->spi_out);
		old->rekeying = false;
		delete_child(r, sa, k->old_in);
	}
	rekey_free(k);
}

static void install_send(struct rekey *k, uint16_t type, const void *p, size_t len)
{
	struct ike_resp *r = k->r;
	int rc = r->dp.send(r->dp.ctx, type, p, len, installed, k);

	if (rc) {
		if (!k->dp_status)
			k->dp_status = rc;
	} else {
		k->dp_pending++;
	}
}

static void rekey_finish(struct rekey *k);

/* On the loop: the worker made g^ir (or failed). */
static void rekey_dh_done(struct ike_dhjob *j)
{
	rekey_finish(j->owner);
}

/* The answer to our CREATE_CHILD_SA. */
static void rekey_done(struct ike_resp *r, struct ike_sa *sa, const struct ike_msg *resp,
		       void *arg)
{
	struct rekey *k = arg;
	const struct ike_pl *n, *nr, *ke;
	const struct ike_proposal *pr;
	char nm[64];
	int rc;

	if (!resp) {
		if (sa->state == IKE_SA_ESTABLISHED)
			retry_later(r, k->old_in);
		rekey_free(k);
		return;
	}
	for (n = NULL; (n = ike_msg_find(resp, IKE_PL_NOTIFY, n));)
		if (n->f.u16a <= IKE_N_ERROR_MAX) {
			RP_NOTICE("ike", "%s: our rekey of CHILD_SA %08x_i refused: %s, "
				  "retrying in %u s", ike_sa_name(sa, nm, sizeof(nm)), k->old_in,
				  ike_notify_name(n->f.u16a), IKE_REKEY_RETRY_MS / 1000);
			goto retry;
		}
	nr = ike_msg_find(resp, IKE_PL_NONCE, NULL);
	ke = ike_msg_find(resp, IKE_PL_KE, NULL);
	pr = resp->sa.n_prop == 1 ? &resp->sa.prop[0] : NULL;
	if (!ike_msg_find(resp, IKE_PL_SA, NULL) || !pr || pr->proto != IKE_PROTO_ESP ||
	    pr->spi_len != 4 || !nr || nr->f.data.len < 16 || nr->f.data.len > sizeof(k->nr) ||
	    (k->dh && (!ke || ke->f.u16a != k->c.esp.dh ||
		       ike_dh_check_peer(k->c.esp.dh, ke->f.data.p, ke->f.data.len)))) {
		RP_WARN("ike", "%s: unusable answer to our rekey of CHILD_SA %08x_i",
			ike_sa_name(sa, nm, sizeof(nm)), k->old_in);
		goto retry;
	}
	/* the one proposal we made, so nothing else to check than the SPI */
	k->c.spi_out = rp_get_be32(pr->spi);
	/* what the keys need, for after the DH: @p sa may go meanwhile */
	k->sa_spi_i = sa->spi_i;
	k->sa_spi_r = sa->spi_r;
	k->prf = sa->alg.s.prf;
	k->d_len = sa->keys.d_len;
	memcpy(k->sk_d, sa->keys.sk_d, k->d_len);
	k->nr_len = nr->f.data.len;
	memcpy(k->nr, nr->f.data.p, k->nr_len);
	if (!k->dh) {
		rekey_finish(k);
		return;
	}
	/* PFS: g^ir on a worker, with the key pair of our request */
	k->job = ike_dhjob_new(k->c.esp.dh);
	if (!k->job || ke->f.data.len > sizeof(k->job->peer))
		goto gone;
	k->job->dh = k->dh;
	k->dh = NULL;
	memcpy(k->job->peer, ke->f.data.p, ke->f.data.len);
	k->job->peer_len = ke->f.data.len;
	k->job->owner = k;
	k->job->done = rekey_dh_done;
	rc = ike_dhjob_run(r, k->job);
	if (rc == 1)
		rekey_finish(k);
	if (rc >= 0)
		return;
	RP_LOG_RL(RP_LOG_NOTICE, "ike", "%s: answer to our rekey of CHILD_SA %08x_i dropped: %s",
		  ike_sa_name(sa, nm, sizeof(nm)), k->old_in, rc == -EAGAIN ?
		  "public-key work queue full (ike.crypto_threads busy)" : strerror(-rc));
gone:
	/* the peer made its CHILD_SA: it goes again */
	if (sa->state == IKE_SA_ESTABLISHED)
		delete_child(r, sa, k->c.spi_in);
retry:
	retry_later(r, k->old_in);
	rekey_free(k);
}

/* The answer is usable (and g^ir is there with PFS): the new CHILD_SA. */
static void rekey_finish(struct rekey *k)
{
	struct ike_resp *r = k->r;
	struct ike_dhjob *j = k->job;
	struct ike_child *old;
	/* the IKE SA of the exchange (its Delete, if any, goes there), and where the CHILD_SA
	 * is now: an IKE SA rekey may have moved it off the former */
	struct ike_sa *sa = ike_resp_find(r, k->sa_spi_i, k->sa_spi_r);
	struct ike_sa *isa = ike_spi_find_child(r, k->old_in, &old);
	struct ike_child_keys ck;
	struct rp_msg_sa in, out;
	struct ike_alg esp;
	const uint8_t *lo;
	size_t lo_len;
	char nm[64];
	int rc;

	k->job = NULL;
	snprintf(nm, sizeof(nm), "IKE_SA %016llx_i %016llx_r", (unsigned long long)k->sa_spi_i,
		 (unsigned long long)k->sa_spi_r);
	if (!old || isa->state != IKE_SA_ESTABLISHED) {
		/* the peer deleted it meanwhile: what the peer just made for us goes too */
		RP_INFO("ike", "%s: CHILD_SA %08x_i went while we rekeyed it", nm, k->old_in);
		if (sa && sa->state == IKE_SA_ESTABLISHED)
			delete_child(r, sa, k->c.spi_in);
		ike_dhjob_free(j);
		rekey_free(k);
		return;
	}
	rc = j ? j->rc : 0;
	if (!rc)
		rc = ike_alg_init(&k->c.esp, false, &esp);
	if (!rc)
		rc = ike_child_keymat(k->prf, k->sk_d, k->d_len, &esp, j ? j->gir : NULL,
				      j ? j->gir_len : 0, k->ni, sizeof(k->ni), k->nr, k->nr_len,
				      &ck);
	ike_dhjob_free(j); /* wipes g^ir */
	OPENSSL_cleanse(k->sk_d, sizeof(k->sk_d));
	if (rc) {
		RP_WARN("ike", "%s: keys of our rekey of CHILD_SA %08x_i: %s", nm, k->old_in,
			strerror(-rc));
		if (sa && sa->state == IKE_SA_ESTABLISHED)
			delete_child(r, sa, k->c.spi_in);
		goto retry;
	}
	/* §2.8.1: did the peer rekey it too? The lowest of the four nonces marks the redundant
	 * new CHILD_SA, deleted by whoever created it */
	if (old->rekeyed && old->coll_len) {
		lo = nonce_min(k->ni, sizeof(k->ni), k->nr, k->nr_len, &lo_len);
		k->lost = ike_nonce_cmp(lo, lo_len < 32 ? lo_len : 32, old->coll_nonce,
				    old->coll_len) < 0;
	}
	k->c.natt = old->natt;
	k->c.sa_id_in = ike_new_sa_id(r);
	k->c.sa_id_out = ike_new_sa_id(r);
	/* the client's addresses: allowed inner sources of the inbound SA, and routes */
	k->c.n_routes = 0;
	for (unsigned i = 0; i < 2; i++) {
		const struct pool_lease *l = i ? &isa->lease6 : &isa->lease4;

		if (!l->held)
			continue;
		k->c.routes[k->c.n_routes] = (struct rp_prefix){ .af = l->af,
								.plen = l->af == 6 ? 128 : 32 };
		memcpy(k->c.routes[k->c.n_routes++].addr, l->addr, l->af == 6 ? 16 : 4);
	}
	if (!k->c.n_routes) {
		OPENSSL_cleanse(&ck, sizeof(ck));
		goto retry;
	}
	ike_child_fill(r, &k->c, true, true, &ck, &isa->peer, &isa->local, &in);
	ike_child_fill(r, &k->c, false, true, &ck, &isa->peer, &isa->local, &out);
	/* the route moves unless the old one did not carry it, or ours is the redundant one */
	if (!old->n_routes || k->lost)
		k->c.n_routes = 0;
	OPENSSL_cleanse(&ck, sizeof(ck));
	k->c.out_rec = out; /* for SA_UPDATE when the peer moves (ike_dpd.c) */
	k->c.created_ms = r->now_ms;
	k->c.rekeying = false;
	if (!r->has_dp || ike_sa_child_add(r, isa, &k->c)) {
		OPENSSL_cleanse(&in, sizeof(in));
		OPENSSL_cleanse(&out, sizeof(out));
		delete_child(r, isa, k->c.spi_in);
		goto retry;
	}
	if (k->c.n_routes)
		old->n_routes = 0;
	if (!k->lost)
		old->rekeyed = true;
	install_send(k, RP_MSG_SA_ADD, &in, sizeof(in));
	install_send(k, RP_MSG_SA_ADD, &out, sizeof(out));
	for (unsigned i = 0; i < k->c.n_routes; i++) {
		struct rp_msg_route rt = { .prefix = k->c.routes[i], .sa_id = k->c.sa_id_out };

		install_send(k, RP_MSG_ROUTE_ADD, &rt, sizeof(rt));
	}
	OPENSSL_cleanse(&in, sizeof(in));
	OPENSSL_cleanse(&out, sizeof(out));
	if (!k->dp_pending) {
		k->dp_pending = 1;
		installed(k->dp_status ? k->dp_status : -EIO, NULL, k);
	}
	return;
retry:
	retry_later(r, k->old_in);
	rekey_free(k);
}

/* Our key pair is there (or none is needed): send the request. */
static void rekey_send(struct rekey *k)
{
	struct ike_resp *r = k->r;
	struct ike_child *c;
	struct ike_sa *sa = ike_spi_find_child(r, k->old_in, &c);
	char nm[64];
	int rc;

	/* while the worker made the key pair, the CHILD_SA may have gone, or been rekeyed by
	 * the peer, or its IKE SA may have been rekeyed (it moved) or be going */
	if (!sa || sa->state != IKE_SA_ESTABLISHED || c->rekeyed || c->deleting) {
		RP_INFO("ike", "CHILD_SA %08x_i: went or replaced before our rekey of it left",
			k->old_in);
		if (c)
			c->rekeying = false;
		rekey_free(k);
		return;
	}
	rc = ike_req_send(r, sa, IKE_XCHG_CREATE_CHILD_SA, build_rekey, rekey_done, k);
	if (rc) {
		RP_WARN("ike", "%s: cannot start the rekey of CHILD_SA %08x_i: %s, retrying in %u s",
			ike_sa_name(sa, nm, sizeof(nm)), c->spi_in, strerror(-rc),
			IKE_REKEY_RETRY_MS / 1000);
		retry_later(r, k->old_in);
		rekey_free(k);
		return;
	}
	RP_INFO("ike", "%s: rekeying CHILD_SA %08x_i %08x_o (%s%s)", ike_sa_name(sa, nm, sizeof(nm)),
		c->spi_in, c->spi_out, k->why, k->dh ? ", PFS" : "");
}

/* On the loop: the worker made our key pair (or failed). */
static void rekey_key_done(struct ike_dhjob *j)
{
	struct rekey *k = j->owner;

	k->job = NULL;
	if (j->rc) {
		RP_WARN("ike", "CHILD_SA %08x_i: key pair for our rekey: %s, retrying in %u s",
			k->old_in, strerror(-j->rc), IKE_REKEY_RETRY_MS / 1000);
		ike_dhjob_free(j);
		retry_later(k->r, k->old_in);
		rekey_free(k);
		return;
	}
	k->dh = j->dh;
	j->dh = NULL;
	ike_dhjob_free(j);
	rekey_send(k);
}

/* Start the rekey of @p c: its new SPI, our nonce and (PFS) private value drawn here, the
 * key pair made on a worker, then the request. */
static void rekey_start(struct ike_resp *r, struct ike_sa *sa, struct ike_child *c,
			const char *why)
{
	struct rekey *k = calloc(1, sizeof(*k));
	char nm[64];
	int rc = -ENOMEM;

	if (!k)
		goto fail;
	k->r = r;
	k->old_in = c->spi_in;
	k->old_out = c->spi_out;
	k->c.esp = c->esp;
	k->why = why;
	k->next = r->rekeys;
	r->rekeys = k;
	/* the new SPI must not be taken by another rekey before the answer: reserve it by
	 * nothing but its randomness (2^32); ike_spi_in_use() sees it once it is added */
	if ((rc = ike_child_new_spi(r, &k->c.spi_in)) ||
	    (rc = ike_random(&r->rng, k->ni, sizeof(k->ni))))
		goto fail;
	if (c->esp.dh) {
		rc = -ENOMEM;
		k->job = ike_dhjob_new(c->esp.dh);
		if (!k->job ||
		    (rc = ike_dh_draw_priv(c->esp.dh, &r->rng, k->job->priv, &k->job->priv_len)))
			goto fail;
		k->job->owner = k;
		k->job->done = rekey_key_done;
		rc = ike_dhjob_run(r, k->job);
		if (rc < 0)
			goto fail;
		c->rekeying = true; /* from now on: no second one */
		c->coll_len = 0;
		if (rc == 0)
			return; /* rekey_key_done() goes on */
		rekey_key_done(k->job);
		return;
	}
	c->rekeying = true;
	c->coll_len = 0;
	rekey_send(k);
	return;
fail:
	RP_WARN("ike", "%s: cannot start the rekey of CHILD_SA %08x_i: %s, retrying in %u s",
		ike_sa_name(sa, nm, sizeof(nm)), c->spi_in, strerror(-rc), IKE_REKEY_RETRY_MS / 1000);
	c->rekey_ms = r->now_ms + IKE_REKEY_RETRY_MS;
	if (k)
		rekey_free(k);
}

/* ---- IKE SA rekey (§1.3.2, §2.18, §2.8.2) ------------------------------------------------ */

/* One IKE SA rekey we started: in r->ike_rekeys from start to end; the IKE SA is looked up
 * again by its SPIs after each wait for a worker. */
struct ike_rekey {
	struct ike_rekey *next;       /**< in r->ike_rekeys */
	struct ike_resp *r;
	struct ike_suite s;           /**< the new IKE SA's suite: the old one's, maybe another DH */
	struct ike_sa *sa;            /**< for build_ike_rekey() only (runs in ike_req_send()) */
	uint64_t spi;                 /**< our SPI: SPIi of the new IKE SA */
	uint8_t ni[IKE_NONCE_LEN];
	struct ike_dh *dh;
	struct ike_dhjob *job;        /**< our key pair, then g^ir, on a worker */
	uint64_t sa_spi_i, sa_spi_r;  /**< the IKE SA being rekeyed */
	/* the answer, kept for after the DH */
	uint64_t spi_r;
	uint8_t nr[256];
	size_t nr_len;
};

static void ike_rekey_free(struct ike_rekey *k)
{
	for (struct ike_rekey **p = &k->r->ike_rekeys; *p; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	ike_dhjob_drop(k->r, k->job);
	ike_dh_free(k->dh);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

static bool build_ike_rekey(struct ike_bld *b, void *arg)
{
	struct ike_rekey *k = arg;
	struct ike_sa *sa = k->sa;    /* we propose its suite again */
	struct ike_sa_pl *pl = calloc(1, sizeof(*pl));
	const uint8_t *pub;
	size_t len;
	bool ok;

	if (!pl)
		return false;
	(void)sa;
	ike_chosen_sa(&k->s, 1, k->spi, pl);
	pub = ike_dh_pub(k->dh, &len);
	ok = ike_bld_sa(b, pl) && ike_bld_data(b, IKE_PL_NONCE, k->ni, sizeof(k->ni)) &&
	     ike_bld_ke(b, k->s.dh, pub, len);
	free(pl);
	return ok;
}

static bool build_delete_ike(struct ike_bld *b, void *arg)
{
	(void)arg;
	return ike_bld_delete(b, IKE_PROTO_IKE, 0, NULL, 0);
}

/* The peer answered our Delete of a rekeyed or redundant IKE SA (or not): it goes, taking
 * nothing from the dataplane. */
static void delete_ike_done(struct ike_resp *r, struct ike_sa *sa, const struct ike_msg *resp,
			    void *arg)
{
	(void)arg;
	if (resp)
		ike_sa_delete(r, sa, false);
}

static void delete_ike(struct ike_resp *r, struct ike_sa *sa)
{
	char nm[64];
	int rc = ike_req_send(r, sa, IKE_XCHG_INFORMATIONAL, build_delete_ike, delete_ike_done,
			      NULL);

	if (rc) {
		RP_WARN("ike", "%s: cannot send its Delete (%s), deleting it", ike_sa_name(sa, nm,
			sizeof(nm)), strerror(-rc));
		ike_sa_delete(r, sa, false);
	}
}

static void ike_rekey_finish(struct ike_rekey *k);

/* On the loop: the worker made g^ir (or failed). */
static void ike_rekey_dh_done(struct ike_dhjob *j)
{
	ike_rekey_finish(j->owner);
}

static void ike_rekey_done(struct ike_resp *r, struct ike_sa *sa, const struct ike_msg *resp,
			   void *arg)
{
	struct ike_rekey *k = arg;
	const struct ike_pl *n, *nr, *ke;
	const struct ike_proposal *pr;
	char nm[64];
	int rc;

	if (!resp) {
		sa->ike_rekeying = false;
		sa->ike_rekey_ms = r->now_ms + IKE_REKEY_RETRY_MS;
		goto out;
	}
	for (n = NULL; (n = ike_msg_find(resp, IKE_PL_NOTIFY, n));) {
		uint16_t g = n->f.data.len == 2 ? (uint16_t)(n->f.data.p[0] << 8 | n->f.data.p[1]) : 0;

		if (n->f.u16a > IKE_N_ERROR_MAX)
			continue;
		/* §1.3.2: the peer wants another group: take it at once if we allow it */
		if (n->f.u16a == IKE_N_INVALID_KE_PAYLOAD && g && g != k->s.dh &&
		    ike_dh_pub_len(g) && ike_policy_allows_dh(r, sa->ike_policy, g)) {
			RP_INFO("ike", "%s: the peer wants %s for the IKE SA rekey",
				ike_sa_name(sa, nm, sizeof(nm)), ike_dh_name(g));
			sa->ike_rekeying = false;
			sa->ike_rekey_group = g;
			sa->ike_rekey_ms = r->now_ms;
			goto out;
		}
		RP_NOTICE("ike", "%s: our IKE SA rekey refused: %s, retrying in %u s",
			  ike_sa_name(sa, nm, sizeof(nm)), ike_notify_name(n->f.u16a),
			  IKE_REKEY_RETRY_MS / 1000);
		goto retry;
	}
	nr = ike_msg_find(resp, IKE_PL_NONCE, NULL);
	ke = ike_msg_find(resp, IKE_PL_KE, NULL);
	pr = resp->sa.n_prop == 1 ? &resp->sa.prop[0] : NULL;
	if (!ike_msg_find(resp, IKE_PL_SA, NULL) || !pr || pr->proto != IKE_PROTO_IKE ||
	    pr->spi_len != 8 || !nr || nr->f.data.len < 16 || nr->f.data.len > sizeof(k->nr) ||
	    !ke || ke->f.u16a != k->s.dh || ke->f.data.len > IKE_DH_PUB_MAX ||
	    ike_dh_check_peer(k->s.dh, ke->f.data.p, ke->f.data.len)) {
		RP_WARN("ike", "%s: unusable answer to our IKE SA rekey",
			ike_sa_name(sa, nm, sizeof(nm)));
		goto retry;
	}
	for (int i = 0; i < 8; i++)
		k->spi_r = k->spi_r << 8 | pr->spi[i];
	if (!k->spi_r)
		goto retry;
	k->nr_len = nr->f.data.len;
	memcpy(k->nr, nr->f.data.p, k->nr_len);
	/* g^ir on a worker; sa->ike_rekeying stays set meanwhile (no second rekey; a rekey by
	 * the peer meanwhile is a collision, §2.8.2) */
	k->job = ike_dhjob_new(k->s.dh);
	if (!k->job)
		goto retry;
	k->job->dh = k->dh;
	k->dh = NULL;
	memcpy(k->job->peer, ke->f.data.p, ke->f.data.len);
	k->job->peer_len = ke->f.data.len;
	k->job->owner = k;
	k->job->done = ike_rekey_dh_done;
	rc = ike_dhjob_run(r, k->job);
	if (rc == 1)
		ike_rekey_finish(k);
	if (rc >= 0)
		return;
	RP_LOG_RL(RP_LOG_NOTICE, "ike", "%s: answer to our IKE SA rekey dropped: %s",
		  ike_sa_name(sa, nm, sizeof(nm)), rc == -EAGAIN ?
		  "public-key work queue full (ike.crypto_threads busy)" : strerror(-rc));
retry:
	sa->ike_rekeying = false;
	sa->ike_rekey_ms = r->now_ms + IKE_REKEY_RETRY_MS;
out:
	ike_rekey_free(k);
}

/* The answer is usable and g^ir there: the new IKE SA takes over. */
static void ike_rekey_finish(struct ike_rekey *k)
{
	struct ike_resp *r = k->r;
	struct ike_dhjob *j = k->job;
	struct ike_sa *sa = ike_resp_find(r, k->sa_spi_i, k->sa_spi_r);
	struct ike_sa *nsa = NULL, *psa = NULL;
	const uint8_t *lo;
	size_t lo_len;
	bool lost = false;
	char nm[64], nm2[64];
	int rc;

	k->job = NULL;
	if (!sa) { /* it went while the worker computed */
		RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: went during its rekey",
			(unsigned long long)k->sa_spi_i, (unsigned long long)k->sa_spi_r);
		goto out;
	}
	sa->ike_rekeying = false;
	rc = j->rc;
	nsa = calloc(1, sizeof(*nsa));
	if (!rc && (!nsa || ike_alg_init(&k->s, true, &nsa->alg)))
		rc = -ENOMEM;
	if (!rc)
		rc = ike_derive_rekey_keys(&nsa->alg, sa->alg.s.prf, sa->keys.sk_d,
					   sa->keys.d_len, k->ni, sizeof(k->ni), k->nr, k->nr_len,
					   j->gir, j->gir_len, k->spi, k->spi_r, &nsa->keys);
	if (rc) {
		RP_WARN("ike", "%s: our IKE SA rekey: %s: %s, retrying in %u s",
			ike_sa_name(sa, nm, sizeof(nm)), ike_dh_name(k->s.dh), strerror(-rc),
			IKE_REKEY_RETRY_MS / 1000);
		goto retry;
	}
	/* we are the original initiator of the new IKE SA (§2.18) */
	nsa->initiator = true;
	nsa->spi_i = k->spi;
	nsa->spi_r = k->spi_r;
	nsa->ni_len = k->nr_len; /* ni: the peer's nonce, nr: ours, as for any SA */
	memcpy(nsa->ni, k->nr, nsa->ni_len);
	memcpy(nsa->nr, k->ni, sizeof(nsa->nr));
	nsa->peer = sa->peer;
	nsa->local = sa->local;
	nsa->established_ms = r->now_ms;
	nsa->created_ms = sa->created_ms;
	ike_sa_link(r, nsa);
	ike_sa_set_state(r, nsa, IKE_SA_ESTABLISHED);
	if (sa->state == IKE_SA_REKEYED) {
		/* §2.8.2: the peer rekeyed it too; the lowest of the four nonces decides */
		psa = ike_resp_find(r, sa->succ_spi_i, sa->succ_spi_r);
		lo = ike_nonce_cmp(k->ni, sizeof(k->ni), k->nr, k->nr_len) <= 0 ? k->ni : k->nr;
		lo_len = lo == k->ni ? sizeof(k->ni) : k->nr_len;
		lost = !psa || (sa->ike_coll_len &&
				ike_nonce_cmp(lo, lo_len < 32 ? lo_len : 32, sa->ike_coll_nonce,
					      sa->ike_coll_len) < 0);
		if (lost) {
			RP_INFO("ike", "%s: IKE SA rekey collision: ours (%s) is redundant, "
				"deleting it", ike_sa_name(sa, nm, sizeof(nm)), ike_sa_name(nsa, nm2, sizeof(nm2)));
			nsa->peer_id_type = sa->peer_id_type;
			delete_ike(r, nsa);
			goto out;
		}
		RP_INFO("ike", "%s: IKE SA rekey collision: ours (%s) survives, the peer's goes",
			ike_sa_name(sa, nm, sizeof(nm)), ike_sa_name(nsa, nm2, sizeof(nm2)));
		ike_sa_move_session(r, psa, nsa);
		/* empty now; the peer deletes it, else it goes like any rekeyed IKE SA */
		psa->rekeyed_ms = r->now_ms;
		ike_sa_set_state(r, psa, IKE_SA_REKEYED);
	} else {
		ike_sa_move_session(r, sa, nsa);
		sa->rekeyed_ms = r->now_ms;
		sa->succ_spi_i = nsa->spi_i;
		sa->succ_spi_r = nsa->spi_r;
		ike_sa_set_state(r, sa, IKE_SA_REKEYED);
		RP_INFO("ike", "%s rekeyed by us: now %s (%s), %u CHILD_SA%s moved",
			ike_sa_name(sa, nm, sizeof(nm)), ike_sa_name(nsa, nm2, sizeof(nm2)),
			ike_dh_name(nsa->alg.s.dh), nsa->n_child, nsa->n_child == 1 ? "" : "s");
	}
	delete_ike(r, sa); /* §2.18: the rekey's initiator deletes the old IKE SA */
	goto out;
retry:
	if (nsa)
		OPENSSL_cleanse(nsa, sizeof(*nsa));
	free(nsa);
	sa->ike_rekey_ms = r->now_ms + IKE_REKEY_RETRY_MS;
out:
	ike_dhjob_free(j); /* wipes g^ir */
	ike_rekey_free(k);
}

/* Our key pair is there: send the request. */
static void ike_rekey_send(struct ike_rekey *k)
{
	struct ike_resp *r = k->r;
	struct ike_sa *sa = ike_resp_find(r, k->sa_spi_i, k->sa_spi_r);
	char nm[64];
	int rc;

	/* the peer may have rekeyed or deleted it while the worker made the key pair */
	if (!sa || sa->state != IKE_SA_ESTABLISHED) {
		RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: went or rekeyed by the peer before our "
			"rekey of it left", (unsigned long long)k->sa_spi_i,
			(unsigned long long)k->sa_spi_r);
		if (sa)
			sa->ike_rekeying = false;
		ike_rekey_free(k);
		return;
	}
	k->sa = sa;
	rc = ike_req_send(r, sa, IKE_XCHG_CREATE_CHILD_SA, build_ike_rekey, ike_rekey_done, k);
	k->sa = NULL;
	if (rc) {
		RP_WARN("ike", "%s: cannot start the IKE SA rekey: %s, retrying in %u s",
			ike_sa_name(sa, nm, sizeof(nm)), strerror(-rc), IKE_REKEY_RETRY_MS / 1000);
		sa->ike_rekeying = false;
		sa->ike_rekey_ms = r->now_ms + IKE_REKEY_RETRY_MS;
		ike_rekey_free(k);
		return;
	}
	RP_INFO("ike", "%s: rekeying the IKE SA (lifetime reached)", ike_sa_name(sa, nm, sizeof(nm)));
}

/* On the loop: the worker made our key pair (or failed). */
static void ike_rekey_key_done(struct ike_dhjob *j)
{
	struct ike_rekey *k = j->owner;
	struct ike_sa *sa;

	k->job = NULL;
	if (j->rc) {
		RP_WARN("ike", "IKE_SA %016llx_i %016llx_r: key pair for our rekey: %s, retrying "
			"in %u s", (unsigned long long)k->sa_spi_i, (unsigned long long)k->sa_spi_r,
			strerror(-j->rc), IKE_REKEY_RETRY_MS / 1000);
		ike_dhjob_free(j);
		sa = ike_resp_find(k->r, k->sa_spi_i, k->sa_spi_r);
		if (sa) {
			sa->ike_rekeying = false;
			sa->ike_rekey_ms = k->r->now_ms + IKE_REKEY_RETRY_MS;
		}
		ike_rekey_free(k);
		return;
	}
	k->dh = j->dh;
	j->dh = NULL;
	ike_dhjob_free(j);
	ike_rekey_send(k);
}

/* Start the rekey of @p sa: our SPI, nonce and private value drawn here, the key pair made
 * on a worker, then the request. */
static void ike_rekey_start(struct ike_resp *r, struct ike_sa *sa)
{
	struct ike_rekey *k = calloc(1, sizeof(*k));
	char nm[64];
	int rc = -ENOMEM;

	if (!k)
		goto fail;
	k->r = r;
	k->next = r->ike_rekeys;
	r->ike_rekeys = k;
	k->s = sa->alg.s;
	if (sa->ike_rekey_group)
		k->s.dh = sa->ike_rekey_group;
	k->sa_spi_i = sa->spi_i;
	k->sa_spi_r = sa->spi_r;
	do {
		if ((rc = ike_random(&r->rng, &k->spi, sizeof(k->spi))))
			goto fail;
	} while (!k->spi);
	if ((rc = ike_random(&r->rng, k->ni, sizeof(k->ni))))
		goto fail;
	rc = -ENOMEM;
	k->job = ike_dhjob_new(k->s.dh);
	if (!k->job || (rc = ike_dh_draw_priv(k->s.dh, &r->rng, k->job->priv,
					      &k->job->priv_len)))
		goto fail;
	k->job->owner = k;
	k->job->done = ike_rekey_key_done;
	rc = ike_dhjob_run(r, k->job);
	if (rc < 0)
		goto fail;
	sa->ike_rekeying = true;
	sa->ike_coll_len = 0;
	if (rc == 1)
		ike_rekey_key_done(k->job);
	return;
fail:
	RP_WARN("ike", "%s: cannot start the IKE SA rekey: %s, retrying in %u s",
		ike_sa_name(sa, nm, sizeof(nm)), strerror(-rc), IKE_REKEY_RETRY_MS / 1000);
	sa->ike_rekey_ms = r->now_ms + IKE_REKEY_RETRY_MS;
	if (k)
		ike_rekey_free(k);
}

void ike_rekey_sa_tick(struct ike_resp *r, struct ike_sa *sa, uint64_t now_ms)
{
	uint64_t life = (uint64_t)(r->cfg.child_lifetime ? r->cfg.child_lifetime :
				   DEF_CHILD_LIFETIME) * 1000;
	uint64_t ike_life = (uint64_t)(r->cfg.ike_lifetime ? r->cfg.ike_lifetime :
				       DEF_IKE_LIFETIME) * 1000;

	if (sa->state != IKE_SA_ESTABLISHED || sa->task || sa->ike_rekeying)
		return;
	if (now_ms >= (sa->ike_rekey_ms ? sa->ike_rekey_ms :
		       sa->established_ms + (sa->pol_lifetime_s ? /* the profile's */
					     sa->pol_lifetime_s * 1000ull : ike_life))) {
		ike_rekey_start(r, sa);
		return;
	}
	for (unsigned i = 0; i < sa->n_child; i++) {
		struct ike_child *c = &sa->child[i];
		uint64_t due = c->rekey_ms ? c->rekey_ms : c->created_ms + life;

		if (c->rekeyed || c->rekeying || now_ms < due)
			continue;
		rekey_start(r, sa, c, c->rekey_ms ? "due" : "lifetime reached");
		break; /* one per IKE SA and tick: our window is 1 anyway */
	}
}

void ike_resp_lifetime(struct ike_resp *r, const struct rp_msg_lifetime *ev)
{
	struct ike_child *c;
	struct ike_sa *sa = ike_said_find_child(r, ev->sa_id, &c); /* a probe, not a walk */
	char nm[64];

	if (!sa)
		return; /* its CHILD_SA went meanwhile */
	RP_INFO("ike", "%s: CHILD_SA %08x_i %08x_o reached its %s %s limit (%llu bytes, %llu "
		"packets)%s", ike_sa_name(sa, nm, sizeof(nm)), c->spi_in, c->spi_out,
		ev->hard ? "hard" : "soft", ev->by_packets ? "packet" : "byte",
		(unsigned long long)ev->bytes, (unsigned long long)ev->packets,
		c->rekeyed || c->rekeying ? "" : ": rekeying it");
	/* the next tick starts it (not from inside the dataplane's callback) */
	if (!c->rekeyed && !c->rekeying)
		c->rekey_ms = r->now_ms ? r->now_ms : 1;
}

void ike_rekey_destroy_all(struct ike_resp *r)
{
	while (r->rekeys) {
		struct rekey *k = r->rekeys;

		if (k->dp_pending && r->has_dp && r->dp.cancel)
			r->dp.cancel(r->dp.ctx, k);
		rekey_free(k); /* a job on a worker is cancelled */
	}
	while (r->ike_rekeys)
		ike_rekey_free(r->ike_rekeys);
}
