/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file pool.h
 * Local address pools for remote-access clients, independent of the protocol that asks
 * (IKEv2 config mode now; IKEv1 mode-config and AnyConnect later).
 *
 * A pool is an IPv4 range [first, last] or an IPv6 prefix from which single /128 addresses
 * are handed out (prefix + 1, + 2, ...; at most POOL_MAX_ADDRS of them). A lease is never
 * handed out twice while held; pool_release() returns it. Exhaustion is -ENOSPC, which IKE
 * reports as INTERNAL_ADDRESS_FAILURE.
 *
 * Ownership: pool_create() copies the configuration; pool_destroy() frees the pool (leases
 * still held become invalid). Single-threaded (event loop).
 */
#ifndef RAMPART_POOL_POOL_H
#define RAMPART_POOL_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POOL_MAX_ADDRS (1u << 20)
#define POOL_NAME_MAX 32

struct pool;

struct pool_cfg {
	char name[POOL_NAME_MAX];
	uint8_t af;            /**< 4 or 6 */
	uint8_t first[16];     /**< IPv4: first address of the range (bytes 0..3); IPv6: prefix */
	uint8_t last[16];      /**< IPv4: last address of the range */
	uint8_t plen;          /**< IPv6 prefix length (64..127) */
	uint8_t dns[2][16];    /**< DNS servers handed out with a lease, same family */
	unsigned n_dns;
	uint8_t netmask_plen;  /**< IPv4: INTERNAL_IP4_NETMASK to announce (e.g. 32) */
};

/** One address held by a client. */
struct pool_lease {
	uint8_t af;
	uint8_t addr[16];
	uint32_t idx;          /**< position in the pool (for pool_release) */
	bool held;
	struct pool *pool;     /**< the pool it came from (borrowed; set by pool_alloc()) */
};

/** @return 0, -EINVAL (bad range / prefix, with a message logged), -ENOMEM. */
int pool_create(const struct pool_cfg *cfg, struct pool **out);
void pool_destroy(struct pool *p);

const struct pool_cfg *pool_cfg(const struct pool *p);

/**
 * Take the next free address after the one handed out last (round robin), so that an address
 * just released is not given straight to another peer while packets for its previous owner
 * may still be in flight. @return 0, -ENOSPC when exhausted.
 */
int pool_alloc(struct pool *p, struct pool_lease *l);

/** Give a lease back (idempotent: a lease not held is ignored). A lease of another pool
 * than @p p goes back to its own pool. */
void pool_release(struct pool *p, struct pool_lease *l);

/** Give a lease back to the pool it came from (idempotent; a zeroed lease is ignored). */
void pool_lease_release(struct pool_lease *l);

/**
 * Check a pool configuration without creating it. @return 0, or -EINVAL with the reason
 * in @p err ("last address below the first", ...).
 */
int pool_cfg_check(const struct pool_cfg *cfg, char *err, size_t errlen);

/** The addresses of @p p as text: "198.18.200.10 - 198.18.200.250" or "2001:db8::/112". */
const char *pool_range_text(const struct pool *p, char *buf, size_t len);

/** Addresses in use / in total. */
void pool_usage(const struct pool *p, uint32_t *used, uint32_t *size);

#endif
