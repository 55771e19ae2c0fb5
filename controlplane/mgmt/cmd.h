/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file cmd.h
 * The command table and request-line parsing of the management socket, kept apart from the
 * socket code so that they can be tested alone.
 */
#ifndef RAMPART_CP_MGMT_CMD_H
#define RAMPART_CP_MGMT_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "controlplane/mgmt/mgmt.h"

/** Most words in a command name. */
#define MGMT_CMD_WORDS 4

struct mgmt_cmd_entry {
	const struct mgmt_cmd *cmd;
	void *arg;
	int nwords;
	char *words[MGMT_CMD_WORDS]; /**< the name split into words (owned) */
};

/** Registered commands, in registration order. */
struct mgmt_cmdtab {
	struct mgmt_cmd_entry *v;
	size_t n, cap;
};

void mgmt_cmdtab_init(struct mgmt_cmdtab *t);
void mgmt_cmdtab_free(struct mgmt_cmdtab *t);

/** Add one command (see mgmt_register() for the return codes). */
int mgmt_cmdtab_add(struct mgmt_cmdtab *t, const struct mgmt_cmd *cmd, void *arg);

/**
 * Split a request line in place into words (see proto.h for the syntax).
 *
 * @param line   the line, without its newline; modified (quotes and escapes removed, NULs
 *               written); needs one spare byte at line[len]
 * @param len    its length; at most MGMT_REQ_MAX
 * @param argv   receives pointers into @p line
 * @param max    capacity of argv
 * @return the number of words, or -EINVAL (control character, invalid UTF-8, unterminated
 *         quote) or -E2BIG (too long, too many words), with an explanation in @p err.
 */
int mgmt_split(char *line, size_t len, char **argv, int max, char *err, size_t errlen);

/** Result of parsing a request. */
struct mgmt_parsed {
	const struct mgmt_cmd_entry *entry;
	int argc;     /**< arguments after the command name */
	char **argv;
	bool json;    /**< --json was present (it is removed from the arguments) */
};

/**
 * Split @p line, remove --json, find the command (exact words first, else unique prefixes;
 * the longest matching name wins) and check the argument count.
 * @return 0, or -errno with the message for the client in @p err ("unknown command 'x';
 *         'help' lists the commands", "ambiguous ...", "usage: ...", the split errors).
 *         If the line could be split, p->json tells whether --json was present even on
 *         error, so the error can be answered in JSON.
 */
int mgmt_parse(const struct mgmt_cmdtab *t, char *line, size_t len, char **words, int max,
	       struct mgmt_parsed *p, char *err, size_t errlen);

#endif
