/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* A minimal IKEv2 initiator for tests: builds IKE_SA_INIT requests and derives the keys from
 * the response, with deterministic randomness. */
#ifndef RAMPART_TESTS_IKE_INITIATOR_H
#define RAMPART_TESTS_IKE_INITIATOR_H

#include "controlplane/ike/crypto.h"
#include "controlplane/ike/ike_sa.h"
#include "controlplane/ike/payload.h"

#define INI_FRAG_CAP 2048
#define INI_FRAGS_MAX 64

/** Deterministic RNG: xorshift64* seeded by the test. */
struct ini_rng_state {
	uint64_t s;
};
int ini_rng(void *arg, uint8_t *out, size_t len);

struct ini {
	struct ini_rng_state rs;
	struct ike_rng rng;
	uint64_t spi_i, spi_r;
	uint16_t group;
	struct ike_dh *dh;
	uint8_t ni[32], nr[256];
	size_t nr_len;
	struct ike_suite suite; /**< what the responder chose */
	struct ike_alg alg;
	struct ike_keys keys;
	/* for IKE_AUTH (§2.15) */
	uint8_t init_req[2048], init_resp[2048];
	size_t init_req_len, init_resp_len;
	uint32_t msg_id;        /**< of the next request */
	uint16_t sig_hashes;    /**< RFC 7427 hashes to announce in IKE_SA_INIT (bit per id; 0: none) */
	bool natd_dst_bogus;    /**< send a NAT_DETECTION_DESTINATION_IP that matches nothing
	                             (the responder then believes it is behind a NAT) */
	uint32_t esp_spi;       /**< our inbound ESP SPI */
	bool frag;              /**< announce FRAGMENTATION_SUPPORTED in IKE_SA_INIT */
	const void *vid;        /**< a Vendor ID payload for IKE_SA_INIT (NULL: none) */
	size_t vid_len;
	/* RFC 7383: a fragmented response being reassembled by ini_open() */
	uint32_t frag_msg_id;
	uint16_t frag_total, frag_have;
	uint8_t frag_first;
	uint8_t (*frag_plain)[INI_FRAG_CAP]; /**< INI_FRAGS_MAX plaintexts, malloc()ed */
	size_t frag_len[INI_FRAGS_MAX];
	/* results of IKE_AUTH */
	uint16_t child_err;     /**< error notify next to IDr/AUTH, 0 if the CHILD_SA exists */
	struct ike_suite esp;
	uint32_t peer_esp_spi;
	struct ike_child_keys ck;
	struct ike_ts_pl tsi, tsr;
	unsigned n_addr4;       /**< INTERNAL_IP4_ADDRESS attributes in CFG_REPLY */
	uint8_t addr4[4], addr6[16];
	bool has_addr6;
	unsigned n_dns4, n_sub4;
	uint8_t netmask[4];
};

/** What ini_build_auth() puts into the IKE_AUTH request. */
struct ini_auth_opts {
	uint8_t id_type;                 /**< 0: FQDN */
	const char *id;
	const char *psk;
	bool no_cp;                      /**< no CFG_REQUEST */
	uint8_t cp_type;                 /**< CP payload type (0: CFG_REQUEST) */
	const struct ike_cfg_at *cp_attrs; /**< with n_cp_attrs: these attributes instead */
	unsigned n_cp_attrs;
	const void *vid;                 /**< a Vendor ID payload (NULL: none) */
	size_t vid_len;
	unsigned n_ip4;                  /**< INTERNAL_IP4_ADDRESS requests (0 treated as 1) */
	bool ip6, nm4, dns4, sub4;
	const struct ike_sa_pl *esp;     /**< NULL: one proposal AES-GCM-16-128, no ESN */
	const struct ike_ts_pl *tsi;     /**< NULL: 0.0.0.0-255.255.255.255 */
	const struct ike_ts_pl *tsr;     /**< NULL: 0.0.0.0-255.255.255.255 */
	bool initial_contact;
	bool no_child;                   /**< no SA/TSi/TSr */
	bool no_auth;                    /**< no AUTH payload: ask for EAP (RFC 7296 §2.16) */
	/* certificate authentication (test_ike_cert.c) */
	size_t id_len;                   /**< of id when it is binary (a DER DN); 0: strlen(id) */
	/** AUTH by signature instead of psk: sign InitiatorSignedOctets into @p auth (cap
	 * IKE_AUTH_DATA_MAX) and set the method; 0 or -1. */
	int (*sign)(void *arg, const uint8_t *octets, size_t len, uint8_t *method, uint8_t *auth,
		    size_t *auth_len);
	void *sign_arg;
	unsigned n_certs;                /**< CERT payloads (X.509 Signature) before AUTH */
	const uint8_t *cert[4];
	size_t cert_len[4];
	const uint8_t *certreq;          /**< CERTREQ (X.509) with these CA hashes, if not NULL */
	size_t certreq_len;
};

void ini_init(struct ini *in, uint64_t seed, uint16_t group);
void ini_free(struct ini *in);

/**
 * IKE_SA_INIT request offering @p sa (one IKE proposal), KE of in->group, optionally a
 * COOKIE notify first. @return length, 0 on error.
 */
size_t ini_build_init(struct ini *in, const struct ike_sa_pl *sa, const uint8_t *cookie,
		      size_t cookie_len, uint8_t *out, size_t cap);

/** Process an IKE_SA_INIT response: 0 and keys derived, or the error notify type (> 0). */
int ini_process_init(struct ini *in, const uint8_t *buf, size_t len, struct ike_msg *m);

/** IKE_AUTH request (message ID in->msg_id, which is then incremented). */
size_t ini_build_auth(struct ini *in, const struct ini_auth_opts *o, uint8_t *out, size_t cap);

/** Only the inner chain of that request (nothing sealed, msg_id unchanged). */
size_t ini_build_auth_inner(struct ini *in, const struct ini_auth_opts *o, uint8_t *inner,
			    size_t icap, uint8_t *first);

/**
 * Process the IKE_AUTH response: 0 when IDr/AUTH verify with @p psk (@p psk NULL: not
 * checked, the caller verifies a signature in @p m) (child_err tells about
 * the CHILD_SA, whose keys are derived into in->ck), or the error notify type (> 0) when
 * there is no AUTH, -1 when malformed or AUTH is wrong.
 */
int ini_process_auth(struct ini *in, const uint8_t *buf, size_t len, struct ike_msg *m,
		     const char *psk);

/** INFORMATIONAL request with a Delete of @p proto (0: none; IKE; ESP with @p spi). */
size_t ini_build_info(struct ini *in, uint8_t proto, uint32_t spi, uint8_t *out, size_t cap);

/** A request of @p exchange with message ID @p msg_id and inner chain @p inner. */
size_t ini_seal(struct ini *in, uint8_t exchange, uint32_t msg_id, const uint8_t *inner,
		size_t ilen, uint8_t first, uint8_t *out, size_t cap);

/**
 * The same as @p nfrag SKF fragments (RFC 7383; AES-GCM IKE SAs only): fragment i goes
 * into out + i * INI_FRAG_CAP, its length into lens[i]. @return 0 or -1.
 */
int ini_seal_frags(struct ini *in, uint8_t exchange, uint32_t msg_id, const uint8_t *inner,
		   size_t ilen, uint8_t first, unsigned nfrag, uint8_t *out, size_t *lens);

/**
 * Verify and decrypt a response; @p m then holds its inner payloads. 0 or -1. A response in
 * SKF fragments (RFC 7383) is reassembled: INI_MORE for every fragment but the one that
 * completes it (then 0, @p m holding the whole inner chain); ini_process_auth() passes
 * INI_MORE on.
 */
#define INI_MORE (-2)
int ini_open(struct ini *in, const uint8_t *buf, size_t len, struct ike_msg *m);

/** An ESP proposal: encr/bits, integ (0 for AEAD), ESN ids (0-terminated list of 0/1 + 1). */
void ini_esp_proposal(struct ike_sa_pl *sa, uint32_t spi, uint16_t encr, uint16_t bits,
		      uint16_t integ, bool esn, bool no_esn);

/** One IPv4 range selector. */
void ini_ts4(struct ike_ts_pl *ts, const uint8_t start[4], const uint8_t end[4]);

/** A one-proposal SA payload: encr/bits, prf, integ (0 for AEAD), dh groups (0-terminated). */
void ini_proposal(struct ike_sa_pl *sa, uint16_t encr, uint16_t bits, uint16_t prf,
		  uint16_t integ, const uint16_t *dh);

/* ---- CREATE_CHILD_SA and requests from the responder (test_ike_rekey.c) ----------------- */

/** One CREATE_CHILD_SA exchange started by the test initiator: what to send, then what came
 * back. ini_cc_free() releases it. */
struct ini_cc {
	/* request */
	bool ike;                        /**< IKE SA rekey (else a CHILD_SA) */
	uint64_t new_spi_i;              /**< IKE rekey: our new SPI */
	uint16_t ike_groups[4];          /**< IKE rekey: DH groups offered (0-terminated; none:
	                                      the KE group) */
	const struct ike_sa_pl *esp;     /**< NULL: AES-GCM-16-128 with spi, no ESN (+ pfs_group) */
	uint32_t spi;                    /**< our inbound SPI for the new CHILD_SA (0: derived) */
	uint16_t pfs_group;              /**< a DH transform of this group in the default ESP
	                                      proposal (CHILD) */
	uint16_t ke_group;               /**< KE of this group (0: none; IKE rekey needs one) */
	uint32_t rekey_spi;              /**< N(REKEY_SA) naming this SPI (0: none) */
	const struct ike_ts_pl *tsi, *tsr; /**< NULL: 0.0.0.0-255.255.255.255 */
	/* exchange state */
	uint32_t msg_id;
	uint8_t ni[32];
	struct ike_dh *dh;
	/* response */
	uint16_t err;                    /**< error notify, 0 if none */
	uint16_t err_group;              /**< INVALID_KE_PAYLOAD data */
	uint8_t nr[256];
	size_t nr_len;
	struct ike_suite suite;          /**< ESP (CHILD) or IKE suite chosen */
	uint32_t peer_spi;               /**< CHILD: the responder's inbound SPI */
	uint64_t new_spi_r;              /**< IKE: the responder's new SPI */
	bool pfs;                        /**< KEr came back and went into the keys */
	struct ike_child_keys ck;        /**< CHILD keys */
	struct ike_ts_pl tsi_r, tsr_r;
};

void ini_cc_free(struct ini_cc *cc);

/** The CREATE_CHILD_SA request of @p cc (message ID in->msg_id, then incremented). */
size_t ini_build_create(struct ini *in, struct ini_cc *cc, uint8_t *out, size_t cap);

/**
 * Its response: 0 and cc filled (keys derived), the error notify (> 0), -1 if malformed.
 * For an IKE rekey, @p nin (if not NULL) becomes the initiator of the new IKE SA (same
 * seed stream, message IDs from 0).
 */
int ini_process_create(struct ini *in, struct ini_cc *cc, const uint8_t *buf, size_t len,
		       struct ike_msg *m, struct ini *nin);

/** Verify and decrypt a request the responder sent us (no Response flag). 0 or -1. */
int ini_open_req(struct ini *in, const uint8_t *buf, size_t len, struct ike_msg *m);

/** Our response (flags Response | Initiator) to the responder's request @p msg_id. */
size_t ini_seal_resp(struct ini *in, uint8_t exchange, uint32_t msg_id, const uint8_t *inner,
		     size_t ilen, uint8_t first, uint8_t *out, size_t cap);

/** The same as @p nfrag SKF fragments, laid out as ini_seal_frags() does (AES-GCM only). */
int ini_seal_resp_frags(struct ini *in, uint8_t exchange, uint32_t msg_id, const uint8_t *inner,
			size_t ilen, uint8_t first, unsigned nfrag, uint8_t *out, size_t *lens);

/* ---- EAP in IKE_AUTH (RFC 7296 §2.16; perf/ike/ike_load.c) ------------------------------ */

#define INI_EAP_STEP_MAX 1400    /**< EAP / AUTH data of one ini_build_auth_step() */

/**
 * An IKE_AUTH request after the first one (message ID in->msg_id, then incremented) carrying
 * one payload: IKE_PL_EAP with @p data (an EAP packet), or IKE_PL_AUTH of @p method.
 * @return its length, 0 on error.
 */
size_t ini_build_auth_step(struct ini *in, uint8_t type, uint8_t method, const uint8_t *data,
			   size_t len, uint8_t *out, size_t cap);

/**
 * A shared-key AUTH: prf(prf(K, "Key Pad for IKEv2"), signed octets). K is @p key: the
 * pre-shared key, or the MSK after EAP; without one (@p key NULL: EAP-MD5) SK_pi for ours,
 * SK_pr for the responder's (@p resp).
 * @p id: the ID payload body signed (ours: IDi; the responder's: the IDr of its first
 * response). @p out gets prf length bytes. 0 or -1.
 */
int ini_key_auth(struct ini *in, bool resp, const uint8_t *key, size_t key_len,
		 const uint8_t *id, size_t id_len, uint8_t *out);

/**
 * The last IKE_AUTH response after EAP (no IDr): 0 when its AUTH verifies (ini_key_auth()
 * over @p idr), the rest as ini_process_auth(); the error notify (> 0) when it has no AUTH,
 * -1 when malformed or the AUTH is wrong.
 */
int ini_process_eap_final(struct ini *in, const uint8_t *buf, size_t len, struct ike_msg *m,
			  const uint8_t *idr, size_t idr_len, const uint8_t *msk, size_t msk_len);

#endif
