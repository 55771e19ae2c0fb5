/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The extension settings of rampart-dp (dataplane/dp_config.c) and manual SAs
 * (dataplane/manual.c): what a configuration turns into (the SA_ADD / ROUTE_ADD payloads
 * rampartd would send), and a precise FILE:LINE message for every mistake. No DPDK needed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/cfg.h"
#include "common/conf.h"
#include "common/log.h"
#include "dataplane/dp_config.h"
#include "dataplane/manual.h"

#define NAME "extra.conf"

static cpu_set_t two_cpus;

static const char main_conf[] =
	"instance = \"t1\";\n"
	"dataplane = { main_lcore = 0; workers = [ 1 ];\n"
	"  ports = ( { name = \"out\"; role = \"outside\"; device = \"net_ring0\"; },\n"
	"            { name = \"in\";  role = \"inside\";  device = \"net_ring1\"; },\n"
	"            { name = \"kern\"; role = \"exception\"; device = \"net_tap0\"; },\n"
	"            { name = \"kern2\"; role = \"exception\"; device = \"net_tap1\"; } );\n"
	"};\n";

/* Load the main file and @extra, apply both; returns dp_config_finish()'s result. */
static int load(struct rp_cfg *mc, struct rp_cfg *xc, const char *extra, struct dp_config *dc,
		struct dp_manual_sa **sas, unsigned int *n)
{
	int rc;

	memset(mc, 0, sizeof(*mc));
	memset(xc, 0, sizeof(*xc));
	assert_int_equal(rp_cfg_load_string(mc, "main.conf", main_conf, rp_conf_schema), 0);
	assert_int_equal(dp_config_from_cfg(mc, &two_cpus, dc), 0);
	if (rp_cfg_load_string(xc, NAME, extra, dp_ext_schema) < 0)
		return -1;
	rc = dp_config_ext_from_cfg(xc, rp_cfg_get(rp_cfg_root(xc), "dataplane"), dc);
	rc |= dp_config_finish(xc, dc);
	rc |= dp_manual_from_cfg(xc, rp_cfg_get(rp_cfg_get(rp_cfg_root(xc), "dataplane"),
						"manual_sas"), sas, n);
	return rc;
}

static void assert_err_at(const struct rp_cfg *c, int line, const char *needle)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), NAME ":%d: ", line);
	if (strncmp(c->err, prefix, strlen(prefix)) != 0 || !strstr(c->err, needle)) {
		print_error("error \"%s\"\nwanted \"%s...%s...\"\n", c->err, prefix, needle);
		fail();
	}
}

static void test_valid(void **state)
{
	static const char extra[] =
		"dataplane = {\n"
		"  sa_max = 4096; lifetime_scan_ms = 500;\n"
		"  ports = ( { name = \"out\"; gateway_mac = \"02:00:00:00:0a:01\";\n"
		"              gateway = [ \"198.51.100.254\", \"2001:db8::fe\" ];\n"
		"              neighbors = ( { ip = \"198.51.100.7\"; mac = \"02:00:00:00:0a:07\"; } ); },\n"
		"            { name = \"kern2\"; serves = \"in\"; } );\n"
		"  manual_sas = (\n"
		"    { sa_id = 1; direction = \"in\"; spi = 0xc0000101; cipher = \"aes-gcm-128\";\n"
		"      key = \"0x000102030405060708090a0b0c0d0e0f deadbeef\";\n"
		"      local = \"192.0.2.1\"; remote = \"198.51.100.7\"; natt = true; natt_dport = 31000;\n"
		"      traffic_selectors = [ \"198.18.7.0/24\", \"2001:db8:7::/48\" ]; replay_window = 128;\n"
		"      esn = true; soft_packets = 1000L; hard_packets = 2000L; paired_sa_id = 2; },\n"
		"    { sa_id = 2; direction = \"out\"; spi = 0x1002; cipher = \"aes-cbc-256\";\n"
		"      integrity = \"hmac-sha256-128\";\n"
		"      key = \"00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14:15:16:17:18:19:1a:1b:1c:1d:1e:1f\";\n"
		"      auth_key = \"0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\";\n"
		"      local = \"2001:db8::1\"; remote = \"2001:db8:1::7\"; seq_start = 4294967300L; esn = true;\n"
		"      routes = [ \"198.18.7.0/24\", \"2001:db8:7::/48\" ]; }\n"
		"  );\n"
		"};\n";
	struct rp_cfg mc, xc;
	struct dp_config dc;
	struct dp_manual_sa *sas = NULL;
	unsigned int n = 0;
	uint8_t a[16];

	(void)state;
	/* The hex key with a space in it is refused: fix it first. */
	assert_int_not_equal(load(&mc, &xc, extra, &dc, &sas, &n), 0);
	assert_err_at(&xc, 9, "not a hex string");
	rp_cfg_free(&mc);
	rp_cfg_free(&xc);

	char fixed[sizeof(extra)];
	char *sp;

	snprintf(fixed, sizeof(fixed), "%s", extra);
	sp = strstr(fixed, "0f deadbeef");
	memmove(sp + 2, sp + 3, strlen(sp + 3) + 1);
	assert_int_equal(load(&mc, &xc, fixed, &dc, &sas, &n), 0);
	assert_int_equal(dc.sa_max, 4096);
	assert_int_equal(dc.route_max, 8192);
	assert_int_equal(dc.lifetime_scan_ms, 500);
	assert_true(dc.ports[0].has_gateway_mac);
	assert_int_equal(dc.ports[0].gateway_mac[5], 1);
	assert_true(dc.ports[0].has_gw4 && dc.ports[0].has_gw6);
	assert_int_equal(dc.ports[0].gw4[3], 254);
	assert_int_equal(dc.ports[0].n_neighbors, 1);
	assert_int_equal(dc.ports[0].neighbors[0].mac[5], 7);
	/* kern2 serves "in" explicitly, kern the first outside port left. */
	assert_int_equal(dc.ports[3].serves, 1);
	assert_int_equal(dc.ports[1].exception, 3);
	assert_int_equal(dc.ports[2].serves, 0);
	assert_int_equal(dc.ports[0].exception, 2);

	assert_int_equal(n, 2);
	assert_int_equal(sas[0].sa.sa_id, 1);
	assert_int_equal(sas[0].sa.dir, RP_DIR_IN);
	assert_int_equal(sas[0].sa.spi, htonl(0xc0000101));
	assert_int_equal(sas[0].sa.cipher, RP_CIPHER_AES_GCM_128);
	assert_int_equal(sas[0].sa.enc_key_len, 16);
	assert_int_equal(sas[0].sa.enc_key[15], 0x0f);
	assert_int_equal(sas[0].sa.salt_len, 4);
	assert_memory_equal(sas[0].sa.salt, "\xde\xad\xbe\xef", 4);
	assert_int_equal(sas[0].sa.flags, RP_SAF_NATT | RP_SAF_ESN);
	assert_int_equal(sas[0].sa.natt_sport, 4500);
	assert_int_equal(sas[0].sa.natt_dport, 31000);
	assert_int_equal(sas[0].sa.replay_window, 128);
	assert_int_equal(sas[0].sa.n_ts, 2);
	assert_int_equal(sas[0].sa.ts[1].af, 6);
	assert_int_equal(sas[0].sa.ts[1].plen, 48);
	assert_int_equal(sas[0].sa.hard_packets, 2000);
	assert_int_equal(sas[0].n_routes, 0);
	inet_pton(AF_INET, "198.51.100.7", a);
	assert_memory_equal(sas[0].sa.remote, a, 4);
	assert_int_equal(sas[0].line, 8);

	assert_int_equal(sas[1].sa.dir, RP_DIR_OUT);
	assert_int_equal(sas[1].sa.outer_af, 6);
	assert_int_equal(sas[1].sa.integ, RP_INTEG_HMAC_SHA256_128);
	assert_int_equal(sas[1].sa.auth_key_len, 32);
	assert_int_equal(sas[1].sa.auth_key[31], 0x3f);
	assert_int_equal(sas[1].sa.enc_key[31], 0x1f);
	/* Without a window: no anti-replay (manual peers cannot resynchronise). */
	assert_true(sas[1].sa.flags & RP_SAF_NO_REPLAY);
	assert_int_equal(sas[1].sa.seq_start, 4294967300ull);
	assert_int_equal(sas[1].n_routes, 2);
	assert_int_equal(sas[1].routes[0].sa_id, 2);
	assert_int_equal(sas[1].routes[0].prefix.plen, 24);
	/* Outbound selectors default to its routes. */
	assert_int_equal(sas[1].sa.n_ts, 2);
	dp_manual_free(sas, n);
	rp_cfg_free(&mc);
	rp_cfg_free(&xc);
}

/* One broken SA per case: (text of the element, line of the error, message). */
static void one_error(const char *element, int line, const char *needle)
{
	char text[2048];
	struct rp_cfg mc, xc;
	struct dp_config dc;
	struct dp_manual_sa *sas = NULL;
	unsigned int n = 0;

	snprintf(text, sizeof(text), "dataplane = {\n  manual_sas = (\n%s\n  );\n};\n", element);
	assert_int_not_equal(load(&mc, &xc, text, &dc, &sas, &n), 0);
	assert_err_at(&xc, line, needle);
	assert_null(sas);
	rp_cfg_free(&mc);
	rp_cfg_free(&xc);
}

#define GCM_IN "sa_id = 1; direction = \"in\"; spi = 0x1001; cipher = \"aes-gcm-128\"; " \
	       "local = \"192.0.2.1\"; remote = \"198.51.100.7\"; "
#define KEY20 "key = \"0x000102030405060708090a0b0c0d0e0f10111213\"; "

static void test_errors(void **state)
{
	(void)state;
	one_error("{ " GCM_IN "key = \"0x0001\"; traffic_selectors = [\"198.18.0.0/16\"]; }", 3,
		  "AES_GCM_128 needs 20 bytes, this is 2");
	one_error("{ " GCM_IN KEY20 "}", 3, "an inbound SA needs traffic_selectors");
	one_error("{ " GCM_IN KEY20 "traffic_selectors = [\"198.18.0.1/16\"]; }", 3,
		  "\"198.18.0.1/16\" is not a prefix");
	one_error("{ " GCM_IN KEY20 "integrity = \"hmac-sha1-96\"; auth_key = \"0x00\"; "
		  "traffic_selectors = [\"198.18.0.0/16\"]; }", 3,
		  "HMAC_SHA1_96 needs 20 bytes, this is 1");
	one_error("{ " GCM_IN KEY20 "traffic_selectors = [\"198.18.0.0/16\"]; replay_window = 100; }",
		  3, "a multiple of 64");
	one_error("{ " GCM_IN KEY20 "traffic_selectors = [\"198.18.0.0/16\"]; natt_dport = 4501; }",
		  3, "UDP ports without natt = true");
	one_error("{ sa_id = 1; direction = \"in\"; spi = 0x1001; cipher = \"aes-gcm-128\"; "
		  "local = \"192.0.2.1\"; remote = \"2001:db8::7\"; " KEY20
		  "traffic_selectors = [\"198.18.0.0/16\"]; }", 3, "local is IPv4, remote IPv6");
	one_error("{ " GCM_IN KEY20 "traffic_selectors = [\"198.18.0.0/16\"]; routes = [\"198.18.0.0/16\"]; }",
		  3, "routes belong to outbound SAs");
	one_error("{ " GCM_IN KEY20 "traffic_selectors = [\"198.18.0.0/16\"]; },\n"
		  "{ " GCM_IN KEY20 "traffic_selectors = [\"198.18.0.0/16\"]; }", 4,
		  "sa_id 1 is already used at line 3");
	one_error("{ " GCM_IN KEY20 "traffic_selectors = [\"198.18.0.0/16\"]; },\n"
		  "{ sa_id = 2; direction = \"in\"; spi = 0x1001; cipher = \"aes-gcm-128\"; "
		  "local = \"192.0.2.1\"; remote = \"198.51.100.8\"; " KEY20
		  "traffic_selectors = [\"198.18.0.0/16\"]; }", 4,
		  "inbound SPI 0x00001001 is already used at line 3");
	/* The SPI range of RFC 4303 (hex from 0x80000000 works: test_valid). */
	{
		struct rp_cfg mc, xc;
		struct dp_config dc;
		struct dp_manual_sa *sas = NULL;
		unsigned int n = 0;

		assert_int_not_equal(load(&mc, &xc, "dataplane = { manual_sas = ( { sa_id = 1; "
				      "direction = \"in\"; spi = 255; cipher = \"null\"; local = \"1.2.3.4\"; "
				      "remote = \"1.2.3.5\"; } ); };\n", &dc, &sas, &n), 0);
		assert_non_null(strstr(xc.err, "manual_sas.[0].spi': 255 is out of range 256.."));
		rp_cfg_free(&mc);
		rp_cfg_free(&xc);
	}
}

static void test_ports(void **state)
{
	struct rp_cfg mc, xc;
	struct dp_config dc;
	struct dp_manual_sa *sas = NULL;
	unsigned int n = 0;

	(void)state;
	assert_int_not_equal(load(&mc, &xc, "dataplane = {\n  ports = (\n"
				  "    { name = \"nope\"; gateway_mac = \"02:00:00:00:00:01\"; } ); };\n",
				  &dc, &sas, &n), 0);
	assert_err_at(&xc, 3, "no port named \"nope\"");
	rp_cfg_free(&mc);
	rp_cfg_free(&xc);
	assert_int_not_equal(load(&mc, &xc, "dataplane = {\n  ports = (\n"
				  "    { name = \"out\"; gateway_mac = \"02:00:00:00:00\"; } ); };\n",
				  &dc, &sas, &n), 0);
	assert_err_at(&xc, 3, "is not a MAC address");
	rp_cfg_free(&mc);
	rp_cfg_free(&xc);
	assert_int_not_equal(load(&mc, &xc, "dataplane = {\n  ports = (\n"
				  "    { name = \"out\"; serves = \"in\"; } ); };\n", &dc, &sas, &n), 0);
	assert_err_at(&xc, 3, "only exception ports serve another port");
	rp_cfg_free(&mc);
	rp_cfg_free(&xc);
	assert_int_not_equal(load(&mc, &xc, "dataplane = {\n  ports = (\n"
				  "    { name = \"kern\"; serves = \"kern2\"; } ); };\n", &dc, &sas, &n), 0);
	assert_err_at(&xc, 3, "\"kern2\" is not an outside or inside port");
	rp_cfg_free(&mc);
	rp_cfg_free(&xc);
	assert_int_not_equal(load(&mc, &xc, "dataplane = {\n  ports = (\n"
				  "    { name = \"out\"; gateway = [ \"198.51.100.1\", \"198.51.100.2\" ]; } ); };\n",
				  &dc, &sas, &n), 0);
	assert_err_at(&xc, 3, "a second IPv4 gateway");
	rp_cfg_free(&mc);
	rp_cfg_free(&xc);
}

static void test_prefix(void **state)
{
	struct rp_prefix p;
	char buf[64];

	(void)state;
	assert_int_equal(dp_prefix_parse("198.51.100.0/24", &p), 0);
	assert_int_equal(p.af, 4);
	assert_int_equal(p.plen, 24);
	assert_string_equal(dp_prefix_str(&p, buf, sizeof(buf)), "198.51.100.0/24");
	assert_int_equal(dp_prefix_parse("2001:db8::/32", &p), 0);
	assert_string_equal(dp_prefix_str(&p, buf, sizeof(buf)), "2001:db8::/32");
	assert_int_equal(dp_prefix_parse("203.0.113.9", &p), 0);
	assert_int_equal(p.plen, 32);
	assert_int_equal(dp_prefix_parse("0.0.0.0/0", &p), 0);
	assert_int_equal(dp_prefix_parse("::/0", &p), 0);
	assert_int_equal(dp_prefix_parse("198.51.100.1/24", &p), -EINVAL);
	assert_int_equal(dp_prefix_parse("198.51.100.0/33", &p), -EINVAL);
	assert_int_equal(dp_prefix_parse("198.51.100.0/", &p), -EINVAL);
	assert_int_equal(dp_prefix_parse("2001:db8::1/64", &p), -EINVAL);
	assert_int_equal(dp_prefix_parse("example.com", &p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_prefix),
	};

	CPU_ZERO(&two_cpus);
	CPU_SET(0, &two_cpus);
	CPU_SET(1, &two_cpus);
	rp_log_init("test_manual", RP_LOG_STDERR, RP_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
