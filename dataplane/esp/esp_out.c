/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Outbound ESP: tunnel-mode encapsulation (RFC 4303), UDP encapsulation (RFC 3948). */
#include "dataplane/esp/esp_priv.h"

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

/* What stage 1 learned about a packet, for the later stages. */
struct out_pkt {
	uint8_t *esp;      /* ESP header */
	uint32_t ct_len;   /* payload + padding + pad length + next header */
	uint32_t inner_len;
	uint64_t seq;
};

/* Checked inner header: 4 or 41 as next header, its DSCP/ECN byte and DF. 0 = malformed. */
static uint8_t inner_check(struct rte_mbuf *m, uint8_t *tos, bool *df)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len, tot, ihl;
	uint8_t nh;

	if (len < 20)
		return 0;
	switch (p[0] >> 4) {
	case 4:
		ihl = (p[0] & 0xfu) * 4;
		tot = get_be16(p + 2);
		if (ihl < 20 || tot < ihl || tot > len)
			return 0;
		*tos = p[1];
		*df = p[6] & 0x40;
		nh = ESP_NH_IPV4;
		break;
	case 6:
		if (len < 40)
			return 0;
		tot = 40u + get_be16(p + 4);
		if (tot > len)
			return 0;
		*tos = (uint8_t)(get_be16(p) >> 4);
		*df = false;
		nh = ESP_NH_IPV6;
		break;
	default:
		return 0;
	}
	if (tot < len) /* e.g. Ethernet minimum-frame padding */
		rte_pktmbuf_trim(m, (uint16_t)(len - tot));
	return nh;
}

/* CBC IV: AES-128 under the SA's IV key of (seq || 0), see sa.h. */
static void cbc_iv(IMB_MGR *mgr, const struct esp_sa *sa, uint64_t seq, uint8_t *iv)
{
	static const uint8_t zero[16];
	uint8_t blk[16] = { 0 };

	put_be64(blk, seq);
	IMB_AES128_CFB_ONE(mgr, iv, zero, blk, sa->iv_key, 16);
}

static uint16_t ip_cksum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* UDP checksum over IPv6 (RFC 8200 section 8.1): pseudo header + UDP header + payload. */
static void udp6_cksum(uint8_t *ip6, uint32_t udp_len)
{
	uint8_t *udp = ip6 + 40;
	uint32_t sum;
	uint16_t ck;

	put_be16(udp + 6, 0);
	/* rte_raw_cksum() adds 16-bit words as loaded (host order); add the big-endian
	 * pseudo-header fields the same way, and store the result as it comes. */
	sum = rte_raw_cksum(ip6 + 8, 32);
	sum += rte_cpu_to_be_16((uint16_t)(udp_len >> 16));
	sum += rte_cpu_to_be_16((uint16_t)udp_len);
	sum += rte_cpu_to_be_16(IPPROTO_UDP);
	sum += rte_raw_cksum(udp, udp_len);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ck = (uint16_t)~sum;
	if (ck == 0)
		ck = 0xffff;
	memcpy(udp + 6, &ck, 2);
}

/* Build headers and trailer of one packet. Returns 0 or a drop reason + 1. */
static unsigned int out_prepare(IMB_MGR *mgr, struct esp_sa *sa, struct rte_mbuf *m,
				struct out_pkt *op, struct esp_scratch *sc)
{
	uint8_t tos = 0, nh, *p, *o, *esp, *iv;
	uint32_t len, ct_len, tail, total, ipl;
	bool df = false, raw = false;
	uint64_t seq;

#ifdef ESP_TEST_HOOKS
	raw = esp_test_hooks.raw_payload;
#endif
	if (!rte_pktmbuf_is_contiguous(m))
		return ESP_DROP_SEGMENTED + 1;
	if (raw) {
		len = m->data_len;
		if (len < ESP_TRAILER_LEN || len % sa->pad_align)
			return ESP_DROP_INNER_MALFORMED + 1;
		ct_len = len;
		nh = 0;
	} else {
		nh = inner_check(m, &tos, &df);
		if (!nh)
			return ESP_DROP_INNER_MALFORMED + 1;
		len = m->data_len;
		/* RFC 4303 section 2.4: pad so the trailer ends on the cipher's alignment. */
		ct_len = RTE_ALIGN_CEIL(len + ESP_TRAILER_LEN, sa->pad_align);
	}
	if (esp_sa_hard_reached(sa))
		return ESP_DROP_SA_HARD_LIMIT + 1;
	tail = ct_len - len + sa->icv_len;
	if (rte_pktmbuf_headroom(m) < sa->hdr_len)
		return ESP_DROP_NO_HEADROOM + 1;
	if (rte_pktmbuf_tailroom(m) < tail)
		return ESP_DROP_NO_TAILROOM + 1;
	/* RFC 4303 section 3.3.3: never cycle; without ESN the SA ends at 2^32 - 1. */
	if (sa->seq >= ((sa->flags & ESP_SAF_ESN) ? UINT64_MAX : UINT32_MAX))
		return ESP_DROP_SEQ_OVERFLOW + 1;
	seq = ++sa->seq;

	p = rte_pktmbuf_mtod(m, uint8_t *);
	rte_pktmbuf_append(m, (uint16_t)tail);
	if (!raw) {
		uint32_t pad = ct_len - len - ESP_TRAILER_LEN;

		for (uint32_t k = 0; k < pad; k++)
			p[len + k] = (uint8_t)(k + 1);
		p[len + pad] = (uint8_t)pad;
		p[len + pad + 1] = nh;
	}
	o = (uint8_t *)rte_pktmbuf_prepend(m, sa->hdr_len);
	memcpy(o, sa->tmpl, sa->outer_len);
	esp = o + sa->outer_len;
	memcpy(esp, &sa->spi, 4);
	put_be32(esp + 4, (uint32_t)seq);
	total = sa->hdr_len + ct_len + sa->icv_len;

	if (sa->flags & ESP_SAF_OUTER_V6) {
		ipl = 40;
		o[0] = (uint8_t)(0x60 | tos >> 4);
		o[1] = (uint8_t)(tos << 4);
		put_be16(o + 4, (uint16_t)(total - 40));
	} else {
		uint16_t id = sa->ip_id++;
		uint32_t sum = sa->cksum_base + tos + total + id + (df ? 0x4000 : 0);

		ipl = 20;
		o[1] = tos;
		put_be16(o + 2, (uint16_t)total);
		put_be16(o + 4, id);
		if (df)
			o[6] = 0x40;
		put_be16(o + 10, ip_cksum_fold(sum));
	}
	if (sa->flags & ESP_SAF_NATT)
		put_be16(o + ipl + 4, (uint16_t)(total - ipl));

	iv = esp + ESP_HDR_LEN;
#ifdef ESP_TEST_HOOKS
	if (esp_test_hooks.iv)
		memcpy(iv, esp_test_hooks.iv, sa->iv_len);
	else
#endif
	if (sa->alg == ESP_ALG_CBC_HMAC || sa->alg == ESP_ALG_CBC_ONLY)
		cbc_iv(mgr, sa, seq, iv);
	else if (sa->iv_len)
		put_be64(iv, seq); /* RFC 4106 section 3.1: the counter is a fine IV */

	if (sa->alg == ESP_ALG_GCM || sa->alg == ESP_ALG_CHACHA) {
		memcpy(sc->nonce, sa->salt, 4);
		memcpy(sc->nonce + 4, iv, 8);
		if (sa->flags & ESP_SAF_ESN) {
			/* RFC 4106 section 5 / RFC 7634 section 2.1: SPI || 64-bit seq */
			memcpy(sc->aad, esp, 4);
			put_be64(sc->aad + 4, seq);
		}
	} else if ((sa->flags & (ESP_SAF_ESN | ESP_SAF_HMAC)) == (ESP_SAF_ESN | ESP_SAF_HMAC)) {
		/* RFC 4303 section 2.2.1: the high half is hashed after the payload, not sent. */
		put_be32(esp + ESP_HDR_LEN + sa->iv_len + ct_len, (uint32_t)(seq >> 32));
	}
	op->esp = esp;
	op->ct_len = ct_len;
	op->inner_len = len;
	op->seq = seq;
	return 0;
}

/* Fill and run the jobs of packets ord[0..n-1] (indexes into op/sc/idx; ord NULL: 0..n-1),
 * one pass each (esp_job_pass(): a two-pass SA's, else the whole job). done[j] as
 * esp_run_jobs(). */
static void out_jobs(IMB_MGR *mgr, IMB_JOB **jobs, unsigned int n, const uint8_t *ord,
		     struct esp_sa **ss, const uint8_t *idx, const struct out_pkt *op,
		     struct esp_scratch *sc, enum esp_pass pass, uint8_t *done)
{
	for (unsigned int k = 0; k < n; k++) {
		unsigned int j = ord ? ord[k] : k;
		struct esp_sa *sa = ss[idx[j]];
		bool esn_hmac = (sa->flags & (ESP_SAF_ESN | ESP_SAF_HMAC)) ==
				(ESP_SAF_ESN | ESP_SAF_HMAC);
		uint8_t *icv = op[j].esp + ESP_HDR_LEN + sa->iv_len + op[j].ct_len;
		const uint8_t *aad = (sa->flags & ESP_SAF_ESN) ? sc[j].aad : op[j].esp;

		esp_job_fill(jobs[k], sa, op[j].esp, op[j].ct_len, esn_hmac ? 4 : 0,
			     esn_hmac ? sc[j].icv : icv, aad, &sc[j], true, j);
		if (sa->flags & ESP_SAF_TWO_PASS)
			esp_job_pass(jobs[k], pass);
	}
	esp_run_jobs(mgr, jobs, n, done);
}

static uint16_t outbound_slice(IMB_MGR *mgr, struct rte_mbuf **ms, struct esp_sa **ss,
			       unsigned int n, struct rte_mbuf **good, struct esp_sa **good_sas,
			       struct rte_mbuf **dropped, uint8_t *reasons, uint16_t *nd)
{
	struct out_pkt op[ESP_BURST_MAX];
	struct esp_scratch sc[ESP_BURST_MAX];
	IMB_JOB *jobs[ESP_BURST_MAX];
	uint8_t idx[ESP_BURST_MAX], done[ESP_BURST_MAX], ord[ESP_BURST_MAX];
	uint16_t len[ESP_BURST_MAX];
	unsigned int nj = 0, got;
	uint16_t ng = 0, lmin = UINT16_MAX, lmax = 0;
	bool lanes = false, two_pass = false;

	/* Stage 0: start loading packet headers and SAs (lines 0 and 1: the worker has
	 * usually done so already, a stage earlier); an SA once per run of its packets. */
	for (unsigned int i = 0; i < n; i++) {
		rte_prefetch0(rte_pktmbuf_mtod(ms[i], void *));
		if (!i || ss[i] != ss[i - 1])
			esp_sa_prefetch_out(ss[i]);
	}
	/* Stage 1: check, build headers and trailer, take sequence numbers; start loading
	 * each good packet's keys for stage 2. */
	for (unsigned int i = 0, last = n; i < n; i++) {
		unsigned int r = out_prepare(mgr, ss[i], ms[i], &op[nj], &sc[nj]);

		if (r) {
			esp_drop(ss[i], ms[i], (uint8_t)(r - 1), dropped, reasons, nd);
			continue;
		}
		if (last == n || ss[i] != ss[last]) {
			esp_sa_prefetch_keys(ss[i], true);
			lanes |= !!(ss[i]->flags & ESP_SAF_LANES);
			two_pass |= !!(ss[i]->flags & ESP_SAF_TWO_PASS);
		}
		last = i;
		len[nj] = (uint16_t)op[nj].ct_len;
		lmin = RTE_MIN(lmin, len[nj]);
		lmax = RTE_MAX(lmax, len[nj]);
		idx[nj++] = (uint8_t)i;
	}
	/* all of one length: the lanes fill and empty together, chained is cheaper */
	two_pass &= lmin != lmax;
	/* Stage 2: one burst of crypto jobs, multi-buffer ones longest first; two passes
	 * when AES-CBC + HMAC is among them. */
	memset(done, 0, nj);
	got = esp_get_jobs(mgr, jobs, nj);
	if (lanes)
		esp_job_order(len, got, ord);
	if (!two_pass) {
		out_jobs(mgr, jobs, got, lanes ? ord : NULL, ss, idx, op, sc, ESP_PASS_BOTH, done);
	} else {
		/* the HMAC pass: those of the cipher pass that completed, and have one */
		uint8_t hmac[ESP_BURST_MAX], ok[ESP_BURST_MAX] = { 0 };
		unsigned int nh = 0;

		out_jobs(mgr, jobs, got, ord, ss, idx, op, sc, ESP_PASS_CIPHER, done);
		for (unsigned int k = 0; k < got; k++)
			if (done[ord[k]] && (ss[idx[ord[k]]]->flags & ESP_SAF_TWO_PASS))
				hmac[nh++] = ord[k];
		got = esp_get_jobs(mgr, jobs, nh);
		out_jobs(mgr, jobs, got, hmac, ss, idx, op, sc, ESP_PASS_HASH, ok);
		for (unsigned int k = 0; k < nh; k++)
			done[hmac[k]] = k < got && ok[hmac[k]];
	}
	/* Stage 3: finish and sort. */
	for (unsigned int j = 0; j < nj; j++) {
		struct rte_mbuf *m = ms[idx[j]];
		struct esp_sa *sa = ss[idx[j]];
		uint8_t *icv = op[j].esp + ESP_HDR_LEN + sa->iv_len + op[j].ct_len;

		if (!done[j]) {
			esp_drop(sa, m, ESP_DROP_CRYPTO_ERROR, dropped, reasons, nd);
			continue;
		}
		/* the hard limit again, exact: stage 1 let a whole burst of one SA past it (the
		 * sequence numbers it took are simply never seen) */
		if (esp_sa_hard_reached(sa)) {
			esp_drop(sa, m, ESP_DROP_SA_HARD_LIMIT, dropped, reasons, nd);
			continue;
		}
		if ((sa->flags & (ESP_SAF_ESN | ESP_SAF_HMAC)) == (ESP_SAF_ESN | ESP_SAF_HMAC))
			memcpy(icv, sc[j].icv, sa->icv_len);
		if ((sa->flags & (ESP_SAF_NATT | ESP_SAF_OUTER_V6)) ==
		    (ESP_SAF_NATT | ESP_SAF_OUTER_V6)) {
			uint8_t *o = rte_pktmbuf_mtod(m, uint8_t *);

			udp6_cksum(o, m->data_len - 40u);
		}
		m->packet_type = RTE_PTYPE_TUNNEL_ESP | ((sa->flags & ESP_SAF_OUTER_V6) ?
				 RTE_PTYPE_L3_IPV6 : RTE_PTYPE_L3_IPV4);
		esp_ctr_add(&sa->ctr.packets, 1);
		esp_ctr_add(&sa->ctr.bytes, op[j].inner_len);
		good[ng] = m;
		good_sas[ng] = sa;
		ng++;
	}
	return ng;
}

uint16_t esp_outbound_burst(IMB_MGR *mgr, struct rte_mbuf **pkts, struct esp_sa **sas,
			    uint16_t n, struct rte_mbuf **dropped, uint8_t *reasons,
			    uint16_t *n_dropped)
{
	return esp_burst_sliced(mgr, pkts, sas, n, dropped, reasons, n_dropped, outbound_slice);
}
