/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Fuzz the EAP header layer: eap_parse() on any bytes, then what a relay does with a packet
 * that parsed (identity, names, the EAP-MD5 peer response); a parsed Identity response is
 * rebuilt and must parse to the same identity. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/aaa/eap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[70000];
	struct eap_pkt e, e2;
	const uint8_t *id, *id2;
	size_t id_len, id2_len, n;

	if (eap_parse(data, size, &e))
		return 0;
	(void)eap_code_name(e.code);
	(void)eap_type_name(e.type);
	(void)eap_md5_response(&e, "secret", 6, out, sizeof(out));
	if (eap_identity(&e, &id, &id_len)) {
		n = eap_build_identity_response(e.id, id, id_len, out, sizeof(out));
		if (!n || eap_parse(out, n, &e2) || !eap_identity(&e2, &id2, &id2_len) ||
		    id2_len != id_len || memcmp(id, id2, id_len))
			abort();
	}
	return 0;
}
