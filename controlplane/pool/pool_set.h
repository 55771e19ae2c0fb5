/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file pool_set.h
 * The named address pools of rampartd (IOS `ip local pool NAME FIRST LAST`,
 * `ipv6 local pool NAME PREFIX/LEN`), independent of the protocol that takes addresses
 * from them.
 *
 * Names are per family, as in IOS: an IPv4 and an IPv6 pool may share a name. Each family
 * has at most one default pool, used when a session's authorization policy names none; the
 * `ike` section's `pool` / `ipv6_pool` are the defaults (named "default" unless they say
 * otherwise). Pools of one family may not overlap. At most POOL_SET_MAX pools.
 *
 *     ike = {
 *       pool = { first = "198.18.200.10"; last = "198.18.200.250"; };     # "default"
 *       pools = (
 *         { name = "green"; first = "198.18.201.10"; last = "198.18.201.99";
 *           dns = [ "198.51.100.53" ]; netmask = 24; },
 *         { name = "green"; prefix = "2001:db8:201::/112"; }
 *       );
 *     };
 *
 * Ownership: the set owns its pools; pool_set_free() destroys them (leases still held
 * become invalid). A lease knows its pool (struct pool_lease.pool), so it is given back
 * with pool_lease_release() whichever pool it came from.
 */
#ifndef RAMPART_POOL_POOL_SET_H
#define RAMPART_POOL_POOL_SET_H

#include "common/cfg.h"
#include "controlplane/pool/pool.h"

#define POOL_SET_MAX 256u
#define POOL_DEFAULT_NAME "default"

struct pool_set {
	unsigned n;
	struct pool *pools[POOL_SET_MAX];   /**< configuration order, defaults first */
	struct pool *def4, *def6;           /**< the default pool of each family, or NULL */
};

/**
 * Add a pool made from @p cfg. @return 0 (and *@p out if not NULL), -EINVAL with the reason
 * in @p err (bad range, a name already taken in that family, an overlap with another pool,
 * a second default, too many pools), -ENOMEM.
 */
int pool_set_add(struct pool_set *s, const struct pool_cfg *cfg, bool is_default,
		 struct pool **out, char *err, size_t errlen);

/** The pool of family @p af (4 or 6) named @p name, or NULL. */
struct pool *pool_set_find(const struct pool_set *s, uint8_t af, const char *name);

/**
 * Read the pools of the configuration: @p def4 (`ike.pool`), @p def6 (`ike.ipv6_pool`),
 * the list @p list (`ike.pools`); each may be NULL. Errors are reported at FILE:LINE with
 * rp_cfg_error(). @return 0 and *@p out (caller frees with pool_set_free()), -EINVAL,
 * -ENOMEM.
 */
int pool_set_parse(struct rp_cfg *c, const config_setting_t *def4,
		   const config_setting_t *def6, const config_setting_t *list,
		   struct pool_set **out);

void pool_set_free(struct pool_set *s);

struct sbuf;
struct json_w;

/**
 * "show pools [NAME]": per pool its name, family, range, size, addresses in use and free
 * (text into @p out, or JSON through @p jw when @p json). @return 0, -ENOENT when @p name
 * names no pool.
 */
int pool_set_show(const struct pool_set *s, const char *name, bool json, struct sbuf *out,
		  struct json_w *jw);

#endif
