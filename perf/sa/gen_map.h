/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The rekey map: a small file that perf/sa/sa_bench (in the role of rampartd and the IKE
 * exchange) and perf/gen/rampart-gen --rekey-map (in the role of the peers' ESP senders)
 * both map, for sa-bench's decrypt direction (perf/README.md, "sa-bench"):
 *
 *   sa_bench  sets go once the base SAs are installed (the generator waits for it), then per
 *             rekeyed SA i sets flow[i].want = 1 once the new inbound SA was acknowledged
 *             by the dataplane (the rekey exchange is done: the peer may move to it), and
 *             stop at the end;
 *   gen       sends SA i's packets under generation flow[i].want from its next packet on
 *             (SPI and keys below, sequence numbers from --seq-start again), and records the
 *             move in flow[i].have, .switched_ns (CLOCK_MONOTONIC) and .old_sent (packets it
 *             sent under the old SA); sa_bench deletes the old inbound SA only after that,
 *             plus a grace period (the Delete exchange's round trip).
 *
 * perf/sa-bench creates the file (zeroed, RG_MAP_SIZE(flows) bytes) and writes magic and
 * flows; both programs check them. Both run on one machine: host byte order.
 */
#ifndef RAMPART_PERF_SA_GEN_MAP_H
#define RAMPART_PERF_SA_GEN_MAP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RG_MAP_MAGIC 0x52474b31u /* "RGK1" */
#define RG_MAP_GEN_SHIFT 20      /* generation g of SA i: SA number i + (g << 20) */
#define RG_MAP_MAX_GEN 15        /* keeps inbound SPIs below rampart-gen's outbound range */
#define RG_MAP_IN_SPI_BASE 0x01000000u /* rampart-gen's IN_SPI_BASE */

struct rg_map_hdr {
	uint32_t magic;       /* RG_MAP_MAGIC (perf/sa-bench) */
	uint32_t flows;       /* number of flow entries (perf/sa-bench) */
	uint32_t go;          /* sa_bench: start sending */
	uint32_t stop;        /* sa_bench: stop sending */
	uint64_t tx_packets;  /* gen: packets the port took so far */
	uint64_t switches;    /* gen: SA moves so far */
	uint64_t pad[4];
};

struct rg_map_flow {
	uint32_t want;        /* sa_bench: generation the peer may use */
	uint32_t have;        /* gen: generation in use (stored last, release) */
	uint64_t switched_ns; /* gen: CLOCK_MONOTONIC of the move */
	uint64_t old_sent;    /* gen: packets sent under the previous generation */
	uint64_t pad;
};

#define RG_MAP_SIZE(flows) (sizeof(struct rg_map_hdr) + (size_t)(flows) * sizeof(struct rg_map_flow))

static inline struct rg_map_flow *rg_map_flows(struct rg_map_hdr *h)
{
	return (struct rg_map_flow *)(h + 1);
}

/* Inbound SPI (of rampart-dp) of flow i, generation g. */
static inline uint32_t rg_map_spi(uint32_t i, uint32_t g)
{
	return RG_MAP_IN_SPI_BASE + i + (g << RG_MAP_GEN_SHIFT);
}

static inline uint64_t rg_splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* AES-GCM-128 key (16 B) then salt (4 B) of SA number idx (i + (g << 20)), direction dir
 * (0 in, 1 out of rampart-dp): the same function as rampart_gen.c's sa_key(), which checks
 * that at start when given --rekey-map. */
static inline void rg_map_key(uint32_t idx, unsigned int dir, uint8_t key[20])
{
	uint64_t s = 0x5241ull << 48 | (uint64_t)dir << 32 | idx, w[3];

	for (unsigned int i = 0; i < 3; i++)
		w[i] = rg_splitmix64(&s);
	memcpy(key, w, 20);
}

#endif
