/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
#include "initiator.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

int ini_rng(void *arg, uint8_t *out, size_t len)
{
	struct ini_rng_state *st = arg;

	for (size_t i = 0; i < len; i++) {
		st->s ^= st->s >> 12;
		st->s ^= st->s << 25;
		st->s ^= st->s >> 27;
		out[i] = (uint8_t)((st->s * 0x2545F4914F6CDD1Dull) >> 56);
	}
	return 0;
}

void ini_init(struct ini *in, uint64_t seed, uint16_t group)
{
	memset(in, 0, sizeof(*in));
	in->rs.s = seed ? seed : 1;
	in->rng.fn = ini_rng;
	in->rng.arg = &in->rs;
	in->group = group;
	ini_rng(&in->rs, (uint8_t *)&in->spi_i, 8);
	ini_rng(&in->rs, in->ni, sizeof(in->ni));
	ini_rng(&in->rs, (uint8_t *)&in->esp_spi, 4);
	in->esp_spi |= 0x1000;
	in->msg_id = 1;
}

void ini_free(struct ini *in)
{
	ike_dh_free(in->dh);
	in->dh = NULL;
	free(in->frag_plain);
	in->frag_plain = NULL;
}

void ini_proposal(struct ike_sa_pl *sa, uint16_t encr, uint16_t bits, uint16_t prf,
		  uint16_t integ, const uint16_t *dh)
{
	unsigned n = 0;

	memset(sa, 0, sizeof(*sa));
	sa->n_prop = 1;
	sa->prop[0].num = 1;
	sa->prop[0].proto = IKE_PROTO_IKE;
	sa->xf[n++] = (struct ike_transform){ .type = IKE_TT_ENCR, .id = encr, .key_len = bits,
					      .has_key_len = bits != 0 };
	sa->xf[n++] = (struct ike_transform){ .type = IKE_TT_PRF, .id = prf };
	if (integ)
		sa->xf[n++] = (struct ike_transform){ .type = IKE_TT_INTEG, .id = integ };
	for (; *dh; dh++)
		sa->xf[n++] = (struct ike_transform){ .type = IKE_TT_DH, .id = *dh };
	sa->n_xf = n;
	sa->prop[0].n_xf = (uint16_t)n;
}

size_t ini_build_init(struct ini *in, const struct ike_sa_pl *sa, const uint8_t *cookie,
		      size_t cookie_len, uint8_t *out, size_t cap)
{
	struct ike_hdr h = { .spi_i = in->spi_i, .exchange = IKE_XCHG_IKE_SA_INIT,
			     .flags = IKE_HDR_F_I };
	struct ike_bld b;
	const uint8_t *pub;
	size_t pl;

	if (!in->dh || ike_dh_group(in->dh) != in->group) {
		ike_dh_free(in->dh);
		if (ike_dh_new(in->group, &in->rng, &in->dh))
			return 0;
	}
	pub = ike_dh_pub(in->dh, &pl);
	ike_bld_init(&b, out, cap, &h);
	if (cookie)
		ike_bld_notify(&b, 0, NULL, 0, IKE_N_COOKIE, cookie, cookie_len);
	ike_bld_sa(&b, sa);
	ike_bld_ke(&b, in->group, pub, pl);
	ike_bld_data(&b, IKE_PL_NONCE, in->ni, sizeof(in->ni));
	if (in->natd_dst_bogus) {
		static const uint8_t bogus[20] = { 0xba, 0xd0 };

		ike_bld_notify(&b, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, bogus, 20);
	}
	if (in->frag)
		ike_bld_notify(&b, 0, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	if (in->vid)
		ike_bld_data(&b, IKE_PL_VENDOR, in->vid, in->vid_len);
	if (in->sig_hashes) {
		uint8_t hs[32];
		size_t hn = 0;

		for (unsigned hid = 0; hid < 16; hid++)
			if (in->sig_hashes & (1u << hid)) {
				hs[hn++] = 0;
				hs[hn++] = (uint8_t)hid;
			}
		ike_bld_notify(&b, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, hs, hn);
	}
	pl = ike_bld_finish(&b);
	if (pl && pl <= sizeof(in->init_req)) {
		memcpy(in->init_req, out, pl);
		in->init_req_len = pl;
	}
	return pl;
}

int ini_process_init(struct ini *in, const uint8_t *buf, size_t len, struct ike_msg *m)
{
	const struct ike_pl *ke, *nr, *n;
	uint8_t gir[IKE_DH_SECRET_MAX];
	size_t gl;
	int rc = -1;

	if (ike_msg_parse(buf, len, m, NULL) != IKE_PERR_OK)
		return -1;
	n = ike_msg_find(m, IKE_PL_NOTIFY, NULL);
	if (n && n->f.u16a <= IKE_N_ERROR_MAX)
		return n->f.u16a;
	if (n && n->f.u16a == IKE_N_COOKIE)
		return IKE_N_COOKIE;
	ke = ike_msg_find(m, IKE_PL_KE, NULL);
	nr = ike_msg_find(m, IKE_PL_NONCE, NULL);
	if (!ke || !nr || m->sa.n_prop != 1 || nr->f.data.len > sizeof(in->nr))
		return -1;
	memset(&in->suite, 0, sizeof(in->suite));
	for (unsigned i = 0; i < m->sa.n_xf; i++) {
		const struct ike_transform *t = &m->sa.xf[i];

		switch (t->type) {
		case IKE_TT_ENCR: in->suite.encr = t->id; in->suite.encr_bits = t->key_len; break;
		case IKE_TT_PRF: in->suite.prf = t->id; break;
		case IKE_TT_INTEG: in->suite.integ = t->id; break;
		case IKE_TT_DH: in->suite.dh = t->id; break;
		}
	}
	in->spi_r = m->hdr.spi_r;
	if (len > sizeof(in->init_resp))
		return -1;
	memcpy(in->init_resp, buf, len);
	in->init_resp_len = len;
	in->nr_len = nr->f.data.len;
	memcpy(in->nr, nr->f.data.p, in->nr_len);
	if (ike_alg_init(&in->suite, true, &in->alg) ||
	    ike_dh_derive(in->dh, ke->f.data.p, ke->f.data.len, gir, &gl) ||
	    ike_derive_keys(&in->alg, in->ni, sizeof(in->ni), in->nr, in->nr_len, gir, gl,
			    in->spi_i, in->spi_r, &in->keys, NULL))
		goto out;
	rc = 0;
out:
	memset(gir, 0, sizeof(gir));
	return rc;
}

void ini_esp_proposal(struct ike_sa_pl *sa, uint32_t spi, uint16_t encr, uint16_t bits,
		      uint16_t integ, bool esn, bool no_esn)
{
	unsigned n = 0;

	memset(sa, 0, sizeof(*sa));
	sa->n_prop = 1;
	sa->prop[0].num = 1;
	sa->prop[0].proto = IKE_PROTO_ESP;
	sa->prop[0].spi_len = 4;
	for (int i = 0; i < 4; i++)
		sa->prop[0].spi[i] = (uint8_t)(spi >> (24 - 8 * i));
	sa->xf[n++] = (struct ike_transform){ .type = IKE_TT_ENCR, .id = encr, .key_len = bits,
					      .has_key_len = bits != 0 };
	if (integ)
		sa->xf[n++] = (struct ike_transform){ .type = IKE_TT_INTEG, .id = integ };
	if (esn)
		sa->xf[n++] = (struct ike_transform){ .type = IKE_TT_ESN, .id = 1 };
	if (no_esn)
		sa->xf[n++] = (struct ike_transform){ .type = IKE_TT_ESN, .id = 0 };
	sa->n_xf = n;
	sa->prop[0].n_xf = (uint16_t)n;
}

void ini_ts4(struct ike_ts_pl *ts, const uint8_t start[4], const uint8_t end[4])
{
	memset(ts, 0, sizeof(*ts));
	ts->n = 1;
	ts->ts[0].type = IKE_TS_IPV4_RANGE;
	ts->ts[0].eport = 0xffff;
	memcpy(ts->ts[0].start, start, 4);
	memcpy(ts->ts[0].end, end, 4);
}

size_t ini_seal(struct ini *in, uint8_t exchange, uint32_t msg_id, const uint8_t *inner,
		size_t ilen, uint8_t first, uint8_t *out, size_t cap)
{
	struct ike_hdr h = { .spi_i = in->spi_i, .spi_r = in->spi_r, .exchange = exchange,
			     .flags = IKE_HDR_F_I, .msg_id = msg_id };
	size_t len;

	if (ike_sk_seal(&in->alg, in->keys.sk_ei, in->keys.sk_ai, &in->rng, &h, first, inner,
			ilen, out, cap, &len))
		return 0;
	return len;
}

/* RFC 7383 §2.6: keep fragment @p num's plaintext; INI_MORE until all are there, then 0
 * with the inner chain in @p plain. */
static int ini_frag_add(struct ini *in, const struct ike_msg *m, const uint8_t *fp, size_t fl,
			uint8_t *plain, size_t cap, size_t *pl, uint8_t *first)
{
	const struct ike_pl *skf = &m->pl[m->n - 1];
	uint16_t num = skf->f.u16a, total = skf->f.u16b;

	if (!num || num > total || total > INI_FRAGS_MAX || fl > INI_FRAG_CAP)
		return -1;
	if (!in->frag_plain) {
		in->frag_plain = calloc(INI_FRAGS_MAX, INI_FRAG_CAP);
		if (!in->frag_plain)
			return -1;
	}
	if (!in->frag_total || in->frag_msg_id != m->hdr.msg_id || in->frag_total != total) {
		in->frag_msg_id = m->hdr.msg_id;
		in->frag_total = total;
		in->frag_have = 0;
		memset(in->frag_len, 0xff, sizeof(in->frag_len)); /* SIZE_MAX: missing */
	}
	if (in->frag_len[num - 1] != SIZE_MAX)
		return INI_MORE; /* duplicate */
	memcpy(in->frag_plain[num - 1], fp, fl);
	in->frag_len[num - 1] = fl;
	if (num == 1)
		in->frag_first = m->sk_next;
	if (++in->frag_have < total)
		return INI_MORE;
	*pl = 0;
	for (unsigned i = 0; i < total; i++) {
		if (*pl + in->frag_len[i] > cap)
			return -1;
		memcpy(plain + *pl, in->frag_plain[i], in->frag_len[i]);
		*pl += in->frag_len[i];
	}
	*first = in->frag_first;
	in->frag_total = 0;
	return 0;
}

int ini_open(struct ini *in, const uint8_t *buf, size_t len, struct ike_msg *m)
{
	static uint8_t plain[65536]; /* m points into it after we return */
	static uint8_t fp[INI_FRAG_CAP];
	uint8_t first;
	size_t pl;
	int rc;

	if (ike_msg_parse(buf, len, m, NULL) != IKE_PERR_OK || !(m->hdr.flags & IKE_HDR_F_R))
		return -1;
	if (m->pl[m->n - 1].type == IKE_PL_SKF) {
		if (ike_sk_open(&in->alg, in->keys.sk_er, in->keys.sk_ar, m, fp, sizeof(fp), &pl))
			return -1;
		rc = ini_frag_add(in, m, fp, pl, plain, sizeof(plain), &pl, &first);
		if (rc)
			return rc;
	} else {
		if (ike_sk_open(&in->alg, in->keys.sk_er, in->keys.sk_ar, m, plain, sizeof(plain),
				&pl))
			return -1;
		first = m->sk_next;
	}
	if (ike_payloads_parse(first, plain, pl, m, NULL) != IKE_PERR_OK)
		return -1;
	return 0;
}

static const uint8_t any4_s[4] = { 0, 0, 0, 0 }, any4_e[4] = { 255, 255, 255, 255 };

size_t ini_build_auth_inner(struct ini *in, const struct ini_auth_opts *o, uint8_t *inner,
			    size_t icap, uint8_t *first)
{
	struct ike_bld b;
	struct ike_sa_pl *esp = calloc(1, sizeof(*esp));
	struct ike_ts_pl tsi, tsr;
	struct ike_cp_pl cp = { .cfg_type = IKE_CFG_REQUEST };
	uint8_t oct[4096], auth[IKE_AUTH_DATA_MAX], idb[260], method = IKE_AUTH_PSK;
	size_t ol, idlen = o->id_len ? o->id_len : strlen(o->id), len = 0, alen;
	unsigned n4 = o->n_ip4 ? o->n_ip4 : 1;

	if (!esp || idlen > 255)
		goto out;
	ike_bld_init_chain(&b, inner, icap);
	ike_bld_id(&b, IKE_PL_IDI, o->id_type ? o->id_type : IKE_ID_FQDN, o->id, idlen);
	if (o->initial_contact)
		ike_bld_notify(&b, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
	idb[0] = o->id_type ? o->id_type : IKE_ID_FQDN;
	memset(idb + 1, 0, 3);
	memcpy(idb + 4, o->id, idlen);
	alen = ike_prf_len(in->suite.prf);
	if (ike_auth_octets(in->suite.prf, in->init_req, in->init_req_len, in->nr, in->nr_len,
			    in->keys.sk_pi, in->keys.p_len, idb, idlen + 4, oct, sizeof(oct), &ol) ||
	    (o->no_auth ? 0 : o->sign ? o->sign(o->sign_arg, oct, ol, &method, auth, &alen)
		     : ike_auth_psk(in->suite.prf, (const uint8_t *)o->psk, strlen(o->psk), oct,
				    ol, auth)))
		goto out;
	for (unsigned i = 0; i < o->n_certs && i < 4; i++)
		ike_bld_cert(&b, IKE_PL_CERT, IKE_CERT_X509_SIG, o->cert[i], o->cert_len[i]);
	if (o->certreq)
		ike_bld_cert(&b, IKE_PL_CERTREQ, IKE_CERT_X509_SIG, o->certreq, o->certreq_len);
	if (!o->no_auth)
		ike_bld_id(&b, IKE_PL_AUTH, method, auth, alen);
	if (o->vid)
		ike_bld_data(&b, IKE_PL_VENDOR, o->vid, o->vid_len);
	if (o->cp_type)
		cp.cfg_type = o->cp_type;
	for (unsigned i = 0; !o->no_cp && i < o->n_cp_attrs && i < IKE_MAX_CFG_ATTRS; i++)
		cp.attr[cp.n++] = o->cp_attrs[i];
	if (!o->no_cp && o->n_cp_attrs) {
		ike_bld_cp(&b, &cp);
	} else if (!o->no_cp) {
		for (unsigned i = 0; i < n4 && cp.n < IKE_MAX_CFG_ATTRS; i++)
			cp.attr[cp.n++] = (struct ike_cfg_at){ .type = IKE_CFG_INTERNAL_IP4_ADDRESS };
		if (o->ip6)
			cp.attr[cp.n++] = (struct ike_cfg_at){ .type = IKE_CFG_INTERNAL_IP6_ADDRESS };
		if (o->nm4)
			cp.attr[cp.n++] = (struct ike_cfg_at){ .type = IKE_CFG_INTERNAL_IP4_NETMASK };
		if (o->dns4)
			cp.attr[cp.n++] = (struct ike_cfg_at){ .type = IKE_CFG_INTERNAL_IP4_DNS };
		if (o->sub4)
			cp.attr[cp.n++] = (struct ike_cfg_at){ .type = IKE_CFG_INTERNAL_IP4_SUBNET };
		ike_bld_cp(&b, &cp);
	}
	if (!o->no_child) {
		if (o->esp)
			*esp = *o->esp;
		else
			ini_esp_proposal(esp, in->esp_spi, IKE_ENCR_AES_GCM_16, 128, 0, false, true);
		if (o->tsi)
			tsi = *o->tsi;
		else
			ini_ts4(&tsi, any4_s, any4_e);
		if (o->tsr)
			tsr = *o->tsr;
		else
			ini_ts4(&tsr, any4_s, any4_e);
		ike_bld_sa(&b, esp);
		ike_bld_ts(&b, IKE_PL_TSI, &tsi);
		ike_bld_ts(&b, IKE_PL_TSR, &tsr);
	}
	len = ike_bld_finish(&b);
	*first = ike_bld_first(&b);
out:
	free(esp);
	return len;
}

size_t ini_build_auth(struct ini *in, const struct ini_auth_opts *o, uint8_t *out, size_t cap)
{
	uint8_t inner[4096], first;
	size_t il = ini_build_auth_inner(in, o, inner, sizeof(inner), &first);

	if (!il)
		return 0;
	return ini_seal(in, IKE_XCHG_IKE_AUTH, in->msg_id++, inner, il, first, out, cap);
}

static int auth_result(struct ini *in, struct ike_msg *m, const struct ike_pl *n);

/* An IKE_AUTH response opened, what the last one told forgotten: 0, INI_MORE or -1. */
static int open_auth_resp(struct ini *in, const uint8_t *buf, size_t len, struct ike_msg *m)
{
	int rc;

	in->child_err = 0;
	in->n_addr4 = in->n_dns4 = in->n_sub4 = 0;
	in->has_addr6 = false;
	rc = ini_open(in, buf, len, m);
	return rc == 0 ? 0 : rc == INI_MORE ? INI_MORE : -1;
}

int ini_process_auth(struct ini *in, const uint8_t *buf, size_t len, struct ike_msg *m,
		     const char *psk)
{
	const struct ike_pl *idr, *auth, *n;
	uint8_t want[64];
	int rc;

	rc = open_auth_resp(in, buf, len, m);
	if (rc)
		return rc;
	idr = ike_msg_find(m, IKE_PL_IDR, NULL);
	auth = ike_msg_find(m, IKE_PL_AUTH, NULL);
	n = ike_msg_find(m, IKE_PL_NOTIFY, NULL);
	if (!idr || !auth)
		return n && n->f.u16a <= IKE_N_ERROR_MAX ? n->f.u16a : -1;
	/* The responder's PSK AUTH is the EAP final AUTH's computation with the PSK as key. */
	if (psk && (ini_key_auth(in, true, (const uint8_t *)psk, strlen(psk), idr->body.p,
				 idr->body.len, want) ||
		    auth->f.u8a != IKE_AUTH_PSK || auth->f.data.len != ike_prf_len(in->suite.prf) ||
		    CRYPTO_memcmp(want, auth->f.data.p, auth->f.data.len)))
		return -1;
	return auth_result(in, m, n);
}

/* What came with the AUTH of the last IKE_AUTH response: error notifies (child_err), CP,
 * the CHILD_SA (its keys into in->ck). @p n: the first notify. */
static int auth_result(struct ini *in, struct ike_msg *m, const struct ike_pl *n)
{
	const struct ike_pl *cp;
	struct ike_alg esp;

	for (; n; n = ike_msg_find(m, IKE_PL_NOTIFY, n))
		if (n->f.u16a <= IKE_N_ERROR_MAX)
			in->child_err = n->f.u16a;
	cp = ike_msg_find(m, IKE_PL_CP, NULL);
	if (cp) {
		for (unsigned i = 0; i < m->cp.n; i++) {
			const struct ike_cfg_at *a = &m->cp.attr[i];

			if (a->type == IKE_CFG_INTERNAL_IP4_ADDRESS && a->value.len == 4) {
				memcpy(in->addr4, a->value.p, 4);
				in->n_addr4++;
			} else if (a->type == IKE_CFG_INTERNAL_IP6_ADDRESS && a->value.len == 17) {
				memcpy(in->addr6, a->value.p, 16);
				in->has_addr6 = true;
			} else if (a->type == IKE_CFG_INTERNAL_IP4_NETMASK && a->value.len == 4) {
				memcpy(in->netmask, a->value.p, 4);
			} else if (a->type == IKE_CFG_INTERNAL_IP4_DNS) {
				in->n_dns4++;
			} else if (a->type == IKE_CFG_INTERNAL_IP4_SUBNET) {
				in->n_sub4++;
			}
		}
	}
	if (in->child_err || !ike_msg_find(m, IKE_PL_SA, NULL))
		return 0;
	if (m->sa.n_prop != 1 || m->sa.prop[0].proto != IKE_PROTO_ESP ||
	    m->sa.prop[0].spi_len != 4)
		return -1;
	memset(&in->esp, 0, sizeof(in->esp));
	for (unsigned i = 0; i < m->sa.n_xf; i++) {
		const struct ike_transform *t = &m->sa.xf[i];

		switch (t->type) {
		case IKE_TT_ENCR: in->esp.encr = t->id; in->esp.encr_bits = t->key_len; break;
		case IKE_TT_INTEG: in->esp.integ = t->id; break;
		case IKE_TT_ESN: in->esp.esn = t->id == 1; break;
		}
	}
	in->peer_esp_spi = (uint32_t)m->sa.prop[0].spi[0] << 24 |
			   (uint32_t)m->sa.prop[0].spi[1] << 16 |
			   (uint32_t)m->sa.prop[0].spi[2] << 8 | m->sa.prop[0].spi[3];
	in->tsi = m->tsi;
	in->tsr = m->tsr;
	if (ike_alg_init(&in->esp, false, &esp) ||
	    ike_child_keymat(in->suite.prf, in->keys.sk_d, in->keys.d_len, &esp, NULL, 0, in->ni,
			     sizeof(in->ni), in->nr, in->nr_len, &in->ck))
		return -1;
	return 0;
}

size_t ini_build_info(struct ini *in, uint8_t proto, uint32_t spi, uint8_t *out, size_t cap)
{
	uint8_t inner[256];
	struct ike_bld b;
	size_t il;

	ike_bld_init_chain(&b, inner, sizeof(inner));
	if (proto == IKE_PROTO_IKE) {
		ike_bld_delete(&b, IKE_PROTO_IKE, 0, NULL, 0);
	} else if (proto == IKE_PROTO_ESP) {
		uint8_t s[4] = { (uint8_t)(spi >> 24), (uint8_t)(spi >> 16), (uint8_t)(spi >> 8),
				 (uint8_t)spi };

		ike_bld_delete(&b, IKE_PROTO_ESP, 4, s, 1);
	}
	il = ike_bld_finish(&b);
	if (!il && b.w.err)
		return 0;
	return ini_seal(in, IKE_XCHG_INFORMATIONAL, in->msg_id++, inner, il, ike_bld_first(&b),
			out, cap);
}

static int seal_frags(struct ini *in, uint8_t exchange, uint8_t flags, uint32_t msg_id,
		      const uint8_t *inner, size_t ilen, uint8_t first, unsigned nfrag,
		      uint8_t *out, size_t *lens)
{
	size_t per = (ilen + nfrag - 1) / nfrag, off = 0;
	const EVP_CIPHER *ciph;

	if (in->suite.encr != IKE_ENCR_AES_GCM_16 || !nfrag)
		return -1;
	ciph = in->suite.encr_bits == 256 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
	for (unsigned i = 0; i < nfrag; i++) {
		uint8_t *o = out + (size_t)i * INI_FRAG_CAP, nonce[12];
		size_t n = i + 1 == nfrag ? ilen - off : per, len, ct = n + 1;
		struct ike_hdr h = { .spi_i = in->spi_i, .spi_r = in->spi_r, .exchange = exchange,
				     .flags = flags, .msg_id = msg_id };
		struct ike_bld b;
		EVP_CIPHER_CTX *c;
		int l, ok;

		/* header, then SKF: generic header, fragment number, total, IV, ct, ICV */
		ike_bld_init(&b, o, INI_FRAG_CAP, &h);
		len = IKE_HDR_LEN + 8 + 8 + ct + 16;
		if (len > INI_FRAG_CAP)
			return -1;
		o[16] = IKE_PL_SKF;
		memset(o + 24, 0, 4);
		o[24] = (uint8_t)(len >> 24), o[25] = (uint8_t)(len >> 16);
		o[26] = (uint8_t)(len >> 8), o[27] = (uint8_t)len;
		o[28] = i == 0 ? first : 0;
		o[29] = 0;
		o[30] = (uint8_t)((len - IKE_HDR_LEN) >> 8), o[31] = (uint8_t)(len - IKE_HDR_LEN);
		o[32] = (uint8_t)((i + 1) >> 8), o[33] = (uint8_t)(i + 1);
		o[34] = (uint8_t)(nfrag >> 8), o[35] = (uint8_t)nfrag;
		ini_rng(&in->rs, o + 36, 8);
		memcpy(o + 44, inner + off, n);
		o[44 + n] = 0; /* pad length */
		memcpy(nonce, in->keys.sk_ei + in->suite.encr_bits / 8, 4);
		memcpy(nonce + 4, o + 36, 8);
		c = EVP_CIPHER_CTX_new();
		ok = c && EVP_EncryptInit_ex(c, ciph, NULL, NULL, NULL) == 1 &&
		     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1 &&
		     EVP_EncryptInit_ex(c, NULL, NULL, in->keys.sk_ei, nonce) == 1 &&
		     EVP_EncryptUpdate(c, NULL, &l, o, 36) == 1 &&
		     EVP_EncryptUpdate(c, o + 44, &l, o + 44, (int)ct) == 1 &&
		     EVP_EncryptFinal_ex(c, o + 44 + ct, &l) == 1 &&
		     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, o + 44 + ct) == 1;
		EVP_CIPHER_CTX_free(c);
		if (!ok)
			return -1;
		lens[i] = len;
		off += n;
	}
	return 0;
}

int ini_seal_frags(struct ini *in, uint8_t exchange, uint32_t msg_id, const uint8_t *inner,
		   size_t ilen, uint8_t first, unsigned nfrag, uint8_t *out, size_t *lens)
{
	return seal_frags(in, exchange, IKE_HDR_F_I, msg_id, inner, ilen, first, nfrag, out, lens);
}

int ini_seal_resp_frags(struct ini *in, uint8_t exchange, uint32_t msg_id, const uint8_t *inner,
			size_t ilen, uint8_t first, unsigned nfrag, uint8_t *out, size_t *lens)
{
	return seal_frags(in, exchange, IKE_HDR_F_I | IKE_HDR_F_R, msg_id, inner, ilen, first,
			  nfrag, out, lens);
}

/* ---- CREATE_CHILD_SA and requests from the responder ------------------------------------ */

void ini_cc_free(struct ini_cc *cc)
{
	ike_dh_free(cc->dh);
	cc->dh = NULL;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

size_t ini_build_create(struct ini *in, struct ini_cc *cc, uint8_t *out, size_t cap)
{
	struct ike_sa_pl *sa = calloc(1, sizeof(*sa));
	uint8_t inner[4096], spi4[4];
	struct ike_ts_pl tsi, tsr;
	struct ike_bld b;
	size_t il, len = 0;

	if (!sa)
		return 0;
	ini_rng(&in->rs, cc->ni, sizeof(cc->ni));
	ike_dh_free(cc->dh);
	cc->dh = NULL;
	if (cc->ke_group && ike_dh_new(cc->ke_group, &in->rng, &cc->dh))
		goto out;
	ike_bld_init_chain(&b, inner, sizeof(inner));
	if (cc->rekey_spi) {
		put32(spi4, cc->rekey_spi);
		ike_bld_notify(&b, IKE_PROTO_ESP, spi4, 4, IKE_N_REKEY_SA, NULL, 0);
	}
	if (cc->ike) {
		uint16_t dh[5] = { cc->ke_group, 0 };

		if (cc->ike_groups[0])
			memcpy(dh, cc->ike_groups, sizeof(cc->ike_groups));
		ini_proposal(sa, in->suite.encr, in->suite.encr_bits, in->suite.prf,
			     in->suite.integ, dh);
		sa->prop[0].spi_len = 8;
		for (int i = 0; i < 8; i++)
			sa->prop[0].spi[i] = (uint8_t)(cc->new_spi_i >> (56 - 8 * i));
	} else if (cc->esp) {
		*sa = *cc->esp;
	} else {
		if (!cc->spi) {
			ini_rng(&in->rs, (uint8_t *)&cc->spi, 4);
			cc->spi |= 0x1000;
		}
		ini_esp_proposal(sa, cc->spi, IKE_ENCR_AES_GCM_16, 128, 0, false, true);
		if (cc->pfs_group) {
			sa->xf[sa->n_xf++] = (struct ike_transform){ .type = IKE_TT_DH,
								     .id = cc->pfs_group };
			sa->prop[0].n_xf++;
		}
	}
	ike_bld_sa(&b, sa);
	ike_bld_data(&b, IKE_PL_NONCE, cc->ni, sizeof(cc->ni));
	if (cc->dh) {
		size_t pl;
		const uint8_t *pub = ike_dh_pub(cc->dh, &pl);

		ike_bld_ke(&b, cc->ke_group, pub, pl);
	}
	if (!cc->ike) {
		if (cc->tsi)
			tsi = *cc->tsi;
		else
			ini_ts4(&tsi, any4_s, any4_e);
		if (cc->tsr)
			tsr = *cc->tsr;
		else
			ini_ts4(&tsr, any4_s, any4_e);
		ike_bld_ts(&b, IKE_PL_TSI, &tsi);
		ike_bld_ts(&b, IKE_PL_TSR, &tsr);
	}
	il = ike_bld_finish(&b);
	if (!il)
		goto out;
	cc->msg_id = in->msg_id;
	len = ini_seal(in, IKE_XCHG_CREATE_CHILD_SA, in->msg_id++, inner, il, ike_bld_first(&b),
		       out, cap);
out:
	free(sa);
	return len;
}

int ini_process_create(struct ini *in, struct ini_cc *cc, const uint8_t *buf, size_t len,
		       struct ike_msg *m, struct ini *nin)
{
	const struct ike_pl *n, *nr, *ke;
	uint8_t gir[IKE_DH_SECRET_MAX];
	size_t gl = 0;
	struct ike_alg a;
	int rc = -1;

	cc->err = cc->err_group = 0;
	cc->pfs = false;
	if (ini_open(in, buf, len, m) || m->hdr.msg_id != cc->msg_id ||
	    m->hdr.exchange != IKE_XCHG_CREATE_CHILD_SA)
		return -1;
	for (n = NULL; (n = ike_msg_find(m, IKE_PL_NOTIFY, n));)
		if (n->f.u16a <= IKE_N_ERROR_MAX) {
			cc->err = n->f.u16a;
			if (cc->err == IKE_N_INVALID_KE_PAYLOAD && n->f.data.len == 2)
				cc->err_group = (uint16_t)(n->f.data.p[0] << 8 | n->f.data.p[1]);
			return cc->err;
		}
	nr = ike_msg_find(m, IKE_PL_NONCE, NULL);
	ke = ike_msg_find(m, IKE_PL_KE, NULL);
	if (!ike_msg_find(m, IKE_PL_SA, NULL) || m->sa.n_prop != 1 || !nr ||
	    nr->f.data.len > sizeof(cc->nr))
		return -1;
	cc->nr_len = nr->f.data.len;
	memcpy(cc->nr, nr->f.data.p, cc->nr_len);
	memset(&cc->suite, 0, sizeof(cc->suite));
	for (unsigned i = 0; i < m->sa.n_xf; i++) {
		const struct ike_transform *t = &m->sa.xf[i];

		switch (t->type) {
		case IKE_TT_ENCR: cc->suite.encr = t->id; cc->suite.encr_bits = t->key_len; break;
		case IKE_TT_PRF: cc->suite.prf = t->id; break;
		case IKE_TT_INTEG: cc->suite.integ = t->id; break;
		case IKE_TT_DH: cc->suite.dh = t->id; break;
		case IKE_TT_ESN: cc->suite.esn = t->id == 1; break;
		}
	}
	if (ke) {
		if (!cc->dh || ke->f.u16a != cc->ke_group ||
		    ike_dh_derive(cc->dh, ke->f.data.p, ke->f.data.len, gir, &gl))
			goto out;
		cc->pfs = true;
	}
	if (cc->ike) {
		if (!ke || m->sa.prop[0].proto != IKE_PROTO_IKE || m->sa.prop[0].spi_len != 8)
			goto out;
		cc->new_spi_r = 0;
		for (int i = 0; i < 8; i++)
			cc->new_spi_r = cc->new_spi_r << 8 | m->sa.prop[0].spi[i];
		if (nin) {
			ini_init(nin, in->rs.s ^ 0x9e3779b97f4a7c15ull, cc->ke_group);
			nin->spi_i = cc->new_spi_i;
			nin->spi_r = cc->new_spi_r;
			nin->suite = cc->suite;
			nin->msg_id = 0;
			if (ike_alg_init(&nin->suite, true, &nin->alg) ||
			    ike_derive_rekey_keys(&nin->alg, in->suite.prf, in->keys.sk_d,
						  in->keys.d_len, cc->ni, sizeof(cc->ni), cc->nr,
						  cc->nr_len, gir, gl, nin->spi_i, nin->spi_r,
						  &nin->keys))
				goto out;
		}
		rc = 0;
		goto out;
	}
	if (m->sa.prop[0].proto != IKE_PROTO_ESP || m->sa.prop[0].spi_len != 4 ||
	    !ike_msg_find(m, IKE_PL_TSI, NULL) || !ike_msg_find(m, IKE_PL_TSR, NULL))
		goto out;
	cc->peer_spi = (uint32_t)m->sa.prop[0].spi[0] << 24 | (uint32_t)m->sa.prop[0].spi[1] << 16 |
		       (uint32_t)m->sa.prop[0].spi[2] << 8 | m->sa.prop[0].spi[3];
	cc->tsi_r = m->tsi;
	cc->tsr_r = m->tsr;
	if (ike_alg_init(&cc->suite, false, &a) ||
	    ike_child_keymat(in->suite.prf, in->keys.sk_d, in->keys.d_len, &a, gl ? gir : NULL, gl,
			     cc->ni, sizeof(cc->ni), cc->nr, cc->nr_len, &cc->ck))
		goto out;
	rc = 0;
out:
	memset(gir, 0, sizeof(gir));
	return rc;
}

int ini_open_req(struct ini *in, const uint8_t *buf, size_t len, struct ike_msg *m)
{
	static uint8_t plain[8192]; /* m points into it after we return */
	size_t pl;

	if (ike_msg_parse(buf, len, m, NULL) != IKE_PERR_OK || (m->hdr.flags & IKE_HDR_F_R) ||
	    ike_sk_open(&in->alg, in->keys.sk_er, in->keys.sk_ar, m, plain, sizeof(plain), &pl) ||
	    ike_payloads_parse(m->sk_next, plain, pl, m, NULL) != IKE_PERR_OK)
		return -1;
	return 0;
}

size_t ini_seal_resp(struct ini *in, uint8_t exchange, uint32_t msg_id, const uint8_t *inner,
		     size_t ilen, uint8_t first, uint8_t *out, size_t cap)
{
	struct ike_hdr h = { .spi_i = in->spi_i, .spi_r = in->spi_r, .exchange = exchange,
			     .flags = IKE_HDR_F_I | IKE_HDR_F_R, .msg_id = msg_id };
	size_t len;

	if (ike_sk_seal(&in->alg, in->keys.sk_ei, in->keys.sk_ai, &in->rng, &h, first, inner,
			ilen, out, cap, &len))
		return 0;
	return len;
}

/* ---- EAP in IKE_AUTH (RFC 7296 §2.16) --------------------------------------------------- */

size_t ini_build_auth_step(struct ini *in, uint8_t type, uint8_t method, const uint8_t *data,
			   size_t len, uint8_t *out, size_t cap)
{
	uint8_t inner[INI_EAP_STEP_MAX + 16];
	struct ike_bld b;
	size_t il;

	if (len > INI_EAP_STEP_MAX || (type != IKE_PL_EAP && type != IKE_PL_AUTH))
		return 0;
	ike_bld_init_chain(&b, inner, sizeof(inner));
	if (type == IKE_PL_AUTH)
		ike_bld_id(&b, IKE_PL_AUTH, method, data, len);
	else
		ike_bld_data(&b, IKE_PL_EAP, data, len);
	il = ike_bld_finish(&b);
	if (!il)
		return 0;
	return ini_seal(in, IKE_XCHG_IKE_AUTH, in->msg_id++, inner, il, ike_bld_first(&b), out,
			cap);
}

int ini_key_auth(struct ini *in, bool resp, const uint8_t *key, size_t key_len,
		 const uint8_t *id, size_t id_len, uint8_t *out)
{
	const uint8_t *k = key ? key : resp ? in->keys.sk_pr : in->keys.sk_pi;
	size_t kl = key ? key_len : in->keys.p_len, ol;
	uint8_t oct[4096];
	int rc;

	if (resp)
		rc = ike_auth_octets(in->suite.prf, in->init_resp, in->init_resp_len, in->ni,
				     sizeof(in->ni), in->keys.sk_pr, in->keys.p_len, id, id_len, oct,
				     sizeof(oct), &ol);
	else
		rc = ike_auth_octets(in->suite.prf, in->init_req, in->init_req_len, in->nr,
				     in->nr_len, in->keys.sk_pi, in->keys.p_len, id, id_len, oct,
				     sizeof(oct), &ol);
	if (rc || ike_auth_psk(in->suite.prf, k, kl, oct, ol, out))
		return -1;
	return 0;
}

int ini_process_eap_final(struct ini *in, const uint8_t *buf, size_t len, struct ike_msg *m,
			  const uint8_t *idr, size_t idr_len, const uint8_t *msk, size_t msk_len)
{
	const struct ike_pl *auth, *n;
	uint8_t want[64];
	int rc;

	rc = open_auth_resp(in, buf, len, m);
	if (rc)
		return rc;
	auth = ike_msg_find(m, IKE_PL_AUTH, NULL);
	n = ike_msg_find(m, IKE_PL_NOTIFY, NULL);
	if (!auth)
		return n && n->f.u16a <= IKE_N_ERROR_MAX ? n->f.u16a : -1;
	if (ini_key_auth(in, true, msk, msk_len, idr, idr_len, want) ||
	    auth->f.u8a != IKE_AUTH_PSK || auth->f.data.len != ike_prf_len(in->suite.prf) ||
	    CRYPTO_memcmp(want, auth->f.data.p, auth->f.data.len))
		return -1;
	return auth_result(in, m, n);
}
