/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file mgmt.h
 * The management socket of rampartd and its command table.
 *
 * Subsystems register commands (name, usage, help, handler). A request (see proto.h) is read
 * without blocking, parsed against the table, and handed to the handler, which writes its
 * answer into the request's buffer and finishes it with mgmt_req_done() or mgmt_req_error(),
 * either before returning or later from a callback (e.g. after a round trip through the
 * dataplane channel). Other clients are served meanwhile.
 *
 * Limits: MGMT_REQ_MAX bytes per request, MGMT_MAX_CLIENTS connections at once (one more is
 * told "ERR busy" and closed), MGMT_READ_TIMEOUT_S to send the request, MGMT_RUN_TIMEOUT_S
 * for a command to finish, MGMT_OUT_MAX bytes of answer.
 */
#ifndef RAMPART_CP_MGMT_H
#define RAMPART_CP_MGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controlplane/mgmt/json.h"
#include "controlplane/mgmt/proto.h"
#include "controlplane/util/sbuf.h"

struct event_base;
struct mgmt;
struct mgmt_client;

#define MGMT_MAX_CLIENTS 16
#define MGMT_READ_TIMEOUT_S 5
#define MGMT_WRITE_TIMEOUT_S 10
#define MGMT_RUN_TIMEOUT_S 30
#define MGMT_OUT_MAX (16u << 20)

/** Outcome of a command that ran (see proto.h). */
enum mgmt_result {
	MGMT_OK = 0,
	MGMT_FAIL = 1,
};

struct mgmt_req;

/**
 * Command handler. It must finish @p req exactly once, with mgmt_req_done() or
 * mgmt_req_error(), before returning or later. Returning -errno without having finished it
 * answers "ERR <command>: <strerror>".
 */
typedef int (*mgmt_handler_fn)(struct mgmt_req *req, void *arg);

/** One command. Tables are arrays; the strings must outlive the registration. */
struct mgmt_cmd {
	const char *name;  /**< one or more words: "status", "show sessions" */
	const char *usage; /**< arguments, for help and errors: "", "[NAME]", "ID" */
	const char *help;  /**< one line */
	mgmt_handler_fn fn;
	int min_args;      /**< arguments after the name */
	int max_args;      /**< -1 = any number */
};

/** A request being served. Handlers read the public part and write into out / jw. */
struct mgmt_req {
	int argc;                   /**< arguments after the command name */
	char **argv;                /**< argc words, NUL-terminated, owned by the request */
	bool json;                  /**< the client asked for JSON: write through jw */
	struct sbuf out;            /**< body of the answer (text mode) */
	struct json_w jw;           /**< writer on out (JSON mode); opened by the handler */
	const struct mgmt_cmd *cmd; /**< the command being run */

	/* private to mgmt.c */
	struct mgmt *m;
	struct mgmt_client *client; /**< NULL once the client is gone or was answered */
	bool finished;
	char line[MGMT_REQ_MAX + 1];
	char *words[MGMT_MAX_WORDS];
};

/**
 * Listen on @p path (unix stream socket, mode 0600). An existing socket file is replaced only
 * if nobody accepts connections on it; any other existing file is an error.
 * @return 0 and *out (caller owns; mgmt_destroy()), or -errno with a message in @p err:
 *         -EADDRINUSE another process listens there, -EEXIST not a socket, others from
 *         socket()/bind()/listen().
 */
int mgmt_create(struct event_base *base, const char *path, struct mgmt **out, char *err,
		size_t errlen);

/**
 * Close the listener and every connection, remove the socket file (if it is still ours) and
 * free @p m. Requests whose handlers have not finished stay allocated until they do, then
 * are freed silently. NULL is allowed.
 */
void mgmt_destroy(struct mgmt *m);

/**
 * Add @p n commands; @p arg is passed to their handlers. The built-in "help" is always
 * present. @return 0, -EEXIST if a name is taken, -EINVAL for a malformed entry, -ENOMEM.
 */
int mgmt_register(struct mgmt *m, const struct mgmt_cmd *cmds, size_t n, void *arg);

/** Finish a request: send the outcome line and the body. */
void mgmt_req_done(struct mgmt_req *req, enum mgmt_result res);

/** Finish a request with "ERR <message>" (the body written so far is discarded). */
void mgmt_req_error(struct mgmt_req *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Number of connections being served (for tests and status). */
unsigned mgmt_clients(const struct mgmt *m);

/** Path the server listens on. */
const char *mgmt_path(const struct mgmt *m);

#endif
