/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Fuzz the local EAP server (eap_local_process): the first input byte picks where the fuzz
 * bytes go: 0 = the client's answer to a real EAP-MSCHAPv2 challenge, 1 = to a real EAP-MD5
 * challenge (reached by a Nak), 2 = to the MSCHAPv2 Success Request state (NT-Response in it),
 * else = a state (length: the second byte) and an EAP message of its own. Whatever the input:
 * an answer of bounded size, a Success only with the right state, never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "common/conf.h"
#include "common/log.h"
#include "controlplane/aaa/eap.h"
#include "controlplane/aaa/eap_local.h"
#include "controlplane/aaa/local_users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t tag[8] = "FUZZTAG!";
static struct eap_local *el;
static struct local_users *users;

static void setup(void)
{
	struct rp_cfg c;

	rp_log_init("fuzz_eap_local", RP_LOG_STDERR, RP_LOG_ERR);
	if (rp_cfg_load_string(&c, "fuzz.conf",
			       "aaa = { local_users = ( { name = \"alice\"; password = \"pw\"; } ); };",
			       rp_conf_schema) ||
	    local_users_load(&c, &users) || eap_local_new(&el))
		abort();
	rp_cfg_free(&c);
}

static void check(const struct eap_local_out *o)
{
	struct eap_pkt p;

	if (o->eap_len > sizeof(o->eap) || o->state_len > sizeof(o->state) ||
	    o->msk_len > sizeof(o->msk) || (o->eap_len && eap_parse(o->eap, o->eap_len, &p)))
		abort();
	if (o->verdict == EAP_LOCAL_CHALLENGE && (!o->state_len || memcmp(o->state, tag, 8)))
		abort();
}

static void process(const uint8_t *eap, size_t len, const uint8_t *st, size_t st_len,
		    struct eap_local_out *o)
{
	if (eap_local_process(el, users, tag, sizeof(tag), (const uint8_t *)"alice", 5, eap, len,
			      st, st_len, o))
		abort();
	check(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t ident[] = { EAP_RESPONSE, 7, 0, 10, EAP_T_IDENTITY, 'a', 'l', 'i', 'c',
					 'e' };
	static struct eap_local_out o1, o2;
	uint8_t st[EAP_LOCAL_STATE_MAX];
	size_t st_len;

	if (!el)
		setup();
	if (size < 1)
		return 0;
	if (data[0] > 2) {
		size_t n = size > 1 ? data[1] : 0;

		if (size < 2 + n)
			return 0;
		process(data + 2 + n, size - 2 - n, data + 2, n, &o1);
		if (o1.verdict == EAP_LOCAL_SUCCESS && o1.msk_len && n < 8)
			abort();
		return 0;
	}
	process(ident, sizeof(ident), NULL, 0, &o1);
	if (o1.verdict != EAP_LOCAL_CHALLENGE)
		abort();
	if (data[0] == 1 && eap_local_has_mschapv2(el)) {
		uint8_t nak[6] = { EAP_RESPONSE, o1.eap[1], 0, 6, EAP_T_NAK, EAP_T_MD5 };

		memcpy(st, o1.state, o1.state_len);
		process(nak, sizeof(nak), st, o1.state_len, &o1);
	}
	memcpy(st, o1.state, o1.state_len);
	st_len = o1.state_len;
	if (data[0] == 2 && st_len + 24 <= sizeof(st)) {
		st[8 + 2] = 2;   /* phase: Success Request sent, with an NT-Response */
		memset(st + st_len, 0x5a, 24);
		st_len += 24;
	}
	process(data + 1, size - 1, st, st_len, &o2);
	return 0;
}
