/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * SA install and rekey benchmark, the control-plane side: attaches to a running rampart-dp's
 * control region as rampartd does (role CP, through dpif: the same flow control, polling
 * period and acknowledgements rampartd waits for) and drives it through phases, printing one
 * JSON line per phase with CLOCK_MONOTONIC times so that perf/sa-bench can line them up with
 * the dataplane's packet counters (DPDK telemetry, same clock):
 *
 *   base     N SA pairs (inbound, outbound, route of the client's /32 to the outbound SA):
 *            the SAs perf/sa-bench's pcap sends traffic through;
 *   kv       (--kv) a control: 3 M acknowledged KV_SETs, the install phase's command count
 *            with nothing to apply: the cost of a busy channel and main lcore alone;
 *   install  M more pairs the same way (no traffic through them), as fast as the channel
 *            takes them with at most --window commands unanswered;
 *   rekey    every base pair, make-before-break as rampartd does it (ike_rekey.c,
 *            ike_child.c): SA_ADD new inbound, SA_ADD new outbound, ROUTE_ADD switching the
 *            client's route to the new outbound SA; once that is acknowledged, STATS_REQ of
 *            the old inbound and outbound (their final counters) and SA_DEL of both;
 *   verify   STATS_REQ of every SA: how many current outbound SAs carried packets.
 *
 * Between phases it waits --settle seconds (the "before" / "after" windows).
 *
 * Usage: sa_bench --region PATH [--sas N] [--installs M] [--rekey] [--kv] [--settle S]
 *                 [--window W] [--poll-us U]
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/chan.h"
#include "common/log.h"
#include "common/msg.h"
#include "controlplane/dpif/dpif.h"

#define LOCAL_ADDR 0xc6120001u  /* 198.18.0.1: the gateway's tunnel address */
#define CLIENT_BASE 0x64400001u /* 100.64.0.1 + i: SA i's client (perf/sa-bench's pcap) */
#define REMOTE_BASE 0x0a800001u /* 10.128.0.1 + i: SA i's peer */
#define SPI_IN_BASE 0x00100000u
#define SPI_OUT_BASE 0x00800000u

struct pair {
	uint32_t id_in, id_out; /* current SAs of the client */
};

struct bench {
	struct event_base *base;
	struct dpif *d;
	unsigned window;
	unsigned inflight;   /* commands submitted, not answered */
	uint64_t cmds, errors;
	uint32_t next_pair;  /* pair number: SA ids 2k+1 / 2k+2, SPIs base + k */
	struct pair *pairs;  /* the N base clients */
	/* rekey bookkeeping: clients whose route switch was acknowledged, to delete the old */
	uint32_t *old_ids;   /* 2 per client: old in, old out */
	unsigned routes_done;
	/* verify */
	uint64_t v_out_sas, v_out_with_pkts, v_in_sas, v_pkts;
	uint64_t v_errors;
	char first_err[128];
};

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "sa_bench: %s: %s\n", what, detail);
	exit(1);
}

static void put4(uint8_t *dst, uint32_t host)
{
	dst[0] = host >> 24;
	dst[1] = host >> 16;
	dst[2] = host >> 8;
	dst[3] = host;
}

/* Pair k for client i, one direction: AES-GCM-128, keys made of k (never used for crypto by
 * anyone but the dataplane's own encryption into net_null). */
static void fill_sa(struct rp_msg_sa *sa, uint32_t k, uint32_t client, bool in)
{
	memset(sa, 0, sizeof(*sa));
	sa->sa_id = in ? 2 * k + 1 : 2 * k + 2;
	sa->paired_sa_id = in ? 2 * k + 2 : 2 * k + 1;
	sa->spi = htobe32((in ? SPI_IN_BASE : SPI_OUT_BASE) + k);
	sa->dir = in ? RP_DIR_IN : RP_DIR_OUT;
	sa->outer_af = 4;
	sa->cipher = RP_CIPHER_AES_GCM_128;
	sa->integ = RP_INTEG_NONE;
	sa->enc_key_len = 16;
	sa->salt_len = 4;
	for (unsigned j = 0; j < 16; j++)
		sa->enc_key[j] = (uint8_t)(k * 7 + j);
	put4(sa->salt, k);
	sa->replay_window = 64;
	put4(sa->local, LOCAL_ADDR);
	put4(sa->remote, REMOTE_BASE + client);
	sa->n_ts = 1;
	sa->ts[0].af = 4;
	sa->ts[0].plen = 32;
	put4(sa->ts[0].addr, CLIENT_BASE + client);
}

static void note_err(struct bench *b, int status, const struct dpif_reply *rep)
{
	b->errors++;
	if (b->first_err[0])
		return;
	if (rep && rep->n && rep->msgs[rep->n - 1].hdr.type == RP_MSG_ACK)
		snprintf(b->first_err, sizeof(b->first_err), "%s: %s",
			 rp_msg_type_name(rep->type), rep->msgs[rep->n - 1].u.ack.reason);
	else
		snprintf(b->first_err, sizeof(b->first_err), "%s: %s",
			 rep ? rp_msg_type_name(rep->type) : "?", strerror(-status));
}

static void on_done(int status, const struct dpif_reply *rep, void *arg)
{
	struct bench *b = arg;

	b->inflight--;
	if (status)
		note_err(b, status, rep);
}

/* The route switch of a rekeyed client was applied: its old SAs may go. The dataplane
 * answers in command order, so this is client number routes_done (rekey() sends its deletes;
 * a refused switch is counted as an error and fails the run). */
static void on_route_switched(int status, const struct dpif_reply *rep, void *arg)
{
	struct bench *b = arg;

	b->inflight--;
	b->routes_done++;
	if (status)
		note_err(b, status, rep);
}

/* Submit one command, running the event loop while the window is full. */
static void send_cmd(struct bench *b, uint16_t type, const void *p, size_t len, dpif_cb cb)
{
	int rc;

	while (b->inflight >= b->window)
		event_base_loop(b->base, EVLOOP_ONCE);
	for (;;) {
		rc = dpif_send(b->d, type, p, len, cb, b, 30000);
		if (rc != -ENOBUFS)
			break;
		event_base_loop(b->base, EVLOOP_ONCE);
	}
	if (rc)
		die("dpif_send", strerror(-rc));
	b->inflight++;
	b->cmds++;
}

static void wait_all(struct bench *b)
{
	while (b->inflight)
		event_base_loop(b->base, EVLOOP_ONCE);
}

static void install_pair(struct bench *b, uint32_t client, struct pair *out)
{
	uint32_t k = b->next_pair++;
	struct rp_msg_sa sa;
	struct rp_msg_route rt;

	fill_sa(&sa, k, client, true);
	send_cmd(b, RP_MSG_SA_ADD, &sa, sizeof(sa), on_done);
	fill_sa(&sa, k, client, false);
	send_cmd(b, RP_MSG_SA_ADD, &sa, sizeof(sa), on_done);
	memset(&rt, 0, sizeof(rt));
	rt.prefix.af = 4;
	rt.prefix.plen = 32;
	put4(rt.prefix.addr, CLIENT_BASE + client);
	rt.sa_id = 2 * k + 2;
	send_cmd(b, RP_MSG_ROUTE_ADD, &rt, sizeof(rt), on_done);
	if (out) {
		out->id_in = 2 * k + 1;
		out->id_out = 2 * k + 2;
	}
}

static void sleep_loop(struct bench *b, double secs)
{
	uint64_t end = dpif_now_ns() + (uint64_t)(secs * 1e9);

	while (dpif_now_ns() < end) {
		struct timespec ts = { 0, 2000000 };

		event_base_loop(b->base, EVLOOP_NONBLOCK);
		nanosleep(&ts, NULL);
	}
}

static void phase(const char *name, uint64_t t0, uint64_t t1, uint64_t units, uint64_t cmds,
		  uint64_t errors, const char *first_err)
{
	double s = (double)(t1 - t0) / 1e9;

	printf("{\"phase\":\"%s\",\"t0_ns\":%" PRIu64 ",\"t1_ns\":%" PRIu64 ",\"secs\":%.6f,"
	       "\"units\":%" PRIu64 ",\"units_per_s\":%.1f,\"commands\":%" PRIu64
	       ",\"commands_per_s\":%.1f,\"errors\":%" PRIu64 ",\"first_error\":\"%s\"}\n",
	       name, t0, t1, s, units, s > 0 ? (double)units / s : 0.0, cmds,
	       s > 0 ? (double)cmds / s : 0.0, errors, first_err);
	fflush(stdout);
}

/* Rekey every base client; old SAs deleted once the route switch is acknowledged. */
static void rekey(struct bench *b, unsigned n)
{
	unsigned sent_del = 0;

	b->routes_done = 0;
	for (unsigned i = 0; i < n || sent_del < n;) {
		/* deletes of clients whose switch was acknowledged (answers come in order) */
		while (sent_del < b->routes_done) {
			struct rp_msg_sa_ref ref = { 0 };
			uint32_t c = sent_del++;

			ref.sa_id = b->old_ids[2 * c];
			send_cmd(b, RP_MSG_STATS_REQ, &ref, sizeof(ref), on_done);
			ref.sa_id = b->old_ids[2 * c + 1];
			send_cmd(b, RP_MSG_STATS_REQ, &ref, sizeof(ref), on_done);
			ref.sa_id = b->old_ids[2 * c];
			send_cmd(b, RP_MSG_SA_DEL, &ref, sizeof(ref), on_done);
			ref.sa_id = b->old_ids[2 * c + 1];
			send_cmd(b, RP_MSG_SA_DEL, &ref, sizeof(ref), on_done);
		}
		if (i < n) {
			uint32_t k = b->next_pair++;
			struct rp_msg_sa sa;
			struct rp_msg_route rt;

			b->old_ids[2 * i] = b->pairs[i].id_in;
			b->old_ids[2 * i + 1] = b->pairs[i].id_out;
			fill_sa(&sa, k, i, true);
			send_cmd(b, RP_MSG_SA_ADD, &sa, sizeof(sa), on_done);
			fill_sa(&sa, k, i, false);
			send_cmd(b, RP_MSG_SA_ADD, &sa, sizeof(sa), on_done);
			memset(&rt, 0, sizeof(rt));
			rt.prefix.af = 4;
			rt.prefix.plen = 32;
			put4(rt.prefix.addr, CLIENT_BASE + i);
			rt.sa_id = 2 * k + 2;
			send_cmd(b, RP_MSG_ROUTE_ADD, &rt, sizeof(rt), on_route_switched);
			b->pairs[i].id_in = 2 * k + 1;
			b->pairs[i].id_out = 2 * k + 2;
			i++;
		} else if (sent_del >= b->routes_done) {
			event_base_loop(b->base, EVLOOP_ONCE);
		}
	}
	wait_all(b);
}

static void on_verify(int status, const struct dpif_reply *rep, void *arg)
{
	struct bench *b = arg;

	b->inflight--;
	if (status)
		b->v_errors++;
	for (unsigned i = 0; i < rep->n; i++) {
		const struct rp_msg_sa_stats *st = &rep->msgs[i].u.sa_stats;

		if (rep->msgs[i].hdr.type != RP_MSG_SA_INFO)
			continue;
		if (st->dir == RP_DIR_OUT) {
			b->v_out_sas++;
			b->v_pkts += st->packets;
			if (st->packets)
				b->v_out_with_pkts++;
		} else {
			b->v_in_sas++;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "sas", required_argument, NULL, 'n' },
		{ "installs", required_argument, NULL, 'm' },
		{ "rekey", no_argument, NULL, 'k' },
		{ "settle", required_argument, NULL, 's' },
		{ "window", required_argument, NULL, 'w' },
		{ "poll-us", required_argument, NULL, 'p' },
		{ "kv", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *region = NULL;
	unsigned n = 1000, m = 10000, window = DPIF_MAX_PENDING;
	bool do_rekey = false, kv = false;
	double settle = 2.0;
	struct dpif_opts dopts = { 0 };
	struct bench b;
	struct rp_chan *ch;
	char err[256];
	uint64_t t0, t1, c0;
	int o, rc;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'r': region = optarg; break;
		case 'n': n = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'm': m = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'k': do_rekey = true; break;
		case 'v': kv = true; break;
		case 's': settle = strtod(optarg, NULL); break;
		case 'w': window = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'p': dopts.poll_busy_us = (unsigned)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: sa_bench --region PATH [--sas N] [--installs M] "
				"[--rekey] [--kv] [--settle S] [--window W] [--poll-us U]\n");
			return 2;
		}
	}
	if (!region || !n || n > 1000000 || m > 4000000 || !window)
		die("arguments", "--region PATH needed; 1 <= --sas <= 1000000, --installs <= 4000000");
	rp_log_init("sa_bench", RP_LOG_STDERR, RP_LOG_WARN);
	memset(&b, 0, sizeof(b));
	b.window = window;
	b.pairs = calloc(n, sizeof(*b.pairs));
	b.old_ids = calloc(2 * (size_t)n, sizeof(*b.old_ids));
	if (!b.pairs || !b.old_ids)
		die("memory", strerror(ENOMEM));
	/* the dataplane made the region: never create one here */
	if (access(region, R_OK | W_OK))
		die(region, "no control region (is rampart-dp running with it?)");
	rc = rp_chan_open(region, RP_ROLE_CP, 0, &ch, err, sizeof(err));
	if (rc)
		die(region, err);
	b.base = event_base_new();
	if (!b.base || dpif_create(b.base, ch, &dopts, &b.d))
		die("dpif", "cannot create");
	/* the first poll sees the dataplane and runs rampartd's resynchronisation (nothing to
	 * replay) */
	t0 = dpif_now_ns();
	for (;;) {
		struct dpif_stats st;

		dpif_get_stats(b.d, &st);
		if (st.resyncs && !dpif_resyncing(b.d))
			break;
		if (dpif_now_ns() - t0 > 10000000000ull)
			die(region, "no dataplane attached (is rampart-dp running on it?)");
		event_base_loop(b.base, EVLOOP_ONCE);
	}

	/* base SAs: the ones carrying the pcap's traffic */
	t0 = dpif_now_ns();
	for (unsigned i = 0; i < n; i++)
		install_pair(&b, i, &b.pairs[i]);
	wait_all(&b);
	t1 = dpif_now_ns();
	phase("base", t0, t1, n, b.cmds, b.errors, b.first_err);
	if (b.errors)
		return 1;
	sleep_loop(&b, settle);

	if (m && kv) {
		/* control: as many commands as the installs, acknowledged KV_SETs that change
		 * nothing in the dataplane: what a busy channel and main lcore cost the worker */
		uint64_t e0 = b.errors;
		struct rp_msg_kv msg;

		c0 = b.cmds;
		t0 = dpif_now_ns();
		for (uint64_t i = 0; i < 3ull * m; i++) {
			msg.key = i;
			msg.value = i;
			msg.check = rp_msg_kv_check(i, i);
			send_cmd(&b, RP_MSG_KV_SET, &msg, sizeof(msg), on_done);
		}
		wait_all(&b);
		t1 = dpif_now_ns();
		phase("kv", t0, t1, m, b.cmds - c0, b.errors - e0, b.first_err);
		sleep_loop(&b, settle);
	}
	if (m) {
		uint64_t e0 = b.errors;

		c0 = b.cmds;
		t0 = dpif_now_ns();
		for (unsigned i = 0; i < m; i++)
			install_pair(&b, n + i, NULL);
		wait_all(&b);
		t1 = dpif_now_ns();
		phase("install", t0, t1, m, b.cmds - c0, b.errors - e0, b.first_err);
		sleep_loop(&b, settle);
	}
	if (do_rekey) {
		uint64_t e0 = b.errors;

		c0 = b.cmds;
		t0 = dpif_now_ns();
		rekey(&b, n);
		t1 = dpif_now_ns();
		phase("rekey", t0, t1, n, b.cmds - c0, b.errors - e0, b.first_err);
		sleep_loop(&b, settle);
	}
	/* the base clients' current SAs: every outbound one must have carried packets */
	t0 = dpif_now_ns();
	for (unsigned i = 0; i < n; i++) {
		struct rp_msg_sa_ref ref = { .sa_id = b.pairs[i].id_out };

		send_cmd(&b, RP_MSG_STATS_REQ, &ref, sizeof(ref), on_verify);
		ref.sa_id = b.pairs[i].id_in;
		send_cmd(&b, RP_MSG_STATS_REQ, &ref, sizeof(ref), on_verify);
	}
	wait_all(&b);
	t1 = dpif_now_ns();
	printf("{\"phase\":\"verify\",\"t0_ns\":%" PRIu64 ",\"t1_ns\":%" PRIu64
	       ",\"errors\":%" PRIu64 ",\"in_sas\":%" PRIu64 ",\"out_sas\":%" PRIu64
	       ",\"out_sas_with_packets\":%" PRIu64 ",\"out_packets\":%" PRIu64 "}\n",
	       t0, t1, b.v_errors, b.v_in_sas, b.v_out_sas, b.v_out_with_pkts, b.v_pkts);
	{
		struct dpif_stats st;

		dpif_get_stats(b.d, &st);
		printf("{\"phase\":\"end\",\"sent\":%" PRIu64 ",\"answered\":%" PRIu64
		       ",\"timeouts\":%" PRIu64 ",\"resets\":%" PRIu64 ",\"errors\":%" PRIu64 "}\n",
		       st.sent, st.answered, st.timeouts, st.resets, b.errors);
	}
	dpif_destroy(b.d);
	event_base_free(b.base);
	rp_chan_close(ch);
	free(b.pairs);
	free(b.old_ids);
	return b.errors ? 1 : 0;
}
