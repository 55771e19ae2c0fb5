/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file certmap.h
 * Certificate maps, as IOS `crypto pki certificate map NAME SEQ` defines them.
 *
 * A rule is one line "FIELD OP VALUE":
 *   FIELD  subject-name, issuer-name, name (subject or issuer), alt-subject-name,
 *          unstructured-subject-name, serial-number, valid-start, expires-on
 *   OP     eq, ne, co (contains), nc (does not contain), lt, le, gt, ge
 *   VALUE  the rest of the line.
 *
 * Name fields (subject, issuer, name) are matched attribute by attribute when VALUE is a
 * distinguished name ("ou = green", "cn=vpn, o=Example"): eq holds when every attribute
 * written is present in the certificate's name with that value, co when every attribute is
 * present with a value containing the text written; ne and nc are their negations. A VALUE
 * without '=' is matched against the whole name in text form ("cn=a,ou=b,o=c"). All
 * comparisons ignore ASCII case, as IOS does. alt-subject-name compares with each
 * subjectAltName entry (DNS name, e-mail, URI, IP address, directory name); eq/co hold when
 * one entry matches. unstructured-subject-name does the same with the subject's
 * unstructuredName / unstructuredAddress values. serial-number takes hex (colons allowed) and
 * orders numerically. valid-start / expires-on take a UTC date: "2026-11-25 14:00:00",
 * "25 11 2026 14:00:00", "Nov 25 2026 14:00:00" or IOS's "14:00:00 UTC Nov 25 2026"
 * (time optional); "expires-on lt 2027-01-01" holds when the certificate expires before.
 *
 * All rules of one sequence must match; a map's sequences are tried in ascending order and
 * the first that matches decides. A certificate whose fields cannot be read as text matches
 * no rule (neither positive nor negative ones).
 *
 * Ownership: a pki_certmap owns its sequences and rules; pki_certmap_free() releases them.
 */
#ifndef RAMPART_PKI_CERTMAP_H
#define RAMPART_PKI_CERTMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "controlplane/pki/dn.h"

#define PKI_CM_NAME_MAX 64
#define PKI_CM_VALUE_MAX 512
#define PKI_CM_ALT_MAX 32
#define PKI_CM_SERIAL_MAX 80

enum pki_cm_field {
	PKI_CM_SUBJECT_NAME,
	PKI_CM_ISSUER_NAME,
	PKI_CM_NAME,
	PKI_CM_ALT_SUBJECT_NAME,
	PKI_CM_UNSTRUCTURED_SUBJECT_NAME,
	PKI_CM_SERIAL_NUMBER,
	PKI_CM_VALID_START,
	PKI_CM_EXPIRES_ON,
};

enum pki_cm_op { PKI_CM_EQ, PKI_CM_NE, PKI_CM_CO, PKI_CM_NC, PKI_CM_LT, PKI_CM_LE, PKI_CM_GT,
		 PKI_CM_GE };

struct pki_cm_rule {
	enum pki_cm_field field;
	enum pki_cm_op op;
	char value[PKI_CM_VALUE_MAX];   /**< as written, trimmed */
	size_t value_len;
	bool is_dn;                     /**< name fields: VALUE parsed as a DN */
	struct pki_dn dn;
	time_t when;                    /**< dates */
	char serial[PKI_CM_SERIAL_MAX]; /**< canonical lower-case hex without leading zeros */
};

/** What the rules look at, extracted from one certificate once. */
struct pki_cert_view {
	bool subject_ok, issuer_ok, alt_ok;
	struct pki_dn subject, issuer;
	char subject_text[PKI_DN_TEXT], issuer_text[PKI_DN_TEXT];
	unsigned n_alt;
	char alt[PKI_CM_ALT_MAX][256];
	char serial[PKI_CM_SERIAL_MAX];
	time_t not_before, not_after;
	bool times_ok;
};

struct pki_certmap_seq {
	unsigned seq;
	unsigned n_rules;
	struct pki_cm_rule *rules;
};

struct pki_certmap {
	char name[PKI_CM_NAME_MAX];
	unsigned n_seq;
	struct pki_certmap_seq *seqs;   /**< ascending seq */
};

/** Parse one rule line. @return 0 or -EINVAL / -E2BIG with a reason in @p err. */
int pki_cm_rule_parse(struct pki_cm_rule *r, const char *line, char *err, size_t errlen);

/** "subject-name co ou=green" back as text (canonical keywords, value as written). */
const char *pki_cm_rule_format(const struct pki_cm_rule *r, char *buf, size_t len);

/** Fill @p v from @p cert. Never fails: unreadable parts are marked and match nothing. */
void pki_cert_view_init(struct pki_cert_view *v, const X509 *cert);

bool pki_cm_rule_match(const struct pki_cm_rule *r, const struct pki_cert_view *v);

/** Parse a date of the forms above into UTC seconds. */
bool pki_cm_parse_date(const char *s, time_t *out);

/**
 * Add sequence @p seq with @p n rule lines to @p m (kept sorted). @return 0, -EEXIST for a
 * sequence number already present, -EINVAL (a bad rule: reason in @p err, *bad_rule its index),
 * -ENOMEM.
 */
int pki_certmap_add_seq(struct pki_certmap *m, unsigned seq, const char *const *lines,
			unsigned n, char *err, size_t errlen, unsigned *bad_rule);

/** First matching sequence. @return true and *seq, or false. */
bool pki_certmap_match(const struct pki_certmap *m, const struct pki_cert_view *v,
		       unsigned *seq);

void pki_certmap_free(struct pki_certmap *m);

const char *pki_cm_field_name(enum pki_cm_field f);
const char *pki_cm_op_name(enum pki_cm_op o);

#endif
