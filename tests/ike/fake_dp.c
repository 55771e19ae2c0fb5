/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The IKE tests' fake dataplane (fake_dp.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_dp.h"

int fdp_send(void *ctx, uint16_t type, const void *payload, size_t len, dpif_cb cb, void *arg)
{
	struct fake_dp *d = ctx;
	struct rp_msg *m;
	char why[160];

	if (d->refuse)
		return d->refuse;
	assert_true(d->n < FDP_MAX);
	m = &d->q[d->n].msg;
	memset(m, 0, sizeof(*m));
	m->hdr.version = RP_MSG_VERSION;
	m->hdr.type = type;
	m->hdr.len = (uint16_t)len;
	assert_int_equal((int)len, rp_msg_payload_len(type));
	memcpy(m->u.raw, payload, len);
	/* what dpif_send() would refuse is a bug */
	if (rp_msg_validate(m, true, why, sizeof(why))) {
		fprintf(stderr, "invalid: %s\n", why);
		fail();
	}
	d->q[d->n].cb = cb;
	d->q[d->n].arg = arg;
	d->q[d->n].done = cb == NULL;
	d->n++;
	return 0;
}

unsigned fdp_cancel(void *ctx, void *arg)
{
	struct fake_dp *d = ctx;
	unsigned c = 0;

	for (unsigned i = 0; i < d->n; i++)
		if (!d->q[i].done && d->q[i].arg == arg) {
			d->q[i].done = true;
			c++;
		}
	d->cancelled += c;
	return c;
}

/* The direction of SA @p id as it was added. */
static int fdp_dir(const struct fake_dp *d, uint32_t id)
{
	for (unsigned i = 0; i < d->n; i++)
		if (d->q[i].msg.hdr.type == RP_MSG_SA_ADD && d->q[i].msg.u.sa.sa_id == id)
			return d->q[i].msg.u.sa.dir;
	return -1;
}

unsigned fdp_complete(struct fake_dp *d, int status)
{
	unsigned c = 0;

	for (unsigned i = 0; i < d->n; i++) {
		struct rp_msg info[2];
		struct dpif_reply rep = { .seq = i + 1, .type = d->q[i].msg.hdr.type };

		if (d->q[i].done)
			continue;
		d->q[i].done = true;
		c++;
		if (!status && rep.type == RP_MSG_STATS_REQ) {
			uint32_t id = d->q[i].msg.u.sa_ref.sa_id;

			memset(info, 0, sizeof(info));
			info[0].hdr.type = RP_MSG_SA_INFO;
			info[0].u.sa_stats = (struct rp_msg_sa_stats){
				.sa_id = id, .dir = (uint8_t)fdp_dir(d, id), .packets = 10,
				.bytes = 1000 };
			info[1].hdr.type = RP_MSG_DUMP_END;
			rep.n = 2;
			rep.msgs = info;
		}
		d->q[i].cb(status, &rep, d->q[i].arg);
	}
	return c;
}

unsigned fdp_count(const struct fake_dp *d, uint16_t type, unsigned from)
{
	unsigned c = 0;

	for (unsigned i = from; i < d->n; i++)
		c += d->q[i].msg.hdr.type == type;
	return c;
}

const struct rp_msg *fdp_find(const struct fake_dp *d, uint16_t type, unsigned from,
			      unsigned nth)
{
	for (unsigned i = from; i < d->n; i++)
		if (d->q[i].msg.hdr.type == type && nth-- == 0)
			return &d->q[i].msg;
	return NULL;
}
