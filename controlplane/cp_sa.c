/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * "show sa [SA_ID]": the dataplane's per-SA counters. One SA_DUMP (all SAs) or one STATS_REQ
 * (a single SA) through the channel; the answer is written when DUMP_END is back.
 *
 * "sa add FIELD VALUE..." / "sa del SA_ID": manually keyed SAs from the operator. The fields
 * are those of the configuration's dataplane.manual_sas, parsed and checked by the same code
 * (common/manual_sa.c); the SA goes to the dataplane as SA_ADD, then its routes as ROUTE_ADD,
 * each waiting for the dataplane's ACK before the next step and before answering. Their ids
 * come from the range reserved for them (RP_SA_ID_CLI_FIRST..LAST), and rampartd remembers
 * which SAs it added this way: "sa del" deletes only those.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/manual_sa.h"
#include "common/msg.h"
#include "controlplane/cp.h"
#include "controlplane/dpif/dpif.h"
#include "controlplane/mgmt/mgmt.h"

#define SA_DUMP_TIMEOUT_MS 5000
#define SA_CMD_TIMEOUT_MS 5000
/* SAs added with "sa add" that rampartd remembers at most. */
#define CLI_SA_MAX 1024
/* Allocated ids the dataplane already knows (e.g. a configuration SA) skipped at most. */
#define CLI_ID_TRIES 16
#define COMP "sa"

struct sa_job {
	struct mgmt_req *req;
	uint32_t sa_id; /* 0: all */
};

static const char *dir_name(uint8_t dir)
{
	return dir == RP_DIR_IN ? "in" : dir == RP_DIR_OUT ? "out" : "?";
}

void cp_sa_render(const struct dpif_reply *rep, struct sbuf *out, struct json_w *jw)
{
	unsigned n = 0;

	if (jw)
		json_arr_open(jw);
	else
		sbuf_printf(out, "%-10s %-3s %-10s %14s %16s %12s %20s\n", "SA_ID", "DIR", "SPI",
			    "PACKETS", "BYTES", "DROPS", "SEQ");
	for (unsigned i = 0; i < rep->n; i++) {
		const struct rp_msg_sa_stats *s = &rep->msgs[i].u.sa_stats;

		if (rep->msgs[i].hdr.type != RP_MSG_SA_INFO)
			continue;
		n++;
		if (jw) {
			char spi[16];

			snprintf(spi, sizeof(spi), "%08" PRIx32, ntohl(s->spi));
			json_obj_open(jw);
			json_kv_uint(jw, "sa_id", s->sa_id);
			json_kv_str(jw, "dir", dir_name(s->dir));
			json_kv_str(jw, "spi", spi);
			json_kv_uint(jw, "packets", s->packets);
			json_kv_uint(jw, "bytes", s->bytes);
			json_kv_uint(jw, "drops", s->drops);
			json_kv_uint(jw, "seq", s->seq);
			json_obj_close(jw);
			continue;
		}
		sbuf_printf(out, "%-10" PRIu32 " %-3s 0x%08" PRIx32 " %14" PRIu64 " %16" PRIu64
			    " %12" PRIu64 " %20" PRIu64 "\n", s->sa_id, dir_name(s->dir), ntohl(s->spi),
			    s->packets, s->bytes, s->drops, s->seq);
	}
	if (jw)
		json_arr_close(jw);
	else
		sbuf_printf(out, "%u SA%s\n", n, n == 1 ? "" : "s");
}

static void on_sa_info(int status, const struct dpif_reply *rep, void *arg)
{
	struct sa_job *j = arg;
	struct mgmt_req *req = j->req;

	if (status == -ENOENT && j->sa_id)
		mgmt_req_error(req, "show sa: no SA %" PRIu32 " in the dataplane", j->sa_id);
	else if (status)
		mgmt_req_error(req, "show sa: the dataplane did not answer: %s",
			       status == -ETIMEDOUT ? "timed out" : strerror(-status));
	else {
		cp_sa_render(rep, &req->out, req->json ? &req->jw : NULL);
		mgmt_req_done(req, MGMT_OK);
	}
	free(j);
}

static int cmd_show_sa(struct mgmt_req *req, void *arg)
{
	struct cp *cp = arg;
	struct sa_job *j;
	unsigned long v = 0;
	int rc;

	if (req->argc == 1) {
		char *end;

		errno = 0;
		v = strtoul(req->argv[0], &end, 0);
		if (errno || end == req->argv[0] || *end || v == 0 || v > UINT32_MAX ||
		    req->argv[0][0] == '-') {
			mgmt_req_error(req, "show sa: '%s' is not an SA id (1 to %u)", req->argv[0],
				       UINT32_MAX);
			return 0;
		}
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->req = req;
	j->sa_id = (uint32_t)v;
	if (j->sa_id) {
		struct rp_msg_sa_ref ref = { .sa_id = j->sa_id };

		rc = dpif_send(cp->dpif, RP_MSG_STATS_REQ, &ref, sizeof(ref), on_sa_info, j,
			       SA_DUMP_TIMEOUT_MS);
	} else {
		struct rp_msg_empty e = { { 0 } };

		rc = dpif_send(cp->dpif, RP_MSG_SA_DUMP, &e, sizeof(e), on_sa_info, j,
			       SA_DUMP_TIMEOUT_MS);
	}
	if (rc) {
		free(j);
		mgmt_req_error(req, "show sa: dataplane not available: %s",
			       rc == -ENOTCONN ? "rampart-dp not attached" : strerror(-rc));
	}
	return 0;
}

/* ---- sa add / sa del ---------------------------------------------------------------------- */

enum cli_state { CLI_FREE, CLI_ADDING, CLI_LIVE, CLI_DELETING };

/* What rampartd remembers of an SA it added for the operator (no keys). */
struct cli_sa {
	uint32_t sa_id;
	enum cli_state state;
	uint32_t dp_epoch; /* of the rampart-dp that installed it */
};

static struct {
	struct cli_sa v[CLI_SA_MAX];
	uint32_t next_id; /* next id to try, in the reserved range */
} cli;

static struct cli_sa *cli_find(uint32_t id)
{
	for (unsigned i = 0; i < CLI_SA_MAX; i++)
		if (cli.v[i].state != CLI_FREE && cli.v[i].sa_id == id)
			return &cli.v[i];
	return NULL;
}

static struct cli_sa *cli_slot(void)
{
	for (unsigned i = 0; i < CLI_SA_MAX; i++)
		if (cli.v[i].state == CLI_FREE)
			return &cli.v[i];
	return NULL;
}

/* A restarted rampart-dp starts empty and rampartd does not replay these SAs (it keeps no
 * keys): forget those installed in an earlier one. */
static void cli_forget_stale(struct cp *cp)
{
	struct rp_chan_side_info peer;

	dpif_peer(cp->dpif, &peer);
	if (!peer.attached)
		return;
	for (unsigned i = 0; i < CLI_SA_MAX; i++) {
		struct cli_sa *c = &cli.v[i];

		if (c->state == CLI_LIVE && c->dp_epoch != peer.epoch) {
			RP_NOTICE(COMP, "rampartctl: SA %" PRIu32 " was added to an earlier rampart-dp "
				  "(epoch %u, now %u) and is gone with it; forgotten", c->sa_id,
				  c->dp_epoch, peer.epoch);
			c->state = CLI_FREE;
		}
	}
}

/* The next id of the reserved range that no SA of ours uses. */
static uint32_t cli_next_id(void)
{
	for (;;) {
		uint32_t id = cli.next_id;

		if (id < RP_SA_ID_CLI_FIRST || id > RP_SA_ID_CLI_LAST)
			id = RP_SA_ID_CLI_FIRST;
		cli.next_id = id + 1;
		if (!cli_find(id))
			return id; /* the table holds fewer ids than the range: this ends */
	}
}

struct add_job {
	struct cp *cp;
	struct mgmt_req *req;
	struct cli_sa *slot;
	struct rp_manual_sa m; /* keys wiped once the SA is installed */
	bool id_given;
	unsigned tries;
	unsigned route;        /* next route to add */
};

static void cli_mark_live(struct cp *cp, struct cli_sa *c)
{
	struct rp_chan_side_info peer;

	dpif_peer(cp->dpif, &peer);
	c->dp_epoch = peer.epoch;
	c->state = CLI_LIVE;
}

static const char *answer_reason(int status, const struct dpif_reply *rep)
{
	const struct rp_msg *last = rep->n ? &rep->msgs[rep->n - 1] : NULL;

	if (last && last->hdr.type == RP_MSG_ACK && last->u.ack.reason[0])
		return last->u.ack.reason;
	if (last && last->hdr.type == RP_MSG_ERROR && last->u.error.text[0])
		return last->u.error.text;
	return status == -ETIMEDOUT ? "no answer (timed out)" :
	       status == -ENOTCONN ? "rampart-dp not attached" : strerror(-status);
}

static void add_job_free(struct add_job *j)
{
	rp_manual_sa_wipe(&j->m);
	free(j);
}

static void add_done(struct add_job *j)
{
	const struct rp_msg_sa *sa = &j->m.sa;
	struct mgmt_req *req = j->req;
	struct rp_chan_side_info peer;
	char spi[16];

	dpif_peer(j->cp->dpif, &peer);
	j->slot->dp_epoch = peer.epoch;
	j->slot->state = CLI_LIVE;
	snprintf(spi, sizeof(spi), "%08" PRIx32, ntohl(sa->spi));
	RP_NOTICE(COMP, "rampartctl: SA %" PRIu32 " added (%s, SPI 0x%s, %s%s%s, %u route%s)",
		  sa->sa_id, dir_name(sa->dir), spi, rp_cipher_opname(sa->cipher),
		  sa->integ ? " + " : "", sa->integ ? rp_integ_opname(sa->integ) : "",
		  j->m.n_routes, j->m.n_routes == 1 ? "" : "s");
	if (req->json) {
		json_obj_open(&req->jw);
		json_kv_uint(&req->jw, "sa_id", sa->sa_id);
		json_kv_str(&req->jw, "dir", dir_name(sa->dir));
		json_kv_str(&req->jw, "spi", spi);
		json_kv_uint(&req->jw, "routes", j->m.n_routes);
		json_obj_close(&req->jw);
	} else {
		sbuf_printf(&req->out, "SA %" PRIu32 " added (%s, SPI 0x%s, %u route%s)\n",
			    sa->sa_id, dir_name(sa->dir), spi, j->m.n_routes,
			    j->m.n_routes == 1 ? "" : "s");
	}
	mgmt_req_done(req, MGMT_OK);
	add_job_free(j);
}

static void on_rollback(int status, const struct dpif_reply *rep, void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;

	if (status)
		RP_WARN(COMP, "rampartctl: SA %" PRIu32 " could not be removed after a refused "
			"route: %s; 'sa del %" PRIu32 "' retries", id, answer_reason(status, rep),
			id);
	else
		RP_INFO(COMP, "rampartctl: SA %" PRIu32 " removed again (a route was refused)", id);
}

static void add_next_route(struct add_job *j);

static void on_route_added(int status, const struct dpif_reply *rep, void *arg)
{
	struct add_job *j = arg;
	char p[64];

	if (status) {
		struct rp_msg_sa_ref ref = { .sa_id = j->m.sa.sa_id };
		const char *why = answer_reason(status, rep);

		rp_prefix_str(&j->m.routes[j->route - 1].prefix, p, sizeof(p));
		RP_NOTICE(COMP, "rampartctl: route %s of SA %" PRIu32 " refused by the dataplane: "
			  "%s; removing the SA", p, j->m.sa.sa_id, why);
		mgmt_req_error(j->req, "sa add: the dataplane refused route %s: %s (SA %" PRIu32
			       " removed again)", p, why, j->m.sa.sa_id);
		/* SA_DEL takes the routes already added with it. */
		if (dpif_send(j->cp->dpif, RP_MSG_SA_DEL, &ref, sizeof(ref), on_rollback,
			      (void *)(uintptr_t)ref.sa_id, SA_CMD_TIMEOUT_MS) == 0)
			j->slot->state = CLI_FREE;
		else
			cli_mark_live(j->cp, j->slot); /* still there: "sa del" can remove it */
		add_job_free(j);
		return;
	}
	add_next_route(j);
}

static void add_next_route(struct add_job *j)
{
	int rc;

	if (j->route == j->m.n_routes) {
		add_done(j);
		return;
	}
	rc = dpif_send(j->cp->dpif, RP_MSG_ROUTE_ADD, &j->m.routes[j->route],
		       sizeof(j->m.routes[j->route]), on_route_added, j, SA_CMD_TIMEOUT_MS);
	j->route++;
	if (rc) {
		struct dpif_reply none = { 0 };

		on_route_added(rc, &none, j);
	}
}

static int add_send(struct add_job *j);

static void on_sa_added(int status, const struct dpif_reply *rep, void *arg)
{
	static const struct dpif_reply none = { 0 };
	struct add_job *j = arg;
	uint32_t id = j->m.sa.sa_id;

	if (status == -EEXIST && !j->id_given && ++j->tries < CLI_ID_TRIES) {
		/* Someone else (a configuration SA) has this id: take the next one. */
		RP_INFO(COMP, "rampartctl: SA id %" PRIu32 " is taken in the dataplane (%s); trying "
			"the next one", id, answer_reason(status, rep));
		rp_manual_sa_set_id(&j->m, cli_next_id());
		j->slot->sa_id = j->m.sa.sa_id;
		if (add_send(j) == 0)
			return;
		status = -ENOTCONN;
		rep = &none;
	}
	if (status) {
		const char *why = answer_reason(status, rep);

		RP_NOTICE(COMP, "rampartctl: SA %" PRIu32 " refused by the dataplane: %s", id, why);
		/* Timed out: it may be installed after all; keep it so that "sa del" can go. */
		if (status == -ETIMEDOUT)
			cli_mark_live(j->cp, j->slot);
		else
			j->slot->state = CLI_FREE;
		mgmt_req_error(j->req, "sa add: the dataplane refused SA %" PRIu32 ": %s%s", id, why,
			       status == -ETIMEDOUT ? " (it may be installed: check 'show sa', "
			       "remove it with 'sa del')" : "");
		add_job_free(j);
		return;
	}
	/* Installed: the keys are the dataplane's business now. */
	explicit_bzero(j->m.sa.enc_key, sizeof(j->m.sa.enc_key));
	explicit_bzero(j->m.sa.salt, sizeof(j->m.sa.salt));
	explicit_bzero(j->m.sa.auth_key, sizeof(j->m.sa.auth_key));
	add_next_route(j);
}

static int add_send(struct add_job *j)
{
	return dpif_send(j->cp->dpif, RP_MSG_SA_ADD, &j->m.sa, sizeof(j->m.sa), on_sa_added, j,
			 SA_CMD_TIMEOUT_MS);
}

int cp_sa_parse_add(int argc, char **argv, struct rp_manual_sa *m, char *err, size_t errlen)
{
	const char *field = NULL;
	char why[256];
	int rc;

	rp_manual_sa_init(m);
	if (argc == 0) {
		snprintf(err, errlen, "no fields: write FIELD VALUE pairs, e.g. direction in spi "
			 "0x1001 cipher aes-gcm-128 key 0x... local 192.0.2.1 remote 198.51.100.2 "
			 "traffic_selectors 198.18.0.0/24");
		return -EINVAL;
	}
	for (int i = 0; i < argc; i += 2) {
		if (i + 1 == argc) {
			snprintf(err, errlen, "'%s' has no value: write FIELD VALUE pairs", argv[i]);
			return -EINVAL;
		}
		rc = rp_manual_sa_set(m, argv[i], argv[i + 1], why, sizeof(why));
		if (rc) {
			snprintf(err, errlen, "%s", why);
			return rc;
		}
	}
	rc = rp_manual_sa_finish(m, false, &field, why, sizeof(why));
	if (rc) {
		size_t n = field ? strlen(field) : 0;

		/* Name the field unless the message starts with it. */
		if (field && !(strncmp(why, field, n) == 0 && (why[n] == ':' || why[n] == ' ')))
			snprintf(err, errlen, "%s: %s", field, why);
		else
			snprintf(err, errlen, "%s", why);
		return rc;
	}
	if (rp_manual_sa_has(m, RP_MSA_sa_id) &&
	    (m->sa.sa_id < RP_SA_ID_CLI_FIRST || m->sa.sa_id > RP_SA_ID_CLI_LAST)) {
		snprintf(err, errlen, "sa_id %" PRIu32 " is outside the range reserved for SAs "
			 "added with rampartctl (%u..%u, 0x%08x..0x%08x; IKE uses the ids below): "
			 "choose one there, or leave sa_id out to have one allocated", m->sa.sa_id,
			 RP_SA_ID_CLI_FIRST, RP_SA_ID_CLI_LAST, RP_SA_ID_CLI_FIRST,
			 RP_SA_ID_CLI_LAST);
		return -ERANGE;
	}
	return 0;
}

static int cmd_sa_add(struct mgmt_req *req, void *arg)
{
	struct cp *cp = arg;
	struct add_job *j;
	char err[320];
	int rc;

	cli_forget_stale(cp);
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->cp = cp;
	j->req = req;
	rc = cp_sa_parse_add(req->argc, req->argv, &j->m, err, sizeof(err));
	/* The words held keys: not kept past this point. */
	for (int i = 0; i + 1 < req->argc; i += 2)
		if (!strcmp(req->argv[i], "key") || !strcmp(req->argv[i], "auth_key"))
			explicit_bzero(req->argv[i + 1], strlen(req->argv[i + 1]));
	if (rc) {
		mgmt_req_error(req, "sa add: %s", err);
		goto fail;
	}
	j->id_given = rp_manual_sa_has(&j->m, RP_MSA_sa_id);
	if (j->id_given && cli_find(j->m.sa.sa_id)) {
		mgmt_req_error(req, "sa add: sa_id %" PRIu32 " is already used by an SA added with "
			       "rampartctl ('sa del %" PRIu32 "' first)", j->m.sa.sa_id,
			       j->m.sa.sa_id);
		goto fail;
	}
	j->slot = cli_slot();
	if (!j->slot) {
		mgmt_req_error(req, "sa add: %u SAs added with rampartctl already, the most rampartd "
			       "keeps track of; delete some first", CLI_SA_MAX);
		goto fail;
	}
	if (!j->id_given)
		rp_manual_sa_set_id(&j->m, cli_next_id());
	if (j->m.sa.paired_sa_id == j->m.sa.sa_id) {
		mgmt_req_error(req, "sa add: paired_sa_id %" PRIu32 " is this SA's own id",
			       j->m.sa.sa_id);
		goto fail;
	}
	j->slot->sa_id = j->m.sa.sa_id;
	j->slot->state = CLI_ADDING;
	rc = add_send(j);
	if (rc) {
		j->slot->state = CLI_FREE;
		mgmt_req_error(req, "sa add: dataplane not available: %s",
			       rc == -ENOTCONN ? "rampart-dp not attached" : strerror(-rc));
		goto fail;
	}
	return 0;
fail:
	add_job_free(j);
	return 0;
}

struct del_job {
	struct mgmt_req *req;
	struct cli_sa *slot;
	uint32_t sa_id;
};

static void on_sa_deleted(int status, const struct dpif_reply *rep, void *arg)
{
	struct del_job *j = arg;

	if (status == 0 || status == -ENOENT) {
		j->slot->state = CLI_FREE;
		if (status == 0) {
			RP_NOTICE(COMP, "rampartctl: SA %" PRIu32 " deleted", j->sa_id);
			if (j->req->json) {
				json_obj_open(&j->req->jw);
				json_kv_uint(&j->req->jw, "sa_id", j->sa_id);
				json_kv_bool(&j->req->jw, "deleted", true);
				json_obj_close(&j->req->jw);
			} else {
				sbuf_printf(&j->req->out, "SA %" PRIu32 " deleted (with its routes)\n",
					    j->sa_id);
			}
			mgmt_req_done(j->req, MGMT_OK);
		} else {
			RP_NOTICE(COMP, "rampartctl: SA %" PRIu32 " was no longer in the dataplane; "
				  "forgotten", j->sa_id);
			mgmt_req_error(j->req, "sa del: SA %" PRIu32 " was not in the dataplane any "
				       "more; forgotten", j->sa_id);
		}
	} else {
		j->slot->state = CLI_LIVE;
		mgmt_req_error(j->req, "sa del: the dataplane refused to delete SA %" PRIu32 ": %s",
			       j->sa_id, answer_reason(status, rep));
	}
	free(j);
}

static int cmd_sa_del(struct mgmt_req *req, void *arg)
{
	struct cp *cp = arg;
	struct rp_msg_sa_ref ref = { 0 };
	struct cli_sa *slot;
	struct del_job *j;
	unsigned long v;
	char *end;
	int rc;

	errno = 0;
	v = strtoul(req->argv[0], &end, 0);
	if (errno || end == req->argv[0] || *end || v == 0 || v > UINT32_MAX ||
	    req->argv[0][0] == '-') {
		mgmt_req_error(req, "sa del: '%s' is not an SA id (1 to %u)", req->argv[0],
			       UINT32_MAX);
		return 0;
	}
	cli_forget_stale(cp);
	slot = cli_find((uint32_t)v);
	if (!slot) {
		mgmt_req_error(req, "sa del: SA %lu was not added with 'sa add' (rampartctl deletes "
			       "only those; IKE SAs end with their IKE SA, configuration SAs with "
			       "the configuration)", v);
		return 0;
	}
	if (slot->state != CLI_LIVE) {
		mgmt_req_error(req, "sa del: SA %lu is being %s; try again", v,
			       slot->state == CLI_ADDING ? "added" : "deleted");
		return 0;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->req = req;
	j->slot = slot;
	j->sa_id = ref.sa_id = (uint32_t)v;
	rc = dpif_send(cp->dpif, RP_MSG_SA_DEL, &ref, sizeof(ref), on_sa_deleted, j,
		       SA_CMD_TIMEOUT_MS);
	if (rc) {
		free(j);
		mgmt_req_error(req, "sa del: dataplane not available: %s",
			       rc == -ENOTCONN ? "rampart-dp not attached" : strerror(-rc));
		return 0;
	}
	slot->state = CLI_DELETING;
	return 0;
}

static const struct mgmt_cmd sa_cmds[] = {
	{ "show sa", "[SA_ID]", "dataplane SAs: direction, SPI, packets, bytes, drops, sequence",
	  cmd_show_sa, 0, 1 },
	{ "sa add", "FIELD VALUE...", "add a manually keyed SA (the fields of "
	  "dataplane.manual_sas: direction spi cipher key local remote traffic_selectors...)",
	  cmd_sa_add, 2, -1 },
	{ "sa del", "SA_ID", "delete an SA added with 'sa add' (and its routes)", cmd_sa_del, 1, 1 },
};

int cp_sa_register(struct cp *cp)
{
	return mgmt_register(cp->mgmt, sa_cmds, sizeof(sa_cmds) / sizeof(sa_cmds[0]), cp);
}
