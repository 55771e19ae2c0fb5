/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The local user base (local_users.h): aaa.local_users and aaa.local_users_file. */
#include "controlplane/aaa/local_users.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"

struct local_users {
	unsigned n, cap;
	struct local_user *u;
	char (*where)[300];   /**< "FILE:LINE" of each user, for duplicate messages */
};

static const config_setting_t *aaa_root(const struct rp_cfg *c)
{
	return rp_cfg_get(rp_cfg_root(c), "aaa");
}

bool local_users_configured(const struct rp_cfg *c)
{
	const config_setting_t *a = aaa_root(c);

	return rp_cfg_get(a, "local_users") || rp_cfg_get(a, "local_users_file");
}

/* A problem of the users file, reported like rp_cfg_error() does. */
static void ferror_at(struct rp_cfg *c, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void ferror_at(struct rp_cfg *c, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[600], out[1000];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(out, sizeof(out), "%s:%u: %s", file, line, msg);
	else
		snprintf(out, sizeof(out), "%s: %s", file, msg);
	if (c->n_errors++ == 0)
		snprintf(c->err, sizeof(c->err), "%s", out);
	rp_log(RP_LOG_ERR, "config", "%s", out);
}

/* NULL if @p name is a valid user name, else what is wrong with it. */
static const char *bad_name(const char *name, size_t len)
{
	if (!len)
		return "empty user name";
	if (len > LOCAL_USER_NAME_MAX)
		return "user name longer than 64 characters";
	for (size_t i = 0; i < len; i++)
		if (name[i] <= 0x20 || name[i] >= 0x7f || name[i] == ':')
			return "user name with a blank, a ':' or a non-printable character";
	return NULL;
}

static const char *bad_password(const char *pw, size_t len)
{
	if (!len)
		return "empty password";
	if (len > LOCAL_USER_PASSWORD_MAX)
		return "password longer than 128 octets";
	if (memchr(pw, 0, len))
		return "password with a NUL octet";
	return NULL;
}

static int find_idx(const struct local_users *u, const char *name, size_t len)
{
	for (unsigned i = 0; u && i < u->n; i++)
		if (u->u[i].name_len == len && !memcmp(u->u[i].name, name, len))
			return (int)i;
	return -1;
}

/* Add one user (validated by the caller). @return 0, -EEXIST (*@p prev: where), -ENOSPC. */
static int add(struct local_users *u, const char *name, size_t nlen, const char *pw,
	       size_t plen, const char *where, const char **prev)
{
	int k = find_idx(u, name, nlen);
	struct local_user *e;

	if (k >= 0) {
		*prev = u->where[k];
		return -EEXIST;
	}
	if (u->n == LOCAL_USERS_MAX)
		return -ENOSPC;
	if (u->n == u->cap) {
		unsigned cap = u->cap ? u->cap * 2 : 16;
		struct local_user *nu = calloc(cap, sizeof(*nu));
		char (*nw)[300] = calloc(cap, sizeof(*nw));

		if (!nu || !nw) {
			free(nu);
			free(nw);
			return -ENOMEM;
		}
		if (u->n) {
			memcpy(nu, u->u, u->n * sizeof(*nu));
			memcpy(nw, u->where, u->n * sizeof(*nw));
			OPENSSL_cleanse(u->u, u->cap * sizeof(*u->u));
		}
		free(u->u);
		free(u->where);
		u->u = nu;
		u->where = nw;
		u->cap = cap;
	}
	e = &u->u[u->n];
	memcpy(e->name, name, nlen);
	e->name[nlen] = 0;
	e->name_len = nlen;
	memcpy(e->password, pw, plen);
	e->password_len = plen;
	snprintf(u->where[u->n], sizeof(u->where[0]), "%s", where);
	u->n++;
	return 0;
}

static void from_section(struct rp_cfg *c, struct local_users *u, const config_setting_t *l)
{
	for (int i = 0; i < rp_cfg_count(l); i++) {
		const config_setting_t *e = rp_cfg_elem(l, i);
		const char *name = rp_cfg_str(e, "name", ""), *pw = rp_cfg_str(e, "password", "");
		const char *why, *prev = NULL, *file;
		char where[300];
		int rc;

		if ((why = bad_name(name, strlen(name)))) {
			rp_cfg_error(c, rp_cfg_get(e, "name"), "%s", why);
			continue;
		}
		if ((why = bad_password(pw, strlen(pw)))) {
			rp_cfg_error(c, rp_cfg_get(e, "password"), "%s", why);
			continue;
		}
		file = config_setting_source_file(e) ? config_setting_source_file(e) : c->source;
		snprintf(where, sizeof(where), "%s:%u", file, config_setting_source_line(e));
		rc = add(u, name, strlen(name), pw, strlen(pw), where, &prev);
		if (rc == -EEXIST)
			rp_cfg_error(c, rp_cfg_get(e, "name"), "user \"%s\" is already defined at %s",
				     name, prev);
		else if (rc == -ENOSPC)
			rp_cfg_error(c, e, "more than %u local users", LOCAL_USERS_MAX);
		else if (rc)
			rp_cfg_error(c, e, "%s", strerror(-rc));
	}
}

/* Read the whole file (bounded) into a NUL-terminated buffer the caller wipes and frees. */
static char *slurp(struct rp_cfg *c, const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		ferror_at(c, path, 0, "cannot open the local users file: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		ferror_at(c, path, 0, "not a regular file");
		goto out;
	}
	if (st.st_size > (off_t)LOCAL_USERS_FILE_MAX) {
		ferror_at(c, path, 0, "larger than %u octets", LOCAL_USERS_FILE_MAX);
		goto out;
	}
	if (st.st_mode & S_IROTH)
		RP_WARN("config", "%s: the local users file is readable by everyone (chmod o-r)",
			path);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ferror_at(c, path, 0, "out of memory");
		goto out;
	}
	while (off < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	buf[off] = 0;
	*len = off;
out:
	close(fd);
	return buf;
}

static void from_file(struct rp_cfg *c, struct local_users *u, const char *path)
{
	size_t len = 0;
	char *buf = slurp(c, path, &len), *p, *end;
	unsigned line = 0;

	if (!buf)
		return;
	for (p = buf; p < buf + len; p = end + 1) {
		char *colon, where[300];
		const char *why, *prev = NULL;
		size_t ll, nlen, plen;
		int rc;

		end = memchr(p, '\n', (size_t)(buf + len - p));
		if (!end)
			end = buf + len;
		line++;
		ll = (size_t)(end - p);
		if (ll && p[ll - 1] == '\r')
			ll--;
		if (!ll || p[0] == '#')
			continue;
		if (memchr(p, 0, ll)) {
			ferror_at(c, path, line, "NUL octet in the line");
			continue;
		}
		colon = memchr(p, ':', ll);
		if (!colon) {
			ferror_at(c, path, line, "expected name:password");
			continue;
		}
		nlen = (size_t)(colon - p);
		plen = ll - nlen - 1;
		if ((why = bad_name(p, nlen)) || (why = bad_password(colon + 1, plen))) {
			ferror_at(c, path, line, "%s", why);
			continue;
		}
		snprintf(where, sizeof(where), "%s:%u", path, line);
		rc = add(u, p, nlen, colon + 1, plen, where, &prev);
		if (rc == -EEXIST)
			ferror_at(c, path, line, "user \"%.*s\" is already defined at %s", (int)nlen, p,
				  prev);
		else if (rc == -ENOSPC) {
			ferror_at(c, path, line, "more than %u local users", LOCAL_USERS_MAX);
			break;
		} else if (rc)
			ferror_at(c, path, line, "%s", strerror(-rc));
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
}

int local_users_load(struct rp_cfg *c, struct local_users **out)
{
	const config_setting_t *a = aaa_root(c), *l = rp_cfg_get(a, "local_users");
	const char *file = rp_cfg_str(a, "local_users_file", NULL);
	int before = c->n_errors;
	struct local_users *u;

	if (out)
		*out = NULL;
	if (!l && !file)
		return 0;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	from_section(c, u, l);
	if (file)
		from_file(c, u, file);
	if (c->n_errors > before || !out) {
		local_users_free(u);
		return c->n_errors > before ? -EINVAL : 0;
	}
	*out = u;
	return 0;
}

const struct local_user *local_users_find(const struct local_users *u, const uint8_t *name,
					  size_t len)
{
	int k = find_idx(u, (const char *)name, len);

	return k < 0 ? NULL : &u->u[k];
}

unsigned local_users_count(const struct local_users *u)
{
	return u ? u->n : 0;
}

void local_users_free(struct local_users *u)
{
	if (!u)
		return;
	if (u->u)
		OPENSSL_cleanse(u->u, u->cap * sizeof(*u->u));
	free(u->u);
	free(u->where);
	free(u);
}
