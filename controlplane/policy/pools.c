/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The pools the authorization policies name must exist (the pool subsystem owns them). */
#include <errno.h>

#include "controlplane/policy/policy.h"
#include "controlplane/pool/pool_set.h"

int pol_check_pools(struct rp_cfg *c, const struct pool_set *pools)
{
	const config_setting_t *l = rp_cfg_get(rp_cfg_get(rp_cfg_root(c), "ikev2"),
					       "authorization_policies");
	int bad = 0;

	for (int i = 0; i < rp_cfg_count(l); i++) {
		const config_setting_t *e = rp_cfg_elem(l, i);

		for (uint8_t af = 4; af <= 6; af += 2) {
			const char *key = af == 4 ? "pool" : "ipv6_pool";
			const char *v = rp_cfg_str(e, key, NULL);

			if (!v || pool_set_find(pools, af, v))
				continue;
			rp_cfg_error(c, rp_cfg_get(e, key), "unknown IPv%u pool '%s' (pools are "
				     "defined in ike.pools, ike.pool and ike.ipv6_pool)", af, v);
			bad++;
		}
	}
	return bad ? -EINVAL : 0;
}
