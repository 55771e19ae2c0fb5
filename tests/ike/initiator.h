/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* A minimal IKEv2 initiator for tests: builds IKE_SA_INIT requests and derives the keys from
 * the response, with deterministic randomness. */
#ifndef RAMPART_TESTS_IKE_INITIATOR_H
#define RAMPART_TESTS_IKE_INITIATOR_H

#include "controlplane/ike/crypto.h"
#include "controlplane/ike/payload.h"

/** Deterministic RNG: xorshift64* seeded by the test. */
struct ini_rng_state {
	uint64_t s;
};
int ini_rng(void *arg, uint8_t *out, size_t len);

struct ini {
	struct ini_rng_state rs;
	struct ike_rng rng;
	uint64_t spi_i, spi_r;
	uint16_t group;
	struct ike_dh *dh;
	uint8_t ni[32], nr[256];
	size_t nr_len;
	struct ike_suite suite; /**< what the responder chose */
	struct ike_alg alg;
	struct ike_keys keys;
};

void ini_init(struct ini *in, uint64_t seed, uint16_t group);
void ini_free(struct ini *in);

/**
 * IKE_SA_INIT request offering @p sa (one IKE proposal), KE of in->group, optionally a
 * COOKIE notify first. @return length, 0 on error.
 */
size_t ini_build_init(struct ini *in, const struct ike_sa_pl *sa, const uint8_t *cookie,
		      size_t cookie_len, uint8_t *out, size_t cap);

/** Process an IKE_SA_INIT response: 0 and keys derived, or the error notify type (> 0). */
int ini_process_init(struct ini *in, const uint8_t *buf, size_t len, struct ike_msg *m);

/** A one-proposal SA payload: encr/bits, prf, integ (0 for AEAD), dh groups (0-terminated). */
void ini_proposal(struct ike_sa_pl *sa, uint16_t encr, uint16_t bits, uint16_t prf,
		  uint16_t integ, const uint16_t *dh);

#endif
