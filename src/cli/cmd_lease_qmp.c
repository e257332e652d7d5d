// SPDX-License-Identifier: MIT
/*
 * The QEMU wrapper's readiness test (contrib/qemu/tdxup-qemu-wrapper): a
 * reply to query-status over QMP. QMP's greeting can come from the monitor
 * thread before the machine exists, but a non-OOB command is dispatched by
 * the main loop, which QEMU enters only after machine-init-done, where TDX
 * finalizes the TD. So the reply proves KVM_TDX_FINALIZE_VM has returned.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd_lease.h"

#define QMP_POLL_MS	20

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* 1 if the process behind pidfd has exited. */
static int exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return pidfd >= 0 && poll(&p, 1, 0) == 1;
}

static int qmp_connect(const char *sock)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(sock) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Read until a line holds `"return"` (the reply), or the peer goes. */
static int read_return(int fd, int pidfd, uint64_t deadline)
{
	char buf[4096];
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (exited(pidfd))
			return 1;
		if (now_us() >= deadline)
			return -ETIMEDOUT;
		if (poll(&p, 1, QMP_POLL_MS) <= 0)
			continue;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -ECONNRESET;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\"return\""))
			return 0;
		if (strstr(buf, "\"error\""))
			return -EPROTO;
		/* Events and the greeting: keep the last partial line only. */
		char *nl = strrchr(buf, '\n');

		if (nl) {
			len = strlen(nl + 1);
			memmove(buf, nl + 1, len + 1);
		} else if (len == sizeof(buf) - 1) {
			len = 0;
		}
	}
}

static int send_cmd(int fd, const char *cmd)
{
	size_t n = strlen(cmd);

	return write(fd, cmd, n) == (ssize_t)n ? 0 : -EPIPE;
}

static int try_once(const char *sock, int pidfd, uint64_t deadline)
{
	int fd = qmp_connect(sock), ret;

	if (fd < 0)
		return fd;
	ret = send_cmd(fd, "{\"execute\": \"qmp_capabilities\"}\n");
	if (!ret)
		ret = read_return(fd, pidfd, deadline);
	if (!ret)
		ret = send_cmd(fd, "{\"execute\": \"query-status\"}\n");
	if (!ret)
		ret = read_return(fd, pidfd, deadline);
	close(fd);
	return ret;
}

int lease_wait_qmp(const char *sock, pid_t pid, uint64_t timeout_us)
{
	uint64_t deadline = timeout_us == UINT64_MAX ? UINT64_MAX : now_us() + timeout_us;
	int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	int ret;

	if (pid > 0 && pidfd < 0)
		return errno == ESRCH ? 1 : -errno;
	for (;;) {
		ret = try_once(sock, pidfd, deadline);
		if (ret >= 0 || ret == -ETIMEDOUT || ret == -ENAMETOOLONG)
			break;
		/* Not listening yet, or gone mid-way: look again. */
		if (exited(pidfd)) {
			ret = 1;
			break;
		}
		if (now_us() >= deadline) {
			ret = -ETIMEDOUT;
			break;
		}
		poll(NULL, 0, QMP_POLL_MS);
	}
	if (pidfd >= 0)
		close(pidfd);
	return ret;
}
