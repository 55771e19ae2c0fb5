/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Prefixes as operators write them; access lists of prefixes. */
#include "controlplane/policy/acl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -EINVAL; } while (0)

static bool parse_addr(const char *s, size_t len, uint8_t *af, uint8_t *out)
{
	char buf[64];

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, out) == 1) {
		*af = 4;
		return true;
	}
	if (inet_pton(AF_INET6, buf, out) == 1) {
		*af = 6;
		return true;
	}
	return false;
}

bool pol_netmask_parse(const char *s, uint8_t *plen)
{
	uint8_t m[4];

	return inet_pton(AF_INET, s, m) == 1 && rp_mask4_plen(m, plen);
}

static bool host_bits_clear(const struct pol_prefix *p)
{
	unsigned bytes = p->af == 4 ? 4 : 16;

	for (unsigned i = 0; i < bytes; i++) {
		unsigned bit0 = i * 8;
		uint8_t keep = bit0 >= p->plen ? 0 : (p->plen - bit0 >= 8 ? 0xff :
			       (uint8_t)(0xff << (8 - (p->plen - bit0))));

		if (p->addr[i] & ~keep)
			return false;
	}
	return true;
}

int pol_prefix_parse(const char *s, unsigned forms, struct pol_prefix *p, char *err,
		     size_t errlen)
{
	const char *w[3];
	size_t wl[3];
	int n = 0;

	memset(p, 0, sizeof(*p));
	for (const char *c = s; *c;) {
		while (*c == ' ' || *c == '\t')
			c++;
		if (!*c)
			break;
		if (n == 3)
			FAIL("too many words in '%s'", s);
		w[n] = c;
		while (*c && *c != ' ' && *c != '\t')
			c++;
		wl[n] = (size_t)(c - w[n]);
		n++;
	}
	if (n && (forms & POL_PFX_PERMIT) && wl[0] == 6 && !strncmp(w[0], "permit", 6)) {
		for (int i = 1; i < n; i++) {
			w[i - 1] = w[i];
			wl[i - 1] = wl[i];
		}
		n--;
	}
	if (n == 0)
		FAIL("empty address");
	if (n == 2 && wl[0] == 4 && !strncmp(w[0], "host", 4) && (forms & POL_PFX_HOST)) {
		if (!parse_addr(w[1], wl[1], &p->af, p->addr))
			FAIL("'%.*s' is not an IP address", (int)wl[1], w[1]);
		p->plen = p->af == 4 ? 32 : 128;
		return 0;
	}
	if (n == 1) {
		const char *sl = memchr(w[0], '/', wl[0]);

		if (sl && (forms & POL_PFX_SLASH)) {
			char *end;
			long l;

			if (!parse_addr(w[0], (size_t)(sl - w[0]), &p->af, p->addr))
				FAIL("'%.*s' is not an IP address", (int)(sl - w[0]), w[0]);
			l = strtol(sl + 1, &end, 10);
			if (end != w[0] + wl[0] || end == sl + 1 || l < 0 || l > (p->af == 4 ? 32 : 128))
				FAIL("bad prefix length in '%.*s'", (int)wl[0], w[0]);
			p->plen = (uint8_t)l;
		} else if (!sl && (forms & POL_PFX_PLAIN)) {
			if (!parse_addr(w[0], wl[0], &p->af, p->addr))
				FAIL("'%.*s' is not an IP address", (int)wl[0], w[0]);
			p->plen = p->af == 4 ? 32 : 128;
			return 0;
		} else {
			FAIL("'%s' is not in a form accepted here", s);
		}
	} else if (n == 2 && (forms & (POL_PFX_MASK | POL_PFX_WILDCARD))) {
		uint8_t maf, m[16];

		if (!parse_addr(w[0], wl[0], &p->af, p->addr) || p->af != 4)
			FAIL("'%.*s' is not an IPv4 address", (int)wl[0], w[0]);
		if (!parse_addr(w[1], wl[1], &maf, m) || maf != 4)
			FAIL("'%.*s' is not an IPv4 mask", (int)wl[1], w[1]);
		/* 0.0.0.0 reads as /0 in both forms; otherwise the first octet tells them apart */
		bool wildcard = (forms & POL_PFX_WILDCARD) &&
				(!(forms & POL_PFX_MASK) || (m[0] != 255 && (m[0] | m[1] | m[2] | m[3])));

		if (!(m[0] | m[1] | m[2] | m[3])) {
			p->plen = 0;
		} else {
			if (wildcard) /* a wildcard mask is the inverted netmask */
				for (unsigned i = 0; i < 4; i++)
					m[i] = (uint8_t)~m[i];
			if (!rp_mask4_plen(m, &p->plen))
				FAIL("'%.*s' is not a contiguous %s", (int)wl[1], w[1],
				     wildcard ? "wildcard mask" : "netmask");
		}
	} else {
		FAIL("'%s' is not in a form accepted here", s);
	}
	if (!host_bits_clear(p))
		FAIL("'%s' has host bits set beyond the prefix length", s);
	return 0;
}

bool pol_prefix_contains(const struct pol_prefix *p, uint8_t af, const uint8_t *addr)
{
	unsigned full = p->plen / 8, rest = p->plen % 8;

	if (af != p->af)
		return false;
	if (memcmp(p->addr, addr, full))
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));

		return (addr[full] & m) == p->addr[full];
	}
	return true;
}

const char *pol_prefix_format(const struct pol_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->af == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->plen);
	return buf;
}

void pol_acl_free(struct pol_acl *a)
{
	free(a->v);
	a->v = NULL;
	a->n = 0;
}
