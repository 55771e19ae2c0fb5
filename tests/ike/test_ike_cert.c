/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * IKE_AUTH with certificates through the policy model (controlplane/ike/ike_cert.c): our
 * responder against tests/ike/initiator.c, with a CA, client and server certificates, a CRL
 * and an untrusted CA made at test time (tests/pki/certgen.c), trustpoints, certificate maps,
 * profiles and a keyring built from a real configuration text (pol_set_build).
 *
 * The initiator signs with OpenSSL directly, writing the RFC 7427 AlgorithmIdentifiers from
 * the RFC's Appendix A bytes, so that the responder's parser is checked against an
 * independent encoding; the responder's signature is checked the same way.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../pki/certgen.h"
#include "common/conf.h"
#include "controlplane/ike/ike_cert.h"
#include "controlplane/ike/keyring.h"
#include "controlplane/policy/policy.h"
#include "controlplane/policy/show.h"
#include "controlplane/util/sbuf.h"
#include "controlplane/util/workpool.h"
#include "fixture.h"
#include "initiator.h"

/* ---- RFC 7427 Appendix A ---------------------------------------------------------------- */

static const uint8_t ai_sha256_rsa[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
					 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
static const uint8_t ai_ecdsa_sha384[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
					   0x3d, 0x04, 0x03, 0x03 };
static const uint8_t ai_ecdsa_sha256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
					   0x3d, 0x04, 0x03, 0x02 };
/* RSASSA-PSS, SHA-256, MGF1 with SHA-256, salt 32 */
static const uint8_t ai_pss_sha256[] = {
	0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34,
	0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
	0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
	0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
	0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20 };

/* ---- the test PKI ----------------------------------------------------------------------- */

struct pki {
	char *dir;
	EVP_PKEY *ca_key, *ca2_key, *srv_key, *rsa_key, *ec256_key, *ec384_key, *ca3_key, *srv2_key;
	X509 *ca, *ca2, *srv, *ca3, *srv2;
	X509 *alice_rsa, *alice_ec256, *alice_ec384, *expired, *revoked, *untrusted, *green_rsa,
		*green_ec, *dn_rsa;
	struct rp_cfg cfg;
	struct pol_set *set;
};

static struct pki P;
static unsigned fx_threads; /* the groups run without worker threads, then with two */

#define HOUR 3600

static X509 *leaf(const char *subj, long serial, EVP_PKEY *k, const char *san, X509 *ca,
		  EVP_PKEY *cak, time_t nb, time_t na)
{
	struct cg_opts o = { .subject = subj, .serial = serial, .san = san, .not_before = nb,
			     .not_after = na };
	X509 *x = cg_cert(&o, k, ca, cak);

	assert_non_null(x);
	return x;
}

static int group_setup(void **state)
{
	struct cg_opts cao = { .subject = "/O=Rampart/CN=Rampart Test CA", .serial = 1, .ca = true };
	struct cg_opts ca2o = { .subject = "/O=Elsewhere/CN=Untrusted CA", .serial = 1, .ca = true };
	struct cg_opts ca3o = { .subject = "/O=Rampart/CN=Rampart EC CA", .serial = 1, .ca = true };
	time_t now = time(NULL);
	long rev[] = { 77 };
	X509_CRL *crl;
	char conf[4096];

	(void)state;
	P.dir = cg_tmpdir();
	P.ca_key = cg_key_rsa();
	P.ca2_key = cg_key_rsa();
	P.srv_key = cg_key_rsa();
	P.rsa_key = cg_key_rsa();
	P.ec256_key = cg_key_ec();
	P.ec384_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	assert_non_null(P.ec384_key);
	P.ca = cg_cert(&cao, P.ca_key, NULL, NULL);
	P.ca2 = cg_cert(&ca2o, P.ca2_key, NULL, NULL);
	/* a second trustpoint: an ECDSA CA and our ECDSA certificate under it */
	P.ca3_key = cg_key_ec();
	P.srv2_key = cg_key_ec();
	P.ca3 = cg_cert(&ca3o, P.ca3_key, NULL, NULL);
	P.srv2 = leaf("/O=Rampart/CN=vpn.example.test ec", 3, P.srv2_key, "DNS:vpn.example.test",
		      P.ca3, P.ca3_key, 0, 0);
	P.srv = leaf("/O=Rampart/CN=vpn.example.test", 2, P.srv_key, "DNS:vpn.example.test", P.ca,
		     P.ca_key, 0, 0);
	P.alice_rsa = leaf("/O=Rampart/OU=staff/CN=alice", 10, P.rsa_key,
			   "email:alice@example.test,DNS:alice.example.test,IP:198.51.100.7", P.ca,
			   P.ca_key, 0, 0);
	P.alice_ec256 = leaf("/O=Rampart/OU=staff/CN=alice ec", 11, P.ec256_key,
			     "email:alice@example.test", P.ca, P.ca_key, 0, 0);
	P.alice_ec384 = leaf("/O=Rampart/OU=staff/CN=alice p384", 12, P.ec384_key,
			     "email:alice@example.test", P.ca, P.ca_key, 0, 0);
	P.expired = leaf("/O=Rampart/OU=staff/CN=old", 13, P.rsa_key, "email:alice@example.test",
			 P.ca, P.ca_key, now - 48 * HOUR, now - 24 * HOUR);
	P.revoked = leaf("/O=Rampart/OU=staff/CN=gone", 77, P.rsa_key, "email:alice@example.test",
			 P.ca, P.ca_key, 0, 0);
	P.untrusted = leaf("/O=Elsewhere/CN=mallory", 14, P.rsa_key, "email:alice@example.test",
			   P.ca2, P.ca2_key, 0, 0);
	P.green_rsa = leaf("/O=Rampart/OU=green/CN=g1", 15, P.rsa_key, "email:g1@example.test",
			   P.ca, P.ca_key, 0, 0);
	P.green_ec = leaf("/O=Rampart/OU=green/CN=g2", 16, P.ec256_key, "email:g2@example.test",
			  P.ca, P.ca_key, 0, 0);
	P.dn_rsa = leaf("/O=Rampart/OU=staff/CN=dn only", 17, P.rsa_key, NULL, P.ca, P.ca_key, 0,
			0);
	crl = cg_crl(P.ca, P.ca_key, rev, 1, 24 * HOUR);
	assert_non_null(crl);
	assert_int_equal(cg_write_cert(cg_path(P.dir, "ca.pem"), P.ca, false), 0);
	assert_int_equal(cg_write_cert(cg_path(P.dir, "srv.pem"), P.srv, false), 0);
	assert_int_equal(cg_write_key(cg_path(P.dir, "srv.key"), P.srv_key), 0);
	assert_int_equal(cg_write_crl(cg_path(P.dir, "ca.crl"), crl), 0);
	assert_int_equal(cg_write_cert(cg_path(P.dir, "ca3.pem"), P.ca3, false), 0);
	assert_int_equal(cg_write_cert(cg_path(P.dir, "srv2.pem"), P.srv2, false), 0);
	assert_int_equal(cg_write_key(cg_path(P.dir, "srv2.key"), P.srv2_key), 0);
	X509_CRL_free(crl);

	/* profiles: "green" by certificate map (ECDSA only), "psk" by identity with the
	 * keyring, "certs" by certificate map of our CA or an example.test e-mail identity */
	snprintf(conf, sizeof(conf),
		 "pki = {\n"
		 "  trustpoints = ( { name = \"tp1\"; ca_certificates = [ \"%s/ca.pem\" ];\n"
		 "    certificate = \"%s/srv.pem\"; private_key = \"%s/srv.key\";\n"
		 "    revocation_check = [ \"crl\" ]; crl_files = [ \"%s/ca.crl\" ]; },\n"
		 "    { name = \"tp2\"; ca_certificates = [ \"%s/ca3.pem\" ];\n"
		 "      certificate = \"%s/srv2.pem\"; private_key = \"%s/srv2.key\"; } );\n"
		 "  certificate_maps = (\n"
		 "    { name = \"green_map\"; sequence = 10; rules = [ \"subject-name co ou = green\" ]; },\n"
		 "    { name = \"ca_map\"; sequence = 10; rules = [ \"issuer-name co cn = rampart test ca\" ]; }\n"
		 "  );\n"
		 "};\n"
		 "ikev2 = {\n"
		 "  keyrings = ( { name = \"kr\"; peers = (\n"
		 "    { name = \"p1\"; identity = \"fqdn psk.example.test\"; pre_shared_key_local = \"ours-1\";\n"
		 "      pre_shared_key_remote = \"theirs-1\"; },\n"
		 "    { name = \"p2\"; identity = \"fqdn fq.example.test\"; pre_shared_key_local = \"ours-2\";\n"
		 "      pre_shared_key_remote = \"theirs-2\"; },\n"
		 "    { name = \"p3\"; identity = \"fqdn ad.example.test\"; pre_shared_key_local = \"ours-3\";\n"
		 "      pre_shared_key_remote = \"theirs-3\"; },\n"
		 "    { name = \"p4\"; identity = \"fqdn dn.example.test\"; pre_shared_key_remote = \"theirs-4\"; },\n"
		 "    { name = \"p5\"; identity = \"fqdn kid.example.test\"; pre_shared_key_local = \"ours-5\";\n"
		 "      pre_shared_key_remote = \"theirs-5\"; } ); } );\n"
		 "  profiles = (\n"
		 "    { name = \"green\"; match = { certificate = [ \"green_map\" ]; };\n"
		 "      authentication = { local = \"rsa-sig\"; remote = [ \"ecdsa-sig\" ]; };\n"
		 "      trustpoints = [ \"tp1\" ]; },\n"
		 "    { name = \"psk\"; match = { identity_remote = [ \"fqdn psk.example.test\" ]; };\n"
		 "      authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };\n"
		 "      keyring = \"kr\"; },\n"
		 "    { name = \"certs\"; match = { certificate = [ \"ca_map\" ];\n"
		 "                                identity_remote = [ \"email domain example.test\" ]; };\n"
		 "      authentication = { local = \"rsa-sig\"; remote = [ \"rsa-sig\", \"ecdsa-sig\" ]; };\n"
		 "      trustpoints = [ \"tp1\", \"tp2\" ]; },\n"
		 /* identity_local: our IDr per profile */
		 "    { name = \"idfqdn\"; match = { identity_remote = [ \"fqdn fq.example.test\" ]; };\n"
		 "      authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };\n"
		 "      keyring = \"kr\"; identity_local = \"fqdn gw.example.test\"; },\n"
		 "    { name = \"idaddr\"; match = { identity_remote = [ \"fqdn ad.example.test\" ]; };\n"
		 "      authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };\n"
		 "      keyring = \"kr\"; identity_local = \"address\"; },\n"
		 "    { name = \"iddn\"; match = { identity_remote = [ \"fqdn dn.example.test\" ]; };\n"
		 "      authentication = { local = \"ecdsa-sig\"; remote = [ \"pre-share\" ]; };\n"
		 "      keyring = \"kr\"; trustpoints = [ \"tp2\" ]; identity_local = \"dn\"; },\n"
		 "    { name = \"idkid\"; match = { identity_remote = [ \"fqdn kid.example.test\" ]; };\n"
		 "      authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };\n"
		 "      keyring = \"kr\"; identity_local = \"key-id rampart gw 1\"; },\n"
		 /* keyring_aaa: the keys from the PSK source (test_keyring_aaa) */
		 "    { name = \"aaapsk\"; match = { identity_remote = [ \"email domain aaa.test\" ]; };\n"
		 "      authentication = { local = \"pre-share\"; remote = [ \"pre-share\" ]; };\n"
		 "      keyring_aaa = { list = \"pskl\"; name_mangler = \"un\"; password = \"pw-x\"; }; }\n"
		 "  );\n"
		 "  name_manglers = ( { name = \"un\"; email = \"username\"; } );\n"
		 "};\n"
		 "aaa = { authorization = ( { name = \"pskl\"; type = \"network\"; methods = [ \"local\" ]; } ); };\n", P.dir, P.dir, P.dir, P.dir, P.dir, P.dir, P.dir);
	if (rp_cfg_load_string(&P.cfg, "t.conf", conf, rp_conf_schema))
		fail_msg("config: %s", P.cfg.err);
	if (pol_set_build(&P.cfg, 0, &P.set))
		fail_msg("policy: %s", P.cfg.err);
	return 0;
}

static int group_teardown(void **state)
{
	X509 *xs[] = { P.ca, P.ca2, P.ca3, P.srv, P.srv2, P.alice_rsa, P.alice_ec256, P.alice_ec384, P.expired,
		       P.revoked, P.untrusted, P.green_rsa, P.green_ec, P.dn_rsa };
	EVP_PKEY *ks[] = { P.ca_key, P.ca2_key, P.srv_key, P.rsa_key, P.ec256_key, P.ec384_key,
			   P.ca3_key, P.srv2_key };

	(void)state;
	pol_set_free(P.set);
	rp_cfg_free(&P.cfg);
	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
		X509_free(xs[i]);
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++)
		EVP_PKEY_free(ks[i]);
	cg_rmdir(P.dir);
	return 0;
}

/* ---- the initiator's signer (OpenSSL directly) ------------------------------------------- */

enum sig_kind { SIG_RSA_CLASSIC, SIG_RSA_SHA256, SIG_RSA_PSS, SIG_ECDSA_256, SIG_ECDSA_SHA384,
		SIG_ECDSA_SHA256_DER };

struct signer {
	enum sig_kind kind;
	EVP_PKEY *key;
	bool corrupt;                   /**< flip a bit of the signature */
};

static size_t evp_sign(EVP_PKEY *k, const EVP_MD *md, bool pss, const uint8_t *d, size_t l,
		       uint8_t *out, size_t cap)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t sl = cap;

	assert_int_equal(EVP_DigestSignInit(ctx, &pctx, md, NULL, k), 1);
	if (pss) {
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0);
	}
	assert_int_equal(EVP_DigestSign(ctx, out, &sl, d, l), 1);
	EVP_MD_CTX_free(ctx);
	return sl;
}

static size_t with_ai(const uint8_t *ai, size_t ail, uint8_t *out)
{
	out[0] = (uint8_t)ail;
	memcpy(out + 1, ai, ail);
	return 1 + ail;
}

static int sign_cb(void *arg, const uint8_t *oct, size_t len, uint8_t *method, uint8_t *auth,
		   size_t *auth_len)
{
	struct signer *s = arg;
	uint8_t der[200];
	size_t o, dl;

	switch (s->kind) {
	case SIG_RSA_CLASSIC:
		*method = IKE_AUTH_RSA_SIG;
		*auth_len = evp_sign(s->key, EVP_sha1(), false, oct, len, auth, IKE_AUTH_DATA_MAX);
		break;
	case SIG_RSA_SHA256:
		*method = IKE_AUTH_DIGITAL_SIG;
		o = with_ai(ai_sha256_rsa, sizeof(ai_sha256_rsa), auth);
		*auth_len = o + evp_sign(s->key, EVP_sha256(), false, oct, len, auth + o, 600);
		break;
	case SIG_RSA_PSS:
		*method = IKE_AUTH_DIGITAL_SIG;
		o = with_ai(ai_pss_sha256, sizeof(ai_pss_sha256), auth);
		*auth_len = o + evp_sign(s->key, EVP_sha256(), true, oct, len, auth + o, 600);
		break;
	case SIG_ECDSA_SHA384:
		*method = IKE_AUTH_DIGITAL_SIG;
		o = with_ai(ai_ecdsa_sha384, sizeof(ai_ecdsa_sha384), auth);
		*auth_len = o + evp_sign(s->key, EVP_sha384(), false, oct, len, auth + o, 200);
		break;
	case SIG_ECDSA_SHA256_DER:
		*method = IKE_AUTH_DIGITAL_SIG;
		o = with_ai(ai_ecdsa_sha256, sizeof(ai_ecdsa_sha256), auth);
		*auth_len = o + evp_sign(s->key, EVP_sha256(), false, oct, len, auth + o, 200);
		break;
	case SIG_ECDSA_256: {
		/* RFC 4754: r | s, 32 bytes each */
		const unsigned char *p = der;
		ECDSA_SIG *es;
		const BIGNUM *r, *ss;

		int n = (EVP_PKEY_get_bits(s->key) + 7) / 8; /* 32 on P-256 */

		*method = IKE_AUTH_ECDSA_256;
		dl = evp_sign(s->key, EVP_sha256(), false, oct, len, der, sizeof(der));
		es = d2i_ECDSA_SIG(NULL, &p, (long)dl);
		assert_non_null(es);
		ECDSA_SIG_get0(es, &r, &ss);
		assert_int_equal(BN_bn2binpad(r, auth, n), n);
		assert_int_equal(BN_bn2binpad(ss, auth + n, n), n);
		ECDSA_SIG_free(es);
		*auth_len = 2 * (size_t)n;
		break;
	}
	}
	if (s->corrupt)
		auth[*auth_len - 5] ^= 0x10;
	return 0;
}

/* ---- the exchange ------------------------------------------------------------------------- */

/* fx_resp_cfg() without an integrity algorithm or local traffic selectors */
static struct ike_resp_cfg cert_cfg(void)
{
	struct ike_resp_cfg c = fx_resp_cfg();

	c.integ[0] = 0;
	c.n_local_ts = 0;
	return c;
}

static const struct ike_addr peer = FX_PEER4(500);
static const struct ike_addr local = FX_LOCAL4(500);

struct fx {
	struct ike_resp *r;
	struct ini_rng_state rs;
	struct fx_wire w;
	struct ike_keyring *kr;
	struct ike_authenticator kauth, pauth;
	struct ike_pauth *pa;
	struct workpool *wp;
	struct ike_msg m;
	uint8_t req[8192], plain[8192];
	size_t req_len;
	struct ini in;
	/* from the IKE_SA_INIT response */
	bool init_certreq;
	uint8_t init_certreq_hash[20];   /**< the first CA named */
	size_t init_certreq_len;
	uint8_t init_certreq_all[64];
	/* from the IKE_AUTH response */
	uint16_t notify;                  /**< an error notify instead of AUTH */
	uint8_t method;
	uint8_t auth[IKE_AUTH_DATA_MAX];
	size_t auth_len;
	unsigned n_certs;
	uint8_t cert[2048];
	size_t cert_len;
	uint8_t idr[300];
	size_t idr_len;
};

static struct fx *fx_new(bool fallback)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct ike_resp_cfg cfg = cert_cfg();
	struct ike_rng rng = { ini_rng, &f->rs };
	uint8_t *creq;
	size_t creq_len;

	assert_non_null(f);
	f->rs.s = 0xce27;
	assert_int_equal(ike_resp_create(&cfg, &rng, fx_capture, &f->w, &f->r), 0);
	assert_int_equal(ike_keyring_create(&f->kr), 0);
	assert_int_equal(ike_keyring_add(f->kr, IKE_ID_FQDN, "legacy.example.org", 18,
					 "legacy-key", 10), 0);
	ike_keyring_authenticator(f->kr, &f->kauth);
	if (fx_threads)
		assert_int_equal(wp_create(fx_threads, 64, &f->wp), 0);
	assert_int_equal(ike_pauth_create(P.set, fallback ? &f->kauth : NULL, f->wp, &f->pa), 0);
	ike_pauth_authenticator(f->pa, &f->pauth);
	ike_resp_set_auth(f->r, &f->pauth);
	assert_int_equal(ike_pauth_certreq(P.set, &creq, &creq_len), 0);
	assert_int_equal(creq_len, 40); /* two CAs, tp1's named once although two profiles use it */
	assert_int_equal(ike_resp_set_certreq(f->r, creq, creq_len), 0);
	free(creq);
	return f;
}

static void fx_free(struct fx *f)
{
	ini_free(&f->in);
	ike_resp_destroy(f->r);
	ike_pauth_destroy(f->pa);
	wp_destroy(f->wp);
	ike_keyring_destroy(f->kr);
	free(f);
}

/* With worker threads the answer comes later: deliver completions until it is there. */
static void pump(struct fx *f)
{
	for (int i = 0; fx_threads && i < 200 && f->w.n == 0; i++) {
		struct pollfd pfd = { .fd = wp_fd(f->wp), .events = POLLIN };

		poll(&pfd, 1, 50);
		wp_run_done(f->wp);
	}
}

static void do_init(struct fx *f, uint64_t seed, uint16_t hashes)
{
	uint16_t dh[] = { IKE_DH_CURVE25519, 0 };
	struct ike_sa_pl *sa = calloc(1, sizeof(*sa));
	const struct ike_pl *cr;
	size_t len;

	ini_init(&f->in, seed, IKE_DH_CURVE25519);
	f->in.sig_hashes = hashes;
	ini_proposal(sa, IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_256, 0, dh);
	len = ini_build_init(&f->in, sa, NULL, 0, f->req, sizeof(f->req));
	assert_true(len > 0);
	f->w.n = 0;
	ike_resp_input(f->r, f->req, len, &peer, &local);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_init(&f->in, f->w.buf, f->w.len, &f->m), 0);
	assert_int_equal(ike_msg_parse(f->w.buf, f->w.len, &f->m, NULL), IKE_PERR_OK);
	cr = ike_msg_find(&f->m, IKE_PL_CERTREQ, NULL);
	f->init_certreq = cr && cr->f.u8a == IKE_CERT_X509_SIG && cr->f.data.len >= 20 &&
			  cr->f.data.len % 20 == 0 && cr->f.data.len <= sizeof(f->init_certreq_all);
	if (f->init_certreq) {
		memcpy(f->init_certreq_hash, cr->f.data.p, 20);
		memcpy(f->init_certreq_all, cr->f.data.p, cr->f.data.len);
		f->init_certreq_len = cr->f.data.len;
	}
	free(sa);
}

static void read_auth(struct fx *f);

/* Send IKE_AUTH; fill f's view of the response. */
static void do_auth(struct fx *f, const struct ini_auth_opts *o)
{
	f->req_len = ini_build_auth(&f->in, o, f->req, sizeof(f->req));
	assert_true(f->req_len > 0);
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
	pump(f);
	read_auth(f);
}

/* f's view of the IKE_AUTH response in f->w. */
static void read_auth(struct fx *f)
{
	const struct ike_pl *pl;
	size_t pln;

	assert_int_equal(f->w.n, 1);
	assert_int_equal(ike_msg_parse(f->w.buf, f->w.len, &f->m, NULL), IKE_PERR_OK);
	assert_int_equal(ike_sk_open(&f->in.alg, f->in.keys.sk_er, f->in.keys.sk_ar, &f->m,
				     f->plain, sizeof(f->plain), &pln), 0);
	assert_int_equal(ike_payloads_parse(f->m.sk_next, f->plain, pln, &f->m, NULL),
			 IKE_PERR_OK);
	f->notify = 0;
	f->n_certs = 0;
	f->auth_len = 0;
	pl = ike_msg_find(&f->m, IKE_PL_NOTIFY, NULL);
	if (pl && pl->f.u16a <= IKE_N_ERROR_MAX)
		f->notify = pl->f.u16a;
	pl = ike_msg_find(&f->m, IKE_PL_AUTH, NULL);
	if (pl) {
		f->method = pl->f.u8a;
		f->auth_len = pl->f.data.len;
		memcpy(f->auth, pl->f.data.p, pl->f.data.len);
	}
	pl = ike_msg_find(&f->m, IKE_PL_IDR, NULL);
	if (pl) {
		f->idr_len = pl->body.len;
		memcpy(f->idr, pl->body.p, pl->body.len);
	}
	for (pl = NULL; (pl = ike_msg_find(&f->m, IKE_PL_CERT, pl));) {
		assert_int_equal(pl->f.u8a, IKE_CERT_X509_SIG);
		if (!f->n_certs++) {
			assert_true(pl->f.data.len <= sizeof(f->cert));
			memcpy(f->cert, pl->f.data.p, pl->f.data.len);
			f->cert_len = pl->f.data.len;
		}
	}
}

static void der_of(X509 *x, uint8_t **der, size_t *len)
{
	unsigned char *p = NULL;
	int l = i2d_X509(x, &p);

	assert_true(l > 0);
	*der = p;
	*len = (size_t)l;
}

/* Our AUTH, checked with OpenSSL against the server certificate the response carried. */
static void check_responder_sig(struct fx *f, bool rfc7427)
{
	const unsigned char *p = f->cert;
	X509 *x = d2i_X509(NULL, &p, (long)f->cert_len);
	uint8_t oct[4096];
	size_t ol;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const uint8_t *sig = f->auth;
	size_t sl = f->auth_len;

	assert_non_null(x);
	assert_int_equal(X509_cmp(x, P.srv), 0);
	assert_int_equal(ike_auth_octets(f->in.suite.prf, f->in.init_resp, f->in.init_resp_len,
					 f->in.ni, sizeof(f->in.ni), f->in.keys.sk_pr,
					 f->in.keys.p_len, f->idr, f->idr_len, oct, sizeof(oct),
					 &ol), 0);
	if (rfc7427) {
		assert_int_equal(f->method, IKE_AUTH_DIGITAL_SIG);
		assert_int_equal(f->auth[0], sizeof(ai_sha256_rsa));
		assert_memory_equal(f->auth + 1, ai_sha256_rsa, sizeof(ai_sha256_rsa));
		sig += 1 + sizeof(ai_sha256_rsa);
		sl -= 1 + sizeof(ai_sha256_rsa);
	} else {
		assert_int_equal(f->method, IKE_AUTH_RSA_SIG);
	}
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, rfc7427 ? EVP_sha256() : EVP_sha1(), NULL,
					      X509_get0_pubkey(x)), 1);
	assert_int_equal(EVP_DigestVerify(ctx, sig, sl, oct, ol), 1);
	EVP_MD_CTX_free(ctx);
	X509_free(x);
}

#define ALL_SHA2 (1u << IKE_HASH_SHA2_256 | 1u << IKE_HASH_SHA2_384 | 1u << IKE_HASH_SHA2_512)

/* One certificate authentication; @return the error notify (0: authenticated). */
static uint16_t cert_auth(struct fx *f, uint64_t seed, uint16_t hashes, X509 *cert,
			  struct signer *s, const char *id, uint8_t id_type)
{
	struct ini_auth_opts o = { .id = id, .id_type = id_type, .no_child = true, .no_cp = true,
				   .sign = sign_cb, .sign_arg = s, .n_certs = 1 };
	uint8_t *der;
	size_t len;

	do_init(f, seed, hashes);
	der_of(cert, &der, &len);
	o.cert[0] = der;
	o.cert_len[0] = len;
	o.certreq = f->init_certreq_hash;
	o.certreq_len = 20;
	do_auth(f, &o);
	OPENSSL_free(der);
	if (f->notify)
		assert_int_equal(f->auth_len, 0);
	return f->notify;
}

static struct ike_sa *sa_of(struct fx *f)
{
	return ike_resp_find(f->r, f->in.spi_i, f->in.spi_r);
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_certreq_in_init(void **state)
{
	struct fx *f = fx_new(false);
	uint8_t h[20];

	(void)state;
	do_init(f, 1, 0);
	assert_true(f->init_certreq);
	assert_int_equal(pki_spki_sha1(P.ca, h), 0);
	assert_memory_equal(f->init_certreq_hash, h, 20);
	assert_int_equal(f->init_certreq_len, 40);
	assert_int_equal(pki_spki_sha1(P.ca3, h), 0);
	assert_memory_equal(f->init_certreq_all + 20, h, 20);
	fx_free(f);
}

static void test_rsa_classic(void **state)
{
	struct fx *f = fx_new(false);
	struct signer s = { SIG_RSA_CLASSIC, P.rsa_key, false };

	(void)state;
	/* no SIGNATURE_HASH_ALGORITHMS from the peer: method 1 both ways */
	assert_int_equal(cert_auth(f, 2, 0, P.alice_rsa, &s, "alice@example.test",
				   IKE_ID_RFC822_ADDR), 0);
	assert_int_equal(f->n_certs, 1);
	check_responder_sig(f, false);
	assert_int_equal(ike_sa_state(sa_of(f)), IKE_SA_ESTABLISHED);
	fx_free(f);
}

static void test_rsa_rfc7427(void **state)
{
	struct fx *f = fx_new(false);
	struct signer s = { SIG_RSA_SHA256, P.rsa_key, false };

	(void)state;
	assert_int_equal(cert_auth(f, 3, ALL_SHA2, P.alice_rsa, &s, "alice@example.test",
				   IKE_ID_RFC822_ADDR), 0);
	check_responder_sig(f, true);
	assert_int_equal(ike_sa_state(sa_of(f)), IKE_SA_ESTABLISHED);
	fx_free(f);
	/* FQDN and IP address identities from the subjectAltName */
	f = fx_new(false);
	assert_int_equal(cert_auth(f, 4, ALL_SHA2, P.alice_rsa, &s, "alice.example.test",
				   IKE_ID_FQDN), 0 /* via the CA's certificate map */);
	fx_free(f);
	f = fx_new(false);
	assert_int_equal(cert_auth(f, 5, ALL_SHA2, P.alice_rsa, &s, "\xc6\x33\x64\x07",
				   IKE_ID_IPV4_ADDR), 0);
	fx_free(f);
}

static void test_rsa_pss(void **state)
{
	struct fx *f = fx_new(false);
	struct signer s = { SIG_RSA_PSS, P.rsa_key, false };

	(void)state;
	assert_int_equal(cert_auth(f, 6, ALL_SHA2, P.alice_rsa, &s, "alice@example.test",
				   IKE_ID_RFC822_ADDR), 0);
	check_responder_sig(f, true);
	fx_free(f);
}

static void test_ecdsa(void **state)
{
	struct fx *f = fx_new(false);
	struct signer s256 = { SIG_ECDSA_256, P.ec256_key, false };
	struct signer s256d = { SIG_ECDSA_SHA256_DER, P.ec256_key, false };
	struct signer s384 = { SIG_ECDSA_SHA384, P.ec384_key, false };
	struct signer wrong_curve = { SIG_ECDSA_256, P.ec384_key, false };

	(void)state;
	assert_int_equal(cert_auth(f, 7, 0, P.alice_ec256, &s256, "alice@example.test",
				   IKE_ID_RFC822_ADDR), 0);
	check_responder_sig(f, false);
	fx_free(f);
	f = fx_new(false);
	assert_int_equal(cert_auth(f, 8, ALL_SHA2, P.alice_ec256, &s256d, "alice@example.test",
				   IKE_ID_RFC822_ADDR), 0);
	fx_free(f);
	f = fx_new(false);
	assert_int_equal(cert_auth(f, 9, ALL_SHA2, P.alice_ec384, &s384, "alice@example.test",
				   IKE_ID_RFC822_ADDR), 0);
	check_responder_sig(f, true);
	fx_free(f);
	/* method 9 (P-256) with a P-384 certificate */
	f = fx_new(false);
	assert_int_equal(cert_auth(f, 10, 0, P.alice_ec384, &wrong_curve, "alice@example.test",
				   IKE_ID_RFC822_ADDR), IKE_N_AUTHENTICATION_FAILED);
	assert_null(sa_of(f));
	fx_free(f);
}

static void test_dn_identity(void **state)
{
	struct fx *f = fx_new(false);
	struct signer s = { SIG_RSA_SHA256, P.rsa_key, false };
	unsigned char *dn = NULL, *other = NULL;
	int dl = i2d_X509_NAME(X509_get_subject_name(P.dn_rsa), &dn);
	int ol = i2d_X509_NAME(X509_get_subject_name(P.alice_rsa), &other);
	struct ini_auth_opts o = { .id_type = IKE_ID_DER_ASN1_DN, .no_child = true,
				   .no_cp = true, .sign = sign_cb, .sign_arg = &s, .n_certs = 1 };
	uint8_t *der;
	size_t len;

	(void)state;
	assert_true(dl > 0 && ol > 0);
	der_of(P.dn_rsa, &der, &len);
	o.cert[0] = der;
	o.cert_len[0] = len;
	o.id = (const char *)dn;
	o.id_len = (size_t)dl;
	do_init(f, 11, ALL_SHA2);
	do_auth(f, &o);
	assert_int_equal(f->notify, 0);
	fx_free(f);
	/* another certificate's subject */
	f = fx_new(false);
	o.id = (const char *)other;
	o.id_len = (size_t)ol;
	do_init(f, 12, ALL_SHA2);
	do_auth(f, &o);
	assert_int_equal(f->notify, IKE_N_AUTHENTICATION_FAILED);
	fx_free(f);
	OPENSSL_free(der);
	OPENSSL_free(dn);
	OPENSSL_free(other);
}

static void test_refusals(void **state)
{
	struct signer s = { SIG_RSA_SHA256, P.rsa_key, false };
	struct signer bad = { SIG_RSA_SHA256, P.rsa_key, true };
	struct signer wrong_key = { SIG_RSA_SHA256, P.srv_key, false };
	const struct {
		X509 **cert;
		struct signer *s;
		const char *id;
		uint8_t id_type;
	} cases[] = {
		{ &P.untrusted, &s, "alice@example.test", IKE_ID_RFC822_ADDR },  /* unknown CA */
		{ &P.expired, &s, "alice@example.test", IKE_ID_RFC822_ADDR },    /* expired */
		{ &P.revoked, &s, "alice@example.test", IKE_ID_RFC822_ADDR },    /* in the CRL */
		{ &P.alice_rsa, &s, "bob@example.test", IKE_ID_RFC822_ADDR },    /* IDi not in it */
		{ &P.alice_rsa, &s, "alice", IKE_ID_KEY_ID },                    /* unbindable */
		{ &P.alice_rsa, &bad, "alice@example.test", IKE_ID_RFC822_ADDR }, /* bad signature */
		{ &P.alice_rsa, &wrong_key, "alice@example.test", IKE_ID_RFC822_ADDR },
		/* the green map selects the green profile, which allows only ecdsa-sig */
		{ &P.green_rsa, &s, "g1@example.test", IKE_ID_RFC822_ADDR },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = fx_new(false);
		struct ike_resp_stats st;

		if (cert_auth(f, 100 + i, ALL_SHA2, *cases[i].cert, cases[i].s, cases[i].id,
			      cases[i].id_type) != IKE_N_AUTHENTICATION_FAILED)
			fail_msg("case %zu was not refused", i);
		assert_null(sa_of(f)); /* the IKE SA is gone */
		ike_resp_get_stats(f->r, &st);
		assert_int_equal(st.auth_failed, 1);
		fx_free(f);
	}
}

static void test_certmap_profile(void **state)
{
	struct fx *f = fx_new(false);
	struct signer s = { SIG_ECDSA_SHA256_DER, P.ec256_key, false };
	struct signer r = { SIG_RSA_SHA256, P.rsa_key, false };

	(void)state;
	/* an ECDSA certificate with OU=green: profile green, ecdsa-sig allowed */
	assert_int_equal(cert_auth(f, 20, ALL_SHA2, P.green_ec, &s, "g2@example.test",
				   IKE_ID_RFC822_ADDR), 0);
	fx_free(f);
	/* the same identity domain with an RSA certificate outside the map: profile certs */
	f = fx_new(false);
	assert_int_equal(cert_auth(f, 21, ALL_SHA2, P.alice_rsa, &r, "alice@example.test",
				   IKE_ID_RFC822_ADDR), 0);
	fx_free(f);
}

static void test_psk_through_profile(void **state)
{
	struct fx *f = fx_new(true);
	struct ini_auth_opts o = { .id = "psk.example.test", .psk = "theirs-1", .no_child = true,
				   .no_cp = true };
	struct ike_resp_stats st;

	(void)state;
	do_init(f, 30, ALL_SHA2);
	f->req_len = ini_build_auth(&f->in, &o, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
	pump(f);
	assert_int_equal(f->w.n, 1);
	/* our AUTH is made with the keyring peer's local key */
	assert_int_equal(ini_process_auth(&f->in, f->w.buf, f->w.len, &f->m, "ours-1"), 0);
	assert_int_equal(ike_sa_state(sa_of(f)), IKE_SA_ESTABLISHED);
	fx_free(f);
	/* the wrong key */
	f = fx_new(true);
	o.psk = "ours-1";
	do_init(f, 31, 0);
	do_auth(f, &o);
	assert_int_equal(f->notify, IKE_N_AUTHENTICATION_FAILED);
	fx_free(f);
	/* pre-share in a profile that allows only certificates */
	f = fx_new(true);
	o = (struct ini_auth_opts){ .id = "alice@example.test", .id_type = IKE_ID_RFC822_ADDR,
				    .psk = "theirs-1", .no_child = true, .no_cp = true };
	do_init(f, 32, 0);
	do_auth(f, &o);
	assert_int_equal(f->notify, IKE_N_AUTHENTICATION_FAILED);
	fx_free(f);
	/* no profile matches: the ike section's PSK peers decide (when configured) */
	f = fx_new(true);
	o = (struct ini_auth_opts){ .id = "legacy.example.org", .psk = "legacy-key",
				    .no_child = true, .no_cp = true };
	do_init(f, 33, 0);
	f->req_len = ini_build_auth(&f->in, &o, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
	assert_int_equal(ini_process_auth(&f->in, f->w.buf, f->w.len, &f->m, "legacy-key"), 0);
	fx_free(f);
	f = fx_new(false);
	do_init(f, 34, 0);
	do_auth(f, &o);
	assert_int_equal(f->notify, IKE_N_AUTHENTICATION_FAILED);
	ike_resp_get_stats(f->r, &st);
	assert_int_equal(st.auth_failed, 1);
	fx_free(f);
}

/* ---- identity_local ---------------------------------------------------------------------- */

/* PSK from @p id with key @p psk; @return the IDr body of the response (type, 3 reserved,
 * data) in f->idr after checking that our AUTH (made with @p ours, NULL: a signature) is
 * over that IDr. */
static void idl_auth(struct fx *f, uint64_t seed, const char *id, const char *psk,
		     const char *ours)
{
	struct ini_auth_opts o = { .id = id, .psk = psk, .no_child = true, .no_cp = true };

	do_init(f, seed, ALL_SHA2);
	do_auth(f, &o);
	assert_int_equal(f->notify, 0);
	assert_true(f->idr_len >= 4);
	if (ours) /* the initiator checks our AUTH over the IDr it received */
		assert_int_equal(ini_process_auth(&f->in, f->w.buf, f->w.len, &f->m, ours), 0);
	assert_int_equal(ike_sa_state(sa_of(f)), IKE_SA_ESTABLISHED);
}

/* Our signature (tp2's ECDSA key, RFC 7427) checked with OpenSSL over the IDr received. */
static void check_ec_sig(struct fx *f)
{
	const unsigned char *p = f->cert;
	X509 *x = d2i_X509(NULL, &p, (long)f->cert_len);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = NULL;
	uint8_t oct[4096];
	size_t ol;

	assert_non_null(x);
	assert_int_equal(X509_cmp(x, P.srv2), 0);
	assert_int_equal(f->method, IKE_AUTH_DIGITAL_SIG);
	if (f->auth[0] == sizeof(ai_ecdsa_sha256) &&
	    !memcmp(f->auth + 1, ai_ecdsa_sha256, sizeof(ai_ecdsa_sha256)))
		md = EVP_sha256();
	else if (f->auth[0] == sizeof(ai_ecdsa_sha384) &&
		 !memcmp(f->auth + 1, ai_ecdsa_sha384, sizeof(ai_ecdsa_sha384)))
		md = EVP_sha384();
	else
		fail_msg("unexpected signature AlgorithmIdentifier");
	assert_int_equal(ike_auth_octets(f->in.suite.prf, f->in.init_resp, f->in.init_resp_len,
					 f->in.ni, sizeof(f->in.ni), f->in.keys.sk_pr,
					 f->in.keys.p_len, f->idr, f->idr_len, oct, sizeof(oct),
					 &ol), 0);
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, md, NULL, X509_get0_pubkey(x)), 1);
	assert_int_equal(EVP_DigestVerify(ctx, f->auth + 1 + f->auth[0],
					  f->auth_len - 1 - f->auth[0], oct, ol), 1);
	EVP_MD_CTX_free(ctx);
	X509_free(x);
}

/* A profile's identity_local is our IDr towards its peers (and what our AUTH covers); other
 * profiles keep ike.local_id. */
static void test_identity_local(void **state)
{
	static const char gw[] = "gw.example.test", kid[] = "rampart gw 1";
	const struct ike_resp_cfg cfg = cert_cfg();
	struct fx *f;
	unsigned char *dn = NULL;
	int dnl;

	(void)state;
	/* fqdn NAME */
	f = fx_new(false);
	idl_auth(f, 40, "fq.example.test", "theirs-2", "ours-2");
	assert_int_equal(f->idr[0], IKE_ID_FQDN);
	assert_int_equal(f->idr_len, 4 + strlen(gw));
	assert_memory_equal(f->idr + 4, gw, strlen(gw));
	fx_free(f);
	/* address: the one the peer reached us on */
	f = fx_new(false);
	idl_auth(f, 41, "ad.example.test", "theirs-3", "ours-3");
	assert_int_equal(f->idr[0], IKE_ID_IPV4_ADDR);
	assert_int_equal(f->idr_len, 8);
	assert_memory_equal(f->idr + 4, local.addr, 4);
	fx_free(f);
	/* key-id ID */
	f = fx_new(false);
	idl_auth(f, 42, "kid.example.test", "theirs-5", "ours-5");
	assert_int_equal(f->idr[0], IKE_ID_KEY_ID);
	assert_int_equal(f->idr_len, 4 + strlen(kid));
	assert_memory_equal(f->idr + 4, kid, strlen(kid));
	fx_free(f);
	/* dn: the subject of the certificate we sign with (tp2's), DER */
	f = fx_new(false);
	idl_auth(f, 43, "dn.example.test", "theirs-4", NULL);
	assert_int_equal(f->idr[0], IKE_ID_DER_ASN1_DN);
	dnl = i2d_X509_NAME(X509_get_subject_name(P.srv2), &dn);
	assert_true(dnl > 0);
	assert_int_equal(f->idr_len, 4 + (size_t)dnl);
	assert_memory_equal(f->idr + 4, dn, (size_t)dnl);
	OPENSSL_free(dn);
	assert_int_equal(f->n_certs, 1);
	check_ec_sig(f);
	fx_free(f);
	/* not configured: ike.local_id as before */
	f = fx_new(false);
	idl_auth(f, 44, "psk.example.test", "theirs-1", "ours-1");
	assert_int_equal(f->idr[0], IKE_ID_FQDN);
	assert_int_equal(f->idr_len, 4 + cfg.local_id_len);
	assert_memory_equal(f->idr + 4, cfg.local_id, cfg.local_id_len);
	fx_free(f);
}

/* identity_local in the configuration: what is accepted, and FILE:LINE errors. */
static void test_identity_local_conf(void **state)
{
	static const struct {
		const char *value;
		enum pol_id_local kind;     /* POL_IDL_DEFAULT: refused */
		const char *err;            /* part of the message */
		const char *local;          /* authentication.local */
	} cases[] = {
		{ "fqdn vpn2.example.test", POL_IDL_FQDN, NULL, "pre-share" },
		{ "email vpn@example.test", POL_IDL_EMAIL, NULL, "pre-share" },
		{ "key-id some key", POL_IDL_KEY_ID, NULL, "pre-share" },
		{ "address", POL_IDL_ADDRESS, NULL, "pre-share" },
		{ "dn", POL_IDL_DN, NULL, "rsa-sig" },
		{ "dn", POL_IDL_DEFAULT, "must be rsa-sig or ecdsa-sig", "pre-share" },
		{ "fqdn", POL_IDL_DEFAULT, "needs a value", "pre-share" },
		{ "address 192.0.2.1", POL_IDL_DEFAULT, "takes no value", "pre-share" },
		{ "email vpn.example.test", POL_IDL_DEFAULT, "no '@'", "pre-share" },
		{ "fqdn a b", POL_IDL_DEFAULT, "contains a space", "pre-share" },
		{ "ipv4 192.0.2.1", POL_IDL_DEFAULT, "expected \"address\"", "pre-share" },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char conf[1024], want[128];
		struct rp_cfg c;
		struct pol_set *set = NULL;
		struct sbuf out;
		int rc;

		snprintf(conf, sizeof(conf),
			 "ikev2 = {\n"
			 "  keyrings = ( { name = \"kr\"; peers = ( { name = \"p\"; identity = \"fqdn x.test\";\n"
			 "    pre_shared_key = \"k\"; } ); } );\n"
			 "  profiles = ( { name = \"p\"; match = { identity_remote = [ \"any\" ]; };\n"
			 "    authentication = { local = \"%s\"; remote = [ \"pre-share\" ]; };\n"
			 "    keyring = \"kr\"; trustpoints = [ \"tp\" ];\n"
			 "    identity_local = \"%s\"; } );\n"
			 "};\n"
			 "pki = { trustpoints = ( { name = \"tp\"; ca_certificates = [ \"/nonexistent\" ]; } ); };\n",
			 cases[i].local, cases[i].value);
		rc = rp_cfg_load_string(&c, "t.conf", conf, rp_conf_schema);
		if (rc)
			fail_msg("case %u: %s", i, c.err);
		rc = pol_set_build(&c, POL_BUILD_NO_FILES, &set);
		if (cases[i].kind == POL_IDL_DEFAULT) {
			assert_int_not_equal(rc, 0);
			if (!strstr(c.err, "t.conf:7:") || !strstr(c.err, "identity_local") ||
			    !strstr(c.err, cases[i].err))
				fail_msg("case %u: '%s'", i, c.err);
		} else {
			if (rc)
				fail_msg("case %u: %s", i, c.err);
			assert_int_equal(set->profiles[0].id_local, cases[i].kind);
			/* "show profiles" says it as configured */
			sbuf_init(&out, 1 << 16);
			assert_int_equal(pol_show_profiles(set, "p", false, &out, NULL), 0);
			snprintf(want, sizeof(want), "  identity local         %s\n", cases[i].value);
			if (!strstr(sbuf_str(&out), want))
				fail_msg("case %u: %s", i, sbuf_str(&out));
			sbuf_free(&out);
			pol_set_free(set);
		}
		rp_cfg_free(&c);
	}
}

/* The peer's CERTREQ names the EC CA: we answer with tp2's ECDSA certificate and sign with
 * its key (RFC 7427 ECDSA with SHA-256, or ECDSA-256 without hash announcement); without a
 * CERTREQ, the profile's first trustpoint (tp1, RSA). */
static void certreq_case(uint64_t seed, uint16_t hashes)
{
	struct fx *f = fx_new(false);
	struct signer s = { SIG_RSA_SHA256, P.rsa_key, false };
	struct ini_auth_opts o = { .id = "alice@example.test", .id_type = IKE_ID_RFC822_ADDR,
				   .no_child = true, .no_cp = true, .sign = sign_cb, .sign_arg = &s,
				   .n_certs = 1 };
	const unsigned char *cp;
	uint8_t *der, h3[20], oct[4096], *sig;
	size_t len, ol, sl;
	X509 *x;
	EVP_MD_CTX *ctx;

	do_init(f, seed, hashes);
	der_of(P.alice_rsa, &der, &len);
	o.cert[0] = der;
	o.cert_len[0] = len;
	assert_int_equal(pki_spki_sha1(P.ca3, h3), 0);
	o.certreq = h3;
	o.certreq_len = 20;
	if (!hashes)
		s.kind = SIG_RSA_CLASSIC;
	do_auth(f, &o);
	OPENSSL_free(der);
	assert_int_equal(f->notify, 0);
	assert_int_equal(f->n_certs, 1);
	cp = f->cert;
	x = d2i_X509(NULL, &cp, (long)f->cert_len);
	assert_non_null(x);
	assert_int_equal(X509_cmp(x, P.srv2), 0);
	assert_int_equal(ike_auth_octets(f->in.suite.prf, f->in.init_resp, f->in.init_resp_len,
					 f->in.ni, sizeof(f->in.ni), f->in.keys.sk_pr,
					 f->in.keys.p_len, f->idr, f->idr_len, oct, sizeof(oct),
					 &ol), 0);
	if (hashes) {
		/* ECDSA with SHA-256, DER signature after the RFC 7427 prefix */
		assert_int_equal(f->method, IKE_AUTH_DIGITAL_SIG);
		assert_int_equal(f->auth[0], sizeof(ai_ecdsa_sha256));
		assert_memory_equal(f->auth + 1, ai_ecdsa_sha256, sizeof(ai_ecdsa_sha256));
		sig = f->auth + 1 + sizeof(ai_ecdsa_sha256);
		sl = f->auth_len - 1 - sizeof(ai_ecdsa_sha256);
		ctx = EVP_MD_CTX_new();
		assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
						      X509_get0_pubkey(x)), 1);
		assert_int_equal(EVP_DigestVerify(ctx, sig, sl, oct, ol), 1);
		EVP_MD_CTX_free(ctx);
	} else {
		/* RFC 4754: r | s, 32 bytes each */
		ECDSA_SIG *es = ECDSA_SIG_new();
		unsigned char *d = NULL;
		int dl;

		assert_int_equal(f->method, IKE_AUTH_ECDSA_256);
		assert_int_equal(f->auth_len, 64);
		ECDSA_SIG_set0(es, BN_bin2bn(f->auth, 32, NULL), BN_bin2bn(f->auth + 32, 32, NULL));
		dl = i2d_ECDSA_SIG(es, &d);
		ctx = EVP_MD_CTX_new();
		assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
						      X509_get0_pubkey(x)), 1);
		assert_int_equal(EVP_DigestVerify(ctx, d, (size_t)dl, oct, ol), 1);
		EVP_MD_CTX_free(ctx);
		OPENSSL_free(d);
		ECDSA_SIG_free(es);
	}
	X509_free(x);
	fx_free(f);
}

static void test_certreq_selects(void **state)
{
	struct fx *f;
	struct signer s = { SIG_RSA_SHA256, P.rsa_key, false };

	(void)state;
	certreq_case(50, ALL_SHA2);
	certreq_case(51, 0);
	/* a CERTREQ for tp1's CA, and none at all: tp1's RSA certificate */
	f = fx_new(false);
	assert_int_equal(cert_auth(f, 52, ALL_SHA2, P.alice_rsa, &s, "alice@example.test",
				   IKE_ID_RFC822_ADDR), 0);
	check_responder_sig(f, true);
	fx_free(f);
}

/* The IKE SA goes away while its verification runs on a worker: no callback afterwards
 * (valgrind / ASan would see a use after free), nothing leaks. */
static void test_cancel_pending(void **state)
{
	struct fx *f = fx_new(false);
	struct signer s = { SIG_RSA_SHA256, P.rsa_key, false };
	struct ini_auth_opts o = { .id = "alice@example.test", .id_type = IKE_ID_RFC822_ADDR,
				   .no_child = true, .no_cp = true, .sign = sign_cb, .sign_arg = &s,
				   .n_certs = 1 };
	uint8_t *der;
	size_t len;

	(void)state;
	do_init(f, 40, 1u << IKE_HASH_SHA2_256);
	der_of(P.alice_rsa, &der, &len);
	o.cert[0] = der;
	o.cert_len[0] = len;
	f->req_len = ini_build_auth(&f->in, &o, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
	/* with threads nothing is answered yet; the responder goes first, as in rampartd */
	assert_int_equal(f->w.n, fx_threads ? 0u : 1u);
	OPENSSL_free(der);
	fx_free(f);
}

/* ---- keyring_aaa: a PSK source standing in for RADIUS ------------------------------------- */

struct mock_psk {
	int calls, cancels, refuse;    /* refuse: lookup() fails with it */
	char user[256], list[64], password[130], who[512];
	ike_psk_cb cb;
	void *cb_arg;
	bool pending;
};

static int mock_lookup(void *arg, const struct ike_psk_query *q, ike_psk_cb cb, void *cb_arg,
		       void **handle)
{
	struct mock_psk *m = arg;

	m->calls++;
	snprintf(m->user, sizeof(m->user), "%s", q->user);
	snprintf(m->list, sizeof(m->list), "%s", q->k->list);
	snprintf(m->password, sizeof(m->password), "%s", q->k->password);
	snprintf(m->who, sizeof(m->who), "%s", q->who);
	assert_int_equal(q->peer.af, 4);
	if (m->refuse)
		return m->refuse;
	m->cb = cb;
	m->cb_arg = cb_arg;
	m->pending = true;
	*handle = m;
	return 1;
}

static void mock_cancel(void *arg, void *handle)
{
	struct mock_psk *m = arg;

	assert_ptr_equal(handle, m);
	assert_true(m->pending);
	m->pending = false;
	m->cancels++;
}

/* The answer comes (from the event loop, as RADIUS answers do). */
static void mock_answer(struct mock_psk *m, int rc, const char *remote, const char *ours)
{
	struct ike_psk_keys k = { (const uint8_t *)remote, (const uint8_t *)ours,
				  remote ? strlen(remote) : 0, ours ? strlen(ours) : 0 };

	assert_true(m->pending);
	m->pending = false;
	m->cb(m->cb_arg, rc, rc ? NULL : &k);
}

/* IKE_AUTH of @p id with @p psk; the lookup is pending afterwards (nothing sent yet). */
static void aaa_auth_pending(struct fx *f, struct mock_psk *m, uint64_t seed, const char *id,
			     const char *psk)
{
	struct ike_psk_source src = { mock_lookup, mock_cancel, m };
	struct ini_auth_opts o = { .id = id, .id_type = IKE_ID_RFC822_ADDR, .psk = psk,
				   .no_child = true, .no_cp = true };

	ike_pauth_set_psk_source(f->pa, &src);
	do_init(f, seed, 0);
	f->req_len = ini_build_auth(&f->in, &o, f->req, sizeof(f->req));
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
	assert_int_equal(f->w.n, 0);   /* waiting for AAA, whatever the threads */
	assert_int_equal(m->calls, 1);
	assert_true(m->pending);
}

/* A profile's keyring_aaa: the keys come from the PSK source, asked for the mangled identity
 * before the peer's AUTH is checked; what it answers decides. */
static void test_keyring_aaa(void **state)
{
	struct mock_psk m = { 0 };
	struct fx *f = fx_new(false);

	(void)state;
	/* the keys come: the peer's checks its AUTH, ours makes our AUTH */
	aaa_auth_pending(f, &m, 50, "bob@aaa.test", "peer-key");
	assert_string_equal(m.user, "bob");          /* mangler un: email username */
	assert_string_equal(m.list, "pskl");
	assert_string_equal(m.password, "pw-x");
	assert_non_null(strstr(m.who, "profile aaapsk"));
	mock_answer(&m, 0, "peer-key", "our-key");
	pump(f);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_auth(&f->in, f->w.buf, f->w.len, &f->m, "our-key"), 0);
	assert_int_equal(ike_sa_state(sa_of(f)), IKE_SA_ESTABLISHED);
	fx_free(f);

	/* the peer used another key than AAA's */
	m = (struct mock_psk){ 0 };
	f = fx_new(false);
	aaa_auth_pending(f, &m, 51, "bob@aaa.test", "guessed");
	mock_answer(&m, 0, "peer-key", "our-key");
	pump(f);
	read_auth(f);
	assert_int_equal(f->notify, IKE_N_AUTHENTICATION_FAILED);
	assert_int_equal(f->auth_len, 0);
	fx_free(f);

	/* AAA refused (Access-Reject, no key, no server): refused */
	m = (struct mock_psk){ 0 };
	f = fx_new(false);
	aaa_auth_pending(f, &m, 52, "bob@aaa.test", "peer-key");
	mock_answer(&m, -EACCES, NULL, NULL);
	read_auth(f);
	assert_int_equal(f->notify, IKE_N_AUTHENTICATION_FAILED);
	fx_free(f);

	/* the SA goes away while AAA is asked: the lookup is cancelled, nothing answers */
	m = (struct mock_psk){ 0 };
	f = fx_new(false);
	aaa_auth_pending(f, &m, 53, "bob@aaa.test", "peer-key");
	fx_free(f);
	assert_int_equal(m.cancels, 1);
	assert_false(m.pending);

	/* the source cannot ask (too many lookups): refused at once */
	m = (struct mock_psk){ .refuse = -EAGAIN };
	f = fx_new(false);
	{
		struct ike_psk_source src = { mock_lookup, mock_cancel, &m };
		struct ini_auth_opts o = { .id = "bob@aaa.test", .id_type = IKE_ID_RFC822_ADDR,
					   .psk = "peer-key", .no_child = true, .no_cp = true };

		ike_pauth_set_psk_source(f->pa, &src);
		do_init(f, 54, 0);
		do_auth(f, &o);
		assert_int_equal(f->notify, IKE_N_AUTHENTICATION_FAILED);
		assert_int_equal(m.calls, 1);
	}
	fx_free(f);

	/* no PSK source at all (no aaa section): refused, nothing asked */
	m = (struct mock_psk){ 0 };
	f = fx_new(false);
	{
		struct ini_auth_opts o = { .id = "bob@aaa.test", .id_type = IKE_ID_RFC822_ADDR,
					   .psk = "peer-key", .no_child = true, .no_cp = true };

		do_init(f, 55, 0);
		do_auth(f, &o);
		assert_int_equal(f->notify, IKE_N_AUTHENTICATION_FAILED);
	}
	fx_free(f);
	assert_int_equal(m.calls, 0);
}

/* The primitives on their own: every key kind signs and verifies both ways. */
static void test_sig_primitives(void **state)
{
	static const uint8_t data[] = "InitiatorSignedOctets stand-in";
	EVP_PKEY *keys[] = { P.rsa_key, P.ec256_key, P.ec384_key };
	uint16_t hashes[] = { 0, 1u << IKE_HASH_SHA2_256, 1u << IKE_HASH_SHA2_512, ALL_SHA2 };
	uint8_t out[IKE_AUTH_DATA_MAX], m;
	char why[256];
	size_t ol;

	(void)state;
	for (size_t k = 0; k < 3; k++)
		for (size_t h = 0; h < 4; h++) {
			assert_int_equal(ike_sig_sign(keys[k], hashes[h], data, sizeof(data), &m, out,
						      sizeof(out), &ol, why, sizeof(why)), 0);
			assert_int_equal(m == IKE_AUTH_DIGITAL_SIG, hashes[h] != 0);
			if (ike_sig_verify(keys[k], m, out, ol, data, sizeof(data), why, sizeof(why)))
				fail_msg("key %zu hashes %x: %s", k, hashes[h], why);
			/* another message, or another key: refused with a reason */
			assert_int_equal(ike_sig_verify(keys[k], m, out, ol, data, sizeof(data) - 1,
							why, sizeof(why)), -EACCES);
			assert_true(strlen(why) > 0);
			assert_int_equal(ike_sig_verify(keys[(k + 1) % 3], m, out, ol, data,
							sizeof(data), why, sizeof(why)), -EACCES);
		}
	/* truncated and garbage RFC 7427 data */
	assert_int_equal(ike_sig_verify(P.rsa_key, IKE_AUTH_DIGITAL_SIG, (const uint8_t *)"\x05",
					1, data, sizeof(data), why, sizeof(why)), -EACCES);
	assert_int_equal(ike_sig_verify(P.rsa_key, IKE_AUTH_DIGITAL_SIG,
					(const uint8_t *)"\x03\x30\x01\x00zz", 6, data, sizeof(data),
					why, sizeof(why)), -EACCES);
	assert_int_equal(ike_sig_verify(P.rsa_key, IKE_AUTH_DSS, data, 10, data, sizeof(data),
					why, sizeof(why)), -EACCES);
	/* identity binding */
	assert_int_equal(ike_id_bound(P.alice_rsa, IKE_ID_FQDN, (const uint8_t *)"ALICE.example.test",
				      18, why, sizeof(why)), 0);
	assert_int_equal(ike_id_bound(P.alice_rsa, IKE_ID_FQDN, (const uint8_t *)"alice",
				      5, why, sizeof(why)), -EACCES);
	assert_int_equal(ike_id_bound(P.alice_rsa, IKE_ID_FQDN, (const uint8_t *)"a\0b", 3, why,
				      sizeof(why)), -EACCES);
	/* no subjectAltName: the CN does not count */
	assert_int_equal(ike_id_bound(P.dn_rsa, IKE_ID_FQDN, (const uint8_t *)"dn only", 7, why,
				      sizeof(why)), -EACCES);
	assert_int_equal(ike_id_bound(P.alice_rsa, IKE_ID_IPV4_ADDR,
				      (const uint8_t *)"\xc6\x33\x64\x08", 4, why, sizeof(why)),
			 -EACCES);
	assert_int_equal(ike_id_bound(P.alice_rsa, IKE_ID_DER_ASN1_DN, (const uint8_t *)"\x30\x03",
				      2, why, sizeof(why)), -EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sig_primitives),
		cmocka_unit_test(test_certreq_in_init),
		cmocka_unit_test(test_rsa_classic),
		cmocka_unit_test(test_rsa_rfc7427),
		cmocka_unit_test(test_rsa_pss),
		cmocka_unit_test(test_ecdsa),
		cmocka_unit_test(test_dn_identity),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_certmap_profile),
		cmocka_unit_test(test_psk_through_profile),
		cmocka_unit_test(test_identity_local),
		cmocka_unit_test(test_identity_local_conf),
		cmocka_unit_test(test_cancel_pending),
		cmocka_unit_test(test_keyring_aaa),
		cmocka_unit_test(test_certreq_selects),
	};
	int rc;

	fx_threads = 0;
	rc = cmocka_run_group_tests_name("synchronous", tests, group_setup, group_teardown);
	fx_threads = 2;
	rc |= cmocka_run_group_tests_name("two worker threads", tests, group_setup,
					  group_teardown);
	return rc;
}
