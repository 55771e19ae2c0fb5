/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The main lcore's side of the control channel: take commands, dispatch them through one
 * table, answer every one of them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/chan.h"
#include "common/log.h"
#include "common/msg.h"
#include "dataplane/ctl.h"
#include "dataplane/dp.h"
#include "dataplane/manual.h"
#include "dataplane/sad.h"

/* Answers one command can produce at most (PORT_DUMP: a PORT_INFO per port + DUMP_END;
 * DROP_DUMP: a DROP_INFO per reason + DUMP_END). */
#define ANSWERS_MAX ((DP_MAX_PORTS > DP_DROP_MAX ? DP_MAX_PORTS : DP_DROP_MAX) + 1)
/* Answers held while the event ring is full. Commands are only taken when none is held,
 * so this never overflows. */
#define PEND_MAX (2 * ANSWERS_MAX)
/* Command types are below 64, event types from 64 (common/msg.h). */
#define CMD_TYPES 64

/* SA_INFO answers sent per poll round at most: a dump of a million SAs is streamed over
 * many rounds, as the event ring drains, and no command is taken meanwhile. */
#define DUMP_BUDGET 256

struct dp_ctl {
	struct rp_chan *ch;
	struct dp_app *app;
	struct rp_chan_side_info peer; /* rampartd as last seen by dp_ctl_tick() */
	struct rp_msg pend[PEND_MAX];  /* answers waiting for room, hdr.type/len/flags/ref set */
	unsigned int pend_head, pend_n;
	bool ring_full;
	bool resync;                   /* between RESYNC_BEGIN and RESYNC_END */
	struct {
		bool active;
		uint64_t ref;          /* seq of the SA_DUMP / STATS_REQ answered */
		uint32_t pos;          /* next slot */
		uint32_t count;
	} dump;
	uint64_t n_cmds, n_bad, n_held, n_lost, n_lifetime;
};

/* Publish one event, or hold it (in order) if the ring is full. */
static int emit(struct dp_ctl *ctl, uint16_t type, const void *payload, size_t len,
		uint16_t flags, uint64_t ref)
{
	struct rp_msg_hdr h = { .flags = flags, .ref = ref };
	struct rp_msg *m;
	int rc;

	if (!ctl->pend_n) {
		rc = rp_chan_send(ctl->ch, type, payload, len, &h, NULL);
		if (rc != -EAGAIN) {
			if (rc < 0) {
				ctl->n_lost++;
				RP_ERR("ctl", "bug: %s event (ref %" PRIu64 ", %zu bytes) refused by "
				       "the channel: %s", rp_msg_type_name(type), ref, len,
				       strerror(-rc));
			}
			return rc;
		}
		if (!ctl->ring_full)
			RP_LOG_RL(RP_LOG_WARN, "ctl", "event ring full (is rampartd reading?): "
				  "holding answers and taking no command until they are out");
		ctl->ring_full = true;
	}
	if (ctl->pend_n == PEND_MAX || len > RP_MSG_PAYLOAD_MAX) {
		ctl->n_lost++;
		RP_LOG_RL(RP_LOG_ERR, "ctl", "bug: answer queue overflow, %s event for command "
			  "%" PRIu64 " lost (%" PRIu64 " lost so far)", rp_msg_type_name(type), ref,
			  ctl->n_lost);
		return -ENOBUFS;
	}
	m = &ctl->pend[(ctl->pend_head + ctl->pend_n) % PEND_MAX];
	memset(m, 0, sizeof(*m));
	m->hdr = h;
	m->hdr.type = type;
	m->hdr.len = (uint16_t)len;
	memcpy(m->u.raw, payload, len);
	ctl->pend_n++;
	ctl->n_held++;
	return 0;
}

/* Send held answers, oldest first. Returns how many went out. */
static unsigned int flush(struct dp_ctl *ctl)
{
	unsigned int sent = 0;

	while (ctl->pend_n) {
		struct rp_msg *m = &ctl->pend[ctl->pend_head];
		int rc = rp_chan_send(ctl->ch, m->hdr.type, m->u.raw, m->hdr.len, &m->hdr, NULL);

		if (rc == -EAGAIN)
			break;
		if (rc < 0) {
			ctl->n_lost++;
			RP_ERR("ctl", "bug: held %s event refused by the channel: %s",
			       rp_msg_type_name(m->hdr.type), strerror(-rc));
		}
		ctl->pend_head = (ctl->pend_head + 1) % PEND_MAX;
		ctl->pend_n--;
		sent++;
	}
	if (ctl->ring_full && !ctl->pend_n) {
		ctl->ring_full = false;
		RP_LOG_RL(RP_LOG_INFO, "ctl", "event ring has room again; taking commands");
	}
	return sent;
}

static void ack(struct dp_ctl *ctl, const struct rp_msg *cmd, int status, const char *reason)
{
	struct rp_msg_ack a;

	memset(&a, 0, sizeof(a));
	a.status = status;
	snprintf(a.reason, sizeof(a.reason), "%s", reason ? reason : "");
	emit(ctl, RP_MSG_ACK, &a, sizeof(a), 0, cmd->hdr.seq);
}

/* ---- handlers ----------------------------------------------------------------------------- */

static void cmd_ping(struct dp_ctl *ctl, const struct rp_msg *cmd)
{
	emit(ctl, RP_MSG_PONG, &cmd->u.ping, sizeof(cmd->u.ping), 0, cmd->hdr.seq);
}

static void cmd_port_dump(struct dp_ctl *ctl, const struct rp_msg *cmd)
{
	const struct dp_app *app = ctl->app;
	struct rp_msg_dump_end end = { .count = 0, .status = 0 };

	for (unsigned int i = 0; i < app->n_ports; i++) {
		struct rp_msg_port info;
		int rc = dp_port_info(app, i, &info);

		/* A port whose counters cannot be read is still reported, with zeros. */
		if (rc < 0 && rc != -ENOENT)
			RP_LOG_RL(RP_LOG_WARN, "ctl", "port \"%s\": cannot read statistics: %s",
				  app->ports[i].conf->name, strerror(-rc));
		if (rc == -ENOENT)
			continue;
		emit(ctl, RP_MSG_PORT_INFO, &info, sizeof(info), RP_MSGF_MORE, cmd->hdr.seq);
		end.count++;
	}
	emit(ctl, RP_MSG_DUMP_END, &end, sizeof(end), 0, cmd->hdr.seq);
}

/* DROP_DUMP: one DROP_INFO per reason (zeros included: rampartd decides what to show) with
 * the counts of every port, summed over the workers, then DUMP_END. */
static void cmd_drop_dump(struct dp_ctl *ctl, const struct rp_msg *cmd)
{
	const struct dp_app *app = ctl->app;
	struct rp_msg_dump_end end = { .count = 0, .status = 0 };
	uint64_t drops[RP_DROP_PORTS_MAX][DP_DROP_MAX];
	unsigned int n = app->n_ports < RP_DROP_PORTS_MAX ? app->n_ports : RP_DROP_PORTS_MAX;

	for (unsigned int i = 0; i < n; i++)
		dp_drop_sum(app, (int)i, drops[i], NULL);
	for (unsigned int r = 0; r < DP_DROP_MAX; r++) {
		struct rp_msg_drop d;

		memset(&d, 0, sizeof(d));
		d.reason = (uint16_t)r;
		d.n_ports = (uint16_t)n;
		snprintf(d.name, sizeof(d.name), "%s", dp_drop_name(r));
		for (unsigned int i = 0; i < n; i++) {
			d.port_id[i] = app->ports[i].port_id;
			d.count[i] = drops[i][r];
		}
		emit(ctl, RP_MSG_DROP_INFO, &d, sizeof(d), RP_MSGF_MORE, cmd->hdr.seq);
		end.count++;
	}
	emit(ctl, RP_MSG_DUMP_END, &end, sizeof(end), 0, cmd->hdr.seq);
}

/* Mark and sweep: what rampartd does not send again between BEGIN and END is deleted at
 * END; what it sends again keeps its state (sequence numbers, replay window, counters), so
 * forwarding goes on undisturbed while rampartd restarts. */
static void cmd_resync(struct dp_ctl *ctl, const struct rp_msg *cmd)
{
	unsigned int sas, routes = 0;

	if (cmd->hdr.type == RP_MSG_RESYNC_BEGIN) {
		RP_INFO("ctl", "rampartd is resynchronising this dataplane");
		dp_sad_resync_begin(ctl->app->sad);
		ctl->resync = true;
	} else {
		sas = dp_sad_resync_end(ctl->app->sad, &routes);
		ctl->resync = false;
		RP_INFO("ctl", "rampartd finished resynchronising: %u SA%s and %u route%s it did "
			"not send again deleted", sas, sas == 1 ? "" : "s", routes,
			routes == 1 ? "" : "s");
	}
	ack(ctl, cmd, 0, NULL);
}

/* Channel benchmark and test traffic: nothing to apply, the answer is the point. */
static void cmd_kv(struct dp_ctl *ctl, const struct rp_msg *cmd)
{
	ack(ctl, cmd, 0, NULL);
}

/* ---- SAs and routes --------------------------------------------------------------------- */

static void log_refusal(const struct rp_msg *cmd, int rc, const char *why)
{
	RP_LOG_RL(RP_LOG_NOTICE, "ctl", "%s (seq %" PRIu64 ") refused: %s (%s)",
		  rp_msg_type_name(cmd->hdr.type), cmd->hdr.seq, why, strerror(-rc));
}

static void answer(struct dp_ctl *ctl, const struct rp_msg *cmd, int rc, const char *why)
{
	if (rc < 0)
		log_refusal(cmd, rc, why);
	ack(ctl, cmd, rc, rc < 0 ? why : NULL);
}

static bool resyncing(const struct dp_ctl *ctl, const struct rp_msg *cmd)
{
	return ctl->resync || (cmd->hdr.flags & RP_MSGF_RESYNC);
}

/* The ACK goes out only after dp_sad_sa_add() published the SA: rampartd may answer
 * IKE_AUTH as soon as it reads it. */
static void cmd_sa_add(struct dp_ctl *ctl, const struct rp_msg *cmd)
{
	char why[96] = "";
	int rc = dp_sad_sa_add(ctl->app->sad, &cmd->u.sa,
			       resyncing(ctl, cmd) ? DP_SAD_RESYNC : 0, why, sizeof(why));

	answer(ctl, cmd, rc, why);
}

static void cmd_sa_update(struct dp_ctl *ctl, const struct rp_msg *cmd)
{
	char why[96] = "";
	int rc = dp_sad_sa_update(ctl->app->sad, &cmd->u.sa, why, sizeof(why));

	answer(ctl, cmd, rc, why);
}

static void cmd_sa_del(struct dp_ctl *ctl, const struct rp_msg *cmd)
{
	char why[96] = "";
	int rc = dp_sad_sa_del(ctl->app->sad, cmd->u.sa_ref.sa_id, why, sizeof(why));

	answer(ctl, cmd, rc, why);
}

static void cmd_route(struct dp_ctl *ctl, const struct rp_msg *cmd)
{
	char why[96] = "";
	int rc = cmd->hdr.type == RP_MSG_ROUTE_ADD ?
		 dp_sad_route_add(ctl->app->sad, &cmd->u.route, 0, why, sizeof(why)) :
		 dp_sad_route_del(ctl->app->sad, &cmd->u.route, why, sizeof(why));

	answer(ctl, cmd, rc, why);
}

/* SA_DUMP, STATS_REQ: SA_INFO ... DUMP_END. One SA at once; all of them streamed. */
static void cmd_sa_dump(struct dp_ctl *ctl, const struct rp_msg *cmd)
{
	uint32_t id = cmd->hdr.type == RP_MSG_STATS_REQ ? cmd->u.sa_ref.sa_id : 0;
	struct rp_msg_dump_end end = { .count = 0, .status = 0 };

	if (id) {
		struct dp_sa *sa = dp_sad_find(ctl->app->sad, id);
		struct rp_msg_sa_stats st;

		if (sa) {
			dp_sad_sa_stats(sa, &st);
			emit(ctl, RP_MSG_SA_INFO, &st, sizeof(st), RP_MSGF_MORE, cmd->hdr.seq);
			end.count = 1;
		} else {
			end.status = -ENOENT;
		}
		emit(ctl, RP_MSG_DUMP_END, &end, sizeof(end), 0, cmd->hdr.seq);
		return;
	}
	ctl->dump.active = true;
	ctl->dump.ref = cmd->hdr.seq;
	ctl->dump.pos = 1;
	ctl->dump.count = 0;
}

/* Continue a streamed dump while the event ring has room. Returns messages sent. */
static unsigned int dump_more(struct dp_ctl *ctl)
{
	unsigned int sent = 0;

	while (sent < DUMP_BUDGET && !ctl->pend_n && rp_chan_space(ctl->ch) > 0) {
		struct dp_sa *sa = dp_sad_next(ctl->app->sad, &ctl->dump.pos);
		struct rp_msg_sa_stats st;

		if (!sa) {
			struct rp_msg_dump_end end = { .count = ctl->dump.count, .status = 0 };

			emit(ctl, RP_MSG_DUMP_END, &end, sizeof(end), 0, ctl->dump.ref);
			ctl->dump.active = false;
			return sent + 1;
		}
		dp_sad_sa_stats(sa, &st);
		emit(ctl, RP_MSG_SA_INFO, &st, sizeof(st), RP_MSGF_MORE, ctl->dump.ref);
		ctl->dump.count++;
		sent++;
	}
	return sent;
}

bool dp_ctl_lifetime(struct dp_ctl *ctl, const struct rp_msg_lifetime *ev)
{
	/* Unsolicited: only into a ring with room, never into the answer queue. */
	if (!ctl || ctl->pend_n || rp_chan_space(ctl->ch) == 0)
		return false;
	if (emit(ctl, RP_MSG_LIFETIME, ev, sizeof(*ev), 0, 0) < 0)
		return false;
	ctl->n_lifetime++;
	return true;
}

typedef void (*cmd_fn)(struct dp_ctl *ctl, const struct rp_msg *cmd);

/*
 * Every command type and its handler. A handler answers its command (ack(), or its events
 * with hdr.ref = the command's seq); the payload was fully validated by rp_chan_recv().
 */
static const cmd_fn handlers[CMD_TYPES] = {
	[RP_MSG_PING] = cmd_ping,
	[RP_MSG_PORT_DUMP] = cmd_port_dump,
	[RP_MSG_DROP_DUMP] = cmd_drop_dump,
	[RP_MSG_RESYNC_BEGIN] = cmd_resync,
	[RP_MSG_RESYNC_END] = cmd_resync,
	[RP_MSG_KV_SET] = cmd_kv,
	[RP_MSG_SA_ADD] = cmd_sa_add,
	[RP_MSG_SA_UPDATE] = cmd_sa_update,
	[RP_MSG_SA_DEL] = cmd_sa_del,
	[RP_MSG_ROUTE_ADD] = cmd_route,
	[RP_MSG_ROUTE_DEL] = cmd_route,
	[RP_MSG_SA_DUMP] = cmd_sa_dump,
	[RP_MSG_STATS_REQ] = cmd_sa_dump,
};

static void dispatch(struct dp_ctl *ctl, const struct rp_msg *cmd)
{
	uint16_t type = cmd->hdr.type;
	cmd_fn fn = type < CMD_TYPES ? handlers[type] : NULL;
	char reason[96];

	RP_DEBUG("ctl", "command %s seq %" PRIu64 "%s", rp_msg_type_name(type), cmd->hdr.seq,
		 (cmd->hdr.flags & RP_MSGF_RESYNC) ? " (resync)" : "");
	ctl->n_cmds++;
	if (fn) {
		fn(ctl, cmd);
		return;
	}
	/* Validated, yet unknown here: rampartd is newer than this table. */
	snprintf(reason, sizeof(reason), "command %s not handled by this rampart-dp",
		 rp_msg_type_name(type));
	RP_LOG_RL(RP_LOG_WARN, "ctl", "%s (seq %" PRIu64 ")", reason, cmd->hdr.seq);
	ack(ctl, cmd, -EOPNOTSUPP, reason);
}

static void malformed(struct dp_ctl *ctl, const struct rp_msg *m, int rc, const char *why)
{
	struct rp_msg_error e;

	ctl->n_bad++;
	RP_LOG_RL(RP_LOG_WARN, "ctl", "malformed command dropped (seq %" PRIu64 ", type %u %s): "
		  "%s [%" PRIu64 " so far]", m->hdr.seq, m->hdr.type, rp_msg_type_name(m->hdr.type),
		  why, ctl->n_bad);
	memset(&e, 0, sizeof(e));
	e.code = rc;
	snprintf(e.text, sizeof(e.text), "%s", why);
	emit(ctl, RP_MSG_ERROR, &e, sizeof(e), 0, m->hdr.seq);
}

unsigned int dp_ctl_poll(struct dp_ctl *ctl, unsigned int budget)
{
	unsigned int done;
	struct rp_msg m;
	char why[128];

	rp_chan_heartbeat(ctl->ch);
	done = flush(ctl);
	if (ctl->dump.active)
		done += dump_more(ctl);
	/* Take a command only when its answers are sure to fit in the hold queue, and only
	 * after a dump in progress has ended (answers stay in command order). */
	while (budget-- && !ctl->pend_n && !ctl->dump.active) {
		int rc;

		why[0] = '\0';
		rc = rp_chan_recv(ctl->ch, &m, why, sizeof(why));
		if (rc == 0)
			break;
		if (rc == -EIO) {
			/* The ring itself is damaged, not one command: nobody to answer. */
			RP_LOG_RL(RP_LOG_ERR, "ctl", "command ring unusable: %s", why);
			break;
		}
		if (rc < 0)
			malformed(ctl, &m, rc, why[0] ? why : strerror(-rc));
		else
			dispatch(ctl, &m);
		done++;
	}
	/* Commands may carry keys; rp_chan_recv() wiped the slot, wipe our copy too. */
	explicit_bzero(&m, sizeof(m));
	return done;
}

static void peer_log(const struct rp_chan_side_info *p)
{
	if (p->attached)
		RP_INFO("ctl", "rampartd attached (pid %u, epoch %u, message version %u)", p->pid,
			p->epoch, p->version);
	else
		RP_INFO("ctl", "rampartd not attached%s; commands will be taken when it is",
			p->epoch ? " (it was before)" : "");
}

void dp_ctl_tick(struct dp_ctl *ctl)
{
	struct rp_chan_side_info now;

	rp_chan_peer(ctl->ch, &now);
	if (now.attached == ctl->peer.attached && now.epoch == ctl->peer.epoch)
		return;
	if (!now.attached)
		RP_WARN("ctl", "rampartd detached (pid %u, epoch %u); forwarding goes on",
			ctl->peer.pid, ctl->peer.epoch);
	else
		peer_log(&now);
	ctl->peer = now;
}

int dp_ctl_open(struct dp_app *app, const char *path, uint32_t slots, struct dp_ctl **out)
{
	struct dp_ctl *ctl;
	char err[256] = "";
	int rc;

	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->app = app;
	rc = rp_chan_open(path, RP_ROLE_DP, slots, &ctl->ch, err, sizeof(err));
	if (rc < 0) {
		RP_ERR("ctl", "cannot attach to control region %s: %s", path,
		       err[0] ? err : strerror(-rc));
		free(ctl);
		goto out;
	}
	RP_INFO("ctl", "control region %s attached as dataplane: epoch %u, %u slots per ring, "
		"%u command%s waiting", rp_chan_path(ctl->ch), rp_chan_epoch(ctl->ch),
		rp_chan_slots(ctl->ch), rp_chan_pending(ctl->ch),
		rp_chan_pending(ctl->ch) == 1 ? "" : "s");
	rp_chan_heartbeat(ctl->ch);
	rp_chan_peer(ctl->ch, &ctl->peer);
	peer_log(&ctl->peer);
	*out = ctl;
	rc = 0;
out:
	return rc;
}

void dp_ctl_close(struct dp_ctl *ctl)
{
	if (!ctl)
		return;
	flush(ctl);
	if (ctl->pend_n)
		RP_WARN("ctl", "%u answers could not be sent before detaching (event ring full)",
			ctl->pend_n);
	RP_INFO("ctl", "detaching from control region: %" PRIu64 " commands handled, %" PRIu64
		" malformed, %" PRIu64 " lifetime events, %" PRIu64 " answers held for a full ring, "
		"%" PRIu64 " lost", ctl->n_cmds, ctl->n_bad, ctl->n_lifetime, ctl->n_held,
		ctl->n_lost);
	rp_chan_close(ctl->ch);
	explicit_bzero(ctl, sizeof(*ctl));
	free(ctl);
}
