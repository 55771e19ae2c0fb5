/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * rampart-gen: a DPDK traffic generator for rampart-dp (perf/README.md, "rampart-gen").
 *
 *   rampart-gen [EAL options] -- [options]
 *
 * Transmits on one port and receives on another (or the same) port, on one lcore (tx and rx
 * in turn) or two (tx on the second lcore). Two kinds of traffic, N flows / SAs:
 *
 *   --mode clear  IPv4/UDP SERVER -> client(i) (the encrypt direction: each client address is
 *                 the route of one outbound SA of rampart-dp);
 *   --mode esp    ESP tunnel packets remote(i) -> LOCAL, SPI in_spi(i), AES-GCM-128 encrypted
 *                 here (intel-ipsec-mb), inner IPv4/UDP client(i) -> SERVER (the decrypt
 *                 direction). Every SA's sequence number increases on every send, so the
 *                 receiver's anti-replay window can stay on.
 *
 * Every clear payload (inside the encrypted part for ESP) carries a magic, the flow index, a
 * sequence number and the TSC at transmission. The receiver accepts clear packets and ESP
 * packets of either SPI range (it decrypts them with the same derived keys), so it measures
 * latency in both directions: through rampart-dp (clear -> ESP, ESP -> clear) or in loopback.
 * Latency goes into a log-linear histogram (no per-packet storage); loss is counted per flow
 * range. Keys and SPIs are functions of the SA index; --sa-config writes the matching
 * rampart-dp manual_sas. --linger keeps the ports (a memif peer connected) after the summary
 * until SIGINT/SIGTERM, so a harness can stop rampart-dp before its memif peer leaves.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <intel-ipsec-mb.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include "../sa/gen_map.h"

#define BURST 32
#define MAX_FLOWS (1u << 20)
#define MAX_RANGES 16
#define MAGIC 0x52474e31u /* "RGN1" */
#define IN_SPI_BASE 0x01000000u  /* SA i, inbound of rampart-dp (we encrypt: --mode esp) */
#define OUT_SPI_BASE 0x02000000u /* SA i, outbound of rampart-dp (we decrypt what it sends) */
#define ICV_LEN 16
#define IV_LEN 8
#define PL_LEN 20 /* magic 4, flow 4, seq 4, tsc 8 */
#define MIN_FRAME 64
#define MAX_FRAME 1500

/* Latency histogram: exact below 64 ns, then 32 sub-buckets per power of two (~3 %). */
#define SUB_BITS 5
#define N_BUCKETS (64 + (64 - 6) * 32)

static const unsigned int imix[12] = { 64, 64, 576, 64, 64, 576, 64, 1400, 64, 576, 64, 576 };

struct opts {
	bool esp;
	uint32_t flows;
	unsigned int size; /* 0 = IMIX */
	double rate;       /* pps, 0 = as fast as possible */
	double duration;   /* seconds of transmission */
	uint64_t packets;  /* 0 = until duration */
	unsigned int drain_ms;
	unsigned int lcores;
	uint16_t tx_port, rx_port;
	int tx_port_set, rx_port_set;
	struct rte_ether_addr dst_mac;
	uint32_t local, server, client_base, client_span, remote_base, remote_span;
	const char *json, *sa_config;
	bool check;
	unsigned int replay_window;
	uint32_t seq_start;
	const char *rekey_map;  /* --rekey-map: SA moves driven by perf/sa/sa_bench */
	unsigned int idle_us;   /* --idle-us: sleep when --rate has nothing due / the port is full */
	bool linger;            /* --linger: keep the ports (memif connected) until SIGINT/SIGTERM */
	uint32_t prime_seq;     /* --prime-seq: one uncounted packet per SA at this number first */
} o = {
	.flows = 1,
	.size = 64,
	.duration = 2.0,
	.drain_ms = 500,
	.lcores = 1,
	.dst_mac = { { 0x02, 0, 0, 0, 0x0e, 0x02 } },
	.local = 0xc0000201u,       /* 192.0.2.1: rampart-dp's outer (tunnel) address */
	.server = 0xcb00710au,      /* 203.0.113.10: host behind rampart-dp (inside) */
	.client_base = 0xc6120010u, /* 198.18.0.16: client(i) = base + i */
	.client_span = 131056,      /* to 198.19.255.255 */
	.remote_base = 0xc0000202u, /* 192.0.2.2: remote(i) = base + i % span */
	.remote_span = 250,
	.replay_window = 1024,
	.seq_start = 1,
};

/* Per-thread state (tx and rx may run on different lcores). */
struct keycache {
	IMB_MGR *mgr;
	struct gcm_key_data *kd; /* direct-mapped: slot = (dir, idx) & mask */
	uint32_t *tag;           /* idx + 1 | dir << 31, 0 = empty */
	uint32_t mask;
};

struct stats {
	uint64_t sent, sent_bytes, tx_waited; /* tx_waited: refused once by the port, re-offered */
	uint64_t rcvd, rcvd_bytes, bad, foreign;
	uint64_t sent_r[MAX_RANGES], rcvd_r[MAX_RANGES];
	uint64_t hist[N_BUCKETS];
	uint64_t t_start, t_end; /* transmission window (TSC) */
};

static struct rte_mempool *pool;
static struct stats st;
static uint32_t *sa_seq; /* next outbound sequence number - 1 per SA (--mode esp) */
static volatile int tx_done;
static double ns_per_cyc;
static uint64_t hz;
static unsigned int n_ranges = 1;
static struct rte_ether_addr src_mac; /* the tx port's */
static struct rg_map_hdr *rmap;      /* --rekey-map (perf/sa/gen_map.h) */
static struct rg_map_flow *rflow;
static uint8_t *sa_gen;              /* generation each SA sends under (--rekey-map) */
static uint64_t prime_sent, prime_rcvd; /* --prime-seq */
static volatile sig_atomic_t linger_stop;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("rampart-gen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- keys, addresses -------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* AES-GCM-128 key (16 B) then salt (4 B) of SA idx, direction dir (0 in, 1 out of rampart-dp) */
static void sa_key(uint32_t idx, unsigned int dir, uint8_t key[20])
{
	uint64_t s = 0x5241ull << 48 | (uint64_t)dir << 32 | idx, w[3];

	for (unsigned int i = 0; i < 3; i++)
		w[i] = splitmix64(&s);
	memcpy(key, w, 20);
}

static uint32_t client_addr(uint32_t i)
{
	return o.client_base + i % o.client_span;
}

static uint32_t remote_addr(uint32_t i)
{
	return o.remote_base + i % o.remote_span;
}

static void keycache_init(struct keycache *kc)
{
	uint32_t n = 1;

	while (n < 2 * o.flows && n < 65536)
		n <<= 1;
	kc->mgr = alloc_mb_mgr(0);
	if (!kc->mgr)
		die("alloc_mb_mgr failed");
	init_mb_mgr_auto(kc->mgr, NULL);
	kc->kd = aligned_alloc(64, (size_t)n * sizeof(*kc->kd));
	kc->tag = calloc(n, sizeof(*kc->tag));
	if (!kc->kd || !kc->tag)
		die("out of memory (key cache of %u entries)", n);
	kc->mask = n - 1;
}

static void keycache_free(struct keycache *kc)
{
	if (kc->mgr)
		free_mb_mgr(kc->mgr);
	free(kc->kd);
	free(kc->tag);
	memset(kc, 0, sizeof(*kc));
}

static const struct gcm_key_data *keycache_get(struct keycache *kc, uint32_t idx, unsigned int dir,
					       uint8_t salt[4])
{
	uint32_t slot = (idx * 2 + dir) & kc->mask, tag = (idx + 1) | (uint32_t)dir << 31;
	uint8_t key[20];

	sa_key(idx, dir, key);
	memcpy(salt, key + 16, 4);
	if (kc->tag[slot] != tag) {
		IMB_AES128_GCM_PRE(kc->mgr, key, &kc->kd[slot]);
		kc->tag[slot] = tag;
	}
	memset(key, 0, sizeof(key));
	return &kc->kd[slot];
}

/* ---- packets ------------------------------------------------------------------------------ */

static unsigned int frame_len(uint64_t k)
{
	return o.size ? o.size : imix[k % 12];
}

static void ip4_hdr(struct rte_ipv4_hdr *ip, uint32_t src, uint32_t dst, uint8_t proto,
		    unsigned int len)
{
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* Inner (or clear) IPv4/UDP packet of ip_len bytes at p with our payload. */
static void udp_pkt(uint8_t *p, unsigned int ip_len, uint32_t src, uint32_t dst, uint16_t sport,
		    uint16_t dport, uint32_t flow, uint32_t seq, uint64_t tsc)
{
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(p + 20);
	uint8_t *pl = p + 28;
	uint32_t magic = MAGIC;

	ip4_hdr((struct rte_ipv4_hdr *)p, src, dst, IPPROTO_UDP, ip_len);
	u->src_port = rte_cpu_to_be_16(sport);
	u->dst_port = rte_cpu_to_be_16(dport);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(ip_len - 20));
	u->dgram_cksum = 0;
	memcpy(pl, &magic, 4);
	memcpy(pl + 4, &flow, 4);
	memcpy(pl + 8, &seq, 4);
	memcpy(pl + 12, &tsc, 8);
	memset(pl + PL_LEN, 0, ip_len - 28 - PL_LEN);
}

static void gcm_nonce(uint8_t nonce[12], const uint8_t salt[4], uint64_t iv)
{
	memcpy(nonce, salt, 4);
	memcpy(nonce + 4, &iv, 8);
}

/* --rekey-map: SA f moves to generation g (its new SPI and keys, sequence numbers from the
 * start again), as a peer does once the rekey exchange is done. */
static void rekey_switch(uint32_t f, uint32_t g)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	rflow[f].old_sent = sa_seq[f] - o.seq_start;
	rflow[f].switched_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	sa_seq[f] = o.seq_start;
	sa_gen[f] = (uint8_t)g;
	__atomic_store_n(&rflow[f].have, g, __ATOMIC_RELEASE);
	__atomic_store_n(&rmap->switches, rmap->switches + 1, __ATOMIC_RELAXED);
}

/* Builds packet k of flow f into m; returns false if it does not fit. */
static bool build(struct keycache *kc, struct rte_mbuf *m, uint64_t k, uint32_t f)
{
	unsigned int flen = frame_len(k), ip_len = flen - 14;
	struct rte_ether_hdr *eth;
	uint64_t tsc;

	rte_pktmbuf_reset(m);
	if (!o.esp) {
		eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)flen);
		if (!eth)
			return false;
		tsc = rte_rdtsc();
		udp_pkt((uint8_t *)(eth + 1), ip_len, o.server, client_addr(f), 2000,
			(uint16_t)(1000 + f % 50000), f, (uint32_t)k, tsc);
	} else {
		/* ESP tunnel: outer IP 20, SPI 4, seq 4, IV 8, inner + pad + 2, ICV 16 */
		unsigned int enc = (ip_len + 2 + 3) & ~3u, pad = enc - ip_len - 2;
		unsigned int olen = 20 + 8 + IV_LEN + enc + ICV_LEN;
		uint32_t seq, spi, be, kidx = f; /* kidx: SA number, f + generation << 20 */
		uint64_t iv;
		struct gcm_context_data ctx;
		uint8_t *p, *ct, nonce[12], salt[4], aad[8];
		const struct gcm_key_data *kd;

		eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(14 + olen));
		if (!eth)
			return false;
		if (rmap) {
			uint32_t g = __atomic_load_n(&rflow[f].want, __ATOMIC_ACQUIRE);

			if (g != sa_gen[f] && g <= RG_MAP_MAX_GEN)
				rekey_switch(f, g);
			kidx = f + ((uint32_t)sa_gen[f] << RG_MAP_GEN_SHIFT);
		}
		seq = sa_seq[f]++;
		spi = IN_SPI_BASE + kidx;
		iv = seq;
		p = (uint8_t *)(eth + 1);
		ip4_hdr((struct rte_ipv4_hdr *)p, remote_addr(f), o.local, IPPROTO_ESP, olen);
		be = rte_cpu_to_be_32(spi);
		memcpy(p + 20, &be, 4);
		memcpy(aad, &be, 4);
		be = rte_cpu_to_be_32(seq);
		memcpy(p + 24, &be, 4);
		memcpy(aad + 4, &be, 4);
		iv = rte_cpu_to_be_64(iv);
		memcpy(p + 28, &iv, IV_LEN);
		ct = p + 28 + IV_LEN;
		tsc = rte_rdtsc();
		udp_pkt(ct, ip_len, client_addr(f), o.server, (uint16_t)(1000 + f % 50000), 2000, f,
			(uint32_t)k, tsc);
		for (unsigned int i = 0; i < pad; i++)
			ct[ip_len + i] = (uint8_t)(i + 1);
		ct[ip_len + pad] = (uint8_t)pad;
		ct[ip_len + pad + 1] = 4; /* IPv4 */
		kd = keycache_get(kc, kidx, 0, salt);
		gcm_nonce(nonce, salt, iv);
		IMB_AES128_GCM_ENC(kc->mgr, kd, &ctx, ct, ct, enc, nonce, aad, 8, ct + enc, ICV_LEN);
	}
	rte_ether_addr_copy(&o.dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(&src_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	return true;
}

static unsigned int range_of(uint32_t f)
{
	return (unsigned int)((uint64_t)f * n_ranges / o.flows);
}

static void hist_add(uint64_t *h, uint64_t ns)
{
	unsigned int idx;

	if (ns < 64) {
		idx = (unsigned int)ns;
	} else {
		unsigned int msb = 63 - (unsigned int)__builtin_clzll(ns);

		idx = 64 + (msb - 6) * 32 + (unsigned int)((ns >> (msb - SUB_BITS)) & 31);
	}
	h[idx]++;
}

/* Middle of bucket idx in ns. */
static double bucket_ns(unsigned int idx)
{
	unsigned int msb, sub;
	double lo, w;

	if (idx < 64)
		return idx;
	msb = (idx - 64) / 32 + 6;
	sub = (idx - 64) % 32;
	w = ldexp(1.0, (int)(msb - SUB_BITS));
	lo = ldexp(1.0, (int)msb) + sub * w;
	return lo + w / 2;
}

static double percentile(const uint64_t *h, uint64_t total, double p)
{
	uint64_t want = (uint64_t)ceil(p * (double)total), acc = 0;

	if (!total)
		return 0;
	if (want < 1)
		want = 1;
	for (unsigned int i = 0; i < N_BUCKETS; i++) {
		acc += h[i];
		if (acc >= want)
			return bucket_ns(i);
	}
	return bucket_ns(N_BUCKETS - 1);
}

static bool ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* Payload of an IPv4/UDP packet of ours at p (len bytes); false if it is not one. */
static bool parse_udp(const uint8_t *p, unsigned int len, uint32_t *flow, uint64_t *tsc)
{
	uint32_t magic;

	if (len < 28 + PL_LEN || p[0] != 0x45 || p[9] != IPPROTO_UDP)
		return false;
	memcpy(&magic, p + 28, 4);
	if (magic != MAGIC)
		return false;
	memcpy(flow, p + 32, 4);
	memcpy(tsc, p + 40, 8);
	return *flow < o.flows;
}

static void receive(struct keycache *kc, struct rte_mbuf *m, uint64_t now)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	unsigned int len = m->data_len;
	uint32_t flow;
	uint64_t tsc;

	if (m->nb_segs != 1 || len < 14 + 20 || p[12] != 0x08 || p[13] != 0x00) {
		st.foreign++;
		return;
	}
	p += 14, len -= 14;
	if (p[0] == 0x45 && p[9] == IPPROTO_ESP) {
		uint32_t spi, idx;
		unsigned int dir, enc, ip_len = (unsigned int)p[2] << 8 | p[3];
		uint8_t nonce[12], salt[4], tag[ICV_LEN], *ct;
		struct gcm_context_data ctx;
		const struct gcm_key_data *kd;
		uint64_t iv;

		if (ip_len > len || ip_len < 20 + 8 + IV_LEN + 4 + ICV_LEN) {
			st.bad++;
			return;
		}
		memcpy(&spi, p + 20, 4);
		spi = rte_be_to_cpu_32(spi);
		if (spi - IN_SPI_BASE < o.flows)
			dir = 0, idx = spi - IN_SPI_BASE;
		else if (spi - OUT_SPI_BASE < o.flows)
			dir = 1, idx = spi - OUT_SPI_BASE;
		else {
			st.foreign++;
			return;
		}
		enc = ip_len - 20 - 8 - IV_LEN - ICV_LEN;
		ct = p + 28 + IV_LEN;
		memcpy(&iv, p + 28, IV_LEN);
		kd = keycache_get(kc, idx, dir, salt);
		gcm_nonce(nonce, salt, iv);
		IMB_AES128_GCM_DEC(kc->mgr, kd, &ctx, ct, ct, enc, nonce, p + 20, 8, tag, ICV_LEN);
		if (!ct_equal(tag, ct + enc, ICV_LEN) || !parse_udp(ct, enc, &flow, &tsc) ||
		    flow != idx) {
			st.bad++;
			return;
		}
	} else if (!parse_udp(p, len, &flow, &tsc)) {
		st.foreign++;
		return;
	}
	st.rcvd++;
	st.rcvd_r[range_of(flow)]++;
	hist_add(st.hist, now > tsc ? (uint64_t)((double)(now - tsc) * ns_per_cyc) : 0);
}

static void rx_poll(struct keycache *kc)
{
	struct rte_mbuf *pk[BURST];
	uint16_t n = rte_eth_rx_burst(o.rx_port, 0, pk, BURST);
	uint64_t now;

	if (!n)
		return;
	now = rte_rdtsc();
	for (uint16_t i = 0; i < n; i++) {
		uint64_t before = st.rcvd;

		receive(kc, pk[i], now);
		if (st.rcvd != before)
			st.rcvd_bytes += pk[i]->pkt_len;
	}
	rte_pktmbuf_free_bulk(pk, n);
}

/* ---- transmit --------------------------------------------------------------------------- */

struct txstate {
	struct keycache kc;
	uint64_t k; /* packets built so far */
	uint64_t t_stop;
	struct rte_mbuf *pend[BURST]; /* refused by the port: packets pend_k.. */
	unsigned int n_pend;
	uint64_t pend_k;
};

/* Accounts for packets k0.. (n of them) that the port took. */
static void tx_count(uint64_t k0, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t f = (uint32_t)((k0 + i) % o.flows);

		st.sent_r[range_of(f)]++;
		st.sent_bytes += frame_len(k0 + i);
	}
	st.sent += n;
}

/* One transmit step; returns false when transmission is over. Packets the port refuses (its
 * queue is full: the DUT pushes back) are offered again as they are, not rebuilt: their
 * timestamps run on, so latency includes that wait, and no ESP sequence number is skipped. */
static bool tx_step(struct txstate *ts)
{
	struct rte_mbuf *pk[BURST];
	uint64_t now = rte_rdtsc();
	unsigned int n = BURST;
	uint16_t sent;

	if (now >= ts->t_stop || (o.packets && st.sent >= o.packets) ||
	    (rmap && __atomic_load_n(&rmap->stop, __ATOMIC_ACQUIRE))) {
		if (ts->n_pend)
			rte_pktmbuf_free_bulk(ts->pend, ts->n_pend);
		ts->n_pend = 0;
		return false;
	}
	if (ts->n_pend) {
		sent = rte_eth_tx_burst(o.tx_port, 0, ts->pend, (uint16_t)ts->n_pend);
		tx_count(ts->pend_k, sent);
		if (!sent && o.idle_us && o.rate > 0)
			rte_delay_us_sleep(o.idle_us); /* the port pushes back: let its reader run */
		ts->n_pend -= sent;
		ts->pend_k += sent;
		memmove(ts->pend, ts->pend + sent, ts->n_pend * sizeof(ts->pend[0]));
		return true;
	}
	/* ESP: no sequence number may wrap (no ESN): stop before the busiest SA would. */
	if (o.esp && sa_seq[ts->k % o.flows] > 0xffffff00u - BURST)
		return false;
	if (o.packets && o.packets - st.sent < n)
		n = (unsigned int)(o.packets - st.sent);
	if (o.rate > 0) {
		uint64_t allowed = (uint64_t)((double)(now - st.t_start) / (double)hz * o.rate);

		if (allowed <= st.sent) {
			if (o.idle_us)
				rte_delay_us_sleep(o.idle_us);
			return true;
		}
		if (allowed - st.sent < n)
			n = (unsigned int)(allowed - st.sent);
	}
	if (rte_pktmbuf_alloc_bulk(pool, pk, n) != 0)
		return true; /* all in flight: let rx free some */
	for (unsigned int i = 0; i < n; i++) {
		uint32_t f = (uint32_t)((ts->k + i) % o.flows);

		if (!build(&ts->kc, pk[i], ts->k + i, f))
			die("frame of %u B does not fit an mbuf", frame_len(ts->k + i));
	}
	sent = rte_eth_tx_burst(o.tx_port, 0, pk, (uint16_t)n);
	tx_count(ts->k, sent);
	if (rmap)
		__atomic_store_n(&rmap->tx_packets, st.sent, __ATOMIC_RELAXED);
	if (sent < n) {
		st.tx_waited += n - sent;
		ts->n_pend = n - sent;
		ts->pend_k = ts->k + sent;
		memcpy(ts->pend, pk + sent, ts->n_pend * sizeof(pk[0]));
	}
	ts->k += n;
	return true;
}

static struct txstate txs;

static int tx_lcore(void *arg)
{
	(void)arg;
	while (tx_step(&txs))
		;
	st.t_end = rte_rdtsc();
	__atomic_store_n(&tx_done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* ---- setup, output ---------------------------------------------------------------------- */

static void port_init(uint16_t port)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int r;

	memset(&conf, 0, sizeof(conf));
	if (!rte_eth_dev_is_valid_port(port))
		die("port %u does not exist (%u ports: give --vdev)", port, rte_eth_dev_count_avail());
	if ((r = rte_eth_dev_info_get(port, &info)) != 0)
		die("port %u: info: %s", port, strerror(-r));
	if ((r = rte_eth_dev_configure(port, 1, 1, &conf)) != 0)
		die("port %u: configure: %s", port, strerror(-r));
	if ((r = rte_eth_rx_queue_setup(port, 0, 1024, (unsigned int)rte_eth_dev_socket_id(port),
					NULL, pool)) != 0)
		die("port %u: rx queue: %s", port, strerror(-r));
	if ((r = rte_eth_tx_queue_setup(port, 0, 1024, (unsigned int)rte_eth_dev_socket_id(port),
					NULL)) != 0)
		die("port %u: tx queue: %s", port, strerror(-r));
	if ((r = rte_eth_dev_start(port)) != 0)
		die("port %u: start: %s", port, strerror(-r));
	rte_eth_promiscuous_enable(port); /* not all PMDs have it; not needed then */
	printf("port %u: %s\n", port, info.driver_name);
}

static void wait_link(uint16_t port)
{
	struct rte_eth_link link;

	/* memif: the peer connects in its own time; at most 10 s */
	for (unsigned int i = 0; i < 100; i++) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status)
			return;
		rte_delay_ms(100);
	}
	printf("port %u: link still down after 10 s, sending anyway\n", port);
}

static bool parse_ip4(const char *s, uint32_t *a)
{
	unsigned int b[4];
	char end;

	if (sscanf(s, "%u.%u.%u.%u%c", &b[0], &b[1], &b[2], &b[3], &end) != 4 || b[0] > 255 ||
	    b[1] > 255 || b[2] > 255 || b[3] > 255)
		return false;
	*a = b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
	return true;
}

static const char *ip4_str(uint32_t a, char *buf)
{
	sprintf(buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

static void write_sa_config(const char *path)
{
	FILE *f = fopen(path, "w");
	char a[16], b[16], c[16];

	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "# rampart-gen --sa-config: %u SA pairs (AES-GCM-128), for the dataplane section\n"
		   "sa_max = %u;\nmanual_sas = (\n", o.flows, 2 * o.flows + 16);
	for (uint32_t i = 0; i < o.flows; i++) {
		uint8_t key[2][20];

		sa_key(i, 0, key[0]);
		sa_key(i, 1, key[1]);
		for (unsigned int d = 0; d < 2; d++) {
			fprintf(f, "  { sa_id = %u; direction = \"%s\"; spi = %u; cipher = \"aes-gcm-128\"; "
				   "key = \"",
				2 * i + 1 + d, d ? "out" : "in", (d ? OUT_SPI_BASE : IN_SPI_BASE) + i);
			for (unsigned int j = 0; j < 20; j++)
				fprintf(f, "%02x", key[d][j]);
			fprintf(f, "\"; local = \"%s\"; remote = \"%s\"; ", ip4_str(o.local, a),
				ip4_str(remote_addr(i), b));
			if (d)
				fprintf(f, "routes = [ \"%s/32\" ]; }", ip4_str(client_addr(i), c));
			else
				fprintf(f, "replay_window = %u; traffic_selectors = [ \"%s/32\" ]; }",
					o.replay_window, ip4_str(client_addr(i), c));
			fputs(i + 1 == o.flows && d ? "\n" : ",\n", f);
		}
		memset(key, 0, sizeof(key));
	}
	fputs(");\n", f);
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
	printf("wrote %u SA pairs to %s\n", o.flows, path);
}

static void usage(void)
{
	puts("usage: rampart-gen [EAL options] -- [options]\n"
	     "  --mode clear|esp       clear IPv4/UDP to client(i) (encrypt direction, default) or\n"
	     "                         ESP from remote(i) through inbound SA i (decrypt direction)\n"
	     "  --flows N              flows / SAs, 1..1048576 (default 1)\n"
	     "  --size B|imix          Ethernet frame of the clear packet, 64..1500, or IMIX\n"
	     "                         64/576/1400 B 7:4:1 (default 64)\n"
	     "  --rate PPS             target packets per second (default 0: as fast as possible)\n"
	     "  --duration S           seconds of transmission, 0.01..3600 (default 2)\n"
	     "  --packets N            stop after N packets (also bounded by --duration)\n"
	     "  --drain-ms MS          wait for late packets after the last send (default 500)\n"
	     "  --lcores 1|2           tx and rx on one lcore, or tx on a second one (default 1)\n"
	     "  --tx-port P --rx-port P  (default 0 and 1, or 0 and 0 with one port)\n"
	     "  --dst-mac MAC          destination MAC (default 02:00:00:00:0e:02)\n"
	     "  --local A --server A --client-base A --client-span N --remote-base A --remote-span N\n"
	     "                         address plan (defaults 192.0.2.1, 203.0.113.10, 198.18.0.16,\n"
	     "                         131056, 192.0.2.2, 250)\n"
	     "  --sa-config FILE       write rampart-dp manual_sas matching these SAs and exit\n"
	     "  --replay-window N      replay_window of the inbound SAs in --sa-config (default 1024)\n"
	     "  --seq-start N          first ESP sequence number of every SA (default 1); a second\n"
	     "                         run against the same rampart-dp starts above the last one\n"
	     "  --rekey-map FILE       (esp) SA moves to new SPIs/keys driven by perf/sa/sa_bench\n"
	     "                         through FILE (perf/sa/gen_map.h); waits for its go\n"
	     "  --idle-us U            with --rate: sleep U us when nothing is due or the port\n"
	     "                         refuses packets (default 0: spin), to leave the CPU to\n"
	     "                         its neighbours\n"
	     "  --prime-seq N          (esp) first send one packet per SA with sequence number N\n"
	     "                         and wait for it (--drain-ms), not counted in the run: the\n"
	     "                         run's lower numbers are then replays for rampart-dp\n"
	     "  --linger               after the run and its summary, keep the ports (a memif\n"
	     "                         peer stays connected, nothing polled) until SIGINT or\n"
	     "                         SIGTERM: stop rampart-dp first, then the generator\n"
	     "  --json FILE            append the JSON summary line to FILE too\n"
	     "  --check                exit 1 unless received == sent > 0, no bad packet, and\n"
	     "                         0 < p50 <= p99 <= p99.9 (self-test in loopback)");
}

static double num(const char *name, const char *s, double lo, double hi)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= lo && v <= hi))
		die("--%s %s: a number from %.15g to %.15g", name, s, lo, hi);
	if (strcmp(name, "rate") && strcmp(name, "duration") && v != floor(v))
		die("--%s %s: a whole number", name, s);
	return v;
}

static void parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mode", 1, 0, 'm' },       { "flows", 1, 0, 'f' },      { "size", 1, 0, 's' },
		{ "rate", 1, 0, 'r' },       { "duration", 1, 0, 'd' },   { "packets", 1, 0, 'n' },
		{ "drain-ms", 1, 0, 'D' },   { "lcores", 1, 0, 'L' },     { "tx-port", 1, 0, 't' },
		{ "rx-port", 1, 0, 'R' },    { "dst-mac", 1, 0, 'M' },    { "local", 1, 0, 1 },
		{ "server", 1, 0, 2 },       { "client-base", 1, 0, 3 },  { "client-span", 1, 0, 4 },
		{ "remote-base", 1, 0, 5 },  { "remote-span", 1, 0, 6 },  { "sa-config", 1, 0, 7 },
		{ "replay-window", 1, 0, 8 }, { "json", 1, 0, 'j' },      { "check", 0, 0, 'c' },
		{ "seq-start", 1, 0, 9 },    { "rekey-map", 1, 0, 10 },   { "idle-us", 1, 0, 11 },
		{ "linger", 0, 0, 12 },      { "prime-seq", 1, 0, 13 },
		{ "help", 0, 0, 'h' },       { 0, 0, 0, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "clear") && strcmp(optarg, "esp"))
				die("--mode %s: clear or esp", optarg);
			o.esp = !strcmp(optarg, "esp");
			break;
		case 'f': o.flows = (uint32_t)num("flows", optarg, 1, MAX_FLOWS); break;
		case 's':
			o.size = strcmp(optarg, "imix") ? (unsigned int)num("size", optarg, MIN_FRAME,
									   MAX_FRAME) : 0;
			break;
		case 'r': o.rate = num("rate", optarg, 0, 1e9); break;
		case 'd': o.duration = num("duration", optarg, 0.01, 3600); break;
		case 'n': o.packets = (uint64_t)num("packets", optarg, 1, 1e12); break;
		case 'D': o.drain_ms = (unsigned int)num("drain-ms", optarg, 0, 60000); break;
		case 'L': o.lcores = (unsigned int)num("lcores", optarg, 1, 2); break;
		case 't': o.tx_port = (uint16_t)num("tx-port", optarg, 0, 1023); o.tx_port_set = 1; break;
		case 'R': o.rx_port = (uint16_t)num("rx-port", optarg, 0, 1023); o.rx_port_set = 1; break;
		case 'M':
			if (rte_ether_unformat_addr(optarg, &o.dst_mac) != 0)
				die("--dst-mac %s: not a MAC address", optarg);
			break;
		case 1: case 2: case 3: case 5: {
			uint32_t *a = c == 1 ? &o.local : c == 2 ? &o.server :
				      c == 3 ? &o.client_base : &o.remote_base;

			if (!parse_ip4(optarg, a))
				die("%s: not an IPv4 address", optarg);
			break;
		}
		case 4: o.client_span = (uint32_t)num("client-span", optarg, 1, 1 << 24); break;
		case 6: o.remote_span = (uint32_t)num("remote-span", optarg, 1, 1 << 24); break;
		case 7: o.sa_config = optarg; break;
		case 8:
			o.replay_window = (unsigned int)num("replay-window", optarg, 0, 4096);
			if (o.replay_window % 64)
				die("--replay-window %u: a multiple of 64 (0 = off)", o.replay_window);
			break;
		case 9: o.seq_start = (uint32_t)num("seq-start", optarg, 1, 0xf0000000u); break;
		case 10: o.rekey_map = optarg; break;
		case 11: o.idle_us = (unsigned int)num("idle-us", optarg, 0, 100000); break;
		case 12: o.linger = true; break;
		case 13: o.prime_seq = (uint32_t)num("prime-seq", optarg, 1, 0xf0000000u); break;
		case 'j': o.json = optarg; break;
		case 'c': o.check = true; break;
		case 'h': usage(); exit(0);
		default: usage(); exit(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (o.rekey_map && !o.esp)
		die("--rekey-map needs --mode esp");
	if (o.prime_seq && (!o.esp || o.rekey_map))
		die("--prime-seq needs --mode esp (and no --rekey-map)");
	if (o.flows > o.client_span)
		printf("note: %u flows share %u client addresses (--client-span): through rampart-dp "
		       "only %u SAs can be told apart\n", o.flows, o.client_span, o.client_span);
}

static void report(double secs)
{
	double tx_mpps = secs > 0 ? (double)st.sent / secs / 1e6 : 0;
	double rx_mpps = secs > 0 ? (double)st.rcvd / secs / 1e6 : 0;
	double tx_gbps = secs > 0 ? (double)st.sent_bytes * 8 / secs / 1e9 : 0;
	double rx_gbps = secs > 0 ? (double)st.rcvd_bytes * 8 / secs / 1e9 : 0;
	double p50 = percentile(st.hist, st.rcvd, 0.50), p99 = percentile(st.hist, st.rcvd, 0.99);
	double p999 = percentile(st.hist, st.rcvd, 0.999), pmax = percentile(st.hist, st.rcvd, 1.0);
	int64_t lost = (int64_t)st.sent - (int64_t)st.rcvd;
	char size[16], line[4096];
	size_t off;
	FILE *f;

	snprintf(size, sizeof(size), o.size ? "%u" : "imix", o.size);
	printf("\nrampart-gen: %s, %u flows, %s B, %.3f s of transmission, %u lcore(s)\n",
	       o.esp ? "esp (decrypt direction)" : "clear (encrypt direction)", o.flows, size, secs,
	       o.lcores);
	printf("  sent     %12" PRIu64 "  %8.3f Mpps  %7.3f Gbps  (waited for a full tx queue: %" PRIu64 ")\n",
	       st.sent, tx_mpps, tx_gbps, st.tx_waited);
	printf("  received %12" PRIu64 "  %8.3f Mpps  %7.3f Gbps  (bad %" PRIu64 ", foreign %" PRIu64
	       ")\n", st.rcvd, rx_mpps, rx_gbps, st.bad, st.foreign);
	printf("  lost     %12" PRId64 "  (%.4f %%)\n", lost,
	       st.sent ? 100.0 * (double)lost / (double)st.sent : 0.0);
	if (o.esp)
		printf("  next run against the same SAs: --seq-start %" PRIu64 "\n",
		       (uint64_t)o.seq_start + (txs.k + o.flows - 1) / o.flows);
	if (o.prime_seq)
		printf("  primed   %12" PRIu64 "  sent at sequence number %u first, %" PRIu64
		       " came back (not counted above)\n", prime_sent, o.prime_seq, prime_rcvd);
	printf("  latency  p50 %.0f ns  p99 %.0f ns  p99.9 %.0f ns  max %.0f ns\n", p50, p99, p999, pmax);
	if (n_ranges > 1)
		for (unsigned int r = 0; r < n_ranges; r++) {
			uint32_t lo = (uint32_t)(((uint64_t)r * o.flows + n_ranges - 1) / n_ranges);
			uint32_t hi = (uint32_t)(((uint64_t)(r + 1) * o.flows + n_ranges - 1) / n_ranges);

			if (st.sent_r[r] != st.rcvd_r[r])
				printf("  flows %u..%u: sent %" PRIu64 " received %" PRIu64 "\n", lo, hi - 1,
				       st.sent_r[r], st.rcvd_r[r]);
		}
	off = (size_t)snprintf(line, sizeof(line),
		"{\"tool\":\"rampart-gen\",\"mode\":\"%s\",\"flows\":%u,\"size\":\"%s\",\"lcores\":%u,"
		"\"rate_pps\":%.0f,\"seconds\":%.6f,\"sent\":%" PRIu64 ",\"received\":%" PRIu64
		",\"lost\":%" PRId64 ",\"bad\":%" PRIu64 ",\"foreign\":%" PRIu64 ",\"tx_waited\":%" PRIu64
		",\"tx_mpps\":%.4f,\"rx_mpps\":%.4f,\"tx_gbps\":%.4f,\"rx_gbps\":%.4f,"
		"\"latency_ns\":{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f},"
		"\"ranges\":[",
		o.esp ? "esp" : "clear", o.flows, size, o.lcores, o.rate, secs, st.sent, st.rcvd, lost,
		st.bad, st.foreign, st.tx_waited, tx_mpps, rx_mpps, tx_gbps, rx_gbps, p50, p99, p999, pmax);
	for (unsigned int r = 0; r < n_ranges && off < sizeof(line); r++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s[%" PRIu64 ",%" PRIu64 "]",
					r ? "," : "", st.sent_r[r], st.rcvd_r[r]);
	if (off < sizeof(line))
		off += (size_t)snprintf(line + off, sizeof(line) - off, "]");
	if (o.prime_seq && off < sizeof(line))
		off += (size_t)snprintf(line + off, sizeof(line) - off,
					",\"primed_sent\":%" PRIu64 ",\"primed_received\":%" PRIu64,
					prime_sent, prime_rcvd);
	if (off < sizeof(line))
		snprintf(line + off, sizeof(line) - off, "}");
	printf("%s\n", line);
	if (o.json) {
		if (!(f = fopen(o.json, "a")))
			die("%s: %s", o.json, strerror(errno));
		fprintf(f, "%s\n", line);
		fclose(f);
	}
	fflush(stdout);
}

/* --rekey-map: map the file perf/sa-bench made, check it, and wait for sa_bench's go (its
 * base SAs are installed) before sending. */
static void rekey_map_open(void)
{
	size_t len = RG_MAP_SIZE(o.flows);
	uint8_t k1[20], k2[20];
	int fd = open(o.rekey_map, O_RDWR);
	struct stat sb;
	void *p;

	if (fd < 0)
		die("%s: %s", o.rekey_map, strerror(errno));
	if (fstat(fd, &sb) || (size_t)sb.st_size < len)
		die("%s: shorter than a rekey map of %u flows (%zu bytes)", o.rekey_map, o.flows, len);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		die("%s: mmap: %s", o.rekey_map, strerror(errno));
	rmap = p;
	rflow = rg_map_flows(rmap);
	if (rmap->magic != RG_MAP_MAGIC || rmap->flows != o.flows)
		die("%s: not a rekey map of %u flows", o.rekey_map, o.flows);
	for (uint32_t idx = 0; idx < (3u << RG_MAP_GEN_SHIFT); idx += (1u << RG_MAP_GEN_SHIFT) + 7) {
		sa_key(idx, 0, k1);
		rg_map_key(idx, 0, k2);
		if (memcmp(k1, k2, sizeof(k1)))
			die("perf/sa/gen_map.h rg_map_key() differs from sa_key()");
	}
	if (!(sa_gen = calloc(o.flows, 1)))
		die("out of memory");
	printf("rekey map %s: waiting for go\n", o.rekey_map);
	fflush(stdout);
	for (unsigned int i = 0; !__atomic_load_n(&rmap->go, __ATOMIC_ACQUIRE); i++) {
		if (i > 300000)
			die("%s: no go after 300 s", o.rekey_map);
		if (__atomic_load_n(&rmap->stop, __ATOMIC_ACQUIRE))
			break;
		rte_delay_us_sleep(1000);
	}
}

/* Receives until all sent came back, or drain_ms passed with nothing new. */
static void drain(struct keycache *kc)
{
	uint64_t quiet = (uint64_t)o.drain_ms * hz / 1000, t_drain = rte_rdtsc();

	while (st.rcvd + st.bad < st.sent && rte_rdtsc() - t_drain < quiet) {
		uint64_t before = st.rcvd + st.bad + st.foreign;

		rx_poll(kc);
		if (st.rcvd + st.bad + st.foreign != before)
			t_drain = rte_rdtsc();
	}
}

/* --prime-seq: one packet per SA with sequence number prime_seq (rampart-dp's anti-replay
 * window moves there), drained, then forgotten: the run proper starts from --seq-start. */
static void prime(struct keycache *rxkc)
{
	struct rte_mbuf *pk[BURST];
	uint64_t t0 = rte_rdtsc();
	uint32_t f = 0;

	for (uint32_t i = 0; i < o.flows; i++)
		sa_seq[i] = o.prime_seq;
	while (f < o.flows) {
		unsigned int n = o.flows - f < BURST ? o.flows - f : BURST, sent = 0;

		if (rte_rdtsc() - t0 > 10 * hz)
			die("--prime-seq: the port took %u of %u packets in 10 s", f, o.flows);
		if (rte_pktmbuf_alloc_bulk(pool, pk, n) != 0) {
			rx_poll(rxkc);
			continue;
		}
		for (unsigned int i = 0; i < n; i++)
			if (!build(&txs.kc, pk[i], f + i, f + i))
				die("frame of %u B does not fit an mbuf", frame_len(f + i));
		while (sent < n) {
			sent += rte_eth_tx_burst(o.tx_port, 0, pk + sent, (uint16_t)(n - sent));
			rx_poll(rxkc);
			if (sent < n && rte_rdtsc() - t0 > 10 * hz)
				die("--prime-seq: the port took %u of %u packets in 10 s", f + sent,
				    o.flows);
		}
		st.sent += n;
		f += n;
	}
	drain(rxkc);
	prime_sent = st.sent;
	prime_rcvd = st.rcvd;
	printf("primed: %" PRIu64 " packets at sequence number %u, %" PRIu64 " came back\n",
	       prime_sent, o.prime_seq, prime_rcvd);
	fflush(stdout);
	memset(&st, 0, sizeof(st));
	for (uint32_t i = 0; i < o.flows; i++)
		sa_seq[i] = o.seq_start;
}

static void on_linger_signal(int sig)
{
	(void)sig;
	linger_stop = 1;
}

/* --linger: the summary is out; keep the ports started (a memif peer stays connected) without
 * polling them until SIGINT/SIGTERM. The DPDK 22.11 memif PMD unmaps a link's shared memory
 * when its peer disconnects, under whoever polls it: so the harness stops rampart-dp (whose
 * disconnect then finds this process idle) before it stops us. */
static void linger(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_linger_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		die("sigaction: %s", strerror(errno));
	printf("lingering: ports kept, not polled, until SIGINT or SIGTERM\n");
	fflush(stdout);
	while (!linger_stop) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	printf("lingering: stopped by a signal, closing\n");
	fflush(stdout);
}

/* True if @p port is a memif port. */
static bool is_memif(uint16_t port)
{
	struct rte_eth_dev_info info;

	return rte_eth_dev_info_get(port, &info) == 0 && info.driver_name &&
	       strstr(info.driver_name, "memif") != NULL;
}

int main(int argc, char **argv)
{
	struct keycache rxkc;
	unsigned int tx_lc = RTE_MAX_LCORE;
	int n = rte_eal_init(argc, argv);

	if (n < 0) {
		fprintf(stderr, "rampart-gen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 77; /* a self-test that cannot run is skipped, not failed */
	}
	argc -= n, argv += n;
	optind = 1;
	parse_opts(argc, argv);
	if (o.sa_config) {
		write_sa_config(o.sa_config);
		rte_eal_cleanup();
		return 0;
	}
	hz = rte_get_tsc_hz();
	ns_per_cyc = 1e9 / (double)hz;
	n_ranges = o.flows < MAX_RANGES ? o.flows : MAX_RANGES;
	if (!o.tx_port_set)
		o.tx_port = 0;
	if (!o.rx_port_set)
		o.rx_port = rte_eth_dev_count_avail() > 1 ? 1 : 0;
	pool = rte_pktmbuf_pool_create("gen", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (!pool)
		die("mbuf pool: %s", rte_strerror(rte_errno));
	port_init(o.tx_port);
	if (o.rx_port != o.tx_port)
		port_init(o.rx_port);
	rte_eth_macaddr_get(o.tx_port, &src_mac);
	wait_link(o.tx_port);
	if (o.rx_port != o.tx_port)
		wait_link(o.rx_port);
	if (o.esp) {
		if (!(sa_seq = malloc((size_t)o.flows * sizeof(*sa_seq))))
			die("out of memory");
		for (uint32_t i = 0; i < o.flows; i++)
			sa_seq[i] = o.seq_start;
	}
	if (o.esp)
		keycache_init(&txs.kc);
	keycache_init(&rxkc);
	if (o.rekey_map)
		rekey_map_open();
	if (o.prime_seq)
		prime(&rxkc);
	if (o.lcores == 2) {
		tx_lc = rte_get_next_lcore(-1, 1, 0);
		if (tx_lc >= RTE_MAX_LCORE) {
			printf("one lcore only (give -l with two CPUs): tx and rx on one\n");
			o.lcores = 1;
		}
	}
	printf("%s, %u flows, frame %s, rate %s, %.2f s%s\n", o.esp ? "esp" : "clear", o.flows,
	       o.size ? "fixed" : "imix", o.rate > 0 ? "target" : "line", o.duration,
	       o.lcores == 2 ? ", tx on its own lcore" : "");
	fflush(stdout);
	st.t_start = rte_rdtsc();
	txs.t_stop = st.t_start + (uint64_t)(o.duration * (double)hz);
	if (o.lcores == 2) {
		if (rte_eal_remote_launch(tx_lcore, NULL, tx_lc) != 0)
			die("cannot launch lcore %u", tx_lc);
		while (!__atomic_load_n(&tx_done, __ATOMIC_ACQUIRE))
			rx_poll(&rxkc);
		rte_eal_wait_lcore(tx_lc);
	} else {
		while (tx_step(&txs))
			rx_poll(&rxkc);
		st.t_end = rte_rdtsc();
	}
	drain(&rxkc);
	report((double)(st.t_end - st.t_start) / (double)hz);
	if (o.linger)
		linger();
	/* Both ends of one memif link in this process (the loopback test): stopping one end
	 * makes memif's control thread disconnect the other while this thread stops or closes
	 * it, and the two free the same regions ("EAL: Error: Invalid memory", then at times a
	 * crash or a hang at exit). Leave such a pair connected, and the ports and EAL to the
	 * process's exit. */
	bool memif_pair = o.rx_port != o.tx_port && is_memif(o.rx_port) && is_memif(o.tx_port);

	if (!memif_pair) {
		rte_eth_dev_stop(o.tx_port);
		if (o.rx_port != o.tx_port)
			rte_eth_dev_stop(o.rx_port);
		rte_eth_dev_close(o.rx_port);
		if (o.rx_port != o.tx_port)
			rte_eth_dev_close(o.tx_port);
	}
	int rc = 0;

	if (o.check) {
		double p50 = percentile(st.hist, st.rcvd, 0.5), p99 = percentile(st.hist, st.rcvd, 0.99);
		double p999 = percentile(st.hist, st.rcvd, 0.999);

		if (st.sent == 0 || st.rcvd != st.sent || st.bad || !(p50 > 0) || p50 > p99 ||
		    p99 > p999) {
			fprintf(stderr, "rampart-gen: check FAILED: sent %" PRIu64 " received %" PRIu64
				" bad %" PRIu64 " p50 %.0f p99 %.0f p99.9 %.0f\n",
				st.sent, st.rcvd, st.bad, p50, p99, p999);
			rc = 1;
		}
		for (unsigned int r = 0; r < n_ranges && !rc; r++)
			if (st.sent_r[r] != st.rcvd_r[r]) {
				fprintf(stderr, "rampart-gen: check FAILED: flow range %u\n", r);
				rc = 1;
			}
		if (!rc)
			printf("check passed\n");
	}
	if (o.esp)
		keycache_free(&txs.kc);
	keycache_free(&rxkc);
	free(sa_seq);
	free(sa_gen);
	if (rmap)
		munmap(rmap, RG_MAP_SIZE(o.flows));
	if (!memif_pair)
		rte_eal_cleanup();
	return rc;
}
