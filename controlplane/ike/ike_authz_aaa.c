/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* IKEv2 authorization in rampartd (ike_authz_aaa.h): cached EAP attributes, local lists
 * and RADIUS lists (Access-Requests for the mangled user / group name), merged as the
 * reference says. */
#include "controlplane/ike/ike_authz_aaa.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "controlplane/aaa/aaa_conf.h"
#include "controlplane/aaa/authz.h"
#include "controlplane/aaa/radius_client.h"
#include "controlplane/aaa/radius.h"
#include "controlplane/ike/ike_proto.h"

#define COMP "ike"
#define GROUPS_MAX 16u
/* IOS's password in authorization requests (reference 001 lists User-Password inbound) */
#define AUTHZ_PASSWORD "cisco"
#define SERVICE_TYPE_OUTBOUND 5u
#define NAS_PORT_TYPE_VIRTUAL 5u

struct ike_authz_aaa {
	struct pol_set *const *set;
	struct event_base *base;
	const struct rp_cfg *cfg;
	unsigned n_groups;
	struct {
		char name[32];
		struct radius_client *c;
	} groups[GROUPS_MAX];
	struct job *jobs;               /* pending */
};

/* One session's authorization, kept while a RADIUS server is asked. */
struct job {
	struct ike_authz_aaa *x;
	struct job *next, **pprev;
	ike_authz_cb cb;
	void *cb_arg;
	const struct pol_authz *base;   /* the profile's policy */
	bool override;
	char sa[64], who[POL_MANGLE_MAX + 1];
	struct aaa_authz src[3];        /* user, cached, group */
	bool have[3];
	/* RADIUS lists still to ask: [0] user, [1] group */
	bool want[2];
	char list[2][POL_NAME_MAX], name[2][POL_MANGLE_MAX + 1];
	unsigned stage;                 /* 0 user, 1 group */
	uint8_t peer_af, local_af, peer[16], local[16];
	struct aaa_method m[AAA_MAX_METHODS];
	int n_m, mi;
	struct radius_xact *xact;
};

enum { S_USER, S_CACHED, S_GROUP };
static const char *const src_name[3] = { "user", "cached", "group" };

static int pol_id_of(uint8_t ike_type)
{
	switch (ike_type) {
	case IKE_ID_IPV4_ADDR: return POL_ID_IPV4;
	case IKE_ID_IPV6_ADDR: return POL_ID_IPV6;
	case IKE_ID_FQDN: return POL_ID_FQDN;
	case IKE_ID_RFC822_ADDR: return POL_ID_EMAIL;
	case IKE_ID_DER_ASN1_DN: return POL_ID_DN;
	case IKE_ID_KEY_ID: return POL_ID_KEY_ID;
	default: return POL_ID_NONE;
	}
}

static unsigned method_bit(const struct ike_authz_query *q)
{
	if (q->eap)
		return POL_AUTH_EAP;
	if (q->method == IKE_AUTH_PSK)
		return POL_AUTH_PSK;
	return POL_AUTH_RSA_SIG | POL_AUTH_ECDSA_SIG;
}

/* The user name of an authorization: `username`, else the mangler's, else the identity. */
static int author_name(const struct pol_set *set, const struct pol_aaa_author *au,
		       const struct ike_authz_query *q, char *out, size_t cap, char *why,
		       size_t whylen)
{
	const char *eap = (const char *)q->eap_id;
	int idt = pol_id_of(q->id_type);

	if (au->username[0]) {
		snprintf(out, cap, "%.253s", au->username);
		snprintf(why, whylen, "configured username");
		return 0;
	}
	if (au->name_mangler[0]) {
		const struct pol_mangler *m = pol_mangler_find(set, au->name_mangler);

		if (!m) {
			snprintf(why, whylen, "name mangler %s is gone", au->name_mangler);
			return -ENOENT;
		}
		return pol_mangle(m, idt, q->id, q->id_len, eap, q->eap_id_len, out, cap, why,
				  whylen) < 0 ? -EINVAL : 0;
	}
	return pol_mangle_default(idt, q->id, q->id_len, eap, q->eap_id_len, out, cap, why,
				  whylen) < 0 ? -EINVAL : 0;
}

/* One `authorization_user` / `authorization_group`: a local policy as a source. */
static int local_list(const struct pol_set *set, const struct pol_aaa_author *au, bool group,
		      const struct ike_authz_query *q, const char *sa, struct aaa_authz *z,
		      bool *have)
{
	char name[POL_MANGLE_MAX + 1], why[256];
	const struct pol_authz *pz;

	if (author_name(set, au, q, name, sizeof(name), why, sizeof(why))) {
		RP_NOTICE(COMP, "%s: %s authorization: no user name (%s): AUTHENTICATION_FAILED", sa,
			  group ? "group" : "user", why);
		return -EACCES;
	}
	pz = pol_authz_find(set, name);
	if (!pz) {
		RP_NOTICE(COMP, "%s: %s authorization for '%s' (%s): no local authorization "
			  "policy of that name: AUTHENTICATION_FAILED", sa, group ? "group" : "user",
			  name, why);
		return -EACCES;
	}
	if (aaa_authz_from_policy(pz, z))
		return -ENOMEM;
	*have = true;
	RP_INFO(COMP, "%s: %s authorization for '%s' (%s): local authorization policy %s", sa,
		group ? "group" : "user", name, why, pz->name);
	return 0;
}


static void release(void *owned)
{
	aaa_authz_free(owned);
	free(owned);
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	if (j->pprev) {
		*j->pprev = j->next;
		if (j->next)
			j->next->pprev = j->pprev;
	}
	for (int i = 0; i < 3; i++)
		aaa_authz_free(&j->src[i]);
	free(j);
}

/* Merge what the job has into @p out. @return 0 or -ENOMEM. */
static int job_finish(struct job *j, struct ike_authz_out *out)
{
	struct aaa_authz *m;
	char src[768], pname[POL_NAME_MAX];

	memset(out, 0, sizeof(*out));
	if (!j->have[S_USER] && !j->have[S_CACHED] && !j->have[S_GROUP])
		return 0;
	if (!(m = malloc(sizeof(*m))))
		return -ENOMEM;
	snprintf(pname, sizeof(pname), "%.40s+aaa", j->base ? j->base->name : "");
	if (aaa_authz_merge(j->base, j->have[S_GROUP] ? &j->src[S_GROUP] : NULL,
			    j->have[S_CACHED] ? &j->src[S_CACHED] : NULL,
			    j->have[S_USER] ? &j->src[S_USER] : NULL, j->override, pname, m)) {
		free(m);
		return -ENOMEM;
	}
	aaa_authz_sources(m, src, sizeof(src));
	RP_INFO(COMP, "%s: authorization%s%s: %s; the rest from %s", j->sa, j->who[0] ? " of " : "",
		j->who, src, j->base ? j->base->name : "the ike section");
	out->authz = &m->a;
	out->owned = m;
	out->release = release;
	if (m->set & AAA_AZ_BIT(AAA_AZ_FRAMED_IP)) {
		char a[INET_ADDRSTRLEN];

		out->has_framed4 = true;
		memcpy(out->framed4, m->framed_ip, 4);
		RP_INFO(COMP, "%s: Framed-IP-Address %s is the client's IPv4 address (%s)", j->sa,
			inet_ntop(AF_INET, m->framed_ip, a, sizeof(a)) ? a : "?",
			m->from[AAA_AZ_FRAMED_IP]);
	}
	return 0;
}

static struct radius_client *group_client(struct ike_authz_aaa *x, const char *name)
{
	struct radius_group_cfg g;
	int rc;

	for (unsigned i = 0; i < x->n_groups; i++)
		if (!strcmp(x->groups[i].name, name))
			return x->groups[i].c;
	if (x->n_groups == GROUPS_MAX || !x->base || !x->cfg)
		return NULL;
	rc = aaa_conf_radius_group(x->cfg, name, &g);
	if (!rc)
		rc = radius_client_new(x->base, &g, &x->groups[x->n_groups].c);
	OPENSSL_cleanse(&g, sizeof(g));
	if (rc) {
		RP_ERR(COMP, "authorization: RADIUS group %s: %s", name, strerror(-rc));
		return NULL;
	}
	snprintf(x->groups[x->n_groups].name, sizeof(x->groups[0].name), "%s", name);
	return x->groups[x->n_groups++].c;
}

static void on_answer(int err, const struct radius_result *res, void *arg);

/* Ask the next method of the current stage's list. @return 1 asked, 0 the stage is over
 * (answered by `local` or nothing asked), -EACCES refused. */
static int ask(struct job *j)
{
	struct ike_authz_aaa *x = j->x;
	const struct pol_set *set = *x->set;
	unsigned st = j->stage;
	int slot = st ? S_GROUP : S_USER;

	for (; j->mi < j->n_m; j->mi++) {
		const struct aaa_method *m = &j->m[j->mi];
		struct radius_client *c;
		struct radius_req *rq;
		int rc;

		if (m->kind == AAA_M_LOCAL) {
			const struct pol_authz *pz = pol_authz_find(set, j->name[st]);

			if (!pz) {
				RP_NOTICE(COMP, "%s: %s authorization for '%s' (list %s, local): no "
					  "local authorization policy of that name: "
					  "AUTHENTICATION_FAILED", j->sa, src_name[slot], j->name[st],
					  j->list[st]);
				return -EACCES;
			}
			if (aaa_authz_from_policy(pz, &j->src[slot]))
				return -EACCES;
			j->have[slot] = true;
			RP_INFO(COMP, "%s: %s authorization for '%s' (list %s): local authorization "
				"policy %s", j->sa, src_name[slot], j->name[st], j->list[st], pz->name);
			return 0;
		}
		if (!(c = group_client(x, m->group)))
			continue;
		rq = radius_req_new(RADIUS_ACCESS_REQUEST);
		if (!rq)
			return -EACCES;
		rc = radius_req_add_str(rq, RADIUS_A_USER_NAME, j->name[st]);
		if (!rc)
			rc = radius_req_set_password(rq, AUTHZ_PASSWORD, strlen(AUTHZ_PASSWORD));
		if (!rc)
			rc = radius_req_add_u32(rq, RADIUS_A_SERVICE_TYPE, SERVICE_TYPE_OUTBOUND);
		if (!rc)
			rc = radius_req_add_u32(rq, RADIUS_A_NAS_PORT_TYPE, NAS_PORT_TYPE_VIRTUAL);
		if (!rc && j->peer_af) {
			char cs[INET6_ADDRSTRLEN];

			inet_ntop(j->peer_af == 6 ? AF_INET6 : AF_INET, j->peer, cs, sizeof(cs));
			rc = radius_req_add_str(rq, RADIUS_A_CALLING_STATION_ID, cs);
		}
		if (!rc && j->local_af)
			rc = j->local_af == 6 ?
				     radius_req_add(rq, RADIUS_A_NAS_IPV6_ADDRESS, j->local, 16) :
				     radius_req_add(rq, RADIUS_A_NAS_IP_ADDRESS, j->local, 4);
		if (rc) {
			radius_req_free(rq);
			return -EACCES;
		}
		rc = radius_send(c, rq, on_answer, j, &j->xact);
		if (rc) {
			RP_WARN(COMP, "%s: %s authorization for '%s': RADIUS group %s: %s", j->sa,
				src_name[slot], j->name[st], m->group, strerror(-rc));
			continue;
		}
		RP_INFO(COMP, "%s: %s authorization for '%s': Access-Request to RADIUS group %s "
			"(list %s)", j->sa, src_name[slot], j->name[st], m->group, j->list[st]);
		return 1;
	}
	RP_NOTICE(COMP, "%s: %s authorization for '%s': no method of list %s answered: "
		  "AUTHENTICATION_FAILED", j->sa, src_name[slot], j->name[st], j->list[st]);
	return -EACCES;
}

/* Start the next stage that wants RADIUS. @return 1 asked, 0 all done, -EACCES. */
static int next(struct job *j)
{
	for (; j->stage < 2; j->stage++) {
		int rc;

		if (!j->want[j->stage])
			continue;
		j->n_m = aaa_conf_methods(j->x->cfg, "authorization", j->list[j->stage], j->m,
					  AAA_MAX_METHODS);
		j->mi = 0;
		if (j->n_m <= 0) {
			RP_NOTICE(COMP, "%s: authorization list %s: %s: AUTHENTICATION_FAILED", j->sa,
				  j->list[j->stage], j->n_m == -ENOENT ? "no such list" : "unusable");
			return -EACCES;
		}
		rc = ask(j);
		if (rc)
			return rc;
	}
	return 0;
}

/* A RADIUS answer (or none): take it, go on, or fail over to the list's next method. */
static void on_answer(int err, const struct radius_result *res, void *arg)
{
	struct job *j = arg;
	unsigned st = j->stage;
	int slot = st ? S_GROUP : S_USER, rc;
	struct ike_authz_out out;

	j->xact = NULL;
	if (err == -ECANCELED) {   /* the client is being freed: the session goes too */
		job_free(j);
		return;
	}
	if (err) {
		RP_WARN(COMP, "%s: %s authorization for '%s': RADIUS group %s: %s", j->sa,
			src_name[slot], j->name[st], j->m[j->mi].group, strerror(-err));
		j->mi++;
		rc = ask(j);
	} else if (res->pkt->code != RADIUS_ACCESS_ACCEPT) {
		RP_NOTICE(COMP, "%s: %s authorization for '%s': %s from RADIUS group %s: "
			  "AUTHENTICATION_FAILED", j->sa, src_name[slot], j->name[st],
			  radius_code_name(res->pkt->code), j->m[j->mi].group);
		rc = -EACCES;
	} else {
		rc = aaa_authz_from_radius(res->pkt, *j->x->set, res->req_auth, res->secret,
					   res->secret_len, j->name[st], &j->src[slot]) ?
			     -EACCES : 0;
		if (!rc) {
			j->have[slot] = true;
			RP_INFO(COMP, "%s: %s authorization for '%s': Access-Accept from RADIUS group "
				"%s", j->sa, src_name[slot], j->name[st], j->m[j->mi].group);
		}
	}
	if (!rc) {
		j->stage++;
		rc = next(j);
	}
	if (rc == 1)
		return;
	if (!rc && job_finish(j, &out))
		rc = -EACCES;
	j->cb(j->cb_arg, rc ? -EACCES : 0, rc ? NULL : &out);
	job_free(j);
}

/* The user name of a RADIUS list; refused when none can be derived. */
static int radius_name(struct job *j, const struct pol_set *set, const struct pol_aaa_author *au,
		       const struct ike_authz_query *q, unsigned st)
{
	char why[256];

	if (author_name(set, au, q, j->name[st], sizeof(j->name[st]), why, sizeof(why))) {
		RP_NOTICE(COMP, "%s: %s authorization: no user name (%s): AUTHENTICATION_FAILED",
			  j->sa, st ? "group" : "user", why);
		return -EACCES;
	}
	snprintf(j->list[st], sizeof(j->list[st]), "%s", au->list);
	j->want[st] = true;
	return 0;
}

static int authorize(void *arg, const struct ike_authz_query *q, struct ike_authz_out *out,
		     ike_authz_cb cb, void *cb_arg, void **handle)
{
	struct ike_authz_aaa *x = arg;
	const struct pol_set *set = *x->set;
	const struct pol_profile *p = q->profile;
	const struct pol_aaa_author *u = &p->author_user, *g = &p->author_group;
	unsigned mb = method_bit(q);
	struct job *j;
	int rc = 0;

	*handle = NULL;
	if (!set || (!(u->set && (u->methods & mb)) && !(g->set && (g->methods & mb))))
		return 0;
	if (!(j = calloc(1, sizeof(*j))))
		return -EACCES;
	j->x = x;
	j->base = q->authz;
	j->override = g->override;
	j->cb = cb;
	j->cb_arg = cb_arg;
	j->peer_af = q->peer_af == 4 || q->peer_af == 6 ? q->peer_af : 0;
	j->local_af = q->local_af == 4 || q->local_af == 6 ? q->local_af : 0;
	memcpy(j->peer, q->peer, 16);
	memcpy(j->local, q->local, 16);
	for (int i = 0; i < 3; i++)
		aaa_authz_init(&j->src[i], NULL);
	snprintf(j->sa, sizeof(j->sa), "IKE_SA %016llx_i %016llx_r", (unsigned long long)q->spi_i,
		 (unsigned long long)q->spi_r);
	if (q->eap_id)
		snprintf(j->who, sizeof(j->who), "%.*s", (int)q->eap_id_len, (const char *)q->eap_id);

	/* cached (implicit) user authorization: the Access-Accept of EAP */
	if (u->set && u->cached && q->eap && (u->methods & POL_AUTH_EAP)) {
		struct radius_pkt *pkt = malloc(sizeof(*pkt));

		if (!pkt) {
			rc = -ENOMEM;
			goto out;
		}
		if (q->accept && radius_parse(q->accept, q->accept_len, pkt) == RADIUS_PERR_OK) {
			rc = aaa_authz_from_radius(pkt, set, NULL, NULL, 0,
						   j->who[0] ? j->who : "?", &j->src[S_CACHED]);
			j->have[S_CACHED] = !rc;
		} else {
			RP_INFO(COMP, "%s: cached user authorization: no Access-Accept kept", j->sa);
		}
		free(pkt);
		if (rc)
			goto out;
	}
	/* explicit user authorization (a list); with `cached` too, only when the cached
	 * attributes are none or lack the Framed-IP-Address (reference 001's note) */
	if (u->set && u->list[0] && (u->methods & mb) &&
	    (!j->have[S_CACHED] || !(j->src[S_CACHED].set & AAA_AZ_BIT(AAA_AZ_FRAMED_IP)))) {
		if (j->have[S_CACHED])
			RP_INFO(COMP, "%s: cached attributes without Framed-IP-Address: user "
				"authorization through list %s too", j->sa, u->list);
		if (!strcmp(u->list, "local"))
			rc = local_list(set, u, false, q, j->sa, &j->src[S_USER], &j->have[S_USER]);
		else
			rc = radius_name(j, set, u, q, 0);
		if (rc)
			goto out;
	}
	/* a local group list with a fixed username is already the profile's policy */
	if (g->set && (g->methods & mb) && !(g->username[0] && !strcmp(g->list, "local"))) {
		if (!strcmp(g->list, "local"))
			rc = local_list(set, g, true, q, j->sa, &j->src[S_GROUP], &j->have[S_GROUP]);
		else
			rc = radius_name(j, set, g, q, 1);
		if (rc)
			goto out;
	}
	rc = next(j);
	if (rc == 1) {   /* a RADIUS server is asked: on_answer() goes on */
		j->next = x->jobs;
		if (x->jobs)
			x->jobs->pprev = &j->next;
		x->jobs = j;
		j->pprev = &x->jobs;
		*handle = j;
		return 1;
	}
	if (!rc)
		rc = job_finish(j, out);
out:
	job_free(j);
	return rc ? -EACCES : 0;
}

static void cancel(void *arg, void *handle)
{
	struct job *j = handle;

	(void)arg;
	if (!j)
		return;
	if (j->xact)
		radius_cancel(j->xact);
	job_free(j);
}

int ike_authz_aaa_create(struct event_base *base, const struct rp_cfg *cfg,
			 struct pol_set *const *set, struct ike_authz_aaa **out)
{
	struct ike_authz_aaa *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	x->base = base;
	x->cfg = cfg;
	x->set = set;
	*out = x;
	return 0;
}

void ike_authz_aaa_destroy(struct ike_authz_aaa *x)
{
	if (!x)
		return;
	while (x->jobs) {   /* cancelled: their IKE_AUTH tasks are gone with the responder */
		struct job *j = x->jobs;

		if (j->xact)
			radius_cancel(j->xact);
		job_free(j);
	}
	for (unsigned i = 0; i < x->n_groups; i++)
		radius_client_free(x->groups[i].c);
	free(x);
}

void ike_authz_aaa_backend(struct ike_authz_aaa *x, struct ike_authz_backend *out)
{
	out->authorize = authorize;
	out->cancel = cancel;
	out->arg = x;
}
