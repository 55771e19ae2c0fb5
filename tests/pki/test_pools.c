/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Named address pools (controlplane/pool/pool_set.h) and their use by the policy model: the
 * set (names per family, defaults, overlaps), leases going back to the pool they came from,
 * the configuration (ike.pool / ike.ipv6_pool / ike.pools) with its FILE:LINE errors, the
 * authorization policies' pool names (pol_check_pools) and "show pools".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/conf.h"
#include "controlplane/mgmt/json.h"
#include "controlplane/policy/policy.h"
#include "controlplane/pool/pool_set.h"
#include "controlplane/util/sbuf.h"

static struct pool_cfg v4(const char *name, uint8_t a, uint8_t b)
{
	struct pool_cfg c = { .af = 4, .first = { 198, 18, 200, a }, .last = { 198, 18, 200, b } };

	snprintf(c.name, sizeof(c.name), "%s", name);
	return c;
}

static struct pool_cfg v6(const char *name, uint8_t sub, uint8_t plen)
{
	struct pool_cfg c = { .af = 6, .plen = plen, .first = { 0x20, 0x01, 0x0d, 0xb8, 0, sub } };

	snprintf(c.name, sizeof(c.name), "%s", name);
	return c;
}

static void test_set(void **state)
{
	struct pool_set s = { 0 };
	struct pool_cfg c;
	struct pool *p, *g;
	char err[200];

	(void)state;
	c = v4("default", 10, 99);
	assert_int_equal(pool_set_add(&s, &c, true, &p, err, sizeof(err)), 0);
	assert_ptr_equal(s.def4, p);
	c = v4("green", 100, 149);
	assert_int_equal(pool_set_add(&s, &c, false, &g, err, sizeof(err)), 0);
	assert_null(s.def6);
	/* the same name in the same family */
	c = v4("green", 200, 210);
	assert_int_equal(pool_set_add(&s, &c, false, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "an IPv4 pool named 'green' is already defined");
	/* overlaps, at either end and inside */
	c = v4("blue", 149, 160);
	assert_int_equal(pool_set_add(&s, &c, false, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "overlaps pool 'green' (198.18.200.100 - 198.18.200.149)");
	c = v4("blue", 1, 10);
	assert_int_equal(pool_set_add(&s, &c, false, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "overlaps pool 'default'"));
	c = v4("blue", 20, 30);
	assert_int_equal(pool_set_add(&s, &c, false, NULL, err, sizeof(err)), -EINVAL);
	c = v4("blue", 150, 150);
	assert_int_equal(pool_set_add(&s, &c, false, NULL, err, sizeof(err)), 0);
	/* a second default, a reversed range */
	c = v4("other", 200, 210);
	assert_int_equal(pool_set_add(&s, &c, true, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "a second default IPv4 pool");
	c = v4("other", 210, 200);
	assert_int_equal(pool_set_add(&s, &c, false, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "the last address is below the first");
	/* IPv6: names are per family; prefixes overlap when one holds the other */
	c = v6("green", 1, 112);
	if (pool_set_add(&s, &c, false, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	c = v6("wide", 1, 64);
	assert_int_equal(pool_set_add(&s, &c, false, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "overlaps pool 'green' (2001:db8:1::/112)"));
	c = v6("v6b", 2, 112);
	assert_int_equal(pool_set_add(&s, &c, true, NULL, err, sizeof(err)), 0);
	c = v6("short", 3, 48);
	assert_int_equal(pool_set_add(&s, &c, false, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "the IPv6 prefix length must be 64..127");
	assert_int_equal(s.n, 5);
	/* lookups */
	assert_ptr_equal(pool_set_find(&s, 4, "green"), g);
	assert_ptr_not_equal(pool_set_find(&s, 6, "green"), g);
	assert_int_equal(pool_cfg(pool_set_find(&s, 6, "green"))->af, 6);
	assert_null(pool_set_find(&s, 4, "nosuch"));
	assert_null(pool_set_find(&s, 6, "blue"));
	assert_null(pool_set_find(NULL, 4, "green"));
	for (unsigned i = 0; i < s.n; i++)
		pool_destroy(s.pools[i]);
}

/* A lease goes back to the pool it came from, whichever pool the caller names. */
static void test_lease_owner(void **state)
{
	struct pool_set s = { 0 };
	struct pool_cfg c;
	struct pool *d, *g;
	struct pool_lease a, b, z = { 0 };
	uint32_t used, size;
	char err[200];

	(void)state;
	c = v4("default", 10, 11);
	assert_int_equal(pool_set_add(&s, &c, true, &d, err, sizeof(err)), 0);
	c = v4("green", 100, 100);
	assert_int_equal(pool_set_add(&s, &c, false, &g, err, sizeof(err)), 0);
	assert_int_equal(pool_alloc(g, &a), 0);
	assert_ptr_equal(a.pool, g);
	assert_int_equal(a.addr[3], 100);
	assert_int_equal(pool_alloc(g, &b), -ENOSPC);
	assert_int_equal(pool_alloc(d, &b), 0);
	assert_ptr_equal(b.pool, d);
	pool_release(d, &a); /* the wrong pool named: a still goes back to green */
	assert_false(a.held);
	pool_usage(g, &used, &size);
	assert_int_equal(used, 0);
	pool_usage(d, &used, &size);
	assert_int_equal(used, 1);
	pool_lease_release(&b);
	pool_lease_release(&b); /* idempotent */
	pool_lease_release(&z); /* a lease never allocated */
	pool_usage(d, &used, &size);
	assert_int_equal(used, 0);
	assert_int_equal(pool_alloc(g, &a), 0);
	for (unsigned i = 0; i < s.n; i++)
		pool_destroy(s.pools[i]);
}

static struct rp_cfg cfg;

/* Load @p text as t.conf; the pools of its ike section into *@p out. */
static int parse(const char *text, struct pool_set **out)
{
	const config_setting_t *ike;

	*out = NULL;
	if (rp_cfg_load_string(&cfg, "t.conf", text, rp_conf_schema))
		return -1;
	ike = rp_cfg_get(rp_cfg_root(&cfg), "ike");
	return pool_set_parse(&cfg, rp_cfg_get(ike, "pool"), rp_cfg_get(ike, "ipv6_pool"),
			      rp_cfg_get(ike, "pools"), out);
}

static void expect_error(const char *text, const char *msg)
{
	struct pool_set *s;

	assert_int_not_equal(parse(text, &s), 0);
	assert_null(s);
	if (!strstr(cfg.err, msg))
		fail_msg("expected \"%s\"\n     got \"%s\"", msg, cfg.err);
	rp_cfg_free(&cfg);
}

static void test_parse(void **state)
{
	struct pool_set *s;
	const struct pool_cfg *c;

	(void)state;
	assert_int_equal(parse("ike = {\n"
			       "  pool = { first = \"198.18.200.10\"; last = \"198.18.200.99\"; };\n"
			       "  ipv6_pool = { prefix = \"2001:db8:2::/112\"; };\n"
			       "  pools = (\n"
			       "    { name = \"green\"; first = \"198.18.200.100\"; last = \"198.18.200.149\";\n"
			       "      dns = [ \"198.51.100.53\" ]; netmask = 24; },\n"
			       "    { name = \"green\"; prefix = \"2001:db8:3::/120\"; dns = \"2001:db8::53\"; }\n"
			       "  );\n};\n", &s), 0);
	assert_int_equal(s->n, 4);
	assert_string_equal(pool_cfg(s->def4)->name, "default");
	assert_string_equal(pool_cfg(s->def6)->name, "default");
	c = pool_cfg(pool_set_find(s, 4, "green"));
	assert_int_equal(c->netmask_plen, 24);
	assert_int_equal(c->n_dns, 1);
	assert_int_equal(c->dns[0][3], 53);
	c = pool_cfg(pool_set_find(s, 6, "green"));
	assert_int_equal(c->plen, 120);
	assert_int_equal(c->dns[0][15], 0x53);
	pool_set_free(s);
	rp_cfg_free(&cfg);

	/* a named default pool keeps its name */
	assert_int_equal(parse("ike = { pool = { name = \"p\"; first = \"198.18.200.1\"; "
			       "last = \"198.18.200.1\"; }; };\n", &s), 0);
	assert_string_equal(pool_cfg(s->def4)->name, "p");
	pool_set_free(s);
	rp_cfg_free(&cfg);
	/* no pools at all */
	assert_int_equal(parse("ike = { };\n", &s), 0);
	assert_int_equal(s->n, 0);
	assert_null(s->def4);
	pool_set_free(s);
	rp_cfg_free(&cfg);

	expect_error("ike = {\n  pool = { first = \"198.18.200.10\"; last = \"198.18.200.99\"; };\n"
		     "  pools = ( { name = \"green\"; first = \"198.18.200.99\"; "
		     "last = \"198.18.200.149\"; } );\n};\n",
		     "t.conf:3: setting 'ike.pools.[0]': pool 'green': overlaps pool 'default' "
		     "(198.18.200.10 - 198.18.200.99)");
	expect_error("ike = { pools = (\n { name = \"a\"; first = \"198.18.200.1\"; last = \"198.18.200.2\"; },\n"
		     " { name = \"a\"; first = \"198.18.201.1\"; last = \"198.18.201.2\"; } ); };\n",
		     "t.conf:3: setting 'ike.pools.[1]': pool 'a': an IPv4 pool named 'a' is "
		     "already defined");
	expect_error("ike = { pools = (\n { name = \"a\"; first = \"198.18.200.1\"; "
		     "prefix = \"2001:db8::/112\"; } ); };\n",
		     "t.conf:2: setting 'ike.pools.[0]': a pool has either \"first\" and \"last\" "
		     "(IPv4) or \"prefix\" (IPv6)");
	expect_error("ike = { pools = (\n { name = \"a\"; first = \"198.18.200.1\"; } ); };\n",
		     "t.conf:2: setting 'ike.pools.[0]': last: missing");
	expect_error("ike = { pools = ( { name = \"a\";\n first = \"198.18.200.300\"; "
		     "last = \"198.18.200.2\"; } ); };\n",
		     "t.conf:2: setting 'ike.pools.[0].first': first: not an IPv4 address");
	expect_error("ike = { pools = ( { name = \"a\";\n prefix = \"2001:db8::1/112\"; } ); };\n",
		     "t.conf:2: setting 'ike.pools.[0].prefix': not an IPv6 prefix \"ADDR/LEN\" "
		     "without host bits");
	expect_error("ike = { pools = ( { name = \"a\"; prefix = \"2001:db8::/112\";\n"
		     " netmask = 24; } ); };\n",
		     "t.conf:2: setting 'ike.pools.[0].netmask': only for IPv4 pools");
	expect_error("ike = { pools = ( { name = \"a\"; prefix = \"2001:db8::/112\";\n"
		     " dns = [ \"198.51.100.53\" ]; } ); };\n",
		     "t.conf:2: setting 'ike.pools.[0].dns.[0]': not an IPv6 address");
	expect_error("ike = { pools = ( { name = \"a\"; first = \"198.0.0.0\"; "
		     "last = \"198.255.255.255\"; } ); };\n",
		     "t.conf:1: setting 'ike.pools.[0]': pool 'a': 16777216 addresses, at most");
	expect_error("ike = { pools = ( { first = \"198.18.0.1\"; last = \"198.18.0.2\"; } ); };\n",
		     "t.conf:1: setting 'ike.pools.[0]': required setting 'name' is missing");
	expect_error("ike = { ipv6_pool = { first = \"198.18.0.1\"; last = \"198.18.0.2\"; }; };\n",
		     "t.conf:1: setting 'ike.ipv6_pool");
}

static void test_check_pools(void **state)
{
	struct pool_set *s;

	(void)state;
	assert_int_equal(parse("ike = { pool = { first = \"198.18.200.10\"; last = \"198.18.200.99\"; };\n"
			       "  pools = ( { name = \"green\"; prefix = \"2001:db8:3::/120\"; } ); };\n"
			       "ikev2 = { authorization_policies = (\n"
			       "  { name = \"a\"; pool = \"default\"; ipv6_pool = \"green\"; },\n"
			       "  { name = \"b\"; },\n"
			       "  { name = \"c\";\n    pool = \"green\"; }\n); };\n", &s), 0);
	/* "green" is an IPv6 pool only: policy c's IPv4 pool does not exist */
	assert_int_equal(pol_check_pools(&cfg, s), -EINVAL);
	assert_non_null(strstr(cfg.err, "t.conf:7: setting 'ikev2.authorization_policies.[2].pool': "
				       "unknown IPv4 pool 'green'"));
	assert_int_equal(cfg.n_errors, 1);
	pool_set_free(s);
	rp_cfg_free(&cfg);

	assert_int_equal(parse("ike = { pools = ( { name = \"g\"; first = \"198.18.200.10\"; "
			       "last = \"198.18.200.99\"; } ); };\n"
			       "ikev2 = { authorization_policies = ( { name = \"a\"; pool = \"g\"; } ); };\n",
			       &s), 0);
	assert_int_equal(pol_check_pools(&cfg, s), 0);
	assert_int_equal(cfg.n_errors, 0);
	/* without pools every name is unknown */
	assert_int_equal(pol_check_pools(&cfg, NULL), -EINVAL);
	pool_set_free(s);
	rp_cfg_free(&cfg);
}

static void test_show(void **state)
{
	struct pool_set *s;
	struct pool_lease l;
	struct sbuf out;
	struct json_w jw;

	(void)state;
	assert_int_equal(parse("ike = { pool = { first = \"198.18.200.10\"; last = \"198.18.200.99\"; };\n"
			       "  pools = ( { name = \"green\"; first = \"198.18.200.100\"; "
			       "last = \"198.18.200.149\"; },\n"
			       "    { name = \"green\"; prefix = \"2001:db8:3::/120\"; } ); };\n", &s), 0);
	assert_int_equal(pool_alloc(pool_set_find(s, 4, "green"), &l), 0);
	sbuf_init(&out, 1 << 16);
	assert_int_equal(pool_set_show(s, NULL, false, &out, NULL), 0);
	assert_non_null(strstr(sbuf_str(&out), "default              IPv4 198.18.200.10 - 198.18.200.99"
					       "             90         0        90  (default)\n"));
	assert_non_null(strstr(sbuf_str(&out), "green                IPv4 198.18.200.100 - 198.18.200.149"
					       "           50         1        49\n"));
	assert_non_null(strstr(sbuf_str(&out), "green                IPv6 2001:db8:3::/120"
					       "                         255         0       255\n"));
	sbuf_reset(&out);
	assert_int_equal(pool_set_show(s, "nosuch", false, &out, NULL), -ENOENT);
	sbuf_reset(&out);
	json_init(&jw, &out, false);
	assert_int_equal(pool_set_show(s, "default", true, &out, &jw), 0);
	assert_int_equal(json_finish(&jw), 0);
	assert_string_equal(sbuf_str(&out),
			    "{\"pools\":[{\"name\":\"default\",\"family\":\"ipv4\",\"range\":"
			    "\"198.18.200.10 - 198.18.200.99\",\"default\":true,\"size\":90,"
			    "\"in_use\":0,\"free\":90}]}\n");
	sbuf_reset(&out);
	assert_int_equal(pool_set_show(NULL, NULL, false, &out, NULL), 0);
	assert_string_equal(sbuf_str(&out), "No address pools are configured.\n");
	sbuf_free(&out);
	pool_set_free(s);
	rp_cfg_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_lease_owner),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_check_pools),
		cmocka_unit_test(test_show),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
