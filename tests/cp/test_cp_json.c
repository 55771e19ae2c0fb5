/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Unit tests of the management JSON writer (controlplane/mgmt/json.c) and sbuf. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "controlplane/mgmt/json.h"
#include "controlplane/util/sbuf.h"
#include "controlplane/util/utf8.h"

/* Escape @in (n bytes) as a JSON string body and compare with @want. */
static void check_escape(const char *in, size_t n, const char *want)
{
	struct sbuf b;

	sbuf_init(&b, 4096);
	json_escape(&b, in, n);
	assert_int_equal(sbuf_error(&b), 0);
	assert_string_equal(sbuf_str(&b), want);
	sbuf_free(&b);
}

static void test_escape_specials(void **state)
{
	(void)state;
	check_escape("plain", 5, "plain");
	check_escape("a\"b", 3, "a\\\"b");
	check_escape("a\\b", 3, "a\\\\b");
	check_escape("\n\r\t\b\f", 5, "\\n\\r\\t\\b\\f");
	check_escape("\x01\x1f", 2, "\\u0001\\u001f");
	check_escape("\x7f", 1, "\\u007f");
	check_escape("nul\0here", 8, "nul\\u0000here");
	check_escape("", 0, "");
	/* '/' need not be escaped and is not */
	check_escape("a/b", 3, "a/b");
}

static void test_escape_utf8(void **state)
{
	(void)state;
	/* valid multi-byte sequences pass through: é, €, U+1F600 */
	check_escape("caf\xc3\xa9", 5, "caf\xc3\xa9");
	check_escape("\xe2\x82\xac", 3, "\xe2\x82\xac");
	check_escape("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80");
	/* U+2028 / U+2029 are escaped for JavaScript consumers */
	check_escape("\xe2\x80\xa8\xe2\x80\xa9", 6, "\\u2028\\u2029");
	/* invalid: stray continuation, 0xff, truncated, overlong '/', surrogate, > U+10FFFF */
	check_escape("\x80", 1, "\\ufffd");
	check_escape("a\xff" "b", 3, "a\\ufffdb");
	check_escape("\xc3", 1, "\\ufffd");
	check_escape("\xe2\x82", 2, "\\ufffd\\ufffd");
	check_escape("\xc0\xaf", 2, "\\ufffd\\ufffd");
	check_escape("\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd");
	check_escape("\xf4\x90\x80\x80", 4, "\\ufffd\\ufffd\\ufffd\\ufffd");
}

static void test_utf8_decode(void **state)
{
	uint32_t cp;

	(void)state;
	assert_int_equal(utf8_decode((const unsigned char *)"A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(utf8_decode((const unsigned char *)"\xf4\x8f\xbf\xbf", 4, &cp), 4);
	assert_int_equal(cp, 0x10ffff);
	assert_int_equal(utf8_decode((const unsigned char *)"\xe0\x80\x80", 3, &cp), 0);
	assert_int_equal(utf8_decode((const unsigned char *)"\xc2", 1, &cp), 0);
	assert_int_equal(utf8_decode((const unsigned char *)"", 0, &cp), 0);
}

static void test_compact_document(void **state)
{
	struct sbuf b;
	struct json_w w;

	(void)state;
	sbuf_init(&b, 4096);
	json_init(&w, &b, false);
	json_obj_open(&w);
	json_kv_str(&w, "name", "out\"side");
	json_kv_int(&w, "neg", -5);
	json_kv_uint(&w, "big", 18446744073709551615ull);
	json_kv_bool(&w, "up", true);
	json_key(&w, "none");
	json_null(&w);
	json_kv_str(&w, "nullstr", NULL);
	json_key(&w, "list");
	json_arr_open(&w);
	json_int(&w, 1);
	json_str(&w, "two");
	json_obj_open(&w);
	json_obj_close(&w);
	json_arr_open(&w);
	json_arr_close(&w);
	json_arr_close(&w);
	json_obj_close(&w);
	assert_int_equal(json_finish(&w), 0);
	assert_string_equal(sbuf_str(&b),
			    "{\"name\":\"out\\\"side\",\"neg\":-5,\"big\":18446744073709551615,"
			    "\"up\":true,\"none\":null,\"nullstr\":null,"
			    "\"list\":[1,\"two\",{},[]]}\n");
	sbuf_free(&b);
}

static void test_pretty_document(void **state)
{
	struct sbuf b;
	struct json_w w;

	(void)state;
	sbuf_init(&b, 4096);
	json_init(&w, &b, true);
	json_obj_open(&w);
	json_kv_str(&w, "a", "x");
	json_key(&w, "b");
	json_arr_open(&w);
	json_int(&w, 1);
	json_int(&w, 2);
	json_arr_close(&w);
	json_key(&w, "c");
	json_obj_open(&w);
	json_obj_close(&w);
	json_obj_close(&w);
	assert_int_equal(json_finish(&w), 0);
	assert_string_equal(sbuf_str(&b),
			    "{\n  \"a\": \"x\",\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": {}\n}\n");
	sbuf_free(&b);
}

static void test_keys_are_escaped(void **state)
{
	struct sbuf b;
	struct json_w w;

	(void)state;
	sbuf_init(&b, 4096);
	json_init(&w, &b, false);
	json_obj_open(&w);
	json_kv_str(&w, "k\"\n", "v\x01");
	json_obj_close(&w);
	assert_int_equal(json_finish(&w), 0);
	assert_string_equal(sbuf_str(&b), "{\"k\\\"\\n\":\"v\\u0001\"}\n");
	sbuf_free(&b);
}

static int finish_after(void (*fn)(struct json_w *w))
{
	struct sbuf b;
	struct json_w w;
	int rc;

	sbuf_init(&b, 4096);
	json_init(&w, &b, false);
	fn(&w);
	rc = json_finish(&w);
	sbuf_free(&b);
	return rc;
}

static void misuse_value_without_key(struct json_w *w)
{
	json_obj_open(w);
	json_int(w, 1);
	json_obj_close(w);
}

static void misuse_key_in_array(struct json_w *w)
{
	json_arr_open(w);
	json_key(w, "k");
	json_arr_close(w);
}

static void misuse_wrong_close(struct json_w *w)
{
	json_obj_open(w);
	json_arr_close(w);
}

static void misuse_unclosed(struct json_w *w)
{
	json_obj_open(w);
	json_kv_int(w, "a", 1);
}

static void misuse_dangling_key(struct json_w *w)
{
	json_obj_open(w);
	json_key(w, "a");
	json_obj_close(w);
}

static void misuse_two_roots(struct json_w *w)
{
	json_int(w, 1);
	json_int(w, 2);
}

static void misuse_nothing(struct json_w *w)
{
	(void)w;
}

static void misuse_too_deep(struct json_w *w)
{
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_arr_open(w);
}

static void test_misuse_is_reported(void **state)
{
	(void)state;
	assert_int_equal(finish_after(misuse_value_without_key), -EINVAL);
	assert_int_equal(finish_after(misuse_key_in_array), -EINVAL);
	assert_int_equal(finish_after(misuse_wrong_close), -EINVAL);
	assert_int_equal(finish_after(misuse_unclosed), -EINVAL);
	assert_int_equal(finish_after(misuse_dangling_key), -EINVAL);
	assert_int_equal(finish_after(misuse_two_roots), -EINVAL);
	assert_int_equal(finish_after(misuse_nothing), -EINVAL);
	assert_int_equal(finish_after(misuse_too_deep), -E2BIG);
}

static void test_scalar_root(void **state)
{
	struct sbuf b;
	struct json_w w;

	(void)state;
	sbuf_init(&b, 64);
	json_init(&w, &b, true);
	json_str(&w, "x");
	assert_int_equal(json_finish(&w), 0);
	assert_string_equal(sbuf_str(&b), "\"x\"\n");
	sbuf_free(&b);
}

static void test_sbuf_bound(void **state)
{
	struct sbuf b;
	struct json_w w;

	(void)state;
	sbuf_init(&b, 10);
	assert_int_equal(sbuf_adds(&b, "0123456789"), 0);
	assert_int_equal(b.len, 10);
	assert_int_equal(sbuf_addc(&b, 'x'), -E2BIG);
	assert_string_equal(sbuf_str(&b), "0123456789");
	/* sticky */
	assert_int_equal(sbuf_adds(&b, ""), -E2BIG);
	sbuf_reset(&b);
	assert_int_equal(sbuf_printf(&b, "%s-%d", "ab", 12), 0);
	assert_string_equal(sbuf_str(&b), "ab-12");
	/* a long printf is truncated to the bound, keeping the prefix */
	assert_int_equal(sbuf_printf(&b, "%0300d", 7), -E2BIG);
	assert_int_equal(b.len, 10);
	assert_string_equal(sbuf_str(&b), "ab-1200000");
	sbuf_free(&b);

	/* the writer reports the buffer's overflow */
	sbuf_init(&b, 16);
	json_init(&w, &b, false);
	json_obj_open(&w);
	json_kv_str(&w, "key", "a long value that does not fit");
	json_obj_close(&w);
	assert_int_equal(json_finish(&w), -E2BIG);
	sbuf_free(&b);

	/* empty buffer */
	sbuf_init(&b, 100);
	assert_string_equal(sbuf_str(&b), "");
	sbuf_free(&b);
}

static void test_sbuf_long_printf(void **state)
{
	struct sbuf b;
	char big[5000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sbuf_init(&b, 1 << 20);
	assert_int_equal(sbuf_printf(&b, "<%s>", big), 0);
	assert_int_equal(b.len, sizeof(big) + 1);
	assert_int_equal(sbuf_str(&b)[0], '<');
	assert_int_equal(sbuf_str(&b)[b.len - 1], '>');
	sbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_specials),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_compact_document),
		cmocka_unit_test(test_pretty_document),
		cmocka_unit_test(test_keys_are_escaped),
		cmocka_unit_test(test_misuse_is_reported),
		cmocka_unit_test(test_scalar_root),
		cmocka_unit_test(test_sbuf_bound),
		cmocka_unit_test(test_sbuf_long_printf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
