/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * INFORMATIONAL responder task (RFC 7296 §1.4, §3.11): Delete of the IKE SA (answered with
 * an empty message, then the SA, its CHILD_SAs in the dataplane and its leases go; a
 * rekeyed IKE SA has none left), Delete of CHILD_SAs (answered with a Delete of our inbound
 * SPIs, §1.4.1; the old CHILD_SA of a rekey goes this way), anything else (an empty request
 * is a liveness check, §2.4) answered with an empty message; a CFG_SET of the peer is
 * answered with a CFG_ACK when its profile accepts it (config-exchange set accept,
 * ike_cfg.h). ike_refuse_task_new() answers
 * NO_ADDITIONAL_SAS (CREATE_CHILD_SA itself is ike_create.c).
 */
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "common/log.h"
#include "controlplane/ike/ike_priv.h"
#include "controlplane/policy/policy.h"

struct info_task {
	struct ike_task t;
	bool delete_ike;
	unsigned n_del;
	uint32_t del_out[IKE_CHILD_MAX];   /**< spi_out of the CHILD_SAs the peer deletes */
	uint32_t del_in[IKE_CHILD_MAX];    /**< and their spi_in, for our Delete */
	bool crossed[IKE_CHILD_MAX];       /**< our Delete of it is in flight too */
	struct ike_cfg_out *ack;           /**< CFG_ACK for the peer's CFG_SET, or NULL */
};

static enum ike_task_rc info_process(struct ike_task *t, const struct ike_msg *m)
{
	struct info_task *it = (struct info_task *)t;
	const struct ike_sa *sa = t->sa;

	for (const struct ike_pl *d = NULL; (d = ike_msg_find(m, IKE_PL_DELETE, d));) {
		if (d->f.u8a == IKE_PROTO_IKE) {
			it->delete_ike = true;
			continue;
		}
		if (d->f.u8a != IKE_PROTO_ESP || d->f.u8b != 4 ||
		    d->f.spi.len != 4u * d->f.u16a)
			continue;
		/* the peer names its inbound SPI, i.e. our outbound one */
		for (unsigned i = 0; i < d->f.u16a; i++) {
			uint32_t spi = rp_get_be32(d->f.spi.p + 4 * i);
			const struct ike_child *c = NULL;
			unsigned k;

			for (k = 0; k < sa->n_child; k++)
				if (sa->child[k].spi_out == spi)
					c = &sa->child[k];
			for (k = 0; c && k < it->n_del; k++)
				if (it->del_out[k] == spi)
					c = NULL; /* named twice */
			if (c && it->n_del < IKE_CHILD_MAX) {
				it->crossed[it->n_del] = c->deleting;
				it->del_out[it->n_del] = spi;
				it->del_in[it->n_del++] = c->spi_in;
			}
		}
	}
	/* §3.15: configuration pushed by the peer (config-exchange set accept) */
	if (ike_msg_find(m, IKE_PL_CP, NULL) && m->cp.cfg_type == IKE_CFG_SET && !it->delete_ike) {
		struct ike_cfg_req q;

		ike_cfg_req_parse(m, &q);
		if (!sa->profile || !sa->profile->cfg_set_accept) {
			RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: CFG_SET of the peer ignored (%s)",
				(unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
				sa->profile ? "config_exchange.set_accept is off" : "no ikev2 profile");
		} else if ((it->ack = malloc(sizeof(*it->ack)))) {
			ike_cfg_build_ack(&q, it->ack);
			RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: CFG_SET of the peer acknowledged "
				"(CFG_ACK): %s; %u route(s) announced, logged only",
				(unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
				it->ack->log, q.n_routes);
		}
	}
	return IKE_TASK_DONE;
}

static enum ike_task_rc info_build(struct ike_task *t, struct ike_bld *b)
{
	struct info_task *it = (struct info_task *)t;

	if (!it->delete_ike && it->n_del) {
		uint8_t spi[4 * IKE_CHILD_MAX];
		uint16_t n = 0;

		/* §1.4.1: not those whose Delete we sent ourselves (the requests crossed) */
		for (unsigned i = 0; i < it->n_del; i++) {
			uint32_t s = it->del_in[i];

			if (it->crossed[i])
				continue;
			spi[4 * n] = (uint8_t)(s >> 24), spi[4 * n + 1] = (uint8_t)(s >> 16);
			spi[4 * n + 2] = (uint8_t)(s >> 8), spi[4 * n + 3] = (uint8_t)s;
			n++;
		}
		if (n)
			ike_bld_delete(b, IKE_PROTO_ESP, 4, spi, n);
	}
	if (it->ack)
		ike_cfg_write(it->ack, b);
	return b->w.err ? IKE_TASK_FAILED : IKE_TASK_DONE;
}

static void info_commit(struct ike_task *t)
{
	struct info_task *it = (struct info_task *)t;
	struct ike_sa *sa = t->sa;

	if (it->delete_ike) {
		RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: deleted by the peer",
			(unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r);
		ike_sa_delete(t->r, sa, true);
		return;
	}
	for (unsigned i = 0; i < it->n_del; i++) {
		struct ike_child *c = ike_sa_child_by_out(sa, it->del_out[i]);

		if (!c)
			continue;
		RP_INFO("ike", "IKE_SA %016llx_i %016llx_r: CHILD_SA %08x_i %08x_o%s deleted by "
			"the peer", (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r,
			c->spi_in, c->spi_out, c->rekeyed ? " (rekeyed)" : "");
		ike_sa_child_remove(t->r, sa, c, true);
	}
}

static void info_destroy(struct ike_task *t)
{
	free(((struct info_task *)t)->ack);
	free(t);
}

static const struct ike_task_ops info_ops = {
	.name = "INFORMATIONAL",
	.process = info_process,
	.build = info_build,
	.commit = info_commit,
	.destroy = info_destroy,
};

/* CREATE_CHILD_SA (§1.3) is not implemented: answer NO_ADDITIONAL_SAS rather than stay
 * silent, which the peer would take for a dead responder. */
static enum ike_task_rc refuse_process(struct ike_task *t, const struct ike_msg *m)
{
	(void)t;
	(void)m;
	return IKE_TASK_DONE;
}

static enum ike_task_rc refuse_build(struct ike_task *t, struct ike_bld *b)
{
	(void)t;
	ike_bld_notify(b, 0, NULL, 0, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
	return b->w.err ? IKE_TASK_FAILED : IKE_TASK_DONE;
}

static void refuse_commit(struct ike_task *t)
{
	(void)t;
}

static const struct ike_task_ops refuse_ops = {
	.name = "CREATE_CHILD_SA",
	.process = refuse_process,
	.build = refuse_build,
	.commit = refuse_commit,
	.destroy = info_destroy,
};

struct ike_task *ike_refuse_task_new(struct ike_resp *r, struct ike_sa *sa)
{
	struct info_task *it = calloc(1, sizeof(*it));

	if (!it)
		return NULL;
	it->t.ops = &refuse_ops;
	it->t.r = r;
	it->t.sa = sa;
	return &it->t;
}

struct ike_task *ike_info_task_new(struct ike_resp *r, struct ike_sa *sa)
{
	struct info_task *it = calloc(1, sizeof(*it));

	if (!it)
		return NULL;
	it->t.ops = &info_ops;
	it->t.r = r;
	it->t.sa = sa;
	return &it->t;
}
