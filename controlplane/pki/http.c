/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* A minimal blocking HTTP/1.0 client with an overall deadline and a size limit. See http.h. */
#include "controlplane/pki/http.h"

#include <errno.h>
#include <stdbool.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HDR_MAX 16384u  /* status line and headers */

#define FAIL(code, ...) do { snprintf(err, errlen, __VA_ARGS__); rc = (code); goto out; } while (0)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(long long deadline)
{
	long long l = deadline - now_ms();

	return l <= 0 ? 0 : l > 3600000 ? 3600000 : (int)l;
}

/* http://HOST[:PORT][/PATH]; HOST may be [v6]. Printable ASCII only (no header injection). */
static int parse_url(const char *url, char *host, size_t hlen, char *port, size_t plen,
		     const char **path)
{
	const char *p, *h, *he;
	size_t n;

	if (strlen(url) > PKI_HTTP_URL_MAX || strncasecmp(url, "http://", 7))
		return -EINVAL;
	for (p = url; *p; p++)
		if (*p <= ' ' || *p >= 127)
			return -EINVAL;
	h = url + 7;
	if (*h == '[') {
		he = strchr(h, ']');
		if (!he)
			return -EINVAL;
		h++;
		p = he + 1;
	} else {
		he = h + strcspn(h, ":/?#");
		p = he;
	}
	n = (size_t)(he - h);
	if (!n || n >= hlen || memchr(h, '@', n))
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = 0;
	snprintf(port, plen, "80");
	if (*p == ':') {
		size_t d = strspn(p + 1, "0123456789");

		if (!d || d > 5 || atoi(p + 1) < 1 || atoi(p + 1) > 65535)
			return -EINVAL;
		snprintf(port, plen, "%d", atoi(p + 1));
		p += 1 + d;
	}
	if (*p && *p != '/')
		return -EINVAL;
	*path = *p ? p : "/";
	return 0;
}

static int connect_one(const struct addrinfo *ai, long long deadline)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			ai->ai_protocol);
	struct pollfd pf;
	socklen_t sl = sizeof(int);
	int e = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		e = -errno;
		close(fd);
		return e;
	}
	pf = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&pf, 1, left_ms(deadline)) <= 0) {
		close(fd);
		return -ETIMEDOUT;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) || e) {
		close(fd);
		return -(e ? e : EIO);
	}
	return fd;
}

static int io_all(int fd, bool wr, uint8_t *buf, size_t len, size_t *done, long long deadline)
{
	*done = 0;
	while (*done < len) {
		struct pollfd pf = { .fd = fd, .events = wr ? POLLOUT : POLLIN };
		ssize_t n;
		int t = left_ms(deadline);

		if (!t || poll(&pf, 1, t) <= 0)
			return -ETIMEDOUT;
		n = wr ? send(fd, buf + *done, len - *done, MSG_NOSIGNAL)
		       : recv(fd, buf + *done, len - *done, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (!n)
			return 0; /* EOF while reading */
		*done += (size_t)n;
	}
	return 0;
}

int pki_http_fetch(const char *url, const char *ctype, const uint8_t *body, size_t body_len,
		   size_t max_len, unsigned timeout_ms, uint8_t **out, size_t *out_len, char *err,
		   size_t errlen)
{
	long long deadline = now_ms() + (timeout_ms ? timeout_ms : 1);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char host[256], hosthdr[300], port[8], req[PKI_HTTP_URL_MAX + 640];
	const char *path, *hb;
	size_t cap = HDR_MAX + max_len + 1, len = 0, got, hdr_len, blen;
	uint8_t *buf = NULL;
	int fd = -1, rc = 0, n, status;

	*out = NULL;
	*out_len = 0;
	if (parse_url(url, host, sizeof(host), port, sizeof(port), &path))
		FAIL(-EINVAL, "unusable URL (only http://host[:port]/path)");
	n = getaddrinfo(host, port, &hints, &res);
	if (n)
		FAIL(-EHOSTUNREACH, "cannot resolve %s: %s", host, gai_strerror(n));
	rc = -EHOSTUNREACH;
	for (struct addrinfo *ai = res; ai && fd < 0 && left_ms(deadline); ai = ai->ai_next) {
		fd = connect_one(ai, deadline);
		if (fd < 0)
			rc = fd;
	}
	if (fd < 0)
		FAIL(rc, "cannot connect to %s port %s: %s", host, port, strerror(-rc));
	rc = 0;
	/* Host: as in the URL ([v6], and the port unless 80) */
	snprintf(hosthdr, sizeof(hosthdr), "%s%s%s%s%s", strchr(host, ':') ? "[" : "", host,
		 strchr(host, ':') ? "]" : "", strcmp(port, "80") ? ":" : "",
		 strcmp(port, "80") ? port : "");
	n = ctype ? snprintf(req, sizeof(req), "POST %s HTTP/1.0\r\nHost: %s\r\nContent-Type: %s\r\n"
			     "Content-Length: %zu\r\nConnection: close\r\n\r\n", path, hosthdr,
			     ctype, body_len)
		  : snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n"
			     "\r\n", path, hosthdr);
	if (n < 0 || (size_t)n >= sizeof(req))
		FAIL(-EINVAL, "URL too long");
	if ((rc = io_all(fd, true, (uint8_t *)req, (size_t)n, &got, deadline)) ||
	    (body_len && (rc = io_all(fd, true, (uint8_t *)body, body_len, &got, deadline))))
		FAIL(rc, "cannot send the request to %s: %s", host, strerror(-rc));
	/* read to EOF (HTTP/1.0, Connection: close), growing the buffer up to what we accept */
	for (size_t alloc = 0;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t r;
		int t;

		if (len + 1 >= alloc) {
			uint8_t *nb;

			if (alloc >= cap)
				FAIL(-EMSGSIZE, "the answer from %s is over %zu bytes", host, max_len);
			alloc = alloc ? (alloc > cap / 2 ? cap : 2 * alloc) : (cap < 65536 ? cap : 65536);
			nb = realloc(buf, alloc);
			if (!nb)
				FAIL(-ENOMEM, "out of memory");
			buf = nb;
		}
		t = left_ms(deadline);
		if (!t || poll(&pf, 1, t) <= 0)
			FAIL(-ETIMEDOUT, "no complete answer from %s within %u ms", host, timeout_ms);
		r = recv(fd, buf + len, alloc - 1 - len, 0);
		if (r < 0) {
			int e = errno;

			if (e == EINTR || e == EAGAIN)
				continue;
			FAIL(-e, "reading the answer of %s: %s", host, strerror(e));
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	buf[len] = 0;
	hb = memmem(buf, len, "\r\n\r\n", 4);
	if (len < 12 || strncmp((char *)buf, "HTTP/1.", 7) || !hb)
		FAIL(-EPROTO, "%s did not answer in HTTP", host);
	hdr_len = (size_t)(hb - (char *)buf) + 4;
	status = atoi((char *)buf + 9);
	if (status != 200)
		FAIL(-EPROTO, "%s answers HTTP status %d", host, status);
	blen = len - hdr_len;
	if (blen > max_len)
		FAIL(-EMSGSIZE, "the answer from %s is over %zu bytes", host, max_len);
	for (const char *l = strstr((char *)buf, "\r\n"); l && l < hb; l = strstr(l + 2, "\r\n")) {
		if (!strncasecmp(l + 2, "Transfer-Encoding:", 18))
			FAIL(-EPROTO, "%s answers with a transfer encoding", host);
		if (!strncasecmp(l + 2, "Content-Length:", 15)) {
			unsigned long long want = strtoull(l + 17, NULL, 10);

			if (want != blen)
				FAIL(-EPROTO, "%s sent %zu bytes of %llu", host, blen, want);
		}
	}
	*out = malloc(blen ? blen : 1);
	if (!*out)
		FAIL(-ENOMEM, "out of memory");
	memcpy(*out, buf + hdr_len, blen);
	*out_len = blen;
out:
	if (fd >= 0)
		close(fd);
	if (res)
		freeaddrinfo(res);
	free(buf);
	return rc;
}
