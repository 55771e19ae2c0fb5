/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file json.h
 * A minimal streaming JSON writer for management answers.
 *
 * The writer tracks nesting and inserts commas itself; strings are escaped per RFC 8259
 * (quote, backslash, control characters) and additionally U+2028/U+2029, and bytes that are
 * not valid UTF-8 are replaced by U+FFFD, so any C string an operator or a peer supplied
 * yields valid JSON. Misuse (a value without a key inside an object, closing what is not
 * open, nesting deeper than JSON_MAX_DEPTH) is recorded as a sticky error reported by
 * json_finish(); the writer never aborts.
 *
 * Numbers are integers only: management answers use integral units (ms, us, bytes).
 *
 * Ownership: the writer borrows the sbuf it writes to.
 */
#ifndef RAMPART_CP_JSON_H
#define RAMPART_CP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/util/sbuf.h"

/** Deepest nesting of objects/arrays accepted. */
#define JSON_MAX_DEPTH 32

struct json_w {
	struct sbuf *sb;
	int depth;
	bool pretty;
	bool key_done;                   /**< a key was written, its value is due */
	bool is_obj[JSON_MAX_DEPTH + 1]; /**< container kind per level */
	bool empty[JSON_MAX_DEPTH + 1];  /**< nothing written yet at this level */
	int err;                         /**< 0 or -EINVAL (misuse) / -E2BIG (depth) */
};

/** Start writing one JSON value into @p sb; @p pretty indents by two spaces. */
void json_init(struct json_w *w, struct sbuf *sb, bool pretty);

void json_obj_open(struct json_w *w);
void json_obj_close(struct json_w *w);
void json_arr_open(struct json_w *w);
void json_arr_close(struct json_w *w);

/** Member name inside an object; the next call must write its value. */
void json_key(struct json_w *w, const char *key);

/** String value; NULL writes null. */
void json_str(struct json_w *w, const char *s);
/** String value of @p n bytes (may contain NUL, escaped as \\u0000). */
void json_strn(struct json_w *w, const char *s, size_t n);
void json_int(struct json_w *w, long long v);
void json_uint(struct json_w *w, unsigned long long v);
void json_bool(struct json_w *w, bool v);
void json_null(struct json_w *w);

/* key + value shorthands */
void json_kv_str(struct json_w *w, const char *key, const char *s);
void json_kv_int(struct json_w *w, const char *key, long long v);
void json_kv_uint(struct json_w *w, const char *key, unsigned long long v);
void json_kv_bool(struct json_w *w, const char *key, bool v);

/**
 * End the document (adds a newline).
 * @return 0; -EINVAL on misuse or unclosed containers; the sbuf's error if it overflowed.
 */
int json_finish(struct json_w *w);

/**
 * Append @p s escaped as the body of a JSON string (without the quotes) to @p sb.
 * Exposed for tests and for writers of pre-formatted fragments.
 */
void json_escape(struct sbuf *sb, const char *s, size_t n);

#endif
