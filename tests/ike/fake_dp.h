/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * A fake dataplane for the IKE tests (struct ike_dp_ops): records every request, checks it as
 * dpif_send() would (a request rp_msg_validate() refuses is a test failure), and answers
 * when the test says so. STATS_REQ is answered with 10 packets / 1000 bytes, or what the
 * test's packets() says; SA_DUMP with one SA_INFO per SA added and not deleted.
 */
#ifndef RAMPART_TESTS_IKE_FAKE_DP_H
#define RAMPART_TESTS_IKE_FAKE_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/msg.h"
#include "controlplane/dpif/dpif.h"

#define FDP_MAX 2048

struct fake_dp {
	unsigned n;
	struct {
		struct rp_msg msg;
		dpif_cb cb;
		void *arg;
		bool done;
	} q[FDP_MAX];
	int refuse;         /**< send() fails with this */
	uint16_t refuse_type; /**< ...and requests of this type with -ENOBUFS (0: none) */
	unsigned cancelled; /**< requests dropped by cancel() */
	unsigned answers;   /**< messages answered (SA_INFO, DUMP_END) */
	/** The packet counter of SA @p sa_id (NULL: 10). */
	uint64_t (*packets)(void *arg, uint32_t sa_id, uint8_t dir);
	void *packets_arg;
};

/** The ike_dp_ops send() and cancel() (ctx: the struct fake_dp). */
int fdp_send(void *ctx, uint16_t type, const void *payload, size_t len, dpif_cb cb, void *arg);
unsigned fdp_cancel(void *ctx, void *arg);

/** Answer everything outstanding with @p status (callbacks may send more). @return count. */
unsigned fdp_complete(struct fake_dp *d, int status);

/** Forget the requests that are done, but SA_ADD and SA_DEL (for long runs: indices
 *  change). */
void fdp_compact(struct fake_dp *d);

/** Requests of @p type from index @p from on. */
unsigned fdp_count(const struct fake_dp *d, uint16_t type, unsigned from);

/** The @p nth request of @p type from index @p from on, or NULL. */
const struct rp_msg *fdp_find(const struct fake_dp *d, uint16_t type, unsigned from,
			      unsigned nth);

#endif
