/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Fragmentation of the encrypted messages we send (RFC 7383 §2.5): responses (cached as a
 * whole for retransmissions, §2.1) and our own requests (ike_req.c). Reassembly of the
 * peer's fragments is in ike_sa.c. See ike_priv.h. */
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
