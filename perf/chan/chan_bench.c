/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Control-channel benchmark: throughput of KV_SET messages from a producer process (role CP)
 * to a consumer process (role DP) for two ring sizes, and PING -> PONG round-trip latency.
 * It only measures and prints; perf/chan-bench runs it and records the figures.
 *
 * Usage: chan-bench [-n messages] [-r round_trips] [-d dir] [--json]
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/chan.h"
#include "common/msg.h"

struct tput {
	uint32_t slots;
	double msgs_per_s;
	double ns_per_msg;
};

struct lat {
	uint64_t p50, p99, p999, max;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "chan-bench: %s: %s\n", what, detail);
	exit(1);
}

/* Spin briefly (each process normally has a core), then let the other one run. */
static void backoff(unsigned int *spins)
{
	if (++*spins < 256) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		return;
	}
	*spins = 0;
	sched_yield();
}

static struct rp_chan *attach(const char *path, enum rp_chan_role role, uint32_t slots)
{
	struct rp_chan *ch;
	char err[256];

	if (rp_chan_open(path, role, slots, &ch, err, sizeof(err)))
		die("open", err);
	return ch;
}

/* Fork a child that attaches as DP, reports readiness on a pipe and runs fn. */
static pid_t spawn_dp(const char *path, uint32_t slots, int (*fn)(struct rp_chan *, uint64_t),
		      uint64_t arg)
{
	int pfd[2];
	pid_t pid;
	char c;

	if (pipe(pfd) < 0)
		die("pipe", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		struct rp_chan *ch;
		int rc;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(pfd[0]);
		ch = attach(path, RP_ROLE_DP, slots);
		if (write(pfd[1], "r", 1) != 1)
			_exit(1);
		rc = fn(ch, arg);
		rp_chan_close(ch);
		_exit(rc);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1)
		die("consumer", "did not start");
	close(pfd[0]);
	return pid;
}

static void reap(pid_t pid, const char *what)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die(what, "child failed");
}

/* Consumer of the throughput run: takes n KV_SETs and checks they come in order. */
static int consume_kv(struct rp_chan *ch, uint64_t n)
{
	unsigned int spins = 0;
	uint64_t got = 0;
	struct rp_msg m;
	char why[256];
	int rc;

	while (got < n) {
		rc = rp_chan_recv(ch, &m, why, sizeof(why));
		if (rc == 0) {
			backoff(&spins);
			continue;
		}
		if (rc < 0 || m.hdr.type != RP_MSG_KV_SET || m.u.kv.value != got + 1) {
			fprintf(stderr, "chan-bench: consumer: bad message %" PRIu64 ": %s\n",
				got + 1, rc < 0 ? why : "out of order");
			return 1;
		}
		got++;
		spins = 0;
	}
	return 0;
}

static struct tput run_tput(const char *dir, uint32_t slots, uint64_t n)
{
	struct tput t = { .slots = slots };
	unsigned int spins = 0;
	struct rp_chan *ch;
	char path[256];
	uint64_t t0, t1;
	pid_t pid;
	int rc;

	snprintf(path, sizeof(path), "%s/rp-chan-bench-%d-%u", dir, (int)getpid(), slots);
	ch = attach(path, RP_ROLE_CP, slots);
	pid = spawn_dp(path, slots, consume_kv, n);

	t0 = now_ns();
	for (uint64_t i = 1; i <= n; i++) {
		struct rp_msg_kv kv = { i & 0xffff, i, rp_msg_kv_check(i & 0xffff, i) };

		while ((rc = rp_chan_send(ch, RP_MSG_KV_SET, &kv, sizeof(kv), NULL, NULL)) == -EAGAIN)
			backoff(&spins);
		if (rc)
			die("send", strerror(-rc));
		spins = 0;
	}
	/* Done when the consumer has taken the last one. */
	while (rp_chan_space(ch) != slots)
		backoff(&spins);
	t1 = now_ns();

	reap(pid, "consumer");
	rp_chan_close(ch);
	rp_chan_unlink(path);
	t.ns_per_msg = (double)(t1 - t0) / (double)n;
	t.msgs_per_s = 1e9 / t.ns_per_msg;
	return t;
}

/* Echo every PING back as a PONG, n times. */
static int echo_pings(struct rp_chan *ch, uint64_t n)
{
	unsigned int spins = 0;
	struct rp_msg m;
	char why[256];
	int rc;

	for (uint64_t i = 0; i < n;) {
		struct rp_msg_hdr h = { 0 };

		rc = rp_chan_recv(ch, &m, why, sizeof(why));
		if (rc == 0) {
			backoff(&spins);
			continue;
		}
		if (rc < 0 || m.hdr.type != RP_MSG_PING)
			return 1;
		h.ref = m.hdr.seq;
		while ((rc = rp_chan_send(ch, RP_MSG_PONG, &m.u.ping, sizeof(m.u.ping), &h, NULL)) ==
		       -EAGAIN)
			backoff(&spins);
		if (rc)
			return 1;
		spins = 0;
		i++;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct lat run_pingpong(const char *dir, uint64_t rounds)
{
	struct lat l;
	unsigned int spins = 0;
	uint64_t *rtt, seq;
	struct rp_chan *ch;
	struct rp_msg m;
	char path[256], why[256];
	pid_t pid;
	int rc;

	rtt = calloc(rounds, sizeof(*rtt));
	if (!rtt)
		die("ping-pong", "out of memory");
	snprintf(path, sizeof(path), "%s/rp-chan-bench-%d-pp", dir, (int)getpid());
	ch = attach(path, RP_ROLE_CP, RP_CHAN_DEFAULT_SLOTS);
	pid = spawn_dp(path, RP_CHAN_DEFAULT_SLOTS, echo_pings, rounds);

	for (uint64_t i = 0; i < rounds; i++) {
		struct rp_msg_ping ping = { .sent_ns = now_ns(), .pid = (uint32_t)getpid() };

		rc = rp_chan_send(ch, RP_MSG_PING, &ping, sizeof(ping), NULL, &seq);
		if (rc)
			die("ping", strerror(-rc));
		while ((rc = rp_chan_recv(ch, &m, why, sizeof(why))) == 0)
			backoff(&spins);
		spins = 0;
		if (rc < 0 || m.hdr.type != RP_MSG_PONG || m.hdr.ref != seq)
			die("pong", rc < 0 ? why : "unexpected answer");
		rtt[i] = now_ns() - m.u.ping.sent_ns;
	}
	reap(pid, "echo");
	rp_chan_close(ch);
	rp_chan_unlink(path);

	qsort(rtt, rounds, sizeof(*rtt), cmp_u64);
	l.p50 = rtt[rounds / 2];
	l.p99 = rtt[rounds * 99 / 100];
	l.p999 = rtt[rounds * 999 / 1000];
	l.max = rtt[rounds - 1];
	free(rtt);
	return l;
}

int main(int argc, char **argv)
{
	const uint32_t sizes[] = { 256, 4096 };
	uint64_t n = 10000000, rounds = 200000;
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	struct tput t[2];
	struct lat l;
	bool json = false;
	int opt;

	static const char usage[] =
		"usage: chan-bench [-n messages] [-r round_trips] [-d dir] [--json]\n";
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json")) {
			json = true;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
			argc--;
			i--;
		}
	while ((opt = getopt(argc, argv, "n:r:d:h")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			rounds = strtoull(optarg, NULL, 10);
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			fputs(usage, opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (n == 0 || rounds == 0) {
		fputs(usage, stderr);
		return 2;
	}

	for (int i = 0; i < 2; i++) {
		t[i] = run_tput(dir, sizes[i], n);
		printf("chan-bench: ring %4u slots: %" PRIu64 " KV_SET  %6.2f M msg/s  %6.1f ns/msg\n",
		       t[i].slots, n, t[i].msgs_per_s / 1e6, t[i].ns_per_msg);
		fflush(stdout);
	}
	l = run_pingpong(dir, rounds);
	printf("chan-bench: PING->PONG round trip (%" PRIu64 "): p50 %" PRIu64 " ns  p99 %" PRIu64
	       " ns  p99.9 %" PRIu64 " ns  max %" PRIu64 " ns\n",
	       rounds, l.p50, l.p99, l.p999, l.max);
	if (json)
		printf("{\"bench\":\"chan\",\"messages\":%" PRIu64 ",\"slot_bytes\":%u,"
		       "\"ring256_msgs_per_s\":%.0f,\"ring256_ns_per_msg\":%.2f,"
		       "\"ring4096_msgs_per_s\":%.0f,\"ring4096_ns_per_msg\":%.2f,"
		       "\"round_trips\":%" PRIu64 ",\"rtt_p50_ns\":%" PRIu64 ",\"rtt_p99_ns\":%" PRIu64
		       ",\"rtt_p999_ns\":%" PRIu64 ",\"rtt_max_ns\":%" PRIu64 "}\n",
		       n, RP_MSG_SIZE, t[0].msgs_per_s, t[0].ns_per_msg, t[1].msgs_per_s,
		       t[1].ns_per_msg, rounds, l.p50, l.p99, l.p999, l.max);
	return 0;
}
