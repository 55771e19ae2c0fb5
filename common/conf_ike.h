/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file conf_ike.h
 * The schema of the "ike" section (IKEv2 responder), read by controlplane/ike/ike_conf.c.
 */
#ifndef RAMPART_CONF_IKE_H
#define RAMPART_CONF_IKE_H

#include "common/cfg.h"

/* Limits the schema enforces; controlplane/ike/ike_conf.c checks that they equal
 * POOL_NAME_MAX (controlplane/pool/pool.h) and IKE_KEYRING_PSK_MAX (keyring.h). */
#define RP_CONF_IKE_POOL_NAME_MAX 32
#define RP_CONF_IKE_PSK_MAX 256u

/** Children of the top-level group "ike". */
extern const struct rp_cfg_schema rp_conf_ike_schema[];

#endif
