/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ike_dpd.h
 * Liveness of established IKE SAs and what an operator does to them (ike_dpd.c):
 *
 * - Half-open SAs per source address, counted in a hash table (ike.max_half_open_per_peer
 *   is checked for every IKE_SA_INIT without walking all SAs).
 * - Session ids: every IKE SA gets a small number, never 0 and never reused while
 *   rampartd runs, that "show sessions" prints and "clear session" takes.
 * - Dead peer detection (RFC 7296 §1.4, §2.4), in the manner of IOS "dpd INTERVAL RETRY
 *   on-demand|periodic": an empty INFORMATIONAL request (through ike_req.h) when the peer
 *   has been silent for the interval: periodic: silent in IKE and ESP; on-demand: only
 *   when the dataplane's counters show that we sent ESP to it but received none. On
 *   demand, the counters of a session are asked for (from ike_dpd_sample_tick(), through
 *   struct ike_dp_ops) only when it has been silent in IKE and inbound ESP for the
 *   interval and was not sampled within it: with at most IKE_DPD_DUMP_MAX_SAS dataplane
 *   SAs one SA_DUMP for all, at most once an interval (more often only when that is fewer
 *   messages than the alternative), else one STATS_REQ per ESP SA, at most
 *   IKE_DPD_QUERY_BUDGET a tick (ike_dpd.c explains the choice); ike_resp_dp_counters()
 *   takes other dumps' counters too ("show sessions"). Any authenticated message or inbound ESP
 *   counts as a sign of life. A check unanswered for RETRY x RETRIES seconds (or given up
 *   by ike_req.h's retransmissions) means the peer is dead: the IKE SA is deleted, its
 *   CHILD_SAs are removed from the dataplane, its addresses go back to the pools.
 * - Operator deletes (ike_resp_clear()): the CHILD_SAs are removed from the dataplane and
 *   the leases freed at once; the peer is sent a Delete of the IKE SA (§1.4.1); the IKE SA
 *   goes when it answers, or when it has not answered within the DPD give-up time.
 * - NAT mapping changes (§2.23): a new authenticated request from another address or
 *   port moves the SA there (unless we are the one behind a NAT) and each outbound ESP SA
 *   with it (SA_UPDATE).
 *
 * The per-SA state is struct ike_sa_live, a member of struct ike_sa (ike_priv.h).
 * Single-threaded, like the rest of the responder.
 */
#ifndef RAMPART_IKE_IKE_DPD_H
#define RAMPART_IKE_IKE_DPD_H

#include <stdbool.h>
#include <stdint.h>

#include "common/msg.h"

struct ike_resp;
struct ike_sa;
struct ike_addr;
struct ike_sa_info;

/** DPD modes (struct ike_resp_cfg.dpd_mode). */
enum ike_dpd_mode {
	IKE_DPD_OFF = 0,
	IKE_DPD_ON_DEMAND = 1,   /**< only when we send ESP and get none back */
	IKE_DPD_PERIODIC = 2,    /**< whenever the peer has been silent for the interval */
};

#define IKE_DPD_DEF_INTERVAL 30u /**< s */
#define IKE_DPD_DEF_RETRY 2u     /**< s */
#define IKE_DPD_DEF_RETRIES 5u

/** On-demand DPD: STATS_REQs sent per tick at most (the rest wait for the next tick). */
#define IKE_DPD_QUERY_BUDGET 8192u
/** On-demand DPD: one SA_DUMP instead of STATS_REQs only up to this many dataplane SAs
 *  (the answer is collected whole, 512 bytes an SA). */
#define IKE_DPD_DUMP_MAX_SAS 16384u
/** On-demand DPD: STATS_REQ answers not in after this are no longer waited for (ms). */
#define IKE_DPD_SAMPLE_TIMEOUT_MS 10000u

/** Liveness state of one IKE SA (in struct ike_sa). */
struct ike_sa_live {
	uint32_t id;             /**< session id (never 0) */
	uint64_t heard_ms;       /**< last sign of life: authenticated message or inbound ESP */
	uint64_t out_ms;         /**< last time the outbound ESP counters had grown */
	uint64_t in_pkts, out_pkts; /**< the CHILD_SAs' counters at the last sample */
	bool sampled;            /**< in_pkts / out_pkts hold a sample */
	uint64_t sample_ms;      /**< when that sample was taken */
	/* on-demand DPD's counter queries (ike_dpd.c) */
	uint64_t ask_ms;         /**< when the outstanding STATS_REQs were sent */
	uint64_t acc_in, acc_out; /**< their answers so far */
	uint16_t sample_wait;    /**< STATS_REQ answers outstanding */
	bool sample_failed;      /**< one of them failed: this sample does not count */
	bool probing;            /**< a liveness check is outstanding since probe_ms */
	bool clearing;           /**< an operator's Delete is outstanding since clear_ms */
	uint64_t probe_ms, clear_ms;
	uint64_t moved;          /**< NAT mapping changes followed */
	/* counted in the per-source half-open table under this address */
	bool ho_counted;
	uint8_t ho_af, ho_addr[16];
};

/** A session id for a new IKE SA. */
uint32_t ike_resp_new_session_id(struct ike_resp *r);

/** The IKE SA with session id @p id, or NULL. */
struct ike_sa *ike_resp_find_id(struct ike_resp *r, uint32_t id);

/**
 * Operator delete of @p sa (see the file comment). @p who names the operator in the log.
 * Half-open SAs are simply deleted. @return 0; -EALREADY if already being cleared.
 */
int ike_resp_clear(struct ike_resp *r, struct ike_sa *sa, const char *who);

/** True when DPD uses the dataplane's SA counters (on-demand mode). */
bool ike_resp_wants_counters(const struct ike_resp *r);

/**
 * The SA_INFO entries of one SA_DUMP (any order; @p n may be 0): samples the CHILD_SAs'
 * counters for on-demand DPD (inbound growth is a sign of life). ike_dpd_sample_tick() asks for
 * what it needs itself; this takes a dump made for something else.
 */
void ike_resp_dp_counters(struct ike_resp *r, const struct rp_msg_sa_stats *sas, unsigned n);

/* ---- for ike_sa.c ------------------------------------------------------------------------ */

/** A new IKE SA (IKE_SA_INIT answered or injected): its id and clock. */
void ike_dpd_sa_new(struct ike_resp *r, struct ike_sa *sa);

/**
 * An authenticated request from @p peer to @p local (not a retransmission): a sign of
 * life, and §2.23's NAT mapping change when the address differs.
 */
void ike_dpd_heard(struct ike_resp *r, struct ike_sa *sa, const struct ike_addr *peer,
		   const struct ike_addr *local);

/**
 * From ike_sa_set_state(): @p sa is (@p half_open) or is no longer half-open; keeps the
 * count of half-open SAs per source address (a hash table of at most one entry per
 * address with half-open SAs, freed when the last goes).
 */
void ike_dpd_half_open_count(struct ike_resp *r, struct ike_sa *sa, bool half_open);

/** Half-open SAs from @p a's address (any port; IPv6: its /64). */
unsigned ike_dpd_half_open_from(const struct ike_resp *r, const struct ike_addr *a);

/** On-demand DPD: the dataplane counters of the sessions that could be due a check are
 * asked for (from ike_resp_tick(), before its walk). */
void ike_dpd_sample_tick(struct ike_resp *r, uint64_t now_ms);
/** The liveness check of @p sa, its give-up, the give-up of an operator's Delete (may delete
 * @p sa: ike_resp_tick()'s walk). */
void ike_dpd_sa_tick(struct ike_resp *r, struct ike_sa *sa, uint64_t now_ms);

/** Fill the liveness fields of @p in. */
void ike_dpd_info(const struct ike_resp *r, const struct ike_sa *sa, struct ike_sa_info *in);

#endif
