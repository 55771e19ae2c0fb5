/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Internals of the responder shared by ike_sa.c (dispatch, SAs, retransmission cache, the
 * task driver), ike_auth.c (IKE_AUTH), ike_child.c (CHILD_SA, config mode), ike_info.c
 * (INFORMATIONAL), ike_create.c (CREATE_CHILD_SA), ike_rekey.c (rekeys we start) and
 * ike_req.c (requests we send). Not a public interface.
 */
#ifndef RAMPART_IKE_PRIV_H
#define RAMPART_IKE_PRIV_H

#include "controlplane/ike/ike_authz.h"
#include "controlplane/ike/ike_cfg.h"
#include "controlplane/ike/ike_dpd.h"
#include "controlplane/ike/ike_eap.h"
#include "controlplane/ike/ike_sa.h"
#include "controlplane/pool/pool.h"

#define IKE_NONCE_LEN 32
#define IKE_MSG_BUF 4096          /**< IKE_SA_INIT responses, the inner chain of our requests */
#define IKE_ID_MAX 255
#define IKE_FRAG_MAX 16           /**< fragments of one message we reassemble (RFC 7383) */
/** An encrypted message we build (inner chain, e.g. IKE_AUTH with a certificate chain) is at
 * most this long; the build buffer is transient, what is cached is sized to the message. */
#define IKE_MSG_OUT_MAX 65535u

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
/** CREATE_CHILD_SA (ike_create.c): new CHILD_SA, CHILD_SA rekey, IKE SA rekey. */
struct ike_task *ike_create_task_new(struct ike_resp *r, struct ike_sa *sa);

/* ---- CHILD_SA --------------------------------------------------------------------------- */

/** A rekeyed IKE SA the peer does not delete goes after this long (§2.18). */
#define IKE_REKEYED_TIMEOUT_MS 60000u

/** CHILD_SAs one IKE SA may hold (a rekeyed one counts until the peer deletes it). */
#define IKE_CHILD_MAX 8

/** A CHILD_SA as installed: both directions and the routes to the client's addresses. */
struct ike_child {
	struct ike_suite esp;
	uint32_t spi_in, spi_out;      /**< host order; spi_in is ours, spi_out the peer's */
	uint32_t sa_id_in, sa_id_out;
	bool natt;
	bool rekeyed;                  /**< replaced (§2.8): its routes moved to the new one */
	bool rekeying;                 /**< a rekey of it that we started is in flight */
	bool deleting;                 /**< our Delete of it is in flight (§1.4.1) */
	uint64_t created_ms;
	uint64_t rekey_ms;             /**< when we rekey it ourselves (0: at child_lifetime) */
	/** §2.8.1: the peer rekeyed it while our rekey was in flight: the lower nonce of the
	 * peer's exchange (first 32 bytes), to find the redundant new CHILD_SA */
	uint8_t coll_nonce[32];
	uint8_t coll_len;
	unsigned n_routes;
	struct rp_prefix routes[2];
	struct rp_msg_sa out_rec;      /**< the outbound SA as installed (keys included: wiped
	                                    with the SA), for SA_UPDATE when the peer moves */
};

/** The CHILD_SA part of an IKE_AUTH request, copied out of it. */
struct ike_child_req {
	bool present;                  /**< SA, TSi and TSr all there */
	struct ike_sa_pl sa;
	struct ike_ts_pl tsi, tsr;
	struct ike_cfg_req cp;         /**< its CP payload (ike_cfg.h) */
};

/** A CHILD_SA being created (nothing of it is in the IKE SA yet). */
struct ike_child_new {
	uint16_t err;                  /**< notify to send instead of the CHILD_SA, 0 if none */
	struct ike_child c;
	uint8_t prop_num;
	struct pool_lease lease4, lease6;
	struct ike_ts_pl tsi, tsr;     /**< narrowed (§2.9) */
	struct rp_msg_sa in, out;      /**< SA_ADD payloads */
	struct ike_cfg_out cp;         /**< CFG_REPLY (ike_cfg.h) */
	/* CREATE_CHILD_SA */
	uint16_t want_group;           /**< INVALID_KE_PAYLOAD: the group we ask for */
	struct ike_dh *dh;             /**< our PFS key pair (KEr), NULL without PFS */
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

/**
 * The same for CREATE_CHILD_SA (§1.3.1), in two steps around the Diffie-Hellman (which
 * the caller runs, ike_dhjob_run()): this one selects the proposal, checks the KE, narrows
 * the selectors and takes the inbound SPI. A DH group in the chosen proposal (n->c.esp.dh,
 * else no PFS) requires @p ke of that group (else INVALID_KE_PAYLOAD, n->want_group); TSi
 * is narrowed to the addresses @p sa already holds (no config mode).
 * @return 0, or the error notify (also in n->err); on error nothing is held.
 */
uint16_t ike_child_prepare_create(struct ike_resp *r, const struct ike_sa *sa,
				  const struct ike_child_req *req, const struct ike_pl *ke,
				  struct ike_child_new *n);
/**
 * The second step: the keys from the exchange's nonces and g^ir (@p gir, NULL without PFS;
 * n->dh then holds our key pair for KEr) and the SA_ADD records.
 * @return 0, or the error notify (also in n->err); on error nothing is held.
 */
uint16_t ike_child_keys_create(struct ike_resp *r, const struct ike_sa *sa,
			       const uint8_t *gir, size_t gir_len, const uint8_t *ni,
			       size_t ni_len, const uint8_t *nr, size_t nr_len,
			       const struct ike_addr *peer, const struct ike_addr *local,
			       struct ike_child_new *n);

/** Append SA, Nr, [KEr], TSi, TSr: the CREATE_CHILD_SA response for @p n. */
bool ike_child_build_create(const struct ike_child_new *n, const uint8_t *nr, size_t nr_len,
			    struct ike_bld *b);

/** Give back what @p n holds (leases, DH key) and wipe its keys. Idempotent. */
void ike_child_release(struct ike_resp *r, struct ike_child_new *n);

/** Append CP(CFG_REPLY), SA, TSi, TSr for @p n. */
bool ike_child_build(const struct ike_child_new *n, struct ike_bld *b);

/** A fresh inbound SPI (>= 256, not used by any CHILD_SA). 0 or -errno. */
int ike_child_new_spi(struct ike_resp *r, uint32_t *spi);
/**
 * The SA_ADD record of one direction of @p c. @p we_init: we initiated the exchange that
 * made it, so KEYMAT's initiator keys (ck->ei/ai) are our outbound ones (§2.17).
 */
void ike_child_fill(const struct ike_resp *r, const struct ike_child *c, bool in, bool we_init,
		    const struct ike_child_keys *ck, const struct ike_addr *peer,
		    const struct ike_addr *local, struct rp_msg_sa *m);

/* ---- rekeys we start (ike_rekey.c) -------------------------------------------------------- */

/** @p sa or one of its CHILD_SAs due for a rekey by age or by a LIFETIME event: start it
 * (ike_resp_tick()'s walk). */
void ike_rekey_sa_tick(struct ike_resp *r, struct ike_sa *sa, uint64_t now_ms);
/**
 * Move what the session holds (CHILD_SAs, leases, identity, addresses, counters, liveness)
 * from IKE SA @p from to @p to; @p from keeps nothing to uninstall or release.
 */
/** Link a new IKE SA into r->sas (counted in r->st.sas, indexed by SPI at once). */
void ike_sa_link(struct ike_resp *r, struct ike_sa *sa);
void ike_sa_move_session(struct ike_resp *r, struct ike_sa *from, struct ike_sa *to);
/** The lower of two nonces (byte strings; a prefix is lower) and a comparison. */
int ike_nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl);
/** ike_resp_destroy(): cancel our rekeys whose SAs the dataplane has not acknowledged. */
void ike_rekey_destroy_all(struct ike_resp *r);
/** ike_create.c: the peer rekeys @p old while our rekey of it is in flight (§2.8.1). */
void ike_rekey_collision(struct ike_child *old, const uint8_t *ni, size_t ni_len,
			 const uint8_t *nr, size_t nr_len);

/** Remove @p c from the dataplane (SA_DEL both, ROUTE_DEL each; fire and forget). */
void ike_child_uninstall(struct ike_resp *r, const struct ike_child *c);

/** The CHILD_SA of @p sa whose outbound (peer's inbound) SPI is @p spi_out, or NULL. */
struct ike_child *ike_sa_child_by_out(struct ike_sa *sa, uint32_t spi_out);
/** The newest CHILD_SA that is not rekeyed (what "show sessions" describes), or NULL. */
const struct ike_child *ike_sa_child_current(const struct ike_sa *sa);
/** Append @p c (the SA takes over its dataplane entries; its inbound SPI joins r's index of
 * them, ike_spi_in_use()). -ENOSPC if IKE_CHILD_MAX. */
int ike_sa_child_add(struct ike_resp *r, struct ike_sa *sa, const struct ike_child *c);
/** Remove the CHILD_SA @p c of @p sa, from the dataplane too if @p uninstall. */
void ike_sa_child_remove(struct ike_resp *r, struct ike_sa *sa, struct ike_child *c,
			 bool uninstall);

/* ---- Diffie-Hellman on the workers (ike_dhjob.c) -------------------------------------------
 * The DH of CREATE_CHILD_SA (PFS, IKE SA rekeys: the peer's and ours) runs on r->wp, the
 * pool of IKE_SA_INIT's DH, so that the event loop never computes one. The owner fills the
 * inputs: the private value, drawn on the loop with ike_dh_draw_priv() (the RNG stays on
 * the loop thread, and deterministic tests stay deterministic), or a key pair already made
 * (dh); the peer's public value, if g^ir is wanted. The worker touches nothing else.
 *
 * ike_dhjob_run(): without a pool the work is done inline and it returns 1 (results in the
 * job, no callback); with one it returns 0 and done(j) follows on the loop thread (rc
 * -ECANCELED if the pool went first), the owner found through j->owner; or -errno
 * (-EAGAIN: the queue is full, counted as crypto_busy), nothing submitted.
 * The owner frees the job (ike_dhjob_free(), which wipes it) once it has its results,
 * taking j->dh (set it NULL) if it keeps the key pair; while the job is pending it calls
 * ike_dhjob_drop() instead (the owner goes away: done() is not called, the job is freed
 * when the pool lets go of it). */
struct ike_dhjob {
	/* in */
	uint16_t group;
	uint8_t priv[IKE_DH_PRIV_MAX];  /**< our private value, used if dh is NULL */
	size_t priv_len;
	struct ike_dh *dh;              /**< our key pair (made by the job if NULL); owned */
	uint8_t peer[IKE_DH_PUB_MAX];   /**< the peer's public value (peer_len 0: none) */
	size_t peer_len;
	/* out */
	int rc;
	uint8_t gir[IKE_DH_SECRET_MAX];
	size_t gir_len;
	/* the owner's */
	void (*done)(struct ike_dhjob *j);
	void *owner;                    /**< NULL once dropped */
	bool pending;                   /**< on the pool */
};

/** A zeroed job for @p group, or NULL. */
struct ike_dhjob *ike_dhjob_new(uint16_t group);
/** See above: 1 done inline, 0 pending (done() follows), -errno. */
int ike_dhjob_run(struct ike_resp *r, struct ike_dhjob *j);
/** Free @p j, or if it is pending, cancel it (no done()). NULL is a no-op. */
void ike_dhjob_drop(struct ike_resp *r, struct ike_dhjob *j);
/** Wipe and free a job that is not pending (its key pair too). NULL is a no-op. */
void ike_dhjob_free(struct ike_dhjob *j);

/* ---- SAs -------------------------------------------------------------------------------- */

struct ike_frag {
	uint32_t msg_id;
	uint16_t total;
	uint16_t have;                 /**< fragments received */
	uint8_t first;                 /**< inner first payload type (from fragment 1) */
	size_t len[IKE_FRAG_MAX];
	uint8_t *plain[IKE_FRAG_MAX];
};

/** A link of an SA in one of ike_sa.c's chained indexes. */
struct ike_sa_link {
	struct ike_sa *next;
	struct ike_sa **pprev;         /**< the pointer to this SA there; NULL: not in it */
};

/** One of ike_sa.c's chained indexes of SAs: a keyed hash (the keys are peers' choices or
 * come from AAA), buckets a power of 2, grown to one per SA, chains doubly linked so that
 * leaving costs no walk. Without memory to grow, chains get longer; without memory for the
 * first buckets (lost), lookups walk every SA. */
struct ike_sa_chains {
	struct ike_sa **b;
	unsigned size, n;              /**< buckets, SAs in it */
	bool lost;
};

struct ike_sa {
	struct ike_sa *next;
	struct ike_sa **pprev;         /**< the pointer to this SA in r->sas' list; NULL: unlinked */
	struct ike_sa_link spi_link;   /**< ike_sa.c's index by SPIi */
	enum ike_sa_state state;
	uint64_t spi_i, spi_r;
	struct ike_addr peer, local;
	struct ike_alg alg;
	struct ike_keys keys;
	uint8_t ni[256], nr[IKE_NONCE_LEN];
	size_t ni_len;
	bool peer_nat, local_nat;     /**< §2.23: the peer / we are behind a NAT */
	bool natd_seen;                /**< the peer sent NAT detection notifies */
	uint16_t sig_hashes;           /**< RFC 7427 hashes the peer announced (bit per id) */
	/* §2.15 needs the IKE_SA_INIT messages for AUTH */
	uint8_t *init_req, *init_resp;
	size_t init_req_len, init_resp_len;
	/* retransmission: the last request's digest and our answer (§2.1) */
	uint32_t last_msg_id;
	uint8_t last_req_digest[32];
	uint8_t *last_resp;
	size_t last_resp_len;
	uint16_t *last_resp_flen;      /**< RFC 7383: last_resp is these fragments back to back
	                                    (NULL: one datagram) */
	unsigned last_resp_nfrag;
	bool peer_frag;                /**< the peer sent FRAGMENTATION_SUPPORTED (RFC 7383) */
	uint8_t peer_vendor;           /**< IKE_VID_* of its Vendor IDs so far (ike_cfg.h) */
	uint32_t next_msg_id;          /**< the request we expect next */
	uint64_t created_ms;           /**< ike_resp_tick() time when IKE_SA_INIT was answered */
	struct ike_task *task;         /**< the exchange in progress (window size 1) */
	struct ike_init_job *init_job; /**< INIT_WAIT: IKE_SA_INIT's DH on a worker (ike_sa.c) */
	struct ike_frag *frag;         /**< a fragmented request being reassembled */
	struct ike_frag *resp_frag;    /**< a fragmented response to our request (ike_req.c) */
	/* once authenticated */
	uint8_t peer_id_type;
	uint8_t peer_id[IKE_ID_MAX];
	size_t peer_id_len;
	struct ike_sa_link pid_link;   /**< ike_sa.c's index by peer identity */
	struct ike_sa_link addr_link[2]; /**< ike_sa.c's index of held addresses: lease4, lease6 */
	/** The policy decision of IKE_AUTH (ike_auth_result), NULL without an ikev2 profile;
	 * set once authenticated, before the CHILD_SA and config mode are prepared */
	const struct pol_profile *profile;
	const struct pol_authz *authz;
	const char *group;
	const struct ike_policy *ike_policy; /**< IKE_SA_INIT's IKEv2 policy; NULL: default */
	/* AAA authorization (ike_authz.h): authz then points into authz_own, which the SA owns;
	 * the Framed-IP-Address is the client's IPv4 address instead of a pool lease */
	void (*authz_release)(void *owned);
	void *authz_own;
	bool has_framed4;
	uint8_t framed4[4];
	bool has_framed6;              /* Framed-IPv6-Address / ipsec:addrv6: instead of a lease */
	uint8_t framed6[16], framed6_plen;
	/* what the profile decides (ike_policy.c); 0 / false: the ike section's settings */
	unsigned pol_lifetime_s;       /**< IKE SA lifetime (we rekey after it) */
	bool pol_dpd;                  /**< the profile sets DPD: the next three apply */
	uint8_t pol_dpd_mode;          /**< IKE_DPD_* */
	unsigned pol_dpd_interval, pol_dpd_retry;
	unsigned pol_nat_keepalive_s;  /**< s between NAT keepalives (RFC 3948) */
	uint64_t nat_ka_ms;            /**< our last NAT keepalive to the peer */
	uint64_t session_end_ms;       /**< the authorization policy's session-lifetime ends the
	                                    session then (ike_policy_sa_tick()); 0: never */
	unsigned n_child;
	struct ike_child child[IKE_CHILD_MAX]; /**< oldest first */
	struct pool_lease lease4, lease6;
	/* requests we send (ike_req.h) */
	struct ike_req *req;           /**< outstanding first, then queued */
	uint32_t req_msg_id;           /**< message ID of our next request */
	bool initiator;                /**< we are the original initiator (we rekeyed it) */
	uint64_t established_ms;       /**< when it became ESTABLISHED (or was rekeyed) */
	uint64_t rekeyed_ms;           /**< when it became REKEYED */
	uint64_t succ_spi_i, succ_spi_r; /**< REKEYED: the IKE SA the peer rekeyed it into */
	bool ike_rekeying;             /**< our rekey of this IKE SA is in flight */
	uint64_t ike_rekey_ms;         /**< when we rekey it (0: established_ms + lifetime) */
	uint16_t ike_rekey_group;      /**< DH group for it if the peer asked for another one */
	uint8_t ike_coll_nonce[32];    /**< §2.8.2: lower nonce of the peer's colliding rekey */
	uint8_t ike_coll_len;
	/* traffic of CHILD_SAs already deleted (struct ike_sa_info) */
	uint64_t gone_in_packets, gone_in_bytes, gone_out_packets, gone_out_bytes;
	struct ike_sa_live live;       /**< session id, DPD, operator delete (ike_dpd.c) */
	struct ike_eap *eap;           /**< EAP between IKE_AUTH exchanges (ike_eap.c), or NULL */
	uint8_t end_cause;             /**< enum ike_end_cause when known before the end */
	bool session_ended;            /**< the session hooks' down() was called */
};

/* Keys by direction: the original initiator's are SK_ei/SK_ai (§2.14). */
static inline const uint8_t *ike_sa_peer_ekey(const struct ike_sa *sa)
{
	return sa->initiator ? sa->keys.sk_er : sa->keys.sk_ei;
}
static inline const uint8_t *ike_sa_peer_akey(const struct ike_sa *sa)
{
	return sa->initiator ? sa->keys.sk_ar : sa->keys.sk_ai;
}
static inline const uint8_t *ike_sa_our_ekey(const struct ike_sa *sa)
{
	return sa->initiator ? sa->keys.sk_ei : sa->keys.sk_er;
}
static inline const uint8_t *ike_sa_our_akey(const struct ike_sa *sa)
{
	return sa->initiator ? sa->keys.sk_ai : sa->keys.sk_ar;
}
/** Header flags of what we send: Initiator if we are the original initiator (§3.1). */
static inline uint8_t ike_sa_our_flags(const struct ike_sa *sa)
{
	return sa->initiator ? IKE_HDR_F_I : 0;
}


/** One entry of a CHILD_SA index (ike_sa.c): an inbound SPI or a dataplane SA id, and the IKE
 * SA that holds the CHILD_SA; key 0: an empty slot. */
struct ike_cset_ent {
	uint32_t key;
	struct ike_sa *sa;
};

/** A CHILD_SA index: open addressing, at most half full. */
struct ike_cset {
	struct ike_cset_ent *t;
	unsigned size, n;              /**< slots (a power of 2), keys in it */
	bool lost;                     /**< an insertion failed (no memory): walk until rebuilt */
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
	struct ike_eap_backend eap_be; /**< EAP pass-through (ike_eap.h) */
	struct ike_authz_backend authz_be; /**< AAA authorization (ike_authz.h) */
	bool has_eap;
	struct ike_dp_ops dp;
	bool has_dp;
	struct pool *pool4, *pool6;    /**< the default pools */
	const struct pool_set *pools;  /**< named pools (authorization policies), or NULL */
	const struct ike_named_proposal *proposals; /**< named IKE proposals (profiles) */
	unsigned n_proposals;
	const struct ike_policy *policies; /**< IKEv2 policies (IKE_SA_INIT, ike_policy.c) */
	unsigned n_policies;
	uint8_t *certreq;              /**< CA key hashes for our CERTREQ (IKE_SA_INIT) */
	size_t certreq_len;
	uint32_t next_sa_id;
	uint32_t next_session_id;      /**< ike_dpd.c */
	bool session_ids_wrapped;      /**< next_session_id went past 2^32 - 1 once */
	struct ike_ho_tab *ho;         /**< half-open SAs per source address (ike_dpd.c) */
	bool dpd_dumping;              /**< ike_dpd.c's SA_DUMP is outstanding (arg: r) */
	uint64_t dpd_dump_ms;          /**< when ike_dpd.c last sent one */
	bool dpd_dump_failed;          /**< and it failed (timeout, dataplane gone) */
	uint64_t now_ms;               /**< last ike_resp_tick() */
	struct rekey *rekeys;          /**< ike_rekey.c: our CHILD_SA rekeys whose DH runs or
	                                    whose SAs are being installed */
	struct ike_rekey *ike_rekeys;  /**< ike_rekey.c: our IKE SA rekeys whose DH runs */
	struct workpool *wp;           /**< public-key work off the loop; NULL: inline */
	bool pol_dpd_on_demand;        /**< a profile asked for on-demand DPD (ike_policy.c) */
	/* SAs by SPIi (ike_sa.c): lookups cost a bucket, not a walk over every SA */
	struct ike_sa_chains idx;
	uint64_t idx_key;              /**< the key of ike_sa.c's hashes (SPIs, identities and
	                                    addresses are others' choices) */
	/* inbound SPIs of every CHILD_SA (ike_sa.c): ike_spi_in_use() without a walk */
	struct ike_cset spis;
	/* dataplane SA ids of every CHILD_SA, both directions: a LIFETIME event without a walk */
	struct ike_cset sa_ids;
	/* SAs by peer identity (ike_sa.c): INITIAL_CONTACT finds the others of an identity in a
	 * bucket instead of a walk over every SA at each new client */
	struct ike_sa_chains pids;
	/* SAs by the address they hold, IPv4 and IPv6 (ike_sa.c): whether an address from AAA
	 * is another session's, without a walk over every SA at each new client */
	struct ike_sa_chains addrs[2];
	/* ike_resp_tick()'s walk: the SA it is at (NULL once deleted) and the next one */
	struct ike_sa *tick_sa, *tick_next;
	/* NAT keepalives (ike_resp_set_nat_keepalive()) */
	unsigned ka_def_s;
	void (*ka_send)(void *arg, const struct ike_addr *local, const struct ike_addr *peer);
	void *ka_arg;
	struct ike_session_hooks hooks; /**< accounting (ike_sa.h) */
	bool has_hooks;
};

/* ---- fragmentation of what we send (ike_frag.c, RFC 7383 §2.5) ---------------------------- */

/**
 * Seal the inner chain @p inner (first payload @p first) under header @p h for @p sa: one SK
 * message, or, if the peer announced fragmentation and that message would not fit in the
 * fragment size for @p to, SKF fragments all with h->msg_id. *@p out (malloc()ed) receives
 * the datagrams back to back; *@p flen (malloc()ed, NULL for a single datagram) their
 * lengths, *@p nfrag their count (0 for a single datagram). 0 or -errno.
 */
int ike_frag_seal(struct ike_resp *r, const struct ike_sa *sa, const struct ike_hdr *h,
		  uint8_t first, const uint8_t *inner, size_t ilen, const struct ike_addr *to,
		  uint8_t **out, size_t *out_len, uint16_t **flen, unsigned *nfrag);

/** Send what ike_frag_seal() made (all fragments, in order). */
void ike_frag_send(struct ike_resp *r, const uint8_t *buf, size_t len, const uint16_t *flen,
		   unsigned nfrag, const struct ike_addr *local, const struct ike_addr *peer);

/**
 * RFC 7383 §2.6.2: one verified SKF fragment of @p m (its decrypted plaintext @p plain,
 * @p plen bytes) into the reassembly in *@p slot (NULL: none yet; a fragment of another
 * message ID, or with more fragments in all, starts over). At most IKE_FRAG_MAX fragments
 * and IKE_MSG_MAX bytes in all. @return 1 complete: *@p whole (malloc()ed, the caller wipes
 * and frees it) is the inner chain, *@p wlen its length, *@p first its first payload type,
 * *@p slot is freed; 0 waiting for more (or a duplicate); -1 drop the fragment (and, over
 * the limits, the reassembly).
 */
int ike_frag_add(struct ike_frag **slot, const struct ike_msg *m, const uint8_t *plain,
		 size_t plen, uint8_t **whole, size_t *wlen, uint8_t *first);

/** Wipe and free a reassembly (NULL is allowed). */
void ike_frag_free(struct ike_frag *f);

/** The largest IKE message (UDP payload) we send to @p to unfragmented. */
size_t ike_frag_limit(const struct ike_resp *r, const struct ike_addr *to);

/* ---- the profile's decisions (ike_policy.c) ------------------------------------------------ */

/**
 * Authenticated: take the profile, authorization policy and group of @p res into @p sa, with
 * what they decide (lifetime, DPD, NAT keepalive, session end); logged. Called before the
 * CHILD_SA and the config-mode reply are prepared. @return 0, or -EACCES when the IKE SA's
 * algorithms are in none of the profile's proposals (logged): the peer must be refused.
 */
int ike_sa_apply_policy(struct ike_resp *r, struct ike_sa *sa,
			const struct ike_auth_result *res);

/**
 * The authorization policy's ipsec_flow_limit: 0 if @p sa may have one more CHILD_SA (a rekey
 * is no new one), else NO_ADDITIONAL_SAS (logged).
 */
uint16_t ike_sa_flow_check(const struct ike_sa *sa);

/**
 * AAA authorization of an authenticated session (ike_authz.h), after ike_sa_apply_policy():
 * the backend's policy replaces sa->authz, its Framed-IP-Address is kept on the SA.
 * @p peer / @p local: the exchange's addresses; @p method: the peer's AUTH method (0: EAP);
 * @p id_type / @p id: its IDi (neither is on the SA yet). @return 0 (applied), 1 (pending: @p cb follows, ike_sa_authz_apply() it; cancel with
 * ike_sa_authz_cancel(*@p handle)), or -EACCES (refused, logged).
 */
int ike_sa_authorize(struct ike_resp *r, struct ike_sa *sa, const struct ike_addr *peer,
		     const struct ike_addr *local, uint8_t method, uint8_t id_type,
		     const uint8_t *id, size_t id_len, ike_authz_cb cb, void *cb_arg,
		     void **handle);
/** Take the backend's answer into @p sa (its policy, Framed-IP-Address, ownership). */
void ike_sa_authz_apply(struct ike_resp *r, struct ike_sa *sa, const struct ike_authz_out *out);
/** Cancel a pending authorization (NULL: nothing). */
void ike_sa_authz_cancel(struct ike_resp *r, void *handle);
/** Release what AAA authorization gave the SA (sa_free()); idempotent. */
void ike_sa_authz_release(struct ike_sa *sa);

/** The name of the profile of @p sa, or NULL. */
const char *ike_sa_profile_name(const struct ike_sa *sa);

/** The session of @p sa is deleted (ike_resp_clear()), logged, once its session lifetime is
 * over (ike_resp_tick()'s walk). */
void ike_policy_sa_tick(struct ike_resp *r, struct ike_sa *sa, uint64_t now_ms);
/** The NAT keepalive of @p sa when due (ike_resp_set_nat_keepalive(); ike_resp_tick()). */
void ike_policy_sa_keepalive(struct ike_resp *r, struct ike_sa *sa, uint64_t now_ms);

/**
 * The session of @p sa ends (once; ESTABLISHED SAs only): the session hooks' down() with
 * sa->end_cause, else @p cause. ike_sa_delete() calls it; ike_resp_clear() before it
 * takes the CHILD_SAs away.
 */
void ike_sa_session_end(struct ike_resp *r, struct ike_sa *sa, enum ike_end_cause cause);

/** The one place an SA changes state. */
void ike_sa_set_state(struct ike_resp *r, struct ike_sa *sa, enum ike_sa_state to);

/** Drop the IKE_SA_INIT work of @p sa still on a worker (ike_sa_delete() does). */
void ike_sa_init_cancel(struct ike_resp *r, struct ike_sa *sa);

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

/**
 * §2.7 for an IKE SA: the first acceptable proposal of @p sa with SPI size @p spi_len
 * (0 in IKE_SA_INIT, 8 in a rekey), preferring the DH group @p ke_group.
 */
bool ike_select_ike(const struct ike_resp_cfg *c, const struct ike_sa_pl *sa,
		    uint16_t ke_group, uint8_t spi_len, struct ike_suite *s, uint8_t *prop_num);

/** The IKEv2 policy for a request that arrived on @p local (ike_resp_set_policies()), or
 * NULL: the default policy (the ike_resp_cfg lists). */
const struct ike_policy *ike_policy_find(const struct ike_resp *r, const struct ike_addr *local);

/**
 * ike_select_ike() under IKEv2 policy @p pol (NULL: the ike_resp_cfg lists): the peer's
 * proposals in its order, each tried against the policy's proposals in ours. With @p local
 * (IKE_SA_INIT from @p peer) the choice or the refusal is logged, naming the policy.
 */
bool ike_policy_select_ike(const struct ike_resp *r, const struct ike_policy *pol,
			   const struct ike_addr *peer, const struct ike_addr *local,
			   const struct ike_sa_pl *sa, uint16_t ke_group, uint8_t spi_len,
			   struct ike_suite *s, uint8_t *prop_num);

/** True if IKEv2 policy @p pol (NULL: the ike_resp_cfg lists) allows DH group @p g. */
bool ike_policy_allows_dh(const struct ike_resp *r, const struct ike_policy *pol, uint16_t g);
/** The SA payload answering with suite @p s as proposal @p num (SPI @p spi if not 0). */
void ike_chosen_sa(const struct ike_suite *s, uint8_t num, uint64_t spi, struct ike_sa_pl *out);

/** True if @p spi is an inbound SPI of one of our CHILD_SAs (one probe of r->spis). */
bool ike_spi_in_use(struct ike_resp *r, uint32_t spi);
/** The IKE SA holding the CHILD_SA whose inbound SPI is @p spi, and that CHILD_SA in
 * @p child; NULL (and *child NULL) if none. */
struct ike_sa *ike_spi_find_child(struct ike_resp *r, uint32_t spi, struct ike_child **child);
/** The same for the CHILD_SA one of whose dataplane SAs (in or out) has id @p sa_id. */
struct ike_sa *ike_said_find_child(struct ike_resp *r, uint32_t sa_id, struct ike_child **child);
/** r->spis and r->sa_ids: @p c is now / no longer a CHILD_SA of @p sa
 * (ike_sa_child_add(), ike_sa_child_remove()). */
void ike_child_index_add(struct ike_resp *r, const struct ike_child *c, struct ike_sa *sa);
void ike_child_index_del(struct ike_resp *r, const struct ike_child *c);
/** The CHILD_SAs of @p sa moved to it from another IKE SA (ike_sa_move_session() calls it). */
void ike_child_index_rehome(struct ike_resp *r, struct ike_sa *sa);

/** @p sa has its peer identity now (IKE_AUTH, or a session moved to it by a rekey): it joins
 * the index by identity that ike_delete_same_identity() looks in. ike_sa_delete() leaves it. */
void ike_sa_id_index(struct ike_resp *r, struct ike_sa *sa);
/** Delete every other SA of the peer identity of @p keep (INITIAL_CONTACT, §3.10.1). */
void ike_delete_same_identity(struct ike_resp *r, struct ike_sa *keep);

/* The addresses an SA holds (sa->lease4 / lease6) change only through these three, which
 * keep the index that ike_addr_holder() looks in. */
/** @p sa takes the leases in @p l4 / @p l6 (either NULL), which are left not held. */
void ike_sa_leases_take(struct ike_resp *r, struct ike_sa *sa, struct pool_lease *l4,
			struct pool_lease *l6);
/** @p to takes @p from's leases (an IKE SA rekey). */
void ike_sa_leases_move(struct ike_resp *r, struct ike_sa *to, struct ike_sa *from);
/** @p sa's leases go back to the pools they came from (an address from AAA just goes). */
void ike_sa_leases_release(struct ike_resp *r, struct ike_sa *sa);
/** The SA other than @p except that holds @p addr (IPv4, or IPv6 with @p af 6), or NULL. */
struct ike_sa *ike_addr_holder(struct ike_resp *r, int af, const uint8_t *addr,
			       const struct ike_sa *except);

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
