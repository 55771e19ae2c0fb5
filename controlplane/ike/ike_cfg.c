/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* IKEv2 configuration mode (RFC 7296 §2.19, §3.15) from the authorization policy, and the
 * peer's Vendor IDs. See ike_cfg.h for what goes into a CP payload and why. */
#include "controlplane/ike/ike_cfg.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/cursor.h"
#include "controlplane/ike/ike_proto.h"
#include "controlplane/policy/policy.h"
#include "controlplane/pool/pool.h"

#ifndef RAMPART_VERSION
#define RAMPART_VERSION "dev"
#endif

static const struct {
	uint16_t type;
	const char *name;
} attr_names[] = {
#define X(n, v) { v, #n },
	IKE_CFG_ATTRS(X)
	IKE_CFG_PRIV_ATTRS(X)
#undef X
};

const char *ike_cfg_attr_name(uint16_t type)
{
	for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
		if (attr_names[i].type == type)
			return attr_names[i].name;
	return NULL;
}

static const char *aname(uint16_t type)
{
	const char *n = ike_cfg_attr_name(type);

	return n ? n : "attribute";
}

/* ---- Vendor IDs ------------------------------------------------------------------------- */

static const uint8_t vid_unity[14] = { 0x12, 0xf5, 0xf2, 0x8c, 0x45, 0x71, 0x68,
				       0xa9, 0x70, 0x2d, 0x9f, 0xe2, 0x74, 0xcc };
static const uint8_t vid_strongswan[16] = { 0x88, 0x2f, 0xe5, 0x6d, 0x6f, 0xd2, 0x0d, 0xbc,
					    0x22, 0x51, 0x61, 0x3b, 0x2e, 0xbe, 0x5b, 0xeb };
static const char vid_copyright[] = "CISCO(COPYRIGHT)";
static const char vid_flexvpn[] = "FLEXVPN-SUPPORTED";
static const char vid_delete_reason[] = "CISCO-DELETE-REASON";

static bool vid_is(const struct ike_bytes *d, const void *v, size_t len)
{
	return d->len == len && !memcmp(d->p, v, len);
}

unsigned ike_cfg_vendor_flags(const struct ike_msg *m)
{
	unsigned f = 0;

	for (const struct ike_pl *pl = NULL; (pl = ike_msg_find(m, IKE_PL_VENDOR, pl));) {
		const struct ike_bytes *d = &pl->f.data;

		if (d->len == 16 && !memcmp(d->p, vid_unity, sizeof(vid_unity)))
			f |= IKE_VID_CISCO_UNITY; /* the last two bytes are the Unity version */
		else if (d->len >= sizeof(vid_copyright) - 1 &&
			 !memcmp(d->p, vid_copyright, sizeof(vid_copyright) - 1))
			f |= IKE_VID_CISCO_COPYRIGHT; /* "...&Copyright (c) 2009 Cisco Systems, Inc." */
		else if (vid_is(d, vid_flexvpn, sizeof(vid_flexvpn) - 1))
			f |= IKE_VID_CISCO_FLEXVPN;
		else if (vid_is(d, vid_delete_reason, sizeof(vid_delete_reason) - 1))
			f |= IKE_VID_CISCO_DELETE_REASON;
		else if (vid_is(d, vid_strongswan, sizeof(vid_strongswan)))
			f |= IKE_VID_STRONGSWAN;
	}
	return f;
}

unsigned ike_cfg_id_flags(uint8_t id_type, const uint8_t *id, size_t len)
{
	static const char ac[] = "$AnyConnectClient$";

	if (id_type != IKE_ID_KEY_ID || len < sizeof(ac) - 1)
		return 0;
	for (size_t i = 0; i + sizeof(ac) - 1 <= len; i++)
		if (!memcmp(id + i, ac, sizeof(ac) - 1))
			return IKE_VID_ANYCONNECT;
	return 0;
}

const char *ike_cfg_vendor_str(unsigned flags, char *buf, size_t len)
{
	static const char *const names[] = { "Cisco-Unity", "Cisco-copyright", "FlexVPN",
					     "Cisco-delete-reason", "strongSwan", "AnyConnect" };
	size_t off = 0;

	if (!len)
		return buf;
	buf[0] = 0;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int w;

		if (!(flags & (1u << i)))
			continue;
		w = snprintf(buf + off, len - off, "%s%s", off ? " " : "", names[i]);
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
	}
	if (!off)
		snprintf(buf, len, "none");
	return buf;
}

/* ---- what the peer sent ----------------------------------------------------------------- */

/* Lengths a well-formed attribute of a CFG_SET may have (§3.15.1); -1: any. */
static int attr_len_ok(uint16_t type, size_t len)
{
	switch (type) {
	case IKE_CFG_INTERNAL_IP4_ADDRESS:
	case IKE_CFG_INTERNAL_IP4_NETMASK:
	case IKE_CFG_INTERNAL_IP4_DNS:
	case IKE_CFG_INTERNAL_IP4_NBNS:
	case IKE_CFG_INTERNAL_IP4_DHCP:
		return len == 0 || len == 4;
	case IKE_CFG_INTERNAL_IP6_ADDRESS:
	case IKE_CFG_INTERNAL_IP6_SUBNET:
		return len == 0 || len == 17;
	case IKE_CFG_INTERNAL_IP6_DNS:
	case IKE_CFG_INTERNAL_IP6_DHCP:
		return len == 0 || len == 16;
	case IKE_CFG_INTERNAL_IP4_SUBNET:
		return len == 0 || len == 8;
	case IKE_CFG_APPLICATION_VERSION:
		return 1;
	default:
		return 0;
	}
}

void ike_cfg_req_parse(const struct ike_msg *m, struct ike_cfg_req *q)
{
	memset(q, 0, sizeof(*q));
	if (!ike_msg_find(m, IKE_PL_CP, NULL))
		return;
	q->type = m->cp.cfg_type;
	if (q->type != IKE_CFG_REQUEST && q->type != IKE_CFG_SET)
		return; /* a REPLY or ACK in a request means nothing to a responder */
	q->present = q->type == IKE_CFG_REQUEST;
	for (unsigned i = 0; i < m->cp.n; i++) {
		const struct ike_cfg_at *a = &m->cp.attr[i];

		if (a->type == IKE_CFG_APPLICATION_VERSION && a->value.len) {
			size_t k, n = a->value.len < sizeof(q->peer_version) - 1 ?
				      a->value.len : sizeof(q->peer_version) - 1;

			for (k = 0; k < n; k++)
				q->peer_version[k] = a->value.p[k] >= 0x20 && a->value.p[k] < 0x7f ?
						     (char)a->value.p[k] : '?';
			q->peer_version[k] = 0;
		}
		if (q->type == IKE_CFG_SET) {
			uint8_t plen4;

			/* §3.15: the peer pushes; we acknowledge what we understand (an IPv4
			 * subnet with a non-contiguous mask is no route) */
			if (!attr_len_ok(a->type, a->value.len)) {
				q->n_set_bad++;
				continue;
			}
			q->set_type[q->n_set++] = a->type;
			if (a->type == IKE_CFG_INTERNAL_IP4_SUBNET && a->value.len == 8 &&
			    rp_mask4_plen(a->value.p + 4, &plen4) &&
			    q->n_routes < sizeof(q->routes) / sizeof(q->routes[0])) {
				struct rp_prefix *p = &q->routes[q->n_routes++];

				memset(p, 0, sizeof(*p));
				p->af = 4;
				memcpy(p->addr, a->value.p, 4);
				p->plen = plen4;
			} else if (a->type == IKE_CFG_INTERNAL_IP6_SUBNET && a->value.len == 17 &&
				   q->n_routes < sizeof(q->routes) / sizeof(q->routes[0])) {
				struct rp_prefix *p = &q->routes[q->n_routes++];

				memset(p, 0, sizeof(*p));
				p->af = 6;
				memcpy(p->addr, a->value.p, 16);
				p->plen = a->value.p[16] > 128 ? 128 : a->value.p[16];
			}
			continue;
		}
		switch (a->type) {
		case IKE_CFG_INTERNAL_IP4_ADDRESS: q->ip4 = true; q->n_ip4++; break;
		case IKE_CFG_INTERNAL_IP4_NETMASK: q->nm4 = true; break;
		case IKE_CFG_INTERNAL_IP4_DNS: q->dns4 = true; break;
		case IKE_CFG_INTERNAL_IP4_NBNS: q->nbns = true; break;
		case IKE_CFG_INTERNAL_IP4_SUBNET: q->sub4 = true; break;
		case IKE_CFG_INTERNAL_IP6_ADDRESS: q->ip6 = true; break;
		case IKE_CFG_INTERNAL_IP6_DNS: q->dns6 = true; break;
		case IKE_CFG_INTERNAL_IP6_SUBNET: q->sub6 = true; break;
		case IKE_CFG_APPLICATION_VERSION: q->appver = true; break;
		default: break; /* not ours to answer */
		}
	}
}

/* ---- building --------------------------------------------------------------------------- */

struct bld {
	struct ike_cfg_out *o;
	size_t log_off;
	bool log_full;
	unsigned n_sub4, n_sub6;
};

static void note(struct bld *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct bld *b, const char *fmt, ...)
{
	size_t cap = sizeof(b->o->log);
	va_list ap;
	int w;

	if (b->log_full)
		return;
	va_start(ap, fmt);
	w = vsnprintf(b->o->log + b->log_off, cap - b->log_off, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= cap - b->log_off) {
		/* mark the cut instead of ending mid-word silently */
		if (cap > 4)
			memcpy(b->o->log + cap - 4, "...", 4);
		b->log_full = true;
		return;
	}
	b->log_off += (size_t)w;
}

/* Append one attribute TLV (§3.15.1); false (and counted) when it does not fit. */
static bool add(struct bld *b, uint16_t type, const void *v, size_t len)
{
	struct ike_cfg_out *o = b->o;

	if (len > 0xffff || 4 + len > sizeof(o->buf) - o->len) {
		o->dropped++;
		note(b, "%s%s left out (no room)", b->log_off ? ", " : "", aname(type));
		return false;
	}
	o->buf[o->len++] = (uint8_t)(type >> 8 & 0x7f);
	o->buf[o->len++] = (uint8_t)type;
	o->buf[o->len++] = (uint8_t)(len >> 8);
	o->buf[o->len++] = (uint8_t)len;
	if (len)
		memcpy(o->buf + o->len, v, len);
	o->len += len;
	o->n++;
	return true;
}

static void add_log(struct bld *b, uint16_t type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add_log(struct bld *b, uint16_t type, const char *fmt, ...)
{
	char v[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	note(b, "%s%s%s%s", b->log_off ? ", " : "", aname(type), v[0] ? " " : "", v);
}

static const char *ntop(uint8_t af, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(af == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static void plen_mask(unsigned plen, uint8_t m[4])
{
	uint32_t v = plen >= 32 ? 0xffffffffu : plen ? ~(0xffffffffu >> plen) : 0;

	m[0] = (uint8_t)(v >> 24), m[1] = (uint8_t)(v >> 16), m[2] = (uint8_t)(v >> 8);
	m[3] = (uint8_t)v;
}

/* A string attribute cut to @p max bytes, at a UTF-8 character boundary. */
static void add_str(struct bld *b, uint16_t type, const char *s, size_t max)
{
	size_t len = strlen(s), cut = len;

	if (!len)
		return;
	if (len > max) {
		cut = max;
		while (cut > 0 && ((uint8_t)s[cut] & 0xc0) == 0x80)
			cut--; /* s[cut] would be a continuation byte: back off to the lead byte */
	}
	if (!add(b, type, s, cut))
		return;
	if (cut < len)
		add_log(b, type, "(%zu bytes, cut from %zu)", cut, len);
	else if (type == IKE_CFG_UNITY_BANNER || len > 48)
		add_log(b, type, "(%zu bytes)", len);
	else
		add_log(b, type, "%s", s);
}

/* Names joined by commas (the Unity client's list form), whole names only, @p max bytes. */
static void add_list(struct bld *b, uint16_t type, char *const *v, unsigned n, size_t max)
{
	char buf[IKE_CFG_STR_MAX];
	size_t len = 0;
	unsigned used = 0;

	if (max > sizeof(buf))
		max = sizeof(buf);
	for (unsigned i = 0; i < n; i++) {
		size_t l = strlen(v[i]);

		if (!l || len + (len ? 1 : 0) + l > max)
			continue;
		if (len)
			buf[len++] = ',';
		memcpy(buf + len, v[i], l);
		len += l;
		used++;
	}
	if (!len)
		return;
	if (add(b, type, buf, len)) {
		if (used < n)
			add_log(b, type, "(%u of %u names: %zu bytes at most)", used, n, max);
		else
			add_log(b, type, "%.*s", len > 64 ? 64 : (int)len, buf);
	}
}

static void add_u16(struct bld *b, uint16_t type, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	if (add(b, type, x, 2))
		add_log(b, type, "%u", v);
}

static unsigned collect_routes(const struct pol_authz *a, const struct rp_prefix *local_ts,
			       unsigned n_local_ts, struct rp_prefix *out, unsigned max)
{
	unsigned n = 0;

	if (a) {
		const struct pol_acl *acl[2] = { a->route_acl, a->route_acl6 };

		for (unsigned k = 0; k < 2; k++)
			for (unsigned i = 0; acl[k] && i < acl[k]->n && n < max; i++) {
				memset(&out[n], 0, sizeof(out[n]));
				out[n].af = acl[k]->v[i].af;
				out[n].plen = acl[k]->v[i].plen;
				memcpy(out[n].addr, acl[k]->v[i].addr, 16);
				n++;
			}
		for (unsigned i = 0; i < a->n_route_remote && n < max; i++) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].af = a->route_remote[i].af;
			out[n].plen = a->route_remote[i].plen;
			memcpy(out[n].addr, a->route_remote[i].addr, 16);
			n++;
		}
		if (n)
			return n;
	}
	for (unsigned i = 0; i < n_local_ts && n < max; i++)
		out[n++] = local_ts[i];
	return n;
}

/* Host bits cleared (local_subnets may be written "10.1.2.3/16"). */
static void prefix_net(struct rp_prefix *p)
{
	unsigned bytes = p->af == 6 ? 16 : 4;

	if (p->plen > 8 * bytes)
		p->plen = (uint8_t)(8 * bytes);
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = p->plen > 8 * i ? p->plen - 8 * i : 0;

		if (i >= bytes || keep == 0)
			p->addr[i] = 0;
		else if (keep < 8)
			p->addr[i] &= (uint8_t)(0xff00 >> keep);
	}
}

unsigned ike_cfg_routes(const struct pol_authz *a, const struct rp_prefix *local_ts,
			unsigned n_local_ts, struct rp_prefix *out, unsigned max)
{
	unsigned n = collect_routes(a, local_ts, n_local_ts, out, max);

	for (unsigned i = 0; i < n; i++)
		prefix_net(&out[i]);
	return n;
}

static void add_subnets(struct bld *b, const struct ike_cfg_ctx *c, bool v4, bool v6)
{
	struct rp_prefix r[IKE_CFG_ROUTES_MAX];
	unsigned n = ike_cfg_routes(c->authz, c->local_ts, c->n_local_ts, r, IKE_CFG_ROUTES_MAX);
	char first4[64] = "", first6[64] = "", a[INET6_ADDRSTRLEN];

	for (unsigned i = 0; i < n; i++) {
		uint8_t v[17];

		if (r[i].plen == 0)
			continue; /* a default route is no split route: the client's TSr says it */
		if (r[i].af == 4 && v4) {
			memcpy(v, r[i].addr, 4);
			plen_mask(r[i].plen, v + 4);
			if (!add(b, IKE_CFG_INTERNAL_IP4_SUBNET, v, 8))
				break;
			if (!b->n_sub4++)
				snprintf(first4, sizeof(first4), "%s/%u", ntop(4, r[i].addr, a, sizeof(a)),
					 r[i].plen);
		} else if (r[i].af == 6 && v6) {
			memcpy(v, r[i].addr, 16);
			v[16] = r[i].plen;
			if (!add(b, IKE_CFG_INTERNAL_IP6_SUBNET, v, 17))
				break;
			if (!b->n_sub6++)
				snprintf(first6, sizeof(first6), "%s/%u", ntop(6, r[i].addr, a, sizeof(a)),
					 r[i].plen);
		}
	}
	if (b->n_sub4)
		add_log(b, IKE_CFG_INTERNAL_IP4_SUBNET, "%s%s", first4,
			b->n_sub4 > 1 ? " and more" : "");
	if (b->n_sub4 > 1)
		note(b, " (%u)", b->n_sub4);
	if (b->n_sub6)
		add_log(b, IKE_CFG_INTERNAL_IP6_SUBNET, "%s%s", first6,
			b->n_sub6 > 1 ? " and more" : "");
	if (b->n_sub6 > 1)
		note(b, " (%u)", b->n_sub6);
	if (c->authz && c->authz->route_interface[0])
		note(b, "%sroute set interface %s not announced (rampart-dp has no interfaces)",
		      b->log_off ? ", " : "", c->authz->route_interface);
}

unsigned ike_cfg_build(const struct ike_cfg_ctx *c, const struct ike_cfg_req *q,
		       uint8_t cfg_type, struct ike_cfg_out *out)
{
	const struct pol_authz *az = c->authz;
	const struct pool_lease *l4 = c->lease4 && c->lease4->held ? c->lease4 : NULL;
	const struct pool_lease *l6 = c->lease6 && c->lease6->held ? c->lease6 : NULL;
	const struct pool_cfg *p4 = l4 && l4->pool ? pool_cfg(l4->pool) : NULL;
	const struct pool_cfg *p6 = l6 && l6->pool ? pool_cfg(l6->pool) : NULL;
	bool set = cfg_type == IKE_CFG_SET;
	bool v4 = set || l4, v6 = set || l6;
	struct bld b = { .o = out };
	char a[INET6_ADDRSTRLEN];
	uint8_t v[17];

	out->cfg_type = cfg_type;
	out->n = 0;
	out->len = 0;
	out->dropped = 0;
	out->log[0] = 0;
	(void)q; /* what was asked changes nothing but the address (leased by the caller) */

	/* IPv4: one address, however many were asked for; a netmask only with it */
	if (l4 && !set) {
		if (add(&b, IKE_CFG_INTERNAL_IP4_ADDRESS, l4->addr, 4))
			add_log(&b, IKE_CFG_INTERNAL_IP4_ADDRESS, "%s", ntop(4, l4->addr, a, sizeof(a)));
		if (az && az->has_netmask)
			plen_mask(az->netmask_plen, v);
		else if (p4 && p4->netmask_plen)
			plen_mask(p4->netmask_plen, v);
		if (!(az && az->has_netmask) && !(p4 && p4->netmask_plen))
			note(&b, ", no INTERNAL_IP4_NETMASK (none configured)");
		else if (add(&b, IKE_CFG_INTERNAL_IP4_NETMASK, v, 4))
			add_log(&b, IKE_CFG_INTERNAL_IP4_NETMASK, "%s", ntop(4, v, a, sizeof(a)));
	}
	if (v4) {
		const uint8_t(*dns)[4] = az && az->n_dns ? az->dns : NULL;
		unsigned nd = az && az->n_dns ? az->n_dns : 0;

		for (unsigned i = 0; i < nd && i < 2; i++)
			if (add(&b, IKE_CFG_INTERNAL_IP4_DNS, dns[i], 4))
				add_log(&b, IKE_CFG_INTERNAL_IP4_DNS, "%s", ntop(4, dns[i], a, sizeof(a)));
		for (unsigned i = 0; !nd && p4 && i < p4->n_dns && i < 2; i++)
			if (add(&b, IKE_CFG_INTERNAL_IP4_DNS, p4->dns[i], 4))
				add_log(&b, IKE_CFG_INTERNAL_IP4_DNS, "%s",
					ntop(4, p4->dns[i], a, sizeof(a)));
		for (unsigned i = 0; az && i < az->n_wins && i < 2; i++)
			if (add(&b, IKE_CFG_INTERNAL_IP4_NBNS, az->wins[i], 4))
				add_log(&b, IKE_CFG_INTERNAL_IP4_NBNS, "%s",
					ntop(4, az->wins[i], a, sizeof(a)));
	}
	if (l6 && !set) {
		memcpy(v, l6->addr, 16);
		v[16] = c->plen6 && c->plen6 <= 128 ? c->plen6 : 128;
		if (add(&b, IKE_CFG_INTERNAL_IP6_ADDRESS, v, 17))
			add_log(&b, IKE_CFG_INTERNAL_IP6_ADDRESS, "%s/%u",
				ntop(6, l6->addr, a, sizeof(a)), v[16]);
	}
	if (v6) {
		unsigned nd = az ? az->n_dns6 : 0;

		for (unsigned i = 0; i < nd && i < 2; i++)
			if (add(&b, IKE_CFG_INTERNAL_IP6_DNS, az->dns6[i], 16))
				add_log(&b, IKE_CFG_INTERNAL_IP6_DNS, "%s",
					ntop(6, az->dns6[i], a, sizeof(a)));
		for (unsigned i = 0; !nd && p6 && i < p6->n_dns && i < 2; i++)
			if (add(&b, IKE_CFG_INTERNAL_IP6_DNS, p6->dns[i], 16))
				add_log(&b, IKE_CFG_INTERNAL_IP6_DNS, "%s",
					ntop(6, p6->dns[i], a, sizeof(a)));
	}
	if (ike_cfg_is_cisco(c->vendor))
		add_str(&b, IKE_CFG_APPLICATION_VERSION, "Rampart " RAMPART_VERSION, IKE_CFG_STR_MAX);
	add_subnets(&b, c, v4, v6);

	/* Cisco Unity and FlexVPN: for the clients the reference names, by their vendor IDs */
	if (az && ike_cfg_is_cisco(c->vendor)) {
		add_str(&b, IKE_CFG_UNITY_DEF_DOMAIN, az->def_domain, IKE_CFG_STR_MAX);
		add_list(&b, IKE_CFG_UNITY_SPLITDNS_NAME, az->split_dns, az->n_split_dns,
			 IKE_CFG_STR_MAX);
		add_list(&b, IKE_CFG_UNITY_BACKUP_SERVERS, az->backup_gw, az->n_backup_gw,
			 IKE_CFG_STR_MAX);
		if (az->pfs)
			add_u16(&b, IKE_CFG_UNITY_PFS, 1);
		if (az->smartcard_removal_disconnect)
			add_u16(&b, IKE_CFG_UNITY_SMARTCARD_REMOVAL_DISCONNECT, 1);
		if (az->include_local_lan) {
			/* the Unity form of "local LAN": 0.0.0.0 with mask 255.255.255.255 */
			static const uint8_t ll[8] = { 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };

			if (add(&b, IKE_CFG_UNITY_LOCAL_LAN, ll, sizeof(ll)))
				add_log(&b, IKE_CFG_UNITY_LOCAL_LAN, "(include-local-lan)");
		}
		if (ike_cfg_is_flexvpn(c->vendor)) {
			if (az->config_url)
				add_str(&b, IKE_CFG_FLEXVPN_CONFIG_URL, az->config_url, IKE_CFG_STR_MAX);
			add_str(&b, IKE_CFG_FLEXVPN_CONFIG_VERSION, az->config_version,
				IKE_CFG_STR_MAX);
		} else if (az->config_url || az->config_version[0]) {
			note(&b, "%sFlexVPN attributes withheld (no FLEXVPN-SUPPORTED vendor ID)",
			      b.log_off ? ", " : "");
		}
		/* last: the largest and least needed */
		if (az->banner)
			add_str(&b, IKE_CFG_UNITY_BANNER, az->banner, IKE_CFG_BANNER_MAX);
	} else if (az && (az->banner || az->def_domain[0] || az->n_split_dns || az->n_backup_gw ||
			  az->pfs || az->smartcard_removal_disconnect || az->include_local_lan ||
			  az->config_url || az->config_version[0])) {
		note(&b, "%sCisco Unity/FlexVPN attributes withheld (no Cisco vendor ID)",
		      b.log_off ? ", " : "");
	}
	if (!b.log_off)
		note(&b, "no attributes");
	if (set && !out->n)
		out->cfg_type = 0;
	return out->n;
}

unsigned ike_cfg_build_ack(const struct ike_cfg_req *q, struct ike_cfg_out *out)
{
	struct bld b = { .o = out };

	out->cfg_type = IKE_CFG_ACK;
	out->n = 0;
	out->len = 0;
	out->dropped = 0;
	out->log[0] = 0;
	for (unsigned i = 0; i < q->n_set; i++)
		if (add(&b, q->set_type[i], NULL, 0))
			add_log(&b, q->set_type[i], "%s", "");
	if (q->n_set_bad)
		note(&b, "%s%u attribute(s) refused (unknown type or bad length)",
		      b.log_off ? ", " : "", q->n_set_bad);
	if (!b.log_off)
		note(&b, "no attributes");
	return out->n;
}

bool ike_cfg_write(const struct ike_cfg_out *o, struct ike_bld *b)
{
	if (!o->cfg_type)
		return true;
	if (!ike_bld_begin(b, IKE_PL_CP, false))
		return false;
	/* §3.15: CFG Type, 3 bytes RESERVED, then the attributes */
	rp_wbuf_u8(&b->w, o->cfg_type);
	rp_wbuf_u8(&b->w, 0);
	rp_wbuf_u16(&b->w, 0);
	rp_wbuf_bytes(&b->w, o->buf, o->len);
	return ike_bld_end(b);
}
