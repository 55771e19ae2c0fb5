/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The named address pools: configuration, lookup by name, "show pools". */
#include "controlplane/pool/pool_set.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/mgmt/json.h"
#include "controlplane/util/sbuf.h"

/* The lowest and highest address of @p c, as 16 big-endian bytes. */
static void cfg_bounds(const struct pool_cfg *c, uint8_t lo[16], uint8_t hi[16])
{
	memset(lo, 0, 16);
	memset(hi, 0, 16);
	if (c->af == 4) {
		memcpy(lo, c->first, 4);
		memcpy(hi, c->last, 4);
		return;
	}
	memcpy(lo, c->first, 16);
	memcpy(hi, c->first, 16);
	for (unsigned b = c->plen; b < 128; b++)
		hi[b / 8] |= (uint8_t)(0x80 >> (b % 8));
}

static bool overlap(const struct pool_cfg *a, const struct pool_cfg *b)
{
	uint8_t alo[16], ahi[16], blo[16], bhi[16];

	cfg_bounds(a, alo, ahi);
	cfg_bounds(b, blo, bhi);
	return memcmp(alo, bhi, 16) <= 0 && memcmp(blo, ahi, 16) <= 0;
}

int pool_set_add(struct pool_set *s, const struct pool_cfg *cfg, bool is_default,
		 struct pool **out, char *err, size_t errlen)
{
	struct pool *p;
	char r[100];
	int rc;

	if (out)
		*out = NULL;
	if (!cfg->name[0]) {
		snprintf(err, errlen, "a pool needs a name");
		return -EINVAL;
	}
	if (s->n == POOL_SET_MAX) {
		snprintf(err, errlen, "at most %u pools", POOL_SET_MAX);
		return -EINVAL;
	}
	if (is_default && (cfg->af == 4 ? s->def4 : s->def6)) {
		snprintf(err, errlen, "a second default IPv%u pool", cfg->af);
		return -EINVAL;
	}
	if (pool_cfg_check(cfg, err, errlen))
		return -EINVAL;
	for (unsigned i = 0; i < s->n; i++) {
		const struct pool_cfg *o = pool_cfg(s->pools[i]);

		if (o->af != cfg->af)
			continue;
		if (!strcmp(o->name, cfg->name)) {
			snprintf(err, errlen, "an IPv%u pool named '%s' is already defined",
				 cfg->af, cfg->name);
			return -EINVAL;
		}
		if (overlap(o, cfg)) {
			snprintf(err, errlen, "overlaps pool '%s' (%s)", o->name,
				 pool_range_text(s->pools[i], r, sizeof(r)));
			return -EINVAL;
		}
	}
	rc = pool_create(cfg, &p);
	if (rc) {
		snprintf(err, errlen, "%s", strerror(-rc));
		return rc;
	}
	s->pools[s->n++] = p;
	if (is_default && cfg->af == 4)
		s->def4 = p;
	else if (is_default)
		s->def6 = p;
	if (out)
		*out = p;
	return 0;
}

struct pool *pool_set_find(const struct pool_set *s, uint8_t af, const char *name)
{
	for (unsigned i = 0; s && i < s->n; i++) {
		const struct pool_cfg *c = pool_cfg(s->pools[i]);

		if (c->af == af && !strcmp(c->name, name))
			return s->pools[i];
	}
	return NULL;
}

void pool_set_free(struct pool_set *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++)
		pool_destroy(s->pools[i]);
	free(s);
}

/* ---- configuration ---------------------------------------------------------------------- */

static int parse_dns(struct rp_cfg *c, const config_setting_t *g, uint8_t af,
		     struct pool_cfg *pc)
{
	const config_setting_t *s = rp_cfg_get(g, "dns");
	int n = rp_cfg_count(s);

	if (n > 2) {
		rp_cfg_error(c, s, "at most 2 DNS servers");
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		const char *v = config_setting_get_string(rp_cfg_elem(s, i));

		if (!v || inet_pton(af == 4 ? AF_INET : AF_INET6, v, pc->dns[i]) != 1) {
			rp_cfg_error(c, rp_cfg_elem(s, i), "not an IPv%u address", af);
			return -EINVAL;
		}
	}
	pc->n_dns = (unsigned)n;
	return 0;
}

/* "2001:db8::/112" without host bits. */
static bool parse_prefix6(const char *v, uint8_t addr[16], uint8_t *plen)
{
	char buf[64], *slash, *end;
	unsigned long l;

	if (!v || strlen(v) >= sizeof(buf))
		return false;
	memcpy(buf, v, strlen(v) + 1);
	slash = strchr(buf, '/');
	if (!slash)
		return false;
	*slash = 0;
	errno = 0;
	l = strtoul(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || l > 128 || inet_pton(AF_INET6, buf, addr) != 1)
		return false;
	for (unsigned b = (unsigned)l; b < 128; b++)
		if (addr[b / 8] & (0x80 >> (b % 8)))
			return false;
	*plen = (uint8_t)l;
	return true;
}

/* One pool group: IPv4 with first/last, IPv6 with prefix. @p def_name: the name when the
 * group has none (the default pools). */
static int parse_one(struct rp_cfg *c, struct pool_set *s, const config_setting_t *g,
		     const char *def_name, bool is_default, int want_af)
{
	struct pool_cfg pc = { 0 };
	bool v4 = rp_cfg_get(g, "first") || rp_cfg_get(g, "last");
	bool v6 = rp_cfg_get(g, "prefix") != NULL;
	char err[200];
	int rc;

	snprintf(pc.name, sizeof(pc.name), "%s", rp_cfg_str(g, "name", def_name));
	if (v4 == v6) {
		rp_cfg_error(c, g, "a pool has either \"first\" and \"last\" (IPv4) or \"prefix\" "
			     "(IPv6)");
		return -EINVAL;
	}
	pc.af = v4 ? 4 : 6;
	if (want_af && pc.af != want_af) {
		rp_cfg_error(c, g, "expected an IPv%d pool", want_af);
		return -EINVAL;
	}
	if (v4) {
		const char *k[2] = { "first", "last" };
		uint8_t *dst[2] = { pc.first, pc.last };

		for (int i = 0; i < 2; i++) {
			const char *v = rp_cfg_str(g, k[i], NULL);

			if (!v || inet_pton(AF_INET, v, dst[i]) != 1) {
				rp_cfg_error(c, v ? rp_cfg_get(g, k[i]) : g, "%s: %s", k[i],
					     v ? "not an IPv4 address" : "missing");
				return -EINVAL;
			}
		}
		pc.netmask_plen = (uint8_t)rp_cfg_int(g, "netmask", 32);
		if (rp_cfg_get(g, "netmask") && (pc.netmask_plen < 1 || pc.netmask_plen > 32)) {
			rp_cfg_error(c, rp_cfg_get(g, "netmask"), "a prefix length 1..32");
			return -EINVAL;
		}
	} else {
		if (!parse_prefix6(rp_cfg_str(g, "prefix", NULL), pc.first, &pc.plen)) {
			rp_cfg_error(c, rp_cfg_get(g, "prefix"),
				     "not an IPv6 prefix \"ADDR/LEN\" without host bits");
			return -EINVAL;
		}
		if (rp_cfg_get(g, "netmask")) {
			rp_cfg_error(c, rp_cfg_get(g, "netmask"), "only for IPv4 pools");
			return -EINVAL;
		}
	}
	rc = parse_dns(c, g, pc.af, &pc);
	if (rc)
		return rc;
	rc = pool_set_add(s, &pc, is_default, NULL, err, sizeof(err));
	if (rc == -EINVAL)
		rp_cfg_error(c, g, "pool '%s': %s", pc.name, err);
	return rc;
}

int pool_set_parse(struct rp_cfg *c, const config_setting_t *def4,
		   const config_setting_t *def6, const config_setting_t *list,
		   struct pool_set **out)
{
	struct pool_set *s = calloc(1, sizeof(*s));
	int rc = 0, n = rp_cfg_count(list);

	*out = NULL;
	if (!s)
		return -ENOMEM;
	if (def4)
		rc = parse_one(c, s, def4, POOL_DEFAULT_NAME, true, 4);
	if (!rc && def6)
		rc = parse_one(c, s, def6, POOL_DEFAULT_NAME, true, 6);
	if (!rc && n > (int)POOL_SET_MAX - 2) {
		rp_cfg_error(c, list, "at most %u pools", POOL_SET_MAX - 2);
		rc = -EINVAL;
	}
	for (int i = 0; !rc && i < n; i++) {
		const config_setting_t *e = rp_cfg_elem(list, i);

		if (!rp_cfg_get(e, "name")) {
			rp_cfg_error(c, e, "a pool of the list needs a name");
			rc = -EINVAL;
			break;
		}
		rc = parse_one(c, s, e, "", false, 0);
	}
	if (rc) {
		pool_set_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* ---- show pools ------------------------------------------------------------------------- */

int pool_set_show(const struct pool_set *s, const char *name, bool json, struct sbuf *out,
		  struct json_w *jw)
{
	unsigned shown = 0;
	char r[100];

	if (json) {
		json_obj_open(jw);
		json_key(jw, "pools");
		json_arr_open(jw);
	} else if (s && s->n) {
		sbuf_printf(out, "%-20s %-4s %-34s %9s %9s %9s\n", "Pool", "Fam", "Range", "Size",
			    "In use", "Free");
	}
	for (unsigned i = 0; s && i < s->n; i++) {
		const struct pool *p = s->pools[i];
		const struct pool_cfg *c = pool_cfg(p);
		bool def = p == s->def4 || p == s->def6;
		uint32_t used, size;

		if (name && strcmp(name, c->name))
			continue;
		shown++;
		pool_usage(p, &used, &size);
		pool_range_text(p, r, sizeof(r));
		if (json) {
			json_obj_open(jw);
			json_kv_str(jw, "name", c->name);
			json_kv_str(jw, "family", c->af == 4 ? "ipv4" : "ipv6");
			json_kv_str(jw, "range", r);
			json_kv_bool(jw, "default", def);
			json_kv_uint(jw, "size", size);
			json_kv_uint(jw, "in_use", used);
			json_kv_uint(jw, "free", size - used);
			json_obj_close(jw);
			continue;
		}
		sbuf_printf(out, "%-20s %-4s %-34s %9u %9u %9u%s\n", c->name,
			    c->af == 4 ? "IPv4" : "IPv6", r, size, used, size - used,
			    def ? "  (default)" : "");
	}
	if (json) {
		json_arr_close(jw);
		json_obj_close(jw);
	} else if (!shown && !name) {
		sbuf_printf(out, "No address pools are configured.\n");
	}
	return name && !shown ? -ENOENT : 0;
}
