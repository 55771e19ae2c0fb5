/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Logging: stderr with timestamps, or syslog. */
#include "common/log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static struct {
	char prog[32];
	enum rp_log_target target;
	_Atomic int level;
} logger = { "rampart", RP_LOG_STDERR, RP_LOG_INFO };

static const char *const level_names[] = { "err", "warn", "notice", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

void rp_log_init(const char *prog, enum rp_log_target target, enum rp_log_level level)
{
	snprintf(logger.prog, sizeof(logger.prog), "%s", prog ? prog : "rampart");
	logger.target = target;
	atomic_store(&logger.level, level);
	if (target == RP_LOG_SYSLOG)
		openlog(logger.prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void rp_log_set_level(enum rp_log_level level)
{
	atomic_store(&logger.level, level);
}

enum rp_log_level rp_log_get_level(void)
{
	return atomic_load_explicit(&logger.level, memory_order_relaxed);
}

bool rp_log_enabled(enum rp_log_level level)
{
	return (int)level <= atomic_load_explicit(&logger.level, memory_order_relaxed);
}

int rp_log_level_parse(const char *s)
{
	if (!s)
		return -1;
	if (!strcasecmp(s, "error"))
		return RP_LOG_ERR;
	if (!strcasecmp(s, "warning"))
		return RP_LOG_WARN;
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcasecmp(s, level_names[i]))
			return (int)i;
	return -1;
}

const char *rp_log_level_name(enum rp_log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "?";
	return level_names[level];
}

void rp_vlog(enum rp_log_level level, const char *comp, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved = errno;

	if (!rp_log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (logger.target == RP_LOG_SYSLOG) {
		syslog(syslog_prio[level], "%s: %s", comp ? comp : "-", msg);
	} else {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		/* One fprintf per line so that concurrent threads do not interleave. */
		fprintf(stderr, "%s.%03ld %s[%d] %s %s: %s\n", when, ts.tv_nsec / 1000000,
			logger.prog, (int)getpid(), level_names[level], comp ? comp : "-", msg);
	}
	errno = saved;
}

void rp_log(enum rp_log_level level, const char *comp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rp_vlog(level, comp, fmt, ap);
	va_end(ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void rp_log_rl(struct rp_log_ratelimit *rl, enum rp_log_level level, const char *comp,
	       const char *fmt, ...)
{
	uint64_t now = now_ns();
	va_list ap;

	if (now - rl->window_start_ns >= 1000000000ull) {
		if (rl->suppressed)
			rp_log(level, comp, "%u similar messages suppressed", rl->suppressed);
		rl->window_start_ns = now;
		rl->emitted = 0;
		rl->suppressed = 0;
	}
	if (rl->emitted >= RP_LOG_RL_BURST) {
		rl->suppressed++;
		return;
	}
	rl->emitted++;
	va_start(ap, fmt);
	rp_vlog(level, comp, fmt, ap);
	va_end(ap);
}
