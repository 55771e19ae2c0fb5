/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * "status": is each plane up, and do they talk? One PING (round-trip time) and one
 * PORT_DUMP go through the channel concurrently; the answer is written when both are back.
 * "show ports": the same PORT_DUMP and the same table alone. "show drops": a DROP_DUMP (one
 * DROP_INFO per reason of the dataplane's list, with every port's count) and a PORT_DUMP
 * (for the ports' names) at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/chan.h"
#include "common/conf.h"
#include "common/msg.h"
#include "controlplane/cp.h"
#include "controlplane/dpif/dpif.h"
#include "controlplane/mgmt/mgmt.h"

#define PING_TIMEOUT_MS 1000
#define DUMP_TIMEOUT_MS 2000

struct status_job {
	struct cp *cp;
	struct mgmt_req *req;
	int outstanding;
	struct rp_chan_side_info peer;
	int ping_rc;          /* 0, or -errno */
	uint64_t rtt_ns;
	int dump_rc;
	char dump_reason[128];
	unsigned n_ports;
	struct rp_msg_port *ports;
};

static const char *role_name(uint8_t role)
{
	static const char *const names[] = { "outside", "inside", "exception" };

	return role < sizeof(names) / sizeof(names[0]) ? names[role] : "unknown";
}

/* ---- the port dump, shared by status, show ports and show drops --------------------------- */

/* The ports of a finished PORT_DUMP answer (calloc'ed, caller frees), or -errno with the
 * dataplane's reason in @p reason if it gave one. */
static int ports_collect(int status, const struct dpif_reply *rep, struct rp_msg_port **ports,
			 unsigned *n, char *reason, size_t rlen)
{
	*ports = NULL;
	*n = 0;
	if (status) {
		if (rep->n && rep->msgs[rep->n - 1].hdr.type == RP_MSG_ACK)
			snprintf(reason, rlen, "%s", rep->msgs[rep->n - 1].u.ack.reason);
		return status;
	}
	*ports = calloc(rep->n ? rep->n : 1, sizeof(**ports));
	if (!*ports)
		return -ENOMEM;
	for (unsigned i = 0; i < rep->n; i++)
		if (rep->msgs[i].hdr.type == RP_MSG_PORT_INFO)
			(*ports)[(*n)++] = rep->msgs[i].u.port;
	return 0;
}

static int port_dump_send(struct cp *cp, dpif_cb cb, void *arg)
{
	struct rp_msg_empty empty = { { 0 } };

	return dpif_send(cp->dpif, RP_MSG_PORT_DUMP, &empty, sizeof(empty), cb, arg,
			 DUMP_TIMEOUT_MS);
}

static void ports_json(struct json_w *w, const struct rp_msg_port *ports, unsigned n)
{
	json_arr_open(w);
	for (unsigned i = 0; i < n; i++) {
		const struct rp_msg_port *p = &ports[i];

		json_obj_open(w);
		json_kv_uint(w, "id", p->port_id);
		json_kv_str(w, "name", p->name);
		json_kv_str(w, "role", role_name(p->role));
		json_kv_str(w, "device", p->device);
		json_kv_bool(w, "link_up", p->link_up);
		json_kv_uint(w, "speed_mbps", p->speed_mbps);
		json_kv_uint(w, "rx_packets", p->rx_packets);
		json_kv_uint(w, "rx_bytes", p->rx_bytes);
		json_kv_uint(w, "tx_packets", p->tx_packets);
		json_kv_uint(w, "tx_bytes", p->tx_bytes);
		json_kv_uint(w, "rx_missed", p->rx_missed);
		json_kv_uint(w, "rx_errors", p->rx_errors);
		json_kv_uint(w, "tx_errors", p->tx_errors);
		json_obj_close(w);
	}
	json_arr_close(w);
}

static void ports_text(struct sbuf *o, const struct rp_msg_port *ports, unsigned n)
{
	int wn = 4, wd = 6;

	for (unsigned i = 0; i < n; i++) {
		int l = (int)strlen(ports[i].name), d = (int)strlen(ports[i].device);

		wn = l > wn ? l : wn;
		wd = d > wd ? d : wd;
	}
	sbuf_printf(o, "  %-3s %-*s %-9s %-*s %-4s %12s %14s %12s %14s %10s %10s %10s\n", "ID",
		    wn, "NAME", "ROLE", wd, "DEVICE", "LINK", "RX-PACKETS", "RX-BYTES",
		    "TX-PACKETS", "TX-BYTES", "RX-MISSED", "RX-ERRORS", "TX-ERRORS");
	for (unsigned i = 0; i < n; i++) {
		const struct rp_msg_port *p = &ports[i];

		sbuf_printf(o, "  %-3u %-*s %-9s %-*s %-4s %12" PRIu64 " %14" PRIu64 " %12" PRIu64
			    " %14" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", p->port_id,
			    wn, p->name, role_name(p->role), wd, p->device, p->link_up ? "up" : "down",
			    p->rx_packets, p->rx_bytes, p->tx_packets, p->tx_bytes, p->rx_missed,
			    p->rx_errors, p->tx_errors);
	}
	if (!n)
		sbuf_printf(o, "  (none)\n");
}

static const char *dp_error(int rc)
{
	return rc == -ENOTCONN ? "rampart-dp not attached" :
	       rc == -ETIMEDOUT ? "timed out" : strerror(-rc);
}

/* ---- status ----------------------------------------------------------------------------- */

static bool connected(const struct status_job *j)
{
	return j->peer.attached && j->ping_rc == 0 && j->dump_rc == 0;
}

static void summary(const struct status_job *j, char *buf, size_t len)
{
	if (!j->peer.attached)
		snprintf(buf, len, "rampartd up, rampart-dp not attached to %s", j->cp->region);
	else if (j->ping_rc)
		snprintf(buf, len, "rampartd up, rampart-dp up (pid %u) but not connected: PING %s",
			 j->peer.pid, j->ping_rc == -ETIMEDOUT ? "timed out" : strerror(-j->ping_rc));
	else if (j->dump_rc)
		snprintf(buf, len, "rampartd up, rampart-dp up, connected, but the port dump "
			 "failed: %s", j->dump_reason[0] ? j->dump_reason : strerror(-j->dump_rc));
	else
		snprintf(buf, len, "rampartd up, rampart-dp up, connected");
}

static uint64_t hb_age_ms(const struct rp_chan_side_info *p)
{
	uint64_t now = dpif_now_ns();

	return p->heartbeat_ns && now > p->heartbeat_ns ? (now - p->heartbeat_ns) / 1000000 : 0;
}

static void render_json(struct status_job *j, const char *sum)
{
	struct json_w *w = &j->req->jw;
	struct cp *cp = j->cp;
	struct dpif_stats st;

	dpif_get_stats(cp->dpif, &st);
	json_obj_open(w);
	json_kv_str(w, "status", connected(j) ? "ok" : "fail");
	json_kv_str(w, "summary", sum);

	json_key(w, "controlplane");
	json_obj_open(w);
	json_kv_bool(w, "up", true);
	json_kv_int(w, "pid", getpid());
	json_kv_str(w, "version", RAMPART_VERSION);
	json_kv_uint(w, "uptime_s", (dpif_now_ns() - cp->start_ns) / 1000000000ull);
	json_kv_str(w, "config", cp->config_source);
	json_kv_str(w, "instance", rp_conf_instance(&cp->cfg));
	json_kv_str(w, "socket", cp->mgmt_path);
	json_kv_str(w, "region", cp->region);
	json_obj_close(w);

	json_key(w, "dataplane");
	json_obj_open(w);
	json_kv_bool(w, "attached", j->peer.attached);
	json_kv_bool(w, "connected", connected(j));
	json_kv_uint(w, "pid", j->peer.pid);
	json_kv_uint(w, "epoch", j->peer.epoch);
	json_kv_uint(w, "message_version", j->peer.version);
	json_key(w, "heartbeat_age_ms");
	if (j->peer.attached)
		json_uint(w, hb_age_ms(&j->peer));
	else
		json_null(w);
	json_key(w, "rtt_us");
	if (j->peer.attached && !j->ping_rc)
		json_uint(w, j->rtt_ns / 1000);
	else
		json_null(w);
	json_key(w, "channel");
	json_obj_open(w);
	json_kv_uint(w, "sent", st.sent);
	json_kv_uint(w, "pending", st.pending);
	json_kv_uint(w, "queued", st.queued);
	json_kv_uint(w, "timeouts", st.timeouts);
	json_kv_uint(w, "resets", st.resets);
	json_kv_uint(w, "resyncs", st.resyncs);
	json_obj_close(w);
	json_key(w, "ports");
	ports_json(w, j->ports, j->n_ports);
	json_obj_close(w);
	json_obj_close(w);
}

static void render_text(struct status_job *j, const char *sum)
{
	struct sbuf *o = &j->req->out;
	struct cp *cp = j->cp;
	struct dpif_stats st;
	uint64_t up = (dpif_now_ns() - cp->start_ns) / 1000000000ull;

	dpif_get_stats(cp->dpif, &st);
	sbuf_printf(o, "%s\n\n", sum);
	sbuf_printf(o, "Control plane (rampartd)\n");
	sbuf_printf(o, "  %-16s %d\n", "pid", (int)getpid());
	sbuf_printf(o, "  %-16s %s\n", "version", RAMPART_VERSION);
	sbuf_printf(o, "  %-16s %" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 "\n",
		    "uptime", up / 86400, up / 3600 % 24, up / 60 % 60, up % 60);
	sbuf_printf(o, "  %-16s %s\n", "config", cp->config_source);
	sbuf_printf(o, "  %-16s %s\n", "instance", rp_conf_instance(&cp->cfg));
	sbuf_printf(o, "  %-16s %s\n", "socket", cp->mgmt_path);
	sbuf_printf(o, "  %-16s %s\n\n", "control region", cp->region);

	sbuf_printf(o, "Dataplane (rampart-dp)\n");
	if (!j->peer.attached) {
		sbuf_printf(o, "  %-16s no", "attached");
		if (j->peer.epoch)
			sbuf_printf(o, " (last: pid %u, epoch %u)", j->peer.pid, j->peer.epoch);
		sbuf_printf(o, "\n");
		return;
	}
	sbuf_printf(o, "  %-16s yes\n", "attached");
	sbuf_printf(o, "  %-16s %u\n", "pid", j->peer.pid);
	sbuf_printf(o, "  %-16s %u\n", "epoch", j->peer.epoch);
	sbuf_printf(o, "  %-16s %" PRIu64 " ms%s\n", "heartbeat age", hb_age_ms(&j->peer),
		    hb_age_ms(&j->peer) > DPIF_HEARTBEAT_STALE_MS ? " (stale!)" : "");
	sbuf_printf(o, "  %-16s %u\n", "message version", j->peer.version);
	if (j->ping_rc)
		sbuf_printf(o, "  %-16s PING failed: %s\n", "round trip", strerror(-j->ping_rc));
	else
		sbuf_printf(o, "  %-16s %" PRIu64 ".%03" PRIu64 " ms (PING -> PONG)\n",
			    "round trip", j->rtt_ns / 1000000, j->rtt_ns / 1000 % 1000);
	sbuf_printf(o, "  %-16s %" PRIu64 " commands sent, %u pending, %u queued, %" PRIu64
		    " timed out, %" PRIu64 " resyncs\n", "channel", st.sent, st.pending, st.queued,
		    st.timeouts, st.resyncs);

	if (j->dump_rc) {
		sbuf_printf(o, "\nPorts: dump failed: %s\n",
			    j->dump_reason[0] ? j->dump_reason : strerror(-j->dump_rc));
		return;
	}
	sbuf_printf(o, "\nPorts\n");
	ports_text(o, j->ports, j->n_ports);
}

static void finish(struct status_job *j)
{
	char sum[512];

	summary(j, sum, sizeof(sum));
	if (j->req->json)
		render_json(j, sum);
	else
		render_text(j, sum);
	mgmt_req_done(j->req, connected(j) ? MGMT_OK : MGMT_FAIL);
	free(j->ports);
	free(j);
}

static void on_pong(int status, const struct dpif_reply *rep, void *arg)
{
	struct status_job *j = arg;

	j->ping_rc = status;
	if (!status && rep->n && rep->msgs[0].hdr.type == RP_MSG_PONG) {
		uint64_t now = dpif_now_ns(), sent = rep->msgs[0].u.ping.sent_ns;

		j->rtt_ns = now > sent ? now - sent : 0;
	} else if (!status) {
		j->ping_rc = -EBADMSG;
	}
	if (--j->outstanding == 0)
		finish(j);
}

static void on_ports(int status, const struct dpif_reply *rep, void *arg)
{
	struct status_job *j = arg;

	j->dump_rc = ports_collect(status, rep, &j->ports, &j->n_ports, j->dump_reason,
				   sizeof(j->dump_reason));
	if (--j->outstanding == 0)
		finish(j);
}

static int cmd_status(struct mgmt_req *req, void *arg)
{
	struct cp *cp = arg;
	struct status_job *j;
	int rc;

	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->cp = cp;
	j->req = req;
	dpif_peer(cp->dpif, &j->peer);
	j->ping_rc = j->dump_rc = -ENOTCONN;
	if (!j->peer.attached) {
		finish(j);
		return 0;
	}

	/* Both in flight at once; the job finishes when the last answer is in. */
	struct rp_msg_ping ping = { .sent_ns = dpif_now_ns(), .pid = (uint32_t)getpid() };
	j->outstanding = 2;
	rc = dpif_send(cp->dpif, RP_MSG_PING, &ping, sizeof(ping), on_pong, j, PING_TIMEOUT_MS);
	if (rc) {
		j->ping_rc = rc;
		j->outstanding--;
	}
	rc = port_dump_send(cp, on_ports, j);
	if (rc) {
		j->dump_rc = rc;
		j->outstanding--;
	}
	if (j->outstanding == 0)
		finish(j);
	return 0;
}

/* ---- show ports ------------------------------------------------------------------------- */

static void on_show_ports(int status, const struct dpif_reply *rep, void *arg)
{
	struct mgmt_req *req = arg;
	struct rp_msg_port *ports;
	char reason[128] = "";
	unsigned n;
	int rc = ports_collect(status, rep, &ports, &n, reason, sizeof(reason));

	if (rc) {
		mgmt_req_error(req, "show ports: the dataplane did not answer: %s",
			       reason[0] ? reason : dp_error(rc));
		return;
	}
	if (req->json)
		ports_json(&req->jw, ports, n);
	else
		ports_text(&req->out, ports, n);
	free(ports);
	mgmt_req_done(req, MGMT_OK);
}

static int cmd_show_ports(struct mgmt_req *req, void *arg)
{
	struct cp *cp = arg;
	int rc = port_dump_send(cp, on_show_ports, req);

	if (rc)
		mgmt_req_error(req, "show ports: dataplane not available: %s", dp_error(rc));
	return 0;
}

/* ---- show drops ------------------------------------------------------------------------- */

struct drops_job {
	struct mgmt_req *req;
	bool all;
	int outstanding;
	int drop_rc, port_rc;
	char port_reason[128];
	struct rp_msg_drop *drops; /* in the dataplane's list order */
	unsigned n_drops;
	struct rp_msg_port *ports;
	unsigned n_ports;
};

/* Name of the port with DPDK id @id, from the port dump (or "port<ID>"). */
static const char *port_label(const struct drops_job *j, uint16_t id, char *buf, size_t len)
{
	for (unsigned i = 0; i < j->n_ports; i++)
		if (j->ports[i].port_id == id)
			return j->ports[i].name;
	snprintf(buf, len, "port%u", id);
	return buf;
}

static const struct rp_msg_port *port_of(const struct drops_job *j, uint16_t id)
{
	for (unsigned i = 0; i < j->n_ports; i++)
		if (j->ports[i].port_id == id)
			return &j->ports[i];
	return NULL;
}

static uint64_t reason_total(const struct rp_msg_drop *d)
{
	uint64_t t = 0;

	for (unsigned p = 0; p < d->n_ports; p++)
		t += d->count[p];
	return t;
}

/* JSON: every reason, per port and in total. */
static void drops_json(const struct drops_job *j)
{
	struct json_w *w = &j->req->jw;
	unsigned np = j->n_drops ? j->drops[0].n_ports : 0;
	uint64_t all = 0;
	char buf[16];

	json_obj_open(w);
	json_key(w, "ports");
	json_arr_open(w);
	for (unsigned p = 0; p < np; p++) {
		const struct rp_msg_port *pi = port_of(j, j->drops[0].port_id[p]);
		uint64_t t = 0;

		json_obj_open(w);
		json_kv_uint(w, "id", j->drops[0].port_id[p]);
		json_kv_str(w, "name", port_label(j, j->drops[0].port_id[p], buf, sizeof(buf)));
		json_kv_str(w, "role", pi ? role_name(pi->role) : "unknown");
		json_key(w, "drops");
		json_obj_open(w);
		for (unsigned r = 0; r < j->n_drops; r++) {
			json_kv_uint(w, j->drops[r].name, j->drops[r].count[p]);
			t += j->drops[r].count[p];
		}
		json_obj_close(w);
		json_kv_uint(w, "total", t);
		json_obj_close(w);
	}
	json_arr_close(w);
	json_key(w, "total");
	json_obj_open(w);
	for (unsigned r = 0; r < j->n_drops; r++) {
		uint64_t t = reason_total(&j->drops[r]);

		json_kv_uint(w, j->drops[r].name, t);
		all += t;
	}
	json_obj_close(w);
	json_kv_uint(w, "total_drops", all);
	json_obj_close(w);
}

/* Text: one row per reason (those that counted, or all), one column per port, a total. */
static void drops_text(const struct drops_job *j)
{
	struct sbuf *o = &j->req->out;
	unsigned np = j->n_drops ? j->drops[0].n_ports : 0, shown = 0;
	uint64_t all = 0;
	char buf[16];
	int wr = 6;

	for (unsigned r = 0; r < j->n_drops; r++) {
		int l = (int)strlen(j->drops[r].name);

		wr = l > wr ? l : wr;
	}
	sbuf_printf(o, "%-*s", wr, "REASON");
	for (unsigned p = 0; p < np; p++)
		sbuf_printf(o, " %14.14s", port_label(j, j->drops[0].port_id[p], buf, sizeof(buf)));
	sbuf_printf(o, " %14s\n", "TOTAL");
	for (unsigned r = 0; r < j->n_drops; r++) {
		const struct rp_msg_drop *d = &j->drops[r];
		uint64_t t = reason_total(d);

		all += t;
		if (!t && !j->all)
			continue;
		shown++;
		sbuf_printf(o, "%-*s", wr, d->name);
		for (unsigned p = 0; p < d->n_ports; p++)
			sbuf_printf(o, " %14" PRIu64, d->count[p]);
		sbuf_printf(o, " %14" PRIu64 "\n", t);
	}
	if (!shown)
		sbuf_printf(o, "(no drops)\n");
	sbuf_printf(o, "%" PRIu64 " packet%s dropped%s\n", all, all == 1 ? "" : "s",
		    j->all ? "" : " ('show drops all' lists every reason)");
}

static void drops_finish(struct drops_job *j)
{
	if (j->drop_rc)
		mgmt_req_error(j->req, "show drops: the dataplane did not answer: %s",
			       dp_error(j->drop_rc));
	else if (j->req->json)
		drops_json(j);
	else
		drops_text(j);
	if (!j->drop_rc)
		mgmt_req_done(j->req, MGMT_OK);
	free(j->drops);
	free(j->ports);
	free(j);
}

static void on_drop_info(int status, const struct dpif_reply *rep, void *arg)
{
	struct drops_job *j = arg;

	j->drop_rc = status;
	if (!status) {
		j->drops = calloc(rep->n ? rep->n : 1, sizeof(*j->drops));
		if (!j->drops)
			j->drop_rc = -ENOMEM;
		for (unsigned i = 0; j->drops && i < rep->n; i++) {
			const struct rp_msg_drop *d = &rep->msgs[i].u.drop;

			if (rep->msgs[i].hdr.type != RP_MSG_DROP_INFO)
				continue;
			/* Every DROP_INFO of one dump covers the same ports. */
			if (j->n_drops && (d->n_ports != j->drops[0].n_ports ||
					   memcmp(d->port_id, j->drops[0].port_id,
						  d->n_ports * sizeof(d->port_id[0])))) {
				j->drop_rc = -EBADMSG;
				break;
			}
			j->drops[j->n_drops++] = *d;
		}
	}
	if (--j->outstanding == 0)
		drops_finish(j);
}

static void on_drop_ports(int status, const struct dpif_reply *rep, void *arg)
{
	struct drops_job *j = arg;

	/* Without the port dump the ports are shown by id: not worth failing for. */
	j->port_rc = ports_collect(status, rep, &j->ports, &j->n_ports, j->port_reason,
				   sizeof(j->port_reason));
	if (--j->outstanding == 0)
		drops_finish(j);
}

static int cmd_show_drops(struct mgmt_req *req, void *arg)
{
	struct cp *cp = arg;
	struct rp_msg_empty empty = { { 0 } };
	struct drops_job *j;
	int rc;

	if (req->argc == 1 && strcmp(req->argv[0], "all") != 0) {
		mgmt_req_error(req, "show drops: '%s': the only argument is 'all' (every reason, "
			       "also those that never counted)", req->argv[0]);
		return 0;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->req = req;
	j->all = req->argc == 1;
	rc = dpif_send(cp->dpif, RP_MSG_DROP_DUMP, &empty, sizeof(empty), on_drop_info, j,
		       DUMP_TIMEOUT_MS);
	if (rc) {
		free(j);
		mgmt_req_error(req, "show drops: dataplane not available: %s", dp_error(rc));
		return 0;
	}
	j->outstanding = 1;
	if (port_dump_send(cp, on_drop_ports, j) == 0)
		j->outstanding++;
	return 0;
}

static const struct mgmt_cmd status_cmds[] = {
	{ "status", "", "both planes: up, connected, channel round trip, ports", cmd_status, 0, 0 },
	{ "show ports", "", "dataplane ports: link, packets, bytes, missed, errors",
	  cmd_show_ports, 0, 0 },
	{ "show drops", "[all]", "dataplane drops by reason and port (those that counted, or all)",
	  cmd_show_drops, 0, 1 },
};

int cp_status_register(struct cp *cp)
{
	return mgmt_register(cp->mgmt, status_cmds, sizeof(status_cmds) / sizeof(status_cmds[0]),
			     cp);
}
