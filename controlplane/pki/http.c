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

#include "common/cursor.h"

/* ---- the response head (RFC 9112 sections 4 to 6), read through a bounded cursor ---------- */

enum line_rc { LINE_OK, LINE_MORE, LINE_BAD, LINE_LONG };

/* The next line of @p c without its CRLF, as a cursor of its own (consumed with the CRLF).
 * A CR not followed by LF, or an LF without CR, is bad (no bare line ends, RFC 9112 2.2). */
static enum line_rc next_line(struct rp_cursor *c, struct rp_cursor *line)
{
	struct rp_cursor t = *c;
	size_t len = 0;
	uint8_t b;

	while (rp_cur_u8(&t, &b)) {
		if (b == '\n')
			return LINE_BAD;
		if (b == '\r') {
			if (!rp_cur_u8(&t, &b))
				break;
			if (b != '\n')
				return LINE_BAD;
			if (len + 2 > PKI_HTTP_LINE_MAX)
				return LINE_LONG;
			rp_cur_sub(c, len, line);
			rp_cur_skip(c, 2);
			return LINE_OK;
		}
		len++;
	}
	return len + 2 > PKI_HTTP_LINE_MAX ? LINE_LONG : LINE_MORE;
}

/* RFC 9110 5.6.2 tchar */
static bool is_tchar(uint8_t b)
{
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
	       (b && strchr("!#$%&'*+-.^_`|~", b));
}

/* field-value and reason-phrase octets: HTAB, SP, VCHAR, obs-text; no other control */
static bool is_text(uint8_t b)
{
	return b == '\t' || (b >= ' ' && b != 0x7f);
}

/* A printable copy of @p s for a message: other octets become '?', long ones are cut. */
static void shown(char *dst, size_t dl, const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < dl; i++)
		dst[i] = s[i] >= ' ' && s[i] < 0x7f ? (char)s[i] : '?';
	dst[i] = 0;
}

static bool ieq(const uint8_t *s, size_t n, const char *lit)
{
	return n == strlen(lit) && !strncasecmp((const char *)s, lit, n);
}

/* HTTP/1.x SP 3DIGIT [SP reason-phrase] (the SP and reason are missing from a few servers) */
static int parse_status(struct rp_cursor *l, struct pki_http_head *h, char *err, size_t errlen)
{
	const uint8_t *v = rp_cur_take(l, 7), *r;
	uint8_t minor = 0, sp = 0, d[3] = { 0 };
	size_t rl;

	if (!v || memcmp(v, "HTTP/1.", 7) || !rp_cur_u8(l, &minor) || minor < '0' || minor > '9') {
		snprintf(err, errlen, "not an HTTP/1.x status line");
		return -EPROTO;
	}
	if (!rp_cur_u8(l, &sp) || sp != ' ' || !rp_cur_bytes(l, d, 3) || d[0] < '1' ||
	    d[0] > '5' || d[1] < '0' || d[1] > '9' || d[2] < '0' || d[2] > '9' ||
	    (rp_cur_left(l) && (!rp_cur_u8(l, &sp) || sp != ' '))) {
		snprintf(err, errlen, "malformed HTTP status line (no 3-digit status code)");
		return -EPROTO;
	}
	rl = rp_cur_left(l);
	r = rp_cur_take(l, rl);
	for (size_t i = 0; i < rl; i++)
		if (!is_text(r[i])) {
			snprintf(err, errlen, "control character in the HTTP status line");
			return -EPROTO;
		}
	h->minor = (unsigned)(minor - '0');
	h->status = (unsigned)((d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0'));
	shown(h->reason, sizeof(h->reason), r, rl);
	return 0;
}

static int parse_length(const uint8_t *v, size_t n, size_t max_body, struct pki_http_head *h,
			char *err, size_t errlen)
{
	char s[24];
	size_t val = 0;
	bool over = false;

	shown(s, sizeof(s), v, n);
	if (!n) {
		snprintf(err, errlen, "empty Content-Length");
		return -EPROTO;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)v[i] - '0';

		if (d > 9) {
			snprintf(err, errlen, "Content-Length '%s' is not a number", s);
			return -EPROTO;
		}
		if (val > (SIZE_MAX - d) / 10)
			over = true;
		else
			val = val * 10 + d;
	}
	if (over || val > max_body) {
		snprintf(err, errlen, "Content-Length %s is over the limit of %zu bytes", s,
			 max_body);
		return -EMSGSIZE;
	}
	if (h->has_length && h->length != val) {
		snprintf(err, errlen, "two different Content-Length values (%zu and %zu)",
			 h->length, val);
		return -EPROTO;
	}
	h->has_length = true;
	h->length = val;
	return 0;
}

/* field-name ":" OWS field-value OWS (RFC 9112 5) */
static int parse_field(struct rp_cursor *l, size_t max_body, struct pki_http_head *h,
		       char *err, size_t errlen)
{
	struct rp_cursor t = *l;
	const uint8_t *name, *v;
	size_t nl = 0, vl;
	uint8_t b = 0;
	char s[48];

	while (rp_cur_u8(&t, &b) && is_tchar(b))
		nl++;
	name = rp_cur_take(l, nl);
	if (!nl || !rp_cur_u8(l, &b) || b != ':') {
		snprintf(err, errlen, nl || (b != ' ' && b != '\t') ? "malformed header line" :
			 "folded header line (obsolete line folding is refused)");
		return -EPROTO;
	}
	vl = rp_cur_left(l);
	v = rp_cur_take(l, vl);
	while (vl && (v[0] == ' ' || v[0] == '\t'))
		v++, vl--;
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	for (size_t i = 0; i < vl; i++)
		if (!is_text(v[i])) {
			shown(s, sizeof(s), name, nl);
			snprintf(err, errlen, "control character in header %s", s);
			return -EPROTO;
		}
	if (ieq(name, nl, "Content-Length"))
		return parse_length(v, vl, max_body, h, err, errlen);
	if (ieq(name, nl, "Transfer-Encoding")) {
		shown(s, sizeof(s), v, vl);
		snprintf(err, errlen, "Transfer-Encoding '%s' in an answer to HTTP/1.0 (refused)", s);
		return -EPROTO;
	}
	return 0;
}

int pki_http_parse_head(const uint8_t *p, size_t n, size_t max_body, struct pki_http_head *out,
			char *err, size_t errlen)
{
	size_t lim = n > PKI_HTTP_HEAD_MAX ? PKI_HTTP_HEAD_MAX : n;
	struct rp_cursor c, line;
	int rc;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = 0;
	rp_cur_init(&c, p, lim);
	/* not HTTP at all (a TLS or SSH server...): say so from the first bytes */
	if (lim && memcmp(p, "HTTP/1.", lim < 7 ? lim : 7)) {
		snprintf(err, errlen, "not an HTTP/1.x answer");
		return -EPROTO;
	}
	for (bool first = true;; first = false) {
		switch (next_line(&c, &line)) {
		case LINE_OK:
			break;
		case LINE_BAD:
			snprintf(err, errlen, "bare CR or LF in the %s", first ? "HTTP status line" :
				 "HTTP header");
			return -EPROTO;
		case LINE_LONG:
			snprintf(err, errlen, "HTTP %s over %u bytes", first ? "status line" :
				 "header line", PKI_HTTP_LINE_MAX);
			return -EPROTO;
		case LINE_MORE:
			if (n < PKI_HTTP_HEAD_MAX)
				return 0;
			snprintf(err, errlen, "HTTP header over %u bytes", PKI_HTTP_HEAD_MAX);
			return -EPROTO;
		}
		if (first)
			rc = parse_status(&line, out, err, errlen);
		else if (!rp_cur_left(&line))
			return (int)(lim - rp_cur_left(&c));
		else
			rc = parse_field(&line, max_body, out, err, errlen);
		if (rc)
			return rc;
	}
}

/* ---- the fetch ---------------------------------------------------------------------------- */

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

/* "... answers HTTP status 404 (Not Found)" */
static void status_msg(char *err, size_t errlen, const char *host, const struct pki_http_head *h)
{
	snprintf(err, errlen, "%s answers HTTP status %u%s%s%s", host, h->status,
		 h->reason[0] ? " (" : "", h->reason, h->reason[0] ? ")" : "");
}

int pki_http_fetch(const char *url, const char *ctype, const uint8_t *body, size_t body_len,
		   size_t max_len, unsigned timeout_ms, uint8_t **out, size_t *out_len, char *err,
		   size_t errlen)
{
	long long deadline = now_ms() + (timeout_ms ? timeout_ms : 1);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	struct pki_http_head head = { 0 };
	char host[256], hosthdr[300], port[8], req[PKI_HTTP_URL_MAX + 640], why[160];
	const char *path;
	/* what we may hold: until the head is parsed, a whole head and max_len (+1 to tell
	 * "over"); then the head and Content-Length, or the head and max_len + 1 */
	size_t cap = PKI_HTTP_HEAD_MAX + max_len + 1, len = 0, got, hdr_len = 0, blen;
	uint8_t *buf = NULL;
	int fd = -1, rc = 0, n;

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
	/* read the head, then the body up to Content-Length, or to EOF without one (HTTP/1.0,
	 * Connection: close), growing the buffer up to what we accept */
	for (size_t alloc = 0;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		size_t room;
		ssize_t r;
		int t;

		if (hdr_len && head.has_length && len >= cap)
			break; /* the whole body; anything after it is not used */
		if (len >= cap)
			FAIL(-EMSGSIZE, "the answer from %s is over %zu bytes", host, max_len);
		if (len >= alloc) {
			uint8_t *nb;

			alloc = alloc ? (alloc > cap / 2 ? cap : 2 * alloc) : (cap < 65536 ? cap : 65536);
			nb = realloc(buf, alloc);
			if (!nb)
				FAIL(-ENOMEM, "out of memory");
			buf = nb;
		}
		room = (alloc < cap ? alloc : cap) - len;
		t = left_ms(deadline);
		if (!t || poll(&pf, 1, t) <= 0)
			FAIL(-ETIMEDOUT, "no complete answer from %s within %u ms", host, timeout_ms);
		r = recv(fd, buf + len, room, 0);
		if (r < 0) {
			int e = errno;

			if (e == EINTR || e == EAGAIN)
				continue;
			FAIL(-e, "reading the answer of %s: %s", host, strerror(e));
		}
		if (!r)
			break;
		len += (size_t)r;
		if (hdr_len)
			continue;
		n = pki_http_parse_head(buf, len, max_len, &head, why, sizeof(why));
		if (n < 0 && head.status && head.status != 200) {
			status_msg(err, errlen, host, &head); /* the status says more than the rest */
			rc = -EPROTO;
			goto out;
		}
		if (n == -EMSGSIZE)
			FAIL(-EMSGSIZE, "the answer from %s is over %zu bytes", host, max_len);
		if (n < 0)
			FAIL(n, "bad HTTP answer from %s: %s", host, why);
		if (!n)
			continue;
		hdr_len = (size_t)n;
		if (head.status != 200) {
			status_msg(err, errlen, host, &head);
			rc = -EPROTO;
			goto out;
		}
		cap = hdr_len + (head.has_length ? head.length : max_len + 1);
	}
	if (!hdr_len)
		FAIL(-EPROTO, len ? "%s closed the connection within the HTTP header" :
		     "%s closed the connection without an answer", host);
	blen = len - hdr_len;
	if (head.has_length && blen < head.length)
		FAIL(-EPROTO, "%s sent %zu bytes of %zu", host, blen, head.length);
	if (head.has_length)
		blen = head.length; /* what came after it in the same read */
	if (blen > max_len)
		FAIL(-EMSGSIZE, "the answer from %s is over %zu bytes", host, max_len);
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
