/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file drop.h
 * Why rampart-dp dropped a packet.
 *
 * One X-macro list yields the enum, the names operators see (telemetry, logs, rampartctl)
 * and their one-line explanations. Every packet a worker drops bumps exactly one counter:
 * per worker, per port, per reason (struct dp_port_counters), summed on demand by the main
 * lcore or the telemetry thread. To add a reason, add one line here.
 *
 * Counters have a single writer (their worker) and are read with relaxed atomic loads, so
 * workers never lock and never share a cache line with each other.
 */
#ifndef RAMPART_DATAPLANE_DROP_H
#define RAMPART_DATAPLANE_DROP_H

#include <stdint.h>

#include "dataplane/esp/esp.h"

/* X(ENUM, name shown to operators, explanation) — names: lower case, digits, '_' only
 * (DPDK telemetry and the management CLI use them as keys). The worker's own reasons; the
 * ESP engine's (ESP_DROP_REASONS, dataplane/esp/esp.h) follow them in DP_DROP_REASONS. */
#define DP_DROP_OWN_REASONS(X)                                                                \
	X(UNHANDLED, "unhandled",                                                              \
	  "no packet path claimed the packet (a frame received on a port with no role)")       \
	X(RUNT, "runt",                                                                        \
	  "frame too short for its Ethernet, IP, UDP or ESP header")                            \
	X(NOT_IP, "not_ip",                                                                    \
	  "inside: neither IPv4 nor IPv6, and no exception port to hand it to the kernel")     \
	X(NO_EXCEPTION_PATH, "no_exception_path",                                              \
	  "for the concentrator itself (IKE, ARP/ND, ICMP...) but the port has no exception "  \
	  "port to the kernel")                                                                 \
	X(NATT_KEEPALIVE, "natt_keepalive",                                                    \
	  "NAT-T keepalive (one 0xFF byte on UDP 4500, RFC 3948 section 2.3): dropped by "     \
	  "design")                                                                             \
	X(NO_SA, "no_sa",                                                                      \
	  "inbound: no SA for the packet's SPI and destination address")                       \
	X(SA_GONE, "sa_gone",                                                                  \
	  "the packet's SA was deleted or replaced while the packet waited between workers")   \
	X(NO_ROUTE, "no_route",                                                                \
	  "inside: no client route (outbound SA) for the destination, and not addressed to "  \
	  "the concentrator")                                                                   \
	X(ROUTE_INBOUND_SA, "route_inbound_sa",                                                \
	  "bug: a route pointed at an SA that is not outbound")                                 \
	X(NO_NEIGHBOR, "no_neighbor",                                                          \
	  "no MAC address known for the next hop (none learned from ARP/ND, no gateway_mac)")  \
	X(HANDOFF_FULL, "handoff_full",                                                        \
	  "the ring to the worker that owns the packet's SA was full")                          \
	X(TX_FULL, "tx_full",                                                                  \
	  "the port's TX queue did not take the packet")                                        \
	X(NO_OUTPUT_PORT, "no_output_port",                                                    \
	  "no port of the role the packet must leave by (outside or inside)")                  \
	X(REASSEMBLY_FAILED, "reassembly_failed",                                              \
	  "inbound: outer fragment rejected (reassembly table full, too many, overlapping or " \
	  "inconsistent fragments, or a stale datagram pushed out)")                           \
	X(FRAG_TIMEOUT, "frag_timeout",                                                        \
	  "inbound: outer fragment of a datagram not completed in time (dropped with it)")     \
	X(REASSEMBLED_TOO_BIG, "reassembled_too_big",                                          \
	  "inbound: reassembled ESP datagram larger than one mbuf (dataplane.mbuf_data_room)") \
	X(TOO_BIG, "too_big",                                                                   \
	  "outbound: inner packet too big for the tunnel MTU with DF set (or IPv6): ICMP "     \
	  "fragmentation needed / packet too big sent to the sender (rate-limited)")           \
	X(FRAG_FAILED, "frag_failed",                                                          \
	  "outbound: inner packet could not be fragmented (out of mbufs, too many fragments)")    \
	X(KERNEL_FRAG_FAILED, "kernel_frag_failed",                                            \
	  "to the kernel: reassembled datagram over the exception port's MTU that could not be " \
	  "fragmented again (DF set, out of mbufs, too many fragments, malformed)")

#define DP_DROP_REASONS(X)                                                                    \
	DP_DROP_OWN_REASONS(X)                                                                 \
	ESP_DROP_REASONS(X)

enum dp_drop_reason {
#define X(e, name, help) DP_DROP_##e,
	DP_DROP_REASONS(X)
#undef X
	DP_DROP_MAX
};

/** The worker reason of an ESP engine reason (enum esp_drop_reason). */
#define DP_DROP_ESP_BASE (DP_DROP_MAX - ESP_DROP_MAX)
#define DP_DROP_FROM_ESP(r) ((enum dp_drop_reason)(DP_DROP_ESP_BASE + (unsigned int)(r)))

/** Counters of one port as seen by one worker. Packets are counted against the port they
 *  entered by (drops, decrypted, encrypted, hairpinned, to_kernel), except tx_packets. */
struct dp_port_counters {
	uint64_t rx_packets;          /**< packets received on this worker's queue */
	uint64_t tx_packets;          /**< packets sent on this port by this worker */
	uint64_t decrypted;           /**< ESP packets decrypted (inbound) */
	uint64_t encrypted;           /**< packets encrypted (outbound and hairpin) */
	uint64_t hairpinned;          /**< decrypted packets re-encrypted to another client */
	uint64_t to_kernel;           /**< handed to the exception port */
	uint64_t from_kernel;         /**< received on an exception port, sent on its port */
	uint64_t handed_off;          /**< passed to the worker owning the packet's SA */
	uint64_t drops[DP_DROP_MAX];  /**< packets freed, by reason */
};

/** Operator-facing name of a reason ("unhandled"), or "?" out of range. */
const char *dp_drop_name(unsigned int reason);

/** One-line explanation of a reason. */
const char *dp_drop_help(unsigned int reason);

/** Add @p n to a counter owned by the calling worker (single writer, readers relaxed). */
static inline void dp_counter_add(uint64_t *ctr, uint64_t n)
{
	__atomic_store_n(ctr, *ctr + n, __ATOMIC_RELAXED);
}

/** Read a counter owned by another thread. */
static inline uint64_t dp_counter_read(const uint64_t *ctr)
{
	return __atomic_load_n(ctr, __ATOMIC_RELAXED);
}

#endif
