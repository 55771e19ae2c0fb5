/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Outer reassembly and the way to the kernel with mbuf chains (dataplane/frag.c) on a real
 * EAL (--no-huge, no device), mbuf by mbuf:
 *
 *   - IPv4 / IPv6 UDP datagrams of several kilobytes (IKE) reassembled from fragments given
 *     in reverse order come back for the kernel as chains with the datagram's exact bytes;
 *     dp_frag_for_kernel() cuts them into fragments within the MTU that put together give
 *     the datagram again (IPv4 checksums right, the Ethernet header kept);
 *   - ESP datagrams: one segment when they fit the data room, else reassembled_too_big;
 *   - dp_frag_for_kernel() failures (DF set, more fragments than allowed, out of mbufs,
 *     length field beyond the frame) return 0 and free everything;
 *   - a fragment ending beyond 65535 bytes is refused (reassembly_failed);
 *   - after every case every mbuf is back in the pool (no leaks on any path).
 *
 * Exits 77 when EAL cannot start here.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "common/log.h"
#include "dataplane/drop.h"
#include "dataplane/frag.h"

#define POOL_N 511
#define ETH 14

static struct rte_mempool *pool;
static struct dp_frag frag;
static uint64_t drops[DP_DROP_MAX];

static const uint8_t eth_hdr4[ETH] = { 2, 0, 0, 0, 0x0d, 1, 2, 0, 0, 0, 0x0c, 1, 0x08, 0x00 };
static const uint8_t eth_hdr6[ETH] = { 2, 0, 0, 0, 0x0d, 1, 2, 0, 0, 0, 0x0c, 1, 0x86, 0xdd };

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t ident;   /* of the next datagram */

static void ip4_cksum(uint8_t *h)
{
	uint16_t ck;

	memset(h + 10, 0, 2);
	ck = (uint16_t)~rte_raw_cksum(h, 20);
	memcpy(h + 10, &ck, 2);   /* rte_raw_cksum() sums in memory order */
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* An IP datagram (no Ethernet): IPv4 or IPv6 to 192.0.2.1 / 2001:db8::1, protocol @proto
 * (17: UDP to @port with @len bytes of payload; 50: ESP), into @buf. @return its length. */
static uint32_t datagram(uint8_t *buf, int af, uint8_t proto, uint16_t port, uint32_t len,
			 bool df)
{
	uint32_t hl = af == 4 ? 20 : 40, l4 = proto == 17 ? 8 : 0, total = hl + l4 + len;
	uint8_t *p = buf + hl + l4;

	memset(buf, 0, hl + l4);
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + len);
	if (len >= 4)   /* ESP: an SPI; UDP 4500: the non-ESP marker (IKE) */
		memcpy(p, proto == 50 ? "\x00\x00\x10\x01" : "\x00\x00\x00\x00", 4);
	if (af == 4) {
		buf[0] = 0x45;
		put16(buf + 2, total);
		put16(buf + 4, ++ident);
		if (df)
			buf[6] = 0x40;
		buf[8] = 57;
		buf[9] = proto;
		memcpy(buf + 12, "\xc6\x33\x64\x07", 4);   /* 198.51.100.7 */
		memcpy(buf + 16, "\xc0\x00\x02\x01", 4);   /* 192.0.2.1 */
		ip4_cksum(buf);
	} else {
		buf[0] = 0x60;
		put16(buf + 4, total - 40);
		buf[6] = proto;
		buf[7] = 57;
		memcpy(buf + 8, "\x20\x01\x0d\xb8\x00\x01\0\0\0\0\0\0\0\0\0\x07", 16);
		memcpy(buf + 24, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	}
	if (proto == 17) {
		put16(buf + hl, port);
		put16(buf + hl + 2, port);
		put16(buf + hl + 4, l4 + len);
	}
	return total;
}

/* The fragments of datagram @dg (@len bytes) with @per payload bytes each (a multiple of 8),
 * as Ethernet frames in @out, last first. @return how many. */
static unsigned int fragments(const uint8_t *dg, uint32_t len, uint32_t per, struct rte_mbuf **out)
{
	int af = dg[0] >> 4;
	uint32_t hl = af == 4 ? 20 : 40, pl = len - hl, n = (pl + per - 1) / per;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t ofs = i * per, fl = RTE_MIN(per, pl - ofs), fh = af == 4 ? 20 : 48;
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint8_t *p;
		uint16_t more = i + 1 < n;

		assert_non_null(m);
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(ETH + fh + fl));
		assert_non_null(p);
		memcpy(p, af == 4 ? eth_hdr4 : eth_hdr6, ETH);
		p += ETH;
		memcpy(p, dg, hl);
		if (af == 4) {
			put16(p + 2, fh + fl);
			put16(p + 6, (uint32_t)(dg[6] & 0x40) << 8 | more << 13 | ofs / 8);
			ip4_cksum(p);
		} else {
			put16(p + 4, 8 + fl);
			p[6] = 44;
			p[40] = dg[6];
			p[41] = 0;
			put16(p + 42, ofs | more);
			put16(p + 46, ident);
		}
		memcpy(p + fh, dg + hl + ofs, fl);
		out[n - 1 - i] = m;
	}
	return n;
}

/* Feed the fragments; @return what the last one gave. */
static struct rte_mbuf *reassemble(struct rte_mbuf **fr, unsigned int n, bool *for_kernel)
{
	struct rte_mbuf *whole = NULL;

	for (unsigned int i = 0; i < n; i++) {
		whole = dp_frag_reass_outer(&frag, fr[i], rte_rdtsc(), drops, for_kernel);
		if (i + 1 < n)
			assert_null(whole);
	}
	return whole;
}

static void assert_frame_is(const struct rte_mbuf *m, const uint8_t *eth, const uint8_t *dg,
			    uint32_t len)
{
	static uint8_t buf[70000];
	const uint8_t *got;

	assert_int_equal(m->pkt_len, ETH + len);
	got = rte_pktmbuf_read(m, 0, m->pkt_len, buf);   /* copies only when it must */
	assert_non_null(got);
	assert_memory_equal(got, eth, ETH);
	assert_memory_equal(got + ETH, dg, len);
}

static void assert_pool_full(void)
{
	rte_ip_frag_free_death_row(&frag.dr, 0);
	assert_int_equal(rte_mempool_avail_count(pool), POOL_N);
}

/* Put the kernel's fragments together again and compare with the datagram. */
static void assert_fragments_give(struct rte_mbuf **out, uint16_t n, const uint8_t *dg,
				  uint32_t len, uint16_t mtu)
{
	static uint8_t got[70000], fbuf[2000];
	const uint8_t *f;
	int af = dg[0] >> 4;
	uint32_t hl = af == 4 ? 20 : 40, fh = af == 4 ? 20 : 48, seen = 0;
	uint32_t id6 = 0;

	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *ip;
		uint32_t ofs, fl;
		bool more;

		assert_true(out[i]->pkt_len <= (uint32_t)ETH + mtu);
		f = rte_pktmbuf_read(out[i], 0, out[i]->pkt_len, fbuf);
		assert_non_null(f);
		assert_memory_equal(f, af == 4 ? eth_hdr4 : eth_hdr6, ETH);
		ip = f + ETH;
		if (af == 4) {
			assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
			assert_memory_equal(ip + 12, dg + 12, 8);
			assert_int_equal(get16(ip + 4), get16(dg + 4));   /* identification */
			fl = get16(ip + 2) - fh;
			ofs = (get16(ip + 6) & 0x1fff) * 8u;
			more = get16(ip + 6) & 0x2000;
		} else {
			uint32_t id = (uint32_t)ip[44] << 24 | (uint32_t)ip[45] << 16 |
				      (uint32_t)ip[46] << 8 | ip[47];

			assert_int_equal(ip[6], 44);
			assert_int_equal(ip[40], dg[6]);
			assert_memory_equal(ip + 8, dg + 8, 32);
			if (i == 0)
				id6 = id;
			assert_int_equal(id, id6);
			fl = get16(ip + 4) - 8u;
			ofs = get16(ip + 42) & 0xfff8u;
			more = get16(ip + 42) & 1;
		}
		assert_int_equal(out[i]->pkt_len, ETH + fh + fl);
		assert_int_equal(ofs, seen);   /* in order, no holes */
		assert_int_equal(more, i + 1 < n);
		memcpy(got + ofs, ip + fh, fl);
		seen += fl;
	}
	assert_int_equal(seen, len - hl);
	assert_memory_equal(got, dg + hl, len - hl);
}

static void kernel_chain(int af, uint16_t port, uint32_t size, uint32_t per, uint16_t mtu)
{
	static uint8_t dg[70000];
	struct rte_mbuf *fr[16], *out[DP_FRAG_OUT_MAX], *whole;
	uint32_t len = datagram(dg, af, 17, port, size, false);
	unsigned int n = fragments(dg, len, per, fr);
	bool fk = false;
	uint16_t k;

	memset(drops, 0, sizeof(drops));
	whole = reassemble(fr, n, &fk);
	assert_non_null(whole);
	assert_true(fk);
	assert_int_equal(whole->nb_segs, n);
	assert_frame_is(whole, af == 4 ? eth_hdr4 : eth_hdr6, dg, len);
	k = dp_frag_for_kernel(whole, mtu, out, DP_FRAG_OUT_MAX);
	assert_true(k > 1);
	assert_fragments_give(out, k, dg, len, mtu);
	rte_pktmbuf_free_bulk(out, k);
	for (int r = 0; r < DP_DROP_MAX; r++)
		assert_int_equal(drops[r], 0);
	assert_pool_full();
}

static void test_kernel_chain4(void **state)
{
	(void)state;
	kernel_chain(4, 500, 6000, 1480, 1500);
	kernel_chain(4, 4500, 9000, 1480, 1500);
	kernel_chain(4, 500, 3000, 1480, 576);
}

static void test_kernel_chain6(void **state)
{
	(void)state;
	kernel_chain(6, 500, 6000, 1448, 1500);
	kernel_chain(6, 4500, 8000, 1448, 1280);
}

/* Within the MTU: the chain itself may go (the caller sends it as it is). */
static void test_kernel_chain_small(void **state)
{
	static uint8_t dg[2000];
	struct rte_mbuf *fr[16], *whole;
	uint32_t len = datagram(dg, 4, 17, 500, 1400, false);
	unsigned int n = fragments(dg, len, 552, fr);
	bool fk = false;

	(void)state;
	whole = reassemble(fr, n, &fk);
	assert_non_null(whole);
	assert_true(fk);
	assert_int_equal(whole->nb_segs, 3);
	assert_frame_is(whole, eth_hdr4, dg, len);
	rte_pktmbuf_free(whole);
	assert_pool_full();
}

static void esp(int af, uint8_t proto, uint32_t size, bool fits)
{
	static uint8_t dg[70000];
	struct rte_mbuf *fr[16], *whole;
	uint32_t len = datagram(dg, af, proto, 4500, size, false);
	unsigned int n;
	bool fk = true;

	if (proto == 17)   /* ESP-in-UDP: an SPI where IKE has its zero marker */
		memcpy(dg + (af == 4 ? 20 : 40) + 8, "\x00\x00\x10\x01", 4);
	n = fragments(dg, len, 1448, fr);

	memset(drops, 0, sizeof(drops));
	whole = reassemble(fr, n, &fk);
	assert_false(fk);
	if (fits) {
		assert_non_null(whole);
		assert_int_equal(whole->nb_segs, 1);
		assert_frame_is(whole, af == 4 ? eth_hdr4 : eth_hdr6, dg, len);
		rte_pktmbuf_free(whole);
		assert_int_equal(drops[DP_DROP_REASSEMBLED_TOO_BIG], 0);
	} else {
		assert_null(whole);
		assert_int_equal(drops[DP_DROP_REASSEMBLED_TOO_BIG], 1);
	}
	assert_pool_full();
}

static void test_esp(void **state)
{
	(void)state;
	esp(4, 50, 1900, true);
	esp(6, 17, 1900, true);    /* ESP-in-UDP */
	esp(4, 50, 3000, false);
	esp(6, 17, 5000, false);
	esp(6, 50, 2500, false);
}

static struct rte_mbuf *chain_of(int af, uint32_t size, bool df, uint8_t *dg, uint32_t *len)
{
	struct rte_mbuf *fr[16], *whole;
	unsigned int n;
	bool fk = false;

	*len = datagram(dg, af, 17, 500, size, df);
	n = fragments(dg, *len, 1480, fr);
	whole = reassemble(fr, n, &fk);
	assert_non_null(whole);
	assert_true(fk);
	return whole;
}

static void test_kernel_failures(void **state)
{
	static uint8_t dg[70000];
	struct rte_mbuf *out[DP_FRAG_OUT_MAX], *m, *tiny[POOL_N];
	uint32_t len;
	unsigned int nt = 0;

	(void)state;
	/* DF set: may not be cut. */
	m = chain_of(4, 4000, true, dg, &len);
	assert_int_equal(dp_frag_for_kernel(m, 1500, out, DP_FRAG_OUT_MAX), 0);
	assert_pool_full();
	/* More fragments than allowed. */
	m = chain_of(4, 9000, false, dg, &len);
	assert_int_equal(dp_frag_for_kernel(m, 1500, out, 3), 0);
	assert_pool_full();
	m = chain_of(6, 9000, false, dg, &len);
	assert_int_equal(dp_frag_for_kernel(m, 1280, out, 3), 0);
	assert_pool_full();
	/* The IP length beyond the frame. */
	m = chain_of(4, 4000, false, dg, &len);
	put16(rte_pktmbuf_mtod_offset(m, uint8_t *, ETH + 2), len + 100);
	assert_int_equal(dp_frag_for_kernel(m, 1500, out, DP_FRAG_OUT_MAX), 0);
	assert_pool_full();
	/* Out of mbufs half-way: whatever was made is freed. */
	m = chain_of(6, 9000, false, dg, &len);
	while (rte_mempool_avail_count(pool) > 5) {
		tiny[nt] = rte_pktmbuf_alloc(pool);
		assert_non_null(tiny[nt]);
		nt++;
	}
	assert_int_equal(dp_frag_for_kernel(m, 1280, out, DP_FRAG_OUT_MAX), 0);
	rte_pktmbuf_free_bulk(tiny, nt);
	assert_pool_full();
}

static void test_reassembly_bounds(void **state)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p;
	bool fk;

	(void)state;
	memset(drops, 0, sizeof(drops));
	assert_non_null(m);
	/* The last fragment of a datagram that would end at 65528 + 1000 bytes. */
	p = (uint8_t *)rte_pktmbuf_append(m, ETH + 20 + 1000);
	memset(p, 0, ETH + 20 + 1000);
	memcpy(p, eth_hdr4, ETH);
	datagram(p + ETH, 4, 17, 500, 0, false);
	put16(p + ETH + 2, 1020);
	put16(p + ETH + 6, 8191);
	assert_null(dp_frag_reass_outer(&frag, m, rte_rdtsc(), drops, &fk));
	assert_int_equal(drops[DP_DROP_REASSEMBLY_FAILED], 1);
	assert_pool_full();
}

static int setup(void **state)
{
	(void)state;
	/* No lcore cache: rte_mempool_avail_count() is exact. */
	pool = rte_pktmbuf_pool_create("frag_chain", POOL_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	if (!pool || dp_frag_init(&frag, (int)rte_socket_id()) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dp_frag_fini(&frag);
	rte_mempool_free(pool);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_chain4),
		cmocka_unit_test(test_kernel_chain6),
		cmocka_unit_test(test_kernel_chain_small),
		cmocka_unit_test(test_esp),
		cmocka_unit_test(test_kernel_failures),
		cmocka_unit_test(test_reassembly_bounds),
	};
	char prefix[64], rundir[PATH_MAX];
	char *argv[] = { "test_frag_chain", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			 "--no-telemetry", "-l", "0", "--log-level", "error", "--file-prefix",
			 prefix, NULL };
	int rc;

	snprintf(prefix, sizeof(prefix), "rp-test-frag-chain-%d", (int)getpid());
	rp_log_init("test_frag_chain", RP_LOG_STDERR, RP_LOG_WARN);
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		printf("SKIP: DPDK EAL cannot start here (root? memory?)\n");
		return 77;
	}
	rc = cmocka_run_group_tests(tests, setup, teardown);
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(rundir);
	return rc;
}
