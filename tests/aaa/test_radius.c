/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * RADIUS codec on real bytes: every cap_* vector is a datagram captured by tshark between
 * FreeRADIUS 3.2.1 and its own clients (radtest, radclient, eapol_test), secret "testing123"
 * (tests/aaa/capture/capture.sh, radius.pcap, extract.py -> radius_capture.h). The MPPE key
 * values come from eapol_test's own log of that exchange (capture/eapol_mschapv2_keys.txt).
 * Malformed-length cases are mutations of those datagrams; their expected outcome is the
 * refusal reason, never invented bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "controlplane/aaa/eap.h"
#include "controlplane/aaa/radius.h"
#include "radius_capture.h"

#define SECRET "testing123"
#define SLEN (sizeof(SECRET) - 1)

static struct radius_pkt pkt; /* large: keep off the stack */

static const uint8_t *auth_of(const uint8_t *dgram)
{
	return dgram + 4;
}

static void test_pap_accept(void **state)
{
	static const char *const avpairs[] = { "ipsec:dns-servers=198.18.1.53 198.18.1.54",
					       "ipsec:default-domain=example.test",
					       "ipsec:route-set=prefix 198.18.1.0/24" };
	const struct radius_attr *a;
	unsigned from = 0, k = 0;
	uint32_t ip;
	char sum[512];

	(void)state;
	assert_int_equal(radius_parse(cap_pap_ok_accept, sizeof(cap_pap_ok_accept), &pkt),
			 RADIUS_PERR_OK);
	assert_int_equal(pkt.code, RADIUS_ACCESS_ACCEPT);
	assert_int_equal(pkt.id, cap_pap_ok_req[1]);
	assert_true(radius_code_answers(RADIUS_ACCESS_REQUEST, pkt.code));
	assert_int_equal(radius_verify_response(&pkt, auth_of(cap_pap_ok_req), SECRET, SLEN, true),
			 0);
	/* wrong secret, wrong request authenticator */
	assert_int_equal(radius_verify_response(&pkt, auth_of(cap_pap_ok_req), "testing124", SLEN,
						true), -EBADMSG);
	assert_int_equal(radius_verify_response(&pkt, auth_of(cap_pap_bad_req), SECRET, SLEN,
						true), -EBADMSG);
	assert_true(radius_get_u32(&pkt, RADIUS_A_FRAMED_IP_ADDRESS, &ip));
	assert_int_equal(ip, 198u << 24 | 18u << 16 | 200u << 8 | 77u);
	while ((a = radius_find(&pkt, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR, &from))) {
		assert_true(k < 3);
		assert_int_equal(a->len, strlen(avpairs[k]));
		assert_memory_equal(a->val, avpairs[k], a->len);
		k++;
	}
	assert_int_equal(k, 3);
	a = radius_find(&pkt, 0, RADIUS_A_REPLY_MESSAGE, NULL);
	assert_non_null(a);
	assert_memory_equal(a->val, "Welcome testuser", a->len);
	assert_true(pkt.ma_index >= 0);
	radius_pkt_summary(&pkt, sum, sizeof(sum));
	assert_non_null(strstr(sum, "Framed-IP-Address=198.18.200.77"));
	assert_non_null(strstr(sum, "Cisco-AVPair=\"ipsec:default-domain=example.test\""));
}

static void test_pap_request_password(void **state)
{
	const struct radius_attr *a;
	uint8_t plain[129], hidden[128];
	int n;

	(void)state;
	assert_int_equal(radius_parse(cap_pap_ok_req, sizeof(cap_pap_ok_req), &pkt),
			 RADIUS_PERR_OK);
	assert_int_equal(pkt.code, RADIUS_ACCESS_REQUEST);
	/* radtest signs its Access-Request: our check of the Message-Authenticator agrees */
	assert_int_equal(radius_verify_request(&pkt, SECRET, SLEN, true), 0);
	assert_int_equal(radius_verify_request(&pkt, "x", 1, true), -EBADMSG);
	a = radius_find(&pkt, 0, RADIUS_A_USER_PASSWORD, NULL);
	assert_non_null(a);
	assert_int_equal(a->len, 16);
	n = radius_password_unhide(a->val, a->len, pkt.auth, SECRET, SLEN, plain);
	assert_int_equal(n, 8);
	assert_string_equal((char *)plain, "testpass");
	/* RFC 2865 §5.2 hiding of the same password with the same authenticator: same bytes */
	n = radius_password_hide("testpass", 8, pkt.auth, SECRET, SLEN, hidden);
	assert_int_equal(n, 16);
	assert_memory_equal(hidden, a->val, 16);
	/* the reject case: "nope" */
	assert_int_equal(radius_parse(cap_pap_bad_req, sizeof(cap_pap_bad_req), &pkt),
			 RADIUS_PERR_OK);
	a = radius_find(&pkt, 0, RADIUS_A_USER_PASSWORD, NULL);
	assert_int_equal(radius_password_unhide(a->val, a->len, pkt.auth, SECRET, SLEN, plain), 4);
	assert_string_equal((char *)plain, "nope");
	assert_int_equal(radius_password_hide("", 0, pkt.auth, SECRET, SLEN, hidden), -EINVAL);
	assert_int_equal(radius_password_unhide(a->val, 15, pkt.auth, SECRET, SLEN, plain),
			 -EBADMSG);
	/* long passwords chain the blocks: round trip of 128 octets */
	{
		uint8_t pw[128], back[129];

		for (int i = 0; i < 128; i++)
			pw[i] = (uint8_t)(i + 1);
		assert_int_equal(radius_password_hide(pw, 128, pkt.auth, SECRET, SLEN, hidden), 128);
		assert_int_equal(radius_password_unhide(hidden, 128, pkt.auth, SECRET, SLEN, back),
				 128);
		assert_memory_equal(back, pw, 128);
		assert_int_equal(radius_password_hide(pw, 129, pkt.auth, SECRET, SLEN, hidden),
				 -EINVAL);
	}
}

static void test_pap_reject(void **state)
{
	(void)state;
	assert_int_equal(radius_parse(cap_pap_bad_reject, sizeof(cap_pap_bad_reject), &pkt),
			 RADIUS_PERR_OK);
	assert_int_equal(pkt.code, RADIUS_ACCESS_REJECT);
	assert_int_equal(radius_verify_response(&pkt, auth_of(cap_pap_bad_req), SECRET, SLEN, true),
			 0);
}

static void test_eap_md5_exchange(void **state)
{
	uint8_t eap[RADIUS_EAP_MAX], resp[64], req_eap[64];
	const struct radius_attr *st, *st2;
	struct eap_pkt e, r;
	const uint8_t *id;
	size_t id_len, n;
	int len, rlen;

	(void)state;
	/* eapol_test's first request: EAP Response/Identity "testuser" */
	assert_int_equal(radius_parse(cap_md5_req1, sizeof(cap_md5_req1), &pkt), RADIUS_PERR_OK);
	assert_int_equal(radius_verify_request(&pkt, SECRET, SLEN, true), 0);
	len = radius_eap_get(&pkt, eap, sizeof(eap));
	assert_int_equal(len, 13);
	assert_int_equal(eap_parse(eap, (size_t)len, &e), 0);
	assert_true(eap_identity(&e, &id, &id_len));
	assert_int_equal(id_len, 8);
	assert_memory_equal(id, "testuser", 8);
	/* FreeRADIUS' Access-Challenge: MD5-Challenge + State */
	assert_int_equal(radius_parse(cap_md5_chal1, sizeof(cap_md5_chal1), &pkt), RADIUS_PERR_OK);
	assert_int_equal(pkt.code, RADIUS_ACCESS_CHALLENGE);
	assert_int_equal(radius_verify_response(&pkt, auth_of(cap_md5_req1), SECRET, SLEN, true), 0);
	st = radius_find(&pkt, 0, RADIUS_A_STATE, NULL);
	assert_non_null(st);
	len = radius_eap_get(&pkt, eap, sizeof(eap));
	assert_int_equal(len, 22);
	assert_int_equal(radius_eap_get(&pkt, eap, 21), -ENOSPC);
	assert_int_equal(eap_parse(eap, (size_t)len, &e), 0);
	assert_int_equal(e.code, EAP_REQUEST);
	assert_int_equal(e.type, EAP_T_MD5);
	/* our EAP-MD5 response equals wpa_supplicant's, and the State is echoed */
	n = eap_md5_response(&e, "testpass", 8, resp, sizeof(resp));
	assert_int_equal(n, 22);
	{
		static struct radius_pkt p2;

		assert_int_equal(radius_parse(cap_md5_req2, sizeof(cap_md5_req2), &p2),
				 RADIUS_PERR_OK);
		assert_int_equal(radius_verify_request(&p2, SECRET, SLEN, true), 0);
		rlen = radius_eap_get(&p2, req_eap, sizeof(req_eap));
		assert_int_equal(rlen, 22);
		assert_memory_equal(resp, req_eap, 22);
		st2 = radius_find(&p2, 0, RADIUS_A_STATE, NULL);
		assert_non_null(st2);
		assert_int_equal(st2->len, st->len);
		assert_memory_equal(st2->val, st->val, st->len);
		assert_int_equal(eap_parse(req_eap, 22, &r), 0);
		assert_int_equal(r.type, EAP_T_MD5);
	}
	assert_int_equal(radius_parse(cap_md5_accept, sizeof(cap_md5_accept), &pkt),
			 RADIUS_PERR_OK);
	assert_int_equal(pkt.code, RADIUS_ACCESS_ACCEPT);
	assert_int_equal(radius_verify_response(&pkt, auth_of(cap_md5_req2), SECRET, SLEN, true), 0);
	len = radius_eap_get(&pkt, eap, sizeof(eap));
	assert_int_equal(len, 4);
	assert_int_equal(eap_parse(eap, 4, &e), 0);
	assert_int_equal(e.code, EAP_SUCCESS);
	/* EAP-MD5 derives no keys */
	assert_int_equal(radius_msk(&pkt, auth_of(cap_md5_req2), SECRET, SLEN, eap, 64), 0);
}

/* eapol_test (capture/eapol_mschapv2_keys.txt): the keys it decrypted from this Accept */
static const uint8_t mppe_send[16] = { 0xc8, 0x98, 0x83, 0x03, 0xc3, 0xd7, 0xba, 0xa7,
				       0xb0, 0x04, 0x44, 0xb1, 0x81, 0xd0, 0xac, 0x78 };
static const uint8_t mppe_recv[16] = { 0x91, 0xa6, 0x3e, 0x0a, 0xa7, 0x09, 0x59, 0x05,
				       0x96, 0x73, 0xf7, 0x15, 0xf9, 0x63, 0xd9, 0x28 };

static void test_mschapv2_mppe(void **state)
{
	const struct radius_attr *s, *r;
	uint8_t key[64], enc[64], msk[64];
	int n;

	(void)state;
	assert_int_equal(radius_parse(cap_mschap_accept, sizeof(cap_mschap_accept), &pkt),
			 RADIUS_PERR_OK);
	assert_int_equal(radius_verify_response(&pkt, auth_of(cap_mschap_req4), SECRET, SLEN, true),
			 0);
	s = radius_find(&pkt, RADIUS_VENDOR_MICROSOFT, RADIUS_V_MS_MPPE_SEND_KEY, NULL);
	r = radius_find(&pkt, RADIUS_VENDOR_MICROSOFT, RADIUS_V_MS_MPPE_RECV_KEY, NULL);
	assert_non_null(s);
	assert_non_null(r);
	n = radius_mppe_decrypt(s->val, s->len, auth_of(cap_mschap_req4), SECRET, SLEN, key, 64);
	assert_int_equal(n, 16);
	assert_memory_equal(key, mppe_send, 16);
	/* re-encrypting with FreeRADIUS' salt gives FreeRADIUS' bytes */
	n = radius_mppe_encrypt(mppe_send, 16, s->val, auth_of(cap_mschap_req4), SECRET, SLEN, enc,
				sizeof(enc));
	assert_int_equal(n, s->len);
	assert_memory_equal(enc, s->val, s->len);
	/* MSK = Recv || Send: eapol_test's "PMK from EAPOL" */
	n = radius_msk(&pkt, auth_of(cap_mschap_req4), SECRET, SLEN, msk, sizeof(msk));
	assert_int_equal(n, 32);
	assert_memory_equal(msk, mppe_recv, 16);
	assert_memory_equal(msk + 16, mppe_send, 16);
	assert_int_equal(radius_msk(&pkt, auth_of(cap_mschap_req4), SECRET, SLEN, msk, 20), -ENOSPC);
	/* malformed: salt high bit clear, length not 2 + 16k, key length beyond the data */
	memcpy(enc, s->val, s->len);
	enc[0] &= 0x7f;
	assert_int_equal(radius_mppe_decrypt(enc, s->len, auth_of(cap_mschap_req4), SECRET, SLEN,
					     key, 64), -EBADMSG);
	assert_int_equal(radius_mppe_decrypt(s->val, (size_t)s->len - 1, auth_of(cap_mschap_req4),
					     SECRET, SLEN, key, 64), -EBADMSG);
	assert_int_equal(radius_mppe_decrypt(s->val, s->len, auth_of(cap_mschap_req3), SECRET,
					     SLEN, key, 64) == 16, false);
	assert_int_equal(radius_mppe_decrypt(s->val, s->len, auth_of(cap_mschap_req4), SECRET, SLEN,
					     key, 8), -ENOSPC);
	/* the challenges on the way carry EAP and are signed */
	assert_int_equal(radius_parse(cap_mschap_chal2, sizeof(cap_mschap_chal2), &pkt),
			 RADIUS_PERR_OK);
	assert_int_equal(radius_verify_response(&pkt, auth_of(cap_mschap_req2), SECRET, SLEN, true),
			 0);
}

/* radclient's Accounting-Request, Accounting-Response and Disconnect-Request rebuilt byte for
 * byte: same attributes in the same order, authenticators computed by radius_bld_finish(). */
static void test_build_accounting_exact(void **state)
{
	static const uint8_t nas[4] = { 192, 0, 2, 2 }, fip[4] = { 198, 18, 200, 77 };
	uint8_t buf[RADIUS_MAX_LEN];
	struct radius_bld b;
	size_t n;

	(void)state;
	assert_int_equal(radius_parse(cap_acct_start_req, sizeof(cap_acct_start_req), &pkt),
			 RADIUS_PERR_OK);
	assert_int_equal(radius_verify_request(&pkt, SECRET, SLEN, true), 0);
	radius_bld_init(&b, buf, sizeof(buf), RADIUS_ACCOUNTING_REQUEST, cap_acct_start_req[1],
			NULL, false);
	radius_bld_str(&b, RADIUS_A_USER_NAME, "testuser");
	radius_bld_u32(&b, RADIUS_A_ACCT_STATUS_TYPE, 1);
	radius_bld_str(&b, RADIUS_A_ACCT_SESSION_ID, "rp-0001");
	radius_bld_attr(&b, RADIUS_A_NAS_IP_ADDRESS, nas, 4);
	radius_bld_attr(&b, RADIUS_A_FRAMED_IP_ADDRESS, fip, 4);
	n = radius_bld_finish(&b, SECRET, SLEN);
	assert_int_equal(n, sizeof(cap_acct_start_req));
	assert_memory_equal(buf, cap_acct_start_req, n);

	radius_bld_init(&b, buf, sizeof(buf), RADIUS_ACCOUNTING_RESPONSE, cap_acct_start_req[1],
			auth_of(cap_acct_start_req), false);
	n = radius_bld_finish(&b, SECRET, SLEN);
	assert_int_equal(n, sizeof(cap_acct_start_resp));
	assert_memory_equal(buf, cap_acct_start_resp, n);
	assert_int_equal(radius_parse(cap_acct_start_resp, sizeof(cap_acct_start_resp), &pkt),
			 RADIUS_PERR_OK);
	assert_int_equal(radius_verify_response(&pkt, auth_of(cap_acct_start_req), SECRET, SLEN,
						true), 0);

	radius_bld_init(&b, buf, sizeof(buf), RADIUS_DISCONNECT_REQUEST, cap_disconnect_req[1],
			NULL, false);
	radius_bld_str(&b, RADIUS_A_USER_NAME, "testuser");
	radius_bld_str(&b, RADIUS_A_ACCT_SESSION_ID, "rp-0001");
	n = radius_bld_finish(&b, SECRET, SLEN);
	assert_int_equal(n, sizeof(cap_disconnect_req));
	assert_memory_equal(buf, cap_disconnect_req, n);
}

/* An Access-Request and a response as we build them check out with the same verifier that
 * accepts FreeRADIUS' packets; a long EAP packet is split at 253 octets and reassembled. */
static void test_build_access_roundtrip(void **state)
{
	static const uint8_t ra[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	static uint8_t eap[600], got[700];
	uint8_t buf[RADIUS_MAX_LEN], pw[129];
	const struct radius_attr *a;
	struct radius_bld b;
	unsigned from = 0, frag = 0;
	size_t n;

	(void)state;
	eap[0] = EAP_RESPONSE;
	eap[1] = 7;
	eap[2] = sizeof(eap) >> 8;
	eap[3] = sizeof(eap) & 0xff;
	eap[4] = EAP_T_TLS;
	for (size_t i = 5; i < sizeof(eap); i++)
		eap[i] = (uint8_t)i;
	radius_bld_init(&b, buf, sizeof(buf), RADIUS_ACCESS_REQUEST, 9, ra, true);
	radius_bld_str(&b, RADIUS_A_USER_NAME, "testuser");
	assert_true(radius_bld_password(&b, "testpass", 8, SECRET, SLEN));
	assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR, "ipsec:x=y", 9));
	assert_true(radius_bld_eap(&b, eap, sizeof(eap)));
	n = radius_bld_finish(&b, SECRET, SLEN);
	assert_true(n > sizeof(eap));
	assert_int_equal(radius_parse(buf, n, &pkt), RADIUS_PERR_OK);
	assert_int_equal(pkt.ma_index, 0); /* Message-Authenticator first */
	assert_int_equal(radius_verify_request(&pkt, SECRET, SLEN, true), 0);
	while ((a = radius_find(&pkt, 0, RADIUS_A_EAP_MESSAGE, &from)))
		assert_int_equal(a->len, frag++ < 2 ? 253 : 600 - 2 * 253);
	assert_int_equal(frag, 3);
	assert_int_equal(radius_eap_get(&pkt, got, sizeof(got)), 600);
	assert_memory_equal(got, eap, 600);
	a = radius_find(&pkt, 0, RADIUS_A_USER_PASSWORD, NULL);
	assert_int_equal(radius_password_unhide(a->val, a->len, ra, SECRET, SLEN, pw), 8);
	/* a flipped bit anywhere breaks the Message-Authenticator */
	buf[n - 1] ^= 1;
	assert_int_equal(radius_parse(buf, n, &pkt), RADIUS_PERR_OK);
	assert_int_equal(radius_verify_request(&pkt, SECRET, SLEN, true), -EBADMSG);

	/* a signed Access-Challenge carrying EAP and State */
	radius_bld_init(&b, buf, sizeof(buf), RADIUS_ACCESS_CHALLENGE, 9, ra, true);
	radius_bld_eap(&b, eap, sizeof(eap));
	radius_bld_attr(&b, RADIUS_A_STATE, "st8", 3);
	n = radius_bld_finish(&b, SECRET, SLEN);
	assert_int_equal(radius_parse(buf, n, &pkt), RADIUS_PERR_OK);
	assert_int_equal(radius_verify_response(&pkt, ra, SECRET, SLEN, true), 0);
	/* the same without Message-Authenticator is refused: it carries EAP */
	radius_bld_init(&b, buf, sizeof(buf), RADIUS_ACCESS_CHALLENGE, 9, ra, false);
	radius_bld_eap(&b, eap, sizeof(eap));
	n = radius_bld_finish(&b, SECRET, SLEN);
	assert_int_equal(radius_parse(buf, n, &pkt), RADIUS_PERR_OK);
	assert_int_equal(radius_verify_response(&pkt, ra, SECRET, SLEN, false), -EPROTO);
	/* an unsigned Access-Accept: refused by default (Blast-RADIUS), accepted when allowed */
	radius_bld_init(&b, buf, sizeof(buf), RADIUS_ACCESS_ACCEPT, 9, ra, false);
	n = radius_bld_finish(&b, SECRET, SLEN);
	assert_int_equal(radius_parse(buf, n, &pkt), RADIUS_PERR_OK);
	assert_int_equal(radius_verify_response(&pkt, ra, SECRET, SLEN, true), -EPROTO);
	assert_int_equal(radius_verify_response(&pkt, ra, SECRET, SLEN, false), 0);
	/* builder refusals: empty / oversized values, a packet that does not fit */
	radius_bld_init(&b, buf, sizeof(buf), RADIUS_ACCESS_REQUEST, 1, ra, true);
	assert_false(radius_bld_attr(&b, RADIUS_A_STATE, "", 0));
	assert_int_equal(radius_bld_finish(&b, SECRET, SLEN), 0);
	radius_bld_init(&b, buf, sizeof(buf), RADIUS_ACCESS_REQUEST, 1, ra, true);
	assert_false(radius_bld_attr(&b, RADIUS_A_STATE, eap, 254));
	radius_bld_init(&b, buf, 60, RADIUS_ACCESS_REQUEST, 1, ra, true);
	assert_false(radius_bld_eap(&b, eap, 100));
	assert_int_equal(radius_bld_finish(&b, SECRET, SLEN), 0);
}

/* ---- malformed lengths, each a mutation of a captured datagram -------------------------- */

static uint8_t mut[RADIUS_MAX_LEN + 16];

/* cap_pap_ok_accept layout (tshark -V of frame 2): header 20, Framed-IP-Address at 20 (l=6),
 * Cisco VSA at 26 (l=49: vendor 9, sub-attr type 1 l=43), ... */
#define ACC_FIP 20
#define ACC_VSA 26

static enum radius_perr parse_mut(size_t len)
{
	return radius_parse(mut, len, &pkt);
}

static void set_len(size_t len)
{
	mut[2] = (uint8_t)(len >> 8);
	mut[3] = (uint8_t)len;
}

static void test_malformed(void **state)
{
	const size_t L = sizeof(cap_pap_ok_accept);

	(void)state;
	memcpy(mut, cap_pap_ok_accept, L);
	assert_int_equal(mut[ACC_FIP], RADIUS_A_FRAMED_IP_ADDRESS);
	assert_int_equal(mut[ACC_VSA], RADIUS_A_VENDOR_SPECIFIC);
	assert_int_equal(mut[ACC_VSA + 1], 49);

	/* datagram and header length */
	assert_int_equal(parse_mut(19), RADIUS_PERR_SHORT);
	assert_int_equal(parse_mut(0), RADIUS_PERR_SHORT);
	assert_int_equal(parse_mut(L - 1), RADIUS_PERR_TRUNCATED);
	set_len(19);
	assert_int_equal(parse_mut(L), RADIUS_PERR_BAD_LENGTH);
	set_len(4097);
	assert_int_equal(parse_mut(L), RADIUS_PERR_BAD_LENGTH);
	set_len(L);
	/* octets past Length are padding (RFC 2865 §3) and the packet still verifies */
	memset(mut + L, 0xee, 16);
	assert_int_equal(parse_mut(L + 16), RADIUS_PERR_OK);
	assert_int_equal(pkt.length, L);
	assert_int_equal(radius_verify_response(&pkt, auth_of(cap_pap_ok_req), SECRET, SLEN, true),
			 0);
	/* a header Length cutting the last attribute */
	set_len(L - 1);
	assert_int_equal(parse_mut(L), RADIUS_PERR_ATTR_LENGTH);
	set_len(L);

	/* attribute length 0, 1, past the end; a lone type octet at the end */
	mut[ACC_FIP + 1] = 0;
	assert_int_equal(parse_mut(L), RADIUS_PERR_ATTR_LENGTH);
	mut[ACC_FIP + 1] = 1;
	assert_int_equal(parse_mut(L), RADIUS_PERR_ATTR_LENGTH);
	mut[ACC_FIP + 1] = 255;
	assert_int_equal(parse_mut(L), RADIUS_PERR_ATTR_LENGTH);
	mut[ACC_FIP + 1] = 6;
	memcpy(mut, cap_pap_ok_accept, L);
	mut[L] = RADIUS_A_CLASS;
	set_len(L + 1);
	assert_int_equal(parse_mut(L + 1), RADIUS_PERR_ATTR_LENGTH);
	set_len(L);
	/* a typed value of the wrong size: Framed-IP-Address of 5 octets (and a shifted chain) */
	mut[ACC_FIP + 1] = 7;
	assert_int_equal(parse_mut(L), RADIUS_PERR_VALUE_LENGTH);
	mut[ACC_FIP + 1] = 2;
	assert_int_equal(parse_mut(L), RADIUS_PERR_VALUE_LENGTH);
	mut[ACC_FIP + 1] = 6;

	/* VSA: too short for a vendor id, vendor high octet, sub-attribute lengths */
	memcpy(mut, cap_pap_ok_accept, L);
	mut[ACC_VSA + 1] = 5;  /* 3 octets of vendor id; the rest becomes garbage attributes */
	assert_int_equal(parse_mut(L), RADIUS_PERR_VSA_LENGTH);
	memcpy(mut, cap_pap_ok_accept, L);
	mut[ACC_VSA + 2] = 1;
	assert_int_equal(parse_mut(L), RADIUS_PERR_VSA_VENDOR);
	memcpy(mut, cap_pap_ok_accept, L);
	mut[ACC_VSA + 7] = 1;  /* sub-attribute length 1 */
	assert_int_equal(parse_mut(L), RADIUS_PERR_VSA_SUB_LENGTH);
	mut[ACC_VSA + 7] = 0;
	assert_int_equal(parse_mut(L), RADIUS_PERR_VSA_SUB_LENGTH);
	mut[ACC_VSA + 7] = 44; /* one past the VSA */
	assert_int_equal(parse_mut(L), RADIUS_PERR_VSA_SUB_LENGTH);
	mut[ACC_VSA + 7] = 42; /* one short: a 1-octet remainder cannot be a sub-attribute */
	assert_int_equal(parse_mut(L), RADIUS_PERR_VSA_SUB_LENGTH);
	mut[ACC_VSA + 7] = 41; /* two short: the remainder is a sub-attribute header of length
				* 'value octet' ('4', 0x34 = 52) beyond the VSA */
	assert_int_equal(parse_mut(L), RADIUS_PERR_VSA_SUB_LENGTH);
	memcpy(mut, cap_pap_ok_accept, L);
	/* an unknown vendor's VSA is kept whole, not parsed */
	mut[ACC_VSA + 5] = 10;
	assert_int_equal(parse_mut(L), RADIUS_PERR_OK);
	assert_non_null(radius_find(&pkt, 10, 0, NULL));

	/* Message-Authenticator: duplicated, wrong length */
	memcpy(mut, cap_pap_ok_accept, L);
	memcpy(mut + L, cap_pap_ok_accept + L - 18, 18);
	set_len(L + 18);
	assert_int_equal(parse_mut(L + 18), RADIUS_PERR_MA_DUP);
	memcpy(mut, cap_pap_ok_accept, L);
	assert_int_equal(mut[L - 18], RADIUS_A_MESSAGE_AUTHENTICATOR);
	mut[L - 17] = 17;     /* 15 octets, checked before the stray last octet is reached */
	assert_int_equal(parse_mut(L), RADIUS_PERR_MA_LENGTH);
	set_len(L - 1);
	assert_int_equal(parse_mut(L - 1), RADIUS_PERR_MA_LENGTH);
	set_len(L);
	mut[L - 17] = 19;     /* one past the end */
	assert_int_equal(parse_mut(L), RADIUS_PERR_ATTR_LENGTH);

	/* tampering with a verified packet */
	memcpy(mut, cap_pap_ok_accept, L);
	mut[ACC_FIP + 5] ^= 1;
	assert_int_equal(parse_mut(L), RADIUS_PERR_OK);
	assert_int_equal(radius_verify_response(&pkt, auth_of(cap_pap_ok_req), SECRET, SLEN, true),
			 -EBADMSG);
	/* an Accept whose Message-Authenticator was turned into a Class: response authenticator
	 * now wrong, and even recomputed the missing MA is refused */
	memcpy(mut, cap_pap_ok_accept, L);
	mut[L - 18] = RADIUS_A_CLASS;
	assert_int_equal(parse_mut(L), RADIUS_PERR_OK);
	assert_int_equal(pkt.ma_index, -1);
	assert_int_equal(radius_verify_response(&pkt, auth_of(cap_pap_ok_req), SECRET, SLEN, true),
			 -EBADMSG);

	/* too many attributes: 4076 octets of zero-length Class... is refused as VALUE_LENGTH;
	 * unknown attributes of length 2 count towards the bound */
	memset(mut, 0, sizeof(mut));
	mut[0] = RADIUS_ACCESS_ACCEPT;
	set_len(RADIUS_MAX_LEN);
	for (size_t o = 20; o + 2 <= RADIUS_MAX_LEN; o += 2) {
		mut[o] = 200;
		mut[o + 1] = 2;
	}
	assert_int_equal(parse_mut(RADIUS_MAX_LEN), RADIUS_PERR_TOO_MANY);
	mut[20] = RADIUS_A_CLASS;
	assert_int_equal(parse_mut(RADIUS_MAX_LEN), RADIUS_PERR_VALUE_LENGTH);
}

static void test_eap_get_mismatch(void **state)
{
	static uint8_t buf[RADIUS_MAX_LEN], eap[64];
	static const uint8_t ra[16];
	struct radius_bld b;
	size_t n;

	(void)state;
	/* EAP header says 22 but 21 octets are carried */
	memcpy(eap, "\x01\x05\x00\x16\x04\x10", 6);
	radius_bld_init(&b, buf, sizeof(buf), RADIUS_ACCESS_CHALLENGE, 1, ra, true);
	radius_bld_eap(&b, eap, 21);
	n = radius_bld_finish(&b, SECRET, SLEN);
	assert_int_equal(radius_parse(buf, n, &pkt), RADIUS_PERR_OK);
	assert_int_equal(radius_eap_get(&pkt, eap, sizeof(eap)), -EBADMSG);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(radius_code_name(RADIUS_COA_NAK), "CoA-NAK");
	assert_string_equal(radius_code_name(99), "unknown");
	assert_string_equal(radius_attr_name(0, RADIUS_A_EAP_MESSAGE), "EAP-Message");
	assert_string_equal(radius_attr_name(311, 17), "MS-MPPE-Recv-Key");
	assert_null(radius_attr_name(0, 250));
	assert_true(radius_code_answers(RADIUS_DISCONNECT_REQUEST, RADIUS_DISCONNECT_NAK));
	assert_false(radius_code_answers(RADIUS_ACCOUNTING_REQUEST, RADIUS_ACCESS_ACCEPT));
	assert_string_equal(radius_perr_str(RADIUS_PERR_MA_DUP),
			    "more than one Message-Authenticator");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pap_accept),
		cmocka_unit_test(test_pap_request_password),
		cmocka_unit_test(test_pap_reject),
		cmocka_unit_test(test_eap_md5_exchange),
		cmocka_unit_test(test_mschapv2_mppe),
		cmocka_unit_test(test_build_accounting_exact),
		cmocka_unit_test(test_build_access_roundtrip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_eap_get_mismatch),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
