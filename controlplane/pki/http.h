/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file http.h
 * A minimal, blocking HTTP/1.0 client for revocation data: CRLs from distribution points
 * (GET) and OCSP (POST, RFC 6960 appendix A). Only http:// URLs; no proxy (the environment's
 * http_proxy is ignored on purpose), no redirects, no chunked bodies (we speak HTTP/1.0).
 *
 * The whole exchange (connect, request, response) is bounded by @p timeout_ms; name
 * resolution (getaddrinfo) is not: use addresses or a resolver that answers fast. The body
 * is bounded by @p max_len. It blocks the calling thread: call it from a worker, never from
 * the event loop (revoke.h sees to that).
 */
#ifndef RAMPART_PKI_HTTP_H
#define RAMPART_PKI_HTTP_H

#include <stddef.h>
#include <stdint.h>

/** Longest URL accepted. */
#define PKI_HTTP_URL_MAX 512

/**
 * GET @p url (@p ctype NULL), or POST @p body of type @p ctype to it.
 * @return 0 with the body in *@p out (malloc'd, caller frees) and its length, or -errno
 * with a reason in @p err (-EINVAL bad URL, -ETIMEDOUT, -EMSGSIZE over @p max_len,
 * -EPROTO bad answer or HTTP status other than 200, -ECONNREFUSED...).
 */
int pki_http_fetch(const char *url, const char *ctype, const uint8_t *body, size_t body_len,
		   size_t max_len, unsigned timeout_ms, uint8_t **out, size_t *out_len, char *err,
		   size_t errlen);

#endif
