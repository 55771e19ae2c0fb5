/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The SA database: slots, inbound hash, outbound FIBs, routes, RCU reclamation, lifetimes.
 * Main lcore only, except the lookups of sad.h and dp_sad_read_lock() readers.
 */
#include <stdalign.h>
#include "dataplane/sad.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_spinlock.h>

#include "common/log.h"
#include "dataplane/manual.h"

static_assert(offsetof(struct dp_sa, esp) % RTE_CACHE_LINE_SIZE == 0, "dp_sa: esp line-aligned");
static_assert(offsetof(struct dp_sa, esp) - offsetof(struct dp_sa, gen) <= RTE_CACHE_LINE_SIZE,
	      "dp_sa: what workers read sits on the line before the ESP SA");
static_assert(sizeof(struct dp_sad_in_key) == 24, "inbound key layout");
static_assert(sizeof(struct rp_prefix) == 20, "route key layout");

/* Outbound sequence numbers skipped when an SA is swapped for a copy (SA_UPDATE of its
 * endpoints): the old copy may still send that many after its state was read. */
#define SEQ_SWAP_MARGIN 65536u

enum reclaim_kind {
	RECLAIM_SA = 1,     /* ptr: struct dp_sa; arg: slot to free (0: none, a swapped copy) */
	RECLAIM_IN_KEY = 2, /* arg: position in the inbound hash */
};

struct reclaim {
	uint64_t token;
	uint32_t kind;
	uint32_t arg;
	void *ptr;
};

struct sad_route {
	/* Also the route hash key (pad zero). Aligned to 8 because DPDK's rte_hash_crc reads
	 * the key 8 bytes at a time (UBSan reports misaligned loads otherwise). */
	alignas(8) struct rp_prefix prefix;
	uint32_t slot;           /* outbound SA */
	uint32_t prev, next;     /* list of the SA's routes, route indices, 0 = end */
	uint8_t stale, manual;
};

struct dp_sad {
	struct dp_sad_conf conf;
	struct rte_rcu_qsbr *qs;
	IMB_MGR *mgr;                  /* for esp_sa_init(): key expansion, job probe */
	struct dp_sa **slots;
	uint32_t n_slots;
	uint32_t *free_slots, n_free_slots;
	struct rte_hash *in_hash;      /* dp_sad_in_key -> slot (lock-free readers) */
	struct rte_hash *id_hash;      /* sa_id -> slot (main lcore only) */
	struct rte_hash *route_hash;   /* rp_prefix -> route index (main lcore only) */
	struct rte_fib *fib4;
	struct rte_lpm6 *lpm6;
	struct sad_route *routes;      /* [0..route_max], 0 unused */
	uint32_t *free_routes, n_free_routes;
	struct reclaim *rq;            /* FIFO of objects waiting for their grace period */
	size_t rq_head, rq_n, rq_cap;
	bool fib_written;              /* a FIB write whose grace period may not be over */
	uint64_t fib_token;
	uint32_t gen_next;
	uint32_t next_worker;
	uint32_t scan_pos;
	rte_spinlock_t reader_lock;
	struct dp_sad_counts cnt;
	unsigned int id;
};

static unsigned int sad_instances;

static int fail(char *why, size_t len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static const char *addr_str(uint8_t af, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(af == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* ---- creation ---------------------------------------------------------------------------- */

static bool nh_2b(uint32_t n_slots)
{
	/* DIR24-8/trie 2-byte next hops hold 15 bits (one marks extended entries). */
	return n_slots <= (1u << 15);
}

uint64_t dp_sad_table_bytes(const struct dp_sad_conf *c)
{
	uint64_t nh = nh_2b(c->sa_max + 1) ? 2 : 4;
	uint64_t b = 0;

	b += (1ull << 24) * nh + (1ull << 24) * 4;         /* DIR24-8 and LPM6 first levels */
	b += (uint64_t)c->fib_tbl8 * 256 * nh + (uint64_t)c->fib6_tbl8 * 256 * 4;
	b += (uint64_t)c->route_max * (64 + 48);           /* RIB nodes, LPM6 rules */
	b += (uint64_t)c->sa_max * 2 * (24 + 16 + 8) * 2;  /* inbound + id hashes (keys, buckets) */
	b += (uint64_t)c->route_max * (20 + 16 + 8) * 2;   /* route hash */
	b += (uint64_t)(c->sa_max + 1) * (8 + 4);          /* slots, free list */
	b += (uint64_t)(c->route_max + 1) * (sizeof(struct sad_route) + 4);
	return b;
}

static struct rte_hash *hash_make(const struct dp_sad *sad, const char *what, uint32_t entries,
				  uint32_t key_len, bool lf)
{
	struct rte_hash_parameters hp;
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash *h;

	snprintf(name, sizeof(name), "rp_%s_%u", what, sad->id);
	memset(&hp, 0, sizeof(hp));
	hp.name = name;
	hp.entries = RTE_MAX(entries, 8u); /* one bucket at least */
	hp.key_len = key_len;
	hp.hash_func = rte_hash_crc;
	hp.socket_id = sad->conf.socket;
	/* The extendable table keeps every insertion possible up to `entries` (cuckoo
	 * hashing alone may fail earlier on unlucky keys). */
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE |
			(lf ? RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF : 0);
	h = rte_hash_create(&hp);
	if (!h)
		RP_ERR("sad", "cannot create the %s hash (%u entries): %s", what, entries,
		       rte_strerror(rte_errno));
	return h;
}

int dp_sad_create(const struct dp_sad_conf *conf, struct rte_rcu_qsbr *qs, struct dp_sad **out)
{
	struct rte_fib_conf f4;
	struct rte_lpm6_config f6;
	struct dp_sad *sad;
	IMB_ARCH arch;
	char name[64];
	int rc = -ENOMEM;

	*out = NULL;
	/* Slots are LPM6 next hops: 21 bits. */
	if (conf->sa_max < 1 || conf->sa_max >= (1u << 21) || conf->route_max < 1 ||
	    !conf->n_workers)
		return -EINVAL;
	sad = calloc(1, sizeof(*sad));
	if (!sad)
		return -ENOMEM;
	sad->conf = *conf;
	sad->qs = qs;
	sad->id = sad_instances++;
	sad->gen_next = 1;
	rte_spinlock_init(&sad->reader_lock);

	sad->mgr = alloc_mb_mgr(0);
	if (!sad->mgr) {
		RP_ERR("sad", "cannot allocate an intel-ipsec-mb manager");
		goto err;
	}
	init_mb_mgr_auto(sad->mgr, &arch);
	if (imb_get_errno(sad->mgr)) {
		RP_ERR("sad", "intel-ipsec-mb initialisation failed: %s",
		       imb_get_strerror(imb_get_errno(sad->mgr)));
		rc = -ENOTSUP;
		goto err;
	}

	sad->n_slots = conf->sa_max + 1;
	sad->slots = rte_zmalloc_socket("rp_sa_slots", sizeof(*sad->slots) * sad->n_slots,
					RTE_CACHE_LINE_SIZE, conf->socket);
	sad->free_slots = malloc(sizeof(uint32_t) * conf->sa_max);
	sad->routes = calloc((size_t)conf->route_max + 1, sizeof(*sad->routes));
	sad->free_routes = malloc(sizeof(uint32_t) * conf->route_max);
	if (!sad->slots || !sad->free_slots || !sad->routes || !sad->free_routes) {
		RP_ERR("sad", "cannot allocate the slot and route arrays for %u SAs / %u routes",
		       conf->sa_max, conf->route_max);
		goto err;
	}
	/* Pop order 1, 2, 3...: slot numbers are small while the table is small. */
	for (uint32_t i = 0; i < conf->sa_max; i++)
		sad->free_slots[i] = conf->sa_max - i;
	sad->n_free_slots = conf->sa_max;
	for (uint32_t i = 0; i < conf->route_max; i++)
		sad->free_routes[i] = conf->route_max - i;
	sad->n_free_routes = conf->route_max;

	/* Room for deleted keys still waiting for their grace period. */
	sad->in_hash = hash_make(sad, "sa_in", conf->sa_max + conf->sa_max / 4 + 64,
				 sizeof(struct dp_sad_in_key), true);
	sad->id_hash = hash_make(sad, "sa_id", conf->sa_max, sizeof(uint32_t), false);
	sad->route_hash = hash_make(sad, "route", conf->route_max, sizeof(struct rp_prefix), false);
	if (!sad->in_hash || !sad->id_hash || !sad->route_hash)
		goto err;

	memset(&f4, 0, sizeof(f4));
	f4.type = RTE_FIB_DIR24_8;
	f4.default_nh = 0;
	f4.max_routes = (int)conf->route_max;
	f4.dir24_8.nh_sz = nh_2b(sad->n_slots) ? RTE_FIB_DIR24_8_2B : RTE_FIB_DIR24_8_4B;
	f4.dir24_8.num_tbl8 = conf->fib_tbl8;
	snprintf(name, sizeof(name), "rp_fib4_%u", sad->id);
	sad->fib4 = rte_fib_create(name, conf->socket, &f4);
	if (!sad->fib4) {
		RP_ERR("sad", "cannot create the IPv4 FIB (%u routes, %u groups): %s", conf->route_max,
		       conf->fib_tbl8, rte_strerror(rte_errno));
		goto err;
	}
	memset(&f6, 0, sizeof(f6));
	f6.max_rules = conf->route_max;
	f6.number_tbl8s = conf->fib6_tbl8;
	snprintf(name, sizeof(name), "rp_lpm6_%u", sad->id);
	sad->lpm6 = rte_lpm6_create(name, conf->socket, &f6);
	if (!sad->lpm6) {
		RP_ERR("sad", "cannot create the IPv6 LPM (%u routes, %u groups): %s",
		       conf->route_max, conf->fib6_tbl8, rte_strerror(rte_errno));
		goto err;
	}
	RP_INFO("sad", "SA tables: %u SAs, %u routes, %u IPv4 FIB / %u IPv6 LPM groups, %s next hops, "
		"about %" PRIu64 " MB plus %zu bytes per SA", conf->sa_max, conf->route_max,
		conf->fib_tbl8, conf->fib6_tbl8, nh_2b(sad->n_slots) ? "2-byte" : "4-byte",
		dp_sad_table_bytes(conf) >> 20, sizeof(struct dp_sa));
	*out = sad;
	return 0;
err:
	dp_sad_free(sad);
	return rc;
}

static void sa_destroy(struct dp_sa *sa)
{
	esp_sa_wipe(&sa->esp);
	explicit_bzero(sa, sizeof(*sa));
	rte_free(sa);
}

void dp_sad_free(struct dp_sad *sad)
{
	if (!sad)
		return;
	/* Workers are stopped: no reader is left, free at once. */
	for (size_t i = 0; i < sad->rq_n; i++) {
		struct reclaim *r = &sad->rq[(sad->rq_head + i) % sad->rq_cap];

		if (r->kind == RECLAIM_SA)
			sa_destroy(r->ptr);
	}
	free(sad->rq);
	for (uint32_t s = 1; sad->slots && s < sad->n_slots; s++)
		if (sad->slots[s])
			sa_destroy(sad->slots[s]);
	rte_free(sad->slots);
	free(sad->free_slots);
	free(sad->routes);
	free(sad->free_routes);
	rte_hash_free(sad->in_hash);
	rte_hash_free(sad->id_hash);
	rte_hash_free(sad->route_hash);
	rte_fib_free(sad->fib4);
	rte_lpm6_free(sad->lpm6);
	if (sad->mgr)
		free_mb_mgr(sad->mgr);
	free(sad);
}

/* ---- RCU ----------------------------------------------------------------------------------- */

static int defer(struct dp_sad *sad, uint32_t kind, uint32_t arg, void *ptr)
{
	struct reclaim *r;

	if (sad->rq_n == sad->rq_cap) {
		size_t cap = sad->rq_cap ? 2 * sad->rq_cap : 1024;
		struct reclaim *n = malloc(cap * sizeof(*n));

		if (!n) {
			/* Cannot remember it: wait for the grace period here instead. */
			rte_rcu_qsbr_synchronize(sad->qs, RTE_QSBR_THRID_INVALID);
			if (kind == RECLAIM_SA) {
				sa_destroy(ptr);
				if (arg)
					sad->free_slots[sad->n_free_slots++] = arg;
			} else {
				rte_hash_free_key_with_position(sad->in_hash, (int32_t)arg);
			}
			return 0;
		}
		for (size_t i = 0; i < sad->rq_n; i++)
			n[i] = sad->rq[(sad->rq_head + i) % sad->rq_cap];
		free(sad->rq);
		sad->rq = n;
		sad->rq_cap = cap;
		sad->rq_head = 0;
	}
	r = &sad->rq[(sad->rq_head + sad->rq_n) % sad->rq_cap];
	r->token = rte_rcu_qsbr_start(sad->qs);
	r->kind = kind;
	r->arg = arg;
	r->ptr = ptr;
	sad->rq_n++;
	return 0;
}

unsigned int dp_sad_reclaim(struct dp_sad *sad, bool wait)
{
	unsigned int n = 0;

	while (sad->rq_n) {
		struct reclaim *r = &sad->rq[sad->rq_head];

		/* Tokens only grow: the first one not done ends the run. */
		if (rte_rcu_qsbr_check(sad->qs, r->token, wait) != 1)
			break;
		if (r->kind == RECLAIM_SA) {
			sa_destroy(r->ptr);
			if (r->arg)
				sad->free_slots[sad->n_free_slots++] = r->arg;
		} else {
			rte_hash_free_key_with_position(sad->in_hash, (int32_t)r->arg);
		}
		sad->rq_head = (sad->rq_head + 1) % sad->rq_cap;
		sad->rq_n--;
		n++;
	}
	return n;
}

/* Before writing a FIB: the previous write's recycled 8-bit groups must not be reused while
 * a worker may still be reading them (see sad.h). */
static void fib_write_begin(struct dp_sad *sad)
{
	if (!sad->fib_written)
		return;
	if (rte_rcu_qsbr_check(sad->qs, sad->fib_token, false) != 1) {
		sad->cnt.fib_waits++;
		rte_rcu_qsbr_check(sad->qs, sad->fib_token, true);
	}
	sad->fib_written = false;
}

static void fib_write_end(struct dp_sad *sad)
{
	sad->fib_token = rte_rcu_qsbr_start(sad->qs);
	sad->fib_written = true;
}

static int fib_add(struct dp_sad *sad, const struct rp_prefix *p, uint32_t slot)
{
	int rc;

	fib_write_begin(sad);
	if (p->af == 4) {
		uint32_t ip;

		memcpy(&ip, p->addr, 4);
		rc = rte_fib_add(sad->fib4, ntohl(ip), p->plen, slot);
	} else if (p->plen) {
		rc = rte_lpm6_add(sad->lpm6, p->addr, p->plen, slot);
	} else {
		/* rte_lpm6 takes depths 1..128: ::/0 is ::/1 and 8000::/1. */
		static const uint8_t hi[16] = { 0x80 };

		rc = rte_lpm6_add(sad->lpm6, p->addr, 1, slot);
		if (rc == 0)
			rc = rte_lpm6_add(sad->lpm6, hi, 1, slot);
	}
	fib_write_end(sad);
	return rc;
}

static int fib_del(struct dp_sad *sad, const struct rp_prefix *p)
{
	int rc;

	fib_write_begin(sad);
	if (p->af == 4) {
		uint32_t ip;

		memcpy(&ip, p->addr, 4);
		rc = rte_fib_delete(sad->fib4, ntohl(ip), p->plen);
	} else if (p->plen) {
		rc = rte_lpm6_delete(sad->lpm6, p->addr, p->plen);
	} else {
		static const uint8_t hi[16] = { 0x80 };

		rc = rte_lpm6_delete(sad->lpm6, p->addr, 1);
		rc |= rte_lpm6_delete(sad->lpm6, hi, 1);
	}
	fib_write_end(sad);
	return rc;
}

/* ---- lookups (main lcore) ------------------------------------------------------------------ */

struct dp_sa *dp_sad_find(const struct dp_sad *sad, uint32_t sa_id)
{
	void *data;

	if (rte_hash_lookup_data(sad->id_hash, &sa_id, &data) < 0)
		return NULL;
	return sad->slots[(uintptr_t)data];
}

struct dp_sa *dp_sad_next(const struct dp_sad *sad, uint32_t *pos)
{
	for (uint32_t s = *pos ? *pos : 1; s < sad->n_slots; s++) {
		struct dp_sa *sa = __atomic_load_n(&sad->slots[s], __ATOMIC_ACQUIRE);

		if (sa) {
			*pos = s + 1;
			return sa;
		}
	}
	*pos = sad->n_slots;
	return NULL;
}

uint32_t dp_sad_slots(const struct dp_sad *sad)
{
	return sad->n_slots;
}

void dp_sad_counts(const struct dp_sad *sad, struct dp_sad_counts *out)
{
	*out = sad->cnt;
	out->reclaim_pending = (uint32_t)sad->rq_n;
}

void dp_sad_view(const struct dp_sad *sad, struct dp_sad_view *v)
{
	v->slots = sad->slots;
	v->n_slots = sad->n_slots;
	v->in_hash = sad->in_hash;
	v->fib4 = sad->fib4;
	v->lpm6 = sad->lpm6;
}

void dp_sad_read_lock(struct dp_sad *sad)
{
	rte_spinlock_lock(&sad->reader_lock);
	rte_rcu_qsbr_thread_online(sad->qs, sad->conf.rcu_reader);
}

void dp_sad_read_unlock(struct dp_sad *sad)
{
	rte_rcu_qsbr_thread_offline(sad->qs, sad->conf.rcu_reader);
	rte_spinlock_unlock(&sad->reader_lock);
}

uint64_t dp_sa_drops(const struct dp_sa *sa)
{
	uint64_t d = 0;

	for (unsigned int r = 0; r < ESP_DROP_MAX; r++)
		d += esp_sa_counter_read(&sa->esp.ctr.drops[r]);
	return d;
}

void dp_sad_sa_stats(const struct dp_sa *sa, struct rp_msg_sa_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->sa_id = sa->sa_id;
	out->spi = sa->esp.spi;
	out->dir = sa->dir;
	out->packets = esp_sa_counter_read(&sa->esp.ctr.packets);
	out->bytes = esp_sa_counter_read(&sa->esp.ctr.bytes);
	out->drops = dp_sa_drops(sa);
	/* Written by the owning worker; a relaxed read of a 64-bit word is whole on x86-64. */
	out->seq = sa->dir == RP_DIR_OUT ? __atomic_load_n(&sa->esp.seq, __ATOMIC_RELAXED)
					 : __atomic_load_n(&sa->esp.replay.top, __ATOMIC_RELAXED);
}

/* ---- SAs ------------------------------------------------------------------------------------ */

static void in_key(struct dp_sad_in_key *k, const struct rp_msg_sa *m)
{
	memset(k, 0, sizeof(*k));
	k->spi = m->spi;
	k->af = m->outer_af;
	memcpy(k->addr, m->local, m->outer_af == 4 ? 4 : 16);
}

static void sa_meta(struct dp_sa *sa, const struct rp_msg_sa *m)
{
	sa->dir = m->dir;
	sa->sa_id = m->sa_id;
	sa->paired_sa_id = m->paired_sa_id;
	sa->outer_af = m->outer_af;
	sa->natt_sport = m->natt_sport;
	sa->natt_dport = m->natt_dport;
	memcpy(sa->local, m->local, 16);
	memcpy(sa->remote, m->remote, 16);
	sa->soft_bytes = m->soft_bytes;
	sa->soft_packets = m->soft_packets;
	sa->hard_bytes = m->hard_bytes;
	sa->hard_packets = m->hard_packets;
}

static uint16_t pick_worker(struct dp_sad *sad, const struct rp_msg_sa *m)
{
	struct dp_sa *pair = m->paired_sa_id ? dp_sad_find(sad, m->paired_sa_id) : NULL;

	/* Both directions of a CHILD_SA on one worker: a hairpin or a ping-pong stays local. */
	if (pair)
		return pair->worker;
	return (uint16_t)(sad->next_worker++ % sad->conf.n_workers);
}

/* A runtime SA built from @m, not yet visible. */
static int sa_build(struct dp_sad *sad, const struct rp_msg_sa *m, struct dp_sa **out, char *why,
		    size_t whylen)
{
	struct dp_sa *sa = rte_zmalloc_socket("rp_sa", sizeof(*sa), RTE_CACHE_LINE_SIZE,
					      sad->conf.socket);
	int rc;

	*out = NULL;
	if (!sa)
		return fail(why, whylen, -ENOMEM, "out of memory for SA %u (%zu bytes; raise "
			    "dataplane.memory_mb)", m->sa_id, sizeof(*sa));
	rc = esp_sa_init(&sa->esp, m, sad->mgr, why, whylen);
	if (rc < 0) {
		rte_free(sa);
		return rc;
	}
	sa_meta(sa, m);
	*out = sa;
	return 0;
}

/* Same algorithm, keys, SPI and replay/selector state shape? Names the first difference. */
static const char *immutable_diff(const struct dp_sa *o, const struct dp_sa *n)
{
	const struct esp_sa *a = &o->esp, *b = &n->esp;

	if (o->dir != n->dir)
		return "direction";
	if (a->spi != b->spi)
		return "SPI";
	if (a->alg != b->alg || a->cipher_mode != b->cipher_mode || a->hash_alg != b->hash_alg ||
	    a->key_len != b->key_len || a->icv_len != b->icv_len || a->rp_cipher != b->rp_cipher)
		return "algorithms";
	if (memcmp(&a->key, &b->key, sizeof(a->key)) != 0 || memcmp(a->ipad, b->ipad,
	    sizeof(a->ipad)) != 0 || memcmp(a->opad, b->opad, sizeof(a->opad)) != 0 ||
	    memcmp(a->salt, b->salt, sizeof(a->salt)) != 0)
		return "keys";
	if ((a->flags ^ b->flags) & (ESP_SAF_ESN | ESP_SAF_NO_REPLAY))
		return "ESN or anti-replay";
	if (a->replay.window != b->replay.window)
		return "replay window";
	if (a->n_ts != b->n_ts || memcmp(a->ts, b->ts, sizeof(a->ts)) != 0)
		return "traffic selectors";
	return NULL;
}

static bool endpoints_differ(const struct dp_sa *o, const struct rp_msg_sa *m)
{
	return o->outer_af != m->outer_af || memcmp(o->local, m->local, 16) != 0 ||
	       memcmp(o->remote, m->remote, 16) != 0 ||
	       ((o->esp.flags & ESP_SAF_NATT) != 0) != ((m->flags & RP_SAF_NATT) != 0) ||
	       o->natt_sport != m->natt_sport || o->natt_dport != m->natt_dport;
}

static void limits_apply(struct dp_sa *sa, const struct rp_msg_sa *m)
{
	uint64_t pk = esp_sa_counter_read(&sa->esp.ctr.packets);
	uint64_t by = esp_sa_counter_read(&sa->esp.ctr.bytes);

	sa->soft_bytes = m->soft_bytes;
	sa->soft_packets = m->soft_packets;
	sa->hard_bytes = m->hard_bytes;
	sa->hard_packets = m->hard_packets;
	/* Aligned 64-bit stores: a worker sees the old or the new limit, never a mix. */
	__atomic_store_n(&sa->esp.hard_packets, m->hard_packets ? m->hard_packets : UINT64_MAX,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&sa->esp.hard_bytes, m->hard_bytes ? m->hard_bytes : UINT64_MAX,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&sa->esp.tunnel_mtu, m->tunnel_mtu, __ATOMIC_RELAXED);
	/* Raised limits may be reported again. */
	if ((!m->soft_bytes || by < m->soft_bytes) && (!m->soft_packets || pk < m->soft_packets))
		sa->soft_sent = 0;
	if ((!m->hard_bytes || by < m->hard_bytes) && (!m->hard_packets || pk < m->hard_packets))
		sa->hard_sent = 0;
}

/* Outbound endpoint change: a copy with the new outer header takes the slot. */
static int sa_swap(struct dp_sad *sad, struct dp_sa *o, struct dp_sa *n, const struct rp_msg_sa *m)
{
	uint64_t seq = __atomic_load_n(&o->esp.seq, __ATOMIC_RELAXED);

	uint64_t limit = (n->esp.flags & ESP_SAF_ESN) ? UINT64_MAX : UINT32_MAX;

	if (seq + SEQ_SWAP_MARGIN >= limit)
		return -ERANGE;
	n->esp.seq = RTE_MAX(seq + SEQ_SWAP_MARGIN, m->seq_start);
	n->esp.ip_id = o->esp.ip_id;
	n->esp.ctr = o->esp.ctr;
	n->gen = o->gen;
	n->worker = o->worker;
	n->slot = o->slot;
	n->manual = o->manual;
	n->soft_sent = o->soft_sent;
	n->hard_sent = o->hard_sent;
	n->route_head = o->route_head;
	n->n_routes = o->n_routes;
	__atomic_store_n(&sad->slots[o->slot], n, __ATOMIC_RELEASE);
	defer(sad, RECLAIM_SA, 0, o);
	return 0;
}

static int update_in_place(struct dp_sad *sad, struct dp_sa *o, const struct rp_msg_sa *m,
			   char *why, size_t whylen)
{
	struct dp_sa *n = NULL;
	const char *diff;
	char a[INET6_ADDRSTRLEN];
	int rc;

	rc = sa_build(sad, m, &n, why, whylen);
	if (rc < 0)
		return rc;
	diff = immutable_diff(o, n);
	if (diff) {
		rc = fail(why, whylen, -EINVAL, "SA %u: %s cannot change (a rekey is a new SA)",
			  m->sa_id, diff);
		goto out;
	}
	if (endpoints_differ(o, m)) {
		if (o->dir == RP_DIR_IN && (o->outer_af != m->outer_af ||
		    memcmp(o->local, m->local, 16) != 0 ||
		    ((o->esp.flags & ESP_SAF_NATT) != 0) != ((m->flags & RP_SAF_NATT) != 0))) {
			rc = fail(why, whylen, -EINVAL, "SA %u: an inbound SA's local address and "
				  "encapsulation cannot change", m->sa_id);
			goto out;
		}
		if (o->dir == RP_DIR_OUT) {
			if (sa_swap(sad, o, n, m) < 0) {
				rc = fail(why, whylen, -ERANGE, "SA %u: sequence numbers nearly "
					  "exhausted: rekey instead", m->sa_id);
				goto out;
			}
			limits_apply(n, m);
			RP_INFO("sad", "SA %u: outer endpoints now %s -> %s%s", m->sa_id,
				addr_str(m->outer_af, m->local, a, sizeof(a)),
				addr_str(m->outer_af, m->remote, (char[INET6_ADDRSTRLEN]){ 0 },
					 INET6_ADDRSTRLEN),
				(m->flags & RP_SAF_NATT) ? " (UDP-encapsulated)" : "");
			return 0;
		}
		/* Inbound: the peer's address and ports are not checked on receipt. */
		memcpy(o->remote, m->remote, 16);
		o->natt_dport = m->natt_dport;
		o->natt_sport = m->natt_sport;
	}
	limits_apply(o, m);
	o->paired_sa_id = m->paired_sa_id;
out:
	sa_destroy(n);
	return rc;
}

/* Take a free slot, reclaiming (even waiting) if only deleted ones are left. */
static uint32_t slot_get(struct dp_sad *sad)
{
	if (!sad->n_free_slots && sad->rq_n)
		dp_sad_reclaim(sad, true);
	return sad->n_free_slots ? sad->free_slots[--sad->n_free_slots] : 0;
}

static void routes_del_of(struct dp_sad *sad, struct dp_sa *sa);
static void sa_unlink(struct dp_sad *sad, struct dp_sa *sa);

int dp_sad_sa_add(struct dp_sad *sad, const struct rp_msg_sa *m, unsigned int opts, char *why,
		  size_t whylen)
{
	struct dp_sad_in_key key;
	struct dp_sa *sa = NULL, *old = dp_sad_find(sad, m->sa_id);
	char a[INET6_ADDRSTRLEN];
	uint32_t slot;
	int rc, pos;

	if (old) {
		if (!(opts & DP_SAD_RESYNC) || old->manual) {
			sad->cnt.refused++;
			return fail(why, whylen, -EEXIST, "duplicate sa_id %u%s", m->sa_id,
				    old->manual ? " (a manual SA from the configuration)" : "");
		}
		/* Resync: the same SA again keeps its state (sequence numbers, replay window,
		 * counters); a different one under the same handle replaces it. */
		rc = update_in_place(sad, old, m, why, whylen);
		if (rc == 0) {
			old = dp_sad_find(sad, m->sa_id);
			old->stale = 0;
			return 0;
		}
		RP_INFO("sad", "resync: SA %u differs from the installed one (%s); replacing it",
			m->sa_id, why);
		routes_del_of(sad, old);
		sa_unlink(sad, old);
		sad->cnt.replaced++;
	}

	rc = sa_build(sad, m, &sa, why, whylen);
	if (rc < 0) {
		sad->cnt.refused++;
		return rc;
	}
	if (m->dir == RP_DIR_IN) {
		void *data;

		in_key(&key, m);
		if (rte_hash_lookup_data(sad->in_hash, &key, &data) >= 0) {
			struct dp_sa *o = sad->slots[(uintptr_t)data];

			rc = fail(why, whylen, -EADDRINUSE, "SPI 0x%08x already used on %s by SA %u",
				  ntohl(m->spi), addr_str(m->outer_af, m->local, a, sizeof(a)),
				  o ? o->sa_id : 0);
			goto err;
		}
	}
	slot = slot_get(sad);
	if (!slot) {
		rc = fail(why, whylen, -ENOSPC, "SA table full (%u SAs; dataplane.sa_max)",
			  sad->conf.sa_max);
		goto err;
	}
	sa->slot = slot;
	sa->gen = sad->gen_next++;
	sa->worker = pick_worker(sad, m);
	sa->manual = !!(opts & DP_SAD_MANUAL);
	rc = rte_hash_add_key_data(sad->id_hash, &m->sa_id, (void *)(uintptr_t)slot);
	if (rc < 0) {
		sad->free_slots[sad->n_free_slots++] = slot;
		rc = fail(why, whylen, -ENOSPC, "SA table full (sa_id hash)");
		goto err;
	}
	/* Publish: slot first, then the key that leads to it. */
	__atomic_store_n(&sad->slots[slot], sa, __ATOMIC_RELEASE);
	if (m->dir == RP_DIR_IN) {
		pos = rte_hash_add_key_data(sad->in_hash, &key, (void *)(uintptr_t)slot);
		if (pos == -ENOSPC && sad->rq_n) {
			dp_sad_reclaim(sad, true);
			pos = rte_hash_add_key_data(sad->in_hash, &key, (void *)(uintptr_t)slot);
		}
		if (pos < 0) {
			rte_hash_del_key(sad->id_hash, &m->sa_id);
			__atomic_store_n(&sad->slots[slot], NULL, __ATOMIC_RELEASE);
			sad->free_slots[sad->n_free_slots++] = slot;
			rc = fail(why, whylen, -ENOSPC, "inbound SA table full");
			goto err;
		}
	}
	sad->cnt.sas[m->dir]++;
	sad->cnt.added++;
	RP_DEBUG("sad", "SA %u added: %s SPI 0x%08x %s, slot %u, worker %u", m->sa_id,
		 m->dir == RP_DIR_IN ? "inbound" : "outbound", ntohl(m->spi),
		 rp_cipher_name(m->cipher), slot, sa->worker);
	return 0;
err:
	sad->cnt.refused++;
	sa_destroy(sa);
	return rc;
}

int dp_sad_sa_update(struct dp_sad *sad, const struct rp_msg_sa *m, char *why, size_t whylen)
{
	struct dp_sa *o = dp_sad_find(sad, m->sa_id);
	int rc;

	if (!o) {
		sad->cnt.refused++;
		return fail(why, whylen, -ENOENT, "unknown sa_id %u", m->sa_id);
	}
	if (o->manual) {
		sad->cnt.refused++;
		return fail(why, whylen, -EPERM, "SA %u is a manual SA from the configuration",
			    m->sa_id);
	}
	rc = update_in_place(sad, o, m, why, whylen);
	if (rc < 0)
		sad->cnt.refused++;
	else
		sad->cnt.updated++;
	return rc;
}

/* Remove an SA from every table; its memory and slot are reclaimed after a grace period. */
static void sa_unlink(struct dp_sad *sad, struct dp_sa *sa)
{
	if (sa->dir == RP_DIR_IN) {
		struct dp_sad_in_key key;
		struct rp_msg_sa m;
		int pos;

		memset(&m, 0, sizeof(m));
		m.spi = sa->esp.spi;
		m.outer_af = sa->outer_af;
		memcpy(m.local, sa->local, 16);
		in_key(&key, &m);
		pos = rte_hash_del_key(sad->in_hash, &key);
		if (pos >= 0)
			defer(sad, RECLAIM_IN_KEY, (uint32_t)pos, NULL);
	}
	rte_hash_del_key(sad->id_hash, &sa->sa_id);
	__atomic_store_n(&sad->slots[sa->slot], NULL, __ATOMIC_RELEASE);
	sad->cnt.sas[sa->dir]--;
	sad->cnt.deleted++;
	defer(sad, RECLAIM_SA, sa->slot, sa);
}

int dp_sad_sa_del(struct dp_sad *sad, uint32_t sa_id, char *why, size_t whylen)
{
	struct dp_sa *sa = dp_sad_find(sad, sa_id);

	if (!sa) {
		sad->cnt.refused++;
		return fail(why, whylen, -ENOENT, "unknown sa_id %u", sa_id);
	}
	if (sa->manual) {
		sad->cnt.refused++;
		return fail(why, whylen, -EPERM, "SA %u is a manual SA from the configuration",
			    sa_id);
	}
	if (sa->n_routes)
		RP_DEBUG("sad", "SA %u deleted with its %u route%s", sa_id, sa->n_routes,
			 sa->n_routes == 1 ? "" : "s");
	routes_del_of(sad, sa);
	sa_unlink(sad, sa);
	return 0;
}

/* ---- routes ------------------------------------------------------------------------------- */

static void route_key(struct rp_prefix *k, const struct rp_prefix *p)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, p->addr, p->af == 4 ? 4 : 16);
	k->af = p->af;
	k->plen = p->plen;
}

static void route_link(struct dp_sad *sad, uint32_t ri, struct dp_sa *sa)
{
	struct sad_route *r = &sad->routes[ri];

	r->slot = sa->slot;
	r->prev = 0;
	r->next = sa->route_head;
	if (sa->route_head)
		sad->routes[sa->route_head].prev = ri;
	sa->route_head = ri;
	sa->n_routes++;
}

static void route_unlink(struct dp_sad *sad, uint32_t ri)
{
	struct sad_route *r = &sad->routes[ri];
	struct dp_sa *sa = sad->slots[r->slot];

	if (r->prev)
		sad->routes[r->prev].next = r->next;
	else if (sa)
		sa->route_head = r->next;
	if (r->next)
		sad->routes[r->next].prev = r->prev;
	if (sa)
		sa->n_routes--;
	r->prev = r->next = 0;
}

static void route_remove(struct dp_sad *sad, uint32_t ri)
{
	struct sad_route *r = &sad->routes[ri];
	char p[64];
	int rc = fib_del(sad, &r->prefix);

	if (rc < 0)
		RP_ERR("sad", "bug: route %s in the table but not in the FIB: %s",
		       dp_prefix_str(&r->prefix, p, sizeof(p)), strerror(-rc));
	route_unlink(sad, ri);
	rte_hash_del_key(sad->route_hash, &r->prefix);
	if (r->prefix.af == 4)
		sad->cnt.routes4--;
	else
		sad->cnt.routes6--;
	memset(r, 0, sizeof(*r));
	sad->free_routes[sad->n_free_routes++] = ri;
}

static void routes_del_of(struct dp_sad *sad, struct dp_sa *sa)
{
	while (sa->route_head)
		route_remove(sad, sa->route_head);
}

int dp_sad_route_add(struct dp_sad *sad, const struct rp_msg_route *rm, unsigned int opts,
		     char *why, size_t whylen)
{
	struct dp_sa *sa = dp_sad_find(sad, rm->sa_id);
	alignas(8) struct rp_prefix key; /* see struct sad_route */
	struct sad_route *r;
	char p[64];
	void *data;
	uint32_t ri;
	int rc;

	dp_prefix_str(&rm->prefix, p, sizeof(p));
	if (!sa) {
		sad->cnt.refused++;
		return fail(why, whylen, -ENOENT, "route %s to unknown SA %u", p, rm->sa_id);
	}
	if (sa->dir != RP_DIR_OUT) {
		sad->cnt.refused++;
		return fail(why, whylen, -EINVAL, "route %s to SA %u, which is inbound", p,
			    rm->sa_id);
	}
	route_key(&key, &rm->prefix);
	if (rte_hash_lookup_data(sad->route_hash, &key, &data) >= 0) {
		ri = (uint32_t)(uintptr_t)data;
		r = &sad->routes[ri];
		r->stale = 0;
		if (r->slot == sa->slot)
			return 0;
		/* Make-before-break: the prefix moves to the new SA in one FIB write. */
		rc = fib_add(sad, &key, sa->slot);
		if (rc < 0) {
			sad->cnt.refused++;
			return fail(why, whylen, rc, "route %s: FIB update failed: %s", p,
				    strerror(-rc));
		}
		RP_DEBUG("sad", "route %s moved from SA %u to SA %u", p,
			 sad->slots[r->slot] ? sad->slots[r->slot]->sa_id : 0, rm->sa_id);
		route_unlink(sad, ri);
		route_link(sad, ri, sa);
		r->manual = !!(opts & DP_SAD_MANUAL);
		return 0;
	}
	if (!sad->n_free_routes) {
		sad->cnt.refused++;
		return fail(why, whylen, -ENOSPC, "route table full (%u routes; "
			    "dataplane.route_max)", sad->conf.route_max);
	}
	ri = sad->free_routes[sad->n_free_routes - 1];
	rc = rte_hash_add_key_data(sad->route_hash, &key, (void *)(uintptr_t)ri);
	if (rc < 0) {
		sad->cnt.refused++;
		return fail(why, whylen, -ENOSPC, "route table full (hash)");
	}
	rc = fib_add(sad, &key, sa->slot);
	if (rc < 0) {
		rte_hash_del_key(sad->route_hash, &key);
		sad->cnt.refused++;
		return fail(why, whylen, rc == -ENOSPC ? -ENOSPC : rc,
			    "route %s: %s", p, rc == -ENOSPC ?
			    "FIB full (8-bit groups exhausted: dataplane.fib_tbl8 / fib6_tbl8)" :
			    strerror(-rc));
	}
	sad->n_free_routes--;
	r = &sad->routes[ri];
	memset(r, 0, sizeof(*r));
	r->prefix = key;
	r->manual = !!(opts & DP_SAD_MANUAL);
	route_link(sad, ri, sa);
	if (key.af == 4)
		sad->cnt.routes4++;
	else
		sad->cnt.routes6++;
	return 0;
}

int dp_sad_route_del(struct dp_sad *sad, const struct rp_msg_route *rm, char *why, size_t whylen)
{
	alignas(8) struct rp_prefix key; /* see struct sad_route */
	struct dp_sa *sa;
	char p[64];
	void *data;
	uint32_t ri;

	dp_prefix_str(&rm->prefix, p, sizeof(p));
	route_key(&key, &rm->prefix);
	if (rte_hash_lookup_data(sad->route_hash, &key, &data) < 0) {
		sad->cnt.refused++;
		return fail(why, whylen, -ENOENT, "no route %s", p);
	}
	ri = (uint32_t)(uintptr_t)data;
	sa = sad->slots[sad->routes[ri].slot];
	if (!sa || sa->sa_id != rm->sa_id) {
		sad->cnt.refused++;
		return fail(why, whylen, -ENOENT, "route %s goes through SA %u, not %u", p,
			    sa ? sa->sa_id : 0, rm->sa_id);
	}
	if (sad->routes[ri].manual) {
		sad->cnt.refused++;
		return fail(why, whylen, -EPERM, "route %s is from the configuration", p);
	}
	route_remove(sad, ri);
	return 0;
}

/* ---- resync ------------------------------------------------------------------------------- */

void dp_sad_resync_begin(struct dp_sad *sad)
{
	unsigned int n = 0;

	for (uint32_t s = 1; s < sad->n_slots; s++) {
		struct dp_sa *sa = sad->slots[s];

		if (sa && !sa->manual) {
			sa->stale = 1;
			n++;
		}
	}
	for (uint32_t r = 1; r <= sad->conf.route_max; r++)
		if (sad->routes[r].slot && !sad->routes[r].manual)
			sad->routes[r].stale = 1;
	RP_INFO("sad", "resync: %u SA%s kept until RESYNC_END unless rampartd sends them again",
		n, n == 1 ? "" : "s");
}

unsigned int dp_sad_resync_end(struct dp_sad *sad, unsigned int *routes)
{
	unsigned int n = 0, nr = 0;

	for (uint32_t r = 1; r <= sad->conf.route_max; r++)
		if (sad->routes[r].slot && sad->routes[r].stale) {
			route_remove(sad, r);
			nr++;
		}
	for (uint32_t s = 1; s < sad->n_slots; s++) {
		struct dp_sa *sa = sad->slots[s];

		if (sa && sa->stale) {
			routes_del_of(sad, sa);
			sa_unlink(sad, sa);
			n++;
		}
	}
	if (routes)
		*routes = nr;
	return n;
}

void dp_sad_flush(struct dp_sad *sad)
{
	for (uint32_t s = 1; s < sad->n_slots; s++) {
		struct dp_sa *sa = sad->slots[s];

		if (sa) {
			routes_del_of(sad, sa);
			sa_unlink(sad, sa);
		}
	}
}

/* ---- lifetimes ---------------------------------------------------------------------------- */

unsigned int dp_sad_lifetime_scan(struct dp_sad *sad, unsigned int budget, dp_sad_lifetime_fn fn,
				  void *arg)
{
	unsigned int n = 0;

	while (n < budget) {
		uint32_t s = sad->scan_pos;
		struct dp_sa *sa;
		uint64_t pk, by;

		if (s == 0 || s >= sad->n_slots)
			s = 1;
		sa = sad->slots[s];
		sad->scan_pos = s + 1;
		n++;
		if (!sa || sa->hard_sent)
			continue;
		pk = esp_sa_counter_read(&sa->esp.ctr.packets);
		by = esp_sa_counter_read(&sa->esp.ctr.bytes);
		/* Soft first, then hard: rampartd starts a rekey on the first, tears down on
		 * the second, even when one scan sees both crossed. */
		for (int hard = 0; hard <= 1; hard++) {
			uint64_t lb = hard ? sa->hard_bytes : sa->soft_bytes;
			uint64_t lp = hard ? sa->hard_packets : sa->soft_packets;
			struct rp_msg_lifetime ev;

			if (!hard && sa->soft_sent)
				continue;
			if (!((lb && by >= lb) || (lp && pk >= lp)))
				continue;
			memset(&ev, 0, sizeof(ev));
			ev.sa_id = sa->sa_id;
			ev.hard = (uint8_t)hard;
			ev.by_packets = lp && pk >= lp;
			ev.bytes = by;
			ev.packets = pk;
			if (!fn(arg, &ev)) {
				sad->scan_pos = s; /* retry this SA */
				return n;
			}
			if (!hard) {
				sa->soft_sent = 1;
				continue;
			}
			sa->hard_sent = 1;
			RP_NOTICE("sad", "SA %u (SPI 0x%08x) reached its hard lifetime (%" PRIu64
				  " packets, %" PRIu64 " bytes): no longer used", sa->sa_id,
				  ntohl(sa->esp.spi), pk, by);
		}
	}
	return n;
}
