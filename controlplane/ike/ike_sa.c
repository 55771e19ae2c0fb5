/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* IKEv2 responder: IKE_SA_INIT (RFC 7296 §1.2, §2.6, §2.23), SA bookkeeping, decryption and
 * reassembly of requests, message IDs and the retransmission cache, the task driver.
 * See ike_sa.h and ike_priv.h. */
#include "controlplane/ike/ike_sa.h"
#include "controlplane/ike/ike_priv.h"
#include "controlplane/ike/ike_req.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/log.h"
#include "controlplane/policy/policy.h"
#include "controlplane/util/workpool.h"

#define NONCE_LEN IKE_NONCE_LEN
#define MSG_BUF IKE_MSG_BUF

static const char *const state_names[] = {
#define X(n) #n,
	IKE_SA_STATES(X)
#undef X
};

const char *ike_sa_state_name(enum ike_sa_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

const char *ike_sa_name(const struct ike_sa *sa, char *buf, size_t len)
{
	snprintf(buf, len, "IKE_SA %016llx_i %016llx_r", (unsigned long long)sa->spi_i,
		 (unsigned long long)sa->spi_r);
	return buf;
}

static void sa_info(const struct ike_resp *r, const struct ike_sa *sa, struct ike_sa_info *in);

/* The one place an SA changes state. */
void ike_sa_set_state(struct ike_resp *r, struct ike_sa *sa, enum ike_sa_state to)
{
	RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: %s -> %s", (unsigned long long)sa->spi_i,
		(unsigned long long)sa->spi_r, ike_sa_state_name(sa->state), ike_sa_state_name(to));
	/* half-open: IKE_SA_INIT received (INIT_WAIT: its DH still on a worker), no IKE_AUTH */
	bool was_ho = sa->state == IKE_SA_INIT_DONE || sa->state == IKE_SA_INIT_WAIT;
	bool is_ho = to == IKE_SA_INIT_DONE || to == IKE_SA_INIT_WAIT;

	if (was_ho && !is_ho)
		r->st.half_open--;
	if (is_ho && !was_ho)
		r->st.half_open++;
	ike_dpd_half_open_count(r, sa, is_ho);
	sa->state = to;
	/* IKE_AUTH done: a session starts (a rekey's new SA comes from NONE: it goes on) */
	if (was_ho && to == IKE_SA_ESTABLISHED && r->has_hooks && r->hooks.up) {
		struct ike_sa_info in;

		sa_info(r, sa, &in);
		r->hooks.up(r->hooks.arg, &in);
	}
}

void ike_resp_set_session_hooks(struct ike_resp *r, const struct ike_session_hooks *h)
{
	r->has_hooks = h != NULL;
	if (h)
		r->hooks = *h;
}

void ike_sa_session_end(struct ike_resp *r, struct ike_sa *sa, enum ike_end_cause cause)
{
	struct ike_sa_info in;

	if (sa->session_ended || sa->state != IKE_SA_ESTABLISHED)
		return;
	sa->session_ended = true;
	if (!r->has_hooks || !r->hooks.down)
		return;
	sa_info(r, sa, &in);
	r->hooks.down(r->hooks.arg, &in, sa->end_cause ? (enum ike_end_cause)sa->end_cause : cause);
}

int ike_sa_set_session_timeout(struct ike_resp *r, struct ike_sa *sa, uint32_t timeout_s)
{
	if (sa->state != IKE_SA_ESTABLISHED || sa->live.clearing || !timeout_s)
		return -EINVAL;
	sa->session_end_ms = r->now_ms + (uint64_t)timeout_s * 1000u;
	RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: the session ends in %u s (RADIUS CoA "
		"Session-Timeout)", (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
		timeout_s);
	return 0;
}

static void sa_free(struct ike_sa *sa)
{
	if (!sa)
		return;
	ike_frag_free(sa->frag);
	ike_frag_free(sa->resp_frag);
	ike_eap_free(sa->eap);
	ike_sa_authz_release(sa);
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->last_resp);
	free(sa->last_resp_flen);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

int ike_resp_create(const struct ike_resp_cfg *cfg, const struct ike_rng *rng,
		    ike_send_fn send, void *send_arg, struct ike_resp **out)
{
	struct ike_resp *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	if (!r->cfg.max_half_open)
		r->cfg.max_half_open = 1024;
	if (!r->cfg.max_half_open_per_peer)
		r->cfg.max_half_open_per_peer = 10;
	if (rng)
		r->rng = *rng;
	r->send = send;
	r->send_arg = send_arg;
	rc = ike_random(&r->rng, r->cookie_secret, sizeof(r->cookie_secret));
	if (rc) {
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void ike_resp_destroy(struct ike_resp *r)
{
	if (!r)
		return;
	r->has_hooks = false; /* rampartd stops: the sessions stay in the dataplane */
	while (r->sas)
		ike_sa_delete(r, r->sas, false);
	if (r->has_dp && r->dp.cancel)
		r->dp.cancel(r->dp.ctx, r); /* ike_dpd.c's SA_DUMP */
	ike_rekey_destroy_all(r);
	OPENSSL_cleanse(r->cookie_secret, sizeof(r->cookie_secret));
	free(r->certreq);
	free(r->idx.b);
	free(r->pids.b);
	free(r->addrs[0].b);
	free(r->addrs[1].b);
	free(r->spis.t);
	free(r->sa_ids.t);
	free(r);
}

/* ---- chained indexes of SAs (struct ike_sa_chains) -----------------------------------------
 * Three of them. By SPIi: every IKE message looks its SA up (by SPIi and SPIr, or by SPIi
 * and address for a new IKE_SA_INIT), in one bucket instead of a walk over every SA, so the
 * event loop's share of a setup does not grow with the number of sessions; ike_sa_link()
 * files an SA at once, ike_sa_delete() (the one place SAs are unlinked) takes it out. By
 * peer identity (INITIAL_CONTACT). By the address each SA holds (an address from AAA must
 * be no other session's). Every SA that has the key is in it, whatever its state: lookups
 * filter. What differs is the key an SA is filed under and where its link is: struct
 * chain_kind. */
struct chain_kind {
	size_t link;  /* offsetof the SA's struct ike_sa_link */
	/* the key @p sa is filed under (len 0: none) and a seed that goes with it */
	const uint8_t *(*key)(const struct ike_sa *sa, size_t *len, uint64_t *seed);
};

static const uint8_t *spi_key(const struct ike_sa *sa, size_t *len, uint64_t *seed)
{
	*len = sizeof(sa->spi_i);
	*seed = 0;
	return (const uint8_t *)&sa->spi_i;
}

static const uint8_t *pid_key(const struct ike_sa *sa, size_t *len, uint64_t *seed)
{
	*len = sa->peer_id_len;
	*seed = sa->peer_id_type ^ ((uint64_t)sa->peer_id_len << 8);
	return sa->peer_id;
}

static const uint8_t *addr4_key(const struct ike_sa *sa, size_t *len, uint64_t *seed)
{
	*len = sa->lease4.held ? 4 : 0;
	*seed = 4;
	return sa->lease4.addr;
}

static const uint8_t *addr6_key(const struct ike_sa *sa, size_t *len, uint64_t *seed)
{
	*len = sa->lease6.held ? 16 : 0;
	*seed = 6;
	return sa->lease6.addr;
}

static const struct chain_kind spi_kind = { offsetof(struct ike_sa, spi_link), spi_key };
static const struct chain_kind pid_kind = { offsetof(struct ike_sa, pid_link), pid_key };
static const struct chain_kind addr_kinds[2] = {
	{ offsetof(struct ike_sa, addr_link[0]), addr4_key },
	{ offsetof(struct ike_sa, addr_link[1]), addr6_key },
};

static struct ike_sa_link *ch_link(const struct chain_kind *k, const struct ike_sa *sa)
{
	return (struct ike_sa_link *)((uintptr_t)sa + k->link);
}

static unsigned ch_bucket(const struct ike_resp *r, const uint8_t *key, size_t len,
			  uint64_t seed, unsigned size)
{
	uint64_t h = r->idx_key ^ seed;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = 0;

		memcpy(&w, key + i, len - i < 8 ? len - i : 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (unsigned)h & (size - 1);
}

static unsigned ch_sa_bucket(const struct ike_resp *r, const struct chain_kind *k,
			     const struct ike_sa *sa, unsigned size)
{
	size_t len;
	uint64_t seed;
	const uint8_t *key = k->key(sa, &len, &seed);

	return ch_bucket(r, key, len, seed, size);
}

static void ch_put(const struct chain_kind *k, struct ike_sa **b, unsigned i, struct ike_sa *sa)
{
	struct ike_sa_link *l = ch_link(k, sa);

	l->next = b[i];
	if (l->next)
		ch_link(k, l->next)->pprev = &l->next;
	l->pprev = &b[i];
	b[i] = sa;
}

static void ch_grow(struct ike_resp *r, struct ike_sa_chains *c, const struct chain_kind *k)
{
	unsigned size = c->size ? 2 * c->size : 256;
	struct ike_sa **b = calloc(size, sizeof(*b));

	if (!b) {
		c->lost = !c->size;
		return;
	}
	if (!r->idx_key)
		memcpy(&r->idx_key, r->cookie_secret + 16, sizeof(r->idx_key));
	for (unsigned i = 0; i < c->size; i++)
		while (c->b[i]) {
			struct ike_sa *sa = c->b[i];

			c->b[i] = ch_link(k, sa)->next;
			ch_put(k, b, ch_sa_bucket(r, k, sa, size), sa);
		}
	free(c->b);
	c->b = b;
	c->size = size;
	c->lost = false;
}

static void ch_del(struct ike_sa_chains *c, const struct chain_kind *k, struct ike_sa *sa)
{
	struct ike_sa_link *l = ch_link(k, sa);

	if (!l->pprev)
		return;
	*l->pprev = l->next;
	if (l->next)
		ch_link(k, l->next)->pprev = l->pprev;
	l->next = NULL;
	l->pprev = NULL;
	c->n--;
}

static void ch_put_counted(struct ike_resp *r, struct ike_sa_chains *c,
			   const struct chain_kind *k, struct ike_sa *sa)
{
	size_t len;
	uint64_t seed;

	k->key(sa, &len, &seed);
	if (!len || ch_link(k, sa)->pprev)
		return;
	ch_put(k, c->b, ch_sa_bucket(r, k, sa, c->size), sa);
	c->n++;
}

/* File @p sa under its key now (again, if it was: the key may have changed; not at all
 * once it has none). */
static void ch_index(struct ike_resp *r, struct ike_sa_chains *c, const struct chain_kind *k,
		     struct ike_sa *sa)
{
	bool was_lost = c->lost;
	size_t len;
	uint64_t seed;

	ch_del(c, k, sa);
	k->key(sa, &len, &seed);
	if (!len)
		return;
	if (c->n >= c->size)
		ch_grow(r, c, k);
	if (!c->size)
		return;
	ch_put_counted(r, c, k, sa);
	if (was_lost) /* memory again: those that got a key meanwhile join */
		for (struct ike_sa *o = r->sas; o; o = o->next)
			ch_put_counted(r, c, k, o);
}

/* The first SA to look at for @p key: the bucket's, or every SA's while the index is lost;
 * ch_next() the one after. */
static struct ike_sa *ch_first(const struct ike_resp *r, const struct ike_sa_chains *c,
			       const uint8_t *key, size_t len, uint64_t seed)
{
	if (c->lost)
		return r->sas;
	return c->size ? c->b[ch_bucket(r, key, len, seed, c->size)] : NULL;
}

static struct ike_sa *ch_next(const struct ike_sa_chains *c, const struct chain_kind *k,
			      const struct ike_sa *sa)
{
	return c->lost ? sa->next : ch_link(k, sa)->next;
}

void ike_sa_id_index(struct ike_resp *r, struct ike_sa *sa)
{
	ch_index(r, &r->pids, &pid_kind, sa);
}

static void addr_index(struct ike_resp *r, struct ike_sa *sa)
{
	for (unsigned i = 0; i < 2; i++)
		ch_index(r, &r->addrs[i], &addr_kinds[i], sa);
}

void ike_sa_leases_take(struct ike_resp *r, struct ike_sa *sa, struct pool_lease *l4,
			struct pool_lease *l6)
{
	if (l4) {
		sa->lease4 = *l4;
		l4->held = false;
	}
	if (l6) {
		sa->lease6 = *l6;
		l6->held = false;
	}
	addr_index(r, sa);
}

void ike_sa_leases_move(struct ike_resp *r, struct ike_sa *to, struct ike_sa *from)
{
	struct pool_lease l4 = from->lease4, l6 = from->lease6;

	from->lease4.held = from->lease6.held = false;
	addr_index(r, from);
	ike_sa_leases_take(r, to, &l4, &l6);
}

void ike_sa_leases_release(struct ike_resp *r, struct ike_sa *sa)
{
	pool_lease_release(&sa->lease4); /* to the pool each came from */
	pool_lease_release(&sa->lease6);
	sa->lease4.held = sa->lease6.held = false; /* an address from AAA has no pool */
	addr_index(r, sa);
}

struct ike_sa *ike_addr_holder(struct ike_resp *r, int af, const uint8_t *addr,
			       const struct ike_sa *except)
{
	unsigned i = af == 6;
	size_t len = i ? 16 : 4;
	const struct chain_kind *k = &addr_kinds[i];

	for (struct ike_sa *sa = ch_first(r, &r->addrs[i], addr, len, i ? 6 : 4); sa;
	     sa = ch_next(&r->addrs[i], k, sa)) {
		const struct pool_lease *l = i ? &sa->lease6 : &sa->lease4;

		if (sa != except && l->held && !memcmp(l->addr, addr, len))
			return sa;
	}
	return NULL;
}


void ike_sa_link(struct ike_resp *r, struct ike_sa *sa)
{
	sa->next = r->sas;
	if (sa->next)
		sa->next->pprev = &sa->next;
	sa->pprev = &r->sas;
	r->sas = sa;
	r->st.sas++;
	ch_index(r, &r->idx, &spi_kind, sa);
}

/* The first SA with @p spi_i for which @p match() holds. */
static struct ike_sa *idx_find(struct ike_resp *r, uint64_t spi_i,
			       bool (*match)(const struct ike_sa *sa, const void *arg),
			       const void *arg)
{
	for (struct ike_sa *sa = ch_first(r, &r->idx, (const uint8_t *)&spi_i, sizeof(spi_i), 0);
	     sa; sa = ch_next(&r->idx, &spi_kind, sa))
		if (sa->spi_i == spi_i && match(sa, arg))
			return sa;
	return NULL;
}

static bool match_spi_r(const struct ike_sa *sa, const void *arg)
{
	return sa->spi_r == *(const uint64_t *)arg;
}

void ike_resp_get_stats(const struct ike_resp *r, struct ike_resp_stats *st)
{
	*st = r->st;
}

struct ike_sa *ike_resp_find(struct ike_resp *r, uint64_t spi_i, uint64_t spi_r)
{
	return idx_find(r, spi_i, match_spi_r, &spi_r);
}

enum ike_sa_state ike_sa_state(const struct ike_sa *sa)
{
	return sa->state;
}

const struct ike_alg *ike_sa_alg(const struct ike_sa *sa)
{
	return &sa->alg;
}

const struct ike_keys *ike_sa_keys(const struct ike_sa *sa)
{
	return &sa->keys;
}

bool ike_sa_peer_behind_nat(const struct ike_sa *sa)
{
	return sa->peer_nat;
}

static size_t addr_len(const struct ike_addr *a)
{
	return a->af == 6 ? 16 : 4;
}

static int digest(const char *md, const uint8_t *const *parts, const size_t *lens, size_t n,
		  uint8_t *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int rc = -EIO;

	if (c && EVP_DigestInit_ex(c, EVP_get_digestbyname(md), NULL) == 1) {
		size_t i;

		for (i = 0; i < n; i++)
			if (EVP_DigestUpdate(c, parts[i], lens[i]) != 1)
				break;
		if (i == n && EVP_DigestFinal_ex(c, out, NULL) == 1)
			rc = 0;
	}
	EVP_MD_CTX_free(c);
	return rc;
}

int ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const struct ike_addr *a, uint8_t out[20])
{
	uint8_t spis[16], port[2] = { (uint8_t)(a->port >> 8), (uint8_t)a->port };
	const uint8_t *parts[3] = { spis, a->addr, port };
	size_t lens[3] = { 16, addr_len(a), 2 };

	for (int i = 0; i < 8; i++) {
		spis[i] = (uint8_t)(spi_i >> (56 - 8 * i));
		spis[8 + i] = (uint8_t)(spi_r >> (56 - 8 * i));
	}
	return digest("SHA1", parts, lens, 3, out);
}

/* §2.6: cookie = <version> | HMAC-SHA-256(secret, Ni | IPi | SPIi), stateless. */
static int cookie_make(const struct ike_resp *r, const uint8_t *ni, size_t ni_len,
		       const struct ike_addr *peer, uint64_t spi_i, uint8_t out[33])
{
	uint8_t data[256 + 16 + 8];
	size_t l = 0;

	memcpy(data, ni, ni_len);
	l += ni_len;
	memcpy(data + l, peer->addr, addr_len(peer));
	l += addr_len(peer);
	for (int i = 0; i < 8; i++)
		data[l++] = (uint8_t)(spi_i >> (56 - 8 * i));
	out[0] = r->cookie_version;
	return ike_prf(IKE_PRF_HMAC_SHA2_256, r->cookie_secret, sizeof(r->cookie_secret), data, l,
		       NULL, 0, out + 1);
}

static void send_plain_notify(struct ike_resp *r, const struct ike_msg *req, uint16_t type,
			      const void *data, size_t len, const struct ike_addr *peer,
			      const struct ike_addr *local)
{
	struct ike_hdr h = { .spi_i = req->hdr.spi_i, .spi_r = 0, .exchange = req->hdr.exchange,
			     .flags = IKE_HDR_F_R, .msg_id = req->hdr.msg_id };
	uint8_t buf[512];
	struct ike_bld b;
	size_t n;

	ike_bld_init(&b, buf, sizeof(buf), &h);
	ike_bld_notify(&b, 0, NULL, 0, type, data, len);
	n = ike_bld_finish(&b);
	/* never a reflector: an unauthenticated message gets no answer larger than itself */
	if (n && n <= req->raw.len)
		r->send(r->send_arg, buf, n, local, peer);
	else if (n)
		r->st.dropped++;
}

void ike_resp_set_auth(struct ike_resp *r, const struct ike_authenticator *auth)
{
	r->has_auth = auth != NULL;
	if (auth)
		r->auth = *auth;
}

void ike_resp_set_dp(struct ike_resp *r, const struct ike_dp_ops *dp)
{
	r->has_dp = dp != NULL;
	if (dp)
		r->dp = *dp;
}

void ike_resp_set_pools(struct ike_resp *r, struct pool *v4, struct pool *v6)
{
	r->pool4 = v4;
	r->pool6 = v6;
}

void ike_resp_set_pool_set(struct ike_resp *r, const struct pool_set *s)
{
	r->pools = s;
}

void ike_resp_set_proposals(struct ike_resp *r, const struct ike_named_proposal *p,
			    unsigned n)
{
	r->proposals = p;
	r->n_proposals = n;
}

int ike_resp_set_certreq(struct ike_resp *r, const uint8_t *hashes, size_t len)
{
	uint8_t *c = NULL;

	if (len) {
		c = malloc(len);
		if (!c)
			return -ENOMEM;
		memcpy(c, hashes, len);
	}
	free(r->certreq);
	r->certreq = c;
	r->certreq_len = len;
	return 0;
}

uint32_t ike_new_sa_id(struct ike_resp *r)
{
	if (++r->next_sa_id == 0)
		r->next_sa_id = 1;
	return r->next_sa_id;
}

/* ---- the indexes of CHILD_SAs: inbound SPIs, dataplane SA ids --------------------------------
 * Every new CHILD_SA draws an inbound SPI that no other CHILD_SA has, and a dataplane event
 * (a lifetime reached) names an SA by its id: one probe of a set rather than a walk over
 * every CHILD_SA of every session. Two sets of 32-bit keys, each naming the IKE SA that holds
 * the CHILD_SA: r->spis (spi_in) and r->sa_ids (sa_id_in and sa_id_out). Open addressing with
 * linear probing, at most half full; deletion shifts the following entries back, so there
 * are no tombstones. The keys are ours (random SPIs, sequential ids), so a plain
 * multiplicative hash spreads them. Without memory to grow one, it is marked lost and
 * lookups walk until it can be rebuilt from the SAs. */
static unsigned cset_home(uint32_t key, unsigned size)
{
	uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ull;

	return (unsigned)(h ^ (h >> 32)) & (size - 1);
}

static void cset_put(struct ike_cset_ent *t, unsigned size, uint32_t key, struct ike_sa *sa)
{
	unsigned i = cset_home(key, size);

	while (t[i].key)
		i = (i + 1) & (size - 1);
	t[i].key = key;
	t[i].sa = sa;
}

static bool cset_resize(struct ike_cset *s, unsigned size)
{
	struct ike_cset_ent *t = calloc(size, sizeof(*t));

	if (!t)
		return false;
	for (unsigned i = 0; i < s->size; i++)
		if (s->t[i].key)
			cset_put(t, size, s->t[i].key, s->t[i].sa);
	free(s->t);
	s->t = t;
	s->size = size;
	return true;
}

static void cset_add(struct ike_cset *s, uint32_t key, struct ike_sa *sa)
{
	if (s->lost || !key)
		return; /* the rebuild picks it up */
	if (2 * (s->n + 1) > s->size && !cset_resize(s, s->size ? 2 * s->size : 64)) {
		s->lost = true;
		return;
	}
	cset_put(s->t, s->size, key, sa);
	s->n++;
}

static void cset_del(struct ike_cset *s, uint32_t key)
{
	unsigned m = s->size - 1, i, j, k;

	if (s->lost || !s->size || !key)
		return;
	for (i = cset_home(key, s->size); s->t[i].key != key; i = (i + 1) & m)
		if (!s->t[i].key)
			return;
	/* shift back what follows in the cluster unless its home lies in (i, j] */
	for (j = (i + 1) & m; s->t[j].key; j = (j + 1) & m) {
		k = cset_home(s->t[j].key, s->size);
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			s->t[i] = s->t[j];
			i = j;
		}
	}
	s->t[i].key = 0;
	s->t[i].sa = NULL;
	s->n--;
}

/* The keys of CHILD_SA @p c in set @p s of @p r: 1 (spi_in) or 2 (sa_id_in, sa_id_out). */
static unsigned cset_keys(const struct ike_resp *r, const struct ike_cset *s,
			  const struct ike_child *c, uint32_t k[2])
{
	if (s == &r->spis) {
		k[0] = c->spi_in;
		return 1;
	}
	k[0] = c->sa_id_in;
	k[1] = c->sa_id_out;
	return 2;
}

/* After a failed insertion: the set again from every CHILD_SA. */
static void cset_rebuild(struct ike_resp *r, struct ike_cset *s)
{
	unsigned n = 0, size = 64, nk;
	struct ike_cset_ent *t;
	uint32_t k[2];

	for (const struct ike_sa *sa = r->sas; sa; sa = sa->next)
		n += 2 * sa->n_child;
	while (size < 2 * (n + 1))
		size *= 2;
	t = calloc(size, sizeof(*t));
	if (!t)
		return;
	n = 0;
	for (struct ike_sa *sa = r->sas; sa; sa = sa->next)
		for (unsigned i = 0; i < sa->n_child; i++) {
			nk = cset_keys(r, s, &sa->child[i], k);
			for (unsigned j = 0; j < nk; j++)
				if (k[j]) {
					cset_put(t, size, k[j], sa);
					n++;
				}
		}
	free(s->t);
	s->t = t;
	s->size = size;
	s->n = n;
	s->lost = false;
}

/* The slot of @p key, or NULL; NULL with *walk set when the set is lost (no memory). */
static struct ike_cset_ent *cset_slot(struct ike_resp *r, struct ike_cset *s, uint32_t key,
				     bool *walk)
{
	*walk = false;
	if (s->lost)
		cset_rebuild(r, s);
	if (s->lost) {
		*walk = true;
		return NULL;
	}
	if (!s->size || !key)
		return NULL;
	for (unsigned i = cset_home(key, s->size); s->t[i].key; i = (i + 1) & (s->size - 1))
		if (s->t[i].key == key)
			return &s->t[i];
	return NULL;
}

/* The CHILD_SA of @p sa with @p key in set @p s, or NULL. */
static struct ike_child *child_of(const struct ike_resp *r, const struct ike_cset *s,
				  struct ike_sa *sa, uint32_t key)
{
	uint32_t k[2];

	for (unsigned c = 0; sa && c < sa->n_child; c++)
		for (unsigned j = 0, nk = cset_keys(r, s, &sa->child[c], k); j < nk; j++)
			if (k[j] == key)
				return &sa->child[c];
	return NULL;
}

static struct ike_sa *cset_find(struct ike_resp *r, struct ike_cset *s, uint32_t key,
				struct ike_child **child)
{
	bool walk;
	struct ike_cset_ent *e = cset_slot(r, s, key, &walk);

	*child = NULL;
	if (walk) { /* still no memory */
		for (struct ike_sa *sa = r->sas; sa; sa = sa->next)
			if ((*child = child_of(r, s, sa, key)))
				return sa;
		return NULL;
	}
	if (!e || !(*child = child_of(r, s, e->sa, key)))
		return NULL;
	return e->sa;
}

struct ike_sa *ike_spi_find_child(struct ike_resp *r, uint32_t spi, struct ike_child **child)
{
	return cset_find(r, &r->spis, spi, child);
}

struct ike_sa *ike_said_find_child(struct ike_resp *r, uint32_t sa_id, struct ike_child **child)
{
	return cset_find(r, &r->sa_ids, sa_id, child);
}

bool ike_spi_in_use(struct ike_resp *r, uint32_t spi)
{
	bool walk;
	struct ike_cset_ent *e = cset_slot(r, &r->spis, spi, &walk);

	if (walk) {
		for (struct ike_sa *sa = r->sas; sa; sa = sa->next)
			if (child_of(r, &r->spis, sa, spi))
				return true;
		return false;
	}
	return e != NULL;
}

void ike_child_index_add(struct ike_resp *r, const struct ike_child *c, struct ike_sa *sa)
{
	cset_add(&r->spis, c->spi_in, sa);
	cset_add(&r->sa_ids, c->sa_id_in, sa);
	cset_add(&r->sa_ids, c->sa_id_out, sa);
}

void ike_child_index_del(struct ike_resp *r, const struct ike_child *c)
{
	cset_del(&r->spis, c->spi_in);
	cset_del(&r->sa_ids, c->sa_id_in);
	cset_del(&r->sa_ids, c->sa_id_out);
}

void ike_child_index_rehome(struct ike_resp *r, struct ike_sa *sa)
{
	struct ike_cset *sets[2] = { &r->spis, &r->sa_ids };
	uint32_t k[2];
	bool walk;

	for (unsigned c = 0; c < sa->n_child; c++)
		for (unsigned x = 0; x < 2; x++)
			for (unsigned j = 0, nk = cset_keys(r, sets[x], &sa->child[c], k); j < nk; j++) {
				struct ike_cset_ent *e = cset_slot(r, sets[x], k[j], &walk);

				if (e)
					e->sa = sa;
			}
}

void ike_local_id(const struct ike_resp *r, const struct ike_addr *local, uint8_t *type,
		  const uint8_t **id, size_t *len, uint8_t buf[16])
{
	if (r->cfg.local_id_type && r->cfg.local_id_len) {
		*type = r->cfg.local_id_type;
		*id = r->cfg.local_id;
		*len = r->cfg.local_id_len;
		return;
	}
	memcpy(buf, local->addr, 16);
	*type = local->af == 6 ? IKE_ID_IPV6_ADDR : IKE_ID_IPV4_ADDR;
	*id = buf;
	*len = local->af == 6 ? 16 : 4;
}

void ike_sa_delete(struct ike_resp *r, struct ike_sa *sa, bool uninstall)
{
	ike_sa_session_end(r, sa, IKE_END_USER_REQUEST); /* before the CHILD_SAs go */
	if (sa->task) {
		struct ike_task *t = sa->task;

		sa->task = NULL;
		t->ops->destroy(t);
	}
	ike_sa_init_cancel(r, sa);
	if (sa->state != IKE_SA_DELETED)
		ike_sa_set_state(r, sa, IKE_SA_DELETED);
	ike_req_sa_gone(r, sa);
	if (r->has_dp && r->dp.cancel)
		r->dp.cancel(r->dp.ctx, sa); /* counters asked for CHILD_SAs that went */
	while (sa->n_child)
		ike_sa_child_remove(r, sa, &sa->child[sa->n_child - 1], uninstall);
	ike_sa_leases_release(r, sa);
	ch_del(&r->idx, &spi_kind, sa);
	ch_del(&r->pids, &pid_kind, sa);
	if (r->tick_sa == sa) /* ike_resp_tick() is at it: no more steps */
		r->tick_sa = NULL;
	if (r->tick_next == sa) /* or is to go on with it: the one after instead */
		r->tick_next = sa->next;
	if (sa->pprev) { /* unlink: no walk */
		*sa->pprev = sa->next;
		if (sa->next)
			sa->next->pprev = sa->pprev;
		r->st.sas--;
	}
	sa_free(sa);
}

/* The half-open, EAP and rekeyed-SA timeouts of @p sa (may delete it). */
static void expiry_tick(struct ike_resp *r, struct ike_sa *sa, uint64_t now_ms)
{
	/* §2.18: the peer deletes the IKE SA it rekeyed; if it never does, we do */
	if (sa->state == IKE_SA_REKEYED && !sa->task &&
	    now_ms - sa->rekeyed_ms >= IKE_REKEYED_TIMEOUT_MS) {
		RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: rekeyed %u s ago and not deleted by "
			"the peer, deleted", (unsigned long long)sa->spi_i,
			(unsigned long long)sa->spi_r, IKE_REKEYED_TIMEOUT_MS / 1000);
		ike_sa_delete(r, sa, false);
		return;
	}
	/* EAP between IKE_AUTH exchanges: the profile's eap timeout instead (ike_eap.h) */
	if (sa->eap && sa->state == IKE_SA_INIT_DONE && !sa->task) {
		if (ike_eap_expired(sa, now_ms)) {
			r->st.half_open_expired++;
			ike_sa_delete(r, sa, false);
		}
		return;
	}
	/* §2.6: half-open state is what an attacker makes us keep; it does not last */
	if ((sa->state == IKE_SA_INIT_DONE || sa->state == IKE_SA_INIT_WAIT) && !sa->task &&
	    now_ms - sa->created_ms >= IKE_HALF_OPEN_TIMEOUT_MS) {
		RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: no IKE_AUTH within %u s, deleted",
			(unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
			IKE_HALF_OPEN_TIMEOUT_MS / 1000);
		r->st.half_open_expired++;
		ike_sa_delete(r, sa, false);
	}
}

/*
 * Once a second: one walk over the SAs, each visited once for everything that may be due
 * (retransmissions, rekeys, liveness checks, session lifetimes, timeouts, NAT keepalives) rather than a walk
 * per concern: at 100 000 sessions the walk is the idle cost. Any step may delete the SA, or
 * (through a callback) another one: ike_sa_delete() tells the walk (tick_sa, tick_next).
 */
void ike_resp_tick(struct ike_resp *r, uint64_t now_ms)
{
	static void (*const steps[])(struct ike_resp *, struct ike_sa *, uint64_t) = {
		ike_req_sa_tick, ike_rekey_sa_tick, ike_dpd_sa_tick, ike_policy_sa_tick, expiry_tick,
		ike_policy_sa_keepalive,
	};

	r->now_ms = now_ms;
	ike_dpd_sample_tick(r, now_ms); /* on-demand DPD's counters, asked for once for all */
	for (struct ike_sa *sa = r->sas; sa; sa = r->tick_next) {
		r->tick_sa = sa;
		r->tick_next = sa->next;
		for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]) && r->tick_sa; i++)
			steps[i](r, sa, now_ms);
	}
	r->tick_sa = r->tick_next = NULL;
}

static bool same_identity(const struct ike_sa *sa, const struct ike_sa *keep)
{
	return sa != keep && sa->state == IKE_SA_ESTABLISHED &&
	       sa->peer_id_type == keep->peer_id_type && sa->peer_id_len == keep->peer_id_len &&
	       !memcmp(sa->peer_id, keep->peer_id, sa->peer_id_len);
}

void ike_delete_same_identity(struct ike_resp *r, struct ike_sa *keep)
{
	struct ike_sa *sa, *n;
	size_t len;
	uint64_t seed;
	const uint8_t *key = pid_key(keep, &len, &seed);

	for (sa = ch_first(r, &r->pids, key, len, seed); sa; sa = n) {
		n = ch_next(&r->pids, &pid_kind, sa);
		if (!same_identity(sa, keep))
			continue;
		RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: INITIAL_CONTACT from the same identity, "
			"deleting it", (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r);
		ike_sa_delete(r, sa, true);
	}
}

static void id_text(uint8_t type, const uint8_t *id, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = 0;
	if (type == IKE_ID_IPV4_ADDR && len == 4) {
		snprintf(out, cap, "%u.%u.%u.%u", id[0], id[1], id[2], id[3]);
		return;
	}
	if (type == IKE_ID_FQDN || type == IKE_ID_RFC822_ADDR) {
		for (size_t i = 0; i < len && o + 1 < cap; i++)
			out[o++] = id[i] >= 0x20 && id[i] < 0x7f ? (char)id[i] : '?';
		out[o] = 0;
		return;
	}
	for (size_t i = 0; i < len && o + 3 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", id[i]);
}

/* The IDr the profile's identity_local made ike_cert.c send instead of ike.local_id. */
static void profile_local_id(const struct ike_sa *sa, char *out, size_t cap)
{
	const struct pol_profile *p = sa->profile;

	if (!p || p->id_local == POL_IDL_DEFAULT)
		return;
	if (p->id_local == POL_IDL_ADDRESS)
		inet_ntop(sa->local.af == 6 ? AF_INET6 : AF_INET, sa->local.addr, out,
			  (socklen_t)cap);
	else if (p->id_local == POL_IDL_DN)
		snprintf(out, cap, "dn of our certificate");
	else if (cap) {
		size_t n = p->id_local_len < cap - 1 ? p->id_local_len : cap - 1;

		memcpy(out, p->id_local_value, n); /* shown cut to the field's size */
		out[n] = 0;
	}
}

static void sa_info(const struct ike_resp *r, const struct ike_sa *sa, struct ike_sa_info *in)
{
	const uint8_t *lid;
	uint8_t lt, lbuf[16];
	size_t ll;

	memset(in, 0, sizeof(*in));
	in->state = sa->state;
	in->spi_i = sa->spi_i;
	in->spi_r = sa->spi_r;
	in->peer = sa->peer;
	in->local = sa->local;
	in->ike = sa->alg.s;
	in->peer_id_type = sa->peer_id_type;
	id_text(sa->peer_id_type, sa->peer_id, sa->peer_id_len, in->peer_id,
		sizeof(in->peer_id));
	in->profile = ike_sa_profile_name(sa);
	in->group = sa->group;
	ike_eap_identity_text(sa, in->eap_id, sizeof(in->eap_id));
	in->session_left_ms = sa->session_end_ms > r->now_ms ? sa->session_end_ms - r->now_ms : 0;
	in->pol_dpd = sa->pol_dpd;
	in->pol_dpd_mode = sa->pol_dpd_mode;
	in->pol_dpd_interval = sa->pol_dpd_interval;
	in->pol_dpd_retry = sa->pol_dpd_retry;
	in->pol_nat_keepalive_s = sa->pol_nat_keepalive_s;
	ike_local_id(r, &sa->local, &lt, &lid, &ll, lbuf);
	id_text(lt, lid, ll, in->local_id, sizeof(in->local_id));
	profile_local_id(sa, in->local_id, sizeof(in->local_id));
	const struct ike_child *c = ike_sa_child_current(sa);

	in->has_child = c != NULL;
	if (c) {
		in->esp = c->esp;
		in->spi_in = c->spi_in;
		in->spi_out = c->spi_out;
		in->sa_id_in = c->sa_id_in;
		in->sa_id_out = c->sa_id_out;
		in->natt = c->natt;
	}
	in->n_child = sa->n_child;
	for (unsigned i = 0; i < sa->n_child && in->n_sa_ids + 2 <= 16; i++) {
		in->sa_ids[in->n_sa_ids++] = sa->child[i].sa_id_in;
		in->sa_ids[in->n_sa_ids++] = sa->child[i].sa_id_out;
	}
	in->gone_in_packets = sa->gone_in_packets;
	in->gone_in_bytes = sa->gone_in_bytes;
	in->gone_out_packets = sa->gone_out_packets;
	in->gone_out_bytes = sa->gone_out_bytes;
	in->has_addr4 = sa->lease4.held;
	memcpy(in->addr4, sa->lease4.addr, 4);
	in->has_addr6 = sa->lease6.held;
	memcpy(in->addr6, sa->lease6.addr, 16);
	ike_dpd_info(r, sa, in);
}

unsigned ike_resp_clear_matching(struct ike_resp *r, const char *who,
				 bool (*match)(const struct ike_sa_info *in, void *arg),
				 void (*cleared)(const struct ike_sa_info *in, void *arg),
				 void *arg)
{
	struct ike_sa *sa, *n;
	unsigned k = 0;

	/* ike_resp_clear() deletes at most @p sa itself: its successor stays valid */
	for (sa = r->sas; sa; sa = n) {
		struct ike_sa_info in;

		n = sa->next;
		sa_info(r, sa, &in);
		if (!match(&in, arg) || ike_resp_clear(r, sa, who))
			continue;
		cleared(&in, arg);
		k++;
	}
	return k;
}

void ike_resp_foreach(const struct ike_resp *r,
		      void (*fn)(const struct ike_sa_info *info, void *arg), void *arg)
{
	for (const struct ike_sa *sa = r->sas; sa; sa = sa->next) {
		struct ike_sa_info in;

		sa_info(r, sa, &in);
		fn(&in, arg);
	}
}

/* ---- proposal selection (§2.7) --------------------------------------------------------------- */

static bool cfg_has(const uint16_t *list, size_t n, uint16_t v)
{
	for (size_t i = 0; i < n && list[i]; i++)
		if (list[i] == v)
			return true;
	return false;
}

static bool encr_ok(const struct ike_resp_cfg *c, const struct ike_transform *t)
{
	for (size_t i = 0; i < 8 && c->encr[i]; i++)
		if (c->encr[i] == t->id &&
		    (t->has_key_len ? t->key_len : 0) == c->encr_bits[i])
			return true;
	return false;
}

/* Pick from the first acceptable proposal, in the peer's order, the first acceptable
 * transform of each type; the DH group the peer's KE uses wins if the proposal offers it. */
bool ike_select_ike(const struct ike_resp_cfg *c, const struct ike_sa_pl *sa, uint16_t ke_group,
		    uint8_t spi_len, struct ike_suite *s, uint8_t *prop_num)
{
	for (unsigned p = 0; p < sa->n_prop; p++) {
		const struct ike_proposal *pr = &sa->prop[p];
		struct ike_suite cand = { 0 };
		bool have_e = false, have_p = false, have_i = false, have_d = false;

		if (pr->proto != IKE_PROTO_IKE || pr->spi_len != spi_len)
			continue;
		for (unsigned i = 0; i < pr->n_xf; i++) {
			const struct ike_transform *t = &sa->xf[pr->first + i];

			if (t->unknown_attr)
				continue;
			switch (t->type) {
			case IKE_TT_ENCR:
				if (!have_e && encr_ok(c, t)) {
					cand.encr = t->id;
					cand.encr_bits = t->has_key_len ? t->key_len : 0;
					have_e = true;
				}
				break;
			case IKE_TT_PRF:
				if (!have_p && cfg_has(c->prf, 4, t->id)) {
					cand.prf = t->id;
					have_p = true;
				}
				break;
			case IKE_TT_INTEG:
				if (!have_i && cfg_has(c->integ, 4, t->id)) {
					cand.integ = t->id;
					have_i = true;
				}
				break;
			case IKE_TT_DH:
				if (cfg_has(c->dh, 8, t->id) && (!have_d || t->id == ke_group)) {
					cand.dh = t->id;
					have_d = true;
				}
				break;
			}
		}
		if (have_e && (cand.encr == IKE_ENCR_AES_GCM_16 ||
			       cand.encr == IKE_ENCR_CHACHA20_POLY1305))
			have_i = true, cand.integ = IKE_INTEG_NONE;
		if (have_e && have_p && have_i && have_d) {
			struct ike_alg a;

			if (ike_alg_init(&cand, true, &a) != 0)
				continue;
			*s = cand;
			*prop_num = pr->num;
			return true;
		}
	}
	return false;
}

void ike_chosen_sa(const struct ike_suite *s, uint8_t num, uint64_t spi, struct ike_sa_pl *out)
{
	struct ike_transform *x = out->xf;

	memset(out, 0, sizeof(*out));
	out->n_prop = 1;
	out->prop[0].num = num;
	out->prop[0].proto = IKE_PROTO_IKE;
	if (spi) {
		out->prop[0].spi_len = 8;
		for (int i = 0; i < 8; i++)
			out->prop[0].spi[i] = (uint8_t)(spi >> (56 - 8 * i));
	}
	x[0] = (struct ike_transform){ .type = IKE_TT_ENCR, .id = s->encr,
				       .key_len = s->encr_bits, .has_key_len = s->encr_bits != 0 };
	x[1] = (struct ike_transform){ .type = IKE_TT_PRF, .id = s->prf };
	out->n_xf = 2;
	if (s->integ != IKE_INTEG_NONE)
		x[out->n_xf++] = (struct ike_transform){ .type = IKE_TT_INTEG, .id = s->integ };
	x[out->n_xf++] = (struct ike_transform){ .type = IKE_TT_DH, .id = s->dh };
	out->prop[0].n_xf = (uint16_t)out->n_xf;
}

/* ---- IKE_SA_INIT ----------------------------------------------------------------------------- */

static int req_digest(const uint8_t *buf, size_t len, uint8_t out[32])
{
	const uint8_t *parts[1] = { buf };
	size_t lens[1] = { len };

	return digest("SHA256", parts, lens, 1, out);
}

static bool match_peer(const struct ike_sa *sa, const void *arg)
{
	const struct ike_addr *peer = arg;

	return sa->peer.af == peer->af && !memcmp(sa->peer.addr, peer->addr, 16) &&
	       sa->peer.port == peer->port;
}

static struct ike_sa *find_half_open(struct ike_resp *r, uint64_t spi_i,
				     const struct ike_addr *peer)
{
	return idx_find(r, spi_i, match_peer, peer);
}

/* ---- IKE_SA_INIT's public-key work ------------------------------------------------------------
 * Our key pair, g^ir and the keys are the expensive part of IKE_SA_INIT: with a worker pool
 * (ike_resp_set_workpool()) they are computed on a worker while the SA waits, linked in,
 * in state INIT_WAIT (counted as half-open); without one, right here. What the worker needs
 * is copied into the job: it touches nothing else. The RNG stays on the loop thread. */
struct ike_init_job {
	struct ike_resp *r;
	struct ike_sa *sa;             /**< NULL once cancelled (the SA went away) */
	uint8_t prop_num;
	/* in */
	struct ike_alg alg;
	uint16_t group;
	uint8_t priv[IKE_DH_PRIV_MAX];
	size_t priv_len;
	uint8_t ke[IKE_DH_PUB_MAX];
	size_t ke_len;
	uint8_t ni[256], nr[NONCE_LEN];
	size_t ni_len;
	uint64_t spi_i, spi_r;
	/* out */
	int rc;
	uint8_t pub[IKE_DH_PUB_MAX];
	size_t pub_len;
	struct ike_keys keys;
};

static void init_job_free(struct ike_init_job *j)
{
	if (!j)
		return;
	OPENSSL_cleanse(j, sizeof(*j));
	free(j);
}

/* The worker's part (or the caller's, without a pool). */
static void init_work(void *arg)
{
	struct ike_init_job *j = arg;
	struct ike_dh *dh = NULL;
	uint8_t gir[IKE_DH_SECRET_MAX];
	size_t gir_len = 0;
	const uint8_t *pub;

	j->rc = ike_dh_new_priv(j->group, j->priv, j->priv_len, &dh);
	if (!j->rc)
		j->rc = ike_dh_derive(dh, j->ke, j->ke_len, gir, &gir_len);
	if (!j->rc)
		j->rc = ike_derive_keys(&j->alg, j->ni, j->ni_len, j->nr, sizeof(j->nr), gir,
					gir_len, j->spi_i, j->spi_r, &j->keys, NULL);
	if (!j->rc) {
		pub = ike_dh_pub(dh, &j->pub_len);
		memcpy(j->pub, pub, j->pub_len);
	}
	OPENSSL_cleanse(j->priv, sizeof(j->priv));
	OPENSSL_cleanse(gir, sizeof(gir));
	ike_dh_free(dh);
}

/* The response (§1.2: SA, KE, Nr, NAT detection, [CERTREQ]) from the job's result; the SA
 * becomes INIT_DONE (linked in first when @p linked is false) and the answer leaves. On
 * failure the SA goes (freed, or deleted when linked) and the request is dropped. */
static void init_answer(struct ike_resp *r, struct ike_sa *sa, struct ike_init_job *j,
			bool linked)
{
	static const uint8_t hashes[] = { 0, IKE_HASH_SHA2_256, 0, IKE_HASH_SHA2_384, 0,
					  IKE_HASH_SHA2_512 }; /* RFC 7427 §4 */
	struct ike_sa_pl *chosen = NULL;
	uint8_t *out = NULL, natd[20];
	struct ike_bld b;
	struct ike_hdr h;
	size_t len;

	if (j->rc) {
		RP_LOG_RL(RP_LOG_WARN, "ike", "IKE_SA %016llx_i %016llx_r: %s: %s",
			  (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
			  ike_dh_name(j->group), strerror(-j->rc));
		goto fail;
	}
	sa->keys = j->keys;
	chosen = calloc(1, sizeof(*chosen));
	out = malloc(MSG_BUF);
	if (!chosen || !out)
		goto fail;
	h = (struct ike_hdr){ .spi_i = sa->spi_i, .spi_r = sa->spi_r,
			      .exchange = IKE_XCHG_IKE_SA_INIT, .flags = IKE_HDR_F_R };
	ike_chosen_sa(&sa->alg.s, j->prop_num, 0, chosen);
	ike_bld_init(&b, out, MSG_BUF, &h);
	ike_bld_sa(&b, chosen);
	ike_bld_ke(&b, j->group, j->pub, j->pub_len);
	ike_bld_data(&b, IKE_PL_NONCE, sa->nr, sizeof(sa->nr));
	if (ike_natd_hash(sa->spi_i, sa->spi_r, &sa->local, natd))
		goto fail;
	ike_bld_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, natd, 20);
	if (ike_natd_hash(sa->spi_i, sa->spi_r, &sa->peer, natd))
		goto fail;
	ike_bld_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, natd, 20);
	ike_bld_notify(&b, 0, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	ike_bld_notify(&b, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, hashes, sizeof(hashes));
	/* §3.7: the CAs we trust, when certificates are in use */
	if (r->certreq_len)
		ike_bld_cert(&b, IKE_PL_CERTREQ, IKE_CERT_X509_SIG, r->certreq, r->certreq_len);
	len = ike_bld_finish(&b);
	if (!len)
		goto fail;
	sa->init_resp = malloc(len);
	sa->last_resp = malloc(len);
	if (!sa->init_resp || !sa->last_resp)
		goto fail;
	memcpy(sa->init_resp, out, len);
	sa->init_resp_len = len;
	memcpy(sa->last_resp, out, len);
	sa->last_resp_len = len;
	sa->last_msg_id = 0;
	sa->next_msg_id = 1;
	/* commit */
	if (!linked) {
		ike_sa_link(r, sa);
		sa->created_ms = r->now_ms;
		ike_dpd_sa_new(r, sa);
	}
	ike_sa_set_state(r, sa, IKE_SA_INIT_DONE);
	if (sa->peer_nat || sa->local_nat)
		RP_LOG_RL(RP_LOG_INFO, "ike", "IKE_SA %016llx_i %016llx_r: NAT detected (§2.23): "
			  "%s; UDP encapsulation, NAT-T port", (unsigned long long)sa->spi_i,
			  (unsigned long long)sa->spi_r,
			  sa->peer_nat && sa->local_nat ? "both ends behind NATs" :
			  sa->peer_nat ? "the peer is behind a NAT" : "we are behind a NAT");
	r->send(r->send_arg, sa->last_resp, sa->last_resp_len, &sa->local, &sa->peer);
	free(chosen);
	free(out);
	return;
fail:
	r->st.dropped++;
	RP_LOG_RL(RP_LOG_WARN, "ike", "IKE_SA_INIT from peer failed internally, dropped");
	free(chosen);
	free(out);
	if (linked)
		ike_sa_delete(r, sa, false);
	else
		sa_free(sa);
}

/* On the loop: the worker is done with @p arg (or it was cancelled, or never ran). */
static void init_done(void *arg, bool ok)
{
	struct ike_init_job *j = arg;
	struct ike_sa *sa = j->sa;

	if (sa) {
		sa->init_job = NULL;
		if (!ok)
			j->rc = -ECANCELED; /* the pool stopped first: the SA goes */
		init_answer(j->r, sa, j, true);
	}
	init_job_free(j);
}

void ike_sa_init_cancel(struct ike_resp *r, struct ike_sa *sa)
{
	struct ike_init_job *j = sa->init_job;

	if (!j)
		return;
	sa->init_job = NULL;
	j->sa = NULL;
	wp_cancel(r->wp, j); /* init_done() frees it, without a word */
}

void ike_resp_set_workpool(struct ike_resp *r, struct workpool *wp)
{
	r->wp = wp;
}

static void process_init(struct ike_resp *r, const struct ike_msg *m, const struct ike_addr *peer,
			 const struct ike_addr *local)
{
	const struct ike_pl *ke = ike_msg_find(m, IKE_PL_KE, NULL);
	const struct ike_pl *ni = ike_msg_find(m, IKE_PL_NONCE, NULL);
	const struct ike_pl *n;
	struct ike_sa *sa = NULL, *old;
	struct ike_init_job *j = NULL;
	const struct ike_policy *pol;
	struct ike_suite s;
	uint8_t dig[32], natd[20], prop_num = 0;
	int rc;

	if (m->hdr.spi_r != 0 || m->hdr.msg_id != 0 || !ke || !ni ||
	    !ike_msg_find(m, IKE_PL_SA, NULL)) {
		r->st.dropped++;
		goto out;
	}
	/* §2.1 retransmission: the same request gets the same bytes back */
	old = find_half_open(r, m->hdr.spi_i, peer);
	if (old) {
		if (!req_digest(m->raw.p, m->raw.len, dig) && old->last_msg_id == 0 &&
		    !CRYPTO_memcmp(dig, old->last_req_digest, 32) &&
		    (old->last_resp || old->state == IKE_SA_INIT_WAIT)) {
			r->st.retransmits += old->last_resp != NULL;
			r->st.in_progress += old->last_resp == NULL; /* DH still running */
			if (old->last_resp)
				r->send(r->send_arg, old->last_resp, old->last_resp_len, local, peer);
		} else {
			r->st.dropped++;
		}
		goto out;
	}
	/* §2.6: past the threshold, no state until the peer returns a valid cookie */
	if (r->st.half_open >= r->cfg.cookie_threshold) {
		uint8_t want[33];

		n = m->n ? &m->pl[0] : NULL;
		if (cookie_make(r, ni->f.data.p, ni->f.data.len, peer, m->hdr.spi_i, want)) {
			r->st.dropped++;
			goto out;
		}
		if (!n || n->type != IKE_PL_NOTIFY || n->f.u16a != IKE_N_COOKIE ||
		    n->f.data.len != sizeof(want) ||
		    CRYPTO_memcmp(n->f.data.p, want, sizeof(want))) {
			r->st.cookies_sent++;
			send_plain_notify(r, m, IKE_N_COOKIE, want, sizeof(want), peer, local);
			goto out;
		}
	}
	/* limits on what strangers make us keep: globally and per source address (with
	 * cookies on, only peers that can receive at their address get this far) */
	if (r->st.half_open >= r->cfg.max_half_open) {
		r->st.half_open_refused++;
		r->st.dropped++;
		RP_LOG_RL(RP_LOG_NOTICE, "ike", "IKE_SA_INIT refused: %u half-open SAs "
			  "(ike.max_half_open)", r->st.half_open);
		goto out;
	}
	if (ike_dpd_half_open_from(r, peer) >= r->cfg.max_half_open_per_peer) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(peer->af == 6 ? AF_INET6 : AF_INET, peer->addr, a, sizeof(a));
		r->st.half_open_peer_refused++;
		r->st.dropped++;
		RP_LOG_RL(RP_LOG_NOTICE, "ike", "IKE_SA_INIT from %s refused: %u half-open SAs "
			  "from that address (ike.max_half_open_per_peer)", a,
			  r->cfg.max_half_open_per_peer);
		goto out;
	}
	pol = ike_policy_find(r, local); /* IKEv2 policy by local address (ike_policy.c) */
	if (!ike_policy_select_ike(r, pol, peer, local, &m->sa, ke->f.u16a, 0, &s, &prop_num)) {
		r->st.no_proposal++;
		send_plain_notify(r, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0, peer, local);
		goto out;
	}
	if (ke->f.u16a != s.dh) {
		uint8_t g[2] = { (uint8_t)(s.dh >> 8), (uint8_t)s.dh };

		/* §1.3: name a group from the accepted proposal, our preferred one if offered */
		r->st.invalid_ke++;
		send_plain_notify(r, m, IKE_N_INVALID_KE_PAYLOAD, g, 2, peer, local);
		goto out;
	}
	if (ike_dh_check_peer(s.dh, ke->f.data.p, ke->f.data.len)) {
		RP_LOG_RL(RP_LOG_NOTICE, "ike", "IKE_SA_INIT: invalid %s public value, dropped",
			  ike_dh_name(s.dh));
		r->st.dropped++;
		goto out;
	}
	/* compute on a copy; link it in only when everything worked (or, with a worker pool,
	 * in state INIT_WAIT until the worker is done) */
	sa = calloc(1, sizeof(*sa));
	j = calloc(1, sizeof(*j));
	if (!sa || !j || ike_alg_init(&s, true, &sa->alg))
		goto fail;
	sa->spi_i = m->hdr.spi_i;
	sa->peer = *peer;
	sa->local = *local;
	sa->ike_policy = pol;
	sa->ni_len = ni->f.data.len;
	memcpy(sa->ni, ni->f.data.p, sa->ni_len);
	if (ike_random(&r->rng, &sa->spi_r, sizeof(sa->spi_r)) || !sa->spi_r ||
	    ike_random(&r->rng, sa->nr, sizeof(sa->nr)) ||
	    ike_dh_draw_priv(s.dh, &r->rng, j->priv, &j->priv_len) ||
	    ke->f.data.len > sizeof(j->ke) || sa->ni_len > sizeof(j->ni))
		goto fail;
	/* §2.23: compare the peer's NAT_DETECTION_SOURCE_IP with what we see */
	sa->peer_nat = false;
	if (ike_msg_notify(m, IKE_N_NAT_DETECTION_SOURCE_IP)) {
		bool match = false;

		if (ike_natd_hash(sa->spi_i, 0, peer, natd))
			goto fail;
		for (n = NULL; (n = ike_msg_find(m, IKE_PL_NOTIFY, n));)
			if (n->f.u16a == IKE_N_NAT_DETECTION_SOURCE_IP && n->f.data.len == 20 &&
			    !CRYPTO_memcmp(n->f.data.p, natd, 20))
				match = true;
		sa->peer_nat = !match;
		sa->natd_seen = true;
	}
	/* RFC 7427 §4: the hashes the peer can verify (and sign with) */
	n = ike_msg_notify(m, IKE_N_SIGNATURE_HASH_ALGORITHMS);
	for (size_t i = 0; n && i + 1 < n->f.data.len; i += 2) {
		unsigned hid = (unsigned)n->f.data.p[i] << 8 | n->f.data.p[i + 1];

		if (hid < 16)
			sa->sig_hashes |= (uint16_t)(1u << hid);
	}
	sa->peer_frag = ike_msg_notify(m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
	sa->peer_vendor = (uint8_t)ike_cfg_vendor_flags(m); /* who gets Cisco attributes */
	/* ...and its NAT_DETECTION_DESTINATION_IP with our address: are we behind a NAT? */
	n = ike_msg_notify(m, IKE_N_NAT_DETECTION_DESTINATION_IP);
	if (n) {
		if (ike_natd_hash(sa->spi_i, 0, local, natd))
			goto fail;
		sa->local_nat = n->f.data.len != 20 || CRYPTO_memcmp(n->f.data.p, natd, 20) != 0;
	}
	sa->init_req = malloc(m->raw.len);
	if (!sa->init_req || req_digest(m->raw.p, m->raw.len, sa->last_req_digest))
		goto fail;
	memcpy(sa->init_req, m->raw.p, m->raw.len);
	sa->init_req_len = m->raw.len;
	/* the worker's copy */
	j->r = r;
	j->prop_num = prop_num;
	j->alg = sa->alg;
	j->group = s.dh;
	memcpy(j->ke, ke->f.data.p, ke->f.data.len);
	j->ke_len = ke->f.data.len;
	memcpy(j->ni, sa->ni, sa->ni_len);
	j->ni_len = sa->ni_len;
	memcpy(j->nr, sa->nr, sizeof(j->nr));
	j->spi_i = sa->spi_i;
	j->spi_r = sa->spi_r;
	if (!r->wp) {
		init_work(j);
		init_answer(r, sa, j, false); /* takes the SA */
		sa = NULL;
		goto out;
	}
	rc = wp_submit(r->wp, init_work, init_done, j);
	if (rc) {
		/* the workers are that far behind: the peer retries later */
		r->st.crypto_busy++;
		r->st.dropped++;
		RP_LOG_RL(RP_LOG_NOTICE, "ike", "IKE_SA_INIT refused: %s", rc == -EAGAIN ?
			  "public-key work queue full (ike.crypto_threads busy)" : strerror(-rc));
		goto out;
	}
	j->sa = sa;
	sa->init_job = j;
	j = NULL;
	ike_sa_link(r, sa);
	sa->created_ms = r->now_ms;
	ike_dpd_sa_new(r, sa);
	ike_sa_set_state(r, sa, IKE_SA_INIT_WAIT);
	sa = NULL;
	goto out;
fail:
	r->st.dropped++;
	RP_LOG_RL(RP_LOG_WARN, "ike", "IKE_SA_INIT from peer failed internally, dropped");
out:
	sa_free(sa);
	init_job_free(j);
}

struct ike_sa *ike_sa_inject(struct ike_resp *r, const struct ike_suite *s,
			     const struct ike_keys *k, const uint8_t *init_req, size_t req_len,
			     const uint8_t *init_resp, size_t resp_len,
			     const struct ike_addr *peer, const struct ike_addr *local)
{
	struct ike_msg *m = malloc(sizeof(*m));
	const struct ike_pl *ni, *nr;
	struct ike_sa *sa = calloc(1, sizeof(*sa));

	if (!m || !sa || ike_alg_init(s, true, &sa->alg) ||
	    ike_msg_parse(init_req, req_len, m, NULL) != IKE_PERR_OK ||
	    !(ni = ike_msg_find(m, IKE_PL_NONCE, NULL)) || ni->f.data.len > sizeof(sa->ni))
		goto fail;
	sa->spi_i = m->hdr.spi_i;
	sa->ni_len = ni->f.data.len;
	memcpy(sa->ni, ni->f.data.p, sa->ni_len);
	/* the capture has no NAT: only whether NAT detection took place matters here */
	sa->natd_seen = ike_msg_notify(m, IKE_N_NAT_DETECTION_SOURCE_IP) != NULL;
	if (ike_msg_parse(init_resp, resp_len, m, NULL) != IKE_PERR_OK ||
	    !(nr = ike_msg_find(m, IKE_PL_NONCE, NULL)) || nr->f.data.len != sizeof(sa->nr))
		goto fail;
	sa->spi_r = m->hdr.spi_r;
	memcpy(sa->nr, nr->f.data.p, sizeof(sa->nr));
	sa->keys = *k;
	sa->peer = *peer;
	sa->local = *local;
	sa->init_req = malloc(req_len);
	sa->init_resp = malloc(resp_len);
	if (!sa->init_req || !sa->init_resp)
		goto fail;
	memcpy(sa->init_req, init_req, req_len);
	sa->init_req_len = req_len;
	memcpy(sa->init_resp, init_resp, resp_len);
	sa->init_resp_len = resp_len;
	sa->next_msg_id = 1;
	sa->created_ms = r->now_ms;
	ike_dpd_sa_new(r, sa);
	ike_sa_link(r, sa);
	ike_sa_set_state(r, sa, IKE_SA_INIT_DONE);
	free(m);
	return sa;
fail:
	free(m);
	sa_free(sa);
	return NULL;
}

/* ---- encrypted exchanges ---------------------------------------------------------------- */

static void send_cached(struct ike_resp *r, struct ike_sa *sa, const struct ike_addr *peer,
			const struct ike_addr *local)
{
	r->st.retransmits++;
	/* RFC 7383 §2.5: a fragmented answer goes again whole, every fragment as it was */
	ike_frag_send(r, sa->last_resp, sa->last_resp_len, sa->last_resp_flen,
		      sa->last_resp_nfrag, local, peer);
}

/* The task driver: see ike_priv.h. */
void ike_task_resume(struct ike_task *t, enum ike_task_rc rc)
{
	struct ike_resp *r = t->r;
	struct ike_sa *sa = t->sa;
	uint8_t *inner = NULL, *out = NULL;
	uint16_t *flen = NULL;
	unsigned nfrag = 0;
	struct ike_bld b;
	struct ike_hdr h;
	size_t ilen, olen;

	if (rc == IKE_TASK_NEED_MORE) {
		sa->task = t;
		return;
	}
	sa->task = NULL;
	if (rc == IKE_TASK_DONE) {
		/* room for a certificate chain; sealed into a buffer of the message's size */
		inner = malloc(IKE_MSG_OUT_MAX);
		rc = IKE_TASK_FAILED;
		if (inner) {
			ike_bld_init_chain(&b, inner, IKE_MSG_OUT_MAX);
			rc = t->ops->build(t, &b);
		}
	}
	if (rc == IKE_TASK_DONE) {
		ilen = ike_bld_finish(&b);
		h = (struct ike_hdr){ .spi_i = sa->spi_i, .spi_r = sa->spi_r,
				      .exchange = t->exchange,
				      .flags = IKE_HDR_F_R | ike_sa_our_flags(sa),
				      .msg_id = t->msg_id };
		if ((!ilen && b.w.err) ||
		    ike_frag_seal(r, sa, &h, ike_bld_first(&b), inner, ilen, &t->peer, &out,
				  &olen, &flen, &nfrag))
			rc = IKE_TASK_FAILED;
	}
	if (rc != IKE_TASK_DONE) {
		/* no answer: the peer retransmits and the request is processed afresh */
		r->st.dropped++;
		RP_LOG_RL(RP_LOG_WARN, "ike", "IKE_SA %016llx_i %016llx_r: %s #%u failed, no answer",
			  (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
			  t->ops->name, t->msg_id);
		t->ops->destroy(t);
		goto out;
	}
	/* §2.1: cache the answer for retransmissions of this request */
	free(sa->last_resp);
	free(sa->last_resp_flen);
	sa->last_resp = out;
	sa->last_resp_len = olen;
	sa->last_resp_flen = flen;
	sa->last_resp_nfrag = nfrag;
	sa->last_msg_id = t->msg_id;
	memcpy(sa->last_req_digest, t->req_digest, 32);
	sa->next_msg_id = t->msg_id + 1;
	out = NULL;
	flen = NULL;
	ike_frag_send(r, sa->last_resp, sa->last_resp_len, sa->last_resp_flen,
		      sa->last_resp_nfrag, &t->local, &t->peer);
	t->ops->commit(t); /* may delete the SA */
	t->ops->destroy(t);
out:
	if (inner)
		OPENSSL_cleanse(inner, b.w.len); /* what build() wrote */
	free(inner);
	free(out);
	free(flen);
}

static void process_encrypted(struct ike_resp *r, struct ike_msg *m, const struct ike_addr *peer,
			      const struct ike_addr *local)
{
	struct ike_sa *sa = ike_resp_find(r, m->hdr.spi_i, m->hdr.spi_r);
	const struct ike_pl *sk = m->n ? &m->pl[m->n - 1] : NULL;
	uint8_t *plain = NULL, *whole = NULL, dig[32], first;
	size_t plen = 0, wlen = 0;
	struct ike_task *t = NULL;
	enum ike_task_rc rc;
	int fr;

	/* the peer's requests carry the Initiator flag iff it is the original initiator */
	if (!sa || !sk || (sk->type != IKE_PL_SK && sk->type != IKE_PL_SKF) ||
	    (sa->state != IKE_SA_INIT_DONE && sa->state != IKE_SA_ESTABLISHED &&
	     sa->state != IKE_SA_REKEYED) ||
	    !(m->hdr.flags & IKE_HDR_F_I) != sa->initiator) {
		r->st.dropped++;
		goto out;
	}
	/* §2.1: a retransmitted request gets the cached response again */
	if (sa->last_resp && m->hdr.msg_id == sa->last_msg_id) {
		if (sk->type == IKE_PL_SK && !req_digest(m->raw.p, m->raw.len, dig) &&
		    !CRYPTO_memcmp(dig, sa->last_req_digest, 32)) {
			send_cached(r, sa, peer, local);
			goto out;
		}
		/* RFC 7383 §2.6.1: answer a retransmitted first fragment, once it verifies */
		if (sk->type == IKE_PL_SKF && sk->f.u16a == 1) {
			plain = malloc(m->raw.len);
			if (plain && !ike_sk_open(&sa->alg, ike_sa_peer_ekey(sa),
						  ike_sa_peer_akey(sa), m, plain, m->raw.len,
						  &plen)) {
				send_cached(r, sa, peer, local);
				goto out;
			}
		}
		r->st.dropped++;
		goto out;
	}
	if (m->hdr.msg_id != sa->next_msg_id) {
		r->st.bad_msg_id++;
		r->st.dropped++;
		goto out;
	}
	if (sa->task) {
		r->st.in_progress++; /* retransmission while we work on it */
		goto out;
	}
	plain = malloc(m->raw.len);
	if (!plain || ike_sk_open(&sa->alg, ike_sa_peer_ekey(sa), ike_sa_peer_akey(sa), m, plain,
				  m->raw.len, &plen)) {
		r->st.decrypt_failed++;
		r->st.dropped++;
		RP_LOG_RL(RP_LOG_INFO, "ike", "IKE_SA %016llx_i %016llx_r: #%u does not verify, "
			  "dropped", (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
			  m->hdr.msg_id);
		goto out;
	}
	first = m->sk_next;
	if (sk->type == IKE_PL_SKF) {
		fr = ike_frag_add(&sa->frag, m, plain, plen, &whole, &wlen, &first);
		if (fr <= 0) {
			if (fr < 0)
				r->st.dropped++;
			goto out;
		}
	}
	if (req_digest(m->raw.p, m->raw.len, dig) ||
	    ike_payloads_parse(first, whole ? whole : plain, whole ? wlen : plen, m, NULL) !=
		    IKE_PERR_OK) {
		/* authenticated but malformed: INVALID_SYNTAX would be due (§2.21.2); drop */
		r->st.dropped++;
		goto out;
	}
	/* authentic and new: a sign of life, and where the peer is now (§2.23) */
	ike_dpd_heard(r, sa, peer, local);
	if (sa->live.clearing && m->hdr.exchange != IKE_XCHG_INFORMATIONAL) {
		r->st.dropped++; /* being deleted by the operator: no new CHILD_SAs */
		goto out;
	}
	switch (m->hdr.exchange) {
	case IKE_XCHG_IKE_AUTH:
		if (sa->state == IKE_SA_INIT_DONE)
			t = ike_auth_task_new(r, sa);
		break;
	case IKE_XCHG_INFORMATIONAL:
		/* a rekeyed IKE SA still answers INFORMATIONAL: the peer deletes it so (§2.18) */
		if (sa->state == IKE_SA_ESTABLISHED || sa->state == IKE_SA_REKEYED)
			t = ike_info_task_new(r, sa);
		break;
	case IKE_XCHG_CREATE_CHILD_SA:
		if (sa->state == IKE_SA_ESTABLISHED)
			t = ike_create_task_new(r, sa);
		break;
	default:
		break;
	}
	if (!t) {
		r->st.dropped++;
		goto out;
	}
	t->msg_id = m->hdr.msg_id;
	t->exchange = m->hdr.exchange;
	t->peer = *peer;
	t->local = *local;
	memcpy(t->req_digest, dig, 32);
	rc = t->ops->process(t, m);
	ike_task_resume(t, rc);
out:
	if (plain)
		OPENSSL_cleanse(plain, m->raw.len);
	if (whole)
		OPENSSL_cleanse(whole, wlen);
	free(plain);
	free(whole);
}

void ike_resp_input(struct ike_resp *r, const uint8_t *buf, size_t len,
		    const struct ike_addr *peer, const struct ike_addr *local)
{
	struct ike_msg *m = malloc(sizeof(*m));
	struct ike_perr_info info;
	enum ike_perr e;

	r->st.rx++;
	if (!m) {
		r->st.dropped++;
		return;
	}
	e = ike_msg_parse(buf, len, m, &info);
	if (e != IKE_PERR_OK) {
		/* unauthenticated garbage gets no answer (§2.21.1), except the critical case */
		if (e == IKE_PERR_CRITICAL && m->hdr.exchange == IKE_XCHG_IKE_SA_INIT &&
		    !(m->hdr.flags & IKE_HDR_F_R)) {
			uint8_t t = info.pl_type;

			send_plain_notify(r, m, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, &t, 1, peer, local);
		}
		RP_LOG_RL(RP_LOG_INFO, "ike", "dropped message: %s", info.why ? info.why : "?");
		r->st.dropped++;
		goto out;
	}
	if (m->hdr.flags & IKE_HDR_F_R) {
		ike_req_input(r, m, peer, local); /* an answer to one of our requests */
		goto out;
	}
	switch (m->hdr.exchange) {
	case IKE_XCHG_IKE_SA_INIT:
		if (m->hdr.flags & IKE_HDR_F_I)
			process_init(r, m, peer, local);
		else
			r->st.dropped++;
		break;
	case IKE_XCHG_IKE_AUTH:
	case IKE_XCHG_CREATE_CHILD_SA:
	case IKE_XCHG_INFORMATIONAL:
		process_encrypted(r, m, peer, local);
		break;
	default:
		r->st.dropped++;
		break;
	}
out:
	free(m);
}
