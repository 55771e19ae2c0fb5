/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * rampart-dp's configuration checks and EAL argument vector: no DPDK needed. The EAL vector
 * decides which devices DPDK may touch, so each rule about it is pinned here.
 */
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

/* Two CPUs, like the development machines. */
static cpu_set_t two_cpus;

#define NAME "test.conf"

/* Line 1..2 of most configs below; ports start on line 3. */
#define HEAD                                                                                \
	"instance = \"t1\";\n"                                                              \
	"dataplane = { main_lcore = 0; workers = [ 1 ];\n"
#define RING_PORTS                                                                          \
	"  ports = ( { name = \"out\"; role = \"outside\"; device = \"net_ring0\"; },\n"    \
	"            { name = \"in\";  role = \"inside\";  device = \"net_ring1\"; } );\n"

static int load(struct rp_cfg *c, const char *text, struct dp_config *dc)
{
	memset(c, 0, sizeof(*c));
	if (rp_cfg_load_string(c, NAME, text, rp_conf_schema) < 0) {
		print_error("schema rejected the test config: %s\n", c->err);
		fail();
	}
	return dp_config_from_cfg(c, &two_cpus, dc);
}

static int find_arg(const struct dp_eal_args *ea, const char *arg)
{
	for (int i = 0; i < ea->argc; i++)
		if (strcmp(ea->argv[i], arg) == 0)
			return i;
	return -1;
}

/* The value after option @opt, or NULL. */
static const char *opt_value(const struct dp_eal_args *ea, const char *opt)
{
	int i = find_arg(ea, opt);

	return i >= 0 && i + 1 < ea->argc ? ea->argv[i + 1] : NULL;
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

static void test_default_config(void **state)
{
	struct dp_config dc;
	struct dp_eal_args ea;
	struct rp_cfg c;
	char line[1024];

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(rp_conf_load(&c, NULL), 0);
	assert_int_equal(dp_config_from_cfg(&c, &two_cpus, &dc), 0);
	assert_string_equal(dc.instance, "demo");
	assert_int_equal(dc.main_lcore, 0);
	assert_int_equal(dc.n_workers, 1);
	assert_int_equal(dc.workers[0], 1);
	assert_int_equal(dc.n_ports, 3);
	assert_string_equal(dc.ports[0].name, "outside");
	assert_int_equal(dc.ports[0].role, DP_ROLE_OUTSIDE);
	assert_int_equal(dc.ports[0].kind, DP_DEV_VDEV);
	assert_string_equal(dc.ports[1].dev_name, "net_af_packet1");
	assert_int_equal(dc.ports[1].role, DP_ROLE_INSIDE);
	assert_string_equal(dc.ports[2].name, "kern-o");
	assert_int_equal(dc.ports[2].role, DP_ROLE_EXCEPTION);
	assert_string_equal(dc.region, "/dev/shm/rampart-demo.ctl");
	assert_true(dc.hugepages);

	assert_int_equal(dp_eal_args_build(&dc, "rampart-dp", &ea), 0);
	assert_string_equal(ea.argv[0], "rampart-dp");
	assert_null(ea.argv[ea.argc]);
	assert_string_equal(dp_eal_args_str(&ea, line, sizeof(line)),
			    "-l 0,1 --main-lcore 0 --file-prefix rampart-demo -m 256 --no-pci "
			    "--vdev net_af_packet0,iface=rp-demo-out --vdev net_af_packet1,iface=rp-demo-in "
			    "--vdev net_tap0,iface=rp-demo-tap --log-level info");
	rp_cfg_free(&c);
}

/* Virtual devices only: DPDK must stay off the PCI bus. */
static void test_vdevs_only_no_pci(void **state)
{
	struct dp_config dc;
	struct dp_eal_args ea;
	struct rp_cfg c;

	(void)state;
	assert_int_equal(load(&c,
			      HEAD
			      "  ports = ( { name = \"out\"; role = \"outside\";\n"
			      "              device = \"net_af_packet0,iface=veth0,qpairs=1\"; },\n"
			      "            { name = \"in\"; role = \"inside\"; device = \"net_memif0,role=server\"; },\n"
			      "            { name = \"kern\"; role = \"exception\"; device = \"net_tap0,iface=rp0\"; } );\n"
			      "};\n",
			      &dc),
			 0);
	assert_int_equal(dp_eal_args_build(&dc, NULL, &ea), 0);
	assert_true(find_arg(&ea, "--no-pci") > 0);
	assert_int_equal(find_arg(&ea, "-a"), -1);
	assert_int_equal(find_arg(&ea, "--in-memory"), -1);
	assert_string_equal(opt_value(&ea, "--file-prefix"), "rampart-t1");
	/* devargs go to EAL whole; the ethdev lookup uses the part before the comma */
	assert_true(find_arg(&ea, "net_af_packet0,iface=veth0,qpairs=1") > 0);
	assert_string_equal(ea.argv[find_arg(&ea, "net_af_packet0,iface=veth0,qpairs=1") - 1],
			    "--vdev");
	assert_string_equal(dc.ports[0].dev_name, "net_af_packet0");
	assert_string_equal(dc.ports[1].dev_name, "net_memif0");
	assert_int_equal(dc.ports[2].role, DP_ROLE_EXCEPTION);
	rp_cfg_free(&c);
}

/* A PCI port: allowed by -a, and no --no-pci (which would hide it). */
static void test_pci_allow_list(void **state)
{
	struct dp_config dc;
	struct dp_eal_args ea;
	struct rp_cfg c;
	int i;

	(void)state;
	assert_int_equal(load(&c,
			      HEAD
			      "  ports = ( { name = \"out\"; role = \"outside\"; device = \"0000:3b:00.0\"; },\n"
			      "            { name = \"in\"; role = \"inside\"; device = \"3B:00.1,rxq_cqe_comp_en=0\"; },\n"
			      "            { name = \"kern\"; role = \"exception\"; device = \"net_tap0\"; } );\n"
			      "};\n",
			      &dc),
			 0);
	assert_int_equal(dp_eal_args_build(&dc, NULL, &ea), 0);
	assert_int_equal(find_arg(&ea, "--no-pci"), -1);
	i = find_arg(&ea, "0000:3b:00.0");
	assert_true(i > 0);
	assert_string_equal(ea.argv[i - 1], "-a");
	i = find_arg(&ea, "3B:00.1,rxq_cqe_comp_en=0");
	assert_true(i > 0);
	assert_string_equal(ea.argv[i - 1], "-a");
	assert_string_equal(opt_value(&ea, "--vdev"), "net_tap0");
	/* short BDF is looked up under DPDK's canonical name */
	assert_int_equal(dc.ports[1].kind, DP_DEV_PCI);
	assert_string_equal(dc.ports[1].dev_name, "0000:3b:00.1");
	rp_cfg_free(&c);
}

static void test_no_hugepages(void **state)
{
	struct dp_config dc;
	struct dp_eal_args ea;
	struct rp_cfg c;
	int i;

	(void)state;
	assert_int_equal(load(&c,
			      HEAD "  hugepages = false; memory_mb = 512;\n" RING_PORTS "};\n"
			      "log = { level = \"debug\"; };\n",
			      &dc),
			 0);
	assert_false(dc.hugepages);
	assert_int_equal(dp_eal_args_build(&dc, NULL, &ea), 0);
	i = find_arg(&ea, "--no-huge");
	assert_true(i > 0);
	assert_string_equal(ea.argv[i + 1], "-m");
	assert_string_equal(ea.argv[i + 2], "512");
	assert_string_equal(opt_value(&ea, "--log-level"), "debug");
	rp_cfg_free(&c);

	/* with hugepages: -m alone */
	assert_int_equal(load(&c, HEAD RING_PORTS "};\nlog = { level = \"warn\"; };\n", &dc), 0);
	assert_int_equal(dp_eal_args_build(&dc, NULL, &ea), 0);
	assert_int_equal(find_arg(&ea, "--no-huge"), -1);
	assert_string_equal(opt_value(&ea, "-m"), "256");
	assert_string_equal(opt_value(&ea, "--log-level"), "warning");
	rp_cfg_free(&c);
}

static void test_lcores_and_settings(void **state)
{
	static cpu_set_t four;
	struct dp_config dc;
	struct dp_eal_args ea;
	struct rp_cfg c;

	(void)state;
	CPU_ZERO(&four);
	for (int i = 0; i < 4; i++)
		CPU_SET(i, &four);
	memset(&c, 0, sizeof(c));
	assert_int_equal(rp_cfg_load_string(&c, NAME,
					     "dataplane = { main_lcore = 2; workers = [ 3, 0, 1 ];\n"
					     "  idle_sleep_us = 0; burst = 64; mbufs = 32767;\n"
					     "  eal_args = [ \"--iova-mode=va\", \"--huge-dir\", \"/mnt/huge 1\" ];\n"
					     RING_PORTS "};\n",
					     rp_conf_schema),
			 0);
	assert_int_equal(dp_config_from_cfg(&c, &four, &dc), 0);
	assert_int_equal(dc.idle_sleep_us, 0);
	assert_int_equal(dc.burst, 64);
	assert_int_equal(dc.mbufs, 32767);
	assert_int_equal(dp_eal_args_build(&dc, NULL, &ea), 0);
	assert_string_equal(opt_value(&ea, "-l"), "2,3,0,1");
	assert_string_equal(opt_value(&ea, "--main-lcore"), "2");
	/* extra arguments come last, in order */
	assert_string_equal(ea.argv[ea.argc - 3], "--iova-mode=va");
	assert_string_equal(ea.argv[ea.argc - 1], "/mnt/huge 1");
	rp_cfg_free(&c);
}

static void test_print_quotes(void **state)
{
	struct dp_eal_args ea;
	struct dp_config dc;
	struct rp_cfg c;
	char line[1024];

	(void)state;
	assert_int_equal(load(&c,
			      HEAD "  eal_args = [ \"--huge-dir=/mnt/it's here\" ];\n" RING_PORTS "};\n",
			      &dc),
			 0);
	assert_int_equal(dp_eal_args_build(&dc, NULL, &ea), 0);
	dp_eal_args_str(&ea, line, sizeof(line));
	assert_non_null(strstr(line, " '--huge-dir=/mnt/it'\\''s here'"));
	rp_cfg_free(&c);
}

/* ---- semantic errors: each names the file, the line and the problem -------------------- */

static void test_duplicate_port_name(void **state)
{
	struct dp_config dc;
	struct rp_cfg c;

	(void)state;
	assert_int_equal(load(&c,
			      HEAD
			      "  ports = ( { name = \"a\"; role = \"outside\"; device = \"net_ring0\"; },\n"
			      "            { name = \"b\"; role = \"inside\"; device = \"net_ring1\"; },\n"
			      "            { name = \"a\"; role = \"inside\"; device = \"net_ring2\"; } );\n"
			      "};\n",
			      &dc),
			 -EINVAL);
	assert_int_equal(c.n_errors, 1);
	assert_err_at(&c, 5, "port name \"a\" is already used by the port at line 3");
	rp_cfg_free(&c);
}

static void test_duplicate_device(void **state)
{
	struct dp_config dc;
	struct rp_cfg c;

	(void)state;
	assert_int_equal(load(&c,
			      HEAD
			      "  ports = ( { name = \"a\"; role = \"outside\"; device = \"01:00.0\"; },\n"
			      "            { name = \"b\"; role = \"inside\"; device = \"0000:01:00.0,x=1\"; } );\n"
			      "};\n",
			      &dc),
			 -EINVAL);
	assert_err_at(&c, 4, "device 0000:01:00.0 is already used by port \"a\"");
	rp_cfg_free(&c);
}

static void test_worker_is_main(void **state)
{
	struct dp_config dc;
	struct rp_cfg c;

	(void)state;
	assert_int_equal(load(&c,
			      "instance = \"t1\";\n"
			      "dataplane = { main_lcore = 1;\n"
			      "  workers = [ 1 ];\n" RING_PORTS "};\n",
			      &dc),
			 -EINVAL);
	assert_err_at(&c, 3, "worker lcore 1 is also the main lcore");
	rp_cfg_free(&c);
}

static void test_worker_twice(void **state)
{
	static cpu_set_t four;
	struct dp_config dc;
	struct rp_cfg c;

	(void)state;
	CPU_ZERO(&four);
	for (int i = 0; i < 4; i++)
		CPU_SET(i, &four);
	memset(&c, 0, sizeof(c));
	assert_int_equal(rp_cfg_load_string(&c, NAME,
					     "dataplane = {\n  workers = [ 1, 2, 1 ];\n" RING_PORTS
					     "};\n",
					     rp_conf_schema),
			 0);
	assert_int_equal(dp_config_from_cfg(&c, &four, &dc), -EINVAL);
	assert_err_at(&c, 2, "worker lcore 1 is listed twice");
	rp_cfg_free(&c);
}

static void test_lcore_not_available(void **state)
{
	struct dp_config dc;
	struct rp_cfg c;

	(void)state;
	assert_int_equal(load(&c,
			      "dataplane = {\n"
			      "  main_lcore = 0;\n"
			      "  workers = [ 1, 5 ];\n" RING_PORTS "};\n",
			      &dc),
			 -EINVAL);
	assert_err_at(&c, 3, "worker lcore 5 is not a CPU this process may run on (available: 0-1)");
	rp_cfg_free(&c);

	assert_int_equal(load(&c,
			      "dataplane = {\n"
			      "  main_lcore = 100;\n"
			      "  workers = [ 1 ];\n" RING_PORTS "};\n",
			      &dc),
			 -EINVAL);
	/* 200 would be refused by the schema itself (0..127, DPDK's RTE_MAX_LCORE). */
	assert_err_at(&c, 2, "main lcore 100 is not a CPU this process may run on");
	rp_cfg_free(&c);
}

static void test_no_workers(void **state)
{
	struct dp_config dc;
	struct rp_cfg c;

	(void)state;
	assert_int_equal(load(&c, "dataplane = {\n  workers = [ ];\n" RING_PORTS "};\n", &dc),
			 -EINVAL);
	assert_err_at(&c, 2, "no worker lcores");
	rp_cfg_free(&c);
}

static void test_missing_roles(void **state)
{
	struct dp_config dc;
	struct rp_cfg c;

	(void)state;
	assert_int_equal(load(&c,
			      HEAD
			      "  ports = ( { name = \"a\"; role = \"outside\"; device = \"net_ring0\"; },\n"
			      "            { name = \"b\"; role = \"outside\"; device = \"net_ring1\"; } );\n"
			      "};\n",
			      &dc),
			 -EINVAL);
	assert_int_equal(c.n_errors, 1);
	assert_err_at(&c, 3, "no port has role \"inside\"");
	rp_cfg_free(&c);

	assert_int_equal(load(&c,
			      HEAD
			      "  ports = ( { name = \"b\"; role = \"inside\"; device = \"net_ring1\"; } );\n"
			      "};\n",
			      &dc),
			 -EINVAL);
	assert_err_at(&c, 3, "no port has role \"outside\"");
	rp_cfg_free(&c);
}

static void test_bad_device(void **state)
{
	struct dp_config dc;
	struct rp_cfg c;

	(void)state;
	assert_int_equal(load(&c,
			      HEAD
			      "  ports = ( { name = \"a\"; role = \"outside\"; device = \"net_ring0\"; },\n"
			      "            { name = \"b\"; role = \"inside\";\n"
			      "              device = \"eth0\"; } );\n"
			      "};\n",
			      &dc),
			 -EINVAL);
	assert_int_equal(c.n_errors, 1);
	assert_err_at(&c, 5, "device \"eth0\" is neither a DPDK virtual device");
	rp_cfg_free(&c);
}

static void test_eal_args_managed(void **state)
{
	struct dp_config dc;
	struct rp_cfg c;

	(void)state;
	assert_int_equal(load(&c,
			      HEAD RING_PORTS
			      "  eal_args = [ \"-n\", \"4\",\n"
			      "    \"--in-memory\" ];\n"
			      "};\n",
			      &dc),
			 -EINVAL);
	assert_int_equal(c.n_errors, 1);
	assert_err_at(&c, 6, "EAL option --in-memory is not accepted here: telemetry");
	rp_cfg_free(&c);

	assert_int_equal(load(&c, HEAD RING_PORTS "  eal_args = [ \"-a0000:01:00.0\" ];\n};\n",
			      &dc),
			 -EINVAL);
	assert_err_at(&c, 5, "EAL option -a is not accepted here: give the PCI address");
	rp_cfg_free(&c);

	assert_int_equal(load(&c, HEAD RING_PORTS "  eal_args = [ \"--vdev=net_null0\" ];\n};\n",
			      &dc),
			 -EINVAL);
	assert_err_at(&c, 5, "EAL option --vdev is not accepted here");
	rp_cfg_free(&c);
}

static void test_device_parse(void **state)
{
	static const struct {
		const char *dev;
		int rc;
		enum dp_dev_kind kind;
		const char *name;
	} cases[] = {
		{ "net_ring0", 0, DP_DEV_VDEV, "net_ring0" },
		{ "net_af_packet0,iface=veth0", 0, DP_DEV_VDEV, "net_af_packet0" },
		{ "0000:01:00.0", 0, DP_DEV_PCI, "0000:01:00.0" },
		{ "01:00.0", 0, DP_DEV_PCI, "0000:01:00.0" },
		{ "0000:AB:1f.7,a=b", 0, DP_DEV_PCI, "0000:ab:1f.7" },
		{ "0001:00:02.3", 0, DP_DEV_PCI, "0001:00:02.3" },
		{ "0000:01:20.0", -EINVAL, 0, NULL }, /* device > 0x1f */
		{ "01:00.8", -EINVAL, 0, NULL },      /* function > 7 */
		{ "1:00.0", -EINVAL, 0, NULL },
		{ "0000:01:00", -EINVAL, 0, NULL },
		{ "eth0", -EINVAL, 0, NULL },
		{ "net_", -EINVAL, 0, NULL },
		{ "net_ring0 ", -EINVAL, 0, NULL },
		{ "", -EINVAL, 0, NULL },
		{ "crypto_aesni_mb0", -EINVAL, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum dp_dev_kind kind = 99;
		char name[64] = "";
		int rc = dp_device_parse(cases[i].dev, &kind, name, sizeof(name));

		if (rc != cases[i].rc)
			print_error("device \"%s\": rc %d, wanted %d\n", cases[i].dev, rc,
				    cases[i].rc);
		assert_int_equal(rc, cases[i].rc);
		if (rc)
			continue;
		assert_int_equal(kind, cases[i].kind);
		assert_string_equal(name, cases[i].name);
	}
}

static int setup(void **state)
{
	(void)state;
	/* Errors are the expected outcome of half of these tests: keep the output readable. */
	rp_log_init("test_dp_config", RP_LOG_STDERR, RP_LOG_ERR);
	CPU_ZERO(&two_cpus);
	CPU_SET(0, &two_cpus);
	CPU_SET(1, &two_cpus);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_config),
		cmocka_unit_test(test_vdevs_only_no_pci),
		cmocka_unit_test(test_pci_allow_list),
		cmocka_unit_test(test_no_hugepages),
		cmocka_unit_test(test_lcores_and_settings),
		cmocka_unit_test(test_print_quotes),
		cmocka_unit_test(test_duplicate_port_name),
		cmocka_unit_test(test_duplicate_device),
		cmocka_unit_test(test_worker_is_main),
		cmocka_unit_test(test_worker_twice),
		cmocka_unit_test(test_lcore_not_available),
		cmocka_unit_test(test_no_workers),
		cmocka_unit_test(test_missing_roles),
		cmocka_unit_test(test_bad_device),
		cmocka_unit_test(test_eal_args_managed),
		cmocka_unit_test(test_device_parse),
	};

	return cmocka_run_group_tests_name("dp_config", tests, setup, NULL);
}
