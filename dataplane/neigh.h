/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file neigh.h
 * Next-hop MAC addresses: a neighbour table per port learned from the ARP and NDP packets
 * seen on the ports (rampart-dp answers none of them: the kernel does, through the exception
 * path), static neighbours and a static gateway MAC from the configuration.
 *
 * Resolution of an IP next hop on a port, in order: the neighbour table (static entries,
 * then learned ones: the destination itself is on the link); the port's configured gateway
 * address (`gateway`), resolved the same way; the port's `gateway_mac`. Nothing else: a
 * packet with no answer is dropped (no_neighbor).
 *
 * Threads. Workers read the table without locks and never write it: what they learn is
 * queued (one single-producer ring per worker) and applied by the main lcore, the only
 * writer. Entries are never deleted (the table is sized for the links' hosts; when it is full
 * new neighbours are not learned, counted), and a MAC changes with one 64-bit atomic store,
 * so readers need no grace period.
 *
 * Ownership: dp_neigh_create() returns a handle freed by dp_neigh_free() after the workers
 * stopped.
 */
#ifndef RAMPART_DATAPLANE_NEIGH_H
#define RAMPART_DATAPLANE_NEIGH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ring.h>

#include "dataplane/dp_config.h"

/** Neighbours at most (all ports). */
#define DP_NEIGH_MAX 65536

/** A neighbour as the workers look it up. */
struct dp_neigh_key {
	uint8_t port;      /**< port index */
	uint8_t af;        /**< 4 or 6 */
	uint8_t pad[2];
	uint8_t addr[16];  /**< IPv4 in the first 4 bytes, rest zero */
};

/** What a worker learned, queued for the main lcore. */
struct dp_neigh_learn {
	struct dp_neigh_key key;
	uint8_t mac[6];
	uint8_t pad[6];
};

/** Entry word: MAC in the low 48 bits, flags above. */
#define DP_NEIGH_VALID (1ull << 63)
#define DP_NEIGH_STATIC (1ull << 62)

struct dp_neigh_port {
	bool has_gw4, has_gw6, has_gateway_mac;
	uint8_t gw4[4], gw6[16];
	uint64_t gateway_mac;  /**< entry word */
};

struct dp_neigh {
	struct rte_hash *hash;            /**< dp_neigh_key -> entry index (lock-free readers) */
	uint64_t *ent;                    /**< entry words */
	struct dp_neigh_key *keys;        /**< key of each entry (for listing) */
	uint32_t n_ent;                   /**< entries used; published with a release store */
	struct rte_ring *learn[DP_MAX_WORKERS];
	unsigned int n_workers;
	struct dp_neigh_port port[DP_MAX_PORTS];
	char port_name[DP_MAX_PORTS][DP_PORT_NAME_MAX + 1];
	unsigned int n_ports;
	/* main lcore */
	uint64_t learned, moved, full, static_kept;
};

/**
 * Create the table for the ports of @p dc (static neighbours and gateways installed) with
 * one learning ring per worker. @return 0 and *out, or -errno (logged).
 */
int dp_neigh_create(const struct dp_config *dc, unsigned int n_workers, int socket,
		    struct dp_neigh **out);

void dp_neigh_free(struct dp_neigh *n);

/** Main lcore: apply what the workers learned. @return records applied. */
unsigned int dp_neigh_drain(struct dp_neigh *n, unsigned int budget);

/** Fill @p k for port index @p port, family @p af and address @p addr (4 or 16 bytes). */
static inline void dp_neigh_key_set(struct dp_neigh_key *k, unsigned int port, uint8_t af,
				    const uint8_t *addr)
{
	memset(k, 0, sizeof(*k));
	k->port = (uint8_t)port;
	k->af = af;
	memcpy(k->addr, addr, af == 4 ? 4 : 16);
}

static inline bool neigh_word_mac(uint64_t w, struct rte_ether_addr *mac)
{
	if (!(w & DP_NEIGH_VALID))
		return false;
	for (int i = 0; i < 6; i++)
		mac->addr_bytes[i] = (uint8_t)(w >> (40 - 8 * i));
	return true;
}

static inline bool neigh_table_get(const struct dp_neigh *n, const struct dp_neigh_key *k,
				   struct rte_ether_addr *mac)
{
	void *data;

	if (rte_hash_lookup_data(n->hash, k, &data) < 0)
		return false;
	return neigh_word_mac(__atomic_load_n(&n->ent[(uintptr_t)data], __ATOMIC_RELAXED), mac);
}

/**
 * Worker: the MAC to send a packet for next hop @p addr (family @p af) out of port index
 * @p port. @return false if none is known.
 */
static inline bool dp_neigh_resolve(const struct dp_neigh *n, unsigned int port, uint8_t af,
				    const uint8_t *addr, struct rte_ether_addr *mac)
{
	const struct dp_neigh_port *p = &n->port[port];
	struct dp_neigh_key k;

	dp_neigh_key_set(&k, port, af, addr);
	if (neigh_table_get(n, &k, mac))
		return true;
	if (af == 4 && p->has_gw4) {
		dp_neigh_key_set(&k, port, 4, p->gw4);
		if (neigh_table_get(n, &k, mac))
			return true;
	} else if (af == 6 && p->has_gw6) {
		dp_neigh_key_set(&k, port, 6, p->gw6);
		if (neigh_table_get(n, &k, mac))
			return true;
	}
	return p->has_gateway_mac && neigh_word_mac(p->gateway_mac, mac);
}

/** Worker @p worker: queue a learned neighbour. @return false if its ring is full. */
static inline bool dp_neigh_learn(struct dp_neigh *n, unsigned int worker, unsigned int port,
				  uint8_t af, const uint8_t *addr, const uint8_t *mac)
{
	struct dp_neigh_learn l;

	/* Multicast, broadcast and zero MACs are nobody's address. */
	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return true;
	dp_neigh_key_set(&l.key, port, af, addr);
	memcpy(l.mac, mac, 6);
	memset(l.pad, 0, sizeof(l.pad));
	return rte_ring_sp_enqueue_elem(n->learn[worker], &l, sizeof(l)) == 0;
}

/** Call @p fn for each entry (telemetry; entries are never freed, so any thread may). */
void dp_neigh_foreach(const struct dp_neigh *n,
		      void (*fn)(void *arg, const struct dp_neigh_key *k, uint64_t word),
		      void *arg);

#endif
