/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The policy model: the examples/ configurations of the reference documents build what they
 * say (each also passes rampartd --check-config: examples_check.sh); semantic errors at
 * FILE:LINE; profile selection order (certificate map over identity, configuration order, local address);
 * identity kinds; keyring lookup; authorization policy attributes; and a full run on
 * certificates made at test time (map -> profile -> group -> validation, revocation).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "certgen.h"
#include "common/conf.h"
#include "controlplane/policy/policy.h"
#include "controlplane/policy/show.h"

static struct rp_cfg cfg;

/* Load @p text as t.conf and build; @return the build result (-1 when loading failed). */
static int build(const char *text, unsigned flags, struct pol_set **out)
{
	*out = NULL;
	if (rp_cfg_load_string(&cfg, "t.conf", text, rp_conf_schema))
		return -1;
	return pol_set_build(&cfg, flags, out);
}

static void expect_error(const char *text, const char *msg)
{
	struct pol_set *s;

	assert_int_not_equal(build(text, POL_BUILD_NO_FILES, &s), 0);
	assert_null(s);
	if (!strstr(cfg.err, msg))
		fail_msg("expected \"%s\"\n     got \"%s\"", msg, cfg.err);
	rp_cfg_free(&cfg);
}

static void test_examples(void **state)
{
	static const char *const files[] = {
		"ref000-certmap.conf", "ref000-group.conf", "ref001-flexvpn-eap.conf",
		"ref001-group-author-external.conf", "ref001-group-author-local.conf",
		"ref001-user-author.conf", "ref001-ipv6.conf", "ref000-arbitrary-fields.conf",
		"ref000-verify.conf", "ref001-anyconnect-profile.conf",
	};
	const char *src = getenv("RAMPART_SOURCE_DIR");
	char path[512];

	(void)state;
	assert_non_null(src);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct pol_set *s = NULL;

		snprintf(path, sizeof(path), "%s/examples/%s", src, files[i]);
		if (rp_conf_load(&cfg, path))
			fail_msg("%s: %s", files[i], cfg.err);
		if (pol_set_build(&cfg, POL_BUILD_NO_FILES, &s))
			fail_msg("%s: %s", files[i], cfg.err);
		assert_int_equal(s->n_profiles, 1);

		const struct pol_profile *p = &s->profiles[0];

		if (i == 0) {
			assert_string_equal(p->name, "certpro");
			assert_string_equal(p->group, "new_group");
			assert_int_equal(p->n_maps, 1);
			assert_int_equal(p->n_tps, 2);
			assert_string_equal(p->tp_names[1], "LaBcA");
		} else if (i == 2) {
			assert_int_equal(p->auth_remote, POL_AUTH_EAP);
			assert_true(p->eap_query_identity);
			assert_string_equal(p->aaa_eap_list, "eap-list");
		} else if (i == 4) {
			const struct pol_authz *a = p->authz;
			char buf[64];

			assert_non_null(a);
			assert_string_equal(a->name, "author-policy1");
			assert_string_equal(a->pool, "pool1");
			assert_int_equal(a->n_dns, 2);
			assert_string_equal(inet_ntop(AF_INET, a->dns[1], buf, sizeof(buf)), "10.1.1.2");
			assert_int_equal(a->n_wins, 2);
			assert_true(a->has_netmask);
			assert_int_equal(a->netmask_plen, 8);
			assert_string_equal(a->banner, "flexvpn server");
			assert_string_equal(a->config_url, "http://www.abc.com");
			assert_string_equal(a->config_version, "10");
			assert_string_equal(a->def_domain, "abc.com");
			assert_int_equal(a->n_split_dns, 3);
			assert_string_equal(a->split_dns[2], "dns3");
			assert_int_equal(a->n_backup_gw, 3);
			assert_true(a->pfs && a->include_local_lan && a->smartcard_removal_disconnect);
			assert_non_null(a->route_acl);
			assert_int_equal(a->route_acl->n, 2);
			assert_int_equal(a->n_interface_config, 2);
			assert_string_equal(a->interface_config[0], "ip mtu 1100");
			assert_int_equal(a->flow_limit, -1);
			assert_string_equal(a->dhcp_server, "192.168.4.1");
		} else if (i == 6) {
			assert_non_null(p->authz);
			assert_non_null(p->authz->route_acl6);
			assert_int_equal(p->authz->route_acl6->n, 2);
			assert_int_equal(p->authz->n_dns6, 2);
		} else if (i == 7) { /* crypto isakmp identity dn */
			assert_string_equal(p->name, "cert_pro");
			assert_int_equal(p->id_local, POL_IDL_DN);
			assert_int_equal(p->n_maps, 1);
			assert_string_equal(p->group, "");
		} else if (i == 8) {
			assert_string_equal(p->name, "certpro");
			assert_string_equal(p->maps[0]->name, "cert_map");
			assert_int_equal(p->n_tps, 2);
			assert_string_equal(p->group, "");
		} else if (i == 9) {
			assert_string_equal(p->ids[0].text, "key-id *$AnyConnectClient$*");
		}
		pol_set_free(s);
		rp_cfg_free(&cfg);
	}
}

static const char *const errors_base =
	"pki = { certificate_maps = (\n"                                     /* 1 */
	"  { name = \"m1\"; sequence = 10; rules = [ \"subject-name co ou = green\" ]; }\n"
	"); };\n";                                                           /* 3 */

static void test_semantic_errors(void **state)
{
	char text[2048];

	(void)state;
	/* unknown map, with the line of the offending element */
	snprintf(text, sizeof(text), "%sikev2 = { profiles = (\n"
		 "  { name = \"p\"; match = { certificate = [ \"nope\" ]; };\n"
		 "    authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };\n"
		 "    keyring = \"k\"; }\n"
		 "); keyrings = ( { name = \"k\"; peers = ( { name = \"a\"; address = \"10.0.0.0/8\";"
		 " pre_shared_key = \"x\"; } ); } ); };\n", errors_base);
	expect_error(text, "t.conf:5: setting 'ikev2.profiles.[0].match.certificate.[0]': "
		     "unknown certificate map 'nope'");

	/* a map used by two profiles */
	snprintf(text, sizeof(text), "%sikev2 = { profiles = (\n"
		 "  { name = \"a\"; match = { certificate = [ \"m1\" ]; };\n"
		 "    authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; }; keyring = \"k\"; },\n"
		 "  { name = \"b\"; match = { certificate = [ \"m1\" ]; };\n"
		 "    authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; }; keyring = \"k\"; }\n"
		 "); keyrings = ( { name = \"k\"; peers = ( { name = \"a\"; address = \"10.0.0.0/8\";"
		 " pre_shared_key = \"x\"; } ); } ); };\n", errors_base);
	expect_error(text, "t.conf:7: setting 'ikev2.profiles.[1].match.certificate.[0]': "
		     "certificate map 'm1' already belongs to profile 'a'");

	/* duplicate names */
	expect_error("access_lists = ( { name = \"x\"; prefixes = [ \"10.0.0.0/8\" ]; },\n"
		     "  { name = \"x\"; prefixes = [ \"10.0.0.0/8\" ]; } );\n",
		     "t.conf:2: setting 'access_lists.[1].name': access list 'x' is already defined "
		     "at line 1");
	snprintf(text, sizeof(text), "%s",
		 "pki = { certificate_maps = (\n"
		 "  { name = \"m\"; sequence = 10; rules = [ \"subject-name co a\" ]; },\n"
		 "  { name = \"m\"; sequence = 10; rules = [ \"issuer-name co b\" ]; } ); };\n");
	expect_error(text, "t.conf:3: setting 'pki.certificate_maps.[1].sequence': sequence 10 of "
		     "certificate map m is defined twice");
	/* a bad rule, at its own line */
	expect_error("pki = { certificate_maps = ( { name = \"m\"; sequence = 1; rules = [\n"
		     "  \"subject-name co ou = green\",\n"
		     "  \"subject-name co orgunit = green\" ]; } ); };\n",
		     "t.conf:3: setting 'pki.certificate_maps.[0].rules.[1]': value "
		     "'orgunit = green': unknown attribute type 'orgunit'");
	/* unknown trustpoint / keyring / authorization policy / access list / mangler */
	expect_error("ikev2 = { profiles = ( { name = \"p\"; match = { identity_remote = \"any\"; };\n"
		     "  authentication = { local = \"rsa-sig\"; remote = \"rsa-sig\"; };\n"
		     "  trustpoints = [ \"tp\" ]; } ); };\n",
		     "t.conf:3: setting 'ikev2.profiles.[0].trustpoints.[0]': unknown trustpoint 'tp'");
	expect_error("ikev2 = { profiles = ( { name = \"p\"; match = { identity_remote = \"any\"; };\n"
		     "  authentication = { local = \"pre-share\"; remote = \"pre-share\"; };\n"
		     "  keyring = \"kr\"; } ); };\n",
		     "t.conf:3: setting 'ikev2.profiles.[0].keyring': unknown keyring 'kr'");
	expect_error("ikev2 = { authorization_policies = ( { name = \"a\";\n"
		     "  route_set = { access_list = \"v6\"; }; } ); };\n"
		     "access_lists = ( { name = \"v6\"; family = \"ipv6\"; prefixes = \"2001:db8::/32\"; } );\n",
		     "t.conf:2: setting 'ikev2.authorization_policies.[0].route_set.access_list': "
		     "access list 'v6' is IPv6; access_list takes an IPv4 list");
	expect_error("ikev2 = { profiles = ( { name = \"p\"; match = { identity_remote = \"any\"; };\n"
		     "  authentication = { local = \"pre-share\"; remote = \"pre-share\"; };\n"
		     "  authorization_policy = \"ap\"; } ); };\n",
		     "unknown authorization policy 'ap'");
	expect_error("ikev2 = { profiles = ( { name = \"p\"; match = { identity_remote = \"any\"; };\n"
		     "  authentication = { local = \"pre-share\"; remote = \"pre-share\"; };\n"
		     "  aaa = { accounting = \"acct\"; }; } ); };\n",
		     "t.conf:3: setting 'ikev2.profiles.[0].aaa.accounting': no accounting list "
		     "'acct' in the aaa section");
	/* identity and method checks */
	expect_error("ikev2 = { profiles = ( { name = \"p\"; match = { identity_remote = \"fqdn\"; };\n"
		     "  authentication = { local = \"pre-share\"; remote = \"pre-share\"; }; } ); };\n",
		     "t.conf:1: setting 'ikev2.profiles.[0].match.identity_remote': expected \"any\"");
	expect_error("ikev2 = { profiles = ( { name = \"p\"; match = { };\n"
		     "  authentication = { local = \"pre-share\"; remote = \"pre-share\"; }; } ); };\n",
		     "a profile needs match.identity_remote or match.certificate");
	expect_error("ikev2 = { profiles = ( { name = \"p\"; match = { identity_remote = \"any\"; };\n"
		     "  authentication = { local = \"pre-share\"; remote = \"pre-share\"; }; } ); };\n",
		     "t.conf:2: setting 'ikev2.profiles.[0].authentication': pre-share authentication "
		     "needs a keyring");
	expect_error("ikev2 = { profiles = ( { name = \"p\"; match = { identity_remote = \"any\"; };\n"
		     "  authentication = { local = \"pre-share\"; remote = [ \"eap md5\" ]; }; } ); };\n",
		     "'eap md5': expected");
	expect_error("ikev2 = { profiles = ( { name = \"p\"; match = { identity_remote = \"any\"; };\n"
		     "  authentication = { local = \"pre-share\"; remote = [ \"eap\" ]; };\n"
		     "  keyring = \"k\"; } );\n"
		     "  keyrings = ( { name = \"k\"; peers = ( { name = \"a\"; address = \"10.0.0.0/8\";"
		     " pre_shared_key = \"x\"; } ); } ); };\n",
		     "with remote eap we must authenticate by certificate");
	expect_error("ikev2 = { profiles = ( { name = \"p\"; match = { identity_remote = [\n"
		     "  \"address 10.1.1.1/8\" ]; };\n"
		     "  authentication = { local = \"pre-share\"; remote = \"pre-share\"; }; } ); };\n",
		     "t.conf:2: setting 'ikev2.profiles.[0].match.identity_remote.[0]': "
		     "'10.1.1.1/8' has host bits set");
	/* cert authorization needs a user name or a mangler (reference 001) */
	snprintf(text, sizeof(text), "%sikev2 = { profiles = ( { name = \"p\";\n"
		 "  match = { certificate = \"m1\"; };\n"
		 "  authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; }; keyring = \"k\";\n"
		 "  aaa = { authorization_user = { methods = \"cert\"; list = \"l\"; }; }; } );\n"
		 "  keyrings = ( { name = \"k\"; peers = ( { name = \"a\"; address = \"10.0.0.0/8\";"
		 " pre_shared_key = \"x\"; } ); } ); };\n", errors_base);
	expect_error(text, "t.conf:7: setting 'ikev2.profiles.[0].aaa.authorization_user': "
		     "authorization for cert needs a username or a name_mangler");
	/* limits */
	expect_error("ikev2 = { authorization_policies = ( { name = \"a\"; split_dns = [ \"1\", \"2\","
		     " \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\", \"10\", \"11\" ]; } ); };\n",
		     "at most 10 split-dns names");
	expect_error("ikev2 = { authorization_policies = ( { name = \"a\"; session_lifetime = 60; } ); };\n",
		     "60 is out of range 120..25920000");
	expect_error("ikev2 = { authorization_policies = ( { name = \"a\"; ipsec_flow_limit = 50001; } ); };\n",
		     "50001 is out of range 0..50000");
	expect_error("ikev2 = { authorization_policies = ( { name = \"a\"; dns = [ \"1.1.1.1\", \"2.2.2.2\","
		     " \"3.3.3.3\" ]; } ); };\n", "at most 2 DNS servers");
	expect_error("ikev2 = { authorization_policies = ( { name = \"a\"; netmask = \"255.0.255.0\"; } ); };\n",
		     "'255.0.255.0' is not a contiguous IPv4 netmask");
	expect_error("pki = { trustpoints = ( { name = \"t\"; ca_certificates = \"/x\";\n"
		     "  revocation_check = [ \"ocsp\" ]; ocsp_url = \"https://ocsp.example\"; } ); };\n",
		     "t.conf:2: setting 'pki.trustpoints.[0].ocsp_url': only http:// responders are "
		     "supported");
	expect_error("pki = { trustpoints = ( { name = \"t\"; ca_certificates = \"/x\";\n"
		     "  revocation_check = [ \"ocsp\", \"none\" ];\n  crl_fetch = true; } ); };\n",
		     "t.conf:3: setting 'pki.trustpoints.[0].crl_fetch': crl_fetch without \"crl\" in "
		     "revocation_check");
	expect_error("pki = { trustpoints = ( { name = \"t\"; ca_certificates = \"/x\";\n"
		     "  revocation_check = [ \"ocsp\", \"crl\" ]; } ); };\n",
		     "t.conf:2: setting 'pki.trustpoints.[0].revocation_check': revocation check 'crl' "
		     "needs crl_files or crl_fetch = true");
	expect_error("pki = { trustpoints = ( { name = \"t\"; ca_certificates = \"/x\";\n"
		     "  revocation_check = [ \"crl\" ]; crl_fetch = true; fetch_timeout_ms = 10; } ); };\n",
		     "10 is out of range 100..60000");
	expect_error("pki = { trustpoints = ( { name = \"t\"; ca_certificates = \"/x\";\n"
		     "  revocation_check = [ \"ocsp\", \"ocsp\" ]; } ); };\n",
		     "'ocsp' is listed twice");
	expect_error("pki = { trustpoints = ( { name = \"t\"; ca_certificates = \"/x\";\n"
		     "  revocation_check = [ \"none\", \"crl\" ]; crl_files = \"/y\"; } ); };\n",
		     "'none' must come last");
	/* unknown settings are refused by the schema, with a suggestion */
	expect_error("ikev2 = { profiles = ( { name = \"p\"; matsh = { }; } ); };\n",
		     "unknown setting (did you mean 'match'?)");
	/* files are read unless told otherwise */
	struct pol_set *s;

	assert_int_not_equal(build("pki = { trustpoints = ( { name = \"t\";\n"
				   "  ca_certificates = \"/nonexistent/ca.pem\"; } ); };\n", 0, &s), 0);
	assert_non_null(strstr(cfg.err, "t.conf:1: setting 'pki.trustpoints.[0]': cannot open "
				"/nonexistent/ca.pem"));
	rp_cfg_free(&cfg);
}

static const char *const sel_conf =
	"pki = {\n"
	"  trustpoints = ( { name = \"tp\"; ca_certificates = \"/x\"; } );\n"
	"  certificate_maps = (\n"
	"    { name = \"m-green\"; sequence = 10; rules = [ \"subject-name co ou = green\" ]; },\n"
	"    { name = \"m-red\"; sequence = 10; rules = [ \"subject-name eq ou = red\",\n"
	"                                               \"issuer-name co blue-lab\" ]; } );\n"
	"};\n"
	"ikev2 = {\n"
	"  keyrings = ( { name = \"k\"; peers = ( { name = \"all\"; address = \"0.0.0.0/0\";\n"
	"                 pre_shared_key = \"x\"; } ); } );\n"
	"  authorization_policies = ( { name = \"ap\"; } );\n"
	"  profiles = (\n"
	"    { name = \"p-cert\"; match = { certificate = [ \"m-red\", \"m-green\" ]; };\n"
	"      authentication = { local = \"rsa-sig\"; remote = \"rsa-sig\"; }; trustpoints = \"tp\";\n"
	"      group = \"g-cert\"; },\n"
	"    { name = \"p-fqdn\"; match = { identity_remote = \"fqdn domain example.com\"; };\n"
	"      authentication = { local = \"rsa-sig\"; remote = \"rsa-sig\"; }; trustpoints = \"tp\";\n"
	"      authorization_policy = \"ap\"; },\n"
	"    { name = \"p-email\"; match = { identity_remote = [ \"email domain example.com\",\n"
	"      \"email boss@example.org\" ]; };\n"
	"      authentication = { local = \"pre-share\"; remote = \"pre-share\"; }; keyring = \"k\"; },\n"
	"    { name = \"p-keyid\"; match = { identity_remote = \"key-id *$AnyConnectClient$*\"; };\n"
	"      authentication = { local = \"rsa-sig\"; remote = \"eap\"; }; trustpoints = \"tp\"; },\n"
	"    { name = \"p-mask\"; match = { identity_remote = [ \"address 10.0.0.0 255.0.0.0\",\n"
	"      \"address 2001:db8::/32\" ]; };\n"
	"      authentication = { local = \"pre-share\"; remote = \"pre-share\"; }; keyring = \"k\"; },\n"
	"    { name = \"p-any-v4\"; match = { identity_remote = \"address 0.0.0.0\";\n"
	"      address_local = [ \"198.51.100.1\" ]; };\n"
	"      authentication = { local = \"pre-share\"; remote = \"pre-share\"; }; keyring = \"k\"; },\n"
	"    { name = \"p-first\"; match = { identity_remote = \"fqdn a.example.net\"; };\n"
	"      authentication = { local = \"pre-share\"; remote = \"pre-share\"; }; keyring = \"k\"; },\n"
	"    { name = \"p-second\"; match = { identity_remote = [ \"fqdn A.EXAMPLE.NET\" ]; };\n"
	"      authentication = { local = \"pre-share\"; remote = \"pre-share\"; }; keyring = \"k\"; }\n"
	"  );\n"
	"};\n";

static struct pol_set *sel;
static struct pol_result res;

static const char *pick(enum pol_id_type t, const char *id, const char *laddr, X509 *cert)
{
	struct pol_peer p = { .id_type = t, .cert = cert, .raddr_af = 4, .laddr_af = 4 };
	uint8_t bin[16];

	inet_pton(AF_INET, "192.0.2.2", p.raddr);
	inet_pton(AF_INET, laddr ? laddr : "198.51.100.1", p.laddr);
	if (t == POL_ID_IPV4 || t == POL_ID_IPV6) {
		inet_pton(t == POL_ID_IPV4 ? AF_INET : AF_INET6, id, bin);
		p.id = bin;
		p.id_len = t == POL_ID_IPV4 ? 4 : 16;
	} else {
		p.id = (const uint8_t *)id;
		p.id_len = strlen(id);
	}
	if (pol_select(sel, &p, &res))
		return NULL;
	return res.profile->name;
}

static X509 *leaf_with(const char *subject)
{
	EVP_PKEY *k = cg_key_ec();
	struct cg_opts o = { .subject = subject, .serial = 7 };
	X509 *x = cg_cert(&o, k, NULL, NULL);

	EVP_PKEY_free(k);
	return x;
}

static void test_selection(void **state)
{
	X509 *green = leaf_with("/C=IN/OU=green/CN=Router1.cisco.com");
	X509 *blue = leaf_with("/C=IN/OU=blue/CN=x");

	(void)state;
	assert_int_equal(build(sel_conf, POL_BUILD_NO_FILES, &sel), 0);

	/* the certificate map decides over the identity (which would give p-fqdn) */
	assert_string_equal(pick(POL_ID_FQDN, "host.example.com", NULL, green), "p-cert");
	assert_ptr_equal(res.map, pol_certmap_find(sel, "m-green"));
	assert_int_equal(res.map_seq, 10);
	assert_string_equal(res.group, "g-cert");
	assert_non_null(strstr(res.log, "certificate map m-green matches profile p-cert"));
	assert_non_null(strstr(res.log, "profile p-cert assigned peer the group named g-cert"));
	/* no map matches: back to the identity; the group is the authorization policy's name */
	assert_string_equal(pick(POL_ID_FQDN, "host.example.com", NULL, blue), "p-fqdn");
	assert_null(res.map);
	assert_string_equal(res.group, "ap");
	assert_ptr_equal(res.authz, pol_authz_find(sel, "ap"));
	assert_non_null(strstr(res.log, "identity fqdn host.example.com matches profile p-fqdn "
				"(match identity remote fqdn domain example.com)"));
	assert_string_equal(pick(POL_ID_FQDN, "EXAMPLE.com", NULL, NULL), "p-fqdn");
	assert_null(pick(POL_ID_FQDN, "badexample.com", NULL, NULL));
	/* e-mail, by domain or whole address */
	assert_string_equal(pick(POL_ID_EMAIL, "u@Example.COM", NULL, NULL), "p-email");
	assert_null(res.group);
	assert_string_equal(pick(POL_ID_EMAIL, "boss@example.org", NULL, NULL), "p-email");
	assert_null(pick(POL_ID_EMAIL, "u@example.com.evil", NULL, NULL));
	assert_null(pick(POL_ID_FQDN, "boss@example.org", NULL, NULL)); /* type matters */
	/* key-id with AnyConnect's wildcards */
	assert_string_equal(pick(POL_ID_KEY_ID, "*$AnyConnectClient$*", NULL, NULL), "p-keyid");
	assert_string_equal(pick(POL_ID_KEY_ID, "x$AnyConnectClient$", NULL, NULL), "p-keyid");
	assert_null(pick(POL_ID_KEY_ID, "AnyConnectClient", NULL, NULL));
	/* addresses: 10/8 before 0.0.0.0 (configuration order), IPv6 prefix */
	assert_string_equal(pick(POL_ID_IPV4, "10.9.8.7", NULL, NULL), "p-mask");
	assert_string_equal(pick(POL_ID_IPV6, "2001:db8:5::1", NULL, NULL), "p-mask");
	assert_string_equal(pick(POL_ID_IPV4, "192.0.2.77", NULL, NULL), "p-any-v4");
	assert_null(pick(POL_ID_IPV6, "2001:db9::1", NULL, NULL));
	/* match address local: the same peer on another of our addresses matches nothing */
	assert_null(pick(POL_ID_IPV4, "192.0.2.77", "203.0.113.1", NULL));
	assert_non_null(strstr(res.log, "matches *none* of the 8 profiles: refused"));
	/* overlapping profiles: the first wins, the overlap is reported */
	assert_string_equal(pick(POL_ID_FQDN, "a.example.net", NULL, NULL), "p-first");
	assert_non_null(strstr(res.log, "also matches profile p-second"));

	/* the profile's settings came through */
	const struct pol_profile *p = pol_profile_find(sel, "p-keyid");

	assert_int_equal(p->auth_local, POL_AUTH_RSA_SIG);
	assert_int_equal(p->auth_remote, POL_AUTH_EAP);
	assert_int_equal(p->lifetime, 86400);
	assert_false(p->has_lifetime); /* not configured: the ike section's applies */
	pol_set_free(sel);
	rp_cfg_free(&cfg);
	X509_free(green);
	X509_free(blue);
}

static void test_keyring(void **state)
{
	const char *text =
		"ikev2 = { keyrings = ( { name = \"kr\"; peers = (\n"
		"  { name = \"wide\"; address = \"10.0.0.0 255.0.0.0\"; pre_shared_key = \"w\"; },\n"
		"  { name = \"narrow\"; address = \"10.1.0.0/16\"; pre_shared_key_local = \"nl\";\n"
		"    pre_shared_key_remote = \"nr\"; },\n"
		"  { name = \"narrow2\"; address = \"10.1.0.0/16\"; pre_shared_key = \"n2\"; },\n"
		"  { name = \"host\"; address = \"10.1.2.3\"; pre_shared_key = \"h\"; },\n"
		"  { name = \"v6\"; address = \"2001:db8::/32\"; pre_shared_key = \"6\"; },\n"
		"  { name = \"byname\"; identity = \"fqdn Branch.Example.com\"; pre_shared_key = \"f\"; },\n"
		"  { name = \"byip\"; identity = \"address 192.0.2.9\"; pre_shared_key = \"i\"; },\n"
		"  { name = \"bykey\"; identity = \"key-id Group1\"; address = \"10.1.2.3\";\n"
		"    pre_shared_key = \"k\"; }\n"
		"); } ); };\n";
	struct pol_set *s;
	const struct pol_keyring *kr;
	const struct pol_keyring_peer *p;
	uint8_t a[16];
	char why[128];

	(void)state;
	assert_int_equal(build(text, POL_BUILD_NO_FILES, &s), 0);
	kr = pol_keyring_find(s, "kr");
	assert_non_null(kr);
#define V4(x) (inet_pton(AF_INET, x, a), a)
	p = pol_keyring_lookup(kr, POL_ID_NONE, NULL, 0, 4, V4("10.200.0.1"), why, sizeof(why));
	assert_string_equal(p->name, "wide");
	assert_memory_equal(p->psk_remote, "w", 1);
	/* longest prefix; among equals the first configured */
	p = pol_keyring_lookup(kr, POL_ID_NONE, NULL, 0, 4, V4("10.1.9.9"), why, sizeof(why));
	assert_string_equal(p->name, "narrow");
	assert_string_equal(why, "keyring kr: peer narrow by address /16");
	assert_int_equal(p->psk_local_len, 2);
	assert_memory_equal(p->psk_local, "nl", 2);
	assert_memory_equal(p->psk_remote, "nr", 2);
	p = pol_keyring_lookup(kr, POL_ID_NONE, NULL, 0, 4, V4("10.1.2.3"), NULL, 0);
	assert_string_equal(p->name, "host");
	/* identity first, whatever the address */
	p = pol_keyring_lookup(kr, POL_ID_FQDN, "branch.example.COM", 18, 4, V4("10.1.2.3"), why,
			       sizeof(why));
	assert_string_equal(p->name, "byname");
	assert_string_equal(why, "keyring kr: peer byname by identity");
	p = pol_keyring_lookup(kr, POL_ID_KEY_ID, "Group1", 6, 4, V4("172.16.0.1"), NULL, 0);
	assert_string_equal(p->name, "bykey");
	assert_null(pol_keyring_lookup(kr, POL_ID_KEY_ID, "group1", 6, 4, V4("172.16.0.1"), why,
				       sizeof(why)));  /* key-id is case-sensitive */
	assert_string_equal(why, "keyring kr: no peer for this identity or address");
	p = pol_keyring_lookup(kr, POL_ID_IPV4, V4("192.0.2.9"), 4, 4, V4("198.51.100.7"), NULL, 0);
	assert_string_equal(p->name, "byip");
	inet_pton(AF_INET6, "2001:db8::99", a);
	p = pol_keyring_lookup(kr, POL_ID_NONE, NULL, 0, 6, a, NULL, 0);
	assert_string_equal(p->name, "v6");
	assert_null(pol_keyring_lookup(kr, POL_ID_NONE, NULL, 0, 4, V4("192.0.2.1"), NULL, 0));
#undef V4
	pol_set_free(s);
	rp_cfg_free(&cfg);

	expect_error("ikev2 = { keyrings = ( { name = \"kr\"; peers = (\n"
		     "  { name = \"p\"; address = \"10.0.0.1\"; } ); } ); };\n",
		     "t.conf:2: setting 'ikev2.keyrings.[0].peers.[0]': a keyring peer needs a "
		     "pre-shared key");
	expect_error("ikev2 = { keyrings = ( { name = \"kr\"; peers = (\n"
		     "  { name = \"p\"; pre_shared_key = \"x\"; } ); } ); };\n",
		     "needs an address or an identity");
	expect_error("ikev2 = { keyrings = ( { name = \"kr\"; peers = (\n"
		     "  { name = \"p\"; identity = \"dn cn=x\"; pre_shared_key = \"x\"; } ); } ); };\n",
		     "unknown identity type 'dn'");
	expect_error("ikev2 = { keyrings = ( { name = \"kr\"; peers = (\n"
		     "  { name = \"p\"; address = \"1.1.1.1\"; pre_shared_key = \"x\"; pre_shared_key_local"
		     " = \"y\"; } ); } ); };\n", "pre_shared_key excludes");
}

/* The whole path on real files: map -> profile -> group -> trustpoint validation. */
static void test_end_to_end(void **state)
{
	char *dir = cg_tmpdir();
	EVP_PKEY *ck = cg_key_ec(), *sk = cg_key_rsa(), *lk = cg_key_ec();
	struct cg_opts cao = { .subject = "/C=IN/O=CISCO/CN=blue-lab CA", .serial = 1, .ca = true };
	struct cg_opts so = { .subject = "/CN=vpn.example", .serial = 2, .eku = "serverAuth" };
	struct cg_opts go = { .subject = "/C=IN/OU=green/CN=Router1.cisco.com", .serial = 0x21,
			      .eku = "clientAuth" };
	struct cg_opts ro = { .subject = "/C=IN/OU=green/CN=Router2.cisco.com", .serial = 0x22,
			      .eku = "clientAuth" };
	X509 *ca = cg_cert(&cao, ck, NULL, NULL), *srv = cg_cert(&so, sk, ca, ck);
	X509 *good = cg_cert(&go, lk, ca, ck), *bad = cg_cert(&ro, lk, ca, ck);
	long rev[] = { 0x22 };
	X509_CRL *crl = cg_crl(ca, ck, rev, 1, 86400);
	char text[4096];
	struct pol_set *s;

	(void)state;
	assert_int_equal(cg_write_cert(cg_path(dir, "ca.pem"), ca, false), 0);
	assert_int_equal(cg_write_cert(cg_path(dir, "srv.pem"), srv, false), 0);
	assert_int_equal(cg_write_key(cg_path(dir, "srv.key"), sk), 0);
	assert_int_equal(cg_write_crl(cg_path(dir, "ca.crl"), crl), 0);
	/* 2315: a CA that did not issue the peers, with a certificate of ours under it */
	EVP_PKEY *ok = cg_key_ec(), *s2k = cg_key_rsa();
	struct cg_opts oo = { .subject = "/CN=other CA", .serial = 1, .ca = true };
	struct cg_opts s2o = { .subject = "/CN=vpn2.example", .serial = 3, .eku = "serverAuth" };
	X509 *other = cg_cert(&oo, ok, NULL, NULL), *srv2 = cg_cert(&s2o, s2k, other, ok);
	static const char fmt[] =
		"pki = { trustpoints = (\n"
		"  { name = \"2315\"; ca_certificates = \"%s\"; certificate = \"%s\";\n"
		"    private_key = \"%s\"; },\n"
		"  { name = \"LaBcA\"; ca_certificates = \"%s\"; certificate = \"%s\";\n"
		"    private_key = \"%s\"; revocation_check = \"crl\"; crl_files = \"%s\";\n"
		"    require_client_auth_eku = true; } );\n"
		"  certificate_maps = ( { name = \"cert_map\"; sequence = 10;\n"
		"    rules = [ \"subject-name co ou = green\" ]; } ); };\n"
		"ikev2 = { profiles = ( { name = \"certpro\"; match = { certificate = \"cert_map\"; };\n"
		"  authentication = { local = \"rsa-sig\"; remote = \"rsa-sig\"; };\n"
		"  trustpoints = [ \"2315\", \"LaBcA\" ]; group = \"new_group\"; } ); };\n";

	assert_int_equal(cg_write_cert(cg_path(dir, "other.pem"), other, false), 0);
	assert_int_equal(cg_write_cert(cg_path(dir, "srv2.pem"), srv2, false), 0);
	assert_int_equal(cg_write_key(cg_path(dir, "srv2.key"), s2k), 0);
	/* a leaf where a CA belongs is refused when the files are read */
	snprintf(text, sizeof(text), fmt, cg_path(dir, "srv.pem"), cg_path(dir, "srv2.pem"),
		 cg_path(dir, "srv2.key"), cg_path(dir, "ca.pem"), cg_path(dir, "srv.pem"),
		 cg_path(dir, "srv.key"), cg_path(dir, "ca.crl"));
	assert_int_not_equal(build(text, 0, &s), 0);
	assert_non_null(strstr(cfg.err, "t.conf:2: setting 'pki.trustpoints.[0]': trustpoint 2315: "));
	assert_non_null(strstr(cfg.err, "is not a CA certificate"));
	rp_cfg_free(&cfg);
	snprintf(text, sizeof(text), fmt, cg_path(dir, "other.pem"), cg_path(dir, "srv2.pem"),
		 cg_path(dir, "srv2.key"), cg_path(dir, "ca.pem"), cg_path(dir, "srv.pem"),
		 cg_path(dir, "srv.key"), cg_path(dir, "ca.crl"));
	if (build(text, 0, &s))
		fail_msg("%s", cfg.err);

	struct pol_peer peer = { .id_type = POL_ID_FQDN, .id = (const uint8_t *)"Router1.cisco.com",
				 .id_len = 17, .cert = good };

	assert_int_equal(pol_select(s, &peer, &res), 0);
	assert_string_equal(res.profile->name, "certpro");
	assert_string_equal(res.group, "new_group");
	assert_int_equal(pol_validate_cert(res.profile, &peer, 0, &res), 0);
	assert_string_equal(pki_tp_name(res.tp), "LaBcA");
	assert_non_null(strstr(res.log, "certificate validation list of profile certpro: 2315, LaBcA"));
	assert_non_null(strstr(res.log, "trustpoint 2315 refuses the certificate"));
	assert_non_null(strstr(res.log, "certificate validity confirmed by trustpoint LaBcA"));

	/* our certificate: the trustpoint whose CA the peer's CERTREQ names, else the first */
	uint8_t req[40];

	assert_int_equal(pki_spki_sha1(ca, req + 20), 0);
	memset(req, 0x5a, 20);
	assert_string_equal(pki_tp_name(pol_local_trustpoint(res.profile, req, 40)), "LaBcA");
	assert_int_equal(pki_spki_sha1(other, req), 0);
	assert_string_equal(pki_tp_name(pol_local_trustpoint(res.profile, req, 40)), "2315");
	assert_string_equal(pki_tp_name(pol_local_trustpoint(res.profile, NULL, 0)), "2315");
	assert_string_equal(pki_tp_name(pol_local_trustpoint(res.profile, req + 20, 19)), "2315");

	/* revoked: selected by the map, refused by every trustpoint */
	peer.cert = bad;
	assert_int_equal(pol_select(s, &peer, &res), 0);
	assert_int_equal(pol_validate_cert(res.profile, &peer, 0, &res), -EACCES);
	assert_non_null(strstr(res.log, "trustpoint LaBcA refuses the certificate: certificate revoked"));
	pol_set_free(s);
	rp_cfg_free(&cfg);

	/* local ecdsa-sig with only an RSA certificate is a configuration error */
	snprintf(text, sizeof(text),
		 "pki = { trustpoints = ( { name = \"LaBcA\"; ca_certificates = \"%s\";\n"
		 "  certificate = \"%s\"; private_key = \"%s\"; } ); };\n"
		 "ikev2 = { profiles = ( { name = \"p\"; match = { identity_remote = \"any\"; };\n"
		 "  authentication = { local = \"ecdsa-sig\"; remote = \"rsa-sig\"; };\n"
		 "  trustpoints = \"LaBcA\"; } ); };\n",
		 cg_path(dir, "ca.pem"), cg_path(dir, "srv.pem"), cg_path(dir, "srv.key"));
	assert_int_not_equal(build(text, 0, &s), 0);
	assert_non_null(strstr(cfg.err, "t.conf:4: setting 'ikev2.profiles.[0].authentication': "
				"local ecdsa-sig: none of the trustpoints holds our certificate with an "
				"ECDSA key"));
	rp_cfg_free(&cfg);
	X509_free(ca);
	X509_free(srv);
	X509_free(good);
	X509_free(bad);
	X509_free(other);
	X509_free(srv2);
	EVP_PKEY_free(s2k);
	X509_CRL_free(crl);
	EVP_PKEY_free(ck);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(lk);
	EVP_PKEY_free(ok);
	cg_rmdir(dir);
}

/* "show profiles" / "show certificate-maps" renderings. */
static void test_show(void **state)
{
	struct pol_set *s;
	struct sbuf out;
	struct json_w jw;

	(void)state;
	assert_int_equal(build(sel_conf, POL_BUILD_NO_FILES, &s), 0);
	sbuf_init(&out, 1 << 20);
	assert_int_equal(pol_show_profiles(s, "p-cert", false, &out, NULL), 0);
	assert_string_equal(sbuf_str(&out),
			    "IKEv2 profile p-cert\n"
			    "  match certificate      m-red\n"
			    "  match certificate      m-green\n"
			    "  match address local    any\n"
			    "  authentication local   rsa-sig\n"
			    "  authentication remote  rsa-sig\n"
			    "  pki trustpoints        tp\n"
			    "  keyring                none\n"
			    "  lifetime               ike.lifetime\n"
			    "  dpd                    ike.dpd\n"
			    "  nat keepalive          ike.nat_keepalive\n"
			    "  proposal               any\n"
			    "  authorization policy   none\n"
			    "  group                  g-cert\n"
			    "  aaa accounting         none\n"
			    "  aaa authorization group none\n"
			    "  aaa authorization user none\n"
			    "  config-exchange        set send on, set accept on\n");
	sbuf_reset(&out);
	assert_int_equal(pol_show_profiles(s, "nope", false, &out, NULL), -ENOENT);
	sbuf_reset(&out);
	json_init(&jw, &out, false);
	assert_int_equal(pol_show_profiles(s, "p-keyid", true, &out, &jw), 0);
	assert_int_equal(json_finish(&jw), 0);
	assert_non_null(strstr(sbuf_str(&out), "\"identity_remote\":[\"key-id *$AnyConnectClient$*\"]"));
	assert_non_null(strstr(sbuf_str(&out), "\"remote\":[\"eap\"]"));
	sbuf_reset(&out);
	assert_int_equal(pol_show_certmaps(s, NULL, false, &out, NULL), 0);
	assert_string_equal(sbuf_str(&out),
			    "Certificate map m-green (profile p-cert)\n"
			    "  sequence 10\n"
			    "    subject-name co ou = green\n"
			    "Certificate map m-red (profile p-cert)\n"
			    "  sequence 10\n"
			    "    subject-name eq ou = red\n"
			    "    issuer-name co blue-lab\n");
	sbuf_reset(&out);
	json_init(&jw, &out, false);
	assert_int_equal(pol_show_certmaps(s, "m-green", true, &out, &jw), 0);
	assert_int_equal(json_finish(&jw), 0);
	assert_string_equal(sbuf_str(&out), "{\"certificate_maps\":[{\"name\":\"m-green\","
			    "\"profile\":\"p-cert\",\"sequences\":[{\"sequence\":10,\"rules\":"
			    "[\"subject-name co ou = green\"]}]}]}\n");
	sbuf_reset(&out);
	assert_int_equal(pol_show_certmaps(NULL, NULL, false, &out, NULL), 0);
	assert_string_equal(sbuf_str(&out), "No certificate maps are configured.\n");
	pol_set_free(s);
	rp_cfg_free(&cfg);

	/* every other profile setting: AAA lists, keyring aaa (its password only as "set"),
	 * virtual template, config exchange, EAP options, identity local, DPD, proposals */
	assert_int_equal(build(
		"pki = { trustpoints = ( { name = \"tp\"; ca_certificates = \"/x\"; } ); };\n"
		"aaa = { authorization = ( { name = \"psk-list\"; type = \"network\";\n"
		"  methods = [ \"local\" ]; } );\n"
		"  accounting = ( { name = \"acct\"; type = \"network\"; methods = [ \"group r\" ]; } ); };\n"
		"ike = { proposals = ( { name = \"strong\"; encryption = \"aes256gcm16\"; } ); };\n"
		"ikev2 = {\n"
		"  name_manglers = ( { name = \"mg\"; dn = \"common-name\"; } );\n"
		"  authorization_policies = ( { name = \"ap\"; } );\n"
		"  profiles = ( { name = \"full\"; match = { identity_remote = \"any\";\n"
		"      address_local = \"192.0.2.1\"; };\n"
		"    authentication = { local = \"rsa-sig\";\n"
		"      remote = [ \"eap query-identity timeout 60\", \"pre-share\" ]; };\n"
		"    trustpoints = \"tp\"; keyring_aaa = { list = \"psk-list\"; name_mangler = \"mg\";\n"
		"      password = \"s3cret\"; };\n"
		"    identity_local = \"fqdn vpn.example.test\"; lifetime = 3600;\n"
		"    dpd = { interval = 30; retry = 5; mode = \"periodic\"; }; nat_keepalive = 20;\n"
		"    proposals = \"strong\"; authorization_policy = \"ap\"; group = \"grp\";\n"
		"    aaa = { authentication_eap = \"eap-list\"; accounting = \"acct\";\n"
		"      authorization_group = { methods = [ \"cert\", \"eap\" ]; list = \"local\";\n"
		"        username = \"ap\"; override = true; };\n"
		"      authorization_user = { methods = \"eap\"; cached = true; }; };\n"
		"    virtual_template = 7; config_exchange = { set_send = false; }; } );\n"
		"};\n", POL_BUILD_NO_FILES, &s), 0);
	sbuf_reset(&out);
	assert_int_equal(pol_show_profiles(s, NULL, false, &out, NULL), 0);
	assert_string_equal(sbuf_str(&out),
			    "IKEv2 profile full\n"
			    "  match identity remote  any\n"
			    "  match address local    192.0.2.1/32\n"
			    "  authentication local   rsa-sig\n"
			    "  authentication remote  pre-share\n"
			    "  authentication remote  eap query-identity timeout 60\n"
			    "  pki trustpoints        tp\n"
			    "  keyring                none\n"
			    "  keyring aaa            list psk-list, name-mangler mg, password set\n"
			    "  identity local         fqdn vpn.example.test\n"
			    "  lifetime               3600 seconds\n"
			    "  dpd                    30 seconds, retry 5 seconds, periodic\n"
			    "  nat keepalive          20 seconds\n"
			    "  proposal               strong\n"
			    "  authorization policy   ap\n"
			    "  group                  grp\n"
			    "  aaa authentication eap eap-list\n"
			    "  aaa accounting         acct\n"
			    "  aaa authorization group cert eap list local username ap override\n"
			    "  aaa authorization user eap cached\n"
			    "  virtual-template       7\n"
			    "  config-exchange        set send off, set accept on\n");
	assert_null(strstr(sbuf_str(&out), "s3cret"));
	sbuf_reset(&out);
	json_init(&jw, &out, false);
	assert_int_equal(pol_show_profiles(s, "full", true, &out, &jw), 0);
	assert_int_equal(json_finish(&jw), 0);
	assert_null(strstr(sbuf_str(&out), "s3cret"));
	assert_non_null(strstr(sbuf_str(&out), "\"keyring_aaa\":{\"list\":\"psk-list\","
			       "\"name_mangler\":\"mg\",\"password_set\":true}"));
	assert_non_null(strstr(sbuf_str(&out), "\"aaa\":{\"authentication_eap\":\"eap-list\","
			       "\"accounting\":\"acct\",\"authorization_group\":{\"methods\":"
			       "[\"cert\",\"eap\"],\"list\":\"local\",\"username\":\"ap\","
			       "\"name_mangler\":null,\"override\":true},\"authorization_user\":"
			       "{\"methods\":[\"eap\"],\"list\":null,\"username\":null,"
			       "\"name_mangler\":null,\"cached\":true}},\"virtual_template\":7,"
			       "\"config_exchange\":{\"set_send\":false,\"set_accept\":true}}"));
	assert_non_null(strstr(sbuf_str(&out), "\"identity_local\":\"fqdn vpn.example.test\""));
	assert_non_null(strstr(sbuf_str(&out), "\"proposals\":[\"strong\"]"));
	sbuf_free(&out);
	pol_set_free(s);
	rp_cfg_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_semantic_errors),
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_keyring),
		cmocka_unit_test(test_end_to_end),
		cmocka_unit_test(test_show),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
