/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Fuzz the responder past decryption: the input is the plaintext of an IKE_AUTH request and
 * of a following INFORMATIONAL request, sealed here with the keys of an SA made by
 * ike_sa_inject(), so every mutation reaches the payload checks, the CHILD_SA selection,
 * config mode, selector narrowing and Delete handling. The fixture (ike_fixture.h) accepts
 * anyone and acknowledges every dataplane request; the responder is created and destroyed
 * per input so leaks show.
 *
 * Input: u16 length L of the first chain | first payload type | L bytes of the IKE_AUTH
 * chain | first payload type | the INFORMATIONAL chain (the rest).
 */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/ike_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_fx fx;
	size_t l1;

	if (size < 4)
		return 0;
	l1 = (size_t)data[0] << 8 | data[1];
	if (l1 > size - 4)
		l1 = size - 4;
	ike_fx_init(&fx);
	ike_fx_feed(&fx, IKE_XCHG_IKE_AUTH, 1, data[2], 0, 0, data + 3, l1);
	ike_fx_dp_ack(&fx);
	ike_fx_feed(&fx, IKE_XCHG_INFORMATIONAL, 2, data[3 + l1], 0, 0, data + 4 + l1,
		    size - 4 - l1);
	ike_fx_dp_ack(&fx);
	ike_fx_fini(&fx);
	return 0;
}
