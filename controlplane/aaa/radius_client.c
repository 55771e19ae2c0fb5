/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Asynchronous RADIUS client: identifiers per socket, retransmission, failover, dead servers. */
#include "controlplane/aaa/radius_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/log.h"

#define COMP "radius"
#define MAX_WAIT_MS 30000u /* cap of the doubled wait */

struct radius_req {
	uint8_t code;
	bool bad;
	uint8_t attrs[RADIUS_MAX_LEN];
	size_t attrs_len;
	uint8_t pw[RADIUS_PASSWORD_MAX];
	size_t pw_len;
	uint8_t *eap;
	size_t eap_len;
};

struct endpoint;

struct rsock {
	int fd;
	struct event *ev;
	struct endpoint *ep;
	struct radius_xact *slot[256];
	unsigned n_busy;
	uint8_t next_id;
};

struct server;

struct endpoint {
	struct server *srv;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	struct rsock *sock[RADIUS_MAX_SOCKETS];
	unsigned n_sock;
};

struct server {
	struct radius_client *c;
	unsigned idx;
	struct radius_server_cfg cfg;
	struct endpoint auth, acct;
	bool dead;
	struct timespec dead_until;
	struct radius_server_state st;
};

/* The server that issued a State (Access-Challenge): the conversation stays with it. */
struct affinity {
	struct affinity *hnext;           /* bucket chain */
	struct affinity *older, *newer;   /* age list (insertion order = expiry order) */
	time_t expires;                   /* CLOCK_MONOTONIC seconds */
	uint32_t hash;
	unsigned srv;
	uint8_t len;
	uint8_t state[];
};

#define AFF_BUCKETS 1024u

struct radius_xact {
	struct radius_client *c;
	struct radius_xact *prev, *next;
	struct radius_req *req;
	radius_cb cb;
	void *arg;
	bool pinned;              /* carries a State: only server pin may answer it */
	unsigned pin;
	unsigned srv;             /* current server */
	uint32_t tried;           /* bit per server */
	bool all_dead;            /* started with every server dead: try them all */
	int deferred_err;         /* failed before the first datagram: completed from the loop */
	unsigned tries;           /* transmissions to the current server */
	unsigned attempts;        /* datagrams sent in all */
	unsigned wait_ms;
	struct rsock *s;          /* holds slot[id] while in flight */
	uint8_t id;
	uint8_t auth[RADIUS_AUTH_LEN];
	uint8_t pkt[RADIUS_MAX_LEN];
	size_t len;
	struct event *timer;
};

struct radius_client {
	struct event_base *base;
	struct radius_group_cfg cfg;
	struct server srv[RADIUS_GROUP_MAX_SERVERS];
	struct radius_xact *pending;
	bool *freed;              /* set while a callback runs: did it free the client? */
	struct affinity *aff[AFF_BUCKETS];
	struct affinity *aff_oldest, *aff_newest;
	unsigned n_aff;
	uint32_t aff_seed;
	bool aff_full_logged;
	struct radius_pkt rx_pkt;
	uint8_t rx[RADIUS_MAX_LEN + 1];
};

static void xact_timeout(evutil_socket_t fd, short what, void *arg);
static void sock_read(evutil_socket_t fd, short what, void *arg);

void radius_server_cfg_init(struct radius_server_cfg *s)
{
	memset(s, 0, sizeof(*s));
	s->auth_port = 1812;
	s->acct_port = 1813;
	s->timeout_ms = 5000;
	s->retransmits = 3;
}

void radius_group_cfg_init(struct radius_group_cfg *g)
{
	memset(g, 0, sizeof(*g));
	g->dead_after = 3;
	g->dead_time_s = 60;
	g->require_ma = true;
	g->source.ss_family = AF_UNSPEC;
}

static const char *addr_str(const struct sockaddr_storage *a, char *buf, size_t len)
{
	const void *p = a->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr
						 : (const void *)&((const struct sockaddr_in *)a)->sin_addr;

	if (!inet_ntop(a->ss_family, p, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static socklen_t sa_len(int family)
{
	return family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void ep_init(struct endpoint *ep, struct server *srv, uint16_t port)
{
	ep->srv = srv;
	ep->addr = srv->cfg.addr;
	ep->addr_len = sa_len(ep->addr.ss_family);
	if (ep->addr.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ep->addr)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&ep->addr)->sin_port = htons(port);
}

int radius_client_new(struct event_base *base, const struct radius_group_cfg *cfg,
		      struct radius_client **out)
{
	struct radius_client *c;

	if (!cfg->n_servers || cfg->n_servers > RADIUS_GROUP_MAX_SERVERS)
		return -EINVAL;
	for (unsigned i = 0; i < cfg->n_servers; i++) {
		const struct radius_server_cfg *s = &cfg->server[i];

		if ((s->addr.ss_family != AF_INET && s->addr.ss_family != AF_INET6) ||
		    !s->secret_len || s->secret_len > RADIUS_SECRET_MAX || !s->timeout_ms ||
		    (cfg->source.ss_family != AF_UNSPEC &&
		     cfg->source.ss_family != s->addr.ss_family))
			return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->base = base;
	c->cfg = *cfg;
	if (RAND_bytes((uint8_t *)&c->aff_seed, sizeof(c->aff_seed)) != 1)
		c->aff_seed = (uint32_t)rand();
	if (!c->cfg.max_sockets || c->cfg.max_sockets > RADIUS_MAX_SOCKETS)
		c->cfg.max_sockets = RADIUS_MAX_SOCKETS;
	for (unsigned i = 0; i < cfg->n_servers; i++) {
		struct server *s = &c->srv[i];

		s->c = c;
		s->idx = i;
		s->cfg = cfg->server[i];
		ep_init(&s->auth, s, s->cfg.auth_port);
		ep_init(&s->acct, s, s->cfg.acct_port);
	}
	*out = c;
	return 0;
}

static void sock_close(struct rsock *s)
{
	if (s->ev)
		event_free(s->ev);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static void id_release(struct radius_xact *x)
{
	if (!x->s)
		return;
	x->s->slot[x->id] = NULL;
	x->s->n_busy--;
	x->c->srv[x->srv].st.in_flight--;
	x->s = NULL;
}

static void xact_free(struct radius_xact *x)
{
	struct radius_client *c = x->c;

	id_release(x);
	if (x->timer)
		event_free(x->timer);
	if (x->prev)
		x->prev->next = x->next;
	else
		c->pending = x->next;
	if (x->next)
		x->next->prev = x->prev;
	radius_req_free(x->req);
	OPENSSL_cleanse(x->pkt, x->len);
	free(x);
}

static void aff_drop(struct radius_client *c, struct affinity *a);

void radius_client_free(struct radius_client *c)
{
	if (!c)
		return;
	while (c->pending) {
		struct radius_xact *x = c->pending;
		radius_cb cb = x->cb;
		void *arg = x->arg;

		xact_free(x);
		/* the callback may not free the client again: it is being freed */
		cb(-ECANCELED, NULL, arg);
	}
	if (c->freed)
		*c->freed = true;
	while (c->aff_oldest)
		aff_drop(c, c->aff_oldest);
	for (unsigned i = 0; i < c->cfg.n_servers; i++) {
		struct server *s = &c->srv[i];

		for (unsigned k = 0; k < s->auth.n_sock; k++)
			sock_close(s->auth.sock[k]);
		for (unsigned k = 0; k < s->acct.n_sock; k++)
			sock_close(s->acct.sock[k]);
	}
	OPENSSL_cleanse(c->srv, sizeof(c->srv));
	OPENSSL_cleanse(c->cfg.server, sizeof(c->cfg.server));
	free(c);
}

/* ---- request descriptions ---------------------------------------------------------------- */

struct radius_req *radius_req_new(uint8_t code)
{
	struct radius_req *r;

	if (code != RADIUS_ACCESS_REQUEST && code != RADIUS_ACCOUNTING_REQUEST &&
	    code != RADIUS_STATUS_SERVER)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (r)
		r->code = code;
	return r;
}

void radius_req_free(struct radius_req *r)
{
	if (!r)
		return;
	OPENSSL_cleanse(r->pw, sizeof(r->pw));
	free(r->eap);
	free(r);
}

/* room left for attributes: header, Message-Authenticator, password, EAP */
static bool req_fits(const struct radius_req *r, size_t more)
{
	size_t eap_attrs = r->eap_len + 2 * ((r->eap_len + RADIUS_ATTR_MAX_VALUE - 1) /
					     RADIUS_ATTR_MAX_VALUE);
	size_t pw = r->pw_len ? 2 + ((r->pw_len + 15) & ~(size_t)15) : 0;

	return RADIUS_HDR_LEN + 18 + r->attrs_len + pw + eap_attrs + more <= RADIUS_MAX_LEN;
}

static int req_put(struct radius_req *r, const uint8_t *hdr, size_t hlen, const void *val,
		   size_t len)
{
	if (!len || hlen + len > 255) {
		r->bad = true;
		return -EINVAL;
	}
	if (!req_fits(r, hlen + len)) {
		r->bad = true;
		return -ENOSPC;
	}
	memcpy(r->attrs + r->attrs_len, hdr, hlen);
	memcpy(r->attrs + r->attrs_len + hlen, val, len);
	r->attrs_len += hlen + len;
	return 0;
}

int radius_req_add(struct radius_req *r, uint8_t type, const void *val, size_t len)
{
	uint8_t h[2] = { type, (uint8_t)(len + 2) };

	/* these the client makes itself */
	if (type == RADIUS_A_MESSAGE_AUTHENTICATOR || type == RADIUS_A_USER_PASSWORD ||
	    type == RADIUS_A_EAP_MESSAGE) {
		r->bad = true;
		return -EINVAL;
	}
	return req_put(r, h, 2, val, len);
}

int radius_req_add_str(struct radius_req *r, uint8_t type, const char *s)
{
	return radius_req_add(r, type, s, strlen(s));
}

int radius_req_add_u32(struct radius_req *r, uint8_t type, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	return radius_req_add(r, type, x, 4);
}

int radius_req_add_vsa(struct radius_req *r, uint32_t vendor, uint8_t vtype, const void *val,
		       size_t len)
{
	uint8_t h[8] = { RADIUS_A_VENDOR_SPECIFIC, (uint8_t)(len + 8), (uint8_t)(vendor >> 24),
			 (uint8_t)(vendor >> 16), (uint8_t)(vendor >> 8), (uint8_t)vendor, vtype,
			 (uint8_t)(len + 2) };

	if (vendor >> 24) {
		r->bad = true;
		return -EINVAL;
	}
	return req_put(r, h, 8, val, len);
}

int radius_req_set_password(struct radius_req *r, const void *pw, size_t len)
{
	size_t old = r->pw_len;

	if (!len || len > RADIUS_PASSWORD_MAX || r->code != RADIUS_ACCESS_REQUEST) {
		r->bad = true;
		return -EINVAL;
	}
	r->pw_len = 0;
	if (!req_fits(r, 2 + ((len + 15) & ~(size_t)15))) {
		r->pw_len = old;
		r->bad = true;
		return -ENOSPC;
	}
	memcpy(r->pw, pw, len);
	r->pw_len = len;
	return 0;
}

int radius_req_set_eap(struct radius_req *r, const uint8_t *eap, size_t len)
{
	uint8_t *p;
	size_t old = r->eap_len;

	if (!len || r->code != RADIUS_ACCESS_REQUEST) {
		r->bad = true;
		return -EINVAL;
	}
	r->eap_len = 0;
	if (!req_fits(r, len + 2 * ((len + RADIUS_ATTR_MAX_VALUE - 1) / RADIUS_ATTR_MAX_VALUE))) {
		r->eap_len = old;
		r->bad = true;
		return -ENOSPC;
	}
	p = malloc(len);
	if (!p) {
		r->eap_len = old;
		r->bad = true;
		return -ENOMEM;
	}
	memcpy(p, eap, len);
	free(r->eap);
	r->eap = p;
	r->eap_len = len;
	return 0;
}

/* ---- sockets and identifiers ------------------------------------------------------------- */

static struct rsock *sock_open(struct radius_client *c, struct endpoint *ep)
{
	const struct sockaddr_storage *src = &c->cfg.source;
	struct rsock *s = calloc(1, sizeof(*s));
	char a[64];

	if (!s)
		return NULL;
	s->ep = ep;
	s->fd = socket(ep->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	/* up to 256 answers may arrive at once (best effort: capped by net.core.rmem_max) */
	{
		int sz = 256 * 4096;

		(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	if (src->ss_family != AF_UNSPEC &&
	    bind(s->fd, (const struct sockaddr *)src, sa_len(src->ss_family)) < 0) {
		RP_ERR(COMP, "group %s: cannot bind to source %s: %s", c->cfg.name,
		       addr_str(src, a, sizeof(a)), strerror(errno));
		goto fail;
	}
	/* connected: the kernel drops datagrams from anyone but the server's port */
	if (connect(s->fd, (const struct sockaddr *)&ep->addr, ep->addr_len) < 0) {
		RP_ERR(COMP, "server %s: connect: %s", ep->srv->cfg.name, strerror(errno));
		goto fail;
	}
	s->ev = event_new(c->base, s->fd, EV_READ | EV_PERSIST, sock_read, s);
	if (!s->ev || event_add(s->ev, NULL) < 0)
		goto fail;
	s->next_id = (uint8_t)(rand() & 0xff);
	return s;
fail:
	sock_close(s);
	return NULL;
}

/* Take a free identifier on some socket of @p ep, opening a socket when all are full. */
static int id_take(struct radius_client *c, struct endpoint *ep, struct radius_xact *x)
{
	struct rsock *s = NULL;

	for (unsigned i = 0; i < ep->n_sock && !s; i++)
		if (ep->sock[i]->n_busy < 256)
			s = ep->sock[i];
	if (!s) {
		if (ep->n_sock >= c->cfg.max_sockets)
			return -ENOBUFS;
		s = sock_open(c, ep);
		if (!s)
			return -EIO;
		ep->sock[ep->n_sock++] = s;
	}
	/* RFC 5080 §2.2.1: rotate, so that an identifier is not reused at once */
	while (s->slot[s->next_id])
		s->next_id++;
	x->s = s;
	x->id = s->next_id++;
	s->slot[x->id] = x;
	s->n_busy++;
	ep->srv->st.in_flight++;
	return 0;
}

/* ---- servers ------------------------------------------------------------------------------ */

static void now_mono(struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
}

static bool srv_dead(struct server *s)
{
	struct timespec now;

	if (!s->dead)
		return false;
	now_mono(&now);
	if (now.tv_sec > s->dead_until.tv_sec ||
	    (now.tv_sec == s->dead_until.tv_sec && now.tv_nsec >= s->dead_until.tv_nsec)) {
		RP_NOTICE(COMP, "server %s: dead-time over, trying it again", s->cfg.name);
		s->dead = false;
		s->st.consecutive_timeouts = 0;
	}
	return s->dead;
}

static void srv_failed(struct server *s)
{
	struct radius_client *c = s->c;

	s->st.timeouts++;
	s->st.consecutive_timeouts++;
	if (!s->dead && c->cfg.dead_after && s->st.consecutive_timeouts >= c->cfg.dead_after) {
		now_mono(&s->dead_until);
		s->dead_until.tv_sec += c->cfg.dead_time_s;
		s->dead = true;
		RP_WARN(COMP, "server %s: %u requests unanswered, marked dead for %u s",
			s->cfg.name, s->st.consecutive_timeouts, c->cfg.dead_time_s);
	}
}

static void srv_alive(struct server *s)
{
	if (s->dead)
		RP_NOTICE(COMP, "server %s: answered, alive again", s->cfg.name);
	s->dead = false;
	s->st.consecutive_timeouts = 0;
}

static uint16_t port_for(const struct server *s, uint8_t code)
{
	return code == RADIUS_ACCOUNTING_REQUEST ? s->cfg.acct_port : s->cfg.auth_port;
}

/* Next server for @p x: the first untried one in order, alive ones first. */
static int pick_server(struct radius_xact *x)
{
	struct radius_client *c = x->c;

	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < c->cfg.n_servers; i++) {
			struct server *s = &c->srv[i];

			if ((x->tried & (1u << i)) || !port_for(s, x->req->code))
				continue;
			if (pass == 0 && srv_dead(s))
				continue;
			if (pass == 1 && !x->all_dead)
				return -1;
			return (int)i;
		}
	}
	return -1;
}

/* ---- conversations: State -> the server that issued it ------------------------------------ */

static time_t now_s(void)
{
	struct timespec t;

	now_mono(&t);
	return t.tv_sec;
}

static uint32_t aff_hash(const struct radius_client *c, const uint8_t *p, size_t len)
{
	uint32_t h = 2166136261u ^ c->aff_seed; /* FNV-1a, seeded per client */

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void aff_drop(struct radius_client *c, struct affinity *a)
{
	struct affinity **pp = &c->aff[a->hash % AFF_BUCKETS];

	while (*pp != a)
		pp = &(*pp)->hnext;
	*pp = a->hnext;
	if (a->older)
		a->older->newer = a->newer;
	else
		c->aff_oldest = a->newer;
	if (a->newer)
		a->newer->older = a->older;
	else
		c->aff_newest = a->older;
	c->n_aff--;
	free(a);
}

static void aff_expire(struct radius_client *c, time_t now)
{
	while (c->aff_oldest && c->aff_oldest->expires <= now)
		aff_drop(c, c->aff_oldest);
}

static struct affinity *aff_find(const struct radius_client *c, const uint8_t *p, size_t len,
				 time_t now)
{
	uint32_t h = aff_hash(c, p, len);

	for (struct affinity *a = c->aff[h % AFF_BUCKETS]; a; a = a->hnext)
		if (a->hash == h && a->len == len && !memcmp(a->state, p, len))
			return a->expires > now ? a : NULL;
	return NULL;
}

/* Remember that server @p srv issued State @p p. Bounded: the oldest goes first. */
static void aff_add(struct radius_client *c, unsigned srv, const uint8_t *p, size_t len)
{
	time_t now = now_s();
	struct affinity *a;

	if (!len || len > RADIUS_ATTR_MAX_VALUE)
		return;
	aff_expire(c, now);
	a = aff_find(c, p, len, now);
	if (a)
		aff_drop(c, a);
	if (c->n_aff >= RADIUS_STATE_MAX) {
		if (!c->aff_full_logged)
			RP_WARN(COMP, "group %s: %u conversations (State) remembered, forgetting the "
				"oldest", c->cfg.name, RADIUS_STATE_MAX);
		c->aff_full_logged = true;
		aff_drop(c, c->aff_oldest);
	}
	a = malloc(sizeof(*a) + len);
	if (!a)
		return; /* the next round takes the usual server order */
	a->hash = aff_hash(c, p, len);
	a->srv = srv;
	a->len = (uint8_t)len;
	memcpy(a->state, p, len);
	a->expires = now + RADIUS_STATE_TTL_S;
	a->hnext = c->aff[a->hash % AFF_BUCKETS];
	c->aff[a->hash % AFF_BUCKETS] = a;
	a->newer = NULL;
	a->older = c->aff_newest;
	if (c->aff_newest)
		c->aff_newest->newer = a;
	else
		c->aff_oldest = a;
	c->aff_newest = a;
	c->n_aff++;
}

/* The State attribute of a request description (attributes are well formed), or NULL. */
static const uint8_t *req_state(const struct radius_req *r, size_t *len)
{
	for (size_t o = 0; o + 2 <= r->attrs_len; o += r->attrs[o + 1])
		if (r->attrs[o] == RADIUS_A_STATE) {
			*len = r->attrs[o + 1] - 2u;
			return r->attrs + o + 2;
		}
	return NULL;
}

bool radius_client_has_state(const struct radius_client *c, const void *state, size_t len)
{
	return len && len <= RADIUS_ATTR_MAX_VALUE && aff_find(c, state, len, now_s());
}

/* ---- transmission ------------------------------------------------------------------------- */

static int encode_for(struct radius_xact *x, struct server *s)
{
	struct radius_req *r = x->req;
	struct radius_bld b;
	bool access = r->code != RADIUS_ACCOUNTING_REQUEST;

	if (access && RAND_bytes(x->auth, sizeof(x->auth)) != 1)
		return -EIO;
	radius_bld_init(&b, x->pkt, sizeof(x->pkt), r->code, x->id, access ? x->auth : NULL,
			access);
	rp_wbuf_bytes(&b.w, r->attrs, r->attrs_len);
	if (r->pw_len)
		radius_bld_password(&b, r->pw, r->pw_len, s->cfg.secret, s->cfg.secret_len);
	if (r->eap_len)
		radius_bld_eap(&b, r->eap, r->eap_len);
	x->len = radius_bld_finish(&b, s->cfg.secret, s->cfg.secret_len);
	if (!x->len)
		return -EMSGSIZE;
	if (!access)
		memcpy(x->auth, x->pkt + 4, RADIUS_AUTH_LEN);
	return 0;
}

static void transmit(struct radius_xact *x)
{
	struct server *s = &x->c->srv[x->srv];
	struct timeval tv = { x->wait_ms / 1000, (x->wait_ms % 1000) * 1000 };

	/* a send error (no route, refused) is a lost datagram: the timer handles it */
	if (send(x->s->fd, x->pkt, x->len, 0) < 0)
		RP_DEBUG(COMP, "server %s: send: %s", s->cfg.name, strerror(errno));
	x->tries++;
	x->attempts++;
	if (x->tries > 1)
		s->st.retransmissions++;
	else
		s->st.requests++;
	evtimer_add(x->timer, &tv);
}

/* Start @p x on a new server. @return 0, or the error to complete it with. */
static int start_on(struct radius_xact *x, unsigned idx)
{
	struct server *s = &x->c->srv[idx];
	struct endpoint *ep = x->req->code == RADIUS_ACCOUNTING_REQUEST ? &s->acct : &s->auth;
	int rc;

	x->srv = idx;
	x->tried |= 1u << idx;
	x->tries = 0;
	x->wait_ms = s->cfg.timeout_ms;
	rc = id_take(x->c, ep, x);
	if (rc)
		return rc;
	rc = encode_for(x, s);
	if (rc) {
		id_release(x);
		return rc;
	}
	transmit(x);
	return 0;
}

/* Complete @p x with @p err (no response). Frees it. */
static void complete_err(struct radius_xact *x, int err)
{
	radius_cb cb = x->cb;
	void *arg = x->arg;

	xact_free(x);
	cb(err, NULL, arg);
}

/*
 * Start @p x on the next server that takes it. A server whose socket cannot be opened
 * (no route, bad source) counts as one that did not answer. @return 0, or the last error
 * (@p err when no server was left to try).
 */
static int start_next(struct radius_xact *x, int err)
{
	int next;

	if (x->pinned) {
		/* only the server that issued the State knows the conversation */
		if (x->tried)
			return err;
		err = start_on(x, x->pin);
		if (err == -EIO)
			srv_failed(&x->c->srv[x->pin]);
		return err;
	}
	while ((next = pick_server(x)) >= 0) {
		if (x->attempts)
			RP_INFO(COMP, "group %s: failing over to server %s", x->c->cfg.name,
				x->c->srv[next].cfg.name);
		err = start_on(x, (unsigned)next);
		if (!err)
			return 0;
		if (err == -EIO)
			srv_failed(&x->c->srv[next]);
	}
	return err;
}

/* Fail over from the current server; complete with @p err when none is left. */
static void fail_over(struct radius_xact *x, int err)
{
	err = start_next(x, err);
	if (err)
		complete_err(x, err);
}

static void xact_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct radius_xact *x = arg;
	struct server *s = &x->c->srv[x->srv];

	(void)fd;
	(void)what;
	if (x->deferred_err) {
		complete_err(x, x->deferred_err);
		return;
	}
	if (x->tries <= s->cfg.retransmits) {
		x->wait_ms = x->wait_ms * 2 > MAX_WAIT_MS ? MAX_WAIT_MS : x->wait_ms * 2;
		transmit(x);
		return;
	}
	RP_INFO(COMP, "server %s: no answer to id %u after %u tries", s->cfg.name, x->id,
		x->tries);
	if (x->pinned)
		RP_WARN(COMP, "group %s: server %s issued the State of this conversation and does "
			"not answer: no failover (no other server knows the State), the "
			"conversation fails", x->c->cfg.name, s->cfg.name);
	srv_failed(s);
	id_release(x);
	fail_over(x, -ETIMEDOUT);
}

int radius_send(struct radius_client *c, struct radius_req *r, radius_cb cb, void *arg,
		struct radius_xact **out)
{
	struct radius_xact *x;
	bool any = false, alive = false;

	if (!r)
		return -EINVAL;
	if (r->bad || !cb) {
		radius_req_free(r);
		return -EINVAL;
	}
	for (unsigned i = 0; i < c->cfg.n_servers; i++) {
		if (!port_for(&c->srv[i], r->code))
			continue;
		any = true;
		alive |= !srv_dead(&c->srv[i]);
	}
	if (!any) {
		radius_req_free(r);
		return -EINVAL;
	}
	x = calloc(1, sizeof(*x));
	if (!x || !(x->timer = evtimer_new(c->base, xact_timeout, x))) {
		free(x);
		radius_req_free(r);
		return -ENOMEM;
	}
	x->c = c;
	x->req = r;
	x->cb = cb;
	x->arg = arg;
	x->all_dead = !alive;
	if (r->code == RADIUS_ACCESS_REQUEST) {
		size_t slen;
		const uint8_t *st = req_state(r, &slen);
		struct affinity *a = st ? aff_find(c, st, slen, now_s()) : NULL;

		if (a) {
			/* a State is answered once: the server's next Challenge brings a new one */
			x->pinned = true;
			x->pin = a->srv;
			RP_DEBUG(COMP, "group %s: request with the State of server %s goes there "
				 "only", c->cfg.name, c->srv[a->srv].cfg.name);
			aff_drop(c, a);
		}
	}
	x->next = c->pending;
	if (c->pending)
		c->pending->prev = x;
	c->pending = x;
	if (out)
		*out = x;
	/* the callback never runs inside radius_send(): defer a failure to the loop */
	x->deferred_err = start_next(x, -ENOBUFS);
	if (x->deferred_err) {
		struct timeval zero = { 0, 0 };

		evtimer_add(x->timer, &zero);
	}
	return 0;
}

void radius_cancel(struct radius_xact *x)
{
	if (x)
		xact_free(x);
}

/* ---- reception ---------------------------------------------------------------------------- */

static void handle_response(struct radius_client *c, struct rsock *s, size_t n)
{
	struct radius_pkt *p = &c->rx_pkt;
	struct server *srv = s->ep->srv;
	struct radius_xact *x;
	enum radius_perr pe;
	int rc;

	pe = radius_parse(c->rx, n, p);
	if (pe != RADIUS_PERR_OK) {
		srv->st.bad_responses++;
		RP_INFO(COMP, "server %s: malformed reply dropped: %s", srv->cfg.name,
			radius_perr_str(pe));
		return;
	}
	x = s->slot[p->id];
	if (!x) {
		RP_DEBUG(COMP, "server %s: late or unknown reply id %u", srv->cfg.name, p->id);
		return;
	}
	if (!radius_code_answers(x->req->code, p->code)) {
		srv->st.bad_responses++;
		RP_INFO(COMP, "server %s: %s cannot answer %s, dropped", srv->cfg.name,
			radius_code_name(p->code), radius_code_name(x->req->code));
		return;
	}
	rc = radius_verify_response(p, x->auth, srv->cfg.secret, srv->cfg.secret_len,
				    c->cfg.require_ma);
	if (rc) {
		srv->st.bad_responses++;
		RP_WARN(COMP, "server %s: %s id %u dropped: %s", srv->cfg.name,
			radius_code_name(p->code), p->id,
			rc == -EPROTO ? "no Message-Authenticator"
				      : "authenticator mismatch (wrong secret?)");
		return;
	}
	srv->st.responses++;
	srv_alive(srv);
	if (x->req->code == RADIUS_ACCESS_REQUEST && p->code == RADIUS_ACCESS_CHALLENGE) {
		const struct radius_attr *a = radius_find(p, 0, RADIUS_A_STATE, NULL);

		if (a)
			aff_add(c, srv->idx, a->val, a->len);
	}
	{
		struct radius_result res = { .pkt = p, .req_auth = x->auth,
					     .secret = srv->cfg.secret,
					     .secret_len = srv->cfg.secret_len, .server = srv->idx,
					     .attempts = x->attempts };
		uint8_t auth[RADIUS_AUTH_LEN];
		radius_cb cb = x->cb;
		void *arg = x->arg;

		/* the result outlives the xact only for the callback */
		memcpy(auth, x->auth, sizeof(auth));
		res.req_auth = auth;
		xact_free(x);
		cb(0, &res, arg);
		OPENSSL_cleanse(auth, sizeof(auth));
	}
}

static void sock_read(evutil_socket_t fd, short what, void *arg)
{
	struct rsock *s = arg;
	struct radius_client *c = s->ep->srv->c;
	bool freed = false;

	(void)what;
	/* a bounded batch, so one busy server cannot starve the others */
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(fd, c->rx, sizeof(c->rx), 0);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* ECONNREFUSED (ICMP) and the like: the timers decide */
			RP_DEBUG(COMP, "server %s: recv: %s", s->ep->srv->cfg.name, strerror(errno));
			continue;
		}
		if ((size_t)n > RADIUS_MAX_LEN) {
			s->ep->srv->st.bad_responses++;
			continue;
		}
		c->freed = &freed;
		handle_response(c, s, (size_t)n);
		if (freed)
			return;
		c->freed = NULL;
	}
}

bool radius_client_server_state(const struct radius_client *c, unsigned i,
				struct radius_server_state *st)
{
	const struct server *s;

	if (i >= c->cfg.n_servers)
		return false;
	s = &c->srv[i];
	*st = s->st;
	st->dead = s->dead;
	st->sockets = s->auth.n_sock + s->acct.n_sock;
	return true;
}
