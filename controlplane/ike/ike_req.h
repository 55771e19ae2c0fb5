/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ike_req.h
 * Requests the responder itself sends on an established IKE SA (RFC 7296 §1.4, §2.1-§2.4):
 * INFORMATIONAL (Delete, liveness checks), CREATE_CHILD_SA (rekeys we start). Not a public
 * interface of the responder: used by ike_*.c next to ike_priv.h.
 *
 * Message IDs (§2.2): our requests have their own counter per IKE SA, starting at 0 and
 * independent of the peer's; our requests carry neither the Response flag nor, unless we
 * are the original initiator of the IKE SA, the Initiator flag, so the peer's requests and
 * the responses to ours are never confused (ike_resp_input() sends every message with the
 * Response flag here).
 *
 * Window size 1 (§2.3): at most one of our requests is outstanding per IKE SA; more are
 * queued (at most IKE_REQ_QUEUE_MAX per SA, then -EBUSY) and sent in order, each once its
 * predecessor has completed. Requests we send never block the peer's requests.
 *
 * Retransmission (§2.1, §2.4): the same bytes again after IKE_REQ_RTO_MS, the timeout
 * doubling each time, driven by ike_resp_tick(); after IKE_REQ_RETRIES retransmissions
 * without an answer the peer is declared dead: the request completes with NULL, then the
 * IKE SA is deleted and its CHILD_SAs are removed from the dataplane.
 *
 * Responses: matched by message ID (only the outstanding one; duplicates and strays are
 * dropped and counted), verified and decrypted with the peer's keys, parsed. A response in
 * SKF fragments (RFC 7383 §2.6.2) is reassembled first (ike_frag_add(): each fragment
 * verified, at most IKE_FRAG_MAX of them and IKE_MSG_MAX bytes, as for the peer's
 * requests), then processed like one in a single message. A request of ours over the
 * fragment size goes as SKF fragments if the peer announced fragmentation
 * (ike_frag_seal()), and is retransmitted as those same fragments.
 *
 * Callbacks and ownership:
 * - build(b, arg) writes the request's inner payload chain; it runs exactly once, inside
 *   ike_req_send() (a queued request keeps its built plaintext), so @p arg only has to
 *   live until done() has run.
 * - done(r, sa, resp, arg) runs exactly once for every request ike_req_send() accepted:
 *     resp != NULL  the response (header and decrypted inner payloads, valid during the
 *                   call only). done() may send further requests and may delete @p sa
 *                   (ike_sa_delete()).
 *     resp == NULL  no answer (timeout: @p sa is deleted right after done() returns), or
 *                   @p sa is being deleted for another reason (from ike_sa_delete()).
 *                   done() must then neither delete @p sa nor send on it (ike_req_send()
 *                   answers -ESHUTDOWN); it may only read it.
 *   ike_req_cancel() removes requests without calling done().
 * Single-threaded, like the rest of the responder.
 */
#ifndef RAMPART_IKE_IKE_REQ_H
#define RAMPART_IKE_IKE_REQ_H

#include <stdbool.h>
#include <stdint.h>

#include "controlplane/ike/ike_sa.h"
#include "controlplane/ike/payload.h"

#define IKE_REQ_RTO_MS 2000u    /**< first retransmission timeout; doubles each time */
#define IKE_REQ_RETRIES 5u      /**< retransmissions before the peer is declared dead */
#define IKE_REQ_QUEUE_MAX 4u    /**< requests waiting behind the outstanding one, per SA */

/** Write the request's inner payloads (may write none: an empty INFORMATIONAL). */
typedef bool (*ike_req_build_fn)(struct ike_bld *b, void *arg);

/** The request completed: see the file comment for @p resp == NULL. */
typedef void (*ike_req_done_fn)(struct ike_resp *r, struct ike_sa *sa,
				const struct ike_msg *resp, void *arg);

/**
 * Send (or queue) a request of @p exchange (IKE_XCHG_INFORMATIONAL, IKE_XCHG_CREATE_CHILD_SA)
 * on @p sa.
 * @return 0 (done() will run exactly once); -ESHUTDOWN the SA is neither ESTABLISHED nor
 *         REKEYED (only for our Delete of it), or is being deleted; -EBUSY the queue is
 *         full; -EINVAL build() failed or the message does not fit; -ENOMEM. On error
 *         done() is not called.
 */
int ike_req_send(struct ike_resp *r, struct ike_sa *sa, uint8_t exchange,
		 ike_req_build_fn build, ike_req_done_fn done, void *arg);

/** Drop every request of @p sa whose arg is @p arg, without calling done(). @return count. */
unsigned ike_req_cancel(struct ike_resp *r, struct ike_sa *sa, void *arg);

/** True while @p sa has a request outstanding or queued. */
bool ike_req_busy(const struct ike_sa *sa);

/* ---- for ike_sa.c ------------------------------------------------------------------------ */

/** A message with the Response flag: the answer to one of our requests, or dropped. */
void ike_req_input(struct ike_resp *r, struct ike_msg *m, const struct ike_addr *peer,
		   const struct ike_addr *local);

/** Retransmit what of @p sa is due; give up on a peer that stays silent (deletes @p sa):
 * ike_resp_tick()'s walk. */
void ike_req_sa_tick(struct ike_resp *r, struct ike_sa *sa, uint64_t now_ms);

/** @p sa is being deleted: complete its requests with NULL and free them. */
void ike_req_sa_gone(struct ike_resp *r, struct ike_sa *sa);

#endif
