/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Fetched revocation (controlplane/pki/revoke.c) on a PKI made at test time: root ->
 * intermediate -> clients, an OCSP responder certificate issued by the intermediate. OCSP
 * responses are built here with OpenSSL's API: good, revoked, unknown, a tampered signature,
 * a signer without the OCSPSigning EKU, a foreign signer, an out-of-date response, a wrong or
 * missing nonce, an error status. Then trustpoints with the methods in order (ocsp / crl /
 * none), CRLs from distribution points, and the cache (hits, expiry, retry after failure),
 * with the network replaced by a function that plays CRL server and responder.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include "certgen.h"
#include "controlplane/pki/http.h"
#include "controlplane/pki/revoke.h"
#include "controlplane/pki/trustpoint.h"

static char *dir;
static EVP_PKEY *root_k, *int_k, *leaf_k, *resp_k, *other_k;
static X509 *root, *inter, *good, *revoked, *unknown, *responder, *rogue, *other_root;
static X509_CRL *root_crl, *int_crl;
static char err[1024];

enum signer { SIGN_RESPONDER, SIGN_CA, SIGN_ROGUE, SIGN_FOREIGN };

/* The fake network: CRL server and OCSP responder. */
static struct fake {
	int crl_calls, ocsp_calls;
	bool crl_down, ocsp_down, crl_pem;
	X509_CRL *inter_crl;            /* served at http://crl.test/inter.crl (NULL: int_crl) */
	enum signer signer;
	bool expired, bad_nonce, no_nonce, tamper, err_status;
	bool saw_nonce;                 /* the last request carried a nonce */
	unsigned slow_ms;               /* each fetch takes this long (threads overlap) */
} f;

#define LEAF_EXT_CDP "URI:http://crl.test/inter.crl"
#define LEAF_EXT_AIA "OCSP;URI:http://ocsp.test/"

static uint8_t *to_der_resp(OCSP_RESPONSE *r, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_OCSP_RESPONSE(r, &der);
	uint8_t *out;

	assert_true(n > 0);
	out = malloc((size_t)n);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return out;
}

/* A signed response to @p req (status by serial: 101 revoked, 102 unknown, else good). */
static uint8_t *make_response(OCSP_REQUEST *req, size_t *len)
{
	OCSP_ONEREQ *one = OCSP_request_onereq_get0(req, 0);
	OCSP_CERTID *id = OCSP_onereq_get0_id(one);
	ASN1_INTEGER *serial = NULL;
	ASN1_OCTET_STRING *ikh = NULL;
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *r;
	ASN1_TIME *thisupd = ASN1_TIME_new(), *nextupd = ASN1_TIME_new(), *rt = ASN1_TIME_new();
	STACK_OF(X509) *certs = sk_X509_new_null();
	uint8_t root_hash[20], *out;
	unsigned int hl;
	time_t now = time(NULL);
	long sn;
	int status;
	X509 *scert;
	EVP_PKEY *skey;

	if (f.err_status) {
		r = OCSP_response_create(OCSP_RESPONSE_STATUS_TRYLATER, NULL);
		out = to_der_resp(r, len);
		OCSP_RESPONSE_free(r);
		OCSP_BASICRESP_free(bs);
		ASN1_TIME_free(thisupd);
		ASN1_TIME_free(nextupd);
		ASN1_TIME_free(rt);
		sk_X509_free(certs);
		return out;
	}
	OCSP_id_get0_info(NULL, NULL, &ikh, &serial, id);
	sn = ASN1_INTEGER_get(serial);
	status = sn == 101 ? V_OCSP_CERTSTATUS_REVOKED :
		 sn == 102 ? V_OCSP_CERTSTATUS_UNKNOWN : V_OCSP_CERTSTATUS_GOOD;
	ASN1_TIME_set(thisupd, f.expired ? now - 2 * 86400 : now - 60);
	ASN1_TIME_set(nextupd, f.expired ? now - 86400 : now + 3600);
	ASN1_TIME_set(rt, now - 1800);
	assert_non_null(OCSP_basic_add1_status(bs, id, status, OCSP_REVOKED_STATUS_KEYCOMPROMISE,
					       rt, thisupd, nextupd));
	if (f.bad_nonce)
		OCSP_basic_add1_nonce(bs, (unsigned char *)"0123456789abcdef", 16);
	else if (!f.no_nonce)
		OCSP_copy_nonce(bs, req);
	/* the root answers for its own certificates (the intermediate), as a CA does */
	X509_pubkey_digest(root, EVP_sha1(), root_hash, &hl);
	if (ASN1_STRING_length(ikh) == 20 && !memcmp(ASN1_STRING_get0_data(ikh), root_hash, 20)) {
		scert = root;
		skey = root_k;
	} else {
		switch (f.signer) {
		case SIGN_RESPONDER: scert = responder; skey = resp_k; break;
		case SIGN_CA: scert = inter; skey = int_k; break;
		case SIGN_ROGUE: scert = rogue; skey = resp_k; break;
		default: scert = other_root; skey = other_k; break;
		}
	}
	assert_int_equal(OCSP_basic_sign(bs, scert, skey, EVP_sha256(), certs, 0), 1);
	if (f.tamper) {
		const ASN1_OCTET_STRING *sig = OCSP_resp_get0_signature(bs);

		((unsigned char *)ASN1_STRING_get0_data(sig))[10] ^= 0x40;
	}
	r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	out = to_der_resp(r, len);
	OCSP_RESPONSE_free(r);
	OCSP_BASICRESP_free(bs);
	ASN1_TIME_free(thisupd);
	ASN1_TIME_free(nextupd);
	ASN1_TIME_free(rt);
	sk_X509_free(certs);
	return out;
}

static int fake_fetch(void *arg, const char *url, const char *ctype, const uint8_t *body,
		      size_t body_len, size_t max_len, unsigned timeout_ms, uint8_t **out,
		      size_t *out_len, char *e, size_t elen)
{
	(void)arg;
	(void)max_len;
	(void)timeout_ms;
	*out = NULL;
	if (ctype) {
		const unsigned char *p = body;
		OCSP_REQUEST *req;

		assert_string_equal(url, "http://ocsp.test/");
		assert_string_equal(ctype, "application/ocsp-request");
		__atomic_fetch_add(&f.ocsp_calls, 1, __ATOMIC_SEQ_CST);
		if (f.slow_ms)
			usleep(f.slow_ms * 1000);
		if (f.ocsp_down) {
			snprintf(e, elen, "cannot connect to ocsp.test port 80: Connection refused");
			return -ECONNREFUSED;
		}
		req = d2i_OCSP_REQUEST(NULL, &p, (long)body_len);
		assert_non_null(req);
		__atomic_store_n(&f.saw_nonce,
				 OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1) >= 0,
				 __ATOMIC_SEQ_CST);
		*out = make_response(req, out_len);
		OCSP_REQUEST_free(req);
		return 0;
	}
	__atomic_fetch_add(&f.crl_calls, 1, __ATOMIC_SEQ_CST);
	if (f.slow_ms)
		usleep(f.slow_ms * 1000);
	if (f.crl_down) {
		snprintf(e, elen, "cannot connect to crl.test port 80: Connection refused");
		return -ECONNREFUSED;
	}
	X509_CRL *c = !strcmp(url, "http://crl.test/root.crl") ? root_crl :
		      !strcmp(url, "http://crl.test/inter.crl") ? (f.inter_crl ? f.inter_crl : int_crl)
								 : NULL;
	if (!c) {
		snprintf(e, elen, "crl.test answers HTTP status 404");
		return -EPROTO;
	}
	if (f.crl_pem) {
		BIO *b = BIO_new(BIO_s_mem());
		char *data;
		long n;

		PEM_write_bio_X509_CRL(b, c);
		n = BIO_get_mem_data(b, &data);
		*out = malloc((size_t)n);
		memcpy(*out, data, (size_t)n);
		*out_len = (size_t)n;
		BIO_free(b);
	} else {
		unsigned char *der = NULL;
		int n = i2d_X509_CRL(c, &der);

		*out = malloc((size_t)n);
		memcpy(*out, der, (size_t)n);
		*out_len = (size_t)n;
		OPENSSL_free(der);
	}
	return 0;
}

static int setup(void **state)
{
	(void)state;
	dir = cg_tmpdir();
	root_k = cg_key_ec();
	int_k = cg_key_ec();
	leaf_k = cg_key_ec();
	resp_k = cg_key_ec();
	other_k = cg_key_ec();

	struct cg_opts ro = { .subject = "/O=Rampart Test/CN=root", .serial = 1, .ca = true,
			      .not_before = time(NULL) - 30 * 86400 };
	struct cg_opts io = { .subject = "/O=Rampart Test/CN=sub CA", .serial = 2, .ca = true,
			      .not_before = time(NULL) - 30 * 86400,
			      .crl_dp = "URI:http://crl.test/root.crl", .aia = LEAF_EXT_AIA };
	struct cg_opts g = { .subject = "/CN=good", .serial = 100, .eku = "clientAuth",
			     .crl_dp = LEAF_EXT_CDP, .aia = LEAF_EXT_AIA };
	struct cg_opts r = { .subject = "/CN=revoked", .serial = 101, .eku = "clientAuth",
			     .crl_dp = LEAF_EXT_CDP, .aia = LEAF_EXT_AIA };
	struct cg_opts u = { .subject = "/CN=unknown", .serial = 102, .eku = "clientAuth",
			     .crl_dp = LEAF_EXT_CDP, .aia = LEAF_EXT_AIA };
	struct cg_opts rs = { .subject = "/CN=ocsp responder", .serial = 300, .eku = "OCSPSigning" };
	struct cg_opts rg = { .subject = "/CN=rogue responder", .serial = 301, .eku = "clientAuth" };
	struct cg_opts oro = { .subject = "/CN=other root", .serial = 1, .ca = true };

	root = cg_cert(&ro, root_k, NULL, NULL);
	inter = cg_cert(&io, int_k, root, root_k);
	good = cg_cert(&g, leaf_k, inter, int_k);
	revoked = cg_cert(&r, leaf_k, inter, int_k);
	unknown = cg_cert(&u, leaf_k, inter, int_k);
	responder = cg_cert(&rs, resp_k, inter, int_k);
	rogue = cg_cert(&rg, resp_k, inter, int_k);
	other_root = cg_cert(&oro, other_k, NULL, NULL);

	long rev_leaf[] = { 101 };

	root_crl = cg_crl(root, root_k, NULL, 0, 86400);
	int_crl = cg_crl(inter, int_k, rev_leaf, 1, 86400);
	assert_int_equal(cg_write_cert(cg_path(dir, "bundle.pem"), root, false), 0);
	assert_int_equal(cg_write_cert(cg_path(dir, "bundle.pem"), inter, true), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	X509 *certs[] = { root, inter, good, revoked, unknown, responder, rogue, other_root };

	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		X509_free(certs[i]);
	EVP_PKEY *keys[] = { root_k, int_k, leaf_k, resp_k, other_k };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		EVP_PKEY_free(keys[i]);
	X509_CRL_free(root_crl);
	X509_CRL_free(int_crl);
	cg_rmdir(dir);
	return 0;
}

static int reset(void **state)
{
	(void)state;
	memset(&f, 0, sizeof(f));
	return 0;
}

/* ---- one response, validated directly ------------------------------------------------- */

static enum pki_rev_answer validate(X509 *cert, bool with_nonce, char *why, size_t wl)
{
	X509_STORE *st = X509_STORE_new();
	STACK_OF(X509) *certs = sk_X509_new_null();
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, inter);
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	enum pki_rev_answer a;
	uint8_t *der;
	size_t len;
	time_t until;

	X509_STORE_add_cert(st, root);
	sk_X509_push(certs, inter);
	OCSP_request_add0_id(req, OCSP_CERTID_dup(id));
	if (with_nonce)
		OCSP_request_add1_nonce(req, NULL, -1);
	der = make_response(req, &len);
	a = pki_ocsp_validate(der, len, with_nonce ? req : NULL, id, st, certs, &until, why, wl);
	if (a == PKI_REV_GOOD)
		assert_true(until > time(NULL)); /* the response's nextUpdate */
	free(der);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	sk_X509_free(certs);
	X509_STORE_free(st);
	return a;
}

static void test_ocsp_validate(void **state)
{
	char why[400];

	(void)state;
	assert_int_equal(validate(good, true, why, sizeof(why)), PKI_REV_GOOD);
	assert_string_equal(why, "good");
	assert_int_equal(validate(revoked, true, why, sizeof(why)), PKI_REV_REVOKED);
	assert_string_equal(why, "revoked (keyCompromise)");
	assert_int_equal(validate(unknown, true, why, sizeof(why)), PKI_REV_NOANSWER);
	assert_non_null(strstr(why, "does not know"));

	/* signed by the CA itself: fine */
	f.signer = SIGN_CA;
	assert_int_equal(validate(good, true, why, sizeof(why)), PKI_REV_GOOD);
	/* by a certificate of the CA without EKU OCSPSigning, or by a stranger: refused */
	f.signer = SIGN_ROGUE;
	assert_int_equal(validate(good, true, why, sizeof(why)), PKI_REV_ERROR);
	assert_non_null(strstr(why, "signature is not from the CA"));
	f.signer = SIGN_FOREIGN;
	assert_int_equal(validate(good, true, why, sizeof(why)), PKI_REV_ERROR);
	f.signer = SIGN_RESPONDER;
	/* a tampered signature */
	f.tamper = true;
	assert_int_equal(validate(good, true, why, sizeof(why)), PKI_REV_ERROR);
	assert_non_null(strstr(why, "signature"));
	f.tamper = false;
	/* out of date */
	f.expired = true;
	assert_int_equal(validate(good, true, why, sizeof(why)), PKI_REV_ERROR);
	assert_string_equal(why, "the response is out of date");
	f.expired = false;
	/* another nonce than ours */
	f.bad_nonce = true;
	assert_int_equal(validate(good, true, why, sizeof(why)), PKI_REV_ERROR);
	assert_string_equal(why, "the response's nonce is not ours");
	f.bad_nonce = false;
	/* no nonce in the answer (a caching responder): accepted */
	f.no_nonce = true;
	assert_int_equal(validate(good, true, why, sizeof(why)), PKI_REV_GOOD);
	f.no_nonce = false;
	/* the responder's error status: no answer */
	f.err_status = true;
	assert_int_equal(validate(good, true, why, sizeof(why)), PKI_REV_NOANSWER);
	assert_string_equal(why, "the responder answers trylater");
	f.err_status = false;

	/* a response about another certificate, and garbage */
	{
		X509_STORE *st = X509_STORE_new();
		OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), good, inter);
		OCSP_CERTID *other = OCSP_cert_to_id(EVP_sha1(), revoked, inter);
		OCSP_REQUEST *req = OCSP_REQUEST_new();
		uint8_t *der, junk[] = { 0x30, 0x03, 0x0a, 0x01, 0x00, 0xff };
		size_t len;
		time_t until;

		X509_STORE_add_cert(st, root);
		OCSP_request_add0_id(req, OCSP_CERTID_dup(other));
		der = make_response(req, &len);
		assert_int_equal(pki_ocsp_validate(der, len, NULL, id, st, NULL, &until, why,
						   sizeof(why)), PKI_REV_ERROR);
		/* the intermediate is needed to verify the responder: without it, refused */
		assert_non_null(strstr(why, "signature is not from the CA"));
		free(der);
		assert_int_equal(pki_ocsp_validate(junk, sizeof(junk), NULL, id, st, NULL, &until,
						   why, sizeof(why)), PKI_REV_ERROR);
		assert_string_equal(why, "not an OCSP response");
		OCSP_REQUEST_free(req);
		OCSP_CERTID_free(id);
		OCSP_CERTID_free(other);
		X509_STORE_free(st);
	}
}

/* ---- trustpoints with the methods in order --------------------------------------------- */

static struct pki_tp *make(const char *methods, bool crl_fetch, bool nonce)
{
	const char *bundle[] = { cg_path(dir, "bundle.pem") };
	struct pki_tp_cfg c = { .name = methods, .ca_files = bundle, .n_ca = 1,
				.crl_fetch = crl_fetch, .ocsp_no_nonce = !nonce };
	struct pki_tp *tp = NULL;

	for (const char *m = methods; *m; m++)
		c.methods[c.n_methods++] = *m == 'c' ? PKI_REV_M_CRL :
					   *m == 'o' ? PKI_REV_M_OCSP : PKI_REV_M_NONE;
	if (pki_tp_create(&c, &tp, err, sizeof(err)))
		fail_msg("trustpoint %s: %s", methods, err);
	assert_non_null(pki_tp_rev(tp));
	pki_rev_set_fetch(pki_tp_rev(tp), fake_fetch, NULL);
	return tp;
}

static void test_tp_ocsp(void **state)
{
	struct pki_tp *tp = make("o", false, true);
	unsigned nc, no;

	(void)state;
	/* the leaf (asked of the sub CA's responder) and the sub CA (answered by the root) */
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(f.ocsp_calls, 2);
	assert_true(f.saw_nonce);
	pki_rev_stats(pki_tp_rev(tp), &nc, &no);
	assert_int_equal(no, 2);
	/* both cached until their nextUpdate */
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(f.ocsp_calls, 2);
	assert_int_equal(pki_tp_verify(tp, revoked, NULL, 0, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "certificate revoked (depth 0)"));
	assert_non_null(strstr(err, "revoked (keyCompromise)"));
	/* unknown: no answer, and "ocsp" alone refuses */
	assert_int_equal(pki_tp_verify(tp, unknown, NULL, 0, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "does not know the certificate"));
	pki_tp_destroy(tp);

	/* a bad response is no answer: refused... */
	memset(&f, 0, sizeof(f));
	f.tamper = true;
	tp = make("o", false, true);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "signature"));
	pki_tp_destroy(tp);
	/* ...unless "none" follows; unknown too */
	tp = make("on", false, true);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	f.tamper = false;
	assert_int_equal(pki_tp_verify(tp, unknown, NULL, 0, err, sizeof(err)), 0);
	/* but "none" never hides a revocation */
	assert_int_equal(pki_tp_verify(tp, revoked, NULL, 0, err, sizeof(err)), -EACCES);
	pki_tp_destroy(tp);

	/* responder down: "ocsp none" accepts, "ocsp" refuses; a failure is not retried at once */
	memset(&f, 0, sizeof(f));
	f.ocsp_down = true;
	tp = make("on", false, false);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(f.ocsp_calls, 2);
	assert_int_equal(pki_tp_verify(tp, revoked, NULL, 0, err, sizeof(err)), 0); /* no answer */
	assert_int_equal(f.ocsp_calls, 3); /* the sub CA's failure is remembered */
	pki_tp_destroy(tp);
	tp = make("o", false, false);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "Connection refused"));
	pki_tp_destroy(tp);

	/* without nonce */
	memset(&f, 0, sizeof(f));
	tp = make("o", false, false);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	assert_false(f.saw_nonce);
	pki_tp_destroy(tp);
}

static void test_tp_crl_fetch(void **state)
{
	struct pki_tp *tp = make("c", true, true);
	unsigned nc, no;

	(void)state;
	/* the leaf's CRL from the sub CA's distribution point, the sub CA's from the root's */
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(f.crl_calls, 2);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(f.crl_calls, 2); /* cached */
	assert_int_equal(pki_tp_verify(tp, revoked, NULL, 0, err, sizeof(err)), -EACCES);
	assert_string_equal(err, "certificate revoked (depth 0)");
	pki_rev_stats(pki_tp_rev(tp), &nc, &no);
	assert_int_equal(nc, 2);
	assert_int_equal(no, 0);
	pki_tp_destroy(tp);

	/* PEM is accepted too */
	f.crl_pem = true;
	tp = make("c", true, true);
	assert_int_equal(pki_tp_verify(tp, revoked, NULL, 0, err, sizeof(err)), -EACCES);
	assert_string_equal(err, "certificate revoked (depth 0)");
	pki_tp_destroy(tp);

	/* the server down: "crl" refuses, "crl none" accepts */
	memset(&f, 0, sizeof(f));
	f.crl_down = true;
	tp = make("c", true, true);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "unable to get certificate CRL"));
	assert_non_null(strstr(err, "Connection refused"));
	pki_tp_destroy(tp);
	tp = make("cn", true, true);
	assert_int_equal(pki_tp_verify(tp, revoked, NULL, 0, err, sizeof(err)), 0);
	pki_tp_destroy(tp);

	/* "ocsp crl": the responder down, the CRL decides */
	memset(&f, 0, sizeof(f));
	f.ocsp_down = true;
	tp = make("oc", true, true);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(pki_tp_verify(tp, revoked, NULL, 0, err, sizeof(err)), -EACCES);
	assert_string_equal(err, "certificate revoked (depth 0)");
	assert_true(f.ocsp_calls >= 1);
	pki_tp_destroy(tp);
	/* "crl ocsp": the CRL answers, the responder is not asked */
	memset(&f, 0, sizeof(f));
	tp = make("co", true, true);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(f.ocsp_calls, 0);
	pki_tp_destroy(tp);
	/* "ocsp crl": the responder answers, no CRL is fetched */
	memset(&f, 0, sizeof(f));
	tp = make("oc", true, true);
	assert_int_equal(pki_tp_verify(tp, good, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(f.crl_calls, 0);
	assert_int_equal(f.ocsp_calls, 2);
	pki_tp_destroy(tp);
}

/* The cache of one distribution point at chosen times: kept until nextUpdate, refetched
 * then; a refetch that fails (or brings a stale CRL) leaves no CRL and is not retried for
 * PKI_REV_RETRY_S seconds. */
static void test_crl_cache_expiry(void **state)
{
	struct pki_rev_cfg c = { .name = "t", .crl_fetch = true };
	struct pki_rev *r = pki_rev_create(&c);
	STACK_OF(X509_CRL) *out = sk_X509_CRL_new_null();
	time_t now = time(NULL), later = now + 2 * 86400; /* past int_crl's nextUpdate */
	X509_CRL *fresh = cg_crl(inter, int_k, NULL, 0, 3 * 86400);
	char why[400];

	(void)state;
	pki_rev_set_fetch(r, fake_fetch, NULL);
	assert_int_equal(pki_rev_crls(r, good, inter, now, out, why, sizeof(why)), 1);
	assert_int_equal(f.crl_calls, 1);
	assert_int_equal(pki_rev_crls(r, good, inter, now + 3600, out, why, sizeof(why)), 1);
	assert_int_equal(f.crl_calls, 1);
	assert_int_equal(sk_X509_CRL_num(out), 2);

	/* after nextUpdate: refetched; the server still has the old one, which is stale */
	assert_int_equal(pki_rev_crls(r, good, inter, later, out, why, sizeof(why)), 0);
	assert_int_equal(f.crl_calls, 2);
	assert_non_null(strstr(why, "stale"));
	/* not asked again at once */
	f.inter_crl = fresh;
	assert_int_equal(pki_rev_crls(r, good, inter, later + 1, out, why, sizeof(why)), 0);
	assert_int_equal(f.crl_calls, 2);
	assert_non_null(strstr(why, "not tried again"));
	/* then the new one */
	assert_int_equal(pki_rev_crls(r, good, inter, later + PKI_REV_RETRY_S + 1, out, why,
				      sizeof(why)), 1);
	assert_int_equal(f.crl_calls, 3);
	assert_int_equal(ASN1_TIME_compare(X509_CRL_get0_nextUpdate(sk_X509_CRL_value(out, 2)),
				       X509_CRL_get0_nextUpdate(fresh)), 0);
	/* after the new one's nextUpdate, with the server down: nothing */
	f.crl_down = true;
	assert_int_equal(pki_rev_crls(r, good, inter, later + PKI_REV_MAX_CACHE_S + 100, out, why,
				      sizeof(why)), 0);
	assert_int_equal(f.crl_calls, 4);
	assert_non_null(strstr(why, "Connection refused"));
	f.crl_down = false;

	/* a CRL of another CA at the distribution point, garbage, no distribution point */
	f.inter_crl = root_crl;
	assert_int_equal(pki_rev_crls(r, revoked, inter, later + PKI_REV_MAX_CACHE_S + 200, out, why,
				      sizeof(why)), 0);
	assert_non_null(strstr(why, "not the issuer's"));
	assert_int_equal(pki_rev_crls(r, root, root, now, out, why, sizeof(why)), 0);
	assert_string_equal(why, "no http:// CRL distribution point in the certificate");

	/* the event loop never fetches: cached or nothing */
	{
		struct pki_rev *r2 = pki_rev_create(&c);
		int calls = f.crl_calls;

		pki_rev_set_fetch(r2, fake_fetch, NULL);
		pki_rev_offline_thread();
		assert_int_equal(pki_rev_crls(r2, good, inter, now, out, why, sizeof(why)), 0);
		assert_non_null(strstr(why, "not fetched on the event loop"));
		assert_int_equal(f.crl_calls, calls);
		pki_rev_destroy(r2);
	}
	sk_X509_CRL_pop_free(out, X509_CRL_free);
	X509_CRL_free(fresh);
	pki_rev_destroy(r);
}

/* Several workers validating at once: what one fetches, the others wait for (one fetch per
 * CRL and per OCSP answer however many threads need it). */
struct vjob {
	struct pki_tp *tp;
	X509 *cert;
	int rc;
	char err[512];
};

static void *vthread(void *arg)
{
	struct vjob *j = arg;

	j->rc = pki_tp_verify(j->tp, j->cert, NULL, 0, j->err, sizeof(j->err));
	return NULL;
}

static void test_concurrent(void **state)
{
	const char *const kinds[] = { "c", "o" };
	pthread_t th[6];
	struct vjob jobs[6];

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct pki_tp *tp = make(kinds[k], k == 0, true);

		memset(&f, 0, sizeof(f));
		f.slow_ms = 50;
		for (int i = 0; i < 6; i++) {
			jobs[i] = (struct vjob){ .tp = tp, .cert = i % 2 ? revoked : good };
			assert_int_equal(pthread_create(&th[i], NULL, vthread, &jobs[i]), 0);
		}
		for (int i = 0; i < 6; i++) {
			pthread_join(th[i], NULL);
			assert_int_equal(jobs[i].rc, i % 2 ? -EACCES : 0);
			if (i % 2)
				assert_non_null(strstr(jobs[i].err, "certificate revoked (depth 0)"));
		}
		/* CRLs: the sub CA's and the root's; OCSP: good, revoked, the sub CA */
		assert_int_equal(k == 0 ? f.crl_calls : f.ocsp_calls, k == 0 ? 2 : 3);
		pki_tp_destroy(tp);
	}
}

static void test_http_urls(void **state)
{
	uint8_t *out;
	size_t len;
	char e[200];

	(void)state;
	assert_int_equal(pki_http_fetch("https://ocsp.test/", NULL, NULL, 0, 100, 100, &out, &len,
					e, sizeof(e)), -EINVAL);
	assert_int_equal(pki_http_fetch("http://a b/", NULL, NULL, 0, 100, 100, &out, &len, e,
					sizeof(e)), -EINVAL);
	assert_int_equal(pki_http_fetch("http://x/\r\nHost: y", NULL, NULL, 0, 100, 100, &out,
					&len, e, sizeof(e)), -EINVAL);
	assert_int_equal(pki_http_fetch("http://x:99999/", NULL, NULL, 0, 100, 100, &out, &len, e,
					sizeof(e)), -EINVAL);
	assert_int_equal(pki_http_fetch("http://user@x/", NULL, NULL, 0, 100, 100, &out, &len, e,
					sizeof(e)), -EINVAL);
	assert_int_equal(pki_http_fetch("http://[2001:db8::1/", NULL, NULL, 0, 100, 100, &out, &len,
					e, sizeof(e)), -EINVAL);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ocsp_validate, reset),
		cmocka_unit_test_setup(test_tp_ocsp, reset),
		cmocka_unit_test_setup(test_tp_crl_fetch, reset),
		cmocka_unit_test_setup(test_concurrent, reset),
		cmocka_unit_test_setup(test_crl_cache_expiry, reset),
		cmocka_unit_test(test_http_urls),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
