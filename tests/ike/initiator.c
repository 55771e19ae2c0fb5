/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
#include "initiator.h"

#include <string.h>

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
}

void ini_free(struct ini *in)
{
	ike_dh_free(in->dh);
	in->dh = NULL;
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
	return ike_bld_finish(&b);
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
