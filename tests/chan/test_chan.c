/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Unit tests of the control channel (common/chan.c): rings, restarts, locks, versions. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/chan.h"
#include "common/log.h"
#include "common/msg.h"

struct fixture {
	char dir[64];
	char path[96];
	struct rp_chan *cp;
	struct rp_chan *dp;
	char err[256];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/rp-chan-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/region", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rp_chan_close(f->cp);
	rp_chan_close(f->dp);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void open_both(struct fixture *f, uint32_t slots)
{
	int rc = rp_chan_open(f->path, RP_ROLE_CP, slots, &f->cp, f->err, sizeof(f->err));

	assert_int_equal(rc, 0);
	rc = rp_chan_open(f->path, RP_ROLE_DP, slots, &f->dp, f->err, sizeof(f->err));
	assert_int_equal(rc, 0);
}

static struct rp_msg_kv kv(uint64_t key, uint64_t value)
{
	struct rp_msg_kv m = { .key = key, .value = value, .check = rp_msg_kv_check(key, value) };

	return m;
}

static int send_kv(struct rp_chan *ch, uint64_t key, uint64_t value, uint64_t cookie,
		   uint64_t *seq)
{
	struct rp_msg_kv m = kv(key, value);
	struct rp_msg_hdr h = { .cookie = cookie };

	return rp_chan_send(ch, RP_MSG_KV_SET, &m, sizeof(m), &h, seq);
}

static void expect_kv(struct rp_chan *ch, uint64_t seq, uint64_t key, uint64_t value)
{
	struct rp_msg m;
	char why[256] = "";

	assert_int_equal(rp_chan_recv(ch, &m, why, sizeof(why)), 1);
	assert_int_equal(m.hdr.type, RP_MSG_KV_SET);
	assert_int_equal(m.hdr.seq, seq);
	assert_int_equal(m.u.kv.key, key);
	assert_int_equal(m.u.kv.value, value);
}

/* Does the region file contain this byte pattern anywhere? */
static bool file_contains(const char *path, const void *pat, size_t len)
{
	struct stat st;
	bool found;
	void *p;
	int fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	found = memmem(p, (size_t)st.st_size, pat, len) != NULL;
	munmap(p, (size_t)st.st_size);
	close(fd);
	return found;
}

static void test_create_attach(void **state)
{
	struct fixture *f = *state;
	struct rp_chan_side_info cp, dp;
	struct stat st;

	open_both(f, 64);
	assert_int_equal(rp_chan_slots(f->cp), 64);
	assert_int_equal(rp_chan_slots(f->dp), 64);
	assert_string_equal(rp_chan_path(f->cp), f->path);
	assert_int_equal(rp_chan_epoch(f->cp), 1);
	assert_int_equal(rp_chan_epoch(f->dp), 1);
	assert_int_equal(rp_chan_space(f->cp), 64);
	assert_int_equal(rp_chan_pending(f->dp), 0);

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(file_contains(f->path, "RAMPART1", 8));

	assert_int_equal(rp_chan_inspect(f->path, &cp, &dp, f->err, sizeof(f->err)), 0);
	assert_true(cp.attached);
	assert_true(dp.attached);
	assert_int_equal(cp.pid, getpid());
	assert_int_equal(dp.pid, getpid());
	assert_int_equal(cp.version, RP_MSG_VERSION);
	assert_int_equal(cp.epoch, 1);
	assert_true(cp.heartbeat_ns > 0);

	/* An existing region keeps its own size whatever the caller asks for. */
	rp_chan_close(f->dp);
	f->dp = NULL;
	assert_int_equal(rp_chan_open(f->path, RP_ROLE_DP, 4096, &f->dp, f->err, sizeof(f->err)),
			 0);
	assert_int_equal(rp_chan_slots(f->dp), 64);
	assert_int_equal(rp_chan_epoch(f->dp), 2);
}

static void test_bad_args(void **state)
{
	struct fixture *f = *state;
	struct rp_chan *ch = NULL;
	struct stat st;

	assert_int_equal(rp_chan_open(f->path, RP_ROLE_CP, 100, &ch, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_non_null(strstr(f->err, "power of two"));
	assert_int_equal(rp_chan_open(f->path, RP_ROLE_CP, 32, &ch, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_int_equal(rp_chan_open(f->path, 7, 64, &ch, f->err, sizeof(f->err)), -EINVAL);
	assert_null(ch);
	/* A refused creation leaves an empty file that the next open initialises. */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(rp_chan_open(f->path, RP_ROLE_CP, 64, &f->cp, f->err, sizeof(f->err)), 0);

	assert_int_equal(rp_chan_inspect("/nonexistent/rp-region", NULL, NULL, f->err,
					 sizeof(f->err)),
			 -ENOENT);
}

static void test_order_and_empty(void **state)
{
	struct fixture *f = *state;
	struct rp_msg_ping ping = { .sent_ns = 42, .pid = 7 };
	struct rp_msg_hdr h = { .flags = RP_MSGF_MORE, .ref = 99, .cookie = 1234 };
	struct rp_msg m;
	uint64_t seq = 0;
	char why[256];

	open_both(f, 64);
	assert_int_equal(rp_chan_recv(f->dp, &m, why, sizeof(why)), 0);
	assert_int_equal(rp_chan_recv(f->cp, &m, why, sizeof(why)), 0);

	for (uint64_t i = 1; i <= 10; i++) {
		assert_int_equal(send_kv(f->cp, i * 3, i * 1000, i, &seq), 0);
		assert_int_equal(seq, i);
	}
	assert_int_equal(rp_chan_pending(f->dp), 10);
	assert_int_equal(rp_chan_space(f->cp), 54);
	for (uint64_t i = 1; i <= 10; i++)
		expect_kv(f->dp, i, i * 3, i * 1000);
	assert_int_equal(rp_chan_recv(f->dp, &m, why, sizeof(why)), 0);
	assert_int_equal(rp_chan_pending(f->dp), 0);
	assert_int_equal(rp_chan_space(f->cp), 64);

	/* Events flow the other way on their own ring with their own sequence. */
	assert_int_equal(rp_chan_send(f->dp, RP_MSG_PONG, &ping, sizeof(ping), &h, &seq), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(rp_chan_recv(f->cp, &m, why, sizeof(why)), 1);
	assert_int_equal(m.hdr.type, RP_MSG_PONG);
	assert_int_equal(m.hdr.version, RP_MSG_VERSION);
	assert_int_equal(m.hdr.len, sizeof(ping));
	assert_int_equal(m.hdr.flags, RP_MSGF_MORE);
	assert_int_equal(m.hdr.ref, 99);
	assert_int_equal(m.hdr.cookie, 1234);
	assert_int_equal(m.hdr.epoch, rp_chan_epoch(f->dp));
	assert_int_equal(m.u.ping.sent_ns, 42);
	assert_int_equal(m.u.ping.pid, 7);
	assert_int_equal(rp_chan_recv(f->cp, &m, why, sizeof(why)), 0);
}

static void test_send_checks(void **state)
{
	struct fixture *f = *state;
	struct rp_msg_ping ping = { 0 };
	struct rp_msg_hdr h = { .flags = 0x80 };
	struct rp_msg_kv k = kv(1, 2);
	struct rp_chan_ring_pos pos;

	open_both(f, 64);
	/* PONG is an event: rampartd may not send it. */
	assert_int_equal(rp_chan_send(f->cp, RP_MSG_PONG, &ping, sizeof(ping), NULL, NULL),
			 -EINVAL);
	assert_int_equal(rp_chan_send(f->dp, RP_MSG_PING, &ping, sizeof(ping), NULL, NULL),
			 -EINVAL);
	assert_int_equal(rp_chan_send(f->cp, RP_MSG_KV_SET, &k, sizeof(k) - 1, NULL, NULL),
			 -EINVAL);
	assert_int_equal(rp_chan_send(f->cp, 200, &k, sizeof(k), NULL, NULL), -EINVAL);
	assert_int_equal(rp_chan_send(f->cp, RP_MSG_KV_SET, &k, sizeof(k), &h, NULL), -EINVAL);
	rp_chan_positions(f->cp, &pos, NULL);
	assert_int_equal(pos.head, 0);
	assert_int_equal(rp_chan_pending(f->dp), 0);
}

static void test_full(void **state)
{
	struct fixture *f = *state;
	struct rp_chan_ring_pos pos;
	struct rp_msg_hdr last;

	open_both(f, 64);
	for (uint64_t i = 1; i <= 64; i++)
		assert_int_equal(send_kv(f->cp, i, i, i, NULL), 0);
	assert_int_equal(rp_chan_space(f->cp), 0);
	assert_int_equal(send_kv(f->cp, 999, 999, 999, NULL), -EAGAIN);
	assert_int_equal(send_kv(f->cp, 999, 999, 999, NULL), -EAGAIN);
	/* Nothing was written: head unchanged, the last header is still message 64 and the
	 * oldest slot (the one a wrong full test would overwrite) still holds message 1. */
	rp_chan_positions(f->cp, &pos, NULL);
	assert_int_equal(pos.head, 64);
	assert_int_equal(pos.tail, 0);
	assert_true(rp_chan_last_sent(f->cp, &last));
	assert_int_equal(last.seq, 64);
	assert_int_equal(last.cookie, 64);
	assert_int_equal(rp_chan_pending(f->dp), 64);
	expect_kv(f->dp, 1, 1, 1);
	/* One slot freed: exactly one more fits. */
	assert_int_equal(send_kv(f->cp, 65, 65, 65, NULL), 0);
	assert_int_equal(send_kv(f->cp, 66, 66, 66, NULL), -EAGAIN);
	for (uint64_t i = 2; i <= 65; i++)
		expect_kv(f->dp, i, i, i);
	assert_int_equal(rp_chan_pending(f->dp), 0);
}

static void test_wrap(void **state)
{
	struct fixture *f = *state;
	uint64_t sent = 0, got = 0, seq;
	const uint64_t total = 64 * 11 + 7;
	unsigned int burst = 1;

	open_both(f, 64);
	while (got < total) {
		/* Varying bursts so that head and tail cross the wrap point at every offset. */
		for (unsigned int b = 0; b < burst && sent < total; b++) {
			int rc = send_kv(f->cp, sent + 1, ~(sent + 1), sent + 1, &seq);

			if (rc == -EAGAIN)
				break;
			assert_int_equal(rc, 0);
			sent++;
			assert_int_equal(seq, sent);
		}
		for (unsigned int b = 0; b < (burst * 7) % 61 + 1 && got < sent; b++) {
			got++;
			expect_kv(f->dp, got, got, ~got);
		}
		burst = burst * 5 % 67 + 1;
	}
	assert_int_equal(sent, total);
	assert_true(total > 10 * 64);
}

static void test_payload_wiped(void **state)
{
	struct fixture *f = *state;
	struct rp_msg_sa sa;
	struct rp_msg m;
	char why[256];
	uint8_t key[RP_KEY_MAX];

	open_both(f, 64);
	memset(&sa, 0, sizeof(sa));
	sa.sa_id = 1;
	sa.spi = htonl(0x1000);
	sa.dir = RP_DIR_OUT;
	sa.outer_af = 4;
	sa.cipher = RP_CIPHER_AES_GCM_256;
	sa.integ = RP_INTEG_NONE;
	sa.enc_key_len = 32;
	sa.salt_len = 4;
	sa.n_ts = 1;
	sa.replay_window = 64;
	sa.ts[0].af = 4;
	for (unsigned int i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa5 ^ (i * 37));
	memcpy(sa.enc_key, key, sizeof(key));
	memcpy(sa.salt, "\xde\xad\xbe\xef", 4);

	assert_int_equal(rp_chan_send(f->cp, RP_MSG_SA_ADD, &sa, sizeof(sa), NULL, NULL), 0);
	assert_true(file_contains(f->path, key, sizeof(key)));
	assert_int_equal(rp_chan_recv(f->dp, &m, why, sizeof(why)), 1);
	assert_memory_equal(m.u.sa.enc_key, key, sizeof(key));
	assert_false(file_contains(f->path, key, sizeof(key)));
	assert_false(file_contains(f->path, "\xde\xad\xbe\xef", 4));
	explicit_bzero(&m, sizeof(m));
}

static void test_version_mismatch(void **state)
{
	struct fixture *f = *state;
	struct rp_chan *ch = NULL;
	uint32_t v = RP_MSG_VERSION + 6;
	char expect[32];
	int fd;

	assert_int_equal(rp_chan_open(f->path, RP_ROLE_CP, 64, &f->cp, f->err, sizeof(f->err)), 0);
	rp_chan_close(f->cp);
	f->cp = NULL;

	/* A region made by another build: same magic, other layout version at offset 8. */
	fd = open(f->path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &v, sizeof(v), 8), sizeof(v));
	close(fd);

	assert_int_equal(rp_chan_open(f->path, RP_ROLE_DP, 64, &ch, f->err, sizeof(f->err)),
			 -EPROTO);
	assert_null(ch);
	snprintf(expect, sizeof(expect), "version %u", RP_MSG_VERSION + 6);
	assert_non_null(strstr(f->err, expect));
	snprintf(expect, sizeof(expect), "version %u", RP_MSG_VERSION);
	assert_non_null(strstr(f->err, expect));
	assert_non_null(strstr(f->err, "same build"));

	assert_int_equal(rp_chan_inspect(f->path, NULL, NULL, f->err, sizeof(f->err)), -EPROTO);
}

static void test_foreign_file(void **state)
{
	struct fixture *f = *state;
	struct rp_chan *ch = NULL;
	char buf[8192], back[8192];
	int fd;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = "hello, world\n"[i % 13];
	fd = open(f->path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, sizeof(buf)), sizeof(buf));

	assert_int_equal(rp_chan_open(f->path, RP_ROLE_CP, 64, &ch, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_null(ch);
	assert_non_null(strstr(f->err, "not a Rampart control region"));
	assert_int_equal(rp_chan_inspect(f->path, NULL, NULL, f->err, sizeof(f->err)), -EINVAL);
	/* ... and it was left alone. */
	assert_int_equal(pread(fd, back, sizeof(back), 0), sizeof(back));
	assert_memory_equal(buf, back, sizeof(buf));

	/* Too short to be a region at all. */
	assert_int_equal(ftruncate(fd, 100), 0);
	assert_int_equal(rp_chan_open(f->path, RP_ROLE_CP, 64, &ch, f->err, sizeof(f->err)),
			 -EINVAL);
	close(fd);

	/* A region whose size disagrees with its header. */
	unlink(f->path);
	assert_int_equal(rp_chan_open(f->path, RP_ROLE_CP, 64, &f->cp, f->err, sizeof(f->err)), 0);
	rp_chan_close(f->cp);
	f->cp = NULL;
	assert_int_equal(truncate(f->path, 4096 + 64 * RP_MSG_SIZE), 0);
	assert_int_equal(rp_chan_open(f->path, RP_ROLE_CP, 64, &ch, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_non_null(strstr(f->err, "corrupt"));
}

static void test_busy(void **state)
{
	struct fixture *f = *state;
	struct rp_chan *ch = NULL;
	char expect[64];

	open_both(f, 64);
	/* OFD locks of two open file descriptions conflict even within one process. */
	assert_int_equal(rp_chan_open(f->path, RP_ROLE_CP, 64, &ch, f->err, sizeof(f->err)),
			 -EBUSY);
	assert_null(ch);
	snprintf(expect, sizeof(expect), "by pid %d", (int)getpid());
	assert_non_null(strstr(f->err, expect));
	assert_int_equal(rp_chan_open(f->path, RP_ROLE_DP, 64, &ch, f->err, sizeof(f->err)),
			 -EBUSY);
	/* The failed attach did not bump the epoch. */
	assert_int_equal(rp_chan_epoch(f->cp), 1);

	rp_chan_close(f->cp);
	f->cp = NULL;
	assert_int_equal(rp_chan_open(f->path, RP_ROLE_CP, 64, &f->cp, f->err, sizeof(f->err)), 0);
	assert_int_equal(rp_chan_epoch(f->cp), 2);
}

static void test_peer_liveness(void **state)
{
	struct fixture *f = *state;
	struct rp_chan_side_info info, cp, dp;
	int pfd[2], status;
	pid_t child;
	char c;

	open_both(f, 64);
	rp_chan_peer(f->cp, &info);
	assert_true(info.attached);
	assert_int_equal(info.epoch, 1);
	assert_int_equal(info.pid, getpid());
	rp_chan_peer(f->dp, &info);
	assert_true(info.attached);

	rp_chan_close(f->dp);
	f->dp = NULL;
	rp_chan_peer(f->cp, &info);
	assert_false(info.attached);
	assert_int_equal(info.epoch, 1);

	/* A peer in another process that dies without closing: the kernel drops its lock. */
	assert_int_equal(pipe(pfd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct rp_chan *ch;

		if (rp_chan_open(f->path, RP_ROLE_DP, 64, &ch, NULL, 0))
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	rp_chan_peer(f->cp, &info);
	assert_true(info.attached);
	assert_int_equal(info.pid, child);
	assert_int_equal(info.epoch, 2);

	assert_int_equal(kill(child, SIGKILL), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	rp_chan_peer(f->cp, &info);
	assert_false(info.attached);
	assert_int_equal(info.pid, child);

	assert_int_equal(rp_chan_inspect(f->path, &cp, &dp, f->err, sizeof(f->err)), 0);
	assert_true(cp.attached);
	assert_false(dp.attached);
	rp_chan_close(f->cp);
	f->cp = NULL;
	assert_int_equal(rp_chan_inspect(f->path, &cp, &dp, f->err, sizeof(f->err)), 0);
	assert_false(cp.attached);
	assert_false(dp.attached);
	assert_int_equal(cp.epoch, 1);
	assert_int_equal(dp.epoch, 2);
}

static void test_heartbeat(void **state)
{
	struct fixture *f = *state;
	struct rp_chan_side_info before, after;
	struct timespec ts = { 0, 2000000 };

	open_both(f, 64);
	rp_chan_peer(f->cp, &before);
	nanosleep(&ts, NULL);
	rp_chan_heartbeat(f->dp);
	rp_chan_peer(f->cp, &after);
	assert_true(after.heartbeat_ns >= before.heartbeat_ns + 2000000);
}

static void test_producer_resume(void **state)
{
	struct fixture *f = *state;
	struct rp_msg_hdr last;
	uint64_t seq;

	open_both(f, 64);
	assert_false(rp_chan_last_sent(f->cp, &last));
	assert_false(rp_chan_last_sent(f->dp, &last));
	for (uint64_t i = 1; i <= 5; i++)
		assert_int_equal(send_kv(f->cp, i, i, 100 + i, NULL), 0);
	/* The consumer takes two; their payloads are wiped but headers stay. */
	expect_kv(f->dp, 1, 1, 1);
	expect_kv(f->dp, 2, 2, 2);

	rp_chan_close(f->cp);
	f->cp = NULL;
	assert_int_equal(rp_chan_open(f->path, RP_ROLE_CP, 64, &f->cp, f->err, sizeof(f->err)), 0);
	assert_int_equal(rp_chan_epoch(f->cp), 2);
	assert_true(rp_chan_last_sent(f->cp, &last));
	assert_int_equal(last.seq, 5);
	assert_int_equal(last.cookie, 105);
	assert_int_equal(last.type, RP_MSG_KV_SET);
	assert_int_equal(last.epoch, 1);

	assert_int_equal(send_kv(f->cp, 6, 6, 106, &seq), 0);
	assert_int_equal(seq, 6);
	for (uint64_t i = 3; i <= 6; i++)
		expect_kv(f->dp, i, i, i);

	/* Even once everything was consumed, the last header survives another restart. */
	rp_chan_close(f->cp);
	f->cp = NULL;
	assert_int_equal(rp_chan_open(f->path, RP_ROLE_CP, 64, &f->cp, f->err, sizeof(f->err)), 0);
	assert_true(rp_chan_last_sent(f->cp, &last));
	assert_int_equal(last.seq, 6);
	assert_int_equal(last.cookie, 106);
	assert_int_equal(last.epoch, 2);
}

static void test_consumer_restart(void **state)
{
	struct fixture *f = *state;
	struct rp_chan_ring_pos pos;
	struct rp_msg m;
	char why[256];

	open_both(f, 64);
	for (uint64_t i = 1; i <= 10; i++)
		assert_int_equal(send_kv(f->cp, i, i * 7, i, NULL), 0);
	for (uint64_t i = 1; i <= 3; i++)
		expect_kv(f->dp, i, i, i * 7);
	rp_chan_close(f->dp);
	f->dp = NULL;

	assert_int_equal(rp_chan_open(f->path, RP_ROLE_DP, 64, &f->dp, f->err, sizeof(f->err)), 0);
	rp_chan_positions(f->dp, NULL, &pos);
	assert_int_equal(pos.tail, 3);
	assert_int_equal(pos.head, 10);
	assert_int_equal(rp_chan_pending(f->dp), 7);
	for (uint64_t i = 4; i <= 10; i++)
		expect_kv(f->dp, i, i, i * 7);
	assert_int_equal(rp_chan_recv(f->dp, &m, why, sizeof(why)), 0);

	/* Exactly once: a third consumer gets nothing. */
	rp_chan_close(f->dp);
	f->dp = NULL;
	assert_int_equal(rp_chan_open(f->path, RP_ROLE_DP, 64, &f->dp, f->err, sizeof(f->err)), 0);
	assert_int_equal(rp_chan_recv(f->dp, &m, why, sizeof(why)), 0);
	assert_int_equal(rp_chan_epoch(f->dp), 3);
}

/*
 * A consumer SIGKILLed inside rp_chan_recv() after copying a slot out but before releasing
 * it leaves the slot half-wiped. Forge that state (offsets of the layout pinned by static
 * asserts in chan.c: command ring tail at 256, its "taken" mark at 264, slots from 4096)
 * and check that the next consumer skips the slot instead of delivering a torn message.
 */
static void test_consumer_died_in_recv(void **state)
{
	struct fixture *f = *state;
	struct rp_chan_ring_pos pos;
	uint64_t tail, taken = 2;
	uint8_t zero[24] = { 0 };
	struct rp_msg m;
	char why[256];
	int fd;

	open_both(f, 64);
	for (uint64_t i = 1; i <= 3; i++)
		assert_int_equal(send_kv(f->cp, i, i, i, NULL), 0);
	expect_kv(f->dp, 1, 1, 1);
	rp_chan_close(f->dp);
	f->dp = NULL;

	fd = open(f->path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &tail, sizeof(tail), 256), sizeof(tail));
	assert_int_equal(tail, 1);
	assert_int_equal(pwrite(fd, &taken, sizeof(taken), 264), sizeof(taken));
	assert_int_equal(pwrite(fd, zero, sizeof(zero), 4096 + 1 * RP_MSG_SIZE + 40),
			 sizeof(zero));
	close(fd);

	assert_int_equal(rp_chan_open(f->path, RP_ROLE_DP, 64, &f->dp, f->err, sizeof(f->err)), 0);
	rp_chan_positions(f->dp, NULL, &pos);
	assert_int_equal(pos.tail, 2);
	assert_int_equal(rp_chan_pending(f->dp), 1);
	expect_kv(f->dp, 3, 3, 3);
	assert_int_equal(rp_chan_recv(f->dp, &m, why, sizeof(why)), 0);

	/* A clean detach leaves nothing to skip: the next consumer starts at the tail. */
	assert_int_equal(send_kv(f->cp, 4, 4, 4, NULL), 0);
	rp_chan_close(f->dp);
	f->dp = NULL;
	assert_int_equal(rp_chan_open(f->path, RP_ROLE_DP, 64, &f->dp, f->err, sizeof(f->err)), 0);
	expect_kv(f->dp, 4, 4, 4);
}

/* Two independent regions do not interfere (handles keep their own mapping). */
static void test_two_regions(void **state)
{
	struct fixture *f = *state;
	struct rp_chan *cp2 = NULL, *dp2 = NULL;
	char path2[128];

	snprintf(path2, sizeof(path2), "%s/region2", f->dir);
	open_both(f, 64);
	assert_int_equal(rp_chan_open(path2, RP_ROLE_CP, 128, &cp2, f->err, sizeof(f->err)), 0);
	assert_int_equal(rp_chan_open(path2, RP_ROLE_DP, 128, &dp2, f->err, sizeof(f->err)), 0);
	assert_int_equal(send_kv(f->cp, 1, 1, 0, NULL), 0);
	assert_int_equal(send_kv(cp2, 2, 2, 0, NULL), 0);
	assert_int_equal(send_kv(cp2, 3, 3, 0, NULL), 0);
	assert_int_equal(rp_chan_pending(f->dp), 1);
	assert_int_equal(rp_chan_pending(dp2), 2);
	expect_kv(dp2, 1, 2, 2);
	expect_kv(f->dp, 1, 1, 1);
	rp_chan_close(cp2);
	rp_chan_close(dp2);
	assert_int_equal(rp_chan_unlink(path2), 0);
	assert_int_equal(rp_chan_unlink(path2), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_and_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_payload_wiped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_liveness, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_producer_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consumer_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consumer_died_in_recv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_regions, setup, teardown),
	};

	/* test_consumer_died_in_recv provokes an expected notice; keep the output quiet. */
	rp_log_init("test_chan", RP_LOG_STDERR, RP_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
