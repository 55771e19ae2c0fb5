/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Drop-reason names and the intel-ipsec-mb burst plumbing shared by both directions. */
#include "dataplane/esp/esp_priv.h"

#include <assert.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifdef ESP_TEST_HOOKS
struct esp_test_hooks esp_test_hooks;
#endif

static const char *const drop_names[] = {
#define X(e, name, help) [ESP_DROP_##e] = name,
	ESP_DROP_REASONS(X)
#undef X
};

static const char *const drop_helps[] = {
#define X(e, name, help) [ESP_DROP_##e] = help,
	ESP_DROP_REASONS(X)
#undef X
};

const char *esp_drop_name(unsigned int reason)
{
	return reason < ARRAY_SIZE(drop_names) ? drop_names[reason] : "?";
}

const char *esp_drop_help(unsigned int reason)
{
	return reason < ARRAY_SIZE(drop_helps) ? drop_helps[reason] : "?";
}

static_assert(ESP_BURST_MAX <= IMB_MAX_BURST_SIZE, "a slice fits one intel-ipsec-mb burst");

unsigned int esp_get_jobs(IMB_MGR *mgr, IMB_JOB **jobs, unsigned int n)
{
	unsigned int got;

	if (!n)
		return 0;
	got = IMB_GET_NEXT_BURST(mgr, n, jobs);

	if (got < n) {
		/* Someone left jobs in flight on this manager: complete and forget them. */
		IMB_JOB *tmp[IMB_MAX_JOBS];

		while (IMB_FLUSH_BURST(mgr, IMB_MAX_JOBS, tmp))
			;
		got = IMB_GET_NEXT_BURST(mgr, n, jobs);
	}
	return got;
}

void esp_job_order(const uint16_t *len, unsigned int n, uint8_t *ord)
{
	/* insertion sort: n <= ESP_BURST_MAX, and a burst has few distinct lengths */
	for (unsigned int i = 0; i < n; i++) {
		unsigned int j = i;

		for (; j && len[ord[j - 1]] < len[i]; j--)
			ord[j] = ord[j - 1];
		ord[j] = (uint8_t)i;
	}
}

static unsigned int collect(IMB_JOB **jobs, unsigned int c, uint8_t *done)
{
	unsigned int failed = 0;

	for (unsigned int k = 0; k < c; k++) {
		bool ok = jobs[k]->status == IMB_STATUS_COMPLETED;

		done[(uintptr_t)jobs[k]->user_data] = ok;
		failed += !ok;
	}
	return failed;
}

unsigned int esp_run_jobs(IMB_MGR *mgr, IMB_JOB **jobs, unsigned int n, uint8_t *done)
{
	unsigned int total, failed, c;

	if (!n)
		return 0;
	/* Unchecked: the checked variant validates every field of every job again, which
	 * cost about a tenth of a 64-byte packet's time (in intel-ipsec-mb 1.3 it memcpy()s
	 * tables of valid values onto the stack as it goes). Every job is valid by
	 * construction: its algorithm, key and length fields come from the SA, which
	 * esp_sa_init() accepted only after intel-ipsec-mb's checked path took a job of the
	 * same layout (esp_sa_probe()), and the per-packet lengths are checked before a job
	 * is built (a CBC payload is a whole number of blocks, everything fits the mbuf).
	 * Should one still fail, its status says so and it is reported as CRYPTO_ERROR. */
	total = IMB_SUBMIT_BURST_NOCHECK(mgr, n, jobs);
	if (total == 0 && imb_get_errno(mgr) != 0)
		return n;
	failed = collect(jobs, total, done);
	/* Multi-buffer lanes may hold some jobs back: force them out. */
	while (total < n) {
		c = IMB_FLUSH_BURST(mgr, n - total, jobs);
		if (!c)
			break;
		failed += collect(jobs, c, done);
		total += c;
	}
	return failed + (n - total);
}
