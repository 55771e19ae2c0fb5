/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Trustpoints: CA store, own certificate and key, CRLs; validation by X509_verify_cert(). */
#include "controlplane/pki/trustpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/log.h"

struct pki_tp {
	char name[PKI_TP_NAME_MAX];
	X509_STORE *store;
	STACK_OF(X509) *cas;        /* every configured CA certificate */
	STACK_OF(X509) *untrusted;  /* the configured intermediates (non-self-signed CAs) */
	uint8_t (*hashes)[PKI_SHA1_LEN];
	X509 *cert;
	STACK_OF(X509) *cert_chain;
	EVP_PKEY *key;
	bool rev_crl, rev_none_fallback, require_eku, partial_chain;
};

#define FAIL(code, ...) do { snprintf(err, errlen, __VA_ARGS__); rc = (code); goto out; } while (0)

int pki_spki_sha1(const X509 *cert, uint8_t out[PKI_SHA1_LEN])
{
	unsigned char *der = NULL;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	int rc = 0;

	if (len <= 0)
		return -EINVAL;
	if (!EVP_Digest(der, (size_t)len, out, NULL, EVP_sha1(), NULL))
		rc = -EINVAL;
	OPENSSL_free(der);
	return rc;
}

/* Certificates and CRLs of one file: PEM (any number) or a single DER object. */
static int read_objects(const char *path, STACK_OF(X509) *certs, STACK_OF(X509_CRL) *crls,
			char *err, size_t errlen)
{
	STACK_OF(X509_INFO) *infos = NULL;
	BIO *bio = BIO_new_file(path, "rb");
	int rc = 0, n = 0;

	if (!bio)
		FAIL(-ENOENT, "cannot open %s: %s", path, strerror(errno ? errno : ENOENT));
	infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	for (int i = 0; infos && i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *xi = sk_X509_INFO_value(infos, i);

		if (xi->x509 && certs) {
			sk_X509_push(certs, xi->x509);
			xi->x509 = NULL;
			n++;
		}
		if (xi->crl && crls) {
			sk_X509_CRL_push(crls, xi->crl);
			xi->crl = NULL;
			n++;
		}
	}
	if (!n) {
		X509 *x;
		X509_CRL *c;

		ERR_clear_error();
		(void)BIO_reset(bio);
		if (certs && (x = d2i_X509_bio(bio, NULL))) {
			sk_X509_push(certs, x);
			n++;
		} else if (crls && ((void)BIO_reset(bio), (c = d2i_X509_CRL_bio(bio, NULL)))) {
			sk_X509_CRL_push(crls, c);
			n++;
		}
	}
	ERR_clear_error();
	if (!n)
		FAIL(-EINVAL, "%s holds no %s (PEM or DER)", path, certs ? "certificate" : "CRL");
out:
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	return rc;
}

static bool self_signed(X509 *x)
{
	return X509_check_issued(x, x) == X509_V_OK;
}

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	const struct pki_tp *tp = X509_STORE_CTX_get_app_data(ctx);

	if (!ok && tp && tp->rev_none_fallback &&
	    X509_STORE_CTX_get_error(ctx) == X509_V_ERR_UNABLE_TO_GET_CRL)
		return 1; /* revocation-check crl none: no CRL is not a failure */
	return ok;
}

int pki_tp_create(const struct pki_tp_cfg *cfg, struct pki_tp **out, char *err, size_t errlen)
{
	struct pki_tp *tp = calloc(1, sizeof(*tp));
	STACK_OF(X509_CRL) *crls = NULL;
	STACK_OF(X509) *own = NULL;
	BIO *kb = NULL;
	int rc = 0;

	*out = NULL;
	if (!tp)
		return -ENOMEM;
	snprintf(tp->name, sizeof(tp->name), "%s", cfg->name);
	tp->store = X509_STORE_new();
	tp->cas = sk_X509_new_null();
	tp->untrusted = sk_X509_new_null();
	crls = sk_X509_CRL_new_null();
	if (!tp->store || !tp->cas || !tp->untrusted || !crls)
		FAIL(-ENOMEM, "out of memory");
	tp->rev_crl = cfg->rev_crl;
	tp->rev_none_fallback = cfg->rev_crl && cfg->rev_none_fallback;
	tp->require_eku = cfg->require_client_auth_eku;
	tp->partial_chain = cfg->partial_chain;

	if (!cfg->n_ca)
		FAIL(-EINVAL, "trustpoint %s has no CA certificate", cfg->name);
	for (unsigned i = 0; i < cfg->n_ca; i++)
		if ((rc = read_objects(cfg->ca_files[i], tp->cas, NULL, err, errlen)))
			goto out;
	tp->hashes = calloc((size_t)sk_X509_num(tp->cas), sizeof(*tp->hashes));
	if (!tp->hashes)
		FAIL(-ENOMEM, "out of memory");
	for (int i = 0; i < sk_X509_num(tp->cas); i++) {
		X509 *ca = sk_X509_value(tp->cas, i);
		char subj[256];

		X509_NAME_oneline(X509_get_subject_name(ca), subj, sizeof(subj));
		if (!X509_check_ca(ca))
			FAIL(-EINVAL, "trustpoint %s: %s is not a CA certificate", cfg->name, subj);
		if (pki_spki_sha1(ca, tp->hashes[i]))
			FAIL(-EINVAL, "trustpoint %s: cannot hash the key of %s", cfg->name, subj);
		/* Roots anchor the chain; intermediates help build it (and anchor it too when
		 * partial_chain says so, as an IOS trustpoint on a subordinate CA does). */
		if (self_signed(ca) || tp->partial_chain) {
			if (!X509_STORE_add_cert(tp->store, ca))
				FAIL(-EINVAL, "trustpoint %s: cannot add %s", cfg->name, subj);
		} else if (!sk_X509_push(tp->untrusted, ca) || !X509_up_ref(ca)) {
			FAIL(-ENOMEM, "out of memory");
		}
	}
	for (unsigned i = 0; i < cfg->n_crl; i++)
		if ((rc = read_objects(cfg->crl_files[i], NULL, crls, err, errlen)))
			goto out;
	for (int i = 0; i < sk_X509_CRL_num(crls); i++)
		if (!X509_STORE_add_crl(tp->store, sk_X509_CRL_value(crls, i)))
			FAIL(-EINVAL, "trustpoint %s: cannot add CRL from the CRL files", cfg->name);
	if (cfg->rev_crl)
		X509_STORE_set_flags(tp->store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	if (cfg->partial_chain)
		X509_STORE_set_flags(tp->store, X509_V_FLAG_PARTIAL_CHAIN);
	X509_STORE_set_verify_cb(tp->store, verify_cb);

	if (cfg->cert_file) {
		struct stat st;

		own = sk_X509_new_null();
		if (!own)
			FAIL(-ENOMEM, "out of memory");
		if ((rc = read_objects(cfg->cert_file, own, NULL, err, errlen)))
			goto out;
		tp->cert = sk_X509_shift(own);
		tp->cert_chain = own;
		own = NULL;
		if (!cfg->key_file)
			FAIL(-EINVAL, "trustpoint %s: a certificate needs its private key", cfg->name);
		kb = BIO_new_file(cfg->key_file, "rb");
		if (!kb)
			FAIL(-ENOENT, "cannot open %s: %s", cfg->key_file, strerror(errno ? errno : ENOENT));
		if (stat(cfg->key_file, &st) == 0 && (st.st_mode & 0077))
			rp_log(RP_LOG_WARN, "pki", "trustpoint %s: private key %s is readable by "
			       "group or others (chmod 600)", cfg->name, cfg->key_file);
		tp->key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
		if (!tp->key) {
			ERR_clear_error();
			(void)BIO_reset(kb);
			tp->key = d2i_PrivateKey_bio(kb, NULL);
		}
		ERR_clear_error();
		if (!tp->key)
			FAIL(-EINVAL, "%s holds no private key (unencrypted PEM or DER)", cfg->key_file);
		if (!X509_check_private_key(tp->cert, tp->key)) {
			ERR_clear_error();
			FAIL(-EINVAL, "trustpoint %s: %s does not belong to the certificate in %s",
			     cfg->name, cfg->key_file, cfg->cert_file);
		}
		/* Windows and AnyConnect clients refuse a server certificate without serverAuth
		 * (reference 001); IOS peers do not care, so this is a warning. */
		if ((X509_get_extension_flags(tp->cert) & EXFLAG_XKUSAGE) &&
		    !(X509_get_extended_key_usage(tp->cert) & (XKU_SSL_SERVER | XKU_ANYEKU)))
			rp_log(RP_LOG_WARN, "pki", "trustpoint %s: our certificate %s has extended key "
			       "usage without serverAuth; Windows and AnyConnect clients will refuse it",
			       cfg->name, cfg->cert_file);
	} else if (cfg->key_file) {
		FAIL(-EINVAL, "trustpoint %s: a private key without a certificate", cfg->name);
	}
	*out = tp;
	tp = NULL;
out:
	BIO_free(kb);
	sk_X509_pop_free(own, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	pki_tp_destroy(tp);
	return rc;
}

void pki_tp_destroy(struct pki_tp *tp)
{
	if (!tp)
		return;
	X509_STORE_free(tp->store);
	sk_X509_pop_free(tp->cas, X509_free);
	sk_X509_pop_free(tp->untrusted, X509_free);
	free(tp->hashes);
	X509_free(tp->cert);
	sk_X509_pop_free(tp->cert_chain, X509_free);
	EVP_PKEY_free(tp->key);
	free(tp);
}

const char *pki_tp_name(const struct pki_tp *tp)
{
	return tp->name;
}

#undef FAIL
#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); rc = -EACCES; goto out; } while (0)

int pki_tp_verify(const struct pki_tp *tp, X509 *leaf, STACK_OF(X509) *chain, time_t at,
		  char *err, size_t errlen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_dup(tp->untrusted);
	int rc = 0;

	if (!ctx || !untrusted)
		FAIL("out of memory");
	for (int i = 0; chain && i < sk_X509_num(chain); i++)
		if (!sk_X509_push(untrusted, sk_X509_value(chain, i)))
			FAIL("out of memory");
	if (!X509_STORE_CTX_init(ctx, tp->store, leaf, untrusted))
		FAIL("cannot set up validation");
	X509_STORE_CTX_set_app_data(ctx, (void *)tp);
	if (at)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), at);
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);

		FAIL("%s (depth %d)", X509_verify_cert_error_string(e),
		     X509_STORE_CTX_get_error_depth(ctx));
	}
	if (tp->require_eku) {
		uint32_t f = X509_get_extension_flags(leaf);
		uint32_t xku = X509_get_extended_key_usage(leaf);

		if (!(f & EXFLAG_XKUSAGE) || !(xku & (XKU_SSL_CLIENT | XKU_ANYEKU)))
			FAIL("certificate lacks extended key usage clientAuth");
	}
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted); /* borrowed elements */
	return rc;
}

bool pki_tp_issued(const struct pki_tp *tp, const X509 *cert)
{
	for (int i = 0; i < sk_X509_num(tp->cas); i++)
		if (X509_check_issued(sk_X509_value(tp->cas, i), (X509 *)cert) == X509_V_OK)
			return true;
	return false;
}

bool pki_tp_has_ca_hash(const struct pki_tp *tp, const uint8_t hash[PKI_SHA1_LEN])
{
	for (int i = 0; i < sk_X509_num(tp->cas); i++)
		if (!memcmp(tp->hashes[i], hash, PKI_SHA1_LEN))
			return true;
	return false;
}

size_t pki_tp_ca_hashes(const struct pki_tp *tp, const uint8_t (**hashes)[PKI_SHA1_LEN])
{
	*hashes = (const uint8_t (*)[PKI_SHA1_LEN])tp->hashes;
	return (size_t)sk_X509_num(tp->cas);
}

struct pki_tp *pki_tp_find_by_certreq(struct pki_tp *const *tps, size_t n,
				      const uint8_t *certreq, size_t len)
{
	for (size_t t = 0; t < n; t++)
		for (size_t off = 0; off + PKI_SHA1_LEN <= len; off += PKI_SHA1_LEN)
			if (pki_tp_has_ca_hash(tps[t], certreq + off))
				return tps[t];
	return NULL;
}

X509 *pki_tp_cert(const struct pki_tp *tp)
{
	return tp->cert;
}

STACK_OF(X509) *pki_tp_cert_chain(const struct pki_tp *tp)
{
	return tp->cert_chain;
}

EVP_PKEY *pki_tp_key(const struct pki_tp *tp)
{
	return tp->key;
}

size_t pki_tp_n_ca(const struct pki_tp *tp)
{
	return (size_t)sk_X509_num(tp->cas);
}
