/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Manual SAs: configuration -> SA_ADD / ROUTE_ADD payloads. No DPDK here (unit-tested). */
#include "dataplane/manual.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dataplane/dp_config.h"

static const struct {
	const char *name;
	uint8_t val;
} cipher_names[] = {
	{ "null", RP_CIPHER_NULL },
	{ "aes-cbc-128", RP_CIPHER_AES_CBC_128 },
	{ "aes-cbc-256", RP_CIPHER_AES_CBC_256 },
	{ "aes-gcm-128", RP_CIPHER_AES_GCM_128 },
	{ "aes-gcm-256", RP_CIPHER_AES_GCM_256 },
	{ "chacha20-poly1305", RP_CIPHER_CHACHA20_POLY1305 },
}, integ_names[] = {
	{ "none", RP_INTEG_NONE },
	{ "hmac-sha1-96", RP_INTEG_HMAC_SHA1_96 },
	{ "hmac-sha256-128", RP_INTEG_HMAC_SHA256_128 },
	{ "hmac-sha384-192", RP_INTEG_HMAC_SHA384_192 },
	{ "hmac-sha512-256", RP_INTEG_HMAC_SHA512_256 },
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const config_setting_t *at(const config_setting_t *g, const char *name)
{
	const config_setting_t *s = rp_cfg_get(g, name);

	return s ? s : g;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)tolower((unsigned char)ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Hex with optional 0x and ':' separators. Returns the byte count, or -1. */
static int hex_decode(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (*s) {
		int hi, lo;

		if (*s == ':') {
			s++;
			continue;
		}
		hi = hexval(s[0]);
		lo = hi >= 0 && s[1] ? hexval(s[1]) : -1;
		if (lo < 0 || n == cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return (int)n;
}

int dp_prefix_parse(const char *s, struct rp_prefix *p)
{
	char buf[64];
	const char *slash;
	unsigned int plen, max, bits;
	char *end;
	int af;

	memset(p, 0, sizeof(*p));
	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(s, '/');
	if (slash)
		buf[slash - s] = '\0';
	af = dp_ip_parse(buf, p->addr);
	if (!af)
		return -EINVAL;
	max = af == 4 ? 32 : 128;
	plen = max;
	if (slash) {
		if (!isdigit((unsigned char)slash[1]))
			return -EINVAL;
		plen = (unsigned int)strtoul(slash + 1, &end, 10);
		if (*end || plen > max)
			return -EINVAL;
	}
	/* Host bits must be clear: a prefix written with them is usually a typo. */
	for (unsigned int i = 0; i < 16; i++) {
		bits = plen > 8 * i ? plen - 8 * i : 0;
		if (bits < 8 && (p->addr[i] & (uint8_t)(0xff >> bits)))
			return -EINVAL;
	}
	p->af = (uint8_t)af;
	p->plen = (uint8_t)plen;
	return 0;
}

const char *dp_prefix_str(const struct rp_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->af == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->plen);
	return buf;
}

static bool name_lookup(const char *s, bool cipher, uint8_t *val)
{
	size_t n = cipher ? N_OF(cipher_names) : N_OF(integ_names);

	for (size_t i = 0; s && i < n; i++) {
		const char *name = cipher ? cipher_names[i].name : integ_names[i].name;

		if (strcasecmp(s, name) == 0) {
			*val = cipher ? cipher_names[i].val : integ_names[i].val;
			return true;
		}
	}
	return false;
}

/* A STRINGS setting (or lone string) into prefixes; returns the count or -1 (reported). */
static int prefixes(struct rp_cfg *c, const config_setting_t *s, struct rp_prefix *out,
		    unsigned int max, const char *what)
{
	int n;

	if (!s)
		return 0;
	n = config_setting_is_scalar(s) ? 1 : rp_cfg_count(s);
	if ((unsigned int)n > max) {
		rp_cfg_error(c, s, "%d %s; at most %u", n, what, max);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_is_scalar(s) ? s : rp_cfg_elem(s, i);
		const char *v = config_setting_get_string(e);

		if (dp_prefix_parse(v, &out[i]) < 0) {
			rp_cfg_error(c, e, "\"%s\" is not a prefix such as 198.51.100.0/24 or "
				     "2001:db8::/32 (with the host bits clear)", v ? v : "");
			return -1;
		}
	}
	return n;
}

/* A 32-bit unsigned setting; the schema checked its range (hex up to 0xffffffff included). */
static uint32_t u32_field(const config_setting_t *g, const char *name)
{
	return (uint32_t)rp_cfg_int(g, name, 0);
}

static bool key_field(struct rp_cfg *c, const config_setting_t *g, const char *name,
		      uint8_t *out, size_t want, const char *what)
{
	const char *s = rp_cfg_str(g, name, NULL);
	uint8_t buf[128];
	int n;

	if (!want) {
		if (s)
			rp_cfg_error(c, at(g, name), "%s takes no %s", what, name);
		return !s;
	}
	if (!s) {
		rp_cfg_error(c, g, "%s needs %s (%zu bytes in hex)", what, name, want);
		return false;
	}
	n = hex_decode(s, buf, sizeof(buf));
	if (n != (int)want) {
		if (n < 0)
			rp_cfg_error(c, at(g, name), "not a hex string");
		else
			rp_cfg_error(c, at(g, name), "%s needs %zu bytes, this is %d", what, want, n);
		explicit_bzero(buf, sizeof(buf));
		return false;
	}
	memcpy(out, buf, want);
	explicit_bzero(buf, sizeof(buf));
	return true;
}

static int one_sa(struct rp_cfg *c, const config_setting_t *g, struct dp_manual_sa *m)
{
	struct rp_msg_sa *sa = &m->sa;
	const char *dir = rp_cfg_str(g, "direction", "in");
	uint8_t key[RP_KEY_MAX + RP_SALT_MAX];
	struct rp_prefix routes[DP_MANUAL_ROUTES_MAX];
	int errors = c->n_errors, klen, slen, alen, af_l, af_r, nts, nr;
	long long win;
	struct rp_msg msg;
	char what[48], why[160];

	memset(m, 0, sizeof(*m));
	m->line = config_setting_source_line(g);
	snprintf(m->source, sizeof(m->source), "%s",
		 config_setting_source_file(g) ? config_setting_source_file(g) : c->source);
	sa->sa_id = u32_field(g, "sa_id");
	sa->spi = htonl(u32_field(g, "spi"));
	sa->dir = strcmp(dir, "out") == 0 ? RP_DIR_OUT : RP_DIR_IN;
	snprintf(what, sizeof(what), "SA %u", sa->sa_id);

	if (!name_lookup(rp_cfg_str(g, "cipher", NULL), true, &sa->cipher))
		rp_cfg_error(c, at(g, "cipher"), "unknown cipher");
	if (!name_lookup(rp_cfg_str(g, "integrity", "none"), false, &sa->integ))
		rp_cfg_error(c, at(g, "integrity"), "unknown integrity algorithm");
	if (c->n_errors > errors)
		return -EINVAL;
	klen = rp_cipher_key_len(sa->cipher);
	slen = rp_cipher_salt_len(sa->cipher);
	alen = rp_integ_key_len(sa->integ);
	if (key_field(c, g, "key", key, (size_t)(klen + slen), rp_cipher_name(sa->cipher))) {
		memcpy(sa->enc_key, key, (size_t)klen);
		memcpy(sa->salt, key + klen, (size_t)slen);
	}
	explicit_bzero(key, sizeof(key));
	key_field(c, g, "auth_key", sa->auth_key, (size_t)alen, rp_integ_name(sa->integ));
	sa->enc_key_len = (uint8_t)klen;
	sa->salt_len = (uint8_t)slen;
	sa->auth_key_len = (uint8_t)alen;

	af_l = dp_ip_parse(rp_cfg_str(g, "local", NULL), sa->local);
	af_r = dp_ip_parse(rp_cfg_str(g, "remote", NULL), sa->remote);
	if (!af_l)
		rp_cfg_error(c, at(g, "local"), "not an IPv4 or IPv6 address");
	if (!af_r)
		rp_cfg_error(c, at(g, "remote"), "not an IPv4 or IPv6 address");
	if (af_l && af_r && af_l != af_r)
		rp_cfg_error(c, at(g, "remote"), "local is IPv%d, remote IPv%d: one family", af_l,
			     af_r);
	sa->outer_af = (uint8_t)af_l;

	if (rp_cfg_bool(g, "natt", false)) {
		sa->flags |= RP_SAF_NATT;
		sa->natt_sport = (uint16_t)rp_cfg_int(g, "natt_sport", 4500);
		sa->natt_dport = (uint16_t)rp_cfg_int(g, "natt_dport", 4500);
	} else if (rp_cfg_get(g, "natt_sport") || rp_cfg_get(g, "natt_dport")) {
		rp_cfg_error(c, at(g, rp_cfg_get(g, "natt_sport") ? "natt_sport" : "natt_dport"),
			     "UDP ports without natt = true");
	}
	if (rp_cfg_bool(g, "esn", false))
		sa->flags |= RP_SAF_ESN;
	win = rp_cfg_int(g, "replay_window", 0);
	if (win == 0)
		sa->flags |= RP_SAF_NO_REPLAY;
	else if (win < 64 || win % 64)
		rp_cfg_error(c, at(g, "replay_window"), "%lld: a multiple of 64 from 64 to 4096, or "
			     "0 for none", win);
	else
		sa->replay_window = (uint16_t)win;
	sa->seq_start = (uint64_t)rp_cfg_int(g, "seq_start", 0);
	sa->tunnel_mtu = (uint16_t)rp_cfg_int(g, "tunnel_mtu", 0);
	sa->soft_bytes = (uint64_t)rp_cfg_int(g, "soft_bytes", 0);
	sa->hard_bytes = (uint64_t)rp_cfg_int(g, "hard_bytes", 0);
	sa->soft_packets = (uint64_t)rp_cfg_int(g, "soft_packets", 0);
	sa->hard_packets = (uint64_t)rp_cfg_int(g, "hard_packets", 0);
	sa->paired_sa_id = u32_field(g, "paired_sa_id");

	nts = prefixes(c, rp_cfg_get(g, "traffic_selectors"), sa->ts, RP_SA_TS_MAX,
		       "traffic selectors");
	nr = prefixes(c, rp_cfg_get(g, "routes"), routes, DP_MANUAL_ROUTES_MAX, "routes");
	if (sa->dir == RP_DIR_IN) {
		if (nts == 0)
			rp_cfg_error(c, g, "an inbound SA needs traffic_selectors: the inner source "
				     "prefixes the peer may send from");
		if (nr > 0)
			rp_cfg_error(c, at(g, "routes"), "routes belong to outbound SAs");
	} else if (nts == 0 && nr >= 0) {
		/* Outbound: the selectors describe the peer's side, i.e. the routes. */
		for (int i = 0; i < nr && i < RP_SA_TS_MAX; i++)
			sa->ts[nts++] = routes[i];
		if (!nts) {
			sa->ts[0].af = 4; /* 0.0.0.0/0 */
			nts = 1;
		}
	}
	sa->n_ts = (uint8_t)(nts > 0 ? nts : 0);
	for (int i = 0; i < nr; i++) {
		m->routes[i].prefix = routes[i];
		m->routes[i].sa_id = sa->sa_id;
	}
	m->n_routes = nr > 0 ? (unsigned int)nr : 0;
	if (c->n_errors > errors)
		return -EINVAL;

	/* The same check as an SA_ADD from rampartd. */
	memset(&msg, 0, sizeof(msg));
	msg.hdr.version = RP_MSG_VERSION;
	msg.hdr.type = RP_MSG_SA_ADD;
	msg.hdr.len = sizeof(*sa);
	msg.hdr.seq = 1;
	msg.u.sa = *sa;
	if (rp_msg_validate(&msg, true, why, sizeof(why)) < 0)
		rp_cfg_error(c, g, "%s", why);
	for (unsigned int i = 0; i < m->n_routes && c->n_errors == errors; i++) {
		msg.hdr.type = RP_MSG_ROUTE_ADD;
		msg.hdr.len = sizeof(m->routes[i]);
		memset(&msg.u, 0, sizeof(msg.u));
		msg.u.route = m->routes[i];
		if (rp_msg_validate(&msg, true, why, sizeof(why)) < 0)
			rp_cfg_error(c, at(g, "routes"), "%s", why);
	}
	explicit_bzero(&msg, sizeof(msg));
	return c->n_errors > errors ? -EINVAL : 0;
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
