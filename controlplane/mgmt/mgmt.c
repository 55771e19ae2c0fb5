/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* The management socket: accepts clients, reads one request each, runs it, answers. */
#include "controlplane/mgmt/mgmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "common/log.h"
#include "controlplane/mgmt/cmd.h"

#define COMP "mgmt"

enum client_state {
	CL_READING,  /* waiting for the request line */
	CL_RUNNING,  /* handler working */
	CL_WRITING,  /* answer queued, close once it is sent */
};

struct mgmt_client {
	TAILQ_ENTRY(mgmt_client) link;
	struct mgmt *m;
	struct bufferevent *bev;
	struct event *run_timer;
	struct mgmt_req *req;
	enum client_state state;
};

struct mgmt {
	struct event_base *base;
	struct evconnlistener *lev;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	struct mgmt_cmdtab tab;
	TAILQ_HEAD(, mgmt_client) clients;
	unsigned n_clients;
};

static int cmd_help(struct mgmt_req *req, void *arg);

static const struct mgmt_cmd builtin_cmds[] = {
	{ "help", "", "list the commands", cmd_help, 0, 0 },
};

/* ---- connections ------------------------------------------------------------------------ */

static void req_free(struct mgmt_req *req)
{
	sbuf_free(&req->out);
	free(req);
}

/*
 * Close a connection. Unread input is drained first: closing a unix socket with unread data
 * makes the peer's next read fail with ECONNRESET instead of delivering our error line.
 */
static void client_free(struct mgmt_client *c)
{
	struct mgmt *m = c->m;
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	char sink[4096];

	if (fd >= 0) {
		shutdown(fd, SHUT_WR);
		for (int i = 0; i < 16 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
			;
	}
	/* A handler still running frees its request when it finishes. */
	if (c->req)
		c->req->client = NULL;
	TAILQ_REMOVE(&m->clients, c, link);
	m->n_clients--;
	if (c->run_timer)
		event_free(c->run_timer);
	bufferevent_free(c->bev);
	free(c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct mgmt_client *c = arg;

	(void)bev;
	if (c->state == CL_WRITING)
		client_free(c);
}

/* Queue the outcome line and body; the connection closes once they are sent. */
static void client_answer(struct mgmt_client *c, const char *status, const char *body,
			  size_t len)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	bufferevent_disable(c->bev, EV_READ);
	if (c->run_timer)
		event_del(c->run_timer);
	c->state = CL_WRITING;
	evbuffer_add_printf(out, "%s\n", status);
	if (len)
		evbuffer_add(out, body, len);
	/* Nothing queued means bufferevent would never call on_write. */
	if (evbuffer_get_length(out) == 0)
		client_free(c);
}

/* Answer "ERR msg" (and {"error": msg} in JSON mode). */
static void client_error(struct mgmt_client *c, bool json, const char *msg)
{
	struct sbuf body;
	struct sbuf status;

	sbuf_init(&body, MGMT_REQ_MAX * 2);
	sbuf_init(&status, MGMT_REQ_MAX * 2);
	sbuf_printf(&status, "%s ", MGMT_STATUS_ERR);
	/* The status line is one line whatever the message holds. */
	for (const char *p = msg; *p; p++)
		sbuf_addc(&status, (*p == '\n' || *p == '\r') ? ' ' : *p);
	if (json) {
		struct json_w w;

		json_init(&w, &body, true);
		json_obj_open(&w);
		json_kv_str(&w, "error", msg);
		json_obj_close(&w);
		json_finish(&w);
	}
	client_answer(c, sbuf_str(&status), sbuf_str(&body), body.len);
	sbuf_free(&status);
	sbuf_free(&body);
}

static void on_run_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct mgmt_client *c = arg;
	struct mgmt_req *req = c->req;

	(void)fd;
	(void)what;
	RP_WARN(COMP, "command '%s' did not finish within %d s", req->cmd->name,
		MGMT_RUN_TIMEOUT_S);
	/* Detach: the handler may still finish later and will then free the request. */
	req->client = NULL;
	c->req = NULL;
	client_error(c, req->json, "command did not complete in time");
}

static void run_request(struct mgmt_client *c, char *line, size_t len)
{
	struct mgmt *m = c->m;
	struct mgmt_req *req;
	struct mgmt_parsed p;
	char err[512];
	int rc;

	req = calloc(1, sizeof(*req));
	if (!req) {
		client_error(c, false, "out of memory");
		return;
	}
	memcpy(req->line, line, len);
	rc = mgmt_parse(&m->tab, req->line, len, req->words, MGMT_MAX_WORDS, &p, err,
			sizeof(err));
	if (rc) {
		RP_DEBUG(COMP, "refused request: %s", err);
		client_error(c, p.json, err);
		free(req);
		return;
	}
	req->m = m;
	req->client = c;
	req->argc = p.argc;
	req->argv = p.argv;
	req->json = p.json;
	req->cmd = p.entry->cmd;
	sbuf_init(&req->out, MGMT_OUT_MAX);
	json_init(&req->jw, &req->out, true);
	c->req = req;
	c->state = CL_RUNNING;
	bufferevent_disable(c->bev, EV_READ);
	c->run_timer = evtimer_new(m->base, on_run_timeout, c);
	if (c->run_timer) {
		struct timeval tv = { MGMT_RUN_TIMEOUT_S, 0 };

		evtimer_add(c->run_timer, &tv);
	}

	RP_DEBUG(COMP, "running '%s' (%d args%s)", req->cmd->name, req->argc,
		 req->json ? ", json" : "");
	rc = req->cmd->fn(req, p.entry->arg);
	if (rc < 0 && !req->finished)
		mgmt_req_error(req, "%s: %s", req->cmd->name, strerror(-rc));
}

static void try_request(struct mgmt_client *c, bool eof)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t avail = evbuffer_get_length(in);
	size_t len;
	char line[MGMT_REQ_MAX + 2];

	struct evbuffer_ptr nl = evbuffer_search(in, "\n", 1, NULL);
	size_t scan = nl.pos >= 0 ? (size_t)nl.pos : avail;
	const unsigned char *p = evbuffer_pullup(in, scan < sizeof(line) ? scan : sizeof(line));

	/*
	 * A control character cannot be part of a request: answer at once rather than wait for
	 * a newline that binary garbage (a TLS ClientHello, say) may never contain.
	 */
	for (size_t i = 0; p && i < scan && i < MGMT_REQ_MAX; i++) {
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\r') || p[i] == 0x7f ||
		    (p[i] == '\r' && i + 1 < scan)) {
			evbuffer_copyout(in, line, i + 1);
			evbuffer_drain(in, avail);
			run_request(c, line, i + 1);
			return;
		}
	}
	if (nl.pos >= 0) {
		len = nl.pos;
	} else if (avail > MGMT_REQ_MAX + 1) {
		/* No newline within the limit (+1 for a CR): no valid request can follow. */
		len = avail;
	} else if (eof && avail) {
		len = avail; /* a last line without newline */
	} else {
		if (eof)
			client_free(c);
		return;
	}
	if (len > MGMT_REQ_MAX + 1) {
		char msg[96];

		snprintf(msg, sizeof(msg), "request longer than %d bytes", MGMT_REQ_MAX);
		client_error(c, false, msg);
		return;
	}
	evbuffer_copyout(in, line, len);
	evbuffer_drain(in, avail);
	if (len && line[len - 1] == '\r')
		len--;
	if (len > MGMT_REQ_MAX) {
		char msg[96];

		snprintf(msg, sizeof(msg), "request longer than %d bytes", MGMT_REQ_MAX);
		client_error(c, false, msg);
		return;
	}
	run_request(c, line, len);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct mgmt_client *c = arg;

	(void)bev;
	if (c->state == CL_READING)
		try_request(c, false);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct mgmt_client *c = arg;

	(void)bev;
	if (c->state == CL_READING && (what & BEV_EVENT_EOF)) {
		try_request(c, true);
		return;
	}
	if (c->state == CL_READING && (what & BEV_EVENT_TIMEOUT)) {
		char msg[96];

		snprintf(msg, sizeof(msg), "no complete request line within %d s",
			 MGMT_READ_TIMEOUT_S);
		client_error(c, false, msg);
		return;
	}
	if (c->state == CL_RUNNING) {
		/* Keep the request: its handler still runs and will find the client gone. */
		if (c->req)
			c->req->client = NULL;
		c->req = NULL;
	}
	client_free(c);
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	struct mgmt *m = arg;
	struct mgmt_client *c;
	struct timeval rtv = { MGMT_READ_TIMEOUT_S, 0 }, wtv = { MGMT_WRITE_TIMEOUT_S, 0 };

	(void)lev;
	(void)sa;
	(void)salen;
	if (m->n_clients >= MGMT_MAX_CLIENTS) {
		static const char busy[] = MGMT_STATUS_ERR " busy: too many management clients, try again\n";

		RP_LOG_RL(RP_LOG_WARN, COMP, "refusing client: %u connections already",
			  m->n_clients);
		/* Best effort: a fresh socket's buffer takes one short line without blocking. */
		if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			RP_DEBUG(COMP, "busy answer: %s", strerror(errno));
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->m = m;
	c->bev = bufferevent_socket_new(m->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev)
		goto fail;
	c->state = CL_READING;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	/* Stop reading once more than a request's worth is buffered. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, MGMT_REQ_MAX + 2);
	bufferevent_set_timeouts(c->bev, &rtv, &wtv);
	bufferevent_enable(c->bev, EV_READ);
	TAILQ_INSERT_TAIL(&m->clients, c, link);
	m->n_clients++;
	return;
fail:
	RP_ERR(COMP, "cannot serve a client: out of memory");
	free(c);
	close(fd);
}

static void on_listen_error(struct evconnlistener *lev, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();

	(void)lev;
	(void)arg;
	/* EMFILE and friends: keep running, clients will be accepted again later. */
	RP_LOG_RL(RP_LOG_ERR, COMP, "accept: %s", evutil_socket_error_to_string(e));
}

/* ---- requests --------------------------------------------------------------------------- */

static void req_finish(struct mgmt_req *req, const char *status, const struct sbuf *body)
{
	struct mgmt_client *c = req->client;

	req->finished = true;
	if (!c) {
		req_free(req);
		return;
	}
	c->req = NULL;
	req->client = NULL;
	client_answer(c, status, sbuf_str(body), body->len);
	req_free(req);
}

void mgmt_req_done(struct mgmt_req *req, enum mgmt_result res)
{
	if (req->finished) {
		RP_ERR(COMP, "bug: command '%s' finished twice", req->cmd->name);
		return;
	}
	int e = req->json ? json_finish(&req->jw) : 0;

	if (e == -EINVAL) {
		mgmt_req_error(req, "internal error: '%s' produced malformed JSON", req->cmd->name);
		return;
	}
	if (sbuf_error(&req->out)) {
		mgmt_req_error(req, "answer too large (%s)", strerror(-sbuf_error(&req->out)));
		return;
	}
	if (!req->json && req->out.len && sbuf_str(&req->out)[req->out.len - 1] != '\n')
		sbuf_addc(&req->out, '\n');
	req_finish(req, res == MGMT_OK ? MGMT_STATUS_OK : MGMT_STATUS_FAIL, &req->out);
}

void mgmt_req_error(struct mgmt_req *req, const char *fmt, ...)
{
	struct mgmt_client *c = req->client;
	char msg[1024];
	va_list ap;

	if (req->finished) {
		RP_ERR(COMP, "bug: command '%s' finished twice", req->cmd ? req->cmd->name : "?");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	req->finished = true;
	if (c) {
		c->req = NULL;
		req->client = NULL;
		client_error(c, req->json, msg);
	}
	req_free(req);
}

/* ---- built-in commands ------------------------------------------------------------------ */

static int cmd_help(struct mgmt_req *req, void *arg)
{
	struct mgmt *m = arg;

	if (req->json) {
		json_obj_open(&req->jw);
		json_key(&req->jw, "commands");
		json_arr_open(&req->jw);
	} else {
		sbuf_adds(&req->out, "Commands (add --json to any command for JSON output):\n");
	}
	for (size_t i = 0; i < m->tab.n; i++) {
		const struct mgmt_cmd *c = m->tab.v[i].cmd;

		if (req->json) {
			json_obj_open(&req->jw);
			json_kv_str(&req->jw, "name", c->name);
			json_kv_str(&req->jw, "usage", c->usage ? c->usage : "");
			json_kv_str(&req->jw, "help", c->help ? c->help : "");
			json_obj_close(&req->jw);
		} else {
			char syn[128];

			snprintf(syn, sizeof(syn), "%s%s%s", c->name,
				 c->usage && *c->usage ? " " : "", c->usage ? c->usage : "");
			sbuf_printf(&req->out, "  %-28s %s\n", syn, c->help ? c->help : "");
		}
	}
	if (req->json) {
		json_arr_close(&req->jw);
		json_obj_close(&req->jw);
	}
	mgmt_req_done(req, MGMT_OK);
	return 0;
}

/* ---- listener --------------------------------------------------------------------------- */

/* Is a server accepting on @path? (connect() succeeds only if one listens.) */
static bool someone_listens(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bool yes;

	if (fd < 0)
		return false;
	/* Non-blocking: a listener with a full backlog answers EAGAIN instead of hanging us. */
	yes = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 || errno == EAGAIN;
	close(fd);
	return yes;
}

int mgmt_create(struct event_base *base, const char *path, struct mgmt **out, char *err,
		size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct mgmt *m = NULL;
	struct stat st;
	mode_t old_mask;
	int fd = -1, rc;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "management socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);

	m = calloc(1, sizeof(*m));
	if (!m) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	m->base = base;
	snprintf(m->path, sizeof(m->path), "%s", path);
	TAILQ_INIT(&m->clients);
	mgmt_cmdtab_init(&m->tab);
	rc = mgmt_cmdtab_add(&m->tab, &builtin_cmds[0], m);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			rc = -EEXIST;
			snprintf(err, errlen, "%s exists and is not a socket; remove it or set "
				 "management.socket", path);
			goto out;
		}
		if (someone_listens(&sun)) {
			rc = -EADDRINUSE;
			snprintf(err, errlen, "another process (a running rampartd?) listens on %s",
				 path);
			goto out;
		}
		RP_INFO(COMP, "removing stale socket %s", path);
		if (unlink(path) && errno != ENOENT) {
			rc = -errno;
			snprintf(err, errlen, "cannot remove stale socket %s: %s", path,
				 strerror(errno));
			goto out;
		}
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto out;
	}
	/* Created 0600 from the start: no window in which others could connect. */
	old_mask = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (rc) {
		rc = -errno;
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		goto out;
	}
	/* Remember which file is ours, to remove only that one at exit. */
	if (stat(sun.sun_path, &st)) {
		rc = -errno;
		snprintf(err, errlen, "stat %s: %s", sun.sun_path, strerror(-rc));
		unlink(sun.sun_path);
		goto out;
	}
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	m->lev = evconnlistener_new(base, on_accept, m, LEV_OPT_CLOSE_ON_FREE, 16, fd);
	if (!m->lev) {
		rc = -errno ? -errno : -ENOMEM;
		snprintf(err, errlen, "listen %s: %s", path, strerror(-rc));
		unlink(path);
		goto out;
	}
	fd = -1; /* owned by the listener */
	evconnlistener_set_error_cb(m->lev, on_listen_error);
	*out = m;
	return 0;
out:
	if (fd >= 0)
		close(fd);
	if (m)
		mgmt_cmdtab_free(&m->tab);
	free(m);
	return rc;
}

void mgmt_destroy(struct mgmt *m)
{
	struct mgmt_client *c;
	struct stat st;

	if (!m)
		return;
	if (m->lev)
		evconnlistener_free(m->lev);
	while ((c = TAILQ_FIRST(&m->clients))) {
		if (c->req)
			c->req->client = NULL;
		c->req = NULL;
		client_free(c);
	}
	/* Remove the socket only if it is still the one we bound (not a successor's). */
	if (stat(m->path, &st) == 0 && st.st_dev == m->dev && st.st_ino == m->ino)
		unlink(m->path);
	mgmt_cmdtab_free(&m->tab);
	free(m);
}

int mgmt_register(struct mgmt *m, const struct mgmt_cmd *cmds, size_t n, void *arg)
{
	for (size_t i = 0; i < n; i++) {
		int rc = mgmt_cmdtab_add(&m->tab, &cmds[i], arg);

		if (rc) {
			RP_ERR(COMP, "cannot register command '%s': %s",
			       cmds[i].name ? cmds[i].name : "(null)", strerror(-rc));
			return rc;
		}
	}
	return 0;
}

unsigned mgmt_clients(const struct mgmt *m)
{
	return m->n_clients;
}

const char *mgmt_path(const struct mgmt *m)
{
	return m->path;
}
