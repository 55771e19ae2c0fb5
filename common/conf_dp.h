/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file conf_dp.h
 * Schema tables of the ESP fast path's settings (common/conf_dp.c), used by the `dataplane`
 * section of the main schema (common/conf.c): static neighbours of a port and manually keyed
 * SAs. Also the limits those settings need, duplicated here so that common/ stays free of
 * DPDK and dataplane headers; dataplane/dp_config.c asserts that they agree with its own
 * (DP_MAX_PORTS, DP_SA_MAX_LIMIT, DP_NEIGH_STATIC_MAX).
 */
#ifndef RAMPART_COMMON_CONF_DP_H
#define RAMPART_COMMON_CONF_DP_H

#include "common/cfg.h"

/** Ports at most (dataplane.ports; DP_MAX_PORTS, DPDK's RTE_MAX_ETHPORTS). */
#define RP_CONF_DP_MAX_PORTS 32
/** Largest dataplane.sa_max (DP_SA_MAX_LIMIT: slot numbers are 21-bit LPM next hops). */
#define RP_CONF_DP_SA_MAX_LIMIT ((1u << 21) - 1)
/** Static neighbours per port at most (DP_NEIGH_STATIC_MAX). */
#define RP_CONF_DP_NEIGH_STATIC_MAX 16
/** Manual SAs at most (dataplane.manual_sas): every SA the table can hold (benchmarks declare
 *  hundreds of thousands). */
#define RP_CONF_DP_MANUAL_SAS_MAX RP_CONF_DP_SA_MAX_LIMIT

/** One element of dataplane.ports.[i].neighbors: { ip = "..."; mac = "..."; }. */
extern const struct rp_cfg_schema rp_conf_dp_neigh_schema[];

/** One element of dataplane.manual_sas. */
extern const struct rp_cfg_schema rp_conf_dp_manual_sa_schema[];

#endif
