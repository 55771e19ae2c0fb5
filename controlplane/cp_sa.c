/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * "show sa [SA_ID]": the dataplane's per-SA counters. One SA_DUMP (all SAs) or one STATS_REQ
 * (a single SA) through the channel; the answer is written when DUMP_END is back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "controlplane/cp.h"
#include "controlplane/dpif/dpif.h"
#include "controlplane/mgmt/mgmt.h"

#define SA_DUMP_TIMEOUT_MS 5000

struct sa_job {
	struct mgmt_req *req;
	uint32_t sa_id; /* 0: all */
};

static const char *dir_name(uint8_t dir)
{
	return dir == RP_DIR_IN ? "in" : dir == RP_DIR_OUT ? "out" : "?";
}

void cp_sa_render(const struct dpif_reply *rep, struct sbuf *out, struct json_w *jw)
{
	unsigned n = 0;

	if (jw)
		json_arr_open(jw);
	else
		sbuf_printf(out, "%-10s %-3s %-10s %14s %16s %12s %20s\n", "SA_ID", "DIR", "SPI",
			    "PACKETS", "BYTES", "DROPS", "SEQ");
	for (unsigned i = 0; i < rep->n; i++) {
		const struct rp_msg_sa_stats *s = &rep->msgs[i].u.sa_stats;

		if (rep->msgs[i].hdr.type != RP_MSG_SA_INFO)
			continue;
		n++;
		if (jw) {
			char spi[16];

			snprintf(spi, sizeof(spi), "%08" PRIx32, s->spi);
			json_obj_open(jw);
			json_kv_uint(jw, "sa_id", s->sa_id);
			json_kv_str(jw, "dir", dir_name(s->dir));
			json_kv_str(jw, "spi", spi);
			json_kv_uint(jw, "packets", s->packets);
			json_kv_uint(jw, "bytes", s->bytes);
			json_kv_uint(jw, "drops", s->drops);
			json_kv_uint(jw, "seq", s->seq);
			json_obj_close(jw);
			continue;
		}
		sbuf_printf(out, "%-10" PRIu32 " %-3s 0x%08" PRIx32 " %14" PRIu64 " %16" PRIu64
			    " %12" PRIu64 " %20" PRIu64 "\n", s->sa_id, dir_name(s->dir), s->spi,
			    s->packets, s->bytes, s->drops, s->seq);
	}
	if (jw)
		json_arr_close(jw);
	else
		sbuf_printf(out, "%u SA%s\n", n, n == 1 ? "" : "s");
}

static void on_sa_info(int status, const struct dpif_reply *rep, void *arg)
{
	struct sa_job *j = arg;
	struct mgmt_req *req = j->req;

	if (status == -ENOENT && j->sa_id)
		mgmt_req_error(req, "show sa: no SA %" PRIu32 " in the dataplane", j->sa_id);
	else if (status)
		mgmt_req_error(req, "show sa: the dataplane did not answer: %s",
			       status == -ETIMEDOUT ? "timed out" : strerror(-status));
	else {
		cp_sa_render(rep, &req->out, req->json ? &req->jw : NULL);
		mgmt_req_done(req, MGMT_OK);
	}
	free(j);
}

static int cmd_show_sa(struct mgmt_req *req, void *arg)
{
	struct cp *cp = arg;
	struct sa_job *j;
	unsigned long v = 0;
	int rc;

	if (req->argc == 1) {
		char *end;

		errno = 0;
		v = strtoul(req->argv[0], &end, 0);
		if (errno || end == req->argv[0] || *end || v == 0 || v > UINT32_MAX ||
		    req->argv[0][0] == '-') {
			mgmt_req_error(req, "show sa: '%s' is not an SA id (1 to %u)", req->argv[0],
				       UINT32_MAX);
			return 0;
		}
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->req = req;
	j->sa_id = (uint32_t)v;
	if (j->sa_id) {
		struct rp_msg_sa_ref ref = { .sa_id = j->sa_id };

		rc = dpif_send(cp->dpif, RP_MSG_STATS_REQ, &ref, sizeof(ref), on_sa_info, j,
			       SA_DUMP_TIMEOUT_MS);
	} else {
		struct rp_msg_empty e = { { 0 } };

		rc = dpif_send(cp->dpif, RP_MSG_SA_DUMP, &e, sizeof(e), on_sa_info, j,
			       SA_DUMP_TIMEOUT_MS);
	}
	if (rc) {
		free(j);
		mgmt_req_error(req, "show sa: dataplane not available: %s",
			       rc == -ENOTCONN ? "rampart-dp not attached" : strerror(-rc));
	}
	return 0;
}

static const struct mgmt_cmd sa_cmds[] = {
	{ "show sa", "[SA_ID]", "dataplane SAs: direction, SPI, packets, bytes, drops, sequence",
	  cmd_show_sa, 0, 1 },
};

int cp_sa_register(struct cp *cp)
{
	return mgmt_register(cp->mgmt, sa_cmds, sizeof(sa_cmds) / sizeof(sa_cmds[0]), cp);
}
