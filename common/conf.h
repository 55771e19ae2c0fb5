/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file conf.h
 * The Rampart configuration file: its schema (every setting both programs accept) and the
 * embedded default (a demo configuration on DPDK virtual devices, common/default.conf).
 *
 * Both rampartd and rampart-dp load the same file and validate all of it, so a typo is caught
 * whichever program starts first.
 */
#ifndef RAMPART_COMMON_CONF_H
#define RAMPART_COMMON_CONF_H

#include <stddef.h>

#include "common/cfg.h"

/** Schema of the whole configuration file. */
extern const struct rp_cfg_schema rp_conf_schema[];

/** Text of common/default.conf, compiled in. */
extern const char rp_conf_default[];

/** Name under which the embedded default is reported in messages. */
#define RP_CONF_DEFAULT_NAME "<built-in default>"

/**
 * Load @p path, or the embedded default when @p path is NULL.
 * @return 0 or -1 (errors logged, first in c->err).
 */
int rp_conf_load(struct rp_cfg *c, const char *path);

/** Instance name ("demo"): names the region, the sockets and DPDK's file prefix. */
const char *rp_conf_instance(const struct rp_cfg *c);

/** Control region path: control.region, or /dev/shm/rampart-<instance>.ctl. */
const char *rp_conf_region_path(const struct rp_cfg *c, char *buf, size_t len);

/** Management socket path: management.socket, or /run/rampart/<instance>.sock. */
const char *rp_conf_mgmt_socket(const struct rp_cfg *c, char *buf, size_t len);

/** Directory for pid files and runtime state: /run/rampart. */
#define RP_RUN_DIR "/run/rampart"

#endif
