/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The asynchronous RADIUS client against fake servers in the same process and event loop
 * (UDP sockets on 127.0.0.1): answers, retransmission, failover, dead-server marking and
 * revival, bad replies dropped, identifier exhaustion spreading over sockets, cancel, free;
 * EAP-like conversations (Access-Challenge with a State) stay with the server that issued the
 * State: no failover once it has answered, even when it dies.
 * The fake servers use the codec already checked against FreeRADIUS bytes (test_radius).
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "controlplane/aaa/radius_client.h"

#define SECRET "s3cret-shared"

/*
 * F_CHALLENGE: a request without State gets an Access-Challenge with a State of this fake
 * ("F<port>:<n>"); one with that fake's State an Access-Accept; any other State an
 * Access-Reject (as FreeRADIUS does for a State it does not know). F_CHALLENGE_ONLY: the
 * same Challenges, but requests with a State are not answered (the server died mid-way).
 */
enum fake_mode { F_ACCEPT, F_SILENT, F_BAD_THEN_GOOD, F_UNSIGNED, F_DELAY, F_CHALLENGE,
		 F_CHALLENGE_ONLY };

struct fake {
	int fd;
	uint16_t port;
	struct event *ev;
	enum fake_mode mode;
	unsigned received;      /* datagrams */
	unsigned bad_requests;  /* requests that did not verify */
	unsigned with_state;    /* requests carrying a State */
	unsigned foreign_state; /* ... a State this fake did not issue */
	unsigned challenges;
	char last_pw[130];
};

struct done {
	int n, want;
	int err[1024];
	unsigned server[1024];
	unsigned attempts[1024];
	uint8_t code[1024];
	uint8_t state[8][64];   /* State of the first answers */
	size_t state_len[8];
	uint32_t fip;
	struct event_base *base;
};

static struct event_base *base;
static struct radius_pkt rq;

static void fake_reply(struct fake *f, const uint8_t *buf, size_t n, struct sockaddr_in *peer,
		       socklen_t plen)
{
	static const uint8_t fip[4] = { 198, 18, 200, 77 };
	uint8_t out[RADIUS_MAX_LEN];
	struct radius_bld b;
	const struct radius_attr *pw;
	uint8_t code;
	size_t len;

	(void)n;
	if (radius_parse(buf, n, &rq) != RADIUS_PERR_OK ||
	    radius_verify_request(&rq, SECRET, strlen(SECRET), true)) {
		f->bad_requests++;
		return;
	}
	pw = radius_find(&rq, 0, RADIUS_A_USER_PASSWORD, NULL);
	if (pw)
		radius_password_unhide(pw->val, pw->len, rq.auth, SECRET, strlen(SECRET),
				       (uint8_t *)f->last_pw);
	code = rq.code == RADIUS_ACCOUNTING_REQUEST ? RADIUS_ACCOUNTING_RESPONSE
						    : RADIUS_ACCESS_ACCEPT;
	if (f->mode == F_CHALLENGE || f->mode == F_CHALLENGE_ONLY) {
		const struct radius_attr *st = radius_find(&rq, 0, RADIUS_A_STATE, NULL);
		char mine[64];
		int ml = snprintf(mine, sizeof(mine), "F%u:", f->port);

		if (st) {
			f->with_state++;
			if (st->len <= (size_t)ml || memcmp(st->val, mine, (size_t)ml)) {
				f->foreign_state++;
				code = RADIUS_ACCESS_REJECT;
			} else if (f->mode == F_CHALLENGE_ONLY) {
				return;
			}
		} else {
			code = RADIUS_ACCESS_CHALLENGE;
			ml = snprintf(mine, sizeof(mine), "F%u:%u", f->port, ++f->challenges);
			radius_bld_init(&b, out, sizeof(out), code, rq.id, rq.auth, true);
			radius_bld_attr(&b, RADIUS_A_STATE, mine, (size_t)ml);
			len = radius_bld_finish(&b, SECRET, strlen(SECRET));
			sendto(f->fd, out, len, 0, (struct sockaddr *)peer, plen);
			return;
		}
	}
	if (f->mode == F_BAD_THEN_GOOD) {
		radius_bld_init(&b, out, sizeof(out), code, rq.id, rq.auth, true);
		len = radius_bld_finish(&b, "wrong", 5);
		sendto(f->fd, out, len, 0, (struct sockaddr *)peer, plen);
	}
	radius_bld_init(&b, out, sizeof(out), code, rq.id, rq.auth, f->mode != F_UNSIGNED);
	if (code == RADIUS_ACCESS_ACCEPT)
		radius_bld_attr(&b, RADIUS_A_FRAMED_IP_ADDRESS, fip, 4);
	len = radius_bld_finish(&b, SECRET, strlen(SECRET));
	sendto(f->fd, out, len, 0, (struct sockaddr *)peer, plen);
}

static void fake_read(evutil_socket_t fd, short what, void *arg)
{
	struct fake *f = arg;
	uint8_t buf[RADIUS_MAX_LEN];
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	ssize_t n;

	(void)what;
	while ((n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&peer,
			     &plen)) > 0) {
		f->received++;
		if (f->mode != F_SILENT)
			fake_reply(f, buf, (size_t)n, &peer, plen);
	}
}

static void fake_start(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(f->fd >= 0);
	/* room for the burst of test_many_in_flight (FORCE needs root; else best effort) */
	{
		int sz = 8 << 20;

		if (setsockopt(f->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(f->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(f->fd, (struct sockaddr *)&a, &l), 0);
	f->port = ntohs(a.sin_port);
	f->ev = event_new(base, f->fd, EV_READ | EV_PERSIST, fake_read, f);
	event_add(f->ev, NULL);
}

static void fake_stop(struct fake *f)
{
	event_free(f->ev);
	close(f->fd);
}

static void add_server(struct radius_group_cfg *g, const char *name, uint16_t port,
		       unsigned timeout_ms, unsigned retransmits)
{
	struct radius_server_cfg *s = &g->server[g->n_servers++];
	struct sockaddr_in *a = (struct sockaddr_in *)&s->addr;

	radius_server_cfg_init(s);
	snprintf(s->name, sizeof(s->name), "%s", name);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->auth_port = port;
	s->acct_port = port;
	memcpy(s->secret, SECRET, strlen(SECRET));
	s->secret_len = strlen(SECRET);
	s->timeout_ms = timeout_ms;
	s->retransmits = retransmits;
}

static void on_done(int err, const struct radius_result *res, void *arg)
{
	struct done *d = arg;
	int i = d->n++;

	d->err[i] = err;
	if (!err) {
		const struct radius_attr *st = radius_find(res->pkt, 0, RADIUS_A_STATE, NULL);

		d->server[i] = res->server;
		d->attempts[i] = res->attempts;
		d->code[i] = res->pkt->code;
		radius_get_u32(res->pkt, RADIUS_A_FRAMED_IP_ADDRESS, &d->fip);
		if (st && i < 8 && st->len <= sizeof(d->state[0])) {
			memcpy(d->state[i], st->val, st->len);
			d->state_len[i] = st->len;
		}
	}
	if (d->n >= d->want)
		event_base_loopbreak(base);
}

static void run_expired(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	event_base_loopbreak(base);
}

/* Run the loop until @p want callbacks have come, or @p max_ms passed. */
static void run(struct done *d, int want, unsigned max_ms)
{
	struct timeval tv = { max_ms / 1000, (max_ms % 1000) * 1000 };
	struct event *t = evtimer_new(base, run_expired, NULL);

	d->want = want;
	evtimer_add(t, &tv);
	if (d->n < want)
		event_base_dispatch(base);
	event_free(t);
}

static struct radius_req *access_req(const char *user, const char *pw)
{
	struct radius_req *r = radius_req_new(RADIUS_ACCESS_REQUEST);

	assert_non_null(r);
	assert_int_equal(radius_req_add_str(r, RADIUS_A_USER_NAME, user), 0);
	assert_int_equal(radius_req_set_password(r, pw, strlen(pw)), 0);
	return r;
}

/* The next round of a conversation: the State of answer @p i of @p d. */
static struct radius_req *next_round(const struct done *d, int i)
{
	struct radius_req *r = access_req("u", "p");

	assert_true(d->state_len[i] > 0);
	assert_int_equal(radius_req_add(r, RADIUS_A_STATE, d->state[i], d->state_len[i]), 0);
	return r;
}

static int setup(void **state)
{
	(void)state;
	base = event_base_new();
	return base ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	event_base_free(base);
	return 0;
}

static void test_accept(void **state)
{
	struct radius_group_cfg g;
	struct radius_client *c;
	struct radius_server_state st;
	struct fake f;
	static struct done d;

	(void)state;
	memset(&d, 0, sizeof(d));
	fake_start(&f, F_ACCEPT);
	radius_group_cfg_init(&g);
	add_server(&g, "a", f.port, 1000, 2);
	assert_int_equal(radius_client_new(base, &g, &c), 0);
	assert_int_equal(radius_send(c, access_req("alice", "correct horse"), on_done, &d, NULL), 0);
	/* accounting goes to the same fake (acct_port = port) */
	{
		struct radius_req *r = radius_req_new(RADIUS_ACCOUNTING_REQUEST);

		radius_req_add_u32(r, RADIUS_A_ACCT_STATUS_TYPE, 1);
		radius_req_add_str(r, RADIUS_A_ACCT_SESSION_ID, "s1");
		assert_int_equal(radius_send(c, r, on_done, &d, NULL), 0);
	}
	run(&d, 2, 3000);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.err[0], 0);
	assert_int_equal(d.err[1], 0);
	assert_int_equal(d.fip, 198u << 24 | 18u << 16 | 200u << 8 | 77u);
	assert_string_equal(f.last_pw, "correct horse");
	assert_int_equal(f.bad_requests, 0);
	assert_true(radius_client_server_state(c, 0, &st));
	assert_int_equal(st.responses, 2);
	assert_int_equal(st.in_flight, 0);
	assert_false(radius_client_server_state(c, 1, &st));
	radius_client_free(c);
	fake_stop(&f);
}

static void test_failover_dead_revive(void **state)
{
	struct radius_group_cfg g;
	struct radius_client *c;
	struct radius_server_state st;
	struct fake silent, good;
	static struct done d;

	(void)state;
	memset(&d, 0, sizeof(d));
	fake_start(&silent, F_SILENT);
	fake_start(&good, F_ACCEPT);
	radius_group_cfg_init(&g);
	g.dead_after = 1;
	g.dead_time_s = 1;
	add_server(&g, "silent", silent.port, 40, 1);
	add_server(&g, "good", good.port, 1000, 1);
	assert_int_equal(radius_client_new(base, &g, &c), 0);
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	run(&d, 1, 3000);
	assert_int_equal(d.err[0], 0);
	assert_int_equal(d.server[0], 1);
	/* 1 send + 1 retransmission to "silent" (40 ms, then 80 ms), then "good" */
	assert_int_equal(d.attempts[0], 3);
	assert_int_equal(silent.received, 2);
	assert_true(radius_client_server_state(c, 0, &st));
	assert_true(st.dead);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.retransmissions, 1);
	/* dead: the next request goes straight to "good" */
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	run(&d, 2, 3000);
	assert_int_equal(d.err[1], 0);
	assert_int_equal(d.attempts[1], 1);
	assert_int_equal(silent.received, 2);
	/* after the dead-time it is tried again */
	usleep(1100 * 1000);
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	run(&d, 3, 3000);
	assert_int_equal(d.err[2], 0);
	assert_int_equal(d.attempts[2], 3);
	assert_int_equal(silent.received, 4);
	radius_client_free(c);
	fake_stop(&silent);
	fake_stop(&good);
}

static void test_all_silent_timeout(void **state)
{
	struct radius_group_cfg g;
	struct radius_client *c;
	struct fake s1, s2;
	static struct done d;

	(void)state;
	memset(&d, 0, sizeof(d));
	fake_start(&s1, F_SILENT);
	fake_start(&s2, F_SILENT);
	radius_group_cfg_init(&g);
	g.dead_after = 1;
	add_server(&g, "s1", s1.port, 20, 2);
	add_server(&g, "s2", s2.port, 20, 0);
	assert_int_equal(radius_client_new(base, &g, &c), 0);
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	run(&d, 1, 3000);
	assert_int_equal(d.err[0], -ETIMEDOUT);
	assert_int_equal(s1.received, 3);
	assert_int_equal(s2.received, 1);
	/* both dead now: a new request still tries them all, in order */
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	run(&d, 2, 3000);
	assert_int_equal(d.err[1], -ETIMEDOUT);
	assert_int_equal(s1.received, 6);
	assert_int_equal(s2.received, 2);
	radius_client_free(c);
	fake_stop(&s1);
	fake_stop(&s2);
}

static void test_bad_replies(void **state)
{
	struct radius_group_cfg g;
	struct radius_client *c;
	struct radius_server_state st;
	struct fake f, u;
	static struct done d;

	(void)state;
	memset(&d, 0, sizeof(d));
	/* a reply signed with the wrong secret first: dropped, the good one is taken */
	fake_start(&f, F_BAD_THEN_GOOD);
	radius_group_cfg_init(&g);
	add_server(&g, "f", f.port, 1000, 0);
	assert_int_equal(radius_client_new(base, &g, &c), 0);
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	run(&d, 1, 3000);
	assert_int_equal(d.err[0], 0);
	radius_client_server_state(c, 0, &st);
	assert_int_equal(st.bad_responses, 1);
	radius_client_free(c);
	fake_stop(&f);

	/* an unsigned Access-Accept is refused by default (Blast-RADIUS) ... */
	fake_start(&u, F_UNSIGNED);
	radius_group_cfg_init(&g);
	add_server(&g, "u", u.port, 30, 0);
	assert_int_equal(radius_client_new(base, &g, &c), 0);
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	run(&d, 2, 3000);
	assert_int_equal(d.err[1], -ETIMEDOUT);
	radius_client_server_state(c, 0, &st);
	assert_int_equal(st.bad_responses, 1);
	radius_client_free(c);
	/* ... and accepted when the group allows it */
	g.require_ma = false;
	assert_int_equal(radius_client_new(base, &g, &c), 0);
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	run(&d, 3, 3000);
	assert_int_equal(d.err[2], 0);
	radius_client_free(c);
	fake_stop(&u);
}

static void test_many_in_flight(void **state)
{
	struct radius_group_cfg g;
	struct radius_client *c;
	struct radius_server_state st;
	struct fake f;
	static struct done d;

	(void)state;
	memset(&d, 0, sizeof(d));
	fake_start(&f, F_SILENT);
	radius_group_cfg_init(&g);
	g.dead_after = 0;
	g.max_sockets = 3;
	/* the answers come only once all are sent: a timeout a loaded machine cannot reach */
	add_server(&g, "f", f.port, 5000, 0);
	assert_int_equal(radius_client_new(base, &g, &c), 0);
	/* 3 sockets x 256 identifiers; the 769th has none left */
	for (int i = 0; i < 769; i++)
		assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	radius_client_server_state(c, 0, &st);
	assert_int_equal(st.sockets, 3);
	assert_int_equal(st.in_flight, 768);
	/* now answer them all */
	f.mode = F_ACCEPT;
	run(&d, 769, 20000);
	assert_int_equal(d.n, 769);
	{
		int ok = 0, nobufs = 0;

		for (int i = 0; i < 769; i++) {
			ok += d.err[i] == 0;
			nobufs += d.err[i] == -ENOBUFS;
		}
		print_message("ok %d nobufs %d fake received %u bad %u\n", ok, nobufs, f.received,
			      f.bad_requests);
		assert_int_equal(nobufs, 1);
		assert_int_equal(ok, 768);
	}
	radius_client_server_state(c, 0, &st);
	assert_int_equal(st.in_flight, 0);
	radius_client_free(c);
	fake_stop(&f);
}

static void test_cancel_and_free(void **state)
{
	struct radius_group_cfg g;
	struct radius_client *c;
	struct radius_xact *x;
	struct fake f;
	static struct done d;
	struct radius_req *r;

	(void)state;
	memset(&d, 0, sizeof(d));
	fake_start(&f, F_SILENT);
	radius_group_cfg_init(&g);
	add_server(&g, "f", f.port, 30, 0);
	assert_int_equal(radius_client_new(base, &g, &c), 0);
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, &x), 0);
	radius_cancel(x);
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	radius_client_free(c);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.err[0], -ECANCELED);
	/* descriptions: refused attributes make the request unusable */
	r = radius_req_new(RADIUS_ACCESS_REQUEST);
	assert_int_equal(radius_req_add(r, RADIUS_A_MESSAGE_AUTHENTICATOR, "x", 1), -EINVAL);
	assert_int_equal(radius_client_new(base, &g, &c), 0);
	assert_int_equal(radius_send(c, r, on_done, &d, NULL), -EINVAL);
	r = radius_req_new(RADIUS_ACCESS_REQUEST);
	{
		static uint8_t big[4000];

		assert_int_equal(radius_req_set_eap(r, big, sizeof(big)), 0);
		assert_int_equal(radius_req_add(r, RADIUS_A_STATE, big, 200), -ENOSPC);
	}
	radius_req_free(r);
	assert_null(radius_req_new(RADIUS_ACCESS_ACCEPT));
	radius_client_free(c);
	g.n_servers = 0;
	assert_int_equal(radius_client_new(base, &g, &c), -EINVAL);
	fake_stop(&f);
}

/* One group stuck on a silent server does not delay another group's answers. */
static void test_slow_does_not_block(void **state)
{
	struct radius_group_cfg g1, g2;
	struct radius_client *c1, *c2;
	struct fake s, a;
	static struct done d;

	(void)state;
	memset(&d, 0, sizeof(d));
	fake_start(&s, F_SILENT);
	fake_start(&a, F_ACCEPT);
	radius_group_cfg_init(&g1);
	radius_group_cfg_init(&g2);
	add_server(&g1, "s", s.port, 400, 0);
	add_server(&g2, "a", a.port, 400, 0);
	assert_int_equal(radius_client_new(base, &g1, &c1), 0);
	assert_int_equal(radius_client_new(base, &g2, &c2), 0);
	assert_int_equal(radius_send(c1, access_req("u", "p"), on_done, &d, NULL), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(radius_send(c2, access_req("u", "p"), on_done, &d, NULL), 0);
	run(&d, 10, 300);
	assert_int_equal(d.n, 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(d.err[i], 0);
	run(&d, 11, 2000);
	assert_int_equal(d.err[10], -ETIMEDOUT);
	radius_client_free(c1);
	radius_client_free(c2);
	fake_stop(&s);
	fake_stop(&a);
}

/*
 * A conversation that failed over to the second server stays there: its next round goes
 * straight to the server that issued the State, though the first is still "alive" and
 * first in order; and a conversation stays with its server even when that one is marked dead.
 */
static void test_conversation_stays(void **state)
{
	struct radius_group_cfg g;
	struct radius_client *c;
	struct radius_server_state st;
	struct fake a, b;
	static struct done d;

	(void)state;
	memset(&d, 0, sizeof(d));
	fake_start(&a, F_SILENT);
	fake_start(&b, F_CHALLENGE);
	radius_group_cfg_init(&g);
	g.dead_after = 3;
	add_server(&g, "a", a.port, 30, 1);
	add_server(&g, "b", b.port, 1000, 1);
	assert_int_equal(radius_client_new(base, &g, &c), 0);
	/* round 1: a stays silent (2 datagrams), b challenges */
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	run(&d, 1, 3000);
	assert_int_equal(d.err[0], 0);
	assert_int_equal(d.code[0], RADIUS_ACCESS_CHALLENGE);
	assert_int_equal(d.server[0], 1);
	assert_int_equal(a.received, 2);
	assert_true(radius_client_server_state(c, 0, &st));
	assert_false(st.dead);
	assert_true(radius_client_has_state(c, d.state[0], d.state_len[0]));
	assert_false(radius_client_has_state(c, "F1:1", 4));
	/* round 2 with b's State: to b only, answered at the first datagram */
	assert_int_equal(radius_send(c, next_round(&d, 0), on_done, &d, NULL), 0);
	run(&d, 2, 3000);
	assert_int_equal(d.err[1], 0);
	assert_int_equal(d.code[1], RADIUS_ACCESS_ACCEPT);
	assert_int_equal(d.server[1], 1);
	assert_int_equal(d.attempts[1], 1);
	assert_int_equal(a.received, 2);
	assert_int_equal(b.with_state, 1);
	assert_int_equal(b.foreign_state, 0);
	/* used once: forgotten */
	assert_false(radius_client_has_state(c, d.state[0], d.state_len[0]));
	radius_client_free(c);

	/* a conversation on a; a is then marked dead (by another request it leaves
	 * unanswered); the conversation's next round still goes to a, which answers */
	memset(&d, 0, sizeof(d));
	a.mode = F_CHALLENGE;
	b.mode = F_CHALLENGE;
	b.with_state = 0;
	g.dead_after = 1;
	assert_int_equal(radius_client_new(base, &g, &c), 0);
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	run(&d, 1, 3000);
	assert_int_equal(d.code[0], RADIUS_ACCESS_CHALLENGE);
	assert_int_equal(d.server[0], 0);
	a.mode = F_SILENT;
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	run(&d, 2, 3000);
	assert_int_equal(d.server[1], 1);
	assert_true(radius_client_server_state(c, 0, &st));
	assert_true(st.dead);
	a.mode = F_CHALLENGE;
	assert_int_equal(radius_send(c, next_round(&d, 0), on_done, &d, NULL), 0);
	run(&d, 3, 3000);
	assert_int_equal(d.err[2], 0);
	assert_int_equal(d.code[2], RADIUS_ACCESS_ACCEPT);
	assert_int_equal(d.server[2], 0);
	assert_int_equal(a.with_state, 1);
	assert_int_equal(a.foreign_state, 0);
	assert_int_equal(b.with_state, 0);
	assert_true(radius_client_server_state(c, 0, &st));
	assert_false(st.dead);
	radius_client_free(c);
	fake_stop(&a);
	fake_stop(&b);
}

/*
 * The server holding a conversation dies after its Challenge: the next round times out on
 * it and is not failed over (b would not know the State); a new conversation then fails
 * over to b and completes there.
 */
static void test_conversation_server_dies(void **state)
{
	struct radius_group_cfg g;
	struct radius_client *c;
	struct radius_server_state st;
	struct fake a, b;
	static struct done d;

	(void)state;
	memset(&d, 0, sizeof(d));
	fake_start(&a, F_CHALLENGE_ONLY);
	fake_start(&b, F_CHALLENGE);
	radius_group_cfg_init(&g);
	g.dead_after = 1;
	add_server(&g, "a", a.port, 30, 2);
	add_server(&g, "b", b.port, 1000, 1);
	assert_int_equal(radius_client_new(base, &g, &c), 0);
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	run(&d, 1, 3000);
	assert_int_equal(d.code[0], RADIUS_ACCESS_CHALLENGE);
	assert_int_equal(d.server[0], 0);
	assert_int_equal(radius_send(c, next_round(&d, 0), on_done, &d, NULL), 0);
	run(&d, 2, 3000);
	assert_int_equal(d.err[1], -ETIMEDOUT);
	assert_int_equal(a.with_state, 3);  /* sent and retransmitted twice */
	assert_int_equal(b.received, 0);    /* never failed over */
	assert_true(radius_client_server_state(c, 0, &st));
	assert_true(st.dead);
	assert_int_equal(st.timeouts, 1);
	/* a new conversation: b (a is dead), both rounds there */
	assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
	run(&d, 3, 3000);
	assert_int_equal(d.code[2], RADIUS_ACCESS_CHALLENGE);
	assert_int_equal(d.server[2], 1);
	assert_int_equal(radius_send(c, next_round(&d, 2), on_done, &d, NULL), 0);
	run(&d, 4, 3000);
	assert_int_equal(d.err[3], 0);
	assert_int_equal(d.code[3], RADIUS_ACCESS_ACCEPT);
	assert_int_equal(d.server[3], 1);
	assert_int_equal(b.foreign_state, 0);
	assert_int_equal(a.with_state, 3);
	/* a State nobody issued takes the usual order (and the server refuses it) */
	memcpy(d.state[4], "F1:9", 4);
	d.state_len[4] = 4;
	assert_int_equal(radius_send(c, next_round(&d, 4), on_done, &d, NULL), 0);
	run(&d, 5, 3000);
	assert_int_equal(d.err[4], 0);
	assert_int_equal(d.code[4], RADIUS_ACCESS_REJECT);
	assert_int_equal(b.foreign_state, 1);
	radius_client_free(c);
	fake_stop(&a);
	fake_stop(&b);
}

/* The remembered States are bounded: the oldest are forgotten first. */
static void test_state_bound(void **state)
{
	struct radius_group_cfg g;
	struct radius_client *c;
	struct fake b;
	static struct done d;
	unsigned sent = 0;

	(void)state;
	memset(&d, 0, sizeof(d));
	fake_start(&b, F_CHALLENGE);
	radius_group_cfg_init(&g);
	add_server(&g, "b", b.port, 1000, 1);
	assert_int_equal(radius_client_new(base, &g, &c), 0);
	/* RADIUS_STATE_MAX + 10 conversations, 200 at a time (the answers fit the socket buffers) */
	while (sent < RADIUS_STATE_MAX + 10) {
		unsigned n = RADIUS_STATE_MAX + 10 - sent < 200 ? RADIUS_STATE_MAX + 10 - sent : 200;

		d.n = 0;
		for (unsigned i = 0; i < n; i++)
			assert_int_equal(radius_send(c, access_req("u", "p"), on_done, &d, NULL), 0);
		run(&d, (int)n, 10000);
		assert_int_equal(d.n, (int)n);
		sent += n;
	}
	{
		char s[64];
		int l;

		/* the fake numbers its States from 1: the first 10 are forgotten */
		l = snprintf(s, sizeof(s), "F%u:%u", b.port, 10u);
		assert_false(radius_client_has_state(c, s, (size_t)l));
		l = snprintf(s, sizeof(s), "F%u:%u", b.port, 11u);
		assert_true(radius_client_has_state(c, s, (size_t)l));
		l = snprintf(s, sizeof(s), "F%u:%u", b.port, RADIUS_STATE_MAX + 10);
		assert_true(radius_client_has_state(c, s, (size_t)l));
	}
	radius_client_free(c);
	fake_stop(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failover_dead_revive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_silent_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_and_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_does_not_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conversation_stays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conversation_server_dies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_bound, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
