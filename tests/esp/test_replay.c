/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Anti-replay window and ESN inference (RFC 4303 §3.4.3, Appendix A). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "dataplane/esp/replay.h"

/* Check + update as the dataplane does after a good ICV. */
static enum esp_replay_verdict rx(struct esp_replay *r, uint32_t seq, bool esn, uint64_t *s64)
{
	uint64_t s;
	enum esp_replay_verdict v = esp_replay_check(r, seq, esn, &s);

	if (v == ESP_REPLAY_OK)
		esp_replay_update(r, s);
	if (s64)
		*s64 = s;
	return v;
}

static void test_init_bounds(void **state)
{
	struct esp_replay r;

	(void)state;
	assert_int_equal(esp_replay_init(&r, 32), -22);
	assert_int_equal(esp_replay_init(&r, 100), -22);
	assert_int_equal(esp_replay_init(&r, 8192), -22);
	assert_int_equal(esp_replay_init(&r, 64), 0);
	assert_int_equal(esp_replay_init(&r, 4096), 0);
	assert_true(r.words_mask + 1 >= 4096 / 64 + 1);
}

static void test_inside_outside_duplicate(void **state)
{
	struct esp_replay r;

	(void)state;
	esp_replay_init(&r, 64);
	assert_int_equal(rx(&r, 0, false, NULL), ESP_REPLAY_ZERO);
	assert_int_equal(rx(&r, 1, false, NULL), ESP_REPLAY_OK);
	assert_int_equal(rx(&r, 1, false, NULL), ESP_REPLAY_DUPLICATE);
	assert_int_equal(rx(&r, 100, false, NULL), ESP_REPLAY_OK);
	/* window is 37..100 */
	assert_int_equal(rx(&r, 36, false, NULL), ESP_REPLAY_TOO_OLD);
	assert_int_equal(rx(&r, 37, false, NULL), ESP_REPLAY_OK);
	assert_int_equal(rx(&r, 37, false, NULL), ESP_REPLAY_DUPLICATE);
	assert_int_equal(rx(&r, 99, false, NULL), ESP_REPLAY_OK);
	assert_int_equal(rx(&r, 100, false, NULL), ESP_REPLAY_DUPLICATE);
	assert_int_equal(rx(&r, 1, false, NULL), ESP_REPLAY_TOO_OLD);
	/* Out of order inside the window, each accepted once. */
	for (uint32_t s = 98; s >= 38; s--)
		assert_int_equal(rx(&r, s, false, NULL), ESP_REPLAY_OK);
	for (uint32_t s = 37; s <= 100; s++)
		assert_int_equal(rx(&r, s, false, NULL), ESP_REPLAY_DUPLICATE);
}

static void test_forged_does_not_move(void **state)
{
	struct esp_replay r, before;
	uint64_t s;

	(void)state;
	esp_replay_init(&r, 128);
	rx(&r, 10, false, NULL);
	before = r;
	/* A forged packet far ahead passes the pre-check but fails its ICV: no update. */
	assert_int_equal(esp_replay_check(&r, 1000000, false, &s), ESP_REPLAY_OK);
	assert_memory_equal(&r, &before, sizeof(r));
	/* So old packets still inside the real window are still accepted. */
	assert_int_equal(rx(&r, 5, false, NULL), ESP_REPLAY_OK);
}

static void test_big_jump_clears(void **state)
{
	struct esp_replay r;

	(void)state;
	esp_replay_init(&r, 4096);
	for (uint32_t s = 1; s <= 5000; s++)
		assert_int_equal(rx(&r, s, false, NULL), ESP_REPLAY_OK);
	assert_int_equal(rx(&r, 5000 + 3 * 8192, false, NULL), ESP_REPLAY_OK);
	/* Everything in the new window except the top is unseen: stale bits were cleared. */
	for (uint32_t s = 5000 + 3 * 8192 - 4095; s < 5000 + 3 * 8192; s++)
		assert_int_equal(rx(&r, s, false, NULL), ESP_REPLAY_OK);
	assert_int_equal(rx(&r, 5000 + 3 * 8192 - 4096, false, NULL), ESP_REPLAY_TOO_OLD);
}

static void test_sliding_every_size(void **state)
{
	(void)state;
	for (uint32_t w = 64; w <= 4096; w += 64) {
		struct esp_replay r;

		esp_replay_init(&r, w);
		for (uint32_t s = 1; s <= 3 * w; s += 3)
			assert_int_equal(rx(&r, s, false, NULL), ESP_REPLAY_OK);
		uint32_t top = (uint32_t)r.top;

		/* The gaps inside the window are fillable, the seen ones are duplicates. */
		for (uint32_t s = top - w + 1; s <= top; s++) {
			enum esp_replay_verdict want = ((s - 1) % 3 == 0) ? ESP_REPLAY_DUPLICATE : ESP_REPLAY_OK;

			assert_int_equal(rx(&r, s, false, NULL), want);
		}
		assert_int_equal(rx(&r, top - w, false, NULL), ESP_REPLAY_TOO_OLD);
	}
}

static void test_esn_wrap(void **state)
{
	struct esp_replay r;
	uint64_t s;

	(void)state;
	esp_replay_init(&r, 64);
	/* Before any packet, seqs at the very end of subspace 0 would belong to subspace -1. */
	assert_int_equal(esp_replay_check(&r, 0xFFFFFFF0u, true, &s), ESP_REPLAY_TOO_OLD);
	assert_int_equal(rx(&r, 0xFFFFFFF0u - 100, true, &s), ESP_REPLAY_OK);
	assert_int_equal(s, 0xFFFFFFF0u - 100);
	assert_int_equal(rx(&r, 0xFFFFFFFFu, true, &s), ESP_REPLAY_OK);
	assert_int_equal(s, 0xFFFFFFFFull);
	/* Wrap: low value now means subspace 1. */
	assert_int_equal(rx(&r, 5, true, &s), ESP_REPLAY_OK);
	assert_int_equal(s, (1ull << 32) | 5);
	/* Window now spans both subspaces: a late packet from subspace 0 is still accepted. */
	assert_int_equal(rx(&r, 0xFFFFFFFEu, true, &s), ESP_REPLAY_OK);
	assert_int_equal(s, 0xFFFFFFFEull);
	assert_int_equal(rx(&r, 0xFFFFFFFFu, true, &s), ESP_REPLAY_DUPLICATE);
	/* Far below the window: A2.2 places it in the current subspace, far ahead; the ICV
	 * (computed with those high bits) decides, so only check, do not update. */
	assert_int_equal(esp_replay_check(&r, 0xFFFFFF00u, true, &s), ESP_REPLAY_OK);
	assert_int_equal(s, (1ull << 32) | 0xFFFFFF00u);
	assert_int_equal(rx(&r, 3, true, &s), ESP_REPLAY_OK);
	assert_int_equal(s, (1ull << 32) | 3);
	assert_int_equal(rx(&r, 5, true, &s), ESP_REPLAY_DUPLICATE);
	/* Without ESN the same low number is just an old packet. */
	struct esp_replay n;

	esp_replay_init(&n, 64);
	rx(&n, 0xFFFFFFFFu, false, NULL);
	assert_int_equal(rx(&n, 5, false, &s), ESP_REPLAY_TOO_OLD);
}

static void test_esn_far_subspaces(void **state)
{
	struct esp_replay r;
	uint64_t s;

	(void)state;
	esp_replay_init(&r, 256);
	esp_replay_update(&r, (7ull << 32) | 1000);
	assert_int_equal(esp_replay_check(&r, 1001, true, &s), ESP_REPLAY_OK);
	assert_int_equal(s, (7ull << 32) | 1001);
	/* Below the window's left edge in the same subspace: next subspace (A2.2 case 1). */
	assert_int_equal(esp_replay_check(&r, 500, true, &s), ESP_REPLAY_OK);
	assert_int_equal(s, (8ull << 32) | 500);
	/* Window spanning subspaces 6 and 7 (case 2). */
	esp_replay_init(&r, 256);
	esp_replay_update(&r, (7ull << 32) | 10);
	assert_int_equal(esp_replay_check(&r, 0xFFFFFFF0u, true, &s), ESP_REPLAY_OK);
	assert_int_equal(s, (6ull << 32) | 0xFFFFFFF0u);
	assert_int_equal(esp_replay_check(&r, 20, true, &s), ESP_REPLAY_OK);
	assert_int_equal(s, (7ull << 32) | 20);
	assert_int_equal(esp_replay_infer(&r, 20, true), (7ull << 32) | 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_bounds),
		cmocka_unit_test(test_inside_outside_duplicate),
		cmocka_unit_test(test_forged_does_not_move),
		cmocka_unit_test(test_big_jump_clears),
		cmocka_unit_test(test_sliding_every_size),
		cmocka_unit_test(test_esn_wrap),
		cmocka_unit_test(test_esn_far_subspaces),
	};

	return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
