/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Fuzz DN parsing and matching. The input is "PATTERN\nSUBJECT": both are parsed as RFC 4514
 * text; an accepted name must survive format -> parse unchanged and a round trip through
 * X509_NAME; every pattern attribute is matched against the subject (eq implies co).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "controlplane/pki/dn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const struct pki_dn *a, const struct pki_dn *b)
{
	if (a->n != b->n)
		abort();
	for (unsigned i = 0; i < a->n; i++)
		if (a->ava[i].value_len != b->ava[i].value_len ||
		    memcmp(a->ava[i].value, b->ava[i].value, a->ava[i].value_len) ||
		    a->ava[i].rdn != b->ava[i].rdn || strcmp(a->ava[i].type, b->ava[i].type))
			abort();
}

static void roundtrip(const struct pki_dn *dn)
{
	static struct pki_dn again;
	static char text[8192];
	char err[200];
	X509_NAME *n;

	pki_dn_format(dn, text, sizeof(text));
	if (strlen(text) + 1 < sizeof(text)) {
		if (pki_dn_parse(&again, text, strlen(text), err, sizeof(err)))
			abort();
		same_or_abort(dn, &again);
	}
	/* through X509_NAME: RDNs are stored in DER order, the reverse of the text */
	n = X509_NAME_new();
	if (!n)
		return;
	for (unsigned i = dn->n; i-- > 0;) {
		const struct pki_ava *a = &dn->ava[i];
		ASN1_OBJECT *o = a->nid != NID_undef ? OBJ_nid2obj(a->nid) : OBJ_txt2obj(a->type, 1);
		bool first_of_rdn = i + 1 == dn->n || dn->ava[i + 1].rdn != a->rdn;

		if (!o || !X509_NAME_add_entry_by_OBJ(n, o, MBSTRING_UTF8,
						       (const unsigned char *)a->value,
						       (int)a->value_len, -1, first_of_rdn ? 0 : -1)) {
			if (a->nid == NID_undef)
				ASN1_OBJECT_free(o);
			X509_NAME_free(n);
			return; /* e.g. a country that is not two letters */
		}
		if (a->nid == NID_undef)
			ASN1_OBJECT_free(o);
	}
	if (pki_dn_from_x509(&again, n) == 0 && again.n != dn->n)
		abort();
	X509_NAME_free(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pki_dn pat, subj;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : size;
	char err[200];
	bool have_subj;

	if (size > 8192)
		return 0;
	if (pki_dn_parse(&pat, (const char *)data, plen, err, sizeof(err)))
		return 0;
	roundtrip(&pat);
	have_subj = nl && pki_dn_parse(&subj, (const char *)nl + 1, size - plen - 1, err,
				       sizeof(err)) == 0;
	if (!have_subj)
		return 0;
	roundtrip(&subj);
	for (unsigned i = 0; i < pat.n; i++) {
		bool eq = pki_dn_has(&subj, &pat.ava[i], false);
		bool co = pki_dn_has(&subj, &pat.ava[i], true);

		if (eq && !co)
			abort();
	}
	return 0;
}
