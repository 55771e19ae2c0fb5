/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Trustpoints: CA store, own certificate and key, revocation (CRL files, CRLs fetched from
 * distribution points, OCSP); validation by X509_verify_cert(). */
#include "controlplane/pki/trustpoint.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/log.h"
#include "controlplane/pki/revoke.h"

#define PKI_CHAIN_MAX 10 /* certificates in a chain, anchor included */

struct pki_tp {
	char name[PKI_TP_NAME_MAX];
	X509_STORE *store;
	STACK_OF(X509) *cas;        /* every configured CA certificate */
	STACK_OF(X509) *untrusted;  /* the configured intermediates (non-self-signed CAs) */
	uint8_t (*hashes)[PKI_SHA1_LEN];
	X509 *cert;
	STACK_OF(X509) *cert_chain;
	EVP_PKEY *key;
	bool require_eku, partial_chain;
	enum pki_rev_method methods[3];  /* revocation_check, in order */
	unsigned n_methods;
	bool checks;                     /* a method other than "none" */
	X509_STORE *ocsp_store;          /* the anchors, for OCSP responders' chains */
	struct pki_rev *rev;             /* fetched CRLs and OCSP answers */
};

/* One validation's revocation state (X509_STORE_CTX app data). */
struct vstate {
	const struct pki_tp *tp;
	int n;                           /* chain length */
	bool crl_pass;                   /* the second, CRL-checking X509_verify_cert() */
	bool need_crl[PKI_CHAIN_MAX];    /* the CRL method is asked about this depth */
	int crl_err[PKI_CHAIN_MAX];      /* what the CRL pass found wrong (0: nothing) */
	char fetch_why[PKI_CHAIN_MAX][240]; /* why no CRL was fetched */
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

static bool crl_error(int e)
{
	switch (e) {
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
	case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
	case X509_V_ERR_DIFFERENT_CRL_SCOPE:
	case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
	case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
	case X509_V_ERR_CERT_REVOKED:
		return true;
	default:
		return false;
	}
}

/* In the CRL pass, CRL findings are noted per depth instead of ending the validation: the
 * revocation methods judge them afterwards (check_revocation()). */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct vstate *vs = X509_STORE_CTX_get_app_data(ctx);
	int e = X509_STORE_CTX_get_error(ctx), d = X509_STORE_CTX_get_error_depth(ctx);

	if (ok || !vs || !vs->crl_pass || !crl_error(e))
		return ok;
	if (d >= 0 && d < PKI_CHAIN_MAX && (!vs->crl_err[d] || e == X509_V_ERR_CERT_REVOKED))
		vs->crl_err[d] = e;
	return 1;
}

/* A CRL among @p crls that is current. */
static bool has_current(STACK_OF(X509_CRL) *crls, time_t now)
{
	for (int i = 0; crls && i < sk_X509_CRL_num(crls); i++) {
		const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(sk_X509_CRL_value(crls, i));

		if (!nu || X509_cmp_time(nu, &now) > 0)
			return true;
	}
	return false;
}

/* OpenSSL asks for the CRLs of the issuer @p nm of the certificate at the error depth: the
 * CRL files', and, for a depth the "crl" method is asked about and no current file CRL
 * covers, the CRLs of the certificate's distribution points (crl_fetch). */
static STACK_OF(X509_CRL) *lookup_crls(const X509_STORE_CTX *ctx, const X509_NAME *nm)
{
	struct vstate *vs = X509_STORE_CTX_get_app_data(ctx);
	STACK_OF(X509_CRL) *crls = X509_STORE_CTX_get1_crls(ctx, nm);
	STACK_OF(X509) *ch = X509_STORE_CTX_get0_chain(ctx);
	X509 *x = X509_STORE_CTX_get_current_cert(ctx);
	int d = X509_STORE_CTX_get_error_depth(ctx);

	ERR_clear_error();
	if (!vs || !vs->crl_pass || !pki_rev_crl_fetch(vs->tp->rev) || !x || !ch || d < 0 ||
	    d >= PKI_CHAIN_MAX || d + 1 >= sk_X509_num(ch) || !vs->need_crl[d] ||
	    sk_X509_value(ch, d) != x || has_current(crls, time(NULL)))
		return crls;
	if (!crls && !(crls = sk_X509_CRL_new_null()))
		return NULL;
	if (!pki_rev_crls(vs->tp->rev, x, sk_X509_value(ch, d + 1), 0, crls, vs->fetch_why[d],
			  sizeof(vs->fetch_why[d])))
		rp_log(RP_LOG_DEBUG, "pki", "trustpoint %s: no CRL fetched for depth %d: %s",
		       vs->tp->name, d, vs->fetch_why[d]);
	return crls;
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
	if (cfg->n_methods) {
		if (cfg->n_methods > 3)
			FAIL(-EINVAL, "trustpoint %s: at most 3 revocation methods", cfg->name);
		memcpy(tp->methods, cfg->methods, cfg->n_methods * sizeof(cfg->methods[0]));
		tp->n_methods = cfg->n_methods;
	} else if (cfg->rev_crl) {
		tp->methods[tp->n_methods++] = PKI_REV_M_CRL;
		if (cfg->rev_none_fallback)
			tp->methods[tp->n_methods++] = PKI_REV_M_NONE;
	}
	for (unsigned i = 0; i < tp->n_methods; i++) {
		if (tp->methods[i] != PKI_REV_M_NONE)
			tp->checks = true;
		if (tp->methods[i] == PKI_REV_M_OCSP && !tp->ocsp_store &&
		    !(tp->ocsp_store = X509_STORE_new()))
			FAIL(-ENOMEM, "out of memory");
	}
	if (tp->ocsp_store || cfg->crl_fetch) {
		struct pki_rev_cfg rc_ = { .name = cfg->name, .crl_fetch = cfg->crl_fetch,
					   .ocsp_url = cfg->ocsp_url, .ocsp_nonce = !cfg->ocsp_no_nonce,
					   .timeout_ms = cfg->fetch_timeout_ms,
					   .max_bytes = cfg->fetch_max_bytes };

		if (!(tp->rev = pki_rev_create(&rc_)))
			FAIL(-ENOMEM, "out of memory");
	}
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
			if (!X509_STORE_add_cert(tp->store, ca) ||
			    (tp->ocsp_store && !X509_STORE_add_cert(tp->ocsp_store, ca)))
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
	/* CRL checking is switched on per validation, in its second pass (pki_tp_verify()) */
	if (cfg->partial_chain) {
		X509_STORE_set_flags(tp->store, X509_V_FLAG_PARTIAL_CHAIN);
		if (tp->ocsp_store)
			X509_STORE_set_flags(tp->ocsp_store, X509_V_FLAG_PARTIAL_CHAIN);
	}
	X509_STORE_set_depth(tp->store, PKI_CHAIN_MAX - 2);
	X509_STORE_set_verify_cb(tp->store, verify_cb);
	X509_STORE_set_lookup_crls(tp->store, lookup_crls);

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
	X509_STORE_free(tp->ocsp_store);
	pki_rev_destroy(tp->rev);
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

/* The second pass: the chain again, with CRL checking; findings per depth in @p vs. */
static int crl_pass(const struct pki_tp *tp, X509_STORE_CTX *ctx, X509 *leaf,
		    STACK_OF(X509) *untrusted, time_t at, struct vstate *vs, char *err,
		    size_t errlen)
{
	int rc = 0;

	X509_STORE_CTX_cleanup(ctx);
	if (!X509_STORE_CTX_init(ctx, tp->store, leaf, untrusted))
		FAIL("cannot set up validation");
	X509_STORE_CTX_set_app_data(ctx, vs);
	if (at)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), at);
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx),
				    X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	vs->crl_pass = true;
	if (X509_verify_cert(ctx) != 1)
		FAIL("%s (depth %d)", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)),
		     X509_STORE_CTX_get_error_depth(ctx));
out:
	return rc;
}

struct depth_state {
	unsigned m;        /* next method to ask */
	bool done;         /* decided: good, or accepted by "none" */
	int hard;          /* a CRL that is there but unusable (expired, bad signature...) */
	char notes[600];   /* why the methods asked so far had no answer */
};

static void note(struct depth_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct depth_state *st, const char *fmt, ...)
{
	size_t l = strlen(st->notes);
	va_list ap;

	if (l && l + 2 < sizeof(st->notes)) {
		memcpy(st->notes + l, "; ", 3);
		l += 2;
	}
	va_start(ap, fmt);
	vsnprintf(st->notes + l, sizeof(st->notes) - l, fmt, ap);
	va_end(ap);
}

/* Ask the methods about depth @p d in order, up to a decision or to "crl" when the CRL pass
 * has not run (@p crl_done false). 0: decided or waiting; -EACCES: refused (@p err). */
static int advance(const struct pki_tp *tp, STACK_OF(X509) *vchain, int d, bool crl_done,
		   struct vstate *vs, struct depth_state *st, char *err, size_t errlen)
{
	X509 *x = sk_X509_value(vchain, d), *issuer = sk_X509_value(vchain, d + 1);
	char why[400], subj[256];
	int rc = 0, e;

	X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof(subj));
	for (; !st->done && st->m < tp->n_methods; st->m++) {
		switch (tp->methods[st->m]) {
		case PKI_REV_M_OCSP:
			switch (pki_rev_ocsp(tp->rev, x, issuer, tp->ocsp_store, vchain, 0, why,
					     sizeof(why))) {
			case PKI_REV_GOOD:
				rp_log(RP_LOG_DEBUG, "pki", "trustpoint %s: %s (depth %d): %s",
				       tp->name, subj, d, why);
				st->done = true;
				return 0;
			case PKI_REV_REVOKED:
				FAIL("certificate revoked (depth %d): %s", d, why);
			default:
				note(st, "%s", why);
			}
			break;
		case PKI_REV_M_CRL:
			if (!crl_done) {
				vs->need_crl[d] = true;
				return 0;
			}
			e = vs->crl_err[d];
			if (!e) {
				st->done = true;
				return 0;
			}
			if (e == X509_V_ERR_CERT_REVOKED)
				FAIL("%s (depth %d)", X509_verify_cert_error_string(e), d);
			if (e != X509_V_ERR_UNABLE_TO_GET_CRL && e != X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER)
				st->hard = e;
			note(st, "%s%s%s", X509_verify_cert_error_string(e),
			     vs->fetch_why[d][0] ? ": " : "", vs->fetch_why[d]);
			break;
		case PKI_REV_M_NONE:
			if (st->hard)
				FAIL("%s (depth %d)", X509_verify_cert_error_string(st->hard), d);
			rp_log(RP_LOG_NOTICE, "pki", "trustpoint %s: no revocation answer for %s "
			       "(depth %d): %s; accepted (revocation_check ends with none)", tp->name,
			       subj, d, st->notes);
			st->done = true;
			return 0;
		}
	}
	if (!st->done)
		FAIL("%s (depth %d)", st->notes[0] ? st->notes : "no revocation answer", d);
out:
	return rc;
}

/* revocation_check for every certificate of @p vchain below its anchor. */
static int check_revocation(const struct pki_tp *tp, X509_STORE_CTX *ctx, X509 *leaf,
			    STACK_OF(X509) *untrusted, STACK_OF(X509) *vchain, time_t at,
			    char *err, size_t errlen)
{
	struct vstate *vs = calloc(1, sizeof(*vs));
	struct depth_state *st = calloc(PKI_CHAIN_MAX, sizeof(*st));
	int n = sk_X509_num(vchain), rc = 0;
	bool need = false;

	if (!vs || !st)
		FAIL("out of memory");
	if (n > PKI_CHAIN_MAX)
		FAIL("chain of %d certificates (at most %d)", n, PKI_CHAIN_MAX);
	vs->tp = tp;
	vs->n = n;
	/* the anchor (top) is trusted as configured: not checked */
	for (int d = 0; d + 1 < n; d++)
		if ((rc = advance(tp, vchain, d, false, vs, &st[d], err, errlen)))
			goto out;
	for (int d = 0; d + 1 < n; d++)
		need |= vs->need_crl[d];
	if (!need)
		goto out;
	if ((rc = crl_pass(tp, ctx, leaf, untrusted, at, vs, err, errlen)))
		goto out;
	for (int d = 0; d + 1 < n; d++)
		if (vs->need_crl[d] && (rc = advance(tp, vchain, d, true, vs, &st[d], err, errlen)))
			goto out;
out:
	free(vs);
	free(st);
	return rc;
}

int pki_tp_verify(const struct pki_tp *tp, X509 *leaf, STACK_OF(X509) *chain, time_t at,
		  char *err, size_t errlen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_dup(tp->untrusted), *vchain = NULL;
	int rc = 0;

	if (!ctx || !untrusted)
		FAIL("out of memory");
	for (int i = 0; chain && i < sk_X509_num(chain); i++)
		if (!sk_X509_push(untrusted, sk_X509_value(chain, i)))
			FAIL("out of memory");
	if (!X509_STORE_CTX_init(ctx, tp->store, leaf, untrusted))
		FAIL("cannot set up validation");
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
	if (tp->checks) {
		vchain = X509_STORE_CTX_get1_chain(ctx);
		if (!vchain)
			FAIL("out of memory");
		rc = check_revocation(tp, ctx, leaf, untrusted, vchain, at, err, errlen);
	}
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(vchain, X509_free);
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

struct pki_rev *pki_tp_rev(const struct pki_tp *tp)
{
	return tp->rev;
}

size_t pki_tp_n_ca(const struct pki_tp *tp)
{
	return (size_t)sk_X509_num(tp->cas);
}
