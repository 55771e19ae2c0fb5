/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ike_conf.h
 * The "ike" configuration section of rampartd: listening sockets, our identity, IKE and
 * ESP algorithms, the protected subnets, the address pools and the PSK peers.
 *
 * The schema is rp_conf_ike_schema (common/conf_ike.c), the top-level group "ike" of
 * the main configuration file (common/conf.c), shared with rampart-dp:
 *
 *     ike = {
 *       listen = [ "192.0.2.1" ];              # default "0.0.0.0"
 *       port = 500; nat_port = 4500;
 *       local_id = "fqdn vpn.example.test";    # default: our address
 *       esp_encryption = [ "aes256gcm16", "aes128gcm16", "chacha20poly1305", "aes256" ];
 *       local_subnets = [ "10.1.0.0/16" ];
 *       pool = { first = "10.9.0.10"; last = "10.9.0.250"; dns = [ "10.1.0.53" ]; };
 *       pools = ( { name = "green"; first = "10.9.1.10"; last = "10.9.1.99"; } );  # pool_set.h
 *       proposals = ( { name = "strong"; encryption = [ "aes256gcm16" ]; } );
 *       policies = ( { name = "p"; proposals = [ "strong" ];     # IKE_SA_INIT (ike_policy.c)
 *                      match_address_local = [ "192.0.2.1" ]; } );
 *       peers = ( { identity = "email alice@example.test"; pre_shared_key = "..."; } );
 *       max_half_open_per_peer = 10;
 *       dpd = { interval = 30; retry = 2; retries = 5; mode = "on-demand"; };
 *       nat_keepalive = 20;
 *       crypto_threads = 2;                    # DH / signature workers; 0: on the loop
 *     };
 *
 * Ownership: ike_conf_parse() fills caller memory and creates the pools and the keyring,
 * which the caller then owns.
 */
#ifndef RAMPART_IKE_CONF_H
#define RAMPART_IKE_CONF_H

#include "common/cfg.h"
#include "controlplane/ike/ike_dpd.h"
#include "controlplane/ike/ike_sa.h"
#include "controlplane/ike/keyring.h"
#include "controlplane/pool/pool.h"
#include "controlplane/pool/pool_set.h"

#define IKE_CONF_MAX_LISTEN 4

struct ike_conf {
	struct ike_resp_cfg resp;
	unsigned n_listen;
	struct ike_addr listen[IKE_CONF_MAX_LISTEN]; /**< ports unset */
	uint16_t port, nat_port;
	unsigned nat_keepalive;        /**< s between NAT keepalives when we are behind a NAT */
	unsigned crypto_threads;       /**< public-key worker threads; 0: on the event loop */
	struct ike_named_proposal proposals[IKE_PROPOSALS_MAX]; /**< ike.proposals */
	unsigned n_proposals;
	struct ike_policy policies[IKE_POLICIES_MAX]; /**< ike.policies (their proposals) */
	unsigned n_policies;
	struct pool_set *pools;        /**< every pool: ike.pool, ike.ipv6_pool, ike.pools */
	struct pool *pool4, *pool6;    /**< the default pools (in pools), or NULL */
	struct ike_keyring *keyring;
	unsigned n_peers;
};

/**
 * Read the "ike" group @p s of @p c (NULL: every default, no peers). Semantic errors are
 * reported through rp_cfg_error() (FILE:LINE form). @return 0, -EINVAL, -ENOMEM.
 */
int ike_conf_parse(struct rp_cfg *c, const config_setting_t *s, struct ike_conf *out);

/** Free what ike_conf_parse() created. */
void ike_conf_free(struct ike_conf *conf);

#endif
