/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Unit tests of message validation (common/msg.c), alone and through the channel. */
#include <arpa/inet.h>
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

#include "common/chan.h"
#include "common/msg.h"

static char why[256];

static void msg_init(struct rp_msg *m, uint16_t type)
{
	memset(m, 0, sizeof(*m));
	m->hdr.version = RP_MSG_VERSION;
	m->hdr.type = type;
	m->hdr.len = (uint16_t)rp_msg_payload_len(type);
	m->hdr.seq = 1;
}

/* A complete, valid outbound AES-GCM-128 SA over IPv4 with one selector 10.0.0.0/8. */
static void sa_init(struct rp_msg *m)
{
	struct rp_msg_sa *sa = &m->u.sa;

	msg_init(m, RP_MSG_SA_ADD);
	sa->sa_id = 7;
	sa->paired_sa_id = 8;
	sa->spi = htonl(0xc0ffee01);
	sa->dir = RP_DIR_OUT;
	sa->outer_af = 4;
	memcpy(sa->local, "\xc0\x00\x02\x01", 4);
	memcpy(sa->remote, "\xc6\x33\x64\x02", 4);
	sa->cipher = RP_CIPHER_AES_GCM_128;
	sa->integ = RP_INTEG_NONE;
	sa->enc_key_len = 16;
	sa->salt_len = 4;
	sa->auth_key_len = 0;
	memset(sa->enc_key, 0x11, 16);
	memset(sa->salt, 0x22, 4);
	sa->replay_window = 128;
	sa->n_ts = 1;
	sa->ts[0].af = 4;
	sa->ts[0].plen = 8;
	sa->ts[0].addr[0] = 10;
}

/* Assert that validation fails with rc and that the reason mentions every fragment. */
static void expect_bad(const struct rp_msg *m, bool command, int rc, const char *frag1,
		       const char *frag2)
{
	int got = rp_msg_validate(m, command, why, sizeof(why));

	if (got != rc || (frag1 && !strstr(why, frag1)) || (frag2 && !strstr(why, frag2)))
		print_error("validate returned %d (\"%s\"), expected %d with \"%s\" \"%s\"\n", got,
			    why, rc, frag1 ? frag1 : "", frag2 ? frag2 : "");
	assert_int_equal(got, rc);
	if (frag1)
		assert_non_null(strstr(why, frag1));
	if (frag2)
		assert_non_null(strstr(why, frag2));
}

static void expect_good(const struct rp_msg *m, bool command)
{
	int rc = rp_msg_validate(m, command, why, sizeof(why));

	if (rc)
		print_error("unexpected rejection: %s\n", why);
	assert_int_equal(rc, 0);
}

static void test_tables(void **state)
{
	(void)state;
	assert_string_equal(rp_msg_type_name(RP_MSG_SA_ADD), "SA_ADD");
	assert_string_equal(rp_msg_type_name(RP_MSG_DUMP_END), "DUMP_END");
	assert_string_equal(rp_msg_type_name(0), "unknown");
	assert_string_equal(rp_msg_type_name(40), "unknown");
	assert_string_equal(rp_msg_type_name(60000), "unknown");
	assert_int_equal(rp_msg_payload_len(RP_MSG_SA_ADD), sizeof(struct rp_msg_sa));
	assert_int_equal(rp_msg_payload_len(RP_MSG_KV_SET), 24);
	assert_int_equal(rp_msg_payload_len(RP_MSG_PORT_INFO), sizeof(struct rp_msg_port));
	assert_int_equal(rp_msg_payload_len(99), -1);
	assert_true(rp_msg_is_command(RP_MSG_PING));
	assert_true(rp_msg_is_command(RP_MSG_KV_SET));
	assert_false(rp_msg_is_command(RP_MSG_PONG));
	assert_false(rp_msg_is_command(99));
	assert_int_equal(sizeof(struct rp_msg_sa), 288);

	assert_int_equal(rp_cipher_key_len(RP_CIPHER_AES_CBC_256), 32);
	assert_int_equal(rp_cipher_salt_len(RP_CIPHER_AES_GCM_128), 4);
	assert_int_equal(rp_cipher_salt_len(RP_CIPHER_AES_CBC_128), 0);
	assert_int_equal(rp_cipher_key_len(RP_CIPHER_MAX_), -1);
	assert_string_equal(rp_cipher_name(RP_CIPHER_CHACHA20_POLY1305), "CHACHA20_POLY1305");
	assert_string_equal(rp_cipher_name(77), "unknown");
	assert_int_equal(rp_integ_key_len(RP_INTEG_HMAC_SHA384_192), 48);
	assert_int_equal(rp_integ_icv_len(RP_INTEG_HMAC_SHA256_128), 16);
	assert_int_equal(rp_integ_icv_len(RP_INTEG_MAX_), -1);
	assert_string_equal(rp_integ_name(RP_INTEG_HMAC_SHA1_96), "HMAC_SHA1_96");

	/* The check depends on key and value and on their roles. */
	assert_int_not_equal(rp_msg_kv_check(1, 2), rp_msg_kv_check(2, 1));
	assert_int_not_equal(rp_msg_kv_check(0, 0), 0);
	assert_int_not_equal(rp_msg_kv_check(1, 0), rp_msg_kv_check(0, 0));
}

static void test_header(void **state)
{
	char v_new[32], v_cur[32];
	struct rp_msg m;

	(void)state;
	msg_init(&m, RP_MSG_PING);
	expect_good(&m, true);

	m.hdr.version = RP_MSG_VERSION + 1;
	snprintf(v_new, sizeof(v_new), "version %u", RP_MSG_VERSION + 1);
	snprintf(v_cur, sizeof(v_cur), "version %u", RP_MSG_VERSION);
	expect_bad(&m, true, -EPROTO, v_new, v_cur);

	msg_init(&m, RP_MSG_PING);
	m.hdr.type = 40;
	expect_bad(&m, true, -EBADMSG, "unknown message type 40", NULL);
	m.hdr.type = 0;
	expect_bad(&m, true, -EBADMSG, "unknown message type 0", NULL);

	/* Wrong direction, both ways. */
	msg_init(&m, RP_MSG_PING);
	expect_bad(&m, false, -EBADMSG, "PING is a command", "event ring");
	msg_init(&m, RP_MSG_PONG);
	expect_good(&m, false);
	expect_bad(&m, true, -EBADMSG, "PONG is an event", "command ring");

	msg_init(&m, RP_MSG_KV_SET);
	m.u.kv.check = rp_msg_kv_check(0, 0);
	expect_good(&m, true);
	m.hdr.len = 23;
	expect_bad(&m, true, -EBADMSG, "KV_SET: payload length 23, expected 24", NULL);
	m.hdr.len = 60000;
	expect_bad(&m, true, -EBADMSG, "payload length 60000", NULL);

	msg_init(&m, RP_MSG_PING);
	m.hdr.flags = RP_MSGF_MORE | RP_MSGF_RESYNC;
	expect_good(&m, true);
	m.hdr.flags = 0x40;
	expect_bad(&m, true, -EBADMSG, "unknown header flag bits 0x40", NULL);
	msg_init(&m, RP_MSG_PING);
	m.hdr.reserved = 3;
	expect_bad(&m, true, -EBADMSG, "reserved", NULL);
}

static void test_sa_good(void **state)
{
	struct rp_msg m;

	(void)state;
	sa_init(&m);
	expect_good(&m, true);
	m.hdr.type = RP_MSG_SA_UPDATE;
	expect_good(&m, true);

	sa_init(&m);
	m.u.sa.cipher = RP_CIPHER_AES_CBC_256;
	m.u.sa.enc_key_len = 32;
	m.u.sa.salt_len = 0;
	m.u.sa.integ = RP_INTEG_HMAC_SHA256_128;
	m.u.sa.auth_key_len = 32;
	expect_good(&m, true);

	sa_init(&m);
	m.u.sa.cipher = RP_CIPHER_CHACHA20_POLY1305;
	m.u.sa.enc_key_len = 32;
	expect_good(&m, true);

	/* NULL encryption is accepted with or without integrity (documented in msg.c). */
	sa_init(&m);
	m.u.sa.cipher = RP_CIPHER_NULL;
	m.u.sa.enc_key_len = 0;
	m.u.sa.salt_len = 0;
	expect_good(&m, true);
	m.u.sa.integ = RP_INTEG_HMAC_SHA1_96;
	m.u.sa.auth_key_len = 20;
	expect_good(&m, true);

	/* IPv6 outer, several IPv6 selectors, NAT-T, ESN, no replay protection. */
	sa_init(&m);
	m.u.sa.outer_af = 6;
	memset(m.u.sa.local, 0x20, 16);
	memset(m.u.sa.remote, 0x30, 16);
	m.u.sa.flags = RP_SAF_NATT | RP_SAF_ESN | RP_SAF_NO_REPLAY;
	m.u.sa.natt_sport = 4500;
	m.u.sa.natt_dport = 4500;
	m.u.sa.replay_window = 0;
	m.u.sa.seq_start = 1ull << 40;
	m.u.sa.n_ts = 4;
	for (int i = 0; i < 4; i++) {
		m.u.sa.ts[i].af = 6;
		m.u.sa.ts[i].plen = (uint8_t)(32 * i + 7);
		m.u.sa.ts[i].addr[0] = 0xfe;
	}
	m.u.sa.ts[3].plen = 128;
	memset(m.u.sa.ts[3].addr, 0xff, 16);
	m.u.sa.tunnel_mtu = 1280;
	m.u.sa.soft_bytes = 100;
	m.u.sa.hard_bytes = 200;
	m.u.sa.soft_packets = 5; /* hard 0 = no limit */
	expect_good(&m, true);

	sa_init(&m);
	m.u.sa.ts[0].plen = 0;
	m.u.sa.ts[0].addr[0] = 0;
	m.u.sa.replay_window = 4096;
	expect_good(&m, true);
}

static void test_sa_bad(void **state)
{
	struct rp_msg m;

	(void)state;
	sa_init(&m);
	m.u.sa.sa_id = 0;
	expect_bad(&m, true, -EBADMSG, "SA_ADD: sa_id 0", NULL);
	sa_init(&m);
	m.u.sa.paired_sa_id = 7;
	expect_bad(&m, true, -EBADMSG, "paired with itself", NULL);

	sa_init(&m);
	m.u.sa.spi = 0;
	expect_bad(&m, true, -EBADMSG, "SPI 0 is reserved", NULL);
	m.u.sa.spi = htonl(255);
	expect_bad(&m, true, -EBADMSG, "SPI 255 is reserved", NULL);
	m.u.sa.spi = htonl(256);
	expect_good(&m, true);

	sa_init(&m);
	m.u.sa.dir = 2;
	expect_bad(&m, true, -EBADMSG, "direction 2", NULL);
	sa_init(&m);
	m.u.sa.outer_af = 5;
	expect_bad(&m, true, -EBADMSG, "outer address family 5", NULL);
	sa_init(&m);
	m.u.sa.remote[7] = 1;
	expect_bad(&m, true, -EBADMSG, "remote address is IPv4", NULL);

	sa_init(&m);
	m.u.sa.cipher = 200;
	expect_bad(&m, true, -EBADMSG, "unknown cipher 200", NULL);
	m.u.sa.cipher = RP_CIPHER_MAX_;
	expect_bad(&m, true, -EBADMSG, "unknown cipher", NULL);
	sa_init(&m);
	m.u.sa.integ = 9;
	expect_bad(&m, true, -EBADMSG, "unknown integrity algorithm 9", NULL);

	/* The example of the design notes, word for word. */
	sa_init(&m);
	m.u.sa.enc_key_len = 32;
	expect_bad(&m, true, -EBADMSG, "SA_ADD: cipher AES_GCM_128 needs a 16-byte key, got 32",
		   NULL);
	sa_init(&m);
	m.u.sa.salt_len = 0;
	expect_bad(&m, true, -EBADMSG, "AES_GCM_128 needs a 4-byte salt, got 0", NULL);
	sa_init(&m);
	m.u.sa.integ = RP_INTEG_HMAC_SHA256_128;
	m.u.sa.auth_key_len = 32;
	expect_bad(&m, true, -EBADMSG, "AEAD cipher AES_GCM_128 takes no integrity", NULL);

	sa_init(&m);
	m.u.sa.cipher = RP_CIPHER_AES_CBC_128;
	m.u.sa.salt_len = 0;
	expect_bad(&m, true, -EBADMSG, "AES_CBC_128 needs an integrity algorithm", NULL);
	m.u.sa.integ = RP_INTEG_HMAC_SHA512_256;
	m.u.sa.auth_key_len = 32;
	expect_bad(&m, true, -EBADMSG, "HMAC_SHA512_256 needs a 64-byte key, got 32", NULL);
	m.u.sa.auth_key_len = 64;
	expect_good(&m, true);
	m.u.sa.salt_len = 4;
	expect_bad(&m, true, -EBADMSG, "AES_CBC_128 needs a 0-byte salt, got 4", NULL);

	sa_init(&m);
	m.u.sa.flags = 0x10;
	expect_bad(&m, true, -EBADMSG, "unknown SA flag bits 0x10", NULL);
	sa_init(&m);
	m.u.sa.flags = RP_SAF_NATT;
	m.u.sa.natt_sport = 4500;
	expect_bad(&m, true, -EBADMSG, "NAT-T needs both UDP ports", NULL);

	sa_init(&m);
	m.u.sa.replay_window = 100;
	expect_bad(&m, true, -EBADMSG, "replay window 100", NULL);
	m.u.sa.replay_window = 0;
	expect_bad(&m, true, -EBADMSG, "replay window 0", NULL);
	m.u.sa.replay_window = 4160;
	expect_bad(&m, true, -EBADMSG, "replay window 4160", NULL);
	m.u.sa.flags = RP_SAF_NO_REPLAY;
	expect_good(&m, true);

	sa_init(&m);
	m.u.sa.seq_start = 1ull << 32;
	expect_bad(&m, true, -EBADMSG, "extended sequence numbers", NULL);
	sa_init(&m);
	m.u.sa.tunnel_mtu = 60;
	expect_bad(&m, true, -EBADMSG, "tunnel MTU 60", NULL);
	sa_init(&m);
	m.u.sa.soft_packets = 10;
	m.u.sa.hard_packets = 9;
	expect_bad(&m, true, -EBADMSG, "soft packet limit 10 is above the hard limit 9", NULL);

	sa_init(&m);
	m.u.sa.n_ts = 0;
	expect_bad(&m, true, -EBADMSG, "0 traffic selectors", NULL);
	m.u.sa.n_ts = RP_SA_TS_MAX + 1;
	expect_bad(&m, true, -EBADMSG, "5 traffic selectors", NULL);

	/* Selectors beyond n_ts are not looked at; those within are. */
	sa_init(&m);
	m.u.sa.ts[1].af = 9;
	expect_good(&m, true);
	m.u.sa.n_ts = 2;
	expect_bad(&m, true, -EBADMSG, "traffic selector 1 has address family 9", NULL);
	m.u.sa.ts[1].af = 4;
	m.u.sa.ts[1].plen = 33;
	expect_bad(&m, true, -EBADMSG, "traffic selector 1 has prefix length 33", NULL);
	m.u.sa.ts[1].plen = 24;
	memcpy(m.u.sa.ts[1].addr, "\x0a\x01\x02\x03", 4);
	expect_bad(&m, true, -EBADMSG, "10.1.2.3/24 has host bits set", NULL);
	m.u.sa.ts[1].addr[3] = 0;
	expect_good(&m, true);
	m.u.sa.ts[1].addr[12] = 1;
	expect_bad(&m, true, -EBADMSG, "bytes 4..15", NULL);
}

static void test_route_and_refs(void **state)
{
	struct rp_msg m;

	(void)state;
	msg_init(&m, RP_MSG_ROUTE_ADD);
	m.u.route.sa_id = 3;
	m.u.route.prefix.af = 6;
	m.u.route.prefix.plen = 48;
	memcpy(m.u.route.prefix.addr, "\x20\x01\x0d\xb8\x00\x01", 6);
	expect_good(&m, true);
	m.u.route.prefix.plen = 129;
	expect_bad(&m, true, -EBADMSG, "ROUTE_ADD: prefix has prefix length 129", NULL);
	m.u.route.prefix.plen = 47;
	expect_bad(&m, true, -EBADMSG, "2001:db8:1::/47 has host bits set", NULL);
	m.u.route.prefix.plen = 48;
	m.u.route.sa_id = 0;
	m.hdr.type = RP_MSG_ROUTE_DEL;
	expect_bad(&m, true, -EBADMSG, "ROUTE_DEL: sa_id 0", NULL);

	msg_init(&m, RP_MSG_SA_DEL);
	expect_bad(&m, true, -EBADMSG, "SA_DEL: sa_id 0", NULL);
	m.u.sa_ref.sa_id = 1;
	expect_good(&m, true);
	msg_init(&m, RP_MSG_STATS_REQ); /* 0 = all SAs */
	expect_good(&m, true);
	msg_init(&m, RP_MSG_RESYNC_BEGIN);
	expect_good(&m, true);
}

static void test_kv(void **state)
{
	struct rp_msg m;

	(void)state;
	msg_init(&m, RP_MSG_KV_SET);
	m.u.kv.key = 12;
	m.u.kv.value = 34;
	m.u.kv.check = rp_msg_kv_check(12, 34);
	expect_good(&m, true);
	m.u.kv.value = 35;
	expect_bad(&m, true, -EBADMSG, "KV_SET: check", "torn");
}

static void test_events(void **state)
{
	struct rp_msg m;

	(void)state;
	msg_init(&m, RP_MSG_ACK);
	m.u.ack.status = -EINVAL;
	snprintf(m.u.ack.reason, sizeof(m.u.ack.reason), "no such SA");
	expect_good(&m, false);
	memset(m.u.ack.reason, 'x', sizeof(m.u.ack.reason));
	expect_bad(&m, false, -EBADMSG, "ACK: reason is not NUL-terminated", NULL);
	m.u.ack.reason[sizeof(m.u.ack.reason) - 1] = 0;
	expect_good(&m, false);
	m.u.ack.status = 5;
	expect_bad(&m, false, -EBADMSG, "ACK: status 5", NULL);

	msg_init(&m, RP_MSG_ERROR);
	m.u.error.code = -EBADMSG;
	memset(m.u.error.text, 'y', sizeof(m.u.error.text));
	expect_bad(&m, false, -EBADMSG, "ERROR: text is not NUL-terminated", NULL);

	msg_init(&m, RP_MSG_PORT_INFO);
	snprintf(m.u.port.name, sizeof(m.u.port.name), "outside0");
	snprintf(m.u.port.device, sizeof(m.u.port.device), "0000:00:04.0");
	expect_good(&m, false);
	memset(m.u.port.device, 'z', sizeof(m.u.port.device));
	expect_bad(&m, false, -EBADMSG, "PORT_INFO: device is not NUL-terminated", NULL);
	msg_init(&m, RP_MSG_PORT_INFO);
	memset(m.u.port.name, 'z', sizeof(m.u.port.name));
	expect_bad(&m, false, -EBADMSG, "PORT_INFO: name is not NUL-terminated", NULL);
	msg_init(&m, RP_MSG_PORT_INFO);
	m.u.port.role = 3;
	expect_bad(&m, false, -EBADMSG, "port role 3", NULL);

	msg_init(&m, RP_MSG_LIFETIME);
	m.u.lifetime.sa_id = 4;
	m.u.lifetime.hard = 1;
	expect_good(&m, false);
	m.u.lifetime.by_packets = 2;
	expect_bad(&m, false, -EBADMSG, "by_packets 2", NULL);

	msg_init(&m, RP_MSG_SA_INFO);
	m.u.sa_stats.dir = 3;
	expect_bad(&m, false, -EBADMSG, "SA_INFO: direction 3", NULL);
	msg_init(&m, RP_MSG_DUMP_END);
	m.u.dump_end.status = -ENOENT;
	expect_good(&m, false);

	msg_init(&m, RP_MSG_DROP_INFO);
	snprintf(m.u.drop.name, sizeof(m.u.drop.name), "auth_failed");
	m.u.drop.n_ports = RP_DROP_PORTS_MAX;
	expect_good(&m, false);
	m.u.drop.n_ports = RP_DROP_PORTS_MAX + 1;
	expect_bad(&m, false, -EBADMSG, "DROP_INFO: 33 ports, at most 32", NULL);
	m.u.drop.n_ports = 2;
	m.u.drop.name[4] = '-';
	expect_bad(&m, false, -EBADMSG, "DROP_INFO: name has a byte 0x2d", NULL);
	memset(m.u.drop.name, 'a', sizeof(m.u.drop.name));
	expect_bad(&m, false, -EBADMSG, "DROP_INFO: name is empty or not NUL-terminated", NULL);
	m.u.drop.name[0] = '\0';
	expect_bad(&m, false, -EBADMSG, "DROP_INFO: name is empty", NULL);
}

/* Rejection through the channel: the bad slot is consumed and reported, the next one flows. */
static void test_channel_rejects(void **state)
{
	char dir[] = "/tmp/rp-msg-test-XXXXXX", path[64], cwhy[256];
	struct rp_chan *cp = NULL, *dp = NULL;
	struct rp_msg m, got;
	struct rp_msg_kv kv = { 5, 6, 0 };
	uint64_t seq;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/region", dir);
	assert_int_equal(rp_chan_open(path, RP_ROLE_CP, 64, &cp, cwhy, sizeof(cwhy)), 0);
	assert_int_equal(rp_chan_open(path, RP_ROLE_DP, 64, &dp, cwhy, sizeof(cwhy)), 0);

	/* 1: an SA with a key of the wrong length. */
	sa_init(&m);
	m.u.sa.enc_key_len = 32;
	m.hdr.seq = 1;
	assert_int_equal(rp_chan_send_raw(cp, &m), 0);
	/* 2: a slot from a future build. */
	msg_init(&m, RP_MSG_PING);
	m.hdr.version = RP_MSG_VERSION + 1;
	m.hdr.seq = 2;
	assert_int_equal(rp_chan_send_raw(cp, &m), 0);
	/* 3: garbage everywhere, claimed length beyond the slot. */
	memset(&m, 0xab, sizeof(m));
	m.hdr.version = RP_MSG_VERSION;
	assert_int_equal(rp_chan_send_raw(cp, &m), 0);
	/* 4: a good message after them. */
	kv.check = rp_msg_kv_check(kv.key, kv.value);
	assert_int_equal(rp_chan_send(cp, RP_MSG_KV_SET, &kv, sizeof(kv), NULL, &seq), 0);
	assert_int_equal(seq, 4);

	assert_int_equal(rp_chan_recv(dp, &got, cwhy, sizeof(cwhy)), -EBADMSG);
	assert_int_equal(got.hdr.type, RP_MSG_SA_ADD);
	assert_int_equal(got.hdr.seq, 1);
	assert_non_null(strstr(cwhy, "needs a 16-byte key, got 32"));
	assert_int_equal(rp_chan_recv(dp, &got, cwhy, sizeof(cwhy)), -EPROTO);
	assert_int_equal(got.hdr.seq, 2);
	assert_int_equal(rp_chan_recv(dp, &got, cwhy, sizeof(cwhy)), -EBADMSG);
	assert_non_null(strstr(cwhy, "unknown message type"));
	assert_int_equal(rp_chan_recv(dp, &got, cwhy, sizeof(cwhy)), 1);
	assert_int_equal(got.hdr.seq, 4);
	assert_int_equal(got.u.kv.key, 5);
	assert_int_equal(got.u.kv.value, 6);
	assert_int_equal(rp_chan_recv(dp, &got, cwhy, sizeof(cwhy)), 0);

	/* An event on the command ring, published raw by a confused producer. */
	msg_init(&m, RP_MSG_PONG);
	assert_int_equal(rp_chan_send_raw(cp, &m), 0);
	assert_int_equal(rp_chan_recv(dp, &got, cwhy, sizeof(cwhy)), -EBADMSG);
	assert_non_null(strstr(cwhy, "PONG is an event"));
	/* And a command on the event ring. */
	msg_init(&m, RP_MSG_PING);
	assert_int_equal(rp_chan_send_raw(dp, &m), 0);
	assert_int_equal(rp_chan_recv(cp, &got, cwhy, sizeof(cwhy)), -EBADMSG);
	assert_non_null(strstr(cwhy, "PING is a command"));

	rp_chan_close(cp);
	rp_chan_close(dp);
	assert_int_equal(rp_chan_unlink(path), 0);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_sa_good),
		cmocka_unit_test(test_sa_bad),
		cmocka_unit_test(test_route_and_refs),
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_channel_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
