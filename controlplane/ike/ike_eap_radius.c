/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The RADIUS side of the IKEv2 EAP relay (ike_eap_radius.h). */
#include "controlplane/ike/ike_eap_radius.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "controlplane/aaa/aaa_conf.h"
#include "controlplane/aaa/eap_local.h"
#include "controlplane/aaa/local_users.h"
#include "controlplane/aaa/radius.h"
#include "controlplane/aaa/radius_client.h"

#define COMP "aaa"
#define MAX_LISTS 32u
#define MAX_GROUPS 16u
#define M_LOCAL UINT32_MAX             /**< the method "local" in eap_list.group[] */
#define TAG_LEN 8u

struct eap_list {
	char name[32];
	unsigned n;
	unsigned group[AAA_MAX_METHODS];   /**< indices into groups[], or M_LOCAL */
};

struct ike_eap_radius {
	struct eap_list lists[MAX_LISTS];
	unsigned n_lists;
	struct event_base *base;
	struct local_users *users;      /**< the local user base (lists with "local") */
	struct eap_local *local;        /**< the local EAP server (idem) */
	uint8_t tag[TAG_LEN];           /**< begins the States of the local server */
	struct {
		char name[32];
		struct radius_client *c;
	} groups[MAX_GROUPS];
	unsigned n_groups;
	struct xact *pending;
};

/* One EAP message of a client on its way through a list's groups. */
struct xact {
	struct xact *next;
	struct ike_eap_radius *er;
	const struct eap_list *list;
	unsigned method;                /**< index in list->group[] being asked */
	struct radius_xact *rx;
	struct event *ev;               /**< the local server's answer, delivered from the loop */
	ike_eap_aaa_cb cb;
	void *cb_arg;
	uint64_t spi_i;
	uint8_t user[253], state[253];
	size_t user_len, state_len;
	struct ike_addr peer, local;
	size_t eap_len;
	uint8_t eap[];                  /**< the client's EAP message */
};

/* A list names "local": load the local users and start the local EAP server (once). */
static int use_local(struct ike_eap_radius *er, const struct rp_cfg *cfg, const char *list)
{
	int rc;

	if (er->local)
		return 0;
	/* aaa_conf_check() reported the problems already; reading again only fails if the
	 * users file changed in between (then reported again, with the same counter) */
	rc = local_users_load((struct rp_cfg *)cfg, &er->users);
	if (!rc && !er->users)
		rc = -ENOENT;
	if (rc) {
		RP_ERR(COMP, "EAP list %s: method local: no usable local users (%s)", list,
		       strerror(-rc));
		return -EINVAL;
	}
	rc = eap_local_new(&er->local);
	if (rc)
		return rc;
	RP_NOTICE(COMP, "local EAP server: %u local user%s, EAP-MD5%s", local_users_count(er->users),
		  local_users_count(er->users) == 1 ? "" : "s",
		  eap_local_has_mschapv2(er->local) ? " and EAP-MSCHAPv2" : " only");
	return 0;
}

static int group_index(struct ike_eap_radius *er, struct event_base *base,
		       const struct rp_cfg *cfg, const char *name)
{
	struct radius_group_cfg g;
	int rc;

	for (unsigned i = 0; i < er->n_groups; i++)
		if (!strcmp(er->groups[i].name, name))
			return (int)i;
	if (er->n_groups == MAX_GROUPS)
		return -ENOSPC;
	rc = aaa_conf_radius_group(cfg, name, &g);
	if (!rc)
		rc = radius_client_new(base, &g, &er->groups[er->n_groups].c);
	OPENSSL_cleanse(&g, sizeof(g));
	if (rc)
		return rc;
	snprintf(er->groups[er->n_groups].name, sizeof(er->groups[0].name), "%s", name);
	return (int)er->n_groups++;
}

int ike_eap_radius_create(struct event_base *base, const struct rp_cfg *cfg,
			  struct ike_eap_radius **out)
{
	const config_setting_t *l = rp_cfg_get(rp_cfg_get(rp_cfg_root(cfg), "aaa"),
					       "authentication");
	struct ike_eap_radius *er;
	int rc = 0;

	*out = NULL;
	if (!l)
		return 0;
	er = calloc(1, sizeof(*er));
	if (!er)
		return -ENOMEM;
	er->base = base;
	if (RAND_bytes(er->tag, sizeof(er->tag)) != 1) {
		free(er);
		return -EIO;
	}
	for (int i = 0; i < rp_cfg_count(l) && er->n_lists < MAX_LISTS; i++) {
		const config_setting_t *e = rp_cfg_elem(l, i);
		const char *name = rp_cfg_str(e, "name", ""), *type = rp_cfg_str(e, "type", "");
		struct aaa_method m[AAA_MAX_METHODS];
		struct eap_list *el = &er->lists[er->n_lists];
		int n;

		if (strcmp(type, "eap"))
			continue;
		n = aaa_conf_methods(cfg, "authentication", name, m, AAA_MAX_METHODS);
		if (n < 0) {
			RP_ERR(COMP, "EAP list %s: %s", name, strerror(-n));
			rc = -EINVAL;
			break;
		}
		snprintf(el->name, sizeof(el->name), "%s", name);
		for (int k = 0; k < n; k++) {
			int g;

			if (m[k].kind != AAA_M_GROUP) {
				rc = use_local(er, cfg, name);
				if (rc)
					break;
				if (k + 1 < n)
					RP_WARN(COMP, "EAP list %s: the methods after local are never "
						"used (local answers every request)", name);
				el->group[el->n++] = M_LOCAL;
				break;
			}
			g = group_index(er, base, cfg, m[k].group);
			if (g < 0) {
				RP_ERR(COMP, "EAP list %s: RADIUS group %s: %s", name, m[k].group,
				       strerror(-g));
				rc = -EINVAL;
				break;
			}
			el->group[el->n++] = (unsigned)g;
		}
		if (rc)
			break;
		if (!el->n) {
			RP_ERR(COMP, "EAP list %s names no RADIUS group", name);
			rc = -EINVAL;
			break;
		}
		{
			bool loc = el->group[el->n - 1] == M_LOCAL;
			unsigned ng = el->n - loc;

			RP_INFO(COMP, "EAP list %s: %u RADIUS group%s%s", name, ng, ng == 1 ? "" : "s",
				!loc ? "" : ng ? ", then the local users when none answers" :
				", the local users");
		}
		er->n_lists++;
	}
	if (rc || !er->n_lists) {
		ike_eap_radius_destroy(er);
		return rc;
	}
	*out = er;
	return 0;
}

static void unlink_x(struct xact *x)
{
	for (struct xact **pp = &x->er->pending; *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			return;
		}
}

static void free_x(struct xact *x)
{
	if (x->ev)
		event_free(x->ev);
	OPENSSL_cleanse(x, sizeof(*x) + x->eap_len);
	free(x);
}

static void on_answer(int err, const struct radius_result *res, void *arg);

/* printable copy of an identity for logs */
static const char *id_txt(const uint8_t *id, size_t len, char *buf, size_t cap)
{
	size_t i;

	for (i = 0; i < len && i + 1 < cap; i++)
		buf[i] = id[i] >= 0x20 && id[i] < 0x7f ? (char)id[i] : '?';
	buf[i] = 0;
	return buf;
}

/* The local EAP server answers x's message: ends x. */
static void local_answer(struct xact *x)
{
	struct ike_eap_radius *er = x->er;
	struct ike_eap_aaa_ans ans = { 0 };
	struct eap_local_out o;
	const uint8_t *st = x->state;
	size_t st_len = x->state_len;
	char idb[256];
	int rc;

	if (st_len && (st_len < TAG_LEN || memcmp(st, er->tag, TAG_LEN)))
		st_len = 0, st = NULL; /* a RADIUS server's State: cannot be continued here */
	rc = eap_local_process(er->local, er->users, er->tag, TAG_LEN, x->user, x->user_len,
			       x->eap, x->eap_len, st, st_len, &o);
	id_txt(x->user, x->user_len, idb, sizeof(idb));
	if (rc) {
		ans.status = rc;
	} else {
		ans.eap = o.eap;
		ans.eap_len = o.eap_len;
		switch (o.verdict) {
		case EAP_LOCAL_CHALLENGE:
			ans.code = IKE_EAP_AAA_CHALLENGE;
			ans.state = o.state;
			ans.state_len = o.state_len;
			RP_INFO(COMP, "IKE_SA %016llx_i: local user '%s': %s",
				(unsigned long long)x->spi_i, idb, o.why);
			break;
		case EAP_LOCAL_SUCCESS:
			ans.code = IKE_EAP_AAA_ACCEPT;
			ans.msk = o.msk_len ? o.msk : NULL;
			ans.msk_len = o.msk_len;
			RP_NOTICE(COMP, "IKE_SA %016llx_i: local user '%s' authenticated: %s",
				  (unsigned long long)x->spi_i, idb, o.why);
			break;
		case EAP_LOCAL_FAILURE:
			ans.code = IKE_EAP_AAA_REJECT;
			RP_NOTICE(COMP, "IKE_SA %016llx_i: local user '%s' refused: %s",
				  (unsigned long long)x->spi_i, idb, o.why);
			break;
		}
	}
	unlink_x(x);
	x->cb(x->cb_arg, &ans);
	OPENSSL_cleanse(&o, sizeof(o));
	free_x(x);
}

static void local_fire(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	local_answer(arg);
}

static int ask(struct xact *x)
{
	struct radius_client *c;
	struct radius_req *q;
	char peer[INET6_ADDRSTRLEN];
	int rc;

	if (x->list->group[x->method] == M_LOCAL) {
		/* answered from the event loop, never from within send() (ike_eap.h) */
		static const struct timeval now = { 0, 0 };

		x->ev = evtimer_new(x->er->base, local_fire, x);
		if (!x->ev || evtimer_add(x->ev, &now))
			return -ENOMEM;
		return 0;
	}
	c = x->er->groups[x->list->group[x->method]].c;
	q = radius_req_new(RADIUS_ACCESS_REQUEST);
	if (!q)
		return -ENOMEM;
	inet_ntop(x->peer.af == 6 ? AF_INET6 : AF_INET, x->peer.addr, peer, sizeof(peer));
	rc = radius_req_add(q, RADIUS_A_USER_NAME, x->user, x->user_len);
	if (!rc)
		rc = radius_req_add_u32(q, RADIUS_A_SERVICE_TYPE, 2);  /* Framed */
	if (!rc)
		rc = radius_req_add_u32(q, RADIUS_A_NAS_PORT_TYPE, 5); /* Virtual */
	if (!rc)
		rc = radius_req_add_u32(q, RADIUS_A_FRAMED_MTU, 1400);
	if (!rc)
		rc = radius_req_add_str(q, RADIUS_A_CALLING_STATION_ID, peer);
	if (!rc)
		rc = x->local.af == 6 ? radius_req_add(q, RADIUS_A_NAS_IPV6_ADDRESS, x->local.addr, 16)
				      : radius_req_add(q, RADIUS_A_NAS_IP_ADDRESS, x->local.addr, 4);
	if (!rc && x->state_len)
		rc = radius_req_add(q, RADIUS_A_STATE, x->state, x->state_len);
	if (!rc)
		rc = radius_req_set_eap(q, x->eap, x->eap_len);
	if (rc) {
		radius_req_free(q);
		return rc;
	}
	return radius_send(c, q, on_answer, x, &x->rx); /* consumes q */
}

static void on_answer(int err, const struct radius_result *res, void *arg)
{
	struct xact *x = arg;
	struct ike_eap_aaa_ans ans = { .status = err };
	const struct radius_attr *a;
	uint8_t eap[RADIUS_EAP_MAX], msk[IKE_EAP_MSK_MAX];
	int n;

	x->rx = NULL;
	if (err == -ETIMEDOUT && x->state_len)
		RP_WARN(COMP, "IKE_SA %016llx_i: the RADIUS server of group %s that holds this EAP "
			"conversation does not answer; no other server knows its State",
			(unsigned long long)x->spi_i, x->er->groups[x->list->group[x->method]].name);
	else if (err == -ETIMEDOUT && x->method + 1 < x->list->n &&
		 x->list->group[x->method + 1] == M_LOCAL) {
		/* like IOS: local only when the groups before it do not answer, not when they
		 * reject */
		RP_WARN(COMP, "IKE_SA %016llx_i: no server of RADIUS group %s answered, falling "
			"back to the local users", (unsigned long long)x->spi_i,
			x->er->groups[x->list->group[x->method]].name);
		x->method++;
		local_answer(x);
		return;
	} else if (err == -ETIMEDOUT && x->method + 1 < x->list->n) {
		RP_WARN(COMP, "IKE_SA %016llx_i: no server of RADIUS group %s answered, asking "
			"group %s", (unsigned long long)x->spi_i,
			x->er->groups[x->list->group[x->method]].name,
			x->er->groups[x->list->group[x->method + 1]].name);
		x->method++;
		if (!(err = ask(x)))
			return;
		ans.status = err;
	}
	if (!err) {
		const struct radius_pkt *p = res->pkt;

		switch (p->code) {
		case RADIUS_ACCESS_CHALLENGE: ans.code = IKE_EAP_AAA_CHALLENGE; break;
		case RADIUS_ACCESS_ACCEPT: ans.code = IKE_EAP_AAA_ACCEPT; break;
		default: ans.code = IKE_EAP_AAA_REJECT; break;
		}
		n = radius_eap_get(p, eap, sizeof(eap));
		if (n < 0) {
			RP_NOTICE(COMP, "IKE_SA %016llx_i: %s with malformed EAP-Message attributes",
				  (unsigned long long)x->spi_i, radius_code_name(p->code));
			ans.code = IKE_EAP_AAA_REJECT;
			n = 0;
		}
		ans.eap = n ? eap : NULL;
		ans.eap_len = (size_t)n;
		if ((a = radius_find(p, 0, RADIUS_A_STATE, NULL))) {
			ans.state = a->val;
			ans.state_len = a->len;
		}
		if (ans.code == IKE_EAP_AAA_ACCEPT) {
			n = radius_msk(p, res->req_auth, res->secret, res->secret_len, msk, sizeof(msk));
			if (n < 0) {
				RP_NOTICE(COMP, "IKE_SA %016llx_i: Access-Accept with malformed MPPE "
					  "keys: refused", (unsigned long long)x->spi_i);
				ans.code = IKE_EAP_AAA_REJECT;
			} else {
				ans.msk = n ? msk : NULL;
				ans.msk_len = (size_t)n;
			}
			if ((a = radius_find(p, 0, RADIUS_A_USER_NAME, NULL))) {
				ans.user = a->val;
				ans.user_len = a->len;
			}
			ans.accept = p->raw;
			ans.accept_len = p->length;
		}
		RP_INFO(COMP, "IKE_SA %016llx_i: %s from RADIUS server %u of group %s%s",
			(unsigned long long)x->spi_i, radius_code_name(p->code), res->server,
			x->er->groups[x->list->group[x->method]].name,
			ans.msk_len ? " (MPPE keys)" : "");
	}
	unlink_x(x);
	x->cb(x->cb_arg, &ans);
	OPENSSL_cleanse(msk, sizeof(msk));
	free_x(x);
}

static int be_send(void *arg, const struct ike_eap_aaa_req *req, ike_eap_aaa_cb cb,
		   void *cb_arg, void **handle)
{
	struct ike_eap_radius *er = arg;
	const struct eap_list *l = NULL;
	struct xact *x;
	int rc;

	if (req->list && req->list[0]) {
		for (unsigned i = 0; i < er->n_lists && !l; i++)
			if (!strcmp(er->lists[i].name, req->list))
				l = &er->lists[i];
	} else {
		l = &er->lists[0];
	}
	if (!l) {
		RP_NOTICE(COMP, "no EAP authentication list named %s", req->list);
		return -ENOENT;
	}
	if (req->user_len > sizeof(x->user) || req->state_len > sizeof(x->state) ||
	    !req->eap_len || req->eap_len > RADIUS_EAP_MAX)
		return -EINVAL;
	x = calloc(1, sizeof(*x) + req->eap_len);
	if (!x)
		return -ENOMEM;
	x->er = er;
	x->list = l;
	x->cb = cb;
	x->cb_arg = cb_arg;
	x->spi_i = req->spi_i;
	memcpy(x->user, req->user, req->user_len);
	x->user_len = req->user_len;
	memcpy(x->state, req->state, req->state_len);
	x->state_len = req->state_len;
	x->peer = req->peer;
	x->local = req->local;
	memcpy(x->eap, req->eap, req->eap_len);
	x->eap_len = req->eap_len;
	/* the next round goes to the group (and server) that issued the State */
	if (l->group[l->n - 1] == M_LOCAL && x->state_len >= TAG_LEN &&
	    !memcmp(x->state, er->tag, TAG_LEN)) {
		x->method = l->n - 1; /* a conversation of the local server goes on there */
	} else {
		for (unsigned i = 0; x->state_len && i < l->n; i++)
			if (l->group[i] != M_LOCAL &&
			    radius_client_has_state(er->groups[l->group[i]].c, x->state,
						    x->state_len)) {
				x->method = i;
				break;
			}
	}
	rc = ask(x);
	if (rc) {
		free_x(x);
		return rc;
	}
	x->next = er->pending;
	er->pending = x;
	*handle = x;
	return 0;
}

static void be_cancel(void *arg, void *handle)
{
	struct xact *x = handle;

	(void)arg;
	if (!x)
		return;
	if (x->rx)
		radius_cancel(x->rx);
	unlink_x(x);
	free_x(x);
}

void ike_eap_radius_destroy(struct ike_eap_radius *er)
{
	if (!er)
		return;
	while (er->pending)
		be_cancel(er, er->pending);
	for (unsigned i = 0; i < er->n_groups; i++)
		radius_client_free(er->groups[i].c);
	eap_local_free(er->local);
	local_users_free(er->users);
	free(er);
}

bool ike_eap_radius_has_list(const struct ike_eap_radius *er, const char *name)
{
	if (!name[0])
		return er->n_lists > 0;
	for (unsigned i = 0; i < er->n_lists; i++)
		if (!strcmp(er->lists[i].name, name))
			return true;
	return false;
}

void ike_eap_radius_backend(struct ike_eap_radius *er, struct ike_eap_backend *out)
{
	out->send = be_send;
	out->cancel = be_cancel;
	out->arg = er;
}
