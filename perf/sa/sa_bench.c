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
 * --dir dec (the decrypt direction): ESP for the base clients' inbound SAs comes from
 * rampart-gen --rekey-map, the peers' side, through the map file --gen-map (gen_map.h): the
 * base inbound SAs get rampart-gen's SPIs and keys (generation 0); after them this program
 * sets the map's go (the generator starts) and waits until it sends. In the rekey, the new
 * inbound SA of client i gets generation 1; once the new pair and route are acknowledged
 * the client's peer may move (flow[i].want = 1: the rekey exchange is done) and does so
 * with its next packet; the old inbound and outbound SAs are deleted only when the peer
 * has moved and --grace-ms more have passed (rampartd deletes the old CHILD_SA when the
 * peer answers its Delete, ike_rekey.c: a round trip after the move at least). A peer that
 * does not move within --switch-timeout s is deleted anyway and counted (forced). The
 * rekey line then also reports the peers' moves and the old inbound SAs' final counters
 * against what was sent under them; verify, how many current inbound SAs decrypted.
 *
 * Usage: sa_bench --region PATH [--sas N] [--installs M] [--rekey] [--kv] [--settle S]
 *                 [--window W] [--poll-us U]
 *                 [--dir enc|dec --gen-map FILE [--grace-ms G] [--switch-timeout S]
 *                  [--order mbb|bbm]]
 *
 * --order bbm (dec only; a check of the harness, not what rampartd does): the old SAs go
 * as soon as the new pair is acknowledged, and each peer may move only once its old inbound
 * SA's delete was acknowledged: what it sends meanwhile must show as no_sa drops.
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/chan.h"
#include "common/log.h"
#include "common/msg.h"
#include "controlplane/dpif/dpif.h"
#include "perf/sa/gen_map.h"

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
	uint64_t installed_ns; /* rekey: when every new pair and route was acknowledged */
	/* verify */
	uint64_t v_out_sas, v_out_with_pkts, v_in_sas, v_pkts, v_in_with_pkts, v_in_pkts;
	uint64_t v_errors;
	char first_err[128];
	/* --dir dec: the peers (rampart-gen) through the map */
	struct rg_map_hdr *map;
	struct rg_map_flow *flows;
	uint64_t grace_ns, switch_timeout_ns;
	uint64_t *want_ns;    /* per base client: when its peer was let move */
	uint64_t moved, forced, old_sent, old_in_pkts, old_out_pkts, old_stats;
	uint64_t switch_ns_max, switch_ns_sum;
	bool bbm;            /* --order bbm: old inbound deleted before the peer may move */
	unsigned dels_done;  /* bbm: old inbound SA_DELs acknowledged */
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
 * anyone but the dataplane's own encryption into net_null); with gen >= 0 (--dir dec, the
 * inbound SA of a base client) rampart-gen's SPI and keys of generation gen instead. */
static void fill_sa(struct rp_msg_sa *sa, uint32_t k, uint32_t client, bool in, int gen)
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
	if (in && gen >= 0) {
		uint8_t key[20];

		sa->spi = htobe32(rg_map_spi(client, (uint32_t)gen));
		rg_map_key(client + ((uint32_t)gen << RG_MAP_GEN_SHIFT), 0, key);
		memcpy(sa->enc_key, key, 16);
		memcpy(sa->salt, key + 16, 4);
	}
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

	/* --dir dec: the base clients' inbound SAs are the generator's */
	fill_sa(&sa, k, client, true, b->map && out ? 0 : -1);
	send_cmd(b, RP_MSG_SA_ADD, &sa, sizeof(sa), on_done);
	fill_sa(&sa, k, client, false, -1);
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

/* Final counters of an old SA (STATS_REQ before its SA_DEL). */
static void on_old_stats(int status, const struct dpif_reply *rep, void *arg)
{
	struct bench *b = arg;

	b->inflight--;
	if (status) {
		note_err(b, status, rep);
		return;
	}
	for (unsigned i = 0; i < rep->n; i++) {
		const struct rp_msg_sa_stats *st = &rep->msgs[i].u.sa_stats;

		if (rep->msgs[i].hdr.type != RP_MSG_SA_INFO)
			continue;
		b->old_stats++;
		if (st->dir == RP_DIR_IN)
			b->old_in_pkts += st->packets;
		else
			b->old_out_pkts += st->packets;
	}
}

/* --dir dec: may client c's old SAs go? Once its peer has moved to the new inbound SA and
 * the grace period has passed (or the peer did not move in --switch-timeout: forced). */
static bool peer_gone(struct bench *b, uint32_t c, uint64_t now)
{
	struct rg_map_flow *f = &b->flows[c];

	if (__atomic_load_n(&f->have, __ATOMIC_ACQUIRE) == 1) {
		uint64_t t = f->switched_ns, d = t > b->want_ns[c] ? t - b->want_ns[c] : 0;

		if (now < t + b->grace_ns)
			return false;
		b->moved++;
		b->old_sent += f->old_sent;
		b->switch_ns_sum += d;
		if (d > b->switch_ns_max)
			b->switch_ns_max = d;
		return true;
	}
	if (now - b->want_ns[c] < b->switch_timeout_ns)
		return false;
	b->forced++;
	return true;
}

/* --order bbm: the old inbound SA of the next client is gone; only now may its peer move
 * (the wrong order: what it sends meanwhile has no SA). */
static void on_old_in_del(int status, const struct dpif_reply *rep, void *arg)
{
	struct bench *b = arg;
	uint32_t c = b->dels_done++;

	b->inflight--;
	if (status)
		note_err(b, status, rep);
	b->want_ns[c] = dpif_now_ns();
	__atomic_store_n(&b->flows[c].want, 1, __ATOMIC_RELEASE);
}

/* Rekey every base client; old SAs deleted once the route switch is acknowledged (--dir
 * dec: once, after that, the client's peer moved to the new inbound SA, plus the grace;
 * --order bbm: at once, and the peer moves after the old inbound's delete). */
static void rekey(struct bench *b, unsigned n)
{
	unsigned sent_del = 0, released = 0;

	b->routes_done = 0;
	for (unsigned i = 0; i < n || sent_del < n;) {
		unsigned ready = b->routes_done;

		if (b->map && !b->bbm) {
			uint64_t now = dpif_now_ns();

			/* new pairs acknowledged: the exchange is done, their peers may move */
			for (; released < b->routes_done; released++) {
				b->want_ns[released] = now;
				__atomic_store_n(&b->flows[released].want, 1, __ATOMIC_RELEASE);
			}
			/* in client order: a peer reaches every SA within one round of its flows */
			for (ready = sent_del; ready < released && peer_gone(b, ready, now); ready++)
				;
		}
		/* deletes of clients whose switch was acknowledged (answers come in order) */
		while (sent_del < ready) {
			struct rp_msg_sa_ref ref = { 0 };
			uint32_t c = sent_del++;

			ref.sa_id = b->old_ids[2 * c];
			send_cmd(b, RP_MSG_STATS_REQ, &ref, sizeof(ref), on_old_stats);
			ref.sa_id = b->old_ids[2 * c + 1];
			send_cmd(b, RP_MSG_STATS_REQ, &ref, sizeof(ref), on_old_stats);
			ref.sa_id = b->old_ids[2 * c];
			send_cmd(b, RP_MSG_SA_DEL, &ref, sizeof(ref), b->bbm ? on_old_in_del : on_done);
			ref.sa_id = b->old_ids[2 * c + 1];
			send_cmd(b, RP_MSG_SA_DEL, &ref, sizeof(ref), on_done);
		}
		if (i < n) {
			uint32_t k = b->next_pair++;
			struct rp_msg_sa sa;
			struct rp_msg_route rt;

			b->old_ids[2 * i] = b->pairs[i].id_in;
			b->old_ids[2 * i + 1] = b->pairs[i].id_out;
			fill_sa(&sa, k, i, true, b->map ? 1 : -1);
			send_cmd(b, RP_MSG_SA_ADD, &sa, sizeof(sa), on_done);
			fill_sa(&sa, k, i, false, -1);
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
		} else if (b->map && b->inflight == 0) {
			/* waiting for peers to move: nothing of ours in flight */
			struct timespec ts = { 0, 100000 };

			event_base_loop(b->base, EVLOOP_NONBLOCK);
			nanosleep(&ts, NULL);
		} else if (sent_del >= (b->map && !b->bbm ? ready : b->routes_done)) {
			event_base_loop(b->base, EVLOOP_ONCE);
		}
		if (!b->installed_ns && i == n && b->routes_done == n)
			b->installed_ns = dpif_now_ns();
	}
	wait_all(b);
	/* bbm: the peers move after the deletes; the phase ends when they have */
	for (unsigned c = 0; b->bbm && c < n;) {
		struct timespec ts = { 0, 100000 };

		if (peer_gone(b, c, dpif_now_ns())) {
			c++;
			continue;
		}
		event_base_loop(b->base, EVLOOP_NONBLOCK);
		nanosleep(&ts, NULL);
	}
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
			b->v_in_pkts += st->packets;
			if (st->packets)
				b->v_in_with_pkts++;
		}
	}
}

/* --gen-map: the map file perf/sa-bench made for rampart-gen and us (gen_map.h). */
static void map_open(struct bench *b, const char *path, unsigned n)
{
	size_t len = RG_MAP_SIZE(n);
	int fd = open(path, O_RDWR);
	struct stat sb;
	void *p;

	if (fd < 0)
		die(path, strerror(errno));
	if (fstat(fd, &sb) || (size_t)sb.st_size < len)
		die(path, "shorter than a rekey map of --sas flows");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		die(path, strerror(errno));
	b->map = p;
	b->flows = rg_map_flows(b->map);
	if (b->map->magic != RG_MAP_MAGIC || b->map->flows != n)
		die(path, "not a rekey map of --sas flows");
	b->want_ns = calloc(n, sizeof(*b->want_ns));
	if (!b->want_ns)
		die("memory", strerror(ENOMEM));
}

/* --dir dec: the base SAs are in; let the generator go and wait until it sends. */
static void map_go(struct bench *b)
{
	uint64_t t0 = dpif_now_ns();

	__atomic_store_n(&b->map->go, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&b->map->tx_packets, __ATOMIC_RELAXED)) {
		if (dpif_now_ns() - t0 > 60000000000ull) {
			__atomic_store_n(&b->map->stop, 1, __ATOMIC_RELEASE);
			die("rampart-gen", "sent nothing within 60 s of the go");
		}
		sleep_loop(b, 0.01);
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
		{ "dir", required_argument, NULL, 'd' },
		{ "gen-map", required_argument, NULL, 'g' },
		{ "grace-ms", required_argument, NULL, 'G' },
		{ "switch-timeout", required_argument, NULL, 'T' },
		{ "order", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *region = NULL, *gen_map = NULL;
	bool dec = false, bbm = false;
	double grace_ms = 50, switch_timeout = 20;
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
		case 'd':
			if (strcmp(optarg, "enc") && strcmp(optarg, "dec"))
				die("--dir", "enc or dec");
			dec = !strcmp(optarg, "dec");
			break;
		case 'g': gen_map = optarg; break;
		case 'G': grace_ms = strtod(optarg, NULL); break;
		case 'T': switch_timeout = strtod(optarg, NULL); break;
		case 'o':
			if (strcmp(optarg, "mbb") && strcmp(optarg, "bbm"))
				die("--order", "mbb (make-before-break) or bbm (old inbound deleted first)");
			bbm = !strcmp(optarg, "bbm");
			break;
		default:
			fprintf(stderr, "usage: sa_bench --region PATH [--sas N] [--installs M] "
				"[--rekey] [--kv] [--settle S] [--window W] [--poll-us U] "
				"[--dir enc|dec --gen-map FILE [--grace-ms G] [--switch-timeout S] "
				"[--order mbb|bbm]]\n");
			return 2;
		}
	}
	if (dec && (!gen_map || n > (1u << RG_MAP_GEN_SHIFT) || !(grace_ms >= 0 && grace_ms <= 60000) ||
		    !(switch_timeout > 0 && switch_timeout <= 3600)))
		die("arguments", "--dir dec needs --gen-map FILE, --sas <= 1048576, "
		    "0 <= --grace-ms <= 60000, 0 < --switch-timeout <= 3600");
	if (!region || !n || n > 1000000 || m > 4000000 || !window)
		die("arguments", "--region PATH needed; 1 <= --sas <= 1000000, --installs <= 4000000");
	rp_log_init("sa_bench", RP_LOG_STDERR, RP_LOG_WARN);
	memset(&b, 0, sizeof(b));
	b.window = window;
	b.pairs = calloc(n, sizeof(*b.pairs));
	b.old_ids = calloc(2 * (size_t)n, sizeof(*b.old_ids));
	if (!b.pairs || !b.old_ids)
		die("memory", strerror(ENOMEM));
	if (dec) {
		map_open(&b, gen_map, n);
		b.grace_ns = (uint64_t)(grace_ms * 1e6);
		b.switch_timeout_ns = (uint64_t)(switch_timeout * 1e9);
		b.bbm = bbm;
		if (bbm)
			b.grace_ns = 0;
	}
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
	if (b.errors) {
		if (b.map)
			__atomic_store_n(&b.map->stop, 1, __ATOMIC_RELEASE);
		return 1;
	}
	if (b.map)
		map_go(&b);
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
		/* the new pairs' installs alone (all acknowledged), and for --dir dec the peers'
		 * moves and the old inbound SAs' final counters against what was sent under them */
		printf("{\"phase\":\"rekey_detail\",\"installed_ns\":%" PRIu64 ",\"installed_secs\":%.6f,"
		       "\"installed_pairs_per_s\":%.1f,\"old_stats\":%" PRIu64 ",\"old_in_packets\":%" PRIu64
		       ",\"old_out_packets\":%" PRIu64 ",\"peers_moved\":%" PRIu64 ",\"peers_forced\":%" PRIu64
		       ",\"old_in_sent\":%" PRIu64 ",\"peer_move_ms_mean\":%.3f,\"peer_move_ms_max\":%.3f,"
		       "\"grace_ms\":%.3f}\n",
		       b.installed_ns ? b.installed_ns : t1,
		       (double)((b.installed_ns ? b.installed_ns : t1) - t0) / 1e9,
		       (double)n * 1e9 / (double)((b.installed_ns ? b.installed_ns : t1) - t0),
		       b.old_stats, b.old_in_pkts, b.old_out_pkts, b.moved, b.forced, b.old_sent,
		       b.moved ? (double)b.switch_ns_sum / (double)b.moved / 1e6 : 0.0,
		       (double)b.switch_ns_max / 1e6, b.map ? (double)b.grace_ns / 1e6 : 0.0);
		fflush(stdout);
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
	       ",\"out_sas_with_packets\":%" PRIu64 ",\"out_packets\":%" PRIu64
	       ",\"in_sas_with_packets\":%" PRIu64 ",\"in_packets\":%" PRIu64 "}\n",
	       t0, t1, b.v_errors, b.v_in_sas, b.v_out_sas, b.v_out_with_pkts, b.v_pkts,
	       b.v_in_with_pkts, b.v_in_pkts);
	if (b.map) {
		/* the peers stop: perf/sa-bench reads the final counters once they are quiet */
		__atomic_store_n(&b.map->stop, 1, __ATOMIC_RELEASE);
		printf("{\"phase\":\"gen\",\"tx_packets\":%" PRIu64 ",\"switches\":%" PRIu64 "}\n",
		       __atomic_load_n(&b.map->tx_packets, __ATOMIC_RELAXED),
		       __atomic_load_n(&b.map->switches, __ATOMIC_RELAXED));
	}
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
	free(b.want_ns);
	if (b.map)
		munmap(b.map, RG_MAP_SIZE(n));
	return b.errors ? 1 : 0;
}
