/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Control-channel messages: names, sizes and complete validation.
 *
 * Everything here is derived from the X-macro lists in msg.h, so adding a type or an
 * algorithm there is enough for names, payload sizes and key-length checks to follow.
 */
#include "common/msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define MSG_DIR_CMD true
#define MSG_DIR_EVT false

struct msg_type_info {
	const char *name; /* NULL: no such type */
	uint16_t len;
	bool command;
};

static const struct msg_type_info msg_types[] = {
#define X(n, v, t, d) [v] = { #n, sizeof(t), MSG_DIR_##d },
	RP_MSG_TYPES(X)
#undef X
};

/* Every payload must fit a slot; checked here once for the whole list. */
#define X(n, v, t, d) static_assert(sizeof(t) <= RP_MSG_PAYLOAD_MAX, #n " payload fits a slot");
RP_MSG_TYPES(X)
#undef X

struct msg_alg {
	const char *name;
	int key_len;
	int extra; /* cipher: salt length, integrity: ICV length */
};

static const struct msg_alg msg_ciphers[] = {
#define X(n, v, k, s) [v] = { #n, k, s },
	RP_CIPHERS(X)
#undef X
};

static const struct msg_alg msg_integs[] = {
#define X(n, v, k, i) [v] = { #n, k, i },
	RP_INTEGS(X)
#undef X
};

static const struct msg_type_info *type_info(uint16_t type)
{
	if (type >= ARRAY_SIZE(msg_types) || !msg_types[type].name)
		return NULL;
	return &msg_types[type];
}

static const struct msg_alg *cipher_info(uint8_t c)
{
	if (c >= ARRAY_SIZE(msg_ciphers) || !msg_ciphers[c].name)
		return NULL;
	return &msg_ciphers[c];
}

static const struct msg_alg *integ_info(uint8_t i)
{
	if (i >= ARRAY_SIZE(msg_integs) || !msg_integs[i].name)
		return NULL;
	return &msg_integs[i];
}

const char *rp_msg_type_name(uint16_t type)
{
	const struct msg_type_info *ti = type_info(type);

	return ti ? ti->name : "unknown";
}

int rp_msg_payload_len(uint16_t type)
{
	const struct msg_type_info *ti = type_info(type);

	return ti ? ti->len : -1;
}

bool rp_msg_is_command(uint16_t type)
{
	const struct msg_type_info *ti = type_info(type);

	return ti && ti->command;
}

int rp_cipher_key_len(uint8_t cipher)
{
	const struct msg_alg *a = cipher_info(cipher);

	return a ? a->key_len : -1;
}

int rp_cipher_salt_len(uint8_t cipher)
{
	const struct msg_alg *a = cipher_info(cipher);

	return a ? a->extra : -1;
}

int rp_integ_key_len(uint8_t integ)
{
	const struct msg_alg *a = integ_info(integ);

	return a ? a->key_len : -1;
}

int rp_integ_icv_len(uint8_t integ)
{
	const struct msg_alg *a = integ_info(integ);

	return a ? a->extra : -1;
}

const char *rp_cipher_name(uint8_t cipher)
{
	const struct msg_alg *a = cipher_info(cipher);

	return a ? a->name : "unknown";
}

const char *rp_integ_name(uint8_t integ)
{
	const struct msg_alg *a = integ_info(integ);

	return a ? a->name : "unknown";
}

static inline uint64_t rotl64(uint64_t x, unsigned int r)
{
	return (x << r) | (x >> (64 - r));
}

/* splitmix64 finaliser: every input bit affects every output bit, so a slot torn between
 * two messages (key of one, value or check of another) is caught with near certainty. */
uint64_t rp_msg_kv_check(uint64_t key, uint64_t value)
{
	uint64_t z = key ^ rotl64(value, 29);

	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- validation -------------------------------------------------------------------------- */

static int bad(int rc, char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(int rc, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool str_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static const char *addr_str(const uint8_t *addr, uint8_t af, char *buf, size_t len)
{
	if (!inet_ntop(af == 4 ? AF_INET : AF_INET6, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* Checks one prefix; on failure writes "<what>: <problem>" to why. */
static int check_prefix(const struct rp_prefix *p, const char *tn, const char *what, char *why,
			size_t whylen)
{
	char a[INET6_ADDRSTRLEN];
	unsigned int max, i;

	if (p->af != 4 && p->af != 6)
		return bad(-EBADMSG, why, whylen, "%s: %s has address family %u, expected 4 or 6",
			   tn, what, p->af);
	max = p->af == 4 ? 32 : 128;
	if (p->plen > max)
		return bad(-EBADMSG, why, whylen, "%s: %s has prefix length %u, IPv%u allows 0..%u",
			   tn, what, p->plen, p->af, max);
	/* Host bits must be zero (so that equal prefixes compare equal), and for IPv4 the
	 * unused bytes 4..15 too; both are "bits beyond plen" over all 128 bits. */
	for (i = 0; i < 16; i++) {
		unsigned int first = i * 8;
		uint8_t mask;

		if (first + 8 <= p->plen)
			continue;
		mask = first >= p->plen ? 0xff : (uint8_t)(0xff >> (p->plen - first));
		if (p->addr[i] & mask) {
			if (p->af == 4 && i >= 4)
				return bad(-EBADMSG, why, whylen,
					   "%s: %s is IPv4 but address bytes 4..15 are not zero",
					   tn, what);
			return bad(-EBADMSG, why, whylen, "%s: %s %s/%u has host bits set", tn, what,
				   addr_str(p->addr, p->af, a, sizeof(a)), p->plen);
		}
	}
	return 0;
}

static int check_outer_addr(const uint8_t *addr, uint8_t af, const char *tn, const char *what,
			    char *why, size_t whylen)
{
	static const uint8_t zero[16];

	if (af == 4 && memcmp(addr + 4, zero, 12))
		return bad(-EBADMSG, why, whylen,
			   "%s: %s address is IPv4 but bytes 4..15 are not zero", tn, what);
	return 0;
}

static int check_limit(uint64_t soft, uint64_t hard, const char *tn, const char *unit, char *why,
		       size_t whylen)
{
	if (soft && hard && soft > hard)
		return bad(-EBADMSG, why, whylen,
			   "%s: soft %s limit %llu is above the hard limit %llu", tn, unit,
			   (unsigned long long)soft, (unsigned long long)hard);
	return 0;
}

static int validate_sa(const struct rp_msg_sa *sa, const char *tn, char *why, size_t whylen)
{
	const unsigned int known_flags = RP_SAF_ESN | RP_SAF_NATT | RP_SAF_NO_REPLAY;
	const struct msg_alg *c, *in;
	char what[32];
	unsigned int i;
	bool aead;
	int rc;

	if (sa->sa_id == 0)
		return bad(-EBADMSG, why, whylen, "%s: sa_id 0 is reserved", tn);
	if (sa->paired_sa_id == sa->sa_id)
		return bad(-EBADMSG, why, whylen, "%s: SA %u is paired with itself", tn, sa->sa_id);
	/* RFC 4303 section 2.1: SPI 0 is reserved for local use, 1..255 by IANA. */
	if (ntohl(sa->spi) < 256)
		return bad(-EBADMSG, why, whylen, "%s: SPI %u is reserved (RFC 4303: 0..255)", tn,
			   ntohl(sa->spi));
	if (sa->dir != RP_DIR_IN && sa->dir != RP_DIR_OUT)
		return bad(-EBADMSG, why, whylen, "%s: direction %u, expected 0 (in) or 1 (out)", tn,
			   sa->dir);
	if (sa->outer_af != 4 && sa->outer_af != 6)
		return bad(-EBADMSG, why, whylen, "%s: outer address family %u, expected 4 or 6", tn,
			   sa->outer_af);
	rc = check_outer_addr(sa->local, sa->outer_af, tn, "local", why, whylen);
	if (!rc)
		rc = check_outer_addr(sa->remote, sa->outer_af, tn, "remote", why, whylen);
	if (rc)
		return rc;

	c = cipher_info(sa->cipher);
	if (!c)
		return bad(-EBADMSG, why, whylen, "%s: unknown cipher %u", tn, sa->cipher);
	in = integ_info(sa->integ);
	if (!in)
		return bad(-EBADMSG, why, whylen, "%s: unknown integrity algorithm %u", tn,
			   sa->integ);
	/* AEAD ciphers are the ones with a salt (RFC 4106, RFC 7634). The NULL cipher is
	 * accepted with any integrity algorithm, NONE included (RFC 4303 forbids NULL+NONE on
	 * the wire; IKE never negotiates it, and tests use it for plaintext ESP framing). */
	aead = c->extra > 0;
	if (aead && sa->integ != RP_INTEG_NONE)
		return bad(-EBADMSG, why, whylen,
			   "%s: AEAD cipher %s takes no integrity algorithm, got %s", tn, c->name,
			   in->name);
	if (!aead && sa->cipher != RP_CIPHER_NULL && sa->integ == RP_INTEG_NONE)
		return bad(-EBADMSG, why, whylen,
			   "%s: cipher %s needs an integrity algorithm, got NONE", tn, c->name);
	if (sa->enc_key_len != c->key_len)
		return bad(-EBADMSG, why, whylen, "%s: cipher %s needs a %d-byte key, got %u", tn,
			   c->name, c->key_len, sa->enc_key_len);
	if (sa->salt_len != c->extra)
		return bad(-EBADMSG, why, whylen, "%s: cipher %s needs a %d-byte salt, got %u", tn,
			   c->name, c->extra, sa->salt_len);
	if (sa->auth_key_len != in->key_len)
		return bad(-EBADMSG, why, whylen,
			   "%s: integrity algorithm %s needs a %d-byte key, got %u", tn, in->name,
			   in->key_len, sa->auth_key_len);

	if (sa->flags & ~known_flags)
		return bad(-EBADMSG, why, whylen, "%s: unknown SA flag bits 0x%x", tn,
			   sa->flags & ~known_flags);
	if ((sa->flags & RP_SAF_NATT) && (!sa->natt_sport || !sa->natt_dport))
		return bad(-EBADMSG, why, whylen,
			   "%s: NAT-T needs both UDP ports, got source %u destination %u", tn,
			   sa->natt_sport, sa->natt_dport);
	if (!(sa->flags & RP_SAF_NO_REPLAY) &&
	    (sa->replay_window < 64 || sa->replay_window > 4096 || sa->replay_window % 64))
		return bad(-EBADMSG, why, whylen,
			   "%s: replay window %u, expected a multiple of 64 in 64..4096", tn,
			   sa->replay_window);
	if (!(sa->flags & RP_SAF_ESN) && sa->seq_start > UINT32_MAX)
		return bad(-EBADMSG, why, whylen,
			   "%s: seq_start %llu needs extended sequence numbers", tn,
			   (unsigned long long)sa->seq_start);
	/* Smallest MTUs a link may have: RFC 791 (68) and RFC 8200 (1280). */
	if (sa->tunnel_mtu && sa->tunnel_mtu < (sa->outer_af == 4 ? 68 : 1280))
		return bad(-EBADMSG, why, whylen, "%s: tunnel MTU %u is below the IPv%u minimum", tn,
			   sa->tunnel_mtu, sa->outer_af);
	rc = check_limit(sa->soft_bytes, sa->hard_bytes, tn, "byte", why, whylen);
	if (!rc)
		rc = check_limit(sa->soft_packets, sa->hard_packets, tn, "packet", why, whylen);
	if (rc)
		return rc;

	if (sa->n_ts < 1 || sa->n_ts > RP_SA_TS_MAX)
		return bad(-EBADMSG, why, whylen, "%s: %u traffic selectors, expected 1..%u", tn,
			   sa->n_ts, RP_SA_TS_MAX);
	for (i = 0; i < sa->n_ts; i++) {
		snprintf(what, sizeof(what), "traffic selector %u", i);
		rc = check_prefix(&sa->ts[i], tn, what, why, whylen);
		if (rc)
			return rc;
	}
	return 0;
}

static int validate_payload(const struct rp_msg *m, const char *tn, char *why, size_t whylen)
{
	int rc;

	switch (m->hdr.type) {
	case RP_MSG_SA_ADD:
	case RP_MSG_SA_UPDATE:
		return validate_sa(&m->u.sa, tn, why, whylen);
	case RP_MSG_SA_DEL:
		if (m->u.sa_ref.sa_id == 0)
			return bad(-EBADMSG, why, whylen, "%s: sa_id 0 is reserved", tn);
		return 0;
	case RP_MSG_ROUTE_ADD:
	case RP_MSG_ROUTE_DEL:
		rc = check_prefix(&m->u.route.prefix, tn, "prefix", why, whylen);
		if (rc)
			return rc;
		if (m->u.route.sa_id == 0)
			return bad(-EBADMSG, why, whylen, "%s: sa_id 0 is reserved", tn);
		return 0;
	case RP_MSG_KV_SET:
		if (m->u.kv.check != rp_msg_kv_check(m->u.kv.key, m->u.kv.value))
			return bad(-EBADMSG, why, whylen,
				   "%s: check 0x%016llx does not match key %llu value %llu (torn slot?)",
				   tn, (unsigned long long)m->u.kv.check,
				   (unsigned long long)m->u.kv.key, (unsigned long long)m->u.kv.value);
		return 0;
	case RP_MSG_ACK:
		if (m->u.ack.status > 0)
			return bad(-EBADMSG, why, whylen, "%s: status %d, expected 0 or -errno", tn,
				   m->u.ack.status);
		if (!str_terminated(m->u.ack.reason, sizeof(m->u.ack.reason)))
			return bad(-EBADMSG, why, whylen, "%s: reason is not NUL-terminated", tn);
		return 0;
	case RP_MSG_ERROR:
		if (m->u.error.code > 0)
			return bad(-EBADMSG, why, whylen, "%s: code %d, expected -errno", tn,
				   m->u.error.code);
		if (!str_terminated(m->u.error.text, sizeof(m->u.error.text)))
			return bad(-EBADMSG, why, whylen, "%s: text is not NUL-terminated", tn);
		return 0;
	case RP_MSG_LIFETIME:
		if (m->u.lifetime.sa_id == 0)
			return bad(-EBADMSG, why, whylen, "%s: sa_id 0 is reserved", tn);
		if (m->u.lifetime.hard > 1 || m->u.lifetime.by_packets > 1)
			return bad(-EBADMSG, why, whylen, "%s: hard %u / by_packets %u, expected 0 or 1",
				   tn, m->u.lifetime.hard, m->u.lifetime.by_packets);
		return 0;
	case RP_MSG_PORT_INFO:
		if (m->u.port.role > 2)
			return bad(-EBADMSG, why, whylen, "%s: port role %u, expected 0..2", tn,
				   m->u.port.role);
		if (m->u.port.link_up > 1)
			return bad(-EBADMSG, why, whylen, "%s: link_up %u, expected 0 or 1", tn,
				   m->u.port.link_up);
		if (!str_terminated(m->u.port.name, sizeof(m->u.port.name)))
			return bad(-EBADMSG, why, whylen, "%s: name is not NUL-terminated", tn);
		if (!str_terminated(m->u.port.device, sizeof(m->u.port.device)))
			return bad(-EBADMSG, why, whylen, "%s: device is not NUL-terminated", tn);
		return 0;
	case RP_MSG_SA_INFO:
		if (m->u.sa_stats.dir > RP_DIR_OUT)
			return bad(-EBADMSG, why, whylen, "%s: direction %u, expected 0 or 1", tn,
				   m->u.sa_stats.dir);
		return 0;
	case RP_MSG_DROP_INFO:
		if (m->u.drop.n_ports > RP_DROP_PORTS_MAX)
			return bad(-EBADMSG, why, whylen, "%s: %u ports, at most %u", tn,
				   m->u.drop.n_ports, RP_DROP_PORTS_MAX);
		if (!m->u.drop.name[0] || !str_terminated(m->u.drop.name, sizeof(m->u.drop.name)))
			return bad(-EBADMSG, why, whylen, "%s: name is empty or not NUL-terminated",
				   tn);
		for (const char *c = m->u.drop.name; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
				return bad(-EBADMSG, why, whylen, "%s: name has a byte 0x%02x outside "
					   "[a-z0-9_]", tn, (unsigned char)*c);
		return 0;
	case RP_MSG_DUMP_END:
		if (m->u.dump_end.status > 0)
			return bad(-EBADMSG, why, whylen, "%s: status %d, expected 0 or -errno", tn,
				   m->u.dump_end.status);
		return 0;
	default:
		/* PING, PONG, STATS_REQ, *_DUMP, RESYNC_*: every value is acceptable. */
		return 0;
	}
}

int rp_msg_validate(const struct rp_msg *m, bool expect_command, char *why, size_t whylen)
{
	const unsigned int known_flags = RP_MSGF_MORE | RP_MSGF_RESYNC;
	const struct msg_type_info *ti;

	if (why && whylen)
		why[0] = '\0';
	if (m->hdr.version != RP_MSG_VERSION)
		return bad(-EPROTO, why, whylen,
			   "message layout version %u, this build speaks version %u", m->hdr.version,
			   RP_MSG_VERSION);
	ti = type_info(m->hdr.type);
	if (!ti)
		return bad(-EBADMSG, why, whylen, "unknown message type %u", m->hdr.type);
	if (ti->command != expect_command)
		return bad(-EBADMSG, why, whylen, "%s is %s, not expected on the %s ring", ti->name,
			   ti->command ? "a command" : "an event",
			   expect_command ? "command" : "event");
	if (m->hdr.len != ti->len)
		return bad(-EBADMSG, why, whylen, "%s: payload length %u, expected %u", ti->name,
			   m->hdr.len, ti->len);
	if (m->hdr.flags & ~known_flags)
		return bad(-EBADMSG, why, whylen, "%s: unknown header flag bits 0x%x", ti->name,
			   m->hdr.flags & ~known_flags);
	if (m->hdr.reserved)
		return bad(-EBADMSG, why, whylen, "%s: reserved header field is %u, must be 0",
			   ti->name, m->hdr.reserved);
	return validate_payload(m, ti->name, why, whylen);
}
