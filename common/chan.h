/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file chan.h
 * The control channel between rampartd (role CP) and rampart-dp (role DP).
 *
 * A file-backed shared-memory region (by default under /dev/shm, mode 0600) holds a header
 * and two single-producer/single-consumer rings of RP_MSG_SIZE-byte slots:
 *
 *   - the command ring: rampartd produces, rampart-dp consumes;
 *   - the event ring:   rampart-dp produces, rampartd consumes.
 *
 * Lock-free with C11 atomics: the producer fills a slot and publishes it with a release store
 * of the ring's head; the consumer copies the slot out, validates it, wipes the payload (it
 * may hold keys) and publishes the slot as free with a release store of the tail. Head and
 * tail live on separate cache lines.
 *
 * Restarts. The region outlives both processes. Each side holds an OFD lock on its own byte
 * of the file while attached, so the other side (and rampartctl) can tell whether it is
 * alive even after a SIGKILL; each attach increments that side's epoch.
 *   - A restarted producer continues the sequence numbers where the previous one stopped
 *     (head and the last slot header are in the region): nothing published is sent twice
 *     and nothing is skipped. rp_chan_last_sent() returns the last published header so the
 *     producer can find where its own work stood (the header's cookie is the producer's).
 *   - A restarted consumer continues at the tail: every message published and not yet
 *     consumed is delivered exactly once to the new consumer. (A consumer killed inside
 *     rp_chan_recv() after copying a slot out has consumed it: the slot may already be
 *     partly wiped, so the next consumer skips it rather than deliver a torn message.)
 *   - A consumer's state dies with it: the producer notices the peer's epoch change
 *     (rp_chan_peer_epoch()) and resynchronises the new consumer (RESYNC_BEGIN, full state,
 *     RESYNC_END). This is how a restarted rampart-dp is refilled by rampartd.
 *
 * Layout stability: whatever else a future layout changes, the file starts with the 8-byte
 * magic "RAMPART1" followed by the 32-bit layout version (host order) at offset 8, so that
 * any build can tell "not a region" from "a region of another version".
 *
 * Ownership: rp_chan_open() returns a handle the caller owns and frees with rp_chan_close().
 * A handle is used by one thread at a time.
 */
#ifndef RAMPART_COMMON_CHAN_H
#define RAMPART_COMMON_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

enum rp_chan_role {
	RP_ROLE_CP = 0, /**< rampartd: produces commands, consumes events */
	RP_ROLE_DP = 1, /**< rampart-dp: produces events, consumes commands */
};

/** Default number of slots per ring (power of two). */
#define RP_CHAN_DEFAULT_SLOTS 4096u

struct rp_chan;

/** Information about one side, as recorded in the region. */
struct rp_chan_side_info {
	bool attached;          /**< the side's lock is held by a live process */
	uint32_t pid;           /**< pid recorded at its last attach */
	uint32_t epoch;         /**< attach count */
	uint32_t version;       /**< RP_MSG_VERSION it speaks */
	uint64_t heartbeat_ns;  /**< CLOCK_MONOTONIC of its last rp_chan_heartbeat() */
};

/**
 * Open (creating it if needed) the region at @p path and attach as @p role.
 *
 * @param slots ring size for a new region (power of two, 64..1<<20); ignored for an
 *              existing region, whose own size is used.
 * @return 0 and *out, or -errno with a human-readable explanation in @p err:
 *         -EPROTO   the region was made by a different layout version (both planes must be
 *                   restarted from the same build; the message names both versions),
 *         -EBUSY    another live process is attached in the same role,
 *         -EINVAL   the file is not a Rampart control region, or bad arguments,
 *         other     open/mmap failures.
 */
int rp_chan_open(const char *path, enum rp_chan_role role, uint32_t slots, struct rp_chan **out,
		 char *err, size_t errlen);

/** Detach (releases the role lock; the region stays) and free the handle. NULL is allowed. */
void rp_chan_close(struct rp_chan *ch);

/**
 * Inspect a region without attaching (for rampartctl and diagnostics).
 * @return 0, or -errno with an explanation in @p err (same codes as rp_chan_open()).
 */
int rp_chan_inspect(const char *path, struct rp_chan_side_info *cp, struct rp_chan_side_info *dp,
		    char *err, size_t errlen);

/** Remove the region file (after both sides are gone). */
int rp_chan_unlink(const char *path);

/** This side's epoch (changes on every attach). */
uint32_t rp_chan_epoch(const struct rp_chan *ch);

/** Information about the other side (one fcntl() to test its lock). */
void rp_chan_peer(const struct rp_chan *ch, struct rp_chan_side_info *info);

/**
 * The other side's epoch: one atomic load, cheap enough to poll from a busy loop. A change
 * means the peer re-attached (restarted) and, if it is the consumer, needs a resync.
 */
uint32_t rp_chan_peer_epoch(const struct rp_chan *ch);

/** Record that this side is alive (CLOCK_MONOTONIC now). Cheap: one relaxed store. */
void rp_chan_heartbeat(struct rp_chan *ch);

/**
 * Publish one message on this side's outgoing ring.
 *
 * The header's version, type, len, epoch and seq are filled in here; flags, ref and cookie
 * are taken from @p hdr_in (may be NULL for zeros).
 * @return 0 and the assigned sequence number in *seq (may be NULL); -EAGAIN when the ring
 *         is full (nothing was written); -EINVAL when @p len does not match @p type, the
 *         type belongs to the other direction or hdr_in has unknown flag bits. The payload
 *         itself is not validated here; the receiver does that.
 */
int rp_chan_send(struct rp_chan *ch, uint16_t type, const void *payload, size_t len,
		 const struct rp_msg_hdr *hdr_in, uint64_t *seq);

/**
 * Take the next message from this side's incoming ring into @p out.
 *
 * The slot is copied, validated (rp_msg_validate()), wiped and released before returning.
 * @return 1 with a valid message in *out; 0 when the ring is empty; -EBADMSG or -EPROTO
 *         when the message was malformed (it is consumed; out->hdr holds what the header said
 *         and @p why the reason, so the caller can report it); -EIO when the ring's
 *         head/tail are inconsistent (region corrupted; nothing was consumed).
 */
int rp_chan_recv(struct rp_chan *ch, struct rp_msg *out, char *why, size_t whylen);

/** Number of messages waiting on this side's incoming ring. */
uint32_t rp_chan_pending(const struct rp_chan *ch);

/** Free slots on this side's outgoing ring. */
uint32_t rp_chan_space(const struct rp_chan *ch);

/**
 * Header of the last message this role published (possibly by a previous process), for a
 * restarted producer. @return false if nothing was ever published.
 */
bool rp_chan_last_sent(const struct rp_chan *ch, struct rp_msg_hdr *hdr);

/** Positions of one ring: messages published (head) and consumed (tail) since creation. */
struct rp_chan_ring_pos {
	uint64_t head;
	uint64_t tail;
};

/**
 * Positions of this side's outgoing and incoming rings (diagnostics and tests). The next
 * message received has seq in_ring->tail + 1; the next one sent gets out_ring->head + 1.
 * Either pointer may be NULL.
 */
void rp_chan_positions(const struct rp_chan *ch, struct rp_chan_ring_pos *out_ring,
		       struct rp_chan_ring_pos *in_ring);

/** Slots per ring. */
uint32_t rp_chan_slots(const struct rp_chan *ch);

/** Path of the region. */
const char *rp_chan_path(const struct rp_chan *ch);

/**
 * Testing hook: write a raw slot (any bytes) to the outgoing ring and publish it, bypassing
 * the checks of rp_chan_send(). Used by unit tests of malformed-message rejection.
 */
int rp_chan_send_raw(struct rp_chan *ch, const struct rp_msg *m);

#endif
