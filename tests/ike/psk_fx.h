/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The fixture of the responder's liveness and session-hook tests (test_ike_dpd.c,
 * test_ike_hooks.c): our responder with the keyring's PSK, a fake dataplane and a pool of
 * eight addresses, clients at FX_PEER4(4500) talking to FX_LOCAL4(4500), and the steps of a
 * session as the initiator (tests/ike/initiator.c) takes them. Time is the tick argument.
 */
#ifndef RAMPART_TESTS_IKE_PSK_FX_H
#define RAMPART_TESTS_IKE_PSK_FX_H

#include <stddef.h>
#include <stdint.h>

#include "controlplane/ike/ike_sa.h"
#include "controlplane/ike/keyring.h"
#include "controlplane/pool/pool.h"
#include "fake_dp.h"
#include "fixture.h"
#include "initiator.h"

extern const struct ike_addr peer, local;

struct fx {
	struct ike_resp *r;
	struct ini_rng_state rs;
	struct fx_wire w;
	struct fake_dp dp;
	struct ike_keyring *kr;
	struct ike_authenticator auth;
	struct pool *pool4;
	struct ike_msg m;
	uint8_t req[4096];
	size_t req_len;
	uint64_t now;
};

/** The responder with @p cfg (NULL: fx_resp_cfg()), at tick 1000. */
struct fx *fx_new(const struct ike_resp_cfg *cfg);
void fx_free(struct fx *f);

/** Addresses leased from the pool. */
unsigned pool_used(const struct fx *f);

/** Move the clock to @p t. */
void tick_to(struct fx *f, uint64_t t);

/** IKE_SA_INIT of @p in (AES-GCM-16 256, Curve25519), with @p cookie if not NULL. */
size_t build_init(struct ini *in, uint64_t seed, const uint8_t *cookie, size_t clen,
		  uint8_t *out, size_t cap);

/** A full session from @p from: INIT, AUTH, the dataplane acknowledges. */
struct ike_sa *establish(struct fx *f, struct ini *in, uint64_t seed, const struct ike_addr *from);

/** A request the responder sent us (no Response flag): verify, decrypt, parse (ini_open_req(),
 * @p m valid until the next call). @return 0, -1 */
int open_request(struct ini *in, const uint8_t *buf, size_t len, struct ike_msg *m);

/** Our (empty) answer to the responder's request @p msg_id. @return its length, 0: failed */
size_t build_answer(struct ini *in, uint32_t msg_id, uint8_t *out, size_t cap);

#endif
