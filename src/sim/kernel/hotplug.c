/*
 * hotplug.c - what the kernel and udevd do around a device: sysfs entries
 * under <root>/sys, uevents, the guest's udev rules and their RUN programs.
 *
 * Like udevd, events of one device run one after another (a remove never
 * overtakes the add of the same device) while different devices proceed in
 * parallel; the RUN programs of one event run in order, each as a child
 * process that the loop reaps without ever waiting on it.
 */
#include "guest.h"
#include "udev.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN_TIMEOUT_MS 30000u
#define WARN_SEEN_MAX 512u

struct hp_event {
	struct hp_event *next;
	char devpath[64];
	char kname[32];
	char action[16];
	struct udev_env props;
	int started;
	char **run; /* command lines still to run */
	size_t nrun, next_run;
	struct udev_env env; /* properties after the rules */
	pid_t pid;
	uint64_t timer;
	char cur[256]; /* the running command line, for messages */
};

struct settle_waiter {
	void (*cb)(void *arg);
	void *arg;
	struct settle_waiter *next;
};

struct hotplug {
	struct guest *g;
	struct hp_event *events; /* FIFO */
	uint64_t seqnum;
	char *seen[WARN_SEEN_MAX];
	size_t nseen;
	struct settle_waiter *waiters;
};

struct hotplug *hp_new(struct guest *g)
{
	struct hotplug *hp = calloc(1, sizeof(*hp));
	if (hp)
		hp->g = g;
	return hp;
}

static void event_free(struct hp_event *e)
{
	udev_env_clear(&e->props);
	udev_env_clear(&e->env);
	for (size_t i = 0; i < e->nrun; i++)
		free(e->run[i]);
	free(e->run);
	free(e);
}

void hp_free(struct hotplug *hp)
{
	if (!hp)
		return;
	while (hp->events) {
		struct hp_event *e = hp->events;
		hp->events = e->next;
		if (e->pid > 0)
			kill(e->pid, SIGKILL);
		event_free(e);
	}
	for (size_t i = 0; i < hp->nseen; i++)
		free(hp->seen[i]);
	while (hp->waiters) {
		struct settle_waiter *w = hp->waiters;
		hp->waiters = w->next;
		free(w);
	}
	free(hp);
}

/* ---- sysfs ----------------------------------------------------------- */

static void mkdirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

static void put(struct fe_dev *d, const char *file, const char *text)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/sys/devices/%s/%s", d->g->root, d->kname, file);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return;
	fputs(text, f);
	if (fclose(f) == 0)
		rename(tmp, path);
	else
		unlink(tmp);
}

static void sysfs_uevent_file(struct fe_dev *d)
{
	put(d, "uevent",
	    d->bind_sent ? "DRIVER=xenconsole\nMODALIAS=xen:console\n" : "MODALIAS=xen:console\n");
}

void hp_sysfs_state(struct fe_dev *d)
{
	char s[32];
	snprintf(s, sizeof(s), "%s\n", xb_state_name(d->state));
	put(d, "state", s);
}

static void sysfs_add(struct fe_dev *d)
{
	const char *root = d->g->root;
	char path[4096], target[128];
	snprintf(path, sizeof(path), "%s/sys/devices/%s", root, d->kname);
	mkdirs(path);
	char text[96];
	snprintf(text, sizeof(text), "%s\n", d->fe_path);
	put(d, "nodename", text);
	put(d, "devtype", "console\n");
	put(d, "modalias", "xen:console\n");
	hp_sysfs_state(d);
	sysfs_uevent_file(d);
	snprintf(path, sizeof(path), "%s/sys/devices/%s/subsystem", root, d->kname);
	unlink(path);
	if (symlink("../../bus/xen", path) < 0)
		log_debug("%s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/sys/bus/xen/devices", root);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/sys/bus/xen/drivers/xenconsole", root);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/sys/bus/xen/devices/%s", root, d->kname);
	snprintf(target, sizeof(target), "../../../devices/%s", d->kname);
	unlink(path);
	if (symlink(target, path) < 0)
		log_debug("%s: %s", path, strerror(errno));
}

static void sysfs_remove(struct fe_dev *d)
{
	static const char *const files[] = {"nodename", "devtype",   "modalias", "state",
	                                    "uevent",   "subsystem", "driver"};
	const char *root = d->g->root;
	char path[4096];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/sys/devices/%s/%s", root, d->kname, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sys/devices/%s", root, d->kname);
	if (rmdir(path) < 0 && errno != ENOENT)
		log_warn("removing %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/sys/bus/xen/devices/%s", root, d->kname);
	unlink(path);
}

/* ---- udev ------------------------------------------------------------ */

static void on_rule_warning(void *arg, const char *file, unsigned line, unsigned col,
                            const char *msg)
{
	struct hotplug *hp = arg;
	char text[1024];
	if (line)
		snprintf(text, sizeof(text), "%s:%u:%u: %s", file, line, col, msg);
	else
		snprintf(text, sizeof(text), "%s: %s", file, msg);
	for (size_t i = 0; i < hp->nseen; i++)
		if (strcmp(hp->seen[i], text) == 0)
			return; /* said once already */
	if (hp->nseen < WARN_SEEN_MAX)
		hp->seen[hp->nseen++] = strdup(text);
	log_warn("udev rules: %s", text);
}

static void start_ready(struct hotplug *hp);

static void notify_settled(struct hotplug *hp)
{
	if (hp->events)
		return;
	while (hp->waiters) {
		struct settle_waiter *w = hp->waiters;
		hp->waiters = w->next;
		w->cb(w->arg);
		free(w);
	}
}

static void finish(struct hotplug *hp, struct hp_event *e)
{
	for (struct hp_event **pp = &hp->events; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	event_free(e);
	start_ready(hp);
	notify_settled(hp);
}

/* Resolve a RUN program as udev does: bare names live in the udev directory. */
static int resolve(const char *root, const char *prog, char *out, size_t outlen)
{
	if (strchr(prog, '/')) {
		if (prog[0] == '/') {
			snprintf(out, outlen, "%s%s", root, prog);
			if (access(out, X_OK) == 0)
				return 0;
		}
		snprintf(out, outlen, "%s", prog);
		return access(out, X_OK);
	}
	static const char *const dirs[] = {"usr/lib/udev", "lib/udev"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(out, outlen, "%s/%s/%s", root, dirs[i], prog);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -1;
}

static void on_timeout(struct loop *l, void *arg)
{
	struct hp_event *e = arg;
	e->timer = 0;
	if (e->pid > 0) {
		log_warn("%s %s: RUN '%s' still running after %u ms; killed", e->kname, e->action,
		         e->cur, RUN_TIMEOUT_MS);
		kill(e->pid, SIGKILL);
	}
}

/* Start the next RUN program of e; finishes the event when none is left. */
static void run_next(struct hotplug *hp, struct hp_event *e)
{
	struct guest *g = hp->g;
	while (e->next_run < e->nrun) {
		const char *cmd = e->run[e->next_run++];
		snprintf(e->cur, sizeof(e->cur), "%s", cmd);
		char **argv = udev_split_argv(cmd);
		if (!argv) {
			log_warn("%s %s: RUN '%s': cannot split into arguments", e->kname,
			         e->action, cmd);
			continue;
		}
		char path[4096];
		if (resolve(g->root, argv[0], path, sizeof(path)) < 0) {
			log_warn("%s %s: RUN '%s': program not found (bare names are looked up in "
			         "%s/usr/lib/udev and %s/lib/udev)",
			         e->kname, e->action, argv[0], g->root, g->root);
			udev_argv_free(argv);
			continue;
		}
		/* environment: the guest's, then the event's properties */
		struct udev_env env;
		udev_env_init(&env);
		for (size_t i = 0; g->base_env[i]; i++) {
			const char *eq = strchr(g->base_env[i], '=');
			char key[128];
			if (!eq || (size_t)(eq - g->base_env[i]) >= sizeof(key))
				continue;
			snprintf(key, sizeof(key), "%.*s", (int)(eq - g->base_env[i]),
			         g->base_env[i]);
			udev_env_set(&env, key, eq + 1);
		}
		udev_env_copy(&env, &e->env);
		char *empty[] = {NULL};
		char **envp = env.kv ? env.kv : empty;
		pid_t pid = fork();
		if (pid == 0) {
			sigset_t all;
			sigemptyset(&all);
			sigprocmask(SIG_SETMASK, &all, NULL);
			int nul = open("/dev/null", O_RDWR);
			if (nul >= 0) {
				dup2(nul, 0);
				dup2(nul, 1); /* udev discards stdout unless asked */
			}
			closefrom(3); /* none of our rings, ptys or sockets */
			if (chdir("/") < 0)
				_exit(127);
			execve(path, argv, envp);
			_exit(127);
		}
		udev_env_clear(&env);
		udev_argv_free(argv);
		if (pid < 0) {
			log_err("%s %s: RUN '%s': fork: %s", e->kname, e->action, cmd,
			        strerror(errno));
			continue;
		}
		e->pid = pid;
		e->timer = loop_timer(g->loop, RUN_TIMEOUT_MS, on_timeout, e);
		return;
	}
	finish(hp, e);
}

static void start_event(struct hotplug *hp, struct hp_event *e)
{
	e->started = 1;
	struct udev_rules *r = udev_rules_new(on_rule_warning, hp);
	struct udev_result res;
	char sysroot[4096];
	snprintf(sysroot, sizeof(sysroot), "%s/sys", hp->g->root);
	if (!r || udev_rules_load_dirs(r, hp->g->root) < 0 ||
	    udev_rules_apply(r, &e->props, sysroot, &res) < 0) {
		log_err("%s %s: applying udev rules: out of memory", e->kname, e->action);
		udev_rules_free(r);
		finish(hp, e);
		return;
	}
	udev_rules_free(r);
	e->env = res.env;
	e->run = res.run;
	e->nrun = res.nrun;
	for (size_t i = 0; i < res.nsymlinks; i++)
		free(res.symlinks[i]);
	free(res.symlinks);
	log_debug("%s %s: %zu RUN program(s)", e->kname, e->action, e->nrun);
	run_next(hp, e);
}

static void start_ready(struct hotplug *hp)
{
	for (struct hp_event *e = hp->events, *next; e; e = next) {
		next = e->next;
		if (e->started)
			continue;
		int blocked = 0;
		for (struct hp_event *p = hp->events; p != e; p = p->next)
			if (strcmp(p->devpath, e->devpath) == 0)
				blocked = 1;
		if (!blocked) {
			start_event(hp, e);
			/* start_event may have finished and freed events: restart the scan */
			start_ready(hp);
			return;
		}
	}
}

static void on_soon(struct loop *l, void *arg)
{
	start_ready(arg);
}

/*
 * A kernel uevent, with exactly the variables Linux 6.1 sends for a xen bus
 * console device: add (MODALIAS, no DRIVER: the driver binds after
 * device_add), bind (DRIVER=xenconsole and MODALIAS), unbind (neither),
 * remove (MODALIAS).
 */
static void uevent(struct fe_dev *d, const char *action, const char *driver, int modalias)
{
	struct hotplug *hp = d->g->hp;
	struct hp_event *e = calloc(1, sizeof(*e));
	if (!e) {
		log_err("%s: uevent %s lost: out of memory", d->kname, action);
		return;
	}
	snprintf(e->devpath, sizeof(e->devpath), "/devices/%s", d->kname);
	snprintf(e->kname, sizeof(e->kname), "%s", d->kname);
	snprintf(e->action, sizeof(e->action), "%s", action);
	char seq[24];
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)++hp->seqnum);
	udev_env_init(&e->props);
	udev_env_set(&e->props, "ACTION", action);
	udev_env_set(&e->props, "DEVPATH", e->devpath);
	udev_env_set(&e->props, "SUBSYSTEM", "xen");
	if (driver)
		udev_env_set(&e->props, "DRIVER", driver);
	if (modalias)
		udev_env_set(&e->props, "MODALIAS", "xen:console");
	udev_env_set(&e->props, "SEQNUM", seq);
	struct hp_event **pp = &hp->events;
	while (*pp)
		pp = &(*pp)->next;
	*pp = e;
	/* udevd handles the event after the kernel returns: the probe that
	 * follows an add completes before any rule runs. */
	loop_soon(d->g->loop, on_soon, hp);
	log_debug("uevent %s %s seq %s", action, e->devpath, seq);
}

void hp_device_add(struct fe_dev *d)
{
	sysfs_add(d);
	uevent(d, "add", NULL, 1);
}

void hp_device_bind(struct fe_dev *d)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/sys/devices/%s/driver", d->g->root, d->kname);
	unlink(path);
	if (symlink("../../bus/xen/drivers/xenconsole", path) < 0)
		log_debug("%s: %s", path, strerror(errno));
	d->bind_sent = 1;
	sysfs_uevent_file(d);
	uevent(d, "bind", "xenconsole", 1);
}

void hp_device_remove(struct fe_dev *d)
{
	if (d->bind_sent)
		uevent(d, "unbind", NULL, 0);
	uevent(d, "remove", NULL, 1);
	sysfs_remove(d);
	free(d);
}

void hp_sigchld(struct hotplug *hp)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct hp_event *e;
		for (e = hp->events; e && e->pid != pid; e = e->next)
			;
		if (!e)
			continue;
		e->pid = 0;
		if (e->timer) {
			loop_timer_cancel(hp->g->loop, e->timer);
			e->timer = 0;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			log_debug("%s %s: RUN '%s' done", e->kname, e->action, e->cur);
		else if (WIFEXITED(status))
			log_warn("%s %s: RUN '%s' exited with status %d", e->kname, e->action,
			         e->cur, WEXITSTATUS(status));
		else
			log_warn("%s %s: RUN '%s' killed by signal %d", e->kname, e->action, e->cur,
			         WTERMSIG(status));
		run_next(hp, e);
	}
}

int hp_busy(const struct hotplug *hp)
{
	return hp->events != NULL;
}

int hp_settle(struct hotplug *hp, void (*cb)(void *arg), void *arg)
{
	if (!hp->events) {
		cb(arg);
		return 0;
	}
	struct settle_waiter *w = calloc(1, sizeof(*w));
	if (!w)
		return -1;
	w->cb = cb;
	w->arg = arg;
	w->next = hp->waiters;
	hp->waiters = w;
	return 0;
}
