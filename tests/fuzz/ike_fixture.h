/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * What the IKE fuzz targets past decryption share: a responder with pools, an authenticator
 * that accepts anyone (a real AUTH cannot be guessed), a fake dataplane that acknowledges
 * everything when told to, and one IKE SA made by ike_sa_inject() (AES-GCM-16-128, fixed
 * keys) into which sealed requests are fed.
 */
#ifndef RAMPART_TESTS_FUZZ_IKE_FIXTURE_H
#define RAMPART_TESTS_FUZZ_IKE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "controlplane/ike/ike_priv.h"

struct ike_fx_dp {
	unsigned n;
	dpif_cb cb[64];
	void *arg[64];
};

struct ike_fx {
	struct ike_resp *r;
	struct pool *p4, *p6;
	struct ike_fx_dp dp;
	struct ike_dp_ops ops;
	struct ike_alg alg;
	struct ike_keys keys;
};

/** Create the responder and the injected SA (aborts on failure: a broken fixture). */
void ike_fx_init(struct ike_fx *fx);
/** Destroy everything; no callback may run afterwards. */
void ike_fx_fini(struct ike_fx *fx);
/** Acknowledge every dataplane request made so far. */
void ike_fx_dp_ack(struct ike_fx *fx);
/**
 * Seal @p chain (first payload type @p first) as a request of @p exchange with @p msg_id
 * and feed it to the responder: one SK payload if @p total is 0, else SKF fragment @p num
 * of @p total.
 */
void ike_fx_feed(struct ike_fx *fx, uint8_t exchange, uint32_t msg_id, uint8_t first,
		 uint16_t num, uint16_t total, const uint8_t *chain, size_t len);

/**
 * The same as a response (Response flag) to a request of ours: if the SA is established
 * and none is outstanding, the responder first sends one (an empty INFORMATIONAL with
 * message ID 0, 1...), so that what follows reaches ike_req.c and the reassembly of
 * fragmented responses (RFC 7383 §2.6.2).
 */
void ike_fx_feed_resp(struct ike_fx *fx, uint8_t exchange, uint32_t msg_id, uint8_t first,
		      uint16_t num, uint16_t total, const uint8_t *chain, size_t len);

#endif
