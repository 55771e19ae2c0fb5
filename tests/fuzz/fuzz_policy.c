/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Fuzz the policy builder: a configuration text through the schema and pol_set_build()
 * (without reading files), then profile selection for a few peers and the show views.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/log.h"
#include "controlplane/policy/policy.h"
#include "controlplane/policy/show.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	static struct pol_result res;
	struct rp_cfg c;
	struct pol_set *s = NULL;
	char *text;

	if (!init) {
		rp_log_init("fuzz", RP_LOG_STDERR, RP_LOG_ERR);
		init = 1;
	}
	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (rp_cfg_load_string(&c, "<fuzz>", text, rp_conf_schema) == 0 &&
	    pol_set_build(&c, POL_BUILD_NO_FILES, &s) == 0) {
		static const struct {
			enum pol_id_type t;
			const char *id;
			size_t len;
		} peers[] = {
			{ POL_ID_FQDN, "router1.cisco.com", 17 },
			{ POL_ID_EMAIL, "user@example.com", 16 },
			{ POL_ID_KEY_ID, "*$AnyConnectClient$*", 20 },
			{ POL_ID_IPV4, "\xc0\x00\x02\x01", 4 },
			{ POL_ID_IPV6, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16 },
		};
		struct sbuf out;
		struct json_w jw;

		for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
			struct pol_peer p = { .id_type = peers[i].t, .id = (const uint8_t *)peers[i].id,
					      .id_len = peers[i].len, .raddr_af = 4, .laddr_af = 4,
					      .raddr = { 192, 0, 2, 1 }, .laddr = { 198, 51, 100, 1 } };

			if (pol_select(s, &p, &res) == 0 && res.profile->keyring)
				(void)pol_keyring_lookup(res.profile->keyring, p.id_type, p.id, p.id_len,
							 4, p.raddr, NULL, 0);
		}
		sbuf_init(&out, 1 << 20);
		(void)pol_show_profiles(s, NULL, false, &out, NULL);
		(void)pol_show_certmaps(s, NULL, false, &out, NULL);
		sbuf_reset(&out);
		json_init(&jw, &out, false);
		(void)pol_show_profiles(s, NULL, true, &out, &jw);
		(void)json_finish(&jw);
		sbuf_free(&out);
		pol_set_free(s);
	}
	rp_cfg_free(&c);
	free(text);
	return 0;
}
