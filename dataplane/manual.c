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

int dp_manual_from_cfg(struct rp_cfg *c, const config_setting_t *list, struct dp_manual_sa **out,
		       unsigned int *n)
{
	int count = rp_cfg_count(list), errors = c->n_errors;
	struct dp_manual_sa *sas;
	unsigned int k = 0;

	*out = NULL;
	*n = 0;
	if (count <= 0)
		return 0;
	sas = calloc((size_t)count, sizeof(*sas));
	if (!sas)
		return -ENOMEM;
	for (int i = 0; i < count; i++) {
		const config_setting_t *g = rp_cfg_elem(list, i);

		if (one_sa(c, g, &sas[k]) < 0)
			continue;
		for (unsigned int j = 0; j < k; j++) {
			if (sas[j].sa.sa_id == sas[k].sa.sa_id) {
				rp_cfg_error(c, at(g, "sa_id"), "sa_id %u is already used at line %d",
					     sas[k].sa.sa_id, sas[j].line);
				break;
			}
			if (sas[j].sa.dir == RP_DIR_IN && sas[k].sa.dir == RP_DIR_IN &&
			    sas[j].sa.spi == sas[k].sa.spi &&
			    memcmp(sas[j].sa.local, sas[k].sa.local, 16) == 0) {
				rp_cfg_error(c, at(g, "spi"), "inbound SPI 0x%08x is already used at "
					     "line %d for the same local address",
					     ntohl(sas[k].sa.spi), sas[j].line);
				break;
			}
		}
		k++;
	}
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
