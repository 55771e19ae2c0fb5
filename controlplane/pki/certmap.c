/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Certificate map rules: parsing and matching against one certificate. */
#include "controlplane/pki/certmap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/x509v3.h>

static const char *const field_names[] = {
	[PKI_CM_SUBJECT_NAME] = "subject-name",
	[PKI_CM_ISSUER_NAME] = "issuer-name",
	[PKI_CM_NAME] = "name",
	[PKI_CM_ALT_SUBJECT_NAME] = "alt-subject-name",
	[PKI_CM_UNSTRUCTURED_SUBJECT_NAME] = "unstructured-subject-name",
	[PKI_CM_SERIAL_NUMBER] = "serial-number",
	[PKI_CM_VALID_START] = "valid-start",
	[PKI_CM_EXPIRES_ON] = "expires-on",
};

static const char *const op_names[] = { "eq", "ne", "co", "nc", "lt", "le", "gt", "ge" };

const char *pki_cm_field_name(enum pki_cm_field f)
{
	return field_names[f];
}

const char *pki_cm_op_name(enum pki_cm_op o)
{
	return op_names[o];
}

static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
				      "jul", "aug", "sep", "oct", "nov", "dec" };

static int month_of(const char *m)
{
	for (int i = 0; i < 12; i++)
		if (!strncasecmp(m, months[i], 3) && strlen(m) == 3)
			return i + 1;
	return 0;
}

static bool make_time(int y, int mo, int d, int h, int mi, int s, time_t *out)
{
	struct tm tm = { 0 };

	if (y < 1950 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || s < 0 || s > 60)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	*out = timegm(&tm);
	return true;
}

bool pki_cm_parse_date(const char *s, time_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	char mon[4], tz[4];
	size_t len = strlen(s);

	/* 2026-11-25[ T]14:00[:00][Z] */
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3) {
		const char *t = s + n;

		if (*t == ' ' || *t == 'T') {
			int m = 0;

			t++;
			if (sscanf(t, "%2d:%2d:%2d%n", &h, &mi, &sec, &m) == 3 ||
			    (sec = 0, sscanf(t, "%2d:%2d%n", &h, &mi, &m) == 2))
				t += m;
			else
				return false;
		}
		if (*t == 'Z')
			t++;
		return *t == '\0' && make_time(y, mo, d, h, mi, sec, out);
	}
	/* 14:00:00 [UTC] Nov 25 2026 */
	n = 0;
	if (sscanf(s, "%2d:%2d:%2d %3s %3s %2d %4d%n", &h, &mi, &sec, tz, mon, &d, &y, &n) == 7 &&
	    (size_t)n == len && !strcasecmp(tz, "utc"))
		return make_time(y, month_of(mon), d, h, mi, sec, out);
	n = 0;
	if (sscanf(s, "%2d:%2d:%2d %3s %2d %4d%n", &h, &mi, &sec, mon, &d, &y, &n) == 6 &&
	    (size_t)n == len)
		return make_time(y, month_of(mon), d, h, mi, sec, out);
	/* Nov 25 2026 [14:00:00] */
	n = 0;
	if (sscanf(s, "%3s %2d %4d%n", mon, &d, &y, &n) == 3 && month_of(mon)) {
		int m = 0;

		if (s[n] == '\0')
			return make_time(y, month_of(mon), d, 0, 0, 0, out);
		if (sscanf(s + n, " %2d:%2d:%2d%n", &h, &mi, &sec, &m) == 3 && s[n + m] == '\0')
			return make_time(y, month_of(mon), d, h, mi, sec, out);
		return false;
	}
	/* 25 11 2026 [14:00:00] */
	n = 0;
	if (sscanf(s, "%2d %2d %4d%n", &d, &mo, &y, &n) == 3) {
		int m = 0;

		if (s[n] == '\0')
			return make_time(y, mo, d, 0, 0, 0, out);
		if (sscanf(s + n, " %2d:%2d:%2d%n", &h, &mi, &sec, &m) == 3 && s[n + m] == '\0')
			return make_time(y, mo, d, h, mi, sec, out);
	}
	return false;
}

/* Hex serial as written ("0A:1b 2c") into canonical lower-case hex without leading zeros. */
static bool canon_serial(const char *s, char *out, size_t len)
{
	size_t o = 0;
	bool any = false;

	for (; *s; s++) {
		char c = *s;

		if (c == ':' || c == ' ')
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		any = true;
		if (o == 0 && c == '0')
			continue;
		if (o + 1 >= len)
			return false;
		out[o++] = c;
	}
	if (!any)
		return false;
	if (o == 0)
		out[o++] = '0';
	out[o] = '\0';
	return true;
}

#define FAIL(code, ...) do { snprintf(err, errlen, __VA_ARGS__); return (code); } while (0)

static bool is_name_field(enum pki_cm_field f)
{
	return f == PKI_CM_SUBJECT_NAME || f == PKI_CM_ISSUER_NAME || f == PKI_CM_NAME;
}

int pki_cm_rule_parse(struct pki_cm_rule *r, const char *line, char *err, size_t errlen)
{
	const char *p = line, *w;
	size_t wl, vl;
	int f = -1, o = -1;

	memset(r, 0, offsetof(struct pki_cm_rule, dn));
	r->dn.n = 0;
	r->when = 0;
	r->serial[0] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	w = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	wl = (size_t)(p - w);
	for (size_t i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++)
		if (strlen(field_names[i]) == wl && !strncasecmp(w, field_names[i], wl))
			f = (int)i;
	if (f < 0)
		FAIL(-EINVAL, "unknown field '%.*s' (expected subject-name, issuer-name, name, "
		     "alt-subject-name, unstructured-subject-name, serial-number, valid-start or "
		     "expires-on)", (int)(wl > 40 ? 40 : wl), w);
	while (*p == ' ' || *p == '\t')
		p++;
	w = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	wl = (size_t)(p - w);
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (wl == 2 && !strncasecmp(w, op_names[i], 2))
			o = (int)i;
	if (o < 0)
		FAIL(-EINVAL, "unknown operator '%.*s' (expected eq, ne, co, nc, lt, le, gt or ge)",
		     (int)(wl > 40 ? 40 : wl), w);
	r->field = (enum pki_cm_field)f;
	r->op = (enum pki_cm_op)o;
	while (*p == ' ' || *p == '\t')
		p++;
	vl = strlen(p);
	while (vl && (p[vl - 1] == ' ' || p[vl - 1] == '\t'))
		vl--;
	if (!vl)
		FAIL(-EINVAL, "missing value after '%s %s'", field_names[f], op_names[o]);
	if (vl >= sizeof(r->value))
		FAIL(-E2BIG, "value longer than %zu characters", sizeof(r->value) - 1);
	memcpy(r->value, p, vl);
	r->value[vl] = '\0';
	r->value_len = vl;

	bool ordered = r->op >= PKI_CM_LT;

	switch (r->field) {
	case PKI_CM_VALID_START:
	case PKI_CM_EXPIRES_ON:
		if (r->op == PKI_CM_CO || r->op == PKI_CM_NC)
			FAIL(-EINVAL, "%s takes eq, ne, lt, le, gt or ge", field_names[f]);
		if (!pki_cm_parse_date(r->value, &r->when))
			FAIL(-EINVAL, "'%s' is not a date (e.g. \"2026-11-25 14:00:00\", "
			     "\"Nov 25 2026 14:00:00\", \"25 11 2026 14:00:00\"; UTC)", r->value);
		return 0;
	case PKI_CM_SERIAL_NUMBER:
		if (!canon_serial(r->value, r->serial, sizeof(r->serial)))
			FAIL(-EINVAL, "'%s' is not a hexadecimal serial number", r->value);
		if (r->op == PKI_CM_CO || r->op == PKI_CM_NC) {
			/* substring: keep the digits as written, only separators removed */
			size_t o2 = 0;

			for (const char *s = r->value; *s && o2 + 1 < sizeof(r->serial); s++)
				if (*s != ':' && *s != ' ')
					r->serial[o2++] = (char)((*s >= 'A' && *s <= 'F') ? *s + 32 : *s);
			r->serial[o2] = '\0';
		}
		return 0;
	default:
		break;
	}
	if (ordered)
		FAIL(-EINVAL, "%s takes eq, ne, co or nc (lt/le/gt/ge apply to dates and serial "
		     "numbers)", field_names[f]);
	if (is_name_field(r->field) && memchr(r->value, '=', vl)) {
		char derr[160];

		if (pki_dn_parse(&r->dn, r->value, vl, derr, sizeof(derr)))
			FAIL(-EINVAL, "value '%s': %s", r->value, derr);
		r->is_dn = true;
	}
	return 0;
}

const char *pki_cm_rule_format(const struct pki_cm_rule *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s %s", field_names[r->field], op_names[r->op], r->value);
	return buf;
}

static void set_text(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void pki_cert_view_init(struct pki_cert_view *v, const X509 *cert)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
	BIGNUM *bn = sn ? ASN1_INTEGER_to_BN(sn, NULL) : NULL;
	GENERAL_NAMES *gens;
	struct tm tm;

	memset(v, 0, sizeof(*v));
	v->subject_ok = !pki_dn_from_x509(&v->subject, X509_get_subject_name(cert));
	v->issuer_ok = !pki_dn_from_x509(&v->issuer, X509_get_issuer_name(cert));
	if (v->subject_ok)
		pki_dn_format(&v->subject, v->subject_text, sizeof(v->subject_text));
	if (v->issuer_ok)
		pki_dn_format(&v->issuer, v->issuer_text, sizeof(v->issuer_text));
	if (bn) {
		char *hex = BN_bn2hex(bn);

		if (hex && !canon_serial(hex[0] == '-' ? hex + 1 : hex, v->serial, sizeof(v->serial)))
			v->serial[0] = '\0';
		OPENSSL_free(hex);
		BN_free(bn);
	}
	v->times_ok = ASN1_TIME_to_tm(X509_get0_notBefore(cert), &tm) == 1;
	if (v->times_ok) {
		v->not_before = timegm(&tm);
		v->times_ok = ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1;
		v->not_after = timegm(&tm);
	}

	v->alt_ok = true;
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char *dst;
		const ASN1_STRING *s = NULL;

		if (v->n_alt >= PKI_CM_ALT_MAX) {
			v->alt_ok = false; /* too many to judge ne/nc safely */
			break;
		}
		dst = v->alt[v->n_alt];
		switch (g->type) {
		case GEN_DNS: s = g->d.dNSName; break;
		case GEN_EMAIL: s = g->d.rfc822Name; break;
		case GEN_URI: s = g->d.uniformResourceIdentifier; break;
		case GEN_IPADD:
			if (g->d.iPAddress->length == 4 || g->d.iPAddress->length == 16) {
				inet_ntop(g->d.iPAddress->length == 4 ? AF_INET : AF_INET6,
					  g->d.iPAddress->data, dst, 256);
				v->n_alt++;
			}
			continue;
		case GEN_DIRNAME: {
			struct pki_dn *dn = malloc(sizeof(*dn));

			if (dn && !pki_dn_from_x509(dn, g->d.directoryName)) {
				pki_dn_format(dn, dst, 256);
				v->n_alt++;
			} else {
				v->alt_ok = false;
			}
			free(dn);
			continue;
		}
		default:
			continue;
		}
		if (memchr(s->data, '\0', (size_t)s->length)) {
			v->alt_ok = false;
			continue;
		}
		set_text(dst, 256, (const char *)s->data, (size_t)s->length);
		v->n_alt++;
	}
	GENERAL_NAMES_free(gens);
}

/* eq / co of a name field, before negation. */
static bool name_positive(const struct pki_cm_rule *r, const struct pki_dn *dn, const char *text,
			  bool substring)
{
	if (r->is_dn) {
		for (unsigned i = 0; i < r->dn.n; i++)
			if (!pki_dn_has(dn, &r->dn.ava[i], substring))
				return false;
		return true;
	}
	return substring ? pki_str_contains(text, strlen(text), r->value, r->value_len)
			 : pki_str_eq(text, strlen(text), r->value, r->value_len);
}

static int cmp_time(time_t a, time_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_serial(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	int c = strcmp(a, b);

	return c < 0 ? -1 : c > 0;
}

static bool ordered(enum pki_cm_op op, int c)
{
	switch (op) {
	case PKI_CM_EQ: return c == 0;
	case PKI_CM_NE: return c != 0;
	case PKI_CM_LT: return c < 0;
	case PKI_CM_LE: return c <= 0;
	case PKI_CM_GT: return c > 0;
	case PKI_CM_GE: return c >= 0;
	default: return false;
	}
}

bool pki_cm_rule_match(const struct pki_cm_rule *r, const struct pki_cert_view *v)
{
	bool substring = r->op == PKI_CM_CO || r->op == PKI_CM_NC;
	bool negate = r->op == PKI_CM_NE || r->op == PKI_CM_NC;
	bool pos = false;

	switch (r->field) {
	case PKI_CM_SUBJECT_NAME:
		if (!v->subject_ok)
			return false;
		pos = name_positive(r, &v->subject, v->subject_text, substring);
		break;
	case PKI_CM_ISSUER_NAME:
		if (!v->issuer_ok)
			return false;
		pos = name_positive(r, &v->issuer, v->issuer_text, substring);
		break;
	case PKI_CM_NAME:
		if (!v->subject_ok || !v->issuer_ok)
			return false;
		pos = name_positive(r, &v->subject, v->subject_text, substring) ||
		      name_positive(r, &v->issuer, v->issuer_text, substring);
		break;
	case PKI_CM_ALT_SUBJECT_NAME:
		if (!v->alt_ok)
			return false;
		for (unsigned i = 0; i < v->n_alt && !pos; i++)
			pos = substring ? pki_str_contains(v->alt[i], strlen(v->alt[i]), r->value,
							  r->value_len)
					: pki_str_eq(v->alt[i], strlen(v->alt[i]), r->value,
						     r->value_len);
		break;
	case PKI_CM_UNSTRUCTURED_SUBJECT_NAME:
		if (!v->subject_ok)
			return false;
		for (unsigned i = 0; i < v->subject.n && !pos; i++) {
			const struct pki_ava *a = &v->subject.ava[i];

			if (a->nid != NID_pkcs9_unstructuredName &&
			    a->nid != NID_pkcs9_unstructuredAddress)
				continue;
			pos = substring ? pki_str_contains(a->value, a->value_len, r->value,
							  r->value_len)
					: pki_str_eq(a->value, a->value_len, r->value, r->value_len);
		}
		break;
	case PKI_CM_SERIAL_NUMBER:
		if (!v->serial[0])
			return false;
		if (substring) {
			pos = strstr(v->serial, r->serial) != NULL;
			break;
		}
		return ordered(r->op, cmp_serial(v->serial, r->serial));
	case PKI_CM_VALID_START:
		return v->times_ok && ordered(r->op, cmp_time(v->not_before, r->when));
	case PKI_CM_EXPIRES_ON:
		return v->times_ok && ordered(r->op, cmp_time(v->not_after, r->when));
	}
	return negate ? !pos : pos;
}

int pki_certmap_add_seq(struct pki_certmap *m, unsigned seq, const char *const *lines,
			unsigned n, char *err, size_t errlen, unsigned *bad_rule)
{
	struct pki_certmap_seq *seqs, s = { .seq = seq, .n_rules = n };
	unsigned at;

	for (unsigned i = 0; i < m->n_seq; i++)
		if (m->seqs[i].seq == seq)
			FAIL(-EEXIST, "sequence %u of certificate map %s is defined twice", seq, m->name);
	s.rules = calloc(n ? n : 1, sizeof(*s.rules));
	if (!s.rules)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		int rc = pki_cm_rule_parse(&s.rules[i], lines[i], err, errlen);

		if (rc) {
			if (bad_rule)
				*bad_rule = i;
			free(s.rules);
			return rc;
		}
	}
	seqs = realloc(m->seqs, (m->n_seq + 1) * sizeof(*seqs));
	if (!seqs) {
		free(s.rules);
		return -ENOMEM;
	}
	m->seqs = seqs;
	for (at = m->n_seq; at > 0 && seqs[at - 1].seq > seq; at--)
		seqs[at] = seqs[at - 1];
	seqs[at] = s;
	m->n_seq++;
	return 0;
}

bool pki_certmap_match(const struct pki_certmap *m, const struct pki_cert_view *v,
		       unsigned *seq)
{
	for (unsigned i = 0; i < m->n_seq; i++) {
		const struct pki_certmap_seq *s = &m->seqs[i];
		bool all = true;

		for (unsigned j = 0; j < s->n_rules && all; j++)
			all = pki_cm_rule_match(&s->rules[j], v);
		if (all) {
			if (seq)
				*seq = s->seq;
			return true;
		}
	}
	return false;
}

void pki_certmap_free(struct pki_certmap *m)
{
	for (unsigned i = 0; i < m->n_seq; i++)
		free(m->seqs[i].rules);
	free(m->seqs);
	m->seqs = NULL;
	m->n_seq = 0;
}
