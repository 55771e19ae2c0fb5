/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * "status": is each plane up, and do they talk? One PING (round-trip time) and one
 * PORT_DUMP go through the channel concurrently; the answer is written when both are back.
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
	json_arr_open(w);
	for (unsigned i = 0; i < j->n_ports; i++) {
		const struct rp_msg_port *p = &j->ports[i];

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
	int wn = 4, wd = 6;

	for (unsigned i = 0; i < j->n_ports; i++) {
		int n = strlen(j->ports[i].name), d = strlen(j->ports[i].device);

		wn = n > wn ? n : wn;
		wd = d > wd ? d : wd;
	}
	sbuf_printf(o, "\nPorts\n  %-3s %-*s %-9s %-*s %-4s %12s %14s %12s %14s %10s %10s\n", "ID",
		    wn, "NAME", "ROLE", wd, "DEVICE", "LINK", "RX-PACKETS", "RX-BYTES",
		    "TX-PACKETS", "TX-BYTES", "RX-MISSED", "ERRORS");
	for (unsigned i = 0; i < j->n_ports; i++) {
		const struct rp_msg_port *p = &j->ports[i];

		sbuf_printf(o, "  %-3u %-*s %-9s %-*s %-4s %12" PRIu64 " %14" PRIu64 " %12" PRIu64
			    " %14" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", p->port_id, wn, p->name,
			    role_name(p->role), wd, p->device, p->link_up ? "up" : "down",
			    p->rx_packets, p->rx_bytes, p->tx_packets, p->tx_bytes, p->rx_missed,
			    p->rx_errors + p->tx_errors);
	}
	if (!j->n_ports)
		sbuf_printf(o, "  (none)\n");
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

	j->dump_rc = status;
	if (!status) {
		j->ports = calloc(rep->n ? rep->n : 1, sizeof(*j->ports));
		if (!j->ports)
			j->dump_rc = -ENOMEM;
		for (unsigned i = 0; j->ports && i < rep->n; i++)
			if (rep->msgs[i].hdr.type == RP_MSG_PORT_INFO)
				j->ports[j->n_ports++] = rep->msgs[i].u.port;
	} else if (rep->n && rep->msgs[rep->n - 1].hdr.type == RP_MSG_ACK) {
		snprintf(j->dump_reason, sizeof(j->dump_reason), "%s",
			 rep->msgs[rep->n - 1].u.ack.reason);
	}
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
	struct rp_msg_empty empty = { { 0 } };

	j->outstanding = 2;
	rc = dpif_send(cp->dpif, RP_MSG_PING, &ping, sizeof(ping), on_pong, j, PING_TIMEOUT_MS);
	if (rc) {
		j->ping_rc = rc;
		j->outstanding--;
	}
	rc = dpif_send(cp->dpif, RP_MSG_PORT_DUMP, &empty, sizeof(empty), on_ports, j,
		       DUMP_TIMEOUT_MS);
	if (rc) {
		j->dump_rc = rc;
		j->outstanding--;
	}
	if (j->outstanding == 0)
		finish(j);
	return 0;
}

static const struct mgmt_cmd status_cmds[] = {
	{ "status", "", "both planes: up, connected, channel round trip, ports", cmd_status, 0, 0 },
};

int cp_status_register(struct cp *cp)
{
	return mgmt_register(cp->mgmt, status_cmds, sizeof(status_cmds) / sizeof(status_cmds[0]),
			     cp);
}
