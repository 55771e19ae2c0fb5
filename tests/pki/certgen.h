/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file certgen.h
 * Test-only certificate factory: keys, certificates, CRLs made at test time with OpenSSL's
 * APIs and written to a scratch directory. Nothing it makes is committed.
 */
#ifndef RAMPART_TESTS_PKI_CERTGEN_H
#define RAMPART_TESTS_PKI_CERTGEN_H

#include <stdbool.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct cg_opts {
	const char *subject;   /**< "/C=IN/O=CISCO/OU=green+UID=u1/CN=x": '/' RDNs in DER order, '+' multi-valued */
	long serial;
	time_t not_before, not_after;  /**< absolute; 0 = now - 1 h / now + 1 year */
	bool ca;
	const char *eku;       /**< "clientAuth", "serverAuth,clientAuth" or NULL */
	const char *san;       /**< "DNS:a.example,email:u@example,IP:192.0.2.1" or NULL */
	const char *crl_dp;    /**< "URI:http://..." or NULL */
	const char *aia;       /**< "OCSP;URI:http://..." or NULL */
};

EVP_PKEY *cg_key_ec(void);
EVP_PKEY *cg_key_rsa(void);

/** Sign with @p issuer_key; a NULL @p issuer makes it self-signed. Caller frees. */
X509 *cg_cert(const struct cg_opts *o, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key);

/** CRL of @p ca revoking @p n serials; next update at now + @p next_s (negative: expired). */
X509_CRL *cg_crl(X509 *ca, EVP_PKEY *ca_key, const long *revoked, int n, long next_s);

/** Write PEM (appending when @p append). @return 0 or -1. */
int cg_write_cert(const char *path, X509 *x, bool append);
int cg_write_crl(const char *path, X509_CRL *c);
int cg_write_key(const char *path, EVP_PKEY *k);

/** A fresh scratch directory (mkdtemp under TMPDIR); cg_rmdir() removes it. */
char *cg_tmpdir(void);
void cg_rmdir(char *dir);

/** "dir/name" in a static rotating buffer (8 slots). */
const char *cg_path(const char *dir, const char *name);

#endif
