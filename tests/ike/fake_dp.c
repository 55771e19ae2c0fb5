/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The IKE tests' fake dataplane (fake_dp.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
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
	if (d->refuse_type && d->refuse_type == type)
		return -ENOBUFS;
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

static uint64_t fdp_packets(const struct fake_dp *d, uint32_t id, uint8_t dir)
{
	return d->packets ? d->packets(d->packets_arg, id, dir) : 10;
}

static void fdp_info(const struct fake_dp *d, struct rp_msg *m, uint32_t id, int dir)
{
	uint64_t p = fdp_packets(d, id, (uint8_t)dir);

	memset(m, 0, sizeof(*m));
	m->hdr.type = RP_MSG_SA_INFO;
	m->u.sa_stats = (struct rp_msg_sa_stats){ .sa_id = id, .dir = (uint8_t)dir,
						  .packets = p, .bytes = 100 * p };
}

/* SA_DUMP: every SA added and not deleted before request @p upto. */
static unsigned fdp_dump(const struct fake_dp *d, unsigned upto, struct rp_msg **out)
{
	struct rp_msg *v = calloc(d->n + 1, sizeof(*v));
	unsigned n = 0;

	assert_non_null(v);
	for (unsigned i = 0; i < upto; i++) {
		uint32_t id = d->q[i].msg.u.sa.sa_id;
		bool gone = false;

		if (d->q[i].msg.hdr.type != RP_MSG_SA_ADD)
			continue;
		for (unsigned k = i + 1; k < upto && !gone; k++)
			gone = d->q[k].msg.hdr.type == RP_MSG_SA_DEL &&
			       d->q[k].msg.u.sa_ref.sa_id == id;
		if (!gone)
			fdp_info(d, &v[n++], id, d->q[i].msg.u.sa.dir);
	}
	v[n].hdr.type = RP_MSG_DUMP_END;
	v[n].u.dump_end.count = n;
	*out = v;
	return n + 1;
}

unsigned fdp_complete(struct fake_dp *d, int status)
{
	unsigned c = 0;

	for (unsigned i = 0; i < d->n; i++) {
		struct rp_msg info[2], *dump = NULL;
		struct dpif_reply rep = { .seq = i + 1, .type = d->q[i].msg.hdr.type };

		if (d->q[i].done)
			continue;
		d->q[i].done = true;
		c++;
		if (!status && rep.type == RP_MSG_STATS_REQ) {
			uint32_t id = d->q[i].msg.u.sa_ref.sa_id;

			fdp_info(d, &info[0], id, fdp_dir(d, id));
			memset(&info[1], 0, sizeof(info[1]));
			info[1].hdr.type = RP_MSG_DUMP_END;
			info[1].u.dump_end.count = 1;
			rep.n = 2;
			rep.msgs = info;
		}
		if (!status && rep.type == RP_MSG_SA_DUMP) {
			rep.n = fdp_dump(d, i, &dump);
			rep.msgs = dump;
		}
		d->answers += rep.n;
		d->q[i].cb(status, &rep, d->q[i].arg);
		free(dump);
	}
	return c;
}

void fdp_compact(struct fake_dp *d)
{
	unsigned k = 0;

	for (unsigned i = 0; i < d->n; i++) {
		uint16_t t = d->q[i].msg.hdr.type;

		if (d->q[i].done && t != RP_MSG_SA_ADD && t != RP_MSG_SA_DEL)
			continue;
		if (k != i)
			d->q[k] = d->q[i];
		k++;
	}
	d->n = k;
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
