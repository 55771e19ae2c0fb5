/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* IKE sockets, event loop glue and "show sessions" (see ike_io.h). */
#include "controlplane/ike/ike_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/log.h"
#include "controlplane/dpif/dpif.h"
#include "controlplane/mgmt/mgmt.h"
#include "controlplane/util/workpool.h"

#define COMP "ike"
#define RX_BUF 65536
#define RX_BATCH 64
#define MAX_SOCKS (2 * IKE_CONF_MAX_LISTEN)

struct ike_sock {
	struct ike_io *io;
	int fd;
	struct event *ev;
	bool natt;           /**< RFC 3948 port: non-ESP marker */
	struct ike_addr bound;
};

struct ike_io {
	struct event_base *base;
	struct dpif *dpif;
	struct ike_resp *resp;
	struct ike_conf conf;
	struct ike_authenticator auth;
	unsigned n_socks;
	struct ike_sock socks[MAX_SOCKS];
	struct event *tick;
	uint8_t *rx;
	uint64_t rx_esp, rx_short, tx_errors;
	uint64_t rx_keepalives, tx_keepalives; /**< RFC 3948 NAT keepalives */
	struct show_job *shows; /**< "show sessions" waiting for the SA dump */
	struct workpool *wp;    /**< ike.crypto_threads workers; NULL: DH on the loop */
	struct event *wp_ev;    /**< their completions */
};

/* DH jobs (IKE_SA_INIT, CREATE_CHILD_SA) queued or running at most. */
#define CRYPTO_QUEUE 1024u

/* A "show sessions" waiting for the dataplane's SA counters. */
struct show_job {
	struct show_job *next;
	struct ike_io *io;
	struct mgmt_req *req;
	struct ike_show_sel sel;
};

#define SHOW_DUMP_TIMEOUT_MS 2000

/* ---- dataplane adapter -------------------------------------------------------------------- */

static int dpif_ops_send(void *ctx, uint16_t type, const void *payload, size_t len, dpif_cb cb,
			 void *arg)
{
	return dpif_send(ctx, type, payload, len, cb, arg, 0);
}

static unsigned dpif_ops_cancel(void *ctx, void *arg)
{
	return dpif_cancel(ctx, arg);
}

static void send_keepalive(void *arg, const struct ike_addr *local, const struct ike_addr *peer);

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ike_io *io = arg;
	uint64_t now_ms = dpif_now_ns() / 1000000;

	(void)fd;
	(void)what;
	ike_resp_tick(io->resp, now_ms); /* NAT keepalives too (ike_resp_set_nat_keepalive()) */
	/* on-demand DPD asks for the SA counters it needs from ike_resp_tick() */
}

/* ---- sockets ------------------------------------------------------------------------------ */

static void to_sockaddr(const struct ike_addr *a, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->af == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->addr, 4);
		*len = sizeof(*s4);
	}
}

static void from_sockaddr(const struct sockaddr_storage *ss, struct ike_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a->af = 6;
		a->port = ntohs(s6->sin6_port);
		memcpy(a->addr, &s6->sin6_addr, 16);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a->af = 4;
		a->port = ntohs(s4->sin_port);
		memcpy(a->addr, &s4->sin_addr, 4);
	}
}

static const char *addr_str(const struct ike_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(a->af == 6 ? AF_INET6 : AF_INET, a->addr, ip, sizeof(ip));
	snprintf(buf, len, a->af == 6 ? "[%s]:%u" : "%s:%u", ip, a->port);
	return buf;
}

static struct ike_sock *sock_of(struct ike_io *io, const struct ike_addr *from)
{
	for (unsigned i = 0; i < io->n_socks; i++)
		if (io->socks[i].bound.af == from->af && io->socks[i].bound.port == from->port &&
		    (!memcmp(io->socks[i].bound.addr, from->addr, 16) ||
		     !memcmp(io->socks[i].bound.addr, (uint8_t[16]){ 0 }, 16)))
			return &io->socks[i];
	return NULL;
}

/* Send @p buf from @p from to @p to; @p raw: without the non-ESP marker on the NAT-T port
 * (NAT keepalives). */
static void sock_send(struct ike_io *io, const uint8_t *buf, size_t len,
		      const struct ike_addr *from, const struct ike_addr *to, bool raw)
{
	static const uint8_t marker[4];
	struct ike_sock *s = sock_of(io, from);
	struct sockaddr_storage ss;
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2];
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	socklen_t sl;
	char a[64];

	if (!s) {
		io->tx_errors++;
		RP_LOG_RL(RP_LOG_WARN, COMP, "no socket for %s", addr_str(from, a, sizeof(a)));
		return;
	}
	to_sockaddr(to, &ss, &sl);
	iov[0] = (struct iovec){ (void *)marker, 4 };
	iov[1] = (struct iovec){ (void *)buf, len };
	mh.msg_name = &ss;
	mh.msg_namelen = sl;
	mh.msg_iov = s->natt && !raw ? iov : iov + 1;
	mh.msg_iovlen = s->natt && !raw ? 2 : 1;
	/* from a wildcard socket, leave from the address the request came to */
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_control = ctl.b;
	if (from->af == 4) {
		struct in_pktinfo pi = { 0 };

		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(&pi.ipi_spec_dst, from->addr, 4);
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi = { 0 };

		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(&pi.ipi6_addr, from->addr, 16);
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	if (sendmsg(s->fd, &mh, 0) < 0) {
		io->tx_errors++;
		RP_LOG_RL(RP_LOG_WARN, COMP, "send to %s: %s", addr_str(to, a, sizeof(a)),
			  strerror(errno));
	}
}

static void on_send(void *arg, const uint8_t *buf, size_t len, const struct ike_addr *from,
		    const struct ike_addr *to)
{
	sock_send(arg, buf, len, from, to, false);
}

/* RFC 3948 §2.3: when we are behind a NAT, keep its mapping alive with one 0xff byte from
 * the NAT-T port to each such peer. */
static void send_keepalive(void *arg, const struct ike_addr *local, const struct ike_addr *peer)
{
	static const uint8_t ka = 0xff;
	struct ike_io *io = arg;
	struct ike_sock *s = sock_of(io, local);

	if (!s || !s->natt)
		return; /* the peer did not move to the NAT-T port: nothing to keep open */
	sock_send(io, &ka, 1, local, peer, true);
	io->tx_keepalives++;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct ike_sock *s = arg;
	struct ike_io *io = s->io;

	(void)what;
	for (int n = 0; n < RX_BATCH; n++) {
		struct sockaddr_storage ss;
		union {
			char b[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			       CMSG_SPACE(sizeof(struct in_pktinfo))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { io->rx, RX_BUF };
		struct msghdr mh = { .msg_name = &ss, .msg_namelen = sizeof(ss), .msg_iov = &iov,
				     .msg_iovlen = 1, .msg_control = ctl.b,
				     .msg_controllen = sizeof(ctl.b) };
		struct ike_addr peer, local = s->bound;
		const uint8_t *p = io->rx;
		ssize_t len = recvmsg(fd, &mh, MSG_DONTWAIT);

		if (len < 0)
			return; /* EAGAIN, or an ICMP error reported on the socket */
		from_sockaddr(&ss, &peer);
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				memcpy(local.addr, &pi.ipi_addr, 4);
			} else if (cm->cmsg_level == IPPROTO_IPV6 &&
				   cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				memcpy(local.addr, &pi.ipi6_addr, 16);
			}
		}
		if (s->natt) {
			/* RFC 3948 §2.2: IKE behind four zero bytes; a 0xff byte is a NAT
			 * keepalive; anything else is ESP, which the dataplane handles */
			if (len == 1 && p[0] == 0xff) {
				io->rx_keepalives++;
				continue;
			}
			if (len < 4 || p[0] | p[1] | p[2] | p[3]) {
				io->rx_esp++;
				continue;
			}
			p += 4;
			len -= 4;
		}
		if (len < (ssize_t)IKE_HDR_LEN) {
			io->rx_short++;
			continue;
		}
		ike_resp_input(io->resp, p, (size_t)len, &peer, &local);
	}
}

static int open_sock(struct ike_io *io, const struct ike_addr *at, uint16_t port, bool natt)
{
	struct ike_sock *s = &io->socks[io->n_socks];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int one = 1, fd, rc;
	char a[64];

	s->io = io;
	s->natt = natt;
	s->bound = *at;
	s->bound.port = port;
	fd = socket(at->af == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (at->af == 4 && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))) ||
	    (at->af == 6 && (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
			     setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)))))
		goto fail;
	to_sockaddr(&s->bound, &ss, &sl);
	if (bind(fd, (struct sockaddr *)&ss, sl))
		goto fail;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		goto fail;
	from_sockaddr(&ss, &s->bound);
	s->fd = fd;
	s->ev = event_new(io->base, fd, EV_READ | EV_PERSIST, on_readable, s);
	if (!s->ev || event_add(s->ev, NULL)) {
		event_free(s->ev);
		s->ev = NULL;
		close(fd);
		return -ENOMEM;
	}
	io->n_socks++;
	RP_INFO(COMP, "listening on %s%s", addr_str(&s->bound, a, sizeof(a)),
		natt ? " (NAT-T)" : "");
	return 0;
fail:
	rc = -errno;
	RP_ERR(COMP, "cannot listen on %s: %s", addr_str(&s->bound, a, sizeof(a)), strerror(errno));
	close(fd);
	return rc;
}

/* Workers finished IKE_SA_INIT jobs: answer them. */
static void on_crypto_done(evutil_socket_t fd, short what, void *arg)
{
	struct ike_io *io = arg;

	(void)fd;
	(void)what;
	wp_run_done(io->wp);
}

/* The dataplane reports a CHILD_SA's volume limit: the responder rekeys it. */
static void on_lifetime(const struct rp_msg *m, void *arg)
{
	struct ike_io *io = arg;

	ike_resp_lifetime(io->resp, &m->u.lifetime);
}

int ike_io_create(struct event_base *base, struct dpif *dpif, const struct ike_dp_ops *dp,
		  struct ike_conf *conf, struct ike_io **out)
{
	struct ike_io *io = calloc(1, sizeof(*io));
	struct ike_dp_ops ops = { dpif_ops_send, dpif_ops_cancel, dpif };
	int rc = -ENOMEM;

	*out = NULL;
	if (!io)
		return -ENOMEM;
	io->base = base;
	io->dpif = dpif;
	io->conf = *conf;
	memset(conf, 0, sizeof(*conf)); /* ours now */
	io->rx = malloc(RX_BUF);
	if (!io->rx)
		goto fail;
	rc = ike_resp_create(&io->conf.resp, NULL, on_send, io, &io->resp);
	if (rc)
		goto fail;
	ike_keyring_authenticator(io->conf.keyring, &io->auth);
	ike_resp_set_auth(io->resp, &io->auth);
	if (dp)
		ike_resp_set_dp(io->resp, dp);
	else if (dpif)
		ike_resp_set_dp(io->resp, &ops);
	ike_resp_set_pools(io->resp, io->conf.pool4, io->conf.pool6);
	ike_resp_set_pool_set(io->resp, io->conf.pools);
	ike_resp_set_proposals(io->resp, io->conf.proposals, io->conf.n_proposals);
	ike_resp_set_policies(io->resp, io->conf.policies, io->conf.n_policies);
	if (io->conf.crypto_threads) {
		rc = wp_create(io->conf.crypto_threads, CRYPTO_QUEUE, &io->wp);
		if (rc) {
			RP_ERR(COMP, "ike.crypto_threads: %u worker threads: %s",
			       io->conf.crypto_threads, strerror(-rc));
			goto fail;
		}
		io->wp_ev = event_new(base, wp_fd(io->wp), EV_READ | EV_PERSIST, on_crypto_done,
				      io);
		if (!io->wp_ev || event_add(io->wp_ev, NULL)) {
			rc = -ENOMEM;
			goto fail;
		}
		ike_resp_set_workpool(io->resp, io->wp);
	}
	if (dpif)
		dpif_on_event(dpif, RP_MSG_LIFETIME, on_lifetime, io);
	/* each SA at its profile's nat_keepalive, else the ike section's (ike_policy.c) */
	ike_resp_set_nat_keepalive(io->resp, io->conf.nat_keepalive, send_keepalive, io);
	ike_resp_tick(io->resp, dpif_now_ns() / 1000000);
	io->tick = event_new(base, -1, EV_PERSIST, on_tick, io);
	if (!io->tick || event_add(io->tick, &(struct timeval){ 1, 0 })) {
		rc = -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < io->conf.n_listen; i++) {
		rc = open_sock(io, &io->conf.listen[i], io->conf.port, false);
		if (!rc)
			rc = open_sock(io, &io->conf.listen[i], io->conf.nat_port, true);
		if (rc)
			goto fail;
	}
	char wp_desc[48] = "on the event loop";

	if (io->wp)
		snprintf(wp_desc, sizeof(wp_desc), "on %u worker threads", wp_threads(io->wp));
	RP_NOTICE(COMP, "IKEv2 responder up: %u PSK peer%s, %u address pool%s (default %s%s%s), "
		  "%u IKE proposal%s, %u IKEv2 polic%s; DH %s (IKE_SA_INIT, CREATE_CHILD_SA)",
		  io->conf.n_peers, io->conf.n_peers == 1 ? "" : "s",
		  io->conf.pools ? io->conf.pools->n : 0,
		  io->conf.pools && io->conf.pools->n == 1 ? "" : "s",
		  io->conf.pool4 ? pool_cfg(io->conf.pool4)->name : "-",
		  io->conf.pool6 ? ", IPv6 " : "",
		  io->conf.pool6 ? pool_cfg(io->conf.pool6)->name : "",
		  io->conf.n_proposals, io->conf.n_proposals == 1 ? "" : "s",
		  io->conf.n_policies, io->conf.n_policies == 1 ? "y" : "ies", wp_desc);
	*out = io;
	return 0;
fail:
	ike_io_destroy(io);
	return rc;
}

void ike_io_destroy(struct ike_io *io)
{
	if (!io)
		return;
	/* "show sessions" still waiting for counters: answer without them */
	while (io->shows) {
		struct show_job *j = io->shows;

		io->shows = j->next;
		if (io->dpif)
			dpif_cancel(io->dpif, j);
		ike_io_show_sa(io, &j->sel, NULL, 0, &j->req->out,
			       j->req->json ? &j->req->jw : NULL);
		mgmt_req_done(j->req, MGMT_OK);
		free(j);
	}
	if (io->dpif && io->resp)
		dpif_on_event(io->dpif, RP_MSG_LIFETIME, NULL, NULL);
	if (io->tick)
		event_free(io->tick);
	for (unsigned i = 0; i < io->n_socks; i++) {
		event_free(io->socks[i].ev);
		close(io->socks[i].fd);
	}
	ike_resp_destroy(io->resp); /* cancels its jobs: the pool only frees them now */
	if (io->wp_ev)
		event_free(io->wp_ev);
	wp_destroy(io->wp);
	ike_conf_free(&io->conf);
	free(io->rx);
	free(io);
}

uint16_t ike_io_port(const struct ike_io *io, bool natt)
{
	for (unsigned i = 0; i < io->n_socks; i++)
		if (io->socks[i].natt == natt)
			return io->socks[i].bound.port;
	return 0;
}

struct ike_resp *ike_io_resp(struct ike_io *io)
{
	return io->resp;
}

unsigned ike_io_crypto_threads(const struct ike_io *io)
{
	return io->conf.crypto_threads;
}

/* ---- show sessions ------------------------------------------------------------------------ */

struct show_ctx {
	struct ike_io *io;
	bool detail;
	struct sbuf *out;
	struct json_w *jw;
	unsigned n;
	const struct rp_msg_sa_stats *sas; /**< sorted by sa_id; NULL: counters unknown */
	unsigned n_sas;
	uint32_t from, last;               /**< the session ids listed: from..last */
};

/* The session ids from @p from on (the page's candidates), to find where a page ends. */
struct id_list {
	uint32_t from, *ids;
	unsigned n, cap, total;
	bool nomem;
};

static void collect_id(const struct ike_sa_info *i, void *arg)
{
	struct id_list *l = arg;

	l->total++;
	if (i->id < l->from || l->nomem)
		return;
	if (l->n == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 1024;
		uint32_t *t = realloc(l->ids, cap * sizeof(*t));

		if (!t) {
			l->nomem = true;
			return;
		}
		l->ids = t;
		l->cap = cap;
	}
	l->ids[l->n++] = i->id;
}

static int id_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The page of @p sel: ids c->from..c->last; *next the first id after it (0: none). */
static void show_page(struct ike_io *io, const struct ike_show_sel *sel, struct show_ctx *c,
		      uint32_t *next, unsigned *total)
{
	struct id_list l = { .from = sel->from };
	unsigned limit = sel->limit ? sel->limit : IKE_SHOW_LIMIT;

	c->from = sel->from;
	c->last = UINT32_MAX;
	*next = 0;
	ike_resp_foreach(io->resp, collect_id, &l);
	*total = l.total;
	if (l.n > limit && !l.nomem) {
		qsort(l.ids, l.n, sizeof(*l.ids), id_cmp);
		c->last = l.ids[limit - 1];
		*next = l.ids[limit];
	} else if (l.nomem) { /* no memory to sort: this page is what fits the limit in id order */
		c->last = sel->from + limit - 1 < sel->from ? UINT32_MAX : sel->from + limit - 1;
		*next = c->last == UINT32_MAX ? 0 : c->last + 1;
	}
	free(l.ids);
}

static int sa_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct rp_msg_sa_stats *)a)->sa_id;
	uint32_t y = ((const struct rp_msg_sa_stats *)b)->sa_id;

	return x < y ? -1 : x > y;
}

static const struct rp_msg_sa_stats *find_sa(const struct show_ctx *c, uint32_t id)
{
	struct rp_msg_sa_stats key = { .sa_id = id };

	if (!c->sas || !id)
		return NULL;
	return bsearch(&key, c->sas, c->n_sas, sizeof(key), sa_cmp);
}

/* A session's traffic in one direction: the counters of all its CHILD_SAs in the dataplane
 * (a rekeyed pair until the peer deletes it, several CHILD_SAs) plus what CHILD_SAs already
 * deleted had carried, so that a rekey does not set it back. NULL: unknown. */
static const struct rp_msg_sa_stats *session_counters(const struct show_ctx *c,
						      const struct ike_sa_info *i, uint8_t dir,
						      struct rp_msg_sa_stats *sum)
{
	bool found = false;

	memset(sum, 0, sizeof(*sum));
	for (unsigned k = 0; c->sas && i->has_child && k < i->n_sa_ids; k++) {
		const struct rp_msg_sa_stats *s = find_sa(c, i->sa_ids[k]);

		if (!s || s->dir != dir)
			continue;
		sum->packets += s->packets;
		sum->bytes += s->bytes;
		found = true;
	}
	if (!found)
		return NULL;
	sum->packets += dir == RP_DIR_IN ? i->gone_in_packets : i->gone_out_packets;
	sum->bytes += dir == RP_DIR_IN ? i->gone_in_bytes : i->gone_out_bytes;
	return sum;
}

static void kv_counter(struct json_w *w, const char *key, const struct rp_msg_sa_stats *s,
		       bool bytes)
{
	json_key(w, key);
	if (s)
		json_uint(w, bytes ? s->bytes : s->packets);
	else
		json_null(w);
}

static const char *suite_str(const struct ike_suite *s, bool ike, char *buf, size_t len)
{
	char bits[8] = "";

	if (s->encr_bits)
		snprintf(bits, sizeof(bits), "_%u", s->encr_bits);
	snprintf(buf, len, "%s%s%s%s%s%s%s%s", ike_encr_name(s->encr), bits,
		 s->integ ? "/" : "", s->integ ? ike_integ_name(s->integ) : "",
		 ike ? "/" : "", ike ? ike_prf_name(s->prf) : "", ike ? "/" : "",
		 ike ? ike_dh_name(s->dh) : (s->esn ? "/ESN" : ""));
	return buf;
}

static const char *dpd_mode_str(uint8_t m)
{
	return m == IKE_DPD_PERIODIC ? "periodic" : m == IKE_DPD_ON_DEMAND ? "on-demand" : "off";
}

static const char *nat_str(const struct ike_sa_info *i)
{
	return i->local_nat && i->peer_nat ? "both behind NAT" :
	       i->local_nat ? "we are behind a NAT" :
	       i->peer_nat ? "peer behind a NAT" : "no NAT";
}

/* "show sessions detail": times, liveness, NAT (in the spirit of IOS "show crypto ikev2
 * session detailed": uptime, DPD configuration, NAT-T) */
static void show_live_text(struct show_ctx *c, const struct ike_sa_info *i)
{
	const struct ike_resp_cfg *cf = &c->io->conf.resp;
	uint8_t mode = i->pol_dpd ? i->pol_dpd_mode : cf->dpd_mode; /* the profile's, if set */
	unsigned iv = i->pol_dpd ? i->pol_dpd_interval : cf->dpd_interval;
	unsigned retry = i->pol_dpd && i->pol_dpd_retry ? i->pol_dpd_retry : cf->dpd_retry;
	unsigned ka = i->pol_nat_keepalive_s ? i->pol_nat_keepalive_s : c->io->conf.nat_keepalive;

	if (i->state == IKE_SA_ESTABLISHED)
		sbuf_printf(c->out, "    up %" PRIu64 " s, last heard from %" PRIu64 " s ago",
			    i->up_ms / 1000, i->idle_ms / 1000);
	else
		sbuf_printf(c->out, "    not established, created %" PRIu64 " s ago",
			    i->age_ms / 1000);
	if (mode)
		sbuf_printf(c->out, "; DPD %s, %u s, give up after %u x %u s%s\n",
			    dpd_mode_str(mode), iv, cf->dpd_retries, retry,
			    i->dpd_pending ? ", check outstanding" : "");
	else
		sbuf_printf(c->out, "; DPD off\n");
	if (i->has_child)
		sbuf_printf(c->out, "    CHILD_SA age %" PRIu64 " s, rekey in %" PRIu64 " s\n",
			    i->child_age_ms / 1000, i->child_rekey_ms / 1000);
	sbuf_printf(c->out, "    NAT-T: %s", nat_str(i));
	if (i->local_nat && ka)
		sbuf_printf(c->out, ", keepalive every %u s", ka);
	if (i->nat_moved)
		sbuf_printf(c->out, ", peer moved %" PRIu64 " time%s", i->nat_moved,
			    i->nat_moved == 1 ? "" : "s");
	sbuf_printf(c->out, "\n");
}

static void show_live_json(struct show_ctx *c, const struct ike_sa_info *i)
{
	const struct ike_resp_cfg *cf = &c->io->conf.resp;
	struct json_w *w = c->jw;

	json_kv_uint(w, "age_s", i->age_ms / 1000);
	json_kv_uint(w, "uptime_s", i->up_ms / 1000);
	json_kv_uint(w, "idle_s", i->idle_ms / 1000);
	json_kv_str(w, "dpd_mode", dpd_mode_str(i->pol_dpd ? i->pol_dpd_mode : cf->dpd_mode));
	json_kv_uint(w, "dpd_interval_s", i->pol_dpd ? i->pol_dpd_interval : cf->dpd_interval);
	json_kv_uint(w, "dpd_retry_s", i->pol_dpd && i->pol_dpd_retry ? i->pol_dpd_retry :
				       cf->dpd_retry);
	json_kv_uint(w, "dpd_retries", cf->dpd_retries);
	json_kv_bool(w, "dpd_pending", i->dpd_pending);
	json_kv_bool(w, "peer_behind_nat", i->peer_nat);
	json_kv_bool(w, "local_behind_nat", i->local_nat);
	json_kv_uint(w, "nat_keepalive_s", !i->local_nat ? 0 : i->pol_nat_keepalive_s ?
					   i->pol_nat_keepalive_s : c->io->conf.nat_keepalive);
	json_kv_uint(w, "peer_moved", i->nat_moved);
	if (i->has_child) {
		json_kv_uint(w, "child_age_s", i->child_age_ms / 1000);
		json_kv_uint(w, "child_rekey_in_s", i->child_rekey_ms / 1000);
	}
}

static void show_one(const struct ike_sa_info *i, void *arg)
{
	struct show_ctx *c = arg;
	char peer[64], local[64], a4[INET_ADDRSTRLEN] = "", a6[INET6_ADDRSTRLEN] = "";
	char ike[96], esp[96], spis[40];

	if (i->id < c->from || i->id > c->last)
		return;
	c->n++;
	addr_str(&i->peer, peer, sizeof(peer));
	addr_str(&i->local, local, sizeof(local));
	if (i->has_addr4)
		inet_ntop(AF_INET, i->addr4, a4, sizeof(a4));
	if (i->has_addr6)
		inet_ntop(AF_INET6, i->addr6, a6, sizeof(a6));
	suite_str(&i->ike, true, ike, sizeof(ike));
	suite_str(&i->esp, false, esp, sizeof(esp));
	snprintf(spis, sizeof(spis), "%016llx_i %016llx_r", (unsigned long long)i->spi_i,
		 (unsigned long long)i->spi_r);
	/* counters of the CHILD_SAs (NULL: unknown, or no CHILD_SA) */
	struct rp_msg_sa_stats sum_in, sum_out;
	const struct rp_msg_sa_stats *in = session_counters(c, i, RP_DIR_IN, &sum_in);
	const struct rp_msg_sa_stats *out = session_counters(c, i, RP_DIR_OUT, &sum_out);

	if (c->jw) {
		struct json_w *w = c->jw;

		json_obj_open(w);
		json_kv_uint(w, "id", i->id);
		json_kv_str(w, "state", i->clearing ? "DELETING" : ike_sa_state_name(i->state));
		json_kv_str(w, "peer", peer);
		json_kv_str(w, "local", local);
		json_kv_str(w, "peer_id", i->peer_id);
		json_kv_str(w, "local_id", i->local_id);
		json_kv_str(w, "address", i->has_addr4 ? a4 : NULL);
		json_kv_str(w, "address6", i->has_addr6 ? a6 : NULL);
		json_kv_str(w, "ike_spis", spis);
		json_kv_str(w, "profile", i->profile);
		json_kv_str(w, "group", i->group);
		json_kv_str(w, "eap_identity", i->eap_id[0] ? i->eap_id : NULL);
		kv_counter(w, "in_packets", in, false);
		kv_counter(w, "in_bytes", in, true);
		kv_counter(w, "out_packets", out, false);
		kv_counter(w, "out_bytes", out, true);
		if (c->detail) {
			json_key(w, "session_left_s");
			if (i->session_left_ms)
				json_uint(w, (i->session_left_ms + 999) / 1000);
			else
				json_null(w);
			json_kv_str(w, "ike_algorithms", ike);
			json_kv_bool(w, "child", i->has_child);
			if (i->has_child) {
				json_kv_str(w, "esp_algorithms", esp);
				json_kv_uint(w, "spi_in", i->spi_in);
				json_kv_uint(w, "spi_out", i->spi_out);
				json_kv_uint(w, "sa_id_in", i->sa_id_in);
				json_kv_uint(w, "sa_id_out", i->sa_id_out);
				json_kv_bool(w, "udp_encap", i->natt);
				json_kv_uint(w, "child_sas", i->n_child);
			}
			show_live_json(c, i);
		}
		json_obj_close(w);
		return;
	}
	sbuf_printf(c->out, "%-6u %-22s %-12s %-28s %-15s %s\n", i->id, peer,
		    i->clearing ? "DELETING" : ike_sa_state_name(i->state),
		    i->peer_id[0] ? i->peer_id : "-", i->has_addr4 ? a4 : (i->has_addr6 ? a6 : "-"),
		    spis);
	if (i->profile)
		sbuf_printf(c->out, "    profile %s, group %s\n", i->profile,
			    i->group ? i->group : "-");
	if (i->eap_id[0])
		sbuf_printf(c->out, "    EAP identity %s\n", i->eap_id);
	if (i->has_child) {
		char ib[64] = "unknown", ob[64] = "unknown";

		if (in)
			snprintf(ib, sizeof(ib), "%" PRIu64 " packets %" PRIu64 " bytes",
				 in->packets, in->bytes);
		if (out)
			snprintf(ob, sizeof(ob), "%" PRIu64 " packets %" PRIu64 " bytes",
				 out->packets, out->bytes);
		sbuf_printf(c->out, "    traffic in %s, out %s%s\n", ib, ob,
			    c->sas ? "" : " (dataplane not available)");
	}
	if (!c->detail)
		return;
	sbuf_printf(c->out, "    local %s id %s\n    IKE %s\n", local, i->local_id, ike);
	if (i->session_left_ms)
		sbuf_printf(c->out, "    session lifetime: ends in %" PRIu64 " s\n",
			    (i->session_left_ms + 999) / 1000);
	if (i->has_addr6)
		sbuf_printf(c->out, "    IPv6 address %s\n", a6);
	if (i->has_child)
		sbuf_printf(c->out, "    ESP %s  SPI in %08x out %08x  sa_id %u/%u%s%s\n", esp,
			    i->spi_in, i->spi_out, i->sa_id_in, i->sa_id_out,
			    i->natt ? "  UDP-encapsulated" : "",
			    i->n_child > 1 ? "  (newest of several CHILD_SAs)" : "");
	else
		sbuf_printf(c->out, "    no CHILD_SA\n");
	show_live_text(c, i);
}

void ike_io_show(struct ike_io *io, bool detail, struct sbuf *out, struct json_w *jw)
{
	struct ike_show_sel sel = { .detail = detail, .limit = UINT32_MAX };

	ike_io_show_sa(io, &sel, NULL, 0, out, jw);
}

void ike_io_show_sa(struct ike_io *io, const struct ike_show_sel *sel,
		    const struct rp_msg_sa_stats *sas, unsigned n_sas, struct sbuf *out,
		    struct json_w *jw)
{
	static const struct ike_show_sel all = { .limit = UINT32_MAX };
	bool detail;
	struct show_ctx c = { io, false, out, jw, 0, NULL, 0, 0, UINT32_MAX };
	struct rp_msg_sa_stats *sorted = NULL;
	struct ike_resp_stats st;
	uint32_t next;
	unsigned total;

	if (sas) {
		sorted = malloc((n_sas ? n_sas : 1) * sizeof(*sorted));
		if (sorted) {
			memcpy(sorted, sas, n_sas * sizeof(*sorted));
			qsort(sorted, n_sas, sizeof(*sorted), sa_cmp);
			c.sas = sorted;
			c.n_sas = n_sas;
		}
	}

	if (!sel)
		sel = &all;
	detail = c.detail = sel->detail;
	ike_resp_get_stats(io->resp, &st);
	show_page(io, sel, &c, &next, &total);
	if (jw) {
		json_obj_open(jw);
		json_key(jw, "sessions");
		json_arr_open(jw);
		ike_resp_foreach(io->resp, show_one, &c);
		json_arr_close(jw);
		json_kv_uint(jw, "count", c.n);
		json_kv_uint(jw, "total", total);
		json_key(jw, "next_from");
		if (next)
			json_uint(jw, next);
		else
			json_null(jw);
		json_kv_uint(jw, "half_open", st.half_open);
		if (detail) {
			json_kv_uint(jw, "half_open_refused", st.half_open_refused);
			json_kv_uint(jw, "half_open_peer_refused", st.half_open_peer_refused);
			json_kv_uint(jw, "cookies_sent", st.cookies_sent);
			json_kv_uint(jw, "crypto_busy", st.crypto_busy);
			json_kv_uint(jw, "crypto_threads", io->wp ? wp_threads(io->wp) : 0);
			json_kv_uint(jw, "crypto_pending", io->wp ? wp_pending(io->wp) : 0);
			json_kv_uint(jw, "dpd_checks", st.dpd_sent);
			json_kv_uint(jw, "dpd_dead", st.dpd_dead);
			json_kv_uint(jw, "dpd_counter_queries", st.dpd_queries);
			json_kv_uint(jw, "dpd_counter_dumps", st.dpd_dumps);
			json_kv_uint(jw, "cleared", st.cleared);
			json_kv_uint(jw, "nat_moved", st.nat_moved);
			json_kv_uint(jw, "nat_keepalives_rx", io->rx_keepalives);
			json_kv_uint(jw, "nat_keepalives_tx", io->tx_keepalives);
		}
		json_kv_bool(jw, "counters", c.sas != NULL);
		json_obj_close(jw);
		free(sorted);
		return;
	}
	sbuf_printf(out, "%-6s %-22s %-12s %-28s %-15s %s\n", "ID", "PEER", "STATE", "IDENTITY",
		    "ADDRESS", "IKE SPIs");
	ike_resp_foreach(io->resp, show_one, &c);
	if (c.n == total)
		sbuf_printf(out, "%u session%s (%u half-open)\n", c.n, c.n == 1 ? "" : "s",
			    st.half_open);
	else
		sbuf_printf(out, "%u of %u sessions listed (%u half-open)\n", c.n, total,
			    st.half_open);
	if (next)
		sbuf_printf(out, "more: show sessions%s from %u\n", detail ? " detail" : "", next);
	if (detail)
		sbuf_printf(out, "half-open refused %" PRIu64 " (per peer %" PRIu64 ", workers busy "
			    "%" PRIu64 "), cookies sent "
			    "%" PRIu64 "; DPD checks %" PRIu64 " (counter queries %" PRIu64 ", dumps %"
			    PRIu64 "), dead peers %" PRIu64 "; cleared "
			    "%" PRIu64 "; NAT moves %" PRIu64 ", keepalives in %" PRIu64 " out %" PRIu64
			    "\n", st.half_open_refused + st.half_open_peer_refused + st.crypto_busy,
			    st.half_open_peer_refused, st.crypto_busy, st.cookies_sent, st.dpd_sent,
			    st.dpd_queries, st.dpd_dumps, st.dpd_dead,
			    st.cleared, st.nat_moved, io->rx_keepalives, io->tx_keepalives);
	if (detail)
		sbuf_printf(out, "DH (IKE_SA_INIT, CREATE_CHILD_SA): %u worker thread%s, "
			    "%u job%s pending\n",
			    io->wp ? wp_threads(io->wp) : 0, io->wp && wp_threads(io->wp) == 1 ? "" : "s",
			    io->wp ? wp_pending(io->wp) : 0,
			    io->wp && wp_pending(io->wp) == 1 ? "" : "s");
	free(sorted);
}

static void show_job_unlink(struct show_job *j)
{
	for (struct show_job **p = &j->io->shows; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			return;
		}
}

/* The SA dump is back (or failed): show the sessions, with counters if we have them. */
static void on_show_dump(int status, const struct dpif_reply *rep, void *arg)
{
	struct show_job *j = arg;
	struct rp_msg_sa_stats *sas = NULL;
	unsigned n = 0;

	show_job_unlink(j);
	if (!status) {
		sas = calloc(rep->n ? rep->n : 1, sizeof(*sas));
		for (unsigned i = 0; sas && i < rep->n; i++)
			if (rep->msgs[i].hdr.type == RP_MSG_SA_INFO)
				sas[n++] = rep->msgs[i].u.sa_stats;
	} else {
		RP_DEBUG(COMP, "show sessions: no SA counters: %s", strerror(-status));
	}
	ike_io_show_sa(j->io, &j->sel, sas, n, &j->req->out,
		       j->req->json ? &j->req->jw : NULL);
	if (sas && ike_resp_wants_counters(j->io->resp))
		ike_resp_dp_counters(j->io->resp, sas, n); /* a free sample for DPD */
	mgmt_req_done(j->req, MGMT_OK);
	free(sas);
	free(j);
}

/* A session id or a page size of "show sessions": a decimal in lo..hi. */
static bool show_arg(struct mgmt_req *req, const char *what, const char *s, unsigned long lo,
		     unsigned long hi, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = s ? strtoul(s, &end, 10) : 0;
	if (!s || !*s || *end || errno || *v < lo || *v > hi || *s == '-' || *s == '+') {
		mgmt_req_error(req, "show sessions: %s '%s': expected a number %lu..%lu", what,
			       s ? s : "", lo, hi);
		return false;
	}
	return true;
}

static int cmd_show_sessions(struct mgmt_req *req, void *arg)
{
	struct ike_io *io = arg;
	struct ike_show_sel sel = { 0 };
	bool detail = false;

	for (int i = 0; i < req->argc; i++) {
		unsigned long v;

		if (!strcmp(req->argv[i], "detail")) {
			detail = true;
		} else if (!strcmp(req->argv[i], "from")) {
			if (!show_arg(req, "session id", i + 1 < req->argc ? req->argv[++i] : NULL,
				      0, UINT32_MAX, &v))
				return 0;
			sel.from = (uint32_t)v;
		} else if (!strcmp(req->argv[i], "limit")) {
			if (!show_arg(req, "limit", i + 1 < req->argc ? req->argv[++i] : NULL, 1,
				      IKE_SHOW_LIMIT, &v))
				return 0;
			sel.limit = (unsigned)v;
		} else {
			mgmt_req_error(req, "show sessions: unknown argument '%s' (expected detail, "
				       "from ID, limit N)", req->argv[i]);
			return 0;
		}
	}
	sel.detail = detail;
	/* one SA_DUMP for the counters of all sessions; without a dataplane, none */
	if (io->dpif) {
		struct show_job *j = calloc(1, sizeof(*j));
		struct rp_msg_empty e = { { 0 } };

		if (j) {
			j->io = io;
			j->req = req;
			j->sel = sel;
			if (!dpif_send(io->dpif, RP_MSG_SA_DUMP, &e, sizeof(e), on_show_dump, j,
				       SHOW_DUMP_TIMEOUT_MS)) {
				j->next = io->shows;
				io->shows = j;
				return 0;
			}
			free(j);
		}
	}
	ike_io_show_sa(io, &sel, NULL, 0, &req->out, req->json ? &req->jw : NULL);
	mgmt_req_done(req, MGMT_OK);
	return 0;
}

/* ---- clear session ------------------------------------------------------------------------ */

/* What "clear session" deletes, and where it writes what it did. */
struct clear_sel {
	bool all;
	uint32_t id;             /**< 0: by address */
	struct ike_addr addr;    /**< peer address (port ignored) */
	unsigned found;          /**< matching sessions not already being cleared */
	struct sbuf *out;
	struct json_w *jw;
};

static bool clear_match(const struct ike_sa_info *i, void *arg)
{
	const struct clear_sel *c = arg;

	return !i->clearing &&
	       (c->all || (c->id && i->id == c->id) ||
		(!c->id && i->peer.af == c->addr.af && !memcmp(i->peer.addr, c->addr.addr, 16)));
}

static void clear_count(const struct ike_sa_info *i, void *arg)
{
	struct clear_sel *c = arg;

	if (clear_match(i, c))
		c->found++;
}

static void clear_report(const struct ike_sa_info *i, void *arg)
{
	struct clear_sel *c = arg;
	char a[64];

	addr_str(&i->peer, a, sizeof(a));
	if (c->jw) {
		json_obj_open(c->jw);
		json_kv_uint(c->jw, "id", i->id);
		json_kv_str(c->jw, "peer", a);
		json_kv_str(c->jw, "peer_id", i->peer_id);
		json_obj_close(c->jw);
	} else {
		sbuf_printf(c->out, "session %u (%s, %s) cleared: Delete sent, CHILD_SAs removed, "
			    "addresses released\n", i->id, a, i->peer_id[0] ? i->peer_id : "-");
	}
}

int ike_io_clear(struct ike_io *io, const char *what, struct sbuf *out, struct json_w *jw,
		 char *err, size_t errlen)
{
	struct clear_sel c = { .out = out, .jw = jw };
	unsigned total;
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(what, &end, 10);
	if (!strcmp(what, "all")) {
		c.all = true;
	} else if (*what >= '0' && *what <= '9' && !*end && !errno && v > 0 && v <= UINT32_MAX) {
		c.id = (uint32_t)v;
	} else if (inet_pton(AF_INET, what, c.addr.addr) == 1) {
		c.addr.af = 4;
	} else if (inet_pton(AF_INET6, what, c.addr.addr) == 1) {
		c.addr.af = 6;
	} else {
		snprintf(err, errlen, "clear session: '%.64s' is neither a session id, a peer "
			 "address nor \"all\"", what);
		return -EINVAL;
	}
	if (!c.all) {
		ike_resp_foreach(io->resp, clear_count, &c);
		if (!c.found) {
			snprintf(err, errlen, "clear session: no session %.64s", what);
			return -ENOENT;
		}
	}
	if (jw) {
		json_obj_open(jw);
		json_key(jw, "cleared");
		json_arr_open(jw);
	}
	/* one pass over the SAs, however many go ("all" at 100 000 sessions) */
	total = ike_resp_clear_matching(io->resp, "the operator (clear session)", clear_match,
					clear_report, &c);
	if (jw) {
		json_arr_close(jw);
		json_kv_uint(jw, "count", total);
		json_obj_close(jw);
	} else {
		sbuf_printf(out, "%u session%s cleared\n", total, total == 1 ? "" : "s");
	}
	return 0;
}

static int cmd_clear_session(struct mgmt_req *req, void *arg)
{
	char err[160];

	if (ike_io_clear(arg, req->argv[0], &req->out, req->json ? &req->jw : NULL, err,
			 sizeof(err)))
		mgmt_req_error(req, "%s", err);
	else
		mgmt_req_done(req, MGMT_OK);
	return 0;
}

/* "show pools [NAME]" (pool_set.h) */
static int cmd_show_pools(struct mgmt_req *req, void *arg)
{
	const struct ike_io *io = arg;
	const char *name = req->argc ? req->argv[0] : NULL;

	if (pool_set_show(io->conf.pools, name, req->json, &req->out, &req->jw)) {
		mgmt_req_error(req, "no address pool named '%s'", name);
		return 0;
	}
	mgmt_req_done(req, MGMT_OK);
	return 0;
}

/* "show ike-policies [NAME]" (ike_policy.c) */
static int cmd_show_policies(struct mgmt_req *req, void *arg)
{
	const struct ike_io *io = arg;
	const char *name = req->argc ? req->argv[0] : NULL;

	if (ike_policies_show(io->conf.proposals, io->conf.n_proposals, io->conf.policies,
			      io->conf.n_policies, name, req->json, &req->out, &req->jw)) {
		mgmt_req_error(req, "no IKEv2 policy named '%s'", name);
		return 0;
	}
	mgmt_req_done(req, MGMT_OK);
	return 0;
}

static const struct mgmt_cmd ike_cmds[] = {
	{ "show pools", "[NAME]", "address pools: range, size, addresses in use and free",
	  cmd_show_pools, 0, 1 },
	{ "show ike-policies", "[NAME]",
	  "IKEv2 policies: local addresses and the proposals IKE_SA_INIT may choose",
	  cmd_show_policies, 0, 1 },
	{ "show sessions", "[detail] [from ID] [limit N]",
	  "IKEv2 sessions: id, peer, identity, address, SPIs, state (10000 at most per answer, "
	  "in pages by session id)", cmd_show_sessions, 0, 5 },
	{ "clear session", "ID|PEER-ADDRESS|all",
	  "delete IKEv2 sessions: Delete to the peer, CHILD_SAs and addresses freed at once",
	  cmd_clear_session, 1, 1 },
};

int ike_io_register(struct ike_io *io, struct mgmt *m)
{
	return mgmt_register(m, ike_cmds, sizeof(ike_cmds) / sizeof(ike_cmds[0]), io);
}
