/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Growable bounded text buffer (see sbuf.h). */
#include "controlplane/util/sbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_init(struct sbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void sbuf_free(struct sbuf *b)
{
	free(b->buf);
	sbuf_init(b, b->max);
}

void sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->buf)
		b->buf[0] = '\0';
}

/* Make room for @need more bytes plus the NUL; on overflow keep what fits. */
static size_t reserve(struct sbuf *b, size_t need)
{
	size_t room = b->max - b->len;

	if (need > room) {
		b->err = -E2BIG;
		need = room;
	}
	if (b->len + need + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + need + 1)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		char *p = realloc(b->buf, cap);

		if (!p) {
			b->err = -ENOMEM;
			return 0;
		}
		b->buf = p;
		b->cap = cap;
	}
	return need;
}

int sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	if (b->err)
		return b->err;
	n = reserve(b, n);
	if (n || b->buf) {
		memcpy(b->buf + b->len, p, n);
		b->len += n;
		b->buf[b->len] = '\0';
	}
	return b->err;
}

int sbuf_adds(struct sbuf *b, const char *s)
{
	return sbuf_add(b, s, strlen(s));
}

int sbuf_addc(struct sbuf *b, char c)
{
	return sbuf_add(b, &c, 1);
}

int sbuf_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
	char small[256];
	va_list ap2;
	int n;

	if (b->err)
		return b->err;
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->err = -EINVAL;
		return b->err;
	}
	if ((size_t)n < sizeof(small))
		return sbuf_add(b, small, n);

	/* Long output: format straight into the buffer. */
	size_t want = n;
	size_t got = reserve(b, want);

	if (b->err == -ENOMEM || !b->buf)
		return b->err;
	if (got < want) {
		/* Truncated: keep the prefix that fits. */
		char *tmp = malloc(want + 1);

		if (!tmp) {
			b->err = -ENOMEM;
			return b->err;
		}
		vsnprintf(tmp, want + 1, fmt, ap);
		memcpy(b->buf + b->len, tmp, got);
		free(tmp);
	} else {
		vsnprintf(b->buf + b->len, want + 1, fmt, ap);
	}
	b->len += got;
	b->buf[b->len] = '\0';
	return b->err;
}

int sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sbuf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *sbuf_str(const struct sbuf *b)
{
	return b->buf ? b->buf : "";
}
