/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* IKE fragmentation (RFC 7383). Of the encrypted messages we send (§2.5): responses (cached
 * as a whole for retransmissions, §2.1) and our own requests (ike_req.c). Reassembly of the
 * peer's fragments (§2.6.2), one code path with one set of limits for its requests
 * (ike_sa.c) and its responses to ours (ike_req.c). See ike_priv.h. */
#include "controlplane/ike/ike_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "controlplane/ike/crypto.h"

/* IP + UDP headers, and the non-ESP marker of port 4500 (RFC 3948 §2.2): we may not know
 * which socket the message leaves by, so it is always counted */
#define UDP_HDR 8u
#define NON_ESP_MARKER 4u

size_t ike_frag_limit(const struct ike_resp *r, const struct ike_addr *to)
{
	bool v6 = to->af == 6;
	size_t ip = r->cfg.fragment_size ? r->cfg.fragment_size : v6 ? 1280u : 576u;

	return ip - (v6 ? 40u : 20u) - UDP_HDR - NON_ESP_MARKER;
}

/* The SK message of @p ilen plaintext bytes: header, SK header, IV, padded plaintext, ICV. */
static size_t sk_len(const struct ike_alg *a, size_t ilen)
{
	size_t pad = (a->block - (ilen + 1) % a->block) % a->block;

	return IKE_HDR_LEN + IKE_GEN_HDR_LEN + a->iv + ilen + pad + 1 + a->icv;
}

int ike_frag_seal(struct ike_resp *r, const struct ike_sa *sa, const struct ike_hdr *h,
		  uint8_t first, const uint8_t *inner, size_t ilen, const struct ike_addr *to,
		  uint8_t **out, size_t *out_len, uint16_t **flen, unsigned *nfrag)
{
	const struct ike_alg *a = &sa->alg;
	size_t whole = sk_len(a, ilen), limit = ike_frag_limit(r, to), room, chunk, n, off = 0,
	       total = 0, len;
	uint16_t *lens = NULL;
	uint8_t *buf;
	int rc;

	*out = NULL;
	*flen = NULL;
	*nfrag = 0;
	if (whole > IKE_MSG_OUT_MAX)
		return -EMSGSIZE;
	if (whole <= limit || !sa->peer_frag) {
		if (whole > limit)
			RP_LOG_RL(RP_LOG_NOTICE, "ike", "IKE_SA %016llx_i %016llx_r: %s #%u is %zu "
				  "bytes, more than one datagram of ike.fragment_size holds (%zu "
				  "bytes of IKE), but the peer did not announce IKE fragmentation "
				  "(RFC 7383): sent whole, IP may fragment it",
				  (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
				  ike_exchange_name(h->exchange), h->msg_id, whole, limit);
		buf = malloc(whole);
		if (!buf)
			return -ENOMEM;
		rc = ike_sk_seal(a, ike_sa_our_ekey(sa), ike_sa_our_akey(sa), &r->rng, h, first,
				 inner, ilen, buf, whole, out_len);
		if (rc) {
			free(buf);
			return rc;
		}
		*out = buf;
		return 0;
	}
	/* §2.5: the same plaintext size in every fragment but the last; each fragment carries
	 * header, SKF header and its Fragment Number / Total Fragments, IV, ciphertext (at
	 * least the pad length byte, a multiple of the block size), ICV */
	if (limit < IKE_HDR_LEN + IKE_GEN_HDR_LEN + 4 + a->iv + a->icv + 64)
		return -EMSGSIZE; /* cannot happen with the configured minimum */
	room = limit - IKE_HDR_LEN - IKE_GEN_HDR_LEN - 4 - a->iv - a->icv;
	chunk = room / a->block * a->block - 1;
	n = (ilen + chunk - 1) / chunk;
	if (n < 2 || n > UINT16_MAX)
		return -EMSGSIZE;
	lens = calloc(n, sizeof(*lens));
	buf = malloc(n * limit);
	if (!lens || !buf) {
		rc = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		size_t part = i + 1 < n ? chunk : ilen - off;

		rc = ike_skf_seal(a, ike_sa_our_ekey(sa), ike_sa_our_akey(sa), &r->rng, h,
				  i ? 0 : first, (uint16_t)(i + 1), (uint16_t)n, inner + off, part,
				  buf + total, n * limit - total, &len);
		if (rc)
			goto fail;
		lens[i] = (uint16_t)len;
		total += len;
		off += part;
	}
	RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: %s #%u (%zu bytes) sent as %zu fragments of at "
		"most %zu bytes", (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
		ike_exchange_name(h->exchange), h->msg_id, whole, n, limit);
	*out = buf;
	*out_len = total;
	*flen = lens;
	*nfrag = (unsigned)n;
	return 0;
fail:
	if (buf)
		OPENSSL_cleanse(buf, total);
	free(buf);
	free(lens);
	return rc;
}

void ike_frag_send(struct ike_resp *r, const uint8_t *buf, size_t len, const uint16_t *flen,
		   unsigned nfrag, const struct ike_addr *local, const struct ike_addr *peer)
{
	size_t off = 0;

	if (!flen || !nfrag) {
		r->send(r->send_arg, buf, len, local, peer);
		return;
	}
	for (unsigned i = 0; i < nfrag && off + flen[i] <= len; i++) {
		r->send(r->send_arg, buf + off, flen[i], local, peer);
		off += flen[i];
	}
}

/* ---- reassembly (§2.6.2) ----------------------------------------------------------------- */

void ike_frag_free(struct ike_frag *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < IKE_FRAG_MAX; i++) {
		if (f->plain[i])
			OPENSSL_cleanse(f->plain[i], f->len[i]);
		free(f->plain[i]);
	}
	free(f);
}

int ike_frag_add(struct ike_frag **slot, const struct ike_msg *m, const uint8_t *plain,
		 size_t plen, uint8_t **whole, size_t *wlen, uint8_t *first)
{
	const struct ike_pl *skf = &m->pl[m->n - 1];
	uint16_t num = skf->f.u16a, total = skf->f.u16b;
	struct ike_frag *f = *slot;
	size_t len = 0;
	uint8_t *buf;

	if (!num || num > total || total > IKE_FRAG_MAX)
		return -1;
	if (f && (f->msg_id != m->hdr.msg_id || f->total != total)) {
		/* a newer message (or a different fragmentation) replaces the old one; fewer
		 * fragments of the same message than before are dropped */
		if (f->msg_id == m->hdr.msg_id && total < f->total)
			return -1;
		ike_frag_free(f);
		*slot = f = NULL;
	}
	if (!f) {
		f = *slot = calloc(1, sizeof(*f));
		if (!f)
			return -1;
		f->msg_id = m->hdr.msg_id;
		f->total = total;
	}
	if (f->plain[num - 1])
		return 0; /* duplicate */
	/* what is held never exceeds the largest message, not only what is put together */
	for (unsigned i = 0; i < f->total; i++)
		len += f->len[i];
	if (len + plen > IKE_MSG_MAX)
		goto drop;
	len = 0;
	f->plain[num - 1] = malloc(plen ? plen : 1);
	if (!f->plain[num - 1])
		return -1;
	memcpy(f->plain[num - 1], plain, plen);
	f->len[num - 1] = plen;
	f->have++;
	if (num == 1)
		f->first = m->sk_next;
	if (f->have < f->total)
		return 0;
	for (unsigned i = 0; i < f->total; i++)
		len += f->len[i];
	if (len > IKE_MSG_MAX)
		goto drop;
	buf = malloc(len ? len : 1);
	if (!buf)
		goto drop;
	len = 0;
	for (unsigned i = 0; i < f->total; i++) {
		memcpy(buf + len, f->plain[i], f->len[i]);
		len += f->len[i];
	}
	*whole = buf;
	*wlen = len;
	*first = f->first;
	ike_frag_free(f);
	*slot = NULL;
	return 1;
drop:
	ike_frag_free(f);
	*slot = NULL;
	return -1;
}
