/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* EAP header parsing and the few packets a relay (or a test peer) builds. */
#include "controlplane/aaa/eap.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/cursor.h"

int eap_parse(const uint8_t *buf, size_t len, struct eap_pkt *pkt)
{
	struct rp_cursor c;

	memset(pkt, 0, sizeof(*pkt));
	rp_cur_init(&c, buf, len);
	if (!rp_cur_u8(&c, &pkt->code) || !rp_cur_u8(&c, &pkt->id) ||
	    !rp_cur_u16(&c, &pkt->length))
		return -EBADMSG;
	if (pkt->length < EAP_HDR_LEN || pkt->length != len)
		return -EBADMSG;
	switch (pkt->code) {
	case EAP_SUCCESS:
	case EAP_FAILURE:
		return pkt->length == EAP_HDR_LEN ? 0 : -EBADMSG;
	case EAP_REQUEST:
	case EAP_RESPONSE:
		if (!rp_cur_u8(&c, &pkt->type))
			return -EBADMSG;
		if (pkt->type == EAP_T_EXPANDED) {
			uint8_t v[3];

			/* §5.7: 3-octet Vendor-Id, 4-octet Vendor-Type */
			if (!rp_cur_bytes(&c, v, 3) || !rp_cur_u32(&c, &pkt->vendor_type))
				return -EBADMSG;
			pkt->vendor_id = (uint32_t)v[0] << 16 | (uint32_t)v[1] << 8 | v[2];
		}
		break;
	case EAP_INITIATE:
	case EAP_FINISH:
		/* RFC 6696: a type octet follows too */
		if (!rp_cur_u8(&c, &pkt->type))
			return -EBADMSG;
		break;
	default:
		return -EBADMSG;
	}
	pkt->data_len = rp_cur_left(&c);
	pkt->data = rp_cur_take(&c, pkt->data_len);
	return rp_cur_done(&c) ? 0 : -EBADMSG;
}

const char *eap_code_name(uint8_t code)
{
	static const char *const n[] = { "?", "Request", "Response", "Success", "Failure",
					  "Initiate", "Finish" };

	return code < sizeof(n) / sizeof(n[0]) ? n[code] : "?";
}

const char *eap_type_name(uint8_t type)
{
	switch (type) {
#define X(n, id, s) case n: return s;
		EAP_TYPES(X)
#undef X
	}
	return NULL;
}

bool eap_identity(const struct eap_pkt *pkt, const uint8_t **id, size_t *id_len)
{
	const uint8_t *nul;

	if (pkt->code != EAP_RESPONSE || pkt->type != EAP_T_IDENTITY)
		return false;
	*id = pkt->data;
	nul = pkt->data_len ? memchr(pkt->data, 0, pkt->data_len) : NULL;
	*id_len = nul ? (size_t)(nul - pkt->data) : pkt->data_len;
	return true;
}

static size_t put_hdr(struct rp_wbuf *w, uint8_t code, uint8_t id, size_t len)
{
	if (len > EAP_MAX_LEN)
		return 0;
	rp_wbuf_u8(w, code);
	rp_wbuf_u8(w, id);
	rp_wbuf_u16(w, (uint16_t)len);
	return w->err ? 0 : len;
}

size_t eap_build_identity_request(uint8_t id, uint8_t *out, size_t cap)
{
	struct rp_wbuf w;

	rp_wbuf_init(&w, out, cap);
	put_hdr(&w, EAP_REQUEST, id, 5);
	rp_wbuf_u8(&w, EAP_T_IDENTITY);
	return w.err ? 0 : w.len;
}

size_t eap_build_identity_response(uint8_t id, const void *identity, size_t len, uint8_t *out,
				   size_t cap)
{
	struct rp_wbuf w;

	rp_wbuf_init(&w, out, cap);
	put_hdr(&w, EAP_RESPONSE, id, 5 + len);
	rp_wbuf_u8(&w, EAP_T_IDENTITY);
	rp_wbuf_bytes(&w, identity, len);
	return w.err ? 0 : w.len;
}

size_t eap_build_result(uint8_t code, uint8_t id, uint8_t *out, size_t cap)
{
	struct rp_wbuf w;

	if (code != EAP_SUCCESS && code != EAP_FAILURE)
		return 0;
	rp_wbuf_init(&w, out, cap);
	put_hdr(&w, code, id, 4);
	return w.err ? 0 : w.len;
}

size_t eap_md5_response(const struct eap_pkt *req, const void *secret, size_t secret_len,
			uint8_t *out, size_t cap)
{
	uint8_t digest[16];
	unsigned int dl = 0;
	EVP_MD_CTX *ctx;
	struct rp_wbuf w;
	bool ok;

	/* §5.4: Value-Size, Value, Name */
	if (req->code != EAP_REQUEST || req->type != EAP_T_MD5 || req->data_len < 1 ||
	    req->data[0] < 1 || req->data[0] > req->data_len - 1)
		return 0;
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) &&
	     EVP_DigestUpdate(ctx, &req->id, 1) && EVP_DigestUpdate(ctx, secret, secret_len) &&
	     EVP_DigestUpdate(ctx, req->data + 1, req->data[0]) &&
	     EVP_DigestFinal_ex(ctx, digest, &dl) && dl == 16;
	EVP_MD_CTX_free(ctx);
	rp_wbuf_init(&w, out, cap);
	if (ok) {
		put_hdr(&w, EAP_RESPONSE, req->id, 4 + 1 + 1 + 16);
		rp_wbuf_u8(&w, EAP_T_MD5);
		rp_wbuf_u8(&w, 16);
		rp_wbuf_bytes(&w, digest, 16);
	}
	OPENSSL_cleanse(digest, sizeof(digest));
	return ok && !w.err ? w.len : 0;
}
