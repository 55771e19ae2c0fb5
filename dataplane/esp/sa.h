/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file sa.h
 * The runtime ESP SA: one direction of a tunnel-mode CHILD_SA as the workers use it.
 *
 * It is built once from the control plane's record (struct rp_msg_sa, common/msg.h) by
 * esp_sa_init(): every per-SA choice (algorithm and how its crypto jobs are laid out, IPv4
 * or IPv6 outer header, NAT-T) is made there and stored as precomputed values, so the packet
 * path only reads them. Keys are expanded into the SA (AES key schedules, GCM hash keys,
 * HMAC inner/outer digests); the raw keys are not kept.
 *
 * Layout (for SA tables far larger than the caches: every line a packet touches is a miss
 * unless prefetched, see esp_sa_prefetch_out() / esp_sa_prefetch_in()): cache-line aligned;
 * line 0 holds everything the per-packet code reads first (and the outbound sequence number),
 * line 1 the outer header template followed by the two counters every packet bumps (packets,
 * bytes; the drop counters follow on the next lines, touched only on drops), then (inbound)
 * the traffic selectors, the key material (AEAD's first), the replay window, and the HMAC and
 * CBC IV-key blocks: what an AES-GCM packet reads lies within the first 0.9 KiB (outbound) or
 * 1.6 KiB (inbound) of the SA, so fewer SAs straddle two pages (a second TLB miss with 4 KiB
 * pages, e.g. hugepages = false). So a good packet touches
 * lines 0 and 1, its key lines, and inbound the first selector line and one or two lines of
 * the replay window. Pinned by static asserts in sa.c. Everything on those lines belongs to
 * this SA alone, written only by the lcore that owns it. The struct holds no pointers into
 * itself, so it may be built in one place and copied.
 *
 * Ownership: the caller allocates struct esp_sa (64-byte aligned, e.g. rte_zmalloc) and
 * must call esp_sa_wipe() before freeing it. One lcore at a time uses an SA (see esp.h).
 *
 * CBC IV choice (RFC 3602 section 2.1 requires IVs an attacker cannot predict): at SA
 * install a random 128-bit IV key is drawn from getrandom(2); the IV of the packet with
 * sequence number s is AES-128_{IV key}(s as a 64-bit big-endian integer || 0^64). It is
 * unique per packet (s never repeats under a key) and unpredictable without the IV key
 * (NIST SP 800-38A appendix C, "apply the forward cipher to a nonce"), costs one AES block
 * per packet, and needs no per-lcore random state. AES-GCM and ChaCha20-Poly1305 use the
 * 64-bit sequence number itself as the explicit IV (RFC 4106 section 3.1, RFC 7634 section
 * 2), which is unique per key by construction.
 */
#ifndef RAMPART_DP_ESP_SA_H
#define RAMPART_DP_ESP_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <intel-ipsec-mb.h>
#include <rte_common.h>
#include <rte_prefetch.h>

#include "common/msg.h"
#include "dataplane/esp/esp.h"
#include "dataplane/esp/replay.h"

struct rte_mbuf;

/** How the crypto job of a packet is built (decided at install). */
enum esp_alg {
	ESP_ALG_NULL_HMAC = 0, /**< ENCR_NULL + HMAC (RFC 2410) */
	ESP_ALG_CBC_HMAC = 1,  /**< AES-CBC (RFC 3602) + HMAC */
	ESP_ALG_GCM = 2,       /**< AES-GCM-16 (RFC 4106) */
	ESP_ALG_CHACHA = 3,    /**< ChaCha20-Poly1305 (RFC 7634) */
	ESP_ALG_CBC_ONLY = 4,  /**< AES-CBC without integrity: test builds only (RFC 3602 vectors) */
};

/** esp_sa.flags */
enum {
	ESP_SAF_ESN = 1u << 0,       /**< 64-bit sequence numbers */
	ESP_SAF_NATT = 1u << 1,      /**< UDP-encapsulated (RFC 3948) */
	ESP_SAF_NO_REPLAY = 1u << 2, /**< no anti-replay check (ESN inference still runs) */
	ESP_SAF_OUTER_V6 = 1u << 3,  /**< outer header is IPv6 */
	ESP_SAF_INBOUND = 1u << 4,   /**< direction: inbound (else outbound) */
	ESP_SAF_HMAC = 1u << 5,      /**< integrity by HMAC (else AEAD or none) */
	ESP_SAF_LANES = 1u << 6,     /**< its jobs run on multi-buffer lanes: HMAC, or AES-CBC
	                                  encryption (esp_job_order()) */
	ESP_SAF_TWO_PASS = 1u << 7,  /**< outbound AES-CBC + HMAC: two multi-buffer stages,
	                                  run as two passes (esp_job_pass()) */
};

/** One traffic selector (inbound: allowed inner source prefix), host bits cleared. */
struct esp_ts {
	uint8_t af; /**< 4 or 6 */
	uint8_t plen;
	uint8_t pad[6];
	uint64_t addr[2]; /**< prefix, network byte order as stored in memory */
	uint64_t mask[2];
};

/** Per-SA counters; a single writer (the lcore using the SA), readers use relaxed loads. */
struct esp_sa_counters {
	uint64_t packets;              /**< good packets */
	uint64_t bytes;                /**< inner IP bytes of good packets */
	uint64_t drops[ESP_DROP_MAX];  /**< dropped packets by reason */
};

/** Outer IPv6 + UDP: the template leaves the SPI out (copied from esp_sa.spi). */
#define ESP_TMPL_MAX 48

struct esp_sa {
	/* ---- line 0: read for every packet ---- */
	uint32_t spi;          /**< network byte order */
	uint16_t flags;        /**< ESP_SAF_* */
	uint8_t alg;           /**< enum esp_alg */
	uint8_t iv_len;        /**< explicit IV bytes on the wire: 0, 8 or 16 */
	uint8_t icv_len;       /**< 0, 12, 16, 24 or 32 */
	uint8_t pad_align;     /**< payload + trailer aligned to this: 4, or 16 for CBC */
	uint8_t outer_len;     /**< outer IP (+ UDP) bytes: 20, 28, 40 or 48 */
	uint8_t hdr_len;       /**< outer_len + ESP header (8) + iv_len */
	uint8_t key_len;       /**< cipher key bytes handed to intel-ipsec-mb (0, 16, 32) */
	uint8_t aad_len;       /**< AEAD: 8, or 12 with ESN */
	uint8_t n_ts;          /**< inbound traffic selectors in ts[] */
	uint8_t rp_cipher;     /**< enum rp_cipher, for reporting */
	uint32_t cipher_mode;  /**< IMB_CIPHER_MODE */
	uint32_t hash_alg;     /**< IMB_HASH_ALG */
	uint8_t salt[4];       /**< AEAD nonce salt (first 4 bytes of the nonce) */
	uint16_t ip_id;        /**< outbound IPv4: next identification value */
	uint16_t tunnel_mtu;   /**< 0 = port MTU (informational; the worker enforces it) */
	uint32_t cksum_base;   /**< outbound IPv4: sum of the template's constant 16-bit words */
	uint32_t pad0;
	uint64_t seq;          /**< outbound: last sequence number used (64-bit with ESN) */
	uint64_t hard_packets; /**< UINT64_MAX = none */
	uint64_t hard_bytes;   /**< UINT64_MAX = none */

	/* ---- line 1: outer IP (+ UDP) header, prebuilt; the per-packet counters ---- */
	uint8_t tmpl[ESP_TMPL_MAX] __rte_cache_aligned;
	/* packets and bytes end line 1; drops[] follows on the next lines */
	struct esp_sa_counters ctr;

	uint32_t sa_id;        /**< control-plane handle (reporting only) */

	/* ---- inbound: traffic selectors (ts[0] is what a packet usually reads) ---- */
	struct esp_ts ts[RP_SA_TS_MAX] __rte_cache_aligned;

	/* ---- key material: the lines AEAD reads first (esp_sa_prefetch_keys()) ---- */
	union {
		struct {
			uint8_t enc[16 * 15] __rte_aligned(16); /**< AES encryption schedule */
			uint8_t dec[16 * 15] __rte_aligned(16); /**< AES decryption schedule */
		} aes;
		struct gcm_key_data gcm;
		uint8_t chacha[32];
	} key __rte_cache_aligned;

	/* ---- inbound: replay window ---- */
	struct esp_replay replay;

	/* ---- key material of AES-CBC + HMAC only ---- */
	uint8_t ipad[64] __rte_aligned(16); /**< HMAC: digest state after (key ^ ipad) */
	uint8_t opad[64] __rte_aligned(16); /**< HMAC: digest state after (key ^ opad) */
	uint8_t iv_key[16 * 11] __rte_aligned(16); /**< CBC: AES-128 schedule of the IV key */
} __rte_cache_aligned;

/**
 * Validate a control-plane SA record and build the runtime SA from it.
 *
 * Checks every field this engine depends on (direction, families, algorithm pairing: AEAD
 * ciphers without separate integrity, AES-CBC and NULL only with HMAC; key and salt lengths;
 * replay window; NAT-T ports; inbound traffic selectors) and refuses what it does not
 * support with a one-line reason in @p err. Keys are copied into @p sa (expanded);
 * temporaries holding key material are wiped. @p sa is entirely overwritten, and wiped
 * again on failure.
 *
 * @param mgr  an initialised intel-ipsec-mb manager (for key expansion)
 * @return 0, -EINVAL (unsupported or inconsistent record, reason in @p err), or -EIO (no
 *         randomness for the CBC IV key)
 */
int esp_sa_init(struct esp_sa *sa, const struct rp_msg_sa *m, IMB_MGR *mgr, char *err,
		size_t errlen);

/** Wipe every key and the rest of the SA (before freeing it, or when it is retired). */
void esp_sa_wipe(struct esp_sa *sa);

/**
 * True if the source address of @p inner (an mbuf starting at an IPv4 or IPv6 header of
 * at least the minimal length) lies in one of the inbound SA's traffic selectors.
 * esp_inbound_burst() applies it already (drop reason TS_MISMATCH).
 */
bool esp_sa_ts_ok(const struct esp_sa *sa, const struct rte_mbuf *inner);

/** Read an SA counter owned by another lcore. */
static inline uint64_t esp_sa_counter_read(const uint64_t *ctr)
{
	return __atomic_load_n(ctr, __ATOMIC_RELAXED);
}

/*
 * Prefetching. With many SAs (hundreds of thousands, every packet on another one) each line
 * of SA state a packet touches is a cache (and TLB) miss; a burst's lookups come first, then
 * these start the loads of every packet's SA, and the work follows once they are on their
 * way. The first two read nothing of the SA, so they can be issued right after a lookup.
 */

/** Lines 0 and 1 of an outbound SA: headers, template, sequence number, counters. */
static inline void esp_sa_prefetch_out(const struct esp_sa *sa)
{
	rte_prefetch0(sa);
	rte_prefetch0(sa->tmpl);
}

/** Lines 0 and 1 of an inbound SA, its first traffic selector and its replay state. */
static inline void esp_sa_prefetch_in(const struct esp_sa *sa)
{
	rte_prefetch0(sa);
	rte_prefetch0(sa->tmpl);
	rte_prefetch0(&sa->ts[0]);
	rte_prefetch0(&sa->replay);
}

static inline void esp_prefetch_range(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(RTE_CACHE_LINE_SIZE - 1);
	uintptr_t end = (uintptr_t)p + len;

	for (; a < end; a += RTE_CACHE_LINE_SIZE)
		rte_prefetch0((const void *)a);
}

/**
 * The key lines the crypto of one packet of @p sa reads (reads line 0: issue it once that
 * is in cache or on its way). AES-GCM: the round keys and the first eight GHASH key powers,
 * which intel-ipsec-mb's SSE/AVX/AVX2 code keeps right after the 15 round-key slots of
 * struct gcm_key_data (bytes 0-367 for both key sizes). ChaCha20: the key. AES-CBC: the
 * schedule of the direction, and outbound the IV key's. HMAC: the inner and outer states.
 */
static inline void esp_sa_prefetch_keys(const struct esp_sa *sa, bool encrypt)
{
	size_t sched = 16u * (sa->key_len / 4u + 7u); /* AES round keys: 176 or 240 bytes */

	switch (sa->alg) {
	case ESP_ALG_GCM:
		esp_prefetch_range(&sa->key.gcm, 16 * 15 + 16 * 8);
		return;
	case ESP_ALG_CHACHA:
		rte_prefetch0(sa->key.chacha);
		return;
	case ESP_ALG_CBC_HMAC:
	case ESP_ALG_CBC_ONLY:
		esp_prefetch_range(encrypt ? sa->key.aes.enc : sa->key.aes.dec, sched);
		if (encrypt)
			esp_prefetch_range(sa->iv_key, 16 * 11);
		break;
	default:
		break;
	}
	if (sa->flags & ESP_SAF_HMAC) {
		rte_prefetch0(sa->ipad);
		rte_prefetch0(sa->opad);
	}
}

#endif
