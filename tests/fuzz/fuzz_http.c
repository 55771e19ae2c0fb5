/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Fuzz the head parser of the revocation fetcher's HTTP client (controlplane/pki/http.c):
 * whatever the bytes, pki_http_parse_head() reads only them, and its answer is consistent:
 * a head it accepts ends with CRLF CRLF within the limit, carries a status 100..599 and a
 * Content-Length within the body limit; its shorter prefixes (a sample: all would be
 * quadratic) are "read more", so the fetch, which parses after every read, never fails
 * on a head it would accept whole;
 * "read more" only below the head limit; an error always has a message. Twice: with a body
 * limit above the seeds' Content-Lengths and with one below. Seeds: tests/fuzz/corpus/http,
 * made by capture_http_seeds.sh from python3 http.server and openssl ocsp. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/pki/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size, size_t max_body)
{
	struct pki_http_head h, h2;
	char err[200], err2[200];
	int rc = pki_http_parse_head(data, size, max_body, &h, err, sizeof(err));

	if (rc < 0) {
		if (!err[0] || (rc != -EPROTO && rc != -EMSGSIZE))
			abort();
		return;
	}
	if (!rc) {
		if (size >= PKI_HTTP_HEAD_MAX)
			abort();
		return;
	}
	if ((size_t)rc > size || (size_t)rc > PKI_HTTP_HEAD_MAX || rc < 4 ||
	    memcmp(data + rc - 4, "\r\n\r\n", 4) || h.status < 100 || h.status > 599 ||
	    h.minor > 9 || (h.has_length && h.length > max_body) ||
	    !memchr(h.reason, 0, sizeof(h.reason)))
		abort();
	/* the same head alone, then prefixes of it */
	if (pki_http_parse_head(data, (size_t)rc, max_body, &h2, err2, sizeof(err2)) != rc ||
	    h2.status != h.status || h2.has_length != h.has_length || h2.length != h.length ||
	    strcmp(h2.reason, h.reason))
		abort();
	const size_t cut[] = { (size_t)rc - 1, (size_t)rc - 2, (size_t)rc - 3, (size_t)rc / 2,
			       8, 1, 0 };

	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++)
		if (cut[i] < (size_t)rc &&
		    pki_http_parse_head(data, cut[i], max_body, &h2, err2, sizeof(err2)) != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, 1u << 20);
	check(data, size, 300);
	return 0;
}
