/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Inbound ESP: replay pre-check, decrypt + verify, replay update, trailer, decapsulation. */
#include "dataplane/esp/esp_priv.h"

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

struct in_pkt {
	uint8_t *esp;     /* ESP header */
	uint32_t off;     /* ESP header offset from the outer IP header */
	uint32_t ct_len;  /* bytes between IV and ICV */
	uint64_t seq;     /* full sequence number (inferred high half with ESN) */
};

/* Constant time over the ICV length: no early exit on the first differing byte. ICVs are
 * 12, 16, 24 or 32 bytes: compared 4 bytes at a time, any tail byte by byte. */
static inline bool icv_equal(const uint8_t *a, const uint8_t *b, unsigned int n)
{
	uint32_t d = 0;
	unsigned int i = 0;

	for (; i + 4 <= n; i += 4) {
		uint32_t x, y;

		memcpy(&x, a + i, 4);
		memcpy(&y, b + i, 4);
		d |= x ^ y;
	}
	for (; i < n; i++)
		d |= (uint32_t)(a[i] ^ b[i]);
	__asm__ volatile("" : "+r"(d));
	return d == 0;
}

/* Outer header, lengths, SPI, replay pre-check. Returns 0 or a drop reason + 1. */
static unsigned int in_prepare(struct esp_sa *sa, struct rte_mbuf *m, struct in_pkt *ip,
			       struct esp_scratch *sc)
{
	bool v6 = sa->flags & ESP_SAF_OUTER_V6, natt = sa->flags & ESP_SAF_NATT;
	bool esn = sa->flags & ESP_SAF_ESN;
	uint32_t len, ihl, tot, off, esp_len, min, ct_len;
	uint8_t *p, *esp, proto, ver;
	uint64_t s64;

	if (!rte_pktmbuf_is_contiguous(m))
		return ESP_DROP_SEGMENTED + 1;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	len = m->data_len;
	if (len < 20)
		return ESP_DROP_OUTER_MALFORMED + 1;
	ver = p[0] >> 4;
	if (ver != (v6 ? 6 : 4))
		return (ver == 4 || ver == 6 ? ESP_DROP_ENCAP_MISMATCH : ESP_DROP_OUTER_MALFORMED) + 1;
	if (!v6) {
		uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

		ihl = (p[0] & 0xfu) * 4;
		tot = get_be16(p + 2);
		if (ihl < 20 || tot < ihl || tot > len)
			return ESP_DROP_OUTER_MALFORMED + 1;
		if (get_be16(p + 6) & 0x3fff) /* MF or fragment offset */
			return ESP_DROP_OUTER_FRAGMENT + 1;
		if (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
		    (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && rte_raw_cksum(p, ihl) != 0xffff))
			return ESP_DROP_OUTER_BAD_CHECKSUM + 1;
		proto = p[9];
	} else {
		if (len < 40)
			return ESP_DROP_OUTER_MALFORMED + 1;
		ihl = 40;
		tot = 40u + get_be16(p + 4);
		if (tot > len)
			return ESP_DROP_OUTER_MALFORMED + 1;
		proto = p[6];
	}
	if (proto == IPPROTO_ESP) {
		if (natt)
			return ESP_DROP_ENCAP_MISMATCH + 1;
		off = ihl;
	} else if (proto == IPPROTO_UDP) {
		if (!natt)
			return ESP_DROP_ENCAP_MISMATCH + 1;
		/* RFC 3948: the UDP checksum is not verified, ESP's ICV covers the payload. */
		if (tot < ihl + 8 || get_be16(p + ihl + 4) != tot - ihl)
			return ESP_DROP_OUTER_MALFORMED + 1;
		off = ihl + 8;
	} else {
		return ESP_DROP_OUTER_MALFORMED + 1; /* includes IPv6 extension headers */
	}

	esp_len = tot - off;
	min = ESP_HDR_LEN + sa->iv_len + sa->icv_len +
	      (sa->pad_align == 16 ? 16u : (unsigned int)ESP_TRAILER_LEN);
	if (esp_len < min)
		return ESP_DROP_BAD_LENGTH + 1;
	ct_len = esp_len - ESP_HDR_LEN - sa->iv_len - sa->icv_len;
	if (sa->pad_align == 16 && ct_len % 16)
		return ESP_DROP_BAD_LENGTH + 1;
	esp = p + off;
	if (memcmp(esp, &sa->spi, 4) != 0)
		return ESP_DROP_SPI_MISMATCH + 1;

	/* RFC 4303 section 3.4.3: the replay check comes before the ICV. */
	if (sa->flags & ESP_SAF_NO_REPLAY) {
		s64 = esp_replay_infer(&sa->replay, get_be32(esp + 4), esn);
	} else {
		switch (esp_replay_check(&sa->replay, get_be32(esp + 4), esn, &s64)) {
		case ESP_REPLAY_OK:
			break;
		case ESP_REPLAY_DUPLICATE:
			return ESP_DROP_REPLAY_DUPLICATE + 1;
		case ESP_REPLAY_ZERO:
			return ESP_DROP_SEQ_ZERO + 1;
		default:
			return ESP_DROP_REPLAY_TOO_OLD + 1;
		}
	}
	if (esp_sa_hard_reached(sa))
		return ESP_DROP_SA_HARD_LIMIT + 1;
	if (tot < len) /* link-layer padding after the outer packet */
		rte_pktmbuf_trim(m, (uint16_t)(len - tot));

	if (sa->alg == ESP_ALG_GCM || sa->alg == ESP_ALG_CHACHA) {
		memcpy(sc->nonce, sa->salt, 4);
		memcpy(sc->nonce + 4, esp + ESP_HDR_LEN, 8);
		if (esn) {
			memcpy(sc->aad, esp, 4);
			put_be64(sc->aad + 4, s64);
		}
	} else if (esn && (sa->flags & ESP_SAF_HMAC)) {
		/* RFC 4303 section 2.2.1: hash seq hi after the payload, where the ICV is. */
		uint8_t *icv = esp + ESP_HDR_LEN + sa->iv_len + ct_len;

		memcpy(sc->icv_rx, icv, sa->icv_len);
		put_be32(icv, (uint32_t)(s64 >> 32));
	}
	ip->esp = esp;
	ip->off = off;
	ip->ct_len = ct_len;
	ip->seq = s64;
	return 0;
}

/* After the ICV: replay update, trailer, inner header, selectors, strip. */
static unsigned int in_finish(struct esp_sa *sa, struct rte_mbuf *m, const struct in_pkt *ip,
			      const struct esp_scratch *sc, uint32_t *inner_len)
{
	bool esn = sa->flags & ESP_SAF_ESN;
	uint8_t *ct = ip->esp + ESP_HDR_LEN + sa->iv_len;
	const uint8_t *rx_icv = (esn && (sa->flags & ESP_SAF_HMAC)) ? sc->icv_rx :
				ct + ip->ct_len;
	uint32_t pad, ilen, tot;
	uint8_t nh;

	if (!icv_equal(rx_icv, sc->icv, sa->icv_len))
		return ESP_DROP_AUTH_FAILED + 1;
	if (!(sa->flags & ESP_SAF_NO_REPLAY)) {
		/* Again: an earlier packet of this burst may have taken the same number. */
		uint64_t s2;
		enum esp_replay_verdict v = esp_replay_check(&sa->replay, (uint32_t)ip->seq, esn,
							     &s2);

		if (v == ESP_REPLAY_DUPLICATE && s2 == ip->seq)
			return ESP_DROP_REPLAY_DUPLICATE + 1;
		if (v != ESP_REPLAY_OK || s2 != ip->seq)
			return ESP_DROP_REPLAY_TOO_OLD + 1;
	}
	/* Authentic: record it, whatever its contents (RFC 4303 section 3.4.3); without
	 * anti-replay only the highest number seen, for ESN inference and reporting. */
	if (sa->flags & ESP_SAF_NO_REPLAY)
		esp_replay_advance(&sa->replay, ip->seq);
	else
		esp_replay_update(&sa->replay, ip->seq);

	/* RFC 4303 section 2.4-2.6: trailer. */
	pad = ct[ip->ct_len - 2];
	nh = ct[ip->ct_len - 1];
	if (pad + ESP_TRAILER_LEN > ip->ct_len)
		return ESP_DROP_BAD_PAD_LENGTH + 1;
	ilen = ip->ct_len - ESP_TRAILER_LEN - pad;
	for (uint32_t k = 0; k < pad; k++)
		if (ct[ilen + k] != (uint8_t)(k + 1))
			return ESP_DROP_BAD_PADDING + 1;
	if (nh == ESP_NH_NONE)
		return ESP_DROP_DUMMY_PACKET + 1;
	if (nh == ESP_NH_IPV4) {
		uint32_t ihl = (ct[0] & 0xfu) * 4;

		if (ilen < 20 || ct[0] >> 4 != 4 || ihl < 20)
			return ESP_DROP_INNER_MALFORMED + 1;
		tot = get_be16(ct + 2);
		if (tot < ihl || tot > ilen) /* shorter: TFC padding (RFC 4303 section 2.7) */
			return ESP_DROP_INNER_MALFORMED + 1;
	} else if (nh == ESP_NH_IPV6) {
		if (ilen < 40 || ct[0] >> 4 != 6)
			return ESP_DROP_INNER_MALFORMED + 1;
		tot = 40u + get_be16(ct + 4);
		if (tot > ilen)
			return ESP_DROP_INNER_MALFORMED + 1;
	} else {
		return ESP_DROP_BAD_NEXT_HEADER + 1;
	}
	if (!esp_ts_match(sa, ct, nh == ESP_NH_IPV4 ? 4 : 6))
		return ESP_DROP_TS_MISMATCH + 1;

	rte_pktmbuf_adj(m, (uint16_t)(ip->off + ESP_HDR_LEN + sa->iv_len));
	rte_pktmbuf_trim(m, (uint16_t)(m->data_len - tot));
	m->packet_type = nh == ESP_NH_IPV4 ? RTE_PTYPE_L3_IPV4 : RTE_PTYPE_L3_IPV6;
	m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
	*inner_len = tot;
	return 0;
}

/* Packets between the replay-word prefetch and the replay check. */
#define REPLAY_AHEAD 4

/*
 * Start loading the replay bitmap word of the packet's sequence number. The packet's header
 * and the SA's line 0 and replay state were prefetched a stage earlier; this is only a
 * hint: a packet too short or not shaped as the SA expects is checked by in_prepare().
 */
static inline void replay_prefetch(const struct esp_sa *sa, const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t off;

	if (m->data_len < 20 || (sa->flags & ESP_SAF_NO_REPLAY))
		return;
	off = (p[0] >> 4) == 6 ? 40u : (p[0] & 0xfu) * 4u;
	if (sa->flags & ESP_SAF_NATT)
		off += 8;
	if (off + ESP_HDR_LEN <= m->data_len)
		esp_replay_prefetch(&sa->replay, get_be32(p + off + 4));
}

static uint16_t inbound_slice(IMB_MGR *mgr, struct rte_mbuf **ms, struct esp_sa **ss,
			      unsigned int n, struct rte_mbuf **good, struct esp_sa **good_sas,
			      struct rte_mbuf **dropped, uint8_t *reasons, uint16_t *nd)
{
	struct in_pkt ip[ESP_BURST_MAX];
	struct esp_scratch sc[ESP_BURST_MAX];
	IMB_JOB *jobs[ESP_BURST_MAX];
	uint8_t idx[ESP_BURST_MAX], done[ESP_BURST_MAX], ord[ESP_BURST_MAX];
	uint16_t len[ESP_BURST_MAX];
	unsigned int nj = 0, got;
	uint16_t ng = 0;
	bool lanes = false;

	/* Stage 0: start loading packet headers and SAs (the worker has usually done so
	 * already, a stage earlier). */
	for (unsigned int i = 0; i < n; i++) {
		rte_prefetch0(rte_pktmbuf_mtod(ms[i], void *));
		if (!i || ss[i] != ss[i - 1])
			esp_sa_prefetch_in(ss[i]);
	}
	/* Stage 1: parse, lengths, replay pre-check. A few packets ahead, the replay bitmap
	 * word of that packet's sequence number; behind, each good packet's keys for stage 2
	 * (once per run of one SA's packets). */
	for (unsigned int i = 0; i < RTE_MIN(n, (unsigned int)REPLAY_AHEAD); i++)
		replay_prefetch(ss[i], ms[i]);
	for (unsigned int i = 0, last = n; i < n; i++) {
		unsigned int r;

		if (i + REPLAY_AHEAD < n)
			replay_prefetch(ss[i + REPLAY_AHEAD], ms[i + REPLAY_AHEAD]);
		r = in_prepare(ss[i], ms[i], &ip[nj], &sc[nj]);
		if (r) {
			esp_drop(ss[i], ms[i], (uint8_t)(r - 1), dropped, reasons, nd);
			continue;
		}
		if (last == n || ss[i] != ss[last]) {
			esp_sa_prefetch_keys(ss[i], false);
			lanes |= !!(ss[i]->flags & ESP_SAF_LANES);
		}
		last = i;
		len[nj] = (uint16_t)ip[nj].ct_len;
		idx[nj++] = (uint8_t)i;
	}
	/* Stage 2: decrypt and compute ICVs, one burst; multi-buffer jobs longest first. */
	got = esp_get_jobs(mgr, jobs, nj);
	if (lanes)
		esp_job_order(len, got, ord);
	for (unsigned int k = 0; k < got; k++) {
		unsigned int j = lanes ? ord[k] : k;
		struct esp_sa *sa = ss[idx[j]];
		bool esn = sa->flags & ESP_SAF_ESN;
		uint32_t extra = (esn && (sa->flags & ESP_SAF_HMAC)) ? 4 : 0;

		esp_job_fill(jobs[k], sa, ip[j].esp, ip[j].ct_len, extra, sc[j].icv,
			     esn ? sc[j].aad : ip[j].esp, &sc[j], false, j);
	}
	memset(done, 0, nj);
	esp_run_jobs(mgr, jobs, got, done);
	/* Stage 3: verify, in arrival order (the replay window sees them in order). */
	for (unsigned int j = 0; j < nj; j++) {
		struct rte_mbuf *m = ms[idx[j]];
		struct esp_sa *sa = ss[idx[j]];
		uint32_t ilen = 0;
		/* the hard limit again, exact: stage 1 let a whole burst of one SA past it */
		unsigned int r = !done[j] ? ESP_DROP_CRYPTO_ERROR + 1 :
				 esp_sa_hard_reached(sa) ? ESP_DROP_SA_HARD_LIMIT + 1 :
				 in_finish(sa, m, &ip[j], &sc[j], &ilen);

		if (r) {
			esp_drop(sa, m, (uint8_t)(r - 1), dropped, reasons, nd);
			continue;
		}
		esp_ctr_add(&sa->ctr.packets, 1);
		esp_ctr_add(&sa->ctr.bytes, ilen);
		good[ng] = m;
		good_sas[ng] = sa;
		ng++;
	}
	return ng;
}

uint16_t esp_inbound_burst(IMB_MGR *mgr, struct rte_mbuf **pkts, struct esp_sa **sas,
			   uint16_t n, struct rte_mbuf **dropped, uint8_t *reasons,
			   uint16_t *n_dropped)
{
	return esp_burst_sliced(mgr, pkts, sas, n, dropped, reasons, n_dropped, inbound_slice);
}
