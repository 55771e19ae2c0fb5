/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * IKE_SA_INIT handling rate of our responder (controlplane/ike/ike_sa.c) with its
 * Diffie-Hellman inline on the event loop versus on 1..T worker threads (`ike.crypto_threads`,
 * controlplane/util/workpool.h), in one process: no sockets, no kernel, only the responder.
 *
 *   init_bench [--n N] [--window W] [--threads 0,1,2] [--groups 31,19,14] [--runs R]
 *              [--json FILE]
 *
 * N requests (distinct SPIs and source ports, made with the test initiator, key pairs
 * included, before the clock starts) go into ike_resp_input() with at most W unanswered at
 * once; this thread plays the event loop (poll on the pool's eventfd, wp_run_done()) until
 * every one is answered. Per run: answers per second (wall time, first request to last
 * answer), the event loop's own CPU time per request (CLOCK_THREAD_CPUTIME_ID: what a
 * request costs the loop, i.e. how long it cannot serve anything else), and the process CPU
 * per request. After the clock stops, every answer is checked by the initiator (keys
 * derived). The figure of a cell is the median of its runs. Prints a table, and JSON with
 * --json. Exit 1 if an answer is missing or wrong; figures are never judged.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "controlplane/ike/ike_sa.h"
#include "controlplane/util/workpool.h"
#include "initiator.h"

#define MAX_T 8
#define MAX_G 8
#define RESP_CAP 1200

struct bench {
	unsigned n, window;
	uint16_t group;
	struct ini *in;
	uint8_t **req;
	size_t *req_len;
	uint8_t *resp;                 /* n x RESP_CAP */
	size_t *resp_len;
	unsigned answered, bad;
};

static const struct ike_addr local = { 4, { 192, 0, 2, 1 }, 500 };

static uint16_t port_of(unsigned i)
{
	return (uint16_t)(1024 + i % 60000);
}

static void on_send(void *arg, const uint8_t *buf, size_t len, const struct ike_addr *from,
		    const struct ike_addr *to)
{
	struct bench *b = arg;
	unsigned i = (unsigned)(to->port - 1024);

	(void)from;
	if (i >= b->n || len > RESP_CAP || b->resp_len[i]) {
		b->bad++;
		return;
	}
	memcpy(b->resp + (size_t)i * RESP_CAP, buf, len);
	b->resp_len[i] = len;
	b->answered++;
}

static double now_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int prepare(struct bench *b)
{
	uint16_t dh[] = { b->group, 0 };
	struct ike_sa_pl sa;
	uint8_t buf[2048];

	b->in = calloc(b->n, sizeof(*b->in));
	b->req = calloc(b->n, sizeof(*b->req));
	b->req_len = calloc(b->n, sizeof(*b->req_len));
	b->resp = malloc((size_t)b->n * RESP_CAP);
	b->resp_len = calloc(b->n, sizeof(*b->resp_len));
	if (!b->in || !b->req || !b->req_len || !b->resp || !b->resp_len)
		return -ENOMEM;
	ini_proposal(&sa, IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256, 0, dh);
	for (unsigned i = 0; i < b->n; i++) {
		ini_init(&b->in[i], 0x1000 + i, b->group);
		b->req_len[i] = ini_build_init(&b->in[i], &sa, NULL, 0, buf, sizeof(buf));
		b->req[i] = malloc(b->req_len[i]);
		if (!b->req_len[i] || !b->req[i])
			return -ENOMEM;
		memcpy(b->req[i], buf, b->req_len[i]);
	}
	return 0;
}

static void release(struct bench *b)
{
	for (unsigned i = 0; b->in && i < b->n; i++)
		ini_free(&b->in[i]);
	for (unsigned i = 0; b->req && i < b->n; i++)
		free(b->req[i]);
	free(b->in);
	free(b->req);
	free(b->req_len);
	free(b->resp);
	free(b->resp_len);
}

struct result {
	double rate, loop_us, cpu_us, wall_s;
	unsigned answered, busy;
};

static int run_once(struct bench *b, unsigned threads, struct result *res)
{
	struct ike_resp_cfg cfg = {
		.encr = { IKE_ENCR_AES_GCM_16 }, .encr_bits = { 128 },
		.prf = { IKE_PRF_HMAC_SHA2_256 }, .integ = { IKE_INTEG_HMAC_SHA2_256_128 },
		.dh = { b->group },
		.cookie_threshold = 1000000, .max_half_open = 1000000,
		.max_half_open_per_peer = 1000000,
	};
	struct ike_resp *r = NULL;
	struct workpool *wp = NULL;
	struct ike_resp_stats st;
	struct ike_msg *m = malloc(sizeof(*m));
	double t0, l0, c0;
	unsigned fed = 0;
	int rc;

	memset(b->resp_len, 0, b->n * sizeof(*b->resp_len));
	b->answered = b->bad = 0;
	if (!m)
		return -ENOMEM;
	rc = ike_resp_create(&cfg, NULL, on_send, b, &r);
	if (!rc && threads) {
		rc = wp_create(threads, b->window, &wp);
		if (!rc)
			ike_resp_set_workpool(r, wp);
	}
	if (rc)
		goto out;
	t0 = now_s(CLOCK_MONOTONIC);
	l0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	while (b->answered + b->bad < b->n) {
		while (fed < b->n && fed - b->answered < b->window) {
			struct ike_addr peer = { 4, { 192, 0, 2, 2 }, port_of(fed) };

			ike_resp_input(r, b->req[fed], b->req_len[fed], &peer, &local);
			fed++;
		}
		if (wp) {
			struct pollfd p = { .fd = wp_fd(wp), .events = POLLIN };

			if (poll(&p, 1, 1000) < 0 && errno != EINTR) {
				rc = -errno;
				goto out;
			}
			wp_run_done(wp);
		}
		ike_resp_get_stats(r, &st);
		if (st.dropped) /* a refused or failed request: it would never be answered */
			break;
	}
	res->wall_s = now_s(CLOCK_MONOTONIC) - t0;
	res->loop_us = (now_s(CLOCK_THREAD_CPUTIME_ID) - l0) * 1e6 / b->n;
	res->cpu_us = (now_s(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e6 / b->n;
	res->rate = b->n / res->wall_s;
	ike_resp_get_stats(r, &st);
	res->answered = b->answered;
	res->busy = (unsigned)st.crypto_busy;
	/* correctness, off the clock: every answer is a valid IKE_SA_INIT response */
	for (unsigned i = 0; i < b->n; i++)
		if (!b->resp_len[i] ||
		    ini_process_init(&b->in[i], b->resp + (size_t)i * RESP_CAP, b->resp_len[i], m))
			b->bad++;
	rc = b->bad ? -EPROTO : 0;
out:
	ike_resp_destroy(r);
	wp_destroy(wp);
	free(m);
	return rc;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static unsigned parse_list(const char *s, unsigned *out, unsigned max)
{
	unsigned n = 0;
	char *end;

	while (*s && n < max) {
		out[n++] = (unsigned)strtoul(s, &end, 10);
		if (end == s)
			return 0;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return 0;
	}
	return n;
}

static const char *group_name(unsigned g)
{
	switch (g) {
	case IKE_DH_CURVE25519: return "curve25519";
	case IKE_DH_ECP256: return "ecp256";
	case IKE_DH_ECP384: return "ecp384";
	case IKE_DH_MODP2048: return "modp2048";
	case IKE_DH_MODP3072: return "modp3072";
	default: return "?";
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "n", required_argument, NULL, 'n' },
		{ "window", required_argument, NULL, 'w' },
		{ "threads", required_argument, NULL, 't' },
		{ "groups", required_argument, NULL, 'g' },
		{ "runs", required_argument, NULL, 'r' },
		{ "json", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned n = 2000, window = 64, runs = 3, threads[MAX_T] = { 0, 1, 2 }, nt = 3;
	unsigned groups[MAX_G] = { IKE_DH_CURVE25519, IKE_DH_ECP256, IKE_DH_MODP2048 }, ng = 3;
	const char *json = NULL;
	FILE *jf = NULL;
	int opt, ret = 0;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'n': n = (unsigned)atoi(optarg); break;
		case 'w': window = (unsigned)atoi(optarg); break;
		case 'r': runs = (unsigned)atoi(optarg); break;
		case 't': nt = parse_list(optarg, threads, MAX_T); break;
		case 'g': ng = parse_list(optarg, groups, MAX_G); break;
		case 'j': json = optarg; break;
		default:
			fprintf(stderr, "usage: init_bench [--n N] [--window W] [--threads 0,1,2] "
				"[--groups 31,19,14] [--runs R] [--json FILE]\n");
			return 2;
		}
	}
	if (!n || n > 60000 || !window || !runs || runs > 15 || !nt || !ng) {
		fprintf(stderr, "init_bench: bad arguments (n 1..60000, runs 1..15)\n");
		return 2;
	}
	for (unsigned t = 0; t < nt; t++)
		if (threads[t] > WP_MAX_THREADS) {
			fprintf(stderr, "init_bench: at most %u threads\n", WP_MAX_THREADS);
			return 2;
		}
	rp_log_init("init_bench", RP_LOG_STDERR, RP_LOG_ERR); /* no per-SA lines */
	if (json && !(jf = fopen(json, "w"))) {
		perror(json);
		return 1;
	}
	if (jf)
		fprintf(jf, "{\"n\": %u, \"window\": %u, \"runs\": %u, \"cpus\": %ld, \"cells\": [",
			n, window, runs, sysconf(_SC_NPROCESSORS_ONLN));
	printf("IKE_SA_INIT, in-process responder: %u requests, window %u, median of %u runs, "
	       "%ld CPUs\n", n, window, runs, sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-11s %-8s %12s %9s %14s %14s\n", "group", "threads", "answers/s", "speedup",
	       "loop us/req", "cpu us/req");
	for (unsigned g = 0; g < ng; g++) {
		struct bench b = { .n = n, .window = window, .group = (uint16_t)groups[g] };
		double base = 0;

		if (prepare(&b)) {
			fprintf(stderr, "init_bench: cannot prepare %u requests of group %u\n", n,
				groups[g]);
			release(&b);
			ret = 1;
			break;
		}
		for (unsigned t = 0; t < nt; t++) {
			double rate[15], loop[15], cpu[15];
			struct result res = { 0 };
			int rc = 0;

			for (unsigned k = 0; k < runs && !rc; k++) {
				rc = run_once(&b, threads[t], &res);
				rate[k] = res.rate;
				loop[k] = res.loop_us;
				cpu[k] = res.cpu_us;
			}
			if (rc) {
				fprintf(stderr, "init_bench: %s, %u threads: %s (%u answered, %u bad)\n",
					group_name(groups[g]), threads[t], strerror(-rc), b.answered,
					b.bad);
				ret = 1;
				continue;
			}
			double mr = median(rate, runs), ml = median(loop, runs), mc = median(cpu, runs);

			if (t == 0)
				base = mr;
			printf("%-11s %-8u %12.0f %8.2fx %14.1f %14.1f\n", group_name(groups[g]),
			       threads[t], mr, base ? mr / base : 0, ml, mc);
			if (jf)
				fprintf(jf, "%s\n  {\"group\": \"%s\", \"threads\": %u, "
					"\"answers_per_s\": %.1f, \"loop_us_per_req\": %.2f, "
					"\"cpu_us_per_req\": %.2f}", g || t ? "," : "",
					group_name(groups[g]), threads[t], mr, ml, mc);
		}
		release(&b);
	}
	if (jf) {
		fprintf(jf, "\n]}\n");
		fclose(jf);
	}
	return ret;
}
