/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file msg.h
 * Fixed-layout, versioned messages exchanged between rampartd and rampart-dp over the
 * control channel (see chan.h).
 *
 * Every message occupies one ring slot of RP_MSG_SIZE bytes: a header followed by a payload
 * whose length is exactly the size of the payload structure of its type. Layouts are pinned
 * with static asserts; any change to a structure here must bump RP_MSG_VERSION, and the two
 * planes refuse to talk when their versions differ.
 *
 * Integers are in host byte order (both processes run on the same machine); addresses and
 * SPIs are stored in network byte order, as they appear on the wire, so the dataplane can
 * compare them with packet fields without conversion.
 */
#ifndef RAMPART_COMMON_MSG_H
#define RAMPART_COMMON_MSG_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Version of the message layouts and of the shared region. */
#define RP_MSG_VERSION 1u
/** Size of one ring slot, header included. */
#define RP_MSG_SIZE 512u

/* ---- message types ------------------------------------------------------------------------
 * X(NAME, value, payload struct, direction)   direction: CMD = rampartd -> rampart-dp,
 *                                                        EVT = rampart-dp -> rampartd
 * One list yields the enum, the names shown in logs and the payload sizes used by validation.
 */
#define RP_MSG_TYPES(X)                                                                      \
	X(PING,          1, struct rp_msg_ping,    CMD)                                           \
	X(SA_ADD,        2, struct rp_msg_sa,      CMD)                                           \
	X(SA_UPDATE,     3, struct rp_msg_sa,      CMD)                                           \
	X(SA_DEL,        4, struct rp_msg_sa_ref,  CMD)                                           \
	X(ROUTE_ADD,     5, struct rp_msg_route,   CMD)                                           \
	X(ROUTE_DEL,     6, struct rp_msg_route,   CMD)                                           \
	X(PORT_DUMP,     7, struct rp_msg_empty,   CMD)                                           \
	X(SA_DUMP,       8, struct rp_msg_empty,   CMD)                                           \
	X(STATS_REQ,     9, struct rp_msg_sa_ref,  CMD)                                           \
	X(RESYNC_BEGIN, 10, struct rp_msg_empty,   CMD)                                           \
	X(RESYNC_END,   11, struct rp_msg_empty,   CMD)                                           \
	X(KV_SET,       12, struct rp_msg_kv,      CMD)  /* test/benchmark traffic only */         \
	X(DROP_DUMP,    13, struct rp_msg_empty,   CMD)                                           \
	X(PONG,         64, struct rp_msg_ping,    EVT)                                           \
	X(ACK,          65, struct rp_msg_ack,     EVT)                                           \
	X(LIFETIME,     66, struct rp_msg_lifetime, EVT)                                          \
	X(ERROR,        67, struct rp_msg_error,   EVT)                                           \
	X(PORT_INFO,    68, struct rp_msg_port,    EVT)                                           \
	X(SA_INFO,      69, struct rp_msg_sa_stats, EVT)                                          \
	X(DUMP_END,     70, struct rp_msg_dump_end, EVT)                                          \
	X(DROP_INFO,    71, struct rp_msg_drop,    EVT)

enum rp_msg_type {
#define X(name, val, type, dir) RP_MSG_##name = val,
	RP_MSG_TYPES(X)
#undef X
};

/** Header flags. */
enum {
	RP_MSGF_MORE = 1u << 0,   /**< more replies to the same request follow */
	RP_MSGF_RESYNC = 1u << 1, /**< command is part of a resynchronisation dump */
};

/** Message header (40 bytes). */
struct rp_msg_hdr {
	uint16_t version; /**< RP_MSG_VERSION of the sender */
	uint16_t type;    /**< enum rp_msg_type */
	uint16_t len;     /**< payload length in bytes, == sizeof(payload struct of type) */
	uint16_t flags;   /**< RP_MSGF_* */
	uint32_t epoch;   /**< sender's epoch (incremented each time the sender attaches) */
	uint32_t reserved;
	uint64_t seq;     /**< per-ring sequence number, assigned by rp_chan_send(), from 1 */
	uint64_t ref;     /**< for events: seq of the command answered, 0 if unsolicited */
	uint64_t cookie;  /**< opaque to the channel; kept in the slot for producer resume */
};
static_assert(sizeof(struct rp_msg_hdr) == 40, "rp_msg_hdr layout");

#define RP_MSG_PAYLOAD_MAX (RP_MSG_SIZE - sizeof(struct rp_msg_hdr))

/* ---- enumerations used in payloads ------------------------------------------------------- */

enum rp_dir { RP_DIR_IN = 0, RP_DIR_OUT = 1 };

/** ESP ciphers (RFC 4303 transforms as negotiated by IKE). */
#define RP_CIPHERS(X)                    \
	X(NULL,          0,  0, 0)          \
	X(AES_CBC_128,   1, 16, 0)          \
	X(AES_CBC_256,   2, 32, 0)          \
	X(AES_GCM_128,   3, 16, 4)          \
	X(AES_GCM_256,   4, 32, 4)          \
	X(CHACHA20_POLY1305, 5, 32, 4)
/* X(name, value, key length, salt length) */
enum rp_cipher {
#define X(n, v, k, s) RP_CIPHER_##n = v,
	RP_CIPHERS(X)
#undef X
	RP_CIPHER_MAX_
};

/** ESP integrity algorithms (X(name, value, key length, ICV length)). AEAD ciphers use NONE. */
#define RP_INTEGS(X)                     \
	X(NONE,              0,  0,  0)     \
	X(HMAC_SHA1_96,      1, 20, 12)     \
	X(HMAC_SHA256_128,   2, 32, 16)     \
	X(HMAC_SHA384_192,   3, 48, 24)     \
	X(HMAC_SHA512_256,   4, 64, 32)
enum rp_integ {
#define X(n, v, k, i) RP_INTEG_##n = v,
	RP_INTEGS(X)
#undef X
	RP_INTEG_MAX_
};

/** SA flags. */
enum {
	RP_SAF_ESN = 1u << 0,      /**< extended sequence numbers */
	RP_SAF_NATT = 1u << 1,     /**< UDP encapsulation (RFC 3948) with natt ports */
	RP_SAF_NO_REPLAY = 1u << 2 /**< anti-replay disabled (manual SAs, tests) */
};

#define RP_KEY_MAX 32
#define RP_SALT_MAX 4
#define RP_AUTH_KEY_MAX 64
#define RP_SA_TS_MAX 4

/** An IPv4 or IPv6 prefix; IPv4 addresses use the first 4 bytes of addr. */
struct rp_prefix {
	uint8_t addr[16]; /**< network byte order */
	uint8_t af;       /**< 4 or 6 */
	uint8_t plen;     /**< 0..32 or 0..128 */
	uint8_t pad[2];
};
static_assert(sizeof(struct rp_prefix) == 20, "rp_prefix layout");

/** SA_ADD / SA_UPDATE: one direction of an ESP tunnel-mode SA with every parameter. */
struct rp_msg_sa {
	uint32_t sa_id;       /**< control-plane handle, unique among live SAs */
	uint32_t spi;         /**< network byte order */
	uint8_t dir;          /**< enum rp_dir */
	uint8_t outer_af;     /**< 4 or 6 */
	uint8_t cipher;       /**< enum rp_cipher */
	uint8_t integ;        /**< enum rp_integ */
	uint8_t enc_key_len;  /**< must equal the cipher's key length */
	uint8_t auth_key_len; /**< must equal the integrity algorithm's key length */
	uint8_t salt_len;     /**< must equal the cipher's salt length */
	uint8_t n_ts;         /**< number of traffic selectors used (1..RP_SA_TS_MAX) */
	uint16_t flags;       /**< RP_SAF_* */
	uint16_t replay_window; /**< 64..4096, multiple of 64 (ignored with RP_SAF_NO_REPLAY) */
	uint16_t natt_sport;  /**< local UDP port, host order (RP_SAF_NATT) */
	uint16_t natt_dport;  /**< remote UDP port, host order (RP_SAF_NATT) */
	uint16_t tunnel_mtu;  /**< 0 = port MTU */
	uint16_t pad0;
	uint32_t paired_sa_id; /**< the other direction of the same CHILD_SA, 0 if none */
	uint32_t pad1;
	uint8_t local[16];    /**< outer source for outbound, outer destination for inbound */
	uint8_t remote[16];   /**< the peer's outer address */
	uint8_t enc_key[RP_KEY_MAX];
	uint8_t salt[RP_SALT_MAX];
	uint8_t auth_key[RP_AUTH_KEY_MAX];
	uint64_t seq_start;   /**< outbound: first sequence number to use minus one */
	uint64_t soft_bytes, hard_bytes;     /**< 0 = no limit */
	uint64_t soft_packets, hard_packets; /**< 0 = no limit */
	struct rp_prefix ts[RP_SA_TS_MAX];   /**< inbound: allowed inner sources (the peer's side) */
};
static_assert(sizeof(struct rp_msg_sa) == 288, "rp_msg_sa layout");

/** SA_DEL, STATS_REQ: refer to an SA by handle (STATS_REQ with sa_id 0 = all SAs). */
struct rp_msg_sa_ref {
	uint32_t sa_id;
	uint32_t pad;
};

/** ROUTE_ADD / ROUTE_DEL: inner destination prefix -> outbound SA. */
struct rp_msg_route {
	struct rp_prefix prefix;
	uint32_t sa_id; /**< outbound SA carrying traffic to prefix */
	uint32_t pad;
};

struct rp_msg_empty {
	uint8_t unused[8];
};

/** PING / PONG: liveness and round-trip measurement. */
struct rp_msg_ping {
	uint64_t sent_ns; /**< CLOCK_MONOTONIC of the pinger, echoed back */
	uint32_t pid;     /**< sender pid */
	uint32_t pad;
};

/** Test and benchmark traffic: "set key to value". */
struct rp_msg_kv {
	uint64_t key;
	uint64_t value;
	uint64_t check; /**< rp_msg_kv_check(key, value): detects torn slots */
};

/** ACK: the command ref was applied (status 0) or refused (-errno, reason). */
struct rp_msg_ack {
	int32_t status;
	uint32_t pad;
	char reason[96]; /**< NUL-terminated */
};

/** LIFETIME: an SA hit a soft or hard limit. */
struct rp_msg_lifetime {
	uint32_t sa_id;
	uint8_t hard; /**< 0 = soft, 1 = hard (the dataplane has already stopped using the SA) */
	uint8_t by_packets; /**< limit was packets (1) or bytes (0) */
	uint8_t pad[2];
	uint64_t bytes;
	uint64_t packets;
};

/** ERROR: something went wrong that no ACK reports (e.g. a malformed command). */
struct rp_msg_error {
	int32_t code; /**< -errno */
	uint32_t pad;
	char text[128];
};

/** PORT_INFO: one port in answer to PORT_DUMP (RP_MSGF_MORE on all but the last). */
struct rp_msg_port {
	uint16_t port_id;
	uint8_t role;    /**< 0 = outside, 1 = inside, 2 = exception */
	uint8_t link_up;
	uint32_t speed_mbps;
	char name[32];
	char device[64];
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes, rx_missed, rx_errors, tx_errors;
};

/** SA_INFO: per-SA counters in answer to STATS_REQ / SA_DUMP. */
struct rp_msg_sa_stats {
	uint32_t sa_id;
	uint32_t spi;
	uint8_t dir;
	uint8_t pad[7];
	uint64_t packets, bytes, drops;
	uint64_t seq; /**< highest sequence number sent (outbound) or received (inbound) */
};

#define RP_DROP_NAME_MAX 32
#define RP_DROP_PORTS_MAX 32

/** DROP_INFO: one drop reason, its counters on every port, in answer to DROP_DUMP (one per
 *  reason of the dataplane's list, zeros included, in list order; RP_MSGF_MORE set). */
struct rp_msg_drop {
	uint16_t reason;   /**< position in the dataplane's reason list */
	uint16_t n_ports;  /**< entries used in port_id[] and count[] (0..RP_DROP_PORTS_MAX) */
	uint32_t pad;
	char name[RP_DROP_NAME_MAX]; /**< operator name ("auth_failed"): [a-z0-9_], NUL-terminated */
	uint16_t port_id[RP_DROP_PORTS_MAX]; /**< DPDK port ids, as in PORT_INFO */
	uint64_t count[RP_DROP_PORTS_MAX];   /**< packets dropped for the reason, by entry port */
};
static_assert(sizeof(struct rp_msg_drop) == 360, "rp_msg_drop layout");

/** DUMP_END: closes a PORT_DUMP / SA_DUMP / STATS_REQ / DROP_DUMP answer. */
struct rp_msg_dump_end {
	uint32_t count;
	int32_t status;
};

/** A whole slot. */
struct rp_msg {
	struct rp_msg_hdr hdr;
	union {
		uint8_t raw[RP_MSG_PAYLOAD_MAX];
		struct rp_msg_ping ping;
		struct rp_msg_sa sa;
		struct rp_msg_sa_ref sa_ref;
		struct rp_msg_route route;
		struct rp_msg_kv kv;
		struct rp_msg_ack ack;
		struct rp_msg_lifetime lifetime;
		struct rp_msg_error error;
		struct rp_msg_port port;
		struct rp_msg_sa_stats sa_stats;
		struct rp_msg_dump_end dump_end;
		struct rp_msg_drop drop;
	} u;
};
static_assert(sizeof(struct rp_msg) == RP_MSG_SIZE, "rp_msg fills exactly one slot");

/** Name of a message type for logs ("SA_ADD"), or "unknown". */
const char *rp_msg_type_name(uint16_t type);

/**
 * Expected payload length of a type, or -1 if the type is unknown.
 */
int rp_msg_payload_len(uint16_t type);

/** True if the type is a command (rampartd -> rampart-dp). */
bool rp_msg_is_command(uint16_t type);

/**
 * Check a received message completely: version, known type of the expected direction,
 * exact payload length, and every field of the payload (enumerations in range, key and
 * salt lengths matching the algorithm, prefix lengths, replay window, NUL-terminated
 * strings). Returns 0, or -EPROTO (version), -EBADMSG (anything else) with a one-line
 * explanation in @p why ("SA_ADD: cipher AES_GCM_128 needs a 16-byte key, got 32").
 *
 * Header: no unknown flag bits, reserved == 0. SA rules worth knowing when building one:
 * sa_id != 0 and != paired_sa_id; SPI >= 256 (RFC 4303); AEAD ciphers (those with a salt)
 * take integ NONE, CBC ciphers need a real one, the NULL cipher takes any (NONE included,
 * for tests); key and salt lengths equal the table values; replay_window a multiple of 64
 * in 64..4096 unless RP_SAF_NO_REPLAY; NAT-T needs both ports; seq_start < 2^32 without
 * ESN; tunnel_mtu 0 or >= 68 (IPv4) / 1280 (IPv6); soft <= hard limits when both are set;
 * 1..RP_SA_TS_MAX selectors. Prefixes: af 4 or 6, plen within the family, no host bits set
 * (for IPv4 bytes 4..15 are zero). IPv4 outer addresses have bytes 4..15 zero. sa_id != 0
 * for SA_DEL, ROUTE_*, LIFETIME; status/code <= 0 in ACK, ERROR, DUMP_END; DROP_INFO: at
 * most RP_DROP_PORTS_MAX ports, a non-empty name of [a-z0-9_].
 */
int rp_msg_validate(const struct rp_msg *m, bool expect_command, char *why, size_t whylen);

/** Checksum carried by KV_SET messages. */
uint64_t rp_msg_kv_check(uint64_t key, uint64_t value);

/** Key / salt / ICV lengths of algorithms; -1 for an unknown value. */
int rp_cipher_key_len(uint8_t cipher);
int rp_cipher_salt_len(uint8_t cipher);
int rp_integ_key_len(uint8_t integ);
int rp_integ_icv_len(uint8_t integ);
const char *rp_cipher_name(uint8_t cipher);
const char *rp_integ_name(uint8_t integ);

#endif
