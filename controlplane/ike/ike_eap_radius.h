/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ike_eap_radius.h
 * The RADIUS side of the IKEv2 EAP relay (struct ike_eap_backend of ike_eap.h) in rampartd:
 * the `aaa` section's EAP authentication lists (docs/aaa.md), one asynchronous RADIUS client
 * (controlplane/aaa/radius_client.h) per server group they name.
 *
 * Each EAP Response of a client becomes an Access-Request: User-Name (the EAP identity),
 * EAP-Message (split at 253 octets) and Message-Authenticator, the State of the last
 * Access-Challenge, Service-Type Framed, NAS-Port-Type Virtual, Calling-Station-Id (the
 * client's address), NAS-IP-Address / NAS-IPv6-Address (ours), Framed-MTU 1400 (keeps
 * EAP-TLS fragments inside an IKE message). Access-Challenge gives the next EAP Request;
 * Access-Accept the EAP-Success and the MSK (MS-MPPE-Recv-Key | MS-MPPE-Send-Key, RFC
 * 2548, decrypted with the answering server's secret); Access-Reject a failure. When no
 * server of a group answers (the client fails over between the group's servers) the next
 * `group` method of the list is asked. The method `local` (it ends a list) is rampartd's own
 * EAP server (controlplane/aaa/eap_local.h) on the local users (local_users.h): used alone,
 * or after groups only when none of them answered at the start of a conversation (IOS: a
 * reject is final); its answers come from the event loop like RADIUS ones, its State (tagged
 * with a random per-process prefix) routes the next rounds back to it. That is
 * for the first round only: a round with a State goes to the group and server that issued
 * it (radius_client.h), and fails if that server is silent.
 * A profile without `aaa.authentication_eap` uses the first EAP list.
 *
 * Ownership: create() reads the configuration (nothing of it is kept) and borrows @p base;
 * destroy() cancels what is pending (callbacks are not called).
 */
#ifndef RAMPART_IKE_IKE_EAP_RADIUS_H
#define RAMPART_IKE_IKE_EAP_RADIUS_H

#include <stdbool.h>

#include "common/cfg.h"
#include "controlplane/ike/ike_eap.h"

struct event_base;
struct ike_eap_radius;

/**
 * @return 0 and *@p out (NULL when the configuration has no EAP authentication list),
 * -EINVAL (a list names a group that cannot be used, logged), -ENOMEM.
 */
int ike_eap_radius_create(struct event_base *base, const struct rp_cfg *cfg,
			  struct ike_eap_radius **out);
void ike_eap_radius_destroy(struct ike_eap_radius *er);
/** True if @p name ("" = the default) is one of the EAP lists. */
bool ike_eap_radius_has_list(const struct ike_eap_radius *er, const char *name);
void ike_eap_radius_backend(struct ike_eap_radius *er, struct ike_eap_backend *out);

#endif
