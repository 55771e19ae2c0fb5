/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The "aaa" section: cross-references and conversion into RADIUS client settings. */
#include "controlplane/aaa/aaa_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "controlplane/aaa/local_users.h"

static const config_setting_t *aaa_root(const struct rp_cfg *c)
{
	return rp_cfg_get(rp_cfg_root(c), "aaa");
}

static bool parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

/* Element of list @p l whose "name" is @p name. */
static const config_setting_t *by_name(const config_setting_t *l, const char *name)
{
	for (int i = 0; i < rp_cfg_count(l); i++) {
		const config_setting_t *e = rp_cfg_elem(l, i);
		const char *n = rp_cfg_str(e, "name", NULL);

		if (n && !strcmp(n, name))
			return e;
	}
	return NULL;
}

static void check_unique(struct rp_cfg *c, const config_setting_t *l, const char *what)
{
	for (int i = 0; i < rp_cfg_count(l); i++) {
		const config_setting_t *e = rp_cfg_elem(l, i);
		const char *n = rp_cfg_str(e, "name", "");

		if (by_name(l, n) != e)
			rp_cfg_error(c, rp_cfg_get(e, "name"), "%s \"%s\" is defined twice", what, n);
	}
}

/* A method word: "local", or "group NAME". */
static int parse_method(const char *s, struct aaa_method *m)
{
	memset(m, 0, sizeof(*m));
	if (!strcmp(s, "local")) {
		m->kind = AAA_M_LOCAL;
		return 0;
	}
	if (strncmp(s, "group ", 6) || !s[6] || strlen(s + 6) >= sizeof(m->group))
		return -EINVAL;
	m->kind = AAA_M_GROUP;
	snprintf(m->group, sizeof(m->group), "%s", s + 6);
	return 0;
}

/* Array elements, accepting a lone string for a one-element array (as the schema does). */
static int n_strings(const config_setting_t *s)
{
	if (!s)
		return 0;
	return config_setting_type(s) == CONFIG_TYPE_STRING ? 1 : config_setting_length(s);
}

static const config_setting_t *string_at(const config_setting_t *s, int i)
{
	return config_setting_type(s) == CONFIG_TYPE_STRING ? s
							    : config_setting_get_elem(s, (unsigned)i);
}

/* aaa.dynamic_author: addresses that parse, of the listen address's family, not twice. */
static void check_dae(struct rp_cfg *c, const config_setting_t *d)
{
	const config_setting_t *cl = rp_cfg_get(d, "clients");
	struct sockaddr_storage la, ca, cb;
	const char *l;

	if (!d)
		return;
	l = rp_cfg_str(d, "address", "0.0.0.0");
	if (!parse_addr(l, &la))
		rp_cfg_error(c, rp_cfg_get(d, "address"), "not an IPv4 or IPv6 address");
	if (!rp_cfg_count(cl))
		rp_cfg_error(c, cl ? cl : d, "at least one client is needed");
	for (int i = 0; i < rp_cfg_count(cl); i++) {
		const config_setting_t *e = rp_cfg_elem(cl, i);
		const char *a = rp_cfg_str(e, "address", "");

		if (!parse_addr(a, &ca)) {
			rp_cfg_error(c, rp_cfg_get(e, "address"), "not an IPv4 or IPv6 address");
			continue;
		}
		if (parse_addr(l, &la) && la.ss_family != ca.ss_family)
			rp_cfg_error(c, rp_cfg_get(e, "address"), "client %s cannot reach a listener "
				     "on %s (another address family)", a, l);
		for (int k = 0; k < i; k++)
			if (parse_addr(rp_cfg_str(rp_cfg_elem(cl, k), "address", ""), &cb) &&
			    cb.ss_family == ca.ss_family &&
			    !memcmp(&cb, &ca, sizeof(cb)))
				rp_cfg_error(c, rp_cfg_get(e, "address"), "client %s is listed twice", a);
	}
}

int aaa_conf_dae(const struct rp_cfg *c, struct dae_cfg *out)
{
	const config_setting_t *d = rp_cfg_get(aaa_root(c), "dynamic_author");
	const config_setting_t *cl = rp_cfg_get(d, "clients");

	memset(out, 0, sizeof(*out));
	if (!d)
		return -ENOENT;
	if (!parse_addr(rp_cfg_str(d, "address", "0.0.0.0"), &out->listen))
		return -EINVAL;
	if (out->listen.ss_family == AF_INET)
		((struct sockaddr_in *)&out->listen)->sin_port =
			htons((uint16_t)rp_cfg_int(d, "port", DAE_PORT));
	else
		((struct sockaddr_in6 *)&out->listen)->sin6_port =
			htons((uint16_t)rp_cfg_int(d, "port", DAE_PORT));
	out->ts_window_s = (unsigned)rp_cfg_int(d, "event_timestamp_window", DAE_TS_WINDOW_DEFAULT);
	out->require_ts = rp_cfg_bool(d, "require_event_timestamp", false);
	for (int i = 0; i < rp_cfg_count(cl) && out->n_clients < DAE_CLIENTS_MAX; i++) {
		const config_setting_t *e = rp_cfg_elem(cl, i);
		struct dae_client *k = &out->client[out->n_clients];
		const char *key = rp_cfg_str(e, "key", "");

		if (!parse_addr(rp_cfg_str(e, "address", ""), &k->addr))
			return -EINVAL;
		k->secret_len = strlen(key);
		if (!k->secret_len || k->secret_len > sizeof(k->secret))
			return -EINVAL;
		memcpy(k->secret, key, k->secret_len);
		out->n_clients++;
	}
	return out->n_clients ? 0 : -EINVAL;
}

int aaa_conf_acct_list(const struct rp_cfg *c, const char *name, bool *stop_only,
		       unsigned *interim_s)
{
	const config_setting_t *l = by_name(rp_cfg_get(aaa_root(c), "accounting"), name);

	if (!l)
		return -ENOENT;
	*stop_only = !strcmp(rp_cfg_str(l, "mode", "start-stop"), "stop-only");
	*interim_s = (unsigned)rp_cfg_int(l, "interim_interval", 0);
	return 0;
}

int aaa_conf_check(struct rp_cfg *c)
{
	static const char *const kinds[] = { "authentication", "authorization", "accounting" };
	const config_setting_t *aaa = aaa_root(c), *rad, *servers, *groups;
	int before = c->n_errors;
	struct sockaddr_storage ss;

	if (!aaa)
		return 0;
	rad = rp_cfg_get(aaa, "radius");
	servers = rp_cfg_get(rad, "servers");
	groups = rp_cfg_get(rad, "groups");
	check_unique(c, servers, "RADIUS server");
	check_unique(c, groups, "RADIUS group");
	for (int i = 0; i < rp_cfg_count(servers); i++) {
		const config_setting_t *s = rp_cfg_elem(servers, i);

		if (!parse_addr(rp_cfg_str(s, "address", ""), &ss))
			rp_cfg_error(c, rp_cfg_get(s, "address"), "not an IPv4 or IPv6 address");
	}
	for (int i = 0; i < rp_cfg_count(groups); i++) {
		const config_setting_t *g = rp_cfg_elem(groups, i), *l = rp_cfg_get(g, "servers");
		const char *src = rp_cfg_str(g, "source", NULL);
		struct sockaddr_storage srcss;

		if (src && !parse_addr(src, &srcss))
			rp_cfg_error(c, rp_cfg_get(g, "source"), "not an IPv4 or IPv6 address");
		if (n_strings(l) > (int)RADIUS_GROUP_MAX_SERVERS)
			rp_cfg_error(c, l, "at most %u servers per group", RADIUS_GROUP_MAX_SERVERS);
		for (int k = 0; k < n_strings(l); k++) {
			const config_setting_t *e = string_at(l, k);
			const char *n = config_setting_get_string(e);
			const config_setting_t *s = by_name(servers, n);

			if (!s) {
				rp_cfg_error(c, e, "no RADIUS server named \"%s\"", n);
				continue;
			}
			if (src && parse_addr(src, &srcss) &&
			    parse_addr(rp_cfg_str(s, "address", ""), &ss) &&
			    ss.ss_family != srcss.ss_family)
				rp_cfg_error(c, e, "server \"%s\" and the group's source are not of "
						   "the same address family", n);
		}
	}
	for (unsigned kk = 0; kk < 3; kk++) {
		const config_setting_t *lists = rp_cfg_get(aaa, kinds[kk]);

		check_unique(c, lists, "method list");
		for (int i = 0; i < rp_cfg_count(lists); i++) {
			const config_setting_t *l = rp_cfg_elem(lists, i), *ms = rp_cfg_get(l, "methods");

			if (n_strings(ms) > (int)AAA_MAX_METHODS)
				rp_cfg_error(c, ms, "at most %u methods", AAA_MAX_METHODS);
			for (int k = 0; k < n_strings(ms); k++) {
				const config_setting_t *e = string_at(ms, k);
				struct aaa_method m;

				if (parse_method(config_setting_get_string(e), &m))
					rp_cfg_error(c, e, "\"%s\": use \"group NAME\" or \"local\"",
						     config_setting_get_string(e));
				else if (m.kind == AAA_M_GROUP && !by_name(groups, m.group))
					rp_cfg_error(c, e, "no RADIUS group named \"%s\"", m.group);
				else if (m.kind == AAA_M_LOCAL && kk == 2)
					rp_cfg_error(c, e, "accounting has no local method");
				else if (m.kind == AAA_M_LOCAL && kk == 0 &&
					 !strcmp(rp_cfg_str(l, "type", ""), "eap") &&
					 !local_users_configured(c))
					rp_cfg_error(c, e, "EAP method local needs local users "
						     "(aaa.local_users or aaa.local_users_file)");
			}
		}
	}
	check_dae(c, rp_cfg_get(aaa, "dynamic_author"));
	local_users_load(c, NULL);
	return c->n_errors > before ? -EINVAL : 0;
}

int aaa_conf_radius_group(const struct rp_cfg *c, const char *name,
			  struct radius_group_cfg *out)
{
	const config_setting_t *rad = rp_cfg_get(aaa_root(c), "radius");
	const config_setting_t *g = by_name(rp_cfg_get(rad, "groups"), name), *l;
	const char *src;

	if (!g)
		return -ENOENT;
	radius_group_cfg_init(out);
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->dead_after = (unsigned)rp_cfg_int(g, "dead_tries", out->dead_after);
	out->dead_time_s = (unsigned)rp_cfg_int(g, "dead_time", out->dead_time_s);
	out->require_ma = rp_cfg_bool(g, "require_message_authenticator", true);
	src = rp_cfg_str(g, "source", NULL);
	if (src && !parse_addr(src, &out->source))
		return -EINVAL;
	l = rp_cfg_get(g, "servers");
	for (int k = 0; k < n_strings(l); k++) {
		const char *n = config_setting_get_string(string_at(l, k));
		const config_setting_t *s = by_name(rp_cfg_get(rad, "servers"), n);
		struct radius_server_cfg *sc;
		const char *key;

		if (!s || out->n_servers >= RADIUS_GROUP_MAX_SERVERS)
			return -EINVAL;
		sc = &out->server[out->n_servers++];
		radius_server_cfg_init(sc);
		snprintf(sc->name, sizeof(sc->name), "%s", n);
		if (!parse_addr(rp_cfg_str(s, "address", ""), &sc->addr))
			return -EINVAL;
		sc->auth_port = (uint16_t)rp_cfg_int(s, "auth_port", sc->auth_port);
		sc->acct_port = (uint16_t)rp_cfg_int(s, "acct_port", sc->acct_port);
		sc->timeout_ms = (unsigned)rp_cfg_int(s, "timeout_ms", sc->timeout_ms);
		sc->retransmits = (unsigned)rp_cfg_int(s, "retransmit", sc->retransmits);
		key = rp_cfg_str(s, "key", "");
		sc->secret_len = strlen(key);
		if (!sc->secret_len || sc->secret_len > sizeof(sc->secret))
			return -EINVAL;
		memcpy(sc->secret, key, sc->secret_len);
	}
	return out->n_servers ? 0 : -EINVAL;
}

int aaa_conf_methods(const struct rp_cfg *c, const char *kind, const char *name,
		     struct aaa_method *m, unsigned max)
{
	const config_setting_t *l = by_name(rp_cfg_get(aaa_root(c), kind), name), *ms;
	unsigned n = 0;

	if (!l)
		return -ENOENT;
	ms = rp_cfg_get(l, "methods");
	for (int k = 0; k < n_strings(ms) && n < max; k++)
		if (parse_method(config_setting_get_string(string_at(ms, k)), &m[n++]))
			return -EINVAL;
	return (int)n;
}
