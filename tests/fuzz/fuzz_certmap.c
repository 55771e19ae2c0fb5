/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Fuzz certificate map rule parsing: the input is up to 8 rule lines. Each accepted rule must
 * format back into text that parses to the same field and operator, and every accepted
 * sequence is matched against a fixed certificate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "controlplane/pki/certmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pki_cert_view *view;

static void init_view(void)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"IN", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (const unsigned char *)"green", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "UID", MBSTRING_UTF8, (const unsigned char *)"u1", -1, -1, -1);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
				   (const unsigned char *)"Router1.cisco.com", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "unstructuredName", MBSTRING_UTF8,
				   (const unsigned char *)"Router1.cisco.com", -1, -1, 0);
	X509_NAME_add_entry_by_txt(X509_get_issuer_name(x), "CN", MBSTRING_UTF8,
				   (const unsigned char *)"blue-lab CA", -1, -1, 0);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x21);
	ASN1_TIME_set(X509_getm_notBefore(x), 1711895670);
	ASN1_TIME_set(X509_getm_notAfter(x), 1869748470);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
				"DNS:router1.cisco.com,email:a@cisco.com,IP:192.0.2.1");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	view = malloc(sizeof(*view));
	if (!view)
		abort();
	pki_cert_view_init(view, x);
	X509_free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[4096], *lines[8], err[300], buf[700];
	unsigned n = 0;
	struct pki_certmap map = { .name = "fuzz" };
	struct pki_cm_rule *r, *again;

	if (!view)
		init_view();
	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *p = text, *save = NULL, *l; n < 8 && (l = strtok_r(p, "\n", &save)); p = NULL)
		lines[n++] = l;

	r = malloc(sizeof(*r));
	again = malloc(sizeof(*again));
	if (!r || !again)
		abort();
	for (unsigned i = 0; i < n; i++) {
		if (pki_cm_rule_parse(r, lines[i], err, sizeof(err)))
			continue;
		pki_cm_rule_format(r, buf, sizeof(buf));
		if (pki_cm_rule_parse(again, buf, err, sizeof(err)) || again->field != r->field ||
		    again->op != r->op || again->is_dn != r->is_dn)
			abort(); /* an accepted rule must survive its own text form */
		(void)pki_cm_rule_match(r, view);
	}
	if (pki_certmap_add_seq(&map, 10, (const char *const *)lines, n, err, sizeof(err),
				NULL) == 0) {
		unsigned seq;

		(void)pki_certmap_match(&map, view, &seq);
	}
	pki_certmap_free(&map);
	free(r);
	free(again);
	return 0;
}
