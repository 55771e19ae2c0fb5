/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Internals of the responder shared by ike_sa.c (dispatch, SAs, retransmission cache, the
 * task driver), ike_auth.c (IKE_AUTH), ike_child.c (CHILD_SA, config mode) and ike_info.c
 * (INFORMATIONAL). Not a public interface.
 */
#ifndef RAMPART_IKE_PRIV_H
#define RAMPART_IKE_PRIV_H

#include "controlplane/ike/ike_sa.h"
#include "controlplane/pool/pool.h"

#define IKE_NONCE_LEN 32
#define IKE_MSG_BUF 4096
#define IKE_ID_MAX 255
#define IKE_FRAG_MAX 16           /**< fragments of one request we reassemble (RFC 7383) */

/* ---- tasks ---------------------------------------------------------------------------------
 * One exchange = one task. process() reads the decrypted request, may start asynchronous
 * work (authentication, dataplane installation) and returns NEED_MORE until that work calls
 * ike_task_resume(); build() writes the response's inner chain; after the response has been
 * cached and sent, commit() applies the task's result to the SA (it may delete the SA);
 * destroy() frees the task, undoing whatever was not committed. A FAILED task gets no
 * response and leaves the SA as it was. */
enum ike_task_rc { IKE_TASK_NEED_MORE, IKE_TASK_DONE, IKE_TASK_FAILED };

struct ike_task;

struct ike_task_ops {
	const char *name;
	enum ike_task_rc (*process)(struct ike_task *t, const struct ike_msg *req);
	enum ike_task_rc (*build)(struct ike_task *t, struct ike_bld *b);
	void (*commit)(struct ike_task *t);
	void (*destroy)(struct ike_task *t);
};

struct ike_task {
	const struct ike_task_ops *ops;
	struct ike_resp *r;
	struct ike_sa *sa;
	uint32_t msg_id;
	uint8_t exchange;
	struct ike_addr peer, local;   /**< where the request came from / went to */
	uint8_t req_digest[32];        /**< for the retransmission cache */
};

/** The async work of @p t finished: drive the task on with @p rc. */
void ike_task_resume(struct ike_task *t, enum ike_task_rc rc);

struct ike_task *ike_auth_task_new(struct ike_resp *r, struct ike_sa *sa);
struct ike_task *ike_info_task_new(struct ike_resp *r, struct ike_sa *sa);
struct ike_task *ike_refuse_task_new(struct ike_resp *r, struct ike_sa *sa);

/* ---- CHILD_SA --------------------------------------------------------------------------- */

/** A CHILD_SA as installed: both directions and the routes to the client's addresses. */
struct ike_child {
	struct ike_suite esp;
	uint32_t spi_in, spi_out;      /**< host order; spi_in is ours, spi_out the peer's */
	uint32_t sa_id_in, sa_id_out;
	bool natt;
	unsigned n_routes;
	struct rp_prefix routes[2];
};

/** What a CFG_REQUEST asked for (§3.15). */
struct ike_cp_req {
	bool present, ip4, ip6, nm4, dns4, dns6, sub4, sub6;
};

/** The CHILD_SA part of an IKE_AUTH request, copied out of it. */
struct ike_child_req {
	bool present;                  /**< SA, TSi and TSr all there */
	struct ike_sa_pl sa;
	struct ike_ts_pl tsi, tsr;
	struct ike_cp_req cp;
};

/** A CHILD_SA being created (nothing of it is in the IKE SA yet). */
struct ike_child_new {
	uint16_t err;                  /**< notify to send instead of the CHILD_SA, 0 if none */
	struct ike_child c;
	uint8_t prop_num;
	struct pool_lease lease4, lease6;
	struct ike_ts_pl tsi, tsr;     /**< narrowed (§2.9) */
	struct rp_msg_sa in, out;      /**< SA_ADD payloads */
	struct ike_cp_pl cp;           /**< CFG_REPLY; values point into cpbuf */
	uint8_t cpbuf[512];
};

/** Copy the CHILD_SA payloads and the CFG_REQUEST of @p m. */
void ike_child_req_parse(const struct ike_msg *m, struct ike_child_req *out);

/**
 * Select the ESP proposal, take the addresses, narrow the selectors and derive the keys.
 * @return 0, or the error notify (also in n->err); on error nothing is held.
 */
uint16_t ike_child_prepare(struct ike_resp *r, const struct ike_sa *sa,
			   const struct ike_child_req *req, const struct ike_addr *peer,
			   const struct ike_addr *local, struct ike_child_new *n);

/** Give back what @p n holds (leases) and wipe its keys. Idempotent. */
void ike_child_release(struct ike_resp *r, struct ike_child_new *n);

/** Append CP(CFG_REPLY), SA, TSi, TSr for @p n. */
bool ike_child_build(const struct ike_child_new *n, struct ike_bld *b);

/** Remove @p c from the dataplane (SA_DEL both, ROUTE_DEL each; fire and forget). */
void ike_child_uninstall(struct ike_resp *r, const struct ike_child *c);

/* ---- SAs -------------------------------------------------------------------------------- */

struct ike_frag {
	uint32_t msg_id;
	uint16_t total;
	uint16_t have;                 /**< fragments received */
	uint8_t first;                 /**< inner first payload type (from fragment 1) */
	size_t len[IKE_FRAG_MAX];
	uint8_t *plain[IKE_FRAG_MAX];
};

struct ike_sa {
	struct ike_sa *next;
	enum ike_sa_state state;
	uint64_t spi_i, spi_r;
	struct ike_addr peer, local;
	struct ike_alg alg;
	struct ike_keys keys;
	uint8_t ni[256], nr[IKE_NONCE_LEN];
	size_t ni_len;
	bool peer_nat, local_nat;     /**< §2.23: the peer / we are behind a NAT */
	bool natd_seen;                /**< the peer sent NAT detection notifies */
	/* §2.15 needs the IKE_SA_INIT messages for AUTH */
	uint8_t *init_req, *init_resp;
	size_t init_req_len, init_resp_len;
	/* retransmission: the last request's digest and our answer (§2.1) */
	uint32_t last_msg_id;
	uint8_t last_req_digest[32];
	uint8_t *last_resp;
	size_t last_resp_len;
	uint32_t next_msg_id;          /**< the request we expect next */
	uint64_t created_ms;           /**< ike_resp_tick() time when IKE_SA_INIT was answered */
	struct ike_task *task;         /**< the exchange in progress (window size 1) */
	struct ike_frag *frag;         /**< a fragmented request being reassembled */
	/* once authenticated */
	uint8_t peer_id_type;
	uint8_t peer_id[IKE_ID_MAX];
	size_t peer_id_len;
	bool has_child;
	struct ike_child child;
	struct pool_lease lease4, lease6;
};

struct ike_resp {
	struct ike_resp_cfg cfg;
	struct ike_rng rng;
	ike_send_fn send;
	void *send_arg;
	struct ike_sa *sas;
	struct ike_resp_stats st;
	uint8_t cookie_secret[32];
	uint8_t cookie_version;
	struct ike_authenticator auth;
	bool has_auth;
	struct ike_dp_ops dp;
	bool has_dp;
	struct pool *pool4, *pool6;
	uint32_t next_sa_id;
	uint64_t now_ms;               /**< last ike_resp_tick() */
};

/** The one place an SA changes state. */
void ike_sa_set_state(struct ike_resp *r, struct ike_sa *sa, enum ike_sa_state to);

/**
 * Delete @p sa: cancel its task, remove its CHILD_SA from the dataplane if @p uninstall,
 * return its leases, unlink and free it.
 */
void ike_sa_delete(struct ike_resp *r, struct ike_sa *sa, bool uninstall);

/** Our identity as it goes into IDr (the configured one, or our IP address). */
void ike_local_id(const struct ike_resp *r, const struct ike_addr *local, uint8_t *type,
		  const uint8_t **id, size_t *len, uint8_t buf[16]);

/** A fresh dataplane handle (never 0). */
uint32_t ike_new_sa_id(struct ike_resp *r);

/** True if @p spi is an inbound SPI of one of our CHILD_SAs. */
bool ike_spi_in_use(const struct ike_resp *r, uint32_t spi);

/** Delete every other SA of the peer identity of @p keep (INITIAL_CONTACT, §3.10.1). */
void ike_delete_same_identity(struct ike_resp *r, struct ike_sa *keep);

/**
 * Tests only: an SA in state INIT_DONE made from a captured IKE_SA_INIT exchange and the
 * keys the real responder logged (tests/ike/sswan_capture.h), so that the captured IKE_AUTH
 * request can go through our responder. NULL if the messages do not fit.
 */
struct ike_sa *ike_sa_inject(struct ike_resp *r, const struct ike_suite *s,
			     const struct ike_keys *k, const uint8_t *init_req, size_t req_len,
			     const uint8_t *init_resp, size_t resp_len,
			     const struct ike_addr *peer, const struct ike_addr *local);

#endif
