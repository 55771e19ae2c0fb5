/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Fetched revocation data: CRLs from distribution points, OCSP; a bounded cache. See revoke.h. */
#include "controlplane/pki/revoke.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/log.h"
#include "controlplane/pki/http.h"

#define COMP "pki"
#define URLS_MAX 4

struct rev_entry {
	uint8_t key[32];            /* SHA-256 of "crl:" URL or "ocsp:" URL NUL CertID */
	bool used, fetching, is_crl;
	enum pki_rev_answer answer; /* OCSP */
	X509_CRL *crl;
	time_t expires;             /* usable before this */
	time_t retry_at;            /* after a failure: no new fetch before this */
	char why[200];
};

struct pki_rev {
	char name[64];
	bool crl_fetch, ocsp_nonce;
	char ocsp_url[PKI_HTTP_URL_MAX + 1];
	unsigned timeout_ms;
	size_t max_bytes;
	pki_rev_fetch_fn fetch;
	void *fetch_arg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned fetching;          /* fetches running */
	struct rev_entry e[PKI_REV_CACHE_MAX];
};

static __thread bool offline;

void pki_rev_offline_thread(void)
{
	offline = true;
}

const char *pki_rev_answer_name(enum pki_rev_answer a)
{
	switch (a) {
	case PKI_REV_GOOD: return "good";
	case PKI_REV_REVOKED: return "revoked";
	case PKI_REV_NOANSWER: return "no answer";
	default: return "invalid answer";
	}
}

static int net_fetch(void *arg, const char *url, const char *ctype, const uint8_t *body,
		     size_t body_len, size_t max_len, unsigned timeout_ms, uint8_t **out,
		     size_t *out_len, char *err, size_t errlen)
{
	(void)arg;
	return pki_http_fetch(url, ctype, body, body_len, max_len, timeout_ms, out, out_len, err,
			      errlen);
}

struct pki_rev *pki_rev_create(const struct pki_rev_cfg *cfg)
{
	struct pki_rev *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	snprintf(r->name, sizeof(r->name), "%s", cfg->name ? cfg->name : "");
	r->crl_fetch = cfg->crl_fetch;
	r->ocsp_nonce = cfg->ocsp_nonce;
	snprintf(r->ocsp_url, sizeof(r->ocsp_url), "%s", cfg->ocsp_url ? cfg->ocsp_url : "");
	r->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 5000;
	r->max_bytes = cfg->max_bytes ? cfg->max_bytes : 4u << 20;
	r->fetch = net_fetch;
	if (pthread_mutex_init(&r->mu, NULL)) {
		free(r);
		return NULL;
	}
	if (pthread_cond_init(&r->cv, NULL)) {
		pthread_mutex_destroy(&r->mu);
		free(r);
		return NULL;
	}
	return r;
}

void pki_rev_destroy(struct pki_rev *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < PKI_REV_CACHE_MAX; i++)
		X509_CRL_free(r->e[i].crl);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

void pki_rev_set_fetch(struct pki_rev *r, pki_rev_fetch_fn fn, void *arg)
{
	r->fetch = fn ? fn : net_fetch;
	r->fetch_arg = arg;
}

bool pki_rev_crl_fetch(const struct pki_rev *r)
{
	return r && r->crl_fetch;
}

void pki_rev_stats(struct pki_rev *r, unsigned *crls, unsigned *ocsp)
{
	*crls = *ocsp = 0;
	pthread_mutex_lock(&r->mu);
	for (unsigned i = 0; i < PKI_REV_CACHE_MAX; i++)
		if (r->e[i].used && r->e[i].expires)
			(*(r->e[i].is_crl ? crls : ocsp))++;
	pthread_mutex_unlock(&r->mu);
}

/* ---- the cache (all under r->mu) ---------------------------------------------------- */

static void make_key(uint8_t key[32], const char *kind, const char *url, const uint8_t *extra,
		     size_t extra_len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	memset(key, 0, 32);
	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(c, kind, strlen(kind)) && EVP_DigestUpdate(c, url, strlen(url) + 1) &&
	    (!extra_len || EVP_DigestUpdate(c, extra, extra_len)))
		EVP_DigestFinal_ex(c, key, NULL);
	EVP_MD_CTX_free(c);
}

static struct rev_entry *find(struct pki_rev *r, const uint8_t key[32])
{
	for (unsigned i = 0; i < PKI_REV_CACHE_MAX; i++)
		if (r->e[i].used && !memcmp(r->e[i].key, key, 32))
			return &r->e[i];
	return NULL;
}

static time_t last_use(const struct rev_entry *e)
{
	return e->expires > e->retry_at ? e->expires : e->retry_at;
}

/* A free entry; when there is none (or too many CRLs), the one that expires first goes. */
static struct rev_entry *slot(struct pki_rev *r, bool is_crl)
{
	struct rev_entry *victim = NULL, *crl_victim = NULL;
	unsigned n_crl = 0;

	for (unsigned i = 0; i < PKI_REV_CACHE_MAX; i++) {
		struct rev_entry *e = &r->e[i];

		if (!e->used) {
			if (!victim || victim->used)
				victim = e;
			continue;
		}
		if (e->is_crl)
			n_crl++;
		if (e->fetching)
			continue;
		if (e->is_crl && (!crl_victim || last_use(e) < last_use(crl_victim)))
			crl_victim = e;
		if (!victim || (victim->used && last_use(e) < last_use(victim)))
			victim = e;
	}
	if (is_crl && n_crl >= PKI_REV_CRL_MAX)
		victim = crl_victim;
	if (victim && victim->used) {
		X509_CRL_free(victim->crl);
		memset(victim, 0, sizeof(*victim));
	}
	return victim;
}

/* 0: *pe holds a current answer; 1: *pe is ours to fetch; -1: no answer (@p why). */
static int acquire(struct pki_rev *r, const uint8_t key[32], bool is_crl, time_t now,
		   struct rev_entry **pe, char *why, size_t whylen)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(r->timeout_ms / 1000 + 2);
	for (;;) {
		struct rev_entry *e = find(r, key);

		if (e && e->fetching) { /* someone fetches it: wait for that */
			if (pthread_cond_timedwait(&r->cv, &r->mu, &until) == ETIMEDOUT) {
				snprintf(why, whylen, "another fetch of it is still running");
				return -1;
			}
			continue;
		}
		if (e && e->expires > now) {
			*pe = e;
			return 0;
		}
		if (e && e->retry_at > now) {
			snprintf(why, whylen, "%s (not tried again for %lld s)", e->why,
				 (long long)(e->retry_at - now));
			return -1;
		}
		if (offline) {
			snprintf(why, whylen, "not cached, and not fetched on the event loop "
				 "(ike.crypto_threads = 0)");
			return -1;
		}
		if (r->fetching >= PKI_REV_FETCH_MAX) { /* wait for a fetch to end */
			if (pthread_cond_timedwait(&r->cv, &r->mu, &until) == ETIMEDOUT) {
				snprintf(why, whylen, "%u fetches in progress already", r->fetching);
				return -1;
			}
			continue;
		}
		if (!e && !(e = slot(r, is_crl))) {
			snprintf(why, whylen, "revocation cache full");
			return -1;
		}
		if (!e->used) {
			memcpy(e->key, key, 32);
			e->used = true;
			e->is_crl = is_crl;
		}
		e->fetching = true;
		r->fetching++;
		*pe = e;
		return 1;
	}
}

/* The fetch is over: @p crl (taken) / @p answer usable until @p expires, or (expires 0) a
 * failure described by @p why. */
static void finish(struct pki_rev *r, struct rev_entry *e, X509_CRL *crl,
		   enum pki_rev_answer answer, time_t expires, time_t now, const char *why)
{
	pthread_mutex_lock(&r->mu);
	e->fetching = false;
	r->fetching--;
	X509_CRL_free(e->crl);
	e->crl = expires ? crl : NULL;
	if (!expires)
		X509_CRL_free(crl);
	e->answer = answer;
	e->expires = expires;
	e->retry_at = expires ? 0 : now + PKI_REV_RETRY_S;
	{
		size_t l = strnlen(why, sizeof(e->why) - 1);

		memcpy(e->why, why, l);
		e->why[l] = 0;
	}
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static time_t asn1_time_t(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

static time_t cap_expiry(time_t until, time_t now, time_t dflt)
{
	if (!until)
		return now + dflt;
	return until - now > PKI_REV_MAX_CACHE_S ? now + PKI_REV_MAX_CACHE_S : until;
}

/* ---- CRLs from distribution points -------------------------------------------------- */

static X509_CRL *decode_crl(const uint8_t *buf, size_t len)
{
	const unsigned char *p = buf;
	X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)len);
	BIO *b;

	if (!c && (b = BIO_new_mem_buf(buf, (int)len))) {
		c = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	ERR_clear_error();
	return c;
}

static unsigned cdp_urls(X509 *cert, const char *urls[URLS_MAX], STACK_OF(DIST_POINT) **dps)
{
	unsigned n = 0;

	*dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	for (int i = 0; *dps && i < sk_DIST_POINT_num(*dps) && n < URLS_MAX; i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(*dps, i);

		/* full CRLs of the issuer itself only (no indirect or partial ones) */
		if (!dp->distpoint || dp->distpoint->type != 0 || dp->CRLissuer || dp->reasons)
			continue;
		for (int k = 0; k < sk_GENERAL_NAME_num(dp->distpoint->name.fullname) &&
				n < URLS_MAX; k++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, k);
			const char *u;

			if (g->type != GEN_URI)
				continue;
			u = (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
			if (ASN1_STRING_length(g->d.uniformResourceIdentifier) == (int)strlen(u) &&
			    !strncasecmp(u, "http://", 7))
				urls[n++] = u;
		}
	}
	ERR_clear_error();
	return n;
}

int pki_rev_crls(struct pki_rev *r, X509 *cert, X509 *issuer, time_t now,
		 STACK_OF(X509_CRL) *out, char *why, size_t whylen)
{
	STACK_OF(DIST_POINT) *dps = NULL;
	const char *urls[URLS_MAX];
	unsigned n;
	int got = 0;

	if (!now)
		now = time(NULL);
	n = cdp_urls(cert, urls, &dps);
	snprintf(why, whylen, "no http:// CRL distribution point in the certificate");
	for (unsigned i = 0; i < n && !got; i++) {
		struct rev_entry *e;
		uint8_t key[32], *body = NULL;
		size_t blen = 0;
		X509_CRL *crl = NULL;
		char err[320];
		time_t next;
		int st;

		make_key(key, "crl:", urls[i], NULL, 0);
		pthread_mutex_lock(&r->mu);
		st = acquire(r, key, true, now, &e, err, sizeof(err));
		if (st == 0 && e->crl && X509_CRL_up_ref(e->crl)) {
			if (sk_X509_CRL_push(out, e->crl))
				got = 1;
			else
				X509_CRL_free(e->crl);
		}
		pthread_mutex_unlock(&r->mu);
		if (st < 0)
			snprintf(why, whylen, "CRL %s: %s", urls[i], err);
		if (st != 1)
			continue;

		st = r->fetch(r->fetch_arg, urls[i], NULL, NULL, 0, r->max_bytes, r->timeout_ms,
			      &body, &blen, err, sizeof(err));
		if (!st && !(crl = decode_crl(body, blen))) {
			snprintf(err, sizeof(err), "not a CRL (DER or PEM)");
			st = -EPROTO;
		}
		free(body);
		next = crl ? asn1_time_t(X509_CRL_get0_nextUpdate(crl)) : 0;
		if (!st && X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer))) {
			snprintf(err, sizeof(err), "the CRL is not the issuer's");
			st = -EPROTO;
		} else if (!st && X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1) {
			snprintf(err, sizeof(err), "the CRL's signature does not verify");
			st = -EPROTO;
		} else if (!st && X509_CRL_get0_nextUpdate(crl) && next <= now) {
			snprintf(err, sizeof(err), "the CRL is stale (nextUpdate passed)");
			st = -ESTALE;
		}
		ERR_clear_error();
		if (st) {
			snprintf(why, whylen, "CRL %s: %s", urls[i], err);
			rp_log(RP_LOG_NOTICE, COMP, "trustpoint %s: CRL %s: %s", r->name, urls[i], err);
			finish(r, e, crl, PKI_REV_NOANSWER, 0, now, err);
			continue;
		}
		rp_log(RP_LOG_INFO, COMP, "trustpoint %s: CRL %s fetched (%d revoked), kept until "
		       "its next update", r->name, urls[i], X509_CRL_get_REVOKED(crl) ?
		       sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) : 0);
		if (X509_CRL_up_ref(crl)) {
			if (sk_X509_CRL_push(out, crl))
				got = 1;
			else
				X509_CRL_free(crl); /* the extra reference */
		}
		finish(r, e, crl, PKI_REV_GOOD, cap_expiry(next, now, 3600), now, "cached");
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return got;
}

/* ---- OCSP ----------------------------------------------------------------------------- */

enum pki_rev_answer pki_ocsp_validate(const uint8_t *der, size_t len, OCSP_REQUEST *req,
				      OCSP_CERTID *id, X509_STORE *store, STACK_OF(X509) *certs,
				      time_t *until, char *why, size_t whylen)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = NULL;
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	enum pki_rev_answer a = PKI_REV_ERROR;
	int st, status, reason = -1;

	*until = 0;
	if (!resp || p != der + len) {
		snprintf(why, whylen, "not an OCSP response");
		goto out;
	}
	st = OCSP_response_status(resp);
	if (st != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		snprintf(why, whylen, "the responder answers %s", OCSP_response_status_str(st));
		a = PKI_REV_NOANSWER;
		goto out;
	}
	bs = OCSP_response_get1_basic(resp);
	if (!bs) {
		snprintf(why, whylen, "not a basic OCSP response");
		goto out;
	}
	if (req && OCSP_check_nonce(req, bs) == 0) {
		snprintf(why, whylen, "the response's nonce is not ours");
		goto out;
	}
	if (OCSP_basic_verify(bs, certs, store, 0) <= 0) {
		unsigned long e = ERR_peek_last_error();

		snprintf(why, whylen, "the response's signature is not from the CA or a responder "
			 "it authorized: %s", e ? ERR_reason_error_string(e) : "?");
		goto out;
	}
	if (!OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd)) {
		snprintf(why, whylen, "the response does not cover the certificate");
		goto out;
	}
	if (!OCSP_check_validity(thisupd, nextupd, PKI_OCSP_SKEW_S, -1)) {
		snprintf(why, whylen, "the response is %s", nextupd &&
			 X509_cmp_current_time(nextupd) < 0 ? "out of date" : "not valid yet");
		goto out;
	}
	*until = nextupd ? asn1_time_t(nextupd) : 0;
	switch (status) {
	case V_OCSP_CERTSTATUS_GOOD:
		snprintf(why, whylen, "good");
		a = PKI_REV_GOOD;
		break;
	case V_OCSP_CERTSTATUS_REVOKED:
		snprintf(why, whylen, "revoked (%s)", reason >= 0 ? OCSP_crl_reason_str(reason) :
			 "no reason given");
		a = PKI_REV_REVOKED;
		break;
	default:
		snprintf(why, whylen, "the responder does not know the certificate");
		a = PKI_REV_NOANSWER;
	}
out:
	ERR_clear_error();
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return a;
}

static bool aia_ocsp(X509 *cert, char *url, size_t len)
{
	STACK_OF(OPENSSL_STRING) *l = X509_get1_ocsp(cert);
	bool ok = false;

	for (int i = 0; l && i < sk_OPENSSL_STRING_num(l) && !ok; i++) {
		const char *u = sk_OPENSSL_STRING_value(l, i);

		if (!strncasecmp(u, "http://", 7) && strlen(u) < len) {
			snprintf(url, len, "%s", u);
			ok = true;
		}
	}
	X509_email_free(l);
	ERR_clear_error();
	return ok;
}

enum pki_rev_answer pki_rev_ocsp(struct pki_rev *r, X509 *cert, X509 *issuer,
				 X509_STORE *store, STACK_OF(X509) *certs, time_t now, char *why,
				 size_t whylen)
{
	char url[PKI_HTTP_URL_MAX + 1], err[320];
	OCSP_CERTID *id = NULL;
	OCSP_REQUEST *req = NULL;
	unsigned char *idder = NULL, *rq = NULL;
	uint8_t key[32], *body = NULL;
	size_t blen = 0;
	struct rev_entry *e;
	enum pki_rev_answer a = PKI_REV_NOANSWER;
	time_t until = 0;
	int n, st;

	if (!now)
		now = time(NULL);
	if (r->ocsp_url[0])
		snprintf(url, sizeof(url), "%s", r->ocsp_url);
	else if (!aia_ocsp(cert, url, sizeof(url))) {
		snprintf(why, whylen, "no OCSP responder (no ocsp_url, no http:// OCSP entry in the "
			 "certificate's authority information access)");
		return PKI_REV_NOANSWER;
	}
	id = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
	n = id ? i2d_OCSP_CERTID(id, &idder) : -1;
	if (n <= 0) {
		snprintf(why, whylen, "cannot make an OCSP certificate ID");
		goto out;
	}
	make_key(key, "ocsp:", url, idder, (size_t)n);
	pthread_mutex_lock(&r->mu);
	st = acquire(r, key, false, now, &e, err, sizeof(err));
	if (st == 0) {
		a = e->answer;
		snprintf(why, whylen, "OCSP %s: %s (cached)", url, e->why);
	}
	pthread_mutex_unlock(&r->mu);
	if (st < 0)
		snprintf(why, whylen, "OCSP %s: %s", url, err);
	if (st != 1)
		goto out;

	req = OCSP_REQUEST_new();
	if (!req || !OCSP_request_add0_id(req, OCSP_CERTID_dup(id)) ||
	    (r->ocsp_nonce && !OCSP_request_add1_nonce(req, NULL, -1)) ||
	    (n = i2d_OCSP_REQUEST(req, &rq)) <= 0) {
		snprintf(err, sizeof(err), "cannot make the request");
		st = -ENOMEM;
	} else {
		st = r->fetch(r->fetch_arg, url, "application/ocsp-request", rq, (size_t)n,
			      PKI_OCSP_RESP_MAX, r->timeout_ms, &body, &blen, err, sizeof(err));
	}
	a = PKI_REV_NOANSWER;
	if (!st)
		a = pki_ocsp_validate(body, blen, r->ocsp_nonce ? req : NULL, id, store, certs,
				      &until, err, sizeof(err));
	snprintf(why, whylen, "OCSP %s: %s", url, err);
	if (a == PKI_REV_GOOD || a == PKI_REV_REVOKED) {
		char *sn = i2s_ASN1_INTEGER(NULL, X509_get0_serialNumber(cert));

		rp_log(RP_LOG_INFO, COMP, "trustpoint %s: OCSP %s: serial %s is %s", r->name, url,
		       sn ? sn : "?", err);
		OPENSSL_free(sn);
		finish(r, e, NULL, a, cap_expiry(until, now, PKI_OCSP_NO_NEXT_S), now, err);
	} else {
		rp_log(RP_LOG_NOTICE, COMP, "trustpoint %s: OCSP %s: %s", r->name, url, err);
		finish(r, e, NULL, a, 0, now, err);
	}
out:
	ERR_clear_error();
	free(body);
	OPENSSL_free(rq);
	OPENSSL_free(idder);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	return a;
}
