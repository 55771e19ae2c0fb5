/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Outer reassembly and inner fragmentation / ICMP "too big" (see frag.h). One struct
 * dp_frag per worker: nothing here is shared or locked.
 */
#define ALLOW_EXPERIMENTAL_API 1 /* rte_ip_frag_table_del_expired_entries() */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "common/log.h"
#include "dataplane/esp/sa.h"
#include "dataplane/frag.h"
#include "dataplane/sad.h"

#define ETH_HLEN 14
#define FRAG_BUCKETS 16
#define FRAG_BUCKET_ENTRIES 4   /* FRAG_BUCKETS x FRAG_BUCKET_ENTRIES >= DP_FRAG_TBL_ENTRIES */
#define PROTO_ICMP 1
#define PROTO_ICMPV6 58
#define ICMP4_MAX 576           /* RFC 1812 section 4.3.2.3 */
#define ICMP6_MAX 1280          /* RFC 4443 section 2.4 (c) */
#define IPV6_MIN_MTU 1280

static inline uint16_t be16toh_p(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int dp_frag_init(struct dp_frag *f, int socket)
{
	memset(f, 0, sizeof(*f));
	f->hz = rte_get_tsc_hz();
	f->tbl = rte_ip_frag_table_create(FRAG_BUCKETS, FRAG_BUCKET_ENTRIES, DP_FRAG_TBL_ENTRIES,
					  f->hz * DP_FRAG_TIMEOUT_MS / 1000, socket);
	if (!f->tbl)
		return -ENOMEM;
	f->icmp_tokens = f->hz / DP_FRAG_ICMP_PER_SEC * DP_FRAG_ICMP_BURST;
	f->icmp_last = rte_rdtsc();
	return 0;
}

void dp_frag_fini(struct dp_frag *f)
{
	if (!f->tbl)
		return;
	rte_ip_frag_free_death_row(&f->dr, 0);
	rte_ip_frag_table_destroy(f->tbl);
	f->tbl = NULL;
}

static inline void count(uint64_t *ctr, uint64_t n)
{
	if (n)
		dp_counter_add(ctr, n);
}

/* The death row must never overflow: the library appends to it without checking. */
static void dr_flush(struct dp_frag *f, uint32_t room)
{
	if (f->dr.cnt + room > RTE_IP_FRAG_DEATH_ROW_MBUF_LEN)
		rte_ip_frag_free_death_row(&f->dr, 0);
}

void dp_frag_tick(struct dp_frag *f, uint64_t now, uint64_t *drops)
{
	uint32_t before;

	if (now < f->next_expire)
		return;
	f->next_expire = now + f->hz / 10;
	rte_ip_frag_free_death_row(&f->dr, 0);
	before = f->dr.cnt;
	rte_ip_frag_table_del_expired_entries(f->tbl, &f->dr, now);
	count(&drops[DP_DROP_FRAG_TIMEOUT], f->dr.cnt - before);
	rte_ip_frag_free_death_row(&f->dr, 0);
}

/* One segment again: the ESP engine does not chase chains. NULL when it cannot fit. */
static struct rte_mbuf *linearize(struct rte_mbuf *m)
{
	struct rte_mbuf *n;

	if (m->nb_segs == 1)
		return m;
	if (rte_pktmbuf_linearize(m) == 0)
		return m;
	n = rte_pktmbuf_alloc(m->pool);
	if (!n)
		return NULL;
	if (rte_pktmbuf_tailroom(n) < m->pkt_len) {
		rte_pktmbuf_free(n);
		return NULL;
	}
	rte_pktmbuf_append(n, (uint16_t)m->pkt_len);
	rte_pktmbuf_read(m, 0, m->pkt_len, rte_pktmbuf_mtod(n, void *));
	n->port = m->port;
	rte_pktmbuf_free(m);
	return n;
}

/* "192.0.2.1" / "2001:db8::1": the source of the IP packet at @ip, for logs. */
static const char *src_str(const uint8_t *ip, char *buf, size_t len)
{
	if (!inet_ntop(ip[0] >> 4 == 4 ? AF_INET : AF_INET6, ip[0] >> 4 == 4 ? ip + 12 : ip + 8,
		       buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* Is the reassembled datagram @m (IP header @ip, in the first segment) for the ESP engine? As
 * classify_outside() (worker.c) decides: ESP, or UDP to 4500 that is neither IKE (non-ESP
 * marker) nor shorter than an ESP header (NAT-T keepalive). Everything else is for the
 * kernel. */
static bool esp_bound(const struct rte_mbuf *m, const uint8_t *ip)
{
	uint32_t l4 = ETH_HLEN + (ip[0] >> 4 == 4 ? (ip[0] & 0xfu) * 4 : 40u);
	uint8_t proto = ip[0] >> 4 == 4 ? ip[9] : ip[6], buf[12];
	const uint8_t *u;

	if (proto == IPPROTO_ESP)
		return true;
	if (proto != IPPROTO_UDP)
		return false;
	u = rte_pktmbuf_read(m, l4, sizeof(buf), buf);   /* may span segments */
	if (!u || be16toh_p(u + 2) != 4500 || be16toh_p(u + 4) < 16)
		return false;
	return (u[8] | u[9] | u[10] | u[11]) != 0;
}

struct rte_mbuf *dp_frag_reass_outer(struct dp_frag *f, struct rte_mbuf *m, uint64_t now,
				     uint64_t *drops, bool *for_kernel)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, ETH_HLEN);
	uint32_t avail = rte_pktmbuf_data_len(m) - ETH_HLEN, len, before;
	struct rte_mbuf *whole, *lin;
	char src[INET6_ADDRSTRLEN];

	*for_kernel = false;
	/* classify_outside() checked the IP header is there; the fragment header too. */
	if (m->nb_segs != 1 || (ip[0] >> 4 == 6 && avail < 48))
		goto bad;
	dr_flush(f, RTE_LIBRTE_IP_FRAG_MAX_FRAG + 1);
	m->l2_len = ETH_HLEN;
	before = f->dr.cnt;
	if (ip[0] >> 4 == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		len = rte_be_to_cpu_16(h->total_length);
		m->l3_len = (uint64_t)(ip[0] & 0xf) * 4;
		/* A fragment ending beyond 65535 bytes: DPDK 22.11 would truncate the datagram's
		 * length field. */
		if (len > avail || len <= m->l3_len ||
		    (uint32_t)(be16toh_p(ip + 6) & 0x1fff) * 8 + len > UINT16_MAX)
			goto bad;
		rte_pktmbuf_trim(m, (uint16_t)(avail - len));   /* Ethernet padding */
		whole = rte_ipv4_frag_reassemble_packet(f->tbl, &f->dr, m, now, h);
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;

		len = rte_be_to_cpu_16(h->payload_len) + 40u;
		m->l3_len = 48;
		if (len > avail || len <= 48 ||
		    (uint32_t)(be16toh_p(ip + 42) & 0xfff8) + len - 48 > UINT16_MAX)
			goto bad;
		rte_pktmbuf_trim(m, (uint16_t)(avail - len));
		whole = rte_ipv6_frag_reassemble_packet(f->tbl, &f->dr, m, now, h,
							(struct rte_ipv6_fragment_ext *)(h + 1));
	}
	/* Rejected fragments (table full, too many or inconsistent fragments, stale datagrams
	 * pushed out) went to the death row. */
	count(&drops[DP_DROP_REASSEMBLY_FAILED], f->dr.cnt - before);
	if (!whole)
		return NULL;
	/* The first fragment's mbuf leads, with the Ethernet and IP headers; the others follow
	 * with their headers cut off. */
	whole->ol_flags = 0;
	ip = rte_pktmbuf_mtod_offset(whole, uint8_t *, ETH_HLEN);
	len = ip[0] >> 4 == 4 ? be16toh_p(ip + 2) : be16toh_p(ip + 4) + 40u;
	if (len + ETH_HLEN != whole->pkt_len) {
		RP_LOG_RL(RP_LOG_NOTICE, "frag", "reassembled datagram from %s: %u bytes, its IP "
			  "header says %u: dropped (reassembly_failed)", src_str(ip, src, sizeof(src)),
			  whole->pkt_len - ETH_HLEN, len);
		dp_counter_add(&drops[DP_DROP_REASSEMBLY_FAILED], 1);
		rte_pktmbuf_free(whole);
		return NULL;
	}
	if (ip[0] >> 4 == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);
	}
	dp_counter_add(&f->reassembled, 1);
	if (!esp_bound(whole, ip)) {
		/* IKE and the like: the exception path takes chains, and cuts them again where
		 * the kernel interface's MTU wants it. */
		if (whole->nb_segs > 1) {
			dp_counter_add(&f->kernel_chains, 1);
			RP_DEBUG("frag", "reassembled %u-byte datagram from %s for the kernel: %u "
				 "segments", len, src_str(ip, src, sizeof(src)), whole->nb_segs);
		}
		*for_kernel = true;
		return whole;
	}
	lin = linearize(whole);
	if (!lin) {
		RP_LOG_RL(RP_LOG_NOTICE, "frag", "reassembled ESP datagram from %s (%u-byte frame) does "
			  "not fit one mbuf (%u bytes of data room): dropped (reassembled_too_big); "
			  "raise dataplane.mbuf_data_room", src_str(ip, src, sizeof(src)),
			  whole->pkt_len,
			  rte_pktmbuf_data_room_size(whole->pool) - RTE_PKTMBUF_HEADROOM);
		dp_counter_add(&drops[DP_DROP_REASSEMBLED_TOO_BIG], 1);
		rte_pktmbuf_free(whole);
		return NULL;
	}
	return lin;
bad:
	dp_counter_add(&drops[DP_DROP_REASSEMBLY_FAILED], 1);
	rte_pktmbuf_free(m);
	return NULL;
}

/* ---- outbound ----------------------------------------------------------------------------- */

static bool icmp_token(struct dp_frag *f)
{
	uint64_t now = rte_rdtsc(), per = f->hz / DP_FRAG_ICMP_PER_SEC, cap = per * DP_FRAG_ICMP_BURST;

	f->icmp_tokens += now - f->icmp_last;
	f->icmp_last = now;
	if (f->icmp_tokens > cap)
		f->icmp_tokens = cap;
	if (f->icmp_tokens < per) {
		dp_counter_add(&f->icmp_limited, 1);
		return false;
	}
	f->icmp_tokens -= per;
	return true;
}

/* Is an ICMP error owed for @ip (RFC 1812 4.3.2.7, RFC 4443 2.4 (e))? */
static bool icmp_owed(const uint8_t *ip, uint32_t len, uint8_t af)
{
	if (af == 4) {
		uint32_t ihl = (ip[0] & 0xfu) * 4;

		if (ip[12] == 0 || ip[12] >= 224 || ip[16] >= 224 || (be16toh_p(ip + 6) & 0x1fff))
			return false;
		if (ip[9] == PROTO_ICMP && len > ihl) {
			uint8_t t = ip[ihl];

			if (t != 0 && t != 8 && t != 13 && t != 14)   /* errors and the like */
				return false;
		}
		return true;
	}
	if (ip[8] == 0xff || ip[24] == 0xff)
		return false;
	if (ip[6] == PROTO_ICMPV6 && len > 40 && ip[40] < 128)
		return false;
	for (int i = 8; i < 24; i++)
		if (ip[i])
			return true;
	return false;   /* unspecified source */
}

static struct rte_mbuf *icmp_build(struct rte_mbuf *m, const uint8_t *ip, uint32_t len,
				   uint8_t af, const struct dp_sa *sa, uint32_t mtu)
{
	struct rte_mbuf *r = rte_pktmbuf_alloc(m->pool);
	uint32_t hl = af == 4 ? 20 + 8 : 40 + 8, quote, total;
	uint8_t *o;

	if (!r)
		return NULL;
	quote = RTE_MIN(len, (af == 4 ? ICMP4_MAX : ICMP6_MAX) - hl);
	total = hl + quote;
	if (rte_pktmbuf_tailroom(r) < total) {
		rte_pktmbuf_free(r);
		return NULL;
	}
	o = (uint8_t *)rte_pktmbuf_append(r, (uint16_t)total);
	memset(o, 0, hl);
	memcpy(o + hl, ip, quote);
	r->port = m->port;
	if (af == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)o;
		uint16_t ck;

		h->version_ihl = 0x45;
		h->total_length = rte_cpu_to_be_16((uint16_t)total);
		h->time_to_live = 64;
		h->next_proto_id = PROTO_ICMP;
		/* From the concentrator's outer address when it has one of this family, else
		 * from the address the packet was sent to. */
		memcpy(&h->src_addr, sa->outer_af == 4 ? sa->local : ip + 16, 4);
		memcpy(&h->dst_addr, ip + 12, 4);
		h->hdr_checksum = rte_ipv4_cksum(h);
		o[20] = 3;
		o[21] = 4;
		o[26] = (uint8_t)(mtu >> 8);
		o[27] = (uint8_t)mtu;
		ck = (uint16_t)~rte_raw_cksum(o + 20, total - 20);
		memcpy(o + 22, &ck, 2);
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)o;

		h->vtc_flow = rte_cpu_to_be_32(6u << 28);
		h->payload_len = rte_cpu_to_be_16((uint16_t)(total - 40));
		h->proto = PROTO_ICMPV6;
		h->hop_limits = 64;
		memcpy(h->src_addr, sa->outer_af == 6 ? sa->local : ip + 24, 16);
		memcpy(h->dst_addr, ip + 8, 16);
		o[40] = 2;
		o[44] = (uint8_t)(mtu >> 24);
		o[45] = (uint8_t)(mtu >> 16);
		o[46] = (uint8_t)(mtu >> 8);
		o[47] = (uint8_t)mtu;
		{
			uint16_t ck = rte_ipv6_udptcp_cksum(h, o + 40);

			memcpy(o + 42, &ck, 2);
		}
	}
	return r;
}

enum dp_frag_verdict dp_frag_outbound(struct dp_frag *f, struct rte_mbuf *m,
				      const struct dp_sa *sa, uint32_t mtu,
				      struct rte_mbuf **out, uint16_t *n_out,
				      struct rte_mbuf **icmp, enum dp_drop_reason *drop)
{
	const struct esp_sa *es = &sa->esp;
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t dl = rte_pktmbuf_data_len(m), len, avail, inner_max;
	uint8_t af;

	*icmp = NULL;
	*n_out = 0;
	if (!mtu || m->nb_segs != 1 || dl < 20)
		return DP_FRAG_PASS;
	af = ip[0] >> 4 == 4 ? 4 : 6;
	if (af == 4) {
		len = be16toh_p(ip + 2);
	} else {
		if (dl < 40)
			return DP_FRAG_PASS;
		len = be16toh_p(ip + 4) + 40u;
	}
	if (len > dl)
		return DP_FRAG_PASS;   /* malformed: the engine says so */
	if ((uint32_t)es->hdr_len + es->icv_len + es->pad_align >= mtu)
		return DP_FRAG_PASS;   /* nothing would fit: leave it to the next hop */
	avail = mtu - es->hdr_len - es->icv_len;
	inner_max = avail / es->pad_align * es->pad_align - 2;
	if (len <= inner_max)
		return DP_FRAG_PASS;

	if (af == 4 && !(be16toh_p(ip + 6) & 0x4000)) {
		uint32_t ihl = (ip[0] & 0xfu) * 4;
		uint16_t fmtu = (uint16_t)(ihl + ((inner_max - ihl) & ~7u));
		struct rte_mbuf *tmp[DP_FRAG_OUT_MAX];
		int32_t n;

		if (inner_max < ihl + 8) {
			*drop = DP_DROP_FRAG_FAILED;
			return DP_FRAG_DROP;
		}
		rte_pktmbuf_trim(m, (uint16_t)(dl - len));
		n = rte_ipv4_fragment_packet(m, tmp, DP_FRAG_OUT_MAX, fmtu, m->pool, m->pool);
		if (n <= 0) {
			*drop = DP_DROP_FRAG_FAILED;
			return DP_FRAG_DROP;
		}
		for (int32_t i = 0; i < n; i++) {
			struct rte_mbuf *l = linearize(tmp[i]);
			struct rte_ipv4_hdr *h;

			if (!l) {
				rte_pktmbuf_free(tmp[i]);
				for (int32_t j = i + 1; j < n; j++)
					rte_pktmbuf_free(tmp[j]);
				rte_pktmbuf_free_bulk(out, *n_out);
				*n_out = 0;
				*drop = DP_DROP_FRAG_FAILED;
				return DP_FRAG_DROP;
			}
			l->port = m->port;
			h = rte_pktmbuf_mtod(l, struct rte_ipv4_hdr *);
			h->hdr_checksum = 0;
			h->hdr_checksum = rte_ipv4_cksum(h);
			out[(*n_out)++] = l;
		}
		rte_pktmbuf_free(m);
		dp_counter_add(&f->fragmented, 1);
		dp_counter_add(&f->fragments, (uint64_t)n);
		return DP_FRAG_SPLIT;
	}
	if (af == 6) {
		/* Every IPv6 link carries 1280 bytes (RFC 8200 section 5): smaller packets go
		 * through as they are, and the MTU reported is never below that. */
		if (len <= IPV6_MIN_MTU)
			return DP_FRAG_PASS;
		inner_max = RTE_MAX(inner_max, (uint32_t)IPV6_MIN_MTU);
	}
	*drop = DP_DROP_TOO_BIG;
	if (icmp_owed(ip, len, af) && icmp_token(f)) {
		*icmp = icmp_build(m, ip, len, af, sa, inner_max);
		if (*icmp)
			dp_counter_add(&f->icmp_sent, 1);
	}
	return DP_FRAG_DROP;
}

/* IPv6 fragment identifications of this lcore (RFC 8200 section 4.5: unique per source and
 * destination while the fragments may live; the kernel keys reassembly on them). */
static __thread uint32_t frag6_id;

uint16_t dp_frag_for_kernel(struct rte_mbuf *m, uint16_t mtu, struct rte_mbuf **out,
			    uint16_t max)
{
	struct rte_ether_hdr eth;
	const uint8_t *ip;
	const char *why;
	uint32_t hl, len, frame = m->pkt_len, per, need;
	uint16_t port = m->port, segs = m->nb_segs;
	char src[INET6_ADDRSTRLEN] = "?";
	int32_t n;
	uint8_t v;

	/* The IP header must be in the first segment: the library reads it there. */
	if (rte_pktmbuf_data_len(m) < ETH_HLEN + 20) {
		why = "runt";
		goto drop;
	}
	ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, ETH_HLEN);
	v = ip[0] >> 4;
	if (v == 4) {
		hl = (ip[0] & 0xfu) * 4;
		len = be16toh_p(ip + 2);
	} else if (v == 6) {
		hl = 40;
		len = rte_pktmbuf_data_len(m) >= ETH_HLEN + 40 ? be16toh_p(ip + 4) + 40u : 0;
	} else {
		why = "not IP";
		goto drop;
	}
	if (hl < 20 || rte_pktmbuf_data_len(m) < ETH_HLEN + hl) {
		why = "IP header not in the first segment";
		goto drop;
	}
	src_str(ip, src, sizeof(src));
	if (len <= hl || len > m->pkt_len - ETH_HLEN) {
		why = "IP length field disagrees with the frame";
		goto drop;
	}
	if (len < m->pkt_len - ETH_HLEN &&
	    rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - ETH_HLEN - len)) != 0) {
		why = "padding beyond the last segment";
		goto drop;
	}
	if (v == 4 && (be16toh_p(ip + 6) & 0x4000)) {
		why = "DF set";
		goto drop;
	}
	if (mtu < (v == 4 ? 576 : IPV6_MIN_MTU)) {
		why = "exception port MTU below the minimum";
		goto drop;
	}
	per = v == 4 ? (mtu - hl) & ~7u : (mtu - 48u) & ~7u;
	need = (len - hl + per - 1) / per;
	if (need > max) {
		why = "too many fragments";
		goto drop;
	}
	memcpy(&eth, rte_pktmbuf_mtod(m, void *), sizeof(eth));
	rte_pktmbuf_adj(m, ETH_HLEN);
	m->l2_len = 0;
	/* Fragment headers are direct mbufs of the same pool; the payload, from as many
	 * segments as @m has, is attached to them (indirect), not copied. */
	if (v == 4)
		n = rte_ipv4_fragment_packet(m, out, max, mtu, m->pool, m->pool);
	else
		n = rte_ipv6_fragment_packet(m, out, max, mtu, m->pool, m->pool);
	rte_pktmbuf_free(m); /* the fragments hold their own references to its data */
	if (n <= 0) {
		RP_LOG_RL(RP_LOG_NOTICE, "frag", "%u-byte frame from %s for the kernel, over the "
			  "exception port's MTU %u: not fragmented again (%s): dropped "
			  "(kernel_frag_failed)", frame, src, mtu,
			  n == -ENOMEM ? "out of mbufs" : strerror(-n));
		return 0;
	}
	if (v == 6) {
		if (!frag6_id)
			frag6_id = (uint32_t)rte_rand();
		frag6_id++;
	}
	for (int32_t i = 0; i < n; i++) {
		struct rte_ether_hdr *e = (struct rte_ether_hdr *)rte_pktmbuf_prepend(out[i],
										    ETH_HLEN);

		if (!e) {
			for (int32_t j = 0; j < n; j++)
				rte_pktmbuf_free(out[j]);
			RP_LOG_RL(RP_LOG_ERR, "frag", "bug: no headroom in a fragment header mbuf: "
				  "%u-byte frame from %s for the kernel dropped (kernel_frag_failed)",
				  frame, src);
			return 0;
		}
		memcpy(e, &eth, sizeof(eth));
		out[i]->port = port;   /* the port it entered by, for the counters */
		out[i]->l2_len = ETH_HLEN;
		out[i]->ol_flags = 0;
		if (v == 4) {
			struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)(e + 1);

			h->hdr_checksum = 0;
			h->hdr_checksum = rte_ipv4_cksum(h);
		} else {
			struct rte_ipv6_fragment_ext *fh =
				(struct rte_ipv6_fragment_ext *)((struct rte_ipv6_hdr *)(e + 1) + 1);

			fh->id = rte_cpu_to_be_32(frag6_id);
		}
	}
	RP_DEBUG("frag", "%u-byte frame from %s (%u segments) for the kernel: %d fragments of "
		 "at most %u bytes", frame, src, segs, n, mtu);
	return (uint16_t)n;
drop:
	RP_LOG_RL(RP_LOG_NOTICE, "frag", "%u-byte frame from %s for the kernel, over the exception "
		  "port's MTU %u: not fragmented again (%s): dropped (kernel_frag_failed)", frame,
		  src, mtu, why);
	rte_pktmbuf_free(m);
	return 0;
}
