/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file ctl.h
 * rampart-dp's end of the control channel, run by the main lcore.
 *
 * Commands are taken from the command ring and dispatched through one table (ctl.c) to their
 * handlers; every command is answered: an ACK (0, or -errno and a reason), a PONG, or a dump
 * (PORT_INFO / SA_INFO / DROP_INFO ... DUMP_END). SA and route commands are applied to the SA database
 * (sad.h) before they are acknowledged. An SA dump is streamed as the event ring drains;
 * no command is taken until it has ended.
 * A command that fails validation is answered by an ERROR event. When the event ring is full,
 * answers wait in a small queue here and no further command is taken until they are out, so
 * no answer is ever dropped (a drop could only follow a bug, and is counted and logged).
 *
 * Ownership: dp_ctl_open() returns a handle owned by the caller, freed by dp_ctl_close();
 * it keeps a pointer to @p app, which must outlive it.
 */
#ifndef RAMPART_DATAPLANE_CTL_H
#define RAMPART_DATAPLANE_CTL_H

#include <stdbool.h>
#include <stdint.h>

struct dp_app;
struct dp_ctl;

/**
 * Attach to the control region @p path as RP_ROLE_DP (creating it with @p slots slots if it
 * does not exist). Logs the attach: region, epoch, whether rampartd is attached.
 * @return 0 and *out, or the -errno of rp_chan_open() with its explanation logged
 *         (-EPROTO: the region was made by a build with another message version).
 */
int dp_ctl_open(struct dp_app *app, const char *path, uint32_t slots, struct dp_ctl **out);

/** Detach from the region (it stays for the next rampart-dp) and free. NULL is allowed. */
void dp_ctl_close(struct dp_ctl *ctl);

/**
 * One round: heartbeat, send waiting answers, then take and handle up to @p budget
 * commands. @return the number of messages handled or sent (0: nothing to do).
 */
unsigned int dp_ctl_poll(struct dp_ctl *ctl, unsigned int budget);

struct rp_msg_lifetime;

/**
 * Report an SA's lifetime event (unsolicited LIFETIME, ref 0) if the event ring has room.
 * @return false when it has none (or no channel): the caller retries later.
 */
bool dp_ctl_lifetime(struct dp_ctl *ctl, const struct rp_msg_lifetime *ev);

/** Slow housekeeping (about once a second): log rampartd attaching, detaching, restarting. */
void dp_ctl_tick(struct dp_ctl *ctl);

#endif
