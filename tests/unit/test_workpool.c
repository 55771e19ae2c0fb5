/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * controlplane/util/workpool: completions on the caller's thread, in order with one worker,
 * the bounded queue, cancellation (queued, running, finished, from within a done()), and
 * shutdown with jobs in flight. Runs under ASan in CI (suite unit). No assertion on time:
 * waits are bounded only so that a bug fails instead of hanging.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controlplane/util/workpool.h"

/* A gate that holds workers inside work() until the test opens it. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open = true;
static unsigned in_work; /* workers waiting at the gate */

static void set_gate(bool open)
{
	pthread_mutex_lock(&gate_mu);
	gate_open = open;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

/* Wait until @p n workers sit at the gate. */
static void wait_at_gate(unsigned n)
{
	pthread_mutex_lock(&gate_mu);
	while (in_work < n)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
}

struct job {
	unsigned id;
	uint64_t in, out;       /* work: out = f(in), on the worker */
	bool gated;
	bool ran;               /* set by work() */
	unsigned calls;         /* done() calls */
	bool ok;                /* what the last one said */
	unsigned *order;        /* done() appends id here */
	unsigned *n_order;
	unsigned *n_ok, *n_fail;
	struct workpool *wp;    /* for done() that cancels or submits */
	struct job *cancel_in_done;
};

static uint64_t mix(uint64_t x)
{
	for (int i = 0; i < 1000; i++) {
		x ^= x >> 31;
		x *= 0x9e3779b97f4a7c15ull;
	}
	return x;
}

static void work(void *arg)
{
	struct job *j = arg;

	if (j->gated) {
		pthread_mutex_lock(&gate_mu);
		in_work++;
		pthread_cond_broadcast(&gate_cv);
		while (!gate_open)
			pthread_cond_wait(&gate_cv, &gate_mu);
		in_work--;
		pthread_mutex_unlock(&gate_mu);
	}
	j->out = mix(j->in);
	__atomic_store_n(&j->ran, true, __ATOMIC_RELEASE);
}

/* For the test's own polling (delivery and destroy synchronise on their own). */
static bool has_run(const struct job *j)
{
	return __atomic_load_n(&j->ran, __ATOMIC_ACQUIRE);
}

static void done(void *arg, bool ok)
{
	struct job *j = arg;

	j->calls++;
	j->ok = ok;
	if (j->order)
		j->order[(*j->n_order)++] = j->id;
	if (ok) {
		(*j->n_ok)++;
		assert_true(j->ran);
		assert_int_equal(j->out, mix(j->in));
	} else {
		(*j->n_fail)++;
	}
	if (j->cancel_in_done)
		wp_cancel(j->wp, j->cancel_in_done);
}

/* Deliver until @p n_delivered reaches @p want. */
static void drain(struct workpool *wp, const unsigned *n_delivered, unsigned want)
{
	for (int spins = 0; *n_delivered < want; spins++) {
		struct pollfd p = { .fd = wp_fd(wp), .events = POLLIN };

		assert_true(spins < 6000); /* a minute: something is stuck */
		poll(&p, 1, 10);
		wp_run_done(wp);
	}
}

static void test_args(void **state)
{
	struct workpool *wp = (void *)1;
	unsigned d = wp_default_threads();

	(void)state;
	assert_int_equal(wp_create(0, 4, &wp), -EINVAL);
	assert_null(wp);
	assert_int_equal(wp_create(1, 0, &wp), -EINVAL);
	assert_int_equal(wp_create(WP_MAX_THREADS + 1, 4, &wp), -EINVAL);
	assert_true(d >= 1 && d <= 4);
	assert_int_equal(wp_create(2, 4, &wp), 0);
	assert_int_equal(wp_threads(wp), 2);
	assert_int_equal(wp_pending(wp), 0);
	assert_int_equal(wp_run_done(wp), 0); /* nothing due: no callback, no block */
	wp_destroy(wp);
	wp_destroy(NULL);
}

/* One worker: completions in submission order, on this thread, results intact. */
static void test_order(void **state)
{
	enum { N = 50 };
	struct job jobs[N];
	unsigned order[N], n_order = 0, ok = 0, fail = 0;
	struct workpool *wp;

	(void)state;
	assert_int_equal(wp_create(1, N, &wp), 0);
	memset(jobs, 0, sizeof(jobs));
	for (unsigned i = 0; i < N; i++) {
		jobs[i] = (struct job){ .id = i, .in = i * 7919u, .order = order,
					.n_order = &n_order, .n_ok = &ok, .n_fail = &fail };
		assert_int_equal(wp_submit(wp, work, done, &jobs[i]), 0);
	}
	drain(wp, &n_order, N);
	assert_int_equal(ok, N);
	assert_int_equal(fail, 0);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(order[i], i);
	assert_int_equal(wp_pending(wp), 0);
	wp_destroy(wp);
}

/* Several workers: every job delivered exactly once with the right result. */
static void test_many_threads(void **state)
{
	enum { N = 2000 };
	struct job *jobs = calloc(N, sizeof(*jobs));
	unsigned *order = calloc(N, sizeof(*order));
	unsigned n_order = 0, ok = 0, fail = 0, seen[N] = { 0 }, submitted = 0;
	struct workpool *wp;

	(void)state;
	assert_non_null(jobs);
	assert_non_null(order);
	assert_int_equal(wp_create(4, 64, &wp), 0);
	while (submitted < N) {
		struct job *j = &jobs[submitted];
		int rc;

		*j = (struct job){ .id = submitted, .in = submitted, .order = order,
				   .n_order = &n_order, .n_ok = &ok, .n_fail = &fail };
		rc = wp_submit(wp, work, done, j);
		if (rc == -EAGAIN) { /* full: deliver some and try again */
			drain(wp, &n_order, n_order + 1);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_true(wp_pending(wp) <= 64);
		submitted++;
	}
	drain(wp, &n_order, N);
	assert_int_equal(ok, N);
	for (unsigned i = 0; i < N; i++)
		seen[order[i]]++;
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(seen[i], 1);
	wp_destroy(wp);
	free(jobs);
	free(order);
}

/* The bound: max_pending counts queued, running and undelivered jobs alike. */
static void test_full(void **state)
{
	struct job jobs[4];
	unsigned n_order = 0, order[8], ok = 0, fail = 0;
	struct workpool *wp;

	(void)state;
	assert_int_equal(wp_create(1, 3, &wp), 0);
	set_gate(false);
	for (unsigned i = 0; i < 4; i++)
		jobs[i] = (struct job){ .id = i, .in = i, .gated = true, .order = order,
					.n_order = &n_order, .n_ok = &ok, .n_fail = &fail };
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(wp_submit(wp, work, done, &jobs[i]), 0);
	assert_int_equal(wp_submit(wp, work, done, &jobs[3]), -EAGAIN);
	assert_int_equal(wp_pending(wp), 3);
	wait_at_gate(1);
	assert_int_equal(wp_run_done(wp), 0); /* nothing finished yet */
	set_gate(true);
	drain(wp, &n_order, 3);
	assert_int_equal(wp_pending(wp), 0);
	/* finished but undelivered jobs still count */
	for (unsigned i = 0; i < 3; i++) {
		jobs[i].ran = false;
		assert_int_equal(wp_submit(wp, work, done, &jobs[i]), 0);
	}
	for (int spins = 0; !(has_run(&jobs[0]) && has_run(&jobs[1]) && has_run(&jobs[2]));
	     spins++) {
		assert_true(spins < 6000); /* a minute: something is stuck */
		usleep(10000); /* not poll(): an undelivered job keeps the fd readable */
	}
	assert_int_equal(wp_submit(wp, work, done, &jobs[3]), -EAGAIN);
	drain(wp, &n_order, 4);
	assert_int_equal(wp_submit(wp, work, done, &jobs[3]), 0); /* room again */
	drain(wp, &n_order, 7);
	assert_int_equal(wp_pending(wp), 0);
	assert_int_equal(ok, 7);
	assert_int_equal(fail, 0);
	wp_destroy(wp);
}

/* Cancel a running, a queued and a finished job: done(false) for each, exactly once; the
 * queued one's work never runs. */
static void test_cancel(void **state)
{
	struct job jobs[4];
	unsigned n_order = 0, order[4], ok = 0, fail = 0;
	struct workpool *wp;

	(void)state;
	assert_int_equal(wp_create(1, 8, &wp), 0);
	for (unsigned i = 0; i < 4; i++)
		jobs[i] = (struct job){ .id = i, .in = i, .order = order, .n_order = &n_order,
					.n_ok = &ok, .n_fail = &fail };
	/* a finished, undelivered one */
	assert_int_equal(wp_submit(wp, work, done, &jobs[0]), 0);
	for (int spins = 0; !has_run(&jobs[0]); spins++) {
		assert_true(spins < 6000); /* a minute: something is stuck */
		usleep(10000); /* not poll(): an undelivered job keeps the fd readable */
	}
	/* a running one (held at the gate) and a queued one behind it */
	set_gate(false);
	jobs[1].gated = true;
	assert_int_equal(wp_submit(wp, work, done, &jobs[1]), 0);
	wait_at_gate(1);
	assert_int_equal(wp_submit(wp, work, done, &jobs[2]), 0);
	assert_int_equal(wp_submit(wp, work, done, &jobs[3]), 0);

	assert_int_equal(wp_cancel(wp, &jobs[0]), 1);
	assert_int_equal(wp_cancel(wp, &jobs[1]), 1);
	assert_int_equal(wp_cancel(wp, &jobs[2]), 1);
	assert_int_equal(wp_cancel(wp, &jobs[2]), 0); /* once is enough */
	assert_int_equal(wp_cancel(wp, &ok), 0);      /* not a job */
	assert_int_equal(n_order, 0);                 /* nothing from within cancel */
	set_gate(true);
	drain(wp, &n_order, 4);
	assert_int_equal(ok, 1);   /* jobs[3] */
	assert_int_equal(fail, 3);
	assert_true(jobs[1].ran);  /* it had started: it finished, unread */
	assert_false(jobs[2].ran); /* it had not: skipped */
	assert_true(jobs[3].ran);
	assert_int_equal(wp_pending(wp), 0);
	wp_destroy(wp);
}

/* A done() that cancels a job finished in the same batch: that one gets done(false). */
static void test_cancel_from_done(void **state)
{
	struct job a, b;
	unsigned n_order = 0, order[2], ok = 0, fail = 0;
	struct workpool *wp;

	(void)state;
	assert_int_equal(wp_create(1, 8, &wp), 0);
	a = (struct job){ .id = 0, .in = 1, .order = order, .n_order = &n_order, .n_ok = &ok,
			  .n_fail = &fail, .wp = wp, .cancel_in_done = &b };
	b = (struct job){ .id = 1, .in = 2, .order = order, .n_order = &n_order, .n_ok = &ok,
			  .n_fail = &fail };
	assert_int_equal(wp_submit(wp, work, done, &a), 0);
	assert_int_equal(wp_submit(wp, work, done, &b), 0);
	for (int spins = 0; !(has_run(&a) && has_run(&b)); spins++) {
		assert_true(spins < 6000); /* a minute: something is stuck */
		usleep(10000); /* not poll(): an undelivered job keeps the fd readable */
	}
	/* b.ran is set inside work(), just before the worker files it: b is finished or still
	 * running when a's done() cancels it; either way it comes back with ok = false */
	drain(wp, &n_order, 2);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 1);
	assert_int_equal(ok, 1);
	assert_int_equal(fail, 1);
	wp_destroy(wp);
}

/* A done() may submit the next job. */
static struct job chain_next;

static void done_submit(void *arg, bool ok)
{
	struct job *j = arg;

	done(arg, ok);
	chain_next.wp = NULL;
	assert_int_equal(wp_submit(j->wp, work, done, &chain_next), 0);
}

static void test_submit_from_done(void **state)
{
	struct job a;
	unsigned n_order = 0, order[2], ok = 0, fail = 0;
	struct workpool *wp;

	(void)state;
	assert_int_equal(wp_create(2, 2, &wp), 0);
	a = (struct job){ .id = 0, .in = 5, .order = order, .n_order = &n_order, .n_ok = &ok,
			  .n_fail = &fail, .wp = wp };
	chain_next = (struct job){ .id = 1, .in = 6, .order = order, .n_order = &n_order,
				   .n_ok = &ok, .n_fail = &fail };
	assert_int_equal(wp_submit(wp, work, done_submit, &a), 0);
	drain(wp, &n_order, 2);
	assert_int_equal(ok, 2);
	wp_destroy(wp);
}

/* Destroy with jobs running, queued and finished: each gets its done() during destroy
 * (ok only where the work ran and nobody cancelled it), none after. */
static void test_shutdown(void **state)
{
	enum { N = 8 };
	struct job jobs[N];
	unsigned n_order = 0, order[N], ok = 0, fail = 0;
	struct workpool *wp;

	(void)state;
	assert_int_equal(wp_create(2, N, &wp), 0);
	for (unsigned i = 0; i < N; i++)
		jobs[i] = (struct job){ .id = i, .in = i, .order = order, .n_order = &n_order,
					.n_ok = &ok, .n_fail = &fail };
	/* jobs[0]: finished, undelivered */
	assert_int_equal(wp_submit(wp, work, done, &jobs[0]), 0);
	for (int spins = 0; !has_run(&jobs[0]); spins++) {
		assert_true(spins < 6000); /* a minute: something is stuck */
		usleep(10000); /* not poll(): an undelivered job keeps the fd readable */
	}
	/* jobs[1], jobs[2]: running on both workers; the rest queued; jobs[7] cancelled */
	set_gate(false);
	jobs[1].gated = jobs[2].gated = true;
	assert_int_equal(wp_submit(wp, work, done, &jobs[1]), 0);
	assert_int_equal(wp_submit(wp, work, done, &jobs[2]), 0);
	wait_at_gate(2);
	for (unsigned i = 3; i < N; i++)
		assert_int_equal(wp_submit(wp, work, done, &jobs[i]), 0);
	assert_int_equal(wp_cancel(wp, &jobs[2]), 1);
	assert_int_equal(wp_cancel(wp, &jobs[7]), 1);
	set_gate(true); /* destroy waits for the running ones */
	wp_destroy(wp);
	assert_int_equal(n_order, N);
	assert_int_equal(ok + fail, N);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(jobs[i].calls, 1);
	assert_true(jobs[0].ok);
	assert_true(jobs[1].ok);
	assert_true(jobs[2].ran);   /* cancelled while running: it finished, unread */
	assert_false(jobs[2].ok);
	assert_false(jobs[7].ran);  /* cancelled while queued: skipped */
	assert_false(jobs[7].ok);
	/* the queued ones: delivered iff a worker took them before it saw the stop */
	for (unsigned i = 3; i < 7; i++)
		assert_int_equal(jobs[i].ok, jobs[i].ran);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_many_threads),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_cancel_from_done),
		cmocka_unit_test(test_submit_from_done),
		cmocka_unit_test(test_shutdown),
	};

	return cmocka_run_group_tests_name("workpool", tests, NULL, NULL);
}
