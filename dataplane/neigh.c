/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Neighbour table: static entries, learning applied by the main lcore, lookups by workers. */
#include "dataplane/neigh.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "common/log.h"

static_assert(sizeof(struct dp_neigh_key) == 20, "neighbour key layout");
static_assert(sizeof(struct dp_neigh_learn) == 32, "learn record layout");

#define LEARN_RING 1024

static unsigned int neigh_instances;

static uint64_t mac_word(const uint8_t *mac, uint64_t flags)
{
	uint64_t w = 0;

	for (int i = 0; i < 6; i++)
		w = w << 8 | mac[i];
	return w | DP_NEIGH_VALID | flags;
}

static const char *key_str(const struct dp_neigh *n, const struct dp_neigh_key *k, char *buf,
			   size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(k->af == 4 ? AF_INET : AF_INET6, k->addr, a, sizeof(a));
	snprintf(buf, len, "%s on port \"%s\"", a, k->port < n->n_ports ? n->port_name[k->port] :
		 "?");
	return buf;
}

static const char *word_str(uint64_t w, char *buf, size_t len)
{
	struct rte_ether_addr m;

	neigh_word_mac(w, &m);
	rte_ether_format_addr(buf, (uint16_t)len, &m);
	return buf;
}

/* Add or update; the main lcore is the only writer. */
static int set(struct dp_neigh *n, const struct dp_neigh_key *k, uint64_t word)
{
	char ks[96], old[RTE_ETHER_ADDR_FMT_SIZE], new[RTE_ETHER_ADDR_FMT_SIZE];
	void *data;
	uint32_t i;
	int rc;

	if (rte_hash_lookup_data(n->hash, k, &data) >= 0) {
		uint64_t *e = &n->ent[(uintptr_t)data];

		if (*e == word)
			return 0;
		if ((*e & DP_NEIGH_STATIC) && !(word & DP_NEIGH_STATIC)) {
			n->static_kept++;
			RP_LOG_RL(RP_LOG_NOTICE, "neigh", "%s: ARP/ND says %s, the static entry %s "
				  "stays", key_str(n, k, ks, sizeof(ks)), word_str(word, new, sizeof(new)),
				  word_str(*e, old, sizeof(old)));
			return 0;
		}
		n->moved++;
		RP_LOG_RL(RP_LOG_INFO, "neigh", "%s moved from %s to %s", key_str(n, k, ks, sizeof(ks)),
			  word_str(*e, old, sizeof(old)), word_str(word, new, sizeof(new)));
		__atomic_store_n(e, word, __ATOMIC_RELAXED);
		return 0;
	}
	if (n->n_ent >= DP_NEIGH_MAX) {
		n->full++;
		RP_LOG_RL(RP_LOG_WARN, "neigh", "neighbour table full (%u): %s not learned",
			  DP_NEIGH_MAX, key_str(n, k, ks, sizeof(ks)));
		return -ENOSPC;
	}
	i = n->n_ent;
	n->ent[i] = word;
	n->keys[i] = *k;
	/* Entry and key before the hash entry that leads to them, and before listings. */
	__atomic_store_n(&n->n_ent, i + 1, __ATOMIC_RELEASE);
	rc = rte_hash_add_key_data(n->hash, k, (void *)(uintptr_t)i);
	if (rc < 0) {
		__atomic_store_n(&n->n_ent, i, __ATOMIC_RELEASE);
		n->full++;
		return rc;
	}
	if (!(word & DP_NEIGH_STATIC)) {
		n->learned++;
		RP_DEBUG("neigh", "learned %s is %s", key_str(n, k, ks, sizeof(ks)),
			 word_str(word, new, sizeof(new)));
	}
	return 0;
}

int dp_neigh_create(const struct dp_config *dc, unsigned int n_workers, int socket,
		    struct dp_neigh **out)
{
	struct rte_hash_parameters hp;
	char name[RTE_HASH_NAMESIZE];
	struct dp_neigh *n;
	unsigned int id = neigh_instances++;

	*out = NULL;
	n = rte_zmalloc_socket("rp_neigh", sizeof(*n), RTE_CACHE_LINE_SIZE, socket);
	if (!n)
		return -ENOMEM;
	n->ent = rte_zmalloc_socket("rp_neigh_ent", sizeof(*n->ent) * DP_NEIGH_MAX,
				    RTE_CACHE_LINE_SIZE, socket);
	n->keys = rte_zmalloc_socket("rp_neigh_keys", sizeof(*n->keys) * DP_NEIGH_MAX,
				     RTE_CACHE_LINE_SIZE, socket);
	snprintf(name, sizeof(name), "rp_neigh_%u", id);
	memset(&hp, 0, sizeof(hp));
	hp.name = name;
	hp.entries = DP_NEIGH_MAX;
	hp.key_len = sizeof(struct dp_neigh_key);
	hp.hash_func = rte_hash_crc;
	hp.socket_id = socket;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	n->hash = rte_hash_create(&hp);
	if (!n->ent || !n->keys || !n->hash) {
		RP_ERR("neigh", "cannot create the neighbour table: %s", rte_strerror(rte_errno));
		goto err;
	}
	n->n_workers = n_workers;
	for (unsigned int w = 0; w < n_workers; w++) {
		snprintf(name, sizeof(name), "rp_learn_%u_%u", id, w);
		n->learn[w] = rte_ring_create_elem(name, sizeof(struct dp_neigh_learn), LEARN_RING,
						   socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!n->learn[w]) {
			RP_ERR("neigh", "cannot create learning ring %s: %s", name,
			       rte_strerror(rte_errno));
			goto err;
		}
	}
	n->n_ports = dc->n_ports;
	for (unsigned int i = 0; i < dc->n_ports; i++) {
		const struct dp_port_conf *pc = &dc->ports[i];
		struct dp_neigh_port *np = &n->port[i];

		snprintf(n->port_name[i], sizeof(n->port_name[i]), "%s", pc->name);
		np->has_gw4 = pc->has_gw4;
		np->has_gw6 = pc->has_gw6;
		memcpy(np->gw4, pc->gw4, 4);
		memcpy(np->gw6, pc->gw6, 16);
		np->has_gateway_mac = pc->has_gateway_mac;
		if (pc->has_gateway_mac)
			np->gateway_mac = mac_word(pc->gateway_mac, DP_NEIGH_STATIC);
		for (unsigned int j = 0; j < pc->n_neighbors; j++) {
			const struct dp_neigh_conf *nc = &pc->neighbors[j];
			struct dp_neigh_key k;

			dp_neigh_key_set(&k, i, nc->af, nc->addr);
			set(n, &k, mac_word(nc->mac, DP_NEIGH_STATIC));
		}
	}
	*out = n;
	return 0;
err:
	dp_neigh_free(n);
	return -ENOMEM;
}

void dp_neigh_free(struct dp_neigh *n)
{
	if (!n)
		return;
	for (unsigned int w = 0; w < DP_MAX_WORKERS; w++)
		rte_ring_free(n->learn[w]);
	rte_hash_free(n->hash);
	rte_free(n->ent);
	rte_free(n->keys);
	rte_free(n);
}

unsigned int dp_neigh_drain(struct dp_neigh *n, unsigned int budget)
{
	unsigned int done = 0;

	for (unsigned int w = 0; w < n->n_workers && done < budget; w++) {
		struct dp_neigh_learn l[32];
		unsigned int k = rte_ring_sc_dequeue_burst_elem(n->learn[w], l, sizeof(l[0]),
								RTE_MIN(32u, budget - done), NULL);

		for (unsigned int i = 0; i < k; i++)
			set(n, &l[i].key, mac_word(l[i].mac, 0));
		done += k;
	}
	return done;
}

void dp_neigh_foreach(const struct dp_neigh *n,
		      void (*fn)(void *arg, const struct dp_neigh_key *k, uint64_t word),
		      void *arg)
{
	uint32_t count = __atomic_load_n(&n->n_ent, __ATOMIC_ACQUIRE);

	for (uint32_t i = 0; i < count; i++)
		fn(arg, &n->keys[i], __atomic_load_n(&n->ent[i], __ATOMIC_RELAXED));
}
