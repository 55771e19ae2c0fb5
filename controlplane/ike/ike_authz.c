/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* AAA authorization of an IKEv2 session (ike_authz.h): the backend's policy becomes the
 * SA's, owned by it and moved with it on IKE SA rekey (ike_sa_move_session()). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "controlplane/ike/ike_priv.h"
#include "controlplane/policy/policy.h"

void ike_resp_set_authz(struct ike_resp *r, const struct ike_authz_backend *be)
{
	if (be)
		r->authz_be = *be;
	else
		memset(&r->authz_be, 0, sizeof(r->authz_be));
}

void ike_sa_authz_release(struct ike_sa *sa)
{
	if (sa->authz_release && sa->authz_own)
		sa->authz_release(sa->authz_own);
	sa->authz_release = NULL;
	sa->authz_own = NULL;
}

void ike_sa_authz_apply(struct ike_resp *r, struct ike_sa *sa, const struct ike_authz_out *out)
{
	ike_sa_authz_release(sa);   /* an earlier one's (not expected) */
	if (out->authz) {
		sa->authz = out->authz;
		sa->authz_release = out->release;
		sa->authz_own = out->owned;
		if (out->authz->session_lifetime > 0)
			sa->session_end_ms = r->now_ms + (uint64_t)out->authz->session_lifetime * 1000u;
		else
			sa->session_end_ms = 0;
	}
	sa->has_framed4 = out->has_framed4;
	memcpy(sa->framed4, out->framed4, 4);
	sa->has_framed6 = out->has_framed6;
	memcpy(sa->framed6, out->framed6, 16);
	sa->framed6_plen = out->framed6_plen;
}

void ike_sa_authz_cancel(struct ike_resp *r, void *handle)
{
	if (handle && r->authz_be.cancel)
		r->authz_be.cancel(r->authz_be.arg, handle);
}

int ike_sa_authorize(struct ike_resp *r, struct ike_sa *sa, const struct ike_addr *peer,
		     const struct ike_addr *local, uint8_t method, uint8_t id_type,
		     const uint8_t *id, size_t id_len, ike_authz_cb cb, void *cb_arg,
		     void **handle)
{
	bool eap = method == 0;
	struct ike_authz_query q = { .profile = sa->profile, .authz = sa->authz, .eap = eap,
				     .method = method, .id_type = id_type, .id = id,
				     .id_len = id_len, .spi_i = sa->spi_i, .spi_r = sa->spi_r };
	struct ike_authz_out out = { 0 };
	int rc;

	q.peer_af = peer->af;
	q.local_af = local->af;
	memcpy(q.peer, peer->addr, 16);
	memcpy(q.local, local->addr, 16);
	*handle = NULL;
	if (!r->authz_be.authorize || !sa->profile)
		return 0;
	if (eap && sa->eap) {
		ike_eap_identity(sa, &q.eap_id, &q.eap_id_len);
		ike_eap_accept(sa, &q.accept, &q.accept_len);
	}
	rc = r->authz_be.authorize(r->authz_be.arg, &q, &out, cb, cb_arg, handle);
	if (rc)
		return rc == 1 ? 1 : -EACCES;
	ike_sa_authz_apply(r, sa, &out);
	return 0;
}
