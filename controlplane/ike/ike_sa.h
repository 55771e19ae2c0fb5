/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ike_sa.h
 * IKEv2 responder (RFC 7296). This first cut implements IKE_SA_INIT: proposal selection
 * (NO_PROPOSAL_CHOSEN), INVALID_KE_PAYLOAD naming the group we want, stateless cookies once
 * the half-open count reaches a threshold (§2.6), NAT detection (§2.23), fragmentation and
 * signature-hash announcements, key derivation, and byte-exact retransmission of the cached
 * response for a duplicate request. IKE_AUTH and later exchanges are not implemented yet.
 *
 * Datagrams come in through ike_resp_input() and leave through the send callback; nothing
 * here touches sockets, so tests run two peers in one process.
 *
 * Ownership: ike_resp_create() copies the configuration; ike_resp_destroy() frees every SA.
 * Single-threaded.
 */
#ifndef RAMPART_IKE_IKE_SA_H
#define RAMPART_IKE_IKE_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/ike/crypto.h"

/** A transport address. */
struct ike_addr {
	uint8_t af;        /**< 4 or 6 */
	uint8_t addr[16];  /**< network order; IPv4 in bytes 0..3 */
	uint16_t port;     /**< host order */
};

/** Protocol states of an IKE SA (one function changes them and logs the transition). */
#define IKE_SA_STATES(X)      \
	X(NONE)               \
	X(INIT_DONE)          \
	X(ESTABLISHED)        \
	X(DELETED)
enum ike_sa_state {
#define X(n) IKE_SA_##n,
	IKE_SA_STATES(X)
#undef X
};

/**
 * Responder settings. Until the configuration schema has an "ike" section (common/conf.c is
 * not ours to edit) these come from the caller: tests fill them in, see
 * tests/ike/test_ike_exchange.c. Each list is in our order of preference, 0-terminated.
 */
struct ike_resp_cfg {
	uint16_t encr[8];        /**< IKE_ENCR_* */
	uint16_t encr_bits[8];   /**< key length for encr[i] (0 for ChaCha20-Poly1305) */
	uint16_t prf[4];
	uint16_t integ[4];
	uint16_t dh[8];          /**< dh[0] is the group asked for in INVALID_KE_PAYLOAD */
	unsigned cookie_threshold; /**< half-open SAs from which cookies are required (0: always) */
	unsigned max_half_open;    /**< refuse new SAs beyond this (0: 1024) */
};

/** Send a datagram to @p to (the response bytes are only valid during the call). */
typedef void (*ike_send_fn)(void *arg, const uint8_t *buf, size_t len,
			    const struct ike_addr *from, const struct ike_addr *to);

struct ike_resp;
struct ike_sa;

int ike_resp_create(const struct ike_resp_cfg *cfg, const struct ike_rng *rng,
		    ike_send_fn send, void *send_arg, struct ike_resp **out);
void ike_resp_destroy(struct ike_resp *r);

/**
 * Process one datagram (UDP payload without the non-ESP marker) from @p peer to @p local.
 * Malformed or unexpected input is dropped (and counted) without creating state.
 */
void ike_resp_input(struct ike_resp *r, const uint8_t *buf, size_t len,
		    const struct ike_addr *peer, const struct ike_addr *local);

/** Counters, for tests and "show". */
struct ike_resp_stats {
	uint64_t rx, dropped, retransmits, cookies_sent, no_proposal, invalid_ke;
	unsigned half_open, sas;
};
void ike_resp_get_stats(const struct ike_resp *r, struct ike_resp_stats *st);

/** The SA with these SPIs, or NULL. */
struct ike_sa *ike_resp_find(struct ike_resp *r, uint64_t spi_i, uint64_t spi_r);

enum ike_sa_state ike_sa_state(const struct ike_sa *sa);
const char *ike_sa_state_name(enum ike_sa_state s);
/** Negotiated suite and derived keys (tests compare them with the initiator's). */
const struct ike_alg *ike_sa_alg(const struct ike_sa *sa);
const struct ike_keys *ike_sa_keys(const struct ike_sa *sa);
/** True if the peer's NAT_DETECTION_SOURCE_IP did not match its address (§2.23). */
bool ike_sa_peer_behind_nat(const struct ike_sa *sa);

/** NAT detection hash (§2.23): SHA-1(SPIi | SPIr | IP | port). */
int ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const struct ike_addr *a, uint8_t out[20]);

#endif
