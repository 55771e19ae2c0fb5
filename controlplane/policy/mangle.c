/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* IKEv2 name manglers: the authorization user name from the peer's IKE or EAP identity. */
#include "controlplane/policy/mangle.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "controlplane/pki/dn.h"
#include "controlplane/policy/policy.h"
#include "controlplane/util/utf8.h"

static const struct {
	enum pol_mangle_dn f;
	const char *name;
	int nid;
} dn_fields[] = {
	{ POL_MANGLE_DN_COMMON_NAME, "common-name", NID_commonName },
	{ POL_MANGLE_DN_COUNTRY, "country", NID_countryName },
	{ POL_MANGLE_DN_DOMAIN, "domain", NID_domainComponent },
	{ POL_MANGLE_DN_LOCALITY, "locality", NID_localityName },
	{ POL_MANGLE_DN_ORGANIZATION, "organization", NID_organizationName },
	{ POL_MANGLE_DN_ORGANIZATION_UNIT, "organization-unit", NID_organizationalUnitName },
	{ POL_MANGLE_DN_STATE, "state", NID_stateOrProvinceName },
};

#define N_FIELDS (sizeof(dn_fields) / sizeof(dn_fields[0]))

enum pol_mangle_dn pol_mangle_dn_field(const char *s)
{
	for (size_t i = 0; s && i < N_FIELDS; i++)
		if (!strcmp(s, dn_fields[i].name))
			return dn_fields[i].f;
	return POL_MANGLE_DN_NONE;
}

const char *pol_mangle_dn_name(enum pol_mangle_dn f)
{
	for (size_t i = 0; i < N_FIELDS; i++)
		if (dn_fields[i].f == f)
			return dn_fields[i].name;
	return "none";
}

static int field_nid(enum pol_mangle_dn f)
{
	for (size_t i = 0; i < N_FIELDS; i++)
		if (dn_fields[i].f == f)
			return dn_fields[i].nid;
	return NID_undef;
}

static enum pol_mangle_part part_of(const char *s, const char *local)
{
	if (!s)
		return POL_MANGLE_PART_NONE;
	if (!strcmp(s, "all"))
		return POL_MANGLE_PART_ALL;
	if (!strcmp(s, "domain"))
		return POL_MANGLE_PART_DOMAIN;
	if (!strcmp(s, local))
		return POL_MANGLE_PART_LOCAL;
	return (enum pol_mangle_part)-1;
}

static bool delim_ok(const char *d)
{
	return d && strlen(d) == 1 && (d[0] == '.' || d[0] == '@' || d[0] == '\\');
}

int pol_mangler_from_cfg(const config_setting_t *e, struct pol_mangler *m)
{
	const config_setting_t *eap = rp_cfg_get(e, "eap");
	const char *s;
	int rules = 0;

	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", rp_cfg_str(e, "name", ""));
	if ((s = rp_cfg_str(e, "dn", NULL))) {
		if (!(m->dn = pol_mangle_dn_field(s)))
			return -EINVAL;
		rules++;
	}
	m->email = part_of(rp_cfg_str(e, "email", NULL), "username");
	m->fqdn = part_of(rp_cfg_str(e, "fqdn", NULL), "hostname");
	if ((int)m->email < 0 || (int)m->fqdn < 0)
		return -EINVAL;
	rules += !!m->email + !!m->fqdn;
	if (eap) {
		int k = 0;

		if (rp_cfg_bool(eap, "all", false)) {
			m->eap = POL_MANGLE_EAP_ALL;
			k++;
		}
		if ((s = rp_cfg_str(eap, "dn", NULL))) {
			m->eap = POL_MANGLE_EAP_DN;
			if (!(m->eap_dn = pol_mangle_dn_field(s)))
				return -EINVAL;
			k++;
		}
		if ((s = rp_cfg_str(eap, "prefix", NULL))) {
			m->eap = POL_MANGLE_EAP_PREFIX;
			if (!delim_ok(s))
				return -EINVAL;
			m->eap_delim = s[0];
			k++;
		}
		if ((s = rp_cfg_str(eap, "suffix", NULL))) {
			m->eap = POL_MANGLE_EAP_SUFFIX;
			if (!delim_ok(s))
				return -EINVAL;
			m->eap_delim = s[0];
			k++;
		}
		if (k != 1)
			return -EINVAL;
		rules++;
	}
	return rules ? 0 : -EINVAL;
}

/* ---- deriving ------------------------------------------------------------------------- */

static int fail(char *why, size_t whylen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t whylen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* A user name must be text: valid UTF-8, no control characters, 1..POL_MANGLE_MAX bytes. */
static int put(const char *p, size_t n, char *out, size_t cap, char *why, size_t whylen,
	       const char *what)
{
	if (n == 0)
		return fail(why, whylen, -EINVAL, "%s is empty", what);
	if (n > POL_MANGLE_MAX || n + 1 > cap)
		return fail(why, whylen, -EINVAL, "%s is longer than %u bytes", what,
			    POL_MANGLE_MAX);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = utf8_decode((const unsigned char *)p + i, n - i, &cp);

		if (!l)
			return fail(why, whylen, -EINVAL, "%s is not valid UTF-8", what);
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			return fail(why, whylen, -EINVAL, "%s contains a control character",
				    what);
		i += l;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	if (why && whylen)
		snprintf(why, whylen, "%s", what);
	return (int)n;
}

static int from_dn(const struct pki_dn *dn, enum pol_mangle_dn f, char *out, size_t cap,
		   char *why, size_t whylen)
{
	int nid = field_nid(f);

	if (f == POL_MANGLE_DN_DOMAIN) {
		char buf[POL_MANGLE_MAX + 2];
		size_t n = 0;
		bool any = false;

		for (unsigned i = 0; i < dn->n; i++) {
			const struct pki_ava *a = &dn->ava[i];

			if (a->nid != nid)
				continue;
			if (a->value_len == 0)
				return fail(why, whylen, -EINVAL, "the DN has an empty dc");
			if (n + !!any + a->value_len > POL_MANGLE_MAX)
				return fail(why, whylen, -EINVAL,
					    "the DN's domain is longer than %u bytes",
					    POL_MANGLE_MAX);
			if (any)
				buf[n++] = '.';
			memcpy(buf + n, a->value, a->value_len);
			n += a->value_len;
			any = true;
		}
		if (!any)
			return fail(why, whylen, -EINVAL, "the DN has no domain (dc) component");
		return put(buf, n, out, cap, why, whylen, "DN domain (dc components)");
	}
	for (unsigned i = 0; i < dn->n; i++)
		if (dn->ava[i].nid == nid)
			return put(dn->ava[i].value, dn->ava[i].value_len, out, cap, why, whylen,
				   pol_mangle_dn_name(f));
	return fail(why, whylen, -EINVAL, "the DN has no %s", pol_mangle_dn_name(f));
}

static int der_dn(const uint8_t *id, size_t len, enum pol_mangle_dn f, char *out, size_t cap,
		  char *why, size_t whylen)
{
	const unsigned char *p = id;
	X509_NAME *name;
	struct pki_dn *dn;
	int rc;

	if (len == 0 || len > 65535)
		return fail(why, whylen, -EINVAL, "the DN identity is not a DER Name");
	name = d2i_X509_NAME(NULL, &p, (long)len);
	if (!name || p != id + len) {
		X509_NAME_free(name);
		return fail(why, whylen, -EINVAL, "the DN identity is not a DER Name");
	}
	dn = malloc(sizeof(*dn));
	if (!dn) {
		X509_NAME_free(name);
		return fail(why, whylen, -ENOMEM, "out of memory");
	}
	rc = pki_dn_from_x509(dn, name);
	X509_NAME_free(name);
	if (rc)
		rc = fail(why, whylen, -EINVAL, "the DN identity %s",
			  rc == -E2BIG ? "has too many attributes" : "holds a value that is not text");
	else
		rc = from_dn(dn, f, out, cap, why, whylen);
	free(dn);
	return rc;
}

static int text_dn(const char *s, size_t len, enum pol_mangle_dn f, char *out, size_t cap,
		   char *why, size_t whylen)
{
	struct pki_dn *dn = malloc(sizeof(*dn));
	char err[160];
	int rc;

	if (!dn)
		return fail(why, whylen, -ENOMEM, "out of memory");
	if (pki_dn_parse(dn, s, len, err, sizeof(err)))
		rc = fail(why, whylen, -EINVAL, "the EAP identity is not a DN: %s", err);
	else
		rc = from_dn(dn, f, out, cap, why, whylen);
	free(dn);
	return rc;
}

static const char *mem_last(const char *p, size_t n, char c)
{
	for (size_t i = n; i > 0; i--)
		if (p[i - 1] == c)
			return p + i - 1;
	return NULL;
}

static int email(const char *p, size_t n, enum pol_mangle_part part, char *out, size_t cap,
		 char *why, size_t whylen)
{
	const char *at = mem_last(p, n, '@');

	if (part == POL_MANGLE_PART_ALL)
		return put(p, n, out, cap, why, whylen, "whole e-mail identity");
	if (!at)
		return fail(why, whylen, -EINVAL, "the e-mail identity has no '@'");
	if (part == POL_MANGLE_PART_LOCAL)
		return put(p, (size_t)(at - p), out, cap, why, whylen, "e-mail user name");
	return put(at + 1, n - (size_t)(at - p) - 1, out, cap, why, whylen, "e-mail domain");
}

static int fqdn(const char *p, size_t n, enum pol_mangle_part part, char *out, size_t cap,
		char *why, size_t whylen)
{
	const char *dot;

	if (n > 1 && p[n - 1] == '.')   /* an absolute name */
		n--;
	if (part == POL_MANGLE_PART_ALL)
		return put(p, n, out, cap, why, whylen, "whole FQDN identity");
	dot = memchr(p, '.', n);
	if (part == POL_MANGLE_PART_LOCAL)
		return put(p, dot ? (size_t)(dot - p) : n, out, cap, why, whylen, "FQDN host name");
	if (!dot)
		return fail(why, whylen, -EINVAL, "the FQDN identity has no domain (no '.')");
	return put(dot + 1, n - (size_t)(dot - p) - 1, out, cap, why, whylen, "FQDN domain");
}

static int eap(const struct pol_mangler *m, const char *p, size_t n, char *out, size_t cap,
	       char *why, size_t whylen)
{
	const char *d;

	switch (m->eap) {
	case POL_MANGLE_EAP_ALL:
		return put(p, n, out, cap, why, whylen, "whole EAP identity");
	case POL_MANGLE_EAP_DN:
		return text_dn(p, n, m->eap_dn, out, cap, why, whylen);
	case POL_MANGLE_EAP_PREFIX:
		d = memchr(p, m->eap_delim, n);
		return put(p, d ? (size_t)(d - p) : n, out, cap, why, whylen,
			   d ? "EAP identity prefix" : "EAP identity (no delimiter)");
	case POL_MANGLE_EAP_SUFFIX:
		d = memchr(p, m->eap_delim, n);
		if (!d)
			return fail(why, whylen, -EINVAL, "the EAP identity has no '%c'",
				    m->eap_delim);
		return put(d + 1, n - (size_t)(d - p) - 1, out, cap, why, whylen,
			   "EAP identity suffix");
	default:
		return fail(why, whylen, -ENOENT, "no eap rule");
	}
}

int pol_mangle(const struct pol_mangler *m, int id_type, const uint8_t *id, size_t id_len,
	       const char *eap_id, size_t eap_len, char *out, size_t cap, char *why,
	       size_t whylen)
{
	const char *t = (const char *)id;

	if (cap)
		out[0] = '\0';
	if (eap_id && m->eap)
		return eap(m, eap_id, eap_len, out, cap, why, whylen);
	switch (id_type) {
	case POL_ID_DN:
		if (m->dn)
			return der_dn(id, id_len, m->dn, out, cap, why, whylen);
		return fail(why, whylen, -ENOENT, "name mangler %s has no dn rule", m->name);
	case POL_ID_EMAIL:
		if (m->email)
			return email(t, id_len, m->email, out, cap, why, whylen);
		return fail(why, whylen, -ENOENT, "name mangler %s has no email rule", m->name);
	case POL_ID_FQDN:
		if (m->fqdn)
			return fqdn(t, id_len, m->fqdn, out, cap, why, whylen);
		return fail(why, whylen, -ENOENT, "name mangler %s has no fqdn rule", m->name);
	default:
		return fail(why, whylen, -ENOENT,
			    "name mangler %s: an %s identity cannot be mangled%s", m->name,
			    id_type == POL_ID_IPV4 || id_type == POL_ID_IPV6 ? "address" :
			    id_type == POL_ID_KEY_ID ? "key-id" : "absent",
			    eap_id ? " (and it has no eap rule)" : "");
	}
}

int pol_mangle_default(int id_type, const uint8_t *id, size_t id_len, const char *eap_id,
		       size_t eap_len, char *out, size_t cap, char *why, size_t whylen)
{
	char a[INET6_ADDRSTRLEN];

	if (cap)
		out[0] = '\0';
	if (eap_id)
		return put(eap_id, eap_len, out, cap, why, whylen, "EAP identity");
	switch (id_type) {
	case POL_ID_FQDN:
		return put((const char *)id, id_len, out, cap, why, whylen, "FQDN identity");
	case POL_ID_EMAIL:
		return put((const char *)id, id_len, out, cap, why, whylen, "e-mail identity");
	case POL_ID_KEY_ID:
		return put((const char *)id, id_len, out, cap, why, whylen, "key-id identity");
	case POL_ID_IPV4:
	case POL_ID_IPV6:
		if (id_len != (id_type == POL_ID_IPV4 ? 4u : 16u))
			return fail(why, whylen, -EINVAL, "address identity of %zu bytes", id_len);
		inet_ntop(id_type == POL_ID_IPV4 ? AF_INET : AF_INET6, id, a, sizeof(a));
		return put(a, strlen(a), out, cap, why, whylen, "address identity");
	case POL_ID_DN:
		return fail(why, whylen, -EINVAL,
			    "a DN identity cannot be a user name (configure a name mangler)");
	default:
		return fail(why, whylen, -EINVAL, "the peer has no identity");
	}
}
