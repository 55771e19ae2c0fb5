/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Schema-driven configuration loading: every problem reported as FILE:LINE: setting 'path'. */
#include "common/cfg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"

static const char *kind_name(enum rp_cfg_kind k)
{
	switch (k) {
	case RP_CFG_INT: return "an integer";
	case RP_CFG_BOOL: return "a boolean (true/false)";
	case RP_CFG_STRING: return "a string";
	case RP_CFG_GROUP: return "a group { ... }";
	case RP_CFG_LIST: return "a list ( {...}, ... )";
	case RP_CFG_STRINGS: return "an array of strings [ \"...\", ... ]";
	case RP_CFG_INTS: return "an array of integers [ 1, ... ]";
	default: return "?";
	}
}

static const char *lc_type_name(int t)
{
	switch (t) {
	case CONFIG_TYPE_GROUP: return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a floating-point number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	default: return "something else";
	}
}

const char *rp_cfg_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *chain[32];
	int n = 0;
	size_t off = 0;

	buf[0] = '\0';
	for (; s && config_setting_parent(s) && n < 32; s = config_setting_parent(s))
		chain[n++] = s;
	while (n-- > 0 && off < len) {
		const config_setting_t *e = chain[n];
		const char *name = config_setting_name(e);
		int w;

		if (name)
			w = snprintf(buf + off, len - off, "%s%s", off ? "." : "", name);
		else
			w = snprintf(buf + off, len - off, "%s[%d]", off ? "." : "",
				     config_setting_index(e));
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

static void verror(struct rp_cfg *c, const config_setting_t *s, const char *fmt, va_list ap)
{
	char msg[600], path[256], line[1400];
	const char *file = c->source;
	unsigned lineno = 0;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (s) {
		if (config_setting_source_file(s))
			file = config_setting_source_file(s);
		lineno = config_setting_source_line(s);
		rp_cfg_path(s, path, sizeof(path));
	}
	if (s && path[0])
		snprintf(line, sizeof(line), "%s:%u: setting '%s': %s", file, lineno, path, msg);
	else if (s)
		snprintf(line, sizeof(line), "%s:%u: %s", file, lineno, msg);
	else
		snprintf(line, sizeof(line), "%s: %s", file, msg);
	if (c->n_errors++ == 0)
		snprintf(c->err, sizeof(c->err), "%s", line);
	rp_log(RP_LOG_ERR, "config", "%s", line);
}

void rp_cfg_error(struct rp_cfg *c, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(c, s, fmt, ap);
	va_end(ap);
}

/* Levenshtein distance, bounded to short names: for "did you mean" suggestions. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[65], cur[65];

	if (la > 64 || lb > 64)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(size_t) * (lb + 1));
	}
	return prev[lb];
}

static const struct rp_cfg_schema *find_field(const struct rp_cfg_schema *fields, const char *name)
{
	for (const struct rp_cfg_schema *f = fields; f && f->kind != RP_CFG_END; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

static void unknown_setting(struct rp_cfg *c, const config_setting_t *s,
			    const struct rp_cfg_schema *fields)
{
	const char *name = config_setting_name(s);
	const struct rp_cfg_schema *best = NULL;
	size_t best_d = 99;

	for (const struct rp_cfg_schema *f = fields; f && f->kind != RP_CFG_END; f++) {
		size_t d = edit_distance(name, f->name);

		if (d < best_d) {
			best_d = d;
			best = f;
		}
	}
	if (best && best_d <= 2 + strlen(name) / 4)
		rp_cfg_error(c, s, "unknown setting (did you mean '%s'?)", best->name);
	else
		rp_cfg_error(c, s, "unknown setting");
}

static bool in_choices(const char *const *choices, const char *v)
{
	for (; *choices; choices++)
		if (!strcmp(*choices, v))
			return true;
	return false;
}

static void choices_text(const char *const *choices, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (; *choices && off < len; choices++) {
		int w = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", *choices);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static void check_group(struct rp_cfg *c, const config_setting_t *g,
			const struct rp_cfg_schema *fields);

long long rp_cfg_int_value(const config_setting_t *s)
{
	long long v;

	if (!s)
		return 0;
	v = config_setting_get_int64(s);
	/* libconfig stores a hex literal of 0x80000000..0xffffffff (no L suffix) as a 32-bit
	 * int, i.e. negative: 0xdeadbeef means 3735928559, as anyone writing hex intends. A
	 * negative decimal stays negative. */
	if (v < 0 && config_setting_type(s) == CONFIG_TYPE_INT &&
	    config_setting_get_format(s) == CONFIG_FORMAT_HEX)
		v = (long long)(uint32_t)(int32_t)v;
	return v;
}

static void check_scalar(struct rp_cfg *c, const config_setting_t *s,
			 const struct rp_cfg_schema *f, enum rp_cfg_kind kind)
{
	int t = config_setting_type(s);
	char buf[256];

	switch (kind) {
	case RP_CFG_INT: {
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
			rp_cfg_error(c, s, "expected %s, found %s", kind_name(kind), lc_type_name(t));
			return;
		}
		long long v = rp_cfg_int_value(s);

		if ((f->min || f->max) && (v < f->min || v > f->max))
			rp_cfg_error(c, s, "%lld is out of range %lld..%lld", v, f->min, f->max);
		return;
	}
	case RP_CFG_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			rp_cfg_error(c, s, "expected %s, found %s", kind_name(kind), lc_type_name(t));
		return;
	case RP_CFG_STRING: {
		if (t != CONFIG_TYPE_STRING) {
			rp_cfg_error(c, s, "expected %s, found %s", kind_name(kind), lc_type_name(t));
			return;
		}
		const char *v = config_setting_get_string(s);

		if (f->max > 0 && (long long)strlen(v) > f->max)
			rp_cfg_error(c, s, "value is longer than %lld characters", f->max);
		else if (f->choices && !in_choices(f->choices, v)) {
			choices_text(f->choices, buf, sizeof(buf));
			rp_cfg_error(c, s, "\"%s\" is not one of %s", v, buf);
		} else if (f->min > 0 && (long long)strlen(v) < f->min)
			rp_cfg_error(c, s, "value must not be empty");
		return;
	}
	default:
		return;
	}
}

static void check_setting(struct rp_cfg *c, const config_setting_t *s,
			  const struct rp_cfg_schema *f)
{
	int t = config_setting_type(s);

	switch (f->kind) {
	case RP_CFG_INT:
	case RP_CFG_BOOL:
	case RP_CFG_STRING:
		check_scalar(c, s, f, f->kind);
		break;
	case RP_CFG_GROUP:
		if (t != CONFIG_TYPE_GROUP)
			rp_cfg_error(c, s, "expected %s, found %s", kind_name(f->kind), lc_type_name(t));
		else
			check_group(c, s, f->children);
		break;
	case RP_CFG_LIST: {
		if (t != CONFIG_TYPE_LIST) {
			rp_cfg_error(c, s, "expected %s, found %s", kind_name(f->kind), lc_type_name(t));
			break;
		}
		int n = config_setting_length(s);

		if (f->max > 0 && n > f->max)
			rp_cfg_error(c, s, "at most %lld entries are allowed, found %d", f->max, n);
		for (int i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

			if (config_setting_type(e) != CONFIG_TYPE_GROUP)
				rp_cfg_error(c, e, "list entries must be groups { ... }, found %s",
					     lc_type_name(config_setting_type(e)));
			else
				check_group(c, e, f->children);
		}
		break;
	}
	case RP_CFG_STRINGS:
	case RP_CFG_INTS: {
		enum rp_cfg_kind ek = f->kind == RP_CFG_STRINGS ? RP_CFG_STRING : RP_CFG_INT;

		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
			check_scalar(c, s, f, ek); /* a lone value stands for a one-element array */
			break;
		}
		for (int i = 0; i < config_setting_length(s); i++)
			check_scalar(c, config_setting_get_elem(s, (unsigned)i), f, ek);
		break;
	}
	default:
		break;
	}
}

static void check_group(struct rp_cfg *c, const config_setting_t *g,
			const struct rp_cfg_schema *fields)
{
	int n = config_setting_length(g);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const struct rp_cfg_schema *f = find_field(fields, config_setting_name(s));

		if (!f)
			unknown_setting(c, s, fields);
		else
			check_setting(c, s, f);
	}
	for (const struct rp_cfg_schema *f = fields; f && f->kind != RP_CFG_END; f++) {
		if (f->required && !config_setting_get_member(g, f->name)) {
			char path[256];

			rp_cfg_path(g, path, sizeof(path));
			if (config_setting_parent(g))
				rp_cfg_error(c, g, "required setting '%s' is missing", f->name);
			else
				rp_cfg_error(c, NULL, "required setting '%s' is missing", f->name);
		}
	}
}

static int finish_load(struct rp_cfg *c, int ok)
{
	if (!ok) {
		const char *file = config_error_file(&c->lc);
		char line[1400];

		snprintf(line, sizeof(line), "%s:%d: %s", file ? file : c->source,
			 config_error_line(&c->lc), config_error_text(&c->lc));
		snprintf(c->err, sizeof(c->err), "%s", line);
		c->n_errors++;
		rp_log(RP_LOG_ERR, "config", "%s", line);
		return -1;
	}
	c->loaded = true;
	check_group(c, config_root_setting(&c->lc), c->schema);
	return c->n_errors ? -1 : 0;
}

static void init(struct rp_cfg *c, const char *name, const struct rp_cfg_schema *schema)
{
	memset(c, 0, sizeof(*c));
	config_init(&c->lc);
	/* Integers stay integers: a float where an integer is expected is an error. */
	config_set_auto_convert(&c->lc, 0);
	snprintf(c->source, sizeof(c->source), "%s", name);
	c->schema = schema;
}

int rp_cfg_load_file(struct rp_cfg *c, const char *path, const struct rp_cfg_schema *schema)
{
	FILE *fp;
	int ok;

	init(c, path, schema);
	fp = fopen(path, "r");
	if (!fp) {
		snprintf(c->err, sizeof(c->err), "%s: cannot open: %m", path);
		c->n_errors++;
		rp_log(RP_LOG_ERR, "config", "%s", c->err);
		return -1;
	}
	/* config_read_file() would lose the errno; config_read() keeps file names for
	 * @include'd files and reports ours through c->source. */
	ok = config_read(&c->lc, fp) == CONFIG_TRUE;
	fclose(fp);
	return finish_load(c, ok);
}

int rp_cfg_load_string(struct rp_cfg *c, const char *name, const char *text,
		       const struct rp_cfg_schema *schema)
{
	init(c, name, schema);
	return finish_load(c, config_read_string(&c->lc, text) == CONFIG_TRUE);
}

void rp_cfg_free(struct rp_cfg *c)
{
	config_destroy(&c->lc);
	c->loaded = false;
}

const config_setting_t *rp_cfg_root(const struct rp_cfg *c)
{
	return config_root_setting(&c->lc);
}

const config_setting_t *rp_cfg_get(const config_setting_t *parent, const char *name)
{
	if (!parent)
		return NULL;
	return config_setting_get_member(parent, name);
}

long long rp_cfg_int(const config_setting_t *parent, const char *name, long long def)
{
	const config_setting_t *s = rp_cfg_get(parent, name);

	if (!s)
		return def;
	return rp_cfg_int_value(s);
}

bool rp_cfg_bool(const config_setting_t *parent, const char *name, bool def)
{
	const config_setting_t *s = rp_cfg_get(parent, name);

	if (!s)
		return def;
	return config_setting_get_bool(s);
}

const char *rp_cfg_str(const config_setting_t *parent, const char *name, const char *def)
{
	const config_setting_t *s = rp_cfg_get(parent, name);

	if (!s || config_setting_type(s) != CONFIG_TYPE_STRING)
		return def;
	return config_setting_get_string(s);
}

int rp_cfg_count(const config_setting_t *s)
{
	if (!s)
		return 0;
	if (config_setting_is_aggregate(s))
		return config_setting_length(s);
	return 1; /* a lone scalar standing for a one-element array */
}

const config_setting_t *rp_cfg_elem(const config_setting_t *s, int i)
{
	if (!s)
		return NULL;
	if (!config_setting_is_aggregate(s))
		return i == 0 ? s : NULL;
	return config_setting_get_elem(s, (unsigned)i);
}

void rp_cfg_print_schema(const struct rp_cfg_schema *schema, int indent, void *file)
{
	FILE *fp = file;
	char buf[256];

	for (const struct rp_cfg_schema *f = schema; f && f->kind != RP_CFG_END; f++) {
		fprintf(fp, "%*s%s: %s%s", indent, "", f->name, kind_name(f->kind),
			f->required ? ", required" : "");
		if ((f->kind == RP_CFG_INT || f->kind == RP_CFG_INTS) && (f->min || f->max))
			fprintf(fp, ", %lld..%lld", f->min, f->max);
		if (f->choices) {
			choices_text(f->choices, buf, sizeof(buf));
			fprintf(fp, ", one of %s", buf);
		}
		if (f->help)
			fprintf(fp, " - %s", f->help);
		fputc('\n', fp);
		if (f->children)
			rp_cfg_print_schema(f->children, indent + 2, fp);
	}
}
