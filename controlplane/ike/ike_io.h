/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ike_io.h
 * The IKEv2 responder inside rampartd: UDP sockets on the IKE port (500) and the NAT-T port
 * (4500, where IKE follows a four-byte zero non-ESP marker, RFC 3948 §2.2), driven by the
 * event loop; the responder (ike_sa.h) with the PSK keyring and the address pools of the
 * "ike" configuration section (ike_conf.h); the dataplane through dpif; and the management
 * commands "show sessions [detail]" and "clear session ID|PEER|all" (text or --json); NAT
 * keepalives when we are behind a NAT (RFC 3948 §2.3). The responder asks the dataplane
 * itself (through dpif) for the SA counters on-demand dead peer detection needs (ike_dpd.h).
 *
 * Configuration: the "ike" section of the main configuration file (ike_conf.h); without
 * it rampartd runs no IKE.
 *
 * Ownership: ike_io_create() borrows the event base and the dpif (both must outlive it) and
 * takes the pools and keyring of @p conf (the caller's struct is cleared).
 * ike_io_destroy() closes the sockets and frees the responder. Single-threaded.
 */
#ifndef RAMPART_IKE_IO_H
#define RAMPART_IKE_IO_H

#include "controlplane/ike/ike_conf.h"

struct event_base;
struct dpif;
struct mgmt;
struct sbuf;
struct json_w;
struct ike_io;
struct rp_msg_sa_stats;

/**
 * Open the sockets and start the responder.
 * @param dp  the dataplane; NULL: use @p dpif (NULL too: no CHILD_SA can be created)
 * @return 0, or -errno (a socket could not be bound: logged with the address).
 */
int ike_io_create(struct event_base *base, struct dpif *dpif, const struct ike_dp_ops *dp,
		  struct ike_conf *conf, struct ike_io **out);
void ike_io_destroy(struct ike_io *io);

/** Register "show sessions" on @p m. */
int ike_io_register(struct ike_io *io, struct mgmt *m);

/** The port actually bound (for port 0 in tests): @p natt selects the NAT-T socket. */
uint16_t ike_io_port(const struct ike_io *io, bool natt);

/** The responder (tests). */
struct ike_resp *ike_io_resp(struct ike_io *io);

/**
 * ike.crypto_threads: the worker threads IKE_SA_INIT's DH runs on (0: the event loop).
 * Signatures (IKE_AUTH, ike_cert.h) get a pool of this size of their own, so that a flood
 * of IKE_SA_INIT cannot starve authentications.
 */
unsigned ike_io_crypto_threads(const struct ike_io *io);

/** Sessions listed by one "show sessions" at most (about 5 MB of JSON): a management answer
 * is bounded (MGMT_OUT_MAX); more are listed page by page with "from". */
#define IKE_SHOW_LIMIT 10000u

/** Which sessions "show sessions" lists: the @p limit lowest session ids from @p from on
 * (limit 0: IKE_SHOW_LIMIT), with details or not. */
struct ike_show_sel {
	bool detail;
	uint32_t from;
	unsigned limit;
};

/** "show sessions" into @p out (text) or @p jw (JSON, when not NULL). */
void ike_io_show(struct ike_io *io, bool detail, struct sbuf *out, struct json_w *jw);

/**
 * "show sessions" with the dataplane counters of the CHILD_SAs: @p sas are the SA_INFO
 * entries of one SA_DUMP (any order). @p sas NULL: the counters are unknown (shown as such:
 * "unknown" in text, null in JSON). ike_io_show() is this with NULL and every session;
 * @p sel NULL: every session, without details.
 * When more sessions follow than @p sel lets through, the answer names the id to go on from
 * (text: a last line "more: show sessions from ID"; JSON: "next_from", else null) and the
 * total ("total").
 */
void ike_io_show_sa(struct ike_io *io, const struct ike_show_sel *sel,
		    const struct rp_msg_sa_stats *sas, unsigned n_sas, struct sbuf *out,
		    struct json_w *jw);

/**
 * "clear session ID|PEER-ADDRESS|all": ike_resp_clear() for the session with that id, every
 * session of that peer address, or all of them; what was cleared into @p out (text) or @p jw
 * (JSON, when not NULL). @return 0 (also when "all" found none); -EINVAL (@p what is none
 * of those) or -ENOENT (no such session), with the reason in @p err.
 */
int ike_io_clear(struct ike_io *io, const char *what, struct sbuf *out, struct json_w *jw,
		 char *err, size_t errlen);

#endif
