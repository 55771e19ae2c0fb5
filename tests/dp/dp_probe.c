/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * dp_probe: plays rampartd's side of the control channel against a running rampart-dp and
 * checks every answer. Used by dp_live.sh.
 *
 * usage: dp_probe REGION NPORTS
 *
 * Checks, in order: PING -> PONG (payload echoed, ref = seq); PORT_DUMP -> NPORTS PORT_INFO
 * with MORE on all but DUMP_END; SA/route commands -> ACK -EOPNOTSUPP; RESYNC_BEGIN/END ->
 * ACK 0; a malformed command -> ERROR naming it, and the channel still works; more commands
 * than the event ring holds, unread -> every answer arrives, in order (none dropped).
 * Prints one line per check; exits 0 if all passed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/chan.h"
#include "common/log.h"
#include "common/msg.h"

static int failures;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	failures += !ok;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Next event within 5 s; 1 on success. */
static int next_event(struct rp_chan *ch, struct rp_msg *m)
{
	uint64_t deadline = now_ns() + 5000000000ull;
	char why[128];

	while (now_ns() < deadline) {
		int rc = rp_chan_recv(ch, m, why, sizeof(why));

		if (rc == 1)
			return 1;
		if (rc < 0) {
			printf("FAIL: malformed event: %s\n", why);
			failures++;
			return 0;
		}
		usleep(200);
	}
	printf("FAIL: no event within 5 s\n");
	failures++;
	return 0;
}

static uint64_t send_cmd(struct rp_chan *ch, uint16_t type, const void *p, size_t len)
{
	uint64_t seq = 0;
	int rc = rp_chan_send(ch, type, p, len, NULL, &seq);

	if (rc < 0) {
		printf("FAIL: send %s: %s\n", rp_msg_type_name(type), strerror(-rc));
		failures++;
	}
	return seq;
}

static void expect_ack(struct rp_chan *ch, uint16_t type, const void *p, size_t len, int status,
		       const char *reason)
{
	char what[256];
	struct rp_msg m;
	uint64_t seq = send_cmd(ch, type, p, len);

	if (!next_event(ch, &m))
		return;
	snprintf(what, sizeof(what), "%s -> ACK %d \"%s\" (got %s %d \"%s\")",
		 rp_msg_type_name(type), status, reason, rp_msg_type_name(m.hdr.type),
		 m.hdr.type == RP_MSG_ACK ? m.u.ack.status : 0,
		 m.hdr.type == RP_MSG_ACK ? m.u.ack.reason : "");
	check(m.hdr.type == RP_MSG_ACK && m.hdr.ref == seq && m.u.ack.status == status &&
		      strcmp(m.u.ack.reason, reason) == 0,
	      what);
}

static void ping(struct rp_chan *ch, const char *label)
{
	struct rp_msg_ping p = { .sent_ns = now_ns(), .pid = (uint32_t)getpid() };
	struct rp_msg m;
	char what[128];
	uint64_t seq = send_cmd(ch, RP_MSG_PING, &p, sizeof(p));

	if (!next_event(ch, &m))
		return;
	snprintf(what, sizeof(what), "%s: PING -> PONG, payload echoed, ref = seq %" PRIu64
		 " (%.0f us round trip)", label, seq, (now_ns() - p.sent_ns) / 1e3);
	check(m.hdr.type == RP_MSG_PONG && m.hdr.ref == seq && m.u.ping.sent_ns == p.sent_ns &&
		      m.u.ping.pid == p.pid,
	      what);
}

static void port_dump(struct rp_chan *ch, unsigned int nports)
{
	struct rp_msg_empty e = { { 0 } };
	uint64_t seq = send_cmd(ch, RP_MSG_PORT_DUMP, &e, sizeof(e));
	unsigned int n = 0;
	struct rp_msg m;
	char what[256];

	while (next_event(ch, &m)) {
		if (m.hdr.type != RP_MSG_PORT_INFO)
			break;
		printf("     port %u \"%s\" role %u device %s link %s rx %" PRIu64 " tx %" PRIu64
		       "\n", m.u.port.port_id, m.u.port.name, m.u.port.role, m.u.port.device,
		       m.u.port.link_up ? "up" : "down", m.u.port.rx_packets, m.u.port.tx_packets);
		check(m.hdr.ref == seq && (m.hdr.flags & RP_MSGF_MORE), "PORT_INFO with MORE, ref = seq");
		n++;
	}
	snprintf(what, sizeof(what), "PORT_DUMP -> %u PORT_INFO then DUMP_END count %u (got %u, %s)",
		 nports, nports, n, rp_msg_type_name(m.hdr.type));
	check(n == nports && m.hdr.type == RP_MSG_DUMP_END && m.hdr.ref == seq &&
		      !(m.hdr.flags & RP_MSGF_MORE) && m.u.dump_end.count == nports &&
		      m.u.dump_end.status == 0,
	      what);
}

static void malformed(struct rp_chan *ch)
{
	struct rp_msg_hdr last;
	struct rp_msg raw;
	struct rp_msg m;
	char what[256];

	memset(&raw, 0, sizeof(raw));
	raw.hdr.version = RP_MSG_VERSION;
	raw.hdr.type = RP_MSG_PING;
	raw.hdr.len = 3; /* a PING payload is 16 bytes */
	raw.hdr.seq = rp_chan_last_sent(ch, &last) ? last.seq + 1 : 1;
	check(rp_chan_send_raw(ch, &raw) == 0, "malformed PING (len 3) sent raw");
	if (!next_event(ch, &m))
		return;
	snprintf(what, sizeof(what), "malformed command -> ERROR, ref = its seq (got %s code %d \"%s\")",
		 rp_msg_type_name(m.hdr.type), m.hdr.type == RP_MSG_ERROR ? m.u.error.code : 0,
		 m.hdr.type == RP_MSG_ERROR ? m.u.error.text : "");
	check(m.hdr.type == RP_MSG_ERROR && m.hdr.ref == raw.hdr.seq && m.u.error.code < 0 &&
		      m.u.error.text[0],
	      what);
}

/*
 * Twice as many PINGs as the event ring holds, none read until all are sent: rampart-dp fills
 * the event ring, must hold the answer it cannot publish and stop taking commands (the
 * command ring then fills up behind it), and deliver everything, in order, once we read.
 */
static void flood(struct rp_chan *ch)
{
	unsigned int slots = rp_chan_slots(ch), total = 2 * slots, sent = 0, got = 0;
	uint64_t first = 0, expect_ref, deadline = now_ns() + 10000000000ull;
	int in_order = 1;
	struct rp_msg m;
	char what[160];

	while (sent < total && now_ns() < deadline) {
		struct rp_msg_ping p = { .sent_ns = sent, .pid = 1 };
		uint64_t seq;

		if (rp_chan_send(ch, RP_MSG_PING, &p, sizeof(p), NULL, &seq) == -EAGAIN) {
			usleep(1000);
			continue;
		}
		if (!sent)
			first = seq;
		sent++;
	}
	usleep(100000);
	expect_ref = first;
	while (got < sent && next_event(ch, &m)) {
		if (m.hdr.type != RP_MSG_PONG || m.hdr.ref != expect_ref ||
		    m.u.ping.sent_ns != got)
			in_order = 0;
		got++;
		expect_ref++;
	}
	snprintf(what, sizeof(what),
		 "%u PINGs against %u-slot rings, read late: %u PONGs, in order: %s", sent,
		 slots, got, in_order ? "yes" : "no");
	check(sent == total && got == sent && in_order, what);
}

int main(int argc, char **argv)
{
	struct rp_msg_sa_ref ref = { .sa_id = 7 };
	struct rp_msg_route route;
	struct rp_msg_empty e = { { 0 } };
	struct rp_chan_side_info cp, dp;
	struct rp_chan *ch;
	const char *nyet = "ESP fast path not in this build yet";
	char err[256];
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: dp_probe REGION NPORTS\n");
		return 2;
	}
	rp_log_init("dp_probe", RP_LOG_STDERR, RP_LOG_WARN);
	rc = rp_chan_inspect(argv[1], &cp, &dp, err, sizeof(err));
	if (rc < 0 || !dp.attached) {
		printf("FAIL: rampart-dp is not attached to %s: %s\n", argv[1],
		       rc < 0 ? err : "no dataplane");
		return 1;
	}
	rc = rp_chan_open(argv[1], RP_ROLE_CP, 0, &ch, err, sizeof(err));
	if (rc < 0) {
		printf("FAIL: attach as control plane: %s\n", err);
		return 1;
	}

	ping(ch, "first");
	port_dump(ch, (unsigned int)atoi(argv[2]));
	expect_ack(ch, RP_MSG_SA_DEL, &ref, sizeof(ref), -EOPNOTSUPP, nyet);
	expect_ack(ch, RP_MSG_STATS_REQ, &ref, sizeof(ref), -EOPNOTSUPP, nyet);
	memset(&route, 0, sizeof(route));
	route.prefix.af = 4;
	route.prefix.plen = 24;
	route.prefix.addr[0] = 10;
	route.sa_id = 7;
	expect_ack(ch, RP_MSG_ROUTE_ADD, &route, sizeof(route), -EOPNOTSUPP, nyet);
	expect_ack(ch, RP_MSG_SA_DUMP, &e, sizeof(e), -EOPNOTSUPP, nyet);
	expect_ack(ch, RP_MSG_RESYNC_BEGIN, &e, sizeof(e), 0, "");
	expect_ack(ch, RP_MSG_RESYNC_END, &e, sizeof(e), 0, "");
	malformed(ch);
	ping(ch, "after the malformed command");
	flood(ch);
	ping(ch, "after the flood");

	/* Stay attached past rampart-dp's once-a-second peer check, so it logs us. */
	usleep(1500000);
	rp_chan_close(ch);
	printf("dp_probe: %d failure%s\n", failures, failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
