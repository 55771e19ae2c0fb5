/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* IKEv2 responder: IKE_SA_INIT (RFC 7296 §1.2, §2.6, §2.23). See ike_sa.h. */
#include "controlplane/ike/ike_sa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/log.h"

#define NONCE_LEN 32
#define MSG_BUF 4096

struct ike_sa {
	struct ike_sa *next;
	enum ike_sa_state state;
	uint64_t spi_i, spi_r;
	struct ike_addr peer, local;
	struct ike_alg alg;
	struct ike_keys keys;
	uint8_t ni[256], nr[NONCE_LEN];
	size_t ni_len;
	bool peer_nat, local_nat;
	/* §2.15 needs the IKE_SA_INIT messages for AUTH */
	uint8_t *init_req, *init_resp;
	size_t init_req_len, init_resp_len;
	/* retransmission: the last request's digest and our answer (§2.1) */
	uint32_t last_msg_id;
	uint8_t last_req_digest[32];
	uint8_t *last_resp;
	size_t last_resp_len;
};

struct ike_resp {
	struct ike_resp_cfg cfg;
	struct ike_rng rng;
	ike_send_fn send;
	void *send_arg;
	struct ike_sa *sas;
	struct ike_resp_stats st;
	uint8_t cookie_secret[32];
	uint8_t cookie_version;
};

static const char *const state_names[] = {
#define X(n) #n,
	IKE_SA_STATES(X)
#undef X
};

const char *ike_sa_state_name(enum ike_sa_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

/* The one place an SA changes state. */
static void sa_set_state(struct ike_resp *r, struct ike_sa *sa, enum ike_sa_state to)
{
	RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: %s -> %s", (unsigned long long)sa->spi_i,
		(unsigned long long)sa->spi_r, ike_sa_state_name(sa->state), ike_sa_state_name(to));
	if (sa->state == IKE_SA_INIT_DONE && to != IKE_SA_INIT_DONE)
		r->st.half_open--;
	if (to == IKE_SA_INIT_DONE && sa->state != IKE_SA_INIT_DONE)
		r->st.half_open++;
	sa->state = to;
}

static void sa_free(struct ike_sa *sa)
{
	if (!sa)
		return;
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->last_resp);
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
	while (r->sas) {
		struct ike_sa *n = r->sas->next;

		sa_free(r->sas);
		r->sas = n;
	}
	OPENSSL_cleanse(r->cookie_secret, sizeof(r->cookie_secret));
	free(r);
}

void ike_resp_get_stats(const struct ike_resp *r, struct ike_resp_stats *st)
{
	*st = r->st;
}

struct ike_sa *ike_resp_find(struct ike_resp *r, uint64_t spi_i, uint64_t spi_r)
{
	for (struct ike_sa *sa = r->sas; sa; sa = sa->next)
		if (sa->spi_i == spi_i && sa->spi_r == spi_r)
			return sa;
	return NULL;
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
	if (n)
		r->send(r->send_arg, buf, n, local, peer);
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
static bool select_ike(const struct ike_resp_cfg *c, const struct ike_sa_pl *sa, uint16_t ke_group,
		       struct ike_suite *s, uint8_t *prop_num)
{
	for (unsigned p = 0; p < sa->n_prop; p++) {
		const struct ike_proposal *pr = &sa->prop[p];
		struct ike_suite cand = { 0 };
		bool have_e = false, have_p = false, have_i = false, have_d = false;

		if (pr->proto != IKE_PROTO_IKE || pr->spi_len != 0)
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

static void chosen_sa(const struct ike_suite *s, uint8_t num, struct ike_sa_pl *out)
{
	struct ike_transform *x = out->xf;

	memset(out, 0, sizeof(*out));
	out->n_prop = 1;
	out->prop[0].num = num;
	out->prop[0].proto = IKE_PROTO_IKE;
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

static struct ike_sa *find_half_open(struct ike_resp *r, uint64_t spi_i,
				     const struct ike_addr *peer)
{
	for (struct ike_sa *sa = r->sas; sa; sa = sa->next)
		if (sa->spi_i == spi_i && sa->peer.af == peer->af &&
		    !memcmp(sa->peer.addr, peer->addr, 16) && sa->peer.port == peer->port)
			return sa;
	return NULL;
}

static void process_init(struct ike_resp *r, const struct ike_msg *m, const struct ike_addr *peer,
			 const struct ike_addr *local)
{
	const struct ike_pl *ke = ike_msg_find(m, IKE_PL_KE, NULL);
	const struct ike_pl *ni = ike_msg_find(m, IKE_PL_NONCE, NULL);
	const struct ike_pl *n;
	struct ike_sa *sa = NULL, *old;
	struct ike_dh *dh = NULL;
	struct ike_suite s;
	struct ike_sa_pl *chosen = NULL;
	uint8_t gir[IKE_DH_SECRET_MAX], dig[32], natd[20], prop_num = 0;
	uint8_t *out = NULL;
	size_t gir_len = 0, pub_len, len;
	const uint8_t *pub;
	struct ike_bld b;
	struct ike_hdr h;

	if (m->hdr.spi_r != 0 || m->hdr.msg_id != 0 || !ke || !ni ||
	    !ike_msg_find(m, IKE_PL_SA, NULL)) {
		r->st.dropped++;
		goto out;
	}
	/* §2.1 retransmission: the same request gets the same bytes back */
	old = find_half_open(r, m->hdr.spi_i, peer);
	if (old) {
		if (!req_digest(m->raw.p, m->raw.len, dig) && old->last_resp &&
		    old->last_msg_id == 0 && !CRYPTO_memcmp(dig, old->last_req_digest, 32)) {
			r->st.retransmits++;
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
	if (r->st.half_open >= r->cfg.max_half_open) {
		r->st.dropped++;
		goto out;
	}
	chosen = calloc(1, sizeof(*chosen));
	if (!chosen)
		goto out;
	if (!select_ike(&r->cfg, &m->sa, ke->f.u16a, &s, &prop_num)) {
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
	/* compute on a copy; link it in only when everything worked */
	sa = calloc(1, sizeof(*sa));
	if (!sa || ike_alg_init(&s, true, &sa->alg))
		goto fail;
	sa->spi_i = m->hdr.spi_i;
	sa->peer = *peer;
	sa->local = *local;
	sa->ni_len = ni->f.data.len;
	memcpy(sa->ni, ni->f.data.p, sa->ni_len);
	if (ike_random(&r->rng, &sa->spi_r, sizeof(sa->spi_r)) || !sa->spi_r ||
	    ike_random(&r->rng, sa->nr, sizeof(sa->nr)) || ike_dh_new(s.dh, &r->rng, &dh) ||
	    ike_dh_derive(dh, ke->f.data.p, ke->f.data.len, gir, &gir_len) ||
	    ike_derive_keys(&sa->alg, sa->ni, sa->ni_len, sa->nr, sizeof(sa->nr), gir, gir_len,
			    sa->spi_i, sa->spi_r, &sa->keys, NULL))
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
	}
	out = malloc(MSG_BUF);
	if (!out)
		goto fail;
	h = (struct ike_hdr){ .spi_i = sa->spi_i, .spi_r = sa->spi_r,
			      .exchange = IKE_XCHG_IKE_SA_INIT, .flags = IKE_HDR_F_R };
	chosen_sa(&s, prop_num, chosen);
	pub = ike_dh_pub(dh, &pub_len);
	ike_bld_init(&b, out, MSG_BUF, &h);
	ike_bld_sa(&b, chosen);
	ike_bld_ke(&b, s.dh, pub, pub_len);
	ike_bld_data(&b, IKE_PL_NONCE, sa->nr, sizeof(sa->nr));
	if (ike_natd_hash(sa->spi_i, sa->spi_r, local, natd))
		goto fail;
	ike_bld_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, natd, 20);
	if (ike_natd_hash(sa->spi_i, sa->spi_r, peer, natd))
		goto fail;
	ike_bld_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, natd, 20);
	ike_bld_notify(&b, 0, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	{
		/* RFC 7427 §4: SHA2-256, SHA2-384, SHA2-512 */
		static const uint8_t hashes[] = { 0, IKE_HASH_SHA2_256, 0, IKE_HASH_SHA2_384, 0,
						  IKE_HASH_SHA2_512 };

		ike_bld_notify(&b, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, hashes,
			       sizeof(hashes));
	}
	len = ike_bld_finish(&b);
	if (!len)
		goto fail;
	sa->init_req = malloc(m->raw.len);
	sa->init_resp = malloc(len);
	sa->last_resp = malloc(len);
	if (!sa->init_req || !sa->init_resp || !sa->last_resp ||
	    req_digest(m->raw.p, m->raw.len, sa->last_req_digest))
		goto fail;
	memcpy(sa->init_req, m->raw.p, m->raw.len);
	sa->init_req_len = m->raw.len;
	memcpy(sa->init_resp, out, len);
	sa->init_resp_len = len;
	memcpy(sa->last_resp, out, len);
	sa->last_resp_len = len;
	sa->last_msg_id = 0;
	/* commit */
	sa->next = r->sas;
	r->sas = sa;
	r->st.sas++;
	sa_set_state(r, sa, IKE_SA_INIT_DONE);
	r->send(r->send_arg, out, len, local, peer);
	sa = NULL;
	goto out;
fail:
	r->st.dropped++;
	RP_LOG_RL(RP_LOG_WARN, "ike", "IKE_SA_INIT from peer failed internally, dropped");
out:
	sa_free(sa);
	ike_dh_free(dh);
	free(chosen);
	free(out);
	OPENSSL_cleanse(gir, sizeof(gir));
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
	if (m->hdr.flags & IKE_HDR_F_R || !(m->hdr.flags & IKE_HDR_F_I)) {
		r->st.dropped++; /* we are only a responder for now */
		goto out;
	}
	switch (m->hdr.exchange) {
	case IKE_XCHG_IKE_SA_INIT:
		process_init(r, m, peer, local);
		break;
	default:
		/* IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL: not implemented yet */
		r->st.dropped++;
		break;
	}
out:
	free(m);
}
