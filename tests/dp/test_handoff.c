/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * SA affinity across workers, with rampart-dp's real worker loop (dataplane/worker.c) on two
 * worker lcores and ring-backed ports whose queues the test feeds directly, as a NIC without
 * RSS would: everything of one direction arrives on one queue, or on both.
 *
 *   - packets of an SA owned by worker 1 that arrive at worker 0 are handed over through
 *     worker 1's ring and processed there: encrypted packets leave by worker 1's TX queue;
 *   - with packets arriving on both workers' queues at once, the SA still has one writer:
 *     its sequence numbers are 1..N, each used once;
 *   - the ESP packets fed back (to an inbound SA with the same keys, owned by worker 1,
 *     arriving at worker 0) decrypt to the very packets that went in;
 *   - counters: handed_off on worker 0, handoff_rx on worker 1.
 *
 * Two workers need three lcores: EAL maps lcores 1 and 2 to the same CPU when the machine
 * has two. Exits 77 when EAL cannot start here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "common/log.h"
#include "dataplane/dp.h"
#include "dataplane/neigh.h"
#include "dataplane/sad.h"

#define N_PKTS 200
#define RING_SZ 1024

static struct dp_app app;
/* [port][queue]: rings the test writes (rx) and reads (tx). */
static struct rte_ring *rxr[2][2], *txr[2][2];
static struct rte_mempool *pool;

static struct rte_mbuf *frame(uint32_t idx, uint32_t src_host)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p = m ? (uint8_t *)rte_pktmbuf_append(m, 14 + 20 + 8 + 32) : NULL;
	uint32_t sum = 0;

	if (!p)
		abort();

	memcpy(p, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x0e\x01\x08\x00", 14);
	p += 14;
	memset(p, 0, 20 + 8 + 32);
	p[0] = 0x45;
	p[3] = 20 + 8 + 32;
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, (uint8_t[]){ 198, 19, 0, (uint8_t)src_host }, 4);
	memcpy(p + 16, (uint8_t[]){ 198, 18, 0, 5 }, 4);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	p[10] = (uint8_t)(~sum >> 8);
	p[11] = (uint8_t)~sum;
	p[20] = 0x0f;
	p[21] = 0xa0;
	p[22] = 0x0f;
	p[23] = 0xa1;
	p[25] = 8 + 32;
	memcpy(p + 28, &idx, 4);
	return m;
}

static unsigned int drain(struct rte_ring *r, struct rte_mbuf **out, unsigned int max)
{
	unsigned int n = 0;

	for (int tries = 0; tries < 200 && n < max; tries++) {
		n += rte_ring_dequeue_burst(r, (void **)out + n, max - n, NULL);
		if (n < max)
			usleep(5000);
	}
	return n;
}

static void add_sa(uint32_t id, uint8_t dir, uint32_t spi, const char *local, const char *remote,
		   uint32_t paired)
{
	struct rp_msg_sa s;
	char why[128];

	memset(&s, 0, sizeof(s));
	s.sa_id = id;
	s.spi = htonl(spi);
	s.dir = dir;
	s.outer_af = 4;
	s.cipher = RP_CIPHER_AES_GCM_128;
	s.enc_key_len = 16;
	s.salt_len = 4;
	for (int i = 0; i < 16; i++)
		s.enc_key[i] = (uint8_t)(0x40 + i);
	memcpy(s.salt, "salt", 4);
	s.replay_window = 256;
	s.n_ts = 1;
	s.ts[0].af = 4;
	s.ts[0].plen = 16;
	s.ts[0].addr[0] = 198;
	s.ts[0].addr[1] = 19;
	s.paired_sa_id = paired;
	inet_pton(AF_INET, local, s.local);
	inet_pton(AF_INET, remote, s.remote);
	if (dp_sad_sa_add(app.sad, &s, 0, why, sizeof(why)) != 0) {
		print_error("SA %u: %s\n", id, why);
		fail();
	}
}

static void test_handoff(void **state)
{
	struct rte_mbuf *in[2 * N_PKTS], *out[2 * N_PKTS + 1], *back[2 * N_PKTS + 1];
	struct rp_msg_route rt;
	struct dp_sa *sa_out;
	bool seen[2 * N_PKTS + 1] = { false };
	unsigned int n, n0, dups = 0, bad = 0;
	char why[128];

	(void)state;
	/* A first SA takes worker 0; the CHILD_SA pair then goes to worker 1, together. */
	add_sa(100, RP_DIR_IN, 0x9999, "192.0.2.1", "198.51.100.9", 0);
	add_sa(1, RP_DIR_IN, 0x2002, "198.51.100.7", "192.0.2.1", 0);
	add_sa(2, RP_DIR_OUT, 0x2002, "192.0.2.1", "198.51.100.7", 1);
	assert_int_equal(dp_sad_find(app.sad, 100)->worker, 0);
	assert_int_equal(dp_sad_find(app.sad, 1)->worker, 1);
	sa_out = dp_sad_find(app.sad, 2);
	assert_int_equal(sa_out->worker, 1);
	memset(&rt, 0, sizeof(rt));
	rt.prefix.af = 4;
	rt.prefix.plen = 24;
	memcpy(rt.prefix.addr, (uint8_t[]){ 198, 18, 0, 0 }, 4);
	rt.sa_id = 2;
	assert_int_equal(dp_sad_route_add(app.sad, &rt, 0, why, sizeof(why)), 0);

	/* Inside -> client, all on worker 0's queue: handed to worker 1. */
	for (uint32_t i = 0; i < N_PKTS; i++)
		in[i] = frame(i, 10);
	assert_int_equal(rte_ring_enqueue_burst(rxr[1][0], (void **)in, N_PKTS, NULL), N_PKTS);
	n = drain(txr[0][1], out, N_PKTS);
	n0 = rte_ring_count(txr[0][0]);
	print_message("%u packets in on worker 0's queue: %u encrypted out of worker 1's queue, "
		      "%u of worker 0's\n", N_PKTS, n, n0);
	assert_int_equal(n, N_PKTS);
	assert_int_equal(n0, 0);
	assert_int_equal(dp_counter_read(&app.workers[0].ctr[1].handed_off), N_PKTS);

	/* Both queues at once: one writer all the same, sequence numbers 1..2N once each. */
	rte_pktmbuf_free_bulk(out, n);
	for (uint32_t i = 0; i < 2 * N_PKTS; i++)
		in[i] = frame(N_PKTS + i, 10);
	sa_out->esp.seq = 0;
	rte_ring_enqueue_burst(rxr[1][0], (void **)in, N_PKTS, NULL);
	rte_ring_enqueue_burst(rxr[1][1], (void **)in + N_PKTS, N_PKTS, NULL);
	n = drain(txr[0][1], out, 2 * N_PKTS);
	assert_int_equal(n, 2 * N_PKTS);
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(out[i], const uint8_t *);
		/* Ethernet 14 | IPv4 20 | SPI 4 | seq 4 */
		uint32_t seq = (uint32_t)p[38] << 24 | (uint32_t)p[39] << 16 |
			       (uint32_t)p[40] << 8 | p[41];

		if (seq == 0 || seq > 2 * N_PKTS)
			bad++;
		else if (seen[seq])
			dups++;
		else
			seen[seq] = true;
	}
	print_message("%u packets from both queues: sequence numbers out of 1..%u: %u, used twice: "
		      "%u\n", n, 2 * N_PKTS, bad, dups);
	assert_int_equal(bad, 0);
	assert_int_equal(dups, 0);

	/* Back in on worker 0's outside queue: handed over, decrypted by worker 1, unchanged.
	 * (Without the route first: their inner destination would hairpin them back.) */
	assert_int_equal(dp_sad_route_del(app.sad, &rt, why, sizeof(why)), 0);
	for (unsigned int i = 0; i < n; i++)
		in[i] = frame(N_PKTS + i, 10); /* what went in, for comparison */
	assert_int_equal(rte_ring_enqueue_burst(rxr[0][0], (void **)out, n, NULL), n);
	n = drain(txr[1][1], back, 2 * N_PKTS);
	for (unsigned int w = 0; w < 2 && n != 2 * N_PKTS; w++)
		for (unsigned int r = 0; r < DP_DROP_MAX; r++)
			for (unsigned int p = 0; p < 2; p++)
				if (app.workers[w].ctr[p].drops[r])
					print_message("worker %u port %u: %s %lu\n", w, p,
						      dp_drop_name(r),
						      (unsigned long)app.workers[w].ctr[p].drops[r]);
	assert_int_equal(n, 2 * N_PKTS);
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(back[i], const uint8_t *);
		uint32_t idx;
		const uint8_t *q;

		memcpy(&idx, p + 14 + 28, 4);
		if (idx < N_PKTS || idx >= 3 * N_PKTS) {
			bad++;
			continue;
		}
		q = rte_pktmbuf_mtod(in[idx - N_PKTS], const uint8_t *);
		bad += back[i]->pkt_len != in[idx - N_PKTS]->pkt_len ||
		       memcmp(p + 14, q + 14, in[idx - N_PKTS]->pkt_len - 14) != 0 ||
		       memcmp(p, "\x02\x00\x00\x00\x0b\x01", 6) != 0;
	}
	print_message("%u ESP packets fed to worker 0: %u decrypted by worker 1, %u differ\n", n, n,
		      bad);
	assert_int_equal(bad, 0);
	assert_int_equal(rte_ring_count(txr[1][0]), 0);
	assert_int_equal(dp_counter_read(&app.workers[0].ctr[0].handed_off), 2 * N_PKTS);
	assert_int_equal(dp_counter_read(&app.workers[1].handoff_rx), 3 * N_PKTS + N_PKTS);
	rte_pktmbuf_free_bulk(back, n);
	rte_pktmbuf_free_bulk(in, 2 * N_PKTS);

	/* An SA deleted while its packets wait in the ring: they are dropped (sa_gone), not
	 * processed with whatever SA takes the slot next. */
	{
		struct rte_mbuf *m = frame(7, 10);
		struct dp_handoff *h = RTE_MBUF_DYNFIELD(m, dp_handoff_off, struct dp_handoff *);
		uint64_t before = dp_counter_read(&app.workers[1].ctr[1].drops[DP_DROP_SA_GONE]);

		rte_pktmbuf_adj(m, 14);
		m->port = app.ports[1].port_id;
		h->slot = sa_out->slot;
		h->gen = sa_out->gen + 1000; /* a later SA in the same slot */
		h->kind = DP_HANDOFF_OUTBOUND;
		assert_int_equal(rte_ring_mp_enqueue(app.handoff[1], m), 0);
		for (int i = 0; i < 100 &&
		     dp_counter_read(&app.workers[1].ctr[1].drops[DP_DROP_SA_GONE]) == before; i++)
			usleep(5000);
		assert_int_equal(dp_counter_read(&app.workers[1].ctr[1].drops[DP_DROP_SA_GONE]),
				 before + 1);
	}
}

static int setup(void **state)
{
	struct dp_sad_conf sc = { .sa_max = 64, .route_max = 64, .fib_tbl8 = 64, .fib6_tbl8 = 64,
				  .socket = 0, .n_workers = 2, .rcu_reader = 2 };
	static const char *names[2] = { "hout", "hin" }; /* ports "net_ring_<name>" */
	size_t sz;

	(void)state;
	memset(&app, 0, sizeof(app));
	app.conf.main_lcore = 0;
	app.conf.n_workers = 2;
	app.conf.workers[0] = 1;
	app.conf.workers[1] = 2;
	app.conf.burst = 32;
	app.conf.idle_sleep_us = 20;
	app.conf.n_ports = 2;
	app.conf.lifetime_scan_ms = 1000;
	for (int p = 0; p < 2; p++) {
		struct dp_port_conf *pc = &app.conf.ports[p];
		char rn[32];

		snprintf(pc->name, sizeof(pc->name), "%s", p ? "inside" : "outside");
		pc->role = p ? DP_ROLE_INSIDE : DP_ROLE_OUTSIDE;
		snprintf(pc->dev_name, sizeof(pc->dev_name), "net_ring_%s", names[p]);
		snprintf(pc->device, sizeof(pc->device), "net_ring_%s", names[p]);
		pc->serves = -1;
		pc->exception = -1;
		pc->has_gateway_mac = true;
		memcpy(pc->gateway_mac, p ? "\x02\x00\x00\x00\x0b\x01" : "\x02\x00\x00\x00\x0a\x01", 6);
		for (int q = 0; q < 2; q++) {
			snprintf(rn, sizeof(rn), "rx%d%d", p, q);
			rxr[p][q] = rte_ring_create(rn, RING_SZ, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
			snprintf(rn, sizeof(rn), "tx%d%d", p, q);
			txr[p][q] = rte_ring_create(rn, RING_SZ, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!rxr[p][q] || !txr[p][q])
				return -1;
		}
		if (rte_eth_from_rings(names[p], rxr[p], 2, txr[p], 2, 0) < 0)
			return -1;
	}
	if (dp_ports_init(&app) < 0)
		return -1;
	pool = app.pools[0];
	sz = rte_rcu_qsbr_get_memsize(3);
	app.qs = rte_zmalloc("qs", sz, RTE_CACHE_LINE_SIZE);
	if (!app.qs || rte_rcu_qsbr_init(app.qs, 3) != 0 ||
	    rte_rcu_qsbr_thread_register(app.qs, 2) != 0)
		return -1;
	if (dp_sad_create(&sc, app.qs, &app.sad) < 0 ||
	    dp_neigh_create(&app.conf, 2, 0, &app.neigh) < 0)
		return -1;
	if (dp_workers_init(&app) < 0 || dp_workers_start(&app) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dp_workers_stop(&app);
	dp_workers_fini(&app);
	dp_sad_free(app.sad);
	dp_neigh_free(app.neigh);
	rte_free(app.qs);
	dp_ports_fini(&app);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handoff),
	};
	char prefix[64], rundir[PATH_MAX];
	char *argv[] = { "test_handoff", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
			 "--no-telemetry", "--lcores", "0@0,1@1,2@1", "--log-level", "error",
			 "--file-prefix", prefix, NULL };
	int rc;

	snprintf(prefix, sizeof(prefix), "rp-test-handoff-%d", (int)getpid());
	rp_log_init("test_handoff", RP_LOG_STDERR, RP_LOG_WARN);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("SKIP: needs 2 CPUs\n");
		return 77;
	}
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		printf("SKIP: DPDK EAL cannot start here (root? memory?)\n");
		return 77;
	}
	rc = cmocka_run_group_tests(tests, setup, teardown);
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(rundir);
	return rc;
}
