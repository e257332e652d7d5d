// SPDX-License-Identifier: MIT
/*
 * `tdxup serve` in the background, for scripts: --detach returns only once
 * the mount answers (no race between serve and the first status), --log
 * keeps what the server says, and --stop DIR ends the server of DIR and
 * returns once it is gone and DIR unmounted. Every wait is bounded.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/serve.h"
#include "tdxup/fsafe.h"

#define READY_TIMEOUT_MS	120000	/* boot + mount; a 512-CPU host boots in seconds */
#define EXIT_TIMEOUT_MS		30000	/* a failed child's teardown */
#define POLL_MS			20
#define LOG_TAIL		(16 * 1024)
#define VERSION_FILE		"/sys/devices/faux/tdx_host/version"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int serve_log_to(const char *path)
{
	struct fsafe_err fe;
	int fd = fsafe_open_log(path, 0644, &fe);

	if (fd < 0) {
		cli_err("--log %s", fe.msg);
		return fd;
	}
	fflush(stdout);
	fflush(stderr);
	if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
		int err = -errno;

		close(fd);
		cli_err("--log %s: %s", path, strerror(-err));
		return err;
	}
	close(fd);
	/* Log lines interleave with the summary in order. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	return 0;
}

/* The end of a failed server's log, so that its error reaches the caller. */
static void relay_log(const char *path)
{
	char buf[LOG_TAIL];
	ssize_t n;
	off_t end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	if (end > LOG_TAIL)
		lseek(fd, end - LOG_TAIL, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stderr) != (size_t)n)
			break;
	close(fd);
}

/* The child's exit code, waiting at most EXIT_TIMEOUT_MS; -1 if still running. */
static int child_exit(pid_t pid)
{
	uint64_t end = now_ms() + EXIT_TIMEOUT_MS;
	int status;

	do {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0 && errno != EINTR)
			return CLI_FAIL;
		sleep_ms(POLL_MS);
	} while (now_ms() < end);
	return -1;
}

/* 1: the child said ready; 0: it closed the pipe without; -ETIMEDOUT. */
static int wait_ready(int fd)
{
	uint64_t end = now_ms() + READY_TIMEOUT_MS;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	for (;;) {
		uint64_t now = now_ms();
		int r;

		if (now >= end)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)(end - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		r = (int)read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		return r == 1 && c == 'R';
	}
}

static int parent(pid_t pid, int fd, const char *log_path)
{
	int ret = wait_ready(fd), code;

	close(fd);
	if (ret == 1) {
		printf("%d\n", (int)pid);
		return fflush(stdout) ? CLI_FAIL : CLI_OK;
	}
	if (ret == -ETIMEDOUT) {
		kill(pid, SIGTERM);
		cli_err("serve: the mount did not answer within %d s; server %d stopped",
			READY_TIMEOUT_MS / 1000, (int)pid);
		child_exit(pid);
		return CLI_FAIL;
	}
	code = child_exit(pid);
	if (log_path)
		relay_log(log_path);
	cli_err("serve: the server exited (status %d) before the mount answered", code);
	return code > 0 ? code : CLI_FAIL;
}

int serve_detach(const char *log_path, int *ready_fd)
{
	int fds[2], null;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		cli_err("serve: pipe: %s", strerror(errno));
		return CLI_FAIL;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		cli_err("serve: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return CLI_FAIL;
	}
	if (pid) {
		close(fds[1]);
		return parent(pid, fds[0], log_path);
	}
	close(fds[0]);
	/* Its own session: a terminal's ^C or hangup is not for the server. */
	setsid();
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	/* The caller's stdout carries the PID only: the summary goes to the log. */
	if (log_path ? serve_log_to(log_path) : dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		_exit(CLI_FAIL);
	*ready_fd = fds[1];
	return -1;
}

struct ready_watch {
	char path[PATH_MAX];
	int fd;
};

static void *ready_thread(void *arg)
{
	struct ready_watch *w = arg;
	uint64_t end = now_ms() + READY_TIMEOUT_MS;
	bool ok = false;
	char buf[64];

	do {
		int fd = open(w->path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			ok = read(fd, buf, sizeof(buf)) > 0;
			close(fd);
		}
		if (!ok)
			sleep_ms(POLL_MS);
	} while (!ok && now_ms() < end);
	if (ok && write(w->fd, "R", 1) != 1)
		ok = false;
	close(w->fd);
	/* A mount that never answers is no server: stop, the parent reports it. */
	if (!ok)
		kill(getpid(), SIGTERM);
	free(w);
	return NULL;
}

int serve_ready_watch(const char *mount, int fd)
{
	struct ready_watch *w = calloc(1, sizeof(*w));
	pthread_t t;
	int n;

	if (!w)
		return -ENOMEM;
	n = snprintf(w->path, sizeof(w->path), "%s" VERSION_FILE, mount);
	if (n < 0 || (size_t)n >= sizeof(w->path)) {
		free(w);
		return -ENAMETOOLONG;
	}
	w->fd = fd;
	n = pthread_create(&t, NULL, ready_thread, w);
	if (n) {
		free(w);
		return -n;
	}
	pthread_detach(t);
	return 0;
}
