/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * IKEv2 payload layer on real bytes: the messages of four strongSwan 5.9 sessions
 * (sswan_capture.h, captured by tests/ike/capture/capture.sh) are parsed, checked field by
 * field where we know what strongSwan sent, and rebuilt from the parsed description byte for
 * byte. Then hostile variants: truncation, length loops, unknown critical payloads, bounds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controlplane/ike/crypto.h"
#include "controlplane/ike/payload.h"
#include "sswan_capture.h"

struct cap {
	const uint8_t *p;
	size_t len;
};
#define CAP(a) { a, sizeof(a) }

/* Every plaintext message of the capture (IKE_SA_INIT requests and responses). */
static const struct cap inits[] = {
	CAP(ss_psk_default_m0), CAP(ss_psk_default_m1), CAP(ss_gcm256_ecp384_m0),
	CAP(ss_gcm256_ecp384_m1), CAP(ss_cbc128_modp2048_m0), CAP(ss_cbc128_modp2048_m1),
	CAP(ss_chacha_x25519_m0), CAP(ss_chacha_x25519_m1),
};
/* Encrypted ones (IKE_AUTH, INFORMATIONAL). */
static const struct cap encs[] = {
	CAP(ss_psk_default_m2), CAP(ss_psk_default_m3), CAP(ss_psk_default_m4),
	CAP(ss_psk_default_m5), CAP(ss_gcm256_ecp384_m2), CAP(ss_gcm256_ecp384_m3),
	CAP(ss_cbc128_modp2048_m2), CAP(ss_cbc128_modp2048_m3), CAP(ss_chacha_x25519_m2),
	CAP(ss_chacha_x25519_m3),
};

static struct ike_msg *msg_new(void)
{
	struct ike_msg *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	return m;
}

/* Rebuild a parsed message from its description; must give the same bytes. */
static void roundtrip(const uint8_t *p, size_t len)
{
	struct ike_msg *m = msg_new();
	uint8_t *out = malloc(len + 64);
	struct ike_bld b;

	assert_int_equal(ike_msg_parse(p, len, m, NULL), IKE_PERR_OK);
	ike_bld_init(&b, out, len + 64, &m->hdr);
	for (unsigned i = 0; i < m->n; i++)
		assert_true(ike_bld_pl(&b, &m->pl[i], m));
	assert_int_equal(ike_bld_finish(&b), len);
	assert_memory_equal(out, p, len);
	free(out);
	free(m);
}

static void test_roundtrip_all(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(inits) / sizeof(inits[0]); i++)
		roundtrip(inits[i].p, inits[i].len);
	for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]); i++)
		roundtrip(encs[i].p, encs[i].len);
}

/* What strongSwan sent in the "v2-gcm" session: proposals = aes256gcm16-prfsha384-ecp384. */
static void test_init_fields(void **state)
{
	struct ike_msg *m = msg_new();
	const struct ike_pl *p;
	char sum[256];

	(void)state;
	assert_int_equal(ike_msg_parse(ss_gcm256_ecp384_m0, sizeof(ss_gcm256_ecp384_m0), m, NULL),
			 IKE_PERR_OK);
	assert_int_equal(m->hdr.exchange, IKE_XCHG_IKE_SA_INIT);
	assert_int_equal(m->hdr.flags, IKE_HDR_F_I);
	assert_int_equal(m->hdr.msg_id, 0);
	assert_int_equal(m->hdr.spi_r, 0);
	assert_int_equal(m->sa.n_prop, 1);
	assert_int_equal(m->sa.prop[0].proto, IKE_PROTO_IKE);
	assert_int_equal(m->sa.prop[0].n_xf, 3);
	assert_int_equal(m->sa.xf[0].type, IKE_TT_ENCR);
	assert_int_equal(m->sa.xf[0].id, IKE_ENCR_AES_GCM_16);
	assert_true(m->sa.xf[0].has_key_len);
	assert_int_equal(m->sa.xf[0].key_len, 256);
	assert_int_equal(m->sa.xf[1].type, IKE_TT_PRF);
	assert_int_equal(m->sa.xf[1].id, IKE_PRF_HMAC_SHA2_384);
	assert_int_equal(m->sa.xf[2].type, IKE_TT_DH);
	assert_int_equal(m->sa.xf[2].id, IKE_DH_ECP384);
	p = ike_msg_find(m, IKE_PL_KE, NULL);
	assert_non_null(p);
	assert_int_equal(p->f.u16a, IKE_DH_ECP384);
	assert_int_equal(p->f.data.len, 96);
	assert_int_equal(ike_dh_check_peer(IKE_DH_ECP384, p->f.data.p, p->f.data.len), 0);
	assert_non_null(ike_msg_find(m, IKE_PL_NONCE, NULL));
	assert_non_null(ike_msg_notify(m, IKE_N_NAT_DETECTION_SOURCE_IP));
	assert_non_null(ike_msg_notify(m, IKE_N_NAT_DETECTION_DESTINATION_IP));
	assert_non_null(ike_msg_notify(m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED));
	assert_non_null(ike_msg_notify(m, IKE_N_SIGNATURE_HASH_ALGORITHMS));
	ike_msg_summary(m, sum, sizeof(sum));
	assert_non_null(strstr(sum, "SA KE NONCE N(NAT_DETECTION_SOURCE_IP)"));

	/* the default proposal of strongSwan: many transforms, two proposals */
	assert_int_equal(ike_msg_parse(ss_psk_default_m0, sizeof(ss_psk_default_m0), m, NULL),
			 IKE_PERR_OK);
	assert_true(m->sa.n_prop >= 2);
	assert_true(m->sa.n_xf > 20);
	free(m);
}

/* IKE_AUTH request of the AES-CBC session, decrypted with the keys charon logged. */
static void test_auth_decrypt_real(void **state)
{
	struct ike_msg *m = msg_new();
	struct ike_suite s = { .encr = IKE_ENCR_AES_CBC, .encr_bits = 128,
			       .prf = IKE_PRF_HMAC_SHA2_256, .integ = IKE_INTEG_HMAC_SHA2_256_128,
			       .dh = IKE_DH_MODP2048 };
	struct ike_alg a;
	uint8_t plain[2048];
	size_t plen;
	const struct ike_pl *id;

	(void)state;
	assert_int_equal(ike_alg_init(&s, true, &a), 0);
	assert_int_equal(ike_msg_parse(ss_cbc128_modp2048_m2, sizeof(ss_cbc128_modp2048_m2), m,
				       NULL), IKE_PERR_OK);
	assert_int_equal(m->hdr.exchange, IKE_XCHG_IKE_AUTH);
	assert_int_equal(m->pl[m->n - 1].type, IKE_PL_SK);
	assert_int_equal(ike_sk_open(&a, ss_cbc128_modp2048_sk_ei, ss_cbc128_modp2048_sk_ai, m,
				     plain, sizeof(plain), &plen), 0);
	assert_int_equal(ike_payloads_parse(m->sk_next, plain, plen, m, NULL), IKE_PERR_OK);
	id = ike_msg_find(m, IKE_PL_IDI, NULL);
	assert_non_null(id);
	assert_int_equal(id->f.u8a, IKE_ID_RFC822_ADDR);
	assert_int_equal(id->f.data.len, strlen("psk@example.test"));
	assert_memory_equal(id->f.data.p, "psk@example.test", id->f.data.len);
	assert_non_null(ike_msg_find(m, IKE_PL_AUTH, NULL));
	assert_non_null(ike_msg_find(m, IKE_PL_CP, NULL));
	assert_int_equal(m->cp.cfg_type, IKE_CFG_REQUEST);
	assert_non_null(ike_msg_find(m, IKE_PL_SA, NULL));
	assert_int_equal(m->sa.prop[0].proto, IKE_PROTO_ESP);
	assert_int_equal(m->sa.prop[0].spi_len, 4);
	assert_int_equal(m->tsr.n, 1);
	assert_int_equal(m->tsr.ts[0].type, IKE_TS_IPV4_RANGE);
	/* remote_ts = 198.18.1.0/24 */
	assert_int_equal(m->tsr.ts[0].start[0], 198);
	assert_int_equal(m->tsr.ts[0].start[2], 1);
	assert_int_equal(m->tsr.ts[0].end[3], 255);

	/* a flipped bit anywhere fails integrity */
	{
		uint8_t *copy = malloc(sizeof(ss_cbc128_modp2048_m2));

		memcpy(copy, ss_cbc128_modp2048_m2, sizeof(ss_cbc128_modp2048_m2));
		copy[sizeof(ss_cbc128_modp2048_m2) - 40] ^= 1;
		assert_int_equal(ike_msg_parse(copy, sizeof(ss_cbc128_modp2048_m2), m, NULL),
				 IKE_PERR_OK);
		assert_int_equal(ike_sk_open(&a, ss_cbc128_modp2048_sk_ei, ss_cbc128_modp2048_sk_ai,
					     m, plain, sizeof(plain), &plen), -EBADMSG);
		free(copy);
	}
	free(m);
}

/* Same with the AEAD sessions: AES-GCM-256 and ChaCha20-Poly1305, both directions. */
static void open_aead(const uint8_t *msg, size_t len, uint16_t encr, uint16_t bits,
		      uint16_t prf, const uint8_t *key)
{
	struct ike_msg *m = msg_new();
	struct ike_suite s = { .encr = encr, .encr_bits = bits, .prf = prf };
	struct ike_alg a;
	uint8_t plain[2048];
	size_t plen;

	assert_int_equal(ike_alg_init(&s, true, &a), 0);
	assert_int_equal(ike_msg_parse(msg, len, m, NULL), IKE_PERR_OK);
	assert_int_equal(ike_sk_open(&a, key, NULL, m, plain, sizeof(plain), &plen), 0);
	assert_int_equal(ike_payloads_parse(m->sk_next, plain, plen, m, NULL), IKE_PERR_OK);
	assert_non_null(ike_msg_find(m, IKE_PL_AUTH, NULL));
	free(m);
}

static void test_aead_decrypt_real(void **state)
{
	(void)state;
	open_aead(ss_gcm256_ecp384_m2, sizeof(ss_gcm256_ecp384_m2), IKE_ENCR_AES_GCM_16, 256,
		  IKE_PRF_HMAC_SHA2_384, ss_gcm256_ecp384_sk_ei);
	open_aead(ss_gcm256_ecp384_m3, sizeof(ss_gcm256_ecp384_m3), IKE_ENCR_AES_GCM_16, 256,
		  IKE_PRF_HMAC_SHA2_384, ss_gcm256_ecp384_sk_er);
	open_aead(ss_chacha_x25519_m2, sizeof(ss_chacha_x25519_m2), IKE_ENCR_CHACHA20_POLY1305, 0,
		  IKE_PRF_HMAC_SHA2_512, ss_chacha_x25519_sk_ei);
	open_aead(ss_chacha_x25519_m3, sizeof(ss_chacha_x25519_m3), IKE_ENCR_CHACHA20_POLY1305, 0,
		  IKE_PRF_HMAC_SHA2_512, ss_chacha_x25519_sk_er);
}

/* Every truncation of every captured message is refused without reading past the end. */
static void test_truncations(void **state)
{
	struct ike_msg *m = msg_new();

	(void)state;
	for (size_t i = 0; i < sizeof(inits) / sizeof(inits[0]); i++) {
		for (size_t l = 0; l < inits[i].len; l++) {
			uint8_t *copy = malloc(l ? l : 1);

			memcpy(copy, inits[i].p, l);
			assert_int_not_equal(ike_msg_parse(copy, l, m, NULL), IKE_PERR_OK);
			/* and with the header length adjusted to the truncation */
			if (l >= IKE_HDR_LEN) {
				copy[24] = (uint8_t)(l >> 24);
				copy[25] = (uint8_t)(l >> 16);
				copy[26] = (uint8_t)(l >> 8);
				copy[27] = (uint8_t)l;
				assert_int_not_equal(ike_msg_parse(copy, l, m, NULL), IKE_PERR_OK);
			}
			free(copy);
		}
	}
	free(m);
}

static size_t put_hdr(uint8_t *b, uint8_t first, size_t total)
{
	memset(b, 0, IKE_HDR_LEN);
	b[0] = 1;
	b[16] = first;
	b[17] = 0x20;
	b[18] = IKE_XCHG_IKE_SA_INIT;
	b[19] = IKE_HDR_F_I;
	b[24] = (uint8_t)(total >> 24);
	b[25] = (uint8_t)(total >> 16);
	b[26] = (uint8_t)(total >> 8);
	b[27] = (uint8_t)total;
	return IKE_HDR_LEN;
}

static void test_hostile(void **state)
{
	struct ike_msg *m = msg_new();
	struct ike_perr_info info;
	uint8_t b[4096];
	size_t o;

	(void)state;
	/* zero-length payload: would loop forever in a naive walker */
	o = put_hdr(b, IKE_PL_VENDOR, IKE_HDR_LEN + 8);
	memcpy(b + o, "\x2b\x00\x00\x00\x00\x00\x00\x00", 8);
	assert_int_equal(ike_msg_parse(b, IKE_HDR_LEN + 8, m, &info), IKE_PERR_SYNTAX);
	/* payload length beyond the message */
	o = put_hdr(b, IKE_PL_VENDOR, IKE_HDR_LEN + 8);
	memcpy(b + o, "\x00\x00\x00\x40\x00\x00\x00\x00", 8);
	assert_int_equal(ike_msg_parse(b, IKE_HDR_LEN + 8, m, &info), IKE_PERR_SYNTAX);
	/* unknown critical payload (type 200) */
	o = put_hdr(b, 200, IKE_HDR_LEN + 8);
	memcpy(b + o, "\x00\x80\x00\x08\x00\x00\x00\x00", 8);
	assert_int_equal(ike_msg_parse(b, IKE_HDR_LEN + 8, m, &info), IKE_PERR_CRITICAL);
	assert_int_equal(info.pl_type, 200);
	/* unknown non-critical: skipped */
	b[o + 1] = 0;
	assert_int_equal(ike_msg_parse(b, IKE_HDR_LEN + 8, m, &info), IKE_PERR_OK);
	assert_int_equal(m->n, 0);
	/* 65 vendor IDs: over the payload bound */
	o = put_hdr(b, IKE_PL_VENDOR, IKE_HDR_LEN + 65 * 4);
	for (int i = 0; i < 65; i++, o += 4)
		memcpy(b + o, i < 64 ? "\x2b\x00\x00\x04" : "\x00\x00\x00\x04", 4);
	assert_int_equal(ike_msg_parse(b, o, m, &info), IKE_PERR_BOUNDS);
	/* wrong major version */
	o = put_hdr(b, 0, IKE_HDR_LEN);
	b[17] = 0x10;
	assert_int_equal(ike_msg_parse(b, o, m, &info), IKE_PERR_VERSION);
	/* SK not last */
	o = put_hdr(b, IKE_PL_SK, IKE_HDR_LEN + 12);
	memcpy(b + o, "\x2b\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x04", 12);
	assert_int_equal(ike_msg_parse(b, IKE_HDR_LEN + 12, m, &info), IKE_PERR_SYNTAX);
	/* transform count lies */
	{
		static const uint8_t sa[] = {
			0x00, 0x00, 0x00, 0x14, /* SA generic header, len 20 */
			0x00, 0x00, 0x00, 0x10, 0x01, 0x01, 0x00, 0x02, /* proposal: 2 transforms */
			0x00, 0x00, 0x00, 0x08, 0x01, 0x00, 0x00, 0x14, /* only one */
		};
		o = put_hdr(b, IKE_PL_SA, IKE_HDR_LEN + sizeof(sa));
		memcpy(b + o, sa, sizeof(sa));
		assert_int_equal(ike_msg_parse(b, IKE_HDR_LEN + sizeof(sa), m, &info),
				 IKE_PERR_SYNTAX);
		b[o + 11] = 1;
		assert_int_equal(ike_msg_parse(b, IKE_HDR_LEN + sizeof(sa), m, &info), IKE_PERR_OK);
		assert_int_equal(m->sa.xf[0].id, IKE_ENCR_AES_GCM_16);
	}
	free(m);
}

/* Builder helpers produce what the parser reads back. */
static void test_build_helpers(void **state)
{
	struct ike_msg *m = msg_new();
	struct ike_hdr h = { .spi_i = 0x0102030405060708ull, .spi_r = 9,
			     .exchange = IKE_XCHG_IKE_AUTH, .flags = IKE_HDR_F_R, .msg_id = 1 };
	struct ike_ts_pl ts = { .n = 1 };
	struct ike_cp_pl cp = { .cfg_type = IKE_CFG_REPLY, .n = 1 };
	uint8_t addr[4] = { 198, 18, 200, 1 }, buf[512];
	uint32_t spi = 0x11223344;
	struct ike_bld b;
	size_t len;

	(void)state;
	ts.ts[0].type = IKE_TS_IPV4_RANGE;
	ts.ts[0].eport = 65535;
	memset(ts.ts[0].end, 0xff, 4);
	cp.attr[0].type = IKE_CFG_INTERNAL_IP4_ADDRESS;
	cp.attr[0].value.p = addr;
	cp.attr[0].value.len = 4;
	ike_bld_init(&b, buf, sizeof(buf), &h);
	assert_true(ike_bld_id(&b, IKE_PL_IDR, IKE_ID_FQDN, "vpn.example.test", 16));
	assert_true(ike_bld_cp(&b, &cp));
	assert_true(ike_bld_ts(&b, IKE_PL_TSI, &ts));
	assert_true(ike_bld_notify(&b, IKE_PROTO_ESP, &spi, 4, IKE_N_REKEY_SA, NULL, 0));
	assert_true(ike_bld_delete(&b, IKE_PROTO_ESP, 4, &spi, 1));
	len = ike_bld_finish(&b);
	assert_true(len > IKE_HDR_LEN);
	assert_int_equal(ike_msg_parse(buf, len, m, NULL), IKE_PERR_OK);
	assert_int_equal(m->n, 5);
	assert_int_equal(m->cp.attr[0].value.len, 4);
	assert_int_equal(m->tsi.ts[0].eport, 65535);
	assert_int_equal(ike_msg_notify(m, IKE_N_REKEY_SA)->f.spi.len, 4);
	assert_int_equal(ike_msg_find(m, IKE_PL_DELETE, NULL)->f.u16a, 1);
	/* overflow is reported, never written past */
	ike_bld_init(&b, buf, 40, &h);
	ike_bld_id(&b, IKE_PL_IDR, IKE_ID_FQDN, "vpn.example.test", 16);
	assert_int_equal(ike_bld_finish(&b), 0);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_all),
		cmocka_unit_test(test_init_fields),
		cmocka_unit_test(test_auth_decrypt_real),
		cmocka_unit_test(test_aead_decrypt_real),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_build_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
