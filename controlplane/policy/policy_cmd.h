/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file policy_cmd.h
 * rampartd's glue for the policy model: builds it from the loaded configuration (reading
 * trustpoint files) and registers "show profiles" and "show certificate-maps".
 */
#ifndef RAMPART_POLICY_POLICY_CMD_H
#define RAMPART_POLICY_POLICY_CMD_H

#include "common/cfg.h"

struct mgmt;
struct pol_set;

/** The model rampartd runs with, and its commands. */
struct pol_cmd {
	struct pol_set *set;   /**< owned; NULL until started */
};

/**
 * Build the model from @p cfg, reading the trustpoints' files; errors are reported at
 * FILE:LINE and counted in cfg->n_errors. Called right after loading, so that
 * `rampartd --check` covers the policy too. @return 0, -EINVAL, -ENOMEM.
 */
int pol_cmd_load(struct pol_cmd *pc, struct rp_cfg *cfg);

/** Register "show profiles" and "show certificate-maps" on @p m. @return mgmt_register()'s. */
int pol_cmd_register(struct pol_cmd *pc, struct mgmt *m);

/** Free the model (commands must not run afterwards: call after mgmt_destroy()). */
void pol_cmd_stop(struct pol_cmd *pc);

#endif
