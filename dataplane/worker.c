/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Worker lcores: each polls its own RX queue on every port. This build has no packet path
 * yet, so every received packet is dropped as "unhandled"; the ESP and exception paths will
 * be stages of process_burst().
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "common/log.h"
#include "dataplane/dp.h"

/* Free @n packets for one reason: the only way a worker gets rid of a packet it will not
 * send, so that every drop is counted exactly once. */
static inline void drop_burst(struct dp_worker *w, unsigned int port, enum dp_drop_reason why,
			      struct rte_mbuf **pkts, uint16_t n)
{
	if (!n)
		return;
	dp_counter_add(&w->ctr[port].drops[why], n);
	rte_pktmbuf_free_bulk(pkts, n);
}

/*
 * Process one received burst of port index @port. Returns the number of packets forwarded.
 * Staged over the whole burst (classify into typed arrays, transform, transmit) once there
 * are paths; for now classification has one outcome.
 */
static uint16_t process_burst(struct dp_worker *w, unsigned int port, struct rte_mbuf **pkts,
				uint16_t n)
{
	drop_burst(w, port, DP_DROP_UNHANDLED, pkts, n);
	return 0;
}

static int worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct rte_mbuf *pkts[DP_BURST_MAX];

	RP_INFO("worker", "lcore %u (socket %u): polling RX queue %u of %u port%s, burst %u, %s",
		w->lcore, rte_socket_id(), w->queue, w->n_ports, w->n_ports == 1 ? "" : "s",
		w->burst, w->idle_sleep_us ? "sleeping when idle" : "busy polling");
	if (w->idle_sleep_us)
		RP_DEBUG("worker", "lcore %u sleeps %u us after an empty poll round", w->lcore,
			 w->idle_sleep_us);

	while (!__atomic_load_n(w->quit, __ATOMIC_RELAXED)) {
		uint32_t got = 0;

		for (unsigned int p = 0; p < w->n_ports; p++) {
			uint16_t n = rte_eth_rx_burst(w->port_ids[p], w->queue, pkts, w->burst);

			if (!n)
				continue;
			got += n;
			dp_counter_add(&w->ctr[p].rx_packets, n);
			process_burst(w, p, pkts, n);
		}
		dp_counter_add(&w->polls, 1);
		if (got)
			continue;
		dp_counter_add(&w->idle_polls, 1);
		/* An idle core on a shared machine should give the CPU back; production sets 0
		 * and keeps the core for itself. */
		if (w->idle_sleep_us)
			rte_delay_us_sleep(w->idle_sleep_us);
	}

	RP_INFO("worker", "lcore %u stopping after %" PRIu64 " poll rounds (%" PRIu64 " idle)",
		w->lcore, dp_counter_read(&w->polls), dp_counter_read(&w->idle_polls));
	return 0;
}

void dp_workers_init(struct dp_app *app)
{
	const struct dp_config *dc = &app->conf;

	app->n_workers = dc->n_workers;
	for (unsigned int i = 0; i < dc->n_workers; i++) {
		struct dp_worker *w = &app->workers[i];

		memset(w, 0, sizeof(*w));
		w->lcore = dc->workers[i];
		w->queue = (uint16_t)i;
		w->burst = (uint16_t)dc->burst;
		w->idle_sleep_us = dc->idle_sleep_us;
		w->quit = &app->quit;
		w->n_ports = (uint16_t)app->n_ports;
		for (unsigned int p = 0; p < app->n_ports; p++)
			w->port_ids[p] = app->ports[p].port_id;
	}
}

int dp_workers_start(struct dp_app *app)
{
	__atomic_store_n(&app->quit, false, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < app->n_workers; i++) {
		struct dp_worker *w = &app->workers[i];
		int rc = rte_eal_remote_launch(worker_main, w, w->lcore);

		if (rc < 0) {
			RP_ERR("worker", "cannot launch worker on lcore %u: %s", w->lcore,
			       strerror(-rc));
			return rc;
		}
	}
	RP_INFO("worker", "%u worker%s running", app->n_workers, app->n_workers == 1 ? "" : "s");
	return 0;
}

void dp_workers_stop(struct dp_app *app)
{
	__atomic_store_n(&app->quit, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
}
