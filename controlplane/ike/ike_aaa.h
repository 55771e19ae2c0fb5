/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ike_aaa.h
 * RADIUS accounting and dynamic authorization for IKEv2 sessions in rampartd: the glue
 * between the responder (ike_sa.h session hooks, ike_dpd.h clear), the dataplane's SA
 * counters (STATS_REQ through dpif) and controlplane/aaa/acct.h and dae.h.
 *
 * Accounting: a session of an ikev2 profile with `aaa.accounting = "LIST"` gets a Start when
 * IKE_AUTH establishes it (User-Name: its EAP identity, else its IKE identity;
 * Framed-IP-Address: its pool address; Calling-Station-Id: the client's address;
 * NAS-IP(v6)-Address: the address it reached us on), Interim-Updates at the list's
 * interim_interval and a Stop when it ends, with the counters of its CHILD_SAs asked from
 * the dataplane before they are removed (plus those of CHILD_SAs already gone).
 *
 * Dynamic authorization (aaa.dynamic_author): Disconnect-Request clears the matching
 * sessions (as `clear session` does: Acct-Terminate-Cause Admin-Reset), CoA-Request's
 * Session-Timeout sets when they end.
 *
 * Ownership: create() reads the configuration (nothing is kept), borrows the event base,
 * the dpif (may be NULL: no counters), the responder and the policy set, which must
 * outlive it; destroy() first, then the responder.
 */
#ifndef RAMPART_IKE_IKE_AAA_H
#define RAMPART_IKE_IKE_AAA_H

#include "common/cfg.h"

struct event_base;
struct dpif;
struct ike_resp;
struct pol_set;
struct ike_aaa;

/**
 * @return 0 and *@p out (NULL when the configuration asks for neither accounting nor
 * dynamic authorization), -EINVAL (logged), -errno of the DAE socket, -ENOMEM.
 */
int ike_aaa_create(struct event_base *base, const struct rp_cfg *cfg, const struct pol_set *ps,
		   struct ike_resp *r, struct dpif *dpif, struct ike_aaa **out);
void ike_aaa_destroy(struct ike_aaa *x);

struct mgmt;
/** Register "show aaa" (accounting and DAE counters) on @p m; a no-op for @p x NULL. */
int ike_aaa_register(struct ike_aaa *x, struct mgmt *m);

#endif
