/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The local user base (aaa.local_users[_file]) and the local EAP server: EAP-MD5, the
 * MS-CHAPv2 vectors of RFC 2759 §9.2 and the MPPE key vectors of RFC 3079 §3.5, whole
 * conversations (the peer played with eap.c and the RFC-checked primitives), config errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/conf.h"
#include "common/log.h"
#include "controlplane/aaa/aaa_conf.h"
#include "controlplane/aaa/eap.h"
#include "controlplane/aaa/eap_local.h"
#include "controlplane/aaa/local_users.h"

static const uint8_t tag[8] = "TESTTAG!";

static void unhex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* RFC 2759 §9.2 */
#define RFC_USER "User"
#define RFC_PASS "clientPass"
#define RFC_AUTH_CHAL "5B5D7C7D7B3F2F3E3C2C602132262628"
#define RFC_PEER_CHAL "21402324255E262A28295F2B3A337C7E"
#define RFC_NT_RESP "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF"

static struct eap_local *el_or_skip(void)
{
	struct eap_local *el;

	assert_int_equal(eap_local_new(&el), 0);
	if (!eap_local_has_mschapv2(el)) {
		eap_local_free(el);
		print_message("OpenSSL legacy provider not loadable: MSCHAPv2 not testable\n");
		skip();
	}
	return el;
}

static void test_md5_vector(void **state)
{
	uint8_t chal[16], v[16], want[16];

	(void)state;
	/* MD5(0x2a | "clientPass" | challenge), computed independently (Python hashlib) */
	unhex(RFC_AUTH_CHAL, chal, 16);
	unhex("9966cfdea8173477fb942a7606aeb0c7", want, 16);
	assert_int_equal(eap_local_md5_value(0x2a, (const uint8_t *)RFC_PASS, 10, chal, 16, v), 0);
	assert_memory_equal(v, want, 16);
}

static void test_mschapv2_rfc2759(void **state)
{
	struct eap_local *el = el_or_skip();
	uint8_t ac[16], pc[16], h[16], want[24], nt[24];
	char auth[43];

	(void)state;
	unhex(RFC_AUTH_CHAL, ac, 16);
	unhex(RFC_PEER_CHAL, pc, 16);
	assert_int_equal(eap_local_nt_hash(el, (const uint8_t *)RFC_PASS, 10, h), 0);
	unhex("44EBBA8D5312B8D611474411F56989AE", want, 16);
	assert_memory_equal(h, want, 16);
	assert_int_equal(eap_local_nt_response(el, ac, pc, (const uint8_t *)RFC_USER, 4,
					       (const uint8_t *)RFC_PASS, 10, nt), 0);
	unhex(RFC_NT_RESP, want, 24);
	assert_memory_equal(nt, want, 24);
	/* a "DOMAIN\" prefix is not part of the user name (RFC 2759 §8.2) */
	assert_int_equal(eap_local_nt_response(el, ac, pc, (const uint8_t *)"LAB\\User", 8,
					       (const uint8_t *)RFC_PASS, 10, nt), 0);
	assert_memory_equal(nt, want, 24);
	assert_int_equal(eap_local_auth_response(el, (const uint8_t *)RFC_PASS, 10, want, pc, ac,
						 (const uint8_t *)RFC_USER, 4, auth), 0);
	assert_string_equal(auth, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
	/* not UTF-8: refused, not guessed */
	assert_int_equal(eap_local_nt_hash(el, (const uint8_t *)"\xff\xfe", 2, h), -EINVAL);
	eap_local_free(el);
}

static void test_mppe_rfc3079(void **state)
{
	struct eap_local *el = el_or_skip();
	uint8_t nt[24], master[16], msk[32], want[32];

	(void)state;
	unhex(RFC_NT_RESP, nt, 24);
	assert_int_equal(eap_local_mschapv2_keys(el, (const uint8_t *)RFC_PASS, 10, nt, master,
						 msk), 0);
	unhex("FDECE3717A8C838CB388E527AE3CDD31", want, 16); /* §3.5.3 MasterKey */
	assert_memory_equal(master, want, 16);
	/* §3.5.3 SendStartKey128 (the server's send key, Magic3) is the second half; the first,
	 * the server's receive key (Magic2), computed independently (Python hashlib) */
	unhex("D5F0E9521E3EA9589645E86051C822268B7CDC149B993A1BA118CB153F56DCCB", want, 32);
	assert_memory_equal(msk, want, 32);
	eap_local_free(el);
}

/* ---- conversations ---------------------------------------------------------------------- */

static struct local_users *users_from(const char *text)
{
	struct local_users *u = NULL;
	struct rp_cfg c;

	assert_int_equal(rp_cfg_load_string(&c, "t.conf", text, rp_conf_schema), 0);
	assert_int_equal(local_users_load(&c, &u), 0);
	rp_cfg_free(&c);
	assert_non_null(u);
	return u;
}

struct conv {
	struct eap_local *el;
	struct local_users *u;
	const char *user;
	uint8_t state[EAP_LOCAL_STATE_MAX];
	size_t state_len;
	struct eap_local_out o;
	struct eap_pkt req;     /* the last request (views into o.eap) */
	uint8_t req_buf[EAP_LOCAL_MSG_MAX];
};

static void step(struct conv *c, const uint8_t *eap, size_t len)
{
	assert_int_equal(eap_local_process(c->el, c->u, tag, sizeof(tag), (const uint8_t *)c->user,
					   strlen(c->user), eap, len, c->state, c->state_len,
					   &c->o), 0);
	if (c->o.verdict == EAP_LOCAL_CHALLENGE) {
		assert_true(c->o.state_len > sizeof(tag));
		assert_memory_equal(c->o.state, tag, sizeof(tag));
		memcpy(c->state, c->o.state, c->o.state_len);
		c->state_len = c->o.state_len;
		memcpy(c->req_buf, c->o.eap, c->o.eap_len);
		assert_int_equal(eap_parse(c->req_buf, c->o.eap_len, &c->req), 0);
		assert_int_equal(c->req.code, EAP_REQUEST);
	}
}

static void start(struct conv *c, struct eap_local *el, struct local_users *u, const char *user)
{
	uint8_t id[300];
	size_t n;

	memset(c, 0, sizeof(*c));
	c->el = el;
	c->u = u;
	c->user = user;
	n = eap_build_identity_response(0, user, strlen(user), id, sizeof(id));
	step(c, id, n);
	assert_int_equal(c->o.verdict, EAP_LOCAL_CHALLENGE);
}

/* Answer the current request with a legacy Nak proposing @p type. */
static void nak(struct conv *c, uint8_t type)
{
	uint8_t b[6] = { EAP_RESPONSE, c->req.id, 0, 6, EAP_T_NAK, type };

	step(c, b, sizeof(b));
}

static void md5_answer(struct conv *c, const char *pw)
{
	uint8_t r[64];
	size_t n = eap_md5_response(&c->req, pw, strlen(pw), r, sizeof(r));

	assert_true(n > 0);
	step(c, r, n);
}

static void to_md5(struct conv *c)
{
	if (c->req.type == EAP_T_MSCHAPV2)
		nak(c, EAP_T_MD5);
	assert_int_equal(c->o.verdict, EAP_LOCAL_CHALLENGE);
	assert_int_equal(c->req.type, EAP_T_MD5);
}

static const char users_text[] =
	"aaa = { local_users = ( { name = \"alice\"; password = \"alice-pw\"; },\n"
	"                        { name = \"User\"; password = \"clientPass\"; } ); };\n";

static void test_md5_conversation(void **state)
{
	struct local_users *u = users_from(users_text);
	struct eap_local *el;
	struct conv c;

	(void)state;
	assert_int_equal(eap_local_new(&el), 0);
	start(&c, el, u, "alice");
	to_md5(&c);
	md5_answer(&c, "alice-pw");
	assert_int_equal(c.o.verdict, EAP_LOCAL_SUCCESS);
	assert_int_equal(c.o.msk_len, 0);
	assert_int_equal(c.o.eap_len, 4);
	assert_int_equal(c.o.eap[0], EAP_SUCCESS);
	/* wrong password */
	start(&c, el, u, "alice");
	to_md5(&c);
	md5_answer(&c, "alice-pW");
	assert_int_equal(c.o.verdict, EAP_LOCAL_FAILURE);
	assert_int_equal(c.o.eap[0], EAP_FAILURE);
	assert_non_null(strstr(c.o.why, "wrong password"));
	assert_null(strstr(c.o.why, "alice-pw"));
	/* unknown user: challenged all the same, refused at the response */
	start(&c, el, u, "mallory");
	to_md5(&c);
	md5_answer(&c, "alice-pw");
	assert_int_equal(c.o.verdict, EAP_LOCAL_FAILURE);
	assert_non_null(strstr(c.o.why, "no local user"));
	/* names are exact */
	start(&c, el, u, "Alice");
	to_md5(&c);
	md5_answer(&c, "alice-pw");
	assert_int_equal(c.o.verdict, EAP_LOCAL_FAILURE);
	/* a Nak for a method we do not have ends it */
	start(&c, el, u, "alice");
	to_md5(&c);
	nak(&c, EAP_T_TLS);
	assert_int_equal(c.o.verdict, EAP_LOCAL_FAILURE);
	assert_non_null(strstr(c.o.why, "refuses"));
	eap_local_free(el);
	local_users_free(u);
}

static void test_protocol_errors(void **state)
{
	struct local_users *u = users_from(users_text);
	struct eap_local *el;
	struct conv c, d;
	uint8_t r[64], bad[4] = { EAP_SUCCESS, 1, 0, 4 };
	size_t n;

	(void)state;
	assert_int_equal(eap_local_new(&el), 0);
	/* the first message must be an Identity Response */
	memset(&c, 0, sizeof(c));
	c.el = el;
	c.u = u;
	c.user = "alice";
	step(&c, bad, sizeof(bad));
	assert_int_equal(c.o.verdict, EAP_LOCAL_FAILURE);
	start(&c, el, u, "alice");
	to_md5(&c);
	n = eap_md5_response(&c.req, "alice-pw", 8, r, sizeof(r));
	/* another identifier */
	d = c;
	r[1]++;
	step(&d, r, n);
	assert_int_equal(d.o.verdict, EAP_LOCAL_FAILURE);
	assert_non_null(strstr(d.o.why, "identifier"));
	r[1]--;
	/* a state of someone else */
	d = c;
	d.state[0] ^= 1;
	step(&d, r, n);
	assert_int_equal(d.o.verdict, EAP_LOCAL_FAILURE);
	assert_non_null(strstr(d.o.why, "not a state"));
	/* a truncated state */
	d = c;
	d.state_len -= 1;
	step(&d, r, n);
	assert_int_equal(d.o.verdict, EAP_LOCAL_FAILURE);
	/* a response of another type */
	d = c;
	r[4] = EAP_T_GTC;
	step(&d, r, n);
	assert_int_equal(d.o.verdict, EAP_LOCAL_FAILURE);
	r[4] = EAP_T_MD5;
	/* a short MD5 value */
	d = c;
	r[5] = 15;
	step(&d, r, n);
	assert_int_equal(d.o.verdict, EAP_LOCAL_FAILURE);
	r[5] = 16;
	/* and the untouched one passes */
	step(&c, r, n);
	assert_int_equal(c.o.verdict, EAP_LOCAL_SUCCESS);
	eap_local_free(el);
	local_users_free(u);
}

/* The peer's MS-CHAPv2 Response to the current challenge (draft §2.2). */
static size_t mschap_answer(struct conv *c, const char *name, const char *pw,
			    const uint8_t peer_chal[16], uint8_t *r)
{
	size_t nl = strlen(name), len = 5 + 4 + 1 + 49 + nl;

	assert_int_equal(c->req.type, EAP_T_MSCHAPV2);
	assert_int_equal(c->req.data[0], 1);        /* Challenge */
	assert_int_equal(c->req.data[4], 16);       /* Value-Size */
	memset(r, 0, len);
	r[0] = EAP_RESPONSE;
	r[1] = c->req.id;
	r[2] = (uint8_t)(len >> 8);
	r[3] = (uint8_t)len;
	r[4] = EAP_T_MSCHAPV2;
	r[5] = 2;                                   /* Response */
	r[6] = c->req.data[1];                      /* MS-CHAPv2-ID */
	r[7] = (uint8_t)((len - 5) >> 8);
	r[8] = (uint8_t)(len - 5);
	r[9] = 49;
	memcpy(r + 10, peer_chal, 16);
	assert_int_equal(eap_local_nt_response(c->el, c->req.data + 5, peer_chal,
					       (const uint8_t *)name, nl, (const uint8_t *)pw,
					       strlen(pw), r + 10 + 16 + 8), 0);
	memcpy(r + 10 + 49, name, nl);
	return len;
}

static void test_mschapv2_conversation(void **state)
{
	struct local_users *u = users_from(users_text);
	struct eap_local *el = el_or_skip();
	uint8_t r[128], pc[16], ac[16], nt[24], master[16], msk[32];
	uint8_t ack[6] = { EAP_RESPONSE, 0, 0, 6, EAP_T_MSCHAPV2, 3 };
	char auth[43];
	struct conv c;
	size_t n;

	(void)state;
	unhex(RFC_PEER_CHAL, pc, 16);
	start(&c, el, u, "User");
	assert_int_equal(c.req.type, EAP_T_MSCHAPV2); /* proposed first */
	memcpy(ac, c.req.data + 5, 16);
	n = mschap_answer(&c, "User", RFC_PASS, pc, r);
	memcpy(nt, r + 10 + 24, 24);
	step(&c, r, n);
	assert_int_equal(c.o.verdict, EAP_LOCAL_CHALLENGE);
	/* Success Request: opcode 3 and our authenticator response, as RFC 2759 computes it */
	assert_int_equal(c.req.data[0], 3);
	assert_int_equal(eap_local_auth_response(el, (const uint8_t *)RFC_PASS, 10, nt, pc, ac,
						 (const uint8_t *)"User", 4, auth), 0);
	assert_true(c.req.data_len >= 4 + 42);
	assert_memory_equal(c.req.data + 4, auth, 42);
	/* the MSK is not handed out before the peer acknowledges, nor kept in the state */
	assert_int_equal(c.o.msk_len, 0);
	assert_int_equal(eap_local_mschapv2_keys(el, (const uint8_t *)RFC_PASS, 10, nt, master,
						 msk), 0);
	assert_null(memmem(c.state, c.state_len, msk, 16));
	assert_null(memmem(c.state, c.state_len, msk + 16, 16));
	assert_null(memmem(c.state, c.state_len, master, 16));
	ack[1] = c.req.id;
	step(&c, ack, sizeof(ack));
	assert_int_equal(c.o.verdict, EAP_LOCAL_SUCCESS);
	assert_int_equal(c.o.eap[0], EAP_SUCCESS);
	assert_int_equal(c.o.msk_len, 32);
	assert_memory_equal(c.o.msk, msk, 32);
	/* wrong password */
	start(&c, el, u, "User");
	n = mschap_answer(&c, "User", "clientpass", pc, r);
	step(&c, r, n);
	assert_int_equal(c.o.verdict, EAP_LOCAL_FAILURE);
	assert_non_null(strstr(c.o.why, "wrong password"));
	assert_int_equal(c.o.msk_len, 0);
	/* a peer that rejects our authenticator response (Failure opcode instead of Success) */
	start(&c, el, u, "User");
	n = mschap_answer(&c, "User", RFC_PASS, pc, r);
	step(&c, r, n);
	ack[1] = c.req.id;
	ack[5] = 4;
	step(&c, ack, sizeof(ack));
	assert_int_equal(c.o.verdict, EAP_LOCAL_FAILURE);
	assert_int_equal(c.o.msk_len, 0);
	/* a client that only does MD5 NAKs MSCHAPv2 */
	start(&c, el, u, "alice");
	nak(&c, EAP_T_MD5);
	assert_int_equal(c.req.type, EAP_T_MD5);
	md5_answer(&c, "alice-pw");
	assert_int_equal(c.o.verdict, EAP_LOCAL_SUCCESS);
	eap_local_free(el);
	local_users_free(u);
}

/* ---- configuration ---------------------------------------------------------------------- */

static char tmpl[64];

static const char *write_file(const char *text)
{
	int fd;

	snprintf(tmpl, sizeof(tmpl), "/tmp/rampart-users-XXXXXX");
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return tmpl;
}

static void test_users_file(void **state)
{
	struct local_users *u = NULL;
	const struct local_user *e;
	char conf[512];
	struct rp_cfg c;

	(void)state;
	write_file("# lab users\n\ncarol:pw:with:colons\r\ndave: spaced \n");
	snprintf(conf, sizeof(conf),
		 "aaa = { local_users = ( { name = \"alice\"; password = \"a\"; } );\n"
		 "  local_users_file = \"%s\";\n"
		 "  authentication = ( { name = \"l\"; type = \"eap\"; methods = [ \"local\" ]; } ); };",
		 tmpl);
	assert_int_equal(rp_cfg_load_string(&c, "t.conf", conf, rp_conf_schema), 0);
	assert_int_equal(aaa_conf_check(&c), 0);
	assert_int_equal(local_users_load(&c, &u), 0);
	assert_int_equal(local_users_count(u), 3);
	e = local_users_find(u, (const uint8_t *)"carol", 5);
	assert_non_null(e);
	assert_int_equal(e->password_len, 14);
	assert_memory_equal(e->password, "pw:with:colons", 14);
	e = local_users_find(u, (const uint8_t *)"dave", 4);
	assert_non_null(e);
	assert_int_equal(e->password_len, 8);
	assert_memory_equal(e->password, " spaced ", 8);
	assert_null(local_users_find(u, (const uint8_t *)"carol:", 6));
	assert_null(local_users_find(u, (const uint8_t *)"car", 3));
	local_users_free(u);
	rp_cfg_free(&c);
	unlink(tmpl);
}

static void test_config_errors(void **state)
{
	static const struct {
		const char *users;      /* users file text, or NULL */
		const char *text;       /* %s: the users file */
		const char *msg;        /* expected in the first error (%s: the file) */
	} cases[] = {
		{ NULL, "aaa = { authentication = ( { name = \"l\"; type = \"eap\"; methods = [ \"local\" ]; } ); };",
		  "t.conf:1: setting 'aaa.authentication.[0].methods.[0]': EAP method local needs local users" },
		{ NULL, "aaa = { local_users = ( { name = \"a\"; password = \"x\"; },\n"
			" { name = \"a\"; password = \"y\"; } ); };",
		  "t.conf:2: setting 'aaa.local_users.[1].name': user \"a\" is already defined at t.conf:1" },
		{ NULL, "aaa = { local_users = ( { name = \"a b\"; password = \"x\"; } ); };",
		  "setting 'aaa.local_users.[0].name': user name with a blank" },
		{ NULL, "aaa = { local_users = ( { name = \"a:b\"; password = \"x\"; } ); };",
		  "user name with a blank, a ':'" },
		{ "ok:1\n# comment\nbroken line\n", "aaa = { local_users_file = \"%s\"; };",
		  "%s:3: expected name:password" },
		{ "x:\n", "aaa = { local_users_file = \"%s\"; };", "%s:1: empty password" },
		{ ":pw\n", "aaa = { local_users_file = \"%s\"; };", "%s:1: empty user name" },
		{ "a b:pw\n", "aaa = { local_users_file = \"%s\"; };", "%s:1: user name with a blank" },
		{ "n:pw\nn:pw2\n", "aaa = { local_users_file = \"%s\"; };",
		  "%s:2: user \"n\" is already defined at %s:1" },
		{ "a:pw\n", "aaa = { local_users = ( { name = \"a\"; password = \"x\"; } );\n"
			    " local_users_file = \"%s\"; };",
		  "%s:1: user \"a\" is already defined at t.conf:1" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:pw\n",
		  "aaa = { local_users_file = \"%s\"; };", "%s:1: user name longer than 64" },
		{ NULL, "aaa = { local_users_file = \"/nonexistent/users\"; };",
		  "/nonexistent/users: cannot open the local users file" },
	};
	char text[512], msg[512];
	struct rp_cfg c;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].users)
			write_file(cases[i].users);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(text, sizeof(text), cases[i].text, tmpl);
		snprintf(msg, sizeof(msg), cases[i].msg, tmpl, tmpl);
#pragma GCC diagnostic pop
		assert_int_equal(rp_cfg_load_string(&c, "t.conf", text, rp_conf_schema), 0);
		assert_int_equal(aaa_conf_check(&c), -EINVAL);
		if (!strstr(c.err, msg))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, c.err, msg);
		rp_cfg_free(&c);
		if (cases[i].users)
			unlink(tmpl);
	}
	/* schema: the password is required, names are at most 64 characters */
	assert_int_equal(rp_cfg_load_string(&c, "t.conf", "aaa = { local_users = ( { name = \"a\"; } ); };",
					    rp_conf_schema), -1);
	rp_cfg_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md5_vector),
		cmocka_unit_test(test_mschapv2_rfc2759),
		cmocka_unit_test(test_mppe_rfc3079),
		cmocka_unit_test(test_md5_conversation),
		cmocka_unit_test(test_protocol_errors),
		cmocka_unit_test(test_mschapv2_conversation),
		cmocka_unit_test(test_users_file),
		cmocka_unit_test(test_config_errors),
	};

	rp_log_init("test_eap_local", RP_LOG_STDERR, RP_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
