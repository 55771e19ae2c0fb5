/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * A fake dataplane for the IKE tests (struct ike_dp_ops): records every request, checks it as
 * dpif_send() would (a request rp_msg_validate() refuses is a test failure), and answers
 * when the test says so. STATS_REQ is answered with 10 packets / 1000 bytes.
 */
#ifndef RAMPART_TESTS_IKE_FAKE_DP_H
#define RAMPART_TESTS_IKE_FAKE_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/msg.h"
#include "controlplane/dpif/dpif.h"

#define FDP_MAX 256

struct fake_dp {
	unsigned n;
	struct {
		struct rp_msg msg;
		dpif_cb cb;
		void *arg;
		bool done;
	} q[FDP_MAX];
	int refuse;         /**< send() fails with this */
	unsigned cancelled; /**< requests dropped by cancel() */
};

/** The ike_dp_ops send() and cancel() (ctx: the struct fake_dp). */
int fdp_send(void *ctx, uint16_t type, const void *payload, size_t len, dpif_cb cb, void *arg);
unsigned fdp_cancel(void *ctx, void *arg);

/** Answer everything outstanding with @p status (callbacks may send more). @return count. */
unsigned fdp_complete(struct fake_dp *d, int status);

/** Requests of @p type from index @p from on. */
unsigned fdp_count(const struct fake_dp *d, uint16_t type, unsigned from);

/** The @p nth request of @p type from index @p from on, or NULL. */
const struct rp_msg *fdp_find(const struct fake_dp *d, uint16_t type, unsigned from,
			      unsigned nth);

#endif
