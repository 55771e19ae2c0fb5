/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The bounded wire cursor and writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/cursor.h"

static void test_reads_and_poison(void **state)
{
	static const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
				     0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
	struct rp_cursor c, sub;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	rp_cur_init(&c, b, sizeof(b));
	assert_true(rp_cur_u8(&c, &u8));
	assert_int_equal(u8, 0x01);
	assert_true(rp_cur_u16(&c, &u16));
	assert_int_equal(u16, 0x0203);
	assert_true(rp_cur_u32(&c, &u32));
	assert_int_equal(u32, 0x04050607);
	assert_true(rp_cur_u64(&c, &u64));
	assert_true(u64 == 0x08090a0b0c0d0e0full);
	assert_true(rp_cur_done(&c));
	assert_false(rp_cur_u8(&c, &u8));
	assert_false(rp_cur_ok(&c));
	/* Poisoned: even a zero-length read fails now. */
	assert_null(rp_cur_take(&c, 0));
	assert_int_equal(rp_cur_left(&c), 0);

	rp_cur_init(&c, b, 5);
	assert_true(rp_cur_sub(&c, 3, &sub));
	assert_int_equal(rp_cur_left(&sub), 3);
	assert_false(rp_cur_u32(&sub, &u32)); /* sub-cursor is bounded to its 3 bytes */
	assert_int_equal(rp_cur_left(&c), 2);
	assert_false(rp_cur_sub(&c, 3, &sub));
	assert_false(rp_cur_ok(&sub));
	/* A huge length never wraps around. */
	rp_cur_init(&c, b, sizeof(b));
	rp_cur_u8(&c, &u8);
	assert_false(rp_cur_skip(&c, SIZE_MAX));
}

static void test_writer(void **state)
{
	uint8_t buf[12];
	struct rp_wbuf w;
	size_t len_at;

	(void)state;
	rp_wbuf_init(&w, buf, sizeof(buf));
	len_at = rp_wbuf_reserve(&w, 2);
	assert_true(rp_wbuf_u8(&w, 0xaa));
	assert_true(rp_wbuf_u32(&w, 0x01020304));
	rp_wbuf_patch_u16(&w, len_at, (uint16_t)w.len);
	assert_false(w.err);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 7);
	assert_int_equal(buf[3], 1);
	assert_true(rp_wbuf_u32(&w, 0x05060708));
	assert_int_equal(w.len, 11);
	assert_false(rp_wbuf_u16(&w, 1)); /* one byte left */
	assert_true(w.err);
	assert_false(rp_wbuf_u8(&w, 1)); /* sticky */
	assert_int_equal(w.len, 11);
	rp_wbuf_init(&w, buf, sizeof(buf));
	rp_wbuf_patch_u32(&w, 0, 1); /* patching past the written part is an error */
	assert_true(w.err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_and_poison),
		cmocka_unit_test(test_writer),
	};

	return cmocka_run_group_tests_name("cursor", tests, NULL, NULL);
}
