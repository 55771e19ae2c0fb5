/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file revoke.h
 * Revocation data fetched over the network for one trustpoint: CRLs from the certificates'
 * CRL distribution points (`crl_fetch`) and OCSP answers (RFC 6960; `ocsp_url` or the
 * certificate's AIA), each cached until its nextUpdate (at most a day; an OCSP answer without
 * nextUpdate for a minute).
 *
 * Threads: the lookups block while they fetch (bounded by fetch_timeout_ms) and are made
 * from pki_tp_verify(), which rampartd runs on its public-key worker pool
 * (ike.crypto_threads), never on the event loop. A thread marked with pki_rev_offline_thread()
 * (the event loop, when crypto_threads = 0) never fetches: it uses what is cached and
 * otherwise has no answer. The cache is shared by the threads (a mutex); a second lookup of
 * what is being fetched waits for that fetch instead of starting another.
 *
 * Limits: PKI_REV_CACHE_MAX entries (PKI_REV_CRL_MAX of them CRLs; the entry that expires
 * first makes room), PKI_REV_FETCH_MAX fetches at once per trustpoint (beyond: wait for one
 * to end, at most fetch_timeout_ms + 2 s, then no answer),
 * CRLs of at most fetch_max_bytes, OCSP responses of at most PKI_OCSP_RESP_MAX bytes. A failed
 * fetch is not retried for PKI_REV_RETRY_S seconds (no answer meanwhile).
 */
#ifndef RAMPART_PKI_REVOKE_H
#define RAMPART_PKI_REVOKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#define PKI_REV_CACHE_MAX 1024u
#define PKI_REV_CRL_MAX 32u
#define PKI_REV_FETCH_MAX 2u
#define PKI_REV_RETRY_S 10
#define PKI_REV_MAX_CACHE_S 86400
#define PKI_OCSP_NO_NEXT_S 60       /**< an OCSP answer without nextUpdate is kept this long */
#define PKI_OCSP_SKEW_S 120         /**< clock skew allowed on thisUpdate / nextUpdate */
#define PKI_OCSP_RESP_MAX 65536u

enum pki_rev_answer {
	PKI_REV_GOOD,
	PKI_REV_REVOKED,
	PKI_REV_NOANSWER,   /**< nothing usable: unreachable, unknown, not cached yet */
	PKI_REV_ERROR,      /**< an answer that fails validation (signature, nonce, times) */
};

const char *pki_rev_answer_name(enum pki_rev_answer a);

struct pki_rev_cfg {
	const char *name;           /**< the trustpoint's, for logs */
	bool crl_fetch;
	const char *ocsp_url;       /**< NULL: the certificate's AIA */
	bool ocsp_nonce;
	unsigned timeout_ms;        /**< 0: 5000 */
	size_t max_bytes;           /**< largest CRL fetched; 0: 4 MiB */
};

/** The network access, replaceable by tests (same contract as pki_http_fetch()). */
typedef int (*pki_rev_fetch_fn)(void *arg, const char *url, const char *ctype,
				const uint8_t *body, size_t body_len, size_t max_len,
				unsigned timeout_ms, uint8_t **out, size_t *out_len, char *err,
				size_t errlen);

struct pki_rev;

/** @return NULL when out of memory. */
struct pki_rev *pki_rev_create(const struct pki_rev_cfg *cfg);
void pki_rev_destroy(struct pki_rev *r);
void pki_rev_set_fetch(struct pki_rev *r, pki_rev_fetch_fn fn, void *arg);
bool pki_rev_crl_fetch(const struct pki_rev *r);

/** The calling thread must never wait for the network (rampartd's event loop). */
void pki_rev_offline_thread(void);

/**
 * CRLs of @p cert's http:// distribution points issued by @p issuer (name and signature
 * checked; current at @p now, 0 = time(NULL)): cached, or fetched. Pushed (new references)
 * onto @p out. @return how many; 0 with the reason in @p why.
 */
int pki_rev_crls(struct pki_rev *r, X509 *cert, X509 *issuer, time_t now,
		 STACK_OF(X509_CRL) *out, char *why, size_t whylen);

/**
 * OCSP status of @p cert issued by @p issuer: cached, or asked of the responder. The
 * response must be signed by the issuer or by a responder certificate it issued with EKU
 * OCSPSigning, verified up to an anchor of @p store (@p certs: intermediates to help).
 * @return the answer, its reason in @p why.
 */
enum pki_rev_answer pki_rev_ocsp(struct pki_rev *r, X509 *cert, X509 *issuer,
				 X509_STORE *store, STACK_OF(X509) *certs, time_t now, char *why,
				 size_t whylen);

/**
 * Validate one DER OCSP response for certificate @p id (with @p req's nonce when @p req is
 * not NULL; a response without nonce is accepted, a different one is not). GOOD / REVOKED /
 * NOANSWER (unknown, or the responder's error status) / ERROR. *@p until: its nextUpdate
 * (0: none).
 */
enum pki_rev_answer pki_ocsp_validate(const uint8_t *der, size_t len, OCSP_REQUEST *req,
				      OCSP_CERTID *id, X509_STORE *store, STACK_OF(X509) *certs,
				      time_t *until, char *why, size_t whylen);

/** Entries cached now (CRLs, OCSP answers), for tests and `show`. */
void pki_rev_stats(struct pki_rev *r, unsigned *crls, unsigned *ocsp);

#endif
