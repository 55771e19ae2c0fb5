/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ike_cert.h
 * IKE_AUTH by the policy model (controlplane/policy, docs/config.md "ikev2"): the
 * authenticator (struct ike_authenticator of ike_sa.h) rampartd uses when the configuration
 * has `ikev2` profiles, and the public-key primitives of RFC 7296 §2.15 and RFC 7427.
 *
 * For each IKE_AUTH request:
 *   1. Profile: pol_select() with the peer's identity, both addresses and its certificate
 *      (certificate maps first, then identity_remote). No profile: refused, unless the
 *      method is pre-share and a fallback authenticator (the `ike.peers` keyring) exists,
 *      which then decides.
 *   2. The peer's AUTH method must be one of the profile's authentication.remote: pre-share
 *      (2), rsa-sig (1, and 14 with an RSA key), ecdsa-sig (9, 10, 11, and 14 with an EC key).
 *   3. pre-share: the keyring peer of the profile's keyring (identity, else address) and its
 *      remote key verify AUTH. Signatures: the peer's chain is validated with the profile's
 *      trustpoints (pol_validate_cert: CA, validity, CRLs, EKU), IDi must be bound to the
 *      certificate (ID_DER_ASN1_DN equal to the subject; FQDN, RFC822 or IP address in the
 *      subjectAltName), and AUTH must verify with the certificate's public key over the
 *      InitiatorSignedOctets.
 *   4. Our AUTH, by authentication.local: the keyring peer's local key, or a signature with
 *      the key of the trustpoint the peer's CERTREQ names (else the profile's first trustpoint
 *      holding a certificate), sent with that certificate and its chain. Signature method:
 *      RFC 7427 (14) when the peer announced SIGNATURE_HASH_ALGORITHMS with SHA-2, else the
 *      classic method of the key (1 for RSA, 9/10/11 for ECDSA P-256/384/521).
 * AAA pre-shared keys (a profile's `keyring_aaa`, IOS `keyring aaa LIST [name-mangler M]`):
 * instead of a keyring peer, the keys of step 3 and 4 come from the PSK source (struct
 * ike_psk_source: RADIUS, ike_authz_aaa.h), asked on the loop after step 1 for the User-Name
 * the profile's mangler derives from IDi (else IDi itself) whenever the peer authenticates
 * by pre-share or we do. verify() returns 1 and the steps go on when the answer comes; a
 * peer AAA gives no key for (Access-Reject, no key attribute, no server answering) is
 * refused. The keys are copied into the job, compared in constant time and wiped with it;
 * they are never logged.
 * Every refusal is logged (component "ike") with its reason; pol_select() logs the choice of
 * profile (component "policy").
 *
 * Threads: step 1 runs inside verify() on the caller's (event loop) thread. Steps 2-4 (chain
 * validation, signature verification, our signature) run on the worker pool given at
 * creation (controlplane/util/workpool.h, shared with the responder's other public-key
 * work): verify() returns 1 and done() is called from the pool's wp_run_done() on the loop.
 * When the pool is full the peer is refused ("too many authentications in progress") and
 * retries. Without a pool they run inside verify(), which then answers at once. Worker
 * threads only read the policy set (trustpoint stores, keys, keyrings): it must not change
 * while the authenticator exists.
 *
 * Ownership: ike_pauth_create() borrows the policy set, the fallback authenticator and the
 * pool; the set and the fallback must outlive it. Destroy the responder first (it cancels
 * what is pending); ike_pauth_destroy() may come before or after the pool's wp_destroy()
 * (jobs left in the pool are only freed). Private keys stay in the trustpoints (rampartd
 * only).
 */
#ifndef RAMPART_IKE_IKE_CERT_H
#define RAMPART_IKE_IKE_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "controlplane/ike/ike_sa.h"

struct pol_set;
struct ike_pauth;

struct workpool;

/**
 * @param fallback  consulted for pre-share peers that match no profile; may be NULL.
 * @param wp        worker threads for public-key work; NULL: all of it inside verify().
 * @return 0 or -ENOMEM.
 */
int ike_pauth_create(const struct pol_set *set, const struct ike_authenticator *fallback,
		     struct workpool *wp, struct ike_pauth **out);
void ike_pauth_destroy(struct ike_pauth *pa);
void ike_pauth_authenticator(struct ike_pauth *pa, struct ike_authenticator *out);

struct pol_keyring_aaa;
struct pol_profile;

/** What a PSK source is asked (views, valid during lookup()). */
struct ike_psk_query {
	const struct pol_profile *profile; /**< the peer's profile (may be NULL) */
	const struct pol_keyring_aaa *k;  /**< the profile's keyring_aaa: list, password */
	const char *user;                 /**< the User-Name (mangled identity) */
	const char *who;                  /**< "peer ADDR (ID), profile P", for logs */
	struct ike_addr peer, local;
	uint8_t id_type;                  /**< the peer's IDi (IKE_ID_*): the source may keep */
	const uint8_t *id;                /**< the answer's attributes for the session's */
	size_t id_len;                    /**< cached authorization (ike_authz_aaa.h) */
};

/** The keys of a peer (views, valid during the callback; never log them). */
struct ike_psk_keys {
	const uint8_t *remote, *local;    /**< checks the peer's AUTH / makes ours */
	size_t remote_len, local_len;
};

/** The answer of a pending lookup: @p rc 0 with @p keys, or -EACCES (refused, no key, no
 * server answered: the source logged why). */
typedef void (*ike_psk_cb)(void *cb_arg, int rc, const struct ike_psk_keys *keys);

/**
 * Where `keyring_aaa` keys come from. lookup(): 1, pending: @p cb follows exactly once,
 * never from within lookup(), and *@p handle is valid for cancel() until then; or -errno:
 * nothing asked (logged). cancel(): @p cb of @p handle is not called.
 */
struct ike_psk_source {
	int (*lookup)(void *arg, const struct ike_psk_query *q, ike_psk_cb cb, void *cb_arg,
		      void **handle);
	void (*cancel)(void *arg, void *handle);
	void *arg;
};

/** Attach the PSK source (copied; it must outlive the pending lookups: destroy the responder
 * first). Without one, profiles with keyring_aaa refuse their pre-share peers. */
void ike_pauth_set_psk_source(struct ike_pauth *pa, const struct ike_psk_source *src);

/**
 * The CA key hashes for our CERTREQ: those of every trustpoint of a profile that accepts
 * remote signatures, without duplicates, concatenated (malloc()ed into *out, NULL and 0
 * when there are none). @return 0 or -ENOMEM.
 */
int ike_pauth_certreq(const struct pol_set *set, uint8_t **out, size_t *len);

/* ---- primitives (tests use them too) --------------------------------------------------- */

/**
 * Verify AUTH data of @p method (1, 9, 10, 11, 14) over @p data with @p pub. For method 14
 * the hash must be one of those we announce (SHA-256/384/512) and RSA-PSS parameters must be
 * consistent (MGF1 with the same hash). @return 0, or -EACCES with the reason in @p why.
 */
int ike_sig_verify(EVP_PKEY *pub, uint8_t method, const uint8_t *auth, size_t auth_len,
		   const uint8_t *data, size_t len, char *why, size_t whylen);

/**
 * Sign @p data with @p key for a peer that announced RFC 7427 hashes @p peer_hashes (bit h
 * for hash h; 0 = none): method 14 with the first usable SHA-2 hash (for ECDSA the one that
 * matches the curve when announced), else the key's classic method. @p out receives the
 * AUTH data (cap >= IKE_AUTH_DATA_MAX). @return 0, or -EINVAL with the reason in @p why.
 */
int ike_sig_sign(EVP_PKEY *key, uint16_t peer_hashes, const uint8_t *data, size_t len,
		 uint8_t *method, uint8_t *out, size_t cap, size_t *out_len, char *why,
		 size_t whylen);

/**
 * Is identity (@p id_type, @p id) bound to @p cert? ID_DER_ASN1_DN: equal to the subject;
 * FQDN / RFC822_ADDR / IPV4_ADDR / IPV6_ADDR: a subjectAltName entry of that kind (no
 * wildcards, no fallback to the subject's CN). @return 0, or -EACCES with the reason.
 */
int ike_id_bound(X509 *cert, uint8_t id_type, const uint8_t *id, size_t len, char *why,
		 size_t whylen);

/** Name of an AUTH method for logs ("RSA signature", "ECDSA-256", "digital signature"...). */
const char *ike_auth_method_name(uint8_t method);

#endif
