/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Fuzz the configuration loader (libconfig parse + schema walk + cross checks). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "common/conf.h"
#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct rp_cfg c;
	char buf[256];
	char *text;

	if (!init) {
		rp_log_init("fuzz", RP_LOG_STDERR, RP_LOG_ERR + 0);
		rp_log_set_level(RP_LOG_ERR);
		init = 1;
	}
	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (rp_cfg_load_string(&c, "<fuzz>", text, rp_conf_schema) == 0) {
		rp_conf_region_path(&c, buf, sizeof(buf));
		rp_conf_mgmt_socket(&c, buf, sizeof(buf));
	}
	rp_cfg_free(&c);
	free(text);
	return 0;
}
