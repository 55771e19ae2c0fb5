/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Requests we initiate on an established IKE SA: message IDs, window size 1 with a short
 * queue, retransmission with exponential backoff, matching of responses (RFC 7296 §2.1-§2.4).
 * See ike_req.h. */
#include "controlplane/ike/ike_req.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "controlplane/ike/ike_priv.h"

struct ike_req {
	struct ike_req *next;
	uint8_t exchange;
	ike_req_done_fn done;          /**< NULL once cancelled */
	void *arg;
	uint8_t first;                 /**< first inner payload type */
	uint8_t *inner;                /**< plaintext until sealed */
	size_t ilen;
	uint8_t *msg;                  /**< the sealed request, once sent */
	size_t len;
	uint16_t *flen;                /**< RFC 7383: msg is these fragments (NULL: one) */
	unsigned nfrag;
	uint32_t msg_id;
	bool sent;
	unsigned retries;
	uint32_t rto_ms;
	uint64_t due_ms;
};

static void req_free(struct ike_req *q)
{
	if (q->inner)
		OPENSSL_cleanse(q->inner, q->ilen);
	free(q->inner);
	free(q->msg);
	free(q->flen);
	free(q);
}

static void log_sa(int level, const struct ike_sa *sa, const char *what, const struct ike_req *q)
{
	rp_log(level, "ike", "IKE_SA %016llx_i %016llx_r: our %s #%u %s",
	       (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
	       ike_exchange_name(q->exchange), q->msg_id, what);
}

/* Seal and send the head of the queue if it is not out yet. On failure it completes with
 * NULL and the next one is tried. */
static void send_head(struct ike_resp *r, struct ike_sa *sa)
{
	struct ike_req *q;

	while ((q = sa->req) && !q->sent) {
		struct ike_hdr h = { .spi_i = sa->spi_i, .spi_r = sa->spi_r,
				     .exchange = q->exchange, .flags = ike_sa_our_flags(sa),
				     .msg_id = sa->req_msg_id };

		if (!ike_frag_seal(r, sa, &h, q->first, q->inner, q->ilen, &sa->peer, &q->msg,
				   &q->len, &q->flen, &q->nfrag)) {
			q->msg_id = sa->req_msg_id;
			q->sent = true;
			q->rto_ms = IKE_REQ_RTO_MS;
			q->due_ms = r->now_ms + q->rto_ms;
			OPENSSL_cleanse(q->inner, q->ilen);
			r->st.req_sent++;
			ike_frag_send(r, q->msg, q->len, q->flen, q->nfrag, &sa->local, &sa->peer);
			return;
		}
		log_sa(RP_LOG_WARN, sa, "could not be sealed, dropped", q);
		sa->req = q->next;
		if (q->done)
			q->done(r, sa, NULL, q->arg);
		req_free(q);
	}
}

int ike_req_send(struct ike_resp *r, struct ike_sa *sa, uint8_t exchange,
		 ike_req_build_fn build, ike_req_done_fn done, void *arg)
{
	struct ike_req *q, **pp;
	unsigned queued = 0;
	struct ike_bld b;

	/* a rekeyed IKE SA only carries our Delete of it (§2.18) */
	if (sa->state != IKE_SA_ESTABLISHED && sa->state != IKE_SA_REKEYED)
		return -ESHUTDOWN;
	for (pp = &sa->req; *pp; pp = &(*pp)->next)
		queued++;
	if (queued > IKE_REQ_QUEUE_MAX)
		return -EBUSY; /* the outstanding one and a full queue */
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->inner = malloc(IKE_MSG_BUF);
	if (!q->inner) {
		free(q);
		return -ENOMEM;
	}
	ike_bld_init_chain(&b, q->inner, IKE_MSG_BUF);
	if (!build(&b, arg) || b.w.err) {
		req_free(q);
		return -EINVAL;
	}
	q->ilen = ike_bld_finish(&b);
	q->first = ike_bld_first(&b);
	q->exchange = exchange;
	q->done = done;
	q->arg = arg;
	*pp = q;
	send_head(r, sa);
	return 0;
}

unsigned ike_req_cancel(struct ike_resp *r, struct ike_sa *sa, void *arg)
{
	struct ike_req **pp = &sa->req;
	unsigned n = 0;

	(void)r;
	while (*pp) {
		struct ike_req *q = *pp;

		if (q->arg != arg || !q->done) {
			pp = &q->next;
			continue;
		}
		n++;
		if (q->sent) {
			/* the peer answers it anyway: keep it for the message IDs, silently */
			q->done = NULL;
			pp = &q->next;
			continue;
		}
		*pp = q->next;
		req_free(q);
	}
	return n;
}

bool ike_req_busy(const struct ike_sa *sa)
{
	return sa->req != NULL;
}

void ike_req_input(struct ike_resp *r, struct ike_msg *m, const struct ike_addr *peer,
		   const struct ike_addr *local)
{
	struct ike_sa *sa = ike_resp_find(r, m->hdr.spi_i, m->hdr.spi_r);
	const struct ike_pl *sk = m->n ? &m->pl[m->n - 1] : NULL;
	struct ike_req *q = sa ? sa->req : NULL;
	uint8_t *plain = NULL, *whole = NULL, first;
	size_t plen = 0, wlen = 0;
	uint64_t spi_i, spi_r;
	int fr;

	(void)peer;
	(void)local;
	/* only the outstanding request's answer, from the right side, in one SK payload or in
	 * SKF fragments (RFC 7383) */
	if (!q || !q->sent || m->hdr.msg_id != q->msg_id || m->hdr.exchange != q->exchange ||
	    !(m->hdr.flags & IKE_HDR_F_I) != sa->initiator || !sk ||
	    (sk->type != IKE_PL_SK && sk->type != IKE_PL_SKF)) {
		r->st.dropped++;
		return;
	}
	plain = malloc(m->raw.len);
	if (!plain || ike_sk_open(&sa->alg, ike_sa_peer_ekey(sa), ike_sa_peer_akey(sa), m, plain,
				  m->raw.len, &plen)) {
		r->st.decrypt_failed++;
		r->st.dropped++;
		RP_LOG_RL(RP_LOG_INFO, "ike", "IKE_SA %016llx_i %016llx_r: response #%u to our "
			  "request does not verify, dropped", (unsigned long long)sa->spi_i,
			  (unsigned long long)sa->spi_r, m->hdr.msg_id);
		goto out;
	}
	first = m->sk_next;
	/* §2.6.2: verified fragments are kept until all are there, as for requests */
	if (sk->type == IKE_PL_SKF) {
		fr = ike_frag_add(&sa->resp_frag, m, plain, plen, &whole, &wlen, &first);
		if (fr <= 0) {
			if (fr < 0) {
				r->st.dropped++;
				RP_LOG_RL(RP_LOG_INFO, "ike", "IKE_SA %016llx_i %016llx_r: fragment "
					  "%u/%u of the response #%u to our request dropped",
					  (unsigned long long)sa->spi_i,
					  (unsigned long long)sa->spi_r, sk->f.u16a, sk->f.u16b,
					  m->hdr.msg_id);
			}
			goto out;
		}
		RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: response #%u to our %s reassembled "
			"from %u fragments (%zu bytes)", (unsigned long long)sa->spi_i,
			(unsigned long long)sa->spi_r, m->hdr.msg_id, ike_exchange_name(q->exchange),
			sk->f.u16b, wlen);
	}
	if (ike_payloads_parse(first, whole ? whole : plain, whole ? wlen : plen, m, NULL) !=
	    IKE_PERR_OK) {
		r->st.dropped++;
		RP_LOG_RL(RP_LOG_INFO, "ike", "IKE_SA %016llx_i %016llx_r: response #%u to our "
			  "request is malformed, dropped", (unsigned long long)sa->spi_i,
			  (unsigned long long)sa->spi_r, m->hdr.msg_id);
		goto out;
	}
	sa->req = q->next;
	sa->req_msg_id = q->msg_id + 1;
	ike_frag_free(sa->resp_frag); /* fragments of an answer that came whole after all */
	sa->resp_frag = NULL;
	spi_i = sa->spi_i;
	spi_r = sa->spi_r;
	if (q->done)
		q->done(r, sa, m, q->arg); /* may delete the SA */
	req_free(q);
	if (ike_resp_find(r, spi_i, spi_r) == sa &&
	    (sa->state == IKE_SA_ESTABLISHED || sa->state == IKE_SA_REKEYED))
		send_head(r, sa);
out:
	if (plain)
		OPENSSL_cleanse(plain, m->raw.len);
	if (whole)
		OPENSSL_cleanse(whole, wlen);
	free(plain);
	free(whole);
}

void ike_req_sa_tick(struct ike_resp *r, struct ike_sa *sa, uint64_t now_ms)
{
	struct ike_req *q = sa->req;

	if (!q || !q->sent || now_ms < q->due_ms)
		return;
	if (q->retries < IKE_REQ_RETRIES) {
		q->retries++;
		q->rto_ms *= 2;
		q->due_ms = now_ms + q->rto_ms;
		r->st.req_retransmits++;
		ike_frag_send(r, q->msg, q->len, q->flen, q->nfrag, &sa->local, &sa->peer);
		return;
	}
	/* §2.4: no answer to a request after retransmitting it: the peer is gone */
	r->st.req_timeouts++;
	log_sa(RP_LOG_NOTICE, sa, "not answered after " "retransmissions, deleting the "
	       "IKE SA", q);
	sa->req = q->next;
	if (q->done)
		q->done(r, sa, NULL, q->arg);
	req_free(q);
	sa->end_cause = IKE_END_LOST_CARRIER;
	ike_sa_delete(r, sa, true);
}

void ike_req_sa_gone(struct ike_resp *r, struct ike_sa *sa)
{
	struct ike_req *q;

	ike_frag_free(sa->resp_frag);
	sa->resp_frag = NULL;
	while ((q = sa->req)) {
		sa->req = q->next;
		if (q->done)
			q->done(r, sa, NULL, q->arg);
		req_free(q);
	}
}
