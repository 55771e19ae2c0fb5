/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
#include "esp_tu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ip.h>

struct rte_mempool *tu_pool;
IMB_MGR *tu_mgr;

static void die(const char *what)
{
	fprintf(stderr, "esp test setup: %s\n", what);
	abort();
}

void tu_init(void)
{
	/* DPDK 22.11 refuses --in-memory with --no-huge (which implies legacy memory);
	 * --no-shconf and a per-process prefix leave no shared files behind either. */
	char prefix[64];
	char *argv[] = { "esp_test", "--no-huge", "--no-pci", "-m", "128", "--no-shconf",
			 prefix, "--log-level=error", "--no-telemetry", "-l", "0", NULL };
	IMB_ARCH arch;

	if (tu_pool)
		return;
	snprintf(prefix, sizeof(prefix), "--file-prefix=esp_tu_%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0)
		die("rte_eal_init failed");
	tu_pool = rte_pktmbuf_pool_create("esp_tu", 4095, 128, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  SOCKET_ID_ANY);
	if (!tu_pool)
		die("mbuf pool");
	tu_mgr = alloc_mb_mgr(0);
	if (!tu_mgr)
		die("alloc_mb_mgr");
	init_mb_mgr_auto(tu_mgr, &arch);
	if (imb_get_errno(tu_mgr))
		die("init_mb_mgr_auto");
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t tu_hex(uint8_t *out, size_t max, const char *hex)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v = hexval(*hex);

		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= max)
			die("hex overflow");
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		die("odd hex digits");
	return n;
}

void tu_msg_sa(struct rp_msg_sa *m, uint8_t dir, uint8_t outer_af, uint8_t cipher,
	       uint8_t integ, uint16_t flags, uint32_t seed)
{
	static const uint8_t v4l[4] = { 192, 0, 2, 1 }, v4r[4] = { 198, 51, 100, 2 };
	static const uint8_t v6l[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t v6r[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

	memset(m, 0, sizeof(*m));
	m->sa_id = 100 + seed;
	m->spi = rte_cpu_to_be_32(0x1000 + seed);
	m->dir = dir;
	m->outer_af = outer_af;
	m->cipher = cipher;
	m->integ = integ;
	m->enc_key_len = (uint8_t)rp_cipher_key_len(cipher);
	m->auth_key_len = (uint8_t)rp_integ_key_len(integ);
	m->salt_len = (uint8_t)rp_cipher_salt_len(cipher);
	m->flags = flags;
	m->replay_window = 128;
	m->natt_sport = 4500;
	m->natt_dport = 4501;
	for (unsigned int i = 0; i < RP_KEY_MAX; i++)
		m->enc_key[i] = (uint8_t)(seed * 7 + i * 13 + 1);
	for (unsigned int i = 0; i < RP_AUTH_KEY_MAX; i++)
		m->auth_key[i] = (uint8_t)(seed * 11 + i * 5 + 3);
	for (unsigned int i = 0; i < RP_SALT_MAX; i++)
		m->salt[i] = (uint8_t)(seed + i + 0x40);
	if (outer_af == 4) {
		memcpy(m->local, dir == RP_DIR_OUT ? v4l : v4r, 4);
		memcpy(m->remote, dir == RP_DIR_OUT ? v4r : v4l, 4);
	} else {
		memcpy(m->local, dir == RP_DIR_OUT ? v6l : v6r, 16);
		memcpy(m->remote, dir == RP_DIR_OUT ? v6r : v6l, 16);
	}
	m->n_ts = 2;
	m->ts[0].af = 4;
	m->ts[0].addr[0] = 10;
	m->ts[0].plen = 8;
	m->ts[1].af = 6;
	m->ts[1].addr[0] = 0xfd;
	m->ts[1].plen = 8;
}

struct esp_sa *tu_sa_new(void)
{
	struct esp_sa *sa = aligned_alloc(64, sizeof(*sa));

	if (!sa)
		die("out of memory");
	memset(sa, 0, sizeof(*sa));
	return sa;
}

void tu_sa_free(struct esp_sa *sa)
{
	if (sa)
		esp_sa_wipe(sa);
	free(sa);
}

struct esp_sa *tu_sa(const struct rp_msg_sa *m)
{
	struct esp_sa *sa = tu_sa_new();
	char err[200];

	if (esp_sa_init(sa, m, tu_mgr, err, sizeof(err)) != 0) {
		fprintf(stderr, "esp_sa_init: %s\n", err);
		abort();
	}
	return sa;
}

struct rte_mbuf *tu_mbuf(const void *data, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(tu_pool);
	char *p;

	if (!m)
		die("mbuf pool empty");
	p = rte_pktmbuf_append(m, (uint16_t)len);
	if (!p)
		die("packet too long for an mbuf");
	memcpy(p, data, len);
	return m;
}

size_t tu_inner(uint8_t *b, uint8_t af, size_t total, uint32_t seed)
{
	size_t hl = af == 4 ? 20 : 40;

	memset(b, 0, hl);
	for (size_t i = hl; i < total; i++)
		b[i] = (uint8_t)(seed + i * 31 + (i >> 8));
	if (af == 4) {
		b[0] = 0x45;
		b[1] = 0x2e; /* DSCP AF11 + ECT(0)... any value: copied to the outer header */
		b[2] = (uint8_t)(total >> 8);
		b[3] = (uint8_t)total;
		b[6] = (seed & 1) ? 0x40 : 0; /* DF on odd seeds */
		b[8] = 64;
		b[9] = 17;
		b[12] = 10;
		b[13] = 1;
		b[14] = 2;
		b[15] = 3;
		b[16] = 172;
		b[17] = 16;
		b[19] = 9;
		uint16_t ck = (uint16_t)~rte_raw_cksum(b, 20);

		memcpy(b + 10, &ck, 2);
	} else {
		b[0] = 0x60 | 0x0b;
		b[1] = 0x80;
		b[4] = (uint8_t)((total - 40) >> 8);
		b[5] = (uint8_t)(total - 40);
		b[6] = 17;
		b[7] = 64;
		b[8] = 0xfd;
		b[23] = 3;
		b[24] = 0xfd;
		b[25] = 0x99;
		b[39] = 9;
	}
	return total;
}

size_t tu_outer(uint8_t *b, uint8_t af, bool natt, const uint8_t *esp, size_t esp_len)
{
	size_t ipl = af == 4 ? 20 : 40, hl = ipl + (natt ? 8 : 0), total = hl + esp_len;

	memset(b, 0, hl);
	if (af == 4) {
		b[0] = 0x45;
		b[2] = (uint8_t)(total >> 8);
		b[3] = (uint8_t)total;
		b[8] = 50;
		b[9] = natt ? 17 : 50;
		b[12] = 198;
		b[13] = 51;
		b[14] = 100;
		b[15] = 2;
		b[16] = 192;
		b[18] = 2;
		b[19] = 1;
		uint16_t ck = (uint16_t)~rte_raw_cksum(b, 20);

		memcpy(b + 10, &ck, 2);
	} else {
		b[0] = 0x60;
		b[4] = (uint8_t)((total - 40) >> 8);
		b[5] = (uint8_t)(total - 40);
		b[6] = natt ? 17 : 50;
		b[7] = 50;
		b[8] = 0x20;
		b[9] = 0x01;
		b[23] = 2;
		b[24] = 0x20;
		b[25] = 0x01;
		b[39] = 1;
	}
	if (natt) {
		b[ipl] = 4500 >> 8;
		b[ipl + 1] = 4500 & 0xff;
		b[ipl + 2] = 4500 >> 8;
		b[ipl + 3] = 4500 & 0xff;
		b[ipl + 4] = (uint8_t)((total - ipl) >> 8);
		b[ipl + 5] = (uint8_t)(total - ipl);
	}
	memcpy(b + hl, esp, esp_len);
	return total;
}

static int one(bool out, struct esp_sa *sa, struct rte_mbuf *m)
{
	struct rte_mbuf *pkts[1] = { m }, *dropped[1];
	struct esp_sa *sas[1] = { sa };
	uint8_t reasons[1];
	uint16_t nd = 0, ng;

	ng = out ? esp_outbound_burst(tu_mgr, pkts, sas, 1, dropped, reasons, &nd) :
		   esp_inbound_burst(tu_mgr, pkts, sas, 1, dropped, reasons, &nd);
	if (ng + nd != 1)
		die("burst lost a packet");
	return ng ? -1 : reasons[0];
}

int tu_out1(struct esp_sa *sa, struct rte_mbuf *m)
{
	return one(true, sa, m);
}

int tu_in1(struct esp_sa *sa, struct rte_mbuf *m)
{
	return one(false, sa, m);
}
