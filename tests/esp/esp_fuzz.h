/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Input format of tests/fuzz/fuzz_esp_inbound.c, shared with its seed generator
 * (gen_esp_fuzz_seeds.c) so that the seeds are packets of the fuzzer's own SAs.
 *
 *   byte 0   configuration:
 *            bits 0-1  algorithm: 0 NULL + HMAC-SHA-256-128, 1 AES-CBC-128 + HMAC-SHA-1-96,
 *                      2 AES-GCM-128, 3 ChaCha20-Poly1305
 *            bit 2     outer IPv6          bit 3  NAT-T (UDP 4500)
 *            bit 4     ESN                 bit 6  anti-replay disabled
 *            bit 5     sealed: the packets are plaintexts (payload, padding, pad length,
 *                      next header) that the harness encrypts and authenticates with the
 *                      outbound SA, so that trailer and inner-header checks are reached;
 *                      otherwise they are wire packets from the outer IP header on
 *            bit 7     burst: the rest is up to 8 packets, each a 16-bit big-endian
 *                      length and its bytes; otherwise the rest is one packet
 *   bytes 1-4 with ESN: high half of the sequence numbers in use (the receiver has seen
 *            hi:0xfffffff0, the sender continues from there, so the 2^32 wrap is near)
 */
#ifndef RAMPART_TESTS_ESP_FUZZ_H
#define RAMPART_TESTS_ESP_FUZZ_H

#include "esp_tu.h"

#define FZ_SEALED 0x20u
#define FZ_BURST 0x80u
#define FZ_ESN 0x10u
#define FZ_SA_BITS 0x5fu /* the bits that select an SA */
#define FZ_MAX_PKTS 8

static inline void fz_msg(struct rp_msg_sa *m, uint8_t cfg, uint8_t dir)
{
	static const uint8_t ciph[4] = { RP_CIPHER_NULL, RP_CIPHER_AES_CBC_128,
					 RP_CIPHER_AES_GCM_128, RP_CIPHER_CHACHA20_POLY1305 };
	static const uint8_t integ[4] = { RP_INTEG_HMAC_SHA256_128, RP_INTEG_HMAC_SHA1_96,
					  RP_INTEG_NONE, RP_INTEG_NONE };
	uint16_t flags = (uint16_t)((cfg & 0x08 ? RP_SAF_NATT : 0) | (cfg & FZ_ESN ? RP_SAF_ESN : 0) |
				    (cfg & 0x40 ? RP_SAF_NO_REPLAY : 0));

	tu_msg_sa(m, dir, cfg & 0x04 ? 6 : 4, ciph[cfg & 3], integ[cfg & 3], flags,
		  cfg & FZ_SA_BITS);
}

#endif
