/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Known-answer tests of the ESP engine against published vectors. Every expected value
 * below is quoted from the document named in its comment; none was computed here.
 *
 * Where the vector is a complete ESP packet, it goes through esp_inbound_burst() (wrapped in
 * an outer IP header, which the vectors do not specify) and the recovered plaintext is
 * compared byte for byte; then esp_outbound_burst() is made to reproduce the packet with
 * the published sequence number and IV (test hooks, esp_test.h). Where the vector is an
 * HMAC, a NULL-cipher SA authenticates the message as an ESP packet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "esp_tu.h"
#include "dataplane/esp/esp_test.h"

#define BUF 2048

static int setup(void **state)
{
	(void)state;
	tu_init();
	return 0;
}

/* Vector SAs accept any inner source: the selectors are not part of the vectors. */
static void any_ts(struct rp_msg_sa *m)
{
	memset(m->ts, 0, sizeof(m->ts));
	m->n_ts = 2;
	m->ts[0].af = 4;
	m->ts[1].af = 6;
}

static void check_out_esp(struct rte_mbuf *m, const struct esp_sa *sa, const uint8_t *want,
			  size_t want_len)
{
	assert_int_equal(m->data_len, sa->outer_len + want_len);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *) + sa->outer_len, want, want_len);
}

/* ---- RFC 3602 section 4: AES-CBC in ESP, tunnel mode, no ICV ---------------------------- */

struct cbc_vec {
	const char *name, *key, *iv, *plain, *packet;
	uint32_t spi, seq;
};

static const struct cbc_vec cbc_vecs[] = {
	{
		/* RFC 3602 section 4, Case #7: 64-byte ping in tunnel mode. */
		"RFC 3602 case #7",
		"0123456789abcdef0123456789abcdef",
		"f4e765244f6407adf13dc1380f673f37",
		"45000054090400004001f988c0a87b03c0a87bc808009f76a90a0100b49c083d02a20400"
		"08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b"
		"2c2d2e2f3031323334353637",
		"0000876500000002f4e765244f6407adf13dc1380f673f37"
		"773b5241a4c449225e4f3ce5ed611b0c237ca96cf74a93013c1b0ea1a0cf70f8"
		"e4ecaec78ac53aad7a0f022b859243c647752e94a859352b8a4d4d2decd136e5"
		"c177f132ad3fbfb2201ac9904c74ee0a109e0ca1e4dfe9d5a100b842f1c22f0d",
		0x8765, 2,
	},
	{
		/* RFC 3602 section 4, Case #8: ping with 32 bytes of 0xff, tunnel mode. */
		"RFC 3602 case #8",
		"0123456789abcdef0123456789abcdef",
		"85d47224b5f3dd5d2101d4ea8dffab22",
		"45000044090c00004001f990c0a87b03c0a87bc80800d63caa0a0200c69c083da3de0300"
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		"000087650000000585d47224b5f3dd5d2101d4ea8dffab22"
		"15b92683819596a8047232cc00f7048fe45318e11f8a0f62ede3c3fc61203bb5"
		"0f980a08c9843fd3a1b06d5c07ff9639b7eb7dfb3512e5de435e7207ed971ef3"
		"d2726d9b5ef6affc6d17a0decbb13892",
		0x8765, 5,
	},
};

static void test_rfc3602_cbc(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(cbc_vecs) / sizeof(cbc_vecs[0]); v++) {
		const struct cbc_vec *cv = &cbc_vecs[v];
		uint8_t plain[BUF], pkt[BUF], wire[BUF], iv[16];
		size_t pl = tu_hex(plain, sizeof(plain), cv->plain);
		size_t kl = tu_hex(pkt, sizeof(pkt), cv->key);
		struct rp_msg_sa m;
		struct esp_sa *in, *out;
		struct rte_mbuf *mb;
		size_t n, wl;

		assert_int_equal(kl, 16);
		tu_msg_sa(&m, RP_DIR_IN, 4, RP_CIPHER_AES_CBC_128, RP_INTEG_NONE, 0, 1);
		memcpy(m.enc_key, pkt, 16);
		m.spi = rte_cpu_to_be_32(cv->spi);
		any_ts(&m);
		esp_test_hooks.allow_cbc_without_integ = true;
		in = tu_sa(&m);
		m.dir = RP_DIR_OUT;
		out = tu_sa(&m);
		esp_test_hooks.allow_cbc_without_integ = false;

		/* Inbound: the published packet decrypts to the published plaintext. */
		n = tu_hex(pkt, sizeof(pkt), cv->packet);
		wl = tu_outer(wire, 4, false, pkt, n);
		mb = tu_mbuf(wire, wl);
		assert_int_equal(tu_in1(in, mb), -1);
		assert_int_equal(mb->data_len, pl);
		assert_memory_equal(rte_pktmbuf_mtod(mb, uint8_t *), plain, pl);
		rte_pktmbuf_free(mb);

		/* Outbound: same IV and sequence number give the same packet, padding included. */
		tu_hex(iv, sizeof(iv), cv->iv);
		esp_test_hooks.iv = iv;
		out->seq = cv->seq - 1;
		mb = tu_mbuf(plain, pl);
		assert_int_equal(tu_out1(out, mb), -1);
		esp_test_hooks.iv = NULL;
		check_out_esp(mb, out, pkt, n);
		rte_pktmbuf_free(mb);
		tu_sa_free(in);
		tu_sa_free(out);
	}
}

/* ---- AES-GCM ESP packets: draft-mcgrew-gcm-test-01 section 4 ---------------------------- *
 * The plaintexts of these vectors end in next header 1 (and some are not IP packets), so the
 * inbound path authenticates and decrypts them and then refuses the next header: that drop
 * reason (after the ICV check) and the plaintext left in place are what is checked. The
 * outbound path reproduces each packet from its published plaintext (raw-payload hook). */

struct gcm_vec {
	const char *name, *key, *spi, *seq, *nonce, *plain, *packet;
};

static const struct gcm_vec gcm_vecs[] = {
	{
		"draft-mcgrew-gcm-test-01 p.7 (AES-128, ESN)",
		"4c80cdefbb5d10da906ac73c3613a634", "00004321", "8765432100000000",
		"2e443b684956ed7e3b244cfe",
		"45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000"
		"00000000045f736970045f756470037369700963796265726369747902646b00"
		"0021000101020201",
		"00004321000000004956ed7e3b244cfefecf537e729d5b07dc30df528dd22b76"
		"8d1b98736696a6fd348509fa13ceac34cfa2436f14a3f3cf65925bf1f4a13c5d"
		"15b21e1884f5ff6247aeabb786b93bce61bc17d768fd9732459018148f6cbe72"
		"2fd04796562dfdb4",
	},
	{
		"draft-mcgrew-gcm-test-01 p.8 (AES-128)",
		"feffe9928665731c6d6a8f9467308308", "0000a5f8", "0000000a",
		"cafebabefacedbaddecaf888",
		"4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100"
		"00010000000000000373697009637962" "65726369747902646b00000100010001",
		"0000a5f80000000afacedbaddecaf888deb22cd9b07c72c16e3a65beeb8df304"
		"a5a5897d33ae530f1ba76d5d114d2a5c3de81827c10e9a4f51330d0eec416642"
		"cfbb85a5b47e48a4ec3b9ba95d918bd183b70d3aa8bc6ee4c309e9d85a41ad4a",
	},
	{
		"draft-mcgrew-gcm-test-01 p.9 (AES-256)",
		"abbccddef00112233445566778899aababbccddef00112233445566778899aab", "4a2cbfe3",
		"00000002", "112233440102030405060708",
		"4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
		"7002400020bf0000020405b40101040201020201",
		"4a2cbfe3000000020102030405060708ff425c9b724599df7a3bcd510194e00d"
		"6a78107f1b0b1cbf06efae9d65a5d763748a637985771d347f0545659f14e99d"
		"ef842d8eb335f4eecfdbf831824b4c4915956c96",
	},
	{
		"draft-mcgrew-gcm-test-01 p.11 (AES-128, ESN)",
		"3de09874b388e6491988d0c3607eae1f", "42f67e3f", "1010101010101010",
		"57690e434e280000a2fca1a3",
		"4500003c99c300008001cb7c40679318010101010800085c0200430061626364"
		"65666768696a6b6c6d6e6f707172737475767761626364656667686901020201",
		"42f67e3f101010104e280000a2fca1a3fba2caa4853cf9f0f22cb10d86dd83b0"
		"fec75691cf1a04b00d1138ec9c35791765acbd8701ad79845bf9fe3fba487bc9"
		"1755e6662b4c8d0d1f5e22739530320ae0d731cc978ecafaeae88f00e80d6e48",
	},
	{
		"draft-mcgrew-gcm-test-01 p.14 (AES-256, ESN)",
		"abbccddef00112233445566778899aababbccddef00112233445566778899aab", "17405e67",
		"156f3126dd0db99b", "73616c74616e640169766563",
		"45080028732c00004006e9f90a0106120a01038f06b88023dd6bafbecb712602"
		"50101f646d540001",
		"17405e67dd0db99b616e640169766563f2d69ecdbd5a0d5b8d5ef38bad4da58d"
		"1f278fde98ef67549d524a3018d9a57ff4d3a31ce673119e451626c2415771e3"
		"b7eebca614c89b35",
	},
	{
		"draft-mcgrew-gcm-test-01 p.17 (AES-128, seq 2^32-1, empty payload)",
		"7d773d00c144c525ac619d18c84a3f47", "335467ae", "ffffffff",
		"d966426743457e9182443bc6",
		"01020201",
		"335467aeffffffff43457e9182443bc6437f866bcb3f699fe9b0822bac961c45"
		"04bef270",
	},
	{
		"draft-mcgrew-gcm-test-01 p.18 (AES-256, ESN 2^64-1)",
		"6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961", "796b6963",
		"ffffffffffffffff", "7475726e333021696765746d",
		"45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364"
		"65666768696a6b6c6d6e6f707172737401020201",
		"796b6963ffffffff333021696765746df97ab2aa356d8edce17644ac8c78e25d"
		"d24dedbb29ebf1b64a274b39b49c3a864cd3d78ca4ae68a32b42458fb57dbe82"
		"1dcc63b9d0937ba2945f669368661a329fb4c053",
	},
	{
		"draft-mcgrew-gcm-test-01 p.21 (AES-128, ESN)",
		"4c80cdefbb5d10da906ac73c3613a634", "00004321", "8765432100000007",
		"22433c644855ec7d3a234bfd",
		"0800c6cd020007006162636465666768696a6b6c6d6e6f707172737401020201",
		"00004321000000074855ec7d3a234bfd74752e8aeb5d873cd7c0f4acc36c4bff"
		"84b7d7b98f0ca8b6acda6894bc619069ef9cbc28fe1b56a7c4e0d58c86cd2bc0",
	},
};

static uint64_t be_n(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void test_gcm_draft_vectors(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(gcm_vecs) / sizeof(gcm_vecs[0]); v++) {
		const struct gcm_vec *gv = &gcm_vecs[v];
		uint8_t key[32], spi[4], seqb[8], nonce[12], plain[BUF], pkt[BUF], wire[BUF];
		size_t kl = tu_hex(key, sizeof(key), gv->key);
		size_t sl = tu_hex(seqb, sizeof(seqb), gv->seq);
		size_t pl = tu_hex(plain, sizeof(plain), gv->plain);
		size_t n = tu_hex(pkt, sizeof(pkt), gv->packet);
		uint64_t seq = be_n(seqb, sl);
		struct rp_msg_sa m;
		struct esp_sa *in, *out;
		struct rte_mbuf *mb;
		size_t wl;

		print_message("  %s\n", gv->name);
		tu_hex(spi, sizeof(spi), gv->spi);
		tu_hex(nonce, sizeof(nonce), gv->nonce);
		tu_msg_sa(&m, RP_DIR_IN, 4,
			  kl == 16 ? RP_CIPHER_AES_GCM_128 : RP_CIPHER_AES_GCM_256, RP_INTEG_NONE,
			  sl == 8 ? RP_SAF_ESN : 0, 2);
		memcpy(m.enc_key, key, kl);
		memcpy(m.salt, nonce, 4);
		memcpy(&m.spi, spi, 4);
		any_ts(&m);
		in = tu_sa(&m);
		m.dir = RP_DIR_OUT;
		out = tu_sa(&m);
		/* With ESN, put the receiver just before the vector's 64-bit number so that
		 * RFC 4303 A2.2 infers its high half. */
		if (seq > 1)
			esp_replay_update(&in->replay, seq - 1);

		wl = tu_outer(wire, 4, false, pkt, n);
		mb = tu_mbuf(wire, wl);
		assert_int_equal(tu_in1(in, mb), ESP_DROP_BAD_NEXT_HEADER);
		assert_true(in->replay.top == seq); /* authentic: the window moved */
		assert_memory_equal(rte_pktmbuf_mtod(mb, uint8_t *) + 20 + 16, plain, pl);
		rte_pktmbuf_free(mb);

		esp_test_hooks.iv = nonce + 4;
		esp_test_hooks.raw_payload = true;
		out->seq = seq - 1;
		mb = tu_mbuf(plain, pl);
		assert_int_equal(tu_out1(out, mb), -1);
		esp_test_hooks.iv = NULL;
		esp_test_hooks.raw_payload = false;
		check_out_esp(mb, out, pkt, n);
		rte_pktmbuf_free(mb);
		tu_sa_free(in);
		tu_sa_free(out);
	}
}

/* ---- ChaCha20-Poly1305: RFC 7634 Appendix A ------------------------------------------- */

static void test_rfc7634_chacha(void **state)
{
	/* RFC 7634 Appendix A: KEYMAT = key (32) || salt (4), SPI 0x01020304, seq 5. */
	static const char *keymat =
		"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f a0a1a2a3";
	static const char *esp_payload = /* IV || ciphertext || ICV */
		"1011121314151617 240394 28b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407a"
		"e5c614ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3cbec163f"
		"ac469b502773f6fb94e664da9165b82829f641e076aaa8266b7fb0f7b11b369907e1ad43";
	static const char *source = /* the inner IPv4 packet (ICMP echo) */
		"45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec1000073627"
		"08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b"
		"2c2d2e2f3031323334353637";
	uint8_t km[36], pay[BUF], pkt[BUF], inner[BUF], wire[BUF];
	size_t pl = tu_hex(pay, sizeof(pay), esp_payload);
	size_t il = tu_hex(inner, sizeof(inner), source);
	struct rp_msg_sa m;
	struct esp_sa *in, *out;
	struct rte_mbuf *mb;
	size_t n, wl;

	(void)state;
	assert_int_equal(tu_hex(km, sizeof(km), keymat), 36);
	assert_int_equal(pl, 8 + 88 + 16);
	assert_int_equal(il, 84);
	tu_msg_sa(&m, RP_DIR_IN, 4, RP_CIPHER_CHACHA20_POLY1305, RP_INTEG_NONE, 0, 3);
	memcpy(m.enc_key, km, 32);
	memcpy(m.salt, km + 32, 4);
	m.spi = rte_cpu_to_be_32(0x01020304);
	any_ts(&m);
	in = tu_sa(&m);
	m.dir = RP_DIR_OUT;
	out = tu_sa(&m);

	pkt[0] = 1, pkt[1] = 2, pkt[2] = 3, pkt[3] = 4;
	pkt[4] = 0, pkt[5] = 0, pkt[6] = 0, pkt[7] = 5;
	memcpy(pkt + 8, pay, pl);
	n = 8 + pl;
	wl = tu_outer(wire, 4, false, pkt, n);
	mb = tu_mbuf(wire, wl);
	assert_int_equal(tu_in1(in, mb), -1);
	assert_int_equal(mb->data_len, il);
	assert_memory_equal(rte_pktmbuf_mtod(mb, uint8_t *), inner, il);
	rte_pktmbuf_free(mb);

	esp_test_hooks.iv = pay; /* 10 11 ... 17 */
	out->seq = 4;
	mb = tu_mbuf(inner, il);
	assert_int_equal(tu_out1(out, mb), -1);
	esp_test_hooks.iv = NULL;
	check_out_esp(mb, out, pkt, n);
	rte_pktmbuf_free(mb);
	tu_sa_free(in);
	tu_sa_free(out);
}

/* ---- HMAC through a NULL-cipher SA ---------------------------------------------------- *
 * The message is sent as the ESP packet itself (its first 4 bytes are the SPI, the next 4
 * the sequence number) followed by the published truncated MAC as ICV. A correct HMAC gets
 * the packet past the ICV check, after which its "trailer" (message bytes) is refused with
 * a pad length error and the window records it; one flipped ICV bit gives auth_failed. */

struct hmac_vec {
	const char *name;
	uint8_t integ;
	uint8_t key_fill; /* key = key_len bytes of key_fill, unless key_hex */
	const char *key_hex;
	const char *msg;  /* ASCII, unless msg_fill */
	uint8_t msg_fill; /* 50 bytes of msg_fill */
	const char *mac;
};

static const struct hmac_vec hmac_vecs[] = {
	/* RFC 2202 section 3, test_case 3 (HMAC-SHA-1, truncated to 96 bits per RFC 2404). */
	{ "RFC 2202 #3", RP_INTEG_HMAC_SHA1_96, 0xaa, NULL, NULL, 0xdd,
	  "125d7342b9ac11cd91a39af4" },
	/* RFC 2202 section 3, test_case 5: its digest-96 is published. */
	{ "RFC 2202 #5", RP_INTEG_HMAC_SHA1_96, 0x0c, NULL, "Test With Truncation", 0,
	  "4c1a03424b55e07fe7f27be1" },
	/* RFC 4868 section 2.7.2.1, Test Case AUTH256-2, -3, -4 (HMAC-SHA-256-128). */
	{ "RFC 4868 AUTH256-2", RP_INTEG_HMAC_SHA256_128, 0, "4a656665" "4a656665" "4a656665"
	  "4a656665" "4a656665" "4a656665" "4a656665" "4a656665", "what do ya want for nothing?",
	  0, "167f928588c5cc2eef8e3093caa0e87c" },
	{ "RFC 4868 AUTH256-3", RP_INTEG_HMAC_SHA256_128, 0xaa, NULL, NULL, 0xdd,
	  "cdcb1220d1ecccea91e53aba3092f962" },
	{ "RFC 4868 AUTH256-4", RP_INTEG_HMAC_SHA256_128, 0,
	  "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", NULL, 0xcd,
	  "372efcf9b40b35c2115b1346903d2ef4" },
	/* RFC 4868 section 2.7.2.2, AUTH384-2 and -3 (HMAC-SHA-384-192). */
	{ "RFC 4868 AUTH384-2", RP_INTEG_HMAC_SHA384_192, 0, "4a656665" "4a656665" "4a656665"
	  "4a656665" "4a656665" "4a656665" "4a656665" "4a656665" "4a656665" "4a656665"
	  "4a656665" "4a656665", "what do ya want for nothing?", 0,
	  "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d" },
	{ "RFC 4868 AUTH384-3", RP_INTEG_HMAC_SHA384_192, 0xaa, NULL, NULL, 0xdd,
	  "809f439be00274321d4a538652164b53554a508184a0c316" },
	/* RFC 4868 section 2.7.2.3, AUTH512-2, -3, and -4 with the key of erratum 1785. */
	{ "RFC 4868 AUTH512-2", RP_INTEG_HMAC_SHA512_256, 0, "4a656665" "4a656665" "4a656665"
	  "4a656665" "4a656665" "4a656665" "4a656665" "4a656665" "4a656665" "4a656665"
	  "4a656665" "4a656665" "4a656665" "4a656665" "4a656665" "4a656665",
	  "what do ya want for nothing?", 0,
	  "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454" },
	{ "RFC 4868 AUTH512-3", RP_INTEG_HMAC_SHA512_256, 0xaa, NULL, NULL, 0xdd,
	  "2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8" },
	{ "RFC 4868 AUTH512-4", RP_INTEG_HMAC_SHA512_256, 0,
	  "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
	  "2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40", NULL, 0xcd,
	  "5e6688e5a3daec826ca32eaea224eff5e700628947470e13ad01302561bab108" },
};

static void test_hmac_vectors(void **state)
{
	(void)state;
	for (size_t v = 0; v < sizeof(hmac_vecs) / sizeof(hmac_vecs[0]); v++) {
		const struct hmac_vec *hv = &hmac_vecs[v];
		uint8_t pkt[256], mac[64], wire[512];
		size_t ml, macl, n, wl;
		struct rp_msg_sa m;

		print_message("  %s\n", hv->name);
		tu_msg_sa(&m, RP_DIR_IN, 4, RP_CIPHER_NULL, hv->integ, 0, 4);
		if (hv->key_hex)
			assert_int_equal(tu_hex(m.auth_key, sizeof(m.auth_key), hv->key_hex),
					 m.auth_key_len);
		else
			memset(m.auth_key, hv->key_fill, m.auth_key_len);
		if (hv->msg) {
			ml = strlen(hv->msg);
			memcpy(pkt, hv->msg, ml);
		} else {
			ml = 50;
			memset(pkt, hv->msg_fill, ml);
		}
		macl = tu_hex(mac, sizeof(mac), hv->mac);
		assert_int_equal(macl, rp_integ_icv_len(hv->integ));
		memcpy(&m.spi, pkt, 4);

		for (int flip = 0; flip < 2; flip++) {
			struct esp_sa *in = tu_sa(&m);
			struct rte_mbuf *mb;

			memcpy(pkt + ml, mac, macl);
			if (flip)
				pkt[ml + macl - 1] ^= 0x01;
			n = ml + macl;
			wl = tu_outer(wire, 4, false, pkt, n);
			mb = tu_mbuf(wire, wl);
			if (!flip) {
				assert_int_equal(tu_in1(in, mb), ESP_DROP_BAD_PAD_LENGTH);
				assert_true(in->replay.top == be_n(pkt + 4, 4));
			} else {
				assert_int_equal(tu_in1(in, mb), ESP_DROP_AUTH_FAILED);
				assert_true(in->replay.top == 0);
			}
			rte_pktmbuf_free(mb);
			tu_sa_free(in);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3602_cbc),
		cmocka_unit_test(test_gcm_draft_vectors),
		cmocka_unit_test(test_rfc7634_chacha),
		cmocka_unit_test(test_hmac_vectors),
	};

	return cmocka_run_group_tests_name("esp_vectors", tests, setup, NULL);
}
