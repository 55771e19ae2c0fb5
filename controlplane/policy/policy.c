/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Building the policy model from the configuration, with every semantic check at FILE:LINE. */
#include "controlplane/policy/policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common/log.h"

/* Builder state: the set being built and what later sections refer back to. */
struct build {
	struct rp_cfg *c;
	unsigned flags;
	struct pol_set *s;
	int *map_owner;                      /* profile index owning each map, -1 = none */
	const config_setting_t *attr_lists;
	const config_setting_t *manglers;
};

static const char *str_at(const config_setting_t *arr, int i)
{
	const config_setting_t *e = rp_cfg_elem(arr, i);

	const char *v = e ? config_setting_get_string(e) : NULL;

	return v ? v : "";
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Report a second use of a name within one list. */
static bool dup_name(struct build *b, const config_setting_t *list, int upto, const char *what)
{
	const config_setting_t *e = rp_cfg_elem(list, upto);
	const char *name = rp_cfg_str(e, "name", "");

	for (int i = 0; i < upto; i++) {
		const config_setting_t *o = rp_cfg_elem(list, i);

		if (!strcmp(rp_cfg_str(o, "name", ""), name)) {
			rp_cfg_error(b->c, rp_cfg_get(e, "name"), "%s '%s' is already defined at line %u",
				     what, name, config_setting_source_line(o));
			return true;
		}
	}
	return false;
}

/* ---- access lists -------------------------------------------------------------------- */

static int build_acls(struct build *b)
{
	const config_setting_t *l = rp_cfg_get(rp_cfg_root(b->c), "access_lists");
	int n = rp_cfg_count(l);

	b->s->acls = calloc((size_t)n + 1, sizeof(*b->s->acls));
	if (!b->s->acls)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = rp_cfg_elem(l, i), *pf = rp_cfg_get(e, "prefixes");
		struct pol_acl *a = &b->s->acls[b->s->n_acls];
		int np = rp_cfg_count(pf);

		if (dup_name(b, l, i, "access list"))
			continue;
		snprintf(a->name, sizeof(a->name), "%s", rp_cfg_str(e, "name", ""));
		a->af = strcmp(rp_cfg_str(e, "family", "ipv4"), "ipv6") ? 4 : 6;
		a->v = calloc((size_t)np + 1, sizeof(*a->v));
		if (!a->v)
			return -ENOMEM;
		b->s->n_acls++;
		if (np == 0)
			rp_cfg_error(b->c, pf, "an access list needs at least one prefix");
		for (int j = 0; j < np; j++) {
			char err[160];
			struct pol_prefix p;

			if (pol_prefix_parse(str_at(pf, j), POL_PFX_PLAIN | POL_PFX_SLASH |
					     POL_PFX_WILDCARD | POL_PFX_HOST | POL_PFX_PERMIT, &p, err,
					     sizeof(err)))
				rp_cfg_error(b->c, rp_cfg_elem(pf, j), "%s", err);
			else if (p.af != a->af)
				rp_cfg_error(b->c, rp_cfg_elem(pf, j), "an IPv%u prefix in an %s access list",
					     p.af, a->af == 4 ? "ipv4" : "ipv6");
			else
				a->v[a->n++] = p;
		}
	}
	return 0;
}

const struct pol_acl *pol_acl_find(const struct pol_set *s, const char *name)
{
	for (unsigned i = 0; i < s->n_acls; i++)
		if (!strcmp(s->acls[i].name, name))
			return &s->acls[i];
	return NULL;
}

/* ---- trustpoints ---------------------------------------------------------------------- */

static int build_trustpoints(struct build *b)
{
	const config_setting_t *l = rp_cfg_get(rp_cfg_get(rp_cfg_root(b->c), "pki"), "trustpoints");
	int n = rp_cfg_count(l);

	b->s->tps = calloc((size_t)n + 1, sizeof(*b->s->tps));
	b->s->tp_names = calloc((size_t)n + 1, sizeof(*b->s->tp_names));
	if (!b->s->tps || !b->s->tp_names)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = rp_cfg_elem(l, i);
		const config_setting_t *rev = rp_cfg_get(e, "revocation_check");
		const config_setting_t *ca = rp_cfg_get(e, "ca_certificates");
		const config_setting_t *crl = rp_cfg_get(e, "crl_files");
		const char *cas[256], *crls[256];
		struct pki_tp_cfg tc = { 0 };
		bool seen[3] = { false, false, false };
		unsigned idx;
		char err[512];
		int rc;

		if (dup_name(b, l, i, "trustpoint"))
			continue;
		idx = b->s->n_tps++;
		snprintf(b->s->tp_names[idx], POL_NAME_MAX, "%s", rp_cfg_str(e, "name", ""));
		tc.name = b->s->tp_names[idx];
		for (int j = 0; j < rp_cfg_count(rev); j++) {
			const char *m = str_at(rev, j);
			int k = !strcmp(m, "crl") ? 0 : !strcmp(m, "ocsp") ? 1 : 2;

			if (seen[k])
				rp_cfg_error(b->c, rp_cfg_elem(rev, j), "'%s' is listed twice", m);
			if (seen[2])
				rp_cfg_error(b->c, rp_cfg_elem(rev, j), "'none' must come last");
			if (!seen[k] && tc.n_methods < 3)
				tc.methods[tc.n_methods++] = k == 0 ? PKI_REV_M_CRL :
							     k == 1 ? PKI_REV_M_OCSP : PKI_REV_M_NONE;
			seen[k] = true;
		}
		tc.rev_crl = seen[0];
		tc.rev_none_fallback = seen[2];
		tc.crl_fetch = rp_cfg_bool(e, "crl_fetch", false);
		tc.ocsp_url = rp_cfg_str(e, "ocsp_url", NULL);
		tc.ocsp_no_nonce = !rp_cfg_bool(e, "ocsp_nonce", true);
		tc.fetch_timeout_ms = (unsigned)rp_cfg_int(e, "fetch_timeout_ms", 5000);
		tc.fetch_max_bytes = (size_t)rp_cfg_int(e, "fetch_max_bytes", 4 << 20);
		if (tc.rev_crl && !crl && !tc.crl_fetch)
			rp_cfg_error(b->c, rev, "revocation check 'crl' needs crl_files or "
				     "crl_fetch = true");
		if (tc.ocsp_url && strncasecmp(tc.ocsp_url, "http://", 7))
			rp_cfg_error(b->c, rp_cfg_get(e, "ocsp_url"),
				     "only http:// responders are supported");
		if (tc.ocsp_url && !seen[1])
			rp_cfg_error(b->c, rp_cfg_get(e, "ocsp_url"),
				     "ocsp_url without \"ocsp\" in revocation_check");
		if (tc.crl_fetch && !seen[0])
			rp_cfg_error(b->c, rp_cfg_get(e, "crl_fetch"),
				     "crl_fetch without \"crl\" in revocation_check");
		if (!!rp_cfg_get(e, "certificate") != !!rp_cfg_get(e, "private_key")) {
			rp_cfg_error(b->c, e, "certificate and private_key go together");
			continue;
		}
		if (rp_cfg_count(ca) > 256 || rp_cfg_count(crl) > 256) {
			rp_cfg_error(b->c, e, "at most 256 CA and 256 CRL files");
			continue;
		}
		for (int j = 0; j < rp_cfg_count(ca); j++)
			cas[j] = str_at(ca, j);
		for (int j = 0; j < rp_cfg_count(crl); j++)
			crls[j] = str_at(crl, j);
		tc.ca_files = cas;
		tc.n_ca = (unsigned)rp_cfg_count(ca);
		tc.crl_files = crls;
		tc.n_crl = (unsigned)rp_cfg_count(crl);
		tc.cert_file = rp_cfg_str(e, "certificate", NULL);
		tc.key_file = rp_cfg_str(e, "private_key", NULL);
		tc.require_client_auth_eku = rp_cfg_bool(e, "require_client_auth_eku", false);
		tc.partial_chain = rp_cfg_bool(e, "partial_chain", false);
		if (b->flags & POL_BUILD_NO_FILES)
			continue;
		rc = pki_tp_create(&tc, &b->s->tps[idx], err, sizeof(err));
		if (rc == -ENOMEM)
			return rc;
		if (rc)
			rp_cfg_error(b->c, e, "%s", err);
	}
	return 0;
}

/* ---- certificate maps ----------------------------------------------------------------- */

static int build_certmaps(struct build *b)
{
	const config_setting_t *l = rp_cfg_get(rp_cfg_get(rp_cfg_root(b->c), "pki"),
					       "certificate_maps");
	int n = rp_cfg_count(l);

	b->s->maps = calloc((size_t)n + 1, sizeof(*b->s->maps));
	b->map_owner = calloc((size_t)n + 1, sizeof(*b->map_owner));
	if (!b->s->maps || !b->map_owner)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = rp_cfg_elem(l, i), *rules = rp_cfg_get(e, "rules");
		const char *name = rp_cfg_str(e, "name", "");
		const char *lines[512];
		struct pki_certmap *m = NULL;
		unsigned nr = (unsigned)rp_cfg_count(rules), bad = 0;
		char err[300];
		int rc;

		for (unsigned j = 0; j < b->s->n_maps; j++)
			if (!strcmp(b->s->maps[j].name, name))
				m = &b->s->maps[j];
		if (!m) {
			m = &b->s->maps[b->s->n_maps];
			b->map_owner[b->s->n_maps++] = -1;
			snprintf(m->name, sizeof(m->name), "%s", name);
		}
		if (nr > 512) {
			rp_cfg_error(b->c, rules, "at most 512 rules per sequence");
			continue;
		}
		for (unsigned j = 0; j < nr; j++)
			lines[j] = str_at(rules, (int)j);
		rc = pki_certmap_add_seq(m, (unsigned)rp_cfg_int(e, "sequence", 0), lines, nr, err,
					 sizeof(err), &bad);
		if (rc == -ENOMEM)
			return rc;
		if (rc == -EEXIST)
			rp_cfg_error(b->c, rp_cfg_get(e, "sequence"), "%s", err);
		else if (rc)
			rp_cfg_error(b->c, rp_cfg_elem(rules, (int)bad), "%s", err);
		else if (nr == 0)
			rp_cfg_error(b->c, rules, "a sequence needs at least one rule");
	}
	return 0;
}

const struct pki_certmap *pol_certmap_find(const struct pol_set *s, const char *name)
{
	for (unsigned i = 0; i < s->n_maps; i++)
		if (!strcmp(s->maps[i].name, name))
			return &s->maps[i];
	return NULL;
}

/* ---- keyrings ------------------------------------------------------------------------- */

/* "address A", "fqdn NAME", "email NAME", "key-id ID" */
static int parse_identity(const char *s, enum pol_id_type *t, uint8_t *id, size_t *len,
			  char *err, size_t errlen)
{
	const char *v = strchr(s, ' ');
	size_t kl = v ? (size_t)(v - s) : strlen(s);

	while (v && *v == ' ')
		v++;
	if (!v || !*v) {
		snprintf(err, errlen, "expected \"address A\", \"fqdn NAME\", \"email NAME\" or "
			 "\"key-id ID\"");
		return -EINVAL;
	}
	if (kl == 7 && !strncmp(s, "address", 7)) {
		if (inet_pton(AF_INET, v, id) == 1) {
			*t = POL_ID_IPV4;
			*len = 4;
		} else if (inet_pton(AF_INET6, v, id) == 1) {
			*t = POL_ID_IPV6;
			*len = 16;
		} else {
			snprintf(err, errlen, "'%s' is not an IP address", v);
			return -EINVAL;
		}
		return 0;
	}
	if (kl == 4 && !strncmp(s, "fqdn", 4))
		*t = POL_ID_FQDN;
	else if (kl == 5 && !strncmp(s, "email", 5))
		*t = POL_ID_EMAIL;
	else if (kl == 6 && !strncmp(s, "key-id", 6))
		*t = POL_ID_KEY_ID;
	else {
		snprintf(err, errlen, "unknown identity type '%.*s' (address, fqdn, email, key-id)",
			 (int)(kl > 20 ? 20 : kl), s);
		return -EINVAL;
	}
	*len = strlen(v);
	if (*len > 255) {
		snprintf(err, errlen, "identity longer than 255 bytes");
		return -EINVAL;
	}
	memcpy(id, v, *len);
	return 0;
}

static uint8_t *dup_key(const char *k, size_t *len)
{
	uint8_t *p;

	*len = strlen(k);
	p = malloc(*len ? *len : 1);
	if (p)
		memcpy(p, k, *len);
	return p;
}

static int build_keyrings(struct build *b)
{
	const config_setting_t *l = rp_cfg_get(rp_cfg_get(rp_cfg_root(b->c), "ikev2"), "keyrings");
	int n = rp_cfg_count(l);

	b->s->keyrings = calloc((size_t)n + 1, sizeof(*b->s->keyrings));
	if (!b->s->keyrings)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = rp_cfg_elem(l, i), *pl = rp_cfg_get(e, "peers");
		struct pol_keyring *kr = &b->s->keyrings[b->s->n_keyrings];
		int np = rp_cfg_count(pl);

		if (dup_name(b, l, i, "keyring"))
			continue;
		snprintf(kr->name, sizeof(kr->name), "%s", rp_cfg_str(e, "name", ""));
		kr->peers = calloc((size_t)np + 1, sizeof(*kr->peers));
		if (!kr->peers)
			return -ENOMEM;
		b->s->n_keyrings++;
		for (int j = 0; j < np; j++) {
			const config_setting_t *pe = rp_cfg_elem(pl, j);
			struct pol_keyring_peer *p = &kr->peers[kr->n];
			const char *addr = rp_cfg_str(pe, "address", NULL);
			const char *ident = rp_cfg_str(pe, "identity", NULL);
			const char *both = rp_cfg_str(pe, "pre_shared_key", NULL);
			const char *loc = rp_cfg_str(pe, "pre_shared_key_local", NULL);
			const char *rem = rp_cfg_str(pe, "pre_shared_key_remote", NULL);
			char err[200];
			bool ok = true;

			if (dup_name(b, pl, j, "keyring peer"))
				continue;
			memset(p, 0, sizeof(*p));
			snprintf(p->name, sizeof(p->name), "%s", rp_cfg_str(pe, "name", ""));
			if (!addr && !ident) {
				rp_cfg_error(b->c, pe, "a keyring peer needs an address or an identity");
				ok = false;
			}
			if (addr) {
				if (pol_prefix_parse(addr, POL_PFX_PLAIN | POL_PFX_SLASH | POL_PFX_MASK,
						     &p->addr, err, sizeof(err))) {
					rp_cfg_error(b->c, rp_cfg_get(pe, "address"), "%s", err);
					ok = false;
				}
				p->has_addr = true;
			}
			if (ident && parse_identity(ident, &p->id_type, p->id, &p->id_len, err,
						    sizeof(err))) {
				rp_cfg_error(b->c, rp_cfg_get(pe, "identity"), "%s", err);
				ok = false;
			}
			if (both && (loc || rem)) {
				rp_cfg_error(b->c, pe, "pre_shared_key excludes pre_shared_key_local/_remote");
				ok = false;
			} else if (!both && !loc && !rem) {
				rp_cfg_error(b->c, pe, "a keyring peer needs a pre-shared key");
				ok = false;
			}
			if (!ok)
				continue;
			if (both || loc)
				p->psk_local = dup_key(both ? both : loc, &p->psk_local_len);
			if (both || rem)
				p->psk_remote = dup_key(both ? both : rem, &p->psk_remote_len);
			kr->n++;
			if (((both || loc) && !p->psk_local) || ((both || rem) && !p->psk_remote))
				return -ENOMEM;
		}
	}
	return 0;
}

const struct pol_keyring *pol_keyring_find(const struct pol_set *s, const char *name)
{
	for (unsigned i = 0; i < s->n_keyrings; i++)
		if (!strcmp(s->keyrings[i].name, name))
			return &s->keyrings[i];
	return NULL;
}

/* ---- name manglers, attribute lists ------------------------------------------------------ */

static void check_manglers(struct build *b)
{
	const config_setting_t *l = b->manglers;

	for (int i = 0; i < rp_cfg_count(l); i++) {
		const config_setting_t *e = rp_cfg_elem(l, i), *eap = rp_cfg_get(e, "eap");

		dup_name(b, l, i, "name mangler");
		if (!rp_cfg_get(e, "dn") && !rp_cfg_get(e, "email") && !rp_cfg_get(e, "fqdn") && !eap)
			rp_cfg_error(b->c, e, "a name mangler needs dn, email, fqdn or eap");
		if (eap) {
			int k = !!rp_cfg_get(eap, "dn") + !!rp_cfg_get(eap, "prefix") +
				!!rp_cfg_get(eap, "suffix") + rp_cfg_bool(eap, "all", false);

			if (k != 1)
				rp_cfg_error(b->c, eap, "choose one of all, dn, prefix, suffix");
			for (const char *const *w = (const char *const[]){ "prefix", "suffix", NULL };
			     *w; w++) {
				const char *d = rp_cfg_str(eap, *w, NULL);

				if (d && strcmp(d, ".") && strcmp(d, "@") && strcmp(d, "\\"))
					rp_cfg_error(b->c, rp_cfg_get(eap, *w),
						     "the delimiter is one of . @ \\");
			}
		}
	}
	l = b->attr_lists;
	for (int i = 0; i < rp_cfg_count(l); i++)
		dup_name(b, l, i, "attribute list");
}

/* The rules of the manglers check_manglers() let through (an entry it refused is left
 * empty: the build fails anyway). */
static int build_manglers(struct build *b)
{
	int n = rp_cfg_count(b->manglers);

	if (n <= 0)
		return 0;
	b->s->manglers = calloc((size_t)n, sizeof(*b->s->manglers));
	if (!b->s->manglers)
		return -ENOMEM;
	b->s->n_manglers = (unsigned)n;
	for (int i = 0; i < n; i++)
		if (pol_mangler_from_cfg(rp_cfg_elem(b->manglers, i), &b->s->manglers[i]))
			memset(&b->s->manglers[i], 0, sizeof(b->s->manglers[i]));
	return 0;
}

const struct pol_mangler *pol_mangler_find(const struct pol_set *s, const char *name)
{
	for (unsigned i = 0; i < s->n_manglers; i++)
		if (s->manglers[i].name[0] && !strcmp(s->manglers[i].name, name))
			return &s->manglers[i];
	return NULL;
}

static bool named_in(const config_setting_t *l, const char *name,
		     const config_setting_t **found)
{
	for (int i = 0; i < rp_cfg_count(l); i++)
		if (!strcmp(rp_cfg_str(rp_cfg_elem(l, i), "name", ""), name)) {
			if (found)
				*found = rp_cfg_elem(l, i);
			return true;
		}
	return false;
}

/* ---- authorization policies ----------------------------------------------------------- */

static unsigned addr_list(struct build *b, const config_setting_t *arr, int af, uint8_t *out,
			  unsigned max, const char *what)
{
	unsigned n = 0;
	size_t sz = af == AF_INET ? 4 : 16;

	if (rp_cfg_count(arr) > (int)max)
		rp_cfg_error(b->c, arr, "at most %u %s", max, what);
	for (int i = 0; i < rp_cfg_count(arr) && n < max; i++) {
		if (inet_pton(af, str_at(arr, i), out + n * sz) != 1)
			rp_cfg_error(b->c, rp_cfg_elem(arr, i), "'%s' is not an %s address",
				     str_at(arr, i), af == AF_INET ? "IPv4" : "IPv6");
		else
			n++;
	}
	return n;
}

static int build_authz(struct build *b)
{
	const config_setting_t *l = rp_cfg_get(rp_cfg_get(rp_cfg_root(b->c), "ikev2"),
					       "authorization_policies");
	int n = rp_cfg_count(l);
	bool dhcp_warned = false;

	b->s->authz = calloc((size_t)n + 1, sizeof(*b->s->authz));
	if (!b->s->authz)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = rp_cfg_elem(l, i), *s;
		struct pol_authz *a = &b->s->authz[b->s->n_authz];
		const config_setting_t *rs = rp_cfg_get(e, "route_set");
		const config_setting_t *ra = rp_cfg_get(e, "route_accept");
		const config_setting_t *dhcp = rp_cfg_get(e, "dhcp");
		const char *v;

		if (dup_name(b, l, i, "authorization policy"))
			continue;
		b->s->n_authz++;
		snprintf(a->name, sizeof(a->name), "%s", rp_cfg_str(e, "name", ""));
		snprintf(a->pool, sizeof(a->pool), "%s", rp_cfg_str(e, "pool", ""));
		snprintf(a->ipv6_pool, sizeof(a->ipv6_pool), "%s", rp_cfg_str(e, "ipv6_pool", ""));
		if ((v = rp_cfg_str(e, "netmask", NULL))) {
			a->has_netmask = pol_netmask_parse(v, &a->netmask_plen);
			if (!a->has_netmask)
				rp_cfg_error(b->c, rp_cfg_get(e, "netmask"),
					     "'%s' is not a contiguous IPv4 netmask", v);
		}
		a->n_dns = addr_list(b, rp_cfg_get(e, "dns"), AF_INET, &a->dns[0][0], 2, "DNS servers");
		a->n_dns6 = addr_list(b, rp_cfg_get(e, "ipv6_dns"), AF_INET6, &a->dns6[0][0], 2,
				      "IPv6 DNS servers");
		a->n_wins = addr_list(b, rp_cfg_get(e, "wins"), AF_INET, &a->wins[0][0], 2,
				      "WINS servers");
		if (dhcp) {
			snprintf(a->dhcp_server, sizeof(a->dhcp_server), "%s",
				 rp_cfg_str(dhcp, "server", ""));
			snprintf(a->dhcp_giaddr, sizeof(a->dhcp_giaddr), "%s",
				 rp_cfg_str(dhcp, "giaddr", ""));
			a->dhcp_timeout = (int)rp_cfg_int(dhcp, "timeout", 0);
			if (!dhcp_warned)
				rp_log(RP_LOG_WARN, "policy", "%s:%u: DHCP as an address source is not "
				       "implemented yet; only the local pool is used", b->c->source,
				       config_setting_source_line(dhcp));
			dhcp_warned = true;
		}
		if (rs) {
			const config_setting_t *rem = rp_cfg_get(rs, "remote");

			snprintf(a->route_interface, sizeof(a->route_interface), "%s",
				 rp_cfg_str(rs, "interface", ""));
			for (int k = 0; k < 2; k++) {
				const char *key = k ? "ipv6_access_list" : "access_list";

				if (!(v = rp_cfg_str(rs, key, NULL)))
					continue;
				const struct pol_acl *acl = pol_acl_find(b->s, v);

				if (!acl)
					rp_cfg_error(b->c, rp_cfg_get(rs, key),
						     "unknown access list '%s'", v);
				else if (acl->af != (k ? 6 : 4))
					rp_cfg_error(b->c, rp_cfg_get(rs, key),
						     "access list '%s' is %s; %s takes an %s list", v,
						     acl->af == 4 ? "IPv4" : "IPv6", key,
						     k ? "IPv6" : "IPv4");
				else if (k)
					a->route_acl6 = acl;
				else
					a->route_acl = acl;
			}
			a->route_remote = calloc((size_t)rp_cfg_count(rem) + 1, sizeof(*a->route_remote));
			if (!a->route_remote)
				return -ENOMEM;
			for (int k = 0; k < rp_cfg_count(rem); k++) {
				const char *t = str_at(rem, k);
				char err[160];

				if (!strncmp(t, "ipv4 ", 5) || !strncmp(t, "ipv6 ", 5))
					t += 5;
				if (pol_prefix_parse(t, POL_PFX_SLASH | POL_PFX_MASK | POL_PFX_PLAIN,
						     &a->route_remote[a->n_route_remote], err,
						     sizeof(err)))
					rp_cfg_error(b->c, rp_cfg_elem(rem, k), "%s", err);
				else
					a->n_route_remote++;
			}
		}
		if (ra) {
			a->route_accept = true;
			a->route_accept_tag = (int)rp_cfg_int(ra, "tag", 0);
			a->route_accept_distance = (int)rp_cfg_int(ra, "distance", 0);
		}
		if ((v = rp_cfg_str(e, "banner", NULL)) && !(a->banner = strdup(v)))
			return -ENOMEM;
		snprintf(a->def_domain, sizeof(a->def_domain), "%s", rp_cfg_str(e, "def_domain", ""));
		s = rp_cfg_get(e, "split_dns");
		if (rp_cfg_count(s) > POL_MAX_SPLIT_DNS)
			rp_cfg_error(b->c, s, "at most %d split-dns names", POL_MAX_SPLIT_DNS);
		for (int k = 0; k < rp_cfg_count(s) && k < POL_MAX_SPLIT_DNS; k++)
			if (!(a->split_dns[a->n_split_dns++] = xstrdup(str_at(s, k))))
				return -ENOMEM;
		s = rp_cfg_get(e, "backup_gateways");
		if (rp_cfg_count(s) > POL_MAX_BACKUP_GW)
			rp_cfg_error(b->c, s, "at most %d backup gateways", POL_MAX_BACKUP_GW);
		for (int k = 0; k < rp_cfg_count(s) && k < POL_MAX_BACKUP_GW; k++)
			if (!(a->backup_gw[a->n_backup_gw++] = xstrdup(str_at(s, k))))
				return -ENOMEM;
		a->pfs = rp_cfg_bool(e, "pfs", false);
		a->include_local_lan = rp_cfg_bool(e, "include_local_lan", false);
		a->smartcard_removal_disconnect = rp_cfg_bool(e, "smartcard_removal_disconnect", false);
		if ((v = rp_cfg_str(e, "configuration_url", NULL)) && !(a->config_url = strdup(v)))
			return -ENOMEM;
		snprintf(a->config_version, sizeof(a->config_version), "%s",
			 rp_cfg_str(e, "configuration_version", ""));
		a->session_lifetime = (long)rp_cfg_int(e, "session_lifetime", 0);
		a->flow_limit = (long)rp_cfg_int(e, "ipsec_flow_limit", -1);
		if ((v = rp_cfg_str(e, "aaa_attribute_list", NULL))) {
			const config_setting_t *al = NULL, *ic;

			if (!named_in(b->attr_lists, v, &al)) {
				rp_cfg_error(b->c, rp_cfg_get(e, "aaa_attribute_list"),
					     "unknown attribute list '%s'", v);
			} else {
				snprintf(a->attr_list, sizeof(a->attr_list), "%s", v);
				ic = rp_cfg_get(al, "interface_config");
				a->interface_config = calloc((size_t)rp_cfg_count(ic) + 1, sizeof(char *));
				if (!a->interface_config)
					return -ENOMEM;
				for (int k = 0; k < rp_cfg_count(ic); k++)
					if (!(a->interface_config[a->n_interface_config++] =
						      xstrdup(str_at(ic, k))))
						return -ENOMEM;
			}
		}
	}
	return 0;
}

const struct pol_authz *pol_authz_find(const struct pol_set *s, const char *name)
{
	for (unsigned i = 0; i < s->n_authz; i++)
		if (!strcmp(s->authz[i].name, name))
			return &s->authz[i];
	return NULL;
}

/* ---- profiles ------------------------------------------------------------------------- */

static int parse_match_id(const char *s, struct pol_match_id *m, char *err, size_t errlen)
{
	char kw[16], kw2[16];
	int n = 0;

	memset(m, 0, sizeof(*m));
	snprintf(m->text, sizeof(m->text), "%s", s);
	if (!strcmp(s, "any")) {
		m->kind = POL_MATCH_ANY;
		return 0;
	}
	if (sscanf(s, "%15s %n", kw, &n) != 1 || !s[n]) {
		snprintf(err, errlen, "expected \"any\", \"address A [MASK]\", \"fqdn [domain] NAME\", "
			 "\"email [domain] NAME\" or \"key-id ID\"");
		return -EINVAL;
	}
	const char *v = s + n;

	if (!strcmp(kw, "address")) {
		m->kind = POL_MATCH_ADDRESS;
		if (pol_prefix_parse(v, POL_PFX_PLAIN | POL_PFX_SLASH | POL_PFX_MASK, &m->pfx, err,
				     errlen))
			return -EINVAL;
		/* IOS: "address 0.0.0.0" (and "::") stands for every address of that family */
		static const uint8_t zero[16];

		if (!memcmp(m->pfx.addr, zero, 16) && !strchr(v, '/') && !strchr(v, ' '))
			m->pfx.plen = 0;
		return 0;
	}
	if (!strcmp(kw, "key-id")) {
		m->kind = POL_MATCH_KEY_ID;
	} else if (!strcmp(kw, "fqdn") || !strcmp(kw, "email")) {
		bool fqdn = kw[0] == 'f';
		int n2 = 0;

		m->kind = fqdn ? POL_MATCH_FQDN : POL_MATCH_EMAIL;
		if (sscanf(v, "%15s %n", kw2, &n2) == 1 && !strcmp(kw2, "domain") && v[n2]) {
			m->kind = fqdn ? POL_MATCH_FQDN_DOMAIN : POL_MATCH_EMAIL_DOMAIN;
			v += n2;
		}
		if (strchr(v, ' ')) {
			snprintf(err, errlen, "'%s' contains a space", v);
			return -EINVAL;
		}
	} else {
		snprintf(err, errlen, "unknown identity type '%s' (any, address, fqdn, email, key-id)",
			 kw);
		return -EINVAL;
	}
	m->value_len = strlen(v);
	if (m->value_len >= sizeof(m->value)) {
		snprintf(err, errlen, "identity longer than %zu bytes", sizeof(m->value) - 1);
		return -EINVAL;
	}
	memcpy(m->value, v, m->value_len + 1);
	return 0;
}

/* identity_local: "address", "dn", "fqdn NAME", "email NAME", "key-id ID" (IOS identity
 * local address|dn|fqdn|email|key-id). */
static int parse_identity_local(const char *s, struct pol_profile *p, char *err, size_t errlen)
{
	static const struct {
		const char *kw;
		enum pol_id_local k;
		bool value;
	} kinds[] = {
		{ "address", POL_IDL_ADDRESS, false }, { "dn", POL_IDL_DN, false },
		{ "fqdn", POL_IDL_FQDN, true },        { "email", POL_IDL_EMAIL, true },
		{ "key-id", POL_IDL_KEY_ID, true },
	};
	size_t kl = strcspn(s, " "), vl;
	const char *v = s + kl;

	while (*v == ' ')
		v++;
	vl = strlen(v);
	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strlen(kinds[i].kw) != kl || strncmp(s, kinds[i].kw, kl))
			continue;
		if (!kinds[i].value && vl) {
			snprintf(err, errlen, "\"%s\" takes no value (ours comes from %s)", kinds[i].kw,
				 kinds[i].k == POL_IDL_DN ? "our certificate" : "the local address");
			return -EINVAL;
		}
		if (kinds[i].value && !vl) {
			snprintf(err, errlen, "\"%s\" needs a value: \"%s NAME\"", kinds[i].kw,
				 kinds[i].kw);
			return -EINVAL;
		}
		if (kinds[i].k != POL_IDL_KEY_ID && strchr(v, ' ')) {
			snprintf(err, errlen, "'%s' contains a space", v);
			return -EINVAL;
		}
		if (kinds[i].k == POL_IDL_EMAIL && !strchr(v, '@')) {
			snprintf(err, errlen, "'%s' is not an e-mail address (no '@')", v);
			return -EINVAL;
		}
		if (vl >= sizeof(p->id_local_value)) {
			snprintf(err, errlen, "identity longer than %zu bytes",
				 sizeof(p->id_local_value) - 1);
			return -EINVAL;
		}
		p->id_local = kinds[i].k;
		memcpy(p->id_local_value, v, vl + 1);
		p->id_local_len = vl;
		return 0;
	}
	snprintf(err, errlen, "expected \"address\", \"dn\", \"fqdn NAME\", \"email NAME\" or "
		 "\"key-id ID\"");
	return -EINVAL;
}

static int parse_remote_auth(struct pol_profile *p, const char *s, char *err, size_t errlen)
{
	char w[4][24];
	int n = sscanf(s, "%23s %23s %23s %23s", w[0], w[1], w[2], w[3]);

	if (n < 1)
		goto bad;
	if (!strcmp(w[0], "rsa-sig") && n == 1)
		p->auth_remote |= POL_AUTH_RSA_SIG;
	else if (!strcmp(w[0], "ecdsa-sig") && n == 1)
		p->auth_remote |= POL_AUTH_ECDSA_SIG;
	else if (!strcmp(w[0], "pre-share") && n == 1)
		p->auth_remote |= POL_AUTH_PSK;
	else if (!strcmp(w[0], "eap")) {
		p->auth_remote |= POL_AUTH_EAP;
		for (int i = 1; i < n; i++) {
			if (!strcmp(w[i], "query-identity")) {
				p->eap_query_identity = true;
			} else if (!strcmp(w[i], "timeout") && i + 1 < n) {
				char *end;
				long t = strtol(w[++i], &end, 10);

				if (*end || t < 45 || t > 180) {
					snprintf(err, errlen, "eap timeout is 45..180 seconds");
					return -EINVAL;
				}
				p->eap_timeout = (int)t;
			} else {
				goto bad;
			}
		}
	} else {
		goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen, "'%s': expected \"rsa-sig\", \"ecdsa-sig\", \"pre-share\" or "
		 "\"eap [query-identity] [timeout SECONDS]\" (keys go in a keyring)", s);
	return -EINVAL;
}

static char **copy_strings(const config_setting_t *arr, unsigned *n)
{
	char **v = calloc((size_t)rp_cfg_count(arr) + 1, sizeof(char *));

	*n = 0;
	if (!v)
		return NULL;
	for (int i = 0; i < rp_cfg_count(arr); i++)
		if (!(v[(*n)++] = xstrdup(str_at(arr, i)))) {
			for (unsigned k = 0; k < *n; k++)
				free(v[k]);
			free(v);
			return NULL;
		}
	return v;
}

static void build_author(struct build *b, const config_setting_t *g, struct pol_aaa_author *a,
			 bool group, struct pol_profile *p)
{
	const config_setting_t *m = rp_cfg_get(g, "methods");
	const char *mangler = rp_cfg_str(g, "name_mangler", NULL);

	if (!g)
		return;
	a->set = true;
	for (int i = 0; i < rp_cfg_count(m); i++) {
		const char *v = str_at(m, i);

		a->methods |= !strcmp(v, "cert") ? POL_AUTH_RSA_SIG | POL_AUTH_ECDSA_SIG :
			      !strcmp(v, "eap") ? POL_AUTH_EAP : POL_AUTH_PSK;
	}
	snprintf(a->list, sizeof(a->list), "%s", rp_cfg_str(g, "list", ""));
	snprintf(a->username, sizeof(a->username), "%s", rp_cfg_str(g, "username", ""));
	snprintf(a->name_mangler, sizeof(a->name_mangler), "%s", mangler ? mangler : "");
	a->cached = rp_cfg_bool(g, "cached", false);
	a->override = rp_cfg_bool(g, "override", false);
	if (mangler && !named_in(b->manglers, mangler, NULL))
		rp_cfg_error(b->c, rp_cfg_get(g, "name_mangler"), "unknown name mangler '%s'", mangler);
	if (mangler && a->username[0])
		rp_cfg_error(b->c, g, "username and name_mangler exclude each other");
	/* The reference: a DN identity cannot be a user name, so cert needs one of them. */
	if ((a->methods & POL_AUTH_RSA_SIG) && !mangler && !a->username[0])
		rp_cfg_error(b->c, g, "authorization for cert needs a username or a name_mangler");
	if (a->cached && group)
		rp_cfg_error(b->c, rp_cfg_get(g, "cached"), "cached applies to user authorization");
	if (a->override && !group)
		rp_cfg_error(b->c, rp_cfg_get(g, "override"), "override applies to group authorization");
	if (!a->cached && !a->list[0])
		rp_cfg_error(b->c, g, "needs a list (or cached for user authorization)");
	if (!strcmp(a->list, "local") && a->username[0]) {
		const struct pol_authz *az = pol_authz_find(b->s, a->username);

		if (!az)
			rp_cfg_error(b->c, rp_cfg_get(g, "username"),
				     "no authorization policy named '%s' for the local list",
				     a->username);
		else if (group && !p->authz)
			p->authz = az;
	}
}

/* `keyring_aaa`: the list must be an aaa.authorization list (its methods are checked with
 * the aaa section), the mangler known; `keyring` excludes it (one source of keys). */
static void build_keyring_aaa(struct build *b, const config_setting_t *e, struct pol_profile *p)
{
	const config_setting_t *g = rp_cfg_get(e, "keyring_aaa");
	const config_setting_t *al = rp_cfg_get(rp_cfg_get(rp_cfg_root(b->c), "aaa"),
						"authorization");
	struct pol_keyring_aaa *k = &p->keyring_aaa;
	const char *list, *mangler;
	bool found = false;

	if (!g)
		return;
	k->set = true;
	list = rp_cfg_str(g, "list", "");
	mangler = rp_cfg_str(g, "name_mangler", NULL);
	snprintf(k->list, sizeof(k->list), "%s", list);
	snprintf(k->name_mangler, sizeof(k->name_mangler), "%s", mangler ? mangler : "");
	snprintf(k->password, sizeof(k->password), "%s", rp_cfg_str(g, "password", "cisco"));
	if (rp_cfg_get(e, "keyring"))
		rp_cfg_error(b->c, g, "keyring and keyring_aaa exclude each other (one source of "
			     "pre-shared keys per profile)");
	for (int k2 = 0; k2 < rp_cfg_count(al) && !found; k2++)
		found = !strcmp(rp_cfg_str(rp_cfg_elem(al, k2), "name", ""), list);
	if (!found)
		rp_cfg_error(b->c, rp_cfg_get(g, "list"), "no authorization list '%s' in the aaa "
			     "section", list);
	if (mangler && !named_in(b->manglers, mangler, NULL))
		rp_cfg_error(b->c, rp_cfg_get(g, "name_mangler"), "unknown name mangler '%s'",
			     mangler);
}

static int build_profiles(struct build *b)
{
	const config_setting_t *l = rp_cfg_get(rp_cfg_get(rp_cfg_root(b->c), "ikev2"), "profiles");
	int n = rp_cfg_count(l);

	b->s->profiles = calloc((size_t)n + 1, sizeof(*b->s->profiles));
	if (!b->s->profiles)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = rp_cfg_elem(l, i);
		const config_setting_t *m = rp_cfg_get(e, "match"), *au = rp_cfg_get(e, "authentication");
		const config_setting_t *ids = rp_cfg_get(m, "identity_remote");
		const config_setting_t *maps = rp_cfg_get(m, "certificate");
		const config_setting_t *loc = rp_cfg_get(m, "address_local");
		const config_setting_t *rem = rp_cfg_get(au, "remote");
		const config_setting_t *tps = rp_cfg_get(e, "trustpoints");
		const config_setting_t *dpd = rp_cfg_get(e, "dpd"), *aaa = rp_cfg_get(e, "aaa");
		unsigned pidx = b->s->n_profiles;
		struct pol_profile *p = &b->s->profiles[pidx];
		const char *v, *lm;
		char err[300];

		if (dup_name(b, l, i, "profile"))
			continue;
		b->s->n_profiles++;
		snprintf(p->name, sizeof(p->name), "%s", rp_cfg_str(e, "name", ""));
		p->ids = calloc((size_t)rp_cfg_count(ids) + 1, sizeof(*p->ids));
		p->maps = calloc((size_t)rp_cfg_count(maps) + 1, sizeof(*p->maps));
		p->local = calloc((size_t)rp_cfg_count(loc) + 1, sizeof(*p->local));
		p->tps = calloc((size_t)rp_cfg_count(tps) + 1, sizeof(*p->tps));
		p->tp_names = calloc((size_t)rp_cfg_count(tps) + 1, sizeof(*p->tp_names));
		if (!p->ids || !p->maps || !p->local || !p->tps || !p->tp_names)
			return -ENOMEM;

		if (!ids && !maps)
			rp_cfg_error(b->c, m, "a profile needs match.identity_remote or "
				     "match.certificate");
		for (int k = 0; k < rp_cfg_count(ids); k++) {
			if (parse_match_id(str_at(ids, k), &p->ids[p->n_ids], err, sizeof(err)))
				rp_cfg_error(b->c, rp_cfg_elem(ids, k), "%s", err);
			else
				p->n_ids++;
		}
		for (int k = 0; k < rp_cfg_count(maps); k++) {
			const char *name = str_at(maps, k);
			const struct pki_certmap *cm = pol_certmap_find(b->s, name);

			if (!cm) {
				rp_cfg_error(b->c, rp_cfg_elem(maps, k), "unknown certificate map '%s'",
					     name);
				continue;
			}
			int mi = (int)(cm - b->s->maps), owner = b->map_owner[mi];

			if (owner == (int)pidx) {
				rp_cfg_error(b->c, rp_cfg_elem(maps, k), "certificate map '%s' is listed twice",
					     name);
				continue;
			}
			if (owner >= 0) {
				rp_cfg_error(b->c, rp_cfg_elem(maps, k),
					     "certificate map '%s' already belongs to profile '%s' "
					     "(a map can be attached to one profile only)", name,
					     b->s->profiles[owner].name);
				continue;
			}
			b->map_owner[mi] = (int)pidx;
			p->maps[p->n_maps++] = cm;
		}
		for (int k = 0; k < rp_cfg_count(loc); k++) {
			if (pol_prefix_parse(str_at(loc, k), POL_PFX_PLAIN | POL_PFX_SLASH | POL_PFX_MASK,
					     &p->local[p->n_local], err, sizeof(err)))
				rp_cfg_error(b->c, rp_cfg_elem(loc, k), "%s", err);
			else
				p->n_local++;
		}

		lm = rp_cfg_str(au, "local", "rsa-sig");
		p->auth_local = !strcmp(lm, "rsa-sig") ? POL_AUTH_RSA_SIG :
				!strcmp(lm, "ecdsa-sig") ? POL_AUTH_ECDSA_SIG : POL_AUTH_PSK;
		for (int k = 0; k < rp_cfg_count(rem); k++)
			if (parse_remote_auth(p, str_at(rem, k), err, sizeof(err)))
				rp_cfg_error(b->c, rp_cfg_elem(rem, k), "%s", err);

		for (int k = 0; k < rp_cfg_count(tps); k++) {
			const char *name = str_at(tps, k);
			bool found = false;

			for (unsigned t = 0; t < b->s->n_tps; t++)
				if (!strcmp(b->s->tp_names[t], name)) {
					p->tps[p->n_tps] = b->s->tps[t];
					found = true;
				}
			if (!found) {
				rp_cfg_error(b->c, rp_cfg_elem(tps, k), "unknown trustpoint '%s'", name);
				continue;
			}
			if (!(p->tp_names[p->n_tps++] = strdup(name)))
				return -ENOMEM;
		}
		if ((v = rp_cfg_str(e, "keyring", NULL)) && !(p->keyring = pol_keyring_find(b->s, v)))
			rp_cfg_error(b->c, rp_cfg_get(e, "keyring"), "unknown keyring '%s'", v);
		build_keyring_aaa(b, e, p);
		if ((v = rp_cfg_str(e, "identity_local", NULL)) &&
		    parse_identity_local(v, p, err, sizeof(err)))
			rp_cfg_error(b->c, rp_cfg_get(e, "identity_local"), "%s", err);
		p->lifetime = (long)rp_cfg_int(e, "lifetime", 86400);
		p->has_lifetime = rp_cfg_get(e, "lifetime") != NULL;
		if (dpd) {
			p->dpd_interval = (int)rp_cfg_int(dpd, "interval", 0);
			p->dpd_retry = (int)rp_cfg_int(dpd, "retry", 2);
			p->dpd_periodic = !strcmp(rp_cfg_str(dpd, "mode", "on-demand"), "periodic");
		}
		p->nat_keepalive = (int)rp_cfg_int(e, "nat_keepalive", 0);
		p->proposals = copy_strings(rp_cfg_get(e, "proposals"), &p->n_proposals);
		if (!p->proposals)
			return -ENOMEM;
		if ((v = rp_cfg_str(e, "authorization_policy", NULL)) &&
		    !(p->authz = pol_authz_find(b->s, v)))
			rp_cfg_error(b->c, rp_cfg_get(e, "authorization_policy"),
				     "unknown authorization policy '%s'", v);
		snprintf(p->group, sizeof(p->group), "%s", rp_cfg_str(e, "group", ""));
		snprintf(p->aaa_eap_list, sizeof(p->aaa_eap_list), "%s",
			 rp_cfg_str(aaa, "authentication_eap", ""));
		if ((v = rp_cfg_str(aaa, "accounting", NULL))) {
			const config_setting_t *al = rp_cfg_get(rp_cfg_get(rp_cfg_root(b->c), "aaa"),
								"accounting");
			bool found = false;

			for (int k = 0; k < rp_cfg_count(al) && !found; k++)
				found = !strcmp(rp_cfg_str(rp_cfg_elem(al, k), "name", ""), v);
			if (!found)
				rp_cfg_error(b->c, rp_cfg_get(aaa, "accounting"),
					     "no accounting list '%s' in the aaa section", v);
			snprintf(p->aaa_acct_list, sizeof(p->aaa_acct_list), "%s", v);
		}
		build_author(b, rp_cfg_get(aaa, "authorization_group"), &p->author_group, true, p);
		build_author(b, rp_cfg_get(aaa, "authorization_user"), &p->author_user, false, p);
		p->virtual_template = (int)rp_cfg_int(e, "virtual_template", 0);
		p->cfg_set_send = rp_cfg_bool(rp_cfg_get(e, "config_exchange"), "set_send", true);
		p->cfg_set_accept = rp_cfg_bool(rp_cfg_get(e, "config_exchange"), "set_accept", true);

		/* What the methods need. */
		bool sig_local = p->auth_local != POL_AUTH_PSK;
		bool sig_remote = p->auth_remote & (POL_AUTH_RSA_SIG | POL_AUTH_ECDSA_SIG);

		if ((p->auth_local == POL_AUTH_PSK || (p->auth_remote & POL_AUTH_PSK)) && !p->keyring &&
		    !rp_cfg_get(e, "keyring") && !p->keyring_aaa.set)
			rp_cfg_error(b->c, au, "pre-share authentication needs a keyring (or "
				     "keyring_aaa)");
		if (p->keyring_aaa.set && p->auth_local != POL_AUTH_PSK &&
		    !(p->auth_remote & POL_AUTH_PSK))
			rp_cfg_error(b->c, rp_cfg_get(e, "keyring_aaa"), "the profile has no pre-share "
				     "authentication (local or remote) for keys from AAA");
		if ((sig_local || sig_remote) && !tps)
			rp_cfg_error(b->c, au, "%s authentication needs trustpoints",
				     sig_local ? lm : "certificate");
		if (p->id_local == POL_IDL_DN && !sig_local)
			rp_cfg_error(b->c, rp_cfg_get(e, "identity_local"), "\"dn\" is the subject of "
				     "our certificate: authentication.local must be rsa-sig or "
				     "ecdsa-sig");
		if ((p->auth_remote & POL_AUTH_EAP) && !sig_local)
			rp_cfg_error(b->c, au, "with remote eap we must authenticate by certificate "
				     "(local rsa-sig or ecdsa-sig)");
		bool all_loaded = p->n_tps > 0;

		for (unsigned t = 0; t < p->n_tps; t++)
			all_loaded = all_loaded && p->tps[t];
		/* (a trustpoint that failed to load was reported already) */
		if (!(b->flags & POL_BUILD_NO_FILES) && sig_local && all_loaded) {
			bool have = false;

			for (unsigned t = 0; t < p->n_tps && !have; t++) {
				EVP_PKEY *k = p->tps[t] ? pki_tp_key(p->tps[t]) : NULL;

				have = k && (EVP_PKEY_is_a(k, "RSA") || EVP_PKEY_is_a(k, "RSA-PSS")) ==
						    (p->auth_local == POL_AUTH_RSA_SIG);
			}
			if (!have)
				rp_cfg_error(b->c, au, "local %s: none of the trustpoints holds our "
					     "certificate with %s key", lm,
					     p->auth_local == POL_AUTH_RSA_SIG ? "an RSA" : "an ECDSA");
		}
	}
	return 0;
}

const struct pol_profile *pol_profile_find(const struct pol_set *s, const char *name)
{
	for (unsigned i = 0; i < s->n_profiles; i++)
		if (!strcmp(s->profiles[i].name, name))
			return &s->profiles[i];
	return NULL;
}

/* ---- set ------------------------------------------------------------------------------ */

int pol_set_build(struct rp_cfg *c, unsigned flags, struct pol_set **out)
{
	struct build b = { .c = c, .flags = flags };
	int errors = c->n_errors, rc;
	const config_setting_t *ikev2 = rp_cfg_get(rp_cfg_root(c), "ikev2");

	*out = NULL;
	b.s = calloc(1, sizeof(*b.s));
	if (!b.s)
		return -ENOMEM;
	b.attr_lists = rp_cfg_get(ikev2, "attribute_lists");
	b.manglers = rp_cfg_get(ikev2, "name_manglers");
	check_manglers(&b);
	if ((rc = build_manglers(&b)) || (rc = build_acls(&b)) || (rc = build_trustpoints(&b)) || (rc = build_certmaps(&b)) ||
	    (rc = build_keyrings(&b)) || (rc = build_authz(&b)) || (rc = build_profiles(&b)))
		goto out;
	for (unsigned i = 0; i < b.s->n_maps; i++)
		if (b.map_owner[i] < 0)
			rp_log(RP_LOG_NOTICE, "policy", "certificate map %s is not used by any profile",
			       b.s->maps[i].name);
	if (c->n_errors > errors)
		rc = -EINVAL;
out:
	free(b.map_owner);
	if (rc) {
		pol_set_free(b.s);
		return rc;
	}
	*out = b.s;
	return 0;
}

static void free_strv(char **v, unsigned n)
{
	for (unsigned i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void pol_set_free(struct pol_set *s)
{
	if (!s)
		return;
	for (unsigned i = 0; s->profiles && i <= s->n_profiles; i++) {
		struct pol_profile *p = &s->profiles[i];

		free(p->ids);
		free(p->maps);
		free(p->local);
		free(p->tps);
		free_strv(p->tp_names, p->n_tps);
		/* proposals may be partially filled on ENOMEM: free to the first NULL */
		for (unsigned k = 0; p->proposals && p->proposals[k]; k++)
			free(p->proposals[k]);
		free(p->proposals);
		OPENSSL_cleanse(p->keyring_aaa.password, sizeof(p->keyring_aaa.password));
	}
	free(s->profiles);
	for (unsigned i = 0; s->keyrings && i <= s->n_keyrings; i++) {
		struct pol_keyring *kr = &s->keyrings[i];

		for (unsigned j = 0; kr->peers && j <= kr->n; j++) {
			struct pol_keyring_peer *p = &kr->peers[j];

			if (p->psk_local)
				OPENSSL_cleanse(p->psk_local, p->psk_local_len);
			if (p->psk_remote)
				OPENSSL_cleanse(p->psk_remote, p->psk_remote_len);
			free(p->psk_local);
			free(p->psk_remote);
		}
		free(kr->peers);
	}
	free(s->keyrings);
	for (unsigned i = 0; s->authz && i < s->n_authz; i++) {
		struct pol_authz *a = &s->authz[i];

		free(a->route_remote);
		free(a->banner);
		free(a->config_url);
		free_strv(a->interface_config, a->n_interface_config);
		for (unsigned k = 0; k < a->n_split_dns; k++)
			free(a->split_dns[k]);
		for (unsigned k = 0; k < a->n_backup_gw; k++)
			free(a->backup_gw[k]);
	}
	free(s->authz);
	for (unsigned i = 0; s->acls && i <= s->n_acls; i++)
		pol_acl_free(&s->acls[i]);
	free(s->acls);
	for (unsigned i = 0; s->maps && i <= s->n_maps; i++)
		pki_certmap_free(&s->maps[i]);
	free(s->maps);
	for (unsigned i = 0; s->tps && i < s->n_tps; i++)
		pki_tp_destroy(s->tps[i]);
	free(s->tps);
	free(s->tp_names);
	free(s->manglers);
	free(s);
}
