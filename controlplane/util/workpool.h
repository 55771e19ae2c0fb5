/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file workpool.h
 * A small pool of worker threads for CPU-heavy work (Diffie-Hellman, signatures) that must
 * not stall rampartd's event loop (`ike.crypto_threads`, docs/config.md).
 *
 * wp_submit() queues work(arg) for a worker; when it has run, done(arg, true) is called on
 * the loop thread from wp_run_done(), which the loop calls when wp_fd() (an eventfd) is
 * readable. With one thread, completions come in submission order; with more, in the order
 * the work finished. The queue is bounded: at most max_pending jobs (queued, running, or
 * finished and not yet delivered) at once; beyond that wp_submit() refuses with -EAGAIN,
 * the limit a flood of requests from strangers pushes against.
 *
 * work() runs on a worker thread and must only touch what @p arg owns and data nobody
 * changes meanwhile; done() runs on the loop thread.
 *
 * done(arg, ok) is called exactly once per accepted job, and is where @p arg is freed:
 *  - ok = true: work() ran and the job was not cancelled: deliver its result;
 *  - ok = false: the job was cancelled (wp_cancel(): its owner went away; work() is skipped
 *    if it had not started, and its result, if any, is to be freed unread) or the pool was
 *    destroyed before work() could run.
 *
 * Ownership and threads: submit, cancel, run_done and destroy belong to the loop thread.
 * wp_destroy() stops the workers (a running work() finishes first), then calls done() for
 * every job not delivered yet (ok as above: true only for work that ran and was not
 * cancelled), so that their owners can free them; no done() runs after it returns. Owners
 * that go away before the pool cancel their jobs first.
 */
#ifndef RAMPART_CP_UTIL_WORKPOOL_H
#define RAMPART_CP_UTIL_WORKPOOL_H

#include <stdbool.h>

struct workpool;

typedef void (*wp_work_fn)(void *arg);
typedef void (*wp_done_fn)(void *arg, bool ok);

/** Threads beyond this are refused by wp_create() (-EINVAL). */
#define WP_MAX_THREADS 64u

/** The default thread count: the CPUs this process may run on (its affinity), at most 4
 * (at least 1). */
unsigned wp_default_threads(void);

/**
 * @param threads      1..WP_MAX_THREADS (a caller that wants no threads does the work
 *                     inline and creates no pool)
 * @param max_pending  jobs at most at once (>= 1)
 * @return 0, -EINVAL, -ENOMEM, -errno (eventfd, threads).
 */
int wp_create(unsigned threads, unsigned max_pending, struct workpool **out);
/** Stop, join, hand back what is pending (see above), free. NULL is a no-op. */
void wp_destroy(struct workpool *wp);

/** @return 0 (done() will be called), -EAGAIN (max_pending jobs already), -ENOMEM. */
int wp_submit(struct workpool *wp, wp_work_fn work, wp_done_fn done, void *arg);

/**
 * Cancel every job of @p arg not delivered yet: done(arg, false) follows (from
 * wp_run_done() or wp_destroy(), never from within this call). @return jobs cancelled.
 */
unsigned wp_cancel(struct workpool *wp, const void *arg);

/** Readable when completions are due (poll it, or put it on the event loop). */
int wp_fd(const struct workpool *wp);

/**
 * Deliver the finished jobs' done() callbacks (those finished when the call started; a
 * done() may submit or cancel jobs). @return how many.
 */
unsigned wp_run_done(struct workpool *wp);

/** Jobs submitted and not delivered yet. */
unsigned wp_pending(const struct workpool *wp);
/** Worker threads. */
unsigned wp_threads(const struct workpool *wp);

#endif
