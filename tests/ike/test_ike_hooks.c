/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The session hooks of the responder (ike_resp_set_session_hooks(), what accounting hangs
 * on): up() once when IKE_AUTH establishes a session, down() once when it ends, with the
 * cause and while its CHILD_SAs are still in the dataplane (their counters can be asked
 * for); the cause of each way a session ends: the peer's Delete, an operator clear, dead
 * peer detection, a session timeout (RADIUS CoA); an IKE SA rekey is no new session;
 * nothing when the responder is destroyed.
 * Two peers in one process with a fake dataplane (psk_fx.h, shared with test_ike_dpd.c).
 * Time is the tick argument, never the clock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/msg.h"
#include "controlplane/ike/ike_dpd.h"
#include "controlplane/ike/ike_sa.h"
#include "controlplane/ike/keyring.h"
#include "controlplane/pool/pool.h"
#include "psk_fx.h" /* the responder, its fake dataplane and pool, the sessions */

/* ---- the hooks ---------------------------------------------------------------------------- */

static struct hooks_seen {
	unsigned up, down;
	struct ike_sa_info up_info, down_info;
	enum ike_end_cause cause;
	unsigned sa_del_at_down;       /* SA_DELs the fake dataplane had seen at down() */
	struct fake_dp *dp;
} seen;

static void on_up(void *arg, const struct ike_sa_info *i)
{
	(void)arg;
	seen.up++;
	seen.up_info = *i;
}

static void on_down(void *arg, const struct ike_sa_info *i, enum ike_end_cause cause)
{
	(void)arg;
	seen.down++;
	seen.down_info = *i;
	seen.cause = cause;
	seen.sa_del_at_down = fdp_count(seen.dp, RP_MSG_SA_DEL, 0);
}

static struct fx *hooked(const struct ike_resp_cfg *cfg)
{
	struct fx *f = fx_new(cfg);
	struct ike_session_hooks h = { .up = on_up, .down = on_down };

	memset(&seen, 0, sizeof(seen));
	seen.dp = &f->dp;
	ike_resp_set_session_hooks(f->r, &h);
	return f;
}

static void check_up(void)
{
	assert_int_equal(seen.up, 1);
	assert_int_equal(seen.down, 0);
	assert_int_equal(seen.up_info.state, IKE_SA_ESTABLISHED);
	assert_true(seen.up_info.id > 0);
	assert_string_equal(seen.up_info.peer_id, CLIENT);
	assert_true(seen.up_info.has_addr4);
	assert_int_equal(seen.up_info.addr4[0], 10);
	assert_int_equal(seen.up_info.n_sa_ids, 2);
}

/* down() sees the session as it was: its id, address and both ESP SAs, none deleted yet */
static void check_down(enum ike_end_cause cause)
{
	assert_int_equal(seen.down, 1);
	assert_int_equal(seen.cause, cause);
	assert_int_equal(seen.down_info.id, seen.up_info.id);
	assert_int_equal(seen.down_info.n_sa_ids, 2);
	assert_int_equal(seen.down_info.sa_ids[0], seen.up_info.sa_ids[0]);
	assert_int_equal(seen.sa_del_at_down, 0);
}

static void test_peer_delete(void **state)
{
	struct fx *f = hooked(NULL);
	struct ini in;

	(void)state;
	establish(f, &in, 1, &peer);
	check_up();
	f->req_len = ini_build_info(&in, IKE_PROTO_IKE, 0, f->req, sizeof(f->req));
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	check_down(IKE_END_USER_REQUEST);
	ini_free(&in);
	fx_free(f);
}

static void test_clear(void **state)
{
	struct fx *f = hooked(NULL);
	struct ike_sa *sa;
	struct ini in;
	uint8_t ans[512];
	size_t alen;

	(void)state;
	sa = establish(f, &in, 2, &peer);
	assert_int_equal(ike_resp_clear(f->r, sa, "test"), 0);
	check_down(IKE_END_ADMIN_RESET); /* at once, not when the peer answers */
	assert_true(fdp_count(&f->dp, RP_MSG_SA_DEL, 0) >= 2);
	assert_int_equal(open_request(&in, f->w.buf, f->w.len, &f->m), 0);
	alen = build_answer(&in, f->m.hdr.msg_id, ans, sizeof(ans));
	ike_resp_input(f->r, ans, alen, &peer, &local);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	assert_int_equal(seen.down, 1); /* once */
	ini_free(&in);
	fx_free(f);
}

static void test_dpd(void **state)
{
	struct ike_resp_cfg cfg = fx_resp_cfg();
	struct fx *f;
	struct ini in;
	uint64_t t0;

	(void)state;
	cfg.dpd_mode = IKE_DPD_PERIODIC;
	cfg.dpd_interval = 10;
	cfg.dpd_retry = 2;
	cfg.dpd_retries = 3;
	f = hooked(&cfg);
	t0 = f->now;
	establish(f, &in, 3, &peer);
	for (uint64_t t = t0 + 1000; t <= t0 + 20000; t += 1000)
		tick_to(f, t);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	check_down(IKE_END_LOST_CARRIER);
	ini_free(&in);
	fx_free(f);
}

static void test_session_timeout(void **state)
{
	struct fx *f = hooked(NULL);
	struct ike_sa *sa;
	struct ini in;

	(void)state;
	sa = establish(f, &in, 4, &peer);
	assert_int_equal(ike_sa_set_session_timeout(f->r, sa, 0), -EINVAL);
	assert_int_equal(ike_sa_set_session_timeout(f->r, sa, 5), 0);
	tick_to(f, f->now + 4000);
	assert_int_equal(seen.down, 0);
	tick_to(f, f->now + 1000);
	check_down(IKE_END_SESSION_TIMEOUT);
	ini_free(&in);
	fx_free(f);
}

/* An IKE SA rekey by the peer is the same session: no up(), no down() when the old SA goes;
 * the new SA's Delete ends it, with the session's id and CHILD_SAs. */
static void test_rekey(void **state)
{
	struct fx *f = hooked(NULL);
	struct ini_cc cc = { .ike = true, .new_spi_i = 0x1122334455667788ull,
			     .ke_group = IKE_DH_CURVE25519 };
	struct ini in, nin;

	(void)state;
	establish(f, &in, 6, &peer);
	check_up();
	f->req_len = ini_build_create(&in, &cc, f->req, sizeof(f->req));
	assert_true(f->req_len > 0);
	f->w.n = 0;
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
	fdp_complete(&f->dp, 0);
	assert_int_equal(f->w.n, 1);
	assert_int_equal(ini_process_create(&in, &cc, f->w.buf, f->w.len, &f->m, &nin), 0);
	assert_non_null(ike_resp_find(f->r, cc.new_spi_i, cc.new_spi_r));
	assert_int_equal(seen.up, 1);
	assert_int_equal(seen.down, 0);
	f->req_len = ini_build_info(&in, IKE_PROTO_IKE, 0, f->req, sizeof(f->req));
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
	assert_null(ike_resp_find(f->r, in.spi_i, in.spi_r));
	assert_int_equal(seen.down, 0);
	f->req_len = ini_build_info(&nin, IKE_PROTO_IKE, 0, f->req, sizeof(f->req));
	ike_resp_input(f->r, f->req, f->req_len, &peer, &local);
	assert_null(ike_resp_find(f->r, cc.new_spi_i, cc.new_spi_r));
	check_down(IKE_END_USER_REQUEST);
	assert_int_equal(seen.up, 1);
	ini_cc_free(&cc);
	ini_free(&nin);
	ini_free(&in);
	fx_free(f);
}

static void test_destroy(void **state)
{
	struct fx *f = hooked(NULL);
	struct ini in;

	(void)state;
	establish(f, &in, 5, &peer);
	check_up();
	fx_free(f); /* rampartd stops: the sessions stay in the dataplane, no Stop */
	assert_int_equal(seen.down, 0);
	ini_free(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_delete),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_dpd),
		cmocka_unit_test(test_session_timeout),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_destroy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
