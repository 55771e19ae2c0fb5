/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The dataplane interface: requests, answers, flow control, liveness, resync (see dpif.h). */
#include "controlplane/dpif/dpif.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>

#include "common/log.h"

#define COMP "dpif"
/* Event types are below this (common/msg.h): the handler table covers them all. */
#define EVT_TYPES 128
/* Replay steps per tick: keep the loop responsive during a large resync. */
#define REPLAY_STEPS_PER_TICK 16
/* Internal commands (resync markers) get this long to be answered. */
#define INTERNAL_TIMEOUT_MS 5000

TAILQ_HEAD(req_list, dpif_req);

struct dpif_req {
	TAILQ_ENTRY(dpif_req) link;  /* in exactly one of the dpif's lists */
	LIST_ENTRY(dpif_req) hlink;  /* in the seq hash while outstanding */
	struct req_list *list;       /* the list it is in */
	struct dpif *d;
	bool hashed;
	bool resync;                 /* part of a resynchronisation */
	uint16_t type, len, flags;
	uint64_t seq;
	uint32_t dp_epoch;           /* dataplane it was sent to */
	dpif_cb cb;
	void *arg;
	struct event *timer;
	uint64_t t_submit;
	struct rp_msg *replies;
	unsigned n_replies, cap_replies;
	uint8_t payload[RP_MSG_PAYLOAD_MAX];
};

LIST_HEAD(req_bucket, dpif_req);

struct dpif {
	struct event_base *base;
	struct rp_chan *ch;
	struct dpif_opts o;
	struct event *tick;
	bool tick_busy;
	bool closing;

	struct req_list q_resync;  /* resync commands, sent first */
	struct req_list q_normal;  /* everything else, held while a resync runs */
	struct req_list pending;   /* on the ring, awaiting answers, in seq order */
	struct req_list limbo;     /* being failed (callbacks running) */
	struct req_bucket *buckets;
	unsigned mask;
	unsigned n_pending, n_queued, n_q_resync;

	/* the dataplane as last seen */
	bool dp_known, dp_attached, waiting_logged;
	uint32_t dp_epoch, dp_pid;

	/* an event read ahead: the first one of an epoch we have not switched to yet */
	struct rp_msg held;
	bool have_held;

	/* resynchronisation */
	bool resync_active;
	enum dpif_resync_reason resync_reason;
	unsigned resync_step;
	unsigned resync_cmds;
	uint64_t resync_t0;
	bool in_replay;
	dpif_replay_fn replay;
	void *replay_arg;

	struct {
		dpif_event_fn fn;
		void *arg;
	} handlers[EVT_TYPES];
	struct dpif_stats st;
};

uint64_t dpif_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool epoch_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* ---- request bookkeeping ---------------------------------------------------------------- */

static struct req_bucket *bucket(struct dpif *d, uint64_t seq)
{
	return &d->buckets[seq & d->mask];
}

static struct dpif_req *find(struct dpif *d, uint64_t seq)
{
	struct dpif_req *r;

	LIST_FOREACH(r, bucket(d, seq), hlink)
		if (r->seq == seq)
			return r;
	return NULL;
}

static void list_put(struct dpif *d, struct dpif_req *r, struct req_list *l)
{
	r->list = l;
	TAILQ_INSERT_TAIL(l, r, link);
	if (l == &d->q_resync || l == &d->q_normal)
		d->n_queued++;
	if (l == &d->q_resync)
		d->n_q_resync++;
	if (l == &d->pending)
		d->n_pending++;
}

/* Take @r out of its list and of the hash. */
static void detach(struct dpif *d, struct dpif_req *r)
{
	struct req_list *l = r->list;

	if (l) {
		TAILQ_REMOVE(l, r, link);
		if (l == &d->q_resync || l == &d->q_normal)
			d->n_queued--;
		if (l == &d->q_resync)
			d->n_q_resync--;
		if (l == &d->pending)
			d->n_pending--;
		r->list = NULL;
	}
	if (r->hashed) {
		LIST_REMOVE(r, hlink);
		r->hashed = false;
	}
}

static void req_free(struct dpif_req *r)
{
	if (r->timer)
		event_free(r->timer);
	free(r->replies);
	/* Commands carry keys (SA_ADD). */
	explicit_bzero(r, sizeof(*r));
	free(r);
}

/* Finish a request: call back (if anyone listens) and free it. */
static void complete(struct dpif *d, struct dpif_req *r, int status)
{
	struct dpif_reply rep = {
		.seq = r->seq,
		.type = r->type,
		.n = r->n_replies,
		.msgs = r->replies,
		.rtt_ns = dpif_now_ns() - r->t_submit,
	};

	detach(d, r);
	if (r->timer)
		event_del(r->timer);
	if (r->cb)
		r->cb(status, &rep, r->arg);
	else if (status < 0 && status != -ESHUTDOWN)
		RP_WARN(COMP, "%s (seq %" PRIu64 "): %s", rp_msg_type_name(r->type), r->seq,
			strerror(-status));
	req_free(r);
}

/* Fail everything outstanding or queued with @status. */
static unsigned fail_all(struct dpif *d, int status)
{
	struct dpif_req *r;
	unsigned n = 0;
	struct req_list *lists[] = { &d->pending, &d->q_resync, &d->q_normal };

	/*
	 * Move everything to limbo first: callbacks may submit new requests, which must not be
	 * failed by this loop, and may cancel others, which dpif_cancel() finds in limbo.
	 */
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		while ((r = TAILQ_FIRST(lists[i]))) {
			detach(d, r);
			list_put(d, r, &d->limbo);
		}
	}
	while ((r = TAILQ_FIRST(&d->limbo))) {
		complete(d, r, status);
		n++;
	}
	return n;
}

/* Publish queued commands while the ring and the pending bound allow, oldest first. */
static void flush(struct dpif *d)
{
	struct dpif_req *r;

	while (d->n_pending < d->o.max_pending) {
		r = TAILQ_FIRST(&d->q_resync);
		/* Ordinary commands wait until the resync is queued completely. */
		if (!r && !d->resync_active)
			r = TAILQ_FIRST(&d->q_normal);
		if (!r)
			break;

		struct rp_msg_hdr h = { .flags = r->flags };
		uint64_t seq;
		int rc = rp_chan_send(d->ch, r->type, r->payload, r->len, &h, &seq);

		if (rc == -EAGAIN)
			break;
		if (rc < 0) {
			/* Checked in dpif_send(): a disagreement with the channel is a bug. */
			RP_ERR(COMP, "bug: channel refused %s: %s", rp_msg_type_name(r->type),
			       strerror(-rc));
			complete(d, r, rc);
			continue;
		}
		explicit_bzero(r->payload, r->len);
		detach(d, r);
		r->seq = seq;
		r->dp_epoch = d->dp_epoch;
		list_put(d, r, &d->pending);
		LIST_INSERT_HEAD(bucket(d, seq), r, hlink);
		r->hashed = true;
		d->st.sent++;
		RP_DEBUG(COMP, "sent %s seq %" PRIu64 "%s", rp_msg_type_name(r->type), seq,
			 r->resync ? " (resync)" : "");
	}
}

static void on_req_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct dpif_req *r = arg;
	struct dpif *d = r->d;

	(void)fd;
	(void)what;
	d->st.timeouts++;
	RP_DEBUG(COMP, "%s seq %" PRIu64 " timed out (%s)", rp_msg_type_name(r->type), r->seq,
		 r->list == &d->pending ? "no answer" : "still queued");
	complete(d, r, -ETIMEDOUT);
}

static void arm_tick(struct dpif *d);

static int submit(struct dpif *d, uint16_t type, const void *payload, size_t len, dpif_cb cb,
		  void *arg, unsigned timeout_ms, bool resync)
{
	int plen = rp_msg_payload_len(type);
	struct dpif_req *r;
	struct timeval tv;

	if (d->closing)
		return -ESHUTDOWN;
	if (plen < 0 || !rp_msg_is_command(type) || (size_t)plen != len || (len && !payload)) {
		RP_ERR(COMP, "bug: %s (type %u) with %zu bytes is not a valid command",
		       rp_msg_type_name(type), type, len);
		return -EINVAL;
	}
	if (!d->dp_attached)
		return -ENOTCONN;
	if (d->n_queued >= d->o.max_queued) {
		RP_LOG_RL(RP_LOG_WARN, COMP, "command queue full (%u waiting): %s refused",
			  d->n_queued, rp_msg_type_name(type));
		return -ENOBUFS;
	}

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->d = d;
	r->type = type;
	r->len = len;
	r->flags = resync ? RP_MSGF_RESYNC : 0;
	r->resync = resync;
	r->cb = cb;
	r->arg = arg;
	r->t_submit = dpif_now_ns();
	if (len)
		memcpy(r->payload, payload, len);

	/* Catch a malformed command here, where the bug is, rather than in the dataplane. */
	struct rp_msg m;
	char why[128] = "";
	int rc;

	memset(&m, 0, sizeof(m));
	m.hdr.version = RP_MSG_VERSION;
	m.hdr.type = type;
	m.hdr.len = len;
	memcpy(m.u.raw, r->payload, len);
	rc = rp_msg_validate(&m, true, why, sizeof(why));
	explicit_bzero(&m, sizeof(m));
	if (rc) {
		RP_ERR(COMP, "bug: refusing to send a malformed %s: %s", rp_msg_type_name(type),
		       why);
		req_free(r);
		return -EINVAL;
	}

	r->timer = evtimer_new(d->base, on_req_timeout, r);
	if (!r->timer) {
		req_free(r);
		return -ENOMEM;
	}
	if (!timeout_ms)
		timeout_ms = DPIF_TIMEOUT_MS;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(r->timer, &tv);

	list_put(d, r, resync ? &d->q_resync : &d->q_normal);
	if (resync)
		d->resync_cmds++;
	flush(d);
	if (!d->tick_busy)
		arm_tick(d);
	return 0;
}

int dpif_send(struct dpif *d, uint16_t type, const void *payload, size_t len, dpif_cb cb,
	      void *arg, unsigned timeout_ms)
{
	return submit(d, type, payload, len, cb, arg, timeout_ms, d->in_replay);
}

unsigned dpif_cancel(struct dpif *d, void *arg)
{
	struct req_list *lists[] = { &d->pending, &d->q_resync, &d->q_normal, &d->limbo };
	unsigned n = 0;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		struct dpif_req *r = TAILQ_FIRST(lists[i]), *next;

		for (; r; r = next) {
			next = TAILQ_NEXT(r, link);
			if (r->arg != arg || !r->cb)
				continue;
			detach(d, r);
			req_free(r);
			n++;
		}
	}
	return n;
}

/* ---- resynchronisation ------------------------------------------------------------------ */

static void resync_begin_done(int status, const struct dpif_reply *rep, void *arg)
{
	(void)arg;
	if (status)
		RP_ERR(COMP, "rampart-dp refused RESYNC_BEGIN (seq %" PRIu64 "): %s%s%s", rep->seq,
		       strerror(-status), rep->n && rep->msgs[0].hdr.type == RP_MSG_ACK ? ": " : "",
		       rep->n && rep->msgs[0].hdr.type == RP_MSG_ACK ? rep->msgs[0].u.ack.reason : "");
}

static void resync_end_done(int status, const struct dpif_reply *rep, void *arg)
{
	struct dpif *d = arg;

	if (status) {
		RP_ERR(COMP, "resynchronisation of rampart-dp not confirmed (RESYNC_END seq %"
		       PRIu64 "): %s", rep->seq, strerror(-status));
		return;
	}
	RP_NOTICE(COMP, "rampart-dp resynchronised (epoch %u): %u commands in %" PRIu64 " ms",
		  d->dp_epoch, d->resync_cmds, (dpif_now_ns() - d->resync_t0) / 1000000);
}

static void resync_start(struct dpif *d, enum dpif_resync_reason why)
{
	struct rp_msg_empty e = { { 0 } };
	int rc;

	d->resync_active = true;
	d->resync_reason = why;
	d->resync_step = 0;
	d->resync_cmds = 0;
	d->resync_t0 = dpif_now_ns();
	d->st.resyncs++;
	rc = submit(d, RP_MSG_RESYNC_BEGIN, &e, sizeof(e), resync_begin_done, d,
		    INTERNAL_TIMEOUT_MS, true);
	if (rc)
		RP_ERR(COMP, "cannot start resynchronisation: %s", strerror(-rc));
}

/* Run replay steps while there is room; queue RESYNC_END when the hook is done. */
static void resync_pump(struct dpif *d)
{
	struct rp_msg_empty e = { { 0 } };
	int rc = 0, steps = 0;

	if (!d->resync_active)
		return;
	while (d->replay && steps < REPLAY_STEPS_PER_TICK) {
		/* Keep the resync backlog short and leave room for a whole batch. */
		if (d->n_q_resync >= DPIF_REPLAY_BATCH ||
		    (d->n_queued && d->n_queued + DPIF_REPLAY_BATCH > d->o.max_queued))
			return;
		uint32_t epoch = d->dp_epoch;

		d->in_replay = true;
		rc = d->replay(d, d->resync_reason, d->resync_step++, d->replay_arg);
		d->in_replay = false;
		steps++;
		if (!d->resync_active || d->dp_epoch != epoch)
			return; /* the dataplane went away meanwhile */
		if (rc <= 0)
			break;
	}
	if (rc > 0)
		return; /* more next tick */
	if (rc < 0)
		RP_ERR(COMP, "replay into rampart-dp failed at step %u: %s; ending the "
		       "resynchronisation with what was sent", d->resync_step, strerror(-rc));
	rc = submit(d, RP_MSG_RESYNC_END, &e, sizeof(e), resync_end_done, d,
		    INTERNAL_TIMEOUT_MS, true);
	if (rc)
		RP_ERR(COMP, "cannot end resynchronisation: %s", strerror(-rc));
	/* END is queued: ordinary commands may follow it now. */
	d->resync_active = false;
	flush(d);
}

/* ---- dataplane liveness ----------------------------------------------------------------- */

static void track_peer(struct dpif *d, const struct rp_chan_side_info *p)
{
	unsigned n;

	if (!p->attached) {
		if (d->dp_attached) {
			d->dp_attached = false;
			d->resync_active = false;
			n = fail_all(d, -ECONNRESET);
			d->st.resets += n;
			RP_WARN(COMP, "rampart-dp detached (pid %u, epoch %u); %u request%s failed",
				d->dp_pid, d->dp_epoch, n, n == 1 ? "" : "s");
			d->waiting_logged = true;
		} else if (!d->waiting_logged) {
			RP_NOTICE(COMP, "rampart-dp is not attached to %s; waiting for it",
				  rp_chan_path(d->ch));
			d->waiting_logged = true;
		}
		return;
	}
	if (d->dp_attached && p->epoch == d->dp_epoch)
		return;

	enum dpif_resync_reason why = d->dp_known ? DPIF_RESYNC_RESTART : DPIF_RESYNC_FIRST;

	if (why == DPIF_RESYNC_FIRST)
		RP_NOTICE(COMP, "rampart-dp attached (pid %u, epoch %u, message version %u); "
			  "resynchronising it", p->pid, p->epoch, p->version);
	else
		RP_NOTICE(COMP, "rampart-dp restarted (epoch %u -> %u, pid %u -> %u); "
			  "resynchronising it", d->dp_epoch, p->epoch, d->dp_pid, p->pid);
	d->dp_known = true;
	d->dp_attached = true;
	d->dp_epoch = p->epoch;
	d->dp_pid = p->pid;
	d->waiting_logged = false;
	/* Callbacks of the failed requests may submit new ones: hold those behind the resync. */
	d->resync_active = true;
	n = fail_all(d, -ECONNRESET);
	d->st.resets += n;
	if (n)
		RP_WARN(COMP, "%u request%s to the previous rampart-dp failed", n,
			n == 1 ? "" : "s");
	resync_start(d, why);
}

/* ---- events ----------------------------------------------------------------------------- */

/* May answer @cmd with an event of type @evt? */
static bool answer_fits(uint16_t cmd, uint16_t evt)
{
	if (evt == RP_MSG_ACK || evt == RP_MSG_ERROR)
		return true;
	switch (cmd) {
	case RP_MSG_PING:
		return evt == RP_MSG_PONG;
	case RP_MSG_PORT_DUMP:
		return evt == RP_MSG_PORT_INFO || evt == RP_MSG_DUMP_END;
	case RP_MSG_SA_DUMP:
	case RP_MSG_STATS_REQ:
		return evt == RP_MSG_SA_INFO || evt == RP_MSG_DUMP_END;
	case RP_MSG_DROP_DUMP:
		return evt == RP_MSG_DROP_INFO || evt == RP_MSG_DUMP_END;
	default:
		return false;
	}
}

static void unsolicited(struct dpif *d, const struct rp_msg *m)
{
	uint16_t t = m->hdr.type;

	d->st.unsolicited++;
	if (t < EVT_TYPES && d->handlers[t].fn) {
		d->handlers[t].fn(m, d->handlers[t].arg);
		return;
	}
	switch (t) {
	case RP_MSG_ERROR:
		RP_WARN(COMP, "rampart-dp reports an error (ref %" PRIu64 "): %s: %s", m->hdr.ref,
			strerror(-m->u.error.code), m->u.error.text);
		break;
	case RP_MSG_LIFETIME:
		RP_INFO(COMP, "SA %u reached its %s lifetime (%s; %" PRIu64 " bytes, %" PRIu64
			" packets); nobody handles it yet", m->u.lifetime.sa_id,
			m->u.lifetime.hard ? "hard" : "soft",
			m->u.lifetime.by_packets ? "packets" : "bytes", m->u.lifetime.bytes,
			m->u.lifetime.packets);
		break;
	default:
		RP_DEBUG(COMP, "unsolicited %s ignored", rp_msg_type_name(t));
		break;
	}
}

static int append_reply(struct dpif *d, struct dpif_req *r, const struct rp_msg *m)
{
	if (r->n_replies == r->cap_replies) {
		unsigned cap = r->cap_replies ? 2 * r->cap_replies : 2;

		if (r->n_replies >= d->o.max_replies)
			return -E2BIG;
		if (cap > d->o.max_replies)
			cap = d->o.max_replies;
		struct rp_msg *v = realloc(r->replies, (size_t)cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->replies = v;
		r->cap_replies = cap;
	}
	r->replies[r->n_replies++] = *m;
	return 0;
}

static void dispatch(struct dpif *d, const struct rp_msg *m)
{
	uint16_t t = m->hdr.type;
	struct dpif_req *r = m->hdr.ref ? find(d, m->hdr.ref) : NULL;
	int status, rc;

	if (!r) {
		if (m->hdr.ref == 0 || t == RP_MSG_ERROR || t == RP_MSG_LIFETIME) {
			unsolicited(d, m);
		} else {
			d->st.late++;
			RP_DEBUG(COMP, "%s for seq %" PRIu64 " dropped: nobody waits for it "
				 "(timed out or cancelled)", rp_msg_type_name(t), m->hdr.ref);
		}
		return;
	}
	if (!answer_fits(r->type, t)) {
		RP_ERR(COMP, "bug: rampart-dp answered %s (seq %" PRIu64 ") with %s",
		       rp_msg_type_name(r->type), r->seq, rp_msg_type_name(t));
		complete(d, r, -EBADMSG);
		return;
	}
	rc = append_reply(d, r, m);
	if (rc) {
		RP_ERR(COMP, "%s (seq %" PRIu64 "): more than %u answers; giving up on it",
		       rp_msg_type_name(r->type), r->seq, r->n_replies);
		complete(d, r, rc);
		return;
	}
	switch (t) {
	case RP_MSG_PONG:
		status = 0;
		break;
	case RP_MSG_ACK:
		status = m->u.ack.status;
		break;
	case RP_MSG_DUMP_END:
		status = m->u.dump_end.status;
		break;
	case RP_MSG_ERROR:
		status = m->u.error.code;
		break;
	default:
		return; /* PORT_INFO, SA_INFO, DROP_INFO: the dump goes on until DUMP_END */
	}
	if (status > 0)
		status = -EPROTO; /* statuses are 0 or -errno */
	d->st.answered++;
	complete(d, r, status);
}

/*
 * Take events up to @budget. An event from another dataplane epoch than the one we track is
 * kept in d->held and stops the loop: the caller first updates what it knows of the
 * dataplane (track_peer()), so that answers of an old instance are still delivered before
 * its requests are failed, and events of a new one are not taken for the old one's.
 */
static unsigned drain(struct dpif *d, unsigned budget)
{
	unsigned n = 0;
	char why[160];

	while (n < budget) {
		if (!d->have_held) {
			why[0] = '\0';
			int rc = rp_chan_recv(d->ch, &d->held, why, sizeof(why));

			if (rc == 0)
				break;
			if (rc < 0) {
				/* The planes share one build's message layouts: this is a bug. */
				RP_ERR(COMP, "malformed event from rampart-dp (seq %" PRIu64
				       ", type %u): %s", d->held.hdr.seq, d->held.hdr.type,
				       why[0] ? why : strerror(-rc));
				abort();
			}
			d->have_held = true;
		}
		struct rp_msg *m = &d->held;

		if (d->dp_attached && m->hdr.epoch == d->dp_epoch) {
			d->have_held = false;
			dispatch(d, m);
			n++;
			continue;
		}
		if (d->dp_attached && !epoch_before(m->hdr.epoch, d->dp_epoch))
			break; /* a newer dataplane: let track_peer() switch first */
		/* From a dataplane that is gone: its requests were failed already. */
		d->have_held = false;
		d->st.late++;
		RP_DEBUG(COMP, "%s (ref %" PRIu64 ") from rampart-dp epoch %u dropped: that "
			 "instance is gone", rp_msg_type_name(m->hdr.type), m->hdr.ref,
			 m->hdr.epoch);
		n++;
	}
	return n;
}

/* ---- the poll timer --------------------------------------------------------------------- */

static bool busy(const struct dpif *d)
{
	return d->n_pending || d->n_queued || d->resync_active || d->have_held;
}

static void arm_tick(struct dpif *d)
{
	unsigned us;
	struct timeval tv;

	d->tick_busy = busy(d);
	us = d->tick_busy ? d->o.poll_busy_us : d->o.poll_idle_us;
	tv.tv_sec = us / 1000000;
	tv.tv_usec = us % 1000000;
	evtimer_add(d->tick, &tv);
}

void dpif_poll(struct dpif *d)
{
	struct rp_chan_side_info p;
	unsigned n;

	if (d->closing)
		return;
	rp_chan_heartbeat(d->ch);
	/* Until we know which dataplane is there, we cannot tell whose events these are. */
	n = d->dp_known ? drain(d, d->o.events_per_tick) : 0;
	rp_chan_peer(d->ch, &p);
	/* The region's epoch is set before a new dataplane sends anything, so a held event
	 * from a newer epoch means p already shows it. */
	track_peer(d, &p);
	if (n < d->o.events_per_tick)
		drain(d, d->o.events_per_tick - n);
	flush(d);
	resync_pump(d);
	arm_tick(d);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dpif_poll(arg);
}

/* ---- setup ------------------------------------------------------------------------------ */

int dpif_create(struct event_base *base, struct rp_chan *ch, const struct dpif_opts *opts,
		struct dpif **out)
{
	struct dpif *d;
	unsigned nb = 64;

	if (!base || !ch || !out)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (opts)
		d->o = *opts;
	if (!d->o.max_pending)
		d->o.max_pending = DPIF_MAX_PENDING;
	if (!d->o.max_queued)
		d->o.max_queued = DPIF_MAX_QUEUED;
	if (!d->o.max_replies)
		d->o.max_replies = DPIF_MAX_REPLIES;
	if (!d->o.poll_busy_us)
		d->o.poll_busy_us = DPIF_POLL_BUSY_US;
	if (!d->o.poll_idle_us)
		d->o.poll_idle_us = DPIF_POLL_IDLE_US;
	if (!d->o.events_per_tick)
		d->o.events_per_tick = DPIF_EVENTS_PER_TICK;
	d->base = base;
	d->ch = ch;
	TAILQ_INIT(&d->q_resync);
	TAILQ_INIT(&d->q_normal);
	TAILQ_INIT(&d->pending);
	TAILQ_INIT(&d->limbo);
	/* About four outstanding requests per bucket at the bound. */
	while (nb < d->o.max_pending / 4)
		nb *= 2;
	d->buckets = calloc(nb, sizeof(*d->buckets));
	d->mask = nb - 1;
	d->tick = evtimer_new(base, on_tick, d);
	if (!d->buckets || !d->tick) {
		if (d->tick)
			event_free(d->tick);
		free(d->buckets);
		free(d);
		return -ENOMEM;
	}
	/* First poll at once: learn whether a dataplane is there. */
	struct timeval now = { 0, 0 };

	evtimer_add(d->tick, &now);
	*out = d;
	return 0;
}

void dpif_destroy(struct dpif *d)
{
	if (!d)
		return;
	d->closing = true;
	event_free(d->tick);
	fail_all(d, -ESHUTDOWN);
	free(d->buckets);
	free(d);
}

void dpif_on_event(struct dpif *d, uint16_t type, dpif_event_fn fn, void *arg)
{
	if (type >= EVT_TYPES || rp_msg_is_command(type)) {
		RP_ERR(COMP, "bug: no handler can be registered for %s (type %u)",
		       rp_msg_type_name(type), type);
		return;
	}
	d->handlers[type].fn = fn;
	d->handlers[type].arg = arg;
}

void dpif_set_replay(struct dpif *d, dpif_replay_fn fn, void *arg)
{
	d->replay = fn;
	d->replay_arg = arg;
}

void dpif_peer(const struct dpif *d, struct rp_chan_side_info *info)
{
	rp_chan_peer(d->ch, info);
}

bool dpif_resyncing(const struct dpif *d)
{
	return d->resync_active;
}

void dpif_get_stats(const struct dpif *d, struct dpif_stats *st)
{
	*st = d->st;
	st->pending = d->n_pending;
	st->queued = d->n_queued;
}
