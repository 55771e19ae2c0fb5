/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Manual SAs: configuration -> SA_ADD / ROUTE_ADD payloads, field by field through the parser
 * rampartctl's "sa add" uses too (common/manual_sa.c). No DPDK here (unit-tested). */
#include "dataplane/manual.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/manual_sa.h"

static const config_setting_t *at(const config_setting_t *g, const char *name)
{
	const config_setting_t *s = name ? rp_cfg_get(g, name) : NULL;

	return s ? s : g;
}

int dp_prefix_parse(const char *s, struct rp_prefix *p)
{
	return rp_prefix_parse(s, p);
}

const char *dp_prefix_str(const struct rp_prefix *p, char *buf, size_t len)
{
	return rp_prefix_str(p, buf, len);
}

/* rp_manual_sa_set()'s messages start with "FIELD: "; rp_cfg_error() names the setting. */
static void report(struct rp_cfg *c, const config_setting_t *s, const char *field,
		   const char *why)
{
	size_t n = strlen(field);

	if (strncmp(why, field, n) == 0 && why[n] == ':' && why[n + 1] == ' ')
		why += n + 2;
	rp_cfg_error(c, s, "%s", why);
}

/* One setting of the element into the shared parser; lists element by element. */
static void one_field(struct rp_cfg *c, const config_setting_t *g, unsigned int f,
		      struct rp_manual_sa *m)
{
	const char *name = rp_manual_sa_field_name(f);
	const config_setting_t *s = rp_cfg_get(g, name);
	char val[32], why[192];
	int n;

	if (!s)
		return;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		/* rp_cfg_int() reads hex literals up to 0xffffffff as unsigned. */
		snprintf(val, sizeof(val), "%lld", rp_cfg_int(g, name, 0));
		if (rp_manual_sa_set(m, name, val, why, sizeof(why)) < 0)
			report(c, s, name, why);
		return;
	case CONFIG_TYPE_BOOL:
		if (rp_manual_sa_set(m, name, config_setting_get_bool(s) ? "true" : "false", why,
				     sizeof(why)) < 0)
			report(c, s, name, why);
		return;
	case CONFIG_TYPE_STRING:
		if (rp_manual_sa_set(m, name, config_setting_get_string(s), why, sizeof(why)) < 0)
			report(c, s, name, why);
		return;
	default:
		break;
	}
	/* A list of strings (the schema checked the element types). */
	n = rp_cfg_count(s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = rp_cfg_elem(s, i);
		const char *v = config_setting_get_string(e);

		if (rp_manual_sa_set(m, name, v ? v : "", why, sizeof(why)) < 0) {
			report(c, e, name, why);
			return;
		}
	}
}

static int one_sa(struct rp_cfg *c, const config_setting_t *g, struct dp_manual_sa *out)
{
	struct rp_manual_sa m;
	int errors = c->n_errors, rc = -EINVAL;
	const char *field = NULL;
	char why[192];

	memset(out, 0, sizeof(*out));
	out->line = config_setting_source_line(g);
	snprintf(out->source, sizeof(out->source), "%s",
		 config_setting_source_file(g) ? config_setting_source_file(g) : c->source);
	rp_manual_sa_init(&m);
	for (unsigned int f = 0; f < RP_MSA_FIELD_MAX; f++)
		one_field(c, g, f, &m);
	if (c->n_errors > errors)
		goto out;
	if (rp_manual_sa_finish(&m, true, &field, why, sizeof(why)) < 0) {
		rp_cfg_error(c, at(g, field), "%s", why);
		goto out;
	}
	out->sa = m.sa;
	memcpy(out->routes, m.routes, sizeof(out->routes));
	out->n_routes = m.n_routes;
	rc = 0;
out:
	rp_manual_sa_wipe(&m);
	return rc;
}

/* Duplicate detection sorts (key, position) pairs: a configuration may declare hundreds of
 * thousands of SAs (benchmarks), so no pairwise comparison. */
struct dup_key {
	uint32_t id;            /* sa_id, or the inbound SPI (network order) */
	uint8_t local[16];      /* for SPIs: the local address; zero for sa_id */
	unsigned int pos;       /* index in sas[], for the message and a stable order */
};

static int dup_cmp(const void *a, const void *b)
{
	const struct dup_key *x = a, *y = b;
	int c;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	c = memcmp(x->local, y->local, sizeof(x->local));
	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Report every element whose key an earlier element already has. @p spis: compare inbound
 * SPIs per local address instead of sa_ids. */
static int find_dups(struct rp_cfg *c, const struct dp_manual_sa *sas,
		     const config_setting_t *const *gs, unsigned int n, bool spis)
{
	struct dup_key *keys = calloc(n ? n : 1, sizeof(*keys));
	unsigned int m = 0;

	if (!keys)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		if (spis && sas[i].sa.dir != RP_DIR_IN)
			continue;
		keys[m].id = spis ? sas[i].sa.spi : sas[i].sa.sa_id;
		if (spis)
			memcpy(keys[m].local, sas[i].sa.local, sizeof(keys[m].local));
		keys[m++].pos = i;
	}
	qsort(keys, m, sizeof(*keys), dup_cmp);
	for (unsigned int i = 1, first = 0; i < m; i++) {
		const struct dp_manual_sa *a, *b;

		if (keys[i].id != keys[first].id ||
		    memcmp(keys[i].local, keys[first].local, sizeof(keys[i].local))) {
			first = i;
			continue;
		}
		a = &sas[keys[first].pos];
		b = &sas[keys[i].pos];
		if (spis)
			rp_cfg_error(c, at(gs[keys[i].pos], "spi"), "inbound SPI 0x%08x is already "
				     "used at line %d for the same local address", ntohl(b->sa.spi),
				     a->line);
		else
			rp_cfg_error(c, at(gs[keys[i].pos], "sa_id"), "sa_id %u is already used at "
				     "line %d", b->sa.sa_id, a->line);
	}
	free(keys);
	return 0;
}

int dp_manual_from_cfg(struct rp_cfg *c, const config_setting_t *list, struct dp_manual_sa **out,
		       unsigned int *n)
{
	int count = rp_cfg_count(list), errors = c->n_errors;
	const config_setting_t **gs;
	struct dp_manual_sa *sas;
	unsigned int k = 0;

	*out = NULL;
	*n = 0;
	if (count <= 0)
		return 0;
	sas = calloc((size_t)count, sizeof(*sas));
	gs = calloc((size_t)count, sizeof(*gs));
	if (!sas || !gs) {
		free(sas);
		free(gs);
		return -ENOMEM;
	}
	for (int i = 0; i < count; i++) {
		const config_setting_t *g = rp_cfg_elem(list, i);

		if (one_sa(c, g, &sas[k]) < 0)
			continue;
		gs[k++] = g;
	}
	if (find_dups(c, sas, gs, k, false) || find_dups(c, sas, gs, k, true)) {
		free(gs);
		dp_manual_free(sas, (unsigned int)count);
		return -ENOMEM;
	}
	free(gs);
	if (c->n_errors > errors) {
		dp_manual_free(sas, (unsigned int)count);
		return -EINVAL;
	}
	*out = sas;
	*n = k;
	return 0;
}

void dp_manual_free(struct dp_manual_sa *sas, unsigned int n)
{
	if (!sas)
		return;
	explicit_bzero(sas, n * sizeof(*sas));
	free(sas);
}
