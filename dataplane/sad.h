/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file sad.h
 * The SA database: every installed SA, the inbound table (SPI + local address -> SA, an
 * rte_hash) and the outbound tables (inner destination -> SA by longest prefix, rte_fib for
 * IPv4, rte_lpm6 for IPv6: DPDK 22.11's rte_fib6 trie spends about 13 8-bit groups on every
 * /128 route, 13 KB per client, where rte_lpm6 shares the path of neighbouring addresses).
 *
 * Writers and readers. The main lcore is the only writer (control commands, manual SAs,
 * lifetime scan, reclamation). Workers only read, without locks: the SA of a slot is
 * published with a release store, the inbound hash is lock-free for readers
 * (RW_CONCURRENCY_LF), and nothing a worker may still hold is freed or reused before an RCU
 * grace period (rte_rcu_qsbr; workers report a quiescent state after every poll round and go
 * offline while they sleep):
 *   - a deleted SA's memory and slot number: dp_sad_reclaim() frees/reuses them later;
 *   - a deleted inbound key's hash slot: freed later with rte_hash_free_key_with_position();
 *   - FIB 8-bit groups: rte_fib and rte_lpm6 of DPDK 22.11 recycle them at once on a write
 *     (no RCU support in either), so two FIB writes are always separated by a grace period
 *     (the second waits only if the first's period has not ended yet; see sad.c).
 * A packet carried between workers (hand-off ring) crosses quiescent states, so it carries
 * the slot number and the SA's generation, checked again by the receiving worker.
 *
 * Indirection: tables map to a slot number (the FIBs' next hop; 0 = no route), the slot
 * array to the SA. Replacing an SA (SA_UPDATE of its endpoints) swaps the slot's pointer,
 * so routes never need rewriting.
 *
 * Ownership: dp_sad_create() returns a handle freed by dp_sad_free() (after the workers
 * stopped). SAs are owned by the database; pointers returned to workers are valid until
 * their next quiescent state, pointers returned to the main lcore until its next write.
 */
#ifndef RAMPART_DATAPLANE_SAD_H
#define RAMPART_DATAPLANE_SAD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_fib.h>
#include <rte_hash.h>
#include <rte_lpm6.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "common/msg.h"
#include "dataplane/esp/sa.h"

/** One installed SA: what the database keeps about it, then the ESP engine's runtime SA. */
struct dp_sa {
	/* ---- main lcore (and telemetry under RCU) ---- */
	uint32_t sa_id;
	uint32_t slot;
	uint32_t paired_sa_id;
	uint8_t outer_af;
	uint8_t manual;          /**< from the configuration: not subject to resync, not deletable */
	uint8_t stale;           /**< resync in progress and not re-sent yet */
	uint8_t soft_sent;       /**< LIFETIME soft reported */
	uint8_t hard_sent;       /**< LIFETIME hard reported */
	uint8_t pad1[3];
	uint16_t natt_sport, natt_dport;
	uint8_t local[16], remote[16];
	uint64_t soft_bytes, soft_packets;   /**< 0 = none */
	uint64_t hard_bytes, hard_packets;   /**< 0 = none (the engine holds UINT64_MAX) */
	uint32_t route_head;     /**< first route of this (outbound) SA, 0 = none */
	uint32_t n_routes;
	/* ---- read by workers, on the line just before esp's line 0 (one page, one TLB
	 * entry for the lines a packet touches first; see dp_sa_prefetch_owner()) ---- */
	uint32_t gen;            /**< generation: a hand-off checks it is still this SA */
	uint16_t worker;         /**< index of the worker that owns (processes) this SA */
	uint8_t dir;             /**< enum rp_dir */
	uint8_t pad0;
	/** The ESP engine's runtime SA (workers hand &sa->esp to the engine), cache-line
	 * aligned, right after the lines above. */
	struct esp_sa esp;
} __rte_cache_aligned;

/** Inbound lookup key: what identifies an inbound SA (RFC 4301 section 4.1). */
struct dp_sad_in_key {
	uint32_t spi;        /**< network byte order */
	uint8_t af;          /**< 4 or 6 */
	uint8_t pad[3];      /**< zero */
	uint8_t addr[16];    /**< local (destination) address; IPv4 in the first 4, rest zero */
};

struct dp_sad_conf {
	uint32_t sa_max;         /**< SAs of both directions */
	uint32_t route_max;      /**< routes, IPv4 + IPv6 */
	uint32_t fib_tbl8;       /**< IPv4 DIR24-8 groups */
	uint32_t fib6_tbl8;      /**< IPv6 LPM groups */
	int socket;              /**< NUMA socket of the tables */
	unsigned int n_workers;  /**< owners are assigned among these */
	unsigned int rcu_reader; /**< RCU thread id of the telemetry reader (n_workers) */
};

struct dp_sad_counts {
	uint32_t sas[2];          /**< live SAs by direction */
	uint32_t routes4, routes6;
	uint32_t reclaim_pending; /**< objects waiting for a grace period */
	uint64_t added, deleted, updated, refused, replaced;
	uint64_t fib_waits;       /**< FIB writes that had to wait for a grace period */
};

struct dp_sad;

/**
 * Create the tables for @p conf. @p qs is the RCU variable the workers report to (with
 * conf->n_workers + 1 threads: the workers, then the telemetry reader).
 * @return 0 and *out, or -errno with the reason logged (-ENOMEM: say which table and how
 *         much memory it wanted).
 */
int dp_sad_create(const struct dp_sad_conf *conf, struct rte_rcu_qsbr *qs, struct dp_sad **out);

/** Free everything. Workers must not run. NULL is allowed. */
void dp_sad_free(struct dp_sad *sad);

/** Estimated bytes the tables take (without the SAs themselves), for sizing messages. */
uint64_t dp_sad_table_bytes(const struct dp_sad_conf *conf);

/* ---- control operations (main lcore). Each returns 0 or -errno with @p why filled ---- */

/** Options of dp_sad_sa_add(). */
enum {
	DP_SAD_MANUAL = 1u << 0, /**< from the configuration */
	DP_SAD_RESYNC = 1u << 1, /**< part of a resync: an existing sa_id is refreshed */
};

/**
 * Install an SA. When this returns 0 the SA is visible to every worker lookup that starts
 * afterwards (rampartd may answer IKE_AUTH).
 * @return 0; -EEXIST duplicate sa_id (outside a resync); -EADDRINUSE inbound SPI already
 *         used for the same local address; -ENOSPC table full; -EINVAL the ESP engine
 *         refused the parameters; -ENOMEM.
 */
int dp_sad_sa_add(struct dp_sad *sad, const struct rp_msg_sa *m, unsigned int opts, char *why,
		  size_t whylen);

/**
 * Change an installed SA in place: lifetimes and tunnel MTU; for an outbound SA also its
 * outer endpoints (addresses, NAT-T ports: a NAT mapping change or MOBIKE), which swaps in
 * a new runtime SA whose sequence numbers continue past the old one's with a margin.
 * Algorithms, keys, SPI, direction, ESN, replay window and selectors cannot change (a rekey
 * is a new SA). @return 0, -ENOENT, -EINVAL (what cannot change), -EPERM (manual SA).
 */
int dp_sad_sa_update(struct dp_sad *sad, const struct rp_msg_sa *m, char *why, size_t whylen);

/** Delete an SA and the routes through it. @return 0, -ENOENT, -EPERM (manual SA). */
int dp_sad_sa_del(struct dp_sad *sad, uint32_t sa_id, char *why, size_t whylen);

/**
 * Route @p r->prefix through outbound SA @p r->sa_id. An existing route of the same prefix
 * is switched to the new SA atomically (make-before-break rekey).
 * @return 0; -ENOENT unknown SA; -EINVAL inbound SA; -ENOSPC route table or FIB groups full.
 */
int dp_sad_route_add(struct dp_sad *sad, const struct rp_msg_route *r, unsigned int opts,
		     char *why, size_t whylen);

/** Remove a route. @return 0, or -ENOENT (no such route, or it goes through another SA). */
int dp_sad_route_del(struct dp_sad *sad, const struct rp_msg_route *r, char *why, size_t whylen);

/** RESYNC_BEGIN: mark every SA and route not from the configuration stale. */
void dp_sad_resync_begin(struct dp_sad *sad);

/** RESYNC_END: delete what is still stale. @return SAs deleted; *routes gets routes deleted. */
unsigned int dp_sad_resync_end(struct dp_sad *sad, unsigned int *routes);

/** Delete every SA and route (manual ones too). */
void dp_sad_flush(struct dp_sad *sad);

/**
 * Free what waited for a grace period and has had it. With @p wait, wait for all of it.
 * @return objects freed.
 */
unsigned int dp_sad_reclaim(struct dp_sad *sad, bool wait);

/* ---- reading (main lcore, or a reader inside dp_sad_read_lock()) ---- */

/** The SA with handle @p sa_id, or NULL (main lcore only). */
struct dp_sa *dp_sad_find(const struct dp_sad *sad, uint32_t sa_id);

/** The next SA at or after slot *pos (advanced past it), or NULL at the end. */
struct dp_sa *dp_sad_next(const struct dp_sad *sad, uint32_t *pos);

/** Slots (sa_max + 1). */
uint32_t dp_sad_slots(const struct dp_sad *sad);

void dp_sad_counts(const struct dp_sad *sad, struct dp_sad_counts *out);

/** Fill an SA_INFO payload. */
void dp_sad_sa_stats(const struct dp_sa *sa, struct rp_msg_sa_stats *out);

/** Drops of an SA, all reasons. */
uint64_t dp_sa_drops(const struct dp_sa *sa);

/**
 * For threads other than the main lcore and the workers (telemetry): hold this around any
 * read of SAs; they are not freed meanwhile. One such reader at a time (serialised here).
 */
void dp_sad_read_lock(struct dp_sad *sad);
void dp_sad_read_unlock(struct dp_sad *sad);

/** Callback of dp_sad_lifetime_scan(): report @p ev; false = cannot now (retry later). */
typedef bool (*dp_sad_lifetime_fn)(void *arg, const struct rp_msg_lifetime *ev);

/**
 * Check up to @p budget slots (continuing where the last call stopped) against their soft
 * and hard limits; each limit crossed is reported once. @return slots checked.
 */
unsigned int dp_sad_lifetime_scan(struct dp_sad *sad, unsigned int budget, dp_sad_lifetime_fn fn,
				  void *arg);

/* ---- workers ---------------------------------------------------------------------------- */

/** The tables workers read; stable for the life of the database. */
struct dp_sad_view {
	struct dp_sa **slots;
	uint32_t n_slots;
	struct rte_hash *in_hash;
	struct rte_fib *fib4;
	struct rte_lpm6 *lpm6;   /**< next hop = slot; a miss is "no route" */
};

void dp_sad_view(const struct dp_sad *sad, struct dp_sad_view *v);

/** Start loading the line of @p sa a worker reads to dispatch a packet (gen, worker, dir). */
static inline void dp_sa_prefetch_owner(const struct dp_sa *sa)
{
	rte_prefetch0(&sa->gen);
}

/** The SA in @p slot (NULL if none), for a worker inside its read-side section. */
static inline struct dp_sa *dp_sad_slot(const struct dp_sad_view *v, uint64_t slot)
{
	if (unlikely(slot == 0 || slot >= v->n_slots))
		return NULL;
	return __atomic_load_n(&v->slots[slot], __ATOMIC_ACQUIRE);
}

#endif
