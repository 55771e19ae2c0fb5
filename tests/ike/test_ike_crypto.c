/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * IKEv2 crypto (controlplane/ike/crypto.c) against published vectors and against what a real
 * strongSwan derived:
 *  - HMAC-SHA-2 PRFs / truncated integrity: RFC 4231 test case 1 and RFC 4868 §2.7.2 ("Jefe"),
 *    as reproduced in strongSwan src/libstrongswan/plugins/test_vectors/test_vectors/sha2_hmac.c.
 *  - ECP groups 19/20/21: RFC 5114 Appendix A.6-A.8 ECDH vectors (x | y public values, x-only
 *    shared secret: the encoding RFC 5903 §7 uses for IKE), as reproduced in strongSwan
 *    test_vectors/ecp.c. (The RFC 5903 §8 vectors themselves were not reachable here.)
 *  - X25519: RFC 7748 §6.1.
 *  - SKEYSEED and the seven keys: recomputed from the nonces/SPIs of captured IKE_SA_INIT
 *    messages and the g^ir charon logged, compared with the SK_* charon logged
 *    (sswan_capture.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>

#include "controlplane/ike/crypto.h"
#include "controlplane/ike/payload.h"
#include "sswan_capture.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			assert_true(n < cap);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

static void test_hmac_vectors(void **state)
{
	static const struct {
		uint16_t prf;
		const char *out;
	} v[] = {
		/* RFC 4231 test case 1: key = 0x0b * 20, data = "Hi There" */
		{ IKE_PRF_HMAC_SHA2_256,
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
		{ IKE_PRF_HMAC_SHA2_384,
		  "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
		  "faea9ea9076ede7f4af152e8b2fa9cb6" },
		{ IKE_PRF_HMAC_SHA2_512,
		  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
		  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
	};
	uint8_t key[20], out[64], exp[64];

	(void)state;
	memset(key, 0x0b, sizeof(key));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = unhex(v[i].out, exp, sizeof(exp));

		assert_int_equal(n, ike_prf_len(v[i].prf));
		assert_int_equal(ike_prf(v[i].prf, key, sizeof(key), (const uint8_t *)"Hi ", 3,
					 (const uint8_t *)"There", 5, out), 0);
		assert_memory_equal(out, exp, n);
	}
}

/* prf+ = T1 | T2 ..., T1 = prf(K, S | 0x01): check the structure against ike_prf(). */
static void test_prf_plus(void **state)
{
	uint8_t k[32], s[40], out[100], t[64], in[64 + 40 + 1];

	(void)state;
	memset(k, 7, sizeof(k));
	memset(s, 9, sizeof(s));
	assert_int_equal(ike_prf_plus(IKE_PRF_HMAC_SHA2_256, k, 32, s, 40, out, 100), 0);
	memcpy(in, s, 40);
	in[40] = 1;
	ike_prf(IKE_PRF_HMAC_SHA2_256, k, 32, in, 41, NULL, 0, t);
	assert_memory_equal(out, t, 32);
	memcpy(in, t, 32);
	memcpy(in + 32, s, 40);
	in[72] = 2;
	ike_prf(IKE_PRF_HMAC_SHA2_256, k, 32, in, 73, NULL, 0, t);
	assert_memory_equal(out + 32, t, 32);
	assert_int_equal(ike_prf_plus(IKE_PRF_HMAC_SHA2_256, k, 32, s, 40, out, 256 * 32), -EINVAL);
}

struct dh_vec {
	uint16_t group;
	const char *a, *b, *pub_a, *pub_b, *shared;
};

static void check_dh(const struct dh_vec *v)
{
	uint8_t a[80], b[80], pa[200], pb[200], sh[80], out[IKE_DH_SECRET_MAX];
	size_t la = unhex(v->a, a, sizeof(a)), lb = unhex(v->b, b, sizeof(b));
	size_t lpa = unhex(v->pub_a, pa, sizeof(pa)), lpb = unhex(v->pub_b, pb, sizeof(pb));
	size_t lsh = unhex(v->shared, sh, sizeof(sh)), l, ol;
	struct ike_dh *da, *db;
	const uint8_t *p;

	assert_int_equal(ike_dh_new_priv(v->group, a, la, &da), 0);
	assert_int_equal(ike_dh_new_priv(v->group, b, lb, &db), 0);
	p = ike_dh_pub(da, &l);
	assert_int_equal(l, lpa);
	assert_int_equal(l, ike_dh_pub_len(v->group));
	assert_memory_equal(p, pa, l);
	p = ike_dh_pub(db, &l);
	assert_int_equal(l, lpb);
	assert_memory_equal(p, pb, l);
	assert_int_equal(ike_dh_derive(da, pb, lpb, out, &ol), 0);
	assert_int_equal(ol, lsh);
	assert_memory_equal(out, sh, lsh);
	assert_int_equal(ike_dh_derive(db, pa, lpa, out, &ol), 0);
	assert_memory_equal(out, sh, lsh);
	/* a point off the curve, and a wrong length, are refused */
	if (v->group != IKE_DH_CURVE25519) {
		pb[lpb - 1] ^= 1;
		assert_int_equal(ike_dh_check_peer(v->group, pb, lpb), -EINVAL);
		assert_int_equal(ike_dh_derive(da, pb, lpb, out, &ol), -EINVAL);
		pb[lpb - 1] ^= 1;
	}
	assert_int_equal(ike_dh_check_peer(v->group, pb, lpb - 1), -EINVAL);
	ike_dh_free(da);
	ike_dh_free(db);
}

static void test_ecp_vectors(void **state)
{
	/* RFC 5114 Appendix A.6 (256-bit), A.7 (384-bit), A.8 (521-bit) */
	static const struct dh_vec v[] = {
		{ IKE_DH_ECP256,
		  "814264145f2f56f2e96a8e337a1284993faf432a5abce59e867b7291d507a3af",
		  "2ce1788ec197e096db95a200cc0ab26a19ce6bccad562b8eee1b593761cf7f41",
		  "2af502f3be8952f2c9b5a8d4160d09e97165be50bc42ae4a5e8d3b4ba83aeb15"
		  "eb0faf4ca986c4d38681a0f9872d79d56795bd4bff6e6de3c0f5015ece5efd85",
		  "b120de4aa36492795346e8de6c2c8646ae06aaea279fa775b3ab0715f6ce51b0"
		  "9f1b7eece20d7b5ed8ec685fa3f071d83727027092a8411385c34dde5708b2b6",
		  "dd0f5396219d1ea393310412d19a08f1f5811e9dc8ec8eea7f80d21c820c2788" },
		{ IKE_DH_ECP384,
		  "d27335ea71664af244dd14e9fd1260715dfd8a7965571c48d709ee7a7962a156"
		  "d706a90cbcb5df2986f05feadb9376f1",
		  "52d1791fdb4b70f89c0f00d456c2f7023b6125262c36a7df1f80231121cce3d3"
		  "9be52e00c194a4132c4a6c768bcd94d2",
		  "793148f1787634d5da4c6d9074417d05e057ab62f82054d10ee6b0403d627954"
		  "7e6a8ea9d1fd77427d016fe27a8b8c66c6c41294331d23e6f480f4fb4cd40504"
		  "c947392e94f4c3f06b8f398bb29e42368f7a685923de3b67baced214a1a1d128",
		  "5cd42ab9c41b5347f74b8d4efb708b3d5b36db65915359b44abc17647b6b9999"
		  "789d72a84865ae2f223f12b5a1abc120e171458feaa939aaa3a8bfac46b404bd"
		  "8f6d5b348c0fa4d80ceca16356ca933240bde8723415a8ece035b0edf36755de",
		  "5ea1fc4af7256d2055981b110575e0a8cae53160137d904c59d926eb1b8456e4"
		  "27aa8a4540884c37de159a58028abc0e" },
		{ IKE_DH_ECP521,
		  "0113f82da825735e3d97276683b2b74277bad27335ea71664af2430cc4f33459"
		  "b9669ee78b3ffb9b8683015d344dcbfef6fb9af4c6c470be254516cd3c1a1fb47362",
		  "00cee3480d8645a17d249f2776d28bae616952d1791fdb4b70f7c3378732aa1b"
		  "22928448bcd1dc2496d435b01048066ebe4f72903c361b1a9dc1193dc2c9d0891b96",
		  "01ebb34dd75721abf8adc9dbed17889cbb9765d90a7c60f2cef007bb0f2b26e1"
		  "4881fd4442e689d61cb2dd046ee30e3ffd20f9a45bbdf6413d583a2dbf59924fd35c"
		  "00f6b632d194c0388e22d8437e558c552ae195adfd153f92d74908351b2f8c4e"
		  "da94edb0916d1b53c020b5eecaed1a5fc38a233e4830587bb2ee3489b3b42a5a86a4",
		  "010ebfafc6e85e08d24bfffcc1a4511db0e634beeb1b6dec8c5939ae44766201"
		  "af6200430ba97c8ac6a0e9f08b33ce7e9feeb5ba4ee5e0d81510c24295b8a08d0235"
		  "00a4a6ec300df9e257b0372b5e7abfef093436719a77887ebb0b18cf8099b9f4"
		  "212b6e30a1419c18e029d36863cc9d448f4dba4d2a0e60711be572915fbd4fef2695",
		  "00cdea89621cfa46b132f9e4cfe2261cde2d4368eb5656634c7cc98c7a00cde5"
		  "4ed1866a0dd3e6126c9d2f845daff82ceb1da08f5d87521bb0ebeca77911169c20cc" },
		/* RFC 7748 §6.1 */
		{ IKE_DH_CURVE25519,
		  "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
		  "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
		  "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
		  "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
		  "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		check_dh(&v[i]);
}

/* X25519 low-order point (u = 0) gives an all-zero secret: refused (RFC 7748 §6.1). */
static void test_x25519_zero(void **state)
{
	uint8_t zero[32] = { 0 }, out[64];
	struct ike_dh *d;
	size_t l;

	(void)state;
	assert_int_equal(ike_dh_new(IKE_DH_CURVE25519, NULL, &d), 0);
	assert_int_equal(ike_dh_derive(d, zero, 32, out, &l), -EINVAL);
	ike_dh_free(d);
}

/* MODP: both sides agree; the range check refuses 0, 1, p-1, p. */
static void test_modp(void **state)
{
	static const uint16_t groups[] = { IKE_DH_MODP2048, IKE_DH_MODP3072, IKE_DH_MODP4096 };

	(void)state;
	for (size_t g = 0; g < 3; g++) {
		struct ike_dh *a, *b;
		uint8_t s1[512], s2[512], bad[512];
		const uint8_t *pa, *pb;
		size_t la, lb, l1, l2, n = ike_dh_pub_len(groups[g]);
		BIGNUM *p = n == 256 ? BN_get_rfc3526_prime_2048(NULL) :
			    n == 384 ? BN_get_rfc3526_prime_3072(NULL) :
				       BN_get_rfc3526_prime_4096(NULL);

		assert_int_equal(ike_dh_new(groups[g], NULL, &a), 0);
		assert_int_equal(ike_dh_new(groups[g], NULL, &b), 0);
		pa = ike_dh_pub(a, &la);
		pb = ike_dh_pub(b, &lb);
		assert_int_equal(la, n);
		assert_int_equal(ike_dh_derive(a, pb, lb, s1, &l1), 0);
		assert_int_equal(ike_dh_derive(b, pa, la, s2, &l2), 0);
		assert_int_equal(l1, n);
		assert_int_equal(l2, n);
		assert_memory_equal(s1, s2, n);
		memset(bad, 0, n);
		assert_int_equal(ike_dh_check_peer(groups[g], bad, n), -EINVAL);
		bad[n - 1] = 1;
		assert_int_equal(ike_dh_check_peer(groups[g], bad, n), -EINVAL);
		bad[n - 1] = 2;
		assert_int_equal(ike_dh_check_peer(groups[g], bad, n), 0);
		BN_bn2binpad(p, bad, (int)n);
		assert_int_equal(ike_dh_check_peer(groups[g], bad, n), -EINVAL);
		BN_sub_word(p, 1);
		BN_bn2binpad(p, bad, (int)n);
		assert_int_equal(ike_dh_check_peer(groups[g], bad, n), -EINVAL);
		BN_free(p);
		ike_dh_free(a);
		ike_dh_free(b);
	}
}

/* The key schedule against charon: nonces and SPIs from the captured IKE_SA_INIT pair. */
static void check_keys(const uint8_t *m0, size_t l0, const uint8_t *m1, size_t l1,
		       const struct ike_suite *s, const uint8_t *gir, size_t gir_len,
		       const uint8_t *skeyseed, const uint8_t *sk_d, const uint8_t *sk_ai,
		       const uint8_t *sk_ei, const uint8_t *sk_er, const uint8_t *sk_pi,
		       const uint8_t *sk_pr)
{
	struct ike_msg *req = calloc(1, sizeof(*req)), *resp = calloc(1, sizeof(*resp));
	const struct ike_pl *ni, *nr;
	struct ike_alg a;
	struct ike_keys k;
	uint8_t seed[64];

	assert_int_equal(ike_msg_parse(m0, l0, req, NULL), IKE_PERR_OK);
	assert_int_equal(ike_msg_parse(m1, l1, resp, NULL), IKE_PERR_OK);
	ni = ike_msg_find(req, IKE_PL_NONCE, NULL);
	nr = ike_msg_find(resp, IKE_PL_NONCE, NULL);
	assert_int_equal(ike_alg_init(s, true, &a), 0);
	assert_int_equal(ike_derive_keys(&a, ni->f.data.p, ni->f.data.len, nr->f.data.p,
					 nr->f.data.len, gir, gir_len, resp->hdr.spi_i,
					 resp->hdr.spi_r, &k, seed), 0);
	assert_memory_equal(seed, skeyseed, a.prf_len);
	assert_memory_equal(k.sk_d, sk_d, k.d_len);
	if (k.a_len)
		assert_memory_equal(k.sk_ai, sk_ai, k.a_len);
	assert_memory_equal(k.sk_ei, sk_ei, k.e_len);
	assert_memory_equal(k.sk_er, sk_er, k.e_len);
	assert_memory_equal(k.sk_pi, sk_pi, k.p_len);
	assert_memory_equal(k.sk_pr, sk_pr, k.p_len);
	free(req);
	free(resp);
}

#define CHECK_SESSION(n, suite)                                                             \
	check_keys(ss_##n##_m0, sizeof(ss_##n##_m0), ss_##n##_m1, sizeof(ss_##n##_m1), suite,   \
		   ss_##n##_dh, sizeof(ss_##n##_dh), ss_##n##_skeyseed, ss_##n##_sk_d,          \
		   ss_##n##_sk_ai, ss_##n##_sk_ei, ss_##n##_sk_er, ss_##n##_sk_pi,              \
		   ss_##n##_sk_pr)

static void test_keys_vs_strongswan(void **state)
{
	struct ike_suite gcm = { IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_384, IKE_INTEG_NONE,
				 IKE_DH_ECP384, false };
	struct ike_suite cbc = { IKE_ENCR_AES_CBC, 128, IKE_PRF_HMAC_SHA2_256,
				 IKE_INTEG_HMAC_SHA2_256_128, IKE_DH_MODP2048, false };
	struct ike_suite cc = { IKE_ENCR_CHACHA20_POLY1305, 0, IKE_PRF_HMAC_SHA2_512,
				IKE_INTEG_NONE, IKE_DH_CURVE25519, false };

	(void)state;
	CHECK_SESSION(gcm256_ecp384, &gcm);
	CHECK_SESSION(cbc128_modp2048, &cbc);
	CHECK_SESSION(chacha_x25519, &cc);
}

/* seal -> open for every suite, and any flipped byte is refused. */
static void test_sk_roundtrip(void **state)
{
	static const struct ike_suite suites[] = {
		{ IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256, 0, 0, false },
		{ IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, 0, false },
		{ IKE_ENCR_AES_CBC, 128, IKE_PRF_HMAC_SHA2_256, IKE_INTEG_HMAC_SHA2_256_128, 0, false },
		{ IKE_ENCR_AES_CBC, 256, IKE_PRF_HMAC_SHA2_384, IKE_INTEG_HMAC_SHA2_384_192, 0, false },
		{ IKE_ENCR_AES_CBC, 256, IKE_PRF_HMAC_SHA2_512, IKE_INTEG_HMAC_SHA2_512_256, 0, false },
		{ IKE_ENCR_CHACHA20_POLY1305, 0, IKE_PRF_HMAC_SHA2_256, 0, 0, false },
	};
	struct ike_hdr h = { .spi_i = 1, .spi_r = 2, .exchange = IKE_XCHG_INFORMATIONAL,
			     .flags = IKE_HDR_F_I, .msg_id = 2 };
	uint8_t ek[36], ak[64], inner[100], out[512], plain[512];

	(void)state;
	memset(ek, 0x42, sizeof(ek));
	memset(ak, 0x24, sizeof(ak));
	for (size_t i = 0; i < sizeof(inner); i++)
		inner[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		struct ike_msg *m = calloc(1, sizeof(*m));
		struct ike_alg a;
		size_t len, pl;

		assert_int_equal(ike_alg_init(&suites[i], true, &a), 0);
		for (size_t il = 0; il <= sizeof(inner); il += 33) {
			assert_int_equal(ike_sk_seal(&a, ek, ak, NULL, &h, IKE_PL_NOTIFY, inner, il,
						     out, sizeof(out), &len), 0);
			assert_int_equal(ike_msg_parse(out, len, m, NULL), IKE_PERR_OK);
			assert_int_equal(m->sk_next, IKE_PL_NOTIFY);
			assert_int_equal(ike_sk_open(&a, ek, ak, m, plain, sizeof(plain), &pl), 0);
			assert_int_equal(pl, il);
			assert_memory_equal(plain, inner, il);
			for (size_t f = 0; f < len; f += 7) {
				out[f] ^= 0x80;
				if (ike_msg_parse(out, len, m, NULL) == IKE_PERR_OK)
					assert_int_not_equal(
						ike_sk_open(&a, ek, ak, m, plain, sizeof(plain), &pl), 0);
				out[f] ^= 0x80;
			}
		}
		free(m);
	}
}

/* AUTH for PSK (§2.15) computed the way charon did for the captured session: we can check
 * the AUTH payload the strongSwan initiator sent in IKE_AUTH of the CBC session. */
static void test_psk_auth_real(void **state)
{
	struct ike_msg *m0 = calloc(1, sizeof(*m0)), *m1 = calloc(1, sizeof(*m1)),
		       *m2 = calloc(1, sizeof(*m2));
	struct ike_suite s = { IKE_ENCR_AES_CBC, 128, IKE_PRF_HMAC_SHA2_256,
			       IKE_INTEG_HMAC_SHA2_256_128, IKE_DH_MODP2048, false };
	static const char psk[] = "v2-psk-secret-0123"; /* interop ipsec/r/swanctl/swanctl.conf */
	const struct ike_pl *nr, *idi, *auth;
	uint8_t plain[2048], oct[2048], mac[64];
	size_t plen, olen;
	struct ike_alg a;

	(void)state;
	assert_int_equal(ike_alg_init(&s, true, &a), 0);
	ike_msg_parse(ss_cbc128_modp2048_m0, sizeof(ss_cbc128_modp2048_m0), m0, NULL);
	ike_msg_parse(ss_cbc128_modp2048_m1, sizeof(ss_cbc128_modp2048_m1), m1, NULL);
	nr = ike_msg_find(m1, IKE_PL_NONCE, NULL);
	assert_int_equal(ike_msg_parse(ss_cbc128_modp2048_m2, sizeof(ss_cbc128_modp2048_m2), m2,
				       NULL), IKE_PERR_OK);
	assert_int_equal(ike_sk_open(&a, ss_cbc128_modp2048_sk_ei, ss_cbc128_modp2048_sk_ai, m2,
				     plain, sizeof(plain), &plen), 0);
	assert_int_equal(ike_payloads_parse(m2->sk_next, plain, plen, m2, NULL), IKE_PERR_OK);
	idi = ike_msg_find(m2, IKE_PL_IDI, NULL);
	auth = ike_msg_find(m2, IKE_PL_AUTH, NULL);
	assert_int_equal(auth->f.u8a, IKE_AUTH_PSK);
	assert_int_equal(ike_auth_octets(IKE_PRF_HMAC_SHA2_256, ss_cbc128_modp2048_m0,
					 sizeof(ss_cbc128_modp2048_m0), nr->f.data.p,
					 nr->f.data.len, ss_cbc128_modp2048_sk_pi, 32, idi->body.p,
					 idi->body.len, oct, sizeof(oct), &olen), 0);
	assert_int_equal(ike_auth_psk(IKE_PRF_HMAC_SHA2_256, (const uint8_t *)psk, strlen(psk),
				      oct, olen, mac), 0);
	assert_int_equal(auth->f.data.len, 32);
	assert_memory_equal(mac, auth->f.data.p, 32);
	free(m0);
	free(m1);
	free(m2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_vectors),
		cmocka_unit_test(test_prf_plus),
		cmocka_unit_test(test_ecp_vectors),
		cmocka_unit_test(test_x25519_zero),
		cmocka_unit_test(test_modp),
		cmocka_unit_test(test_keys_vs_strongswan),
		cmocka_unit_test(test_sk_roundtrip),
		cmocka_unit_test(test_psk_auth_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
