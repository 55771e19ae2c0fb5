/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file http.h
 * A minimal, blocking HTTP/1.0 client for revocation data: CRLs from distribution points
 * (GET) and OCSP (POST, RFC 6960 appendix A). Only http:// URLs; no proxy (the environment's
 * http_proxy is ignored on purpose), no redirects, no chunked bodies (we speak HTTP/1.0, so a
 * Transfer-Encoding in the answer is refused).
 *
 * The whole exchange (connect, request, response) is bounded by @p timeout_ms; name
 * resolution (getaddrinfo) is not: use addresses or a resolver that answers fast. The body
 * is bounded by @p max_len. It blocks the calling thread: call it from a worker, never from
 * the event loop (revoke.h sees to that).
 */
#ifndef RAMPART_PKI_HTTP_H
#define RAMPART_PKI_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Longest URL accepted. */
#define PKI_HTTP_URL_MAX 512
/** Longest response head accepted (status line, header lines, the empty line). */
#define PKI_HTTP_HEAD_MAX 16384u
/** Longest single line of the head, CRLF included. */
#define PKI_HTTP_LINE_MAX 4096u

/** What pki_http_parse_head() found in a response head. */
struct pki_http_head {
	unsigned minor;         /**< HTTP/1.minor */
	unsigned status;        /**< 100..599; 0 until the status line was read */
	char reason[64];        /**< the reason phrase, truncated */
	bool has_length;        /**< a Content-Length was given */
	size_t length;          /**< its value (<= the caller's max_body) */
};

/**
 * Parse the head of an HTTP/1.x response: the status line (`HTTP/1.x SP 3DIGIT SP reason
 * CRLF`; a missing SP and reason is tolerated), header lines (`token ":" OWS value OWS CRLF`,
 * no folding, no bare CR or LF, no control characters) up to the empty line. Content-Length
 * is digits only, at most @p max_body; copies of it must agree. Any Transfer-Encoding is
 * refused (an HTTP/1.0 client must not get one). The status is reported, not judged.
 *
 * Pure: reads @p p[0..n) only, allocates nothing; @p out is filled as far as parsed (status
 * as soon as the status line is whole, so a caller can prefer "status 404" to a later error).
 * @return the length of the head (> 0, the body starts there); 0 when @p n bytes are a valid
 * but incomplete head (read more); -EPROTO with a reason in @p err for a malformed head or a
 * head over PKI_HTTP_HEAD_MAX; -EMSGSIZE when Content-Length is over @p max_body.
 */
int pki_http_parse_head(const uint8_t *p, size_t n, size_t max_body, struct pki_http_head *out,
			char *err, size_t errlen);

/**
 * GET @p url (@p ctype NULL), or POST @p body of type @p ctype to it. The answer's head goes
 * through pki_http_parse_head() as it arrives; its body ends at Content-Length (anything
 * after it is not used) or, without one, when the server closes.
 * @return 0 with the body in *@p out (malloc'd, caller frees) and its length, or -errno
 * with a reason in @p err (-EINVAL bad URL, -ETIMEDOUT, -EMSGSIZE over @p max_len,
 * -EPROTO bad answer or HTTP status other than 200, -ECONNREFUSED...).
 */
int pki_http_fetch(const char *url, const char *ctype, const uint8_t *body, size_t body_len,
		   size_t max_len, unsigned timeout_ms, uint8_t **out, size_t *out_len, char *err,
		   size_t errlen);

#endif
