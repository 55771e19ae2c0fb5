/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * rampartd's IKE glue over real UDP sockets on 127.0.0.1, for what ike_dpd.h adds there:
 * a peer's NAT keepalives (one 0xff byte on the NAT-T port) absorbed and counted, never
 * answered nor taken for IKE; our own keepalives when the peer's NAT detection says we are
 * behind a NAT (RFC 3948 §2.3); "clear session" by id, by peer address and "all", text and
 * JSON, with its errors; the dpd / nat_keepalive / max_half_open_per_peer settings and
 * their errors.
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
#include "controlplane/ike/ike_io.h"
#include "controlplane/ike/ike_sa.h"
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
	"  pool = { first = \"10.9.0.10\"; last = \"10.9.0.12\"; };\n"
	"  peers = ( { identity = \"email alice@example.test\"; pre_shared_key = \"s3cret\"; } );\n"
	"  dpd = { interval = 60; retry = 1; retries = 2; mode = \"periodic\"; };\n"
	"  nat_keepalive = 1;\n"
	"  max_half_open_per_peer = 4;\n"
	"};\n";

struct fake_dp {
	unsigned n;
	dpif_cb cb[32];
	void *arg[32];
	unsigned n_del;
};

static int fdp_send(void *ctx, uint16_t type, const void *payload, size_t len, dpif_cb cb,
		    void *arg)
{
	struct fake_dp *d = ctx;

	(void)payload, (void)len;
	assert_true(d->n < 32);
	d->n_del += type == RP_MSG_SA_DEL;
	d->cb[d->n] = cb;
	d->arg[d->n++] = arg;
	return 0;
}

static unsigned fdp_cancel(void *ctx, void *arg)
{
	(void)ctx, (void)arg;
	return 0;
}

static void fdp_ack_all(struct fake_dp *d)
{
	for (unsigned i = 0; i < d->n; i++)
		if (d->cb[i]) {
			dpif_cb cb = d->cb[i];

			d->cb[i] = NULL;
			cb(0, &(struct dpif_reply){ 0 }, d->arg[i]);
		}
}

/* Run the loop until the client socket has a datagram (at most @p rounds x 5 ms). */
static size_t pump_n(struct event_base *base, int cfd, uint8_t *buf, size_t cap, int rounds)
{
	for (int i = 0; i < rounds; i++) {
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

static size_t pump(struct event_base *base, int cfd, uint8_t *buf, size_t cap)
{
	return pump_n(base, cfd, buf, cap, 200);
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

struct env {
	struct event_base *base;
	struct fake_dp dp;
	struct ike_io *io;
	int cfd;
	struct ini in;
	struct ike_msg *m;
	uint8_t req[4096], resp[4100];
};

static struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof(*e));
	struct ike_dp_ops ops = { fdp_send, fdp_cancel, &e->dp };
	struct ike_conf conf;
	struct rp_cfg c;

	e->base = event_base_new();
	e->m = calloc(1, sizeof(*e->m));
	assert_int_equal(rp_cfg_load_string(&c, "test", conf_text, rp_conf_schema), 0);
	assert_int_equal(ike_conf_parse(&c, rp_cfg_get(rp_cfg_root(&c), "ike"), &conf), 0);
	rp_cfg_free(&c);
	assert_int_equal(conf.resp.dpd_mode, IKE_DPD_PERIODIC);
	assert_int_equal(conf.resp.dpd_interval, 60);
	assert_int_equal(conf.resp.dpd_retry, 1);
	assert_int_equal(conf.resp.dpd_retries, 2);
	assert_int_equal(conf.resp.max_half_open_per_peer, 4);
	assert_int_equal(conf.nat_keepalive, 1);
	assert_int_equal(ike_io_create(e->base, NULL, &ops, &conf, &e->io), 0);
	e->cfd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(e->cfd >= 0);
	return e;
}

static void env_free(struct env *e)
{
	close(e->cfd);
	ini_free(&e->in);
	ike_io_destroy(e->io);
	event_base_free(e->base);
	free(e->m);
	free(e);
}

/* IKE_SA_INIT on the IKE port, IKE_AUTH on the NAT-T port. */
static void connect_client(struct env *e, uint64_t seed, bool bogus_natd)
{
	uint16_t dh[] = { IKE_DH_CURVE25519, 0 };
	struct ini_auth_opts o = { .id_type = IKE_ID_RFC822_ADDR, .id = "alice@example.test",
				   .psk = "s3cret" };
	struct ike_sa_pl sa;
	size_t len;

	ini_init(&e->in, seed, IKE_DH_CURVE25519);
	e->in.natd_dst_bogus = bogus_natd;
	ini_proposal(&sa, IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, dh);
	len = ini_build_init(&e->in, &sa, NULL, 0, e->req, sizeof(e->req));
	send_to(e->cfd, ike_io_port(e->io, false), false, e->req, len);
	len = pump(e->base, e->cfd, e->resp, sizeof(e->resp));
	assert_true(len > 0);
	assert_int_equal(ini_process_init(&e->in, e->resp, len, e->m), 0);
	len = ini_build_auth(&e->in, &o, e->req, sizeof(e->req));
	send_to(e->cfd, ike_io_port(e->io, true), true, e->req, len);
	assert_int_equal(pump_n(e->base, e->cfd, e->resp, sizeof(e->resp), 20), 0);
	fdp_ack_all(&e->dp);
	len = pump(e->base, e->cfd, e->resp, sizeof(e->resp));
	assert_true(len > 4);
	assert_int_equal(ini_process_auth(&e->in, e->resp + 4, len - 4, e->m, "s3cret"), 0);
	assert_int_equal(e->in.child_err, 0);
}

static const char *show_json(struct env *e, struct sbuf *sb)
{
	struct json_w jw;

	sbuf_reset(sb);
	json_init(&jw, sb, false);
	ike_io_show(e->io, true, NULL, &jw);
	assert_int_equal(json_finish(&jw), 0);
	return sbuf_str(sb);
}

/* A peer's keepalives are absorbed: counted, not answered, not handed to IKE. */
static void test_keepalive_absorbed(void **state)
{
	struct env *e = env_new();
	struct ike_resp_stats st0, st;
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, 1 << 20);
	connect_client(e, 77, false);
	ike_resp_get_stats(ike_io_resp(e->io), &st0);
	for (int i = 0; i < 3; i++)
		send_to(e->cfd, ike_io_port(e->io, true), false, (const uint8_t *)"\xff", 1);
	assert_int_equal(pump_n(e->base, e->cfd, e->resp, sizeof(e->resp), 40), 0);
	ike_resp_get_stats(ike_io_resp(e->io), &st);
	assert_int_equal(st.rx, st0.rx);
	assert_int_equal(st.dropped, st0.dropped);
	assert_non_null(strstr(show_json(e, &sb), "\"nat_keepalives_rx\":3"));
	/* the peer is not behind our NAT and we are not behind one: we send none */
	assert_non_null(strstr(sbuf_str(&sb), "\"local_behind_nat\":false"));
	assert_non_null(strstr(sbuf_str(&sb), "\"nat_keepalives_tx\":0"));
	sbuf_free(&sb);
	env_free(e);
}

/* Behind a NAT (the peer's NAT_DETECTION_DESTINATION_IP does not match our address), we
 * keep its mapping open: one 0xff byte from the NAT-T port to the peer, repeatedly. */
static void test_keepalive_sent(void **state)
{
	struct env *e = env_new();
	struct sbuf sb;
	unsigned got = 0;
	size_t len;

	(void)state;
	sbuf_init(&sb, 1 << 20);
	connect_client(e, 78, true);
	assert_non_null(strstr(show_json(e, &sb), "\"local_behind_nat\":true"));
	sbuf_reset(&sb);
	ike_io_show(e->io, true, &sb, NULL);
	assert_non_null(strstr(sbuf_str(&sb), "NAT-T: we are behind a NAT, keepalive every 1 s"));
	assert_non_null(strstr(sbuf_str(&sb), "; DPD periodic, 60 s, give up after 2 x 1 s\n"));
	assert_non_null(strstr(sbuf_str(&sb), "    CHILD_SA age "));
	assert_non_null(strstr(sbuf_str(&sb), " s, rekey in "));
	/* two keepalives (the tick runs every second; bounded wait, no timing asserted) */
	while (got < 2) {
		len = pump_n(e->base, e->cfd, e->resp, sizeof(e->resp), 1000);
		assert_true(len > 0);
		assert_int_equal(len, 1);
		assert_int_equal(e->resp[0], 0xff);
		got++;
	}
	assert_non_null(strstr(show_json(e, &sb), "\"nat_keepalives_tx\":"));
	assert_null(strstr(sbuf_str(&sb), "\"nat_keepalives_tx\":0"));
	sbuf_free(&sb);
	env_free(e);
}

/* "clear session": errors, by id (text), then by address and "all" (JSON). */
static void test_clear_session(void **state)
{
	struct env *e = env_new();
	struct sbuf sb;
	struct json_w jw;
	char err[160];
	size_t len;

	(void)state;
	sbuf_init(&sb, 1 << 20);
	connect_client(e, 79, false);
	assert_int_equal(ike_io_clear(e->io, "nonsense", &sb, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'nonsense' is neither a session id"));
	assert_int_equal(ike_io_clear(e->io, "4711", &sb, NULL, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no session 4711"));
	assert_int_equal(ike_io_clear(e->io, "192.0.2.99", &sb, NULL, err, sizeof(err)), -ENOENT);
	assert_int_equal(ike_io_clear(e->io, "99999999999999", &sb, NULL, err, sizeof(err)),
			 -EINVAL);
	/* the session's id is in "show sessions" */
	ike_io_show(e->io, false, &sb, NULL);
	assert_non_null(strstr(sbuf_str(&sb), "\n1      127.0.0.1:"));
	sbuf_reset(&sb);
	e->dp.n_del = 0;
	assert_int_equal(ike_io_clear(e->io, "1", &sb, NULL, err, sizeof(err)), 0);
	assert_non_null(strstr(sbuf_str(&sb), "session 1 (127.0.0.1:"));
	assert_non_null(strstr(sbuf_str(&sb), "alice@example.test) cleared"));
	assert_non_null(strstr(sbuf_str(&sb), "1 session cleared"));
	assert_int_equal(e->dp.n_del, 2);
	/* the peer gets a Delete (on the NAT-T port, behind the marker) */
	len = pump(e->base, e->cfd, e->resp, sizeof(e->resp));
	assert_true(len > 4);
	assert_memory_equal(e->resp, ((uint8_t[4]){ 0 }), 4);
	assert_int_equal(ike_msg_parse(e->resp + 4, len - 4, e->m, NULL), IKE_PERR_OK);
	assert_int_equal(e->m->hdr.exchange, IKE_XCHG_INFORMATIONAL);
	assert_false(e->m->hdr.flags & IKE_HDR_F_R);
	/* until it answers (or gives no answer for long enough) it is being deleted */
	sbuf_reset(&sb);
	ike_io_show(e->io, false, &sb, NULL);
	assert_non_null(strstr(sbuf_str(&sb), "DELETING"));
	/* already being cleared: "all" finds nothing more to do */
	sbuf_reset(&sb);
	json_init(&jw, &sb, false);
	assert_int_equal(ike_io_clear(e->io, "all", NULL, &jw, err, sizeof(err)), 0);
	assert_int_equal(json_finish(&jw), 0);
	assert_string_equal(sbuf_str(&sb), "{\"cleared\":[],\"count\":0}\n");
	ini_free(&e->in);
	/* a second client, cleared by address in JSON */
	connect_client(e, 80, false);
	sbuf_reset(&sb);
	json_init(&jw, &sb, false);
	assert_int_equal(ike_io_clear(e->io, "127.0.0.1", NULL, &jw, err, sizeof(err)), 0);
	assert_int_equal(json_finish(&jw), 0);
	assert_non_null(strstr(sbuf_str(&sb), "\"id\":2,"));
	assert_non_null(strstr(sbuf_str(&sb), "\"peer_id\":\"alice@example.test\""));
	assert_non_null(strstr(sbuf_str(&sb), "\"count\":1"));
	sbuf_free(&sb);
	env_free(e);
}

/* "show sessions" in pages: the lowest ids first, the id to go on from, the total. */
static void test_show_pages(void **state)
{
	struct env *e = env_new();
	struct ike_show_sel sel = { .limit = 2 };
	struct json_w jw;
	struct sbuf sb;
	char err[160];

	(void)state;
	sbuf_init(&sb, 1 << 20);
	for (int k = 0; k < 3; k++) {
		connect_client(e, 90 + (uint64_t)k, false);
		ini_free(&e->in);
	}
	json_init(&jw, &sb, false);
	ike_io_show_sa(e->io, &sel, NULL, 0, NULL, &jw);
	assert_int_equal(json_finish(&jw), 0);
	assert_non_null(strstr(sbuf_str(&sb), "\"id\":1,"));
	assert_non_null(strstr(sbuf_str(&sb), "\"id\":2,"));
	assert_null(strstr(sbuf_str(&sb), "\"id\":3,"));
	assert_non_null(strstr(sbuf_str(&sb), "\"count\":2,\"total\":3,\"next_from\":3,"));
	sbuf_reset(&sb);
	ike_io_show_sa(e->io, &sel, NULL, 0, &sb, NULL);
	assert_non_null(strstr(sbuf_str(&sb), "2 of 3 sessions listed"));
	assert_non_null(strstr(sbuf_str(&sb), "more: show sessions from 3\n"));
	/* the next page: the last session, nothing after it */
	sel.from = 3;
	sbuf_reset(&sb);
	json_init(&jw, &sb, false);
	ike_io_show_sa(e->io, &sel, NULL, 0, NULL, &jw);
	assert_int_equal(json_finish(&jw), 0);
	assert_non_null(strstr(sbuf_str(&sb), "\"id\":3,"));
	assert_null(strstr(sbuf_str(&sb), "\"id\":1,"));
	assert_non_null(strstr(sbuf_str(&sb), "\"count\":1,\"total\":3,\"next_from\":null,"));
	/* everything at once (ike_io_show) */
	sbuf_reset(&sb);
	ike_io_show(e->io, false, &sb, NULL);
	assert_non_null(strstr(sbuf_str(&sb), "3 sessions (0 half-open)"));
	assert_null(strstr(sbuf_str(&sb), "more:"));
	/* "clear session all" takes them all in one call; a second finds none left to clear */
	sbuf_reset(&sb);
	assert_int_equal(ike_io_clear(e->io, "all", &sb, NULL, err, sizeof(err)), 0);
	assert_non_null(strstr(sbuf_str(&sb), "session 1 ("));
	assert_non_null(strstr(sbuf_str(&sb), "session 3 ("));
	assert_non_null(strstr(sbuf_str(&sb), "\n3 sessions cleared\n"));
	sbuf_reset(&sb);
	assert_int_equal(ike_io_clear(e->io, "all", &sb, NULL, err, sizeof(err)), 0);
	assert_string_equal(sbuf_str(&sb), "0 sessions cleared\n");
	assert_int_equal(ike_io_clear(e->io, "2", &sb, NULL, err, sizeof(err)), -ENOENT);
	sbuf_free(&sb);
	env_free(e);
}

static void bad_conf(const char *text, const char *want)
{
	struct ike_conf conf;
	struct rp_cfg c;

	if (rp_cfg_load_string(&c, "bad", text, rp_conf_schema) == 0) {
		assert_int_not_equal(ike_conf_parse(&c, rp_cfg_get(rp_cfg_root(&c), "ike"), &conf),
				     0);
		assert_true(c.n_errors > 0);
	}
	if (!strstr(c.err, want))
		fail_msg("'%s' not in '%s'", want, c.err);
	rp_cfg_free(&c);
}

static void test_conf(void **state)
{
	struct ike_conf conf;
	struct rp_cfg c;

	(void)state;
	/* defaults: on-demand 30 s, 2 s x 5, keepalives every 20 s, 10 half-open per peer */
	assert_int_equal(rp_cfg_load_string(&c, "test", "ike = { };", rp_conf_schema), 0);
	assert_int_equal(ike_conf_parse(&c, rp_cfg_get(rp_cfg_root(&c), "ike"), &conf), 0);
	rp_cfg_free(&c);
	assert_int_equal(conf.resp.dpd_mode, IKE_DPD_ON_DEMAND);
	assert_int_equal(conf.resp.dpd_interval, 30);
	assert_int_equal(conf.resp.dpd_retry, 2);
	assert_int_equal(conf.resp.dpd_retries, 5);
	assert_int_equal(conf.nat_keepalive, 20);
	assert_int_equal(conf.resp.max_half_open_per_peer, 10);
	ike_conf_free(&conf);
	assert_int_equal(rp_cfg_load_string(&c, "test", "ike = { dpd = { mode = \"off\"; }; };",
					    rp_conf_schema), 0);
	assert_int_equal(ike_conf_parse(&c, rp_cfg_get(rp_cfg_root(&c), "ike"), &conf), 0);
	rp_cfg_free(&c);
	assert_int_equal(conf.resp.dpd_mode, IKE_DPD_OFF);
	ike_conf_free(&conf);
	bad_conf("ike = { dpd = { mode = \"sometimes\"; }; };", "bad:1:");
	bad_conf("ike = { dpd = { interval = 0; }; };", "interval");
	bad_conf("ike = { dpd = { retries = 11; }; };", "retries");
	bad_conf("ike = { dpd = { every = 3; }; };", "every");
	bad_conf("ike = { nat_keepalive = -1; };", "nat_keepalive");
	bad_conf("ike = { max_half_open_per_peer = 0; };", "max_half_open_per_peer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keepalive_absorbed),
		cmocka_unit_test(test_keepalive_sent),
		cmocka_unit_test(test_clear_session),
		cmocka_unit_test(test_show_pages),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
