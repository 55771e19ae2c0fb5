/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file dp.h
 * rampart-dp's process-wide state, shared by the main lcore (main.c, ctl.c, port.c) and the
 * worker lcores (worker.c).
 *
 * Ownership: one struct dp_app lives in static storage in main.c for the life of the process.
 * The main lcore writes it while starting and stopping; while workers run they only read it,
 * except their own struct dp_worker, which only its worker writes (counters) and others only
 * read. The quit flag, written by the main lcore, is how workers learn to return.
 */
#ifndef RAMPART_DATAPLANE_DP_H
#define RAMPART_DATAPLANE_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include <intel-ipsec-mb.h>

#include "dataplane/dp_config.h"
#include "dataplane/drop.h"
#include "dataplane/sad.h"

/** One configured port, up once dp_ports_init() succeeded. */
struct dp_port {
	const struct dp_port_conf *conf; /**< into dp_app.conf */
	uint16_t port_id;                /**< DPDK ethdev port id */
	int socket;                      /**< NUMA socket of its queues and mbuf pool */
	uint16_t n_queues;               /**< RX and TX queues: one of each per worker */
	uint16_t n_rxd, n_txd;           /**< descriptors per queue */
	struct rte_ether_addr mac;
	bool configured;                 /**< rte_eth_dev_configure() done: must be closed */
	bool started;                    /**< rte_eth_dev_start() done: must be stopped */
	struct rte_eth_link link;        /**< last link state seen by the main lcore */
};

/** A port as a worker sees it. */
struct dp_wport {
	uint16_t port_id;
	uint8_t role;            /**< enum dp_port_role */
	int8_t exception;        /**< index of its exception port, -1 if none */
	int8_t serves;           /**< exception ports: index of the port served, else -1 */
	uint16_t mtu;            /**< the port's MTU (largest IP packet it takes) */
	struct rte_ether_addr mac;
};

/** Addresses of the concentrator itself on one port (its exception port's kernel
 *  addresses); replaced as a whole, the old one freed after a grace period. */
#define DP_LOCAL_MAX 16
struct dp_local {
	unsigned int n;
	struct {
		uint8_t af;
		uint8_t addr[16];
	} a[DP_LOCAL_MAX];
};

/** Packets waiting to be sent on one port by one worker. */
#define DP_TXQ_MAX (2 * DP_BURST_MAX)
struct dp_txq {
	uint16_t n;
	struct rte_mbuf *pkts[DP_TXQ_MAX];
};

struct dp_sad;
struct dp_frag;
struct dp_neigh;
struct rte_rcu_qsbr;
struct rte_ring;

/** One worker lcore: polls RX queue @c queue of every port. */
struct dp_worker {
	unsigned int lcore;
	unsigned int idx;                /**< worker index: RCU thread id, SA owner number */
	uint16_t queue;
	uint16_t n_ports;
	uint16_t port_ids[DP_MAX_PORTS];
	uint16_t burst;
	uint32_t idle_sleep_us;
	const bool *quit;               /**< &dp_app.quit, read with __atomic_load_n */
	/* Set up by dp_workers_init(), read-only afterwards. */
	struct dp_wport ports[DP_MAX_PORTS];
	int out_port, in_port;           /**< where encrypted / decrypted packets leave, or -1 */
	uint8_t port_index[RTE_MAX_ETHPORTS]; /**< DPDK port id -> port index (0xff: none) */
	IMB_MGR *mgr;                    /**< this lcore's intel-ipsec-mb manager */
	struct dp_sad_view sad;
	struct dp_neigh *neigh;
	struct rte_rcu_qsbr *qs;
	struct dp_local *const *local;   /**< &dp_app.local[0]: per port, RCU-protected */
	struct rte_ring *handoff_in;     /**< packets other workers pass to this one */
	struct rte_ring *const *handoff; /**< every worker's handoff_in, by worker index */
	uint16_t n_workers;
	struct dp_txq *txq;              /**< [n_ports], this worker's own */
	struct dp_frag *frag;            /**< reassembly table, ICMP rate limit: its own */
	uint32_t out_mtu;                /**< MTU of the outside port (SAs without tunnel_mtu) */
	/* Written by this worker only. */
	uint64_t polls;                  /**< poll rounds over all ports */
	uint64_t idle_polls;             /**< rounds that received nothing */
	uint64_t learn_lost;             /**< neighbours not queued: learning ring full */
	uint64_t handoff_rx;             /**< packets received from other workers */
	struct dp_port_counters ctr[DP_MAX_PORTS] __rte_cache_aligned;
} __rte_cache_aligned;

struct dp_ctl;

struct dp_app {
	struct dp_config conf;
	struct dp_port ports[DP_MAX_PORTS];
	unsigned int n_ports;
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES]; /**< mbuf pool per socket, NULL if unused */
	struct dp_worker workers[DP_MAX_WORKERS];
	unsigned int n_workers;
	bool quit;                     /**< set (atomically) by the main lcore: workers return */
	struct dp_ctl *ctl;            /**< control channel, NULL until attached */
	/* ESP fast path. */
	struct rte_rcu_qsbr *qs;       /**< workers 0..n-1, then the telemetry reader */
	struct dp_sad *sad;
	struct dp_neigh *neigh;
	struct rte_ring *handoff[DP_MAX_WORKERS];
	struct dp_local *local[DP_MAX_PORTS]; /**< per port, NULL = none known */
	char exc_ifname[DP_MAX_PORTS][32];    /**< exception ports: their kernel interface */
};

/** Offset of the hand-off metadata in the mbuf (dynamic field), set by dp_workers_init(). */
extern int dp_handoff_off;

/** What travels with a packet handed to another worker. */
struct dp_handoff {
	uint32_t slot;   /**< SA slot */
	uint32_t gen;    /**< SA generation: the slot may have been reused meanwhile */
	uint8_t kind;    /**< DP_HANDOFF_* */
};
enum { DP_HANDOFF_INBOUND = 1, DP_HANDOFF_OUTBOUND = 2 };

/* ---- port.c ------------------------------------------------------------------------------ */

/**
 * Find, configure and start every configured port: one RX and one TX queue per worker, mbuf
 * pools per NUMA socket, promiscuous mode. Logs each port (name, role, device, id, MAC, link).
 * @return 0, or -errno with the reason logged; what was set up stays recorded in @p app for
 *         dp_ports_fini().
 */
int dp_ports_init(struct dp_app *app);

/** Stop and close the ports dp_ports_init() set up, then free the mbuf pools. */
void dp_ports_fini(struct dp_app *app);

/** Re-read every port's link and log changes (main lcore, about once a second). */
void dp_ports_poll_links(struct dp_app *app);

struct rp_msg_port;

/**
 * Fill a PORT_INFO payload for port index @p idx: identity, link and rte_eth_stats counters.
 * @return 0, -ENOENT if there is no such port, or the -errno of rte_eth_stats_get().
 */
int dp_port_info(const struct dp_app *app, unsigned int idx, struct rp_msg_port *out);

/* ---- worker.c ---------------------------------------------------------------------------- */

/**
 * Prepare app->workers from the configuration and the ports (before launch): RCU
 * registration, intel-ipsec-mb managers, hand-off rings, TX buffers.
 * @return 0 or -errno (logged).
 */
int dp_workers_init(struct dp_app *app);

/** Free what dp_workers_init() made (after dp_workers_stop()). */
void dp_workers_fini(struct dp_app *app);

/**
 * Launch every worker on its lcore. @return 0, or -errno if an lcore could not be launched
 * (the workers already launched are running: stop them with dp_workers_stop()).
 */
int dp_workers_start(struct dp_app *app);

/** Tell the workers to return and wait for them. Safe if none was started. */
void dp_workers_stop(struct dp_app *app);

/* ---- drop.c ------------------------------------------------------------------------------ */

/**
 * Register the DPDK telemetry commands /rampart/drops and /rampart/workers, which read
 * @p app's counters (it must live until exit). @return 0 or -errno.
 */
int dp_drop_telemetry_register(const struct dp_app *app);

/**
 * Sum the counters of port index @p port (every port if @p port < 0) over all workers:
 * drops by reason into @p drops[DP_DROP_MAX], received packets into *rx (may be NULL).
 * Safe while workers run.
 */
void dp_drop_sum(const struct dp_app *app, int port, uint64_t drops[DP_DROP_MAX], uint64_t *rx);

/** Sum every counter of port index @p port (every port if < 0) over all workers. */
void dp_port_sum(const struct dp_app *app, int port, struct dp_port_counters *out);

/** Log the per-port drop and RX counters (at exit). */
void dp_drop_log_summary(const struct dp_app *app);

/* ---- exc.c ------------------------------------------------------------------------------- */

/**
 * Exception ports: give each the MAC address of the port it serves (so the kernel answers
 * ARP/ND for that port with the right address) and find its kernel interface.
 * Call after dp_ports_init(). @return 0 or -errno (logged).
 */
int dp_exc_init(struct dp_app *app);

/**
 * Re-read the kernel addresses of the exception interfaces into app->local (about once a
 * second): packets to these addresses arriving on the inside port go to the kernel.
 * Replaced sets are freed after a grace period. @return true if a set changed.
 */
bool dp_exc_poll_addrs(struct dp_app *app);

/** Free the local address sets (workers stopped). */
void dp_exc_fini(struct dp_app *app);

/* ---- telemetry.c ------------------------------------------------------------------------- */

/** Register /rampart/sa, /rampart/sa_summary and /rampart/neighbors. @return 0 or -errno. */
int dp_telemetry_register(struct dp_app *app);

/* ---- eal.c ------------------------------------------------------------------------------- */

/**
 * Route DPDK's log messages through rp_log (component "dpdk", levels mapped), so they have
 * Rampart's format and target. Call before rte_eal_init(). @return 0 or -errno.
 */
int dp_eal_log_redirect(void);

/**
 * Remove the hugepage files of file prefix @p prefix ("rampart-demo") from every hugetlbfs
 * mount. EAL keeps them after rte_eal_cleanup() (for secondary processes), which would hold
 * the pages until the next start. Call after rte_eal_cleanup(), and only if this process was
 * the primary (its EAL lock excluded any other primary of the same prefix).
 * @return the number of files removed, or -errno if the mount table cannot be read.
 */
int dp_eal_hugefiles_remove(const char *prefix);

#endif
