// SPDX-License-Identifier: MIT
/*
 * Which declared VMMs really take build leases (include/tdxup/vmm_active.h).
 *
 * libvirt reads the hooks in hooks/qemu.d/ once, when the daemon starts:
 * a hook installed later does nothing until libvirtd (monolithic) or
 * virtqemud (modular daemons) is restarted, yet `lease participate
 * libvirt` is usually run right after installing it. So the declaration
 * is held against the running daemons' start times.
 *
 * Times: /proc/PID/stat gives a process's start in clock ticks since boot
 * (truncated, so it reads up to one tick early); the boot time is the one
 * the kernel derives from CLOCK_REALTIME - CLOCK_BOOTTIME, to the
 * nanosecond, unless SYSROOT/proc/stat's btime (whole seconds, rounded
 * down) disagrees by more than a second, as a sysroot's copy of another
 * host's /proc would. Both errors make a start look earlier, never later,
 * so "started after the hook" is never claimed wrongly; a restart within
 * the same tick (or second) as the install is reported as not yet
 * protecting, and one more restart settles it. The hook's time is the
 * later of mtime and ctime: `install -p` and `cp -p` keep an old mtime,
 * but putting the file in place (create, rename, chmod) sets ctime.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tdxup/vmm_active.h"

#define NS	1000000000LL

struct daemon {
	long pid;
	char comm[16];
	long long start_ns;	/* realtime, rounded down */
};

/* SYSROOT/REL, with a sysroot of "/" (or "") giving /REL. */
static int join(char *buf, size_t len, const char *sysroot, const char *rel)
{
	size_t n = strlen(sysroot);
	int ret;

	while (n && sysroot[n - 1] == '/')
		n--;
	ret = snprintf(buf, len, "%.*s/%s", (int)n, sysroot, rel);
	return ret < 0 || (size_t)ret >= len ? -ENAMETOOLONG : 0;
}

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static long long ts_ns(const struct timespec *t)
{
	return (long long)t->tv_sec * NS + t->tv_nsec;
}

/* The boot time, realtime ns (see the comment at the top). */
static long long boot_ns(const char *sysroot)
{
	struct timespec real, boot;
	char path[PATH_MAX], buf[8192], *p;
	long long precise, btime = -1;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	precise = ts_ns(&real) - ts_ns(&boot);
	if (!join(path, sizeof(path), sysroot, "proc/stat") &&
	    !read_small(path, buf, sizeof(buf)) && (p = strstr(buf, "\nbtime ")))
		btime = strtoll(p + 7, NULL, 10);
	if (btime < 0 || llabs(btime * NS - precise) <= NS)
		return precise;
	return btime * NS;
}

/* 0 and d filled if PID is a root-owned libvirtd or virtqemud; else -ENOENT. */
static int read_daemon(const char *proc, const char *pid, long long boot, long tck,
		       struct daemon *d)
{
	char path[PATH_MAX], buf[1024], *p;
	unsigned long long start;

	/*
	 * Root by every uid in status, not by the owner of /proc/PID: a user's
	 * process that made itself non-dumpable shows a root-owned directory,
	 * and it can name itself libvirtd.
	 */
	if (snprintf(path, sizeof(path), "%s/%s/status", proc, pid) >= (int)sizeof(path) ||
	    read_small(path, buf, sizeof(buf)) || !(p = strstr(buf, "\nUid:")) ||
	    strncmp(p + 5, "\t0\t0\t0\t0\n", 9))
		return -ENOENT;
	if (snprintf(path, sizeof(path), "%s/%s/comm", proc, pid) >= (int)sizeof(path) ||
	    read_small(path, buf, sizeof(buf)))
		return -ENOENT;
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, "libvirtd") && strcmp(buf, "virtqemud"))
		return -ENOENT;
	memcpy(d->comm, buf, strlen(buf) + 1);	/* one of the two names above */
	/* comm may hold ") ": the fields start after the last one. */
	if (snprintf(path, sizeof(path), "%s/%s/stat", proc, pid) >= (int)sizeof(path) ||
	    read_small(path, buf, sizeof(buf)) || !(p = strrchr(buf, ')')))
		return -ENOENT;
	/* Field 22, starttime: the 20th after "pid (comm)". */
	for (int i = 0; i < 20; i++) {
		p += strspn(p, " ");
		p += strcspn(p, " ");
		if (!*p)
			return -ENOENT;
	}
	if (sscanf(p, " %llu", &start) != 1)
		return -ENOENT;
	d->pid = strtol(pid, NULL, 10);
	d->start_ns = boot + (long long)(start / (unsigned long long)tck) * NS +
		      (long long)(start % (unsigned long long)tck) * (NS / tck);
	return 0;
}

/* The earliest-started daemon that runs libvirt's QEMU hooks; 0 if any. */
static int oldest_daemon(const char *sysroot, struct daemon *oldest)
{
	long tck = sysconf(_SC_CLK_TCK);
	char proc[PATH_MAX];
	long long boot;
	struct dirent *de;
	int found = -ENOENT;
	DIR *dir;

	if (join(proc, sizeof(proc), sysroot, "proc") || tck <= 0)
		return -ENOENT;
	dir = opendir(proc);
	if (!dir)
		return -ENOENT;
	boot = boot_ns(sysroot);
	while ((de = readdir(dir))) {
		struct daemon d;

		if (!isdigit((unsigned char)de->d_name[0]) ||
		    read_daemon(proc, de->d_name, boot, tck, &d))
			continue;
		if (found || d.start_ns < oldest->start_ns)
			*oldest = d;
		found = 0;
	}
	closedir(dir);
	return found;
}

static void fmt_time(long long ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / NS);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%lld", (long long)t);
}

static void judge_libvirt(const char *sysroot, struct vmm_state *v)
{
	char hook[PATH_MAX], when[32], started[32];
	struct daemon d;
	struct stat st;
	long long hook_ns;

	if (join(hook, sizeof(hook), sysroot, VMM_HOOK_REL)) {
		snprintf(v->why, sizeof(v->why), "the hook's path is too long");
		return;
	}
	/* stat, not lstat: libvirt follows a symlink there too. */
	if (stat(hook, &st) || !S_ISREG(st.st_mode)) {
		snprintf(v->why, sizeof(v->why), "no hook at %.200s: install "
			 "/usr/share/tdxup/contrib/libvirt/qemu there", hook);
		return;
	}
	if (!(st.st_mode & S_IXUSR)) {
		snprintf(v->why, sizeof(v->why), "%.200s is not executable: libvirt skips it",
			 hook);
		return;
	}
	hook_ns = ts_ns(&st.st_mtim) > ts_ns(&st.st_ctim) ? ts_ns(&st.st_mtim) :
		  ts_ns(&st.st_ctim);
	if (oldest_daemon(sysroot, &d)) {
		snprintf(v->why, sizeof(v->why), "no libvirtd or virtqemud is running; libvirt "
			 "reads the hook when its daemon starts (start it: systemctl start "
			 "virtqemud or libvirtd)");
		return;
	}
	fmt_time(hook_ns, when, sizeof(when));
	fmt_time(d.start_ns, started, sizeof(started));
	if (d.start_ns <= hook_ns) {
		snprintf(v->why, sizeof(v->why), "%s (pid %ld) started %s, before the hook was "
			 "installed (%s): it does not run it; restart it (systemctl restart %s)",
			 d.comm, d.pid, started, when, d.comm);
		return;
	}
	v->protecting = true;
	snprintf(v->why, sizeof(v->why), "%s (pid %ld) started %s, after the hook was installed "
		 "(%s)", d.comm, d.pid, started, when);
}

struct judge_ctx {
	struct vmm_states *s;
	const char *sysroot;
};

static void judge(const char *name, void *arg)
{
	struct judge_ctx *ctx = arg;
	struct vmm_states *s = ctx->s;
	struct vmm_state *v;

	if (s->nr++ >= VMM_MAX)
		return;
	v = &s->vmm[s->nr - 1];
	snprintf(v->name, sizeof(v->name), "%s", name);
	if (!strcmp(name, "libvirt")) {
		judge_libvirt(ctx->sysroot, v);
	} else {
		v->protecting = true;
		snprintf(v->why, sizeof(v->why), !strcmp(name, "qemu-wrapper") ?
			 "the wrapper takes the lease at every QEMU start through it" :
			 "declared; nothing to check for this VMM");
	}
	if (v->protecting)
		s->nr_protecting++;
}

int vmm_states_read(const char *sysroot, struct vmm_states *s, struct lease_err *e)
{
	struct judge_ctx ctx = { s, sysroot };
	int ret;

	memset(s, 0, sizeof(*s));
	ret = lease_participating(sysroot, judge, &ctx, e);
	return ret < 0 ? ret : 0;
}
