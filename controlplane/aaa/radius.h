/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file radius.h
 * RADIUS packet codec: RFC 2865 (access), 2866 (accounting), 2869 + 3579 (EAP-Message,
 * Message-Authenticator), 5080 (implementation notes), 5176 (Disconnect / CoA), 2548
 * (Microsoft MS-MPPE keys), and the Cisco AV-pair VSA.
 *
 * Attributes are described once, in RADIUS_ATTRS() (number, name, type) and
 * RADIUS_VENDOR_ATTRS() (vendor, number, name, type); the parser checks every value's length
 * against its type, and the builder and the logging names come from the same tables.
 *
 * Parsing (radius_parse()) validates the whole datagram first: header length against the
 * datagram (shorter: refused; longer: the rest is padding, RFC 2865 §3), every attribute
 * length (>= 2, within the packet, consistent with its type), every Vendor-Specific (vendor
 * id, sub-attribute lengths of the vendors we know), at most one Message-Authenticator of
 * exactly 16 octets. It does not check authenticators: that needs the shared secret and,
 * for responses, the request (radius_verify_response(), radius_verify_request()).
 *
 * Building (struct radius_bld) writes into caller memory through the common wbuf; the
 * Message-Authenticator is placed first in every Access-Request (and every response built
 * for tests) and computed by radius_bld_finish(), which also computes the authenticator the
 * code requires.
 *
 * Ownership: a parsed packet (struct radius_pkt) holds views into the caller's datagram,
 * valid as long as that buffer is. Nothing here allocates. Secrets are the caller's; every
 * intermediate digest is wiped.
 */
#ifndef RAMPART_AAA_RADIUS_H
#define RAMPART_AAA_RADIUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cursor.h"

#define RADIUS_HDR_LEN 20u
#define RADIUS_AUTH_LEN 16u
#define RADIUS_MAX_LEN 4096u        /**< RFC 2865 §3: maximum packet length */
#define RADIUS_MAX_ATTRS 512u       /**< attributes (VSA sub-attributes counted) per packet */
#define RADIUS_ATTR_MAX_VALUE 253u
#define RADIUS_MA_LEN 16u
#define RADIUS_PASSWORD_MAX 128u    /**< RFC 2865 §5.2 */
#define RADIUS_EAP_MAX 4076u        /**< EAP that fits one packet with the header and MA */

/** Packet codes (RFC 2865 §3, 2866 §3, 5176 §2.3, 5997). */
#define RADIUS_CODES(X)                                  \
	X(1, ACCESS_REQUEST, "Access-Request")           \
	X(2, ACCESS_ACCEPT, "Access-Accept")             \
	X(3, ACCESS_REJECT, "Access-Reject")             \
	X(4, ACCOUNTING_REQUEST, "Accounting-Request")   \
	X(5, ACCOUNTING_RESPONSE, "Accounting-Response") \
	X(11, ACCESS_CHALLENGE, "Access-Challenge")      \
	X(12, STATUS_SERVER, "Status-Server")            \
	X(40, DISCONNECT_REQUEST, "Disconnect-Request")  \
	X(41, DISCONNECT_ACK, "Disconnect-ACK")          \
	X(42, DISCONNECT_NAK, "Disconnect-NAK")          \
	X(43, COA_REQUEST, "CoA-Request")                \
	X(44, COA_ACK, "CoA-ACK")                        \
	X(45, COA_NAK, "CoA-NAK")

enum radius_code {
#define X(n, id, s) RADIUS_##id = n,
	RADIUS_CODES(X)
#undef X
};

/** Value types (RFC 8044 names). */
enum radius_type {
	RADIUS_T_OCTETS,     /**< 1..253 octets */
	RADIUS_T_STRING,     /**< 1..253 octets, text (not checked as UTF-8 here) */
	RADIUS_T_IPADDR,     /**< 4 */
	RADIUS_T_IPV6ADDR,   /**< 16 */
	RADIUS_T_IPV6PREFIX, /**< 2..18: reserved 0, prefix length <= 128, prefix bits */
	RADIUS_T_INTEGER,    /**< 4 */
	RADIUS_T_DATE,       /**< 4, seconds since 1970 */
	RADIUS_T_VSA,        /**< Vendor-Specific: vendor id, then sub-attributes */
};

/** Standard attributes: number, C name, dictionary name, type. */
#define RADIUS_ATTRS(X)                                                  \
	X(1, USER_NAME, "User-Name", STRING)                             \
	X(2, USER_PASSWORD, "User-Password", OCTETS)                     \
	X(3, CHAP_PASSWORD, "CHAP-Password", OCTETS)                     \
	X(4, NAS_IP_ADDRESS, "NAS-IP-Address", IPADDR)                   \
	X(5, NAS_PORT, "NAS-Port", INTEGER)                              \
	X(6, SERVICE_TYPE, "Service-Type", INTEGER)                      \
	X(7, FRAMED_PROTOCOL, "Framed-Protocol", INTEGER)                \
	X(8, FRAMED_IP_ADDRESS, "Framed-IP-Address", IPADDR)             \
	X(9, FRAMED_IP_NETMASK, "Framed-IP-Netmask", IPADDR)             \
	X(11, FILTER_ID, "Filter-Id", STRING)                            \
	X(12, FRAMED_MTU, "Framed-MTU", INTEGER)                         \
	X(18, REPLY_MESSAGE, "Reply-Message", STRING)                    \
	X(22, FRAMED_ROUTE, "Framed-Route", STRING)                      \
	X(24, STATE, "State", OCTETS)                                    \
	X(25, CLASS, "Class", OCTETS)                                    \
	X(26, VENDOR_SPECIFIC, "Vendor-Specific", VSA)                   \
	X(27, SESSION_TIMEOUT, "Session-Timeout", INTEGER)               \
	X(28, IDLE_TIMEOUT, "Idle-Timeout", INTEGER)                     \
	X(29, TERMINATION_ACTION, "Termination-Action", INTEGER)         \
	X(30, CALLED_STATION_ID, "Called-Station-Id", STRING)            \
	X(31, CALLING_STATION_ID, "Calling-Station-Id", STRING)          \
	X(32, NAS_IDENTIFIER, "NAS-Identifier", STRING)                  \
	X(33, PROXY_STATE, "Proxy-State", OCTETS)                        \
	X(40, ACCT_STATUS_TYPE, "Acct-Status-Type", INTEGER)             \
	X(41, ACCT_DELAY_TIME, "Acct-Delay-Time", INTEGER)               \
	X(42, ACCT_INPUT_OCTETS, "Acct-Input-Octets", INTEGER)           \
	X(43, ACCT_OUTPUT_OCTETS, "Acct-Output-Octets", INTEGER)         \
	X(44, ACCT_SESSION_ID, "Acct-Session-Id", STRING)                \
	X(45, ACCT_AUTHENTIC, "Acct-Authentic", INTEGER)                 \
	X(46, ACCT_SESSION_TIME, "Acct-Session-Time", INTEGER)           \
	X(47, ACCT_INPUT_PACKETS, "Acct-Input-Packets", INTEGER)         \
	X(48, ACCT_OUTPUT_PACKETS, "Acct-Output-Packets", INTEGER)       \
	X(49, ACCT_TERMINATE_CAUSE, "Acct-Terminate-Cause", INTEGER)     \
	X(52, ACCT_INPUT_GIGAWORDS, "Acct-Input-Gigawords", INTEGER)     \
	X(53, ACCT_OUTPUT_GIGAWORDS, "Acct-Output-Gigawords", INTEGER)   \
	X(55, EVENT_TIMESTAMP, "Event-Timestamp", DATE)                  \
	X(61, NAS_PORT_TYPE, "NAS-Port-Type", INTEGER)                   \
	X(64, TUNNEL_TYPE, "Tunnel-Type", OCTETS)                        \
	X(65, TUNNEL_MEDIUM_TYPE, "Tunnel-Medium-Type", OCTETS)          \
	X(69, TUNNEL_PASSWORD, "Tunnel-Password", OCTETS)                \
	X(79, EAP_MESSAGE, "EAP-Message", OCTETS)                        \
	X(80, MESSAGE_AUTHENTICATOR, "Message-Authenticator", OCTETS)    \
	X(85, ACCT_INTERIM_INTERVAL, "Acct-Interim-Interval", INTEGER)   \
	X(87, NAS_PORT_ID, "NAS-Port-Id", STRING)                        \
	X(95, NAS_IPV6_ADDRESS, "NAS-IPv6-Address", IPV6ADDR)            \
	X(97, FRAMED_IPV6_PREFIX, "Framed-IPv6-Prefix", IPV6PREFIX)      \
	X(101, ERROR_CAUSE, "Error-Cause", INTEGER)                      \
	X(168, FRAMED_IPV6_ADDRESS, "Framed-IPv6-Address", IPV6ADDR)

enum radius_attr_num {
#define X(n, id, s, t) RADIUS_A_##id = n,
	RADIUS_ATTRS(X)
#undef X
};

#define RADIUS_VENDOR_CISCO 9u
#define RADIUS_VENDOR_MICROSOFT 311u

/**
 * Vendor attributes of the vendors whose sub-attribute format (1-octet type, 1-octet length,
 * RFC 2865 §5.26) we know and check. A VSA of any other vendor is kept whole (type 0).
 */
#define RADIUS_VENDOR_ATTRS(X)                                                          \
	X(9, 1, CISCO_AVPAIR, "Cisco-AVPair", STRING)                                   \
	X(311, 7, MS_MPPE_ENCRYPTION_POLICY, "MS-MPPE-Encryption-Policy", INTEGER)      \
	X(311, 8, MS_MPPE_ENCRYPTION_TYPES, "MS-MPPE-Encryption-Types", INTEGER)        \
	X(311, 16, MS_MPPE_SEND_KEY, "MS-MPPE-Send-Key", OCTETS)                        \
	X(311, 17, MS_MPPE_RECV_KEY, "MS-MPPE-Recv-Key", OCTETS)

enum radius_vendor_attr_num {
#define X(v, n, id, s, t) RADIUS_V_##id = n,
	RADIUS_VENDOR_ATTRS(X)
#undef X
};

/** Why a datagram was refused. */
#define RADIUS_PERRS(X)                                                             \
	X(OK, "ok")                                                                 \
	X(SHORT, "datagram shorter than the RADIUS header")                         \
	X(BAD_LENGTH, "header length below 20 or above 4096")                       \
	X(TRUNCATED, "header length beyond the datagram")                           \
	X(ATTR_LENGTH, "attribute length below 2 or beyond the packet")             \
	X(VALUE_LENGTH, "attribute value length wrong for its type")                \
	X(VSA_LENGTH, "Vendor-Specific too short for a vendor id")                  \
	X(VSA_VENDOR, "Vendor-Specific vendor id with a non-zero high octet")       \
	X(VSA_SUB_LENGTH, "vendor sub-attribute length below 2 or beyond the VSA")  \
	X(MA_DUP, "more than one Message-Authenticator")                            \
	X(MA_LENGTH, "Message-Authenticator not 16 octets")                         \
	X(TOO_MANY, "too many attributes")

enum radius_perr {
#define X(id, s) RADIUS_PERR_##id,
	RADIUS_PERRS(X)
#undef X
};

/** One attribute (or one sub-attribute of a known vendor), a view into the datagram. */
struct radius_attr {
	uint8_t type;       /**< attribute number; for a vendor attribute, the vendor type */
	uint32_t vendor;    /**< 0 for standard attributes */
	uint8_t len;        /**< value length */
	const uint8_t *val;
};

/** A parsed packet. */
struct radius_pkt {
	uint8_t code;
	uint8_t id;
	uint16_t length;                  /**< from the header; bytes past it were ignored */
	uint8_t auth[RADIUS_AUTH_LEN];
	const uint8_t *raw;               /**< the datagram (length bytes of it count) */
	unsigned n;
	int ma_index;                     /**< index in attr[] of Message-Authenticator, or -1 */
	size_t ma_off;                    /**< its value's offset in raw, if present */
	size_t eap_len;                   /**< total EAP-Message length (0 if none) */
	struct radius_attr attr[RADIUS_MAX_ATTRS];
};

/** Name of a code ("Access-Accept"), or "unknown" for codes not in RADIUS_CODES(). */
const char *radius_code_name(uint8_t code);
/** Name of an attribute ("Framed-IP-Address"); NULL if not in the tables. */
const char *radius_attr_name(uint32_t vendor, uint8_t type);
/** Type of an attribute; RADIUS_T_OCTETS when unknown. */
enum radius_type radius_attr_type(uint32_t vendor, uint8_t type, bool *known);
const char *radius_perr_str(enum radius_perr e);

/** True for Access-Accept/Reject/Challenge, Accounting-Response, Disconnect/CoA ACK/NAK. */
bool radius_code_is_response(uint8_t code);
/** The response codes that may answer @p req_code. */
bool radius_code_answers(uint8_t req_code, uint8_t resp_code);

/**
 * Parse and validate @p len bytes of datagram (see the file comment).
 * @return RADIUS_PERR_OK, or why the datagram must be dropped. @p pkt is filled either way
 * up to the point of failure and must not be used after an error.
 */
enum radius_perr radius_parse(const uint8_t *buf, size_t len, struct radius_pkt *pkt);

/** First attribute @p type of @p vendor (0 = standard) at or after index *@p from, or NULL. */
const struct radius_attr *radius_find(const struct radius_pkt *pkt, uint32_t vendor,
				      uint8_t type, unsigned *from);

/** Integer / date / ipaddr value of the first such attribute. @return false if absent. */
bool radius_get_u32(const struct radius_pkt *pkt, uint8_t type, uint32_t *v);

/**
 * Reassemble the EAP-Message attributes in order (RFC 3579 §3.1) into @p out.
 * @return the EAP packet length, 0 when there is none, -ENOSPC when @p cap is too small,
 * -EBADMSG when the EAP header's length disagrees with what was carried.
 */
int radius_eap_get(const struct radius_pkt *pkt, uint8_t *out, size_t cap);

/* ---- authenticators (RFC 2865 §3, 2866 §3, 3579 §3.2, 5176 §2.3) ----------------------- */

/**
 * Check a response against the request it answers: the Response Authenticator
 * MD5(Code|ID|Length|RequestAuth|Attributes|Secret), and the Message-Authenticator if
 * present. A Message-Authenticator is required when the response carries EAP-Message
 * (RFC 3579 §3.2), and on every Access-Accept/Reject/Challenge when @p require_ma
 * (Blast-RADIUS, CVE-2024-3596). @return 0, -EBADMSG (wrong authenticator),
 * -EPROTO (missing required Message-Authenticator). Comparisons are constant-time.
 */
int radius_verify_response(const struct radius_pkt *pkt, const uint8_t req_auth[16],
			   const void *secret, size_t secret_len, bool require_ma);

/**
 * Check a request: for Accounting-Request, Disconnect-Request and CoA-Request the Request
 * Authenticator MD5(Code|ID|Length|16 zero octets|Attributes|Secret); for every code the
 * Message-Authenticator when present (required on Access-Request carrying EAP-Message, and
 * on every Access-Request when @p require_ma). @return 0, -EBADMSG or -EPROTO.
 */
int radius_verify_request(const struct radius_pkt *pkt, const void *secret, size_t secret_len,
			  bool require_ma);

/* ---- hidden attributes ------------------------------------------------------------------ */

/**
 * RFC 2865 §5.2 User-Password hiding of @p pw (1..128 octets) with @p req_auth; writes
 * the padded result (a multiple of 16) into @p out (>= 128). @return its length, or -EINVAL.
 */
int radius_password_hide(const void *pw, size_t pw_len, const uint8_t req_auth[16],
			 const void *secret, size_t secret_len, uint8_t *out);

/**
 * Reverse of radius_password_hide(); trailing NULs are stripped. @p out must hold
 * @p len + 1 octets (NUL-terminated). @return the password length, or -EBADMSG.
 */
int radius_password_unhide(const uint8_t *hidden, size_t len, const uint8_t req_auth[16],
			   const void *secret, size_t secret_len, uint8_t *out);

/**
 * RFC 2548 §2.4.2 / §2.4.3: decrypt an MS-MPPE-Send-Key / -Recv-Key value (salt, then the
 * encrypted key-length/key/padding) with the Request Authenticator of the Access-Request
 * it answers. @return the key length (written to @p key, cap @p key_cap), -EBADMSG for a
 * malformed value (salt high bit clear, length not 2 + 16k, key length beyond the data),
 * -ENOSPC.
 */
int radius_mppe_decrypt(const uint8_t *val, size_t len, const uint8_t req_auth[16],
			const void *secret, size_t secret_len, uint8_t *key, size_t key_cap);

/** Inverse, for tests and for building responses: @p salt must have its high bit set. */
int radius_mppe_encrypt(const uint8_t *key, size_t key_len, const uint8_t salt[2],
			const uint8_t req_auth[16], const void *secret, size_t secret_len,
			uint8_t *out, size_t cap);

/**
 * The EAP MSK from an Access-Accept: MS-MPPE-Recv-Key || MS-MPPE-Send-Key (RFC 3748
 * §7.10 / RFC 5216 §2.3 ordering, as IKEv2 EAP relays use it). @return the MSK length
 * (0 when the packet has no keys), -EBADMSG, -ENOSPC. @p msk is wiped on failure.
 */
int radius_msk(const struct radius_pkt *pkt, const uint8_t req_auth[16], const void *secret,
	       size_t secret_len, uint8_t *msk, size_t cap);

/* ---- building ---------------------------------------------------------------------------- */

struct radius_bld {
	struct rp_wbuf w;
	uint8_t code;
	size_t ma_off;          /**< offset of the Message-Authenticator value, or SIZE_MAX */
	uint8_t auth[RADIUS_AUTH_LEN];
};

/**
 * Start a packet in @p buf (cap at most RADIUS_MAX_LEN is used). @p auth: for an
 * Access-Request or Status-Server, its (random) Request Authenticator; for a response, the
 * Request Authenticator of the request it answers; ignored (NULL) for Accounting / CoA /
 * Disconnect requests, whose authenticator is computed. When @p with_ma (always for
 * Access-Request and Status-Server, and for responses carrying EAP) a Message-Authenticator
 * is reserved as the first attribute.
 */
void radius_bld_init(struct radius_bld *b, uint8_t *buf, size_t cap, uint8_t code, uint8_t id,
		     const uint8_t *auth, bool with_ma);

/** Append one standard attribute (1..253 octets). */
bool radius_bld_attr(struct radius_bld *b, uint8_t type, const void *val, size_t len);
bool radius_bld_str(struct radius_bld *b, uint8_t type, const char *s);
bool radius_bld_u32(struct radius_bld *b, uint8_t type, uint32_t v);
/** Append a Vendor-Specific carrying one sub-attribute (1..247 octets). */
bool radius_bld_vsa(struct radius_bld *b, uint32_t vendor, uint8_t vtype, const void *val,
		    size_t len);
/** Append a hidden User-Password (RFC 2865 §5.2); needs the Request Authenticator. */
bool radius_bld_password(struct radius_bld *b, const void *pw, size_t pw_len,
			 const void *secret, size_t secret_len);
/** Append an EAP packet as EAP-Message attributes of 253 octets (RFC 3579 §3.1). */
bool radius_bld_eap(struct radius_bld *b, const uint8_t *eap, size_t len);

/**
 * Patch the length, compute the Message-Authenticator (if reserved) and the authenticator.
 * @return the packet length, or 0 if it did not fit (or an attribute was refused).
 */
size_t radius_bld_finish(struct radius_bld *b, const void *secret, size_t secret_len);

/** One line describing @p pkt ("Access-Accept id 3 len 196: Framed-IP-Address=..."). */
void radius_pkt_summary(const struct radius_pkt *pkt, char *buf, size_t len);

#endif
