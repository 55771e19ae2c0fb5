/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Certificate maps: every field and operator, attribute-aware names, sequences. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "certgen.h"
#include "controlplane/pki/certmap.h"

static struct pki_cert_view view;
static X509 *leaf;
static char err[300];

/* 2024-03-31 14:34:30 .. 2029-04-01 14:34:30 UTC, serial 0x21, like the reference's Router1. */
#define NB 1711895670L
#define NA 1869748470L

static int setup(void **state)
{
	EVP_PKEY *ck = cg_key_ec(), *lk = cg_key_ec();
	struct cg_opts ca = { .subject = "/C=IN/O=CISCO/CN=blue-lab CA", .serial = 1, .ca = true };
	struct cg_opts o = {
		.subject = "/C=IN/OU=green/OU=Sales+UID=jdoe/CN=Router1.cisco.com/"
			   "unstructuredName=Router1.cisco.com",
		.serial = 0x21, .not_before = NB, .not_after = NA,
		.san = "DNS:router1.cisco.com,email:admin@cisco.com,IP:192.0.2.1,IP:2001:db8::1,"
		       "URI:https://vpn.example/x",
	};
	X509 *cax = cg_cert(&ca, ck, NULL, NULL);

	(void)state;
	leaf = cg_cert(&o, lk, cax, ck);
	pki_cert_view_init(&view, leaf);
	X509_free(cax);
	EVP_PKEY_free(ck);
	EVP_PKEY_free(lk);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	X509_free(leaf);
	return 0;
}

/* Parse then match; a parse failure fails the test with the reason. */
static bool m(const char *line)
{
	struct pki_cm_rule r;

	if (pki_cm_rule_parse(&r, line, err, sizeof(err))) {
		fail_msg("rule '%s' refused: %s", line, err);
	}
	return pki_cm_rule_match(&r, &view);
}

static int bad(const char *line)
{
	struct pki_cm_rule r;

	err[0] = '\0';
	return pki_cm_rule_parse(&r, line, err, sizeof(err));
}

static void test_view(void **state)
{
	(void)state;
	assert_true(view.subject_ok && view.issuer_ok && view.alt_ok && view.times_ok);
	assert_string_equal(view.subject_text, "unstructuredname=Router1.cisco.com,"
			    "cn=Router1.cisco.com,ou=Sales+uid=jdoe,ou=green,c=IN");
	assert_string_equal(view.issuer_text, "cn=blue-lab CA,o=CISCO,c=IN");
	assert_string_equal(view.serial, "21");
	assert_int_equal(view.n_alt, 5);
	assert_string_equal(view.alt[2], "192.0.2.1");
	assert_string_equal(view.alt[3], "2001:db8::1");
	assert_int_equal(view.not_before, NB);
}

static void test_subject_name(void **state)
{
	(void)state;
	/* the reference's rule, with and without spaces, any case */
	assert_true(m("subject-name co ou = green"));
	assert_true(m("subject-name co OU=GREEN"));
	assert_true(m("SUBJECT-NAME CO ou=gree"));
	assert_false(m("subject-name co o = green"));       /* attribute-aware: o is CISCO-less */
	assert_true(m("subject-name eq ou = green"));
	assert_true(m("subject-name eq ou = sales"));       /* second OU, multi-valued RDN */
	assert_false(m("subject-name eq ou = gree"));
	assert_true(m("subject-name ne ou = gree"));
	assert_false(m("subject-name ne ou = green"));
	assert_true(m("subject-name nc ou = blue"));
	assert_false(m("subject-name nc ou = een"));
	/* several attributes: each must hold */
	assert_true(m("subject-name eq cn=router1.cisco.com, ou=green, c=in"));
	assert_false(m("subject-name eq cn=router1.cisco.com, ou=red"));
	assert_true(m("subject-name co cn=router1, uid=jd"));
	/* long names, OIDs, unstructuredName through hostname= */
	assert_true(m("subject-name eq organizationalUnitName=green"));
	assert_true(m("subject-name eq 2.5.4.11=green"));
	assert_true(m("subject-name eq hostname = router1.cisco.com"));
	/* no '=': the whole name as text */
	assert_true(m("subject-name co green"));
	assert_true(m("subject-name co sales+uid"));
	assert_false(m("subject-name co blue-lab"));        /* in the issuer only */
	assert_true(m("subject-name nc blue"));
	assert_false(m("subject-name eq green"));
	assert_true(m("subject-name ne green"));
}

static void test_issuer_and_name(void **state)
{
	(void)state;
	assert_true(m("issuer-name eq cn = blue-lab ca"));
	assert_true(m("issuer-name co o = cis"));
	assert_true(m("issuer-name eq cn=blue-lab CA,o=CISCO,c=IN"));
	assert_false(m("issuer-name co ou = green"));
	assert_true(m("issuer-name nc ou = green"));
	assert_true(m("issuer-name ne cn = other"));
	assert_true(m("issuer-name eq cn=blue-lab CA,o=CISCO,c=IN"));
	/* name: subject or issuer */
	assert_true(m("name co o = cisco"));    /* issuer only */
	assert_true(m("name eq ou = green"));   /* subject only */
	assert_false(m("name ne ou = green"));
	assert_true(m("name ne ou = blue"));
	assert_false(m("name nc cisco"));
	assert_true(m("name nc juniper"));
}

static void test_alt_and_unstructured(void **state)
{
	(void)state;
	assert_true(m("alt-subject-name eq Router1.Cisco.com"));
	assert_true(m("alt-subject-name eq admin@cisco.com"));
	assert_true(m("alt-subject-name eq 192.0.2.1"));
	assert_true(m("alt-subject-name eq 2001:db8::1"));
	assert_true(m("alt-subject-name co vpn.example"));
	assert_false(m("alt-subject-name eq cisco.com"));
	assert_true(m("alt-subject-name ne cisco.com"));
	assert_false(m("alt-subject-name ne 192.0.2.1"));
	assert_true(m("alt-subject-name nc juniper"));
	assert_false(m("alt-subject-name nc cisco"));
	assert_true(m("unstructured-subject-name eq router1.cisco.com"));
	assert_true(m("unstructured-subject-name co router1"));
	assert_false(m("unstructured-subject-name eq router1"));
	assert_true(m("unstructured-subject-name ne router1"));
	assert_true(m("unstructured-subject-name nc juniper"));
	assert_false(m("unstructured-subject-name nc cisco"));
}

static void test_serial(void **state)
{
	(void)state;
	assert_true(m("serial-number eq 21"));
	assert_true(m("serial-number eq 00:21"));
	assert_false(m("serial-number eq 22"));
	assert_true(m("serial-number ne 22"));
	assert_true(m("serial-number lt 22"));
	assert_false(m("serial-number lt 21"));
	assert_true(m("serial-number le 21"));
	assert_true(m("serial-number gt 20"));
	assert_false(m("serial-number gt 100"));    /* numeric, not lexical */
	assert_true(m("serial-number ge 21"));
	assert_true(m("serial-number lt 0100"));
	assert_true(m("serial-number co 2"));
	assert_true(m("serial-number nc 3"));
	assert_false(m("serial-number nc 1"));
}

static void test_dates(void **state)
{
	(void)state;
	assert_true(m("valid-start eq 2024-03-31 14:34:30"));
	assert_true(m("valid-start eq 14:34:30 UTC Mar 31 2024"));   /* IOS show format */
	assert_true(m("valid-start eq Mar 31 2024 14:34:30"));
	assert_true(m("valid-start eq 31 03 2024 14:34:30"));
	assert_true(m("valid-start ne 2024-03-31"));
	assert_true(m("valid-start gt 2024-03-31"));
	assert_true(m("valid-start ge 2024-03-31T14:34:30Z"));
	assert_false(m("valid-start lt 2024-03-31 14:34:30"));
	assert_true(m("valid-start le 2024-03-31 14:34:30"));
	assert_true(m("expires-on lt 2030-01-01"));
	assert_false(m("expires-on lt Apr 01 2029"));
	assert_true(m("expires-on le 2029-04-01 14:34:30"));
	assert_true(m("expires-on gt 01 04 2029"));
	assert_true(m("expires-on ge 2029-04-01 14:34:30"));
	assert_true(m("expires-on eq 2029-04-01 14:34:30"));
	assert_true(m("expires-on ne 2029-04-01 14:34:31"));
}

static void test_parse_errors(void **state)
{
	(void)state;
	assert_int_equal(bad(""), -EINVAL);
	assert_int_equal(bad("subject co ou=x"), -EINVAL);
	assert_non_null(strstr(err, "unknown field 'subject'"));
	assert_int_equal(bad("subject-name has ou=x"), -EINVAL);
	assert_non_null(strstr(err, "unknown operator 'has'"));
	assert_int_equal(bad("subject-name co"), -EINVAL);
	assert_string_equal(err, "missing value after 'subject-name co'");
	assert_int_equal(bad("subject-name lt ou=x"), -EINVAL);
	assert_int_equal(bad("alt-subject-name gt x"), -EINVAL);
	assert_int_equal(bad("subject-name co orgunit = x"), -EINVAL);
	assert_non_null(strstr(err, "unknown attribute type 'orgunit'"));
	assert_int_equal(bad("valid-start co 2024"), -EINVAL);
	assert_int_equal(bad("expires-on lt tomorrow"), -EINVAL);
	assert_int_equal(bad("expires-on lt 2024-13-01"), -EINVAL);
	assert_int_equal(bad("serial-number eq 0x21"), -EINVAL);
	assert_int_equal(bad("serial-number eq ::"), -EINVAL);
	char big[PKI_CM_VALUE_MAX + 40];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "subject-name co ", 16);
	assert_int_equal(bad(big), -E2BIG);
	/* formatting gives the canonical keywords */
	struct pki_cm_rule r;
	char buf[600];

	assert_int_equal(pki_cm_rule_parse(&r, "  Subject-Name   CO   ou = green  ", err,
					   sizeof(err)), 0);
	assert_string_equal(pki_cm_rule_format(&r, buf, sizeof(buf)), "subject-name co ou = green");
}

static void test_sequences(void **state)
{
	struct pki_certmap map = { .name = "cert_map" };
	const char *s20[] = { "subject-name co ou = green", "issuer-name co cn = blue-lab" };
	const char *s10[] = { "subject-name co ou = green", "issuer-name co cn = red-lab" };
	const char *s5[] = { "subject-name co ou = red" };
	const char *bad_rules[] = { "subject-name co ou = x", "bogus eq y" };
	unsigned seq = 0, bad_idx = 9;

	(void)state;
	assert_int_equal(pki_certmap_add_seq(&map, 20, s20, 2, err, sizeof(err), NULL), 0);
	assert_int_equal(pki_certmap_add_seq(&map, 10, s10, 2, err, sizeof(err), NULL), 0);
	assert_int_equal(pki_certmap_add_seq(&map, 5, s5, 1, err, sizeof(err), NULL), 0);
	assert_int_equal(pki_certmap_add_seq(&map, 10, s5, 1, err, sizeof(err), NULL), -EEXIST);
	assert_int_equal(pki_certmap_add_seq(&map, 30, bad_rules, 2, err, sizeof(err), &bad_idx),
			 -EINVAL);
	assert_int_equal(bad_idx, 1);
	assert_int_equal(map.n_seq, 3);
	assert_int_equal(map.seqs[0].seq, 5);
	assert_int_equal(map.seqs[1].seq, 10);
	/* seq 5 fails (ou), seq 10 fails on its second rule, seq 20 matches: all rules of a
	 * sequence must hold, sequences in ascending order */
	assert_true(pki_certmap_match(&map, &view, &seq));
	assert_int_equal(seq, 20);
	pki_certmap_free(&map);

	const char *none[] = { "subject-name co ou = red" };

	assert_int_equal(pki_certmap_add_seq(&map, 1, none, 1, err, sizeof(err), NULL), 0);
	assert_false(pki_certmap_match(&map, &view, &seq));
	pki_certmap_free(&map);
}

/* A certificate whose names cannot be read as text matches no rule, positive or negative. */
static void test_unreadable(void **state)
{
	struct pki_cert_view v;
	struct pki_cm_rule r;
	EVP_PKEY *k = cg_key_ec();
	struct cg_opts o = { .subject = "/CN=x", .serial = 1 };
	X509 *x = cg_cert(&o, k, NULL, NULL);
	X509_NAME *n = X509_NAME_new();

	(void)state;
	/* a BMPString-encoded CN with an embedded NUL */
	X509_NAME_add_entry_by_NID(n, NID_commonName, V_ASN1_BMPSTRING,
				   (unsigned char *)"\0a\0\0\0b", 6, -1, 0);
	X509_set_subject_name(x, n);
	pki_cert_view_init(&v, x);
	assert_false(v.subject_ok);
	assert_int_equal(pki_cm_rule_parse(&r, "subject-name nc cn = zzz", err, sizeof(err)), 0);
	assert_false(pki_cm_rule_match(&r, &v));
	assert_int_equal(pki_cm_rule_parse(&r, "subject-name ne zzz", err, sizeof(err)), 0);
	assert_false(pki_cm_rule_match(&r, &v));
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_view),
		cmocka_unit_test(test_subject_name),
		cmocka_unit_test(test_issuer_and_name),
		cmocka_unit_test(test_alt_and_unstructured),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_unreadable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
