/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file esp.h
 * ESP tunnel-mode encapsulation and decapsulation over a burst of mbufs (RFC 4303, with
 * UDP encapsulation per RFC 3948), using intel-ipsec-mb's burst API for the crypto.
 *
 * Each burst function handles packets of any mix of SAs (struct esp_sa, see sa.h) and works
 * in stages over the whole burst: read and check every packet and build its headers, then
 * submit one burst of crypto jobs, then finish every packet. Nothing is allocated or freed.
 *
 * Ownership: the caller owns every mbuf before and after the call. Good packets are
 * compacted to the front of @c pkts (order kept) with their SAs compacted the same way in
 * @c sas; the others are handed back in @c dropped with one reason each (enum
 * esp_drop_reason), which the caller counts (per port) and frees. The SA's own counters
 * (packets, bytes, drops by reason) are bumped here.
 *
 * Threading: an SA is used by one lcore at a time (its sequence number, replay window and
 * counters have a single writer). An IMB_MGR is per lcore and is left with no job in flight
 * when a call returns.
 */
#ifndef RAMPART_DP_ESP_H
#define RAMPART_DP_ESP_H

#include <stdint.h>

#include <intel-ipsec-mb.h>

struct rte_mbuf;
struct esp_sa;

/* X(ENUM, name shown to operators, explanation) — the same shape as DP_DROP_REASONS in
 * dataplane/drop.h, so the worker's global list can include this one. */
#define ESP_DROP_REASONS(X)                                                                    \
	X(SEGMENTED, "segmented",                                                               \
	  "multi-segment mbuf: the ESP engine needs each packet in one segment")                \
	X(INNER_MALFORMED, "inner_malformed",                                                   \
	  "inner packet is not a well-formed IPv4/IPv6 packet (version, header or total length)") \
	X(NO_HEADROOM, "no_headroom",                                                           \
	  "outbound: not enough mbuf headroom for the outer IP/UDP header, ESP header and IV")  \
	X(NO_TAILROOM, "no_tailroom",                                                           \
	  "outbound: not enough mbuf tailroom for the ESP padding, trailer and ICV")            \
	X(SEQ_OVERFLOW, "seq_overflow",                                                         \
	  "outbound: sequence numbers exhausted (2^32-1 without ESN): the SA must be rekeyed")  \
	X(SA_HARD_LIMIT, "sa_hard_limit",                                                       \
	  "the SA reached its hard lifetime in bytes or packets")                               \
	X(OUTER_MALFORMED, "outer_malformed",                                                   \
	  "inbound: outer IPv4/IPv6/UDP header truncated, inconsistent or unsupported "         \
	  "(IPv6 extension headers)")                                                           \
	X(OUTER_FRAGMENT, "outer_fragment",                                                     \
	  "inbound: outer IPv4 fragment (fragments are reassembled before ESP)")                \
	X(OUTER_BAD_CHECKSUM, "outer_bad_checksum",                                             \
	  "inbound: outer IPv4 header checksum is wrong")                                       \
	X(ENCAP_MISMATCH, "encap_mismatch",                                                     \
	  "inbound: outer address family or UDP encapsulation differs from the SA's")          \
	X(SPI_MISMATCH, "spi_mismatch",                                                         \
	  "inbound: the packet's SPI is not the SPI of the SA it was dispatched to")            \
	X(BAD_LENGTH, "bad_length",                                                             \
	  "inbound: ESP payload too short for IV, trailer and ICV, or not a multiple of the "   \
	  "cipher block")                                                                       \
	X(SEQ_ZERO, "seq_zero",                                                                 \
	  "inbound: sequence number 0, which no sender uses")                                   \
	X(REPLAY_DUPLICATE, "replay_duplicate",                                                 \
	  "inbound: sequence number already received (replayed or duplicated packet)")          \
	X(REPLAY_TOO_OLD, "replay_too_old",                                                     \
	  "inbound: sequence number left of the anti-replay window")                            \
	X(AUTH_FAILED, "auth_failed",                                                           \
	  "inbound: integrity check value (ICV) mismatch: forged, corrupted or wrong key")      \
	X(BAD_PAD_LENGTH, "bad_pad_length",                                                     \
	  "inbound: pad length larger than the decrypted payload")                              \
	X(BAD_PADDING, "bad_padding",                                                           \
	  "inbound: padding bytes are not 1, 2, 3, ... (RFC 4303 section 2.4)")                \
	X(BAD_NEXT_HEADER, "bad_next_header",                                                   \
	  "inbound: next header is neither IPv4 (4) nor IPv6 (41): tunnel mode only")           \
	X(DUMMY_PACKET, "dummy_packet",                                                         \
	  "inbound: dummy packet (next header 59, RFC 4303 section 2.6), discarded by design")  \
	X(TS_MISMATCH, "ts_mismatch",                                                           \
	  "inbound: inner source address outside the SA's traffic selectors (spoofing)")        \
	X(CRYPTO_ERROR, "crypto_error",                                                         \
	  "intel-ipsec-mb refused or failed a job (a bug in rampart-dp: please report)")

enum esp_drop_reason {
#define X(e, name, help) ESP_DROP_##e,
	ESP_DROP_REASONS(X)
#undef X
	ESP_DROP_MAX
};

/** Operator-facing name of a reason ("auth_failed"), or "?" when out of range. */
const char *esp_drop_name(unsigned int reason);

/** One-line explanation of a reason. */
const char *esp_drop_help(unsigned int reason);

/** Packets handled per internal pass; bursts of any size are processed in such slices. */
#define ESP_BURST_MAX 64

/**
 * Encrypt a burst in tunnel mode.
 *
 * On entry each pkts[i] starts at its inner IPv4 or IPv6 header (anything after the inner
 * total / payload length, e.g. Ethernet padding, is trimmed) and sas[i] is its outbound SA.
 * On return each good packet starts at its outer IPv4/IPv6 header, ready for L2
 * encapsulation: outer IP (+ UDP for NAT-T) | ESP header | IV | ciphertext | ICV, with
 * packet_type set to L3_IPV4/L3_IPV6 | TUNNEL_ESP.
 *
 * Outer header choices (per RFC 4301 section 8.1 / 5.1.2.1): TTL / hop limit 64; DSCP and
 * ECN copied from the inner header; IPv4 DF copied from an inner IPv4 header and cleared for
 * an inner IPv6 packet (the worker fragments or sends ICMP "too big" before calling this,
 * so outer DF mirrors what the inner sender asked for); IPv4 ID from a per-SA counter;
 * IPv4 header checksum computed here; UDP checksum 0 over IPv4 (RFC 3948 section 2.1),
 * computed over IPv6 (RFC 8200 requires it).
 *
 * Drops (reason): SEGMENTED, INNER_MALFORMED, NO_HEADROOM, NO_TAILROOM, SEQ_OVERFLOW,
 * SA_HARD_LIMIT, CRYPTO_ERROR. A packet dropped before its sequence number was assigned
 * does not consume one.
 *
 * @param mgr        this lcore's intel-ipsec-mb manager
 * @param pkts       in: n packets; out: the good ones first
 * @param sas        in: the SA of each packet; out: compacted like pkts
 * @param n          number of packets (any)
 * @param dropped    out: the dropped packets (room for n)
 * @param reasons    out: reasons[i] is the enum esp_drop_reason of dropped[i] (room for n)
 * @param n_dropped  out: number of dropped packets (= n - return value)
 * @return number of good packets
 */
uint16_t esp_outbound_burst(IMB_MGR *mgr, struct rte_mbuf **pkts, struct esp_sa **sas,
			    uint16_t n, struct rte_mbuf **dropped, uint8_t *reasons,
			    uint16_t *n_dropped);

/**
 * Authenticate, decrypt and decapsulate a burst.
 *
 * On entry each pkts[i] starts at its outer IPv4/IPv6 header and the caller has already
 * classified it as ESP (IP protocol 50, or UDP with a non-zero first word per RFC 3948) and
 * looked up sas[i], its inbound SA, by SPI. The outer header is parsed again here (bounded,
 * cheap) so that this function is self-contained: it checks the family and encapsulation
 * against the SA, the SPI, lengths and the IPv4 checksum (unless the NIC flagged it good).
 *
 * Per packet: replay pre-check (esp_replay_check) before any crypto; one job that decrypts
 * and authenticates (AEAD, or cipher + HMAC chained); ICV compared in constant time; only
 * then the replay window is updated, so a forged packet never moves it; then the trailer
 * (pad length, monotonic padding, next header 4 or 41; 59 = dummy packet), the inner header
 * (version matching next header, minimal length, total length within what was decrypted:
 * TFC padding is trimmed) and the inner source against the SA's traffic selectors.
 *
 * On return each good packet starts at its inner IP header, trimmed to its total length,
 * with packet_type L3_IPV4 or L3_IPV6 and RX checksum flags cleared. Dropped packets are
 * returned as they were left (possibly decrypted in place; never partially stripped).
 *
 * Parameters and return value as for esp_outbound_burst().
 */
uint16_t esp_inbound_burst(IMB_MGR *mgr, struct rte_mbuf **pkts, struct esp_sa **sas,
			   uint16_t n, struct rte_mbuf **dropped, uint8_t *reasons,
			   uint16_t *n_dropped);

#endif
