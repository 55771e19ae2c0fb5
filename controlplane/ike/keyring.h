/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file keyring.h
 * Pre-shared keys by peer identity (RFC 7296 §2.15), and the authenticator that checks a
 * peer's PSK AUTH with them and computes ours (struct ike_authenticator of ike_sa.h).
 *
 * The keys stay inside this module: the responder hands over the octets to MAC and gets
 * back "authenticated or not" and our AUTH, never a key. The comparison is constant-time.
 *
 * Ownership: ike_keyring_add() copies the identity and the key; ike_keyring_destroy() wipes
 * and frees them. Single-threaded.
 */
#ifndef RAMPART_IKE_KEYRING_H
#define RAMPART_IKE_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#include "controlplane/ike/ike_sa.h"

#define IKE_KEYRING_ID_MAX 255u
#define IKE_KEYRING_PSK_MAX 256u

struct ike_keyring;

int ike_keyring_create(struct ike_keyring **out);
void ike_keyring_destroy(struct ike_keyring *k);

/**
 * Add (or replace) the key of identity (@p id_type, @p id). FQDN / RFC822 identities match
 * case-insensitively, others byte for byte.
 * @return 0, -EINVAL (empty or too long identity or key), -ENOMEM.
 */
int ike_keyring_add(struct ike_keyring *k, uint8_t id_type, const void *id, size_t id_len,
		    const void *psk, size_t psk_len);

/** An authenticator over @p k (synchronous: verify() always answers at once). */
void ike_keyring_authenticator(struct ike_keyring *k, struct ike_authenticator *out);

#endif
