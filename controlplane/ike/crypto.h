/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file crypto.h
 * IKEv2 cryptography over OpenSSL 3 EVP: Diffie-Hellman with public-value validation, PRF
 * and prf+, SKEYSEED and the seven IKE SA keys (RFC 7296 §2.13-2.14), CHILD_SA key material
 * (§2.17), the SK payload (§3.14; AES-GCM RFC 5282, ChaCha20-Poly1305 RFC 7634, AES-CBC with
 * HMAC-SHA-2 RFC 4868) and AUTH for pre-shared keys (§2.15).
 *
 * Functions return 0 or -errno (-ENOTSUP unknown algorithm, -EINVAL bad input such as an
 * invalid public value, -EBADMSG integrity failure, -ENOMEM, -EIO OpenSSL failure).
 * Secrets they produce live in caller memory; callers wipe them with OPENSSL_cleanse.
 * Thread-safe: no shared state besides OpenSSL's.
 */
#ifndef RAMPART_IKE_CRYPTO_H
#define RAMPART_IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/ike/payload.h"

/** Source of randomness: NULL fn means OpenSSL's RAND_bytes. Tests inject a deterministic one. */
struct ike_rng {
	int (*fn)(void *arg, uint8_t *out, size_t len); /**< 0 or -errno */
	void *arg;
};

int ike_random(const struct ike_rng *rng, void *out, size_t len);

/* ---- Diffie-Hellman ------------------------------------------------------------------------ */

#define IKE_DH_PUB_MAX 512u     /**< MODP 4096 */
#define IKE_DH_SECRET_MAX 512u

struct ike_dh;

/** Length of the KE data of @p group, 0 if we do not support it. */
size_t ike_dh_pub_len(uint16_t group);

/** A fresh key pair whose private value comes from @p rng. */
int ike_dh_new(uint16_t group, const struct ike_rng *rng, struct ike_dh **out);

#define IKE_DH_PRIV_MAX 66u     /**< ECP 521 */
/**
 * Draw the private value ike_dh_new() would (its length in *len) so that the key pair can
 * be made with ike_dh_new_priv() elsewhere, a worker thread (the RNG stays on the caller's
 * thread). Out of range (ike_dh_new_priv(): -EINVAL) once in 2^32 draws or less.
 */
int ike_dh_draw_priv(uint16_t group, const struct ike_rng *rng, uint8_t priv[IKE_DH_PRIV_MAX],
		     size_t *len);

/** A key pair from a given private value (big-endian scalar / raw X25519 key): test vectors. */
int ike_dh_new_priv(uint16_t group, const uint8_t *priv, size_t len, struct ike_dh **out);

/** Our public value (KE data), owned by @p dh. */
const uint8_t *ike_dh_pub(const struct ike_dh *dh, size_t *len);
uint16_t ike_dh_group(const struct ike_dh *dh);

/**
 * Validate a peer's public value: exact length; MODP 1 < y < p-1; ECP both coordinates < p
 * and the point on the curve; X25519 length only (an all-zero result is refused at derive).
 */
int ike_dh_check_peer(uint16_t group, const uint8_t *pub, size_t len);

/** Shared secret g^ir (MODP: padded to the modulus length; ECP: x only, RFC 5903 §7). */
int ike_dh_derive(const struct ike_dh *dh, const uint8_t *peer, size_t len, uint8_t *secret,
		  size_t *secret_len);

/** Wipes and frees. NULL allowed. */
void ike_dh_free(struct ike_dh *dh);

/* ---- algorithm suites ------------------------------------------------------------------------ */

/** A negotiated IKE (or ESP) suite as transform IDs. */
struct ike_suite {
	uint16_t encr;
	uint16_t encr_bits; /**< key length attribute; 0 when the cipher has a fixed key */
	uint16_t prf;       /**< IKE only */
	uint16_t integ;     /**< IKE_INTEG_NONE for AEAD */
	uint16_t dh;
	bool esn;           /**< ESP only */
};

/** Sizes that follow from a suite. */
struct ike_alg {
	bool aead;
	size_t enc_key;   /**< cipher key bytes */
	size_t salt;      /**< AEAD salt bytes appended to the key (4) */
	size_t iv;        /**< explicit IV in SK / ESP */
	size_t block;     /**< padding block */
	size_t icv;
	size_t integ_key; /**< 0 for AEAD */
	size_t prf_len;   /**< PRF output and key length (SK_d, SK_p*) */
	struct ike_suite s;
};

/** Sizes of @p s, or -ENOTSUP when we do not implement it (IKE: needs a PRF too). */
int ike_alg_init(const struct ike_suite *s, bool ike, struct ike_alg *a);

/* ---- PRF ----------------------------------------------------------------------------------- */

#define IKE_PRF_MAX 64u

size_t ike_prf_len(uint16_t prf);

/** prf(key, data1 | data2) (either data may be NULL / 0). */
int ike_prf(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *d1, size_t l1,
	    const uint8_t *d2, size_t l2, uint8_t *out);

/** prf+ (§2.13): @p outlen <= 255 * prf length. */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *seed,
		 size_t slen, uint8_t *out, size_t outlen);

/** The seven IKE SA keys (§2.14). SK_e* include the AEAD salt. */
struct ike_keys {
	size_t d_len, a_len, e_len, p_len;
	uint8_t sk_d[IKE_PRF_MAX], sk_ai[IKE_PRF_MAX], sk_ar[IKE_PRF_MAX];
	uint8_t sk_ei[36], sk_er[36];
	uint8_t sk_pi[IKE_PRF_MAX], sk_pr[IKE_PRF_MAX];
};

/**
 * SKEYSEED = prf(Ni | Nr, g^ir); {SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr} =
 * prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). @p skeyseed (may be NULL) receives SKEYSEED.
 */
int ike_derive_keys(const struct ike_alg *a, const uint8_t *ni, size_t ni_len,
		    const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len,
		    uint64_t spi_i, uint64_t spi_r, struct ike_keys *k, uint8_t *skeyseed);

/**
 * The keys of an IKE SA made by a rekey (§2.18): SKEYSEED = prf(SK_d (old), g^ir (new) |
 * Ni | Nr) with the old SA's PRF @p old_prf, then as ike_derive_keys() with @p a's PRF and
 * the new SPIs.
 */
int ike_derive_rekey_keys(const struct ike_alg *a, uint16_t old_prf, const uint8_t *old_skd,
			  size_t old_dlen, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
			  size_t nr_len, const uint8_t *gir, size_t gir_len, uint64_t spi_i,
			  uint64_t spi_r, struct ike_keys *k);

/**
 * CHILD_SA key material (§2.17): KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), split as
 * initiator->responder encryption key (+salt), integrity key, then responder->initiator.
 */
struct ike_child_keys {
	size_t e_len, a_len; /**< e_len includes the salt */
	uint8_t ei[36], ai[64], er[36], ar[64];
};
int ike_child_keymat(uint16_t prf, const uint8_t *sk_d, size_t d_len, const struct ike_alg *esp,
		     const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len, struct ike_child_keys *ck);

/* ---- SK payload ------------------------------------------------------------------------------ */

/**
 * Build a whole encrypted message: header @p h, then one SK payload whose next-payload field
 * is @p first and whose plaintext is @p inner (an inner chain from ike_bld_init_chain()).
 * @return 0 and *out_len, -ENOSPC if @p cap is too small.
 */
int ike_sk_seal(const struct ike_alg *a, const uint8_t *ekey, const uint8_t *akey,
		const struct ike_rng *rng, const struct ike_hdr *h, uint8_t first,
		const uint8_t *inner, size_t inner_len, uint8_t *out, size_t cap, size_t *out_len);

/**
 * The same as fragment @p num of @p total (RFC 7383 §2.5): one SKF payload whose Fragment
 * Number and Total Fragments are covered by the integrity check; @p first must be the inner
 * chain's first payload type in fragment 1 and 0 in the others. @p total 0: an SK payload
 * (ike_sk_seal()).
 */
int ike_skf_seal(const struct ike_alg *a, const uint8_t *ekey, const uint8_t *akey,
		 const struct ike_rng *rng, const struct ike_hdr *h, uint8_t first, uint16_t num,
		 uint16_t total, const uint8_t *inner, size_t inner_len, uint8_t *out, size_t cap,
		 size_t *out_len);

/**
 * Verify and decrypt the SK (or SKF) payload of a parsed message. @p plain receives the
 * inner chain (padding removed); its first payload type is m->sk_next.
 * @return 0, -EBADMSG (integrity check failed or malformed), -ENOSPC.
 */
int ike_sk_open(const struct ike_alg *a, const uint8_t *ekey, const uint8_t *akey,
		const struct ike_msg *m, uint8_t *plain, size_t cap, size_t *plain_len);

/* ---- AUTH ------------------------------------------------------------------------------------ */

/**
 * The octets signed or MACed by one side (§2.15): @p msg (its first message: IKE_SA_INIT
 * request for the initiator, response for the responder) | the peer's nonce |
 * prf(SK_p, ID body). Written into @p out (cap >= mlen + nlen + IKE_PRF_MAX).
 */
int ike_auth_octets(uint16_t prf, const uint8_t *msg, size_t mlen, const uint8_t *nonce,
		    size_t nlen, const uint8_t *sk_p, size_t plen, const uint8_t *id_body,
		    size_t idlen, uint8_t *out, size_t cap, size_t *out_len);

/** AUTH = prf(prf(PSK, "Key Pad for IKEv2"), octets); @p out gets prf length bytes. */
int ike_auth_psk(uint16_t prf, const uint8_t *psk, size_t psklen, const uint8_t *octets,
		 size_t olen, uint8_t *out);

#endif
