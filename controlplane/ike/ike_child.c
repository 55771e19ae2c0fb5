/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* CHILD_SAs of IKE_AUTH and CREATE_CHILD_SA: ESP proposal selection (RFC 7296 §2.7, §3.3)
 * with PFS groups (§1.3.1), config mode (§2.19, §3.15), traffic selector narrowing (§2.9),
 * key material (§2.17) turned into the dataplane's SA records (common/msg.h); the list of
 * CHILD_SAs of an IKE SA. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/cursor.h"
#include "common/log.h"
#include "controlplane/ike/ike_priv.h"
#include "controlplane/policy/policy.h"
#include "controlplane/pool/pool_set.h"

/* Used when the configuration names no ESP algorithm. */
static const uint16_t def_encr[] = { IKE_ENCR_AES_GCM_16, IKE_ENCR_AES_GCM_16,
				     IKE_ENCR_CHACHA20_POLY1305, IKE_ENCR_AES_CBC,
				     IKE_ENCR_AES_CBC, 0 };
static const uint16_t def_bits[] = { 256, 128, 0, 256, 128, 0 };
static const uint16_t def_integ[] = { IKE_INTEG_HMAC_SHA2_256_128, IKE_INTEG_HMAC_SHA2_384_192,
				      IKE_INTEG_HMAC_SHA2_512_256, 0 };

#define DEFAULT_REPLAY_WINDOW 128

void ike_child_req_parse(const struct ike_msg *m, struct ike_child_req *out)
{
	memset(out, 0, sizeof(*out));
	if (ike_msg_find(m, IKE_PL_SA, NULL) && ike_msg_find(m, IKE_PL_TSI, NULL) &&
	    ike_msg_find(m, IKE_PL_TSR, NULL)) {
		out->present = true;
		out->sa = m->sa;
		out->tsi = m->tsi;
		out->tsr = m->tsr;
	}
	ike_cfg_req_parse(m, &out->cp);
}

/* ---- ESP proposal ----------------------------------------------------------------------- */

static int rp_cipher_of(const struct ike_suite *s)
{
	switch (s->encr) {
	case IKE_ENCR_AES_GCM_16:
		return s->encr_bits == 128 ? RP_CIPHER_AES_GCM_128 :
		       s->encr_bits == 256 ? RP_CIPHER_AES_GCM_256 : -1;
	case IKE_ENCR_AES_CBC:
		return s->encr_bits == 128 ? RP_CIPHER_AES_CBC_128 :
		       s->encr_bits == 256 ? RP_CIPHER_AES_CBC_256 : -1;
	case IKE_ENCR_CHACHA20_POLY1305:
		return s->encr_bits == 0 ? RP_CIPHER_CHACHA20_POLY1305 : -1;
	}
	return -1;
}

static int rp_integ_of(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_NONE: return RP_INTEG_NONE;
	case IKE_INTEG_HMAC_SHA1_96: return RP_INTEG_HMAC_SHA1_96;
	case IKE_INTEG_HMAC_SHA2_256_128: return RP_INTEG_HMAC_SHA256_128;
	case IKE_INTEG_HMAC_SHA2_384_192: return RP_INTEG_HMAC_SHA384_192;
	case IKE_INTEG_HMAC_SHA2_512_256: return RP_INTEG_HMAC_SHA512_256;
	}
	return -1;
}

static bool esp_encr_ok(const struct ike_resp_cfg *c, const struct ike_transform *t)
{
	const uint16_t *e = c->esp_encr[0] ? c->esp_encr : def_encr;
	const uint16_t *b = c->esp_encr[0] ? c->esp_encr_bits : def_bits;
	uint16_t bits = t->has_key_len ? t->key_len : 0;

	for (size_t i = 0; i < 8 && e[i]; i++)
		if (e[i] == t->id && b[i] == bits)
			return true;
	return false;
}

static bool esp_integ_ok(const struct ike_resp_cfg *c, uint16_t id)
{
	const uint16_t *l = c->esp_integ[0] ? c->esp_integ : def_integ;

	for (size_t i = 0; i < 4 && l[i]; i++)
		if (l[i] == id)
			return true;
	return false;
}

static bool dh_ok(const struct ike_resp_cfg *c, uint16_t id)
{
	if (id == 0)
		return true; /* NONE: no PFS */
	for (size_t i = 0; i < 8 && c->dh[i]; i++)
		if (c->dh[i] == id)
			return true;
	return false;
}

/* The first acceptable proposal in the peer's order; in it, the first acceptable transform
 * of each type. A DH transform (PFS) has no meaning in IKE_AUTH and is ignored there; in
 * CREATE_CHILD_SA (@p pfs) a proposal with DH transforms needs one of our groups (the one
 * of the peer's KE, @p ke_group, if offered) or NONE. */
static bool select_esp(const struct ike_resp_cfg *c, const struct ike_sa_pl *sa, bool pfs,
		       uint16_t ke_group, struct ike_suite *s, uint8_t *num, uint32_t *peer_spi)
{
	uint8_t esn_ok = c->esp_esn ? c->esp_esn : IKE_ESN_ALLOW_NO | IKE_ESN_ALLOW_YES;

	for (unsigned p = 0; p < sa->n_prop; p++) {
		const struct ike_proposal *pr = &sa->prop[p];
		struct ike_suite cand = { 0 };
		bool have_e = false, have_i = false, esn_seen = false, have_esn = false;
		bool dh_seen = false, have_d = false;
		struct ike_alg a;
		uint32_t spi;

		if (pr->proto != IKE_PROTO_ESP || pr->spi_len != 4)
			continue;
		spi = rp_get_be32(pr->spi);
		if (spi < 256) /* RFC 4303 §2.1: reserved */
			continue;
		for (unsigned i = 0; i < pr->n_xf; i++) {
			const struct ike_transform *t = &sa->xf[pr->first + i];

			if (t->unknown_attr)
				continue;
			switch (t->type) {
			case IKE_TT_ENCR:
				if (!have_e && esp_encr_ok(c, t)) {
					cand.encr = t->id;
					cand.encr_bits = t->has_key_len ? t->key_len : 0;
					have_e = true;
				}
				break;
			case IKE_TT_INTEG:
				if (!have_i && t->id != IKE_INTEG_NONE && esp_integ_ok(c, t->id)) {
					cand.integ = t->id;
					have_i = true;
				}
				break;
			case IKE_TT_ESN:
				esn_seen = true;
				if (!have_esn && t->id <= 1 &&
				    (esn_ok & (t->id ? IKE_ESN_ALLOW_YES : IKE_ESN_ALLOW_NO))) {
					cand.esn = t->id == 1;
					have_esn = true;
				}
				break;
			case IKE_TT_DH:
				dh_seen = true;
				if (pfs && dh_ok(c, t->id) && (!have_d || t->id == ke_group)) {
					cand.dh = t->id;
					have_d = true;
				}
				break;
			default:
				break;
			}
		}
		if (!esn_seen && (esn_ok & IKE_ESN_ALLOW_NO))
			have_esn = true; /* no ESN transform: 32-bit sequence numbers */
		if (have_e && (cand.encr == IKE_ENCR_AES_GCM_16 ||
			       cand.encr == IKE_ENCR_CHACHA20_POLY1305)) {
			cand.integ = IKE_INTEG_NONE;
			have_i = true;
		}
		if (pfs && dh_seen && !have_d)
			continue;
		if (!have_e || !have_i || !have_esn || ike_alg_init(&cand, false, &a) ||
		    rp_cipher_of(&cand) < 0 || rp_integ_of(cand.integ) < 0)
			continue;
		*s = cand;
		*num = pr->num;
		*peer_spi = spi;
		return true;
	}
	return false;
}

/* ---- traffic selectors (§2.9) ----------------------------------------------------------- */

static size_t fam_len(uint8_t af)
{
	return af == 6 ? 16 : 4;
}

static uint8_t ts_af(const struct ike_ts *ts)
{
	return ts->type == IKE_TS_IPV6_RANGE ? 6 : 4;
}

static bool ts_full_ports_any_proto(const struct ike_ts *ts)
{
	return ts->proto == 0 && ts->sport == 0 && ts->eport == 0xffff;
}

/* TSi: each assigned address that lies in one of the peer's selectors (any protocol, all
 * ports: the dataplane checks inner source addresses only) becomes [addr, addr]. */
static void narrow_tsi(const struct ike_ts_pl *in, const struct pool_lease *const *leases,
		       unsigned n_leases, struct ike_ts_pl *out, struct ike_child *c)
{
	out->n = 0;
	c->n_routes = 0;
	for (unsigned l = 0; l < n_leases; l++) {
		const struct pool_lease *ls = leases[l];
		size_t al = fam_len(ls->af);

		for (unsigned i = 0; i < in->n; i++) {
			const struct ike_ts *ts = &in->ts[i];

			if (ts_af(ts) != ls->af || !ts_full_ports_any_proto(ts) ||
			    memcmp(ts->start, ls->addr, al) > 0 || memcmp(ls->addr, ts->end, al) > 0)
				continue;
			out->ts[out->n] = (struct ike_ts){ .type = ts->type, .eport = 0xffff };
			memcpy(out->ts[out->n].start, ls->addr, al);
			memcpy(out->ts[out->n].end, ls->addr, al);
			out->n++;
			c->routes[c->n_routes] = (struct rp_prefix){ .af = ls->af,
								    .plen = (uint8_t)(8 * al) };
			memcpy(c->routes[c->n_routes].addr, ls->addr, al);
			c->n_routes++;
			break;
		}
	}
}

static void prefix_range(const struct rp_prefix *p, uint8_t lo[16], uint8_t hi[16])
{
	size_t al = fam_len(p->af);

	memset(lo, 0, 16);
	memset(hi, 0, 16);
	for (size_t i = 0; i < al; i++) {
		unsigned bits = p->plen > 8 * i ? p->plen - 8 * (unsigned)i : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);

		lo[i] = p->addr[i] & mask;
		hi[i] = (uint8_t)(lo[i] | (uint8_t)~mask);
	}
}

/* TSr: the peer's selectors intersected with our side: the session's route set (what
 * config mode announces as INTERNAL_IP4/6_SUBNET, ike_cfg_routes()), else local_subnets. */
static void narrow_tsr(const struct ike_resp_cfg *cfg, const struct pol_authz *authz,
		       const struct ike_ts_pl *in, struct ike_ts_pl *out)
{
	static const struct rp_prefix any[2] = { { .af = 4 }, { .af = 6 } };
	struct rp_prefix routes[IKE_CFG_ROUTES_MAX];
	unsigned n_loc = ike_cfg_routes(authz, cfg->local_ts, cfg->n_local_ts, routes,
					IKE_CFG_ROUTES_MAX);
	const struct rp_prefix *loc = n_loc ? routes : any;

	if (!n_loc)
		n_loc = 2;

	out->n = 0;
	for (unsigned i = 0; i < in->n; i++) {
		const struct ike_ts *ts = &in->ts[i];

		for (unsigned j = 0; j < n_loc && out->n < IKE_MAX_TS; j++) {
			uint8_t lo[16], hi[16];
			size_t al = fam_len(loc[j].af);
			struct ike_ts *o;

			if (loc[j].af != ts_af(ts))
				continue;
			prefix_range(&loc[j], lo, hi);
			o = &out->ts[out->n];
			*o = *ts;
			if (memcmp(ts->start, lo, al) < 0)
				memcpy(o->start, lo, al);
			if (memcmp(ts->end, hi, al) > 0)
				memcpy(o->end, hi, al);
			if (memcmp(o->start, o->end, al) <= 0)
				out->n++;
		}
	}
}

/* ---- the dataplane's SA records --------------------------------------------------------- */

void ike_child_fill(const struct ike_resp *r, const struct ike_child *c, bool in, bool we_init,
		    const struct ike_child_keys *ck, const struct ike_addr *peer,
		    const struct ike_addr *local, struct rp_msg_sa *m)
{
	int cipher = rp_cipher_of(&c->esp), integ = rp_integ_of(c->esp.integ);
	size_t klen = (size_t)rp_cipher_key_len((uint8_t)cipher);
	size_t slen = (size_t)rp_cipher_salt_len((uint8_t)cipher);
	size_t alen = (size_t)rp_integ_key_len((uint8_t)integ);
	/* §2.17: initiator-to-responder keys first; the peer is the initiator unless we are */
	bool i2r = in != we_init;
	const uint8_t *ek = i2r ? ck->ei : ck->er, *ak = i2r ? ck->ai : ck->ar;

	memset(m, 0, sizeof(*m));
	m->sa_id = in ? c->sa_id_in : c->sa_id_out;
	m->paired_sa_id = in ? c->sa_id_out : c->sa_id_in;
	m->spi = htonl(in ? c->spi_in : c->spi_out);
	m->dir = in ? RP_DIR_IN : RP_DIR_OUT;
	m->outer_af = local->af;
	m->cipher = (uint8_t)cipher;
	m->integ = (uint8_t)integ;
	m->enc_key_len = (uint8_t)klen;
	m->salt_len = (uint8_t)slen;
	m->auth_key_len = (uint8_t)alen;
	memcpy(m->enc_key, ek, klen);
	memcpy(m->salt, ek + klen, slen);
	memcpy(m->auth_key, ak, alen);
	m->flags = c->esp.esn ? RP_SAF_ESN : 0;
	if (c->natt) {
		m->flags |= RP_SAF_NATT;
		m->natt_sport = local->port;
		m->natt_dport = peer->port;
	}
	m->replay_window = r->cfg.replay_window ? r->cfg.replay_window : DEFAULT_REPLAY_WINDOW;
	/* a volume limit makes the dataplane report LIFETIME (soft): we rekey then; no hard
	 * limit, so a failed rekey never cuts the tunnel */
	m->soft_bytes = r->cfg.child_lifetime_kb * 1024;
	memcpy(m->local, local->addr, fam_len(local->af));
	memcpy(m->remote, peer->addr, fam_len(peer->af));
	m->n_ts = (uint8_t)c->n_routes;
	for (unsigned i = 0; i < c->n_routes; i++)
		m->ts[i] = c->routes[i];
}

int ike_child_new_spi(struct ike_resp *r, uint32_t *spi)
{
	for (int tries = 0; tries < 64; tries++) {
		uint32_t v;

		if (ike_random(&r->rng, &v, sizeof(v)))
			return -EIO;
		if (v >= 256 && !ike_spi_in_use(r, v)) {
			*spi = v;
			return 0;
		}
	}
	return -EAGAIN;
}

/* The pool of family @p af for @p sa: the one its authorization policy names (pool,
 * ipv6_pool), else the default (NULL if there is none). -ENOENT: the policy names a pool
 * that does not exist (the configuration check prevents it; logged). */
static int child_pool(const struct ike_resp *r, const struct ike_sa *sa, uint8_t af,
		      struct pool **out)
{
	const char *name = !sa->authz ? "" : af == 4 ? sa->authz->pool : sa->authz->ipv6_pool;

	*out = af == 4 ? r->pool4 : r->pool6;
	if (!name[0])
		return 0;
	*out = pool_set_find(r->pools, af, name);
	if (*out)
		return 0;
	RP_WARN("ike", "authorization policy %s names IPv%u pool '%s', which does not exist: no "
		"address", sa->authz->name, af, name);
	return -ENOENT;
}

/* The address RADIUS gave @p sa (IPv4 Framed-IP-Address, or the IPv6 one of ipsec:addrv6 /
 * Framed-IPv6-Address) is another session's address (logged). */
static bool aaa_addr_in_use(struct ike_resp *r, const struct ike_sa *sa, int af)
{
	const uint8_t *want = af == 4 ? sa->framed4 : sa->framed6;
	const struct ike_sa *o = ike_addr_holder(r, af, want, sa);
	char a[INET6_ADDRSTRLEN], nm[64];

	if (!o)
		return false;
	RP_NOTICE("ike", "%s: %s %s%s is held by IKE_SA %016llx_i %016llx_r: "
		  "INTERNAL_ADDRESS_FAILURE", ike_sa_name(sa, nm, sizeof(nm)),
		  af == 4 ? "Framed-IP-Address" : "IPv6 address",
		  inet_ntop(af == 4 ? AF_INET : AF_INET6, want, a, sizeof(a)) ? a : "?",
		  af == 4 ? "" : " from AAA", (unsigned long long)o->spi_i,
		  (unsigned long long)o->spi_r);
	return true;
}

/* §3.15 config mode: the CFG_REPLY for the addresses just leased (ike_cfg.h). */
static void child_cfg_reply(const struct ike_resp *r, const struct ike_sa *sa,
			    const struct ike_child_req *req, struct ike_child_new *n)
{
	const struct ike_cfg_ctx c = { .authz = sa->authz, .local_ts = r->cfg.local_ts,
				       .n_local_ts = r->cfg.n_local_ts, .lease4 = &n->lease4,
				       .lease6 = &n->lease6, .vendor = sa->peer_vendor,
				       .plen6 = n->lease6.held && !n->lease6.pool && sa->has_framed6 ?
							sa->framed6_plen : 0 };
	char vend[96];

	ike_cfg_build(&c, &req->cp, IKE_CFG_REPLY, &n->cp);
	if (req->cp.peer_version[0])
		RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: peer application version '%s'",
			(unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
			req->cp.peer_version);
	RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: CFG_REPLY (%s, vendor IDs: %s; %u of %u "
		"IPv4 addresses asked for): %s", (unsigned long long)sa->spi_i,
		(unsigned long long)sa->spi_r,
		sa->authz ? sa->authz->name : "ike section defaults",
		ike_cfg_vendor_str(sa->peer_vendor, vend, sizeof(vend)),
		n->lease4.held ? 1u : 0u, req->cp.n_ip4, n->cp.log);
}

uint16_t ike_child_prepare(struct ike_resp *r, const struct ike_sa *sa,
			   const struct ike_child_req *req, const struct ike_addr *peer,
			   const struct ike_addr *local, struct ike_child_new *n)
{
	const struct pool_lease *leases[2];
	struct ike_child_keys ck;
	struct ike_alg esp;
	struct pool *p4 = NULL, *p6 = NULL;
	unsigned nl = 0;
	int rc;

	memset(n, 0, sizeof(*n));
	/* ipsec_flow_limit 0 allows not even the first CHILD_SA */
	if ((n->err = ike_sa_flow_check(sa)))
		goto fail;
	if (!select_esp(&r->cfg, &req->sa, false, 0, &n->c.esp, &n->prop_num, &n->c.spi_out)) {
		n->err = IKE_N_NO_PROPOSAL_CHOSEN;
		goto fail;
	}
	/* §2.19: remote access clients get their address from us */
	if (!req->cp.present) {
		n->err = IKE_N_FAILED_CP_REQUIRED;
		goto fail;
	}
	/* one IPv4 address, however many were asked for; from the pools the session's
	 * authorization policy names, else from the default ones */
	if ((req->cp.ip4 && child_pool(r, sa, 4, &p4)) || (req->cp.ip6 && child_pool(r, sa, 6, &p6))) {
		n->err = IKE_N_INTERNAL_ADDRESS_FAILURE;
		goto fail;
	}
	if (req->cp.ip4 && sa->has_framed4) {
		/* AAA's Framed-IP-Address comes before the pool (reference 001: address
		 * sources); it is no pool's lease, and no other session may hold it */
		if (aaa_addr_in_use(r, sa, 4)) {
			n->err = IKE_N_INTERNAL_ADDRESS_FAILURE;
			goto fail;
		}
		n->lease4 = (struct pool_lease){ .af = 4, .held = true };
		memcpy(n->lease4.addr, sa->framed4, 4);
		leases[nl++] = &n->lease4;
	} else if (req->cp.ip4 && p4) {
		rc = pool_alloc(p4, &n->lease4);
		if (rc) {
			RP_NOTICE("ike", "pool %s exhausted", pool_cfg(p4)->name);
			n->err = IKE_N_INTERNAL_ADDRESS_FAILURE;
			goto fail;
		}
		leases[nl++] = &n->lease4;
	}
	if (req->cp.ip6 && sa->has_framed6) {
		/* likewise the AAA IPv6 address (its prefix length goes in the CFG_REPLY; the
		 * selector and route are the address itself) */
		if (aaa_addr_in_use(r, sa, 6)) {
			n->err = IKE_N_INTERNAL_ADDRESS_FAILURE;
			goto fail;
		}
		n->lease6 = (struct pool_lease){ .af = 6, .held = true };
		memcpy(n->lease6.addr, sa->framed6, 16);
		leases[nl++] = &n->lease6;
	} else if (req->cp.ip6 && p6) {
		rc = pool_alloc(p6, &n->lease6);
		if (rc) {
			RP_NOTICE("ike", "pool %s exhausted", pool_cfg(p6)->name);
			n->err = IKE_N_INTERNAL_ADDRESS_FAILURE;
			goto fail;
		}
		leases[nl++] = &n->lease6;
	}
	if (!nl) {
		n->err = IKE_N_INTERNAL_ADDRESS_FAILURE;
		goto fail;
	}
	narrow_tsi(&req->tsi, leases, nl, &n->tsi, &n->c);
	narrow_tsr(&r->cfg, sa->authz, &req->tsr, &n->tsr);
	if (!n->tsi.n || !n->tsr.n) {
		n->err = IKE_N_TS_UNACCEPTABLE;
		goto fail;
	}
	/* an address the client cannot use goes back to the pool */
	if (n->lease4.held && !(n->c.routes[0].af == 4)) {
		pool_lease_release(&n->lease4);
		n->lease4.held = false; /* a Framed-IP-Address has no pool to go back to */
	}
	if (n->lease6.held && !((n->c.n_routes && n->c.routes[n->c.n_routes - 1].af == 6))) {
		pool_lease_release(&n->lease6);
		n->lease6.held = false; /* an AAA address has no pool to go back to */
	}
	if (ike_child_new_spi(r, &n->c.spi_in) || ike_alg_init(&n->c.esp, false, &esp) ||
	    ike_child_keymat(sa->alg.s.prf, sa->keys.sk_d, sa->keys.d_len, &esp, NULL, 0, sa->ni,
			     sa->ni_len, sa->nr, sizeof(sa->nr), &ck)) {
		n->err = IKE_N_NO_PROPOSAL_CHOSEN;
		goto fail;
	}
	/* §2.23, RFC 3948: UDP encapsulation when a NAT was detected; a peer on UDP 4500
	 * that did no NAT detection is taken to want it too. (A peer that floated to 4500
	 * without a NAT, as strongSwan does with MOBIKE, sends plain ESP.) */
	n->c.natt = sa->peer_nat || sa->local_nat || (!sa->natd_seen && peer->port == 4500);
	n->c.sa_id_in = ike_new_sa_id(r);
	n->c.sa_id_out = ike_new_sa_id(r);
	ike_child_fill(r, &n->c, true, false, &ck, peer, local, &n->in);
	ike_child_fill(r, &n->c, false, false, &ck, peer, local, &n->out);
	n->c.out_rec = n->out; /* for SA_UPDATE when the peer moves (ike_dpd.c) */
	OPENSSL_cleanse(&ck, sizeof(ck));
	child_cfg_reply(r, sa, req, n);
	return 0;
fail:
	ike_child_release(r, n);
	return n->err;
}

uint16_t ike_child_prepare_create(struct ike_resp *r, const struct ike_sa *sa,
				  const struct ike_child_req *req, const struct ike_pl *ke,
				  struct ike_child_new *n)
{
	const struct pool_lease *leases[2];
	unsigned nl = 0;

	memset(n, 0, sizeof(*n));
	if (!select_esp(&r->cfg, &req->sa, true, ke ? ke->f.u16a : 0, &n->c.esp, &n->prop_num,
			&n->c.spi_out)) {
		n->err = IKE_N_NO_PROPOSAL_CHOSEN;
		goto fail;
	}
	/* §1.3.1: with PFS the KE must be of the selected group; without, a KE is ignored */
	if (n->c.esp.dh && (!ke || ke->f.u16a != n->c.esp.dh)) {
		n->err = IKE_N_INVALID_KE_PAYLOAD;
		n->want_group = n->c.esp.dh;
		goto fail;
	}
	if (n->c.esp.dh && ike_dh_check_peer(n->c.esp.dh, ke->f.data.p, ke->f.data.len)) {
		n->err = IKE_N_INVALID_SYNTAX;
		goto fail;
	}
	/* the client keeps the addresses it got in IKE_AUTH */
	if (sa->lease4.held)
		leases[nl++] = &sa->lease4;
	if (sa->lease6.held)
		leases[nl++] = &sa->lease6;
	narrow_tsi(&req->tsi, leases, nl, &n->tsi, &n->c);
	narrow_tsr(&r->cfg, sa->authz, &req->tsr, &n->tsr);
	if (!n->tsi.n || !n->tsr.n) {
		n->err = IKE_N_TS_UNACCEPTABLE;
		goto fail;
	}
	if (ike_child_new_spi(r, &n->c.spi_in)) {
		n->err = IKE_N_NO_PROPOSAL_CHOSEN;
		goto fail;
	}
	return 0;
fail:
	ike_child_release(r, n);
	return n->err;
}

uint16_t ike_child_keys_create(struct ike_resp *r, const struct ike_sa *sa,
			       const uint8_t *gir, size_t gir_len, const uint8_t *ni,
			       size_t ni_len, const uint8_t *nr, size_t nr_len,
			       const struct ike_addr *peer, const struct ike_addr *local,
			       struct ike_child_new *n)
{
	struct ike_child_keys ck;
	struct ike_alg esp;

	if (ike_alg_init(&n->c.esp, false, &esp) ||
	    ike_child_keymat(sa->alg.s.prf, sa->keys.sk_d, sa->keys.d_len, &esp,
			     gir_len ? gir : NULL, gir_len, ni, ni_len, nr, nr_len, &ck)) {
		n->err = IKE_N_NO_PROPOSAL_CHOSEN;
		ike_child_release(r, n);
		return n->err;
	}
	n->c.natt = sa->peer_nat || sa->local_nat || (!sa->natd_seen && peer->port == 4500);
	n->c.sa_id_in = ike_new_sa_id(r);
	n->c.sa_id_out = ike_new_sa_id(r);
	ike_child_fill(r, &n->c, true, false, &ck, peer, local, &n->in);
	ike_child_fill(r, &n->c, false, false, &ck, peer, local, &n->out);
	n->c.out_rec = n->out; /* for SA_UPDATE when the peer moves (ike_dpd.c) */
	OPENSSL_cleanse(&ck, sizeof(ck));
	return 0;
}

void ike_child_release(struct ike_resp *r, struct ike_child_new *n)
{
	ike_dh_free(n->dh);
	n->dh = NULL;
	(void)r;
	pool_lease_release(&n->lease4); /* to the pool each came from */
	pool_lease_release(&n->lease6);
	OPENSSL_cleanse(&n->in, sizeof(n->in));
	OPENSSL_cleanse(&n->out, sizeof(n->out));
	OPENSSL_cleanse(&n->c.out_rec, sizeof(n->c.out_rec));
}

static bool build_sa(const struct ike_child_new *n, struct ike_bld *b)
{
	struct ike_sa_pl *sa = calloc(1, sizeof(*sa));
	uint32_t spi = n->c.spi_in;
	unsigned x = 0;
	bool ok;

	if (!sa)
		return false;
	sa->n_prop = 1;
	sa->prop[0] = (struct ike_proposal){ .num = n->prop_num, .proto = IKE_PROTO_ESP,
					     .spi_len = 4,
					     .spi = { (uint8_t)(spi >> 24), (uint8_t)(spi >> 16),
						      (uint8_t)(spi >> 8), (uint8_t)spi } };
	sa->xf[x++] = (struct ike_transform){ .type = IKE_TT_ENCR, .id = n->c.esp.encr,
					      .key_len = n->c.esp.encr_bits,
					      .has_key_len = n->c.esp.encr_bits != 0 };
	if (n->c.esp.integ != IKE_INTEG_NONE)
		sa->xf[x++] = (struct ike_transform){ .type = IKE_TT_INTEG, .id = n->c.esp.integ };
	if (n->c.esp.dh)
		sa->xf[x++] = (struct ike_transform){ .type = IKE_TT_DH, .id = n->c.esp.dh };
	sa->xf[x++] = (struct ike_transform){ .type = IKE_TT_ESN, .id = n->c.esp.esn ? 1 : 0 };
	sa->n_xf = x;
	sa->prop[0].n_xf = (uint16_t)x;
	ok = ike_bld_sa(b, sa);
	free(sa);
	return ok;
}

bool ike_child_build(const struct ike_child_new *n, struct ike_bld *b)
{
	return ike_cfg_write(&n->cp, b) && build_sa(n, b) && ike_bld_ts(b, IKE_PL_TSI, &n->tsi) &&
	       ike_bld_ts(b, IKE_PL_TSR, &n->tsr);
}

bool ike_child_build_create(const struct ike_child_new *n, const uint8_t *nr, size_t nr_len,
			    struct ike_bld *b)
{
	bool ok = build_sa(n, b) && ike_bld_data(b, IKE_PL_NONCE, nr, nr_len);

	if (ok && n->dh) {
		size_t len;
		const uint8_t *pub = ike_dh_pub(n->dh, &len);

		ok = ike_bld_ke(b, n->c.esp.dh, pub, len);
	}
	return ok && ike_bld_ts(b, IKE_PL_TSI, &n->tsi) && ike_bld_ts(b, IKE_PL_TSR, &n->tsr);
}

void ike_child_uninstall(struct ike_resp *r, const struct ike_child *c)
{
	struct rp_msg_sa_ref ref = { 0 };
	struct rp_msg_route rt = { 0 };

	if (!r->has_dp)
		return;
	for (unsigned i = 0; i < c->n_routes; i++) {
		rt.prefix = c->routes[i];
		rt.sa_id = c->sa_id_out;
		r->dp.send(r->dp.ctx, RP_MSG_ROUTE_DEL, &rt, sizeof(rt), NULL, NULL);
	}
	ref.sa_id = c->sa_id_in;
	r->dp.send(r->dp.ctx, RP_MSG_SA_DEL, &ref, sizeof(ref), NULL, NULL);
	ref.sa_id = c->sa_id_out;
	r->dp.send(r->dp.ctx, RP_MSG_SA_DEL, &ref, sizeof(ref), NULL, NULL);
}

/* ---- the CHILD_SAs of an IKE SA --------------------------------------------------------- */

struct ike_child *ike_sa_child_by_out(struct ike_sa *sa, uint32_t spi_out)
{
	for (unsigned i = 0; i < sa->n_child; i++)
		if (sa->child[i].spi_out == spi_out)
			return &sa->child[i];
	return NULL;
}

const struct ike_child *ike_sa_child_current(const struct ike_sa *sa)
{
	for (unsigned i = sa->n_child; i-- > 0;)
		if (!sa->child[i].rekeyed)
			return &sa->child[i];
	return sa->n_child ? &sa->child[sa->n_child - 1] : NULL;
}

int ike_sa_child_add(struct ike_resp *r, struct ike_sa *sa, const struct ike_child *c)
{
	if (sa->n_child >= IKE_CHILD_MAX)
		return -ENOSPC;
	sa->child[sa->n_child++] = *c;
	ike_child_index_add(r, c, sa);
	return 0;
}

/* The final counters of a CHILD_SA about to go (STATS_REQ is answered before the SA_DEL
 * queued behind it): kept in the IKE SA so that its totals do not drop. */
static void gone_stats(int status, const struct dpif_reply *rep, void *arg)
{
	struct ike_sa *sa = arg;

	if (status || !rep)
		return;
	for (unsigned i = 0; i < rep->n; i++) {
		const struct rp_msg_sa_stats *st = &rep->msgs[i].u.sa_stats;

		if (rep->msgs[i].hdr.type != RP_MSG_SA_INFO)
			continue;
		if (st->dir == RP_DIR_IN) {
			sa->gone_in_packets += st->packets;
			sa->gone_in_bytes += st->bytes;
		} else {
			sa->gone_out_packets += st->packets;
			sa->gone_out_bytes += st->bytes;
		}
	}
}

void ike_sa_child_remove(struct ike_resp *r, struct ike_sa *sa, struct ike_child *c,
			 bool uninstall)
{
	unsigned i = (unsigned)(c - sa->child);

	if (i >= sa->n_child)
		return;
	/* the client's route goes through this CHILD_SA: hand it to the newest other one that
	 * is not rekeyed (ROUTE_ADD switches atomically) rather than remove it */
	if (uninstall && r->has_dp && c->n_routes && sa->state != IKE_SA_DELETED) {
		struct ike_child *d = NULL;

		for (unsigned k = 0; k < sa->n_child; k++)
			if (k != i && !sa->child[k].rekeyed)
				d = &sa->child[k];
		for (unsigned k = 0; d && k < c->n_routes; k++) {
			struct rp_msg_route rt = { .prefix = c->routes[k], .sa_id = d->sa_id_out };

			r->dp.send(r->dp.ctx, RP_MSG_ROUTE_ADD, &rt, sizeof(rt), NULL, NULL);
			d->routes[k] = c->routes[k];
		}
		if (d) {
			d->n_routes = c->n_routes;
			c->n_routes = 0;
		}
	}
	if (uninstall && r->has_dp) {
		/* only for a living IKE SA: ike_sa_delete() cancels what has arg @p sa first */
		if (sa->state == IKE_SA_ESTABLISHED || sa->state == IKE_SA_REKEYED) {
			struct rp_msg_sa_ref ref = { .sa_id = c->sa_id_in };

			r->dp.send(r->dp.ctx, RP_MSG_STATS_REQ, &ref, sizeof(ref), gone_stats, sa);
			ref.sa_id = c->sa_id_out;
			r->dp.send(r->dp.ctx, RP_MSG_STATS_REQ, &ref, sizeof(ref), gone_stats, sa);
		}
		ike_child_uninstall(r, c);
	}
	ike_child_index_del(r, c);
	memmove(&sa->child[i], &sa->child[i + 1], (sa->n_child - i - 1) * sizeof(*c));
	sa->n_child--;
	memset(&sa->child[sa->n_child], 0, sizeof(*c));
}
