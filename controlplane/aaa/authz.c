/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* IKEv2 authorization from RADIUS attributes (reference 001's table) and the merge of
 * user, cached, group and local-policy attributes. */
#include "controlplane/aaa/authz.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common/cursor.h"
#include "common/log.h"
#include "controlplane/util/utf8.h"

static const char *const field_names[AAA_AZ_N] = {
#define X(id, s) [AAA_AZ_##id] = s,
	AAA_AZ_FIELDS(X)
#undef X
};

const char *aaa_authz_field_name(enum aaa_az_field f)
{
	return (unsigned)f < AAA_AZ_N ? field_names[f] : "?";
}

void aaa_authz_init(struct aaa_authz *z, const char *name)
{
	memset(z, 0, sizeof(*z));
	snprintf(z->a.name, sizeof(z->a.name), "%s", name ? name : "");
	z->a.flow_limit = -1;
	z->addr6_plen = 128;
}

/* ---- reading an Access-Accept ----------------------------------------------------------- */

struct ctx {
	struct aaa_authz *z;
	const struct pol_set *set;
	const char *who;
	bool oom;
};

static void ignore(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An attribute we do not use: say exactly why, once in the log and in z->log. */
static void ignore(struct ctx *c, const char *fmt, ...)
{
	struct aaa_authz *z = c->z;
	char msg[400];
	size_t off = strlen(z->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	z->n_ignored++;
	RP_WARN("aaa", "authorization for %s: ignored %s", c->who, msg);
	if (off + 3 < sizeof(z->log))
		snprintf(z->log + off, sizeof(z->log) - off, "%s%s", off ? "; " : "", msg);
}

/* Text a client may be shown: valid UTF-8, no control characters but (if @p nl) newlines. */
static bool is_text(const char *s, size_t n, bool nl)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = utf8_decode((const unsigned char *)s + i, n - i, &cp);

		if (!l || ((cp < 0x20 && !(nl && (cp == '\n' || cp == '\r' || cp == '\t'))) ||
			   cp == 0x7f || (cp >= 0x80 && cp < 0xa0)))
			return false;
		i += l;
	}
	return true;
}

/* A host or domain name: letters, digits, '-', '.', '_' (as in split-dns / backup servers). */
static bool is_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 253)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '.' || *s == '_'))
			return false;
	return true;
}

/* Next token of @p *p separated by spaces or commas, NUL-terminated in place. */
static char *token(char **p)
{
	char *s = *p, *t;

	while (*s == ' ' || *s == ',' || *s == '\t')
		s++;
	if (!*s) {
		*p = s;
		return NULL;
	}
	t = s;
	while (*s && *s != ' ' && *s != ',' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return t;
}

static bool parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes")) {
		*out = true;
		return true;
	}
	if (!strcasecmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no")) {
		*out = false;
		return true;
	}
	return false;
}

static bool parse_long(const char *v, long lo, long hi, long *out)
{
	char *end;
	long x;

	if (!*v || *v == '-' || *v == '+' || *v == ' ')
		return false;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return false;
	*out = x;
	return true;
}

/* A unicast IPv4 address a client can use (not 0/8, loopback, multicast, reserved). */
static bool ip4_usable(const uint8_t a[4])
{
	return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

/* One or two addresses of family @p af into @p out (n already there counted). */
static void addr_list(struct ctx *c, const char *attr, char *v, int af, uint8_t *out,
		      unsigned *n)
{
	size_t sz = af == AF_INET ? 4 : 16;
	unsigned k = 0;
	char *t;

	while ((t = token(&v))) {
		uint8_t a[16];

		k++;

		if (inet_pton(af, t, a) != 1) {
			ignore(c, "ipsec:%s value '%s': not an IPv%d address", attr, t,
			       af == AF_INET ? 4 : 6);
			continue;
		}
		if (*n >= 2) {
			ignore(c, "ipsec:%s value '%s': more than two servers", attr, t);
			continue;
		}
		memcpy(out + sz * *n, a, sz);
		(*n)++;
	}
	if (!k)
		ignore(c, "ipsec:%s: no address", attr);
}

static bool once(struct ctx *c, enum aaa_az_field f, const char *attr)
{
	if (c->z->set & AAA_AZ_BIT(f)) {
		ignore(c, "%s%s: repeated (the first value is kept)", strchr(attr, ':') ? "" : "ipsec:",
		       attr);
		return false;
	}
	return true;
}

static void mark(struct ctx *c, enum aaa_az_field f)
{
	c->z->set |= AAA_AZ_BIT(f);
}

static bool str_into(struct ctx *c, const char *attr, const char *v, char *dst, size_t cap)
{
	size_t n = strlen(v);

	if (!n || n >= cap || !is_text(v, n, false)) {
		ignore(c, "ipsec:%s: %s", attr,
		       !n ? "empty" : n >= cap ? "too long" : "not printable text");
		return false;
	}
	memcpy(dst, v, n + 1);
	return true;
}

static char *xstrdup(struct ctx *c, const char *s)
{
	char *d = strdup(s);

	if (!d)
		c->oom = true;
	return d;
}

static void route_set(struct ctx *c, char *v)
{
	struct aaa_authz *z = c->z;
	char *kind = token(&v), *t, err[120];

	if (!kind) {
		ignore(c, "ipsec:route-set: empty");
		return;
	}
	if (!strcmp(kind, "prefix")) {
		int k = 0;

		while ((t = token(&v))) {
			struct pol_prefix p;
			struct pol_prefix *nv;

			k++;
			if (pol_prefix_parse(t, POL_PFX_SLASH, &p, err, sizeof(err))) {
				ignore(c, "ipsec:route-set=prefix '%s': %s", t, err);
				continue;
			}
			if (z->a.n_route_remote >= AAA_AZ_ROUTES_MAX) {
				ignore(c, "ipsec:route-set=prefix '%s': more than %u prefixes", t,
				       AAA_AZ_ROUTES_MAX);
				continue;
			}
			nv = realloc(z->a.route_remote,
				     (z->a.n_route_remote + 1) * sizeof(*z->a.route_remote));
			if (!nv) {
				c->oom = true;
				return;
			}
			z->a.route_remote = nv;
			z->a.route_remote[z->a.n_route_remote++] = p;
			mark(c, AAA_AZ_ROUTE_REMOTE);
		}
		if (!k)
			ignore(c, "ipsec:route-set=prefix: no prefix");
		return;
	}
	if (!strcmp(kind, "access-list")) {
		bool v6 = false;
		const struct pol_acl *acl;
		enum aaa_az_field f;

		t = token(&v);
		if (t && !strcmp(t, "ipv6")) {
			v6 = true;
			t = token(&v);
		}
		f = v6 ? AAA_AZ_ROUTE_ACL6 : AAA_AZ_ROUTE_ACL;
		if (!t || token(&v)) {
			ignore(c, "ipsec:route-set=access-list: expected [ipv6] NAME");
			return;
		}
		acl = c->set ? pol_acl_find(c->set, t) : NULL;
		if (!acl) {
			ignore(c, "ipsec:route-set=access-list %s%s: no such access list in the "
			       "configuration", v6 ? "ipv6 " : "", t);
			return;
		}
		if (acl->af != (v6 ? 6 : 4)) {
			ignore(c, "ipsec:route-set=access-list %s%s: access list %s is IPv%u",
			       v6 ? "ipv6 " : "", t, t, acl->af);
			return;
		}
		if (!once(c, f, v6 ? "ipsec:route-set=access-list ipv6" : "ipsec:route-set=access-list"))
			return;
		if (v6)
			z->a.route_acl6 = acl;
		else
			z->a.route_acl = acl;
		mark(c, f);
		return;
	}
	if (!strcmp(kind, "interface")) {
		t = token(&v);
		if (!t || token(&v)) {
			ignore(c, "ipsec:route-set=interface: expected NAME");
			return;
		}
		if (once(c, AAA_AZ_ROUTE_INTERFACE, "ipsec:route-set=interface") &&
		    str_into(c, "route-set=interface", t, z->a.route_interface,
			     sizeof(z->a.route_interface)))
			mark(c, AAA_AZ_ROUTE_INTERFACE);
		return;
	}
	ignore(c, "ipsec:route-set=%s: expected prefix, access-list or interface", kind);
}

static void route_accept(struct ctx *c, char *v)
{
	struct aaa_authz *z = c->z;
	char *t = token(&v);
	long tag = 0, dist = 0;

	if (!t || strcmp(t, "any")) {
		ignore(c, "ipsec:route-accept: expected 'any [tag N] [distance N]'");
		return;
	}
	while ((t = token(&v))) {
		char *n = token(&v);

		if (!strcmp(t, "tag") && n && parse_long(n, 1, 497777, &tag))
			continue;
		if (!strcmp(t, "distance") && n && parse_long(n, 1, 255, &dist))
			continue;
		ignore(c, "ipsec:route-accept: '%s %s': expected tag 1..497777 or distance 1..255",
		       t, n ? n : "");
		return;
	}
	if (!once(c, AAA_AZ_ROUTE_ACCEPT, "ipsec:route-accept"))
		return;
	z->a.route_accept = true;
	z->a.route_accept_tag = (int)tag;
	z->a.route_accept_distance = (int)dist;
	mark(c, AAA_AZ_ROUTE_ACCEPT);
}

static void names(struct ctx *c, const char *attr, char *v, char **arr, unsigned *n,
		  unsigned max, enum aaa_az_field f)
{
	char *t;
	int k = 0;

	while ((t = token(&v))) {
		k++;
		if (!is_name(t)) {
			ignore(c, "ipsec:%s '%s': not a host or domain name", attr, t);
			continue;
		}
		if (*n >= max) {
			ignore(c, "ipsec:%s '%s': more than %u names", attr, t, max);
			continue;
		}
		if (!(arr[*n] = xstrdup(c, t)))
			return;
		(*n)++;
		mark(c, f);
	}
	if (!k)
		ignore(c, "ipsec:%s: empty", attr);
}

static void banner(struct ctx *c, const char *v)
{
	struct aaa_authz *z = c->z;
	size_t old = z->a.banner ? strlen(z->a.banner) : 0, n = strlen(v);
	char *b;

	if (!n || !is_text(v, n, true)) {
		ignore(c, "ipsec:banner: %s", n ? "not printable text" : "empty");
		return;
	}
	if (old + !!old + n > AAA_AZ_BANNER_MAX) {
		ignore(c, "ipsec:banner: the banner would exceed %u bytes", AAA_AZ_BANNER_MAX);
		return;
	}
	b = realloc(z->a.banner, old + !!old + n + 1);
	if (!b) {
		c->oom = true;
		return;
	}
	if (old)
		b[old++] = '\n';
	memcpy(b + old, v, n + 1);
	z->a.banner = b;
	mark(c, AAA_AZ_BANNER);
}

static void psk(struct ctx *c, const char *attr, const char *v, enum aaa_az_field f)
{
	struct aaa_authz *z = c->z;
	size_t n = strlen(v);
	uint8_t **dst = f == AAA_AZ_PSK_LOCAL ? &z->psk_local : &z->psk_remote;
	size_t *dlen = f == AAA_AZ_PSK_LOCAL ? &z->psk_local_len : &z->psk_remote_len;

	if (!n || n > AAA_AZ_PSK_MAX) {   /* never log the value */
		ignore(c, "ipsec:%s: %s", attr, n ? "longer than 128 bytes" : "empty");
		return;
	}
	if (!once(c, f, attr))
		return;
	if (!(*dst = malloc(n))) {
		c->oom = true;
		return;
	}
	memcpy(*dst, v, n);
	*dlen = n;
	mark(c, f);
}

static void ipsec_attr(struct ctx *c, const char *attr, char *v)
{
	struct aaa_authz *z = c->z;
	struct pol_authz *a = &z->a;
	bool b;
	long x;

	if (!strcmp(attr, "addr-pool") || !strcmp(attr, "ipv6-addr-pool")) {
		bool v6 = attr[0] == 'i';
		enum aaa_az_field f = v6 ? AAA_AZ_IPV6_POOL : AAA_AZ_POOL;
		char *t = token(&v);

		if (!t || token(&v)) {
			ignore(c, "ipsec:%s: expected one pool name", attr);
			return;
		}
		if (once(c, f, attr) &&
		    str_into(c, attr, t, v6 ? a->ipv6_pool : a->pool, sizeof(a->pool)))
			mark(c, f);
	} else if (!strcmp(attr, "dns-servers")) {
		unsigned n0 = a->n_dns;

		addr_list(c, attr, v, AF_INET, &a->dns[0][0], &a->n_dns);
		if (a->n_dns > n0)
			mark(c, AAA_AZ_DNS);
	} else if (!strcmp(attr, "wins-servers")) {
		unsigned n0 = a->n_wins;

		addr_list(c, attr, v, AF_INET, &a->wins[0][0], &a->n_wins);
		if (a->n_wins > n0)
			mark(c, AAA_AZ_WINS);
	} else if (!strcmp(attr, "ipv6-dns-servers-addr")) {
		unsigned n0 = a->n_dns6;

		addr_list(c, attr, v, AF_INET6, &a->dns6[0][0], &a->n_dns6);
		if (a->n_dns6 > n0)
			mark(c, AAA_AZ_DNS6);
	} else if (!strcmp(attr, "route-set")) {
		route_set(c, v);
	} else if (!strcmp(attr, "route-accept")) {
		route_accept(c, v);
	} else if (!strcmp(attr, "banner")) {
		banner(c, v);
	} else if (!strcmp(attr, "default-domain")) {
		char *t = token(&v);

		if (!t || token(&v) || !is_name(t))
			ignore(c, "ipsec:default-domain: expected one domain name");
		else if (once(c, AAA_AZ_DEF_DOMAIN, attr) &&
			 str_into(c, attr, t, a->def_domain, sizeof(a->def_domain)))
			mark(c, AAA_AZ_DEF_DOMAIN);
	} else if (!strcmp(attr, "split-dns")) {
		names(c, attr, v, a->split_dns, &a->n_split_dns, POL_MAX_SPLIT_DNS,
		      AAA_AZ_SPLIT_DNS);
	} else if (!strcmp(attr, "ipsec-backup-gateway")) {
		names(c, attr, v, a->backup_gw, &a->n_backup_gw, POL_MAX_BACKUP_GW,
		      AAA_AZ_BACKUP_GW);
	} else if (!strcmp(attr, "pfs") || !strcmp(attr, "include-local-lan") ||
		   !strcmp(attr, "smartcard-removal-disconnect")) {
		enum aaa_az_field f = attr[0] == 'p' ? AAA_AZ_PFS :
				      attr[0] == 'i' ? AAA_AZ_LOCAL_LAN : AAA_AZ_SMARTCARD;

		if (!parse_bool(v, &b))
			ignore(c, "ipsec:%s value '%s': expected 1 or 0 (true/false, yes/no)", attr,
			       v);
		else if (once(c, f, attr)) {
			*(f == AAA_AZ_PFS ? &a->pfs : f == AAA_AZ_LOCAL_LAN ? &a->include_local_lan :
			  &a->smartcard_removal_disconnect) = b;
			mark(c, f);
		}
	} else if (!strcmp(attr, "configuration-url")) {
		size_t n = strlen(v);

		if (!n || n > AAA_AZ_URL_MAX || !is_text(v, n, false) || strchr(v, ' '))
			ignore(c, "ipsec:configuration-url: not a URL (printable, no spaces, 1..%u "
			       "bytes)", AAA_AZ_URL_MAX);
		else if (once(c, AAA_AZ_CONFIG_URL, attr) && (a->config_url = xstrdup(c, v)))
			mark(c, AAA_AZ_CONFIG_URL);
	} else if (!strcmp(attr, "configuration-version")) {
		if (once(c, AAA_AZ_CONFIG_VERSION, attr) &&
		    str_into(c, attr, v, a->config_version, sizeof(a->config_version)))
			mark(c, AAA_AZ_CONFIG_VERSION);
	} else if (!strcmp(attr, "ipsec-flow-limit")) {
		if (!parse_long(v, 0, 50000, &x))
			ignore(c, "ipsec:ipsec-flow-limit value '%s': expected 0..50000", v);
		else if (once(c, AAA_AZ_FLOW_LIMIT, attr)) {
			a->flow_limit = x;
			mark(c, AAA_AZ_FLOW_LIMIT);
		}
	} else if (!strcmp(attr, "addrv6")) {
		if (inet_pton(AF_INET6, v, z->addr6) != 1) {
			memset(z->addr6, 0, sizeof(z->addr6));
			ignore(c, "ipsec:addrv6 value '%s': not an IPv6 address", v);
		} else if (z->addr6[0] == 0xff || !memcmp(z->addr6, (uint8_t[16]){ 0 }, 16)) {
			ignore(c, "ipsec:addrv6 value '%s': not a unicast address", v);
		} else if (once(c, AAA_AZ_ADDR6, attr)) {
			mark(c, AAA_AZ_ADDR6);
		}
	} else if (!strcmp(attr, "prefix-len")) {
		if (!parse_long(v, 1, 128, &x))
			ignore(c, "ipsec:prefix-len value '%s': expected 1..128", v);
		else
			z->addr6_plen = (uint8_t)x;
	} else if (!strcmp(attr, "ikev2-password-local")) {
		psk(c, attr, v, AAA_AZ_PSK_LOCAL);
	} else if (!strcmp(attr, "ikev2-password-remote")) {
		psk(c, attr, v, AAA_AZ_PSK_REMOTE);
	} else if (!strcmp(attr, "group-dhcp-server") || !strcmp(attr, "dhcp-giaddr")) {
		bool srv = attr[0] == 'g';
		enum aaa_az_field f = srv ? AAA_AZ_DHCP_SERVER : AAA_AZ_DHCP_GIADDR;
		uint8_t ip[4];

		if (inet_pton(AF_INET, v, ip) != 1)
			ignore(c, "ipsec:%s value '%s': not an IPv4 address", attr, v);
		else if (once(c, f, attr) &&
			 str_into(c, attr, v, srv ? a->dhcp_server : a->dhcp_giaddr,
				  srv ? sizeof(a->dhcp_server) : sizeof(a->dhcp_giaddr)))
			mark(c, f);
	} else if (!strcmp(attr, "dhcp-timeout")) {
		if (!parse_long(v, 1, 100, &x))
			ignore(c, "ipsec:dhcp-timeout value '%s': expected 1..100", v);
		else if (once(c, AAA_AZ_DHCP_TIMEOUT, attr)) {
			a->dhcp_timeout = (int)x;
			mark(c, AAA_AZ_DHCP_TIMEOUT);
		}
	} else {
		ignore(c, "ipsec:%s: not an attribute of IKEv2 authorization", attr);
	}
}

static void interface_config(struct ctx *c, const char *v)
{
	struct pol_authz *a = &c->z->a;
	size_t n = strlen(v);
	char **nv;

	if (!n || !is_text(v, n, false)) {
		ignore(c, "ip:interface-config: %s", n ? "not printable text" : "empty");
		return;
	}
	if (a->n_interface_config >= AAA_AZ_IFCFG_MAX) {
		ignore(c, "ip:interface-config: more than %u values", AAA_AZ_IFCFG_MAX);
		return;
	}
	nv = realloc(a->interface_config, (a->n_interface_config + 1) * sizeof(*nv));
	if (!nv) {
		c->oom = true;
		return;
	}
	a->interface_config = nv;
	if (!(nv[a->n_interface_config] = xstrdup(c, v)))
		return;
	a->n_interface_config++;
	mark(c, AAA_AZ_INTERFACE_CONFIG);
}

/* "protocol:attribute=value" ('*' for optional attributes reads the same). */
static void avpair(struct ctx *c, const uint8_t *val, size_t len)
{
	char buf[RADIUS_ATTR_MAX_VALUE + 1], *colon, *sep;

	memcpy(buf, val, len);
	buf[len] = '\0';
	if (memchr(val, '\0', len) || !is_text(buf, len, false)) {
		ignore(c, "Cisco-AVPair of %zu bytes: not printable text", len);
		return;
	}
	colon = strchr(buf, ':');
	sep = colon ? strpbrk(colon + 1, "=*") : NULL;
	if (!colon || !sep || sep == colon + 1) {
		ignore(c, "Cisco-AVPair \"%s\": not protocol:attribute=value", buf);
		return;
	}
	*colon = '\0';
	*sep = '\0';
	if (!strcmp(buf, "ipsec")) {
		ipsec_attr(c, colon + 1, sep + 1);
	} else if (!strcmp(buf, "ip") && !strcmp(colon + 1, "interface-config")) {
		interface_config(c, sep + 1);
	} else {
		RP_DEBUG("aaa", "authorization for %s: Cisco-AVPair %s:%s is not for IKEv2",
			 c->who, buf, colon + 1);
	}
	OPENSSL_cleanse(buf, len + 1);   /* it may have held a pre-shared key */
}

static void framed(struct ctx *c, const struct radius_pkt *pkt)
{
	struct aaa_authz *z = c->z;
	const struct radius_attr *at;
	unsigned from;
	char t[INET6_ADDRSTRLEN];

	from = 0;
	if ((at = radius_find(pkt, 0, RADIUS_A_FRAMED_IP_ADDRESS, &from))) {
		inet_ntop(AF_INET, at->val, t, sizeof(t));
		if (at->val[0] == 255 && at->val[1] == 255 && at->val[2] == 255 &&
		    (at->val[3] == 255 || at->val[3] == 254))
			RP_INFO("aaa", "authorization for %s: Framed-IP-Address %s: the address "
				"comes from the pool", c->who, t);
		else if (!ip4_usable(at->val))
			ignore(c, "Framed-IP-Address %s: not a unicast address", t);
		else {
			memcpy(z->framed_ip, at->val, 4);
			mark(c, AAA_AZ_FRAMED_IP);
		}
		if (radius_find(pkt, 0, RADIUS_A_FRAMED_IP_ADDRESS, &from))
			ignore(c, "Framed-IP-Address: repeated (the first is used)");
	}
	if ((at = radius_find(pkt, 0, RADIUS_A_FRAMED_IP_NETMASK, NULL))) {
		uint8_t plen = 0;

		inet_ntop(AF_INET, at->val, t, sizeof(t));
		if (!rp_mask4_plen(at->val, &plen) || plen == 0)
			ignore(c, "Framed-IP-Netmask %s: not a contiguous netmask", t);
		else {
			z->a.has_netmask = true;
			z->a.netmask_plen = plen;
			mark(c, AAA_AZ_NETMASK);
		}
	}
}

/* Framed-IPv6-Address (RFC 6911), when ipsec:addrv6 gave no address (read after it). */
static void framed6(struct ctx *c, const struct radius_pkt *pkt)
{
	struct aaa_authz *z = c->z;
	const struct radius_attr *at = radius_find(pkt, 0, RADIUS_A_FRAMED_IPV6_ADDRESS, NULL);
	char t[INET6_ADDRSTRLEN];

	if (!at)
		return;
	inet_ntop(AF_INET6, at->val, t, sizeof(t));
	if (at->val[0] == 0xff || !memcmp(at->val, (uint8_t[16]){ 0 }, 16))
		ignore(c, "Framed-IPv6-Address %s: not a unicast address", t);
	else if (z->set & AAA_AZ_BIT(AAA_AZ_ADDR6))
		RP_INFO("aaa", "authorization for %s: Framed-IPv6-Address %s not used: "
			"ipsec:addrv6 gave the address", c->who, t);
	else {
		memcpy(z->addr6, at->val, 16);
		z->addr6_plen = 128;
		mark(c, AAA_AZ_ADDR6);
	}
}

/* RFC 2868: Tunnel-Type (ESP = 9), Tunnel-Medium-Type, Tunnel-Password (salt-encrypted
 * like MS-MPPE keys, after a tag octet): the AAA pre-shared key for both directions, unless
 * ipsec:ikev2-password-local / -remote gave them. */
static void tunnel(struct ctx *c, const struct radius_pkt *pkt, const uint8_t *req_auth,
		   const void *secret, size_t secret_len)
{
	struct aaa_authz *z = c->z;
	const struct radius_attr *at;
	uint8_t key[256];
	int n;

	if ((at = radius_find(pkt, 0, RADIUS_A_TUNNEL_TYPE, NULL))) {
		if (at->len != 4)
			ignore(c, "Tunnel-Type of %u bytes (expected a tag and 3 bytes)", at->len);
		else if (at->val[3] != 9 || at->val[1] || at->val[2])
			ignore(c, "Tunnel-Type %u: not ESP (9)",
			       (unsigned)at->val[1] << 16 | (unsigned)at->val[2] << 8 | at->val[3]);
	}
	if ((at = radius_find(pkt, 0, RADIUS_A_TUNNEL_MEDIUM_TYPE, NULL)) && at->len != 4)
		ignore(c, "Tunnel-Medium-Type of %u bytes (expected a tag and 3 bytes)", at->len);
	if (!(at = radius_find(pkt, 0, RADIUS_A_TUNNEL_PASSWORD, NULL)))
		return;
	if (!req_auth || !secret) {
		ignore(c, "Tunnel-Password: no request authenticator to decrypt it");
		return;
	}
	n = at->len < 4 ? -EBADMSG :
	    radius_mppe_decrypt(at->val + 1, at->len - 1u, req_auth, secret, secret_len, key,
				sizeof(key));
	if (n <= 0 || (size_t)n > AAA_AZ_PSK_MAX) {
		ignore(c, "Tunnel-Password: %s", n == 0 ? "empty" :
		       n > 0 ? "longer than 128 bytes" : "malformed (RFC 2868 §3.5)");
		OPENSSL_cleanse(key, sizeof(key));
		return;
	}
	for (int k = 0; k < 2; k++) {
		enum aaa_az_field f = k ? AAA_AZ_PSK_REMOTE : AAA_AZ_PSK_LOCAL;
		uint8_t **dst = k ? &z->psk_remote : &z->psk_local;
		size_t *dlen = k ? &z->psk_remote_len : &z->psk_local_len;

		if (z->set & AAA_AZ_BIT(f))
			continue;
		if (!(*dst = malloc((size_t)n))) {
			c->oom = true;
			break;
		}
		memcpy(*dst, key, (size_t)n);
		*dlen = (size_t)n;
		mark(c, f);
	}
	OPENSSL_cleanse(key, sizeof(key));
}

int aaa_authz_from_radius(const struct radius_pkt *pkt, const struct pol_set *set,
			  const uint8_t *req_auth, const void *secret, size_t secret_len,
			  const char *who, struct aaa_authz *z)
{
	struct ctx c = { .z = z, .set = set, .who = who ? who : "?" };
	const struct radius_attr *at;
	unsigned from = 0;

	aaa_authz_init(z, who);
	framed(&c, pkt);
	while (!c.oom && (at = radius_find(pkt, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR, &from))) {
		avpair(&c, at->val, at->len);
	}
	if (!c.oom)
		framed6(&c, pkt);
	if (!c.oom)
		tunnel(&c, pkt, req_auth, secret, secret_len);
	if (c.oom) {
		aaa_authz_free(z);
		return -ENOMEM;
	}
	return 0;
}

/* ---- merging ---------------------------------------------------------------------------- */

static char **dup_strv(char *const *v, unsigned n, bool *oom)
{
	char **d;

	if (!n)
		return NULL;
	if (!(d = calloc(n, sizeof(*d)))) {
		*oom = true;
		return NULL;
	}
	for (unsigned i = 0; i < n; i++)
		if (v[i] && !(d[i] = strdup(v[i])))
			*oom = true;
	return d;
}

static uint8_t *dup_mem(const uint8_t *p, size_t n, bool *oom)
{
	uint8_t *d;

	if (!p || !n)
		return NULL;
	if (!(d = malloc(n)))
		*oom = true;
	else
		memcpy(d, p, n);
	return d;
}

static char *dup_str(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*oom = true;
	return d;
}

/* Copy field @p f of @p s into @p d (which holds nothing of it yet). */
static void copy_field(struct aaa_authz *d, const struct aaa_authz *s, enum aaa_az_field f,
		       bool *oom)
{
	struct pol_authz *a = &d->a;
	const struct pol_authz *b = &s->a;

	switch (f) {
	case AAA_AZ_POOL: memcpy(a->pool, b->pool, sizeof(a->pool)); break;
	case AAA_AZ_IPV6_POOL: memcpy(a->ipv6_pool, b->ipv6_pool, sizeof(a->ipv6_pool)); break;
	case AAA_AZ_NETMASK:
		a->has_netmask = b->has_netmask;
		a->netmask_plen = b->netmask_plen;
		break;
	case AAA_AZ_DNS: a->n_dns = b->n_dns; memcpy(a->dns, b->dns, sizeof(a->dns)); break;
	case AAA_AZ_DNS6: a->n_dns6 = b->n_dns6; memcpy(a->dns6, b->dns6, sizeof(a->dns6)); break;
	case AAA_AZ_WINS: a->n_wins = b->n_wins; memcpy(a->wins, b->wins, sizeof(a->wins)); break;
	case AAA_AZ_DHCP_SERVER:
		memcpy(a->dhcp_server, b->dhcp_server, sizeof(a->dhcp_server));
		break;
	case AAA_AZ_DHCP_GIADDR:
		memcpy(a->dhcp_giaddr, b->dhcp_giaddr, sizeof(a->dhcp_giaddr));
		break;
	case AAA_AZ_DHCP_TIMEOUT: a->dhcp_timeout = b->dhcp_timeout; break;
	case AAA_AZ_ROUTE_INTERFACE:
		memcpy(a->route_interface, b->route_interface, sizeof(a->route_interface));
		break;
	case AAA_AZ_ROUTE_ACL: a->route_acl = b->route_acl; break;
	case AAA_AZ_ROUTE_ACL6: a->route_acl6 = b->route_acl6; break;
	case AAA_AZ_ROUTE_REMOTE:
		if (b->n_route_remote) {
			a->route_remote = (struct pol_prefix *)dup_mem(
				(const uint8_t *)b->route_remote,
				b->n_route_remote * sizeof(*b->route_remote), oom);
			if (a->route_remote)
				a->n_route_remote = b->n_route_remote;
		}
		break;
	case AAA_AZ_ROUTE_ACCEPT:
		a->route_accept = b->route_accept;
		a->route_accept_tag = b->route_accept_tag;
		a->route_accept_distance = b->route_accept_distance;
		break;
	case AAA_AZ_BANNER: a->banner = dup_str(b->banner, oom); break;
	case AAA_AZ_DEF_DOMAIN: memcpy(a->def_domain, b->def_domain, sizeof(a->def_domain)); break;
	case AAA_AZ_SPLIT_DNS:
		for (unsigned i = 0; i < b->n_split_dns && i < POL_MAX_SPLIT_DNS; i++)
			if ((a->split_dns[a->n_split_dns] = dup_str(b->split_dns[i], oom)))
				a->n_split_dns++;
		break;
	case AAA_AZ_BACKUP_GW:
		for (unsigned i = 0; i < b->n_backup_gw && i < POL_MAX_BACKUP_GW; i++)
			if ((a->backup_gw[a->n_backup_gw] = dup_str(b->backup_gw[i], oom)))
				a->n_backup_gw++;
		break;
	case AAA_AZ_PFS: a->pfs = b->pfs; break;
	case AAA_AZ_LOCAL_LAN: a->include_local_lan = b->include_local_lan; break;
	case AAA_AZ_SMARTCARD: a->smartcard_removal_disconnect = b->smartcard_removal_disconnect; break;
	case AAA_AZ_CONFIG_URL: a->config_url = dup_str(b->config_url, oom); break;
	case AAA_AZ_CONFIG_VERSION:
		memcpy(a->config_version, b->config_version, sizeof(a->config_version));
		break;
	case AAA_AZ_SESSION_LIFETIME: a->session_lifetime = b->session_lifetime; break;
	case AAA_AZ_FLOW_LIMIT: a->flow_limit = b->flow_limit; break;
	case AAA_AZ_INTERFACE_CONFIG:
		memcpy(a->attr_list, b->attr_list, sizeof(a->attr_list));
		a->interface_config = dup_strv(b->interface_config, b->n_interface_config, oom);
		if (a->interface_config)
			a->n_interface_config = b->n_interface_config;
		break;
	case AAA_AZ_FRAMED_IP: memcpy(d->framed_ip, s->framed_ip, 4); break;
	case AAA_AZ_ADDR6:
		memcpy(d->addr6, s->addr6, 16);
		d->addr6_plen = s->addr6_plen;
		break;
	case AAA_AZ_PSK_LOCAL:
		if ((d->psk_local = dup_mem(s->psk_local, s->psk_local_len, oom)))
			d->psk_local_len = s->psk_local_len;
		break;
	case AAA_AZ_PSK_REMOTE:
		if ((d->psk_remote = dup_mem(s->psk_remote, s->psk_remote_len, oom)))
			d->psk_remote_len = s->psk_remote_len;
		break;
	case AAA_AZ_N:
		break;
	}
}

/* Fields a local authorization policy holds (the rest only AAA gives). */
static bool in_policy(enum aaa_az_field f)
{
	return f != AAA_AZ_FRAMED_IP && f != AAA_AZ_ADDR6 && f != AAA_AZ_PSK_LOCAL &&
	       f != AAA_AZ_PSK_REMOTE;
}

int aaa_authz_merge(const struct pol_authz *base, const struct aaa_authz *group,
		    const struct aaa_authz *cached, const struct aaa_authz *user,
		    bool group_override, const char *name, struct aaa_authz *z)
{
	const struct aaa_authz *order[3];
	const char *label[3];
	struct aaa_authz b;
	bool oom = false;

	if (group_override) {
		order[0] = group, label[0] = "group";
		order[1] = user, label[1] = "user";
		order[2] = cached, label[2] = "cached";
	} else {
		order[0] = user, label[0] = "user";
		order[1] = cached, label[1] = "cached";
		order[2] = group, label[2] = "group";
	}
	aaa_authz_init(z, name);
	if (base) {
		memset(&b, 0, sizeof(b));
		b.a = *base;   /* borrowed: copy_field() duplicates what it takes */
	}
	for (unsigned f = 0; f < AAA_AZ_N; f++) {
		const struct aaa_authz *src = NULL;

		for (unsigned k = 0; k < 3 && !src; k++)
			if (order[k] && (order[k]->set & AAA_AZ_BIT(f))) {
				src = order[k];
				z->from[f] = label[k];
			}
		if (src) {
			copy_field(z, src, f, &oom);
			z->set |= AAA_AZ_BIT(f);
		} else if (base && in_policy(f)) {
			copy_field(z, &b, f, &oom);
			z->from[f] = base->name;
		}
	}
	if (oom) {
		aaa_authz_free(z);
		return -ENOMEM;
	}
	return 0;
}

/* Whether a local policy holds attribute @p f (a boolean only when on: a policy cannot say
 * "off" explicitly). */
static bool policy_has(const struct pol_authz *a, enum aaa_az_field f)
{
	switch (f) {
	case AAA_AZ_POOL: return a->pool[0];
	case AAA_AZ_IPV6_POOL: return a->ipv6_pool[0];
	case AAA_AZ_NETMASK: return a->has_netmask;
	case AAA_AZ_DNS: return a->n_dns;
	case AAA_AZ_DNS6: return a->n_dns6;
	case AAA_AZ_WINS: return a->n_wins;
	case AAA_AZ_DHCP_SERVER: return a->dhcp_server[0];
	case AAA_AZ_DHCP_GIADDR: return a->dhcp_giaddr[0];
	case AAA_AZ_DHCP_TIMEOUT: return a->dhcp_timeout > 0;
	case AAA_AZ_ROUTE_INTERFACE: return a->route_interface[0];
	case AAA_AZ_ROUTE_ACL: return a->route_acl;
	case AAA_AZ_ROUTE_ACL6: return a->route_acl6;
	case AAA_AZ_ROUTE_REMOTE: return a->n_route_remote;
	case AAA_AZ_ROUTE_ACCEPT: return a->route_accept;
	case AAA_AZ_BANNER: return a->banner;
	case AAA_AZ_DEF_DOMAIN: return a->def_domain[0];
	case AAA_AZ_SPLIT_DNS: return a->n_split_dns;
	case AAA_AZ_BACKUP_GW: return a->n_backup_gw;
	case AAA_AZ_PFS: return a->pfs;
	case AAA_AZ_LOCAL_LAN: return a->include_local_lan;
	case AAA_AZ_SMARTCARD: return a->smartcard_removal_disconnect;
	case AAA_AZ_CONFIG_URL: return a->config_url;
	case AAA_AZ_CONFIG_VERSION: return a->config_version[0];
	case AAA_AZ_SESSION_LIFETIME: return a->session_lifetime > 0;
	case AAA_AZ_FLOW_LIMIT: return a->flow_limit >= 0;
	case AAA_AZ_INTERFACE_CONFIG: return a->n_interface_config || a->attr_list[0];
	default: return false;
	}
}

int aaa_authz_from_policy(const struct pol_authz *p, struct aaa_authz *z)
{
	int rc = aaa_authz_merge(p, NULL, NULL, NULL, false, p->name, z);

	if (rc)
		return rc;
	for (unsigned f = 0; f < AAA_AZ_N; f++) {
		z->from[f] = NULL;
		if (in_policy(f) && policy_has(p, f))
			z->set |= AAA_AZ_BIT(f);
	}
	return 0;
}

const char *aaa_authz_sources(const struct aaa_authz *z, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned f = 0; f < AAA_AZ_N && off < len; f++) {
		if (!(z->set & AAA_AZ_BIT(f)))
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s (%s)", off ? ", " : "",
					field_names[f], z->from[f] ? z->from[f] : "aaa");
	}
	if (!off && len)
		snprintf(buf, len, "none from AAA");
	return buf;
}

int aaa_authz_psk(const struct aaa_authz *z, const uint8_t **remote, size_t *remote_len,
		  const uint8_t **local, size_t *local_len)
{
	bool r = z->psk_remote && z->psk_remote_len, l = z->psk_local && z->psk_local_len;

	*remote = r ? z->psk_remote : l ? z->psk_local : NULL;
	*remote_len = r ? z->psk_remote_len : l ? z->psk_local_len : 0;
	*local = l ? z->psk_local : r ? z->psk_remote : NULL;
	*local_len = l ? z->psk_local_len : r ? z->psk_remote_len : 0;
	return r || l ? 0 : -ENOENT;
}

void aaa_authz_free(struct aaa_authz *z)
{
	struct pol_authz *a;

	if (!z)
		return;
	a = &z->a;
	free(a->route_remote);
	free(a->banner);
	free(a->config_url);
	for (unsigned i = 0; i < a->n_split_dns; i++)
		free(a->split_dns[i]);
	for (unsigned i = 0; i < a->n_backup_gw; i++)
		free(a->backup_gw[i]);
	for (unsigned i = 0; a->interface_config && i < a->n_interface_config; i++)
		free(a->interface_config[i]);
	free(a->interface_config);
	if (z->psk_local)
		OPENSSL_cleanse(z->psk_local, z->psk_local_len);
	if (z->psk_remote)
		OPENSSL_cleanse(z->psk_remote, z->psk_remote_len);
	free(z->psk_local);
	free(z->psk_remote);
	aaa_authz_init(z, NULL);
}
