/*
 * log.h - one log line per event, at the edge: what, where, why.
 *
 * Goes to stderr (default, with the program name) or syslog (log_use_syslog).
 * log_limited() rate-limits lines per key (e.g. one channel) so a hostile
 * guest cannot flood the log: at most `burst` lines per 10 s per key, then a
 * single "N lines suppressed" line when the window ends.
 */
#ifndef XENCHANNEL_LOG_H
#define XENCHANNEL_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(const char *progname);
void log_use_syslog(int on);
void log_set_level(enum log_level lvl);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Rate limit state, one per key (embed it in the object it speaks for). */
struct log_limit {
	uint64_t window_start_ms;
	unsigned count;
	unsigned suppressed;
};
void log_limited(struct log_limit *lim, unsigned burst, enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
