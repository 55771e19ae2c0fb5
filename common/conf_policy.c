/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Schema of the policy sections: pki { trustpoints, certificate_maps },
 * ikev2 { profiles, keyrings, authorization_policies, name_manglers, attribute_lists } and
 * access_lists. Rule strings (certificate map rules, match lines, authentication methods,
 * addresses) are checked by the policy builder (controlplane/policy), which reports them with
 * the same FILE:LINE form; docs/config.md describes every setting.
 */
#include "common/cfg.h"

#define NAME_MAX_LEN 63

static const char *const revocation_choices[] = { "crl", "ocsp", "none", NULL };
static const char *const acl_families[] = { "ipv4", "ipv6", NULL };
static const char *const auth_local_choices[] = { "rsa-sig", "ecdsa-sig", "pre-share", NULL };
static const char *const dpd_modes[] = { "periodic", "on-demand", NULL };
static const char *const author_methods[] = { "cert", "eap", "psk", NULL };
static const char *const mangler_dn[] = { "common-name", "country", "domain", "locality",
					  "organization", "organization-unit", "state", NULL };
static const char *const mangler_email[] = { "all", "domain", "username", NULL };
static const char *const mangler_fqdn[] = { "all", "domain", "hostname", NULL };

/* ---- pki ---------------------------------------------------------------------------- */

static const struct rp_cfg_schema trustpoint_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = NAME_MAX_LEN,
	  .help = "trustpoint name (crypto pki trustpoint NAME)" },
	{ .name = "ca_certificates", .kind = RP_CFG_STRINGS, .required = true, .min = 1,
	  .max = 255,
	  .help = "files with the CA certificates: the root and any intermediates (PEM or DER)" },
	{ .name = "certificate", .kind = RP_CFG_STRING, .min = 1, .max = 255,
	  .help = "our certificate under this CA, followed by its chain (PEM)" },
	{ .name = "private_key", .kind = RP_CFG_STRING, .min = 1, .max = 255,
	  .help = "our private key (unencrypted PEM or DER, mode 0600)" },
	{ .name = "revocation_check", .kind = RP_CFG_STRINGS, .choices = revocation_choices,
	  .help = "methods in order, as IOS revocation-check: [\"ocsp\", \"crl\", \"none\"], "
		  "[\"crl\"], ... (default [\"none\"])" },
	{ .name = "crl_files", .kind = RP_CFG_STRINGS, .min = 1, .max = 255,
	  .help = "CRL files (PEM, several each, or DER)" },
	{ .name = "crl_fetch", .kind = RP_CFG_BOOL,
	  .help = "fetch CRLs from the certificates' http:// distribution points (default false)" },
	{ .name = "ocsp_url", .kind = RP_CFG_STRING, .min = 8, .max = 255,
	  .help = "http:// OCSP responder overriding the certificates' AIA" },
	{ .name = "ocsp_nonce", .kind = RP_CFG_BOOL,
	  .help = "send a nonce in OCSP requests (default true)" },
	{ .name = "fetch_timeout_ms", .kind = RP_CFG_INT, .min = 100, .max = 60000,
	  .help = "time limit of one CRL or OCSP fetch (default 5000)" },
	{ .name = "fetch_max_bytes", .kind = RP_CFG_INT, .min = 1024, .max = 67108864,
	  .help = "largest CRL fetched (default 4194304)" },
	{ .name = "require_client_auth_eku", .kind = RP_CFG_BOOL,
	  .help = "peer certificates must carry extended key usage clientAuth (default false)" },
	{ .name = "partial_chain", .kind = RP_CFG_BOOL,
	  .help = "trust a configured intermediate CA as an anchor, without its root (default false)" },
	{ 0 }
};

static const struct rp_cfg_schema certmap_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = NAME_MAX_LEN,
	  .help = "map name (crypto pki certificate map NAME SEQ)" },
	{ .name = "sequence", .kind = RP_CFG_INT, .required = true, .min = 1, .max = 65535,
	  .help = "sequence number: a map's sequences are tried in ascending order" },
	{ .name = "rules", .kind = RP_CFG_STRINGS, .required = true, .max = 511,
	  .help = "\"FIELD OP VALUE\" lines, all of which must match (e.g. \"subject-name co ou = green\")" },
	{ 0 }
};

/* ---- access lists ---------------------------------------------------------------------- */

/* One entry of access_lists = ( ... ). */
const struct rp_cfg_schema rp_conf_acl_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = NAME_MAX_LEN,
	  .help = "access list name (or number)" },
	{ .name = "family", .kind = RP_CFG_STRING, .choices = acl_families,
	  .help = "ipv4 (default) or ipv6" },
	{ .name = "prefixes", .kind = RP_CFG_STRINGS, .required = true, .max = 100,
	  .help = "\"10.1.0.0/16\", \"10.1.0.0 0.0.255.255\" (wildcard), \"host 10.1.1.1\", "
		  "\"2001:db8::/32\"; a leading \"permit\" is allowed" },
	{ 0 }
};

/* ---- ikev2 ------------------------------------------------------------------------------ */

static const struct rp_cfg_schema keyring_peer_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = NAME_MAX_LEN,
	  .help = "peer name" },
	{ .name = "address", .kind = RP_CFG_STRING, .min = 1, .max = 64,
	  .help = "peer address or prefix: \"10.0.0.1\", \"10.0.0.0 255.0.0.0\", \"10.0.0.0/8\", "
		  "\"2001:db8::/32\"" },
	{ .name = "identity", .kind = RP_CFG_STRING, .min = 1, .max = 300,
	  .help = "\"address A\", \"fqdn NAME\", \"email NAME\" or \"key-id ID\"" },
	{ .name = "pre_shared_key", .kind = RP_CFG_STRING, .min = 1, .max = 256,
	  .help = "key used in both directions" },
	{ .name = "pre_shared_key_local", .kind = RP_CFG_STRING, .min = 1, .max = 256,
	  .help = "key that signs our AUTH" },
	{ .name = "pre_shared_key_remote", .kind = RP_CFG_STRING, .min = 1, .max = 256,
	  .help = "key that checks the peer's AUTH" },
	{ 0 }
};

static const struct rp_cfg_schema keyring_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = NAME_MAX_LEN,
	  .help = "keyring name (crypto ikev2 keyring NAME)" },
	{ .name = "peers", .kind = RP_CFG_LIST, .required = true, .max = 100000,
	  .children = keyring_peer_schema, .help = "peers and their keys" },
	{ 0 }
};

static const struct rp_cfg_schema route_set_schema[] = {
	{ .name = "interface", .kind = RP_CFG_STRING, .min = 1, .max = 63,
	  .help = "route set interface: the interface's address is pushed as a /32 route" },
	{ .name = "access_list", .kind = RP_CFG_STRING, .min = 1, .max = NAME_MAX_LEN,
	  .help = "IPv4 access list whose prefixes are pushed (INTERNAL_IP4_SUBNET)" },
	{ .name = "ipv6_access_list", .kind = RP_CFG_STRING, .min = 1, .max = NAME_MAX_LEN,
	  .help = "IPv6 access list whose prefixes are pushed (INTERNAL_IP6_SUBNET)" },
	{ .name = "remote", .kind = RP_CFG_STRINGS, .max = 64,
	  .help = "route set remote: inside networks, \"10.0.0.0 255.0.0.0\" or \"2001:db8::/32\"" },
	{ 0 }
};

static const struct rp_cfg_schema route_accept_schema[] = {
	{ .name = "tag", .kind = RP_CFG_INT, .min = 1, .max = 497777, .help = "route tag" },
	{ .name = "distance", .kind = RP_CFG_INT, .min = 1, .max = 255, .help = "route distance" },
	{ 0 }
};

static const struct rp_cfg_schema dhcp_schema[] = {
	{ .name = "server", .kind = RP_CFG_STRING, .min = 1, .max = 255, .help = "DHCP server" },
	{ .name = "giaddr", .kind = RP_CFG_STRING, .min = 1, .max = 64, .help = "gateway address" },
	{ .name = "timeout", .kind = RP_CFG_INT, .min = 1, .max = 300, .help = "seconds" },
	{ 0 }
};

static const struct rp_cfg_schema authz_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = NAME_MAX_LEN,
	  .help = "policy name (crypto ikev2 authorization policy NAME)" },
	{ .name = "pool", .kind = RP_CFG_STRING, .min = 1, .max = 31, .help = "IPv4 address pool" },
	{ .name = "ipv6_pool", .kind = RP_CFG_STRING, .min = 1, .max = 31, .help = "IPv6 address pool" },
	{ .name = "dhcp", .kind = RP_CFG_GROUP, .children = dhcp_schema,
	  .help = "DHCP address source (not implemented yet; refused)" },
	{ .name = "netmask", .kind = RP_CFG_STRING, .min = 7, .max = 15,
	  .help = "INTERNAL_IP4_NETMASK, dotted (\"255.255.255.0\")" },
	{ .name = "dns", .kind = RP_CFG_STRINGS, .max = 15, .help = "one or two IPv4 DNS servers" },
	{ .name = "ipv6_dns", .kind = RP_CFG_STRINGS, .max = 45, .help = "one or two IPv6 DNS servers" },
	{ .name = "wins", .kind = RP_CFG_STRINGS, .max = 15, .help = "one or two WINS servers" },
	{ .name = "route_set", .kind = RP_CFG_GROUP, .children = route_set_schema,
	  .help = "routes pushed to the client" },
	{ .name = "route_accept", .kind = RP_CFG_GROUP, .children = route_accept_schema,
	  .help = "accept any route from the peer (route accept any)" },
	{ .name = "banner", .kind = RP_CFG_STRING, .max = 4000, .help = "MODECFG_BANNER" },
	{ .name = "def_domain", .kind = RP_CFG_STRING, .min = 1, .max = 255,
	  .help = "MODECFG_DEFDOMAIN" },
	{ .name = "split_dns", .kind = RP_CFG_STRINGS, .min = 1, .max = 255,
	  .help = "up to 10 domain names (MODECFG_SPLITDNS_NAME)" },
	{ .name = "backup_gateways", .kind = RP_CFG_STRINGS, .min = 1, .max = 255,
	  .help = "up to 10 backup servers (MODECFG_BACKUPSERVERS)" },
	{ .name = "pfs", .kind = RP_CFG_BOOL, .help = "MODECFG_PFS" },
	{ .name = "include_local_lan", .kind = RP_CFG_BOOL, .help = "include-local-lan" },
	{ .name = "smartcard_removal_disconnect", .kind = RP_CFG_BOOL,
	  .help = "MODECFG_SMARTCARD_REMOVAL_DISCONNECT" },
	{ .name = "configuration_url", .kind = RP_CFG_STRING, .min = 1, .max = 1024,
	  .help = "MODECFG_CONFIG_URL" },
	{ .name = "configuration_version", .kind = RP_CFG_STRING, .min = 1, .max = 32,
	  .help = "MODECFG_CONFIG_VERSION" },
	{ .name = "session_lifetime", .kind = RP_CFG_INT, .min = 120, .max = 25920000,
	  .help = "seconds (2 minutes to 300 days)" },
	{ .name = "ipsec_flow_limit", .kind = RP_CFG_INT, .min = 0, .max = 50000,
	  .help = "IPsec SAs per session (0 allows none; absent = no limit)" },
	{ .name = "aaa_attribute_list", .kind = RP_CFG_STRING, .min = 1, .max = NAME_MAX_LEN,
	  .help = "name of an entry of ikev2.attribute_lists" },
	{ 0 }
};

static const struct rp_cfg_schema attr_list_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = NAME_MAX_LEN,
	  .help = "attribute list name (aaa attribute list NAME)" },
	{ .name = "interface_config", .kind = RP_CFG_STRINGS, .min = 1, .max = 255,
	  .help = "attribute type interface-config values" },
	{ 0 }
};

static const struct rp_cfg_schema mangler_eap_schema[] = {
	{ .name = "all", .kind = RP_CFG_BOOL, .help = "the whole EAP identity" },
	{ .name = "dn", .kind = RP_CFG_STRING, .choices = mangler_dn, .help = "a DN field" },
	{ .name = "prefix", .kind = RP_CFG_STRING, .min = 1, .max = 1,
	  .help = "part before the delimiter (., @ or \\)" },
	{ .name = "suffix", .kind = RP_CFG_STRING, .min = 1, .max = 1,
	  .help = "part after the delimiter (., @ or \\)" },
	{ 0 }
};

static const struct rp_cfg_schema mangler_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = NAME_MAX_LEN,
	  .help = "name mangler name" },
	{ .name = "dn", .kind = RP_CFG_STRING, .choices = mangler_dn,
	  .help = "field of a DN identity" },
	{ .name = "email", .kind = RP_CFG_STRING, .choices = mangler_email,
	  .help = "part of an e-mail identity" },
	{ .name = "fqdn", .kind = RP_CFG_STRING, .choices = mangler_fqdn,
	  .help = "part of an FQDN identity" },
	{ .name = "eap", .kind = RP_CFG_GROUP, .children = mangler_eap_schema,
	  .help = "part of the EAP identity" },
	{ 0 }
};

static const struct rp_cfg_schema match_schema[] = {
	{ .name = "identity_remote", .kind = RP_CFG_STRINGS, .min = 1, .max = 300,
	  .help = "\"any\", \"address A [MASK]\", \"address A/LEN\", \"fqdn [domain] NAME\", "
		  "\"email [domain] NAME\", \"key-id ID\" (any one matches)" },
	{ .name = "certificate", .kind = RP_CFG_STRINGS, .min = 1, .max = NAME_MAX_LEN,
	  .help = "certificate maps (any one matches; a map belongs to one profile)" },
	{ .name = "address_local", .kind = RP_CFG_STRINGS, .min = 1, .max = 64,
	  .help = "our addresses the peer may reach this profile on (any one; default any)" },
	{ 0 }
};

static const struct rp_cfg_schema authentication_schema[] = {
	{ .name = "local", .kind = RP_CFG_STRING, .required = true, .choices = auth_local_choices,
	  .help = "how we authenticate: rsa-sig, ecdsa-sig or pre-share" },
	{ .name = "remote", .kind = RP_CFG_STRINGS, .required = true, .min = 1, .max = 64,
	  .help = "how peers may authenticate: \"rsa-sig\", \"ecdsa-sig\", \"pre-share\", "
		  "\"eap [query-identity] [timeout SECONDS]\" (several allowed)" },
	{ 0 }
};

static const struct rp_cfg_schema dpd_schema[] = {
	{ .name = "interval", .kind = RP_CFG_INT, .required = true, .min = 10, .max = 3600,
	  .help = "seconds" },
	{ .name = "retry", .kind = RP_CFG_INT, .min = 2, .max = 60, .help = "seconds (default 2)" },
	{ .name = "mode", .kind = RP_CFG_STRING, .choices = dpd_modes,
	  .help = "periodic or on-demand (default)" },
	{ 0 }
};

static const struct rp_cfg_schema aaa_author_schema[] = {
	{ .name = "methods", .kind = RP_CFG_STRINGS, .required = true, .choices = author_methods,
	  .help = "authentication methods this applies to: cert, eap, psk" },
	{ .name = "list", .kind = RP_CFG_STRING, .min = 1, .max = NAME_MAX_LEN,
	  .help = "AAA method list; \"local\" uses ikev2.authorization_policies" },
	{ .name = "username", .kind = RP_CFG_STRING, .min = 1, .max = 255,
	  .help = "name asked for (with list local: the authorization policy)" },
	{ .name = "name_mangler", .kind = RP_CFG_STRING, .min = 1, .max = NAME_MAX_LEN,
	  .help = "derive the name from the peer identity" },
	{ .name = "cached", .kind = RP_CFG_BOOL,
	  .help = "user: use the attributes cached from EAP / AAA PSK (aaa authorization user ... cached)" },
	{ .name = "override", .kind = RP_CFG_BOOL,
	  .help = "group: group attributes take precedence over user attributes" },
	{ 0 }
};

static const struct rp_cfg_schema aaa_schema[] = {
	{ .name = "authentication_eap", .kind = RP_CFG_STRING, .min = 1, .max = NAME_MAX_LEN,
	  .help = "AAA method list for EAP" },
	{ .name = "accounting", .kind = RP_CFG_STRING, .min = 1, .max = NAME_MAX_LEN,
	  .help = "accounting method list of the aaa section (aaa accounting ... LIST)" },
	{ .name = "authorization_group", .kind = RP_CFG_GROUP, .children = aaa_author_schema,
	  .help = "group authorization" },
	{ .name = "authorization_user", .kind = RP_CFG_GROUP, .children = aaa_author_schema,
	  .help = "user authorization" },
	{ 0 }
};

static const struct rp_cfg_schema keyring_aaa_schema[] = {
	{ .name = "list", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = NAME_MAX_LEN,
	  .help = "aaa.authorization list asked for the peer's pre-shared keys (keyring aaa LIST)" },
	{ .name = "name_mangler", .kind = RP_CFG_STRING, .min = 1, .max = NAME_MAX_LEN,
	  .help = "derive the User-Name from the peer identity (default: the identity)" },
	{ .name = "password", .kind = RP_CFG_STRING, .min = 1, .max = 128,
	  .help = "User-Password of the Access-Request (default \"cisco\", as IOS)" },
	{ 0 }
};

static const struct rp_cfg_schema config_exchange_schema[] = {
	{ .name = "set_send", .kind = RP_CFG_BOOL,
	  .help = "push a CFG_SET to a peer that sent no CFG_REQUEST (default true)" },
	{ .name = "set_accept", .kind = RP_CFG_BOOL,
	  .help = "acknowledge a peer's CFG_SET with CFG_ACK (default true)" },
	{ 0 }
};

static const struct rp_cfg_schema profile_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = NAME_MAX_LEN,
	  .help = "profile name (crypto ikev2 profile NAME)" },
	{ .name = "match", .kind = RP_CFG_GROUP, .required = true, .children = match_schema,
	  .help = "which peers get this profile" },
	{ .name = "authentication", .kind = RP_CFG_GROUP, .required = true,
	  .children = authentication_schema, .help = "local and remote authentication" },
	{ .name = "trustpoints", .kind = RP_CFG_STRINGS, .min = 1, .max = NAME_MAX_LEN,
	  .help = "pki trustpoints, in validation order" },
	{ .name = "keyring", .kind = RP_CFG_STRING, .min = 1, .max = NAME_MAX_LEN,
	  .help = "keyring for pre-shared keys" },
	{ .name = "keyring_aaa", .kind = RP_CFG_GROUP, .children = keyring_aaa_schema,
	  .help = "pre-shared keys from AAA (keyring aaa LIST [name-mangler M] [password P])" },
	{ .name = "identity_local", .kind = RP_CFG_STRING, .min = 1, .max = 300,
	  .help = "our identity (IDr) towards these peers: \"address\", \"dn\" (subject of "
		  "our certificate), \"fqdn NAME\", \"email NAME\", \"key-id ID\" (default: "
		  "ike.local_id)" },
	{ .name = "lifetime", .kind = RP_CFG_INT, .min = 120, .max = 86400,
	  .help = "IKE SA lifetime in seconds (default 86400)" },
	{ .name = "dpd", .kind = RP_CFG_GROUP, .children = dpd_schema,
	  .help = "dead peer detection" },
	{ .name = "nat_keepalive", .kind = RP_CFG_INT, .min = 5, .max = 3600,
	  .help = "NAT keepalive interval in seconds" },
	{ .name = "proposals", .kind = RP_CFG_STRINGS, .min = 1, .max = NAME_MAX_LEN,
	  .help = "IKE proposals (names defined by the IKE configuration)" },
	{ .name = "authorization_policy", .kind = RP_CFG_STRING, .min = 1, .max = NAME_MAX_LEN,
	  .help = "local authorization policy for this profile's peers" },
	{ .name = "group", .kind = RP_CFG_STRING, .min = 1, .max = NAME_MAX_LEN,
	  .help = "group assigned to the peer (client configuration group; default: "
		  "the authorization policy's name)" },
	{ .name = "aaa", .kind = RP_CFG_GROUP, .children = aaa_schema, .help = "AAA lists" },
	{ .name = "virtual_template", .kind = RP_CFG_INT, .min = 1, .max = 65535,
	  .help = "virtual template number (kept for IOS parity; informational)" },
	{ .name = "config_exchange", .kind = RP_CFG_GROUP, .children = config_exchange_schema,
	  .help = "config-exchange set send / set accept" },
	{ 0 }
};

const struct rp_cfg_schema rp_conf_pki_schema[] = {
	{ .name = "trustpoints", .kind = RP_CFG_LIST, .max = 256, .children = trustpoint_schema,
	  .help = "trustpoints" },
	{ .name = "certificate_maps", .kind = RP_CFG_LIST, .max = 4096, .children = certmap_schema,
	  .help = "certificate map sequences (one entry per NAME and SEQ)" },
	{ 0 }
};

const struct rp_cfg_schema rp_conf_ikev2_schema[] = {
	{ .name = "profiles", .kind = RP_CFG_LIST, .max = 1024, .children = profile_schema,
	  .help = "IKEv2 profiles, tried in this order" },
	{ .name = "keyrings", .kind = RP_CFG_LIST, .max = 256, .children = keyring_schema,
	  .help = "keyrings of pre-shared keys" },
	{ .name = "authorization_policies", .kind = RP_CFG_LIST, .max = 1024,
	  .children = authz_schema, .help = "local authorization policies" },
	{ .name = "name_manglers", .kind = RP_CFG_LIST, .max = 256, .children = mangler_schema,
	  .help = "name manglers" },
	{ .name = "attribute_lists", .kind = RP_CFG_LIST, .max = 256, .children = attr_list_schema,
	  .help = "AAA attribute lists" },
	{ 0 }
};
