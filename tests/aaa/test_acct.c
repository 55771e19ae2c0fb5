/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Accounting (acct.h) through the real RADIUS client to fake accounting servers in the same
 * event loop (UDP on 127.0.0.1): the Start / Interim-Update / Stop attributes as they reach
 * the server (authenticator verified), Gigawords, the terminate cause, the queue kept while
 * no server answers and sent again with Acct-Delay-Time grown, failover between the groups
 * of a list, overflow of a full queue, stop-only lists, interim updates asking for counters.
 * The clocks that go into attributes are the test's, so the values are exact.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "controlplane/aaa/acct.h"
#include "controlplane/aaa/radius_client.h"

#define SECRET "acct-s3cret"
#define BOOT 0x6560A1B2u

struct fake {
	int fd;
	uint16_t port;
	struct event *ev;
	bool answer;
	unsigned received;
	uint8_t last[RADIUS_MAX_LEN];
	size_t last_len;
	/* every verified request's status type, in order */
	uint32_t status[64];
	unsigned n_status;
};

static struct event_base *base;
static struct fake fa, fb;
static struct radius_client *ca, *cb;
static struct acct *a;
static uint64_t mono_now = 1000000, wall_now = 1700000000000ull;
static struct radius_pkt pkt;

static uint64_t t_mono(void *arg)
{
	(void)arg;
	return mono_now;
}

static uint64_t t_wall(void *arg)
{
	(void)arg;
	return wall_now;
}

static void on_fake(evutil_socket_t fd, short what, void *arg)
{
	struct fake *f = arg;
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	uint8_t buf[RADIUS_MAX_LEN], out[64];
	struct radius_bld b;
	struct radius_pkt p;
	ssize_t n;
	size_t len;
	uint32_t st = 0;

	(void)what;
	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &pl);
	if (n <= 0)
		return;
	f->received++;
	assert_int_equal(radius_parse(buf, (size_t)n, &p), RADIUS_PERR_OK);
	assert_int_equal(p.code, RADIUS_ACCOUNTING_REQUEST);
	assert_int_equal(radius_verify_request(&p, SECRET, strlen(SECRET), false), 0);
	memcpy(f->last, buf, (size_t)n);
	f->last_len = (size_t)n;
	radius_get_u32(&p, RADIUS_A_ACCT_STATUS_TYPE, &st);
	if (f->n_status < 64)
		f->status[f->n_status++] = st;
	if (!f->answer)
		return;
	radius_bld_init(&b, out, sizeof(out), RADIUS_ACCOUNTING_RESPONSE, p.id, p.auth, false);
	len = radius_bld_finish(&b, SECRET, strlen(SECRET));
	sendto(fd, out, len, 0, (struct sockaddr *)&peer, pl);
}

static void fake_open(struct fake *f, bool answer)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	memset(f, 0, sizeof(*f));
	f->answer = answer;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(f->fd >= 0);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(f->fd, (struct sockaddr *)&sa, &sl);
	f->port = ntohs(sa.sin_port);
	f->ev = event_new(base, f->fd, EV_READ | EV_PERSIST, on_fake, f);
	event_add(f->ev, NULL);
}

static struct radius_client *client_for(const struct fake *f, const char *name)
{
	struct radius_group_cfg g;
	struct radius_client *c;

	radius_group_cfg_init(&g);
	snprintf(g.name, sizeof(g.name), "%s", name);
	g.n_servers = 1;
	radius_server_cfg_init(&g.server[0]);
	g.server[0].addr.ss_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &((struct sockaddr_in *)&g.server[0].addr)->sin_addr);
	g.server[0].acct_port = f->port;
	memcpy(g.server[0].secret, SECRET, strlen(SECRET));
	g.server[0].secret_len = strlen(SECRET);
	g.server[0].timeout_ms = 20;
	g.server[0].retransmits = 0;
	g.dead_after = 0;
	assert_int_equal(radius_client_new(base, &g, &c), 0);
	return c;
}

static void make_acct(unsigned queue_max)
{
	struct acct_cfg c = { .queue_max = queue_max, .retry_min_ms = 30, .retry_max_ms = 60,
			      .boot_id = BOOT, .mono_ms = t_mono, .wall_ms = t_wall };

	assert_int_equal(acct_new(base, &c, &a), 0);
}

static int setup(void **state)
{
	(void)state;
	base = event_base_new();
	fake_open(&fa, true);
	fake_open(&fb, true);
	ca = client_for(&fa, "ga");
	cb = client_for(&fb, "gb");
	a = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	acct_free(a);
	radius_client_free(ca);
	radius_client_free(cb);
	event_free(fa.ev);
	event_free(fb.ev);
	close(fa.fd);
	close(fb.fd);
	event_base_free(base);
	return 0;
}

/* Run the loop until @p cond holds (bounded: a hang fails the test, nothing is timed). */
#define RUN_UNTIL(cond)                                                      \
	do {                                                                 \
		for (int i_ = 0; i_ < 20000 && !(cond); i_++)                \
			event_base_loop(base, EVLOOP_ONCE);                  \
		assert_true(cond);                                           \
	} while (0)

static void session(struct acct_session *s, uint32_t id, const char *user)
{
	memset(s, 0, sizeof(*s));
	s->id = id;
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->has_framed4 = true;
	inet_pton(AF_INET, "198.18.0.5", s->framed4);
	snprintf(s->calling, sizeof(s->calling), "192.0.2.10");
	s->nas_af = 4;
	inet_pton(AF_INET, "192.0.2.1", s->nas_addr);
}

static uint32_t get(uint8_t type)
{
	uint32_t v = 0xdeadbeef;

	radius_get_u32(&pkt, type, &v);
	return v;
}

static void check_str(uint8_t type, const char *want)
{
	const struct radius_attr *at = radius_find(&pkt, 0, type, NULL);

	assert_non_null(at);
	assert_int_equal(at->len, strlen(want));
	assert_memory_equal(at->val, want, at->len);
}

static void check_common(uint32_t status)
{
	static const uint8_t fip[4] = { 198, 18, 0, 5 }, nas[4] = { 192, 0, 2, 1 };
	char sid[20];

	assert_int_equal(get(RADIUS_A_ACCT_STATUS_TYPE), status);
	acct_session_id(a, 42, sid, sizeof(sid));
	assert_string_equal(sid, "6560A1B2-0000002A");
	check_str(RADIUS_A_ACCT_SESSION_ID, sid);
	check_str(RADIUS_A_USER_NAME, "alice@example.test");
	check_str(RADIUS_A_CALLING_STATION_ID, "192.0.2.10");
	assert_memory_equal(radius_find(&pkt, 0, RADIUS_A_FRAMED_IP_ADDRESS, NULL)->val, fip, 4);
	assert_memory_equal(radius_find(&pkt, 0, RADIUS_A_NAS_IP_ADDRESS, NULL)->val, nas, 4);
	assert_int_equal(get(RADIUS_A_NAS_PORT_TYPE), 5);
	assert_int_equal(get(RADIUS_A_SERVICE_TYPE), 2);
}

static void test_start_stop(void **state)
{
	struct acct_session s;
	struct acct_counters c = { .in_octets = (5ull << 32) + 7, .out_octets = 1234,
				   .in_packets = 10, .out_packets = 20 };
	struct acct_stats st;
	struct radius_client *g[1];
	const char *gn[1] = { "ga" };

	(void)state;
	make_acct(0);
	g[0] = ca;
	assert_int_equal(acct_add_list(a, "acct", false, 0, g, gn, 1), 0);
	session(&s, 42, "alice@example.test");
	assert_int_equal(acct_start(a, "nolist", &s), -ENOENT);
	assert_int_equal(acct_start(a, "acct", &s), 0);
	assert_int_equal(acct_start(a, "acct", &s), -EEXIST); /* a rekey: no second Start */
	RUN_UNTIL(fa.received == 1 && (acct_get_stats(a, &st), st.answered == 1));
	assert_int_equal(radius_parse(fa.last, fa.last_len, &pkt), RADIUS_PERR_OK);
	check_common(ACCT_START);
	assert_null(radius_find(&pkt, 0, RADIUS_A_ACCT_INPUT_OCTETS, NULL));
	assert_null(radius_find(&pkt, 0, RADIUS_A_ACCT_TERMINATE_CAUSE, NULL));
	assert_int_equal(get(RADIUS_A_EVENT_TIMESTAMP), 1700000000);
	assert_int_equal(get(RADIUS_A_ACCT_DELAY_TIME), 0);

	mono_now += 42500;
	wall_now += 42500;
	assert_int_equal(acct_stop(a, 42, ACCT_TC_ADMIN_RESET, &c), 0);
	assert_int_equal(acct_stop(a, 42, ACCT_TC_ADMIN_RESET, &c), -ENOENT);
	assert_false(acct_known(a, 42));
	RUN_UNTIL(fa.received == 2 && (acct_get_stats(a, &st), st.answered == 2));
	assert_int_equal(radius_parse(fa.last, fa.last_len, &pkt), RADIUS_PERR_OK);
	check_common(ACCT_STOP);
	assert_int_equal(get(RADIUS_A_ACCT_SESSION_TIME), 42);
	assert_int_equal(get(RADIUS_A_ACCT_INPUT_OCTETS), 7);
	assert_int_equal(get(RADIUS_A_ACCT_INPUT_GIGAWORDS), 5);
	assert_int_equal(get(RADIUS_A_ACCT_OUTPUT_OCTETS), 1234);
	assert_int_equal(get(RADIUS_A_ACCT_OUTPUT_GIGAWORDS), 0);
	assert_int_equal(get(RADIUS_A_ACCT_INPUT_PACKETS), 10);
	assert_int_equal(get(RADIUS_A_ACCT_OUTPUT_PACKETS), 20);
	assert_int_equal(get(RADIUS_A_ACCT_TERMINATE_CAUSE), 6);
	assert_int_equal(get(RADIUS_A_EVENT_TIMESTAMP), 1700000042);
	assert_int_equal(get(RADIUS_A_ACCT_DELAY_TIME), 0);
	assert_int_equal(st.waiting, 0);
	assert_int_equal(st.sessions, 0);
	assert_string_equal(acct_cause_name(ACCT_TC_LOST_CARRIER), "Lost-Carrier");
}

static void test_queue_retry(void **state)
{
	struct acct_session s;
	struct acct_counters c = { .in_octets = 100, .out_octets = 200 };
	struct acct_stats st;
	struct radius_client *g[1] = { ca };
	const char *gn[1] = { "ga" };

	(void)state;
	fa.answer = false; /* the server is down */
	make_acct(0);
	assert_int_equal(acct_add_list(a, "acct", false, 0, g, gn, 1), 0);
	session(&s, 42, "alice@example.test");
	assert_int_equal(acct_start(a, NULL, &s), 0); /* the first list */
	assert_int_equal(acct_stop(a, 42, ACCT_TC_USER_REQUEST, &c), 0);
	/* both records go round: sent, unanswered, kept, sent again */
	RUN_UNTIL((acct_get_stats(a, &st), st.retries >= 4));
	assert_int_equal(st.answered, 0);
	assert_int_equal(st.waiting, 2);
	assert_true(fa.received >= 4);
	/* the server is back 7 s after the events: both delivered, Delay-Time says so */
	mono_now += 7000;
	fa.answer = true;
	fa.n_status = 0;
	RUN_UNTIL((acct_get_stats(a, &st), st.answered == 2));
	assert_int_equal(st.waiting, 0);
	assert_int_equal(fa.n_status, 2);
	assert_int_equal(fa.status[0], ACCT_START); /* in order */
	assert_int_equal(fa.status[1], ACCT_STOP);
	assert_int_equal(radius_parse(fa.last, fa.last_len, &pkt), RADIUS_PERR_OK);
	assert_int_equal(get(RADIUS_A_ACCT_STATUS_TYPE), ACCT_STOP);
	assert_int_equal(get(RADIUS_A_ACCT_DELAY_TIME), 7);
	assert_int_equal(get(RADIUS_A_ACCT_INPUT_OCTETS), 100);
	assert_int_equal(get(RADIUS_A_ACCT_TERMINATE_CAUSE), ACCT_TC_USER_REQUEST);
}

static void test_failover(void **state)
{
	struct acct_session s;
	struct acct_stats st;
	struct radius_client *g[2] = { ca, cb };
	const char *gn[2] = { "ga", "gb" };

	(void)state;
	fa.answer = false;
	make_acct(0);
	assert_int_equal(acct_add_list(a, "acct", false, 0, g, gn, 2), 0);
	session(&s, 42, "alice@example.test");
	assert_int_equal(acct_start(a, "acct", &s), 0);
	RUN_UNTIL((acct_get_stats(a, &st), st.answered == 1));
	assert_int_equal(fa.received, 1); /* asked first, silent */
	assert_int_equal(fb.received, 1); /* the next group answered */
	assert_int_equal(st.group_failures, 1);
	assert_int_equal(st.retries, 0);
}

static void test_overflow(void **state)
{
	struct acct_session s1, s2;
	struct acct_counters c = { 0 };
	struct acct_stats st;
	struct radius_client *g[1] = { ca };
	const char *gn[1] = { "ga" };

	(void)state;
	fa.answer = false;
	make_acct(2);
	assert_int_equal(acct_add_list(a, "acct", false, 0, g, gn, 1), 0);
	session(&s1, 1, "u1");
	session(&s2, 2, "u2");
	assert_int_equal(acct_start(a, "acct", &s1), 0);  /* Start 1 */
	assert_int_equal(acct_interim(a, 1, &c), 0);      /* Interim 1: queue full */
	assert_int_equal(acct_stop(a, 1, ACCT_TC_USER_REQUEST, &c), 0); /* Interim dropped */
	acct_get_stats(a, &st);
	assert_int_equal(st.overflow, 1);
	assert_int_equal(st.waiting, 2);
	assert_int_equal(acct_start(a, "acct", &s2), 0);  /* its Start cannot be kept */
	acct_get_stats(a, &st);
	assert_int_equal(st.overflow, 2);
	assert_int_equal(st.waiting, 2);
	assert_int_equal(acct_interim(a, 2, &c), -ENOBUFS);
	/* what was kept is delivered once the server answers: Start 1, Stop 1 (the dropped
	 * Interim-Update's datagram may have left already: its answer no longer counts) */
	fa.answer = true;
	fa.n_status = 0;
	RUN_UNTIL((acct_get_stats(a, &st), st.answered == 2));
	assert_int_equal(st.waiting, 0);
	assert_true(fa.n_status >= 2);
	assert_int_equal(fa.status[0], ACCT_START);
	assert_int_equal(fa.status[fa.n_status - 1], ACCT_STOP);
}

static void test_stop_only(void **state)
{
	struct acct_session s;
	struct acct_counters c = { .out_packets = 3 };
	struct acct_stats st;
	struct radius_client *g[1] = { ca };
	const char *gn[1] = { "ga" };

	(void)state;
	make_acct(0);
	assert_int_equal(acct_add_list(a, "so", true, 60, g, gn, 1), 0);
	session(&s, 7, "bob");
	assert_int_equal(acct_start(a, "so", &s), 0);
	assert_int_equal(acct_interim(a, 7, &c), 0); /* nothing for stop-only */
	assert_int_equal(acct_stop(a, 7, ACCT_TC_LOST_CARRIER, &c), 0);
	RUN_UNTIL((acct_get_stats(a, &st), st.answered == 1));
	assert_int_equal(fa.n_status, 1);
	assert_int_equal(fa.status[0], ACCT_STOP);
	assert_int_equal(radius_parse(fa.last, fa.last_len, &pkt), RADIUS_PERR_OK);
	assert_int_equal(get(RADIUS_A_ACCT_TERMINATE_CAUSE), ACCT_TC_LOST_CARRIER);
	assert_int_equal(get(RADIUS_A_ACCT_OUTPUT_PACKETS), 3);
}

static unsigned wanted;
static uint32_t wanted_id;

static void want(void *arg, uint32_t id)
{
	struct acct_counters c = { .in_octets = 555 };

	(void)arg;
	wanted++;
	wanted_id = id;
	acct_interim(a, id, &c);
}

static void test_interim(void **state)
{
	struct acct_session s;
	struct acct_stats st;
	struct radius_client *g[1] = { ca };
	const char *gn[1] = { "ga" };

	(void)state;
	make_acct(0);
	assert_int_equal(acct_add_list(a, "acct", false, 1, g, gn, 1), 0);
	acct_set_counter_source(a, want, NULL);
	session(&s, 42, "alice@example.test");
	assert_int_equal(acct_start(a, "acct", &s), 0);
	RUN_UNTIL((acct_get_stats(a, &st), st.answered == 1));
	assert_int_equal(wanted, 0);
	mono_now += 1000; /* an interval later (the module's tick runs every second) */
	RUN_UNTIL((acct_get_stats(a, &st), st.answered == 2));
	assert_int_equal(wanted, 1);
	assert_int_equal(wanted_id, 42);
	assert_int_equal(radius_parse(fa.last, fa.last_len, &pkt), RADIUS_PERR_OK);
	check_common(ACCT_INTERIM);
	assert_int_equal(get(RADIUS_A_ACCT_INPUT_OCTETS), 555);
	assert_int_equal(get(RADIUS_A_ACCT_SESSION_TIME), 1);
	assert_null(radius_find(&pkt, 0, RADIUS_A_ACCT_TERMINATE_CAUSE, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interim, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
