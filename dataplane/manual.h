/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file manual.h
 * Manually keyed SAs: the configuration's `dataplane.manual_sas` list (schema
 * rp_conf_dp_manual_sa_schema in common/conf_dp.c, which bounds every number: sa_id 1..2^32-1,
 * spi 256..2^32-1, hex literals up to 0xffffffff included) turned into the very messages
 * rampartd would send, so that they are checked by rp_msg_validate() and installed by the
 * same code as negotiated SAs (dp_sad_sa_add(), dp_sad_route_add()). The fields are parsed and
 * checked by common/manual_sa.c, which `rampartctl sa add` goes through too: one parser, one
 * set of algorithm names and messages.
 *
 * No DPDK call here: unit-tested on its own.
 *
 * Ownership: dp_manual_from_cfg() returns an array the caller frees with dp_manual_free(),
 * which wipes the keys it holds.
 */
#ifndef RAMPART_DATAPLANE_MANUAL_H
#define RAMPART_DATAPLANE_MANUAL_H

#include <stdint.h>

#include "common/cfg.h"
#include "common/manual_sa.h"
#include "common/msg.h"

/** Routes per manual SA at most. */
#define DP_MANUAL_ROUTES_MAX RP_MANUAL_ROUTES_MAX

struct dp_manual_sa {
	struct rp_msg_sa sa;                          /**< an SA_ADD payload, validated */
	struct rp_msg_route routes[DP_MANUAL_ROUTES_MAX]; /**< ROUTE_ADD payloads (outbound) */
	unsigned int n_routes;
	int line;                                     /**< of the list element, for messages */
	char source[256];                             /**< file of the list element */
};

/**
 * Parse every element of the `manual_sas` list @p list (may be NULL: none).
 *
 * Keys are hex strings ("0x" optional, ':' allowed between bytes); for AES-GCM and
 * ChaCha20-Poly1305 the key string is the cipher key followed by the 4-byte salt, as IKEv2
 * KEYMAT lays them out (RFC 4106 section 8.1, RFC 7634 section 2). Each SA is checked with
 * rp_msg_validate() exactly as an SA_ADD from rampartd, and sa_id/SPI duplicates among the
 * list are refused; problems are reported with rp_cfg_error() (FILE:LINE).
 *
 * @return 0 and *out (NULL when @p n is 0) / *n, or -EINVAL after reporting, or -ENOMEM.
 */
int dp_manual_from_cfg(struct rp_cfg *c, const config_setting_t *list, struct dp_manual_sa **out,
		       unsigned int *n);

/** Wipe and free what dp_manual_from_cfg() returned. NULL is allowed. */
void dp_manual_free(struct dp_manual_sa *sas, unsigned int n);

/** rp_prefix_parse(): "198.51.100.0/24", "2001:db8::/32" or an address (full length) into
 *  @p p. Host bits must be clear. @return 0 or -EINVAL. */
int dp_prefix_parse(const char *s, struct rp_prefix *p);

/** rp_prefix_str(): format a prefix for messages ("198.51.100.0/24"). @return @p buf. */
const char *dp_prefix_str(const struct rp_prefix *p, char *buf, size_t len);

#endif
