/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ike_eap.h
 * EAP in IKE_AUTH (RFC 7296 §2.16): we are a pass-through authenticator that relays the
 * client's EAP messages to an AAA server (RADIUS in rampartd: ike_eap_radius.h) and back.
 *
 *   IKE_AUTH 1  -> IDi, [CERTREQ], SA, TSi, TSr, [CP] and no AUTH: the authenticator selects
 *                  the profile (it must allow remote EAP) and signs our AUTH (certificate);
 *              <- IDr, CERT, AUTH, EAP(Request): EAP-Request/Identity with query-identity,
 *                  else the first request of the AAA server, asked with the IKE identity as
 *                  EAP-Response/Identity (an IP-address identity is refused: the reference).
 *   IKE_AUTH n  -> EAP(Response)  relayed to the server (with its State)
 *              <- EAP(Request) from an Access-Challenge, or EAP(Success) on Access-Accept,
 *                  or AUTHENTICATION_FAILED (Access-Reject, EAP-Failure, no server answers).
 *   IKE_AUTH    -> AUTH = prf(prf(MSK, "Key Pad for IKEv2"), InitiatorSignedOctets)
 *              <- AUTH (the same with ResponderSignedOctets), CP, SA, TSi, TSr: the CHILD_SA
 *                  of the first request, exactly as for the other methods.
 * Without an MSK (EAP-MD5) the key is SK_pi / SK_pr, as §2.16 says.
 *
 * The state lives on the IKE SA (struct ike_sa.eap) between exchanges; each IKE_AUTH is
 * one task of ike_auth.c, which calls in here. Between rounds the SA waits at most the
 * profile's `eap ... timeout` (default IKE_EAP_TIMEOUT_S); the AAA request of a round is
 * asynchronous (the backend answers on the event loop) and cancelled with its task.
 * Limits: EAP messages of IKE_EAP_MSG_MAX octets, IKE_EAP_ROUNDS_MAX rounds.
 */
#ifndef RAMPART_IKE_IKE_EAP_H
#define RAMPART_IKE_IKE_EAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/ike/ike_sa.h"

#define IKE_EAP_MSG_MAX 4076u    /**< what one RADIUS packet can carry (RADIUS_EAP_MAX) */
#define IKE_EAP_ROUNDS_MAX 64u   /**< EAP messages relayed for one IKE SA */
#define IKE_EAP_TIMEOUT_S 90u    /**< wait for the next IKE_AUTH (IOS default) */
#define IKE_EAP_MSK_MAX 128u
#define IKE_EAP_STATE_MAX 253u

/* ---- the AAA side (a backend: RADIUS in rampartd, a fake in tests) --------------------- */

/** One EAP message of the client for the AAA server. Views, valid during send(). */
struct ike_eap_aaa_req {
	const char *list;              /**< the profile's aaa.authentication_eap ("": default) */
	const uint8_t *user;           /**< User-Name: the EAP identity */
	size_t user_len;
	const uint8_t *eap;            /**< the client's EAP Response */
	size_t eap_len;
	const uint8_t *state;          /**< State of the last Access-Challenge (may be empty) */
	size_t state_len;
	struct ike_addr peer, local;   /**< Calling-Station-Id, NAS-IP(v6)-Address */
	uint64_t spi_i, spi_r;         /**< for logs */
};

enum ike_eap_aaa_code { IKE_EAP_AAA_CHALLENGE, IKE_EAP_AAA_ACCEPT, IKE_EAP_AAA_REJECT };

/** The server's answer (views, valid during the callback). */
struct ike_eap_aaa_ans {
	int status;                    /**< 0: answered; -ETIMEDOUT, -errno: no answer */
	enum ike_eap_aaa_code code;
	const uint8_t *eap;            /**< its EAP message (NULL / 0 if none) */
	size_t eap_len;
	const uint8_t *state;          /**< State (Access-Challenge) */
	size_t state_len;
	const uint8_t *msk;            /**< Access-Accept: the MSK (NULL / 0 if none) */
	size_t msk_len;
	const uint8_t *user;           /**< Access-Accept: User-Name, the identity the server
	                                    authenticated (NULL / 0 if none) */
	size_t user_len;
	const uint8_t *accept;         /**< Access-Accept: the whole verified RADIUS packet, kept
	                                    for implicit (cached) authorization */
	size_t accept_len;
};

typedef void (*ike_eap_aaa_cb)(void *cb_arg, const struct ike_eap_aaa_ans *ans);

/**
 * send(): 0 and @p cb called exactly once later (never from within send()), *@p handle
 * set for cancel() until then; or -errno (no server for the list...) and no call.
 * cancel(): the callback of @p handle is not called.
 */
struct ike_eap_backend {
	int (*send)(void *arg, const struct ike_eap_aaa_req *req, ike_eap_aaa_cb cb,
		    void *cb_arg, void **handle);
	void (*cancel)(void *arg, void *handle);
	void *arg;
};

/** Attach the EAP backend (borrowed; without one, EAP is refused). */
void ike_resp_set_eap(struct ike_resp *r, const struct ike_eap_backend *be);

/* ---- used by ike_auth.c / ike_sa.c (not a public interface) ---------------------------- */

struct ike_eap;                    /**< per IKE SA, between IKE_AUTH exchanges */
struct ike_msg;
struct ike_task;
struct ike_child_req;

/** What one IKE_AUTH exchange of an EAP conversation does (inside the IKE_AUTH task). */
struct ike_eap_round {
	bool active;                   /**< this IKE_AUTH is part of EAP */
	bool first;                    /**< the first: IDr, CERT, AUTH before the EAP payload */
	bool final;                    /**< the last: the client's AUTH checked, ours is MSK's */
	bool failed;                   /**< answer AUTHENTICATION_FAILED (reason logged) */
	bool pending;                  /**< the AAA server is being asked */
	void *handle;                  /**< backend handle while pending */
	struct ike_task *t;            /**< resumed when the server answers */
	struct ike_resp *r;
	struct ike_sa *sa;
	uint8_t out[IKE_EAP_MSG_MAX];  /**< the EAP payload we send */
	size_t out_len;
};

/**
 * First IKE_AUTH without AUTH, authenticated so far by @p res (our AUTH, the profile):
 * start EAP on @p sa. @p idi_body: the IDi payload body (for the signed octets later),
 * @p req: its CHILD_SA request (kept for the final round).
 * @return IKE_TASK_DONE (rd->out or rd->failed set) or IKE_TASK_NEED_MORE (the AAA
 * server is asked; ike_task_resume(rd->t, IKE_TASK_DONE) follows).
 */
int ike_eap_start(struct ike_eap_round *rd, const struct ike_auth_result *res,
		  const uint8_t *idi_body, size_t idi_len, const struct ike_child_req *req,
		  bool initial_contact);

/**
 * A later IKE_AUTH of @p rd->sa (which has EAP state): an EAP Response to relay, or the
 * final AUTH. For the final AUTH, on success, @p res receives our AUTH and the policy
 * decision of the first round, @p req the CHILD_SA request of the first round,
 * @p idi_type / @p idi / @p idi_len the IKE identity and *@p initial_contact.
 * Same return values as ike_eap_start().
 */
int ike_eap_continue(struct ike_eap_round *rd, const struct ike_msg *m,
		     struct ike_auth_result *res, struct ike_child_req *req, uint8_t *idi_type,
		     uint8_t *idi, size_t *idi_len, bool *initial_contact);

/** Cancel what @p rd has in flight (task destroyed). */
void ike_eap_round_cancel(struct ike_eap_round *rd);

/** The round's response went out: arm the timeout for the next one (not final). */
void ike_eap_round_commit(struct ike_eap_round *rd);

/** The EAP identity (reference order: the server's, the queried one, IDi), for the SA. */
void ike_eap_identity(const struct ike_sa *sa, const uint8_t **id, size_t *len);

/**
 * The Access-Accept that ended EAP for @p sa (a verified RADIUS packet: radius_parse() it),
 * for `aaa authorization user eap cached`; NULL / 0 without one.
 */
void ike_eap_accept(const struct ike_sa *sa, const uint8_t **pkt, size_t *len);

/** The same, printable (other bytes as '?'), NUL-terminated; "" without EAP. */
void ike_eap_identity_text(const struct ike_sa *sa, char *buf, size_t len);

/** ike_resp_tick(): true (and logged) if @p sa waited too long for its next IKE_AUTH. */
bool ike_eap_expired(const struct ike_sa *sa, uint64_t now_ms);

/** Free and wipe the EAP state of an SA (NULL: nothing). */
void ike_eap_free(struct ike_eap *e);

#endif
