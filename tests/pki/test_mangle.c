/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Name manglers (controlplane/policy/mangle.c): one table of identity -> rule -> expected
 * user name or refusal, covering every rule of IOS `crypto ikev2 name-mangler`, and the odd
 * inputs a peer can send (no delimiter, empty parts, bytes that are not text, DER that is
 * not a Name, multi-valued RDNs, repeated attributes). DN identities are DER made here with
 * OpenSSL's X509_NAME, as a peer's ID_DER_ASN1_DN payload carries them.
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
#include <libconfig.h>
#include <openssl/x509.h>

#include "common/conf.h"
#include "controlplane/policy/mangle.h"
#include "controlplane/policy/policy.h"

/* A DN from "type=value" items; a leading '+' joins the previous RDN (multi-valued). */
static size_t make_dn(const char *const *items, uint8_t *out, size_t cap)
{
	X509_NAME *n = X509_NAME_new();
	unsigned char *p = out;
	int len;

	assert_non_null(n);
	for (; *items; items++) {
		const char *it = *items;
		int set = 0;
		char type[32];
		const char *eq;

		if (*it == '+') {
			set = -1;
			it++;
		}
		eq = strchr(it, '=');
		assert_non_null(eq);
		snprintf(type, sizeof(type), "%.*s", (int)(eq - it), it);
		assert_int_equal(X509_NAME_add_entry_by_txt(n, type, V_ASN1_UTF8STRING,
							    (const unsigned char *)eq + 1, -1,
							    -1, set), 1);
	}
	len = i2d_X509_NAME(n, NULL);
	assert_true(len > 0 && (size_t)len <= cap);
	i2d_X509_NAME(n, &p);
	X509_NAME_free(n);
	return (size_t)len;
}

struct row {
	const char *what;
	struct pol_mangler m;
	int id_type;
	const char *id;              /* text identity (FQDN, e-mail, key-id) */
	const char *const *dn;       /* or a DN to encode */
	const char *eap;             /* EAP identity, or NULL */
	int rc;                      /* > 0: expect this name; else the error */
	const char *name;            /* expected name, or a substring of the reason */
};

#define M(...) ((struct pol_mangler){ .name = "m", __VA_ARGS__ })
#define DN(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define OK 1

static const struct row rows[] = {
	/* dn FIELD on a certificate subject (C=US,O=Example,OU=green,CN=alice in DER order) */
	{ "dn cn", M(.dn = POL_MANGLE_DN_COMMON_NAME), POL_ID_DN, NULL,
	  DN("C=US", "ST=CA", "L=San Jose", "O=Example", "OU=green", "CN=alice"), NULL, OK,
	  "alice" },
	{ "dn country", M(.dn = POL_MANGLE_DN_COUNTRY), POL_ID_DN, NULL,
	  DN("C=US", "O=Example", "CN=alice"), NULL, OK, "US" },
	{ "dn state", M(.dn = POL_MANGLE_DN_STATE), POL_ID_DN, NULL,
	  DN("C=US", "ST=CA", "CN=alice"), NULL, OK, "CA" },
	{ "dn locality", M(.dn = POL_MANGLE_DN_LOCALITY), POL_ID_DN, NULL,
	  DN("C=US", "L=San Jose", "CN=alice"), NULL, OK, "San Jose" },
	{ "dn organization", M(.dn = POL_MANGLE_DN_ORGANIZATION), POL_ID_DN, NULL,
	  DN("C=US", "O=Example Corp", "CN=alice"), NULL, OK, "Example Corp" },
	{ "dn ou", M(.dn = POL_MANGLE_DN_ORGANIZATION_UNIT), POL_ID_DN, NULL,
	  DN("O=Example", "OU=green", "CN=alice"), NULL, OK, "green" },
	/* two OUs: the most specific (last in DER, first in RFC 4514) */
	{ "dn ou repeated", M(.dn = POL_MANGLE_DN_ORGANIZATION_UNIT), POL_ID_DN, NULL,
	  DN("O=Example", "OU=dept", "OU=team", "CN=alice"), NULL, OK, "team" },
	/* multi-valued RDN: cn=alice+uid=a1 */
	{ "dn cn in multi-valued RDN", M(.dn = POL_MANGLE_DN_COMMON_NAME), POL_ID_DN, NULL,
	  DN("O=Example", "UID=a1", "+CN=alice"), NULL, OK, "alice" },
	{ "dn domain from dc", M(.dn = POL_MANGLE_DN_DOMAIN), POL_ID_DN, NULL,
	  DN("DC=com", "DC=example", "DC=vpn", "CN=alice"), NULL, OK, "vpn.example.com" },
	{ "dn domain absent", M(.dn = POL_MANGLE_DN_DOMAIN), POL_ID_DN, NULL,
	  DN("O=Example", "CN=alice"), NULL, -EINVAL, "no domain (dc)" },
	{ "dn field absent", M(.dn = POL_MANGLE_DN_STATE), POL_ID_DN, NULL,
	  DN("O=Example", "CN=alice"), NULL, -EINVAL, "the DN has no state" },
	{ "dn non-ASCII UTF-8", M(.dn = POL_MANGLE_DN_COMMON_NAME), POL_ID_DN, NULL,
	  DN("CN=J\xc3\xbcrgen"), NULL, OK, "J\xc3\xbcrgen" },
	{ "dn empty value", M(.dn = POL_MANGLE_DN_COMMON_NAME), POL_ID_DN, NULL,
	  DN("O=Example", "CN="), NULL, -EINVAL, "common-name is empty" },
	{ "dn control character", M(.dn = POL_MANGLE_DN_COMMON_NAME), POL_ID_DN, NULL,
	  DN("CN=al\nice"), NULL, -EINVAL, "control character" },
	{ "dn without dn rule", M(.email = POL_MANGLE_PART_ALL), POL_ID_DN, NULL,
	  DN("CN=alice"), NULL, -ENOENT, "no dn rule" },
	/* email */
	{ "email all", M(.email = POL_MANGLE_PART_ALL), POL_ID_EMAIL, "alice@example.com", NULL,
	  NULL, OK, "alice@example.com" },
	{ "email username", M(.email = POL_MANGLE_PART_LOCAL), POL_ID_EMAIL, "alice@example.com",
	  NULL, NULL, OK, "alice" },
	{ "email domain", M(.email = POL_MANGLE_PART_DOMAIN), POL_ID_EMAIL, "alice@example.com",
	  NULL, NULL, OK, "example.com" },
	/* a quoted local part with '@': split at the last '@' */
	{ "email two @", M(.email = POL_MANGLE_PART_LOCAL), POL_ID_EMAIL,
	  "\"a@b\"@example.com", NULL, NULL, OK, "\"a@b\"" },
	{ "email no @", M(.email = POL_MANGLE_PART_LOCAL), POL_ID_EMAIL, "alice", NULL, NULL,
	  -EINVAL, "no '@'" },
	{ "email no @ all", M(.email = POL_MANGLE_PART_ALL), POL_ID_EMAIL, "alice", NULL, NULL,
	  OK, "alice" },
	{ "email empty user", M(.email = POL_MANGLE_PART_LOCAL), POL_ID_EMAIL, "@example.com",
	  NULL, NULL, -EINVAL, "user name is empty" },
	{ "email empty domain", M(.email = POL_MANGLE_PART_DOMAIN), POL_ID_EMAIL, "alice@",
	  NULL, NULL, -EINVAL, "domain is empty" },
	{ "email invalid UTF-8", M(.email = POL_MANGLE_PART_LOCAL), POL_ID_EMAIL,
	  "al\xff@example.com", NULL, NULL, -EINVAL, "not valid UTF-8" },
	{ "email without email rule", M(.fqdn = POL_MANGLE_PART_ALL), POL_ID_EMAIL, "a@b", NULL,
	  NULL, -ENOENT, "no email rule" },
	/* fqdn */
	{ "fqdn all", M(.fqdn = POL_MANGLE_PART_ALL), POL_ID_FQDN, "host1.vpn.example.com",
	  NULL, NULL, OK, "host1.vpn.example.com" },
	{ "fqdn hostname", M(.fqdn = POL_MANGLE_PART_LOCAL), POL_ID_FQDN,
	  "host1.vpn.example.com", NULL, NULL, OK, "host1" },
	{ "fqdn domain", M(.fqdn = POL_MANGLE_PART_DOMAIN), POL_ID_FQDN,
	  "host1.vpn.example.com", NULL, NULL, OK, "vpn.example.com" },
	{ "fqdn absolute", M(.fqdn = POL_MANGLE_PART_DOMAIN), POL_ID_FQDN, "host1.example.com.",
	  NULL, NULL, OK, "example.com" },
	{ "fqdn single label hostname", M(.fqdn = POL_MANGLE_PART_LOCAL), POL_ID_FQDN, "host1",
	  NULL, NULL, OK, "host1" },
	{ "fqdn single label domain", M(.fqdn = POL_MANGLE_PART_DOMAIN), POL_ID_FQDN, "host1",
	  NULL, NULL, -EINVAL, "no domain" },
	{ "fqdn leading dot", M(.fqdn = POL_MANGLE_PART_LOCAL), POL_ID_FQDN, ".example.com",
	  NULL, NULL, -EINVAL, "host name is empty" },
	{ "fqdn trailing dots", M(.fqdn = POL_MANGLE_PART_DOMAIN), POL_ID_FQDN, "host1..",
	  NULL, NULL, -EINVAL, "domain is empty" },
	/* identities that cannot be mangled */
	{ "key-id", M(.fqdn = POL_MANGLE_PART_ALL, .email = POL_MANGLE_PART_ALL),
	  POL_ID_KEY_ID, "abc", NULL, NULL, -ENOENT, "key-id identity cannot be mangled" },
	{ "address", M(.fqdn = POL_MANGLE_PART_ALL), POL_ID_IPV4, "\xc0\x00\x02\x01", NULL, NULL,
	  -ENOENT, "address identity cannot be mangled" },
	/* eap: used when there is an EAP identity, whatever the IKE identity */
	{ "eap all", M(.eap = POL_MANGLE_EAP_ALL, .fqdn = POL_MANGLE_PART_LOCAL), POL_ID_FQDN,
	  "client.example.com", NULL, "alice@corp", OK, "alice@corp" },
	{ "eap prefix @", M(.eap = POL_MANGLE_EAP_PREFIX, .eap_delim = '@'), POL_ID_IPV4,
	  "\xc0\x00\x02\x01", NULL, "alice@corp.example", OK, "alice" },
	{ "eap suffix @", M(.eap = POL_MANGLE_EAP_SUFFIX, .eap_delim = '@'), POL_ID_IPV4,
	  "\xc0\x00\x02\x01", NULL, "alice@corp.example", OK, "corp.example" },
	{ "eap prefix backslash", M(.eap = POL_MANGLE_EAP_PREFIX, .eap_delim = '\\'),
	  POL_ID_FQDN, "x", NULL, "CORP\\alice", OK, "CORP" },
	{ "eap suffix backslash", M(.eap = POL_MANGLE_EAP_SUFFIX, .eap_delim = '\\'),
	  POL_ID_FQDN, "x", NULL, "CORP\\alice", OK, "alice" },
	/* the first delimiter splits */
	{ "eap prefix dot", M(.eap = POL_MANGLE_EAP_PREFIX, .eap_delim = '.'), POL_ID_FQDN, "x",
	  NULL, "alice.smith@corp.example", OK, "alice" },
	{ "eap suffix dot", M(.eap = POL_MANGLE_EAP_SUFFIX, .eap_delim = '.'), POL_ID_FQDN, "x",
	  NULL, "alice.smith@corp.example", OK, "smith@corp.example" },
	{ "eap prefix without delimiter", M(.eap = POL_MANGLE_EAP_PREFIX, .eap_delim = '@'),
	  POL_ID_FQDN, "x", NULL, "alice", OK, "alice" },
	{ "eap suffix without delimiter", M(.eap = POL_MANGLE_EAP_SUFFIX, .eap_delim = '@'),
	  POL_ID_FQDN, "x", NULL, "alice", -EINVAL, "has no '@'" },
	{ "eap empty prefix", M(.eap = POL_MANGLE_EAP_PREFIX, .eap_delim = '@'), POL_ID_FQDN,
	  "x", NULL, "@corp", -EINVAL, "prefix is empty" },
	{ "eap empty suffix", M(.eap = POL_MANGLE_EAP_SUFFIX, .eap_delim = '@'), POL_ID_FQDN,
	  "x", NULL, "alice@", -EINVAL, "suffix is empty" },
	{ "eap empty identity", M(.eap = POL_MANGLE_EAP_ALL), POL_ID_FQDN, "x", NULL, "",
	  -EINVAL, "is empty" },
	{ "eap dn cn", M(.eap = POL_MANGLE_EAP_DN, .eap_dn = POL_MANGLE_DN_COMMON_NAME),
	  POL_ID_FQDN, "x", NULL, "CN=alice+UID=a1, OU=green, O=Example", OK, "alice" },
	{ "eap dn ou", M(.eap = POL_MANGLE_EAP_DN, .eap_dn = POL_MANGLE_DN_ORGANIZATION_UNIT),
	  POL_ID_FQDN, "x", NULL, "CN=alice, OU=green, O=Example", OK, "green" },
	{ "eap dn not a DN", M(.eap = POL_MANGLE_EAP_DN, .eap_dn = POL_MANGLE_DN_COMMON_NAME),
	  POL_ID_FQDN, "x", NULL, "alice@corp", -EINVAL, "is not a DN" },
	{ "eap dn field absent", M(.eap = POL_MANGLE_EAP_DN, .eap_dn = POL_MANGLE_DN_COUNTRY),
	  POL_ID_FQDN, "x", NULL, "CN=alice", -EINVAL, "no country" },
	/* no eap rule: the IKE identity decides even after EAP */
	{ "eap without eap rule", M(.fqdn = POL_MANGLE_PART_LOCAL), POL_ID_FQDN,
	  "host1.example.com", NULL, "alice@corp", OK, "host1" },
};

static void test_table(void **state)
{
	static uint8_t der[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		const uint8_t *id = (const uint8_t *)r->id;
		size_t id_len = r->id ? strlen(r->id) : 0;
		char out[POL_MANGLE_MAX + 1], why[256];
		int rc;

		if (r->id_type == POL_ID_IPV4)
			id_len = 4;
		if (r->dn) {
			id_len = make_dn(r->dn, der, sizeof(der));
			id = der;
		}
		rc = pol_mangle(&r->m, r->id_type, id, id_len, r->eap,
				r->eap ? strlen(r->eap) : 0, out, sizeof(out), why, sizeof(why));
		print_message("%-32s -> %d '%s' (%s)\n", r->what, rc, rc > 0 ? out : "", why);
		if (r->rc == OK) {
			assert_int_equal(rc, (int)strlen(r->name));
			assert_string_equal(out, r->name);
		} else {
			assert_int_equal(rc, r->rc);
			assert_string_equal(out, "");
			assert_non_null(strstr(why, r->name));
		}
	}
}

static void test_dn_malformed(void **state)
{
	static const uint8_t junk[] = { 0x30, 0x05, 0x31, 0x03, 0x30, 0x01 };
	static uint8_t der[512];
	struct pol_mangler m = { .name = "m", .dn = POL_MANGLE_DN_COMMON_NAME };
	char out[POL_MANGLE_MAX + 1], why[200];
	size_t n;

	(void)state;
	assert_int_equal(pol_mangle(&m, POL_ID_DN, junk, sizeof(junk), NULL, 0, out, sizeof(out),
				    why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not a DER Name"));
	assert_int_equal(pol_mangle(&m, POL_ID_DN, junk, 0, NULL, 0, out, sizeof(out), why,
				    sizeof(why)), -EINVAL);
	/* a valid Name followed by a stray byte */
	n = make_dn(DN("CN=alice"), der, sizeof(der) - 1);
	der[n] = 0;
	assert_int_equal(pol_mangle(&m, POL_ID_DN, der, n + 1, NULL, 0, out, sizeof(out), why,
				    sizeof(why)), -EINVAL);
	/* every truncation is refused, never read past */
	for (size_t k = 1; k < n; k++)
		assert_int_equal(pol_mangle(&m, POL_ID_DN, der, k, NULL, 0, out, sizeof(out), why,
					    sizeof(why)), -EINVAL);
	assert_int_equal(pol_mangle(&m, POL_ID_DN, der, n, NULL, 0, out, sizeof(out), why,
				    sizeof(why)), 5);
}

static void test_lengths(void **state)
{
	struct pol_mangler m = { .name = "m", .fqdn = POL_MANGLE_PART_ALL,
				 .email = POL_MANGLE_PART_LOCAL };
	char id[400], out[POL_MANGLE_MAX + 1], why[200];

	(void)state;
	memset(id, 'a', sizeof(id));
	assert_int_equal(pol_mangle(&m, POL_ID_FQDN, (uint8_t *)id, POL_MANGLE_MAX, NULL, 0, out,
				    sizeof(out), why, sizeof(why)), (int)POL_MANGLE_MAX);
	assert_int_equal(pol_mangle(&m, POL_ID_FQDN, (uint8_t *)id, POL_MANGLE_MAX + 1, NULL, 0,
				    out, sizeof(out), why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "longer than 253"));
	/* a long identity whose part fits is fine */
	id[300] = '@';
	assert_int_equal(pol_mangle(&m, POL_ID_EMAIL, (uint8_t *)id + 100, 250, NULL, 0, out,
				    sizeof(out), why, sizeof(why)), 200);
	/* a NUL inside the identity is a control character */
	memcpy(id, "ab\0c@d", 6);
	assert_int_equal(pol_mangle(&m, POL_ID_EMAIL, (uint8_t *)id, 6, NULL, 0, out,
				    sizeof(out), why, sizeof(why)), -EINVAL);
	/* the output buffer is honoured */
	assert_int_equal(pol_mangle(&m, POL_ID_FQDN, (uint8_t *)"abcdef", 6, NULL, 0, out, 4,
				    why, sizeof(why)), -EINVAL);
}

static void test_default(void **state)
{
	static const uint8_t v4[4] = { 192, 0, 2, 7 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static uint8_t der[256];
	char out[POL_MANGLE_MAX + 1], why[200];
	size_t n;

	(void)state;
	assert_int_equal(pol_mangle_default(POL_ID_FQDN, (uint8_t *)"c.example", 9, NULL, 0, out,
					    sizeof(out), why, sizeof(why)), 9);
	assert_string_equal(out, "c.example");
	assert_int_equal(pol_mangle_default(POL_ID_FQDN, (uint8_t *)"c.example", 9, "alice", 5,
					    out, sizeof(out), why, sizeof(why)), 5);
	assert_string_equal(out, "alice");
	assert_int_equal(pol_mangle_default(POL_ID_IPV4, v4, 4, NULL, 0, out, sizeof(out), why,
					    sizeof(why)), 9);
	assert_string_equal(out, "192.0.2.7");
	assert_true(pol_mangle_default(POL_ID_IPV6, v6, 16, NULL, 0, out, sizeof(out), why,
				       sizeof(why)) > 0);
	assert_string_equal(out, "2001:db8::1");
	assert_int_equal(pol_mangle_default(POL_ID_IPV4, v4, 3, NULL, 0, out, sizeof(out), why,
					    sizeof(why)), -EINVAL);
	n = make_dn(DN("CN=alice"), der, sizeof(der));
	assert_int_equal(pol_mangle_default(POL_ID_DN, der, n, NULL, 0, out, sizeof(out), why,
					    sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "DN identity cannot be a user name"));
	assert_int_equal(pol_mangle_default(POL_ID_NONE, NULL, 0, NULL, 0, out, sizeof(out), why,
					    sizeof(why)), -EINVAL);
}

/* The configuration entries pol_set_build() accepts become the same rules. */
static void test_from_cfg(void **state)
{
	static const struct {
		const char *text;
		int rc;
		struct pol_mangler m;
	} t[] = {
		{ "m = { name = \"a\"; dn = \"organization-unit\"; };", 0,
		  { .name = "a", .dn = POL_MANGLE_DN_ORGANIZATION_UNIT } },
		{ "m = { name = \"b\"; email = \"username\"; fqdn = \"domain\"; };", 0,
		  { .name = "b", .email = POL_MANGLE_PART_LOCAL, .fqdn = POL_MANGLE_PART_DOMAIN } },
		{ "m = { name = \"c\"; eap = { suffix = \"\\\\\"; }; };", 0,
		  { .name = "c", .eap = POL_MANGLE_EAP_SUFFIX, .eap_delim = '\\' } },
		{ "m = { name = \"d\"; eap = { dn = \"state\"; }; };", 0,
		  { .name = "d", .eap = POL_MANGLE_EAP_DN, .eap_dn = POL_MANGLE_DN_STATE } },
		{ "m = { name = \"e\"; eap = { all = true; }; fqdn = \"hostname\"; };", 0,
		  { .name = "e", .eap = POL_MANGLE_EAP_ALL, .fqdn = POL_MANGLE_PART_LOCAL } },
		{ "m = { name = \"f\"; };", -EINVAL, { .name = "f" } },
		{ "m = { name = \"g\"; eap = { prefix = \"x\"; }; };", -EINVAL, { .name = "g" } },
		{ "m = { name = \"h\"; eap = { prefix = \"@\"; all = true; }; };", -EINVAL,
		  { .name = "h" } },
		{ "m = { name = \"i\"; dn = \"surname\"; };", -EINVAL, { .name = "i" } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		config_t c;
		struct pol_mangler m;

		config_init(&c);
		assert_int_equal(config_read_string(&c, t[i].text), CONFIG_TRUE);
		assert_int_equal(pol_mangler_from_cfg(config_lookup(&c, "m"), &m), t[i].rc);
		if (!t[i].rc)
			assert_memory_equal(&m, &t[i].m, sizeof(m));
		config_destroy(&c);
	}
	assert_int_equal(pol_mangle_dn_field("organization-unit"),
			 POL_MANGLE_DN_ORGANIZATION_UNIT);
	assert_int_equal(pol_mangle_dn_field("ou"), POL_MANGLE_DN_NONE);
	assert_string_equal(pol_mangle_dn_name(POL_MANGLE_DN_DOMAIN), "domain");
}

/* The examples of the reference: a pol_set holds their manglers, found by name. */
static void test_set(void **state)
{
	static const struct {
		const char *file, *mangler;
		enum pol_mangle_dn dn;
	} t[] = {
		{ "ref001-group-author-external.conf", "group-author-mangler", POL_MANGLE_DN_DOMAIN },
		{ "ref001-user-author.conf", "user-author-mangler", POL_MANGLE_DN_COMMON_NAME },
	};
	const char *src = getenv("RAMPART_SOURCE_DIR");
	char path[512];

	(void)state;
	assert_non_null(src);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct rp_cfg cfg;
		struct pol_set *s = NULL;
		const struct pol_mangler *m;
		const struct pol_profile *p;

		snprintf(path, sizeof(path), "%s/examples/%s", src, t[i].file);
		if (rp_conf_load(&cfg, path))
			fail_msg("%s: %s", t[i].file, cfg.err);
		if (pol_set_build(&cfg, POL_BUILD_NO_FILES, &s))
			fail_msg("%s: %s", t[i].file, cfg.err);
		assert_int_equal(s->n_manglers, 1);
		m = pol_mangler_find(s, t[i].mangler);
		assert_non_null(m);
		assert_int_equal(m->dn, t[i].dn);
		assert_null(pol_mangler_find(s, "nope"));
		p = &s->profiles[0];
		assert_string_equal(i ? p->author_user.name_mangler : p->author_group.name_mangler,
				    t[i].mangler);
		pol_set_free(s);
		rp_cfg_free(&cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_dn_malformed),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_from_cfg),
		cmocka_unit_test(test_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
