/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Logging: levels, parsing, and the data path's rate limiter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

/* Capture stderr into a file to count emitted lines. */
static int count_lines(FILE *fp)
{
	int n = 0, ch;

	fflush(stderr);
	rewind(fp);
	while ((ch = fgetc(fp)) != EOF)
		n += ch == '\n';
	return n;
}

static void test_levels(void **state)
{
	(void)state;
	assert_int_equal(rp_log_level_parse("debug"), RP_LOG_DEBUG);
	assert_int_equal(rp_log_level_parse("WARNING"), RP_LOG_WARN);
	assert_int_equal(rp_log_level_parse("error"), RP_LOG_ERR);
	assert_int_equal(rp_log_level_parse("loud"), -1);
	assert_int_equal(rp_log_level_parse(NULL), -1);
	assert_string_equal(rp_log_level_name(RP_LOG_NOTICE), "notice");
	rp_log_set_level(RP_LOG_WARN);
	assert_true(rp_log_enabled(RP_LOG_ERR));
	assert_false(rp_log_enabled(RP_LOG_INFO));
}

static void test_threshold_and_ratelimit(void **state)
{
	FILE *cap = tmpfile();
	int saved = dup(STDERR_FILENO);

	(void)state;
	assert_non_null(cap);
	fflush(stderr);
	dup2(fileno(cap), STDERR_FILENO);

	rp_log_init("test", RP_LOG_STDERR, RP_LOG_INFO);
	RP_INFO("t", "shown");
	RP_DEBUG("t", "hidden");
	assert_int_equal(count_lines(cap), 1);

	for (int i = 0; i < 100; i++)
		RP_LOG_RL(RP_LOG_WARN, "t", "burst %d", i);
	int n = count_lines(cap);

	/* 1 earlier line + at most the burst from one call site in one second. */
	assert_int_equal(n, 1 + RP_LOG_RL_BURST);

	/* The suppressed count is reported when the next window opens. */
	struct rp_log_ratelimit rl = { 0 };

	for (int i = 0; i < RP_LOG_RL_BURST + 5; i++)
		rp_log_rl(&rl, RP_LOG_WARN, "t", "x");
	assert_int_equal(rl.suppressed, 5);
	rl.window_start_ns = 0; /* pretend a second went by */
	rp_log_rl(&rl, RP_LOG_WARN, "t", "y");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(cap);
	char buf[8192];
	size_t len = fread(buf, 1, sizeof(buf) - 1, cap);

	buf[len] = '\0';
	assert_non_null(strstr(buf, "5 similar messages suppressed"));
	assert_non_null(strstr(buf, " warn t: y"));
	fclose(cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_threshold_and_ratelimit),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
