/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file dae.h
 * Dynamic authorization server (RFC 5176; Cisco `aaa server radius dynamic-author`):
 * Disconnect-Request and CoA-Request from RADIUS servers, on UDP port 3799 by default.
 *
 * A request is taken only from a configured client address, with that client's secret:
 * the Request Authenticator (MD5 over the packet with a zero authenticator, RFC 5176 §2.3)
 * and, when present, the Message-Authenticator must verify; an Event-Timestamp must lie
 * within the replay window (silently discarded otherwise, §3.5), and can be required.
 * Datagrams from unknown clients, malformed or badly signed ones are dropped and counted.
 * A retransmission (same client, identifier and authenticator within 30 s) gets the first
 * answer again without acting twice.
 *
 * Sessions are identified by User-Name, Acct-Session-Id, Framed-IP-Address and
 * Calling-Station-Id: a session matches when every one of those present matches it; a
 * request naming none gets a NAK with Error-Cause 402 (Missing-Attribute), rather than
 * RFC 5176's "every session". NAS-IP-Address / NAS-Identifier identify us (checked against
 * the configured NAS address when there is one: 403 NAS-Identification-Mismatch).
 *   - Disconnect-Request: every matching session is disconnected (Acct-Terminate-Cause
 *     Admin-Reset), Disconnect-ACK; none: Disconnect-NAK 503 Session-Context-Not-Found;
 *     one could not be: 504 Session-Context-Not-Removable.
 *   - CoA-Request: Session-Timeout (required, 1..2^31 s) becomes the remaining lifetime of
 *     every matching session, CoA-ACK; the NAKs as above.
 * Attributes we do not act on give 401 Unsupported-Attribute (RFC 5176 §3.4: we must not
 * partly apply a request), an attribute given twice 404 Invalid-Request, a bad value 407.
 * Proxy-State is echoed; the response is signed with the request's authenticator, with a
 * Message-Authenticator when the request had one.
 *
 * Ownership: the configuration is copied (secrets wiped by dae_free()); the session ops are
 * borrowed. Single-threaded, on the caller's libevent loop.
 */
#ifndef RAMPART_AAA_DAE_H
#define RAMPART_AAA_DAE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;

#define DAE_PORT 3799u
#define DAE_CLIENTS_MAX 16u
#define DAE_SECRET_MAX 128u
#define DAE_TS_WINDOW_DEFAULT 300u

/** Error-Cause values (RFC 5176 §3.6). */
enum dae_error {
	DAE_ERR_UNSUPPORTED_ATTRIBUTE = 401,
	DAE_ERR_MISSING_ATTRIBUTE = 402,
	DAE_ERR_NAS_MISMATCH = 403,
	DAE_ERR_INVALID_REQUEST = 404,
	DAE_ERR_INVALID_ATTRIBUTE_VALUE = 407,
	DAE_ERR_SESSION_NOT_FOUND = 503,
	DAE_ERR_SESSION_NOT_REMOVABLE = 504,
	DAE_ERR_RESOURCES_UNAVAILABLE = 506,
};

struct dae_client {
	struct sockaddr_storage addr;   /**< IPv4 or IPv6; the port is ignored */
	uint8_t secret[DAE_SECRET_MAX];
	size_t secret_len;
};

struct dae_cfg {
	struct sockaddr_storage listen; /**< address and port (0: DAE_PORT) */
	struct dae_client client[DAE_CLIENTS_MAX];
	unsigned n_clients;
	unsigned ts_window_s;           /**< Event-Timestamp window (0: not checked) */
	bool require_ts;                /**< drop requests without Event-Timestamp */
	uint8_t nas_af;                 /**< 4 / 6: our NAS-IP(v6)-Address; 0: not checked */
	uint8_t nas_addr[16];
};

/** A session as DAE matches it (strings valid during the callback). */
struct dae_session {
	uint32_t id;
	const char *user;               /**< "" : none */
	const char *acct_sid;           /**< Acct-Session-Id */
	const char *calling;            /**< Calling-Station-Id */
	bool has_framed4;
	uint8_t framed4[4];
};

/** What DAE does to sessions (the session owner implements it). */
struct dae_ops {
	/** Call @p fn for every established session. */
	void (*foreach)(void *arg, void (*fn)(const struct dae_session *s, void *fn_arg),
			void *fn_arg);
	/** End session @p id now (Acct-Terminate-Cause Admin-Reset). 0 or -errno. */
	int (*disconnect)(void *arg, uint32_t id);
	/** The session ends @p timeout_s from now. 0 or -errno. */
	int (*session_timeout)(void *arg, uint32_t id, uint32_t timeout_s);
	void *arg;
};

struct dae_stats {
	uint64_t received, unknown_client, malformed, bad_auth, stale, duplicates, unsupported_code;
	uint64_t disconnect_ack, disconnect_nak, coa_ack, coa_nak;
	uint64_t sessions_disconnected, sessions_changed;
};

struct dae;

/**
 * @p base NULL: no socket (tests and fuzzing drive dae_handle()); else bind the listen
 * address. @return 0, -EINVAL (no clients, bad address), -errno of the socket (logged).
 */
int dae_new(struct event_base *base, const struct dae_cfg *cfg, const struct dae_ops *ops,
	    struct dae **out);
void dae_free(struct dae *d);

/** The port bound (0 without a socket). */
uint16_t dae_port(const struct dae *d);

/**
 * One datagram from @p from (its length @p fromlen), at wall-clock time @p now_s. The
 * answer, if any, goes into @p out.
 * @return the answer's length, or 0: drop silently (see the file comment).
 */
size_t dae_handle(struct dae *d, const struct sockaddr *from, socklen_t fromlen,
		  const uint8_t *buf, size_t len, uint64_t now_s, uint8_t *out, size_t cap);

void dae_get_stats(const struct dae *d, struct dae_stats *st);

#endif
