/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * What the IKE tests that run our responder in one process share: the responder settings
 * most of them start from, the test addresses, the PSK client, and a send callback that keeps
 * the last message the responder sent.
 */
#ifndef RAMPART_TESTS_IKE_FIXTURE_H
#define RAMPART_TESTS_IKE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "controlplane/ike/ike_sa.h"
#include "controlplane/ike/keyring.h"

/* The client of the PSK tests and its key (in the keyring fx_keyring() makes). */
#define PSK "correct horse battery staple"
#define CLIENT "alice@example.test"

/* The client and our address, IPv4, as initializers of a struct ike_addr. */
#define FX_PEER4(port) { 4, { 198, 51, 100, 7 }, port }
#define FX_LOCAL4(port) { 4, { 192, 0, 2, 1 }, port }

/**
 * The responder settings the tests start from (a copy: adjust what the test needs):
 * AES-GCM-16 256, PRF and integrity HMAC-SHA2-256, Curve25519, cookies from 100 half-open
 * SAs, IDr FQDN vpn.example.test, local traffic selector 10.1.0.0/16.
 */
struct ike_resp_cfg fx_resp_cfg(void);

/**
 * The responder offering every suite it supports in IKE_SA_INIT (AES-GCM-16 256/128,
 * ChaCha20-Poly1305, AES-CBC 256/128; HMAC-SHA2-256/384/512; Curve25519, ECP-256/384/521,
 * MODP-2048/3072/4096), cookies from 100 half-open SAs, nothing for IKE_AUTH.
 */
extern const struct ike_resp_cfg fx_all_suites;

/** The last message the responder sent (fx_capture()), and how many it sent. */
struct fx_wire {
	unsigned n;
	uint8_t buf[8192];
	size_t len;
	struct ike_addr to;
};

/** An ike_send_fn: keeps the message in the struct fx_wire @p arg (larger: a failure). */
void fx_capture(void *arg, const uint8_t *buf, size_t len, const struct ike_addr *from,
		const struct ike_addr *to);

/** What fx_info_cb() saw in an ike_resp_foreach() walk: how many SAs, the last one. */
struct fx_info {
	unsigned n;
	struct ike_sa_info last;
};

void fx_info_cb(const struct ike_sa_info *i, void *arg);

/** A keyring with CLIENT and PSK in it (failures are test failures). */
struct ike_keyring *fx_keyring(void);

#endif
