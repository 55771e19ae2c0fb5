/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file show.h
 * Operator views of the policy model ("show profiles", "show certificate-maps"), as text or
 * JSON, kept apart from the management socket so that they can be tested alone.
 */
#ifndef RAMPART_POLICY_SHOW_H
#define RAMPART_POLICY_SHOW_H

#include <stdbool.h>

#include "controlplane/mgmt/json.h"
#include "controlplane/policy/policy.h"
#include "controlplane/util/sbuf.h"

/**
 * Write every profile, or only @p name (may be NULL), into @p out (text) or @p jw (JSON).
 * @p s may be NULL (no policy configured). @return 0, or -ENOENT when @p name is unknown.
 */
int pol_show_profiles(const struct pol_set *s, const char *name, bool json, struct sbuf *out,
		      struct json_w *jw);

/** Same for certificate maps. */
int pol_show_certmaps(const struct pol_set *s, const char *name, bool json, struct sbuf *out,
		      struct json_w *jw);

#endif
