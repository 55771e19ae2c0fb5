/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The "ike" configuration section (see ike_conf.h). */
#include "controlplane/ike/ike_conf.h"

#include "common/conf_ike.h"
#include "common/manual_sa.h"
#include "controlplane/util/workpool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- algorithm names (strongSwan's spelling) --------------------------------------------- */

/* X(name, transform type, id, key bits) */
#define IKE_ALG_NAMES(X)                                                       \
	X("aes128gcm16", IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 128)                   \
	X("aes256gcm16", IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 256)                   \
	X("chacha20poly1305", IKE_TT_ENCR, IKE_ENCR_CHACHA20_POLY1305, 0)         \
	X("aes128", IKE_TT_ENCR, IKE_ENCR_AES_CBC, 128)                           \
	X("aes256", IKE_TT_ENCR, IKE_ENCR_AES_CBC, 256)                           \
	X("prfsha256", IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0)                      \
	X("prfsha384", IKE_TT_PRF, IKE_PRF_HMAC_SHA2_384, 0)                      \
	X("prfsha512", IKE_TT_PRF, IKE_PRF_HMAC_SHA2_512, 0)                      \
	X("sha256", IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0)                 \
	X("sha384", IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0)                 \
	X("sha512", IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0)                 \
	X("curve25519", IKE_TT_DH, IKE_DH_CURVE25519, 0)                          \
	X("ecp256", IKE_TT_DH, IKE_DH_ECP256, 0)                                  \
	X("ecp384", IKE_TT_DH, IKE_DH_ECP384, 0)                                  \
	X("ecp521", IKE_TT_DH, IKE_DH_ECP521, 0)                                  \
	X("modp2048", IKE_TT_DH, IKE_DH_MODP2048, 0)                              \
	X("modp3072", IKE_TT_DH, IKE_DH_MODP3072, 0)                              \
	X("modp4096", IKE_TT_DH, IKE_DH_MODP4096, 0)

struct alg_name {
	const char *name;
	uint8_t type;
	uint16_t id, bits;
};

static const struct alg_name alg_names[] = {
#define X(n, t, i, b) { n, t, i, b },
	IKE_ALG_NAMES(X)
#undef X
};

_Static_assert(RP_CONF_IKE_POOL_NAME_MAX == POOL_NAME_MAX, "pool name limit");
_Static_assert(RP_CONF_IKE_PSK_MAX == IKE_KEYRING_PSK_MAX, "PSK length limit");

static const struct alg_name *alg_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (!strcmp(alg_names[i].name, name))
			return &alg_names[i];
	return NULL;
}

/* A list of algorithm names into ids (and key lengths); @p max entries at most. */
static int alg_list(struct rp_cfg *c, const config_setting_t *g, const char *key, uint16_t *ids,
		    uint16_t *bits, size_t max)
{
	const config_setting_t *s = rp_cfg_get(g, key);
	int n = rp_cfg_count(s);

	if (!s)
		return 0;
	if (n == 0 || (size_t)n > max) {
		rp_cfg_error(c, s, "expected 1..%zu algorithms", max);
		return -EINVAL;
	}
	memset(ids, 0, max * sizeof(*ids));
	for (int i = 0; i < n; i++) {
		const struct alg_name *a = alg_lookup(config_setting_get_string(rp_cfg_elem(s, i)));

		if (!a)
			return -EINVAL; /* the schema's choices already reported it */
		ids[i] = a->id;
		if (bits)
			bits[i] = a->bits;
	}
	return 0;
}

static int parse_addr(const char *s, struct ike_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->af = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->af = 6;
		return 0;
	}
	return -EINVAL;
}

static int parse_prefix(const char *s, struct rp_prefix *p)
{
	char buf[64], *slash, *end;
	struct ike_addr a;
	long len;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = 0;
	len = strtol(slash + 1, &end, 10);
	if (*end || end == slash + 1 || parse_addr(buf, &a) || len < 0 ||
	    len > (a.af == 4 ? 32 : 128))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->af = a.af;
	p->plen = (uint8_t)len;
	memcpy(p->addr, a.addr, 16);
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = p->plen > 8 * i ? p->plen - 8 * i : 0;

		if (bits < 8 && (p->addr[i] & (uint8_t)~(bits ? 0xff00 >> bits : 0)))
			return -EINVAL; /* host bits set */
	}
	return 0;
}

/* "fqdn NAME", "email NAME", "address A", "key-id HEX" */
static int parse_id(const char *s, uint8_t *type, uint8_t *out, size_t cap, size_t *len)
{
	const char *sp = strchr(s, ' ');
	const char *v = sp ? sp + 1 : NULL;
	size_t kl = sp ? (size_t)(sp - s) : 0;
	struct ike_addr a;

	if (!v || !*v)
		return -EINVAL;
	if (kl == 4 && !strncmp(s, "fqdn", 4)) {
		*type = IKE_ID_FQDN;
	} else if (kl == 5 && !strncmp(s, "email", 5)) {
		*type = IKE_ID_RFC822_ADDR;
	} else if (kl == 7 && !strncmp(s, "address", 7)) {
		if (parse_addr(v, &a))
			return -EINVAL;
		*type = a.af == 4 ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
		*len = a.af == 4 ? 4 : 16;
		memcpy(out, a.addr, *len);
		return 0;
	} else if (kl == 6 && !strncmp(s, "key-id", 6)) {
		size_t n = strlen(v);

		if (n % 2 || n / 2 > cap)
			return -EINVAL;
		for (size_t i = 0; i < n / 2; i++) {
			unsigned x;

			if (sscanf(v + 2 * i, "%2x", &x) != 1)
				return -EINVAL;
			out[i] = (uint8_t)x;
		}
		*type = IKE_ID_KEY_ID;
		*len = n / 2;
		return 0;
	} else {
		return -EINVAL;
	}
	if (strlen(v) > cap)
		return -EINVAL;
	*len = strlen(v);
	memcpy(out, v, *len);
	return 0;
}

/* ike.proposals, and the ikev2 profiles' references to them (the IKE configuration resolves
 * the names, policy.h keeps them as text) */
static int parse_proposals(struct rp_cfg *c, const config_setting_t *g, struct ike_conf *out)
{
	const config_setting_t *l = rp_cfg_get(g, "proposals");
	const config_setting_t *profs = rp_cfg_get(rp_cfg_get(rp_cfg_root(c), "ikev2"), "profiles");
	int n = rp_cfg_count(l), bad = 0;

	if (n > IKE_PROPOSALS_MAX) {
		rp_cfg_error(c, l, "at most %d proposals", IKE_PROPOSALS_MAX);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = rp_cfg_elem(l, i);
		struct ike_named_proposal *p = &out->proposals[i];

		snprintf(p->name, sizeof(p->name), "%s", rp_cfg_str(e, "name", ""));
		for (int k = 0; k < i; k++)
			if (!strcmp(out->proposals[k].name, p->name)) {
				rp_cfg_error(c, rp_cfg_get(e, "name"), "proposal '%s' is already defined",
					     p->name);
				return -EINVAL;
			}
		if (alg_list(c, e, "encryption", p->encr, p->encr_bits, 8) ||
		    alg_list(c, e, "prf", p->prf, NULL, 4) ||
		    alg_list(c, e, "integrity", p->integ, NULL, 4) ||
		    alg_list(c, e, "dh_groups", p->dh, NULL, 8))
			return -EINVAL;
	}
	out->n_proposals = (unsigned)n;
	for (int i = 0; i < rp_cfg_count(profs); i++) {
		const config_setting_t *pl = rp_cfg_get(rp_cfg_elem(profs, i), "proposals");

		for (int k = 0; k < rp_cfg_count(pl); k++) {
			const char *v = config_setting_get_string(rp_cfg_elem(pl, k));
			bool found = false;

			for (int j = 0; v && j < n && !found; j++)
				found = !strcmp(out->proposals[j].name, v);
			if (!found) {
				rp_cfg_error(c, rp_cfg_elem(pl, k), "unknown IKE proposal '%s' (proposals "
					     "are defined in ike.proposals)", v ? v : "");
				bad++;
			}
		}
	}
	return bad ? -EINVAL : 0;
}

/* ike.policies (IOS crypto ikev2 policy): proposals by name, local addresses. Two policies
 * with the same match (both without addresses, or one address in both) would leave the
 * second unused: refused, as IOS does. */
static int parse_policies(struct rp_cfg *c, const config_setting_t *g, struct ike_conf *out)
{
	const config_setting_t *l = rp_cfg_get(g, "policies");
	int n = rp_cfg_count(l);

	if (n > IKE_POLICIES_MAX) {
		rp_cfg_error(c, l, "at most %d policies", IKE_POLICIES_MAX);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = rp_cfg_elem(l, i);
		const config_setting_t *pl = rp_cfg_get(e, "proposals");
		const config_setting_t *al = rp_cfg_get(e, "match_address_local");
		struct ike_policy *p = &out->policies[i];
		int np = rp_cfg_count(pl), na = rp_cfg_count(al);

		snprintf(p->name, sizeof(p->name), "%s", rp_cfg_str(e, "name", ""));
		for (int k = 0; k < i; k++)
			if (!strcmp(out->policies[k].name, p->name)) {
				rp_cfg_error(c, rp_cfg_get(e, "name"), "policy '%s' is already defined",
					     p->name);
				return -EINVAL;
			}
		if (np < 1 || np > IKE_PROPOSALS_MAX) {
			rp_cfg_error(c, pl ? pl : e, "expected 1..%d proposals", IKE_PROPOSALS_MAX);
			return -EINVAL;
		}
		for (int k = 0; k < np; k++) {
			const char *v = config_setting_get_string(rp_cfg_elem(pl, k));
			unsigned j = 0;

			while (v && j < out->n_proposals && strcmp(out->proposals[j].name, v))
				j++;
			if (!v || j == out->n_proposals) {
				rp_cfg_error(c, rp_cfg_elem(pl, k), "unknown IKE proposal '%s' (proposals "
					     "are defined in ike.proposals)", v ? v : "");
				return -EINVAL;
			}
			for (int q = 0; q < k; q++)
				if (p->prop[q] == j) {
					rp_cfg_error(c, rp_cfg_elem(pl, k), "proposal '%s' is named twice",
						     v);
					return -EINVAL;
				}
			p->prop[k] = (uint8_t)j;
		}
		p->n_prop = (unsigned)np;
		if (na > IKE_POLICY_LOCAL_MAX) {
			rp_cfg_error(c, al, "at most %d addresses", IKE_POLICY_LOCAL_MAX);
			return -EINVAL;
		}
		for (int k = 0; k < na; k++) {
			const char *v = config_setting_get_string(rp_cfg_elem(al, k));

			if (!v || rp_prefix_parse(v, &p->local[k])) {
				rp_cfg_error(c, rp_cfg_elem(al, k), "not an address or a prefix "
					     "\"ADDR/LEN\" without host bits");
				return -EINVAL;
			}
			for (int q = 0; q < i; q++)
				for (unsigned x = 0; x < out->policies[q].n_local; x++)
					if (!memcmp(&out->policies[q].local[x], &p->local[k],
						    sizeof(p->local[k]))) {
						rp_cfg_error(c, rp_cfg_elem(al, k), "%s is already "
							     "matched by policy '%s'", v,
							     out->policies[q].name);
						return -EINVAL;
					}
		}
		p->n_local = (unsigned)na;
		for (int q = 0; !na && q < i; q++)
			if (!out->policies[q].n_local) {
				rp_cfg_error(c, e, "policy '%s' has no match_address_local, like policy "
					     "'%s': only one policy may match every address", p->name,
					     out->policies[q].name);
				return -EINVAL;
			}
	}
	out->n_policies = (unsigned)n;
	return 0;
}

/* ike.pool and ike.ipv6_pool (the defaults, named "default" unless named), ike.pools */
static int parse_pools(struct rp_cfg *c, const config_setting_t *g, struct ike_conf *out)
{
	int rc = pool_set_parse(c, rp_cfg_get(g, "pool"), rp_cfg_get(g, "ipv6_pool"),
				rp_cfg_get(g, "pools"), &out->pools);

	if (rc)
		return rc;
	out->pool4 = out->pools->def4;
	out->pool6 = out->pools->def6;
	return 0;
}

static int parse_peers(struct rp_cfg *c, const config_setting_t *g, struct ike_conf *out)
{
	const config_setting_t *s = rp_cfg_get(g, "peers");
	int n = rp_cfg_count(s), rc;

	rc = ike_keyring_create(&out->keyring);
	if (rc)
		return rc;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = rp_cfg_elem(s, i);
		const char *psk = rp_cfg_str(e, "pre_shared_key", "");
		uint8_t id[IKE_KEYRING_ID_MAX], type;
		size_t len;

		if (parse_id(rp_cfg_str(e, "identity", ""), &type, id, sizeof(id), &len)) {
			rp_cfg_error(c, rp_cfg_get(e, "identity"),
				     "expected \"fqdn NAME\", \"email NAME\", \"address A\" or "
				     "\"key-id HEX\"");
			return -EINVAL;
		}
		rc = ike_keyring_add(out->keyring, type, id, len, psk, strlen(psk));
		if (rc)
			return rc;
		out->n_peers++;
	}
	return 0;
}

int ike_conf_parse(struct rp_cfg *c, const config_setting_t *g, struct ike_conf *out)
{
	static const uint16_t def_encr[] = { IKE_ENCR_AES_GCM_16, IKE_ENCR_AES_GCM_16,
					     IKE_ENCR_CHACHA20_POLY1305, IKE_ENCR_AES_CBC,
					     IKE_ENCR_AES_CBC };
	static const uint16_t def_bits[] = { 256, 128, 0, 256, 128 };
	static const uint16_t def_prf[] = { IKE_PRF_HMAC_SHA2_256, IKE_PRF_HMAC_SHA2_384,
					    IKE_PRF_HMAC_SHA2_512 };
	static const uint16_t def_integ[] = { IKE_INTEG_HMAC_SHA2_256_128,
					      IKE_INTEG_HMAC_SHA2_384_192,
					      IKE_INTEG_HMAC_SHA2_512_256 };
	static const uint16_t def_dh[] = { IKE_DH_CURVE25519, IKE_DH_ECP256, IKE_DH_ECP384,
					   IKE_DH_ECP521, IKE_DH_MODP2048, IKE_DH_MODP3072,
					   IKE_DH_MODP4096 };
	struct ike_resp_cfg *r = &out->resp;
	const config_setting_t *s;
	const char *esn, *mode;
	int rc = -EINVAL, n;

	memset(out, 0, sizeof(*out));
	memcpy(r->encr, def_encr, sizeof(def_encr));
	memcpy(r->encr_bits, def_bits, sizeof(def_bits));
	memcpy(r->prf, def_prf, sizeof(def_prf));
	memcpy(r->integ, def_integ, sizeof(def_integ));
	memcpy(r->dh, def_dh, sizeof(def_dh));
	if (alg_list(c, g, "encryption", r->encr, r->encr_bits, 8) ||
	    alg_list(c, g, "prf", r->prf, NULL, 4) ||
	    alg_list(c, g, "integrity", r->integ, NULL, 4) ||
	    alg_list(c, g, "dh_groups", r->dh, NULL, 8) ||
	    alg_list(c, g, "esp_encryption", r->esp_encr, r->esp_encr_bits, 8) ||
	    alg_list(c, g, "esp_integrity", r->esp_integ, NULL, 4))
		goto fail;
	esn = rp_cfg_str(g, "esp_esn", "both");
	r->esp_esn = !strcmp(esn, "yes") ? IKE_ESN_ALLOW_YES :
		     !strcmp(esn, "no") ? IKE_ESN_ALLOW_NO : 0;
	r->replay_window = (uint16_t)rp_cfg_int(g, "replay_window", 128);
	if (r->replay_window % 64) {
		rp_cfg_error(c, rp_cfg_get(g, "replay_window"), "must be a multiple of 64");
		goto fail;
	}
	r->cookie_threshold = (unsigned)rp_cfg_int(g, "cookie_threshold", 100);
	r->max_half_open = (unsigned)rp_cfg_int(g, "max_half_open", 1024);
	r->max_half_open_per_peer = (unsigned)rp_cfg_int(g, "max_half_open_per_peer", 10);
	s = rp_cfg_get(g, "dpd");
	mode = rp_cfg_str(s, "mode", "on-demand");
	r->dpd_mode = !strcmp(mode, "periodic") ? IKE_DPD_PERIODIC :
		      !strcmp(mode, "off") ? IKE_DPD_OFF : IKE_DPD_ON_DEMAND;
	r->dpd_interval = (unsigned)rp_cfg_int(s, "interval", IKE_DPD_DEF_INTERVAL);
	r->dpd_retry = (unsigned)rp_cfg_int(s, "retry", IKE_DPD_DEF_RETRY);
	r->dpd_retries = (unsigned)rp_cfg_int(s, "retries", IKE_DPD_DEF_RETRIES);
	out->nat_keepalive = (unsigned)rp_cfg_int(g, "nat_keepalive", 20);
	out->crypto_threads = (unsigned)rp_cfg_int(g, "crypto_threads", (int)wp_default_threads());
	r->ike_lifetime = (unsigned)rp_cfg_int(g, "lifetime", 86400);
	r->child_lifetime = (unsigned)rp_cfg_int(g, "child_lifetime", 3600);
	r->child_lifetime_kb = (uint64_t)rp_cfg_int(g, "child_lifetime_kb", 0);
	r->fragment_size = (unsigned)rp_cfg_int(g, "fragment_size", 0);
	if (rp_cfg_get(g, "local_id") &&
	    parse_id(rp_cfg_str(g, "local_id", ""), &r->local_id_type, r->local_id,
		     sizeof(r->local_id), &r->local_id_len)) {
		rp_cfg_error(c, rp_cfg_get(g, "local_id"), "expected \"fqdn NAME\", \"email NAME\", "
			     "\"address A\" or \"key-id HEX\"");
		goto fail;
	}
	s = rp_cfg_get(g, "local_subnets");
	n = rp_cfg_count(s);
	if (n > 4) {
		rp_cfg_error(c, s, "at most 4 subnets");
		goto fail;
	}
	for (int i = 0; i < n; i++)
		if (parse_prefix(config_setting_get_string(rp_cfg_elem(s, i)), &r->local_ts[i])) {
			rp_cfg_error(c, rp_cfg_elem(s, i),
				     "not a prefix \"ADDR/LEN\" without host bits");
			goto fail;
		}
	r->n_local_ts = (unsigned)n;
	s = rp_cfg_get(g, "listen");
	n = rp_cfg_count(s);
	if (n > IKE_CONF_MAX_LISTEN) {
		rp_cfg_error(c, s, "at most %d addresses", IKE_CONF_MAX_LISTEN);
		goto fail;
	}
	for (int i = 0; i < n; i++)
		if (parse_addr(config_setting_get_string(rp_cfg_elem(s, i)), &out->listen[i])) {
			rp_cfg_error(c, rp_cfg_elem(s, i), "not an IPv4 or IPv6 address");
			goto fail;
		}
	out->n_listen = (unsigned)n;
	if (!n) {
		out->listen[0].af = 4;
		out->n_listen = 1;
	}
	out->port = (uint16_t)rp_cfg_int(g, "port", 500);
	out->nat_port = (uint16_t)rp_cfg_int(g, "nat_port", 4500);
	rc = parse_proposals(c, g, out);
	if (!rc)
		rc = parse_policies(c, g, out);
	if (!rc)
		rc = parse_pools(c, g, out);
	if (!rc)
		rc = parse_peers(c, g, out);
	if (!rc)
		return 0;
fail:
	ike_conf_free(out);
	return rc;
}

void ike_conf_free(struct ike_conf *conf)
{
	pool_set_free(conf->pools); /* pool4 and pool6 with them */
	ike_keyring_destroy(conf->keyring);
	conf->pools = NULL;
	conf->pool4 = conf->pool6 = NULL;
	conf->keyring = NULL;
}
