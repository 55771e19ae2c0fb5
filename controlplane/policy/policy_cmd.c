/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* rampartd glue: the policy model from the configuration, and its management commands. */
#include "controlplane/policy/policy_cmd.h"

#include <errno.h>

#include "common/log.h"
#include "controlplane/mgmt/mgmt.h"
#include "controlplane/policy/policy.h"
#include "controlplane/policy/show.h"

static int cmd_show_profiles(struct mgmt_req *req, void *arg)
{
	const struct pol_cmd *pc = arg;
	const char *name = req->argc ? req->argv[0] : NULL;

	if (pol_show_profiles(pc->set, name, req->json, &req->out, &req->jw)) {
		mgmt_req_error(req, "no IKEv2 profile named '%s'", name);
		return 0;
	}
	mgmt_req_done(req, MGMT_OK);
	return 0;
}

static int cmd_show_certmaps(struct mgmt_req *req, void *arg)
{
	const struct pol_cmd *pc = arg;
	const char *name = req->argc ? req->argv[0] : NULL;

	if (pol_show_certmaps(pc->set, name, req->json, &req->out, &req->jw)) {
		mgmt_req_error(req, "no certificate map named '%s'", name);
		return 0;
	}
	mgmt_req_done(req, MGMT_OK);
	return 0;
}

static const struct mgmt_cmd policy_cmds[] = {
	{ "show profiles", "[NAME]", "IKEv2 profiles with every setting (matches, authentication, "
	  "trustpoints, AAA lists, group, config exchange)",
	  cmd_show_profiles, 0, 1 },
	{ "show certificate-maps", "[NAME]", "certificate maps, their rules and profiles",
	  cmd_show_certmaps, 0, 1 },
};

int pol_cmd_load(struct pol_cmd *pc, struct rp_cfg *cfg)
{
	int rc = pol_set_build(cfg, 0, &pc->set);

	if (rc)
		return rc;
	rp_log(RP_LOG_INFO, "policy", "%u IKEv2 profiles, %u certificate maps, %u trustpoints, "
	       "%u keyrings, %u authorization policies", pc->set->n_profiles, pc->set->n_maps,
	       pc->set->n_tps, pc->set->n_keyrings, pc->set->n_authz);
	return 0;
}

int pol_cmd_register(struct pol_cmd *pc, struct mgmt *m)
{
	return mgmt_register(m, policy_cmds, sizeof(policy_cmds) / sizeof(policy_cmds[0]), pc);
}

void pol_cmd_stop(struct pol_cmd *pc)
{
	pol_set_free(pc->set);
	pc->set = NULL;
}
