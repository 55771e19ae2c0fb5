/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ike_authz.h
 * IKEv2 authorization of an authenticated session (reference 001, "IKEv2 Authorization"):
 * a backend (rampartd: ike_authz_radius.h) turns what AAA said about the peer into the
 * session's effective authorization policy, which replaces the profile's for config mode
 * (ike_cfg.c), the pools, the flow limit and the session lifetime, and may give the
 * Framed-IP-Address (and the IPv6 address: ipsec:addrv6 with ipsec:prefix-len, or
 * Framed-IPv6-Address) that the client gets instead of a pool lease (address source order:
 * the AAA address, then the pool).
 *
 * Called once per session in IKE_AUTH, after authentication and the profile's policy
 * (ike_sa_apply_policy()), before the CHILD_SA and its CFG_REPLY. The backend answers at
 * once from what it has (the Access-Accept that ended EAP, for `aaa authorization user eap
 * cached`; local policies), or later when it asks a RADIUS server (the IKE_AUTH task waits;
 * nothing blocks).
 *
 * Ownership: what authorize() returns in struct ike_authz_out belongs to the IKE SA from
 * then on (moved to its rekeyed successor), released with out->release(out->owned) when
 * the session ends.
 */
#ifndef RAMPART_IKE_IKE_AUTHZ_H
#define RAMPART_IKE_IKE_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pol_profile;
struct pol_authz;
struct ike_resp;

/** What the backend is told about the session (views, valid during the call). */
struct ike_authz_query {
	const struct pol_profile *profile;  /**< never NULL */
	const struct pol_authz *authz;      /**< the profile's local policy, or NULL */
	uint8_t id_type;                    /**< the peer's IDi (IKE_ID_*) */
	const uint8_t *id;
	size_t id_len;
	uint8_t method;                     /**< the peer's AUTH method (IKE_AUTH_*; 0: EAP) */
	bool eap;                           /**< authenticated with EAP */
	const uint8_t *eap_id;              /**< the EAP identity (eap), else NULL */
	size_t eap_id_len;
	const uint8_t *accept;              /**< the Access-Accept that ended EAP, or NULL */
	size_t accept_len;
	uint64_t spi_i, spi_r;              /**< for logs */
	uint8_t peer_af, local_af;          /**< 4 / 6: Calling-Station-Id, NAS-IP(v6)-Address */
	uint8_t peer[16], local[16];
};

struct ike_authz_out {
	const struct pol_authz *authz;      /**< the effective policy; NULL: keep the profile's */
	bool has_framed4;
	uint8_t framed4[4];                 /**< Framed-IP-Address */
	bool has_framed6;
	uint8_t framed6[16];                /**< ipsec:addrv6 or Framed-IPv6-Address */
	uint8_t framed6_plen;               /**< its prefix length in INTERNAL_IP6_ADDRESS */
	void (*release)(void *owned);       /**< frees what authz points into */
	void *owned;
};

/** The answer of a pending authorize(): @p rc 0 (with @p out) or -EACCES. */
typedef void (*ike_authz_cb)(void *cb_arg, int rc, const struct ike_authz_out *out);

/**
 * authorize(): 0 (out filled, or left empty: nothing to change); 1: pending (a RADIUS
 * server is asked), @p cb follows exactly once, never from within authorize(), and
 * *@p handle is valid for cancel() until then; or -EACCES: the session is refused
 * (AUTHENTICATION_FAILED; the reason logged by the backend).
 * cancel(): @p cb of @p handle is not called (the IKE_AUTH went away).
 */
struct ike_authz_backend {
	int (*authorize)(void *arg, const struct ike_authz_query *q, struct ike_authz_out *out,
			 ike_authz_cb cb, void *cb_arg, void **handle);
	void (*cancel)(void *arg, void *handle);
	void *arg;
};

/** Attach the authorization backend (copied; without one the profile's policy applies). */
void ike_resp_set_authz(struct ike_resp *r, const struct ike_authz_backend *be);

#endif
