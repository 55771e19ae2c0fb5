/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Fuzz the inbound ESP path (dataplane/esp/esp_in.c): outer IPv4/IPv6/UDP parsing, length
 * checks, replay pre-check and ESN inference, authentication, trailer, inner header and
 * selector checks, decapsulation. Input format: tests/esp/esp_fuzz.h. Wire inputs mostly
 * stop at the ICV; sealed inputs are authentic, so everything after it is reached.
 *
 * Properties checked besides memory safety: a sealed packet never fails authentication;
 * an accepted packet comes out as an IPv4/IPv6 packet whose length matches its header and
 * (sealed) equals the start of the plaintext that went in; every packet comes back either
 * good or dropped, with a valid reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/esp/esp_fuzz.h"
#include "dataplane/esp/esp_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct esp_sa *sa_in[FZ_SA_BITS + 1], *sa_out[FZ_SA_BITS + 1];

static void sas_for(uint8_t cfg, struct esp_sa **in, struct esp_sa **out)
{
	uint8_t k = cfg & FZ_SA_BITS;

	if (!sa_in[k]) {
		struct rp_msg_sa m;

		fz_msg(&m, k, RP_DIR_IN);
		sa_in[k] = tu_sa(&m);
		fz_msg(&m, k, RP_DIR_OUT);
		sa_out[k] = tu_sa(&m);
	}
	*in = sa_in[k];
	*out = sa_out[k];
}

static void check(bool cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_esp_inbound: property violated: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *pk[FZ_MAX_PKTS], *dr[FZ_MAX_PKTS];
	struct esp_sa *sas[FZ_MAX_PKTS], *in, *out;
	const uint8_t *plain[FZ_MAX_PKTS];
	size_t plain_len[FZ_MAX_PKTS];
	uint8_t cfg, rs[FZ_MAX_PKTS];
	uint16_t n = 0, nd = 0, ng;
	size_t off = 1;

	if (size < 1)
		return 0;
	tu_init();
	cfg = data[0];
	sas_for(cfg, &in, &out);
	/* Fresh state for every input, so that runs are reproducible. */
	esp_replay_init(&in->replay, (in->flags & ESP_SAF_NO_REPLAY) ? 64 : 128);
	out->seq = 0;
	if (cfg & FZ_ESN) {
		uint32_t hi = 0;

		if (size < 5)
			return 0;
		hi = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 8 |
		     data[4];
		out->seq = (uint64_t)hi << 32 | 0xfffffff0u;
		if (out->seq)
			esp_replay_update(&in->replay, out->seq);
		off = 5;
	}

	while (off < size && n < FZ_MAX_PKTS) {
		size_t len = size - off;

		if (cfg & FZ_BURST) {
			if (len < 2)
				break;
			len = (size_t)data[off] << 8 | data[off + 1];
			off += 2;
			if (len > size - off)
				len = size - off;
		}
		const uint8_t *p = data + off;

		off += len;
		if (cfg & FZ_SEALED) {
			struct rte_mbuf *m;
			int r;

			len -= len % out->pad_align;
			if (len < 2 || len > 1800)
				continue;
			m = tu_mbuf(p, len);
			esp_test_hooks.raw_payload = true;
			r = tu_out1(out, m);
			esp_test_hooks.raw_payload = false;
			if (r >= 0) { /* only SEQ_OVERFLOW is possible here */
				check(r == ESP_DROP_SEQ_OVERFLOW, "sealing failed");
				rte_pktmbuf_free(m);
				continue;
			}
			pk[n] = m;
		} else {
			if (len > 2000)
				continue;
			pk[n] = tu_mbuf(p, len);
		}
		plain[n] = p;
		plain_len[n] = len;
		sas[n] = in;
		n++;
		if (!(cfg & FZ_BURST))
			break;
	}
	if (!n)
		return 0;

	struct rte_mbuf *orig[FZ_MAX_PKTS];

	memcpy(orig, pk, n * sizeof(*pk));
	ng = esp_inbound_burst(tu_mgr, pk, sas, n, dr, rs, &nd);
	check(ng + nd == n, "packets lost");
	if (getenv("FUZZ_ESP_VERBOSE")) { /* to see what a corpus reaches */
		fprintf(stderr, "cfg %02x: %u good", cfg, ng);
		for (uint16_t i = 0; i < nd; i++)
			fprintf(stderr, " %s", esp_drop_name(rs[i]));
		fprintf(stderr, "\n");
	}
	for (uint16_t i = 0; i < nd; i++) {
		check(rs[i] < ESP_DROP_MAX, "reason out of range");
		check(!(cfg & FZ_SEALED) || rs[i] != ESP_DROP_AUTH_FAILED,
		      "authentic packet failed authentication");
		rte_pktmbuf_free(dr[i]);
	}
	for (uint16_t i = 0; i < ng; i++) {
		const uint8_t *q = rte_pktmbuf_mtod(pk[i], const uint8_t *);
		uint32_t len = pk[i]->data_len;
		unsigned int k = 0;

		while (orig[k] != pk[i])
			k++;
		check(len >= 20 && (q[0] >> 4 == 4 || q[0] >> 4 == 6), "accepted a non-IP packet");
		check(q[0] >> 4 == 4 ? (uint32_t)(q[2] << 8 | q[3]) == len :
		      (uint32_t)(q[4] << 8 | q[5]) + 40 == len, "inner length mismatch");
		if (cfg & FZ_SEALED)
			check(len <= plain_len[k] && memcmp(q, plain[k], len) == 0,
			      "decapsulated bytes differ from the plaintext");
		else
			check(len < plain_len[k], "inner packet longer than the wire packet");
		rte_pktmbuf_free(pk[i]);
	}
	return 0;
}
