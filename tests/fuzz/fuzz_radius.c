/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Fuzz the RADIUS codec: whatever the datagram, radius_parse() classifies it without reading
 * outside it; what parses goes through every consumer of a parsed packet (authenticator
 * checks, EAP reassembly, MPPE key decryption, the log summary), and its attributes are
 * rebuilt into a packet that must parse again with the same attribute count. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/aaa/radius.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct radius_pkt p, p2;
	static uint8_t eap[RADIUS_MAX_LEN], out[RADIUS_MAX_LEN], msk[128];
	static const uint8_t ra[16] = { 0 };
	char sum[512];

	if (radius_parse(data, size, &p) != RADIUS_PERR_OK)
		return 0;
	radius_pkt_summary(&p, sum, sizeof(sum));
	(void)radius_verify_response(&p, ra, "testing123", 10, true);
	(void)radius_verify_request(&p, "testing123", 10, true);
	(void)radius_eap_get(&p, eap, sizeof(eap));
	(void)radius_msk(&p, ra, "testing123", 10, msk, sizeof(msk));

	/* rebuild: standard attributes as they are, vendor ones one per Vendor-Specific */
	struct radius_bld b;
	unsigned n = 0;

	radius_bld_init(&b, out, sizeof(out), p.code, p.id, p.auth, false);
	for (unsigned i = 0; i < p.n; i++) {
		const struct radius_attr *a = &p.attr[i];

		if (!a->len)
			continue; /* the builder refuses empty values */
		if (a->vendor && a->type)
			radius_bld_vsa(&b, a->vendor, a->type, a->val, a->len);
		else if (a->vendor)
			continue; /* kept whole: not a sub-attribute we can re-emit */
		else
			radius_bld_attr(&b, a->type, a->val, a->len);
		n++;
	}
	size_t len = radius_bld_finish(&b, "testing123", 10);

	/* sub-attributes repacked one per VSA may no longer fit; anything else must */
	if (len && (radius_parse(out, len, &p2) != RADIUS_PERR_OK || p2.n != n))
		abort();
	return 0;
}
