/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Manual SAs field by field, shared by the configuration and rampartctl (see manual_sa.h). */
#include "common/manual_sa.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Operator names, in enum order (RP_CIPHERS / RP_INTEGS values are 0..n-1). */
const char *const rp_cipher_names[] = { "null", "aes-cbc-128", "aes-cbc-256", "aes-gcm-128",
					"aes-gcm-256", "chacha20-poly1305", NULL };
const char *const rp_integ_names[] = { "none", "hmac-sha1-96", "hmac-sha256-128",
				       "hmac-sha384-192", "hmac-sha512-256", NULL };
const char *const rp_dir_names[] = { "in", "out", NULL };

static_assert(sizeof(rp_cipher_names) / sizeof(rp_cipher_names[0]) == RP_CIPHER_MAX_ + 1,
	      "one operator name per cipher");
static_assert(sizeof(rp_integ_names) / sizeof(rp_integ_names[0]) == RP_INTEG_MAX_ + 1,
	      "one operator name per integrity algorithm");
static_assert(RP_MSA_FIELD_MAX <= 64, "field bits fit in seen");

enum kind { K_U, K_B, K_S, K_H, K_P };

static const struct field {
	const char *name;
	enum kind kind;
	uint64_t min, max;
	const char *help;
} fields[RP_MSA_FIELD_MAX] = {
#define X(f, k, mn, mx, h) [RP_MSA_##f] = { #f, K_##k, mn, mx, h },
	RP_MANUAL_SA_FIELDS(X)
#undef X
};

static int bad(int rc, char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(int rc, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool lookup(const char *const *names, const char *s, uint8_t *val)
{
	for (unsigned int i = 0; s && names[i]; i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*val = (uint8_t)i;
			return true;
		}
	}
	return false;
}

bool rp_cipher_lookup(const char *name, uint8_t *cipher)
{
	return lookup(rp_cipher_names, name, cipher);
}

bool rp_integ_lookup(const char *name, uint8_t *integ)
{
	return lookup(rp_integ_names, name, integ);
}

const char *rp_cipher_opname(uint8_t cipher)
{
	return cipher < RP_CIPHER_MAX_ ? rp_cipher_names[cipher] : "?";
}

const char *rp_integ_opname(uint8_t integ)
{
	return integ < RP_INTEG_MAX_ ? rp_integ_names[integ] : "?";
}

const char *rp_manual_sa_field_name(unsigned int field)
{
	return field < RP_MSA_FIELD_MAX ? fields[field].name : NULL;
}

const char *rp_manual_sa_field_help(unsigned int field)
{
	return field < RP_MSA_FIELD_MAX ? fields[field].help : NULL;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)tolower((unsigned char)ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

int rp_hex_decode(const char *s, uint8_t *out, size_t cap)
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

int rp_ip_parse(const char *s, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (!s)
		return 0;
	if (inet_pton(AF_INET, s, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return 6;
	return 0;
}

int rp_prefix_parse(const char *s, struct rp_prefix *p)
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
	af = rp_ip_parse(buf, p->addr);
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

const char *rp_prefix_str(const struct rp_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->af == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->plen);
	return buf;
}

void rp_manual_sa_init(struct rp_manual_sa *m)
{
	memset(m, 0, sizeof(*m));
}

void rp_manual_sa_wipe(struct rp_manual_sa *m)
{
	explicit_bzero(m, sizeof(*m));
}

bool rp_manual_sa_has(const struct rp_manual_sa *m, enum rp_manual_sa_field field)
{
	return field < RP_MSA_FIELD_MAX && (m->seen & (1ull << field));
}

static int field_index(const char *name)
{
	for (int i = 0; name && i < RP_MSA_FIELD_MAX; i++)
		if (strcmp(name, fields[i].name) == 0)
			return i;
	return -1;
}

/* Edit distance of two short words (longer ones count as far apart). */
static unsigned int distance(const char *a, const char *b)
{
	unsigned int row[32], la = (unsigned int)strlen(a), lb = (unsigned int)strlen(b);

	if (la >= 32 || lb >= 32)
		return 99;
	for (unsigned int j = 0; j <= lb; j++)
		row[j] = j;
	for (unsigned int i = 1; i <= la; i++) {
		unsigned int diag = row[0];

		row[0] = i;
		for (unsigned int j = 1; j <= lb; j++) {
			unsigned int up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			best = up + 1 < best ? up + 1 : best;
			best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* A near miss for "unknown field" messages: the closest field, if close enough. */
static const char *near_field(const char *name)
{
	unsigned int best = 3;
	const char *found = NULL;

	for (int i = 0; i < RP_MSA_FIELD_MAX; i++) {
		unsigned int d = distance(name, fields[i].name);

		if (d < best) {
			best = d;
			found = fields[i].name;
		}
	}
	return found;
}

static int set_number(struct rp_manual_sa *m, int f, const char *v, char *why, size_t len)
{
	const struct field *fd = &fields[f];
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(v, &end, 0);
	if (!*v || *end || v[0] == '-' || v[0] == '+' || isspace((unsigned char)v[0]) ||
	    (errno == ERANGE))
		return bad(-EINVAL, why, len, "%s: '%s' is not a number (decimal, or hex with 0x)",
			   fd->name, v);
	if (n < fd->min || n > fd->max)
		return bad(-EINVAL, why, len, "%s: %llu is out of range %" PRIu64 "..%" PRIu64,
			   fd->name, n, fd->min, fd->max);
	m->num[f] = n;
	return 0;
}

static int set_bool(struct rp_manual_sa *m, int f, const char *v, char *why, size_t len)
{
	static const char *const yes[] = { "true", "yes", "on", "1", NULL };
	static const char *const no[] = { "false", "no", "off", "0", NULL };

	for (int i = 0; yes[i]; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			m->num[f] = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			m->num[f] = 0;
			return 0;
		}
	}
	return bad(-EINVAL, why, len, "%s: '%s' is not true or false", fields[f].name, v);
}

static int set_prefixes(struct rp_manual_sa *m, int f, const char *v, char *why, size_t len)
{
	bool ts = f == RP_MSA_traffic_selectors;
	struct rp_prefix *out = ts ? m->ts : m->rt;
	unsigned int *n = ts ? &m->n_ts : &m->n_rt;
	unsigned int max = ts ? RP_SA_TS_MAX : RP_MANUAL_ROUTES_MAX;
	const char *p = v;

	do {
		size_t l = strcspn(p, ",");
		char one[64];

		if (l == 0 || l >= sizeof(one))
			return bad(-EINVAL, why, len, "%s: \"%.*s\" is not a prefix such as "
				   "198.51.100.0/24 or 2001:db8::/32", fields[f].name, (int)(l < 60 ? l : 60), p);
		memcpy(one, p, l);
		one[l] = '\0';
		if (*n == max)
			return bad(-E2BIG, why, len, "%s: more than %u %s", fields[f].name, max,
				   ts ? "traffic selectors" : "routes");
		if (rp_prefix_parse(one, &out[*n]) < 0)
			return bad(-EINVAL, why, len, "\"%s\" is not a prefix such as 198.51.100.0/24 "
				   "or 2001:db8::/32 (with the host bits clear)", one);
		(*n)++;
		p += l;
	} while (*p++ == ',');
	return 0;
}

int rp_manual_sa_set(struct rp_manual_sa *m, const char *field, const char *value, char *why,
		     size_t whylen)
{
	int f = field_index(field), rc;
	struct rp_msg_sa *sa = &m->sa;

	if (f < 0) {
		const char *near = field ? near_field(field) : NULL;

		return bad(-ENOENT, why, whylen, "unknown field '%s'%s%s%s", field ? field : "",
			   near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
	}
	if (!value)
		return bad(-EINVAL, why, whylen, "%s: value missing", field);
	if (fields[f].kind != K_P && (m->seen & (1ull << f)))
		return bad(-EEXIST, why, whylen, "%s given twice", field);

	switch (fields[f].kind) {
	case K_U:
		rc = set_number(m, f, value, why, whylen);
		break;
	case K_B:
		rc = set_bool(m, f, value, why, whylen);
		break;
	case K_P:
		rc = set_prefixes(m, f, value, why, whylen);
		break;
	case K_H: {
		uint8_t *out = f == RP_MSA_key ? m->key : m->auth_key;
		size_t cap = f == RP_MSA_key ? sizeof(m->key) : sizeof(m->auth_key);
		int n = rp_hex_decode(value, out, cap);

		rc = n < 0 ? bad(-EINVAL, why, whylen, "%s: not a hex string (at most %zu bytes)",
				 field, cap) : 0;
		if (f == RP_MSA_key)
			m->key_len = n;
		else
			m->auth_key_len = n;
		break;
	}
	case K_S:
	default:
		rc = 0;
		if (f == RP_MSA_direction) {
			if (!lookup(rp_dir_names, value, &sa->dir))
				rc = bad(-EINVAL, why, whylen, "direction: '%s' is not in or out",
					 value);
		} else if (f == RP_MSA_cipher) {
			if (!rp_cipher_lookup(value, &sa->cipher))
				rc = bad(-EINVAL, why, whylen, "cipher: unknown cipher '%s' (null, "
					 "aes-cbc-128, aes-cbc-256, aes-gcm-128, aes-gcm-256, "
					 "chacha20-poly1305)", value);
		} else if (f == RP_MSA_integrity) {
			if (!rp_integ_lookup(value, &sa->integ))
				rc = bad(-EINVAL, why, whylen, "integrity: unknown integrity algorithm "
					 "'%s' (none, hmac-sha1-96, hmac-sha256-128, hmac-sha384-192, "
					 "hmac-sha512-256)", value);
		} else {
			bool local = f == RP_MSA_local;
			int af = rp_ip_parse(value, local ? sa->local : sa->remote);

			if (local)
				m->local_af = af;
			else
				m->remote_af = af;
			if (!af)
				rc = bad(-EINVAL, why, whylen, "%s: '%s' is not an IPv4 or IPv6 address",
					 field, value);
		}
		break;
	}
	if (rc == 0)
		m->seen |= 1ull << f;
	return rc;
}

/* Report the first problem found: field to blame and message. */
#define FAIL(fld, ...)                                                                        \
	do {                                                                                 \
		*field = (fld);                                                              \
		rc = bad(-EINVAL, why, whylen, __VA_ARGS__);                                 \
		goto out;                                                                    \
	} while (0)

static bool has(const struct rp_manual_sa *m, int f)
{
	return m->seen & (1ull << f);
}

int rp_manual_sa_finish(struct rp_manual_sa *m, bool need_id, const char **field, char *why,
			size_t whylen)
{
	static const int required[] = { RP_MSA_direction, RP_MSA_spi, RP_MSA_cipher,
					RP_MSA_local, RP_MSA_remote };
	struct rp_msg_sa *sa = &m->sa;
	const char *cn;
	int klen, slen, alen, rc = 0;
	struct rp_msg msg;
	const char *dummy;

	if (!field)
		field = &dummy;
	*field = NULL;
	memset(&msg, 0, sizeof(msg));
	if (need_id && !has(m, RP_MSA_sa_id))
		FAIL("sa_id", "sa_id is missing");
	for (unsigned int i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!has(m, required[i]))
			FAIL(fields[required[i]].name, "%s is missing (%s)", fields[required[i]].name,
			     fields[required[i]].help);
	if (!has(m, RP_MSA_integrity))
		sa->integ = RP_INTEG_NONE;
	sa->sa_id = (uint32_t)m->num[RP_MSA_sa_id];
	sa->spi = htonl((uint32_t)m->num[RP_MSA_spi]);

	/* Keys against the algorithms. */
	cn = rp_cipher_name(sa->cipher);
	klen = rp_cipher_key_len(sa->cipher);
	slen = rp_cipher_salt_len(sa->cipher);
	alen = rp_integ_key_len(sa->integ);
	if (klen + slen == 0 && has(m, RP_MSA_key))
		FAIL("key", "%s takes no key", cn);
	if (klen + slen > 0 && !has(m, RP_MSA_key))
		FAIL("key", "%s needs key (%d bytes in hex)", cn, klen + slen);
	if (klen + slen > 0 && m->key_len != klen + slen)
		FAIL("key", "%s needs %d bytes, this is %d", cn, klen + slen, m->key_len);
	if (alen == 0 && has(m, RP_MSA_auth_key))
		FAIL("auth_key", "%s takes no auth_key", rp_integ_name(sa->integ));
	if (alen > 0 && !has(m, RP_MSA_auth_key))
		FAIL("auth_key", "%s needs auth_key (%d bytes in hex)", rp_integ_name(sa->integ),
		     alen);
	if (alen > 0 && m->auth_key_len != alen)
		FAIL("auth_key", "%s needs %d bytes, this is %d", rp_integ_name(sa->integ), alen,
		     m->auth_key_len);
	memcpy(sa->enc_key, m->key, (size_t)klen);
	memcpy(sa->salt, m->key + klen, (size_t)slen);
	memcpy(sa->auth_key, m->auth_key, (size_t)alen);
	sa->enc_key_len = (uint8_t)klen;
	sa->salt_len = (uint8_t)slen;
	sa->auth_key_len = (uint8_t)alen;

	if (m->local_af != m->remote_af)
		FAIL("remote", "local is IPv%d, remote IPv%d: one family", m->local_af,
		     m->remote_af);
	sa->outer_af = (uint8_t)m->local_af;

	if (has(m, RP_MSA_natt) && m->num[RP_MSA_natt]) {
		sa->flags |= RP_SAF_NATT;
		sa->natt_sport = has(m, RP_MSA_natt_sport) ? (uint16_t)m->num[RP_MSA_natt_sport] : 4500;
		sa->natt_dport = has(m, RP_MSA_natt_dport) ? (uint16_t)m->num[RP_MSA_natt_dport] : 4500;
	} else if (has(m, RP_MSA_natt_sport) || has(m, RP_MSA_natt_dport)) {
		FAIL(has(m, RP_MSA_natt_sport) ? "natt_sport" : "natt_dport",
		     "UDP ports without natt = true");
	}
	if (m->num[RP_MSA_esn])
		sa->flags |= RP_SAF_ESN;
	if (m->num[RP_MSA_replay_window] == 0)
		sa->flags |= RP_SAF_NO_REPLAY;
	else if (m->num[RP_MSA_replay_window] < 64 || m->num[RP_MSA_replay_window] % 64)
		FAIL("replay_window", "%" PRIu64 ": a multiple of 64 from 64 to 4096, or 0 for none",
		     m->num[RP_MSA_replay_window]);
	else
		sa->replay_window = (uint16_t)m->num[RP_MSA_replay_window];
	sa->seq_start = m->num[RP_MSA_seq_start];
	sa->tunnel_mtu = (uint16_t)m->num[RP_MSA_tunnel_mtu];
	sa->soft_bytes = m->num[RP_MSA_soft_bytes];
	sa->hard_bytes = m->num[RP_MSA_hard_bytes];
	sa->soft_packets = m->num[RP_MSA_soft_packets];
	sa->hard_packets = m->num[RP_MSA_hard_packets];
	sa->paired_sa_id = (uint32_t)m->num[RP_MSA_paired_sa_id];

	if (sa->dir == RP_DIR_IN) {
		if (m->n_ts == 0)
			FAIL(NULL, "an inbound SA needs traffic_selectors: the inner source "
			     "prefixes the peer may send from");
		if (m->n_rt > 0)
			FAIL("routes", "routes belong to outbound SAs");
		memcpy(sa->ts, m->ts, sizeof(sa->ts));
		sa->n_ts = (uint8_t)m->n_ts;
	} else if (m->n_ts) {
		memcpy(sa->ts, m->ts, sizeof(sa->ts));
		sa->n_ts = (uint8_t)m->n_ts;
	} else {
		/* Outbound: the selectors describe the peer's side, i.e. the routes. */
		for (unsigned int i = 0; i < m->n_rt && i < RP_SA_TS_MAX; i++)
			sa->ts[sa->n_ts++] = m->rt[i];
		if (!sa->n_ts) {
			memset(&sa->ts[0], 0, sizeof(sa->ts[0]));
			sa->ts[0].af = 4; /* 0.0.0.0/0 */
			sa->n_ts = 1;
		}
	}
	for (unsigned int i = 0; i < m->n_rt; i++) {
		m->routes[i].prefix = m->rt[i];
		m->routes[i].sa_id = sa->sa_id;
	}
	m->n_routes = m->n_rt;

	/* The same check as an SA_ADD from rampartd (a placeholder id until one is given). */
	msg.hdr.version = RP_MSG_VERSION;
	msg.hdr.type = RP_MSG_SA_ADD;
	msg.hdr.len = sizeof(*sa);
	msg.hdr.seq = 1;
	msg.u.sa = *sa;
	if (!msg.u.sa.sa_id)
		msg.u.sa.sa_id = msg.u.sa.paired_sa_id != RP_SA_ID_CLI_LAST ? RP_SA_ID_CLI_LAST
									      : RP_SA_ID_CLI_FIRST;
	if (rp_msg_validate(&msg, true, why, whylen) < 0) {
		*field = NULL;
		rc = -EINVAL;
		goto out;
	}
	for (unsigned int i = 0; i < m->n_routes; i++) {
		msg.hdr.type = RP_MSG_ROUTE_ADD;
		msg.hdr.len = sizeof(m->routes[i]);
		memset(&msg.u, 0, sizeof(msg.u));
		msg.u.route = m->routes[i];
		msg.u.route.sa_id = 1;
		if (rp_msg_validate(&msg, true, why, whylen) < 0) {
			*field = "routes";
			rc = -EINVAL;
			goto out;
		}
	}
out:
	explicit_bzero(&msg, sizeof(msg));
	return rc;
}

void rp_manual_sa_set_id(struct rp_manual_sa *m, uint32_t sa_id)
{
	m->sa.sa_id = sa_id;
	m->num[RP_MSA_sa_id] = sa_id;
	m->seen |= 1ull << RP_MSA_sa_id;
	for (unsigned int i = 0; i < m->n_routes; i++)
		m->routes[i].sa_id = sa_id;
}
