/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Fuzz the IKEv2 payload layer: whatever the datagram, ike_msg_parse() classifies it without
 * reading outside it; what parses is rebuilt and must parse again to the same payload list;
 * the SK content path (ike_payloads_parse) is exercised on the bytes after the header. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/ike/payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ike_msg m, m2;
	static uint8_t out[IKE_MSG_MAX];
	char sum[512];

	if (ike_msg_parse(data, size, &m, NULL) == IKE_PERR_OK) {
		struct ike_bld b;
		size_t len;

		ike_msg_summary(&m, sum, sizeof(sum));
		ike_bld_init(&b, out, sizeof(out), &m.hdr);
		for (unsigned i = 0; i < m.n; i++)
			if (!ike_bld_pl(&b, &m.pl[i], &m))
				abort();
		len = ike_bld_finish(&b);
		/* unknown payloads and attributes are dropped, so only the shape must survive */
		if (!len || ike_msg_parse(out, len, &m2, NULL) != IKE_PERR_OK || m2.n != m.n)
			abort();
		for (unsigned i = 0; i < m.n; i++)
			if (m2.pl[i].type != m.pl[i].type)
				abort();
	}
	if (size > 1)
		(void)ike_payloads_parse(data[0], data + 1, size - 1, &m, NULL);
	return 0;
}
