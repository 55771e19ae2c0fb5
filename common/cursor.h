/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file cursor.h
 * The one way Rampart reads and writes wire formats (IKE, RADIUS, EAP, ...).
 *
 * A reader cursor is a bounded view of a buffer: every read checks the remaining length,
 * converts from network byte order and returns false on a short buffer; after the first
 * failure the cursor is poisoned and every later read fails too, so a parser may do a run of
 * reads and test once. Nothing casts a struct pointer into a packet.
 *
 * A writer buffer appends in network byte order into caller-owned memory with the same
 * sticky error; rp_wbuf_reserve() returns the offset of a field (e.g. a length) to patch
 * once the rest is written.
 *
 * Neither owns its memory.
 */
#ifndef RAMPART_COMMON_CURSOR_H
#define RAMPART_COMMON_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rp_cursor {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool err;
};

static inline void rp_cur_init(struct rp_cursor *c, const void *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->off = 0;
	c->err = false;
}

/** Bytes left to read (0 once poisoned). */
static inline size_t rp_cur_left(const struct rp_cursor *c)
{
	return c->err ? 0 : c->len - c->off;
}

/** True when no read has failed. */
static inline bool rp_cur_ok(const struct rp_cursor *c)
{
	return !c->err;
}

/** True when every byte was consumed and no read failed. */
static inline bool rp_cur_done(const struct rp_cursor *c)
{
	return !c->err && c->off == c->len;
}

/** Pointer to the next @p n bytes, consumed; NULL (and poisoned) if fewer remain. */
static inline const uint8_t *rp_cur_take(struct rp_cursor *c, size_t n)
{
	const uint8_t *r;

	if (c->err || n > c->len - c->off) {
		c->err = true;
		return NULL;
	}
	r = c->p + c->off;
	c->off += n;
	return r;
}

static inline bool rp_cur_skip(struct rp_cursor *c, size_t n)
{
	return rp_cur_take(c, n) != NULL;
}

static inline bool rp_cur_bytes(struct rp_cursor *c, void *out, size_t n)
{
	const uint8_t *s = rp_cur_take(c, n);

	if (!s)
		return false;
	memcpy(out, s, n);
	return true;
}

static inline bool rp_cur_u8(struct rp_cursor *c, uint8_t *v)
{
	const uint8_t *s = rp_cur_take(c, 1);

	if (!s)
		return false;
	*v = s[0];
	return true;
}

static inline bool rp_cur_u16(struct rp_cursor *c, uint16_t *v)
{
	const uint8_t *s = rp_cur_take(c, 2);

	if (!s)
		return false;
	*v = (uint16_t)(s[0] << 8 | s[1]);
	return true;
}

/** The big-endian 32-bit value at @p p (any alignment). */
static inline uint32_t rp_get_be32(const void *p)
{
	const uint8_t *s = p;

	return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
}

/** The prefix length of the IPv4 netmask at @p m (network order, as on the wire), in
 * @p plen. @return false if the mask is not contiguous. */
static inline bool rp_mask4_plen(const void *m, uint8_t *plen)
{
	uint32_t v = rp_get_be32(m);

	if ((~v + 1) & ~v) /* contiguous: inverted + 1 is a power of two (or 0) */
		return false;
	*plen = (uint8_t)__builtin_popcount(v);
	return true;
}

/** Store @p v big-endian at @p p (any alignment). */
static inline void rp_put_be32(void *p, uint32_t v)
{
	uint8_t *d = p;

	d[0] = (uint8_t)(v >> 24), d[1] = (uint8_t)(v >> 16), d[2] = (uint8_t)(v >> 8);
	d[3] = (uint8_t)v;
}

static inline bool rp_cur_u32(struct rp_cursor *c, uint32_t *v)
{
	const uint8_t *s = rp_cur_take(c, 4);

	if (!s)
		return false;
	*v = rp_get_be32(s);
	return true;
}

static inline bool rp_cur_u64(struct rp_cursor *c, uint64_t *v)
{
	uint32_t hi, lo;

	if (!rp_cur_u32(c, &hi) || !rp_cur_u32(c, &lo))
		return false;
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

/**
 * Split off the next @p n bytes as a cursor of their own (e.g. one payload body), consumed
 * from @p c. On a short buffer both are poisoned.
 */
static inline bool rp_cur_sub(struct rp_cursor *c, size_t n, struct rp_cursor *sub)
{
	const uint8_t *s = rp_cur_take(c, n);

	rp_cur_init(sub, s, s ? n : 0);
	sub->err = s == NULL;
	return s != NULL;
}

/* ---- writer ------------------------------------------------------------------------------ */

struct rp_wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool err;
};

static inline void rp_wbuf_init(struct rp_wbuf *w, void *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->len = 0;
	w->err = false;
}

/** Append room for @p n bytes and return a pointer to it, or NULL (poisoned) if full. */
static inline uint8_t *rp_wbuf_put(struct rp_wbuf *w, size_t n)
{
	uint8_t *r;

	if (w->err || n > w->cap - w->len) {
		w->err = true;
		return NULL;
	}
	r = w->p + w->len;
	w->len += n;
	return r;
}

static inline bool rp_wbuf_bytes(struct rp_wbuf *w, const void *src, size_t n)
{
	uint8_t *d = rp_wbuf_put(w, n);

	if (!d)
		return false;
	if (n)
		memcpy(d, src, n);
	return true;
}

static inline bool rp_wbuf_u8(struct rp_wbuf *w, uint8_t v)
{
	return rp_wbuf_bytes(w, &v, 1);
}

static inline bool rp_wbuf_u16(struct rp_wbuf *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return rp_wbuf_bytes(w, b, 2);
}

static inline bool rp_wbuf_u32(struct rp_wbuf *w, uint32_t v)
{
	uint8_t b[4];

	rp_put_be32(b, v);
	return rp_wbuf_bytes(w, b, 4);
}

static inline bool rp_wbuf_u64(struct rp_wbuf *w, uint64_t v)
{
	return rp_wbuf_u32(w, (uint32_t)(v >> 32)) && rp_wbuf_u32(w, (uint32_t)v);
}

/** Reserve @p n zero bytes to patch later; returns their offset, or SIZE_MAX when full. */
static inline size_t rp_wbuf_reserve(struct rp_wbuf *w, size_t n)
{
	uint8_t *d = rp_wbuf_put(w, n);

	if (!d)
		return SIZE_MAX;
	memset(d, 0, n);
	return (size_t)(d - w->p);
}

/** Patch a 16-bit big-endian value at @p off (from rp_wbuf_reserve()). */
static inline void rp_wbuf_patch_u16(struct rp_wbuf *w, size_t off, uint16_t v)
{
	if (w->err || off == SIZE_MAX || off + 2 > w->len) {
		w->err = true;
		return;
	}
	w->p[off] = (uint8_t)(v >> 8);
	w->p[off + 1] = (uint8_t)v;
}

/** Patch a 32-bit big-endian value at @p off. */
static inline void rp_wbuf_patch_u32(struct rp_wbuf *w, size_t off, uint32_t v)
{
	if (w->err || off == SIZE_MAX || off + 4 > w->len) {
		w->err = true;
		return;
	}
	rp_put_be32(w->p + off, v);
}

#endif
