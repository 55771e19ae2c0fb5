/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* IKEv2 payload parsing and building (RFC 7296 §3, RFC 7383 §2.5), driven by the tables of
 * payload.h: one generic routine reads/writes the fixed fields of every payload; the nested
 * structures (proposals, transforms, selectors, config attributes) have one reader and one
 * writer each. */
#include "controlplane/ike/payload.h"

#include <stdio.h>
#include <string.h>

/* ---- declarative layouts ------------------------------------------------------------------
 * A layout lists the fixed fields after the generic payload header: FLD(width, member of
 * struct ike_pl_fields) or RSV(width) for a RESERVED field (sent as zero, ignored on receipt,
 * §3.2). Widths are 1 or 2 for members; any for RESERVED. */
struct field_desc {
	uint8_t width;
	int16_t off; /* offsetof in struct ike_pl_fields, -1 = reserved */
};

#define FLD(w, m) { w, (int16_t)offsetof(struct ike_pl_fields, m) },
#define RSV(w) { w, -1 },
#define END { 0, 0 }

#define LAY_none
#define LAY_ke FLD(2, u16a) RSV(2)                 /* §3.4: DH group, reserved */
#define LAY_id FLD(1, u8a) RSV(3)                  /* §3.5 / §3.8 / §3.15: type, reserved */
#define LAY_cert FLD(1, u8a)                       /* §3.6 / §3.7: encoding */
#define LAY_notify FLD(1, u8a) FLD(1, u8b) FLD(2, u16a) /* §3.10: proto, SPI size, type */
#define LAY_delete FLD(1, u8a) FLD(1, u8b) FLD(2, u16a) /* §3.11: proto, SPI size, count */
#define LAY_ts FLD(1, n_ts) RSV(3)                 /* §3.13: number of TSs, reserved */
#define LAY_eap FLD(1, u8a) FLD(1, u8b) FLD(2, u16a) /* §3.16: code, identifier, length */
#define LAY_skf FLD(2, u16a) FLD(2, u16b)          /* RFC 7383 §2.5: fragment #, total */

#define X(name) static const struct field_desc lay_##name[] = { LAY_##name END };
X(none) X(ke) X(id) X(cert) X(notify) X(delete) X(ts) X(eap) X(skf)
#undef X

/* Variable parts. */
enum var_kind { VAR_DATA, VAR_NONCE, VAR_NOTIFY, VAR_DELETE, VAR_SA, VAR_TS, VAR_CP, VAR_EAP };

struct pl_desc {
	uint8_t type;
	uint8_t var;
	uint8_t max;
	const char *name;
	const struct field_desc *lay;
};

static const struct pl_desc pl_descs[] = {
#define X(n, v, lay, var, max) { v, VAR_##var, max, #n, lay_##lay },
	IKE_PAYLOADS(X)
#undef X
};

static const struct pl_desc *pl_desc(uint8_t type)
{
	for (size_t i = 0; i < sizeof(pl_descs) / sizeof(pl_descs[0]); i++)
		if (pl_descs[i].type == type)
			return &pl_descs[i];
	return NULL;
}

const char *ike_pl_name(uint8_t type)
{
	const struct pl_desc *d = pl_desc(type);

	return d ? d->name : "?";
}

static bool fields_read(struct rp_cursor *c, const struct field_desc *lay,
			struct ike_pl_fields *f)
{
	for (; lay->width; lay++) {
		if (lay->off < 0) {
			rp_cur_skip(c, lay->width);
		} else if (lay->width == 1) {
			rp_cur_u8(c, (uint8_t *)((char *)f + lay->off));
		} else {
			rp_cur_u16(c, (uint16_t *)((char *)f + lay->off));
		}
	}
	return rp_cur_ok(c);
}

static bool fields_write(struct rp_wbuf *w, const struct field_desc *lay,
			 const struct ike_pl_fields *f)
{
	for (; lay->width; lay++) {
		if (lay->off < 0) {
			uint8_t *d = rp_wbuf_put(w, lay->width);

			if (d)
				memset(d, 0, lay->width);
		} else if (lay->width == 1) {
			rp_wbuf_u8(w, *(const uint8_t *)((const char *)f + lay->off));
		} else {
			rp_wbuf_u16(w, *(const uint16_t *)((const char *)f + lay->off));
		}
	}
	return !w->err;
}

/* ---- names -------------------------------------------------------------------------------- */
#define NAME_FN(fn, LIST, pfx)                      \
	const char *fn(unsigned v)                  \
	{                                           \
		switch (v) {                        \
		LIST(pfx)                           \
		}                                   \
		return "?";                         \
	}
#define CASE(n, v) case v: return #n;
NAME_FN(ike_exchange_name, IKE_EXCHANGES, CASE)
NAME_FN(ike_notify_name, IKE_NOTIFIES, CASE)
NAME_FN(ike_encr_name, IKE_ENCRS, CASE)
NAME_FN(ike_prf_name, IKE_PRFS, CASE)
NAME_FN(ike_integ_name, IKE_INTEGS, CASE)
NAME_FN(ike_dh_name, IKE_DH_GROUPS, CASE)
#undef CASE

/* ---- parsing ------------------------------------------------------------------------------ */

static enum ike_perr fail(struct ike_perr_info *info, enum ike_perr e, uint8_t type, size_t off,
			  const char *why)
{
	if (info) {
		info->err = e;
		info->pl_type = type;
		info->off = off;
		info->why = why;
	}
	return e;
}

bool ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h)
{
	struct rp_cursor c;

	rp_cur_init(&c, buf, len);
	rp_cur_u64(&c, &h->spi_i);
	rp_cur_u64(&c, &h->spi_r);
	rp_cur_u8(&c, &h->next);
	rp_cur_u8(&c, &h->version);
	rp_cur_u8(&c, &h->exchange);
	rp_cur_u8(&c, &h->flags);
	rp_cur_u32(&c, &h->msg_id);
	rp_cur_u32(&c, &h->length);
	return rp_cur_ok(&c);
}

/* §3.3: proposals, transforms, attributes. */
static const char *parse_sa(struct rp_cursor *c, struct ike_sa_pl *sa, enum ike_perr *e)
{
	uint8_t last = 2;

	*e = IKE_PERR_SYNTAX;
	sa->n_prop = 0;
	sa->n_xf = 0;
	if (!rp_cur_left(c))
		return "SA without proposals";
	while (rp_cur_left(c)) {
		struct ike_proposal *p;
		struct rp_cursor pc;
		uint8_t rsv, n_xf, xlast = 3;
		uint16_t plen;

		if (last != 2)
			return "proposal after the last one";
		if (sa->n_prop == IKE_MAX_PROPOSALS) {
			*e = IKE_PERR_BOUNDS;
			return "too many proposals";
		}
		p = &sa->prop[sa->n_prop];
		rp_cur_u8(c, &last);
		rp_cur_u8(c, &rsv);
		if (!rp_cur_u16(c, &plen) || plen < 8 || !rp_cur_sub(c, plen - 4u, &pc))
			return "bad proposal length";
		if (last != 0 && last != 2)
			return "bad proposal 'last' field";
		rp_cur_u8(&pc, &p->num);
		rp_cur_u8(&pc, &p->proto);
		rp_cur_u8(&pc, &p->spi_len);
		rp_cur_u8(&pc, &n_xf);
		if (!rp_cur_ok(&pc) || p->spi_len > IKE_MAX_SPI_LEN ||
		    !rp_cur_bytes(&pc, p->spi, p->spi_len))
			return "bad proposal SPI";
		if (n_xf > IKE_MAX_TRANSFORMS) {
			*e = IKE_PERR_BOUNDS;
			return "too many transforms in a proposal";
		}
		p->first = (uint16_t)sa->n_xf;
		p->n_xf = 0;
		while (rp_cur_left(&pc)) {
			struct ike_transform *t;
			struct rp_cursor tc;
			uint16_t tlen;

			if (xlast != 3)
				return "transform after the last one";
			if (p->n_xf == n_xf)
				return "more transforms than announced";
			if (sa->n_xf == IKE_MAX_SA_TRANSFORMS) {
				*e = IKE_PERR_BOUNDS;
				return "too many transforms in the SA payload";
			}
			t = &sa->xf[sa->n_xf];
			memset(t, 0, sizeof(*t));
			rp_cur_u8(&pc, &xlast);
			rp_cur_skip(&pc, 1);
			if (!rp_cur_u16(&pc, &tlen) || tlen < 8 || !rp_cur_sub(&pc, tlen - 4u, &tc))
				return "bad transform length";
			if (xlast != 0 && xlast != 3)
				return "bad transform 'last' field";
			rp_cur_u8(&tc, &t->type);
			rp_cur_skip(&tc, 1);
			rp_cur_u16(&tc, &t->id);
			while (rp_cur_left(&tc)) {
				uint16_t at, av;

				rp_cur_u16(&tc, &at);
				if (!rp_cur_u16(&tc, &av))
					return "truncated transform attribute";
				if (at & 0x8000) {
					if ((at & 0x7fff) == IKE_ATTR_KEY_LENGTH && !t->has_key_len) {
						t->key_len = av;
						t->has_key_len = true;
					} else {
						t->unknown_attr = true;
					}
				} else {
					/* TLV: av is the length (§3.3.5); Key Length is never TLV */
					if (!rp_cur_skip(&tc, av))
						return "truncated transform attribute";
					t->unknown_attr = true;
				}
			}
			if (!rp_cur_ok(&tc))
				return "bad transform";
			sa->n_xf++;
			p->n_xf++;
		}
		if (!rp_cur_ok(&pc) || xlast != 0 || p->n_xf != n_xf)
			return "transform count does not match";
		sa->n_prop++;
	}
	if (last != 0)
		return "last proposal not marked last";
	*e = IKE_PERR_OK;
	return NULL;
}

/* §3.13.1 */
static const char *parse_ts(struct rp_cursor *c, unsigned n, struct ike_ts_pl *tp,
			    enum ike_perr *e)
{
	*e = IKE_PERR_SYNTAX;
	if (n == 0)
		return "TS payload without selectors";
	if (n > IKE_MAX_TS) {
		*e = IKE_PERR_BOUNDS;
		return "too many traffic selectors";
	}
	tp->n = 0;
	for (unsigned i = 0; i < n; i++) {
		struct ike_ts *ts = &tp->ts[i];
		uint16_t len;
		size_t alen;

		memset(ts, 0, sizeof(*ts));
		rp_cur_u8(c, &ts->type);
		rp_cur_u8(c, &ts->proto);
		rp_cur_u16(c, &len);
		rp_cur_u16(c, &ts->sport);
		rp_cur_u16(c, &ts->eport);
		if (!rp_cur_ok(c))
			return "truncated traffic selector";
		if (ts->type == IKE_TS_IPV4_RANGE && len == 16)
			alen = 4;
		else if (ts->type == IKE_TS_IPV6_RANGE && len == 40)
			alen = 16;
		else
			return "unknown traffic selector type or bad length";
		rp_cur_bytes(c, ts->start, alen);
		if (!rp_cur_bytes(c, ts->end, alen))
			return "truncated traffic selector";
		tp->n++;
	}
	if (rp_cur_left(c))
		return "bytes after the traffic selectors";
	*e = IKE_PERR_OK;
	return NULL;
}

/* §3.15.1 */
static const char *parse_cp(struct rp_cursor *c, struct ike_cp_pl *cp, enum ike_perr *e)
{
	*e = IKE_PERR_SYNTAX;
	cp->n = 0;
	while (rp_cur_left(c)) {
		struct ike_cfg_at *a;
		uint16_t t = 0, l = 0;

		if (cp->n == IKE_MAX_CFG_ATTRS) {
			*e = IKE_PERR_BOUNDS;
			return "too many configuration attributes";
		}
		a = &cp->attr[cp->n];
		rp_cur_u16(c, &t);
		rp_cur_u16(c, &l);
		a->type = t & 0x7fff;
		a->value.len = l;
		a->value.p = rp_cur_take(c, l);
		if (!a->value.p)
			return "truncated configuration attribute";
		cp->n++;
	}
	*e = IKE_PERR_OK;
	return NULL;
}

static enum ike_perr parse_chain(uint8_t first, struct rp_cursor *c, size_t base,
				 struct ike_msg *m, bool outer, struct ike_perr_info *info)
{
	uint8_t np = first;
	unsigned count[256] = { 0 }, total = 0;

	m->n = 0;
	m->sk_next = 0;
	m->sk_off = 0;
	while (np != IKE_PL_NONE) {
		size_t off = base + c->off;
		const struct pl_desc *d;
		struct rp_cursor body;
		struct ike_pl *pl;
		enum ike_perr e = IKE_PERR_OK;
		const char *why = NULL;
		uint8_t next = 0, flags = 0;
		uint16_t len = 0;

		if (++total > IKE_MAX_PAYLOADS)
			return fail(info, IKE_PERR_BOUNDS, np, off, "too many payloads");
		rp_cur_u8(c, &next);
		rp_cur_u8(c, &flags);
		if (!rp_cur_u16(c, &len) || len < IKE_GEN_HDR_LEN ||
		    !rp_cur_sub(c, len - IKE_GEN_HDR_LEN, &body))
			return fail(info, IKE_PERR_SYNTAX, np, off, "bad payload length");
		d = pl_desc(np);
		if (!d) {
			/* §2.5: skip unknown payloads unless the critical bit is set */
			if (flags & 0x80)
				return fail(info, IKE_PERR_CRITICAL, np, off,
					    "unsupported critical payload");
			np = next;
			continue;
		}
		if (++count[np] > d->max)
			return fail(info, IKE_PERR_SYNTAX, np, off, "duplicate payload");
		pl = &m->pl[m->n];
		memset(pl, 0, sizeof(*pl));
		pl->type = np;
		pl->critical = (flags & 0x80) != 0;
		pl->body.p = body.p;
		pl->body.len = body.len;
		if (!fields_read(&body, d->lay, &pl->f))
			return fail(info, IKE_PERR_SYNTAX, np, off, "payload too short");
		switch (d->var) {
		case VAR_DATA:
			break;
		case VAR_NONCE:
			/* §3.9: 16..256 octets */
			if (rp_cur_left(&body) < 16 || rp_cur_left(&body) > 256)
				why = "nonce length out of 16..256";
			break;
		case VAR_NOTIFY:
			pl->f.spi.len = pl->f.u8b;
			pl->f.spi.p = pl->f.u8b > IKE_MAX_SPI_LEN ? NULL : rp_cur_take(&body, pl->f.u8b);
			if (!pl->f.spi.p)
				why = "bad notify SPI size";
			break;
		case VAR_DELETE:
			pl->f.spi.len = (size_t)pl->f.u8b * pl->f.u16a;
			pl->f.spi.p = rp_cur_take(&body, pl->f.spi.len);
			if (!pl->f.spi.p || rp_cur_left(&body) ||
			    (pl->f.u8a == IKE_PROTO_IKE ? pl->f.u8b != 0 : pl->f.u8b != 4))
				why = "bad delete SPI list";
			break;
		case VAR_SA:
			why = parse_sa(&body, &m->sa, &e);
			break;
		case VAR_TS:
			why = parse_ts(&body, pl->f.n_ts, np == IKE_PL_TSI ? &m->tsi : &m->tsr, &e);
			break;
		case VAR_CP:
			m->cp.cfg_type = pl->f.u8a;
			why = parse_cp(&body, &m->cp, &e);
			break;
		case VAR_EAP:
			if (pl->f.u16a != body.len)
				why = "EAP length does not match the payload";
			break;
		}
		if (why)
			return fail(info, e != IKE_PERR_OK ? e : IKE_PERR_SYNTAX, np, off, why);
		pl->f.data.p = body.p + body.off;
		pl->f.data.len = rp_cur_left(&body);
		if (np == IKE_PL_KE && !pl->f.data.len)
			return fail(info, IKE_PERR_SYNTAX, np, off, "empty KE");
		if (np == IKE_PL_SKF && (pl->f.u16a == 0 || pl->f.u16a > pl->f.u16b))
			return fail(info, IKE_PERR_SYNTAX, np, off, "bad fragment number");
		m->n++;
		if (np == IKE_PL_SK || np == IKE_PL_SKF) {
			/* §3.14: SK is the last payload; its "next" names the first inner one */
			if (!outer)
				return fail(info, IKE_PERR_SYNTAX, np, off, "SK inside SK");
			if (count[IKE_PL_SK] + count[IKE_PL_SKF] > 1 || rp_cur_left(c))
				return fail(info, IKE_PERR_SYNTAX, np, off, "SK is not the last payload");
			m->sk_next = next;
			m->sk_off = off;
			return IKE_PERR_OK;
		}
		np = next;
	}
	if (!rp_cur_done(c))
		return fail(info, IKE_PERR_SYNTAX, 0, base + c->off, "bytes after the last payload");
	return IKE_PERR_OK;
}

enum ike_perr ike_msg_parse(const uint8_t *buf, size_t len, struct ike_msg *m,
			    struct ike_perr_info *info)
{
	struct rp_cursor c;

	if (info)
		memset(info, 0, sizeof(*info));
	m->raw.p = buf;
	m->raw.len = len;
	m->n = 0;
	if (!ike_hdr_parse(buf, len, &m->hdr))
		return fail(info, IKE_PERR_SHORT, 0, 0, "shorter than an IKE header");
	if ((m->hdr.version >> 4) != 2)
		return fail(info, IKE_PERR_VERSION, 0, 17, "major version is not 2");
	if (m->hdr.length != len || len > IKE_MSG_MAX)
		return fail(info, IKE_PERR_SHORT, 0, 24, "length field does not match the datagram");
	rp_cur_init(&c, buf + IKE_HDR_LEN, len - IKE_HDR_LEN);
	return parse_chain(m->hdr.next, &c, IKE_HDR_LEN, m, true, info);
}

enum ike_perr ike_payloads_parse(uint8_t first, const uint8_t *buf, size_t len,
				 struct ike_msg *m, struct ike_perr_info *info)
{
	struct rp_cursor c;

	if (info)
		memset(info, 0, sizeof(*info));
	rp_cur_init(&c, buf, len);
	return parse_chain(first, &c, 0, m, false, info);
}

const struct ike_pl *ike_msg_find(const struct ike_msg *m, uint8_t type,
				  const struct ike_pl *after)
{
	unsigned i = after ? (unsigned)(after - m->pl) + 1 : 0;

	for (; i < m->n; i++)
		if (m->pl[i].type == type)
			return &m->pl[i];
	return NULL;
}

const struct ike_pl *ike_msg_notify(const struct ike_msg *m, uint16_t ntype)
{
	const struct ike_pl *p = NULL;

	while ((p = ike_msg_find(m, IKE_PL_NOTIFY, p)))
		if (p->f.u16a == ntype)
			return p;
	return NULL;
}

void ike_msg_summary(const struct ike_msg *m, char *out, size_t outlen)
{
	size_t o = 0;

	if (!outlen)
		return;
	out[0] = 0;
	for (unsigned i = 0; i < m->n && o < outlen; i++) {
		const struct ike_pl *p = &m->pl[i];
		int r;

		if (p->type == IKE_PL_NOTIFY)
			r = snprintf(out + o, outlen - o, "%sN(%s)", i ? " " : "",
				     ike_notify_name(p->f.u16a));
		else
			r = snprintf(out + o, outlen - o, "%s%s", i ? " " : "", ike_pl_name(p->type));
		if (r < 0)
			break;
		o += (size_t)r;
	}
}

/* ---- building ------------------------------------------------------------------------------ */

static void patch_u8(struct rp_wbuf *w, size_t off, uint8_t v)
{
	if (w->err || off >= w->len) {
		w->err = true;
		return;
	}
	w->p[off] = v;
}

void ike_bld_init_chain(struct ike_bld *b, uint8_t *buf, size_t cap)
{
	rp_wbuf_init(&b->w, buf, cap);
	b->has_hdr = false;
	b->first = 0;
	b->np_off = SIZE_MAX;
	b->len_off = SIZE_MAX;
	b->start = 0;
}

void ike_bld_init(struct ike_bld *b, uint8_t *buf, size_t cap, const struct ike_hdr *h)
{
	ike_bld_init_chain(b, buf, cap);
	b->has_hdr = true;
	rp_wbuf_u64(&b->w, h->spi_i);
	rp_wbuf_u64(&b->w, h->spi_r);
	b->np_off = b->w.len;
	rp_wbuf_u8(&b->w, 0);
	rp_wbuf_u8(&b->w, h->version ? h->version : 0x20);
	rp_wbuf_u8(&b->w, h->exchange);
	rp_wbuf_u8(&b->w, h->flags);
	rp_wbuf_u32(&b->w, h->msg_id);
	rp_wbuf_u32(&b->w, 0);
}

bool ike_bld_begin(struct ike_bld *b, uint8_t type, bool critical)
{
	if (b->len_off != SIZE_MAX || (b->np_off == SIZE_MAX && b->first)) {
		b->w.err = true; /* a payload is open, or SK was the last one */
		return false;
	}
	if (!b->first)
		b->first = type;
	if (b->np_off != SIZE_MAX)
		patch_u8(&b->w, b->np_off, type);
	b->start = b->w.len;
	b->np_off = b->w.len;
	rp_wbuf_u8(&b->w, 0);
	rp_wbuf_u8(&b->w, critical ? 0x80 : 0);
	b->len_off = rp_wbuf_reserve(&b->w, 2);
	return !b->w.err;
}

bool ike_bld_end(struct ike_bld *b)
{
	size_t len = b->w.len - b->start;

	if (b->len_off == SIZE_MAX || len > 0xffff) {
		b->w.err = true;
		return false;
	}
	rp_wbuf_patch_u16(&b->w, b->len_off, (uint16_t)len);
	b->len_off = SIZE_MAX;
	return !b->w.err;
}

size_t ike_bld_finish(struct ike_bld *b)
{
	if (b->len_off != SIZE_MAX)
		b->w.err = true;
	if (b->has_hdr)
		rp_wbuf_patch_u32(&b->w, 24, (uint32_t)b->w.len);
	if (b->w.err || b->w.len > IKE_MSG_MAX)
		return 0;
	return b->w.len;
}

static void write_sa(struct rp_wbuf *w, const struct ike_sa_pl *sa)
{
	for (unsigned i = 0; i < sa->n_prop; i++) {
		const struct ike_proposal *p = &sa->prop[i];
		size_t start = w->len, lo;

		rp_wbuf_u8(w, i + 1 < sa->n_prop ? 2 : 0);
		rp_wbuf_u8(w, 0);
		lo = rp_wbuf_reserve(w, 2);
		rp_wbuf_u8(w, p->num);
		rp_wbuf_u8(w, p->proto);
		rp_wbuf_u8(w, p->spi_len);
		rp_wbuf_u8(w, (uint8_t)p->n_xf);
		rp_wbuf_bytes(w, p->spi, p->spi_len <= IKE_MAX_SPI_LEN ? p->spi_len : 0);
		if (p->spi_len > IKE_MAX_SPI_LEN || p->n_xf > IKE_MAX_TRANSFORMS ||
		    (size_t)p->first + p->n_xf > sa->n_xf) {
			w->err = true;
			return;
		}
		for (unsigned j = 0; j < p->n_xf; j++) {
			const struct ike_transform *t = &sa->xf[p->first + j];

			rp_wbuf_u8(w, j + 1 < p->n_xf ? 3 : 0);
			rp_wbuf_u8(w, 0);
			rp_wbuf_u16(w, t->has_key_len ? 12 : 8);
			rp_wbuf_u8(w, t->type);
			rp_wbuf_u8(w, 0);
			rp_wbuf_u16(w, t->id);
			if (t->has_key_len) {
				rp_wbuf_u16(w, 0x8000 | IKE_ATTR_KEY_LENGTH);
				rp_wbuf_u16(w, t->key_len);
			}
		}
		rp_wbuf_patch_u16(w, lo, (uint16_t)(w->len - start));
	}
}

static void write_ts(struct rp_wbuf *w, const struct ike_ts_pl *tp)
{
	for (unsigned i = 0; i < tp->n; i++) {
		const struct ike_ts *ts = &tp->ts[i];
		size_t alen = ts->type == IKE_TS_IPV6_RANGE ? 16 : 4;

		rp_wbuf_u8(w, ts->type);
		rp_wbuf_u8(w, ts->proto);
		rp_wbuf_u16(w, (uint16_t)(8 + 2 * alen));
		rp_wbuf_u16(w, ts->sport);
		rp_wbuf_u16(w, ts->eport);
		rp_wbuf_bytes(w, ts->start, alen);
		rp_wbuf_bytes(w, ts->end, alen);
	}
}

static void write_cp(struct rp_wbuf *w, const struct ike_cp_pl *cp)
{
	for (unsigned i = 0; i < cp->n; i++) {
		rp_wbuf_u16(w, cp->attr[i].type & 0x7fff);
		rp_wbuf_u16(w, (uint16_t)cp->attr[i].value.len);
		rp_wbuf_bytes(w, cp->attr[i].value.p, cp->attr[i].value.len);
	}
}

bool ike_bld_pl(struct ike_bld *b, const struct ike_pl *pl, const struct ike_msg *m)
{
	const struct pl_desc *d = pl_desc(pl->type);

	if (!d || !ike_bld_begin(b, pl->type, pl->critical))
		return false;
	fields_write(&b->w, d->lay, &pl->f);
	switch (d->var) {
	case VAR_NOTIFY:
	case VAR_DELETE:
		rp_wbuf_bytes(&b->w, pl->f.spi.p, pl->f.spi.len);
		break;
	case VAR_SA:
		write_sa(&b->w, &m->sa);
		break;
	case VAR_TS:
		write_ts(&b->w, pl->type == IKE_PL_TSI ? &m->tsi : &m->tsr);
		break;
	case VAR_CP:
		write_cp(&b->w, &m->cp);
		break;
	default:
		break;
	}
	if (d->var != VAR_SA && d->var != VAR_TS && d->var != VAR_CP)
		rp_wbuf_bytes(&b->w, pl->f.data.p, pl->f.data.len);
	if (pl->type == IKE_PL_SK || pl->type == IKE_PL_SKF) {
		patch_u8(&b->w, b->np_off, m->sk_next);
		if (!ike_bld_end(b))
			return false;
		b->np_off = SIZE_MAX; /* nothing may follow */
		return true;
	}
	return ike_bld_end(b);
}

bool ike_bld_notify(struct ike_bld *b, uint8_t proto, const void *spi, uint8_t spi_len,
		    uint16_t type, const void *data, size_t len)
{
	struct ike_pl_fields f = { .u8a = proto, .u8b = spi_len, .u16a = type };

	if (!ike_bld_begin(b, IKE_PL_NOTIFY, false))
		return false;
	fields_write(&b->w, lay_notify, &f);
	rp_wbuf_bytes(&b->w, spi, spi_len);
	rp_wbuf_bytes(&b->w, data, len);
	return ike_bld_end(b);
}

bool ike_bld_data(struct ike_bld *b, uint8_t type, const void *data, size_t len)
{
	if (!ike_bld_begin(b, type, false))
		return false;
	rp_wbuf_bytes(&b->w, data, len);
	return ike_bld_end(b);
}

bool ike_bld_ke(struct ike_bld *b, uint16_t group, const void *data, size_t len)
{
	struct ike_pl_fields f = { .u16a = group };

	if (!ike_bld_begin(b, IKE_PL_KE, false))
		return false;
	fields_write(&b->w, lay_ke, &f);
	rp_wbuf_bytes(&b->w, data, len);
	return ike_bld_end(b);
}

bool ike_bld_id(struct ike_bld *b, uint8_t type, uint8_t id_type, const void *data,
		size_t len)
{
	struct ike_pl_fields f = { .u8a = id_type };

	if (!ike_bld_begin(b, type, false))
		return false;
	fields_write(&b->w, lay_id, &f);
	rp_wbuf_bytes(&b->w, data, len);
	return ike_bld_end(b);
}

bool ike_bld_cert(struct ike_bld *b, uint8_t type, uint8_t encoding, const void *data,
		  size_t len)
{
	struct ike_pl_fields f = { .u8a = encoding };

	if (!ike_bld_begin(b, type, false))
		return false;
	fields_write(&b->w, lay_cert, &f);
	rp_wbuf_bytes(&b->w, data, len);
	return ike_bld_end(b);
}

bool ike_bld_sa(struct ike_bld *b, const struct ike_sa_pl *sa)
{
	if (!ike_bld_begin(b, IKE_PL_SA, false))
		return false;
	write_sa(&b->w, sa);
	return ike_bld_end(b);
}

bool ike_bld_ts(struct ike_bld *b, uint8_t type, const struct ike_ts_pl *ts)
{
	struct ike_pl_fields f = { .n_ts = (uint8_t)ts->n };

	if (ts->n == 0 || ts->n > IKE_MAX_TS || !ike_bld_begin(b, type, false))
		return false;
	fields_write(&b->w, lay_ts, &f);
	write_ts(&b->w, ts);
	return ike_bld_end(b);
}

bool ike_bld_cp(struct ike_bld *b, const struct ike_cp_pl *cp)
{
	struct ike_pl_fields f = { .u8a = cp->cfg_type };

	if (!ike_bld_begin(b, IKE_PL_CP, false))
		return false;
	fields_write(&b->w, lay_id, &f);
	write_cp(&b->w, cp);
	return ike_bld_end(b);
}

bool ike_bld_delete(struct ike_bld *b, uint8_t proto, uint8_t spi_len, const void *spis,
		    uint16_t n)
{
	struct ike_pl_fields f = { .u8a = proto, .u8b = spi_len, .u16a = n };

	if (!ike_bld_begin(b, IKE_PL_DELETE, false))
		return false;
	fields_write(&b->w, lay_delete, &f);
	rp_wbuf_bytes(&b->w, spis, (size_t)spi_len * n);
	return ike_bld_end(b);
}
