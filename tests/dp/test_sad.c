/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The SA database (dataplane/sad.c) and the neighbour table (dataplane/neigh.c) on a real
 * DPDK EAL (--no-huge --in-memory, no device): 200 000 SAs with routes, longest-prefix
 * matching with overlapping IPv4 and IPv6 prefixes, every refusal, make-before-break route
 * switches, SA_UPDATE, mark-and-sweep resync, lifetime events, and RCU reclamation (nothing
 * is freed or reused while a reader is inside its read-side section).
 *
 * Exits 77 when EAL cannot start here (not root, no memory).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "common/log.h"
#include "dataplane/dp_config.h"
#include "dataplane/neigh.h"
#include "dataplane/sad.h"

#define SCALE_SAS 200000u

static struct rte_rcu_qsbr *qs;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct dp_sad *mk_sad(uint32_t sa_max, uint32_t routes)
{
	struct dp_sad_conf c = {
		.sa_max = sa_max,
		.route_max = routes,
		.fib_tbl8 = 4096,
		.fib6_tbl8 = 8192,
		.socket = 0,
		.n_workers = 1,
		.rcu_reader = 1,
	};
	struct dp_sad *sad = NULL;

	assert_int_equal(dp_sad_create(&c, qs, &sad), 0);
	return sad;
}

static void pfx4(struct rp_prefix *p, const char *a, uint8_t plen)
{
	memset(p, 0, sizeof(*p));
	p->af = 4;
	p->plen = plen;
	assert_int_equal(inet_pton(AF_INET, a, p->addr), 1);
}

static void pfx6(struct rp_prefix *p, const char *a, uint8_t plen)
{
	memset(p, 0, sizeof(*p));
	p->af = 6;
	p->plen = plen;
	assert_int_equal(inet_pton(AF_INET6, a, p->addr), 1);
}

/* AES-GCM-128 SA; local 192.0.2.1 or 2001:db8::1 by @v6. */
static void mk_msa(struct rp_msg_sa *s, uint32_t id, uint8_t dir, uint32_t spi, bool v6)
{
	memset(s, 0, sizeof(*s));
	s->sa_id = id;
	s->spi = htonl(spi);
	s->dir = dir;
	s->outer_af = v6 ? 6 : 4;
	s->cipher = RP_CIPHER_AES_GCM_128;
	s->integ = RP_INTEG_NONE;
	s->enc_key_len = 16;
	s->salt_len = 4;
	for (int i = 0; i < 16; i++)
		s->enc_key[i] = (uint8_t)(id * 7 + i);
	s->replay_window = 64;
	s->n_ts = 1;
	pfx4(&s->ts[0], "198.18.0.0", 15);
	if (v6) {
		inet_pton(AF_INET6, "2001:db8::1", s->local);
		inet_pton(AF_INET6, "2001:db8:1::1", s->remote);
	} else {
		inet_pton(AF_INET, "192.0.2.1", s->local);
		inet_pton(AF_INET, "198.51.100.1", s->remote);
	}
}

static int add(struct dp_sad *sad, const struct rp_msg_sa *s)
{
	char why[128] = "";
	int rc = dp_sad_sa_add(sad, s, 0, why, sizeof(why));

	if (rc < 0)
		print_message("SA %u: %s\n", s->sa_id, why);
	return rc;
}

static int route(struct dp_sad *sad, const struct rp_prefix *p, uint32_t id, bool del,
		 char *why, size_t len)
{
	struct rp_msg_route r;

	memset(&r, 0, sizeof(r));
	r.prefix = *p;
	r.sa_id = id;
	return del ? dp_sad_route_del(sad, &r, why, len) : dp_sad_route_add(sad, &r, 0, why, len);
}

/* The sa_id the worker-side tables give for an address (0: none). */
static uint32_t lookup(struct dp_sad *sad, const char *addr)
{
	struct dp_sad_view v;
	uint8_t a[16];
	uint64_t nh = 0;
	struct dp_sa *sa;

	dp_sad_view(sad, &v);
	if (inet_pton(AF_INET, addr, a) == 1) {
		uint32_t ip = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];

		rte_fib_lookup_bulk(v.fib4, &ip, &nh, 1);
	} else {
		int32_t h = -1;

		assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
		rte_lpm6_lookup_bulk_func(v.lpm6, (uint8_t(*)[16])a, &h, 1);
		nh = h < 0 ? 0 : (uint64_t)h;
	}
	sa = dp_sad_slot(&v, nh);
	return sa ? sa->sa_id : 0;
}

/* The inbound SA the worker-side hash gives for (SPI, local). */
static uint32_t in_lookup(struct dp_sad *sad, uint32_t spi, bool v6)
{
	struct dp_sad_in_key k;
	struct dp_sad_view v;
	void *data;
	struct dp_sa *sa;

	dp_sad_view(sad, &v);
	memset(&k, 0, sizeof(k));
	k.spi = htonl(spi);
	k.af = v6 ? 6 : 4;
	if (v6)
		inet_pton(AF_INET6, "2001:db8::1", k.addr);
	else
		inet_pton(AF_INET, "192.0.2.1", k.addr);
	if (rte_hash_lookup_data(v.in_hash, &k, &data) < 0)
		return 0;
	sa = dp_sad_slot(&v, (uintptr_t)data);
	return sa ? sa->sa_id : 0;
}

static void scale_route(struct rp_prefix *p, uint32_t i)
{
	if (i % 2 == 0) {
		uint32_t ip = htonl(0xc6120000u + i / 2); /* 198.18.0.0/15 */

		memset(p, 0, sizeof(*p));
		p->af = 4;
		p->plen = 32;
		memcpy(p->addr, &ip, 4);
	} else {
		pfx6(p, "2001:db8:100::", 128);
		p->addr[12] = (uint8_t)(i >> 24);
		p->addr[13] = (uint8_t)(i >> 16);
		p->addr[14] = (uint8_t)(i >> 8);
		p->addr[15] = (uint8_t)i;
	}
}

/* 200 000 SAs: 100 000 inbound (IPv4 and IPv6 outer), 100 000 outbound with a /32 or /128
 * route each; every lookup right; half deleted; lookups right again; slots reused. */
static void test_scale(void **state)
{
	uint32_t half = SCALE_SAS / 2;
	struct dp_sad *sad = mk_sad(262144, 262144);
	struct dp_sad_counts cnt;
	struct dp_sad_view v;
	struct rp_msg_sa s;
	struct rp_prefix p;
	uint64_t t0, t1, t2, t3;
	uint32_t bad = 0;
	char why[128];

	(void)state;
	t0 = now_ns();
	for (uint32_t i = 0; i < half; i++) {
		mk_msa(&s, 1 + 2 * i, RP_DIR_IN, 0x1000 + i, i % 2);
		assert_int_equal(add(sad, &s), 0);
		mk_msa(&s, 2 + 2 * i, RP_DIR_OUT, 0x1000 + i, i % 2);
		assert_int_equal(add(sad, &s), 0);
	}
	t1 = now_ns();
	for (uint32_t i = 0; i < half; i++) {
		scale_route(&p, i);
		if (route(sad, &p, 2 + 2 * i, false, why, sizeof(why)) < 0) {
			print_message("route %u: %s\n", i, why);
			fail();
		}
	}
	t2 = now_ns();
	dp_sad_counts(sad, &cnt);
	assert_int_equal(cnt.sas[RP_DIR_IN], half);
	assert_int_equal(cnt.sas[RP_DIR_OUT], half);
	assert_int_equal(cnt.routes4 + cnt.routes6, half);

	/* Worker-side lookups: bulk hash for inbound, bulk FIB for outbound. */
	dp_sad_view(sad, &v);
	for (uint32_t i = 0; i < half; i += 64) {
		struct dp_sad_in_key keys[64];
		const void *kp[64];
		void *data[64];
		uint64_t hits = 0;
		uint32_t n = RTE_MIN(64u, half - i);

		for (uint32_t k = 0; k < n; k++) {
			memset(&keys[k], 0, sizeof(keys[k]));
			keys[k].spi = htonl(0x1000 + i + k);
			keys[k].af = (i + k) % 2 ? 6 : 4;
			if ((i + k) % 2)
				inet_pton(AF_INET6, "2001:db8::1", keys[k].addr);
			else
				inet_pton(AF_INET, "192.0.2.1", keys[k].addr);
			kp[k] = &keys[k];
		}
		rte_hash_lookup_bulk_data(v.in_hash, kp, n, &hits, data);
		for (uint32_t k = 0; k < n; k++) {
			struct dp_sa *sa = (hits >> k) & 1 ? dp_sad_slot(&v, (uintptr_t)data[k]) : NULL;

			bad += !sa || sa->sa_id != 1 + 2 * (i + k) || sa->dir != RP_DIR_IN;
		}
	}
	t3 = now_ns();
	assert_int_equal(bad, 0);
	for (uint32_t i = 0; i < half; i++) {
		char a[64];

		scale_route(&p, i);
		inet_ntop(p.af == 4 ? AF_INET : AF_INET6, p.addr, a, sizeof(a));
		bad += lookup(sad, a) != 2 + 2 * i;
	}
	assert_int_equal(bad, 0);
	print_message("%u SAs added in %.0f ms (%.0f/s), %u routes in %.0f ms (%.0f/s), "
		      "%u bulk inbound lookups in %.1f ms (%.1f M/s)\n", SCALE_SAS,
		      (t1 - t0) / 1e6, SCALE_SAS / ((t1 - t0) / 1e9), half, (t2 - t1) / 1e6,
		      half / ((t2 - t1) / 1e9), half, (t3 - t2) / 1e6, half / ((t3 - t2) / 1e3));

	/* Delete every other pair: lookups of the rest unchanged, deleted ones gone. */
	for (uint32_t i = 0; i < half; i += 2) {
		assert_int_equal(dp_sad_sa_del(sad, 1 + 2 * i, why, sizeof(why)), 0);
		assert_int_equal(dp_sad_sa_del(sad, 2 + 2 * i, why, sizeof(why)), 0);
	}
	for (uint32_t i = 0; i < half; i++) {
		char a[64];
		bool gone = i % 2 == 0;

		scale_route(&p, i);
		inet_ntop(p.af == 4 ? AF_INET : AF_INET6, p.addr, a, sizeof(a));
		bad += lookup(sad, a) != (gone ? 0 : 2 + 2 * i);
		bad += in_lookup(sad, 0x1000 + i, i % 2) != (gone ? 0 : 1 + 2 * i);
	}
	assert_int_equal(bad, 0);
	dp_sad_counts(sad, &cnt);
	assert_int_equal(cnt.sas[RP_DIR_IN] + cnt.sas[RP_DIR_OUT], half);
	assert_true(cnt.reclaim_pending > 0);
	dp_sad_reclaim(sad, true);
	dp_sad_counts(sad, &cnt);
	assert_int_equal(cnt.reclaim_pending, 0);
	/* And back: the freed slots and hash positions are reused. */
	for (uint32_t i = 0; i < half; i += 2) {
		mk_msa(&s, 1 + 2 * i, RP_DIR_IN, 0x1000 + i, i % 2);
		assert_int_equal(add(sad, &s), 0);
	}
	assert_int_equal(in_lookup(sad, 0x1000 + 4, false), 9);
	dp_sad_free(sad);
}

/* Longest-prefix match with overlapping prefixes, IPv4 and IPv6, default routes, switches. */
static void test_lpm_overlap(void **state)
{
	struct dp_sad *sad = mk_sad(64, 64);
	struct rp_msg_sa s;
	struct rp_prefix p;
	char why[128];

	(void)state;
	for (uint32_t id = 1; id <= 12; id++) {
		mk_msa(&s, id, RP_DIR_OUT, 0x100 + id, false);
		assert_int_equal(add(sad, &s), 0);
	}
	pfx4(&p, "198.18.0.0", 15);
	assert_int_equal(route(sad, &p, 1, false, why, sizeof(why)), 0);
	pfx4(&p, "198.18.1.0", 24);
	assert_int_equal(route(sad, &p, 2, false, why, sizeof(why)), 0);
	pfx4(&p, "198.18.1.128", 25);
	assert_int_equal(route(sad, &p, 3, false, why, sizeof(why)), 0);
	pfx4(&p, "198.18.1.130", 32);
	assert_int_equal(route(sad, &p, 4, false, why, sizeof(why)), 0);
	assert_int_equal(lookup(sad, "198.19.255.255"), 1);
	assert_int_equal(lookup(sad, "198.18.1.1"), 2);
	assert_int_equal(lookup(sad, "198.18.1.129"), 3);
	assert_int_equal(lookup(sad, "198.18.1.130"), 4);
	assert_int_equal(lookup(sad, "198.18.1.131"), 3);
	assert_int_equal(lookup(sad, "203.0.113.1"), 0);
	/* Default route: everything else. */
	pfx4(&p, "0.0.0.0", 0);
	assert_int_equal(route(sad, &p, 5, false, why, sizeof(why)), 0);
	assert_int_equal(lookup(sad, "203.0.113.1"), 5);
	/* Remove the /25: its addresses fall back to the /24, the /32 stays. */
	pfx4(&p, "198.18.1.128", 25);
	assert_int_equal(route(sad, &p, 3, true, why, sizeof(why)), 0);
	assert_int_equal(lookup(sad, "198.18.1.129"), 2);
	assert_int_equal(lookup(sad, "198.18.1.130"), 4);
	/* Make-before-break: the /24 moves to SA 6 in one write; others untouched. */
	pfx4(&p, "198.18.1.0", 24);
	assert_int_equal(route(sad, &p, 6, false, why, sizeof(why)), 0);
	assert_int_equal(lookup(sad, "198.18.1.1"), 6);
	assert_int_equal(lookup(sad, "198.18.1.130"), 4);
	/* ROUTE_DEL naming the old SA is refused; SA 2 has no route left. */
	assert_int_equal(route(sad, &p, 2, true, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "goes through SA 6, not 2"));
	/* Deleting SA 6 takes its route with it: back to the /15. */
	assert_int_equal(dp_sad_sa_del(sad, 6, why, sizeof(why)), 0);
	assert_int_equal(lookup(sad, "198.18.1.1"), 1);

	/* IPv6. */
	pfx6(&p, "2001:db8::", 32);
	assert_int_equal(route(sad, &p, 7, false, why, sizeof(why)), 0);
	pfx6(&p, "2001:db8:1::", 48);
	assert_int_equal(route(sad, &p, 8, false, why, sizeof(why)), 0);
	pfx6(&p, "2001:db8:1:2::", 64);
	assert_int_equal(route(sad, &p, 9, false, why, sizeof(why)), 0);
	pfx6(&p, "2001:db8:1:2::77", 128);
	assert_int_equal(route(sad, &p, 10, false, why, sizeof(why)), 0);
	assert_int_equal(lookup(sad, "2001:db8:ffff::1"), 7);
	assert_int_equal(lookup(sad, "2001:db8:1:ffff::1"), 8);
	assert_int_equal(lookup(sad, "2001:db8:1:2::1"), 9);
	assert_int_equal(lookup(sad, "2001:db8:1:2::77"), 10);
	assert_int_equal(lookup(sad, "2001:db8:1:2::78"), 9);
	assert_int_equal(lookup(sad, "2001:db9::1"), 0);
	pfx6(&p, "::", 0);
	assert_int_equal(route(sad, &p, 11, false, why, sizeof(why)), 0);
	assert_int_equal(lookup(sad, "2001:db9::1"), 11);
	pfx6(&p, "2001:db8:1:2::", 64);
	assert_int_equal(route(sad, &p, 9, true, why, sizeof(why)), 0);
	assert_int_equal(lookup(sad, "2001:db8:1:2::1"), 8);
	assert_int_equal(lookup(sad, "2001:db8:1:2::77"), 10);
	/* IPv4 routes are untouched by all that. */
	assert_int_equal(lookup(sad, "198.18.1.130"), 4);
	dp_sad_free(sad);
}

/* Every refusal, with its errno and reason. */
static void test_refusals(void **state)
{
	struct dp_sad *sad = mk_sad(4, 8);
	struct rp_msg_sa s;
	struct rp_prefix p;
	char why[128];

	(void)state;
	mk_msa(&s, 1, RP_DIR_IN, 0x1111, false);
	assert_int_equal(add(sad, &s), 0);
	assert_int_equal(dp_sad_sa_add(sad, &s, 0, why, sizeof(why)), -EEXIST);
	assert_string_equal(why, "duplicate sa_id 1");
	s.sa_id = 2;
	assert_int_equal(dp_sad_sa_add(sad, &s, 0, why, sizeof(why)), -EADDRINUSE);
	assert_string_equal(why, "SPI 0x00001111 already used on 192.0.2.1 by SA 1");
	/* The same SPI on another local address is another SA (RFC 4301 section 4.1). */
	mk_msa(&s, 2, RP_DIR_IN, 0x1111, true);
	assert_int_equal(add(sad, &s), 0);
	mk_msa(&s, 3, RP_DIR_OUT, 0x1111, false);
	assert_int_equal(add(sad, &s), 0);
	mk_msa(&s, 4, RP_DIR_OUT, 0x4444, false);
	assert_int_equal(add(sad, &s), 0);
	mk_msa(&s, 5, RP_DIR_OUT, 0x5555, false);
	assert_int_equal(dp_sad_sa_add(sad, &s, 0, why, sizeof(why)), -ENOSPC);
	assert_non_null(strstr(why, "SA table full (4 SAs"));
	pfx4(&p, "198.18.0.0", 24);
	assert_int_equal(route(sad, &p, 9, false, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "route 198.18.0.0/24 to unknown SA 9");
	assert_int_equal(route(sad, &p, 1, false, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "route 198.18.0.0/24 to SA 1, which is inbound");
	assert_int_equal(route(sad, &p, 3, true, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "no route 198.18.0.0/24");
	assert_int_equal(dp_sad_sa_del(sad, 77, why, sizeof(why)), -ENOENT);
	assert_string_equal(why, "unknown sa_id 77");
	/* SA_UPDATE: what cannot change. */
	mk_msa(&s, 1, RP_DIR_IN, 0x1111, false);
	s.enc_key[3] ^= 0x80;
	assert_int_equal(dp_sad_sa_update(sad, &s, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "SA 1: keys cannot change (a rekey is a new SA)");
	mk_msa(&s, 1, RP_DIR_IN, 0x1111, false);
	s.replay_window = 128;
	assert_int_equal(dp_sad_sa_update(sad, &s, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "SA 1: replay window cannot change (a rekey is a new SA)");
	mk_msa(&s, 1, RP_DIR_IN, 0x1111, false);
	s.local[3] = 9;
	assert_int_equal(dp_sad_sa_update(sad, &s, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "local address and encapsulation cannot change"));
	mk_msa(&s, 66, RP_DIR_IN, 0x1111, false);
	assert_int_equal(dp_sad_sa_update(sad, &s, why, sizeof(why)), -ENOENT);
	/* Manual SAs: only the configuration changes them. */
	assert_int_equal(dp_sad_sa_del(sad, 4, why, sizeof(why)), 0);
	dp_sad_reclaim(sad, true);
	mk_msa(&s, 5, RP_DIR_OUT, 0x5555, false);
	assert_int_equal(dp_sad_sa_add(sad, &s, DP_SAD_MANUAL, why, sizeof(why)), 0);
	assert_int_equal(dp_sad_sa_del(sad, 5, why, sizeof(why)), -EPERM);
	assert_int_equal(dp_sad_sa_update(sad, &s, why, sizeof(why)), -EPERM);
	dp_sad_free(sad);
}

/* SA_UPDATE: limits in place; an outbound endpoint change swaps in a copy whose sequence
 * numbers continue past the old ones. */
static void test_update(void **state)
{
	struct dp_sad *sad = mk_sad(16, 16);
	struct dp_sa *o, *n;
	struct rp_msg_sa s;
	struct rp_prefix p;
	char why[128];

	(void)state;
	mk_msa(&s, 1, RP_DIR_OUT, 0x1000, false);
	assert_int_equal(add(sad, &s), 0);
	pfx4(&p, "198.18.7.0", 24);
	assert_int_equal(route(sad, &p, 1, false, why, sizeof(why)), 0);
	o = dp_sad_find(sad, 1);
	o->esp.seq = 5000;
	o->esp.ctr.packets = 4990;
	s.hard_packets = 100000;
	assert_int_equal(dp_sad_sa_update(sad, &s, why, sizeof(why)), 0);
	assert_ptr_equal(dp_sad_find(sad, 1), o);
	assert_int_equal(o->esp.hard_packets, 100000);
	/* NAT mapping changed: new remote and UDP encapsulation. */
	s.remote[3] = 99;
	s.flags |= RP_SAF_NATT;
	s.natt_sport = 4500;
	s.natt_dport = 31000;
	assert_int_equal(dp_sad_sa_update(sad, &s, why, sizeof(why)), 0);
	n = dp_sad_find(sad, 1);
	assert_ptr_not_equal(n, o);
	assert_int_equal(n->esp.seq, 5000 + 65536);
	assert_int_equal(n->esp.ctr.packets, 4990);
	assert_int_equal(n->gen, o->gen);
	assert_int_equal(n->slot, o->slot);
	assert_int_equal(n->esp.hard_packets, 100000);
	assert_true(n->esp.flags & ESP_SAF_NATT);
	assert_int_equal(n->remote[3], 99);
	assert_int_equal(lookup(sad, "198.18.7.1"), 1);
	dp_sad_free(sad);
}

static volatile int reader_go;

static void *late_reader(void *arg)
{
	(void)arg;
	usleep(60000);
	rte_rcu_qsbr_quiescent(qs, 0);
	reader_go = 1;
	return NULL;
}

/* Nothing a reader may hold is freed or reused before it reports a quiescent state. */
static void test_rcu_reclaim(void **state)
{
	struct dp_sad *sad = mk_sad(8, 8);
	struct dp_sad_counts cnt;
	struct dp_sad_view v;
	struct rp_msg_sa s;
	struct rp_prefix p;
	struct dp_sa *held;
	pthread_t th;
	uint32_t slot;
	uint64_t t0;
	char why[128];

	(void)state;
	dp_sad_view(sad, &v);
	assert_int_equal(rte_rcu_qsbr_thread_register(qs, 0), 0);
	rte_rcu_qsbr_thread_online(qs, 0);
	mk_msa(&s, 1, RP_DIR_IN, 0x1000, false);
	assert_int_equal(add(sad, &s), 0);
	/* "Worker" 0 looks the SA up and holds it. */
	held = dp_sad_find(sad, 1);
	slot = held->slot;
	assert_int_equal(dp_sad_sa_del(sad, 1, why, sizeof(why)), 0);
	assert_null(dp_sad_slot(&v, slot));
	assert_int_equal(dp_sad_reclaim(sad, false), 0);
	dp_sad_counts(sad, &cnt);
	assert_int_equal(cnt.reclaim_pending, 2); /* the SA and its hash position */
	/* Still readable: not wiped, not reused (the next SA gets another slot). */
	assert_int_equal(held->sa_id, 1);
	assert_int_equal(held->esp.spi, htonl(0x1000));
	mk_msa(&s, 2, RP_DIR_IN, 0x2000, false);
	assert_int_equal(add(sad, &s), 0);
	assert_int_not_equal(dp_sad_find(sad, 2)->slot, slot);
	/* The reader moves on: now both are reclaimed and the slot comes back. */
	rte_rcu_qsbr_quiescent(qs, 0);
	assert_int_equal(dp_sad_reclaim(sad, false), 2);
	mk_msa(&s, 3, RP_DIR_IN, 0x3000, false);
	assert_int_equal(add(sad, &s), 0);
	assert_int_equal(dp_sad_find(sad, 3)->slot, slot);

	/* Two FIB writes are separated by a grace period: the second waits for the reader. */
	mk_msa(&s, 4, RP_DIR_OUT, 0x4000, false);
	assert_int_equal(add(sad, &s), 0);
	rte_rcu_qsbr_quiescent(qs, 0);
	pfx4(&p, "198.18.0.0", 25);
	assert_int_equal(route(sad, &p, 4, false, why, sizeof(why)), 0);
	reader_go = 0;
	assert_int_equal(pthread_create(&th, NULL, late_reader, NULL), 0);
	t0 = now_ns();
	pfx4(&p, "198.18.0.128", 25);
	assert_int_equal(route(sad, &p, 4, false, why, sizeof(why)), 0);
	assert_true(reader_go);
	assert_true(now_ns() - t0 >= 50000000ull);
	pthread_join(th, NULL);
	dp_sad_counts(sad, &cnt);
	assert_int_equal(cnt.fib_waits, 1);
	assert_int_equal(lookup(sad, "198.18.0.200"), 4);
	/* An offline reader delays nothing. */
	rte_rcu_qsbr_thread_offline(qs, 0);
	pfx4(&p, "198.18.1.0", 24);
	assert_int_equal(route(sad, &p, 4, false, why, sizeof(why)), 0);
	assert_int_equal(dp_sad_sa_del(sad, 4, why, sizeof(why)), 0);
	assert_true(dp_sad_reclaim(sad, false) >= 1);
	rte_rcu_qsbr_thread_unregister(qs, 0);
	dp_sad_free(sad);
}

/* Resync: what is sent again keeps its state, the rest goes at RESYNC_END. */
static void test_resync(void **state)
{
	struct dp_sad *sad = mk_sad(16, 16);
	struct rp_msg_sa a, b, m;
	struct rp_prefix p;
	unsigned int routes = 0;
	char why[128];

	(void)state;
	mk_msa(&a, 1, RP_DIR_OUT, 0x1000, false);
	mk_msa(&b, 2, RP_DIR_OUT, 0x2000, false);
	mk_msa(&m, 3, RP_DIR_OUT, 0x3000, false);
	assert_int_equal(add(sad, &a), 0);
	assert_int_equal(add(sad, &b), 0);
	assert_int_equal(dp_sad_sa_add(sad, &m, DP_SAD_MANUAL, why, sizeof(why)), 0);
	pfx4(&p, "198.18.1.0", 24);
	assert_int_equal(route(sad, &p, 1, false, why, sizeof(why)), 0);
	pfx4(&p, "198.18.2.0", 24);
	assert_int_equal(route(sad, &p, 2, false, why, sizeof(why)), 0);
	dp_sad_find(sad, 1)->esp.seq = 777;
	dp_sad_resync_begin(sad);
	a.seq_start = 10; /* rampartd's older idea: the dataplane's 777 wins */
	assert_int_equal(dp_sad_sa_add(sad, &a, DP_SAD_RESYNC, why, sizeof(why)), 0);
	pfx4(&p, "198.18.1.0", 24);
	assert_int_equal(route(sad, &p, 1, false, why, sizeof(why)), 0);
	assert_int_equal(dp_sad_resync_end(sad, &routes), 1);
	assert_int_equal(routes, 1);
	assert_non_null(dp_sad_find(sad, 1));
	assert_int_equal(dp_sad_find(sad, 1)->esp.seq, 777);
	assert_null(dp_sad_find(sad, 2));
	assert_non_null(dp_sad_find(sad, 3)); /* manual: not rampartd's to remove */
	assert_int_equal(lookup(sad, "198.18.1.1"), 1);
	assert_int_equal(lookup(sad, "198.18.2.1"), 0);
	/* Same sa_id, other keys, during a resync: replaced (state starts over). */
	dp_sad_resync_begin(sad);
	a.enc_key[0] ^= 1;
	assert_int_equal(dp_sad_sa_add(sad, &a, DP_SAD_RESYNC, why, sizeof(why)), 0);
	assert_int_equal(dp_sad_find(sad, 1)->esp.seq, 10);
	assert_int_equal(dp_sad_resync_end(sad, &routes), 0);
	dp_sad_free(sad);
}

static struct rp_msg_lifetime events[8];
static unsigned int n_events;
static bool refuse_next;

static bool on_event(void *arg, const struct rp_msg_lifetime *ev)
{
	(void)arg;
	if (refuse_next) {
		refuse_next = false;
		return false;
	}
	events[n_events++] = *ev;
	return true;
}

static void test_lifetimes(void **state)
{
	struct dp_sad *sad = mk_sad(16, 16);
	struct rp_msg_sa s;
	struct dp_sa *sa;

	(void)state;
	mk_msa(&s, 1, RP_DIR_OUT, 0x1000, false);
	s.soft_packets = 10;
	s.hard_packets = 20;
	s.soft_bytes = 1000000;
	assert_int_equal(add(sad, &s), 0);
	sa = dp_sad_find(sad, 1);
	assert_int_equal(sa->esp.hard_packets, 20);
	n_events = 0;
	dp_sad_lifetime_scan(sad, 100, on_event, NULL);
	assert_int_equal(n_events, 0);
	sa->esp.ctr.packets = 15;
	refuse_next = true; /* event ring full: retried at the next scan */
	dp_sad_lifetime_scan(sad, 100, on_event, NULL);
	assert_int_equal(n_events, 0);
	dp_sad_lifetime_scan(sad, 100, on_event, NULL);
	assert_int_equal(n_events, 1);
	assert_int_equal(events[0].sa_id, 1);
	assert_int_equal(events[0].hard, 0);
	assert_int_equal(events[0].by_packets, 1);
	assert_int_equal(events[0].packets, 15);
	dp_sad_lifetime_scan(sad, 100, on_event, NULL);
	assert_int_equal(n_events, 1);
	sa->esp.ctr.packets = 20;
	dp_sad_lifetime_scan(sad, 100, on_event, NULL);
	assert_int_equal(n_events, 2);
	assert_int_equal(events[1].hard, 1);
	dp_sad_lifetime_scan(sad, 100, on_event, NULL);
	assert_int_equal(n_events, 2);
	/* Both crossed at once: soft, then hard. */
	mk_msa(&s, 2, RP_DIR_IN, 0x2000, false);
	s.soft_bytes = 100;
	s.hard_bytes = 200;
	assert_int_equal(add(sad, &s), 0);
	dp_sad_find(sad, 2)->esp.ctr.bytes = 500;
	dp_sad_lifetime_scan(sad, 100, on_event, NULL);
	assert_int_equal(n_events, 4);
	assert_true(events[2].sa_id == 2 && !events[2].hard && !events[2].by_packets);
	assert_true(events[3].sa_id == 2 && events[3].hard);
	/* Raised limits (SA_UPDATE) may be reported again. */
	s.soft_bytes = 1000;
	s.hard_bytes = 2000;
	assert_int_equal(dp_sad_sa_update(sad, &s, (char[96]){ 0 }, 96), 0);
	dp_sad_lifetime_scan(sad, 100, on_event, NULL);
	assert_int_equal(n_events, 4);
	dp_sad_free(sad);
}

/* Neighbours: static entries, learning through the ring, the gateway, gateway_mac. */
static void test_neigh(void **state)
{
	struct dp_config dc;
	struct dp_neigh *n = NULL;
	struct rte_ether_addr mac;
	uint8_t a[16] = { 0 };
	static const uint8_t m1[6] = { 2, 0, 0, 0, 0, 1 }, m2[6] = { 2, 0, 0, 0, 0, 2 };
	static const uint8_t mcast[6] = { 1, 0, 0x5e, 0, 0, 1 };

	(void)state;
	memset(&dc, 0, sizeof(dc));
	dc.n_ports = 2;
	snprintf(dc.ports[0].name, sizeof(dc.ports[0].name), "outside");
	snprintf(dc.ports[1].name, sizeof(dc.ports[1].name), "inside");
	dc.ports[0].has_gateway_mac = true;
	memcpy(dc.ports[0].gateway_mac, (uint8_t[]){ 2, 0, 0, 0, 0, 0xee }, 6);
	dc.ports[0].n_neighbors = 1;
	dc.ports[0].neighbors[0].af = 4;
	inet_pton(AF_INET, "198.51.100.5", dc.ports[0].neighbors[0].addr);
	memcpy(dc.ports[0].neighbors[0].mac, (uint8_t[]){ 2, 0, 0, 0, 0, 0x55 }, 6);
	dc.ports[1].has_gw6 = true;
	inet_pton(AF_INET6, "2001:db8:200::1", dc.ports[1].gw6);
	assert_int_equal(dp_neigh_create(&dc, 1, 0, &n), 0);

	inet_pton(AF_INET, "198.51.100.5", a);
	assert_true(dp_neigh_resolve(n, 0, 4, a, &mac));
	assert_int_equal(mac.addr_bytes[5], 0x55);
	/* Unknown on the outside: gateway_mac. On the inside: nothing yet. */
	inet_pton(AF_INET, "198.51.100.6", a);
	assert_true(dp_neigh_resolve(n, 0, 4, a, &mac));
	assert_int_equal(mac.addr_bytes[5], 0xee);
	assert_false(dp_neigh_resolve(n, 1, 4, a, &mac));
	/* Learned (worker 0 queues, the main lcore applies). */
	assert_true(dp_neigh_learn(n, 0, 0, 4, a, m1));
	assert_false(dp_neigh_resolve(n, 0, 4, a, &mac) && mac.addr_bytes[5] == 1);
	assert_int_equal(dp_neigh_drain(n, 100), 1);
	assert_true(dp_neigh_resolve(n, 0, 4, a, &mac));
	assert_int_equal(mac.addr_bytes[5], 1);
	/* Moves; static entries stay; group addresses are never learned. */
	assert_true(dp_neigh_learn(n, 0, 0, 4, a, m2));
	inet_pton(AF_INET, "198.51.100.5", a);
	assert_true(dp_neigh_learn(n, 0, 0, 4, a, m2));
	assert_true(dp_neigh_learn(n, 0, 0, 4, a, mcast));
	assert_int_equal(dp_neigh_drain(n, 100), 2);
	assert_true(dp_neigh_resolve(n, 0, 4, a, &mac));
	assert_int_equal(mac.addr_bytes[5], 0x55);
	inet_pton(AF_INET, "198.51.100.6", a);
	assert_true(dp_neigh_resolve(n, 0, 4, a, &mac));
	assert_int_equal(mac.addr_bytes[5], 2);
	assert_int_equal(n->moved, 1);
	assert_int_equal(n->static_kept, 1);
	/* Inside: the IPv6 gateway once learned carries every off-link destination. */
	inet_pton(AF_INET6, "2001:db8:200::1", a);
	assert_true(dp_neigh_learn(n, 0, 1, 6, a, m1));
	dp_neigh_drain(n, 100);
	inet_pton(AF_INET6, "2001:db8:300::9", a);
	assert_true(dp_neigh_resolve(n, 1, 6, a, &mac));
	assert_int_equal(mac.addr_bytes[5], 1);
	/* Per port: the outside knows nothing of the inside's neighbours. */
	assert_true(dp_neigh_resolve(n, 0, 6, a, &mac));
	assert_int_equal(mac.addr_bytes[5], 0xee);
	dp_neigh_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lpm_overlap),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_rcu_reclaim),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_lifetimes),
		cmocka_unit_test(test_neigh),
		cmocka_unit_test(test_scale),
	};
	/* No shared config and no telemetry: only an empty runtime directory, removed below. */
	char prefix[64], rundir[PATH_MAX];
	char *argv[] = { "test_sad", "--no-huge", "-m", "1536", "--no-pci", "--no-shconf",
			 "--no-telemetry", "-l", "0", "--log-level", "error", "--file-prefix",
			 prefix, NULL };
	size_t sz;
	int rc;

	snprintf(prefix, sizeof(prefix), "rp-test-sad-%d", (int)getpid());
	rp_log_init("test_sad", RP_LOG_STDERR, RP_LOG_WARN);
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		printf("SKIP: DPDK EAL cannot start here (root? memory?)\n");
		return 77;
	}
	sz = rte_rcu_qsbr_get_memsize(2);
	qs = rte_zmalloc("qs", sz, RTE_CACHE_LINE_SIZE);
	if (!qs || rte_rcu_qsbr_init(qs, 2) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_free(qs);
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(rundir);
	return rc;
}
