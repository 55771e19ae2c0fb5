/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file authz.h
 * IKEv2 authorization from RADIUS (the reference's "Supported RADIUS Attributes" table):
 * an Access-Accept's attributes turned into the session's authorization, in the form of a
 * local authorization policy (struct pol_authz, policy.h) that config mode (ike_cfg.c) and
 * the IKE code already consume, plus what only AAA gives (Framed-IP-Address, the IPv6
 * address, AAA pre-shared keys); and the merge of the sources.
 *
 * Attributes understood (Cisco AV-pairs are vendor 9 type 1, "protocol:attribute=value";
 * '*' instead of '=' marks an optional attribute and is read the same):
 *   Framed-IP-Address        the IPv4 address handed out instead of a pool lease
 *                            (255.255.255.255 / .254, "NAS chooses": ignored, the pool is used)
 *   Framed-IP-Netmask        netmask (INTERNAL_IP4_NETMASK)
 *   Framed-IPv6-Address      the IPv6 address (/128)
 *   Tunnel-Type, -Medium-Type, -Password (RFC 2868)  the AAA pre-shared key (both directions)
 *   ipsec:addr-pool, ipv6-addr-pool        pool names
 *   ipsec:dns-servers, wins-servers        one or two IPv4 addresses (space or comma)
 *   ipsec:ipv6-dns-servers-addr            one or two IPv6 addresses
 *   ipsec:route-set=prefix P/L             a split route (IPv4 or IPv6; repeatable)
 *   ipsec:route-set=access-list [ipv6] N   a standard access list of the configuration
 *   ipsec:route-set=interface N            kept (not announced, as for local policies)
 *   ipsec:route-accept=any [tag T] [distance D]
 *   ipsec:banner                           repeatable: the values are joined with newlines
 *   ipsec:default-domain, split-dns (repeatable, names space/comma separated),
 *   ipsec:ipsec-backup-gateway (repeatable), configuration-url, configuration-version
 *   ipsec:pfs, include-local-lan, smartcard-removal-disconnect   1/0, true/false, yes/no
 *   ipsec:ipsec-flow-limit                 0..50000
 *   ipsec:addrv6, prefix-len               the IPv6 address and its prefix length
 *   ipsec:ikev2-password-local, -remote    AAA pre-shared keys (sign ours / check the peer's)
 *   ipsec:group-dhcp-server, dhcp-giaddr, dhcp-timeout   kept (DHCP is not implemented)
 *   ip:interface-config                    repeatable (aaa attribute list)
 * A value that does not parse, exceeds a bound or repeats a single-valued attribute is
 * ignored with a precise reason (logged at warning, component "aaa", and kept in
 * aaa_authz.log); unknown ipsec: attributes likewise; other protocols' AV-pairs are ignored
 * at debug level. Nothing a RADIUS server sends can crash or grow memory without bound.
 *
 * Merge (reference, "Merging and Overriding Attributes"): user attributes over cached ones;
 * the result over group attributes, unless the profile says `override` (group over user);
 * the profile's local authorization policy for whatever none of them gave.
 *
 * Ownership: a struct aaa_authz owns what its pol_authz points to (strings, route arrays)
 * except route_acl / route_acl6, which point into the pol_set given when it was made (it
 * must outlive the aaa_authz). aaa_authz_free() releases and wipes (pre-shared keys).
 */
#ifndef RAMPART_AAA_AUTHZ_H
#define RAMPART_AAA_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/aaa/radius.h"
#include "controlplane/policy/policy.h"

#define AAA_AZ_ROUTES_MAX 64u       /**< route-set=prefix values kept */
#define AAA_AZ_IFCFG_MAX 32u        /**< ip:interface-config values kept */
#define AAA_AZ_BANNER_MAX 2048u
#define AAA_AZ_URL_MAX 1024u
#define AAA_AZ_PSK_MAX 128u
#define AAA_AZ_LOG_MAX 1024u

/** Every attribute of an authorization, with the name used in logs. */
#define AAA_AZ_FIELDS(X)                                 \
	X(POOL, "addr-pool")                             \
	X(IPV6_POOL, "ipv6-addr-pool")                   \
	X(NETMASK, "netmask")                            \
	X(DNS, "dns-servers")                            \
	X(DNS6, "ipv6-dns-servers-addr")                 \
	X(WINS, "wins-servers")                          \
	X(DHCP_SERVER, "group-dhcp-server")              \
	X(DHCP_GIADDR, "dhcp-giaddr")                    \
	X(DHCP_TIMEOUT, "dhcp-timeout")                  \
	X(ROUTE_INTERFACE, "route-set=interface")        \
	X(ROUTE_ACL, "route-set=access-list")            \
	X(ROUTE_ACL6, "route-set=access-list ipv6")      \
	X(ROUTE_REMOTE, "route-set=prefix")              \
	X(ROUTE_ACCEPT, "route-accept")                  \
	X(BANNER, "banner")                              \
	X(DEF_DOMAIN, "default-domain")                  \
	X(SPLIT_DNS, "split-dns")                        \
	X(BACKUP_GW, "ipsec-backup-gateway")             \
	X(PFS, "pfs")                                    \
	X(LOCAL_LAN, "include-local-lan")                \
	X(SMARTCARD, "smartcard-removal-disconnect")     \
	X(CONFIG_URL, "configuration-url")               \
	X(CONFIG_VERSION, "configuration-version")       \
	X(SESSION_LIFETIME, "session-lifetime")          \
	X(FLOW_LIMIT, "ipsec-flow-limit")                \
	X(INTERFACE_CONFIG, "interface-config")          \
	X(FRAMED_IP, "Framed-IP-Address")                \
	X(ADDR6, "addrv6")                               \
	X(PSK_LOCAL, "ikev2-password-local")             \
	X(PSK_REMOTE, "ikev2-password-remote")

enum aaa_az_field {
#define X(id, s) AAA_AZ_##id,
	AAA_AZ_FIELDS(X)
#undef X
	AAA_AZ_N
};

#define AAA_AZ_BIT(f) (UINT64_C(1) << (f))

struct aaa_authz {
	struct pol_authz a;          /**< the attributes in local-policy form (see Ownership) */
	uint64_t set;                /**< AAA_AZ_BIT()s of the attributes present */
	uint8_t framed_ip[4];        /**< AAA_AZ_FRAMED_IP */
	uint8_t addr6[16];           /**< AAA_AZ_ADDR6 */
	uint8_t addr6_plen;          /**< ipsec:prefix-len, default 128 */
	uint8_t *psk_local, *psk_remote;     /**< owned, wiped on free */
	size_t psk_local_len, psk_remote_len;
	unsigned n_ignored;          /**< attributes refused */
	/** where each attribute of a merge came from ("user", "group", ...; NULL: nowhere) */
	const char *from[AAA_AZ_N];
	char log[AAA_AZ_LOG_MAX];    /**< the refusals, "; "-separated (truncated) */
};

/** Log name of a field ("dns-servers"). */
const char *aaa_authz_field_name(enum aaa_az_field f);

/** An empty authorization (no attribute set; flow limit "none"). */
void aaa_authz_init(struct aaa_authz *z, const char *name);

/**
 * Read the authorization attributes of an Access-Accept.
 * @param set      the policy model, for route-set=access-list names (NULL: refused)
 * @param req_auth the Request Authenticator of the Access-Request it answers, and the
 *                 server's @p secret: needed for Tunnel-Password (NULL: it is ignored)
 * @param who      the user name, for logs
 * @param z        filled (aaa_authz_init() first is not needed); the caller frees it
 * @return 0 (refused attributes are counted in z->n_ignored, not errors), or -ENOMEM
 *         (z is then empty).
 */
int aaa_authz_from_radius(const struct radius_pkt *pkt, const struct pol_set *set,
			  const uint8_t *req_auth, const void *secret, size_t secret_len,
			  const char *who, struct aaa_authz *z);

/**
 * A local authorization policy as a source of the merge (`aaa authorization ... list
 * local`): the attributes it holds count as given (a boolean only when on). @return 0 or
 * -ENOMEM.
 */
int aaa_authz_from_policy(const struct pol_authz *p, struct aaa_authz *z);

/**
 * Merge (see the file comment): for each attribute, the first of @p user, @p cached,
 * @p group that has it (with @p group_override: group, user, cached), else @p base (the
 * profile's authorization policy; NULL: none). Any source may be NULL. z->from[] tells
 * where each attribute came from ("user", "cached", "group", "local policy NAME" -> the
 * name pointer of @p base). The result is named @p name.
 * @return 0 or -ENOMEM (z is then empty).
 */
int aaa_authz_merge(const struct pol_authz *base, const struct aaa_authz *group,
		    const struct aaa_authz *cached, const struct aaa_authz *user,
		    bool group_override, const char *name, struct aaa_authz *z);

/** "dns-servers (user), addr-pool (local policy pol1), ..." for logs. */
const char *aaa_authz_sources(const struct aaa_authz *z, char *buf, size_t len);

/**
 * The AAA pre-shared keys of an authorization (a profile's `keyring_aaa`): the peer's key,
 * which checks its AUTH, is ipsec:ikev2-password-remote, else Tunnel-Password, else
 * ipsec:ikev2-password-local; ours, which makes our AUTH, is ikev2-password-local, else
 * Tunnel-Password, else ikev2-password-remote (one key given serves both directions).
 * (from_radius() already puts Tunnel-Password where an AV-pair gave none.)
 * @p remote / @p local point into @p z (borrowed). @return 0, or -ENOENT: no key at all.
 */
int aaa_authz_psk(const struct aaa_authz *z, const uint8_t **remote, size_t *remote_len,
		  const uint8_t **local, size_t *local_len);

/** Release what @p z owns (wiping the keys); it is empty afterwards. NULL is a no-op. */
void aaa_authz_free(struct aaa_authz *z);

#endif
