/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * IKE_AUTH responder task (RFC 7296 §1.2, §2.15):
 *
 *   process: copy IDi, AUTH, the CHILD_SA payloads and the CFG_REQUEST out of the request;
 *            compute both signed-octet strings; hand them with the peer's CERT payloads
 *            (X.509 Signature), its CERTREQ CA hashes and its RFC 7427 hash algorithms to
 *            the authenticator (maybe asynchronous).
 *   authenticated: prepare the CHILD_SA (ike_child.c) and send SA_ADD in, SA_ADD out and
 *            ROUTE_ADD to the dataplane; wait until all are acknowledged.
 *   build:   IDr, CERT..., AUTH, CP(CFG_REPLY), SA, TSi, TSr, or IDr, CERT..., AUTH and the
 *            CHILD_SA's error, or only AUTHENTICATION_FAILED.
 *   commit:  the IKE SA becomes ESTABLISHED with its identity, CHILD_SA and leases;
 *            INITIAL_CONTACT deletes older SAs of the same identity; an authentication
 *            failure deletes the IKE SA.
 *
 * EAP (§2.16, ike_eap.h): a first request without AUTH is authenticated as method 0 (the
 * profile must allow EAP; our AUTH is a signature), then ike_eap.c runs the EAP rounds, each
 * its own IKE_AUTH exchange answering IDr/CERT/AUTH/EAP, EAP, and at last AUTH with the
 * CHILD_SA of the first request; the state waits on the SA (sa->eap) in between.
 *
 * Nothing touches the SA before commit; destroy() gives back what was not committed (the
 * leases, and the dataplane entries if they were sent).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "controlplane/ike/ike_priv.h"
#include "controlplane/policy/policy.h"

enum auth_step { AS_AUTH, AS_INSTALL, AS_READY };

struct auth_task {
	struct ike_task t;
	enum auth_step step;
	bool auth_pending, dp_sent, committed;
	bool authz_pending;             /**< AAA authorization asked (ike_authz.h) */
	void *authz_handle;
	uint16_t auth_err;              /**< AUTHENTICATION_FAILED, or 0 */
	bool initial_contact;
	uint8_t method;                 /**< the peer's AUTH method */
	uint8_t idi_type;
	uint8_t idi[IKE_ID_MAX];
	size_t idi_len;
	uint8_t idi_body[4 + IKE_ID_MAX]; /**< the IDi payload body (EAP signs it later) */
	size_t idi_body_len;
	struct ike_eap_round eap;       /**< EAP (ike_eap.h): no AUTH in the first request */
	struct ike_auth_result res;     /**< our AUTH */
	struct ike_child_req req;
	bool child_ok;
	struct ike_child_new child;
	struct ike_cfg_out cfg;         /**< CFG_ACK or a pushed CFG_SET (no CFG_REQUEST) */
	unsigned dp_pending;
	int dp_status;
};

/* The CHILD_SA could not be installed: remove what may be there, give the address back,
 * and answer with an error instead of the CHILD_SA (strongSwan answers an installation
 * failure with NO_PROPOSAL_CHOSEN too). */
static void install_failed(struct auth_task *a)
{
	char nm[64];

	RP_WARN("ike", "%s: dataplane refused the CHILD_SA (%s), answering NO_PROPOSAL_CHOSEN",
		ike_sa_name(a->t.sa, nm, sizeof(nm)), strerror(-a->dp_status));
	ike_child_uninstall(a->t.r, &a->child.c);
	a->dp_sent = false;
	ike_child_release(a->t.r, &a->child);
	a->child.err = IKE_N_NO_PROPOSAL_CHOSEN;
	a->child_ok = false;
	a->t.r->st.child_failed++;
}

/* The dataplane answered one of SA_ADD in / SA_ADD out / ROUTE_ADD. */
static void dp_done(int status, const struct dpif_reply *rep, void *arg)
{
	struct auth_task *a = arg;

	(void)rep;
	if (status && !a->dp_status)
		a->dp_status = status;
	if (--a->dp_pending)
		return;
	if (a->dp_status)
		install_failed(a);
	a->step = AS_READY;
	ike_task_resume(&a->t, IKE_TASK_DONE);
}

static int dp_send(struct auth_task *a, uint16_t type, const void *p, size_t len)
{
	struct ike_resp *r = a->t.r;
	int rc = r->dp.send(r->dp.ctx, type, p, len, dp_done, a);

	if (!rc)
		a->dp_pending++;
	return rc;
}

/* config-exchange set accept / set send (the profile's; off without one): a CFG_SET of
 * the peer is acknowledged; a peer that sent no CP payload at all gets our CFG_SET. */
static void cfg_exchange(struct auth_task *a)
{
	const struct ike_sa *sa = a->t.sa;
	const struct ike_cfg_req *q = &a->req.cp;
	bool send = sa->profile && sa->profile->cfg_set_send;
	bool accept = sa->profile && sa->profile->cfg_set_accept;
	char nm[64], pfx[INET6_ADDRSTRLEN];

	a->cfg.cfg_type = 0;
	if (q->type == IKE_CFG_SET) {
		if (!accept) {
			RP_INFO("ike", "%s: CFG_SET of the peer ignored (%s)", ike_sa_name(sa, nm, sizeof(nm)),
				sa->profile ? "config_exchange.set_accept is off" : "no ikev2 profile");
			return;
		}
		ike_cfg_build_ack(q, &a->cfg);
		RP_INFO("ike", "%s: CFG_SET of the peer acknowledged (CFG_ACK): %s",
			ike_sa_name(sa, nm, sizeof(nm)), a->cfg.log);
		for (unsigned i = 0; i < q->n_routes; i++)
			RP_INFO("ike", "%s: the peer announces route %s/%u (logged, not installed: "
				"rampart-dp routes only the session's addresses)",
				ike_sa_name(sa, nm, sizeof(nm)),
				inet_ntop(q->routes[i].af == 6 ? AF_INET6 : AF_INET, q->routes[i].addr,
					  pfx, sizeof(pfx)) ? pfx : "?", q->routes[i].plen);
		return;
	}
	if (q->type == 0 && send) {
		const struct ike_cfg_ctx c = { .authz = sa->authz, .local_ts = a->t.r->cfg.local_ts,
					       .n_local_ts = a->t.r->cfg.n_local_ts,
					       .vendor = sa->peer_vendor };

		if (ike_cfg_build(&c, NULL, IKE_CFG_SET, &a->cfg))
			RP_INFO("ike", "%s: no CFG_REQUEST: pushing CFG_SET (%s): %s",
				ike_sa_name(sa, nm, sizeof(nm)),
				sa->authz ? sa->authz->name : "ike section defaults", a->cfg.log);
	}
}

static enum ike_task_rc after_authz(struct auth_task *a);

/* AAA authorization answered (ike_authz.h): on to the CHILD_SA, or refused. */
static void authz_done(void *cb_arg, int rc, const struct ike_authz_out *out)
{
	struct auth_task *a = cb_arg;
	enum ike_task_rc trc = IKE_TASK_DONE;

	a->authz_pending = false;
	a->authz_handle = NULL;
	if (rc) {
		a->auth_err = IKE_N_AUTHENTICATION_FAILED;
		a->t.r->st.auth_failed++;
	} else {
		ike_sa_authz_apply(a->t.r, a->t.sa, out);
		trc = after_authz(a);
	}
	if (trc != IKE_TASK_NEED_MORE)
		ike_task_resume(&a->t, trc);
}

/* Authenticated: the profile's policy, AAA authorization, then the CHILD_SA. */
static enum ike_task_rc after_auth(struct auth_task *a)
{
	struct ike_resp *r = a->t.r;
	int rc;

	a->step = AS_READY;
	/* the policy decision goes to the SA now (not at commit): the CHILD_SA's pool and the
	 * config-mode reply are taken from it; they are pointers into configuration. The
	 * profile's proposals may still refuse the IKE SA's algorithms (ike_policy.c). */
	rc = ike_sa_apply_policy(r, a->t.sa, &a->res);
	if (!rc)
		rc = ike_sa_authorize(r, a->t.sa, &a->t.peer, &a->t.local, a->method, a->idi_type,
				      a->idi, a->idi_len, authz_done, a, &a->authz_handle);
	if (rc == 1) {
		a->authz_pending = true;
		a->step = AS_AUTH;
		return IKE_TASK_NEED_MORE;   /* authz_done() resumes */
	}
	if (rc) {
		a->auth_err = IKE_N_AUTHENTICATION_FAILED;
		r->st.auth_failed++;
		return IKE_TASK_DONE;
	}
	return after_authz(a);
}

/* Authorized: create the CHILD_SA and install it. */
static enum ike_task_rc after_authz(struct auth_task *a)
{
	struct ike_resp *r = a->t.r;
	int rc = 0;
	char nm[64];

	a->step = AS_READY;
	r->st.auth_ok++;
	cfg_exchange(a);
	if (!a->req.present)
		return IKE_TASK_DONE; /* childless (RFC 6023) */
	if (!r->has_dp) {
		RP_WARN("ike", "%s: no dataplane, cannot create a CHILD_SA",
			ike_sa_name(a->t.sa, nm, sizeof(nm)));
		a->child.err = IKE_N_NO_PROPOSAL_CHOSEN;
		r->st.child_failed++;
		return IKE_TASK_DONE;
	}
	if (ike_child_prepare(r, a->t.sa, &a->req, &a->t.peer, &a->t.local, &a->child)) {
		RP_NOTICE("ike", "%s: no CHILD_SA: %s", ike_sa_name(a->t.sa, nm, sizeof(nm)),
			  ike_notify_name(a->child.err));
		r->st.child_failed++;
		return IKE_TASK_DONE;
	}
	a->child_ok = true;
	/* the inbound SA first: the response may only leave once it is live */
	a->dp_sent = true;
	a->step = AS_INSTALL;
	rc = dp_send(a, RP_MSG_SA_ADD, &a->child.in, sizeof(a->child.in));
	if (!rc)
		rc = dp_send(a, RP_MSG_SA_ADD, &a->child.out, sizeof(a->child.out));
	for (unsigned i = 0; !rc && i < a->child.c.n_routes; i++) {
		struct rp_msg_route rt = { .prefix = a->child.c.routes[i],
					   .sa_id = a->child.c.sa_id_out };

		rc = dp_send(a, RP_MSG_ROUTE_ADD, &rt, sizeof(rt));
	}
	if (rc) {
		a->dp_status = rc;
		if (a->dp_pending)
			return IKE_TASK_NEED_MORE; /* the last dp_done() handles the failure */
		install_failed(a);
		a->step = AS_READY;
		return IKE_TASK_DONE;
	}
	return IKE_TASK_NEED_MORE; /* dp_done() resumes */
}

/* An EAP step (ike_eap.c) answered: on to the CHILD_SA after the final AUTH. */
static enum ike_task_rc eap_step(struct auth_task *a, int rc)
{
	if (rc == IKE_TASK_NEED_MORE)
		return IKE_TASK_NEED_MORE;
	if (a->eap.failed) {
		a->auth_err = IKE_N_AUTHENTICATION_FAILED;
		a->step = AS_READY;
		return IKE_TASK_DONE;
	}
	if (a->eap.final)
		return after_auth(a);
	a->step = AS_READY;
	return IKE_TASK_DONE;
}

/* The authenticator accepted (our AUTH is ready); a peer without AUTH goes on with EAP. */
static enum ike_task_rc authenticated(struct auth_task *a)
{
	if (a->method)
		return after_auth(a);
	a->eap.t = &a->t;
	a->eap.r = a->t.r;
	a->eap.sa = a->t.sa;
	return eap_step(a, ike_eap_start(&a->eap, &a->res, a->idi_body, a->idi_body_len,
					 &a->req, a->initial_contact));
}

void ike_auth_result_clear(struct ike_auth_result *res)
{
	for (unsigned i = 0; i < res->n_certs && i < IKE_AUTH_CERTS_MAX; i++)
		free(res->cert[i]);
	OPENSSL_cleanse(res, sizeof(*res));
}

static void log_auth_failed(const struct auth_task *a, int status)
{
	char nm[64], id[IKE_ID_MAX + 1];
	size_t i;

	for (i = 0; i < a->idi_len; i++)
		id[i] = a->idi[i] >= 0x20 && a->idi[i] < 0x7f ? (char)a->idi[i] : '?';
	id[i] = 0;
	if (a->idi_type == IKE_ID_DER_ASN1_DN)
		snprintf(id, sizeof(id), "(a distinguished name)");
	RP_NOTICE("ike", "%s: authentication of '%s' (ID type %u) failed: %s, "
		  "AUTHENTICATION_FAILED", ike_sa_name(a->t.sa, nm, sizeof(nm)), id, a->idi_type,
		  status != -EACCES ? strerror(-status) :
		  a->method == IKE_AUTH_PSK ? "wrong key, unknown identity or not allowed" :
		  "refused (the reason is logged above)");
}

/* ike_auth_query.octets_r_for: ResponderSignedOctets for the IDr an authenticator chose. */
static int octets_r_for(void *arg, const uint8_t *idr, size_t idr_len, uint8_t *out, size_t cap,
			size_t *out_len)
{
	const struct ike_sa *sa = ((struct auth_task *)arg)->t.sa;

	return ike_auth_octets(sa->alg.s.prf, sa->init_resp, sa->init_resp_len, sa->ni, sa->ni_len,
			       sa->keys.sk_pr, sa->keys.p_len, idr, idr_len, out, cap, out_len) ?
		       -1 : 0;
}

static void auth_done(void *done_arg, const struct ike_auth_result *res)
{
	struct auth_task *a = done_arg;
	enum ike_task_rc rc;

	a->auth_pending = false;
	a->res = *res; /* its certificates are ours now */
	if (res->status) {
		log_auth_failed(a, res->status);
		a->auth_err = IKE_N_AUTHENTICATION_FAILED;
		a->t.r->st.auth_failed++;
		a->step = AS_READY;
		rc = IKE_TASK_DONE;
	} else {
		rc = authenticated(a);
	}
	if (rc != IKE_TASK_NEED_MORE)
		ike_task_resume(&a->t, rc);
}

static enum ike_task_rc auth_process(struct ike_task *t, const struct ike_msg *m)
{
	struct auth_task *a = (struct auth_task *)t;
	struct ike_resp *r = t->r;
	struct ike_sa *sa = t->sa;
	const struct ike_pl *idi = ike_msg_find(m, IKE_PL_IDI, NULL);
	const struct ike_pl *auth = ike_msg_find(m, IKE_PL_AUTH, NULL);
	const struct ike_pl *pl;
	uint8_t *oi = NULL, *creq = NULL, *or_ = NULL, idr_body[4 + 128], lbuf[16], lt;
	size_t oi_len = 0, or_len = 0, ll, cap = 0, creq_len = 0;
	struct ike_auth_query q;
	enum ike_task_rc rc = IKE_TASK_FAILED;
	const uint8_t *lid;
	char nm[64];
	int v;

	if (sa->eap) {
		/* a later round of EAP (§2.16): an EAP Response, or the final AUTH */
		a->eap.t = t;
		a->eap.r = r;
		a->eap.sa = sa;
		a->step = AS_AUTH;
		return eap_step(a, ike_eap_continue(&a->eap, m, &a->res, &a->req, &a->idi_type,
						    a->idi, &a->idi_len, &a->initial_contact));
	}
	if (!idi || idi->body.len < 4 || idi->f.data.len > IKE_ID_MAX) {
		RP_LOG_RL(RP_LOG_INFO, "ike", "%s: IKE_AUTH without a usable IDi, dropped",
			  ike_sa_name(sa, nm, sizeof(nm)));
		return IKE_TASK_FAILED;
	}
	a->idi_type = idi->f.u8a;
	a->idi_len = idi->f.data.len;
	if (a->idi_len)
		memcpy(a->idi, idi->f.data.p, a->idi_len);
	a->idi_body_len = idi->body.len;
	memcpy(a->idi_body, idi->body.p, idi->body.len);
	a->initial_contact = ike_msg_notify(m, IKE_N_INITIAL_CONTACT) != NULL;
	ike_child_req_parse(m, &a->req);
	sa->peer_vendor |= (uint8_t)(ike_cfg_vendor_flags(m) | /* IKE_AUTH may carry some too */
				     ike_cfg_id_flags(a->idi_type, a->idi, a->idi_len));
	if (!r->has_auth) {
		RP_NOTICE("ike", "%s: %s, AUTHENTICATION_FAILED", ike_sa_name(sa, nm, sizeof(nm)),
			  "no authenticator configured");
		a->auth_err = IKE_N_AUTHENTICATION_FAILED;
		r->st.auth_failed++;
		a->step = AS_READY;
		return IKE_TASK_DONE;
	}
	/* §2.15: InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, IDi') */
	cap = sa->init_req_len + sa->init_resp_len + 256 + sizeof(sa->nr) + 2 * IKE_PRF_MAX;
	oi = malloc(cap);
	or_ = malloc(cap);
	if (!oi || !or_)
		goto out;
	if (ike_auth_octets(sa->alg.s.prf, sa->init_req, sa->init_req_len, sa->nr,
			    sizeof(sa->nr), sa->keys.sk_pi, sa->keys.p_len, idi->body.p,
			    idi->body.len, oi, cap, &oi_len))
		goto out;
	/* ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, IDr') */
	ike_local_id(r, &t->local, &lt, &lid, &ll, lbuf);
	idr_body[0] = lt;
	memset(idr_body + 1, 0, 3);
	memcpy(idr_body + 4, lid, ll);
	if (ike_auth_octets(sa->alg.s.prf, sa->init_resp, sa->init_resp_len, sa->ni, sa->ni_len,
			    sa->keys.sk_pr, sa->keys.p_len, idr_body, 4 + ll, or_, cap, &or_len))
		goto out;
	q = (struct ike_auth_query){ .peer = t->peer, .local = t->local,
				     .id_type = a->idi_type, .id = a->idi, .id_len = a->idi_len,
				     /* no AUTH: method 0, EAP follows (ike_eap.h) */
				     .method = auth ? auth->f.u8a : 0, .auth = auth ? auth->f.data.p : NULL,
				     .auth_len = auth ? auth->f.data.len : 0, .prf = sa->alg.s.prf,
				     .octets_i = oi, .octets_i_len = oi_len, .octets_r = or_,
				     .octets_r_len = or_len, .sig_hashes = sa->sig_hashes,
				     .octets_r_for = octets_r_for, .octets_r_arg = a };
	a->method = q.method;
	/* §3.6: X.509 Signature certificates, the end entity first; other encodings (hash and
	 * URL, raw keys) are not supported and ignored */
	for (pl = NULL; (pl = ike_msg_find(m, IKE_PL_CERT, pl));) {
		if (pl->f.u8a != IKE_CERT_X509_SIG || !pl->f.data.len) {
			RP_LOG_RL(RP_LOG_INFO, "ike", "%s: CERT of encoding %u ignored (only X.509 "
				  "Signature, 4, is supported)", ike_sa_name(sa, nm, sizeof(nm)), pl->f.u8a);
			continue;
		}
		if (q.n_certs == IKE_AUTH_CERTS_MAX) {
			RP_LOG_RL(RP_LOG_INFO, "ike", "%s: more than %u CERT payloads, the rest ignored",
				  ike_sa_name(sa, nm, sizeof(nm)), IKE_AUTH_CERTS_MAX);
			break;
		}
		q.cert[q.n_certs] = pl->f.data.p;
		q.cert_len[q.n_certs++] = pl->f.data.len;
	}
	/* §3.7: the CA key hashes of every X.509 CERTREQ, concatenated */
	for (pl = NULL; (pl = ike_msg_find(m, IKE_PL_CERTREQ, pl));)
		if (pl->f.u8a == IKE_CERT_X509_SIG)
			creq_len += pl->f.data.len;
	if (creq_len) {
		creq = malloc(creq_len);
		if (!creq)
			goto out;
		creq_len = 0;
		for (pl = NULL; (pl = ike_msg_find(m, IKE_PL_CERTREQ, pl));)
			if (pl->f.u8a == IKE_CERT_X509_SIG) {
				memcpy(creq + creq_len, pl->f.data.p, pl->f.data.len);
				creq_len += pl->f.data.len;
			}
		q.certreq = creq;
		q.certreq_len = creq_len;
	}
	a->step = AS_AUTH;
	v = r->auth.verify(r->auth.arg, &q, &a->res, auth_done, a);
	if (v == 1) {
		a->auth_pending = true;
		rc = IKE_TASK_NEED_MORE;
	} else {
		if (v < 0)
			a->res.status = v;
		if (a->res.status) {
			log_auth_failed(a, a->res.status);
			a->auth_err = IKE_N_AUTHENTICATION_FAILED;
			r->st.auth_failed++;
			a->step = AS_READY;
			rc = IKE_TASK_DONE;
		} else {
			rc = authenticated(a);
		}
	}
out:
	if (oi)
		OPENSSL_cleanse(oi, cap);
	if (or_)
		OPENSSL_cleanse(or_, cap);
	free(oi);
	free(or_);
	free(creq);
	return rc;
}

static enum ike_task_rc auth_build(struct ike_task *t, struct ike_bld *b)
{
	struct auth_task *a = (struct auth_task *)t;
	const uint8_t *lid;
	uint8_t lt, lbuf[16];
	size_t ll;

	if (a->auth_err || a->eap.failed) {
		ike_bld_notify(b, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		return b->w.err ? IKE_TASK_FAILED : IKE_TASK_DONE;
	}
	/* §2.16: IDr, CERT, AUTH go in the first response only; EAP rounds carry EAP only;
	 * the last one carries our MSK AUTH and the CHILD_SA */
	if (!a->eap.active || a->eap.first) {
		ike_local_id(t->r, &t->local, &lt, &lid, &ll, lbuf);
		if (a->res.idr_len) { /* the profile's identity_local (ike_cert.c) */
			lt = a->res.idr_type;
			lid = a->res.idr;
			ll = a->res.idr_len;
		}
		ike_bld_id(b, IKE_PL_IDR, lt, lid, ll);
		for (unsigned i = 0; i < a->res.n_certs && i < IKE_AUTH_CERTS_MAX; i++)
			ike_bld_cert(b, IKE_PL_CERT, IKE_CERT_X509_SIG, a->res.cert[i],
				     a->res.cert_len[i]);
	}
	if (!a->eap.active || a->eap.first || a->eap.final)
		ike_bld_id(b, IKE_PL_AUTH, a->res.method, a->res.auth, a->res.auth_len);
	if (a->eap.active && !a->eap.final) {
		ike_bld_data(b, IKE_PL_EAP, a->eap.out, a->eap.out_len);
		return b->w.err ? IKE_TASK_FAILED : IKE_TASK_DONE;
	}
	ike_cfg_write(&a->cfg, b); /* CFG_ACK / CFG_SET; a CFG_REPLY goes with the child */
	if (a->child_ok)
		ike_child_build(&a->child, b);
	else if (a->child.err)
		ike_bld_notify(b, 0, NULL, 0, a->child.err, NULL, 0);
	return b->w.err ? IKE_TASK_FAILED : IKE_TASK_DONE;
}

static void auth_commit(struct ike_task *t)
{
	struct auth_task *a = (struct auth_task *)t;
	struct ike_resp *r = t->r;
	struct ike_sa *sa = t->sa;

	if (a->auth_err || a->eap.failed) {
		ike_sa_delete(r, sa, false);
		return;
	}
	if (a->eap.active && !a->eap.final) {
		ike_eap_round_commit(&a->eap); /* the SA waits for the next IKE_AUTH */
		return;
	}
	sa->peer = t->peer;
	sa->local = t->local;
	sa->peer_id_type = a->idi_type;
	sa->peer_id_len = a->idi_len;
	memcpy(sa->peer_id, a->idi, a->idi_len);
	ike_sa_id_index(r, sa);
	if (a->child_ok) {
		a->child.c.created_ms = r->now_ms;
		ike_sa_child_add(r, sa, &a->child.c); /* the first: cannot be full */
		ike_sa_leases_take(r, sa, &a->child.lease4, &a->child.lease6);
		a->dp_sent = false; /* the SA owns the dataplane entries now */
	}
	a->committed = true;
	sa->established_ms = r->now_ms;
	ike_sa_set_state(r, sa, IKE_SA_ESTABLISHED);
	if (a->initial_contact)
		ike_delete_same_identity(r, sa);
}

static void auth_destroy(struct ike_task *t)
{
	struct auth_task *a = (struct auth_task *)t;
	struct ike_resp *r = t->r;

	if (a->auth_pending && r->auth.cancel)
		r->auth.cancel(r->auth.arg, a);
	if (a->authz_pending)
		ike_sa_authz_cancel(r, a->authz_handle);
	ike_eap_round_cancel(&a->eap);
	if (a->dp_pending && r->has_dp && r->dp.cancel)
		r->dp.cancel(r->dp.ctx, a);
	if (a->dp_sent)
		ike_child_uninstall(r, &a->child.c);
	ike_child_release(r, &a->child);
	ike_auth_result_clear(&a->res);
	free(a);
}

static const struct ike_task_ops auth_ops = {
	.name = "IKE_AUTH",
	.process = auth_process,
	.build = auth_build,
	.commit = auth_commit,
	.destroy = auth_destroy,
};

struct ike_task *ike_auth_task_new(struct ike_resp *r, struct ike_sa *sa)
{
	struct auth_task *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->t.ops = &auth_ops;
	a->t.r = r;
	a->t.sa = sa;
	return &a->t;
}
