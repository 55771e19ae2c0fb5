/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * dp_probe: plays rampartd's side of the control channel against a running rampart-dp and
 * checks every answer. Used by dp_live.sh, which feeds the inside port an endless stream of
 * packets to 198.18.0.2 (net_pcap infinite_rx) so that SAs are installed, switched and
 * deleted while traffic flows.
 *
 * usage: dp_probe REGION NPORTS [SCALE]
 *
 * Checks, in order: PING -> PONG; PORT_DUMP -> NPORTS PORT_INFO + DUMP_END; SA_ADD / ROUTE_ADD
 * -> ACK 0 and traffic is encrypted through the SA; every refusal (duplicate sa_id, SPI in
 * use, route to an unknown or inbound SA, route through another SA, unknown sa_id, algorithm
 * the engine refuses, SA_UPDATE changing keys) -> ACK -errno with its reason; make-before-break
 * rekey (route switched to a new SA: the old one stops counting, the new one starts; old one
 * deleted); SA_DUMP -> SA_INFO per SA + DUMP_END; lifetimes (SA_UPDATE sets soft and hard
 * packet limits -> LIFETIME soft, then hard; the SA stops at exactly the hard limit);
 * RESYNC_BEGIN, one SA sent again, RESYNC_END -> what was not sent again is gone; SCALE SA
 * pairs with a route each added, dumped and deleted (rate printed); a malformed command ->
 * ERROR; more commands than the event ring holds -> every answer, in order.
 * Prints one line per check; exits 0 if all passed.
 */
#include <arpa/inet.h>
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
static unsigned int unsolicited;
static struct rp_msg_lifetime lifetimes[8];
static unsigned int n_lifetimes;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	fflush(stdout);
	failures += !ok;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Unsolicited events (ref 0) are set aside: LIFETIME for the lifetime check. */
static void keep_unsolicited(const struct rp_msg *m)
{
	unsolicited++;
	if (m->hdr.type == RP_MSG_LIFETIME && n_lifetimes < 8)
		lifetimes[n_lifetimes++] = m->u.lifetime;
}

/* Next answer (ref != 0) within 5 s; 1 on success. */
static int next_event(struct rp_chan *ch, struct rp_msg *m)
{
	uint64_t deadline = now_ns() + 5000000000ull;
	char why[128];

	while (now_ns() < deadline) {
		int rc = rp_chan_recv(ch, m, why, sizeof(why));

		if (rc == 1 && m->hdr.ref == 0) {
			keep_unsolicited(m);
			continue;
		}
		if (rc == 1)
			return 1;
		if (rc < 0) {
			printf("FAIL: malformed event: %s\n", why);
			failures++;
			return 0;
		}
		usleep(100);
	}
	printf("FAIL: no event within 5 s\n");
	failures++;
	return 0;
}

static uint64_t send_cmd_flags(struct rp_chan *ch, uint16_t type, const void *p, size_t len,
			       uint16_t flags)
{
	struct rp_msg_hdr h = { .flags = flags };
	uint64_t seq = 0;
	int rc;

	while ((rc = rp_chan_send(ch, type, p, len, &h, &seq)) == -EAGAIN)
		usleep(100);
	if (rc < 0) {
		printf("FAIL: send %s: %s\n", rp_msg_type_name(type), strerror(-rc));
		failures++;
	}
	return seq;
}

static uint64_t send_cmd(struct rp_chan *ch, uint16_t type, const void *p, size_t len)
{
	return send_cmd_flags(ch, type, p, len, 0);
}

/* Send, and check the ACK: status, and (if not NULL) a reason containing @reason. */
static int expect_ack_flags(struct rp_chan *ch, uint16_t type, const void *p, size_t len,
			    uint16_t flags, int status, const char *reason, const char *label)
{
	char what[320];
	struct rp_msg m;
	uint64_t seq = send_cmd_flags(ch, type, p, len, flags);
	int ok;

	if (!next_event(ch, &m))
		return 0;
	ok = m.hdr.type == RP_MSG_ACK && m.hdr.ref == seq && m.u.ack.status == status &&
	     (reason ? strstr(m.u.ack.reason, reason) != NULL : m.u.ack.reason[0] == '\0');
	snprintf(what, sizeof(what), "%s: %s -> ACK %d%s%s%s (got %s %d \"%s\")", label,
		 rp_msg_type_name(type), status, reason ? " \"..." : "", reason ? reason : "",
		 reason ? "...\"" : "", rp_msg_type_name(m.hdr.type),
		 m.hdr.type == RP_MSG_ACK ? m.u.ack.status : 0,
		 m.hdr.type == RP_MSG_ACK ? m.u.ack.reason : "");
	check(ok, what);
	return ok;
}

static int expect_ack(struct rp_chan *ch, uint16_t type, const void *p, size_t len, int status,
		      const char *reason, const char *label)
{
	return expect_ack_flags(ch, type, p, len, 0, status, reason, label);
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

/* ---- SAs ------------------------------------------------------------------------------------ */

static void prefix4(struct rp_prefix *p, uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t plen)
{
	memset(p, 0, sizeof(*p));
	p->af = 4;
	p->plen = plen;
	p->addr[0] = a;
	p->addr[1] = b;
	p->addr[2] = c;
	p->addr[3] = d;
}

/* An AES-GCM-128 tunnel SA 192.0.2.1 <-> 198.51.100.7 (keys derived from @key_seed). */
static void mk_sa(struct rp_msg_sa *s, uint32_t id, uint8_t dir, uint32_t spi, uint8_t key_seed)
{
	memset(s, 0, sizeof(*s));
	s->sa_id = id;
	s->spi = htonl(spi);
	s->dir = dir;
	s->outer_af = 4;
	s->cipher = RP_CIPHER_AES_GCM_128;
	s->integ = RP_INTEG_NONE;
	s->enc_key_len = 16;
	s->salt_len = 4;
	for (int i = 0; i < 16; i++)
		s->enc_key[i] = (uint8_t)(key_seed + i);
	memset(s->salt, key_seed, 4);
	s->replay_window = 128;
	s->n_ts = 1;
	prefix4(&s->ts[0], 198, 18, 0, 0, 24);
	s->local[0] = 192;
	s->local[1] = 0;
	s->local[2] = 2;
	s->local[3] = 1;
	s->remote[0] = 198;
	s->remote[1] = 51;
	s->remote[2] = 100;
	s->remote[3] = 7;
}

/* STATS_REQ for one SA: 1 and its counters, or 0 (DUMP_END status in *status). */
static int stats(struct rp_chan *ch, uint32_t id, struct rp_msg_sa_stats *st, int *status)
{
	struct rp_msg_sa_ref r = { .sa_id = id };
	uint64_t seq = send_cmd(ch, RP_MSG_STATS_REQ, &r, sizeof(r));
	struct rp_msg m;
	int got = 0;

	*status = 0;
	while (next_event(ch, &m) && m.hdr.ref == seq) {
		if (m.hdr.type == RP_MSG_SA_INFO) {
			*st = m.u.sa_stats;
			got = 1;
			continue;
		}
		if (m.hdr.type == RP_MSG_DUMP_END)
			*status = m.u.dump_end.status;
		break;
	}
	return got;
}

/* SA_DUMP: the number of SA_INFO before DUMP_END, -1 on a protocol error. */
static long sa_dump(struct rp_chan *ch, uint32_t *ids, size_t max)
{
	struct rp_msg_empty e = { { 0 } };
	uint64_t seq = send_cmd(ch, RP_MSG_SA_DUMP, &e, sizeof(e));
	struct rp_msg m;
	long n = 0;

	while (next_event(ch, &m)) {
		if (m.hdr.ref != seq)
			return -1;
		if (m.hdr.type == RP_MSG_DUMP_END)
			return (long)m.u.dump_end.count == n && !(m.hdr.flags & RP_MSGF_MORE) ? n : -1;
		if (m.hdr.type != RP_MSG_SA_INFO || !(m.hdr.flags & RP_MSGF_MORE))
			return -1;
		if (ids && (size_t)n < max)
			ids[n] = m.u.sa_stats.sa_id;
		n++;
	}
	return -1;
}

static void sa_checks(struct rp_chan *ch)
{
	struct rp_msg_sa sa7, sa8, sa9, bad;
	struct rp_msg_route rt;
	struct rp_msg_sa_ref ref;
	struct rp_msg_sa_stats st7a, st7b, st9a, st9b;
	struct rp_msg_empty e = { { 0 } };
	uint32_t ids[8];
	char what[256];
	int status;
	long n;

	mk_sa(&sa7, 7, RP_DIR_OUT, 0x7007, 7);
	expect_ack(ch, RP_MSG_SA_ADD, &sa7, sizeof(sa7), 0, NULL, "outbound SA 7");
	memset(&rt, 0, sizeof(rt));
	prefix4(&rt.prefix, 198, 18, 0, 0, 24);
	rt.sa_id = 7;
	expect_ack(ch, RP_MSG_ROUTE_ADD, &rt, sizeof(rt), 0, NULL, "198.18.0.0/24 -> SA 7");
	/* The pcap loops: poll (a loaded machine may schedule the worker late). */
	for (uint64_t deadline = now_ns() + 20000000000ull;;) {
		usleep(100000);
		stats(ch, 7, &st7a, &status);
		if (st7a.packets > 0 || now_ns() > deadline)
			break;
	}
	snprintf(what, sizeof(what), "traffic to 198.18.0.2 is encrypted through SA 7 (%" PRIu64
		 " packets, seq %" PRIu64 ", %" PRIu64 " drops)", st7a.packets, st7a.seq, st7a.drops);
	check(st7a.sa_id == 7 && st7a.packets > 0 && st7a.seq >= st7a.packets, what);

	/* Refusals, each with its reason. */
	expect_ack(ch, RP_MSG_SA_ADD, &sa7, sizeof(sa7), -EEXIST, "duplicate sa_id 7",
		   "the same sa_id again");
	mk_sa(&sa8, 8, RP_DIR_IN, 0x8008, 8);
	expect_ack(ch, RP_MSG_SA_ADD, &sa8, sizeof(sa8), 0, NULL, "inbound SA 8");
	mk_sa(&bad, 10, RP_DIR_IN, 0x8008, 10);
	expect_ack(ch, RP_MSG_SA_ADD, &bad, sizeof(bad), -EADDRINUSE,
		   "SPI 0x00008008 already used on 192.0.2.1 by SA 8", "inbound SPI in use");
	rt.sa_id = 99;
	prefix4(&rt.prefix, 198, 18, 5, 0, 24);
	expect_ack(ch, RP_MSG_ROUTE_ADD, &rt, sizeof(rt), -ENOENT,
		   "route 198.18.5.0/24 to unknown SA 99", "route to an unknown SA");
	rt.sa_id = 8;
	expect_ack(ch, RP_MSG_ROUTE_ADD, &rt, sizeof(rt), -EINVAL, "which is inbound",
		   "route to an inbound SA");
	prefix4(&rt.prefix, 198, 18, 0, 0, 24);
	expect_ack(ch, RP_MSG_ROUTE_DEL, &rt, sizeof(rt), -ENOENT, "goes through SA 7, not 8",
		   "ROUTE_DEL naming another SA");
	ref.sa_id = 99;
	ref.pad = 0;
	expect_ack(ch, RP_MSG_SA_DEL, &ref, sizeof(ref), -ENOENT, "unknown sa_id 99",
		   "SA_DEL of an unknown SA");
	mk_sa(&bad, 11, RP_DIR_OUT, 0x1111, 11);
	bad.cipher = RP_CIPHER_NULL;
	bad.enc_key_len = 0;
	bad.salt_len = 0;
	memset(bad.enc_key, 0, sizeof(bad.enc_key));
	memset(bad.salt, 0, sizeof(bad.salt));
	expect_ack(ch, RP_MSG_SA_ADD, &bad, sizeof(bad), -EINVAL, "needs an integrity algorithm",
		   "NULL cipher without integrity (refused by the ESP engine)");
	bad = sa8;
	bad.enc_key[0] ^= 1;
	expect_ack(ch, RP_MSG_SA_UPDATE, &bad, sizeof(bad), -EINVAL, "keys cannot change",
		   "SA_UPDATE with other keys");
	ref.sa_id = 99;
	check(!stats(ch, 99, &st9a, &status) && status == -ENOENT,
	      "STATS_REQ of an unknown SA -> DUMP_END status -ENOENT");

	/* Make-before-break: the route moves to SA 9 in one step; SA 7 then stops. */
	mk_sa(&sa9, 9, RP_DIR_OUT, 0x9009, 9);
	expect_ack(ch, RP_MSG_SA_ADD, &sa9, sizeof(sa9), 0, NULL, "rekey: new outbound SA 9");
	rt.sa_id = 9;
	expect_ack(ch, RP_MSG_ROUTE_ADD, &rt, sizeof(rt), 0, NULL,
		   "rekey: 198.18.0.0/24 switched to SA 9");
	usleep(100000);
	stats(ch, 7, &st7a, &status);
	stats(ch, 9, &st9a, &status);
	for (uint64_t deadline = now_ns() + 20000000000ull;;) {
		usleep(100000);
		stats(ch, 9, &st9b, &status);
		if (st9b.packets > st9a.packets || now_ns() > deadline)
			break;
	}
	usleep(200000);
	stats(ch, 7, &st7b, &status);
	snprintf(what, sizeof(what), "after the switch SA 7 stays at %" PRIu64 " packets, SA 9 "
		 "goes from %" PRIu64 " to %" PRIu64, st7b.packets, st9a.packets, st9b.packets);
	check(st7a.packets == st7b.packets && st9b.packets > st9a.packets, what);
	ref.sa_id = 7;
	expect_ack(ch, RP_MSG_SA_DEL, &ref, sizeof(ref), 0, NULL, "rekey: old SA 7 deleted");

	n = sa_dump(ch, ids, 8);
	snprintf(what, sizeof(what), "SA_DUMP -> SA_INFO for SAs 8 and 9, DUMP_END count 2 (got "
		 "%ld)", n);
	check(n == 2 && ((ids[0] == 8 && ids[1] == 9) || (ids[0] == 9 && ids[1] == 8)), what);

	/* Lifetimes: limits set on the running SA, reported once each, enforced. */
	stats(ch, 9, &st9a, &status);
	sa9.soft_packets = st9a.packets + 20000;
	sa9.hard_packets = st9a.packets + 40000;
	expect_ack(ch, RP_MSG_SA_UPDATE, &sa9, sizeof(sa9), 0, NULL,
		   "SA_UPDATE: soft/hard packet limits on SA 9");
	{
		uint64_t deadline = now_ns() + 30000000000ull;
		struct rp_msg m;

		while (n_lifetimes < 2 && now_ns() < deadline) {
			if (rp_chan_recv(ch, &m, what, sizeof(what)) == 1 && m.hdr.ref == 0)
				keep_unsolicited(&m);
			else
				usleep(1000);
		}
	}
	snprintf(what, sizeof(what), "LIFETIME soft then hard for SA 9 (got %u events%s)",
		 n_lifetimes, n_lifetimes ? "" : "; is traffic flowing?");
	check(n_lifetimes == 2 && lifetimes[0].sa_id == 9 && !lifetimes[0].hard &&
		      lifetimes[0].by_packets && lifetimes[0].packets >= sa9.soft_packets &&
		      lifetimes[1].sa_id == 9 && lifetimes[1].hard &&
		      lifetimes[1].packets == sa9.hard_packets,
	      what);
	usleep(200000);
	stats(ch, 9, &st9b, &status);
	snprintf(what, sizeof(what), "SA 9 stopped at exactly its hard limit (%" PRIu64 " packets, "
		 "limit %" PRIu64 ", %" PRIu64 " drops after it)", st9b.packets, sa9.hard_packets,
		 st9b.drops);
	check(st9b.packets == sa9.hard_packets && st9b.drops > 0, what);

	/* Resync: SA 8 is sent again, SA 9 is not. */
	expect_ack(ch, RP_MSG_RESYNC_BEGIN, &e, sizeof(e), 0, NULL, "resync");
	expect_ack_flags(ch, RP_MSG_SA_ADD, &sa8, sizeof(sa8), RP_MSGF_RESYNC, 0, NULL,
			 "resync: SA 8 sent again (kept)");
	expect_ack(ch, RP_MSG_RESYNC_END, &e, sizeof(e), 0, NULL, "resync");
	n = sa_dump(ch, ids, 8);
	snprintf(what, sizeof(what), "after the resync only SA 8 is left (SA_DUMP: %ld SA%s, first "
		 "%u)", n, n == 1 ? "" : "s", n > 0 ? ids[0] : 0);
	check(n == 1 && ids[0] == 8, what);
	ref.sa_id = 8;
	expect_ack(ch, RP_MSG_SA_DEL, &ref, sizeof(ref), 0, NULL, "SA 8 deleted");
}

/* SCALE pairs (inbound + outbound with a /32 route), pipelined as rampartd would. */
static void scale(struct rp_chan *ch, unsigned int pairs)
{
	unsigned int total = 3 * pairs, sent = 0, acked = 0, bad = 0, dels = 2 * pairs;
	uint64_t t0 = now_ns(), t1, t2;
	char what[256];
	struct rp_msg m;
	long n;

	while (acked < total) {
		while (sent < total && rp_chan_space(ch) > 0) {
			unsigned int i = sent / 3, k = sent % 3;
			struct rp_msg_sa s;
			struct rp_msg_route r;

			if (k < 2) {
				mk_sa(&s, 100000 + 2 * i + k, k ? RP_DIR_OUT : RP_DIR_IN,
				      0x100000 + 2 * i + k, (uint8_t)i);
				s.paired_sa_id = 100000 + 2 * i + !k;
				prefix4(&s.ts[0], 198, 18, (uint8_t)(i >> 8), (uint8_t)i, 32);
				rp_chan_send(ch, RP_MSG_SA_ADD, &s, sizeof(s), NULL, NULL);
			} else {
				memset(&r, 0, sizeof(r));
				prefix4(&r.prefix, 198, 19, (uint8_t)(i >> 8), (uint8_t)i, 32);
				r.sa_id = 100000 + 2 * i + 1;
				rp_chan_send(ch, RP_MSG_ROUTE_ADD, &r, sizeof(r), NULL, NULL);
			}
			sent++;
		}
		if (!next_event(ch, &m))
			break;
		bad += m.hdr.type != RP_MSG_ACK || m.u.ack.status != 0;
		acked++;
	}
	t1 = now_ns();
	snprintf(what, sizeof(what), "%u SA pairs with a route each: %u commands ACKed 0 (%u not) in "
		 "%.0f ms, %.0f commands/s", pairs, acked - bad, bad, (t1 - t0) / 1e6,
		 acked / ((t1 - t0) / 1e9));
	check(acked == total && !bad, what);
	n = sa_dump(ch, NULL, 0);
	snprintf(what, sizeof(what), "SA_DUMP streams all %u SAs (got %ld) in %.0f ms", 2 * pairs,
		 n, (now_ns() - t1) / 1e6);
	check(n == (long)(2 * pairs), what);
	t2 = now_ns();
	sent = acked = bad = 0;
	while (acked < dels) {
		while (sent < dels && rp_chan_space(ch) > 0) {
			struct rp_msg_sa_ref r = { .sa_id = 100000 + sent };

			rp_chan_send(ch, RP_MSG_SA_DEL, &r, sizeof(r), NULL, NULL);
			sent++;
		}
		if (!next_event(ch, &m))
			break;
		bad += m.hdr.type != RP_MSG_ACK || m.u.ack.status != 0;
		acked++;
	}
	snprintf(what, sizeof(what), "%u SAs (and their routes) deleted: %u ACKed 0 in %.0f ms",
		 dels, acked - bad, (now_ns() - t2) / 1e6);
	check(acked == dels && !bad, what);
	check(sa_dump(ch, NULL, 0) == 0, "SA_DUMP after deleting everything: DUMP_END count 0");
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
	struct rp_msg_empty e = { { 0 } };
	struct rp_chan_side_info cp, dp;
	struct rp_chan *ch;
	char err[256];
	int rc;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: dp_probe REGION NPORTS [SCALE]\n");
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
	expect_ack(ch, RP_MSG_RESYNC_BEGIN, &e, sizeof(e), 0, NULL, "empty resync");
	expect_ack(ch, RP_MSG_RESYNC_END, &e, sizeof(e), 0, NULL, "empty resync");
	sa_checks(ch);
	if (argc == 4 && atoi(argv[3]) > 0)
		scale(ch, (unsigned int)atoi(argv[3]));
	malformed(ch);
	ping(ch, "after the malformed command");
	flood(ch);
	ping(ch, "after the flood");

	/* Stay attached past rampart-dp's once-a-second peer check, so it logs us. */
	usleep(1500000);
	rp_chan_close(ch);
	printf("dp_probe: %d failure%s (%u unsolicited events)\n", failures,
	       failures == 1 ? "" : "s", unsolicited);
	return failures ? 1 : 0;
}
