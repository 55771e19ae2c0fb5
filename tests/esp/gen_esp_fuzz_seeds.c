/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Writes the seed corpus of tests/fuzz/fuzz_esp_inbound.c: real packets made by the
 * outbound path with the fuzzer's SAs (tests/esp/esp_fuzz.h), for every algorithm, outer
 * family, NAT-T and ESN, plus plaintexts (valid and with broken trailers) for the sealed
 * mode and a few bursts. usage: gen_esp_fuzz_seeds DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_fuzz.h"

static const char *dir;
static unsigned int count;

static void put(const char *name, const uint8_t *b, size_t n)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	if (!fp || fwrite(b, 1, n, fp) != n || fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
	count++;
}

/* Header bytes of an input: configuration and, with ESN, the high half (0: near 2^32). */
static size_t head(uint8_t *b, uint8_t cfg)
{
	b[0] = cfg;
	if (!(cfg & FZ_ESN))
		return 1;
	memset(b + 1, 0, 4);
	return 5;
}

/* An outbound packet of SA cfg carrying an inner packet of family af and length len,
 * as the harness's receiver expects it (sequence numbers continue from its state). */
static size_t wire(uint8_t cfg, uint8_t af, size_t len, unsigned int nth, uint8_t *out)
{
	struct rp_msg_sa m;
	struct esp_sa *sa;
	struct rte_mbuf *mb;
	uint8_t inner[2048];
	size_t n;

	fz_msg(&m, cfg & FZ_SA_BITS, RP_DIR_OUT);
	sa = tu_sa(&m);
	sa->seq = (cfg & FZ_ESN) ? 0xfffffff0u : 0;
	sa->seq += nth;
	tu_inner(inner, af, len, (uint32_t)(len + cfg));
	mb = tu_mbuf(inner, len);
	if (tu_out1(sa, mb) != -1)
		abort();
	n = mb->data_len;
	memcpy(out, rte_pktmbuf_mtod(mb, uint8_t *), n);
	rte_pktmbuf_free(mb);
	tu_sa_free(sa);
	return n;
}

/* inner || 1..npad || padlen || nh, aligned for the algorithm of cfg. */
static size_t plaintext(uint8_t cfg, uint8_t af, size_t len, uint8_t nh, int bad_pad,
			uint8_t *out)
{
	unsigned int al = (cfg & 3) == 1 ? 16 : 4, npad;
	size_t n = tu_inner(out, af, len, (uint32_t)len);

	npad = (unsigned int)((al - (len + 2) % al) % al);
	if (bad_pad && npad < 2)
		npad += al;
	for (unsigned int k = 0; k < npad; k++)
		out[n++] = (uint8_t)(k + 1 + (bad_pad && k == 1));
	out[n++] = (uint8_t)npad;
	out[n++] = nh;
	return n;
}

int main(int argc, char **argv)
{
	static const char *alg_names[4] = { "null-sha256", "cbc-sha1", "gcm128", "chacha" };
	uint8_t b[4096];
	char name[128];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	tu_init();
	for (unsigned int c = 0; c < 32; c++) {
		uint8_t cfg = (uint8_t)c;
		const char *a = alg_names[c & 3];
		const char *o = c & 4 ? "v6" : "v4";
		const char *nt = c & 8 ? "-natt" : "";
		const char *es = c & FZ_ESN ? "-esn" : "";
		size_t h, n;

		/* One wire packet, inner IPv4 or IPv6 alternately. */
		h = head(b, cfg);
		n = wire(cfg, c & 1 ? 6 : 4, 60 + c * 13, 0, b + h);
		snprintf(name, sizeof(name), "wire-%s-%s%s%s", a, o, nt, es);
		put(name, b, h + n);
		/* Sealed plaintexts: valid, TFC-padded, dummy, bad padding. */
		h = head(b, cfg | FZ_SEALED);
		n = plaintext(cfg, 4, 40 + c, 4, 0, b + h);
		snprintf(name, sizeof(name), "sealed-%s-%s%s%s", a, o, nt, es);
		put(name, b, h + n);
		if (c < 4) {
			n = plaintext(cfg, 6, 64, 41, 0, b + h);
			snprintf(name, sizeof(name), "sealed-%s-inner6", a);
			put(name, b, h + n);
			n = plaintext(cfg, 4, 40, 59, 0, b + h);
			snprintf(name, sizeof(name), "sealed-%s-dummy", a);
			put(name, b, h + n);
			n = plaintext(cfg, 4, 40, 4, 1, b + h);
			snprintf(name, sizeof(name), "sealed-%s-badpad", a);
			put(name, b, h + n);
			/* inner 40 bytes followed by 24 bytes of TFC padding */
			tu_inner(b + h, 4, 40, 9);
			memset(b + h + 40, 0, 24);
			{
				unsigned int al = (c & 3) == 1 ? 16 : 4;
				size_t k = 64, npad = (al - (k + 2) % al) % al;

				for (size_t i = 0; i < npad; i++)
					b[h + k++] = (uint8_t)(i + 1);
				b[h + k++] = (uint8_t)npad;
				b[h + k++] = 4;
				n = k;
			}
			snprintf(name, sizeof(name), "sealed-%s-tfc", a);
			put(name, b, h + n);
		}
		/* A burst: packets 1, 2, 3 and a duplicate of 2. */
		if ((c & 0x0c) == 0) {
			uint8_t p[4][2048];
			size_t pl[4];

			h = head(b, cfg | FZ_BURST);
			for (unsigned int k = 0; k < 3; k++)
				pl[k] = wire(cfg, 4, 80 + k, k, p[k]);
			memcpy(p[3], p[1], pl[1]);
			pl[3] = pl[1];
			n = h;
			for (unsigned int k = 0; k < 4; k++) {
				b[n++] = (uint8_t)(pl[k] >> 8);
				b[n++] = (uint8_t)pl[k];
				memcpy(b + n, p[k], pl[k]);
				n += pl[k];
			}
			snprintf(name, sizeof(name), "burst-%s%s", a, es);
			put(name, b, n);
		}
	}
	printf("wrote %u seeds to %s\n", count, dir);
	return 0;
}
