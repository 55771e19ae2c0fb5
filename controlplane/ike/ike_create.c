/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * CREATE_CHILD_SA responder task (RFC 7296 §1.3, §2.8, §2.17, §2.18):
 *
 *   new CHILD_SA (§1.3.1)   SA, Ni, [KEi], TSi, TSr -> SA, Nr, [KEr], TSi, TSr. TSi is
 *                           narrowed to the addresses the client got in IKE_AUTH; keys are
 *                           prf+(SK_d, [g^ir] | Ni | Nr). At most IKE_CHILD_MAX per IKE SA
 *                           (NO_ADDITIONAL_SAS beyond).
 *   CHILD_SA rekey (§1.3.3) the same with N(REKEY_SA) naming the peer's inbound SPI of the
 *                           old CHILD_SA (CHILD_SA_NOT_FOUND if it names none of ours,
 *                           TEMPORARY_FAILURE if it is already replaced or being deleted).
 *                           Make-before-break: the new inbound and outbound SAs are added and
 *                           the client's route is switched to the new outbound SA (ROUTE_ADD
 *                           replaces atomically) before the response leaves; the old pair
 *                           stays, marked rekeyed, until the peer's Delete (ike_info.c).
 *   IKE SA rekey (§1.3.2)   SA (IKE, the peer's new SPI), Ni, KEi -> SA (our new SPI), Nr,
 *                           KEr; SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) (§2.18).
 *                           At commit the CHILD_SAs, leases, identity and counters move to
 *                           the new IKE SA, which starts with message IDs 0; the old one
 *                           becomes REKEYED and only answers INFORMATIONAL until the peer
 *                           deletes it (nothing is uninstalled then: it holds nothing).
 *
 * The Diffie-Hellman of an exchange with KE (our key pair, g^ir) runs on the worker pool
 * (ike_dhjob_run(), the private value drawn here on the loop): the task waits (NEED_MORE;
 * a retransmitted request meanwhile is absorbed, in_progress) and goes on when the worker is
 * done; an SA deleted meanwhile destroys its task, which drops the job. A full queue drops
 * the request (crypto_busy): the peer retransmits. Without a pool, inline.
 *
 * Errors are answered with one notify and leave everything as it was: INVALID_SYNTAX (no
 * SA or nonce, a bad public value), NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD (with the group
 * we want), TS_UNACCEPTABLE, CHILD_SA_NOT_FOUND, NO_ADDITIONAL_SAS, TEMPORARY_FAILURE (room
 * for the rekeyed CHILD_SA is lacking until the peer deletes older ones).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/cursor.h"
#include "common/log.h"
#include "controlplane/ike/ike_priv.h"

enum create_kind { CC_CHILD, CC_REKEY_CHILD, CC_REKEY_IKE };

struct create_task {
	struct ike_task t;
	enum create_kind kind;
	uint16_t err;                   /**< the notify to answer with, 0: success */
	uint16_t err_group;             /**< INVALID_KE_PAYLOAD: the group we want */
	uint8_t ni[256];
	size_t ni_len;
	uint8_t nr[IKE_NONCE_LEN];
	/* CHILD_SA */
	struct ike_child_req req;
	struct ike_child_new child;
	uint32_t old_spi_out;           /**< the CHILD_SA being rekeyed */
	bool dp_sent;
	unsigned dp_pending;
	int dp_status;
	/* IKE SA rekey: the new SA, linked in at commit */
	struct ike_sa *nsa;
	struct ike_dh *dh;
	uint8_t prop_num;
	bool committed;
	/* the Diffie-Hellman on a worker (ike_dhjob_run()), then cont() goes on */
	struct ike_dhjob *job;
	enum ike_task_rc (*cont)(struct create_task *c);
};

static enum ike_task_rc fail_with(struct create_task *c, uint16_t err)
{
	char nm[64];

	c->err = err;
	c->t.r->st.child_failed++;
	RP_NOTICE("ike", "%s: CREATE_CHILD_SA #%u (%s) refused: %s",
		  ike_sa_name(c->t.sa, nm, sizeof(nm)), c->t.msg_id,
		  c->kind == CC_REKEY_IKE ? "IKE SA rekey" :
		  c->kind == CC_REKEY_CHILD ? "CHILD_SA rekey" : "new CHILD_SA",
		  ike_notify_name(err));
	return IKE_TASK_DONE;
}

/* ---- CHILD_SA: installation ------------------------------------------------------------- */

static void install_failed(struct create_task *c)
{
	char nm[64];

	RP_WARN("ike", "%s: dataplane refused the new CHILD_SA (%s), answering NO_PROPOSAL_CHOSEN",
		ike_sa_name(c->t.sa, nm, sizeof(nm)), strerror(-c->dp_status));
	/* a route already switched to the new outbound SA would go with its SA_DEL: point
	 * it back to the CHILD_SA that had it */
	{
		const struct ike_child *cur = ike_sa_child_current(c->t.sa);

		for (unsigned i = 0; cur && i < c->child.c.n_routes; i++) {
			struct rp_msg_route rt = { .prefix = c->child.c.routes[i],
						   .sa_id = cur->sa_id_out };

			c->t.r->dp.send(c->t.r->dp.ctx, RP_MSG_ROUTE_ADD, &rt, sizeof(rt), NULL,
					NULL);
		}
		if (cur)
			c->child.c.n_routes = 0;
	}
	ike_child_uninstall(c->t.r, &c->child.c);
	c->dp_sent = false;
	ike_child_release(c->t.r, &c->child);
	c->err = IKE_N_NO_PROPOSAL_CHOSEN;
	c->t.r->st.child_failed++;
}

static void dp_done(int status, const struct dpif_reply *rep, void *arg)
{
	struct create_task *c = arg;

	(void)rep;
	if (status && !c->dp_status)
		c->dp_status = status;
	if (--c->dp_pending)
		return;
	if (c->dp_status)
		install_failed(c);
	ike_task_resume(&c->t, IKE_TASK_DONE);
}

static int dp_send(struct create_task *c, uint16_t type, const void *p, size_t len)
{
	struct ike_resp *r = c->t.r;
	int rc = r->dp.send(r->dp.ctx, type, p, len, dp_done, c);

	if (!rc)
		c->dp_pending++;
	return rc;
}

/* ---- the Diffie-Hellman on a worker ------------------------------------------------------ */

/* On the loop: the worker is done; the task goes on where it stopped. */
static void dh_done(struct ike_dhjob *j)
{
	struct create_task *c = j->owner;

	ike_task_resume(&c->t, c->cont(c));
}

/* Our key pair for the group of the peer's @p ke and g^ir: the private value is drawn here
 * (the RNG stays on the loop); with a worker pool the task waits (NEED_MORE, a retransmitted
 * request meanwhile is absorbed as in_progress) and @p cont runs when the worker is done,
 * else at once. */
static enum ike_task_rc dh_start(struct create_task *c, const struct ike_pl *ke,
				 enum ike_task_rc (*cont)(struct create_task *c))
{
	struct ike_resp *r = c->t.r;
	struct ike_dhjob *j = ike_dhjob_new(ke->f.u16a);
	char nm[64];
	int rc;

	if (!j || ke->f.data.len > sizeof(j->peer) ||
	    ike_dh_draw_priv(j->group, &r->rng, j->priv, &j->priv_len)) {
		ike_dhjob_free(j);
		return IKE_TASK_FAILED;
	}
	memcpy(j->peer, ke->f.data.p, ke->f.data.len);
	j->peer_len = ke->f.data.len;
	j->owner = c;
	j->done = dh_done;
	c->job = j;
	c->cont = cont;
	rc = ike_dhjob_run(r, j);
	if (rc == 1)
		return cont(c);
	if (rc == 0)
		return IKE_TASK_NEED_MORE;
	/* no answer: the peer retransmits, by then the workers may have caught up */
	c->job = NULL;
	ike_dhjob_free(j);
	RP_LOG_RL(RP_LOG_NOTICE, "ike", "%s: CREATE_CHILD_SA #%u dropped: %s",
		  ike_sa_name(c->t.sa, nm, sizeof(nm)), c->t.msg_id, rc == -EAGAIN ?
		  "public-key work queue full (ike.crypto_threads busy)" : strerror(-rc));
	return IKE_TASK_FAILED;
}

static enum ike_task_rc child_install(struct create_task *c);

static enum ike_task_rc child_process(struct create_task *c, const struct ike_msg *m,
				      const struct ike_pl *ke)
{
	struct ike_resp *r = c->t.r;
	struct ike_sa *sa = c->t.sa;
	const struct ike_pl *n;
	uint16_t err;

	/* §1.3.3: REKEY_SA names the SA by the initiator's inbound SPI, our outbound one */
	for (n = NULL; (n = ike_msg_find(m, IKE_PL_NOTIFY, n));) {
		if (n->f.u16a != IKE_N_REKEY_SA)
			continue;
		c->kind = CC_REKEY_CHILD;
		if (n->f.u8a != IKE_PROTO_ESP || n->f.spi.len != 4)
			return fail_with(c, IKE_N_CHILD_SA_NOT_FOUND);
		c->old_spi_out = rp_get_be32(n->f.spi.p);
		{
			const struct ike_child *old = ike_sa_child_by_out(sa, c->old_spi_out);

			if (!old)
				return fail_with(c, IKE_N_CHILD_SA_NOT_FOUND);
			/* §2.25.1: already replaced, or we are closing it */
			if (old->rekeyed || old->deleting)
				return fail_with(c, IKE_N_TEMPORARY_FAILURE);
		}
		break;
	}
	ike_child_req_parse(m, &c->req);
	if (!c->req.present)
		return fail_with(c, IKE_N_INVALID_SYNTAX);
	if (sa->n_child >= IKE_CHILD_MAX)
		return fail_with(c, c->kind == CC_REKEY_CHILD ? IKE_N_TEMPORARY_FAILURE :
							       IKE_N_NO_ADDITIONAL_SAS);
	/* the authorization policy's ipsec_flow_limit (ike_policy.c); a rekey adds no flow */
	if (c->kind != CC_REKEY_CHILD && (err = ike_sa_flow_check(sa)))
		return fail_with(c, err);
	if (!r->has_dp)
		return fail_with(c, IKE_N_NO_PROPOSAL_CHOSEN);
	err = ike_child_prepare_create(r, sa, &c->req, ke, &c->child);
	if (err) {
		c->err_group = c->child.want_group;
		if (err == IKE_N_INVALID_KE_PAYLOAD)
			r->st.invalid_ke++;
		return fail_with(c, err);
	}
	if (!c->child.c.esp.dh)
		return child_install(c);
	/* §1.3.1 PFS: our key pair and g^ir on a worker (the private value drawn here) */
	return dh_start(c, ke, child_install);
}

/* After the DH (if any): keys, then the new pair into the dataplane. */
static enum ike_task_rc child_install(struct create_task *c)
{
	struct ike_resp *r = c->t.r;
	struct ike_dhjob *j = c->job;
	uint16_t err;
	int rc = 0;

	c->job = NULL;
	if (j && j->rc) {
		char nm[64];

		RP_WARN("ike", "%s: CREATE_CHILD_SA #%u: %s: %s", ike_sa_name(c->t.sa, nm, sizeof(nm)),
			c->t.msg_id, ike_dh_name(j->group), strerror(-j->rc));
		ike_dhjob_free(j);
		ike_child_release(r, &c->child);
		return fail_with(c, IKE_N_NO_PROPOSAL_CHOSEN);
	}
	if (j) {
		c->child.dh = j->dh; /* KEr */
		j->dh = NULL;
	}
	err = ike_child_keys_create(r, c->t.sa, j ? j->gir : NULL, j ? j->gir_len : 0, c->ni,
				    c->ni_len, c->nr, sizeof(c->nr), &c->t.peer, &c->t.local,
				    &c->child);
	ike_dhjob_free(j); /* wipes g^ir */
	if (err)
		return fail_with(c, err);
	/* make before break: inbound first, then outbound, then the route switched to it */
	c->dp_sent = true;
	rc = dp_send(c, RP_MSG_SA_ADD, &c->child.in, sizeof(c->child.in));
	if (!rc)
		rc = dp_send(c, RP_MSG_SA_ADD, &c->child.out, sizeof(c->child.out));
	for (unsigned i = 0; !rc && i < c->child.c.n_routes; i++) {
		struct rp_msg_route rt = { .prefix = c->child.c.routes[i],
					   .sa_id = c->child.c.sa_id_out };

		rc = dp_send(c, RP_MSG_ROUTE_ADD, &rt, sizeof(rt));
	}
	if (rc) {
		c->dp_status = rc;
		if (c->dp_pending)
			return IKE_TASK_NEED_MORE; /* the last dp_done() handles it */
		install_failed(c);
		return IKE_TASK_DONE;
	}
	return IKE_TASK_NEED_MORE;
}

/* ---- IKE SA rekey (§1.3.2, §2.18) ------------------------------------------------------- */

static enum ike_task_rc ike_rekey_keys(struct create_task *c);

static enum ike_task_rc ike_rekey_process(struct create_task *c, const struct ike_msg *m,
					  const struct ike_pl *ke)
{
	struct ike_resp *r = c->t.r;
	const struct ike_proposal *pr = NULL;
	struct ike_sa *nsa;
	struct ike_suite s;
	uint64_t spi_i = 0;

	c->kind = CC_REKEY_IKE;
	if (!ike_policy_select_ike(r, c->t.sa->ike_policy, NULL, NULL, &m->sa, ke ? ke->f.u16a : 0,
				   8, &s, &c->prop_num)) /* the IKE SA's IKEv2 policy */
		return fail_with(c, IKE_N_NO_PROPOSAL_CHOSEN);
	if (!ke || ke->f.u16a != s.dh) {
		r->st.invalid_ke++;
		c->err_group = s.dh;
		return fail_with(c, IKE_N_INVALID_KE_PAYLOAD);
	}
	if (ike_dh_check_peer(s.dh, ke->f.data.p, ke->f.data.len))
		return fail_with(c, IKE_N_INVALID_SYNTAX);
	for (unsigned i = 0; i < m->sa.n_prop; i++)
		if (m->sa.prop[i].num == c->prop_num && m->sa.prop[i].proto == IKE_PROTO_IKE &&
		    m->sa.prop[i].spi_len == 8) {
			pr = &m->sa.prop[i];
			break;
		}
	for (int i = 0; pr && i < 8; i++)
		spi_i = spi_i << 8 | pr->spi[i];
	if (!spi_i)
		return fail_with(c, IKE_N_INVALID_SYNTAX);
	nsa = c->nsa = calloc(1, sizeof(*nsa));
	if (!nsa || ike_alg_init(&s, true, &nsa->alg))
		return IKE_TASK_FAILED;
	nsa->spi_i = spi_i;
	do {
		if (ike_random(&r->rng, &nsa->spi_r, sizeof(nsa->spi_r)))
			return IKE_TASK_FAILED;
	} while (!nsa->spi_r || ike_resp_find(r, nsa->spi_i, nsa->spi_r));
	return dh_start(c, ke, ike_rekey_keys);
}

/* After the DH: the new IKE SA's keys (§2.18). */
static enum ike_task_rc ike_rekey_keys(struct create_task *c)
{
	struct ike_sa *sa = c->t.sa, *nsa = c->nsa;
	struct ike_dhjob *j = c->job;
	char nm[64];
	int rc = j->rc;

	c->job = NULL;
	if (!rc)
		rc = ike_derive_rekey_keys(&nsa->alg, sa->alg.s.prf, sa->keys.sk_d, sa->keys.d_len,
					   c->ni, c->ni_len, c->nr, sizeof(c->nr), j->gir,
					   j->gir_len, nsa->spi_i, nsa->spi_r, &nsa->keys);
	if (rc) {
		RP_WARN("ike", "%s: IKE SA rekey #%u: %s: %s", ike_sa_name(sa, nm, sizeof(nm)),
			c->t.msg_id, ike_dh_name(j->group), strerror(-rc));
		ike_dhjob_free(j);
		return IKE_TASK_FAILED;
	}
	c->dh = j->dh; /* KEr */
	j->dh = NULL;
	ike_dhjob_free(j); /* wipes g^ir */
	memcpy(nsa->ni, c->ni, c->ni_len);
	nsa->ni_len = c->ni_len;
	memcpy(nsa->nr, c->nr, sizeof(nsa->nr));
	return IKE_TASK_DONE;
}

/* ---- the task ----------------------------------------------------------------------------- */

static enum ike_task_rc create_process(struct ike_task *t, const struct ike_msg *m)
{
	struct create_task *c = (struct create_task *)t;
	const struct ike_pl *ni = ike_msg_find(m, IKE_PL_NONCE, NULL);
	const struct ike_pl *ke = ike_msg_find(m, IKE_PL_KE, NULL);

	if (!ike_msg_find(m, IKE_PL_SA, NULL) || !m->sa.n_prop || !ni || ni->f.data.len < 16 ||
	    ni->f.data.len > sizeof(c->ni))
		return fail_with(c, IKE_N_INVALID_SYNTAX);
	c->ni_len = ni->f.data.len;
	memcpy(c->ni, ni->f.data.p, c->ni_len);
	if (ike_random(&t->r->rng, c->nr, sizeof(c->nr)))
		return IKE_TASK_FAILED;
	if (m->sa.prop[0].proto == IKE_PROTO_IKE)
		return ike_rekey_process(c, m, ke);
	return child_process(c, m, ke);
}

static enum ike_task_rc create_build(struct ike_task *t, struct ike_bld *b)
{
	struct create_task *c = (struct create_task *)t;

	if (c->err) {
		uint8_t g[2] = { (uint8_t)(c->err_group >> 8), (uint8_t)c->err_group };

		ike_bld_notify(b, 0, NULL, 0, c->err, c->err == IKE_N_INVALID_KE_PAYLOAD ? g : NULL,
			       c->err == IKE_N_INVALID_KE_PAYLOAD ? 2 : 0);
	} else if (c->kind == CC_REKEY_IKE) {
		struct ike_sa_pl *pl = calloc(1, sizeof(*pl));
		const uint8_t *pub;
		size_t len;

		if (!pl)
			return IKE_TASK_FAILED;
		ike_chosen_sa(&c->nsa->alg.s, c->prop_num, c->nsa->spi_r, pl);
		pub = ike_dh_pub(c->dh, &len);
		ike_bld_sa(b, pl);
		ike_bld_data(b, IKE_PL_NONCE, c->nr, sizeof(c->nr));
		ike_bld_ke(b, c->nsa->alg.s.dh, pub, len);
		free(pl);
	} else {
		ike_child_build_create(&c->child, c->nr, sizeof(c->nr), b);
	}
	return b->w.err ? IKE_TASK_FAILED : IKE_TASK_DONE;
}

static void commit_child(struct create_task *c)
{
	struct ike_resp *r = c->t.r;
	struct ike_sa *sa = c->t.sa;
	struct ike_child *old = NULL;
	char nm[64];

	/* the route now goes through the new CHILD_SA: no older one owns it any more */
	for (unsigned i = 0; i < sa->n_child; i++)
		if (c->child.c.n_routes)
			sa->child[i].n_routes = 0;
	if (c->kind == CC_REKEY_CHILD) {
		old = ike_sa_child_by_out(sa, c->old_spi_out);
		if (old && old->rekeying) /* §2.8.1: ours is in flight too (ike_rekey.c) */
			ike_rekey_collision(old, c->ni, c->ni_len, c->nr, sizeof(c->nr));
		if (old)
			old->rekeyed = true;
	}
	c->child.c.created_ms = r->now_ms;
	if (ike_sa_child_add(r, sa, &c->child.c)) {
		/* checked in process(); only a rekey of ours completing meanwhile fills it */
		RP_WARN("ike", "%s: no room for CHILD_SA %08x_i after all, removed",
			ike_sa_name(sa, nm, sizeof(nm)), c->child.c.spi_in);
		ike_child_uninstall(r, &c->child.c);
	}
	c->dp_sent = false;
	if (old)
		RP_INFO("ike", "%s: CHILD_SA %08x_i %08x_o rekeyed, new %08x_i %08x_o (%s%s)",
			ike_sa_name(sa, nm, sizeof(nm)), old->spi_in, old->spi_out, c->child.c.spi_in,
			c->child.c.spi_out, ike_encr_name(c->child.c.esp.encr),
			c->child.c.esp.dh ? ", PFS" : "");
	else
		RP_INFO("ike", "%s: CHILD_SA %08x_i %08x_o created (%s%s), %u in all",
			ike_sa_name(sa, nm, sizeof(nm)), c->child.c.spi_in, c->child.c.spi_out,
			ike_encr_name(c->child.c.esp.encr), c->child.c.esp.dh ? ", PFS" : "",
			sa->n_child);
}

void ike_sa_move_session(struct ike_resp *r, struct ike_sa *from, struct ike_sa *to)
{
	to->peer = from->peer;
	to->local = from->local;
	to->peer_nat = from->peer_nat;
	to->local_nat = from->local_nat;
	to->natd_seen = from->natd_seen;
	to->peer_frag = from->peer_frag; /* RFC 7383 §2.3: a rekeyed IKE SA inherits it */
	to->peer_vendor = from->peer_vendor; /* config mode's vendor-ID gating (ike_cfg.h) */
	to->peer_id_type = from->peer_id_type;
	to->peer_id_len = from->peer_id_len;
	memcpy(to->peer_id, from->peer_id, from->peer_id_len);
	ike_sa_id_index(r, to);
	to->profile = from->profile;
	to->ike_policy = from->ike_policy;
	to->authz = from->authz;
	to->authz_release = from->authz_release; /* the AAA authorization moves (ike_authz.h) */
	to->authz_own = from->authz_own;
	from->authz_release = NULL;
	from->authz_own = NULL;
	to->has_framed4 = from->has_framed4;
	memcpy(to->framed4, from->framed4, 4);
	to->has_framed6 = from->has_framed6;
	memcpy(to->framed6, from->framed6, 16);
	to->framed6_plen = from->framed6_plen;
	to->group = from->group;
	to->pol_lifetime_s = from->pol_lifetime_s;
	to->pol_dpd = from->pol_dpd;
	to->pol_dpd_mode = from->pol_dpd_mode;
	to->pol_dpd_interval = from->pol_dpd_interval;
	to->pol_dpd_retry = from->pol_dpd_retry;
	to->pol_nat_keepalive_s = from->pol_nat_keepalive_s;
	to->nat_ka_ms = from->nat_ka_ms;
	to->session_end_ms = from->session_end_ms; /* the session, not the IKE SA, ends */
	to->n_child = from->n_child;
	memcpy(to->child, from->child, sizeof(from->child));
	from->n_child = 0;
	memset(from->child, 0, sizeof(from->child));
	ike_child_index_rehome(r, to); /* the CHILD_SA indexes name the IKE SA of each */
	ike_sa_leases_move(r, to, from);
	to->gone_in_packets = from->gone_in_packets;
	to->gone_in_bytes = from->gone_in_bytes;
	to->gone_out_packets = from->gone_out_packets;
	to->gone_out_bytes = from->gone_out_bytes;
	to->created_ms = from->created_ms;
	to->live = from->live; /* the session keeps its id and liveness state */
	to->eap = from->eap; /* the EAP identity (ike_eap_identity()) */
	from->eap = NULL;
}

static void commit_ike(struct create_task *c)
{
	struct ike_resp *r = c->t.r;
	struct ike_sa *sa = c->t.sa, *nsa = c->nsa;
	char nm[64], nm2[64];

	ike_sa_move_session(r, sa, nsa);
	nsa->peer = c->t.peer;
	nsa->local = c->t.local;
	nsa->next_msg_id = 0; /* §2.18: message IDs start again */
	nsa->req_msg_id = 0;
	nsa->established_ms = r->now_ms;
	ike_sa_link(r, nsa);
	c->nsa = NULL;
	c->committed = true;
	ike_sa_set_state(r, nsa, IKE_SA_ESTABLISHED);
	/* §2.8.2: our own rekey of it is in flight: remember this exchange's lower nonce */
	if (sa->ike_rekeying) {
		const uint8_t *lo = ike_nonce_cmp(c->ni, c->ni_len, c->nr, sizeof(c->nr)) <= 0 ?
				    c->ni : c->nr;
		size_t ll = lo == c->ni ? c->ni_len : sizeof(c->nr);

		sa->ike_coll_len = (uint8_t)(ll < 32 ? ll : 32);
		memcpy(sa->ike_coll_nonce, lo, sa->ike_coll_len);
	}
	sa->succ_spi_i = nsa->spi_i;
	sa->succ_spi_r = nsa->spi_r;
	sa->rekeyed_ms = r->now_ms;
	ike_sa_set_state(r, sa, IKE_SA_REKEYED);
	RP_INFO("ike", "%s rekeyed by the peer: now %s (%s), %u CHILD_SA%s moved",
		ike_sa_name(sa, nm, sizeof(nm)), ike_sa_name(nsa, nm2, sizeof(nm2)),
		ike_dh_name(nsa->alg.s.dh), nsa->n_child, nsa->n_child == 1 ? "" : "s");
}

static void create_commit(struct ike_task *t)
{
	struct create_task *c = (struct create_task *)t;

	if (c->err)
		return;
	if (c->kind == CC_REKEY_IKE)
		commit_ike(c);
	else
		commit_child(c);
}

static void create_destroy(struct ike_task *t)
{
	struct create_task *c = (struct create_task *)t;
	struct ike_resp *r = t->r;

	ike_dhjob_drop(r, c->job); /* the SA goes while the worker computes: its result too */
	if (c->dp_pending && r->has_dp && r->dp.cancel)
		r->dp.cancel(r->dp.ctx, c);
	if (c->dp_sent)
		ike_child_uninstall(r, &c->child.c);
	ike_child_release(r, &c->child);
	ike_dh_free(c->dh);
	if (c->nsa) {
		OPENSSL_cleanse(c->nsa, sizeof(*c->nsa));
		free(c->nsa);
	}
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

static const struct ike_task_ops create_ops = {
	.name = "CREATE_CHILD_SA",
	.process = create_process,
	.build = create_build,
	.commit = create_commit,
	.destroy = create_destroy,
};

struct ike_task *ike_create_task_new(struct ike_resp *r, struct ike_sa *sa)
{
	struct create_task *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->t.ops = &create_ops;
	c->t.r = r;
	c->t.sa = sa;
	return &c->t;
}
