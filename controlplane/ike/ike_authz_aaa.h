/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ike_authz_aaa.h
 * rampartd's IKEv2 authorization backend (struct ike_authz_backend, ike_authz.h): the
 * profile's `aaa.authorization_user` / `aaa.authorization_group` (docs/config.md) as the
 * reference describes them, for what can be answered without asking a server:
 *
 *   user eap cached        the attributes of the Access-Accept that ended EAP
 *                          (controlplane/aaa/authz.h: Framed-IP-Address, ipsec:* AV-pairs);
 *   user psk cached        those of the Access-Accept that gave the peer's keyring_aaa key
 *                          (kept by the PSK source below for that peer address and
 *                          identity, without the keys, 60 s at most, 256 peers);
 *                          with a `list` as well, that list is asked only when the cached
 *                          attributes are none or lack the Framed-IP-Address (reference)
 *   user|group list local  the local authorization policy named by `username`, or by the
 *                          name the profile's `name_mangler` derives from the peer's
 *                          identity (EAP identity after EAP), or by the identity itself; a
 *                          name with no such policy refuses the session (IOS does too)
 *
 *   user|group list L      L an `aaa.authorization` list: its methods in order; `group G`
 *                          sends an Access-Request to RADIUS group G (User-Name = the
 *                          name as above, User-Password "cisco" as IOS sends,
 *                          Service-Type Outbound, NAS-Port-Type Virtual,
 *                          Calling-Station-Id, NAS-IP(v6)-Address); the
 *                          Access-Accept's attributes (controlplane/aaa/authz.h) are the
 *                          source; Access-Reject refuses the session; no answer from the
 *                          group: the next method; `local`: the local policy of the name
 *
 * merged with user over cached, user over group unless `override`, the profile's own
 * authorization policy for the rest; the result, with its sources, is logged. User
 * authorization is asked before group authorization (one request at a time).
 *
 * Ownership: the backend borrows @p set (the policy model pointer, re-read at each call).
 */
#ifndef RAMPART_IKE_IKE_AUTHZ_AAA_H
#define RAMPART_IKE_IKE_AUTHZ_AAA_H

#include "controlplane/ike/ike_authz.h"
#include "controlplane/policy/policy.h"

struct event_base;
struct ike_authz_aaa;

/**
 * A backend reading the policy model through *@p set and, for RADIUS lists, the `aaa`
 * section of @p cfg (borrowed, must outlive it; RADIUS clients are made on first use on
 * @p base; NULL @p base: RADIUS lists fail). @return 0 or -ENOMEM.
 */
int ike_authz_aaa_create(struct event_base *base, const struct rp_cfg *cfg,
			 struct pol_set *const *set, struct ike_authz_aaa **out);
/** Cancel what is pending (no callbacks) and free. NULL is a no-op. */
void ike_authz_aaa_destroy(struct ike_authz_aaa *x);
void ike_authz_aaa_backend(struct ike_authz_aaa *x, struct ike_authz_backend *out);

struct ike_psk_source;
/**
 * The PSK source of a profile's `keyring_aaa` (ike_cert.h): an Access-Request as for
 * authorization (User-Name the mangled identity, User-Password the keyring_aaa's password)
 * to each RADIUS group of the list in turn (`local` holds no keys: skipped; no answer: the
 * next); the Access-Accept's ipsec:ikev2-password-remote / -local or Tunnel-Password are
 * the keys (aaa_authz_psk()); Access-Reject or none of them: refused. At most 1024 lookups
 * at once; all of them asynchronous.
 */
void ike_authz_aaa_psk_source(struct ike_authz_aaa *x, struct ike_psk_source *out);

#endif
