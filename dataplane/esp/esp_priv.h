/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Internal to dataplane/esp: helpers shared by sa.c, esp_out.c and esp_in.c. */
#ifndef RAMPART_DP_ESP_PRIV_H
#define RAMPART_DP_ESP_PRIV_H

#include <stdint.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include "dataplane/esp/esp.h"
#include "dataplane/esp/sa.h"

#ifdef ESP_TEST_HOOKS
#include "dataplane/esp/esp_test.h"
#endif

#define ESP_HDR_LEN 8      /* SPI + sequence number */
#define ESP_TRAILER_LEN 2  /* pad length + next header */
#define ESP_ICV_MAX 32
#define ESP_NH_IPV4 4
#define ESP_NH_IPV6 41
#define ESP_NH_NONE 59

/* Big-endian loads and stores on byte pointers: no struct casts into packets. */
static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/* The SA has reached its hard packet or byte limit (checked when a packet is prepared, a
 * cheap early exit, and again in arrival order just before it is counted). */
static inline bool esp_sa_hard_reached(const struct esp_sa *sa)
{
	return sa->ctr.packets >= sa->hard_packets || sa->ctr.bytes >= sa->hard_bytes;
}

/* Single-writer counter bump, readable by other lcores with relaxed loads. */
static inline void esp_ctr_add(uint64_t *ctr, uint64_t n)
{
	__atomic_store_n(ctr, *ctr + n, __ATOMIC_RELAXED);
}

/* Per-packet scratch for one pass: nonce, AAD and ICVs cannot live in the packet. */
struct esp_scratch {
	uint8_t nonce[16];          /* AEAD: salt || explicit IV (12 bytes used) */
	uint8_t aad[16];            /* AEAD with ESN: SPI || seq hi || seq lo */
	uint8_t icv[ESP_ICV_MAX];   /* ICV computed by intel-ipsec-mb */
	uint8_t icv_rx[ESP_ICV_MAX];/* inbound HMAC with ESN: the received ICV, set aside */
} __attribute__((aligned(16)));

/*
 * Run n filled jobs (obtained with IMB_GET_NEXT_BURST) to completion. On return done[k]
 * is 1 if the job whose user_data is k completed without error, 0 if it failed; the
 * caller clears done[] first (user_data may exceed n). Returns the number of jobs that
 * failed.
 */
unsigned int esp_run_jobs(IMB_MGR *mgr, IMB_JOB **jobs, unsigned int n, uint8_t *done);

/* Get n empty jobs; drains the manager first if it is holding some (it never should). */
unsigned int esp_get_jobs(IMB_MGR *mgr, IMB_JOB **jobs, unsigned int n);

/*
 * intel-ipsec-mb runs HMAC, and AES-CBC encryption, on multi-buffer lanes: a job waits in
 * a lane until the lanes are full, then all advance by the shortest one's length. What is
 * left at a burst's end (esp_run_jobs()' flush) runs with lanes empty. In a burst of mixed
 * sizes in arrival order, that is the longest jobs: at IMIX, AES-CBC + HMAC-SHA-256 spent
 * nearly twice the cycles of the same jobs kept in flight (perf/README.md, "Multi-buffer
 * lanes"). Such SAs have ESP_SAF_LANES (esp_sa_init()).
 *
 * Outbound AES-CBC + HMAC (ESP_SAF_TWO_PASS) has two multi-buffer stages. Chained, the hash
 * lanes get the jobs in the order the cipher finishes them, shortest first, and the longest
 * are left for the flush again; so such a burst, unless all its packets are of one length,
 * runs as two passes, the cipher alone, then the HMAC alone, each longest first.
 */
enum esp_pass { ESP_PASS_BOTH, ESP_PASS_CIPHER, ESP_PASS_HASH };

/* Make a filled job (esp_job_fill()) one pass of a two-pass SA: the cipher alone, or the
 * HMAC alone over the ciphertext in place (a NULL cipher with dst = src + offset moves
 * nothing). esp_sa_probe() runs both layouts through the checked path. */
static inline void esp_job_pass(IMB_JOB *job, enum esp_pass pass)
{
	if (pass == ESP_PASS_CIPHER)
		job->hash_alg = IMB_AUTH_NULL;
	else if (pass == ESP_PASS_HASH)
		job->cipher_mode = IMB_CIPHER_NULL;
}

/*
 * The order in which to give the n packets of a burst their jobs (@p ord gets 0..n-1):
 * longest first, equal lengths in arrival order. The long jobs start at once and advance
 * while the short ones come and go in the other lanes, so what the flush at the end runs
 * with lanes empty is a few short jobs. Only for bursts with multi-lane jobs
 * (ESP_SAF_LANES); the others run one job at a time and gain nothing.
 */
void esp_job_order(const uint16_t *len, unsigned int n, uint8_t *ord);

/*
 * Describe one packet's crypto to intel-ipsec-mb, in place. @p esp is the ESP header,
 * @p ct_len the bytes after the IV up to the ICV. The tag goes to @p tag. For HMAC, the
 * hash covers ESP header, IV and ciphertext, plus @p hash_extra bytes placed after it
 * (4: the ESN high half, RFC 4303 section 2.2.1). For AEAD, @p aad is SPI || seq (8 bytes)
 * or SPI || seq hi || seq lo (12) and the nonce is in @p sc (RFC 4106 / RFC 7634).
 */
static inline void esp_job_fill(IMB_JOB *job, const struct esp_sa *sa, uint8_t *esp,
				uint32_t ct_len, uint32_t hash_extra, uint8_t *tag,
				const uint8_t *aad, const struct esp_scratch *sc, bool encrypt,
				unsigned int idx)
{
	uint32_t ct_off = ESP_HDR_LEN + sa->iv_len;

	job->cipher_mode = (IMB_CIPHER_MODE)sa->cipher_mode;
	job->hash_alg = (IMB_HASH_ALG)sa->hash_alg;
	job->cipher_direction = encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->src = esp;
	job->dst = esp + ct_off;
	job->cipher_start_src_offset_in_bytes = ct_off;
	job->msg_len_to_cipher_in_bytes = ct_len;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = sa->icv_len;
	job->key_len_in_bytes = sa->key_len;
	job->user_data = (void *)(uintptr_t)idx;
	switch (sa->alg) {
	case ESP_ALG_GCM:
		job->enc_keys = &sa->key.gcm;
		job->dec_keys = &sa->key.gcm;
		job->iv = sc->nonce;
		job->iv_len_in_bytes = 12;
		job->hash_start_src_offset_in_bytes = ct_off;
		job->msg_len_to_hash_in_bytes = ct_len;
		job->u.GCM.aad = aad;
		job->u.GCM.aad_len_in_bytes = sa->aad_len;
		break;
	case ESP_ALG_CHACHA:
		job->enc_keys = sa->key.chacha;
		job->dec_keys = sa->key.chacha;
		job->iv = sc->nonce;
		job->iv_len_in_bytes = 12;
		job->hash_start_src_offset_in_bytes = ct_off;
		job->msg_len_to_hash_in_bytes = ct_len;
		job->u.CHACHA20_POLY1305.aad = aad;
		job->u.CHACHA20_POLY1305.aad_len_in_bytes = sa->aad_len;
		break;
	default: /* NULL or CBC, with HMAC (or, test builds only, CBC alone) */
		job->enc_keys = sa->key.aes.enc;
		job->dec_keys = sa->key.aes.dec;
		job->iv = esp + ESP_HDR_LEN;
		job->iv_len_in_bytes = sa->iv_len;
		job->hash_start_src_offset_in_bytes = 0;
		job->msg_len_to_hash_in_bytes = ct_off + ct_len + hash_extra;
		job->u.HMAC._hashed_auth_key_xor_ipad = sa->ipad;
		job->u.HMAC._hashed_auth_key_xor_opad = sa->opad;
		break;
	}
}

/* Inner source address (at @p inner, an IPv4 or IPv6 header of family @p af) against the
 * SA's traffic selectors. */
static inline bool esp_ts_match(const struct esp_sa *sa, const uint8_t *inner, uint8_t af)
{
	uint64_t a[2] = { 0, 0 };

	if (af == 4)
		memcpy(a, inner + 12, 4);
	else
		memcpy(a, inner + 8, 16);
	for (unsigned int i = 0; i < sa->n_ts; i++) {
		const struct esp_ts *t = &sa->ts[i];

		if (t->af == af && (a[0] & t->mask[0]) == t->addr[0] &&
		    (a[1] & t->mask[1]) == t->addr[1])
			return true;
	}
	return false;
}

/* Record a drop against the SA and in the caller's drop list. */
static inline void esp_drop(struct esp_sa *sa, struct rte_mbuf *m, uint8_t reason,
			    struct rte_mbuf **dropped, uint8_t *reasons, uint16_t *nd)
{
	esp_ctr_add(&sa->ctr.drops[reason], 1);
	dropped[*nd] = m;
	reasons[*nd] = reason;
	(*nd)++;
}

/** One direction's work on at most ESP_BURST_MAX packets (see esp_burst_sliced()). */
typedef uint16_t (*esp_slice_fn)(IMB_MGR *mgr, struct rte_mbuf **ms, struct esp_sa **ss,
				 unsigned int n, struct rte_mbuf **good, struct esp_sa **good_sas,
				 struct rte_mbuf **dropped, uint8_t *reasons, uint16_t *nd);

/*
 * Run @p slice over a burst of any size in slices of ESP_BURST_MAX; good packets are
 * compacted to the front of @p pkts / @p sas. Each slice is copied out first because the
 * compaction writes over it. Inline so that the slice function is a direct call.
 */
static inline uint16_t esp_burst_sliced(IMB_MGR *mgr, struct rte_mbuf **pkts,
					struct esp_sa **sas, uint16_t n, struct rte_mbuf **dropped,
					uint8_t *reasons, uint16_t *n_dropped, esp_slice_fn slice)
{
	uint16_t ng = 0;

	*n_dropped = 0;
	for (unsigned int off = 0; off < n; off += ESP_BURST_MAX) {
		unsigned int k = RTE_MIN(n - off, (unsigned int)ESP_BURST_MAX);
		struct rte_mbuf *ms[ESP_BURST_MAX];
		struct esp_sa *ss[ESP_BURST_MAX];

		memcpy(ms, pkts + off, k * sizeof(*ms));
		memcpy(ss, sas + off, k * sizeof(*ss));
		ng += slice(mgr, ms, ss, k, pkts + ng, sas + ng, dropped, reasons, n_dropped);
	}
	return ng;
}

#endif
