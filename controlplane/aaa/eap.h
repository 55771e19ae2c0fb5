/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file eap.h
 * EAP packet header (RFC 3748 §4) and what a pass-through relay needs of it: code,
 * identifier, length, type, the Identity response (§5.1), Nak (§5.3.1); and the two
 * packets a relay makes itself: Identity request and Success/Failure. EAP-MD5 (§5.4) is
 * here so that tests can play the peer.
 *
 * The relay does not run EAP methods; it forwards the bytes between IKE and RADIUS and
 * only checks that what it forwards is one well-formed EAP packet.
 *
 * Ownership: eap_parse() fills views into the caller's buffer. Nothing here allocates.
 */
#ifndef RAMPART_AAA_EAP_H
#define RAMPART_AAA_EAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EAP_HDR_LEN 4u
#define EAP_MAX_LEN 65535u

enum eap_code {
	EAP_REQUEST = 1,
	EAP_RESPONSE = 2,
	EAP_SUCCESS = 3,
	EAP_FAILURE = 4,
	EAP_INITIATE = 5, /* RFC 6696 */
	EAP_FINISH = 6,
};

/** Method types (IANA "EAP Method Types"), with names for logs. */
#define EAP_TYPES(X)                 \
	X(1, IDENTITY, "Identity")   \
	X(2, NOTIFICATION, "Notification") \
	X(3, NAK, "Nak")             \
	X(4, MD5, "MD5-Challenge")   \
	X(5, OTP, "OTP")             \
	X(6, GTC, "GTC")             \
	X(13, TLS, "TLS")            \
	X(21, TTLS, "TTLS")          \
	X(25, PEAP, "PEAP")          \
	X(26, MSCHAPV2, "MSCHAPv2")  \
	X(43, FAST, "FAST")          \
	X(254, EXPANDED, "Expanded")

enum eap_type {
#define X(n, id, s) EAP_T_##id = n,
	EAP_TYPES(X)
#undef X
};

/** A parsed EAP packet; data/data_len: what follows the type octet (views). */
struct eap_pkt {
	uint8_t code;
	uint8_t id;
	uint16_t length;
	uint8_t type;        /**< 0 for Success / Failure */
	uint32_t vendor_id;  /**< expanded type (254): vendor id and type, RFC 3748 §5.7 */
	uint32_t vendor_type;
	const uint8_t *data;
	size_t data_len;
};

/**
 * Parse one EAP packet of @p len bytes: Length >= 4 and <= @p len (extra bytes are refused:
 * the relay forwards exactly one packet), Request/Response carry a type octet, Success and
 * Failure are exactly 4 octets, an expanded type carries its 7 octets.
 * @return 0 or -EBADMSG.
 */
int eap_parse(const uint8_t *buf, size_t len, struct eap_pkt *pkt);

const char *eap_code_name(uint8_t code);
/** Method name, or NULL for types not in EAP_TYPES(). */
const char *eap_type_name(uint8_t type);

/**
 * The identity of an Identity Response (§5.1): a view, stopping at the first NUL (options
 * after it are not part of the identity). @return false for any other packet.
 */
bool eap_identity(const struct eap_pkt *pkt, const uint8_t **id, size_t *id_len);

/** Build a Request/Identity (no prompt). @return its length (5), or 0 if cap too small. */
size_t eap_build_identity_request(uint8_t id, uint8_t *out, size_t cap);
/** Build a Response/Identity. @return its length, or 0. */
size_t eap_build_identity_response(uint8_t id, const void *identity, size_t len, uint8_t *out,
				   size_t cap);
/** Build a Success (3) or Failure (4). @return 4, or 0. */
size_t eap_build_result(uint8_t code, uint8_t id, uint8_t *out, size_t cap);

/**
 * EAP-MD5 (RFC 3748 §5.4, RFC 1994 §4.1): the Response to an MD5-Challenge @p req,
 * MD5(id | secret | challenge). @return its length, 0 on a malformed request or small cap.
 */
size_t eap_md5_response(const struct eap_pkt *req, const void *secret, size_t secret_len,
			uint8_t *out, size_t cap);

#endif
