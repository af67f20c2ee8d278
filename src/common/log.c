/* log.c - stderr or syslog lines, with per-key rate limiting. */
#include "xenchannel/log.h"
#include "xenchannel/loop.h"

#include <stdio.h>
#include <syslog.h>

static const char *prog = "xenchannel";
static int to_syslog;
static enum log_level max_level = LOG_LVL_INFO;

void log_init(const char *progname)
{
	prog = progname;
}

void log_use_syslog(int on)
{
	to_syslog = on;
	if (on)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum log_level lvl)
{
	max_level = lvl;
}

static void vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	static const char *const tag[] = {"error: ", "warning: ", "", "debug: "};
	if (lvl > max_level)
		return;
	if (to_syslog) {
		vsyslog(prio[lvl], fmt, ap);
		return;
	}
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s: %s%s\n", prog, tag[lvl], line);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

void log_limited(struct log_limit *lim, unsigned burst, enum log_level lvl, const char *fmt, ...)
{
	uint64_t now = loop_now_ms();
	if (now - lim->window_start_ms >= 10000u) {
		if (lim->suppressed)
			log_msg(lvl, "%u similar lines suppressed", lim->suppressed);
		lim->window_start_ms = now;
		lim->count = 0;
		lim->suppressed = 0;
	}
	if (lim->count >= burst) {
		lim->suppressed++;
		return;
	}
	lim->count++;
	va_list ap;
	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}
