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
#include <time.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "controlplane/aaa/aaa_conf.h"
#include "controlplane/aaa/authz.h"
#include "controlplane/aaa/radius_client.h"
#include "controlplane/aaa/radius.h"
#include "controlplane/ike/ike_cert.h"
#include "controlplane/ike/ike_proto.h"

#define COMP "ike"
#define GROUPS_MAX 16u
/* IOS's password in authorization requests (reference 001 lists User-Password inbound) */
#define AUTHZ_PASSWORD "cisco"
#define SERVICE_TYPE_OUTBOUND 5u
#define NAS_PORT_TYPE_VIRTUAL 5u
#define PSK_PENDING_MAX 1024u  /* keyring_aaa lookups in flight (each holds an IKE_AUTH) */
#define PSK_CACHED_MAX 256u    /* their Access-Accepts kept for cached authorization */
#define PSK_CACHED_S 60        /* ... until IKE_AUTH's authorization takes them, at most */

/* The attributes of a keyring_aaa Access-Accept (keys removed), kept for the peer's cached
 * user authorization (reference: implicit authorization "when obtaining the AAA preshared
 * key"), found again by peer address and identity. */
struct psk_cached {
	struct psk_cached *next;
	uint8_t peer_af, peer[16], id_type, id[256];
	size_t id_len;
	long expires;                   /* monotonic seconds */
	struct aaa_authz z;
};

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
	struct pskjob *psk_jobs;        /* keyring_aaa lookups pending */
	unsigned n_psk;
	struct psk_cached *cached;      /* newest first */
	unsigned n_cached;
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

static long mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
}

static void cached_free(struct psk_cached *c)
{
	aaa_authz_free(&c->z);
	free(c);
}

/* Drop expired entries, and the oldest beyond @p keep. */
static void cached_trim(struct ike_authz_aaa *x, unsigned keep)
{
	long now = mono_s();
	unsigned n = 0;

	for (struct psk_cached **pp = &x->cached, *c; (c = *pp);) {
		if (c->expires <= now || n >= keep) {
			*pp = c->next;
			cached_free(c);
			x->n_cached--;
			continue;
		}
		n++;
		pp = &c->next;
	}
}

/* Take the entry of (peer, identity) out of the cache; NULL: none. */
static struct psk_cached *cached_take(struct ike_authz_aaa *x, uint8_t peer_af,
				      const uint8_t peer[16], uint8_t id_type, const uint8_t *id,
				      size_t id_len)
{
	cached_trim(x, PSK_CACHED_MAX);
	for (struct psk_cached **pp = &x->cached, *c; (c = *pp); pp = &c->next)
		if (c->peer_af == peer_af && !memcmp(c->peer, peer, 16) && c->id_type == id_type &&
		    c->id_len == id_len && !memcmp(c->id, id, id_len)) {
			*pp = c->next;
			x->n_cached--;
			return c;
		}
	return NULL;
}

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
	if (m->set & AAA_AZ_BIT(AAA_AZ_ADDR6)) {
		char a[INET6_ADDRSTRLEN];

		out->has_framed6 = true;
		memcpy(out->framed6, m->addr6, 16);
		out->framed6_plen = m->addr6_plen;
		RP_INFO(COMP, "%s: IPv6 address %s/%u is the client's IPv6 address (%s)", j->sa,
			inet_ntop(AF_INET6, m->addr6, a, sizeof(a)) ? a : "?", m->addr6_plen,
			m->from[AAA_AZ_ADDR6]);
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

/* An authorization Access-Request (as IOS sends it): User-Name, User-Password, Service-Type
 * Outbound, NAS-Port-Type Virtual, Calling-Station-Id, NAS-IP(v6)-Address. NULL: no memory. */
static struct radius_req *author_request(const char *user, const char *password,
					 uint8_t peer_af, const uint8_t peer[16],
					 uint8_t local_af, const uint8_t local[16])
{
	struct radius_req *rq = radius_req_new(RADIUS_ACCESS_REQUEST);
	int rc;

	if (!rq)
		return NULL;
	rc = radius_req_add_str(rq, RADIUS_A_USER_NAME, user);
	if (!rc)
		rc = radius_req_set_password(rq, password, strlen(password));
	if (!rc)
		rc = radius_req_add_u32(rq, RADIUS_A_SERVICE_TYPE, SERVICE_TYPE_OUTBOUND);
	if (!rc)
		rc = radius_req_add_u32(rq, RADIUS_A_NAS_PORT_TYPE, NAS_PORT_TYPE_VIRTUAL);
	if (!rc && peer_af) {
		char cs[INET6_ADDRSTRLEN];

		inet_ntop(peer_af == 6 ? AF_INET6 : AF_INET, peer, cs, sizeof(cs));
		rc = radius_req_add_str(rq, RADIUS_A_CALLING_STATION_ID, cs);
	}
	if (!rc && local_af)
		rc = local_af == 6 ? radius_req_add(rq, RADIUS_A_NAS_IPV6_ADDRESS, local, 16) :
				     radius_req_add(rq, RADIUS_A_NAS_IP_ADDRESS, local, 4);
	if (rc) {
		radius_req_free(rq);
		return NULL;
	}
	return rq;
}

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
		rq = author_request(j->name[st], AUTHZ_PASSWORD, j->peer_af, j->peer, j->local_af,
				    j->local);
		if (!rq)
			return -EACCES;
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
	/* cached user authorization of a keyring_aaa peer: the Access-Accept that gave its key */
	if (u->set && u->cached && !q->eap && q->method == IKE_AUTH_PSK &&
	    (u->methods & POL_AUTH_PSK)) {
		struct psk_cached *c = cached_take(x, j->peer_af, j->peer, q->id_type, q->id,
						   q->id_len);

		if (c) {
			j->src[S_CACHED] = c->z;   /* moved */
			aaa_authz_init(&c->z, NULL);
			j->have[S_CACHED] = true;
			free(c);
			RP_INFO(COMP, "%s: cached user authorization: the attributes of the AAA "
				"pre-shared key's Access-Accept", j->sa);
		} else {
			RP_INFO(COMP, "%s: cached user authorization: no AAA pre-shared key "
				"Access-Accept kept", j->sa);
		}
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

/* ---- keyring_aaa: pre-shared keys from RADIUS (ike_cert.h's PSK source) ------------------ */

/* One peer's keys being asked. */
struct pskjob {
	struct ike_authz_aaa *x;
	struct pskjob *next, **pprev;
	ike_psk_cb cb;
	void *cb_arg;
	char who[300], user[POL_MANGLE_MAX + 1], list[POL_NAME_MAX], password[129];
	uint8_t peer_af, local_af, peer[16], local[16], id_type, id[256];
	size_t id_len;
	bool keep;                      /* the profile's user authorization is psk cached */
	struct aaa_method m[AAA_MAX_METHODS];
	int n_m, mi;
	struct radius_xact *xact;
};

static void psk_free(struct pskjob *j)
{
	if (!j)
		return;
	if (j->pprev) {
		*j->pprev = j->next;
		if (j->next)
			j->next->pprev = j->pprev;
		j->x->n_psk--;
	}
	OPENSSL_cleanse(j->password, sizeof(j->password));
	free(j);
}

static void psk_answer(int err, const struct radius_result *res, void *arg);

/* Ask the next RADIUS method of the list. @return 1 asked, -EACCES none left. */
static int psk_ask(struct pskjob *j)
{
	for (; j->mi < j->n_m; j->mi++) {
		const struct aaa_method *m = &j->m[j->mi];
		struct radius_client *c;
		struct radius_req *rq;
		int rc;

		if (m->kind == AAA_M_LOCAL) {
			RP_INFO(COMP, "%s: pre-shared key for '%s' (list %s): method local holds no "
				"keys, skipped", j->who, j->user, j->list);
			continue;
		}
		if (!(c = group_client(j->x, m->group)))
			continue;
		rq = author_request(j->user, j->password, j->peer_af, j->peer, j->local_af,
				    j->local);
		if (!rq)
			return -EACCES;
		rc = radius_send(c, rq, psk_answer, j, &j->xact);
		if (rc) {
			RP_WARN(COMP, "%s: pre-shared key for '%s': RADIUS group %s: %s", j->who,
				j->user, m->group, strerror(-rc));
			continue;
		}
		RP_INFO(COMP, "%s: pre-shared key for '%s': Access-Request to RADIUS group %s "
			"(keyring_aaa list %s)", j->who, j->user, m->group, j->list);
		return 1;
	}
	RP_NOTICE(COMP, "%s: pre-shared key for '%s': no method of list %s answered: "
		  "AUTHENTICATION_FAILED", j->who, j->user, j->list);
	return -EACCES;
}

/* The answer's attributes, without the keys, for the session's cached authorization. */
static void keep_cached(struct pskjob *j, struct aaa_authz *z)
{
	struct ike_authz_aaa *x = j->x;
	struct psk_cached *c;

	if (!j->keep || !j->id_len || j->id_len > sizeof(c->id))
		return;
	if (z->psk_local)
		OPENSSL_cleanse(z->psk_local, z->psk_local_len);
	if (z->psk_remote)
		OPENSSL_cleanse(z->psk_remote, z->psk_remote_len);
	free(z->psk_local);
	free(z->psk_remote);
	z->psk_local = z->psk_remote = NULL;
	z->psk_local_len = z->psk_remote_len = 0;
	z->set &= ~(AAA_AZ_BIT(AAA_AZ_PSK_LOCAL) | AAA_AZ_BIT(AAA_AZ_PSK_REMOTE));
	if ((c = cached_take(x, j->peer_af, j->peer, j->id_type, j->id, j->id_len)))
		cached_free(c);   /* an earlier attempt's */
	cached_trim(x, PSK_CACHED_MAX - 1);
	if (!(c = calloc(1, sizeof(*c))))
		return;
	c->peer_af = j->peer_af;
	memcpy(c->peer, j->peer, 16);
	c->id_type = j->id_type;
	memcpy(c->id, j->id, j->id_len);
	c->id_len = j->id_len;
	c->expires = mono_s() + PSK_CACHED_S;
	c->z = *z;   /* moved */
	aaa_authz_init(z, NULL);
	c->next = x->cached;
	x->cached = c;
	x->n_cached++;
}

static void psk_answer(int err, const struct radius_result *res, void *arg)
{
	struct pskjob *j = arg;
	struct ike_psk_keys keys = { 0 };
	struct aaa_authz z;
	const char *grp = j->m[j->mi].group;
	int rc = -EACCES;

	j->xact = NULL;
	if (err == -ECANCELED) {   /* the client is being freed (shutdown) */
		psk_free(j);
		return;
	}
	if (err) {
		RP_WARN(COMP, "%s: pre-shared key for '%s': RADIUS group %s: %s", j->who, j->user,
			grp, strerror(-err));
		j->mi++;
		if (psk_ask(j) == 1)
			return;
		j->cb(j->cb_arg, -EACCES, NULL);
		psk_free(j);
		return;
	}
	if (res->pkt->code != RADIUS_ACCESS_ACCEPT) {
		RP_NOTICE(COMP, "%s: pre-shared key for '%s': %s from RADIUS group %s: "
			  "AUTHENTICATION_FAILED", j->who, j->user, radius_code_name(res->pkt->code),
			  grp);
		j->cb(j->cb_arg, -EACCES, NULL);
		psk_free(j);
		return;
	}
	if (aaa_authz_from_radius(res->pkt, *j->x->set, res->req_auth, res->secret,
				  res->secret_len, j->user, &z)) {
		RP_ERR(COMP, "%s: pre-shared key for '%s': no memory", j->who, j->user);
	} else {
		if (aaa_authz_psk(&z, &keys.remote, &keys.remote_len, &keys.local, &keys.local_len))
			RP_NOTICE(COMP, "%s: pre-shared key for '%s': the Access-Accept from RADIUS "
				  "group %s has no ipsec:ikev2-password-remote, "
				  "ipsec:ikev2-password-local or Tunnel-Password: "
				  "AUTHENTICATION_FAILED", j->who, j->user, grp);
		else {
			RP_INFO(COMP, "%s: pre-shared keys for '%s' from RADIUS group %s (the peer's: "
				"%s, ours: %s)", j->who, j->user, grp,
				z.psk_remote ? "ikev2-password-remote or Tunnel-Password" :
					       "ikev2-password-local",
				z.psk_local ? "ikev2-password-local or Tunnel-Password" :
					      "ikev2-password-remote");
			rc = 0;
		}
	}
	j->cb(j->cb_arg, rc, rc ? NULL : &keys);
	if (!rc)
		keep_cached(j, &z);
	aaa_authz_free(&z);   /* wipes the keys */
	psk_free(j);
}

static int psk_lookup(void *arg, const struct ike_psk_query *q, ike_psk_cb cb, void *cb_arg,
		      void **handle)
{
	struct ike_authz_aaa *x = arg;
	struct pskjob *j;
	int rc;

	*handle = NULL;
	if (x->n_psk >= PSK_PENDING_MAX) {
		RP_LOG_RL(RP_LOG_WARN, COMP, "%s: pre-shared key for '%s': %u lookups in progress "
			  "already: refused, the peer retries", q->who, q->user, x->n_psk);
		return -EAGAIN;
	}
	if (!(j = calloc(1, sizeof(*j))))
		return -ENOMEM;
	j->x = x;
	j->cb = cb;
	j->cb_arg = cb_arg;
	snprintf(j->who, sizeof(j->who), "%s", q->who);
	snprintf(j->user, sizeof(j->user), "%s", q->user);
	snprintf(j->list, sizeof(j->list), "%s", q->k->list);
	snprintf(j->password, sizeof(j->password), "%s", q->k->password);
	j->peer_af = q->peer.af == 4 || q->peer.af == 6 ? q->peer.af : 0;
	j->local_af = q->local.af == 4 || q->local.af == 6 ? q->local.af : 0;
	memcpy(j->peer, q->peer.addr, 16);
	memcpy(j->local, q->local.addr, 16);
	j->keep = q->profile && q->profile->author_user.set && q->profile->author_user.cached &&
		  (q->profile->author_user.methods & POL_AUTH_PSK);
	if (q->id && q->id_len <= sizeof(j->id)) {
		j->id_type = q->id_type;
		memcpy(j->id, q->id, q->id_len);
		j->id_len = q->id_len;
	}
	j->n_m = x->cfg ? aaa_conf_methods(x->cfg, "authorization", j->list, j->m,
					  AAA_MAX_METHODS) : -ENOENT;
	if (j->n_m <= 0) {
		RP_NOTICE(COMP, "%s: keyring_aaa list %s: %s: AUTHENTICATION_FAILED", j->who, j->list,
			  j->n_m == -ENOENT ? "no such authorization list" : "unusable");
		psk_free(j);
		return -EACCES;
	}
	rc = psk_ask(j);
	if (rc != 1) {
		psk_free(j);
		return rc;
	}
	j->next = x->psk_jobs;
	if (x->psk_jobs)
		x->psk_jobs->pprev = &j->next;
	x->psk_jobs = j;
	j->pprev = &x->psk_jobs;
	x->n_psk++;
	*handle = j;
	return 1;
}

static void psk_cancel(void *arg, void *handle)
{
	struct pskjob *j = handle;

	(void)arg;
	if (!j)
		return;
	if (j->xact)
		radius_cancel(j->xact);
	psk_free(j);
}

void ike_authz_aaa_psk_source(struct ike_authz_aaa *x, struct ike_psk_source *out)
{
	out->lookup = psk_lookup;
	out->cancel = psk_cancel;
	out->arg = x;
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
	while (x->psk_jobs)   /* likewise */
		psk_cancel(x, x->psk_jobs);
	cached_trim(x, 0);
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
