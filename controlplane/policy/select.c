/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Choosing a profile for a peer, validating its certificate, finding its keyring entry. */
#include "controlplane/policy/policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static void note(struct pol_result *r, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One step of the decision: logged, and kept in r->log for the caller. */
static void note(struct pol_result *r, int level, const char *fmt, ...)
{
	char line[512];
	size_t off = strlen(r->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	rp_log(level, "policy", "%s", line);
	if (off < sizeof(r->log))
		snprintf(r->log + off, sizeof(r->log) - off, "%s\n", line);
}

const char *pol_id_format(enum pol_id_type t, const uint8_t *id, size_t len, char *buf,
			  size_t buflen)
{
	char a[INET6_ADDRSTRLEN];
	size_t off;

	switch (t) {
	case POL_ID_IPV4:
	case POL_ID_IPV6:
		if (len != (t == POL_ID_IPV4 ? 4u : 16u)) {
			snprintf(buf, buflen, "address (bad length %zu)", len);
			return buf;
		}
		inet_ntop(t == POL_ID_IPV4 ? AF_INET : AF_INET6, id, a, sizeof(a));
		snprintf(buf, buflen, "address %s", a);
		return buf;
	case POL_ID_FQDN:
	case POL_ID_EMAIL:
		off = (size_t)snprintf(buf, buflen, "%s ", t == POL_ID_FQDN ? "fqdn" : "email");
		break;
	case POL_ID_DN:
		snprintf(buf, buflen, "dn (%zu bytes)", len);
		return buf;
	case POL_ID_KEY_ID:
		off = (size_t)snprintf(buf, buflen, "key-id ");
		break;
	default:
		snprintf(buf, buflen, "no identity");
		return buf;
	}
	/* printable ASCII as is, anything else as \xNN: logs stay one clean line */
	for (size_t i = 0; i < len && off + 5 < buflen; i++) {
		if (id[i] >= 0x20 && id[i] < 0x7f && id[i] != '\\')
			buf[off++] = (char)id[i];
		else
			off += (size_t)snprintf(buf + off, buflen - off, "\\x%02x", id[i]);
	}
	if (off < buflen)
		buf[off] = '\0';
	return buf;
}

static bool ci_eq(const uint8_t *a, size_t al, const char *b, size_t bl)
{
	return pki_str_eq((const char *)a, al, b, bl);
}

/* '*' matches any run of bytes (AnyConnect's "*$AnyConnectClient$*"). */
static bool glob(const char *p, size_t pl, const uint8_t *s, size_t sl)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;

	while (si < sl) {
		if (pi < pl && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pl && (uint8_t)p[pi] == s[si]) {
			pi++;
			si++;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pl && p[pi] == '*')
		pi++;
	return pi == pl;
}

static bool id_matches(const struct pol_match_id *m, const struct pol_peer *peer)
{
	const uint8_t *id = peer->id;
	size_t len = peer->id_len;

	switch (m->kind) {
	case POL_MATCH_ANY:
		return true;
	case POL_MATCH_ADDRESS:
		if (peer->id_type == POL_ID_IPV4 && len == 4)
			return pol_prefix_contains(&m->pfx, 4, id);
		if (peer->id_type == POL_ID_IPV6 && len == 16)
			return pol_prefix_contains(&m->pfx, 6, id);
		return false;
	case POL_MATCH_FQDN:
		return peer->id_type == POL_ID_FQDN && ci_eq(id, len, m->value, m->value_len);
	case POL_MATCH_FQDN_DOMAIN:
		if (peer->id_type != POL_ID_FQDN)
			return false;
		if (ci_eq(id, len, m->value, m->value_len))
			return true;
		return len > m->value_len && id[len - m->value_len - 1] == '.' &&
		       ci_eq(id + len - m->value_len, m->value_len, m->value, m->value_len);
	case POL_MATCH_EMAIL:
		return peer->id_type == POL_ID_EMAIL && ci_eq(id, len, m->value, m->value_len);
	case POL_MATCH_EMAIL_DOMAIN: {
		if (peer->id_type != POL_ID_EMAIL)
			return false;
		const uint8_t *at = NULL;

		for (size_t i = 0; i < len; i++)
			if (id[i] == '@')
				at = id + i;
		return at && ci_eq(at + 1, len - (size_t)(at + 1 - id), m->value, m->value_len);
	}
	case POL_MATCH_KEY_ID:
		return peer->id_type == POL_ID_KEY_ID && glob(m->value, m->value_len, id, len);
	}
	return false;
}

static bool local_ok(const struct pol_profile *p, const struct pol_peer *peer)
{
	if (!p->n_local)
		return true;
	for (unsigned i = 0; i < p->n_local; i++)
		if (peer->laddr_af && pol_prefix_contains(&p->local[i], peer->laddr_af, peer->laddr))
			return true;
	return false;
}

static const char *addr_text(uint8_t af, const uint8_t *a, char *buf, size_t len)
{
	if (!af) {
		snprintf(buf, len, "?");
		return buf;
	}
	inet_ntop(af == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len);
	return buf;
}

int pol_select(const struct pol_set *s, const struct pol_peer *peer, struct pol_result *r)
{
	struct pki_cert_view *view = NULL;
	char idt[300], ra[INET6_ADDRSTRLEN], la[INET6_ADDRSTRLEN];
	const struct pol_profile *chosen = NULL, *also = NULL;
	const char *why = NULL;

	memset(r, 0, sizeof(*r));
	pol_id_format(peer->id_type, peer->id, peer->id_len, idt, sizeof(idt));
	addr_text(peer->raddr_af, peer->raddr, ra, sizeof(ra));
	addr_text(peer->laddr_af, peer->laddr, la, sizeof(la));
	note(r, RP_LOG_DEBUG, "peer %s to %s: identity %s%s", ra, la, idt,
	     peer->cert ? ", certificate presented" : "");

	/* 1. A certificate map's profile wins over the identity (reference 000). */
	if (peer->cert) {
		view = malloc(sizeof(*view));
		if (!view)
			return -ENOMEM;
		pki_cert_view_init(view, peer->cert);
		if (view->subject_ok)
			note(r, RP_LOG_DEBUG, "certificate subject %s", view->subject_text);
		for (unsigned i = 0; i < s->n_profiles; i++) {
			const struct pol_profile *p = &s->profiles[i];

			for (unsigned k = 0; k < p->n_maps; k++) {
				unsigned seq;

				if (!pki_certmap_match(p->maps[k], view, &seq))
					continue;
				if (!local_ok(p, peer)) {
					note(r, RP_LOG_DEBUG, "certificate map %s matches profile %s, but "
					     "our address %s is not in its match.address_local",
					     p->maps[k]->name, p->name, la);
					break;
				}
				if (chosen) {
					also = p;
					break;
				}
				chosen = p;
				r->map = p->maps[k];
				r->map_seq = seq;
				note(r, RP_LOG_INFO, "certificate map %s matches profile %s (sequence %u)",
				     p->maps[k]->name, p->name, seq);
				break;
			}
			if (also)
				break;
		}
	}
	/* 2. Otherwise the identity, profiles in configuration order. */
	for (unsigned i = 0; i < s->n_profiles && !also; i++) {
		const struct pol_profile *p = &s->profiles[i];

		for (unsigned k = 0; k < p->n_ids; k++) {
			if (!id_matches(&p->ids[k], peer))
				continue;
			if (!local_ok(p, peer)) {
				note(r, RP_LOG_DEBUG, "identity %s matches profile %s, but our address %s "
				     "is not in its match.address_local", idt, p->name, la);
				break;
			}
			if (p == chosen)
				break;
			if (chosen) {
				also = p;
				break;
			}
			chosen = p;
			why = p->ids[k].text;
			note(r, RP_LOG_INFO, "identity %s matches profile %s (match identity remote %s)",
			     idt, p->name, why);
			break;
		}
	}
	free(view);
	if (!chosen) {
		note(r, RP_LOG_NOTICE, "peer %s (identity %s) matches *none* of the %u profiles: "
		     "refused", ra, idt, s->n_profiles);
		return -ENOENT;
	}
	if (also)
		note(r, RP_LOG_WARN, "peer %s also matches profile %s; profile %s was chosen "
		     "(overlapping profiles: make the match statements disjoint)", ra, also->name,
		     chosen->name);
	r->profile = chosen;
	r->authz = chosen->authz;
	r->group = chosen->group[0] ? chosen->group : chosen->authz ? chosen->authz->name : NULL;
	if (r->group)
		note(r, RP_LOG_INFO, "profile %s assigned peer the group named %s", chosen->name,
		     r->group);
	return 0;
}

int pol_validate_cert(const struct pol_profile *p, const struct pol_peer *peer, time_t at,
		      struct pol_result *r)
{
	char list[512] = "", err[256];
	size_t off = 0;

	r->tp = NULL;
	if (!p->n_tps) {
		note(r, RP_LOG_NOTICE, "profile %s has no trustpoint to validate the certificate",
		     p->name);
		return -ENOENT;
	}
	for (unsigned i = 0; i < p->n_tps && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "",
					p->tp_names[i]);
	note(r, RP_LOG_DEBUG, "certificate validation list of profile %s: %s", p->name, list);
	if (!peer->cert) {
		note(r, RP_LOG_NOTICE, "no peer certificate to validate");
		return -EACCES;
	}
	for (unsigned i = 0; i < p->n_tps; i++) {
		if (!p->tps[i]) {
			note(r, RP_LOG_NOTICE, "trustpoint %s is not loaded", p->tp_names[i]);
			continue;
		}
		if (pki_tp_verify(p->tps[i], peer->cert, peer->chain, at, err, sizeof(err)) == 0) {
			r->tp = p->tps[i];
			note(r, RP_LOG_INFO, "certificate validity confirmed by trustpoint %s",
			     p->tp_names[i]);
			return 0;
		}
		note(r, RP_LOG_NOTICE, "trustpoint %s refuses the certificate: %s", p->tp_names[i],
		     err);
	}
	return -EACCES;
}

const struct pol_keyring_peer *pol_keyring_lookup(const struct pol_keyring *kr,
						  enum pol_id_type id_type, const void *id,
						  size_t id_len, uint8_t raddr_af,
						  const uint8_t *raddr, char *why, size_t whylen)
{
	const struct pol_keyring_peer *best = NULL;

	for (unsigned i = 0; i < kr->n && id_type != POL_ID_NONE; i++) {
		const struct pol_keyring_peer *p = &kr->peers[i];
		bool ci = id_type == POL_ID_FQDN || id_type == POL_ID_EMAIL;

		if (p->id_type != id_type || p->id_len != id_len)
			continue;
		if (ci ? pki_str_eq((const char *)p->id, p->id_len, id, id_len)
		       : !memcmp(p->id, id, id_len)) {
			if (why)
				snprintf(why, whylen, "keyring %s: peer %s by identity", kr->name,
					 p->name);
			return p;
		}
	}
	for (unsigned i = 0; i < kr->n && raddr_af; i++) {
		const struct pol_keyring_peer *p = &kr->peers[i];

		if (p->has_addr && pol_prefix_contains(&p->addr, raddr_af, raddr) &&
		    (!best || p->addr.plen > best->addr.plen))
			best = p;
	}
	if (why) {
		if (best)
			snprintf(why, whylen, "keyring %s: peer %s by address /%u", kr->name, best->name,
				 best->addr.plen);
		else
			snprintf(why, whylen, "keyring %s: no peer for this identity or address",
				 kr->name);
	}
	return best;
}

struct pki_tp *pol_local_trustpoint(const struct pol_profile *p, const uint8_t *certreq,
				    size_t len)
{
	struct pki_tp *first = NULL;

	for (unsigned i = 0; i < p->n_tps; i++) {
		struct pki_tp *tp = p->tps[i];

		if (!tp || !pki_tp_cert(tp))
			continue;
		if (!first)
			first = tp;
		if (certreq && pki_tp_find_by_certreq(&tp, 1, certreq, len))
			return tp;
	}
	return first;
}
