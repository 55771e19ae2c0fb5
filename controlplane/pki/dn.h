/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file dn.h
 * Distinguished names as lists of attribute/value pairs, and the attribute-aware matching
 * that certificate maps use ("subject-name co ou = green").
 *
 * A name comes either from a certificate (X509_NAME, values converted to UTF-8) or from
 * operator text in RFC 4514 form, relaxed as Cisco IOS writes it: spaces around '=' and
 * ',' are ignored, ';' separates like ','. Escapes (\, \+ \" \\ \< \> \; \= \# and
 * leading/trailing \ ), \XX hex pairs (UTF-8 bytes), multi-valued RDNs ("cn=a+uid=b") and
 * quoted values are understood; the result must be valid UTF-8. Attribute types are known
 * by short name, long name or dotted OID ("cn", "commonName", "2.5.4.3" are one type).
 *
 * Comparison is case-insensitive for ASCII letters, as IOS compares names; other bytes are
 * compared exactly.
 *
 * Ownership: struct pki_dn is caller-allocated and self-contained (values point into its own
 * text area); nothing to free.
 */
#ifndef RAMPART_PKI_DN_H
#define RAMPART_PKI_DN_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#define PKI_DN_MAX_AVA 32
#define PKI_DN_TEXT 2048
#define PKI_DN_TYPE_MAX 64

/** One attribute/value pair. */
struct pki_ava {
	int nid;                      /**< OpenSSL NID, or NID_undef for an unknown type */
	char type[PKI_DN_TYPE_MAX];   /**< canonical lower-case short name or dotted OID */
	const char *value;            /**< UTF-8, NUL-terminated, inside the pki_dn */
	size_t value_len;
	unsigned rdn;                 /**< RDN index: AVAs of one multi-valued RDN share it */
};

struct pki_dn {
	unsigned n;
	struct pki_ava ava[PKI_DN_MAX_AVA];
	size_t used;
	char text[PKI_DN_TEXT];
};

/**
 * Parse operator text. @return 0, or -EINVAL (syntax, unknown attribute type, invalid UTF-8)
 * / -E2BIG (too many attributes or too long) with a reason in @p err.
 * The AVAs keep the order written.
 */
int pki_dn_parse(struct pki_dn *dn, const char *s, size_t len, char *err, size_t errlen);

/**
 * Convert a certificate's name. AVAs are in RFC 4514 order (most specific first, the
 * reverse of the DER order), like the text form. @return 0, -EINVAL (a value that is not
 * valid text), -E2BIG.
 */
int pki_dn_from_x509(struct pki_dn *dn, const X509_NAME *name);

/** RFC 4514 text with lower-case short types ("cn=a,ou=b"), escaped; truncated to @p len. */
const char *pki_dn_format(const struct pki_dn *dn, char *buf, size_t len);

/** Canonical type of @p name (short, long or OID form). @return false if unknown. */
bool pki_dn_attr_type(const char *name, size_t len, int *nid, char *canon, size_t canon_len);

/** ASCII-case-insensitive equality / substring of byte strings. */
bool pki_str_eq(const char *a, size_t alen, const char *b, size_t blen);
bool pki_str_contains(const char *hay, size_t hlen, const char *needle, size_t nlen);

/** True when some AVA of @p dn has @p p's type and its value equals (contains) @p p's value. */
bool pki_dn_has(const struct pki_dn *dn, const struct pki_ava *p, bool substring);

#endif
