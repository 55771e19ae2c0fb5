/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Helpers shared by the ESP tests, the ESP fuzz target and its seed generator: DPDK EAL
 * without hugepages, an mbuf pool, an intel-ipsec-mb manager, SA records and packets. */
#ifndef RAMPART_TESTS_ESP_TU_H
#define RAMPART_TESTS_ESP_TU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <intel-ipsec-mb.h>
#include <rte_mbuf.h>

#include "common/msg.h"
#include "dataplane/esp/esp.h"
#include "dataplane/esp/sa.h"

extern struct rte_mempool *tu_pool;
extern IMB_MGR *tu_mgr;

/** EAL (--no-huge --no-pci -m 128 --in-memory), mbuf pool and IMB manager; once. Aborts on
 *  failure. */
void tu_init(void);

/** Parse hex (spaces and newlines ignored) into @p out; returns the byte count. Aborts on
 *  odd digits or overflow. */
size_t tu_hex(uint8_t *out, size_t max, const char *hex);

/** A complete SA record: deterministic keys (pattern from @p seed), SPI 0x1000 + seed,
 *  outer 192.0.2.1 -> 198.51.100.2 or 2001:db8::1 -> 2001:db8::2, NAT-T ports 4500/4501,
 *  replay window 128, inbound selectors 10.0.0.0/8 and fd00::/8. */
void tu_msg_sa(struct rp_msg_sa *m, uint8_t dir, uint8_t outer_af, uint8_t cipher,
	       uint8_t integ, uint16_t flags, uint32_t seed);

/** A 64-byte aligned zeroed SA (free with tu_sa_free, which wipes it). */
struct esp_sa *tu_sa_new(void);
void tu_sa_free(struct esp_sa *sa);

/** esp_sa_init() that aborts with the reason on failure. */
struct esp_sa *tu_sa(const struct rp_msg_sa *m);

/** An mbuf holding a copy of @p len bytes. */
struct rte_mbuf *tu_mbuf(const void *data, size_t len);

/** An inner IPv4 (src 10.1.2.3) or IPv6 (src fd00::3) packet of @p total bytes
 *  (>= 20 / 40), payload bytes from @p seed. Returns @p total. */
size_t tu_inner(uint8_t *buf, uint8_t af, size_t total, uint32_t seed);

/** Wrap the ESP packet @p esp (SPI onwards) in an outer IPv4/IPv6 (+ UDP) header as a
 *  peer would send it. Returns the total length. */
size_t tu_outer(uint8_t *buf, uint8_t af, bool natt, const uint8_t *esp, size_t esp_len);

/** Run one packet through a burst function; returns the drop reason or -1 if good. */
int tu_out1(struct esp_sa *sa, struct rte_mbuf *m);
int tu_in1(struct esp_sa *sa, struct rte_mbuf *m);

#endif
