/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file frag.h
 * Outer reassembly (inbound) and inner fragmentation / ICMP "packet too big" (outbound), one
 * struct dp_frag per worker, owned and used by that worker only (frag.c).
 *
 * Inbound: dp_frag_reass_outer() is given every outer IPv4 fragment of ESP (protocol 50) or
 * UDP (ESP-in-UDP from NAT-T clients, or IKE), and every IPv6 fragment whose fragment header
 * directly follows the IPv6 header with ESP or UDP next, as a whole Ethernet frame. DPDK's
 * librte_ip_frag keeps the fragments in a bounded per-worker table (DP_FRAG_TBL_ENTRIES
 * datagrams, DP_FRAG_TIMEOUT_MS each at most; when full, new datagrams' fragments are
 * dropped, so a stranger cannot make a worker hold more than that). When the last fragment
 * arrived it returns the reassembled frame (Ethernet header first), or NULL: the fragment was
 * kept or dropped (counted in @p drops under reassembly_failed / reassembled_too_big). What
 * the datagram carries decides its shape:
 *  - ESP, or ESP-in-UDP (UDP to 4500 without the non-ESP marker): one segment, because the
 *    ESP engine does not chase chains; the worker classifies it again. One that does not fit
 *    one mbuf (dataplane.mbuf_data_room) is dropped as reassembled_too_big;
 *  - anything else (IKE on UDP 500 / 4500, other UDP): *for_kernel is set and the datagram
 *    stays the chain of its fragments' mbufs, whatever its size (up to 65535 bytes), for the
 *    exception port as it is; dp_frag_for_kernel() cuts it again where it exceeds that port's
 *    MTU. Counted in kernel_chains.
 *
 * Outbound: dp_frag_outbound() is given each inner packet with its SA before encryption.
 * When the encrypted packet would exceed the path MTU (the SA's tunnel MTU, else the outside
 * port's): an IPv4 packet with DF clear is fragmented (RFC 4301 section 8.1
 * pre-fragmentation; each fragment is then encrypted as its own ESP packet); with DF set, or
 * an IPv6 packet (over 1280 bytes), the packet is dropped (too_big) and an ICMP "fragmentation
 * needed" (type 3 code 4) / ICMPv6 "packet too big" with the MTU the tunnel admits is built
 * for the sender (rate-limited per worker).
 */
#ifndef RAMPART_DATAPLANE_FRAG_H
#define RAMPART_DATAPLANE_FRAG_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ip_frag.h>
#include <rte_mbuf.h>

#include "dataplane/drop.h"

/** Datagrams being reassembled per worker (bounded: the table never grows). */
#define DP_FRAG_TBL_ENTRIES 64
/** A datagram not complete after this long is dropped (frag_timeout). */
#define DP_FRAG_TIMEOUT_MS 2000
/** ICMP errors per worker: sustained rate per second and burst. */
#define DP_FRAG_ICMP_PER_SEC 100
#define DP_FRAG_ICMP_BURST 20
/** Fragments one inner packet may be cut into (more: frag_failed). */
#define DP_FRAG_OUT_MAX 64

struct dp_sa;

struct dp_frag {
	struct rte_ip_frag_tbl *tbl;
	struct rte_ip_frag_death_row dr;
	uint64_t hz;                 /**< TSC ticks per second */
	uint64_t next_expire;        /**< TSC of the next expiry scan */
	uint64_t icmp_tokens;        /**< rate limiter, in ticks (hz per token) */
	uint64_t icmp_last;          /**< TSC of the last refill */
	/* Written by the owning worker only. */
	uint64_t reassembled;        /**< datagrams reassembled */
	uint64_t kernel_chains;      /**< of which for the kernel, left as mbuf chains */
	uint64_t fragmented;         /**< inner packets fragmented before encryption */
	uint64_t fragments;          /**< fragments made */
	uint64_t icmp_sent;          /**< ICMP / ICMPv6 "too big" built */
	uint64_t icmp_limited;       /**< not built: rate limit */
};

/** Create the reassembly table on @p socket. @return 0 or -errno. */
int dp_frag_init(struct dp_frag *f, int socket);

/** Free the table and whatever it holds. */
void dp_frag_fini(struct dp_frag *f);

/** See above. @p drops: the counters (drops[DP_DROP_MAX]) of the port @p m entered by.
 *  @p for_kernel: out, true when the datagram returned is for the kernel (exception port)
 *  rather than to be classified again; it may then be a chain. */
struct rte_mbuf *dp_frag_reass_outer(struct dp_frag *f, struct rte_mbuf *m, uint64_t now_tsc,
				     uint64_t *drops, bool *for_kernel);

/** Drop datagrams that timed out (frag_timeout, counted in @p drops) and free the death
 *  row; cheap, call every poll round. */
void dp_frag_tick(struct dp_frag *f, uint64_t now_tsc, uint64_t *drops);

enum dp_frag_verdict {
	DP_FRAG_PASS = 0,   /**< encrypt as is */
	DP_FRAG_SPLIT = 1,  /**< @p m consumed: encrypt out[0..*n_out-1] instead */
	DP_FRAG_DROP = 2,   /**< drop @p m under *drop; *icmp, if not NULL, goes to the sender */
};

/**
 * @param mtu  the SA's tunnel MTU, else the outside port's (outer packet bytes)
 * @param out  room for DP_FRAG_OUT_MAX fragments
 * @param icmp out: an ICMP / ICMPv6 error (inner IP header first) to route to the sender, or
 *             NULL (not owed, or rate-limited)
 */
enum dp_frag_verdict dp_frag_outbound(struct dp_frag *f, struct rte_mbuf *m,
				      const struct dp_sa *sa, uint32_t mtu,
				      struct rte_mbuf **out, uint16_t *n_out,
				      struct rte_mbuf **icmp, enum dp_drop_reason *drop);

/**
 * Fragment @p m (an Ethernet frame on its way to the kernel, one segment or a chain with the
 * IP header in the first: a datagram dp_frag_reass_outer() rebuilt, or a big frame from a
 * device with LRO) again so that no fragment's IP packet exceeds @p mtu: the exception port's
 * kernel interface takes no frame beyond its MTU. The payload is attached to the fragments
 * (indirect mbufs), not copied. Each fragment gets @p m's Ethernet header (IPv6: a fragment
 * header with an identification of this lcore's sequence); the kernel reassembles them.
 * @p m is consumed in every case.
 * @return the number of fragments in @p out (at most @p max), or 0: dropped (DF set, out
 *         of mbufs, more than @p max fragments, malformed), logged (rate-limited) and counted
 *         by the caller as kernel_frag_failed.
 */
uint16_t dp_frag_for_kernel(struct rte_mbuf *m, uint16_t mtu, struct rte_mbuf **out,
			    uint16_t max);

#endif
