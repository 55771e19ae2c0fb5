/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Test-only certificate factory (see certgen.h). */
#include "certgen.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

EVP_PKEY *cg_key_ec(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

EVP_PKEY *cg_key_rsa(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
}

static X509_NAME *make_name(const char *s)
{
	X509_NAME *n = X509_NAME_new();
	char *copy = strdup(s), *save = NULL;

	for (char *rdn = strtok_r(copy, "/", &save); rdn; rdn = strtok_r(NULL, "/", &save)) {
		char *save2 = NULL;
		int set = 0;

		for (char *ava = strtok_r(rdn, "+", &save2); ava; ava = strtok_r(NULL, "+", &save2)) {
			char *eq = strchr(ava, '=');

			*eq = '\0';
			if (!X509_NAME_add_entry_by_txt(n, ava, MBSTRING_UTF8,
							(unsigned char *)eq + 1, -1, -1, set))
				abort();
			set = -1; /* the next AVA joins this RDN */
		}
	}
	free(copy);
	return n;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!e || !X509_add_ext(x, e, -1))
		abort();
	X509_EXTENSION_free(e);
}

X509 *cg_cert(const struct cg_opts *o, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	X509_NAME *subj = make_name(o->subject);
	time_t now = time(NULL);

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), o->serial);
	X509_set_subject_name(x, subj);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subj);
	X509_NAME_free(subj);
	ASN1_TIME_set(X509_getm_notBefore(x), o->not_before ? o->not_before : now - 3600);
	ASN1_TIME_set(X509_getm_notAfter(x), o->not_after ? o->not_after : now + 365 * 86400);
	X509_set_pubkey(x, key);
	add_ext(x, issuer, NID_subject_key_identifier, "hash");
	add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	if (o->ca) {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
		add_ext(x, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
	}
	if (o->eku)
		add_ext(x, issuer, NID_ext_key_usage, o->eku);
	if (o->san)
		add_ext(x, issuer, NID_subject_alt_name, o->san);
	if (o->crl_dp)
		add_ext(x, issuer, NID_crl_distribution_points, o->crl_dp);
	if (o->aia)
		add_ext(x, issuer, NID_info_access, o->aia);
	if (!X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()))
		abort();
	return x;
}

X509_CRL *cg_crl(X509 *ca, EVP_PKEY *ca_key, const long *revoked, int n, long next_s)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	time_t now = time(NULL);

	X509_CRL_set_version(c, 1);
	X509_CRL_set_issuer_name(c, X509_get_subject_name(ca));
	ASN1_TIME_set(t, now - 3600);
	X509_CRL_set1_lastUpdate(c, t);
	ASN1_TIME_set(t, now + next_s);
	X509_CRL_set1_nextUpdate(c, t);
	for (int i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *sn = ASN1_INTEGER_new();
		ASN1_TIME *rt = ASN1_TIME_new();

		ASN1_INTEGER_set(sn, revoked[i]);
		ASN1_TIME_set(rt, now - 1800);
		X509_REVOKED_set_serialNumber(r, sn);
		X509_REVOKED_set_revocationDate(r, rt);
		X509_CRL_add0_revoked(c, r);
		ASN1_INTEGER_free(sn);
		ASN1_TIME_free(rt);
	}
	ASN1_TIME_free(t);
	X509_CRL_sort(c);
	if (!X509_CRL_sign(c, ca_key, EVP_sha256()))
		abort();
	return c;
}

int cg_write_cert(const char *path, X509 *x, bool append)
{
	FILE *f = fopen(path, append ? "a" : "w");
	int rc;

	if (!f)
		return -1;
	rc = PEM_write_X509(f, x) ? 0 : -1;
	fclose(f);
	return rc;
}

int cg_write_crl(const char *path, X509_CRL *c)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	rc = PEM_write_X509_CRL(f, c) ? 0 : -1;
	fclose(f);
	return rc;
}

int cg_write_key(const char *path, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	fchmod(fileno(f), 0600);
	rc = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) ? 0 : -1;
	fclose(f);
	return rc;
}

char *cg_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *d;

	if (asprintf(&d, "%s/rampart-pki-XXXXXX", t ? t : "/tmp") < 0)
		abort();
	if (!mkdtemp(d))
		abort();
	return d;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void cg_rmdir(char *dir)
{
	if (dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

const char *cg_path(const char *dir, const char *name)
{
	static char buf[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}
