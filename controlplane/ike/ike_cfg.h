/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ike_cfg.h
 * IKEv2 configuration mode (RFC 7296 §2.19, §3.15) as the FlexVPN server reference
 * describes it: what the peer asked for (CFG_REQUEST) or pushed (CFG_SET), and the CP
 * payload we answer with (CFG_REPLY, CFG_ACK) or push ourselves (CFG_SET), built from the
 * session's local authorization policy (struct pol_authz, controlplane/policy/policy.h) and
 * the addresses the pool code leased. Also the peer's Vendor ID payloads, which decide who
 * gets the Cisco attributes.
 *
 * Attributes of a CFG_REPLY (CFG_SET: the same without addresses), in this order:
 *   INTERNAL_IP4_ADDRESS    the IPv4 lease; one, however many the peer asked for
 *   INTERNAL_IP4_NETMASK    only with an address, and only when a netmask is known
 *                           (authorization policy `netmask`, else the pool's)
 *   INTERNAL_IP4_DNS        authorization policy `dns`, else the pool's (two at most)
 *   INTERNAL_IP4_NBNS       `wins` (two at most)
 *   INTERNAL_IP6_ADDRESS    the IPv6 lease (/128)
 *   INTERNAL_IP6_DNS        `ipv6_dns`, else the IPv6 pool's
 *   APPLICATION_VERSION     "Rampart VERSION"                         (Cisco clients)
 *   INTERNAL_IP4/6_SUBNET   `route_set` (access lists, remote), else ike.local_subnets
 *   Cisco Unity             BANNER, DEFDOMAIN, SPLITDNS_NAME, BACKUPSERVERS, PFS,
 *                           SMARTCARD_REMOVAL_DISCONNECT, LOCAL_LAN  (Cisco clients)
 *   FlexVPN                 CONFIG_URL, CONFIG_VERSION               (FlexVPN clients)
 * The IPv4 attributes (netmask, DNS, NBNS, subnets) go with an IPv4 address, the IPv6 ones
 * with an IPv6 address; a CFG_SET carries every family. Attributes are sent whether or not
 * the peer asked for them (reference: "the remaining attributes are included in the reply
 * even though the client does not request them"). "Cisco clients" are peers that sent the
 * Cisco Unity, Cisco copyright or FlexVPN vendor ID, or identify as AnyConnect (key-id
 * "$AnyConnectClient$"); "FlexVPN clients" sent FLEXVPN-SUPPORTED.
 *
 * Bounds: the attributes of one CP payload take at most IKE_CFG_OUT_MAX bytes; a banner is
 * cut to IKE_CFG_BANNER_MAX bytes (at a UTF-8 character boundary), the joined split-DNS and
 * backup-server lists and the configuration URL to IKE_CFG_STR_MAX; whatever does not fit
 * is left out and said so in the summary (ike_cfg_out.log).
 *
 * Nothing here allocates or keeps pointers: the output holds its own bytes.
 */
#ifndef RAMPART_IKE_IKE_CFG_H
#define RAMPART_IKE_IKE_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"
#include "controlplane/ike/payload.h"

struct pol_authz;
struct pool_lease;

/** Private configuration attributes (RFC 7296 §3.15.1: 16384-32767 are private use).
 * 28672-28682 are the Cisco Unity client's, confirmed in five independent public sources
 * (checked 2026-11): strongSwan's configuration attribute types (28672 UNITY_BANNER ...
 * 28682 UNITY_DDNS_HOSTNAME), ipsec-tools racoon (isakmp_unity.h), libreswan/openswan's
 * ModeCfg attribute names, INSIDE Secure QuickSec's IKEv2 attribute enum, and Wireshark's
 * packet-isakmp.c IKEv1 attribute table (which names 28675 UNITY_SPLIT_DOMAIN and 28678
 * UNITY_SPLIT_EXCLUDE: the same numbers as our SPLITDNS_NAME and LOCAL_LAN). NOT confirmed:
 * 28683 (SMARTCARD_REMOVAL_DISCONNECT), 28684 (CONFIG_URL), 28685 (CONFIG_VERSION). None of
 * those sources names any number above 28682 (Wireshark labels 28683-32767 "PRIVATE USE"
 * and has no Cisco names in its IKEv2 table), and the reference documents give no numbers.
 * They stay as chosen, sent only to peers with a Cisco vendor ID (ike_cfg.c), until a
 * capture from a Cisco FlexVPN headend confirms or corrects them. */
#define IKE_CFG_PRIV_ATTRS(X)                  \
	X(UNITY_BANNER, 28672)                 \
	X(UNITY_DEF_DOMAIN, 28674)             \
	X(UNITY_SPLITDNS_NAME, 28675)          \
	X(UNITY_SPLIT_INCLUDE, 28676)          \
	X(UNITY_LOCAL_LAN, 28678)              \
	X(UNITY_PFS, 28679)                    \
	X(UNITY_BACKUP_SERVERS, 28681)         \
	X(UNITY_SMARTCARD_REMOVAL_DISCONNECT, 28683) \
	X(FLEXVPN_CONFIG_URL, 28684)           \
	X(FLEXVPN_CONFIG_VERSION, 28685)
enum ike_cfg_priv_attr {
#define X(n, v) IKE_CFG_##n = v,
	IKE_CFG_PRIV_ATTRS(X)
#undef X
};

/** Name of a configuration attribute type for logs ("INTERNAL_IP4_DNS", "UNITY_BANNER"),
 * NULL if unknown. */
const char *ike_cfg_attr_name(uint16_t type);

/* ---- Vendor IDs ------------------------------------------------------------------------- */

enum {
	IKE_VID_CISCO_UNITY = 1u << 0,     /**< MD5("CISCO-UNITY")[0..13] + version (2 bytes) */
	IKE_VID_CISCO_COPYRIGHT = 1u << 1, /**< "CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco ..." */
	IKE_VID_CISCO_FLEXVPN = 1u << 2,   /**< "FLEXVPN-SUPPORTED" */
	IKE_VID_CISCO_DELETE_REASON = 1u << 3, /**< "CISCO-DELETE-REASON" (not a client mark) */
	IKE_VID_STRONGSWAN = 1u << 4,      /**< MD5("strongSwan") */
	/** Not a Vendor ID: AnyConnect's IDi, ID_KEY_ID containing "$AnyConnectClient$" */
	IKE_VID_ANYCONNECT = 1u << 5,
};

/** The IKE_VID_* of the Vendor ID payloads of @p m (unknown ones are ignored). */
unsigned ike_cfg_vendor_flags(const struct ike_msg *m);

/** IKE_VID_ANYCONNECT when the peer's IDi (@p id_type, IKE_ID_*) is AnyConnect's key-id
 * ("*$AnyConnectClient$*"), else 0. */
unsigned ike_cfg_id_flags(uint8_t id_type, const uint8_t *id, size_t len);

/** "Cisco-Unity FlexVPN" (for logs; "none" when 0). */
const char *ike_cfg_vendor_str(unsigned flags, char *buf, size_t len);

/** Peers that get APPLICATION_VERSION and the Unity attributes (AnyConnect, FlexVPN). */
static inline bool ike_cfg_is_cisco(unsigned vendor)
{
	return (vendor & (IKE_VID_CISCO_UNITY | IKE_VID_CISCO_COPYRIGHT | IKE_VID_CISCO_FLEXVPN |
			  IKE_VID_ANYCONNECT)) != 0;
}

/** Peers that get the FlexVPN attributes. */
static inline bool ike_cfg_is_flexvpn(unsigned vendor)
{
	return (vendor & IKE_VID_CISCO_FLEXVPN) != 0;
}

/* ---- what the peer sent ----------------------------------------------------------------- */

/** The CP payload of a request (§3.15), copied out of it. */
struct ike_cfg_req {
	uint8_t type;            /**< 0: no CP payload; else its CFG type */
	bool present;            /**< a CFG_REQUEST */
	unsigned n_ip4;          /**< INTERNAL_IP4_ADDRESS attributes asked for */
	bool ip4, ip6, nm4, dns4, dns6, nbns, sub4, sub6, appver;
	char peer_version[64];   /**< the peer's APPLICATION_VERSION (printable), "" if none */
	/* CFG_SET: the attributes to acknowledge and the peer's subnets (logged) */
	unsigned n_set;
	uint16_t set_type[IKE_MAX_CFG_ATTRS];
	unsigned n_set_bad;      /**< CFG_SET attributes refused (unknown or malformed) */
	unsigned n_routes;
	struct rp_prefix routes[8]; /**< INTERNAL_IP4/6_SUBNET of a CFG_SET (the first 8) */
};

/** Copy the CP payload of @p m (if any) into @p q. */
void ike_cfg_req_parse(const struct ike_msg *m, struct ike_cfg_req *q);

/* ---- what we send ----------------------------------------------------------------------- */

#define IKE_CFG_OUT_MAX 4096u     /**< attribute bytes of one CP payload we build */
#define IKE_CFG_BANNER_MAX 2048u  /**< MODECFG_BANNER */
#define IKE_CFG_STR_MAX 1024u     /**< split-DNS list, backup servers, configuration URL */
#define IKE_CFG_ROUTES_MAX 256u   /**< prefixes of a route set we consider */

/** What a CP payload is built from. Pointers are borrowed for the call. */
struct ike_cfg_ctx {
	const struct pol_authz *authz;         /**< the session's policy; NULL: ike defaults */
	const struct rp_prefix *local_ts;      /**< ike.local_subnets */
	unsigned n_local_ts;
	const struct pool_lease *lease4, *lease6; /**< NULL or not held: none */
	uint8_t plen6;                         /**< INTERNAL_IP6_ADDRESS prefix length; 0: 128 */
	unsigned vendor;                       /**< the peer's IKE_VID_* */
};

/** A CP payload to send: attribute TLVs back to back (§3.15.1). */
struct ike_cfg_out {
	uint8_t cfg_type;        /**< 0: nothing to send; IKE_CFG_REPLY, _SET or _ACK */
	unsigned n;              /**< attributes */
	size_t len;
	unsigned dropped;        /**< attributes left out (no room) */
	uint8_t buf[IKE_CFG_OUT_MAX];
	char log[768];           /**< what was sent and withheld, and why (one line) */
};

/**
 * Build a CFG_REPLY (@p cfg_type IKE_CFG_REPLY, for @p q's CFG_REQUEST) or a CFG_SET we push
 * (IKE_CFG_SET; @p q may be NULL) from @p c. @return the number of attributes (0 is
 * possible: out->cfg_type is then 0 for a CFG_SET, kept for a CFG_REPLY, which §3.15 allows
 * empty).
 */
unsigned ike_cfg_build(const struct ike_cfg_ctx *c, const struct ike_cfg_req *q,
		       uint8_t cfg_type, struct ike_cfg_out *out);

/** A CFG_ACK for @p q's CFG_SET: each accepted attribute with an empty value (§3.15). */
unsigned ike_cfg_build_ack(const struct ike_cfg_req *q, struct ike_cfg_out *out);

/** Append @p o as a CP payload to @p b (nothing when o->cfg_type is 0). */
bool ike_cfg_write(const struct ike_cfg_out *o, struct ike_bld *b);

/**
 * The prefixes the session reaches through the tunnel: the route set of @p a (IPv4 and IPv6
 * access lists, then `remote`), else @p local_ts. At most @p max into @p out. @return the
 * number written. Used for INTERNAL_IP4/6_SUBNET and to narrow TSr, so that what the client
 * is told and what it may send agree.
 */
unsigned ike_cfg_routes(const struct pol_authz *a, const struct rp_prefix *local_ts,
			unsigned n_local_ts, struct rp_prefix *out, unsigned max);

#endif
