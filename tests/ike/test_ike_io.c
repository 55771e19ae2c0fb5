/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * rampartd's IKE glue over real UDP sockets on 127.0.0.1 (ephemeral ports): the "ike"
 * configuration section, IKE_SA_INIT on the IKE port, IKE_AUTH on the NAT-T port behind
 * the non-ESP marker, keepalives and ESP on that port ignored, "show sessions" in text and
 * JSON, and configuration errors reported.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "common/conf.h"
#include "common/msg.h"
#include "controlplane/ike/ike_sa.h"
#include "controlplane/ike/ike_io.h"
#include "controlplane/mgmt/json.h"
#include "controlplane/util/sbuf.h"
#include "initiator.h"

static const char conf_text[] =
	"ike = {\n"
	"  listen = [ \"127.0.0.1\" ];\n"
	"  port = 0;\n"
	"  nat_port = 0;\n"
	"  local_id = \"fqdn vpn.example.test\";\n"
	"  esp_encryption = [ \"aes128gcm16\" ];\n"
	"  local_subnets = [ \"10.1.0.0/16\" ];\n"
	"  pool = { first = \"10.9.0.10\"; last = \"10.9.0.11\"; dns = [ \"10.1.0.53\" ]; };\n"
	"  peers = ( { identity = \"email alice@example.test\"; pre_shared_key = \"s3cret\"; } );\n"
	"};\n";

struct fake_dp {
	unsigned n;
	dpif_cb cb[16];
	void *arg[16];
};

static int fdp_send(void *ctx, uint16_t type, const void *payload, size_t len, dpif_cb cb,
		    void *arg)
{
	struct fake_dp *d = ctx;

	(void)type, (void)payload, (void)len;
	assert_true(d->n < 16);
	d->cb[d->n] = cb;
	d->arg[d->n++] = arg;
	return 0;
}

static unsigned fdp_cancel(void *ctx, void *arg)
{
	(void)ctx, (void)arg;
	return 0;
}

struct sa_ids {
	uint32_t in, out;
};

static void get_ids(const struct ike_sa_info *i, void *arg)
{
	struct sa_ids *ids = arg;

	if (i->has_child) {
		ids->in = i->sa_id_in;
		ids->out = i->sa_id_out;
	}
}

/* Run the loop until the client socket has an answer; return its length (0: none). */
static size_t pump(struct event_base *base, int cfd, uint8_t *buf, size_t cap)
{
	for (int i = 0; i < 200; i++) {
		struct pollfd p = { cfd, POLLIN, 0 };
		ssize_t n;

		event_base_loop(base, EVLOOP_NONBLOCK);
		if (poll(&p, 1, 5) == 1) {
			n = recv(cfd, buf, cap, 0);
			assert_true(n > 0);
			return (size_t)n;
		}
	}
	return 0;
}

static void send_to(int cfd, uint16_t port, bool marker, const uint8_t *buf, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	uint8_t out[4100] = { 0 };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memcpy(out + (marker ? 4 : 0), buf, len);
	assert_int_equal(sendto(cfd, out, len + (marker ? 4 : 0), 0, (struct sockaddr *)&sa,
				sizeof(sa)), (ssize_t)(len + (marker ? 4 : 0)));
}

static void test_udp_session(void **state)
{
	struct event_base *base = event_base_new();
	struct fake_dp dp = { 0 };
	struct ike_dp_ops ops = { fdp_send, fdp_cancel, &dp };
	struct ike_msg *m = calloc(1, sizeof(*m));
	uint16_t dh[] = { IKE_DH_CURVE25519, 0 };
	struct ini_auth_opts o = { .id_type = IKE_ID_RFC822_ADDR, .id = "alice@example.test",
				   .psk = "s3cret" };
	uint8_t req[4096], resp[4100];
	struct ike_sa_pl sa;
	struct ike_conf conf;
	struct ike_io *io;
	struct ini in;
	struct rp_cfg c;
	struct sbuf sb;
	struct json_w jw;
	size_t len;
	int cfd;

	(void)state;
	assert_int_equal(rp_cfg_load_string(&c, "test", conf_text, rp_conf_schema), 0);
	assert_int_equal(ike_conf_parse(&c, rp_cfg_get(rp_cfg_root(&c), "ike"), &conf), 0);
	rp_cfg_free(&c);
	assert_int_equal(ike_io_create(base, NULL, &ops, &conf, &io), 0);
	assert_true(ike_io_port(io, false) != 0);
	assert_true(ike_io_port(io, true) != 0);
	cfd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(cfd >= 0);

	/* IKE_SA_INIT on the IKE port */
	ini_init(&in, 4242, IKE_DH_CURVE25519);
	ini_proposal(&sa, IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, dh);
	len = ini_build_init(&in, &sa, NULL, 0, req, sizeof(req));
	send_to(cfd, ike_io_port(io, false), false, req, len);
	len = pump(base, cfd, resp, sizeof(resp));
	assert_true(len > 0);
	assert_int_equal(ini_process_init(&in, resp, len, m), 0);

	/* NAT keepalive and ESP on the NAT-T port: no answer */
	send_to(cfd, ike_io_port(io, true), false, (const uint8_t *)"\xff", 1);
	send_to(cfd, ike_io_port(io, true), false, (const uint8_t *)"\x00\x00\x10\x01....", 8);

	/* IKE_AUTH behind the non-ESP marker; the answer after the dataplane's ACKs */
	len = ini_build_auth(&in, &o, req, sizeof(req));
	send_to(cfd, ike_io_port(io, true), true, req, len);
	assert_int_equal(pump(base, cfd, resp, sizeof(resp)), 0);
	assert_int_equal(dp.n, 3);
	for (unsigned i = 0; i < dp.n; i++)
		dp.cb[i](0, &(struct dpif_reply){ 0 }, dp.arg[i]);
	len = pump(base, cfd, resp, sizeof(resp));
	assert_true(len > 4);
	assert_memory_equal(resp, ((uint8_t[4]){ 0 }), 4);
	assert_int_equal(ini_process_auth(&in, resp + 4, len - 4, m, "s3cret"), 0);
	assert_int_equal(in.child_err, 0);
	assert_memory_equal(in.addr4, ((uint8_t[]){ 10, 9, 0, 10 }), 4);

	/* show sessions */
	sbuf_init(&sb, 1 << 20);
	ike_io_show(io, true, &sb, NULL);
	assert_false(sbuf_error(&sb));
	assert_non_null(strstr(sbuf_str(&sb), "alice@example.test"));
	assert_non_null(strstr(sbuf_str(&sb), "10.9.0.10"));
	assert_non_null(strstr(sbuf_str(&sb), "ESTABLISHED"));
	assert_non_null(strstr(sbuf_str(&sb), "AES_GCM_16_256"));
	assert_non_null(strstr(sbuf_str(&sb), "1 session"));
	sbuf_reset(&sb);
	json_init(&jw, &sb, false);
	ike_io_show(io, true, NULL, &jw);
	assert_int_equal(json_finish(&jw), 0);
	assert_non_null(strstr(sbuf_str(&sb), "\"peer_id\":\"alice@example.test\""));
	assert_non_null(strstr(sbuf_str(&sb), "\"address\":\"10.9.0.10\""));
	assert_non_null(strstr(sbuf_str(&sb), "\"state\":\"ESTABLISHED\""));
	assert_non_null(strstr(sbuf_str(&sb), "\"count\":1"));
	/* without the dataplane's counters: marked unknown */
	assert_non_null(strstr(sbuf_str(&sb), "\"in_packets\":null"));
	assert_non_null(strstr(sbuf_str(&sb), "\"out_bytes\":null"));
	assert_non_null(strstr(sbuf_str(&sb), "\"counters\":false"));

	/* with the counters of one SA_DUMP (in any order, with SAs of nobody else) */
	struct sa_ids ids = { 0, 0 };

	ike_resp_foreach(ike_io_resp(io), get_ids, &ids);
	assert_true(ids.in && ids.out);
	struct rp_msg_sa_stats sas[3] = {
		{ .sa_id = ids.out, .dir = RP_DIR_OUT, .packets = 7, .bytes = 890 },
		{ .sa_id = 999999, .dir = RP_DIR_IN, .packets = 1, .bytes = 2 },
		{ .sa_id = ids.in, .dir = RP_DIR_IN, .packets = 12, .bytes = 3456 },
	};
	const struct ike_show_sel brief = { .detail = false };

	sbuf_reset(&sb);
	ike_io_show_sa(io, &brief, sas, 3, &sb, NULL);
	assert_false(sbuf_error(&sb));
	assert_non_null(strstr(sbuf_str(&sb),
			       "traffic in 12 packets 3456 bytes, out 7 packets 890 bytes\n"));
	sbuf_reset(&sb);
	json_init(&jw, &sb, false);
	ike_io_show_sa(io, &brief, sas, 3, NULL, &jw);
	assert_int_equal(json_finish(&jw), 0);
	assert_non_null(strstr(sbuf_str(&sb), "\"in_packets\":12,\"in_bytes\":3456,"
			       "\"out_packets\":7,\"out_bytes\":890"));
	assert_non_null(strstr(sbuf_str(&sb), "\"counters\":true"));
	sbuf_reset(&sb);
	ike_io_show(io, false, &sb, NULL);
	assert_non_null(strstr(sbuf_str(&sb), "traffic in unknown, out unknown"));
	sbuf_free(&sb);

	close(cfd);
	ini_free(&in);
	ike_io_destroy(io);
	event_base_free(base);
	free(m);
}

static void bad_conf(const char *text)
{
	struct ike_conf conf;
	struct rp_cfg c;

	if (rp_cfg_load_string(&c, "bad", text, rp_conf_schema) == 0) {
		assert_int_not_equal(ike_conf_parse(&c, rp_cfg_get(rp_cfg_root(&c), "ike"), &conf),
				     0);
		assert_true(c.n_errors > 0);
	}
	assert_non_null(strstr(c.err, "bad:"));
	rp_cfg_free(&c);
}

static void test_conf_errors(void **state)
{
	(void)state;
	bad_conf("ike = { local_id = \"name foo\"; };");
	bad_conf("ike = { local_subnets = [ \"10.1.0.1/16\" ]; };");
	bad_conf("ike = { pool = { first = \"10.0.0.9\"; last = \"10.0.0.1\"; }; };");
	bad_conf("ike = { ipv6_pool = { prefix = \"2001:db8::/32\"; }; };");
	bad_conf("ike = { peers = ( { identity = \"fqdn\"; pre_shared_key = \"x\"; } ); };");
	bad_conf("ike = { esp_encryption = [ \"des\" ]; };");
	bad_conf("ike = { replay_window = 100; };");
	bad_conf("ike = { child_lifetime = 5; };");
	bad_conf("ike = { lifetime = \"1d\"; };");
	bad_conf("ike = { child_lifetime_kb = -1; };");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_session),
		cmocka_unit_test(test_conf_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
