/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * What rampart-dp adds around DPDK's EAL: its log stream, and removing the hugepage files
 * EAL leaves behind.
 *
 * DPDK writes its messages to a stdio stream (stdout and syslog by default). Give it a
 * stream whose lines go through rp_log instead, so rampart-dp has one log format, one
 * target and one level.
 */
#include <dirent.h>
#include <errno.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <rte_log.h>

#include "common/log.h"
#include "dataplane/dp.h"

/* A message may arrive in pieces; glibc calls us with the FILE lock held, so this buffer
 * needs no lock of its own. */
static char pending[1024];
static size_t pending_len;

static enum rp_log_level level_from_dpdk(int lvl)
{
	if (lvl <= (int)RTE_LOG_ERR)
		return RP_LOG_ERR;
	if (lvl == (int)RTE_LOG_WARNING)
		return RP_LOG_WARN;
	if (lvl == (int)RTE_LOG_NOTICE)
		return RP_LOG_NOTICE;
	if (lvl == (int)RTE_LOG_INFO)
		return RP_LOG_INFO;
	return RP_LOG_DEBUG;
}

/* DPDK warnings that are expected in rampart-dp's set-up and would only alarm an operator. */
static const char *const benign[] = {
	/* rampart-dp uses the v2 telemetry socket; the legacy one has no users. */
	"TELEMETRY: No legacy callbacks, legacy socket not created",
};

static void emit(void)
{
	int lvl = rte_log_cur_msg_loglevel();

	while (pending_len && (pending[pending_len - 1] == '\n' || pending[pending_len - 1] == '\r'))
		pending_len--;
	pending[pending_len] = '\0';
	if (lvl <= 0)
		lvl = RTE_LOG_INFO;
	for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++)
		if (strstr(pending, benign[i]))
			lvl = RTE_LOG_DEBUG;
	if (pending_len)
		rp_log(level_from_dpdk(lvl), "dpdk", "%s", pending);
	pending_len = 0;
}

static ssize_t stream_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n') {
			emit();
			continue;
		}
		if (pending_len + 1 >= sizeof(pending))
			emit();
		pending[pending_len++] = buf[i];
	}
	return (ssize_t)size;
}

int dp_eal_log_redirect(void)
{
	static const cookie_io_functions_t fns = { .write = stream_write };
	FILE *f = fopencookie(NULL, "w", fns);

	if (!f)
		return -errno;
	/* Line buffering: a line reaches rp_log as soon as DPDK ends it. */
	setvbuf(f, NULL, _IOLBF, 0);
	return rte_openlog_stream(f);
}

/* "<prefix>map_<digits>": the name EAL gives its hugepage files. */
static bool is_our_hugefile(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(name, prefix, n) != 0 || strncmp(name + n, "map_", 4) != 0)
		return false;
	name += n + 4;
	if (!*name)
		return false;
	for (; *name; name++)
		if (*name < '0' || *name > '9')
			return false;
	return true;
}

int dp_eal_hugefiles_remove(const char *prefix)
{
	FILE *mounts = setmntent("/proc/mounts", "r");
	unsigned int removed = 0;
	struct mntent *me;

	if (!mounts)
		return -errno;
	while ((me = getmntent(mounts)) != NULL) {
		struct dirent *de;
		DIR *d;

		if (strcmp(me->mnt_type, "hugetlbfs") != 0)
			continue;
		d = opendir(me->mnt_dir);
		if (!d)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (!is_our_hugefile(de->d_name, prefix))
				continue;
			if (unlinkat(dirfd(d), de->d_name, 0) == 0)
				removed++;
			else
				RP_WARN("dp", "cannot remove hugepage file %s/%s: %s", me->mnt_dir,
					de->d_name, strerror(errno));
		}
		closedir(d);
	}
	endmntent(mounts);
	if (removed)
		RP_INFO("dp", "removed %u hugepage file%s of %s: the pages are free again", removed,
			removed == 1 ? "" : "s", prefix);
	return (int)removed;
}
