/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file cfg.h
 * Configuration loading on top of libconfig, driven by a declarative schema.
 *
 * Loading parses the file (or an embedded text), then walks it against the schema: a setting
 * the schema does not know, a wrong type, a value out of range or not among the allowed
 * choices, a missing required setting: every problem is reported as
 *
 *     FILE:LINE: setting 'dataplane.ports.[1].role': "insde" is not one of outside, inside
 *
 * and for unknown names the closest known name is suggested. Nothing is ignored silently.
 * Programs then read values with the typed getters, which apply the schema's defaults.
 *
 * Ownership: struct rp_cfg is caller-allocated; rp_cfg_free() releases what loading made.
 * Setting pointers stay valid until rp_cfg_free().
 */
#ifndef RAMPART_COMMON_CFG_H
#define RAMPART_COMMON_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

enum rp_cfg_kind {
	RP_CFG_END = 0,  /**< terminates a schema array */
	RP_CFG_INT,      /**< integer (64-bit accepted), range [min, max] */
	RP_CFG_BOOL,
	RP_CFG_STRING,   /**< string; max > 0 bounds its length; choices restricts it */
	RP_CFG_GROUP,    /**< { ... } with children */
	RP_CFG_LIST,     /**< ( {...}, {...} ) of groups with children; max bounds the count */
	RP_CFG_STRINGS,  /**< [ "a", "b" ] (a single string is accepted as a one-element array) */
	RP_CFG_INTS,     /**< [ 1, 2 ] (a single integer is accepted) */
};

/** One setting of the schema. Arrays of these end with an entry whose kind is RP_CFG_END. */
struct rp_cfg_schema {
	const char *name;
	enum rp_cfg_kind kind;
	bool required;
	long long min, max;                    /**< INT/INTS: range; STRING: max length; LIST: max count */
	const char *const *choices;            /**< STRING/STRINGS: allowed values, NULL-terminated */
	const struct rp_cfg_schema *children;  /**< GROUP/LIST */
	const char *help;                      /**< one line, shown by --help-config */
};

struct rp_cfg {
	config_t lc;
	bool loaded;
	char source[256];  /**< file name, or "<built-in>" for embedded text */
	char err[1400];    /**< first error, "FILE:LINE: ..." */
	int n_errors;
	const struct rp_cfg_schema *schema;
};

/**
 * Parse and validate a file. @return 0, or -1 with every problem logged (rp_log, component
 * "config") and the first one in c->err.
 */
int rp_cfg_load_file(struct rp_cfg *c, const char *path, const struct rp_cfg_schema *schema);

/** Same, from text; @p name is used in messages in place of a file name. */
int rp_cfg_load_string(struct rp_cfg *c, const char *name, const char *text,
		       const struct rp_cfg_schema *schema);

void rp_cfg_free(struct rp_cfg *c);

/** Root group. */
const config_setting_t *rp_cfg_root(const struct rp_cfg *c);

/** Child by name (NULL if absent). @p parent may be NULL (then NULL is returned). */
const config_setting_t *rp_cfg_get(const config_setting_t *parent, const char *name);

/**
 * The value of integer setting @p s (0 if NULL). A hex literal from 0x80000000 to 0xffffffff,
 * which libconfig stores as a negative 32-bit int, is the unsigned 32-bit value (0xdeadbeef =
 * 3735928559); schema range checks use the same value. A negative decimal stays negative.
 */
long long rp_cfg_int_value(const config_setting_t *s);

/** Typed getters: the value if present, else @p def. Types were checked at load.
 *  rp_cfg_int() reads integers as rp_cfg_int_value() does. */
long long rp_cfg_int(const config_setting_t *parent, const char *name, long long def);
bool rp_cfg_bool(const config_setting_t *parent, const char *name, bool def);
const char *rp_cfg_str(const config_setting_t *parent, const char *name, const char *def);

/** Number of elements of a list/array setting (0 if @p s is NULL). */
int rp_cfg_count(const config_setting_t *s);
const config_setting_t *rp_cfg_elem(const config_setting_t *s, int i);

/**
 * Report a semantic error found after loading (e.g. two ports with the same name), in the
 * same "FILE:LINE: setting 'path': message" form; counts it in c->n_errors. @p s may be NULL.
 */
void rp_cfg_error(struct rp_cfg *c, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Dotted path of a setting ("dataplane.ports.[1].role") into buf. */
const char *rp_cfg_path(const config_setting_t *s, char *buf, size_t len);

/** Print the schema as documentation (name, type, range, help), one setting per line. */
void rp_cfg_print_schema(const struct rp_cfg_schema *schema, int indent, void *file);

#endif
