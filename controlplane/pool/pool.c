/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Address pools: a bitmap of the addresses in use and a hint for the next free one. */
#include "controlplane/pool/pool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "common/log.h"

struct pool {
	struct pool_cfg cfg;
	uint32_t size, used, hint;
	uint64_t *bits;
};

/* The number of addresses of @p cfg, or 0 with the reason in @p err. */
static uint64_t cfg_size(const struct pool_cfg *cfg, char *err, size_t errlen)
{
	uint64_t size;

	if (cfg->af == 4) {
		uint32_t a = rp_get_be32(cfg->first), b = rp_get_be32(cfg->last);

		if (b < a) {
			snprintf(err, errlen, "the last address is below the first");
			return 0;
		}
		size = (uint64_t)b - a + 1;
	} else if (cfg->af == 6) {
		if (cfg->plen < 64 || cfg->plen > 127) {
			snprintf(err, errlen, "the IPv6 prefix length must be 64..127");
			return 0;
		}
		/* prefix + 1 .. prefix + 2^(128-plen) - 1, capped */
		size = cfg->plen >= 108 ? (1ull << (128 - cfg->plen)) - 1 : POOL_MAX_ADDRS;
	} else {
		snprintf(err, errlen, "address family %u", cfg->af);
		return 0;
	}
	if (size > POOL_MAX_ADDRS) {
		snprintf(err, errlen, "%llu addresses, at most %u allowed",
			 (unsigned long long)size, POOL_MAX_ADDRS);
		return 0;
	}
	return size;
}

int pool_cfg_check(const struct pool_cfg *cfg, char *err, size_t errlen)
{
	return cfg_size(cfg, err, errlen) ? 0 : -EINVAL;
}

int pool_create(const struct pool_cfg *cfg, struct pool **out)
{
	struct pool *p;
	uint64_t size;
	char err[128];

	*out = NULL;
	size = cfg_size(cfg, err, sizeof(err));
	if (!size) {
		RP_ERR("pool", "pool %s: %s", cfg->name, err);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->bits = calloc((size + 63) / 64, sizeof(uint64_t));
	if (!p->bits) {
		free(p);
		return -ENOMEM;
	}
	p->cfg = *cfg;
	p->size = (uint32_t)size;
	*out = p;
	return 0;
}

void pool_destroy(struct pool *p)
{
	if (!p)
		return;
	free(p->bits);
	free(p);
}

const struct pool_cfg *pool_cfg(const struct pool *p)
{
	return &p->cfg;
}

static void idx_to_addr(const struct pool *p, uint32_t idx, uint8_t *addr)
{
	memset(addr, 0, 16);
	if (p->cfg.af == 4) {
		uint32_t a = rp_get_be32(p->cfg.first) + idx;

		rp_put_be32(addr, a);
	} else {
		uint32_t v = idx + 1; /* never the prefix's all-zero address */

		memcpy(addr, p->cfg.first, 16);
		for (int i = 15; i >= 12; i--, v >>= 8)
			addr[i] = (uint8_t)(addr[i] + (v & 0xff));
	}
}

int pool_alloc(struct pool *p, struct pool_lease *l)
{
	memset(l, 0, sizeof(*l));
	if (p->used == p->size)
		return -ENOSPC;
	for (uint32_t n = 0; n < p->size; n++) {
		uint32_t i = (p->hint + n) % p->size;

		if (p->bits[i / 64] & (1ull << (i % 64)))
			continue;
		p->bits[i / 64] |= 1ull << (i % 64);
		p->used++;
		p->hint = (i + 1) % p->size;
		l->af = p->cfg.af;
		l->idx = i;
		l->held = true;
		l->pool = p;
		idx_to_addr(p, i, l->addr);
		return 0;
	}
	return -ENOSPC;
}

void pool_release(struct pool *p, struct pool_lease *l)
{
	if (l->pool)
		p = l->pool;
	if (!p || !l->held || l->idx >= p->size || !(p->bits[l->idx / 64] & (1ull << (l->idx % 64))))
		return;
	p->bits[l->idx / 64] &= ~(1ull << (l->idx % 64));
	p->used--;
	l->held = false;
}

void pool_usage(const struct pool *p, uint32_t *used, uint32_t *size)
{
	*used = p->used;
	*size = p->size;
}

void pool_lease_release(struct pool_lease *l)
{
	if (l->pool)
		pool_release(l->pool, l);
}

const char *pool_range_text(const struct pool *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (p->cfg.af == 4) {
		inet_ntop(AF_INET, p->cfg.first, a, sizeof(a));
		inet_ntop(AF_INET, p->cfg.last, b, sizeof(b));
		snprintf(buf, len, "%s - %s", a, b);
	} else {
		inet_ntop(AF_INET6, p->cfg.first, a, sizeof(a));
		snprintf(buf, len, "%s/%u", a, p->cfg.plen);
	}
	return buf;
}
