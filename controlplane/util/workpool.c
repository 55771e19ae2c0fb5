/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Worker threads with completions delivered on the event loop. See workpool.h. */
#include "controlplane/util/workpool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct wp_job {
	struct wp_job *next;
	wp_work_fn work;
	wp_done_fn done;
	void *arg;
	bool ran, cancelled;
};

struct wp_list {
	struct wp_job *head, *tail;
	unsigned n;
};

struct wp_thread {
	struct workpool *wp;
	pthread_t tid;
	struct wp_job *job;        /* running now, NULL when idle */
};

/* Jobs are in exactly one place: the queue, a thread's job, or the finished list. */
struct workpool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct wp_list queue;      /* waiting for a worker */
	struct wp_list finished;   /* waiting for wp_run_done() */
	bool stop;
	int efd;
	unsigned n_threads, max_pending;
	unsigned pending;          /* loop thread only */
	struct wp_thread *threads;
};

static void push(struct wp_list *l, struct wp_job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->n++;
}

static struct wp_job *pop(struct wp_list *l)
{
	struct wp_job *j = l->head;

	if (j) {
		l->head = j->next;
		if (!l->head)
			l->tail = NULL;
		l->n--;
	}
	return j;
}

/* Wake the loop. The counter holds far more than max_pending: this cannot fail short of a
 * closed descriptor. */
static void signal_loop(struct workpool *wp)
{
	const uint64_t one = 1;
	ssize_t w = write(wp->efd, &one, sizeof(one));

	(void)w;
}

static void *worker(void *arg)
{
	struct wp_thread *t = arg;
	struct workpool *wp = t->wp;

	pthread_mutex_lock(&wp->mu);
	for (;;) {
		struct wp_job *j;

		while (!wp->stop && !wp->queue.head)
			pthread_cond_wait(&wp->cv, &wp->mu);
		if (wp->stop)
			break;
		j = pop(&wp->queue);
		t->job = j;
		pthread_mutex_unlock(&wp->mu);
		j->work(j->arg);
		pthread_mutex_lock(&wp->mu);
		t->job = NULL;
		j->ran = true;
		push(&wp->finished, j);
		signal_loop(wp);
	}
	pthread_mutex_unlock(&wp->mu);
	return NULL;
}

unsigned wp_default_threads(void)
{
	cpu_set_t set;
	long n;

	/* the CPUs we may run on (taskset, cgroups' cpusets), else those online */
	CPU_ZERO(&set);
	n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) :
							    sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > 4 ? 4u : (unsigned)n;
}

int wp_create(unsigned threads, unsigned max_pending, struct workpool **out)
{
	struct workpool *wp;
	int rc;

	*out = NULL;
	if (!threads || threads > WP_MAX_THREADS || !max_pending)
		return -EINVAL;
	wp = calloc(1, sizeof(*wp));
	if (!wp)
		return -ENOMEM;
	wp->threads = calloc(threads, sizeof(*wp->threads));
	if (!wp->threads) {
		free(wp);
		return -ENOMEM;
	}
	wp->max_pending = max_pending;
	pthread_mutex_init(&wp->mu, NULL);
	pthread_cond_init(&wp->cv, NULL);
	wp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wp->efd < 0) {
		rc = -errno;
		wp_destroy(wp);
		return rc;
	}
	for (unsigned i = 0; i < threads; i++) {
		wp->threads[i].wp = wp;
		rc = pthread_create(&wp->threads[i].tid, NULL, worker, &wp->threads[i]);
		if (rc) {
			wp_destroy(wp);
			return -rc;
		}
		wp->n_threads++;
	}
	*out = wp;
	return 0;
}

void wp_destroy(struct workpool *wp)
{
	struct wp_job *j;

	if (!wp)
		return;
	pthread_mutex_lock(&wp->mu);
	wp->stop = true;
	pthread_cond_broadcast(&wp->cv);
	pthread_mutex_unlock(&wp->mu);
	for (unsigned i = 0; i < wp->n_threads; i++)
		pthread_join(wp->threads[i].tid, NULL);
	/* no thread left: the lists are ours; a running job ended up in finished */
	while ((j = pop(&wp->finished))) {
		j->done(j->arg, j->ran && !j->cancelled);
		free(j);
	}
	while ((j = pop(&wp->queue))) {
		j->done(j->arg, false);
		free(j);
	}
	if (wp->efd >= 0)
		close(wp->efd);
	pthread_cond_destroy(&wp->cv);
	pthread_mutex_destroy(&wp->mu);
	free(wp->threads);
	free(wp);
}

int wp_submit(struct workpool *wp, wp_work_fn work, wp_done_fn done, void *arg)
{
	struct wp_job *j;

	if (wp->pending >= wp->max_pending)
		return -EAGAIN;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&wp->mu);
	push(&wp->queue, j);
	pthread_cond_signal(&wp->cv);
	pthread_mutex_unlock(&wp->mu);
	wp->pending++;
	return 0;
}

unsigned wp_cancel(struct workpool *wp, const void *arg)
{
	struct wp_job *j, *prev = NULL, *next;
	unsigned n = 0;

	pthread_mutex_lock(&wp->mu);
	/* not started: straight to the finished list, without running */
	for (j = wp->queue.head; j; j = next) {
		next = j->next;
		if (j->arg != arg) {
			prev = j;
			continue;
		}
		if (prev)
			prev->next = next;
		else
			wp->queue.head = next;
		if (wp->queue.tail == j)
			wp->queue.tail = prev;
		wp->queue.n--;
		j->cancelled = true;
		push(&wp->finished, j);
		n++;
	}
	for (unsigned i = 0; i < wp->n_threads; i++)
		if (wp->threads[i].job && wp->threads[i].job->arg == arg) {
			wp->threads[i].job->cancelled = true;
			n++;
		}
	for (j = wp->finished.head; j; j = j->next)
		if (j->arg == arg && !j->cancelled) {
			j->cancelled = true;
			n++;
		}
	if (n)
		signal_loop(wp);
	pthread_mutex_unlock(&wp->mu);
	return n;
}

int wp_fd(const struct workpool *wp)
{
	return wp->efd;
}

unsigned wp_run_done(struct workpool *wp)
{
	unsigned n = 0, due;
	uint64_t v;
	ssize_t r = read(wp->efd, &v, sizeof(v)); /* EAGAIN: nothing signalled; look anyway */

	(void)r;
	pthread_mutex_lock(&wp->mu);
	due = wp->finished.n;
	pthread_mutex_unlock(&wp->mu);
	/* one at a time: a done() that cancels another job finds it still in the list */
	while (n < due) {
		struct wp_job *j;
		bool ok;

		pthread_mutex_lock(&wp->mu);
		j = pop(&wp->finished);
		pthread_mutex_unlock(&wp->mu);
		if (!j)
			break;
		ok = j->ran && !j->cancelled;
		wp->pending--;
		j->done(j->arg, ok);
		free(j);
		n++;
	}
	return n;
}

unsigned wp_pending(const struct workpool *wp)
{
	return wp->pending;
}

unsigned wp_threads(const struct workpool *wp)
{
	return wp->n_threads;
}
