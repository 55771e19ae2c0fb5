/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Command table and request-line parsing of the management socket (see cmd.h). */
#include "controlplane/mgmt/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/util/utf8.h"

void mgmt_cmdtab_init(struct mgmt_cmdtab *t)
{
	memset(t, 0, sizeof(*t));
}

static void entry_free(struct mgmt_cmd_entry *e)
{
	for (int i = 0; i < e->nwords; i++)
		free(e->words[i]);
}

void mgmt_cmdtab_free(struct mgmt_cmdtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		entry_free(&t->v[i]);
	free(t->v);
	mgmt_cmdtab_init(t);
}

static bool same_name(const struct mgmt_cmd_entry *a, const struct mgmt_cmd_entry *b)
{
	if (a->nwords != b->nwords)
		return false;
	for (int i = 0; i < a->nwords; i++)
		if (strcmp(a->words[i], b->words[i]))
			return false;
	return true;
}

int mgmt_cmdtab_add(struct mgmt_cmdtab *t, const struct mgmt_cmd *cmd, void *arg)
{
	struct mgmt_cmd_entry e = { .cmd = cmd, .arg = arg };
	const char *p;
	int rc = -EINVAL;

	if (!cmd->name || !cmd->fn || cmd->min_args < 0 ||
	    (cmd->max_args >= 0 && cmd->max_args < cmd->min_args))
		goto out;
	for (p = cmd->name; *p;) {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (!n)
			break;
		/* Names are words an operator types: no quotes, no option look-alikes. */
		if (e.nwords == MGMT_CMD_WORDS || p[0] == '-' || memchr(p, '"', n))
			goto out;
		e.words[e.nwords] = strndup(p, n);
		if (!e.words[e.nwords]) {
			rc = -ENOMEM;
			goto out;
		}
		e.nwords++;
		p += n;
	}
	if (!e.nwords)
		goto out;
	for (size_t i = 0; i < t->n; i++) {
		if (same_name(&t->v[i], &e)) {
			rc = -EEXIST;
			goto out;
		}
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct mgmt_cmd_entry *v = realloc(t->v, cap * sizeof(*v));

		if (!v) {
			rc = -ENOMEM;
			goto out;
		}
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = e;
	return 0;
out:
	entry_free(&e);
	return rc;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int mgmt_split(char *line, size_t len, char **argv, int max, char *err, size_t errlen)
{
	size_t i = 0;
	int argc = 0;

	if (len > MGMT_REQ_MAX) {
		snprintf(err, errlen, "request longer than %d bytes", MGMT_REQ_MAX);
		return -E2BIG;
	}
	/* Validate the whole line first, so that errors name the offending byte. */
	while (i < len) {
		unsigned char c = line[i];
		uint32_t cp;
		size_t n;

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			snprintf(err, errlen,
				 "control character 0x%02x at byte %zu: send one line of words, e.g. 'status'",
				 c, i + 1);
			return -EINVAL;
		}
		n = utf8_decode((const unsigned char *)line + i, len - i, &cp);
		if (!n) {
			snprintf(err, errlen, "invalid UTF-8 at byte %zu", i + 1);
			return -EINVAL;
		}
		i += n;
	}
	line[len] = '\0';

	char *r = line, *w;

	for (;;) {
		while (is_blank(*r))
			r++;
		if (!*r)
			break;
		if (argc == max) {
			snprintf(err, errlen, "more than %d words", max);
			return -E2BIG;
		}
		/* Copy the word down over itself, unquoting as we go (w never passes r). */
		w = r;
		argv[argc++] = w;
		while (*r && !is_blank(*r)) {
			if (*r != '"') {
				*w++ = *r++;
				continue;
			}
			char *open = r++;

			while (*r && *r != '"') {
				if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
					r++;
				*w++ = *r++;
			}
			if (!*r) {
				snprintf(err, errlen, "unterminated quote at byte %zu",
					 (size_t)(open - line) + 1);
				return -EINVAL;
			}
			r++; /* closing quote */
		}
		bool end = !*r;

		*w = '\0';
		if (end)
			break;
		r++;
	}
	return argc;
}

/* Does request word @word select command word @name (exactly or as a prefix)? */
static bool word_match(const char *word, const char *name, bool exact)
{
	return exact ? !strcmp(word, name) : !strncmp(word, name, strlen(word));
}

static void list_choices(char *err, size_t errlen, const struct mgmt_cmdtab *t,
			 const bool *cand, int upto)
{
	size_t off = strlen(err);

	for (size_t i = 0; i < t->n && off < errlen; i++) {
		if (!cand[i])
			continue;
		const struct mgmt_cmd_entry *e = &t->v[i];
		int n = snprintf(err + off, errlen - off, "%s", off && err[off - 1] != ' ' ? ", " : "");

		off += n > 0 ? n : 0;
		for (int k = 0; k < e->nwords && k <= upto && off < errlen; k++) {
			n = snprintf(err + off, errlen - off, "%s%s", k ? " " : "", e->words[k]);
			off += n > 0 ? n : 0;
		}
	}
}

int mgmt_parse(const struct mgmt_cmdtab *t, char *line, size_t len, char **words, int max,
	       struct mgmt_parsed *p, char *err, size_t errlen)
{
	bool *cand = NULL, *next = NULL;
	int n, argc = 0, rc = -EINVAL;
	const struct mgmt_cmd_entry *best = NULL;

	memset(p, 0, sizeof(*p));
	n = mgmt_split(line, len, words, max, err, errlen);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (!strcmp(words[i], "--json"))
			p->json = true;
		else
			words[argc++] = words[i];
	}
	if (!argc) {
		snprintf(err, errlen, "empty request; 'help' lists the commands");
		return -EINVAL;
	}

	cand = calloc(t->n + 1, sizeof(*cand));
	next = calloc(t->n + 1, sizeof(*next));
	if (!cand || !next) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < t->n; i++)
		cand[i] = true;

	/* Narrow the candidates word by word; remember the longest name fully matched. */
	int pos;

	for (pos = 0;; pos++) {
		size_t n_next = 0;

		for (size_t i = 0; i < t->n; i++)
			if (cand[i] && t->v[i].nwords == pos)
				best = &t->v[i];
		if (pos == argc)
			break;
		for (int exact = 1; exact >= 0 && !n_next; exact--) {
			for (size_t i = 0; i < t->n; i++) {
				next[i] = cand[i] && t->v[i].nwords > pos &&
					  word_match(words[pos], t->v[i].words[pos], exact);
				n_next += next[i];
			}
		}
		if (!n_next)
			break;

		/* Several different words start with what was typed: ambiguous. */
		const char *w0 = NULL;
		bool ambiguous = false;

		for (size_t i = 0; i < t->n; i++) {
			if (!next[i])
				continue;
			if (w0 && strcmp(w0, t->v[i].words[pos]))
				ambiguous = true;
			w0 = t->v[i].words[pos];
		}
		if (ambiguous && !best) {
			snprintf(err, errlen, "ambiguous command '%s': ", words[pos]);
			list_choices(err, errlen, t, next, pos);
			goto out;
		}
		if (ambiguous)
			break;
		memcpy(cand, next, t->n * sizeof(*cand));
	}

	if (!best) {
		char typed[128] = "";
		size_t off = 0;

		for (int k = 0; k <= pos && k < argc && off < sizeof(typed); k++)
			off += snprintf(typed + off, sizeof(typed) - off, "%s%s", k ? " " : "",
					words[k]);
		if (pos == 0)
			snprintf(err, errlen, "unknown command '%s'; 'help' lists the commands",
				 typed);
		else
			snprintf(err, errlen, "%s command '%s'; one of: ",
				 pos < argc ? "unknown" : "incomplete", typed);
		if (pos > 0)
			list_choices(err, errlen, t, cand, MGMT_CMD_WORDS);
		goto out;
	}

	const struct mgmt_cmd *c = best->cmd;

	p->entry = best;
	p->argc = argc - best->nwords;
	p->argv = words + best->nwords;
	if (p->argc < c->min_args || (c->max_args >= 0 && p->argc > c->max_args)) {
		snprintf(err, errlen, "usage: %s%s%s", c->name, c->usage && *c->usage ? " " : "",
			 c->usage ? c->usage : "");
		p->entry = NULL;
		goto out;
	}
	rc = 0;
out:
	free(cand);
	free(next);
	return rc;
}
