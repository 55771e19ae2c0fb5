/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Fuzz IKEv2 authorization from RADIUS: whatever Access-Accept parses, its attributes become
 * an authorization (every value refused or kept within bounds), which merges with itself
 * and is freed without leaks. Tunnel-Password decryption runs with a fixed authenticator. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "controlplane/aaa/authz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct radius_pkt p;
	static const uint8_t ra[16] = { 0 };
	static struct aaa_authz z, m;
	char src[512];

	rp_log_set_level(RP_LOG_ERR);
	if (radius_parse(data, size, &p) != RADIUS_PERR_OK)
		return 0;
	if (aaa_authz_from_radius(&p, NULL, ra, "testing123", 10, "fuzz", &z))
		return 0;
	if (z.a.n_route_remote > AAA_AZ_ROUTES_MAX || z.a.n_dns > 2 || z.a.n_dns6 > 2 ||
	    z.a.n_wins > 2 || z.a.n_split_dns > POL_MAX_SPLIT_DNS ||
	    z.a.n_backup_gw > POL_MAX_BACKUP_GW || z.a.n_interface_config > AAA_AZ_IFCFG_MAX ||
	    (z.a.banner && strlen(z.a.banner) > AAA_AZ_BANNER_MAX))
		abort();
	if (!aaa_authz_merge(NULL, &z, NULL, &z, false, "m", &m)) {
		aaa_authz_sources(&m, src, sizeof(src));
		if ((m.set & z.set) != z.set)
			abort();
		aaa_authz_free(&m);
	}
	aaa_authz_free(&z);
	return 0;
}
