/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file proto.h
 * The management protocol between rampartctl (or any client, e.g. socat) and rampartd.
 *
 * One request per connection over a unix stream socket:
 *
 *     client:  status --json\n
 *     server:  OK\n
 *              { ...answer... }
 *              <close>
 *
 * The request is one line of at most MGMT_REQ_MAX bytes (newline excluded; a trailing CR is
 * ignored; end of file also ends it) of at most MGMT_MAX_WORDS words separated by blanks.
 * A word may be written in double quotes to hold blanks, with \" and \\ inside the quotes.
 * The line must be valid UTF-8 without control characters. The word --json, anywhere,
 * asks for a JSON answer instead of text. Command words may be abbreviated to a unique
 * prefix ("stat" for "status").
 *
 * The answer's first line is the outcome, then the body follows until the server closes:
 *
 *   - "OK"            the command ran and what it reports is healthy;
 *   - "FAIL"          the command ran and reports a problem (e.g. status with the
 *                     dataplane down): the body says what;
 *   - "ERR <message>" the request was refused (unknown command, bad arguments, too long,
 *                     garbage, server busy, timeout). With --json the body is
 *                     {"error": "<message>"}, otherwise it is empty.
 *
 * rampartctl maps these to exit codes 0, 1 and 2.
 */
#ifndef RAMPART_CP_MGMT_PROTO_H
#define RAMPART_CP_MGMT_PROTO_H

/** Longest request line, newline excluded. */
#define MGMT_REQ_MAX 4096
/** Most words in a request (command words, arguments and options). */
#define MGMT_MAX_WORDS 32

#define MGMT_STATUS_OK "OK"
#define MGMT_STATUS_FAIL "FAIL"
#define MGMT_STATUS_ERR "ERR"

#endif
