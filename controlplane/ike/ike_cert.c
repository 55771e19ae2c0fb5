/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* IKE_AUTH by the policy model: profiles, certificates, signatures. See ike_cert.h. */
#include "controlplane/ike/ike_cert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "common/cursor.h"
#include "common/log.h"
#include "controlplane/ike/crypto.h"
#include "controlplane/policy/policy.h"
#include "controlplane/util/workpool.h"

#define COMP "ike"

struct pa_job;

struct ike_pauth {
	const struct pol_set *set;
	struct ike_authenticator fallback;
	bool has_fallback;
	struct workpool *wp;            /* borrowed; NULL: public-key work on the caller's thread */
	struct pa_job *pending;         /* submitted to wp or waiting for AAA, not delivered yet */
	struct ike_psk_source psk;      /* keyring_aaa keys (lookup NULL: none) */
};

static void say(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

const char *ike_auth_method_name(uint8_t method)
{
	switch (method) {
	case 0: return "none (EAP)";
	case IKE_AUTH_RSA_SIG: return "RSA signature";
	case IKE_AUTH_PSK: return "pre-shared key";
	case IKE_AUTH_DSS: return "DSS signature";
	case IKE_AUTH_ECDSA_256: return "ECDSA-256";
	case IKE_AUTH_ECDSA_384: return "ECDSA-384";
	case IKE_AUTH_ECDSA_521: return "ECDSA-521";
	case IKE_AUTH_DIGITAL_SIG: return "digital signature (RFC 7427)";
	default: return "unknown method";
	}
}

/* ---- keys ------------------------------------------------------------------------------ */

enum key_kind { KEY_OTHER, KEY_RSA, KEY_RSA_PSS, KEY_EC };

static enum key_kind key_kind(EVP_PKEY *k, int *curve_nid)
{
	char grp[64];
	size_t gl = 0;

	*curve_nid = NID_undef;
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		return KEY_RSA;
	case EVP_PKEY_RSA_PSS:
		return KEY_RSA_PSS;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, grp, sizeof(grp),
						   &gl))
			*curve_nid = OBJ_txt2nid(grp);
		if (*curve_nid == NID_undef)
			*curve_nid = EC_curve_nist2nid(grp);
		ERR_clear_error();
		return KEY_EC;
	default:
		return KEY_OTHER;
	}
}

/* Classic ECDSA methods (RFC 4754): curve, hash, size of r and s. */
static bool ecdsa_classic(uint8_t method, int *curve, const EVP_MD **md, size_t *n)
{
	switch (method) {
	case IKE_AUTH_ECDSA_256:
		*curve = NID_X9_62_prime256v1; *md = EVP_sha256(); *n = 32;
		return true;
	case IKE_AUTH_ECDSA_384:
		*curve = NID_secp384r1; *md = EVP_sha384(); *n = 48;
		return true;
	case IKE_AUTH_ECDSA_521:
		*curve = NID_secp521r1; *md = EVP_sha512(); *n = 66;
		return true;
	default:
		return false;
	}
}

/* r | s (fixed width) <-> DER ECDSA-Sig-Value */
static int ecdsa_raw_to_der(const uint8_t *raw, size_t n, uint8_t **der, size_t *der_len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)n, NULL), *ss = BN_bin2bn(raw + n, (int)n, NULL);
	unsigned char *p = NULL;
	int l;

	if (!s || !r || !ss || !ECDSA_SIG_set0(s, r, ss)) {
		BN_free(r);
		BN_free(ss);
		ECDSA_SIG_free(s);
		return -ENOMEM;
	}
	l = i2d_ECDSA_SIG(s, &p);
	ECDSA_SIG_free(s);
	if (l <= 0)
		return -ENOMEM;
	*der = p;
	*der_len = (size_t)l;
	return 0;
}

static int ecdsa_der_to_raw(const uint8_t *der, size_t len, size_t n, uint8_t *raw)
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *ss;
	int rc = -EINVAL;

	if (!s)
		return -EINVAL;
	ECDSA_SIG_get0(s, &r, &ss);
	if (BN_bn2binpad(r, raw, (int)n) == (int)n && BN_bn2binpad(ss, raw + n, (int)n) == (int)n)
		rc = 0;
	ECDSA_SIG_free(s);
	return rc;
}

struct sig_params {
	const EVP_MD *md;
	bool pss;
	const EVP_MD *mgf1;
	int salt;
};

static int do_verify(EVP_PKEY *pub, const struct sig_params *sp, const uint8_t *sig,
		     size_t sig_len, const uint8_t *data, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0, dummy;

	if (ctx && EVP_DigestVerifyInit(ctx, &pctx, sp->md, NULL, pub) == 1) {
		ok = 1;
		if (sp->pss)
			ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
			     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, sp->mgf1) > 0 &&
			     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, sp->salt) > 0;
		else if (key_kind(pub, &dummy) == KEY_RSA)
			ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
		if (ok)
			ok = EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;
	}
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : -EACCES;
}

/* RFC 7427 §3: the hash of a method 14 signature must be one we announced (SHA-2). */
static const EVP_MD *announced_md(int nid)
{
	switch (nid) {
	case NID_sha256: return EVP_sha256();
	case NID_sha384: return EVP_sha384();
	case NID_sha512: return EVP_sha512();
	default: return NULL;
	}
}

/* RSASSA-PSS parameters (RFC 4055): hash, MGF1 with a hash, salt length, trailer 1. */
static int pss_params(const X509_ALGOR *alg, struct sig_params *sp, char *why, size_t whylen)
{
	const ASN1_OBJECT *obj;
	const void *pv;
	int ptype;
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgf1md = NULL;
	int rc = -EACCES, hnid = NID_sha1, mnid = NID_sha1;
	long salt = 20;

	X509_ALGOR_get0(&obj, &ptype, &pv, alg);
	if (ptype != V_ASN1_SEQUENCE) {
		say(why, whylen, "RSA-PSS without parameters");
		return -EACCES;
	}
	pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), alg->parameter);
	if (!pss) {
		say(why, whylen, "RSA-PSS parameters do not parse");
		goto out;
	}
	if (pss->hashAlgorithm)
		hnid = OBJ_obj2nid(pss->hashAlgorithm->algorithm);
	if (pss->maskGenAlgorithm) {
		if (OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1) {
			say(why, whylen, "RSA-PSS with a mask generation function other than MGF1");
			goto out;
		}
		mgf1md = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
						   pss->maskGenAlgorithm->parameter);
		if (!mgf1md) {
			say(why, whylen, "RSA-PSS MGF1 parameters do not parse");
			goto out;
		}
		mnid = OBJ_obj2nid(mgf1md->algorithm);
	}
	if (pss->saltLength) {
		salt = ASN1_INTEGER_get(pss->saltLength);
		if (salt < 0 || salt > 1024) {
			say(why, whylen, "RSA-PSS salt length out of range");
			goto out;
		}
	}
	if (pss->trailerField && ASN1_INTEGER_get(pss->trailerField) != 1) {
		say(why, whylen, "RSA-PSS trailer field other than 1");
		goto out;
	}
	sp->md = announced_md(hnid);
	sp->mgf1 = announced_md(mnid);
	if (!sp->md || !sp->mgf1) {
		say(why, whylen, "RSA-PSS with hash %s / MGF1 %s: we announced only SHA-256/384/512",
		    OBJ_nid2sn(hnid), OBJ_nid2sn(mnid));
		goto out;
	}
	sp->pss = true;
	sp->salt = (int)salt;
	rc = 0;
out:
	RSA_PSS_PARAMS_free(pss);
	X509_ALGOR_free(mgf1md);
	ERR_clear_error();
	return rc;
}

int ike_sig_verify(EVP_PKEY *pub, uint8_t method, const uint8_t *auth, size_t auth_len,
		   const uint8_t *data, size_t len, char *why, size_t whylen)
{
	struct sig_params sp = { 0 };
	int curve, want_curve, rc;
	enum key_kind kk = key_kind(pub, &curve);
	size_t n;

	switch (method) {
	case IKE_AUTH_RSA_SIG:
		/* §3.8: RSASSA-PKCS1-v1_5 with SHA-1 */
		if (kk != KEY_RSA) {
			say(why, whylen, "RSA signature method, but the certificate's key is not RSA");
			return -EACCES;
		}
		sp.md = EVP_sha1();
		rc = do_verify(pub, &sp, auth, auth_len, data, len);
		break;
	case IKE_AUTH_ECDSA_256:
	case IKE_AUTH_ECDSA_384:
	case IKE_AUTH_ECDSA_521: {
		uint8_t *der = NULL;
		size_t der_len;

		ecdsa_classic(method, &want_curve, &sp.md, &n);
		if (kk != KEY_EC || curve != want_curve) {
			say(why, whylen, "%s needs a key on curve %s, the certificate has %s",
			    ike_auth_method_name(method), OBJ_nid2sn(want_curve),
			    kk == KEY_EC ? OBJ_nid2sn(curve) : "no EC key");
			return -EACCES;
		}
		if (auth_len != 2 * n) {
			say(why, whylen, "%s signature of %zu bytes, expected %zu",
			    ike_auth_method_name(method), auth_len, 2 * n);
			return -EACCES;
		}
		if (ecdsa_raw_to_der(auth, n, &der, &der_len)) {
			say(why, whylen, "out of memory");
			return -ENOMEM;
		}
		rc = do_verify(pub, &sp, der, der_len, data, len);
		OPENSSL_free(der);
		break;
	}
	case IKE_AUTH_DIGITAL_SIG: {
		/* RFC 7427 §3: length of the AlgorithmIdentifier, the AlgorithmIdentifier, the
		 * signature */
		const unsigned char *p, *aid, *sig;
		struct rp_cursor cur;
		X509_ALGOR *alg = NULL;
		uint8_t alen = 0;
		size_t sig_len;
		int nid;

		/* length of the AlgorithmIdentifier | AlgorithmIdentifier | signature */
		rp_cur_init(&cur, auth, auth_len);
		if (!rp_cur_u8(&cur, &alen) || !alen || !(aid = rp_cur_take(&cur, alen)) ||
		    !(sig_len = rp_cur_left(&cur))) {
			say(why, whylen, "malformed RFC 7427 AUTH data");
			return -EACCES;
		}
		sig = rp_cur_take(&cur, sig_len);
		p = aid;
		alg = d2i_X509_ALGOR(NULL, &p, (long)alen);
		if (!alg || p != aid + alen) {
			X509_ALGOR_free(alg);
			ERR_clear_error();
			say(why, whylen, "RFC 7427 AlgorithmIdentifier does not parse");
			return -EACCES;
		}
		nid = OBJ_obj2nid(alg->algorithm);
		rc = 0;
		switch (nid) {
		case NID_sha256WithRSAEncryption:
		case NID_sha384WithRSAEncryption:
		case NID_sha512WithRSAEncryption:
			sp.md = nid == NID_sha256WithRSAEncryption ? EVP_sha256() :
				nid == NID_sha384WithRSAEncryption ? EVP_sha384() : EVP_sha512();
			if (kk != KEY_RSA) {
				say(why, whylen, "%s signature, but the certificate's key is not RSA",
				    OBJ_nid2sn(nid));
				rc = -EACCES;
			}
			break;
		case NID_ecdsa_with_SHA256:
		case NID_ecdsa_with_SHA384:
		case NID_ecdsa_with_SHA512:
			sp.md = nid == NID_ecdsa_with_SHA256 ? EVP_sha256() :
				nid == NID_ecdsa_with_SHA384 ? EVP_sha384() : EVP_sha512();
			if (kk != KEY_EC) {
				say(why, whylen, "%s signature, but the certificate's key is not EC",
				    OBJ_nid2sn(nid));
				rc = -EACCES;
			}
			break;
		case NID_rsassaPss:
			if (kk != KEY_RSA && kk != KEY_RSA_PSS) {
				say(why, whylen, "RSA-PSS signature, but the certificate's key is not RSA");
				rc = -EACCES;
			} else {
				rc = pss_params(alg, &sp, why, whylen);
			}
			break;
		default:
			say(why, whylen, "signature algorithm %s is not supported (we announced "
			    "SHA-256/384/512 with RSA, RSA-PSS or ECDSA)",
			    nid == NID_undef ? "(unknown OID)" : OBJ_nid2sn(nid));
			rc = -EACCES;
			break;
		}
		X509_ALGOR_free(alg);
		if (rc)
			return rc;
		rc = do_verify(pub, &sp, sig, sig_len, data, len);
		break;
	}
	default:
		say(why, whylen, "AUTH method %u (%s) is not supported", method,
		    ike_auth_method_name(method));
		return -EACCES;
	}
	if (rc)
		say(why, whylen, "the %s does not verify with the certificate's key",
		    ike_auth_method_name(method));
	return rc;
}

static int do_sign(EVP_PKEY *key, const EVP_MD *md, const uint8_t *data, size_t len,
		   uint8_t **sig, size_t *sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int curve, rc = -EINVAL;
	size_t sl = 0;

	*sig = NULL;
	if (!ctx || EVP_DigestSignInit(ctx, &pctx, md, NULL, key) != 1)
		goto out;
	if (key_kind(key, &curve) == KEY_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
		goto out;
	if (EVP_DigestSign(ctx, NULL, &sl, data, len) != 1 || !(*sig = OPENSSL_malloc(sl)) ||
	    EVP_DigestSign(ctx, *sig, &sl, data, len) != 1)
		goto out;
	*sig_len = sl;
	rc = 0;
out:
	if (rc) {
		OPENSSL_free(*sig);
		*sig = NULL;
	}
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

int ike_sig_sign(EVP_PKEY *key, uint16_t peer_hashes, const uint8_t *data, size_t len,
		 uint8_t *method, uint8_t *out, size_t cap, size_t *out_len, char *why,
		 size_t whylen)
{
	static const struct { uint8_t id; int md_nid; } pref[] = {
		{ IKE_HASH_SHA2_256, NID_sha256 },
		{ IKE_HASH_SHA2_384, NID_sha384 },
		{ IKE_HASH_SHA2_512, NID_sha512 },
	};
	int curve, hash_nid = NID_undef, sig_nid = NID_undef;
	enum key_kind kk = key_kind(key, &curve);
	uint8_t *sig = NULL, *der = NULL;
	size_t sig_len = 0, n = 0;
	X509_ALGOR *alg = NULL;
	unsigned char *ap = NULL;
	int alen = 0, rc = -EINVAL;

	if (kk != KEY_RSA && kk != KEY_EC) {
		say(why, whylen, "our key is neither RSA (PKCS#1) nor ECDSA");
		return -EINVAL;
	}
	/* RFC 7427: the first SHA-2 hash the peer announced; for ECDSA the curve's own hash
	 * first (as the classic methods pair them) */
	if (kk == KEY_EC) {
		int own = curve == NID_secp384r1 ? IKE_HASH_SHA2_384 :
			  curve == NID_secp521r1 ? IKE_HASH_SHA2_512 : IKE_HASH_SHA2_256;

		if (peer_hashes & (1u << own))
			hash_nid = pref[own - IKE_HASH_SHA2_256].md_nid;
	}
	for (size_t i = 0; hash_nid == NID_undef && i < sizeof(pref) / sizeof(pref[0]); i++)
		if (peer_hashes & (1u << pref[i].id))
			hash_nid = pref[i].md_nid;
	if (hash_nid != NID_undef) {
		if (!OBJ_find_sigid_by_algs(&sig_nid, hash_nid,
					    kk == KEY_RSA ? NID_rsaEncryption : NID_X9_62_id_ecPublicKey)) {
			say(why, whylen, "no signature algorithm for %s", OBJ_nid2sn(hash_nid));
			goto out;
		}
		alg = X509_ALGOR_new();
		/* RSA: NULL parameters, ECDSA: absent (RFC 7427 Appendix A) */
		if (!alg || !X509_ALGOR_set0(alg, OBJ_nid2obj(sig_nid),
					     kk == KEY_RSA ? V_ASN1_NULL : V_ASN1_UNDEF, NULL) ||
		    (alen = i2d_X509_ALGOR(alg, &ap)) <= 0 || alen > 255) {
			say(why, whylen, "cannot encode the AlgorithmIdentifier");
			goto out;
		}
		if (do_sign(key, EVP_get_digestbynid(hash_nid), data, len, &sig, &sig_len)) {
			say(why, whylen, "signing with our key failed");
			goto out;
		}
		if (1 + (size_t)alen + sig_len > cap) {
			say(why, whylen, "our signature is too long");
			goto out;
		}
		out[0] = (uint8_t)alen;
		memcpy(out + 1, ap, (size_t)alen);
		memcpy(out + 1 + alen, sig, sig_len);
		*out_len = 1 + (size_t)alen + sig_len;
		*method = IKE_AUTH_DIGITAL_SIG;
		rc = 0;
		goto out;
	}
	/* the classic methods */
	if (kk == KEY_RSA) {
		if (do_sign(key, EVP_sha1(), data, len, &sig, &sig_len) || sig_len > cap) {
			say(why, whylen, "signing with our key failed");
			goto out;
		}
		memcpy(out, sig, sig_len);
		*out_len = sig_len;
		*method = IKE_AUTH_RSA_SIG;
		rc = 0;
		goto out;
	}
	for (uint8_t m = IKE_AUTH_ECDSA_256; m <= IKE_AUTH_ECDSA_521; m++) {
		const EVP_MD *md;
		int c;

		if (!ecdsa_classic(m, &c, &md, &n) || c != curve)
			continue;
		if (do_sign(key, md, data, len, &der, &sig_len) || 2 * n > cap ||
		    ecdsa_der_to_raw(der, sig_len, n, out)) {
			say(why, whylen, "signing with our key failed");
			goto out;
		}
		*out_len = 2 * n;
		*method = m;
		rc = 0;
		goto out;
	}
	say(why, whylen, "our ECDSA key is on curve %s: the peer announced no RFC 7427 hash and "
	    "the classic methods cover only P-256, P-384 and P-521", OBJ_nid2sn(curve));
out:
	OPENSSL_free(sig);
	OPENSSL_free(der);
	OPENSSL_free(ap);
	X509_ALGOR_free(alg);
	ERR_clear_error();
	return rc;
}

int ike_id_bound(X509 *cert, uint8_t id_type, const uint8_t *id, size_t len, char *why,
		 size_t whylen)
{
	const unsigned int fl = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_WILDCARDS;
	char buf[256];
	int ok = 0;

	switch (id_type) {
	case IKE_ID_DER_ASN1_DN: {
		const unsigned char *p = id;
		X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)len);

		if (!n || p != id + len) {
			say(why, whylen, "IDi (ID_DER_ASN1_DN) is not a DER distinguished name");
			X509_NAME_free(n);
			ERR_clear_error();
			return -EACCES;
		}
		ok = X509_NAME_cmp(n, X509_get_subject_name(cert)) == 0;
		X509_NAME_free(n);
		if (!ok)
			say(why, whylen, "IDi (a distinguished name) is not the certificate's subject");
		break;
	}
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR:
		if (len >= sizeof(buf) || memchr(id, 0, len)) {
			say(why, whylen, "IDi is too long or holds a NUL");
			return -EACCES;
		}
		memcpy(buf, id, len);
		buf[len] = 0;
		ok = id_type == IKE_ID_FQDN ? X509_check_host(cert, buf, len, fl, NULL) == 1
					    : X509_check_email(cert, buf, len, fl) == 1;
		if (!ok)
			say(why, whylen, "IDi %s %s is not in the certificate's subjectAltName",
			    id_type == IKE_ID_FQDN ? "FQDN" : "e-mail", buf);
		break;
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR:
		if (len != (id_type == IKE_ID_IPV4_ADDR ? 4u : 16u)) {
			say(why, whylen, "IDi address of bad length");
			return -EACCES;
		}
		ok = X509_check_ip(cert, id, len, 0) == 1;
		if (!ok) {
			inet_ntop(id_type == IKE_ID_IPV4_ADDR ? AF_INET : AF_INET6, id, buf,
				  sizeof(buf));
			say(why, whylen, "IDi address %s is not in the certificate's subjectAltName",
			    buf);
		}
		break;
	default:
		say(why, whylen, "IDi of type %u cannot be bound to a certificate (use a DN, FQDN, "
		    "e-mail or IP address identity)", id_type);
		return -EACCES;
	}
	ERR_clear_error();
	return ok ? 0 : -EACCES;
}

/* ---- the authenticator ----------------------------------------------------------------- */

int ike_pauth_create(const struct pol_set *set, const struct ike_authenticator *fallback,
		     struct workpool *wp, struct ike_pauth **out)
{
	struct ike_pauth *pa = calloc(1, sizeof(*pa));

	*out = NULL;
	if (!pa)
		return -ENOMEM;
	pa->set = set;
	pa->wp = wp;
	if (fallback) {
		pa->fallback = *fallback;
		pa->has_fallback = true;
	}
	*out = pa;
	return 0;
}

static enum pol_id_type pol_id(uint8_t t)
{
	switch (t) {
	case IKE_ID_IPV4_ADDR: return POL_ID_IPV4;
	case IKE_ID_IPV6_ADDR: return POL_ID_IPV6;
	case IKE_ID_FQDN: return POL_ID_FQDN;
	case IKE_ID_RFC822_ADDR: return POL_ID_EMAIL;
	case IKE_ID_DER_ASN1_DN: return POL_ID_DN;
	case IKE_ID_KEY_ID: return POL_ID_KEY_ID;
	default: return POL_ID_NONE;
	}
}

static const char *methods_text(unsigned m, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", m & POL_AUTH_RSA_SIG ? " rsa-sig" : "",
		 m & POL_AUTH_ECDSA_SIG ? " ecdsa-sig" : "", m & POL_AUTH_PSK ? " pre-share" : "",
		 m & POL_AUTH_EAP ? " eap" : "");
	return buf;
}

/* The profile method class of the peer's AUTH method (0: unsupported). */
static unsigned method_class(uint8_t method, X509 *leaf)
{
	EVP_PKEY *k;
	int curve;

	switch (method) {
	case 0: return POL_AUTH_EAP; /* no AUTH payload: EAP follows (ike_eap.h) */
	case IKE_AUTH_PSK: return POL_AUTH_PSK;
	case IKE_AUTH_RSA_SIG: return POL_AUTH_RSA_SIG;
	case IKE_AUTH_ECDSA_256:
	case IKE_AUTH_ECDSA_384:
	case IKE_AUTH_ECDSA_521: return POL_AUTH_ECDSA_SIG;
	case IKE_AUTH_DIGITAL_SIG:
		k = leaf ? X509_get0_pubkey(leaf) : NULL;
		if (!k)
			return POL_AUTH_RSA_SIG; /* refused later: no certificate */
		switch (key_kind(k, &curve)) {
		case KEY_RSA:
		case KEY_RSA_PSS: return POL_AUTH_RSA_SIG;
		case KEY_EC: return POL_AUTH_ECDSA_SIG;
		default: return 0;
		}
	default: return 0;
	}
}

static X509 *parse_cert(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	if (x && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();
	return x;
}

/* Our certificate and its chain into the result's CERT payloads. */
static int add_certs(struct ike_auth_result *res, const struct pki_tp *tp)
{
	STACK_OF(X509) *chain = pki_tp_cert_chain(tp);
	X509 *x = pki_tp_cert(tp);

	for (int i = -1; x && res->n_certs < IKE_AUTH_CERTS_MAX; ) {
		unsigned char *der = NULL;
		int l = i2d_X509(x, &der);

		if (l <= 0)
			return -ENOMEM;
		res->cert[res->n_certs] = malloc((size_t)l);
		if (!res->cert[res->n_certs]) {
			OPENSSL_free(der);
			return -ENOMEM;
		}
		memcpy(res->cert[res->n_certs], der, (size_t)l);
		res->cert_len[res->n_certs++] = (size_t)l;
		OPENSSL_free(der);
		i++;
		x = chain && i < sk_X509_num(chain) ? sk_X509_value(chain, i) : NULL;
	}
	return 0;
}

/* One verification: everything copied out of the query, so that it can run on a worker. */
struct pa_job {
	struct pa_job *next;            /* pending list (loop thread) */
	struct ike_pauth *pa;
	bool cancelled;
	ike_auth_done_fn done;
	void *done_arg;
	struct ike_auth_query q;        /* pointers into buf */
	uint8_t *buf;
	size_t buf_len;
	char peer[INET6_ADDRSTRLEN], id[300];
	enum pol_id_type pid;
	X509 *leaf;
	STACK_OF(X509) *chain;
	const struct pol_profile *p;
	struct pol_result pr;
	struct pki_tp *ltp;             /* the trustpoint we signed with */
	uint8_t *octets_r;              /* for the profile's identity_local (choose_idr()) */
	size_t octets_r_cap;
	/* keyring_aaa: the lookup in flight, then the keys (owned, wiped) */
	bool aaa_wait;
	void *aaa_handle;
	char aaa_user[POL_MANGLE_MAX + 1];
	uint8_t *aaa_remote, *aaa_local;
	size_t aaa_remote_len, aaa_local_len;
	struct ike_auth_result res;
};

static void refuse(const struct pa_job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void refuse(const struct pa_job *j, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	RP_NOTICE(COMP, "peer %s (%s)%s%s: %s authentication refused: %s", j->peer, j->id,
		  j->p ? ", profile " : "", j->p ? j->p->name : "",
		  ike_auth_method_name(j->q.method), why);
}

static void job_free(struct pa_job *j)
{
	if (!j)
		return;
	X509_free(j->leaf);
	sk_X509_pop_free(j->chain, X509_free);
	ike_auth_result_clear(&j->res);
	if (j->buf)
		OPENSSL_cleanse(j->buf, j->buf_len);
	free(j->buf);
	if (j->octets_r)
		OPENSSL_cleanse(j->octets_r, j->octets_r_cap);
	free(j->octets_r);
	if (j->aaa_remote)
		OPENSSL_cleanse(j->aaa_remote, j->aaa_remote_len);
	if (j->aaa_local)
		OPENSSL_cleanse(j->aaa_local, j->aaa_local_len);
	free(j->aaa_remote);
	free(j->aaa_local);
	free(j);
}

/* A deep copy of @p q into @p j. */
static int job_copy(struct pa_job *j, const struct ike_auth_query *q)
{
	size_t n = q->id_len + q->auth_len + q->octets_i_len + q->octets_r_len + q->certreq_len;
	uint8_t *p;

	for (unsigned i = 0; i < q->n_certs; i++)
		n += q->cert_len[i];
	j->q = *q;
	j->buf = p = malloc(n ? n : 1);
	j->buf_len = n;
	if (!p)
		return -ENOMEM;
#define COPY(field, len) do { if (len) memcpy(p, q->field, len); j->q.field = p; p += len; } while (0)
	COPY(id, q->id_len);
	COPY(auth, q->auth_len);
	COPY(octets_i, q->octets_i_len);
	COPY(octets_r, q->octets_r_len);
	COPY(certreq, q->certreq_len);
	for (unsigned i = 0; i < q->n_certs; i++)
		COPY(cert[i], q->cert_len[i]);
#undef COPY
	return 0;
}

/* Steps 2-4 (ike_cert.h): the method, the peer's AUTH, ours. Public-key work only touches
 * the job and read-only configuration, so it may run on a worker thread. */
static void job_run(void *arg)
{
	struct pa_job *j = arg;
	const struct ike_auth_query *q = &j->q;
	const struct pol_profile *p = j->p;
	const struct pol_keyring_peer *kp = NULL;
	struct pol_keyring_peer akp = { .name = "AAA" }; /* keyring_aaa's keys (views) */
	struct ike_auth_result *res = &j->res;
	struct pki_tp *ltp = NULL;
	struct pol_peer peer = { .id_type = j->pid, .id = q->id, .id_len = q->id_len,
				 .raddr_af = q->peer.af, .laddr_af = q->local.af,
				 .cert = j->leaf, .chain = j->chain };
	uint8_t mac[IKE_PRF_MAX];
	size_t plen = ike_prf_len(q->prf);
	char why[512], kwhy[400], mt[64];
	unsigned cls;

	res->status = -EACCES;
	memcpy(peer.raddr, q->peer.addr, 16);
	memcpy(peer.laddr, q->local.addr, 16);
	if (p->keyring_aaa.set) {
		akp.psk_remote = j->aaa_remote;
		akp.psk_remote_len = j->aaa_remote_len;
		akp.psk_local = j->aaa_local;
		akp.psk_local_len = j->aaa_local_len;
		kp = &akp;
		snprintf(kwhy, sizeof(kwhy), "the key AAA list %s gave for '%s'",
			 p->keyring_aaa.list, j->aaa_user);
	}
	cls = method_class(q->method, j->leaf);
	if (!cls) {
		refuse(j, "method %u is not supported", q->method);
		goto out;
	}
	if (!(p->auth_remote & cls)) {
		refuse(j, "the profile's authentication.remote allows only%s",
		       methods_text(p->auth_remote, mt, sizeof(mt)));
		goto out;
	}

	/* the peer's AUTH (none yet with EAP: ike_eap.c relays it after our AUTH) */
	if (cls == POL_AUTH_EAP) {
		if (p->auth_local == POL_AUTH_PSK) {
			refuse(j, "remote EAP needs a certificate of ours (authentication.local)");
			goto out;
		}
	} else if (cls == POL_AUTH_PSK) {
		if (!p->keyring && !kp) {
			refuse(j, "the profile has no keyring");
			goto out;
		}
		if (!kp)
			kp = pol_keyring_lookup(p->keyring, j->pid, q->id, q->id_len, q->peer.af,
						q->peer.addr, kwhy, sizeof(kwhy));
		if (!kp || !kp->psk_remote) {
			refuse(j, "%s", kp ? "its keyring peer has no remote key" : kwhy);
			goto out;
		}
		if (!plen || ike_auth_psk(q->prf, kp->psk_remote, kp->psk_remote_len, q->octets_i,
					  q->octets_i_len, mac)) {
			res->status = -EIO;
			goto out;
		}
		if (q->auth_len != plen || CRYPTO_memcmp(mac, q->auth, plen)) {
			refuse(j, "wrong pre-shared key (%s)", kwhy);
			goto out;
		}
	} else {
		if (!j->leaf) {
			refuse(j, "no certificate (CERT payload) was sent");
			goto out;
		}
		if (pol_validate_cert(p, &peer, 0, &j->pr)) {
			refuse(j, "certificate validation failed (the reasons are logged above, "
			       "component policy)");
			goto out;
		}
		if (ike_id_bound(j->leaf, q->id_type, q->id, q->id_len, why, sizeof(why))) {
			refuse(j, "%s", why);
			goto out;
		}
		if (ike_sig_verify(X509_get0_pubkey(j->leaf), q->method, q->auth, q->auth_len,
				   q->octets_i, q->octets_i_len, why, sizeof(why))) {
			refuse(j, "%s", why);
			goto out;
		}
	}

	/* our AUTH */
	if (p->auth_local == POL_AUTH_PSK) {
		if (!kp && p->keyring)
			kp = pol_keyring_lookup(p->keyring, j->pid, q->id, q->id_len, q->peer.af,
						q->peer.addr, kwhy, sizeof(kwhy));
		if (!kp || !kp->psk_local) {
			refuse(j, "authentication.local is pre-share, but %s",
			       kp ? "its keyring peer has no local key" :
			       p->keyring ? kwhy : "the profile has no keyring");
			goto out;
		}
		if (!plen || ike_auth_psk(q->prf, kp->psk_local, kp->psk_local_len, q->octets_r,
					  q->octets_r_len, res->auth)) {
			res->status = -EIO;
			goto out;
		}
		res->method = IKE_AUTH_PSK;
		res->auth_len = plen;
	} else {
		ltp = pol_local_trustpoint(p, q->certreq, q->certreq_len);
		if (!ltp || !pki_tp_key(ltp)) {
			refuse(j, "no trustpoint of the profile holds a certificate of ours");
			goto out;
		}
		if (ike_sig_sign(pki_tp_key(ltp), q->sig_hashes, q->octets_r, q->octets_r_len,
				 &res->method, res->auth, sizeof(res->auth), &res->auth_len, why,
				 sizeof(why))) {
			refuse(j, "cannot sign our AUTH: %s", why);
			goto out;
		}
		j->ltp = ltp; /* its certificates are added on the loop thread (job_finish) */
	}
	res->status = 0;
	res->profile = p;
	res->authz = j->pr.authz;
	res->group = j->pr.group;
	RP_NOTICE(COMP, "peer %s (%s) %s%s%s%s, profile %s%s%s; we answer with %s%s%s",
		  j->peer, j->id, q->method ? "authenticated by " : "may authenticate by EAP",
		  q->method ? ike_auth_method_name(q->method) : "",
		  j->pr.tp ? ", certificate confirmed by trustpoint " : "",
		  j->pr.tp ? pki_tp_name(j->pr.tp) : "", p->name, j->pr.group ? ", group " : "",
		  j->pr.group ? j->pr.group : "", ike_auth_method_name(res->method),
		  ltp ? " with the certificate of trustpoint " : "", ltp ? pki_tp_name(ltp) : "");
out:
	if (res->status) {
		int st = res->status;

		ike_auth_result_clear(res); /* nothing of ours goes out */
		res->status = st;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
}

/* Our certificates into the result, on the loop thread (encoding a shared X509 is not
 * something to do from several threads). */
static void job_finish(struct pa_job *j)
{
	if (!j->res.status && j->ltp && add_certs(&j->res, j->ltp)) {
		ike_auth_result_clear(&j->res);
		j->res.status = -ENOMEM;
	}
}

static void unlink_job(struct ike_pauth *pa, struct pa_job *j)
{
	for (struct pa_job **pp = &pa->pending; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			return;
		}
}

/* On the loop thread: hand the result over (its certificates go with it). @p ok false: the
 * job was cancelled, or the pool went away before it ran. */
static void job_done(void *arg, bool ok)
{
	struct pa_job *j = arg;
	struct ike_pauth *pa = j->pa;

	if (pa)
		unlink_job(pa, j);
	if (pa && !j->cancelled) {
		if (!ok) {
			ike_auth_result_clear(&j->res);
			j->res.status = -ECANCELED;
		}
		job_finish(j);
		j->done(j->done_arg, &j->res);
		memset(&j->res, 0, sizeof(j->res)); /* the callee owns the certificates now */
	}
	job_free(j);
}

/* The profile's identity_local (IOS "identity local"): our IDr, and the
 * ResponderSignedOctets over it that our AUTH covers (RFC 7296 §2.15), here on the loop
 * (our certificate is encoded here, as in job_finish()). 0, or -1 refused (logged). */
static int choose_idr(struct pa_job *j)
{
	const struct pol_profile *p = j->p;
	struct ike_auth_result *res = &j->res;
	uint8_t body[4 + IKE_AUTH_IDR_MAX];
	unsigned char *der = NULL;
	size_t len = 0;
	char txt[300];
	int n;

	switch (p->id_local) {
	case POL_IDL_DEFAULT:
		return 0;
	case POL_IDL_ADDRESS:
		res->idr_type = j->q.local.af == 6 ? IKE_ID_IPV6_ADDR : IKE_ID_IPV4_ADDR;
		len = j->q.local.af == 6 ? 16 : 4;
		memcpy(res->idr, j->q.local.addr, len);
		break;
	case POL_IDL_FQDN:
	case POL_IDL_EMAIL:
	case POL_IDL_KEY_ID:
		res->idr_type = p->id_local == POL_IDL_FQDN ? IKE_ID_FQDN :
				p->id_local == POL_IDL_EMAIL ? IKE_ID_RFC822_ADDR : IKE_ID_KEY_ID;
		len = p->id_local_len;
		if (len > IKE_AUTH_IDR_MAX) {
			refuse(j, "identity_local is longer than %u bytes", IKE_AUTH_IDR_MAX);
			return -1;
		}
		memcpy(res->idr, p->id_local_value, len);
		break;
	case POL_IDL_DN: {
		/* the trustpoint job_run() signs with: the same choice from the same inputs */
		struct pki_tp *tp = pol_local_trustpoint(p, j->q.certreq, j->q.certreq_len);
		X509 *c = tp ? pki_tp_cert(tp) : NULL;

		if (!c) {
			refuse(j, "identity_local dn: no trustpoint of the profile holds a "
			       "certificate of ours");
			return -1;
		}
		n = i2d_X509_NAME(X509_get_subject_name(c), &der);
		if (n <= 0 || (size_t)n > IKE_AUTH_IDR_MAX) {
			OPENSSL_free(der);
			ERR_clear_error();
			refuse(j, "identity_local dn: the subject of our certificate (trustpoint %s) %s",
			       pki_tp_name(tp), n <= 0 ? "cannot be encoded" : "is over 256 bytes");
			return -1;
		}
		res->idr_type = IKE_ID_DER_ASN1_DN;
		len = (size_t)n;
		memcpy(res->idr, der, len);
		OPENSSL_free(der);
		break;
	}
	}
	if (!j->q.octets_r_for) {
		RP_INFO(COMP, "peer %s (%s), profile %s: identity_local not applied (the caller "
			"cannot sign another IDr); ike.local_id is used", j->peer, j->id, p->name);
		res->idr_len = 0;
		return 0;
	}
	body[0] = res->idr_type;
	memset(body + 1, 0, 3);
	memcpy(body + 4, res->idr, len);
	/* the same length as the default's: message | nonce | prf output */
	j->octets_r_cap = j->q.octets_r_len + IKE_PRF_MAX;
	j->octets_r = malloc(j->octets_r_cap);
	if (!j->octets_r || j->q.octets_r_for(j->q.octets_r_arg, body, 4 + len, j->octets_r,
					      j->octets_r_cap, &j->q.octets_r_len)) {
		res->status = j->octets_r ? -EIO : -ENOMEM;
		return -1;
	}
	j->q.octets_r = j->octets_r;
	res->idr_len = len;
	if (res->idr_type == IKE_ID_DER_ASN1_DN) {
		const unsigned char *dp = res->idr;
		X509_NAME *nm = d2i_X509_NAME(NULL, &dp, (long)len);
		char *t = nm ? X509_NAME_oneline(nm, NULL, 0) : NULL;

		snprintf(txt, sizeof(txt), "dn %s", t ? t : "?");
		OPENSSL_free(t);
		X509_NAME_free(nm);
		ERR_clear_error();
	} else {
		pol_id_format(pol_id(res->idr_type), res->idr, len, txt, sizeof(txt));
	}
	RP_INFO(COMP, "peer %s (%s), profile %s: we identify as %s (identity_local)", j->peer,
		j->id, p->name, txt);
	return 0;
}

/* Steps 2-4 of a job whose AAA keys have come: on a worker when there is a pool, else here
 * (on the loop, from the PSK source's callback: never inside verify()). */
static void run_after_aaa(struct pa_job *j)
{
	struct ike_pauth *pa = j->pa;
	int rc;

	if (pa->wp) {
		rc = wp_submit(pa->wp, job_run, job_done, j);
		if (!rc)
			return; /* still on the pending list */
		refuse(j, "%s", rc == -EAGAIN ? "too many authentications in progress, try later" :
		       strerror(-rc));
		j->res.status = rc;
	} else {
		job_run(j);
	}
	job_done(j, true);
}

/* The PSK source's answer for a keyring_aaa job. */
static void on_aaa_key(void *cb_arg, int rc, const struct ike_psk_keys *keys)
{
	struct pa_job *j = cb_arg;

	j->aaa_wait = false;
	j->aaa_handle = NULL;
	if (rc || !keys || !keys->remote_len || !keys->local_len) {
		refuse(j, "AAA list %s gave no pre-shared key for '%s' (the reason is logged above)",
		       j->p->keyring_aaa.list, j->aaa_user);
		j->res.status = -EACCES;
		job_done(j, true);
		return;
	}
	j->aaa_remote = malloc(keys->remote_len);
	j->aaa_local = malloc(keys->local_len);
	if (!j->aaa_remote || !j->aaa_local) {
		j->res.status = -ENOMEM;
		job_done(j, true);
		return;
	}
	memcpy(j->aaa_remote, keys->remote, keys->remote_len);
	j->aaa_remote_len = keys->remote_len;
	memcpy(j->aaa_local, keys->local, keys->local_len);
	j->aaa_local_len = keys->local_len;
	run_after_aaa(j);
}

/* keyring_aaa: ask the PSK source for the peer's keys (the User-Name from the profile's
 * mangler, else the identity). @return 1 asked (on_aaa_key() follows), -EACCES refused. */
static int aaa_key_lookup(struct ike_pauth *pa, struct pa_job *j)
{
	const struct pol_keyring_aaa *k = &j->p->keyring_aaa;
	const struct pol_mangler *m = NULL;
	struct ike_psk_query pq;
	char why[256], who[512];
	int rc;

	if (!pa->psk.lookup) {
		refuse(j, "keyring_aaa: no AAA here to ask for the key (rampartd without an aaa "
		       "section)");
		return -EACCES;
	}
	if (k->name_mangler[0] && !(m = pol_mangler_find(pa->set, k->name_mangler))) {
		refuse(j, "keyring_aaa: name mangler %s is gone", k->name_mangler);
		return -EACCES;
	}
	why[0] = '\0';
	rc = m ? pol_mangle(m, (int)j->pid, j->q.id, j->q.id_len, NULL, 0, j->aaa_user,
			    sizeof(j->aaa_user), why, sizeof(why)) :
		 pol_mangle_default((int)j->pid, j->q.id, j->q.id_len, NULL, 0, j->aaa_user,
				    sizeof(j->aaa_user), why, sizeof(why));
	if (rc <= 0) {
		refuse(j, "keyring_aaa: no AAA user name from its identity%s%s%s",
		       why[0] ? " (" : "", why, why[0] ? ")" : "");
		return -EACCES;
	}
	snprintf(who, sizeof(who), "peer %s (%s), profile %s", j->peer, j->id, j->p->name);
	pq = (struct ike_psk_query){ .profile = j->p, .k = k, .user = j->aaa_user, .who = who,
				     .peer = j->q.peer, .local = j->q.local, .id_type = j->q.id_type,
				     .id = j->q.id, .id_len = j->q.id_len };
	rc = pa->psk.lookup(pa->psk.arg, &pq, on_aaa_key, j, &j->aaa_handle);
	if (rc != 1) {
		refuse(j, "keyring_aaa: the key for '%s' cannot be asked (%s)", j->aaa_user,
		       rc < 0 ? strerror(-rc) : "no answer");
		return -EACCES;
	}
	j->aaa_wait = true;
	return 1;
}

/* Does this peer's AUTH, or ours, need keyring_aaa's keys? (Not for EAP: we sign.) */
static bool wants_aaa_key(const struct pa_job *j)
{
	const struct pol_profile *p = j->p;

	if (!p->keyring_aaa.set || j->q.method == 0)
		return false;
	return (j->q.method == IKE_AUTH_PSK && (p->auth_remote & POL_AUTH_PSK)) ||
	       p->auth_local == POL_AUTH_PSK;
}

static int pa_verify(void *arg, const struct ike_auth_query *q, struct ike_auth_result *res,
		     ike_auth_done_fn done, void *done_arg)
{
	struct ike_pauth *pa = arg;
	struct pa_job *j = calloc(1, sizeof(*j));
	struct pol_peer peer = { 0 };
	int rc, ret = 0;

	memset(res, 0, sizeof(*res));
	res->status = -ENOMEM;
	if (!j || job_copy(j, q))
		goto out;
	res->status = -EACCES;
	q = &j->q; /* from here on, our copy */
	j->pa = pa;
	j->done = done;
	j->done_arg = done_arg;
	j->pid = pol_id(q->id_type);
	inet_ntop(q->peer.af == 6 ? AF_INET6 : AF_INET, q->peer.addr, j->peer, sizeof(j->peer));
	pol_id_format(j->pid, q->id, q->id_len, j->id, sizeof(j->id));
	if (q->id_type == IKE_ID_DER_ASN1_DN) {
		/* a DN is best shown as text */
		const unsigned char *dp = q->id;
		X509_NAME *n = d2i_X509_NAME(NULL, &dp, (long)q->id_len);

		if (n) {
			char *t = X509_NAME_oneline(n, NULL, 0);

			if (t)
				snprintf(j->id, sizeof(j->id), "dn %s", t);
			OPENSSL_free(t);
		}
		X509_NAME_free(n);
		ERR_clear_error();
	}
	peer.id_type = j->pid;
	peer.id = q->id;
	peer.id_len = q->id_len;
	peer.raddr_af = q->peer.af;
	memcpy(peer.raddr, q->peer.addr, 16);
	peer.laddr_af = q->local.af;
	memcpy(peer.laddr, q->local.addr, 16);
	if (q->n_certs) {
		j->leaf = parse_cert(q->cert[0], q->cert_len[0]);
		if (!j->leaf) {
			refuse(j, "its certificate (first CERT payload) is not DER X.509");
			goto out;
		}
		j->chain = sk_X509_new_null();
		if (!j->chain) {
			res->status = -ENOMEM;
			goto out;
		}
		for (unsigned i = 1; i < q->n_certs; i++) {
			X509 *x = parse_cert(q->cert[i], q->cert_len[i]);

			if (!x) {
				refuse(j, "CERT payload %u is not DER X.509", i + 1);
				goto out;
			}
			if (!sk_X509_push(j->chain, x)) {
				X509_free(x);
				res->status = -ENOMEM;
				goto out;
			}
		}
		peer.cert = j->leaf;
		peer.chain = j->chain;
	}

	/* 1. the profile (cheap: certificate maps and identities), here on the loop */
	if (pol_select(pa->set, &peer, &j->pr)) {
		if (pa->has_fallback && q->method == IKE_AUTH_PSK) {
			RP_INFO(COMP, "peer %s (%s) matches no ikev2 profile: trying the PSK peers of "
				"the ike section", j->peer, j->id);
			rc = pa->fallback.verify(pa->fallback.arg, q, res, done, done_arg);
			if (rc < 0) {
				memset(res, 0, sizeof(*res));
				res->status = rc;
			}
			ret = rc > 0 ? 1 : 0; /* 1: the fallback answers later */
			goto out;
		}
		refuse(j, "no ikev2 profile matches it");
		goto out;
	}
	j->p = j->pr.profile;
	if (choose_idr(j)) {
		res->status = j->res.status ? j->res.status : -EACCES;
		goto out;
	}

	/* keyring_aaa: the keys first, from AAA (asynchronous: one slow server holds up only
	 * its own peers) */
	if (wants_aaa_key(j)) {
		if (aaa_key_lookup(pa, j) != 1)
			goto out;
		j->next = pa->pending;
		pa->pending = j;
		return 1;
	}

	/* 2-4: on a worker when there is a pool, else now */
	if (pa->wp) {
		rc = wp_submit(pa->wp, job_run, job_done, j);
		if (!rc) {
			j->next = pa->pending;
			pa->pending = j;
			return 1;
		}
		refuse(j, "%s", rc == -EAGAIN ? "too many authentications in progress, try later" :
		       strerror(-rc));
		res->status = rc;
		goto out;
	}
	job_run(j);
	job_finish(j);
	*res = j->res;
	memset(&j->res, 0, sizeof(j->res)); /* the caller owns the certificates now */
out:
	job_free(j);
	return ret;
}

static void pa_cancel(void *arg, void *done_arg)
{
	struct ike_pauth *pa = arg;

	for (struct pa_job **pp = &pa->pending, *j; (j = *pp);) {
		if (j->done_arg != done_arg) {
			pp = &j->next;
			continue;
		}
		if (j->aaa_wait) { /* no answer will come for it: gone now */
			*pp = j->next;
			if (pa->psk.cancel)
				pa->psk.cancel(pa->psk.arg, j->aaa_handle);
			job_free(j);
			continue;
		}
		j->cancelled = true; /* job_done() frees it */
		wp_cancel(pa->wp, j); /* and the work is skipped if not started */
		pp = &j->next;
	}
	if (pa->has_fallback && pa->fallback.cancel)
		pa->fallback.cancel(pa->fallback.arg, done_arg);
}

void ike_pauth_destroy(struct ike_pauth *pa)
{
	if (!pa)
		return;
	/* jobs still in the pool are orphaned: job_done() only frees them; those waiting for
	 * AAA are freed (the PSK source is gone already: the responder cancelled them) */
	for (struct pa_job *j = pa->pending, *n; j; j = n) {
		n = j->next;
		j->pa = NULL;
		j->next = NULL;
		if (j->aaa_wait)
			job_free(j);
		else
			wp_cancel(pa->wp, j);
	}
	free(pa);
}

void ike_pauth_set_psk_source(struct ike_pauth *pa, const struct ike_psk_source *src)
{
	if (src)
		pa->psk = *src;
	else
		memset(&pa->psk, 0, sizeof(pa->psk));
}

void ike_pauth_authenticator(struct ike_pauth *pa, struct ike_authenticator *out)
{
	out->verify = pa_verify;
	out->cancel = pa_cancel;
	out->arg = pa;
}

int ike_pauth_certreq(const struct pol_set *set, uint8_t **out, size_t *len)
{
	size_t n = 0, cap = 0;
	uint8_t *buf = NULL;

	*out = NULL;
	*len = 0;
	for (unsigned i = 0; i < set->n_profiles; i++) {
		const struct pol_profile *p = &set->profiles[i];

		if (!(p->auth_remote & (POL_AUTH_RSA_SIG | POL_AUTH_ECDSA_SIG)))
			continue;
		for (unsigned t = 0; t < p->n_tps; t++) {
			const uint8_t (*h)[PKI_SHA1_LEN];
			size_t nh;

			if (!p->tps[t])
				continue;
			nh = pki_tp_ca_hashes(p->tps[t], &h);
			for (size_t k = 0; k < nh; k++) {
				bool dup = false;

				for (size_t o = 0; o + PKI_SHA1_LEN <= n && !dup; o += PKI_SHA1_LEN)
					dup = !memcmp(buf + o, h[k], PKI_SHA1_LEN);
				if (dup)
					continue;
				if (n + PKI_SHA1_LEN > cap) {
					uint8_t *nb;

					cap = cap ? 2 * cap : 8 * PKI_SHA1_LEN;
					nb = realloc(buf, cap);
					if (!nb) {
						free(buf);
						return -ENOMEM;
					}
					buf = nb;
				}
				memcpy(buf + n, h[k], PKI_SHA1_LEN);
				n += PKI_SHA1_LEN;
			}
		}
	}
	*out = buf;
	*len = n;
	return 0;
}
