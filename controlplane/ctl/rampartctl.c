/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * rampartctl: the operator's client of rampartd's management socket (protocol in
 * controlplane/mgmt/proto.h). Every wait is bounded by one deadline, so a wedged rampartd
 * cannot hang it. When rampartd cannot be reached, it says why and, from the control region
 * alone, whether rampart-dp is running.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/chan.h"
#include "common/conf.h"
#include "common/log.h"
#include "controlplane/mgmt/json.h"
#include "controlplane/mgmt/proto.h"
#include "controlplane/util/sbuf.h"

/* Exit codes (documented in usage()). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,   /* FAIL answer, or rampartd unreachable / not answering */
	EXIT_USAGE = 2,  /* bad invocation, or ERR answer */
};

#define DEFAULT_TIMEOUT_S 10

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rampartctl [-s SOCKET | -c CONFIG] [-t SECONDS] [--json] COMMAND [ARGS...]\n"
		"\n"
		"Send COMMAND to rampartd's management socket and print the answer.\n"
		"'rampartctl help' lists the commands rampartd knows.\n"
		"\n"
		"  -s, --socket SOCKET  management socket (default: from the configuration)\n"
		"  -c, --config CONFIG  configuration file whose socket and control region to use\n"
		"                       (default: the built-in configuration, /run/rampart/demo.sock)\n"
		"  -t, --timeout SECS   give up after this long (default %d)\n"
		"  -j, --json           JSON output\n"
		"  -h, --help           this help\n"
		"\n"
		"Exit status: 0 success (status: both planes up and connected); 1 the command reports\n"
		"a problem, or rampartd is not running or not answering; 2 bad usage or request\n"
		"refused by rampartd.\n", DEFAULT_TIMEOUT_S);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining_ms(uint64_t deadline)
{
	uint64_t now = now_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* Join words into one request line, quoting those the server would otherwise split. */
static int build_request(struct sbuf *req, int n, char **words)
{
	for (int i = 0; i < n; i++) {
		const char *w = words[i];
		bool quote = !*w || strpbrk(w, " \t\"") != NULL;

		if (i)
			sbuf_addc(req, ' ');
		if (!quote) {
			sbuf_adds(req, w);
			continue;
		}
		sbuf_addc(req, '"');
		for (; *w; w++) {
			if (*w == '"' || *w == '\\')
				sbuf_addc(req, '\\');
			sbuf_addc(req, *w);
		}
		sbuf_addc(req, '"');
	}
	if (sbuf_error(req) || req->len > MGMT_REQ_MAX)
		return -E2BIG;
	sbuf_addc(req, '\n');
	return sbuf_error(req);
}

/* Connect within the deadline; a listener with a full backlog answers EAGAIN: retry. */
static int connect_to(const char *path, uint64_t deadline)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		rc = -errno;
		close(fd);
		if (rc != -EAGAIN || remaining_ms(deadline) == 0)
			return rc;
		usleep(20000);
	}
}

static int send_all(int fd, const char *p, size_t n, uint64_t deadline)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w > 0) {
			p += w;
			n -= w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		int ms = remaining_ms(deadline);

		if (!ms || poll(&pfd, 1, ms) == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

/* What the control region says, for when rampartd cannot be asked. */
struct region_view {
	int rc;
	char err[256];
	struct rp_chan_side_info cp, dp;
};

static void inspect_region(const char *region, struct region_view *v)
{
	memset(v, 0, sizeof(*v));
	v->rc = rp_chan_inspect(region, &v->cp, &v->dp, v->err, sizeof(v->err));
}

static void dp_sentence(const char *region, const struct region_view *v, char *buf, size_t len)
{
	if (v->rc == -ENOENT)
		snprintf(buf, len, "rampart-dp not attached (control region %s does not exist)",
			 region);
	else if (v->rc)
		snprintf(buf, len, "rampart-dp state unknown (%s)", v->err);
	else if (v->dp.attached)
		snprintf(buf, len, "rampart-dp up (pid %u, epoch %u, attached to %s)", v->dp.pid,
			 v->dp.epoch, region);
	else
		snprintf(buf, len, "rampart-dp not attached to %s", region);
}

/* rampartd could not be reached: explain, and report the dataplane from the region. */
static int unreachable(const char *sock, const char *region, int err, bool json, bool status)
{
	struct region_view v;
	char why[512], dp[512];

	if (err == -ENOENT)
		snprintf(why, sizeof(why), "rampartd is not running (no socket %s)", sock);
	else if (err == -ECONNREFUSED)
		snprintf(why, sizeof(why), "rampartd is not running (nobody listens on %s)", sock);
	else if (err == -EACCES || err == -EPERM)
		snprintf(why, sizeof(why), "not allowed to connect to %s (run as root)", sock);
	else if (err == -ETIMEDOUT)
		snprintf(why, sizeof(why), "rampartd did not answer in time on %s (is it wedged?)",
			 sock);
	else
		snprintf(why, sizeof(why), "cannot talk to rampartd on %s: %s", sock,
			 strerror(-err));
	inspect_region(region, &v);
	dp_sentence(region, &v, dp, sizeof(dp));
	if (!v.rc && v.cp.attached && err != -ETIMEDOUT)
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 "; but a rampartd (pid %u) is attached to the control region: wrong "
			 "socket path?", v.cp.pid);

	if (json && status) {
		struct sbuf b;
		struct json_w w;

		sbuf_init(&b, 1 << 16);
		json_init(&w, &b, true);
		json_obj_open(&w);
		json_kv_str(&w, "status", "fail");
		json_kv_str(&w, "summary", why);
		json_key(&w, "controlplane");
		json_obj_open(&w);
		json_kv_bool(&w, "up", false);
		json_kv_str(&w, "error", why);
		json_kv_str(&w, "socket", sock);
		json_obj_close(&w);
		json_key(&w, "dataplane");
		json_obj_open(&w);
		json_kv_bool(&w, "attached", !v.rc && v.dp.attached);
		json_kv_bool(&w, "connected", false);
		json_kv_uint(&w, "pid", v.rc ? 0 : v.dp.pid);
		json_kv_uint(&w, "epoch", v.rc ? 0 : v.dp.epoch);
		json_kv_str(&w, "region", region);
		json_kv_str(&w, "summary", dp);
		json_key(&w, "ports");
		json_arr_open(&w);
		json_arr_close(&w);
		json_obj_close(&w);
		json_obj_close(&w);
		json_finish(&w);
		fputs(sbuf_str(&b), stdout);
		sbuf_free(&b);
	} else if (status) {
		printf("%s\n%s\n", why, dp);
	} else {
		fprintf(stderr, "rampartctl: %s\nrampartctl: %s\n", why, dp);
	}
	return EXIT_FAIL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *config = NULL;
	char sockbuf[256], region[256];
	bool json = false, status_cmd;
	long timeout_s = DEFAULT_TIMEOUT_S;
	struct sbuf req, head;
	struct rp_cfg cfg;
	uint64_t deadline;
	int opt, fd = -1, rc, ret = EXIT_USAGE;
	char *end;

	memset(&cfg, 0, sizeof(cfg));
	sbuf_init(&req, MGMT_REQ_MAX + 2);
	sbuf_init(&head, MGMT_REQ_MAX * 2);
	rp_log_init("rampartctl", RP_LOG_STDERR, RP_LOG_WARN);
	/* '+': stop at the command, whose own options belong to rampartd. */
	while ((opt = getopt_long(argc, argv, "+s:c:t:jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 't':
			errno = 0;
			timeout_s = strtol(optarg, &end, 10);
			if (errno || *end || timeout_s < 1 || timeout_s > 3600) {
				fprintf(stderr, "rampartctl: -t wants seconds between 1 and 3600\n");
				return EXIT_USAGE;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (sock && config) {
		fprintf(stderr, "rampartctl: give -s or -c, not both\n");
		return EXIT_USAGE;
	}
	bool json_word = false;

	for (int i = optind; i < argc; i++)
		json_word |= !strcmp(argv[i], "--json");
	json |= json_word;
	status_cmd = !strcmp(argv[optind], "status");

	/* The configuration names the socket and the control region (for diagnostics). */
	if (rp_conf_load(&cfg, config)) {
		fprintf(stderr, "rampartctl: configuration %s is not valid\n",
			config ? config : RP_CONF_DEFAULT_NAME);
		goto out;
	}
	if (!sock)
		sock = rp_conf_mgmt_socket(&cfg, sockbuf, sizeof(sockbuf));
	rp_conf_region_path(&cfg, region, sizeof(region));

	/* -j: tell rampartd too (it takes the word --json wherever it stands). */
	if (json && !json_word)
		sbuf_adds(&req, "--json ");
	if (build_request(&req, argc - optind, argv + optind)) {
		fprintf(stderr, "rampartctl: request longer than %d bytes\n", MGMT_REQ_MAX);
		goto out;
	}

	deadline = now_ms() + (uint64_t)timeout_s * 1000;
	fd = connect_to(sock, deadline);
	if (fd < 0) {
		ret = unreachable(sock, region, fd, json, status_cmd);
		goto out;
	}
	rc = send_all(fd, sbuf_str(&req), req.len, deadline);
	if (rc) {
		ret = unreachable(sock, region, rc, json, status_cmd);
		goto out;
	}

	/* First line: the outcome; then the body, streamed to stdout until the server closes. */
	bool got_status = false;
	int outcome = EXIT_FAIL;
	char errmsg[MGMT_REQ_MAX * 2] = "";

	for (;;) {
		char buf[16384];
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ms = remaining_ms(deadline);
		ssize_t n;

		if (!ms || poll(&pfd, 1, ms) == 0) {
			fflush(stdout);
			ret = unreachable(sock, region, -ETIMEDOUT, false, false);
			goto out;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0 && errno == ECONNRESET && got_status)
			break; /* the server closed with our input unread: the answer is complete */
		if (n < 0) {
			ret = unreachable(sock, region, -errno, false, false);
			goto out;
		}
		if (n == 0)
			break;
		if (got_status) {
			fwrite(buf, 1, n, stdout);
			continue;
		}
		/* Only the status line goes through head (bounded); the body that follows it in
		 * the same chunk is written as it came. */
		const char *bnl = memchr(buf, '\n', n);
		size_t take = bnl ? (size_t)(bnl - buf) + 1 : (size_t)n;

		sbuf_add(&head, buf, take);
		const char *h = sbuf_str(&head);
		const char *nl = memchr(h, '\n', head.len);

		if (!nl) {
			if (sbuf_error(&head))
				break;
			continue;
		}
		got_status = true;
		size_t hl = nl - h;

		if (hl == strlen(MGMT_STATUS_OK) && !strncmp(h, MGMT_STATUS_OK, hl)) {
			outcome = EXIT_OK;
		} else if (hl == strlen(MGMT_STATUS_FAIL) && !strncmp(h, MGMT_STATUS_FAIL, hl)) {
			outcome = EXIT_FAIL;
		} else if (hl >= strlen(MGMT_STATUS_ERR) &&
			   !strncmp(h, MGMT_STATUS_ERR, strlen(MGMT_STATUS_ERR))) {
			const char *m = h + strlen(MGMT_STATUS_ERR);

			while (*m == ' ')
				m++;
			snprintf(errmsg, sizeof(errmsg), "%.*s", (int)(nl - m), m);
			outcome = EXIT_USAGE;
		} else {
			fprintf(stderr, "rampartctl: unexpected answer from rampartd: %.*s\n",
				(int)(hl > 200 ? 200 : hl), h);
			ret = EXIT_FAIL;
			goto out;
		}
		fwrite(buf + take, 1, (size_t)n - take, stdout);
	}
	if (!got_status) {
		fprintf(stderr, "rampartctl: rampartd closed the connection without an answer\n");
		ret = EXIT_FAIL;
		goto out;
	}
	if (outcome == EXIT_USAGE)
		fprintf(stderr, "rampartctl: %s\n", errmsg);
	ret = outcome;
out:
	fflush(stdout);
	if (fd >= 0)
		close(fd);
	sbuf_free(&req);
	sbuf_free(&head);
	rp_cfg_free(&cfg);
	return ret;
}
