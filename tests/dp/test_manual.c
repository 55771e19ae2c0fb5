/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The ESP fast path's settings in the main configuration file (dataplane/dp_config.c: SA
 * tables, per-port next hops, exception pairing) and manual SAs (dataplane/manual.c): what a
 * configuration turns into (the SA_ADD / ROUTE_ADD payloads rampartd would send), and a
 * precise FILE:LINE message for every mistake. No DPDK needed.
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

#define NAME "rampart.conf"

static cpu_set_t two_cpus;

/* Lines 1-2 of every configuration below; the ports list starts on line 3. */
#define HEAD "instance = \"t1\";\n" \
	     "dataplane = { main_lcore = 0; workers = [ 1 ];\n"

/* Lines 3-6: the four ports, without next-hop settings. */
#define PORTS \
	"  ports = ( { name = \"out\"; role = \"outside\"; device = \"net_ring0\"; },\n" \
	"            { name = \"in\";  role = \"inside\";  device = \"net_ring1\"; },\n" \
	"            { name = \"kern\"; role = \"exception\"; device = \"net_tap0\"; },\n" \
	"            { name = \"kern2\"; role = \"exception\"; device = \"net_tap1\"; } );\n"

/* Load the one configuration file @text, check it as rampart-dp does; returns non-zero if
 * the schema or a semantic check refused it. */
static int load(struct rp_cfg *c, const char *text, struct dp_config *dc,
		struct dp_manual_sa **sas, unsigned int *n)
{
	int rc;

	memset(c, 0, sizeof(*c));
	*sas = NULL;
	*n = 0;
	if (rp_cfg_load_string(c, NAME, text, rp_conf_schema) < 0)
		return -1;
	rc = dp_config_from_cfg(c, &two_cpus, dc);
	rc |= dp_manual_from_cfg(c, rp_cfg_get(rp_cfg_get(rp_cfg_root(c), "dataplane"),
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
	static const char text[] =
		HEAD                                                                     /* 1-2 */
		"  sa_max = 4096; lifetime_scan_ms = 500;\n"                             /* 3 */
		"  ports = ( { name = \"out\"; role = \"outside\"; device = \"net_ring0\";\n"
		"              gateway_mac = \"02:00:00:00:0a:01\";\n"
		"              gateway = [ \"198.51.100.254\", \"2001:db8::fe\" ];\n"
		"              neighbors = ( { ip = \"198.51.100.7\"; mac = \"02:00:00:00:0a:07\"; } ); },\n"
		"            { name = \"in\";  role = \"inside\";  device = \"net_ring1\"; },\n"
		"            { name = \"kern\"; role = \"exception\"; device = \"net_tap0\"; },\n"
		"            { name = \"kern2\"; role = \"exception\"; device = \"net_tap1\"; serves = \"in\"; } );\n"
		"  manual_sas = (\n"                                                     /* 11 */
		"    { sa_id = 1; direction = \"in\"; spi = 0xc0000101; cipher = \"aes-gcm-128\";\n"
		"      key = \"0x000102030405060708090a0b0c0d0e0f deadbeef\";\n"       /* 13 */
		"      local = \"192.0.2.1\"; remote = \"198.51.100.7\"; natt = true; natt_dport = 31000;\n"
		"      traffic_selectors = [ \"198.18.7.0/24\", \"2001:db8:7::/48\" ]; replay_window = 128;\n"
		"      esn = true; soft_packets = 1000L; hard_packets = 2000L; paired_sa_id = 0xfffffffe; },\n"
		"    { sa_id = 0xfffffffe; direction = \"out\"; spi = 0x1002; cipher = \"aes-cbc-256\";\n"
		"      integrity = \"hmac-sha256-128\";\n"
		"      key = \"00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14:15:16:17:18:19:1a:1b:1c:1d:1e:1f\";\n"
		"      auth_key = \"0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\";\n"
		"      local = \"2001:db8::1\"; remote = \"2001:db8:1::7\"; seq_start = 4294967300L; esn = true;\n"
		"      routes = [ \"198.18.7.0/24\", \"2001:db8:7::/48\" ]; }\n"
		"  );\n"
		"};\n";
	struct rp_cfg c;
	struct dp_config dc;
	struct dp_manual_sa *sas = NULL;
	unsigned int n = 0;
	uint8_t a[16];

	(void)state;
	/* The hex key with a space in it is refused: fix it first. */
	assert_int_not_equal(load(&c, text, &dc, &sas, &n), 0);
	assert_err_at(&c, 13, "not a hex string");
	rp_cfg_free(&c);

	char fixed[sizeof(text)];
	char *sp;

	snprintf(fixed, sizeof(fixed), "%s", text);
	sp = strstr(fixed, "0f deadbeef");
	memmove(sp + 2, sp + 3, strlen(sp + 3) + 1);
	assert_int_equal(load(&c, fixed, &dc, &sas, &n), 0);
	assert_int_equal(dc.n_ports, 4);
	assert_int_equal(dc.sa_max, 4096);
	assert_int_equal(dc.route_max, 8192);
	assert_int_equal(dc.fib_tbl8, 1024);
	assert_int_equal(dc.fib6_tbl8, 1024);
	assert_int_equal(dc.lifetime_scan_ms, 500);
	assert_true(dc.ports[0].has_gateway_mac);
	assert_int_equal(dc.ports[0].gateway_mac[5], 1);
	assert_true(dc.ports[0].has_gw4 && dc.ports[0].has_gw6);
	assert_int_equal(dc.ports[0].gw4[3], 254);
	assert_int_equal(dc.ports[0].gw6[15], 0xfe);
	assert_int_equal(dc.ports[0].n_neighbors, 1);
	assert_int_equal(dc.ports[0].neighbors[0].af, 4);
	assert_int_equal(dc.ports[0].neighbors[0].mac[5], 7);
	assert_int_equal(dc.ports[0].neighbors[0].line, 7);
	assert_false(dc.ports[1].has_gateway_mac);
	assert_int_equal(dc.ports[1].n_neighbors, 0);
	/* kern2 serves "in" explicitly, kern the first outside port left. */
	assert_int_equal(dc.ports[3].serves, 1);
	assert_int_equal(dc.ports[1].exception, 3);
	assert_int_equal(dc.ports[2].serves, 0);
	assert_int_equal(dc.ports[0].exception, 2);

	assert_int_equal(n, 2);
	assert_int_equal(sas[0].sa.sa_id, 1);
	assert_int_equal(sas[0].sa.dir, RP_DIR_IN);
	/* Hex from 0x80000000 is the unsigned value (libconfig stores it negative). */
	assert_int_equal(sas[0].sa.spi, htonl(0xc0000101));
	assert_int_equal(sas[0].sa.paired_sa_id, 0xfffffffeu);
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
	assert_int_equal(sas[0].line, 12);
	assert_string_equal(sas[0].source, NAME);

	assert_int_equal(sas[1].sa.sa_id, 0xfffffffeu);
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
	assert_int_equal(sas[1].routes[0].sa_id, 0xfffffffeu);
	assert_int_equal(sas[1].routes[0].prefix.plen, 24);
	/* Outbound selectors default to its routes. */
	assert_int_equal(sas[1].sa.n_ts, 2);
	dp_manual_free(sas, n);
	rp_cfg_free(&c);
}

/* Without the fast path's settings: the defaults, and exception ports paired in order. */
static void test_defaults(void **state)
{
	struct rp_cfg c;
	struct dp_config dc;
	struct dp_manual_sa *sas = NULL;
	unsigned int n = 0;

	(void)state;
	assert_int_equal(load(&c, HEAD PORTS "};\n", &dc, &sas, &n), 0);
	assert_int_equal(dc.sa_max, DP_DEFAULT_SA_MAX);
	assert_int_equal(dc.route_max, 2 * DP_DEFAULT_SA_MAX);
	assert_int_equal(dc.fib_tbl8, DP_DEFAULT_SA_MAX / 4);
	assert_int_equal(dc.fib6_tbl8, DP_DEFAULT_SA_MAX / 4);
	assert_int_equal(dc.lifetime_scan_ms, DP_DEFAULT_LIFETIME_SCAN_MS);
	assert_int_equal(dc.ports[2].serves, 0);
	assert_int_equal(dc.ports[3].serves, 1);
	assert_int_equal(dc.ports[0].exception, 2);
	assert_int_equal(dc.ports[1].exception, 3);
	assert_int_equal(n, 0);
	assert_null(sas);
	rp_cfg_free(&c);

	/* Small tables: at least 256 FIB groups; explicit sizes win. */
	assert_int_equal(load(&c, HEAD "  sa_max = 64; fib6_tbl8 = 32;\n" PORTS "};\n", &dc, &sas,
			      &n), 0);
	assert_int_equal(dc.route_max, 128);
	assert_int_equal(dc.fib_tbl8, 256);
	assert_int_equal(dc.fib6_tbl8, 32);
	rp_cfg_free(&c);
}

/* One broken SA per case: (text of the element, starting on line 8; line of the error,
 * message). */
#define SA_LINE 8
static void one_error(const char *element, int line, const char *needle)
{
	char text[2048];
	struct rp_cfg c;
	struct dp_config dc;
	struct dp_manual_sa *sas = NULL;
	unsigned int n = 0;

	snprintf(text, sizeof(text), HEAD PORTS "  manual_sas = (\n%s\n  );\n};\n", element);
	assert_int_not_equal(load(&c, text, &dc, &sas, &n), 0);
	assert_err_at(&c, line, needle);
	assert_null(sas);
	rp_cfg_free(&c);
}

#define GCM_IN "sa_id = 1; direction = \"in\"; spi = 0x1001; cipher = \"aes-gcm-128\"; " \
	       "local = \"192.0.2.1\"; remote = \"198.51.100.7\"; "
#define KEY20 "key = \"0x000102030405060708090a0b0c0d0e0f10111213\"; "

static void test_errors(void **state)
{
	(void)state;
	one_error("{ " GCM_IN "key = \"0x0001\"; traffic_selectors = [\"198.18.0.0/16\"]; }",
		  SA_LINE, "AES_GCM_128 needs 20 bytes, this is 2");
	one_error("{ " GCM_IN KEY20 "}", SA_LINE, "an inbound SA needs traffic_selectors");
	one_error("{ " GCM_IN KEY20 "traffic_selectors = [\"198.18.0.1/16\"]; }", SA_LINE,
		  "\"198.18.0.1/16\" is not a prefix");
	one_error("{ " GCM_IN KEY20 "integrity = \"hmac-sha1-96\"; auth_key = \"0x00\"; "
		  "traffic_selectors = [\"198.18.0.0/16\"]; }", SA_LINE,
		  "HMAC_SHA1_96 needs 20 bytes, this is 1");
	one_error("{ " GCM_IN KEY20 "traffic_selectors = [\"198.18.0.0/16\"]; replay_window = 100; }",
		  SA_LINE, "a multiple of 64");
	one_error("{ " GCM_IN KEY20 "traffic_selectors = [\"198.18.0.0/16\"]; natt_dport = 4501; }",
		  SA_LINE, "UDP ports without natt = true");
	one_error("{ sa_id = 1; direction = \"in\"; spi = 0x1001; cipher = \"aes-gcm-128\"; "
		  "local = \"192.0.2.1\"; remote = \"2001:db8::7\"; " KEY20
		  "traffic_selectors = [\"198.18.0.0/16\"]; }", SA_LINE, "local is IPv4, remote IPv6");
	one_error("{ " GCM_IN KEY20 "traffic_selectors = [\"198.18.0.0/16\"]; routes = [\"198.18.0.0/16\"]; }",
		  SA_LINE, "routes belong to outbound SAs");
	one_error("{ " GCM_IN KEY20 "traffic_selectors = [\"198.18.0.0/16\"]; },\n"
		  "{ " GCM_IN KEY20 "traffic_selectors = [\"198.18.0.0/16\"]; }", SA_LINE + 1,
		  "sa_id 1 is already used at line 8");
	one_error("{ " GCM_IN KEY20 "traffic_selectors = [\"198.18.0.0/16\"]; },\n"
		  "{ sa_id = 2; direction = \"in\"; spi = 0x1001; cipher = \"aes-gcm-128\"; "
		  "local = \"192.0.2.1\"; remote = \"198.51.100.8\"; " KEY20
		  "traffic_selectors = [\"198.18.0.0/16\"]; }", SA_LINE + 1,
		  "inbound SPI 0x00001001 is already used at line 8");
	/* The schema's ranges: the SPI range of RFC 4303, sa_id from 1, no negative decimal
	 * (hex from 0x80000000 works: test_valid). */
	one_error("{ sa_id = 1; direction = \"in\"; spi = 255; cipher = \"null\"; local = \"1.2.3.4\"; "
		  "remote = \"1.2.3.5\"; }", SA_LINE,
		  "setting 'dataplane.manual_sas.[0].spi': 255 is out of range 256..4294967295");
	one_error("{ sa_id = 0; direction = \"in\"; spi = 256; cipher = \"null\"; local = \"1.2.3.4\"; "
		  "remote = \"1.2.3.5\"; }", SA_LINE,
		  "setting 'dataplane.manual_sas.[0].sa_id': 0 is out of range 1..4294967295");
	one_error("{ sa_id = 1; direction = \"in\"; spi = -2; cipher = \"null\"; local = \"1.2.3.4\"; "
		  "remote = \"1.2.3.5\"; }", SA_LINE,
		  "setting 'dataplane.manual_sas.[0].spi': -2 is out of range 256..4294967295");
	one_error("{ sa_id = 1; direction = \"in\"; spi = 0x100; cipher = \"null\"; local = \"1.2.3.4\"; "
		  "remote = \"1.2.3.5\"; paired_sa_id = -1; }", SA_LINE,
		  "setting 'dataplane.manual_sas.[0].paired_sa_id': -1 is out of range 0..4294967295");
}

/* The next-hop settings of @first_port (port entries on line 3, an inside and an exception
 * port follow). */
static void port_error(const char *first_port, int line, const char *needle)
{
	char text[2048];
	struct rp_cfg c;
	struct dp_config dc;
	struct dp_manual_sa *sas = NULL;
	unsigned int n = 0;

	snprintf(text, sizeof(text), HEAD "  ports = ( %s,\n"
		 "            { name = \"in\";  role = \"inside\";  device = \"net_ring1\"; },\n"
		 "            { name = \"kern\"; role = \"exception\"; device = \"net_tap0\"; } );\n"
		 "};\n", first_port);
	assert_int_not_equal(load(&c, text, &dc, &sas, &n), 0);
	assert_err_at(&c, line, needle);
	rp_cfg_free(&c);
}

#define OUT "name = \"out\"; role = \"outside\"; device = \"net_ring0\"; "
#define KERN0 "name = \"kern0\"; role = \"exception\"; device = \"net_tap2\"; "

static void test_ports(void **state)
{
	(void)state;
	port_error("{ " OUT "gateway_mac = \"02:00:00:00:00\"; }", 3, "is not a MAC address");
	port_error("{ " OUT "serves = \"in\"; }", 3, "only exception ports serve another port");
	port_error("{ " OUT "gateway = [ \"198.51.100.1\", \"198.51.100.2\" ]; }", 3,
		   "a second IPv4 gateway");
	port_error("{ " OUT "gateway = \"gw.example\"; }", 3, "is not an IPv4 or IPv6 address");
	port_error("{ " OUT "neighbors = (\n { ip = \"198.51.100.300\"; mac = \"02:00:00:00:00:01\"; } ); }",
		   4, "\"198.51.100.300\" is not an IPv4 or IPv6 address");
	port_error("{ " OUT "neighbors = (\n { ip = \"198.51.100.3\"; mac = \"0200.0000.0001\"; } ); }",
		   4, "is not a MAC address");
	/* Exception ports: what they serve must be an outside or inside port without one. */
	port_error("{ " OUT "}, { " KERN0 "serves = \"kern\"; }", 3,
		   "\"kern\" is not an outside or inside port");
	port_error("{ " OUT "}, { " KERN0 "serves = \"nope\"; }", 3,
		   "\"nope\" is not an outside or inside port");
	/* A typo in a port's setting is the schema's, with a suggestion. */
	port_error("{ " OUT "gateway_mca = \"02:00:00:00:00:01\"; }", 3,
		   "setting 'dataplane.ports.[0].gateway_mca': unknown setting (did you mean "
		   "'gateway_mac'?)");
	port_error("{ " OUT "neighbors = ( { ip = \"198.51.100.3\"; } ); }", 3,
		   "required setting 'mac' is missing");
}

/* Two exception ports claiming one port: the second is refused, naming the first. */
static void test_serves_twice(void **state)
{
	static const char text[] =
		HEAD
		"  ports = ( { name = \"out\"; role = \"outside\"; device = \"net_ring0\"; },\n"
		"            { name = \"in\";  role = \"inside\";  device = \"net_ring1\"; },\n"
		"            { name = \"kern\"; role = \"exception\"; device = \"net_tap0\"; serves = \"in\"; },\n"
		"            { name = \"kern2\"; role = \"exception\"; device = \"net_tap1\";\n"
		"              serves = \"in\"; } );\n"
		"};\n";
	struct rp_cfg c;
	struct dp_config dc;
	struct dp_manual_sa *sas = NULL;
	unsigned int n = 0;

	(void)state;
	assert_int_not_equal(load(&c, text, &dc, &sas, &n), 0);
	assert_err_at(&c, 7, "port \"in\" already has exception port \"kern\"");
	rp_cfg_free(&c);
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
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_serves_twice),
		cmocka_unit_test(test_prefix),
	};

	CPU_ZERO(&two_cpus);
	CPU_SET(0, &two_cpus);
	CPU_SET(1, &two_cpus);
	rp_log_init("test_manual", RP_LOG_STDERR, RP_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
