/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file frag.h
 * Where outer reassembly (inbound) and fragmentation / ICMP "packet too big" (outbound)
 * plug into the worker pipeline. This build has neither: the hooks below are the seams a
 * fragmentation module fills in (worker.c calls them at the right stage, nothing else needs
 * to change).
 *
 * Inbound: dp_frag_reass_outer() is given every outer IPv4 fragment of ESP (protocol 50) and
 * every IPv6 fragment whose first next header is ESP, Ethernet header already removed. It
 * returns the reassembled packet when the last fragment arrived (the worker then classifies
 * it as ESP again), or NULL: with *drop = DP_DROP_MAX when it kept the fragment, else with
 * the reason the caller counts and frees it under. UDP fragments (IKE, or ESP-in-UDP) go to
 * the kernel, which reassembles them itself.
 *
 * Outbound: dp_frag_outbound() is given each inner packet with its SA before encryption,
 * when the encrypted packet would exceed the path MTU (the SA's tunnel MTU, else the
 * outside port's). It may fragment the inner IPv4 packet (DF clear; RFC 4301 section 8.1
 * pre-fragmentation), answer the sender with ICMP "fragmentation needed" / "packet too big"
 * through @p icmp_out and drop it, or let it through. This build lets it through (the
 * outer packet may then exceed the MTU: the NIC or the next router decides).
 *
 * Per-worker state (reassembly tables, death row) would live in struct dp_frag, one per
 * worker, owned by it.
 */
#ifndef RAMPART_DATAPLANE_FRAG_H
#define RAMPART_DATAPLANE_FRAG_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "dataplane/drop.h"

struct dp_frag;   /* per worker, none in this build */
struct dp_sa;

static inline struct rte_mbuf *dp_frag_reass_outer(struct dp_frag *f, struct rte_mbuf *m,
						   uint64_t now_tsc, enum dp_drop_reason *drop)
{
	(void)f;
	(void)m;
	(void)now_tsc;
	*drop = DP_DROP_FROM_ESP(ESP_DROP_OUTER_FRAGMENT);
	return NULL;
}

enum dp_frag_verdict {
	DP_FRAG_PASS = 0,   /**< encrypt as is */
	DP_FRAG_DONE = 1,   /**< the hook replaced or consumed the packet */
};

static inline enum dp_frag_verdict dp_frag_outbound(struct dp_frag *f, struct rte_mbuf *m,
						    const struct dp_sa *sa, uint32_t mtu)
{
	(void)f;
	(void)m;
	(void)sa;
	(void)mtu;
	return DP_FRAG_PASS;
}

#endif
