/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Fuzz the responder's encrypted exchanges as a sequence: IKE_AUTH, CREATE_CHILD_SA and
 * INFORMATIONAL requests, whole (SK) or as SKF fragments (RFC 7383) in any order, count and
 * numbering, each sealed with the keys of the fixture's SA (ike_fixture.h) so mutations reach
 * fragment reassembly, the retransmission cache, CHILD_SA creation and rekeying after an
 * IKE_AUTH that succeeded, and Delete; or as responses to a request of the responder's
 * own (ike_req.c: its reassembly of fragmented responses, then the response's processing).
 * The dataplane acknowledges after every record.
 *
 * Input: records, at most 32:
 *   kind (bit 0: SKF; bits 1-2: 0 IKE_AUTH, 1 CREATE_CHILD_SA, 2/3 INFORMATIONAL; bit 3: a
 *   response to our outstanding request, which the responder sends first if there is none)
 *   | message ID | first payload type | fragment number | total fragments | u16 length L | L bytes
 * A record whose length runs past the input takes the rest.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/ike_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t xchg[4] = { IKE_XCHG_IKE_AUTH, IKE_XCHG_CREATE_CHILD_SA,
					 IKE_XCHG_INFORMATIONAL, IKE_XCHG_INFORMATIONAL };
	struct ike_fx fx;
	size_t off = 0;

	ike_fx_init(&fx);
	for (unsigned rec = 0; rec < 32 && size - off >= 7; rec++) {
		const uint8_t *h = data + off;
		size_t len = (size_t)h[5] << 8 | h[6];
		bool frag = h[0] & 1, resp = h[0] & 8;

		off += 7;
		if (len > size - off)
			len = size - off;
		(resp ? ike_fx_feed_resp : ike_fx_feed)(&fx, xchg[(h[0] >> 1) & 3], h[1], h[2],
							frag ? h[3] : 0, frag ? h[4] : 0, data + off,
							len);
		ike_fx_dp_ack(&fx);
		off += len;
	}
	ike_fx_fini(&fx);
	return 0;
}
