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

/* X(ENUM, name shown to operators, explanation) — names: lower case, digits, '_' only
 * (DPDK telemetry and the management CLI use them as keys). */
#define DP_DROP_REASONS(X)                                                                    \
	X(UNHANDLED, "unhandled",                                                              \
	  "no packet path claimed the packet (this build has no ESP or exception path yet)")

enum dp_drop_reason {
#define X(e, name, help) DP_DROP_##e,
	DP_DROP_REASONS(X)
#undef X
	DP_DROP_MAX
};

/** Counters of one port as seen by one worker. */
struct dp_port_counters {
	uint64_t rx_packets;          /**< packets received on this worker's queue */
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
