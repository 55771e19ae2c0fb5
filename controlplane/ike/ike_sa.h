/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ike_sa.h
 * IKEv2 responder (RFC 7296).
 *
 * IKE_SA_INIT: proposal selection (NO_PROPOSAL_CHOSEN), INVALID_KE_PAYLOAD naming the group
 * we want, stateless cookies once the half-open count reaches a threshold (§2.6), NAT
 * detection (§2.23), fragmentation and signature-hash announcements, a CERTREQ naming our
 * CAs when certificates are in use (ike_resp_set_certreq()), key derivation.
 *
 * IKE_AUTH (§1.2, §2.15; ike_auth.c): SK decryption and SKF reassembly (RFC 7383), AUTH
 * checked by an asynchronous authenticator (struct ike_authenticator: the PSK keyring of
 * keyring.h, or the ikev2 profiles with certificates and signatures of ike_cert.h; EAP relayed
 * to RADIUS over several IKE_AUTH exchanges: ike_eap.h), which also gets the peer's CERT and CERTREQ payloads and returns our CERTs, one
 * CHILD_SA (ESP proposal, TS narrowed to the assigned
 * address, config mode from controlplane/pool), both ESP SAs and the route installed through
 * the dataplane (struct ike_dp_ops) before the response leaves, INITIAL_CONTACT.
 * CREATE_CHILD_SA (ike_create.c): more CHILD_SAs (up to 8), CHILD_SA and IKE SA rekeys by
 * the peer, make-before-break; rekeys we start at the configured lifetimes and collisions
 * (ike_rekey.c); our own requests with their message IDs and retransmissions (ike_req.h).
 * INFORMATIONAL (ike_info.c): Delete of the IKE SA or of CHILD_SAs, liveness checks.
 * Session ids, dead peer detection, operator deletes, NAT mapping changes: ike_dpd.h.
 * Every exchange is a task (ike_priv.h) and every request's response is cached for
 * byte-exact retransmission (§2.1).
 *
 * Datagrams come in through ike_resp_input() and leave through the send callback; nothing
 * here touches sockets or the event loop, so tests run two peers in one process.
 *
 * Ownership: ike_resp_create() copies the configuration; the authenticator, the dataplane
 * ops and the pools are borrowed and must outlive the responder. ike_resp_destroy() frees
 * every SA, cancels what is pending (no callback runs afterwards) and returns the leases,
 * but removes nothing from the dataplane (it keeps forwarding across a rampartd restart).
 * Single-threaded, except for the public-key work handed to worker threads on copies
 * (ike_resp_set_workpool(); the authenticator may do the same for IKE_AUTH).
 */
#ifndef RAMPART_IKE_IKE_SA_H
#define RAMPART_IKE_IKE_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"
#include "controlplane/dpif/dpif.h"
#include "controlplane/ike/crypto.h"

struct pool;
struct pol_profile;
struct pol_authz;

/** A transport address. */
struct ike_addr {
	uint8_t af;        /**< 4 or 6 */
	uint8_t addr[16];  /**< network order; IPv4 in bytes 0..3 */
	uint16_t port;     /**< host order */
};

/** Protocol states of an IKE SA (one function changes them and logs the transition). */
#define IKE_SA_STATES(X)      \
	X(NONE)               \
	X(INIT_WAIT)          \
	X(INIT_DONE)          \
	X(ESTABLISHED)        \
	X(REKEYED)            \
	X(DELETED)
enum ike_sa_state {
#define X(n) IKE_SA_##n,
	IKE_SA_STATES(X)
#undef X
};

/**
 * Responder settings. Until the configuration schema has an "ike" section (common/conf.c is
 * not ours to edit) these come from the caller: tests fill them in, see
 * tests/ike/test_ike_exchange.c. Each list is in our order of preference, 0-terminated.
 */
struct ike_resp_cfg {
	uint16_t encr[8];        /**< IKE_ENCR_* */
	uint16_t encr_bits[8];   /**< key length for encr[i] (0 for ChaCha20-Poly1305) */
	uint16_t prf[4];
	uint16_t integ[4];
	uint16_t dh[8];          /**< dh[0] is the group asked for in INVALID_KE_PAYLOAD */
	unsigned cookie_threshold; /**< half-open SAs from which cookies are required (0: always) */
	unsigned max_half_open;    /**< refuse new SAs beyond this (0: 1024) */
	unsigned max_half_open_per_peer; /**< ...and from one source address, IPv6 /64 (0: 10) */
	/* liveness (ike_dpd.h) */
	uint8_t dpd_mode;          /**< enum ike_dpd_mode; 0: no liveness checks */
	unsigned dpd_interval;     /**< s of silence before a check (0: 30) */
	unsigned dpd_retry;        /**< s; a check unanswered for retry x retries: dead (0: 2) */
	unsigned dpd_retries;      /**< (0: 5) */
	/* rekeying we start when the peer has not (ike_rekey.c) */
	unsigned ike_lifetime;     /**< s until we rekey an IKE SA (0: 86400) */
	unsigned child_lifetime;   /**< s until we rekey a CHILD_SA (0: 3600) */
	uint64_t child_lifetime_kb; /**< CHILD_SA volume limit in kB (0: none), either way */
	/** RFC 7383: largest IP datagram of an encrypted message we send before we fragment it
	 * (peers that announced fragmentation); 0: 576 for IPv4, 1280 for IPv6 (§2.5.1) */
	unsigned fragment_size;

	/* IKE_AUTH */
	uint8_t local_id_type;     /**< IKE_ID_*; 0: our IP address (ID_IPV4_ADDR / ID_IPV6_ADDR) */
	uint8_t local_id[128];
	size_t local_id_len;
	/* CHILD_SA (ESP), our order of preference; all zero: AES-GCM-16 256/128,
	 * ChaCha20-Poly1305, AES-CBC 256/128 with HMAC-SHA-256/384/512 */
	uint16_t esp_encr[8];
	uint16_t esp_encr_bits[8];
	uint16_t esp_integ[4];
	uint8_t esp_esn;           /**< IKE_ESN_ALLOW_* bits; 0 = both */
	uint16_t replay_window;    /**< inbound ESP anti-replay window; 0: 128 */
	/** Our side of the tunnels (TSr is narrowed to these); none: 0.0.0.0/0 and ::/0.
	 * Announced as INTERNAL_IP4/IP6_SUBNET (not /0). A session whose authorization
	 * policy has a route set uses that instead (ike_cfg_routes(), ike_cfg.h). */
	struct rp_prefix local_ts[4];
	unsigned n_local_ts;
};

enum { IKE_ESN_ALLOW_NO = 1, IKE_ESN_ALLOW_YES = 2 };

/* ---- authentication (asynchronous) ------------------------------------------------------ */

#define IKE_AUTH_CERTS_MAX 4u      /**< certificates we take from (and send to) a peer */
#define IKE_AUTH_DATA_MAX 1100u    /**< AUTH data: an RSA-8192 signature with its RFC 7427 prefix */
#define IKE_AUTH_IDR_MAX 256u      /**< our IDr data when an authenticator chooses it */

/** What an authenticator is asked: does the peer's AUTH prove @p id, and what is ours? */
struct ike_auth_query {
	struct ike_addr peer, local;   /**< where the IKE_AUTH request came from / went to */
	uint8_t id_type;               /**< the peer's IDi */
	const uint8_t *id;
	size_t id_len;
	uint8_t method;                /**< the peer's AUTH method (IKE_AUTH_*); 0: no AUTH
	                                    payload, the peer asks for EAP (ike_eap.h): accept
	                                    it if EAP is allowed and return our AUTH */
	const uint8_t *auth;           /**< the peer's AUTH data */
	size_t auth_len;
	uint16_t prf;                  /**< the IKE SA's PRF */
	const uint8_t *octets_i;       /**< InitiatorSignedOctets (§2.15) */
	size_t octets_i_len;
	const uint8_t *octets_r;       /**< ResponderSignedOctets: what our AUTH must cover */
	size_t octets_r_len;
	/* certificate authentication (RFC 7296 §3.6, §3.7; RFC 7427 §4) */
	unsigned n_certs;              /**< CERT payloads of encoding X.509 Signature, in order
	                                    (the first is the peer's end-entity certificate) */
	const uint8_t *cert[IKE_AUTH_CERTS_MAX]; /**< DER */
	size_t cert_len[IKE_AUTH_CERTS_MAX];
	const uint8_t *certreq;        /**< the CA key hashes of the peer's CERTREQs, concatenated */
	size_t certreq_len;
	uint16_t sig_hashes;           /**< bit h set: the peer announced RFC 7427 hash h; 0: none */
	/** The ResponderSignedOctets (§2.15) for another IDr than ike.local_id: @p idr is the
	 * IDr payload body (ID type, 3 reserved bytes, data). 0, or -1 (does not fit @p cap).
	 * For authenticators that choose our identity (ike_cert.c: the profile's
	 * identity_local); only during verify(), on its thread. NULL: not offered. */
	int (*octets_r_for)(void *arg, const uint8_t *idr, size_t idr_len, uint8_t *out,
			    size_t cap, size_t *out_len);
	void *octets_r_arg;
};

struct ike_auth_result {
	int status;                    /**< 0 authenticated, -EACCES refused, other -errno */
	uint8_t method;                /**< our AUTH method */
	uint8_t auth[IKE_AUTH_DATA_MAX]; /**< our AUTH data (a MAC or a signature) */
	size_t auth_len;
	/** Our certificates for CERT payloads (end entity first), malloc()ed: whoever holds the
	 * result frees them with ike_auth_result_clear(). */
	unsigned n_certs;
	uint8_t *cert[IKE_AUTH_CERTS_MAX];
	size_t cert_len[IKE_AUTH_CERTS_MAX];
	/** The policy decision (policy.h), NULL when no ikev2 profile decided (the ike
	 * section's PSK peers): pointers into the pol_set, which outlives the responder. */
	const struct pol_profile *profile;
	const struct pol_authz *authz;  /**< the profile's authorization policy, or NULL */
	const char *group;              /**< the group the profile assigns, or NULL */
	/** Our IDr when the authenticator chose it (then @p auth covers it, computed with
	 * octets_r_for()); idr_len 0: ike.local_id (or our address) */
	uint8_t idr_type;
	uint8_t idr[IKE_AUTH_IDR_MAX];
	size_t idr_len;
};

/** Free the certificates of @p res and wipe it. */
void ike_auth_result_clear(struct ike_auth_result *res);

typedef void (*ike_auth_done_fn)(void *done_arg, const struct ike_auth_result *res);

/**
 * An authenticator. verify() either answers at once (returns 0 with @p res filled) or
 * later (returns 1 and calls @p done exactly once, never from within verify()); -errno:
 * could not start (treated as refused). The query is valid only during verify(): an
 * asynchronous implementation copies what it needs. cancel() drops a pending verification
 * of @p done_arg (the SA went away); @p done is not called afterwards.
 */
struct ike_authenticator {
	int (*verify)(void *arg, const struct ike_auth_query *q, struct ike_auth_result *res,
		      ike_auth_done_fn done, void *done_arg);
	void (*cancel)(void *arg, void *done_arg);
	void *arg;
};

/* ---- dataplane -------------------------------------------------------------------------- */

/**
 * How the responder programs the dataplane: dpif_send() / dpif_cancel() in rampartd
 * (ike_io.c), a fake in tests. send() has dpif_send()'s contract: 0 and @p cb called exactly
 * once later (never from within send()), or -errno and no call. cancel() drops every
 * request of @p arg without calling back.
 */
struct ike_dp_ops {
	int (*send)(void *ctx, uint16_t type, const void *payload, size_t len, dpif_cb cb,
		    void *arg);
	unsigned (*cancel)(void *ctx, void *arg);
	void *ctx;
};

/** Send a datagram to @p to (the response bytes are only valid during the call). */
typedef void (*ike_send_fn)(void *arg, const uint8_t *buf, size_t len,
			    const struct ike_addr *from, const struct ike_addr *to);

struct ike_resp;
struct ike_sa;

int ike_resp_create(const struct ike_resp_cfg *cfg, const struct ike_rng *rng,
		    ike_send_fn send, void *send_arg, struct ike_resp **out);
void ike_resp_destroy(struct ike_resp *r);

/** Attach the authenticator (without one every IKE_AUTH fails with AUTHENTICATION_FAILED). */
void ike_resp_set_auth(struct ike_resp *r, const struct ike_authenticator *auth);
/**
 * The CA key hashes (concatenated SHA-1s, RFC 7296 §3.7) announced in a CERTREQ of every
 * IKE_SA_INIT response; copied. NULL / 0: no CERTREQ (certificates are not used).
 * @return 0 or -ENOMEM.
 */
int ike_resp_set_certreq(struct ike_resp *r, const uint8_t *hashes, size_t len);
/** Attach the dataplane (without one no CHILD_SA can be created). */
void ike_resp_set_dp(struct ike_resp *r, const struct ike_dp_ops *dp);
/** Attach the address pools for config mode (either may be NULL). */
void ike_resp_set_pools(struct ike_resp *r, struct pool *v4, struct pool *v6);
struct pool_set;
/** Attach the named pools (pool_set.h) that authorization policies name (borrowed; NULL:
 * none). Sessions whose policy names no pool use those of ike_resp_set_pools(). */
void ike_resp_set_pool_set(struct ike_resp *r, const struct pool_set *s);

#define IKE_PROPOSALS_MAX 16
#define IKE_PROPOSAL_NAME_MAX 64

/** A named IKE proposal (`ike.proposals`, IOS `crypto ikev2 proposal`), which ikev2 profiles
 * name: the algorithms an IKE SA of such a profile may use. Lists are 0-terminated IKE_*
 * ids; an empty list allows any. */
struct ike_named_proposal {
	char name[IKE_PROPOSAL_NAME_MAX];
	uint16_t encr[8], encr_bits[8];  /**< bits 0: the cipher's fixed key */
	uint16_t prf[4], integ[4], dh[8];
};

/** The named IKE proposals (borrowed; they outlive the responder). */
void ike_resp_set_proposals(struct ike_resp *r, const struct ike_named_proposal *p,
			    unsigned n);

#define IKE_POLICIES_MAX 16
#define IKE_POLICY_LOCAL_MAX 8

/** An IKEv2 policy (`ike.policies`, IOS `crypto ikev2 policy`): an IKE_SA_INIT that arrives
 * on one of its local prefixes chooses the IKE SA's algorithms from its named proposals
 * only (ike_policy.c). */
struct ike_policy {
	char name[IKE_PROPOSAL_NAME_MAX];
	uint8_t prop[IKE_PROPOSALS_MAX]; /**< indexes of the named proposals, our preference */
	unsigned n_prop;
	struct rp_prefix local[IKE_POLICY_LOCAL_MAX]; /**< match address local; none: any */
	unsigned n_local;
};

/**
 * The IKEv2 policies in configuration order (borrowed; they outlive the responder; their
 * indexes refer to the proposals of ike_resp_set_proposals()). IKE_SA_INIT takes the first
 * one whose addresses hold the local address, else the first without addresses, else none:
 * then the ike_resp_cfg lists apply (the default policy). An IKE SA rekey keeps the policy.
 */
void ike_resp_set_policies(struct ike_resp *r, const struct ike_policy *p, unsigned n);

struct sbuf;
struct json_w;
/**
 * "show ike-policies [NAME]": each policy (or only @p name, may be NULL) with its local
 * addresses and its proposals' algorithms (a list the proposal leaves out: the ike
 * section's), as text into @p out or JSON into @p jw. @return 0, or -ENOENT for an unknown
 * @p name.
 */
int ike_policies_show(const struct ike_named_proposal *props, unsigned n_props,
		      const struct ike_policy *pols, unsigned n_pols, const char *name, bool json,
		      struct sbuf *out, struct json_w *jw);

struct workpool;
/**
 * Do IKE_SA_INIT's Diffie-Hellman and key derivation on the worker threads of @p wp
 * (controlplane/util/workpool.h; borrowed, it must outlive the responder; its completions
 * must be delivered by the caller's loop: wp_run_done()). The SA waits in state INIT_WAIT,
 * counted as half-open; a retransmitted request meanwhile is dropped (in_progress), and
 * one that finds the queue full is refused (crypto_busy). NULL (the default): inline.
 */
void ike_resp_set_workpool(struct ike_resp *r, struct workpool *wp);

/**
 * Process one datagram (UDP payload without the non-ESP marker) from @p peer to @p local.
 * Malformed or unexpected input is dropped (and counted) without creating state.
 */
void ike_resp_input(struct ike_resp *r, const uint8_t *buf, size_t len,
		    const struct ike_addr *peer, const struct ike_addr *local);

/**
 * A LIFETIME event of the dataplane (soft or hard volume limit of an SA, see
 * ike_resp_cfg.child_lifetime_kb): the CHILD_SA it belongs to is rekeyed now (ike_rekey.c).
 */
void ike_resp_lifetime(struct ike_resp *r, const struct rp_msg_lifetime *ev);

/** A half-open SA (IKE_SA_INIT answered, no IKE_AUTH finished) lives this long. */
#define IKE_HALF_OPEN_TIMEOUT_MS 30000u

/**
 * The passage of time (a monotonic clock in ms; rampartd calls it every second): expires
 * half-open SAs that are not busy with IKE_AUTH. SAs remember the time of the last tick.
 */
void ike_resp_tick(struct ike_resp *r, uint64_t now_ms);

/** Counters, for tests and "show". */
struct ike_resp_stats {
	uint64_t rx, dropped, retransmits, cookies_sent, no_proposal, invalid_ke;
	uint64_t auth_ok, auth_failed, child_failed, in_progress, bad_msg_id, decrypt_failed;
	uint64_t half_open_expired;
	uint64_t half_open_refused;      /**< max_half_open reached */
	uint64_t half_open_peer_refused; /**< max_half_open_per_peer reached */
	uint64_t dpd_sent, dpd_dead, cleared, nat_moved; /**< ike_dpd.h */
	uint64_t dpd_queries, dpd_dumps; /**< on-demand DPD: STATS_REQs, SA_DUMPs sent */
	uint64_t req_sent, req_retransmits, req_timeouts; /**< our requests (ike_req.h) */
	uint64_t crypto_busy;            /**< IKE_SA_INIT or CREATE_CHILD_SA dropped: the worker
	                                      queue was full */
	unsigned half_open, sas;
};
void ike_resp_get_stats(const struct ike_resp *r, struct ike_resp_stats *st);

/** The SA with these SPIs, or NULL. */
struct ike_sa *ike_resp_find(struct ike_resp *r, uint64_t spi_i, uint64_t spi_r);

enum ike_sa_state ike_sa_state(const struct ike_sa *sa);
const char *ike_sa_state_name(enum ike_sa_state s);

/** "IKE_SA <spi_i>_i <spi_r>_r", the name logs give an SA, in @p buf (64 bytes suffice). */
const char *ike_sa_name(const struct ike_sa *sa, char *buf, size_t len);

/** Negotiated suite and derived keys (tests compare them with the initiator's). */
const struct ike_alg *ike_sa_alg(const struct ike_sa *sa);
const struct ike_keys *ike_sa_keys(const struct ike_sa *sa);
/** True if the peer's NAT_DETECTION_SOURCE_IP did not match its address (§2.23). */
bool ike_sa_peer_behind_nat(const struct ike_sa *sa);

/** A snapshot of one IKE SA for "show sessions" and tests. */
struct ike_sa_info {
	enum ike_sa_state state;
	uint64_t spi_i, spi_r;
	struct ike_addr peer, local;
	uint8_t peer_id_type;
	char peer_id[130];        /**< printable: FQDN / e-mail as is, addresses, else hex */
	char local_id[130];
	struct ike_suite ike;
	bool has_child;           /**< the fields below describe the newest CHILD_SA */
	struct ike_suite esp;
	uint32_t spi_in, spi_out; /**< host order */
	uint32_t sa_id_in, sa_id_out;
	bool natt;
	unsigned n_child;         /**< CHILD_SAs installed, a rekeyed one until it is deleted */
	uint32_t sa_ids[16];      /**< dataplane handles of all of them (in and out) */
	unsigned n_sa_ids;
	/** Traffic of CHILD_SAs already deleted (counted when they went), so that the session's
	 * totals do not drop at a rekey: add the live SAs' counters of sa_ids. */
	uint64_t gone_in_packets, gone_in_bytes, gone_out_packets, gone_out_bytes;
	uint8_t addr4[4], addr6[16];
	bool has_addr4, has_addr6;
	/* liveness (ike_dpd.h) */
	uint32_t id;              /**< session id */
	bool peer_nat, local_nat; /**< §2.23: the peer / we are behind a NAT */
	uint64_t age_ms;          /**< since IKE_SA_INIT */
	uint64_t up_ms;           /**< since it was established (0: not yet) */
	uint64_t idle_ms;         /**< since the last sign of life from the peer */
	bool dpd_pending;         /**< a liveness check is outstanding */
	bool clearing;            /**< an operator's Delete is outstanding */
	uint64_t nat_moved;       /**< NAT mapping changes followed */
	uint64_t child_age_ms;    /**< of the newest CHILD_SA (has_child) */
	uint64_t child_rekey_ms;  /**< until we rekey it (0: due now, or being rekeyed) */
	/* the policy decision (configuration strings, valid during the callback) */
	const char *profile;      /**< the ikev2 profile, NULL without one */
	const char *group;        /**< the group it assigned, NULL if none */
	char eap_id[130];         /**< EAP identity (ike_eap.h; printable), "" without EAP */
	uint64_t session_left_ms; /**< until the session lifetime ends it; 0: no limit */
	bool pol_dpd;             /**< the profile sets DPD (else the responder's applies): */
	uint8_t pol_dpd_mode;     /**< IKE_DPD_* */
	unsigned pol_dpd_interval, pol_dpd_retry;
	unsigned pol_nat_keepalive_s; /**< the profile's NAT keepalive; 0: the ike section's */
};

/**
 * RFC 3948 §2.3: from now on ike_resp_tick() calls @p send for every established SA behind
 * whose NAT we are (§2.23) when its NAT keepalive is due: every nat_keepalive seconds of its
 * ikev2 profile, else every @p def_s (0: none).
 */
void ike_resp_set_nat_keepalive(struct ike_resp *r, unsigned def_s,
				void (*send)(void *arg, const struct ike_addr *local,
					     const struct ike_addr *peer), void *arg);

/**
 * Why a session ended (RFC 2866 §5.10 Acct-Terminate-Cause numbers, for accounting).
 */
enum ike_end_cause {
	IKE_END_USER_REQUEST = 1,    /**< the peer deleted the IKE SA (or reconnected) */
	IKE_END_LOST_CARRIER = 2,    /**< dead peer detection, requests unanswered */
	IKE_END_SESSION_TIMEOUT = 5, /**< the session lifetime */
	IKE_END_ADMIN_RESET = 6,     /**< clear session, RADIUS Disconnect-Request */
};

/**
 * Sessions starting and ending, for accounting: up() when IKE_AUTH established an IKE SA
 * (not for rekeys: the session, and its id, go on), down() once when the session ends,
 * before its CHILD_SAs leave the dataplane (so that their counters can still be asked
 * for: sa_ids), with why. The info is valid during the call; the callbacks must not change
 * the responder. Not called from ike_resp_destroy() (rampartd stopping).
 */
struct ike_session_hooks {
	void (*up)(void *arg, const struct ike_sa_info *info);
	void (*down)(void *arg, const struct ike_sa_info *info, enum ike_end_cause cause);
	void *arg;
};
void ike_resp_set_session_hooks(struct ike_resp *r, const struct ike_session_hooks *h);

/**
 * RADIUS CoA Session-Timeout: the session of @p sa ends @p timeout_s from now (replacing
 * the authorization policy's session lifetime). @return 0, -EINVAL (not established).
 */
int ike_sa_set_session_timeout(struct ike_resp *r, struct ike_sa *sa, uint32_t timeout_s);

/**
 * Operator delete (ike_resp_clear(), @p who in its log) of every SA for which @p match says
 * so, in one pass; @p cleared is told of each one cleared (its state before). Neither
 * callback may change the responder. @return how many were cleared.
 */
unsigned ike_resp_clear_matching(struct ike_resp *r, const char *who,
				 bool (*match)(const struct ike_sa_info *in, void *arg),
				 void (*cleared)(const struct ike_sa_info *in, void *arg),
				 void *arg);

/** Call @p fn for every SA (the callback must not change the responder). */
void ike_resp_foreach(const struct ike_resp *r,
		      void (*fn)(const struct ike_sa_info *info, void *arg), void *arg);

/** NAT detection hash (§2.23): SHA-1(SPIi | SPIr | IP | port). */
int ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const struct ike_addr *a, uint8_t out[20]);

#endif
