/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file log.h
 * One logging module for every Rampart program.
 *
 * Messages go to stderr (default, with a timestamp) or syslog. Each message carries a level
 * and a component tag ("chan", "ike", "dp"). The data path uses the rate-limited variant,
 * which lets at most a burst of messages through per call site and per second and then
 * reports how many were suppressed.
 */
#ifndef RAMPART_COMMON_LOG_H
#define RAMPART_COMMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum rp_log_level {
	RP_LOG_ERR = 0,
	RP_LOG_WARN = 1,
	RP_LOG_NOTICE = 2,
	RP_LOG_INFO = 3,
	RP_LOG_DEBUG = 4,
};

enum rp_log_target {
	RP_LOG_STDERR = 0,
	RP_LOG_SYSLOG = 1,
};

/** Set program name (syslog ident and stderr prefix), target and threshold. */
void rp_log_init(const char *prog, enum rp_log_target target, enum rp_log_level level);

void rp_log_set_level(enum rp_log_level level);
enum rp_log_level rp_log_get_level(void);

/** Parse "err"/"error", "warn"/"warning", "notice", "info", "debug". @return -1 if unknown. */
int rp_log_level_parse(const char *s);
const char *rp_log_level_name(enum rp_log_level level);

/** True if messages of @p level are emitted (use to skip expensive formatting). */
bool rp_log_enabled(enum rp_log_level level);

void rp_log(enum rp_log_level level, const char *comp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rp_vlog(enum rp_log_level level, const char *comp, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/** Per-call-site state of the rate limiter. Zero-initialised is valid. */
struct rp_log_ratelimit {
	uint64_t window_start_ns;
	uint32_t emitted;
	uint32_t suppressed;
};

/** Messages allowed per call site and per second by RP_LOG_RL. */
#define RP_LOG_RL_BURST 10

void rp_log_rl(struct rp_log_ratelimit *rl, enum rp_log_level level, const char *comp,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define RP_ERR(comp, ...) rp_log(RP_LOG_ERR, comp, __VA_ARGS__)
#define RP_WARN(comp, ...) rp_log(RP_LOG_WARN, comp, __VA_ARGS__)
#define RP_NOTICE(comp, ...) rp_log(RP_LOG_NOTICE, comp, __VA_ARGS__)
#define RP_INFO(comp, ...) rp_log(RP_LOG_INFO, comp, __VA_ARGS__)
#define RP_DEBUG(comp, ...)                                         \
	do {                                                        \
		if (rp_log_enabled(RP_LOG_DEBUG))                   \
			rp_log(RP_LOG_DEBUG, comp, __VA_ARGS__);    \
	} while (0)

/** Rate-limited log: one limiter per call site (thread-safe enough for counters). */
#define RP_LOG_RL(level, comp, ...)                                 \
	do {                                                        \
		static __thread struct rp_log_ratelimit rl_;        \
		if (rp_log_enabled(level))                          \
			rp_log_rl(&rl_, level, comp, __VA_ARGS__);  \
	} while (0)

#endif
