/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Accounting and dynamic authorization of IKEv2 sessions (ike_aaa.h). */
#include "controlplane/ike/ike_aaa.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "controlplane/aaa/aaa_conf.h"
#include "controlplane/aaa/acct.h"
#include "controlplane/aaa/dae.h"
#include "controlplane/aaa/radius_client.h"
#include "controlplane/dpif/dpif.h"
#include "controlplane/ike/ike_dpd.h"
#include "controlplane/ike/ike_sa.h"
#include "controlplane/mgmt/mgmt.h"
#include "controlplane/policy/policy.h"

#define COMP "aaa"
#define MAX_GROUPS 16u
#define COUNTERS_TIMEOUT_MS 2000u

/* Counters of one session being collected from the dataplane. */
struct job {
	struct job *next;
	struct ike_aaa *x;
	uint32_t id;
	bool stop;
	uint32_t cause;
	unsigned waiting;
	struct acct_counters c;
};

struct ike_aaa {
	struct ike_resp *r;
	struct dpif *dpif;
	const struct pol_set *ps;
	struct acct *acct;
	struct dae *dae;
	uint32_t boot_id;
	struct {
		char name[32];
		struct radius_client *c;
	} groups[MAX_GROUPS];
	unsigned n_groups;
	struct job *jobs;
	/* sessions due an Interim-Update, served by one walk over the SAs (on_flush) */
	uint32_t *due;
	size_t n_due, cap_due;
	struct event *flush;
};

static const char *profile_acct_list(const struct ike_aaa *x, const char *profile)
{
	for (unsigned i = 0; profile && x->ps && i < x->ps->n_profiles; i++)
		if (!strcmp(x->ps->profiles[i].name, profile))
			return x->ps->profiles[i].aaa_acct_list[0] ? x->ps->profiles[i].aaa_acct_list :
								      NULL;
	return NULL;
}

/* ---- counters ------------------------------------------------------------------------------ */

static void job_done(struct job *j)
{
	struct ike_aaa *x = j->x;
	struct job **pp;

	for (pp = &x->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	if (j->stop)
		acct_stop(x->acct, j->id, j->cause, &j->c);
	else
		acct_interim(x->acct, j->id, &j->c);
	free(j);
}

static void on_stats(int status, const struct dpif_reply *rep, void *arg)
{
	struct job *j = arg;

	if (status)
		RP_LOG_RL(RP_LOG_WARN, COMP, "session %u: the dataplane did not give an SA's "
			  "counters (%s): accounting counts without them", j->id, strerror(-status));
	for (unsigned i = 0; !status && rep && i < rep->n; i++) {
		const struct rp_msg_sa_stats *st = &rep->msgs[i].u.sa_stats;

		if (rep->msgs[i].hdr.type != RP_MSG_SA_INFO)
			continue;
		if (st->dir == RP_DIR_IN) {
			j->c.in_octets += st->bytes;
			j->c.in_packets += st->packets;
		} else {
			j->c.out_octets += st->bytes;
			j->c.out_packets += st->packets;
		}
	}
	if (--j->waiting == 0)
		job_done(j);
}

/* Ask the dataplane for the counters of @p in's CHILD_SAs (queued before any SA_DEL that
 * follows, so answered before it), then Interim-Update or Stop. */
static void collect(struct ike_aaa *x, const struct ike_sa_info *in, bool stop, uint32_t cause)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j) {
		RP_ERR(COMP, "session %u: no memory for its accounting record", in->id);
		return;
	}
	j->x = x;
	j->id = in->id;
	j->stop = stop;
	j->cause = cause;
	j->c.in_octets = in->gone_in_bytes;
	j->c.in_packets = in->gone_in_packets;
	j->c.out_octets = in->gone_out_bytes;
	j->c.out_packets = in->gone_out_packets;
	j->next = x->jobs;
	x->jobs = j;
	j->waiting = 1; /* ours, dropped below: the job completes once */
	for (unsigned i = 0; x->dpif && i < in->n_sa_ids; i++) {
		struct rp_msg_sa_ref ref = { .sa_id = in->sa_ids[i] };

		if (!dpif_send(x->dpif, RP_MSG_STATS_REQ, &ref, sizeof(ref), on_stats, j,
			       COUNTERS_TIMEOUT_MS))
			j->waiting++;
	}
	if (--j->waiting == 0)
		job_done(j);
}

/* ---- session hooks ------------------------------------------------------------------------- */

static void on_up(void *arg, const struct ike_sa_info *in)
{
	struct ike_aaa *x = arg;
	const char *list = profile_acct_list(x, in->profile);
	struct acct_session s;
	int rc;

	if (!list || !x->acct)
		return;
	memset(&s, 0, sizeof(s));
	s.id = in->id;
	snprintf(s.user, sizeof(s.user), "%s", in->eap_id[0] ? in->eap_id : in->peer_id);
	s.has_framed4 = in->has_addr4;
	memcpy(s.framed4, in->addr4, 4);
	s.has_framed6 = in->has_addr6;
	memcpy(s.framed6, in->addr6, 16);
	inet_ntop(in->peer.af == 6 ? AF_INET6 : AF_INET, in->peer.addr, s.calling,
		  sizeof(s.calling));
	s.nas_af = in->local.af;
	memcpy(s.nas_addr, in->local.addr, 16);
	rc = acct_start(x->acct, list, &s);
	if (rc && rc != -EEXIST)
		RP_WARN(COMP, "session %u: accounting list %s: %s", in->id, list, strerror(-rc));
}

static void on_down(void *arg, const struct ike_sa_info *in, enum ike_end_cause cause)
{
	struct ike_aaa *x = arg;

	if (x->acct && acct_known(x->acct, in->id))
		collect(x, in, true, (uint32_t)cause);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void want_one(const struct ike_sa_info *in, void *arg)
{
	struct ike_aaa *x = arg;
	uint32_t *e;

	if (in->state != IKE_SA_ESTABLISHED || in->clearing)
		return;
	/* one ESTABLISHED SA per session: a rekey's old SA is REKEYED at once */
	e = bsearch(&in->id, x->due, x->n_due, sizeof(*x->due), cmp_u32);
	if (e)
		collect(x, in, false, 0);
}

/* The sessions due an Interim-Update this tick: one walk over the SAs for all of them. */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct ike_aaa *x = arg;

	(void)fd;
	(void)what;
	size_t n = 0;

	qsort(x->due, x->n_due, sizeof(*x->due), cmp_u32);
	for (size_t i = 0; i < x->n_due; i++)
		if (!n || x->due[n - 1] != x->due[i])
			x->due[n++] = x->due[i];
	x->n_due = n;
	ike_resp_foreach(x->r, want_one, x);
	x->n_due = 0;
}

/* An Interim-Update is due for session @p id. */
static void on_want(void *arg, uint32_t id)
{
	struct ike_aaa *x = arg;

	if (x->n_due == x->cap_due) {
		size_t cap = x->cap_due ? 2 * x->cap_due : 256;
		uint32_t *n = realloc(x->due, cap * sizeof(*n));

		if (!n) {
			RP_LOG_RL(RP_LOG_ERR, COMP, "session %u: no memory for its Interim-Update", id);
			return;
		}
		x->due = n;
		x->cap_due = cap;
	}
	x->due[x->n_due++] = id;
	event_active(x->flush, 0, 0);
}

/* ---- dynamic authorization ----------------------------------------------------------------- */

struct dae_walk {
	struct ike_aaa *x;
	void (*fn)(const struct dae_session *s, void *fn_arg);
	void *fn_arg;
};

static void dae_one(const struct ike_sa_info *in, void *arg)
{
	struct dae_walk *w = arg;
	struct dae_session s;
	char sid[20], calling[INET6_ADDRSTRLEN];

	if (in->state != IKE_SA_ESTABLISHED || in->clearing)
		return;
	acct_session_id_fmt(w->x->boot_id, in->id, sid, sizeof(sid));
	inet_ntop(in->peer.af == 6 ? AF_INET6 : AF_INET, in->peer.addr, calling, sizeof(calling));
	memset(&s, 0, sizeof(s));
	s.id = in->id;
	s.user = in->eap_id[0] ? in->eap_id : in->peer_id;
	s.acct_sid = sid;
	s.calling = calling;
	s.has_framed4 = in->has_addr4;
	memcpy(s.framed4, in->addr4, 4);
	w->fn(&s, w->fn_arg);
}

static void dae_foreach(void *arg, void (*fn)(const struct dae_session *s, void *fn_arg),
			void *fn_arg)
{
	struct dae_walk w = { .x = arg, .fn = fn, .fn_arg = fn_arg };

	ike_resp_foreach(w.x->r, dae_one, &w);
}

struct find_ctx {
	uint32_t id;
	bool found;
	uint64_t spi_i, spi_r;
};

static void find_one(const struct ike_sa_info *in, void *arg)
{
	struct find_ctx *f = arg;

	if (f->found || in->id != f->id || in->state != IKE_SA_ESTABLISHED)
		return;
	f->found = true;
	f->spi_i = in->spi_i;
	f->spi_r = in->spi_r;
}

static struct ike_sa *session_sa(struct ike_aaa *x, uint32_t id)
{
	struct find_ctx f = { .id = id };

	ike_resp_foreach(x->r, find_one, &f);
	return f.found ? ike_resp_find(x->r, f.spi_i, f.spi_r) : NULL;
}

static int dae_disconnect(void *arg, uint32_t id)
{
	struct ike_aaa *x = arg;
	struct ike_sa *sa = session_sa(x, id);

	if (!sa)
		return -ENOENT;
	return ike_resp_clear(x->r, sa, "a RADIUS Disconnect-Request");
}

static int dae_timeout(void *arg, uint32_t id, uint32_t timeout_s)
{
	struct ike_aaa *x = arg;
	struct ike_sa *sa = session_sa(x, id);

	if (!sa)
		return -ENOENT;
	return ike_sa_set_session_timeout(x->r, sa, timeout_s);
}

/* ---- show aaa ------------------------------------------------------------------------------ */

static int cmd_show_aaa(struct mgmt_req *req, void *arg)
{
	struct ike_aaa *x = arg;
	struct acct_stats a = { 0 };
	struct dae_stats d = { 0 };
	if (x->acct)
		acct_get_stats(x->acct, &a);
	if (x->dae)
		dae_get_stats(x->dae, &d);
	const struct {
		const char *name;
		uint64_t v;
	} as[] = {
		{ "sessions", a.sessions }, { "queued", a.queued }, { "sent", a.sent },
		{ "answered", a.answered }, { "group_failures", a.group_failures },
		{ "retries", a.retries }, { "overflow", a.overflow }, { "waiting", a.waiting },
		{ "in_flight", a.in_flight },
	}, ds[] = {
		{ "received", d.received }, { "unknown_client", d.unknown_client },
		{ "malformed", d.malformed }, { "bad_authenticator", d.bad_auth },
		{ "stale", d.stale }, { "duplicates", d.duplicates },
		{ "not_dae", d.unsupported_code }, { "disconnect_ack", d.disconnect_ack },
		{ "disconnect_nak", d.disconnect_nak }, { "coa_ack", d.coa_ack },
		{ "coa_nak", d.coa_nak }, { "sessions_disconnected", d.sessions_disconnected },
		{ "sessions_changed", d.sessions_changed },
	};

	if (req->json) {
		json_obj_open(&req->jw);
		json_key(&req->jw, "accounting");
		if (x->acct) {
			json_obj_open(&req->jw);
			for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++)
				json_kv_uint(&req->jw, as[i].name, as[i].v);
			json_obj_close(&req->jw);
		} else {
			json_null(&req->jw);
		}
		json_key(&req->jw, "dynamic_author");
		if (x->dae) {
			json_obj_open(&req->jw);
			json_kv_uint(&req->jw, "port", dae_port(x->dae));
			for (size_t i = 0; i < sizeof(ds) / sizeof(ds[0]); i++)
				json_kv_uint(&req->jw, ds[i].name, ds[i].v);
			json_obj_close(&req->jw);
		} else {
			json_null(&req->jw);
		}
		json_obj_close(&req->jw);
	} else {
		if (x->acct) {
			sbuf_printf(&req->out, "accounting:");
			for (size_t i = 0; i < sizeof(as) / sizeof(as[0]); i++)
				sbuf_printf(&req->out, " %s %llu", as[i].name,
					    (unsigned long long)as[i].v);
			sbuf_printf(&req->out, "\n");
		} else {
			sbuf_printf(&req->out, "accounting: off\n");
		}
		if (x->dae) {
			sbuf_printf(&req->out, "dynamic-author (port %u):", dae_port(x->dae));
			for (size_t i = 0; i < sizeof(ds) / sizeof(ds[0]); i++)
				sbuf_printf(&req->out, " %s %llu", ds[i].name,
					    (unsigned long long)ds[i].v);
			sbuf_printf(&req->out, "\n");
		} else {
			sbuf_printf(&req->out, "dynamic-author: off\n");
		}
	}
	mgmt_req_done(req, MGMT_OK);
	return 0;
}

static const struct mgmt_cmd aaa_cmds[] = {
	{ "show aaa", "", "RADIUS accounting queue and Disconnect/CoA counters", cmd_show_aaa, 0, 0 },
};

int ike_aaa_register(struct ike_aaa *x, struct mgmt *m)
{
	return x ? mgmt_register(m, aaa_cmds, sizeof(aaa_cmds) / sizeof(aaa_cmds[0]), x) : 0;
}

/* ---- setup --------------------------------------------------------------------------------- */

static int group_client(struct ike_aaa *x, struct event_base *base, const struct rp_cfg *cfg,
			const char *name, struct radius_client **out)
{
	struct radius_group_cfg g;
	int rc;

	for (unsigned i = 0; i < x->n_groups; i++)
		if (!strcmp(x->groups[i].name, name)) {
			*out = x->groups[i].c;
			return 0;
		}
	if (x->n_groups == MAX_GROUPS)
		return -ENOSPC;
	rc = aaa_conf_radius_group(cfg, name, &g);
	if (!rc)
		rc = radius_client_new(base, &g, &x->groups[x->n_groups].c);
	OPENSSL_cleanse(&g, sizeof(g));
	if (rc)
		return rc;
	snprintf(x->groups[x->n_groups].name, sizeof(x->groups[0].name), "%s", name);
	*out = x->groups[x->n_groups++].c;
	return 0;
}

static int setup_acct(struct ike_aaa *x, struct event_base *base, const struct rp_cfg *cfg)
{
	const config_setting_t *aaa = rp_cfg_get(rp_cfg_root(cfg), "aaa");
	const config_setting_t *l = rp_cfg_get(aaa, "accounting");
	const config_setting_t *q = rp_cfg_get(aaa, "accounting_queue");
	struct acct_cfg ac = {
		.queue_max = (unsigned)rp_cfg_int(q, "size", ACCT_QUEUE_DEFAULT),
		.retry_max_ms = (unsigned)rp_cfg_int(q, "retry_max", 60) * 1000u,
		.boot_id = x->boot_id,
	};
	int rc;

	if (!rp_cfg_count(l))
		return 0;
	rc = acct_new(base, &ac, &x->acct);
	if (rc)
		return rc;
	x->flush = event_new(base, -1, 0, on_flush, x);
	if (!x->flush)
		return -ENOMEM;
	for (int i = 0; i < rp_cfg_count(l); i++) {
		const char *name = rp_cfg_str(rp_cfg_elem(l, i), "name", "");
		struct aaa_method m[AAA_MAX_METHODS];
		struct radius_client *gc[AAA_MAX_METHODS];
		const char *gn[AAA_MAX_METHODS];
		unsigned ng = 0, interim;
		bool stop_only;
		int n = aaa_conf_methods(cfg, "accounting", name, m, AAA_MAX_METHODS);

		if (n < 0 || aaa_conf_acct_list(cfg, name, &stop_only, &interim))
			return -EINVAL;
		for (int k = 0; k < n; k++) {
			if (m[k].kind != AAA_M_GROUP)
				continue;
			rc = group_client(x, base, cfg, m[k].group, &gc[ng]);
			if (rc) {
				RP_ERR(COMP, "accounting list %s: RADIUS group %s: %s", name, m[k].group,
				       strerror(-rc));
				return -EINVAL;
			}
			gn[ng++] = m[k].group;
		}
		rc = acct_add_list(x->acct, name, stop_only, interim, gc, gn, ng);
		if (rc)
			return rc;
		if (interim)
			RP_NOTICE(COMP, "accounting list %s: %s to %u group%s, Interim-Update every "
				  "%u s", name, stop_only ? "stop-only" : "start-stop", ng,
				  ng == 1 ? "" : "s", interim);
		else
			RP_NOTICE(COMP, "accounting list %s: %s to %u group%s", name,
				  stop_only ? "stop-only" : "start-stop", ng, ng == 1 ? "" : "s");
	}
	acct_set_counter_source(x->acct, on_want, x);
	return 0;
}

int ike_aaa_create(struct event_base *base, const struct rp_cfg *cfg, const struct pol_set *ps,
		   struct ike_resp *r, struct dpif *dpif, struct ike_aaa **out)
{
	struct ike_aaa *x;
	struct dae_cfg dc;
	struct ike_session_hooks h;
	int rc;

	*out = NULL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->r = r;
	x->dpif = dpif;
	x->ps = ps;
	x->boot_id = (uint32_t)time(NULL);
	rc = setup_acct(x, base, cfg);
	if (!rc) {
		rc = aaa_conf_dae(cfg, &dc);
		if (!rc) {
			struct dae_ops ops = { .foreach = dae_foreach, .disconnect = dae_disconnect,
					       .session_timeout = dae_timeout, .arg = x };

			rc = dae_new(base, &dc, &ops, &x->dae);
		} else if (rc == -ENOENT) {
			rc = 0;
		}
		OPENSSL_cleanse(&dc, sizeof(dc));
	}
	if (rc) {
		ike_aaa_destroy(x);
		return rc;
	}
	if (!x->acct && !x->dae) {
		free(x);
		return 0;
	}
	for (unsigned i = 0; ps && x->acct && i < ps->n_profiles; i++)
		if (ps->profiles[i].aaa_acct_list[0])
			RP_NOTICE(COMP, "profile %s: accounting list %s", ps->profiles[i].name,
				  ps->profiles[i].aaa_acct_list);
	h = (struct ike_session_hooks){ .up = on_up, .down = on_down, .arg = x };
	ike_resp_set_session_hooks(r, &h);
	*out = x;
	return 0;
}

void ike_aaa_destroy(struct ike_aaa *x)
{
	if (!x)
		return;
	if (x->r)
		ike_resp_set_session_hooks(x->r, NULL);
	while (x->jobs) {
		struct job *j = x->jobs;

		x->jobs = j->next;
		if (x->dpif)
			dpif_cancel(x->dpif, j);
		free(j);
	}
	dae_free(x->dae);
	acct_free(x->acct);
	if (x->flush)
		event_free(x->flush);
	free(x->due);
	for (unsigned i = 0; i < x->n_groups; i++)
		radius_client_free(x->groups[i].c);
	free(x);
}
