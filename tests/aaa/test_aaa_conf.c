/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The "aaa" configuration section: schema (through the whole-file schema rp_conf_schema),
 * cross-reference checks with their messages, conversion into RADIUS client settings. */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/conf.h"
#include "common/log.h"
#include "controlplane/aaa/aaa_conf.h"

static const char good[] =
	"aaa = {\n"
	"  radius = {\n"
	"    servers = (\n"
	"      { name = \"rad1\"; address = \"192.0.2.1\"; key = \"testing123\"; timeout_ms = 2000; },\n"
	"      { name = \"rad2\"; address = \"192.0.2.3\"; key = \"other\"; auth_port = 11812;\n"
	"        acct_port = 0; retransmit = 1; }\n"
	"    );\n"
	"    groups = (\n"
	"      { name = \"eap-server\"; servers = [ \"rad1\", \"rad2\" ]; source = \"192.0.2.2\";\n"
	"        dead_tries = 2; dead_time = 30; }\n"
	"    );\n"
	"  };\n"
	"  authentication = ( { name = \"list1\"; type = \"eap\"; methods = [ \"group eap-server\" ]; } );\n"
	"  authorization = ( { name = \"author\"; type = \"network\";\n"
	"                      methods = [ \"group eap-server\", \"local\" ]; } );\n"
	"  accounting = ( { name = \"acct\"; type = \"network\"; mode = \"start-stop\";\n"
	"                   methods = \"group eap-server\"; } );\n"
	"};\n";

static void test_good(void **state)
{
	struct radius_group_cfg g;
	struct aaa_method m[AAA_MAX_METHODS];
	struct rp_cfg c;

	(void)state;
	assert_int_equal(rp_cfg_load_string(&c, "t.conf", good, rp_conf_schema), 0);
	assert_int_equal(aaa_conf_check(&c), 0);
	assert_int_equal(aaa_conf_radius_group(&c, "eap-server", &g), 0);
	assert_int_equal(g.n_servers, 2);
	assert_int_equal(g.dead_after, 2);
	assert_int_equal(g.dead_time_s, 30);
	assert_true(g.require_ma);
	assert_int_equal(g.source.ss_family, AF_INET);
	assert_string_equal(g.server[0].name, "rad1");
	assert_int_equal(g.server[0].auth_port, 1812);
	assert_int_equal(g.server[0].acct_port, 1813);
	assert_int_equal(g.server[0].timeout_ms, 2000);
	assert_int_equal(g.server[0].retransmits, 3);
	assert_int_equal(g.server[0].secret_len, 10);
	assert_memory_equal(g.server[0].secret, "testing123", 10);
	assert_int_equal(g.server[1].auth_port, 11812);
	assert_int_equal(g.server[1].acct_port, 0);
	assert_int_equal(g.server[1].retransmits, 1);
	assert_int_equal(aaa_conf_radius_group(&c, "nope", &g), -ENOENT);
	assert_int_equal(aaa_conf_methods(&c, "authorization", "author", m, AAA_MAX_METHODS), 2);
	assert_int_equal(m[0].kind, AAA_M_GROUP);
	assert_string_equal(m[0].group, "eap-server");
	assert_int_equal(m[1].kind, AAA_M_LOCAL);
	assert_int_equal(aaa_conf_methods(&c, "accounting", "acct", m, AAA_MAX_METHODS), 1);
	assert_int_equal(aaa_conf_methods(&c, "authentication", "x", m, AAA_MAX_METHODS), -ENOENT);
	rp_cfg_free(&c);
}

struct bad {
	const char *text;
	const char *msg; /* expected in the first error */
};

static void test_acct_dae(void **state)
{
	static const char text[] =
		"aaa = {\n"
		"  radius = { servers = ( { name = \"r\"; address = \"192.0.2.1\"; key = \"k\"; } );\n"
		"             groups = ( { name = \"g\"; servers = \"r\"; } ); };\n"
		"  accounting = ( { name = \"a1\"; type = \"network\"; methods = \"group g\";\n"
		"                   interim_interval = 600; },\n"
		"                 { name = \"a2\"; type = \"network\"; mode = \"stop-only\";\n"
		"                   methods = \"group g\"; } );\n"
		"  dynamic_author = { port = 13799; event_timestamp_window = 60;\n"
		"    require_event_timestamp = true;\n"
		"    clients = ( { address = \"192.0.2.1\"; key = \"dae-secret\"; } ); };\n"
		"};\n";
	struct rp_cfg c;
	struct dae_cfg d;
	bool so;
	unsigned iv;

	(void)state;
	assert_int_equal(rp_cfg_load_string(&c, "t.conf", text, rp_conf_schema), 0);
	assert_int_equal(aaa_conf_check(&c), 0);
	assert_int_equal(aaa_conf_acct_list(&c, "a1", &so, &iv), 0);
	assert_false(so);
	assert_int_equal(iv, 600);
	assert_int_equal(aaa_conf_acct_list(&c, "a2", &so, &iv), 0);
	assert_true(so);
	assert_int_equal(iv, 0);
	assert_int_equal(aaa_conf_acct_list(&c, "a3", &so, &iv), -ENOENT);
	assert_int_equal(aaa_conf_dae(&c, &d), 0);
	assert_int_equal(d.listen.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&d.listen)->sin_port), 13799);
	assert_int_equal(d.ts_window_s, 60);
	assert_true(d.require_ts);
	assert_int_equal(d.n_clients, 1);
	assert_int_equal(d.client[0].secret_len, 10);
	assert_memory_equal(d.client[0].secret, "dae-secret", 10);
	rp_cfg_free(&c);
	assert_int_equal(rp_cfg_load_string(&c, "t.conf", good, rp_conf_schema), 0);
	assert_int_equal(aaa_conf_dae(&c, &d), -ENOENT);
	rp_cfg_free(&c);
}

static void test_bad(void **state)
{
	static const struct bad cases[] = {
		{ "aaa = { radius = { servers = ( { name = \"a\"; address = \"192.0.2.300\"; key = \"k\"; } ); }; };",
		  "t.conf:1: setting 'aaa.radius.servers.[0].address': not an IPv4 or IPv6 address" },
		{ "aaa = { radius = { servers = ( { name = \"a\"; address = \"192.0.2.1\"; key = \"k\"; } );\n"
		  " groups = ( { name = \"g\"; servers = [ \"a\", \"b\" ]; } ); }; };",
		  "no RADIUS server named \"b\"" },
		{ "aaa = { radius = { servers = ( { name = \"a\"; address = \"2001:db8::1\"; key = \"k\"; } );\n"
		  " groups = ( { name = \"g\"; servers = \"a\"; source = \"192.0.2.2\"; } ); }; };",
		  "same address family" },
		{ "aaa = { authentication = ( { name = \"l\"; type = \"eap\"; methods = [ \"group nope\" ]; } ); };",
		  "no RADIUS group named \"nope\"" },
		{ "aaa = { authentication = ( { name = \"l\"; type = \"eap\"; methods = [ \"radius\" ]; } ); };",
		  "\"radius\": use \"group NAME\" or \"local\"" },
		{ "aaa = { accounting = ( { name = \"l\"; type = \"network\"; methods = [ \"local\" ]; } ); };",
		  "accounting has no local method" },
		{ "aaa = { radius = { servers = ( { name = \"a\"; address = \"192.0.2.1\"; key = \"k\"; },\n"
		  " { name = \"a\"; address = \"192.0.2.3\"; key = \"k\"; } ); }; };",
		  "t.conf:2: setting 'aaa.radius.servers.[1].name': RADIUS server \"a\" is defined twice" },
		{ "aaa = { dynamic_author = {\n clients = ( { address = \"192.0.2.300\"; key = \"k\"; } ); }; };",
		  "t.conf:2: setting 'aaa.dynamic_author.clients.[0].address': not an IPv4 or IPv6 address" },
		{ "aaa = { dynamic_author = { address = \"2001:db8::1\";\n"
		  " clients = ( { address = \"192.0.2.1\"; key = \"k\"; } ); }; };",
		  "t.conf:2: setting 'aaa.dynamic_author.clients.[0].address': client 192.0.2.1 cannot "
		  "reach a listener on 2001:db8::1" },
		{ "aaa = { dynamic_author = { clients = ( { address = \"192.0.2.1\"; key = \"k\"; },\n"
		  " { address = \"192.0.2.1\"; key = \"j\"; } ); }; };",
		  "t.conf:2: setting 'aaa.dynamic_author.clients.[1].address': client 192.0.2.1 is listed twice" },
		{ "aaa = { dynamic_author = { clients = (); }; };",
		  "at least one client is needed" },
	};
	struct rp_cfg c;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(rp_cfg_load_string(&c, "t.conf", cases[i].text, rp_conf_schema), 0);
		assert_int_equal(aaa_conf_check(&c), -EINVAL);
		if (!strstr(c.err, cases[i].msg))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, c.err, cases[i].msg);
		rp_cfg_free(&c);
	}
	/* schema level: unknown setting, wrong choice */
	assert_int_equal(rp_cfg_load_string(&c, "t.conf",
					    "aaa = { authentication = ( { name = \"l\"; type = \"pap\";"
					    " methods = \"local\"; } ); };", rp_conf_schema), -1);
	rp_cfg_free(&c);
	assert_int_equal(rp_cfg_load_string(&c, "t.conf", "aaa = { radius = { severs = (); }; };",
					    rp_conf_schema), -1);
	rp_cfg_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_acct_dae),
	};

	rp_log_init("test_aaa_conf", RP_LOG_STDERR, RP_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
