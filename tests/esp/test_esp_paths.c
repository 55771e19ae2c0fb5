/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The ESP engine's packet paths: round trips over every algorithm and encapsulation, an
 * independent check of what esp_outbound_burst() emits (OpenSSL), anti-replay and ESN
 * through the full path, trailer and header edge cases, and SA validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <rte_ip.h>

#include "esp_tu.h"
#include "dataplane/esp/esp_priv.h" /* esp_job_order() */
#include "dataplane/esp/esp_test.h"

#define BUF 2048

static int setup(void **state)
{
	(void)state;
	tu_init();
	return 0;
}

struct alg {
	uint8_t cipher, integ;
};

/* Every pairing esp_sa_init() accepts. */
static const struct alg algs[] = {
	{ RP_CIPHER_NULL, RP_INTEG_HMAC_SHA1_96 },
	{ RP_CIPHER_NULL, RP_INTEG_HMAC_SHA256_128 },
	{ RP_CIPHER_NULL, RP_INTEG_HMAC_SHA384_192 },
	{ RP_CIPHER_NULL, RP_INTEG_HMAC_SHA512_256 },
	{ RP_CIPHER_AES_CBC_128, RP_INTEG_HMAC_SHA1_96 },
	{ RP_CIPHER_AES_CBC_128, RP_INTEG_HMAC_SHA256_128 },
	{ RP_CIPHER_AES_CBC_128, RP_INTEG_HMAC_SHA384_192 },
	{ RP_CIPHER_AES_CBC_128, RP_INTEG_HMAC_SHA512_256 },
	{ RP_CIPHER_AES_CBC_256, RP_INTEG_HMAC_SHA1_96 },
	{ RP_CIPHER_AES_CBC_256, RP_INTEG_HMAC_SHA256_128 },
	{ RP_CIPHER_AES_CBC_256, RP_INTEG_HMAC_SHA384_192 },
	{ RP_CIPHER_AES_CBC_256, RP_INTEG_HMAC_SHA512_256 },
	{ RP_CIPHER_AES_GCM_128, RP_INTEG_NONE },
	{ RP_CIPHER_AES_GCM_256, RP_INTEG_NONE },
	{ RP_CIPHER_CHACHA20_POLY1305, RP_INTEG_NONE },
};
#define N_ALGS (sizeof(algs) / sizeof(algs[0]))

struct pair {
	struct rp_msg_sa m;
	struct esp_sa *out, *in;
};

static void pair_make(struct pair *p, const struct alg *a, uint8_t outer_af, uint16_t flags,
		      uint32_t seed)
{
	tu_msg_sa(&p->m, RP_DIR_OUT, outer_af, a->cipher, a->integ, flags, seed);
	p->out = tu_sa(&p->m);
	p->m.dir = RP_DIR_IN;
	p->in = tu_sa(&p->m);
	p->m.dir = RP_DIR_OUT;
}

static void pair_free(struct pair *p)
{
	tu_sa_free(p->out);
	tu_sa_free(p->in);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Check what the outbound path built around the ESP payload. */
static void check_outer(const struct esp_sa *sa, const struct rte_mbuf *m, const uint8_t *inner,
			uint8_t inner_af, uint64_t seq)
{
	const uint8_t *o = rte_pktmbuf_mtod(m, const uint8_t *);
	bool v6 = sa->flags & ESP_SAF_OUTER_V6, natt = sa->flags & ESP_SAF_NATT;
	uint32_t ipl = v6 ? 40 : 20, len = m->data_len;
	uint8_t tos = inner_af == 4 ? inner[1] : (uint8_t)(be16(inner) >> 4);
	const uint8_t *esp = o + ipl + (natt ? 8 : 0);
	uint32_t ct = len - sa->hdr_len - sa->icv_len;

	if (!v6) {
		assert_int_equal(o[0], 0x45);
		assert_int_equal(o[1], tos);
		assert_int_equal(be16(o + 2), len);
		assert_int_equal(o[6] & 0x40, inner_af == 4 ? (inner[6] & 0x40) : 0);
		assert_int_equal(be16(o + 6) & 0x3fff, 0);
		assert_int_equal(o[8], 64);
		assert_int_equal(o[9], natt ? 17 : 50);
		assert_int_equal(rte_raw_cksum(o, 20), 0xffff);
	} else {
		assert_int_equal(o[0] >> 4, 6);
		assert_int_equal((uint8_t)(be16(o) >> 4), tos);
		assert_int_equal(be16(o + 4), len - 40);
		assert_int_equal(o[6], natt ? 17 : 50);
		assert_int_equal(o[7], 64);
	}
	if (natt) {
		assert_int_equal(be16(o + ipl), 4500);
		assert_int_equal(be16(o + ipl + 2), 4501);
		assert_int_equal(be16(o + ipl + 4), len - ipl);
		if (!v6) {
			assert_int_equal(be16(o + ipl + 6), 0);
		} else {
			/* IPv6 UDP checksum: pseudo header + UDP must sum to 0xffff. */
			uint32_t s = rte_raw_cksum(o + 8, 32) + rte_raw_cksum(o + 40, len - 40) +
				     rte_cpu_to_be_16((uint16_t)(len - 40)) + rte_cpu_to_be_16(17);

			s = (s & 0xffff) + (s >> 16);
			s = (s & 0xffff) + (s >> 16);
			assert_int_equal(s, 0xffff);
			assert_int_not_equal(be16(o + ipl + 6), 0);
		}
	}
	assert_memory_equal(esp, &sa->spi, 4);
	assert_int_equal(be32(esp + 4), (uint32_t)seq);
	assert_int_equal(ct % sa->pad_align, 0);
	assert_true(ct >= 2);
}

/* RFC 4303 round trips: every algorithm x outer family x inner family x NAT-T x ESN, for
 * every inner size from the minimal header to 1500 bytes (so every pad length). A burst
 * holds 32 sizes out of order (longest, shortest, second longest...), so where the engine
 * gives multi-buffer jobs out by length (esp_job_order()), and AES-CBC + HMAC outbound in
 * two passes, each result must still reach its own packet. */
static void test_roundtrip_all(void **state)
{
	unsigned int seed = 10;

	(void)state;
	for (size_t a = 0; a < N_ALGS; a++) {
		for (unsigned int combo = 0; combo < 16; combo++) {
			uint8_t outer_af = combo & 1 ? 6 : 4, inner_af = combo & 2 ? 6 : 4;
			uint16_t flags = (uint16_t)((combo & 4 ? RP_SAF_NATT : 0) |
						    (combo & 8 ? RP_SAF_ESN : 0));
			size_t minl = inner_af == 4 ? 20 : 40;
			struct pair p;
			uint64_t seq = 0, bytes = 0;

			pair_make(&p, &algs[a], outer_af, flags, seed++);
			if (flags & RP_SAF_ESN) /* cross 2^32 on the way */
				p.out->seq = (1ull << 32) - 300;
			seq = p.out->seq;
			for (size_t base = minl; base <= 1500; base += 32) {
				static uint8_t inner[32][BUF];
				struct rte_mbuf *pk[32], *dr[32];
				struct esp_sa *sas[32];
				uint8_t rs[32];
				size_t len[32], cnt = base + 32 <= 1501 ? 32 : 1501 - base;
				uint16_t nd, n = 0, ng;

				for (; n < cnt; n++) {
					size_t l = base + ((n & 1) ? n / 2 : cnt - 1 - n / 2);

					len[n] = l;
					tu_inner(inner[n], inner_af, l, (uint32_t)(l + seed));
					pk[n] = tu_mbuf(inner[n], l);
					sas[n] = p.out;
				}
				ng = esp_outbound_burst(tu_mgr, pk, sas, n, dr, rs, &nd);
				assert_int_equal(ng, n);
				for (uint16_t i = 0; i < n; i++) {
					check_outer(p.out, pk[i], inner[i], inner_af, ++seq);
					sas[i] = p.in;
				}
				ng = esp_inbound_burst(tu_mgr, pk, sas, n, dr, rs, &nd);
				if (ng != n)
					fail_msg("alg %zu combo %u len %zu: dropped, reason %s", a,
						 combo, base, esp_drop_name(rs[0]));
				for (uint16_t i = 0; i < n; i++) {
					assert_int_equal(pk[i]->data_len, len[i]);
					assert_memory_equal(rte_pktmbuf_mtod(pk[i], uint8_t *),
							    inner[i], len[i]);
					assert_int_equal(pk[i]->packet_type, inner_af == 4 ?
							 RTE_PTYPE_L3_IPV4 : RTE_PTYPE_L3_IPV6);
					bytes += len[i];
					rte_pktmbuf_free(pk[i]);
				}
			}
			assert_true(p.in->replay.top == seq);
			assert_true(p.out->ctr.packets == p.in->ctr.packets);
			assert_true(p.in->ctr.bytes == bytes && p.out->ctr.bytes == bytes);
			pair_free(&p);
		}
	}
}

/* ---- independent check of the outbound bytes with OpenSSL ---------------------------- */

static const EVP_MD *md_of(uint8_t integ)
{
	switch (integ) {
	case RP_INTEG_HMAC_SHA1_96:
		return EVP_sha1();
	case RP_INTEG_HMAC_SHA256_128:
		return EVP_sha256();
	case RP_INTEG_HMAC_SHA384_192:
		return EVP_sha384();
	default:
		return EVP_sha512();
	}
}

static const EVP_CIPHER *cipher_of(uint8_t c)
{
	switch (c) {
	case RP_CIPHER_AES_CBC_128:
		return EVP_aes_128_cbc();
	case RP_CIPHER_AES_CBC_256:
		return EVP_aes_256_cbc();
	case RP_CIPHER_AES_GCM_128:
		return EVP_aes_128_gcm();
	case RP_CIPHER_AES_GCM_256:
		return EVP_aes_256_gcm();
	case RP_CIPHER_CHACHA20_POLY1305:
		return EVP_chacha20_poly1305();
	default:
		return NULL;
	}
}

/* Decrypt/verify one outbound ESP packet with OpenSSL; returns the plaintext length. */
static int ossl_open(const struct rp_msg_sa *m, const uint8_t *esp, size_t esp_len,
		     uint64_t seq, uint8_t *plain)
{
	bool aead = m->integ == RP_INTEG_NONE, esn = m->flags & RP_SAF_ESN;
	size_t iv = m->cipher == RP_CIPHER_NULL ? 0 : aead ? 8 : 16;
	size_t icv = aead ? 16 : (size_t)rp_integ_icv_len(m->integ);
	size_t ct = esp_len - 8 - iv - icv;
	EVP_CIPHER_CTX *c;
	int outl = 0, fin = 0;

	if (!aead) {
		uint8_t buf[BUF + 8], mac[EVP_MAX_MD_SIZE];
		unsigned int ml = 0;

		memcpy(buf, esp, esp_len - icv);
		if (esn) { /* RFC 4303 section 2.2.1 */
			buf[esp_len - icv] = (uint8_t)(seq >> 56);
			buf[esp_len - icv + 1] = (uint8_t)(seq >> 48);
			buf[esp_len - icv + 2] = (uint8_t)(seq >> 40);
			buf[esp_len - icv + 3] = (uint8_t)(seq >> 32);
		}
		HMAC(md_of(m->integ), m->auth_key, m->auth_key_len, buf,
		     esp_len - icv + (esn ? 4 : 0), mac, &ml);
		if (memcmp(mac, esp + esp_len - icv, icv) != 0)
			return -1;
		if (m->cipher == RP_CIPHER_NULL) {
			memcpy(plain, esp + 8, ct);
			return (int)ct;
		}
	}
	c = EVP_CIPHER_CTX_new();
	if (aead) {
		uint8_t nonce[12], aad[12];
		size_t al = esn ? 12 : 8;

		memcpy(nonce, m->salt, 4);
		memcpy(nonce + 4, esp + 8, 8);
		memcpy(aad, esp, 4);
		if (esn) {
			for (int i = 0; i < 8; i++)
				aad[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
		} else {
			memcpy(aad + 4, esp + 4, 4);
		}
		EVP_DecryptInit_ex(c, cipher_of(m->cipher), NULL, NULL, NULL);
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL);
		EVP_DecryptInit_ex(c, NULL, NULL, m->enc_key, nonce);
		EVP_DecryptUpdate(c, NULL, &outl, aad, (int)al);
		EVP_DecryptUpdate(c, plain, &outl, esp + 16, (int)ct);
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(esp + 16 + ct));
	} else {
		EVP_DecryptInit_ex(c, cipher_of(m->cipher), NULL, m->enc_key, esp + 8);
		EVP_CIPHER_CTX_set_padding(c, 0);
		EVP_DecryptUpdate(c, plain, &outl, esp + 8 + iv, (int)ct);
	}
	if (EVP_DecryptFinal_ex(c, plain + outl, &fin) != 1)
		outl = -1 - fin;
	EVP_CIPHER_CTX_free(c);
	return outl < 0 ? -1 : outl + fin;
}

static void test_outbound_vs_openssl(void **state)
{
	(void)state;
	for (size_t a = 0; a < N_ALGS; a++) {
		for (int esn = 0; esn < 2; esn++) {
			struct pair p;

			pair_make(&p, &algs[a], 4, esn ? RP_SAF_ESN : 0, 500 + (uint32_t)a);
			if (esn)
				p.out->seq = 0x1234567800000000ull - 2;
			for (size_t l = 20; l < 200; l += 7) {
				uint8_t inner[BUF], plain[BUF];
				struct rte_mbuf *mb;
				uint64_t seq = p.out->seq + 1;
				int pl;

				tu_inner(inner, 4, l, (uint32_t)l);
				mb = tu_mbuf(inner, l);
				assert_int_equal(tu_out1(p.out, mb), -1);
				pl = ossl_open(&p.m, rte_pktmbuf_mtod(mb, uint8_t *) + 20,
					       mb->data_len - 20u, seq, plain);
				if (pl < 0)
					fail_msg("%s/%s esn %d len %zu: OpenSSL rejects the packet",
						 rp_cipher_name(algs[a].cipher),
						 rp_integ_name(algs[a].integ), esn, l);
				/* plaintext = inner || 1, 2, ... || pad length || 4 */
				uint8_t pad = plain[pl - 2];

				assert_int_equal(plain[pl - 1], 4);
				assert_int_equal((size_t)pl, l + pad + 2u);
				assert_memory_equal(plain, inner, l);
				for (unsigned int k = 0; k < pad; k++)
					assert_int_equal(plain[l + k], k + 1);
				/* Minimal padding: never a whole extra block. */
				assert_true(pad < p.out->pad_align);
				rte_pktmbuf_free(mb);
			}
			pair_free(&p);
		}
	}
}

/* CBC IVs differ packet to packet and are not the sequence number. */
static void test_cbc_iv_unpredictable(void **state)
{
	static const struct alg a = { RP_CIPHER_AES_CBC_128, RP_INTEG_HMAC_SHA256_128 };
	uint8_t ivs[64][16], inner[BUF];
	struct pair p, q;

	(void)state;
	pair_make(&p, &a, 4, 0, 7);
	pair_make(&q, &a, 4, 0, 7); /* same keys, new random IV key */
	tu_inner(inner, 4, 100, 1);
	for (int i = 0; i < 64; i++) {
		struct rte_mbuf *mb = tu_mbuf(inner, 100);

		assert_int_equal(tu_out1(p.out, mb), -1);
		memcpy(ivs[i], rte_pktmbuf_mtod(mb, uint8_t *) + 28, 16);
		for (int j = 0; j < i; j++)
			assert_memory_not_equal(ivs[i], ivs[j], 16);
		rte_pktmbuf_free(mb);
	}
	struct rte_mbuf *mb = tu_mbuf(inner, 100);

	assert_int_equal(tu_out1(q.out, mb), -1); /* seq 1 under another IV key */
	assert_memory_not_equal(ivs[0], rte_pktmbuf_mtod(mb, uint8_t *) + 28, 16);
	rte_pktmbuf_free(mb);
	pair_free(&p);
	pair_free(&q);
}

/* ---- anti-replay and ESN through the whole path -------------------------------------- */

static struct rte_mbuf *enc(struct esp_sa *out, size_t len, uint8_t *wire, size_t *wl)
{
	uint8_t inner[BUF];
	struct rte_mbuf *mb;

	tu_inner(inner, 4, len, (uint32_t)len);
	mb = tu_mbuf(inner, len);
	assert_int_equal(tu_out1(out, mb), -1);
	if (wire) {
		*wl = mb->data_len;
		memcpy(wire, rte_pktmbuf_mtod(mb, uint8_t *), *wl);
	}
	return mb;
}

static void test_replay_paths(void **state)
{
	(void)state;
	for (size_t a = 0; a < N_ALGS; a += 4) {
		uint8_t w1[BUF], w5[BUF], wf[BUF];
		size_t l1, l5, lf;
		struct pair p;
		struct rte_mbuf *mb;

		pair_make(&p, &algs[a], 4, 0, 40);
		mb = enc(p.out, 80, w1, &l1);                    /* seq 1 */
		assert_int_equal(tu_in1(p.in, mb), -1);
		rte_pktmbuf_free(mb);
		mb = tu_mbuf(w1, l1);                            /* replayed */
		assert_int_equal(tu_in1(p.in, mb), ESP_DROP_REPLAY_DUPLICATE);
		rte_pktmbuf_free(mb);
		for (int i = 2; i <= 4; i++)
			rte_pktmbuf_free(enc(p.out, 80, NULL, NULL)); /* 2..4 lost */
		rte_pktmbuf_free(enc(p.out, 80, w5, &l5));       /* seq 5, held back */
		p.out->seq = 1000 - 1;
		rte_pktmbuf_free(enc(p.out, 80, wf, &lf));       /* seq 1000 */

		/* Forged seq 1000 (one ciphertext bit): refused, window unmoved, so seq 5,
		 * 128 below the real top, is still accepted. */
		wf[lf - p.out->icv_len - 1] ^= 0x80;
		mb = tu_mbuf(wf, lf);
		assert_int_equal(tu_in1(p.in, mb), ESP_DROP_AUTH_FAILED);
		assert_true(p.in->replay.top == 1);
		rte_pktmbuf_free(mb);
		wf[lf - p.out->icv_len - 1] ^= 0x80;
		mb = tu_mbuf(w5, l5);
		assert_int_equal(tu_in1(p.in, mb), -1);
		rte_pktmbuf_free(mb);
		mb = tu_mbuf(wf, lf);                            /* genuine 1000 */
		assert_int_equal(tu_in1(p.in, mb), -1);
		rte_pktmbuf_free(mb);
		mb = tu_mbuf(w5, l5);                            /* now left of the window */
		assert_int_equal(tu_in1(p.in, mb), ESP_DROP_REPLAY_TOO_OLD);
		rte_pktmbuf_free(mb);

		/* Two copies in one burst: the second is a duplicate. */
		{
			struct rte_mbuf *pk[2], *dr[2];
			struct esp_sa *sas[2] = { p.in, p.in };
			uint8_t w[BUF], rs[2];
			size_t wl;
			uint16_t nd;

			rte_pktmbuf_free(enc(p.out, 100, w, &wl));
			pk[0] = tu_mbuf(w, wl);
			pk[1] = tu_mbuf(w, wl);
			assert_int_equal(esp_inbound_burst(tu_mgr, pk, sas, 2, dr, rs, &nd), 1);
			assert_int_equal(nd, 1);
			assert_int_equal(rs[0], ESP_DROP_REPLAY_DUPLICATE);
			rte_pktmbuf_free(pk[0]);
			rte_pktmbuf_free(dr[0]);
		}
		/* Sequence number 0 is refused before any crypto. */
		mb = enc(p.out, 60, NULL, NULL);
		memset(rte_pktmbuf_mtod(mb, uint8_t *) + 24, 0, 4);
		assert_int_equal(tu_in1(p.in, mb), ESP_DROP_SEQ_ZERO);
		rte_pktmbuf_free(mb);
		assert_true(p.in->ctr.drops[ESP_DROP_AUTH_FAILED] == 1);
		assert_true(p.in->ctr.drops[ESP_DROP_REPLAY_DUPLICATE] == 2);
		pair_free(&p);
	}
}

static void test_esn_wrap(void **state)
{
	(void)state;
	for (size_t a = 0; a < N_ALGS; a++) {
		uint8_t w[8][BUF];
		size_t wl[8];
		struct pair p;
		struct rte_mbuf *mb;

		pair_make(&p, &algs[a], 4, RP_SAF_ESN, 60);
		p.out->seq = (1ull << 32) - 5;
		/* The receiver has seen the SA's earlier packets (a fresh window places a
		 * number just below 2^32 in the subspace before the first, RFC 4303 A2.2). */
		esp_replay_update(&p.in->replay, (1ull << 32) - 20);
		for (int i = 0; i < 8; i++) /* (2^32 - 4) .. (2^32 + 3) */
			rte_pktmbuf_free(enc(p.out, 64, w[i], &wl[i]));
		/* Wire carries the low half only: 2^32 goes out as 0. */
		assert_int_equal(be32(w[4] + 24), 0);
		/* Deliver out of order across the wrap: 0,1,2,5,6,7, then the late 3 and 4. */
		static const int order[] = { 0, 1, 2, 5, 6, 7, 3, 4 };

		for (int k = 0; k < 8; k++) {
			mb = tu_mbuf(w[order[k]], wl[order[k]]);
			assert_int_equal(tu_in1(p.in, mb), -1);
			rte_pktmbuf_free(mb);
		}
		assert_true(p.in->replay.top == (1ull << 32) + 3);
		mb = tu_mbuf(w[6], wl[6]);
		assert_int_equal(tu_in1(p.in, mb), ESP_DROP_REPLAY_DUPLICATE);
		rte_pktmbuf_free(mb);
		/* A receiver that wrongly assumes the old high half fails authentication:
		 * the high bits are really in the ICV/AAD. */
		struct esp_sa *late = tu_sa_new();

		memcpy(late, p.in, sizeof(*late));
		esp_replay_init(&late->replay, 128);
		esp_replay_update(&late->replay, 100);
		mb = tu_mbuf(w[7], wl[7]);
		assert_int_equal(tu_in1(late, mb), ESP_DROP_AUTH_FAILED);
		rte_pktmbuf_free(mb);
		tu_sa_free(late);
		pair_free(&p);
	}
}

/* Without anti-replay (RP_SAF_NO_REPLAY): duplicates and old numbers pass, a forged packet
 * still fails and moves nothing, and ESN inference still follows the highest number seen
 * (only that moves: the bitmap is left alone). */
static void test_no_replay(void **state)
{
	(void)state;
	for (size_t a = 0; a < N_ALGS; a++) {
		uint8_t w[6][BUF];
		size_t wl[6];
		struct pair p;
		struct rte_mbuf *mb;

		pair_make(&p, &algs[a], 4, RP_SAF_ESN | RP_SAF_NO_REPLAY, 70);
		assert_true(p.in->flags & ESP_SAF_NO_REPLAY);
		p.out->seq = (1ull << 32) - 4;
		esp_replay_advance(&p.in->replay, (1ull << 32) - 10);
		for (int i = 0; i < 6; i++) /* (2^32 - 3) .. (2^32 + 2) */
			rte_pktmbuf_free(enc(p.out, 64, w[i], &wl[i]));
		/* 0, 0 again, 4 (past the wrap), 1 (before it), 5, 4 again */
		static const int order[] = { 0, 0, 4, 1, 5, 4 };

		for (int k = 0; k < 6; k++) {
			mb = tu_mbuf(w[order[k]], wl[order[k]]);
			assert_int_equal(tu_in1(p.in, mb), -1);
			rte_pktmbuf_free(mb);
		}
		assert_true(p.in->replay.top == (1ull << 32) + 2);
		/* forged: refused, nothing moves */
		rte_pktmbuf_free(enc(p.out, 64, w[0], &wl[0]));      /* 2^32 + 3 */
		w[0][wl[0] - p.out->icv_len - 1] ^= 0x80;
		mb = tu_mbuf(w[0], wl[0]);
		assert_int_equal(tu_in1(p.in, mb), ESP_DROP_AUTH_FAILED);
		rte_pktmbuf_free(mb);
		assert_true(p.in->replay.top == (1ull << 32) + 2);
		for (unsigned int i = 0; i <= p.in->replay.words_mask; i++)
			assert_true(p.in->replay.bitmap[i] == 0);
		assert_true(p.in->ctr.packets == 6);
		pair_free(&p);
	}
}

static void test_seq_overflow_without_esn(void **state)
{
	struct pair p;
	struct rte_mbuf *mb;

	(void)state;
	pair_make(&p, &algs[13], 4, 0, 70);
	p.out->seq = UINT32_MAX - 1;
	mb = enc(p.out, 64, NULL, NULL); /* 2^32 - 1: the last one */
	assert_int_equal(be32(rte_pktmbuf_mtod(mb, uint8_t *) + 24), UINT32_MAX);
	rte_pktmbuf_free(mb);
	uint8_t inner[BUF];

	tu_inner(inner, 4, 64, 1);
	mb = tu_mbuf(inner, 64);
	assert_int_equal(tu_out1(p.out, mb), ESP_DROP_SEQ_OVERFLOW);
	assert_true(p.out->seq == UINT32_MAX);
	assert_int_equal(mb->data_len, 64); /* untouched */
	rte_pktmbuf_free(mb);
	assert_true(p.out->ctr.drops[ESP_DROP_SEQ_OVERFLOW] == 1);
	pair_free(&p);
}

/* ---- trailers and inner headers: authentic packets with crafted plaintext ------------ */

/* plaintext = payload (plen) || 1..npad (with byte @corrupt changed, if >= 0) || padlen_field
 * || nh, sealed with the raw-payload hook and fed to the inbound SA. */
static int craft(struct pair *p, const uint8_t *payload, size_t plen, unsigned int npad,
		 int corrupt, unsigned int padlen_field, uint8_t nh, struct rte_mbuf **res)
{
	uint8_t pt[BUF];
	size_t n = 0;
	struct rte_mbuf *mb;
	int r;

	memcpy(pt, payload, plen);
	n = plen;
	for (unsigned int k = 0; k < npad; k++)
		pt[n++] = (uint8_t)(k + 1);
	if (corrupt >= 0)
		pt[plen + (size_t)corrupt] ^= 0x10;
	pt[n++] = (uint8_t)padlen_field;
	pt[n++] = nh;
	assert_int_equal(n % p->out->pad_align, 0);
	esp_test_hooks.raw_payload = true;
	mb = tu_mbuf(pt, n);
	r = tu_out1(p->out, mb);
	esp_test_hooks.raw_payload = false;
	assert_int_equal(r, -1);
	r = tu_in1(p->in, mb);
	if (res)
		*res = mb;
	else
		rte_pktmbuf_free(mb);
	return r;
}

/* Pad count that aligns plen + pad + 2 for this SA. */
static unsigned int npad_for(const struct pair *p, size_t plen)
{
	unsigned int al = p->out->pad_align;

	return (unsigned int)((al - (plen + 2) % al) % al);
}

static void test_trailer_edges(void **state)
{
	static const size_t which[] = { 1, 5, 12, 14 }; /* NULL, CBC, GCM, ChaCha */

	(void)state;
	for (size_t w = 0; w < sizeof(which) / sizeof(which[0]); w++) {
		uint8_t v4[BUF], v6[BUF], big[BUF];
		struct rte_mbuf *mb;
		struct pair p;
		unsigned int np;

		pair_make(&p, &algs[which[w]], 4, 0, 80);
		tu_inner(v4, 4, 60, 3);
		tu_inner(v6, 6, 72, 4);
		np = npad_for(&p, 60);

		assert_int_equal(craft(&p, v4, 60, np, -1, np, 4, &mb), -1);
		assert_int_equal(mb->data_len, 60);
		rte_pktmbuf_free(mb);
		/* Pad length beyond the payload. */
		assert_int_equal(craft(&p, v4, 60, np, -1, 250, 4, NULL), ESP_DROP_BAD_PAD_LENGTH);
		/* Pad length claiming everything up to the trailer is fine as a length, but
		 * the "padding" is then the inner packet: not 1, 2, 3... */
		assert_int_equal(craft(&p, v4, 60, np, -1, 60 + np, 4, NULL), ESP_DROP_BAD_PADDING);
		if (np >= 2) /* wrong pad byte */
			assert_int_equal(craft(&p, v4, 60, np, 1, np, 4, NULL), ESP_DROP_BAD_PADDING);
		else
			assert_int_equal(craft(&p, v4, 56, np + 4, 2, np + 4, 4, NULL),
					 ESP_DROP_BAD_PADDING);
		/* Next header values. */
		assert_int_equal(craft(&p, v4, 60, np, -1, np, 59, NULL), ESP_DROP_DUMMY_PACKET);
		assert_int_equal(craft(&p, v4, 60, np, -1, np, 17, NULL), ESP_DROP_BAD_NEXT_HEADER);
		assert_int_equal(craft(&p, v4, 60, np, -1, np, 0, NULL), ESP_DROP_BAD_NEXT_HEADER);
		assert_int_equal(craft(&p, v4, 60, np, -1, np, 41, NULL), ESP_DROP_INNER_MALFORMED);
		assert_int_equal(craft(&p, v6, 72, npad_for(&p, 72), -1, npad_for(&p, 72), 41, &mb),
				 -1);
		assert_int_equal(mb->data_len, 72);
		rte_pktmbuf_free(mb);
		assert_int_equal(craft(&p, v6, 72, npad_for(&p, 72), -1, npad_for(&p, 72), 4, NULL),
				 ESP_DROP_INNER_MALFORMED);
		/* TFC padding (RFC 4303 section 2.7) after the inner packet is trimmed. */
		memcpy(big, v4, 60);
		memset(big + 60, 0, 40);
		assert_int_equal(craft(&p, big, 100, npad_for(&p, 100), -1, npad_for(&p, 100), 4,
				       &mb), -1);
		assert_int_equal(mb->data_len, 60);
		assert_memory_equal(rte_pktmbuf_mtod(mb, uint8_t *), v4, 60);
		rte_pktmbuf_free(mb);
		/* Inner total length larger than what was decrypted. */
		memcpy(big, v4, 60);
		big[2] = 0, big[3] = 61;
		assert_int_equal(craft(&p, big, 60, np, -1, np, 4, NULL), ESP_DROP_INNER_MALFORMED);
		/* Inner header shorter than the minimum / bad IHL. */
		assert_int_equal(craft(&p, v4, 16, npad_for(&p, 16), -1, npad_for(&p, 16), 4, NULL),
				 ESP_DROP_INNER_MALFORMED);
		memcpy(big, v4, 60);
		big[0] = 0x44;
		assert_int_equal(craft(&p, big, 60, np, -1, np, 4, NULL), ESP_DROP_INNER_MALFORMED);
		/* Inner source outside the traffic selectors (10.0.0.0/8, fd00::/8). */
		memcpy(big, v4, 60);
		big[12] = 192;
		assert_int_equal(craft(&p, big, 60, np, -1, np, 4, NULL), ESP_DROP_TS_MISMATCH);
		memcpy(big, v6, 72);
		big[8] = 0xfe;
		assert_int_equal(craft(&p, big, 72, npad_for(&p, 72), -1, npad_for(&p, 72), 41,
				       NULL), ESP_DROP_TS_MISMATCH);
		/* An authentic but malformed packet still counts for the window. */
		assert_true(p.in->replay.top == p.out->seq);
		pair_free(&p);
	}
}

/* ---- outbound refusals, burst compaction, lifetimes ---------------------------------- */

static void test_outbound_errors(void **state)
{
	struct pair p;
	uint8_t inner[BUF];
	struct rte_mbuf *mb, *m2;

	(void)state;
	pair_make(&p, &algs[5], 6, RP_SAF_NATT, 90);
	tu_inner(inner, 4, 100, 1);

	mb = rte_pktmbuf_alloc(tu_pool); /* no headroom */
	mb->data_off = 0;
	memcpy(rte_pktmbuf_append(mb, 100), inner, 100);
	assert_int_equal(tu_out1(p.out, mb), ESP_DROP_NO_HEADROOM);
	rte_pktmbuf_free(mb);
	mb = rte_pktmbuf_alloc(tu_pool); /* no tailroom */
	size_t room = rte_pktmbuf_tailroom(mb);

	tu_inner(inner, 4, room, 2);
	memcpy(rte_pktmbuf_append(mb, (uint16_t)room), inner, room);
	assert_int_equal(tu_out1(p.out, mb), ESP_DROP_NO_TAILROOM);
	rte_pktmbuf_free(mb);
	tu_inner(inner, 4, 100, 1);
	mb = tu_mbuf(inner, 60); /* chained */
	m2 = tu_mbuf(inner + 60, 40);
	assert_int_equal(rte_pktmbuf_chain(mb, m2), 0);
	assert_int_equal(tu_out1(p.out, mb), ESP_DROP_SEGMENTED);
	rte_pktmbuf_free(mb);
	inner[0] = 0x55; /* version 5 */
	mb = tu_mbuf(inner, 100);
	assert_int_equal(tu_out1(p.out, mb), ESP_DROP_INNER_MALFORMED);
	rte_pktmbuf_free(mb);
	tu_inner(inner, 4, 100, 1);
	mb = tu_mbuf(inner, 90); /* total length 100 > 90 bytes present */
	assert_int_equal(tu_out1(p.out, mb), ESP_DROP_INNER_MALFORMED);
	rte_pktmbuf_free(mb);
	mb = tu_mbuf(inner, 12);
	assert_int_equal(tu_out1(p.out, mb), ESP_DROP_INNER_MALFORMED);
	rte_pktmbuf_free(mb);
	assert_true(p.out->seq == 0); /* none of these took a sequence number */

	/* Ethernet minimum-frame padding behind a 28-byte packet is not encrypted. */
	tu_inner(inner, 4, 28, 5);
	memset(inner + 28, 0xee, 18);
	mb = tu_mbuf(inner, 46);
	assert_int_equal(tu_out1(p.out, mb), -1);
	assert_int_equal(tu_in1(p.in, mb), -1);
	assert_int_equal(mb->data_len, 28);
	rte_pktmbuf_free(mb);

	/* A mixed burst keeps the good packets in order, with their SAs. */
	{
		struct pair q;
		struct rte_mbuf *pk[6], *dr[6];
		struct esp_sa *sas[6];
		uint8_t rs[6];
		uint16_t nd, ng;

		pair_make(&q, &algs[12], 4, 0, 91);
		for (int i = 0; i < 6; i++) {
			tu_inner(inner, 4, 50 + (size_t)i, (uint32_t)i);
			if (i == 1 || i == 4)
				inner[0] = 0x75;
			pk[i] = tu_mbuf(inner, 50 + (size_t)i);
			sas[i] = i % 2 ? q.out : p.out;
		}
		ng = esp_outbound_burst(tu_mgr, pk, sas, 6, dr, rs, &nd);
		assert_int_equal(ng, 4);
		assert_int_equal(nd, 2);
		assert_int_equal(rs[0], ESP_DROP_INNER_MALFORMED);
		assert_int_equal(rs[1], ESP_DROP_INNER_MALFORMED);
		assert_int_equal(dr[0]->data_len, 51);
		assert_int_equal(dr[1]->data_len, 54);
		static const int want[] = { 0, 2, 3, 5 };

		for (int i = 0; i < 4; i++) {
			struct esp_sa *in = sas[i] == q.out ? q.in : p.in;

			assert_ptr_equal(sas[i], want[i] % 2 ? q.out : p.out);
			sas[i] = in;
		}
		ng = esp_inbound_burst(tu_mgr, pk, sas, 4, dr + 2, rs, &nd);
		assert_int_equal(ng, 4);
		for (int i = 0; i < 4; i++) {
			assert_int_equal(pk[i]->data_len, 50 + want[i]);
			rte_pktmbuf_free(pk[i]);
		}
		rte_pktmbuf_free(dr[0]);
		rte_pktmbuf_free(dr[1]);
		pair_free(&q);
	}

	/* Hard packet lifetime. */
	p.out->hard_packets = p.out->ctr.packets + 2;
	for (int i = 0; i < 3; i++) {
		tu_inner(inner, 4, 64, 1);
		mb = tu_mbuf(inner, 64);
		assert_int_equal(tu_out1(p.out, mb), i < 2 ? -1 : ESP_DROP_SA_HARD_LIMIT);
		rte_pktmbuf_free(mb);
	}
	pair_free(&p);

	/* Hard limits hold exactly within one burst of one SA, both ways (the counters move
	 * only when a packet is finished, after the whole burst passed the first check). */
	pair_make(&p, &algs[12], 4, 0, 203);
	{
		struct rte_mbuf *pk[5], *dr[5];
		struct esp_sa *sas[5];
		uint8_t rs[5];
		uint16_t ng, nd = 0;

		p.out->hard_packets = p.out->ctr.packets + 2;
		p.in->hard_packets = p.in->ctr.packets + 3;
		for (int i = 0; i < 5; i++) {
			tu_inner(inner, 4, 64, 1);
			pk[i] = tu_mbuf(inner, 64);
			sas[i] = p.out;
		}
		ng = esp_outbound_burst(tu_mgr, pk, sas, 5, dr, rs, &nd);
		assert_int_equal(ng, 2);
		assert_int_equal(nd, 3);
		for (int i = 0; i < 3; i++) {
			assert_int_equal(rs[i], ESP_DROP_SA_HARD_LIMIT);
			rte_pktmbuf_free(dr[i]);
		}
		assert_int_equal(p.out->ctr.packets, p.out->hard_packets);
		p.out->hard_packets = UINT64_MAX;
		for (int i = 2; i < 5; i++) {
			tu_inner(inner, 4, 64, 1);
			pk[i] = tu_mbuf(inner, 64);
			sas[i] = p.out;
		}
		nd = 0;
		assert_int_equal(esp_outbound_burst(tu_mgr, pk + 2, sas + 2, 3, dr, rs, &nd), 3);
		for (int i = 0; i < 5; i++)
			sas[i] = p.in;
		nd = 0;
		ng = esp_inbound_burst(tu_mgr, pk, sas, 5, dr, rs, &nd);
		assert_int_equal(ng, 3);
		assert_int_equal(nd, 2);
		assert_int_equal(rs[0], ESP_DROP_SA_HARD_LIMIT);
		assert_int_equal(rs[1], ESP_DROP_SA_HARD_LIMIT);
		assert_int_equal(p.in->ctr.packets, p.in->hard_packets);
		for (int i = 0; i < 3; i++)
			rte_pktmbuf_free(pk[i]);
		rte_pktmbuf_free(dr[0]);
		rte_pktmbuf_free(dr[1]);
	}
	pair_free(&p);
}

/* ---- inbound outer header checks ------------------------------------------------------ */

static void test_inbound_outer_errors(void **state)
{
	struct pair p, n, c;
	uint8_t w[BUF], e[BUF];
	size_t wl, el;
	struct rte_mbuf *mb;

	(void)state;
	pair_make(&p, &algs[12], 4, 0, 100);             /* GCM, IPv4, plain ESP */
	pair_make(&n, &algs[12], 4, RP_SAF_NATT, 101);   /* GCM, IPv4, NAT-T */
	pair_make(&c, &algs[5], 4, 0, 102);              /* CBC + SHA-256 */

#define IN_EXPECT(sa, buf, len, want)                                                    \
	do {                                                                              \
		mb = tu_mbuf(buf, len);                                                   \
		assert_int_equal(tu_in1(sa, mb), want);                                   \
		rte_pktmbuf_free(mb);                                                     \
	} while (0)

	rte_pktmbuf_free(enc(p.out, 80, w, &wl));
	el = wl - 20;
	memcpy(e, w + 20, el);
	IN_EXPECT(n.in, w, wl, ESP_DROP_ENCAP_MISMATCH);    /* ESP on a NAT-T SA */
	wl = tu_outer(w, 4, true, e, el);
	IN_EXPECT(p.in, w, wl, ESP_DROP_ENCAP_MISMATCH);    /* UDP on a plain SA */
	wl = tu_outer(w, 6, false, e, el);
	IN_EXPECT(p.in, w, wl, ESP_DROP_ENCAP_MISMATCH);    /* IPv6 on an IPv4 SA */
	wl = tu_outer(w, 4, false, e, el);
	w[0] = 0x35;
	IN_EXPECT(p.in, w, wl, ESP_DROP_OUTER_MALFORMED);   /* version 3 */
	wl = tu_outer(w, 4, false, e, el);
	w[10] ^= 1;
	IN_EXPECT(p.in, w, wl, ESP_DROP_OUTER_BAD_CHECKSUM);
	wl = tu_outer(w, 4, false, e, el);
	w[6] = 0x20; /* MF */
	w[10] = w[11] = 0;
	{
		uint16_t ck = (uint16_t)~rte_raw_cksum(w, 20);

		memcpy(w + 10, &ck, 2);
	}
	IN_EXPECT(p.in, w, wl, ESP_DROP_OUTER_FRAGMENT);
	wl = tu_outer(w, 4, false, e, el);
	IN_EXPECT(p.in, w, wl - 1, ESP_DROP_OUTER_MALFORMED); /* total length > data */
	wl = tu_outer(w, 4, false, e, 20);                      /* too short for ESP */
	IN_EXPECT(p.in, w, wl, ESP_DROP_BAD_LENGTH);
	{
		struct pair other;

		pair_make(&other, &algs[12], 4, 0, 104); /* same algorithm, other SPI */
		wl = tu_outer(w, 4, false, e, el);
		IN_EXPECT(other.in, w, wl, ESP_DROP_SPI_MISMATCH);
		pair_free(&other);
	}
	wl = tu_outer(w, 4, true, e, el);
	w[25] ^= 1; /* UDP length */
	IN_EXPECT(n.in, w, wl, ESP_DROP_OUTER_MALFORMED);
	IN_EXPECT(p.in, w, 10, ESP_DROP_OUTER_MALFORMED);

	/* IPv6 with an extension header before ESP is not supported. */
	{
		struct pair v6;

		pair_make(&v6, &algs[12], 6, 0, 103);
		rte_pktmbuf_free(enc(v6.out, 80, w, &wl));
		w[6] = 0; /* hop-by-hop */
		IN_EXPECT(v6.in, w, wl, ESP_DROP_OUTER_MALFORMED);
		pair_free(&v6);
	}
	/* CBC ciphertext not a multiple of the block. */
	rte_pktmbuf_free(enc(c.out, 80, w, &wl));
	el = wl - 20 - 1;
	memcpy(e, w + 20, el);
	wl = tu_outer(w, 4, false, e, el);
	IN_EXPECT(c.in, w, wl, ESP_DROP_BAD_LENGTH);
	/* Link-layer padding after the outer packet is ignored. */
	rte_pktmbuf_free(enc(c.out, 80, w, &wl));
	memset(w + wl, 0, 6);
	IN_EXPECT(c.in, w, wl + 6, -1);
#undef IN_EXPECT
	pair_free(&p);
	pair_free(&n);
	pair_free(&c);
}

/* ---- SA validation --------------------------------------------------------------------- */

static int try_init(struct rp_msg_sa *m)
{
	struct esp_sa *sa = tu_sa_new();
	char err[200] = "";
	int rc = esp_sa_init(sa, m, tu_mgr, err, sizeof(err));

	if (rc) {
		static const uint8_t zero[sizeof(struct esp_sa)];

		assert_true(strlen(err) > 10);
		assert_memory_equal(sa, zero, sizeof(*sa)); /* nothing left behind */
	}
	tu_sa_free(sa);
	return rc;
}

static void test_sa_validation(void **state)
{
	struct rp_msg_sa m;

	(void)state;
	tu_msg_sa(&m, RP_DIR_IN, 4, RP_CIPHER_AES_GCM_128, RP_INTEG_NONE, 0, 1);
	assert_int_equal(try_init(&m), 0);
	m.integ = RP_INTEG_HMAC_SHA256_128;
	m.auth_key_len = 32;
	assert_int_equal(try_init(&m), -EINVAL);               /* AEAD + HMAC */
	tu_msg_sa(&m, RP_DIR_OUT, 4, RP_CIPHER_AES_CBC_128, RP_INTEG_NONE, 0, 1);
	assert_int_equal(try_init(&m), -EINVAL);               /* CBC without integrity */
	tu_msg_sa(&m, RP_DIR_OUT, 4, RP_CIPHER_NULL, RP_INTEG_NONE, 0, 1);
	esp_test_hooks.allow_cbc_without_integ = true;
	assert_int_equal(try_init(&m), -EINVAL);               /* NULL + NONE, ever */
	esp_test_hooks.allow_cbc_without_integ = false;
	tu_msg_sa(&m, RP_DIR_IN, 4, RP_CIPHER_AES_CBC_256, RP_INTEG_HMAC_SHA1_96, 0, 1);
	m.enc_key_len = 16;
	assert_int_equal(try_init(&m), -EINVAL);               /* key length */
	tu_msg_sa(&m, RP_DIR_IN, 4, RP_CIPHER_AES_GCM_256, RP_INTEG_NONE, 0, 1);
	m.salt_len = 0;
	assert_int_equal(try_init(&m), -EINVAL);               /* salt length */
	tu_msg_sa(&m, RP_DIR_IN, 4, RP_CIPHER_AES_GCM_256, RP_INTEG_NONE, 0, 1);
	m.replay_window = 100;
	assert_int_equal(try_init(&m), -EINVAL);
	m.flags = RP_SAF_NO_REPLAY;                            /* ignored then */
	assert_int_equal(try_init(&m), 0);
	tu_msg_sa(&m, RP_DIR_IN, 5, RP_CIPHER_AES_GCM_256, RP_INTEG_NONE, 0, 1);
	assert_int_equal(try_init(&m), -EINVAL);               /* outer family */
	tu_msg_sa(&m, RP_DIR_IN, 4, RP_CIPHER_AES_GCM_256, RP_INTEG_NONE, RP_SAF_NATT, 1);
	m.natt_dport = 0;
	assert_int_equal(try_init(&m), -EINVAL);
	tu_msg_sa(&m, RP_DIR_IN, 4, RP_CIPHER_CHACHA20_POLY1305, RP_INTEG_NONE, 0, 1);
	m.n_ts = 0;
	assert_int_equal(try_init(&m), -EINVAL);               /* inbound needs selectors */
	m.n_ts = 1;
	m.ts[0].plen = 33;
	assert_int_equal(try_init(&m), -EINVAL);
	tu_msg_sa(&m, 7, 4, RP_CIPHER_CHACHA20_POLY1305, RP_INTEG_NONE, 0, 1);
	assert_int_equal(try_init(&m), -EINVAL);               /* direction */
	tu_msg_sa(&m, RP_DIR_IN, 4, 77, RP_INTEG_NONE, 0, 1);
	assert_int_equal(try_init(&m), -EINVAL);               /* unknown cipher */

	/* Wipe leaves no key bytes. */
	tu_msg_sa(&m, RP_DIR_OUT, 4, RP_CIPHER_AES_CBC_128, RP_INTEG_HMAC_SHA512_256, 0, 1);
	struct esp_sa *sa = tu_sa(&m);
	static const uint8_t zero[sizeof(struct esp_sa)];

	esp_sa_wipe(sa);
	assert_memory_equal(sa, zero, sizeof(*sa));
	tu_sa_free(sa);
}

static void test_drop_names(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < ESP_DROP_MAX; i++) {
		const char *n = esp_drop_name(i);

		assert_true(strlen(n) > 0 && strlen(esp_drop_help(i)) > 10);
		for (const char *c = n; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
		for (unsigned int j = 0; j < i; j++)
			assert_string_not_equal(n, esp_drop_name(j));
	}
	assert_string_equal(esp_drop_name(ESP_DROP_MAX), "?");
}

/* esp_job_order(): a permutation of the burst, longest first, equal lengths in arrival
 * order; for every burst size up to the largest, on IMIX-like and on random lengths. */
static void test_job_order(void **state)
{
	static const uint16_t imix[] = { 64, 64, 576, 64, 1400, 576, 64 };
	unsigned int seed = 7;

	(void)state;
	for (unsigned int round = 0; round < 200; round++) {
		unsigned int n = round % (ESP_BURST_MAX + 1);
		uint16_t len[ESP_BURST_MAX];
		uint8_t ord[ESP_BURST_MAX], seen[ESP_BURST_MAX] = { 0 };

		for (unsigned int i = 0; i < n; i++)
			len[i] = round & 1 ? imix[(i * 3 + round) % 7] :
					     (uint16_t)(rand_r(&seed) % 1500);
		memset(ord, 0xff, sizeof(ord));
		esp_job_order(len, n, ord);
		for (unsigned int k = 0; k < n; k++) {
			assert_true(ord[k] < n);
			assert_false(seen[ord[k]]);
			seen[ord[k]] = 1;
			if (k) {
				assert_true(len[ord[k - 1]] >= len[ord[k]]);
				if (len[ord[k - 1]] == len[ord[k]])
					assert_true(ord[k - 1] < ord[k]);
			}
		}
	}
}

/* How esp_sa_init() marks an SA for the job order: HMAC runs on multi-buffer lanes in both
 * directions; outbound AES-CBC + HMAC in two passes; AEADs neither. */
static void test_lane_flags(void **state)
{
	(void)state;
	for (size_t a = 0; a < N_ALGS; a++) {
		bool hmac = algs[a].integ != RP_INTEG_NONE;
		bool cbc = algs[a].cipher == RP_CIPHER_AES_CBC_128 ||
			   algs[a].cipher == RP_CIPHER_AES_CBC_256;
		struct pair p;

		pair_make(&p, &algs[a], 4, 0, (unsigned int)a);
		assert_int_equal(!!(p.out->flags & ESP_SAF_LANES), hmac);
		assert_int_equal(!!(p.in->flags & ESP_SAF_LANES), hmac);
		assert_int_equal(!!(p.out->flags & ESP_SAF_TWO_PASS), cbc && hmac);
		assert_false(p.in->flags & ESP_SAF_TWO_PASS);
		pair_free(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_all),
		cmocka_unit_test(test_outbound_vs_openssl),
		cmocka_unit_test(test_cbc_iv_unpredictable),
		cmocka_unit_test(test_replay_paths),
		cmocka_unit_test(test_esn_wrap),
		cmocka_unit_test(test_no_replay),
		cmocka_unit_test(test_seq_overflow_without_esn),
		cmocka_unit_test(test_trailer_edges),
		cmocka_unit_test(test_outbound_errors),
		cmocka_unit_test(test_inbound_outer_errors),
		cmocka_unit_test(test_sa_validation),
		cmocka_unit_test(test_drop_names),
		cmocka_unit_test(test_job_order),
		cmocka_unit_test(test_lane_flags),
	};

	return cmocka_run_group_tests_name("esp_paths", tests, setup, NULL);
}
