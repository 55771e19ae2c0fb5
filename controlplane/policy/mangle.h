/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file mangle.h
 * IKEv2 name manglers (IOS `crypto ikev2 name-mangler NAME`, configuration
 * `ikev2.name_manglers`, docs/config.md): the user name an authorization request (and an
 * AAA pre-shared key lookup) is made for, derived from the peer's IKE identity or its EAP
 * identity.
 *
 * Rules, one per identity kind; the kind of the identity at hand decides which applies:
 *   dn    FIELD   a DN identity's common-name, country, locality, organization,
 *                 organization-unit or state: the first such AVA in RFC 4514 order (the most
 *                 specific; inside a multi-valued RDN the order written); `domain`: the
 *                 domainComponent (DC) values joined with '.' in that order
 *                 ("dc=vpn,dc=example,dc=com" -> "vpn.example.com")
 *   email all | username | domain   split at the last '@'
 *   fqdn  all | hostname | domain   split at the first '.'; one trailing '.' is ignored
 *   eap   all | dn FIELD | prefix D | suffix D   the EAP identity; D is '.', '@' or '\';
 *                 split at the first D. Without D, `prefix` is the whole identity (a user
 *                 name without realm) and `suffix` fails.
 * When the session authenticated with EAP and the mangler has an `eap` rule, that rule is
 * used with the EAP identity; otherwise the rule for the IKE identity's kind. IP address and
 * key-id identities cannot be mangled (as in IOS).
 *
 * A derived name is 1..POL_MANGLE_MAX bytes of UTF-8 without control characters; anything
 * else (an empty part, "@example.com" asked for its user name, bytes that are not text) is an
 * error with the reason, never a guessed name.
 *
 * Ownership: nothing here allocates; outputs are caller buffers.
 */
#ifndef RAMPART_POLICY_MANGLE_H
#define RAMPART_POLICY_MANGLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cfg.h"
#include "controlplane/policy/acl.h"

/** Longest derived name: one RADIUS User-Name attribute (RFC 2865 §5.1). */
#define POL_MANGLE_MAX 253u

enum pol_mangle_dn {
	POL_MANGLE_DN_NONE = 0,
	POL_MANGLE_DN_COMMON_NAME,
	POL_MANGLE_DN_COUNTRY,
	POL_MANGLE_DN_DOMAIN,
	POL_MANGLE_DN_LOCALITY,
	POL_MANGLE_DN_ORGANIZATION,
	POL_MANGLE_DN_ORGANIZATION_UNIT,
	POL_MANGLE_DN_STATE,
};

/** Part of an e-mail / FQDN identity. */
enum pol_mangle_part {
	POL_MANGLE_PART_NONE = 0,
	POL_MANGLE_PART_ALL,
	POL_MANGLE_PART_LOCAL,   /**< email username, fqdn hostname */
	POL_MANGLE_PART_DOMAIN,
};

enum pol_mangle_eap {
	POL_MANGLE_EAP_NONE = 0,
	POL_MANGLE_EAP_ALL,
	POL_MANGLE_EAP_DN,
	POL_MANGLE_EAP_PREFIX,
	POL_MANGLE_EAP_SUFFIX,
};

struct pol_mangler {
	char name[POL_NAME_MAX];
	enum pol_mangle_dn dn;
	enum pol_mangle_part email, fqdn;
	enum pol_mangle_eap eap;
	enum pol_mangle_dn eap_dn;    /**< with POL_MANGLE_EAP_DN */
	char eap_delim;               /**< with PREFIX / SUFFIX: '.', '@' or '\\' */
};

/** The field of a `dn` keyword ("common-name", ...). @return POL_MANGLE_DN_NONE if unknown. */
enum pol_mangle_dn pol_mangle_dn_field(const char *s);
/** "common-name" ... for logs. */
const char *pol_mangle_dn_name(enum pol_mangle_dn f);

/**
 * Fill @p m from one entry of `ikev2.name_manglers`, already checked against the schema
 * (common/conf_policy.c) and by pol_set_build() (one eap rule, a valid delimiter).
 * @return 0, or -EINVAL when the entry is not what those checks let through.
 */
int pol_mangler_from_cfg(const config_setting_t *e, struct pol_mangler *m);

/**
 * Derive a user name.
 * @param id_type  enum pol_id_type of the IKE identity (POL_ID_DN: DER of the Name)
 * @param eap_id   the EAP identity when the session authenticated with EAP, else NULL
 * @param out      receives the NUL-terminated name; @p cap >= POL_MANGLE_MAX + 1
 * @param why      the reason on failure, or what was done on success (for logs)
 * @return the name length, -ENOENT (the mangler has no rule for this identity),
 *         -EINVAL (the rule yields no usable name; reason in @p why).
 */
int pol_mangle(const struct pol_mangler *m, int id_type, const uint8_t *id, size_t id_len,
	       const char *eap_id, size_t eap_len, char *out, size_t cap, char *why,
	       size_t whylen);

/**
 * The user name without a mangler (IOS: "the peer identity is used as the username"): the
 * EAP identity if there is one, else an FQDN / e-mail / key-id identity as text, an IP
 * address in its usual text form. A DN identity cannot be a user name (-EINVAL).
 * @return the length, or -EINVAL with the reason in @p why.
 */
int pol_mangle_default(int id_type, const uint8_t *id, size_t id_len, const char *eap_id,
		       size_t eap_len, char *out, size_t cap, char *why, size_t whylen);

#endif
