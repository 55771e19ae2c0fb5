/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Address pools: a bitmap of the addresses in use and a hint for the next free one. */
#include "controlplane/pool/pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct pool {
	struct pool_cfg cfg;
	uint32_t size, used, hint;
	uint64_t *bits;
};

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int pool_create(const struct pool_cfg *cfg, struct pool **out)
{
	struct pool *p;
	uint64_t size;

	*out = NULL;
	if (cfg->af == 4) {
		uint32_t a = be32(cfg->first), b = be32(cfg->last);

		if (b < a) {
			RP_ERR("pool", "pool %s: last address below the first", cfg->name);
			return -EINVAL;
		}
		size = (uint64_t)b - a + 1;
	} else if (cfg->af == 6) {
		if (cfg->plen < 64 || cfg->plen > 127) {
			RP_ERR("pool", "pool %s: IPv6 prefix length must be 64..127", cfg->name);
			return -EINVAL;
		}
		/* prefix + 1 .. prefix + 2^(128-plen) - 1, capped */
		size = cfg->plen >= 108 ? (1ull << (128 - cfg->plen)) - 1 : POOL_MAX_ADDRS;
	} else {
		return -EINVAL;
	}
	if (size == 0 || size > POOL_MAX_ADDRS) {
		RP_ERR("pool", "pool %s: %llu addresses, at most %u allowed", cfg->name,
		       (unsigned long long)size, POOL_MAX_ADDRS);
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
		uint32_t a = be32(p->cfg.first) + idx;

		addr[0] = (uint8_t)(a >> 24);
		addr[1] = (uint8_t)(a >> 16);
		addr[2] = (uint8_t)(a >> 8);
		addr[3] = (uint8_t)a;
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
		idx_to_addr(p, i, l->addr);
		return 0;
	}
	return -ENOSPC;
}

void pool_release(struct pool *p, struct pool_lease *l)
{
	if (!l->held || l->idx >= p->size || !(p->bits[l->idx / 64] & (1ull << (l->idx % 64))))
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
