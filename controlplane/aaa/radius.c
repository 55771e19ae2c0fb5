/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* RADIUS codec: tables, parsing, authenticators, hidden attributes, building. */
#include "controlplane/aaa/radius.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/cursor.h"

/* ---- tables ------------------------------------------------------------------------------ */

struct attr_desc {
	uint32_t vendor;
	uint8_t num;
	enum radius_type type;
	const char *name;
};

static const struct attr_desc attr_table[] = {
#define X(n, id, s, t) { 0, n, RADIUS_T_##t, s },
	RADIUS_ATTRS(X)
#undef X
#define X(v, n, id, s, t) { v, n, RADIUS_T_##t, s },
	RADIUS_VENDOR_ATTRS(X)
#undef X
};

static const struct attr_desc *attr_lookup(uint32_t vendor, uint8_t type)
{
	for (size_t i = 0; i < sizeof(attr_table) / sizeof(attr_table[0]); i++)
		if (attr_table[i].vendor == vendor && attr_table[i].num == type)
			return &attr_table[i];
	return NULL;
}

/* Vendors whose VSAs follow RFC 2865 §5.26's recommended format and are parsed strictly. */
static bool vendor_known(uint32_t vendor)
{
	return vendor == RADIUS_VENDOR_CISCO || vendor == RADIUS_VENDOR_MICROSOFT;
}

const char *radius_code_name(uint8_t code)
{
	switch (code) {
#define X(n, id, s) case n: return s;
		RADIUS_CODES(X)
#undef X
	}
	return "unknown";
}

const char *radius_attr_name(uint32_t vendor, uint8_t type)
{
	const struct attr_desc *d = attr_lookup(vendor, type);

	return d ? d->name : NULL;
}

enum radius_type radius_attr_type(uint32_t vendor, uint8_t type, bool *known)
{
	const struct attr_desc *d = attr_lookup(vendor, type);

	if (known)
		*known = d != NULL;
	return d ? d->type : RADIUS_T_OCTETS;
}

const char *radius_perr_str(enum radius_perr e)
{
	static const char *const s[] = {
#define X(id, str) str,
		RADIUS_PERRS(X)
#undef X
	};

	return (unsigned)e < sizeof(s) / sizeof(s[0]) ? s[e] : "?";
}

bool radius_code_is_response(uint8_t code)
{
	switch (code) {
	case RADIUS_ACCESS_ACCEPT:
	case RADIUS_ACCESS_REJECT:
	case RADIUS_ACCESS_CHALLENGE:
	case RADIUS_ACCOUNTING_RESPONSE:
	case RADIUS_DISCONNECT_ACK:
	case RADIUS_DISCONNECT_NAK:
	case RADIUS_COA_ACK:
	case RADIUS_COA_NAK:
		return true;
	}
	return false;
}

bool radius_code_answers(uint8_t req, uint8_t resp)
{
	switch (req) {
	case RADIUS_ACCESS_REQUEST:
		return resp == RADIUS_ACCESS_ACCEPT || resp == RADIUS_ACCESS_REJECT ||
		       resp == RADIUS_ACCESS_CHALLENGE;
	case RADIUS_STATUS_SERVER: /* RFC 5997 §3 */
		return resp == RADIUS_ACCESS_ACCEPT || resp == RADIUS_ACCOUNTING_RESPONSE;
	case RADIUS_ACCOUNTING_REQUEST:
		return resp == RADIUS_ACCOUNTING_RESPONSE;
	case RADIUS_DISCONNECT_REQUEST:
		return resp == RADIUS_DISCONNECT_ACK || resp == RADIUS_DISCONNECT_NAK;
	case RADIUS_COA_REQUEST:
		return resp == RADIUS_COA_ACK || resp == RADIUS_COA_NAK;
	}
	return false;
}

/* ---- parsing ----------------------------------------------------------------------------- */

static bool value_len_ok(enum radius_type t, const uint8_t *v, size_t len)
{
	switch (t) {
	case RADIUS_T_OCTETS:
	case RADIUS_T_STRING:
		return len >= 1;
	case RADIUS_T_IPADDR:
	case RADIUS_T_INTEGER:
	case RADIUS_T_DATE:
		return len == 4;
	case RADIUS_T_IPV6ADDR:
		return len == 16;
	case RADIUS_T_IPV6PREFIX: /* RFC 3162 §2.3, RFC 8044 §3.10 */
		return len >= 2 && len <= 18 && v[0] == 0 && v[1] <= 128 &&
		       (len - 2) * 8 >= v[1];
	case RADIUS_T_VSA:
		return true;
	}
	return false;
}

static enum radius_perr add_attr(struct radius_pkt *pkt, uint32_t vendor, uint8_t type,
				 const uint8_t *val, size_t len)
{
	bool known;
	enum radius_type t = radius_attr_type(vendor, type, &known);

	if (pkt->n >= RADIUS_MAX_ATTRS)
		return RADIUS_PERR_TOO_MANY;
	if (known && !value_len_ok(t, val, len))
		return RADIUS_PERR_VALUE_LENGTH;
	pkt->attr[pkt->n++] = (struct radius_attr){ .type = type, .vendor = vendor,
						    .len = (uint8_t)len, .val = val };
	return RADIUS_PERR_OK;
}

/* RFC 2865 §5.26: Vendor-Id (high octet 0), then for known vendors Vendor-Type / -Length. */
static enum radius_perr parse_vsa(struct radius_pkt *pkt, struct rp_cursor *v)
{
	uint32_t vendor;
	enum radius_perr e;

	if (rp_cur_left(v) < 5 || !rp_cur_u32(v, &vendor))
		return RADIUS_PERR_VSA_LENGTH;
	if (vendor >> 24)
		return RADIUS_PERR_VSA_VENDOR;
	if (!vendor_known(vendor)) {
		size_t n = rp_cur_left(v);

		return add_attr(pkt, vendor, 0, rp_cur_take(v, n), n);
	}
	while (rp_cur_left(v)) {
		uint8_t vt, vl;
		const uint8_t *val;

		if (!rp_cur_u8(v, &vt) || !rp_cur_u8(v, &vl) || vl < 2 ||
		    !(val = rp_cur_take(v, vl - 2u)))
			return RADIUS_PERR_VSA_SUB_LENGTH;
		if ((e = add_attr(pkt, vendor, vt, val, vl - 2u)) != RADIUS_PERR_OK)
			return e;
	}
	return RADIUS_PERR_OK;
}

enum radius_perr radius_parse(const uint8_t *buf, size_t len, struct radius_pkt *pkt)
{
	struct rp_cursor c, a;
	enum radius_perr e;

	pkt->n = 0;
	pkt->ma_index = -1;
	pkt->ma_off = 0;
	pkt->eap_len = 0;
	pkt->raw = buf;
	rp_cur_init(&c, buf, len);
	if (!rp_cur_u8(&c, &pkt->code) || !rp_cur_u8(&c, &pkt->id) ||
	    !rp_cur_u16(&c, &pkt->length) || !rp_cur_bytes(&c, pkt->auth, RADIUS_AUTH_LEN))
		return RADIUS_PERR_SHORT;
	if (pkt->length < RADIUS_HDR_LEN || pkt->length > RADIUS_MAX_LEN)
		return RADIUS_PERR_BAD_LENGTH;
	if (pkt->length > len)
		return RADIUS_PERR_TRUNCATED;
	/* RFC 2865 §3: octets beyond Length are padding and ignored */
	rp_cur_init(&c, buf, pkt->length);
	rp_cur_skip(&c, RADIUS_HDR_LEN);
	while (rp_cur_left(&c)) {
		uint8_t type, alen;
		size_t off;

		if (!rp_cur_u8(&c, &type) || !rp_cur_u8(&c, &alen) || alen < 2)
			return RADIUS_PERR_ATTR_LENGTH;
		off = c.off;
		if (!rp_cur_sub(&c, alen - 2u, &a))
			return RADIUS_PERR_ATTR_LENGTH;
		if (type == RADIUS_A_VENDOR_SPECIFIC) {
			e = parse_vsa(pkt, &a);
		} else {
			if (type == RADIUS_A_MESSAGE_AUTHENTICATOR) {
				if (pkt->ma_index >= 0)
					return RADIUS_PERR_MA_DUP;
				if (alen - 2u != RADIUS_MA_LEN)
					return RADIUS_PERR_MA_LENGTH;
				pkt->ma_index = (int)pkt->n;
				pkt->ma_off = off;
			}
			if (type == RADIUS_A_EAP_MESSAGE)
				pkt->eap_len += alen - 2u;
			e = add_attr(pkt, 0, type, a.p, alen - 2u);
		}
		if (e != RADIUS_PERR_OK)
			return e;
	}
	return RADIUS_PERR_OK;
}

const struct radius_attr *radius_find(const struct radius_pkt *pkt, uint32_t vendor,
				      uint8_t type, unsigned *from)
{
	for (unsigned i = from ? *from : 0; i < pkt->n; i++) {
		if (pkt->attr[i].vendor == vendor && pkt->attr[i].type == type) {
			if (from)
				*from = i + 1;
			return &pkt->attr[i];
		}
	}
	if (from)
		*from = pkt->n;
	return NULL;
}

bool radius_get_u32(const struct radius_pkt *pkt, uint8_t type, uint32_t *v)
{
	const struct radius_attr *a = radius_find(pkt, 0, type, NULL);

	if (!a || a->len != 4)
		return false;
	*v = rp_get_be32(a->val);
	return true;
}

int radius_eap_get(const struct radius_pkt *pkt, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (!pkt->eap_len)
		return 0;
	if (pkt->eap_len > cap)
		return -ENOSPC;
	for (unsigned i = 0; i < pkt->n; i++) {
		const struct radius_attr *a = &pkt->attr[i];

		if (a->vendor || a->type != RADIUS_A_EAP_MESSAGE)
			continue;
		memcpy(out + n, a->val, a->len);
		n += a->len;
	}
	/* RFC 3579 §3.1: the concatenation is one EAP packet, its Length covers all of it */
	if (n < 4 || ((size_t)out[2] << 8 | out[3]) != n)
		return -EBADMSG;
	return (int)n;
}

/* ---- digests ----------------------------------------------------------------------------- */

struct chunk {
	const void *p;
	size_t len;
};

static bool md5_chunks(uint8_t out[16], const struct chunk *c, size_t n)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int olen = 0;
	bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL);

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, c[i].p, c[i].len);
	ok = ok && EVP_DigestFinal_ex(ctx, out, &olen) && olen == 16;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/*
 * RFC 3579 §3.2: HMAC-MD5 over the packet with the Message-Authenticator value zeroed and
 * the Authenticator field replaced by @p auth (the request's for responses, zeros for
 * Accounting / CoA / Disconnect requests), keyed by the shared secret.
 */
static bool ma_compute(const uint8_t *pkt, size_t len, size_t ma_off, const uint8_t auth[16],
		       const void *secret, size_t secret_len, uint8_t out[16])
{
	uint8_t copy[RADIUS_MAX_LEN];
	unsigned int olen = 0;
	bool ok;

	if (len > sizeof(copy) || ma_off + RADIUS_MA_LEN > len)
		return false;
	memcpy(copy, pkt, len);
	memcpy(copy + 4, auth, RADIUS_AUTH_LEN);
	memset(copy + ma_off, 0, RADIUS_MA_LEN);
	ok = HMAC(EVP_md5(), secret, (int)secret_len, copy, len, out, &olen) && olen == 16;
	OPENSSL_cleanse(copy, len);
	return ok;
}

/* MD5(Code|ID|Length|auth|Attributes|Secret), RFC 2865 §3 / 2866 §3 */
static bool pkt_auth(const uint8_t *pkt, size_t len, const uint8_t auth[16], const void *secret,
		     size_t secret_len, uint8_t out[16])
{
	struct chunk c[] = { { pkt, 4 }, { auth, 16 }, { pkt + 20, len - 20 },
			     { secret, secret_len } };

	return md5_chunks(out, c, 4);
}

static const uint8_t zero16[16];

static int check_ma(const struct radius_pkt *pkt, const uint8_t auth[16], const void *secret,
		    size_t secret_len)
{
	uint8_t mac[16];
	int rc = 0;

	if (!ma_compute(pkt->raw, pkt->length, pkt->ma_off, auth, secret, secret_len, mac) ||
	    CRYPTO_memcmp(mac, pkt->raw + pkt->ma_off, 16))
		rc = -EBADMSG;
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int radius_verify_response(const struct radius_pkt *pkt, const uint8_t req_auth[16],
			   const void *secret, size_t secret_len, bool require_ma)
{
	uint8_t exp[16];
	int rc = 0;
	bool access = pkt->code == RADIUS_ACCESS_ACCEPT || pkt->code == RADIUS_ACCESS_REJECT ||
		      pkt->code == RADIUS_ACCESS_CHALLENGE;

	if (!pkt_auth(pkt->raw, pkt->length, req_auth, secret, secret_len, exp) ||
	    CRYPTO_memcmp(exp, pkt->auth, 16)) {
		rc = -EBADMSG;
		goto out;
	}
	if (pkt->ma_index < 0) {
		if (pkt->eap_len || (require_ma && access))
			rc = -EPROTO;
		goto out;
	}
	rc = check_ma(pkt, req_auth, secret, secret_len);
out:
	OPENSSL_cleanse(exp, sizeof(exp));
	return rc;
}

int radius_verify_request(const struct radius_pkt *pkt, const void *secret, size_t secret_len,
			  bool require_ma)
{
	uint8_t exp[16];
	int rc = 0;
	bool computed = pkt->code == RADIUS_ACCOUNTING_REQUEST ||
			pkt->code == RADIUS_DISCONNECT_REQUEST || pkt->code == RADIUS_COA_REQUEST;

	if (computed && (!pkt_auth(pkt->raw, pkt->length, zero16, secret, secret_len, exp) ||
			 CRYPTO_memcmp(exp, pkt->auth, 16))) {
		rc = -EBADMSG;
		goto out;
	}
	if (pkt->ma_index < 0) {
		if (pkt->code == RADIUS_ACCESS_REQUEST && (pkt->eap_len || require_ma))
			rc = -EPROTO;
		goto out;
	}
	rc = check_ma(pkt, computed ? zero16 : pkt->auth, secret, secret_len);
out:
	OPENSSL_cleanse(exp, sizeof(exp));
	return rc;
}

/* ---- hidden attributes ------------------------------------------------------------------- */

/*
 * The RFC 2865 §5.2 / RFC 2548 §2.4.2 stream: b1 = MD5(S + first), bi = MD5(S + c(i-1)),
 * c(i) = p(i) xor b(i). @p encrypt says whether @p in is plaintext (so the chain uses the
 * output) or ciphertext (the chain uses the input). @p first is RA, or RA + salt.
 */
static bool md5_stream(const uint8_t *in, uint8_t *out, size_t len, const void *secret,
		       size_t secret_len, const uint8_t *first, size_t first_len, bool encrypt)
{
	uint8_t b[16], prev[16];
	bool ok = true;

	for (size_t i = 0; ok && i < len; i += 16) {
		struct chunk c[2] = { { secret, secret_len },
				      { i ? prev : first, i ? 16 : first_len } };

		ok = md5_chunks(b, c, 2);
		for (size_t j = 0; ok && j < 16; j++) {
			uint8_t x = in[i + j];

			out[i + j] = x ^ b[j];
			prev[j] = encrypt ? out[i + j] : x;
		}
	}
	OPENSSL_cleanse(b, sizeof(b));
	OPENSSL_cleanse(prev, sizeof(prev));
	return ok;
}

int radius_password_hide(const void *pw, size_t pw_len, const uint8_t req_auth[16],
			 const void *secret, size_t secret_len, uint8_t *out)
{
	uint8_t p[RADIUS_PASSWORD_MAX];
	size_t n = (pw_len + 15) & ~(size_t)15;
	int rc;

	if (!pw_len || pw_len > RADIUS_PASSWORD_MAX)
		return -EINVAL;
	memset(p, 0, n);
	memcpy(p, pw, pw_len);
	rc = md5_stream(p, out, n, secret, secret_len, req_auth, 16, true) ? (int)n : -EINVAL;
	OPENSSL_cleanse(p, sizeof(p));
	return rc;
}

int radius_password_unhide(const uint8_t *hidden, size_t len, const uint8_t req_auth[16],
			   const void *secret, size_t secret_len, uint8_t *out)
{
	if (!len || len % 16 || len > RADIUS_PASSWORD_MAX)
		return -EBADMSG;
	if (!md5_stream(hidden, out, len, secret, secret_len, req_auth, 16, false))
		return -EBADMSG;
	while (len && !out[len - 1])
		len--;
	out[len] = 0;
	return (int)len;
}

int radius_mppe_decrypt(const uint8_t *val, size_t len, const uint8_t req_auth[16],
			const void *secret, size_t secret_len, uint8_t *key, size_t key_cap)
{
	uint8_t first[18], p[RADIUS_ATTR_MAX_VALUE];
	int rc;

	/* RFC 2548 §2.4.2: Salt (2, high bit set), String (16k: key length, key, padding) */
	if (len < 18 || (len - 2) % 16 || len - 2 > sizeof(p) || !(val[0] & 0x80))
		return -EBADMSG;
	memcpy(first, req_auth, 16);
	memcpy(first + 16, val, 2);
	if (!md5_stream(val + 2, p, len - 2, secret, secret_len, first, 18, false)) {
		rc = -EBADMSG;
		goto out;
	}
	if ((size_t)p[0] + 1 > len - 2) {
		rc = -EBADMSG;
		goto out;
	}
	if (p[0] > key_cap) {
		rc = -ENOSPC;
		goto out;
	}
	memcpy(key, p + 1, p[0]);
	rc = p[0];
out:
	OPENSSL_cleanse(p, sizeof(p));
	OPENSSL_cleanse(first, sizeof(first));
	return rc;
}

int radius_mppe_encrypt(const uint8_t *key, size_t key_len, const uint8_t salt[2],
			const uint8_t req_auth[16], const void *secret, size_t secret_len,
			uint8_t *out, size_t cap)
{
	uint8_t first[18], p[RADIUS_ATTR_MAX_VALUE - 2];
	size_t n = (key_len + 1 + 15) & ~(size_t)15;
	int rc;

	if (!(salt[0] & 0x80) || n > sizeof(p))
		return -EINVAL;
	if (n + 2 > cap)
		return -ENOSPC;
	memset(p, 0, n);
	p[0] = (uint8_t)key_len;
	memcpy(p + 1, key, key_len);
	memcpy(first, req_auth, 16);
	memcpy(first + 16, salt, 2);
	out[0] = salt[0];
	out[1] = salt[1];
	rc = md5_stream(p, out + 2, n, secret, secret_len, first, 18, true) ? (int)n + 2 : -EINVAL;
	OPENSSL_cleanse(p, sizeof(p));
	return rc;
}

int radius_msk(const struct radius_pkt *pkt, const uint8_t req_auth[16], const void *secret,
	       size_t secret_len, uint8_t *msk, size_t cap)
{
	const struct radius_attr *recv = radius_find(pkt, RADIUS_VENDOR_MICROSOFT,
						     RADIUS_V_MS_MPPE_RECV_KEY, NULL);
	const struct radius_attr *send = radius_find(pkt, RADIUS_VENDOR_MICROSOFT,
						     RADIUS_V_MS_MPPE_SEND_KEY, NULL);
	int r, s;

	if (!recv && !send)
		return 0;
	if (!recv || !send)
		return -EBADMSG;
	r = radius_mppe_decrypt(recv->val, recv->len, req_auth, secret, secret_len, msk, cap);
	if (r < 0)
		goto fail;
	s = radius_mppe_decrypt(send->val, send->len, req_auth, secret, secret_len, msk + r,
				cap - (size_t)r);
	if (s < 0) {
		r = s;
		goto fail;
	}
	return r + s;
fail:
	OPENSSL_cleanse(msk, cap);
	return r;
}

/* ---- building ---------------------------------------------------------------------------- */

void radius_bld_init(struct radius_bld *b, uint8_t *buf, size_t cap, uint8_t code, uint8_t id,
		     const uint8_t *auth, bool with_ma)
{
	rp_wbuf_init(&b->w, buf, cap > RADIUS_MAX_LEN ? RADIUS_MAX_LEN : cap);
	b->code = code;
	b->ma_off = SIZE_MAX;
	if (auth)
		memcpy(b->auth, auth, RADIUS_AUTH_LEN);
	else
		memset(b->auth, 0, RADIUS_AUTH_LEN);
	rp_wbuf_u8(&b->w, code);
	rp_wbuf_u8(&b->w, id);
	rp_wbuf_reserve(&b->w, 2);
	rp_wbuf_bytes(&b->w, b->auth, RADIUS_AUTH_LEN);
	if (with_ma) {
		/* first, so that nothing an attacker can choose precedes it (Blast-RADIUS) */
		rp_wbuf_u8(&b->w, RADIUS_A_MESSAGE_AUTHENTICATOR);
		rp_wbuf_u8(&b->w, 2 + RADIUS_MA_LEN);
		b->ma_off = rp_wbuf_reserve(&b->w, RADIUS_MA_LEN);
	}
}

bool radius_bld_attr(struct radius_bld *b, uint8_t type, const void *val, size_t len)
{
	if (!len || len > RADIUS_ATTR_MAX_VALUE) {
		b->w.err = true;
		return false;
	}
	return rp_wbuf_u8(&b->w, type) && rp_wbuf_u8(&b->w, (uint8_t)(len + 2)) &&
	       rp_wbuf_bytes(&b->w, val, len);
}

bool radius_bld_str(struct radius_bld *b, uint8_t type, const char *s)
{
	return radius_bld_attr(b, type, s, strlen(s));
}

bool radius_bld_u32(struct radius_bld *b, uint8_t type, uint32_t v)
{
	uint8_t x[4];

	rp_put_be32(x, v);
	return radius_bld_attr(b, type, x, 4);
}

bool radius_bld_vsa(struct radius_bld *b, uint32_t vendor, uint8_t vtype, const void *val,
		    size_t len)
{
	if (!len || len > RADIUS_ATTR_MAX_VALUE - 6 || vendor >> 24) {
		b->w.err = true;
		return false;
	}
	return rp_wbuf_u8(&b->w, RADIUS_A_VENDOR_SPECIFIC) &&
	       rp_wbuf_u8(&b->w, (uint8_t)(len + 8)) && rp_wbuf_u32(&b->w, vendor) &&
	       rp_wbuf_u8(&b->w, vtype) && rp_wbuf_u8(&b->w, (uint8_t)(len + 2)) &&
	       rp_wbuf_bytes(&b->w, val, len);
}

bool radius_bld_password(struct radius_bld *b, const void *pw, size_t pw_len,
			 const void *secret, size_t secret_len)
{
	uint8_t h[RADIUS_PASSWORD_MAX];
	int n = radius_password_hide(pw, pw_len, b->auth, secret, secret_len, h);
	bool ok = n > 0 && radius_bld_attr(b, RADIUS_A_USER_PASSWORD, h, (size_t)n);

	if (n <= 0)
		b->w.err = true;
	OPENSSL_cleanse(h, sizeof(h));
	return ok;
}

bool radius_bld_eap(struct radius_bld *b, const uint8_t *eap, size_t len)
{
	if (!len) {
		b->w.err = true;
		return false;
	}
	for (size_t off = 0; off < len; off += RADIUS_ATTR_MAX_VALUE) {
		size_t n = len - off < RADIUS_ATTR_MAX_VALUE ? len - off : RADIUS_ATTR_MAX_VALUE;

		if (!radius_bld_attr(b, RADIUS_A_EAP_MESSAGE, eap + off, n))
			return false;
	}
	return true;
}

size_t radius_bld_finish(struct radius_bld *b, const void *secret, size_t secret_len)
{
	uint8_t mac[16], auth[16];
	bool computed = b->code == RADIUS_ACCOUNTING_REQUEST ||
			b->code == RADIUS_DISCONNECT_REQUEST || b->code == RADIUS_COA_REQUEST;
	bool response = radius_code_is_response(b->code);
	size_t len = b->w.len;

	rp_wbuf_patch_u16(&b->w, 2, (uint16_t)len);
	if (b->w.err)
		return 0;
	/* the Authenticator field holds the request's (responses), zeros or the random one */
	if (b->ma_off != SIZE_MAX) {
		if (!ma_compute(b->w.p, len, b->ma_off, b->auth, secret, secret_len, mac))
			return 0;
		memcpy(b->w.p + b->ma_off, mac, 16);
		OPENSSL_cleanse(mac, sizeof(mac));
	}
	if (computed || response) {
		if (!pkt_auth(b->w.p, len, b->auth, secret, secret_len, auth))
			return 0;
		memcpy(b->w.p + 4, auth, 16);
	}
	return len;
}

/* ---- logging ----------------------------------------------------------------------------- */

void radius_pkt_summary(const struct radius_pkt *pkt, char *buf, size_t len)
{
	size_t o;
	int n = snprintf(buf, len, "%s id %u len %u:", radius_code_name(pkt->code), pkt->id,
			 pkt->length);

	o = n < 0 ? 0 : (size_t)n;
	for (unsigned i = 0; i < pkt->n && o < len; i++) {
		const struct radius_attr *a = &pkt->attr[i];
		const char *name = radius_attr_name(a->vendor, a->type);
		enum radius_type t = radius_attr_type(a->vendor, a->type, NULL);

		if (name)
			n = snprintf(buf + o, len - o, " %s=", name);
		else if (a->vendor)
			n = snprintf(buf + o, len - o, " vendor-%u-%u=", a->vendor, a->type);
		else
			n = snprintf(buf + o, len - o, " attr-%u=", a->type);
		if (n < 0)
			return;
		o += (size_t)n;
		if (o >= len)
			return;
		/* secrets never reach logs */
		if (!a->vendor && (a->type == RADIUS_A_USER_PASSWORD ||
				   a->type == RADIUS_A_TUNNEL_PASSWORD)) {
			n = snprintf(buf + o, len - o, "<hidden>");
		} else if (a->vendor == RADIUS_VENDOR_MICROSOFT &&
			   (a->type == RADIUS_V_MS_MPPE_SEND_KEY ||
			    a->type == RADIUS_V_MS_MPPE_RECV_KEY)) {
			n = snprintf(buf + o, len - o, "<key>");
		} else if (t == RADIUS_T_IPADDR && a->len == 4) {
			n = snprintf(buf + o, len - o, "%u.%u.%u.%u", a->val[0], a->val[1],
				     a->val[2], a->val[3]);
		} else if ((t == RADIUS_T_INTEGER || t == RADIUS_T_DATE) && a->len == 4) {
			n = snprintf(buf + o, len - o, "%u",
				     rp_get_be32(a->val));
		} else if (t == RADIUS_T_STRING) {
			size_t k = 0;

			n = 0;
			buf[o++] = '"';
			for (; k < a->len && o + 2 < len; k++)
				buf[o++] = a->val[k] >= 0x20 && a->val[k] < 0x7f ? (char)a->val[k]
										  : '.';
			if (o + 1 < len)
				buf[o++] = '"';
			buf[o < len ? o : len - 1] = 0;
		} else {
			n = snprintf(buf + o, len - o, "<%u octets>", a->len);
		}
		if (n < 0)
			return;
		o += (size_t)n;
	}
}
