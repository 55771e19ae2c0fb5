/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file sbuf.h
 * A growable, bounded, always NUL-terminated text buffer.
 *
 * Errors are sticky: once an append fails (out of memory, or the bound @c max would be
 * exceeded) the buffer keeps what fit, ignores further appends and reports the error from
 * sbuf_error(), so a writer can format a whole answer and check once at the end.
 *
 * Ownership: struct sbuf is caller-allocated; sbuf_free() releases its storage.
 */
#ifndef RAMPART_CP_SBUF_H
#define RAMPART_CP_SBUF_H

#include <stdarg.h>
#include <stddef.h>

struct sbuf {
	char *buf;   /**< NULL until the first append */
	size_t len;  /**< bytes used, without the terminating NUL */
	size_t cap;  /**< bytes allocated */
	size_t max;  /**< bound on len */
	int err;     /**< 0, -ENOMEM or -E2BIG (sticky) */
};

/** Initialise an empty buffer that will hold at most @p max bytes. */
void sbuf_init(struct sbuf *b, size_t max);

/** Release the storage; the buffer is empty (and reusable) afterwards. */
void sbuf_free(struct sbuf *b);

/** Forget the contents and the sticky error, keep the storage. */
void sbuf_reset(struct sbuf *b);

/** Append @p n bytes. @return 0 or the (sticky) error. */
int sbuf_add(struct sbuf *b, const void *p, size_t n);

/** Append a C string. */
int sbuf_adds(struct sbuf *b, const char *s);

/** Append one byte. */
int sbuf_addc(struct sbuf *b, char c);

/** Append formatted text. */
int sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sbuf_vprintf(struct sbuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/** The contents, NUL-terminated ("" when empty). Valid until the next append or free. */
const char *sbuf_str(const struct sbuf *b);

/** The sticky error (0 if every append succeeded). */
static inline int sbuf_error(const struct sbuf *b)
{
	return b->err;
}

#endif
