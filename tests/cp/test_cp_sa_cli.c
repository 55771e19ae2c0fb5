/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Unit tests of "rampartctl sa add" parsing (controlplane/cp_sa.c, cp_sa_parse_add()) and of
 * the shared manual-SA parser behind it and behind dataplane.manual_sas (common/manual_sa.c):
 * exact SA_ADD / ROUTE_ADD payloads from the words an operator types, and one precise message
 * for each kind of mistake.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/manual_sa.h"
#include "common/msg.h"
#include "controlplane/cp.h"

#define GCM_KEY "0x000102030405060708090a0b0c0d0e0f10111213"

/* Split @line at blanks into words (no quoting needed here) and parse them. */
static int parse(const char *line, struct rp_manual_sa *m, char *err, size_t errlen)
{
	char buf[2048], *argv[64];
	int argc = 0, rc;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 64; t = strtok(NULL, " "))
		argv[argc++] = t;
	err[0] = '\0';
	rc = cp_sa_parse_add(argc, argv, m, err, errlen);
	return rc;
}

static void expect_error(const char *line, int rc, const char *text)
{
	struct rp_manual_sa m;
	char err[512];
	int got = parse(line, &m, err, sizeof(err));

	rp_manual_sa_wipe(&m);
	if (got != rc || !strstr(err, text)) {
		print_error("words: %s\n got %d \"%s\"\nwant %d \"...%s...\"\n", line, got, err, rc,
			    text);
		fail();
	}
}

static void test_inbound_gcm(void **state)
{
	struct rp_manual_sa m;
	char err[512], p[64];

	(void)state;
	assert_int_equal(parse("direction in spi 0x1001 cipher AES-GCM-128 key " GCM_KEY
			       " local 192.0.2.1 remote 198.51.100.7 traffic_selectors "
			       "203.0.113.2/32,2001:db8:200::2/128 replay_window 128 esn yes",
			       &m, err, sizeof(err)), 0);
	assert_int_equal(m.sa.sa_id, 0); /* allocated later by rampartd */
	assert_int_equal(m.sa.dir, RP_DIR_IN);
	assert_int_equal(m.sa.spi, htonl(0x1001));
	assert_int_equal(m.sa.cipher, RP_CIPHER_AES_GCM_128);
	assert_int_equal(m.sa.integ, RP_INTEG_NONE);
	assert_int_equal(m.sa.enc_key_len, 16);
	assert_int_equal(m.sa.salt_len, 4);
	assert_int_equal(m.sa.enc_key[15], 0x0f);
	assert_int_equal(m.sa.salt[0], 0x10);
	assert_int_equal(m.sa.salt[3], 0x13);
	assert_int_equal(m.sa.outer_af, 4);
	assert_int_equal(m.sa.local[3], 1);
	assert_int_equal(m.sa.remote[3], 7);
	assert_int_equal(m.sa.flags, RP_SAF_ESN);
	assert_int_equal(m.sa.replay_window, 128);
	assert_int_equal(m.sa.n_ts, 2);
	assert_string_equal(rp_prefix_str(&m.sa.ts[0], p, sizeof(p)), "203.0.113.2/32");
	assert_string_equal(rp_prefix_str(&m.sa.ts[1], p, sizeof(p)), "2001:db8:200::2/128");
	assert_int_equal(m.n_routes, 0);
	rp_manual_sa_set_id(&m, RP_SA_ID_CLI_FIRST);
	assert_int_equal(m.sa.sa_id, RP_SA_ID_CLI_FIRST);
	rp_manual_sa_wipe(&m);
	/* Wiped: no key left behind. */
	assert_int_equal(m.sa.enc_key[15], 0);
}

static void test_outbound_cbc_routes(void **state)
{
	struct rp_manual_sa m;
	char err[512], p[64];

	(void)state;
	assert_int_equal(parse("sa_id 0xff000010 direction out spi 4098 cipher aes-cbc-256 "
			       "integrity hmac-sha256-128 key "
			       "00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14:15:16:17:18:19:1a:1b:1c:1d:1e:1f "
			       "auth_key 0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f "
			       "local 2001:db8::1 remote 2001:db8:1::7 natt true natt_dport 31000 "
			       "routes 198.18.7.0/24 routes 2001:db8:7::/48 seq_start 4294967300 esn on "
			       "paired_sa_id 0xff000011 hard_packets 1000",
			       &m, err, sizeof(err)), 0);
	assert_int_equal(m.sa.sa_id, 0xff000010);
	assert_int_equal(m.sa.dir, RP_DIR_OUT);
	assert_int_equal(m.sa.spi, htonl(4098));
	assert_int_equal(m.sa.integ, RP_INTEG_HMAC_SHA256_128);
	assert_int_equal(m.sa.enc_key_len, 32);
	assert_int_equal(m.sa.auth_key_len, 32);
	assert_int_equal(m.sa.auth_key[31], 0x3f);
	assert_int_equal(m.sa.outer_af, 6);
	assert_int_equal(m.sa.flags, RP_SAF_NATT | RP_SAF_ESN | RP_SAF_NO_REPLAY);
	assert_int_equal(m.sa.natt_sport, 4500);
	assert_int_equal(m.sa.natt_dport, 31000);
	assert_int_equal(m.sa.seq_start, 4294967300ull);
	assert_int_equal(m.sa.paired_sa_id, 0xff000011);
	assert_int_equal(m.sa.hard_packets, 1000);
	/* Outbound without selectors: the routes are the peer's side. */
	assert_int_equal(m.sa.n_ts, 2);
	assert_int_equal(m.n_routes, 2);
	assert_string_equal(rp_prefix_str(&m.routes[1].prefix, p, sizeof(p)), "2001:db8:7::/48");
	assert_int_equal(m.routes[0].sa_id, 0xff000010);
	rp_manual_sa_set_id(&m, 0xff000020);
	assert_int_equal(m.routes[1].sa_id, 0xff000020);
	rp_manual_sa_wipe(&m);
}

#define IN "direction in spi 0x1001 cipher aes-gcm-128 local 192.0.2.1 remote 198.51.100.7 "
#define TS "traffic_selectors 198.18.0.0/16 "

static void test_errors(void **state)
{
	(void)state;
	expect_error("", -EINVAL, "no fields: write FIELD VALUE pairs");
	expect_error(IN "key", -EINVAL, "'key' has no value: write FIELD VALUE pairs");
	expect_error(IN "spy 5", -ENOENT, "unknown field 'spy' (did you mean 'spi'?)");
	expect_error(IN "colour blue", -ENOENT, "unknown field 'colour'");
	expect_error(IN "spi 0x1002", -EEXIST, "spi given twice");
	expect_error("spi 255", -EINVAL, "spi: 255 is out of range 256..4294967295");
	expect_error("spi 0x100000000", -EINVAL, "spi: 4294967296 is out of range");
	expect_error("spi -5", -EINVAL, "spi: '-5' is not a number");
	expect_error("spi 12abc", -EINVAL, "spi: '12abc' is not a number");
	expect_error("replay_window 8192", -EINVAL, "replay_window: 8192 is out of range 0..4096");
	expect_error("direction sideways", -EINVAL, "direction: 'sideways' is not in or out");
	expect_error("cipher aes-ctr", -EINVAL, "cipher: unknown cipher 'aes-ctr' (null,");
	expect_error("integrity md5", -EINVAL, "integrity: unknown integrity algorithm 'md5'");
	expect_error("local 192.0.2.300", -EINVAL, "local: '192.0.2.300' is not an IPv4 or IPv6");
	expect_error("esn maybe", -EINVAL, "esn: 'maybe' is not true or false");
	expect_error("key 0xabc", -EINVAL, "key: not a hex string");
	expect_error("traffic_selectors 198.18.0.1/16", -EINVAL,
		     "\"198.18.0.1/16\" is not a prefix such as 198.51.100.0/24");
	expect_error("traffic_selectors 198.18.0.0/16,,198.18.1.0/24", -EINVAL,
		     "traffic_selectors: \"\" is not a prefix");
	expect_error("traffic_selectors 10.0.0.0/8,10.1.0.0/16,10.2.0.0/16,10.3.0.0/16,10.4.0.0/16",
		     -E2BIG, "traffic_selectors: more than 4 traffic selectors");

	/* The SA as a whole. */
	expect_error("spi 0x1001 cipher null local 192.0.2.1 remote 192.0.2.2", -EINVAL,
		     "direction is missing");
	expect_error("direction in cipher null local 192.0.2.1 remote 192.0.2.2", -EINVAL,
		     "spi is missing");
	expect_error(IN TS, -EINVAL, "key: AES_GCM_128 needs key (20 bytes in hex)");
	expect_error(IN TS "key 0x0001", -EINVAL, "key: AES_GCM_128 needs 20 bytes, this is 2");
	expect_error(IN TS "key " GCM_KEY " auth_key 0x00", -EINVAL,
		     "auth_key: NONE takes no auth_key");
	expect_error(IN TS "key " GCM_KEY " integrity hmac-sha1-96 auth_key 0x0011", -EINVAL,
		     "auth_key: HMAC_SHA1_96 needs 20 bytes, this is 2");
	expect_error(IN "key " GCM_KEY, -EINVAL, "an inbound SA needs traffic_selectors");
	expect_error(IN TS "key " GCM_KEY " routes 198.18.0.0/16", -EINVAL,
		     "routes belong to outbound SAs");
	expect_error(IN TS "key " GCM_KEY " natt_dport 4501", -EINVAL,
		     "natt_dport: UDP ports without natt = true");
	expect_error(IN TS "key " GCM_KEY " replay_window 100", -EINVAL,
		     "replay_window: 100: a multiple of 64 from 64 to 4096");
	expect_error("direction in spi 0x1001 cipher null local 192.0.2.1 remote 2001:db8::7 " TS,
		     -EINVAL, "remote: local is IPv4, remote IPv6: one family");
	/* The rules of rp_msg_validate(), as for any SA_ADD. */
	expect_error(IN TS "key " GCM_KEY " soft_bytes 100 hard_bytes 50", -EINVAL,
		     "SA_ADD: soft byte limit 100 is above the hard limit 50");
	expect_error("direction in spi 0x1001 cipher aes-cbc-128 key 0x000102030405060708090a0b0c0d0e0f "
		     "local 192.0.2.1 remote 192.0.2.2 " TS, -EINVAL,
		     "cipher AES_CBC_128 needs an integrity algorithm, got NONE");
	/* Ids outside the range reserved for rampartctl. */
	expect_error(IN TS "key " GCM_KEY " sa_id 5", -ERANGE,
		     "sa_id 5 is outside the range reserved for SAs added with rampartctl "
		     "(4278190080..4294967294");
	expect_error(IN TS "key " GCM_KEY " sa_id 0xffffffff", -ERANGE, "sa_id 4294967295 is "
		     "outside the range");
}

static void test_names(void **state)
{
	uint8_t v;

	(void)state;
	/* One table: every cipher and integrity algorithm has its operator name and back. */
	for (uint8_t c = 0; c < RP_CIPHER_MAX_; c++) {
		assert_true(rp_cipher_lookup(rp_cipher_opname(c), &v));
		assert_int_equal(v, c);
	}
	for (uint8_t i = 0; i < RP_INTEG_MAX_; i++) {
		assert_true(rp_integ_lookup(rp_integ_opname(i), &v));
		assert_int_equal(v, i);
	}
	assert_false(rp_cipher_lookup("aes-gcm", &v));
	assert_string_equal(rp_cipher_opname(RP_CIPHER_MAX_), "?");
	assert_string_equal(rp_manual_sa_field_name(RP_MSA_traffic_selectors), "traffic_selectors");
	assert_null(rp_manual_sa_field_name(RP_MSA_FIELD_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inbound_gcm),
		cmocka_unit_test(test_outbound_cbc_routes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
