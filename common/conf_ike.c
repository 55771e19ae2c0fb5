/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The "ike" section's schema (see conf_ike.h); controlplane/ike/ike_conf.c reads it. */
#include "common/conf_ike.h"

#include <stddef.h>

#define POOL_NAME_MAX RP_CONF_IKE_POOL_NAME_MAX
#define IKE_KEYRING_PSK_MAX RP_CONF_IKE_PSK_MAX

static const char *const encr_choices[] = { "aes128gcm16", "aes256gcm16", "chacha20poly1305",
					    "aes128", "aes256", NULL };
static const char *const prf_choices[] = { "prfsha256", "prfsha384", "prfsha512", NULL };
static const char *const integ_choices[] = { "sha256", "sha384", "sha512", NULL };
static const char *const dh_choices[] = { "curve25519", "ecp256", "ecp384", "ecp521",
					  "modp2048", "modp3072", "modp4096", NULL };
static const char *const esn_choices[] = { "both", "yes", "no", NULL };

static const char *const dpd_mode_choices[] = { "on-demand", "periodic", "off", NULL };

static const struct rp_cfg_schema dpd_schema[] = {
	{ .name = "interval", .kind = RP_CFG_INT, .min = 1, .max = 3600,
	  .help = "s the peer may stay silent before a liveness check (default 30)" },
	{ .name = "retry", .kind = RP_CFG_INT, .min = 1, .max = 60,
	  .help = "s per retry: a check unanswered for retry x retries means dead (default 2)" },
	{ .name = "retries", .kind = RP_CFG_INT, .min = 1, .max = 10,
	  .help = "see retry (default 5)" },
	{ .name = "mode", .kind = RP_CFG_STRING, .choices = dpd_mode_choices,
	  .help = "on-demand (default: only while sending ESP and receiving none), periodic, off" },
	{ 0 }
};

static const struct rp_cfg_schema pool4_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .min = 1, .max = POOL_NAME_MAX - 1,
	  .help = "pool name (default \"default\"): the IPv4 pool of sessions whose "
		  "authorization policy names none" },
	{ .name = "first", .kind = RP_CFG_STRING, .required = true, .min = 7, .max = 15,
	  .help = "first address handed out" },
	{ .name = "last", .kind = RP_CFG_STRING, .required = true, .min = 7, .max = 15,
	  .help = "last address handed out" },
	{ .name = "netmask", .kind = RP_CFG_INT, .min = 1, .max = 32,
	  .help = "prefix length announced as INTERNAL_IP4_NETMASK (default 32)" },
	{ .name = "dns", .kind = RP_CFG_STRINGS, .max = 15, .help = "one or two DNS servers" },
	{ 0 }
};

static const struct rp_cfg_schema pool6_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .min = 1, .max = POOL_NAME_MAX - 1,
	  .help = "pool name (default \"default\"): the IPv6 pool of sessions whose "
		  "authorization policy names none" },
	{ .name = "prefix", .kind = RP_CFG_STRING, .required = true, .min = 4, .max = 49,
	  .help = "\"2001:db8:9::/112\": addresses prefix+1, +2... (length 64..127)" },
	{ .name = "dns", .kind = RP_CFG_STRINGS, .max = 45, .help = "one or two DNS servers" },
	{ 0 }
};

/* ike.proposals: named IKE proposals that ikev2 profiles restrict their IKE SAs to */
static const struct rp_cfg_schema proposal_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = 63,
	  .help = "proposal name (crypto ikev2 proposal NAME), named by ikev2 profiles" },
	{ .name = "encryption", .kind = RP_CFG_STRINGS, .choices = encr_choices,
	  .help = "ciphers allowed (default any)" },
	{ .name = "prf", .kind = RP_CFG_STRINGS, .choices = prf_choices,
	  .help = "PRFs allowed (default any)" },
	{ .name = "integrity", .kind = RP_CFG_STRINGS, .choices = integ_choices,
	  .help = "integrity algorithms allowed with AES-CBC (default any)" },
	{ .name = "dh_groups", .kind = RP_CFG_STRINGS, .choices = dh_choices,
	  .help = "DH groups allowed (default any)" },
	{ 0 }
};

/* ike.policies: which named proposals IKE_SA_INIT may choose from, by the local address the
 * request arrived on (controlplane/ike/ike_policy.c) */
static const struct rp_cfg_schema policy_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = 63,
	  .help = "policy name (crypto ikev2 policy NAME)" },
	{ .name = "proposals", .kind = RP_CFG_STRINGS, .required = true, .max = 63,
	  .help = "names of ike.proposals in our order of preference, 1..16 (proposal NAME)" },
	{ .name = "match_address_local", .kind = RP_CFG_STRINGS, .max = 49,
	  .help = "our addresses or prefixes this policy applies to, up to 8 (match address "
		  "local); absent: any" },
	{ 0 }
};

/* ike.pools: IPv4 with first and last, IPv6 with prefix (controlplane/pool/pool_set.c) */
static const struct rp_cfg_schema pools_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1,
	  .max = POOL_NAME_MAX - 1,
	  .help = "pool name (ip local pool NAME), named by authorization policies" },
	{ .name = "first", .kind = RP_CFG_STRING, .min = 7, .max = 15,
	  .help = "IPv4: first address handed out" },
	{ .name = "last", .kind = RP_CFG_STRING, .min = 7, .max = 15,
	  .help = "IPv4: last address handed out" },
	{ .name = "prefix", .kind = RP_CFG_STRING, .min = 4, .max = 49,
	  .help = "IPv6: \"2001:db8:9::/112\": addresses prefix+1, +2... (length 64..127)" },
	{ .name = "netmask", .kind = RP_CFG_INT, .min = 1, .max = 32,
	  .help = "IPv4: prefix length announced as INTERNAL_IP4_NETMASK (default 32)" },
	{ .name = "dns", .kind = RP_CFG_STRINGS, .max = 45, .help = "one or two DNS servers" },
	{ 0 }
};

static const struct rp_cfg_schema peer_schema[] = {
	{ .name = "identity", .kind = RP_CFG_STRING, .required = true, .min = 3, .max = 300,
	  .help = "\"fqdn NAME\", \"email NAME\", \"address A\" or \"key-id HEX\"" },
	{ .name = "pre_shared_key", .kind = RP_CFG_STRING, .required = true, .min = 1,
	  .max = IKE_KEYRING_PSK_MAX, .help = "the key, used in both directions" },
	{ 0 }
};

const struct rp_cfg_schema rp_conf_ike_schema[] = {
	{ .name = "listen", .kind = RP_CFG_STRINGS, .max = 45,
	  .help = "addresses IKE listens on (default [\"0.0.0.0\"])" },
	{ .name = "port", .kind = RP_CFG_INT, .min = 0, .max = 65535,
	  .help = "IKE port (default 500; 0 = any free port, for tests)" },
	{ .name = "nat_port", .kind = RP_CFG_INT, .min = 0, .max = 65535,
	  .help = "IKE port with the non-ESP marker, RFC 3948 (default 4500; 0 = any, tests)" },
	{ .name = "local_id", .kind = RP_CFG_STRING, .min = 3, .max = 140,
	  .help = "our IDr: \"fqdn NAME\", \"email NAME\", \"address A\" (default: our address)" },
	{ .name = "encryption", .kind = RP_CFG_STRINGS, .choices = encr_choices,
	  .help = "IKE SA ciphers in our order (default all, AEAD first)" },
	{ .name = "prf", .kind = RP_CFG_STRINGS, .choices = prf_choices,
	  .help = "IKE SA PRFs (default prfsha256, prfsha384, prfsha512)" },
	{ .name = "integrity", .kind = RP_CFG_STRINGS, .choices = integ_choices,
	  .help = "IKE SA integrity for AES-CBC (default sha256, sha384, sha512)" },
	{ .name = "dh_groups", .kind = RP_CFG_STRINGS, .choices = dh_choices,
	  .help = "DH groups; the first is asked for in INVALID_KE_PAYLOAD (default all, "
		  "curve25519 first)" },
	{ .name = "esp_encryption", .kind = RP_CFG_STRINGS, .choices = encr_choices,
	  .help = "CHILD_SA ciphers (default all, AEAD first)" },
	{ .name = "esp_integrity", .kind = RP_CFG_STRINGS, .choices = integ_choices,
	  .help = "CHILD_SA integrity for AES-CBC (default sha256, sha384, sha512)" },
	{ .name = "esp_esn", .kind = RP_CFG_STRING, .choices = esn_choices,
	  .help = "extended sequence numbers: both (default), yes (required), no" },
	{ .name = "replay_window", .kind = RP_CFG_INT, .min = 64, .max = 4096,
	  .help = "inbound ESP anti-replay window, a multiple of 64 (default 128)" },
	{ .name = "cookie_threshold", .kind = RP_CFG_INT, .min = 0, .max = 1000000,
	  .help = "half-open SAs from which cookies are required (default 100)" },
	{ .name = "max_half_open", .kind = RP_CFG_INT, .min = 1, .max = 1000000,
	  .help = "half-open SAs at most (default 1024)" },
	{ .name = "max_half_open_per_peer", .kind = RP_CFG_INT, .min = 1, .max = 1000000,
	  .help = "half-open SAs from one source address (IPv6: one /64) at most (default 10)" },
	{ .name = "crypto_threads", .kind = RP_CFG_INT, .min = 0, .max = 64,
	  .help = "worker threads for public-key work (DH, signatures); 0: on the event loop "
		  "(default: the CPUs rampartd may run on, at most 4)" },
	{ .name = "dpd", .kind = RP_CFG_GROUP, .children = dpd_schema,
	  .help = "dead peer detection (RFC 7296 §2.4): interval, retry, retries, mode" },
	{ .name = "lifetime", .kind = RP_CFG_INT, .min = 10, .max = 2592000,
	  .help = "s after which we rekey an IKE SA the client has not rekeyed (default 86400)" },
	{ .name = "child_lifetime", .kind = RP_CFG_INT, .min = 10, .max = 604800,
	  .help = "s after which we rekey a CHILD_SA the client has not rekeyed (default 3600)" },
	{ .name = "child_lifetime_kb", .kind = RP_CFG_INT, .min = 0, .max = 2147483647,
	  .help = "kB through a CHILD_SA (either direction) before we rekey it (default 0: no "
		  "volume limit)" },
	{ .name = "fragment_size", .kind = RP_CFG_INT, .min = 576, .max = 65535,
	  .help = "largest IP datagram of an encrypted IKE message we send before we split it "
		  "into RFC 7383 fragments (peers that support it; default 576 over IPv4, 1280 "
		  "over IPv6)" },
	{ .name = "nat_keepalive", .kind = RP_CFG_INT, .min = 0, .max = 3600,
	  .help = "s between NAT keepalives when we are behind a NAT (RFC 3948; default 20, 0 off)" },
	{ .name = "local_subnets", .kind = RP_CFG_STRINGS, .max = 49,
	  .help = "our side of the tunnels, up to 4 prefixes (default 0.0.0.0/0 and ::/0)" },
	{ .name = "pool", .kind = RP_CFG_GROUP, .children = pool4_schema,
	  .help = "IPv4 addresses for clients (config mode)" },
	{ .name = "ipv6_pool", .kind = RP_CFG_GROUP, .children = pool6_schema,
	  .help = "IPv6 addresses for clients" },
	{ .name = "proposals", .kind = RP_CFG_LIST, .max = 16, .children = proposal_schema,
	  .help = "named IKE proposals: the algorithms the IKE SAs of an ikev2 profile naming "
		  "one may use (checked at IKE_AUTH); ike.policies offer them at IKE_SA_INIT" },
	{ .name = "policies", .kind = RP_CFG_LIST, .max = 16, .children = policy_schema,
	  .help = "IKEv2 policies: the proposals IKE_SA_INIT chooses from by the local address "
		  "(none matches: the lists above)" },
	{ .name = "pools", .kind = RP_CFG_LIST, .max = 254, .children = pools_schema,
	  .help = "named address pools (IPv4 first/last or IPv6 prefix), taken by the "
		  "authorization policies' pool and ipv6_pool" },
	{ .name = "peers", .kind = RP_CFG_LIST, .max = 100000, .children = peer_schema,
	  .help = "PSK peers" },
	{ 0 }
};
