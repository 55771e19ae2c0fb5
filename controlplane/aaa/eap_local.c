/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The local EAP server (eap_local.h): EAP-MSCHAPv2 and EAP-MD5 against the local users.
 *
 * State blob (ours only; kept by the caller between messages):
 *   tag (tag_len) | version | method | phase | EAP id sent | offered (bit 0 MD5, bit 1
 *   MSCHAPv2) | challenge (16) | the verified NT-Response (24, phase 2 only)
 * No key material: the MSK is derived again from the password when the method ends.
 * Phases: 1 = a challenge was sent; 2 = MSCHAPv2 Success Request sent (draft §2.3), the
 * peer's Success Response ends the method.
 */
#include "controlplane/aaa/eap_local.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "controlplane/aaa/eap.h"

#define COMP "aaa"
#define STATE_VERSION 1u
#define CHAL_LEN 16u
#define OFFER_MD5 1u
#define OFFER_MSCHAP 2u
#define SERVER_NAME "rampart"

/* MS-CHAPv2 opcodes (draft-kamath-pppext-eap-mschapv2 §2) */
enum { MS_CHALLENGE = 1, MS_RESPONSE = 2, MS_SUCCESS = 3, MS_FAILURE = 4 };
#define MS_RESPONSE_VALUE_LEN 49u
#define NT_LEN 24u

struct eap_local {
	OSSL_LIB_CTX *ctx;
	OSSL_PROVIDER *def, *legacy;
	EVP_MD *md4, *sha1;
	EVP_CIPHER *des;
};

int eap_local_new(struct eap_local **out)
{
	struct eap_local *el = calloc(1, sizeof(*el));

	*out = NULL;
	if (!el)
		return -ENOMEM;
	/* MD4 and DES live in the legacy provider: load it into our own library context, never
	 * into the default one the rest of rampartd uses */
	el->ctx = OSSL_LIB_CTX_new();
	if (el->ctx) {
		el->def = OSSL_PROVIDER_load(el->ctx, "default");
		el->legacy = OSSL_PROVIDER_load(el->ctx, "legacy");
	}
	if (el->def && el->legacy) {
		el->md4 = EVP_MD_fetch(el->ctx, "MD4", NULL);
		el->sha1 = EVP_MD_fetch(el->ctx, "SHA1", NULL);
		el->des = EVP_CIPHER_fetch(el->ctx, "DES-ECB", NULL);
	}
	if (!eap_local_has_mschapv2(el))
		RP_WARN(COMP, "local EAP: OpenSSL's legacy provider (MD4, DES) cannot be loaded: "
			"EAP-MSCHAPv2 unavailable, only EAP-MD5 is offered");
	else
		RP_INFO(COMP, "local EAP: EAP-MSCHAPv2 and EAP-MD5 available");
	*out = el;
	return 0;
}

bool eap_local_has_mschapv2(const struct eap_local *el)
{
	return el && el->md4 && el->sha1 && el->des;
}

void eap_local_free(struct eap_local *el)
{
	if (!el)
		return;
	EVP_MD_free(el->md4);
	EVP_MD_free(el->sha1);
	EVP_CIPHER_free(el->des);
	if (el->legacy)
		OSSL_PROVIDER_unload(el->legacy);
	if (el->def)
		OSSL_PROVIDER_unload(el->def);
	OSSL_LIB_CTX_free(el->ctx);
	free(el);
}

/* ---- algorithms ------------------------------------------------------------------------ */

/* digest over up to four pieces */
static int digest(const EVP_MD *md, uint8_t *out, unsigned want, const void *a, size_t al,
		  const void *b, size_t bl, const void *c, size_t cl, const void *d, size_t dl)
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	uint8_t buf[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	int ok;

	ok = x && md && EVP_DigestInit_ex(x, md, NULL) && EVP_DigestUpdate(x, a, al) &&
	     (!bl || EVP_DigestUpdate(x, b, bl)) && (!cl || EVP_DigestUpdate(x, c, cl)) &&
	     (!dl || EVP_DigestUpdate(x, d, dl)) && EVP_DigestFinal_ex(x, buf, &n) && n >= want;
	EVP_MD_CTX_free(x);
	if (ok)
		memcpy(out, buf, want);
	OPENSSL_cleanse(buf, sizeof(buf));
	return ok ? 0 : -EIO;
}

int eap_local_md5_value(uint8_t id, const uint8_t *pw, size_t pw_len, const uint8_t *chal,
			size_t chal_len, uint8_t out[16])
{
	return digest(EVP_md5(), out, 16, &id, 1, pw, pw_len, chal, chal_len, NULL, 0);
}

/* UTF-8 to UTF-16LE (RFC 2759 wants the password in Unicode). @return octets, -EINVAL. */
static int utf16le(const uint8_t *s, size_t len, uint8_t *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		unsigned more;

		if (s[i] < 0x80) {
			cp = s[i];
			more = 0;
		} else if ((s[i] & 0xe0) == 0xc0) {
			cp = s[i] & 0x1f;
			more = 1;
		} else if ((s[i] & 0xf0) == 0xe0) {
			cp = s[i] & 0x0f;
			more = 2;
		} else if ((s[i] & 0xf8) == 0xf0) {
			cp = s[i] & 0x07;
			more = 3;
		} else {
			return -EINVAL;
		}
		i++;
		for (unsigned k = 0; k < more; k++, i++) {
			if (i >= len || (s[i] & 0xc0) != 0x80)
				return -EINVAL;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return -EINVAL;
		if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000;
			uint16_t hi = (uint16_t)(0xd800 | (v >> 10)), lo = (uint16_t)(0xdc00 | (v & 0x3ff));

			if (o + 4 > cap)
				return -EINVAL;
			out[o++] = (uint8_t)hi;
			out[o++] = (uint8_t)(hi >> 8);
			out[o++] = (uint8_t)lo;
			out[o++] = (uint8_t)(lo >> 8);
		} else {
			if (o + 2 > cap)
				return -EINVAL;
			out[o++] = (uint8_t)cp;
			out[o++] = (uint8_t)(cp >> 8);
		}
	}
	return (int)o;
}

int eap_local_nt_hash(const struct eap_local *el, const uint8_t *pw, size_t pw_len,
		      uint8_t out[16])
{
	uint8_t u[4 * LOCAL_USER_PASSWORD_MAX];
	int n, rc;

	if (!eap_local_has_mschapv2(el))
		return -ENOTSUP;
	n = utf16le(pw, pw_len, u, sizeof(u));
	if (n < 0)
		return n;
	rc = digest(el->md4, out, 16, u, (size_t)n, NULL, 0, NULL, 0, NULL, 0);
	OPENSSL_cleanse(u, sizeof(u));
	return rc;
}

/* RFC 2759 §8.2 ChallengeHash: SHA1(PeerChallenge | AuthenticatorChallenge | UserName)[0..8],
 * UserName without a "DOMAIN\" prefix */
static int challenge_hash(const struct eap_local *el, const uint8_t peer[16],
			  const uint8_t auth[16], const uint8_t *user, size_t ulen, uint8_t out[8])
{
	for (size_t i = ulen; i > 0; i--)
		if (user[i - 1] == '\\') {
			ulen -= i;
			user += i;
			break;
		}
	return digest(el->sha1, out, 8, peer, 16, auth, 16, user, ulen, NULL, 0);
}

/* 7 key octets to a DES key (parity bits left as they fall: OpenSSL does not check them) */
static void des_key(const uint8_t in[7], uint8_t out[8])
{
	out[0] = in[0];
	out[1] = (uint8_t)(in[0] << 7 | in[1] >> 1);
	out[2] = (uint8_t)(in[1] << 6 | in[2] >> 2);
	out[3] = (uint8_t)(in[2] << 5 | in[3] >> 3);
	out[4] = (uint8_t)(in[3] << 4 | in[4] >> 4);
	out[5] = (uint8_t)(in[4] << 3 | in[5] >> 5);
	out[6] = (uint8_t)(in[5] << 2 | in[6] >> 6);
	out[7] = (uint8_t)(in[6] << 1);
}

/* RFC 2759 §8.5 ChallengeResponse */
static int challenge_response(const struct eap_local *el, const uint8_t chal[8],
			      const uint8_t hash[16], uint8_t out[24])
{
	uint8_t z[21] = { 0 }, k[8];
	int ok = 1;

	memcpy(z, hash, 16);
	for (unsigned i = 0; i < 3 && ok; i++) {
		EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
		int l1 = 0, l2 = 0;

		des_key(z + 7 * i, k);
		ok = x && EVP_EncryptInit_ex2(x, el->des, k, NULL, NULL) &&
		     EVP_CIPHER_CTX_set_padding(x, 0) &&
		     EVP_EncryptUpdate(x, out + 8 * i, &l1, chal, 8) &&
		     EVP_EncryptFinal_ex(x, out + 8 * i + l1, &l2) && l1 + l2 == 8;
		EVP_CIPHER_CTX_free(x);
	}
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(k, sizeof(k));
	return ok ? 0 : -EIO;
}

int eap_local_nt_response(const struct eap_local *el, const uint8_t auth_chal[16],
			  const uint8_t peer_chal[16], const uint8_t *user, size_t user_len,
			  const uint8_t *pw, size_t pw_len, uint8_t out[24])
{
	uint8_t ch[8], h[16];
	int rc;

	rc = eap_local_nt_hash(el, pw, pw_len, h);
	if (!rc)
		rc = challenge_hash(el, peer_chal, auth_chal, user, user_len, ch);
	if (!rc)
		rc = challenge_response(el, ch, h, out);
	OPENSSL_cleanse(h, sizeof(h));
	return rc;
}

int eap_local_auth_response(const struct eap_local *el, const uint8_t *pw, size_t pw_len,
			    const uint8_t nt_resp[24], const uint8_t peer_chal[16],
			    const uint8_t auth_chal[16], const uint8_t *user, size_t user_len,
			    char out[43])
{
	static const char m1[] = "Magic server to client signing constant";
	static const char m2[] = "Pad to make it do more than one iteration";
	uint8_t h[16], hh[16], d[20], ch[8];
	int rc;

	rc = eap_local_nt_hash(el, pw, pw_len, h);
	if (!rc)
		rc = digest(el->md4, hh, 16, h, 16, NULL, 0, NULL, 0, NULL, 0);
	if (!rc)
		rc = digest(el->sha1, d, 20, hh, 16, nt_resp, 24, m1, sizeof(m1) - 1, NULL, 0);
	if (!rc)
		rc = challenge_hash(el, peer_chal, auth_chal, user, user_len, ch);
	if (!rc)
		rc = digest(el->sha1, d, 20, d, 20, ch, 8, m2, sizeof(m2) - 1, NULL, 0);
	if (!rc) {
		out[0] = 'S';
		out[1] = '=';
		for (unsigned i = 0; i < 20; i++)
			snprintf(out + 2 + 2 * i, 3, "%02X", d[i]);
	}
	OPENSSL_cleanse(h, sizeof(h));
	OPENSSL_cleanse(hh, sizeof(hh));
	OPENSSL_cleanse(d, sizeof(d));
	return rc;
}

int eap_local_mschapv2_keys(const struct eap_local *el, const uint8_t *pw, size_t pw_len,
			    const uint8_t nt_resp[24], uint8_t master[16],
			    uint8_t msk[EAP_LOCAL_MSK_LEN])
{
	static const char m1[] = "This is the MPPE Master Key";
	/* RFC 3079 §3.4 GetAsymmetricStartKey: the server's receive key uses Magic2, its send
	 * key Magic3 */
	static const char m2[] = "On the client side, this is the send key; on the server "
				 "side, it is the receive key.";
	static const char m3[] = "On the client side, this is the receive key; on the server "
				 "side, it is the send key.";
	uint8_t h[16], hh[16], pad1[40], pad2[40];
	int rc;

	_Static_assert(sizeof(m2) - 1 == 84 && sizeof(m3) - 1 == 84, "RFC 3079 magic");
	memset(pad1, 0, sizeof(pad1));
	memset(pad2, 0xf2, sizeof(pad2));
	rc = eap_local_nt_hash(el, pw, pw_len, h);
	if (!rc)
		rc = digest(el->md4, hh, 16, h, 16, NULL, 0, NULL, 0, NULL, 0);
	if (!rc)
		rc = digest(el->sha1, master, 16, hh, 16, nt_resp, 24, m1, sizeof(m1) - 1, NULL, 0);
	if (!rc)
		rc = digest(el->sha1, msk, 16, master, 16, pad1, 40, m2, sizeof(m2) - 1, pad2, 40);
	if (!rc)
		rc = digest(el->sha1, msk + 16, 16, master, 16, pad1, 40, m3, sizeof(m3) - 1, pad2,
			    40);
	OPENSSL_cleanse(h, sizeof(h));
	OPENSSL_cleanse(hh, sizeof(hh));
	return rc;
}

/* ---- the conversation ------------------------------------------------------------------ */

struct st {
	uint8_t method, phase, id, offered;
	uint8_t chal[CHAL_LEN];
	uint8_t nt[NT_LEN];
	bool has_nt;
};

static void put_state(struct eap_local_out *o, const uint8_t *tag, size_t tag_len,
		      const struct st *s)
{
	uint8_t *p = o->state;

	memcpy(p, tag, tag_len);
	p += tag_len;
	*p++ = STATE_VERSION;
	*p++ = s->method;
	*p++ = s->phase;
	*p++ = s->id;
	*p++ = s->offered;
	memcpy(p, s->chal, CHAL_LEN);
	p += CHAL_LEN;
	if (s->has_nt) {
		memcpy(p, s->nt, NT_LEN);
		p += NT_LEN;
	}
	o->state_len = (size_t)(p - o->state);
}

static bool get_state(const uint8_t *b, size_t len, size_t tag_len, struct st *s)
{
	size_t base = tag_len + 5 + CHAL_LEN;

	memset(s, 0, sizeof(*s));
	if ((len != base && len != base + NT_LEN) || b[tag_len] != STATE_VERSION)
		return false;
	b += tag_len + 1;
	s->method = b[0];
	s->phase = b[1];
	s->id = b[2];
	s->offered = b[3];
	memcpy(s->chal, b + 4, CHAL_LEN);
	if (len > base) {
		memcpy(s->nt, b + 4 + CHAL_LEN, NT_LEN);
		s->has_nt = true;
	}
	return true;
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void failure(struct eap_local_out *o, uint8_t id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void failure(struct eap_local_out *o, uint8_t id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->why, sizeof(o->why), fmt, ap);
	va_end(ap);
	o->verdict = EAP_LOCAL_FAILURE;
	o->eap_len = eap_build_result(EAP_FAILURE, id, o->eap, sizeof(o->eap));
	o->state_len = 0;
	OPENSSL_cleanse(o->msk, sizeof(o->msk));
	o->msk_len = 0;
}

/* Send a fresh challenge of @p method (EAP id: the response's + 1). */
static int challenge(struct eap_local_out *o, const uint8_t *tag, size_t tag_len,
		     struct st *s, uint8_t method, uint8_t resp_id)
{
	uint8_t *e = o->eap;
	size_t len;

	memset(s->nt, 0, sizeof(s->nt));
	s->has_nt = false;
	s->method = method;
	s->phase = 1;
	s->id = (uint8_t)(resp_id + 1);
	s->offered |= method == EAP_T_MD5 ? OFFER_MD5 : OFFER_MSCHAP;
	if (RAND_bytes(s->chal, CHAL_LEN) != 1)
		return -EIO;
	e[0] = EAP_REQUEST;
	e[1] = s->id;
	e[4] = method;
	if (method == EAP_T_MD5) { /* RFC 3748 §5.4: Value-Size, Value, Name */
		e[5] = CHAL_LEN;
		memcpy(e + 6, s->chal, CHAL_LEN);
		memcpy(e + 6 + CHAL_LEN, SERVER_NAME, sizeof(SERVER_NAME) - 1);
		len = 6 + CHAL_LEN + sizeof(SERVER_NAME) - 1;
	} else { /* draft §2.1: OpCode, MS-CHAPv2-ID, MS-Length, Value-Size, Challenge, Name */
		e[5] = MS_CHALLENGE;
		e[6] = s->id;
		e[9] = CHAL_LEN;
		memcpy(e + 10, s->chal, CHAL_LEN);
		memcpy(e + 10 + CHAL_LEN, SERVER_NAME, sizeof(SERVER_NAME) - 1);
		len = 10 + CHAL_LEN + sizeof(SERVER_NAME) - 1;
		put16(e + 7, len - 5);
	}
	put16(e + 2, len);
	o->eap_len = len;
	o->verdict = EAP_LOCAL_CHALLENGE;
	o->method = method;
	put_state(o, tag, tag_len, s);
	snprintf(o->why, sizeof(o->why), "EAP-%s request sent",
		 method == EAP_T_MD5 ? "MD5" : "MSCHAPv2");
	return 0;
}

struct ctx {
	struct eap_local *el;
	const struct local_user *u;
	const uint8_t *tag;
	size_t tag_len;
	const uint8_t *user;
	size_t user_len;
	struct eap_pkt p;
	struct st s;
	struct eap_local_out *o;
};

static int do_md5(struct ctx *x)
{
	uint8_t v[16];

	if (x->p.data_len < 1 + 16 || x->p.data[0] != 16) {
		failure(x->o, x->p.id, "malformed EAP-MD5 response");
		return 0;
	}
	if (!x->u) {
		failure(x->o, x->p.id, "EAP-MD5: no local user of that name");
		return 0;
	}
	if (eap_local_md5_value(x->s.id, x->u->password, x->u->password_len, x->s.chal, CHAL_LEN,
				v)) {
		failure(x->o, x->p.id, "EAP-MD5: cannot compute MD5");
		return 0;
	}
	if (CRYPTO_memcmp(v, x->p.data + 1, 16)) {
		failure(x->o, x->p.id, "EAP-MD5: wrong password");
		OPENSSL_cleanse(v, sizeof(v));
		return 0;
	}
	OPENSSL_cleanse(v, sizeof(v));
	x->o->verdict = EAP_LOCAL_SUCCESS;
	x->o->eap_len = eap_build_result(EAP_SUCCESS, x->p.id, x->o->eap, sizeof(x->o->eap));
	x->o->msk_len = 0;
	snprintf(x->o->why, sizeof(x->o->why), "EAP-MD5 succeeded (no MSK)");
	return 0;
}

static int do_mschap(struct ctx *x)
{
	const uint8_t *d = x->p.data, *peer_chal, *nt, *name;
	uint8_t want[24], master[16], *e = x->o->eap;
	char auth[43];
	size_t dl = x->p.data_len, name_len, ms_len, len;
	int rc;

	if (dl < (x->s.phase == 2 ? 1u : 4u)) {
		failure(x->o, x->p.id, "malformed EAP-MSCHAPv2 response");
		return 0;
	}
	if (x->s.phase == 2) { /* draft §2.4: the peer acknowledges our Success Request */
		if (d[0] != MS_SUCCESS || !x->s.has_nt) {
			failure(x->o, x->p.id, "EAP-MSCHAPv2: the client did not accept our "
				"authenticator response (opcode %u)", d[0]);
			return 0;
		}
		if (!x->u || eap_local_mschapv2_keys(x->el, x->u->password, x->u->password_len,
						     x->s.nt, master, x->o->msk)) {
			failure(x->o, x->p.id, "EAP-MSCHAPv2: cannot compute the MSK");
			return 0;
		}
		OPENSSL_cleanse(master, sizeof(master));
		x->o->verdict = EAP_LOCAL_SUCCESS;
		x->o->eap_len = eap_build_result(EAP_SUCCESS, x->p.id, e, sizeof(x->o->eap));
		x->o->msk_len = EAP_LOCAL_MSK_LEN;
		snprintf(x->o->why, sizeof(x->o->why), "EAP-MSCHAPv2 succeeded (MSK)");
		return 0;
	}
	/* draft §2.2: OpCode 2, MS-CHAPv2-ID, MS-Length, Value-Size 49, Peer-Challenge (16),
	 * Reserved (8), NT-Response (24), Flags (1), Name */
	ms_len = (size_t)d[2] << 8 | d[3];
	if (d[0] != MS_RESPONSE || dl < 5 + MS_RESPONSE_VALUE_LEN || d[4] != MS_RESPONSE_VALUE_LEN ||
	    ms_len != dl) {
		failure(x->o, x->p.id, "malformed EAP-MSCHAPv2 response (opcode %u)", d[0]);
		return 0;
	}
	if (d[1] != x->s.id) {
		failure(x->o, x->p.id, "EAP-MSCHAPv2: MS-CHAPv2-ID %u answers no challenge of ours",
			d[1]);
		return 0;
	}
	peer_chal = d + 5;
	nt = d + 5 + 16 + 8;
	name = d + 5 + MS_RESPONSE_VALUE_LEN;
	name_len = dl - 5 - MS_RESPONSE_VALUE_LEN;
	if (!x->u) {
		failure(x->o, x->p.id, "EAP-MSCHAPv2: no local user of that name");
		return 0;
	}
	rc = eap_local_nt_response(x->el, x->s.chal, peer_chal, name, name_len, x->u->password,
				   x->u->password_len, want);
	if (rc) {
		failure(x->o, x->p.id, "EAP-MSCHAPv2: cannot compute the NT-Response (%s)",
			rc == -EINVAL ? "password not UTF-8" : strerror(-rc));
		return 0;
	}
	if (CRYPTO_memcmp(want, nt, 24)) {
		OPENSSL_cleanse(want, sizeof(want));
		failure(x->o, x->p.id, "EAP-MSCHAPv2: wrong password");
		return 0;
	}
	OPENSSL_cleanse(want, sizeof(want));
	if (eap_local_auth_response(x->el, x->u->password, x->u->password_len, nt, peer_chal,
				    x->s.chal, name, name_len, auth)) {
		failure(x->o, x->p.id, "EAP-MSCHAPv2: cannot compute the authenticator response");
		return 0;
	}
	memcpy(x->s.nt, nt, NT_LEN);
	x->s.has_nt = true;
	x->s.phase = 2;
	x->s.id = (uint8_t)(x->p.id + 1);
	/* draft §2.3: Success Request, OpCode 3, MS-CHAPv2-ID of the response, MS-Length,
	 * Message "S=<auth string> M=<text>" */
	e[0] = EAP_REQUEST;
	e[1] = x->s.id;
	e[4] = EAP_T_MSCHAPV2;
	e[5] = MS_SUCCESS;
	e[6] = d[1];
	len = 9 + (size_t)snprintf((char *)e + 9, sizeof(x->o->eap) - 9, "%s M=Welcome to Rampart",
				   auth);
	put16(e + 7, len - 5);
	put16(e + 2, len);
	x->o->eap_len = len;
	x->o->verdict = EAP_LOCAL_CHALLENGE;
	put_state(x->o, x->tag, x->tag_len, &x->s);
	snprintf(x->o->why, sizeof(x->o->why), "EAP-MSCHAPv2 response verified, Success "
		 "Request sent");
	return 0;
}

int eap_local_process(struct eap_local *el, const struct local_users *users,
		      const uint8_t *tag, size_t tag_len, const uint8_t *user, size_t user_len,
		      const uint8_t *eap, size_t eap_len, const uint8_t *state, size_t state_len,
		      struct eap_local_out *out)
{
	struct ctx x = { .el = el, .tag = tag, .tag_len = tag_len, .user = user,
			 .user_len = user_len, .o = out };
	bool mschap = eap_local_has_mschapv2(el);
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!el || tag_len > 16 || !eap)
		return -EINVAL;
	if (eap_parse(eap, eap_len, &x.p) || x.p.code != EAP_RESPONSE) {
		failure(out, 0, "not an EAP Response");
		return 0;
	}
	x.u = local_users_find(users, user, user_len);
	if (!state_len) {
		/* RFC 3748 §5.1: the identity is known (the caller's User-Name); start a method */
		if (x.p.type != EAP_T_IDENTITY) {
			failure(out, x.p.id, "the conversation does not start with an Identity");
			return 0;
		}
		return challenge(out, tag, tag_len, &x.s, mschap ? EAP_T_MSCHAPV2 : EAP_T_MD5,
				 x.p.id);
	}
	if (state_len <= tag_len || memcmp(state, tag, tag_len) ||
	    !get_state(state, state_len, tag_len, &x.s)) {
		failure(out, x.p.id, "not a state of the local EAP server");
		return 0;
	}
	out->method = x.s.method;
	if (x.p.id != x.s.id) {
		failure(out, x.p.id, "EAP identifier %u answers no request of ours", x.p.id);
		goto out;
	}
	if (x.p.type == EAP_T_NAK && x.s.phase == 1) {
		/* §5.3.1: the client proposes types, in its order of preference */
		for (size_t i = 0; i < x.p.data_len; i++) {
			uint8_t t = x.p.data[i];

			if (t == EAP_T_MSCHAPV2 && mschap && !(x.s.offered & OFFER_MSCHAP)) {
				rc = challenge(out, tag, tag_len, &x.s, t, x.p.id);
				goto out;
			}
			if (t == EAP_T_MD5 && !(x.s.offered & OFFER_MD5)) {
				rc = challenge(out, tag, tag_len, &x.s, t, x.p.id);
				goto out;
			}
		}
		failure(out, x.p.id, "the client refuses %s and proposes no method we have left "
			"(EAP-MD5%s)", eap_type_name(x.s.method), mschap ? ", EAP-MSCHAPv2" : "");
		goto out;
	}
	if (x.p.type != x.s.method) {
		failure(out, x.p.id, "EAP %s response to our %s request",
			eap_type_name(x.p.type) ? eap_type_name(x.p.type) : "(other type)",
			eap_type_name(x.s.method));
		goto out;
	}
	if (x.s.method == EAP_T_MD5)
		rc = do_md5(&x);
	else if (x.s.method == EAP_T_MSCHAPV2 && mschap)
		rc = do_mschap(&x);
	else
		failure(out, x.p.id, "state of an unknown method");
out:
	OPENSSL_cleanse(&x.s, sizeof(x.s));
	return rc;
}
