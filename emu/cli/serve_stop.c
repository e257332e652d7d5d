// SPDX-License-Identifier: MIT
/*
 * `tdxup serve --stop DIR`: find the server of DIR (a tdxup-emu process
 * whose command line is `serve ... --mount DIR`, the path resolved from
 * its working directory), SIGTERM it, and wait until it has exited (so
 * its summary is written) and DIR is no mount point any more. No pidfile:
 * the process table and the mount table are the truth.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/serve.h"

#define STOP_TIMEOUT_MS		60000	/* an update may be finishing */
#define POLL_MS			20
#define MAX_SERVERS		16
#define CMDLINE_MAX		8192

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static ssize_t read_proc(pid_t pid, const char *file, char *buf, size_t size)
{
	char path[64];
	ssize_t n, len = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)len < size - 1 && (n = read(fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return len;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && isdigit((unsigned char)s[2]) &&
		    isdigit((unsigned char)s[3])) {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

bool serve_is_mount_point(const char *dir)
{
	char line[4096], *p, *mnt;
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": the fifth field. */
	while (!found && fgets(line, sizeof(line), f)) {
		p = line;
		for (int i = 0; i < 4 && p; i++) {
			p = strchr(p, ' ');
			p = p ? p + 1 : NULL;
		}
		if (!p)
			continue;
		mnt = p;
		p = strchr(mnt, ' ');
		if (p)
			*p = '\0';
		unescape(mnt);
		found = !strcmp(mnt, dir);
	}
	fclose(f);
	return found;
}

/* pid's --mount argument, resolved from its cwd, is dir. */
static bool serves(pid_t pid, const char *dir)
{
	char buf[CMDLINE_MAX], path[PATH_MAX + 64], real[PATH_MAX];
	const char *arg, *mount = NULL, *end;
	ssize_t n = read_proc(pid, "comm", buf, sizeof(buf));

	if (n <= 0 || strcmp(buf, "tdxup-emu\n"))
		return false;
	n = read_proc(pid, "cmdline", buf, sizeof(buf));
	if (n <= 0)
		return false;
	end = buf + n;
	arg = buf + strlen(buf) + 1;		/* past argv[0] */
	if (arg >= end || strcmp(arg, "serve"))
		return false;
	for (; arg < end; arg += strlen(arg) + 1) {
		if (!strncmp(arg, "--mount=", 8))
			mount = arg + 8;
		else if (!strcmp(arg, "--mount") && arg + strlen(arg) + 1 < end)
			mount = arg + strlen(arg) + 1;
	}
	if (!mount)
		return false;
	if (mount[0] == '/')
		snprintf(path, sizeof(path), "%s", mount);
	else
		snprintf(path, sizeof(path), "/proc/%d/cwd/%s", (int)pid, mount);
	return realpath(path, real) && !strcmp(real, dir);
}

static size_t find_servers(const char *dir, pid_t *pids)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while (n < MAX_SERVERS && (de = readdir(d))) {
		char *endp;
		long v = strtol(de->d_name, &endp, 10);

		if (*endp || v <= 0 || v == getpid())
			continue;
		if (serves((pid_t)v, dir))
			pids[n++] = (pid_t)v;
	}
	closedir(d);
	return n;
}

/* Gone, or a zombie its parent has not reaped yet: exited all the same. */
static bool exited(pid_t pid)
{
	char buf[512], *p;

	if (read_proc(pid, "stat", buf, sizeof(buf)) <= 0)
		return true;
	p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

static bool all_exited(const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!exited(pids[i]))
			return false;
	return true;
}

pid_t serve_find_server(const char *real)
{
	pid_t pids[MAX_SERVERS];

	return find_servers(real, pids) ? pids[0] : 0;
}

int serve_stop(const char *dir)
{
	struct timespec tick = { .tv_nsec = POLL_MS * 1000000L };
	pid_t pids[MAX_SERVERS];
	char real[PATH_MAX];
	uint64_t end;
	size_t n;

	if (!realpath(dir, real)) {
		cli_err("serve --stop %s: %s%s", dir, strerror(errno), errno == ENOTCONN ?
			" (a dead mount: clean it up with `fusermount3 -u -z DIR`)" : "");
		return CLI_FAIL;
	}
	n = find_servers(real, pids);
	if (!n) {
		cli_err("serve --stop %s: no `tdxup serve` of this user serves it%s", dir,
			serve_is_mount_point(real) ? " (still mounted: `fusermount3 -u -z DIR`)" : "");
		return CLI_FAIL;
	}
	for (size_t i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	end = now_ms() + STOP_TIMEOUT_MS;
	while (!all_exited(pids, n) || serve_is_mount_point(real)) {
		if (now_ms() >= end) {
			cli_err("serve --stop %s: still %s after %d s", dir,
				all_exited(pids, n) ? "mounted" : "running",
				STOP_TIMEOUT_MS / 1000);
			return CLI_FAIL;
		}
		nanosleep(&tick, NULL);
	}
	return CLI_OK;
}
