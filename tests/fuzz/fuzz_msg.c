/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Fuzz control-message validation: whatever bytes sit in a slot, rp_msg_validate() must
 * classify them without reading past the slot. */
#include <stdint.h>
#include <string.h>

#include "common/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_msg m;
	char why[160];

	memset(&m, 0, sizeof(m));
	memcpy(&m, data, size < sizeof(m) ? size : sizeof(m));
	(void)rp_msg_validate(&m, true, why, sizeof(why));
	(void)rp_msg_validate(&m, false, why, sizeof(why));
	(void)rp_msg_type_name(m.hdr.type);
	return 0;
}
