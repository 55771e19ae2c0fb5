/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The dynamic authorization server (RFC 5176) without a socket: requests captured from
 * FreeRADIUS 3.2's radclient and requests built here go through dae_handle() against a fake
 * session table; every answer is parsed and its Response Authenticator checked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "controlplane/aaa/dae.h"
#include "controlplane/aaa/radius.h"

#define SECRET "s3cret-dae"
#define NOW 1700000000ull

/* radclient (FreeRADIUS 3.2.1) to 127.0.0.1, secret s3cret-dae:
 * disconnect: User-Name = "alice", Acct-Session-Id = "6560A1B2-00000003",
 *             Event-Timestamp = 1700000000 */
static const uint8_t rc_disc_user[] = {
	0x28, 0xf8, 0x00, 0x34, 0x70, 0xb8, 0x18, 0x75, 0xd7, 0xb3, 0x60, 0xf4, 0xb7, 0x02,
	0xb8, 0xa8, 0x7a, 0x33, 0x7b, 0xb6, 0x01, 0x07, 0x61, 0x6c, 0x69, 0x63, 0x65, 0x2c,
	0x13, 0x36, 0x35, 0x36, 0x30, 0x41, 0x31, 0x42, 0x32, 0x2d, 0x30, 0x30, 0x30, 0x30,
	0x30, 0x30, 0x30, 0x33, 0x37, 0x06, 0x65, 0x53, 0xf1, 0x00,
};
/* disconnect: Framed-IP-Address = 198.18.0.3, Message-Authenticator, Proxy-State = "ABC" */
static const uint8_t rc_disc_framed[] = {
	0x28, 0x68, 0x00, 0x31, 0x32, 0x0d, 0xbc, 0x05, 0xde, 0x5d, 0xb4, 0x1d, 0x9b, 0x79,
	0xa0, 0xc4, 0xf2, 0x3d, 0x53, 0xa7, 0x08, 0x06, 0xc6, 0x12, 0x00, 0x03, 0x50, 0x12,
	0xcf, 0x97, 0xc3, 0x5c, 0x98, 0x0b, 0x3c, 0xba, 0xa7, 0x7e, 0xe8, 0x8a, 0x5f, 0x1a,
	0x2f, 0x6b, 0x21, 0x05, 0x41, 0x42, 0x43,
};
/* coa: User-Name = "bob", Session-Timeout = 600 */
static const uint8_t rc_coa_bob[] = {
	0x2b, 0x50, 0x00, 0x1f, 0x95, 0x26, 0x3c, 0x19, 0xf4, 0xe0, 0xc3, 0xa3, 0x28, 0x1b,
	0x44, 0x1a, 0x2c, 0x86, 0xde, 0x73, 0x01, 0x05, 0x62, 0x6f, 0x62, 0x1b, 0x06, 0x00,
	0x00, 0x02, 0x58,
};

/* ---- the fake session table ---------------------------------------------------------------- */

static const struct {
	uint32_t id;
	const char *user, *sid, *calling;
	uint8_t ip[4];
} sessions[] = {
	{ 1, "alice", "6560A1B2-00000001", "192.0.2.11", { 198, 18, 0, 1 } },
	{ 2, "bob", "6560A1B2-00000002", "192.0.2.12", { 198, 18, 0, 2 } },
	{ 3, "alice", "6560A1B2-00000003", "192.0.2.13", { 198, 18, 0, 3 } },
};

static uint32_t disconnected[16], timed[16], timeouts[16];
static unsigned n_disc, n_timed;
static int disconnect_rc;

static void fake_foreach(void *arg, void (*fn)(const struct dae_session *s, void *fn_arg),
			 void *fn_arg)
{
	(void)arg;
	for (unsigned i = 0; i < 3; i++) {
		struct dae_session s = { .id = sessions[i].id, .user = sessions[i].user,
					 .acct_sid = sessions[i].sid, .calling = sessions[i].calling,
					 .has_framed4 = true };

		memcpy(s.framed4, sessions[i].ip, 4);
		fn(&s, fn_arg);
	}
}

static int fake_disconnect(void *arg, uint32_t id)
{
	(void)arg;
	if (disconnect_rc)
		return disconnect_rc;
	disconnected[n_disc++ % 16] = id;
	return 0;
}

static int fake_timeout(void *arg, uint32_t id, uint32_t t)
{
	(void)arg;
	timed[n_timed % 16] = id;
	timeouts[n_timed++ % 16] = t;
	return 0;
}

static struct dae *d;
static struct sockaddr_in client;
static uint8_t out[RADIUS_MAX_LEN];
static struct radius_pkt resp, req;

static int setup(void **state)
{
	struct dae_cfg c;
	struct dae_ops ops = { .foreach = fake_foreach, .disconnect = fake_disconnect,
			       .session_timeout = fake_timeout };

	(void)state;
	memset(&c, 0, sizeof(c));
	c.n_clients = 1;
	c.client[0].addr.ss_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &((struct sockaddr_in *)&c.client[0].addr)->sin_addr);
	memcpy(c.client[0].secret, SECRET, strlen(SECRET));
	c.client[0].secret_len = strlen(SECRET);
	c.ts_window_s = 300;
	memset(&client, 0, sizeof(client));
	client.sin_family = AF_INET;
	client.sin_port = htons(50370);
	inet_pton(AF_INET, "127.0.0.1", &client.sin_addr);
	n_disc = n_timed = 0;
	disconnect_rc = 0;
	return dae_new(NULL, &c, &ops, &d);
}

static int teardown(void **state)
{
	(void)state;
	dae_free(d);
	d = NULL;
	return 0;
}

/* Send @p buf; @return the answer's code (0: dropped), its Error-Cause in *@p ec. */
static uint8_t handle(const uint8_t *buf, size_t len, uint32_t *ec)
{
	size_t n;

	n = dae_handle(d, (struct sockaddr *)&client, sizeof(client), buf, len, NOW, out,
		       sizeof(out));
	if (!n)
		return 0;
	assert_int_equal(radius_parse(buf, len, &req), RADIUS_PERR_OK);
	assert_int_equal(radius_parse(out, n, &resp), RADIUS_PERR_OK);
	assert_int_equal(resp.id, req.id);
	assert_int_equal(radius_verify_response(&resp, req.auth, SECRET, strlen(SECRET), false), 0);
	/* RFC 5176 §3.3: a Message-Authenticator in the request: one in the answer */
	assert_int_equal(resp.ma_index >= 0, req.ma_index >= 0);
	*ec = 0;
	radius_get_u32(&resp, RADIUS_A_ERROR_CAUSE, ec);
	return resp.code;
}

struct attr {
	uint8_t type;
	const void *val;
	size_t len;
};

static size_t build(uint8_t *buf, uint8_t code, uint8_t id, bool ma, const char *secret,
		    const struct attr *a, unsigned n)
{
	struct radius_bld b;

	radius_bld_init(&b, buf, RADIUS_MAX_LEN, code, id, NULL, ma);
	for (unsigned i = 0; i < n; i++)
		assert_true(radius_bld_attr(&b, a[i].type, a[i].val, a[i].len));
	return radius_bld_finish(&b, secret, strlen(secret));
}

#define S(t, s) { t, s, sizeof(s) - 1 }

static void test_radclient_captures(void **state)
{
	uint32_t ec;
	unsigned from = 0;
	const struct radius_attr *ps;

	(void)state;
	assert_int_equal(handle(rc_disc_user, sizeof(rc_disc_user), &ec), RADIUS_DISCONNECT_ACK);
	assert_int_equal(ec, 0);
	assert_int_equal(n_disc, 1);
	assert_int_equal(disconnected[0], 3); /* alice with that Acct-Session-Id only */

	assert_int_equal(handle(rc_disc_framed, sizeof(rc_disc_framed), &ec),
			 RADIUS_DISCONNECT_ACK);
	assert_int_equal(n_disc, 2);
	assert_int_equal(disconnected[1], 3);
	ps = radius_find(&resp, 0, RADIUS_A_PROXY_STATE, &from);
	assert_non_null(ps);
	assert_memory_equal(ps->val, "ABC", 3);

	assert_int_equal(handle(rc_coa_bob, sizeof(rc_coa_bob), &ec), RADIUS_COA_ACK);
	assert_int_equal(n_timed, 1);
	assert_int_equal(timed[0], 2);
	assert_int_equal(timeouts[0], 600);
}

static void test_match(void **state)
{
	static const uint8_t ip1[4] = { 198, 18, 0, 1 }, ip9[4] = { 198, 18, 0, 9 };
	uint8_t buf[RADIUS_MAX_LEN];
	uint32_t ec;
	size_t n;

	(void)state;
	/* User-Name alone: every session of the user */
	struct attr a1[] = { S(RADIUS_A_USER_NAME, "alice") };
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 1, false, SECRET, a1, 1);
	assert_int_equal(handle(buf, n, &ec), RADIUS_DISCONNECT_ACK);
	assert_int_equal(n_disc, 2);
	assert_int_equal(disconnected[0], 1);
	assert_int_equal(disconnected[1], 3);
	/* every identification attribute given must match */
	struct attr a2[] = { S(RADIUS_A_USER_NAME, "alice"),
			     { RADIUS_A_FRAMED_IP_ADDRESS, ip1, 4 } };
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 2, true, SECRET, a2, 2);
	assert_int_equal(handle(buf, n, &ec), RADIUS_DISCONNECT_ACK);
	assert_int_equal(n_disc, 3);
	assert_int_equal(disconnected[2], 1);
	struct attr a3[] = { S(RADIUS_A_ACCT_SESSION_ID, "6560A1B2-00000002") };
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 3, false, SECRET, a3, 1);
	assert_int_equal(handle(buf, n, &ec), RADIUS_DISCONNECT_ACK);
	assert_int_equal(disconnected[3], 2);
	struct attr a4[] = { S(RADIUS_A_CALLING_STATION_ID, "192.0.2.13") };
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 4, false, SECRET, a4, 1);
	assert_int_equal(handle(buf, n, &ec), RADIUS_DISCONNECT_ACK);
	assert_int_equal(disconnected[4], 3);
	/* nothing matches: 503 */
	struct attr a5[] = { S(RADIUS_A_USER_NAME, "alice"), { RADIUS_A_FRAMED_IP_ADDRESS, ip9, 4 } };
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 5, false, SECRET, a5, 2);
	assert_int_equal(handle(buf, n, &ec), RADIUS_DISCONNECT_NAK);
	assert_int_equal(ec, DAE_ERR_SESSION_NOT_FOUND);
	struct attr a6[] = { S(RADIUS_A_USER_NAME, "alic") };
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 6, false, SECRET, a6, 1);
	assert_int_equal(handle(buf, n, &ec), RADIUS_DISCONNECT_NAK);
	assert_int_equal(ec, DAE_ERR_SESSION_NOT_FOUND);
	assert_int_equal(n_disc, 5);
	/* the session owner cannot: 504 */
	disconnect_rc = -EIO;
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 7, false, SECRET, a3, 1);
	assert_int_equal(handle(buf, n, &ec), RADIUS_DISCONNECT_NAK);
	assert_int_equal(ec, DAE_ERR_SESSION_NOT_REMOVABLE);
}

static void test_invalid(void **state)
{
	static const uint8_t st600[4] = { 0, 0, 2, 0x58 }, st0[4] = { 0 };
	static const uint8_t nas[4] = { 192, 0, 2, 1 };
	uint8_t buf[RADIUS_MAX_LEN];
	uint32_t ec;
	size_t n;

	(void)state;
	/* no session identification: 402 (not "every session") */
	struct attr a1[] = { { RADIUS_A_NAS_IP_ADDRESS, nas, 4 } };
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 1, false, SECRET, a1, 1);
	assert_int_equal(handle(buf, n, &ec), RADIUS_DISCONNECT_NAK);
	assert_int_equal(ec, DAE_ERR_MISSING_ATTRIBUTE);
	/* an attribute we do not act on: 401, nothing done */
	struct attr a2[] = { S(RADIUS_A_USER_NAME, "bob"), S(RADIUS_A_FILTER_ID, "acl1") };
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 2, false, SECRET, a2, 2);
	assert_int_equal(handle(buf, n, &ec), RADIUS_DISCONNECT_NAK);
	assert_int_equal(ec, DAE_ERR_UNSUPPORTED_ATTRIBUTE);
	struct attr a3[] = { S(RADIUS_A_USER_NAME, "bob"), { RADIUS_A_SESSION_TIMEOUT, st600, 4 } };
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 3, false, SECRET, a3, 2);
	assert_int_equal(handle(buf, n, &ec), RADIUS_DISCONNECT_NAK);
	assert_int_equal(ec, DAE_ERR_UNSUPPORTED_ATTRIBUTE);
	/* twice: 404 */
	struct attr a4[] = { S(RADIUS_A_USER_NAME, "bob"), S(RADIUS_A_USER_NAME, "alice") };
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 4, false, SECRET, a4, 2);
	assert_int_equal(handle(buf, n, &ec), RADIUS_DISCONNECT_NAK);
	assert_int_equal(ec, DAE_ERR_INVALID_REQUEST);
	/* CoA: Session-Timeout required and not 0 */
	struct attr a5[] = { S(RADIUS_A_USER_NAME, "bob") };
	n = build(buf, RADIUS_COA_REQUEST, 5, false, SECRET, a5, 1);
	assert_int_equal(handle(buf, n, &ec), RADIUS_COA_NAK);
	assert_int_equal(ec, DAE_ERR_MISSING_ATTRIBUTE);
	struct attr a6[] = { S(RADIUS_A_USER_NAME, "bob"), { RADIUS_A_SESSION_TIMEOUT, st0, 4 } };
	n = build(buf, RADIUS_COA_REQUEST, 6, false, SECRET, a6, 2);
	assert_int_equal(handle(buf, n, &ec), RADIUS_COA_NAK);
	assert_int_equal(ec, DAE_ERR_INVALID_ATTRIBUTE_VALUE);
	/* a vendor attribute */
	{
		struct radius_bld b;

		radius_bld_init(&b, buf, sizeof(buf), RADIUS_COA_REQUEST, 7, NULL, false);
		radius_bld_str(&b, RADIUS_A_USER_NAME, "bob");
		radius_bld_u32(&b, RADIUS_A_SESSION_TIMEOUT, 60);
		radius_bld_vsa(&b, 9, 1, "ipsec:banner=hi", 15);
		n = radius_bld_finish(&b, SECRET, strlen(SECRET));
	}
	assert_int_equal(handle(buf, n, &ec), RADIUS_COA_NAK);
	assert_int_equal(ec, DAE_ERR_UNSUPPORTED_ATTRIBUTE);
	assert_int_equal(n_disc, 0);
	assert_int_equal(n_timed, 0);
}

/* The Request Authenticator of a Disconnect/CoA-Request (RFC 5176 §2.3), recomputed. */
static void resign(uint8_t *buf, size_t n)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned ml;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	assert_non_null(c);
	memset(buf + 4, 0, 16);
	EVP_DigestInit_ex(c, EVP_md5(), NULL);
	EVP_DigestUpdate(c, buf, n);
	EVP_DigestUpdate(c, SECRET, strlen(SECRET));
	EVP_DigestFinal_ex(c, md, &ml);
	EVP_MD_CTX_free(c);
	memcpy(buf + 4, md, 16);
}

static void test_dropped(void **state)
{
	uint8_t buf[RADIUS_MAX_LEN];
	struct dae_stats st;
	uint32_t ec;
	uint8_t ts[4];
	size_t n;

	(void)state;
	struct attr a1[] = { S(RADIUS_A_USER_NAME, "bob") };
	/* wrong secret */
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 1, false, "not-the-secret", a1, 1);
	assert_int_equal(handle(buf, n, &ec), 0);
	/* radclient's request with a wrong Message-Authenticator but a Request Authenticator
	 * computed over it (so only the Message-Authenticator is wrong) */
	memcpy(buf, rc_disc_framed, sizeof(rc_disc_framed));
	n = sizeof(rc_disc_framed);
	resign(buf, n);
	assert_memory_equal(buf, rc_disc_framed, n); /* the signing is radclient's */
	buf[28] ^= 1; /* in the Message-Authenticator (type 80 at offset 26) */
	resign(buf, n);
	assert_int_equal(handle(buf, n, &ec), 0);
	/* unknown client */
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 3, false, SECRET, a1, 1);
	inet_pton(AF_INET, "192.0.2.99", &client.sin_addr);
	assert_int_equal(handle(buf, n, &ec), 0);
	inet_pton(AF_INET, "127.0.0.1", &client.sin_addr);
	/* stale Event-Timestamp (window 300 s) */
	ts[0] = (uint8_t)((NOW - 301) >> 24);
	ts[1] = (uint8_t)((NOW - 301) >> 16);
	ts[2] = (uint8_t)((NOW - 301) >> 8);
	ts[3] = (uint8_t)(NOW - 301);
	struct attr a2[] = { S(RADIUS_A_USER_NAME, "bob"), { RADIUS_A_EVENT_TIMESTAMP, ts, 4 } };
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 4, false, SECRET, a2, 2);
	assert_int_equal(handle(buf, n, &ec), 0);
	/* within the window: taken */
	ts[3] = (uint8_t)(NOW - 299);
	ts[2] = (uint8_t)((NOW - 299) >> 8);
	n = build(buf, RADIUS_DISCONNECT_REQUEST, 5, false, SECRET, a2, 2);
	assert_int_equal(handle(buf, n, &ec), RADIUS_DISCONNECT_ACK);
	/* not a DAE code */
	n = build(buf, RADIUS_ACCOUNTING_REQUEST, 6, false, SECRET, a1, 1);
	assert_int_equal(handle(buf, n, &ec), 0);
	/* malformed */
	assert_int_equal(handle(buf, 19, &ec), 0);
	dae_get_stats(d, &st);
	assert_int_equal(st.bad_auth, 2);
	assert_int_equal(st.unknown_client, 1);
	assert_int_equal(st.stale, 1);
	assert_int_equal(st.unsupported_code, 1);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(st.disconnect_ack, 1);
	assert_int_equal(n_disc, 1);
}

static void test_retransmission(void **state)
{
	uint8_t first[RADIUS_MAX_LEN];
	struct dae_stats st;
	uint32_t ec;
	size_t n1;

	(void)state;
	assert_int_equal(handle(rc_disc_user, sizeof(rc_disc_user), &ec), RADIUS_DISCONNECT_ACK);
	n1 = resp.length;
	memcpy(first, out, n1);
	/* the same datagram again: the same answer, the session not disconnected twice */
	assert_int_equal(handle(rc_disc_user, sizeof(rc_disc_user), &ec), RADIUS_DISCONNECT_ACK);
	assert_int_equal(resp.length, n1);
	assert_memory_equal(out, first, n1);
	assert_int_equal(n_disc, 1);
	dae_get_stats(d, &st);
	assert_int_equal(st.duplicates, 1);
}

static void test_require_ts(void **state)
{
	struct dae_cfg c;
	struct dae_ops ops = { .foreach = fake_foreach, .disconnect = fake_disconnect,
			       .session_timeout = fake_timeout };
	uint32_t ec;

	(void)state;
	dae_free(d);
	memset(&c, 0, sizeof(c));
	c.n_clients = 1;
	c.client[0].addr.ss_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &((struct sockaddr_in *)&c.client[0].addr)->sin_addr);
	memcpy(c.client[0].secret, SECRET, strlen(SECRET));
	c.client[0].secret_len = strlen(SECRET);
	c.ts_window_s = 300;
	c.require_ts = true;
	assert_int_equal(dae_new(NULL, &c, &ops, &d), 0);
	assert_int_equal(handle(rc_coa_bob, sizeof(rc_coa_bob), &ec), 0);
	assert_int_equal(handle(rc_disc_user, sizeof(rc_disc_user), &ec), RADIUS_DISCONNECT_ACK);
	/* and a NAS-IP-Address that is not ours when ours is set: 403 */
	dae_free(d);
	c.require_ts = false;
	c.nas_af = 4;
	inet_pton(AF_INET, "192.0.2.2", c.nas_addr);
	assert_int_equal(dae_new(NULL, &c, &ops, &d), 0);
	{
		static const uint8_t nas[4] = { 192, 0, 2, 1 };
		uint8_t buf[RADIUS_MAX_LEN];
		struct attr a[] = { S(RADIUS_A_USER_NAME, "bob"), { RADIUS_A_NAS_IP_ADDRESS, nas, 4 } };
		size_t n = build(buf, RADIUS_DISCONNECT_REQUEST, 9, false, SECRET, a, 2);

		assert_int_equal(handle(buf, n, &ec), RADIUS_DISCONNECT_NAK);
		assert_int_equal(ec, DAE_ERR_NAS_MISMATCH);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_radclient_captures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_require_ts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
