/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* RADIUS accounting: sessions, the bounded retry queue (acct.h). */
#include "controlplane/aaa/acct.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "common/cursor.h"
#include "common/log.h"
#include "controlplane/aaa/radius.h"
#include "controlplane/aaa/radius_client.h"

#define COMP "acct"
#define SESS_BUCKETS 4096u

struct acct_list {
	char name[32];
	bool stop_only;
	unsigned interim_s;
	unsigned n;
	struct radius_client *group[ACCT_LIST_GROUPS_MAX];
	char gname[ACCT_LIST_GROUPS_MAX][32];
};

struct sess {
	struct sess *next;          /* bucket chain */
	unsigned list;
	uint64_t start_ms;          /* monotonic */
	uint64_t interim_due_ms;    /* 0: none */
	struct acct_session s;
};

/* One Accounting-Request until it is answered. */
struct rec {
	struct rec *next, *prev;
	struct acct *a;
	unsigned list;
	uint32_t status, cause, session_time, event_time;
	uint64_t event_ms;          /* monotonic, for Acct-Delay-Time */
	struct acct_session s;
	struct acct_counters c;
	unsigned method;            /* group of the list being asked */
	unsigned rounds;            /* times every group failed */
	uint64_t due_ms;            /* not before (monotonic) */
	bool in_flight;
	struct radius_xact *x;
};

struct acct {
	struct event_base *base;
	struct acct_cfg cfg;
	struct acct_list lists[ACCT_LISTS_MAX];
	unsigned n_lists;
	struct sess *buckets[SESS_BUCKETS];
	struct rec *head, *tail;    /* FIFO */
	struct event *kick;         /* sends what is due */
	struct event *tick;         /* interim updates, every second */
	void (*want)(void *arg, uint32_t id);
	void *want_arg;
	struct acct_stats st;
	bool failing;               /* logged that nothing answers (until an answer) */
};

static const struct {
	uint32_t n;
	const char *s;
} causes[] = {
#define X(n, id, s) { n, s },
	ACCT_CAUSES(X)
#undef X
};

const char *acct_cause_name(uint32_t cause)
{
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
		if (causes[i].n == cause)
			return causes[i].s;
	return "other";
}

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t mono(const struct acct *a)
{
	return a->cfg.mono_ms ? a->cfg.mono_ms(a->cfg.clock_arg) : clock_ms(CLOCK_MONOTONIC);
}

/* When records are due: always the real clock (the configurable ones feed attributes). */
static uint64_t sched_now(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

static uint64_t wall(const struct acct *a)
{
	return a->cfg.wall_ms ? a->cfg.wall_ms(a->cfg.clock_arg) : clock_ms(CLOCK_REALTIME);
}

void acct_session_id_fmt(uint32_t boot_id, uint32_t id, char *out, size_t cap)
{
	snprintf(out, cap, "%08X-%08X", boot_id, id);
}

void acct_session_id(const struct acct *a, uint32_t id, char *out, size_t cap)
{
	acct_session_id_fmt(a->cfg.boot_id, id, out, cap);
}

uint32_t acct_boot_id(const struct acct *a)
{
	return a->cfg.boot_id;
}

/* ---- sessions ------------------------------------------------------------------------------ */

static struct sess **sess_slot(struct acct *a, uint32_t id)
{
	struct sess **pp = &a->buckets[(id * 2654435761u) % SESS_BUCKETS];

	while (*pp && (*pp)->s.id != id)
		pp = &(*pp)->next;
	return pp;
}

bool acct_known(const struct acct *a, uint32_t id)
{
	return *sess_slot((struct acct *)a, id) != NULL;
}

static int list_index(const struct acct *a, const char *name)
{
	if (!a->n_lists)
		return -ENOENT;
	if (!name || !name[0])
		return 0;
	for (unsigned i = 0; i < a->n_lists; i++)
		if (!strcmp(a->lists[i].name, name))
			return (int)i;
	return -ENOENT;
}

bool acct_has_list(const struct acct *a, const char *name)
{
	return list_index(a, name) >= 0;
}

/* ---- the queue ----------------------------------------------------------------------------- */

static void rec_unlink(struct acct *a, struct rec *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		a->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		a->tail = r->prev;
	a->st.waiting--;
}

static void rec_free(struct rec *r)
{
	free(r);
}

static void schedule(struct acct *a, uint64_t delay_ms)
{
	struct timeval tv = { .tv_sec = (time_t)(delay_ms / 1000),
			      .tv_usec = (suseconds_t)(delay_ms % 1000) * 1000 };

	if (evtimer_pending(a->kick, NULL)) {
		/* keep the earlier of the two */
		struct timeval cur, now;

		evtimer_pending(a->kick, &cur);
		event_base_gettimeofday_cached(a->base, &now);
		timeradd(&now, &tv, &now);
		if (timercmp(&cur, &now, <=))
			return;
	}
	evtimer_add(a->kick, &tv);
}

/* The request for @p r as of now: attributes in the order FreeRADIUS's detail file shows. */
static struct radius_req *build(struct acct *a, const struct rec *r)
{
	struct radius_req *q = radius_req_new(RADIUS_ACCOUNTING_REQUEST);
	const struct acct_session *s = &r->s;
	uint64_t now = mono(a);
	uint32_t delay = now > r->event_ms ? (uint32_t)((now - r->event_ms) / 1000) : 0;
	char sid[20];
	int rc = 0;

	if (!q)
		return NULL;
	acct_session_id(a, s->id, sid, sizeof(sid));
	rc |= radius_req_add_u32(q, RADIUS_A_ACCT_STATUS_TYPE, r->status);
	rc |= radius_req_add_str(q, RADIUS_A_ACCT_SESSION_ID, sid);
	if (s->user[0])
		rc |= radius_req_add_str(q, RADIUS_A_USER_NAME, s->user);
	rc |= radius_req_add_u32(q, RADIUS_A_SERVICE_TYPE, 2);      /* Framed */
	rc |= radius_req_add_u32(q, RADIUS_A_NAS_PORT_TYPE, 5);     /* Virtual */
	rc |= radius_req_add_u32(q, RADIUS_A_ACCT_AUTHENTIC, 1);    /* RADIUS */
	if (s->has_framed4)
		rc |= radius_req_add(q, RADIUS_A_FRAMED_IP_ADDRESS, s->framed4, 4);
	if (s->has_framed6)
		rc |= radius_req_add(q, RADIUS_A_FRAMED_IPV6_ADDRESS, s->framed6, 16);
	if (s->calling[0])
		rc |= radius_req_add_str(q, RADIUS_A_CALLING_STATION_ID, s->calling);
	if (s->nas_af == 4)
		rc |= radius_req_add(q, RADIUS_A_NAS_IP_ADDRESS, s->nas_addr, 4);
	else if (s->nas_af == 6)
		rc |= radius_req_add(q, RADIUS_A_NAS_IPV6_ADDRESS, s->nas_addr, 16);
	if (r->status != ACCT_START) {
		const struct acct_counters *c = &r->c;
		uint8_t v[4];

		rc |= radius_req_add_u32(q, RADIUS_A_ACCT_SESSION_TIME, r->session_time);
		/* RFC 2869 §5.1/5.2: the octets beyond 2^32 go into the Gigawords */
		rp_put_be32(v, (uint32_t)c->in_octets);
		rc |= radius_req_add(q, RADIUS_A_ACCT_INPUT_OCTETS, v, 4);
		rp_put_be32(v, (uint32_t)(c->in_octets >> 32));
		rc |= radius_req_add(q, RADIUS_A_ACCT_INPUT_GIGAWORDS, v, 4);
		rp_put_be32(v, (uint32_t)c->out_octets);
		rc |= radius_req_add(q, RADIUS_A_ACCT_OUTPUT_OCTETS, v, 4);
		rp_put_be32(v, (uint32_t)(c->out_octets >> 32));
		rc |= radius_req_add(q, RADIUS_A_ACCT_OUTPUT_GIGAWORDS, v, 4);
		rc |= radius_req_add_u32(q, RADIUS_A_ACCT_INPUT_PACKETS,
					 c->in_packets > UINT32_MAX ? UINT32_MAX :
					 (uint32_t)c->in_packets);
		rc |= radius_req_add_u32(q, RADIUS_A_ACCT_OUTPUT_PACKETS,
					 c->out_packets > UINT32_MAX ? UINT32_MAX :
					 (uint32_t)c->out_packets);
	}
	if (r->status == ACCT_STOP)
		rc |= radius_req_add_u32(q, RADIUS_A_ACCT_TERMINATE_CAUSE, r->cause);
	rc |= radius_req_add_u32(q, RADIUS_A_EVENT_TIMESTAMP, r->event_time);
	rc |= radius_req_add_u32(q, RADIUS_A_ACCT_DELAY_TIME, delay);
	if (rc) {
		radius_req_free(q);
		return NULL;
	}
	return q;
}

static const char *status_name(uint32_t st)
{
	return st == ACCT_START ? "Start" : st == ACCT_STOP ? "Stop" : "Interim-Update";
}

static void send_due(struct acct *a);

static void on_answer(int err, const struct radius_result *res, void *arg)
{
	struct rec *r = arg;
	struct acct *a = r->a;
	const struct acct_list *l = &a->lists[r->list];

	r->in_flight = false;
	r->x = NULL;
	a->st.in_flight--;
	if (!err && res->pkt->code == RADIUS_ACCOUNTING_RESPONSE) {
		RP_DEBUG(COMP, "%s of session %u acknowledged by group %s (server %u)",
			 status_name(r->status), r->s.id, l->gname[r->method], res->server);
		if (a->failing)
			RP_NOTICE(COMP, "accounting: group %s answers again", l->gname[r->method]);
		a->failing = false;
		a->st.answered++;
		rec_unlink(a, r);
		rec_free(r);
		send_due(a);
		return;
	}
	a->st.group_failures++;
	if (err == -ECANCELED)
		return; /* the client goes away: acct_free() follows */
	if (++r->method < l->n) {
		RP_INFO(COMP, "%s of session %u: group %s did not answer (%s), trying group %s",
			status_name(r->status), r->s.id, l->gname[r->method - 1],
			err ? strerror(-err) : "unexpected answer", l->gname[r->method]);
		r->due_ms = 0;
	} else {
		uint64_t wait = a->cfg.retry_min_ms;

		for (unsigned i = 0; i < r->rounds && wait < a->cfg.retry_max_ms; i++)
			wait *= 2;
		if (wait > a->cfg.retry_max_ms)
			wait = a->cfg.retry_max_ms;
		r->rounds++;
		r->method = 0;
		r->due_ms = sched_now() + wait;
		a->st.retries++;
		if (!a->failing)
			RP_WARN(COMP, "accounting list %s: no group answered the %s of session %u "
				"(%s); kept in the queue (%u records), sent again in %llu ms",
				l->name, status_name(r->status), r->s.id,
				err ? strerror(-err) : "unexpected answer", a->st.waiting,
				(unsigned long long)wait);
		a->failing = true;
	}
	send_due(a);
}

static void send_due(struct acct *a)
{
	uint64_t now = sched_now(), next = UINT64_MAX;
	unsigned max_if = a->cfg.max_inflight;

	for (struct rec *r = a->head; r && a->st.in_flight < max_if; r = r->next) {
		struct radius_req *q;
		int rc;

		if (r->in_flight)
			continue;
		if (r->due_ms > now) {
			if (r->due_ms < next)
				next = r->due_ms;
			continue;
		}
		q = build(a, r);
		if (!q)
			rc = -ENOMEM;
		else
			rc = radius_send(a->lists[r->list].group[r->method], q, on_answer, r, &r->x);
		if (rc) {
			/* e.g. no server of the group does accounting: a failure of that group */
			RP_LOG_RL(RP_LOG_WARN, COMP, "%s of session %u to group %s: %s",
				  status_name(r->status), r->s.id,
				  a->lists[r->list].gname[r->method], strerror(-rc));
			r->due_ms = now + a->cfg.retry_min_ms;
			if (r->due_ms < next)
				next = r->due_ms;
			continue;
		}
		r->in_flight = true;
		a->st.in_flight++;
		a->st.sent++;
	}
	if (next != UINT64_MAX)
		schedule(a, next - now);
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	send_due(arg);
}

/* Room for one more record: drop the oldest Interim-Update if full (a later one, or the
 * Stop, carries its counters anyway). */
static bool make_room(struct acct *a, const struct rec *nr)
{
	if (a->st.waiting < a->cfg.queue_max)
		return true;
	for (struct rec *r = a->head; r; r = r->next)
		if (r->status == ACCT_INTERIM) {
			if (r->in_flight) {
				radius_cancel(r->x);
				a->st.in_flight--;
			}
			a->st.overflow++;
			RP_LOG_RL(RP_LOG_WARN, COMP, "accounting queue full (%u records): the oldest "
				  "Interim-Update (session %u) dropped for the %s of session %u",
				  a->cfg.queue_max, r->s.id, status_name(nr->status), nr->s.id);
			rec_unlink(a, r);
			rec_free(r);
			return true;
		}
	a->st.overflow++;
	RP_LOG_RL(RP_LOG_ERR, COMP, "accounting queue full (%u records, no Interim-Update to "
		  "drop): the %s of session %u is lost", a->cfg.queue_max, status_name(nr->status),
		  nr->s.id);
	return false;
}

static int enqueue(struct acct *a, const struct sess *s, uint32_t status, uint32_t cause,
		   const struct acct_counters *c)
{
	struct rec *r = calloc(1, sizeof(*r));
	uint64_t now = mono(a);

	if (!r)
		return -ENOMEM;
	r->a = a;
	r->list = s->list;
	r->status = status;
	r->cause = cause;
	r->s = s->s;
	if (c)
		r->c = *c;
	r->event_ms = now;
	r->event_time = (uint32_t)(wall(a) / 1000);
	r->session_time = (uint32_t)((now - s->start_ms) / 1000);
	if (!make_room(a, r)) {
		free(r);
		return -ENOBUFS;
	}
	r->prev = a->tail;
	if (a->tail)
		a->tail->next = r;
	else
		a->head = r;
	a->tail = r;
	a->st.waiting++;
	a->st.queued++;
	send_due(a);
	return 0;
}

/* ---- interim updates ----------------------------------------------------------------------- */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct acct *a = arg;
	uint64_t now = mono(a);

	(void)fd;
	(void)what;
	if (!a->want)
		return;
	for (unsigned b = 0; b < SESS_BUCKETS; b++)
		for (struct sess *s = a->buckets[b], *n; s; s = n) {
			n = s->next; /* want() may stop the session */
			if (!s->interim_due_ms || now < s->interim_due_ms)
				continue;
			s->interim_due_ms = now + (uint64_t)a->lists[s->list].interim_s * 1000u;
			a->want(a->want_arg, s->s.id);
		}
}

/* ---- public -------------------------------------------------------------------------------- */

int acct_new(struct event_base *base, const struct acct_cfg *cfg, struct acct **out)
{
	struct acct *a = calloc(1, sizeof(*a));
	struct timeval sec = { 1, 0 };

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->base = base;
	a->cfg = *cfg;
	if (!a->cfg.queue_max)
		a->cfg.queue_max = ACCT_QUEUE_DEFAULT;
	if (a->cfg.queue_max > ACCT_QUEUE_MAX)
		a->cfg.queue_max = ACCT_QUEUE_MAX;
	if (!a->cfg.max_inflight)
		a->cfg.max_inflight = 64;
	if (!a->cfg.retry_min_ms)
		a->cfg.retry_min_ms = 1000;
	if (!a->cfg.retry_max_ms)
		a->cfg.retry_max_ms = 60000;
	if (a->cfg.retry_max_ms < a->cfg.retry_min_ms)
		a->cfg.retry_max_ms = a->cfg.retry_min_ms;
	if (!a->cfg.boot_id)
		a->cfg.boot_id = (uint32_t)(wall(a) / 1000);
	a->kick = evtimer_new(base, on_kick, a);
	a->tick = event_new(base, -1, EV_PERSIST, on_tick, a);
	if (!a->kick || !a->tick || event_add(a->tick, &sec)) {
		acct_free(a);
		return -ENOMEM;
	}
	*out = a;
	return 0;
}

void acct_free(struct acct *a)
{
	unsigned lost = 0;

	if (!a)
		return;
	while (a->head) {
		struct rec *r = a->head;

		if (r->x)
			radius_cancel(r->x);
		lost += r->status != ACCT_INTERIM;
		rec_unlink(a, r);
		rec_free(r);
	}
	if (lost)
		RP_WARN(COMP, "accounting stops with %u Start/Stop record%s not acknowledged", lost,
			lost == 1 ? "" : "s");
	for (unsigned b = 0; b < SESS_BUCKETS; b++)
		while (a->buckets[b]) {
			struct sess *s = a->buckets[b];

			a->buckets[b] = s->next;
			free(s);
		}
	if (a->kick)
		event_free(a->kick);
	if (a->tick)
		event_free(a->tick);
	free(a);
}

int acct_add_list(struct acct *a, const char *name, bool stop_only, unsigned interim_s,
		  struct radius_client *const *groups, const char *const *names, unsigned n)
{
	struct acct_list *l;

	if (!name || !name[0] || strlen(name) >= sizeof(l->name) || !n ||
	    n > ACCT_LIST_GROUPS_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < a->n_lists; i++)
		if (!strcmp(a->lists[i].name, name))
			return -EEXIST;
	if (a->n_lists == ACCT_LISTS_MAX)
		return -ENOSPC;
	l = &a->lists[a->n_lists];
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->stop_only = stop_only;
	l->interim_s = stop_only ? 0 : interim_s;
	l->n = n;
	for (unsigned i = 0; i < n; i++) {
		if (!groups[i])
			return -EINVAL;
		l->group[i] = groups[i];
		snprintf(l->gname[i], sizeof(l->gname[i]), "%s", names && names[i] ? names[i] : "?");
	}
	a->n_lists++;
	return 0;
}

void acct_set_counter_source(struct acct *a, void (*want)(void *arg, uint32_t id), void *arg)
{
	a->want = want;
	a->want_arg = arg;
}

int acct_start(struct acct *a, const char *list, const struct acct_session *s)
{
	int li = list_index(a, list);
	struct sess **pp, *ns;
	char sid[20];

	if (li < 0)
		return li;
	if (!s->id)
		return -EINVAL;
	pp = sess_slot(a, s->id);
	if (*pp)
		return -EEXIST;
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	ns->list = (unsigned)li;
	ns->start_ms = mono(a);
	ns->s = *s;
	ns->s.user[ACCT_USER_MAX] = 0;
	ns->s.calling[sizeof(ns->s.calling) - 1] = 0;
	if (a->lists[li].interim_s)
		ns->interim_due_ms = ns->start_ms + (uint64_t)a->lists[li].interim_s * 1000u;
	*pp = ns;
	a->st.sessions++;
	acct_session_id(a, s->id, sid, sizeof(sid));
	RP_INFO(COMP, "session %u (%s) of '%s': accounting list %s, Acct-Session-Id %s%s", s->id,
		s->calling, s->user, a->lists[li].name, sid,
		a->lists[li].stop_only ? ", stop-only" : "");
	if (!a->lists[li].stop_only)
		enqueue(a, ns, ACCT_START, 0, NULL);
	return 0;
}

int acct_interim(struct acct *a, uint32_t id, const struct acct_counters *c)
{
	struct sess *s = *sess_slot(a, id);

	if (!s)
		return -ENOENT;
	if (a->lists[s->list].stop_only)
		return 0;
	return enqueue(a, s, ACCT_INTERIM, 0, c);
}

int acct_stop(struct acct *a, uint32_t id, uint32_t cause, const struct acct_counters *c)
{
	struct sess **pp = sess_slot(a, id), *s = *pp;
	int rc;

	if (!s)
		return -ENOENT;
	*pp = s->next;
	a->st.sessions--;
	RP_INFO(COMP, "session %u of '%s' ended (%s): in %llu octets / %llu packets, out %llu "
		"octets / %llu packets; Stop queued", id, s->s.user, acct_cause_name(cause),
		(unsigned long long)c->in_octets, (unsigned long long)c->in_packets,
		(unsigned long long)c->out_octets, (unsigned long long)c->out_packets);
	rc = enqueue(a, s, ACCT_STOP, cause, c);
	free(s);
	return rc;
}

void acct_get_stats(const struct acct *a, struct acct_stats *st)
{
	*st = a->st;
}
