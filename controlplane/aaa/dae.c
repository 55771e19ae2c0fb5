/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Dynamic authorization server, RFC 5176 (dae.h). */
#include "controlplane/aaa/dae.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "common/cursor.h"
#include "common/log.h"
#include "controlplane/aaa/radius.h"

#define COMP "dae"
#define DUP_SLOTS 32u
#define DUP_TTL_S 30u
#define MAX_MATCH 256u

/* A request answered recently, to answer its retransmissions the same (RFC 5080 §2.2.2). */
struct dup {
	bool used;
	struct sockaddr_storage from;
	uint8_t id;
	uint8_t auth[RADIUS_AUTH_LEN];
	uint64_t at_s;
	size_t len;
	uint8_t resp[RADIUS_MAX_LEN];
};

struct dae {
	struct dae_cfg cfg;
	struct dae_ops ops;
	int fd;
	uint16_t port;
	struct event *ev;
	struct dae_stats st;
	struct radius_pkt pkt;        /* big: not on the stack */
	struct dup dup[DUP_SLOTS];
	unsigned dup_next;
	uint8_t rx[RADIUS_MAX_LEN + 1];
	uint8_t tx[RADIUS_MAX_LEN];
};

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (a->ss_family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			       &((const struct sockaddr_in *)b)->sin_addr, 4);
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
	return false;
}

static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (!same_host(a, b))
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_port ==
		       ((const struct sockaddr_in *)b)->sin_port;
	return ((const struct sockaddr_in6 *)a)->sin6_port ==
	       ((const struct sockaddr_in6 *)b)->sin6_port;
}

static const char *addr_text(const struct sockaddr *sa, char *buf, size_t cap)
{
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)cap);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)cap);
	else
		snprintf(buf, cap, "?");
	return buf;
}

/* ---- what a request asks ------------------------------------------------------------------- */

struct ask {
	const struct radius_attr *user, *sid, *framed, *calling;
	bool has_timeout;
	uint32_t timeout;
	/* result */
	uint32_t ids[MAX_MATCH];
	unsigned n;
	bool truncated;
};

static bool str_eq(const struct radius_attr *a, const char *s)
{
	size_t n = strlen(s);

	return a->len == n && !memcmp(a->val, s, n);
}

static void match_one(const struct dae_session *s, void *arg)
{
	struct ask *q = arg;

	if (q->user && !str_eq(q->user, s->user))
		return;
	if (q->sid && !str_eq(q->sid, s->acct_sid))
		return;
	if (q->calling && !str_eq(q->calling, s->calling))
		return;
	if (q->framed && (!s->has_framed4 || memcmp(q->framed->val, s->framed4, 4)))
		return;
	if (q->n == MAX_MATCH) {
		q->truncated = true;
		return;
	}
	q->ids[q->n++] = s->id;
}

/*
 * Check the attributes of a verified request (§3.4, §3.5). @return 0 to act, an Error-Cause
 * for a NAK, or -1 to drop silently (stale Event-Timestamp).
 */
static int examine(struct dae *d, const struct radius_pkt *p, uint64_t now_s, struct ask *q,
		   char *why, size_t wlen)
{
	bool coa = p->code == RADIUS_COA_REQUEST;
	bool seen_ts = false;
	unsigned seen[256] = { 0 };

	memset(q, 0, offsetof(struct ask, ids));
	q->n = 0;
	q->truncated = false;
	for (unsigned i = 0; i < p->n; i++) {
		const struct radius_attr *a = &p->attr[i];

		if (a->vendor) {
			snprintf(why, wlen, "vendor %u attribute %u", a->vendor, a->type);
			return DAE_ERR_UNSUPPORTED_ATTRIBUTE;
		}
		if (a->type != RADIUS_A_PROXY_STATE && seen[a->type]++) {
			snprintf(why, wlen, "%s given twice", radius_attr_name(0, a->type) ?
				 radius_attr_name(0, a->type) : "attribute");
			return DAE_ERR_INVALID_REQUEST;
		}
		switch (a->type) {
		case RADIUS_A_USER_NAME:
			q->user = a;
			break;
		case RADIUS_A_ACCT_SESSION_ID:
			q->sid = a;
			break;
		case RADIUS_A_FRAMED_IP_ADDRESS:
			q->framed = a;
			break;
		case RADIUS_A_CALLING_STATION_ID:
			q->calling = a;
			break;
		case RADIUS_A_NAS_IP_ADDRESS:
		case RADIUS_A_NAS_IPV6_ADDRESS:
			if (d->cfg.nas_af &&
			    (a->len != (d->cfg.nas_af == 4 ? 4u : 16u) ||
			     memcmp(a->val, d->cfg.nas_addr, a->len))) {
				snprintf(why, wlen, "%s is not ours", radius_attr_name(0, a->type));
				return DAE_ERR_NAS_MISMATCH;
			}
			break;
		case RADIUS_A_NAS_IDENTIFIER:
		case RADIUS_A_MESSAGE_AUTHENTICATOR:
		case RADIUS_A_PROXY_STATE:
			break;
		case RADIUS_A_ACCT_TERMINATE_CAUSE:
			if (coa) {
				snprintf(why, wlen, "Acct-Terminate-Cause in a CoA-Request");
				return DAE_ERR_UNSUPPORTED_ATTRIBUTE;
			}
			break;
		case RADIUS_A_EVENT_TIMESTAMP: {
			uint64_t ts = rp_get_be32(a->val);
			uint64_t w = d->cfg.ts_window_s;

			seen_ts = true;
			if (w && (ts + w < now_s || ts > now_s + w)) {
				snprintf(why, wlen, "Event-Timestamp %llu is %llu s away from now, "
					 "beyond the %u s window", (unsigned long long)ts,
					 (unsigned long long)(ts > now_s ? ts - now_s : now_s - ts),
					 d->cfg.ts_window_s);
				return -1;
			}
			break;
		}
		case RADIUS_A_SESSION_TIMEOUT:
			if (!coa) {
				snprintf(why, wlen, "Session-Timeout in a Disconnect-Request");
				return DAE_ERR_UNSUPPORTED_ATTRIBUTE;
			}
			q->has_timeout = true;
			q->timeout = rp_get_be32(a->val);
			if (!q->timeout || q->timeout > INT32_MAX) {
				snprintf(why, wlen, "Session-Timeout %u", q->timeout);
				return DAE_ERR_INVALID_ATTRIBUTE_VALUE;
			}
			break;
		default:
			snprintf(why, wlen, "%s (%u) is not supported",
				 radius_attr_name(0, a->type) ? radius_attr_name(0, a->type) :
				 "attribute", a->type);
			return DAE_ERR_UNSUPPORTED_ATTRIBUTE;
		}
	}
	if (d->cfg.require_ts && !seen_ts) {
		snprintf(why, wlen, "no Event-Timestamp, which is required");
		return -1;
	}
	if (!q->user && !q->sid && !q->framed && !q->calling) {
		snprintf(why, wlen, "no session identification (User-Name, Acct-Session-Id, "
			 "Framed-IP-Address, Calling-Station-Id)");
		return DAE_ERR_MISSING_ATTRIBUTE;
	}
	if (coa && !q->has_timeout) {
		snprintf(why, wlen, "no Session-Timeout, the one change supported");
		return DAE_ERR_MISSING_ATTRIBUTE;
	}
	return 0;
}

static void ident_text(const struct ask *q, char *buf, size_t cap)
{
	size_t o = 0;
	const struct radius_attr *as[] = { q->user, q->sid, q->calling };
	const char *names[] = { "User-Name", "Acct-Session-Id", "Calling-Station-Id" };

	buf[0] = 0;
	for (unsigned i = 0; i < 3 && o < cap; i++) {
		if (!as[i])
			continue;
		o += (size_t)snprintf(buf + o, cap - o, "%s%s=", o ? " " : "", names[i]);
		for (unsigned k = 0; k < as[i]->len && o + 1 < cap; k++)
			buf[o++] = as[i]->val[k] >= 0x20 && as[i]->val[k] < 0x7f ? (char)as[i]->val[k]
										  : '?';
		buf[o < cap ? o : cap - 1] = 0;
	}
	if (q->framed && o < cap)
		snprintf(buf + o, cap - o, "%sFramed-IP-Address=%u.%u.%u.%u", o ? " " : "",
			 q->framed->val[0], q->framed->val[1], q->framed->val[2], q->framed->val[3]);
}

/* ---- the answer ---------------------------------------------------------------------------- */

static size_t answer(const struct radius_pkt *p, uint8_t code, uint32_t error_cause,
		     const struct dae_client *cl, uint8_t *out, size_t cap)
{
	struct radius_bld b;
	unsigned from = 0;
	const struct radius_attr *ps;

	radius_bld_init(&b, out, cap, code, p->id, p->auth, p->ma_index >= 0);
	if (error_cause)
		radius_bld_u32(&b, RADIUS_A_ERROR_CAUSE, error_cause);
	while ((ps = radius_find(p, 0, RADIUS_A_PROXY_STATE, &from)))
		radius_bld_attr(&b, RADIUS_A_PROXY_STATE, ps->val, ps->len);
	return radius_bld_finish(&b, cl->secret, cl->secret_len);
}

static struct dup *dup_find(struct dae *d, const struct sockaddr *from, const struct radius_pkt *p,
			    uint64_t now_s)
{
	for (unsigned i = 0; i < DUP_SLOTS; i++) {
		struct dup *e = &d->dup[i];

		if (e->used && now_s - e->at_s <= DUP_TTL_S && e->id == p->id &&
		    !memcmp(e->auth, p->auth, RADIUS_AUTH_LEN) && same_peer(&e->from, from))
			return e;
	}
	return NULL;
}

static void dup_add(struct dae *d, const struct sockaddr *from, socklen_t fromlen,
		    const struct radius_pkt *p, uint64_t now_s, const uint8_t *resp, size_t len)
{
	struct dup *e = &d->dup[d->dup_next++ % DUP_SLOTS];

	e->used = true;
	memset(&e->from, 0, sizeof(e->from));
	memcpy(&e->from, from, fromlen < sizeof(e->from) ? fromlen : sizeof(e->from));
	e->id = p->id;
	memcpy(e->auth, p->auth, RADIUS_AUTH_LEN);
	e->at_s = now_s;
	e->len = len;
	memcpy(e->resp, resp, len);
}

size_t dae_handle(struct dae *d, const struct sockaddr *from, socklen_t fromlen,
		  const uint8_t *buf, size_t len, uint64_t now_s, uint8_t *out, size_t cap)
{
	const struct dae_client *cl = NULL;
	struct radius_pkt *p = &d->pkt;
	enum radius_perr pe;
	char who[INET6_ADDRSTRLEN], why[300] = "", ids[400];
	struct ask q;
	struct dup *dp;
	const char *req_name;
	bool disc;
	uint8_t code;
	int ec, rc;
	size_t n;

	d->st.received++;
	addr_text(from, who, sizeof(who));
	for (unsigned i = 0; i < d->cfg.n_clients && !cl; i++)
		if (same_host(&d->cfg.client[i].addr, from))
			cl = &d->cfg.client[i];
	if (!cl) {
		d->st.unknown_client++;
		RP_LOG_RL(RP_LOG_WARN, COMP, "datagram from %s, which is not a dynamic-author "
			  "client: ignored", who);
		return 0;
	}
	pe = radius_parse(buf, len, p);
	if (pe != RADIUS_PERR_OK) {
		d->st.malformed++;
		RP_LOG_RL(RP_LOG_WARN, COMP, "malformed datagram from %s (%s): dropped", who,
			  radius_perr_str(pe));
		return 0;
	}
	if (p->code != RADIUS_DISCONNECT_REQUEST && p->code != RADIUS_COA_REQUEST) {
		d->st.unsupported_code++;
		RP_LOG_RL(RP_LOG_WARN, COMP, "%s (code %u) from %s: not a Disconnect- or "
			  "CoA-Request, dropped", radius_code_name(p->code), p->code, who);
		return 0;
	}
	req_name = radius_code_name(p->code);
	disc = p->code == RADIUS_DISCONNECT_REQUEST;
	if (radius_verify_request(p, cl->secret, cl->secret_len, false)) {
		d->st.bad_auth++;
		RP_LOG_RL(RP_LOG_WARN, COMP, "%s id %u from %s: wrong Request Authenticator or "
			  "Message-Authenticator (shared secret?): dropped", req_name, p->id, who);
		return 0;
	}
	if ((dp = dup_find(d, from, p, now_s))) {
		d->st.duplicates++;
		RP_INFO(COMP, "%s id %u from %s: retransmission, the same answer again", req_name,
			p->id, who);
		if (dp->len > cap)
			return 0;
		memcpy(out, dp->resp, dp->len);
		return dp->len;
	}
	ec = examine(d, p, now_s, &q, why, sizeof(why));
	if (ec < 0) {
		d->st.stale++;
		RP_WARN(COMP, "%s id %u from %s: %s: dropped", req_name, p->id, who, why);
		return 0;
	}
	ident_text(&q, ids, sizeof(ids));
	if (!ec) {
		d->ops.foreach(d->ops.arg, match_one, &q);
		if (!q.n) {
			ec = DAE_ERR_SESSION_NOT_FOUND;
			snprintf(why, sizeof(why), "no session matches");
		}
	}
	for (unsigned i = 0; !ec && i < q.n; i++) {
		rc = disc ? d->ops.disconnect(d->ops.arg, q.ids[i]) :
			    d->ops.session_timeout(d->ops.arg, q.ids[i], q.timeout);
		if (rc) {
			ec = disc ? DAE_ERR_SESSION_NOT_REMOVABLE : DAE_ERR_RESOURCES_UNAVAILABLE;
			snprintf(why, sizeof(why), "session %u: %s", q.ids[i], strerror(-rc));
			break;
		}
		if (disc)
			d->st.sessions_disconnected++;
		else
			d->st.sessions_changed++;
	}
	if (ec) {
		code = disc ? RADIUS_DISCONNECT_NAK : RADIUS_COA_NAK;
		if (disc)
			d->st.disconnect_nak++;
		else
			d->st.coa_nak++;
		RP_NOTICE(COMP, "%s id %u from %s (%s): %s: %s with Error-Cause %d", req_name, p->id,
			  who, ids[0] ? ids : "-", why, radius_code_name(code), ec);
	} else {
		code = disc ? RADIUS_DISCONNECT_ACK : RADIUS_COA_ACK;
		if (disc)
			d->st.disconnect_ack++;
		else
			d->st.coa_ack++;
		if (disc)
			RP_NOTICE(COMP, "%s id %u from %s (%s): %u session%s disconnected%s: %s",
				  req_name, p->id, who, ids, q.n, q.n == 1 ? "" : "s",
				  q.truncated ? " (more matched: ask again)" : "",
				  radius_code_name(code));
		else
			RP_NOTICE(COMP, "%s id %u from %s (%s): Session-Timeout %u s for %u session%s: "
				  "%s", req_name, p->id, who, ids, q.timeout, q.n, q.n == 1 ? "" : "s",
				  radius_code_name(code));
	}
	n = answer(p, code, ec > 0 ? (uint32_t)ec : 0, cl, out, cap);
	if (n)
		dup_add(d, from, fromlen, p, now_s, out, n);
	return n;
}

/* ---- socket -------------------------------------------------------------------------------- */

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct dae *d = arg;

	(void)what;
	for (int k = 0; k < 32; k++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, d->rx, sizeof(d->rx), 0, (struct sockaddr *)&from, &fl);
		size_t out;

		if (n < 0)
			return;
		out = dae_handle(d, (struct sockaddr *)&from, fl, d->rx, (size_t)n,
				 (uint64_t)time(NULL), d->tx, sizeof(d->tx));
		if (out && sendto(fd, d->tx, out, 0, (struct sockaddr *)&from, fl) < 0)
			RP_LOG_RL(RP_LOG_WARN, COMP, "cannot answer: %s", strerror(errno));
	}
}

int dae_new(struct event_base *base, const struct dae_cfg *cfg, const struct dae_ops *ops,
	    struct dae **out)
{
	struct dae *d;
	struct sockaddr_storage ss;
	socklen_t sl;
	char a[INET6_ADDRSTRLEN];
	int rc;

	*out = NULL;
	if (!cfg->n_clients || cfg->n_clients > DAE_CLIENTS_MAX || !ops->foreach ||
	    !ops->disconnect || !ops->session_timeout)
		return -EINVAL;
	for (unsigned i = 0; i < cfg->n_clients; i++)
		if (!cfg->client[i].secret_len || cfg->client[i].secret_len > DAE_SECRET_MAX)
			return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	d->ops = *ops;
	d->fd = -1;
	if (!base) {
		*out = d;
		return 0;
	}
	ss = cfg->listen;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		if (!s6->sin6_port)
			s6->sin6_port = htons(DAE_PORT);
		sl = sizeof(*s6);
	} else if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		if (!s4->sin_port)
			s4->sin_port = htons(DAE_PORT);
		sl = sizeof(*s4);
	} else {
		dae_free(d);
		return -EINVAL;
	}
	d->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0 || bind(d->fd, (struct sockaddr *)&ss, sl)) {
		rc = -errno;
		RP_ERR(COMP, "dynamic-author: cannot listen on %s port %u: %s",
		       addr_text((struct sockaddr *)&ss, a, sizeof(a)),
		       ntohs(((struct sockaddr_in *)&ss)->sin_port), strerror(-rc));
		dae_free(d);
		return rc;
	}
	sl = sizeof(ss);
	getsockname(d->fd, (struct sockaddr *)&ss, &sl);
	d->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
				 ((struct sockaddr_in *)&ss)->sin_port);
	d->ev = event_new(base, d->fd, EV_READ | EV_PERSIST, on_read, d);
	if (!d->ev || event_add(d->ev, NULL)) {
		dae_free(d);
		return -ENOMEM;
	}
	RP_NOTICE(COMP, "dynamic-author (RFC 5176) on %s port %u for %u client%s",
		  addr_text((struct sockaddr *)&ss, a, sizeof(a)), d->port, cfg->n_clients,
		  cfg->n_clients == 1 ? "" : "s");
	*out = d;
	return 0;
}

void dae_free(struct dae *d)
{
	if (!d)
		return;
	if (d->ev)
		event_free(d->ev);
	if (d->fd >= 0)
		close(d->fd);
	OPENSSL_cleanse(d, sizeof(*d));
	free(d);
}

uint16_t dae_port(const struct dae *d)
{
	return d->port;
}

void dae_get_stats(const struct dae *d, struct dae_stats *st)
{
	*st = d->st;
}
