/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file esp_test.h
 * Test-only hooks of the ESP engine. They exist only in the library built with
 * -DESP_TEST_HOOKS (esp_test_lib, linked by tests/esp and the ESP fuzz target); the
 * production library (esp_lib) has neither this variable nor the code that reads it.
 *
 * They let a test reproduce published ESP packets (whose IVs and trailers were chosen by
 * their authors) and craft authentic packets with malformed trailers.
 */
#ifndef RAMPART_DP_ESP_TEST_H
#define RAMPART_DP_ESP_TEST_H

#include <stdbool.h>
#include <stdint.h>

#ifndef ESP_TEST_HOOKS
#error "esp_test.h is only for builds with -DESP_TEST_HOOKS (esp_test_dep)"
#endif

struct esp_test_hooks {
	/** Outbound: when set, the explicit IV of every packet (iv_len bytes) is copied from
	 *  here instead of being derived (CBC) or taken from the sequence number (AEAD). */
	const uint8_t *iv;
	/** Outbound: the mbuf already holds the complete plaintext (payload, padding, pad
	 *  length, next header): add no padding or trailer and do not check the inner header.
	 *  Packets whose length is not a multiple of the cipher block are dropped
	 *  (INNER_MALFORMED). */
	bool raw_payload;
	/** esp_sa_init() accepts AES-CBC with integrity NONE (for the RFC 3602 vectors, which
	 *  have no ICV). Never possible in production builds. */
	bool allow_cbc_without_integ;
};

extern struct esp_test_hooks esp_test_hooks;

#endif
