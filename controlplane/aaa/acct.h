/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file acct.h
 * RADIUS accounting (RFC 2866, 2869 §5.3 Event-Timestamp): Start when a session is up,
 * Interim-Update every list's interval, Stop with the session's traffic and why it ended.
 *
 * Sessions are known by a number that never changes while they live (the IKE session id:
 * it survives rekeys); Acct-Session-Id is that number with a stamp of this process's start
 * (acct_session_id()), so ids are stable per session and not reused by a restart. A session
 * is recorded by acct_start() with what accounting says about it (User-Name,
 * Framed-IP-Address, Calling-Station-Id, NAS-IP-Address); later records repeat those.
 *
 * Records are never lost while the server is briefly down: each waits in one bounded FIFO
 * queue until an Accounting-Response verifies. A record goes to the groups of its method
 * list in order (the RADIUS client fails over between a group's servers); when none
 * answers it waits retry_min_ms, doubling up to retry_max_ms, and is sent again as a new
 * request with Acct-Delay-Time updated (RFC 2866 §5.2). A full queue first drops its oldest
 * Interim-Update; if there is none the new record is refused; either way it is counted and
 * logged. At most max_inflight records are in flight at once.
 *
 * Counters come from whoever owns the sessions: acct_stop() and acct_interim() are given
 * them; for an Interim-Update that is due, the counter source (acct_set_counter_source())
 * is asked and answers with acct_interim() (now or later; an unknown id is ignored).
 *
 * Ownership: the RADIUS clients given to acct_add_list() are borrowed and must outlive the
 * module. acct_free() drops what is still queued (counted in the log). Single-threaded, on
 * the caller's libevent loop.
 */
#ifndef RAMPART_AAA_ACCT_H
#define RAMPART_AAA_ACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct radius_client;

/** Acct-Status-Type (RFC 2866 §5.1). */
enum acct_status { ACCT_START = 1, ACCT_STOP = 2, ACCT_INTERIM = 3 };

/** Acct-Terminate-Cause (RFC 2866 §5.10), the ones a VPN headend gives. */
#define ACCT_CAUSES(X)                         \
	X(1, USER_REQUEST, "User-Request")     \
	X(2, LOST_CARRIER, "Lost-Carrier")     \
	X(4, IDLE_TIMEOUT, "Idle-Timeout")     \
	X(5, SESSION_TIMEOUT, "Session-Timeout") \
	X(6, ADMIN_RESET, "Admin-Reset")       \
	X(7, ADMIN_REBOOT, "Admin-Reboot")     \
	X(9, NAS_ERROR, "NAS-Error")           \
	X(10, NAS_REQUEST, "NAS-Request")      \
	X(11, NAS_REBOOT, "NAS-Reboot")

enum acct_cause {
#define X(n, id, s) ACCT_TC_##id = n,
	ACCT_CAUSES(X)
#undef X
};

const char *acct_cause_name(uint32_t cause);

#define ACCT_USER_MAX 253u
#define ACCT_QUEUE_DEFAULT 1024u
#define ACCT_QUEUE_MAX 65536u

/** What accounting says about a session (copied by acct_start()). */
struct acct_session {
	uint32_t id;                     /**< never 0 */
	char user[ACCT_USER_MAX + 1];    /**< User-Name ("" : none) */
	bool has_framed4;
	uint8_t framed4[4];              /**< Framed-IP-Address */
	bool has_framed6;
	uint8_t framed6[16];             /**< Framed-IPv6-Address */
	char calling[64];                /**< Calling-Station-Id: the client's address */
	uint8_t nas_af;                  /**< 4 or 6: NAS-IP(v6)-Address, our address; 0: none */
	uint8_t nas_addr[16];
};

/** A session's traffic so far (from the dataplane: inbound = from the client). */
struct acct_counters {
	uint64_t in_octets, out_octets, in_packets, out_packets;
};

struct acct_cfg {
	unsigned queue_max;      /**< records waiting or in flight (0: ACCT_QUEUE_DEFAULT) */
	unsigned max_inflight;   /**< records in flight at once (0: 64) */
	unsigned retry_min_ms;   /**< first wait after every group failed (0: 1000) */
	unsigned retry_max_ms;   /**< the wait doubles up to this (0: 60000) */
	uint32_t boot_id;        /**< stamp in Acct-Session-Id (0: the wall clock now) */
	/** Clocks (tests): monotonic and wall, in ms; NULL: CLOCK_MONOTONIC / CLOCK_REALTIME */
	uint64_t (*mono_ms)(void *arg);
	uint64_t (*wall_ms)(void *arg);
	void *clock_arg;
};

struct acct;

/** @return 0, -ENOMEM, -EINVAL. */
int acct_new(struct event_base *base, const struct acct_cfg *cfg, struct acct **out);
/** Drop everything (no callback runs afterwards). NULL is a no-op. */
void acct_free(struct acct *a);

#define ACCT_LISTS_MAX 32u
#define ACCT_LIST_GROUPS_MAX 8u

/**
 * A method list: @p n groups (RADIUS clients, borrowed; @p names for the logs) asked in
 * order; @p stop_only: no Start nor Interim-Update; @p interim_s: Interim-Update period
 * (0: none). @return 0, -EEXIST, -ENOSPC, -EINVAL.
 */
int acct_add_list(struct acct *a, const char *name, bool stop_only, unsigned interim_s,
		  struct radius_client *const *groups, const char *const *names, unsigned n);
/** True if @p name is a list (the first list when @p name is "" or NULL). */
bool acct_has_list(const struct acct *a, const char *name);

/**
 * How an Interim-Update asks for counters: @p want(arg, id) is called when one is due; the
 * owner answers with acct_interim() (or never, when the session is gone).
 */
void acct_set_counter_source(struct acct *a, void (*want)(void *arg, uint32_t id), void *arg);

/**
 * Session @p s is up: remember it for list @p list ("" / NULL: the first) and send the
 * Start (unless stop-only). A second start of the same id is ignored (a rekey).
 * @return 0, -ENOENT (no such list; nothing recorded), -EEXIST, -ENOMEM.
 */
int acct_start(struct acct *a, const char *list, const struct acct_session *s);

/** Interim-Update of session @p id with its counters now. -ENOENT: unknown id. */
int acct_interim(struct acct *a, uint32_t id, const struct acct_counters *c);

/**
 * Session @p id ended (@p cause: enum acct_cause) with these totals: the Stop is queued
 * and the session forgotten. -ENOENT: unknown id (never started, or already stopped).
 */
int acct_stop(struct acct *a, uint32_t id, uint32_t cause, const struct acct_counters *c);

/** True if session @p id was started and not stopped. */
bool acct_known(const struct acct *a, uint32_t id);

/** Acct-Session-Id of session @p id ("5F5E1000-0000002A"); @p cap >= 18. */
void acct_session_id(const struct acct *a, uint32_t id, char *out, size_t cap);
/** The same for a boot stamp (for those matching ids without the module: DAE). */
void acct_session_id_fmt(uint32_t boot_id, uint32_t id, char *out, size_t cap);
uint32_t acct_boot_id(const struct acct *a);

struct acct_stats {
	uint64_t queued;          /**< records accepted */
	uint64_t sent;            /**< requests handed to the RADIUS client (retries count) */
	uint64_t answered;        /**< records an Accounting-Response acknowledged */
	uint64_t group_failures;  /**< a group did not answer a record */
	uint64_t retries;         /**< records sent again after every group failed */
	uint64_t overflow;        /**< records dropped or refused because the queue was full */
	unsigned waiting;         /**< records in the queue now (in flight included) */
	unsigned in_flight;
	unsigned sessions;        /**< started, not stopped */
};
void acct_get_stats(const struct acct *a, struct acct_stats *st);

#endif
