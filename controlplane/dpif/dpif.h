/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file dpif.h
 * The dataplane interface: the only place rampartd talks to rampart-dp.
 *
 * A request is one command on the control channel; dpif remembers it by its sequence number
 * and calls the requester back once, when the answer is complete (an ACK, a PONG, or
 * PORT_INFO/SA_INFO... closed by DUMP_END, all with hdr.ref == the command's seq), when it
 * times out, or when the dataplane that was to answer it went away or was replaced. This is
 * what lets later code wait until an SA is installed before answering an IKE peer.
 *
 * Flow control. At most max_pending requests are outstanding on the channel. Commands that
 * do not fit (ring full, or too many outstanding) wait in rampartd in a FIFO of at most
 * max_queued entries; beyond that dpif_send() fails with -ENOBUFS. Order is kept: a
 * command never overtakes one submitted earlier.
 *
 * Polling. The event ring has no wake-up: a libevent timer polls it every poll_busy_us while
 * anything is outstanding or queued (an answer waits at most that long, on top of the
 * dataplane's own poll) and every poll_idle_us otherwise (unsolicited events such as
 * LIFETIME only need to be seen well within an SA's soft-to-hard margin, and an idle daemon
 * wakes up 50 times a second, not 1000). Each tick also records our heartbeat.
 *
 * Dataplane liveness. The dataplane is "attached" while it holds its lock on the region;
 * each attach has a new epoch. When dpif sees a new epoch (a rampart-dp started, or
 * restarted), every request sent to the previous one fails with -ECONNRESET, and a
 * resynchronisation runs: RESYNC_BEGIN, the replay hook (dpif_set_replay(); later code
 * replays SAs and routes there), RESYNC_END. Commands submitted meanwhile wait until the
 * resync is finished. When the dataplane detaches, outstanding and queued requests fail with
 * -ECONNRESET and new ones with -ENOTCONN until a dataplane attaches again.
 *
 * Unsolicited events (ref 0, e.g. LIFETIME, ERROR) go to handlers registered per type
 * (dpif_on_event()); without one they are logged.
 *
 * Ownership: dpif_create() borrows the event base and the channel (both must outlive the
 * dpif); dpif_destroy() fails what is outstanding with -ESHUTDOWN and frees the dpif.
 * Single-threaded: everything runs on the event loop's thread.
 */
#ifndef RAMPART_CP_DPIF_H
#define RAMPART_CP_DPIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/chan.h"
#include "common/msg.h"

struct event_base;
struct dpif;

/** Defaults of struct dpif_opts (0 in a field selects them). */
#define DPIF_MAX_PENDING 4096u
#define DPIF_MAX_QUEUED 16384u
#define DPIF_MAX_REPLIES 65536u
#define DPIF_POLL_BUSY_US 1000u
#define DPIF_POLL_IDLE_US 20000u
#define DPIF_EVENTS_PER_TICK 4096u
#define DPIF_TIMEOUT_MS 2000u
/** A dataplane heartbeat older than this is reported as stale by status. */
#define DPIF_HEARTBEAT_STALE_MS 3000u

struct dpif_opts {
	unsigned max_pending;     /**< requests outstanding on the channel */
	unsigned max_queued;      /**< requests waiting in rampartd for room */
	unsigned max_replies;     /**< answers collected for one request (dumps) */
	unsigned poll_busy_us;    /**< event ring poll period with requests outstanding */
	unsigned poll_idle_us;    /**< poll period otherwise */
	unsigned events_per_tick; /**< events handled per tick before yielding to the loop */
};

/** The answer to one request, valid only during the callback. */
struct dpif_reply {
	uint64_t seq;              /**< the command's sequence number (0 if never sent) */
	uint16_t type;             /**< the command's type */
	unsigned n;                /**< number of answer messages */
	const struct rp_msg *msgs; /**< the answers in order (dumps end with DUMP_END) */
	uint64_t rtt_ns;           /**< from submission to the last answer */
};

/**
 * Called once per request.
 * @param status 0: answered with success. A negative errno: the dataplane's own status
 *               (ACK status, DUMP_END status, ERROR code; reasons are in the messages), or
 *               -ETIMEDOUT, -ECONNRESET (the dataplane detached or restarted), -ESHUTDOWN
 *               (rampartd is stopping), -E2BIG (more than max_replies answers), -EBADMSG
 *               (an answer of a type that does not fit the command: a bug).
 * @param rep    never NULL; messages received so far (possibly none).
 */
typedef void (*dpif_cb)(int status, const struct dpif_reply *rep, void *arg);

/** Handler of an unsolicited event (ref 0 or a seq nobody waits for). */
typedef void (*dpif_event_fn)(const struct rp_msg *m, void *arg);

/** Why a resynchronisation runs. */
enum dpif_resync_reason {
	DPIF_RESYNC_FIRST,     /**< first dataplane seen since rampartd started */
	DPIF_RESYNC_RESTART,   /**< the dataplane's epoch changed */
};

/**
 * Replay hook, called repeatedly during a resynchronisation, after RESYNC_BEGIN was queued.
 * Each call should send a batch of at most DPIF_REPLAY_BATCH commands with dpif_send() (they
 * are flagged RP_MSGF_RESYNC and go before anything submitted outside the hook).
 * @param step 0 on the first call of a resynchronisation (restart the iteration), then 1, 2...
 * @return 1 if more remains, 0 when done (RESYNC_END follows), -errno to give up (logged;
 *         RESYNC_END is still sent so the dataplane leaves resync mode).
 */
typedef int (*dpif_replay_fn)(struct dpif *d, enum dpif_resync_reason why, unsigned step,
			      void *arg);

#define DPIF_REPLAY_BATCH 64u

/** Counters, for status and tests. */
struct dpif_stats {
	uint64_t sent;        /**< commands published on the ring */
	uint64_t answered;    /**< requests completed by the dataplane */
	uint64_t timeouts;
	uint64_t resets;      /**< requests failed by a dataplane restart or detach */
	uint64_t late;        /**< answers nobody waited for any more */
	uint64_t unsolicited; /**< events with ref 0 */
	uint64_t resyncs;     /**< resynchronisations started */
	unsigned pending;     /**< outstanding now */
	unsigned queued;      /**< waiting in rampartd now */
};

/**
 * Create the interface on an attached channel (role CP) and start polling.
 * @param opts NULL for the defaults.
 * @return 0 and *out, or -ENOMEM / -EINVAL.
 */
int dpif_create(struct event_base *base, struct rp_chan *ch, const struct dpif_opts *opts,
		struct dpif **out);

/** Fail everything outstanding with -ESHUTDOWN (callbacks run) and free. NULL is allowed. */
void dpif_destroy(struct dpif *d);

/**
 * Send a command and be called back with its answer.
 *
 * @param type       a command type (enum rp_msg_type)
 * @param payload    exactly rp_msg_payload_len(type) bytes; copied (and wiped after use)
 * @param cb         NULL: fire and forget (failures are still logged)
 * @param timeout_ms from now until the answer is complete; 0 = DPIF_TIMEOUT_MS
 * @return 0: @p cb will be called exactly once, never from within this call.
 *         -EINVAL: not a command, wrong length, or the payload fails rp_msg_validate()
 *         (a bug; logged). -ENOTCONN: no dataplane attached. -ENOBUFS: the queue is full.
 *         -ESHUTDOWN: dpif is being destroyed. On error @p cb is not called.
 */
int dpif_send(struct dpif *d, uint16_t type, const void *payload, size_t len, dpif_cb cb,
	      void *arg, unsigned timeout_ms);

/**
 * Drop every request whose callback argument is @p arg, without calling back (for an owner
 * that goes away). Answers that arrive later are ignored. @return how many were dropped.
 */
unsigned dpif_cancel(struct dpif *d, void *arg);

/** Register the handler of unsolicited events of @p type (NULL removes it). */
void dpif_on_event(struct dpif *d, uint16_t type, dpif_event_fn fn, void *arg);

/** Set the replay hook of resynchronisations (NULL: replay nothing). */
void dpif_set_replay(struct dpif *d, dpif_replay_fn fn, void *arg);

/** The dataplane as the region describes it now (attached, pid, epoch, heartbeat). */
void dpif_peer(const struct dpif *d, struct rp_chan_side_info *info);

/** True while a resynchronisation is in progress. */
bool dpif_resyncing(const struct dpif *d);

void dpif_get_stats(const struct dpif *d, struct dpif_stats *st);

/** Poll now (what the timer does): for tests and for callers that just sent a burst. */
void dpif_poll(struct dpif *d);

/** CLOCK_MONOTONIC in nanoseconds, the clock of heartbeats and PING timestamps. */
uint64_t dpif_now_ns(void);

#endif
