/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The Diffie-Hellman of CREATE_CHILD_SA on the responder's worker pool (r->wp): our key
 * pair from a private value drawn on the loop, and g^ir. See ike_priv.h. */
#include <errno.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "controlplane/ike/ike_priv.h"
#include "controlplane/util/workpool.h"

struct ike_dhjob *ike_dhjob_new(uint16_t group)
{
	struct ike_dhjob *j = calloc(1, sizeof(*j));

	if (j)
		j->group = group;
	return j;
}

void ike_dhjob_free(struct ike_dhjob *j)
{
	if (!j)
		return;
	ike_dh_free(j->dh);
	OPENSSL_cleanse(j, sizeof(*j));
	free(j);
}

/* The worker's part (or the loop's, without a pool): touches nothing but @p arg. */
static void dhjob_work(void *arg)
{
	struct ike_dhjob *j = arg;

	j->rc = 0;
	if (!j->dh)
		j->rc = ike_dh_new_priv(j->group, j->priv, j->priv_len, &j->dh);
	OPENSSL_cleanse(j->priv, sizeof(j->priv));
	j->priv_len = 0;
	if (!j->rc && j->peer_len)
		j->rc = ike_dh_derive(j->dh, j->peer, j->peer_len, j->gir, &j->gir_len);
}

/* On the loop: the worker is done (or the job was cancelled, or the pool went first). */
static void dhjob_done(void *arg, bool ok)
{
	struct ike_dhjob *j = arg;

	j->pending = false;
	if (!j->owner) { /* cancelled: nobody reads it */
		ike_dhjob_free(j);
		return;
	}
	if (!ok)
		j->rc = -ECANCELED;
	j->done(j);
}

int ike_dhjob_run(struct ike_resp *r, struct ike_dhjob *j)
{
	int rc;

	if (!r->wp) {
		dhjob_work(j);
		return 1;
	}
	rc = wp_submit(r->wp, dhjob_work, dhjob_done, j);
	if (rc) {
		r->st.crypto_busy++;
		return rc;
	}
	j->pending = true;
	return 0;
}

void ike_dhjob_drop(struct ike_resp *r, struct ike_dhjob *j)
{
	if (!j)
		return;
	if (!j->pending) {
		ike_dhjob_free(j);
		return;
	}
	j->owner = NULL;
	wp_cancel(r->wp, j); /* dhjob_done() frees it */
}
