/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* IKEv2 cryptography over OpenSSL 3 (see crypto.h). Every function that holds a secret in
 * local memory wipes it at its single exit label. */
#include "controlplane/ike/crypto.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

int ike_random(const struct ike_rng *rng, void *out, size_t len)
{
	if (rng && rng->fn)
		return rng->fn(rng->arg, out, len);
	if (len > INT32_MAX || RAND_bytes(out, (int)len) != 1)
		return -EIO;
	return 0;
}

/* ---- Diffie-Hellman ------------------------------------------------------------------------ */

enum dh_kind { DH_MODP, DH_ECP, DH_X25519 };

/* X(group, kind, size in bytes (prime / coordinate / key), OpenSSL group name, curve NID) */
#define DH_TABLE(X)                                                         \
	X(IKE_DH_MODP2048, DH_MODP, 256, "modp_2048", NID_undef)           \
	X(IKE_DH_MODP3072, DH_MODP, 384, "modp_3072", NID_undef)           \
	X(IKE_DH_MODP4096, DH_MODP, 512, "modp_4096", NID_undef)           \
	X(IKE_DH_ECP256, DH_ECP, 32, "prime256v1", NID_X9_62_prime256v1)   \
	X(IKE_DH_ECP384, DH_ECP, 48, "secp384r1", NID_secp384r1)           \
	X(IKE_DH_ECP521, DH_ECP, 66, "secp521r1", NID_secp521r1)           \
	X(IKE_DH_CURVE25519, DH_X25519, 32, "X25519", NID_X25519)

struct dh_info {
	uint16_t group;
	enum dh_kind kind;
	size_t size;
	const char *name;
	int nid;
};

static const struct dh_info dh_infos[] = {
#define X(g, k, s, n, nid) { g, k, s, n, nid },
	DH_TABLE(X)
#undef X
};

static const struct dh_info *dh_info(uint16_t group)
{
	for (size_t i = 0; i < sizeof(dh_infos) / sizeof(dh_infos[0]); i++)
		if (dh_infos[i].group == group)
			return &dh_infos[i];
	return NULL;
}

struct ike_dh {
	const struct dh_info *info;
	EVP_PKEY *pkey;
	size_t pub_len;
	uint8_t pub[IKE_DH_PUB_MAX];
};

size_t ike_dh_pub_len(uint16_t group)
{
	const struct dh_info *d = dh_info(group);

	if (!d)
		return 0;
	return d->kind == DH_ECP ? 2 * d->size : d->size;
}

/* RFC 3526 primes, as OpenSSL ships them. */
static BIGNUM *modp_prime(size_t size)
{
	switch (size) {
	case 256: return BN_get_rfc3526_prime_2048(NULL);
	case 384: return BN_get_rfc3526_prime_3072(NULL);
	case 512: return BN_get_rfc3526_prime_4096(NULL);
	}
	return NULL;
}

static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, int selection)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, selection, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static int dh_modp_new(struct ike_dh *dh, const uint8_t *priv, size_t len)
{
	BIGNUM *p = modp_prime(dh->info->size), *x = BN_secure_new(), *y = BN_new(),
	       *g = BN_new();
	BN_CTX *bnctx = BN_CTX_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	int rc = -EIO;

	if (!p || !x || !y || !g || !bnctx || !bld || !BN_set_word(g, 2) ||
	    !BN_bin2bn(priv, (int)len, x))
		goto out;
	rc = -EINVAL;
	if (BN_is_zero(x) || BN_num_bytes(x) > (int)dh->info->size)
		goto out;
	rc = -EIO;
	BN_set_flags(x, BN_FLG_CONSTTIME);
	if (!BN_mod_exp_mont_consttime(y, g, x, p, bnctx, NULL) ||
	    BN_bn2binpad(y, dh->pub, (int)dh->info->size) < 0)
		goto out;
	dh->pub_len = dh->info->size;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, dh->info->name, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
		goto out;
	dh->pkey = pkey_fromdata("DH", bld, EVP_PKEY_KEYPAIR);
	rc = dh->pkey ? 0 : -EIO;
out:
	OSSL_PARAM_BLD_free(bld);
	BN_CTX_free(bnctx);
	BN_free(p);
	BN_clear_free(x);
	BN_free(y);
	BN_free(g);
	return rc;
}

static int dh_ecp_new(struct ike_dh *dh, const uint8_t *priv, size_t len)
{
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(dh->info->nid);
	EC_POINT *pt = grp ? EC_POINT_new(grp) : NULL;
	BIGNUM *d = BN_secure_new();
	BN_CTX *bnctx = BN_CTX_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	uint8_t oct[1 + 2 * 66];
	int rc = -EIO;

	if (!pt || !d || !bnctx || !bld || !BN_bin2bn(priv, (int)len, d))
		goto out;
	rc = -EINVAL;
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(grp)) >= 0)
		goto out;
	rc = -EIO;
	if (!EC_POINT_mul(grp, pt, d, NULL, NULL, bnctx) ||
	    EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, oct, sizeof(oct), bnctx) !=
		    1 + 2 * dh->info->size)
		goto out;
	/* RFC 5903 §7: the KE data is x | y, without the 0x04 prefix */
	memcpy(dh->pub, oct + 1, 2 * dh->info->size);
	dh->pub_len = 2 * dh->info->size;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, dh->info->name, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, oct,
					      1 + 2 * dh->info->size))
		goto out;
	dh->pkey = pkey_fromdata("EC", bld, EVP_PKEY_KEYPAIR);
	rc = dh->pkey ? 0 : -EIO;
out:
	OSSL_PARAM_BLD_free(bld);
	BN_CTX_free(bnctx);
	BN_clear_free(d);
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	return rc;
}

static int dh_x25519_new(struct ike_dh *dh, const uint8_t *priv, size_t len)
{
	size_t pl = sizeof(dh->pub);

	if (len != 32)
		return -EINVAL;
	dh->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, len);
	if (!dh->pkey || EVP_PKEY_get_raw_public_key(dh->pkey, dh->pub, &pl) != 1 || pl != 32)
		return -EIO;
	dh->pub_len = pl;
	return 0;
}

int ike_dh_new_priv(uint16_t group, const uint8_t *priv, size_t len, struct ike_dh **out)
{
	const struct dh_info *info = dh_info(group);
	struct ike_dh *dh;
	int rc;

	*out = NULL;
	if (!info)
		return -ENOTSUP;
	dh = OPENSSL_zalloc(sizeof(*dh));
	if (!dh)
		return -ENOMEM;
	dh->info = info;
	switch (info->kind) {
	case DH_MODP:
		rc = dh_modp_new(dh, priv, len);
		break;
	case DH_ECP:
		rc = dh_ecp_new(dh, priv, len);
		break;
	default:
		rc = dh_x25519_new(dh, priv, len);
		break;
	}
	if (rc) {
		ike_dh_free(dh);
		return rc;
	}
	*out = dh;
	return 0;
}

int ike_dh_draw_priv(uint16_t group, const struct ike_rng *rng, uint8_t priv[IKE_DH_PRIV_MAX],
		     size_t *len)
{
	const struct dh_info *info = dh_info(group);
	int rc;

	*len = 0;
	if (!info)
		return -ENOTSUP;
	/* MODP: a 512-bit exponent, twice the strength of the largest group we offer */
	*len = info->kind == DH_MODP ? 64 : info->size;
	rc = ike_random(rng, priv, *len);
	if (!rc && info->group == IKE_DH_ECP521)
		priv[0] &= 0x01; /* 521 bits */
	return rc;
}

int ike_dh_new(uint16_t group, const struct ike_rng *rng, struct ike_dh **out)
{
	uint8_t priv[IKE_DH_PRIV_MAX];
	size_t len;
	int rc = -ENOTSUP;

	*out = NULL;
	for (int tries = 0; tries < 64; tries++) {
		rc = ike_dh_draw_priv(group, rng, priv, &len);
		if (rc)
			break;
		rc = ike_dh_new_priv(group, priv, len, out);
		if (rc != -EINVAL) /* out of range: draw again */
			break;
	}
	OPENSSL_cleanse(priv, sizeof(priv));
	return rc;
}

const uint8_t *ike_dh_pub(const struct ike_dh *dh, size_t *len)
{
	*len = dh->pub_len;
	return dh->pub;
}

uint16_t ike_dh_group(const struct ike_dh *dh)
{
	return dh->info->group;
}

void ike_dh_free(struct ike_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->pkey);
	OPENSSL_clear_free(dh, sizeof(*dh));
}

int ike_dh_check_peer(uint16_t group, const uint8_t *pub, size_t len)
{
	const struct dh_info *info = dh_info(group);
	BIGNUM *p = NULL, *y = NULL, *x = NULL;
	EC_GROUP *grp = NULL;
	EC_POINT *pt = NULL;
	BN_CTX *bnctx = NULL;
	int rc = -EINVAL;

	if (!info)
		return -ENOTSUP;
	if (len != ike_dh_pub_len(group))
		return -EINVAL;
	switch (info->kind) {
	case DH_MODP:
		/* RFC 7296 §5 / NIST SP 800-56A: 1 < y < p-1 */
		p = modp_prime(info->size);
		y = BN_bin2bn(pub, (int)len, NULL);
		if (!p || !y || !BN_sub_word(p, 1)) {
			rc = -EIO;
			goto out;
		}
		if (BN_is_zero(y) || BN_is_one(y) || BN_cmp(y, p) >= 0)
			goto out;
		rc = 0;
		break;
	case DH_ECP:
		/* RFC 5903 §7 x | y; coordinates below p and the point on the curve (RFC 6989) */
		grp = EC_GROUP_new_by_curve_name(info->nid);
		p = BN_new();
		x = BN_bin2bn(pub, (int)info->size, NULL);
		y = BN_bin2bn(pub + info->size, (int)info->size, NULL);
		bnctx = BN_CTX_new();
		pt = grp ? EC_POINT_new(grp) : NULL;
		if (!pt || !p || !x || !y || !bnctx ||
		    !EC_GROUP_get_curve(grp, p, NULL, NULL, bnctx)) {
			rc = -EIO;
			goto out;
		}
		if (BN_cmp(x, p) >= 0 || BN_cmp(y, p) >= 0 ||
		    !EC_POINT_set_affine_coordinates(grp, pt, x, y, bnctx) ||
		    EC_POINT_is_on_curve(grp, pt, bnctx) != 1 || EC_POINT_is_at_infinity(grp, pt))
			goto out;
		rc = 0;
		break;
	case DH_X25519:
		rc = 0;
		break;
	}
out:
	BN_free(p);
	BN_free(x);
	BN_free(y);
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	BN_CTX_free(bnctx);
	return rc;
}

static EVP_PKEY *peer_pkey(const struct dh_info *info, const uint8_t *pub, size_t len)
{
	OSSL_PARAM_BLD *bld;
	EVP_PKEY *pk = NULL;
	uint8_t oct[1 + 2 * 66];
	BIGNUM *y = NULL;

	if (info->kind == DH_X25519)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, len);
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, info->name, 0))
		goto out;
	if (info->kind == DH_MODP) {
		y = BN_bin2bn(pub, (int)len, NULL);
		if (!y || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
			goto out;
		pk = pkey_fromdata("DH", bld, EVP_PKEY_PUBLIC_KEY);
	} else {
		oct[0] = 0x04;
		memcpy(oct + 1, pub, len);
		if (!OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, oct, len + 1))
			goto out;
		pk = pkey_fromdata("EC", bld, EVP_PKEY_PUBLIC_KEY);
	}
out:
	BN_free(y);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

int ike_dh_derive(const struct ike_dh *dh, const uint8_t *peer, size_t len, uint8_t *secret,
		  size_t *secret_len)
{
	static const uint8_t zero[32];
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t sl = IKE_DH_SECRET_MAX;
	int rc;

	rc = ike_dh_check_peer(dh->info->group, peer, len);
	if (rc)
		return rc;
	rc = -EIO;
	pk = peer_pkey(dh->info, peer, len);
	ctx = pk ? EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL) : NULL;
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	/* §2.14: g^ir padded with zeros to the length of the modulus */
	if (dh->info->kind == DH_MODP && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0)
		goto out;
	if (EVP_PKEY_derive_set_peer_ex(ctx, pk, 0) <= 0 || EVP_PKEY_derive(ctx, secret, &sl) <= 0) {
		/* OpenSSL itself refuses an all-zero X25519 result */
		if (dh->info->kind == DH_X25519)
			rc = -EINVAL;
		goto out;
	}
	/* RFC 7748 §6.1: refuse the all-zero output of a low-order point */
	if (dh->info->kind == DH_X25519 && (sl != 32 || CRYPTO_memcmp(secret, zero, 32) == 0)) {
		OPENSSL_cleanse(secret, sl);
		rc = -EINVAL;
		goto out;
	}
	*secret_len = sl;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return rc;
}

/* ---- suites ---------------------------------------------------------------------------------- */

static const char *prf_md(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA2_256: return "SHA256";
	case IKE_PRF_HMAC_SHA2_384: return "SHA384";
	case IKE_PRF_HMAC_SHA2_512: return "SHA512";
	}
	return NULL;
}

size_t ike_prf_len(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA2_256: return 32;
	case IKE_PRF_HMAC_SHA2_384: return 48;
	case IKE_PRF_HMAC_SHA2_512: return 64;
	}
	return 0;
}

/* RFC 4868: HMAC-SHA-256-128 / -384-192 / -512-256: key = hash length, ICV = half. */
static const char *integ_md(uint16_t integ, size_t *key, size_t *icv)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA2_256_128: *key = 32; *icv = 16; return "SHA256";
	case IKE_INTEG_HMAC_SHA2_384_192: *key = 48; *icv = 24; return "SHA384";
	case IKE_INTEG_HMAC_SHA2_512_256: *key = 64; *icv = 32; return "SHA512";
	}
	return NULL;
}

int ike_alg_init(const struct ike_suite *s, bool ike, struct ike_alg *a)
{
	memset(a, 0, sizeof(*a));
	a->s = *s;
	switch (s->encr) {
	case IKE_ENCR_AES_CBC:
		if (s->encr_bits != 128 && s->encr_bits != 192 && s->encr_bits != 256)
			return -ENOTSUP;
		a->enc_key = s->encr_bits / 8;
		a->iv = 16;
		a->block = 16;
		if (!integ_md(s->integ, &a->integ_key, &a->icv))
			return -ENOTSUP;
		break;
	case IKE_ENCR_AES_GCM_16:
		if (s->encr_bits != 128 && s->encr_bits != 256)
			return -ENOTSUP;
		a->enc_key = s->encr_bits / 8;
		goto aead;
	case IKE_ENCR_CHACHA20_POLY1305:
		/* RFC 7634 §2: no Key Length attribute, 256-bit key */
		if (s->encr_bits != 0)
			return -ENOTSUP;
		a->enc_key = 32;
	aead:
		if (s->integ != IKE_INTEG_NONE)
			return -ENOTSUP;
		a->aead = true;
		a->salt = 4;
		a->iv = 8;
		a->block = 1;
		a->icv = 16;
		break;
	default:
		return -ENOTSUP;
	}
	if (ike) {
		a->prf_len = ike_prf_len(s->prf);
		if (!a->prf_len)
			return -ENOTSUP;
	}
	return 0;
}

static const EVP_CIPHER *cipher_of(const struct ike_alg *a)
{
	switch (a->s.encr) {
	case IKE_ENCR_AES_CBC:
		return a->enc_key == 16 ? EVP_aes_128_cbc() :
		       a->enc_key == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
	case IKE_ENCR_AES_GCM_16:
		return a->enc_key == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	case IKE_ENCR_CHACHA20_POLY1305:
		return EVP_chacha20_poly1305();
	}
	return NULL;
}

/* ---- HMAC / PRF ------------------------------------------------------------------------------ */

static EVP_MAC *hmac_alg;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

struct iov {
	const uint8_t *p;
	size_t len;
};

static int hmac(const char *md, const uint8_t *key, size_t klen, const struct iov *v, size_t n,
		uint8_t *out, size_t *outlen)
{
	static const uint8_t nokey[1];
	EVP_MAC_CTX *c;
	OSSL_PARAM params[2];
	int rc = -EIO;

	pthread_once(&hmac_once, hmac_fetch);
	if (!hmac_alg || !(c = EVP_MAC_CTX_new(hmac_alg)))
		return -EIO;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(c, klen ? key : nokey, klen, params) != 1)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (v[i].len && EVP_MAC_update(c, v[i].p, v[i].len) != 1)
			goto out;
	if (EVP_MAC_final(c, out, outlen, 64) != 1)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(c);
	return rc;
}

int ike_prf(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *d1, size_t l1,
	    const uint8_t *d2, size_t l2, uint8_t *out)
{
	const char *md = prf_md(prf);
	struct iov v[2] = { { d1, l1 }, { d2, l2 } };
	size_t ol;

	if (!md)
		return -ENOTSUP;
	return hmac(md, key, klen, v, 2, out, &ol);
}

int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *seed,
		 size_t slen, uint8_t *out, size_t outlen)
{
	const char *md = prf_md(prf);
	size_t plen = ike_prf_len(prf), done = 0, ol;
	uint8_t t[IKE_PRF_MAX], ctr = 1;
	int rc = 0;

	if (!md)
		return -ENOTSUP;
	if (outlen > 255 * plen)
		return -EINVAL;
	/* §2.13: T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) */
	while (done < outlen) {
		struct iov v[3] = { { t, done ? plen : 0 }, { seed, slen }, { &ctr, 1 } };
		size_t n;

		rc = hmac(md, key, klen, v, 3, t, &ol);
		if (rc)
			goto out;
		n = outlen - done < plen ? outlen - done : plen;
		memcpy(out + done, t, n);
		done += n;
		ctr++;
	}
out:
	OPENSSL_cleanse(t, sizeof(t));
	return rc;
}

/* SKEYSEED given: everything of ike_derive_keys() after it (old_prf 0), or prf(old SK_d,
 * g^ir | Ni | Nr) first for a rekey (§2.18). */
static int derive_keys(const struct ike_alg *a, uint16_t old_prf, const uint8_t *old_skd,
		       size_t old_dlen, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		       size_t nr_len, const uint8_t *gir, size_t gir_len, uint64_t spi_i,
		       uint64_t spi_r, struct ike_keys *k, uint8_t *skeyseed)
{
	uint8_t nonces[512 + 16], seed[IKE_PRF_MAX], km[3 * IKE_PRF_MAX + 2 * 64 + 2 * 36];
	uint16_t prf = a->s.prf;
	size_t off = 0, total;
	int rc = -EINVAL;

	memset(k, 0, sizeof(*k));
	if (ni_len > 256 || nr_len > 256 || !a->prf_len || gir_len > IKE_DH_SECRET_MAX)
		goto out;
	memcpy(nonces, ni, ni_len);
	memcpy(nonces + ni_len, nr, nr_len);
	if (old_prf) {
		/* §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), the old SA's PRF */
		rc = ike_prf(old_prf, old_skd, old_dlen, gir, gir_len, nonces, ni_len + nr_len,
			     seed);
	} else {
		/* §2.14: SKEYSEED = prf(Ni | Nr, g^ir) */
		rc = ike_prf(prf, nonces, ni_len + nr_len, gir, gir_len, NULL, 0, seed);
	}
	if (rc)
		goto out;
	for (int i = 0; i < 8; i++) {
		nonces[ni_len + nr_len + i] = (uint8_t)(spi_i >> (56 - 8 * i));
		nonces[ni_len + nr_len + 8 + i] = (uint8_t)(spi_r >> (56 - 8 * i));
	}
	k->d_len = k->p_len = a->prf_len;
	k->a_len = a->integ_key;
	k->e_len = a->enc_key + a->salt;
	total = 3 * a->prf_len + 2 * k->a_len + 2 * k->e_len;
	rc = ike_prf_plus(prf, seed, a->prf_len, nonces, ni_len + nr_len + 16, km, total);
	if (rc)
		goto out;
#define TAKE(dst, n) do { memcpy(dst, km + off, n); off += n; } while (0)
	TAKE(k->sk_d, k->d_len);
	TAKE(k->sk_ai, k->a_len);
	TAKE(k->sk_ar, k->a_len);
	TAKE(k->sk_ei, k->e_len);
	TAKE(k->sk_er, k->e_len);
	TAKE(k->sk_pi, k->p_len);
	TAKE(k->sk_pr, k->p_len);
#undef TAKE
	if (skeyseed)
		memcpy(skeyseed, seed, a->prf_len);
out:
	OPENSSL_cleanse(nonces, sizeof(nonces));
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(km, sizeof(km));
	if (rc)
		OPENSSL_cleanse(k, sizeof(*k));
	return rc;
}

int ike_derive_keys(const struct ike_alg *a, const uint8_t *ni, size_t ni_len,
		    const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len,
		    uint64_t spi_i, uint64_t spi_r, struct ike_keys *k, uint8_t *skeyseed)
{
	return derive_keys(a, 0, NULL, 0, ni, ni_len, nr, nr_len, gir, gir_len, spi_i, spi_r, k,
			   skeyseed);
}

int ike_derive_rekey_keys(const struct ike_alg *a, uint16_t old_prf, const uint8_t *old_skd,
			  size_t old_dlen, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
			  size_t nr_len, const uint8_t *gir, size_t gir_len, uint64_t spi_i,
			  uint64_t spi_r, struct ike_keys *k)
{
	if (!old_prf)
		return -EINVAL;
	return derive_keys(a, old_prf, old_skd, old_dlen, ni, ni_len, nr, nr_len, gir, gir_len,
			   spi_i, spi_r, k, NULL);
}

int ike_child_keymat(uint16_t prf, const uint8_t *sk_d, size_t d_len, const struct ike_alg *esp,
		     const uint8_t *gir, size_t gir_len, const uint8_t *ni, size_t ni_len,
		     const uint8_t *nr, size_t nr_len, struct ike_child_keys *ck)
{
	uint8_t seed[IKE_DH_SECRET_MAX + 512], km[2 * (36 + 64)];
	size_t e = esp->enc_key + esp->salt, a = esp->integ_key, off = 0;
	int rc = -EINVAL;

	memset(ck, 0, sizeof(*ck));
	if (gir_len > IKE_DH_SECRET_MAX || ni_len > 256 || nr_len > 256 || e > 36 || a > 64)
		goto out;
	if (gir_len) /* no new DH in IKE_AUTH: gir may be NULL */
		memcpy(seed, gir, gir_len);
	memcpy(seed + gir_len, ni, ni_len);
	memcpy(seed + gir_len + ni_len, nr, nr_len);
	rc = ike_prf_plus(prf, sk_d, d_len, seed, gir_len + ni_len + nr_len, km, 2 * (e + a));
	if (rc)
		goto out;
	/* §2.17: initiator->responder first; encryption key before integrity key */
	ck->e_len = e;
	ck->a_len = a;
	memcpy(ck->ei, km + off, e), off += e;
	memcpy(ck->ai, km + off, a), off += a;
	memcpy(ck->er, km + off, e), off += e;
	memcpy(ck->ar, km + off, a);
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(km, sizeof(km));
	return rc;
}

/* ---- SK payload ------------------------------------------------------------------------------ */

static int integ_icv(const struct ike_alg *a, const uint8_t *akey, const uint8_t *data,
		     size_t len, uint8_t *icv)
{
	uint8_t full[64];
	size_t kl, il, ol;
	const char *md = integ_md(a->s.integ, &kl, &il);
	struct iov v = { data, len };
	int rc;

	if (!md)
		return -ENOTSUP;
	rc = hmac(md, akey, kl, &v, 1, full, &ol);
	if (!rc)
		memcpy(icv, full, il);
	OPENSSL_cleanse(full, sizeof(full));
	return rc;
}

/* AEAD in place: nonce = salt (last 4 bytes of the key material) | IV (RFC 5282 §4, RFC 7634 §2) */
static int aead(const struct ike_alg *a, const uint8_t *ekey, bool enc, const uint8_t *iv,
		const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
		uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t nonce[12];
	int l, rc = -EIO;

	memcpy(nonce, ekey + a->enc_key, 4);
	memcpy(nonce + 4, iv, 8);
	if (!c || EVP_CipherInit_ex(c, cipher_of(a), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, ekey, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &l, aad, (int)aad_len) != 1 ||
	    (len && EVP_CipherUpdate(c, out, &l, in, (int)len) != 1))
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + len, &l) != 1) {
		rc = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

static int cbc(const struct ike_alg *a, const uint8_t *ekey, bool enc, const uint8_t *iv,
	       const uint8_t *in, uint8_t *out, size_t len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l, rc = -EIO;

	if (c && EVP_CipherInit_ex(c, cipher_of(a), NULL, ekey, iv, enc) == 1 &&
	    EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	    EVP_CipherUpdate(c, out, &l, in, (int)len) == 1 && (size_t)l == len)
		rc = 0;
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int ike_sk_seal(const struct ike_alg *a, const uint8_t *ekey, const uint8_t *akey,
		const struct ike_rng *rng, const struct ike_hdr *h, uint8_t first,
		const uint8_t *inner, size_t inner_len, uint8_t *out, size_t cap, size_t *out_len)
{
	return ike_skf_seal(a, ekey, akey, rng, h, first, 0, 0, inner, inner_len, out, cap,
			    out_len);
}

int ike_skf_seal(const struct ike_alg *a, const uint8_t *ekey, const uint8_t *akey,
		 const struct ike_rng *rng, const struct ike_hdr *h, uint8_t first, uint16_t num,
		 uint16_t total, const uint8_t *inner, size_t inner_len, uint8_t *out, size_t cap,
		 size_t *out_len)
{
	struct ike_bld b;
	size_t pad, ct_len, iv_off, len;
	uint8_t *body, *nt;
	int rc;

	/* §3.14: plaintext | padding | pad length, a multiple of the block size */
	pad = (a->block - (inner_len + 1) % a->block) % a->block;
	ct_len = inner_len + pad + 1;
	ike_bld_init(&b, out, cap, h);
	ike_bld_begin(&b, total ? IKE_PL_SKF : IKE_PL_SK, false);
	if (total) {
		/* RFC 7383 §2.5: Fragment Number, Total Fragments (inside the AAD) */
		nt = rp_wbuf_put(&b.w, 4);
		if (nt) {
			nt[0] = (uint8_t)(num >> 8), nt[1] = (uint8_t)num;
			nt[2] = (uint8_t)(total >> 8), nt[3] = (uint8_t)total;
		}
	}
	body = rp_wbuf_put(&b.w, a->iv + ct_len + a->icv);
	out[b.np_off] = first;
	ike_bld_end(&b);
	b.np_off = SIZE_MAX;
	len = ike_bld_finish(&b);
	if (!len || !body)
		return -ENOSPC;
	iv_off = (size_t)(body - out);
	rc = ike_random(rng, body, a->iv);
	if (rc)
		return rc;
	if (inner_len) /* an empty INFORMATIONAL has no inner chain */
		memcpy(body + a->iv, inner, inner_len);
	memset(body + a->iv + inner_len, 0, pad);
	body[a->iv + inner_len + pad] = (uint8_t)pad;
	if (a->aead) {
		/* RFC 5282 §5.1: AAD = IKE header through the SK payload's generic header */
		rc = aead(a, ekey, true, body, out, iv_off, body + a->iv, body + a->iv, ct_len,
			  body + a->iv + ct_len);
	} else {
		rc = cbc(a, ekey, true, body, body + a->iv, body + a->iv, ct_len);
		if (!rc)
			rc = integ_icv(a, akey, out, len - a->icv, out + len - a->icv);
	}
	if (rc) {
		OPENSSL_cleanse(out, len);
		return rc;
	}
	*out_len = len;
	return 0;
}

int ike_sk_open(const struct ike_alg *a, const uint8_t *ekey, const uint8_t *akey,
		const struct ike_msg *m, uint8_t *plain, size_t cap, size_t *plain_len)
{
	const struct ike_pl *sk = m->n ? &m->pl[m->n - 1] : NULL;
	const uint8_t *iv, *ct, *icv;
	size_t ct_len, aad_len, padlen;
	uint8_t mac[64];
	int rc = -EBADMSG;

	if (!sk || (sk->type != IKE_PL_SK && sk->type != IKE_PL_SKF))
		return -EBADMSG;
	if (sk->f.data.len < a->iv + a->icv + 1)
		return -EBADMSG;
	iv = sk->f.data.p;
	ct = iv + a->iv;
	ct_len = sk->f.data.len - a->iv - a->icv;
	icv = ct + ct_len;
	aad_len = (size_t)(iv - m->raw.p); /* header .. end of SK / SKF fixed fields (RFC 7383) */
	if (ct_len % a->block)
		return -EBADMSG;
	if (ct_len > cap)
		return -ENOSPC;
	if (a->aead) {
		rc = aead(a, ekey, false, iv, m->raw.p, aad_len, ct, plain, ct_len, (uint8_t *)icv);
	} else {
		rc = integ_icv(a, akey, m->raw.p, (size_t)(icv - m->raw.p), mac);
		if (!rc && CRYPTO_memcmp(mac, icv, a->icv) != 0)
			rc = -EBADMSG;
		if (!rc)
			rc = cbc(a, ekey, false, iv, ct, plain, ct_len);
	}
	if (rc)
		goto out;
	padlen = plain[ct_len - 1];
	if (padlen + 1 > ct_len) {
		rc = -EBADMSG;
		goto out;
	}
	*plain_len = ct_len - padlen - 1;
out:
	if (rc)
		OPENSSL_cleanse(plain, ct_len);
	return rc;
}

/* ---- AUTH ------------------------------------------------------------------------------------ */

int ike_auth_octets(uint16_t prf, const uint8_t *msg, size_t mlen, const uint8_t *nonce,
		    size_t nlen, const uint8_t *sk_p, size_t plen, const uint8_t *id_body,
		    size_t idlen, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t pl = ike_prf_len(prf);

	if (!pl)
		return -ENOTSUP;
	if (mlen + nlen + pl > cap)
		return -ENOSPC;
	memcpy(out, msg, mlen);
	memcpy(out + mlen, nonce, nlen);
	*out_len = mlen + nlen + pl;
	/* §2.15: MACedIDFor{I,R} = prf(SK_p{i,r}, ID{I,R}') */
	return ike_prf(prf, sk_p, plen, id_body, idlen, NULL, 0, out + mlen + nlen);
}

int ike_auth_psk(uint16_t prf, const uint8_t *psk, size_t psklen, const uint8_t *octets,
		 size_t olen, uint8_t *out)
{
	static const char pad[] = "Key Pad for IKEv2";
	uint8_t k[IKE_PRF_MAX];
	int rc;

	rc = ike_prf(prf, psk, psklen, (const uint8_t *)pad, sizeof(pad) - 1, NULL, 0, k);
	if (!rc)
		rc = ike_prf(prf, k, ike_prf_len(prf), octets, olen, NULL, 0, out);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}
