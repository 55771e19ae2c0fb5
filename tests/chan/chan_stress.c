/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Two-process stress test of the control channel, with both sides killed and restarted.
 *
 * A producer (role CP, like rampartd) sends N intents as KV_SET messages: intent i sets key
 * key_of(i) to value i, with cookie i. A consumer (role DP, like rampart-dp) applies them to
 * a table in its own memory, which dies with it. The parent SIGKILLs the producer at about a
 * third of the way and restarts it (it resumes from rp_chan_last_sent()'s cookie and starts
 * with a resync), then SIGKILLs the consumer at about two thirds and restarts it (the
 * producer sees the consumer's epoch change and resyncs it). At the end the consumer's table
 * must equal the table computed from intents 1..N, and every consumer lifetime must have
 * seen consecutive sequence numbers, intents in order, and no malformed slot.
 *
 * Usage: chan_stress [-n intents]                         (parent, what meson runs)
 *        chan_stress producer|consumer REGION RESULTS LIFE   (children, exec'd by the parent)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/chan.h"
#include "common/msg.h"

#define N_DEFAULT 3000000ull
#define NKEYS 65536u
#define FINAL_KEY UINT64_MAX /* KV_SET with this key: "all intents sent" (value = N) */
#define MAX_LIVES 4
#define WATCHDOG_S 300
#define SLOTS 4096u

/* One consumer lifetime, written by that consumer as it goes (so it survives SIGKILL). */
struct life {
	uint64_t attach_tail;   /* incoming ring tail just after attaching */
	uint64_t first_seq;
	uint64_t last_seq;
	uint64_t received;      /* messages received (good or bad) */
	uint64_t seq_errors;    /* seq != previous + 1 (or != attach_tail + 1 for the first) */
	uint64_t order_errors;  /* non-resync intent != previous intent + 1, or inconsistent */
	uint64_t bad;           /* rp_chan_recv() < 0 */
	uint64_t intents;       /* non-resync intents applied */
	uint64_t first_intent;
	uint64_t last_intent;
	uint64_t resyncs;       /* RESYNC_END received */
	uint64_t prod_epochs;   /* changes of the producer epoch seen in headers */
	uint32_t epoch;
	uint32_t started;
	char first_error[200];
};

/* One producer lifetime. */
struct plife {
	uint64_t resumed_after; /* cookie of rp_chan_last_sent() at start (0: fresh) */
	uint64_t resyncs;
	uint32_t epoch;
	uint32_t started;
};

struct results {
	uint64_t n;
	_Atomic uint64_t prod_progress; /* last intent published by a producer */
	_Atomic uint64_t cons_progress; /* last intent applied by the current consumer */
	_Atomic uint32_t done;          /* consumer got the final marker and wrote table */
	uint32_t pad;
	uint64_t final_head;            /* command ring head seen by the last consumer */
	struct life life[MAX_LIVES];
	struct plife plife[MAX_LIVES];
	uint64_t table[NKEYS];
};

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t key_of(uint64_t intent)
{
	return splitmix64(intent) % NKEYS;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "chan_stress[%d]: %s%s%s\n", (int)getpid(), what, detail ? ": " : "",
		detail ? detail : "");
	exit(2);
}

static struct results *map_results(const char *path, bool create)
{
	struct results *res;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0600);
	if (fd < 0)
		die("open results", strerror(errno));
	if (create && ftruncate(fd, sizeof(*res)) < 0)
		die("ftruncate results", strerror(errno));
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (res == MAP_FAILED)
		die("mmap results", strerror(errno));
	close(fd);
	return res;
}

/* ---- producer ---------------------------------------------------------------------------- */

struct producer {
	struct rp_chan *ch;
	struct results *res;
	struct plife *pl;
	uint64_t *table;
	uint64_t last;        /* last intent whose effect has been sent */
	uint32_t peer_epoch;
};

static void resync(struct producer *p);

/* Send, waiting for space; a consumer restart seen meanwhile triggers a resync first. */
static void send_kv(struct producer *p, uint64_t key, uint64_t value, uint64_t cookie,
		    bool in_resync, bool *restart)
{
	struct rp_msg_kv kv = { key, value, rp_msg_kv_check(key, value) };
	struct rp_msg_hdr h = { .flags = in_resync ? RP_MSGF_RESYNC : 0, .cookie = cookie };
	int rc;

	for (;;) {
		if (rp_chan_peer_epoch(p->ch) != p->peer_epoch) {
			if (in_resync) {
				*restart = true;
				return;
			}
			resync(p);
		}
		rc = rp_chan_send(p->ch, RP_MSG_KV_SET, &kv, sizeof(kv), &h, NULL);
		if (rc == 0)
			return;
		if (rc != -EAGAIN)
			die("producer send", strerror(-rc));
		sched_yield();
	}
}

static bool send_ctl(struct producer *p, uint16_t type)
{
	struct rp_msg_empty e = { { 0 } };
	struct rp_msg_hdr h = { .flags = RP_MSGF_RESYNC, .cookie = p->last };
	int rc;

	for (;;) {
		if (type != RP_MSG_RESYNC_BEGIN && rp_chan_peer_epoch(p->ch) != p->peer_epoch)
			return false;
		rc = rp_chan_send(p->ch, type, &e, sizeof(e), &h, NULL);
		if (rc == 0)
			return true;
		if (rc != -EAGAIN)
			die("producer send", strerror(-rc));
		sched_yield();
	}
}

/* RESYNC_BEGIN, the whole table, RESYNC_END; starts over if the consumer restarts again. */
static void resync(struct producer *p)
{
	bool restart;

again:
	restart = false;
	p->peer_epoch = rp_chan_peer_epoch(p->ch);
	send_ctl(p, RP_MSG_RESYNC_BEGIN);
	for (uint64_t k = 0; k < NKEYS && !restart; k++)
		if (p->table[k])
			send_kv(p, k, p->table[k], p->last, true, &restart);
	if (restart || !send_ctl(p, RP_MSG_RESYNC_END))
		goto again;
	p->pl->resyncs++;
}

static int run_producer(const char *region, const char *results, int lifeno)
{
	struct producer p = { 0 };
	struct rp_msg_hdr last;
	char err[256];
	bool done;
	uint64_t n;
	int rc;

	p.res = map_results(results, false);
	p.pl = &p.res->plife[lifeno];
	n = p.res->n;
	p.table = calloc(NKEYS, sizeof(*p.table));
	if (!p.table)
		die("producer", "out of memory");
	rc = rp_chan_open(region, RP_ROLE_CP, SLOTS, &p.ch, err, sizeof(err));
	if (rc)
		die("producer open", err);
	p.pl->epoch = rp_chan_epoch(p.ch);
	p.pl->started = 1;

	/* Where did the previous producer stop? Every message's cookie is the last intent
	 * its content reflects (the final marker's is n + 1). Rebuild the table from that. */
	if (rp_chan_last_sent(p.ch, &last))
		p.last = last.cookie;
	p.pl->resumed_after = p.last;
	done = p.last > n;
	if (done)
		p.last = n;
	for (uint64_t i = 1; i <= p.last; i++)
		p.table[key_of(i)] = i;

	p.peer_epoch = rp_chan_peer_epoch(p.ch);
	if (!done) {
		/* The consumer may have been mid-resync when the previous producer died. */
		resync(&p);
		for (uint64_t i = p.last + 1; i <= n; i++) {
			send_kv(&p, key_of(i), i, i, false, NULL);
			p.table[key_of(i)] = i;
			p.last = i;
			atomic_store_explicit(&p.res->prod_progress, i, memory_order_relaxed);
		}
		send_kv(&p, FINAL_KEY, n, n + 1, false, NULL);
	}
	/* Wait until the consumer took everything; a consumer restarted before it got the
	 * marker needs the resync and the marker again. */
	while (rp_chan_space(p.ch) != rp_chan_slots(p.ch)) {
		if (rp_chan_peer_epoch(p.ch) != p.peer_epoch) {
			resync(&p);
			send_kv(&p, FINAL_KEY, n, n + 1, false, NULL);
		}
		sched_yield();
	}
	rp_chan_close(p.ch);
	free(p.table);
	return 0;
}

/* ---- consumer ---------------------------------------------------------------------------- */

static void note_error(struct life *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note_error(struct life *l, const char *fmt, ...)
{
	va_list ap;

	if (l->first_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(l->first_error, sizeof(l->first_error), fmt, ap);
	va_end(ap);
}

static int run_consumer(const char *region, const char *results, int lifeno)
{
	struct results *res = map_results(results, false);
	struct life *l = &res->life[lifeno];
	struct rp_chan_ring_pos pos;
	struct rp_chan *ch;
	uint64_t *table, expect_seq, prev_intent = 0;
	uint32_t prod_epoch = 0;
	bool in_resync = false, seen_begin = false;
	char why[256];
	struct rp_msg m;
	int rc;

	table = calloc(NKEYS, sizeof(*table));
	if (!table)
		die("consumer", "out of memory");
	rc = rp_chan_open(region, RP_ROLE_DP, SLOTS, &ch, why, sizeof(why));
	if (rc)
		die("consumer open", why);
	rp_chan_positions(ch, NULL, &pos);
	l->attach_tail = pos.tail;
	l->epoch = rp_chan_epoch(ch);
	l->started = 1;
	expect_seq = pos.tail + 1;

	for (;;) {
		rc = rp_chan_recv(ch, &m, why, sizeof(why));
		if (rc == 0) {
			sched_yield();
			continue;
		}
		/* last_* before the counts (the fence keeps the compiler from swapping the
		 * stores): a kill in between leaves count == span - 1, never span + 1. */
		if (!l->first_seq)
			l->first_seq = m.hdr.seq;
		l->last_seq = m.hdr.seq;
		atomic_signal_fence(memory_order_seq_cst);
		l->received++;
		if (m.hdr.seq != expect_seq) {
			l->seq_errors++;
			note_error(l, "seq %" PRIu64 ", expected %" PRIu64, m.hdr.seq, expect_seq);
		}
		expect_seq = m.hdr.seq + 1;
		if (rc < 0) {
			l->bad++;
			note_error(l, "seq %" PRIu64 ": %s", m.hdr.seq, why);
			continue;
		}
		if (m.hdr.epoch != prod_epoch) {
			if (prod_epoch && m.hdr.epoch < prod_epoch)
				note_error(l, "producer epoch went back from %u to %u",
					   prod_epoch, m.hdr.epoch);
			prod_epoch = m.hdr.epoch;
			l->prod_epochs++;
		}
		switch (m.hdr.type) {
		case RP_MSG_RESYNC_BEGIN:
			memset(table, 0, NKEYS * sizeof(*table));
			in_resync = seen_begin = true;
			break;
		case RP_MSG_RESYNC_END:
			if (!in_resync) {
				l->order_errors++;
				note_error(l, "RESYNC_END without BEGIN at seq %" PRIu64,
					   m.hdr.seq);
			}
			in_resync = false;
			l->resyncs++;
			break;
		case RP_MSG_KV_SET:
			if (m.u.kv.key == FINAL_KEY) {
				if (in_resync || m.u.kv.value != res->n) {
					l->order_errors++;
					note_error(l, "final marker value %" PRIu64 " in_resync %d",
						   m.u.kv.value, in_resync);
				}
				memcpy(res->table, table, sizeof(res->table));
				rp_chan_positions(ch, NULL, &pos);
				res->final_head = pos.head;
				atomic_store_explicit(&res->done, 1, memory_order_release);
				rp_chan_close(ch);
				free(table);
				return 0;
			}
			if (m.u.kv.key >= NKEYS || m.u.kv.key != key_of(m.u.kv.value)) {
				l->order_errors++;
				note_error(l, "key %" PRIu64 " does not belong to intent %" PRIu64,
					   m.u.kv.key, m.u.kv.value);
				break;
			}
			if (m.hdr.flags & RP_MSGF_RESYNC) {
				/* A consumer started mid-resync sees its tail without BEGIN. */
				if (!in_resync && seen_begin) {
					l->order_errors++;
					note_error(l, "resync entry outside a resync, seq %" PRIu64,
						   m.hdr.seq);
				}
				table[m.u.kv.key] = m.u.kv.value;
				break;
			}
			if ((prev_intent && m.u.kv.value != prev_intent + 1) ||
			    m.hdr.cookie != m.u.kv.value) {
				l->order_errors++;
				note_error(l, "intent %" PRIu64 " after %" PRIu64, m.u.kv.value,
					   prev_intent);
			}
			if (!l->first_intent)
				l->first_intent = m.u.kv.value;
			prev_intent = l->last_intent = m.u.kv.value;
			atomic_signal_fence(memory_order_seq_cst);
			l->intents++;
			table[m.u.kv.key] = m.u.kv.value;
			atomic_store_explicit(&res->cons_progress, m.u.kv.value,
					      memory_order_relaxed);
			break;
		default:
			l->order_errors++;
			note_error(l, "unexpected type %u at seq %" PRIu64, m.hdr.type,
				   m.hdr.seq);
		}
	}
}

/* ---- parent ------------------------------------------------------------------------------ */

static pid_t g_prod, g_cons;
static char g_region[256], g_results[256];
static unsigned int g_failures;

static void watchdog(int sig)
{
	static const char msg[] = "chan_stress: FAIL: watchdog expired, killing children\n";

	(void)sig;
	if (g_prod > 0)
		kill(g_prod, SIGKILL);
	if (g_cons > 0)
		kill(g_cons, SIGKILL);
	unlink(g_region);
	unlink(g_results);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "chan_stress: FAIL: %s: ", #cond);     \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			g_failures++;                                          \
		}                                                              \
	} while (0)

static pid_t spawn(const char *mode, int lifeno)
{
	char life[16];
	pid_t pid;

	snprintf(life, sizeof(life), "%d", lifeno);
	pid = fork();
	if (pid < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		/* Never outlive the parent, nor the watchdog. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(WATCHDOG_S + 10);
		execl("/proc/self/exe", "chan_stress", mode, g_region, g_results, life,
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* SIGKILL a child that must still be running, and prove it was. */
static void kill_midway(pid_t *pid, const char *who)
{
	int status;

	CHECK(kill(*pid, SIGKILL) == 0, "%s already gone: %s", who, strerror(errno));
	CHECK(waitpid(*pid, &status, 0) == *pid, "waitpid %s", who);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "%s finished (status 0x%x) before it could be killed", who, status);
	*pid = -1;
}

static void sleep_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

static int run_parent(uint64_t n)
{
	struct results *res;
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	uint64_t t0, t1, prod_kill_at = 0, cons_kill_at = 0, total = 0, *expect;
	bool prod_killed = false, cons_killed = false, prod_done = false, cons_done = false;
	int status;
	pid_t pid;

	snprintf(g_region, sizeof(g_region), "%s/rp-chan-stress-%d", dir, (int)getpid());
	snprintf(g_results, sizeof(g_results), "%s/rp-chan-stress-%d.res", dir, (int)getpid());
	signal(SIGALRM, watchdog);
	alarm(WATCHDOG_S);

	res = map_results(g_results, true);
	res->n = n;
	printf("chan_stress: %" PRIu64 " intents over %u keys, ring of %u slots, region %s\n", n,
	       NKEYS, SLOTS, g_region);
	fflush(stdout);

	t0 = now_ns();
	g_cons = spawn("consumer", 0);
	g_prod = spawn("producer", 0);
	while (!(prod_done && cons_done)) {
		if (!prod_killed &&
		    atomic_load_explicit(&res->prod_progress, memory_order_relaxed) >= n / 3) {
			prod_kill_at = atomic_load_explicit(&res->prod_progress, memory_order_relaxed);
			kill_midway(&g_prod, "producer");
			prod_killed = true;
			printf("chan_stress: killed the producer at intent %" PRIu64 ", restarting\n",
			       prod_kill_at);
			fflush(stdout);
			g_prod = spawn("producer", 1);
		}
		if (prod_killed && !cons_killed &&
		    atomic_load_explicit(&res->cons_progress, memory_order_relaxed) >= 2 * n / 3) {
			cons_kill_at = atomic_load_explicit(&res->cons_progress, memory_order_relaxed);
			CHECK(!atomic_load(&res->done), "consumer finished before the kill");
			kill_midway(&g_cons, "consumer");
			cons_killed = true;
			printf("chan_stress: killed the consumer at intent %" PRIu64 ", restarting\n",
			       cons_kill_at);
			fflush(stdout);
			g_cons = spawn("consumer", 1);
		}
		pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
			const char *who = pid == g_prod ? "producer" : "consumer";

			if (!ok || !prod_killed || !cons_killed) {
				fprintf(stderr, "chan_stress: FAIL: %s exited early (status 0x%x)\n",
					who, status);
				g_failures++;
				break;
			}
			if (pid == g_prod) {
				prod_done = true;
				g_prod = -1;
			} else {
				cons_done = true;
				g_cons = -1;
			}
			continue;
		}
		sleep_us(500);
	}
	t1 = now_ns();
	if (g_prod > 0)
		kill(g_prod, SIGKILL);
	if (g_cons > 0)
		kill(g_cons, SIGKILL);
	while (wait(NULL) > 0)
		;
	alarm(0);

	/* The kills happened in the middle of the run. */
	CHECK(prod_killed && prod_kill_at < n, "producer kill at %" PRIu64, prod_kill_at);
	CHECK(cons_killed && cons_kill_at < n, "consumer kill at %" PRIu64, cons_kill_at);
	CHECK(res->plife[1].started && res->plife[1].resumed_after >= prod_kill_at &&
	      res->plife[1].resumed_after < n,
	      "restarted producer resumed after %" PRIu64 " (killed at %" PRIu64 ")",
	      res->plife[1].resumed_after, prod_kill_at);
	CHECK(res->plife[1].epoch == 2, "producer epoch %u", res->plife[1].epoch);
	CHECK(atomic_load(&res->done), "the final marker never arrived");

	/* Per consumer lifetime: consecutive seqs from its attach point, ordered intents. */
	for (int i = 0; i < 2; i++) {
		struct life *l = &res->life[i];
		/* The killed consumer may have died between updating last_* and a count. */
		uint64_t slack = i == 0 ? 1 : 0;

		total += l->received;
		printf("chan_stress: consumer %d (epoch %u): attached at tail %" PRIu64
		       ", seqs %" PRIu64 "..%" PRIu64 ", %" PRIu64 " messages, intents %" PRIu64
		       "..%" PRIu64 ", %" PRIu64 " resyncs\n",
		       i, l->epoch, l->attach_tail, l->first_seq, l->last_seq, l->received,
		       l->first_intent, l->last_intent, l->resyncs);
		CHECK(l->started, "consumer %d never started", i);
		CHECK(l->first_seq == l->attach_tail + 1, "consumer %d: first seq %" PRIu64
		      ", attached at tail %" PRIu64, i, l->first_seq, l->attach_tail);
		CHECK(l->last_seq >= l->first_seq &&
		      l->received + slack >= l->last_seq - l->first_seq + 1 &&
		      l->received <= l->last_seq - l->first_seq + 1,
		      "consumer %d: %" PRIu64 " messages for seqs %" PRIu64 "..%" PRIu64, i,
		      l->received, l->first_seq, l->last_seq);
		CHECK(l->seq_errors == 0, "consumer %d: %" PRIu64 " sequence errors, first: %s", i,
		      l->seq_errors, l->first_error);
		CHECK(l->order_errors == 0, "consumer %d: %" PRIu64 " order errors, first: %s", i,
		      l->order_errors, l->first_error);
		CHECK(l->bad == 0, "consumer %d: %" PRIu64 " malformed slots, first: %s", i, l->bad,
		      l->first_error);
		CHECK(l->last_intent >= l->first_intent &&
		      l->intents + slack >= l->last_intent - l->first_intent + 1 &&
		      l->intents <= l->last_intent - l->first_intent + 1,
		      "consumer %d: %" PRIu64 " intents for %" PRIu64 "..%" PRIu64, i, l->intents,
		      l->first_intent, l->last_intent);
	}
	/* The first consumer saw the initial resync and the restarted producer's; the second
	 * was refilled because the producer noticed its new epoch. */
	CHECK(res->life[0].attach_tail == 0, "first consumer attached at %" PRIu64,
	      res->life[0].attach_tail);
	CHECK(res->life[0].resyncs >= 2, "first consumer saw %" PRIu64 " resyncs",
	      res->life[0].resyncs);
	CHECK(res->life[0].prod_epochs == 2, "first consumer saw %" PRIu64 " producer epochs",
	      res->life[0].prod_epochs);
	CHECK(res->life[1].resyncs >= 1, "restarted consumer was never resynchronised");
	CHECK(res->life[1].epoch == 2, "consumer epoch %u", res->life[1].epoch);
	/* Nothing published was skipped between the two consumers (at most the one slot the
	 * killed consumer had already copied out), nor left behind at the end. */
	CHECK(res->life[1].attach_tail == res->life[0].last_seq ||
	      res->life[1].attach_tail == res->life[0].last_seq + 1,
	      "second consumer attached at %" PRIu64 ", first stopped at %" PRIu64,
	      res->life[1].attach_tail, res->life[0].last_seq);
	CHECK(res->final_head == res->life[1].last_seq, "head %" PRIu64 ", last seq %" PRIu64,
	      res->final_head, res->life[1].last_seq);
	CHECK(res->life[1].last_intent == n, "last intent applied %" PRIu64,
	      res->life[1].last_intent);

	/* Nothing lost: the final table is the one intents 1..N produce. */
	expect = calloc(NKEYS, sizeof(*expect));
	if (!expect)
		die("parent", "out of memory");
	for (uint64_t i = 1; i <= n; i++)
		expect[key_of(i)] = i;
	{
		uint64_t diff = 0, first = NKEYS;

		for (uint64_t k = 0; k < NKEYS; k++)
			if (expect[k] != res->table[k] && diff++ == 0)
				first = k;
		CHECK(diff == 0, "%" PRIu64 " keys differ, first key %" PRIu64 ": %" PRIu64
		      " expected %" PRIu64, diff, first, first < NKEYS ? res->table[first] : 0,
		      first < NKEYS ? expect[first] : 0);
	}
	free(expect);

	printf("chan_stress: %" PRIu64 " messages in %.2f s across 2 kills: %.0f messages/s\n",
	       total, (double)(t1 - t0) / 1e9, (double)total * 1e9 / (double)(t1 - t0));
	munmap(res, sizeof(*res));
	unlink(g_region);
	unlink(g_results);
	if (g_failures) {
		fprintf(stderr, "chan_stress: %u check(s) failed\n", g_failures);
		return 1;
	}
	printf("chan_stress: PASS\n");
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n = N_DEFAULT;

	if (argc == 5 && !strcmp(argv[1], "producer"))
		return run_producer(argv[2], argv[3], atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "consumer"))
		return run_consumer(argv[2], argv[3], atoi(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "-n"))
		n = strtoull(argv[2], NULL, 10);
	else if (argc != 1) {
		fprintf(stderr, "usage: %s [-n intents]\n", argv[0]);
		return 2;
	}
	if (n < 3 * SLOTS) {
		fprintf(stderr, "chan_stress: need at least %u intents\n", 3 * SLOTS);
		return 2;
	}
	return run_parent(n);
}
