/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * rampartd's side of "sa add", "sa del" and "show drops" against a fake dataplane: the test
 * attaches to a private control region as RP_ROLE_DP and answers the commands itself, while
 * a real management socket serves the requests (controlplane/cp_sa.c, cp_status.c).
 * Checked: the command sequence (SA_ADD, then each ROUTE_ADD after the previous ACK), the
 * answer only once the dataplane acknowledged, rollback (SA_DEL) when a route is refused,
 * another id when the dataplane already has the allocated one, "sa del" only for SAs added
 * this way, and the drop table built from DROP_INFO + PORT_INFO.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <event2/event.h>

#include "common/chan.h"
#include "common/log.h"
#include "common/manual_sa.h"
#include "common/msg.h"
#include "controlplane/cp.h"
#include "controlplane/dpif/dpif.h"
#include "controlplane/mgmt/mgmt.h"

struct fx {
	char dir[64], region[96], sock[96];
	struct event_base *base;
	struct rp_chan *dp;
	struct cp cp;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void step(struct fx *f)
{
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	usleep(200);
}

/* ---- fake dataplane ---------------------------------------------------------------------- */

static void dp_next(struct fx *f, struct rp_msg *m)
{
	char why[128];
	uint64_t end = now_ms() + 3000;

	for (;;) {
		int rc = rp_chan_recv(f->dp, m, why, sizeof(why));

		assert_true(rc >= 0);
		if (rc == 1)
			return;
		if (now_ms() > end)
			fail_msg("no command from rampartd within 3 s");
		step(f);
	}
}

static void dp_emit(struct fx *f, uint16_t type, const void *p, size_t len, uint16_t flags,
		    uint64_t ref)
{
	struct rp_msg_hdr h = { .flags = flags, .ref = ref };

	assert_int_equal(rp_chan_send(f->dp, type, p, len, &h, NULL), 0);
}

static void dp_ack(struct fx *f, const struct rp_msg *cmd, int status, const char *reason)
{
	struct rp_msg_ack a;

	memset(&a, 0, sizeof(a));
	a.status = status;
	snprintf(a.reason, sizeof(a.reason), "%s", reason);
	dp_emit(f, RP_MSG_ACK, &a, sizeof(a), 0, cmd->hdr.seq);
}

/* Nothing more on the command ring for a while. */
static void dp_quiet(struct fx *f)
{
	uint64_t end = now_ms() + 100;

	while (now_ms() < end)
		step(f);
	assert_int_equal(rp_chan_pending(f->dp), 0);
}

/* ---- management client ------------------------------------------------------------------- */

static int client_send(struct fx *f, const char *line)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
	assert_int_equal(send(fd, "\n", 1, MSG_NOSIGNAL), 1);
	return fd;
}

/* The whole answer (the server closes after it), running the loop meanwhile. */
static char *client_answer(struct fx *f, int fd)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	uint64_t end = now_ms() + 3000;

	assert_non_null(buf);
	for (;;) {
		ssize_t n = recv(fd, buf + len, cap - len - 1, 0);

		if (n == 0)
			break;
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		assert_int_equal(errno, EAGAIN);
		if (now_ms() > end)
			fail_msg("no answer within 3 s");
		step(f);
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

/* Has the server answered already? (Answers must wait for the dataplane.) */
static bool answered(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_PEEK) != -1 || errno != EAGAIN;
}

/* JSON answers are pretty-printed: compare them without blanks and newlines. */
static void squeeze(char *s)
{
	char *o = s;
	bool in_str = false;

	for (; *s; s++) {
		if (*s == '"')
			in_str = !in_str;
		if (!in_str && (*s == ' ' || *s == '\n'))
			continue;
		*o++ = *s;
	}
	*o = '\0';
}

static void expect_answer(struct fx *f, int fd, const char *want)
{
	char *got = client_answer(f, fd);

	if (strcmp(got, want) != 0) {
		print_error("answer \"%s\"\n  want \"%s\"\n", got, want);
		free(got);
		fail();
	}
	free(got);
}

/* ---- fixture ------------------------------------------------------------------------------ */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct dpif_opts o = { .poll_busy_us = 500, .poll_idle_us = 2000 };
	char err[256];
	struct rp_msg m;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/rp-saflow-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->region, sizeof(f->region), "%s/region", f->dir);
	snprintf(f->sock, sizeof(f->sock), "%s/mgmt.sock", f->dir);
	f->base = event_base_new();
	assert_non_null(f->base);
	f->cp.base = f->base;
	assert_int_equal(rp_chan_open(f->region, RP_ROLE_CP, 64, &f->cp.ch, err, sizeof(err)), 0);
	assert_int_equal(rp_chan_open(f->region, RP_ROLE_DP, 64, &f->dp, err, sizeof(err)), 0);
	assert_int_equal(dpif_create(f->base, f->cp.ch, &o, &f->cp.dpif), 0);
	assert_int_equal(mgmt_create(f->base, f->sock, &f->cp.mgmt, err, sizeof(err)), 0);
	assert_int_equal(cp_sa_register(&f->cp), 0);
	assert_int_equal(cp_status_register(&f->cp), 0);
	/* the first poll resynchronises the dataplane: nothing to replay */
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_RESYNC_BEGIN);
	dp_ack(f, &m, 0, "");
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_RESYNC_END);
	dp_ack(f, &m, 0, "");
	for (int i = 0; i < 50; i++)
		step(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	mgmt_destroy(f->cp.mgmt);
	dpif_destroy(f->cp.dpif);
	rp_chan_close(f->dp);
	rp_chan_close(f->cp.ch);
	event_base_free(f->base);
	unlink(f->region);
	rmdir(f->dir);
	free(f);
	return 0;
}

#define GCM_KEY "0x000102030405060708090a0b0c0d0e0f10111213"
#define OUT_SA "sa add direction out spi 0x2001 cipher aes-gcm-128 key " GCM_KEY \
	       " local 192.0.2.1 remote 198.51.100.7 "

/* Runs in order: the ids rampartd allocates follow from one test to the next. */
static void test_add_route_refused_rolls_back(void **state)
{
	struct fx *f = *state;
	struct rp_msg m;
	uint32_t id;
	int fd;

	fd = client_send(f, OUT_SA "routes 198.18.7.0/24,198.18.8.0/24");
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_SA_ADD);
	id = m.u.sa.sa_id;
	assert_int_equal(id, RP_SA_ID_CLI_FIRST);
	assert_int_equal(m.u.sa.spi, htonl(0x2001));
	assert_int_equal(m.u.sa.salt[3], 0x13);
	/* no route before the SA is acknowledged, no answer either */
	dp_quiet(f);
	assert_false(answered(fd));
	dp_ack(f, &m, 0, "");
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_ROUTE_ADD);
	assert_int_equal(m.u.route.sa_id, id);
	assert_int_equal(m.u.route.prefix.plen, 24);
	assert_int_equal(m.u.route.prefix.addr[2], 7);
	dp_ack(f, &m, 0, "");
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_ROUTE_ADD);
	assert_int_equal(m.u.route.prefix.addr[2], 8);
	dp_ack(f, &m, -ENOSPC, "route table full");
	/* the SA goes again (its routes with it) */
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_SA_DEL);
	assert_int_equal(m.u.sa_ref.sa_id, id);
	dp_ack(f, &m, 0, "");
	expect_answer(f, fd, "ERR sa add: the dataplane refused route 198.18.8.0/24: route table "
		      "full (SA 4278190080 removed again)\n");
	/* rolled back: not ours to delete any more */
	fd = client_send(f, "sa del 4278190080");
	expect_answer(f, fd, "ERR sa del: SA 4278190080 was not added with 'sa add' (rampartctl "
		      "deletes only those; IKE SAs end with their IKE SA, configuration SAs with "
		      "the configuration)\n");
	dp_quiet(f);
}

static void test_add_taken_id_then_del(void **state)
{
	struct fx *f = *state;
	struct rp_msg m;
	char *got;
	int fd;

	fd = client_send(f, OUT_SA);
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_SA_ADD);
	assert_int_equal(m.u.sa.sa_id, RP_SA_ID_CLI_FIRST + 1);
	dp_ack(f, &m, -EEXIST, "duplicate sa_id 4278190081 (a manual SA from the configuration)");
	/* the next id */
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_SA_ADD);
	assert_int_equal(m.u.sa.sa_id, RP_SA_ID_CLI_FIRST + 2);
	/* outbound without routes or selectors: 0.0.0.0/0 as its selector, no ROUTE_ADD */
	assert_int_equal(m.u.sa.n_ts, 1);
	dp_ack(f, &m, 0, "");
	expect_answer(f, fd, "OK\nSA 4278190082 added (out, SPI 0x00002001, 0 routes)\n");
	dp_quiet(f);

	/* an explicit id rampartctl already uses */
	fd = client_send(f, OUT_SA "sa_id 4278190082");
	expect_answer(f, fd, "ERR sa add: sa_id 4278190082 is already used by an SA added with "
		      "rampartctl ('sa del 4278190082' first)\n");
	/* the dataplane refuses: nothing remembered */
	fd = client_send(f, OUT_SA "sa_id 0xff0000aa");
	dp_next(f, &m);
	assert_int_equal(m.u.sa.sa_id, 0xff0000aa);
	dp_ack(f, &m, -EADDRINUSE, "SPI 0x00002001 already used on 192.0.2.1 by SA 9");
	expect_answer(f, fd, "ERR sa add: the dataplane refused SA 4278190250: SPI 0x00002001 "
		      "already used on 192.0.2.1 by SA 9\n");
	fd = client_send(f, "sa del 0xff0000aa");
	expect_answer(f, fd, "ERR sa del: SA 4278190250 was not added with 'sa add' (rampartctl "
		      "deletes only those; IKE SAs end with their IKE SA, configuration SAs with "
		      "the configuration)\n");

	fd = client_send(f, "--json sa del 4278190082");
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_SA_DEL);
	assert_int_equal(m.u.sa_ref.sa_id, RP_SA_ID_CLI_FIRST + 2);
	dp_quiet(f);
	assert_false(answered(fd));
	dp_ack(f, &m, 0, "");
	got = client_answer(f, fd);
	squeeze(got);
	assert_string_equal(got, "OK{\"sa_id\":4278190082,\"deleted\":true}");
	free(got);
	fd = client_send(f, "sa del 4278190082");
	expect_answer(f, fd, "ERR sa del: SA 4278190082 was not added with 'sa add' (rampartctl "
		      "deletes only those; IKE SAs end with their IKE SA, configuration SAs with "
		      "the configuration)\n");
	dp_quiet(f);
}

static void test_add_bad_words(void **state)
{
	struct fx *f = *state;
	int fd;

	fd = client_send(f, OUT_SA "spi 0x3001");
	expect_answer(f, fd, "ERR sa add: spi given twice\n");
	fd = client_send(f, "sa add direction in spi 0x1001 cipher aes-gcm-128 key 0x00 "
			 "local 192.0.2.1 remote 198.51.100.7 traffic_selectors 203.0.113.2/32");
	expect_answer(f, fd, "ERR sa add: key: AES_GCM_128 needs 20 bytes, this is 1\n");
	fd = client_send(f, "sa del abc");
	expect_answer(f, fd, "ERR sa del: 'abc' is not an SA id (1 to 4294967295)\n");
	/* nothing reached the dataplane */
	dp_quiet(f);
}

static void test_show_drops(void **state)
{
	static const char *const names[] = { "unhandled", "no_sa", "auth_failed" };
	struct fx *f = *state;
	struct rp_msg m;
	struct rp_msg_dump_end end = { .count = 3 };
	char *got;
	int fd;

	fd = client_send(f, "show drops");
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_DROP_DUMP);
	for (unsigned r = 0; r < 3; r++) {
		struct rp_msg_drop d = { .reason = (uint16_t)r, .n_ports = 2,
					 .port_id = { 0, 1 } };

		snprintf(d.name, sizeof(d.name), "%s", names[r]);
		d.count[0] = r == 1 ? 5 : r == 2 ? 2 : 0;
		d.count[1] = r == 1 ? 1 : 0;
		dp_emit(f, RP_MSG_DROP_INFO, &d, sizeof(d), RP_MSGF_MORE, m.hdr.seq);
	}
	dp_emit(f, RP_MSG_DUMP_END, &end, sizeof(end), 0, m.hdr.seq);
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_PORT_DUMP);
	for (uint16_t p = 0; p < 2; p++) {
		struct rp_msg_port pi = { .port_id = p, .role = (uint8_t)p, .link_up = 1 };

		snprintf(pi.name, sizeof(pi.name), "%s", p ? "inside" : "outside");
		dp_emit(f, RP_MSG_PORT_INFO, &pi, sizeof(pi), RP_MSGF_MORE, m.hdr.seq);
	}
	end.count = 2;
	dp_emit(f, RP_MSG_DUMP_END, &end, sizeof(end), 0, m.hdr.seq);
	expect_answer(f, fd,
		      "OK\n"
		      "REASON             outside         inside          TOTAL\n"
		      "no_sa                    5              1              6\n"
		      "auth_failed              2              0              2\n"
		      "8 packets dropped ('show drops all' lists every reason)\n");

	fd = client_send(f, "show drops all --json");
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_DROP_DUMP);
	for (unsigned r = 0; r < 2; r++) {
		struct rp_msg_drop d = { .reason = (uint16_t)r, .n_ports = 1, .port_id = { 3 } };

		snprintf(d.name, sizeof(d.name), "%s", names[r]);
		d.count[0] = r;
		dp_emit(f, RP_MSG_DROP_INFO, &d, sizeof(d), RP_MSGF_MORE, m.hdr.seq);
	}
	dp_emit(f, RP_MSG_DUMP_END, &end, sizeof(end), 0, m.hdr.seq);
	/* the port dump fails: ports are named by id */
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_PORT_DUMP);
	dp_ack(f, &m, -EIO, "no");
	got = client_answer(f, fd);
	squeeze(got);
	assert_string_equal(got, "OK{\"ports\":[{\"id\":3,\"name\":\"port3\",\"role\":"
			    "\"unknown\",\"drops\":{\"unhandled\":0,\"no_sa\":1},\"total\":1}],"
			    "\"total\":{\"unhandled\":0,\"no_sa\":1},\"total_drops\":1}");
	free(got);

	fd = client_send(f, "show drops some");
	expect_answer(f, fd, "ERR show drops: 'some': the only argument is 'all' (every reason, "
		      "also those that never counted)\n");
	dp_quiet(f);
}

/* A restarted rampart-dp has none of the SAs added before: rampartd forgets them. */
static void test_dp_restart_forgets(void **state)
{
	struct fx *f = *state;
	struct rp_msg m;
	char err[256];
	int fd;

	fd = client_send(f, OUT_SA "sa_id 0xff0000bb");
	dp_next(f, &m);
	assert_int_equal(m.u.sa.sa_id, 0xff0000bb);
	dp_ack(f, &m, 0, "");
	expect_answer(f, fd, "OK\nSA 4278190267 added (out, SPI 0x00002001, 0 routes)\n");

	/* the dataplane restarts (new epoch): rampartd resynchronises it */
	rp_chan_close(f->dp);
	assert_int_equal(rp_chan_open(f->region, RP_ROLE_DP, 64, &f->dp, err, sizeof(err)), 0);
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_RESYNC_BEGIN);
	dp_ack(f, &m, 0, "");
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_RESYNC_END);
	dp_ack(f, &m, 0, "");
	for (int i = 0; i < 50; i++)
		step(f);
	/* the id is free again, and the old SA is not "ours" any more */
	fd = client_send(f, "sa del 0xff0000bb");
	expect_answer(f, fd, "ERR sa del: SA 4278190267 was not added with 'sa add' (rampartctl "
		      "deletes only those; IKE SAs end with their IKE SA, configuration SAs with "
		      "the configuration)\n");
	fd = client_send(f, OUT_SA "sa_id 0xff0000bb");
	dp_next(f, &m);
	assert_int_equal(m.u.sa.sa_id, 0xff0000bb);
	dp_ack(f, &m, 0, "");
	expect_answer(f, fd, "OK\nSA 4278190267 added (out, SPI 0x00002001, 0 routes)\n");
	dp_quiet(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_route_refused_rolls_back),
		cmocka_unit_test(test_add_taken_id_then_del),
		cmocka_unit_test(test_add_bad_words),
		cmocka_unit_test(test_show_drops),
		cmocka_unit_test(test_dp_restart_forgets),
	};

	rp_log_init("test_cp_sa_flow", RP_LOG_STDERR, RP_LOG_WARN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
