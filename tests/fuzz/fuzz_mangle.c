/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Fuzz the name manglers with a peer's identity: the input is tried as a DER DN, an e-mail,
 * an FQDN and an EAP identity under every rule; a name that comes out is text of 1..253
 * bytes, NUL-terminated, and nothing is read outside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/policy/mangle.h"
#include "controlplane/policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, const char *out)
{
	if (rc > 0 && (rc > (int)POL_MANGLE_MAX || strlen(out) != (size_t)rc))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = ".@\\";
	char out[POL_MANGLE_MAX + 1], why[256];
	char *eap = malloc(size ? size : 1);
	struct pol_mangler m;

	if (!eap)
		return 0;
	memcpy(eap, data, size);   /* exactly size bytes: no terminator to lean on */
	for (int f = POL_MANGLE_DN_COMMON_NAME; f <= POL_MANGLE_DN_STATE; f++) {
		m = (struct pol_mangler){ .name = "f", .dn = f, .eap = POL_MANGLE_EAP_DN,
					  .eap_dn = f };
		check(pol_mangle(&m, POL_ID_DN, data, size, NULL, 0, out, sizeof(out), why,
				 sizeof(why)), out);
		check(pol_mangle(&m, POL_ID_DN, data, size, eap, size, out, sizeof(out), why,
				 sizeof(why)), out);
	}
	for (int p = POL_MANGLE_PART_ALL; p <= POL_MANGLE_PART_DOMAIN; p++) {
		m = (struct pol_mangler){ .name = "f", .email = p, .fqdn = p };
		check(pol_mangle(&m, POL_ID_EMAIL, data, size, NULL, 0, out, sizeof(out), why,
				 sizeof(why)), out);
		check(pol_mangle(&m, POL_ID_FQDN, data, size, NULL, 0, out, sizeof(out), why,
				 sizeof(why)), out);
	}
	for (int e = POL_MANGLE_EAP_ALL; e <= POL_MANGLE_EAP_SUFFIX; e++)
		for (int d = 0; d < 3; d++) {
			m = (struct pol_mangler){ .name = "f", .eap = e, .eap_delim = delims[d],
						  .eap_dn = POL_MANGLE_DN_DOMAIN };
			check(pol_mangle(&m, POL_ID_IPV4, data, size, eap, size, out, sizeof(out),
					 why, sizeof(why)), out);
		}
	check(pol_mangle_default(POL_ID_KEY_ID, data, size, NULL, 0, out, sizeof(out), why,
				 sizeof(why)), out);
	free(eap);
	return 0;
}
