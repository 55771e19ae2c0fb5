/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file eap_local.h
 * A small EAP server (authenticator and server in one, RFC 3748) for the EAP method list
 * entry `local`: it authenticates EAP identities against the local user base
 * (local_users.h) with
 *   - EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2-02, RFC 2759), MSK per RFC 3079:
 *     MasterReceiveKey | MasterSendKey (32 octets, what a RADIUS server would send as
 *     MS-MPPE-Recv-Key / MS-MPPE-Send-Key). MD4 and DES come from OpenSSL's legacy provider,
 *     loaded into a private library context; without it MSCHAPv2 is not offered (logged);
 *   - EAP-MD5 (RFC 3748 §5.4; no MSK).
 * MSCHAPv2 is proposed first when available; a Nak (§5.3.1) switches to the other method.
 *
 * The conversation state between two messages is an opaque blob the caller keeps and hands
 * back (the way a RADIUS State attribute travels); it holds the challenge and, after a
 * verified MSCHAPv2 response, that NT-Response (no key: the MSK is derived from the password
 * at the end); the caller keeps it to itself and hands it back unchanged.
 * An unknown user still gets a challenge; the failure comes with the response, so the
 * answers do not tell which names exist. Passwords never appear in logs.
 *
 * Ownership: eap_local_new() owns its library context; eap_local_process() fills a
 * caller-provided struct eap_local_out (wipe it: it may hold the MSK).
 */
#ifndef RAMPART_AAA_EAP_LOCAL_H
#define RAMPART_AAA_EAP_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/aaa/local_users.h"

#define EAP_LOCAL_MSG_MAX 256u
#define EAP_LOCAL_STATE_MAX 80u
#define EAP_LOCAL_MSK_LEN 32u

struct eap_local;

enum eap_local_verdict {
	EAP_LOCAL_CHALLENGE,   /**< out.eap is the next EAP Request, out.state to keep */
	EAP_LOCAL_SUCCESS,     /**< out.eap is EAP-Success, out.msk (msk_len 0: none) */
	EAP_LOCAL_FAILURE,     /**< out.eap is EAP-Failure, out.why says why */
};

struct eap_local_out {
	enum eap_local_verdict verdict;
	uint8_t eap[EAP_LOCAL_MSG_MAX];
	size_t eap_len;
	uint8_t state[EAP_LOCAL_STATE_MAX];
	size_t state_len;
	uint8_t msk[EAP_LOCAL_MSK_LEN];
	size_t msk_len;
	uint8_t method;        /**< EAP type of the method in use (0: none yet) */
	char why[160];         /**< failure reason / what happened, for logs (no secrets) */
};

/** @return 0 and *@p out, -ENOMEM. MSCHAPv2 availability is logged. */
int eap_local_new(struct eap_local **out);
void eap_local_free(struct eap_local *el);
/** True if MD4 and DES could be loaded (EAP-MSCHAPv2 offered). */
bool eap_local_has_mschapv2(const struct eap_local *el);

/**
 * One EAP Response @p eap of the client whose EAP identity is @p user; @p state is what the
 * previous call returned in out->state (empty at the start, where @p eap must be an
 * Identity Response). @p tag / @p tag_len (<= 16) begins every state made, so that the caller
 * can tell its states from others'. @return 0 (out filled), -EINVAL on bad arguments.
 */
int eap_local_process(struct eap_local *el, const struct local_users *users,
		      const uint8_t *tag, size_t tag_len, const uint8_t *user, size_t user_len,
		      const uint8_t *eap, size_t eap_len, const uint8_t *state, size_t state_len,
		      struct eap_local_out *out);

/* ---- the algorithms, exposed for the unit tests (RFC 2759 §8, RFC 3079 §3.4) ---------- */

/** EAP-MD5 value: MD5(id | password | challenge). @return 0, -EIO. */
int eap_local_md5_value(uint8_t id, const uint8_t *pw, size_t pw_len, const uint8_t *chal,
			size_t chal_len, uint8_t out[16]);
/** NtPasswordHash (MD4 of the UTF-16LE password; UTF-8 in). @return 0, -EINVAL, -ENOTSUP. */
int eap_local_nt_hash(const struct eap_local *el, const uint8_t *pw, size_t pw_len,
		      uint8_t out[16]);
/** GenerateNTResponse. @return 0, -EINVAL, -ENOTSUP. */
int eap_local_nt_response(const struct eap_local *el, const uint8_t auth_chal[16],
			  const uint8_t peer_chal[16], const uint8_t *user, size_t user_len,
			  const uint8_t *pw, size_t pw_len, uint8_t out[24]);
/** GenerateAuthenticatorResponse: "S=" and 40 upper-case hex digits, NUL-terminated. */
int eap_local_auth_response(const struct eap_local *el, const uint8_t *pw, size_t pw_len,
			    const uint8_t nt_resp[24], const uint8_t peer_chal[16],
			    const uint8_t auth_chal[16], const uint8_t *user, size_t user_len,
			    char out[43]);
/** RFC 3079 MasterKey (16) and the MSK MasterReceiveKey | MasterSendKey (32, server side). */
int eap_local_mschapv2_keys(const struct eap_local *el, const uint8_t *pw, size_t pw_len,
			    const uint8_t nt_resp[24], uint8_t master[16],
			    uint8_t msk[EAP_LOCAL_MSK_LEN]);

#endif
