/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file manual_sa.h
 * Manually keyed SAs, field by field: the one parser and checker behind both the
 * configuration's `dataplane.manual_sas` (dataplane/manual.c, which reports with FILE:LINE)
 * and `rampartctl sa add FIELD VALUE...` (controlplane/cp_sa.c, which answers the operator).
 *
 * The fields are those of a manual_sas entry (common/conf_dp.c has their schema): each is set
 * from its text with rp_manual_sa_set(), then rp_manual_sa_finish() checks the whole (required
 * fields, key lengths against the algorithms, address families, selectors and routes) and
 * builds the SA_ADD and ROUTE_ADD payloads, finally checked by rp_msg_validate() exactly as
 * any SA_ADD from rampartd. Every error names the field it is about.
 *
 * Also the algorithm names operators write ("aes-gcm-128"), hex keys and prefixes.
 * No allocation: struct rp_manual_sa is caller-owned; it holds keys, so wipe it with
 * rp_manual_sa_wipe() when done.
 */
#ifndef RAMPART_COMMON_MANUAL_SA_H
#define RAMPART_COMMON_MANUAL_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

/** Routes per manual SA at most. */
#define RP_MANUAL_ROUTES_MAX 16

/**
 * SA ids rampartd hands out to SAs added with `rampartctl sa add` (or accepts from it):
 * the top of the id space. IKE counts up from 1 and must stay below; configuration manual
 * SAs should too (the dataplane refuses a duplicate id either way).
 */
#define RP_SA_ID_CLI_FIRST 0xff000000u
#define RP_SA_ID_CLI_LAST 0xfffffffeu

/* X(field, kind, min, max, help) — kinds: U (unsigned number, decimal or 0x hex), B (boolean),
 * S (word), H (hex key), P (prefix list: comma-separated on the command line, repeatable). */
#define RP_MANUAL_SA_FIELDS(X)                                                                 \
	X(sa_id, U, 1, 0xffffffffull, "handle of the SA (rampartctl: allocated when absent)")  \
	X(direction, S, 0, 0, "in (from the peer: decrypt) or out (to the peer: encrypt)")    \
	X(spi, U, 256, 0xffffffffull, "Security Parameter Index (256..0xffffffff)")            \
	X(cipher, S, 0, 0, "null, aes-cbc-128, aes-cbc-256, aes-gcm-128, aes-gcm-256, "        \
	  "chacha20-poly1305")                                                                 \
	X(integrity, S, 0, 0, "none (AEAD, default), hmac-sha1-96, hmac-sha256-128, "          \
	  "hmac-sha384-192, hmac-sha512-256")                                                  \
	X(key, H, 0, 0, "encryption key in hex (AEAD: key then 4-byte salt)")                  \
	X(auth_key, H, 0, 0, "integrity key in hex")                                           \
	X(local, S, 0, 0, "this concentrator's outer address")                                 \
	X(remote, S, 0, 0, "the peer's outer address, same family")                            \
	X(natt, B, 0, 1, "UDP encapsulation (RFC 3948), default false")                        \
	X(natt_sport, U, 1, 65535, "local UDP port with natt (default 4500)")                  \
	X(natt_dport, U, 1, 65535, "remote UDP port with natt (default 4500)")                 \
	X(esn, B, 0, 1, "64-bit extended sequence numbers")                                    \
	X(replay_window, U, 0, 4096, "a multiple of 64; 0 = no anti-replay (default)")          \
	X(seq_start, U, 0, 0x7fffffffffffffffull, "outbound: first sequence number - 1")        \
	X(traffic_selectors, P, 0, 0, "inbound: inner source prefixes (1..4, required)")        \
	X(routes, P, 0, 0, "outbound: inner destination prefixes sent through the SA")         \
	X(tunnel_mtu, U, 0, 9600, "0 = the port's MTU")                                        \
	X(soft_bytes, U, 0, 0x7fffffffffffffffull, "LIFETIME soft event after N bytes")         \
	X(hard_bytes, U, 0, 0x7fffffffffffffffull, "the SA stops after N bytes")                \
	X(soft_packets, U, 0, 0x7fffffffffffffffull, "LIFETIME soft event after N packets")     \
	X(hard_packets, U, 0, 0x7fffffffffffffffull, "the SA stops after N packets")            \
	X(paired_sa_id, U, 0, 0xffffffffull, "the other direction's sa_id")

enum rp_manual_sa_field {
#define X(f, kind, min, max, help) RP_MSA_##f,
	RP_MANUAL_SA_FIELDS(X)
#undef X
	RP_MSA_FIELD_MAX
};

/** A manual SA being built (fields private until rp_manual_sa_finish() returned 0). */
struct rp_manual_sa {
	struct rp_msg_sa sa;                               /**< the SA_ADD payload */
	struct rp_msg_route routes[RP_MANUAL_ROUTES_MAX];  /**< ROUTE_ADD payloads (outbound) */
	unsigned int n_routes;

	/* private */
	uint64_t seen;                /* bit per field set */
	uint64_t num[RP_MSA_FIELD_MAX];
	uint8_t key[RP_KEY_MAX + RP_SALT_MAX];
	int key_len;
	uint8_t auth_key[RP_AUTH_KEY_MAX];
	int auth_key_len;
	int local_af, remote_af;
	struct rp_prefix ts[RP_SA_TS_MAX];
	unsigned int n_ts;
	struct rp_prefix rt[RP_MANUAL_ROUTES_MAX];
	unsigned int n_rt;
};

/** Start an empty SA. */
void rp_manual_sa_init(struct rp_manual_sa *m);

/**
 * Set @p field from @p value. Prefix lists take one prefix or several separated by commas
 * and add to what an earlier call set; any other field may be set once.
 * @return 0; -ENOENT unknown field; -EEXIST set twice; -EINVAL bad value; -E2BIG too many
 *         prefixes. @p why says which and why ("spi: 255 is out of range 256..4294967295").
 */
int rp_manual_sa_set(struct rp_manual_sa *m, const char *field, const char *value, char *why,
		     size_t whylen);

/**
 * Check the SA as a whole and build the payloads. sa_id may be absent when @p need_id is
 * false (the caller allocates one later with rp_manual_sa_set_id()).
 * @param field set to the name of the field an error is about, or NULL (the SA as a whole)
 * @return 0, or -EINVAL with the reason in @p why.
 */
int rp_manual_sa_finish(struct rp_manual_sa *m, bool need_id, const char **field, char *why,
			size_t whylen);

/** Give a finished SA its id (also in its routes). */
void rp_manual_sa_set_id(struct rp_manual_sa *m, uint32_t sa_id);

/** True if @p field was set. */
bool rp_manual_sa_has(const struct rp_manual_sa *m, enum rp_manual_sa_field field);

/** Wipe (keys included). */
void rp_manual_sa_wipe(struct rp_manual_sa *m);

/** Name of a field ("spi"), NULL out of range. */
const char *rp_manual_sa_field_name(unsigned int field);

/** One-line help of a field. */
const char *rp_manual_sa_field_help(unsigned int field);

/** NULL-terminated operator names of ciphers, integrity algorithms, directions (schemas). */
extern const char *const rp_cipher_names[];
extern const char *const rp_integ_names[];
extern const char *const rp_dir_names[];

/** Operator name to value (case-insensitive). @return true if known. */
bool rp_cipher_lookup(const char *name, uint8_t *cipher);
bool rp_integ_lookup(const char *name, uint8_t *integ);

/** Operator name of a value ("aes-gcm-128"), "?" if unknown. */
const char *rp_cipher_opname(uint8_t cipher);
const char *rp_integ_opname(uint8_t integ);

/** Hex ("0x" optional, ':' allowed between bytes) into @p out. @return bytes, or -1. */
int rp_hex_decode(const char *s, uint8_t *out, size_t cap);

/** An IPv4 or IPv6 address into 16 bytes (IPv4 in the first 4). @return 4, 6 or 0. */
int rp_ip_parse(const char *s, uint8_t addr[16]);

/** "198.51.100.0/24", "2001:db8::/32" or an address (full length), host bits clear.
 *  @return 0 or -EINVAL. */
int rp_prefix_parse(const char *s, struct rp_prefix *p);

/** Format a prefix ("198.51.100.0/24"). @return @p buf. */
const char *rp_prefix_str(const struct rp_prefix *p, char *buf, size_t len);

#endif
