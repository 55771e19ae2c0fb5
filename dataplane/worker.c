/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Worker lcores: each polls its own RX queue on every port and its hand-off ring, and runs
 * each burst through the ESP fast path in stages:
 *
 *   outside RX  -> classify (ESP / ESP-in-UDP 4500, NAT-T keepalive, everything else to the
 *                  kernel) -> inbound SA by SPI + destination (bulk hash lookup) -> owner?
 *                  (else hand off) -> decrypt, replay, selectors (ESP engine) -> route the
 *                  inner packet: a client route = hairpin into that client's SA, otherwise
 *                  the inside port with the next hop's MAC;
 *   inside RX   -> classify (IP / ARP and other to the kernel) -> outbound SA by inner
 *                  destination (bulk FIB lookup; no route: the kernel if the destination is
 *                  the concentrator's, else drop) -> owner? -> encrypt -> outside port with
 *                  the next hop's MAC;
 *   exception RX-> out of the port it serves, unchanged.
 *
 * Every packet ends in exactly one place: a TX queue, a hand-off ring, or a drop counter
 * (counted against the port it entered by). The main lcore's writes to the SA tables are
 * safe because a worker reports an RCU quiescent state after each poll round and goes
 * offline while it sleeps (see sad.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "common/cursor.h"
#include "common/log.h"
#include "dataplane/dp.h"
#include "dataplane/esp/esp.h"
#include "dataplane/frag.h"
#include "dataplane/neigh.h"
#include "dataplane/sad.h"

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_ARP 0x0806
#define PROTO_UDP 17
#define PROTO_ESP 50
#define PROTO_ICMPV6 58
#define PROTO_FRAG6 44
#define NATT_PORT 4500
#define HANDOFF_RING 4096
/* rte_hash bulk lookups take at most this many keys. */
#define LOOKUP_MAX RTE_HASH_LOOKUP_BULK_MAX

int dp_handoff_off = -1;

static inline struct dp_handoff *handoff_meta(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, dp_handoff_off, struct dp_handoff *);
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Index of the port a packet entered by (set on RX, kept through every stage). */
static inline unsigned int in_idx(const struct dp_worker *w, const struct rte_mbuf *m)
{
	uint8_t i = w->port_index[m->port];

	return i == 0xff ? 0 : i;
}

/* The only way a worker gets rid of a packet it will not send: one counter per drop. */
static inline void drop1(struct dp_worker *w, struct rte_mbuf *m, enum dp_drop_reason why)
{
	dp_counter_add(&w->ctr[in_idx(w, m)].drops[why], 1);
	rte_pktmbuf_free(m);
}

/* Free @n packets of port index @port for one reason. */
static inline void drop_burst(struct dp_worker *w, unsigned int port, enum dp_drop_reason why,
			      struct rte_mbuf **pkts, uint16_t n)
{
	if (!n)
		return;
	dp_counter_add(&w->ctr[port].drops[why], n);
	rte_pktmbuf_free_bulk(pkts, n);
}

/* ---- transmit ---------------------------------------------------------------------------- */

static void tx_flush_port(struct dp_worker *w, unsigned int p)
{
	struct dp_txq *q = &w->txq[p];
	uint16_t sent;

	if (!q->n)
		return;
	sent = rte_eth_tx_burst(w->ports[p].port_id, w->queue, q->pkts, q->n);
	dp_counter_add(&w->ctr[p].tx_packets, sent);
	for (uint16_t i = sent; i < q->n; i++)
		drop1(w, q->pkts[i], DP_DROP_TX_FULL);
	q->n = 0;
}

static void tx_flush(struct dp_worker *w)
{
	for (unsigned int p = 0; p < w->n_ports; p++)
		tx_flush_port(w, p);
}

static inline void tx_enqueue(struct dp_worker *w, unsigned int p, struct rte_mbuf *m)
{
	struct dp_txq *q = &w->txq[p];

	if (q->n == DP_TXQ_MAX)
		tx_flush_port(w, p);
	q->pkts[q->n++] = m;
}

/* Add the Ethernet header towards MAC @dst (IP family @af) and queue on port index @p. */
static void l2_send_mac(struct dp_worker *w, unsigned int p, struct rte_mbuf *m, uint8_t af,
			const struct rte_ether_addr *dst)
{
	uint8_t *e = (uint8_t *)rte_pktmbuf_prepend(m, ETH_HLEN);

	if (!e) {
		drop1(w, m, DP_DROP_FROM_ESP(ESP_DROP_NO_HEADROOM));
		return;
	}
	memcpy(e, dst->addr_bytes, 6);
	memcpy(e + 6, w->ports[p].mac.addr_bytes, 6);
	e[12] = af == 4 ? 0x08 : 0x86;
	e[13] = af == 4 ? 0x00 : 0xdd;
	m->l2_len = ETH_HLEN;
	tx_enqueue(w, p, m);
}

/*
 * Add the Ethernet header to @n packets (n <= LOOKUP_MAX) and queue them on port index @p,
 * each towards its own next hop nh[i] of family af[i] (encrypted packets: the outer
 * destination, a different client for each packet of a burst; decrypted packets: the inner
 * destination); a packet without a neighbour is dropped (NO_NEIGHBOR). A next hop equal to
 * the previous packet's (one SA's packets in a row, or many clients talking to one server)
 * is looked up once; the others in one bulk lookup, so that their hash bucket misses
 * overlap. For an address not in the table (an off-link client: the usual case)
 * dp_neigh_resolve() falls back to the port's gateway, whatever the address: that answer is
 * taken once per burst and address family and reused for the other misses.
 */
static void l2_send_bulk(struct dp_worker *w, unsigned int p, struct rte_mbuf **pkts,
			 const uint8_t *af, const uint8_t *const *nh, uint16_t n)
{
	/* 8-byte aligned each: rte_hash_crc() reads the 20-byte key in 64-bit words */
	struct {
		struct dp_neigh_key k;
	} __rte_aligned(8) keys[LOOKUP_MAX];
	const void *kp[LOOKUP_MAX];
	void *data[LOOKUP_MAX];
	struct rte_ether_addr mac[LOOKUP_MAX], fb_mac[2];
	uint8_t uq[LOOKUP_MAX], ok[LOOKUP_MAX];
	int8_t fb[2] = { -1, -1 }; /* per family (v4, v6): fallback not taken yet / none / MAC */
	uint64_t hits = 0;
	uint16_t nu = 0;

	/* Distinct next hops: uq[i] is packet i's entry among them. */
	for (uint16_t i = 0; i < n; i++) {
		if (i && af[i] == af[i - 1] &&
		    (af[i] == 4 ? memcmp(nh[i], nh[i - 1], 4)
				: memcmp(nh[i], nh[i - 1], 16)) == 0) {
			uq[i] = uq[i - 1];
			continue;
		}
		dp_neigh_key_set(&keys[nu].k, p, af[i], nh[i]);
		kp[nu] = &keys[nu].k;
		uq[i] = (uint8_t)nu++;
	}
	if (nu)
		rte_hash_lookup_bulk_data(w->neigh->hash, kp, nu, &hits, data);
	for (uint16_t u = 0, i = 0; u < nu; u++) {
		/* i: the first packet of entry u */
		while (uq[i] != u)
			i++;
		ok[u] = (hits >> u) & 1 &&
			neigh_word_mac(__atomic_load_n(&w->neigh->ent[(uintptr_t)data[u]],
						       __ATOMIC_RELAXED), &mac[u]);
		if (!ok[u]) {
			unsigned int f = af[i] == 6;

			if (fb[f] < 0)
				fb[f] = dp_neigh_resolve(w->neigh, p, af[i], nh[i], &fb_mac[f]);
			ok[u] = fb[f] > 0;
			if (ok[u])
				mac[u] = fb_mac[f];
		}
	}
	for (uint16_t i = 0; i < n; i++) {
		if (!ok[uq[i]]) {
			drop1(w, pkts[i], DP_DROP_NO_NEIGHBOR);
			continue;
		}
		l2_send_mac(w, p, pkts[i], af[i], &mac[uq[i]]);
	}
}

/* To the kernel, unchanged, through the exception port of port index @p. */
static void to_kernel(struct dp_worker *w, unsigned int p, struct rte_mbuf *m)
{
	int e = w->ports[p].exception;

	if (e < 0) {
		drop1(w, m, DP_DROP_NO_EXCEPTION_PATH);
		return;
	}
	unsigned int in = in_idx(w, m);

	dp_counter_add(&w->ctr[in].to_kernel, 1);
	if (m->pkt_len > (uint32_t)w->ports[e].mtu + ETH_HLEN) {
		/* A datagram we reassembled (IKE from a client that fragments): the kernel
		 * interface takes no frame over its MTU, so it gets the fragments again. */
		struct rte_mbuf *frags[DP_FRAG_OUT_MAX];
		uint16_t n = dp_frag_for_kernel(m, w->ports[e].mtu, frags, DP_FRAG_OUT_MAX);

		if (!n)
			dp_counter_add(&w->ctr[in].drops[DP_DROP_KERNEL_FRAG_FAILED], 1); /* m is gone */
		for (uint16_t i = 0; i < n; i++)
			tx_enqueue(w, (unsigned int)e, frags[i]);
		return;
	}
	tx_enqueue(w, (unsigned int)e, m);
}

static void handoff(struct dp_worker *w, struct rte_mbuf *m, const struct dp_sa *sa, uint8_t kind)
{
	struct dp_handoff *h = handoff_meta(m);

	h->slot = sa->slot;
	h->gen = sa->gen;
	h->kind = kind;
	if (rte_ring_mp_enqueue(w->handoff[sa->worker], m) != 0) {
		drop1(w, m, DP_DROP_HANDOFF_FULL);
		return;
	}
	dp_counter_add(&w->ctr[in_idx(w, m)].handed_off, 1);
}

/* ---- neighbour learning (RFC 826 ARP, RFC 4861 NDP) ------------------------------------- */

static void learn_arp(struct dp_worker *w, unsigned int p, struct rp_cursor *c)
{
	uint16_t htype, ptype, oper;
	uint8_t hlen, plen, sha[6], spa[4];

	if (!rp_cur_u16(c, &htype) || !rp_cur_u16(c, &ptype) || !rp_cur_u8(c, &hlen) ||
	    !rp_cur_u8(c, &plen) || !rp_cur_u16(c, &oper) || !rp_cur_bytes(c, sha, 6) ||
	    !rp_cur_bytes(c, spa, 4))
		return;
	if (htype != 1 || ptype != ETHERTYPE_IPV4 || hlen != 6 || plen != 4 ||
	    (oper != 1 && oper != 2))
		return;
	/* 0.0.0.0: an address probe (RFC 5227), nobody's address yet. */
	if (!(spa[0] | spa[1] | spa[2] | spa[3]))
		return;
	if (!dp_neigh_learn(w->neigh, w->idx, p, 4, spa, sha))
		dp_counter_add(&w->learn_lost, 1);
}

/* @c: the ICMPv6 message; @ip6: its IPv6 header (40 bytes, checked). */
static void learn_nd(struct dp_worker *w, unsigned int p, const uint8_t *ip6, struct rp_cursor *c)
{
	static const uint8_t unspec[16];
	const uint8_t *target = NULL, *who;
	uint8_t type, code, want;
	size_t skip;

	/* RFC 4861 section 7.1.1/7.1.2: hop limit 255, else it came from off-link. */
	if (ip6[7] != 255 || !rp_cur_u8(c, &type) || !rp_cur_u8(c, &code) || code != 0)
		return;
	switch (type) {
	case 134: /* router advertisement: source link-layer address of the router */
		skip = 2 + 12;
		want = 1;
		who = ip6 + 8;
		break;
	case 135: /* neighbour solicitation: source link-layer address of the sender */
		skip = 2 + 4;
		want = 1;
		who = ip6 + 8;
		break;
	case 136: /* neighbour advertisement: target link-layer address of the target */
		skip = 2 + 4;
		want = 2;
		who = NULL;
		break;
	default:
		return;
	}
	if (!rp_cur_skip(c, skip))
		return;
	if (type != 134 && !(target = rp_cur_take(c, 16)))
		return;
	if (!who)
		who = target;
	if (memcmp(who, unspec, 16) == 0)
		return;
	while (rp_cur_left(c) >= 8) {
		uint8_t ot, ol;
		const uint8_t *body;

		if (!rp_cur_u8(c, &ot) || !rp_cur_u8(c, &ol) || ol == 0 ||
		    !(body = rp_cur_take(c, (size_t)ol * 8 - 2)))
			return;
		if (ot == want && ol == 1) {
			if (!dp_neigh_learn(w->neigh, w->idx, p, 6, who, body))
				dp_counter_add(&w->learn_lost, 1);
			return;
		}
	}
}

/* ---- classification ---------------------------------------------------------------------- */

enum cls {
	CLS_DROP = 0,   /* *why says which counter */
	CLS_KERNEL,     /* to the exception port, unchanged */
	CLS_ESP,        /* inbound ESP (or ESP-in-UDP): key filled */
	CLS_FRAG,       /* outer ESP fragment: reassembly hook */
	CLS_IP,         /* inside: an IP packet to route; af/dst filled */
};

struct pkt_info {
	uint8_t af;
	const uint8_t *dst;  /* inner/outer destination address inside the packet */
};

/* Outside: ESP for us, or anything else (for the kernel). */
static enum cls classify_outside(struct dp_worker *w, unsigned int p, struct rte_mbuf *m,
				 struct dp_sad_in_key *key, enum dp_drop_reason *why)
{
	struct rp_cursor c;
	const uint8_t *ip, *l4, *dst;
	uint16_t et, frag = 0;
	uint8_t proto, af;

	rp_cur_init(&c, rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m));
	if (!rp_cur_skip(&c, 12) || !rp_cur_u16(&c, &et)) {
		*why = DP_DROP_RUNT;
		return CLS_DROP;
	}
	if (et == ETHERTYPE_ARP) {
		learn_arp(w, p, &c);
		return CLS_KERNEL;
	}
	if (et == ETHERTYPE_IPV4) {
		uint32_t ihl;

		if (!(ip = rp_cur_take(&c, 20)))
			goto runt;
		ihl = (ip[0] & 0xfu) * 4;
		if (ip[0] >> 4 != 4 || ihl < 20 || !rp_cur_skip(&c, ihl - 20))
			goto malformed;
		af = 4;
		proto = ip[9];
		frag = be16(ip + 6) & 0x3fff;
		dst = ip + 16;
	} else if (et == ETHERTYPE_IPV6) {
		if (!(ip = rp_cur_take(&c, 40)))
			goto runt;
		if (ip[0] >> 4 != 6)
			goto malformed;
		af = 6;
		proto = ip[6];
		dst = ip + 24;
		if (proto == PROTO_ICMPV6) {
			learn_nd(w, p, ip, &c);
			return CLS_KERNEL;
		}
		if (proto == PROTO_FRAG6) {
			uint8_t fnh;

			if (!rp_cur_u8(&c, &fnh))
				goto runt;
			/* ESP, or UDP (ESP-in-UDP from NAT-T clients, IKE): reassembled, then
			 * classified again. */
			return fnh == PROTO_ESP || fnh == PROTO_UDP ? CLS_FRAG : CLS_KERNEL;
		}
	} else {
		return CLS_KERNEL;
	}

	if (frag)
		return proto == PROTO_ESP || proto == PROTO_UDP ? CLS_FRAG : CLS_KERNEL;
	if (proto == PROTO_ESP) {
		/* SPI and sequence number at least. */
		if (!(l4 = rp_cur_take(&c, 8)))
			goto runt;
	} else if (proto == PROTO_UDP) {
		const uint8_t *udp = rp_cur_take(&c, 8);
		uint32_t ulen;

		if (!udp)
			goto runt;
		if (be16(udp + 2) != NATT_PORT)
			return CLS_KERNEL;
		/* RFC 3948 section 2.2 / 2.3: a 0xFF byte is a keepalive, a zero first word marks
		 * IKE (non-ESP marker), anything else is ESP. */
		ulen = be16(udp + 4);
		if (ulen < 8 || ulen - 8 > rp_cur_left(&c))
			goto malformed;
		l4 = rp_cur_take(&c, 0);
		if (ulen == 9 && l4[0] == 0xff) {
			*why = DP_DROP_NATT_KEEPALIVE;
			return CLS_DROP;
		}
		if (ulen - 8 < 8 || !(l4[0] | l4[1] | l4[2] | l4[3]))
			return CLS_KERNEL;
	} else {
		return CLS_KERNEL;
	}
	memset(key, 0, sizeof(*key));
	memcpy(&key->spi, l4, 4);
	key->af = af;
	memcpy(key->addr, dst, af == 4 ? 4 : 16);
	return CLS_ESP;
runt:
	*why = DP_DROP_RUNT;
	return CLS_DROP;
malformed:
	*why = DP_DROP_FROM_ESP(ESP_DROP_OUTER_MALFORMED);
	return CLS_DROP;
}

/* Inside: IP to route, or something for the kernel (ARP, other ethertypes). */
static enum cls classify_inside(struct dp_worker *w, unsigned int p, struct rte_mbuf *m,
				struct pkt_info *pi, enum dp_drop_reason *why)
{
	struct rp_cursor c;
	const uint8_t *ip;
	uint16_t et;

	rp_cur_init(&c, rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m));
	if (!rp_cur_skip(&c, 12) || !rp_cur_u16(&c, &et)) {
		*why = DP_DROP_RUNT;
		return CLS_DROP;
	}
	if (et == ETHERTYPE_ARP) {
		learn_arp(w, p, &c);
		return CLS_KERNEL;
	}
	if (et == ETHERTYPE_IPV4) {
		if (!(ip = rp_cur_take(&c, 20)) || ip[0] >> 4 != 4)
			goto bad;
		pi->af = 4;
		pi->dst = ip + 16;
		return CLS_IP;
	}
	if (et == ETHERTYPE_IPV6) {
		if (!(ip = rp_cur_take(&c, 40)) || ip[0] >> 4 != 6)
			goto bad;
		if (ip[6] == PROTO_ICMPV6)
			learn_nd(w, p, ip, &c);
		pi->af = 6;
		pi->dst = ip + 24;
		return CLS_IP;
	}
	if (w->ports[p].exception < 0) {
		*why = DP_DROP_NOT_IP;
		return CLS_DROP;
	}
	return CLS_KERNEL;
bad:
	*why = DP_DROP_FROM_ESP(ESP_DROP_INNER_MALFORMED);
	return CLS_DROP;
}

/* Is @dst one of the concentrator's own addresses on port index @p, or a group address? */
static bool for_us(const struct dp_worker *w, unsigned int p, uint8_t af, const uint8_t *dst)
{
	const struct dp_local *l = __atomic_load_n(&w->local[p], __ATOMIC_ACQUIRE);

	if (af == 4 ? dst[0] >= 224 : dst[0] == 0xff)
		return true;
	for (unsigned int i = 0; l && i < l->n; i++)
		if (l->a[i].af == af && memcmp(l->a[i].addr, dst, af == 4 ? 4 : 16) == 0)
			return true;
	return false;
}

/* ---- the ESP stages ---------------------------------------------------------------------- */

/* Outbound SAs of @n inner packets (starting at their IP header) by destination, bulk.
 * nh[i] = 0: no route. */
static void route_lookup(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t *nh)
{
	uint32_t ip4[DP_BURST_MAX];
	uint8_t ip6[DP_BURST_MAX][16];
	uint64_t nh4[DP_BURST_MAX];
	int32_t nh6[DP_BURST_MAX];
	uint16_t i4[DP_BURST_MAX], i6[DP_BURST_MAX], n4 = 0, n6 = 0;

	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod(pkts[i], const uint8_t *);

		if (ip[0] >> 4 == 4) {
			ip4[n4] = (uint32_t)ip[16] << 24 | (uint32_t)ip[17] << 16 |
				  (uint32_t)ip[18] << 8 | ip[19];
			i4[n4++] = i;
		} else {
			memcpy(ip6[n6], ip + 24, 16);
			i6[n6++] = i;
		}
	}
	if (n4)
		rte_fib_lookup_bulk(w->sad.fib4, ip4, nh4, n4);
	if (n6)
		rte_lpm6_lookup_bulk_func(w->sad.lpm6, ip6, nh6, n6);
	for (uint16_t k = 0; k < n4; k++)
		nh[i4[k]] = nh4[k];
	for (uint16_t k = 0; k < n6; k++)
		nh[i6[k]] = nh6[k] < 0 ? 0 : (uint64_t)nh6[k];
}

/*
 * SAs of a burst from their slot numbers (@p slot[i] = 0: none; sas[i] = NULL), loaded in
 * stages so that the misses of all packets overlap instead of following one another: with
 * SA tables far beyond the caches (every packet on another of 100 000 SAs) each step below
 * is a cache and TLB miss per packet. First the slot array entries of the whole burst, then
 * each SA's owner line and the lines the ESP engine reads first (esp_sa_prefetch_*()); the
 * caller's first look at them comes after the last prefetch of the burst. A slot equal to
 * the previous packet's (a run of one SA's packets) is loaded and prefetched once. The key
 * lines are prefetched later, by the engine (its stage 1, ahead of the crypto of stage 2).
 */
static inline void sa_fetch(const struct dp_worker *w, const uint64_t *slot, uint16_t n,
			    struct dp_sa **sas, bool inbound)
{
	for (uint16_t i = 0; i < n; i++)
		if (slot[i] && slot[i] < w->sad.n_slots && (!i || slot[i] != slot[i - 1]))
			rte_prefetch0(&w->sad.slots[slot[i]]);
	for (uint16_t i = 0; i < n; i++) {
		struct dp_sa *sa;

		if (i && slot[i] == slot[i - 1]) { /* a run of one SA's packets */
			sas[i] = sas[i - 1];
			continue;
		}
		sa = slot[i] ? dp_sad_slot(&w->sad, slot[i]) : NULL;
		sas[i] = sa;
		if (!sa)
			continue;
		dp_sa_prefetch_owner(sa);
		if (inbound)
			esp_sa_prefetch_in(&sa->esp);
		else
			esp_sa_prefetch_out(&sa->esp);
	}
}

static void route_inner(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n, bool decrypted);

/* Encrypt @k packets and send them out of the outside port. */
static void encrypt_send(struct dp_worker *w, struct rte_mbuf **pkts, struct esp_sa **es,
			 uint16_t k)
{
	struct rte_mbuf *dropped[DP_BURST_MAX];
	uint8_t reasons[DP_BURST_MAX];
	uint16_t nd = 0, ng;

	if (!k)
		return;
	ng = esp_outbound_burst(w->mgr, pkts, es, k, dropped, reasons, &nd);
	for (uint16_t i = 0; i < nd; i++)
		drop1(w, dropped[i], DP_DROP_FROM_ESP(reasons[i]));
	for (uint16_t i = 0; i < ng; i++)
		dp_counter_add(&w->ctr[in_idx(w, pkts[i])].encrypted, 1);
	if (w->out_port < 0) {
		for (uint16_t i = 0; i < ng; i++)
			drop1(w, pkts[i], DP_DROP_NO_OUTPUT_PORT);
		return;
	}
	for (uint16_t off = 0; off < ng; off += LOOKUP_MAX) {
		uint16_t c = RTE_MIN((uint16_t)(ng - off), (uint16_t)LOOKUP_MAX);
		const uint8_t *nh[LOOKUP_MAX];
		uint8_t af[LOOKUP_MAX];

		for (uint16_t i = 0; i < c; i++) {
			const uint8_t *o = rte_pktmbuf_mtod(pkts[off + i], const uint8_t *);
			bool v6 = es[off + i]->flags & ESP_SAF_OUTER_V6;

			af[i] = v6 ? 6 : 4;
			nh[i] = o + (v6 ? 24 : 16);
		}
		l2_send_bulk(w, (unsigned int)w->out_port, pkts + off, af, nh, c);
	}
}

/* Encrypt packets of SAs this worker owns and send them out of the outside port; first,
 * packets too big for the SA's MTU are fragmented or answered with ICMP (frag.h). */
static void outbound(struct dp_worker *w, struct rte_mbuf **pkts, struct dp_sa **sas, uint16_t n)
{
	struct rte_mbuf *buf[DP_BURST_MAX], *icmp[DP_BURST_MAX], *frags[DP_FRAG_OUT_MAX];
	struct esp_sa *es[DP_BURST_MAX];
	uint16_t k = 0, ni = 0;

	if (!n)
		return;
	for (uint16_t i = 0; i < n; i++) {
		struct dp_sa *sa = sas[i];
		uint32_t mtu = __atomic_load_n(&sa->esp.tunnel_mtu, __ATOMIC_RELAXED);
		enum dp_drop_reason why = DP_DROP_FRAG_FAILED;
		struct rte_mbuf *ic = NULL;
		uint16_t nf = 0;

		if (!mtu)
			mtu = w->out_mtu;
		/* Fits for sure (headers, ICV, the most padding, trailer): no need to ask
		 * dp_frag_outbound(), which would say PASS. */
		if (likely(rte_pktmbuf_pkt_len(pkts[i]) + (uint32_t)sa->esp.hdr_len +
			   sa->esp.icv_len + sa->esp.pad_align + 2u <= mtu)) {
			frags[0] = pkts[i];
			nf = 1;
		} else {
			switch (dp_frag_outbound(w->frag, pkts[i], sa, mtu, frags, &nf, &ic, &why)) {
			case DP_FRAG_PASS:
				frags[0] = pkts[i];
				nf = 1;
				break;
			case DP_FRAG_SPLIT:
				break;
			default:
				drop1(w, pkts[i], why);
				if (ic)
					icmp[ni++] = ic;
				continue;
			}
		}
		for (uint16_t j = 0; j < nf; j++) {
			if (k == DP_BURST_MAX) {
				encrypt_send(w, buf, es, k);
				k = 0;
			}
			buf[k] = frags[j];
			es[k++] = &sa->esp;
		}
	}
	encrypt_send(w, buf, es, k);
	/* To the sender: out of the inside port, or through its client's SA. ICMP errors
	 * are never sent about ICMP errors, so this does not come back here with more. */
	route_inner(w, icmp, ni, true);
}

/* Inner packets (IP header first) from inside or from decryption: through their client's
 * SA (here or at its owner), else out of the inside port / to the kernel / dropped. */
static void route_inner(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n, bool decrypted)
{
	struct rte_mbuf *mine[DP_BURST_MAX], *plain[DP_BURST_MAX];
	struct dp_sa *mine_sa[DP_BURST_MAX], *sas[DP_BURST_MAX];
	const uint8_t *plain_nh[DP_BURST_MAX];
	uint8_t plain_af[DP_BURST_MAX];
	uint64_t nh[DP_BURST_MAX];
	uint16_t nm = 0, np = 0;

	if (!n)
		return;
	route_lookup(w, pkts, n, nh);
	sa_fetch(w, nh, n, sas, false);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
		uint8_t af = ip[0] >> 4 == 4 ? 4 : 6;
		const uint8_t *dst = ip + (af == 4 ? 16 : 24);
		struct dp_sa *sa = sas[i];

		if (!nh[i]) {
			if (decrypted) {
				/* out of the inside port, after the loop: one neighbour
				 * lookup for the lot */
				if (w->in_port < 0) {
					drop1(w, m, DP_DROP_NO_OUTPUT_PORT);
				} else {
					plain[np] = m;
					plain_af[np] = af;
					plain_nh[np++] = dst;
				}
			} else {
				unsigned int p = in_idx(w, m);

				if (for_us(w, p, af, dst)) {
					/* Back to a whole frame for the kernel. */
					rte_pktmbuf_prepend(m, ETH_HLEN);
					to_kernel(w, p, m);
				} else {
					drop1(w, m, DP_DROP_NO_ROUTE);
				}
			}
			continue;
		}
		if (!sa) {
			drop1(w, m, DP_DROP_SA_GONE);
			continue;
		}
		if (sa->dir != RP_DIR_OUT) {
			drop1(w, m, DP_DROP_ROUTE_INBOUND_SA);
			continue;
		}
		if (decrypted)
			dp_counter_add(&w->ctr[in_idx(w, m)].hairpinned, 1);
		if (sa->worker != w->idx) {
			handoff(w, m, sa, DP_HANDOFF_OUTBOUND);
			continue;
		}
		mine[nm] = m;
		mine_sa[nm++] = sa;
	}
	for (uint16_t off = 0; off < np; off += LOOKUP_MAX)
		l2_send_bulk(w, (unsigned int)w->in_port, plain + off, plain_af + off,
			     plain_nh + off, RTE_MIN((uint16_t)(np - off), (uint16_t)LOOKUP_MAX));
	outbound(w, mine, mine_sa, nm);
}

/* Decrypt packets of SAs this worker owns (outer IP header first), then route them. */
static void inbound(struct dp_worker *w, struct rte_mbuf **pkts, struct dp_sa **sas, uint16_t n)
{
	struct esp_sa *es[DP_BURST_MAX];
	struct rte_mbuf *dropped[DP_BURST_MAX];
	uint8_t reasons[DP_BURST_MAX];
	uint16_t nd = 0, ng;

	if (!n)
		return;
	for (uint16_t i = 0; i < n; i++)
		es[i] = &sas[i]->esp;
	ng = esp_inbound_burst(w->mgr, pkts, es, n, dropped, reasons, &nd);
	for (uint16_t i = 0; i < nd; i++)
		drop1(w, dropped[i], DP_DROP_FROM_ESP(reasons[i]));
	for (uint16_t i = 0; i < ng; i++)
		dp_counter_add(&w->ctr[in_idx(w, pkts[i])].decrypted, 1);
	/* Outer fragments were reassembled before (rx_outside); decrypted packets are whole. */
	route_inner(w, pkts, ng, true);
}

/* ---- per-port RX ------------------------------------------------------------------------- */

static void rx_outside(struct dp_worker *w, unsigned int p, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_sad_in_key keys[DP_BURST_MAX];
	const void *kp[LOOKUP_MAX];
	struct rte_mbuf *esp[DP_BURST_MAX], *mine[DP_BURST_MAX];
	struct dp_sa *mine_sa[DP_BURST_MAX];
	void *data[LOOKUP_MAX];
	uint16_t ne = 0, nm = 0;

	/* Stage 1: classify; learn neighbours; the kernel's share leaves at once. */
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		enum dp_drop_reason why = DP_DROP_UNHANDLED;

		switch (classify_outside(w, p, m, &keys[ne], &why)) {
		case CLS_ESP:
			esp[ne++] = m;
			break;
		case CLS_KERNEL:
			to_kernel(w, p, m);
			break;
		case CLS_FRAG: {
			struct rte_mbuf *whole;
			bool for_kernel;

			whole = dp_frag_reass_outer(w->frag, m, rte_rdtsc(), w->ctr[p].drops,
						    &for_kernel);
			if (!whole)
				break;   /* kept, or dropped and counted */
			if (for_kernel) {   /* IKE and the like, maybe a chain (frag.h) */
				to_kernel(w, p, whole);
				break;
			}
			/* The whole ESP datagram, Ethernet header first: classified again. */
			switch (classify_outside(w, p, whole, &keys[ne], &why)) {
			case CLS_ESP:
				esp[ne++] = whole;
				break;
			case CLS_KERNEL:
				to_kernel(w, p, whole);
				break;
			case CLS_FRAG:
				drop1(w, whole, DP_DROP_REASSEMBLY_FAILED);
				break;
			default:
				drop1(w, whole, why);
				break;
			}
			break;
		}
		default:
			drop1(w, m, why);
			break;
		}
	}
	/* Stage 2: inbound SAs by SPI + destination, 64 keys per lookup (the bulk lookup
	 * overlaps the bucket and key misses itself; a key equal to the previous packet's,
	 * as in a run of one SA's packets, is looked up once), then the SAs, prefetched
	 * (sa_fetch). */
	for (uint16_t off = 0; off < ne; off += LOOKUP_MAX) {
		uint16_t k = RTE_MIN((uint16_t)(ne - off), (uint16_t)LOOKUP_MAX), nu = 0;
		uint64_t hits = 0, slot[LOOKUP_MAX];
		struct dp_sa *sas[LOOKUP_MAX];
		uint8_t uq[LOOKUP_MAX];

		for (uint16_t i = 0; i < k; i++) {
			if (i && memcmp(&keys[off + i], &keys[off + i - 1], sizeof(keys[0])) == 0) {
				uq[i] = uq[i - 1];
				continue;
			}
			kp[nu] = &keys[off + i];
			uq[i] = (uint8_t)nu++;
		}
		if (nu)
			rte_hash_lookup_bulk_data(w->sad.in_hash, kp, nu, &hits, data);
		for (uint16_t i = 0; i < k; i++)
			slot[i] = (hits >> uq[i]) & 1 ? (uintptr_t)data[uq[i]] : 0;
		sa_fetch(w, slot, k, sas, true);
		for (uint16_t i = 0; i < k; i++) {
			struct rte_mbuf *m = esp[off + i];
			struct dp_sa *sa = sas[i];

			if (!sa) {
				drop1(w, m, DP_DROP_NO_SA);
				continue;
			}
			rte_pktmbuf_adj(m, ETH_HLEN);
			if (sa->worker != w->idx) {
				handoff(w, m, sa, DP_HANDOFF_INBOUND);
				continue;
			}
			mine[nm] = m;
			mine_sa[nm++] = sa;
		}
	}
	/* Stage 3: decrypt, verify, route. */
	inbound(w, mine, mine_sa, nm);
}

static void rx_inside(struct dp_worker *w, unsigned int p, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *ip[DP_BURST_MAX];
	uint16_t ni = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		enum dp_drop_reason why = DP_DROP_UNHANDLED;
		struct pkt_info pi;

		switch (classify_inside(w, p, m, &pi, &why)) {
		case CLS_IP:
			rte_pktmbuf_adj(m, ETH_HLEN);
			ip[ni++] = m;
			break;
		case CLS_KERNEL:
			to_kernel(w, p, m);
			break;
		default:
			drop1(w, m, why);
			break;
		}
	}
	route_inner(w, ip, ni, false);
}

/* What the kernel sends leaves by the port it serves, as it is. */
static void rx_exception(struct dp_worker *w, unsigned int p, struct rte_mbuf **pkts, uint16_t n)
{
	int s = w->ports[p].serves;

	if (s < 0) {
		drop_burst(w, p, DP_DROP_UNHANDLED, pkts, n);
		return;
	}
	dp_counter_add(&w->ctr[p].from_kernel, n);
	for (uint16_t i = 0; i < n; i++)
		tx_enqueue(w, (unsigned int)s, pkts[i]);
}

/* Packets other workers passed to this one: their SA is ours, if it still exists. */
static void rx_handoff(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *in[DP_BURST_MAX], *out[DP_BURST_MAX];
	struct dp_sa *in_sa[DP_BURST_MAX], *out_sa[DP_BURST_MAX];
	uint16_t ni = 0, no = 0;

	dp_counter_add(&w->handoff_rx, n);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct dp_handoff *h = handoff_meta(m);
		struct dp_sa *sa = dp_sad_slot(&w->sad, h->slot);

		if (!sa || sa->gen != h->gen) {
			drop1(w, m, DP_DROP_SA_GONE);
		} else if (h->kind == DP_HANDOFF_INBOUND) {
			in[ni] = m;
			in_sa[ni++] = sa;
		} else {
			out[no] = m;
			out_sa[no++] = sa;
		}
	}
	inbound(w, in, in_sa, ni);
	outbound(w, out, out_sa, no);
}

static void process_burst(struct dp_worker *w, unsigned int p, struct rte_mbuf **pkts, uint16_t n)
{
	/* Some drivers (net_ring) leave mbuf->port as the sender set it. */
	for (uint16_t i = 0; i < n; i++)
		pkts[i]->port = w->ports[p].port_id;
	switch (w->ports[p].role) {
	case DP_ROLE_OUTSIDE:
		rx_outside(w, p, pkts, n);
		break;
	case DP_ROLE_INSIDE:
		rx_inside(w, p, pkts, n);
		break;
	case DP_ROLE_EXCEPTION:
		rx_exception(w, p, pkts, n);
		break;
	default:
		drop_burst(w, p, DP_DROP_UNHANDLED, pkts, n);
		break;
	}
}

static int worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct rte_mbuf *pkts[DP_BURST_MAX];

	RP_INFO("worker", "lcore %u (socket %u): worker %u polling RX queue %u of %u port%s, "
		"burst %u, %s", w->lcore, rte_socket_id(), w->idx, w->queue, w->n_ports,
		w->n_ports == 1 ? "" : "s", w->burst,
		w->idle_sleep_us ? "sleeping when idle" : "busy polling");

	rte_rcu_qsbr_thread_online(w->qs, w->idx);
	while (!__atomic_load_n(w->quit, __ATOMIC_RELAXED)) {
		uint32_t got = 0;

		for (unsigned int p = 0; p < w->n_ports; p++) {
			uint16_t n = rte_eth_rx_burst(w->port_ids[p], w->queue, pkts, w->burst);

			if (!n)
				continue;
			got += n;
			dp_counter_add(&w->ctr[p].rx_packets, n);
			process_burst(w, p, pkts, n);
		}
		if (w->handoff_in) {
			uint16_t n = (uint16_t)rte_ring_sc_dequeue_burst(w->handoff_in,
									 (void **)pkts, w->burst,
									 NULL);

			if (n) {
				got += n;
				rx_handoff(w, pkts, n);
			}
		}
		if (w->out_port >= 0)
			dp_frag_tick(w->frag, rte_rdtsc(), w->ctr[w->out_port].drops);
		tx_flush(w);
		/* Nothing from the SA tables is held past this point. */
		rte_rcu_qsbr_quiescent(w->qs, w->idx);
		dp_counter_add(&w->polls, 1);
		if (got)
			continue;
		dp_counter_add(&w->idle_polls, 1);
		/* An idle core on a shared machine should give the CPU back; production sets 0
		 * and keeps the core for itself. Offline meanwhile: no grace period waits for a
		 * sleeping worker. */
		if (w->idle_sleep_us) {
			rte_rcu_qsbr_thread_offline(w->qs, w->idx);
			rte_delay_us_sleep(w->idle_sleep_us);
			rte_rcu_qsbr_thread_online(w->qs, w->idx);
		}
	}
	rte_rcu_qsbr_thread_offline(w->qs, w->idx);

	RP_INFO("worker", "lcore %u stopping after %" PRIu64 " poll rounds (%" PRIu64 " idle)",
		w->lcore, dp_counter_read(&w->polls), dp_counter_read(&w->idle_polls));
	return 0;
}

int dp_workers_init(struct dp_app *app)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "rampart_handoff",
		.size = sizeof(struct dp_handoff),
		.align = __alignof__(struct dp_handoff),
	};
	const struct dp_config *dc = &app->conf;
	int out_port = -1, in_port = -1;
	char name[RTE_RING_NAMESIZE];

	dp_handoff_off = rte_mbuf_dynfield_register(&desc);
	if (dp_handoff_off < 0) {
		RP_ERR("worker", "cannot register the hand-off mbuf field: %s",
		       rte_strerror(rte_errno));
		return -rte_errno;
	}
	for (unsigned int p = 0; p < app->n_ports; p++) {
		if (app->ports[p].conf->role == DP_ROLE_OUTSIDE && out_port < 0)
			out_port = (int)p;
		if (app->ports[p].conf->role == DP_ROLE_INSIDE && in_port < 0)
			in_port = (int)p;
	}
	/* One ring per worker only when there is another worker to hand packets to. */
	for (unsigned int i = 0; dc->n_workers > 1 && i < dc->n_workers; i++) {
		snprintf(name, sizeof(name), "rp_handoff_%u", i);
		app->handoff[i] = rte_ring_create(name, HANDOFF_RING,
						  (int)rte_lcore_to_socket_id(dc->workers[i]),
						  RING_F_SC_DEQ);
		if (!app->handoff[i]) {
			RP_ERR("worker", "cannot create hand-off ring %s: %s", name,
			       rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}

	app->n_workers = dc->n_workers;
	for (unsigned int i = 0; i < dc->n_workers; i++) {
		struct dp_worker *w = &app->workers[i];
		IMB_ARCH arch;
		int rc;

		memset(w, 0, sizeof(*w));
		w->lcore = dc->workers[i];
		w->idx = i;
		w->queue = (uint16_t)i;
		w->burst = (uint16_t)dc->burst;
		w->idle_sleep_us = dc->idle_sleep_us;
		w->quit = &app->quit;
		w->n_ports = (uint16_t)app->n_ports;
		w->out_port = out_port;
		w->in_port = in_port;
		w->out_mtu = RTE_ETHER_MTU;
		if (out_port >= 0) {
			uint16_t mtu = 0;

			if (rte_eth_dev_get_mtu(app->ports[out_port].port_id, &mtu) == 0 && mtu)
				w->out_mtu = mtu;
		}
		memset(w->port_index, 0xff, sizeof(w->port_index));
		for (unsigned int p = 0; p < app->n_ports; p++) {
			const struct dp_port *dp = &app->ports[p];

			w->port_ids[p] = dp->port_id;
			w->port_index[dp->port_id] = (uint8_t)p;
			w->ports[p].port_id = dp->port_id;
			w->ports[p].role = (uint8_t)dp->conf->role;
			w->ports[p].exception = (int8_t)dp->conf->exception;
			w->ports[p].serves = (int8_t)dp->conf->serves;
			w->ports[p].mac = dp->mac;
			if (rte_eth_dev_get_mtu(dp->port_id, &w->ports[p].mtu) || !w->ports[p].mtu)
				w->ports[p].mtu = RTE_ETHER_MTU;
		}
		w->qs = app->qs;
		dp_sad_view(app->sad, &w->sad);
		w->neigh = app->neigh;
		w->local = app->local;
		w->n_workers = (uint16_t)dc->n_workers;
		w->handoff = app->handoff;
		w->handoff_in = app->handoff[i];
		w->txq = rte_zmalloc_socket("rp_txq", sizeof(*w->txq) * app->n_ports,
					    RTE_CACHE_LINE_SIZE,
					    (int)rte_lcore_to_socket_id(w->lcore));
		w->mgr = alloc_mb_mgr(0);
		w->frag = rte_zmalloc_socket("rp_frag", sizeof(*w->frag), RTE_CACHE_LINE_SIZE,
					     (int)rte_lcore_to_socket_id(w->lcore));
		if (!w->txq || !w->mgr || !w->frag ||
		    dp_frag_init(w->frag, (int)rte_lcore_to_socket_id(w->lcore)) < 0) {
			RP_ERR("worker", "worker %u: out of memory", i);
			return -ENOMEM;
		}
		init_mb_mgr_auto(w->mgr, &arch);
		if (imb_get_errno(w->mgr)) {
			RP_ERR("worker", "worker %u: intel-ipsec-mb initialisation failed: %s", i,
			       imb_get_strerror(imb_get_errno(w->mgr)));
			return -ENOTSUP;
		}
		rc = rte_rcu_qsbr_thread_register(app->qs, i);
		if (rc < 0) {
			RP_ERR("worker", "worker %u: RCU registration failed", i);
			return -EINVAL;
		}
	}
	return 0;
}

void dp_workers_fini(struct dp_app *app)
{
	for (unsigned int i = 0; i < app->n_workers; i++) {
		struct dp_worker *w = &app->workers[i];

		/* Packets still queued were never sent: free them. */
		for (unsigned int p = 0; w->txq && p < w->n_ports; p++)
			rte_pktmbuf_free_bulk(w->txq[p].pkts, w->txq[p].n);
		rte_free(w->txq);
		w->txq = NULL;
		if (w->frag)
			dp_frag_fini(w->frag);
		rte_free(w->frag);
		w->frag = NULL;
		if (w->mgr)
			free_mb_mgr(w->mgr);
		w->mgr = NULL;
	}
	for (unsigned int i = 0; i < DP_MAX_WORKERS; i++) {
		struct rte_mbuf *m;

		while (app->handoff[i] && rte_ring_dequeue(app->handoff[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(app->handoff[i]);
		app->handoff[i] = NULL;
	}
}

int dp_workers_start(struct dp_app *app)
{
	__atomic_store_n(&app->quit, false, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < app->n_workers; i++) {
		struct dp_worker *w = &app->workers[i];
		int rc = rte_eal_remote_launch(worker_main, w, w->lcore);

		if (rc < 0) {
			RP_ERR("worker", "cannot launch worker on lcore %u: %s", w->lcore,
			       strerror(-rc));
			return rc;
		}
	}
	RP_INFO("worker", "%u worker%s running", app->n_workers, app->n_workers == 1 ? "" : "s");
	return 0;
}

void dp_workers_stop(struct dp_app *app)
{
	__atomic_store_n(&app->quit, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
}
