/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file aaa_conf.h
 * The "aaa" configuration section (schema in common/conf_aaa.c, described in docs/aaa.md):
 * cross-reference checks and conversion into the RADIUS client's configuration.
 *
 * Ownership: nothing is kept; results are copied into caller structs.
 */
#ifndef RAMPART_AAA_CONF_H
#define RAMPART_AAA_CONF_H

#include "common/cfg.h"
#include "controlplane/aaa/dae.h"
#include "controlplane/aaa/radius_client.h"

#define AAA_MAX_METHODS 8u

enum aaa_method_kind { AAA_M_GROUP, AAA_M_LOCAL };

struct aaa_method {
	enum aaa_method_kind kind;
	char group[32];  /**< for AAA_M_GROUP */
};

/**
 * Check what the schema cannot: unique server / group / list names, addresses that parse,
 * groups naming known servers (at most 8, same family as the source), methods of the form
 * "group NAME" (a known group) or "local" (not for accounting). Every problem is reported
 * through rp_cfg_error() ("FILE:LINE: setting 'aaa....': ...").
 * @return 0, or -EINVAL when anything was reported.
 */
int aaa_conf_check(struct rp_cfg *c);

/**
 * Fill @p out for RADIUS group @p name (defaults of radius_group_cfg_init() and
 * radius_server_cfg_init() where a setting is absent). Secrets are copied: wipe @p out
 * with OPENSSL_cleanse when done. @return 0, -ENOENT (no such group), -EINVAL.
 */
int aaa_conf_radius_group(const struct rp_cfg *c, const char *name,
			  struct radius_group_cfg *out);

/**
 * The methods of list @p name of @p kind ("authentication", "authorization",
 * "accounting"), in order. @return how many (<= @p max), -ENOENT, -EINVAL.
 */
int aaa_conf_methods(const struct rp_cfg *c, const char *kind, const char *name,
		     struct aaa_method *m, unsigned max);

/**
 * The mode and interval of accounting list @p name.
 * @return 0, -ENOENT.
 */
int aaa_conf_acct_list(const struct rp_cfg *c, const char *name, bool *stop_only,
		       unsigned *interim_s);

/**
 * aaa.dynamic_author as a dae_cfg (secrets copied: wipe @p out with OPENSSL_cleanse).
 * @return 0, -ENOENT (no such section), -EINVAL.
 */
int aaa_conf_dae(const struct rp_cfg *c, struct dae_cfg *out);

#endif
