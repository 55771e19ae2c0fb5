/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * ESP engine micro-benchmark: single core, bursts of 32, no NIC.
 *
 * For each algorithm (AES-GCM-128, AES-GCM-256, AES-CBC-128 + HMAC-SHA-256-128,
 * ChaCha20-Poly1305), inner packet size (64 B, IMIX 7x64/4x576/1x1400 = 346 B average,
 * 1400 B) and SA count (1, 1000: packets spread over the SAs, so SA state misses cache),
 * packets go round esp_outbound_burst() -> esp_inbound_burst() -> outbound ... and each
 * call is timed with the TSC. Beside it, the "raw" line is intel-ipsec-mb alone on the same
 * ciphertext sizes through the same unchecked burst API (one key, no packet handling): the
 * ceiling.
 *
 * Prints only. usage: esp_bench [SECONDS per measurement, default 0.3]
 * Mpps and Gbps are for one core; Gbps counts inner IP bytes.
 *
 * Ceiling mode (used by perf/dp-bench): esp_bench --raw ALG enc|dec LEN[,LEN...] [SECONDS]
 * times only the "raw" intel-ipsec-mb loop, in either direction, for inner IP lengths LEN
 * taken in turn (at most 12), and prints one line: "raw ALG DIR CYCLES_PER_PACKET MPPS TSC_HZ".
 * ALG is aes-gcm-128, aes-gcm-256, aes-cbc-128-sha256 or chacha20-poly1305. Both modes run
 * on the first CPU the process may use (taskset picks the core).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <intel-ipsec-mb.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "dataplane/esp/esp.h"
#include "dataplane/esp/esp_priv.h" /* esp_job_order() */
#include "dataplane/esp/sa.h"

#define BURST 32
#define SETS 16 /* bursts in flight round the loop: 512 mbufs */

struct alg {
	const char *name;
	uint8_t cipher, integ;
};

static const struct alg algs[] = {
	{ "AES-GCM-128", RP_CIPHER_AES_GCM_128, RP_INTEG_NONE },
	{ "AES-GCM-256", RP_CIPHER_AES_GCM_256, RP_INTEG_NONE },
	{ "AES-CBC-128+SHA256", RP_CIPHER_AES_CBC_128, RP_INTEG_HMAC_SHA256_128 },
	{ "ChaCha20-Poly1305", RP_CIPHER_CHACHA20_POLY1305, RP_INTEG_NONE },
};
/* --raw names, same order as algs[] */
static const char *const raw_names[] = { "aes-gcm-128", "aes-gcm-256", "aes-cbc-128-sha256",
					 "chacha20-poly1305" };

static const unsigned int imix[12] = { 64, 64, 576, 64, 64, 576, 64, 1400, 64, 576, 64, 576 };

static struct rte_mempool *pool;
static IMB_MGR *mgr;
static double seconds = 0.3;
/* --raw: inner lengths taken in turn (else the size argument of bench_raw), direction */
static unsigned int raw_lens[12], n_raw_lens;
static bool raw_decrypt;

static void die(const char *what)
{
	fprintf(stderr, "esp_bench: %s\n", what);
	exit(1);
}

static unsigned int pkt_size(int size, unsigned int i)
{
	return size > 0 ? (unsigned int)size : imix[i % 12];
}

static void msg(struct rp_msg_sa *m, const struct alg *a, uint8_t dir, uint32_t k)
{
	memset(m, 0, sizeof(*m));
	m->sa_id = k + 1;
	m->spi = rte_cpu_to_be_32(0x10000 + k);
	m->dir = dir;
	m->outer_af = 4;
	m->cipher = a->cipher;
	m->integ = a->integ;
	m->enc_key_len = (uint8_t)rp_cipher_key_len(a->cipher);
	m->auth_key_len = (uint8_t)rp_integ_key_len(a->integ);
	m->salt_len = (uint8_t)rp_cipher_salt_len(a->cipher);
	m->replay_window = 1024;
	for (unsigned int i = 0; i < RP_KEY_MAX; i++)
		m->enc_key[i] = (uint8_t)(k + i);
	for (unsigned int i = 0; i < RP_AUTH_KEY_MAX; i++)
		m->auth_key[i] = (uint8_t)(k * 3 + i);
	memcpy(m->salt, &k, 4);
	m->local[0] = 192, m->local[3] = 1;
	m->remote[0] = 198, m->remote[3] = 2;
	m->n_ts = 1;
	m->ts[0].af = 4;
}

static struct esp_sa *sa_new(const struct rp_msg_sa *m)
{
	struct esp_sa *sa = aligned_alloc(64, sizeof(*sa));
	char err[160];

	if (!sa || esp_sa_init(sa, m, mgr, err, sizeof(err)) != 0)
		die(sa ? err : "out of memory");
	return sa;
}

static void inner(struct rte_mbuf *m, unsigned int len)
{
	uint8_t *p;

	rte_pktmbuf_reset(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (!p)
		die("packet does not fit an mbuf");
	memset(p, 0x5a, len);
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 17;
	p[12] = 10, p[15] = 1;
	p[16] = 10, p[19] = 2;
}

struct result {
	double out_cyc, in_cyc, raw_cyc; /* cycles per packet */
	double avg_len;                  /* inner bytes per packet */
};

static void bench_esp(const struct alg *a, int size, unsigned int n_sa, struct result *r)
{
	struct esp_sa **out = calloc(n_sa, sizeof(*out)), **in = calloc(n_sa, sizeof(*in));
	static struct rte_mbuf *pk[SETS][BURST];
	static uint32_t sa_of[SETS][BURST];
	uint64_t c_out = 0, c_in = 0, pkts = 0, bytes = 0, hz = rte_get_tsc_hz(), t_end;
	struct rp_msg_sa m;

	for (uint32_t k = 0; k < n_sa; k++) {
		msg(&m, a, RP_DIR_OUT, k);
		out[k] = sa_new(&m);
		m.dir = RP_DIR_IN;
		in[k] = sa_new(&m);
	}
	for (unsigned int s = 0; s < SETS; s++) {
		if (rte_pktmbuf_alloc_bulk(pool, pk[s], BURST) != 0)
			die("mbuf pool");
		for (unsigned int i = 0; i < BURST; i++) {
			inner(pk[s][i], pkt_size(size, s * BURST + i));
			/* A stride that walks every SA: consecutive packets rarely share one. */
			sa_of[s][i] = (uint32_t)((s * BURST + i) * 7919u % n_sa);
		}
	}
	t_end = rte_rdtsc() + (uint64_t)(seconds * (double)hz);
	while (rte_rdtsc() < t_end) {
		for (unsigned int s = 0; s < SETS; s++) {
			struct esp_sa *sas[BURST];
			struct rte_mbuf *dr[BURST];
			uint8_t rs[BURST];
			uint16_t nd, ng;
			uint64_t t0, t1, t2;

			for (unsigned int i = 0; i < BURST; i++) {
				sas[i] = out[sa_of[s][i]];
				bytes += pk[s][i]->data_len;
			}
			t0 = rte_rdtsc_precise();
			ng = esp_outbound_burst(mgr, pk[s], sas, BURST, dr, rs, &nd);
			t1 = rte_rdtsc_precise();
			if (ng != BURST)
				die(esp_drop_name(rs[0]));
			for (unsigned int i = 0; i < BURST; i++)
				sas[i] = in[sa_of[s][i]];
			ng = esp_inbound_burst(mgr, pk[s], sas, BURST, dr, rs, &nd);
			t2 = rte_rdtsc_precise();
			if (ng != BURST)
				die(esp_drop_name(rs[0]));
			c_out += t1 - t0;
			c_in += t2 - t1;
			pkts += BURST;
		}
	}
	r->out_cyc = (double)c_out / (double)pkts;
	r->in_cyc = (double)c_in / (double)pkts;
	r->avg_len = (double)bytes / (double)pkts;
	for (unsigned int s = 0; s < SETS; s++)
		rte_pktmbuf_free_bulk(pk[s], BURST);
	for (uint32_t k = 0; k < n_sa; k++) {
		esp_sa_wipe(out[k]);
		esp_sa_wipe(in[k]);
		free(out[k]);
		free(in[k]);
	}
	free(out);
	free(in);
}

/* The raw loop's buffers and keys (one key: the ceiling has no SA state to miss). */
static struct {
	uint8_t buf[BURST][2048] __rte_aligned(64);
	uint8_t tags[BURST][32], aad[16], nonce[16] __rte_aligned(16);
	uint8_t enc[16 * 15] __rte_aligned(16), dec[16 * 15] __rte_aligned(16);
	uint8_t ipad[64] __rte_aligned(16), opad[64] __rte_aligned(16);
	uint8_t key[32];
	struct gcm_key_data gkey;
} raw_data = { .key = { 1, 2, 3 } };

/* One raw job: buffer @p i, @p l bytes to cipher; for AES-CBC encryption of mixed sizes in
 * two passes (as rampart-dp's ESP_SAF_TWO_PASS SAs), @p pass 1 the cipher alone, 2 the HMAC
 * alone (0: both). */
static void raw_fill(const struct alg *a, IMB_JOB *j, unsigned int i, unsigned int l,
		     unsigned int pass)
{
	bool gcm = a->cipher == RP_CIPHER_AES_GCM_128 || a->cipher == RP_CIPHER_AES_GCM_256;

	j->cipher_direction = raw_decrypt ? IMB_DIR_DECRYPT : IMB_DIR_ENCRYPT;
	j->chain_order = raw_decrypt ? IMB_ORDER_HASH_CIPHER : IMB_ORDER_CIPHER_HASH;
	j->src = raw_data.buf[i];
	j->dst = raw_data.buf[i] + 24;
	j->cipher_start_src_offset_in_bytes = 24;
	j->msg_len_to_cipher_in_bytes = l;
	j->auth_tag_output = raw_data.tags[i];
	j->auth_tag_output_len_in_bytes = 16;
	j->user_data = NULL;
	if (a->cipher == RP_CIPHER_AES_CBC_128) {
		j->cipher_mode = pass == 2 ? IMB_CIPHER_NULL : IMB_CIPHER_CBC;
		j->hash_alg = pass == 1 ? IMB_AUTH_NULL : IMB_AUTH_HMAC_SHA_256;
		j->enc_keys = raw_data.enc;
		j->dec_keys = raw_data.dec;
		j->key_len_in_bytes = 16;
		j->iv = raw_data.buf[i] + 8;
		j->iv_len_in_bytes = 16;
		j->hash_start_src_offset_in_bytes = 0;
		j->msg_len_to_hash_in_bytes = 24 + l;
		j->u.HMAC._hashed_auth_key_xor_ipad = raw_data.ipad;
		j->u.HMAC._hashed_auth_key_xor_opad = raw_data.opad;
		return;
	}
	j->cipher_mode = gcm ? IMB_CIPHER_GCM : IMB_CIPHER_CHACHA20_POLY1305;
	j->hash_alg = gcm ? IMB_AUTH_AES_GMAC : IMB_AUTH_CHACHA20_POLY1305;
	j->enc_keys = gcm ? (const void *)&raw_data.gkey : (const void *)raw_data.key;
	j->dec_keys = j->enc_keys;
	j->key_len_in_bytes = a->cipher == RP_CIPHER_AES_GCM_128 ? 16 : 32;
	j->iv = raw_data.nonce;
	j->iv_len_in_bytes = 12;
	j->hash_start_src_offset_in_bytes = 24;
	j->msg_len_to_hash_in_bytes = l;
	if (gcm) {
		j->u.GCM.aad = raw_data.aad;
		j->u.GCM.aad_len_in_bytes = 8;
	} else {
		j->u.CHACHA20_POLY1305.aad = raw_data.aad;
		j->u.CHACHA20_POLY1305.aad_len_in_bytes = 8;
	}
}

/* intel-ipsec-mb alone: encrypt (+ authenticate) ESP-sized buffers, burst API, one key. */
static double bench_raw(const struct alg *a, int size)
{
	uint8_t blk[64];
	uint64_t hz = rte_get_tsc_hz(), cyc = 0, jobs_done = 0, t_end;
	unsigned int len[BURST * 12], n_len = n_raw_lens ? n_raw_lens * BURST : BURST, k = 0;
	bool cbc = a->cipher == RP_CIPHER_AES_CBC_128, mixed = false;
	unsigned int passes;

	for (unsigned int i = 0; i < n_len; i++) {
		unsigned int al = cbc ? 16 : 4;
		unsigned int l = n_raw_lens ? raw_lens[i % n_raw_lens] : pkt_size(size, i);

		len[i] = (l + 2 + al - 1) / al * al;
		mixed |= len[i] != len[0];
	}
	passes = cbc && !raw_decrypt && mixed ? 2 : 1;
	/* Multi-buffer lanes (HMAC, AES-CBC encryption): each burst's jobs longest first, as
	 * rampart-dp gives them (esp_job_order()), so the flush at the end of a burst has
	 * the least left to run with lanes empty; sorted here, outside the timed loop (the
	 * ceiling pays no sorting). */
	for (unsigned int b = 0; cbc && b + BURST <= n_len; b += BURST) {
		uint16_t l16[BURST];
		uint8_t ord[BURST];

		for (unsigned int i = 0; i < BURST; i++)
			l16[i] = (uint16_t)len[b + i];
		esp_job_order(l16, BURST, ord);
		for (unsigned int i = 0; i < BURST; i++)
			len[b + i] = l16[ord[i]];
	}
	if (a->cipher == RP_CIPHER_AES_GCM_128)
		IMB_AES128_GCM_PRE(mgr, raw_data.key, &raw_data.gkey);
	else if (a->cipher == RP_CIPHER_AES_GCM_256)
		IMB_AES256_GCM_PRE(mgr, raw_data.key, &raw_data.gkey);
	else if (cbc) {
		IMB_AES_KEYEXP_128(mgr, raw_data.key, raw_data.enc, raw_data.dec);
		memset(blk, 0x36, 64);
		IMB_SHA256_ONE_BLOCK(mgr, blk, raw_data.ipad);
		memset(blk, 0x5c, 64);
		IMB_SHA256_ONE_BLOCK(mgr, blk, raw_data.opad);
	}
	t_end = rte_rdtsc() + (uint64_t)(seconds * (double)hz);
	while (rte_rdtsc() < t_end) {
		IMB_JOB *jobs[BURST];
		uint64_t t0 = rte_rdtsc_precise();
		unsigned int k0 = k;
		uint32_t n = 0, done;

		for (unsigned int pass = passes == 2 ? 1 : 0; pass <= (passes == 2 ? 2u : 0u);
		     pass++) {
			n = IMB_GET_NEXT_BURST(mgr, BURST, jobs);
			k = k0;
			for (uint32_t i = 0; i < n; i++) {
				raw_fill(a, jobs[i], i, len[k], pass);
				k = k + 1 == n_len ? 0 : k + 1;
			}
			/* unchecked, as rampart-dp submits (the checked variant validates every
			 * job again: the ceiling would include work the dataplane does not do) */
			done = IMB_SUBMIT_BURST_NOCHECK(mgr, n, jobs);
			while (done < n) {
				uint32_t c = IMB_FLUSH_BURST(mgr, n - done, jobs);

				if (!c)
					die("raw burst did not complete");
				done += c;
			}
		}
		cyc += rte_rdtsc_precise() - t0;
		jobs_done += n;
	}
	return (double)cyc / (double)jobs_done;
}

int main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = { "esp_bench", "--no-huge", "--no-pci", "-m", "256", "--no-shconf",
			prefix, "-l", "0", "--log-level=error", "--no-telemetry", NULL };
	static const int sizes[] = { 64, -1, 1400 };
	static const unsigned int sa_counts[] = { 1, 1000 };
	IMB_ARCH arch;
	double hz;

	char lcore[16];
	cpu_set_t cpus;
	int raw_alg = -1, cpu = 0;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
		while (cpu < CPU_SETSIZE - 1 && !CPU_ISSET(cpu, &cpus))
			cpu++;
	snprintf(lcore, sizeof(lcore), "%d", cpu);
	eal[8] = lcore;
	if (argc > 1 && strcmp(argv[1], "--raw") == 0) {
		char *p;

		if (argc < 5)
			die("usage: esp_bench --raw ALG enc|dec LEN[,LEN...] [SECONDS]");
		for (size_t a = 0; a < sizeof(raw_names) / sizeof(raw_names[0]); a++)
			if (strcmp(argv[2], raw_names[a]) == 0)
				raw_alg = (int)a;
		if (raw_alg < 0)
			die("unknown algorithm");
		raw_decrypt = strcmp(argv[3], "dec") == 0;
		for (p = argv[4]; *p && n_raw_lens < 12; p++) {
			unsigned int l = (unsigned int)strtoul(p, &p, 10);

			if (l < 20 || l > 1500)
				die("LEN: inner IP lengths 20..1500");
			raw_lens[n_raw_lens++] = l;
			if (*p != ',')
				break;
		}
		if (argc > 5)
			seconds = atof(argv[5]);
	} else if (argc > 1) {
		seconds = atof(argv[1]);
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=esp_bench_%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0)
		die("rte_eal_init");
	pool = rte_pktmbuf_pool_create("esp_bench", SETS * BURST + 512, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	mgr = alloc_mb_mgr(0);
	if (!pool || !mgr)
		die("setup");
	init_mb_mgr_auto(mgr, &arch);
	hz = (double)rte_get_tsc_hz();
	if (raw_alg >= 0) {
		double raw;

		bench_raw(&algs[raw_alg], 0); /* warm-up: first touch, clock ramp */
		raw = bench_raw(&algs[raw_alg], 0);

		printf("raw %s %s %.1f %.3f %.0f\n", raw_names[raw_alg], raw_decrypt ? "dec" : "enc",
		       raw, hz / raw / 1e6, hz);
		free_mb_mgr(mgr);
		rte_eal_cleanup();
		return 0;
	}
	printf("ESP engine, 1 core, bursts of %d, TSC %.2f GHz, intel-ipsec-mb %s (arch %d)\n",
	       BURST, hz / 1e9, imb_get_version_str(), (int)arch);
	printf("%-19s %-6s %5s | %-8s %7s %7s %8s | %-8s %7s %7s %8s | %s %7s\n", "algorithm",
	       "inner", "SAs", "outbound", "Mpps", "Gbps", "cyc/pkt", "inbound", "Mpps", "Gbps",
	       "cyc/pkt", "raw imb", "cyc/pkt");
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			double raw = bench_raw(&algs[a], sizes[s]);

			for (size_t c = 0; c < sizeof(sa_counts) / sizeof(sa_counts[0]); c++) {
				struct result r;
				char sz[16];

				bench_esp(&algs[a], sizes[s], sa_counts[c], &r);
				if (sizes[s] > 0)
					snprintf(sz, sizeof(sz), "%d", sizes[s]);
				else
					snprintf(sz, sizeof(sz), "IMIX");
				printf("%-19s %-6s %5u | %-8s %7.2f %7.2f %8.0f | %-8s %7.2f %7.2f %8.0f |"
				       " %5.2f Mpps %5.0f\n", algs[a].name, sz, sa_counts[c], "",
				       hz / r.out_cyc / 1e6, hz / r.out_cyc * r.avg_len * 8 / 1e9,
				       r.out_cyc, "", hz / r.in_cyc / 1e6,
				       hz / r.in_cyc * r.avg_len * 8 / 1e9, r.in_cyc, hz / raw / 1e6,
				       raw);
			}
		}
	}
	free_mb_mgr(mgr);
	rte_eal_cleanup();
	return 0;
}
