/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Minimal streaming JSON writer (see json.h). */
#include "controlplane/mgmt/json.h"

#include "controlplane/util/utf8.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void json_init(struct json_w *w, struct sbuf *sb, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->sb = sb;
	w->pretty = pretty;
	w->empty[0] = true;
}

static void newline(struct json_w *w)
{
	if (!w->pretty)
		return;
	sbuf_addc(w->sb, '\n');
	for (int i = 0; i < w->depth; i++)
		sbuf_add(w->sb, "  ", 2);
}

/* Everything a value needs before it: a comma, indentation, or the check that a key came. */
static bool value_prefix(struct json_w *w)
{
	if (w->err)
		return false;
	if (w->depth == 0) {
		if (!w->empty[0]) {
			w->err = -EINVAL; /* a second top-level value */
			return false;
		}
		w->empty[0] = false;
		return true;
	}
	if (w->is_obj[w->depth]) {
		if (!w->key_done) {
			w->err = -EINVAL;
			return false;
		}
		w->key_done = false;
		return true;
	}
	if (!w->empty[w->depth])
		sbuf_addc(w->sb, ',');
	w->empty[w->depth] = false;
	newline(w);
	return true;
}

static void open_container(struct json_w *w, bool obj)
{
	if (!value_prefix(w))
		return;
	if (w->depth == JSON_MAX_DEPTH) {
		w->err = -E2BIG;
		return;
	}
	sbuf_addc(w->sb, obj ? '{' : '[');
	w->depth++;
	w->is_obj[w->depth] = obj;
	w->empty[w->depth] = true;
}

static void close_container(struct json_w *w, bool obj)
{
	if (w->err)
		return;
	if (w->depth == 0 || w->is_obj[w->depth] != obj || w->key_done) {
		w->err = -EINVAL;
		return;
	}
	bool was_empty = w->empty[w->depth];

	w->depth--;
	if (!was_empty)
		newline(w);
	sbuf_addc(w->sb, obj ? '}' : ']');
}

void json_obj_open(struct json_w *w)
{
	open_container(w, true);
}

void json_obj_close(struct json_w *w)
{
	close_container(w, true);
}

void json_arr_open(struct json_w *w)
{
	open_container(w, false);
}

void json_arr_close(struct json_w *w)
{
	close_container(w, false);
}

void json_escape(struct sbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0; /* run: start of bytes copied verbatim */

	while (i < n) {
		uint32_t cp;
		size_t len = utf8_decode(p + i, n - i, &cp);
		const char *esc = NULL;
		char ubuf[16];

		if (len == 0) {
			esc = "\\ufffd";
			len = 1;
		} else if (cp == '"') {
			esc = "\\\"";
		} else if (cp == '\\') {
			esc = "\\\\";
		} else if (cp == '\n') {
			esc = "\\n";
		} else if (cp == '\r') {
			esc = "\\r";
		} else if (cp == '\t') {
			esc = "\\t";
		} else if (cp == '\b') {
			esc = "\\b";
		} else if (cp == '\f') {
			esc = "\\f";
		} else if (cp < 0x20 || cp == 0x7f || cp == 0x2028 || cp == 0x2029) {
			/* 2028/2029 are valid JSON but break JavaScript string literals. */
			snprintf(ubuf, sizeof(ubuf), "\\u%04x", (unsigned)cp);
			esc = ubuf;
		}
		if (esc) {
			sbuf_add(sb, p + run, i - run);
			sbuf_adds(sb, esc);
			run = i + len;
		}
		i += len;
	}
	sbuf_add(sb, p + run, n - run);
}

void json_key(struct json_w *w, const char *key)
{
	if (w->err)
		return;
	if (w->depth == 0 || !w->is_obj[w->depth] || w->key_done || !key) {
		w->err = -EINVAL;
		return;
	}
	if (!w->empty[w->depth])
		sbuf_addc(w->sb, ',');
	w->empty[w->depth] = false;
	newline(w);
	sbuf_addc(w->sb, '"');
	json_escape(w->sb, key, strlen(key));
	sbuf_adds(w->sb, w->pretty ? "\": " : "\":");
	w->key_done = true;
}

void json_strn(struct json_w *w, const char *s, size_t n)
{
	if (!value_prefix(w))
		return;
	sbuf_addc(w->sb, '"');
	json_escape(w->sb, s, n);
	sbuf_addc(w->sb, '"');
}

void json_str(struct json_w *w, const char *s)
{
	if (!s)
		json_null(w);
	else
		json_strn(w, s, strlen(s));
}

void json_int(struct json_w *w, long long v)
{
	if (value_prefix(w))
		sbuf_printf(w->sb, "%lld", v);
}

void json_uint(struct json_w *w, unsigned long long v)
{
	if (value_prefix(w))
		sbuf_printf(w->sb, "%llu", v);
}

void json_bool(struct json_w *w, bool v)
{
	if (value_prefix(w))
		sbuf_adds(w->sb, v ? "true" : "false");
}

void json_null(struct json_w *w)
{
	if (value_prefix(w))
		sbuf_adds(w->sb, "null");
}

void json_kv_str(struct json_w *w, const char *key, const char *s)
{
	json_key(w, key);
	json_str(w, s);
}

void json_kv_int(struct json_w *w, const char *key, long long v)
{
	json_key(w, key);
	json_int(w, v);
}

void json_kv_uint(struct json_w *w, const char *key, unsigned long long v)
{
	json_key(w, key);
	json_uint(w, v);
}

void json_kv_bool(struct json_w *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

int json_finish(struct json_w *w)
{
	if (!w->err && (w->depth != 0 || w->empty[0]))
		w->err = -EINVAL;
	if (w->err)
		return w->err;
	sbuf_addc(w->sb, '\n');
	return sbuf_error(w->sb);
}
