/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file trustpoint.h
 * Trustpoints: the CA certificates a peer's chain must lead to (roots and intermediates),
 * the concentrator's own certificate and key offered under that CA, revocation (CRL files)
 * and the EKU rule for client certificates. Chain validation is OpenSSL's
 * X509_verify_cert(); this module only assembles the store and judges the result.
 *
 * Which trustpoint: the peer's CERTREQ lists CA key hashes (RFC 7296 §3.7: SHA-1 of the
 * CA's DER SubjectPublicKeyInfo), pki_tp_find_by_certreq() picks ours; the peer's own
 * certificate names its issuer, pki_tp_issued() tells which trustpoints know that CA.
 *
 * Revocation: the methods of `revocation_check` in order, as IOS `revocation-check ocsp crl
 * none`, for every certificate of the chain below the trust anchor: "ocsp" asks the responder
 * (revoke.h), "crl" checks the CRL files and, with crl_fetch, the CRLs of the certificate's
 * distribution points (revoke.h). A method that answers good or revoked decides; one that
 * cannot answer (no CRL, responder down, status unknown) passes to the next; "none" at the
 * end accepts what no method could answer (logged), except a CRL that is there but expired
 * or invalid. Without "none", no answer refuses. Fetches block the calling thread: rampartd
 * validates on its worker pool (see revoke.h).
 *
 * Ownership: pki_tp_create() copies what it needs from the configuration; pki_tp_destroy()
 * frees everything (the private key is freed with EVP_PKEY_free, which wipes it).
 * Returned X509 / EVP_PKEY pointers are borrowed and live as long as the trustpoint.
 */
#ifndef RAMPART_PKI_TRUSTPOINT_H
#define RAMPART_PKI_TRUSTPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define PKI_TP_NAME_MAX 64
#define PKI_SHA1_LEN 20

struct pki_tp;

struct pki_tp_cfg {
	const char *name;
	const char *const *ca_files;   /**< PEM (several certificates each) or DER files */
	unsigned n_ca;
	const char *cert_file;         /**< our certificate first, then its chain; optional */
	const char *key_file;          /**< our private key (PEM); with cert_file */
	const char *const *crl_files;  /**< PEM (several) or DER CRLs */
	unsigned n_crl;
	bool rev_crl;                  /**< revocation_check contains "crl" */
	bool rev_none_fallback;        /**< ... followed by "none": an unavailable CRL is accepted */
	/* The full order (when n_methods is not 0, rev_crl and rev_none_fallback are ignored). */
	enum pki_rev_method { PKI_REV_M_CRL = 1, PKI_REV_M_OCSP, PKI_REV_M_NONE } methods[3];
	unsigned n_methods;
	bool crl_fetch;                /**< CRLs from the certificates' http:// distribution points */
	const char *ocsp_url;          /**< responder; NULL: the certificate's AIA */
	bool ocsp_no_nonce;            /**< no nonce in OCSP requests */
	unsigned fetch_timeout_ms;     /**< 0: 5000 */
	size_t fetch_max_bytes;        /**< largest CRL fetched; 0: 4 MiB */
	bool require_client_auth_eku;  /**< peer leaf must carry EKU clientAuth (or anyEKU) */
	bool partial_chain;            /**< a configured intermediate CA is a trust anchor too */
};

/** @return 0, -EINVAL / -ENOENT with a reason in @p err, -ENOMEM. */
int pki_tp_create(const struct pki_tp_cfg *cfg, struct pki_tp **out, char *err, size_t errlen);
void pki_tp_destroy(struct pki_tp *tp);

const char *pki_tp_name(const struct pki_tp *tp);

/**
 * Validate @p leaf with the peer's other certificates @p chain (may be NULL) at time @p at
 * (0 = now). @return 0, or -EACCES with OpenSSL's reason ("certificate revoked", ...) or the
 * EKU failure in @p err.
 */
int pki_tp_verify(const struct pki_tp *tp, X509 *leaf, STACK_OF(X509) *chain, time_t at,
		  char *err, size_t errlen);

/** True when one of the trustpoint's CA certificates is the issuer of @p cert. */
bool pki_tp_issued(const struct pki_tp *tp, const X509 *cert);

/** True when one of the CA certificates has SPKI SHA-1 @p hash. */
bool pki_tp_has_ca_hash(const struct pki_tp *tp, const uint8_t hash[PKI_SHA1_LEN]);

/** The CA key hashes (for our own CERTREQ). */
size_t pki_tp_ca_hashes(const struct pki_tp *tp, const uint8_t (**hashes)[PKI_SHA1_LEN]);

/**
 * The first of @p tps (in order) with a CA whose hash appears in @p certreq (concatenated
 * 20-byte hashes, as in a CERTREQ payload; a trailing partial hash is ignored).
 * @return the trustpoint or NULL.
 */
struct pki_tp *pki_tp_find_by_certreq(struct pki_tp *const *tps, size_t n,
				      const uint8_t *certreq, size_t len);

/** Our certificate / its chain / key, or NULL when the trustpoint has none. */
X509 *pki_tp_cert(const struct pki_tp *tp);
STACK_OF(X509) *pki_tp_cert_chain(const struct pki_tp *tp);
EVP_PKEY *pki_tp_key(const struct pki_tp *tp);

/** SHA-1 of the DER SubjectPublicKeyInfo of @p cert (RFC 7296 §3.7). */
int pki_spki_sha1(const X509 *cert, uint8_t out[PKI_SHA1_LEN]);

/** The trustpoint's fetched revocation data (NULL without crl_fetch or ocsp). */
struct pki_rev *pki_tp_rev(const struct pki_tp *tp);

/** Number of CA certificates loaded. */
size_t pki_tp_n_ca(const struct pki_tp *tp);

#endif
