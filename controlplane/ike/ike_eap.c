/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * EAP pass-through in IKE_AUTH (RFC 7296 §2.16): the conversation of ike_eap.h.
 *
 * States of struct ike_eap (on the SA between IKE_AUTH exchanges):
 *   WAIT_EAP   an EAP Request went to the client; its Response is relayed next
 *   WAIT_AUTH  EAP-Success went to the client; its AUTH comes next
 *   DONE       authenticated (the identity is kept for the session)
 * Every failure answers AUTHENTICATION_FAILED, which deletes the SA (ike_auth.c commit).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "controlplane/aaa/eap.h"
#include "controlplane/ike/ike_eap.h"
#include "controlplane/ike/ike_priv.h"
#include "controlplane/policy/policy.h"

#define COMP "ike"

enum eap_state { EAP_WAIT_EAP, EAP_WAIT_AUTH, EAP_DONE };

struct ike_eap {
	enum eap_state state;
	bool query_identity;
	bool identity_pending;         /**< our EAP-Request/Identity is outstanding */
	uint8_t last_id;               /**< identifier of the EAP Request the client answers */
	unsigned rounds;
	unsigned timeout_s;
	uint64_t deadline_ms;          /**< 0: not armed (a round is in progress) */
	char list[POL_NAME_MAX];
	const struct pol_profile *profile;
	const struct pol_authz *authz;
	const char *group;
	/* the first IKE_AUTH request */
	uint8_t idi_body[4 + IKE_ID_MAX];
	size_t idi_body_len;
	uint8_t idr_body[4 + IKE_AUTH_IDR_MAX]; /**< our IDr of the first response */
	size_t idr_body_len;
	struct ike_child_req req;
	bool initial_contact;
	/* identities: the one sent as User-Name, and the three of the reference's order */
	uint8_t user[253], queried[253], server_id[253];
	size_t user_len, queried_len, server_id_len;
	uint8_t state_attr[IKE_EAP_STATE_MAX];
	size_t state_len;
	uint8_t msk[IKE_EAP_MSK_MAX];
	size_t msk_len;
	uint8_t *accept;               /**< the Access-Accept (malloc()ed), for authorization */
	size_t accept_len;
};

static const char *sa_nm(const struct ike_sa *sa, char *buf, size_t len)
{
	snprintf(buf, len, "IKE_SA %016llx_i %016llx_r", (unsigned long long)sa->spi_i,
		 (unsigned long long)sa->spi_r);
	return buf;
}

/* printable copy of an identity for logs */
static const char *id_txt(const uint8_t *id, size_t len, char *buf, size_t cap)
{
	size_t i;

	for (i = 0; i < len && i + 1 < cap; i++)
		buf[i] = id[i] >= 0x20 && id[i] < 0x7f ? (char)id[i] : '?';
	buf[i] = 0;
	return buf;
}

void ike_resp_set_eap(struct ike_resp *r, const struct ike_eap_backend *be)
{
	r->has_eap = be != NULL;
	if (be)
		r->eap_be = *be;
}

void ike_eap_free(struct ike_eap *e)
{
	if (!e)
		return;
	if (e->accept) {
		OPENSSL_cleanse(e->accept, e->accept_len);
		free(e->accept);
	}
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
}

static void fail(struct ike_eap_round *rd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail(struct ike_eap_round *rd, const char *fmt, ...)
{
	char why[512], nm[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	RP_NOTICE(COMP, "%s: EAP authentication failed: %s, AUTHENTICATION_FAILED",
		  sa_nm(rd->sa, nm, sizeof(nm)), why);
	rd->failed = true;
	rd->r->st.auth_failed++;
}

static void aaa_done(void *arg, const struct ike_eap_aaa_ans *ans);

/* Send the client's EAP Response @p eap to the AAA server. */
static int relay(struct ike_eap_round *rd, const uint8_t *eap, size_t len)
{
	struct ike_eap *e = rd->sa->eap;
	struct ike_resp *r = rd->r;
	struct ike_eap_aaa_req q = {
		.list = e->list, .user = e->user, .user_len = e->user_len, .eap = eap,
		.eap_len = len, .state = e->state_attr, .state_len = e->state_len,
		.peer = rd->t->peer, .local = rd->t->local, .spi_i = rd->sa->spi_i,
		.spi_r = rd->sa->spi_r,
	};
	int rc;

	if (++e->rounds > IKE_EAP_ROUNDS_MAX) {
		fail(rd, "more than %u EAP messages", IKE_EAP_ROUNDS_MAX);
		return IKE_TASK_DONE;
	}
	rc = r->eap_be.send(r->eap_be.arg, &q, aaa_done, rd, &rd->handle);
	if (rc) {
		fail(rd, "cannot ask the AAA server: %s", strerror(-rc));
		return IKE_TASK_DONE;
	}
	rd->pending = true;
	return IKE_TASK_NEED_MORE;
}

/* The AAA server answered a relayed EAP Response (or gave up). */
static void aaa_done(void *arg, const struct ike_eap_aaa_ans *ans)
{
	struct ike_eap_round *rd = arg;
	struct ike_eap *e = rd->sa->eap;
	struct eap_pkt p;
	char nm[64], idb[256];

	rd->pending = false;
	rd->handle = NULL;
	if (ans->status) {
		fail(rd, "no answer from the AAA server (%s)", strerror(-ans->status));
		goto out;
	}
	if (ans->eap_len > IKE_EAP_MSG_MAX || (ans->eap_len && eap_parse(ans->eap, ans->eap_len, &p))) {
		fail(rd, "the AAA server sent a malformed EAP message");
		goto out;
	}
	switch (ans->code) {
	case IKE_EAP_AAA_REJECT:
		fail(rd, "the AAA server rejected '%s'%s", id_txt(e->user, e->user_len, idb,
		     sizeof(idb)), ans->eap_len && p.code == EAP_FAILURE ? " (EAP-Failure)" : "");
		break;
	case IKE_EAP_AAA_CHALLENGE:
		if (!ans->eap_len || p.code != EAP_REQUEST) {
			fail(rd, "an Access-Challenge without an EAP Request");
			break;
		}
		if (ans->state_len > sizeof(e->state_attr)) {
			fail(rd, "State too long");
			break;
		}
		memcpy(e->state_attr, ans->state, ans->state_len);
		e->state_len = ans->state_len;
		memcpy(rd->out, ans->eap, ans->eap_len);
		rd->out_len = ans->eap_len;
		e->last_id = p.id;
		RP_INFO(COMP, "%s: EAP Request %s (id %u) relayed from the AAA server",
			sa_nm(rd->sa, nm, sizeof(nm)), eap_type_name(p.type) ? eap_type_name(p.type) :
			"(other type)", p.id);
		break;
	case IKE_EAP_AAA_ACCEPT:
		if (ans->eap_len && p.code != EAP_SUCCESS) {
			fail(rd, "an Access-Accept with an EAP %s", eap_code_name(p.code));
			break;
		}
		if (ans->msk_len > sizeof(e->msk)) {
			fail(rd, "MSK too long");
			break;
		}
		if (ans->eap_len) {
			memcpy(rd->out, ans->eap, ans->eap_len);
			rd->out_len = ans->eap_len;
		} else { /* RFC 3579 §2.6.3 wants one; answer the client properly anyway */
			rd->out_len = eap_build_result(EAP_SUCCESS, e->last_id, rd->out,
						       sizeof(rd->out));
		}
		if (ans->msk_len) /* no MSK (EAP-MD5): ans->msk may be NULL */
			memcpy(e->msk, ans->msk, ans->msk_len);
		e->msk_len = ans->msk_len;
		if (ans->accept_len && ans->accept_len <= 4096 &&
		    (e->accept = malloc(ans->accept_len))) {
			memcpy(e->accept, ans->accept, ans->accept_len);
			e->accept_len = ans->accept_len;
		}
		if (ans->user_len && ans->user_len <= sizeof(e->server_id)) {
			memcpy(e->server_id, ans->user, ans->user_len);
			e->server_id_len = ans->user_len;
		}
		e->state = EAP_WAIT_AUTH;
		RP_NOTICE(COMP, "%s: EAP Success for '%s' from the AAA server (%s); waiting for "
			  "the client's AUTH", sa_nm(rd->sa, nm, sizeof(nm)),
			  id_txt(e->user, e->user_len, idb, sizeof(idb)),
			  e->msk_len ? "with an MSK" : "no MSK: AUTH keyed with SK_pi/SK_pr");
		break;
	}
out:
	ike_task_resume(rd->t, IKE_TASK_DONE);
}

int ike_eap_start(struct ike_eap_round *rd, const struct ike_auth_result *res,
		  const uint8_t *idi_body, size_t idi_len, const struct ike_child_req *req,
		  bool initial_contact)
{
	struct ike_sa *sa = rd->sa;
	const struct pol_profile *p = res->profile;
	struct ike_eap *e;
	uint8_t id;
	char nm[64];

	rd->active = rd->first = true;
	if (!rd->r->has_eap) {
		fail(rd, "EAP is not configured (no aaa section with an EAP authentication list)");
		return IKE_TASK_DONE;
	}
	if (!p || !(p->auth_remote & POL_AUTH_EAP)) {
		fail(rd, "no ikev2 profile allows remote EAP");
		return IKE_TASK_DONE;
	}
	if (idi_len < 4 || idi_len > sizeof(e->idi_body)) {
		fail(rd, "bad IDi");
		return IKE_TASK_DONE;
	}
	ike_eap_free(sa->eap);
	sa->eap = e = calloc(1, sizeof(*e));
	if (!e) {
		fail(rd, "out of memory");
		return IKE_TASK_DONE;
	}
	e->profile = p;
	e->authz = res->authz;
	e->group = res->group;
	e->query_identity = p->eap_query_identity;
	e->timeout_s = p->eap_timeout > 0 ? (unsigned)p->eap_timeout : IKE_EAP_TIMEOUT_S;
	snprintf(e->list, sizeof(e->list), "%s", p->aaa_eap_list);
	memcpy(e->idi_body, idi_body, idi_len);
	e->idi_body_len = idi_len;
	{
		const uint8_t *lid;
		uint8_t lt, lbuf[16];
		size_t ll;

		ike_local_id(rd->r, &rd->t->local, &lt, &lid, &ll, lbuf);
		if (res->idr_len) { /* the profile's identity_local (ike_cert.c) */
			lt = res->idr_type;
			lid = res->idr;
			ll = res->idr_len;
		}
		e->idr_body[0] = lt;
		memcpy(e->idr_body + 4, lid, ll);
		e->idr_body_len = 4 + ll;
	}
	e->req = *req;
	e->initial_contact = initial_contact;
	if (e->query_identity) {
		if (ike_random(&rd->r->rng, &id, 1)) {
			fail(rd, "no random identifier");
			return IKE_TASK_DONE;
		}
		rd->out_len = eap_build_identity_request(id, rd->out, sizeof(rd->out));
		e->last_id = id;
		e->identity_pending = true;
		RP_INFO(COMP, "%s: EAP for profile %s: asking the client for its EAP identity",
			sa_nm(sa, nm, sizeof(nm)), p->name);
		return IKE_TASK_DONE;
	}
	/* the IKE identity is the EAP identity; an address cannot be one (the reference) */
	switch (idi_body[0]) {
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR:
	case IKE_ID_KEY_ID:
		break;
	default:
		fail(rd, "its IKE identity (ID type %u) cannot be an EAP identity, and profile %s "
		     "does not query one (eap query-identity)", idi_body[0], p->name);
		return IKE_TASK_DONE;
	}
	if (idi_len - 4 < 1 || idi_len - 4 > sizeof(e->user)) {
		fail(rd, "its IKE identity is not usable as a User-Name");
		return IKE_TASK_DONE;
	}
	memcpy(e->user, idi_body + 4, idi_len - 4);
	e->user_len = idi_len - 4;
	rd->out_len = eap_build_identity_response(0, e->user, e->user_len, rd->out,
						  sizeof(rd->out));
	RP_INFO(COMP, "%s: EAP for profile %s with the IKE identity, asking the AAA server%s%s",
		sa_nm(sa, nm, sizeof(nm)), p->name, e->list[0] ? " of list " : "", e->list);
	/* the server's first request comes back into rd->out */
	return relay(rd, rd->out, rd->out_len);
}

/* The final AUTH (§2.16): keyed with the MSK, else SK_pi / SK_pr. */
static void final_auth(struct ike_eap_round *rd, const struct ike_pl *auth,
		       struct ike_auth_result *res)
{
	struct ike_sa *sa = rd->sa;
	struct ike_eap *e = sa->eap;
	uint8_t *oi = NULL, *or_ = NULL, mac[IKE_PRF_MAX];
	const uint8_t *ki = e->msk, *kr = e->msk;
	size_t cap, oi_len = 0, or_len = 0, kl = e->msk_len, plen = ike_prf_len(sa->alg.s.prf);
	char nm[64], idb[256];

	if (!e->msk_len) {
		ki = sa->keys.sk_pi;
		kr = sa->keys.sk_pr;
		kl = sa->keys.p_len;
	}
	if (auth->f.u8a != IKE_AUTH_PSK) {
		fail(rd, "AUTH method %u after EAP (must be 2, shared key MIC)", auth->f.u8a);
		return;
	}
	cap = sa->init_req_len + sa->init_resp_len + 256 + sizeof(sa->nr) + 2 * IKE_PRF_MAX;
	oi = malloc(cap);
	or_ = malloc(cap);
	if (!oi || !or_ || !plen ||
	    ike_auth_octets(sa->alg.s.prf, sa->init_req, sa->init_req_len, sa->nr, sizeof(sa->nr),
			    sa->keys.sk_pi, sa->keys.p_len, e->idi_body, e->idi_body_len, oi, cap,
			    &oi_len) ||
	    ike_auth_octets(sa->alg.s.prf, sa->init_resp, sa->init_resp_len, sa->ni, sa->ni_len,
			    sa->keys.sk_pr, sa->keys.p_len, e->idr_body, e->idr_body_len, or_,
			    cap, &or_len) ||
	    ike_auth_psk(sa->alg.s.prf, ki, kl, oi, oi_len, mac) ||
	    ike_auth_psk(sa->alg.s.prf, kr, kl, or_, or_len, res->auth)) {
		fail(rd, "cannot compute AUTH");
		goto out;
	}
	if (auth->f.data.len != plen || CRYPTO_memcmp(mac, auth->f.data.p, plen)) {
		fail(rd, "the client's AUTH does not match the %s", e->msk_len ? "EAP MSK" :
		     "keys (EAP method without an MSK)");
		goto out;
	}
	res->status = 0;
	res->method = IKE_AUTH_PSK;
	res->auth_len = plen;
	res->profile = e->profile;
	res->authz = e->authz;
	res->group = e->group;
	rd->final = true;
	e->state = EAP_DONE;
	{
		const uint8_t *id;
		size_t len;

		ike_eap_identity(sa, &id, &len);
		RP_NOTICE(COMP, "%s: authenticated by EAP as '%s', profile %s", sa_nm(sa, nm, sizeof(nm)),
			  id_txt(id, len, idb, sizeof(idb)), e->profile->name);
	}
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(e->msk, sizeof(e->msk)); /* needed no more */
	e->msk_len = 0;
	if (oi)
		OPENSSL_cleanse(oi, cap);
	if (or_)
		OPENSSL_cleanse(or_, cap);
	free(oi);
	free(or_);
}

int ike_eap_continue(struct ike_eap_round *rd, const struct ike_msg *m,
		     struct ike_auth_result *res, struct ike_child_req *req, uint8_t *idi_type,
		     uint8_t *idi, size_t *idi_len, bool *initial_contact)
{
	struct ike_sa *sa = rd->sa;
	struct ike_eap *e = sa->eap;
	const struct ike_pl *epl = ike_msg_find(m, IKE_PL_EAP, NULL);
	const struct ike_pl *auth = ike_msg_find(m, IKE_PL_AUTH, NULL);
	const uint8_t *ident;
	struct eap_pkt p;
	size_t ilen;

	rd->active = true;
	if (e->state == EAP_WAIT_AUTH) {
		if (!auth) {
			fail(rd, "no AUTH after EAP Success");
			return IKE_TASK_DONE;
		}
		final_auth(rd, auth, res);
		if (rd->failed)
			return IKE_TASK_DONE;
		*req = e->req;
		*idi_type = e->idi_body[0];
		*idi_len = e->idi_body_len - 4;
		memcpy(idi, e->idi_body + 4, *idi_len);
		*initial_contact = e->initial_contact;
		return IKE_TASK_DONE;
	}
	if (e->state != EAP_WAIT_EAP) {
		fail(rd, "IKE_AUTH after EAP has finished");
		return IKE_TASK_DONE;
	}
	if (!epl) {
		fail(rd, "%s while EAP is in progress", auth ? "AUTH" : "no EAP payload");
		return IKE_TASK_DONE;
	}
	if (epl->body.len > IKE_EAP_MSG_MAX || eap_parse(epl->body.p, epl->body.len, &p)) {
		fail(rd, "malformed EAP payload (or longer than %u octets)", IKE_EAP_MSG_MAX);
		return IKE_TASK_DONE;
	}
	if (p.code != EAP_RESPONSE || p.id != e->last_id) {
		fail(rd, "EAP %s with identifier %u where a Response to %u was expected",
		     eap_code_name(p.code), p.id, e->last_id);
		return IKE_TASK_DONE;
	}
	if (e->identity_pending) {
		if (!eap_identity(&p, &ident, &ilen) || !ilen || ilen > sizeof(e->user)) {
			fail(rd, "the client did not answer the EAP-Request/Identity with an "
			     "identity of 1..253 octets");
			return IKE_TASK_DONE;
		}
		e->identity_pending = false;
		memcpy(e->queried, ident, ilen);
		e->queried_len = ilen;
		memcpy(e->user, ident, ilen);
		e->user_len = ilen;
	}
	return relay(rd, epl->body.p, epl->body.len);
}

void ike_eap_round_cancel(struct ike_eap_round *rd)
{
	if (rd->pending && rd->r->has_eap && rd->r->eap_be.cancel)
		rd->r->eap_be.cancel(rd->r->eap_be.arg, rd->handle);
	rd->pending = false;
	rd->handle = NULL;
}

void ike_eap_round_commit(struct ike_eap_round *rd)
{
	struct ike_eap *e = rd->sa->eap;

	if (e && e->state != EAP_DONE)
		e->deadline_ms = rd->r->now_ms + 1000ull * e->timeout_s;
}

void ike_eap_identity(const struct ike_sa *sa, const uint8_t **id, size_t *len)
{
	const struct ike_eap *e = sa->eap;

	*id = NULL;
	*len = 0;
	if (!e)
		return;
	if (e->server_id_len) {
		*id = e->server_id;
		*len = e->server_id_len;
	} else if (e->queried_len) {
		*id = e->queried;
		*len = e->queried_len;
	} else {
		*id = e->user;
		*len = e->user_len;
	}
}

void ike_eap_accept(const struct ike_sa *sa, const uint8_t **pkt, size_t *len)
{
	*pkt = sa->eap ? sa->eap->accept : NULL;
	*len = sa->eap && sa->eap->accept ? sa->eap->accept_len : 0;
}

void ike_eap_identity_text(const struct ike_sa *sa, char *buf, size_t len)
{
	const uint8_t *id;
	size_t n;

	ike_eap_identity(sa, &id, &n);
	if (len)
		id_txt(id, n, buf, len);
}

bool ike_eap_expired(const struct ike_sa *sa, uint64_t now_ms)
{
	const struct ike_eap *e = sa->eap;
	char nm[64];

	if (!e || e->state == EAP_DONE || !e->deadline_ms || now_ms < e->deadline_ms)
		return false;
	RP_NOTICE(COMP, "%s: EAP: no IKE_AUTH from the client within %u s (eap timeout), "
		  "deleted", sa_nm(sa, nm, sizeof(nm)), e->timeout_s);
	return true;
}
