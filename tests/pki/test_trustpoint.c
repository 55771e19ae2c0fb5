/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Trustpoints on a PKI made at test time: root -> intermediate -> clients. Chains given by the
 * peer or configured, CRL revocation (leaf and intermediate), missing / expired CRLs with and
 * without the "none" fallback, EKU clientAuth, expiry, foreign CAs, CERTREQ hashes checked
 * against an independent computation, our own certificate and key.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "certgen.h"
#include "controlplane/pki/trustpoint.h"

static char *dir;
static EVP_PKEY *root_k, *int_k, *leaf_k, *other_k, *own_k;
static X509 *root, *inter, *good, *revoked, *noeku, *expired, *other_root, *foreign, *own;
static STACK_OF(X509) *peer_chain;
static char err[512];

static int setup(void **state)
{
	(void)state;
	dir = cg_tmpdir();
	root_k = cg_key_ec();
	int_k = cg_key_ec();
	leaf_k = cg_key_ec();
	other_k = cg_key_ec();
	own_k = cg_key_rsa();

	/* the CAs date from a month ago, so that validation in the past can succeed */
	struct cg_opts ro = { .subject = "/C=IN/O=CISCO/CN=blue-lab root", .serial = 1, .ca = true,
			      .not_before = time(NULL) - 30 * 86400 };
	struct cg_opts io = { .subject = "/C=IN/O=CISCO/CN=blue-lab CA", .serial = 2, .ca = true,
			      .not_before = time(NULL) - 30 * 86400 };
	struct cg_opts g = { .subject = "/C=IN/OU=green/CN=good", .serial = 100, .eku = "clientAuth" };
	struct cg_opts r = { .subject = "/C=IN/OU=green/CN=revoked", .serial = 101,
			     .eku = "clientAuth" };
	struct cg_opts ne = { .subject = "/C=IN/OU=green/CN=noeku", .serial = 102 };
	struct cg_opts ex = { .subject = "/C=IN/OU=green/CN=expired", .serial = 103,
			      .eku = "clientAuth", .not_before = time(NULL) - 86400 * 10,
			      .not_after = time(NULL) - 86400 };
	struct cg_opts oro = { .subject = "/CN=other root", .serial = 1, .ca = true };
	struct cg_opts fo = { .subject = "/CN=foreign", .serial = 100, .eku = "clientAuth" };
	struct cg_opts ow = { .subject = "/CN=vpn.example", .serial = 200, .eku = "serverAuth",
			      .san = "DNS:vpn.example" };

	root = cg_cert(&ro, root_k, NULL, NULL);
	inter = cg_cert(&io, int_k, root, root_k);
	good = cg_cert(&g, leaf_k, inter, int_k);
	revoked = cg_cert(&r, leaf_k, inter, int_k);
	noeku = cg_cert(&ne, leaf_k, inter, int_k);
	expired = cg_cert(&ex, leaf_k, inter, int_k);
	other_root = cg_cert(&oro, other_k, NULL, NULL);
	foreign = cg_cert(&fo, leaf_k, other_root, other_k);
	own = cg_cert(&ow, own_k, inter, int_k);

	long rev_leaf[] = { 101 }, rev_int[] = { 2 };
	X509_CRL *root_crl = cg_crl(root, root_k, NULL, 0, 86400);
	X509_CRL *root_crl_rev = cg_crl(root, root_k, rev_int, 1, 86400);
	X509_CRL *int_crl = cg_crl(inter, int_k, rev_leaf, 1, 86400);
	X509_CRL *int_crl_old = cg_crl(inter, int_k, NULL, 0, -60);

	assert_int_equal(cg_write_cert(cg_path(dir, "root.pem"), root, false), 0);
	assert_int_equal(cg_write_cert(cg_path(dir, "inter.pem"), inter, false), 0);
	/* root and intermediate in one file, as operators often have them */
	assert_int_equal(cg_write_cert(cg_path(dir, "bundle.pem"), root, false), 0);
	assert_int_equal(cg_write_cert(cg_path(dir, "bundle.pem"), inter, true), 0);
	assert_int_equal(cg_write_cert(cg_path(dir, "other.pem"), other_root, false), 0);
	assert_int_equal(cg_write_cert(cg_path(dir, "own.pem"), own, false), 0);
	assert_int_equal(cg_write_cert(cg_path(dir, "own.pem"), inter, true), 0);
	assert_int_equal(cg_write_key(cg_path(dir, "own.key"), own_k), 0);
	assert_int_equal(cg_write_key(cg_path(dir, "wrong.key"), leaf_k), 0);
	assert_int_equal(cg_write_crl(cg_path(dir, "root.crl"), root_crl), 0);
	assert_int_equal(cg_write_crl(cg_path(dir, "root-rev.crl"), root_crl_rev), 0);
	assert_int_equal(cg_write_crl(cg_path(dir, "inter.crl"), int_crl), 0);
	assert_int_equal(cg_write_crl(cg_path(dir, "inter-old.crl"), int_crl_old), 0);
	X509_CRL_free(root_crl);
	X509_CRL_free(root_crl_rev);
	X509_CRL_free(int_crl);
	X509_CRL_free(int_crl_old);

	peer_chain = sk_X509_new_null();
	sk_X509_push(peer_chain, inter);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sk_X509_free(peer_chain);
	X509 *certs[] = { root, inter, good, revoked, noeku, expired, other_root, foreign, own };

	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		X509_free(certs[i]);
	EVP_PKEY *keys[] = { root_k, int_k, leaf_k, other_k, own_k };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		EVP_PKEY_free(keys[i]);
	cg_rmdir(dir);
	return 0;
}

static struct pki_tp *make(const char *name, const char *const *cas, unsigned n_ca,
			   const char *const *crls, unsigned n_crl, bool crl, bool none, bool eku)
{
	struct pki_tp_cfg c = { .name = name, .ca_files = cas, .n_ca = n_ca, .crl_files = crls,
				.n_crl = n_crl, .rev_crl = crl, .rev_none_fallback = none,
				.require_client_auth_eku = eku };
	struct pki_tp *tp = NULL;

	if (pki_tp_create(&c, &tp, err, sizeof(err)))
		fail_msg("trustpoint %s: %s", name, err);
	return tp;
}

static void test_chain(void **state)
{
	const char *root_only[] = { cg_path(dir, "root.pem") };
	const char *bundle[] = { cg_path(dir, "bundle.pem") };
	struct pki_tp *tp;

	(void)state;
	/* only the root configured: the peer must send the intermediate */
	tp = make("LaBcA", root_only, 1, NULL, 0, false, false, false);
	assert_int_equal(pki_tp_n_ca(tp), 1);
	assert_int_equal(pki_tp_verify(tp, good, peer_chain, 0, err, sizeof(err)), 0);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "unable to get local issuer certificate"));
	assert_int_equal(pki_tp_verify(tp, foreign, NULL, 0, err, sizeof(err)), -EACCES);
	assert_int_equal(pki_tp_verify(tp, expired, peer_chain, 0, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "certificate has expired"));
	/* validation at a chosen time: the expired one was valid three days ago */
	assert_int_equal(pki_tp_verify(tp, expired, peer_chain, time(NULL) - 3 * 86400, err,
				       sizeof(err)), 0);
	pki_tp_destroy(tp);

	/* root and intermediate configured: the leaf alone suffices */
	tp = make("bundle", bundle, 1, NULL, 0, false, false, false);
	assert_int_equal(pki_tp_n_ca(tp), 2);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	assert_true(pki_tp_issued(tp, good));      /* the intermediate issued it */
	assert_true(pki_tp_issued(tp, inter));     /* the root issued the intermediate */
	assert_false(pki_tp_issued(tp, foreign));
	pki_tp_destroy(tp);

	/* an intermediate alone is not an anchor unless partial_chain says so */
	const char *inter_only[] = { cg_path(dir, "inter.pem") };
	struct pki_tp_cfg c = { .name = "sub", .ca_files = inter_only, .n_ca = 1 };

	assert_int_equal(pki_tp_create(&c, &tp, err, sizeof(err)), 0);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), -EACCES);
	pki_tp_destroy(tp);
	c.partial_chain = true;
	assert_int_equal(pki_tp_create(&c, &tp, err, sizeof(err)), 0);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	pki_tp_destroy(tp);
}

static void test_crl(void **state)
{
	const char *bundle[] = { cg_path(dir, "bundle.pem") };
	const char *both[] = { cg_path(dir, "root.crl"), cg_path(dir, "inter.crl") };
	const char *int_rev[] = { cg_path(dir, "root-rev.crl"), cg_path(dir, "inter.crl") };
	const char *leaf_only[] = { cg_path(dir, "inter.crl") };
	const char *old[] = { cg_path(dir, "root.crl"), cg_path(dir, "inter-old.crl") };
	struct pki_tp *tp;

	(void)state;
	tp = make("crl", bundle, 1, both, 2, true, false, false);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(pki_tp_verify(tp, revoked, NULL, 0, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "certificate revoked"));
	pki_tp_destroy(tp);

	/* the same CRLs, but revocation checking off: the revoked certificate passes */
	tp = make("nocheck", bundle, 1, both, 2, false, false, false);
	assert_int_equal(pki_tp_verify(tp, revoked, NULL, 0, err, sizeof(err)), 0);
	pki_tp_destroy(tp);

	/* the root revoked the intermediate: every leaf under it fails */
	tp = make("introv", bundle, 1, int_rev, 2, true, false, false);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "certificate revoked"));
	assert_non_null(strstr(err, "depth 1"));
	pki_tp_destroy(tp);

	/* no CRL for the root's certificates: "crl" fails, "crl none" accepts... */
	tp = make("strict", bundle, 1, leaf_only, 1, true, false, false);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "unable to get certificate CRL"));
	pki_tp_destroy(tp);
	tp = make("lenient", bundle, 1, leaf_only, 1, true, true, false);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	/* ...but a CRL that is there still revokes */
	assert_int_equal(pki_tp_verify(tp, revoked, NULL, 0, err, sizeof(err)), -EACCES);
	pki_tp_destroy(tp);

	/* an expired CRL is a failure, not a pass */
	tp = make("old", bundle, 1, old, 2, true, true, false);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "CRL has expired"));
	pki_tp_destroy(tp);
}

static void test_eku(void **state)
{
	const char *bundle[] = { cg_path(dir, "bundle.pem") };
	struct pki_tp *tp;

	(void)state;
	tp = make("eku", bundle, 1, NULL, 0, false, false, true);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(pki_tp_verify(tp, noeku, NULL, 0, err, sizeof(err)), -EACCES);
	assert_string_equal(err, "certificate lacks extended key usage clientAuth");
	assert_int_equal(pki_tp_verify(tp, own, NULL, 0, err, sizeof(err)), -EACCES); /* serverAuth */
	pki_tp_destroy(tp);
	tp = make("noeku", bundle, 1, NULL, 0, false, false, false);
	assert_int_equal(pki_tp_verify(tp, noeku, NULL, 0, err, sizeof(err)), 0);
	pki_tp_destroy(tp);
}

/* Independent SHA-1 over i2d_PUBKEY (the same DER SubjectPublicKeyInfo). */
static void spki_sha1(X509 *x, uint8_t out[20])
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(X509_get0_pubkey(x), &der);

	assert_true(len > 0);
	SHA1(der, (size_t)len, out);
	OPENSSL_free(der);
}

static void test_certreq(void **state)
{
	const char *bundle[] = { cg_path(dir, "bundle.pem") };
	const char *other[] = { cg_path(dir, "other.pem") };
	struct pki_tp *tps[2];
	const uint8_t (*h)[PKI_SHA1_LEN];
	uint8_t want[20], req[3 * 20 + 7];

	(void)state;
	tps[0] = make("a", other, 1, NULL, 0, false, false, false);
	tps[1] = make("b", bundle, 1, NULL, 0, false, false, false);
	assert_int_equal(pki_tp_ca_hashes(tps[1], &h), 2);
	spki_sha1(inter, want);
	assert_memory_equal(h[1], want, 20);
	assert_true(pki_tp_has_ca_hash(tps[1], want));
	assert_false(pki_tp_has_ca_hash(tps[0], want));

	/* CERTREQ naming an unknown CA, then the intermediate, then a partial hash */
	memset(req, 0xab, sizeof(req));
	memcpy(req + 20, want, 20);
	assert_ptr_equal(pki_tp_find_by_certreq(tps, 2, req, sizeof(req)), tps[1]);
	spki_sha1(other_root, want);
	memcpy(req + 40, want, 20);
	/* both named: the first trustpoint in the caller's order wins */
	assert_ptr_equal(pki_tp_find_by_certreq(tps, 2, req, sizeof(req)), tps[0]);
	assert_null(pki_tp_find_by_certreq(tps, 2, req, 20));
	assert_null(pki_tp_find_by_certreq(tps, 2, req + 40, 19)); /* partial hash ignored */
	pki_tp_destroy(tps[0]);
	pki_tp_destroy(tps[1]);
}

static void test_own_cert(void **state)
{
	const char *bundle[] = { cg_path(dir, "bundle.pem") };
	const char *missing[] = { cg_path(dir, "nope.pem") };
	const char *crl_as_ca[] = { cg_path(dir, "root.crl") };
	const char *leaf_as_ca[] = { cg_path(dir, "own.pem") };
	struct pki_tp_cfg c = { .name = "own", .ca_files = bundle, .n_ca = 1,
				.cert_file = cg_path(dir, "own.pem"),
				.key_file = cg_path(dir, "own.key") };
	struct pki_tp *tp = NULL;

	(void)state;
	assert_int_equal(pki_tp_create(&c, &tp, err, sizeof(err)), 0);
	assert_int_equal(X509_cmp(pki_tp_cert(tp), own), 0);
	assert_int_equal(sk_X509_num(pki_tp_cert_chain(tp)), 1);
	assert_true(EVP_PKEY_is_a(pki_tp_key(tp), "RSA"));
	pki_tp_destroy(tp);

	c.key_file = cg_path(dir, "wrong.key");
	assert_int_equal(pki_tp_create(&c, &tp, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "does not belong to the certificate"));
	c.key_file = NULL;
	assert_int_equal(pki_tp_create(&c, &tp, err, sizeof(err)), -EINVAL);
	c.cert_file = NULL;
	c.ca_files = missing;
	assert_int_equal(pki_tp_create(&c, &tp, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "nope.pem"));
	c.ca_files = crl_as_ca;
	assert_int_equal(pki_tp_create(&c, &tp, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "holds no certificate"));
	c.ca_files = leaf_as_ca;
	assert_int_equal(pki_tp_create(&c, &tp, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is not a CA certificate"));
	c.n_ca = 0;
	assert_int_equal(pki_tp_create(&c, &tp, err, sizeof(err)), -EINVAL);
	assert_null(tp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_eku),
		cmocka_unit_test(test_certreq),
		cmocka_unit_test(test_own_cert),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
