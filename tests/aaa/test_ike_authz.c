/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * rampartd's IKEv2 authorization backend (controlplane/ike/ike_authz_aaa.c) on a policy
 * model built from configuration text: cached EAP authorization from an Access-Accept
 * (Framed-IP-Address, AV-pairs merged over the profile's policy), local user and group
 * lists named through name manglers from a certificate DN / an FQDN / the EAP identity,
 * group override, the refusals (no policy of the derived name, an identity the mangler
 * cannot use), and profiles without authorization (nothing changes).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "common/conf.h"
#include "controlplane/aaa/authz.h"
#include "controlplane/aaa/radius.h"
#include "controlplane/ike/ike_authz_aaa.h"
#include "controlplane/ike/ike_proto.h"

static struct rp_cfg cfg;
static struct pol_set *set;
static struct ike_authz_backend be;
static struct ike_authz_aaa *x;
static uint8_t dgram[RADIUS_MAX_LEN];

static const char text[] =
	"pki = { trustpoints = ( { name = \"tp\"; ca_certificates = [ \"/nonexistent.pem\" ]; } ); };\n"
	"ikev2 = {\n"
	"  authorization_policies = (\n"
	"    { name = \"base\"; dns = [ \"198.51.100.99\" ]; def_domain = \"base.example\"; },\n"
	"    { name = \"alice\"; dns = [ \"198.51.100.1\" ]; banner = \"alice's\"; },\n"
	"    { name = \"example.com\"; dns = [ \"198.51.100.2\" ]; banner = \"group's\";\n"
	"      def_domain = \"grp.example\"; },\n"
	"    { name = \"vpn\"; wins = [ \"198.51.100.3\" ]; }\n"
	"  );\n"
	"  name_manglers = (\n"
	"    { name = \"cn\"; dn = \"common-name\"; },\n"
	"    { name = \"dom\"; dn = \"domain\"; fqdn = \"domain\"; },\n"
	"    { name = \"host\"; fqdn = \"hostname\"; eap = { prefix = \"@\"; }; }\n"
	"  );\n"
	"  profiles = (\n"
	"    { name = \"eap\"; match = { identity_remote = [ \"fqdn domain eap.test\" ]; };\n"
	"      authentication = { local = \"rsa-sig\"; remote = [ \"eap\" ]; }; trustpoints = [ \"tp\" ];\n"
	"      authorization_policy = \"base\";\n"
	"      aaa = { authorization_user = { methods = [ \"eap\" ]; cached = true; }; }; },\n"
	"    { name = \"cert\"; match = { identity_remote = [ \"fqdn domain cert.test\" ]; };\n"
	"      authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; }; keyring = \"kr\";\n"
	"      authorization_policy = \"base\";\n"
	"      aaa = { authorization_user = { methods = [ \"cert\" ]; list = \"local\";\n"
	"                                     name_mangler = \"cn\"; };\n"
	"              authorization_group = { methods = [ \"cert\" ]; list = \"local\";\n"
	"                                      name_mangler = \"dom\"; }; }; },\n"
	"    { name = \"over\"; match = { identity_remote = [ \"fqdn domain over.test\" ]; };\n"
	"      authentication = { local = \"rsa-sig\"; remote = [ \"pre-share\", \"eap\" ]; };\n"
	"      keyring = \"kr\"; trustpoints = [ \"tp\" ]; authorization_policy = \"base\";\n"
	"      aaa = { authorization_user = { methods = [ \"eap\", \"psk\" ]; list = \"local\";\n"
	"                                     name_mangler = \"host\"; };\n"
	"              authorization_group = { methods = [ \"psk\", \"eap\" ]; list = \"local\";\n"
	"                                      name_mangler = \"dom\"; override = true; }; }; },\n"
	"    { name = \"both\"; match = { identity_remote = [ \"fqdn domain both.test\" ]; };\n"
	"      authentication = { local = \"rsa-sig\"; remote = [ \"eap\" ]; }; trustpoints = [ \"tp\" ];\n"
	"      authorization_policy = \"base\";\n"
	"      aaa = { authorization_user = { methods = [ \"eap\" ]; cached = true; list = \"local\";\n"
	"                                     name_mangler = \"host\"; }; }; },\n"
	"    { name = \"rad\"; match = { identity_remote = [ \"fqdn domain rad.test\" ]; };\n"
	"      authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };\n"
	"      keyring = \"kr\"; authorization_policy = \"base\";\n"
	"      aaa = { authorization_group = { methods = [ \"psk\" ]; list = \"nolist\";\n"
	"                                      name_mangler = \"dom\"; }; }; },\n"
	"    { name = \"plain\"; match = { identity_remote = [ \"any\" ]; };\n"
	"      authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };\n"
	"      keyring = \"kr\"; authorization_policy = \"base\"; }\n"
	"  );\n"
	"  keyrings = ( { name = \"kr\"; peers = ( { name = \"p\"; address = \"0.0.0.0/0\";\n"
	"                 pre_shared_key = \"x\"; } ); } );\n"
	"};\n";

static int setup(void **state)
{
	(void)state;
	if (rp_cfg_load_string(&cfg, "t.conf", text, rp_conf_schema))
		fail_msg("%s", cfg.err);
	if (pol_set_build(&cfg, POL_BUILD_NO_FILES, &set))
		fail_msg("%s", cfg.err);
	assert_int_equal(ike_authz_aaa_create(NULL, &cfg, &set, &x), 0);
	ike_authz_aaa_backend(x, &be);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ike_authz_aaa_destroy(x);
	pol_set_free(set);
	rp_cfg_free(&cfg);
	return 0;
}

/* The backend's answer when it needs no server (every case here). */
static int az(const struct ike_authz_query *q, struct ike_authz_out *o)
{
	void *h = NULL;
	int rc = be.authorize(be.arg, q, o, NULL, NULL, &h);

	assert_null(h);
	return rc;
}

static struct ike_authz_query query(const char *profile, uint8_t id_type, const void *id,
				    size_t id_len)
{
	const struct pol_profile *p = pol_profile_find(set, profile);

	assert_non_null(p);
	return (struct ike_authz_query){ .profile = p, .authz = p->authz, .id_type = id_type,
					 .id = id, .id_len = id_len, .method = IKE_AUTH_RSA_SIG };
}

static void release(struct ike_authz_out *o)
{
	if (o->release)
		o->release(o->owned);
	memset(o, 0, sizeof(*o));
}

static void test_cached(void **state)
{
	static const uint8_t ra[16] = { 1 }, fip[4] = { 198, 18, 200, 177 };
	struct ike_authz_query q = query("eap", IKE_ID_FQDN, "x.eap.test", 10);
	struct ike_authz_out o = { 0 };
	struct radius_bld b;
	size_t len;

	(void)state;
	radius_bld_init(&b, dgram, sizeof(dgram), RADIUS_ACCESS_ACCEPT, 1, ra, true);
	assert_true(radius_bld_attr(&b, RADIUS_A_FRAMED_IP_ADDRESS, fip, 4));
	assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
				   "ipsec:dns-servers=198.18.1.53", 29));
	len = radius_bld_finish(&b, "s", 1);
	assert_true(len > 0);
	q.method = 0;
	q.eap = true;
	q.eap_id = (const uint8_t *)"azuser";
	q.eap_id_len = 6;
	q.accept = dgram;
	q.accept_len = len;
	assert_int_equal(az(&q, &o), 0);
	assert_non_null(o.authz);
	assert_true(o.has_framed4);
	assert_memory_equal(o.framed4, fip, 4);
	assert_int_equal(o.authz->n_dns, 1);
	assert_int_equal(o.authz->dns[0][0], 198);
	assert_int_equal(o.authz->dns[0][3], 53);
	assert_string_equal(o.authz->def_domain, "base.example");   /* the profile's policy */
	assert_string_equal(o.authz->name, "base+aaa");
	release(&o);
	/* no Access-Accept kept: an empty cached source, the profile's policy stays */
	q.accept = NULL;
	q.accept_len = 0;
	assert_int_equal(az(&q, &o), 0);
	assert_null(o.authz);
	assert_false(o.has_framed4);
	/* a certificate peer of this profile: cached applies to EAP only */
	q = query("eap", IKE_ID_FQDN, "x.eap.test", 10);
	assert_int_equal(az(&q, &o), 0);
	assert_null(o.authz);
}

static size_t make_dn(uint8_t *out, size_t cap)
{
	X509_NAME *n = X509_NAME_new();
	unsigned char *p = out;
	int len;

	X509_NAME_add_entry_by_txt(n, "DC", MBSTRING_ASC, (const unsigned char *)"example", -1,
				   -1, 0);
	X509_NAME_add_entry_by_txt(n, "DC", MBSTRING_ASC, (const unsigned char *)"com", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"alice", -1, -1,
				   0);
	len = i2d_X509_NAME(n, NULL);
	assert_true(len > 0 && (size_t)len <= cap);
	i2d_X509_NAME(n, &p);
	X509_NAME_free(n);
	return (size_t)len;
}

/* The reference's certificate examples: user by `dn common-name`, group by `dn domain`. */
static void test_cert_local(void **state)
{
	uint8_t der[256];
	size_t n = make_dn(der, sizeof(der));
	struct ike_authz_query q = query("cert", IKE_ID_DER_ASN1_DN, der, n);
	struct ike_authz_out o = { 0 };

	(void)state;
	/* DER order DC=example, DC=com, CN=alice reads cn=alice,dc=com,dc=example: the group
	 * name is "com.example", for which there is no local policy: refused */
	assert_int_equal(az(&q, &o), -EACCES);
	assert_null(o.authz);
	/* DC=com, DC=example (the usual order) gives "example.com", which exists */
	{
		X509_NAME *nm = X509_NAME_new();
		unsigned char *p = der;

		X509_NAME_add_entry_by_txt(nm, "DC", MBSTRING_ASC, (const unsigned char *)"com", -1,
					   -1, 0);
		X509_NAME_add_entry_by_txt(nm, "DC", MBSTRING_ASC, (const unsigned char *)"example",
					   -1, -1, 0);
		X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"alice", -1,
					   -1, 0);
		n = (size_t)i2d_X509_NAME(nm, &p);
		X509_NAME_free(nm);
	}
	q = query("cert", IKE_ID_DER_ASN1_DN, der, n);
	assert_int_equal(az(&q, &o), 0);
	assert_non_null(o.authz);
	/* user (alice) over group (example.com) over the profile's (base) */
	assert_int_equal(o.authz->dns[0][3], 1);
	assert_string_equal(o.authz->banner, "alice's");
	assert_string_equal(o.authz->def_domain, "grp.example");
	assert_false(o.has_framed4);
	release(&o);
	/* an FQDN peer: the cn mangler has no fqdn rule -> refused */
	q = query("cert", IKE_ID_FQDN, "h.cert.test", 11);
	assert_int_equal(az(&q, &o), -EACCES);
	assert_null(o.authz);
}

/* override: group over user; the EAP identity through `eap prefix @`; PSK peers by FQDN. */
static void test_override(void **state)
{
	struct ike_authz_query q = query("over", IKE_ID_FQDN, "vpn.example.com", 15);
	struct ike_authz_out o = { 0 };

	(void)state;
	q.method = IKE_AUTH_PSK;
	/* user "vpn" (fqdn hostname), group "example.com" (fqdn domain), group wins */
	assert_int_equal(az(&q, &o), 0);
	assert_non_null(o.authz);
	assert_int_equal(o.authz->n_wins, 1);                /* only the user policy has it */
	assert_int_equal(o.authz->dns[0][3], 2);             /* the group's */
	assert_string_equal(o.authz->banner, "group's");
	release(&o);
	/* EAP: the user name is the EAP identity's prefix; the group is from the IKE identity */
	q.method = 0;
	q.eap = true;
	q.eap_id = (const uint8_t *)"alice@corp";
	q.eap_id_len = 10;
	assert_int_equal(az(&q, &o), 0);
	assert_non_null(o.authz);
	assert_int_equal(o.authz->n_wins, 0);                /* user alice, not vpn */
	assert_string_equal(o.authz->banner, "group's");
	release(&o);
	/* an EAP identity without a local policy of its prefix: refused */
	q.eap_id = (const uint8_t *)"mallory@corp";
	q.eap_id_len = 12;
	assert_int_equal(az(&q, &o), -EACCES);
}

/* A RADIUS list that the aaa section does not define: refused, nothing pending; a name
 * the mangler cannot derive: refused before any request. */
static void test_radius_list_unusable(void **state)
{
	struct ike_authz_query q = query("rad", IKE_ID_FQDN, "h.rad.test", 10);
	struct ike_authz_out o = { 0 };

	(void)state;
	q.method = IKE_AUTH_PSK;
	assert_int_equal(az(&q, &o), -EACCES);
	assert_null(o.authz);
	q = query("rad", IKE_ID_FQDN, "radtest", 7);   /* no domain part */
	q.method = IKE_AUTH_PSK;
	assert_int_equal(az(&q, &o), -EACCES);
}

/* `cached` with a list: the list is asked only when the Access-Accept gave no
 * Framed-IP-Address; then user over cached. */
static void test_cached_then_explicit(void **state)
{
	static const uint8_t ra[16] = { 2 }, fip[4] = { 198, 18, 200, 178 };
	struct ike_authz_query q = query("both", IKE_ID_FQDN, "c.both.test", 11);
	struct ike_authz_out o = { 0 };
	struct radius_bld b;
	size_t len;

	(void)state;
	q.method = 0;
	q.eap = true;
	q.eap_id = (const uint8_t *)"alice@corp";   /* prefix @: local policy "alice" */
	q.eap_id_len = 10;
	/* with a Framed-IP-Address: the cached attributes alone */
	radius_bld_init(&b, dgram, sizeof(dgram), RADIUS_ACCESS_ACCEPT, 1, ra, true);
	assert_true(radius_bld_attr(&b, RADIUS_A_FRAMED_IP_ADDRESS, fip, 4));
	assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
				   "ipsec:banner=cached", 19));
	len = radius_bld_finish(&b, "s", 1);
	q.accept = dgram;
	q.accept_len = len;
	assert_int_equal(az(&q, &o), 0);
	assert_non_null(o.authz);
	assert_true(o.has_framed4);
	assert_string_equal(o.authz->banner, "cached");
	assert_int_equal(o.authz->dns[0][3], 99);            /* base */
	release(&o);
	/* without: the local user policy "alice" is asked and wins over cached */
	radius_bld_init(&b, dgram, sizeof(dgram), RADIUS_ACCESS_ACCEPT, 1, ra, true);
	assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
				   "ipsec:banner=cached", 19));
	assert_true(radius_bld_vsa(&b, RADIUS_VENDOR_CISCO, RADIUS_V_CISCO_AVPAIR,
				   "ipsec:default-domain=cached.example", 35));
	q.accept_len = radius_bld_finish(&b, "s", 1);
	assert_int_equal(az(&q, &o), 0);
	assert_non_null(o.authz);
	assert_false(o.has_framed4);
	assert_string_equal(o.authz->banner, "alice's");          /* user over cached */
	assert_int_equal(o.authz->dns[0][3], 1);                  /* user */
	assert_string_equal(o.authz->def_domain, "cached.example"); /* cached over base */
	release(&o);
}

static void test_no_authorization(void **state)
{
	struct ike_authz_query q = query("plain", IKE_ID_FQDN, "a.b", 3);
	struct ike_authz_out o = { 0 };

	(void)state;
	q.method = IKE_AUTH_PSK;
	assert_int_equal(az(&q, &o), 0);
	assert_null(o.authz);
	assert_null(o.owned);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cached),
		cmocka_unit_test(test_cert_local),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_cached_then_explicit),
		cmocka_unit_test(test_radius_list_unusable),
		cmocka_unit_test(test_no_authorization),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
