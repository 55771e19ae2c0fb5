/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Liveness of IKE SAs: session ids, dead peer detection (RFC 7296 §1.4, §2.4), operator
 * deletes (§1.4.1), NAT mapping changes (§2.23). See ike_dpd.h. */
#include "controlplane/ike/ike_dpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "controlplane/ike/ike_priv.h"
#include "controlplane/ike/ike_req.h"

/* ike_req_cancel() tags: which of our requests a done() belongs to */
static char probe_tag, clear_tag;

/* DPD of @p sa: its profile's (ike_policy.c), else the ike section's */
static uint8_t dpd_mode(const struct ike_resp *r, const struct ike_sa *sa)
{
	return sa->pol_dpd ? sa->pol_dpd_mode : r->cfg.dpd_mode;
}

static unsigned interval_s(const struct ike_resp *r, const struct ike_sa *sa)
{
	if (sa->pol_dpd)
		return sa->pol_dpd_interval;
	return r->cfg.dpd_interval ? r->cfg.dpd_interval : IKE_DPD_DEF_INTERVAL;
}

/* How long a liveness check or an operator's Delete may stay unanswered. */
static uint64_t giveup_ms(const struct ike_resp *r, const struct ike_sa *sa)
{
	unsigned retry = sa->pol_dpd && sa->pol_dpd_retry ? sa->pol_dpd_retry :
			 r->cfg.dpd_retry ? r->cfg.dpd_retry : IKE_DPD_DEF_RETRY;
	unsigned retries = r->cfg.dpd_retries ? r->cfg.dpd_retries : IKE_DPD_DEF_RETRIES;

	return (uint64_t)retry * retries * 1000u;
}

static const char *mode_name(uint8_t mode)
{
	return mode == IKE_DPD_PERIODIC ? "periodic" : mode == IKE_DPD_ON_DEMAND ? "on-demand" :
									       "off";
}

static const char *addr_text(const struct ike_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(a->af == 6 ? AF_INET6 : AF_INET, a->addr, ip, sizeof(ip));
	snprintf(buf, len, a->af == 6 ? "[%s]:%u" : "%s:%u", ip, a->port);
	return buf;
}

/* "session 3 (IKE_SA 0123..._i 4567..._r, peer 192.0.2.2:4500)" for the logs */
static const char *sa_text(const struct ike_sa *sa, char *buf, size_t len)
{
	char a[64];

	snprintf(buf, len, "session %u (IKE_SA %016llx_i %016llx_r, peer %s)", sa->live.id,
		 (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
		 addr_text(&sa->peer, a, sizeof(a)));
	return buf;
}

uint32_t ike_resp_new_session_id(struct ike_resp *r)
{
	/* 2^32 sessions before a wrap; only after one can an id still be in use (the search
	 * walks every SA, so it is not paid for each new session before that) */
	for (;;) {
		if (++r->next_session_id == 0) {
			r->next_session_id = 1;
			r->session_ids_wrapped = true;
		}
		if (!r->session_ids_wrapped || !ike_resp_find_id(r, r->next_session_id))
			return r->next_session_id;
	}
}

struct ike_sa *ike_resp_find_id(struct ike_resp *r, uint32_t id)
{
	for (struct ike_sa *sa = r->sas; sa; sa = sa->next)
		if (sa->live.id == id)
			return sa;
	return NULL;
}

void ike_dpd_sa_new(struct ike_resp *r, struct ike_sa *sa)
{
	memset(&sa->live, 0, sizeof(sa->live));
	sa->live.id = ike_resp_new_session_id(r);
	sa->live.heard_ms = r->now_ms;
	/* its CHILD_SAs start from zero: the first query of their counters already tells */
	sa->live.sampled = true;
	sa->live.sample_ms = r->now_ms;
}

bool ike_resp_wants_counters(const struct ike_resp *r)
{
	return r->cfg.dpd_mode == IKE_DPD_ON_DEMAND || r->pol_dpd_on_demand;
}

/* ---- half-open SAs per source address ------------------------------------------------------ */

#define HO_BUCKETS 1024u

struct ho_src {
	struct ho_src *next;
	uint8_t af, addr[16];
	unsigned n;
};

struct ike_ho_tab {
	uint64_t key;            /**< random: where an address lands is not the sender's choice */
	unsigned entries;
	struct ho_src *b[HO_BUCKETS];
};

static unsigned ho_hash(const struct ike_ho_tab *t, uint8_t af, const uint8_t *addr)
{
	uint64_t h = t->key ^ af;

	for (unsigned i = 0; i < 16; i++) {
		h ^= addr[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33; /* fmix64 */
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (unsigned)(h % HO_BUCKETS);
}

/* What is counted as one source: an IPv4 address, an IPv6 /64 (one host's share). */
static void ho_norm(uint8_t af, const uint8_t *addr, uint8_t out[16])
{
	memcpy(out, addr, 16);
	if (af == 6)
		memset(out + 8, 0, 8);
}

static struct ho_src **ho_find(struct ike_ho_tab *t, uint8_t af, const uint8_t *addr)
{
	struct ho_src **pp = &t->b[ho_hash(t, af, addr)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->af == af && !memcmp((*pp)->addr, addr, 16))
			break;
	return pp;
}

unsigned ike_dpd_half_open_from(const struct ike_resp *r, const struct ike_addr *a)
{
	struct ho_src **pp;
	uint8_t k[16];

	if (!r->ho)
		return 0;
	ho_norm(a->af, a->addr, k);
	pp = ho_find(r->ho, a->af, k);
	return *pp ? (*pp)->n : 0;
}

void ike_dpd_half_open_count(struct ike_resp *r, struct ike_sa *sa, bool half_open)
{
	struct ike_sa_live *l = &sa->live;
	struct ho_src **pp, *e;

	if (half_open == l->ho_counted)
		return;
	if (half_open) {
		if (!r->ho) {
			r->ho = calloc(1, sizeof(*r->ho));
			if (!r->ho)
				return; /* not counted: the global limit still holds */
			/* keyed by our (random, secret) cookie secret: no draw from the RNG */
			memcpy(&r->ho->key, r->cookie_secret + 8, sizeof(r->ho->key));
		}
		ho_norm(sa->peer.af, sa->peer.addr, l->ho_addr);
		l->ho_af = sa->peer.af;
		pp = ho_find(r->ho, l->ho_af, l->ho_addr);
		if (!*pp) {
			e = calloc(1, sizeof(*e));
			if (!e)
				return;
			e->af = l->ho_af;
			memcpy(e->addr, l->ho_addr, 16);
			*pp = e;
			r->ho->entries++;
		}
		(*pp)->n++;
		l->ho_counted = true;
		return;
	}
	/* under the address it was counted with (IKE_AUTH may have moved sa->peer) */
	l->ho_counted = false;
	if (!r->ho)
		return;
	pp = ho_find(r->ho, l->ho_af, l->ho_addr);
	if (!*pp)
		return;
	if (--(*pp)->n == 0) {
		e = *pp;
		*pp = e->next;
		free(e);
		if (--r->ho->entries == 0) {
			free(r->ho);
			r->ho = NULL;
		}
	}
}

/* ---- NAT mapping changes (§2.23) ------------------------------------------------------------ */

static bool same_addr(const struct ike_addr *a, const struct ike_addr *b)
{
	return a->af == b->af && a->port == b->port && !memcmp(a->addr, b->addr, 16);
}

static void sa_update_done(int status, const struct dpif_reply *rep, void *arg)
{
	(void)rep;
	(void)arg;
	if (status)
		RP_WARN("ike", "SA_UPDATE after a NAT mapping change refused by the dataplane: %s",
			strerror(-status));
}

/* Point every outbound ESP SA of @p sa at the peer's new address (SA_UPDATE). */
static void move_children(struct ike_resp *r, struct ike_sa *sa)
{
	if (!r->has_dp)
		return;
	for (unsigned i = 0; i < sa->n_child; i++) {
		struct rp_msg_sa *m = &sa->child[i].out_rec;

		if (sa->child[i].rekeyed)
			continue; /* its routes moved to the new one: it carries nothing out */
		if (!m->sa_id) {
			RP_WARN("ike", "CHILD_SA %08x_i: no record of its outbound SA, it keeps "
				"sending to the old address", sa->child[i].spi_in);
			continue;
		}
		memcpy(m->remote, sa->peer.addr, 16);
		if (m->flags & RP_SAF_NATT)
			m->natt_dport = sa->peer.port;
		if (r->dp.send(r->dp.ctx, RP_MSG_SA_UPDATE, m, sizeof(*m), sa_update_done, NULL))
			RP_WARN("ike", "SA_UPDATE of SA %u not sent: dataplane queue full", m->sa_id);
	}
}

void ike_dpd_heard(struct ike_resp *r, struct ike_sa *sa, const struct ike_addr *peer,
		   const struct ike_addr *local)
{
	char nm[128], a[64];

	sa->live.heard_ms = r->now_ms;
	if (sa->state != IKE_SA_ESTABLISHED || same_addr(peer, &sa->peer))
		return;
	/* §2.23: follow the peer, unless we are behind a NAT ourselves (a single forged
	 * packet could then break the SA), and only to an address of the same family the
	 * dataplane can reach from the same local address */
	if (sa->local_nat || peer->af != sa->peer.af || local->af != sa->local.af ||
	    memcmp(local->addr, sa->local.addr, 16)) {
		RP_LOG_RL(RP_LOG_INFO, "ike", "%s: authenticated request from %s, not following "
			  "it%s", sa_text(sa, nm, sizeof(nm)), addr_text(peer, a, sizeof(a)),
			  sa->local_nat ? " (we are behind a NAT)" : " (other local address)");
		return;
	}
	RP_NOTICE("ike", "%s: NAT mapping changed, peer now at %s (RFC 7296 §2.23): IKE SA "
		  "and outbound ESP follow", sa_text(sa, nm, sizeof(nm)),
		  addr_text(peer, a, sizeof(a)));
	sa->peer = *peer;
	sa->local.port = local->port;
	sa->live.moved++;
	r->st.nat_moved++;
	move_children(r, sa);
}

/* ---- liveness checks -------------------------------------------------------------------------- */

static bool build_empty(struct ike_bld *b, void *arg)
{
	(void)b;
	(void)arg;
	return true;
}

static void probe_done(struct ike_resp *r, struct ike_sa *sa, const struct ike_msg *resp,
		       void *arg)
{
	char nm[128];

	(void)arg;
	if (!resp) {
		/* given up by ike_req.h (the SA is deleted next) or the SA goes anyway */
		if (sa->live.probing)
			RP_INFO("ike", "%s: liveness check ended without an answer",
				sa_text(sa, nm, sizeof(nm)));
		sa->live.probing = false;
		return;
	}
	RP_DEBUG("ike", "%s: alive (answered the liveness check)", sa_text(sa, nm, sizeof(nm)));
	sa->live.probing = false;
	sa->live.heard_ms = r->now_ms;
}

/* The peer of @p sa is due a liveness check. */
static bool probe_due(const struct ike_resp *r, const struct ike_sa *sa, uint64_t now_ms)
{
	const struct ike_sa_live *l = &sa->live;

	if (dpd_mode(r, sa) == IKE_DPD_OFF || sa->state != IKE_SA_ESTABLISHED || l->probing ||
	    l->clearing || now_ms - l->heard_ms < (uint64_t)interval_s(r, sa) * 1000u)
		return false;
	/* on demand: only if we sent it ESP since we last heard of it */
	if (dpd_mode(r, sa) == IKE_DPD_ON_DEMAND && !(l->sampled && l->out_ms > l->heard_ms))
		return false;
	/* a request of ours is outstanding: its retransmissions test the peer already */
	return !ike_req_busy(sa);
}

static void dead(struct ike_resp *r, struct ike_sa *sa, uint64_t now_ms)
{
	char nm[128], a4[INET_ADDRSTRLEN] = "", a6[INET6_ADDRSTRLEN] = "";

	if (sa->lease4.held)
		inet_ntop(AF_INET, sa->lease4.addr, a4, sizeof(a4));
	if (sa->lease6.held)
		inet_ntop(AF_INET6, sa->lease6.addr, a6, sizeof(a6));
	RP_NOTICE("ike", "%s: dead peer: no answer to the liveness check for %llu s (dpd %s, "
		  "silent for %llu s); IKE SA deleted, %u CHILD_SA%s removed%s%s%s%s%s",
		  sa_text(sa, nm, sizeof(nm)),
		  (unsigned long long)((now_ms - sa->live.probe_ms) / 1000),
		  mode_name(dpd_mode(r, sa)),
		  (unsigned long long)((now_ms - sa->live.heard_ms) / 1000), sa->n_child,
		  sa->n_child == 1 ? "" : "s", a4[0] || a6[0] ? ", address " : "", a4,
		  a4[0] && a6[0] ? " " : "", a6[0] ? a6 : "", a4[0] || a6[0] ? " released" : "");
	r->st.dpd_dead++;
	sa->live.probing = false;
	sa->end_cause = IKE_END_LOST_CARRIER;
	ike_sa_delete(r, sa, true);
}

void ike_dpd_sa_tick(struct ike_resp *r, struct ike_sa *sa, uint64_t now_ms)
{
	char nm[128];

	if (sa->live.clearing) {
		if (now_ms - sa->live.clear_ms >= giveup_ms(r, sa)) {
			RP_INFO("ike", "%s: no answer to our Delete within %llu s, IKE SA deleted",
				sa_text(sa, nm, sizeof(nm)),
				(unsigned long long)(giveup_ms(r, sa) / 1000));
			ike_sa_delete(r, sa, true);
		}
		return;
	}
	/* a check whose request is gone (the IKE SA was rekeyed meanwhile and this one
	 * inherited the state) is no longer outstanding */
	if (sa->live.probing && !ike_req_busy(sa))
		sa->live.probing = false;
	if (sa->live.probing) {
		if (now_ms - sa->live.probe_ms >= giveup_ms(r, sa))
			dead(r, sa, now_ms);
		return;
	}
	if (!probe_due(r, sa, now_ms))
		return;
	if (ike_req_send(r, sa, IKE_XCHG_INFORMATIONAL, build_empty, probe_done, &probe_tag)) {
		RP_LOG_RL(RP_LOG_WARN, "ike", "%s: liveness check could not be sent",
			  sa_text(sa, nm, sizeof(nm)));
		return;
	}
	sa->live.probing = true;
	sa->live.probe_ms = now_ms;
	r->st.dpd_sent++;
	RP_INFO("ike", "%s: nothing heard for %llu s%s, liveness check sent (dpd %s)",
		sa_text(sa, nm, sizeof(nm)),
		(unsigned long long)((now_ms - sa->live.heard_ms) / 1000),
		dpd_mode(r, sa) == IKE_DPD_ON_DEMAND ? " while sending it ESP" : "",
		mode_name(dpd_mode(r, sa)));
}

/* ---- dataplane counters (on-demand DPD) ----------------------------------------------------
 * Only sessions that could be due a liveness check have their counters asked for: those not
 * heard of (IKE or inbound ESP) for the interval and not sampled within it, each at most once
 * per interval. One SA_DUMP serves them all when the dataplane holds at most
 * IKE_DPD_DUMP_MAX_SAS SAs and either the last dump is an interval old or it is fewer
 * messages than STATS_REQs (3 per SA asked for against 1 per SA of the dataplane). A dump
 * samples everyone, so every session is next due an interval after it, all together: in the
 * steady state one dump an interval. Otherwise (more SAs than that, a dump refused, a session
 * due between dumps: another profile's interval, a failed query) one STATS_REQ per ESP SA
 * of each session due, at most IKE_DPD_QUERY_BUDGET a tick; the rest wait for the next. */

/* A sample: inbound growth is a sign of life, outbound growth is what on-demand DPD is about.
 * Growth only: after a rekey the totals may dip until the old SA's count is in. */
static void sample_apply(struct ike_sa *sa, uint64_t in, uint64_t out, uint64_t at_ms)
{
	struct ike_sa_live *l = &sa->live;

	if (l->sampled && in > l->in_pkts)
		l->heard_ms = at_ms;
	if (l->sampled && out > l->out_pkts)
		l->out_ms = at_ms;
	l->in_pkts = in;
	l->out_pkts = out;
	l->sampled = true;
	l->sample_ms = at_ms;
}

static int stats_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct rp_msg_sa_stats *)a)->sa_id;
	uint32_t y = ((const struct rp_msg_sa_stats *)b)->sa_id;

	return x < y ? -1 : x > y;
}

static uint64_t packets_of(const struct rp_msg_sa_stats *sorted, unsigned n, uint32_t id)
{
	struct rp_msg_sa_stats key = { .sa_id = id };
	const struct rp_msg_sa_stats *s;

	if (!id || !n)
		return 0;
	s = bsearch(&key, sorted, n, sizeof(key), stats_cmp);
	return s ? s->packets : 0;
}

void ike_resp_dp_counters(struct ike_resp *r, const struct rp_msg_sa_stats *sas, unsigned n)
{
	struct rp_msg_sa_stats *sorted = NULL;

	if (n) {
		sorted = malloc(n * sizeof(*sorted));
		if (!sorted)
			return;
		memcpy(sorted, sas, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), stats_cmp);
	}
	for (struct ike_sa *sa = r->sas; sa; sa = sa->next) {
		uint64_t in = sa->gone_in_packets, out = sa->gone_out_packets;

		if (sa->state != IKE_SA_ESTABLISHED)
			continue;
		for (unsigned i = 0; i < sa->n_child; i++) {
			in += packets_of(sorted, n, sa->child[i].sa_id_in);
			out += packets_of(sorted, n, sa->child[i].sa_id_out);
		}
		sample_apply(sa, in, out, r->now_ms);
	}
	free(sorted);
}

/* The answer to one STATS_REQ of @p arg's (an IKE SA: ike_sa_delete() cancels them). */
static void on_sa_stats(int status, const struct dpif_reply *rep, void *arg)
{
	struct ike_sa *sa = arg;
	struct ike_sa_live *l = &sa->live;

	if (!l->sample_wait)
		return; /* given up meanwhile (dpd_sample_due()) */
	if (status)
		l->sample_failed = true;
	for (unsigned i = 0; !status && i < rep->n; i++) {
		const struct rp_msg_sa_stats *st = &rep->msgs[i].u.sa_stats;

		if (rep->msgs[i].hdr.type != RP_MSG_SA_INFO)
			continue;
		/* only SAs it still has: one that went meanwhile is in gone_*_packets */
		for (unsigned k = 0; k < sa->n_child; k++) {
			if (st->sa_id == sa->child[k].sa_id_in)
				l->acc_in += st->packets;
			else if (st->sa_id == sa->child[k].sa_id_out)
				l->acc_out += st->packets;
		}
	}
	if (--l->sample_wait)
		return;
	/* a rekeyed IKE SA handed its CHILD_SAs (and liveness) on: nothing to judge here */
	if (!l->sample_failed && sa->state == IKE_SA_ESTABLISHED)
		sample_apply(sa, l->acc_in + sa->gone_in_packets, l->acc_out + sa->gone_out_packets,
			     l->ask_ms);
}

static void on_dump(int status, const struct dpif_reply *rep, void *arg)
{
	struct ike_resp *r = arg;
	struct rp_msg_sa_stats *sas;
	unsigned n = 0;

	r->dpd_dumping = false;
	/* after a failure, no other dump before an interval: STATS_REQs meanwhile */
	r->dpd_dump_failed = status != 0;
	if (status) {
		RP_LOG_RL(RP_LOG_INFO, "ike", "no SA counters for on-demand DPD: %s",
			  strerror(-status));
		return;
	}
	sas = calloc(rep->n ? rep->n : 1, sizeof(*sas));
	if (!sas)
		return;
	for (unsigned i = 0; i < rep->n; i++)
		if (rep->msgs[i].hdr.type == RP_MSG_SA_INFO)
			sas[n++] = rep->msgs[i].u.sa_stats;
	ike_resp_dp_counters(r, sas, n);
	free(sas);
}

/* @p sa wants its counters now (on-demand DPD): see the section comment. */
static bool dpd_sample_due(const struct ike_resp *r, struct ike_sa *sa, uint64_t now_ms)
{
	struct ike_sa_live *l = &sa->live;
	uint64_t iv = (uint64_t)interval_s(r, sa) * 1000u;

	if (dpd_mode(r, sa) != IKE_DPD_ON_DEMAND || /* its profile's DPD may differ */
	    sa->state != IKE_SA_ESTABLISHED || !sa->n_child || l->probing || l->clearing ||
	    now_ms - l->heard_ms < iv)
		return false;
	if (l->sample_wait) {
		/* answers that never come (they went to the IKE SA this one replaced) */
		if (now_ms - l->ask_ms < IKE_DPD_SAMPLE_TIMEOUT_MS)
			return false;
		l->sample_wait = 0;
	}
	return now_ms - l->sample_ms >= iv;
}

void ike_dpd_sample_tick(struct ike_resp *r, uint64_t now_ms)
{
	unsigned total = 0, due = 0, budget = IKE_DPD_QUERY_BUDGET;
	struct rp_msg_empty e = { { 0 } };
	uint64_t iv = UINT64_MAX;      /* the shortest interval of those due */
	bool full = false;

	if (!ike_resp_wants_counters(r) || !r->has_dp || r->dpd_dumping)
		return;
	for (struct ike_sa *sa = r->sas; sa; sa = sa->next) {
		if (sa->state != IKE_SA_ESTABLISHED)
			continue;
		total += 2 * sa->n_child;
		if (!dpd_sample_due(r, sa, now_ms))
			continue;
		due += 2 * sa->n_child;
		if ((uint64_t)interval_s(r, sa) * 1000u < iv)
			iv = (uint64_t)interval_s(r, sa) * 1000u;
	}
	if (!due)
		return;
	/* STATS_REQ costs 3 messages (request, SA_INFO, DUMP_END), a dump 1 per SA and 2 */
	if (total <= IKE_DPD_DUMP_MAX_SAS &&
	    ((!r->dpd_dump_failed && 3ull * due > total + 2u) || now_ms - r->dpd_dump_ms >= iv)) {
		if (!r->dp.send(r->dp.ctx, RP_MSG_SA_DUMP, &e, sizeof(e), on_dump, r)) {
			r->dpd_dumping = true;
			r->dpd_dump_ms = now_ms;
			r->st.dpd_dumps++;
			return;
		}
	}
	/* the rest wait for the next tick when the budget or the dataplane's queue is used up;
	 * a session whose query failed stays due (its sample time only moves on success) */
	for (struct ike_sa *sa = r->sas; sa && budget && !full; sa = sa->next) {
		struct ike_sa_live *l = &sa->live;

		if (sa->state != IKE_SA_ESTABLISHED || 2 * sa->n_child > budget ||
		    !dpd_sample_due(r, sa, now_ms))
			continue;
		l->acc_in = l->acc_out = 0;
		l->sample_failed = false;
		l->ask_ms = now_ms;
		for (unsigned i = 0; i < sa->n_child && !full; i++) {
			uint32_t ids[2] = { sa->child[i].sa_id_in, sa->child[i].sa_id_out };

			for (unsigned k = 0; k < 2 && !full; k++) {
				struct rp_msg_sa_ref ref = { .sa_id = ids[k] };

				if (!ids[k])
					continue;
				if (r->dp.send(r->dp.ctx, RP_MSG_STATS_REQ, &ref, sizeof(ref),
					       on_sa_stats, sa)) {
					l->sample_failed = true;
					full = true;
					break;
				}
				l->sample_wait++;
				r->st.dpd_queries++;
				budget--;
			}
		}
	}
}

/* ---- operator deletes ------------------------------------------------------------------------ */

static bool build_delete(struct ike_bld *b, void *arg)
{
	(void)arg;
	return ike_bld_delete(b, IKE_PROTO_IKE, 0, NULL, 0);
}

static void clear_done(struct ike_resp *r, struct ike_sa *sa, const struct ike_msg *resp,
		       void *arg)
{
	char nm[128];

	(void)arg;
	if (!resp)
		return; /* the SA goes anyway */
	RP_INFO("ike", "%s: the peer answered our Delete, IKE SA deleted",
		sa_text(sa, nm, sizeof(nm)));
	ike_sa_delete(r, sa, true);
}

int ike_resp_clear(struct ike_resp *r, struct ike_sa *sa, const char *who)
{
	char nm[128], a4[INET_ADDRSTRLEN] = "-";
	unsigned nc = sa->n_child;
	int rc;

	if (sa->live.clearing)
		return -EALREADY;
	if (sa->lease4.held)
		inet_ntop(AF_INET, sa->lease4.addr, a4, sizeof(a4));
	r->st.cleared++;
	if (sa->state != IKE_SA_ESTABLISHED) {
		RP_NOTICE("ike", "%s: cleared by %s in state %s, deleted", sa_text(sa, nm, sizeof(nm)),
			  who, ike_sa_state_name(sa->state));
		ike_sa_delete(r, sa, true);
		return 0;
	}
	/* what the session holds goes now, whatever the peer does (accounting first: the
	 * CHILD_SAs' counters are still there to be asked for) */
	ike_sa_session_end(r, sa, IKE_END_ADMIN_RESET);
	while (sa->n_child)
		ike_sa_child_remove(r, sa, &sa->child[sa->n_child - 1], true);
	ike_sa_leases_release(r, sa);
	rc = ike_req_send(r, sa, IKE_XCHG_INFORMATIONAL, build_delete, clear_done, &clear_tag);
	RP_NOTICE("ike", "%s: cleared by %s: %u CHILD_SA%s removed, address %s released, %s",
		  sa_text(sa, nm, sizeof(nm)), who, nc, nc == 1 ? "" : "s", a4,
		  rc ? "Delete could not be sent, IKE SA deleted" : "Delete sent to the peer");
	if (rc) {
		ike_sa_delete(r, sa, true);
		return 0;
	}
	sa->live.clearing = true;
	sa->live.clear_ms = r->now_ms;
	return 0;
}

void ike_dpd_info(const struct ike_resp *r, const struct ike_sa *sa, struct ike_sa_info *in)
{
	const struct ike_child *c;

	in->id = sa->live.id;
	in->peer_nat = sa->peer_nat;
	in->local_nat = sa->local_nat;
	in->age_ms = r->now_ms - sa->created_ms;
	in->up_ms = sa->state == IKE_SA_ESTABLISHED ? r->now_ms - sa->established_ms : 0;
	in->idle_ms = r->now_ms - sa->live.heard_ms;
	in->dpd_pending = sa->live.probing;
	in->clearing = sa->live.clearing;
	in->nat_moved = sa->live.moved;
	c = ike_sa_child_current(sa);
	if (c) {
		/* when ike_rekey.c will rekey it: at child_lifetime, or when it was told to */
		uint64_t due = c->rekey_ms ? c->rekey_ms :
			       c->created_ms + (uint64_t)(r->cfg.child_lifetime ?
							  r->cfg.child_lifetime : 3600u) * 1000u;

		in->child_age_ms = r->now_ms - c->created_ms;
		in->child_rekey_ms = !c->rekeying && due > r->now_ms ? due - r->now_ms : 0;
	}
}
