/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file utf8.h
 * Strict UTF-8 decoding (RFC 3629), for text that came from operators or peers.
 */
#ifndef RAMPART_CP_UTF8_H
#define RAMPART_CP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/**
 * Decode the sequence at @p p (at most @p n bytes available).
 * @return its length 1..4 with the code point in *cp, or 0 if it is not valid UTF-8
 *         (truncated, overlong, a surrogate, above U+10FFFF, or a stray byte).
 */
size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

#endif
