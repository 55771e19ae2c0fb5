/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Distinguished names: RFC 4514 text and X509_NAME into one list of AVAs, and matching. */
#include "controlplane/pki/dn.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/objects.h>

#include "controlplane/util/utf8.h"

/* Names operators write for the usual attributes; the first is the canonical one. */
static const struct {
	int nid;
	const char *names[5];
} attr_aliases[] = {
	{ NID_commonName, { "cn", "commonname" } },
	{ NID_organizationalUnitName, { "ou", "organizationalunitname" } },
	{ NID_organizationName, { "o", "organizationname" } },
	{ NID_countryName, { "c", "countryname" } },
	{ NID_localityName, { "l", "localityname" } },
	{ NID_stateOrProvinceName, { "st", "s", "stateorprovincename" } },
	{ NID_streetAddress, { "street", "streetaddress" } },
	{ NID_domainComponent, { "dc", "domaincomponent" } },
	{ NID_userId, { "uid", "userid" } },
	{ NID_pkcs9_emailAddress, { "email", "e", "emailaddress", "ea" } },
	{ NID_pkcs9_unstructuredName, { "unstructuredname", "hostname" } },
	{ NID_pkcs9_unstructuredAddress, { "unstructuredaddress", "ipaddress" } },
	{ NID_serialNumber, { "serialnumber" } },
	{ NID_surname, { "sn", "surname" } },
	{ NID_givenName, { "gn", "givenname" } },
	{ NID_initials, { "initials" } },
	{ NID_title, { "title", "t" } },
	{ NID_postalCode, { "postalcode" } },
	{ NID_dnQualifier, { "dnqualifier" } },
	{ NID_pseudonym, { "pseudonym" } },
	{ NID_generationQualifier, { "generationqualifier" } },
};

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool pki_str_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

bool pki_str_contains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return true;
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (pki_str_eq(hay + i, nlen, needle, nlen))
			return true;
	return false;
}

static void canon_of_nid(int nid, char *canon, size_t len)
{
	for (size_t i = 0; i < sizeof(attr_aliases) / sizeof(attr_aliases[0]); i++)
		if (attr_aliases[i].nid == nid) {
			snprintf(canon, len, "%s", attr_aliases[i].names[0]);
			return;
		}
	/* Types without an alias are written as dotted OIDs, which always parse back. */
	if (OBJ_obj2txt(canon, (int)len, OBJ_nid2obj(nid), 1) <= 0)
		snprintf(canon, len, "?");
}

bool pki_dn_attr_type(const char *name, size_t len, int *nid, char *canon, size_t canon_len)
{
	char buf[PKI_DN_TYPE_MAX];
	bool oid = true;

	if (len == 0 || len >= sizeof(buf))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return false;
		if (!((c >= '0' && c <= '9') || c == '.'))
			oid = false;
		buf[i] = lower(c);
	}
	buf[len] = '\0';
	if (oid) {
		/* "oid.2.5.4.3" is not RFC 4514; a bare dotted OID is. */
		ASN1_OBJECT *o = OBJ_txt2obj(buf, 1);

		if (!o)
			return false;
		*nid = OBJ_obj2nid(o);
		ASN1_OBJECT_free(o);
		if (*nid != NID_undef)
			canon_of_nid(*nid, canon, canon_len);
		else
			snprintf(canon, canon_len, "%s", buf);
		return true;
	}
	for (size_t i = 0; i < sizeof(attr_aliases) / sizeof(attr_aliases[0]); i++)
		for (size_t j = 0; j < 5 && attr_aliases[i].names[j]; j++)
			if (!strcmp(attr_aliases[i].names[j], buf)) {
				*nid = attr_aliases[i].nid;
				snprintf(canon, canon_len, "%s", attr_aliases[i].names[0]);
				return true;
			}
	/* Other names OpenSSL knows, as written ("businessCategory") */
	memcpy(buf, name, len);
	buf[len] = '\0';
	*nid = OBJ_sn2nid(buf);
	if (*nid == NID_undef)
		*nid = OBJ_ln2nid(buf);
	/* only objects with an OID can be attribute types (not "AES-128-OCB") */
	if (*nid == NID_undef || OBJ_length(OBJ_nid2obj(*nid)) == 0)
		return false;
	canon_of_nid(*nid, canon, canon_len);
	return true;
}

static bool valid_utf8(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t l = utf8_decode((const unsigned char *)s + i, n - i, &cp);

		if (!l || cp == 0)
			return false;
		i += l;
	}
	return true;
}

static int add_ava(struct pki_dn *dn, int nid, const char *canon, const char *v, size_t vlen,
		   unsigned rdn)
{
	struct pki_ava *a;

	if (dn->n >= PKI_DN_MAX_AVA || vlen + 1 > PKI_DN_TEXT - dn->used)
		return -E2BIG;
	a = &dn->ava[dn->n++];
	a->nid = nid;
	snprintf(a->type, sizeof(a->type), "%s", canon);
	memcpy(dn->text + dn->used, v, vlen);
	dn->text[dn->used + vlen] = '\0';
	a->value = dn->text + dn->used;
	a->value_len = vlen;
	a->rdn = rdn;
	dn->used += vlen + 1;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool special(char c)
{
	return strchr(",+\"\\<>;=# ", c) != NULL;
}

#define FAIL(code, ...) do { snprintf(err, errlen, __VA_ARGS__); return (code); } while (0)

int pki_dn_parse(struct pki_dn *dn, const char *s, size_t len, char *err, size_t errlen)
{
	char val[PKI_DN_TEXT];
	size_t i = 0;
	unsigned rdn = 0;

	memset(dn, 0, offsetof(struct pki_dn, text));
	dn->text[0] = '\0';
	while (i < len && s[i] == ' ')
		i++;
	if (i == len)
		FAIL(-EINVAL, "empty name");
	for (;;) {
		size_t t0 = i, t1, vl = 0, keep = 0;
		char canon[PKI_DN_TYPE_MAX];
		int nid;

		/* attribute type */
		while (i < len && s[i] != '=' && s[i] != ',' && s[i] != '+' && s[i] != ';')
			i++;
		if (i == len || s[i] != '=')
			FAIL(-EINVAL, "expected 'type=value' at offset %zu", t0);
		t1 = i;
		while (t1 > t0 && s[t1 - 1] == ' ')
			t1--;
		if (!pki_dn_attr_type(s + t0, t1 - t0, &nid, canon, sizeof(canon)))
			FAIL(-EINVAL, "unknown attribute type '%.*s'", (int)(t1 - t0 > 40 ? 40 : t1 - t0),
			     s + t0);
		i++; /* '=' */
		while (i < len && s[i] == ' ')
			i++;

		/* value */
		if (i < len && s[i] == '#') {
			/* BER-encoded value: kept as its lower-case hex text */
			val[vl++] = '#';
			i++;
			while (i < len && hexval(s[i]) >= 0 && vl < sizeof(val) - 1)
				val[vl++] = lower(s[i++]);
			if (vl < 3 || (vl - 1) % 2)
				FAIL(-EINVAL, "'#' must be followed by pairs of hex digits");
			keep = vl;
		} else if (i < len && s[i] == '"') {
			i++;
			while (i < len && s[i] != '"') {
				if (s[i] == '\\') {
					if (i + 1 >= len)
						FAIL(-EINVAL, "dangling '\\' at the end");
					i++;
				}
				if (vl >= sizeof(val) - 1)
					FAIL(-E2BIG, "value too long");
				val[vl++] = s[i++];
			}
			if (i == len)
				FAIL(-EINVAL, "unterminated quoted value");
			i++;
			keep = vl;
		} else {
			while (i < len && s[i] != ',' && s[i] != '+' && s[i] != ';') {
				char c = s[i];
				bool escaped = false;

				if (c == '\\') {
					if (i + 1 >= len)
						FAIL(-EINVAL, "dangling '\\' at the end");
					if (i + 2 < len && hexval(s[i + 1]) >= 0 &&
					    hexval(s[i + 2]) >= 0) {
						c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
						i += 3;
					} else if (special(s[i + 1])) {
						c = s[i + 1];
						i += 2;
					} else {
						FAIL(-EINVAL, "invalid escape '\\%c' at offset %zu", s[i + 1], i);
					}
					escaped = true;
				} else {
					if (c == '"')
						FAIL(-EINVAL, "unescaped '\"' inside a value at offset %zu", i);
					i++;
				}
				if (vl >= sizeof(val) - 1)
					FAIL(-E2BIG, "value too long");
				val[vl++] = c;
				if (escaped || c != ' ')
					keep = vl; /* unescaped trailing spaces are dropped */
			}
		}
		vl = keep;
		if (memchr(val, '\0', vl) || !valid_utf8(val, vl))
			FAIL(-EINVAL, "value of '%s' is not valid UTF-8 text", canon);
		if (add_ava(dn, nid, canon, val, vl, rdn))
			FAIL(-E2BIG, "name too long (at most %d attributes, %d bytes)", PKI_DN_MAX_AVA,
			     PKI_DN_TEXT);
		while (i < len && s[i] == ' ')
			i++;
		if (i == len)
			return 0;
		if (s[i] == ',' || s[i] == ';')
			rdn++;
		else if (s[i] != '+')
			FAIL(-EINVAL, "expected ',' or '+' at offset %zu", i);
		i++;
		while (i < len && s[i] == ' ')
			i++;
		if (i == len)
			FAIL(-EINVAL, "name ends with a separator");
	}
}

int pki_dn_from_x509(struct pki_dn *dn, const X509_NAME *name)
{
	int n = X509_NAME_entry_count(name), last_set = -1;

	memset(dn, 0, offsetof(struct pki_dn, text));
	dn->text[0] = '\0';
	if (n > 0)
		last_set = X509_NAME_ENTRY_set(X509_NAME_get_entry(name, n - 1));
	/* RDNs last to first; the AVAs of one multi-valued RDN keep their order */
	for (int end = n - 1; end >= 0;) {
		int set = X509_NAME_ENTRY_set(X509_NAME_get_entry(name, end)), start = end;

		while (start > 0 && X509_NAME_ENTRY_set(X509_NAME_get_entry(name, start - 1)) == set)
			start--;
		for (int i = start; i <= end; i++) {
			const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
			const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
			unsigned char *utf = NULL;
			char canon[PKI_DN_TYPE_MAX];
			int nid = OBJ_obj2nid(obj), l, rc;

			if (nid != NID_undef)
				canon_of_nid(nid, canon, sizeof(canon));
			else
				OBJ_obj2txt(canon, sizeof(canon), obj, 1);
			l = ASN1_STRING_to_UTF8(&utf, X509_NAME_ENTRY_get_data(e));
			if (l < 0)
				return -EINVAL;
			if (memchr(utf, '\0', (size_t)l) || !valid_utf8((char *)utf, (size_t)l)) {
				OPENSSL_free(utf);
				return -EINVAL;
			}
			rc = add_ava(dn, nid, canon, (char *)utf, (size_t)l, (unsigned)(last_set - set));
			OPENSSL_free(utf);
			if (rc)
				return rc;
		}
		end = start - 1;
	}
	return 0;
}

const char *pki_dn_format(const struct pki_dn *dn, char *buf, size_t len)
{
	size_t off = 0;

#define PUT(c) do { if (off + 1 < len) buf[off++] = (c); } while (0)
	if (!len)
		return buf;
	for (unsigned i = 0; i < dn->n; i++) {
		const struct pki_ava *a = &dn->ava[i];

		if (i)
			PUT(a->rdn == dn->ava[i - 1].rdn ? '+' : ',');
		for (const char *t = a->type; *t; t++)
			PUT(*t);
		PUT('=');
		for (size_t j = 0; j < a->value_len; j++) {
			char c = a->value[j];

			if (strchr(",+\"\\<>;=", c) || (j == 0 && (c == '#' || c == ' ')) ||
			    (j + 1 == a->value_len && c == ' '))
				PUT('\\');
			PUT(c);
		}
	}
	buf[off] = '\0';
#undef PUT
	return buf;
}

static bool same_type(const struct pki_ava *a, const struct pki_ava *b)
{
	if (a->nid != NID_undef && b->nid != NID_undef)
		return a->nid == b->nid;
	return !strcmp(a->type, b->type);
}

bool pki_dn_has(const struct pki_dn *dn, const struct pki_ava *p, bool substring)
{
	for (unsigned i = 0; i < dn->n; i++) {
		const struct pki_ava *a = &dn->ava[i];

		if (!same_type(a, p))
			continue;
		if (substring ? pki_str_contains(a->value, a->value_len, p->value, p->value_len)
			      : pki_str_eq(a->value, a->value_len, p->value, p->value_len))
			return true;
	}
	return false;
}
