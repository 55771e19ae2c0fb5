/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * What the chosen ikev2 profile and its authorization policy decide for an IKE SA once it
 * is authenticated (policy.h): the pools (ike_child.c), the IKE SA lifetime (ike_rekey.c),
 * DPD (ike_dpd.c), the session lifetime and the IPsec flow limit (here). Without a profile
 * (the ike section's PSK peers) the ike section's settings apply.
 *
 * Also the IKEv2 policies (ike.policies, IOS crypto ikev2 policy): before any profile is
 * known, IKE_SA_INIT chooses the IKE SA's algorithms from the named proposals of the policy
 * of the local address the request arrived on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/manual_sa.h"
#include "controlplane/ike/ike_priv.h"
#include "controlplane/mgmt/json.h"
#include "controlplane/policy/policy.h"
#include "controlplane/util/sbuf.h"

static const char *sa_name(const struct ike_sa *sa, char *buf, size_t len)
{
	snprintf(buf, len, "session %u (IKE_SA %016llx_i %016llx_r)", sa->live.id,
		 (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r);
	return buf;
}

/* "AES_GCM_16 256, PRF HMAC_SHA2_256, ECP_256" */
static const char *suite_text(const struct ike_suite *s, char *buf, size_t len)
{
	char bits[8] = "";

	if (s->encr_bits)
		snprintf(bits, sizeof(bits), " %u", s->encr_bits);
	snprintf(buf, len, "%s%s, PRF %s, %s%s%s", ike_encr_name(s->encr), bits,
		 ike_prf_name(s->prf), s->integ ? ike_integ_name(s->integ) : "",
		 s->integ ? ", " : "", ike_dh_name(s->dh));
	return buf;
}

static bool in_list(const uint16_t *ids, const uint16_t *bits, size_t n, uint16_t id,
		    uint16_t b)
{
	if (!ids[0])
		return true; /* an empty list allows any */
	for (size_t i = 0; i < n && ids[i]; i++)
		if (ids[i] == id && (!bits || bits[i] == b))
			return true;
	return false;
}

static bool proposal_allows(const struct ike_named_proposal *pr, const struct ike_suite *s)
{
	return in_list(pr->encr, pr->encr_bits, 8, s->encr, s->encr_bits) &&
	       in_list(pr->prf, NULL, 4, s->prf, 0) &&
	       (!s->integ || in_list(pr->integ, NULL, 4, s->integ, 0)) && /* AEAD: none */
	       in_list(pr->dh, NULL, 8, s->dh, 0);
}

/* The profile's proposals (IOS: the IKEv2 policy's) must allow the IKE SA's algorithms. The
 * profile is only known now, after IKE_SA_INIT chose them from the ike section's lists, so
 * a mismatch refuses the peer here. No proposals in the profile: any. */
static int check_proposals(const struct ike_resp *r, const struct ike_sa *sa,
			   const struct pol_profile *p)
{
	char nm[96], st[96];

	for (unsigned i = 0; i < p->n_proposals; i++)
		for (unsigned k = 0; k < r->n_proposals; k++)
			if (!strcmp(r->proposals[k].name, p->proposals[i]) &&
			    proposal_allows(&r->proposals[k], &sa->alg.s))
				return 0;
	if (!p->n_proposals)
		return 0;
	RP_NOTICE("ike", "%s: the IKE SA's algorithms (%s) are in none of the proposals of "
		  "profile %s (%s%s): AUTHENTICATION_FAILED", sa_name(sa, nm, sizeof(nm)),
		  suite_text(&sa->alg.s, st, sizeof(st)), p->name, p->proposals[0],
		  p->n_proposals > 1 ? ", ..." : "");
	return -EACCES;
}

int ike_sa_apply_policy(struct ike_resp *r, struct ike_sa *sa,
			const struct ike_auth_result *res)
{
	const struct pol_profile *p = res->profile;
	const struct pol_authz *az = res->authz;
	char nm[96];

	if (p && check_proposals(r, sa, p))
		return -EACCES;

	sa->profile = p;
	sa->authz = az;
	sa->group = res->group;
	sa->pol_lifetime_s = 0;
	sa->pol_dpd = false;
	sa->pol_nat_keepalive_s = 0;
	sa->session_end_ms = 0;
	if (p) {
		sa->pol_nat_keepalive_s = p->nat_keepalive > 0 ? (unsigned)p->nat_keepalive : 0;
		if (p->has_lifetime)
			sa->pol_lifetime_s = (unsigned)p->lifetime;
		if (p->dpd_interval) {
			sa->pol_dpd = true;
			sa->pol_dpd_mode = p->dpd_periodic ? IKE_DPD_PERIODIC : IKE_DPD_ON_DEMAND;
			sa->pol_dpd_interval = (unsigned)p->dpd_interval;
			sa->pol_dpd_retry = (unsigned)p->dpd_retry;
			if (!p->dpd_periodic)
				r->pol_dpd_on_demand = true; /* ike_resp_wants_counters() */
		}
	}
	if (az && az->session_lifetime > 0)
		sa->session_end_ms = r->now_ms + (uint64_t)az->session_lifetime * 1000u;
	if (p) {
		char life[48] = "none", flows[24] = "none";

		if (az && az->session_lifetime > 0)
			snprintf(life, sizeof(life), "%ld s", az->session_lifetime);
		if (az && az->flow_limit >= 0)
			snprintf(flows, sizeof(flows), "%ld", az->flow_limit);
		RP_INFO("ike", "%s: profile %s, group %s, authorization policy %s: IKE SA lifetime "
			"%u s%s, DPD %s, NAT keepalive %s, session lifetime %s, IPsec flow limit %s",
			sa_name(sa, nm, sizeof(nm)), p->name, sa->group ? sa->group : "-",
			az ? az->name : "-", sa->pol_lifetime_s ? sa->pol_lifetime_s :
			r->cfg.ike_lifetime ? r->cfg.ike_lifetime : 86400u,
			sa->pol_lifetime_s ? "" : " (ike.lifetime)",
			sa->pol_dpd ? "from the profile" : "of the ike section",
			sa->pol_nat_keepalive_s ? "from the profile" : "of the ike section", life, flows);
	}
	return 0;
}

uint16_t ike_sa_flow_check(const struct ike_sa *sa)
{
	unsigned live = 0;
	char nm[96];

	if (!sa->authz || sa->authz->flow_limit < 0)
		return 0;
	for (unsigned i = 0; i < sa->n_child; i++)
		if (!sa->child[i].rekeyed) /* a rekey replaces a flow, it adds none */
			live++;
	if (live < (unsigned long)sa->authz->flow_limit)
		return 0;
	RP_NOTICE("ike", "%s: CHILD_SA refused (NO_ADDITIONAL_SAS): the session has %u of the "
		  "%ld IPsec SAs authorization policy %s allows (ipsec_flow_limit)",
		  sa_name(sa, nm, sizeof(nm)), live, sa->authz->flow_limit, sa->authz->name);
	return IKE_N_NO_ADDITIONAL_SAS;
}

void ike_policy_sa_tick(struct ike_resp *r, struct ike_sa *sa, uint64_t now_ms)
{
	char nm[96];

	if (!sa->session_end_ms || now_ms < sa->session_end_ms ||
	    sa->state != IKE_SA_ESTABLISHED || sa->live.clearing)
		return;
	RP_NOTICE("ike", "%s: session lifetime of %ld s (authorization policy %s) reached: "
		  "the session ends", sa_name(sa, nm, sizeof(nm)),
		  sa->authz ? sa->authz->session_lifetime : 0L, sa->authz ? sa->authz->name : "-");
	sa->session_end_ms = 0;
	sa->end_cause = IKE_END_SESSION_TIMEOUT;
	ike_resp_clear(r, sa, "session lifetime");
}

const char *ike_sa_profile_name(const struct ike_sa *sa)
{
	return sa->profile ? sa->profile->name : NULL;
}

void ike_resp_set_nat_keepalive(struct ike_resp *r, unsigned def_s,
				void (*send)(void *arg, const struct ike_addr *local,
					     const struct ike_addr *peer), void *arg)
{
	r->ka_def_s = def_s;
	r->ka_send = send;
	r->ka_arg = arg;
}

void ike_policy_sa_keepalive(struct ike_resp *r, struct ike_sa *sa, uint64_t now_ms)
{
	unsigned every = sa->pol_nat_keepalive_s ? sa->pol_nat_keepalive_s : r->ka_def_s;

	if (!r->ka_send || !every || sa->state != IKE_SA_ESTABLISHED || !sa->local_nat ||
	    sa->live.clearing || now_ms - sa->nat_ka_ms < every * 1000ull)
		return;
	sa->nat_ka_ms = now_ms;
	r->ka_send(r->ka_arg, &sa->local, &sa->peer);
}

/* ---- IKEv2 policies: the proposals IKE_SA_INIT may choose (IOS crypto ikev2 policy) ------- */

void ike_resp_set_policies(struct ike_resp *r, const struct ike_policy *p, unsigned n)
{
	r->policies = p;
	r->n_policies = n;
}

static bool prefix_has(const struct rp_prefix *p, const struct ike_addr *a)
{
	unsigned full = p->plen / 8, rest = p->plen % 8;

	if (p->af != a->af)
		return false;
	if (memcmp(p->addr, a->addr, full))
		return false;
	return !rest || !((p->addr[full] ^ a->addr[full]) & (uint8_t)(0xff00 >> rest));
}

const struct ike_policy *ike_policy_find(const struct ike_resp *r, const struct ike_addr *local)
{
	const struct ike_policy *any = NULL;

	for (unsigned i = 0; i < r->n_policies; i++) {
		const struct ike_policy *p = &r->policies[i];

		if (!p->n_local && !any)
			any = p;
		for (unsigned k = 0; local && k < p->n_local; k++)
			if (prefix_has(&p->local[k], local))
				return p;
	}
	return any;
}

/* What named proposal @p np allows, as responder lists: each list it has replaces the ike
 * section's, a list it leaves out is the ike section's. */
static void proposal_cfg(const struct ike_resp_cfg *def, const struct ike_named_proposal *np,
			 struct ike_resp_cfg *c)
{
	*c = *def;
	if (np->encr[0]) {
		memcpy(c->encr, np->encr, sizeof(c->encr));
		memcpy(c->encr_bits, np->encr_bits, sizeof(c->encr_bits));
	}
	if (np->prf[0])
		memcpy(c->prf, np->prf, sizeof(c->prf));
	if (np->integ[0])
		memcpy(c->integ, np->integ, sizeof(c->integ));
	if (np->dh[0])
		memcpy(c->dh, np->dh, sizeof(c->dh));
}

/* Where proposal number @p num is in the peer's SA payload (its preference). */
static unsigned prop_index(const struct ike_sa_pl *sa, uint8_t num, uint8_t spi_len)
{
	for (unsigned i = 0; i < sa->n_prop; i++)
		if (sa->prop[i].num == num && sa->prop[i].proto == IKE_PROTO_IKE &&
		    sa->prop[i].spi_len == spi_len)
			return i;
	return sa->n_prop;
}

static const char *addr_text(const struct ike_addr *a, char *buf, size_t len)
{
	if (!a || !inet_ntop(a->af == 6 ? AF_INET6 : AF_INET, a->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

bool ike_policy_select_ike(const struct ike_resp *r, const struct ike_policy *pol,
			   const struct ike_addr *peer, const struct ike_addr *local,
			   const struct ike_sa_pl *sa, uint16_t ke_group, uint8_t spi_len,
			   struct ike_suite *s, uint8_t *prop_num)
{
	char la[INET6_ADDRSTRLEN], pa[INET6_ADDRSTRLEN], offers[160] = "", st[96];
	unsigned best_idx = UINT32_MAX, best_k = 0;
	struct ike_suite best = { 0 };
	uint8_t best_num = 0;
	bool ok;

	if (!pol) {
		ok = ike_select_ike(&r->cfg, sa, ke_group, spi_len, s, prop_num);
		if (local && r->n_policies)
			RP_LOG_RL(RP_LOG_INFO, "ike", "IKE_SA_INIT on %s from %s: no IKEv2 policy "
				  "matches this address: the ike section's algorithms apply (default "
				  "policy)%s", addr_text(local, la, sizeof(la)),
				  addr_text(peer, pa, sizeof(pa)), ok ? "" : ": NO_PROPOSAL_CHOSEN");
		return ok;
	}
	for (unsigned k = 0; k < pol->n_prop; k++) {
		const struct ike_named_proposal *np;
		struct ike_resp_cfg c;
		struct ike_suite cand;
		uint8_t num;
		unsigned idx;

		if (pol->prop[k] >= r->n_proposals)
			continue; /* ike_conf.c resolved the names: cannot happen */
		np = &r->proposals[pol->prop[k]];
		snprintf(offers + strlen(offers), sizeof(offers) - strlen(offers), "%s%s",
			 k ? ", " : "", np->name);
		proposal_cfg(&r->cfg, np, &c);
		if (!ike_select_ike(&c, sa, ke_group, spi_len, &cand, &num))
			continue;
		/* the peer's preference first; for the same proposal of the peer, one whose DH
		 * group is the peer's KE saves a round trip; then our order */
		idx = prop_index(sa, num, spi_len);
		if (idx < best_idx ||
		    (idx == best_idx && cand.dh == ke_group && best.dh != ke_group)) {
			best_idx = idx;
			best = cand;
			best_num = num;
			best_k = k;
		}
	}
	ok = best_idx != UINT32_MAX;
	if (local && !ok)
		RP_LOG_RL(RP_LOG_NOTICE, "ike", "IKE_SA_INIT on %s from %s: policy %s offers %s; "
			  "none of the peer's proposals fits them: NO_PROPOSAL_CHOSEN",
			  addr_text(local, la, sizeof(la)), addr_text(peer, pa, sizeof(pa)),
			  pol->name, offers);
	else if (local)
		RP_LOG_RL(RP_LOG_INFO, "ike", "IKE_SA_INIT on %s from %s: policy %s offers %s; "
			  "chose %s (proposal %s)", addr_text(local, la, sizeof(la)),
			  addr_text(peer, pa, sizeof(pa)), pol->name, offers,
			  suite_text(&best, st, sizeof(st)), r->proposals[pol->prop[best_k]].name);
	if (ok) {
		*s = best;
		*prop_num = best_num;
	}
	return ok;
}

bool ike_policy_allows_dh(const struct ike_resp *r, const struct ike_policy *pol, uint16_t g)
{
	struct ike_resp_cfg c;

	for (unsigned k = 0; pol && k < pol->n_prop; k++) {
		if (pol->prop[k] >= r->n_proposals)
			continue;
		proposal_cfg(&r->cfg, &r->proposals[pol->prop[k]], &c);
		for (unsigned i = 0; i < 8 && c.dh[i]; i++)
			if (c.dh[i] == g)
				return true;
	}
	for (unsigned i = 0; !pol && i < 8 && r->cfg.dh[i]; i++)
		if (r->cfg.dh[i] == g)
			return true;
	return false;
}

/* ---- "show ike-policies" ------------------------------------------------------------------ */

/* One list of a named proposal: names (with key bits for ciphers), or NULL when the proposal
 * leaves it to the ike section. */
static const char *alg_list_text(const uint16_t *ids, const uint16_t *bits, size_t n,
				 const char *(*name)(unsigned), char *buf, size_t len)
{
	size_t o = 0;

	if (!ids[0])
		return NULL;
	buf[0] = 0;
	for (size_t i = 0; i < n && ids[i] && o < len; i++) {
		int w = snprintf(buf + o, len - o, "%s%s", i ? " " : "", name(ids[i]));

		if (w > 0 && bits && bits[i] && (size_t)w < len - o)
			w += snprintf(buf + o + w, len - o - (size_t)w, "-%u", bits[i]);
		o += w > 0 ? (size_t)w : 0;
	}
	return buf;
}

static void alg_list_json(struct json_w *w, const char *key, const uint16_t *ids,
			  const uint16_t *bits, size_t n, const char *(*name)(unsigned))
{
	char b[48];

	json_key(w, key);
	if (!ids[0]) {
		json_null(w); /* the ike section's list */
		return;
	}
	json_arr_open(w);
	for (size_t i = 0; i < n && ids[i]; i++) {
		if (bits && bits[i])
			snprintf(b, sizeof(b), "%s-%u", name(ids[i]), bits[i]);
		else
			snprintf(b, sizeof(b), "%s", name(ids[i]));
		json_str(w, b);
	}
	json_arr_close(w);
}

static void proposal_text(const struct ike_named_proposal *np, struct sbuf *o)
{
	char b[256];
	const char *t;

	sbuf_printf(o, "  proposal %s\n", np->name);
	t = alg_list_text(np->encr, np->encr_bits, 8, ike_encr_name, b, sizeof(b));
	sbuf_printf(o, "    %-12s %s\n", "encryption", t ? t : "ike.encryption");
	t = alg_list_text(np->prf, NULL, 4, ike_prf_name, b, sizeof(b));
	sbuf_printf(o, "    %-12s %s\n", "prf", t ? t : "ike.prf");
	t = alg_list_text(np->integ, NULL, 4, ike_integ_name, b, sizeof(b));
	sbuf_printf(o, "    %-12s %s\n", "integrity", t ? t : "ike.integrity");
	t = alg_list_text(np->dh, NULL, 8, ike_dh_name, b, sizeof(b));
	sbuf_printf(o, "    %-12s %s\n", "dh groups", t ? t : "ike.dh_groups");
}

int ike_policies_show(const struct ike_named_proposal *props, unsigned n_props,
		      const struct ike_policy *pols, unsigned n_pols, const char *name, bool json,
		      struct sbuf *out, struct json_w *jw)
{
	unsigned shown = 0;
	char pfx[64];

	if (json) {
		json_obj_open(jw);
		json_key(jw, "policies");
		json_arr_open(jw);
	}
	for (unsigned i = 0; i < n_pols; i++) {
		const struct ike_policy *p = &pols[i];

		if (name && strcmp(name, p->name))
			continue;
		if (!json && shown)
			sbuf_addc(out, '\n');
		shown++;
		if (json) {
			json_obj_open(jw);
			json_kv_str(jw, "name", p->name);
			json_key(jw, "match_address_local"); /* empty: every address */
			json_arr_open(jw);
			for (unsigned k = 0; k < p->n_local; k++)
				json_str(jw, rp_prefix_str(&p->local[k], pfx, sizeof(pfx)));
			json_arr_close(jw);
			json_key(jw, "proposals");
			json_arr_open(jw);
		} else {
			sbuf_printf(out, "IKEv2 policy %s\n", p->name);
			if (!p->n_local)
				sbuf_printf(out, "  match address local any\n");
			for (unsigned k = 0; k < p->n_local; k++)
				sbuf_printf(out, "  match address local %s\n",
					    rp_prefix_str(&p->local[k], pfx, sizeof(pfx)));
		}
		for (unsigned k = 0; k < p->n_prop; k++) {
			const struct ike_named_proposal *np;

			if (p->prop[k] >= n_props)
				continue;
			np = &props[p->prop[k]];
			if (!json) {
				proposal_text(np, out);
				continue;
			}
			json_obj_open(jw);
			json_kv_str(jw, "name", np->name);
			alg_list_json(jw, "encryption", np->encr, np->encr_bits, 8, ike_encr_name);
			alg_list_json(jw, "prf", np->prf, NULL, 4, ike_prf_name);
			alg_list_json(jw, "integrity", np->integ, NULL, 4, ike_integ_name);
			alg_list_json(jw, "dh_groups", np->dh, NULL, 8, ike_dh_name);
			json_obj_close(jw);
		}
		if (json) {
			json_arr_close(jw);
			json_obj_close(jw);
		}
	}
	if (json) {
		json_arr_close(jw);
		json_obj_close(jw);
	} else if (!name) {
		sbuf_printf(out, "%sAddresses no policy matches: the ike section's algorithms "
			    "(default policy)\n", shown ? "\n" : "No IKEv2 policies are configured. ");
	}
	return name && !shown ? -ENOENT : 0;
}
