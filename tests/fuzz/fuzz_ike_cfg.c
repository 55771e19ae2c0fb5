/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Fuzz config mode (controlplane/ike/ike_cfg.c). Input: a payload type byte, then a payload
 * chain (the content of SK). What parses goes through ike_cfg_req_parse() and
 * ike_cfg_vendor_flags(); a CFG_ACK for it and a CFG_REPLY whose banner, domain and URL are
 * the input bytes are built, written and must parse again as one well-formed CP payload
 * within the size limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/ike/ike_cfg.h"
#include "controlplane/ike/ike_proto.h"
#include "controlplane/policy/policy.h"
#include "controlplane/pool/pool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Our CP payload must parse back: at most IKE_MAX_CFG_ATTRS attributes are read by our own
 * parser (more is BOUNDS, not a syntax error). */
static void check(const struct ike_cfg_out *o)
{
	static uint8_t buf[IKE_CFG_OUT_MAX + 64];
	static struct ike_msg m;
	struct ike_bld b;
	enum ike_perr e;
	size_t len;

	if (o->len > IKE_CFG_OUT_MAX)
		abort();
	ike_bld_init_chain(&b, buf, sizeof(buf));
	if (!ike_cfg_write(o, &b))
		abort();
	len = ike_bld_finish(&b);
	if (!o->cfg_type) {
		if (len)
			abort();
		return;
	}
	e = ike_payloads_parse(IKE_PL_CP, buf, len, &m, NULL);
	if (e != IKE_PERR_OK && !(e == IKE_PERR_BOUNDS && o->n > IKE_MAX_CFG_ATTRS))
		abort();
	if (e == IKE_PERR_OK && (m.cp.cfg_type != o->cfg_type || m.cp.n != o->n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ike_msg m;
	static struct ike_cfg_out o;
	static char text[8192];
	struct ike_cfg_req q;
	struct pol_authz az = { .flow_limit = -1 };
	struct pool_lease l4 = { .af = 4, .addr = { 198, 18, 200, 1 }, .held = true };
	struct ike_cfg_ctx c = { .authz = &az, .lease4 = &l4 };
	char *list[2];
	size_t n;

	if (size < 2 || ike_payloads_parse(data[0], data + 1, size - 1, &m, NULL) != IKE_PERR_OK)
		return 0;
	ike_cfg_req_parse(&m, &q);
	c.vendor = ike_cfg_vendor_flags(&m) | IKE_VID_CISCO_FLEXVPN;
	if (q.type == IKE_CFG_SET) {
		ike_cfg_build_ack(&q, &o);
		check(&o);
	}
	/* strings from the input: every byte value, any length up to 8 KiB */
	n = size - 1 < sizeof(text) - 1 ? size - 1 : sizeof(text) - 1;
	memcpy(text, data + 1, n);
	text[n] = 0;
	az.banner = text;
	az.config_url = text;
	list[0] = list[1] = text;
	memcpy(az.split_dns, list, sizeof(list));
	az.n_split_dns = 2;
	memcpy(az.backup_gw, list, sizeof(list));
	az.n_backup_gw = 2;
	memcpy(az.def_domain, text, n < sizeof(az.def_domain) ? n + 1 : sizeof(az.def_domain) - 1);
	ike_cfg_build(&c, &q, IKE_CFG_REPLY, &o);
	check(&o);
	return 0;
}
