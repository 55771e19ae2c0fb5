/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Unit tests of the management socket: the request-line splitter and its limits, command
 * lookup, and the server itself over a real unix socket driven by the libevent loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "common/log.h"
#include "controlplane/mgmt/cmd.h"
#include "controlplane/mgmt/mgmt.h"

/* ---- splitter ------------------------------------------------------------------------------ */

/* Split a copy of @s; returns the count, words in @argv (pointing into @buf). */
static int split(const char *s, size_t len, char *buf, char **argv, int max, char *err)
{
	memcpy(buf, s, len);
	return mgmt_split(buf, len, argv, max, err, 256);
}

static void test_split_words(void **state)
{
	char buf[MGMT_REQ_MAX + 1], err[256];
	char *argv[MGMT_MAX_WORDS];
	const char *s;
	int n;

	(void)state;
	s = "  status \t --json  ";
	n = split(s, strlen(s), buf, argv, MGMT_MAX_WORDS, err);
	assert_int_equal(n, 2);
	assert_string_equal(argv[0], "status");
	assert_string_equal(argv[1], "--json");

	s = "";
	assert_int_equal(split(s, 0, buf, argv, MGMT_MAX_WORDS, err), 0);
	s = " \t ";
	assert_int_equal(split(s, strlen(s), buf, argv, MGMT_MAX_WORDS, err), 0);

	s = "clear session \"john doe\" x\"a b\"y \"\" \"q\\\"uo\\\\te\" a\\b";
	n = split(s, strlen(s), buf, argv, MGMT_MAX_WORDS, err);
	assert_int_equal(n, 7);
	assert_string_equal(argv[2], "john doe");
	assert_string_equal(argv[3], "xa by");
	assert_string_equal(argv[4], "");
	assert_string_equal(argv[5], "q\"uo\\te");
	assert_string_equal(argv[6], "a\\b"); /* backslash is literal outside quotes */

	/* UTF-8 user names are fine */
	s = "show user J\xc3\xb6rg";
	n = split(s, strlen(s), buf, argv, MGMT_MAX_WORDS, err);
	assert_int_equal(n, 3);
	assert_string_equal(argv[2], "J\xc3\xb6rg");
}

static void test_split_garbage(void **state)
{
	char buf[MGMT_REQ_MAX + 1], err[256];
	char *argv[MGMT_MAX_WORDS];

	(void)state;
	assert_int_equal(split("sta\x01tus", 7, buf, argv, MGMT_MAX_WORDS, err), -EINVAL);
	assert_non_null(strstr(err, "control character 0x01 at byte 4"));
	assert_int_equal(split("a\0b", 3, buf, argv, MGMT_MAX_WORDS, err), -EINVAL);
	assert_non_null(strstr(err, "control character 0x00 at byte 2"));
	assert_int_equal(split("\x7f", 1, buf, argv, MGMT_MAX_WORDS, err), -EINVAL);
	assert_int_equal(split("ab\xff", 3, buf, argv, MGMT_MAX_WORDS, err), -EINVAL);
	assert_string_equal(err, "invalid UTF-8 at byte 3");
	assert_int_equal(split("say \"hello", 10, buf, argv, MGMT_MAX_WORDS, err), -EINVAL);
	assert_string_equal(err, "unterminated quote at byte 5");
	/* a TLS ClientHello's first bytes: what a confused client might send */
	assert_int_equal(split("\x16\x03\x01\x02\x00", 5, buf, argv, MGMT_MAX_WORDS, err),
			 -EINVAL);
}

static void test_split_limits(void **state)
{
	static char line[MGMT_REQ_MAX + 2], buf[MGMT_REQ_MAX + 2];
	char *argv[MGMT_MAX_WORDS];
	char err[256];
	size_t len;

	(void)state;
	/* exactly MGMT_REQ_MAX bytes: accepted */
	memset(line, 'a', MGMT_REQ_MAX);
	assert_int_equal(split(line, MGMT_REQ_MAX, buf, argv, MGMT_MAX_WORDS, err), 1);
	assert_int_equal(strlen(argv[0]), MGMT_REQ_MAX);
	/* one more: refused */
	memset(line, 'a', MGMT_REQ_MAX + 1);
	assert_int_equal(split(line, MGMT_REQ_MAX + 1, buf, argv, MGMT_MAX_WORDS, err), -E2BIG);
	assert_non_null(strstr(err, "longer than 4096 bytes"));

	/* MGMT_MAX_WORDS words: accepted; one more: refused */
	len = 0;
	for (int i = 0; i < MGMT_MAX_WORDS; i++)
		len += snprintf(line + len, sizeof(line) - len, "w%d ", i);
	assert_int_equal(split(line, len, buf, argv, MGMT_MAX_WORDS, err), MGMT_MAX_WORDS);
	assert_string_equal(argv[MGMT_MAX_WORDS - 1], "w31");
	len += snprintf(line + len, sizeof(line) - len, "one-more");
	assert_int_equal(split(line, len, buf, argv, MGMT_MAX_WORDS, err), -E2BIG);
	assert_string_equal(err, "more than 32 words");
}

/* ---- command lookup ------------------------------------------------------------------------ */

static int dummy(struct mgmt_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}

static const struct mgmt_cmd table[] = {
	{ "help", "", "list", dummy, 0, 0 },
	{ "status", "", "status", dummy, 0, 0 },
	{ "show sessions", "[USER]", "sessions", dummy, 0, 1 },
	{ "show sas", "", "sas", dummy, 0, 0 },
	{ "clear session", "ID...", "clear", dummy, 1, -1 },
	{ "stop", "", "stop", dummy, 0, 0 },
};

struct parse_fx {
	struct mgmt_cmdtab t;
	char line[MGMT_REQ_MAX + 1];
	char *words[MGMT_MAX_WORDS];
	char err[512];
	struct mgmt_parsed p;
};

static int parse(struct parse_fx *f, const char *s)
{
	size_t n = strlen(s);

	memcpy(f->line, s, n);
	f->err[0] = '\0';
	return mgmt_parse(&f->t, f->line, n, f->words, MGMT_MAX_WORDS, &f->p, f->err,
			  sizeof(f->err));
}

static void test_parse_lookup(void **state)
{
	struct parse_fx *f = calloc(1, sizeof(*f));

	(void)state;
	assert_non_null(f);
	mgmt_cmdtab_init(&f->t);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		assert_int_equal(mgmt_cmdtab_add(&f->t, &table[i], NULL), 0);
	/* the same name twice, malformed names */
	assert_int_equal(mgmt_cmdtab_add(&f->t, &table[1], NULL), -EEXIST);
	struct mgmt_cmd bad = { "  ", "", "", dummy, 0, 0 };

	assert_int_equal(mgmt_cmdtab_add(&f->t, &bad, NULL), -EINVAL);
	bad.name = "--json";
	assert_int_equal(mgmt_cmdtab_add(&f->t, &bad, NULL), -EINVAL);
	bad.name = "a b c d e";
	assert_int_equal(mgmt_cmdtab_add(&f->t, &bad, NULL), -EINVAL);

	assert_int_equal(parse(f, "status"), 0);
	assert_string_equal(f->p.entry->cmd->name, "status");
	assert_false(f->p.json);
	assert_int_equal(f->p.argc, 0);

	assert_int_equal(parse(f, "status --json"), 0);
	assert_true(f->p.json);
	assert_int_equal(f->p.argc, 0);
	assert_int_equal(parse(f, "--json status"), 0);
	assert_true(f->p.json);

	/* unique prefixes */
	assert_int_equal(parse(f, "stat"), 0);
	assert_string_equal(f->p.entry->cmd->name, "status");
	assert_int_equal(parse(f, "sh sess alice"), 0);
	assert_string_equal(f->p.entry->cmd->name, "show sessions");
	assert_int_equal(f->p.argc, 1);
	assert_string_equal(f->p.argv[0], "alice");
	assert_int_equal(parse(f, "show sa"), 0);
	assert_string_equal(f->p.entry->cmd->name, "show sas");

	/* an exact word wins over a prefix of a longer one */
	assert_int_equal(parse(f, "stop"), 0);
	assert_string_equal(f->p.entry->cmd->name, "stop");

	/* ambiguous, incomplete, unknown */
	assert_int_equal(parse(f, "st"), -EINVAL);
	assert_string_equal(f->err, "ambiguous command 'st': status, stop");
	assert_int_equal(parse(f, "show s"), -EINVAL);
	assert_string_equal(f->err, "ambiguous command 's': show sessions, show sas");
	assert_int_equal(parse(f, "show"), -EINVAL);
	assert_string_equal(f->err, "incomplete command 'show'; one of: show sessions, show sas");
	assert_int_equal(parse(f, "show foo"), -EINVAL);
	assert_string_equal(f->err, "unknown command 'show foo'; one of: show sessions, show sas");
	assert_int_equal(parse(f, "reboot now"), -EINVAL);
	assert_string_equal(f->err, "unknown command 'reboot'; 'help' lists the commands");
	assert_int_equal(parse(f, ""), -EINVAL);
	assert_string_equal(f->err, "empty request; 'help' lists the commands");
	assert_int_equal(parse(f, "--json"), -EINVAL);
	assert_true(f->p.json); /* so the error can be answered in JSON */

	/* argument counts */
	assert_int_equal(parse(f, "status extra"), -EINVAL);
	assert_string_equal(f->err, "usage: status");
	assert_int_equal(parse(f, "clear session"), -EINVAL);
	assert_string_equal(f->err, "usage: clear session ID...");
	assert_int_equal(parse(f, "clear session 1 2 3"), 0);
	assert_int_equal(f->p.argc, 3);
	assert_int_equal(parse(f, "show sessions a b"), -EINVAL);

	/* splitter errors come through */
	assert_int_equal(parse(f, "status\x01"), -EINVAL);
	assert_non_null(strstr(f->err, "control character"));

	mgmt_cmdtab_free(&f->t);
	free(f);
}

/* ---- the server -------------------------------------------------------------------------- */

struct srv_fx {
	char dir[64];
	char path[108];
	struct event_base *base;
	struct mgmt *m;
	struct mgmt_req *slow_req;  /* parked by "slow" until the test finishes it */
	int slow_runs;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void step(struct srv_fx *f)
{
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	usleep(500);
}

static int cmd_echo(struct mgmt_req *req, void *arg)
{
	(void)arg;
	if (req->json) {
		json_obj_open(&req->jw);
		json_key(&req->jw, "args");
		json_arr_open(&req->jw);
		for (int i = 0; i < req->argc; i++)
			json_str(&req->jw, req->argv[i]);
		json_arr_close(&req->jw);
		json_obj_close(&req->jw);
	} else {
		for (int i = 0; i < req->argc; i++)
			sbuf_printf(&req->out, "[%s]", req->argv[i]);
	}
	mgmt_req_done(req, req->argc ? MGMT_OK : MGMT_FAIL);
	return 0;
}

/* Answers later, when the test says so: stands for a command waiting on the dataplane. */
static int cmd_slow(struct mgmt_req *req, void *arg)
{
	struct srv_fx *f = arg;

	f->slow_req = req;
	f->slow_runs++;
	return 0;
}

static int cmd_fails(struct mgmt_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return -EIO;
}

static const struct mgmt_cmd srv_cmds[] = {
	{ "echo", "WORDS...", "print the words", cmd_echo, 0, -1 },
	{ "slow", "", "answer when the test says so", cmd_slow, 0, 0 },
	{ "fails", "", "returns -EIO", cmd_fails, 0, 0 },
};

static int srv_setup(void **state)
{
	struct srv_fx *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/rp-mgmt-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/mgmt.sock", f->dir);
	f->base = event_base_new();
	assert_non_null(f->base);
	assert_int_equal(mgmt_create(f->base, f->path, &f->m, err, sizeof(err)), 0);
	assert_int_equal(mgmt_register(f->m, srv_cmds, 3, f), 0);
	*state = f;
	return 0;
}

static int srv_teardown(void **state)
{
	struct srv_fx *f = *state;

	mgmt_destroy(f->m);
	/* a request parked by "slow" outlives the server until it is finished */
	if (f->slow_req)
		mgmt_req_done(f->slow_req, MGMT_OK);
	event_base_free(f->base);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int client_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static void client_send(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN)
			continue;
		assert_true(w > 0);
		c += w;
		n -= w;
	}
}

/* Read until the server closes, running the loop meanwhile. Returns a malloc'd string. */
static char *client_read_all(struct srv_fx *f, int fd, int timeout_ms)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	uint64_t end = now_ms() + timeout_ms;

	assert_non_null(buf);
	for (;;) {
		ssize_t n = recv(fd, buf + len, cap - len - 1, 0);

		if (n == 0 || (n < 0 && errno == ECONNRESET && len))
			break;
		if (n > 0) {
			len += n;
			continue;
		}
		assert_int_equal(errno, EAGAIN);
		if (now_ms() > end) {
			buf[len] = '\0';
			fail_msg("no complete answer within %d ms; got '%s'", timeout_ms, buf);
		}
		step(f);
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

static char *roundtrip(struct srv_fx *f, const char *req, size_t len)
{
	int fd = client_connect(f->path);

	client_send(fd, req, len);
	return client_read_all(f, fd, 3000);
}

#define RT(f, s) roundtrip((f), (s), sizeof(s) - 1)

static void test_srv_basic(void **state)
{
	struct srv_fx *f = *state;
	struct stat st;
	char *a;

	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	a = RT(f, "echo a \"b c\"\n");
	assert_string_equal(a, "OK\n[a][b c]\n");
	free(a);
	/* CRLF, and no newline at all (end of file ends the request) */
	a = RT(f, "echo x\r\n");
	assert_string_equal(a, "OK\n[x]\n");
	free(a);
	int fd = client_connect(f->path);

	client_send(fd, "echo y", 6);
	shutdown(fd, SHUT_WR);
	a = client_read_all(f, fd, 3000);
	assert_string_equal(a, "OK\n[y]\n");
	free(a);
	a = RT(f, "echo\n");
	assert_string_equal(a, "FAIL\n");
	free(a);
	/* the line could not be split, so --json was not understood: a text error */
	a = RT(f, "echo --json q\"u\n");
	assert_string_equal(a, "ERR unterminated quote at byte 14\n");
	free(a);
	a = RT(f, "echo --json \"q\\\"u\"\n");
	assert_string_equal(a, "OK\n{\n  \"args\": [\n    \"q\\\"u\"\n  ]\n}\n");
	free(a);
	a = RT(f, "help\n");
	assert_non_null(strstr(a, "OK\nCommands"));
	assert_non_null(strstr(a, "echo WORDS..."));
	free(a);
	a = RT(f, "fails\n");
	assert_string_equal(a, "ERR fails: Input/output error\n");
	free(a);
	a = RT(f, "nope\n");
	assert_string_equal(a, "ERR unknown command 'nope'; 'help' lists the commands\n");
	free(a);
}

static void test_srv_garbage(void **state)
{
	struct srv_fx *f = *state;
	static char big[3 * MGMT_REQ_MAX];
	char *a;

	a = RT(f, "\x16\x03\x01\x00\xa5\x01\x00\x00\n");
	assert_string_equal(a, "ERR control character 0x16 at byte 1: send one line of words, e.g. 'status'\n");
	free(a);
	/* binary garbage without any newline is answered at once, not after the read timeout */
	a = RT(f, "\x16\x03\x01\x00\xa5\x01");
	assert_string_equal(a, "ERR control character 0x16 at byte 1: send one line of words, e.g. 'status'\n");
	free(a);
	a = RT(f, "status\rhelp\n");
	assert_string_equal(a, "ERR control character 0x0d at byte 7: send one line of words, e.g. 'status'\n");
	free(a);
	/* a request without newline longer than the limit: refused without waiting for more */
	memset(big, 'a', sizeof(big));
	a = roundtrip(f, big, sizeof(big));
	assert_string_equal(a, "ERR request longer than 4096 bytes\n");
	free(a);
	/* exactly at the limit is fine */
	memcpy(big, "echo ", 5);
	memset(big + 5, 'b', MGMT_REQ_MAX - 5);
	big[MGMT_REQ_MAX] = '\n';
	a = roundtrip(f, big, MGMT_REQ_MAX + 1);
	assert_int_equal(strncmp(a, "OK\n[bbb", 7), 0);
	assert_int_equal(strlen(a), 3 + 2 + (MGMT_REQ_MAX - 5) + 1);
	free(a);
	/* one byte over, with newline */
	memset(big + 5, 'b', MGMT_REQ_MAX - 4);
	big[MGMT_REQ_MAX + 1] = '\n';
	a = roundtrip(f, big, MGMT_REQ_MAX + 2);
	assert_string_equal(a, "ERR request longer than 4096 bytes\n");
	free(a);
	/* connect and close without a word: nothing to answer, nothing leaks */
	close(client_connect(f->path));
	for (int i = 0; i < 20; i++)
		step(f);
	assert_int_equal(mgmt_clients(f->m), 0);
}

static void test_srv_async_does_not_block(void **state)
{
	struct srv_fx *f = *state;
	int slow = client_connect(f->path);
	char *a;

	client_send(slow, "slow\n", 5);
	for (int i = 0; i < 20 && !f->slow_req; i++)
		step(f);
	assert_non_null(f->slow_req);

	/* another client is served while "slow" waits */
	a = RT(f, "echo meanwhile\n");
	assert_string_equal(a, "OK\n[meanwhile]\n");
	free(a);

	sbuf_adds(&f->slow_req->out, "late answer");
	mgmt_req_done(f->slow_req, MGMT_OK);
	f->slow_req = NULL;
	a = client_read_all(f, slow, 3000);
	assert_string_equal(a, "OK\nlate answer\n");
	free(a);

	/* the client leaves before the answer: the request finishes quietly later */
	slow = client_connect(f->path);
	client_send(slow, "slow\n", 5);
	for (int i = 0; i < 20 && f->slow_runs < 2; i++)
		step(f);
	assert_int_equal(f->slow_runs, 2);
	close(slow);
	for (int i = 0; i < 10; i++)
		step(f);
	mgmt_req_done(f->slow_req, MGMT_OK);
	f->slow_req = NULL;
	for (int i = 0; i < 20 && mgmt_clients(f->m); i++)
		step(f);
	assert_int_equal(mgmt_clients(f->m), 0);
}

static void test_srv_client_limit(void **state)
{
	struct srv_fx *f = *state;
	int fds[MGMT_MAX_CLIENTS];
	char *a;

	for (int i = 0; i < MGMT_MAX_CLIENTS; i++) {
		fds[i] = client_connect(f->path);
		for (int k = 0; k < 5; k++)
			step(f);
	}
	assert_int_equal(mgmt_clients(f->m), MGMT_MAX_CLIENTS);
	a = RT(f, "echo one-too-many\n");
	assert_string_equal(a, "ERR busy: too many management clients, try again\n");
	free(a);
	for (int i = 0; i < MGMT_MAX_CLIENTS; i++)
		close(fds[i]);
	for (int i = 0; i < 50 && mgmt_clients(f->m); i++)
		step(f);
	assert_int_equal(mgmt_clients(f->m), 0);
	a = RT(f, "echo again\n");
	assert_string_equal(a, "OK\n[again]\n");
	free(a);
}

static void test_srv_socket_file(void **state)
{
	struct srv_fx *f = *state;
	struct event_base *base2 = event_base_new();
	struct mgmt *m2 = NULL;
	char err[256], other[96];
	int fd;

	/* somebody listens: refused */
	assert_int_equal(mgmt_create(base2, f->path, &m2, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "listens on"));

	/* a regular file: refused, left alone */
	snprintf(other, sizeof(other), "%s/file", f->dir);
	fd = open(other, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mgmt_create(base2, other, &m2, err, sizeof(err)), -EEXIST);
	assert_int_equal(access(other, F_OK), 0);
	unlink(other);

	/* a stale socket (nobody listens): replaced */
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	snprintf(other, sizeof(other), "%s/stale.sock", f->dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", other);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(mgmt_create(base2, other, &m2, err, sizeof(err)), 0);
	mgmt_destroy(m2);
	/* destroy removes its own socket */
	assert_int_equal(access(other, F_OK), -1);
	event_base_free(base2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_words),
		cmocka_unit_test(test_split_garbage),
		cmocka_unit_test(test_split_limits),
		cmocka_unit_test(test_parse_lookup),
		cmocka_unit_test_setup_teardown(test_srv_basic, srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_srv_garbage, srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_srv_async_does_not_block, srv_setup,
						srv_teardown),
		cmocka_unit_test_setup_teardown(test_srv_client_limit, srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_srv_socket_file, srv_setup, srv_teardown),
	};

	rp_log_init("test_cp_mgmt", RP_LOG_STDERR, RP_LOG_WARN);
	/* as in rampartd: a client that left must not kill the server */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
