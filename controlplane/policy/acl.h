/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file acl.h
 * Addresses and prefixes as operators write them, and named access lists of prefixes
 * (the standard ACLs that `route set access-list` pushes as split routes).
 *
 * Ownership: a pol_acl owns its prefix array; pol_acl_free() releases it.
 */
#ifndef RAMPART_POLICY_ACL_H
#define RAMPART_POLICY_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POL_NAME_MAX 64

struct pol_prefix {
	uint8_t af;        /**< 4 or 6 */
	uint8_t plen;
	uint8_t addr[16];  /**< network address (host bits cleared) */
};

/** Forms accepted by pol_prefix_parse(). */
enum {
	POL_PFX_PLAIN = 1,    /**< "10.0.0.1" (/32, /128) */
	POL_PFX_SLASH = 2,    /**< "10.0.0.0/8", "2001:db8::/32" */
	POL_PFX_MASK = 4,     /**< "10.0.0.0 255.0.0.0" (contiguous netmask) */
	POL_PFX_WILDCARD = 8, /**< "10.0.0.0 0.255.255.255" (ACL wildcard, contiguous) */
	POL_PFX_HOST = 16,    /**< "host 10.0.0.1" */
	POL_PFX_PERMIT = 32,  /**< leading "permit" allowed */
};

/**
 * Parse @p s in one of the @p forms. Host bits set under the mask are an error ("10.1.1.1/8"
 * is most likely a typo). @return 0, or -EINVAL with a reason in @p err.
 */
int pol_prefix_parse(const char *s, unsigned forms, struct pol_prefix *p, char *err,
		     size_t errlen);

/** True when address @p addr of family @p af (4 or 6) lies in @p p. */
bool pol_prefix_contains(const struct pol_prefix *p, uint8_t af, const uint8_t *addr);

/** "10.0.0.0/8" */
const char *pol_prefix_format(const struct pol_prefix *p, char *buf, size_t len);

/** Parse a dotted IPv4 netmask into a prefix length. @return false if not contiguous. */
bool pol_netmask_parse(const char *s, uint8_t *plen);

struct pol_acl {
	char name[POL_NAME_MAX];
	uint8_t af;
	unsigned n;
	struct pol_prefix *v;
};

void pol_acl_free(struct pol_acl *a);

#endif
