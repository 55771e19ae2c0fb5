/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The control channel: two SPSC rings of fixed-size slots in a shared file (see chan.h).
 *
 * Region layout (RP_MSG_VERSION pins it):
 *
 *   0                 struct chan_region: magic, version, geometry, the two side blocks and
 *                     the two rings' head/tail lines (CHAN_HDR_SIZE bytes, one page)
 *   CHAN_HDR_SIZE     command ring slots (slots * RP_MSG_SIZE)
 *   + slots*SIZE      event ring slots
 *
 * Bytes CHAN_LOCK_OFF + role of the file carry each side's OFD lock; locks are on byte
 * ranges, not on data, so these bytes may overlap the header.
 */
#include "common/chan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

/* "RAMPART1" read as a little-endian 64-bit integer. */
#define CHAN_MAGIC 0x31545241504d4152ull
#define CHAN_HDR_SIZE 4096u
#define CHAN_LOCK_OFF 64
#define CHAN_SLOTS_MIN 64u
#define CHAN_SLOTS_MAX (1u << 20)

enum { RING_CMD = 0, RING_EVT = 1 };

struct chan_side {
	alignas(64) _Atomic uint32_t pid;
	_Atomic uint32_t epoch;
	_Atomic uint32_t version;
	uint32_t pad;
	_Atomic uint64_t heartbeat_ns;
};

struct chan_ring {
	alignas(64) _Atomic uint64_t head; /* producer-owned: slots published */
	alignas(64) _Atomic uint64_t tail; /* consumer-owned: slots released */
	/* Consumer-owned: set to tail + 1 once the slot at tail has been copied out, before it
	 * is wiped. If it is ahead of tail at attach, the previous consumer died in between. */
	_Atomic uint64_t taken;
};

struct chan_region {
	/* magic and version stay at offsets 0 and 8 in every layout (chan.h) */
	_Atomic uint64_t magic;
	uint32_t version;
	uint32_t slot_size;
	uint32_t slots;
	uint32_t hdr_size;
	uint64_t total_size;
	struct chan_side side[2];   /* indexed by enum rp_chan_role */
	struct chan_ring ring[2];   /* RING_CMD, RING_EVT */
};
/* The region layout is part of RP_MSG_VERSION: bump it when one of these changes. */
static_assert(offsetof(struct chan_region, version) == 8, "version at a fixed offset");
static_assert(offsetof(struct chan_region, side) == 64, "side blocks");
static_assert(sizeof(struct chan_side) == 64, "one cache line per side");
static_assert(offsetof(struct chan_ring, tail) == 64, "head and tail on separate lines");
static_assert(offsetof(struct chan_region, ring) == 192, "ring control lines");
static_assert(sizeof(struct chan_region) == 448, "region header layout");
static_assert(sizeof(struct chan_region) <= CHAN_HDR_SIZE, "region header fits its page");
static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free to be shared");

struct rp_chan {
	int fd;
	enum rp_chan_role role;
	uint32_t epoch;
	uint32_t slots;
	uint32_t mask;
	struct chan_region *reg;
	size_t map_len;
	struct chan_ring *out;     /* ring we produce on */
	struct chan_ring *in;      /* ring we consume from */
	struct rp_msg *out_slots;
	struct rp_msg *in_slots;
	uint64_t out_head;         /* our own head (we are its only writer) */
	uint64_t out_tail_cache;   /* last tail seen; refreshed only when the ring looks full */
	uint64_t in_tail;          /* our own tail */
	uint64_t in_head_cache;    /* last head seen; refreshed only when the ring looks empty */
	char path[];
};

static const char *role_name(enum rp_chan_role role)
{
	return role == RP_ROLE_CP ? "CP (rampartd)" : "DP (rampart-dp)";
}

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static enum rp_chan_role peer_role(const struct rp_chan *ch)
{
	return ch->role == RP_ROLE_CP ? RP_ROLE_DP : RP_ROLE_CP;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t region_size(uint32_t slots)
{
	return CHAN_HDR_SIZE + 2ull * slots * RP_MSG_SIZE;
}

static bool slots_ok(uint32_t slots)
{
	return slots >= CHAN_SLOTS_MIN && slots <= CHAN_SLOTS_MAX && !(slots & (slots - 1));
}

static struct rp_msg *ring_slots(struct chan_region *reg, int ring)
{
	return (struct rp_msg *)((char *)reg + CHAN_HDR_SIZE + (size_t)ring * reg->slots * RP_MSG_SIZE);
}

static int flock_retry(int fd, int op)
{
	while (flock(fd, op) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* Is the role byte locked by another open file description than fd's? */
static bool role_locked(int fd, enum rp_chan_role role)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = CHAN_LOCK_OFF + role,
		.l_len = 1,
	};

	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return false;
	return fl.l_type != F_UNLCK;
}

static int create_region(int fd, const char *path, uint32_t slots, struct chan_region **regp,
			 size_t *lenp, char *err, size_t errlen)
{
	uint64_t total = region_size(slots);
	struct chan_region *reg;
	int rc;

	if (!slots_ok(slots))
		return fail(-EINVAL, err, errlen,
			    "%s: ring size %u is not a power of two in %u..%u", path, slots,
			    CHAN_SLOTS_MIN, CHAN_SLOTS_MAX);
	/* Reserve the memory now: on tmpfs a short region would SIGBUS later instead. */
	rc = posix_fallocate(fd, 0, (off_t)total);
	if (rc)
		return fail(-rc, err, errlen, "%s: cannot allocate %llu bytes: %s", path,
			    (unsigned long long)total, strerror(rc));
	reg = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (reg == MAP_FAILED)
		return fail(-errno, err, errlen, "%s: mmap: %s", path, strerror(errno));
	/* The file is zero-filled: heads, tails, epochs and slots start at 0. */
	reg->version = RP_MSG_VERSION;
	reg->slot_size = RP_MSG_SIZE;
	reg->slots = slots;
	reg->hdr_size = CHAN_HDR_SIZE;
	reg->total_size = total;
	/* Magic last: a creator that dies before this leaves a file nobody will trust. */
	atomic_store_explicit(&reg->magic, CHAN_MAGIC, memory_order_release);
	*regp = reg;
	*lenp = total;
	return 0;
}

/*
 * Map an existing region and check it is one of ours, of our version and consistent.
 * Caller holds flock() on fd, so a concurrent creator has finished.
 */
static int map_region(int fd, const char *path, bool writable, struct chan_region **regp,
		      size_t *lenp, char *err, size_t errlen)
{
	struct chan_region *reg;
	struct stat st;
	uint64_t magic;
	int rc = 0;

	if (fstat(fd, &st) < 0)
		return fail(-errno, err, errlen, "%s: stat: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(-EINVAL, err, errlen, "%s: not a regular file", path);
	if (st.st_size < (off_t)CHAN_HDR_SIZE)
		return fail(-EINVAL, err, errlen,
			    "%s: not a Rampart control region (%lld bytes, too short)", path,
			    (long long)st.st_size);
	reg = mmap(NULL, (size_t)st.st_size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED,
		   fd, 0);
	if (reg == MAP_FAILED)
		return fail(-errno, err, errlen, "%s: mmap: %s", path, strerror(errno));

	magic = atomic_load_explicit(&reg->magic, memory_order_acquire);
	if (magic != CHAN_MAGIC) {
		rc = fail(-EINVAL, err, errlen,
			  magic ? "%s: not a Rampart control region (bad magic)"
				: "%s: not a Rampart control region (no magic: creation was "
				  "interrupted? remove the file)",
			  path);
		goto out;
	}
	if (reg->version != RP_MSG_VERSION) {
		rc = fail(-EPROTO, err, errlen,
			  "%s: control region has layout version %u but this build speaks version "
			  "%u; restart both rampartd and rampart-dp from the same build",
			  path, reg->version, RP_MSG_VERSION);
		goto out;
	}
	if (reg->slot_size != RP_MSG_SIZE || reg->hdr_size != CHAN_HDR_SIZE ||
	    !slots_ok(reg->slots) || reg->total_size != region_size(reg->slots) ||
	    (uint64_t)st.st_size != reg->total_size) {
		rc = fail(-EINVAL, err, errlen,
			  "%s: corrupt control region (slot size %u, %u slots, %llu bytes recorded, "
			  "file has %lld)",
			  path, reg->slot_size, reg->slots, (unsigned long long)reg->total_size,
			  (long long)st.st_size);
		goto out;
	}
out:
	if (rc) {
		munmap(reg, (size_t)st.st_size);
		return rc;
	}
	*regp = reg;
	*lenp = (size_t)st.st_size;
	return 0;
}

/* A consumer killed between copying a slot out and releasing it: see struct chan_ring. */
static void recover_taken(struct rp_chan *ch, uint32_t prev_pid)
{
	uint64_t tail = atomic_load_explicit(&ch->in->tail, memory_order_relaxed);
	uint64_t taken = atomic_load_explicit(&ch->in->taken, memory_order_relaxed);

	if (taken != tail + 1)
		return;
	RP_NOTICE("chan", "%s: message seq %llu was taken by the previous consumer (pid %u) "
		  "before it died; not delivering it again", ch->path,
		  (unsigned long long)taken, prev_pid);
	explicit_bzero(ch->in_slots[tail & ch->mask].u.raw, RP_MSG_PAYLOAD_MAX);
	atomic_store_explicit(&ch->in->tail, taken, memory_order_release);
}

int rp_chan_open(const char *path, enum rp_chan_role role, uint32_t slots, struct rp_chan **out,
		 char *err, size_t errlen)
{
	struct chan_region *reg = NULL;
	struct rp_chan *ch = NULL;
	struct chan_side *me;
	struct stat st;
	size_t len = 0;
	int fd = -1, rc;
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = CHAN_LOCK_OFF + role,
		.l_len = 1,
	};

	if (!path || !*path || !out || (role != RP_ROLE_CP && role != RP_ROLE_DP))
		return fail(-EINVAL, err, errlen, "rp_chan_open: bad arguments");
	*out = NULL;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = fail(-errno, err, errlen, "%s: open: %s", path, strerror(errno));
		goto out;
	}
	/* Serialises creation against validation: nobody reads a half-made header. */
	rc = flock_retry(fd, LOCK_EX);
	if (rc) {
		fail(rc, err, errlen, "%s: flock: %s", path, strerror(-rc));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = fail(-errno, err, errlen, "%s: stat: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size == 0)
		rc = create_region(fd, path, slots, &reg, &len, err, errlen);
	else
		rc = map_region(fd, path, true, &reg, &len, err, errlen);
	if (rc)
		goto out;

	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			rc = fail(-EBUSY, err, errlen, "%s: role %s already attached by pid %u", path,
				  role_name(role),
				  atomic_load_explicit(&reg->side[role].pid, memory_order_relaxed));
		else
			rc = fail(-errno, err, errlen, "%s: lock: %s", path, strerror(errno));
		goto out;
	}

	ch = calloc(1, sizeof(*ch) + strlen(path) + 1);
	if (!ch) {
		rc = fail(-ENOMEM, err, errlen, "%s: out of memory", path);
		goto out;
	}
	strcpy(ch->path, path);
	ch->fd = fd;
	ch->role = role;
	ch->reg = reg;
	ch->map_len = len;
	ch->slots = reg->slots;
	ch->mask = reg->slots - 1;
	ch->out = &reg->ring[role == RP_ROLE_CP ? RING_CMD : RING_EVT];
	ch->in = &reg->ring[role == RP_ROLE_CP ? RING_EVT : RING_CMD];
	ch->out_slots = ring_slots(reg, role == RP_ROLE_CP ? RING_CMD : RING_EVT);
	ch->in_slots = ring_slots(reg, role == RP_ROLE_CP ? RING_EVT : RING_CMD);

	me = &reg->side[role];
	recover_taken(ch, atomic_load_explicit(&me->pid, memory_order_relaxed));
	ch->out_head = atomic_load_explicit(&ch->out->head, memory_order_relaxed);
	ch->out_tail_cache = atomic_load_explicit(&ch->out->tail, memory_order_acquire);
	ch->in_tail = atomic_load_explicit(&ch->in->tail, memory_order_relaxed);
	ch->in_head_cache = atomic_load_explicit(&ch->in->head, memory_order_acquire);

	atomic_store_explicit(&me->pid, (uint32_t)getpid(), memory_order_relaxed);
	atomic_store_explicit(&me->version, RP_MSG_VERSION, memory_order_relaxed);
	atomic_store_explicit(&me->heartbeat_ns, now_ns(), memory_order_relaxed);
	/* Epoch last: a peer that sees the new epoch also sees the new pid. */
	ch->epoch = atomic_fetch_add_explicit(&me->epoch, 1, memory_order_release) + 1;

	flock_retry(fd, LOCK_UN);
	*out = ch;
	return 0;
out:
	if (reg)
		munmap(reg, len);
	if (fd >= 0)
		close(fd); /* drops flock and any OFD lock taken on this description */
	return rc;
}

void rp_chan_close(struct rp_chan *ch)
{
	if (!ch)
		return;
	munmap(ch->reg, ch->map_len);
	close(ch->fd);
	free(ch);
}

static void side_info(const struct chan_region *reg, int fd, enum rp_chan_role role,
		      struct rp_chan_side_info *info)
{
	const struct chan_side *s = &reg->side[role];

	info->epoch = atomic_load_explicit(&s->epoch, memory_order_acquire);
	info->pid = atomic_load_explicit(&s->pid, memory_order_relaxed);
	info->version = atomic_load_explicit(&s->version, memory_order_relaxed);
	info->heartbeat_ns = atomic_load_explicit(&s->heartbeat_ns, memory_order_relaxed);
	info->attached = role_locked(fd, role);
}

int rp_chan_inspect(const char *path, struct rp_chan_side_info *cp, struct rp_chan_side_info *dp,
		    char *err, size_t errlen)
{
	struct chan_region *reg = NULL;
	size_t len = 0;
	int fd, rc;

	if (!path)
		return fail(-EINVAL, err, errlen, "rp_chan_inspect: no path");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail(-errno, err, errlen, "%s: open: %s", path, strerror(errno));
	rc = flock_retry(fd, LOCK_SH);
	if (rc) {
		fail(rc, err, errlen, "%s: flock: %s", path, strerror(-rc));
		goto out;
	}
	rc = map_region(fd, path, false, &reg, &len, err, errlen);
	if (rc)
		goto out;
	/* This description holds no role lock, so GETLK sees both sides' locks. */
	if (cp)
		side_info(reg, fd, RP_ROLE_CP, cp);
	if (dp)
		side_info(reg, fd, RP_ROLE_DP, dp);
	munmap(reg, len);
out:
	close(fd);
	return rc;
}

int rp_chan_unlink(const char *path)
{
	if (!path)
		return -EINVAL;
	return unlink(path) < 0 ? -errno : 0;
}

uint32_t rp_chan_epoch(const struct rp_chan *ch)
{
	return ch->epoch;
}

void rp_chan_peer(const struct rp_chan *ch, struct rp_chan_side_info *info)
{
	/* Only the other side's byte: GETLK never reports our own description's lock. */
	side_info(ch->reg, ch->fd, peer_role(ch), info);
}

uint32_t rp_chan_peer_epoch(const struct rp_chan *ch)
{
	return atomic_load_explicit(&ch->reg->side[peer_role(ch)].epoch, memory_order_acquire);
}

void rp_chan_heartbeat(struct rp_chan *ch)
{
	atomic_store_explicit(&ch->reg->side[ch->role].heartbeat_ns, now_ns(),
			      memory_order_relaxed);
}

static bool out_has_space(struct rp_chan *ch)
{
	if (ch->out_head - ch->out_tail_cache < ch->slots)
		return true;
	ch->out_tail_cache = atomic_load_explicit(&ch->out->tail, memory_order_acquire);
	return ch->out_head - ch->out_tail_cache < ch->slots;
}

static void publish(struct rp_chan *ch)
{
	ch->out_head++;
	atomic_store_explicit(&ch->out->head, ch->out_head, memory_order_release);
}

int rp_chan_send(struct rp_chan *ch, uint16_t type, const void *payload, size_t len,
		 const struct rp_msg_hdr *hdr_in, uint64_t *seq)
{
	const unsigned int known_flags = RP_MSGF_MORE | RP_MSGF_RESYNC;
	int plen = rp_msg_payload_len(type);
	struct rp_msg *slot;
	struct rp_msg_hdr h;

	if (plen < 0 || (size_t)plen != len || (len && !payload) ||
	    rp_msg_is_command(type) != (ch->role == RP_ROLE_CP) ||
	    (hdr_in && (hdr_in->flags & ~known_flags)))
		return -EINVAL;
	if (!out_has_space(ch))
		return -EAGAIN;

	memset(&h, 0, sizeof(h));
	h.version = RP_MSG_VERSION;
	h.type = type;
	h.len = (uint16_t)len;
	h.epoch = ch->epoch;
	h.seq = ch->out_head + 1;
	if (hdr_in) {
		h.flags = hdr_in->flags;
		h.ref = hdr_in->ref;
		h.cookie = hdr_in->cookie;
	}
	/* Only hdr + len bytes: the rest of a free slot's payload is zero (recv wiped it). */
	slot = &ch->out_slots[ch->out_head & ch->mask];
	memcpy(&slot->hdr, &h, sizeof(h));
	if (len)
		memcpy(slot->u.raw, payload, len);
	publish(ch);
	if (seq)
		*seq = h.seq;
	return 0;
}

int rp_chan_send_raw(struct rp_chan *ch, const struct rp_msg *m)
{
	if (!out_has_space(ch))
		return -EAGAIN;
	memcpy(&ch->out_slots[ch->out_head & ch->mask], m, sizeof(*m));
	publish(ch);
	return 0;
}

int rp_chan_recv(struct rp_chan *ch, struct rp_msg *out, char *why, size_t whylen)
{
	struct rp_msg *slot;
	size_t l;
	int rc;

	if (ch->in_tail == ch->in_head_cache) {
		ch->in_head_cache = atomic_load_explicit(&ch->in->head, memory_order_acquire);
		if (ch->in_tail == ch->in_head_cache)
			return 0;
		if (ch->in_head_cache - ch->in_tail > ch->slots) {
			uint64_t head = ch->in_head_cache;

			ch->in_head_cache = ch->in_tail;
			return fail(-EIO, why, whylen, "%s: corrupt ring (head %llu, tail %llu)",
				    ch->path, (unsigned long long)head,
				    (unsigned long long)ch->in_tail);
		}
	}
	slot = &ch->in_slots[ch->in_tail & ch->mask];
	memcpy(&out->hdr, &slot->hdr, sizeof(out->hdr));
	/* Copy what the header claims (bounded); never pass on bytes beyond it. */
	l = out->hdr.len < RP_MSG_PAYLOAD_MAX ? out->hdr.len : RP_MSG_PAYLOAD_MAX;
	memcpy(out->u.raw, slot->u.raw, l);
	memset(out->u.raw + l, 0, RP_MSG_PAYLOAD_MAX - l);
	atomic_store_explicit(&ch->in->taken, ch->in_tail + 1, memory_order_release);

	rc = rp_msg_validate(out, ch->role == RP_ROLE_DP, why, whylen);
	/* A good message has nothing beyond len; a bad one may have anything anywhere. */
	explicit_bzero(slot->u.raw, rc ? RP_MSG_PAYLOAD_MAX : l);
	ch->in_tail++;
	atomic_store_explicit(&ch->in->tail, ch->in_tail, memory_order_release);
	return rc ? rc : 1;
}

uint32_t rp_chan_pending(const struct rp_chan *ch)
{
	return (uint32_t)(atomic_load_explicit(&ch->in->head, memory_order_acquire) - ch->in_tail);
}

uint32_t rp_chan_space(const struct rp_chan *ch)
{
	uint64_t tail = atomic_load_explicit(&ch->out->tail, memory_order_acquire);

	return ch->slots - (uint32_t)(ch->out_head - tail);
}

bool rp_chan_last_sent(const struct rp_chan *ch, struct rp_msg_hdr *hdr)
{
	/* The consumer wipes payloads only, so the header of head - 1 is still ours. */
	if (ch->out_head == 0)
		return false;
	memcpy(hdr, &ch->out_slots[(ch->out_head - 1) & ch->mask].hdr, sizeof(*hdr));
	return true;
}

void rp_chan_positions(const struct rp_chan *ch, struct rp_chan_ring_pos *out_ring,
		       struct rp_chan_ring_pos *in_ring)
{
	if (out_ring) {
		out_ring->head = ch->out_head;
		out_ring->tail = atomic_load_explicit(&ch->out->tail, memory_order_acquire);
	}
	if (in_ring) {
		in_ring->head = atomic_load_explicit(&ch->in->head, memory_order_acquire);
		in_ring->tail = ch->in_tail;
	}
}

uint32_t rp_chan_slots(const struct rp_chan *ch)
{
	return ch->slots;
}

const char *rp_chan_path(const struct rp_chan *ch)
{
	return ch->path;
}
