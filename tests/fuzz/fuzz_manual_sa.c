/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Fuzz the manual-SA field parser behind "rampartctl sa add" and dataplane.manual_sas
 * (common/manual_sa.c): the input is split at blanks into FIELD VALUE words, each pair set,
 * then the whole SA checked; what it builds must pass rp_msg_validate().
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/manual_sa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_manual_sa m;
	char text[4097], *words[64], why[256];
	const char *field;
	int n = 0;

	if (size > 4096)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *save = NULL, *t = strtok_r(text, " \t\n", &save); t && n < 64;
	     t = strtok_r(NULL, " \t\n", &save))
		words[n++] = t;
	rp_manual_sa_init(&m);
	for (int i = 0; i + 1 < n; i += 2)
		rp_manual_sa_set(&m, words[i], words[i + 1], why, sizeof(why));
	if (rp_manual_sa_finish(&m, false, &field, why, sizeof(why)) == 0) {
		struct rp_msg msg;

		if (!m.sa.sa_id)
			rp_manual_sa_set_id(&m, RP_SA_ID_CLI_FIRST + (m.sa.paired_sa_id == RP_SA_ID_CLI_FIRST));
		memset(&msg, 0, sizeof(msg));
		msg.hdr.version = RP_MSG_VERSION;
		msg.hdr.type = RP_MSG_SA_ADD;
		msg.hdr.len = sizeof(m.sa);
		msg.u.sa = m.sa;
		assert(rp_msg_validate(&msg, true, why, sizeof(why)) == 0);
		for (unsigned int i = 0; i < m.n_routes; i++) {
			memset(&msg.u, 0, sizeof(msg.u));
			msg.hdr.type = RP_MSG_ROUTE_ADD;
			msg.hdr.len = sizeof(m.routes[i]);
			msg.u.route = m.routes[i];
			assert(rp_msg_validate(&msg, true, why, sizeof(why)) == 0);
		}
	}
	rp_manual_sa_wipe(&m);
	return 0;
}
