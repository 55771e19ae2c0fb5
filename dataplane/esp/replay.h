/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file replay.h
 * ESP anti-replay window (RFC 4303 §3.4.3 and Appendix A), with extended sequence numbers.
 *
 * The window is a circular bitmap (RFC 6479): one bit per sequence number, kept in words of
 * 64 bits, with one spare word so that sliding forward only clears whole words. Windows of 64
 * to 4096 packets (multiples of 64) are supported.
 *
 * Use is in two steps so that a forged packet never moves the window:
 *   1. esp_replay_check() before the ICV is verified: rejects duplicates and packets left of
 *      the window, and (ESN) infers the high 32 bits of the sequence number, which the ICV
 *      computation needs;
 *   2. esp_replay_update() only after the ICV has been verified.
 * A replay state has one writer: the worker that owns the SA.
 */
#ifndef RAMPART_DP_REPLAY_H
#define RAMPART_DP_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define ESP_REPLAY_WIN_MIN 64u
#define ESP_REPLAY_WIN_MAX 4096u
/* Bitmap words: window / 64 plus one spare, rounded up to a power of two. */
#define ESP_REPLAY_WORDS_MAX 128u

struct esp_replay {
	uint64_t top;       /**< highest authenticated sequence number (64-bit with ESN), 0 = none */
	uint32_t window;    /**< window size in packets */
	uint32_t words_mask;/**< number of bitmap words - 1 */
	uint64_t bitmap[ESP_REPLAY_WORDS_MAX];
};

enum esp_replay_verdict {
	ESP_REPLAY_OK = 0,
	ESP_REPLAY_DUPLICATE = 1, /**< inside the window, already seen */
	ESP_REPLAY_TOO_OLD = 2,   /**< left of the window */
	ESP_REPLAY_ZERO = 3,      /**< sequence number 0 is never sent */
};

/** Reset to "nothing received" with a window of @p window packets. @return 0 or -EINVAL. */
int esp_replay_init(struct esp_replay *r, uint32_t window);

/**
 * Pre-ICV check of a received 32-bit sequence number.
 * @param esn     extended sequence numbers negotiated
 * @param seq64   out: the full sequence number (high bits inferred per RFC 4303 A2.2 with
 *                ESN; 0 in the high half without)
 */
enum esp_replay_verdict esp_replay_check(const struct esp_replay *r, uint32_t seq, bool esn,
					 uint64_t *seq64);

/**
 * Start loading the bitmap word that checking and recording sequence number @p seq (its low
 * 32 bits are enough) touch: for SA tables beyond the caches, a burst ahead.
 */
static inline void esp_replay_prefetch(const struct esp_replay *r, uint32_t seq)
{
	__builtin_prefetch(&r->bitmap[(seq >> 6) & r->words_mask]);
}

/** Record @p seq64 as received; call only after its ICV was verified and the check passed. */
void esp_replay_update(struct esp_replay *r, uint64_t seq64);

/**
 * Without anti-replay: only move the highest sequence number seen (what ESN inference and
 * the SA's reported sequence number read), leaving the bitmap alone. After the ICV, as
 * esp_replay_update().
 */
static inline void esp_replay_advance(struct esp_replay *r, uint64_t seq64)
{
	if (seq64 > r->top)
		r->top = seq64;
}

/**
 * For ESN: the high 32 bits to authenticate with when the check does not apply (replay
 * protection disabled): RFC 4303 A2.2 inference without rejecting anything.
 */
uint64_t esp_replay_infer(const struct esp_replay *r, uint32_t seq, bool esn);

#endif
