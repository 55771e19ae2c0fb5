/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file radius_client.h
 * Asynchronous RADIUS client on libevent: one client per server group (Cisco
 * `aaa group server radius NAME`), several servers in order of preference.
 *
 * A request is described once, independent of any server (struct radius_req: attributes,
 * the cleartext User-Password, the EAP packet); the client encodes it for the server it goes
 * to — identifier, random Request Authenticator, password hidden and Message-Authenticator
 * keyed with that server's secret — and calls back exactly once:
 *   - err 0 with the verified response (authenticators checked, code answers the request);
 *   - -ETIMEDOUT when every server it tried stayed silent;
 *   - -ENOBUFS when no identifier was free; -ECANCELED when the client is freed.
 *
 * Per server and port, each UDP socket carries at most 256 requests in flight (the
 * identifier space); more sockets are opened when needed, up to max_sockets. A request is
 * retransmitted unchanged (RFC 5080 §2.2.1) after timeout_ms, the wait doubling each time, up
 * to `retransmits` times; then it fails over to the next server. A server that leaves
 * dead_after requests in a row unanswered is marked dead for dead_time_s: new requests skip
 * it while another server is alive (when all are dead they are all tried, in order), and a
 * dead server that answers is alive again at once. Responses that do not verify are
 * dropped silently (RFC 2865 §3) and counted; the request keeps waiting. Nothing blocks:
 * each request has its own timer, each socket its own read event.
 *
 * Conversations (EAP, RFC 3579): the State of a verified Access-Challenge is remembered with
 * the server that sent it. An Access-Request that carries a remembered State goes to that
 * server only, whether marked dead or not, with its retransmissions but no failover: no
 * other server knows the State (it would reject the request); if it stays silent the
 * request ends with -ETIMEDOUT. So failover happens only before a server has answered a
 * conversation. A State is used once (the next Challenge brings a new one) and forgotten
 * after RADIUS_STATE_TTL_S; at most RADIUS_STATE_MAX are kept per group (the oldest is
 * forgotten first). A request with an unknown State takes the usual order.
 *
 * Ownership: radius_send() consumes the request description whatever it returns. The
 * result passed to the callback (packet views, request authenticator, secret) is valid only
 * during the callback. The callback may send new requests and may free the client.
 */
#ifndef RAMPART_AAA_RADIUS_CLIENT_H
#define RAMPART_AAA_RADIUS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "controlplane/aaa/radius.h"

struct event_base;

#define RADIUS_GROUP_MAX_SERVERS 8u
#define RADIUS_SECRET_MAX 128u
#define RADIUS_MAX_SOCKETS 64u
#define RADIUS_STATE_TTL_S 300      /**< how long a Challenge's State ties a conversation */
#define RADIUS_STATE_MAX 16384u     /**< States remembered per group */

struct radius_server_cfg {
	char name[32];
	struct sockaddr_storage addr;  /**< IPv4 or IPv6 address; its port is ignored */
	uint16_t auth_port;            /**< 0 = no authentication on this server */
	uint16_t acct_port;            /**< 0 = no accounting on this server */
	uint8_t secret[RADIUS_SECRET_MAX];
	size_t secret_len;
	unsigned timeout_ms;           /**< first wait for an answer (Cisco default 5 s) */
	unsigned retransmits;          /**< retransmissions before failing over (default 3) */
};

struct radius_group_cfg {
	char name[32];
	struct radius_server_cfg server[RADIUS_GROUP_MAX_SERVERS];
	unsigned n_servers;
	unsigned dead_after;        /**< unanswered requests in a row that mark a server dead;
				       0 = never */
	unsigned dead_time_s;       /**< how long a dead server is skipped */
	struct sockaddr_storage source; /**< source address (family AF_UNSPEC = any) */
	bool require_ma;            /**< Message-Authenticator on every Access-* reply */
	unsigned max_sockets;       /**< per server and port; 0 = RADIUS_MAX_SOCKETS */
};

/** Fill @p s with the defaults (timeout 5000 ms, 3 retransmits, ports 1812/1813). */
void radius_server_cfg_init(struct radius_server_cfg *s);
/** Defaults: dead_after 3, dead_time 60 s, require_ma true, no servers. */
void radius_group_cfg_init(struct radius_group_cfg *g);

/** What one server looks like now (for `show aaa servers` and tests). */
struct radius_server_state {
	bool dead;
	unsigned consecutive_timeouts;
	uint64_t requests, retransmissions, timeouts, responses, bad_responses;
	unsigned in_flight, sockets;
};

struct radius_client;

/** A request description (server-independent). */
struct radius_req;

struct radius_result {
	const struct radius_pkt *pkt;   /**< the verified response */
	const uint8_t *req_auth;        /**< Request Authenticator it answers (MPPE keys) */
	const uint8_t *secret;          /**< the answering server's secret (MPPE keys) */
	size_t secret_len;
	unsigned server;                /**< index of the answering server in the group */
	unsigned attempts;              /**< datagrams sent for this request, all servers */
};

typedef void (*radius_cb)(int err, const struct radius_result *res, void *arg);

/**
 * Create a client for @p cfg on @p base. Sockets are opened lazily, on first use.
 * @return 0, -EINVAL (no servers, bad address or secret), -ENOMEM.
 */
int radius_client_new(struct event_base *base, const struct radius_group_cfg *cfg,
		      struct radius_client **out);

/** Free the client; every pending request is called back with -ECANCELED first. */
void radius_client_free(struct radius_client *c);

/**
 * Start a request description for @p code: Access-Request (to the auth ports),
 * Accounting-Request (acct ports) or Status-Server (auth ports). NULL on allocation failure.
 */
struct radius_req *radius_req_new(uint8_t code);
void radius_req_free(struct radius_req *r);
/** Append attributes; -ENOSPC when the packet would exceed 4096 octets, -EINVAL on a bad
 * length. A failed add leaves the description unusable (radius_send() refuses it). */
int radius_req_add(struct radius_req *r, uint8_t type, const void *val, size_t len);
int radius_req_add_str(struct radius_req *r, uint8_t type, const char *s);
int radius_req_add_u32(struct radius_req *r, uint8_t type, uint32_t v);
int radius_req_add_vsa(struct radius_req *r, uint32_t vendor, uint8_t vtype, const void *val,
		       size_t len);
/** Cleartext password (1..128 octets), hidden per server; wiped when the request is freed. */
int radius_req_set_password(struct radius_req *r, const void *pw, size_t len);
/** EAP packet, split into EAP-Message attributes at encoding time. */
int radius_req_set_eap(struct radius_req *r, const uint8_t *eap, size_t len);

/** Handle of a pending request, for radius_cancel(). */
struct radius_xact;

/**
 * Send @p r (consumed) and call @p cb once with the outcome.
 * @return 0 (and *@p x if non-NULL, valid until the callback runs), or -EINVAL (bad
 * description, or no server has the port the code needs), -ENOMEM; the callback is then
 * not called. Failures found later (-ENOBUFS, -ETIMEDOUT) come through the callback.
 */
int radius_send(struct radius_client *c, struct radius_req *r, radius_cb cb, void *arg,
		struct radius_xact **x);

/** Drop a pending request without calling its callback (e.g. its IKE SA went away). */
void radius_cancel(struct radius_xact *x);

/**
 * True if a server of this group issued State @p state (an Access-Challenge not yet followed
 * up): a caller with several groups sends the next round to this one.
 */
bool radius_client_has_state(const struct radius_client *c, const void *state, size_t len);

/** State of server @p i of the group. @return false if @p i is out of range. */
bool radius_client_server_state(const struct radius_client *c, unsigned i,
				struct radius_server_state *st);

#endif
