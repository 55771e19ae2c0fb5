/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * What the chosen ikev2 profile and its authorization policy decide for an IKE SA once it
 * is authenticated (policy.h): the pools (ike_child.c), the IKE SA lifetime (ike_rekey.c),
 * DPD (ike_dpd.c), the session lifetime and the IPsec flow limit (here). Without a profile
 * (the ike section's PSK peers) the ike section's settings apply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "controlplane/ike/ike_priv.h"
#include "controlplane/policy/policy.h"

static const char *sa_name(const struct ike_sa *sa, char *buf, size_t len)
{
	snprintf(buf, len, "session %u (IKE_SA %016llx_i %016llx_r)", sa->live.id,
		 (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r);
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
	const struct ike_suite *s = &sa->alg.s;
	char nm[96];

	for (unsigned i = 0; i < p->n_proposals; i++)
		for (unsigned k = 0; k < r->n_proposals; k++)
			if (!strcmp(r->proposals[k].name, p->proposals[i]) &&
			    proposal_allows(&r->proposals[k], s))
				return 0;
	if (!p->n_proposals)
		return 0;
	RP_NOTICE("ike", "%s: the IKE SA's algorithms (%s%s%u, PRF %s, %s%s%s) are in none of "
		  "the proposals of profile %s (%s%s): AUTHENTICATION_FAILED",
		  sa_name(sa, nm, sizeof(nm)), ike_encr_name(s->encr), s->encr_bits ? " " : "",
		  s->encr_bits, ike_prf_name(s->prf), s->integ ? ike_integ_name(s->integ) : "",
		  s->integ ? ", " : "", ike_dh_name(s->dh), p->name, p->proposals[0],
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

void ike_policy_tick(struct ike_resp *r, uint64_t now_ms)
{
	struct ike_sa *sa, *n;
	char nm[96];

	for (sa = r->sas; sa; sa = n) {
		n = sa->next;
		if (!sa->session_end_ms || now_ms < sa->session_end_ms ||
		    sa->state != IKE_SA_ESTABLISHED || sa->live.clearing)
			continue;
		RP_NOTICE("ike", "%s: session lifetime of %ld s (authorization policy %s) reached: "
			  "the session ends", sa_name(sa, nm, sizeof(nm)),
			  sa->authz ? sa->authz->session_lifetime : 0L,
			  sa->authz ? sa->authz->name : "-");
		sa->session_end_ms = 0;
		sa->end_cause = IKE_END_SESSION_TIMEOUT;
		ike_resp_clear(r, sa, "session lifetime");
	}
}

const char *ike_sa_profile_name(const struct ike_sa *sa)
{
	return sa->profile ? sa->profile->name : NULL;
}

void ike_resp_nat_keepalives(struct ike_resp *r, uint64_t now_ms, unsigned def_s,
			     void (*send)(void *arg, const struct ike_addr *local,
					  const struct ike_addr *peer), void *arg)
{
	for (struct ike_sa *sa = r->sas; sa; sa = sa->next) {
		unsigned every = sa->pol_nat_keepalive_s ? sa->pol_nat_keepalive_s : def_s;

		if (!every || sa->state != IKE_SA_ESTABLISHED || !sa->local_nat ||
		    sa->live.clearing || now_ms - sa->nat_ka_ms < every * 1000ull)
			continue;
		sa->nat_ka_ms = now_ms;
		send(arg, &sa->local, &sa->peer);
	}
}
