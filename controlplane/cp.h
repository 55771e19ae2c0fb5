/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file cp.h
 * The rampartd process: what its subsystems share (event loop, configuration, channel,
 * dataplane interface, management socket). One instance, owned by main.c.
 */
#ifndef RAMPART_CP_CP_H
#define RAMPART_CP_CP_H

#include <stdint.h>
#include <sys/un.h>

#include "common/cfg.h"

struct event_base;
struct rp_chan;
struct dpif;
struct mgmt;
struct ike_io;

struct cp {
	struct event_base *base;
	struct rp_cfg cfg;
	const char *config_source;   /**< file name, or RP_CONF_DEFAULT_NAME */
	char region[256];            /**< control region path */
	char mgmt_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct rp_chan *ch;
	struct dpif *dpif;
	struct mgmt *mgmt;
	struct ike_io *ike;          /**< IKEv2 responder, NULL when not configured */
	uint64_t start_ns;           /**< CLOCK_MONOTONIC at start */
};

/** Register "status" on the management socket. @return 0 or -errno. */
int cp_status_register(struct cp *cp);

struct dpif_reply;
struct sbuf;
struct json_w;

/** Register "show sa [SA_ID]", "sa add ...", "sa del SA_ID". @return 0 or -errno. */
int cp_sa_register(struct cp *cp);

struct rp_manual_sa;

/**
 * Parse the words of "sa add" (FIELD VALUE pairs, the fields of dataplane.manual_sas) into
 * a finished @p m (common/manual_sa.h); sa_id may be absent, else it must lie in
 * RP_SA_ID_CLI_FIRST..LAST. @return 0, or -errno with the operator's message in @p err.
 * @p m holds keys: rp_manual_sa_wipe() it in every case.
 */
int cp_sa_parse_add(int argc, char **argv, struct rp_manual_sa *m, char *err, size_t errlen);

/**
 * Write the SA_INFO messages of a SA_DUMP / STATS_REQ answer as "show sa" does: a table
 * (SA_ID DIR SPI PACKETS BYTES DROPS SEQ) into @p out, or a JSON array into @p jw if not NULL.
 */
void cp_sa_render(const struct dpif_reply *rep, struct sbuf *out, struct json_w *jw);

#endif
