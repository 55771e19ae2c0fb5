/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Unit tests of the dataplane interface (controlplane/dpif/dpif.c) against a fake
 * dataplane: the test attaches to a private region as RP_ROLE_DP with a second handle and
 * answers (or does not answer) the commands itself, driving rampartd's side with
 * event_base_loop(EVLOOP_NONBLOCK) steps.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "common/chan.h"
#include "common/log.h"
#include "common/msg.h"
#include "controlplane/cp.h"
#include "controlplane/dpif/dpif.h"
#include "controlplane/mgmt/json.h"
#include "controlplane/util/sbuf.h"

#define MAX_CALLS 512

/* One completed request, as the callback saw it. */
struct call {
	int status;
	uint64_t seq;
	uint16_t type;
	unsigned n;
	struct rp_msg msgs[4];
	intptr_t tag;
};

struct fx {
	char dir[64];
	char path[96];
	struct event_base *base;
	struct rp_chan *cp, *dp;
	struct dpif *d;
	struct dpif_opts opts;
	struct call calls[MAX_CALLS];
	unsigned n_calls;
	/* replay hook */
	int replay_calls;
	enum dpif_resync_reason replay_why;
	unsigned replay_steps; /* steps that return "more" before "done" */
	/* unsolicited events */
	int lifetime_calls;
	uint32_t lifetime_sa;
	/* submitted from a callback */
	bool send_from_cb;
	int cb_send_rc;
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

#define PUMP_UNTIL(f, cond, ms)                                                  \
	do {                                                                     \
		uint64_t end_ = now_ms() + (ms);                                 \
		while (!(cond) && now_ms() < end_)                               \
			step(f);                                                 \
		assert_true(cond);                                               \
	} while (0)

static void pump_ms(struct fx *f, unsigned ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end)
		step(f);
}

/* Callback argument: the fixture and a tag, so each request is recognisable. */
struct cbarg {
	struct fx *f;
	intptr_t tag;
};
static struct cbarg args[MAX_CALLS];

static void *arg_for(struct fx *f, intptr_t tag)
{
	args[tag].f = f;
	args[tag].tag = tag;
	return &args[tag];
}

static void record(int status, const struct dpif_reply *rep, void *arg)
{
	struct cbarg *a = arg;
	struct fx *f = a->f;
	struct call *c;

	assert_true(f->n_calls < MAX_CALLS);
	c = &f->calls[f->n_calls++];
	c->status = status;
	c->seq = rep->seq;
	c->type = rep->type;
	c->n = rep->n;
	c->tag = a->tag;
	for (unsigned i = 0; i < rep->n && i < 4; i++)
		c->msgs[i] = rep->msgs[i];
}

static unsigned dpif_stats_pending(struct fx *f)
{
	struct dpif_stats st;

	dpif_get_stats(f->d, &st);
	return st.pending + st.queued;
}

/* ---- the fake dataplane ------------------------------------------------------------------ */

/* Next command from rampartd (runs the loop while waiting). */
static void dp_next(struct fx *f, struct rp_msg *m)
{
	char why[128];
	uint64_t end = now_ms() + 2000;

	for (;;) {
		int rc = rp_chan_recv(f->dp, m, why, sizeof(why));

		assert_true(rc >= 0);
		if (rc == 1)
			return;
		if (now_ms() > end)
			fail_msg("no command from rampartd within 2 s");
		step(f);
	}
}

static bool dp_has_command(struct fx *f)
{
	return rp_chan_pending(f->dp) > 0;
}

static void dp_emit(struct fx *f, uint16_t type, const void *p, size_t len, uint16_t flags,
		    uint64_t ref)
{
	struct rp_msg_hdr h = { .flags = flags, .ref = ref };
	uint64_t end = now_ms() + 2000;
	int rc;

	/* a full event ring empties as rampartd polls */
	while ((rc = rp_chan_send(f->dp, type, p, len, &h, NULL)) == -EAGAIN && now_ms() < end)
		step(f);
	assert_int_equal(rc, 0);
}

static void dp_ack(struct fx *f, uint64_t ref, int status, const char *reason)
{
	struct rp_msg_ack a;

	memset(&a, 0, sizeof(a));
	a.status = status;
	snprintf(a.reason, sizeof(a.reason), "%s", reason);
	dp_emit(f, RP_MSG_ACK, &a, sizeof(a), 0, ref);
}

/*
 * Expect a resynchronisation: BEGIN, @n_replayed commands, END; acknowledge them all and
 * wait until rampartd has the answers (@held: commands it sends after END, unanswered).
 */
static void dp_expect_resync_then(struct fx *f, unsigned n_replayed, unsigned held)
{
	struct rp_msg m;

	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_RESYNC_BEGIN);
	assert_true(m.hdr.flags & RP_MSGF_RESYNC);
	dp_ack(f, m.hdr.seq, 0, "");
	for (unsigned i = 0; i < n_replayed; i++) {
		dp_next(f, &m);
		assert_int_equal(m.hdr.type, RP_MSG_KV_SET);
		assert_true(m.hdr.flags & RP_MSGF_RESYNC);
		assert_int_equal(m.u.kv.key, 1000 + i);
		dp_ack(f, m.hdr.seq, 0, "");
	}
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_RESYNC_END);
	assert_true(m.hdr.flags & RP_MSGF_RESYNC);
	dp_ack(f, m.hdr.seq, 0, "");
	PUMP_UNTIL(f, !dpif_resyncing(f->d) && dpif_stats_pending(f) == held, 1000);
}

static void dp_expect_resync(struct fx *f, unsigned n_replayed)
{
	dp_expect_resync_then(f, n_replayed, 0);
}

/* ---- hooks ---------------------------------------------------------------------------- */

static int replay(struct dpif *d, enum dpif_resync_reason why, unsigned stepno, void *arg)
{
	struct fx *f = arg;

	if (stepno == 0)
		f->replay_calls++;
	f->replay_why = why;
	if (stepno >= f->replay_steps)
		return 0;
	struct rp_msg_kv kv = { .key = 1000 + stepno, .value = stepno,
				.check = rp_msg_kv_check(1000 + stepno, stepno) };

	assert_int_equal(dpif_send(d, RP_MSG_KV_SET, &kv, sizeof(kv), NULL, NULL, 0), 0);
	return 1;
}

static void on_lifetime(const struct rp_msg *m, void *arg)
{
	struct fx *f = arg;

	f->lifetime_calls++;
	f->lifetime_sa = m->u.lifetime.sa_id;
}

/* ---- fixture ------------------------------------------------------------------------------ */

static void open_dp(struct fx *f)
{
	char err[256];

	assert_int_equal(rp_chan_open(f->path, RP_ROLE_DP, 64, &f->dp, err, sizeof(err)), 0);
}

static int setup_with(void **state, const struct dpif_opts *o, unsigned replay_steps)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/rp-dpif-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/region", f->dir);
	f->base = event_base_new();
	assert_non_null(f->base);
	/* 64 slots: the smallest ring, so tests can fill it */
	assert_int_equal(rp_chan_open(f->path, RP_ROLE_CP, 64, &f->cp, err, sizeof(err)), 0);
	open_dp(f);
	f->opts = *o;
	assert_int_equal(dpif_create(f->base, f->cp, &f->opts, &f->d), 0);
	f->replay_steps = replay_steps;
	dpif_set_replay(f->d, replay, f);
	dpif_on_event(f->d, RP_MSG_LIFETIME, on_lifetime, f);
	/* the first poll finds the dataplane and resynchronises it */
	dp_expect_resync(f, replay_steps);
	assert_int_equal(f->replay_calls, 1);
	assert_int_equal(f->replay_why, DPIF_RESYNC_FIRST);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	struct dpif_opts o = { .max_pending = 8, .max_queued = 16, .poll_busy_us = 500,
			       .poll_idle_us = 2000 };

	return setup_with(state, &o, 0);
}

static int setup_ring(void **state)
{
	/* more outstanding requests allowed than the ring has slots */
	struct dpif_opts o = { .max_pending = 200, .max_queued = 100, .poll_busy_us = 500,
			       .poll_idle_us = 2000 };

	return setup_with(state, &o, 0);
}

static int setup_replay(void **state)
{
	struct dpif_opts o = { .poll_busy_us = 500, .poll_idle_us = 2000 };

	/* more steps than one tick runs, so the resync spans several ticks */
	return setup_with(state, &o, 20);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	dpif_destroy(f->d);
	rp_chan_close(f->dp);
	rp_chan_close(f->cp);
	event_base_free(f->base);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int send_ping(struct fx *f, uint64_t sent, intptr_t tag, unsigned timeout_ms)
{
	struct rp_msg_ping p = { .sent_ns = sent, .pid = 42 };

	return dpif_send(f->d, RP_MSG_PING, &p, sizeof(p), record, arg_for(f, tag), timeout_ms);
}

static int send_kv(struct fx *f, uint64_t key, intptr_t tag)
{
	struct rp_msg_kv kv = { .key = key, .value = 7, .check = rp_msg_kv_check(key, 7) };

	return dpif_send(f->d, RP_MSG_KV_SET, &kv, sizeof(kv), record, arg_for(f, tag), 0);
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_ping_pong(void **state)
{
	struct fx *f = *state;
	struct rp_msg m;

	assert_int_equal(send_ping(f, 123456, 1, 0), 0);
	assert_int_equal(f->n_calls, 0); /* never called from within dpif_send() */
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_PING);
	assert_int_equal(m.hdr.flags, 0);
	assert_int_equal(m.u.ping.sent_ns, 123456);
	dp_emit(f, RP_MSG_PONG, &m.u.ping, sizeof(m.u.ping), 0, m.hdr.seq);
	PUMP_UNTIL(f, f->n_calls == 1, 1000);
	assert_int_equal(f->calls[0].status, 0);
	assert_int_equal(f->calls[0].tag, 1);
	assert_int_equal(f->calls[0].seq, m.hdr.seq);
	assert_int_equal(f->calls[0].type, RP_MSG_PING);
	assert_int_equal(f->calls[0].n, 1);
	assert_int_equal(f->calls[0].msgs[0].hdr.type, RP_MSG_PONG);
	assert_int_equal(f->calls[0].msgs[0].u.ping.sent_ns, 123456);
	assert_int_equal(f->calls[0].msgs[0].u.ping.pid, 42);
}

static void test_port_dump_collects_replies(void **state)
{
	struct fx *f = *state;
	struct rp_msg_empty e = { { 0 } };
	struct rp_msg_port p;
	struct rp_msg_dump_end end = { .count = 2, .status = 0 };
	struct rp_msg m;

	assert_int_equal(dpif_send(f->d, RP_MSG_PORT_DUMP, &e, sizeof(e), record, arg_for(f, 2),
				   0), 0);
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_PORT_DUMP);
	memset(&p, 0, sizeof(p));
	p.port_id = 0;
	p.role = 0;
	p.link_up = 1;
	snprintf(p.name, sizeof(p.name), "outside");
	snprintf(p.device, sizeof(p.device), "net_ring0");
	p.rx_packets = 11;
	dp_emit(f, RP_MSG_PORT_INFO, &p, sizeof(p), RP_MSGF_MORE, m.hdr.seq);
	/* the dump is not complete yet */
	pump_ms(f, 10);
	assert_int_equal(f->n_calls, 0);
	p.port_id = 1;
	p.role = 1;
	snprintf(p.name, sizeof(p.name), "inside");
	p.tx_bytes = 99;
	dp_emit(f, RP_MSG_PORT_INFO, &p, sizeof(p), RP_MSGF_MORE, m.hdr.seq);
	dp_emit(f, RP_MSG_DUMP_END, &end, sizeof(end), 0, m.hdr.seq);
	PUMP_UNTIL(f, f->n_calls == 1, 1000);
	assert_int_equal(f->calls[0].status, 0);
	assert_int_equal(f->calls[0].n, 3);
	assert_string_equal(f->calls[0].msgs[0].u.port.name, "outside");
	assert_int_equal(f->calls[0].msgs[0].u.port.rx_packets, 11);
	assert_string_equal(f->calls[0].msgs[1].u.port.name, "inside");
	assert_int_equal(f->calls[0].msgs[1].u.port.tx_bytes, 99);
	assert_int_equal(f->calls[0].msgs[2].hdr.type, RP_MSG_DUMP_END);
	assert_int_equal(f->calls[0].msgs[2].u.dump_end.count, 2);
}

static void test_ack_status_is_passed_on(void **state)
{
	struct fx *f = *state;
	struct rp_msg_sa_ref ref = { .sa_id = 77 };
	struct rp_msg m;

	assert_int_equal(dpif_send(f->d, RP_MSG_SA_DEL, &ref, sizeof(ref), record, arg_for(f, 3),
				   0), 0);
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_SA_DEL);
	assert_int_equal(m.u.sa_ref.sa_id, 77);
	dp_ack(f, m.hdr.seq, -ENOENT, "no SA 77");
	PUMP_UNTIL(f, f->n_calls == 1, 1000);
	assert_int_equal(f->calls[0].status, -ENOENT);
	assert_int_equal(f->calls[0].msgs[0].hdr.type, RP_MSG_ACK);
	assert_string_equal(f->calls[0].msgs[0].u.ack.reason, "no SA 77");

	/* an ERROR event naming the command also completes it */
	assert_int_equal(send_kv(f, 5, 4), 0);
	dp_next(f, &m);
	struct rp_msg_error e = { .code = -EBADMSG };

	snprintf(e.text, sizeof(e.text), "checksum mismatch");
	dp_emit(f, RP_MSG_ERROR, &e, sizeof(e), 0, m.hdr.seq);
	PUMP_UNTIL(f, f->n_calls == 2, 1000);
	assert_int_equal(f->calls[1].status, -EBADMSG);
	assert_string_equal(f->calls[1].msgs[0].u.error.text, "checksum mismatch");
}

static void test_wrong_answer_type(void **state)
{
	struct fx *f = *state;
	struct rp_msg_dump_end end = { 0 };
	struct rp_msg m;

	assert_int_equal(send_ping(f, 1, 5, 0), 0);
	dp_next(f, &m);
	dp_emit(f, RP_MSG_DUMP_END, &end, sizeof(end), 0, m.hdr.seq);
	PUMP_UNTIL(f, f->n_calls == 1, 1000);
	assert_int_equal(f->calls[0].status, -EBADMSG);
}

static void test_timeout_and_late_answer(void **state)
{
	struct fx *f = *state;
	struct dpif_stats st;
	struct rp_msg m;
	uint64_t t0 = now_ms();

	assert_int_equal(send_ping(f, 9, 6, 30), 0);
	dp_next(f, &m);
	PUMP_UNTIL(f, f->n_calls == 1, 1000);
	assert_int_equal(f->calls[0].status, -ETIMEDOUT);
	assert_int_equal(f->calls[0].n, 0);
	assert_true(now_ms() - t0 >= 30);
	/* the answer comes too late: dropped, no second callback */
	dp_emit(f, RP_MSG_PONG, &m.u.ping, sizeof(m.u.ping), 0, m.hdr.seq);
	pump_ms(f, 20);
	assert_int_equal(f->n_calls, 1);
	dpif_get_stats(f->d, &st);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.late, 1);
	assert_int_equal(st.pending, 0);
}

static void test_epoch_change_resets_and_resyncs(void **state)
{
	struct fx *f = *state;
	struct dpif_stats st;
	struct rp_msg m;

	assert_int_equal(send_ping(f, 1, 7, 0), 0);
	assert_int_equal(send_kv(f, 2, 8), 0);
	dp_next(f, &m); /* the old dataplane took the PING and dies without answering */
	rp_chan_close(f->dp);
	open_dp(f);     /* a new one attaches: new epoch */
	PUMP_UNTIL(f, f->n_calls == 2, 1000);
	assert_int_equal(f->calls[0].status, -ECONNRESET);
	assert_int_equal(f->calls[0].tag, 7);
	assert_int_equal(f->calls[1].status, -ECONNRESET);
	assert_int_equal(f->calls[1].tag, 8);
	assert_int_equal(f->replay_calls, 2);
	assert_int_equal(f->replay_why, DPIF_RESYNC_RESTART);

	/* the new dataplane first gets what the old one left unread, then the resync */
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_KV_SET);
	dp_ack(f, m.hdr.seq, 0, ""); /* nobody waits for it any more */
	dp_expect_resync(f, 0);
	dpif_get_stats(f->d, &st);
	assert_int_equal(st.resets, 2);
	assert_int_equal(st.resyncs, 2);

	/* and works */
	assert_int_equal(send_ping(f, 5, 9, 0), 0);
	dp_next(f, &m);
	dp_emit(f, RP_MSG_PONG, &m.u.ping, sizeof(m.u.ping), 0, m.hdr.seq);
	PUMP_UNTIL(f, f->n_calls == 3, 1000);
	assert_int_equal(f->calls[2].status, 0);
}

static void test_answer_before_restart_is_delivered(void **state)
{
	struct fx *f = *state;
	struct rp_msg m;

	assert_int_equal(send_ping(f, 3, 10, 0), 0);
	dp_next(f, &m);
	/* answered, then the dataplane restarts before rampartd polls */
	dp_emit(f, RP_MSG_PONG, &m.u.ping, sizeof(m.u.ping), 0, m.hdr.seq);
	rp_chan_close(f->dp);
	open_dp(f);
	/* and the new one says something at once */
	struct rp_msg_lifetime lt = { .sa_id = 31, .hard = 0 };

	dp_emit(f, RP_MSG_LIFETIME, &lt, sizeof(lt), 0, 0);
	PUMP_UNTIL(f, f->n_calls == 1 && f->lifetime_calls == 1, 1000);
	assert_int_equal(f->calls[0].status, 0); /* the old instance's answer counted */
	assert_int_equal(f->lifetime_sa, 31);
	assert_int_equal(f->replay_why, DPIF_RESYNC_RESTART);
	dp_expect_resync(f, 0);
}

static void test_dataplane_gone(void **state)
{
	struct fx *f = *state;
	struct rp_msg m;

	assert_int_equal(send_ping(f, 1, 11, 0), 0);
	dp_next(f, &m);
	rp_chan_close(f->dp);
	f->dp = NULL;
	PUMP_UNTIL(f, f->n_calls == 1, 1000);
	assert_int_equal(f->calls[0].status, -ECONNRESET);
	assert_int_equal(send_ping(f, 1, 12, 0), -ENOTCONN);

	/* back again: resynchronised as a restart */
	open_dp(f);
	PUMP_UNTIL(f, f->replay_calls == 2, 1000);
	assert_int_equal(f->replay_why, DPIF_RESYNC_RESTART);
	dp_expect_resync(f, 0);
}

static void test_held_behind_resync(void **state)
{
	struct fx *f = *state;
	struct rp_msg m;

	/* restart; before rampartd notices, nothing is pending */
	rp_chan_close(f->dp);
	open_dp(f);
	PUMP_UNTIL(f, f->replay_calls == 2, 1000);
	/* a command submitted now, during the resync, goes after RESYNC_END */
	assert_true(dpif_resyncing(f->d));
	assert_int_equal(send_kv(f, 4242, 13), 0);
	dp_expect_resync_then(f, 20, 1);
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_KV_SET);
	assert_int_equal(m.u.kv.key, 4242);
	assert_int_equal(m.hdr.flags, 0);
	dp_ack(f, m.hdr.seq, 0, "");
	PUMP_UNTIL(f, f->n_calls == 1, 1000);
	assert_int_equal(f->calls[0].status, 0);
}

static void test_pending_bound_and_queue(void **state)
{
	struct fx *f = *state;
	struct dpif_stats st;
	struct rp_msg m;

	/* 8 outstanding + 16 queued, then refused */
	for (int i = 0; i < 24; i++)
		assert_int_equal(send_kv(f, i, 100 + i), 0);
	assert_int_equal(send_kv(f, 99, 99), -ENOBUFS);
	dpif_get_stats(f->d, &st);
	assert_int_equal(st.pending, 8);
	assert_int_equal(st.queued, 16);

	/* answer them one by one: the queue drains in order */
	for (int i = 0; i < 24; i++) {
		dp_next(f, &m);
		assert_int_equal(m.u.kv.key, i);
		dp_ack(f, m.hdr.seq, 0, "");
	}
	PUMP_UNTIL(f, f->n_calls == 24, 2000);
	for (int i = 0; i < 24; i++) {
		assert_int_equal(f->calls[i].tag, 100 + i);
		assert_int_equal(f->calls[i].status, 0);
	}
	dpif_get_stats(f->d, &st);
	assert_int_equal(st.pending + st.queued, 0);
}

static void test_ring_full_queues(void **state)
{
	struct fx *f = *state;
	struct dpif_stats st;
	struct rp_msg m;
	/* the 64-slot ring is empty (the resync was consumed): fill it, then 100 more wait in
	 * rampartd */
	int n = 64 + 100;

	for (int i = 0; i < n; i++)
		assert_int_equal(send_kv(f, i, i), 0);
	assert_int_equal(send_kv(f, 999, 400), -ENOBUFS);
	dpif_get_stats(f->d, &st);
	assert_int_equal(st.pending, 64);
	assert_int_equal(st.queued, 100);
	assert_int_equal(rp_chan_space(f->cp), 0);

	for (int i = 0; i < n; i++) {
		dp_next(f, &m);
		assert_int_equal(m.u.kv.key, i);
		dp_ack(f, m.hdr.seq, 0, "");
	}
	PUMP_UNTIL(f, f->n_calls == (unsigned)n, 3000);
	for (int i = 0; i < n; i++)
		assert_int_equal(f->calls[i].tag, i);
}

static void test_queued_request_times_out(void **state)
{
	struct fx *f = *state;

	/* fill the pending bound, then a queued PING times out while still queued */
	for (int i = 0; i < 8; i++)
		assert_int_equal(send_kv(f, i, i), 0);
	assert_int_equal(send_ping(f, 1, 50, 20), 0);
	PUMP_UNTIL(f, f->n_calls >= 1, 1000);
	assert_int_equal(f->calls[0].tag, 50);
	assert_int_equal(f->calls[0].status, -ETIMEDOUT);
	assert_int_equal(f->calls[0].seq, 0); /* never sent */
}

static void test_unsolicited_events(void **state)
{
	struct fx *f = *state;
	struct rp_msg_lifetime lt = { .sa_id = 5, .hard = 1, .bytes = 100 };
	struct rp_msg_error e = { .code = -EIO };
	struct dpif_stats st;

	snprintf(e.text, sizeof(e.text), "something");
	dp_emit(f, RP_MSG_LIFETIME, &lt, sizeof(lt), 0, 0);
	dp_emit(f, RP_MSG_ERROR, &e, sizeof(e), 0, 0); /* no handler: logged */
	PUMP_UNTIL(f, f->lifetime_calls == 1, 1000);
	assert_int_equal(f->lifetime_sa, 5);
	dpif_get_stats(f->d, &st);
	PUMP_UNTIL(f, (dpif_get_stats(f->d, &st), st.unsolicited == 2), 1000);
	assert_int_equal(f->n_calls, 0);
}

static void test_cancel(void **state)
{
	struct fx *f = *state;
	struct rp_msg m;
	void *a = arg_for(f, 14);
	struct rp_msg_ping p = { .sent_ns = 1 };

	assert_int_equal(dpif_send(f->d, RP_MSG_PING, &p, sizeof(p), record, a, 0), 0);
	assert_int_equal(dpif_send(f->d, RP_MSG_PING, &p, sizeof(p), record, a, 0), 0);
	assert_int_equal(send_ping(f, 2, 15, 0), 0);
	assert_int_equal(dpif_cancel(f->d, a), 2);
	for (int i = 0; i < 3; i++) {
		dp_next(f, &m);
		dp_emit(f, RP_MSG_PONG, &m.u.ping, sizeof(m.u.ping), 0, m.hdr.seq);
	}
	PUMP_UNTIL(f, f->n_calls == 1, 1000);
	pump_ms(f, 10);
	assert_int_equal(f->n_calls, 1);
	assert_int_equal(f->calls[0].tag, 15);
}

static void test_invalid_commands(void **state)
{
	struct fx *f = *state;
	struct rp_msg_ping p = { 0 };
	struct rp_msg_sa sa;

	/* an event type, a wrong length, a payload that does not validate */
	assert_int_equal(dpif_send(f->d, RP_MSG_PONG, &p, sizeof(p), record, NULL, 0), -EINVAL);
	assert_int_equal(dpif_send(f->d, RP_MSG_PING, &p, sizeof(p) - 1, record, NULL, 0),
			 -EINVAL);
	assert_int_equal(dpif_send(f->d, 999, &p, sizeof(p), record, NULL, 0), -EINVAL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_id = 1;
	sa.cipher = 99;
	assert_int_equal(dpif_send(f->d, RP_MSG_SA_ADD, &sa, sizeof(sa), record, NULL, 0),
			 -EINVAL);
	pump_ms(f, 5);
	assert_false(dp_has_command(f));
	assert_int_equal(f->n_calls, 0);
}

static void cb_sends(int status, const struct dpif_reply *rep, void *arg)
{
	struct fx *f = arg;
	struct rp_msg_ping p = { .sent_ns = 2 };

	(void)rep;
	f->n_calls++;
	f->calls[0].status = status;
	f->cb_send_rc = dpif_send(f->d, RP_MSG_PING, &p, sizeof(p), NULL, NULL, 0);
}

static void test_destroy_fails_pending(void **state)
{
	struct fx *f = *state;
	struct rp_msg_ping p = { .sent_ns = 1 };

	assert_int_equal(dpif_send(f->d, RP_MSG_PING, &p, sizeof(p), cb_sends, f, 0), 0);
	dpif_destroy(f->d);
	f->d = NULL;
	assert_int_equal(f->n_calls, 1);
	assert_int_equal(f->calls[0].status, -ESHUTDOWN);
	assert_int_equal(f->cb_send_rc, -ESHUTDOWN);
}

static void test_callback_may_send(void **state)
{
	struct fx *f = *state;
	struct rp_msg_ping p = { .sent_ns = 1 };
	struct rp_msg m;

	assert_int_equal(dpif_send(f->d, RP_MSG_PING, &p, sizeof(p), cb_sends, f, 0), 0);
	dp_next(f, &m);
	dp_emit(f, RP_MSG_PONG, &m.u.ping, sizeof(m.u.ping), 0, m.hdr.seq);
	PUMP_UNTIL(f, f->n_calls == 1, 1000);
	assert_int_equal(f->cb_send_rc, 0);
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_PING);
	assert_int_equal(m.u.ping.sent_ns, 2);
}

static void test_replay_hook_runs(void **state)
{
	struct fx *f = *state;

	/* setup_replay already checked the first resync replayed 20 commands; a restart
	 * replays them again from step 0 */
	rp_chan_close(f->dp);
	open_dp(f);
	PUMP_UNTIL(f, f->replay_calls == 2, 1000);
	dp_expect_resync(f, 20);
}

/* "show sa": SA_DUMP answered by SA_INFO... DUMP_END, rendered as a table and as JSON. */
struct sa_show {
	int calls, status;
	struct sbuf text, json;
};

static void on_sa_dump(int status, const struct dpif_reply *rep, void *arg)
{
	struct sa_show *r = arg;
	struct json_w jw;

	r->calls++;
	r->status = status;
	cp_sa_render(rep, &r->text, NULL);
	json_init(&jw, &r->json, false);
	cp_sa_render(rep, NULL, &jw);
	assert_int_equal(json_finish(&jw), 0);
}

static void test_show_sa(void **state)
{
	struct fx *f = *state;
	struct rp_msg_empty e = { { 0 } };
	struct rp_msg_sa_ref ref = { .sa_id = 42 };
	struct rp_msg_dump_end end = { .count = 2, .status = 0 };
	struct rp_msg_sa_stats st[2] = {
		{ .sa_id = 7, .spi = htonl(0xc0ffee01), .dir = RP_DIR_IN, .packets = 12, .bytes = 3456,
		  .drops = 1, .seq = 12 },
		{ .sa_id = 8, .spi = htonl(0x00abcdef), .dir = RP_DIR_OUT, .packets = 7, .bytes = 890,
		  .drops = 0, .seq = 7 },
	};
	struct sa_show r = { 0 };
	struct rp_msg m;
	const char *t;

	sbuf_init(&r.text, 1 << 16);
	sbuf_init(&r.json, 1 << 16);
	assert_int_equal(dpif_send(f->d, RP_MSG_SA_DUMP, &e, sizeof(e), on_sa_dump, &r, 0), 0);
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_SA_DUMP);
	dp_emit(f, RP_MSG_SA_INFO, &st[0], sizeof(st[0]), RP_MSGF_MORE, m.hdr.seq);
	dp_emit(f, RP_MSG_SA_INFO, &st[1], sizeof(st[1]), RP_MSGF_MORE, m.hdr.seq);
	dp_emit(f, RP_MSG_DUMP_END, &end, sizeof(end), 0, m.hdr.seq);
	PUMP_UNTIL(f, r.calls == 1, 1000);
	assert_int_equal(r.status, 0);
	t = sbuf_str(&r.text);
	assert_non_null(strstr(t, "SA_ID"));
	assert_non_null(strstr(t, "SPI"));
	assert_non_null(strstr(t, "PACKETS"));
	assert_non_null(strstr(t, "DROPS"));
	assert_non_null(strstr(t, "SEQ"));
	assert_non_null(strstr(t, "\n7          in  0xc0ffee01 "));
	assert_non_null(strstr(t, "\n8          out 0x00abcdef "));
	assert_non_null(strstr(t, " 3456 "));
	assert_non_null(strstr(t, " 890 "));
	assert_non_null(strstr(t, "2 SAs\n"));
	assert_string_equal(sbuf_str(&r.json),
			    "[{\"sa_id\":7,\"dir\":\"in\",\"spi\":\"c0ffee01\",\"packets\":12,"
			    "\"bytes\":3456,\"drops\":1,\"seq\":12},"
			    "{\"sa_id\":8,\"dir\":\"out\",\"spi\":\"00abcdef\",\"packets\":7,"
			    "\"bytes\":890,\"drops\":0,\"seq\":7}]\n");

	/* one SA that the dataplane does not know: DUMP_END -ENOENT, an empty table */
	sbuf_reset(&r.text);
	sbuf_reset(&r.json);
	assert_int_equal(dpif_send(f->d, RP_MSG_STATS_REQ, &ref, sizeof(ref), on_sa_dump, &r, 0),
			 0);
	dp_next(f, &m);
	assert_int_equal(m.hdr.type, RP_MSG_STATS_REQ);
	assert_int_equal(m.u.sa_ref.sa_id, 42);
	end.count = 0;
	end.status = -ENOENT;
	dp_emit(f, RP_MSG_DUMP_END, &end, sizeof(end), 0, m.hdr.seq);
	PUMP_UNTIL(f, r.calls == 2, 1000);
	assert_int_equal(r.status, -ENOENT);
	assert_non_null(strstr(sbuf_str(&r.text), "0 SAs\n"));
	assert_string_equal(sbuf_str(&r.json), "[]\n");
	sbuf_free(&r.text);
	sbuf_free(&r.json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ping_pong, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_dump_collects_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_status_is_passed_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_answer_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_and_late_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epoch_change_resets_and_resyncs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_answer_before_restart_is_delivered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dataplane_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_behind_resync, setup_replay, teardown),
		cmocka_unit_test_setup_teardown(test_pending_bound_and_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_full_queues, setup_ring, teardown),
		cmocka_unit_test_setup_teardown(test_queued_request_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsolicited_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_fails_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_may_send, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_hook_runs, setup_replay, teardown),
		cmocka_unit_test_setup_teardown(test_show_sa, setup, teardown),
	};

	rp_log_init("test_cp_dpif", RP_LOG_STDERR,
		    getenv("RP_TEST_VERBOSE") ? RP_LOG_DEBUG : RP_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
