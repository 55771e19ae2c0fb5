/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Anti-replay window: RFC 4303 Appendix A with the RFC 6479 circular bitmap. */
#include "replay.h"

#include <errno.h>
#include <string.h>

int esp_replay_init(struct esp_replay *r, uint32_t window)
{
	uint32_t words = 1;

	if (window < ESP_REPLAY_WIN_MIN || window > ESP_REPLAY_WIN_MAX || window % 64)
		return -EINVAL;
	while (words < window / 64 + 1)
		words <<= 1;
	memset(r, 0, sizeof(*r));
	r->window = window;
	r->words_mask = words - 1;
	return 0;
}

/* RFC 4303 A2.2; returns false when seq would belong to the subspace before the first. */
static bool infer(const struct esp_replay *r, uint32_t seq, bool esn, uint64_t *out)
{
	uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32), w = r->window;

	*out = seq;
	if (!esn)
		return true;
	/* RFC 4303 A2.2: decide which 2^32 subspace seq belongs to. */
	if (tl >= w - 1) {
		/* Window lies within one subspace. */
		if (seq >= tl - w + 1)
			*out = (uint64_t)th << 32 | seq;
		else
			*out = (uint64_t)(th + 1) << 32 | seq; /* wrapped into the next subspace */
		return true;
	}
	/* Window spans two subspaces. */
	if (seq >= tl - w + 1) { /* unsigned wrap: the left part, in the previous subspace */
		if (!th)
			return false;
		*out = (uint64_t)(th - 1) << 32 | seq;
		return true;
	}
	*out = (uint64_t)th << 32 | seq;
	return true;
}

uint64_t esp_replay_infer(const struct esp_replay *r, uint32_t seq, bool esn)
{
	uint64_t s;

	infer(r, seq, esn, &s);
	return s;
}

static inline bool bit_is_set(const struct esp_replay *r, uint64_t s)
{
	return r->bitmap[(s >> 6) & r->words_mask] & (1ull << (s & 63));
}

enum esp_replay_verdict esp_replay_check(const struct esp_replay *r, uint32_t seq, bool esn,
					 uint64_t *seq64)
{
	uint64_t s;

	if (!infer(r, seq, esn, &s)) {
		*seq64 = s;
		return ESP_REPLAY_TOO_OLD;
	}
	*seq64 = s;
	if (s == 0)
		return ESP_REPLAY_ZERO;
	if (s > r->top)
		return ESP_REPLAY_OK;
	if (s + r->window <= r->top)
		return ESP_REPLAY_TOO_OLD;
	return bit_is_set(r, s) ? ESP_REPLAY_DUPLICATE : ESP_REPLAY_OK;
}

void esp_replay_update(struct esp_replay *r, uint64_t s)
{
	if (s > r->top) {
		uint64_t old_word = r->top >> 6, new_word = s >> 6;
		uint64_t n = new_word - old_word;

		/* Clear the words the window slides over (all of them after a long jump). */
		if (n > r->words_mask + 1ull)
			n = r->words_mask + 1ull;
		for (uint64_t i = 1; i <= n; i++)
			r->bitmap[(old_word + i) & r->words_mask] = 0;
		r->top = s;
	}
	r->bitmap[(s >> 6) & r->words_mask] |= 1ull << (s & 63);
}
