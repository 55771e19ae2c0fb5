/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* DN parsing (RFC 4514 escapes, multi-valued RDNs, UTF-8), conversion from X509_NAME, matching. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "certgen.h"
#include "controlplane/pki/dn.h"

static struct pki_dn dn;
static char err[200];

static int parse(const char *s)
{
	err[0] = '\0';
	return pki_dn_parse(&dn, s, strlen(s), err, sizeof(err));
}

static void assert_ava(unsigned i, const char *type, const char *value, unsigned rdn)
{
	assert_true(i < dn.n);
	assert_string_equal(dn.ava[i].type, type);
	assert_string_equal(dn.ava[i].value, value);
	assert_int_equal(dn.ava[i].value_len, strlen(value));
	assert_int_equal(dn.ava[i].rdn, rdn);
}

static void test_simple(void **state)
{
	(void)state;
	assert_int_equal(parse("CN=Steve Kille,O=Isode Limited,C=GB"), 0);
	assert_int_equal(dn.n, 3);
	assert_ava(0, "cn", "Steve Kille", 0);
	assert_ava(1, "o", "Isode Limited", 1);
	assert_ava(2, "c", "GB", 2);
	/* IOS writes spaces around '=' and after ',' */
	assert_int_equal(parse("  ou = green ,  c = IN  "), 0);
	assert_int_equal(dn.n, 2);
	assert_ava(0, "ou", "green", 0);
	assert_ava(1, "c", "IN", 1);
	/* ';' separates too; long names and OIDs are the same types */
	assert_int_equal(parse("commonName=a; organizationalUnitName=b;2.5.4.10=c;emailAddress=d@e"), 0);
	assert_ava(0, "cn", "a", 0);
	assert_ava(1, "ou", "b", 1);
	assert_ava(2, "o", "c", 2);
	assert_ava(3, "email", "d@e", 3);
	assert_int_equal(dn.ava[3].nid, NID_pkcs9_emailAddress);
	/* IOS shows unstructuredName as hostname= */
	assert_int_equal(parse("hostname=Router1.cisco.com"), 0);
	assert_int_equal(dn.ava[0].nid, NID_pkcs9_unstructuredName);
	/* an OID OpenSSL does not name */
	assert_int_equal(parse("1.3.6.1.4.1.99999.1=x"), 0);
	assert_string_equal(dn.ava[0].type, "1.3.6.1.4.1.99999.1");
	assert_int_equal(dn.ava[0].nid, NID_undef);
	/* other types OpenSSL names, and OIDs it names without an alias here, come back as OIDs
	 * so that the text form always parses again */
	assert_int_equal(parse("businessCategory=x,1.3.6.1=y"), 0);
	assert_ava(0, "2.5.4.15", "x", 0);
	assert_ava(1, "1.3.6.1", "y", 1);
}

static void test_escapes(void **state)
{
	(void)state;
	/* RFC 4514 §4 examples */
	assert_int_equal(parse("CN=James \\\"Jim\\\" Smith\\, III,DC=example,DC=net"), 0);
	assert_ava(0, "cn", "James \"Jim\" Smith, III", 0);
	assert_ava(1, "dc", "example", 1);
	assert_int_equal(parse("CN=Before\\0dAfter,DC=example,DC=net"), 0);
	assert_ava(0, "cn", "Before\rAfter", 0);
	assert_int_equal(parse("CN=Lu\\C4\\8Di\\C4\\87"), 0);
	assert_ava(0, "cn", "Lu\xc4\x8d" "i\xc4\x87", 0);
	/* every special character escaped */
	assert_int_equal(parse("cn=a\\+b\\<c\\>d\\;e\\=f\\\\g\\#h"), 0);
	assert_ava(0, "cn", "a+b<c>d;e=f\\g#h", 0);
	/* escaped leading '#' and leading/trailing spaces are kept, unescaped ones dropped */
	assert_int_equal(parse("cn=\\#1,ou=\\ lead,o=trail\\ ,l=  x  "), 0);
	assert_ava(0, "cn", "#1", 0);
	assert_ava(1, "ou", " lead", 1);
	assert_ava(2, "o", "trail ", 2);
	assert_ava(3, "l", "x", 3);
	/* quoted value (RFC 1779 style) keeps separators */
	assert_int_equal(parse("o=\"Example, Inc.\",c=US"), 0);
	assert_ava(0, "o", "Example, Inc.", 0);
	/* BER-encoded value kept as hex text */
	assert_int_equal(parse("1.3.6.1.4.1.1466.0=#04024869,O=Test"), 0);
	assert_ava(0, "1.3.6.1.4.1.1466.0", "#04024869", 0);
}

static void test_multivalued_utf8(void **state)
{
	(void)state;
	assert_int_equal(parse("OU=Sales+CN=J. Smith,DC=example,DC=net"), 0);
	assert_int_equal(dn.n, 4);
	assert_ava(0, "ou", "Sales", 0);
	assert_ava(1, "cn", "J. Smith", 0);
	assert_ava(2, "dc", "example", 1);
	/* raw UTF-8 */
	assert_int_equal(parse("cn=Jos\xc3\xa9 M\xc3\xbcller,o=\xe6\x97\xa5\xe6\x9c\xac"), 0);
	assert_ava(0, "cn", "Jos\xc3\xa9 M\xc3\xbcller", 0);
	assert_ava(1, "o", "\xe6\x97\xa5\xe6\x9c\xac", 1);
}

static void test_errors(void **state)
{
	(void)state;
	assert_int_equal(parse(""), -EINVAL);
	assert_int_equal(parse("   "), -EINVAL);
	assert_int_equal(parse("cn"), -EINVAL);
	assert_int_equal(parse("cn=a,"), -EINVAL);
	assert_string_equal(err, "name ends with a separator");
	assert_int_equal(parse("cn=a,,o=b"), -EINVAL);
	assert_int_equal(parse("orgunit=x"), -EINVAL);
	assert_string_equal(err, "unknown attribute type 'orgunit'");
	assert_int_equal(parse("cn=a\\"), -EINVAL);
	assert_int_equal(parse("cn=a\\q"), -EINVAL);
	assert_int_equal(parse("cn=a\"b"), -EINVAL);
	assert_int_equal(parse("cn=\"open"), -EINVAL);
	assert_int_equal(parse("cn=#0"), -EINVAL);
	assert_int_equal(parse("cn=\\FF"), -EINVAL);          /* not UTF-8 */
	assert_int_equal(parse("cn=\xc3"), -EINVAL);          /* truncated sequence */
	assert_int_equal(parse("cn=\xed\xa0\x80"), -EINVAL);  /* surrogate */
	assert_int_equal(parse("cn=a\\00b"), -EINVAL);        /* NUL */
	assert_int_equal(parse("c n=a"), -EINVAL);
	assert_int_equal(parse("AES-128-OCB=x"), -EINVAL);   /* an OpenSSL name without an OID */
	char big[PKI_DN_MAX_AVA * 5 + 10] = "";

	for (int i = 0; i <= PKI_DN_MAX_AVA; i++)
		strcat(big, i ? ",c=x" : "c=x");
	assert_int_equal(parse(big), -E2BIG);
}

static void test_format_roundtrip(void **state)
{
	char buf[512];
	struct pki_dn again;

	(void)state;
	assert_int_equal(parse("CN=a\\,b+UID=\\ x ,O=\\#y,C=\"q;r\""), 0);
	pki_dn_format(&dn, buf, sizeof(buf));
	assert_string_equal(buf, "cn=a\\,b+uid=\\ x,o=\\#y,c=q\\;r");
	assert_int_equal(pki_dn_parse(&again, buf, strlen(buf), err, sizeof(err)), 0);
	assert_int_equal(again.n, dn.n);
	for (unsigned i = 0; i < dn.n; i++) {
		assert_string_equal(again.ava[i].value, dn.ava[i].value);
		assert_int_equal(again.ava[i].rdn, dn.ava[i].rdn);
	}
}

static void test_from_x509(void **state)
{
	EVP_PKEY *k = cg_key_ec();
	struct cg_opts o = { .subject = "/C=IN/O=CISCO/OU=green+UID=u1/CN=Router1.cisco.com/"
					"unstructuredName=Router1.cisco.com", .serial = 0x21 };
	X509 *x = cg_cert(&o, k, NULL, NULL);
	char buf[512];

	(void)state;
	assert_int_equal(pki_dn_from_x509(&dn, X509_get_subject_name(x)), 0);
	/* RFC 4514 order: last DER RDN first */
	assert_int_equal(dn.n, 6);
	assert_ava(0, "unstructuredname", "Router1.cisco.com", 0);
	assert_ava(1, "cn", "Router1.cisco.com", 1);
	assert_int_equal(dn.ava[2].rdn, 2);
	assert_int_equal(dn.ava[3].rdn, 2);
	assert_ava(5, "c", "IN", 4);
	pki_dn_format(&dn, buf, sizeof(buf));
	assert_string_equal(buf, "unstructuredname=Router1.cisco.com,cn=Router1.cisco.com,"
			    "ou=green+uid=u1,o=CISCO,c=IN");

	/* attribute-aware, case-insensitive lookup */
	struct pki_dn pat;

	assert_int_equal(pki_dn_parse(&pat, "OU = GREEN", 10, err, sizeof(err)), 0);
	assert_true(pki_dn_has(&dn, &pat.ava[0], false));
	assert_int_equal(pki_dn_parse(&pat, "ou=ree", 6, err, sizeof(err)), 0);
	assert_false(pki_dn_has(&dn, &pat.ava[0], false));
	assert_true(pki_dn_has(&dn, &pat.ava[0], true));
	assert_int_equal(pki_dn_parse(&pat, "o=green", 7, err, sizeof(err)), 0);
	assert_false(pki_dn_has(&dn, &pat.ava[0], true)); /* right value, wrong attribute */
	X509_free(x);
	EVP_PKEY_free(k);
}

static void test_strings(void **state)
{
	(void)state;
	assert_true(pki_str_eq("AbC", 3, "aBc", 3));
	assert_false(pki_str_eq("abc", 3, "abd", 3));
	assert_false(pki_str_eq("ab", 2, "abc", 3));
	assert_true(pki_str_contains("blue-lab CA", 11, "LAB", 3));
	assert_true(pki_str_contains("x", 1, "", 0));
	assert_false(pki_str_contains("ab", 2, "abc", 3));
	/* non-ASCII compared exactly */
	assert_false(pki_str_eq("\xc3\xa9", 2, "\xc3\x89", 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_multivalued_utf8),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_from_x509),
		cmocka_unit_test(test_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
