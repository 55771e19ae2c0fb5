/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Address pools (controlplane/pool): ranges, uniqueness, release, exhaustion, IPv6. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "controlplane/pool/pool.h"

static void test_v4(void **state)
{
	struct pool_cfg c = { .name = "p4", .af = 4, .first = { 198, 18, 200, 1 },
			      .last = { 198, 18, 200, 4 } };
	struct pool_lease l[5];
	struct pool *p;
	uint32_t used, size;

	(void)state;
	assert_int_equal(pool_create(&c, &p), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pool_alloc(p, &l[i]), 0);
		assert_int_equal(l[i].addr[3], 1 + i);
		for (int j = 0; j < i; j++)
			assert_memory_not_equal(l[i].addr, l[j].addr, 16);
	}
	assert_int_equal(pool_alloc(p, &l[4]), -ENOSPC);
	pool_release(p, &l[1]);
	pool_release(p, &l[1]); /* idempotent */
	pool_usage(p, &used, &size);
	assert_int_equal(used, 3);
	assert_int_equal(size, 4);
	assert_int_equal(pool_alloc(p, &l[4]), 0);
	assert_int_equal(l[4].addr[3], 2);
	assert_int_equal(pool_alloc(p, &l[1]), -ENOSPC);
	pool_destroy(p);
	c.last[2] = 199;
	assert_int_equal(pool_create(&c, &p), -EINVAL);
}

static void test_v6(void **state)
{
	struct pool_cfg c = { .name = "p6", .af = 6, .plen = 120,
			      .first = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x42 } };
	struct pool_lease l;
	struct pool *p;
	uint32_t used, size;
	int n = 0;

	(void)state;
	assert_int_equal(pool_create(&c, &p), 0);
	pool_usage(p, &used, &size);
	assert_int_equal(size, 255);
	while (pool_alloc(p, &l) == 0)
		n++;
	assert_int_equal(n, 255);
	assert_int_equal(l.addr[15], 0); /* last attempt left the lease cleared */
	pool_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_v6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
