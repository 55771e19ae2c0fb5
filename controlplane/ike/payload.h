/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file payload.h
 * IKEv2 message and payload layer (RFC 7296 §3, RFC 7383 §2.5): parse a datagram into a
 * host-order description, and build one from such a description.
 *
 * Every payload is described once, in the IKE_PAYLOADS() table: its number, the fixed
 * fields that follow the generic payload header (a list of (width, struct member) pairs
 * read and written by one generic routine), and the kind of variable part that follows
 * (opaque data, SPIs, proposals, selectors, attributes). All reads go through the bounded
 * cursor of common/cursor.h; all writes through its writer.
 *
 * Parsing validates the whole chain before anything is used: generic lengths (>= 4, within
 * the message, no trailing bytes), nesting (proposals, transforms, attributes, selectors,
 * config attributes: lengths and counts consistent, "last" markers right), bounds (at most
 * IKE_MAX_PAYLOADS payloads, IKE_MAX_PROPOSALS proposals, IKE_MAX_TRANSFORMS transforms per
 * proposal...), and unknown payloads (skipped, unless critical: the message is refused with
 * UNSUPPORTED_CRITICAL_PAYLOAD). SK / SKF must be last: their content is parsed later, after
 * decryption, with ike_payloads_parse().
 *
 * Ownership: the parsed description (struct ike_msg) holds views into the caller's buffer;
 * it is valid as long as that buffer is. Nothing here allocates.
 */
#ifndef RAMPART_IKE_PAYLOAD_H
#define RAMPART_IKE_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cursor.h"
#include "controlplane/ike/ike_proto.h"

/* ---- bounds -------------------------------------------------------------------------------- */
#define IKE_HDR_LEN 28u
#define IKE_GEN_HDR_LEN 4u
#define IKE_MAX_PAYLOADS 64u      /**< payloads in one chain (outer or inner) */
#define IKE_MAX_PROPOSALS 32u     /**< proposals in one SA payload */
#define IKE_MAX_TRANSFORMS 64u    /**< transforms in one proposal */
#define IKE_MAX_SA_TRANSFORMS 256u /**< transforms in one SA payload, all proposals together */
#define IKE_MAX_TS 16u            /**< selectors in one TS payload */
#define IKE_MAX_CFG_ATTRS 32u     /**< attributes in one CP payload */
#define IKE_MAX_SPI_LEN 8u
#define IKE_MSG_MAX 65535u        /**< we never accept (or build) a larger message */

/** A view of bytes inside the parsed buffer (or, when building, the caller's data). */
struct ike_bytes {
	const uint8_t *p;
	size_t len;
};

/** IKE header (§3.1), host order. */
struct ike_hdr {
	uint64_t spi_i;
	uint64_t spi_r;
	uint8_t next;     /**< first payload type */
	uint8_t version;  /**< 0x20 for IKEv2 */
	uint8_t exchange; /**< enum ike_exchange */
	uint8_t flags;    /**< IKE_HDR_F_* */
	uint32_t msg_id;
	uint32_t length;
};

/** One transform (§3.3.2); only the Key Length attribute is defined for IKEv2. */
struct ike_transform {
	uint8_t type;        /**< enum ike_transform_type */
	uint16_t id;
	uint16_t key_len;    /**< bits; valid if has_key_len */
	bool has_key_len;
	bool unknown_attr;   /**< an attribute we do not know: the transform must be ignored */
};

/** One proposal (§3.3.1); its transforms are ike_sa_pl.xf[first .. first + n_xf - 1]. */
struct ike_proposal {
	uint8_t num;
	uint8_t proto;       /**< IKE_PROTO_* */
	uint8_t spi_len;
	uint8_t spi[IKE_MAX_SPI_LEN];
	uint16_t first;
	uint16_t n_xf;
};

struct ike_sa_pl {
	unsigned n_prop;
	struct ike_proposal prop[IKE_MAX_PROPOSALS];
	unsigned n_xf;
	struct ike_transform xf[IKE_MAX_SA_TRANSFORMS];
};

/** One traffic selector (§3.13.1). Addresses in network order; IPv4 uses bytes 0..3. */
struct ike_ts {
	uint8_t type;        /**< IKE_TS_IPV4_RANGE / IKE_TS_IPV6_RANGE */
	uint8_t proto;       /**< 0 = any */
	uint16_t sport, eport;
	uint8_t start[16], end[16];
};

struct ike_ts_pl {
	unsigned n;
	struct ike_ts ts[IKE_MAX_TS];
};

/** One configuration attribute (§3.15.1). */
struct ike_cfg_at {
	uint16_t type;       /**< 15 bits */
	struct ike_bytes value;
};

struct ike_cp_pl {
	uint8_t cfg_type;    /**< IKE_CFG_REQUEST... */
	unsigned n;
	struct ike_cfg_at attr[IKE_MAX_CFG_ATTRS];
};

/** Fixed fields and variable parts of the simpler payloads (one struct for all of them;
 * the table says which members a type uses). */
struct ike_pl_fields {
	uint8_t u8a;        /**< KE: -, ID: id type, CERT/CERTREQ: encoding, AUTH: method,
			         Notify/Delete: protocol, CP: cfg type, EAP: code */
	uint8_t u8b;        /**< Notify/Delete: SPI size, EAP: identifier */
	uint16_t u16a;      /**< KE: DH group, Notify: type, Delete: SPI count, SKF: fragment number,
			         EAP: length */
	uint16_t u16b;      /**< SKF: total fragments */
	uint8_t n_ts;       /**< TS: number of selectors */
	struct ike_bytes spi;  /**< Notify: SPI; Delete: all SPIs */
	struct ike_bytes data; /**< the variable part (key exchange data, identification...) */
};

/** One parsed payload. */
struct ike_pl {
	uint8_t type;
	bool critical;
	struct ike_bytes body;  /**< after the generic header */
	struct ike_pl_fields f;
};

/** Payload types. X(NAME, number, fixed-field layout, variable part, max per chain). */
#define IKE_PAYLOADS(X)                                                   \
	X(SA,      33, none,    SA,    1)                                 \
	X(KE,      34, ke,      DATA,  1)                                 \
	X(IDI,     35, id,      DATA,  1)                                 \
	X(IDR,     36, id,      DATA,  1)                                 \
	X(CERT,    37, cert,    DATA,  16)                                \
	X(CERTREQ, 38, cert,    DATA,  16)                                \
	X(AUTH,    39, id,      DATA,  1)                                 \
	X(NONCE,   40, none,    NONCE, 1)                                 \
	X(NOTIFY,  41, notify,  NOTIFY, IKE_MAX_PAYLOADS)                 \
	X(DELETE,  42, delete,  DELETE, IKE_MAX_PAYLOADS)                 \
	X(VENDOR,  43, none,    DATA,  IKE_MAX_PAYLOADS)                  \
	X(TSI,     44, ts,      TS,    1)                                 \
	X(TSR,     45, ts,      TS,    1)                                 \
	X(SK,      46, none,    DATA,  1)                                 \
	X(CP,      47, id,      CP,    1)                                 \
	X(EAP,     48, eap,     EAP,   1)                                 \
	X(SKF,     53, skf,     DATA,  1)

enum ike_pl_type {
	IKE_PL_NONE = 0,
#define X(n, v, lay, var, max) IKE_PL_##n = v,
	IKE_PAYLOADS(X)
#undef X
};

/** A whole parsed chain. */
struct ike_msg {
	struct ike_hdr hdr;      /**< only for ike_msg_parse() */
	struct ike_bytes raw;    /**< the whole message (ike_msg_parse()) */
	unsigned n;
	struct ike_pl pl[IKE_MAX_PAYLOADS];
	struct ike_sa_pl sa;     /**< the SA payload's content, if present */
	struct ike_ts_pl tsi, tsr;
	struct ike_cp_pl cp;
	/* SK / SKF: the first inner payload type, and the SK payload's offset in raw */
	uint8_t sk_next;
	size_t sk_off;           /**< offset of the SK/SKF generic header in raw; 0 if none */
};

/** Outcome of parsing, with the notify a responder may send back. */
enum ike_perr {
	IKE_PERR_OK = 0,
	IKE_PERR_SHORT,          /**< shorter than a header, or length field != datagram size */
	IKE_PERR_VERSION,        /**< major version != 2: INVALID_MAJOR_VERSION */
	IKE_PERR_SYNTAX,         /**< malformed: INVALID_SYNTAX (only once authenticated) */
	IKE_PERR_CRITICAL,       /**< unknown critical payload: UNSUPPORTED_CRITICAL_PAYLOAD */
	IKE_PERR_BOUNDS,         /**< more payloads/proposals/... than we accept */
};

struct ike_perr_info {
	enum ike_perr err;
	uint8_t pl_type;         /**< the payload concerned (CRITICAL: the unknown type) */
	size_t off;              /**< where in the chain */
	const char *why;         /**< static text for logs */
};

/**
 * Parse a whole message: header, then the payload chain up to and including SK/SKF.
 * @return IKE_PERR_OK and @p m filled, or an error with @p info (may be NULL).
 */
enum ike_perr ike_msg_parse(const uint8_t *buf, size_t len, struct ike_msg *m,
			    struct ike_perr_info *info);

/** Parse only the 28-byte header (for dispatch before any payload work). */
bool ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h);

/**
 * Parse a payload chain starting with type @p first (e.g. the decrypted content of SK).
 * Appends nothing: @p m's payload list is reset, its hdr and raw are kept.
 */
enum ike_perr ike_payloads_parse(uint8_t first, const uint8_t *buf, size_t len,
				 struct ike_msg *m, struct ike_perr_info *info);

/** First payload of @p type in @p m (after @p after, or from the start if NULL). */
const struct ike_pl *ike_msg_find(const struct ike_msg *m, uint8_t type,
				  const struct ike_pl *after);

/** First Notify of @p ntype, or NULL. */
const struct ike_pl *ike_msg_notify(const struct ike_msg *m, uint16_t ntype);

/** Name of a payload type for logs ("SA", "N", ...), "?" if unknown. */
const char *ike_pl_name(uint8_t type);

/** Write "SA KE No N(NAT_D_S) ..." (strongSwan-like summary) into @p out. */
void ike_msg_summary(const struct ike_msg *m, char *out, size_t outlen);

/* ---- building ------------------------------------------------------------------------------- */

/**
 * A message under construction in caller memory: the header, then payloads appended one
 * after another; the builder patches each "next payload" field and each length.
 * For an inner chain (the plaintext of SK) initialise with ike_bld_init_chain().
 */
struct ike_bld {
	struct rp_wbuf w;
	bool has_hdr;
	uint8_t first;          /**< first payload type (chains) */
	size_t np_off;          /**< offset of the "next payload" byte to patch, SIZE_MAX = none */
	size_t len_off;         /**< offset of the open payload's length, SIZE_MAX = none */
	size_t start;           /**< offset of the open payload */
};

void ike_bld_init(struct ike_bld *b, uint8_t *buf, size_t cap, const struct ike_hdr *h);
void ike_bld_init_chain(struct ike_bld *b, uint8_t *buf, size_t cap);

/** Open a payload of @p type: writes its generic header. Close it with ike_bld_end(). */
bool ike_bld_begin(struct ike_bld *b, uint8_t type, bool critical);
bool ike_bld_end(struct ike_bld *b);

/**
 * Append one payload from its parsed form (the inverse of the parser for every type; SA,
 * TS and CP content comes from @p m's sa/tsi/tsr/cp). SK/SKF: @p pl->f.data is written as is
 * and the next-payload field is @p m->sk_next.
 */
bool ike_bld_pl(struct ike_bld *b, const struct ike_pl *pl, const struct ike_msg *m);

/** Helpers for the payloads we send ourselves. */
bool ike_bld_notify(struct ike_bld *b, uint8_t proto, const void *spi, uint8_t spi_len,
		    uint16_t type, const void *data, size_t len);
bool ike_bld_data(struct ike_bld *b, uint8_t type, const void *data, size_t len);
bool ike_bld_ke(struct ike_bld *b, uint16_t group, const void *data, size_t len);
bool ike_bld_id(struct ike_bld *b, uint8_t type, uint8_t id_type, const void *data,
		size_t len);
/** CERT or CERTREQ (@p type) of @p encoding (§3.6, §3.7). */
bool ike_bld_cert(struct ike_bld *b, uint8_t type, uint8_t encoding, const void *data,
		  size_t len);
bool ike_bld_sa(struct ike_bld *b, const struct ike_sa_pl *sa);
bool ike_bld_ts(struct ike_bld *b, uint8_t type, const struct ike_ts_pl *ts);
bool ike_bld_cp(struct ike_bld *b, const struct ike_cp_pl *cp);
bool ike_bld_delete(struct ike_bld *b, uint8_t proto, uint8_t spi_len, const void *spis,
		    uint16_t n);

/**
 * Patch the header's length (and, for a message whose last payload is SK, nothing else: the
 * caller encrypts in place afterwards). @return the message length, or 0 if it overflowed.
 */
size_t ike_bld_finish(struct ike_bld *b);

/** For a chain: the first payload type written. */
static inline uint8_t ike_bld_first(const struct ike_bld *b)
{
	return b->first;
}

#endif
