/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file policy.h
 * The policy model of rampartd: IKEv2 profiles, keyrings, local authorization policies,
 * access lists, certificate maps and trustpoints, built from the configuration's `pki`,
 * `ikev2` and `access_lists` sections (docs/config.md), and the choice of a profile for a
 * peer.
 *
 * Nothing here knows IKEv2 wire formats: IKEv2, IKEv1 and AnyConnect describe their peer
 * with struct pol_peer and get a profile, a group and an authorization policy back, with the
 * reasoning logged (component "policy") and kept in struct pol_result for the caller.
 *
 * Profile choice (deterministic):
 *   1. Profiles whose `match.address_local` excludes our address are skipped.
 *   2. If the peer presented a certificate, the first profile (configuration order) with a
 *      matching certificate map wins: as in IOS, a certificate map's profile overrides what
 *      the identity would select ("certificate map cert_map matches profile certpro").
 *   3. Otherwise the first profile whose `match.identity_remote` matches the peer's identity.
 *   4. No profile: the peer is refused ("matches none of the profiles").
 * A profile's group is `group`, else the name of its authorization policy.
 *
 * Ownership: pol_set_build() returns a set the caller frees with pol_set_free(); every
 * pointer in a pol_result points into the set and lives as long as it.
 */
#ifndef RAMPART_POLICY_POLICY_H
#define RAMPART_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "common/cfg.h"
#include "controlplane/pki/certmap.h"
#include "controlplane/pki/trustpoint.h"
#include "controlplane/policy/acl.h"
#include "controlplane/policy/mangle.h"

/** Peer identity types, independent of the protocol's numbering. */
enum pol_id_type {
	POL_ID_NONE = 0,
	POL_ID_IPV4,     /**< 4 bytes */
	POL_ID_IPV6,     /**< 16 bytes */
	POL_ID_FQDN,
	POL_ID_EMAIL,    /**< RFC 822 address */
	POL_ID_DN,       /**< DER of an X.501 Name */
	POL_ID_KEY_ID,   /**< opaque bytes */
};

/** Remote authentication methods (bit mask). */
enum {
	POL_AUTH_RSA_SIG = 1,
	POL_AUTH_ECDSA_SIG = 2,
	POL_AUTH_PSK = 4,
	POL_AUTH_EAP = 8,
};

/* ---- keyrings --------------------------------------------------------------------------- */

struct pol_keyring_peer {
	char name[POL_NAME_MAX];
	bool has_addr;
	struct pol_prefix addr;
	enum pol_id_type id_type;     /**< POL_ID_NONE when no identity is configured */
	uint8_t id[256];
	size_t id_len;
	uint8_t *psk_local, *psk_remote;  /**< owned; wiped on free */
	size_t psk_local_len, psk_remote_len;
};

struct pol_keyring {
	char name[POL_NAME_MAX];
	unsigned n;
	struct pol_keyring_peer *peers;
};

/**
 * The keyring peer for a remote party: an identity match first (FQDN and e-mail compared
 * without regard to case), else the longest address prefix containing @p raddr; among
 * equals the first configured. @p why (may be NULL) says which rule decided.
 * @return the peer or NULL.
 */
const struct pol_keyring_peer *pol_keyring_lookup(const struct pol_keyring *kr,
						  enum pol_id_type id_type, const void *id,
						  size_t id_len, uint8_t raddr_af,
						  const uint8_t *raddr, char *why, size_t whylen);

/* ---- authorization policies ------------------------------------------------------------- */

#define POL_MAX_SPLIT_DNS 10
#define POL_MAX_BACKUP_GW 10

struct pol_authz {
	char name[POL_NAME_MAX];
	char pool[32], ipv6_pool[32];
	bool has_netmask;
	uint8_t netmask_plen;
	unsigned n_dns, n_dns6, n_wins;
	uint8_t dns[2][4], dns6[2][16], wins[2][4];
	char dhcp_server[256], dhcp_giaddr[64];
	int dhcp_timeout;
	char route_interface[64];
	const struct pol_acl *route_acl, *route_acl6;
	unsigned n_route_remote;
	struct pol_prefix *route_remote;   /**< owned */
	bool route_accept;
	int route_accept_tag, route_accept_distance;  /**< 0 = not set */
	char *banner;                      /**< owned, NULL if absent */
	char def_domain[256];
	unsigned n_split_dns, n_backup_gw;
	char *split_dns[POL_MAX_SPLIT_DNS], *backup_gw[POL_MAX_BACKUP_GW];  /**< owned */
	bool pfs, include_local_lan, smartcard_removal_disconnect;
	char *config_url;                  /**< owned, NULL if absent */
	char config_version[33];
	long session_lifetime;             /**< seconds; 0 = none */
	long flow_limit;                   /**< -1 = no limit */
	char attr_list[POL_NAME_MAX];
	unsigned n_interface_config;
	char **interface_config;           /**< owned: the attribute list's values */
};

/* ---- profiles --------------------------------------------------------------------------- */

enum pol_match_kind {
	POL_MATCH_ANY,
	POL_MATCH_ADDRESS,       /**< IPv4/IPv6 identity within a prefix */
	POL_MATCH_FQDN,
	POL_MATCH_FQDN_DOMAIN,   /**< equal to the domain or ending in ".domain" */
	POL_MATCH_EMAIL,
	POL_MATCH_EMAIL_DOMAIN,  /**< part after '@' equal to the domain */
	POL_MATCH_KEY_ID,        /**< byte for byte; '*' matches any run of bytes */
};

struct pol_match_id {
	enum pol_match_kind kind;
	struct pol_prefix pfx;
	char value[256];
	size_t value_len;
	char text[300];          /**< as configured, for logs */
};

struct pol_aaa_author {
	bool set;
	unsigned methods;        /**< POL_AUTH_* bits: cert = RSA|ECDSA, eap, psk */
	char list[POL_NAME_MAX], username[256], name_mangler[POL_NAME_MAX];
	bool cached, override;
};

/** A profile's `keyring_aaa` (IOS `keyring aaa LIST [name-mangler M] [password P]`): the
 * pre-shared keys of its peers asked from AAA in IKE_AUTH (ike_cert.h). */
struct pol_keyring_aaa {
	bool set;
	char list[POL_NAME_MAX];         /**< an aaa.authorization list */
	char name_mangler[POL_NAME_MAX]; /**< "" = the identity is the User-Name */
	char password[129];              /**< User-Password of the Access-Request */
};

/** Our identity towards a profile's peers (IOS "identity local"). */
enum pol_id_local {
	POL_IDL_DEFAULT = 0,     /**< not configured: ike.local_id */
	POL_IDL_ADDRESS,         /**< the address the peer reached us on */
	POL_IDL_DN,              /**< the subject of the certificate we authenticate with */
	POL_IDL_FQDN,
	POL_IDL_EMAIL,
	POL_IDL_KEY_ID,
};

struct pol_profile {
	char name[POL_NAME_MAX];
	unsigned n_ids, n_maps, n_local, n_tps, n_proposals;
	struct pol_match_id *ids;
	const struct pki_certmap **maps;
	struct pol_prefix *local;
	int auth_local;                  /**< one POL_AUTH_* (never EAP) */
	unsigned auth_remote;            /**< POL_AUTH_* mask */
	bool eap_query_identity;
	int eap_timeout;                 /**< seconds, 0 = default */
	char **tp_names;                 /**< owned */
	struct pki_tp **tps;             /**< NULL entries when built without files */
	const struct pol_keyring *keyring;
	struct pol_keyring_aaa keyring_aaa; /**< excludes keyring */
	enum pol_id_local id_local;      /**< identity_local */
	char id_local_value[256];        /**< its NAME / ID (fqdn, email, key-id) */
	size_t id_local_len;
	long lifetime;
	bool has_lifetime;               /**< `lifetime` was configured (else IKE's applies) */
	int dpd_interval, dpd_retry;     /**< 0 = no DPD */
	bool dpd_periodic;
	int nat_keepalive;               /**< 0 = off */
	char **proposals;                /**< owned */
	const struct pol_authz *authz;
	char group[POL_NAME_MAX];        /**< "" = none */
	char aaa_eap_list[POL_NAME_MAX];
	char aaa_acct_list[POL_NAME_MAX]; /**< aaa.accounting, "" = no accounting */
	struct pol_aaa_author author_group, author_user;
	int virtual_template;
	/** config-exchange set send / set accept (IOS default: both on): push a CFG_SET to a
	 * peer that sent no CFG_REQUEST; answer a peer's CFG_SET with CFG_ACK */
	bool cfg_set_send, cfg_set_accept;
};

/* ---- the set ---------------------------------------------------------------------------- */

struct pol_set {
	unsigned n_profiles, n_keyrings, n_authz, n_acls, n_maps, n_tps;
	struct pol_profile *profiles;
	struct pol_keyring *keyrings;
	struct pol_authz *authz;
	struct pol_acl *acls;
	struct pki_certmap *maps;
	struct pki_tp **tps;             /**< NULL entries when built without files */
	char (*tp_names)[POL_NAME_MAX];
	unsigned n_manglers;
	struct pol_mangler *manglers;    /**< ikev2.name_manglers (mangle.h) */
};

/** Build flags. */
enum {
	/** Do not read certificate, key and CRL files (syntax and reference checks only). */
	POL_BUILD_NO_FILES = 1,
};

/**
 * Build the model from a loaded configuration. Every problem (duplicate names, references
 * to unknown maps / trustpoints / keyrings / policies / access lists, a certificate map used
 * by two profiles, bad rules, addresses, unreadable files) is reported with rp_cfg_error()
 * at its FILE:LINE and counted in c->n_errors.
 * @return 0 and *out, or -EINVAL (errors reported) / -ENOMEM.
 */
int pol_set_build(struct rp_cfg *c, unsigned flags, struct pol_set **out);

void pol_set_free(struct pol_set *s);

const struct pol_profile *pol_profile_find(const struct pol_set *s, const char *name);
const struct pki_certmap *pol_certmap_find(const struct pol_set *s, const char *name);
const struct pol_keyring *pol_keyring_find(const struct pol_set *s, const char *name);
const struct pol_authz *pol_authz_find(const struct pol_set *s, const char *name);
const struct pol_acl *pol_acl_find(const struct pol_set *s, const char *name);
const struct pol_mangler *pol_mangler_find(const struct pol_set *s, const char *name);

struct pool_set;

/**
 * The pools the authorization policies of @p c name (`pool`, `ipv6_pool`) must be in
 * @p pools (pool_set.h; NULL: there are none): each unknown name is reported at its
 * FILE:LINE. @return 0 or -EINVAL.
 */
int pol_check_pools(struct rp_cfg *c, const struct pool_set *pools);

/* ---- selection -------------------------------------------------------------------------- */

/** What a protocol knows about a peer when it must pick a profile. Borrowed pointers. */
struct pol_peer {
	enum pol_id_type id_type;
	const uint8_t *id;
	size_t id_len;
	uint8_t raddr_af, laddr_af;      /**< 4, 6, or 0 when unknown */
	uint8_t raddr[16], laddr[16];
	X509 *cert;                      /**< the peer's end-entity certificate, or NULL */
	STACK_OF(X509) *chain;           /**< its other certificates, or NULL */
};

#define POL_LOG_MAX 2048

struct pol_result {
	const struct pol_profile *profile;
	const char *group;               /**< NULL when the profile assigns none */
	const struct pol_authz *authz;
	const struct pki_certmap *map;   /**< the map that matched, if that decided */
	unsigned map_seq;
	const struct pki_tp *tp;         /**< pol_validate_cert(): the trustpoint that validated */
	char log[POL_LOG_MAX];           /**< the decision, one line per step */
};

/**
 * Choose the profile for @p peer (rules in the file comment).
 * @return 0 with r->profile set, or -ENOENT (no profile: the peer must be refused).
 */
int pol_select(const struct pol_set *s, const struct pol_peer *peer, struct pol_result *r);

/**
 * Validate the peer's certificate with the profile's trustpoints, in order ("Creating CERT
 * validation list: tp1, tp2"). @p at: 0 = now. @return 0 (r->tp set), -EACCES (every
 * trustpoint refused; reasons in r->log), -ENOENT (the profile has no trustpoint).
 */
int pol_validate_cert(const struct pol_profile *p, const struct pol_peer *peer, time_t at,
		      struct pol_result *r);

/**
 * The trustpoint whose certificate we present to a peer of profile @p p: the first of the
 * profile's trustpoints holding a certificate of ours whose CA the peer's CERTREQ names
 * (@p certreq: concatenated SHA-1 CA key hashes, may be empty), else the first holding a
 * certificate at all. @return it, or NULL when none of them holds one.
 */
struct pki_tp *pol_local_trustpoint(const struct pol_profile *p, const uint8_t *certreq,
				    size_t len);

/** "fqdn vpn.example.com", "address 192.0.2.1", "key-id ..." (for logs). */
const char *pol_id_format(enum pol_id_type t, const uint8_t *id, size_t len, char *buf,
			  size_t buflen);

#endif
