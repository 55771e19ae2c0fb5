/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Configuration loading: every error names file, line and setting; nothing unknown passes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cfg.h"
#include "common/conf.h"
#include "common/log.h"

static char tmpdir[] = "/tmp/rp-cfg-test-XXXXXX";

/* Write @text to a file in tmpdir and load it; returns rc, leaves c loaded. */
static int load_text(struct rp_cfg *c, const char *name, const char *text, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", tmpdir, name);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return rp_conf_load(c, path);
}

#define PORTS                                                                    \
	"dataplane = { ports = ( { name = \"o\"; role = \"outside\"; device = \"net_ring0\"; },\n" \
	"                         { name = \"i\"; role = \"inside\"; device = \"net_ring1\"; } ); };\n"

static void test_default_loads(void **state)
{
	struct rp_cfg c;
	char buf[256];

	(void)state;
	assert_int_equal(rp_conf_load(&c, NULL), 0);
	assert_int_equal(c.n_errors, 0);
	assert_string_equal(rp_conf_instance(&c), "demo");
	assert_string_equal(rp_conf_region_path(&c, buf, sizeof(buf)), "/dev/shm/rampart-demo.ctl");
	assert_string_equal(rp_conf_mgmt_socket(&c, buf, sizeof(buf)), "/run/rampart/demo.sock");
	const config_setting_t *dp = rp_cfg_get(rp_cfg_root(&c), "dataplane");

	assert_non_null(dp);
	assert_int_equal(rp_cfg_count(rp_cfg_get(dp, "ports")), 3); /* outside, inside, exception */
	assert_int_equal(rp_cfg_int(dp, "burst", 7), 32);
	assert_int_equal(rp_cfg_int(dp, "idle_sleep_us", 0), 100); /* a 2-core machine stays usable */
	assert_int_equal(rp_cfg_int(dp, "mbufs", 8191), 8191); /* default applies */
	/* The demo's IKE responder: listens on the exception port's address, one PSK peer. */
	const config_setting_t *ike = rp_cfg_get(rp_cfg_root(&c), "ike");

	assert_non_null(ike);
	assert_int_equal(rp_cfg_count(rp_cfg_get(ike, "listen")), 1);
	assert_int_equal(rp_cfg_count(rp_cfg_get(ike, "peers")), 1);
	assert_non_null(rp_cfg_get(ike, "pool"));
	rp_cfg_free(&c);
}

static void test_typo_names_file_line_setting(void **state)
{
	struct rp_cfg c;
	char path[256], want[600];

	(void)state;
	assert_int_equal(load_text(&c, "typo.conf",
				   "instance = \"t\";\n"
				   "log = {\n"
				   "  levl = \"debug\";\n"
				   "};\n" PORTS,
				   path, sizeof(path)),
			 -1);
	snprintf(want, sizeof(want), "%s:3: setting 'log.levl': unknown setting (did you mean 'level'?)",
		 path);
	assert_string_equal(c.err, want);
	rp_cfg_free(&c);
}

static void test_unknown_top_level(void **state)
{
	struct rp_cfg c;
	char path[256], want[600];

	(void)state;
	assert_int_equal(load_text(&c, "top.conf", PORTS "frobnicate = 1;\n", path, sizeof(path)), -1);
	snprintf(want, sizeof(want), "%s:3: setting 'frobnicate': unknown setting", path);
	assert_string_equal(c.err, want);
	rp_cfg_free(&c);
}

static void test_wrong_type_and_range(void **state)
{
	struct rp_cfg c;
	char path[256];

	(void)state;
	assert_int_equal(load_text(&c, "type.conf",
				   "dataplane = {\n  memory_mb = \"lots\";\n"
				   "  ports = ( { name = \"o\"; role = \"outside\"; device = \"x\"; } );\n};\n",
				   path, sizeof(path)),
			 -1);
	assert_non_null(strstr(c.err, ":2: setting 'dataplane.memory_mb': expected an integer, found a string"));
	rp_cfg_free(&c);

	assert_int_equal(load_text(&c, "range.conf",
				   "dataplane = {\n  burst = 1000;\n"
				   "  ports = ( { name = \"o\"; role = \"outside\"; device = \"x\"; } );\n};\n",
				   path, sizeof(path)),
			 -1);
	assert_non_null(strstr(c.err, ":2: setting 'dataplane.burst': 1000 is out of range 1..256"));
	rp_cfg_free(&c);

	/* A float where an integer is expected is not silently truncated. */
	assert_int_equal(load_text(&c, "float.conf",
				   "dataplane = {\n  burst = 3.5;\n"
				   "  ports = ( { name = \"o\"; role = \"outside\"; device = \"x\"; } );\n};\n",
				   path, sizeof(path)),
			 -1);
	assert_non_null(strstr(c.err, "expected an integer, found a floating-point number"));
	rp_cfg_free(&c);
}

static void test_choice_in_list_element(void **state)
{
	struct rp_cfg c;
	char path[256];

	(void)state;
	assert_int_equal(load_text(&c, "role.conf",
				   "dataplane = { ports = (\n"
				   "  { name = \"o\"; role = \"outside\"; device = \"x\"; },\n"
				   "  { name = \"i\"; role = \"insde\"; device = \"y\"; }\n"
				   "); };\n",
				   path, sizeof(path)),
			 -1);
	assert_non_null(strstr(c.err, ":3: setting 'dataplane.ports.[1].role': \"insde\" is not one of outside, inside, exception"));
	rp_cfg_free(&c);
}

static void test_missing_required(void **state)
{
	struct rp_cfg c;
	char path[256];

	(void)state;
	assert_int_equal(load_text(&c, "req.conf",
				   "dataplane = {\n  ports = ( { name = \"o\"; device = \"x\"; } );\n};\n",
				   path, sizeof(path)),
			 -1);
	assert_non_null(strstr(c.err, ":2: setting 'dataplane.ports.[0]': required setting 'role' is missing"));
	rp_cfg_free(&c);

	assert_int_equal(load_text(&c, "req2.conf", "dataplane = { burst = 4; };\n", path, sizeof(path)), -1);
	assert_non_null(strstr(c.err, "setting 'dataplane': required setting 'ports' is missing"));
	rp_cfg_free(&c);
}

static void test_syntax_error_has_line(void **state)
{
	struct rp_cfg c;
	char path[256], want[600];

	(void)state;
	assert_int_equal(load_text(&c, "syntax.conf", "instance = \"x\";\nlog = { level = ; };\n",
				   path, sizeof(path)),
			 -1);
	snprintf(want, sizeof(want), "%s:2: ", path);
	assert_memory_equal(c.err, want, strlen(want));
	rp_cfg_free(&c);
}

static void test_cross_checks(void **state)
{
	struct rp_cfg c;
	char path[256];

	(void)state;
	assert_int_equal(load_text(&c, "inst.conf", "instance = \"a/b\";\n" PORTS, path, sizeof(path)), -1);
	assert_non_null(strstr(c.err, ":1: setting 'instance': use only letters"));
	rp_cfg_free(&c);
	assert_int_equal(load_text(&c, "slots.conf", "control = { slots = 1000; };\n" PORTS, path,
				   sizeof(path)),
			 -1);
	assert_non_null(strstr(c.err, ":1: setting 'control.slots': 1000 is not a power of two"));
	rp_cfg_free(&c);
}

static void test_all_errors_counted(void **state)
{
	struct rp_cfg c;
	char path[256];

	(void)state;
	assert_int_equal(load_text(&c, "many.conf",
				   "bogus1 = 1;\nbogus2 = 2;\nlog = { level = \"loud\"; };\n" PORTS, path,
				   sizeof(path)),
			 -1);
	assert_int_equal(c.n_errors, 3);
	rp_cfg_free(&c);
}

static void test_scalar_for_array_and_getters(void **state)
{
	struct rp_cfg c;

	(void)state;
	assert_int_equal(rp_cfg_load_string(&c, "<t>",
					    "dataplane = { workers = 3; eal_args = \"--foo\";\n"
					    " ports = ( { name = \"o\"; role = \"outside\"; device = \"x\"; } ); };",
					    rp_conf_schema),
			 0);
	const config_setting_t *dp = rp_cfg_get(rp_cfg_root(&c), "dataplane");
	const config_setting_t *w = rp_cfg_get(dp, "workers");

	assert_int_equal(rp_cfg_count(w), 1);
	assert_int_equal(config_setting_get_int(rp_cfg_elem(w, 0)), 3);
	assert_null(rp_cfg_elem(w, 1));
	assert_string_equal(rp_cfg_str(dp, "missing", "dflt"), "dflt");
	assert_true(rp_cfg_bool(dp, "hugepages", true));
	assert_null(rp_cfg_get(NULL, "x"));
	rp_cfg_error(&c, w, "semantic %d", 42);
	assert_string_equal(c.err, "<t>:1: setting 'dataplane.workers': semantic 42");
	rp_cfg_free(&c);
}

static void test_missing_file(void **state)
{
	struct rp_cfg c;

	(void)state;
	assert_int_equal(rp_conf_load(&c, "/nonexistent/rampart.conf"), -1);
	assert_non_null(strstr(c.err, "/nonexistent/rampart.conf: cannot open: No such file"));
	rp_cfg_free(&c);
}

/* The ESP fast path's settings are in the one schema: what rampartd validates too. */
static void test_dataplane_fastpath_settings(void **state)
{
	struct rp_cfg c;
	char path[256];

	(void)state;
	assert_int_equal(load_text(&c, "fastpath.conf",
				   "dataplane = {\n"
				   "  sa_max = 4096; route_max = 10000; fib_tbl8 = 512; fib6_tbl8 = 512;\n"
				   "  lifetime_scan_ms = 250;\n"
				   "  ports = (\n"
				   "    { name = \"o\"; role = \"outside\"; device = \"net_ring0\";\n"
				   "      gateway_mac = \"02:00:00:00:0a:01\"; gateway = \"203.0.113.254\";\n"
				   "      neighbors = ( { ip = \"203.0.113.7\"; mac = \"02:00:00:00:0a:07\"; },\n"
				   "                    { ip = \"2001:db8::7\"; mac = \"02:00:00:00:0a:07\"; } ); },\n"
				   "    { name = \"i\"; role = \"inside\"; device = \"net_ring1\"; },\n"
				   "    { name = \"k\"; role = \"exception\"; device = \"net_tap0\"; serves = \"o\"; }\n"
				   "  );\n"
				   "  manual_sas = (\n"
				   "    { sa_id = 1; direction = \"in\"; spi = 0x1001; cipher = \"aes-gcm-128\";\n"
				   "      key = \"0x000102030405060708090a0b0c0d0e0f10111213\";\n"
				   "      local = \"203.0.113.1\"; remote = \"203.0.113.7\";\n"
				   "      traffic_selectors = [ \"198.18.7.0/24\" ]; },\n"
				   "    { sa_id = 2; direction = \"out\"; spi = 0x2002; cipher = \"null\";\n"
				   "      integrity = \"hmac-sha256-128\"; auth_key = \"0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\";\n"
				   "      local = \"203.0.113.1\"; remote = \"203.0.113.7\"; natt = true; esn = true;\n"
				   "      seq_start = 4294967296L; routes = [ \"198.18.7.0/24\" ]; }\n"
				   "  );\n"
				   "};\n",
				   path, sizeof(path)),
			 0);
	const config_setting_t *dp = rp_cfg_get(rp_cfg_root(&c), "dataplane");
	const config_setting_t *o = rp_cfg_elem(rp_cfg_get(dp, "ports"), 0);
	const config_setting_t *sas = rp_cfg_get(dp, "manual_sas");

	assert_int_equal(rp_cfg_int(dp, "sa_max", 0), 4096);
	assert_int_equal(rp_cfg_int(dp, "lifetime_scan_ms", 0), 250);
	assert_int_equal(rp_cfg_count(rp_cfg_get(o, "neighbors")), 2);
	assert_string_equal(rp_cfg_str(o, "gateway_mac", NULL), "02:00:00:00:0a:01");
	assert_int_equal(rp_cfg_count(sas), 2);
	assert_int_equal(rp_cfg_int(rp_cfg_elem(sas, 1), "seq_start", 0), 4294967296ll);
	rp_cfg_free(&c);

	/* ... and refuses their typos and ranges like any other setting's. */
	assert_int_equal(load_text(&c, "fastpath2.conf",
				   "dataplane = {\n  sa_max = 8;\n"
				   "  ports = ( { name = \"o\"; role = \"outside\"; device = \"x\";\n"
				   "              neigbors = ( ); } );\n"
				   "  manual_sas = ( { sa_id = 1; direction = \"sideways\"; spi = 0x1001;\n"
				   "                   cipher = \"null\"; local = \"1.2.3.4\"; } );\n};\n",
				   path, sizeof(path)),
			 -1);
	assert_non_null(strstr(c.err, ":2: setting 'dataplane.sa_max': 8 is out of range 16..2097151"));
	assert_int_equal(c.n_errors, 4);
	rp_cfg_free(&c);
}

/* libconfig stores hex literals from 0x80000000 to 0xffffffff as negative 32-bit ints: they
 * are read, and range-checked, as the unsigned value; a negative decimal stays negative. */
static void test_hex_u32(void **state)
{
	struct rp_cfg c;
	char path[256];

#define SA(spi) "dataplane = {\n"                                                        \
		"  ports = ( { name = \"o\"; role = \"outside\"; device = \"net_ring0\"; } );\n" \
		"  manual_sas = ( { sa_id = 0xffffffff; direction = \"in\"; spi = " spi ";\n"   \
		"    cipher = \"null\"; local = \"1.2.3.4\"; remote = \"1.2.3.5\"; } );\n};\n"
	(void)state;
	assert_int_equal(load_text(&c, "hex.conf", SA("0xdeadbeef"), path, sizeof(path)), 0);
	const config_setting_t *sa =
		rp_cfg_elem(rp_cfg_get(rp_cfg_get(rp_cfg_root(&c), "dataplane"), "manual_sas"), 0);

	assert_int_equal(config_setting_get_int64(rp_cfg_get(sa, "spi")), -559038737); /* raw */
	assert_int_equal(rp_cfg_int(sa, "spi", 0), 3735928559ll);
	assert_int_equal(rp_cfg_int_value(rp_cfg_get(sa, "spi")), 3735928559ll);
	assert_int_equal(rp_cfg_int(sa, "sa_id", 0), 4294967295ll);
	rp_cfg_free(&c);

	assert_int_equal(load_text(&c, "hex2.conf", SA("0x80000000"), path, sizeof(path)), 0);
	sa = rp_cfg_elem(rp_cfg_get(rp_cfg_get(rp_cfg_root(&c), "dataplane"), "manual_sas"), 0);
	assert_int_equal(rp_cfg_int(sa, "spi", 0), 2147483648ll);
	rp_cfg_free(&c);

	assert_int_equal(load_text(&c, "hex3.conf", SA("0x7fffffff"), path, sizeof(path)), 0);
	sa = rp_cfg_elem(rp_cfg_get(rp_cfg_get(rp_cfg_root(&c), "dataplane"), "manual_sas"), 0);
	assert_int_equal(rp_cfg_int(sa, "spi", 0), 2147483647ll);
	rp_cfg_free(&c);

	/* A negative decimal is refused, as it always was. */
	assert_int_equal(load_text(&c, "neg.conf", SA("-559038737"), path, sizeof(path)), -1);
	assert_non_null(strstr(c.err, ":3: setting 'dataplane.manual_sas.[0].spi': -559038737 is "
				      "out of range 256..4294967295"));
	assert_int_equal(c.n_errors, 1);
	rp_cfg_free(&c);

	/* Hex above a setting's maximum is out of range as its unsigned value, not -1. */
	assert_int_equal(load_text(&c, "hexmax.conf",
				   "dataplane = { burst = 0xffffffff;\n"
				   "  ports = ( { name = \"o\"; role = \"outside\"; device = \"x\"; } ); };\n",
				   path, sizeof(path)),
			 -1);
	assert_non_null(strstr(c.err, ":1: setting 'dataplane.burst': 4294967295 is out of range 1..256"));
	rp_cfg_free(&c);
#undef SA
}

/* examples/manual-sa.conf, the README's manual SA example, loads as it is. */
static void test_example_manual_sa(void **state)
{
	struct rp_cfg c;

	(void)state;
	assert_int_equal(rp_conf_load(&c, RP_SOURCE_DIR "/examples/manual-sa.conf"), 0);
	assert_int_equal(c.n_errors, 0);
	const config_setting_t *dp = rp_cfg_get(rp_cfg_root(&c), "dataplane");
	const config_setting_t *sas = rp_cfg_get(dp, "manual_sas");

	assert_int_equal(rp_cfg_count(sas), 2);
	assert_int_equal(rp_cfg_int(rp_cfg_elem(sas, 0), "spi", 0), 0xc0000101ll);
	assert_int_equal(rp_cfg_count(rp_cfg_get(rp_cfg_elem(rp_cfg_get(dp, "ports"), 0),
						 "neighbors")), 1);
	rp_cfg_free(&c);
}

static int setup(void **state)
{
	(void)state;
	rp_log_init("test_cfg", RP_LOG_STDERR, RP_LOG_ERR);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_loads),
		cmocka_unit_test(test_typo_names_file_line_setting),
		cmocka_unit_test(test_unknown_top_level),
		cmocka_unit_test(test_wrong_type_and_range),
		cmocka_unit_test(test_choice_in_list_element),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_syntax_error_has_line),
		cmocka_unit_test(test_cross_checks),
		cmocka_unit_test(test_all_errors_counted),
		cmocka_unit_test(test_scalar_for_array_and_getters),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_dataplane_fastpath_settings),
		cmocka_unit_test(test_hex_u32),
		cmocka_unit_test(test_example_manual_sa),
	};

	return cmocka_run_group_tests_name("cfg", tests, setup, teardown);
}
