/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ike_proto.h
 * IKEv2 protocol numbers (RFC 7296 §3, IANA "IKEv2 Parameters"), each list written once as an
 * X-macro that yields the enum and the names used in logs.
 */
#ifndef RAMPART_IKE_PROTO_H
#define RAMPART_IKE_PROTO_H

#include <stdint.h>

/** Exchange types (§3.1). */
#define IKE_EXCHANGES(X)               \
	X(IKE_SA_INIT, 34)             \
	X(IKE_AUTH, 35)                \
	X(CREATE_CHILD_SA, 36)         \
	X(INFORMATIONAL, 37)
enum ike_exchange {
#define X(n, v) IKE_XCHG_##n = v,
	IKE_EXCHANGES(X)
#undef X
};

/** Header flags (§3.1). */
enum {
	IKE_HDR_F_I = 0x08, /**< sent by the original initiator */
	IKE_HDR_F_V = 0x10, /**< higher version supported */
	IKE_HDR_F_R = 0x20, /**< response */
};

/** Transform types (§3.3.2). */
#define IKE_TRANSFORM_TYPES(X) \
	X(ENCR, 1)             \
	X(PRF, 2)              \
	X(INTEG, 3)            \
	X(DH, 4)               \
	X(ESN, 5)
enum ike_transform_type {
#define X(n, v) IKE_TT_##n = v,
	IKE_TRANSFORM_TYPES(X)
#undef X
};

/** Encryption algorithms we know (§3.3.2, RFC 5282, RFC 7634). */
#define IKE_ENCRS(X)                      \
	X(3DES, 3)                        \
	X(NULL, 11)                       \
	X(AES_CBC, 12)                    \
	X(AES_CTR, 13)                    \
	X(AES_GCM_8, 18)                  \
	X(AES_GCM_12, 19)                 \
	X(AES_GCM_16, 20)                 \
	X(CHACHA20_POLY1305, 28)
enum ike_encr {
#define X(n, v) IKE_ENCR_##n = v,
	IKE_ENCRS(X)
#undef X
};

#define IKE_PRFS(X)              \
	X(HMAC_SHA1, 2)          \
	X(HMAC_SHA2_256, 5)      \
	X(HMAC_SHA2_384, 6)      \
	X(HMAC_SHA2_512, 7)
enum ike_prf {
#define X(n, v) IKE_PRF_##n = v,
	IKE_PRFS(X)
#undef X
};

#define IKE_INTEGS(X)                \
	X(NONE, 0)                   \
	X(HMAC_SHA1_96, 2)           \
	X(HMAC_SHA2_256_128, 12)     \
	X(HMAC_SHA2_384_192, 13)     \
	X(HMAC_SHA2_512_256, 14)
enum ike_integ {
#define X(n, v) IKE_INTEG_##n = v,
	IKE_INTEGS(X)
#undef X
};

#define IKE_DH_GROUPS(X)   \
	X(NONE, 0)         \
	X(MODP2048, 14)    \
	X(MODP3072, 15)    \
	X(MODP4096, 16)    \
	X(ECP256, 19)      \
	X(ECP384, 20)      \
	X(ECP521, 21)      \
	X(CURVE25519, 31)
enum ike_dh_group {
#define X(n, v) IKE_DH_##n = v,
	IKE_DH_GROUPS(X)
#undef X
};

/** Transform attribute types (§3.3.5). */
enum { IKE_ATTR_KEY_LENGTH = 14 };

/** Protocol IDs (§3.3.1). */
enum { IKE_PROTO_IKE = 1, IKE_PROTO_AH = 2, IKE_PROTO_ESP = 3 };

/** ID types (§3.5). */
#define IKE_ID_TYPES(X)         \
	X(IPV4_ADDR, 1)         \
	X(FQDN, 2)              \
	X(RFC822_ADDR, 3)       \
	X(IPV6_ADDR, 5)         \
	X(DER_ASN1_DN, 9)       \
	X(DER_ASN1_GN, 10)      \
	X(KEY_ID, 11)
enum ike_id_type {
#define X(n, v) IKE_ID_##n = v,
	IKE_ID_TYPES(X)
#undef X
};

/** Authentication methods (§3.8, RFC 7427). */
enum {
	IKE_AUTH_RSA_SIG = 1,
	IKE_AUTH_PSK = 2,
	IKE_AUTH_DSS = 3,
	IKE_AUTH_ECDSA_256 = 9,
	IKE_AUTH_ECDSA_384 = 10,
	IKE_AUTH_ECDSA_521 = 11,
	IKE_AUTH_DIGITAL_SIG = 14,
};

/** Certificate encodings of CERT / CERTREQ (§3.6); we use only X.509 Signature. */
enum { IKE_CERT_X509_SIG = 4 };

/** Traffic selector types (§3.13.1). */
enum { IKE_TS_IPV4_RANGE = 7, IKE_TS_IPV6_RANGE = 8 };

/** Configuration payload types and attributes (§3.15). */
enum { IKE_CFG_REQUEST = 1, IKE_CFG_REPLY = 2, IKE_CFG_SET = 3, IKE_CFG_ACK = 4 };
#define IKE_CFG_ATTRS(X)                  \
	X(INTERNAL_IP4_ADDRESS, 1)        \
	X(INTERNAL_IP4_NETMASK, 2)        \
	X(INTERNAL_IP4_DNS, 3)            \
	X(INTERNAL_IP4_NBNS, 4)           \
	X(INTERNAL_IP4_DHCP, 6)           \
	X(APPLICATION_VERSION, 7)         \
	X(INTERNAL_IP6_ADDRESS, 8)        \
	X(INTERNAL_IP6_DNS, 10)           \
	X(INTERNAL_IP6_DHCP, 12)          \
	X(INTERNAL_IP4_SUBNET, 13)        \
	X(SUPPORTED_ATTRIBUTES, 14)       \
	X(INTERNAL_IP6_SUBNET, 15)
enum ike_cfg_attr_type {
#define X(n, v) IKE_CFG_##n = v,
	IKE_CFG_ATTRS(X)
#undef X
};

/** Notify message types (§3.10.1, RFC 7383, RFC 7427). */
#define IKE_NOTIFIES(X)                                  \
	X(UNSUPPORTED_CRITICAL_PAYLOAD, 1)               \
	X(INVALID_IKE_SPI, 4)                            \
	X(INVALID_MAJOR_VERSION, 5)                      \
	X(INVALID_SYNTAX, 7)                             \
	X(INVALID_MESSAGE_ID, 9)                         \
	X(INVALID_SPI, 11)                               \
	X(NO_PROPOSAL_CHOSEN, 14)                        \
	X(INVALID_KE_PAYLOAD, 17)                        \
	X(AUTHENTICATION_FAILED, 24)                     \
	X(SINGLE_PAIR_REQUIRED, 34)                      \
	X(NO_ADDITIONAL_SAS, 35)                         \
	X(INTERNAL_ADDRESS_FAILURE, 36)                  \
	X(FAILED_CP_REQUIRED, 37)                        \
	X(TS_UNACCEPTABLE, 38)                           \
	X(INVALID_SELECTORS, 39)                         \
	X(TEMPORARY_FAILURE, 43)                         \
	X(CHILD_SA_NOT_FOUND, 44)                        \
	X(INITIAL_CONTACT, 16384)                        \
	X(SET_WINDOW_SIZE, 16385)                        \
	X(ADDITIONAL_TS_POSSIBLE, 16386)                 \
	X(IPCOMP_SUPPORTED, 16387)                       \
	X(NAT_DETECTION_SOURCE_IP, 16388)                \
	X(NAT_DETECTION_DESTINATION_IP, 16389)           \
	X(COOKIE, 16390)                                 \
	X(USE_TRANSPORT_MODE, 16391)                     \
	X(HTTP_CERT_LOOKUP_SUPPORTED, 16392)             \
	X(REKEY_SA, 16393)                               \
	X(ESP_TFC_PADDING_NOT_SUPPORTED, 16394)          \
	X(NON_FIRST_FRAGMENTS_ALSO, 16395)               \
	X(MOBIKE_SUPPORTED, 16396)                       \
	X(MULTIPLE_AUTH_SUPPORTED, 16404)                \
	X(REDIRECT_SUPPORTED, 16406)                     \
	X(EAP_ONLY_AUTHENTICATION, 16417)                \
	X(IKEV2_FRAGMENTATION_SUPPORTED, 16430)          \
	X(SIGNATURE_HASH_ALGORITHMS, 16431)
enum ike_notify_type {
#define X(n, v) IKE_N_##n = v,
	IKE_NOTIFIES(X)
#undef X
};

/** Notify types below this are errors (§3.10.1). */
#define IKE_N_ERROR_MAX 16383

/** Hash algorithms of SIGNATURE_HASH_ALGORITHMS (RFC 7427 §7). */
enum { IKE_HASH_SHA2_256 = 2, IKE_HASH_SHA2_384 = 3, IKE_HASH_SHA2_512 = 4 };

const char *ike_exchange_name(unsigned v);
const char *ike_notify_name(unsigned v);
const char *ike_encr_name(unsigned v);
const char *ike_prf_name(unsigned v);
const char *ike_integ_name(unsigned v);
const char *ike_dh_name(unsigned v);

#endif
