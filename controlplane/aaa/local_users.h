/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file local_users.h
 * The local user base (docs/aaa.md "Local users"): names and passwords from
 * `aaa.local_users = ( { name = "..."; password = "..."; }, ... )` and from the file named by
 * `aaa.local_users_file`, one `name:password` a line (the password is the rest of the line
 * after the first ':'; blank lines and lines starting with '#' are ignored). The EAP method
 * `local` (controlplane/aaa/eap_local.h) authenticates against it.
 *
 * Limits: LOCAL_USERS_MAX users, names of 1..LOCAL_USER_NAME_MAX printable ASCII characters
 * without ':' or blanks, passwords of 1..LOCAL_USER_PASSWORD_MAX octets. A name defined twice
 * (in either source) is refused. Problems of the config section are reported with
 * rp_cfg_error(); those of the file as "FILE:LINE: ..." (both count in c->n_errors).
 *
 * Ownership: local_users_load() copies what it keeps; local_users_free() wipes the
 * passwords (OPENSSL_cleanse). Pointers from local_users_find() live until then.
 */
#ifndef RAMPART_AAA_LOCAL_USERS_H
#define RAMPART_AAA_LOCAL_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cfg.h"

#define LOCAL_USERS_MAX 4096u
#define LOCAL_USER_NAME_MAX 64u
#define LOCAL_USER_PASSWORD_MAX 128u
#define LOCAL_USERS_FILE_MAX (1u << 20)  /**< octets of aaa.local_users_file */

struct local_user {
	char name[LOCAL_USER_NAME_MAX + 1];
	size_t name_len;
	uint8_t password[LOCAL_USER_PASSWORD_MAX];
	size_t password_len;
};

struct local_users;

/**
 * Read (and check) the local users of @p c. @p out may be NULL: check only (aaa_conf_check()).
 * @return 0 and *@p out (NULL when neither setting is present), or -EINVAL (every problem
 * reported), -ENOMEM.
 */
int local_users_load(struct rp_cfg *c, struct local_users **out);

/** True if the configuration names a local user source (aaa.local_users[_file]). */
bool local_users_configured(const struct rp_cfg *c);

/** The user named exactly @p name (not NUL-terminated), or NULL. @p u may be NULL. */
const struct local_user *local_users_find(const struct local_users *u, const uint8_t *name,
					  size_t len);

unsigned local_users_count(const struct local_users *u);

/** Wipe and free (NULL: nothing). */
void local_users_free(struct local_users *u);

#endif
